//! `kundenversteher watch`: replays messages (or a count series) in data-time order through
//! the early-warning pipeline the live server runs: [`analysis::Analyzer`] (sentiment,
//! topics, toxicity) and then [`analysis::burst::Watcher`] (cases and bursts), and writes
//! alert events as JSON lines to stdout. No waiting: data time only.
//!
//! Analysis is the costly step; it runs on `--jobs` threads in batches, and each batch is then
//! fed to the watcher in order, so the alerts do not depend on the number of threads.
//!
//! Files already in time order (exports, replays) stream through without being held in
//! memory; other input (and stdin) is read whole and sorted first. The alerts are the same
//! either way; a streamed pass holds its alerts back until it knows the input is in order.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use analysis::Analyzer;
use analysis::burst::Watcher;
use anyhow::Context;
use model::{AlertEvent, Analysis, Direction, Message};

use super::cases::{Params, read_messages};
use crate::config::Settings;

/// Messages analysed per batch before they are fed to the watcher: enough for the analysis
/// threads to share.
const BATCH: usize = 8192;
/// Messages read per batch without the classifiers (`--gold-labels`). Small, so that the
/// memory of a batch's messages is freed and reused while it is still mapped: the allocator
/// returns the pages of a large batch to the system, and the next batch faulted them in again
/// (system time 0.10-0.15 s a run at 8,192, 0.00-0.05 s at 512: BENCHMARKS.md, Early warning).
const BATCH_UNANALYSED: usize = 512;

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
    /// Use the labels that came with the data (`sentiment`, `topic`) instead of the
    /// classifiers (for evaluations on labelled data).
    #[arg(long)]
    pub gold_labels: bool,
    /// Threads for the analysis (default: all cores). Alerts are the same for any number.
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

/// Where the time went, for the summary line on stderr.
#[derive(Debug, Default)]
struct Timing {
    read: Duration,
    analyse: Duration,
    watch: Duration,
}

pub fn run(args: Args, _settings: &Settings) -> anyhow::Result<ExitCode> {
    let params = Params::load(args.params.as_deref())?;
    let started = Instant::now();
    let mut timing = Timing::default();
    let mut watcher = Watcher::new(params.cases.clone(), params.monitor.clone());
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
        timing.read = started.elapsed();
        let t = Instant::now();
        let mut messages = 0u64;
        for row in &rows {
            watcher.observe_count(row.at, row.value, &mut alerts);
            messages += u64::from(row.value);
            if !alerts.is_empty() {
                write(&mut alerts)?;
            }
        }
        timing.watch = t.elapsed();
        (messages, rejected)
    } else {
        let format: ingest::Format = args
            .format
            .parse()
            .map_err(|e| anyhow::anyhow!("{e}, counts"))?;
        let analyzer = (!args.gold_labels).then(Analyzer::new);
        let jobs = args
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let mut replay = Replay {
            watcher: &mut watcher,
            analyzer: analyzer.as_ref(),
            jobs,
            timing: &mut timing,
        };
        // Files in time order (exports, replays) stream through without being held: a
        // first pass keeps its alerts back and stops at the first message older than the
        // one before; then the files are read whole and sorted, and replayed afresh.
        let streamed = if args.files.iter().all(|f| f.as_os_str() != "-") {
            let mut held: Vec<model::Alert> = Vec::new();
            let mut rejects: Vec<ingest::Rejected> = Vec::new();
            let mut messages = args
                .files
                .iter()
                .map(|path| {
                    ingest::Source::open(path)
                        .with_context(|| format!("opening {}", path.display()))
                })
                .collect::<anyhow::Result<Vec<_>>>()?
                .into_iter()
                .flat_map(|source| ingest::read(format, source))
                .filter_map(|r| r.map_err(|e| rejects.push(e)).ok())
                .map(|r| r.message);
            let count = replay.run(&mut messages, true, &mut |a| {
                held.append(a);
                Ok(())
            })?;
            drop(messages);
            count.map(|count| (count, held, rejects))
        } else {
            None
        };
        let (count, rejected) = match streamed {
            Some((count, mut held, rejects)) => {
                let stderr = std::io::stderr();
                let mut err = stderr.lock();
                for r in &rejects {
                    let _ = writeln!(err, "{r}");
                }
                write(&mut held)?;
                let t = &mut *replay.timing;
                t.read = started.elapsed().saturating_sub(t.analyse + t.watch);
                (count, rejects.len() as u64)
            }
            None => {
                *replay.watcher = Watcher::new(params.cases.clone(), params.monitor.clone());
                *replay.timing = Timing::default();
                let (messages, rejected) = read_messages(format, &args.files)?;
                replay.timing.read = started.elapsed();
                let count = replay
                    .run(&mut messages.into_iter(), false, &mut write)?
                    .expect("no order check");
                (count, rejected)
            }
        };
        (count, rejected)
    };
    alerts.extend(watcher.finish());
    write(&mut alerts)?;
    out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{count} messages in {secs:.2} s ({:.0} msg/s), {} cases, {rejected} rejected records; \
         read {:.2} s, analyse {:.2} s, cases and bursts {:.2} s ({:.0} msg/s)",
        count as f64 / secs.max(1e-9),
        watcher.casebook.len(),
        timing.read.as_secs_f64(),
        timing.analyse.as_secs_f64(),
        timing.watch.as_secs_f64(),
        count as f64 / timing.watch.as_secs_f64().max(1e-9),
    );
    Ok(ExitCode::SUCCESS)
}

