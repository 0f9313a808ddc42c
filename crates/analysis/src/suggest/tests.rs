//! Unit tests of the suggestion index on small hand-made cases.

use super::eval::{ReplyJudge, Tally, first_correct};
use super::*;

fn doc(id: &str, kind: DocKind, text: &str, answer: &str, lang: &str, topics: &[&str]) -> Document {
    Document {
        id: id.into(),
        kind,
        text: text.into(),
        answer: answer.into(),
        topics: topics.iter().map(|s| (*s).to_owned()).collect(),
        language: Some(lang.into()),
        brand: None,
    }
}

fn index() -> SuggestIndex {
    SuggestIndex::build(
        vec![
            doc(
                "c1",
                DocKind::Solved,
                "Mein Paket ist seit zwei Wochen nicht angekommen",
                "@kunde1 Bitte schick uns die Sendungsnummer per DM ^AB",
                "de",
                &["lieferung"],
            ),
            doc(
                "c2",
                DocKind::Solved,
                "Paket immer noch nicht da, Lieferung verspätet",
                "@kunde2 Bitte schick uns die Sendungsnummer per DM ^CD",
                "de",
                &["lieferung"],
            ),
            doc(
                "c3",
                DocKind::Solved,
                "Die Rechnung ist doppelt abgebucht worden",
                "Wir erstatten den doppelten Betrag sofort.",
                "de",
                &["rechnung"],
            ),
            doc(
                "c4",
                DocKind::Solved,
                "my card payment was charged twice",
                "We will refund the duplicate charge.",
                "en",
                &["billing"],
            ),
            doc(
                "kb1",
                DocKind::Article,
                "Passwort vergessen? So setzen Sie Ihr Passwort zurück",
                "Unter Einstellungen > Passwort zurücksetzen ...",
                "de",
                &["konto"],
            ),
        ],
        SuggestConfig::default(),
    )
}

fn query(text: &str, lang: &str, topics: &[&str]) -> Query {
    Query {
        text: text.into(),
        topics: topics.iter().map(|s| (*s).to_owned()).collect(),
        language: Some(lang.into()),
        brand: None,
    }
}

#[test]
fn table() {
    let idx = index();
    // (query, language, topics, expected first source)
    let cases: &[(&str, &str, &[&str], &str)] = &[
        ("wo bleibt mein Paket?", "de", &[], "c1"),
        // typo: char n-grams still find it
        ("Pakte nicht angekomen", "de", &[], "c1"),
        ("doppelt abgebucht!!", "de", &[], "c3"),
        ("charged twice for one payment", "en", &[], "c4"),
        ("Ich habe mein Passwort vergessen", "de", &[], "kb1"),
    ];
    for &(text, lang, topics, first) in cases {
        let s = idx.suggest(&query(text, lang, topics), 3);
        assert!(!s.is_empty(), "{text}: nothing");
        assert!(s[0].sources.contains(&first.to_owned()), "{text}: {s:?}");
        assert!(s.windows(2).all(|w| w[0].score >= w[1].score));
    }
}

#[test]
fn equal_answers_pool_into_one_suggestion() {
    let s = index().suggest(&query("Paket nicht angekommen, Lieferung", "de", &[]), 5);
    assert_eq!(s[0].sources.len(), 2, "{s:?}");
    assert!(
        s.iter()
            .filter(|x| x.answer.contains("Sendungsnummer"))
            .count()
            == 1
    );
}

#[test]
fn topic_and_language_bonus_break_ties() {
    let docs = vec![
        doc(
            "a",
            DocKind::Solved,
            "app crashes",
            "answer a",
            "en",
            &["app"],
        ),
        doc(
            "b",
            DocKind::Solved,
            "app crashes",
            "answer b",
            "de",
            &["billing"],
        ),
    ];
    let idx = SuggestIndex::build(docs, SuggestConfig::default());
    assert_eq!(
        idx.suggest(&query("app crashes", "en", &["app"]), 2)[0].answer,
        "answer a"
    );
    assert_eq!(
        idx.suggest(&query("app crashes", "de", &["billing"]), 2)[0].answer,
        "answer b"
    );
}

#[test]
fn brand_filter_and_empty_cases() {
    let mut docs = vec![doc(
        "x",
        DocKind::Solved,
        "refund please",
        "brand X answer",
        "en",
        &[],
    )];
    docs[0].brand = Some("X".into());
    docs.push(doc(
        "y",
        DocKind::Solved,
        "refund please",
        "brand Y answer",
        "en",
        &[],
    ));
    docs[1].brand = Some("Y".into());
    let idx = SuggestIndex::build(docs, SuggestConfig::default());
    let mut q = query("refund please", "en", &[]);
    q.brand = Some("y".into());
    let s = idx.suggest(&q, 5);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].answer, "brand Y answer");
    assert!(idx.suggest(&query("", "en", &[]), 3).is_empty());
    assert!(
        idx.suggest(&query("völlig unbekannte wörter", "de", &[]), 3)
            .is_empty()
    );
    assert!(
        SuggestIndex::build(Vec::new(), SuggestConfig::default())
            .suggest(&q, 3)
            .is_empty()
    );
}

#[test]
fn answer_keys_ignore_mentions_and_signatures() {
    assert_eq!(
        answer_key("@kunde1 Bitte DM! ^AB https://t.co/x"),
        "bitte dm"
    );
    assert_eq!(
        answer_key("@a Thanks, we're on it -JO"),
        "thanks were on it"
    );
}

#[test]
fn tally_and_judge() {
    let mut t = Tally::default();
    for r in [Some(0), Some(2), None, Some(1)] {
        t.add(r);
    }
    let r = t.report();
    assert_eq!((r.n, r.top1, r.top3), (4, 0.25, 0.75));
    assert!((r.mrr - (1.0 + 1.0 / 3.0 + 0.5) / 4.0).abs() < 1e-9);
    let s = index().suggest(&query("Paket fehlt", "de", &[]), 3);
    assert_eq!(
        first_correct(&s, |x| x.answer.contains("erstatten")),
        s.iter().position(|x| x.answer.contains("erstatten"))
    );
    let judge = ReplyJudge::new(
        [
            "@a please DM us your order number ^JS",
            "@b Please send us a DM with your order number and we'll check ^KL",
            "@c The outage in your area is fixed now",
            "@d thanks for the feedback",
        ],
        0.5,
    );
    assert!(judge.same_problem(
        "@x please DM us your order number ^JS",
        "@y Please DM us your order number ^AB"
    ));
    assert!(!judge.same_problem(
        "@x please DM us your order number",
        "@c The outage in your area is fixed now"
    ));
}
