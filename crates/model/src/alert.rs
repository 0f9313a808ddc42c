//! An early-warning alert: a burst of messages (all negative ones, one topic, or one case)
//! far above what is normal for that time. One alert per burst: it is opened, updated while it
//! grows, and closed when it ends, always under the same `alert_id`.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Which stream of messages burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertScope {
    /// All negative public inbound messages.
    All,
    /// The negative public inbound messages of one topic.
    Topic,
    /// The messages of one case (the same problem reported by several customers).
    Case,
}

impl AlertScope {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertScope::All => "all",
            AlertScope::Topic => "topic",
            AlertScope::Case => "case",
        }
    }
}

/// How bad a burst is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// What happened to the alert with this event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertEvent {
    Opened,
    Updated,
    Closed,
}

/// One state of an alert. Every event of one burst carries the same `alert_id`; the last
/// event (`closed`) has `ended_at`. Times are data time (the messages' timestamps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub alert_id: String,
    pub event: AlertEvent,
    pub scope: AlertScope,
    /// `negative` for scope `all`, the topic label, or the case id.
    pub key: String,
    /// Human-readable name: the case label or the topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Start of the first time bin of the burst.
    pub started_at: Timestamp,
    /// Timestamp of the message that opened the alert.
    pub detected_at: Timestamp,
    /// Timestamp of the message (or clock tick) that produced this event.
    pub updated_at: Timestamp,
    /// End of the last busy time bin; set on `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    pub severity: Severity,
    /// Messages in the burst so far.
    pub messages: u64,
    /// Distinct customers in the burst so far.
    pub customers: u64,
    /// Messages the baseline expected over the detection window.
    pub expected: f64,
    /// Weighted messages observed over the detection window.
    pub observed: f64,
    /// Surprise of the detection window: -log10 of the tail probability under the baseline.
    pub surprise: f64,
    /// A few message ids of the burst (the first ones).
    pub sample_ids: Vec<String>,
}
