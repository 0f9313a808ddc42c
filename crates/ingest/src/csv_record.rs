//! CSV records with their raw text and line numbers, recovering from broken records.
//!
//! Written by hand instead of using the `csv` crate because we need three things it does not
//! give: (1) `\n` as the only record terminator, so the bare `\r` inside unquoted TWCS fields
//! does not split records (the crate treats a lone `\r` as a terminator); (2) the raw text of
//! every record, kept in `Message::raw`; (3) recovery from a quote that is never closed: the
//! record is rejected at the line where it starts and reading resumes on the next line, so
//! good rows after it are kept. Fields follow RFC 4180 (`""` is a quote inside quotes).

use std::collections::VecDeque;
use std::sync::Arc;

use crate::line::{Line, Lines};
use crate::{MAX_RECORD_BYTES, Rejected};

/// A quoted field spanning more lines than this is taken as a quote that is never closed.
const MAX_RECORD_LINES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvRecord {
    /// Line where the record starts.
    pub line: u64,
    /// The record as in the file, without its final line terminator.
    pub raw: String,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: either the closing quote or the first of `""`.
    QuoteInQuoted,
}

/// Advances the quote state over one physical line (including its `\n`).
fn scan(mut state: Scan, bytes: &[u8]) -> Scan {
    for &b in bytes {
        state = match (state, b) {
            (Scan::Quoted, b'"') => Scan::QuoteInQuoted,
            (Scan::Quoted, _) => Scan::Quoted,
            (Scan::QuoteInQuoted, b'"') => Scan::Quoted,
            (Scan::FieldStart, b'"') => Scan::Quoted,
            (_, b',') | (_, b'\n') => Scan::FieldStart,
            (_, _) => Scan::Unquoted,
        };
    }
    state
}

/// Splits one complete record into fields.
fn fields(record: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(8);
    let mut cur = String::new();
    let mut state = Scan::FieldStart;
    for c in record.chars() {
        state = match (state, c) {
            (Scan::FieldStart, '"') => Scan::Quoted,
            (Scan::Quoted, '"') => Scan::QuoteInQuoted,
            (Scan::Quoted, c) => {
                cur.push(c);
                Scan::Quoted
            }
            (Scan::QuoteInQuoted, '"') => {
                cur.push('"');
                Scan::Quoted
            }
            (_, ',') => {
                out.push(std::mem::take(&mut cur));
                Scan::FieldStart
            }
            (_, c) => {
                // Text after a closing quote is kept, as most readers do.
                cur.push(c);
                Scan::Unquoted
            }
        };
    }
    out.push(cur);
    out
}

pub(crate) struct CsvRecords {
    lines: Lines,
    /// Lines handed back after a broken record, read again before new ones.
    pending: VecDeque<Line>,
    file: Arc<str>,
    expected: Option<usize>,
    done: bool,
}

impl CsvRecords {
    pub fn new(file: Arc<str>, lines: Lines) -> Self {
        CsvRecords {
            lines,
            pending: VecDeque::new(),
            file,
            expected: None,
            done: false,
        }
    }

    /// From now on, a record with another field count is rejected (after the header).
    pub fn expect_fields(&mut self, n: usize) {
        self.expected = Some(n);
    }

    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    fn next_line(&mut self) -> Option<Result<Line, Rejected>> {
        if let Some(line) = self.pending.pop_front() {
            return Some(Ok(line));
        }
        match self.lines.next()? {
            Ok(line) => Some(Ok(line)),
            Err(e) => {
                self.done = true;
                let no = self.lines.next_no();
                Some(Err(Rejected::read_error(&self.file, no, &e)))
            }
        }
    }

    /// Rejects the record at its first line and reads its other lines again.
    fn resync(&mut self, mut acc: Vec<Line>, reason: String) -> Rejected {
        let first = acc.remove(0);
        for line in acc.into_iter().rev() {
            self.pending.push_front(line);
        }
        Rejected::new(&self.file, first.no, None, reason)
    }
}

