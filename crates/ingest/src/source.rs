//! A named byte stream to read records from: a file, stdin, or bytes in memory (tests).

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Read buffer size: large reads keep parsing fast on big files.
const BUFFER_BYTES: usize = 256 * 1024;

/// Where records come from. The name appears in every rejection (`name:line: ...`).
pub struct Source {
    name: String,
    reader: Box<dyn BufRead + Send>,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source").field("name", &self.name).finish()
    }
}

impl Source {
    /// Opens a file; `-` means stdin. The name is the path as given.
    pub fn open(path: &Path) -> io::Result<Source> {
        if path.as_os_str() == "-" {
            return Ok(Source::stdin());
        }
        let file = File::open(path)?;
        Ok(Source::from_reader(path.display().to_string(), file))
    }

    pub fn stdin() -> Source {
        Source::from_reader("-", io::stdin())
    }

    /// Any reader, e.g. a file wrapped by a progress bar.
    pub fn from_reader(name: impl Into<String>, reader: impl Read + Send + 'static) -> Source {
        Source {
            name: name.into(),
            reader: Box::new(BufReader::with_capacity(BUFFER_BYTES, reader)),
        }
    }

    pub fn from_bytes(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Source {
        Source::from_reader(name, io::Cursor::new(bytes.into()))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn is_empty(&mut self) -> io::Result<bool> {
        Ok(self.reader.fill_buf()?.is_empty())
    }

    /// The name (shared by every record read: one count, not one copy per record) and the
    /// reader.
    pub(crate) fn into_parts(self) -> (Arc<str>, Box<dyn BufRead + Send>) {
        (self.name.into(), self.reader)
    }
}
