//! Early-warning evaluations (docs/EARLY_WARNING.md, BENCHMARKS.md "Early warning"):
//! `nab` scores the burst detector on the NAB realTweets series with their labelled windows;
//! `bursts` injects bursts of real complaint texts into real airline traffic; `purity`
//! measures case purity on GermEval 2017 dev; `speed-data` writes a large JSONL for timing
//! `kundenversteher watch`. All deterministic (fixed seeds).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use analysis::burst::{MonitorConfig, Watcher};
use analysis::cases::CaseConfig;
use anyhow::{Context, bail};
use chrono::{Duration, NaiveDateTime};
use model::{Alert, AlertEvent, AlertScope, Message, Timestamp};

mod latency;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("nab") => nab(&args[1..]),
        Some("bursts") => bursts(&args[1..]),
        Some("purity") => purity(&args[1..]),
        Some("speed-data") => speed_data(&args[1..]),
        Some("memory") => memory(&args[1..]),
        Some("latency") => latency::run(&args[1..]),
        _ => bail!(
            "usage: cargo xtask early-warning nab|bursts|purity|memory [COPIES]|latency|speed-data OUT [COPIES]"
        ),
    }
}

fn params(args: &[String]) -> anyhow::Result<MonitorConfig> {
    match args.iter().position(|a| a == "--params") {
        Some(i) => {
            let path = args.get(i + 1).context("--params needs a file")?;
            #[derive(serde::Deserialize, Default)]
            #[serde(default)]
            struct P {
                monitor: MonitorConfig,
            }
            let p: P = toml::from_str(&std::fs::read_to_string(path)?)?;
            Ok(p.monitor)
        }
        None => Ok(MonitorConfig::default()),
    }
}

fn case_params(args: &[String]) -> anyhow::Result<CaseConfig> {
    match args.iter().position(|a| a == "--params") {
        Some(i) => {
            let path = args.get(i + 1).context("--params needs a file")?;
            #[derive(serde::Deserialize, Default)]
            #[serde(default)]
            struct P {
                cases: CaseConfig,
            }
            let p: P = toml::from_str(&std::fs::read_to_string(path)?)?;
            Ok(p.cases)
        }
        None => Ok(CaseConfig::default()),
    }
}

