//! Administration: users, teams and skills, routing rules, response-time policies, webhooks
//! and API tokens. Changes go through the same handlers as the API, so validation and the
//! audit log are the same whichever way an admin works.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::error::{UiError, UiResult, render};
use super::frame::{Frame, Viewer, role_label};
use super::view::{Choice, fmt_time};
use crate::api::accounts::{self, NewToken, NewUser};
use crate::auth::{Permission, Role};
use crate::extract::ApiJson;
use crate::state::AppState;

pub struct UserRow {
    pub name: String,
    pub role: &'static str,
    pub language: String,
    pub created: String,
}

pub struct TokenRow {
    pub name: String,
    pub scopes: String,
    pub created: String,
    pub state: &'static str,
}

/// A read-only table of configuration (teams, rules, policies, webhooks).
pub struct ConfigTable {
    pub id: &'static str,
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Frame,
    users: Vec<UserRow>,
    roles: Vec<Choice>,
    tokens: Vec<TokenRow>,
    tables: Vec<ConfigTable>,
    new_token: Option<String>,
}

async fn render_admin(
    state: &AppState,
    viewer: &Viewer,
    c: Frame,
    new_token: Option<String>,
) -> UiResult {
    viewer.require(Permission::Admin)?;
    let lang = viewer.lang;
    let s = viewer.s();
    let (users, tokens) = state
        .db(|st| Ok::<_, store::StoreError>((st.list_users()?, st.list_tokens()?)))
        .await
        .map_err(viewer.error())?;
    let users = users
        .into_iter()
        .map(|u| UserRow {
            role: role_label(s, Role::parse(&u.role)),
            name: u.name,
            language: u.language,
            created: fmt_time(u.created_at),
        })
        .collect();
    let tokens = tokens
        .into_iter()
        .map(|t| TokenRow {
            name: t.name,
            scopes: t.scopes,
            created: fmt_time(t.created_at),
            state: if t.revoked { "revoked" } else { "active" },
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice::new(r.as_str(), role_label(s, Some(*r)), false))
        .collect();
    let tables = super::view::config_tables(state, s);
    render(
        lang,
        &AdminPage {
            c,
            users,
            roles,
            tokens,
            tables,
            new_token,
        },
    )
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> UiResult {
    let c = viewer.frame("/admin");
    render_admin(&state, &viewer, c, None).await
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    name: String,
    role: String,
    password: String,
}

pub async fn add_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<UserForm>,
) -> UiResult {
    viewer.require(Permission::Admin)?;
    let _created = accounts::create_user(
        State(state),
        viewer.user.clone(),
        ApiJson(NewUser {
            name: f.name,
            role: f.role,
            password: f.password,
        }),
    )
    .await
    .map_err(viewer.error())?;
    Ok(Redirect::to("/admin").into_response())
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    scopes: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<TokenForm>,
) -> UiResult {
    viewer.require(Permission::Admin)?;
    let (_, axum::Json(created)) = accounts::create_token(
        State(state.clone()),
        viewer.user.clone(),
        ApiJson(NewToken {
            name: f.name,
            scopes: f.scopes.split(',').map(|s| s.trim().to_owned()).collect(),
        }),
    )
    .await
    .map_err(viewer.error())?;
    let secret = created["secret"].as_str().map(str::to_owned);
    let c = viewer.frame("/admin");
    render_admin(&state, &viewer, c, secret)
        .await
        .map_err(|e: UiError| e)
}
