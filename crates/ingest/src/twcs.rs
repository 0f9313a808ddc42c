//! Kaggle "Customer Support on Twitter" (TWCS) CSV: the original 7 columns
//! (`tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id`) and
//! pandas re-saves with one or two leading index columns and float ids (`3.0`). Columns are found
//! by their header names. Records end at `\n` only: bare `\r` inside unquoted texts stays text.
//!
//! Channel `twitter`, public; `inbound=True` is a customer (inbound), `False` a brand (outbound).
//! Brand: the author of an outbound tweet. An inbound tweet's brand (the brand it addresses: the
//! author of its reply or of the tweet it replies to) needs other rows, so a streaming reader
//! cannot know it: the store fills it in when both are stored, and [`resolve_brands`] does it
//! for a slice in memory.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use model::{Direction, Labels, Message, Visibility};

use crate::csv_record::{CsvRecord, CsvRecords};
use crate::line::Lines;
use crate::{Options, Record, Records, Rejected, Source, finish};

pub const CHANNEL: &str = "twitter";

const COLUMNS: [&str; 7] = [
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
];

pub(crate) fn records(source: Source, _options: &Options) -> Records {
    let (file, reader) = source.into_parts();
    let mut csv = CsvRecords::new(file, Lines::new(reader));
    let mut header: Option<[usize; 7]> = None;
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
                Some(index) => return Some(message(index, csv.file(), record)),
                None => match parse_header(&record) {
                    Ok(index) => {
                        csv.expect_fields(record.fields.len());
                        header = Some(index);
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

fn parse_header(record: &CsvRecord) -> Result<[usize; 7], String> {
    let mut index = [0usize; 7];
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        *slot = record
            .fields
            .iter()
            .position(|f| f.trim() == name)
            .ok_or_else(|| format!("header has no column `{name}` (is this a TWCS file?)"))?;
    }
    Ok(index)
}

/// `123`, `123.0` (pandas float) -> `123`; empty -> None.
pub(crate) fn tweet_id(value: &str) -> Result<Option<String>, String> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let int = match v.split_once('.') {
        Some((int, frac)) if frac.bytes().all(|b| b == b'0') => int,
        Some(_) => return Err(format!("`{v}` is not a whole tweet id")),
        None => v,
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{v}` is not a tweet id"));
    }
    Ok(Some(int.to_owned()))
}

fn message(index: &[usize; 7], file: &Arc<str>, record: CsvRecord) -> Result<Record, Rejected> {
    let f = |i: usize| record.fields[index[i]].as_str();
    let err = |i: usize, reason: String| Rejected::new(file, record.line, Some(COLUMNS[i]), reason);
    let id = tweet_id(f(0))
        .map_err(|r| err(0, r))?
        .ok_or_else(|| err(0, "empty".into()))?;
    let author = f(1).trim();
    if author.is_empty() {
        return Err(err(1, "empty".into()));
    }
    let direction = match f(2).trim() {
        "True" | "true" => Direction::Inbound,
        "False" | "false" => Direction::Outbound,
        other => return Err(err(2, format!("`{other}` is not True or False"))),
    };
    let created = f(3).trim();
    let created_at = DateTime::parse_from_str(created, "%a %b %d %H:%M:%S %z %Y")
        .map_err(|e| {
            err(
                3,
                format!("`{created}` is not like `Tue Oct 31 22:10:47 +0000 2017`: {e}"),
            )
        })?
        .with_timezone(&Utc);
    for response in f(5).split(',') {
        tweet_id(response).map_err(|r| err(5, r))?;
    }
    let in_reply_to = tweet_id(f(6)).map_err(|r| err(6, r))?;
    let brand = (direction == Direction::Outbound).then(|| author.to_owned());
    let message = Message {
        channel: CHANNEL.to_owned(),
        external_id: id,
        author: author.to_owned(),
        author_name: None,
        text: f(4).to_owned(),
        created_at,
        in_reply_to,
        direction,
        visibility: Visibility::Public,
        language: None,
        brand,
        labels: Labels::new(),
        raw: Some(record.raw.clone()),
    };
    finish(message, file, record.line)
}

/// Gives every inbound message without a brand the brand it addresses: the author of an
/// outbound reply to it, else the author of the outbound tweet it replies to. For callers that
/// hold a whole file in memory; the store does the same across batches.
pub fn resolve_brands(messages: &mut [Message]) {
    let mut by_id: HashMap<&str, usize> = HashMap::new();
    for (i, m) in messages.iter().enumerate() {
        by_id.insert(&m.external_id, i);
    }
    let mut found: Vec<(usize, String)> = Vec::new();
    let mut from_parent: Vec<(usize, String)> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let Some(&p) = m.in_reply_to.as_deref().and_then(|p| by_id.get(p)) else {
            continue;
        };
        let parent = &messages[p];
        match (m.direction, parent.direction) {
            (Direction::Outbound, Direction::Inbound) => {
                if let Some(b) = &m.brand {
                    found.push((p, b.clone()));
                }
            }
            (Direction::Inbound, Direction::Outbound) => {
                if let Some(b) = &parent.brand {
                    from_parent.push((i, b.clone()));
                }
            }
            _ => {}
        }
    }
    for (i, brand) in found.into_iter().chain(from_parent) {
        if messages[i].direction == Direction::Inbound && messages[i].brand.is_none() {
            messages[i].brand = Some(brand);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    fn read(input: &str) -> Vec<Result<Record, Rejected>> {
        crate::read(Format::Twcs, Source::from_bytes("t.csv", input.to_owned())).collect()
    }

    #[test]
    fn original_layout_crlf() {
        let v = read(concat!(
            "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\r\n",
            "119237,105834,True,Wed Oct 11 06:55:44 +0000 2017,@AppleSupport hi,119236,\r\n",
            "119238,ChaseSupport,False,Wed Oct 11 13:25:49 +0000 2017,\"@105835 Your, business\",,119239\r\n",
        ));
        let a = &v[0].as_ref().unwrap().message;
        assert_eq!(
            (a.external_id.as_str(), a.author.as_str()),
            ("119237", "105834")
        );
        assert_eq!(
            (a.direction, a.brand.as_deref(), a.in_reply_to.as_deref()),
            (Direction::Inbound, None, None)
        );
        assert_eq!(a.created_at.to_rfc3339(), "2017-10-11T06:55:44+00:00");
        assert_eq!(
            a.raw.as_deref(),
            Some("119237,105834,True,Wed Oct 11 06:55:44 +0000 2017,@AppleSupport hi,119236,")
        );
        let b = &v[1].as_ref().unwrap().message;
        assert_eq!(b.text, "@105835 Your, business");
        assert_eq!(
            (b.direction, b.brand.as_deref()),
            (Direction::Outbound, Some("ChaseSupport"))
        );
        assert_eq!(b.in_reply_to.as_deref(), Some("119239"));
        assert_eq!(v[1].as_ref().unwrap().line, 3);
    }

    #[test]
    fn pandas_layouts_and_float_ids() {
        let one = read(concat!(
            ",tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n",
            "0,1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,@115712 I understand.,2,3.0\n",
            "5,6,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,x,\"9,6,10\",8.5\n",
        ));
        assert_eq!(
            one[0].as_ref().unwrap().message.in_reply_to.as_deref(),
            Some("3")
        );
        let e = one[1].as_ref().unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv:3: in_response_to_tweet_id: `8.5` is not a whole tweet id"
        );
        let two = read(concat!(
            ",index,tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n",
            "0,541,849,115887,True,Tue Oct 31 23:36:20 +0000 2017,@SpotifyCares \r\rdoesn’t work,851,848.0\n",
        ));
        let m = &two[0].as_ref().unwrap().message;
        assert_eq!(
            (m.external_id.as_str(), m.text.as_str()),
            ("849", "@SpotifyCares \r\rdoesn’t work")
        );
    }

    #[test]
    fn brands_resolve_in_memory() {
        let mut v: Vec<Message> = read(concat!(
            "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n",
            "1,sprintcare,False,Tue Oct 31 22:10:47 +0000 2017,a,2,3\n",
            "2,115712,True,Tue Oct 31 22:11:45 +0000 2017,b,,1\n",
            "3,115712,True,Tue Oct 31 22:08:27 +0000 2017,c,1,\n",
            "4,115713,True,Tue Oct 31 22:08:27 +0000 2017,d,,\n",
        ))
        .into_iter()
        .map(|r| r.unwrap().message)
        .collect();
        resolve_brands(&mut v);
        let brands: Vec<Option<&str>> = v.iter().map(|m| m.brand.as_deref()).collect();
        assert_eq!(
            brands,
            vec![
                Some("sprintcare"),
                Some("sprintcare"),
                Some("sprintcare"),
                None
            ]
        );
    }

    fn data(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/twcs")
            .join(name)
    }

    #[test]
    fn shared_files_read_without_rejects() {
        for (name, rows) in [
            ("sample.csv", 93),
            ("twcs_head5000.csv", 5000),
            ("spotifycares_support_requests.csv", 15_096),
        ] {
            let v: Vec<_> = crate::read(Format::Twcs, Source::open(&data(name)).unwrap()).collect();
            let bad: Vec<String> = v
                .iter()
                .filter_map(|r| r.as_ref().err())
                .map(ToString::to_string)
                .collect();
            assert!(bad.is_empty(), "{name}: {bad:?}");
            assert_eq!(v.len(), rows, "{name}");
        }
    }
}
