//! `cargo xtask gen-import-bench`: replicates the TWCS and airline rows with new ids into files
//! of at least 1,000,000 messages each in `target/bench-data/`, for the import benchmark in
//! BENCHMARKS.md:
//!
//! - `twcs_1m.csv`: 200 copies of `twcs_head5000.csv` in the original 7-column layout
//!   (1,000,000 rows; threads intact, tweet and customer ids shifted per copy);
//! - `airline_1m.csv`: 69 copies of `Tweets.csv` (1,010,160 rows; ids prefixed with the copy
//!   number; the 155 repeated ids per copy stay repeated, so they count as duplicates);
//! - `mixed_1m.jsonl`: our JSONL, 100 TWCS copies and 35 airline copies interleaved
//!   (1,012,400 messages), written from the messages `ingest` reads.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

const TWCS_COPIES: u64 = 200;
const AIRLINE_COPIES: u64 = 69;
/// Shift per copy for TWCS tweet ids (max id in head5000 is 7,630) and customer ids.
const TWCS_ID_SHIFT: u64 = 10_000_000;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

pub fn run(_args: &[String]) -> anyhow::Result<()> {
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let twcs = twcs_csv(&out_dir.join("twcs_1m.csv"))?;
    println!("{} rows -> target/bench-data/twcs_1m.csv", twcs);
    let airline = airline_csv(&out_dir.join("airline_1m.csv"))?;
    println!("{} rows -> target/bench-data/airline_1m.csv", airline);
    let mixed = mixed_jsonl(&out_dir.join("mixed_1m.jsonl"))?;
    println!("{} messages -> target/bench-data/mixed_1m.jsonl", mixed);
    Ok(())
}

/// `\n`-only records: TWCS has bare `\r` inside texts.
fn reader(path: &Path) -> anyhow::Result<csv::Reader<File>> {
    csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))
}

fn shift_id(id: &str, copy: u64) -> String {
    let id = id.trim().trim_end_matches('\r');
    let whole = id.split('.').next().unwrap_or_default();
    match whole.parse::<u64>() {
        Ok(n) => (n + copy * TWCS_ID_SHIFT).to_string(),
        Err(_) => id.to_owned(),
    }
}

fn twcs_csv(out: &Path) -> anyhow::Result<u64> {
    let mut input = reader(&shared().join("twcs/twcs_head5000.csv"))?;
    let header = input.headers()?.clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .context(name.to_owned())
    };
    let cols = [
        col("tweet_id")?,
        col("author_id")?,
        col("inbound")?,
        col("created_at")?,
        col("text")?,
        col("response_tweet_id")?,
        col("in_response_to_tweet_id")?,
    ];
    let rows: Vec<csv::StringRecord> = input.records().collect::<Result<_, _>>()?;
    let mut w = csv::Writer::from_writer(BufWriter::new(File::create(out)?));
    w.write_record([
        "tweet_id",
        "author_id",
        "inbound",
        "created_at",
        "text",
        "response_tweet_id",
        "in_response_to_tweet_id",
    ])?;
    let mut n = 0;
    for copy in 0..TWCS_COPIES {
        for r in &rows {
            let f = |i: usize| r[cols[i]].trim_end_matches('\r');
            let author = if f(1).bytes().all(|b| b.is_ascii_digit()) {
                shift_id(f(1), copy)
            } else {
                f(1).to_owned()
            };
            let responses: Vec<String> = f(5)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| shift_id(s, copy))
                .collect();
            let parent = if f(6).is_empty() {
                String::new()
            } else {
                shift_id(f(6), copy)
            };
            w.write_record([
                shift_id(f(0), copy).as_str(),
                &author,
                f(2),
                f(3),
                f(4),
                &responses.join(","),
                &parent,
            ])?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}

fn airline_csv(out: &Path) -> anyhow::Result<u64> {
    let mut input = reader(&shared().join("twitter_us_airline_sentiment/Tweets.csv"))?;
    let header = input.headers()?.clone();
    let rows: Vec<csv::StringRecord> = input.records().collect::<Result<_, _>>()?;
    let mut w = csv::Writer::from_writer(BufWriter::new(File::create(out)?));
    w.write_record(&header)?;
    let mut n = 0;
    for copy in 0..AIRLINE_COPIES {
        for r in &rows {
            let mut fields: Vec<String> = r.iter().map(str::to_owned).collect();
            fields[0] = format!("{}{}", copy + 1, fields[0]);
            w.write_record(&fields)?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}

fn messages(format: ingest::Format, path: &Path) -> anyhow::Result<Vec<model::Message>> {
    let source =
        ingest::Source::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(ingest::read(format, source)
        .filter_map(Result::ok)
        .map(|r| r.message)
        .collect())
}

fn mixed_jsonl(out: &Path) -> anyhow::Result<u64> {
    let twcs = messages(
        ingest::Format::Twcs,
        &shared().join("twcs/twcs_head5000.csv"),
    )?;
    let airline = messages(
        ingest::Format::Airline,
        &shared().join("twitter_us_airline_sentiment/Tweets.csv"),
    )?;
    let mut w = BufWriter::new(File::create(out)?);
    let mut n = 0;
    for copy in 0..100u64 {
        for m in &twcs {
            let mut m = m.clone();
            m.external_id = shift_id(&m.external_id, copy);
            m.in_reply_to = m.in_reply_to.map(|p| shift_id(&p, copy));
            if m.author.bytes().all(|b| b.is_ascii_digit()) {
                m.author = shift_id(&m.author, copy);
            }
            serde_json::to_writer(&mut w, &m)?;
            w.write_all(b"\n")?;
            n += 1;
        }
        if copy < 35 {
            for m in &airline {
                let mut m = m.clone();
                m.external_id = format!("{}{}", copy + 1, m.external_id);
                serde_json::to_writer(&mut w, &m)?;
                w.write_all(b"\n")?;
                n += 1;
            }
        }
    }
    w.flush()?;
    Ok(n)
}
