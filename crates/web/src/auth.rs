//! Who is asking and what they may do: roles for people, scopes for API tokens, the
//! permission table, password hashing (argon2id), session cookies with a CSRF token, bearer
//! tokens stored as SHA-256 hashes, and the `CurrentUser` extractor the API and the UI share.

use std::fmt;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "kv_session";
/// Header carrying the CSRF token on unsafe API requests authenticated by cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a person is in the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Lead,
    Executive,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Agent, Role::Lead, Role::Executive, Role::Admin];

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "agent" => Some(Role::Agent),
            "lead" => Some(Role::Lead),
            "executive" => Some(Role::Executive),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Lead => "lead",
            Role::Executive => "executive",
            Role::Admin => "admin",
        }
    }

    /// The permission table for people (docs/API.md shows the same table).
    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            Role::Agent => Permissions::of(&[Read, Act]),
            Role::Executive => Permissions::of(&[Read, Act, Report]),
            Role::Lead => Permissions::of(&[Read, Act, Report, Manage]),
            Role::Admin => Permissions::of(&[Read, Act, Report, Manage, DataRights, Admin, Ingest]),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Ingest,
    Read,
    Act,
    Admin,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ingest" => Some(Scope::Ingest),
            "read" => Some(Scope::Read),
            "act" => Some(Scope::Act),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Read => "read",
            Scope::Act => "act",
            Scope::Admin => "admin",
        }
    }

    /// Parses `ingest,read,act`; names the bad scope.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let scope = Scope::parse(part).ok_or_else(|| {
                format!("unknown scope `{part}` (expected ingest, read, act or admin)")
            })?;
            if !out.contains(&scope) {
                out.push(scope);
            }
        }
        if out.is_empty() {
            return Err("no scope given (expected ingest, read, act or admin)".into());
        }
        Ok(out)
    }

    /// The permission table for tokens.
    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            Scope::Ingest => Permissions::of(&[Ingest]),
            Scope::Read => Permissions::of(&[Read, Report]),
            Scope::Act => Permissions::of(&[Act]),
            Scope::Admin => {
                Permissions::of(&[Ingest, Read, Act, Report, Manage, DataRights, Admin])
            }
        }
    }
}

/// What a route needs. `Public` routes need nothing; `Signed` routes check an HMAC signature
/// instead of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    Public,
    Signed,
    /// Post messages into the store.
    Ingest,
    /// See conversations, contacts, cases, alerts, search, metrics.
    Read,
    /// Reply, note, assign, change state, correct labels.
    Act,
    /// Figures and reports.
    Report,
    /// Team leads: merge contacts, acknowledge alerts, export training data, rules.
    Manage,
    /// Export or erase everything about a contact.
    DataRights,
    /// Users and tokens, audit log.
    Admin,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Public => "public",
            Permission::Signed => "signed",
            Permission::Ingest => "ingest",
            Permission::Read => "read",
            Permission::Act => "act",
            Permission::Report => "report",
            Permission::Manage => "manage",
            Permission::DataRights => "data_rights",
            Permission::Admin => "admin",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Permissions(u16);

