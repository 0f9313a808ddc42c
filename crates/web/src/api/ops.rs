//! Operations endpoints: `/healthz`, `/metrics` (Prometheus text, needs `read`) and the
//! OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::json;

use crate::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_secs": state.uptime().as_secs(),
        "pipeline": state.engine().progress(),
        "backlog": state.engine().backlog(),
    }))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    )
}

pub async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}
