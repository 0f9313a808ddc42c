//! What every page shares: who is looking (the `Viewer` extractor, which sends anonymous
//! visitors to the login page), in which language, the navigation their role may use, and the
//! CSRF token their forms carry.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf::PreSessionCsrf;
use super::error::UiError;
use super::i18n::{Lang, Strings};
use crate::auth::{CurrentUser, Permission, Role};
use crate::state::AppState;

/// Cookie holding the language of visitors who are not signed in.
pub const LANG_COOKIE: &str = "kv_lang";

/// Changes when the assets change, so browsers fetch them anew.
pub const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The signed-in person as the frame shows them.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub role_label: &'static str,
}

#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The page frame: every template struct has it as its field `c`.
#[derive(Debug, Clone)]
pub struct Frame {
    pub lang: Lang,
    pub s: &'static Strings,
    pub user: Option<Person>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// Path and query of this page (where the language switch returns to).
    pub here: String,
    pub notice: Option<Notice>,
    pub asset_version: &'static str,
}

impl Frame {
    pub fn other_langs(&self) -> Vec<Lang> {
        Lang::ALL.into_iter().filter(|l| *l != self.lang).collect()
    }

    pub fn with_notice(mut self, text: impl Into<String>, error: bool) -> Self {
        self.notice = Some(Notice {
            text: text.into(),
            error,
        });
        self
    }
}

/// One entry of the navigation: shown to those who hold `needs`.
struct NavEntry {
    href: &'static str,
    needs: Permission,
    label: fn(&Strings) -> &'static str,
}

const NAV: &[NavEntry] = &[
    NavEntry {
        href: "/front",
        needs: Permission::Report,
        label: |s| s.nav_front,
    },
    NavEntry {
        href: "/inbox",
        needs: Permission::Act,
        label: |s| s.nav_inbox,
    },
    NavEntry {
        href: "/cases",
        needs: Permission::Read,
        label: |s| s.nav_cases,
    },
    NavEntry {
        href: "/alarms",
        needs: Permission::Read,
        label: |s| s.nav_alarms,
    },
    NavEntry {
        href: "/dashboard",
        needs: Permission::Report,
        label: |s| s.nav_dashboard,
    },
    NavEntry {
        href: "/admin",
        needs: Permission::Admin,
        label: |s| s.nav_admin,
    },
    NavEntry {
        href: "/kb",
        needs: Permission::Public,
        label: |s| s.nav_kb,
    },
];

pub fn role_label(s: &Strings, role: Option<Role>) -> &'static str {
    match role {
        Some(Role::Agent) => s.role_agent,
        Some(Role::Lead) => s.role_lead,
        Some(Role::Executive) => s.role_executive,
        Some(Role::Admin) => s.role_admin,
        None => "API",
    }
}

/// Language for a visitor: the user's setting, else the cookie, else the browser's.
pub fn lang_of(user: Option<&CurrentUser>, headers: &HeaderMap) -> Lang {
    if let Some(l) = user.and_then(|u| Lang::parse(&u.language)) {
        return l;
    }
    if let Some(l) = crate::auth::cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or_default()
}

fn here_of(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| "/".into())
}

/// A signed-in person looking at a page. Extracting it redirects anonymous visitors to
/// `/login?next=...`.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: CurrentUser,
    pub lang: Lang,
    pub frame: Frame,
}

impl Viewer {
    pub fn s(&self) -> &'static Strings {
        self.lang.strings()
    }

    /// The frame with the navigation entry `href` marked current.
    pub fn frame(&self, href: &str) -> Frame {
        let mut f = self.frame.clone();
        for item in &mut f.nav {
            item.current = item.href == href;
        }
        f
    }

    pub fn require(&self, p: Permission) -> Result<(), UiError> {
        if self.user.can(p) {
            Ok(())
        } else {
            Err(UiError::forbidden(self.lang))
        }
    }

    pub fn error(&self) -> impl Fn(crate::error::ApiError) -> UiError + '_ {
        move |e| UiError::from_api(self.lang, e)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let user =
            <CurrentUser as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .map_err(|e| UiError::from_api(lang_of(None, &parts.headers), e).into_response())?;
        let Some(user) = user else {
            let next = here_of(parts);
            let target = format!("/login?next={}", percent_encode(&next));
            return Err(Redirect::to(&target).into_response());
        };
        let lang = lang_of(Some(&user), &parts.headers);
        let s = lang.strings();
        let nav = NAV
            .iter()
            .filter(|e| user.can(e.needs))
            .map(|e| NavItem {
                href: e.href,
                label: (e.label)(s),
                current: false,
            })
            .collect();
        let frame = Frame {
            lang,
            s,
            user: Some(Person {
                name: user.name.clone(),
                role_label: role_label(s, user.role),
            }),
            csrf: user.csrf_token().unwrap_or_default().to_owned(),
            nav,
            here: here_of(parts),
            notice: None,
            asset_version: ASSET_VERSION,
        };
        Ok(Viewer { user, lang, frame })
    }
}

/// The frame for public pages (login, knowledge base): no navigation, the pre-session CSRF
/// token for the language switch.
#[derive(Debug, Clone)]
pub struct PublicFrame(pub Frame);

impl FromRequestParts<AppState> for PublicFrame {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let user =
            <CurrentUser as OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .unwrap_or(None);
        let lang = lang_of(user.as_ref(), &parts.headers);
        let s = lang.strings();
        let csrf = match user.as_ref().and_then(|u| u.csrf_token()) {
            Some(t) => t.to_owned(),
            None => parts
                .extensions
                .get::<PreSessionCsrf>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
        };
        Ok(PublicFrame(Frame {
            lang,
            s,
            user: user.as_ref().map(|u| Person {
                name: u.name.clone(),
                role_label: role_label(s, u.role),
            }),
            csrf,
            nav: Vec::new(),
            here: here_of(parts),
            notice: None,
            asset_version: ASSET_VERSION,
        }))
    }
}

/// Percent-encodes a path for a query value (only what could break the query).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Only local paths are followed after login or a language switch (no open redirect).
pub fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

/// `/`: each role starts where its work is.
pub async fn home(viewer: Viewer) -> Redirect {
    if viewer.user.role == Some(Role::Executive) {
        Redirect::to("/front")
    } else if viewer.user.can(Permission::Act) {
        Redirect::to("/inbox")
    } else {
        Redirect::to("/cases")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_redirects() {
        assert_eq!(safe_next("/inbox?x=1"), "/inbox?x=1");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("/\\evil"), "/");
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(percent_encode("/inbox?a=b&c"), "/inbox%3Fa%3Db%26c");
    }
}
