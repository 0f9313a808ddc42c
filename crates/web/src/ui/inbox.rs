//! The inbox: open conversations sorted by priority (workflow's documented score), with
//! filters, badges, time left to the response target, and a version endpoint for live updates.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use workflow::{PriorityInput, PriorityWeights};

use super::error::{UiResult, render};
use super::frame::{Frame, Viewer};
use super::view::{Badge, Choice, Filter, analysis_badges, excerpt, fmt_duration, fmt_time};
use crate::auth::Permission;
use crate::state::AppState;

/// Rows read from the store before sorting by priority; rows shown.
const CANDIDATES: u32 = 400;
const SHOWN: usize = 50;
/// Default first-response target when no policy applies: one hour (public social media).
pub const DEFAULT_TARGET_SECS: i64 = 3600;

#[derive(Debug, Default, Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    sentiment: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    sla: String,
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

pub struct Row {
    pub href: String,
    pub customer: String,
    pub channel: String,
    pub excerpt: String,
    pub last_at: String,
    pub messages: u64,
    pub priority: String,
    pub state: &'static str,
    pub badges: Vec<Badge>,
    pub sla_class: &'static str,
    pub sla_label: String,
    pub assignee: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Frame,
    filters: Vec<Filter>,
    rows: Vec<Row>,
    version: i64,
    poll_ms: u32,
    next_href: Option<String>,
}

pub fn state_label(s: &super::i18n::Strings, state: &str) -> &'static str {
    match state {
        "open" => s.state_open,
        "pending" => s.state_pending,
        "resolved" => s.state_solved,
        _ => s.state_closed,
    }
}

/// Response-target status of a conversation waiting since `since`: (class, label, key).
fn sla(
    s: &super::i18n::Strings,
    state: &str,
    since: model::Timestamp,
    now: model::Timestamp,
) -> (&'static str, String, &'static str) {
    if state != "open" {
        return ("none", s.sla_none.to_owned(), "none");
    }
    let left = DEFAULT_TARGET_SECS - (now - since).num_seconds();
    if left < 0 {
        (
            "breached",
            format!("{} {}", s.overdue_by, fmt_duration(left)),
            "breached",
        )
    } else if left < DEFAULT_TARGET_SECS / 4 {
        ("warning", fmt_duration(left), "warning")
    } else {
        ("ok", fmt_duration(left), "ok")
    }
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<InboxQuery>,
) -> UiResult {
    viewer.require(Permission::Read)?;
    let s = viewer.s();
    let filter = store::InboxFilter {
        state: opt(&q.state)
            .or_else(|| Some("open".into()))
            .filter(|v| v != "all"),
        channel: opt(&q.channel),
        language: opt(&q.language),
        sentiment: opt(&q.sentiment),
        topic: opt(&q.topic),
        limit: CANDIDATES,
    };
    let (entries, channels, version) = state
        .read(move |st| {
            Ok::<_, store::StoreError>((st.inbox(&filter)?, st.channels()?, st.inbox_version()?))
        })
        .await
        .map_err(viewer.error())?;
    let now = chrono::Utc::now();
    let weights = PriorityWeights::default();
    let mut scored: Vec<(f32, store::InboxEntry)> = entries
        .into_iter()
        .map(|e| {
            let a = e.analysis.as_ref();
            let input = PriorityInput {
                urgency: a.map_or(0.0, |a| a.urgency),
                negativity: a.map_or(0.0, |a| a.negativity()),
                toxicity: a.map_or(0.0, |a| a.toxicity),
                visibility: Some(e.message.visibility),
                reach: None,
                case_size: None,
                waiting_since: (e.state == "open").then_some(e.message.created_at),
            };
            (weights.score(&input, now).score, e)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.last_at.cmp(&a.1.last_at)));
    let mut rows = Vec::new();
    for (score, e) in scored {
        let (sla_class, sla_label, sla_key) = sla(s, &e.state, e.message.created_at, now);
        if !q.sla.is_empty() && q.sla != sla_key {
            continue;
        }
        let mut badges = e
            .analysis
            .as_ref()
            .map(|a| analysis_badges(s, a))
            .unwrap_or_default();
        if e.message.visibility == model::Visibility::Public {
            badges.push(Badge::new("public", s.badge_public));
        }
        rows.push(Row {
            href: format!("/c/{}", e.conversation_id),
            customer: e
                .message
                .author_name
                .clone()
                .unwrap_or_else(|| e.message.author.clone()),
            channel: e.channel,
            excerpt: excerpt(&e.message.text, 160),
            last_at: fmt_time(e.last_at),
            messages: e.message_count,
            priority: format!("{score:.0}"),
            state: state_label(s, &e.state),
            badges,
            sla_class,
            sla_label,
            assignee: s.unassigned.to_owned(),
        });
        if rows.len() == SHOWN {
            break;
        }
    }
    let sel = |v: &str, cur: &str| v == cur;
    let filters = vec![
        Filter {
            name: "state",
            label: s.state,
            options: [
                ("open", s.state_open),
                ("pending", s.state_pending),
                ("resolved", s.state_solved),
                ("all", s.any),
            ]
            .iter()
            .map(|(v, l)| Choice::new(*v, *l, sel(v, &q.state)))
            .collect(),
        },
        Filter {
            name: "channel",
            label: s.channel,
            options: channels
                .iter()
                .map(|c| Choice::new(c.clone(), c.clone(), sel(c, &q.channel)))
                .collect(),
        },
        Filter {
            name: "language",
            label: s.language_label,
            options: ["de", "en"]
                .iter()
                .map(|l| Choice::new(*l, *l, sel(l, &q.language)))
                .collect(),
        },
        Filter {
            name: "sentiment",
            label: s.sentiment,
            options: [
                ("negative", s.sentiment_negative),
                ("neutral", s.sentiment_neutral),
                ("positive", s.sentiment_positive),
            ]
            .iter()
            .map(|(v, l)| Choice::new(*v, *l, sel(v, &q.sentiment)))
            .collect(),
        },
        Filter {
            name: "sla",
            label: s.sla_status,
            options: [
                ("ok", s.sla_ok),
                ("warning", s.sla_warning),
                ("breached", s.sla_breached),
            ]
            .iter()
            .map(|(v, l)| Choice::new(*v, *l, sel(v, &q.sla)))
            .collect(),
        },
    ];
    let c = viewer.frame("/inbox");
    render(
        viewer.lang,
        &InboxPage {
            c,
            filters,
            rows,
            version,
            poll_ms: 5000,
            next_href: None,
        },
    )
}

/// `{"version": N}`: changes when a message arrives (polled by app.js).
pub async fn version(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<serde_json::Value>, super::error::UiError> {
    viewer.require(Permission::Read)?;
    let v = state
        .read(|st| st.inbox_version())
        .await
        .map_err(viewer.error())?;
    Ok(Json(serde_json::json!({ "version": v })))
}
