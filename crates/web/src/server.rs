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

/// Like [`start`] with pipeline settings and the analyzer of your choice.
pub fn start_with(
    data_dir: &Path,
    config: ServerConfig,
    engine_config: engine::EngineConfig,
    analyzer: Arc<dyn engine::Analyze>,
) -> Result<AppState, StartError> {
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