/// Feeds messages through the analysis and the watcher, in batches of [`BATCH`] (or
/// [`BATCH_UNANALYSED`]).
struct Replay<'a> {
    watcher: &'a mut Watcher,
    analyzer: Option<&'a Analyzer>,
    jobs: usize,
    timing: &'a mut Timing,
}

impl Replay<'_> {
    /// Replays `messages` (each dropped once watched) and hands alert events to `emit`;
    /// returns how many. With `in_order`, stops at the first message older than the one
    /// before it and returns `None`.
    fn run(
        &mut self,
        messages: &mut dyn Iterator<Item = Message>,
        in_order: bool,
        emit: &mut dyn FnMut(&mut Vec<model::Alert>) -> anyhow::Result<()>,
    ) -> anyhow::Result<Option<u64>> {
        let size = if self.analyzer.is_some() {
            BATCH
        } else {
            BATCH_UNANALYSED
        };
        let mut analyses: Vec<Option<Analysis>> = Vec::with_capacity(size);
        let mut batch: Vec<Message> = Vec::with_capacity(size);
        let mut alerts = Vec::new();
        let mut latest = None;
        let mut count = 0u64;
        loop {
            batch.clear();
            for m in &mut *messages {
                if in_order && latest.is_some_and(|t| m.created_at < t) {
                    return Ok(None);
                }
                latest = Some(m.created_at);
                batch.push(m);
                if batch.len() == size {
                    break;
                }
            }
            if batch.is_empty() {
                return Ok(Some(count));
            }
            count += batch.len() as u64;
            let t = Instant::now();
            analyse_batch(self.analyzer, &batch, self.jobs, &mut analyses);
            self.timing.analyse += t.elapsed();
            let t = Instant::now();
            for (m, a) in batch.iter().zip(&analyses) {
                self.watcher.observe(m, a.as_ref(), &mut alerts);
                if !alerts.is_empty() {
                    emit(&mut alerts)?;
                }
            }
            self.timing.watch += t.elapsed();
        }
    }
}

/// Analyses the inbound messages of `batch` on `jobs` threads into `out` (one entry per
/// message, `None` for outbound messages or without an analyzer).
fn analyse_batch(
    analyzer: Option<&Analyzer>,
    batch: &[Message],
    jobs: usize,
    out: &mut Vec<Option<Analysis>>,
) {
    out.clear();
    out.resize(batch.len(), None);
    let Some(analyzer) = analyzer else { return };
    // (`analyze` keeps each thread's buffers and stem memo between calls.)
    let analyse = |messages: &[Message], slots: &mut [Option<Analysis>]| {
        for (m, slot) in messages.iter().zip(slots) {
            if m.direction == Direction::Inbound {
                *slot = Some(analyzer.analyze(&m.text));
            }
        }
    };
    if jobs == 1 {
        analyse(batch, out);
        return;
    }
    let chunk = batch.len().div_ceil(jobs).max(1);
    std::thread::scope(|s| {
        for (messages, slots) in batch.chunks(chunk).zip(out.chunks_mut(chunk)) {
            s.spawn(move || analyse(messages, slots));
        }
    });
}
