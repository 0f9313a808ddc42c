//! The nouns of Kundenversteher, shared by every other crate: messages, contacts,
//! conversations, analyses, cases and alerts. Plain data with serde; no IO, no async.

pub mod alert;
pub mod analysis;
pub mod knowledge;
pub mod message;
pub mod thread;

pub use alert::{Alert, AlertEvent, AlertScope, Severity};
pub use analysis::{Analysis, Sentiment, SentimentLabel};
pub use knowledge::Article;
pub use message::{Direction, Labels, MAX_TEXT_BYTES, Message, MessageKey, Visibility};
pub use thread::Threader;

/// Timestamps everywhere are UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
