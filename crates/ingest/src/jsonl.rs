//! Our lossless interchange format: one JSON object per line, the serde form of
//! `model::Message` (see docs/JSONL.md). Blank lines are skipped.

use std::sync::Arc;

use model::Message;
use serde::{Deserialize, Serialize};

use crate::line::Lines;
use crate::{MAX_RECORD_BYTES, Options, Record, Records, Rejected, Source, finish};

/// A line of our JSONL that is not a message, named by its `"kind"`: what the store keeps
/// beside the messages (docs/JSONL.md). `export` writes these after all messages; each refers
/// to messages by (channel, external id), so it must come after them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Extra {
    /// A conversation's state where it differs from what its messages give (an agent resolved
    /// or reopened it).
    Conversation(ConversationState),
    /// A contact with several identities (merged) and its display name.
    Contact(ContactIdentities),
    /// The stored analysis of a message.
    Analysis(StoredAnalysis),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationState {
    pub channel: String,
    /// `external_id` of the top of the reply chain (the conversation's key).
    pub root_external_id: String,
    /// `open`, `pending` or `resolved`.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactIdentities {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The first identity's contact is kept; the others are merged into it.
    pub identities: Vec<IdentityRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityRef {
    pub channel: String,
    pub handle: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnalysis {
    pub channel: String,
    pub external_id: String,
    /// The analysis document (`model::Analysis`); `null` = the message could not be analysed.
    pub analysis: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    pub analyzed_at: model::Timestamp,
}

/// An [`Extra`] with where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraRecord {
    pub extra: Extra,
    pub file: Arc<str>,
    pub line: u64,
}

/// One good line: a message or an extra record.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Message(Record),
    Extra(ExtraRecord),
}

/// Messages only (extra records are skipped): the [`crate::read`] view of a JSONL file.
pub(crate) fn records(source: Source, options: &Options) -> Records {
    Records::new(entries(source, options).filter_map(|entry| match entry {
        Ok(Entry::Message(record)) => Some(Ok(record)),
        Ok(Entry::Extra(_)) => None,
        Err(rejected) => Some(Err(rejected)),
    }))
}

/// Every line: messages and extra records. Streaming, like [`crate::read`].
pub(crate) fn entries(
    source: Source,
    _options: &Options,
) -> impl Iterator<Item = Result<Entry, Rejected>> + Send + 'static {
    let (file, reader) = source.into_parts();
    // (A prepared SIMD search: `str::contains` was 0.7 % of `watch`.)
    let kind_key = memchr::memmem::Finder::new(b"\"kind\":");
    Lines::new(reader).filter_map(move |line| {
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                return Some(Err(Rejected::read_error(&file, 0, &e)));
            }
        };
        let no = line.no;
        if let Some(len) = line.too_long {
            let reason =
                format!("line of {len} bytes is longer than the limit of {MAX_RECORD_BYTES}");
            return Some(Err(Rejected::new(&file, no, None, reason)));
        }
        let content = line.content();
        if content.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let text = match std::str::from_utf8(content) {
            Ok(text) => text,
            Err(e) => {
                let reason = format!("invalid UTF-8 at byte {}", e.valid_up_to());
                return Some(Err(Rejected::new(&file, no, None, reason)));
            }
        };
        // `"kind":` outside a string can only be a key (quotes inside strings are escaped), so
        // a message line without it is parsed once, as a message.
        if kind_key.find(content).is_some() {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) if value.get("kind").is_some() => {
                    return Some(match serde_json::from_value::<Extra>(value) {
                        Ok(extra) => Ok(Entry::Extra(ExtraRecord {
                            extra,
                            file: Arc::clone(&file),
                            line: no,
                        })),
                        Err(e) => Err(Rejected::new(&file, no, None, format!("JSON: {e}"))),
                    });
                }
                _ => {}
            }
        }
        Some(match serde_json::from_str::<Message>(text) {
            Ok(message) => finish(message, &file, no).map(Entry::Message),
            Err(e) => Err(Rejected::new(&file, no, field_of(&e), format!("JSON: {e}"))),
        })
    })
}

/// serde names the missing or mistyped field in its message: `missing field `text``.
fn field_of(e: &serde_json::Error) -> Option<&'static str> {
    const FIELDS: [&str; 13] = [
        "channel",
        "external_id",
        "author_name",
        "author",
        "text",
        "created_at",
        "in_reply_to",
        "direction",
        "visibility",
        "language",
        "brand",
        "labels",
        "raw",
    ];
    let msg = e.to_string();
    FIELDS.into_iter().find(|f| msg.contains(&format!("`{f}`")))
}

