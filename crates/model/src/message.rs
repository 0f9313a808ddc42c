//! A message: one post, tweet, comment or email, inbound from a customer or outbound from us.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Customer text is untrusted and bounded: longer texts are cut at a char boundary on intake.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// Who wrote it, seen from the company: the customer (inbound) or us (outbound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Whether everyone can read it (a tweet, a blog comment) or only the company (email, DM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Private,
}

/// The identity of a message: idempotency key. Importing or ingesting the same key twice
/// stores the message once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageKey {
    pub channel: String,
    pub external_id: String,
}

/// Gold labels that came with the source record (GermEval, airline, corrections by agents).
/// Keys are task names (`relevance`, `sentiment`, `topic`, `toxicity`, ...); a multi-label
/// task joins its labels with a space, e.g. `"Zugfahrt#Haupt:negative Allgemein#Haupt:neutral"`.
pub type Labels = BTreeMap<String, String>;

/// One message as it is stored and exchanged (this is also the JSONL interchange schema,
/// see docs/JSONL.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Where it came from: `twitter`, `facebook`, `email`, `web`, `germeval2017`, ...
    pub channel: String,
    /// The id the channel gave it; unique within the channel.
    pub external_id: String,
    /// The author's handle on the channel (customer id, brand screen name, email address).
    pub author: String,
    /// Display name, when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_name: Option<String>,
    pub text: String,
    pub created_at: Timestamp,
    /// External id (same channel) of the message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    pub direction: Direction,
    pub visibility: Visibility,
    /// ISO 639-1 code when known (`de`, `en`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The company account or brand the message is addressed to or sent from
    /// (TWCS support handle, airline name). Used to split figures by brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Gold labels from the source, kept for training and evaluation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    /// The raw source record, verbatim (a CSV row, a TSV line, an XML element, an email header
    /// block), so nothing the source said is lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

impl Message {
    pub fn key(&self) -> MessageKey {
        MessageKey {
            channel: self.channel.clone(),
            external_id: self.external_id.clone(),
        }
    }

    /// Cuts `text` to at most [`MAX_TEXT_BYTES`] at a char boundary. Returns whether it cut.
    pub fn bound_text(&mut self) -> bool {
        if self.text.len() <= MAX_TEXT_BYTES {
            return false;
        }
        let mut end = MAX_TEXT_BYTES;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        self.text.truncate(end);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_text_cuts_at_char_boundary() {
        let mut m = Message {
            channel: "web".into(),
            external_id: "1".into(),
            author: "a".into(),
            author_name: None,
            text: "ä".repeat(MAX_TEXT_BYTES),
            created_at: Timestamp::default(),
            in_reply_to: None,
            direction: Direction::Inbound,
            visibility: Visibility::Public,
            language: None,
            brand: None,
            labels: Labels::new(),
            raw: None,
        };
        assert!(m.bound_text());
        assert!(m.text.len() <= MAX_TEXT_BYTES);
        assert!(m.text.chars().all(|c| c == 'ä'));
        assert!(!m.bound_text());
    }
}