fn parse_nab_time(s: &str) -> anyhow::Result<Timestamp> {
    let s = s.split('.').next().unwrap_or(s);
    Ok(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .with_context(|| format!("bad time {s}"))?
        .and_utc())
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// NAB realTweets: per series, share of labelled windows with an alert detected inside,
/// median delay from window start (and from the labelled anomaly), false alarms (alerts
/// opened outside every window) per week of data.
fn nab(args: &[String]) -> anyhow::Result<()> {
    let config = params(args)?;
    let dir = data_dir().join("nab_realtweets");
    let windows: BTreeMap<String, Vec<[String; 2]>> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("combined_windows.json")).context("windows")?,
    )?;
    let labels: BTreeMap<String, Vec<String>> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("combined_labels.json")).context("labels")?,
    )?;
    println!(
        "| series | windows | detected | median delay from window start | median delay from label | false alarms | weeks | false alarms / week |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let (mut tw, mut td, mut tfa, mut tweeks) = (0usize, 0usize, 0usize, 0f64);
    let (mut all_delays, mut all_label_delays) = (Vec::new(), Vec::new());
    for (key, wins) in &windows {
        let file = dir.join(key.trim_start_matches("realTweets/"));
        let source = ingest::Source::open(&file)?;
        let mut watcher = Watcher::new(CaseConfig::default(), config.clone());
        let mut alerts: Vec<Alert> = Vec::new();
        let (mut first, mut last) = (None, None);
        for row in ingest::counts::read(source) {
            let row = row.map_err(|r| anyhow::anyhow!("{r}"))?;
            first.get_or_insert(row.at);
            last = Some(row.at);
            watcher.observe_count(row.at, row.value, &mut alerts);
        }
        alerts.extend(watcher.finish());
        let opened: Vec<&Alert> = alerts
            .iter()
            .filter(|a| a.event == AlertEvent::Opened)
            .collect();
        let wins: Vec<(Timestamp, Timestamp)> = wins
            .iter()
            .map(|[a, b]| Ok((parse_nab_time(a)?, parse_nab_time(b)?)))
            .collect::<anyhow::Result<_>>()?;
        let labs: Vec<Timestamp> = labels
            .get(key)
            .map(|v| {
                v.iter()
                    .map(|s| parse_nab_time(s))
                    .collect::<anyhow::Result<_>>()
            })
            .transpose()?
            .unwrap_or_default();
        let mut delays = Vec::new();
        let mut label_delays = Vec::new();
        let mut detected = 0;
        for &(s, e) in &wins {
            if let Some(a) = opened
                .iter()
                .find(|a| a.detected_at >= s && a.detected_at <= e)
            {
                detected += 1;
                let d = (a.detected_at - s).num_minutes() as f64 / 60.0;
                delays.push(d);
                if let Some(l) = labs.iter().find(|l| **l >= s && **l <= e) {
                    label_delays.push((a.detected_at - *l).num_minutes() as f64 / 60.0);
                }
            }
        }
        let fa = opened
            .iter()
            .filter(|a| {
                !wins
                    .iter()
                    .any(|&(s, e)| a.detected_at >= s && a.detected_at <= e)
            })
            .count();
        let weeks = (last.unwrap() - first.unwrap()).num_seconds() as f64 / (7.0 * 86_400.0);
        all_delays.extend(delays.iter().copied());
        all_label_delays.extend(label_delays.iter().copied());
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {:.2} |",
            key.trim_start_matches("realTweets/Twitter_volume_")
                .trim_end_matches(".csv"),
            wins.len(),
            detected,
            median(&mut delays).map_or("-".into(), |d| format!("{d:.1} h")),
            median(&mut label_delays).map_or("-".into(), |d| format!("{d:+.1} h")),
            fa,
            weeks,
            fa as f64 / weeks
        );
        if std::env::var_os("NAB_DEBUG").is_some() {
            for a in &opened {
                eprintln!(
                    "{key} {} {:?} obs {:.0} exp {:.1} s {:.1}",
                    a.detected_at, a.severity, a.observed, a.expected, a.surprise
                );
            }
        }
        tw += wins.len();
        td += detected;
        tfa += fa;
        tweeks += weeks;
    }
    println!(
        "| **all** | {tw} | {td} ({:.0} %) | {} | {} | {tfa} | {tweeks:.1} | {:.2} |",
        100.0 * td as f64 / tw as f64,
        median(&mut all_delays).map_or("-".into(), |d| format!("{d:.1} h")),
        median(&mut all_label_delays).map_or("-".into(), |d| format!("{d:+.1} h")),
        tfa as f64 / tweeks
    );
    Ok(())
}

/// SplitMix64: a tiny seeded generator so the evaluation is reproducible without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn read_all(format: ingest::Format, path: &Path) -> anyhow::Result<Vec<Message>> {
    let source = ingest::Source::open(path).with_context(|| path.display().to_string())?;
    let mut v: Vec<Message> = ingest::read(format, source)
        .filter_map(Result::ok)
        .map(|r| r.message)
        .collect();
    v.sort_by_key(|m| m.created_at);
    Ok(v)
}

/// One injected burst.
struct Burst {
    onset: Timestamp,
    customers: usize,
    ids: Vec<String>,
}

