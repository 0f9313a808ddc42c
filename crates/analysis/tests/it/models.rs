//! The bundled model files: every one loads, their total size is bounded, and the bytes
//! round-trip.

use analysis::bundled;
use analysis::linear::LinearModel;

#[test]
fn every_bundled_model_loads_and_round_trips() {
    for b in bundled::MODELS {
        let m = LinearModel::from_bytes(b.bytes).unwrap_or_else(|e| panic!("{}: {e}", b.name));
        assert_eq!(m.meta.task, b.task.name(), "{}", b.name);
        assert_eq!(
            m.to_bytes(),
            b.bytes,
            "{} re-serialises to the same bytes",
            b.name
        );
        assert!(
            !m.meta.data.is_empty(),
            "{} records its training data",
            b.name
        );
    }
    assert!(
        bundled::total_bytes() < 50 * 1024 * 1024,
        "models total {} bytes",
        bundled::total_bytes()
    );
    // Every model of a language shares one feature configuration (one pass per message).
    for lang in [analysis::text::Lang::De, analysis::text::Lang::En] {
        let configs: Vec<_> = bundled::all()
            .into_iter()
            .filter(|(_, l, _)| *l == lang)
            .map(|(_, _, m)| m.feature_config())
            .collect();
        assert!(configs.windows(2).all(|w| w[0] == w[1]), "{lang:?}");
    }
}

#[test]
fn model_files_have_cards() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models"));
    for b in bundled::MODELS {
        let card = std::fs::read_to_string(dir.join(format!("{}.md", b.name)))
            .unwrap_or_else(|e| panic!("card of {}: {e}", b.name));
        assert!(
            card.contains("Licence"),
            "{} card names the licence",
            b.name
        );
    }
}
