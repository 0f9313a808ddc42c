//! Cases and alarms. Alarms replay the newest stored customer messages through the burst
//! detector (`analysis::burst::Monitor`, the same code the live pipeline uses), so a burst
//! appears here as soon as its messages are stored; acknowledgements are kept in the audit
//! log. Until case grouping is stored, the cases list groups the same replayed messages by
//! topic (from the analysis, or the source's gold topic label).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use analysis::burst::{Monitor, MonitorConfig, Signal};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use model::alert::{Alert, AlertEvent};
use serde_json::json;

use super::chart::{self, Series, Svg};
use super::error::{UiError, UiResult, render};
use super::frame::{Frame, Viewer};
use super::view::{Badge, fmt_time};
use crate::auth::Permission;
use crate::state::AppState;

/// Customer messages replayed for alarms and cases.
const REPLAY: u32 = 50_000;
const ACK_ACTION: &str = "alert.ack";

pub struct AlarmView {
    pub id: String,
    pub label: String,
    pub scope: String,
    pub severity: String,
    pub severity_class: &'static str,
    pub started: String,
    pub volume: String,
    pub baseline: String,
    pub case_href: Option<String>,
    pub chart: Svg,
    pub acknowledged_by: Option<String>,
}

#[derive(Template)]
#[template(path = "alarms.html")]
struct AlarmsPage {
    c: Frame,
    current: Vec<AlarmView>,
    past: Vec<AlarmView>,
    can_ack: bool,
}

pub type Replay = Vec<(store::StoredMessage, Option<model::Analysis>)>;

type Versioned<T> = std::sync::Mutex<Option<(i64, String, std::sync::Arc<T>)>>;
static REPLAY_CACHE: Versioned<Replay> = std::sync::Mutex::new(None);
static ALERT_CACHE: Versioned<(Vec<Alert>, Vec<Svg>)> = std::sync::Mutex::new(None);

fn cached<T>(cache: &Versioned<T>, version: i64, key: &str) -> Option<std::sync::Arc<T>> {
    let g = cache.lock().ok()?;
    let (v, k, value) = g.as_ref()?;
    (*v == version && k == key).then(|| value.clone())
}

fn remember<T>(cache: &Versioned<T>, version: i64, key: &str, value: std::sync::Arc<T>) {
    if let Ok(mut g) = cache.lock() {
        *g = Some((version, key.to_owned(), value));
    }
}

/// The newest customer messages, read again only when a message arrived since (the store's
/// newest message id is the version).
pub async fn replay(state: &AppState) -> Result<std::sync::Arc<Replay>, crate::error::ApiError> {
    let version = state.read(|st| st.inbox_version()).await?;
    if let Some(r) = cached(&REPLAY_CACHE, version, "") {
        return Ok(r);
    }
    let r = std::sync::Arc::new(state.read(|st| st.recent_inbound(REPLAY)).await?);
    remember(&REPLAY_CACHE, version, "", r.clone());
    Ok(r)
}

fn topics_of<'a>(m: &'a model::Message, a: Option<&'a model::Analysis>) -> Vec<&'a str> {
    match a {
        Some(a) if !a.topics.is_empty() => a.topics.iter().map(|t| t.label.as_str()).collect(),
        _ => m
            .labels
            .get("topic")
            .map(|t| vec![t.as_str()])
            .unwrap_or_default(),
    }
}

/// Every alert's latest event, newest first.
fn replay_alerts(messages: &Replay) -> Vec<Alert> {
    let mut monitor = Monitor::new(MonitorConfig::default());
    let mut latest: HashMap<String, Alert> = HashMap::new();
    for (m, a) in messages {
        // Gold labels that came with the source (or a replay) speak louder than the model.
        let a = if m.message.labels.contains_key("sentiment") {
            None
        } else {
            a.as_ref()
        };
        if let Some(signal) = Signal::from_message(&m.message, a, None) {
            for alert in monitor.observe(&signal) {
                latest.insert(alert.alert_id.clone(), alert);
            }
        }
    }
    let mut out: Vec<Alert> = latest.into_values().collect();
    out.sort_by_key(|a| std::cmp::Reverse(a.started_at));
    out
}

