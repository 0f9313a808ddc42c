//! Signing in and out, and the language switch (stored with the user; a cookie for visitors).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::error::{UiError, UiResult, render};
use super::frame::{Frame, LANG_COOKIE, PublicFrame, lang_of, safe_next};
use super::i18n::Lang;
use crate::auth::{self, CurrentUser};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Frame,
    next: String,
    name: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn form(PublicFrame(c): PublicFrame, Query(q): Query<NextQuery>) -> UiResult {
    let lang = c.lang;
    render(
        lang,
        &LoginPage {
            c,
            next: safe_next(&q.next).to_owned(),
            name: String::new(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    PublicFrame(c): PublicFrame,
    Form(f): Form<LoginForm>,
) -> UiResult {
    let lang = c.lang;
    match auth::start_session(&state, &f.name, &f.password).await {
        Ok(started) => {
            let actor = started.user.name.clone();
            state
                .db(move |s| {
                    s.audit(
                        &actor,
                        "login",
                        &format!("user:{actor}"),
                        &json!({"via": "ui"}),
                    )
                })
                .await
                .map_err(|e| UiError::from_api(lang, e))?;
            let mut resp = Redirect::to(safe_next(&f.next)).into_response();
            set_cookie(&mut resp, &started.set_cookie);
            Ok(resp)
        }
        Err(ApiError::BadRequest { .. }) => {
            let s = c.s;
            let mut resp = render(
                lang,
                &LoginPage {
                    c: c.with_notice(s.login_failed, true),
                    next: safe_next(&f.next).to_owned(),
                    name: f.name,
                },
            )?;
            *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(resp)
        }
        Err(e) => Err(UiError::from_api(lang, e)),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> UiResult {
    let lang = lang_of(None, &headers);
    let clear = auth::end_session(&state, &headers)
        .await
        .map_err(|e| UiError::from_api(lang, e))?;
    let mut resp = Redirect::to("/login").into_response();
    set_cookie(&mut resp, &clear);
    Ok(resp)
}

#[derive(Debug, Deserialize)]
pub struct LangForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// Stores the language with the user when signed in, and in a cookie either way (so the
/// login page keeps it after signing out).
pub async fn switch_language(
    State(state): State<AppState>,
    user: Option<CurrentUser>,
    headers: HeaderMap,
    Form(f): Form<LangForm>,
) -> Result<Response, UiError> {
    let current = lang_of(user.as_ref(), &headers);
    let Some(lang) = Lang::parse(&f.lang) else {
        return Err(UiError::bad(current, "field `lang`: expected `de` or `en`"));
    };
    if let Some(id) = user.as_ref().and_then(|u| u.user_id) {
        let code = lang.code();
        state
            .db(move |s| s.set_user_language(id, code))
            .await
            .map_err(|e| UiError::from_api(current, e))?;
    }
    let mut resp = Redirect::to(safe_next(&f.back)).into_response();
    set_cookie(
        &mut resp,
        &format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            lang.code()
        ),
    );
    Ok(resp)
}

fn set_cookie(resp: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}
