//! The interface's words in German and English. One struct of fields, one constant per
//! language: a template that names a missing word does not compile, and a word added for one
//! language but not the other does not compile either (the macro takes both at once).

use serde::{Deserialize, Serialize};

/// The language a person reads the interface in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::De, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// Parses `de` / `en` (also `de-DE`, `en_GB`, any case).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("de") {
            Some(Lang::De)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first German or English language in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            .next()
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::De => &DE,
            Lang::En => &EN,
        }
    }

    /// The name of the language in itself (for the switch).
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::De => "Deutsch",
            Lang::En => "English",
        }
    }
}

macro_rules! strings {
    ($($key:ident: $de:expr, $en:expr;)*) => {
        /// Every word of the interface; fields are looked up by templates as `s.key`.
        /// Some words are kept for pages still to come; both languages stay complete.
        #[derive(Debug)]
        #[allow(dead_code)]
        pub struct Strings { $(pub $key: &'static str,)* }
        pub static DE: Strings = Strings { $($key: $de,)* };
        pub static EN: Strings = Strings { $($key: $en,)* };
    };
}

strings! {
    app_name: "Kundenversteher", "Kundenversteher";
    skip_to_content: "Zum Inhalt springen", "Skip to content";
    nav_label: "Hauptnavigation", "Main navigation";
    nav_inbox: "Posteingang", "Inbox";
    nav_cases: "Fälle", "Cases";
    nav_alarms: "Alarme", "Alarms";
    nav_front: "Lagebild", "Front row";
    nav_dashboard: "Auswertung", "Dashboard";
    nav_admin: "Verwaltung", "Admin";
    nav_kb: "Wissensdatenbank", "Knowledge base";
    language: "Sprache", "Language";
    switch_language: "Sprache wechseln", "Switch language";
    signed_in_as: "Angemeldet als", "Signed in as";
    role: "Rolle", "Role";
    logout: "Abmelden", "Sign out";
    login: "Anmelden", "Sign in";
    login_title: "Anmeldung", "Sign in";
    username: "Benutzername", "User name";
    password: "Passwort", "Password";
    login_failed: "Benutzername oder Passwort ist falsch.", "User name or password is wrong.";
    csrf_failed: "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu.", "The form has expired. Please reload the page.";
    forbidden: "Dafür fehlt Ihrer Rolle die Berechtigung.", "Your role is not allowed to do this.";
    not_found: "Nicht gefunden.", "Not found.";
    server_error: "Ein interner Fehler ist aufgetreten; er wurde protokolliert.", "An internal error occurred; it has been logged.";
    role_agent: "Sachbearbeitung", "Agent";
    role_lead: "Teamleitung", "Lead";
    role_executive: "Geschäftsleitung", "Executive";
    role_admin: "Administration", "Admin";

    inbox_title: "Posteingang", "Inbox";
    inbox_sorted: "Sortiert nach Priorität, dringendste zuerst.", "Sorted by priority, most urgent first.";
    inbox_sorted_due: "Sortiert nach Antwortfrist, früheste zuerst; ohne laufende Frist danach, neueste zuerst.", "Sorted by response target, due soonest first; those without a running target follow, newest first.";
    inbox_sorted_age: "Sortiert nach letzter Aktivität, älteste zuerst.", "Sorted by last activity, oldest first.";
    sort_by: "Sortierung", "Sort by";
    sort_priority: "Priorität", "Priority";
    sort_due: "Antwortfrist", "Response due";
    sort_age: "Älteste zuerst", "Oldest first";
    filters: "Filter", "Filters";
    apply_filters: "Filtern", "Apply";
    reset_filters: "Zurücksetzen", "Reset";
    any: "alle", "any";
    state: "Status", "State";
    channel: "Kanal", "Channel";
    sentiment: "Stimmung", "Sentiment";
    topic: "Thema", "Topic";
    case: "Fall", "Case";
    team: "Team", "Team";
    assignee: "Zuständig", "Assignee";
    sla_status: "Antwortfrist", "Response target";
    sla_ok: "im Rahmen", "on track";
    sla_warning: "läuft bald ab", "due soon";
    sla_breached: "überschritten", "breached";
    sla_none: "keine Frist", "no target";
    sla_paused: "angehalten", "paused";
    time_left: "Zeit bis zur Antwortfrist", "Time left to respond";
    overdue_by: "überfällig seit", "overdue by";
    priority: "Priorität", "Priority";
    customer: "Kunde", "Customer";
    last_message: "Letzte Nachricht", "Last message";
    messages: "Nachrichten", "Messages";
    no_conversations: "Keine Gespräche für diese Auswahl.", "No conversations match.";
    live_updates: "Neue Nachrichten sind eingegangen.", "New messages have arrived.";
    reload: "Neu laden", "Reload";
    next_page: "Weitere", "More";
    unassigned: "niemand", "nobody";
    state_open: "offen", "open";
    state_pending: "wartend", "pending";
    state_solved: "gelöst", "solved";
    state_closed: "geschlossen", "closed";
    sentiment_negative: "negativ", "negative";
    sentiment_neutral: "neutral", "neutral";
    sentiment_positive: "positiv", "positive";
    badge_toxic: "beleidigend", "toxic";
    badge_fact: "Tatsachenbehauptung", "fact claim";
    badge_churn: "will kündigen", "churn intent";
    badge_public: "öffentlich", "public";
    badge_private: "privat", "private";

    conversation_title: "Gespräch", "Conversation";
    thread: "Verlauf", "Thread";
    inbound: "vom Kunden", "from customer";
    outbound: "von uns", "from us";
    internal_note: "Interne Notiz", "Internal note";
    other_conversations: "Weitere Gespräche dieses Kunden", "This customer's other conversations";
    none_other: "Keine weiteren Gespräche.", "No other conversations.";
    analysis: "Analyse", "Analysis";
    language_label: "Sprache", "Language";
    toxicity: "Beleidigung", "Toxicity";
    fact_claim: "Tatsachenbehauptung", "Fact claim";
    churn: "Abwanderung", "Churn intent";
    urgency: "Dringlichkeit", "Urgency";
    correct_label: "Stimmung korrigieren", "Correct sentiment";
    correct_save: "Korrektur speichern", "Save correction";
    corrected: "Korrektur gespeichert; sie dient als Trainingsbeispiel.", "Correction saved; it is kept as training data.";
    suggestions: "Antwortvorschläge", "Suggested answers";
    no_suggestions: "Keine ähnlichen gelösten Gespräche gefunden.", "No similar solved conversations found.";
    canned: "Textbausteine", "Canned responses";
    insert: "Einfügen", "Insert";
    score: "Ähnlichkeit", "Similarity";
    reply: "Antworten", "Reply";
    reply_text: "Antworttext", "Reply text";
    send_reply: "Antwort senden", "Send reply";
    note_text: "Notiz (nur intern sichtbar)", "Note (internal only)";
    add_note: "Notiz speichern", "Save note";
    assign: "Zuweisen", "Assign";
    assign_to: "Zuweisen an", "Assign to";
    change_state: "Status ändern", "Change state";
    save: "Speichern", "Save";
    create_kb: "Als Wissensartikel übernehmen", "Create knowledge-base article";
    kb_title_label: "Titel", "Title";
    kb_body_label: "Antwort", "Answer";
    replied: "Antwort gespeichert.", "Reply saved.";
    saved: "Gespeichert.", "Saved.";

    cases_title: "Fälle", "Cases";
    cases_intro: "Gruppen gleichartiger Nachrichten verschiedener Kunden.", "Groups of similar messages from different customers.";
    distinct_customers: "Kunden", "Customers";
    trend: "Verlauf", "Trend";
    first_seen: "Zuerst", "First seen";
    last_seen: "Zuletzt", "Last seen";
    member_messages: "Nachrichten in diesem Fall", "Messages in this case";
    no_cases: "Noch keine Fälle.", "No cases yet.";

    alarms_title: "Alarme", "Alarms";
    alarms_intro: "Frühwarnung: plötzlich mehr (negative) Nachrichten zu einem Thema als üblich.", "Early warning: suddenly more (negative) messages about a topic than usual.";
    current_alarms: "Aktuelle Alarme", "Current alarms";
    past_alarms: "Frühere Alarme", "Past alarms";
    severity: "Schwere", "Severity";
    volume: "Volumen", "Volume";
    baseline: "Normalwert", "Baseline";
    started: "Beginn", "Started";
    acknowledge: "Bestätigen", "Acknowledge";
    acknowledged_by: "bestätigt von", "acknowledged by";
    no_alarms: "Keine aktuellen Alarme.", "No current alarms.";
    chart_volume_baseline: "Nachrichten je Zeitfenster gegen den Normalwert", "Messages per window against the baseline";

    front_title: "Lagebild für die Geschäftsleitung", "Executive front row";
    critical_today: "Kritische Gespräche heute", "Critical conversations today";
    open_alarms: "Offene Alarme", "Open alarms";
    figures: "Kennzahlen", "Figures";
    definition: "Definition", "Definition";
    response_rate: "Antwortquote", "Response rate";
    first_response_median: "Erste Antwort (Median)", "First response (median)";
    first_response_p90: "Erste Antwort (90. Perzentil)", "First response (90th percentile)";
    satisfaction: "Zufriedenheit (Näherung)", "Satisfaction (proxy)";
    lost_customers: "Verlorene Kunden", "Lost customers";
    inbound_conversations: "Eingehende Gespräche", "Inbound conversations";
    method: "Methode", "Method";

    dashboard_title: "Auswertung", "Dashboard";
    by_sentiment: "Volumen nach Stimmung", "Volume by sentiment";
    by_channel: "Volumen nach Kanal", "Volume by channel";
    response_distribution: "Verteilung der ersten Antwortzeit", "First-response time distribution";
    chart_table: "Werte als Tabelle", "Values as a table";

    admin_title: "Verwaltung", "Administration";
    users: "Benutzer", "Users";
    teams: "Teams und Fähigkeiten", "Teams and skills";
    skills: "Fähigkeiten", "Skills";
    routing_rules: "Weiterleitungsregeln", "Routing rules";
    sla_policies: "Antwortfristen", "Response-time policies";
    webhooks: "Webhooks", "Webhooks";
    api_tokens: "API-Schlüssel", "API tokens";
    name: "Name", "Name";
    scopes: "Rechte", "Scopes";
    created: "Angelegt", "Created";
    add_user: "Benutzer anlegen", "Add user";
    create_token: "Schlüssel erzeugen", "Create token";
    token_once: "Dieser Schlüssel wird nur jetzt angezeigt:", "This token is shown only now:";
    url: "Adresse", "URL";
    events: "Ereignisse", "Events";
    first_response: "Erste Antwort", "First response";
    resolution: "Lösung", "Resolution";
    condition: "Bedingung", "Condition";
    target: "Ziel", "Target";
    members: "Mitglieder", "Members";
    capacity: "Kapazität", "Capacity";
    none_yet: "Noch keine Einträge.", "Nothing here yet.";
    workflow_version: "Stand der Ablaufregeln: Version", "Workflow rules: version";
    no_workflow: "Noch keine Ablaufregeln gespeichert. Legen Sie zuerst ein Team an; es wird das Standard-Team.", "No workflow rules saved yet. Add a team first; it becomes the default team.";
    team_id: "Kennung", "Id";
    add_team: "Team anlegen oder ändern", "Add or change a team";
    topics: "Themen", "Topics";
    languages: "Sprachen", "Languages";
    channels: "Kanäle", "Channels";
    brands: "Marken", "Brands";
    comma_separated: "durch Kommas getrennt", "separated by commas";
    add_member: "Mitglied hinzufügen oder ändern", "Add or change a member";
    presence: "Anwesenheit", "Presence";
    presence_online: "anwesend", "online";
    presence_away: "in Pause", "away";
    presence_offline: "abgemeldet", "offline";
    remove: "Entfernen", "Remove";
    move_up: "Nach oben", "Move up";
    move_down: "Nach unten", "Move down";
    default_team: "Standard-Team", "Default team";
    is_default_team: "Standard", "default";
    by_skill: "Nach Fähigkeiten verteilen, wenn keine Regel passt", "Route by skills when no rule matches";
    routing_intro: "Die erste passende Regel entscheidet; leere Felder passen immer.", "The first matching rule wins; empty fields match anything.";
    add_rule: "Regel anlegen oder ändern (gleicher Name ersetzt)", "Add or change a rule (same name replaces)";
    rule_order: "Reihenfolge", "Order";
    position: "Position (leer: ans Ende)", "Position (empty: last)";
    visibility: "Sichtbarkeit", "Visibility";
    min_negativity: "Negativität ab (0–1)", "Negativity at least (0–1)";
    min_toxicity: "Beleidigung ab (0–1)", "Toxicity at least (0–1)";
    min_urgency: "Dringlichkeit ab (0–1)", "Urgency at least (0–1)";
    always: "immer", "always";
    add_policy: "Frist anlegen oder ändern (gleicher Name ersetzt)", "Add or change a policy (same name replaces)";
    priorities: "Prioritäten", "Priorities";
    prio_low: "niedrig", "low";
    prio_normal: "normal", "normal";
    prio_high: "hoch", "high";
    prio_urgent: "dringend", "urgent";
    negative: "Negativ", "Negative";
    yes: "ja", "yes";
    no: "nein", "no";
    calendar: "Kalender", "Calendar";
    calendar_always: "rund um die Uhr", "around the clock";
    calendar_office: "Bürozeiten (Mo–Fr 8–18, Feiertage)", "office hours (Mon–Fri 8–18, holidays)";
    next_response: "Nächste Antwort", "Next response";
    minutes: "Minuten", "minutes";
    warn_before: "Warnen vor Ablauf", "Warn before due";
    sla_intro: "Die erste passende Frist gilt; Minuten zählen im gewählten Kalender.", "The first matching policy applies; minutes count in the chosen calendar.";
    builtin_policies: "Es gelten die eingebauten Fristen; eine eigene Frist ersetzt sie alle.", "The built-in policies apply; a policy of your own replaces them all.";
    calendars_title: "Geschäftszeiten-Kalender", "Business-hours calendars";
    calendars_intro: "Antwortfristen zählen nur in den offenen Zeiten ihres Kalenders. Eingebaut sind „always“ (rund um die Uhr) und „office“ (Mo–Fr 8–18 Uhr Europe/Berlin, bundesweite Feiertage); ein eigener Kalender gleichen Namens ersetzt sie.", "Response targets count only the open hours of their calendar. Built in are “always” (around the clock) and “office” (Mon–Fri 8–18 Europe/Berlin, German nationwide holidays); a calendar of your own with the same name replaces them.";
    add_calendar: "Kalender anlegen oder ändern (gleicher Name ersetzt)", "Add or change a calendar (same name replaces)";
    time_zone: "Zeitzone", "Time zone";
    opening_hours: "Öffnungszeiten", "Opening hours";
    hours_hint: "z. B. Mo-Fr 08:00-18:00; Sa 10:00-14:00", "e.g. Mon-Fri 08:00-18:00; Sat 10:00-14:00";
    holidays: "Geschlossene Tage", "Closed days";
    dates_hint: "JJJJ-MM-TT, durch Kommas getrennt", "YYYY-MM-DD, separated by commas";
    public_holidays: "Gesetzliche Feiertage", "Public holidays";
    public_holidays_de: "bundesweite deutsche Feiertage", "German nationwide holidays";
    none_label: "keine", "none";
    weekdays_short: "Mo Di Mi Do Fr Sa So", "Mon Tue Wed Thu Fri Sat Sun";
    invalid_time_zone: "unbekannte Zeitzone (IANA-Name wie Europe/Berlin)", "unknown time zone (an IANA name such as Europe/Berlin)";
    invalid_hours: "Tage und Uhrzeiten wie „Mo-Fr 08:00-18:00; Sa 10:00-14:00“ (Beginn vor Ende)", "days and times like “Mon-Fri 08:00-18:00; Sat 10:00-14:00” (start before end)";
    invalid_date: "ein Datum wie 2026-12-24", "a date such as 2026-12-24";
    escalation_title: "Eskalation", "Escalation";
    escalation_intro: "Jede Stufe wird je Gespräch und Frist einmal ausgelöst, in dieser Reihenfolge: bei der Warnung vor Ablauf oder bei Überschreitung (optional erst Minuten danach). Ohne Stufen wird niemand benachrichtigt.", "Each step fires once per conversation and target, in this order: at the warning before the target is due or when it is breached (optionally some minutes later). Without steps nobody is told.";
    add_step: "Stufe hinzufügen", "Add a step";
    notify: "Benachrichtigen", "Notify";
    trigger: "Auslöser", "Trigger";
    stage_warning: "Warnung vor Ablauf", "warning before due";
    stage_breach: "Frist überschritten", "target breached";
    after_minutes: "Minuten nach Überschreitung", "Minutes after the breach";
    after_only_breach: "nur bei „Frist überschritten“ möglich", "only possible with “target breached”";
    executives_title: "Geschäftsleitung", "Executives";
    executives_intro: "Diese Personen erreicht die Stufe „Geschäftsleitung“.", "The “Executive” step tells these people.";
    add_executive: "Person hinzufügen oder ändern", "Add or change a person";
    add_webhook: "Webhook hinzufügen", "Add a webhook";
    secret_optional: "Signatur-Geheimnis (leer: wird erzeugt)", "Signing secret (empty: generated)";
    webhook_secret_once: "Das Signatur-Geheimnis wird nur jetzt angezeigt:", "The signing secret is shown only now:";
    created_by: "Angelegt von", "Created by";
    not_saved: "Nicht gespeichert:", "Not saved:";
    config_stale: "Die Ablaufregeln wurden inzwischen geändert; bitte laden Sie die Seite neu.", "The workflow rules were changed meanwhile; please reload the page.";
    field_missing: "fehlt", "is missing";
    field_too_long: "zu lang oder ungültige Zeichen", "too long or invalid characters";
    invalid_minutes: "eine ganze Zahl von Minuten (1 bis 525600)", "a whole number of minutes (1 to 525600)";
    invalid_share: "eine Zahl von 0 bis 1", "a number from 0 to 1";
    invalid_capacity: "eine ganze Zahl von 0 bis 1000", "a whole number from 0 to 1000";
    invalid_choice: "ungültige Auswahl", "invalid choice";
    invalid_user_name: "1–64 Buchstaben, Ziffern, . _ - oder @", "1-64 letters, digits, . _ - or @";

    kb_title: "Wissensdatenbank", "Knowledge base";
    kb_intro: "Antworten auf häufige Fragen, ohne Anmeldung.", "Answers to common questions, no sign-in needed.";
    search: "Suchen", "Search";
    search_label: "Suchbegriff", "Search terms";
    results_for: "Ergebnisse für", "Results for";
    no_results: "Nichts gefunden.", "Nothing found.";
    back_to_kb: "Zurück zur Übersicht", "Back to the overview";
    category: "Kategorie", "Category";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_first_supported() {
        assert_eq!(
            Lang::from_accept_language("fr-FR,en-GB;q=0.8,de;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(
            Lang::from_accept_language("de-AT, en;q=0.9"),
            Some(Lang::De)
        );
        assert_eq!(Lang::from_accept_language("fr"), None);
    }

    #[test]
    fn both_languages_differ_where_words_differ() {
        assert_eq!(Lang::De.strings().nav_inbox, "Posteingang");
        assert_eq!(Lang::En.strings().nav_inbox, "Inbox");
    }
}
