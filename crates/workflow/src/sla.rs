//! Response-time targets (SLA policies): first response, next response and resolution, per
//! channel and priority, measured in business time of a calendar. The clock is an input: the
//! status is a pure function of a conversation's events and `now` (simulated or real).
//! Semantics are written out in docs/WORKFLOW.md.

use chrono::Duration;
use model::{Timestamp, Visibility};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::priority::PriorityLevel;

/// What happened in a conversation, as far as the clocks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClockEvent {
    /// A customer message. Opens the conversation, ends a pending state, reopens a resolved
    /// conversation, and starts a next-response cycle when the customer was not waiting.
    Inbound { at: Timestamp },
    /// A reply by us (public or private answer to the customer).
    Reply { at: Timestamp },
    /// We wait for the customer: every clock pauses until the next customer message.
    Pending { at: Timestamp },
    /// Solved. A later customer message reopens it.
    Resolved { at: Timestamp },
}

impl ClockEvent {
    pub fn at(&self) -> Timestamp {
        match *self {
            ClockEvent::Inbound { at }
            | ClockEvent::Reply { at }
            | ClockEvent::Pending { at }
            | ClockEvent::Resolved { at } => at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [
        TargetKind::FirstResponse,
        TargetKind::NextResponse,
        TargetKind::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::FirstResponse => "first_response",
            TargetKind::NextResponse => "next_response",
            TargetKind::Resolution => "resolution",
        }
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    /// Clock running, more than the warning window left.
    Running,
    /// Clock running, due within the warning window.
    Warning,
    /// Clock paused (pending) before the target was reached.
    Paused,
    /// Past the target and not yet met (running or paused).
    Breached,
    /// Met in time (clock stopped).
    Met,
    /// Met late (clock stopped after the target).
    Missed,
}

impl TargetState {
    pub fn is_breach(self) -> bool {
        matches!(self, TargetState::Breached | TargetState::Missed)
    }
}

/// The status of one target at `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetStatus {
    pub target: TargetKind,
    pub state: TargetState,
    pub target_secs: i64,
    /// Business time the clock has run.
    pub consumed_secs: i64,
    /// When the clock started (first customer message of this cycle).
    pub started_at: Timestamp,
    /// When the target was or will be reached if the clock keeps running (the breach instant
    /// for breached targets); `None` while paused before the target.
    pub due_at: Option<Timestamp>,
    /// When the clock stopped for good (reply, resolution).
    pub stopped_at: Option<Timestamp>,
}

/// Which conversations a policy applies to. Empty lists / unset fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyCondition {
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub priorities: Vec<PriorityLevel>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// Whether the opening message is negative (negativity >= 0.5).
    #[serde(default)]
    pub negative: Option<bool>,
}

/// The facts a policy is chosen by, taken when the conversation opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInput {
    pub channel: String,
    pub priority: PriorityLevel,
    pub visibility: Visibility,
    pub negative: bool,
}

impl PolicyCondition {
    pub fn matches(&self, input: &PolicyInput) -> bool {
        (self.channels.is_empty()
            || self
                .channels
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&input.channel)))
            && (self.priorities.is_empty() || self.priorities.contains(&input.priority))
            && self.visibility.is_none_or(|v| v == input.visibility)
            && self.negative.is_none_or(|n| n == input.negative)
    }
}

/// A response-time policy. Targets are minutes of business time on `calendar`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    pub name: String,
    #[serde(default)]
    pub when: PolicyCondition,
    /// Name of a calendar; `always` (24/7) and `office` exist without configuration.
    #[serde(default = "always_name")]
    pub calendar: String,
    #[serde(default)]
    pub first_response_minutes: Option<u32>,
    #[serde(default)]
    pub next_response_minutes: Option<u32>,
    #[serde(default)]
    pub resolution_minutes: Option<u32>,
    /// Warn this long (business time) before a target is due; default a quarter of the target.
    #[serde(default)]
    pub warn_before_minutes: Option<u32>,
}

fn always_name() -> String {
    "always".into()
}

impl SlaPolicy {
    pub fn target(&self, kind: TargetKind) -> Option<Duration> {
        let m = match kind {
            TargetKind::FirstResponse => self.first_response_minutes,
            TargetKind::NextResponse => self.next_response_minutes,
            TargetKind::Resolution => self.resolution_minutes,
        }?;
        Some(Duration::minutes(i64::from(m)))
    }

    fn warn_window(&self, target: Duration) -> Duration {
        match self.warn_before_minutes {
            Some(m) => Duration::minutes(i64::from(m)),
            None => target / 4,
        }
    }

