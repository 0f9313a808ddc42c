//! Case grouping on small hand-made streams.

use chrono::{DateTime, Duration};
use model::analysis::Scored;
use model::{Analysis, Direction, Labels, Message, SentimentLabel, Visibility};

use super::*;
use crate::text::Lang;

fn msg(i: i64, author: &str, text: &str) -> Message {
    Message {
        channel: "twitter".into(),
        external_id: format!("m{i}"),
        author: author.into(),
        author_name: None,
        text: text.into(),
        created_at: DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::minutes(i),
        in_reply_to: None,
        direction: Direction::Inbound,
        visibility: Visibility::Public,
        language: None,
        brand: None,
        labels: Labels::new(),
        raw: None,
    }
}

fn group(texts: &[&str]) -> (Casebook, Vec<usize>) {
    let mut book = Casebook::with_archive(CaseConfig::default());
    let filler = [
        "Der Zug war heute pünktlich, danke an das Team",
        "Wann fährt der nächste Bus nach Hamburg?",
        "Das Essen im Bordbistro war lecker",
        "Ich suche eine Verbindung nach München morgen früh",
        "Schönes Wetter heute in Berlin",
        "Hat jemand Erfahrung mit der Bahncard 50?",
        "Gute Fahrt allen Pendlern",
        "Mein Koffer ist zu schwer für die Gepäckablage",
    ];
    for (i, f) in filler.iter().enumerate() {
        book.add(&msg(i as i64, &format!("f{i}"), f), None);
    }
    let assigned = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            book.add(&msg(100 + i as i64, &format!("c{i}"), t), None)
                .case
        })
        .collect();
    (book, assigned)
}

#[test]
fn near_duplicates_share_a_case() {
    let (book, a) = group(&[
        "RE30 fällt heute schon wieder aus, keine Information am Bahnsteig in Köln",
        "RE30 fällt heute schon wieder aus!! keine Information am Bahnsteig in Köln",
        "Die Klimaanlage im ICE ist kaputt, es ist unerträglich heiß",
    ]);
    assert_eq!(a[0], a[1]);
    assert_ne!(a[0], a[2]);
    let case = book.case(a[0]).unwrap();
    assert_eq!(case.size, 2);
    assert_eq!(case.customers, 2);
    assert_eq!(case.messages, vec!["m100", "m101"]);
    assert_eq!(case.samples.len(), 2);
}

/// A stream casebook groups exactly as a batch one, keeping no member ids or samples.
#[test]
fn a_stream_casebook_groups_as_a_batch_one_without_member_lists() {
    let texts = [
        "RE30 fällt heute schon wieder aus, keine Information am Bahnsteig in Köln",
        "RE30 fällt heute schon wieder aus!! keine Information am Bahnsteig in Köln",
        "Schon wieder Ausfall beim RE30, wie soll ich zur Arbeit kommen",
        "Die Klimaanlage im ICE ist kaputt, es ist unerträglich heiß",
    ];
    let mut batch = Casebook::with_archive(CaseConfig::default());
    let mut stream = Casebook::new(CaseConfig::default());
    for (i, t) in texts.iter().enumerate() {
        let m = msg(i as i64, &format!("c{i}"), t);
        assert_eq!(batch.add(&m, None), stream.add(&m, None));
    }
    let (b, s): (Vec<&Case>, Vec<&Case>) = (batch.cases().collect(), stream.cases().collect());
    assert_eq!(b.len(), s.len());
    for (b, s) in b.iter().zip(&s) {
        assert!(s.messages.is_empty() && s.samples.is_empty());
        assert_eq!(b.messages.len() as u64, b.size);
        let lean = Case {
            messages: Vec::new(),
            samples: Vec::new(),
            ..(*b).clone()
        };
        assert_eq!(&lean, *s);
    }
    assert_eq!(stream.footprint().live_members, texts.len());
}

