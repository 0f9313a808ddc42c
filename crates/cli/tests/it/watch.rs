//! `watch` replays in data-time order whatever the order of its input: files already in
//! order stream through, others are read whole and sorted. Both give the same alerts.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::Path;

use model::Message;

use super::{Run, kv, shared};

/// Four time-shifted copies of the real airline tweets, in time order (as `cargo xtask
/// early-warning speed-data` writes them): enough traffic for a few alerts.
fn copies_in_time_order() -> Vec<Message> {
    let path = shared("twitter_us_airline_sentiment/Tweets.csv");
    let source = ingest::Source::open(&path).expect("the airline tweets");
    let mut base: Vec<Message> = ingest::read(ingest::Format::Airline, source)
        .map(|r| r.expect("a good row").message)
        .collect();
    base.sort_by_key(|m| m.created_at);
    let span = base.last().unwrap().created_at - base[0].created_at + chrono::Duration::hours(1);
    (0..4)
        .flat_map(|c| {
            base.iter().map(move |m| {
                let mut m = m.clone();
                m.external_id = format!("{}-{c}", m.external_id);
                m.created_at += span * c;
                m.raw = None;
                m
            })
        })
        .collect()
}

fn write_jsonl<'a>(path: &Path, messages: impl IntoIterator<Item = &'a Message>) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for m in messages {
        serde_json::to_writer(&mut w, m).unwrap();
        w.write_all(b"\n").unwrap();
    }
    w.flush().unwrap();
}

fn watch(data: &Path, files: &[&Path]) -> Run {
    let mut cmd = kv(data);
    cmd.args(["watch", "--gold-labels", "--format", "jsonl"]);
    cmd.args(files);
    cmd.output().expect("run watch").into()
}

#[test]
fn files_in_time_order_and_out_of_it_give_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let messages = copies_in_time_order();
    let half = messages.len() / 2;

    let ordered = dir.path().join("ordered.jsonl");
    write_jsonl(&ordered, &messages);
    // A deterministic shuffle: by a hash of the id (SipHash with fixed keys).
    let mut shuffled: Vec<&Message> = messages.iter().collect();
    shuffled.sort_by_key(|m| {
        let mut h = std::hash::DefaultHasher::new();
        m.external_id.hash(&mut h);
        h.finish()
    });
    let unordered = dir.path().join("unordered.jsonl");
    write_jsonl(&unordered, shuffled);
    // In order for half the stream, then backwards: the replay has to start over.
    let (first, second) = (
        dir.path().join("first.jsonl"),
        dir.path().join("second.jsonl"),
    );
    write_jsonl(&first, &messages[..half]);
    write_jsonl(&second, messages[half..].iter().rev());

    let reference = watch(&data, &[&ordered]);
    assert_eq!(reference.code, 0, "{}", reference.stderr);
    assert!(
        reference.stdout.lines().any(|l| l.contains("\"opened\"")),
        "the copies hold bursts: {}",
        reference.stderr
    );
    let summary = format!("{} messages in", messages.len());
    assert!(reference.stderr.contains(&summary), "{}", reference.stderr);
    for files in [
        vec![unordered.as_path()],
        vec![first.as_path(), second.as_path()],
    ] {
        let run = watch(&data, &files);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, reference.stdout, "{files:?}");
        assert!(run.stderr.contains(&summary), "{}", run.stderr);
    }
    // From stdin (read whole, like any input that cannot be read twice).
    let mut cmd = kv(&data);
    cmd.args(["watch", "--gold-labels", "--format", "jsonl", "-"]);
    cmd.stdin(std::fs::File::open(&unordered).unwrap());
    let run: Run = cmd.output().unwrap().into();
    assert_eq!(run.stdout, reference.stdout);
}