    /// The status of each target that has started, at `now`. Events may come in any order;
    /// events after `now` are ignored.
    pub fn evaluate(
        &self,
        calendar: &Calendar,
        events: &[ClockEvent],
        now: Timestamp,
    ) -> Vec<TargetStatus> {
        let clocks = Clocks::replay(events, now);
        let mut out = Vec::new();
        for kind in TargetKind::ALL {
            let Some(target) = self.target(kind) else {
                continue;
            };
            let Some(clock) = clocks.get(kind) else {
                continue;
            };
            out.push(clock.status(kind, target, self.warn_window(target), calendar, now));
        }
        out
    }
}

/// One clock: the intervals it ran, and whether it is running now.
#[derive(Debug, Clone, Default)]
struct Clock {
    started_at: Option<Timestamp>,
    runs: Vec<(Timestamp, Timestamp)>,
    running_since: Option<Timestamp>,
    stopped_at: Option<Timestamp>,
}

impl Clock {
    fn start(&mut self, at: Timestamp) {
        *self = Clock {
            started_at: Some(at),
            ..Clock::default()
        };
    }

    fn set_running(&mut self, running: bool, at: Timestamp) {
        match (running, self.running_since) {
            (true, None) => self.running_since = Some(at),
            (false, Some(s)) => {
                self.runs.push((s, at));
                self.running_since = None;
            }
            _ => {}
        }
    }

    fn status(
        &self,
        kind: TargetKind,
        target: Duration,
        warn: Duration,
        calendar: &Calendar,
        now: Timestamp,
    ) -> TargetStatus {
        let mut runs = self.runs.clone();
        if let Some(s) = self.running_since {
            runs.push((s, now));
        }
        let mut consumed = Duration::zero();
        let mut due_at = None;
        for &(s, e) in &runs {
            let b = calendar.business_time(s, e);
            if due_at.is_none() && consumed + b >= target {
                due_at = calendar.add_business_time(s, target - consumed);
            }
            consumed += b;
        }
        let running = self.running_since.is_some();
        if due_at.is_none() && running {
            due_at = calendar.add_business_time(now, target - consumed);
        }
        let late = consumed > target || (consumed == target && running);
        let state = if self.stopped_at.is_some() {
            if consumed > target {
                TargetState::Missed
            } else {
                TargetState::Met
            }
        } else if late {
            TargetState::Breached
        } else if !running {
            TargetState::Paused
        } else if target - consumed <= warn {
            TargetState::Warning
        } else {
            TargetState::Running
        };
        TargetStatus {
            target: kind,
            state,
            target_secs: target.num_seconds(),
            consumed_secs: consumed.num_seconds(),
            started_at: self.started_at.unwrap_or(now),
            due_at,
            stopped_at: self.stopped_at,
        }
    }
}

/// The three clocks of a conversation after replaying its events.
#[derive(Debug, Default)]
struct Clocks {
    first: Clock,
    next: Clock,
    resolution: Clock,
}

impl Clocks {
    fn get(&self, kind: TargetKind) -> Option<&Clock> {
        let c = match kind {
            TargetKind::FirstResponse => &self.first,
            TargetKind::NextResponse => &self.next,
            TargetKind::Resolution => &self.resolution,
        };
        c.started_at.is_some().then_some(c)
    }

