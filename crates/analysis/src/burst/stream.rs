//! The burst detector of one stream of messages (one key: all negatives, one topic, one case).
//! Counts per time bin against a seasonal EWMA baseline with a negative-binomial tail
//! probability; opens one alert per burst, updates it while it grows, closes it when it ends.
//! See docs/EARLY_WARNING.md for the method and every parameter.

use crate::cases::terms::FastMap;
use std::collections::VecDeque;

use chrono::{DateTime, Datelike, Timelike};
use model::{Alert, AlertEvent, AlertScope, Severity, Timestamp};

use super::BurstConfig;
use super::tail::{surprise, surprise_bound};

/// Who wrote a hit: one identified customer, or `n` distinct customers without ids (a count
/// series such as NAB, where every count is that many messages from distinct customers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Customer {
    Id(u64),
    Anonymous(u32),
}

/// One or more messages arriving at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    pub at: Timestamp,
    /// Message id (used for `sample_ids`); empty for count series.
    pub id: &'a str,
    pub customer: Customer,
    /// Number of messages this hit stands for (1 for a message, the value for a count series).
    pub messages: u32,
    /// Weighted count: `messages` times the per-message weight (negativity, toxicity, reach).
    pub weight: f64,
}

/// How the expected count varies with the time of the bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Season {
    /// No seasonal profile: one level.
    None,
    /// 24 hourly factors (needs a few days of data).
    HourOfDay,
    /// 168 hour-of-week factors (needs a few weeks of data).
    HourOfWeek,
}

impl Season {
    fn slots(self) -> usize {
        match self {
            Season::None => 1,
            Season::HourOfDay => 24,
            Season::HourOfWeek => 168,
        }
    }

    fn slot(self, at: Timestamp) -> usize {
        match self {
            Season::None => 0,
            Season::HourOfDay => at.hour() as usize,
            Season::HourOfWeek => {
                at.weekday().num_days_from_monday() as usize * 24 + at.hour() as usize
            }
        }
    }
}

/// One time bin of the recent window.
#[derive(Debug, Clone, Default)]
struct Bin {
    index: i64,
    weight: f64,
    messages: u64,
    /// Customers whose latest message so far falls in this bin (so the sum over a window is
    /// the number of distinct customers in it), plus anonymous customers.
    distinct: u64,
    expected: f64,
    samples: Vec<String>,
}

/// The seasonal EWMA baseline: expected count per bin = level x season factor, with an EWMA
/// of the Pearson dispersion (variance / mean) for the negative-binomial tail.
#[derive(Debug, Clone)]
struct Baseline {
    level: f64,
    season: Vec<f64>,
    season_seen: Vec<u64>,
    dispersion: f64,
    bins_seen: u64,
}

/// The state of an open alert.
#[derive(Debug, Clone)]
struct Open {
    alert: Alert,
    started_bin: i64,
    quiet_bins: u32,
    last_busy_bin: i64,
    emitted_messages: u64,
}

/// Detector state for one key. Feed hits in data-time order with [`Stream::push`]; call
/// [`Stream::advance_to`] when time passes without hits (a live clock tick) so open alerts
/// can close.
#[derive(Debug, Clone)]
pub struct Stream {
    scope: AlertScope,
    key: String,
    label: Option<String>,
    current: i64,
    bins: VecDeque<Bin>,
    authors: FastMap<u64, i64>,
    base: Baseline,
    open: Option<Open>,
    last_prune: i64,
    started: bool,
    /// Daily peaks of the window surprise (newest last) for the calibrated threshold.
    peaks: VecDeque<f64>,
    /// The level `peaks` give the threshold (see [`Stream::threshold`]), kept as they change.
    calibrated: f64,
    peak_day: i64,
    day_peak: f64,
}

