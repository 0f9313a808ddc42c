//! GermEval 2017 ABSA (Deutsche Bahn feedback): the TSV in the v1.4 layout
//! (`url, text, relevance, sentiment[, aspects]`), the TSV in the 2017-09-15 layout (category-only
//! aspects, trailing tab) and the XML (`<Document id>` with `<Opinions>`). TSV or XML is told
//! from the first non-blank byte. Labels: `relevance` (`true`/`false`), `sentiment`
//! (`negative`/`neutral`/`positive`), `aspects` (the aspect tokens as in the data, space-joined:
//! `Allgemein#Haupt:negative` in v1.4 and XML, `Allgemein:negative` in 2017-09-15).
//!
//! The texts keep the organisers' CSV-style quotes (`"…""inner""…"`) verbatim, in TSV and XML
//! alike, so both give the same text. The data has no timestamps: for twitter status URLs the
//! time is decoded from the status id (a Twitter snowflake), otherwise it is 1970-01-01.

use std::io::BufRead;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use model::{Direction, Labels, Message, Visibility};

use crate::line::{Line, Lines};
use crate::{MAX_RECORD_BYTES, Options, Record, Records, Rejected, Source, finish};

/// The channel GermEval documents are stored under: a dataset namespace, since the ids are URLs
/// from many sites (twitter, facebook, forums, news).
pub const CHANNEL: &str = "germeval2017";

pub(crate) fn records(source: Source, _options: &Options) -> Records {
    let (file, mut reader) = source.into_parts();
    let is_xml = match reader.fill_buf() {
        Ok(buf) => buf
            .iter()
            .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
            .is_some_and(|b| *b == b'<'),
        Err(_) => false,
    };
    let lines = Lines::new(reader);
    if is_xml {
        Records::new(XmlDocuments {
            file,
            lines,
            done: false,
        })
    } else {
        Records::new(lines.filter_map(move |line| tsv_line(&file, line)))
    }
}

fn tsv_line(file: &Arc<str>, line: std::io::Result<Line>) -> Option<Result<Record, Rejected>> {
    let line = match line {
        Ok(line) => line,
        Err(e) => {
            return Some(Err(Rejected::read_error(file, 0, &e)));
        }
    };
    let no = line.no;
    if let Some(len) = line.too_long {
        let reason = format!("line of {len} bytes is longer than the limit of {MAX_RECORD_BYTES}");
        return Some(Err(Rejected::new(file, no, None, reason)));
    }
    let text = match std::str::from_utf8(line.content()) {
        Ok(text) => text,
        Err(e) => {
            let reason = format!("invalid UTF-8 at byte {}", e.valid_up_to());
            return Some(Err(Rejected::new(file, no, None, reason)));
        }
    };
    if text.trim().is_empty() {
        return None;
    }
    Some(
        parse_tsv(text)
            .map_err(|(field, reason)| Rejected::new(file, no, field, reason))
            .and_then(|message| finish(message, file, no)),
    )
}

type FieldError = (Option<&'static str>, String);

fn parse_tsv(line: &str) -> Result<Message, FieldError> {
    let f: Vec<&str> = line.split('\t').collect();
    let aspects = match f.len() {
        4 => "",
        5 => f[4],
        // 2017-09-15 layout: always a 6th, empty field (trailing tab).
        6 if f[5].trim().is_empty() => f[4],
        n => {
            return Err((
                None,
                format!("wrong column count: {n} tab-separated fields, expected 4 to 6"),
            ));
        }
    };
    let mut labels = Labels::new();
    labels.insert("relevance".into(), relevance(f[2])?);
    labels.insert("sentiment".into(), sentiment(f[3])?);
    if let Some(a) = aspect_tokens(aspects.split_whitespace())? {
        labels.insert("aspects".into(), a);
    }
    Ok(document(f[0], f[1], labels, line))
}

fn relevance(value: &str) -> Result<String, FieldError> {
    match value.trim() {
        "true" | "false" => Ok(value.trim().to_owned()),
        other => Err((Some("relevance"), format!("`{other}` is not true or false"))),
    }
}

fn sentiment(value: &str) -> Result<String, FieldError> {
    match value.trim() {
        "negative" | "neutral" | "positive" => Ok(value.trim().to_owned()),
        other => Err((
            Some("sentiment"),
            format!("`{other}` is not negative, neutral or positive"),
        )),
    }
}

/// Checks each `Category[#Sub]:polarity` token and joins them with one space.
fn aspect_tokens<'a>(tokens: impl Iterator<Item = &'a str>) -> Result<Option<String>, FieldError> {
    let mut out: Vec<&str> = Vec::new();
    for token in tokens {
        let ok = token.rsplit_once(':').is_some_and(|(cat, pol)| {
            !cat.is_empty() && matches!(pol, "negative" | "neutral" | "positive")
        });
        if !ok {
            return Err((
                Some("aspects"),
                format!("`{token}` is not Category#Sub:polarity"),
            ));
        }
        out.push(token);
    }
    Ok((!out.is_empty()).then(|| out.join(" ")))
}

