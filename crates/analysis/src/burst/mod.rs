//! Early warning: streaming burst detection over (a) all negative public inbound messages,
//! (b) each topic, (c) each case, in data time. One [`Monitor`] takes one message at a time
//! and returns alert events, so `watch` (replay) and the live engine run the same code.
//!
//! Method (docs/EARLY_WARNING.md): weighted counts per time bin against a seasonal EWMA
//! baseline (level x hour-of-day factor) with an EWMA dispersion; the surprise of a sliding
//! window is `-log10 P(X >= observed)` under a negative binomial. An alert opens when the
//! surprise passes a threshold and enough distinct customers take part (one loud customer is
//! not a storm), is updated while it grows and closes after a run of quiet bins.

use std::collections::BTreeMap;
use std::collections::hash_map::Entry;

use crate::cases::terms::FastMap;

use model::{
    Alert, AlertScope, Analysis, Direction, Message, SentimentLabel, Timestamp, Visibility,
};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

mod stream;
pub mod tail;
mod watcher;

pub use stream::{Customer, Hit, Season, Stream, alert_id};
pub use watcher::Watcher;

/// Parameters of one detector. Defaults are documented in docs/EARLY_WARNING.md and chosen
/// by reasoning about streams of customer messages, not fitted per series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BurstConfig {
    /// Width of one time bin in seconds.
    pub bin_secs: i64,
    /// Lengths (in bins) of the sliding detection windows; the most surprising one counts.
    pub windows: Vec<u32>,
    /// Seasonal profile of the baseline.
    pub season: Season,
    /// Half-life of the baseline level, in bins.
    pub level_half_life_bins: f64,
    /// Half-life of each seasonal factor, in visits of its slot (bins).
    pub season_half_life_bins: f64,
    /// Half-life of the dispersion estimate, in bins.
    pub dispersion_half_life_bins: f64,
    /// Dispersion (variance / mean) before any data.
    pub initial_dispersion: f64,
    /// Upper bound of the dispersion.
    pub max_dispersion: f64,
    /// Bins of history before the stream may alert (ignored with `prior_rate`).
    pub warmup_bins: u32,
    /// A new stream starts from this many messages per bin, with no warm-up (cases: a new
    /// case has no history of its own).
    pub prior_rate: Option<f64>,
    /// Floor of the expected count per bin.
    pub min_rate: f64,
    /// Open an alert when the window surprise (-log10 p) reaches this.
    pub open_surprise: f64,
    /// Calibrated threshold: remember the daily peak surprise of this many past days and
    /// raise `open_surprise` to the level those peaks exceeded on `alert_days_per_week`
    /// days per week (0 = off). Heavy-tailed real streams burst a little every day; this
    /// keeps alerts for what is rare *for this stream*.
    pub calibration_days: u32,
    /// Target rate of alert days per week for the calibrated threshold.
    pub alert_days_per_week: f64,
    /// A bin counts as quiet when the longest window's surprise is below this.
    pub close_surprise: f64,
    /// Close an open alert after this many quiet bins in a row.
    pub close_after_bins: u32,
    /// Distinct customers the window needs before it can alert.
    pub min_customers: u32,
    /// The window's weighted count must be at least this multiple of the expected count.
    pub min_ratio: f64,
    /// Bin counts above `expected + cap_sigmas * sd` update the baseline as if they were
    /// at that cap, so a burst does not teach the baseline that bursts are normal.
    pub cap_sigmas: f64,
    /// Message ids kept as samples per alert.
    pub sample_ids: usize,
}

impl Default for BurstConfig {
    fn default() -> Self {
        BurstConfig {
            bin_secs: 300,
            windows: vec![1, 3, 6],
            season: Season::HourOfDay,
            level_half_life_bins: 288.0,
            season_half_life_bins: 84.0,
            dispersion_half_life_bins: 2016.0,
            initial_dispersion: 2.0,
            max_dispersion: 50.0,
            warmup_bins: 288,
            prior_rate: None,
            min_rate: 0.02,
            open_surprise: 12.0,
            calibration_days: 28,
            alert_days_per_week: 1.0,
            close_surprise: 2.0,
            close_after_bins: 12,
            min_customers: 10,
            min_ratio: 2.0,
            cap_sigmas: 3.0,
            sample_ids: 5,
        }
    }
}

