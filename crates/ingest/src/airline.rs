//! Kaggle "Twitter US Airline Sentiment" (`Tweets.csv`): 15 columns with a header, tweets to six
//! US airlines rated by crowd workers. Channel `twitter`, inbound, public; brand = the airline.
//! Labels: `sentiment` (`airline_sentiment`), `topic` (`negativereason`, when present) and
//! `brand` (the airline, also in `Message::brand`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use model::{Direction, Labels, Message, Visibility};

use crate::csv_record::{CsvRecord, CsvRecords};
use crate::line::Lines;
use crate::{Options, Record, Records, Rejected, Source, finish};

pub(crate) const CHANNEL: &str = "twitter";

/// The columns we read; others are kept in `raw` only.
const COLUMNS: [&str; 6] = [
    "tweet_id",
    "airline_sentiment",
    "negativereason",
    "airline",
    "name",
    "text",
];
const CREATED: &str = "tweet_created";

pub(crate) fn records(source: Source, _options: &Options) -> Records {
    let (file, reader) = source.into_parts();
    let mut csv = CsvRecords::new(file, Lines::new(reader));
    let mut header: Option<Header> = None;
    let mut failed = false;
    Records::new(std::iter::from_fn(move || {
        loop {
            if failed {
                return None;
            }
            let record = match csv.next()? {
                Ok(record) => record,
                Err(rejected) => return Some(Err(rejected)),
            };
            match &header {
                Some(h) => return Some(h.message(csv.file(), record)),
                None => match Header::parse(&record) {
                    Ok(h) => {
                        csv.expect_fields(record.fields.len());
                        header = Some(h);
                    }
                    Err(reason) => {
                        failed = true;
                        return Some(Err(Rejected::new(csv.file(), record.line, None, reason)));
                    }
                },
            }
        }
    }))
}

struct Header {
    /// Index of each of [`COLUMNS`], then of [`CREATED`].
    index: [usize; 7],
}

impl Header {
    fn parse(record: &CsvRecord) -> Result<Header, String> {
        let mut index = [0usize; 7];
        for (slot, name) in index.iter_mut().zip(COLUMNS.iter().chain([&CREATED])) {
            *slot = record
                .fields
                .iter()
                .position(|f| f.trim() == *name)
                .ok_or_else(|| format!("header has no column `{name}` (is this Tweets.csv?)"))?;
        }
        Ok(Header { index })
    }

    fn message(&self, file: &Arc<str>, record: CsvRecord) -> Result<Record, Rejected> {
        let f = |i: usize| record.fields[self.index[i]].trim();
        let err =
            |field: &str, reason: String| Rejected::new(file, record.line, Some(field), reason);
        let id = f(0);
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("tweet_id", format!("`{id}` is not a tweet id")));
        }
        let sentiment = f(1);
        if !matches!(sentiment, "negative" | "neutral" | "positive") {
            return Err(err(
                "airline_sentiment",
                format!("`{sentiment}` is not negative, neutral or positive"),
            ));
        }
        let airline = f(3);
        if airline.is_empty() {
            return Err(err("airline", "empty".into()));
        }
        let created = f(6);
        let created_at = DateTime::parse_from_str(created, "%Y-%m-%d %H:%M:%S %z")
            .map_err(|e| {
                err(
                    CREATED,
                    format!("`{created}` is not `YYYY-MM-DD HH:MM:SS +zzzz`: {e}"),
                )
            })?
            .with_timezone(&Utc);
        let mut labels = Labels::new();
        labels.insert("sentiment".into(), sentiment.to_owned());
        if !f(2).is_empty() {
            labels.insert("topic".into(), f(2).to_owned());
        }
        labels.insert("brand".into(), airline.to_owned());
        let message = Message {
            channel: CHANNEL.to_owned(),
            external_id: id.to_owned(),
            author: f(4).to_owned(),
            author_name: None,
            text: record.fields[self.index[5]].clone(),
            created_at,
            in_reply_to: None,
            direction: Direction::Inbound,
            visibility: Visibility::Public,
            language: None,
            brand: Some(airline.to_owned()),
            labels,
            raw: Some(record.raw),
        };
        finish(message, file, record.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    const HEAD: &str = "tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,negativereason_confidence,airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,tweet_created,tweet_location,user_timezone\n";

    #[test]
    fn reads_labels_brand_time() {
        let input = format!(
            "{HEAD}570301130888122368,negative,0.3486,Late Flight,0.7,Virgin America,,jnardino,,0,\"@VirginAmerica late\nagain\",,2015-02-24 11:15:59 -0800,,Pacific Time (US & Canada)\n"
        );
        let v: Vec<_> = crate::read(Format::Airline, Source::from_bytes("t.csv", input)).collect();
        let r = v[0].as_ref().unwrap();
        assert_eq!(r.line, 2);
        let m = &r.message;
        assert_eq!(m.external_id, "570301130888122368");
        assert_eq!(m.author, "jnardino");
        assert_eq!(m.text, "@VirginAmerica late\nagain");
        assert_eq!(m.created_at.to_rfc3339(), "2015-02-24T19:15:59+00:00");
        assert_eq!(m.brand.as_deref(), Some("Virgin America"));
        assert_eq!(m.labels["sentiment"], "negative");
        assert_eq!(m.labels["topic"], "Late Flight");
        assert_eq!(m.labels["brand"], "Virgin America");
    }

    #[test]
    fn wrong_header_stops_with_one_rejection() {
        let v: Vec<_> =
            crate::read(Format::Airline, Source::from_bytes("t.csv", "a,b\n1,2\n")).collect();
        assert_eq!(v.len(), 1);
        assert!(v[0].as_ref().unwrap_err().reason.contains("tweet_id"));
    }

    #[test]
    fn whole_file_reads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/twitter_us_airline_sentiment/Tweets.csv");
        let v: Vec<_> = crate::read(Format::Airline, Source::open(&path).unwrap()).collect();
        assert_eq!(v.len(), 14_640);
        assert!(v.iter().all(Result::is_ok));
        let united = v
            .iter()
            .filter(|r| r.as_ref().unwrap().message.brand.as_deref() == Some("United"))
            .count();
        assert_eq!(united, 3822);
    }
}
