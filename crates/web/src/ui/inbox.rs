//! The inbox: open conversations sorted by priority (workflow's documented score), by the
//! response target due soonest, or oldest activity first (the latter two page by keyset), with
//! filters (state, channel, language, sentiment, topic, case, team, assignee, response-target
//! state), badges, the time left to the response target as the live workflow stage wrote it
//! (`conversation_facets.sla_due_at`), and a version endpoint for live updates.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use store::server::ConversationSort;
use workflow::{PriorityInput, PriorityWeights};

use super::error::{UiResult, render};
use super::frame::{Frame, Viewer};
use super::view::{Badge, Choice, analysis_badges, excerpt, fmt_duration, fmt_time};
use crate::auth::Permission;
use crate::state::AppState;

/// Rows read from the store before sorting by priority; rows shown.
const CANDIDATES: u32 = 400;
const SHOWN: usize = 50;

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
    case: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    sla: String,
    /// `priority` (default), `due` or `age`.
    #[serde(default)]
    sort: String,
    /// Keyset cursor of the `due` and `age` orders (the next-page link carries it).
    #[serde(default)]
    after: String,
}

impl InboxQuery {
    /// This query's parameters with the cursor replaced by `after`, as a URL.
    fn href_after(&self, after: &str) -> String {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("state", &self.state),
            ("channel", &self.channel),
            ("language", &self.language),
            ("sentiment", &self.sentiment),
            ("topic", &self.topic),
            ("case", &self.case),
            ("team", &self.team),
            ("assignee", &self.assignee),
            ("sla", &self.sla),
            ("sort", &self.sort),
        ] {
            if !v.trim().is_empty() {
                url.append_pair(k, v.trim());
            }
        }
        url.append_pair("after", after);
        format!("/inbox?{}", url.finish())
    }
}

/// One filter of the inbox form: a `<select>` with options, or a text / number input
/// (with suggestions from `options` in a `<datalist>`).
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// `select`, `text` or `number`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Choice>,
    /// The label of the empty choice of a select.
    pub blank: &'static str,
}

impl Field {
    fn select(
        name: &'static str,
        label: &'static str,
        blank: &'static str,
        current: &str,
        options: Vec<(String, String)>,
    ) -> Self {
        Field {
            name,
            label,
            kind: "select",
            blank,
            value: current.to_owned(),
            options: options
                .into_iter()
                .map(|(v, l)| {
                    let selected = v == current;
                    Choice::new(v, l, selected)
                })
                .collect(),
        }
    }
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
    /// The response target's due time (RFC 3339, UTC) or empty.
    pub due: String,
    pub assignee: String,
    pub team: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Frame,
    filters: Vec<Field>,
    rows: Vec<Row>,
    version: i64,
    poll_ms: u32,
    next_href: Option<String>,
    /// What the rows are sorted by, in words.
    sorted: &'static str,
}

pub fn state_label(s: &super::i18n::Strings, state: &str) -> &'static str {
    match state {
        "open" => s.state_open,
        "pending" => s.state_pending,
        "resolved" => s.state_solved,
        _ => s.state_closed,
    }
}

/// The response-target badge from what the workflow stage stored: (class, label). A running
/// target whose due time has passed reads as overdue even before the stage marks it breached.
fn sla(
    s: &super::i18n::Strings,
    state: Option<&str>,
    due: Option<model::Timestamp>,
    now: model::Timestamp,
) -> (&'static str, String) {
    let left = due.map(|d| (d - now).num_seconds());
    match (state, left) {
        (Some("breached"), Some(l)) | (Some("running" | "warning"), Some(l)) if l < 0 => {
            ("breached", format!("{} {}", s.overdue_by, fmt_duration(l)))
        }
        (Some("breached"), _) => ("breached", s.sla_breached.to_owned()),
        (Some("warning"), Some(l)) => ("warning", fmt_duration(l)),
        (Some("running"), Some(l)) => ("ok", fmt_duration(l)),
        (Some("paused"), _) => ("none", s.sla_paused.to_owned()),
        (Some("warning"), None) => ("warning", s.sla_warning.to_owned()),
        (Some("running"), None) => ("ok", s.sla_ok.to_owned()),
        _ => ("none", s.sla_none.to_owned()),
    }
}

