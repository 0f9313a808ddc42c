//! `kundenversteher import --format FORMAT FILE...`: reads files (or stdin, `-`) on one thread
//! and writes batches to the store on another, joined by a bounded channel (back-pressure keeps
//! memory flat whatever the file size). Rejected records go to `<data-dir>/rejects/<time>.txt`
//! with file:line, field and reason; good records are kept. Ends with one summary line:
//! `imported N, duplicates D, rejected R in S s (X msg/s)`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use indicatif::{ProgressBar, ProgressStyle};
use ingest::{Format, Options, Source};
use model::Message;
use store::{InsertCounts, Store};

use crate::config::Settings;

/// Names of the formats for `--format`, in [`Format::ALL`] order.
fn format_parser() -> impl TypedValueParser<Value = Format> {
    PossibleValuesParser::new(Format::ALL.map(Format::as_str))
        .map(|s| s.parse::<Format>().expect("only known names pass"))
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Format of the files.
    #[arg(long, short, value_parser = format_parser())]
    pub format: Format,
    /// Files to import; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// mbox: our own address or domain (`service@firma.de`, `firma.de`); mail from it is
    /// outbound. Repeatable.
    #[arg(long = "own-address", value_name = "ADDRESS")]
    pub own_addresses: Vec<String>,
    /// Messages per transaction (one durable commit per batch).
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub batch: usize,
}

enum Input {
    Stdin,
    /// Name as given on the command line, and the open file.
    File(String, File),
}

/// What the reading thread reports when done.
struct ReadReport {
    rejected: u64,
    rejects_file: Option<PathBuf>,
}

pub fn run(args: Args, settings: &Settings) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    // Open every file first: a missing file fails the command before anything is written.
    let mut inputs = Vec::with_capacity(args.files.len());
    let mut total_bytes = 0u64;
    for path in &args.files {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        total_bytes += file.metadata().map(|m| m.len()).unwrap_or(0);
        inputs.push(Input::File(path.display().to_string(), file));
    }
    let mut store = Store::open(&settings.data_dir)
        .with_context(|| format!("opening the store in {}", settings.data_dir.display()))?;

    let progress = if std::io::stderr().is_terminal() {
        let pb = ProgressBar::new(total_bytes);
        pb.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            )
            .expect("valid template"),
        );
        pb
    } else {
        ProgressBar::hidden()
    };

    let options = Options {
        own_addresses: args.own_addresses.clone(),
    };
    let batch_size = args.batch.max(1);
    let rejects_dir = settings.data_dir.join("rejects");
    let (tx, rx) = mpsc::sync_channel::<Vec<Message>>(2);
    let reader_progress = progress.clone();
    let reader = std::thread::Builder::new()
        .name("import-read".into())
        .spawn(move || {
            read_all(
                args.format,
                inputs,
                &options,
                batch_size,
                tx,
                &rejects_dir,
                reader_progress,
            )
        })
        .context("starting the reader thread")?;

    let mut counts = InsertCounts::default();
    let mut write_error = None;
    for batch in rx.iter() {
        match store.insert_messages(&batch) {
            Ok(c) => counts += c,
            Err(e) => {
                write_error = Some(e);
                break; // dropping `rx` stops the reader
            }
        }
        progress.set_message(format!(
            "{} imported, {} duplicates",
            counts.inserted, counts.duplicates
        ));
    }
    drop(rx);
    let report = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))??;
    progress.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e).context("writing to the store (the batches before were committed)");
    }

    let secs = started.elapsed().as_secs_f64();
    let read = counts.inserted + counts.duplicates;
    if let Some(path) = &report.rejects_file {
        println!("rejected records: {}", path.display());
    }
    println!(
        "imported {}, duplicates {}, rejected {} in {:.2} s ({:.0} msg/s)",
        counts.inserted,
        counts.duplicates,
        report.rejected,
        secs,
        read as f64 / secs.max(1e-9)
    );
    if read == 0 {
        eprintln!("error: nothing could be read; see the rejected records above");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The reading thread: parses every source, sends full batches, writes rejections.
fn read_all(
    format: Format,
    inputs: Vec<Input>,
    options: &Options,
    batch_size: usize,
    tx: mpsc::SyncSender<Vec<Message>>,
    rejects_dir: &Path,
    progress: ProgressBar,
) -> anyhow::Result<ReadReport> {
    let mut rejects: Option<(PathBuf, BufWriter<File>)> = None;
    let mut rejected = 0u64;
    let mut batch = Vec::with_capacity(batch_size);
    'sources: for input in inputs {
        let source = match input {
            Input::Stdin => Source::stdin(),
            // Read through the progress bar so it advances with the bytes read.
            Input::File(name, file) => Source::from_reader(name, progress.wrap_read(file)),
        };
        for item in ingest::read_with(format, source, options) {
            match item {
                Ok(record) => {
                    batch.push(record.message);
                    if batch.len() >= batch_size {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                        if tx.send(full).is_err() {
                            break 'sources; // the writer stopped; it reports why
                        }
                    }
                }
                Err(rejection) => {
                    rejected += 1;
                    if rejects.is_none() {
                        std::fs::create_dir_all(rejects_dir)
                            .with_context(|| format!("creating {}", rejects_dir.display()))?;
                        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
                        let path = rejects_dir.join(format!("{stamp}.txt"));
                        let file = File::create(&path)
                            .with_context(|| format!("creating {}", path.display()))?;
                        rejects = Some((path, BufWriter::new(file)));
                    }
                    let (path, out) = rejects.as_mut().expect("just created");
                    writeln!(out, "{rejection}")
                        .with_context(|| format!("writing {}", path.display()))?;
                    if rejected <= 5 {
                        progress.suspend(|| eprintln!("rejected: {rejection}"));
                    }
                }
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    let rejects_file = match rejects {
        Some((path, mut out)) => {
            out.flush()
                .with_context(|| format!("writing {}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    Ok(ReadReport {
        rejected,
        rejects_file,
    })
}