impl Stream {
    pub fn new(scope: AlertScope, key: impl Into<String>, config: &BurstConfig) -> Self {
        let slots = config.season.slots();
        let (level, bins_seen) = match config.prior_rate {
            Some(rate) => (rate, u64::from(config.warmup_bins)),
            None => (0.0, 0),
        };
        Stream {
            scope,
            key: key.into(),
            label: None,
            current: i64::MIN,
            bins: VecDeque::new(),
            authors: FastMap::default(),
            base: Baseline {
                level,
                season: vec![1.0; slots],
                season_seen: vec![0; slots],
                dispersion: config.initial_dispersion,
                bins_seen,
            },
            open: None,
            last_prune: i64::MIN,
            started: false,
            peaks: VecDeque::new(),
            calibrated: f64::NEG_INFINITY,
            peak_day: i64::MIN,
            day_peak: 0.0,
        }
    }

    /// Sets the human-readable label carried by alerts (case label, topic name).
    pub fn set_label(&mut self, label: &str) {
        // Called for every message of a case: copy only when the label changed.
        if self.label.as_deref() != Some(label) {
            self.label = Some(label.to_owned());
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The time of the newest bin seen, if any.
    pub fn last_bin_start(&self, config: &BurstConfig) -> Option<Timestamp> {
        self.started.then(|| bin_start(self.current, config))
    }

    /// Expected count per bin right now (for diagnostics).
    pub fn level(&self) -> f64 {
        self.base.level
    }

    /// Adds a hit; appends alert events (a close of a burst that ended before this hit, an
    /// open or an update) to `out`.
    pub fn push(&mut self, hit: &Hit<'_>, config: &BurstConfig, out: &mut Vec<Alert>) {
        let bin = hit.at.timestamp().div_euclid(config.bin_secs);
        self.advance_bins(bin, hit.at, config, out);
        let current = self.current;
        // A late hit (older than the current bin) counts in the current bin: data time only
        // moves forward.
        let window_len = config.window_len();
        let mut new_to_alert = 0u64;
        match hit.customer {
            Customer::Id(author) => {
                let previous = self.authors.insert(author, current);
                if let Some(open) = &self.open
                    && previous.is_none_or(|b| b < open.started_bin)
                {
                    new_to_alert = 1;
                }
                match previous {
                    Some(b) if b == current => {}
                    Some(b) => {
                        if let Some(old) = self.bins.iter_mut().find(|x| x.index == b) {
                            old.distinct -= 1;
                        }
                        self.bins.back_mut().expect("current bin").distinct += 1;
                    }
                    None => self.bins.back_mut().expect("current bin").distinct += 1,
                }
            }
            Customer::Anonymous(n) => {
                self.bins.back_mut().expect("current bin").distinct += u64::from(n);
                new_to_alert = u64::from(n);
            }
        }
        {
            let b = self.bins.back_mut().expect("current bin");
            b.weight += hit.weight;
            b.messages += u64::from(hit.messages);
            if b.samples.len() < config.sample_ids && !hit.id.is_empty() {
                b.samples.push(hit.id.to_owned());
            }
        }
        if self.base.bins_seen < u64::from(config.warmup_bins) {
            return;
        }
        // Without an open alert only a window at the opening threshold matters.
        let floor = match self.open {
            Some(_) => None,
            None => Some(self.threshold(config)),
        };
        let best = self.best_window(config, floor);
        match &mut self.open {
            Some(open) => {
                open.alert.messages += u64::from(hit.messages);
                open.alert.customers += new_to_alert;
                if open.alert.sample_ids.len() < config.sample_ids && !hit.id.is_empty() {
                    open.alert.sample_ids.push(hit.id.to_owned());
                }
                let severity = best
                    .as_ref()
                    .map(|w| severity(w, open.alert.customers, config))
                    .unwrap_or(Severity::Low);
                let grew = open.alert.messages >= 2 * open.emitted_messages;
                let worse = severity > open.alert.severity;
                if let Some(w) = &best
                    && w.surprise > open.alert.surprise
                {
                    open.alert.observed = w.observed;
                    open.alert.expected = w.expected;
                    open.alert.surprise = w.surprise;
                }
                if grew || worse {
                    open.alert.severity = open.alert.severity.max(severity);
                    open.alert.event = AlertEvent::Updated;
                    open.alert.updated_at = hit.at;
                    open.emitted_messages = open.alert.messages;
                    out.push(open.alert.clone());
                }
            }
            None => {
                let Some(w) = best else { return };
                if w.surprise < self.threshold(config) {
                    return;
                }
                let first = self.bins.len() - w.bins;
                let started_bin = self
                    .bins
                    .iter()
                    .skip(first)
                    .find(|b| b.weight > b.expected)
                    .map_or(current, |b| b.index);
                let started_at = bin_start(started_bin, config);
                let mut sample_ids: Vec<String> = self
                    .bins
                    .iter()
                    .skip(first)
                    .filter(|b| b.index >= started_bin)
                    .flat_map(|b| b.samples.iter().cloned())
                    .take(config.sample_ids)
                    .collect();
                sample_ids.truncate(config.sample_ids);
                let messages: u64 = self
                    .bins
                    .iter()
                    .filter(|b| b.index >= started_bin)
                    .map(|b| b.messages)
                    .sum();
                let customers: u64 = self
                    .bins
                    .iter()
                    .filter(|b| b.index >= started_bin)
                    .map(|b| b.distinct)
                    .sum();
                let alert = Alert {
                    alert_id: alert_id(self.scope, &self.key, started_at),
                    event: AlertEvent::Opened,
                    scope: self.scope,
                    key: self.key.clone(),
                    label: self.label.clone(),
                    started_at,
                    detected_at: hit.at,
                    updated_at: hit.at,
                    ended_at: None,
                    severity: severity(&w, customers, config),
                    messages,
                    customers,
                    expected: w.expected,
                    observed: w.observed,
                    surprise: w.surprise,
                    sample_ids,
                };
                out.push(alert.clone());
                self.open = Some(Open {
                    alert,
                    started_bin,
                    quiet_bins: 0,
                    last_busy_bin: current,
                    emitted_messages: messages,
                });
                let _ = window_len;
            }
        }
    }

    /// Moves data time to `at` without a hit (a clock tick or another stream's message), so
    /// a burst that has ended gets its `closed` event.
    pub fn advance_to(&mut self, at: Timestamp, config: &BurstConfig, out: &mut Vec<Alert>) {
        if !self.started {
            return;
        }
        let bin = at.timestamp().div_euclid(config.bin_secs);
        self.advance_bins(bin, at, config, out);
    }

    /// Closes an open alert at the end of the data.
    pub fn finish(&mut self, at: Timestamp, config: &BurstConfig, out: &mut Vec<Alert>) {
        if let Some(open) = self.open.take() {
            out.push(close(open, at, config));
        }
    }

    fn advance_bins(
        &mut self,
        bin: i64,
        at: Timestamp,
        config: &BurstConfig,
        out: &mut Vec<Alert>,
    ) {
        if !self.started {
            self.started = true;
            self.current = bin;
            self.open_bin(bin, config);
            return;
        }
        if bin <= self.current {
            return;
        }
        // Finalise the current bin and every empty bin up to `bin`. Long gaps are folded in
        // closed form after enough empty bins to close any alert and cycle the season.
        let limit = (config.season.slots() as i64 * 3600 / config.bin_secs).max(1) * 2
            + i64::from(config.close_after_bins)
            + config.window_len() as i64;
        let mut b = self.current;
        while b < bin {
            self.finalise_current(config, at, out);
            b += 1;
            if bin - b > limit && self.open.is_none() {
                let skip = bin - b;
                let keep = 1.0 - config.level_alpha();
                self.base.level *= keep.powf(skip as f64);
                self.base.bins_seen += skip as u64;
                self.bins.clear();
                b = bin;
            }
            self.current = b;
            self.open_bin(b, config);
        }
        self.prune(config);
    }

    fn open_bin(&mut self, index: i64, config: &BurstConfig) {
        let expected = self.expected(index, config);
        self.bins.push_back(Bin {
            index,
            expected,
            ..Bin::default()
        });
        while self.bins.len() > config.window_len() {
            self.bins.pop_front();
        }
    }

    fn expected(&self, index: i64, config: &BurstConfig) -> f64 {
        let slot = config.season.slot(bin_start(index, config));
        (self.base.level * self.base.season[slot]).max(config.min_rate)
    }

    /// Updates the baseline with the finished current bin and checks whether an open alert
    /// has gone quiet.
    fn finalise_current(&mut self, config: &BurstConfig, at: Timestamp, out: &mut Vec<Alert>) {
        let (x, mu, index) = match self.bins.back() {
            Some(b) => (b.weight, b.expected, b.index),
            None => return,
        };
        let warm = self.base.bins_seen >= u64::from(config.warmup_bins);
        let phi = self.base.dispersion;
        let xc = if warm {
            x.min(mu + config.cap_sigmas * (phi * mu).sqrt())
        } else {
            x
        };
        let base = &mut self.base;
        base.bins_seen += 1;
        let slot = config.season.slot(bin_start(index, config));
        let a = config.level_alpha().max(1.0 / base.bins_seen as f64);
        let s = base.season[slot].max(1e-3);
        base.level += a * (xc / s - base.level);
        if config.season != Season::None && base.level > 0.0 {
            base.season_seen[slot] += 1;
            let b = config
                .season_alpha()
                .max(1.0 / base.season_seen[slot] as f64);
            let target = (xc / base.level).clamp(0.05, 20.0);
            base.season[slot] += b * (target - base.season[slot]);
        }
        if warm {
            let r2 = (xc - mu).powi(2) / mu;
            let ad = config.dispersion_alpha();
            base.dispersion =
                (base.dispersion + ad * (r2 - base.dispersion)).clamp(1.0, config.max_dispersion);
        } else {
            // During warm-up, the plain running mean of the Pearson statistic.
            let r2 = if base.level > 0.0 {
                (x - base.level * s).powi(2) / (base.level * s).max(config.min_rate)
            } else {
                1.0
            };
            let n = base.bins_seen as f64;
            base.dispersion =
                (base.dispersion + (r2 - base.dispersion) / n).clamp(1.0, config.max_dispersion);
        }
        if warm && config.calibration_days > 0 {
            self.record_peak(index, config);
        }
        // An open alert closes after `close_after_bins` quiet bins in a row.
        if self.open.is_some() {
            let quiet = match self.window_sums(config.window_len()) {
                Some(w) => self.surprise_below(&w, config.close_surprise),
                None => true,
            };
            let open = self.open.as_mut().expect("open");
            if quiet {
                open.quiet_bins += 1;
            } else {
                open.quiet_bins = 0;
                open.last_busy_bin = index;
            }
            if open.quiet_bins >= config.close_after_bins {
                let open = self.open.take().expect("open");
                out.push(close(open, at, config));
            }
        }
    }

    /// The opening threshold: `open_surprise`, raised (when calibration is on) to the level
    /// that past daily peaks exceeded on `alert_days_per_week` days per week.
    pub fn threshold(&self, config: &BurstConfig) -> f64 {
        if config.calibration_days == 0 || self.peaks.is_empty() {
            return config.open_surprise;
        }
        config.open_surprise.max(self.calibrated)
    }

    /// The level past daily peaks exceeded on `alert_days_per_week` days per week.
    fn calibrate(&mut self, config: &BurstConfig) {
        let mut v: Vec<f64> = self.peaks.iter().copied().collect();
        v.sort_by(|a, b| b.total_cmp(a));
        let k =
            ((v.len() as f64 * config.alert_days_per_week / 7.0).floor() as usize).min(v.len() - 1);
        self.calibrated = v[k];
    }

    fn record_peak(&mut self, index: i64, config: &BurstConfig) {
        let day = (index * config.bin_secs).div_euclid(86_400);
        if day != self.peak_day {
            if self.peak_day != i64::MIN {
                self.peaks.push_back(self.day_peak);
                while self.peaks.len() > config.calibration_days as usize {
                    self.peaks.pop_front();
                }
                self.calibrate(config);
            }
            self.peak_day = day;
            self.day_peak = 0.0;
        }
        for &w in &config.windows {
            if let Some(stat) = self.window_sums(w as usize)
                && !self.surprise_below(&stat, self.day_peak)
            {
                let stat = self.with_surprise(stat);
                self.day_peak = self.day_peak.max(stat.surprise);
            }
        }
    }

    fn prune(&mut self, config: &BurstConfig) {
        let horizon = self.current - config.window_len() as i64;
        if self.authors.len() < 4096
            || self.current.saturating_sub(self.last_prune) < config.window_len() as i64
        {
            return;
        }
        let keep_from = match &self.open {
            Some(open) => horizon.min(open.started_bin),
            None => horizon,
        };
        self.authors.retain(|_, b| *b >= keep_from);
        self.last_prune = self.current;
    }

    /// The most surprising detection window that passes the volume gates; with a `floor`,
    /// only windows whose surprise may reach it are weighed (the best window is the same
    /// whenever it reaches the floor).
    fn best_window(&self, config: &BurstConfig, floor: Option<f64>) -> Option<WindowStat> {
        let mut best: Option<WindowStat> = None;
        for &w in &config.windows {
            // The gates first: most windows of most streams fail them, and the tail
            // probability is the dear part.
            if let Some(stat) = self.window_sums(w as usize)
                && stat.customers >= u64::from(config.min_customers)
                && stat.observed >= config.min_ratio * stat.expected
                && floor.is_none_or(|f| !self.surprise_below(&stat, f))
            {
                let stat = self.with_surprise(stat);
                if best.as_ref().is_none_or(|b| stat.surprise > b.surprise) {
                    best = Some(stat);
                }
            }
        }
        best
    }

    fn with_surprise(&self, mut stat: WindowStat) -> WindowStat {
        stat.surprise = if stat.observed > stat.expected {
            surprise(stat.observed, stat.expected, self.base.dispersion)
        } else {
            0.0
        };
        stat
    }

    /// Whether the window's surprise is below `level`, from the cheap bound where it
    /// decides (as `with_surprise(stat).surprise < level` would).
    fn surprise_below(&self, stat: &WindowStat, level: f64) -> bool {
        if stat.observed <= stat.expected {
            return 0.0 < level;
        }
        match surprise_bound(stat.observed, stat.expected, self.base.dispersion) {
            Some(bound) if bound < level => true,
            _ => self.with_surprise(stat.clone()).surprise < level,
        }
    }

    /// Counts of the last `w` bins, without the surprise.
    fn window_sums(&self, w: usize) -> Option<WindowStat> {
        let n = self.bins.len();
        if n == 0 {
            return None;
        }
        let w = w.min(n).max(1);
        let mut stat = WindowStat {
            bins: w,
            ..WindowStat::default()
        };
        for b in self.bins.iter().skip(n - w) {
            stat.observed += b.weight;
            stat.expected += b.expected;
            stat.customers += b.distinct;
        }
        Some(stat)
    }
}

#[derive(Debug, Clone, Default)]
struct WindowStat {
    bins: usize,
    observed: f64,
    expected: f64,
    customers: u64,
    surprise: f64,
}

/// Severity: the highest level whose customer and ratio gates the window passes
/// (docs/EARLY_WARNING.md, "Severity").
fn severity(w: &WindowStat, customers: u64, config: &BurstConfig) -> Severity {
    let ratio = w.observed / w.expected.max(1e-9);
    let c = customers.max(w.customers) as f64 / f64::from(config.min_customers.max(1));
    if c >= 10.0 && ratio >= 10.0 {
        Severity::Critical
    } else if c >= 4.0 && ratio >= 5.0 {
        Severity::High
    } else if c >= 2.0 && ratio >= 3.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

fn close(open: Open, at: Timestamp, config: &BurstConfig) -> Alert {
    let mut alert = open.alert;
    alert.event = AlertEvent::Closed;
    alert.updated_at = at;
    alert.ended_at = Some(bin_start(open.last_busy_bin + 1, config));
    alert
}

pub(super) fn bin_start(index: i64, config: &BurstConfig) -> Timestamp {
    DateTime::from_timestamp(index * config.bin_secs, 0).unwrap_or_default()
}

/// A stable id for one burst: the same scope, key and start give the same id.
pub fn alert_id(scope: AlertScope, key: &str, started_at: Timestamp) -> String {
    let text = format!(
        "{}\u{1f}{}\u{1f}{}",
        scope.as_str(),
        key,
        started_at.timestamp()
    );
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}
