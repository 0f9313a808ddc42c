//! Linear text classifier: hashed features ([`crate::features`]), one-vs-rest L2-regularised
//! squared-hinge SVMs trained by dual coordinate descent (Hsieh et al. 2008, the liblinear
//! solver), class weights for imbalance, Platt-calibrated probabilities from internal
//! cross-validation. Deterministic: a seeded splitmix64 drives every shuffle, classes train on
//! scoped threads but each class's result depends only on its own data, and the file layout is
//! hand-written (no map ordering, no float formatting outside serde_json's exact shortest form).
//!
//! Written by hand rather than with linfa/smartcore: we need sparse hashed inputs of 2^20
//! dimensions, byte-identical output for a seed, and a compact quantised file; the solver is
//! ~60 lines.

use serde::{Deserialize, Serialize};

use crate::features::{FeatureConfig, Features, Featurizer};
use crate::text::Lang;

/// Magic bytes at the start of every model file.
pub const MAGIC: &[u8; 8] = b"KVLIN01\n";

/// How to weigh classes in the loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Every example counts the same.
    None,
    /// Weight `(n / (k * n_c))^power`: 1.0 is sklearn's "balanced", 0.5 a softer version.
    Balanced { power: f32 },
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub features: FeatureConfig,
    /// SVM cost C (inverse regularisation).
    pub c: f32,
    pub max_epochs: u32,
    pub seed: u64,
    pub class_weight: ClassWeight,
    /// More than one class per example (topics): each class is a yes/no decision.
    pub multi_label: bool,
    /// Folds of internal cross-validation for Platt calibration; 0 or 1 = a fixed sigmoid.
    pub calibration_folds: u32,
    /// What the decision rule is tuned for on the internal out-of-fold predictions.
    #[serde(default)]
    pub objective: Objective,
    /// Naive-Bayes log-count-ratio feature scaling (NBSVM, Wang & Manning 2012) with this
    /// smoothing; 0 = off. The ratios are folded into the stored weights (no inference cost).
    #[serde(default)]
    pub nb: f32,
    /// Least recall every class must reach on the internal out-of-fold predictions when the
    /// single-label decision rule (per-class prior multipliers) is tuned; the objective is
    /// maximised subject to it. 0 = no floor (e.g. 0.5: a rare positive class must be found
    /// at least half the time, at some cost in micro-F1).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub recall_floor: f32,
}

fn is_zero(v: &f32) -> bool {
    *v == 0.0
}

/// The score the decision rule (per-class multipliers, or the multi-label threshold) is
/// tuned for on internal cross-validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Objective {
    /// Micro-F1 (accuracy for single-label): GermEval 2017.
    #[default]
    Micro,
    /// Macro-F1 over classes: GermEval 2018/2021 binary tasks.
    Macro,
    /// Plain calibrated argmax / p >= 0.5, nothing tuned.
    None,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            features: FeatureConfig::default(),
            c: 0.5,
            max_epochs: 40,
            seed: 42,
            class_weight: ClassWeight::Balanced { power: 0.5 },
            multi_label: false,
            calibration_folds: 3,
            objective: Objective::Micro,
            nb: 0.0,
            recall_floor: 0.0,
        }
    }
}

/// One labelled text.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub lang: Lang,
    /// Class names (exactly one unless multi-label; may be empty for multi-label).
    pub labels: Vec<String>,
    /// Weight in the loss (1.0; lower for out-of-domain extra data).
    pub weight: f32,
}

/// Everything about a model except its weights; stored as JSON in the file header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub task: String,
    pub classes: Vec<String>,
    pub multi_label: bool,
    pub train: TrainConfig,
    /// Training set size.
    pub n: usize,
    /// Free text: what data it was trained on.
    #[serde(default)]
    pub data: String,
    pub bias: Vec<f32>,
    /// Platt sigmoid per class: `p = 1 / (1 + exp(a * score + b))`.
    pub platt: Vec<(f32, f32)>,
    /// Decision rule: per-class multipliers of the probabilities (single-label), or
    /// `[threshold]` (multi-label). Empty = argmax / 0.5.
    #[serde(default)]
    pub decision: Vec<f32>,
    /// Scale of the i16 quantised weights.
    pub scale: f32,
}

