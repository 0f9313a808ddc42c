//! Behaviour of the monitor on synthetic streams with known truth.

use chrono::{DateTime, Duration};
use model::{AlertEvent, AlertScope, Timestamp};

use super::*;

/// A tiny deterministic generator (SplitMix64) so the tests need no rand dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Poisson by inversion (small means).
    fn poisson(&mut self, mean: f64) -> u32 {
        let (mut k, mut p, mut s) = (0u32, (-mean).exp(), (-mean).exp());
        let u = self.unit();
        while u > s && k < 10_000 {
            k += 1;
            p *= mean / f64::from(k);
            s += p;
        }
        k
    }
}

fn t0() -> Timestamp {
    DateTime::from_timestamp(1_424_000_000, 0).unwrap()
}

/// Daily-cycle background: `per_hour` negative messages from a large customer base.
fn background(rng: &mut Rng, days: i64, per_hour: f64) -> Vec<(Timestamp, String, String)> {
    let mut out = Vec::new();
    for minute in 0..days * 24 * 60 {
        let at = t0() + Duration::minutes(minute);
        let hour = (minute / 60) % 24;
        let daily = 1.0 + 0.8 * ((hour as f64 - 6.0) / 24.0 * std::f64::consts::TAU).sin();
        for i in 0..rng.poisson(per_hour / 60.0 * daily) {
            let author = format!("c{}", rng.next() % 100_000);
            out.push((
                at + Duration::seconds(i64::from(i)),
                author,
                format!("m{}", out.len()),
            ));
        }
    }
    out
}

fn run(
    monitor: &mut Monitor,
    events: &[(Timestamp, String, String)],
    topic: Option<&str>,
) -> Vec<Alert> {
    let topics: SmallVec<[&str; 2]> = topic.into_iter().collect();
    let mut alerts = Vec::new();
    for (at, author, id) in events {
        let signal = Signal {
            id,
            at: *at,
            customer: Customer::Id(xxhash_rust::xxh3::xxh3_64(author.as_bytes())),
            messages: 1,
            negative: true,
            weight: 1.0,
            topics: topics.clone(),
            case: None,
        };
        monitor.observe_into(&signal, &mut alerts);
    }
    alerts.extend(monitor.finish());
    alerts
}

#[test]
fn steady_stream_gives_no_alert() {
    let mut rng = Rng(7);
    let events = background(&mut rng, 10, 60.0);
    let mut monitor = Monitor::new(MonitorConfig::default());
    let alerts = run(&mut monitor, &events, Some("delay"));
    assert!(alerts.is_empty(), "{alerts:#?}");
}

#[test]
fn one_loud_customer_doubling_a_rare_topic_gives_no_alert() {
    let mut rng = Rng(11);
    // A rare topic: 2 messages per hour from many customers for 5 days, then one customer
    // alone doubles it, then posts 40 messages in an hour.
    let mut events = background(&mut rng, 5, 2.0);
    let start = t0() + Duration::days(5);
    for i in 0..200 {
        let at = start + Duration::minutes(i * 3);
        events.push((at, "loud".to_owned(), format!("loud{i}")));
    }
    for i in 0..40 {
        events.push((
            start + Duration::days(1) + Duration::seconds(i * 90),
            "loud".into(),
            format!("x{i}"),
        ));
    }
    events.sort();
    let mut monitor = Monitor::new(MonitorConfig::default());
    let alerts = run(&mut monitor, &events, Some("wifi"));
    assert!(alerts.is_empty(), "{alerts:#?}");
}

#[test]
fn a_burst_gives_one_alert_updated_under_one_id_and_closed() {
    let mut rng = Rng(3);
    let mut events = background(&mut rng, 4, 30.0);
    // 120 customers within 20 minutes on day 3, 14:00.
    let onset = t0() + Duration::days(3) + Duration::hours(14);
    for i in 0..120 {
        events.push((
            onset + Duration::seconds(i * 10),
            format!("storm{i}"),
            format!("s{i}"),
        ));
    }
    events.sort();
    let mut monitor = Monitor::new(MonitorConfig::default());
    let alerts = run(&mut monitor, &events, Some("outage"));
    let all: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.scope == AlertScope::All)
        .collect();
    let opened: Vec<&&Alert> = all
        .iter()
        .filter(|a| a.event == AlertEvent::Opened)
        .collect();
    assert_eq!(opened.len(), 1, "{all:#?}");
    let id = &opened[0].alert_id;
    assert!(
        all.iter().all(|a| &a.alert_id == id),
        "one id per burst: {all:#?}"
    );
    assert!(all.iter().any(|a| a.event == AlertEvent::Updated));
    assert_eq!(
        all.iter().filter(|a| a.event == AlertEvent::Closed).count(),
        1
    );
    let first = opened[0];
    assert!(first.detected_at >= onset && first.detected_at <= onset + Duration::minutes(20));
    assert!(first.customers >= 10);
    assert!(!first.sample_ids.is_empty());
    let closed = all.last().unwrap();
    assert_eq!(closed.event, AlertEvent::Closed);
    assert!(closed.customers >= 120, "{closed:#?}");
    assert!(closed.ended_at.unwrap() <= onset + Duration::hours(2));
    // The topic stream saw the same burst.
    assert!(
        alerts
            .iter()
            .any(|a| a.scope == AlertScope::Topic && a.key == "outage")
    );
}