/// Hourly counts of the messages behind an alert around its start, and the baseline.
fn alert_chart(alert: &Alert, messages: &Replay, s: &super::i18n::Strings) -> Svg {
    let hours = 24i64;
    let start = alert.started_at - chrono::Duration::hours(hours - 6);
    let mut counts = vec![0.0; hours as usize];
    for (m, a) in messages {
        let t = m.message.created_at;
        if t < start {
            continue;
        }
        let i = (t - start).num_hours();
        if i < 0 || i >= hours {
            continue;
        }
        let hit = match alert.scope.as_str() {
            "topic" => topics_of(&m.message, a.as_ref()).contains(&alert.key.as_str()),
            _ => match m.message.labels.get("sentiment") {
                Some(l) => l == "negative",
                None => a.as_ref().is_some_and(|a| a.is_negative()),
            },
        };
        if hit {
            counts[i as usize] += 1.0;
        }
    }
    let labels: Vec<String> = (0..hours)
        .map(|i| {
            (start + chrono::Duration::hours(i))
                .format("%H:00")
                .to_string()
        })
        .collect();
    let window_h = ((alert.updated_at - alert.started_at).num_minutes() as f64 / 60.0).max(1.0);
    let base = alert.expected / window_h;
    chart::line_chart(
        &format!(
            "alarm-{}",
            alert
                .alert_id
                .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        ),
        s.chart_volume_baseline,
        &labels,
        &[
            Series {
                name: s.volume.to_owned(),
                class: "neg",
                values: counts,
                dashed: false,
            },
            Series {
                name: s.baseline.to_owned(),
                class: "baseline",
                values: vec![base; hours as usize],
                dashed: true,
            },
        ],
    )
}

fn severity_class(sev: &str) -> &'static str {
    match sev {
        "critical" => "crit",
        "high" => "high",
        "medium" => "medium",
        _ => "low",
    }
}

pub async fn load_alarms(
    state: &AppState,
    s: &'static super::i18n::Strings,
) -> Result<(Vec<AlarmView>, Vec<AlarmView>), crate::error::ApiError> {
    let audit = state.read(|st| st.audit_log(1000)).await?;
    let version = state.read(|st| st.inbox_version()).await?;
    let computed = match cached(&ALERT_CACHE, version, s.volume) {
        Some(c) => c,
        None => {
            let messages = replay(state).await?;
            let c = tokio::task::spawn_blocking(move || {
                let alerts = replay_alerts(&messages);
                let charts: Vec<Svg> = alerts
                    .iter()
                    .take(20)
                    .map(|a| alert_chart(a, &messages, s))
                    .collect();
                std::sync::Arc::new((alerts, charts))
            })
            .await?;
            remember(&ALERT_CACHE, version, s.volume, c.clone());
            c
        }
    };
    let (alerts, charts) = (computed.0.clone(), &computed.1);
    let acks: BTreeMap<String, String> = audit
        .into_iter()
        .filter(|e| e.action == ACK_ACTION)
        .map(|e| (e.target.trim_start_matches("alert:").to_owned(), e.actor))
        .collect();
    let mut current = Vec::new();
    let mut past = Vec::new();
    for (i, a) in alerts.into_iter().enumerate() {
        let view = AlarmView {
            id: a.alert_id.clone(),
            label: a.label.clone().unwrap_or_else(|| a.key.clone()),
            scope: a.scope.as_str().to_owned(),
            severity: a.severity.as_str().to_owned(),
            severity_class: severity_class(a.severity.as_str()),
            started: fmt_time(a.started_at),
            volume: format!("{}", a.messages),
            baseline: format!("{:.1}", a.expected),
            case_href: (a.scope.as_str() == "topic")
                .then(|| format!("/cases/{}", super::frame::percent_encode(&a.key))),
            chart: charts.get(i).cloned().unwrap_or_default(),
            acknowledged_by: acks.get(&a.alert_id).cloned(),
        };
        if a.event == AlertEvent::Closed {
            past.push(view);
        } else {
            current.push(view);
        }
    }
    Ok((current, past))
}

pub async fn alarms(State(state): State<AppState>, viewer: Viewer) -> UiResult {
    viewer.require(Permission::Read)?;
    let (current, past) = load_alarms(&state, viewer.s())
        .await
        .map_err(viewer.error())?;
    render(
        viewer.lang,
        &AlarmsPage {
            c: viewer.frame("/alarms"),
            current,
            past,
            can_ack: viewer.user.can(Permission::Act),
        },
    )
}

pub async fn acknowledge(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> UiResult {
    viewer.require(Permission::Act)?;
    let actor = viewer.user.actor();
    state
        .db(move |st| st.audit(&actor, ACK_ACTION, &format!("alert:{id}"), &json!({})))
        .await
        .map_err(viewer.error())?;
    Ok(Redirect::to("/alarms").into_response())
}

pub struct CaseRow {
    pub href: String,
    pub label: String,
    pub customers: usize,
    pub messages: usize,
    pub spark: Svg,
    pub first: String,
    pub last: String,
    pub badges: Vec<Badge>,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    c: Frame,
    cases: Vec<CaseRow>,
}

struct Group<'a> {
    customers: BTreeSet<&'a str>,
    members: Vec<usize>,
}

