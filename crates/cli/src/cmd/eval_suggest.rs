//! `kundenversteher eval --task suggest --format banking77|twcs --train TRAIN TEST --json`:
//! indexes TRAIN as solved conversations, asks for suggestions for every query of TEST and
//! prints `{"task":"suggest","n","top1","top3","mrr"}`.
//!
//! BANKING77: a suggestion is correct when its answer (the intent standing in for the reply)
//! is the query's intent. TWCS: pairs of a customer tweet and the brand's first reply to it;
//! suggestions come from the same brand only, and one is correct when its reply is about the
//! same problem as the reply the brand actually gave: tf-idf cosine of the two replies' word
//! stems >= 0.5 (mentions, links, signatures removed). The JSON then also carries the chance
//! level of that criterion (a random solved conversation of the same brand).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use analysis::suggest::eval::{ReplyJudge, SuggestReport, Tally, first_correct};
use analysis::suggest::{DocKind, Document, Query, SuggestConfig, SuggestIndex};
use anyhow::{Context, bail};
use ingest::corpus::{self, CorpusFormat};
use model::{Direction, Message};
use serde::Serialize;

/// Reply cosine at which two TWCS replies count as "about the same problem".
pub const TWCS_SAME_PROBLEM: f32 = 0.5;

/// What `eval --task suggest` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub scores: SuggestReport,
    /// Solved conversations indexed.
    pub indexed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criterion: Option<String>,
    /// Expected top1 / top3 when suggesting random solved conversations of the same brand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chance_top1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chance_top3: Option<f64>,
}

/// Runs the evaluation and prints the report as one JSON line.
pub fn run(format: &str, train: &Path, test: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let report = evaluate(format, train, test)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}

pub fn evaluate(format: &str, train: &Path, test: &[PathBuf]) -> anyhow::Result<Report> {
    anyhow::ensure!(!test.is_empty(), "eval --task suggest needs a TEST file");
    match format {
        "banking77" => banking77(train, test),
        "twcs" => twcs(train, test),
        other => bail!("--task suggest reads --format banking77 or twcs, not `{other}`"),
    }
}

fn read_banking77(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let messages = corpus::read(CorpusFormat::Banking77, path)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(messages
        .into_iter()
        .map(|m| {
            let intent = m.labels.get("intent").cloned().unwrap_or_default();
            (m.text, intent)
        })
        .collect())
}

fn banking77(train: &Path, test: &[PathBuf]) -> anyhow::Result<Report> {
    let docs: Vec<Document> = read_banking77(train)?
        .into_iter()
        .enumerate()
        .map(|(i, (text, intent))| Document {
            id: format!("train:{}", i + 2),
            kind: DocKind::Solved,
            text,
            answer: intent,
            topics: Vec::new(),
            language: Some("en".into()),
            brand: None,
        })
        .collect();
    let index = SuggestIndex::build(docs, SuggestConfig::default());
    let mut tally = Tally::default();
    for path in test {
        for (text, intent) in read_banking77(path)? {
            let q = Query {
                text,
                language: Some("en".into()),
                ..Query::default()
            };
            let s = index.suggest(&q, 3);
            tally.add(first_correct(&s, |x| x.answer == intent));
        }
    }
    Ok(Report {
        scores: tally.report(),
        indexed: index.len(),
        criterion: None,
        chance_top1: None,
        chance_top3: None,
    })
}

/// A customer tweet and the brand's first reply to it.
#[derive(Debug, Clone)]
struct Pair {
    id: String,
    question: String,
    reply: String,
    brand: String,
}

