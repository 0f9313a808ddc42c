//! import -> export -> import gives an identical store: same export, same figures.

use super::{export, import, shared, stats};

#[test]
fn import_export_import_is_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (format, rel) in [
        ("twcs", "twcs/twcs_head5000.csv"),
        ("airline", "twitter_us_airline_sentiment/Tweets.csv"),
        ("germeval2017", "germeval2017/trial.xml"),
    ] {
        let (run, _) = import(&a, format, &[&shared(rel)]);
        assert_eq!(run.code, 0, "{run:?}");
    }
    let first = export(&a, &dir.path().join("a.jsonl"));
    let (run, s) = import(&b, "jsonl", &[&dir.path().join("a.jsonl")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!((s.imported, s.rejected), (first.lines().count() as u64, 0));
    let second = export(&b, &dir.path().join("b.jsonl"));
    assert!(first == second, "exports differ");
    assert_eq!(stats(&a), stats(&b));
    // Brands resolved from the thread survive the trip: a customer tweet of head5000.
    assert!(first.contains(r#""external_id":"2","author":"115712""#));
}
