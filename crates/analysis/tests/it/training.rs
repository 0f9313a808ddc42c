//! Training on real data subsets: same data and seed give the same bytes; cross-validation
//! and evaluation produce the documented report shape.

use analysis::evaluation;
use analysis::linear::{self, TrainConfig};
use analysis::task::Task;
use analysis::text::Lang;

fn germeval2018_subset(n: usize) -> Vec<linear::Example> {
    let msgs = ingest::corpus::read(
        ingest::corpus::CorpusFormat::Germeval2018,
        &crate::shared("germeval2018/germeval2018.training.txt"),
    )
    .unwrap();
    let mut ex = Task::Offense.examples(&msgs);
    ex.truncate(n);
    ex
}

fn small_config() -> TrainConfig {
    let mut cfg = Task::Offense.train_config(Lang::De);
    cfg.features.bits = 16;
    cfg
}

#[test]
fn same_data_and_seed_give_same_model_bytes() {
    let ex = germeval2018_subset(600);
    let a = linear::train("offense", &ex, &small_config()).to_bytes();
    let b = linear::train("offense", &ex, &small_config()).to_bytes();
    assert_eq!(a, b);
    let other_seed = TrainConfig {
        seed: 7,
        ..small_config()
    };
    let c = linear::train("offense", &ex, &other_seed).to_bytes();
    assert_ne!(a, c, "the seed matters");
}

#[test]
fn cross_validation_report_shape() {
    let ex = germeval2018_subset(800);
    let r = evaluation::cross_validate("offense", &ex, &[], 3, &small_config());
    assert_eq!(r.n, 800);
    assert_eq!(r.cv, 3);
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "task",
        "n",
        "micro_f1",
        "macro_f1",
        "per_class",
        "confusion",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    let offense = &json["per_class"]["OFFENSE"];
    for key in ["precision", "recall", "f1", "support"] {
        assert!(offense.get(key).is_some(), "per_class.OFFENSE.{key}");
    }
    let support: u64 = ["OFFENSE", "OTHER"]
        .iter()
        .map(|c| json["per_class"][c]["support"].as_u64().unwrap())
        .sum();
    assert_eq!(support, 800);
    // Better than chance on this subset.
    assert!(r.macro_f1 > 0.55, "macro-F1 {}", r.macro_f1);
}

#[test]
fn bundled_model_scores_germeval2018_sample() {
    let ex = germeval2018_subset(300);
    let m = analysis::bundled::model(Task::Offense, Lang::De, None).unwrap();
    let r = evaluation::evaluate("offense", &m, &ex);
    // Trained on these texts: near-perfect, which checks the model file matches its data.
    assert!(r.micro_f1 > 0.9, "{}", r.micro_f1);
}
