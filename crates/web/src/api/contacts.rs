//! Contacts: look up, merge and un-merge identities, and the data rights: export everything
//! about a contact, erase it everywhere (store, search index) with an audit entry.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    pub channel: String,
    pub handle: String,
}

pub async fn lookup(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<Lookup>,
) -> ApiResult<Json<Value>> {
    let found = state
        .read(move |s| s.contact_of(&q.channel, &q.handle))
        .await?;
    found
        .map(|c| Json(json!({"contact": c})))
        .ok_or(ApiError::NotFound("contact"))
}

pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let found = state.read(move |s| s.contact(id)).await?;
    found
        .map(|c| Json(json!({"contact": c})))
        .ok_or(ApiError::NotFound("contact"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The contact that stays; this one's identities move to it.
    pub into: i64,
}

pub async fn merge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<MergeBody>,
) -> ApiResult<Json<Value>> {
    if body.into == id {
        return Err(ApiError::invalid(
            "into",
            "a contact cannot be merged into itself",
        ));
    }
    let actor = user.actor();
    let result = state
        .write(move |s| {
            match s.merge_contacts_recorded(id, body.into) {
                Err(store::StoreError::NotFound(what)) => {
                    return Ok(Err(ApiError::bad(
                        "not_found",
                        format!("{what} does not exist or was merged"),
                    )));
                }
                other => other?,
            };
            s.audit(
                &actor,
                "contact.merge",
                &format!("contact:{id}"),
                &json!({"into": body.into}),
            )?;
            Ok::<_, store::StoreError>(Ok(s.contact(body.into)?))
        })
        .await??;
    Ok(Json(json!({"contact": result})))
}

pub async fn unmerge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let actor = user.actor();
    let result = state
        .write(move |s| {
            if !s.unmerge_contact(id)? {
                return Ok(None);
            }
            s.audit(
                &actor,
                "contact.unmerge",
                &format!("contact:{id}"),
                &json!({}),
            )?;
            Ok::<_, store::StoreError>(Some(s.contact(id)?))
        })
        .await?
        .ok_or_else(|| {
            ApiError::bad(
                "not_merged",
                "field `id`: this contact has no merge to undo",
            )
        })?;
    Ok(Json(json!({"contact": result})))
}

/// Everything we hold about a contact (GDPR Art. 15 / 20): identities, messages with
/// analyses and label corrections, notes on their conversations.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let actor = user.actor();
    let doc = state
        .db(move |s| {
            let Some(contact) = s.contact(id)? else {
                return Ok::<_, store::StoreError>(None);
            };
            let messages = s.contact_messages(id)?;
            let mut conversations = std::collections::BTreeSet::new();
            let mut items = Vec::new();
            for m in &messages {
                conversations.insert(m.conversation_id);
                items.push(json!({
                    "id": m.id,
                    "conversation_id": m.conversation_id,
                    "message": m.message,
                    "analysis": s.analysis_of(m.id)?,
                    "corrections": s.label_corrections_of(m.id)?,
                }));
            }
            let mut notes = Vec::new();
            for c in &conversations {
                notes.extend(s.notes(*c)?);
            }
            s.audit(
                &actor,
                "contact.export",
                &format!("contact:{id}"),
                &json!({"messages": items.len()}),
            )?;
            Ok(Some(json!({
                "exported_at": chrono::Utc::now(),
                "contact": contact,
                "messages": items,
                "notes": notes,
            })))
        })
        .await?;
    doc.map(Json).ok_or(ApiError::NotFound("contact"))
}

/// Erases the contact everywhere: store rows (messages, analyses, corrections, notes,
/// identities, name), then the search index. The audit entry keeps only ids and counts.
pub async fn erase(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let actor = user.actor();
    let erased = state
        .write(move |s| match s.erase_contact(id) {
            Err(store::StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
            Ok(erased) => {
                s.audit(
                    &actor,
                    "contact.erase",
                    &format!("contact:{id}"),
                    &json!({"messages": erased.message_ids.len(), "conversations": erased.conversation_ids, "identities": erased.identities}),
                )?;
                Ok(Some(erased))
            }
        })
        .await?
        .ok_or(ApiError::NotFound("contact"))?;
    let engine = state.engine().clone();
    let ids = erased.message_ids.clone();
    tokio::task::spawn_blocking(move || engine.forget(&ids))
        .await?
        .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "erased": {"messages": erased.message_ids.len(), "conversations": erased.conversation_ids.len(), "identities": erased.identities}
    })))
}
