//! Errors as pages: the same split as the API (user errors say what, internal errors are
//! logged with detail and shown without it), rendered in the viewer's language.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::frame::{ASSET_VERSION, Frame};
use super::i18n::Lang;
use crate::error::ApiError;

#[derive(Debug)]
pub struct UiError {
    pub lang: Lang,
    pub status: StatusCode,
    /// Shown to the person; never internal detail.
    pub message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    c: Frame,
    title: &'a str,
    message: &'a str,
}

impl UiError {
    pub fn forbidden(lang: Lang) -> Self {
        UiError {
            lang,
            status: StatusCode::FORBIDDEN,
            message: lang.strings().forbidden.into(),
        }
    }

    pub fn not_found(lang: Lang) -> Self {
        UiError {
            lang,
            status: StatusCode::NOT_FOUND,
            message: lang.strings().not_found.into(),
        }
    }

    pub fn csrf(lang: Lang) -> Self {
        UiError {
            lang,
            status: StatusCode::FORBIDDEN,
            message: lang.strings().csrf_failed.into(),
        }
    }

    pub fn bad(lang: Lang, message: impl Into<String>) -> Self {
        UiError {
            lang,
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub fn internal(lang: Lang, detail: impl std::fmt::Display) -> Self {
        tracing::error!(message = "page failed", %detail);
        UiError {
            lang,
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: lang.strings().server_error.into(),
        }
    }

    pub fn from_api(lang: Lang, e: ApiError) -> Self {
        let s = lang.strings();
        match e {
            ApiError::Internal(detail) => UiError::internal(lang, detail),
            ApiError::Forbidden(_) => UiError::forbidden(lang),
            ApiError::Csrf => UiError::csrf(lang),
            ApiError::NotFound(_) => UiError::not_found(lang),
            ApiError::Unauthenticated => UiError {
                lang,
                status: StatusCode::UNAUTHORIZED,
                message: s.login_failed.into(),
            },
            other => UiError {
                lang,
                status: other.status(),
                message: other.to_string(),
            },
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let s = self.lang.strings();
        let title = match self.status {
            StatusCode::NOT_FOUND => s.not_found,
            StatusCode::FORBIDDEN => s.forbidden,
            StatusCode::INTERNAL_SERVER_ERROR => s.server_error,
            _ => s.app_name,
        };
        let page = ErrorPage {
            c: Frame {
                lang: self.lang,
                s,
                user: None,
                csrf: String::new(),
                nav: Vec::new(),
                here: "/".into(),
                notice: None,
                asset_version: ASSET_VERSION,
            },
            title,
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(message = "error page failed", error = %e);
                (self.status, self.message).into_response()
            }
        }
    }
}

/// Renders a template into a response; a template error is an internal error.
pub fn render(lang: Lang, page: &impl Template) -> Result<Response, UiError> {
    page.render()
        .map(|html| Html(html).into_response())
        .map_err(|e| UiError::internal(lang, e))
}

pub type UiResult = Result<Response, UiError>;