#[test]
fn salient_terms_group_varied_reports_of_one_problem() {
    let (book, a) = group(&[
        "RE30 Ausfall in Köln, wieder mal",
        "Schon wieder Ausfall beim RE30, wie soll ich zur Arbeit kommen",
        "RE30 Ausfall seit einer Stunde, Pendler stehen am Gleis",
        "Mein Ticket lässt sich in der App nicht öffnen",
    ]);
    assert_eq!(a[0], a[1]);
    assert_eq!(a[1], a[2]);
    assert_ne!(a[2], a[3]);
    let label = &book.case(a[0]).unwrap().label;
    assert!(label.contains("re30"), "{label}");
}

#[test]
fn same_input_order_gives_same_cases() {
    let texts = [
        "RE30 Ausfall in Köln, wieder mal",
        "Schon wieder Ausfall beim RE30",
        "App stürzt beim Ticketkauf ab",
        "Die App stürzt ab beim Ticketkauf, super",
    ];
    let (a, x) = group(&texts);
    let (b, y) = group(&texts);
    assert_eq!(x, y);
    assert_eq!(a.cases().collect::<Vec<_>>(), b.cases().collect::<Vec<_>>());
}

#[test]
fn old_cases_take_no_new_members() {
    let mut book = Casebook::new(CaseConfig::default());
    let a = book.add(
        &msg(
            0,
            "a",
            "RE30 fällt heute schon wieder aus, keine Information",
        ),
        None,
    );
    let later = msg(
        10 * 24 * 60,
        "b",
        "RE30 fällt heute schon wieder aus, keine Information",
    );
    let b = book.add(&later, None);
    assert_ne!(a.case, b.case);
    assert!(b.new_case);
}

#[test]
fn one_shared_rare_word_is_not_a_case_but_one_shared_code_is() {
    let (_, a) = group(&[
        "Gestern im Zug nach Hamburg gab es Schnitzel mit Pommes",
        "Mein Nachbar kocht Schnitzel am Sonntag für die Familie",
        "ICE598 steht seit einer Stunde vor Fulda",
        "Warum gibt es im ICE598 kein WLAN",
    ]);
    // "schnitzel" alone (a rare word) does not make two unrelated texts a case ...
    assert_ne!(a[0], a[1]);
    // ... but the same train number does.
    assert_eq!(a[2], a[3]);
}

/// A new case in the state of a retired one (kept for its capacity) starts as empty as one in
/// a fresh casebook: the same summary.
#[test]
fn a_recycled_case_state_starts_empty() {
    let first = [
        "RE30 fällt heute schon wieder aus, keine Information am Bahnsteig in Köln",
        "RE30 fällt heute schon wieder aus!! keine Information am Bahnsteig in Köln",
    ];
    let later = ["Die Klimaanlage im ICE 598 ist kaputt, es ist unerträglich heiß"];
    let day = 24 * 60;
    let mut recycled = Casebook::with_archive(CaseConfig::default());
    for (i, t) in first.iter().enumerate() {
        let mut m = msg(i as i64, &format!("a{i}"), t);
        m.channel = "facebook".into();
        m.labels.insert("topic".into(), "Zugfahrt".into());
        recycled.add(&m, None);
    }
    let mut fresh = Casebook::with_archive(CaseConfig::default());
    let mut got = Vec::new();
    for (i, t) in later.iter().enumerate() {
        let m = msg(10 * day + i as i64, &format!("b{i}"), t);
        let a = recycled.add(&m, None);
        // (The fresh book has not seen the first messages: compare the summaries only.)
        let b = fresh.add(&m, None);
        assert_eq!(
            (a.new_case, a.near_duplicate),
            (b.new_case, b.near_duplicate)
        );
        got.push(a.case);
    }
    assert_eq!(recycled.footprint().retired_cases, 1);
    assert_eq!(
        recycled.states.len(),
        1,
        "the retired case's state was reused"
    );
    let case = recycled.case(got[0]).unwrap();
    let want = fresh.case(0).unwrap();
    assert_eq!(case.case_id, "case-2");
    assert_eq!(
        Case {
            case_id: want.case_id.clone(),
            label: want.label.clone(),
            ..case.clone()
        },
        *want
    );
    assert!(case.channels.keys().all(|c| c == "twitter"));
    assert!(case.topics.is_empty());
}

