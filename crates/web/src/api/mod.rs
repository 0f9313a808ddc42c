//! The JSON API under `/api/v1`: one explicit table of endpoints. Each row names the method,
//! path, the permission it needs, and its OpenAPI summary; the router, the permission check,
//! the OpenAPI document and the auth test are all built from this table, so they cannot
//! drift apart. Adding a route: a handler in a resource module plus one row here.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};

/// Query parameters of the conversation list (also used by search).
const LIST_QUERY: &[(&str, &str)] = &[
    ("state", "open, pending or resolved"),
    ("channel", "channel name"),
    ("language", "de, en or other"),
    ("sentiment", "negative, neutral or positive"),
    ("topic", "topic label"),
    ("case", "case id"),
    ("assignee", "user name; `none` for unassigned"),
    ("from", "last activity at or after (RFC 3339)"),
    ("to", "last activity before (RFC 3339)"),
    (
        "sort",
        "priority (default), age, recent or due (running targets, soonest first)",
    ),
    ("cursor", "`next` of the previous page"),
    ("limit", "page size, 1-500 (default 50)"),
];

const SEARCH_QUERY: &[(&str, &str)] = &[
    (
        "q",
        "words (German and English stemming); tantivy syntax: \"exact phrase\", -not, a OR b",
    ),
    ("state", "open, pending or resolved"),
    ("channel", "channel name"),
    ("language", "de, en or other"),
    ("sentiment", "negative, neutral or positive"),
    ("topic", "topic label"),
    ("direction", "inbound or outbound"),
    ("case", "case id"),
    ("assignee", "user name"),
    ("from", "created at or after (RFC 3339)"),
    ("to", "created before (RFC 3339)"),
    ("limit", "1-200 (default 20)"),
    ("offset", "skip this many hits"),
];

use crate::auth::{CSRF_HEADER, CurrentUser, Permission, authenticate, is_unsafe};
use crate::error::ApiError;
use crate::state::AppState;

pub mod accounts;
pub mod contacts;
pub mod conversations;
pub mod insight;
pub mod messages;
pub mod ops;
pub mod search;
pub mod workflow;

/// One row of the endpoint table.
#[derive(Clone)]
pub struct Endpoint {
    pub method: Method,
    /// axum path syntax, which is also OpenAPI's: `/api/v1/conversations/{id}`.
    pub path: &'static str,
    pub permission: Permission,
    /// OpenAPI tag (resource).
    pub tag: &'static str,
    pub summary: &'static str,
    /// Name of the request body schema in the OpenAPI components, if any.
    pub request: Option<&'static str>,
    /// Query parameters (name, description).
    pub query: &'static [(&'static str, &'static str)],
    handler: fn() -> MethodRouter<AppState>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.permission)
    }
}

struct Row {
    method: Method,
    path: &'static str,
    permission: Permission,
    tag: &'static str,
    summary: &'static str,
}

impl Row {
    fn handler(self, handler: fn() -> MethodRouter<AppState>) -> Endpoint {
        Endpoint {
            method: self.method,
            path: self.path,
            permission: self.permission,
            tag: self.tag,
            summary: self.summary,
            request: None,
            query: &[],
            handler,
        }
    }
}

fn row(
    method: Method,
    path: &'static str,
    permission: Permission,
    tag: &'static str,
    summary: &'static str,
) -> Row {
    Row {
        method,
        path,
        permission,
        tag,
        summary,
    }
}

impl Endpoint {
    fn body(mut self, schema: &'static str) -> Self {
        self.request = Some(schema);
        self
    }

    fn query(mut self, params: &'static [(&'static str, &'static str)]) -> Self {
        self.query = params;
        self
    }
}

