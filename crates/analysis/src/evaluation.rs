//! Scores of a classifier on labelled data: per-class precision/recall/F1, micro-F1 (as in the
//! GermEval 2017 official evaluation: over all (document, label) decisions, which for one label
//! per document equals accuracy), macro-F1 (mean over classes; for binary tasks over both
//! classes, as GermEval 2018/2021 report), confusion matrix; and stratified, seeded k-fold
//! cross-validation that trains a fresh model per fold.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::features::Features;
use crate::linear::{self, Example, LinearModel, TrainConfig};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassScore {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

/// The JSON `eval` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub task: String,
    pub n: usize,
    pub micro_f1: f64,
    pub macro_f1: f64,
    /// Share of documents whose predicted label set equals the gold set.
    pub accuracy: f64,
    pub per_class: BTreeMap<String, ClassScore>,
    /// gold -> predicted -> count (single-label); for multi-label gold `_none`/predicted
    /// `_none` count missed and spurious labels.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
    /// Folds of cross-validation, 0 for a fixed model.
    pub cv: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Scores predicted label sets against gold label sets.
pub fn score(task: &str, classes: &[String], gold: &[Vec<String>], pred: &[Vec<String>]) -> Report {
    let mut tp: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fp: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fnn: BTreeMap<&str, usize> = BTreeMap::new();
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut exact = 0;
    let mut all: Vec<&str> = classes.iter().map(String::as_str).collect();
    for g in gold.iter().flatten() {
        all.push(g);
    }
    all.sort();
    all.dedup();
    for (g, p) in gold.iter().zip(pred) {
        let mut gs: Vec<&str> = g.iter().map(String::as_str).collect();
        let mut ps: Vec<&str> = p.iter().map(String::as_str).collect();
        gs.sort();
        gs.dedup();
        ps.sort();
        ps.dedup();
        if gs == ps {
            exact += 1;
        }
        for &l in &gs {
            if ps.contains(&l) {
                *tp.entry(l).or_default() += 1;
            } else {
                *fnn.entry(l).or_default() += 1;
            }
        }
        for &l in &ps {
            if !gs.contains(&l) {
                *fp.entry(l).or_default() += 1;
            }
        }
        if gs.len() == 1 && ps.len() == 1 {
            *confusion
                .entry(gs[0].to_owned())
                .or_default()
                .entry(ps[0].to_owned())
                .or_default() += 1;
        } else {
            for &l in &gs {
                let to = if ps.contains(&l) { l } else { "_none" };
                *confusion
                    .entry(l.to_owned())
                    .or_default()
                    .entry(to.to_owned())
                    .or_default() += 1;
            }
            for &l in ps.iter().filter(|l| !gs.contains(l)) {
                *confusion
                    .entry("_none".into())
                    .or_default()
                    .entry(l.to_owned())
                    .or_default() += 1;
            }
        }
    }
    let f1 = |t: usize, p: usize, n: usize| -> (f64, f64, f64) {
        let pr = if t + p == 0 {
            0.0
        } else {
            t as f64 / (t + p) as f64
        };
        let re = if t + n == 0 {
            0.0
        } else {
            t as f64 / (t + n) as f64
        };
        let f = if pr + re == 0.0 {
            0.0
        } else {
            2.0 * pr * re / (pr + re)
        };
        (pr, re, f)
    };
    let mut per_class = BTreeMap::new();
    let (mut st, mut sp, mut sn) = (0, 0, 0);
    for &c in &all {
        let (t, p, n) = (
            tp.get(c).copied().unwrap_or(0),
            fp.get(c).copied().unwrap_or(0),
            fnn.get(c).copied().unwrap_or(0),
        );
        st += t;
        sp += p;
        sn += n;
        let (precision, recall, f) = f1(t, p, n);
        per_class.insert(
            c.to_owned(),
            ClassScore {
                precision,
                recall,
                f1: f,
                support: t + n,
            },
        );
    }
    let macro_f1 = if per_class.is_empty() {
        0.0
    } else {
        per_class.values().map(|s| s.f1).sum::<f64>() / per_class.len() as f64
    };
    Report {
        task: task.to_owned(),
        n: gold.len(),
        micro_f1: f1(st, sp, sn).2,
        macro_f1,
        accuracy: if gold.is_empty() {
            0.0
        } else {
            exact as f64 / gold.len() as f64
        },
        per_class,
        confusion,
        cv: 0,
        seed: None,
    }
}

/// Predicted label names of one example.
pub fn predict_labels(model: &LinearModel, x: &Features) -> Vec<String> {
    predict_labels_probs(model, &model.probabilities(x))
}

/// Predicted label names from a model's calibrated probabilities.
pub fn predict_labels_probs(model: &LinearModel, p: &[f32]) -> Vec<String> {
    model
        .decide(p)
        .into_iter()
        .map(|c| model.classes()[c].clone())
        .collect()
}

/// Scores `model` on `examples`.
pub fn evaluate(task: &str, model: &LinearModel, examples: &[Example]) -> Report {
    let feats = linear::featurize(examples, model.feature_config());
    let pred: Vec<Vec<String>> = feats.iter().map(|x| predict_labels(model, x)).collect();
    let gold: Vec<Vec<String>> = examples.iter().map(|e| e.labels.clone()).collect();
    score(task, model.classes(), &gold, &pred)
}

/// Stratified k-fold cross-validation: for each fold a fresh model is trained on the other
/// folds plus `extra` (train-only data, e.g. another corpus), and scored on the fold. The
/// predictions of all folds are pooled into one report.
pub fn cross_validate(
    task: &str,
    examples: &[Example],
    extra: &[Example],
    folds: u32,
    cfg: &TrainConfig,
) -> Report {
    let k = folds.max(2) as usize;
    let mut all_examples: Vec<Example> = examples.to_vec();
    all_examples.extend_from_slice(extra);
    let classes = linear::class_names(&all_examples);
    let feats = linear::featurize(&all_examples, cfg.features);
    let targets = linear::class_indices(examples, &classes);
    let assignment = linear::stratified_folds(&targets, classes.len(), k, cfg.seed);
    let mut pred: Vec<Vec<String>> = vec![Vec::new(); examples.len()];
    for f in 0..k {
        let train_idx: Vec<usize> = (0..all_examples.len())
            .filter(|&i| i >= examples.len() || assignment[i] != f)
            .collect();
        let tr_feats: Vec<Features> = train_idx.iter().map(|&i| feats[i].clone()).collect();
        let tr_ex: Vec<Example> = train_idx.iter().map(|&i| all_examples[i].clone()).collect();
        let model = linear::train_features(task, &tr_feats, &tr_ex, &classes, cfg);
        for i in (0..examples.len()).filter(|&i| assignment[i] == f) {
            pred[i] = predict_labels(&model, &feats[i]);
        }
    }
    let gold: Vec<Vec<String>> = examples.iter().map(|e| e.labels.clone()).collect();
    let mut report = score(task, &classes, &gold, &pred);
    report.cv = k as u32;
    report.seed = Some(cfg.seed);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn single_label_micro_is_accuracy() {
        let classes = v(&["a", "b"]);
        let gold = vec![v(&["a"]), v(&["a"]), v(&["b"]), v(&["b"])];
        let pred = vec![v(&["a"]), v(&["b"]), v(&["b"]), v(&["b"])];
        let r = score("t", &classes, &gold, &pred);
        assert!((r.micro_f1 - 0.75).abs() < 1e-9);
        assert!((r.per_class["a"].recall - 0.5).abs() < 1e-9);
        assert!((r.per_class["b"].precision - 2.0 / 3.0).abs() < 1e-9);
        let macro_f1 = (2.0 / 3.0 + 0.8) / 2.0;
        assert!((r.macro_f1 - macro_f1).abs() < 1e-9);
        assert_eq!(r.confusion["a"]["b"], 1);
    }

    #[test]
    fn multi_label_counts_pairs() {
        let classes = v(&["x", "y"]);
        let gold = vec![v(&["x", "y"]), v(&[])];
        let pred = vec![v(&["x"]), v(&["y"])];
        let r = score("t", &classes, &gold, &pred);
        // tp 1 (x), fn 1 (y), fp 1 (y on doc 2): P = R = 0.5.
        assert!((r.micro_f1 - 0.5).abs() < 1e-9);
        assert_eq!(r.accuracy, 0.0);
    }
}