#[test]
fn cases_retire_after_the_window_and_numbers_are_not_reused() {
    for archive in [false, true] {
        let config = CaseConfig::default();
        let mut book = if archive {
            Casebook::with_archive(config)
        } else {
            Casebook::new(config)
        };
        let text = "RE30 fällt heute schon wieder aus, keine Information am Bahnsteig";
        let a = book.add(&msg(0, "a", text), None);
        let b = book.add(&msg(1, "b", text), None);
        assert_eq!(a.case, b.case);
        assert!(book.is_live("case-1"));
        let later = book.add(
            &msg(10 * 24 * 60, "c", "Die Klimaanlage im ICE ist kaputt"),
            None,
        );
        assert_eq!(later.case, 1, "numbers are never reused");
        assert!(!book.is_live("case-1"));
        assert!(book.is_live("case-2"));
        let f = book.footprint();
        assert_eq!((f.live_cases, f.retired_cases, f.live_members), (1, 1, 1));
        assert_eq!(book.len(), 2);
        if archive {
            assert_eq!(book.case(a.case).map(|c| c.size), Some(2));
            let ids: Vec<&str> = book.cases().map(|c| c.case_id.as_str()).collect();
            assert_eq!(ids, ["case-1", "case-2"]);
        } else {
            assert!(book.case(a.case).is_none());
            assert_eq!(book.cases().count(), 1);
        }
    }
}

fn with_topics(topics: &[&str]) -> Analysis {
    Analysis {
        relevance: 1.0,
        sentiment: model::Sentiment {
            label: SentimentLabel::Negative,
            confidence: 1.0,
        },
        topics: topics
            .iter()
            .map(|t| Scored {
                label: (*t).into(),
                score: 1.0,
            })
            .collect(),
        ..Analysis::blank("de", "test")
    }
}

#[test]
fn shared_words_of_another_topic_do_not_join_but_a_shared_code_does() {
    let mut book = Casebook::new(CaseConfig::default());
    let wlan = with_topics(&["Connectivity"]);
    let late = with_topics(&["Zugfahrt"]);
    let a = book.add(
        &msg(
            0,
            "a",
            "Schon wieder Stellwerksstörung Kassel, Anschluss verpasst",
        ),
        Some(&late),
    );
    // the same salient words, but the analysis puts it under another topic
    let b = book.add(
        &msg(
            1,
            "b",
            "Stellwerksstörung Kassel und das WLAN im Anschluss ist auch tot",
        ),
        Some(&wlan),
    );
    assert_ne!(a.case, b.case);
    // the same words and topic join
    let c = book.add(
        &msg(
            2,
            "c",
            "Stellwerksstörung Kassel, wieder mal Anschluss verpasst",
        ),
        Some(&late),
    );
    assert_eq!(a.case, c.case);
    // a shared code joins whatever the topics say
    let d = book.add(&msg(3, "d", "ICE598 steht seit einer Stunde"), Some(&late));
    let e = book.add(&msg(4, "e", "Im ICE598 ist das WLAN kaputt"), Some(&wlan));
    assert_eq!(d.case, e.case);
}