fn case_id(v: &str) -> Option<i64> {
    v.trim().trim_start_matches('#').parse().ok()
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<InboxQuery>,
) -> UiResult {
    viewer.require(Permission::Read)?;
    let s = viewer.s();
    let order = match q.sort.as_str() {
        "due" => ConversationSort::Due,
        "age" => ConversationSort::Age,
        _ => ConversationSort::Priority,
    };
    let by_priority = order == ConversationSort::Priority;
    let filter = store::InboxFilter {
        state: opt(&q.state)
            .or_else(|| Some("open".into()))
            .filter(|v| v != "all"),
        channel: opt(&q.channel),
        language: opt(&q.language),
        sentiment: opt(&q.sentiment),
        topic: opt(&q.topic),
        case_id: case_id(&q.case),
        team: opt(&q.team),
        assignee: opt(&q.assignee),
        sla: opt(&q.sla),
        order,
        after: opt(&q.after).filter(|_| !by_priority),
        // Priority is computed here over the newest candidates; the other orders are the
        // store's, one row more than shown tells whether a next page exists.
        limit: if by_priority {
            CANDIDATES
        } else {
            SHOWN as u32 + 1
        },
    };
    let (entries, channels, version) = state
        .read(move |st| {
            Ok::<_, store::StoreError>((st.inbox(&filter)?, st.channels()?, st.inbox_version()?))
        })
        .await
        .map_err(viewer.error())?;
    // Teams, members and topics for the filter choices come from the workflow configuration.
    let config = crate::api::workflow::current_config(&state)
        .await
        .map_err(viewer.error())?
        .map(|(_, c)| c);
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
    if by_priority {
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.last_at.cmp(&a.1.last_at)));
    }
    let next_href = (!by_priority && scored.len() > SHOWN)
        .then(|| q.href_after(&scored[SHOWN - 1].1.cursor(order)));
    let mut rows = Vec::new();
    for (score, e) in scored {
        let (sla_class, sla_label) = sla(s, e.sla_state.as_deref(), e.sla_due_at, now);
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
            due: e
                .sla_due_at
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            assignee: e
                .assignee
                .clone()
                .unwrap_or_else(|| s.unassigned.to_owned()),
            team: e.team.clone().unwrap_or_default(),
        });
        if rows.len() == SHOWN {
            break;
        }
    }
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect()
    };
    let mut teams = Vec::new();
    let mut members = vec![("none".to_owned(), s.unassigned.to_owned())];
    let mut topics: Vec<String> = Vec::new();
    if let Some(cfg) = &config {
        for t in &cfg.teams {
            teams.push((t.id.clone(), t.name.clone().unwrap_or_else(|| t.id.clone())));
            for m in &t.members {
                if !members.iter().any(|(id, _)| *id == m.id) {
                    members.push((m.id.clone(), m.id.clone()));
                }
            }
            topics.extend(t.skills.topics.iter().cloned());
        }
        for r in &cfg.routing.rules {
            topics.extend(r.when.topics.iter().cloned());
        }
    }
    topics.sort();
    topics.dedup();
    let filters = vec![
        Field::select(
            "sort",
            s.sort_by,
            s.sort_priority,
            &q.sort,
            pairs(&[("due", s.sort_due), ("age", s.sort_age)]),
        ),
        Field::select(
            "state",
            s.state,
            s.any,
            &q.state,
            pairs(&[
                ("open", s.state_open),
                ("pending", s.state_pending),
                ("resolved", s.state_solved),
                ("all", s.any),
            ]),
        ),
        Field::select(
            "channel",
            s.channel,
            s.any,
            &q.channel,
            channels.iter().map(|c| (c.clone(), c.clone())).collect(),
        ),
        Field::select(
            "language",
            s.language_label,
            s.any,
            &q.language,
            pairs(&[("de", "de"), ("en", "en")]),
        ),
        Field::select(
            "sentiment",
            s.sentiment,
            s.any,
            &q.sentiment,
            pairs(&[
                ("negative", s.sentiment_negative),
                ("neutral", s.sentiment_neutral),
                ("positive", s.sentiment_positive),
            ]),
        ),
        Field {
            name: "topic",
            label: s.topic,
            kind: "text",
            blank: s.any,
            value: q.topic.trim().to_owned(),
            options: topics
                .into_iter()
                .map(|t| Choice::new(t.clone(), t, false))
                .collect(),
        },
        Field {
            name: "case",
            label: s.case,
            kind: "number",
            blank: s.any,
            value: case_id(&q.case).map(|c| c.to_string()).unwrap_or_default(),
            options: Vec::new(),
        },
        Field::select("team", s.team, s.any, &q.team, teams),
        Field::select("assignee", s.assignee, s.any, &q.assignee, members),
        Field::select(
            "sla",
            s.sla_status,
            s.any,
            &q.sla,
            pairs(&[
                ("running", s.sla_ok),
                ("warning", s.sla_warning),
                ("breached", s.sla_breached),
                ("paused", s.sla_paused),
                ("none", s.sla_none),
            ]),
        ),
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
            next_href,
            sorted: match order {
                ConversationSort::Due => s.inbox_sorted_due,
                ConversationSort::Age => s.inbox_sorted_age,
                _ => s.inbox_sorted,
            },
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn time_left_comes_from_the_stored_due_time() {
        let s = super::super::i18n::Lang::En.strings();
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let cases = [
            (
                Some("running"),
                Some(now + Duration::minutes(95)),
                "ok",
                "1 h 35 min",
            ),
            (
                Some("warning"),
                Some(now + Duration::minutes(7)),
                "warning",
                "7 min",
            ),
            (
                Some("breached"),
                Some(now - Duration::minutes(20)),
                "breached",
                "overdue by 20 min",
            ),
            // the stage has not marked it yet, the clock has
            (
                Some("running"),
                Some(now - Duration::minutes(3)),
                "breached",
                "overdue by 3 min",
            ),
            (Some("paused"), None, "none", "paused"),
            (None, None, "none", "no target"),
        ];
        for (state, due, class, label) in cases {
            assert_eq!(
                sla(s, state, due, now),
                (class, label.to_owned()),
                "{state:?}"
            );
        }
    }

    #[test]
    fn case_filter_accepts_a_hash() {
        assert_eq!(case_id("#12"), Some(12));
        assert_eq!(case_id(" 7 "), Some(7));
        assert_eq!(case_id("x"), None);
    }
}
