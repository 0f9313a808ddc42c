//! Cases, alerts and the public knowledge base over HTTP.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// Alerts of the live burst detector as stored (latest event per alert, acknowledgement),
/// newest first.
pub async fn alerts(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let alerts = state
        .read(|s| s.alerts_since(model::Timestamp::UNIX_EPOCH, 500))
        .await?;
    Ok(Json(json!({"alerts": alerts})))
}

/// The same figures as `kundenversteher report --format json` and the front row, with the
/// method and the counts behind every figure.
pub async fn report(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let report = crate::ui::figures::current(&state).await?;
    let value = serde_json::to_value(&*report)
        .map_err(|e| ApiError::internal(format!("serialising the report: {e}")))?;
    Ok(Json(value))
}

/// The largest cases of the month before the newest case activity (distinct customers,
/// messages, first and last message, top topics and channels).
pub async fn cases(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let cases = state
        .read(|s| {
            let Some(latest) = s.latest_case_activity()? else {
                return Ok(Vec::new());
            };
            s.cases_since(latest - chrono::Duration::days(30), 200)
        })
        .await?;
    Ok(Json(json!({"cases": cases})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KbQuery {
    pub q: Option<String>,
}

/// Public: knowledge-base articles matching `q`.
pub async fn kb_search(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<KbQuery>,
) -> ApiResult<Json<Value>> {
    let query = q.q.unwrap_or_default();
    if query.len() > 500 {
        return Err(ApiError::invalid("q", "at most 500 bytes"));
    }
    let articles = state.read(move |s| s.kb_search(&query, 20)).await?;
    Ok(Json(json!({"articles": articles})))
}

/// Public: one knowledge-base article.
pub async fn kb_article(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    let found = state.read(move |s| s.kb_article(&slug)).await?;
    found
        .map(|a| Json(json!({"article": a})))
        .ok_or(ApiError::NotFound("article"))
}
