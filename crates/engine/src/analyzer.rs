//! Which analyzer the live pipeline uses: the classifiers (`analysis::Analyzer` with the
//! bundled models) by default. [`Provisional`] is a cheap stand-in (language from the
//! message or a stop-word count, neutral sentiment with low confidence, model version
//! `provisional`) for measuring the pipeline without the classifiers.

use model::{Analysis, Message, Sentiment, SentimentLabel};

use crate::pipeline::Analyze;

#[derive(Debug, Default, Clone, Copy)]
pub struct Provisional;

const DE: &[&str] = &[
    "der", "die", "das", "und", "ist", "nicht", "ich", "mit", "zu", "ein", "eine", "auf", "für",
    "noch", "schon", "wie", "bei",
];
const EN: &[&str] = &[
    "the", "and", "is", "not", "i", "with", "to", "a", "my", "on", "for", "you", "it", "this",
    "was", "of", "your",
];

impl Analyze for Provisional {
    fn analyze(&self, message: &Message) -> Analysis {
        let language = message.language.clone().unwrap_or_else(|| {
            let lower = message.text.to_lowercase();
            let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
            let de = words.iter().filter(|w| DE.contains(w)).count();
            let en = words.iter().filter(|w| EN.contains(w)).count();
            match (de, en) {
                (0, 0) => "other".into(),
                (d, e) if d > e => "de".into(),
                _ => "en".into(),
            }
        });
        Analysis {
            language,
            relevance: 0.5,
            sentiment: Sentiment {
                label: SentimentLabel::Neutral,
                confidence: 0.34,
            },
            topics: Vec::new(),
            toxicity: 0.0,
            fact_claim: 0.0,
            churn: 0.0,
            urgency: 0.0,
            question: if message.text.contains('?') { 0.8 } else { 0.1 },
            model_version: "provisional".into(),
        }
    }
}

impl Analyze for analysis::Analyzer {
    fn analyze(&self, message: &Message) -> Analysis {
        analysis::Analyzer::analyze(self, &message.text)
    }
}
