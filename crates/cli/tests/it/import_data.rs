//! Importing the shared datasets: every row is imported, a duplicate, or rejected (counted
//! independently from the raw file with the `csv` crate), and the conversations and reply pairs
//! of twcs_head5000.csv match what this test computes from the raw CSV.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{import, shared, stats};

/// Rows of a CSV file by an independent reader: `\n`-terminated records (the TWCS files have
/// bare `\r` inside fields), header excluded. Returns the header and the records.
fn raw_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_path(path)
        .unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_end_matches('\r').to_owned())
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.unwrap()
                .iter()
                .map(|f| f.trim_end_matches('\r').to_owned())
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn every_row_of_twcs_and_airline_is_accounted_for() {
    let files = [
        ("twcs", "twcs/sample.csv"),
        ("twcs", "twcs/twcs_head5000.csv"),
        ("twcs", "twcs/spotifycares_support_requests.csv"),
        ("airline", "twitter_us_airline_sentiment/Tweets.csv"),
    ];
    for (format, rel) in files {
        let dir = tempfile::tempdir().unwrap();
        let path = shared(rel);
        let (_, rows) = raw_rows(&path);
        let (run, s) = import(dir.path(), format, &[&path]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            s.imported + s.duplicates + s.rejected,
            rows.len() as u64,
            "{rel}: {s:?}"
        );
        assert_eq!(s.rejected, 0, "{rel}: {run:?}");
        assert_eq!(stats(dir.path())["messages"], s.imported, "{rel}");
        if format == "airline" {
            let unique: HashSet<&String> = rows.iter().map(|r| &r[0]).collect();
            assert_eq!(s.imported, unique.len() as u64);
            assert_eq!(s.duplicates, 155, "tweet_id repeats for 155 rows");
        }
        // Importing the same file again adds nothing.
        let (run, again) = import(dir.path(), format, &[&path]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(
            (again.imported, again.duplicates),
            (0, s.imported + s.duplicates),
            "{rel}"
        );
    }
}

fn find(parent: &mut HashMap<String, String>, id: &str) -> String {
    let mut cur = id.to_owned();
    while let Some(p) = parent.get(&cur).filter(|p| **p != cur) {
        cur = p.clone();
    }
    cur
}

#[test]
fn twcs_head5000_conversations_and_reply_pairs_match_the_raw_file() {
    let path = shared("twcs/twcs_head5000.csv");
    let (header, rows) = raw_rows(&path);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id_c, in_c, reply_c) = (
        col("tweet_id"),
        col("inbound"),
        col("in_response_to_tweet_id"),
    );
    let norm = |s: &str| s.trim_end_matches(".0").to_owned();

    // Conversations: connected components of reply links (a link to a tweet outside the file
    // still joins the tweets that answer it), counted over the tweets in the file.
    let mut parent: HashMap<String, String> = HashMap::new();
    for r in &rows {
        let id = norm(&r[id_c]);
        parent.entry(id.clone()).or_insert_with(|| id.clone());
        if !r[reply_c].is_empty() {
            let p = norm(&r[reply_c]);
            parent.entry(p.clone()).or_insert_with(|| p.clone());
            let (a, b) = (find(&mut parent, &id), find(&mut parent, &p));
            if a != b {
                parent.insert(a, b);
            }
        }
    }
    let roots: HashSet<String> = rows
        .iter()
        .map(|r| find(&mut parent, &norm(&r[id_c])))
        .collect();

    // Pairs: customer tweets in the file with at least one brand reply in the file.
    let inbound: HashSet<String> = rows
        .iter()
        .filter(|r| r[in_c] == "True")
        .map(|r| norm(&r[id_c]))
        .collect();
    let brand_replies: Vec<String> = rows
        .iter()
        .filter(|r| r[in_c] == "False" && inbound.contains(&norm(&r[reply_c])))
        .map(|r| norm(&r[reply_c]))
        .collect();
    assert_eq!(brand_replies.len(), 2188, "the data README's figure");
    let pairs: HashSet<&String> = brand_replies.iter().collect();

    let dir = tempfile::tempdir().unwrap();
    let (run, s) = import(dir.path(), "twcs", &[&path]);
    assert_eq!((run.code, s.imported), (0, 5000), "{run:?}");
    let st = stats(dir.path());
    assert_eq!(st["conversations"]["total"], roots.len() as u64);
    assert_eq!(st["reply_pairs"], pairs.len() as u64);
    assert_eq!(st["by_channel"][0]["inbound"], 2778);
    assert_eq!(st["by_channel"][0]["outbound"], 2222);

    // Not only the count: the store's conversations are exactly the components.
    let store = store::Store::open(dir.path()).unwrap();
    let mut conv_of_root: HashMap<String, i64> = HashMap::new();
    let mut root_of_conv: HashMap<i64, String> = HashMap::new();
    store
        .for_each_message(|m| {
            let root = find(&mut parent, &m.message.external_id);
            assert_eq!(
                *conv_of_root
                    .entry(root.clone())
                    .or_insert(m.conversation_id),
                m.conversation_id
            );
            assert_eq!(
                *root_of_conv
                    .entry(m.conversation_id)
                    .or_insert(root.clone()),
                root
            );
            Ok(())
        })
        .unwrap();
    assert_eq!(conv_of_root.len(), roots.len());
}

#[test]
fn germeval_tsv_and_xml_import() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = shared("germeval2017/dev_v1.4.tsv");
    let xml = shared("germeval2017/dev-2017-09-15.xml");
    let (run, s) = import(dir.path(), "germeval2017", &[&tsv, &xml]);
    assert_eq!(run.code, 0, "{run:?}");
    // The XML's 2,369 documents are all in the TSV too.
    assert_eq!((s.imported, s.duplicates, s.rejected), (2584, 2369, 0));
}
