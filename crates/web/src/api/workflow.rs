//! The workflow configuration, webhook receivers and the notification log over HTTP. The
//! configuration is kept as versions of TOML text; every save goes through
//! [`WorkflowConfig::validate`] (the admin page calls [`save_config`] too), so a mistake is
//! refused with its place named and the live engine only ever reads valid versions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use workflow::WorkflowConfig;

use crate::auth::{self, CurrentUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

/// Largest configuration accepted (JSON or TOML text).
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;
/// Longest webhook address and secret.
pub const MAX_URL_BYTES: usize = 2048;
pub const MAX_SECRET_BYTES: usize = 256;

fn invalid_config(message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        code: "invalid_config",
        message: message.into(),
    }
}

/// The newest stored configuration with its version, `None` before the first save.
pub async fn current_config(state: &AppState) -> ApiResult<Option<(i64, WorkflowConfig)>> {
    let stored = state.read(|s| s.workflow_config()).await?;
    match stored {
        None => Ok(None),
        Some((version, text)) => WorkflowConfig::from_toml(&text)
            .map(|cfg| Some((version, cfg)))
            .map_err(|e| ApiError::internal(format!("stored workflow version {version}: {e}"))),
    }
}

/// Validates and saves `cfg` as a new version (audited). With `expected`, the save is
/// refused (409) when the newest stored version is not that one any more, so two people
/// editing at once do not silently undo each other.
pub async fn save_config(
    state: &AppState,
    user: &CurrentUser,
    cfg: &WorkflowConfig,
    expected: Option<Option<i64>>,
) -> ApiResult<i64> {
    cfg.validate().map_err(|e| invalid_config(e.to_string()))?;
    let text = toml::to_string(cfg).map_err(ApiError::internal)?;
    // What is stored must read back as the same configuration (the engine parses it).
    match WorkflowConfig::from_toml(&text) {
        Ok(back) if back == *cfg => {}
        Ok(_) => return Err(ApiError::internal("workflow TOML does not round-trip")),
        Err(e) => return Err(invalid_config(e)),
    }
    let actor = user.actor();
    let detail = json!({
        "teams": cfg.teams.len(),
        "rules": cfg.routing.rules.len(),
        "sla": cfg.sla.len(),
    });
    let saved = state
        .db(move |s| {
            let newest = s.workflow_config()?.map(|(v, _)| v);
            if let Some(want) = expected
                && want != newest
            {
                return Ok::<_, store::StoreError>(None);
            }
            let v = s.save_workflow_config(&text, &actor, chrono::Utc::now())?;
            s.audit(&actor, "workflow.save", &format!("workflow:{v}"), &detail)?;
            Ok(Some(v))
        })
        .await?;
    saved.ok_or_else(|| ApiError::Conflict {
        code: "stale_version",
        message: "the workflow configuration was changed meanwhile; reload and try again".into(),
    })
}

/// `GET /api/v1/workflow`: `{"version": N, "config": {...}}` (both null before the first save).
pub async fn get_config(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(match current_config(&state).await? {
        Some((version, cfg)) => json!({ "version": version, "config": cfg }),
        None => json!({ "version": null, "config": null }),
    }))
}

/// Parses a configuration body: JSON, or TOML when the content type says so.
pub fn parse_config(headers: &HeaderMap, body: &[u8]) -> ApiResult<WorkflowConfig> {
    if body.len() > MAX_CONFIG_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/json" => serde_json::from_slice(body).map_err(|e| {
            if e.is_syntax() || e.is_eof() {
                ApiError::bad("invalid_json", e.to_string())
            } else {
                invalid_config(e.to_string())
            }
        }),
        "application/toml" | "text/toml" | "text/plain" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad("invalid_body", "the TOML text is not UTF-8"))?;
            let cfg: WorkflowConfig =
                toml::from_str(text).map_err(|e| invalid_config(e.to_string()))?;
            Ok(cfg)
        }
        _ => Err(ApiError::bad(
            "unsupported_media_type",
            "send the configuration as JSON (`Content-Type: application/json`) or TOML (`application/toml`)",
        )),
    }
}

/// `PUT /api/v1/workflow`: validates, saves a new version, answers it.
pub async fn put_config(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let cfg = parse_config(&headers, &body)?;
    let version = save_config(&state, &user, &cfg, None).await?;
    Ok(Json(json!({ "version": version, "config": cfg })))
}