/// A trained model: CSR rows by feature bucket, each with `(class, weight)` entries.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    pub meta: ModelMeta,
    offsets: Vec<u32>,
    classes: Vec<u16>,
    weights: Vec<f32>,
}

/// Why a model file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not a Kundenversteher model file (bad magic)")]
    Magic,
    #[error("model file is truncated or corrupt: {0}")]
    Corrupt(&'static str),
    #[error("no such bundled model")]
    Missing,
    #[error("model header: {0}")]
    Header(#[from] serde_json::Error),
}

/// splitmix64: a tiny, version-stable PRNG so seeds give the same models forever.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Feature vectors of a training set in one CSR block.
#[derive(Debug, Default)]
pub struct Matrix {
    /// Per-row loss weight (empty = all 1).
    pub weights: Vec<f32>,
    offsets: Vec<usize>,
    idx: Vec<u32>,
    val: Vec<f32>,
}

impl Matrix {
    pub fn from_features(rows: &[Features]) -> Matrix {
        let mut m = Matrix {
            offsets: vec![0],
            ..Matrix::default()
        };
        for r in rows {
            m.idx.extend_from_slice(&r.idx);
            m.val.extend_from_slice(&r.val);
            m.offsets.push(m.idx.len());
        }
        m
    }

    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        (&self.idx[a..b], &self.val[a..b])
    }
}

/// Computes features for all examples with `config`.
pub fn featurize(examples: &[Example], config: FeatureConfig) -> Vec<Features> {
    let f = Featurizer::new(config);
    examples
        .iter()
        .map(|e| f.features(&e.text, e.lang))
        .collect()
}

/// Class names in first-seen order would depend on data order; we sort them.
pub fn class_names(examples: &[Example]) -> Vec<String> {
    let mut c: Vec<String> = examples
        .iter()
        .flat_map(|e| e.labels.iter().cloned())
        .collect();
    c.sort();
    c.dedup();
    c
}

/// Each example's labels as indices into `classes` (sorted, as from [`class_names`]); labels
/// not in `classes` are left out.
pub fn class_indices(examples: &[Example], classes: &[String]) -> Vec<Vec<usize>> {
    examples
        .iter()
        .map(|e| {
            e.labels
                .iter()
                .filter_map(|l| classes.binary_search(l).ok())
                .collect()
        })
        .collect()
}

/// Trains a model on `examples` (features computed here).
pub fn train(task: &str, examples: &[Example], cfg: &TrainConfig) -> LinearModel {
    let feats = featurize(examples, cfg.features);
    let classes = class_names(examples);
    train_features(task, &feats, examples, &classes, cfg)
}

/// Trains on precomputed features (cross-validation reuses them across folds).
pub fn train_features(
    task: &str,
    feats: &[Features],
    examples: &[Example],
    classes: &[String],
    cfg: &TrainConfig,
) -> LinearModel {
    train_features_oof(task, feats, examples, classes, cfg).0
}

