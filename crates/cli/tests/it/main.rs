//! Integration tests of the `kundenversteher` binary: each module runs the real binary on a
//! fresh data folder in a temp dir, against the shared datasets.

mod bad_input;
mod crash;
mod demo;
mod import_data;
mod lossless;
mod report;
mod round_trip;
mod serve_crash;
mod understanding;
mod watch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file of the shared datasets (`../shared/data` beside the repository).
pub fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

/// The binary with `--data-dir DATA`, independent of the caller's environment.
pub fn kv(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kundenversteher"));
    cmd.arg("--data-dir").arg(data);
    cmd.env_remove("KUNDENVERSTEHER_DATA_DIR");
    cmd
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// The counts of the final summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

impl Summary {
    /// Parses `imported N, duplicates D, rejected R in S s (X msg/s)`.
    pub fn parse(line: &str) -> Option<Summary> {
        let rest = line.strip_prefix("imported ")?;
        let (imported, rest) = rest.split_once(", duplicates ")?;
        let (duplicates, rest) = rest.split_once(", rejected ")?;
        let (rejected, rest) = rest.split_once(" in ")?;
        let (secs, rest) = rest.split_once(" s (")?;
        secs.parse::<f64>().ok()?;
        rest.strip_suffix(" msg/s)")?.parse::<f64>().ok()?;
        Some(Summary {
            imported: imported.parse().ok()?,
            duplicates: duplicates.parse().ok()?,
            rejected: rejected.parse().ok()?,
        })
    }
}

/// Runs `import --format FORMAT FILES...`; returns the run and its summary (the last line).
pub fn import(data: &Path, format: &str, files: &[&Path]) -> (Run, Summary) {
    let run: Run = kv(data)
        .args(["import", "--format", format])
        .args(files)
        .output()
        .expect("binary runs")
        .into();
    let last = run.stdout.lines().last().unwrap_or_default().to_owned();
    let summary = Summary::parse(&last).unwrap_or_else(|| panic!("no summary line in {run:?}"));
    (run, summary)
}

/// `stats --json` as a JSON value.
pub fn stats(data: &Path) -> serde_json::Value {
    let out = kv(data)
        .args(["stats", "--json"])
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stats --json prints JSON")
}

/// `export --format jsonl -o FILE` and the file's text.
pub fn export(data: &Path, file: &Path) -> String {
    let run: Run = kv(data)
        .args(["export", "--format", "jsonl", "-o"])
        .arg(file)
        .output()
        .expect("binary runs")
        .into();
    assert_eq!(run.code, 0, "{run:?}");
    std::fs::read_to_string(file).unwrap()
}

/// The rejects file named in the output, read.
pub fn rejects(run: &Run) -> String {
    let line = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("rejected records: "))
        .unwrap_or_else(|| panic!("no rejects file named in {run:?}"));
    std::fs::read_to_string(line.trim()).unwrap()
}

#[test]
fn summary_line_parses() {
    let s = Summary::parse("imported 5, duplicates 1, rejected 2 in 0.03 s (200 msg/s)").unwrap();
    assert_eq!((s.imported, s.duplicates, s.rejected), (5, 1, 2));
    assert!(Summary::parse("imported 5").is_none());
}