/// Every endpoint of the server (the HTML UI's pages excepted). The single source of truth.
pub fn endpoints() -> Vec<Endpoint> {
    use Permission::*;
    vec![
        row(
            Method::GET,
            "/healthz",
            Public,
            "ops",
            "Liveness: 200 when the server runs",
        )
        .handler(|| get(ops::healthz)),
        row(
            Method::GET,
            "/metrics",
            Read,
            "ops",
            "Prometheus metrics (needs `read`)",
        )
        .handler(|| get(ops::metrics)),
        row(
            Method::GET,
            "/api/openapi.json",
            Public,
            "ops",
            "This OpenAPI document",
        )
        .handler(|| get(ops::openapi)),
        // accounts
        row(
            Method::POST,
            "/api/v1/session",
            Public,
            "accounts",
            "Log in: sets the session cookie, returns the CSRF token",
        )
        .handler(|| post(accounts::login))
        .body("Login"),
        row(
            Method::DELETE,
            "/api/v1/session",
            Public,
            "accounts",
            "Log out",
        )
        .handler(|| delete(accounts::logout)),
        row(
            Method::GET,
            "/api/v1/me",
            Read,
            "accounts",
            "Who am I: name, role, permissions",
        )
        .handler(|| get(accounts::me)),
        row(
            Method::PATCH,
            "/api/v1/me",
            Read,
            "accounts",
            "Change my interface language",
        )
        .handler(|| patch(accounts::update_me))
        .body("MeUpdate"),
        row(
            Method::GET,
            "/api/v1/users",
            Admin,
            "accounts",
            "List users",
        )
        .handler(|| get(accounts::list_users)),
        row(
            Method::POST,
            "/api/v1/users",
            Admin,
            "accounts",
            "Create a user or reset role and password",
        )
        .handler(|| post(accounts::create_user))
        .body("NewUser"),
        row(
            Method::GET,
            "/api/v1/tokens",
            Admin,
            "accounts",
            "List API tokens (never the secret)",
        )
        .handler(|| get(accounts::list_tokens)),
        row(
            Method::POST,
            "/api/v1/tokens",
            Admin,
            "accounts",
            "Create an API token; the secret is in this answer only",
        )
        .handler(|| post(accounts::create_token))
        .body("NewToken"),
        row(
            Method::DELETE,
            "/api/v1/tokens/{id}",
            Admin,
            "accounts",
            "Revoke an API token",
        )
        .handler(|| delete(accounts::revoke_token)),
        // intake
        row(Method::POST, "/api/v1/messages", Ingest, "intake", "Ingest one message or a batch (idempotent by channel + external_id); answers after commit")
            .handler(|| post(messages::ingest))
            .body("MessageBatch"),
        // `{id}` is the sending source's name here (it shares the path with the receivers' DELETE)
        row(Method::POST, "/api/v1/webhooks/{id}", Signed, "intake", "Signed webhook intake from the source `{id}`: same body as /api/v1/messages, HMAC-SHA256 signature and timestamp headers")
            .handler(|| post(messages::webhook))
            .body("MessageBatch"),
        // conversations
        row(Method::GET, "/api/v1/conversations", Read, "conversations", "List conversations with filters, sorted by priority or age, cursor-paginated")
            .handler(|| get(conversations::list))
            .query(LIST_QUERY),
        row(Method::GET, "/api/v1/conversations/{id}", Read, "conversations", "One conversation with its messages, analyses, corrections and notes")
            .handler(|| get(conversations::detail)),
        row(Method::POST, "/api/v1/conversations/{id}/reply", Act, "conversations", "Reply: stored as an outbound message answering the latest customer message")
            .handler(|| post(conversations::reply))
            .body("Text"),
        row(Method::POST, "/api/v1/conversations/{id}/notes", Act, "conversations", "Add an internal note")
            .handler(|| post(conversations::add_note))
            .body("Text"),
        row(Method::POST, "/api/v1/conversations/{id}/assign", Act, "conversations", "Assign to a user (null unassigns)")
            .handler(|| post(conversations::assign))
            .body("Assign"),
        row(Method::POST, "/api/v1/conversations/{id}/state", Act, "conversations", "Change the state: open, pending, resolved")
            .handler(|| post(conversations::change_state))
            .body("State"),
        row(Method::POST, "/api/v1/messages/{id}/labels", Act, "conversations", "Correct an analysis label; kept as training data")
            .handler(|| post(conversations::correct_label))
            .body("Label"),
        row(Method::GET, "/api/v1/training-data", Manage, "conversations", "Corrected messages as JSONL for `kundenversteher train`")
            .handler(|| get(conversations::training_data)),
        // search
        row(Method::GET, "/api/v1/search", Read, "search", "Full-text search over all messages with filters and highlighted snippets")
            .handler(|| get(search::search))
            .query(SEARCH_QUERY),
        // contacts and data rights
        row(Method::GET, "/api/v1/contacts", Read, "contacts", "Find the contact behind a handle")
            .handler(|| get(contacts::lookup))
            .query(&[("channel", "channel name"), ("handle", "the author's handle on that channel")]),
        row(Method::GET, "/api/v1/contacts/{id}", Read, "contacts", "A contact with its identities")
            .handler(|| get(contacts::get)),
        row(Method::POST, "/api/v1/contacts/{id}/merge", Manage, "contacts", "Merge this contact into another (undoable)")
            .handler(|| post(contacts::merge))
            .body("Merge"),
        row(Method::POST, "/api/v1/contacts/{id}/unmerge", Manage, "contacts", "Undo the latest merge of this contact")
            .handler(|| post(contacts::unmerge)),
        row(Method::GET, "/api/v1/contacts/{id}/export", DataRights, "contacts", "Export everything about a contact as JSON (audited)")
            .handler(|| get(contacts::export)),
        row(Method::DELETE, "/api/v1/contacts/{id}", DataRights, "contacts", "Erase a contact everywhere: store and search index (audited)")
            .handler(|| delete(contacts::erase)),
        // insight
        row(Method::GET, "/api/v1/cases", Read, "insight", "Cases with their conversation counts")
            .handler(|| get(insight::cases)),
        row(Method::GET, "/api/v1/alerts", Read, "insight", "Early-warning alerts (bursts), newest first")
            .handler(|| get(insight::alerts)),
        row(Method::GET, "/api/v1/report", Read, "insight", "The figures of `kundenversteher report` over the whole store (docs/METRICS.md), at most five minutes old")
            .handler(|| get(insight::report)),
        row(Method::GET, "/api/v1/kb", Public, "kb", "Public knowledge base: search articles")
            .handler(|| get(insight::kb_search))
            .query(&[("q", "words")]),
        row(Method::GET, "/api/v1/kb/{slug}", Public, "kb", "Public knowledge base: one article")
            .handler(|| get(insight::kb_article)),
        // workflow
        row(Method::GET, "/api/v1/workflow", Manage, "workflow", "The current workflow configuration (teams, routing rules, SLA policies, ...) as JSON with its version")
            .handler(|| get(workflow::get_config)),
        row(Method::PUT, "/api/v1/workflow", Admin, "workflow", "Save a new workflow configuration version (JSON, or TOML with `Content-Type: application/toml`); 422 names the field of a mistake; audited")
            .handler(|| put(workflow::put_config))
            .body("WorkflowConfig"),
        row(Method::GET, "/api/v1/webhooks", Admin, "workflow", "Webhook receivers of notifications (never the secret)")
            .handler(|| get(workflow::list_webhooks)),
        row(Method::POST, "/api/v1/webhooks", Admin, "workflow", "Add a webhook receiver; the signing secret is in this answer only")
            .handler(|| post(workflow::add_webhook))
            .body("NewWebhook"),
        row(Method::DELETE, "/api/v1/webhooks/{id}", Admin, "workflow", "Remove a webhook receiver")
            .handler(|| delete(workflow::delete_webhook)),
        row(Method::GET, "/api/v1/notifications", Read, "workflow", "Notifications sent (escalations, alerts), newest first")
            .handler(|| get(workflow::notifications))
            .query(&[("conversation", "only those about this conversation id"), ("limit", "1-1000 (default 100)")]),
        row(
            Method::GET,
            "/api/v1/audit",
            Admin,
            "accounts",
            "The audit log, newest first",
        )
        .handler(|| get(accounts::audit_log))
        .query(&[("limit", "at most this many entries (default 100, max 1000)")]),
    ]
}

