//! Bad input, one test each: a clear rejection naming file:line, no panic, the good rows kept,
//! exit code 0 when anything was imported (non-zero when nothing could be read).

use std::path::{Path, PathBuf};

use super::{Run, import, kv, rejects};

const HEADER: &str =
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n";

fn row(id: u32) -> String {
    format!("{id},cust{id},True,Tue Oct 31 22:10:47 +0000 2017,@Brand hello {id},,\n")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Imports `bytes` as twcs (`bad.csv`) and checks: `good` rows imported, `rejected` rejected,
/// the first rejection at `line` (named in stderr and in the rejects file), exit 0.
fn check(bytes: &[u8], good: u64, rejected: u64, line: u64) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.csv", bytes);
    let (run, s) = import(&dir.path().join("data"), "twcs", &[&file]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    assert_eq!((s.imported, s.rejected), (good, rejected), "{run:?}");
    let place = format!("{}:{line}: ", file.display());
    assert!(run.stderr.contains(&place), "stderr names {place}: {run:?}");
    assert!(rejects(&run).lines().next().unwrap().starts_with(&place));
    run
}

#[test]
fn truncated_line() {
    let mut csv = format!("{HEADER}{}{}", row(1), row(2));
    csv.push_str("3,cust3,True,Tue Oct 31 22:1");
    let run = check(csv.as_bytes(), 2, 1, 4);
    assert!(run.stderr.contains("wrong column count"), "{run:?}");
}

#[test]
fn invalid_utf8() {
    let mut csv = format!("{HEADER}{}", row(1)).into_bytes();
    csv.extend_from_slice(b"2,cust2,True,Tue Oct 31 22:10:47 +0000 2017,caf\xe9 \xff,,\n");
    csv.extend_from_slice(row(3).as_bytes());
    let run = check(&csv, 2, 1, 3);
    assert!(run.stderr.contains("invalid UTF-8"), "{run:?}");
}

#[test]
fn wrong_column_count() {
    let csv = format!(
        "{HEADER}{}4,cust4,True,extra,Tue Oct 31 22:10:47 +0000 2017,x,,\n{}",
        row(1),
        row(2)
    );
    let run = check(csv.as_bytes(), 2, 1, 3);
    assert!(run.stderr.contains("8 fields, expected 7"), "{run:?}");
}

#[test]
fn unclosed_quote() {
    let csv = format!(
        "{HEADER}{}2,cust2,True,Tue Oct 31 22:10:47 +0000 2017,\"never closed,,\n{}{}",
        row(1),
        row(3),
        row(4)
    );
    let run = check(csv.as_bytes(), 3, 1, 3);
    assert!(run.stderr.contains("never closed"), "{run:?}");
}

#[test]
fn ten_megabyte_single_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = |id: u32| {
        format!(
            r#"{{"channel":"web","external_id":"{id}","author":"a","text":"ok","created_at":"2024-05-01T10:00:00Z","direction":"inbound","visibility":"public"}}"#
        ) + "\n"
    };
    let mut bytes = good(1).into_bytes();
    bytes.extend_from_slice(b"{\"channel\":\"web\",\"text\":\"");
    bytes.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    bytes.extend_from_slice(b"\"}\n");
    bytes.extend_from_slice(good(3).as_bytes());
    let file = write(dir.path(), "big.jsonl", &bytes);
    let (run, s) = import(&dir.path().join("data"), "jsonl", &[&file]);
    assert_eq!((run.code, s.imported, s.rejected), (0, 2, 1), "{run:?}");
    assert!(
        run.stderr.contains(&format!("{}:2: ", file.display())),
        "{run:?}"
    );
    assert!(run.stderr.contains("longer than the limit"), "{run:?}");
}

/// Deterministic bytes that are not text (xorshift).
fn garbage(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn binary_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let junk = write(dir.path(), "junk.bin", &garbage(256 * 1024));
    let good = write(
        dir.path(),
        "good.csv",
        format!("{HEADER}{}{}", row(1), row(2)).as_bytes(),
    );
    let data = dir.path().join("data");
    for format in ["twcs", "airline", "germeval2017", "jsonl", "mbox"] {
        let (run, s) = import(&data, format, &[&junk]);
        assert_ne!(run.code, 0, "{format}: nothing readable must fail: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{format}: {run:?}");
        assert!(run.stderr.contains("junk.bin:"), "{format}: {run:?}");
        assert_eq!(s.imported + s.duplicates, 0, "{format}");
    }
    let (run, s) = import(&data, "twcs", &[&junk, &good]);
    assert_eq!((run.code, s.imported), (0, 2), "{run:?}");
    assert!(s.rejected >= 1);
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.csv", b"");
    let data = dir.path().join("data");
    let (run, s) = import(&data, "twcs", &[&empty]);
    assert_ne!(run.code, 0, "{run:?}");
    assert_eq!(s.rejected, 1);
    assert!(
        run.stderr
            .contains(&format!("{}:0: empty file", empty.display())),
        "{run:?}"
    );
    assert!(run.stderr.contains("nothing could be read"), "{run:?}");
    let good = write(
        dir.path(),
        "good.csv",
        format!("{HEADER}{}", row(1)).as_bytes(),
    );
    let (run, s) = import(&data, "twcs", &[&empty, &good]);
    assert_eq!((run.code, s.imported, s.rejected), (0, 1, 1), "{run:?}");
}

#[test]
fn missing_file_fails_before_importing() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.csv",
        format!("{HEADER}{}", row(1)).as_bytes(),
    );
    let missing = dir.path().join("missing.csv");
    let out = kv(&dir.path().join("data"))
        .args(["import", "--format", "twcs"])
        .arg(&good)
        .arg(&missing)
        .output()
        .unwrap();
    let run: Run = out.into();
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("cannot open") && run.stderr.contains("missing.csv"),
        "{run:?}"
    );
}

#[test]
fn stdin_dash() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let mut child = kv(dir.path())
        .args(["import", "--format", "twcs", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{HEADER}{}{}", row(1), row(2)).as_bytes())
        .unwrap();
    let run: Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("imported 2, duplicates 0, rejected 0 in "),
        "{run:?}"
    );
}