fn alpha(half_life: f64) -> f64 {
    1.0 - 0.5f64.powf(1.0 / half_life.max(1.0))
}

impl BurstConfig {
    /// Defaults for per-case streams: a new case starts from a low prior rate (Poisson) and
    /// needs no warm-up; no seasonal profile (cases are short-lived).
    pub fn for_cases() -> Self {
        BurstConfig {
            season: Season::None,
            prior_rate: Some(0.05),
            level_half_life_bins: 72.0,
            // A new case has no history to measure over-dispersion on: Poisson around the
            // prior rate (a negative binomial with a mean this small has so heavy a tail
            // that a real burst needed ~18 messages in 30 minutes).
            initial_dispersion: 1.0,
            open_surprise: 10.0,
            min_customers: 8,
            calibration_days: 0,
            ..BurstConfig::default()
        }
    }

    /// Defaults for per-topic streams.
    pub fn for_topics() -> Self {
        BurstConfig {
            min_customers: 8,
            ..BurstConfig::default()
        }
    }

    fn window_len(&self) -> usize {
        self.windows.iter().copied().max().unwrap_or(1).max(1) as usize
    }

    fn level_alpha(&self) -> f64 {
        alpha(self.level_half_life_bins)
    }

    fn season_alpha(&self) -> f64 {
        alpha(self.season_half_life_bins)
    }

    fn dispersion_alpha(&self) -> f64 {
        alpha(self.dispersion_half_life_bins)
    }
}

/// Parameters of the three scopes. In a parameter file each scope's keys change that
/// scope's own defaults (`[monitor.case] min_customers = 10` keeps the other case
/// defaults, not those of `all`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitorConfig {
    /// All negative public inbound messages.
    pub all: BurstConfig,
    pub topic: BurstConfig,
    pub case: BurstConfig,
    /// Topic and case streams idle this long (seconds of data time) are forgotten.
    pub idle_secs: i64,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            all: BurstConfig::default(),
            topic: BurstConfig::for_topics(),
            case: BurstConfig::for_cases(),
            idle_secs: 7 * 86_400,
        }
    }
}

/// Declares [`BurstPatch`]: every [`BurstConfig`] key optional, applied over a scope's
/// defaults.
macro_rules! burst_patch {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Some keys of a [`BurstConfig`] (a parameter file's `[monitor.SCOPE]` table).
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct BurstPatch {
            $($field: Option<$ty>,)*
        }

        impl BurstPatch {
            fn apply(self, mut config: BurstConfig) -> BurstConfig {
                $(if let Some(v) = self.$field {
                    config.$field = v;
                })*
                config
            }
        }
    };
}

burst_patch! {
    bin_secs: i64,
    windows: Vec<u32>,
    season: Season,
    level_half_life_bins: f64,
    season_half_life_bins: f64,
    dispersion_half_life_bins: f64,
    initial_dispersion: f64,
    max_dispersion: f64,
    warmup_bins: u32,
    prior_rate: Option<f64>,
    min_rate: f64,
    open_surprise: f64,
    calibration_days: u32,
    alert_days_per_week: f64,
    close_surprise: f64,
    close_after_bins: u32,
    min_customers: u32,
    min_ratio: f64,
    cap_sigmas: f64,
    sample_ids: usize,
}

impl<'de> Deserialize<'de> for MonitorConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(default, deny_unknown_fields)]
        #[derive(Default)]
        struct Raw {
            all: BurstPatch,
            topic: BurstPatch,
            case: BurstPatch,
            idle_secs: Option<i64>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let defaults = MonitorConfig::default();
        Ok(MonitorConfig {
            all: raw.all.apply(defaults.all),
            topic: raw.topic.apply(defaults.topic),
            case: raw.case.apply(defaults.case),
            idle_secs: raw.idle_secs.unwrap_or(defaults.idle_secs),
        })
    }
}