/// Checks a webhook address: `http://` or `https://`, a host, no spaces or control
/// characters, at most [`MAX_URL_BYTES`].
pub fn check_webhook_url(url: &str) -> Result<(), ApiError> {
    let why = if url.len() > MAX_URL_BYTES {
        Some(format!("at most {MAX_URL_BYTES} bytes"))
    } else if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("no spaces or control characters".into())
    } else {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            None => Some("must start with http:// or https://".into()),
            Some(rest) => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
                let host_port = authority.rsplit('@').next().unwrap_or("");
                let host = match host_port.strip_prefix('[') {
                    Some(v6) => v6.split(']').next().unwrap_or(""),
                    None => host_port.split(':').next().unwrap_or(""),
                };
                if host.is_empty() {
                    Some("needs a host".into())
                } else {
                    None
                }
            }
        }
    };
    match why {
        Some(why) => Err(ApiError::invalid("url", why)),
        None => Ok(()),
    }
}

pub async fn list_webhooks(State(state): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let hooks = state.read(|s| s.webhooks()).await?;
    Ok(Json(json!({ "webhooks": hooks })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
}

/// Adds a receiver; the answer carries the secret, which is never shown again.
pub async fn add_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let url = body.url.trim().to_owned();
    check_webhook_url(&url)?;
    let secret = match body.secret.map(|s| s.trim().to_owned()) {
        Some(s) if s.len() > MAX_SECRET_BYTES => {
            return Err(ApiError::invalid(
                "secret",
                format!("at most {MAX_SECRET_BYTES} bytes"),
            ));
        }
        Some(s) if s.chars().count() < 16 => {
            return Err(ApiError::invalid("secret", "at least 16 characters"));
        }
        Some(s) => s,
        None => auth::new_secret(),
    };
    let actor = user.actor();
    let (u, sec) = (url.clone(), secret.clone());
    let row = state
        .db(move |s| {
            let id = s.add_webhook(&u, &sec, &actor, chrono::Utc::now())?;
            s.audit(
                &actor,
                "webhook.add",
                &format!("webhook:{id}"),
                &json!({"url": u}),
            )?;
            let row = s.webhooks()?.into_iter().find(|w| w.id == id);
            Ok::<_, store::StoreError>(row)
        })
        .await?
        .ok_or_else(|| ApiError::internal("webhook vanished after insert"))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "webhook": row, "secret": secret })),
    ))
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let actor = user.actor();
    let found = state
        .db(move |s| {
            let ok = s.delete_webhook(id)?;
            if ok {
                s.audit(
                    &actor,
                    "webhook.delete",
                    &format!("webhook:{id}"),
                    &json!({}),
                )?;
            }
            Ok::<_, store::StoreError>(ok)
        })
        .await?;
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("webhook"))
    }
}

#[derive(Debug, Deserialize)]
pub struct NotificationQuery {
    pub conversation: Option<i64>,
    pub limit: Option<u32>,
}

/// `GET /api/v1/notifications`: the log of notifications sent, newest first.
pub async fn notifications(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = state
        .read(move |s| s.notifications(q.conversation, limit))
        .await?;
    Ok(Json(json!({ "notifications": rows })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_addresses() {
        for ok in [
            "http://127.0.0.1:9/hook",
            "https://hooks.example.com/x?y=1",
            "https://user:pw@example.com",
            "http://[::1]:8080/h",
        ] {
            assert!(check_webhook_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("ftp://example.com", "http"),
            ("javascript:alert(1)", "http"),
            ("https://", "host"),
            ("http://:80/x", "host"),
            ("https://exa mple.com", "spaces"),
            (
                &format!("https://e.com/{}", "a".repeat(3000)) as &str,
                "bytes",
            ),
        ] {
            let e = check_webhook_url(bad).unwrap_err().to_string();
            assert!(e.contains("`url`") && e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn config_body_by_media_type() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/toml".parse().unwrap());
        let toml = "[routing]\ndefault_team = \"a\"\n[[teams]]\nid = \"a\"\n";
        assert_eq!(parse_config(&h, toml.as_bytes()).unwrap().teams[0].id, "a");
        let e = parse_config(&h, b"[routing]\ndefault_team = 1\n").unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.to_string().contains("default_team"), "{e}");
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let e =
            parse_config(&h, br#"{"routing": {"default_team": "a", "colour": 1}}"#).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        h.insert(header::CONTENT_TYPE, "image/png".parse().unwrap());
        assert_eq!(
            parse_config(&h, b"").unwrap_err().code(),
            "unsupported_media_type"
        );
    }
}