    fn replay(events: &[ClockEvent], now: Timestamp) -> Self {
        let mut sorted: Vec<ClockEvent> =
            events.iter().copied().filter(|e| e.at() <= now).collect();
        sorted.sort_by_key(ClockEvent::at);
        let mut c = Clocks::default();
        let (mut pending, mut resolved, mut waiting, mut replied) = (false, false, false, false);
        for e in sorted {
            let at = e.at();
            match e {
                ClockEvent::Inbound { .. } => {
                    if c.first.started_at.is_none() {
                        c.first.start(at);
                        c.resolution.start(at);
                    }
                    if !waiting && replied {
                        c.next.start(at);
                    }
                    pending = false;
                    resolved = false;
                    waiting = true;
                    c.resolution.stopped_at = None;
                }
                ClockEvent::Reply { .. } => {
                    if c.first.started_at.is_some() && c.first.stopped_at.is_none() {
                        c.first.stopped_at = Some(at);
                    }
                    if c.next.started_at.is_some() && c.next.stopped_at.is_none() {
                        c.next.stopped_at = Some(at);
                    }
                    waiting = false;
                    replied = true;
                }
                ClockEvent::Pending { .. } => pending = c.first.started_at.is_some() && !resolved,
                ClockEvent::Resolved { .. } => {
                    for clock in [&mut c.first, &mut c.next, &mut c.resolution] {
                        if clock.started_at.is_some() && clock.stopped_at.is_none() {
                            clock.stopped_at = Some(at);
                        }
                    }
                    resolved = true;
                    pending = false;
                    waiting = false;
                    replied = true;
                }
            }
            for clock in [&mut c.first, &mut c.next, &mut c.resolution] {
                let run = clock.started_at.is_some() && clock.stopped_at.is_none() && !pending;
                clock.set_running(run, at);
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDateTime, TimeZone, Utc};

    use super::*;
    use crate::config::{WorkflowConfig, default_policies};

    fn berlin(s: &str) -> Timestamp {
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Europe::Berlin
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn policy() -> SlaPolicy {
        SlaPolicy {
            name: "test".into(),
            when: PolicyCondition::default(),
            calendar: "office".into(),
            first_response_minutes: Some(120),
            next_response_minutes: Some(60),
            resolution_minutes: Some(600),
            warn_before_minutes: None,
        }
    }

    fn ev(kind: &str, at: &str) -> ClockEvent {
        let at = berlin(at);
        match kind {
            "in" => ClockEvent::Inbound { at },
            "reply" => ClockEvent::Reply { at },
            "pending" => ClockEvent::Pending { at },
            "resolved" => ClockEvent::Resolved { at },
            _ => unreachable!(),
        }
    }

    /// (events, now, target, expected state, consumed minutes, expected due)
    type Case<'a> = (
        &'a [(&'a str, &'a str)],
        &'a str,
        TargetKind,
        TargetState,
        i64,
        Option<&'a str>,
    );

    #[test]
    fn clock_table() {
        use TargetKind::*;
        use TargetState::*;
        let open = [("in", "2026-11-24 10:00")];
        let cases: &[Case] = &[
            (
                &open,
                "2026-11-24 11:00",
                FirstResponse,
                Running,
                60,
                Some("2026-11-24 12:00"),
            ),
            // warning window: a quarter of 120 minutes
            (
                &open,
                "2026-11-24 11:31",
                FirstResponse,
                Warning,
                91,
                Some("2026-11-24 12:00"),
            ),
            (
                &open,
                "2026-11-24 12:30",
                FirstResponse,
                Breached,
                150,
                Some("2026-11-24 12:00"),
            ),
            (
                &open,
                "2026-11-24 12:30",
                Resolution,
                Running,
                150,
                Some("2026-11-25 10:00"),
            ),
            // evening and night do not count
            (
                &open,
                "2026-11-25 08:30",
                FirstResponse,
                Breached,
                510,
                Some("2026-11-24 12:00"),
            ),
            // met and missed
            (
                &[("in", "2026-11-24 10:00"), ("reply", "2026-11-24 11:00")],
                "2026-11-24 15:00",
                FirstResponse,
                Met,
                60,
                None,
            ),
            (
                &[("in", "2026-11-24 10:00"), ("reply", "2026-11-24 12:30")],
                "2026-11-24 15:00",
                FirstResponse,
                Missed,
                150,
                Some("2026-11-24 12:00"),
            ),
            // across the weekend
            (
                &[("in", "2026-11-27 17:30")],
                "2026-11-30 08:30",
                FirstResponse,
                Running,
                60,
                Some("2026-11-30 09:30"),
            ),
            // over Christmas (Fri 25th and Sat 26th are holidays)
            (
                &[("in", "2026-12-24 17:00")],
                "2026-12-28 08:30",
                FirstResponse,
                Warning,
                90,
                Some("2026-12-28 09:00"),
            ),
            // pending pauses every clock; the customer's answer resumes them
            (
                &[("in", "2026-11-24 10:00"), ("pending", "2026-11-24 10:30")],
                "2026-11-25 15:00",
                FirstResponse,
                Paused,
                30,
                None,
            ),
            (
                &[
                    ("in", "2026-11-24 10:00"),
                    ("pending", "2026-11-24 10:30"),
                    ("in", "2026-11-25 10:00"),
                ],
                "2026-11-25 11:00",
                FirstResponse,
                Warning,
                90,
                Some("2026-11-25 11:30"),
            ),
            // next response: starts with the customer's next message after our reply
            (
                &[
                    ("in", "2026-11-24 10:00"),
                    ("reply", "2026-11-24 10:30"),
                    ("pending", "2026-11-24 10:30"),
                    ("in", "2026-11-25 10:00"),
                ],
                "2026-11-25 11:30",
                NextResponse,
                Breached,
                90,
                Some("2026-11-25 11:00"),
            ),
            (
                &[
                    ("in", "2026-11-24 10:00"),
                    ("reply", "2026-11-24 10:30"),
                    ("pending", "2026-11-24 10:30"),
                    ("in", "2026-11-25 10:00"),
                ],
                "2026-11-25 11:30",
                Resolution,
                Running,
                120,
                Some("2026-11-26 09:30"),
            ),
            (
                &[
                    ("in", "2026-11-24 10:00"),
                    ("reply", "2026-11-24 10:30"),
                    ("in", "2026-11-24 11:00"),
                    ("in", "2026-11-24 11:20"),
                    ("reply", "2026-11-24 11:45"),
                ],
                "2026-11-24 13:00",
                NextResponse,
                Met,
                45,
                None,
            ),
            // resolved stops resolution; a new customer message reopens it
            (
                &[
                    ("in", "2026-11-24 10:00"),
                    ("reply", "2026-11-24 10:10"),
                    ("resolved", "2026-11-24 10:20"),
                ],
                "2026-11-24 16:00",
                Resolution,
                Met,
                20,
                None,
            ),
            (
                &[
                    ("in", "2026-11-24 10:00"),
                    ("reply", "2026-11-24 10:10"),
                    ("resolved", "2026-11-24 10:20"),
                    ("in", "2026-11-24 11:00"),
                ],
                "2026-11-24 11:30",
                Resolution,
                Running,
                50,
                Some("2026-11-25 10:40"),
            ),
            (
                &[
                    ("in", "2026-11-24 10:00"),
                    ("reply", "2026-11-24 10:10"),
                    ("resolved", "2026-11-24 10:20"),
                    ("in", "2026-11-24 11:00"),
                ],
                "2026-11-24 11:30",
                NextResponse,
                Running,
                30,
                Some("2026-11-24 12:00"),
            ),
            // events after `now` are not seen
            (
                &[("in", "2026-11-24 10:00"), ("reply", "2026-11-24 16:00")],
                "2026-11-24 11:00",
                FirstResponse,
                Running,
                60,
                Some("2026-11-24 12:00"),
            ),
        ];
        let cfg =
            WorkflowConfig::from_toml("routing = { default_team = \"t\" }\n[[teams]]\nid = \"t\"")
                .unwrap();
        let cal = cfg.calendar("office").unwrap();
        for (i, &(events, now, target, state, consumed, due)) in cases.iter().enumerate() {
            let events: Vec<ClockEvent> = events.iter().map(|&(k, at)| ev(k, at)).collect();
            let statuses = policy().evaluate(&cal, &events, berlin(now));
            let st = statuses
                .iter()
                .find(|s| s.target == target)
                .unwrap_or_else(|| panic!("case {i}: no {target:?} in {statuses:?}"));
            assert_eq!(st.state, state, "case {i}: {st:?}");
            assert_eq!(st.consumed_secs, consumed * 60, "case {i}: {st:?}");
            if state != Met {
                assert_eq!(st.due_at, due.map(berlin), "case {i}: {st:?}");
            }
        }
    }

    #[test]
    fn no_events_no_targets() {
        assert!(
            policy()
                .evaluate(&Calendar::always(), &[], Utc::now())
                .is_empty()
        );
    }

    #[test]
    fn public_negative_gets_the_shortest_default_target() {
        let cfg =
            WorkflowConfig::from_toml("routing = { default_team = \"t\" }\n[[teams]]\nid = \"t\"")
                .unwrap();
        let input = |visibility, negative, priority| PolicyInput {
            channel: "twitter".into(),
            priority,
            visibility,
            negative,
        };
        let p = cfg.policy_for(&input(Visibility::Public, true, PriorityLevel::Low));
        assert_eq!(p.name, "public-negative");
        for other in default_policies() {
            for kind in TargetKind::ALL {
                assert!(
                    p.target(kind) <= other.target(kind),
                    "{} {kind:?}",
                    other.name
                );
            }
        }
        let cases = [
            (Visibility::Private, true, PriorityLevel::Urgent, "urgent"),
            (Visibility::Public, false, PriorityLevel::High, "high"),
            (Visibility::Private, false, PriorityLevel::Normal, "normal"),
            (Visibility::Private, false, PriorityLevel::Low, "low"),
        ];
        for (v, n, l, name) in cases {
            assert_eq!(cfg.policy_for(&input(v, n, l)).name, name);
        }
    }
}
