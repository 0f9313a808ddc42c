//! The one text form of timestamps in the database: RFC 3339, UTC, nanoseconds, `Z`
//! (`2017-10-31T22:10:47.000000000Z`). Fixed width, so text order is time order.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn to_sql(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub fn from_sql(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

/// Reads a timestamp column of a row (for row mappers).
pub(crate) fn column(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = row.get(idx)?;
    from_sql(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        let a = DateTime::<Utc>::from_timestamp(1_509_487_847, 123).unwrap();
        let s = to_sql(&a);
        assert_eq!(s, "2017-10-31T22:10:47.000000123Z");
        assert_eq!(from_sql(&s).unwrap(), a);
        let b = DateTime::<Utc>::from_timestamp(1_509_487_848, 0).unwrap();
        assert!(to_sql(&a) < to_sql(&b));
    }
}