impl Iterator for CsvRecords {
    type Item = Result<CsvRecord, Rejected>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done && self.pending.is_empty() {
                return None;
            }
            let first = match self.next_line()? {
                Ok(line) => line,
                Err(rejected) => return Some(Err(rejected)),
            };
            if let Some(len) = first.too_long {
                let reason =
                    format!("record of {len} bytes is longer than the limit of {MAX_RECORD_BYTES}");
                return Some(Err(Rejected::new(&self.file, first.no, None, reason)));
            }
            if first.content().iter().all(|b| b.is_ascii_whitespace()) {
                continue; // blank line: not a record
            }
            let mut state = scan(Scan::FieldStart, &first.bytes);
            let mut size = first.bytes.len();
            let mut acc = vec![first];
            let mut unclosed = false;
            while state == Scan::Quoted {
                if acc.len() >= MAX_RECORD_LINES || size > MAX_RECORD_BYTES {
                    unclosed = true;
                    break;
                }
                match self.next_line() {
                    None | Some(Err(_)) => {
                        unclosed = true;
                        break;
                    }
                    Some(Ok(line)) if line.too_long.is_some() => {
                        self.pending.push_front(line);
                        unclosed = true;
                        break;
                    }
                    Some(Ok(line)) => {
                        state = scan(state, &line.bytes);
                        size += line.bytes.len();
                        acc.push(line);
                    }
                }
            }
            if unclosed {
                let reason = "quote opened here is never closed".to_owned();
                return Some(Err(self.resync(acc, reason)));
            }
            let start = acc[0].no;
            let mut bytes = Vec::with_capacity(size);
            for line in &acc {
                bytes.extend_from_slice(&line.bytes);
            }
            if bytes.ends_with(b"\n") {
                bytes.pop();
                if bytes.ends_with(b"\r") {
                    bytes.pop();
                }
            }
            let raw = match String::from_utf8(bytes) {
                Ok(raw) => raw,
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let reason = format!("invalid UTF-8 at byte {at} of the record");
                    return Some(Err(Rejected::new(&self.file, start, None, reason)));
                }
            };
            let fields = fields(&raw);
            if let Some(n) = self.expected
                && fields.len() != n
            {
                let reason = if acc.len() > 1 {
                    format!(
                        "wrong column count: {} fields over {} lines, expected {n} (a quote never closed?)",
                        fields.len(),
                        acc.len()
                    )
                } else {
                    format!("wrong column count: {} fields, expected {n}", fields.len())
                };
                if acc.len() > 1 {
                    return Some(Err(self.resync(acc, reason)));
                }
                return Some(Err(Rejected::new(&self.file, start, None, reason)));
            }
            return Some(Ok(CsvRecord {
                line: start,
                raw,
                fields,
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str, expected: Option<usize>) -> Vec<Result<CsvRecord, Rejected>> {
        let lines = Lines::new(Box::new(std::io::Cursor::new(input.as_bytes().to_vec())));
        let mut r = CsvRecords::new("t.csv".into(), lines);
        if let Some(n) = expected {
            r.expect_fields(n);
        }
        r.collect()
    }

    #[test]
    fn quoted_fields_newlines_and_doubled_quotes() {
        let v = records("a,\"b,\"\"c\"\"\nd\",e\r\nf,g,h\n", Some(3));
        let r0 = v[0].as_ref().unwrap();
        assert_eq!(r0.fields, vec!["a", "b,\"c\"\nd", "e"]);
        assert_eq!(r0.raw, "a,\"b,\"\"c\"\"\nd\",e");
        assert_eq!(r0.line, 1);
        let r1 = v[1].as_ref().unwrap();
        assert_eq!(
            (r1.line, r1.fields.clone()),
            (3, vec!["f".into(), "g".into(), "h".into()])
        );
    }

    #[test]
    fn bare_cr_does_not_split() {
        let v = records("1,@x \r\rI love,2\n", Some(3));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].as_ref().unwrap().fields[1], "@x \r\rI love");
    }

    #[test]
    fn unclosed_quote_is_rejected_and_later_rows_kept() {
        let v = records("a,b,c\n1,\"never closed,3\n4,5,6\n7,8,9\n", Some(3));
        assert_eq!(v.len(), 4);
        assert!(v[0].is_ok());
        let e = v[1].as_ref().unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("never closed"), "{e}");
        assert_eq!(v[2].as_ref().unwrap().fields, vec!["4", "5", "6"]);
        assert_eq!(v[3].as_ref().unwrap().line, 4);
    }

    #[test]
    fn unclosed_quote_closed_much_later_rejects_first_line_only() {
        let v = records("1,\"x,3\n4,5,6\n7,\"y\",z,w\n8,9,10\n", Some(3));
        let oks: Vec<u64> = v
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|r| r.line)
            .collect();
        assert_eq!(oks, vec![2, 4]);
        assert_eq!(v[0].as_ref().unwrap_err().line, 1);
    }

    #[test]
    fn wrong_count_and_invalid_utf8() {
        let mut input = b"1,2\n".to_vec();
        input.extend_from_slice(b"1,\xff,3\n");
        input.extend_from_slice(b"1,2,3\n");
        let lines = Lines::new(Box::new(std::io::Cursor::new(input)));
        let mut r = CsvRecords::new("t.csv".into(), lines);
        r.expect_fields(3);
        let v: Vec<_> = r.collect();
        assert!(
            v[0].as_ref()
                .unwrap_err()
                .reason
                .contains("2 fields, expected 3")
        );
        assert!(v[1].as_ref().unwrap_err().reason.contains("invalid UTF-8"));
        assert!(v[2].is_ok());
    }
}
