//! The early-warning pipeline for one message at a time: group it into a case, then feed the
//! burst monitor (all / topic / case scopes). `watch` replays files through it; the live
//! engine calls the same [`Watcher::observe`] per analysed message.

use model::{Alert, Analysis, Direction, Message, Timestamp};

use super::{Monitor, MonitorConfig, Signal, SignalCase};
use crate::cases::{Assignment, CaseConfig, Casebook};

/// Cases plus burst monitor.
#[derive(Debug)]
pub struct Watcher {
    pub casebook: Casebook,
    pub monitor: Monitor,
}

impl Watcher {
    pub fn new(cases: CaseConfig, monitor: MonitorConfig) -> Self {
        Watcher {
            casebook: Casebook::new(cases),
            monitor: Monitor::new(monitor),
        }
    }

    /// Groups an inbound message into a case and feeds the monitor; appends alert events to
    /// `out`. Outbound messages are ignored (`None`). Feed messages in data-time order.
    pub fn observe(
        &mut self,
        message: &Message,
        analysis: Option<&Analysis>,
        out: &mut Vec<Alert>,
    ) -> Option<Assignment> {
        if message.direction != Direction::Inbound {
            return None;
        }
        let retired = self.casebook.retired();
        let assignment = self.casebook.add(message, analysis);
        if self.casebook.retired() != retired {
            // A retired case takes no messages: its detector has nothing left to see
            // (unless an alert is still open; that one closes on its own).
            for &n in self.casebook.last_retired() {
                self.monitor.forget_case(n);
            }
        }
        let case = self.casebook.case(assignment.case).expect("just assigned");
        let case = SignalCase {
            number: assignment.case as u32,
            id: &case.case_id,
            label: &case.label,
        };
        if let Some(signal) = Signal::from_message(message, analysis, Some(case)) {
            self.monitor.observe_into(&signal, out);
        }
        Some(assignment)
    }

    /// `value` messages from as many distinct customers at `at` (a count series).
    pub fn observe_count(&mut self, at: Timestamp, value: u32, out: &mut Vec<Alert>) {
        self.monitor.observe_into(&Signal::count(at, value), out);
    }

    /// A clock tick without a message (live use): closes bursts that have ended.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Alert> {
        self.monitor.tick(now)
    }

    /// End of a replay: closes all open alerts.
    pub fn finish(&mut self) -> Vec<Alert> {
        self.monitor.finish()
    }
}
