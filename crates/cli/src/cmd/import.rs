//! `kundenversteher import --format FORMAT FILE...`: reads files (or stdin, `-`) on one thread
//! and writes batches to the store on another, joined by a bounded channel (back-pressure keeps
//! memory flat whatever the file size). Rejected records go to `<data-dir>/rejects/<time>.txt`
//! with file:line, field and reason; good records are kept. Ends with one summary line:
//! `imported N, duplicates D, rejected R in S s (X msg/s)`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::time::Instant;

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use indicatif::{ProgressBar, ProgressStyle};
use ingest::jsonl::{Entry, Extra, ExtraRecord};
use ingest::{Format, Options, Rejected, Source};
use model::Message;
use store::{AnalysisRow, ConversationState, InsertCounts, Store, StoreError};

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
    let rejects_dir = rejects_dir_of(settings);
    let (tx, rx) = mpsc::sync_channel::<Work>(2);
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
    // Into an empty store this is a bulk load: lookups from memory, secondary indexes built
    // once at the end (store::Import).
    let mut session = match store.import() {
        Ok(session) => session,
        Err(e) => return Err(e).context("starting the import"),
    };
    if session.is_bulk() {
        progress.suspend(|| {
            eprintln!("bulk load into an empty store: secondary indexes are built at the end")
        });
    }
    let mut extras = ExtrasApplied::default();
    for work in rx.iter() {
        let result = match work {
            Work::Messages(batch) => session.insert(&batch).map(|c| counts += c),
            Work::Extras(records) => apply_extras(session.store_mut(), records, &mut extras),
        };
        if let Err(e) = result {
            write_error = Some(e);
            break; // dropping `rx` stops the reader
        }
        progress.set_message(format!(
            "{} imported, {} duplicates",
            counts.inserted, counts.duplicates
        ));
    }
    drop(rx);
    if write_error.is_none() {
        if session.is_bulk() {
            progress.set_message("building indexes");
        }
        if let Err(e) = session.finish() {
            write_error = Some(e);
        }
    } else {
        drop(session); // builds deferred indexes, ignoring errors
    }
    let report = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader thread panicked"))??;
    progress.finish_and_clear();
    if let Some(e) = write_error {
        return Err(e).context("writing to the store (the batches before were committed)");
    }

    let secs = started.elapsed().as_secs_f64();
    let read = counts.inserted + counts.duplicates;
    let mut report = report;
    if !extras.rejected.is_empty() {
        report.add_rejections(&rejects_dir_of(settings), &extras.rejected)?;
    }
    if let Some(path) = &report.rejects_file {
        println!("rejected records: {}", path.display());
    }
    if extras.total() > 0 {
        println!(
            "restored {} conversation states, {} merged contacts, {} analyses",
            extras.states, extras.contacts, extras.analyses
        );
    }
    println!(
        "imported {}, duplicates {}, rejected {} in {:.2} s ({:.0} msg/s)",
        counts.inserted,
        counts.duplicates,
        report.rejected,
        secs,
        read as f64 / secs.max(1e-9)
    );
    if read == 0 && extras.total() == 0 {
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
    tx: mpsc::SyncSender<Work>,
    rejects_dir: &Path,
    progress: ProgressBar,
) -> anyhow::Result<ReadReport> {
    let mut rejects = Rejects::new(rejects_dir);
    let mut batch = Vec::with_capacity(batch_size);
    let mut extras: Vec<ExtraRecord> = Vec::new();
    'sources: for input in inputs {
        let source = match input {
            Input::Stdin => Source::stdin(),
            // Read through the progress bar so it advances with the bytes read.
            Input::File(name, file) => Source::from_reader(name, progress.wrap_read(file)),
        };
        for item in ingest::read_entries(format, source, options) {
            match item {
                Ok(Entry::Message(record)) => {
                    if !extras.is_empty()
                        && tx.send(Work::Extras(std::mem::take(&mut extras))).is_err()
                    {
                        break 'sources;
                    }
                    batch.push(record.message);
                    if batch.len() >= batch_size {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                        if tx.send(Work::Messages(full)).is_err() {
                            break 'sources; // the writer stopped; it reports why
                        }
                    }
                }
                // Extra records refer to messages: everything before them goes first.
                Ok(Entry::Extra(extra)) => {
                    if !batch.is_empty() {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                        if tx.send(Work::Messages(full)).is_err() {
                            break 'sources;
                        }
                    }
                    extras.push(extra);
                    if extras.len() >= batch_size
                        && tx.send(Work::Extras(std::mem::take(&mut extras))).is_err()
                    {
                        break 'sources;
                    }
                }
                Err(rejection) => {
                    rejects.write(&rejection)?;
                    if rejects.count <= 5 {
                        progress.suspend(|| eprintln!("rejected: {rejection}"));
                    }
                }
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Work::Messages(batch));
    }
    if !extras.is_empty() {
        let _ = tx.send(Work::Extras(extras));
    }
    rejects.into_report()
}

fn rejects_dir_of(settings: &Settings) -> PathBuf {
    settings.data_dir.join("rejects")
}

/// The rejects file, created with the first rejection.
struct Rejects {
    dir: PathBuf,
    out: Option<(PathBuf, BufWriter<File>)>,
    count: u64,
}

