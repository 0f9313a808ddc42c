//! The classification tasks and how each reads its gold labels from `Message.labels`.

use model::Message;

use crate::linear::Example;
use crate::text::Lang;

/// A task `train` and `eval` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// Is the message about us: `true`/`false` (GermEval 2017 subtask A).
    Relevance,
    /// `negative`/`neutral`/`positive` (PotTS `mixed` is skipped).
    Sentiment,
    /// Topics: GermEval 2017 aspect categories (multi-label), airline complaint reason,
    /// BANKING77 intent, or `topic` labels of our JSONL.
    Topic,
    /// Toxic/insulting: `toxic`/`other` (GermEval 2021 Sub1, GermEval 2018 OFFENSE as toxic).
    Toxicity,
    /// GermEval 2021 Sub3: `fact`/`other`.
    FactClaim,
    /// GermEval 2021 Sub2: `engaging`/`other`.
    Engaging,
    /// GermEval 2018 coarse: `OFFENSE`/`OTHER`.
    Offense,
}

impl Task {
    pub const ALL: [Task; 7] = [
        Task::Relevance,
        Task::Sentiment,
        Task::Topic,
        Task::Toxicity,
        Task::FactClaim,
        Task::Engaging,
        Task::Offense,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Task::Relevance => "relevance",
            Task::Sentiment => "sentiment",
            Task::Topic => "topic",
            Task::Toxicity => "toxicity",
            Task::FactClaim => "fact-claim",
            Task::Engaging => "engaging",
            Task::Offense => "offense",
        }
    }

    pub fn parse(s: &str) -> Option<Task> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        Task::ALL.into_iter().find(|t| t.name() == s)
    }

    /// Binary tasks report macro-F1 over both classes, as GermEval 2018/2021 do.
    pub fn is_binary(self) -> bool {
        !matches!(self, Task::Sentiment | Task::Topic)
    }

    /// The gold classes of `m` for this task; `None` when the message has no label for it.
    pub fn gold(self, m: &Message) -> Option<Vec<String>> {
        let get = |k: &str| m.labels.get(k).map(|v| v.trim().to_owned());
        let one = |v: Option<String>| v.map(|v| vec![v]);
        match self {
            Task::Relevance => one(get("relevance").map(|v| v.to_ascii_lowercase())),
            Task::Sentiment => {
                let v = get("sentiment")?.to_ascii_lowercase();
                matches!(v.as_str(), "negative" | "neutral" | "positive").then(|| vec![v])
            }
            Task::Topic => {
                if let Some(a) = get("aspects") {
                    // `Cat#Sub:polarity` tokens -> the set of categories.
                    let mut cats: Vec<String> = a
                        .split_whitespace()
                        .map(|t| t.split([':', '#']).next().unwrap_or(t).to_owned())
                        .collect();
                    cats.sort();
                    cats.dedup();
                    Some(cats)
                } else if m.channel == "germeval2017" {
                    Some(Vec::new())
                } else {
                    // One label each (airline reasons contain spaces: "Late Flight").
                    one(get("topic").or_else(|| get("intent")))
                }
            }
            Task::Toxicity => one(get("toxicity").or_else(|| {
                get("offense").map(|o| if o == "OFFENSE" { "toxic" } else { "other" }.to_owned())
            })),
            Task::FactClaim => one(get("fact_claim").or_else(|| get("fact-claim"))),
            Task::Engaging => one(get("engaging")),
            Task::Offense => one(get("offense")),
        }
    }

    /// Turns messages into examples; messages without a label for this task are skipped.
    pub fn examples(self, messages: &[Message]) -> Vec<Example> {
        messages
            .iter()
            .filter_map(|m| {
                let labels = self.gold(m)?;
                Some(Example {
                    text: m.text.clone(),
                    lang: lang_of(m),
                    labels,
                    weight: 1.0,
                })
            })
            .collect()
    }
}

fn lang_of(m: &Message) -> Lang {
    match m.language.as_deref() {
        Some(l) => Lang::parse(l),
        None => match m.channel.as_str() {
            "airline" | "twcs" | "banking77" => Lang::En,
            _ => Lang::De,
        },
    }
}

impl Task {
    /// The training recipe (features and hyperparameters) chosen for this task by
    /// cross-validation on the shared data; see BENCHMARKS.md `## Understanding`.
    pub fn train_config(self, lang: Lang) -> crate::linear::TrainConfig {
        let mut cfg = crate::linear::TrainConfig {
            features: feature_config(lang),
            nb: 0.1,
            ..crate::linear::TrainConfig::default()
        };
        if self == Task::Topic {
            cfg.multi_label = true;
            if lang == Lang::En {
                // BANKING77 / airline reasons: NB scaling cost 0.5 points accuracy in CV.
                cfg.nb = 0.0;
            }
        }
        if self.is_binary() && self != Task::Relevance {
            cfg.objective = crate::linear::Objective::Macro;
        }
        cfg
    }
}

/// The feature set shared by every bundled model of a language, so the analyzer computes
/// features once per message for all of them.
pub fn feature_config(lang: Lang) -> crate::features::FeatureConfig {
    crate::features::FeatureConfig {
        bits: 18,
        char_min: 3,
        char_max: 5,
        // Chosen by 5-fold CV: German gains from heavier char n-grams (compounds), English not.
        char_weight: if lang == Lang::En { 1.0 } else { 2.0 },
        ..crate::features::FeatureConfig::default()
    }
}