#[test]
fn live_set_tracks_numbers_and_drops_empty_words() {
    let mut set = LiveSet::default();
    for n in 0..2200 {
        set.insert(n);
    }
    for n in 0..1100 {
        set.remove(n);
    }
    assert!(!set.contains(1099) && set.contains(1100) && set.contains(2199));
    assert!(!set.contains(2200) && !set.contains(5));
    assert_eq!(set.base, 0, "17 empty words of 35 wait");
    for n in 1100..1200 {
        set.remove(n);
    }
    assert!(!set.contains(1199) && set.contains(1200) && set.contains(2199));
    assert_eq!(set.base, 1152, "18 empty words of 35 are dropped");
    for n in 1200..2200 {
        set.remove(n);
    }
    assert!(set.words.is_empty());
    set.insert(1000);
    assert!(set.contains(1000) && !set.contains(999));
}

/// Entries of retired cases stay in the term and band lists until a clean-up and are
/// skipped when read: over a long stream with thousands of retirements, the lazy book
/// groups every message exactly as one that drops them at once.
#[test]
fn lazily_dropped_entries_group_exactly_like_eager_removal() {
    let words: Vec<String> = (0..60).map(|i| format!("wort{i}x")).collect();
    let mut seed = 7u64;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    let mut lazy = Casebook::new(CaseConfig::default());
    let mut eager = Casebook::new(CaseConfig::default());
    let mut minute = 0i64;
    for i in 0..20_000 {
        minute += next(2) as i64;
        // common words (their term lists overflow) and one of many subjects
        let mut text: Vec<String> = (0..2 + next(4))
            .map(|_| words[next(words.len())].clone())
            .collect();
        let subject = next(300);
        text.push(format!("thema{subject}a thema{subject}b"));
        if next(3) == 0 {
            text.push(format!("RE{}", next(40)));
        }
        let m = msg(minute, &format!("k{}", next(500)), &text.join(" "));
        let retired = eager.retired();
        let (a, b) = (lazy.add(&m, None), eager.add(&m, None));
        if eager.retired() != retired {
            eager.drop_retired_entries();
        }
        assert_eq!(a, b, "message {i}: {}", m.text);
    }
    let (f, g) = (lazy.footprint(), eager.footprint());
    assert!(f.retired_cases > 1000, "{f:?}");
    assert_eq!(
        (f.index_entries, f.band_entries),
        (g.index_entries, g.band_entries)
    );
    assert!(
        f.live_members > f.live_cases + f.live_cases / 4,
        "messages were grouped: {f:?}"
    );
    assert!(f.held_entries >= f.index_entries + f.band_entries, "{f:?}");
}

/// A term's list holds a long-lived case behind many newer cases that have retired since:
/// reads skip the retired entries (not yet dropped), so the live case is still among the
/// candidates read per term.
#[test]
fn retired_entries_do_not_crowd_a_live_case_out_of_a_term_list() {
    let mut book = Casebook::new(CaseConfig::default());
    let day = 24 * 60;
    let mut live_case = None;
    for d in 0..30i64 {
        // other traffic (one case: near duplicates)
        for f in 0..300 {
            book.add(&msg(d * day + f, "f", "fuellerx textx sonstx nochx"), None);
        }
        // one customer a day mentions the product in passing: a case of its own each
        book.add(
            &msg(
                d * day + 100,
                &format!("s{d}"),
                &format!("wortax einzel{d}x anders{d}x"),
            ),
            None,
        );
        // and a steady few report one problem every two hours: one long-lived case
        for h in 0..12 {
            let text = "wortax wortbx";
            let a = book.add(&msg(d * day + 110 + h * 120, &format!("l{h}"), text), None);
            match live_case {
                None => live_case = Some(a.case),
                Some(c) => assert_eq!(a.case, c, "day {d}, hour {h}"),
            }
        }
    }
    assert!(
        book.retired() >= 25,
        "the daily cases retired: {}",
        book.retired()
    );
    let f = book.footprint();
    assert!(
        f.held_entries > f.index_entries + 20,
        "not dropped yet: {f:?}"
    );
}

