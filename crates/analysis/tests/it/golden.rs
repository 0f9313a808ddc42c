//! Golden cases: one check per analysis and language on the bundled models.

use std::sync::OnceLock;

use analysis::{Analyzer, KeywordTopic};
use model::{Analysis, SentimentLabel};

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(Analyzer::new)
}

fn check(text: &str, expect: impl Fn(&Analysis) -> bool, what: &str) {
    let a = analyzer().analyze(text);
    assert!(expect(&a), "{what}: {text:?} -> {a:#?}");
}

#[test]
fn language() {
    check(
        "Der Zug hat schon wieder Verspätung, das ist nicht mehr lustig.",
        |a| a.language == "de",
        "de",
    );
    check(
        "My flight was delayed again and nobody at the gate could help.",
        |a| a.language == "en",
        "en",
    );
    check(
        "Bonjour, je voudrais un billet pour Paris avec la carte.",
        |a| a.language == "other",
        "fr",
    );
    check("👍👍 12:30", |a| a.language == "other", "no words");
    check(
        "",
        |a| a.language == "other" && a.topics.is_empty(),
        "empty",
    );
}

#[test]
fn insult() {
    check(
        "Ihr seid doch alle komplett unfähige Idioten, ihr Vollpfosten!",
        |a| a.toxicity > 0.5,
        "de insult",
    );
    check(
        "Vielen Dank für die schnelle Hilfe am Schalter heute.",
        |a| a.toxicity < 0.5,
        "de polite",
    );
    check(
        "You idiots lost my bag again, what a bunch of morons",
        |a| a.toxicity > 0.5,
        "en insult",
    );
    check(
        "Thanks for the quick help with my booking",
        |a| a.toxicity < 0.2,
        "en polite",
    );
}

#[test]
fn churn() {
    check(
        "Das war's, ich kündige meine Bahncard. Nie wieder!",
        |a| a.churn > 0.8,
        "de churn",
    );
    check(
        "Ich fahre gerne mit der Bahn nach Hamburg.",
        |a| a.churn == 0.0,
        "de no churn",
    );
    check(
        "Never again @united, I'm switching to Delta.",
        |a| a.churn > 0.8,
        "en churn",
    );
    check(
        "I want to cancel my account today",
        |a| a.churn > 0.8,
        "en cancel",
    );
    check(
        "The flight was fine, see you next time",
        |a| a.churn == 0.0,
        "en no churn",
    );
}

#[test]
fn question() {
    check(
        "Wann fährt der nächste ICE nach Berlin?",
        |a| a.question > 0.8,
        "de question",
    );
    check(
        "Der ICE fährt um 10 Uhr.",
        |a| a.question < 0.3,
        "de statement",
    );
    check(
        "How do I activate my new card",
        |a| a.question >= 0.4,
        "en question opener",
    );
    check(
        "My card arrived today.",
        |a| a.question < 0.3,
        "en statement",
    );
}

#[test]
fn sentiment() {
    check(
        "@DB_Bahn schon wieder 40 Minuten Verspätung und keine Info, einfach nur ärgerlich",
        |a| a.sentiment.label == SentimentLabel::Negative,
        "de negative",
    );
    check(
        "Thank you @SouthwestAir, great crew and an amazing flight! Love it",
        |a| a.sentiment.label == SentimentLabel::Positive,
        "en positive",
    );
    check(
        "@united worst airline ever, cancelled my flight and lost my luggage",
        |a| a.sentiment.label == SentimentLabel::Negative && a.sentiment.confidence > 0.5,
        "en negative",
    );
}

#[test]
fn relevance_topics_urgency_fact() {
    check(
        "Die Klimaanlage im ICE ist ausgefallen, es ist unerträglich heiß im Zug",
        |a| {
            a.relevance > 0.5
                && a.topics.iter().any(|t| {
                    t.label == "Atmosphäre" || t.label == "Zugfahrt" || t.label == "Allgemein"
                })
        },
        "de relevant with topic",
    );
    check(
        "@united my flight was Cancelled Flightled and I am stuck at the airport, I need help urgently!",
        |a| a.urgency > 0.6 && a.topics.iter().any(|t| t.label == "Cancelled Flight"),
        "en urgent cancelled",
    );
    check(
        "I lost my card, someone might have stolen it",
        |a| a.topics.iter().any(|t| t.label == "lost_or_stolen_card"),
        "en banking intent",
    );
    check(
        "Laut Statistischem Bundesamt sind 2019 über 20 Prozent der Züge verspätet gewesen, das ist Fakt.",
        |a| a.fact_claim > 0.5,
        "de fact claim",
    );
}

#[test]
fn keyword_topics_and_bad_input() {
    let a = Analyzer::new().with_keyword_topics(vec![KeywordTopic {
        label: "wlan".into(),
        keywords: vec!["wlan".into(), "wifi*".into()],
    }]);
    let r = a.analyze("Das WLAN im ICE geht mal wieder nicht");
    assert!(
        r.topics.iter().any(|t| t.label == "wlan" && t.score == 1.0),
        "{r:?}"
    );
    let huge = "Verspätung ".repeat(100_000);
    let r = a.analyze(&huge);
    assert_eq!(r.language, "de");
    let r = a.analyze("\u{0}\u{7f}\u{feff}");
    assert_eq!(r.language, "other");
    // Deterministic: the same text gives the same analysis.
    let t = "Schon wieder kein WLAN im Zug, ich kündige!";
    assert_eq!(a.analyze(t), a.analyze(t));
}

#[test]
fn a_thread_s_reused_scratch_gives_what_a_fresh_one_gives() {
    // Real German tweets (GermEval 2018) and English ones, twice over: the second pass meets
    // every word in the stem memo.
    let german = std::fs::read_to_string(crate::shared("germeval2018/germeval2018.training.txt"))
        .expect("GermEval 2018 in ../shared/data");
    let english = [
        "@united my flight was Cancelled Flightled and nobody answers the phone",
        "@JetBlue thanks for the great service, flying with you again next week!",
        "@AmericanAir lost my bags again. Never again, switching to Delta.",
    ];
    let texts: Vec<&str> = german
        .lines()
        .take(400)
        .map(|l| l.split('\t').next().unwrap_or(""))
        .chain(english)
        .collect();
    let a = analyzer();
    for _ in 0..2 {
        for t in &texts {
            let fresh = a.analyze_with(t, &mut analysis::AnalyzerScratch::default());
            assert_eq!(a.analyze(t), fresh, "{t:?}");
        }
    }
}
