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

#[test]
fn heads_decide_sentiment_toxicity_and_fact_claims_the_rest_is_the_fast_path() {
    let Some(acc) = accurate() else { return };
    let fast = analysis::Analyzer::new();
    let texts = [
        "Danke an das freundliche Team im ICE, super Service heute!",
        "Schon wieder 40 Minuten Verspätung und kein Anschluss, eine Zumutung.",
        "Ihr seid doch alle komplett bescheuerte Vollidioten, haltet endlich die Fresse.",
        "Laut Statistischem Bundesamt sind 2019 über 20 Prozent der Fernzüge ausgefallen.",
        "The package arrived two weeks late and nobody got back to me.",
    ];
    let out = acc.analyze_batch(&texts).expect("analyses");
    use model::SentimentLabel::{Negative, Positive};
    assert_eq!(out[0].sentiment.label, Positive, "{:?}", out[0].sentiment);
    assert_eq!(out[1].sentiment.label, Negative, "{:?}", out[1].sentiment);
    assert!(out[2].toxicity > 0.5, "insult toxicity {}", out[2].toxicity);
    assert!(out[0].toxicity < 0.5, "thanks toxicity {}", out[0].toxicity);
    assert!(
        out[3].fact_claim > out[0].fact_claim,
        "statistic {} vs thanks {}",
        out[3].fact_claim,
        out[0].fact_claim
    );
    for (text, a) in texts.iter().zip(&out) {
        let f = fast.analyze(text);
        assert_eq!(a.language, f.language);
        assert_eq!(a.relevance, f.relevance, "no relevance head: fast path");
        assert_eq!(a.topics, f.topics);
        assert_eq!(a.churn, f.churn);
    }
    // English has a sentiment head only: toxicity and fact claims stay the fast path's.
    let en = fast.analyze(texts[4]);
    assert_eq!(out[4].sentiment.label, Negative, "{:?}", out[4].sentiment);
    assert_ne!(out[4].sentiment.confidence, en.sentiment.confidence);
    assert_eq!(out[4].toxicity, en.toxicity);
    assert_eq!(out[4].fact_claim, en.fact_claim);
}

/// On real comments (GermEval 2021; the heads were trained on this file, so this checks that
/// the heads are wired to the right inputs, not how well they generalise - BENCHMARKS.md has
/// the cross-validated figures).
#[test]
fn heads_agree_with_gold_labels_on_real_comments() {
    let Some(acc) = accurate() else { return };
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/germeval2021/GermEval21_TrainData.csv");
    let (msgs, _) = ingest::corpus::read_named("germeval2021", &path).expect("reads");
    let sample: Vec<_> = msgs.iter().take(120).collect();
    let texts: Vec<&str> = sample.iter().map(|m| m.text.as_str()).collect();
    let out = acc.analyze_batch(&texts).expect("analyses");
    let label = |m: &model::Message, key: &str| m.labels.get(key).cloned();
    let (mut right_tox, mut right_fact, mut n) = (0, 0, 0);
    for (m, a) in sample.iter().zip(&out) {
        let (Some(tox), Some(fact)) = (label(m, "toxicity"), label(m, "fact_claim")) else {
            continue;
        };
        n += 1;
        right_tox += usize::from((a.toxicity > 0.5) == (tox == "toxic"));
        right_fact += usize::from((a.fact_claim > 0.5) == (fact == "fact"));
    }
    assert!(n >= 100, "{n} labelled comments");
    let (tox, fact) = (right_tox as f64 / n as f64, right_fact as f64 / n as f64);
    assert!(
        tox >= 0.75 && fact >= 0.75,
        "toxicity {tox:.2}, fact {fact:.2}"
    );
}
