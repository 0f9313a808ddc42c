//! Conversations: the filtered, sorted, paginated list; one conversation with its messages,
//! analyses and notes; and the actions on it (reply, note, assign, state) plus label
//! corrections kept as training data.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::{Direction, Message};
use serde::Deserialize;
use serde_json::{Value, json};
use store::ConversationState;
use store::server::{ConversationQuery, ConversationSort};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Query parameters shared by the conversation list and search.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub state: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
    pub sentiment: Option<String>,
    pub topic: Option<String>,
    pub case: Option<i64>,
    pub assignee: Option<String>,
    /// RFC 3339.
    pub from: Option<String>,
    pub to: Option<String>,
    pub sort: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

pub fn parse_time(field: &str, v: &Option<String>) -> ApiResult<Option<model::Timestamp>> {
    v.as_deref()
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| ApiError::invalid(field, format!("expected RFC 3339 time: {e}")))
        })
        .transpose()
}

pub fn check_state(v: &Option<String>) -> ApiResult<()> {
    if let Some(s) = v {
        ConversationState::parse(s)
            .ok_or_else(|| ApiError::invalid("state", "expected open, pending or resolved"))?;
    }
    Ok(())
}

pub fn check_sentiment(v: &Option<String>) -> ApiResult<()> {
    if let Some(s) = v {
        model::SentimentLabel::parse(s).ok_or_else(|| {
            ApiError::invalid("sentiment", "expected negative, neutral or positive")
        })?;
    }
    Ok(())
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Value>> {
    check_state(&p.state)?;
    check_sentiment(&p.sentiment)?;
    let sort = match p.sort.as_deref() {
        None | Some("priority") => ConversationSort::Priority,
        Some("age") => ConversationSort::Age,
        Some("recent") => ConversationSort::Recent,
        Some("due") => ConversationSort::Due,
        Some(_) => {
            return Err(ApiError::invalid(
                "sort",
                "expected priority, age, recent or due",
            ));
        }
    };
    let q = ConversationQuery {
        from: parse_time("from", &p.from)?,
        to: parse_time("to", &p.to)?,
        state: p.state,
        channel: p.channel,
        language: p.language,
        sentiment: p.sentiment,
        topic: p.topic,
        case_id: p.case,
        assignee: p.assignee,
        sort,
        after: p.cursor,
        limit: p.limit.unwrap_or(50),
    };
    let page = state
        .read(move |s| match s.list_conversations(&q) {
            Err(store::StoreError::NotFound(what)) if what.starts_with("cursor") => {
                Ok(Err(ApiError::invalid("cursor", what)))
            }
            other => other.map(Ok),
        })
        .await??;
    Ok(Json(json!(page)))
}

pub async fn detail(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let found = state
        .read(move |s| {
            let Some(row) = s.conversation_row(id)? else {
                return Ok::<_, store::StoreError>(None);
            };
            let messages = s.conversation_messages(id)?;
            let mut items = Vec::with_capacity(messages.len());
            for m in messages {
                let analysis = s.analysis_of(m.id)?;
                let corrections = s.label_corrections_of(m.id)?;
                items.push(json!({
                    "id": m.id,
                    "message": m.message,
                    "analysis": analysis,
                    "corrections": corrections,
                }));
            }
            let notes = s.notes(id)?;
            let contacts = s.conversation_contacts(id)?;
            Ok(Some(json!({"conversation": row, "messages": items, "notes": notes, "contacts": contacts})))
        })
        .await?;
    found.map(Json).ok_or(ApiError::NotFound("conversation"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    pub text: String,
}

fn check_text(text: &str) -> ApiResult<()> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid("text", "must not be empty"));
    }
    if text.len() > model::MAX_TEXT_BYTES {
        return Err(ApiError::invalid(
            "text",
            format!("at most {} bytes", model::MAX_TEXT_BYTES),
        ));
    }
    Ok(())
}

/// Stores a reply as an outbound message in the conversation's channel, answering its latest
/// customer message. No connector delivers it yet; the answer says so.
pub async fn reply(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TextBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    check_text(&body.text)?;
    let messages = state.read(move |s| s.conversation_messages(id)).await?;
    let Some(last) = messages.last() else {
        return Err(ApiError::NotFound("conversation"));
    };
    let answered = messages
        .iter()
        .rev()
        .find(|m| m.message.direction == Direction::Inbound)
        .unwrap_or(last);
    let external_id = format!("kv-reply-{}", &crate::auth::new_secret()[..24]);
    let reply = Message {
        channel: answered.message.channel.clone(),
        external_id: external_id.clone(),
        author: answered
            .message
            .brand
            .clone()
            .unwrap_or_else(|| "kundenversteher".into()),
        author_name: Some(user.name.clone()),
        text: body.text,
        created_at: chrono::Utc::now(),
        in_reply_to: Some(answered.message.external_id.clone()),
        direction: Direction::Outbound,
        visibility: answered.message.visibility,
        language: None,
        brand: answered.message.brand.clone(),
        labels: Default::default(),
        raw: None,
    };
    state
        .engine()
        .ingest(vec![reply])
        .await
        .map_err(super::messages::engine_error)?;
    let channel = answered.message.channel.clone();
    let stored = state
        .read(move |s| s.message(&channel, &external_id))
        .await?;
    let actor = user.actor();
    let mid = stored.as_ref().map(|m| m.id);
    state
        .db(move |s| {
            s.audit(
                &actor,
                "conversation.reply",
                &format!("conversation:{id}"),
                &json!({"message_id": mid}),
            )
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"message": stored, "delivery": "stored; no connector delivers to this channel yet"}),
        ),
    ))
}