/// Runs the watcher over `messages` (sorted); returns alerts and, per message id, its case.
fn replay(messages: &[Message], config: &MonitorConfig) -> (Vec<Alert>, HashMap<String, usize>) {
    let mut watcher = Watcher::new(CaseConfig::default(), config.clone());
    let mut alerts = Vec::new();
    let mut cases = HashMap::new();
    for m in messages {
        if let Some(a) = watcher.observe(m, None, &mut alerts) {
            if std::env::var_os("EW_DEBUG").is_some() && m.external_id.starts_with("inj1-") {
                eprintln!(
                    "{} case {} new {} dup {} label {:?} | {}",
                    m.external_id,
                    a.case,
                    a.new_case,
                    a.near_duplicate,
                    watcher.casebook.case(a.case).map(|c| &c.label),
                    m.text
                );
            }
            cases.insert(m.external_id.clone(), a.case);
        }
    }
    alerts.extend(watcher.finish());
    (alerts, cases)
}

/// Injected bursts on real airline traffic. Background: all 14,640 tweets of Twitter US
/// Airline Sentiment (8 days, real daily cycle and the real Feb 22-23 surge). Each burst: k
/// customers (20, 30, 50 or 80) within 30 minutes, each posting one real negative tweet of
/// one complaint reason from the same file (each text used once and removed from the
/// background), addressed to one airline and naming one flight
/// (`flight AA1234`), as customers of one incident do. Onsets at random times after the
/// first day, one per equal slot of the remaining span; seed fixed.
fn bursts(args: &[String]) -> anyhow::Result<()> {
    let config = params(args)?;
    let seed: u64 = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2026);
    let n_bursts: usize = 20;
    let path = data_dir().join("twitter_us_airline_sentiment/Tweets.csv");
    let background = read_all(ingest::Format::Airline, &path)?;
    let (t_first, t_last) = (
        background[0].created_at,
        background.last().unwrap().created_at,
    );
    let weeks = (t_last - t_first).num_seconds() as f64 / (7.0 * 86_400.0);

    // Background alone: every alert is a false alarm (of the method, by this benchmark's
    // definition: the background has real surges too).
    let (alone, _) = replay(&background, &config);
    let alone_opened: Vec<&Alert> = alone
        .iter()
        .filter(|a| a.event == AlertEvent::Opened)
        .collect();
    let mut by_scope: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &alone_opened {
        *by_scope.entry(a.scope.as_str()).or_default() += 1;
        if std::env::var_os("EW_DEBUG").is_some() {
            eprintln!(
                "background alert {} {} {:?} {} cust {} obs {:.0} exp {:.1} s {:.1} label {:?}",
                a.detected_at,
                a.scope.as_str(),
                a.severity,
                a.key,
                a.customers,
                a.observed,
                a.expected,
                a.surprise,
                a.label
            );
        }
    }

    // Complaint texts by reason (negative tweets only).
    let mut by_reason: BTreeMap<String, Vec<&Message>> = BTreeMap::new();
    for m in &background {
        if m.labels.get("sentiment").map(String::as_str) == Some("negative")
            && let Some(r) = m.labels.get("topic")
            && r != "Can't Tell"
        {
            by_reason.entry(r.clone()).or_default().push(m);
        }
    }
    // Reasons with enough texts to draw every burst without replacement.
    let reasons: Vec<String> = by_reason
        .iter()
        .filter(|(_, v)| v.len() >= 150)
        .map(|(k, _)| k.clone())
        .collect();
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    let airlines = [
        "united",
        "USAirways",
        "AmericanAir",
        "SouthwestAir",
        "JetBlue",
        "Delta",
    ];
    let codes = ["UA", "US", "AA", "WN", "B6", "DL"];
    let mut rng = Rng(seed);
    let mut injected = Vec::new();
    let mut bursts: Vec<Burst> = Vec::new();
    let start = t_first + Duration::days(1);
    let span = (t_last - start - Duration::hours(1)).num_minutes() as u64;
    let sizes = [20usize, 30, 50, 80];
    // One burst per equal slot of the span, at a random time in the slot's first part, so
    // bursts are at least two hours apart.
    let slot = span / n_bursts as u64;
    for i in 0..n_bursts {
        let onset = start + Duration::minutes((i as u64 * slot + rng.below(slot - 120)) as i64);
        let k = sizes[i % sizes.len()];
        let a = rng.below(airlines.len() as u64) as usize;
        let flight = format!("{}{}", codes[a], 100 + rng.below(9000));
        let pool = &by_reason[&reasons[rng.below(reasons.len() as u64) as usize]];
        let mut ids = Vec::new();
        for c in 0..k {
            // Each text is used once and leaves the background (no exact copies remain).
            let src = loop {
                let m = pool[rng.below(pool.len() as u64) as usize];
                if taken.insert(m.external_id.clone()) {
                    break m;
                }
            };
            let body: String = src
                .text
                .split_whitespace()
                .filter(|w| !w.starts_with('@'))
                .collect::<Vec<_>>()
                .join(" ");
            let mut m = src.clone();
            m.external_id = format!("inj{i}-{c}");
            m.author = format!("inj{i}-cust{c}");
            m.author_name = None;
            m.text = format!("@{} flight {flight}: {body}", airlines[a]);
            m.created_at = onset + Duration::seconds(rng.below(30 * 60) as i64);
            m.raw = None;
            ids.push(m.external_id.clone());
            injected.push(m);
        }
        bursts.push(Burst {
            onset,
            customers: k,
            ids,
        });
    }
    let mut stream: Vec<Message> = background
        .iter()
        .filter(|m| !taken.contains(&m.external_id))
        .cloned()
        .collect();
    stream.extend(injected);
    stream.sort_by_key(|m| m.created_at);
    let (alerts, cases) = replay(&stream, &config);
    let opened: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.event == AlertEvent::Opened)
        .collect();
    let injected_ids: std::collections::HashSet<&str> = bursts
        .iter()
        .flat_map(|b| b.ids.iter().map(String::as_str))
        .collect();
    let mut delays = Vec::new();
    let mut detected = 0;
    let mut recalls = Vec::new();
    let mut used = vec![false; opened.len()];
    println!("| burst | onset | customers | detected | delay (min) | scope | case recall |");
    println!("|---|---|---|---|---|---|---|");
    for (i, b) in bursts.iter().enumerate() {
        // The burst's case: where most of its messages went.
        let mut count: HashMap<usize, usize> = HashMap::new();
        for id in &b.ids {
            *count.entry(cases[id]).or_default() += 1;
        }
        let (&case, &n) = count
            .iter()
            .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
            .unwrap();
        let recall = n as f64 / b.ids.len() as f64;
        recalls.push(recall);
        if recall < 0.9 && std::env::var_os("EW_DEBUG").is_some() {
            let text: HashMap<&str, (&str, Timestamp)> = stream
                .iter()
                .map(|m| (m.external_id.as_str(), (m.text.as_str(), m.created_at)))
                .collect();
            let mut members: Vec<(usize, Timestamp, &str)> = b
                .ids
                .iter()
                .map(|id| (cases[id], text[id.as_str()].1, text[id.as_str()].0))
                .collect();
            members.sort_by_key(|m| (m.0, m.1));
            for (c, t, body) in members {
                eprintln!("burst {i} case {c} {} {body}", t.format("%H:%M:%S"));
            }
        }
        let case_key = format!("case-{}", case + 1);
        // Detected: an alert opened within an hour of onset, on the burst's case, or on the
        // all/topic scope.
        let hit = opened.iter().enumerate().find(|(_, a)| {
            a.detected_at >= b.onset
                && a.detected_at <= b.onset + Duration::minutes(60)
                && (a.scope != AlertScope::Case || a.key == case_key)
        });
        let (det, delay, scope) = match hit {
            Some((j, a)) => {
                used[j] = true;
                let d = (a.detected_at - b.onset).num_seconds() as f64 / 60.0;
                delays.push(d);
                detected += 1;
                (true, format!("{d:.1}"), a.scope.as_str())
            }
            None => (false, "-".into(), "-"),
        };
        // Later alerts about the same burst are not false alarms.
        for (j, a) in opened.iter().enumerate() {
            if a.detected_at >= b.onset
                && a.detected_at <= b.onset + Duration::minutes(90)
                && (a.scope != AlertScope::Case
                    || a.key == case_key
                    || a.sample_ids
                        .iter()
                        .any(|s| injected_ids.contains(s.as_str())))
            {
                used[j] = true;
            }
        }
        println!(
            "| {i} | {} | {} | {} | {delay} | {scope} | {recall:.2} |",
            b.onset.format("%m-%d %H:%M"),
            b.customers,
            if det { "yes" } else { "no" },
        );
    }
    let fa_with = used.iter().filter(|u| !**u).count();
    let total_weeks = weeks;
    println!();
    println!(
        "background: {} messages, {:.2} weeks",
        background.len(),
        weeks
    );
    println!(
        "bursts detected: {detected}/{} ({:.0} %), median delay {:.1} min after onset",
        bursts.len(),
        100.0 * detected as f64 / bursts.len() as f64,
        median(&mut delays).unwrap_or(f64::NAN)
    );
    println!(
        "bursts landing in one case (recall >= 0.9): {}/{}; median recall {:.2}, min {:.2}",
        recalls.iter().filter(|r| **r >= 0.9).count(),
        recalls.len(),
        median(&mut recalls.clone()).unwrap_or(f64::NAN),
        recalls.iter().copied().fold(1.0, f64::min)
    );
    println!(
        "false alarms on background alone: {} ({:.2} / week) by scope {:?}",
        alone_opened.len(),
        alone_opened.len() as f64 / total_weeks,
        by_scope
    );
    println!(
        "alerts not explained by an injected burst in the injected run: {fa_with} ({:.2} / week)",
        fa_with as f64 / total_weeks
    );
    Ok(())
}

