//! `kundenversteher cases`: groups inbound messages from files into cases ("not an isolated
//! case") and prints them, biggest first. Also home of the file reading shared with `watch`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use analysis::burst::MonitorConfig;
use analysis::cases::{CaseConfig, Casebook};
use anyhow::Context;
use serde::Deserialize;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input format: twcs, germeval2017, airline, jsonl, mbox.
    #[arg(long, value_name = "FORMAT")]
    pub format: ingest::Format,
    /// Input files (`-` for stdin).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per case (JSON lines) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Hide cases with fewer messages.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub min_size: u64,
    /// Print at most this many cases.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// TOML file with `[cases]` and `[monitor]` parameters (docs/EARLY_WARNING.md).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
}

/// Parameters of cases and early warning, from a TOML file; missing keys keep defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub cases: CaseConfig,
    pub monitor: MonitorConfig,
}

impl Params {
    pub fn load(path: Option<&Path>) -> anyhow::Result<Params> {
        let Some(path) = path else {
            return Ok(Params::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading parameters {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing parameters {}", path.display()))
    }
}

/// Reads every file as `format`, reports rejected records on stderr (`file:line: reason`),
/// and returns the messages in data-time order (stable: ties keep file order).
pub fn read_messages(
    format: ingest::Format,
    files: &[PathBuf],
) -> anyhow::Result<(Vec<model::Message>, u64)> {
    // Room for about one message per 256 bytes of input up front: growing a vector of
    // hundreds of MB copies it and touches fresh pages each time (a tenth of `watch`);
    // room never written costs no memory.
    let bytes: u64 = files
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let mut messages = Vec::with_capacity(usize::try_from(bytes / 256).unwrap_or(0));
    let mut rejected = 0u64;
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    for path in files {
        let source =
            ingest::Source::open(path).with_context(|| format!("opening {}", path.display()))?;
        for item in ingest::read(format, source) {
            match item {
                Ok(record) => messages.push(record.message),
                Err(r) => {
                    rejected += 1;
                    let _ = writeln!(err, "{r}");
                }
            }
        }
    }
    // A stable sort of large records takes a scratch buffer of half their size: skip it
    // when the input is in order already (exports and replays usually are).
    if !messages.is_sorted_by_key(|m| m.created_at) {
        messages.sort_by_key(|m| m.created_at);
    }
    Ok((messages, rejected))
}

pub fn run(args: Args, _settings: &Settings) -> anyhow::Result<ExitCode> {
    let params = Params::load(args.params.as_deref())?;
    let (messages, rejected) = read_messages(args.format, &args.files)?;
    let mut book = Casebook::with_archive(params.cases);
    for m in &messages {
        if m.direction == model::Direction::Inbound {
            book.add(m, None);
        }
    }
    book.relabel();
    let mut cases: Vec<&analysis::cases::Case> =
        book.cases().filter(|c| c.size >= args.min_size).collect();
    cases.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then(b.customers.cmp(&a.customers))
            .then(a.first_seen.cmp(&b.first_seen))
    });
    if let Some(limit) = args.limit {
        cases.truncate(limit);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        for case in &cases {
            serde_json::to_writer(&mut out, case)?;
            out.write_all(b"\n")?;
        }
    } else {
        writeln!(
            out,
            "{:>6} {:>9}  {:<20} {:<20} label",
            "size", "customers", "first", "last"
        )?;
        for case in &cases {
            writeln!(
                out,
                "{:>6} {:>9}  {:<20} {:<20} {}",
                case.size,
                case.customers,
                case.first_seen.format("%Y-%m-%d %H:%M"),
                case.last_seen.format("%Y-%m-%d %H:%M"),
                case.label
            )?;
        }
    }
    out.flush()?;
    eprintln!(
        "{} messages, {} cases ({} with >= {} messages), {} rejected records",
        messages.len(),
        book.len(),
        book.cases().filter(|c| c.size >= args.min_size).count(),
        args.min_size,
        rejected
    );
    Ok(ExitCode::SUCCESS)
}
