//! Linear heads over dense inputs: a sentence embedding, optionally stacked with the sparse
//! model's class probabilities. The head is an ordinary [`LinearModel`] (same solver, Platt
//! calibration and tuned decision rule, same file format) whose "feature buckets" are the
//! input dimensions: the embedding at `0..dim`, the sparse model's probability of class `c`
//! at [`STACK_OFFSET`]` + c`. Inputs are standardised per dimension on the training data and
//! the standardisation is folded into the stored weights, so the head reads raw inputs.
//! The embeddings themselves come from outside (crate `embed`): this module stays pure.

use crate::evaluation::{self, Report, predict_labels_probs};
use crate::features::{Features, Featurizer};
use crate::linear::{self, Example, LinearModel, TrainConfig};
use crate::task::Task;
use crate::text::Lang;

/// Input buckets of a head: 2^11.
pub const HEAD_BITS: u8 = 11;
/// Where the sparse model's probabilities start in a stacked head's input.
pub const STACK_OFFSET: usize = 1024;

/// What a head reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HeadInput {
    /// The sentence embedding only.
    Embedding,
    /// The embedding plus the sparse model's calibrated probabilities, each weighted by
    /// `weight` after standardisation (how much the head trusts the sparse model a priori).
    Stacked { weight: f32 },
}

/// The head recipe of a task, chosen by 5-fold cross-validation on the shared data
/// (BENCHMARKS.md, "Understanding": sentence-embedding heads).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadRecipe {
    /// SVM cost of the head.
    pub c: f32,
    /// What the head reads.
    pub input: HeadInput,
    /// Bundled models of other tasks whose probabilities are appended to the embedding
    /// (trained on other data sets, e.g. GermEval 2018 offense for GermEval 2021 toxicity).
    pub auxiliary: &'static [Task],
}

impl HeadRecipe {
    pub fn for_task(task: Task) -> HeadRecipe {
        let stacked = |weight| HeadInput::Stacked { weight };
        match task {
            Task::Sentiment => HeadRecipe {
                c: 0.1,
                input: stacked(2.0),
                auxiliary: &[],
            },
            Task::Toxicity => HeadRecipe {
                c: 0.1,
                input: stacked(1.0),
                auxiliary: &[Task::Offense],
            },
            Task::FactClaim => HeadRecipe {
                c: 0.03,
                input: stacked(3.0),
                auxiliary: &[],
            },
            _ => HeadRecipe {
                c: 0.1,
                input: stacked(1.0),
                auxiliary: &[],
            },
        }
    }
}

/// The bundled models of a head's auxiliary tasks, loaded once.
#[derive(Debug, Default)]
pub struct Auxiliary {
    models: Vec<(LinearModel, Featurizer)>,
}

impl Auxiliary {
    /// The bundled `lang` models of `tasks` (a task without a bundled model is skipped,
    /// so training and analysis agree on what is appended).
    pub fn bundled(tasks: &[Task], lang: Lang) -> Auxiliary {
        let models = tasks
            .iter()
            .filter_map(|&t| crate::bundled::model(t, lang, None).ok())
            .map(|m| {
                let f = Featurizer::new(m.feature_config());
                (m, f)
            })
            .collect();
        Auxiliary { models }
    }

    /// Appends each auxiliary model's class probabilities for `text` to `dense`.
    pub fn extend(&self, dense: &mut Vec<f32>, text: &str, lang: Lang) {
        for (m, f) in &self.models {
            dense.extend(m.predict_text(f, text, lang));
        }
    }
}

/// The head's raw input vector as sparse features: embedding dims, then probabilities.
pub fn head_input(emb: &[f32], sparse_probs: Option<&[f32]>) -> Features {
    let mut f = Features::default();
    for (i, &v) in emb.iter().enumerate().take(STACK_OFFSET) {
        f.idx.push(i as u32);
        f.val.push(v);
    }
    for (c, &p) in sparse_probs.unwrap_or(&[]).iter().enumerate() {
        f.idx.push((STACK_OFFSET + c) as u32);
        f.val.push(p);
    }
    f
}