/// 30 customers write into one new case within 10 minutes.
fn new_case_burst(negative: bool) -> Vec<Alert> {
    let mut monitor = Monitor::new(MonitorConfig::default());
    let onset = t0();
    let mut alerts = Vec::new();
    for i in 0..30 {
        let author = format!("c{i}");
        let id = format!("m{i}");
        let signal = Signal {
            id: &id,
            at: onset + Duration::seconds(i * 20),
            customer: Customer::Id(xxhash_rust::xxh3::xxh3_64(author.as_bytes())),
            messages: 1,
            negative,
            weight: 1.0,
            topics: SmallVec::new(),
            case: Some(SignalCase {
                number: 0,
                id: "case-1",
                label: "re30 ausfall",
            }),
        };
        monitor.observe_into(&signal, &mut alerts);
    }
    alerts
}

#[test]
fn a_new_case_with_many_customers_alerts_at_once() {
    let alerts = new_case_burst(true);
    let opened: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.event == AlertEvent::Opened)
        .collect();
    assert_eq!(opened.len(), 1, "{alerts:#?}");
    assert_eq!(opened[0].scope, AlertScope::Case);
    assert_eq!(opened[0].label.as_deref(), Some("re30 ausfall"));
    assert!(opened[0].customers >= 8);
    // Detected early: by the 12th message (4 minutes), not at the end of the burst.
    assert!(
        opened[0].detected_at <= t0() + Duration::seconds(11 * 20),
        "{:?}",
        opened[0]
    );
}

#[test]
fn a_case_of_praise_or_jokes_gives_no_alert() {
    // The same crowd, but nobody is negative (a viral joke, a compliment): not a storm.
    assert!(new_case_burst(false).is_empty());
}

#[test]
fn parameter_file_keys_keep_the_scope_defaults() {
    let config: MonitorConfig =
        serde_json::from_str(r#"{"case": {"min_customers": 12}, "all": {"open_surprise": 9.0}}"#)
            .unwrap();
    let defaults = MonitorConfig::default();
    assert_eq!(config.case.min_customers, 12);
    // The other case keys stay the case defaults, not those of scope `all`.
    assert_eq!(config.case.prior_rate, defaults.case.prior_rate);
    assert_eq!(config.case.calibration_days, defaults.case.calibration_days);
    assert_eq!(config.all.open_surprise, 9.0);
    assert_eq!(config.all.warmup_bins, defaults.all.warmup_bins);
    assert_eq!(config.topic, defaults.topic);
    assert!(serde_json::from_str::<MonitorConfig>(r#"{"case": {"nonsense": 1}}"#).is_err());
}

#[test]
fn same_input_gives_same_alerts() {
    let mut rng = Rng(5);
    let mut events = background(&mut rng, 3, 20.0);
    let onset = t0() + Duration::days(2) + Duration::hours(9);
    for i in 0..60 {
        events.push((
            onset + Duration::seconds(i * 15),
            format!("s{i}"),
            format!("s{i}"),
        ));
    }
    events.sort();
    let a = run(&mut Monitor::new(MonitorConfig::default()), &events, None);
    let b = run(&mut Monitor::new(MonitorConfig::default()), &events, None);
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

/// A case's first hit waits without a stream (`CaseDetector::Waiting`); the alerts are those
/// of a stream fed every hit from the start, whether the second hit comes at once or days
/// later, and whatever `min_customers` is. After `idle_secs` the first hit is forgotten, as
/// an idle stream is.
#[test]
fn a_waiting_first_hit_gives_the_alerts_of_a_stream_built_at_once() {
    let cases = [
        (20, 8),
        (2 * 3600, 8),
        (20, 1),
        (5 * 86_400, 8),
        (9 * 86_400, 8),
    ];
    for (gap_secs, min_customers) in cases {
        let mut config = MonitorConfig::default();
        config.case.min_customers = min_customers;
        let mut monitor = Monitor::new(config.clone());
        let mut reference = Stream::new(AlertScope::Case, "case-1", &config.case);
        let (mut got, mut want) = (Vec::new(), Vec::new());
        let start = t0() + Duration::seconds(gap_secs);
        let hits = std::iter::once(t0())
            .chain((0..30).map(|i| start + Duration::seconds(i * 20)))
            .enumerate();
        for (i, at) in hits {
            let (author, id) = (format!("c{i}"), format!("m{i}"));
            let label = format!("re30 ausfall {}", i.min(3));
            let signal = Signal {
                id: &id,
                at,
                customer: Customer::Id(xxhash_rust::xxh3::xxh3_64(author.as_bytes())),
                messages: 1,
                negative: true,
                weight: 1.5,
                topics: SmallVec::new(),
                case: Some(SignalCase {
                    number: 0,
                    id: "case-1",
                    label: &label,
                }),
            };
            monitor.observe_into(&signal, &mut got);
            if !reference.is_open() {
                reference.set_label(&label);
            }
            let hit = Hit {
                at,
                id: &id,
                customer: signal.customer,
                messages: 1,
                weight: 1.5,
            };
            let forgotten = i == 0 && gap_secs > config.idle_secs;
            if !forgotten {
                reference.push(&hit, &config.case, &mut want);
            }
        }
        got.extend(monitor.finish());
        let now = start + Duration::seconds(29 * 20);
        reference.advance_to(now, &config.case, &mut want);
        reference.finish(now, &config.case, &mut want);
        got.retain(|a| a.scope == AlertScope::Case);
        assert!(
            !want.is_empty(),
            "gap {gap_secs} s: the burst alerts at all"
        );
        assert_eq!(got, want, "gap {gap_secs} s, min_customers {min_customers}");
    }
}