/// A storm's reports share its code (a train, a flight), and some of them also share other
/// codes with older cases and join those. Each such report makes the storm's code less rare
/// outside its case; the case must stay the place for the rest of the storm.
#[test]
fn a_storm_stays_one_case_when_some_reports_join_older_cases() {
    let mut book = Casebook::new(CaseConfig::default());
    let mut i = 0i64;
    let mut add = |book: &mut Casebook, author: String, text: String| {
        i += 1;
        book.add(&msg(i, &author, &text), None).case
    };
    // Background with its own vocabulary, and eight older cases, each two reports sharing a
    // line and a hashtag.
    for k in 0..80 {
        add(
            &mut book,
            format!("b{k}"),
            format!("hintergrund{k} beitrag{k} thema{k} text{k}"),
        );
    }
    let mut older = Vec::new();
    for k in 0..8 {
        let first = add(
            &mut book,
            format!("o{k}a"),
            format!("RE{k} #störung{k} morgens"),
        );
        let second = add(
            &mut book,
            format!("o{k}b"),
            format!("RE{k} #störung{k} abends"),
        );
        assert_eq!(first, second);
        older.push(first);
    }
    // The storm: 48 reports naming ICE598 in varied words; every sixth also names an older
    // case's line and hashtag and goes there.
    let mut storm = Vec::new();
    let mut leaked = 0;
    for k in 0..48 {
        let words = format!("anliegen{k} beschwerde{k} erlebnis{k} frage{k}");
        if k % 6 == 5 {
            let o = leaked % 8;
            let case = add(
                &mut book,
                format!("s{k}"),
                format!("ICE598 RE{o} #störung{o} {words}"),
            );
            assert_eq!(case, older[o], "report {k} joins the older case");
            leaked += 1;
        } else {
            storm.push(add(&mut book, format!("s{k}"), format!("ICE598 {words}")));
        }
    }
    assert_eq!(leaked, 8);
    assert!(
        storm.iter().all(|&c| c == storm[0]),
        "the storm split: {storm:?}"
    );
    assert_eq!(book.case(storm[0]).unwrap().size, 40);
}

#[test]
fn remembered_word_forms_give_the_terms_stemming_gives() {
    let tokenizer = Tokenizer::new();
    let mut scratch = terms::Scratch::default();
    let mut p = terms::Profile::default();
    let mut vocab = terms::Vocabulary::default();
    let texts = [
        (
            "Die Züge fallen aus, alle Verbindungen gestrichen, Zugverbindungsausfälle überall",
            Lang::De,
        ),
        (
            "Flights cancelled again, all connections cancelled",
            Lang::En,
        ),
        // The same forms again (remembered), and in the other language (other stems).
        ("Verbindungen gestrichen, Züge fallen aus", Lang::De),
        ("connections cancelled flights", Lang::En),
        ("connections cancelled flights", Lang::De),
        ("RE30 #bahnchaos 4711 Verspätungen", Lang::De),
    ];
    for round in 0..2 {
        for (now, &(text, lang)) in texts.iter().enumerate() {
            terms::profile_into(
                &tokenizer,
                &mut scratch,
                &mut vocab,
                (text, lang),
                48,
                now as i64,
                &mut p,
            );
            let got: Vec<u64> = p
                .terms
                .iter()
                .map(|&t| vocab.terms[t as usize].hash)
                .collect();
            // The reference: stem every token in its language, key words by stem and
            // identifiers as written.
            let mut want: Vec<u64> = Vec::new();
            for t in tokenizer.tokenize(text, lang).iter() {
                if let Some(identifier) = terms::content(t.kind, t.text) {
                    let key = if identifier { t.text } else { t.stem };
                    let h = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
                    if !want.contains(&h) {
                        want.push(h);
                    }
                }
            }
            assert_eq!(got, want, "round {round}: {text}");
        }
        // Forgetting every term drops its remembered forms: the next round interns afresh.
        if round == 0 {
            let held = vec![false; vocab.terms.len()];
            vocab.forget(i64::MAX, &held, 0);
            assert_eq!(vocab.len(), 0);
        }
    }
}

