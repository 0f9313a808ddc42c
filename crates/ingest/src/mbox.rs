//! Email archives in mbox format (mboxo/mboxrd): messages start at lines beginning with `From `.
//! Each message is parsed with `mail-parser` (RFC 5322, MIME, encoded words).
//!
//! Channel `email`, private. External id = Message-ID (without `<>`); when missing, `xxh3:` and
//! a hash of the message bytes, so re-imports stay idempotent. Threading: In-Reply-To, else the
//! last References entry. Direction: outbound when From is one of [`Options::own_addresses`]
//! (an address, or a domain as `example.com` / `@example.com`), else inbound. Brand: the own
//! address involved (From when outbound, the first own To/Cc when inbound). Text: the subject,
//! a blank line, then the plain-text body (HTML is turned into text). Raw: the header block.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use mail_parser::MessageParser;
use model::{Direction, Labels, Message, Visibility};

use crate::line::Lines;
use crate::{Options, Record, Records, Rejected, Source, finish};

pub const CHANNEL: &str = "email";

/// The largest email (with attachments) we parse; larger ones are rejected at their line.
pub const MAX_EMAIL_BYTES: usize = 32 * 1024 * 1024;

pub(crate) fn records(source: Source, options: &Options) -> Records {
    let (file, reader) = source.into_parts();
    Records::new(Emails {
        file,
        lines: Lines::new(reader),
        own: options
            .own_addresses
            .iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .collect(),
        next_start: None,
        done: false,
    })
}

struct Emails {
    file: Arc<str>,
    lines: Lines,
    own: Vec<String>,
    /// The `From ` line that started the next message, already read.
    next_start: Option<u64>,
    done: bool,
}

fn is_from_line(bytes: &[u8]) -> bool {
    bytes.starts_with(b"From ")
}

/// mboxrd: `>From ` (any number of `>`) in a body loses one `>`.
fn unescape(bytes: &[u8]) -> &[u8] {
    let quotes = bytes.iter().take_while(|&&b| b == b'>').count();
    if quotes > 0 && bytes[quotes..].starts_with(b"From ") {
        &bytes[1..]
    } else {
        bytes
    }
}

impl Iterator for Emails {
    type Item = Result<Record, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut start = self.next_start.take();
        let mut preamble: Option<u64> = None;
        let mut body: Vec<u8> = Vec::new();
        let mut too_big = false;
        loop {
            let line = match self.lines.next() {
                Some(Ok(line)) => line,
                Some(Err(e)) => {
                    self.done = true;
                    let no = self.lines.next_no();
                    return Some(Err(Rejected::read_error(&self.file, no, &e)));
                }
                None => {
                    self.done = true;
                    break;
                }
            };
            if is_from_line(&line.bytes) {
                if start.is_some() {
                    self.next_start = Some(line.no);
                    break;
                }
                start = Some(line.no);
                if let Some(p) = preamble {
                    self.next_start = start;
                    return Some(Err(Rejected::new(
                        &self.file,
                        p,
                        None,
                        "text before the first `From ` line: not an mbox message",
                    )));
                }
                continue;
            }
            match start {
                None => {
                    if !line.content().iter().all(u8::is_ascii_whitespace) {
                        preamble.get_or_insert(line.no);
                    }
                }
                Some(_)
                    if too_big
                        || line.too_long.is_some()
                        || body.len() + line.bytes.len() > MAX_EMAIL_BYTES =>
                {
                    too_big = true;
                    body.clear();
                }
                Some(_) => body.extend_from_slice(unescape(&line.bytes)),
            }
        }
        match (start, preamble) {
            (Some(no), _) if too_big => {
                let reason = format!("email larger than the limit of {MAX_EMAIL_BYTES} bytes");
                Some(Err(Rejected::new(&self.file, no, None, reason)))
            }
            (Some(no), _) => Some(self.email(no, &body)),
            (None, Some(p)) => Some(Err(Rejected::new(
                &self.file,
                p,
                None,
                "no `From ` line: not an mbox file",
            ))),
            (None, None) => None,
        }
    }
}

impl Emails {
    fn is_own(&self, address: &str) -> bool {
        let address = address.to_ascii_lowercase();
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
        self.own.iter().any(|own| {
            if own.contains('@') && !own.starts_with('@') {
                *own == address
            } else {
                own.trim_start_matches('@') == domain
            }
        })
    }

