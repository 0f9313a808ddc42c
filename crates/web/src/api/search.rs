//! Full-text search over every message with the conversation filters and highlighted
//! snippets. Facets fixed at analysis time filter inside the index; state, assignee and case
//! (which change) are checked against the store for each hit.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::conversations::{check_sentiment, check_state, parse_time};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    pub q: Option<String>,
    pub state: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
    pub sentiment: Option<String>,
    pub topic: Option<String>,
    pub direction: Option<String>,
    pub case: Option<i64>,
    pub assignee: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

pub async fn search(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Value>> {
    check_state(&p.state)?;
    check_sentiment(&p.sentiment)?;
    let q = p.q.clone().unwrap_or_default();
    if q.len() > 1_000 {
        return Err(ApiError::invalid("q", "at most 1000 bytes"));
    }
    let limit = p.limit.unwrap_or(20).clamp(1, 200);
    let offset = p.offset.unwrap_or(0).min(10_000);
    let filter = engine::SearchFilter {
        channel: p.channel.clone(),
        language: p.language.clone(),
        sentiment: p.sentiment.clone(),
        topic: p.topic.clone(),
        direction: p.direction.clone(),
        conversation: None,
        from: parse_time("from", &p.from)?,
        to: parse_time("to", &p.to)?,
    };
    let post_filter = p.state.is_some() || p.case.is_some() || p.assignee.is_some();
    let search = state.engine().search().clone();
    // With store-side filters, over-fetch and filter (documented: counts are of the index).
    let fetch = if post_filter {
        (limit * 10).min(2_000)
    } else {
        limit
    };
    let (total, hits) =
        tokio::task::spawn_blocking(move || search.search(&q, &filter, fetch, offset))
            .await?
            .map_err(ApiError::internal)?;
    let results = state
        .read(move |s| {
            let mut out = Vec::with_capacity(limit);
            for hit in hits {
                let Some(m) = s.message_by_id(hit.message_id)? else {
                    continue;
                };
                if post_filter {
                    let Some(row) = s.conversation_row(hit.conversation_id)? else {
                        continue;
                    };
                    if p.state.as_deref().is_some_and(|st| st != row.state)
                        || p.case.is_some_and(|c| row.case_id != Some(c))
                        || p.assignee
                            .as_deref()
                            .is_some_and(|a| row.assignee.as_deref() != Some(a))
                    {
                        continue;
                    }
                }
                out.push(json!({
                    "message_id": hit.message_id,
                    "conversation_id": hit.conversation_id,
                    "score": hit.score,
                    "snippet_html": hit.snippet_html,
                    "fragment": hit.fragment,
                    "highlights": hit.highlights,
                    "message": m.message,
                }));
                if out.len() >= limit {
                    break;
                }
            }
            Ok::<_, store::StoreError>(out)
        })
        .await?;
    Ok(Json(json!({"total": total, "hits": results})))
}