/// A case's customer set counts each author once, the first as well as the others.
#[test]
fn customers_are_counted_once_each() {
    let mut customers = Customers::default();
    let mut reference = std::collections::HashSet::new();
    let mut state = 7u64;
    for _ in 0..2000 {
        // A few authors, some of them often (the first one included).
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let author = (state >> 33) % 50;
        assert_eq!(
            customers.insert(author),
            reference.insert(author),
            "{author}"
        );
    }
    assert_eq!(reference.len(), 50);
}

/// The packed stop-word lookup agrees with the list on every word of some text, on the list
/// itself and on near misses.
#[test]
fn stop_words_are_found_exactly() {
    let text = "Der Zug ist schon wieder nicht gekommen, und die Bahn sagt uns nichts. Für \
                Pendler über Köln ist das jeden Tag so: dieser Ausfall, diese Verspätung. \
                @united I'm stuck at the gate, they didn't tell us why and can't say when \
                we'll get out. Thanks for nothing, please don't do this again.";
    let mut words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .collect();
    words.extend(terms::STOPWORDS);
    words.extend([
        "th", "thee", "the\0", "dies", "fürs", "über-", "didn't!", "werdenx",
    ]);
    let mut found = 0;
    for w in words {
        let lower = w.to_lowercase();
        let want = terms::STOPWORDS.contains(&lower.as_str());
        assert_eq!(terms::is_stopword(&lower), want, "{lower:?}");
        found += usize::from(want);
    }
    assert!(found > terms::STOPWORDS.len() + 20, "{found}");
}

/// A label is the three terms a full sort by share x idf (ties: lower id) puts first.
#[test]
fn labels_are_the_three_best_terms_of_a_full_sort() {
    let (mut book, _) = group(&[
        "RE30 Ausfall in Köln, wieder mal",
        "Schon wieder Ausfall beim RE30, wie soll ich zur Arbeit kommen",
        "RE30 Ausfall seit einer Stunde, Pendler stehen am Gleis",
        "Mein Ticket lässt sich in der App nicht öffnen",
        "Ticket App öffnet nicht",
        "Zug",
    ]);
    book.relabel();
    let numbers: Vec<u32> = book.cases.keys().copied().collect();
    let checked = numbers
        .into_iter()
        .filter(|&n| label_is_full_sort(&book, n))
        .count();
    assert!(checked >= 3, "cases with more than three terms: {checked}");
}

/// The label a new case gets from its message's profile is the one a full sort gives at
/// that moment (labels go stale as idf moves, until the case is relabelled).
#[test]
fn a_new_cases_label_is_the_label_of_a_full_sort() {
    let mut book = Casebook::new(CaseConfig::default());
    let texts = [
        "Der Zug war heute pünktlich, danke an das Team",
        "RE30 Ausfall in Köln, wieder mal",
        "Mein Ticket lässt sich in der App nicht öffnen",
        "@united lost my bag at IAH, flight UA 1234 from Denver",
        "Klimaanlage im ICE 598 defekt, 35 Grad im Wagen 7",
        "Zug",
    ];
    let mut checked = 0;
    for (i, text) in texts.iter().enumerate() {
        let a = book.add(&msg(i as i64, &format!("c{i}"), text), None);
        assert!(a.new_case, "{text}");
        checked += usize::from(label_is_full_sort(&book, a.case as u32));
    }
    assert!(checked >= 3, "cases with more than three terms: {checked}");
}

/// Checks a live case's label against a full sort of its terms by share x idf (ties: lower
/// id); returns whether the case had more than three terms.
fn label_is_full_sort(book: &Casebook, case: u32) -> bool {
    let state = &book.states[book.cases[&case].slot as usize];
    let size = state.case.size as f32;
    let mut all: Vec<(u32, f32)> = state
        .terms
        .iter()
        .map(|(&t, &n)| (t, n as f32 / size * book.vocab.idf(t)))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let want: Vec<&str> = all
        .iter()
        .take(3)
        .map(|(t, _)| book.vocab.surface(*t))
        .collect();
    assert_eq!(state.case.label, want.join(" · "));
    all.len() > 3
}

