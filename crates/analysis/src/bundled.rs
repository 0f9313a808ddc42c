//! The default models, embedded in the binary with `include_bytes!` (trained by
//! `cargo xtask train-models` from `../shared/data`; a model card beside each file in
//! `crates/analysis/models/` names its data, the data's licence and its scores).

use xxhash_rust::xxh3::xxh3_64;

use crate::linear::{LinearModel, ModelError};
use crate::task::Task;
use crate::text::Lang;

/// One bundled model file.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    pub name: &'static str,
    pub task: Task,
    pub lang: Lang,
    /// Used by the analyzer (engaging and offense are for `eval` only: toxicity covers them).
    pub in_analyzer: bool,
    pub bytes: &'static [u8],
}

macro_rules! bundled {
    ($(#[$doc:meta])* $list:ident: $($name:literal, $task:ident, $lang:ident, $use:literal;)*) => {
        $(#[$doc])*
        pub const $list: &[Bundled] = &[$(Bundled {
            name: $name,
            task: Task::$task,
            lang: Lang::$lang,
            in_analyzer: $use,
            bytes: include_bytes!(concat!("../models/", $name, ".kvm")),
        }),*];
    };
}

bundled! {
    /// Every bundled model.
    MODELS:
    "de-relevance", Relevance, De, true;
    "de-sentiment", Sentiment, De, true;
    "de-topic", Topic, De, true;
    "de-toxicity", Toxicity, De, true;
    "de-fact-claim", FactClaim, De, true;
    "de-engaging", Engaging, De, false;
    "de-offense", Offense, De, false;
    "en-sentiment", Sentiment, En, true;
    "en-topic-airline", Topic, En, true;
    "en-topic-banking77", Topic, En, true;
}

bundled! {
    /// The accurate tier's heads (crate `embed`): linear models over a multilingual-e5-small
    /// sentence embedding stacked with the probabilities of the bundled model of the same
    /// task and language (`analysis::dense`); see each head's model card.
    HEADS:
    "de-sentiment-head", Sentiment, De, true;
    "de-toxicity-head", Toxicity, De, true;
    "de-fact-claim-head", FactClaim, De, true;
    "en-sentiment-head", Sentiment, En, true;
}

/// The bundled model for a task and language; for English topics `variant` picks
/// `airline` or `banking77` (default airline).
pub fn model(task: Task, lang: Lang, variant: Option<&str>) -> Result<LinearModel, ModelError> {
    let found = MODELS
        .iter()
        .filter(|b| b.task == task && b.lang == lang)
        .find(|b| variant.is_none_or(|v| b.name.ends_with(v)))
        .or_else(|| MODELS.iter().find(|b| b.task == task && b.lang == lang))
        .ok_or(ModelError::Missing)?;
    LinearModel::from_bytes(found.bytes)
}

/// The models the analyzer uses, loaded. A file that fails to load is left out (the tests
/// load every file, so this does not happen in a release).
pub fn all() -> Vec<(Task, Lang, LinearModel)> {
    MODELS
        .iter()
        .filter(|b| b.in_analyzer)
        .filter_map(|b| {
            LinearModel::from_bytes(b.bytes)
                .ok()
                .map(|m| (b.task, b.lang, m))
        })
        .collect()
}

/// `kv-linear-1-<hash of all bundled model bytes>`.
pub fn version() -> String {
    let mut h = 0u64;
    for b in MODELS {
        h = h.rotate_left(7) ^ xxh3_64(b.bytes);
    }
    format!("kv-linear-1-{:012x}", h & 0xffff_ffff_ffff)
}

/// Total size of the bundled model files in bytes.
pub fn total_bytes() -> usize {
    MODELS.iter().map(|b| b.bytes.len()).sum()
}
