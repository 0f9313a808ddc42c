//! Cases and alarms as the live case stage stored them (`engine::stages`): cases with their
//! member messages, alerts with their latest event and acknowledgement. Also the replay of
//! recent customer messages the dashboard charts.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use model::Timestamp;
use model::alert::{Alert, AlertEvent, AlertScope};
use serde_json::json;

use super::chart::{self, Series, Svg};
use super::error::{UiError, UiResult, render};
use super::frame::{Frame, Viewer};
use super::view::{Badge, fmt_time};
use crate::auth::Permission;
use crate::state::AppState;

/// Customer messages replayed for the dashboard.
const REPLAY: u32 = 50_000;
/// Alerts on the page, charts for the newest of them, hours per chart.
const ALARMS: u32 = 100;
const CHARTS: usize = 20;
const CHART_HOURS: i64 = 24;
/// Member messages on a case page.
const MEMBERS: u32 = 200;
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

/// Hourly volume of the messages behind an alert around its start, against the baseline.
fn alert_chart(alert: &Alert, volume: Vec<i64>, from: Timestamp, s: &super::i18n::Strings) -> Svg {
    let hours = volume.len() as i64;
    let labels: Vec<String> = (0..hours)
        .map(|i| {
            (from + chrono::Duration::hours(i))
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
                values: volume.into_iter().map(|v| v as f64).collect(),
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

/// Alerts as the case stage stored them (latest event each), with a chart for the newest.
pub async fn load_alarms(
    state: &AppState,
    s: &'static super::i18n::Strings,
) -> Result<(Vec<AlarmView>, Vec<AlarmView>), crate::error::ApiError> {
    let views = state
        .read(move |st| {
            let alerts = st.alerts_since(Timestamp::UNIX_EPOCH, ALARMS)?;
            let mut views = Vec::with_capacity(alerts.len());
            for (i, stored) in alerts.into_iter().enumerate() {
                let a = stored.alert;
                let chart = if i < CHARTS {
                    let from = a.started_at - chrono::Duration::hours(CHART_HOURS - 6);
                    let volume =
                        st.hourly_alert_volume(a.scope.as_str(), &a.key, from, CHART_HOURS as u32)?;
                    alert_chart(&a, volume, from, s)
                } else {
                    Svg::default()
                };
                views.push((
                    a.event == AlertEvent::Closed,
                    AlarmView {
                        id: a.alert_id.clone(),
                        label: a.label.clone().unwrap_or_else(|| a.key.clone()),
                        scope: a.scope.as_str().to_owned(),
                        severity: a.severity.as_str().to_owned(),
                        severity_class: severity_class(a.severity.as_str()),
                        started: fmt_time(a.started_at),
                        volume: format!("{}", a.messages),
                        baseline: format!("{:.1}", a.expected),
                        case_href: (a.scope == AlertScope::Case && a.key.parse::<i64>().is_ok())
                            .then(|| format!("/cases/{}", a.key)),
                        chart,
                        acknowledged_by: stored.acknowledged_by,
                    },
                ));
            }
            Ok::<_, store::StoreError>(views)
        })
        .await?;
    let (past, current): (Vec<_>, Vec<_>) = views.into_iter().partition(|(closed, _)| *closed);
    Ok((
        current.into_iter().map(|(_, v)| v).collect(),
        past.into_iter().map(|(_, v)| v).collect(),
    ))
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
    let at = state.engine().now();
    let found = state
        .db(move |st| {
            let found = st.acknowledge_alert(&id, &actor, at)?;
            if found {
                st.audit(&actor, ACK_ACTION, &format!("alert:{id}"), &json!({}))?;
            }
            Ok::<_, store::StoreError>(found)
        })
        .await
        .map_err(viewer.error())?;
    if !found {
        return Err(UiError::not_found(viewer.lang));
    }
    Ok(Redirect::to("/alarms").into_response())
}

pub struct CaseRow {
    pub href: String,
    pub label: String,
    pub customers: i64,
    pub messages: i64,
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

/// The largest cases active in the month before the newest case activity, with their daily
/// member counts.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> UiResult {
    viewer.require(Permission::Read)?;
    let rows = state
        .read(|st| {
            let Some(latest) = st.latest_case_activity()? else {
                return Ok(Vec::new());
            };
            let cases = st.cases_since(latest - chrono::Duration::days(30), 100)?;
            let mut out = Vec::with_capacity(cases.len());
            for c in cases.into_iter().filter(|c| c.customers >= 2) {
                let days = st.case_daily_counts(c.id)?;
                out.push((c, days));
            }
            Ok::<_, store::StoreError>(out)
        })
        .await
        .map_err(viewer.error())?;
    let s = viewer.s();
    let cases = rows
        .into_iter()
        .map(|(c, days)| CaseRow {
            href: format!("/cases/{}", c.id),
            spark: chart::sparkline(
                &format!("{} {}", s.trend, c.label),
                &days.iter().map(|(_, n)| *n as f64).collect::<Vec<_>>(),
            ),
            label: c.label,
            customers: c.customers,
            messages: c.size,
            first: fmt_time(c.first_seen),
            last: fmt_time(c.last_seen),
            badges: Vec::new(),
        })
        .collect();
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
    customers: i64,
    messages_total: i64,
    first: String,
    last: String,
    chart: Svg,
    members: Vec<Member>,
}

/// One stored case: figures, daily chart, the newest member messages.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> UiResult {
    viewer.require(Permission::Read)?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(UiError::not_found(viewer.lang));
    };
    let found = state
        .read(move |st| {
            let Some(case) = st.case(id)? else {
                return Ok(None);
            };
            let days = st.case_daily_counts(id)?;
            let mut members = Vec::new();
            for mid in st.case_message_ids(id, MEMBERS)? {
                if let Some(m) = st.message_by_id(mid)? {
                    members.push(m);
                }
            }
            Ok::<_, store::StoreError>(Some((case, days, members)))
        })
        .await
        .map_err(viewer.error())?;
    let Some((case, days, members)) = found else {
        return Err(UiError::not_found(viewer.lang));
    };
    let s = viewer.s();
    let chart = chart::line_chart(
        "case",
        s.trend,
        &days
            .iter()
            .map(|(d, _)| d[5..].to_owned())
            .collect::<Vec<_>>(),
        &[Series {
            name: s.messages.to_owned(),
            class: "s0",
            values: days.iter().map(|(_, n)| *n as f64).collect(),
            dashed: false,
        }],
    );
    let members = members
        .into_iter()
        .rev()
        .map(|m| Member {
            href: format!("/c/{}", m.conversation_id),
            author: m.message.author,
            channel: m.message.channel,
            at: fmt_time(m.message.created_at),
            text: m.message.text,
        })
        .collect();
    render(
        viewer.lang,
        &CasePage {
            c: viewer.frame("/cases"),
            label: case.label,
            customers: case.customers,
            messages_total: case.size,
            first: fmt_time(case.first_seen),
            last: fmt_time(case.last_seen),
            chart,
            members,
        },
    )
}
