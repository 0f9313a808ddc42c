//! Knowledge-base articles: answers written once and found by customers (public pages) and
//! agents (suggested answers). German or English, with categories.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// One article of the knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Stable id, also the URL slug of the public page.
    pub id: String,
    /// ISO 639-1 code: `de` or `en`.
    pub language: String,
    pub title: String,
    /// The answer, plain text (paragraphs separated by blank lines).
    pub body: String,
    /// Categories for browsing (`Lieferung`, `Rechnung`, ...).
    #[serde(default)]
    pub categories: Vec<String>,
    /// Topic labels (as the topic classifier names them) the article answers.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Shown on the public pages without login.
    #[serde(default)]
    pub published: bool,
    /// The solved conversation the article was made from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_conversation: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
