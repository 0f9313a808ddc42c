//! The registry of figures: id (= JSON field), German and English label, and the one-paragraph
//! definition shown next to the figure in the HTML report. docs/METRICS.md contains every
//! English definition verbatim (a test checks it), with the long form and a worked example.

/// One figure or section of the report.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    /// The JSON field name in a group (or the section name).
    pub id: &'static str,
    pub label_en: &'static str,
    pub label_de: &'static str,
    pub def_en: &'static str,
    pub def_de: &'static str,
}

/// Figures of a group, in display order. Their ids are exactly the fields of
/// [`crate::figures::Group`] (except `key` and `by_period`).
pub const GROUP_FIGURES: &[Figure] = &[
    Figure {
        id: "inbound_conversations",
        label_en: "Customer conversations",
        label_de: "Kundengespräche",
        def_en: "Conversations whose first message is from the customer, on a conversation channel (not a blog or feed), with the first customer message in the reporting range.",
        def_de: "Gespräche, deren erste Nachricht vom Kunden stammt, auf einem Gesprächskanal (kein Blog, kein Feed), mit der ersten Kundennachricht im Berichtszeitraum.",
    },
    Figure {
        id: "inbound_messages",
        label_en: "Customer messages",
        label_de: "Kundennachrichten",
        def_en: "All messages from customers in those conversations.",
        def_de: "Alle Nachrichten von Kunden in diesen Gesprächen.",
    },
    Figure {
        id: "negative_messages",
        label_en: "Negative customer messages",
        label_de: "Negative Kundennachrichten",
        def_en: "Customer messages whose sentiment is negative (gold label when the source has one, else the classifier).",
        def_de: "Kundennachrichten mit negativer Stimmung (Gold-Label der Quelle, sonst der Klassifikator).",
    },
    Figure {
        id: "messages_with_sentiment",
        label_en: "Customer messages with a sentiment",
        label_de: "Kundennachrichten mit Stimmung",
        def_en: "Customer messages that have a sentiment at all (gold label or classifier).",
        def_de: "Kundennachrichten, für die überhaupt eine Stimmung vorliegt (Gold-Label oder Klassifikator).",
    },
    Figure {
        id: "share_negative",
        label_en: "Share negative",
        label_de: "Anteil negativ",
        def_en: "Negative customer messages divided by customer messages with a sentiment; n/a when no message has a sentiment.",
        def_de: "Negative Kundennachrichten geteilt durch Kundennachrichten mit Stimmung; k. A., wenn keine Nachricht eine Stimmung hat.",
    },
    Figure {
        id: "responded_conversations",
        label_en: "Answered conversations",
        label_de: "Beantwortete Gespräche",
        def_en: "Customer conversations with at least one reply: a message from us after the first customer message.",
        def_de: "Kundengespräche mit mindestens einer Antwort: eine Nachricht von uns nach der ersten Kundennachricht.",
    },
    Figure {
        id: "response_rate",
        label_en: "Response rate",
        label_de: "Antwortquote",
        def_en: "Answered conversations divided by customer conversations (0 to 1).",
        def_de: "Beantwortete Gespräche geteilt durch Kundengespräche (0 bis 1).",
    },
    Figure {
        id: "first_response_time_s",
        label_en: "First-response time (s)",
        label_de: "Erste Antwortzeit (s)",
        def_en: "Seconds from the first customer message to our first reply, calendar time, over answered conversations: n, median, p90, mean. Unanswered conversations are not in it (see response rate); no outliers are removed.",
        def_de: "Sekunden von der ersten Kundennachricht bis zu unserer ersten Antwort, Kalenderzeit, über beantwortete Gespräche: n, Median, p90, Mittelwert. Unbeantwortete Gespräche zählen nicht (siehe Antwortquote); keine Ausreißer entfernt.",
    },
    Figure {
        id: "first_response_business_s",
        label_en: "First-response time, business hours (s)",
        label_de: "Erste Antwortzeit, Geschäftszeit (s)",
        def_en: "The same, counting only seconds inside business hours (see method block).",
        def_de: "Dasselbe, nur Sekunden innerhalb der Geschäftszeiten (siehe Methode).",
    },
    Figure {
        id: "next_response_time_s",
        label_en: "Next-response time (s)",
        label_de: "Folge-Antwortzeit (s)",
        def_en: "For every later customer turn (customer messages after one of our replies), seconds from its first message to our next reply; over all answered turns.",
        def_de: "Für jeden späteren Kundenbeitrag (Kundennachrichten nach einer unserer Antworten) Sekunden von seiner ersten Nachricht bis zu unserer nächsten Antwort; über alle beantworteten Beiträge.",
    },
    Figure {
        id: "unanswered_turns",
        label_en: "Unanswered later turns",
        label_de: "Unbeantwortete Folgebeiträge",
        def_en: "Answered conversations whose last customer turn got no reply.",
        def_de: "Beantwortete Gespräche, deren letzter Kundenbeitrag keine Antwort bekam.",
    },
    Figure {
        id: "resolved_conversations",
        label_en: "Resolved conversations",
        label_de: "Gelöste Gespräche",
        def_en: "Answered conversations where our reply is the last message (proxy: the customer did not come back).",
        def_de: "Beantwortete Gespräche, in denen unsere Antwort die letzte Nachricht ist (Näherung: der Kunde meldete sich nicht wieder).",
    },
    Figure {
        id: "resolution_rate",
        label_en: "Resolution rate",
        label_de: "Lösungsquote",
        def_en: "Resolved conversations divided by customer conversations.",
        def_de: "Gelöste Gespräche geteilt durch Kundengespräche.",
    },
    Figure {
        id: "resolution_time_s",
        label_en: "Resolution time (s)",
        label_de: "Lösungszeit (s)",
        def_en: "Seconds from the first customer message to our last message, over resolved conversations, calendar time.",
        def_de: "Sekunden von der ersten Kundennachricht bis zu unserer letzten Nachricht, über gelöste Gespräche, Kalenderzeit.",
    },
    Figure {
        id: "resolution_business_s",
        label_en: "Resolution time, business hours (s)",
        label_de: "Lösungszeit, Geschäftszeit (s)",
        def_en: "The same, counting only seconds inside business hours.",
        def_de: "Dasselbe, nur Sekunden innerhalb der Geschäftszeiten.",
    },
    Figure {
        id: "replies",
        label_en: "Replies",
        label_de: "Antworten",
        def_en: "Our messages after the first customer message, in answered conversations.",
        def_de: "Unsere Nachrichten nach der ersten Kundennachricht, in beantworteten Gesprächen.",
    },
    Figure {
        id: "replies_per_conversation",
        label_en: "Replies per conversation",
        label_de: "Antworten je Gespräch",
        def_en: "Replies per answered conversation: n, median, p90, mean.",
        def_de: "Antworten je beantwortetem Gespräch: n, Median, p90, Mittelwert.",
    },
    Figure {
        id: "satisfaction",
        label_en: "Satisfaction",
        label_de: "Zufriedenheit",
        def_en: "Survey: share of surveyed conversations with a score of 4 or 5 (of 5). Without any survey answer, the proxy \"did the customer calm down\": of the answered conversations whose last customer message before our first reply was negative and where the customer wrote again, the share whose next message was not negative.",
        def_de: "Umfrage: Anteil der befragten Gespräche mit 4 oder 5 (von 5). Ohne Umfrageantworten die Näherung \"hat sich der Kunde beruhigt\": von den beantworteten Gesprächen, deren letzte Kundennachricht vor unserer ersten Antwort negativ war und in denen der Kunde wieder schrieb, der Anteil, dessen nächste Nachricht nicht negativ war.",
    },
    Figure {
        id: "replies_by_role",
        label_en: "Who talks with customers",
        label_de: "Wer mit Kunden spricht",
        def_en: "Replies by the role of their author (agent, specialist, lead, executive; unknown when the staff directory does not know the author), with the share of all replies.",
        def_de: "Antworten nach Rolle des Verfassers (Agent, Fachkraft, Teamleitung, Geschäftsleitung; unbekannt, wenn das Mitarbeiterverzeichnis ihn nicht kennt), mit Anteil an allen Antworten.",
    },
    Figure {
        id: "conversation_lifetime_s",
        label_en: "Conversation lifetime (s)",
        label_de: "Gesprächsdauer (s)",
        def_en: "Seconds from the first to the last message of each customer conversation.",
        def_de: "Sekunden von der ersten bis zur letzten Nachricht jedes Kundengesprächs.",
    },
    Figure {
        id: "active_days",
        label_en: "Active days per conversation",
        label_de: "Aktive Tage je Gespräch",
        def_en: "Distinct UTC calendar days with at least one message, per customer conversation.",
        def_de: "Verschiedene Kalendertage (UTC) mit mindestens einer Nachricht, je Kundengespräch.",
    },
    Figure {
        id: "deflected_replies",
        label_en: "Replies with a deflection phrase",
        label_de: "Antworten mit Abwimmel-Floskel",
        def_en: "Replies containing at least one phrase of the deflection list (whole words, case-insensitive).",
        def_de: "Antworten mit mindestens einer Floskel der Abwimmel-Liste (ganze Wörter, ohne Groß-/Kleinschreibung).",
    },
    Figure {
        id: "deflections_per_100_replies",
        label_en: "Deflections per 100 replies",
        label_de: "Abwimmel-Floskeln je 100 Antworten",
        def_en: "Replies with a deflection phrase times 100 divided by replies.",
        def_de: "Antworten mit Abwimmel-Floskel mal 100 geteilt durch Antworten.",
    },
    Figure {
        id: "churn_messages",
        label_en: "Churn messages",
        label_de: "Abwanderungs-Nachrichten",
        def_en: "Customer messages saying the customer will leave (gold label churn, else classifier churn score at or above the threshold).",
        def_de: "Kundennachrichten, in denen der Kunde ankündigt zu gehen (Gold-Label churn, sonst Klassifikator-Wert ab Schwelle).",
    },
    Figure {
        id: "churn_customers",
        label_en: "Customers who said they will leave",
        label_de: "Kunden, die gehen wollen",
        def_en: "Distinct customers with at least one churn message.",
        def_de: "Verschiedene Kunden mit mindestens einer Abwanderungs-Nachricht.",
    },
    Figure {
        id: "churn_followed_up",
        label_en: "Of those, followed up",
        label_de: "Davon nachgefasst",
        def_en: "Of those customers, the ones we replied to after their first churn message (in at least one conversation).",
        def_de: "Davon die Kunden, denen wir nach ihrer ersten Abwanderungs-Nachricht geantwortet haben (in mindestens einem Gespräch).",
    },
    Figure {
        id: "insults_received",
        label_en: "Insults received by staff",
        label_de: "Beleidigungen gegen Mitarbeiter",
        def_en: "Insulting or toxic customer messages (gold label, else classifier toxicity at or above the threshold).",
        def_de: "Beleidigende oder toxische Kundennachrichten (Gold-Label, sonst Klassifikator-Toxizität ab Schwelle).",
    },
    Figure {
        id: "insulted_conversations",
        label_en: "Conversations with insults",
        label_de: "Gespräche mit Beleidigungen",
        def_en: "Customer conversations with at least one insult.",
        def_de: "Kundengespräche mit mindestens einer Beleidigung.",
    },
    Figure {
        id: "external_mentions",
        label_en: "Mentions in blogs and feeds",
        label_de: "Erwähnungen in Blogs und Feeds",
        def_en: "Messages on blog and feed channels (external publications), counted by the date of their conversation's first message.",
        def_de: "Nachrichten auf Blog- und Feed-Kanälen (externe Veröffentlichungen), gezählt nach dem Datum der ersten Nachricht ihres Gesprächs.",
    },
];