#[test]
fn language_is_guessed_from_marker_words_in_any_case() {
    use terms::guess_lang;
    assert_eq!(
        guess_lang("Der Zug ist schon wieder zu spät", None),
        Lang::De
    );
    assert_eq!(guess_lang("DIE BAHN UND IHR WLAN", None), Lang::De);
    assert_eq!(
        guess_lang("My flight is delayed AGAIN, thanks for nothing", None),
        Lang::En
    );
    assert_eq!(guess_lang("Überfüllt. Später. Grüße", None), Lang::Other);
    assert_eq!(guess_lang("the Zug und the Bahn", None), Lang::De);
    assert_eq!(guess_lang("the and die", None), Lang::En);
    // Only the first 60 pieces between letters count.
    let late = format!("{} der die das", "x ".repeat(60));
    assert_eq!(guess_lang(&late, None), Lang::Other);
    assert_eq!(guess_lang("the flight", Some("de")), Lang::De);
    // The same as splitting at every non-letter and comparing the first 60 pieces.
    let reference = |text: &str| {
        let de_words = [
            "der", "die", "das", "und", "ist", "nicht", "ich", "mit", "auf",
        ];
        let de_more = ["ein", "eine", "zug", "bahn"];
        let en_words = [
            "the", "and", "is", "not", "to", "my", "you", "for", "of", "flight",
        ];
        let (mut de, mut en) = (0, 0);
        for w in text.split(|c: char| !c.is_alphabetic()).take(60) {
            if de_words
                .iter()
                .chain(&de_more)
                .any(|m| w.eq_ignore_ascii_case(m))
            {
                de += 1;
            } else if en_words.iter().any(|m| w.eq_ignore_ascii_case(m)) {
                en += 1;
            }
        }
        match de.cmp(&en) {
            std::cmp::Ordering::Greater => Lang::De,
            std::cmp::Ordering::Less => Lang::En,
            std::cmp::Ordering::Equal => Lang::Other,
        }
    };
    let words = [
        "der", "The", "and", "Bahn", "ß", "über", "to", ",", " ", "😡", "x1", "DIE",
    ];
    for n in 0..400usize {
        let text: String = (0..n % 70)
            .map(|k| words[(n * 7 + k * 13 + k * k) % words.len()])
            .collect::<Vec<_>>()
            .join(if n % 3 == 0 { "" } else { " " });
        assert_eq!(guess_lang(&text, None), reference(&text), "{text:?}");
    }
}

/// The live set answers as a plain set through inserts in number order and removals in any
/// order, across the dropping of its empty front words.
#[test]
fn the_live_set_is_a_set() {
    let mut set = LiveSet::default();
    let mut want = std::collections::BTreeSet::new();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = 5u32;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if !x.is_multiple_of(3) || want.is_empty() {
            // New numbers only grow, sometimes with a gap.
            next += 1 + u32::from(x.is_multiple_of(100)) * 500;
            set.insert(next);
            want.insert(next);
        } else {
            // Mostly the oldest (cases retire roughly in order), sometimes any.
            let n = if x.is_multiple_of(5) {
                *want.iter().nth((x as usize / 7) % want.len()).unwrap()
            } else {
                *want.iter().next().unwrap()
            };
            set.remove(n);
            want.remove(&n);
        }
        let probe = (x >> 20) as u32 % (next + 70);
        assert_eq!(set.contains(probe), want.contains(&probe), "{probe}");
        if let Some(&first) = want.iter().next() {
            assert!(set.contains(first) && set.contains(next) == want.contains(&next));
        }
    }
    assert!(set.words.len() <= 2 * (next - want.iter().next().unwrap() + 64) as usize / 64 + 16);
}
