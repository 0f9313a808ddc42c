//! `kundenversteher watch`: replays messages (or a count series) in data-time order through
//! the early-warning pipeline the live server runs ([`analysis::burst::Watcher`]) and writes
//! alert events as JSON lines to stdout. No waiting: data time only.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use analysis::burst::Watcher;
use anyhow::Context;
use model::AlertEvent;

use super::cases::{Params, read_messages};
use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input format: `counts` (CSV `timestamp,value`, each value that many messages from
    /// distinct customers) or a message format: twcs, germeval2017, airline, jsonl, mbox.
    #[arg(long, value_name = "FORMAT")]
    pub format: String,
    /// Input files (`-` for stdin).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print only the `opened` events (one line per burst).
    #[arg(long)]
    pub opened_only: bool,
    /// TOML file with `[cases]` and `[monitor]` parameters (docs/EARLY_WARNING.md).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
}

pub fn run(args: Args, _settings: &Settings) -> anyhow::Result<ExitCode> {
    let params = Params::load(args.params.as_deref())?;
    let started = Instant::now();
    let mut watcher = Watcher::new(params.cases, params.monitor);
    let mut alerts = Vec::new();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut write = |alerts: &mut Vec<model::Alert>| -> anyhow::Result<()> {
        for a in alerts.drain(..) {
            if args.opened_only && a.event != AlertEvent::Opened {
                continue;
            }
            serde_json::to_writer(&mut out, &a)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    };
    let (count, rejected) = if args.format.eq_ignore_ascii_case("counts") {
        let mut rows = Vec::new();
        let mut rejected = 0u64;
        for path in &args.files {
            let source = ingest::Source::open(path)
                .with_context(|| format!("opening {}", path.display()))?;
            for row in ingest::counts::read(source) {
                match row {
                    Ok(row) => rows.push(row),
                    Err(r) => {
                        rejected += 1;
                        eprintln!("{r}");
                    }
                }
            }
        }
        rows.sort_by_key(|r| r.at);
        let mut messages = 0u64;
        for row in &rows {
            watcher.observe_count(row.at, row.value, &mut alerts);
            messages += u64::from(row.value);
            if !alerts.is_empty() {
                write(&mut alerts)?;
            }
        }
        (messages, rejected)
    } else {
        let format: ingest::Format = args
            .format
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}, counts"))?;
        let (messages, rejected) = read_messages(format, &args.files)?;
        for m in &messages {
            watcher.observe(m, None, &mut alerts);
            if !alerts.is_empty() {
                write(&mut alerts)?;
            }
        }
        (messages.len() as u64, rejected)
    };
    alerts.extend(watcher.finish());
    write(&mut alerts)?;
    out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{count} messages in {secs:.2} s ({:.0} msg/s), {} cases, {rejected} rejected records",
        count as f64 / secs.max(1e-9),
        watcher.casebook.len(),
    );
    Ok(ExitCode::SUCCESS)
}
