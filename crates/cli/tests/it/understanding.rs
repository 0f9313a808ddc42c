//! `classify`, `train`, `eval` end to end: bad input to classify (invalid JSON line, empty and
//! 1 MB texts) gives one result per line and goes on; eval prints the documented JSON shape;
//! train writes the same bytes twice; `classify --embeddings` runs the accurate tier (when
//! the embedding model is installed, as `.ci/run` does).

use std::io::Write;
use std::process::Stdio;

use super::{Run, kv, shared};

fn classify(input: &[u8], format: &str) -> Run {
    classify_with(input, &["--format", format])
}

fn classify_with(input: &[u8], args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut child = kv(&dir.path().join("data"))
        .arg("classify")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().unwrap();
    let bytes = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out.into()
}

#[test]
fn classify_bad_lines_go_on() {
    let big = "Verspätung ".repeat(100_000); // 1.1 MB
    let input = format!(
        "{}\n{{not json\n{}\n{}\n{}\n",
        r#"{"id":"a","text":"Ich kündige, nie wieder Bahn!"}"#,
        r#"{"id":"b","text":""}"#,
        serde_json::json!({"id": "c", "text": big}),
        r#"{"id":"d","nope":1}"#,
    );
    let run = classify(input.as_bytes(), "jsonl");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    assert_eq!(lines[0]["id"], "a");
    assert!(lines[0]["churn"].as_f64().unwrap() > 0.8);
    assert_eq!(lines[0]["language"], "de");
    for key in [
        "relevance",
        "sentiment",
        "topics",
        "toxicity",
        "fact_claim",
        "urgency",
        "question",
        "model_version",
    ] {
        assert!(lines[0].get(key).is_some(), "{key} missing: {}", lines[0]);
    }
    assert_eq!(lines[1]["line"], 2);
    assert!(lines[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert!(run.stderr.contains("stdin:2:"), "{}", run.stderr);
    assert_eq!(lines[2]["language"], "other");
    assert_eq!(lines[3]["id"], "c");
    assert_eq!(lines[3]["language"], "de");
    assert!(lines[4]["error"].as_str().unwrap().contains("text"));
}

#[test]
fn classify_with_embeddings_runs_the_accurate_tier_and_reports_bad_lines() {
    let model =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/embed-model");
    if !model.join(".complete").exists() {
        eprintln!(
            "SKIPPED: no embedding model in {} (.ci/run installs it)",
            model.display()
        );
        return;
    }
    let input = [
        r#"{"id":"a","text":"Ihr seid doch alle komplett bescheuerte Vollidioten."}"#,
        "{broken",
        r#"{"id":"b","text":"Danke an das freundliche Team im ICE, super Service heute!"}"#,
        "",
    ]
    .join("\n");
    let run = classify_with(input.as_bytes(), &["--embeddings", model.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let fast = classify(input.as_bytes(), "jsonl");
    let parse = |out: &str| -> Vec<serde_json::Value> {
        out.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (acc, fast) = (parse(&run.stdout), parse(&fast.stdout));
    assert_eq!(acc.len(), 3, "{}", run.stdout);
    assert!(acc[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert!(acc[0]["model_version"].as_str().unwrap().contains("+e5-"));
    assert!(acc[0]["toxicity"].as_f64().unwrap() > 0.5, "{}", acc[0]);
    assert_eq!(acc[2]["sentiment"]["label"], "positive", "{}", acc[2]);
    // The heads replace their fields; the others are the fast path's.
    assert_ne!(acc[0]["toxicity"], fast[0]["toxicity"]);
    assert_eq!(acc[0]["relevance"], fast[0]["relevance"]);
    assert_eq!(acc[2]["topics"], fast[2]["topics"]);
}

#[test]
fn classify_lines_format() {
    let run = classify(
        "Where is my card?\n\nNever again, switching to Delta\n".as_bytes(),
        "lines",
    );
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0]["question"].as_f64().unwrap() > 0.8);
    assert!(lines[2]["churn"].as_f64().unwrap() > 0.8);
}

#[test]
fn eval_json_shape_and_train_determinism() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = shared("germeval2018/germeval2018.training.txt");
    let run: Run = kv(&data)
        .args([
            "eval",
            "--task",
            "offense",
            "--format",
            "germeval2018",
            "--json",
        ])
        .arg(&file)
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    for key in [
        "task",
        "n",
        "micro_f1",
        "macro_f1",
        "per_class",
        "confusion",
    ] {
        assert!(v.get(key).is_some(), "{key}: {v}");
    }
    assert_eq!(v["n"], 5009);
    assert!(v["per_class"]["OFFENSE"]["recall"].as_f64().is_some());
    // A small training file: same data and seed, same bytes.
    let small = dir.path().join("small.txt");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &small,
        text.lines().take(400).collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let train = |out: &str| -> Vec<u8> {
        let path = dir.path().join(out);
        let run: Run = kv(&data)
            .args([
                "train",
                "--task",
                "offense",
                "--format",
                "germeval2018",
                "--bits",
                "16",
                "-o",
            ])
            .arg(&path)
            .arg(&small)
            .output()
            .unwrap()
            .into();
        assert_eq!(run.code, 0, "{}", run.stderr);
        std::fs::read(path).unwrap()
    };
    assert_eq!(train("a.kvm"), train("b.kvm"));
}