/// What the monitor needs to know about one message (or one count of messages).
#[derive(Debug, Clone)]
pub struct Signal<'a> {
    pub id: &'a str,
    pub at: Timestamp,
    pub customer: Customer,
    pub messages: u32,
    /// Counts towards scope `all` and the topic streams.
    pub negative: bool,
    /// Per-message weight: `1 + toxicity` (see [`Signal::from_message`]).
    pub weight: f64,
    /// (Inline up to two: a list on the heap per message was an allocation each.)
    pub topics: SmallVec<[&'a str; 2]>,
    /// The case the message was grouped into.
    pub case: Option<SignalCase<'a>>,
}

/// The case of a [`Signal`].
#[derive(Debug, Clone, Copy)]
pub struct SignalCase<'a> {
    /// The casebook's number for it ([`crate::cases::Assignment::case`]), which keys its
    /// detector.
    pub number: u32,
    /// Its `case_id`, the key its alerts carry.
    pub id: &'a str,
    pub label: &'a str,
}

impl<'a> Signal<'a> {
    /// The signal of one message. Sentiment and topics come from the analysis when there is
    /// one, otherwise from the message's gold labels (`sentiment`, `topic`). Returns `None`
    /// for messages that cannot start a public storm (outbound or private).
    pub fn from_message(
        message: &'a Message,
        analysis: Option<&'a Analysis>,
        case: Option<SignalCase<'a>>,
    ) -> Option<Self> {
        if message.direction != Direction::Inbound || message.visibility != Visibility::Public {
            return None;
        }
        let (negative, toxicity, topics) = match analysis {
            Some(a) => (
                a.is_negative(),
                f64::from(a.toxicity).clamp(0.0, 1.0),
                a.topics.iter().map(|t| t.label.as_str()).collect(),
            ),
            None => {
                let negative = message
                    .labels
                    .get("sentiment")
                    .and_then(|s| SentimentLabel::parse(s))
                    == Some(SentimentLabel::Negative);
                // Gold topics are single labels that may contain spaces ("Late Flight").
                let topics = message
                    .labels
                    .get("topic")
                    .map(String::as_str)
                    .into_iter()
                    .collect();
                (negative, 0.0, topics)
            }
        };
        Some(Signal {
            id: &message.external_id,
            at: message.created_at,
            customer: Customer::Id(xxhash_rust::xxh3::xxh3_64(message.author.as_bytes())),
            messages: 1,
            negative,
            weight: 1.0 + toxicity,
            topics,
            case,
        })
    }

    /// `count` messages from as many distinct customers at `at` (a count series like NAB).
    pub fn count(at: Timestamp, count: u32) -> Signal<'static> {
        Signal {
            id: "",
            at,
            customer: Customer::Anonymous(count),
            messages: count,
            negative: true,
            weight: f64::from(count),
            topics: SmallVec::new(),
            case: None,
        }
    }
}

/// The early-warning monitor: one detector per (scope, key), fed one signal at a time in
/// data-time order. Pure and deterministic: the same signals give the same alerts.
#[derive(Debug, Clone)]
pub struct Monitor {
    config: MonitorConfig,
    all: Option<Stream>,
    topics: FastMap<String, Stream>,
    /// Case detectors by case number.
    cases: FastMap<u32, CaseDetector>,
    /// The streams with an open alert, and for a case its number.
    open: BTreeMap<(AlertScope, String), Option<u32>>,
    now: Option<Timestamp>,
    last_sweep: i64,
}

impl Monitor {
    pub fn new(config: MonitorConfig) -> Self {
        Monitor {
            config,
            all: None,
            topics: FastMap::default(),
            cases: FastMap::default(),
            open: BTreeMap::new(),
            now: None,
            last_sweep: i64::MIN,
        }
    }

    pub fn config(&self) -> &MonitorConfig {
        &self.config
    }

    /// Feeds one signal; returns the alert events it caused (usually none).
    pub fn observe(&mut self, signal: &Signal<'_>) -> Vec<Alert> {
        let mut out = Vec::new();
        self.observe_into(signal, &mut out);
        out
    }

