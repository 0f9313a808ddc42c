//! Crash safety: SIGKILL an import midway, run it again, and the store equals a clean import:
//! no message missing, none twice, conversations the same.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{export, import, kv, stats};

/// A JSONL file of `n` messages in threads of three (customer, brand, customer).
fn generate(path: &Path, n: u32) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let (dir, author) = if i % 3 == 1 {
            ("outbound", "Brand".to_owned())
        } else {
            ("inbound", format!("c{}", i / 3))
        };
        let reply = if i % 3 == 0 {
            String::new()
        } else {
            format!(r#","in_reply_to":"{}""#, i - 1)
        };
        writeln!(
            out,
            r#"{{"channel":"twitter","external_id":"{i}","author":"{author}","text":"message number {i} with some text to make the file bigger","created_at":"2024-05-01T10:{:02}:{:02}Z","direction":"{dir}","visibility":"public"{reply}}}"#,
            (i / 60) % 60,
            i % 60
        )
        .unwrap();
    }
}

#[test]
fn sigkill_midway_then_rerun_equals_clean_import() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    let n = 300_000;
    generate(&file, n);

    let crashed = dir.path().join("crashed");
    let mut child = kv(&crashed)
        .args(["import", "--format", "jsonl", "--batch", "5000"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some batches are committed, then kill without warning.
    let wal = crashed.join("kundenversteher.sqlite3-wal");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::metadata(&wal).map_or(0, |m| m.len()) < 4 * 1024 * 1024 {
        assert!(Instant::now() < deadline, "import made no progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "import finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let partial = stats(&crashed)["messages"].as_u64().unwrap();
    assert!(
        partial > 0 && partial < u64::from(n),
        "killed midway: {partial} stored"
    );

    let (run, s) = import(&crashed, "jsonl", &[&file]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!((s.imported + s.duplicates, s.rejected), (u64::from(n), 0));
    assert_eq!(
        s.duplicates, partial,
        "everything committed before the kill is there once"
    );

    let clean = dir.path().join("clean");
    let (run, _) = import(&clean, "jsonl", &[&file]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(stats(&crashed), stats(&clean));
    let mut a: Vec<String> = export(&crashed, &dir.path().join("a.jsonl"))
        .lines()
        .map(str::to_owned)
        .collect();
    let mut b: Vec<String> = export(&clean, &dir.path().join("b.jsonl"))
        .lines()
        .map(str::to_owned)
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a.len(), n as usize);
    assert!(a == b, "stores differ");
}
