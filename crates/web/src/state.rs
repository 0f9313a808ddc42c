//! The one state every handler sees: the store, the live pipeline, the search index, the
//! metrics recorder and the server configuration. Cheap to clone (an `Arc`).

use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::error::ApiError;
pub use engine::Db;

/// Server settings that handlers read.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Mark the session cookie `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
    pub session_ttl: chrono::Duration,
    /// Shared secret for signed webhook intake; `None` disables `/api/v1/webhooks/*`.
    pub webhook_secret: Option<String>,
    /// How far a webhook's timestamp may be from our clock.
    pub webhook_tolerance: chrono::Duration,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Most messages in one ingest batch.
    pub max_batch: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            secure_cookies: false,
            session_ttl: chrono::Duration::hours(12),
            webhook_secret: None,
            webhook_tolerance: chrono::Duration::minutes(5),
            max_body_bytes: 16 * 1024 * 1024,
            max_batch: 5_000,
        }
    }
}

/// Shared state of the server; clone it freely.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    db: Arc<Db>,
    engine: engine::Engine,
    config: ServerConfig,
    metrics: PrometheusHandle,
    started: Instant,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(engine: engine::Engine, config: ServerConfig, metrics: PrometheusHandle) -> Self {
        AppState {
            inner: Arc::new(Inner {
                db: engine.db().clone(),
                engine,
                config,
                metrics,
                started: Instant::now(),
            }),
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    /// The store's connections (one writer, several readers). From async code use
    /// [`AppState::read`] / [`AppState::write`], which run on the blocking pool.
    pub fn database(&self) -> &Arc<Db> {
        &self.inner.db
    }

    /// The live pipeline: ingest, search, alerts.
    pub fn engine(&self) -> &engine::Engine {
        &self.inner.engine
    }

    pub fn metrics(&self) -> &PrometheusHandle {
        &self.inner.metrics
    }

    pub fn uptime(&self) -> std::time::Duration {
        self.inner.started.elapsed()
    }

    /// Runs read-only store work on a reader connection on tokio's blocking pool. Store
    /// errors become internal errors (logged, not shown); return `Ok(None)` and map it for
    /// "not found".
    pub async fn read<R, E, F>(&self, f: F) -> Result<R, ApiError>
    where
        F: FnOnce(&store::Store) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || db.read(f))
            .await?
            .map_err(ApiError::internal)
    }

    /// Runs store work on the writer connection with a shared reference (reads that must see
    /// the latest writes, and writes through `&self` methods such as accounts and notes).
    pub async fn db<R, E, F>(&self, f: F) -> Result<R, ApiError>
    where
        F: FnOnce(&store::Store) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || db.write(|s| f(s)))
            .await?
            .map_err(ApiError::internal)
    }

    /// Runs store work that writes, on the writer connection (see [`AppState::read`]).
    pub async fn write<R, E, F>(&self, f: F) -> Result<R, ApiError>
    where
        F: FnOnce(&mut store::Store) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || db.write(f))
            .await?
            .map_err(ApiError::internal)
    }
}
