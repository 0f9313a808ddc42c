//! Suggested answers for the conversation page: an `analysis::suggest` index of solved
//! conversations (customer text -> our first reply, the newest reply pairs in the store) and
//! knowledge-base articles, built on first use and rebuilt after ten minutes or a new article.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use analysis::suggest::{DocKind, Document, Query, SuggestConfig, SuggestIndex};
use model::{Analysis, Message};

use crate::state::AppState;

/// Reply pairs indexed (the newest); bounds build time and memory on large stores.
const MAX_PAIRS: usize = 20_000;
const MAX_AGE: Duration = Duration::from_secs(600);

pub struct Suggested {
    pub title: String,
    pub text: String,
    pub score: f32,
}

type Cached = Option<(Instant, Arc<SuggestIndex>)>;
static INDEX: Mutex<Cached> = Mutex::new(None);

/// Forces a rebuild on next use (a new knowledge-base article).
pub fn invalidate() {
    if let Ok(mut g) = INDEX.lock() {
        *g = None;
    }
}

fn build(st: &store::Store) -> Result<SuggestIndex, store::StoreError> {
    let mut pairs = st.first_replies()?;
    pairs.sort_by_key(|p| p.inbound_at);
    let skip = pairs.len().saturating_sub(MAX_PAIRS);
    let mut docs = Vec::new();
    for p in pairs.into_iter().skip(skip) {
        let (Some(q), Some(a)) = (
            st.message_by_id(p.inbound_id)?,
            st.message_by_id(p.reply_id)?,
        ) else {
            continue;
        };
        docs.push(Document {
            id: q.conversation_id.to_string(),
            kind: DocKind::Solved,
            text: q.message.text,
            answer: a.message.text,
            topics: Vec::new(),
            language: q.message.language,
            brand: a.message.brand.or(p.brand),
        });
    }
    for k in st.kb_search("", 1000)? {
        docs.push(Document {
            id: format!("kb:{}", k.slug),
            kind: DocKind::Article,
            text: format!("{} {}", k.title, k.body),
            answer: k.body,
            topics: Vec::new(),
            language: Some(k.language),
            brand: None,
        });
    }
    Ok(SuggestIndex::build(docs, SuggestConfig::default()))
}

async fn index(state: &AppState) -> Option<Arc<SuggestIndex>> {
    if let Ok(g) = INDEX.lock()
        && let Some((at, idx)) = g.as_ref()
        && at.elapsed() < MAX_AGE
    {
        return Some(idx.clone());
    }
    let built = state.read(build).await.ok()?;
    let idx = Arc::new(built);
    if let Ok(mut g) = INDEX.lock() {
        *g = Some((Instant::now(), idx.clone()));
    }
    Some(idx)
}

/// The top three answers for a customer message.
pub async fn for_message(state: &AppState, m: &Message, a: Option<&Analysis>) -> Vec<Suggested> {
    let Some(idx) = index(state).await else {
        return Vec::new();
    };
    let query = Query {
        text: m.text.clone(),
        topics: a
            .map(|a| a.topics.iter().map(|t| t.label.clone()).collect())
            .unwrap_or_default(),
        language: a.map(|a| a.language.clone()).or_else(|| m.language.clone()),
        brand: m.brand.clone(),
    };
    idx.suggest(&query, 3)
        .into_iter()
        .filter(|s| s.similarity > 0.0)
        .map(|s| Suggested {
            title: match s.kind {
                DocKind::Article => format!(
                    "KB {}",
                    s.sources.first().map(String::as_str).unwrap_or_default()
                ),
                DocKind::Solved => format!(
                    "#{}",
                    s.sources.first().map(String::as_str).unwrap_or_default()
                ),
            },
            text: s.answer,
            score: s.score,
        })
        .collect()
}