    /// Like [`Monitor::observe`], appending to `out` (no allocation when nothing happens).
    pub fn observe_into(&mut self, signal: &Signal<'_>, out: &mut Vec<Alert>) {
        let at = signal.at;
        self.now = Some(self.now.map_or(at, |n| n.max(at)));
        self.tick_into(at, out);
        let hit = |weight: f64| Hit {
            at,
            id: signal.id,
            customer: signal.customer,
            messages: signal.messages,
            weight,
        };
        let config = &self.config;
        if signal.negative {
            let stream = self
                .all
                .get_or_insert_with(|| Stream::new(AlertScope::All, "negative", &config.all));
            push(
                stream,
                &hit(signal.weight),
                &config.all,
                out,
                &mut self.open,
                (AlertScope::All, None),
            );
            for topic in &signal.topics {
                let stream = match self.topics.get_mut(*topic) {
                    Some(s) => s,
                    None => self
                        .topics
                        .entry((*topic).to_owned())
                        .or_insert_with(|| Stream::new(AlertScope::Topic, *topic, &config.topic)),
                };
                push(
                    stream,
                    &hit(signal.weight),
                    &config.topic,
                    out,
                    &mut self.open,
                    (AlertScope::Topic, None),
                );
            }
        }
        if let Some(case) = signal.case.filter(|_| signal.negative) {
            let hit = hit(signal.weight);
            let detector = match self.cases.entry(case.number) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    // Most cases get one message and never another: their detector waits as
                    // that one hit (see `CaseDetector`) and builds no stream.
                    match Waiting::new(&hit, &config.case) {
                        Some(waiting) => {
                            e.insert(CaseDetector::Waiting(waiting));
                            return;
                        }
                        None => e.insert(CaseDetector::Running(Box::new(Stream::new(
                            AlertScope::Case,
                            case.id,
                            &config.case,
                        )))),
                    }
                }
            };
            let stream = detector.run(case.id, &config.case);
            if !stream.is_open() {
                stream.set_label(case.label);
            }
            // Only criticism makes a storm: a case's negative messages count (a viral
            // joke or praise is not an early warning), weighted like the others.
            push(
                stream,
                &hit,
                &config.case,
                out,
                &mut self.open,
                (AlertScope::Case, Some(case.number)),
            );
        }
    }

    /// Moves data time forward without a message (the live engine calls this on a clock
    /// tick): open alerts whose burst has ended are closed.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Alert> {
        let mut out = Vec::new();
        self.tick_into(now, &mut out);
        out
    }

    fn tick_into(&mut self, now: Timestamp, out: &mut Vec<Alert>) {
        // (Called for every signal: the open set is walked in place, not copied.)
        let (all, topics, cases, config) = (
            &mut self.all,
            &mut self.topics,
            &mut self.cases,
            &self.config,
        );
        self.open.retain(|(scope, key), case| {
            let (stream, config) = match scope {
                AlertScope::All => (all.as_mut(), &config.all),
                AlertScope::Topic => (topics.get_mut(key), &config.topic),
                AlertScope::Case => (
                    case.and_then(|n| cases.get_mut(&n))
                        .and_then(CaseDetector::running),
                    &config.case,
                ),
            };
            match stream {
                Some(stream) => {
                    stream.advance_to(now, config, out);
                    stream.is_open()
                }
                None => true,
            }
        });
        // Forget idle topic and case streams once a day of data time.
        let day = now.timestamp().div_euclid(86_400);
        if day > self.last_sweep {
            self.last_sweep = day;
            let horizon = now.timestamp() - self.config.idle_secs;
            let (tc, cc) = (&self.config.topic, &self.config.case);
            self.topics.retain(|_, s| {
                s.is_open()
                    || s.last_bin_start(tc)
                        .is_some_and(|t| t.timestamp() >= horizon)
            });
            self.cases.retain(|_, d| match d {
                CaseDetector::Waiting(w) => w.bin_start(cc).timestamp() >= horizon,
                CaseDetector::Running(s) => {
                    s.is_open()
                        || s.last_bin_start(cc)
                            .is_some_and(|t| t.timestamp() >= horizon)
                }
            });
        }
    }

    /// Closes every open alert (end of a replay).
    pub fn finish(&mut self) -> Vec<Alert> {
        let mut out = Vec::new();
        let Some(now) = self.now else { return out };
        self.tick_into(now, &mut out);
        for ((scope, key), case) in std::mem::take(&mut self.open) {
            let (stream, config) = match scope {
                AlertScope::All => (self.all.as_mut(), &self.config.all),
                AlertScope::Topic => (self.topics.get_mut(&key), &self.config.topic),
                AlertScope::Case => (
                    case.and_then(|n| self.cases.get_mut(&n))
                        .and_then(CaseDetector::running),
                    &self.config.case,
                ),
            };
            if let Some(stream) = stream {
                stream.finish(now, config, &mut out);
            }
        }
        out
    }

    /// Forgets the detector of this case unless an alert is open on it (then the daily sweep
    /// of idle streams forgets it once the alert closed).
    pub fn forget_case(&mut self, number: u32) {
        if self.cases.get(&number).is_some_and(|d| !d.is_open()) {
            self.cases.remove(&number);
        }
    }

    /// Whether a detector for the case with this `case_id` exists (its alerts may still be
    /// told).
    pub fn has_case(&self, case_id: &str) -> bool {
        crate::cases::case_number(case_id).is_some_and(|n| self.cases.contains_key(&n))
    }

    /// Number of live streams (all + topics + cases), for diagnostics.
    pub fn streams(&self) -> usize {
        usize::from(self.all.is_some()) + self.topics.len() + self.cases.len()
    }
}