/// Builds the message of one document. Ids carry backslash-escaped underscores (`\_`) in the
/// data; the external id is the URL without them.
fn document(url: &str, text: &str, labels: Labels, raw: &str) -> Message {
    let external_id = url.trim().replace("\\_", "_");
    let (author, created_at) = author_and_time(&external_id);
    Message {
        channel: CHANNEL.to_owned(),
        external_id,
        author,
        author_name: None,
        text: text.to_owned(),
        created_at,
        in_reply_to: None,
        direction: Direction::Inbound,
        visibility: Visibility::Public,
        language: None,
        brand: Some("Deutsche Bahn".to_owned()),
        labels,
        raw: Some(raw.to_owned()),
    }
}

/// `http://twitter.com/NAME/statuses/ID` gives the author NAME and the time in the snowflake ID;
/// other URLs give their host and no time (1970-01-01).
fn author_and_time(url: &str) -> (String, DateTime<Utc>) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let mut parts = rest.split('/');
    let host = parts.next().unwrap_or_default().trim_start_matches("www.");
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    if host == "twitter.com" {
        let name = parts.next().unwrap_or_default();
        let time = match (
            parts.next(),
            parts.next().and_then(|id| id.parse::<u64>().ok()),
        ) {
            (Some("statuses" | "status"), Some(id)) if id > (1u64 << 32) => {
                let ms = (id >> 22) as i64 + 1_288_834_974_657;
                DateTime::from_timestamp_millis(ms).unwrap_or(epoch)
            }
            _ => epoch,
        };
        return (format!("@{name}"), time);
    }
    (host.to_owned(), epoch)
}

/// Streams `<Document>` elements: each is cut from the text and parsed on its own, so a broken
/// document is rejected at its line and the others are kept.
struct XmlDocuments {
    file: Arc<str>,
    lines: Lines,
    done: bool,
}

impl XmlDocuments {
    fn parse(&self, start: u64, chunk: &str) -> Result<Record, Rejected> {
        let doc = roxmltree::Document::parse(chunk).map_err(|e| {
            let line = start + u64::from(e.pos().row) - 1;
            Rejected::new(&self.file, line, None, format!("XML: {e}"))
        })?;
        let root = doc.root_element();
        let err = |field: &'static str, reason: String| {
            Rejected::new(&self.file, start, Some(field), reason)
        };
        let url = root
            .attribute("id")
            .ok_or_else(|| err("id", "missing attribute".into()))?;
        let child_text = |name: &'static str| {
            root.children()
                .find(|n| n.has_tag_name(name))
                .map(|n| n.text().unwrap_or_default().to_owned())
                .ok_or_else(|| err(name, "missing element".into()))
        };
        let mut labels = Labels::new();
        let to_rejected = |(field, reason): FieldError| err(field.unwrap_or("document"), reason);
        labels.insert(
            "relevance".into(),
            relevance(&child_text("relevance")?).map_err(to_rejected)?,
        );
        labels.insert(
            "sentiment".into(),
            sentiment(&child_text("sentiment")?).map_err(to_rejected)?,
        );
        let text = child_text("text")?;
        let mut tokens = Vec::new();
        for opinion in root.descendants().filter(|n| n.has_tag_name("Opinion")) {
            let category = opinion.attribute("category").unwrap_or_default();
            let polarity = opinion.attribute("polarity").unwrap_or_default();
            tokens.push(format!("{category}:{polarity}"));
        }
        if let Some(a) = aspect_tokens(tokens.iter().map(String::as_str)).map_err(to_rejected)? {
            labels.insert("aspects".into(), a);
        }
        finish(document(url, &text, labels, chunk), &self.file, start)
    }
}

