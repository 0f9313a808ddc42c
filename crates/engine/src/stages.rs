//! The stage list after analysis and indexing, and the provisional priority score.
//! Wired: burst detection (`analysis::burst::Monitor`, alerts to the engine's alert list).
//! Seams for the parallel helpers: case grouping (`analysis::cases`), routing and assignment
//! (`workflow`), webhooks (`notify`) go into [`default_stages`] as one line each.

use analysis::burst::{Monitor, MonitorConfig, Signal};
use model::{Analysis, Message};

use crate::Db;
use crate::pipeline::{AlertSink, Analysed, Stage};

/// The stages, in order.
pub fn default_stages(alerts: AlertSink) -> Vec<Box<dyn Stage>> {
    vec![Box::new(Bursts {
        monitor: Monitor::new(MonitorConfig::default()),
        alerts,
    })]
}

/// Shitstorm early warning over the live stream.
struct Bursts {
    monitor: Monitor,
    alerts: AlertSink,
}

impl Stage for Bursts {
    fn name(&self) -> &'static str {
        "bursts"
    }

    fn process(&mut self, batch: &[Analysed], _db: &Db) {
        for a in batch {
            if let Some(signal) = Signal::from_message(&a.stored.message, Some(&a.analysis), None) {
                for alert in self.monitor.observe(&signal) {
                    self.alerts.push(alert);
                }
            }
        }
    }
}

/// Provisional priority until the workflow crate's score is wired: negativity, toxicity,
/// churn, urgency and public visibility, each adding up to one point.
pub fn priority(message: &Message, a: &Analysis) -> f64 {
    let public = if message.visibility == model::Visibility::Public {
        1.0
    } else {
        0.0
    };
    f64::from(a.negativity())
        + f64::from(a.toxicity)
        + f64::from(a.churn)
        + f64::from(a.urgency)
        + 0.5 * public
}
