//! `kundenversteher export --format jsonl [-o FILE]`: every stored message as one JSON line
//! (the schema of docs/JSONL.md), in insertion order. Lossless: importing the output into an
//! empty store gives the same messages, contacts and conversations.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use store::{Store, StoreError};

use crate::config::Settings;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// One `model::Message` per line (docs/JSONL.md).
    Jsonl,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long, short, value_enum, default_value = "jsonl")]
    pub format: ExportFormat,
    /// Output file (default: stdout). Written to `FILE.partial` first, renamed when complete.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = super::stats::open_existing(settings)?;
    let ExportFormat::Jsonl = args.format;
    let count = match &args.output {
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let n = write_jsonl(&store, &mut out)?;
            out.flush().context("writing to stdout")?;
            n
        }
        Some(path) => {
            let partial = path.with_extension("partial");
            let file = File::create(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            let mut out = BufWriter::new(file);
            let n = write_jsonl(&store, &mut out)
                .with_context(|| format!("writing {}", partial.display()))?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()
                .with_context(|| format!("writing {}", partial.display()))?;
            std::fs::rename(&partial, path)
                .with_context(|| format!("renaming to {}", path.display()))?;
            n
        }
    };
    eprintln!("exported {count} messages");
    Ok(ExitCode::SUCCESS)
}

fn write_jsonl(store: &Store, out: &mut impl Write) -> anyhow::Result<u64> {
    let n = store.for_each_message(|stored| {
        serde_json::to_writer(&mut *out, &stored.message)
            .map_err(|e| StoreError::Sink(Box::new(e)))?;
        out.write_all(b"\n")
            .map_err(|e| StoreError::Sink(Box::new(e)))
    })?;
    Ok(n)
}
