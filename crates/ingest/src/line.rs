//! Physical lines of a byte stream with their numbers, bounded in length so one huge line
//! cannot exhaust memory. Lines are bytes: UTF-8 is checked per record by the formats.

use std::io::{self, BufRead};

use crate::MAX_RECORD_BYTES;

/// One physical line: its 1-based number, and its bytes including the `\n` terminator (the
/// last line may lack it). `too_long` holds the full length when the line was longer than
/// [`MAX_RECORD_BYTES`]; then `bytes` holds only the beginning.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub no: u64,
    pub bytes: Vec<u8>,
    pub too_long: Option<usize>,
}

impl Line {
    /// The content without the line terminator (`\n` or `\r\n`).
    pub fn content(&self) -> &[u8] {
        let b = self.bytes.strip_suffix(b"\n").unwrap_or(&self.bytes);
        b.strip_suffix(b"\r").unwrap_or(b)
    }
}

pub(crate) struct Lines {
    reader: Box<dyn BufRead + Send>,
    next_no: u64,
    max: usize,
    failed: bool,
}

impl Lines {
    pub fn new(reader: Box<dyn BufRead + Send>) -> Self {
        Lines {
            reader,
            next_no: 1,
            max: MAX_RECORD_BYTES,
            failed: false,
        }
    }

    /// Reads up to and including the next `\n`, keeping at most `max` bytes.
    fn read_line(&mut self) -> io::Result<Option<Line>> {
        let mut bytes = Vec::new();
        let mut total = 0usize;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            let (chunk, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..=i], true),
                None => (buf, false),
            };
            let room = self.max.saturating_sub(bytes.len());
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            total += chunk.len();
            let used = chunk.len();
            self.reader.consume(used);
            if done {
                break;
            }
        }
        if total == 0 {
            return Ok(None);
        }
        let no = self.next_no;
        self.next_no += 1;
        let too_long = (total > self.max).then_some(total);
        Ok(Some(Line {
            no,
            bytes,
            too_long,
        }))
    }

    /// The number the next line will get (for errors at end of input).
    pub fn next_no(&self) -> u64 {
        self.next_no
    }
}

impl Iterator for Lines {
    type Item = io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.read_line() {
            Ok(line) => line.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Line> {
        let mut l = Lines::new(Box::new(io::Cursor::new(input.to_vec())));
        l.max = max;
        l.map(Result::unwrap).collect()
    }

    #[test]
    fn numbers_and_terminators() {
        let v = lines(b"a\r\nb\n\nc", 100);
        assert_eq!(v.len(), 4);
        assert_eq!(v[0].content(), b"a");
        assert_eq!(v[0].bytes, b"a\r\n");
        assert_eq!(v[2].content(), b"");
        assert_eq!((v[3].no, v[3].content()), (4, &b"c"[..]));
    }

    #[test]
    fn long_line_is_cut_and_flagged() {
        let v = lines(b"0123456789\nok\n", 4);
        assert_eq!(v[0].too_long, Some(11));
        assert_eq!(v[0].bytes, b"0123");
        assert_eq!(
            (v[1].no, v[1].content(), v[1].too_long),
            (2, &b"ok"[..], None)
        );
    }
}