impl Rejects {
    fn new(dir: &Path) -> Self {
        Rejects {
            dir: dir.to_owned(),
            out: None,
            count: 0,
        }
    }

    fn write(&mut self, rejection: &Rejected) -> anyhow::Result<()> {
        self.count += 1;
        if self.out.is_none() {
            std::fs::create_dir_all(&self.dir)
                .with_context(|| format!("creating {}", self.dir.display()))?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
            let path = self.dir.join(format!("{stamp}.txt"));
            let file =
                File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            self.out = Some((path, BufWriter::new(file)));
        }
        let (path, out) = self.out.as_mut().expect("just created");
        writeln!(out, "{rejection}").with_context(|| format!("writing {}", path.display()))
    }

    fn into_report(self) -> anyhow::Result<ReadReport> {
        let rejects_file = match self.out {
            Some((path, mut out)) => {
                out.flush()
                    .with_context(|| format!("writing {}", path.display()))?;
                Some(path)
            }
            None => None,
        };
        Ok(ReadReport {
            rejected: self.count,
            rejects_file,
        })
    }
}

impl ReadReport {
    /// Appends rejections found by the writer (extra records naming what is not stored).
    fn add_rejections(&mut self, dir: &Path, rejected: &[Rejected]) -> anyhow::Result<()> {
        let mut rejects = Rejects::new(dir);
        if let Some(path) = &self.rejects_file {
            let file = std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?;
            rejects.out = Some((path.clone(), BufWriter::new(file)));
        }
        for r in rejected {
            rejects.write(r)?;
            if rejects.count <= 5 {
                eprintln!("rejected: {r}");
            }
        }
        let added = rejects.into_report()?;
        self.rejected += added.rejected;
        self.rejects_file = added.rejects_file;
        Ok(())
    }
}

/// What the reading thread hands to the writer, in file order.
enum Work {
    Messages(Vec<Message>),
    Extras(Vec<ExtraRecord>),
}

/// Counts of extra records applied, and the ones naming something not stored.
#[derive(Default)]
struct ExtrasApplied {
    states: u64,
    contacts: u64,
    analyses: u64,
    rejected: Vec<Rejected>,
}

impl ExtrasApplied {
    fn total(&self) -> u64 {
        self.states + self.contacts + self.analyses
    }
}

/// Applies extra records (JSONL: conversation states, merged contacts, analyses), one
/// transaction per kind.
fn apply_extras(
    store: &mut Store,
    records: Vec<ExtraRecord>,
    applied: &mut ExtrasApplied,
) -> Result<(), StoreError> {
    let mut states = Vec::new();
    let mut contacts = Vec::new();
    let mut analyses = Vec::new();
    for r in records {
        let place = (r.file, r.line);
        match r.extra {
            Extra::Conversation(c) => match ConversationState::parse(&c.state) {
                Some(state) => states.push((place, (c.channel, c.root_external_id, state))),
                None => applied.rejected.push(Rejected::new(
                    &place.0,
                    place.1,
                    Some("state"),
                    format!("unknown state `{}`", c.state),
                )),
            },
            Extra::Contact(c) => contacts.push((
                place,
                (
                    c.display_name,
                    c.identities
                        .into_iter()
                        .map(|i| (i.channel, i.handle))
                        .collect::<Vec<_>>(),
                ),
            )),
            Extra::Analysis(a) => {
                // Stored as the engine stores it: the serde form of `model::Analysis`.
                let analysis = a.analysis.map(|v| {
                    match serde_json::from_value::<model::Analysis>(v.clone()) {
                        Ok(parsed) => serde_json::to_string(&parsed),
                        Err(_) => serde_json::to_string(&v),
                    }
                    .expect("JSON values serialise")
                });
                analyses.push((
                    place,
                    AnalysisRow {
                        channel: a.channel,
                        external_id: a.external_id,
                        analysis,
                        model_version: a.model_version,
                        analyzed_at: a.analyzed_at,
                    },
                ));
            }
        }
    }
    let mut check = |places: Vec<(Arc<str>, u64)>, found: Vec<bool>, what: &str| -> u64 {
        let mut n = 0;
        for ((file, line), ok) in places.into_iter().zip(found) {
            if ok {
                n += 1;
            } else {
                applied.rejected.push(Rejected::new(
                    &file,
                    line,
                    None,
                    format!("{what} not in the store (extra records come after their messages)"),
                ));
            }
        }
        n
    };
    if !states.is_empty() {
        let (places, items): (Vec<_>, Vec<_>) = states.into_iter().unzip();
        let found = store.set_states_by_root(&items)?;
        applied.states += check(places, found, "conversation");
    }
    if !contacts.is_empty() {
        let (places, items): (Vec<_>, Vec<_>) = contacts.into_iter().unzip();
        let found = store.restore_contacts(&items)?;
        applied.contacts += check(places, found, "identity");
    }
    if !analyses.is_empty() {
        let (places, items): (Vec<_>, Vec<_>) = analyses.into_iter().unzip();
        let found = store.restore_analyses(&items)?;
        applied.analyses += check(places, found, "message");
    }
    Ok(())
}