fn read_twcs_pairs(path: &Path) -> anyhow::Result<Vec<Pair>> {
    let source =
        ingest::Source::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut messages: Vec<Message> = Vec::new();
    for r in ingest::read(ingest::Format::Twcs, source) {
        match r {
            Ok(rec) => messages.push(rec.message),
            Err(e) => tracing::warn!(message = "skipped record", %e),
        }
    }
    let by_id: HashMap<&str, &Message> = messages
        .iter()
        .map(|m| (m.external_id.as_str(), m))
        .collect();
    let mut first_reply: HashMap<&str, &Message> = HashMap::new();
    for m in &messages {
        if m.direction != Direction::Outbound {
            continue;
        }
        let Some(parent) = m.in_reply_to.as_deref().and_then(|p| by_id.get(p)) else {
            continue;
        };
        if parent.direction != Direction::Inbound {
            continue;
        }
        let e = first_reply.entry(parent.external_id.as_str()).or_insert(m);
        if m.created_at < e.created_at {
            *e = m;
        }
    }
    let mut pairs: Vec<Pair> = first_reply
        .into_iter()
        .map(|(q, r)| Pair {
            id: q.to_owned(),
            question: by_id[q].text.clone(),
            reply: r.text.clone(),
            brand: r.brand.clone().unwrap_or_else(|| r.author.clone()),
        })
        .collect();
    pairs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(pairs)
}

fn twcs(train: &Path, test: &[PathBuf]) -> anyhow::Result<Report> {
    let train_pairs = read_twcs_pairs(train)?;
    let mut test_pairs = Vec::new();
    for p in test {
        test_pairs.extend(read_twcs_pairs(p)?);
    }
    let judge = ReplyJudge::new(
        train_pairs
            .iter()
            .chain(&test_pairs)
            .map(|p| p.reply.as_str()),
        TWCS_SAME_PROBLEM,
    );
    let docs: Vec<Document> = train_pairs
        .iter()
        .map(|p| Document {
            id: p.id.clone(),
            kind: DocKind::Solved,
            text: p.question.clone(),
            answer: p.reply.clone(),
            topics: Vec::new(),
            language: None,
            brand: Some(p.brand.clone()),
        })
        .collect();
    let index = SuggestIndex::build(docs, SuggestConfig::default());
    let mut by_brand: HashMap<&str, Vec<&Pair>> = HashMap::new();
    for p in &train_pairs {
        by_brand.entry(p.brand.as_str()).or_default().push(p);
    }
    let mut tally = Tally::default();
    let (mut chance1, mut chance3) = (0.0, 0.0);
    for p in &test_pairs {
        let q = Query {
            text: p.question.clone(),
            brand: Some(p.brand.clone()),
            ..Query::default()
        };
        let s = index.suggest(&q, 3);
        tally.add(first_correct(&s, |x| {
            judge.same_problem(&x.answer, &p.reply)
        }));
        let pool = by_brand
            .get(p.brand.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        if !pool.is_empty() {
            let hit = pool
                .iter()
                .filter(|t| judge.same_problem(&t.reply, &p.reply))
                .count() as f64
                / pool.len() as f64;
            chance1 += hit;
            chance3 += 1.0 - (1.0 - hit).powi(3);
        }
    }
    let n = test_pairs.len().max(1) as f64;
    Ok(Report {
        scores: tally.report(),
        indexed: index.len(),
        criterion: Some(format!(
            "same brand and reply tf-idf cosine >= {TWCS_SAME_PROBLEM} to the brand's actual first reply"
        )),
        chance_top1: Some(chance1 / n),
        chance_top3: Some(chance3 / n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

    #[test]
    fn twcs_sample_pairs_and_report() {
        let sample = Path::new(DATA).join("twcs/sample.csv");
        let pairs = read_twcs_pairs(&sample).unwrap();
        // 42 brand replies have their customer tweet in the file; one reply per question
        assert!(pairs.len() >= 30 && pairs.len() <= 42, "{}", pairs.len());
        assert!(
            pairs
                .iter()
                .all(|p| !p.brand.is_empty() && !p.reply.is_empty())
        );
        // the training set answers itself: every query finds its own reply first
        let r = evaluate("twcs", &sample, std::slice::from_ref(&sample)).unwrap();
        assert_eq!(r.scores.n, pairs.len());
        assert!(r.scores.top1 > 0.9, "{r:?}");
        assert!(r.chance_top1.unwrap() < r.scores.top1);
    }

    #[test]
    fn unknown_format_names_the_choice() {
        let p = PathBuf::from("x");
        let e = evaluate("germeval2017", &p, std::slice::from_ref(&p)).unwrap_err();
        assert!(e.to_string().contains("banking77 or twcs"));
    }
}