    fn email(&self, line: u64, bytes: &[u8]) -> Result<Record, Rejected> {
        let err =
            |field: Option<&str>, reason: &str| Rejected::new(&self.file, line, field, reason);
        let parsed = MessageParser::default()
            .parse(bytes)
            .ok_or_else(|| err(None, "not an email (no headers)"))?;
        let from = parsed
            .from()
            .and_then(|a| a.first())
            .ok_or_else(|| err(Some("From"), "missing"))?;
        let author = from
            .address()
            .ok_or_else(|| err(Some("From"), "no address"))?
            .to_ascii_lowercase();
        let date = parsed
            .date()
            .ok_or_else(|| err(Some("Date"), "missing or not a date"))?;
        let created_at = DateTime::<Utc>::from_timestamp(date.to_timestamp(), 0)
            .ok_or_else(|| err(Some("Date"), "out of range"))?;
        let external_id = match parsed.message_id() {
            Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
            _ => format!("xxh3:{:016x}", xxhash_rust::xxh3::xxh3_64(bytes)),
        };
        let first_of = |v: &mail_parser::HeaderValue<'_>, last: bool| {
            let list = v.as_text_list()?;
            let id = if last { list.last() } else { list.first() };
            id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
        };
        let in_reply_to =
            first_of(parsed.in_reply_to(), false).or_else(|| first_of(parsed.references(), true));
        let direction = if self.is_own(&author) {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        let brand = match direction {
            Direction::Outbound => Some(author.clone()),
            Direction::Inbound => parsed
                .to()
                .into_iter()
                .chain(parsed.cc())
                .flat_map(|a| a.iter())
                .filter_map(|a| a.address())
                .find(|a| self.is_own(a))
                .map(str::to_ascii_lowercase),
        };
        let body = parsed.body_text(0).unwrap_or_default();
        let text = match parsed.subject() {
            Some(subject) if !subject.trim().is_empty() => {
                format!("{}\n\n{}", subject.trim(), body.trim_end())
            }
            _ => body.trim_end().to_owned(),
        };
        let header_end = (parsed.root_part().offset_body as usize).min(bytes.len());
        let raw = String::from_utf8_lossy(&bytes[..header_end])
            .trim_end()
            .to_owned();
        let message = Message {
            channel: CHANNEL.to_owned(),
            external_id,
            author,
            author_name: from.name().map(str::to_owned),
            text,
            created_at,
            in_reply_to,
            direction,
            visibility: Visibility::Private,
            language: None,
            brand,
            labels: Labels::new(),
            raw: Some(raw),
        };
        finish(message, &self.file, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    const MBOX: &str = "From kunde@example.org Mon May  6 10:00:00 2024
From: Erika Muster <Kunde@example.org>
To: service@firma.de
Subject: =?UTF-8?Q?Lieferung_fehlt?=
Date: Mon, 6 May 2024 12:00:00 +0200
Message-ID: <a1@example.org>

Meine Bestellung ist nicht angekommen.
>From the start it was late.

From service@firma.de Mon May  6 11:00:00 2024
From: Service <service@firma.de>
To: kunde@example.org
Subject: Re: Lieferung fehlt
Date: Mon, 6 May 2024 13:00:00 +0200
Message-ID: <b2@firma.de>
In-Reply-To: <a1@example.org>
References: <a1@example.org>

Wir kuemmern uns.

From x Mon May  6 11:00:00 2024
Subject: no sender

body
";

    fn read(input: &str, own: &[&str]) -> Vec<Result<Record, Rejected>> {
        let options = Options {
            own_addresses: own.iter().map(|s| s.to_string()).collect(),
        };
        crate::read_with(
            Format::Mbox,
            Source::from_bytes("m.mbox", input.to_owned()),
            &options,
        )
        .collect()
    }

    #[test]
    fn threads_direction_and_bad_mail() {
        let v = read(MBOX, &["firma.de"]);
        assert_eq!(v.len(), 3);
        let a = &v[0].as_ref().unwrap().message;
        assert_eq!(a.external_id, "a1@example.org");
        assert_eq!(
            (a.author.as_str(), a.author_name.as_deref()),
            ("kunde@example.org", Some("Erika Muster"))
        );
        assert_eq!(a.direction, Direction::Inbound);
        assert_eq!(a.brand.as_deref(), Some("service@firma.de"));
        assert!(
            a.text.starts_with("Lieferung fehlt\n\nMeine Bestellung"),
            "{}",
            a.text
        );
        assert!(a.text.contains("\nFrom the start"), "{}", a.text);
        assert_eq!(a.created_at.to_rfc3339(), "2024-05-06T10:00:00+00:00");
        assert!(a.raw.as_deref().unwrap().starts_with("From: Erika"));
        let b = &v[1].as_ref().unwrap().message;
        assert_eq!(
            (b.direction, b.in_reply_to.as_deref()),
            (Direction::Outbound, Some("a1@example.org"))
        );
        assert_eq!(v[1].as_ref().unwrap().line, 11);
        let e = v[2].as_ref().unwrap_err();
        assert_eq!(e.to_string(), "m.mbox:22: From: missing");
    }

    #[test]
    fn own_address_not_domain() {
        let v = read(MBOX, &["other@firma.de"]);
        assert_eq!(v[1].as_ref().unwrap().message.direction, Direction::Inbound);
    }

    #[test]
    fn not_an_mbox() {
        let v = read("hello\nworld\n", &[]);
        assert_eq!(v.len(), 1);
        assert!(v[0].as_ref().unwrap_err().reason.contains("not an mbox"));
    }
}
