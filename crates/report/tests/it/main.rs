//! Integration tests of the report crate, on the shared real datasets
//! (`../shared/data`, see its README). One binary, modules by feature.

mod escaping;
mod facts_csv;
mod html;
mod twcs_recompute;

use std::path::PathBuf;

use report::{Annotated, FactsOptions, Report, ReportOptions};

/// `../shared/data/<rel>`.
pub fn data(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

/// Messages of a file read with the ingest reader (rejected records are skipped).
pub fn read(format: ingest::Format, rel: &str) -> Vec<Annotated> {
    let source = ingest::Source::open(&data(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    ingest::read(format, source)
        .filter_map(Result::ok)
        .map(|r| r.message.into())
        .collect()
}

/// The report (and facts) of messages with default options, groups by brand.
pub fn report_of(messages: Vec<Annotated>) -> (Report, Vec<report::ConversationFacts>) {
    let opts = ReportOptions {
        source: "test".into(),
        ..ReportOptions::default()
    };
    report::report_from_messages(messages, &FactsOptions::default(), &opts)
}