impl Permissions {
    pub fn of(list: &[Permission]) -> Self {
        Permissions(list.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn union(self, other: Permissions) -> Self {
        Permissions(self.0 | other.0)
    }

    pub fn contains(self, p: Permission) -> bool {
        matches!(p, Permission::Public) || self.0 & p.bit() != 0
    }
}

/// How the request proved who it is.
#[derive(Debug, Clone)]
pub enum AuthMethod {
    /// Browser session; unsafe requests must carry `csrf`.
    Session { csrf: String },
    /// `Authorization: Bearer TOKEN`.
    Token { token_id: i64 },
}

/// The authenticated caller: a person (session or, later, a personal token) or an API token.
/// Extract it in a handler to require login; `Option<CurrentUser>` for pages that work
/// either way.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Users table id; `None` for API tokens.
    pub user_id: Option<i64>,
    /// User name or token name.
    pub name: String,
    /// `None` for API tokens.
    pub role: Option<Role>,
    /// Interface language (`de`/`en`).
    pub language: String,
    pub permissions: Permissions,
    pub method: AuthMethod,
}

impl CurrentUser {
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(p)
    }

    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(p))
        }
    }

    /// How this caller appears in the audit log and on notes: `anna` or `token:ci`.
    pub fn actor(&self) -> String {
        match self.method {
            AuthMethod::Session { .. } => self.name.clone(),
            AuthMethod::Token { .. } => format!("token:{}", self.name),
        }
    }

    /// The session's CSRF token, for forms (`None` for API tokens, which need none).
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.method {
            AuthMethod::Session { csrf } => Some(csrf),
            AuthMethod::Token { .. } => None,
        }
    }

    /// Constant-time check of a CSRF token from a form field or header. Token-authenticated
    /// callers pass: a bearer token cannot be sent by a foreign site.
    pub fn verify_csrf(&self, presented: Option<&str>) -> Result<(), ApiError> {
        match &self.method {
            AuthMethod::Token { .. } => Ok(()),
            AuthMethod::Session { csrf } => match presented {
                Some(p) if bool::from(p.as_bytes().ct_eq(csrf.as_bytes())) => Ok(()),
                _ => Err(ApiError::Csrf),
            },
        }
    }
}

/// 32 random bytes as lowercase hex: session ids, API tokens (prefixed `kv_`), CSRF tokens.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A fresh API token as shown once to its creator.
pub fn new_api_token() -> String {
    format!("kv_{}", new_secret())
}

/// What we store instead of a session id or token: its SHA-256. The secret has 256 bits of
/// entropy, so a fast hash is enough (no password stretching needed).
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// argon2id with the crate's default parameters, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| ApiError::internal(format!("salt: {e}")))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("argon2: {e}")))
}

/// Checks a password against a PHC string; a malformed hash counts as a mismatch.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(phc) {
        Ok(hash) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// The value of the `Set-Cookie` header that starts a session.
pub fn session_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The value of the `Set-Cookie` header that ends a session.
pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// Reads one cookie from the `Cookie` headers. Written by hand: this is the only cookie we
/// read, and the format (`a=b; c=d`) is simple enough not to pull in a cookie-jar crate.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Authenticates a request from its headers: bearer token first, then the session cookie.
/// `Ok(None)` when no credentials were sent; `Err(Unauthenticated)` when they are wrong.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<CurrentUser>, ApiError> {
    if let Some(token) = bearer(headers) {
        let hash = secret_hash(token);
        let found = state.read(move |store| store.find_token(&hash)).await?;
        // Record use at most once a minute: a write per request would compete with ingest.
        if let Some(t) = &found {
            let stale = t
                .last_used_at
                .is_none_or(|at| chrono::Utc::now() - at > chrono::Duration::minutes(1));
            if stale {
                let id = t.id;
                state.db(move |store| store.touch_token(id)).await?;
            }
        }
        let Some(t) = found else {
            return Err(ApiError::Unauthenticated);
        };
        let permissions = t
            .scopes
            .split(',')
            .filter_map(Scope::parse)
            .fold(Permissions::default(), |acc, s| acc.union(s.permissions()));
        return Ok(Some(CurrentUser {
            user_id: None,
            name: t.name,
            role: None,
            language: "en".into(),
            permissions,
            method: AuthMethod::Token { token_id: t.id },
        }));
    }
    if let Some(value) = cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty()) {
        let hash = secret_hash(value);
        let found = state.read(move |store| store.find_session(&hash)).await?;
        let Some(s) = found else {
            return Err(ApiError::Unauthenticated);
        };
        let role = Role::parse(&s.user.role)
            .ok_or_else(|| ApiError::internal(format!("user {} has unknown role", s.user.id)))?;
        return Ok(Some(CurrentUser {
            user_id: Some(s.user.id),
            name: s.user.name,
            role: Some(role),
            language: s.user.language,
            permissions: role.permissions(),
            method: AuthMethod::Session { csrf: s.csrf },
        }));
    }
    Ok(None)
}