/// The API router: every endpoint with its permission check in front.
pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for endpoint in endpoints() {
        let permission = endpoint.permission;
        let guard = middleware::from_fn_with_state(
            state.clone(),
            move |State(state): State<AppState>, req: Request, next: Next| {
                guard(state, permission, req, next)
            },
        );
        router = router.route(endpoint.path, (endpoint.handler)().route_layer(guard));
    }
    router
}

/// Authenticates and authorises before the handler runs: 401 without (valid) credentials,
/// 403 when the caller lacks the endpoint's permission or a cookie-authenticated unsafe
/// request lacks the CSRF header.
async fn guard(state: AppState, permission: Permission, mut req: Request, next: Next) -> Response {
    if matches!(permission, Permission::Public | Permission::Signed) {
        return next.run(req).await;
    }
    let user = match authenticate(&state, req.headers()).await {
        Ok(Some(user)) => user,
        Ok(None) => return ApiError::Unauthenticated.into_response(),
        Err(e) => return e.into_response(),
    };
    if let Err(e) = user.require(permission) {
        return e.into_response();
    }
    if is_unsafe(req.method()) {
        let presented = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if let Err(e) = user.verify_csrf(presented) {
            return e.into_response();
        }
    }
    req.extensions_mut().insert::<CurrentUser>(user);
    next.run(req).await
}