/// Position of `<Document` as an element start (not `<Documents`).
fn document_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("<Document") {
        let at = from + i;
        let next = text[at + "<Document".len()..].chars().next();
        if matches!(next, Some(c) if c.is_whitespace() || c == '>') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

const END_TAG: &str = "</Document>";

impl Iterator for XmlDocuments {
    type Item = Result<Record, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut chunk = String::new();
        let mut start: Option<u64> = None;
        let mut bad: Option<Rejected> = None;
        loop {
            if self.done {
                return None;
            }
            let line = match self.lines.next() {
                Some(Ok(line)) => line,
                Some(Err(e)) => {
                    self.done = true;
                    let no = self.lines.next_no();
                    return Some(Err(Rejected::read_error(&self.file, no, &e)));
                }
                None => {
                    self.done = true;
                    return start.map(|s| {
                        Err(bad.unwrap_or_else(|| {
                            Rejected::new(&self.file, s, None, "<Document> is never closed")
                        }))
                    });
                }
            };
            let text = match std::str::from_utf8(&line.bytes) {
                Ok(t) => t,
                Err(e) => {
                    let reason = format!("invalid UTF-8 at byte {}", e.valid_up_to());
                    let rejected = Rejected::new(&self.file, line.no, None, reason);
                    if start.is_none() {
                        return Some(Err(rejected));
                    }
                    bad.get_or_insert(rejected);
                    ""
                }
            };
            if line.too_long.is_some() || chunk.len() + text.len() > MAX_RECORD_BYTES {
                let reason = format!("document longer than the limit of {MAX_RECORD_BYTES} bytes");
                bad.get_or_insert_with(|| {
                    Rejected::new(&self.file, start.unwrap_or(line.no), None, reason)
                });
                start.get_or_insert(line.no);
                chunk.clear();
            }
            match start {
                None => {
                    if let Some(i) = document_start(text) {
                        start = Some(line.no);
                        chunk.push_str(&text[i..]);
                    }
                }
                Some(_) => chunk.push_str(text),
            }
            if let (Some(s), Some(end)) = (start, chunk.find(END_TAG)) {
                // Anything after the end tag on the same line is ignored (one document per line
                // at most in the published files; pretty-printed elsewhere).
                let result = match bad {
                    Some(rejected) => Err(rejected),
                    None => self.parse(s, &chunk[..end + END_TAG.len()]),
                };
                return Some(result);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &str) -> Vec<Result<Record, Rejected>> {
        crate::read(
            crate::Format::Germeval2017,
            Source::from_bytes("g", input.to_owned()),
        )
        .collect()
    }

    #[test]
    fn tsv_v14_with_and_without_aspects() {
        let v = read(
            "http://twitter.com/\\_A\\_/statuses/718525915534331904\t\"x \"\"y\"\"\"\ttrue\tnegative\tAllgemein#Haupt:negative Atmosphäre#Temperatur:negative\n\nhttp://www.example.de/a\tText\tfalse\tneutral\n",
        );
        assert_eq!(v.len(), 2);
        let m = &v[0].as_ref().unwrap().message;
        assert_eq!(
            m.external_id,
            "http://twitter.com/_A_/statuses/718525915534331904"
        );
        assert_eq!(m.author, "@_A_");
        assert_eq!(m.text, "\"x \"\"y\"\"\"");
        assert_eq!(m.created_at.to_rfc3339(), "2016-04-08T19:48:22.486+00:00");
        assert_eq!(m.labels["relevance"], "true");
        assert_eq!(m.labels["sentiment"], "negative");
        assert_eq!(
            m.labels["aspects"],
            "Allgemein#Haupt:negative Atmosphäre#Temperatur:negative"
        );
        let m = &v[1].as_ref().unwrap().message;
        assert_eq!(
            (m.author.as_str(), m.labels.get("aspects")),
            ("example.de", None)
        );
        assert_eq!(v[1].as_ref().unwrap().line, 3);
    }

    #[test]
    fn tsv_2017_09_15_layout() {
        let v = read("u1\tt\ttrue\tnegative\tAllgemein:negative Zugfahrt:neutral \t\n");
        let m = &v[0].as_ref().unwrap().message;
        assert_eq!(m.labels["aspects"], "Allgemein:negative Zugfahrt:neutral");
    }

    #[test]
    fn tsv_bad_label_names_field() {
        let v = read("u1\tt\tmaybe\tnegative\nu2\tt\ttrue\tneutral\n");
        assert_eq!(
            v[0].as_ref().unwrap_err().to_string(),
            "g:1: relevance: `maybe` is not true or false"
        );
        assert!(v[1].is_ok());
    }

    #[test]
    fn xml_documents_and_a_broken_one() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<Documents>
    <Document id="http://twitter.com/6TownsMart/statuses/718525915534331904">
        <Opinions>
            <Opinion category="Allgemein#Haupt" from="0" to="0" target="NULL" polarity="neutral"/>
            <Opinion category="Zugfahrt#Haupt" from="0" to="0" target="NULL" polarity="negative"/>
        </Opinions>
        <relevance>true</relevance>
        <sentiment>neutral</sentiment>
        <text>a &amp;apos; b</text>
    </Document>
    <Document id="x">
        <relevance>true</relevance
        <sentiment>neutral</sentiment>
        <text>broken</text>
    </Document>
    <Document id="y"><relevance>false</relevance><sentiment>positive</sentiment><text>ok</text></Document>
</Documents>
"#;
        let v = read(xml);
        assert_eq!(v.len(), 3);
        let r = v[0].as_ref().unwrap();
        assert_eq!(r.line, 3);
        assert_eq!(r.message.text, "a &apos; b");
        assert_eq!(
            r.message.labels["aspects"],
            "Allgemein#Haupt:neutral Zugfahrt#Haupt:negative"
        );
        let e = v[1].as_ref().unwrap_err();
        assert!(e.line >= 12 && e.reason.starts_with("XML"), "{e}");
        assert_eq!(v[2].as_ref().unwrap().message.labels.get("aspects"), None);
    }

    fn data(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/germeval2017")
            .join(name)
    }

    #[test]
    fn dev_tsv_and_xml_agree() {
        let tsv: Vec<Record> = crate::read(
            crate::Format::Germeval2017,
            Source::open(&data("dev_v1.4.tsv")).unwrap(),
        )
        .map(Result::unwrap)
        .collect();
        assert_eq!(tsv.len(), 2584);
        let xml: Vec<Record> = crate::read(
            crate::Format::Germeval2017,
            Source::open(&data("dev-2017-09-15.xml")).unwrap(),
        )
        .map(Result::unwrap)
        .collect();
        assert_eq!(xml.len(), 2369);
        let by_id: std::collections::HashMap<_, _> = tsv
            .iter()
            .map(|r| (r.message.external_id.as_str(), &r.message))
            .collect();
        for r in &xml {
            let t = by_id[r.message.external_id.as_str()];
            assert_eq!(t.text, r.message.text);
            assert_eq!(t.labels, r.message.labels, "{}", r.message.external_id);
        }
        let negative = tsv
            .iter()
            .filter(|r| r.message.labels["sentiment"] == "negative")
            .count();
        assert_eq!(negative, 617);
        let with_aspects = xml
            .iter()
            .filter(|r| r.message.labels.contains_key("aspects"))
            .count();
        assert_eq!(with_aspects, 1930);
    }
}