/// The training recipe of a head for a task: the task's sparse recipe (objective, class
/// weights, calibration) with dense inputs (no NB scaling) and `c`.
pub fn head_config(sparse: &TrainConfig, c: f32) -> TrainConfig {
    let mut cfg = *sparse;
    cfg.features.bits = HEAD_BITS;
    cfg.nb = 0.0;
    cfg.c = c;
    cfg
}

/// Trains a head on raw inputs (from [`head_input`]); `input` decides the weight of the
/// stacked probabilities.
pub fn train_head(
    task: &str,
    inputs: &[Features],
    examples: &[Example],
    classes: &[String],
    input: HeadInput,
    cfg: &TrainConfig,
) -> LinearModel {
    let dim = 1usize << HEAD_BITS;
    let n = inputs.len().max(1) as f64;
    let (mut sum, mut sq) = (vec![0f64; dim], vec![0f64; dim]);
    let mut used = vec![false; dim];
    for x in inputs {
        for (i, v) in x.iter() {
            sum[i as usize] += v as f64;
            sq[i as usize] += (v as f64) * (v as f64);
            used[i as usize] = true;
        }
    }
    let dims = used.iter().filter(|&&u| u).count().max(1) as f64;
    let mut shift = vec![0f32; dim];
    let mut scale = vec![0f32; dim];
    for j in (0..dim).filter(|&j| used[j]) {
        let mean = sum[j] / n;
        let var = (sq[j] / n - mean * mean).max(0.0);
        // z-scores divided by sqrt(dims): inputs of norm about 1, as the sparse features.
        let mut f = 1.0 / (var.sqrt().max(1e-6) * dims.sqrt());
        if j >= STACK_OFFSET
            && let HeadInput::Stacked { weight } = input
        {
            f *= weight as f64;
        }
        shift[j] = mean as f32;
        scale[j] = f as f32;
    }
    let z: Vec<Features> = inputs
        .iter()
        .map(|x| Features {
            idx: x.idx.clone(),
            val: x
                .iter()
                .map(|(i, v)| (v - shift[i as usize]) * scale[i as usize])
                .collect(),
        })
        .collect();
    let mut model = linear::train_features(task, &z, examples, classes, cfg);
    model.fold_input_affine(&shift, &scale);
    model
}

