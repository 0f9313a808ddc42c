//! What we learn from each message: language, relevance, sentiment, topics, toxicity, fact
//! claims, churn intent, urgency; similar complaints grouped into cases; bursts of criticism.
//! Pure, synchronous and deterministic: no IO, no async, never fails (uncertainty is a value).

pub mod analyzer;
pub mod bundled;
pub mod burst;
pub mod cases;
pub mod dense;
pub mod evaluation;
pub mod features;
pub mod lexicon;
pub mod linear;
pub mod suggest;
pub mod task;
pub mod text;

pub use analyzer::{Analyzer, AnalyzerScratch, KeywordTopic};