/// [`train_features`], also returning the calibrated out-of-fold probabilities of the
/// training rows from the internal calibration folds (empty without calibration folds):
/// the inputs a stacked model is trained on.
pub fn train_features_oof(
    task: &str,
    feats: &[Features],
    examples: &[Example],
    classes: &[String],
    cfg: &TrainConfig,
) -> (LinearModel, Vec<Vec<f32>>) {
    // A multi-label task whose data has exactly one label everywhere (BANKING77 intents,
    // airline reasons) is trained as single-label: argmax beats independent thresholds.
    let cfg = &TrainConfig {
        multi_label: cfg.multi_label && examples.iter().any(|e| e.labels.len() != 1),
        ..*cfg
    };
    let targets = targets(examples, classes);
    let mut x = Matrix::from_features(feats);
    x.weights = examples.iter().map(|e| e.weight).collect();
    let all: Vec<usize> = (0..x.rows()).collect();
    let dim = 1usize << cfg.features.bits;
    let svms = train_svms(&x, &targets, &all, classes.len(), dim, cfg);

    // Platt calibration from out-of-fold scores.
    let k = classes.len();
    let folds = cfg.calibration_folds as usize;
    let (platt, decision, oof) = if folds >= 2 && x.rows() >= folds * 4 {
        let assignment = stratified_folds(&targets, k, folds, cfg.seed ^ 0xCA1B);
        let mut oof = vec![vec![0f32; k]; x.rows()];
        for f in 0..folds {
            let tr: Vec<usize> = (0..x.rows()).filter(|&i| assignment[i] != f).collect();
            let te: Vec<usize> = (0..x.rows()).filter(|&i| assignment[i] == f).collect();
            let m = train_svms(&x, &targets, &tr, k, dim, cfg);
            for &i in &te {
                let (idx, val) = x.row(i);
                for (c, (w, b)) in m.iter().enumerate() {
                    oof[i][c] = dot(w, idx, val) + b;
                }
            }
        }
        let platt: Vec<(f32, f32)> = (0..k)
            .map(|c| {
                let s: Vec<f32> = oof.iter().map(|r| r[c]).collect();
                let y: Vec<bool> = targets.iter().map(|t| t.contains(&c)).collect();
                fit_platt(&s, &y)
            })
            .collect();
        for r in &mut oof {
            calibrate_with(&platt, cfg.multi_label, r);
        }
        let decision = tune_decision(&oof, &targets, k, cfg);
        (platt, decision, oof)
    } else {
        (vec![(-2.0, 0.0); k], Vec::new(), Vec::new())
    };

    // Sparse CSR by row, then quantise to i16 so the in-memory model equals the loaded one.
    let mut rows: Vec<Vec<(u16, f32)>> = vec![Vec::new(); dim];
    let mut max_abs = 0f32;
    for (c, (w, _)) in svms.iter().enumerate() {
        for (r, &v) in w.iter().enumerate() {
            if v != 0.0 {
                rows[r].push((c as u16, v));
                max_abs = max_abs.max(v.abs());
            }
        }
    }
    let scale = if max_abs > 0.0 {
        max_abs / 32767.0
    } else {
        1.0
    };
    let mut model = LinearModel {
        meta: ModelMeta {
            task: task.to_owned(),
            classes: classes.to_vec(),
            multi_label: cfg.multi_label,
            train: *cfg,
            n: examples.len(),
            data: String::new(),
            bias: svms.iter().map(|(_, b)| *b).collect(),
            platt,
            decision,
            scale,
        },
        offsets: Vec::with_capacity(dim + 1),
        classes: Vec::new(),
        weights: Vec::new(),
    };
    model.offsets.push(0);
    for r in rows {
        for (c, v) in r {
            let q = (v / scale).round().clamp(-32767.0, 32767.0) as i16;
            if q != 0 {
                model.classes.push(c);
                model.weights.push(q as f32 * scale);
            }
        }
        model.offsets.push(model.classes.len() as u32);
    }
    (model, oof)
}

/// [`class_indices`], each sorted and without repeats.
fn targets(examples: &[Example], classes: &[String]) -> Vec<Vec<usize>> {
    let mut all = class_indices(examples, classes);
    for t in &mut all {
        t.sort_unstable();
        t.dedup();
    }
    all
}

/// Assigns each example to one of `k` folds, stratified by its first label, seeded.
pub fn stratified_folds(targets: &[Vec<usize>], classes: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix(seed);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes + 1];
    for (i, t) in targets.iter().enumerate() {
        by_class[t.first().copied().unwrap_or(classes)].push(i);
    }
    let mut fold = vec![0; targets.len()];
    let mut next = 0;
    for members in &mut by_class {
        rng.shuffle(members);
        for &i in members.iter() {
            fold[i] = next % k;
            next += 1;
        }
    }
    fold
}

fn dot(w: &[f32], idx: &[u32], val: &[f32]) -> f32 {
    idx.iter().zip(val).map(|(&i, &v)| w[i as usize] * v).sum()
}

