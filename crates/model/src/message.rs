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
    #[serde(deserialize_with = "timestamp::deserialize")]
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

/// Reading `created_at`: what chrono reads (RFC 3339 and the variants its parser allows),
/// with a fast path for the form our own exports and most sources write,
/// `2015-02-17T07:36:05Z`. chrono's general parser was a fiftieth of `watch`.
mod timestamp {
    use chrono::NaiveDate;
    use serde::Deserializer;
    use serde::de::{Error, Visitor};

    use crate::Timestamp;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        d.deserialize_str(TimestampVisitor)
    }

    struct TimestampVisitor;

    impl Visitor<'_> for TimestampVisitor {
        type Value = Timestamp;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 date and time string")
        }

        fn visit_str<E: Error>(self, v: &str) -> Result<Timestamp, E> {
            match parse_utc_seconds(v) {
                Some(t) => Ok(t),
                None => v.parse().map_err(E::custom),
            }
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` exactly; `None` for anything else (then chrono decides).
    pub(super) fn parse_utc_seconds(v: &str) -> Option<Timestamp> {
        let b: &[u8; 20] = v.as_bytes().try_into().ok()?;
        let shape_ok = b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
        if !shape_ok {
            return None;
        }
        let n = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
        };
        let date = NaiveDate::from_ymd_opt(n(0..4) as i32, n(5..7), n(8..10))?;
        Some(date.and_hms_opt(n(11..13), n(14..16), n(17..19))?.and_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path reads what chrono reads, and leaves to chrono what it cannot read.
    #[test]
    fn timestamps_read_as_chrono_reads_them() {
        let cases = [
            "2015-02-17T07:36:05Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2023-02-29T12:00:00Z",
            "2015-12-31T23:59:60Z",
            "2015-13-01T00:00:00Z",
            "2015-02-17T24:00:00Z",
            "2015-02-17t07:36:05z",
            "2015-02-17 07:36:05Z",
            "2015-02-17T07:36:05+02:00",
            "2015-02-17T07:36:05.250Z",
            "2015-02-17T07:36:0xZ",
            "",
        ];
        let mut fast = 0;
        for v in cases {
            let got: Result<Timestamp, String> =
                serde_json::from_value::<Wrapper>(serde_json::json!({ "t": v }))
                    .map(|w| w.t)
                    .map_err(|e| e.to_string());
            let want = v.parse::<Timestamp>().map_err(|e| e.to_string());
            assert_eq!(got.is_ok(), want.is_ok(), "{v:?}: {got:?} vs {want:?}");
            if let (Ok(g), Ok(w)) = (&got, &want) {
                assert_eq!(g, w, "{v:?}");
            }
            fast += usize::from(timestamp::parse_utc_seconds(v).is_some());
        }
        assert_eq!(fast, 3, "the well-formed UTC seconds take the fast path");
    }

    #[derive(Deserialize)]
    struct Wrapper {
        #[serde(deserialize_with = "timestamp::deserialize")]
        t: Timestamp,
    }

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