/// Stratified k-fold cross-validation of a head, on the same folds as
/// [`evaluation::cross_validate`] (same seed, same assignment). For a stacked head the sparse
/// model of each fold is trained on the fold's training part; the head is trained on the
/// sparse model's out-of-fold probabilities there (its internal calibration folds) and
/// applied to the sparse model's probabilities on the held-out part.
pub fn cross_validate_head(
    task: &str,
    examples: &[Example],
    embeddings: &[Vec<f32>],
    input: HeadInput,
    folds: u32,
    sparse_cfg: &TrainConfig,
    head_cfg: &TrainConfig,
) -> Report {
    let k = folds.max(2) as usize;
    let classes = linear::class_names(examples);
    let feats = match input {
        HeadInput::Stacked { .. } => linear::featurize(examples, sparse_cfg.features),
        HeadInput::Embedding => Vec::new(),
    };
    let targets = linear::class_indices(examples, &classes);
    let assignment = linear::stratified_folds(&targets, classes.len(), k, sparse_cfg.seed);
    let mut pred: Vec<Vec<String>> = vec![Vec::new(); examples.len()];
    for f in 0..k {
        let tr: Vec<usize> = (0..examples.len())
            .filter(|&i| assignment[i] != f)
            .collect();
        let te: Vec<usize> = (0..examples.len())
            .filter(|&i| assignment[i] == f)
            .collect();
        let tr_ex: Vec<Example> = tr.iter().map(|&i| examples[i].clone()).collect();
        let (tr_in, te_in): (Vec<Features>, Vec<Features>) = match input {
            HeadInput::Embedding => (
                tr.iter()
                    .map(|&i| head_input(&embeddings[i], None))
                    .collect(),
                te.iter()
                    .map(|&i| head_input(&embeddings[i], None))
                    .collect(),
            ),
            HeadInput::Stacked { .. } => {
                let tr_feats: Vec<Features> = tr.iter().map(|&i| feats[i].clone()).collect();
                let (sparse, oof) =
                    linear::train_features_oof(task, &tr_feats, &tr_ex, &classes, sparse_cfg);
                (
                    tr.iter()
                        .zip(&oof)
                        .map(|(&i, p)| head_input(&embeddings[i], Some(p)))
                        .collect(),
                    te.iter()
                        .map(|&i| {
                            let p = sparse.probabilities(&feats[i]);
                            head_input(&embeddings[i], Some(&p))
                        })
                        .collect(),
                )
            }
        };
        let head = train_head(task, &tr_in, &tr_ex, &classes, input, head_cfg);
        for (&i, x) in te.iter().zip(&te_in) {
            pred[i] = predict_labels_probs(&head, &head.probabilities(x));
        }
    }
    let gold: Vec<Vec<String>> = examples.iter().map(|e| e.labels.clone()).collect();
    let mut report = evaluation::score(task, &classes, &gold, &pred);
    report.cv = k as u32;
    report.seed = Some(sparse_cfg.seed);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;

    /// Points around two centres far from the origin (as embeddings are), labelled by side.
    fn data() -> (Vec<Features>, Vec<Example>) {
        let mut rng = linear::SplitMix(3);
        let mut inputs = Vec::new();
        let mut examples = Vec::new();
        for i in 0..120 {
            let pos = i % 2 == 0;
            let noise = |r: &mut linear::SplitMix| (r.below(1000) as f32 / 1000.0 - 0.5) * 0.02;
            let emb = [
                0.7 + if pos { 0.01 } else { -0.01 } + noise(&mut rng),
                0.7 + noise(&mut rng),
            ];
            inputs.push(head_input(&emb, Some(&[0.5f32, 0.5][..])));
            examples.push(Example {
                text: String::new(),
                lang: Lang::De,
                labels: vec![if pos { "pos" } else { "neg" }.into()],
                weight: 1.0,
            });
        }
        (inputs, examples)
    }

    #[test]
    fn head_reads_raw_inputs_and_round_trips() {
        let (inputs, examples) = data();
        let classes = linear::class_names(&examples);
        let cfg = head_config(&TrainConfig::default(), 1.0);
        let head = train_head(
            "t",
            &inputs,
            &examples,
            &classes,
            HeadInput::Embedding,
            &cfg,
        );
        let right = inputs
            .iter()
            .zip(&examples)
            .filter(|(x, e)| predict_labels_probs(&head, &head.probabilities(x)) == e.labels)
            .count();
        assert!(right >= 110, "{right} of 120 right on raw inputs");
        let bytes = head.to_bytes();
        let back = LinearModel::from_bytes(&bytes).expect("loads");
        assert_eq!(back, head);
        let again = train_head(
            "t",
            &inputs,
            &examples,
            &classes,
            HeadInput::Embedding,
            &cfg,
        );
        assert_eq!(again.to_bytes(), bytes, "deterministic");
    }

    #[test]
    fn auxiliary_offense_probabilities_rise_for_an_insult() {
        let aux = Auxiliary::bundled(HeadRecipe::for_task(Task::Toxicity).auxiliary, Lang::De);
        let model = crate::bundled::model(Task::Offense, Lang::De, None).expect("bundled");
        let offense = model
            .classes()
            .iter()
            .position(|c| c.eq_ignore_ascii_case("offense"))
            .expect("an OFFENSE class");
        let probs = |text: &str| {
            let mut v = vec![0.5f32];
            aux.extend(&mut v, text, Lang::De);
            v
        };
        let calm = probs("Danke für die schnelle Antwort, der Zug kam pünktlich.");
        let rude = probs("Ihr seid doch alle komplett bescheuerte Vollidioten.");
        assert_eq!(
            calm.len(),
            1 + model.classes().len(),
            "appended after the embedding"
        );
        assert_eq!(calm[0], 0.5, "the embedding is kept");
        assert!(
            rude[1 + offense] > 0.5 && calm[1 + offense] < 0.5,
            "offense probability calm {} rude {}",
            calm[1 + offense],
            rude[1 + offense]
        );
    }
}
