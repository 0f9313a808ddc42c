//! The demo data set: a small, deterministic stream of German and English customer messages
//! to a fictional telecom ("Funkwerk Mobil"), written by the project itself so that a fresh
//! install can show every capability without any external data. Two quiet days of ordinary
//! questions, praise and complaints, then a network outage in Hamburg that snowballs: many
//! distinct customers report the same problem within half an hour (a case and an alarm),
//! some threaten to leave, one insults the staff, one states a false fact.

use chrono::{Duration, TimeZone, Utc};
use model::{Direction, Labels, Message, Timestamp, Visibility};

/// Ordinary inbound messages: (language, text). `{n}` is replaced by a small number.
const BACKGROUND: &[(&str, &str)] = &[
    (
        "de",
        "Wie kann ich meinen Tarif wechseln? Finde die Option in der App nicht.",
    ),
    (
        "de",
        "Danke für die schnelle Hilfe gestern, jetzt klappt alles wieder!",
    ),
    (
        "de",
        "Meine Rechnung ist diesen Monat {n} Euro höher als sonst. Warum?",
    ),
    (
        "de",
        "Seit gestern kein Empfang in der Wohnung in Köln-Ehrenfeld, ist da was bekannt?",
    ),
    (
        "de",
        "Wann kommt endlich die eSIM für mein Tablet? Warte seit {n} Tagen.",
    ),
    (
        "de",
        "Super Service im Shop am Alexanderplatz, sehr freundlich.",
    ),
    (
        "de",
        "Roaming in Österreich funktioniert nicht, was muss ich einstellen?",
    ),
    (
        "de",
        "Die Hotline hat mich {n} Minuten warten lassen und dann aufgelegt.",
    ),
    ("de", "Kann ich meine Rufnummer zu euch mitnehmen?"),
    ("de", "Das neue Datenvolumen ist top, danke!"),
    (
        "en",
        "How do I activate international roaming before my trip?",
    ),
    (
        "en",
        "My bill shows a charge of {n} euros I do not recognise. Please check.",
    ),
    (
        "en",
        "Thanks for sorting out my SIM so quickly, great support!",
    ),
    (
        "en",
        "Is there a known outage in Munich? No data since this morning.",
    ),
    ("en", "Your app keeps logging me out after the last update."),
    (
        "en",
        "Can I upgrade my contract early to get the new phone?",
    ),
];

/// The outage: many customers, many phrasings, one problem.
const OUTAGE: &[(&str, &str)] = &[
    (
        "de",
        "Kein Netz in Hamburg-Altona seit einer Stunde, LTE komplett weg! #Störung",
    ),
    (
        "de",
        "@FunkwerkMobil Hamburg Eimsbüttel: gar kein Empfang mehr, nicht mal Notruf. Was ist los?",
    ),
    (
        "de",
        "Schon wieder Netzausfall in Hamburg. Ich kündige zum Monatsende, nie wieder Funkwerk!",
    ),
    (
        "de",
        "Totalausfall Mobilfunk Hamburg, kein LTE, kein 5G. Homeoffice unmöglich.",
    ),
    (
        "de",
        "LTE Störung in Hamburg? Bei mir seit 14 Uhr kein Netz.",
    ),
    (
        "de",
        "Ihr seid doch alle unfähige Idioten, schon wieder kein Netz in Hamburg!",
    ),
    (
        "de",
        "Funkwerk hat in Hamburg 80 Prozent seiner Sendemasten abgeschaltet, steht in der Zeitung.",
    ),
    (
        "de",
        "Netz in Hamburg tot. Bin weg, wechsle zur Konkurrenz.",
    ),
    (
        "de",
        "Kein Empfang in Hamburg Barmbek, Störungskarte zeigt nichts an. Warum informiert ihr nicht?",
    ),
    (
        "en",
        "No signal at all in Hamburg since 2pm, is there an outage? #funkwerk",
    ),
    (
        "en",
        "Hamburg network down again. Never again, switching to another provider.",
    ),
    (
        "en",
        "Outage in Hamburg: no LTE, no calls. When will it be fixed?",
    ),
];

/// Our replies: (language, text).
const REPLIES: &[(&str, &str)] = &[
    (
        "de",
        "Danke für deine Nachricht! Wir schauen uns das sofort an und melden uns per DM. ^LK",
    ),
    (
        "de",
        "Das tut uns leid. Unsere Technik arbeitet an der Störung in Hamburg, Update folgt. ^MS",
    ),
    (
        "en",
        "Thanks for reaching out! We are looking into it and will DM you shortly. ^JB",
    ),
    (
        "en",
        "Sorry about that. Our engineers are working on the Hamburg outage, updates to follow. ^JB",
    ),
];