/// Sections beside the group figures.
pub const SECTIONS: &[Figure] = &[
    Figure {
        id: "by_period",
        label_en: "Over time",
        label_de: "Im Zeitverlauf",
        def_en: "The volume and response figures per period (day, ISO week starting Monday, or month), each conversation counted in the period of its first customer message.",
        def_de: "Menge und Antwortkennzahlen je Zeitraum (Tag, ISO-Woche ab Montag oder Monat); jedes Gespräch zählt im Zeitraum seiner ersten Kundennachricht.",
    },
    Figure {
        id: "agents",
        label_en: "By agent",
        label_de: "Nach Mitarbeiter",
        def_en: "Per agent (staff member; on Twitter the account plus a trailing signature such as ^JK): conversations and replies, deflection rate per 100 replies, and first-response time of the conversations the agent answered first.",
        def_de: "Je Mitarbeiter (auf Twitter Konto plus Kürzel wie ^JK): Gespräche und Antworten, Abwimmel-Quote je 100 Antworten und erste Antwortzeit der Gespräche, die er zuerst beantwortet hat.",
    },
    Figure {
        id: "topics",
        label_en: "Topic longevity",
        label_de: "Lebensdauer der Themen",
        def_en: "Per topic: conversations, distinct customers, first and last message, lifetime (last minus first), active days (days on which one of its conversations started or ended), and the lifetime of its conversations.",
        def_de: "Je Thema: Gespräche, verschiedene Kunden, erste und letzte Nachricht, Lebensdauer (letzte minus erste), aktive Tage (Tage, an denen eines seiner Gespräche begann oder endete) und die Dauer seiner Gespräche.",
    },
    Figure {
        id: "cases",
        label_en: "Case longevity",
        label_de: "Lebensdauer der Fälle",
        def_en: "Per case (customer messages grouped as reporting the same problem): conversations, distinct customers, first and last message, lifetime (last minus first), active days (days on which one of its conversations started or ended); over all cases the median and p90 lifetime and active days.",
        def_de: "Je Fall (Kundennachrichten, die als dasselbe Problem gruppiert wurden): Gespräche, verschiedene Kunden, erste und letzte Nachricht, Lebensdauer (letzte minus erste), aktive Tage (Tage, an denen eines seiner Gespräche begann oder endete); über alle Fälle Median und p90 von Lebensdauer und aktiven Tagen.",
    },
    Figure {
        id: "deflection",
        label_en: "Deflection-phrase audit",
        label_de: "Abwimmel-Floskeln",
        def_en: "How often each phrase of the editable deflection list occurs in our replies, the rate per 100 replies by team and agent, and examples.",
        def_de: "Wie oft jede Floskel der änderbaren Abwimmel-Liste in unseren Antworten vorkommt, die Quote je 100 Antworten nach Team und Mitarbeiter, und Beispiele.",
    },
    Figure {
        id: "lost_customers",
        label_en: "Lost customers",
        label_de: "Verlorene Kunden",
        def_en: "Customers who said they will leave, with their conversations and status: followed_up when we replied after the churn message in every such conversation, else open.",
        def_de: "Kunden, die angekündigt haben zu gehen, mit ihren Gesprächen und Status: followed_up, wenn wir in jedem solchen Gespräch nach der Abwanderungs-Nachricht geantwortet haben, sonst open.",
    },
    Figure {
        id: "insults",
        label_en: "Insults received by staff",
        label_de: "Beleidigungen gegen Mitarbeiter",
        def_en: "Insulting customer messages by the team that handled the conversation.",
        def_de: "Beleidigende Kundennachrichten nach dem Team, das das Gespräch bearbeitet hat.",
    },
];

/// Looks a figure or section up by id.
pub fn figure(id: &str) -> Option<&'static Figure> {
    GROUP_FIGURES.iter().chain(SECTIONS).find(|f| f.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_md_contains_every_definition_verbatim() {
        for f in GROUP_FIGURES.iter().chain(SECTIONS) {
            assert!(
                crate::METRICS_MD.contains(&format!("`{}`", f.id)),
                "docs/METRICS.md lacks the id `{}`",
                f.id
            );
            assert!(
                crate::METRICS_MD.contains(f.def_en),
                "docs/METRICS.md lacks the definition of `{}` verbatim",
                f.id
            );
        }
    }

    #[test]
    fn registry_matches_the_group_fields() {
        let g = serde_json::to_value(crate::figures::Group::default()).unwrap();
        let fields: Vec<&str> = g
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "key" && *k != "by_period")
            .collect();
        for field in &fields {
            assert!(figure(field).is_some(), "field {field} has no definition");
        }
        assert_eq!(fields.len(), GROUP_FIGURES.len());
    }
}
