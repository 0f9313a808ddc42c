//! What we learn from each message: language, relevance, sentiment, topics, toxicity, fact
//! claims, churn intent, urgency; similar complaints grouped into cases; bursts of criticism.
//! Pure, synchronous and deterministic: no IO, no async, never fails (uncertainty is a value).

pub mod burst;
pub mod cases;
pub mod features;
pub mod linear;
pub mod suggest;
pub mod text;
pub mod bundled;
pub mod evaluation;
pub mod task;
pub mod analyzer;
pub mod lexicon;

pub use analyzer::{Analyzer, AnalyzerScratch, KeywordTopic};