#[cfg(test)]
mod tests {
    use crate::{Format, Source};

    #[test]
    fn good_bad_and_blank_lines() {
        let input = concat!(
            r#"{"channel":"web","external_id":"1","author":"a","text":"Hallo","created_at":"2024-05-01T10:00:00Z","direction":"inbound","visibility":"public","labels":{"sentiment":"positive"}}"#,
            "\n\n",
            r#"{"channel":"web","external_id":"2","author":"a","created_at":"2024-05-01T10:00:00Z","direction":"inbound","visibility":"public"}"#,
            "\n{\"channel\": \"web\", \"exter\n"
        );
        let v: Vec<_> = crate::read(Format::Jsonl, Source::from_bytes("m.jsonl", input)).collect();
        assert_eq!(v.len(), 3);
        let m = &v[0].as_ref().unwrap().message;
        assert_eq!(
            (m.text.as_str(), m.labels["sentiment"].as_str()),
            ("Hallo", "positive")
        );
        let e = v[1].as_ref().unwrap_err();
        assert_eq!((e.line, e.field.as_deref()), (3, Some("text")));
        assert!(
            e.to_string()
                .starts_with("m.jsonl:3: text: JSON: missing field `text`"),
            "{e}"
        );
        let e = v[2].as_ref().unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.reason.contains("EOF"), "{e}");
    }

    /// Extra records (docs/JSONL.md) come out as such, in file order with the messages; a
    /// message whose text or labels merely mention `"kind":` stays a message.
    #[test]
    fn extra_records_are_entries() {
        use super::{Entry, Extra};
        let doc = include_str!("../../../docs/JSONL.md");
        let extras: Vec<&str> = doc.lines().filter(|l| l.starts_with("{\"kind\"")).collect();
        assert_eq!(extras.len(), 3);
        let tricky = r#"{"channel":"web","external_id":"k","author":"a","text":"{\"kind\":\"x\"}","created_at":"2024-05-01T10:00:00Z","direction":"inbound","visibility":"public","labels":{"kind":"y"}}"#;
        let input = format!(
            "{tricky}\n{}\n{{\"kind\":\"nonsense\"}}\n",
            extras.join("\n")
        );
        let v: Vec<_> = crate::read_entries(
            Format::Jsonl,
            Source::from_bytes("x.jsonl", input),
            &Default::default(),
        )
        .collect();
        assert_eq!(v.len(), 5);
        match &v[0] {
            Ok(Entry::Message(r)) => assert_eq!(r.message.labels["kind"], "y"),
            other => panic!("{other:?}"),
        }
        let kinds: Vec<&str> = v[1..4]
            .iter()
            .map(|e| match e {
                Ok(Entry::Extra(x)) => match &x.extra {
                    Extra::Conversation(c) => {
                        assert_eq!((c.state.as_str(), x.line), ("resolved", 2));
                        "conversation"
                    }
                    Extra::Contact(c) => {
                        assert_eq!(c.identities.len(), 2);
                        "contact"
                    }
                    Extra::Analysis(a) => {
                        assert!(a.analysis.is_none());
                        "analysis"
                    }
                },
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, ["conversation", "contact", "analysis"]);
        let e = v[4].as_ref().unwrap_err();
        assert_eq!(e.line, 5);
        assert!(e.reason.contains("nonsense"), "{e}");
        // The message-only view skips extra records.
        let input = format!("{tricky}\n{}\n", extras.join("\n"));
        let v: Vec<_> = crate::read(Format::Jsonl, Source::from_bytes("x.jsonl", input)).collect();
        assert_eq!(v.len(), 1);
    }

    /// The examples in docs/JSONL.md stay valid.
    #[test]
    fn documented_examples_parse() {
        let doc = include_str!("../../../docs/JSONL.md");
        let lines: Vec<&str> = doc
            .lines()
            .filter(|l| l.starts_with("{\"channel\""))
            .collect();
        assert_eq!(lines.len(), 4);
        let input = lines.join("\n");
        let v: Vec<_> = crate::read(Format::Jsonl, Source::from_bytes("JSONL.md", input)).collect();
        assert!(v.iter().all(Result::is_ok), "{v:?}");
        let reply = &v[1].as_ref().unwrap().message;
        assert_eq!(reply.in_reply_to.as_deref(), Some("1001"));
    }
}
