//! The live pipeline. Ingest commits messages to SQLite (that is the acknowledgement) and
//! wakes the pipeline; the table of messages without an analysis *is* the durable queue, so
//! nothing acknowledged is lost on a crash and derived work is redone at start-up.
//!
//! ```text
//! ingest --bounded queue--> intake thread (group commit, see [`crate::intake`])
//!        --commit--> messages table --(analyse thread: batches in id order)-->
//!        --bounded channel--> index thread (saves the analyses; tantivy, commit each second)
//!        --bounded channel--> react thread: the stage list (bursts, cases, routing, ...)
//! ```
//! Back-pressure: the channels between threads are bounded (`sync_channel`, the intake
//! queue), and ingest waits while the backlog of unanalysed messages exceeds `max_backlog`
//! or the intake queue is full, answering busy after `backlog_wait`.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use model::{Analysis, Message, Timestamp};
use store::{Filed, InsertCounts, StoredMessage};
use tokio::sync::{mpsc, oneshot};

use crate::Db;
use crate::clock::{Clock, SystemClock};
use crate::intake;
use crate::outbox::Outbox;
use crate::search::SearchIndex;

/// Analyses one message. The classifiers crate provides the real one; see
/// [`crate::analyzer`] for what is wired.
pub trait Analyze: Send + Sync {
    fn analyze(&self, message: &Message) -> Analysis;
}

/// One analysed message as it flows through the pipeline.
#[derive(Debug, Clone)]
pub struct Analysed {
    pub stored: StoredMessage,
    pub analysis: Analysis,
    /// The case the message joined (set by the case stage for the stages after it).
    pub case: Option<CaseRef>,
}

/// A stored case as the later stages see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRef {
    pub id: i64,
    pub size: u64,
    pub customers: u64,
}

/// What a stage sees besides the batch: the store, "now", who to tell, the settings.
#[derive(Debug, Clone, Copy)]
pub struct StageContext<'a> {
    pub db: &'a Db,
    pub now: Timestamp,
    pub outbox: &'a Outbox,
    pub config: &'a EngineConfig,
}