/// Case purity on GermEval 2017 dev (TSV v1.4): each message's label is the set of its
/// aspect categories (`Category`, without subcategory and polarity; `none` without aspects).
/// A case's majority label is the category held by most members; purity = members holding
/// their case's majority category / members, over cases with >= 2 members.
fn purity(args: &[String]) -> anyhow::Result<()> {
    let cases_config = case_params(args)?;
    let path = data_dir().join("germeval2017/dev_v1.4.tsv");
    let messages = read_all(ingest::Format::Germeval2017, &path)?;
    // `--topics cv`: topics from a topic model that never saw the message (5-fold
    // cross-validation on dev, trial as extra training data); the bundled model was trained
    // on dev itself and would leak the labels purity is measured against.
    let analyses: Vec<Option<model::Analysis>> =
        if args.windows(2).any(|w| w[0] == "--topics" && w[1] == "cv") {
            cv_topics(&messages)?.into_iter().map(Some).collect()
        } else {
            vec![None; messages.len()]
        };
    let mut book = analysis::cases::Casebook::new(cases_config);
    let mut assigned: Vec<usize> = Vec::new();
    for (m, a) in messages.iter().zip(&analyses) {
        assigned.push(book.add(m, a.as_ref()).case);
    }
    let cats = |m: &Message| -> Vec<String> {
        let mut v: Vec<String> = m
            .labels
            .get("aspects")
            .map(|a| {
                a.split_whitespace()
                    .map(|t| t.split(['#', ':']).next().unwrap_or(t).to_owned())
                    .collect()
            })
            .unwrap_or_default();
        if v.is_empty() {
            v.push("none".into());
        }
        v.sort();
        v.dedup();
        v
    };
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, &c) in assigned.iter().enumerate() {
        members.entry(c).or_default().push(i);
    }
    let (mut pure, mut total, mut cases) = (0usize, 0usize, 0usize);
    let (mut pure_no_allg, mut total_no_allg) = (0usize, 0usize);
    for ids in members.values().filter(|v| v.len() >= 2) {
        cases += 1;
        let mut votes: BTreeMap<String, usize> = BTreeMap::new();
        for &i in ids {
            for c in cats(&messages[i]) {
                *votes.entry(c).or_default() += 1;
            }
        }
        let (_, &best) = votes
            .iter()
            .max_by_key(|(c, n)| (**n, std::cmp::Reverse((*c).clone())))
            .unwrap();
        pure += best;
        total += ids.len();
        if std::env::var_os("PURITY_DEBUG").is_some() {
            eprintln!(
                "{}\t{}\t{:?}\t{:?}",
                ids.len(),
                best,
                book.case(assigned[ids[0]]).map(|c| c.label.clone()),
                votes
            );
            if ids.len() == 2 {
                for &i in ids {
                    eprintln!(
                        "    {:?} {}",
                        cats(&messages[i]),
                        messages[i].text.chars().take(160).collect::<String>()
                    );
                }
            }
        }
        // The same, with the catch-all `Allgemein` category ignored when a member has another.
        let mut votes2: BTreeMap<String, usize> = BTreeMap::new();
        for &i in ids {
            let c = cats(&messages[i]);
            let specific: Vec<String> = c.iter().filter(|x| *x != "Allgemein").cloned().collect();
            for x in if specific.is_empty() { c } else { specific } {
                *votes2.entry(x).or_default() += 1;
            }
        }
        pure_no_allg += votes2.values().max().copied().unwrap_or(0);
        total_no_allg += ids.len();
    }
    let grouped = total;
    println!(
        "GermEval 2017 dev: {} messages, {} cases, {cases} with >= 2 members holding {grouped} messages ({:.0} %)",
        messages.len(),
        book.len(),
        100.0 * grouped as f64 / messages.len() as f64
    );
    println!(
        "purity (cases with >= 2 members): {:.3}",
        pure as f64 / total.max(1) as f64
    );
    println!(
        "purity, Allgemein ignored when a member has a specific category: {:.3}",
        pure_no_allg as f64 / total_no_allg.max(1) as f64
    );
    // Baseline: all messages in one case.
    let mut votes: BTreeMap<String, usize> = BTreeMap::new();
    for m in &messages {
        for c in cats(m) {
            *votes.entry(c).or_default() += 1;
        }
    }
    println!(
        "baseline (one case holding everything): {:.3}",
        *votes.values().max().unwrap() as f64 / messages.len() as f64
    );
    Ok(())
}