pub async fn add_note(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TextBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    check_text(&body.text)?;
    let author = user.actor();
    let note = state
        .db(move |s| {
            if s.conversation(id)?.is_none() {
                return Ok::<_, store::StoreError>(None);
            }
            s.add_note(id, &author, &body.text).map(Some)
        })
        .await?
        .ok_or(ApiError::NotFound("conversation"))?;
    Ok((StatusCode::CREATED, Json(json!({"note": note}))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// User name, or null to unassign.
    pub assignee: Option<String>,
}

pub async fn assign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AssignBody>,
) -> ApiResult<Json<Value>> {
    let actor = user.actor();
    let assignee = body.assignee.clone();
    let result = state
        .write(move |s| {
            if let Some(name) = &assignee
                && s.user_by_name(name)?.is_none()
            {
                return Ok::<_, store::StoreError>(Err(ApiError::invalid(
                    "assignee",
                    format!("no user named `{name}`"),
                )));
            }
            match s.assign_conversation(id, assignee.as_deref()) {
                Err(store::StoreError::NotFound(_)) => {
                    return Ok(Err(ApiError::NotFound("conversation")));
                }
                other => other?,
            }
            s.audit(
                &actor,
                "conversation.assign",
                &format!("conversation:{id}"),
                &json!({"assignee": assignee}),
            )?;
            Ok(Ok(()))
        })
        .await?;
    result?;
    Ok(Json(
        json!({"conversation_id": id, "assignee": body.assignee}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    pub state: String,
}

pub async fn change_state(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<StateBody>,
) -> ApiResult<Json<Value>> {
    let new = ConversationState::parse(&body.state)
        .ok_or_else(|| ApiError::invalid("state", "expected open, pending or resolved"))?;
    let actor = user.actor();
    let at = state.engine().now();
    let result = state
        .write(move |s| {
            match s.change_state(id, new, at) {
                Err(store::StoreError::NotFound(_)) => {
                    return Ok(Err(ApiError::NotFound("conversation")));
                }
                other => other?,
            }
            s.audit(
                &actor,
                "conversation.state",
                &format!("conversation:{id}"),
                &json!({"state": new.as_str()}),
            )?;
            Ok::<_, store::StoreError>(Ok(()))
        })
        .await?;
    result?;
    Ok(Json(json!({"conversation_id": id, "state": new.as_str()})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelBody {
    /// `sentiment`, `topic`, `toxicity`, `churn`, `relevance`, ...
    pub task: String,
    pub label: String,
}

/// Tasks a correction may name.
pub const TASKS: &[&str] = &[
    "sentiment",
    "topic",
    "toxicity",
    "fact_claim",
    "churn",
    "urgency",
    "relevance",
    "language",
];

pub async fn correct_label(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<LabelBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if !TASKS.contains(&body.task.as_str()) {
        return Err(ApiError::invalid(
            "task",
            format!("expected one of {}", TASKS.join(", ")),
        ));
    }
    if body.task == "sentiment" {
        check_sentiment(&Some(body.label.clone()))?;
    }
    if body.label.trim().is_empty() || body.label.len() > 200 {
        return Err(ApiError::invalid("label", "1-200 bytes"));
    }
    let actor = user.actor();
    let correction = state
        .db(move |s| {
            let Some(m) = s.message_by_id(id)? else {
                return Ok::<_, store::StoreError>(None);
            };
            let previous = s.analysis_of(id)?.map(|a| match body.task.as_str() {
                "sentiment" => a.sentiment.label.as_str().to_owned(),
                "language" => a.language,
                "topic" => a
                    .topics
                    .iter()
                    .map(|t| t.label.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => String::new(),
            });
            let c = s.add_label_correction(
                m.id,
                &body.task,
                &body.label,
                previous.as_deref().filter(|p| !p.is_empty()),
                &actor,
            )?;
            s.audit(
                &actor,
                "label.correct",
                &format!("message:{id}"),
                &json!({"task": body.task, "label": body.label}),
            )?;
            Ok(Some(c))
        })
        .await?
        .ok_or(ApiError::NotFound("message"))?;
    Ok((StatusCode::CREATED, Json(json!({"correction": correction}))))
}

/// Every corrected message as JSONL in our message schema, the latest correction of each
/// task in `labels` — ready for `kundenversteher train`.
pub async fn training_data(State(state): State<AppState>) -> ApiResult<Response> {
    let body = state
        .read(|s| {
            let mut by_message: std::collections::BTreeMap<i64, model::Labels> = Default::default();
            for c in s.label_corrections()? {
                by_message
                    .entry(c.message_id)
                    .or_default()
                    .insert(c.task, c.label);
            }
            let mut out = String::new();
            for (id, labels) in by_message {
                if let Some(mut m) = s.message_by_id(id)? {
                    m.message.labels.extend(labels);
                    out.push_str(&serde_json::to_string(&m.message).unwrap_or_default());
                    out.push('\n');
                }
            }
            Ok::<_, store::StoreError>(out)
        })
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
        body,
    )
        .into_response())
}