/// One-vs-rest SVMs on the rows `subset`; returns dense weights and bias per class.
fn train_svms(
    x: &Matrix,
    targets: &[Vec<usize>],
    subset: &[usize],
    k: usize,
    dim: usize,
    cfg: &TrainConfig,
) -> Vec<(Vec<f32>, f32)> {
    // Binary problems need one SVM only when single-label: class 1 = +, class 0 = its negation.
    let binary = k == 2 && !cfg.multi_label;
    let to_train: Vec<usize> = if binary { vec![1] } else { (0..k).collect() };
    let counts: Vec<usize> = (0..k)
        .map(|c| subset.iter().filter(|&&i| targets[i].contains(&c)).count())
        .collect();
    let n = subset.len().max(1) as f32;
    let results: Vec<(usize, (Vec<f32>, f32))> = std::thread::scope(|s| {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(to_train.len())
            .max(1);
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let to_train = &to_train;
                let counts = &counts;
                s.spawn(move || {
                    to_train
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| j % threads == t)
                        .map(|(_, &c)| {
                            let (wp, wn) = match cfg.class_weight {
                                ClassWeight::None => (1.0, 1.0),
                                ClassWeight::Balanced { power } => {
                                    let pos = counts[c].max(1) as f32;
                                    let neg = (n - pos).max(1.0);
                                    // Two-sided balance for yes/no decisions.
                                    ((n / (2.0 * pos)).powf(power), (n / (2.0 * neg)).powf(power))
                                }
                            };
                            let y: Vec<f32> = subset
                                .iter()
                                .map(|&i| if targets[i].contains(&c) { 1.0 } else { -1.0 })
                                .collect();
                            let seed = cfg.seed.wrapping_add(c as u64 * 7919);
                            (
                                c,
                                dcd(
                                    x,
                                    subset,
                                    &y,
                                    cfg.c * wp,
                                    cfg.c * wn,
                                    dim,
                                    cfg.max_epochs,
                                    seed,
                                    cfg.nb,
                                ),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut out: Vec<(Vec<f32>, f32)> = vec![(Vec::new(), 0.0); k];
    for (c, r) in results {
        out[c] = r;
    }
    if binary {
        let (w, b) = out[1].clone();
        out[0] = (w.iter().map(|v| -v).collect(), -b);
    }
    out
}

/// Dual coordinate descent for the L2-loss (squared hinge) linear SVM with a bias feature.
#[allow(clippy::too_many_arguments)]
fn dcd(
    x: &Matrix,
    subset: &[usize],
    y: &[f32],
    c_pos: f32,
    c_neg: f32,
    dim: usize,
    max_epochs: u32,
    seed: u64,
    nb: f32,
) -> (Vec<f32>, f32) {
    // NB ratios r (1.0 everywhere when off); training sees x * r.
    let mut r = vec![1f32; if nb > 0.0 { dim } else { 0 }];
    if nb > 0.0 {
        let mut p = vec![0f32; dim];
        let mut q = vec![0f32; dim];
        for (&i, &yi) in subset.iter().zip(y) {
            let (idx, val) = x.row(i);
            let t = if yi > 0.0 { &mut p } else { &mut q };
            for (&j, &v) in idx.iter().zip(val) {
                t[j as usize] += v;
            }
        }
        let seen = |j: usize| p[j] != 0.0 || q[j] != 0.0;
        let (mut sp, mut sq) = (0f64, 0f64);
        for j in (0..dim).filter(|&j| seen(j)) {
            sp += (p[j] + nb) as f64;
            sq += (q[j] + nb) as f64;
        }
        for j in (0..dim).filter(|&j| seen(j)) {
            let ratio = ((p[j] + nb) as f64 / sp) / ((q[j] + nb) as f64 / sq);
            // Magnitude matters, sign is learnt by the SVM.
            r[j] = (ratio.ln().abs() as f32).max(0.05);
        }
    }
    let rr = |j: u32| if r.is_empty() { 1.0 } else { r[j as usize] };
    let mut w = vec![0f32; dim];
    let mut b = 0f32;
    let l = subset.len();
    let mut alpha = vec![0f32; l];
    let diag: Vec<f32> = y
        .iter()
        .zip(subset)
        .map(|(&yi, &i)| {
            let w = x.weights.get(i).copied().unwrap_or(1.0).max(1e-3);
            0.5 / (w * if yi > 0.0 { c_pos } else { c_neg })
        })
        .collect();
    let qd: Vec<f32> = subset
        .iter()
        .zip(&diag)
        .map(|(&i, d)| {
            let (idx, val) = x.row(i);
            idx.iter()
                .zip(val)
                .map(|(&j, v)| (v * rr(j)).powi(2))
                .sum::<f32>()
                + 1.0
                + d
        })
        .collect();
    let mut order: Vec<usize> = (0..l).collect();
    let mut rng = SplitMix(seed);
    for _ in 0..max_epochs {
        rng.shuffle(&mut order);
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        for &j in &order {
            let (idx, val) = x.row(subset[j]);
            let yi = y[j];
            let wx: f32 = idx
                .iter()
                .zip(val)
                .map(|(&i, &v)| w[i as usize] * v * rr(i))
                .sum();
            let g = yi * (wx + b) - 1.0 + alpha[j] * diag[j];
            let pg = if alpha[j] == 0.0 { g.min(0.0) } else { g };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[j];
                alpha[j] = (old - g / qd[j]).max(0.0);
                let d = (alpha[j] - old) * yi;
                for (&i, &v) in idx.iter().zip(val) {
                    w[i as usize] += d * v * rr(i);
                }
                b += d;
            }
        }
        if pg_max - pg_min < 0.05 {
            break;
        }
    }
    if !r.is_empty() {
        for (wj, rj) in w.iter_mut().zip(&r) {
            *wj *= rj;
        }
    }
    (w, b)
}

/// Platt scaling by Newton's method with Platt's target smoothing (Lin, Lin & Weng 2007).
fn fit_platt(scores: &[f32], y: &[bool]) -> (f32, f32) {
    let prior1 = y.iter().filter(|&&v| v).count() as f64;
    let prior0 = y.len() as f64 - prior1;
    let hi = (prior1 + 1.0) / (prior1 + 2.0);
    let lo = 1.0 / (prior0 + 2.0);
    let t: Vec<f64> = y.iter().map(|&v| if v { hi } else { lo }).collect();
    let (mut a, mut b) = (0f64, ((prior0 + 1.0) / (prior1 + 1.0)).ln());
    let sigma = 1e-12;
    let fval = |a: f64, b: f64| -> f64 {
        scores
            .iter()
            .zip(&t)
            .map(|(&s, &ti)| {
                let f = s as f64 * a + b;
                if f >= 0.0 {
                    ti * f + (1.0 + (-f).exp()).ln()
                } else {
                    (ti - 1.0) * f + (1.0 + f.exp()).ln()
                }
            })
            .sum()
    };
    let mut fv = fval(a, b);
    for _ in 0..100 {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (sigma, sigma, 0.0, 0.0, 0.0);
        for (&s, &ti) in scores.iter().zip(&t) {
            let s = s as f64;
            let f = s * a + b;
            let (p, q) = if f >= 0.0 {
                let e = (-f).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = f.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += s * s * d2;
            h22 += d2;
            h21 += s * d2;
            let d1 = ti - p;
            g1 += s * d1;
            g2 += d1;
        }
        if g1.abs() < 1e-5 && g2.abs() < 1e-5 {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        let mut moved = false;
        while step >= 1e-10 {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = fval(na, nb);
            if nf < fv + 1e-4 * step * gd {
                a = na;
                b = nb;
                fv = nf;
                moved = true;
                break;
            }
            step /= 2.0;
        }
        if !moved {
            break;
        }
    }
    (a as f32, b as f32)
}

pub fn calibrate_with(platt: &[(f32, f32)], multi_label: bool, s: &mut [f32]) {
    for (v, p) in s.iter_mut().zip(platt) {
        *v = sigmoid_platt(*v, *p);
    }
    if !multi_label {
        let sum: f32 = s.iter().sum();
        if sum > 0.0 {
            for v in s.iter_mut() {
                *v /= sum;
            }
        }
    }
}

pub fn decide_with(decision: &[f32], multi_label: bool, probs: &[f32]) -> Vec<usize> {
    if multi_label {
        let t = decision.first().copied().unwrap_or(0.5);
        (0..probs.len()).filter(|&c| probs[c] >= t).collect()
    } else {
        let m = |c: usize| probs[c] * decision.get(c).copied().unwrap_or(1.0);
        let best = (0..probs.len())
            .max_by(|&a, &b| m(a).total_cmp(&m(b)).then(b.cmp(&a)))
            .unwrap_or(0);
        vec![best]
    }
}

/// Micro- or macro-F1 of decisions against targets (class indices).
fn objective_score(
    pred: &[Vec<usize>],
    targets: &[Vec<usize>],
    k: usize,
    objective: Objective,
    recall_floor: f32,
) -> f64 {
    let (mut tp, mut fp, mut fnn) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
    for (p, t) in pred.iter().zip(targets) {
        for &c in p {
            if t.contains(&c) {
                tp[c] += 1;
            } else {
                fp[c] += 1;
            }
        }
        for &c in t {
            if !p.contains(&c) {
                fnn[c] += 1;
            }
        }
    }
    let f1 = |t: usize, p: usize, n: usize| {
        if t == 0 {
            0.0
        } else {
            2.0 * t as f64 / (2 * t + p + n) as f64
        }
    };
    let score = match objective {
        Objective::Macro => (0..k).map(|c| f1(tp[c], fp[c], fnn[c])).sum::<f64>() / k as f64,
        _ => f1(tp.iter().sum(), fp.iter().sum(), fnn.iter().sum()),
    };
    // A recall floor as a penalty that dominates any gain in the objective.
    let shortfall: f64 = (0..k)
        .filter(|&c| tp[c] + fnn[c] > 0)
        .map(|c| (recall_floor as f64 - tp[c] as f64 / (tp[c] + fnn[c]) as f64).max(0.0))
        .sum();
    score - 10.0 * shortfall
}

/// Tunes the decision rule on out-of-fold probabilities (coordinate ascent, fixed grid).
fn tune_decision(
    oof: &[Vec<f32>],
    targets: &[Vec<usize>],
    k: usize,
    cfg: &TrainConfig,
) -> Vec<f32> {
    if cfg.objective == Objective::None || (!cfg.multi_label && k > 12) {
        return Vec::new();
    }
    let eval = |d: &[f32]| {
        let pred: Vec<Vec<usize>> = oof
            .iter()
            .map(|p| decide_with(d, cfg.multi_label, p))
            .collect();
        objective_score(&pred, targets, k, cfg.objective, cfg.recall_floor)
    };
    if cfg.multi_label {
        let mut best = (eval(&[0.5]), 0.5f32);
        for step in 1..50 {
            let t = step as f32 * 0.02;
            let s = eval(&[t]);
            if s > best.0 + 1e-9 {
                best = (s, t);
            }
        }
        return vec![best.1];
    }
    let mut d = vec![1.0f32; k];
    let mut best = eval(&d);
    // Multipliers e^-1.5..e^1.5; with a recall floor up to e^3 (a rare class may need more).
    let reach = if cfg.recall_floor > 0.0 { 30 } else { 15 };
    for _round in 0..2 {
        for c in 0..k {
            let keep = d[c];
            let mut best_m = keep;
            for step in -reach..=reach {
                d[c] = (step as f32 * 0.1).exp();
                let s = eval(&d);
                if s > best + 1e-9 {
                    best = s;
                    best_m = d[c];
                }
            }
            d[c] = best_m;
        }
    }
    d
}

fn sigmoid_platt(s: f32, (a, b): (f32, f32)) -> f32 {
    let f = a * s + b;
    if f >= 0.0 {
        let e = (-f).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + f.exp())
    }
}

impl LinearModel {
    pub fn classes(&self) -> &[String] {
        &self.meta.classes
    }

    pub fn feature_config(&self) -> FeatureConfig {
        self.meta.train.features
    }

    /// Raw decision values (one per class) for features made with [`Self::feature_config`].
    pub fn scores_into(&self, x: &Features, out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.meta.bias);
        let mask = self.offsets.len() - 2;
        for (i, v) in x.iter() {
            let r = i as usize & mask;
            let (a, b) = (self.offsets[r] as usize, self.offsets[r + 1] as usize);
            for e in a..b {
                out[self.classes[e] as usize] += self.weights[e] * v;
            }
        }
    }

    /// Calibrated probabilities per class: independent for multi-label, normalised to sum 1
    /// for single-label.
    pub fn probabilities(&self, x: &Features) -> Vec<f32> {
        let mut s = Vec::new();
        self.scores_into(x, &mut s);
        self.calibrate(&mut s);
        s
    }

    /// Turns raw scores into probabilities in place.
    pub fn calibrate(&self, s: &mut [f32]) {
        calibrate_with(&self.meta.platt, self.meta.multi_label, s);
    }

    /// Predicted class indices: argmax for single-label; every class with p >= 0.5 for
    /// multi-label (none when nothing reaches it).
    pub fn decide(&self, probs: &[f32]) -> Vec<usize> {
        decide_with(&self.meta.decision, self.meta.multi_label, probs)
    }

    /// Convenience: features + probabilities for one text.
    pub fn predict_text(&self, featurizer: &Featurizer, text: &str, lang: Lang) -> Vec<f32> {
        let x = featurizer.features(text, lang);
        self.probabilities(&x)
    }

    /// Number of stored weights.
    pub fn nonzeros(&self) -> usize {
        self.weights.len()
    }

    /// The model file: magic, header length (u32 LE), JSON header, then per non-empty row:
    /// varint row delta, varint entry count, entries as (varint class, i16 LE weight).
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.meta).unwrap_or_default();
        let mut out = Vec::with_capacity(header.len() + self.weights.len() * 3 + 64);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        let rows = self.offsets.len() - 1;
        put_varint(&mut out, rows as u64);
        let mut last = 0usize;
        for r in 0..rows {
            let (a, b) = (self.offsets[r] as usize, self.offsets[r + 1] as usize);
            if a == b {
                continue;
            }
            put_varint(&mut out, (r - last) as u64);
            last = r;
            put_varint(&mut out, (b - a) as u64);
            for e in a..b {
                put_varint(&mut out, self.classes[e] as u64);
                let q = (self.weights[e] / self.meta.scale).round() as i16;
                out.extend_from_slice(&q.to_le_bytes());
            }
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<LinearModel, ModelError> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(ModelError::Magic);
        }
        let hlen = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let header = bytes
            .get(12..12 + hlen)
            .ok_or(ModelError::Corrupt("header"))?;
        let meta: ModelMeta = serde_json::from_slice(header)?;
        let mut pos = 12 + hlen;
        let rows = get_varint(bytes, &mut pos)? as usize;
        if rows != 1usize << meta.train.features.bits {
            return Err(ModelError::Corrupt("row count"));
        }
        let k = meta.classes.len();
        let mut offsets = Vec::with_capacity(rows + 1);
        let mut classes = Vec::new();
        let mut weights = Vec::new();
        offsets.push(0u32);
        let mut prev: Option<usize> = None;
        while pos < bytes.len() {
            let delta = get_varint(bytes, &mut pos)? as usize;
            let row = match prev {
                None => delta,
                Some(_) if delta == 0 => return Err(ModelError::Corrupt("row order")),
                Some(p) => p + delta,
            };
            if row >= rows {
                return Err(ModelError::Corrupt("row index"));
            }
            prev = Some(row);
            while offsets.len() <= row {
                offsets.push(classes.len() as u32);
            }
            let n = get_varint(bytes, &mut pos)? as usize;
            for _ in 0..n {
                let c = get_varint(bytes, &mut pos)? as usize;
                if c >= k {
                    return Err(ModelError::Corrupt("class index"));
                }
                let q = bytes
                    .get(pos..pos + 2)
                    .ok_or(ModelError::Corrupt("weights"))?;
                pos += 2;
                classes.push(c as u16);
                weights.push(i16::from_le_bytes([q[0], q[1]]) as f32 * meta.scale);
            }
        }
        while offsets.len() <= rows {
            offsets.push(classes.len() as u32);
        }
        if meta.bias.len() != k || meta.platt.len() != k {
            return Err(ModelError::Corrupt("bias/calibration length"));
        }
        Ok(LinearModel {
            meta,
            offsets,
            classes,
            weights,
        })
    }

    /// For a model trained on inputs `z[j] = (x[j] - shift[j]) * scale[j]` (dense inputs,
    /// standardised): rewrites weights and biases so the model takes `x` itself, and
    /// re-quantises (the in-memory model stays equal to the one its bytes load into).
    pub fn fold_input_affine(&mut self, shift: &[f32], scale: &[f32]) {
        let rows = self.offsets.len() - 1;
        let mut max_abs = 0f32;
        for r in 0..rows {
            let (a, b) = (self.offsets[r] as usize, self.offsets[r + 1] as usize);
            let (m, f) = (
                shift.get(r).copied().unwrap_or(0.0),
                scale.get(r).copied().unwrap_or(1.0),
            );
            for e in a..b {
                let w = self.weights[e] * f;
                self.meta.bias[self.classes[e] as usize] -= w * m;
                self.weights[e] = w;
                max_abs = max_abs.max(w.abs());
            }
        }
        let scale = if max_abs > 0.0 {
            max_abs / 32767.0
        } else {
            1.0
        };
        self.meta.scale = scale;
        for w in &mut self.weights {
            *w = (*w / scale).round().clamp(-32767.0, 32767.0) * scale;
        }
    }

    /// Rows as `(feature bucket, class, weight)` triples, for merging models into a bank.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u16, f32)> + '_ {
        (0..self.offsets.len() - 1).flat_map(move |r| {
            (self.offsets[r] as usize..self.offsets[r + 1] as usize)
                .map(move |e| (r as u32, self.classes[e], self.weights[e]))
        })
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u64, ModelError> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*pos).ok_or(ModelError::Corrupt("varint"))?;
        *pos += 1;
        v |= ((b & 0x7F) as u64) << shift;
        if b < 0x80 {
            return Ok(v);
        }
        shift += 7;
        if shift > 63 {
            return Err(ModelError::Corrupt("varint"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Vec<Example> {
        let pos = [
            "super toll danke",
            "sehr gut, danke!",
            "toll gemacht",
            "klasse service",
        ];
        let neg = [
            "schon wieder zu spät",
            "zug fällt aus",
            "mies und spät",
            "ärgerlich, verspätung",
        ];
        let mut v = Vec::new();
        for _ in 0..3 {
            for t in pos {
                v.push(Example {
                    text: t.into(),
                    lang: Lang::De,
                    labels: vec!["pos".into()],
                    weight: 1.0,
                });
            }
            for t in neg {
                v.push(Example {
                    text: t.into(),
                    lang: Lang::De,
                    labels: vec!["neg".into()],
                    weight: 1.0,
                });
            }
        }
        v
    }

    fn small() -> TrainConfig {
        TrainConfig {
            features: FeatureConfig {
                bits: 16,
                ..FeatureConfig::default()
            },
            ..TrainConfig::default()
        }
    }

    #[test]
    fn learns_and_round_trips() {
        let m = train("sentiment", &toy(), &small());
        let f = Featurizer::new(m.feature_config());
        let p = m.predict_text(&f, "wieder spät", Lang::De);
        assert_eq!(m.classes()[m.decide(&p)[0]], "neg");
        let bytes = m.to_bytes();
        let back = LinearModel::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn same_seed_same_bytes() {
        let a = train("s", &toy(), &small()).to_bytes();
        let b = train("s", &toy(), &small()).to_bytes();
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_garbage() {
        assert!(matches!(
            LinearModel::from_bytes(b"hello world!"),
            Err(ModelError::Magic)
        ));
        let mut bytes = train("s", &toy(), &small()).to_bytes();
        bytes.truncate(bytes.len() - 1);
        assert!(LinearModel::from_bytes(&bytes).is_err());
    }
}
