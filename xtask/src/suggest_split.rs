//! `cargo xtask suggest-split banking77|twcs [--seed N] [--test-fraction F] [--out DIR]`:
//! a seeded train/test split for `kundenversteher eval --task suggest`, written as two files
//! in the dataset's own format (default `target/suggest/`). BANKING77: stratified per intent
//! from `train.csv` (the official test split stays held out). TWCS: whole conversations
//! (reply trees) go to one side, so no thread is in both files.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ingest::corpus::{self, CorpusFormat};
use model::{Direction, Message, Threader};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

/// Deterministic pseudo-random value in 0..1 from a seed and a key (splitmix64 of FNV-1a):
/// stable across platforms and runs, no rand dependency for a one-off split.
fn unit(seed: u64, key: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut seed = 42u64;
    let mut fraction = 0.2f64;
    let mut out = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/suggest"));
    let mut dataset = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => seed = it.next().context("--seed N")?.parse().context("--seed N")?,
            "--test-fraction" => {
                fraction = it
                    .next()
                    .context("--test-fraction F")?
                    .parse()
                    .context("--test-fraction F")?
            }
            "--out" => out = PathBuf::from(it.next().context("--out DIR")?),
            d if !d.starts_with("--") && dataset.is_none() => dataset = Some(d.to_owned()),
            other => bail!("unknown argument `{other}`"),
        }
    }
    anyhow::ensure!(
        (0.0..1.0).contains(&fraction),
        "--test-fraction must be in 0..1"
    );
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    match dataset.as_deref() {
        Some("banking77") => banking77(seed, fraction, &out),
        Some("twcs") => twcs(seed, fraction, &out),
        _ => bail!(
            "usage: cargo xtask suggest-split banking77|twcs [--seed N] [--test-fraction F] [--out DIR]"
        ),
    }
}

fn banking77(seed: u64, fraction: f64, out: &Path) -> anyhow::Result<()> {
    let path = Path::new(DATA).join("banking77/train.csv");
    let messages = corpus::read(CorpusFormat::Banking77, &path)
        .with_context(|| format!("reading {}", path.display()))?;
    let mut by_intent: BTreeMap<String, Vec<&Message>> = BTreeMap::new();
    for m in &messages {
        by_intent
            .entry(m.labels.get("intent").cloned().unwrap_or_default())
            .or_default()
            .push(m);
    }
    let (mut train, mut test) = (
        String::from("text,category\n"),
        String::from("text,category\n"),
    );
    let (mut n_train, mut n_test) = (0, 0);
    for (intent, mut ms) in by_intent {
        // stratified: order each intent's queries by their seeded draw, the first share is test
        ms.sort_by(|a, b| {
            unit(seed, &a.text)
                .total_cmp(&unit(seed, &b.text))
                .then(a.text.cmp(&b.text))
        });
        let k = ((ms.len() as f64) * fraction).round() as usize;
        for (i, m) in ms.iter().enumerate() {
            let line = format!("{},{}\n", quote(&m.text), intent);
            if i < k {
                test.push_str(&line);
                n_test += 1;
            } else {
                train.push_str(&line);
                n_train += 1;
            }
        }
    }
    write(out, "banking77-train.csv", &train, n_train)?;
    write(out, "banking77-test.csv", &test, n_test)
}

fn twcs(seed: u64, fraction: f64, out: &Path) -> anyhow::Result<()> {
    let path = Path::new(DATA).join("twcs/twcs_head5000.csv");
    let source =
        ingest::Source::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut messages = Vec::new();
    for r in ingest::read(ingest::Format::Twcs, source) {
        match r {
            Ok(rec) => messages.push(rec.message),
            Err(e) => eprintln!("skipped {e}"),
        }
    }
    let mut threads = Threader::new();
    for m in &messages {
        threads.add(&m.external_id, m.in_reply_to.as_deref());
    }
    let header =
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n";
    let (mut train, mut test) = (header.to_owned(), header.to_owned());
    let (mut n_train, mut n_test) = (0, 0);
    for m in &messages {
        let root = threads.conversation_of(&m.external_id);
        let mut line = String::new();
        let _ = writeln!(
            line,
            "{},{},{},{},{},,{}",
            m.external_id,
            quote(&m.author),
            if m.direction == Direction::Inbound {
                "True"
            } else {
                "False"
            },
            m.created_at.format("%a %b %d %H:%M:%S +0000 %Y"),
            quote(&m.text),
            m.in_reply_to.as_deref().unwrap_or("")
        );
        if unit(seed, &root) < fraction {
            test.push_str(&line);
            n_test += 1;
        } else {
            train.push_str(&line);
            n_train += 1;
        }
    }
    write(out, "twcs-train.csv", &train, n_train)?;
    write(out, "twcs-test.csv", &test, n_test)
}

fn write(dir: &Path, name: &str, text: &str, rows: usize) -> anyhow::Result<()> {
    let p = dir.join(name);
    std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
    println!("{} ({rows} rows)", p.display());
    Ok(())
}
