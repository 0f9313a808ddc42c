//! Fills a store with replicated real data for the report benchmark (BENCHMARKS.md `## Reports`):
//! copies of the TWCS head file (customer and brand tweets, reply chains) and of the airline
//! file (gold sentiment), each copy with new ids, new customer handles and shifted by whole
//! weeks, until N messages are stored. The complaints of each airline copy are grouped into
//! cases by airline and complaint reason (as the live engine would store cases), so case
//! longevity is measured with about a quarter of all messages in a case.
//!
//! `cargo run --release -p report --example report_bench_data -- DATA_DIR 3000000`

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Duration;
use model::{Direction, Message};

fn read(format: ingest::Format, rel: &str) -> Vec<Message> {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel);
    let source = ingest::Source::open(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    ingest::read(format, source)
        .filter_map(Result::ok)
        .map(|r| r.message)
        .collect()
}

fn copy(m: &Message, k: usize) -> Message {
    let mut c = m.clone();
    c.raw = None;
    c.external_id = format!("{}r{k}", m.external_id);
    c.in_reply_to = m.in_reply_to.as_ref().map(|p| format!("{p}r{k}"));
    if m.direction == Direction::Inbound {
        c.author = format!("{}r{k}", m.author);
    }
    c.created_at = m.created_at + Duration::weeks((k % 52) as i64);
    c
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("DATA_DIR"));
    let target: usize = args
        .next()
        .map(|n| n.parse().expect("N"))
        .unwrap_or(3_000_000);
    let twcs = read(ingest::Format::Twcs, "twcs/twcs_head5000.csv");
    let airline = read(
        ingest::Format::Airline,
        "twitter_us_airline_sentiment/Tweets.csv",
    );
    let mut store = store::Store::open(&dir).expect("open store");
    let started = std::time::Instant::now();
    let (mut stored, mut k) = (0usize, 0usize);
    while stored < target {
        // Four TWCS copies per airline copy: about 80 % support threads, 20 % rated tweets.
        let source = if k % 5 == 4 { &airline } else { &twcs };
        let batch: Vec<Message> = source
            .iter()
            .take(target - stored)
            .map(|m| copy(m, k))
            .collect();
        let counts = store.insert_messages(&batch).expect("insert");
        if k % 5 == 4 {
            store_cases(&mut store, &batch);
        }
        stored += counts.inserted as usize + counts.duplicates as usize;
        k += 1;
        if k % 50 == 0 {
            eprintln!(
                "{stored} messages, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "stored {stored} messages in {} copies into {} in {:.1} s",
        k,
        dir.display(),
        started.elapsed().as_secs_f64()
    );
}

/// One case per airline and complaint reason of the batch (two members at least).
fn store_cases(store: &mut store::Store, batch: &[Message]) {
    let mut groups: BTreeMap<(&str, &str), Vec<&Message>> = BTreeMap::new();
    for m in batch {
        if let (Some(brand), Some(topic)) = (m.labels.get("brand"), m.labels.get("topic")) {
            groups.entry((brand, topic)).or_default().push(m);
        }
    }
    let updates: Vec<store::CaseUpdate> = groups
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .map(|((brand, topic), members)| {
            let stored: Vec<store::StoredMessage> = members
                .iter()
                .filter_map(|m| store.message(&m.channel, &m.external_id).expect("lookup"))
                .collect();
            let at = stored.iter().map(|m| m.message.created_at);
            store::CaseUpdate {
                id: None,
                label: format!("{brand} · {topic}"),
                first_seen: at.clone().min().expect("members"),
                last_seen: at.max().expect("members"),
                size: stored.len() as i64,
                customers: stored.len() as i64,
                negative: stored.len() as i64,
                topics: topic.to_owned(),
                channels: "twitter".into(),
                new_members: stored.iter().map(|m| (m.id, m.conversation_id)).collect(),
            }
        })
        .collect();
    store.save_cases(&updates).expect("save cases");
}
