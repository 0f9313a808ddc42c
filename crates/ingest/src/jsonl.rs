//! Our lossless interchange format: one JSON object per line, the serde form of
//! `model::Message` (see docs/JSONL.md). Blank lines are skipped.

use model::Message;

use crate::line::Lines;
use crate::{MAX_RECORD_BYTES, Options, Records, Rejected, Source, finish};

pub(crate) fn records(source: Source, _options: &Options) -> Records {
    let (file, reader) = source.into_parts();
    Records::new(Lines::new(reader).filter_map(move |line| {
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
        Some(match serde_json::from_str::<Message>(text) {
            Ok(message) => finish(message, &file, no),
            Err(e) => Err(Rejected::new(&file, no, field_of(&e), format!("JSON: {e}"))),
        })
    }))
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
