//! `kundenversteher demo`: the README's first command works on a fresh data folder without any
//! external data, is idempotent, and finds the outage it contains (a case and an alarm).

use crate::{Run, kv};

#[test]
fn demo_imports_analyses_and_warns_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    let first: Run = kv(dir.path())
        .arg("demo")
        .arg("--alerts")
        .arg(&alerts)
        .output()
        .unwrap()
        .into();
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stdout.contains("duplicates 0"), "{}", first.stdout);
    assert!(dir.path().join("demo/demo.jsonl").exists());

    // The outage in Hamburg is found as a burst of negative messages from many customers.
    let text = std::fs::read_to_string(&alerts).unwrap();
    let opened: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|a| a["event"] == "opened")
        .collect();
    assert!(!opened.is_empty(), "no alert in {text}");
    assert!(opened.iter().all(|a| {
        a["detected_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-04T14")
    }));
    assert!(
        opened
            .iter()
            .any(|a| a["customers"].as_u64().unwrap() >= 10)
    );
    assert!(
        first.stdout.contains("hamburg"),
        "a case about Hamburg: {}",
        first.stdout
    );

    // Running it again adds nothing.
    let second: Run = kv(dir.path()).arg("demo").output().unwrap().into();
    assert_eq!(second.code, 0, "{second:?}");
    assert!(second.stdout.contains("imported 0,"), "{}", second.stdout);
}
