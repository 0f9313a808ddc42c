//! The honest figures for the front row and the dashboard: the `report` crate's figures
//! computed from the whole store (the same code as `kundenversteher report`), cached for five
//! minutes because a full pass over a large store takes seconds, not milliseconds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use report::{FactsOptions, Report, ReportOptions};

use crate::error::ApiError;
use crate::state::AppState;

const MAX_AGE: Duration = Duration::from_secs(300);

/// The cached report, keyed by the database it was computed from (several servers can run in
/// one process, as in the tests).
static CACHE: Mutex<Option<(usize, Instant, Arc<Report>)>> = Mutex::new(None);

fn compute(st: &store::Store) -> Result<Report, store::StoreError> {
    let opts = FactsOptions::default();
    let (facts, evidence) = engine::report::facts_from_store(st, &opts)?;
    Ok(report::compute(
        &facts,
        &evidence,
        &opts,
        &ReportOptions::default(),
    ))
}

/// The report over the whole store, at most five minutes old.
pub async fn current(state: &AppState) -> Result<Arc<Report>, ApiError> {
    let db = Arc::as_ptr(state.database()) as usize;
    if let Ok(g) = CACHE.lock()
        && let Some((key, at, r)) = g.as_ref()
        && *key == db
        && at.elapsed() < MAX_AGE
    {
        return Ok(r.clone());
    }
    let r = Arc::new(state.read(compute).await?);
    if let Ok(mut g) = CACHE.lock() {
        *g = Some((db, Instant::now(), r.clone()));
    }
    Ok(r)
}

/// The label and definition of a figure in the viewer's language.
pub fn definition(id: &str, lang: super::i18n::Lang) -> (&'static str, &'static str) {
    match report::definitions::figure(id) {
        Some(f) => match lang {
            super::i18n::Lang::De => (f.label_de, f.def_de),
            super::i18n::Lang::En => (f.label_en, f.def_en),
        },
        None => ("", ""),
    }
}