fn groups(messages: &Replay) -> BTreeMap<&str, Group<'_>> {
    let mut out: BTreeMap<&str, Group<'_>> = BTreeMap::new();
    for (i, (m, a)) in messages.iter().enumerate() {
        for t in topics_of(&m.message, a.as_ref()) {
            let g = out.entry(t).or_insert_with(|| Group {
                customers: BTreeSet::new(),
                members: Vec::new(),
            });
            g.customers.insert(m.message.author.as_str());
            g.members.push(i);
        }
    }
    out
}

fn daily(messages: &Replay, members: &[usize]) -> Vec<f64> {
    let Some(first) = members.first().map(|i| messages[*i].0.message.created_at) else {
        return Vec::new();
    };
    let mut days = vec![0.0; 1];
    for i in members {
        let d = (messages[*i].0.message.created_at - first)
            .num_days()
            .clamp(0, 365) as usize;
        if days.len() <= d {
            days.resize(d + 1, 0.0);
        }
        days[d] += 1.0;
    }
    days
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> UiResult {
    viewer.require(Permission::Read)?;
    let messages = replay(&state).await.map_err(viewer.error())?;
    let s = viewer.s();
    let mut cases: Vec<CaseRow> = groups(&messages)
        .into_iter()
        .filter(|(_, g)| g.customers.len() >= 2)
        .map(|(label, g)| CaseRow {
            href: format!("/cases/{}", super::frame::percent_encode(label)),
            label: label.to_owned(),
            customers: g.customers.len(),
            messages: g.members.len(),
            spark: chart::sparkline(
                &format!("{} {label}", s.trend),
                &daily(&messages, &g.members),
            ),
            first: g
                .members
                .first()
                .map(|i| fmt_time(messages[*i].0.message.created_at))
                .unwrap_or_default(),
            last: g
                .members
                .last()
                .map(|i| fmt_time(messages[*i].0.message.created_at))
                .unwrap_or_default(),
            badges: Vec::new(),
        })
        .collect();
    cases.sort_by_key(|c| std::cmp::Reverse(c.customers));
    cases.truncate(100);
    render(
        viewer.lang,
        &CasesPage {
            c: viewer.frame("/cases"),
            cases,
        },
    )
}

pub struct Member {
    pub href: String,
    pub author: String,
    pub channel: String,
    pub at: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    c: Frame,
    label: String,
    customers: usize,
    messages_total: usize,
    first: String,
    last: String,
    chart: Svg,
    members: Vec<Member>,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> UiResult {
    viewer.require(Permission::Read)?;
    let messages = replay(&state).await.map_err(viewer.error())?;
    let s = viewer.s();
    let all = groups(&messages);
    let Some(g) = all.get(key.as_str()) else {
        return Err(UiError::not_found(viewer.lang));
    };
    let days = daily(&messages, &g.members);
    let first_day = g.members.first().map(|i| messages[*i].0.message.created_at);
    let labels: Vec<String> = (0..days.len())
        .map(|d| {
            first_day
                .map(|t| {
                    (t + chrono::Duration::days(d as i64))
                        .format("%m-%d")
                        .to_string()
                })
                .unwrap_or_default()
        })
        .collect();
    let chart = chart::line_chart(
        "case",
        s.trend,
        &labels,
        &[Series {
            name: s.messages.to_owned(),
            class: "s0",
            values: days,
            dashed: false,
        }],
    );
    let members = g
        .members
        .iter()
        .rev()
        .take(200)
        .map(|i| {
            let m = &messages[*i].0;
            Member {
                href: format!("/c/{}", m.conversation_id),
                author: m.message.author.clone(),
                channel: m.message.channel.clone(),
                at: fmt_time(m.message.created_at),
                text: m.message.text.clone(),
            }
        })
        .collect();
    render(
        viewer.lang,
        &CasePage {
            c: viewer.frame("/cases"),
            label: key.clone(),
            customers: g.customers.len(),
            messages_total: g.members.len(),
            first: first_day.map(fmt_time).unwrap_or_default(),
            last: g
                .members
                .last()
                .map(|i| fmt_time(messages[*i].0.message.created_at))
                .unwrap_or_default(),
            chart,
            members,
        },
    )
}