/// Feeds `copies` copies of the airline tweets, each shifted by the data span (so the stream
/// covers `copies` x 8 days of real traffic), through a [`Watcher`]; calls `each` after every
/// copy with the copy number, the casebook's footprint and the monitor's stream count.
fn long_stream(
    copies: usize,
    cases: CaseConfig,
    mut each: impl FnMut(usize, analysis::cases::Footprint, usize),
) -> anyhow::Result<()> {
    let path = data_dir().join("twitter_us_airline_sentiment/Tweets.csv");
    let base = read_all(ingest::Format::Airline, &path)?;
    let span = base.last().unwrap().created_at - base[0].created_at + Duration::hours(1);
    let mut watcher = Watcher::new(cases, MonitorConfig::default());
    let mut alerts = Vec::new();
    for c in 0..copies {
        for m in &base {
            let mut m = m.clone();
            m.external_id = format!("{}-{c}", m.external_id);
            m.created_at += span * c as i32;
            watcher.observe(&m, None, &mut alerts);
        }
        alerts.clear();
        each(c, watcher.casebook.footprint(), watcher.monitor.streams());
    }
    Ok(())
}

/// Memory of the case grouper over a long stream (BENCHMARKS.md "Early warning"): the
/// footprint after each 8-day copy of the airline tweets.
fn memory(args: &[String]) -> anyhow::Result<()> {
    let copies: usize = args.first().map(|s| s.parse()).transpose()?.unwrap_or(12);
    let cases = case_params(args)?;
    println!(
        "| copy | days of data | live cases | members of live cases | retired cases | terms | index entries | band entries | entries held | detector streams | max RSS (MB) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    long_stream(copies, cases, |c, f, streams| {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {streams} | {} |",
            c + 1,
            8 * (c + 1),
            f.live_cases,
            f.live_members,
            f.retired_cases,
            f.terms,
            f.index_entries,
            f.band_entries,
            f.held_entries,
            max_rss_mb().map_or("-".into(), |m| format!("{m:.0}")),
        );
    })
}

