//! Where messages come from: file formats (twcs, germeval2017, airline, jsonl, mbox) and,
//! later, live connectors. Readers stream records and report every rejected one with its place.
//!
//! ```no_run
//! use ingest::{Format, Source};
//! let source = Source::open("Tweets.csv".as_ref()).unwrap();
//! for item in ingest::read(Format::Airline, source) {
//!     match item {
//!         Ok(record) => println!("{}", record.message.text),
//!         Err(rejected) => eprintln!("{rejected}"), // file:line: field: reason
//!     }
//! }
//! ```
//!
//! Adding a format: one new module file with `pub(crate) fn records(source, &Options) -> Records`,
//! one variant in [`Format`] (plus its name in [`Format::ALL`]/[`Format::as_str`]); the compiler
//! shows the match arm in [`read_with`]. See CONTRIBUTING.md.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

pub mod airline;
pub mod counts;
mod csv_record;
pub mod germeval2017;
pub mod jsonl;
mod line;
pub mod mbox;
mod source;
pub mod twcs;

pub use source::Source;

/// The longest record (line, CSV record, XML document) a reader accepts. Longer ones are
/// rejected with their place; texts inside accepted records are further cut to
/// [`model::MAX_TEXT_BYTES`] by [`model::Message::bound_text`].
pub const MAX_RECORD_BYTES: usize = 4 * 1024 * 1024;

/// A file format `import` understands. Parses from and prints as its lowercase name, so clap
/// can take it directly (`--format twcs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Kaggle "Customer Support on Twitter" CSV (original 7 columns or pandas re-saves).
    Twcs,
    /// GermEval 2017 ABSA: TSV (v1.4 or 2017-09-15 layout) or XML, detected from the content.
    Germeval2017,
    /// Kaggle "Twitter US Airline Sentiment" `Tweets.csv`.
    Airline,
    /// Our own lossless interchange format: one serde-serialised `model::Message` per line.
    Jsonl,
    /// Email archive in mbox format.
    Mbox,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Twcs,
        Format::Germeval2017,
        Format::Airline,
        Format::Jsonl,
        Format::Mbox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Twcs => "twcs",
            Format::Germeval2017 => "germeval2017",
            Format::Airline => "airline",
            Format::Jsonl => "jsonl",
            Format::Mbox => "mbox",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown format name; lists the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}` (known: twcs, germeval2017, airline, jsonl, mbox)")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// Settings some formats need. `Default` suits every format except mbox direction detection.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Our own email addresses (`support@example.com`) or domains (`example.com`,
    /// `@example.com`). Mail from one of them is outbound; all other mail is inbound.
    pub own_addresses: Vec<String>,
}

/// One message read from a source, with where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub message: model::Message,
    /// Source name (the path as given, or `-` for stdin).
    pub file: Arc<str>,
    /// 1-based line where the record starts.
    pub line: u64,
}

/// A record the reader could not turn into a message. Displays as `file:line: field: reason`
/// (`file:line: reason` when no single field is to blame).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Rejected {
    pub file: String,
    /// 1-based line where the record starts (0 when the file as a whole is at fault).
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}:{}: {}: {}", self.file, self.line, field, self.reason),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.reason),
        }
    }
}

impl Rejected {
    pub fn new(file: &str, line: u64, field: Option<&str>, reason: impl Into<String>) -> Self {
        Rejected {
            file: file.to_owned(),
            line,
            field: field.map(str::to_owned),
            reason: reason.into(),
        }
    }

    /// The source could not be read at `line` (reading stops there).
    pub fn read_error(file: &str, line: u64, error: &std::io::Error) -> Self {
        Rejected::new(file, line, None, format!("read error: {error}"))
    }
}

/// The stream of records of one source: `Ok` for a message, `Err` for a rejected record.
/// Reading goes on after a rejected record; it stops after an I/O error.
pub struct Records(Box<dyn Iterator<Item = Result<Record, Rejected>> + Send>);

impl Records {
    pub(crate) fn new(
        inner: impl Iterator<Item = Result<Record, Rejected>> + Send + 'static,
    ) -> Self {
        Records(Box::new(inner))
    }
}

impl fmt::Debug for Records {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Records")
    }
}

impl Iterator for Records {
    type Item = Result<Record, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// Reads `source` as `format` with default [`Options`].
pub fn read(format: Format, source: Source) -> Records {
    read_with(format, source, &Options::default())
}

/// The one rejection of an empty or unreadable source, `None` when there is something to read.
fn check_not_empty(source: &mut Source) -> Option<Rejected> {
    match source.is_empty() {
        Ok(false) => None,
        Ok(true) => Some(Rejected::new(source.name(), 0, None, "empty file")),
        Err(error) => Some(Rejected::new(
            source.name(),
            0,
            None,
            format!("cannot read: {error}"),
        )),
    }
}

/// Reads `source` as `format`. Streaming: memory stays bounded by the largest record.
/// An empty source yields one rejection (`empty file`).
pub fn read_with(format: Format, source: Source, options: &Options) -> Records {
    let mut source = source;
    if let Some(rejected) = check_not_empty(&mut source) {
        return Records::new(std::iter::once(Err(rejected)));
    }
    match format {
        Format::Twcs => twcs::records(source, options),
        Format::Germeval2017 => germeval2017::records(source, options),
        Format::Airline => airline::records(source, options),
        Format::Jsonl => jsonl::records(source, options),
        Format::Mbox => mbox::records(source, options),
    }
}

/// Like [`read_with`], but JSONL files also yield their extra records (conversation states,
/// merged contacts, analyses: [`jsonl::Extra`]); every other format yields messages only.
pub fn read_entries(
    format: Format,
    source: Source,
    options: &Options,
) -> Box<dyn Iterator<Item = Result<jsonl::Entry, Rejected>> + Send> {
    let mut source = source;
    if let Some(rejected) = check_not_empty(&mut source) {
        return Box::new(std::iter::once(Err(rejected)));
    }
    match format {
        Format::Jsonl => Box::new(jsonl::entries(source, options)),
        other => Box::new(read_with(other, source, options).map(|r| r.map(jsonl::Entry::Message))),
    }
}

/// Bounds the text and checks the identity fields every format must fill.
pub(crate) fn finish(
    mut message: model::Message,
    file: &Arc<str>,
    line: u64,
) -> Result<Record, Rejected> {
    if message.channel.trim().is_empty() {
        return Err(Rejected::new(file, line, Some("channel"), "empty"));
    }
    if message.external_id.trim().is_empty() {
        return Err(Rejected::new(file, line, Some("external_id"), "empty"));
    }
    message.bound_text();
    Ok(Record {
        message,
        file: Arc::clone(file),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>().unwrap(), f);
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!("TWCS".parse::<Format>().unwrap(), Format::Twcs);
        let err = "csv".parse::<Format>().unwrap_err();
        assert!(err.to_string().contains("twcs, germeval2017"));
    }

    #[test]
    fn rejected_displays_place_field_reason() {
        let r = Rejected::new("a.csv", 7, Some("created_at"), "not a date");
        assert_eq!(r.to_string(), "a.csv:7: created_at: not a date");
        let r = Rejected::new("a.csv", 7, None, "wrong column count");
        assert_eq!(r.to_string(), "a.csv:7: wrong column count");
    }

    #[test]
    fn empty_source_is_one_rejection() {
        for f in Format::ALL {
            let items: Vec<_> = read(f, Source::from_bytes("e.txt", Vec::new())).collect();
            assert_eq!(items.len(), 1);
            assert_eq!(items[0].as_ref().unwrap_err().reason, "empty file");
        }
    }
}

pub mod corpus;
