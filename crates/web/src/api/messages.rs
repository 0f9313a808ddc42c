//! Intake over HTTP: `POST /api/v1/messages` (one message, an array, or `{"messages": [...]}`
//! in the JSONL schema) and signed webhooks. Both answer after the batch is committed (group
//! commit with concurrent requests, see `engine::intake`), with counts and, per message in
//! request order, its id and whether this request stored it (`inserted: false`: a duplicate).

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

/// `{"messages": [...]}`, for the direct parse.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped {
    messages: Vec<Message>,
}

/// Parses a body into messages, naming the failing element and field.
pub fn parse_messages(body: &[u8], max_batch: usize) -> ApiResult<Vec<Message>> {
    // A batch parses straight into messages; anything else (a single message, a bad body)
    // goes through `serde_json::Value`, which can name the failing element.
    let direct = match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice::<Vec<Message>>(body)
            .ok()
            .map(|m| (m, "")),
        Some(b'{') => serde_json::from_slice::<Wrapped>(body)
            .ok()
            .map(|w| (w.messages, "messages")),
        _ => None,
    };
    if let Some((messages, prefix)) = direct {
        check_count(messages.len(), prefix, max_batch)?;
        for (i, m) in messages.iter().enumerate() {
            check_message(m, &format_args!("{prefix}[{i}]"))?;
        }
        return Ok(messages);
    }
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
    check_count(items.len(), prefix, max_batch)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let place = format!("{prefix}[{i}]");
        let m: Message = serde_json::from_value(item)
            .map_err(|e| ApiError::bad("invalid_field", format!("{place}: {e}")))?;
        check_message(&m, &place)?;
        out.push(m);
    }
    Ok(out)
}

fn check_count(n: usize, prefix: &str, max_batch: usize) -> ApiResult<()> {
    let place = if prefix.is_empty() { "body" } else { prefix };
    if n == 0 {
        return Err(ApiError::invalid(place, "no messages"));
    }
    if n > max_batch {
        return Err(ApiError::invalid(
            place,
            format!("{n} messages; at most {max_batch} per request"),
        ));
    }
    Ok(())
}

/// The checks serde cannot express; `place` names the element (`messages[3]`).
fn check_message(m: &Message, place: &dyn std::fmt::Display) -> ApiResult<()> {
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
    Ok(())
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

/// Stores the messages and answers `{"inserted", "duplicates", "results": [{"id", "inserted"}]}`.
async fn file(state: &AppState, messages: Vec<Message>) -> ApiResult<(store::InsertCounts, Value)> {
    let outcomes = state.engine().file(messages).await.map_err(engine_error)?;
    let counts = store::InsertCounts::of(&outcomes);
    let answer = json!({
        "inserted": counts.inserted,
        "duplicates": counts.duplicates,
        "results": outcomes,
    });
    Ok((counts, answer))
}

pub async fn ingest(State(state): State<AppState>, body: Bytes) -> ApiResult<Json<Value>> {
    let messages = parse_messages(&body, state.config().max_batch)?;
    Ok(Json(file(&state, messages).await?.1))
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
    let (counts, answer) = file(&state, messages).await?;
    tracing::info!(message = "webhook intake", %source, inserted = counts.inserted);
    Ok(Json(answer))
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

    #[test]
    fn every_body_shape_parses_to_the_same_messages() {
        let m = |id: &str| {
            json!({"channel": "web", "external_id": id, "author": "a", "text": "t",
                   "created_at": "2026-11-24T10:00:00Z", "direction": "inbound", "visibility": "public"})
        };
        let array = json!([m("1"), m("2")]).to_string();
        let wrapped = json!({"messages": [m("1"), m("2")]}).to_string();
        let parsed = parse_messages(array.as_bytes(), 10).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parse_messages(wrapped.as_bytes(), 10).unwrap(), parsed);
        let single = parse_messages(m("1").to_string().as_bytes(), 10).unwrap();
        assert_eq!(single[..], parsed[..1]);
        // the checks after parsing name the element on the direct path too
        let e = parse_messages(
            json!({"messages": [m("1"), m(" ")]}).to_string().as_bytes(),
            10,
        )
        .unwrap_err();
        assert!(e.to_string().contains("messages[1].external_id"), "{e}");
        let e = parse_messages(array.as_bytes(), 1).unwrap_err();
        assert!(e.to_string().contains("at most 1"), "{e}");
    }
}