/// Peak resident memory of this process (Linux `VmHWM`), in MB.
fn max_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Out-of-fold topic predictions for GermEval 2017 dev (5 folds, seed 42 as in the
/// Understanding benchmarks; trial added to every fold's training data), as analyses that
/// carry only topics.
fn cv_topics(messages: &[Message]) -> anyhow::Result<Vec<model::Analysis>> {
    use analysis::linear;
    use analysis::task::Task;
    let task = Task::Topic;
    let examples = task.examples(messages);
    if examples.len() != messages.len() {
        bail!("every dev message should be a topic example");
    }
    let trial = read_all(
        ingest::Format::Germeval2017,
        &data_dir().join("germeval2017/trial.tsv"),
    )?;
    let extra = task.examples(&trial);
    let mut cfg = task.train_config(analysis::text::Lang::De);
    cfg.seed = 42;
    let mut all = examples.clone();
    all.extend_from_slice(&extra);
    let classes = linear::class_names(&all);
    let feats = linear::featurize(&all, cfg.features);
    let targets = linear::class_indices(&examples, &classes);
    let k = 5;
    let folds = linear::stratified_folds(&targets, classes.len(), k, cfg.seed);
    let mut out: Vec<model::Analysis> = Vec::with_capacity(messages.len());
    out.resize(messages.len(), topics_only(Vec::new()));
    for f in 0..k {
        let train: Vec<usize> = (0..all.len())
            .filter(|&i| i >= examples.len() || folds[i] != f)
            .collect();
        let tr_feats: Vec<_> = train.iter().map(|&i| feats[i].clone()).collect();
        let tr_ex: Vec<_> = train.iter().map(|&i| all[i].clone()).collect();
        let model = linear::train_features("topic", &tr_feats, &tr_ex, &classes, &cfg);
        for i in (0..examples.len()).filter(|&i| folds[i] == f) {
            let topics = analysis::evaluation::predict_labels(&model, &feats[i]);
            out[i] = topics_only(topics);
        }
    }
    Ok(out)
}

/// An analysis that carries only topics (the rest neutral).
fn topics_only(topics: Vec<String>) -> model::Analysis {
    model::Analysis {
        relevance: 1.0,
        topics: topics
            .into_iter()
            .map(|label| model::analysis::Scored { label, score: 1.0 })
            .collect(),
        ..model::Analysis::blank("de", "cv")
    }
}

/// Writes `COPIES` (default 70) copies of the airline tweets as JSONL, shifted by the data
/// span each time, for timing `kundenversteher watch --format jsonl`.
fn speed_data(args: &[String]) -> anyhow::Result<()> {
    let out = args.first().context("usage: speed-data OUT [COPIES]")?;
    let copies: i64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(70);
    let path = data_dir().join("twitter_us_airline_sentiment/Tweets.csv");
    let base = read_all(ingest::Format::Airline, &path)?;
    let span = base.last().unwrap().created_at - base[0].created_at + Duration::hours(1);
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    let mut n = 0u64;
    for c in 0..copies {
        for m in &base {
            let mut m = m.clone();
            m.external_id = format!("{}-{c}", m.external_id);
            m.created_at += span * c as i32;
            m.raw = None;
            serde_json::to_writer(&mut w, &m)?;
            std::io::Write::write_all(&mut w, b"\n")?;
            n += 1;
        }
    }
    std::io::Write::flush(&mut w)?;
    eprintln!("wrote {n} messages to {out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real data, a long stream: six 8-day copies of the airline tweets (48 days). Cases
    /// retire after the window, the vocabulary stays under its cap (small here so that
    /// forgetting happens), and nothing grows from copy to copy.
    #[test]
    fn long_stream_keeps_the_casebook_bounded() {
        let cases = CaseConfig {
            vocabulary_cap: 4_000,
            ..CaseConfig::default()
        };
        let mut seen = Vec::new();
        long_stream(6, cases, |_, f, streams| seen.push((f, streams))).unwrap();
        let (second, last) = (seen[1], seen[5]);
        assert!(
            last.0.retired_cases > 4 * second.0.retired_cases / 2,
            "{seen:#?}"
        );
        let bounded = |a: usize, b: usize| b <= a + a / 4;
        assert!(bounded(second.0.live_cases, last.0.live_cases), "{seen:#?}");
        assert!(
            bounded(second.0.live_members, last.0.live_members),
            "{seen:#?}"
        );
        assert!(
            bounded(second.0.index_entries, last.0.index_entries),
            "{seen:#?}"
        );
        assert!(
            bounded(second.0.band_entries, last.0.band_entries),
            "{seen:#?}"
        );
        // entries of retired cases are dropped once the entries held have doubled
        let live = |f: &analysis::cases::Footprint| f.index_entries + f.band_entries;
        assert!(
            seen.iter()
                .all(|(f, _)| f.held_entries <= 3 * live(f).max(4096)),
            "{seen:#?}"
        );
        assert!(bounded(second.0.terms, last.0.terms), "{seen:#?}");
        assert!(bounded(second.1, last.1), "{seen:#?}");
        // One copy holds ~14,600 tweets: the live cases are those of the last 3 days.
        assert!(last.0.live_cases < 14_600, "{seen:#?}");
    }

    /// Real data: the default detector finds at least one labelled NAB window on CVS and
    /// raises few alarms outside the windows.
    #[test]
    fn nab_cvs_detects_a_labelled_window() {
        let dir = data_dir().join("nab_realtweets");
        let windows: BTreeMap<String, Vec<[String; 2]>> = serde_json::from_str(
            &std::fs::read_to_string(dir.join("combined_windows.json")).unwrap(),
        )
        .unwrap();
        let wins: Vec<(Timestamp, Timestamp)> = windows["realTweets/Twitter_volume_CVS.csv"]
            .iter()
            .map(|[a, b]| (parse_nab_time(a).unwrap(), parse_nab_time(b).unwrap()))
            .collect();
        let source = ingest::Source::open(&dir.join("Twitter_volume_CVS.csv")).unwrap();
        let mut watcher = Watcher::new(CaseConfig::default(), MonitorConfig::default());
        let mut alerts = Vec::new();
        for row in ingest::counts::read(source) {
            let row = row.unwrap();
            watcher.observe_count(row.at, row.value, &mut alerts);
        }
        let opened: Vec<&Alert> = alerts
            .iter()
            .filter(|a| a.event == AlertEvent::Opened)
            .collect();
        let inside = |a: &&&Alert| {
            wins.iter()
                .any(|&(s, e)| a.detected_at >= s && a.detected_at <= e)
        };
        let detected = wins
            .iter()
            .filter(|&&(s, e)| {
                opened
                    .iter()
                    .any(|a| a.detected_at >= s && a.detected_at <= e)
            })
            .count();
        assert!(detected >= 1, "{opened:#?}");
        assert!(
            opened.iter().filter(|a| !inside(a)).count() <= 8,
            "{opened:#?}"
        );
    }
}
