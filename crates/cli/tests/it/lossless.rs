//! The bulk load into an empty store gives the same threads as the per-batch path into a
//! non-empty one; the JSONL export carries what the store keeps beside the messages
//! (conversation states set by agents, merged contacts, analyses), so import(export(store)) is
//! the same store, table for table.

use std::collections::BTreeMap;
use std::path::Path;

use store::{ConversationState, Store};

use super::{Summary, export, import, kv, shared};

/// Every message's conversation, as (channel, external id) -> (root, state, first, last, count),
/// plus its brand, for one channel.
fn threads(data: &Path, channel: &str) -> BTreeMap<String, String> {
    let store = Store::open(data).unwrap();
    let mut out = BTreeMap::new();
    store
        .for_each_message(|m| {
            if m.message.channel == channel {
                let c = store
                    .conversation(m.conversation_id)?
                    .expect("its conversation");
                out.insert(
                    m.message.external_id.clone(),
                    format!(
                        "{} {:?} {} {} {} {:?}",
                        c.root_external_id,
                        c.state,
                        c.first_at,
                        c.last_at,
                        c.message_count,
                        m.message.brand
                    ),
                );
            }
            Ok(())
        })
        .unwrap();
    out
}

#[test]
fn bulk_load_equals_import_into_a_non_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let twcs = shared("twcs/twcs_head5000.csv");
    let (empty, filled) = (dir.path().join("empty"), dir.path().join("filled"));

    let (run, bulk) = import(&empty, "twcs", &[&twcs]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("bulk load"), "{run:?}");

    let (run, _) = import(
        &filled,
        "germeval2017",
        &[&shared("germeval2017/trial.xml")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    // Small batches: many replies meet their parents across batch boundaries.
    let run: super::Run = kv(&filled)
        .args(["import", "--format", "twcs", "--batch", "777"])
        .arg(&twcs)
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("bulk load"), "{run:?}");
    let per_batch = Summary::parse(run.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(bulk, per_batch);

    let a = threads(&empty, "twitter");
    assert_eq!(a.len() as u64, bulk.imported);
    assert_eq!(a, threads(&filled, "twitter"));
    // Every index is back after the bulk load (same schema as the per-batch store).
    let indexes = Store::open(&empty).unwrap().index_names().unwrap();
    assert_eq!(
        indexes,
        Store::open(&filled).unwrap().index_names().unwrap()
    );
    assert!(
        indexes.iter().any(|i| i == "messages_by_time"),
        "{indexes:?}"
    );
}

#[test]
fn export_carries_states_merged_contacts_and_analyses() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (format, rel) in [
        ("twcs", "twcs/twcs_head5000.csv"),
        ("airline", "twitter_us_airline_sentiment/Tweets.csv"),
    ] {
        let (run, _) = import(&a, format, &[&shared(rel)]);
        assert_eq!(run.code, 0, "{run:?}");
    }

    // What agents and the pipeline add: states, a contact merge, analyses.
    {
        let mut store = Store::open(&a).unwrap();
        let mut firsts = Vec::new();
        store
            .for_each_message(|m| {
                firsts.push((m.id, m.conversation_id, m.message.text.clone()));
                Ok(())
            })
            .unwrap();
        let mut convs: Vec<i64> = firsts.iter().map(|f| f.1).collect();
        convs.sort_unstable();
        convs.dedup();
        for &c in convs.iter().step_by(7).take(40) {
            store
                .set_conversation_state(c, ConversationState::Resolved)
                .unwrap();
        }
        // Reopened by hand although we spoke last (differs from what the messages give).
        let pending = convs
            .iter()
            .copied()
            .find(|&c| store.conversation(c).unwrap().unwrap().state == ConversationState::Pending)
            .unwrap();
        store
            .set_conversation_state(pending, ConversationState::Open)
            .unwrap();
        let x = store.contact_of("twitter", "115712").unwrap().unwrap();
        let y = store.contact_of("twitter", "sprintcare").unwrap().unwrap();
        let z = store.contact_of("twitter", "AmazonHelp").unwrap().unwrap();
        store.merge_contacts(y.id, x.id).unwrap();
        store.merge_contacts(z.id, x.id).unwrap();
        let analyzer = analysis::Analyzer::new();
        let items: Vec<_> = firsts
            .iter()
            .step_by(50)
            .map(|(id, _, text)| (*id, analyzer.analyze(text)))
            .collect();
        store.put_analyses(&items).unwrap();
    }

    let first = export(&a, &dir.path().join("a.jsonl"));
    assert!(
        first.contains(r#"{"kind":"conversation","#),
        "states exported"
    );
    assert!(
        first.contains(r#"{"kind":"contact","#),
        "merged contact exported"
    );
    assert!(
        first.contains(r#"{"kind":"analysis","#),
        "analyses exported"
    );
    let (run, s) = import(&b, "jsonl", &[&dir.path().join("a.jsonl")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(s.rejected, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("restored 41 conversation states, 1 merged contacts"),
        "{run:?}"
    );
    let second = export(&b, &dir.path().join("b.jsonl"));
    assert!(first == second, "exports differ");
    assert_eq!(dump(&a), dump(&b));

    // Importing the export again changes nothing.
    let (run, s) = import(&b, "jsonl", &[&dir.path().join("a.jsonl")]);
    assert_eq!((run.code, s.imported, s.rejected), (0, 0, 0), "{run:?}");
    assert_eq!(dump(&a), dump(&b));
}

/// An extra record naming a message that is not stored is rejected with its place; the
/// messages around it are kept.
#[test]
fn extra_record_without_its_message_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("x.jsonl");
    std::fs::write(
        &file,
        concat!(
            r#"{"channel":"web","external_id":"1","author":"a","text":"Hallo","created_at":"2024-05-01T10:00:00Z","direction":"inbound","visibility":"public"}"#,
            "\n",
            r#"{"kind":"conversation","channel":"web","root_external_id":"404","state":"resolved"}"#,
            "\n",
            r#"{"kind":"conversation","channel":"web","root_external_id":"1","state":"resolved"}"#,
            "\n",
            r#"{"kind":"conversation","channel":"web","root_external_id":"1","state":"closed"}"#,
            "\n",
        ),
    )
    .unwrap();
    let data = dir.path().join("d");
    let (run, s) = import(&data, "jsonl", &[&file]);
    assert_eq!((run.code, s.imported, s.rejected), (0, 1, 2), "{run:?}");
    let rejects = super::rejects(&run);
    assert!(
        rejects.contains("x.jsonl:2: conversation not in the store"),
        "{rejects}"
    );
    assert!(
        rejects.contains("x.jsonl:4: state: unknown state `closed`"),
        "{rejects}"
    );
    let store = Store::open(&data).unwrap();
    let m = store.message("web", "1").unwrap().unwrap();
    assert_eq!(
        store
            .conversation(m.conversation_id)
            .unwrap()
            .unwrap()
            .state,
        ConversationState::Resolved
    );
}

/// The core tables, row by row (`Store::dump_core`).
fn dump(data: &Path) -> Vec<String> {
    let rows = Store::open(data).unwrap().dump_core().unwrap();
    assert!(rows.len() > 1000);
    rows
}
