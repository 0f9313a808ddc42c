//! `kundenversteher export --format jsonl [-o FILE]`: every stored message as one JSON line
//! (the schema of docs/JSONL.md), in insertion order, then the extra records: conversation
//! states an agent set, merged contacts, analyses. Lossless: importing the output into an empty
//! store gives the same messages, contacts, conversations and analyses.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use ingest::jsonl::{ContactIdentities, ConversationState, Extra, IdentityRef, StoredAnalysis};
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
    let n = store.for_each_message(|stored| line(&mut *out, &stored.message))?;
    // What the store keeps beside the messages, after them (docs/JSONL.md).
    store.for_each_state_override(|channel, root, state| {
        let extra = Extra::Conversation(ConversationState {
            channel: channel.to_owned(),
            root_external_id: root.to_owned(),
            state: state.as_str().to_owned(),
        });
        line(&mut *out, &extra)
    })?;
    store.for_each_merged_contact(|(display_name, identities)| {
        let extra = Extra::Contact(ContactIdentities {
            display_name,
            identities: identities
                .into_iter()
                .map(|(channel, handle)| IdentityRef { channel, handle })
                .collect(),
        });
        line(&mut *out, &extra)
    })?;
    store.for_each_analysis(|row| {
        let analysis = match row.analysis {
            Some(json) => Some(
                serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                    id: 0,
                    reason: format!("analysis of {}/{}: {e}", row.channel, row.external_id),
                })?,
            ),
            None => None,
        };
        let extra = Extra::Analysis(StoredAnalysis {
            channel: row.channel,
            external_id: row.external_id,
            analysis,
            model_version: row.model_version,
            analyzed_at: row.analyzed_at,
        });
        line(&mut *out, &extra)
    })?;
    Ok(n)
}

/// One JSON line.
fn line(out: &mut impl Write, value: &impl serde::Serialize) -> Result<(), StoreError> {
    serde_json::to_writer(&mut *out, value).map_err(|e| StoreError::Sink(Box::new(e)))?;
    out.write_all(b"\n")
        .map_err(|e| StoreError::Sink(Box::new(e)))
}
