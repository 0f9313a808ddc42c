//! Count series: a CSV `timestamp,value` (header optional) where each row says that `value`
//! messages arrived in the period starting at `timestamp`, as in the Numenta Anomaly
//! Benchmark's realTweets files. Timestamps without a zone (`2015-02-26 21:42:53`) are UTC;
//! RFC 3339 is accepted too. Bad rows are rejected with their place and reading goes on.

use chrono::{NaiveDateTime, Utc};
use model::Timestamp;

use crate::Rejected;
use crate::Source;
use crate::line::Lines;

/// One row of a count series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub at: Timestamp,
    pub value: u32,
    /// 1-based line number.
    pub line: u64,
}

/// Reads a count series. A first line that does not parse as a row and mentions
/// `timestamp` is taken as the header.
pub fn read(source: Source) -> impl Iterator<Item = Result<Count, Rejected>> + Send {
    let (name, reader) = source.into_parts();
    let mut lines = Lines::new(reader);
    let mut first = true;
    std::iter::from_fn(move || {
        loop {
            let line = match lines.next()? {
                Ok(line) => line,
                Err(error) => {
                    return Some(Err(Rejected::new(
                        &name,
                        lines.next_no(),
                        None,
                        format!("cannot read: {error}"),
                    )));
                }
            };
            let was_first = std::mem::replace(&mut first, false);
            if line.too_long.is_some() {
                return Some(Err(Rejected::new(&name, line.no, None, "line too long")));
            }
            let Ok(text) = std::str::from_utf8(line.content()) else {
                return Some(Err(Rejected::new(&name, line.no, None, "not UTF-8")));
            };
            if text.trim().is_empty() {
                continue;
            }
            match parse_row(text) {
                Ok((at, value)) => {
                    return Some(Ok(Count {
                        at,
                        value,
                        line: line.no,
                    }));
                }
                Err(_) if was_first && text.to_ascii_lowercase().contains("timestamp") => continue,
                Err((field, reason)) => {
                    return Some(Err(Rejected::new(&name, line.no, Some(field), reason)));
                }
            }
        }
    })
}

fn parse_row(text: &str) -> Result<(Timestamp, u32), (&'static str, String)> {
    let mut fields = text.split(',');
    let (Some(ts), Some(value), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err((
            "row",
            format!("expected 2 fields `timestamp,value`, got `{text}`"),
        ));
    };
    let at = parse_time(ts.trim().trim_matches('"'))
        .ok_or_else(|| ("timestamp", format!("not a date-time: `{}`", ts.trim())))?;
    let value = value.trim().trim_matches('"');
    let value = value
        .parse::<u32>()
        .ok()
        .or_else(|| {
            // Some series write counts as floats (`12.0`).
            value
                .parse::<f64>()
                .ok()
                .filter(|v| {
                    v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v <= f64::from(u32::MAX)
                })
                .map(|v| v as u32)
        })
        .ok_or_else(|| {
            (
                "value",
                format!("not a non-negative whole number: `{value}`"),
            )
        })?;
    Ok((at, value))
}

fn parse_time(s: &str) -> Option<Timestamp> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(input: &str) -> Vec<Result<Count, Rejected>> {
        read(Source::from_bytes("c.csv", input.as_bytes().to_vec())).collect()
    }

    #[test]
    fn reads_nab_rows_and_skips_the_header() {
        let v = rows("timestamp,value\n2015-02-26 21:42:53,0\n2015-02-26 21:47:53,12\n");
        assert_eq!(v.len(), 2);
        let c = v[1].as_ref().unwrap();
        assert_eq!((c.value, c.line), (12, 3));
        assert_eq!(c.at.to_rfc3339(), "2015-02-26T21:47:53+00:00");
    }

    #[test]
    fn bad_rows_are_reported_with_place_and_reading_goes_on() {
        let v =
            rows("timestamp,value\n2015-02-26 21:42:53,x\nnope,1\n2015-02-26 21:47:53,3\n1,2,3\n");
        let errors: Vec<String> = v
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("c.csv:2: value:"), "{}", errors[0]);
        assert!(
            errors[1].starts_with("c.csv:3: timestamp:"),
            "{}",
            errors[1]
        );
        assert!(errors[2].starts_with("c.csv:5: row:"), "{}", errors[2]);
        assert_eq!(v.iter().filter(|r| r.is_ok()).count(), 1);
    }
}
