//! The public knowledge base at `/kb`: no login, full-text search, one page per article.

use askama::Template;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::error::{UiError, UiResult, render};
use super::frame::{Frame, PublicFrame};
use super::view::excerpt;
use crate::state::AppState;

pub struct ArticleRow {
    pub href: String,
    pub title: String,
    pub excerpt: String,
    pub category: String,
}

#[derive(Template)]
#[template(path = "kb.html")]
struct KbPage {
    c: Frame,
    q: String,
    articles: Vec<ArticleRow>,
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage {
    c: Frame,
    title: String,
    category: String,
    body: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn index(
    State(state): State<AppState>,
    PublicFrame(c): PublicFrame,
    Query(q): Query<SearchQuery>,
) -> UiResult {
    let lang = c.lang;
    let query: String = q.q.chars().take(200).collect();
    let search = query.clone();
    let found = state
        .read(move |st| st.kb_search(&search, 50))
        .await
        .map_err(|e| UiError::from_api(lang, e))?;
    let articles = found
        .into_iter()
        .map(|a| ArticleRow {
            href: format!("/kb/{}", super::frame::percent_encode(&a.slug)),
            excerpt: excerpt(&a.body, 200),
            title: a.title,
            category: a.category,
        })
        .collect();
    render(
        lang,
        &KbPage {
            c,
            q: query,
            articles,
        },
    )
}

pub async fn article(
    State(state): State<AppState>,
    PublicFrame(c): PublicFrame,
    Path(slug): Path<String>,
) -> UiResult {
    let lang = c.lang;
    let found = state
        .read(move |st| st.kb_article(&slug))
        .await
        .map_err(|e| UiError::from_api(lang, e))?;
    let Some(a) = found else {
        return Err(UiError::not_found(lang));
    };
    render(
        lang,
        &ArticlePage {
            c,
            title: a.title,
            category: a.category,
            body: a.body,
        },
    )
}
