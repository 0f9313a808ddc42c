//! Accounts over HTTP: log in and out, who am I, users, API tokens, the audit log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{self, CurrentUser, Role, Scope};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub name: String,
    pub password: String,
}

#[derive(Debug, Serialize)]
pub struct Me {
    pub name: String,
    pub role: Option<Role>,
    pub language: String,
    /// Present for browser sessions: send it as `X-CSRF-Token` on unsafe requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
    pub permissions: Vec<&'static str>,
}

fn me_of(user: &CurrentUser) -> Me {
    use crate::auth::Permission::*;
    Me {
        name: user.name.clone(),
        role: user.role,
        language: user.language.clone(),
        csrf: user.csrf_token().map(str::to_owned),
        permissions: [Ingest, Read, Act, Report, Manage, DataRights, Admin]
            .into_iter()
            .filter(|p| user.can(*p))
            .map(|p| p.as_str())
            .collect(),
    }
}

pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<Response> {
    let started = auth::start_session(&state, &body.name, &body.password).await?;
    let role = Role::parse(&started.user.role);
    let me = Me {
        name: started.user.name.clone(),
        role,
        language: started.user.language.clone(),
        csrf: Some(started.csrf.clone()),
        permissions: Vec::new(),
    };
    let actor = started.user.name.clone();
    state
        .db(move |s| s.audit(&actor, "login", &format!("user:{actor}"), &json!({})))
        .await?;
    Ok(([(header::SET_COOKIE, started.set_cookie)], Json(me)).into_response())
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let clear = auth::end_session(&state, &headers).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

pub async fn me(user: CurrentUser) -> Json<Me> {
    Json(me_of(&user))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeUpdate {
    pub language: String,
}

pub async fn update_me(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<MeUpdate>,
) -> ApiResult<Json<Me>> {
    if !matches!(body.language.as_str(), "de" | "en") {
        return Err(ApiError::invalid("language", "expected `de` or `en`"));
    }
    let Some(id) = user.user_id else {
        return Err(ApiError::bad(
            "not_a_person",
            "API tokens have no interface language",
        ));
    };
    let lang = body.language.clone();
    state.db(move |s| s.set_user_language(id, &lang)).await?;
    let mut me = me_of(&user);
    me.language = body.language;
    Ok(Json(me))
}

pub async fn list_users(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let users = state.read(|s| s.list_users()).await?;
    Ok(Json(json!({ "users": users })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub name: String,
    pub role: String,
    pub password: String,
}

/// Shortest password we accept.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Validates a user name: 1-64 chars of letters, digits, `.`, `_`, `-`, `@`.
pub fn check_user_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "name",
            "1-64 letters, digits, `.`, `_`, `-` or `@`",
        ))
    }
}

pub async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    check_user_name(&body.name)?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::invalid("role", "expected agent, lead, executive or admin"))?;
    if body.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::invalid(
            "password",
            format!("at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let password = body.password;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password)).await??;
    let actor = user.actor();
    let created = state
        .db(move |s| {
            let u = s.upsert_user(&body.name, role.as_str(), &hash)?;
            s.audit(
                &actor,
                "user.upsert",
                &format!("user:{}", u.name),
                &json!({"role": role.as_str()}),
            )?;
            Ok::<_, store::StoreError>(u)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "user": created }))))
}

pub async fn list_tokens(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let tokens = state.read(|s| s.list_tokens()).await?;
    Ok(Json(json!({ "tokens": tokens })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    pub scopes: Vec<String>,
}

pub async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    check_user_name(&body.name)?;
    let scopes =
        Scope::parse_list(&body.scopes.join(",")).map_err(|e| ApiError::invalid("scopes", e))?;
    let scopes = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let secret = auth::new_api_token();
    let hash = auth::secret_hash(&secret);
    let actor = user.actor();
    let name = body.name.clone();
    let created = state
        .db(move |s| {
            if s.list_tokens()?.iter().any(|t| t.name == name) {
                return Ok(None);
            }
            let t = s.create_token(&name, &hash, &scopes)?;
            s.audit(
                &actor,
                "token.create",
                &format!("token:{name}"),
                &json!({"scopes": scopes}),
            )?;
            Ok::<_, store::StoreError>(Some(t))
        })
        .await?
        .ok_or_else(|| ApiError::Conflict {
            code: "name_taken",
            message: format!("field `name`: a token named `{}` exists", body.name),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": created, "secret": secret })),
    ))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let actor = user.actor();
    let found = state
        .db(move |s| {
            let ok = s.revoke_token(id)?;
            if ok {
                s.audit(&actor, "token.revoke", &format!("token:{id}"), &json!({}))?;
            }
            Ok::<_, store::StoreError>(ok)
        })
        .await?;
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("token"))
    }
}

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    pub limit: Option<u32>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.read(move |s| s.audit_log(limit)).await?;
    Ok(Json(json!({ "entries": entries })))
}
