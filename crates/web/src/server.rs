//! Starting the whole server from a data folder: store connections, search index, live
//! pipeline and state. Used by `kundenversteher serve` and by the tests.

use std::path::Path;
use std::sync::Arc;

use crate::state::{AppState, ServerConfig};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Search(#[from] engine::search::SearchError),
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    #[error(transparent)]
    Notify(#[from] notify::NotifyError),
}

/// Opens the store and the search index in `data_dir` and starts the pipeline. Call
/// `state.engine().shutdown()` (blocking) after the HTTP server stopped.
pub fn start(data_dir: &Path, config: ServerConfig) -> Result<AppState, StartError> {
    start_with(
        data_dir,
        config,
        engine::EngineConfig::default(),
        Arc::new(analysis::Analyzer::new()),
    )
}

/// Like [`start`] with pipeline settings (clock, tick, ...) and the analyzer of your choice.
/// Must run inside a tokio runtime: the webhook notifier starts on it (unless
/// `engine_config.outbox` already has one). The receivers are the stored webhooks, re-read
/// by the pipeline on every tick.
pub fn start_with(
    data_dir: &Path,
    config: ServerConfig,
    mut engine_config: engine::EngineConfig,
    analyzer: Arc<dyn engine::Analyze>,
) -> Result<AppState, StartError> {
    if engine_config.outbox.notifier().is_none() {
        let notifier = notify::Notifier::start(notify::NotifyConfig::default())?;
        engine_config.outbox = engine::Outbox::with_notifier(notifier);
    }
    let db = Arc::new(engine::Db::open(data_dir, 4)?);
    let search = Arc::new(engine::SearchIndex::open(&data_dir.join("search"))?);
    let engine = engine::Engine::start_with_stages(
        db,
        search,
        analyzer,
        engine::stages::default_stages,
        engine_config,
    )?;
    Ok(AppState::new(
        engine,
        config,
        crate::telemetry::metrics_handle(),
    ))
}
