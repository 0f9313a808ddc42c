//! CSRF protection for every form of the interface, in one place: a middleware on the UI
//! router checks the `csrf` field of every unsafe request before any handler runs. Signed-in
//! people use the token bound to their session; visitors without a session (the login form,
//! the language switch on public pages) use a double-submit cookie set on their first visit.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::error::UiError;
use super::frame::lang_of;
use crate::auth::{self, is_unsafe};
use crate::state::AppState;

/// Cookie with the token for forms sent before login.
pub const PRE_SESSION_COOKIE: &str = "kv_csrf";

/// Largest form body the UI accepts (a reply or a knowledge-base article).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The pre-session token of this request, for templates.
#[derive(Debug, Clone)]
pub struct PreSessionCsrf(pub String);

/// The `csrf` field of an urlencoded form.
fn form_field(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
}

fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let existing = auth::cookie(&parts.headers, PRE_SESSION_COOKIE)
        .filter(|v| v.len() == 64)
        .map(str::to_owned);
    let (pre, fresh) = match existing {
        Some(t) => (t, false),
        None => (auth::new_secret(), true),
    };
    parts.extensions.insert(PreSessionCsrf(pre.clone()));

    let body = if is_unsafe(&parts.method) {
        let lang = lang_of(None, &parts.headers);
        let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => return UiError::bad(lang, "form too large").into_response(),
        };
        let presented = form_field(&bytes);
        let user = auth::authenticate(&state, &parts.headers)
            .await
            .ok()
            .flatten();
        let ok = match (&user, presented.as_deref()) {
            (Some(u), p) if u.csrf_token().is_some() => u.verify_csrf(p).is_ok(),
            (_, Some(p)) => !fresh && same(p, &pre),
            _ => false,
        };
        if !ok {
            tracing::warn!(message = "csrf check failed", path = %parts.uri.path());
            return UiError::csrf(lang_of(user.as_ref(), &parts.headers)).into_response();
        }
        if let Some(u) = user {
            parts.extensions.insert(u);
        }
        Body::from(bytes)
    } else {
        body
    };

    let mut response = next.run(Request::from_parts(parts, body)).await;
    if fresh {
        let cookie = format!(
            "{PRE_SESSION_COOKIE}={pre}; Path=/; HttpOnly; SameSite=Strict{}",
            if state.config().secure_cookies {
                "; Secure"
            } else {
                ""
            }
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_among_others() {
        assert_eq!(
            form_field(b"text=a%26b&csrf=abc%3D&x=1").as_deref(),
            Some("abc=")
        );
        assert_eq!(form_field(b"text=1"), None);
        assert!(!same("", ""));
        assert!(same("ab", "ab"));
        assert!(!same("ab", "ac"));
    }
}
