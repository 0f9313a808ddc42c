//! Transparent figures: each metric has a written definition (docs/METRICS.md) and is
//! computed from per-conversation facts that anyone can export and recompute.
//!
//! The flow: messages (with optional analyses) -> [`ConversationFacts`] (one per conversation,
//! [`facts`]) -> [`Report`] ([`figures::compute`]) -> JSON, CSV (the facts) or HTML
//! ([`render`]). The web server calls the same functions.

pub mod definitions;
pub mod facts;
pub mod facts_csv;
pub mod figures;
pub mod hours;
pub mod phrases;
pub mod render;
pub mod staff;
pub mod summary;

pub use facts::{
    AgentReplies, Annotated, BrandIndex, ChannelKind, ConversationFacts, Evidence, FactsBuilder,
    FactsOptions, Thresholds, build_facts,
};
pub use figures::{Group, GroupBy, Period, Report, ReportOptions, compute};
pub use hours::BusinessHours;
pub use phrases::{Phrase, PhraseList};
pub use render::Lang;
pub use staff::{Role, StaffDirectory, StaffEntry};
pub use summary::Summary;

/// Timestamps are UTC.
pub type Timestamp = model::Timestamp;

/// The id of the metric definitions, in every JSON report's `method` block.
pub const METHOD_ID: &str = "kundenversteher-metrics";
/// Bumped whenever a definition in docs/METRICS.md changes meaning.
pub const METHOD_VERSION: &str = "1.0";

/// The definitions of every figure (docs/METRICS.md), embedded in the HTML report.
pub const METRICS_MD: &str = include_str!("../../../docs/METRICS.md");

/// Errors of the report crate: bad options and bad input files, each naming where.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{option}: {message}")]
    Option { option: String, message: String },
    #[error("deflection phrase list {origin}: {message}")]
    Phrases { origin: String, message: String },
    #[error("staff directory {origin}: {message}")]
    Staff { origin: String, message: String },
    #[error("facts CSV {origin}:{line}: {message}")]
    FactsCsv {
        origin: String,
        line: u64,
        message: String,
    },
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything one call needs: build facts from messages, compute the report.
/// The CLI and the web server both go through this (or through [`compute`] when they
/// already hold facts).
pub fn report_from_messages(
    messages: Vec<Annotated>,
    facts_opts: &FactsOptions,
    opts: &ReportOptions,
) -> (Report, Vec<ConversationFacts>) {
    let (facts, evidence) = build_facts(messages, facts_opts);
    let report = compute(&facts, &evidence, facts_opts, opts);
    (report, facts)
}
