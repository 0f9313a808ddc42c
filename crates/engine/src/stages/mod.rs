//! The stage list after analysis and indexing, in order:
//! 1. [`cases::Cases`]: case grouping and burst detection (`analysis::burst::Watcher`), cases
//!    and alerts stored, alerts told to the webhooks;
//! 2. [`workflow::Workflow`]: routing, assignment, response-time targets and escalation
//!    (`workflow` rules), assignments and escalation steps told to the webhooks.
//!
//! Plus the provisional priority the analyse thread stores before the workflow stage has
//! scored a conversation.

mod cases;
mod workflow;

use model::{Analysis, Message};

use crate::pipeline::{AlertSink, Stage};

pub use workflow::DEFAULT_CONFIG as DEFAULT_WORKFLOW_CONFIG;

/// The stages, in order.
pub fn default_stages(alerts: AlertSink) -> Vec<Box<dyn Stage>> {
    vec![
        Box::new(cases::Cases::new(alerts)),
        Box::new(workflow::Workflow::new()),
    ]
}

/// Provisional priority until the workflow stage has scored the conversation: negativity,
/// toxicity, churn, urgency and public visibility, each adding up to one point.
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