/// Is this method one that changes state (and so needs CSRF protection for cookie auth)?
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let user = authenticate(state, &parts.headers)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    /// Missing or stale credentials give `None` (public pages stay reachable).
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(Some(user.clone()));
        }
        match authenticate(state, &parts.headers).await {
            Ok(Some(user)) => {
                parts.extensions.insert(user.clone());
                Ok(Some(user))
            }
            Ok(None) | Err(ApiError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A started session: the cookie to set and the CSRF token for forms.
#[derive(Debug, Clone)]
pub struct StartedSession {
    pub set_cookie: String,
    pub csrf: String,
    pub user: store::accounts::User,
}

/// Checks name and password and opens a session. Wrong name and wrong password give the
/// same answer (and cost the same argon2 work) so names cannot be probed.
pub async fn start_session(
    state: &AppState,
    name: &str,
    password: &str,
) -> Result<StartedSession, ApiError> {
    let name = name.to_owned();
    let password = password.to_owned();
    let ttl = state.config().session_ttl;
    let secure = state.config().secure_cookies;
    state
        .db(move |store| {
            let creds = store.user_credentials(&name)?;
            // A valid hash of nothing, so unknown users cost the same verification time.
            static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            let ok = match &creds {
                Some(c) if !c.user.disabled => verify_password(&password, &c.password_hash),
                _ => {
                    let dummy = DUMMY.get_or_init(|| hash_password("").unwrap_or_default());
                    verify_password(&password, dummy);
                    false
                }
            };
            let Some(creds) = creds.filter(|_| ok) else {
                return Ok::<_, store::StoreError>(None);
            };
            let secret = new_secret();
            let csrf = new_secret();
            let expires = chrono::Utc::now() + ttl;
            store.create_session(&secret_hash(&secret), creds.user.id, &csrf, expires)?;
            Ok(Some(StartedSession {
                set_cookie: session_cookie(&secret, ttl.num_seconds(), secure),
                csrf,
                user: creds.user,
            }))
        })
        .await?
        .ok_or_else(|| {
            ApiError::bad(
                "bad_credentials",
                "field `name` or `password`: wrong name or password",
            )
        })
}

/// Ends the session named by the request's cookie (if any); returns the clearing cookie.
pub async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(value) = cookie(headers, SESSION_COOKIE).filter(|v| !v.is_empty()) {
        let hash = secret_hash(value);
        state.db(move |store| store.delete_session(&hash)).await?;
    }
    Ok(clear_session_cookie(state.config().secure_cookies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_roundtrip() {
        let h = hash_password("geheim").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("geheim", &h));
        assert!(!verify_password("Geheim", &h));
        assert!(!verify_password("geheim", "not a hash"));
    }

    #[test]
    fn scopes_parse_and_name_the_bad_one() {
        assert_eq!(
            Scope::parse_list("ingest, read,act").unwrap(),
            vec![Scope::Ingest, Scope::Read, Scope::Act]
        );
        assert!(
            Scope::parse_list("read,wirte")
                .unwrap_err()
                .contains("wirte")
        );
        assert!(Scope::parse_list("").is_err());
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(!Role::Agent.permissions().contains(Permission::Manage));
        assert!(Role::Lead.permissions().contains(Permission::Manage));
        assert!(!Role::Lead.permissions().contains(Permission::DataRights));
        assert!(Role::Admin.permissions().contains(Permission::DataRights));
        assert!(Role::Executive.permissions().contains(Permission::Report));
        assert!(!Role::Agent.permissions().contains(Permission::Ingest));
        for r in Role::ALL {
            assert!(r.permissions().contains(Permission::Read));
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; kv_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn session_cookie_flags() {
        let c = session_cookie("x", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!session_cookie("x", 60, false).contains("Secure"));
    }
}
