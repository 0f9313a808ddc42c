//! Response rate and median first-response time per brand, recomputed from the raw TWCS CSV
//! with code that shares nothing with the report (own CSV reading with `\n` as the only
//! terminator, own threading by following reply chains, own pairing and median), compared
//! with the report's JSON.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::Value;

use crate::{data, read, report_of};

struct Tweet {
    id: String,
    author: String,
    inbound: bool,
    at: DateTime<Utc>,
    text: String,
    parent: Option<String>,
}

fn raw_tweets(rel: &str) -> Vec<Tweet> {
    let mut rdr = csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_path(data(rel))
        .unwrap();
    let header: Vec<String> = rdr
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, author, inbound, created, text, parent) = (
        col("tweet_id"),
        col("author_id"),
        col("inbound"),
        col("created_at"),
        col("text"),
        col("in_response_to_tweet_id"),
    );
    let clean_id = |s: &str| {
        let s = s.trim();
        s.strip_suffix(".0").unwrap_or(s).to_owned()
    };
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if rec.len() != header.len() {
            continue;
        }
        let at = DateTime::parse_from_str(rec[created].trim(), "%a %b %d %H:%M:%S %z %Y")
            .unwrap()
            .with_timezone(&Utc);
        let p = clean_id(&rec[parent]);
        out.push(Tweet {
            id: clean_id(&rec[id]),
            author: rec[author].trim().to_owned(),
            inbound: rec[inbound].trim() == "True",
            at,
            text: rec[text].to_owned(),
            parent: (!p.is_empty()).then_some(p),
        });
    }
    out
}

/// brand -> (customer conversations, answered, first-response seconds).
fn expected(rel: &str) -> HashMap<String, (u64, u64, Vec<i64>)> {
    let tweets = raw_tweets(rel);
    let by_id: HashMap<&str, &Tweet> = tweets.iter().map(|t| (t.id.as_str(), t)).collect();
    // Root of a tweet: follow the reply chain up; a parent missing from the file is the root.
    let root = |t: &Tweet| -> String {
        let mut cur = t;
        loop {
            match &cur.parent {
                None => return cur.id.clone(),
                Some(p) => match by_id.get(p.as_str()) {
                    Some(parent) => cur = parent,
                    None => return p.clone(),
                },
            }
        }
    };
    let mut threads: HashMap<String, Vec<&Tweet>> = HashMap::new();
    for t in &tweets {
        threads.entry(root(t)).or_default().push(t);
    }
    let brands: HashMap<String, String> = tweets
        .iter()
        .filter(|t| !t.inbound)
        .map(|t| (t.author.to_lowercase(), t.author.clone()))
        .collect();
    let mention = Regex::new(r"(?:^|[^\p{L}\p{N}_])@([A-Za-z0-9_]+)").unwrap();
    let mut out: HashMap<String, (u64, u64, Vec<i64>)> = HashMap::new();
    for thread in threads.values_mut() {
        // Time order; at the same second the customer's tweet comes first.
        thread.sort_by_key(|t| (t.at, !t.inbound));
        if !thread[0].inbound {
            continue; // started by the brand: not a customer conversation
        }
        let first_in = thread[0];
        let reply = thread.iter().find(|t| !t.inbound);
        let brand = match reply {
            Some(r) => r.author.clone(),
            None => mention
                .captures_iter(&first_in.text)
                .find_map(|c| brands.get(&c[1].to_lowercase()).cloned())
                .unwrap_or_else(|| "unknown".into()),
        };
        let e = out.entry(brand).or_default();
        e.0 += 1;
        if let Some(r) = reply {
            e.1 += 1;
            e.2.push((r.at - first_in.at).num_seconds());
        }
    }
    out
}

fn median(v: &mut [i64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

fn check(rel: &str, min_brands: usize) {
    let mut want = expected(rel);
    let (report, _) = report_of(read(ingest::Format::Twcs, rel));
    let json: Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["method"]["id"], "kundenversteher-metrics");
    // Brands with only conversations they started themselves have no customer conversations.
    let groups: Vec<&Value> = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["inbound_conversations"] != 0)
        .collect();
    assert_eq!(groups.len(), want.len(), "{rel}: number of brands");
    assert!(groups.len() >= min_brands, "{rel}: {} brands", groups.len());
    for g in groups {
        let key = g["key"].as_str().unwrap();
        let (total, answered, frt) = want
            .get_mut(key)
            .unwrap_or_else(|| panic!("{rel}: unexpected brand {key}"));
        assert_eq!(
            g["inbound_conversations"], *total,
            "{rel} {key}: conversations"
        );
        assert_eq!(
            g["responded_conversations"], *answered,
            "{rel} {key}: answered"
        );
        let rate = *answered as f64 / *total as f64;
        let got = g["response_rate"].as_f64().unwrap();
        assert!(
            (got - rate).abs() < 1e-6,
            "{rel} {key}: rate {got} vs {rate}"
        );
        let want_median = median(frt);
        assert_eq!(
            g["first_response_time_s"]["median"].as_f64(),
            want_median,
            "{rel} {key}: median first-response time"
        );
        assert_eq!(g["first_response_time_s"]["n"], frt.len() as u64);
    }
}

#[test]
fn twcs_head5000_per_brand() {
    check("twcs/twcs_head5000.csv", 60);
}

#[test]
fn twcs_sample_per_brand() {
    check("twcs/sample.csv", 5);
}

#[test]
fn twcs_spotify_customer_side_only() {
    // Only customer tweets: every conversation unanswered, so the rate is 0 everywhere.
    check("twcs/spotifycares_support_requests.csv", 1);
}