/// The detector of one case. A stream cannot open an alert before `min_customers` distinct
/// customers, so a case's first hit waits as it is, and the stream is built and fed that hit
/// when the second arrives: the same state and alerts as a stream built at once, without
/// building one for each of the many cases that never get a second message (in `watch` over
/// airline tweets, nine in ten).
#[derive(Debug, Clone)]
enum CaseDetector {
    Waiting(Waiting),
    Running(Box<Stream>),
}

/// A case's first hit, owned.
#[derive(Debug, Clone)]
struct Waiting {
    at: Timestamp,
    id: String,
    customer: Customer,
    messages: u32,
    weight: f64,
}

impl Waiting {
    /// The hit, when one hit alone cannot open an alert under `config` (a known customer and
    /// `min_customers` above one).
    fn new(hit: &Hit<'_>, config: &BurstConfig) -> Option<Self> {
        (config.min_customers > 1 && matches!(hit.customer, Customer::Id(_))).then(|| Waiting {
            at: hit.at,
            id: hit.id.to_owned(),
            customer: hit.customer,
            messages: hit.messages,
            weight: hit.weight,
        })
    }

    /// Start of the hit's bin (a stream's [`Stream::last_bin_start`] after this one hit).
    fn bin_start(&self, config: &BurstConfig) -> Timestamp {
        stream::bin_start(self.at.timestamp().div_euclid(config.bin_secs), config)
    }
}

impl CaseDetector {
    fn is_open(&self) -> bool {
        matches!(self, CaseDetector::Running(s) if s.is_open())
    }

    fn running(&mut self) -> Option<&mut Stream> {
        match self {
            CaseDetector::Waiting(_) => None,
            CaseDetector::Running(s) => Some(s),
        }
    }

    /// The stream, built and fed the waiting hit if there is one.
    fn run(&mut self, key: &str, config: &BurstConfig) -> &mut Stream {
        if let CaseDetector::Waiting(w) = self {
            let mut stream = Stream::new(AlertScope::Case, key, config);
            let hit = Hit {
                at: w.at,
                id: &w.id,
                customer: w.customer,
                messages: w.messages,
                weight: w.weight,
            };
            let mut none = Vec::new();
            stream.push(&hit, config, &mut none);
            debug_assert!(
                none.is_empty() && !stream.is_open(),
                "one hit opened an alert"
            );
            *self = CaseDetector::Running(Box::new(stream));
        }
        match self {
            CaseDetector::Running(s) => s,
            CaseDetector::Waiting(_) => unreachable!("built above"),
        }
    }
}

fn push(
    stream: &mut Stream,
    hit: &Hit<'_>,
    config: &BurstConfig,
    out: &mut Vec<Alert>,
    open: &mut BTreeMap<(AlertScope, String), Option<u32>>,
    (scope, case): (AlertScope, Option<u32>),
) {
    let was_open = stream.is_open();
    stream.push(hit, config, out);
    match (was_open, stream.is_open()) {
        (false, true) => {
            open.insert((scope, stream.key().to_owned()), case);
        }
        (true, false) => {
            open.remove(&(scope, stream.key().to_owned()));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
