//! The server-rendered web interface: one router with every page, the page frame (navigation
//! by role, language, CSRF token), static assets compiled into the binary, and the security
//! headers pages need (a Content-Security-Policy without `unsafe-inline`).
//!
//! Adding a page: a template in `templates/`, a module here with its handler and template
//! struct (first field `c: Frame`), one `.route(...)` line in [`router`], and, if it belongs in
//! the navigation, one entry in [`frame::NAV`].

mod admin;
mod assets;
mod cases;
mod chart;
mod conversation;
mod csrf;
mod dashboard;
mod error;
pub(crate) mod figures;
mod frame;
mod front;
mod i18n;
mod inbox;
mod kb;
mod login;
mod suggest;
mod view;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// Pages may load scripts, styles and images only from this server; no inline script or
/// style is allowed, and no one may frame them.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Every page of the interface. Merged into the application by `web::app`.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(frame::home))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/lang", post(login::switch_language))
        .route("/inbox", get(inbox::page))
        .route("/inbox/version", get(inbox::version))
        .route("/c/{id}", get(conversation::page))
        .route("/c/{id}/reply", post(conversation::reply))
        .route("/c/{id}/note", post(conversation::note))
        .route("/c/{id}/label", post(conversation::label))
        .route("/c/{id}/state", post(conversation::state))
        .route("/c/{id}/assign", post(conversation::assign))
        .route("/c/{id}/kb", post(conversation::to_kb))
        .route("/cases", get(cases::list))
        .route("/cases/{id}", get(cases::page))
        .route("/alarms", get(cases::alarms))
        .route("/alarms/{id}/ack", post(cases::acknowledge))
        .route("/front", get(front::page))
        .route("/dashboard", get(dashboard::page))
        .route("/admin", get(admin::page))
        .route("/admin/users", post(admin::add_user))
        .route("/admin/tokens", post(admin::create_token))
        .route("/admin/workflow", post(admin::workflow))
        .route("/admin/webhooks", post(admin::webhooks))
        .route("/kb", get(kb::index))
        .route("/kb/{slug}", get(kb::article))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/static/icon.svg", get(assets::icon))
        .route("/favicon.ico", get(assets::icon))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::guard,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}
