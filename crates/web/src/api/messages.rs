//! Intake over HTTP: `POST /api/v1/messages` (one message, an array, or `{"messages": [...]}`
//! in the JSONL schema) and signed webhooks. Both answer after the batch is committed.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use model::Message;
use serde_json::{Value, json};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Parses a body into messages, naming the failing element and field.
pub fn parse_messages(body: &[u8], max_batch: usize) -> ApiResult<Vec<Message>> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad("invalid_json", format!("body: {e}")))?;
    let (items, prefix) = match value {
        Value::Array(items) => (items, ""),
        Value::Object(mut map) if map.contains_key("messages") => match map.remove("messages") {
            Some(Value::Array(items)) => (items, "messages"),
            _ => {
                return Err(ApiError::invalid(
                    "messages",
                    "expected an array of messages",
                ));
            }
        },
        single @ Value::Object(_) => (vec![single], ""),
        _ => {
            return Err(ApiError::bad(
                "invalid_body",
                "expected a message, an array of messages or {\"messages\": [...]}",
            ));
        }
    };
    if items.is_empty() {
        return Err(ApiError::invalid(
            if prefix.is_empty() { "body" } else { prefix },
            "no messages",
        ));
    }
    if items.len() > max_batch {
        return Err(ApiError::invalid(
            if prefix.is_empty() { "body" } else { prefix },
            format!("{} messages; at most {max_batch} per request", items.len()),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let place = format!("{prefix}[{i}]");
        let m: Message = serde_json::from_value(item)
            .map_err(|e| ApiError::bad("invalid_field", format!("{place}: {e}")))?;
        for (field, value) in [
            ("channel", &m.channel),
            ("external_id", &m.external_id),
            ("author", &m.author),
        ] {
            if value.trim().is_empty() {
                return Err(ApiError::invalid(
                    &format!("{place}.{field}"),
                    "must not be empty",
                ));
            }
        }
        if m.channel.len() > 64 || m.external_id.len() > 256 {
            return Err(ApiError::invalid(
                &format!("{place}.channel/external_id"),
                "too long (64/256 bytes)",
            ));
        }
        out.push(m);
    }
    Ok(out)
}

pub(crate) fn engine_error(e: engine::EngineError) -> ApiError {
    match e {
        engine::EngineError::Busy(n) => ApiError::Conflict {
            code: "busy",
            message: format!("the pipeline is {n} messages behind; retry shortly"),
        },
        engine::EngineError::ShuttingDown => ApiError::Unavailable,
        other => ApiError::internal(other),
    }
}

pub async fn ingest(State(state): State<AppState>, body: Bytes) -> ApiResult<Json<Value>> {
    let messages = parse_messages(&body, state.config().max_batch)?;
    let counts = state
        .engine()
        .ingest(messages)
        .await
        .map_err(engine_error)?;
    Ok(Json(
        json!({"inserted": counts.inserted, "duplicates": counts.duplicates}),
    ))
}

/// Header with the unix time (seconds) the sender signed at.
pub const TIMESTAMP_HEADER: &str = "x-kundenversteher-timestamp";
/// Header with `sha256=` + hex HMAC-SHA256 over `TIMESTAMP.BODY`.
pub const SIGNATURE_HEADER: &str = "x-kundenversteher-signature";

/// Computes the signature header value a sender must send.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks timestamp tolerance and the signature (constant-time).
pub fn verify_signature(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    tolerance: chrono::Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<()> {
    let ts: i64 = headers
        .get(TIMESTAMP_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or(ApiError::Unauthenticated)?;
    if (now.timestamp() - ts).abs() > tolerance.num_seconds() {
        return Err(ApiError::Unauthenticated);
    }
    let presented = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Unauthenticated)?;
    let expected = sign(secret, ts, body);
    if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Unauthenticated)
    }
}

pub async fn webhook(
    State(state): State<AppState>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let Some(secret) = state.config().webhook_secret.clone() else {
        return Err(ApiError::Unauthenticated);
    };
    verify_signature(
        &secret,
        &headers,
        &body,
        state.config().webhook_tolerance,
        chrono::Utc::now(),
    )?;
    let messages = parse_messages(&body, state.config().max_batch)?;
    let counts = state
        .engine()
        .ingest(messages)
        .await
        .map_err(engine_error)?;
    tracing::info!(message = "webhook intake", %source, inserted = counts.inserted);
    Ok(Json(
        json!({"inserted": counts.inserted, "duplicates": counts.duplicates}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_checks_time_and_body() {
        let now = chrono::Utc::now();
        let body = br#"{"a":1}"#;
        let mut h = HeaderMap::new();
        h.insert(
            TIMESTAMP_HEADER,
            now.timestamp().to_string().parse().unwrap(),
        );
        h.insert(
            SIGNATURE_HEADER,
            sign("s3cret", now.timestamp(), body).parse().unwrap(),
        );
        let tol = chrono::Duration::minutes(5);
        assert!(verify_signature("s3cret", &h, body, tol, now).is_ok());
        assert!(verify_signature("other", &h, body, tol, now).is_err());
        assert!(verify_signature("s3cret", &h, br#"{"a":2}"#, tol, now).is_err());
        let later = now + chrono::Duration::minutes(6);
        assert!(verify_signature("s3cret", &h, body, tol, later).is_err());
    }

    #[test]
    fn parse_names_the_element_and_field() {
        let e = parse_messages(br#"[{"channel":"web"}]"#, 10).unwrap_err();
        assert!(
            e.to_string().contains("[0]") && e.to_string().contains("external_id"),
            "{e}"
        );
        let e = parse_messages(b"[]", 10).unwrap_err();
        assert!(e.to_string().contains("no messages"));
    }
}