/// A tiny deterministic generator (xorshift); good enough to vary the demo, and keeps the demo
/// free of a random-number dependency in the binary.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn message(id: usize, author: String, lang: &str, text: String, at: Timestamp) -> Message {
    Message {
        channel: "twitter".into(),
        external_id: format!("demo-{id}"),
        author,
        author_name: None,
        text,
        created_at: at,
        in_reply_to: None,
        direction: Direction::Inbound,
        visibility: Visibility::Public,
        language: Some(lang.into()),
        brand: Some("FunkwerkMobil".into()),
        labels: Labels::new(),
        raw: None,
    }
}

/// The whole demo data set, in time order. Deterministic: the same every time.
pub fn messages() -> Vec<Message> {
    let mut seq = Sequence(0x9E37_79B9_7F4A_7C15);
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 7, 0, 0)
        .single()
        .expect("valid date");
    let mut out = Vec::new();
    let mut id = 0;
    let push_reply =
        |out: &mut Vec<Message>, id: &mut usize, seq: &mut Sequence, parent: &Message| {
            let outage = parent.text.to_lowercase().contains("hamburg");
            let lang = parent.language.as_deref().unwrap_or("de");
            let (_, text) = REPLIES
                .iter()
                .find(|(l, t)| *l == lang && (t.contains("Hamburg") == outage))
                .expect("a reply per language");
            *id += 1;
            let mut reply = message(
                *id,
                "FunkwerkMobil".into(),
                lang,
                text.to_string(),
                parent.created_at + Duration::minutes(3 + seq.below(90) as i64),
            );
            reply.direction = Direction::Outbound;
            reply.in_reply_to = Some(parent.external_id.clone());
            out.push(reply);
        };
    // Two quiet days: a message every 20-60 minutes between 07:00 and 22:00.
    let mut at = start;
    while at < start + Duration::days(2) {
        let hour = chrono::Timelike::hour(&at);
        if (7..22).contains(&hour) {
            let (lang, text) = BACKGROUND[seq.below(BACKGROUND.len() as u64) as usize];
            let text = text.replace("{n}", &(5 + seq.below(40)).to_string());
            id += 1;
            let m = message(id, format!("kunde{}", seq.below(400)), lang, text, at);
            let answered = seq.below(10) < 8;
            out.push(m.clone());
            if answered {
                push_reply(&mut out, &mut id, &mut seq, &m);
            }
        }
        at += Duration::minutes(20 + seq.below(40) as i64);
    }
    // The outage, on the third day at 14:05: about 60 customers within 40 minutes.
    let onset = start + Duration::days(2) + Duration::hours(7) + Duration::minutes(5);
    for k in 0..60 {
        let (lang, text) = OUTAGE[k % OUTAGE.len()];
        id += 1;
        let at = onset + Duration::seconds((k as i64) * 40 + seq.below(30) as i64);
        let m = message(id, format!("hh{}", 1000 + k), lang, text.to_string(), at);
        out.push(m.clone());
        if k % 4 == 0 {
            push_reply(&mut out, &mut id, &mut seq, &m);
        }
    }
    out.sort_by(|a, b| {
        a.created_at
            .cmp(&b.created_at)
            .then(a.external_id.cmp(&b.external_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn demo_is_deterministic_and_bilingual() {
        let a = messages();
        assert_eq!(a, messages());
        assert!(a.len() > 100, "{} messages", a.len());
        let langs: HashSet<_> = a.iter().filter_map(|m| m.language.as_deref()).collect();
        assert!(langs.contains("de") && langs.contains("en"));
        let ids: HashSet<_> = a.iter().map(|m| &m.external_id).collect();
        assert_eq!(ids.len(), a.len(), "external ids are unique");
        // every reply points at a message in the set
        for m in a.iter().filter(|m| m.in_reply_to.is_some()) {
            assert!(ids.contains(m.in_reply_to.as_ref().unwrap()));
            assert_eq!(m.direction, Direction::Outbound);
        }
        let outage_customers: HashSet<_> = a
            .iter()
            .filter(|m| m.author.starts_with("hh"))
            .map(|m| &m.author)
            .collect();
        assert!(outage_customers.len() >= 50);
    }
}