/// A step after analysis and indexing: case grouping, burst detection, routing, ... Adding
/// one: a type implementing `Stage` and one line in [`crate::stages::default_stages`].
/// Stages run one after another on one thread, in list order, so a stage may read what an
/// earlier one wrote into [`Analysed`].
pub trait Stage: Send {
    fn name(&self) -> &'static str;
    /// Once before the first batch: rebuild in-memory state from the store.
    fn start(&mut self, _ctx: &StageContext<'_>) {}
    fn process(&mut self, batch: &mut [Analysed], ctx: &StageContext<'_>);
    /// About every [`EngineConfig::tick`]: time-driven work (response-time targets, bursts
    /// that ended, changes other parts of the system stored).
    fn tick(&mut self, _ctx: &StageContext<'_>) {}
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Messages per analysis batch.
    pub batch: u32,
    /// Threads that classify a batch (the analysis is the pipeline's largest cost per
    /// message). The default leaves one core to ingest: on two cores a second analysis
    /// thread only took CPU from the ingest requests (measured, BENCHMARKS.md "Server").
    pub analysis_threads: usize,
    /// Ingest waits while more messages than this wait for analysis.
    pub max_backlog: i64,
    /// How long ingest waits for the backlog to shrink (or for room in the intake queue)
    /// before answering "busy".
    pub backlog_wait: Duration,
    /// Ingest requests waiting for the intake thread at most.
    pub intake_queue: usize,
    /// Messages one group commit takes at most (a single larger request is taken alone).
    pub max_group: usize,
    /// The search index commits at most this often.
    pub index_commit: Duration,
    /// How often the stages' [`Stage::tick`] runs.
    pub tick: Duration,
    /// Conversations whose last customer message is older than this (in the clock's time)
    /// are history: routed to a team for the record, but not assigned, timed or escalated.
    pub live_horizon: chrono::Duration,
    /// "Now" for response-time targets and escalations.
    pub clock: Arc<dyn Clock>,
    /// Where notifications go (log, webhooks).
    pub outbox: Outbox,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            batch: 1_000,
            analysis_threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1).max(1)),
            max_backlog: 200_000,
            backlog_wait: Duration::from_secs(10),
            intake_queue: 64,
            max_group: 10_000,
            index_commit: Duration::from_millis(500),
            tick: Duration::from_secs(1),
            live_horizon: chrono::Duration::days(7),
            clock: Arc::new(SystemClock),
            outbox: Outbox::log_only(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error("the pipeline is {0} messages behind; try again shortly")]
    Busy(i64),
    #[error("the engine is shutting down")]
    ShuttingDown,
    #[error("background task failed: {0}")]
    Task(String),
}

struct Shared {
    db: Arc<Db>,
    search: Arc<SearchIndex>,
    wake: (Mutex<bool>, Condvar),
    stop: AtomicBool,
    /// Highest message id committed by ingest (or found at start).
    ingested: AtomicI64,
    /// Highest message id analysed.
    analysed: AtomicI64,
    /// Highest message id whose search document is committed.
    indexed: AtomicI64,
    /// Highest message id through every stage.
    reacted: AtomicI64,
    /// Stage ticks so far.
    ticks: AtomicI64,
    alerts: Mutex<Vec<model::Alert>>,
}

impl Shared {
    fn wake(&self) {
        let (lock, cv) = &self.wake;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_all();
    }
}

/// The running pipeline. Clone freely; [`Engine::shutdown`] stops it.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
    /// The intake queue; taken (closed) by [`Engine::shutdown`].
    intake: Arc<Mutex<Option<mpsc::Sender<intake::Request>>>>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    config: EngineConfig,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("ingested", &self.shared.ingested.load(Ordering::Relaxed))
            .field("analysed", &self.shared.analysed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Where the pipeline stands.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Progress {
    pub ingested_upto: i64,
    pub analysed_upto: i64,
    pub indexed_upto: i64,
    /// Highest message id through every stage.
    pub reacted_upto: i64,
    /// Stage ticks so far (tests wait for the next tick after moving a simulated clock).
    pub ticks: i64,
}

impl Engine {
    /// Starts the threads. Messages stored but not analysed (a crash, an import) are picked
    /// up first; messages analysed but not in the search index are re-indexed.
    pub fn start_with_stages(
        db: Arc<Db>,
        search: Arc<SearchIndex>,
        analyzer: Arc<dyn Analyze>,
        stages: impl FnOnce(AlertSink) -> Vec<Box<dyn Stage>>,
        config: EngineConfig,
    ) -> Result<Engine, EngineError> {
        let max = db.read(|s| s.max_message_id())?;
        let indexed: i64 = search
            .committed_payload()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let shared = Arc::new(Shared {
            db,
            search,
            wake: (Mutex::new(false), Condvar::new()),
            stop: AtomicBool::new(false),
            ingested: AtomicI64::new(max),
            analysed: AtomicI64::new(0),
            indexed: AtomicI64::new(indexed),
            reacted: AtomicI64::new(0),
            ticks: AtomicI64::new(0),
            alerts: Mutex::new(Vec::new()),
        });
        reindex_missing(&shared, indexed, config.batch)?;
        let (to_index, index_rx) = sync_channel::<(Vec<Analysed>, i64)>(4);
        let (to_react, react_rx) = sync_channel::<(Vec<Analysed>, i64)>(4);
        let mut threads = Vec::new();
        let (intake_tx, intake_rx) = mpsc::channel(config.intake_queue.max(1));
        let s = shared.clone();
        let max_group = config.max_group;
        threads.push(spawn("kv-intake", move || {
            intake::run(&s.db, intake_rx, max_group, |max| {
                s.ingested.fetch_max(max, Ordering::AcqRel);
                s.wake();
            })
        }));
        let s = shared.clone();
        let cfg = config.clone();
        threads.push(spawn_background("kv-analyse", move || {
            analyse_loop(&s, &*analyzer, &cfg, to_index)
        }));
        let s = shared.clone();
        let cfg = config.clone();
        threads.push(spawn_background("kv-index", move || {
            index_loop(&s, &cfg, index_rx, to_react)
        }));
        // Commits no longer copy the WAL into the database file themselves (that held the
        // write lock for as long as the copy took, and every ingest request waiting behind
        // it saw that as latency); this thread checkpoints passively beside them.
        shared.db.write(|s| s.set_auto_checkpoint(false))?;
        let s = shared.clone();
        threads.push(spawn_background("kv-checkpoint", move || {
            checkpoint_loop(&s)
        }));
        let stages = stages(AlertSink(shared.clone()));
        let s = shared.clone();
        let cfg = config.clone();
        threads.push(spawn("kv-react", move || {
            react_loop(&s, &cfg, stages, react_rx)
        }));
        Ok(Engine {
            shared,
            intake: Arc::new(Mutex::new(Some(intake_tx))),
            threads: Arc::new(Mutex::new(threads)),
            config,
        })
    }

    pub fn db(&self) -> &Arc<Db> {
        &self.shared.db
    }

    pub fn search(&self) -> &Arc<SearchIndex> {
        &self.shared.search
    }

    pub fn progress(&self) -> Progress {
        Progress {
            ingested_upto: self.shared.ingested.load(Ordering::Acquire),
            analysed_upto: self.shared.analysed.load(Ordering::Acquire),
            indexed_upto: self.shared.indexed.load(Ordering::Acquire),
            reacted_upto: self.shared.reacted.load(Ordering::Acquire),
            ticks: self.shared.ticks.load(Ordering::Acquire),
        }
    }

    /// Alerts the burst stage raised (latest event per alert), newest first.
    pub fn alerts(&self) -> Vec<model::Alert> {
        let mut alerts = self
            .shared
            .alerts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        alerts.reverse();
        alerts
    }

    /// Stores a batch durably and wakes the pipeline; see [`Engine::file`].
    pub async fn ingest(&self, messages: Vec<Message>) -> Result<InsertCounts, EngineError> {
        self.file(messages).await.map(|o| InsertCounts::of(&o))
    }

    /// Stores a batch durably (group commit: one transaction with the requests that queue up
    /// meanwhile, see [`crate::intake`]) and answers after the commit, with each message's
    /// outcome in input order. Waits while the backlog is above `max_backlog` or the intake
    /// queue is full (back-pressure), answering [`EngineError::Busy`] after `backlog_wait`.
    pub async fn file(&self, mut messages: Vec<Message>) -> Result<Vec<Filed>, EngineError> {
        if self.shared.stop.load(Ordering::Acquire) {
            return Err(EngineError::ShuttingDown);
        }
        let started = Instant::now();
        loop {
            let backlog = self.backlog();
            if backlog <= self.config.max_backlog {
                break;
            }
            if started.elapsed() > self.config.backlog_wait {
                return Err(EngineError::Busy(backlog));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for m in &mut messages {
            m.bound_text();
        }
        let n = messages.len() as u64;
        let queue = self
            .intake
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(EngineError::ShuttingDown)?;
        let (reply, answer) = oneshot::channel();
        let wait = self.config.backlog_wait.saturating_sub(started.elapsed());
        match tokio::time::timeout(wait, queue.send(intake::Request { messages, reply })).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(EngineError::ShuttingDown),
            Err(_) => return Err(EngineError::Busy(self.backlog())),
        }
        drop(queue);
        let outcomes = answer
            .await
            .map_err(|_| EngineError::Task("the intake thread stopped".into()))??;
        metrics::counter!("ingest_messages_total").increment(n);
        metrics::counter!("ingest_messages_new_total")
            .increment(outcomes.iter().filter(|o| o.inserted).count() as u64);
        Ok(outcomes)
    }

    /// Stores our own messages (replies) and wakes the pipeline; no back-pressure wait.
    pub fn wake(&self) {
        self.shared.wake();
    }

    /// Messages stored but not yet analysed.
    pub fn backlog(&self) -> i64 {
        let p = self.progress();
        let b = (p.ingested_upto - p.analysed_upto).max(0);
        metrics::gauge!("pipeline_backlog_messages").set(b as f64);
        b
    }

    /// Removes erased messages from the search index at once.
    pub fn forget(&self, message_ids: &[i64]) -> Result<(), EngineError> {
        self.shared.search.delete(message_ids);
        let indexed = self.shared.indexed.load(Ordering::Acquire);
        self.shared.search.commit(Some(indexed.to_string()))?;
        Ok(())
    }

    /// Waits until everything ingested so far is analysed, indexed and through the stages
    /// (tests, benchmarks), or `timeout` passes. Returns whether it caught up.
    pub async fn settle(&self, timeout: Duration) -> bool {
        let target = self.shared.ingested.load(Ordering::Acquire);
        let start = Instant::now();
        while start.elapsed() < timeout {
            let p = self.progress();
            if p.analysed_upto >= target && p.indexed_upto >= target && p.reacted_upto >= target {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// Waits until the stages have ticked twice more (so a tick started after this call has
    /// run completely), or `timeout` passes. Returns whether they did.
    pub async fn next_ticks(&self, timeout: Duration) -> bool {
        let target = self.shared.ticks.load(Ordering::Acquire) + 2;
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.shared.ticks.load(Ordering::Acquire) >= target {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// The engine's clock ("now" for targets and escalations).
    pub fn now(&self) -> Timestamp {
        self.config.clock.now()
    }

    pub fn outbox(&self) -> &Outbox {
        &self.config.outbox
    }

    /// Stops taking work, lets the threads finish what they hold (the index commits), and
    /// joins them. Unanalysed messages stay in the store for the next start.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::Release);
        // Closing the queue lets the intake thread commit what it holds, then end.
        drop(self.intake.lock().unwrap_or_else(|p| p.into_inner()).take());
        self.wake();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

/// Lets a stage report alerts to the engine (for `/api/v1/alerts`).
#[derive(Clone)]
pub struct AlertSink(Arc<Shared>);

impl AlertSink {
    pub fn push(&self, alert: model::Alert) {
        metrics::counter!("alerts_total", "event" => format!("{:?}", alert.event).to_lowercase())
            .increment(1);
        let mut alerts = self.0.alerts.lock().unwrap_or_else(|p| p.into_inner());
        alerts.retain(|a| a.alert_id != alert.alert_id);
        alerts.push(alert);
        if alerts.len() > 1_000 {
            alerts.remove(0);
        }
    }
}

impl std::fmt::Debug for AlertSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlertSink")
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(f)
        .expect("spawning a pipeline thread")
}

/// The priority of the derived work (analysis, search index, checkpoints) against the
/// threads that answer people (intake, HTTP, stages), on the portable 0-99 scale of
/// `thread-priority`: 37 is Linux niceness 5, so when the cores are busy the scheduler gives
/// an ingest request's commit about three times the share of an analysis batch, and the
/// acknowledgement does not wait behind it. Derived work catches up when the burst ends.
const BACKGROUND_PRIORITY: u8 = 37;

/// Like [`spawn`], for derived work: the thread lowers its own priority first (where the
/// system refuses, it runs at normal priority and logs a warning).
fn spawn_background(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    spawn(name, move || {
        let lowered = thread_priority::ThreadPriorityValue::try_from(BACKGROUND_PRIORITY)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                thread_priority::set_current_thread_priority(
                    thread_priority::ThreadPriority::Crossplatform(p),
                )
                .map_err(|e| e.to_string())
            });
        if let Err(error) = lowered {
            tracing::warn!(message = "could not lower the priority of a background thread", %error);
        }
        f()
    })
}

fn reindex_missing(shared: &Shared, mut after: i64, batch: u32) -> Result<(), EngineError> {
    let mut n = 0u64;
    loop {
        let items = shared.db.read(|s| s.analysed_after(after, batch))?;
        let Some(last) = items.last().map(|(m, _)| m.id) else {
            break;
        };
        let docs: Vec<_> = items
            .iter()
            .map(|(m, a)| (m.id, m.conversation_id, &m.message, Some(a)))
            .collect();
        shared.search.add(&docs)?;
        n += items.len() as u64;
        after = last;
    }
    if n > 0 {
        shared.search.commit(Some(after.to_string()))?;
        tracing::info!(
            message = "re-indexed messages missing from the search index",
            count = n
        );
    }
    shared.indexed.store(after, Ordering::Release);
    Ok(())
}

/// Batches go to the index thread with a watermark: every message id up to it is analysed
/// once that thread has saved the batch.
fn analyse_loop(
    shared: &Shared,
    analyzer: &dyn Analyze,
    cfg: &EngineConfig,
    out: SyncSender<(Vec<Analysed>, i64)>,
) {
    let mut cursor = 0i64;
    let mut sent_watermark = 0i64;
    loop {
        if shared.stop.load(Ordering::Acquire) {
            break;
        }
        let batch = match shared.db.read(|s| s.unanalysed_after(cursor, cfg.batch)) {
            Ok(b) => b,
            Err(error) => {
                tracing::error!(message = "reading the analysis queue", %error);
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if batch.is_empty() {
            // Everything up to the last id committed before this read is analysed (the
            // queue is in id order; ids committed later are read next time).
            let upto = shared.ingested.load(Ordering::Acquire);
            let empty_again = shared
                .db
                .read(|s| s.unanalysed_after(cursor, 1))
                .map(|b| b.is_empty());
            if matches!(empty_again, Ok(true)) && upto > sent_watermark {
                sent_watermark = upto;
                if out.send((Vec::new(), upto)).is_err() {
                    break;
                }
            }
            let (lock, cv) = &shared.wake;
            let mut woken = lock.lock().unwrap_or_else(|p| p.into_inner());
            if !*woken {
                woken = cv
                    .wait_timeout(woken, Duration::from_millis(200))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            *woken = false;
            continue;
        }
        let started = Instant::now();
        let analysed = analyse_batch(analyzer, batch, cfg.analysis_threads);
        let per_message = started.elapsed().as_secs_f64() / analysed.len() as f64;
        metrics::histogram!("analysis_seconds_per_message").record(per_message);
        let last = analysed.last().map(|a| a.stored.id).unwrap_or(cursor);
        cursor = last;
        metrics::counter!("analysed_messages_total").increment(analysed.len() as u64);
        if out.send((analysed, last)).is_err() {
            break;
        }
    }
}

/// Messages per analysis worker at least: below that a second thread costs more than it
/// saves.
const MIN_PER_WORKER: usize = 64;

/// Analyses a batch on up to `threads` scoped threads (the analysis is pure, so the
/// batch splits into contiguous chunks and joins back in order). The workers inherit the
/// calling thread's lowered priority.
fn analyse_batch(
    analyzer: &dyn Analyze,
    batch: Vec<StoredMessage>,
    threads: usize,
) -> Vec<Analysed> {
    let analyse = |chunk: &[StoredMessage]| {
        chunk
            .iter()
            .map(|s| analyzer.analyze(&s.message))
            .collect::<Vec<_>>()
    };
    let workers = threads.min(batch.len() / MIN_PER_WORKER).max(1);
    let analyses = if workers == 1 {
        analyse(&batch)
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .chunks(batch.len().div_ceil(workers))
                .map(|chunk| scope.spawn(move || analyse(chunk)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("an analysis worker panicked"))
                .collect()
        })
    };
    batch
        .into_iter()
        .zip(analyses)
        .map(|(stored, analysis)| Analysed {
            stored,
            analysis,
            case: None,
        })
        .collect()
}

/// How often the checkpoint thread copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// WAL frames (16 KiB pages) from which the checkpoint thread restarts the WAL, and how long
/// it may hold writers back for that.
const RESTART_FROM_FRAMES: i64 = 16_384;
const RESTART_WAIT: Duration = Duration::from_millis(100);

/// Checkpoints passively every [`CHECKPOINT_EVERY`] until the engine stops (then SQLite
/// checkpoints when the last connection closes); past [`RESTART_FROM_FRAMES`] it also
/// restarts the WAL, which readers arriving all the time would otherwise keep growing.
fn checkpoint_loop(shared: &Shared) {
    let mut last = Instant::now();
    while !shared.stop.load(Ordering::Acquire) {
        std::thread::sleep(Duration::from_millis(100));
        if last.elapsed() < CHECKPOINT_EVERY {
            continue;
        }
        last = Instant::now();
        match shared.db.read(|s| s.checkpoint()) {
            Ok((frames, copied)) => {
                metrics::gauge!("wal_frames").set(frames as f64);
                metrics::gauge!("wal_frames_checkpointed").set(copied as f64);
                if frames >= RESTART_FROM_FRAMES {
                    match shared.db.read(|s| s.restart_wal(RESTART_WAIT)) {
                        Ok(done) => metrics::counter!(
                            "wal_restarts_total",
                            "outcome" => if done { "done" } else { "busy" }
                        )
                        .increment(1),
                        Err(error) => tracing::warn!(message = "restarting the WAL", %error),
                    }
                }
            }
            Err(error) => tracing::warn!(message = "checkpoint", %error),
        }
    }
}

/// Analyses per write transaction: the writer connection is shared with the intake, so an
/// ingest request waits at most one such chunk (a few milliseconds), not a whole batch.
const SAVE_CHUNK: usize = 200;

/// Saves in chunks of [`SAVE_CHUNK`]. A chunk that fails is tried again after a second
/// (a lock held too long, a full disk that got room), then message by message: a message
/// erased since it was read fails alone and is left out. What is not saved stays in the
/// queue of unanalysed messages and is analysed again at the next start.
fn save_analyses(shared: &Shared, analysed: &[Analysed]) {
    let save = |chunk: &[Analysed]| {
        let rows: Vec<(i64, Analysis, f64)> = chunk
            .iter()
            .map(|a| {
                let priority = match a.stored.message.direction {
                    model::Direction::Inbound => {
                        crate::stages::priority(&a.stored.message, &a.analysis)
                    }
                    model::Direction::Outbound => 0.0,
                };
                (a.stored.id, a.analysis.clone(), priority)
            })
            .collect();
        shared.db.write(|s| s.save_analyses(&rows))
    };
    for chunk in analysed.chunks(SAVE_CHUNK) {
        let Err(error) = save(chunk) else { continue };
        tracing::warn!(message = "saving analyses, trying again", %error);
        std::thread::sleep(Duration::from_secs(1));
        if save(chunk).is_ok() {
            continue;
        }
        for one in chunk.chunks(1) {
            if let Err(error) = save(one) {
                tracing::error!(message = "saving an analysis", id = one[0].stored.id, %error);
            }
        }
    }
}

/// Saves each batch's analyses (off the analyse thread, so classifying never waits for the
/// write lock the intake's commits hold), then indexes it.
fn index_loop(
    shared: &Shared,
    cfg: &EngineConfig,
    rx: Receiver<(Vec<Analysed>, i64)>,
    out: SyncSender<(Vec<Analysed>, i64)>,
) {
    let mut pending: i64 = 0;
    let mut last_commit = Instant::now();
    let commit = |upto: i64| {
        let started = Instant::now();
        match shared.search.commit(Some(upto.to_string())) {
            Ok(()) => {
                shared.indexed.fetch_max(upto, Ordering::AcqRel);
                metrics::histogram!("search_commit_seconds")
                    .record(started.elapsed().as_secs_f64());
            }
            Err(error) => tracing::error!(message = "committing the search index", %error),
        }
    };
    loop {
        match rx.recv_timeout(cfg.index_commit) {
            Ok((batch, watermark)) => {
                save_analyses(shared, &batch);
                shared.analysed.fetch_max(watermark, Ordering::AcqRel);
                let docs: Vec<_> = batch
                    .iter()
                    .map(|a| {
                        (
                            a.stored.id,
                            a.stored.conversation_id,
                            &a.stored.message,
                            Some(&a.analysis),
                        )
                    })
                    .collect();
                if let Err(error) = shared.search.add(&docs) {
                    tracing::error!(message = "indexing", %error);
                }
                pending = pending.max(watermark);
                if last_commit.elapsed() >= cfg.index_commit || batch.is_empty() {
                    commit(pending);
                    last_commit = Instant::now();
                }
                if out.send((batch, watermark)).is_err() {
                    break;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                // Idle: make what we have visible.
                if pending > shared.indexed.load(Ordering::Acquire) {
                    commit(pending);
                    last_commit = Instant::now();
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    if pending > shared.indexed.load(Ordering::Acquire) {
        commit(pending);
    }
}

/// Runs the stages: `start` once, then each batch through every stage in order, and a tick
/// about every `cfg.tick` (also while batches keep coming).
fn react_loop(
    shared: &Shared,
    cfg: &EngineConfig,
    mut stages: Vec<Box<dyn Stage>>,
    rx: Receiver<(Vec<Analysed>, i64)>,
) {
    let ctx = |now| StageContext {
        db: &shared.db,
        now,
        outbox: &cfg.outbox,
        config: cfg,
    };
    // receivers first: a stage may tell something while it rebuilds
    cfg.outbox.refresh_webhooks(&shared.db);
    for stage in &mut stages {
        stage.start(&ctx(cfg.clock.now()));
    }
    let mut last_tick = Instant::now();
    loop {
        let wait = cfg.tick.saturating_sub(last_tick.elapsed());
        match rx.recv_timeout(wait) {
            Ok((mut batch, watermark)) => {
                if !batch.is_empty() {
                    let c = ctx(cfg.clock.now());
                    for stage in &mut stages {
                        let started = Instant::now();
                        stage.process(&mut batch, &c);
                        metrics::histogram!("stage_seconds", "stage" => stage.name())
                            .record(started.elapsed().as_secs_f64());
                    }
                }
                shared.reacted.fetch_max(watermark, Ordering::AcqRel);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if last_tick.elapsed() >= cfg.tick {
            let c = ctx(cfg.clock.now());
            for stage in &mut stages {
                stage.tick(&c);
            }
            shared.ticks.fetch_add(1, Ordering::AcqRel);
            last_tick = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real classifiers over a few hundred messages of both languages.
    fn batch() -> Vec<StoredMessage> {
        let texts = [
            "Der Zug hatte schon wieder 40 Minuten Verspätung, nie wieder!",
            "@AirlineX my flight was cancelled and nobody answers the phone",
            "Danke für die schnelle Hilfe, alles funktioniert wieder.",
            "Is there a way to change my seat online?",
            "Ich kündige meinen Vertrag zum Monatsende.",
        ];
        (0..333)
            .map(|i| StoredMessage {
                id: i + 1,
                conversation_id: i / 3 + 1,
                identity_id: i % 7 + 1,
                message: Message {
                    channel: "twitter".into(),
                    external_id: format!("m{i}"),
                    author: format!("c{}", i % 50),
                    author_name: None,
                    text: format!("{} #{i}", texts[i as usize % texts.len()]),
                    created_at: chrono::DateTime::from_timestamp(1_700_000_000 + i * 60, 0)
                        .unwrap(),
                    in_reply_to: None,
                    direction: model::Direction::Inbound,
                    visibility: model::Visibility::Public,
                    language: None,
                    brand: None,
                    labels: Default::default(),
                    raw: None,
                },
            })
            .collect()
    }

    #[test]
    fn a_batch_split_over_threads_gives_the_analyses_of_one_thread_in_order() {
        let analyzer = analysis::Analyzer::new();
        let one = analyse_batch(&analyzer, batch(), 1);
        for threads in [2, 3, 8] {
            let split = analyse_batch(&analyzer, batch(), threads);
            assert_eq!(split.len(), one.len());
            for (a, b) in one.iter().zip(&split) {
                assert_eq!(a.stored.id, b.stored.id, "{threads} threads");
                assert_eq!(a.analysis, b.analysis, "message {}", a.stored.id);
            }
        }
        // fewer messages than a worker's minimum: one thread, same result
        let few = analyse_batch(&analyzer, batch()[..10].to_vec(), 4);
        assert_eq!(few.len(), 10);
        assert_eq!(few[9].analysis, one[9].analysis);
    }
}
