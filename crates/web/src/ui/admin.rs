//! Administration: users, teams and skills, members, routing rules, response-time policies,
//! business-hours calendars, the escalation chain, executives, webhooks and API tokens.
//! Changes go through the same code as the API (`api::accounts`, `api::workflow`), so
//! validation and the audit log are the same whichever way an admin works: every workflow
//! form edits the newest configuration version and saves a new one through
//! [`WorkflowConfig::validate`]; a refused change shows the reason on the page, naming the
//! field.

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{NaiveDate, Weekday};
use serde::Deserialize;
use workflow::{
    Calendar, Condition, DayTime, EscalationStep, Member, OpenHours, PolicyCondition, Presence,
    PriorityLevel, PublicHolidays, Role as TeamRole, Routing, RoutingRule, Skills, SlaPolicy,
    Stage, Team, WorkflowConfig,
};

use super::error::{UiError, UiResult, render};
use super::frame::{Frame, Viewer, role_label};
use super::i18n::Strings;
use super::view::{Choice, fmt_time};
use crate::api::accounts::{self, NewToken, NewUser};
use crate::api::workflow::{self as wf, NewWebhook};
use crate::auth::{Permission, Role};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

/// Most entries in one comma-separated list field (topics, languages, ...).
const MAX_LIST: usize = 50;
/// Longest single name or list entry.
const MAX_NAME_CHARS: usize = 120;

pub struct UserRow {
    pub name: String,
    pub role: &'static str,
    pub language: String,
    pub created: String,
}

pub struct TokenRow {
    pub name: String,
    pub scopes: String,
    pub created: String,
    pub state: &'static str,
}

pub struct MemberRow {
    pub id: String,
    pub role: &'static str,
    pub capacity: u32,
    pub presence: &'static str,
    pub languages: String,
}

pub struct TeamRow {
    pub id: String,
    pub name: String,
    pub topics: String,
    pub languages: String,
    pub channels: String,
    pub members: Vec<MemberRow>,
    pub is_default: bool,
}

pub struct RuleRow {
    pub index: usize,
    pub position: usize,
    pub name: String,
    pub condition: String,
    pub team: String,
    pub first: bool,
    pub last: bool,
}

pub struct PolicyRow {
    pub index: usize,
    pub name: String,
    pub condition: String,
    pub calendar: String,
    pub first_response: String,
    pub next_response: String,
    pub resolution: String,
    pub warn: String,
    pub first: bool,
    pub last: bool,
}

pub struct CalendarRow {
    pub name: String,
    pub time_zone: String,
    pub hours: String,
    pub holidays: String,
    pub public_holidays: &'static str,
}

pub struct StepRow {
    pub index: usize,
    pub position: usize,
    pub notify: &'static str,
    pub when: &'static str,
    pub after: String,
    pub first: bool,
    pub last: bool,
}

pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub created_by: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    c: Frame,
    users: Vec<UserRow>,
    roles: Vec<Choice>,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    new_secret: Option<String>,
    /// Stored configuration version; empty before the first save (sent back with each form).
    version: String,
    has_config: bool,
    teams: Vec<TeamRow>,
    team_choices: Vec<Choice>,
    member_roles: Vec<Choice>,
    presences: Vec<Choice>,
    by_skill: bool,
    rules: Vec<RuleRow>,
    visibilities: Vec<Choice>,
    policies: Vec<PolicyRow>,
    builtin_policies: bool,
    priorities: Vec<Choice>,
    negatives: Vec<Choice>,
    calendars: Vec<Choice>,
    calendar_rows: Vec<CalendarRow>,
    steps: Vec<StepRow>,
    stages: Vec<Choice>,
    executives: Vec<String>,
    webhooks: Vec<WebhookRow>,
}

/// What to show once, after an action.
#[derive(Default)]
struct Extra {
    new_token: Option<String>,
    new_secret: Option<String>,
    notice: Option<(String, bool)>,
}

fn join(list: &[String]) -> String {
    list.join(", ")
}

fn team_role_label(s: &Strings, r: TeamRole) -> &'static str {
    match r {
        TeamRole::Agent => s.role_agent,
        TeamRole::Lead => s.role_lead,
        TeamRole::Executive => s.role_executive,
    }
}

fn presence_label(s: &Strings, p: Presence) -> &'static str {
    match p {
        Presence::Online => s.presence_online,
        Presence::Away => s.presence_away,
        Presence::Offline => s.presence_offline,
    }
}

fn priority_label(s: &Strings, p: PriorityLevel) -> &'static str {
    match p {
        PriorityLevel::Low => s.prio_low,
        PriorityLevel::Normal => s.prio_normal,
        PriorityLevel::High => s.prio_high,
        PriorityLevel::Urgent => s.prio_urgent,
    }
}

fn visibility_label(s: &Strings, v: model::Visibility) -> &'static str {
    match v {
        model::Visibility::Public => s.badge_public,
        model::Visibility::Private => s.badge_private,
    }
}

/// A routing condition in words: `topics: a, b · languages: en · ...`.
fn describe_condition(s: &Strings, c: &Condition) -> String {
    let mut parts = Vec::new();
    for (label, list) in [
        (s.topics, &c.topics),
        (s.languages, &c.languages),
        (s.channels, &c.channels),
        (s.brands, &c.brands),
    ] {
        if !list.is_empty() {
            parts.push(format!("{label}: {}", join(list)));
        }
    }
    if let Some(v) = c.visibility {
        parts.push(format!("{}: {}", s.visibility, visibility_label(s, v)));
    }
    for (label, v) in [
        (s.min_negativity, c.min_negativity),
        (s.min_toxicity, c.min_toxicity),
        (s.min_urgency, c.min_urgency),
    ] {
        if let Some(v) = v {
            parts.push(format!("{label} {v}"));
        }
    }
    if parts.is_empty() {
        s.always.to_owned()
    } else {
        parts.join(" · ")
    }
}

fn describe_policy(s: &Strings, c: &PolicyCondition) -> String {
    let mut parts = Vec::new();
    if !c.channels.is_empty() {
        parts.push(format!("{}: {}", s.channels, join(&c.channels)));
    }
    if !c.priorities.is_empty() {
        let p: Vec<&str> = c.priorities.iter().map(|p| priority_label(s, *p)).collect();
        parts.push(format!("{}: {}", s.priorities, p.join(", ")));
    }
    if let Some(v) = c.visibility {
        parts.push(format!("{}: {}", s.visibility, visibility_label(s, v)));
    }
    if let Some(n) = c.negative {
        parts.push(format!("{}: {}", s.negative, if n { s.yes } else { s.no }));
    }
    if parts.is_empty() {
        s.always.to_owned()
    } else {
        parts.join(" · ")
    }
}

fn minutes(m: Option<u32>) -> String {
    m.map(|m| super::view::fmt_duration(i64::from(m) * 60))
        .unwrap_or_else(|| "–".into())
}

/// Weekday names as typed and shown: German and English abbreviations and full names.
const WEEKDAYS: [(Weekday, [&str; 4]); 7] = [
    (Weekday::Mon, ["mo", "mon", "montag", "monday"]),
    (Weekday::Tue, ["di", "tue", "dienstag", "tuesday"]),
    (Weekday::Wed, ["mi", "wed", "mittwoch", "wednesday"]),
    (Weekday::Thu, ["do", "thu", "donnerstag", "thursday"]),
    (Weekday::Fri, ["fr", "fri", "freitag", "friday"]),
    (Weekday::Sat, ["sa", "sat", "samstag", "saturday"]),
    (Weekday::Sun, ["so", "sun", "sonntag", "sunday"]),
];

fn weekday(name: &str) -> Option<Weekday> {
    let name = name.trim().trim_end_matches('.').to_lowercase();
    WEEKDAYS
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(d, _)| *d)
}

/// Opening hours as typed: `Mo-Fr 08:00-18:00; Sa 10:00-14:00` (German or English day names,
/// any case; `,` lists days, `-` spans them, also across the weekend). `None` when any part
/// is not understood or a span is empty.
fn parse_hours(text: &str) -> Option<Vec<OpenHours>> {
    let text = text.replace(['–', '—'], "-");
    let mut out = Vec::new();
    for part in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let at = part.find(|c: char| c.is_ascii_digit())?;
        let (days_text, times) = part.split_at(at);
        let times: String = times.chars().filter(|c| !c.is_whitespace()).collect();
        let (from, to) = times.split_once('-')?;
        let (from, to): (DayTime, DayTime) = (from.parse().ok()?, to.parse().ok()?);
        if from >= to {
            return None;
        }
        let mut days: Vec<Weekday> = Vec::new();
        for item in days_text
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let (first, last) = match item.split_once('-') {
                Some((a, b)) => (weekday(a)?, weekday(b)?),
                None => (weekday(item)?, weekday(item)?),
            };
            let mut d = first;
            loop {
                if !days.contains(&d) {
                    days.push(d);
                }
                if d == last {
                    break;
                }
                d = d.succ();
            }
        }
        if days.is_empty() {
            return None;
        }
        out.push(OpenHours { days, from, to });
    }
    Some(out)
}

/// Opening hours in the page's language, in the form [`parse_hours`] reads
/// (`Mo-Fr 08:00-18:00; Sa 10:00-14:00`).
fn describe_hours(s: &Strings, hours: &[OpenHours]) -> String {
    let names: Vec<&str> = s.weekdays_short.split(' ').collect();
    let name = |d: Weekday| {
        names
            .get(d.num_days_from_monday() as usize)
            .copied()
            .unwrap_or("?")
    };
    hours
        .iter()
        .map(|h| {
            // Runs of consecutive days (in the order given) read as spans.
            let mut runs: Vec<(Weekday, Weekday)> = Vec::new();
            for d in &h.days {
                match runs.last_mut() {
                    Some((_, last)) if last.succ() == *d => *last = *d,
                    _ => runs.push((*d, *d)),
                }
            }
            let days: Vec<String> = runs
                .iter()
                .map(
                    |(a, b)| match (a.num_days_from_monday(), b.num_days_from_monday()) {
                        (x, y) if x == y => name(*a).to_owned(),
                        (x, y) if y == x + 1 => format!("{}, {}", name(*a), name(*b)),
                        _ => format!("{}-{}", name(*a), name(*b)),
                    },
                )
                .collect();
            format!("{} {}-{}", days.join(", "), h.from, h.to)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn stage_label(s: &Strings, stage: Stage) -> &'static str {
    match stage {
        Stage::Warning => s.stage_warning,
        Stage::Breach => s.stage_breach,
    }
}

async fn render_admin(
    state: &AppState,
    viewer: &Viewer,
    extra: Extra,
    status: StatusCode,
) -> UiResult {
    viewer.require(Permission::Admin)?;
    let lang = viewer.lang;
    let s = viewer.s();
    let (users, tokens, hooks) = state
        .db(|st| Ok::<_, store::StoreError>((st.list_users()?, st.list_tokens()?, st.webhooks()?)))
        .await
        .map_err(viewer.error())?;
    let stored = wf::current_config(state).await.map_err(viewer.error())?;
    let users = users
        .into_iter()
        .map(|u| UserRow {
            role: role_label(s, Role::parse(&u.role)),
            name: u.name,
            language: u.language,
            created: fmt_time(u.created_at),
        })
        .collect();
    let tokens = tokens
        .into_iter()
        .map(|t| TokenRow {
            name: t.name,
            scopes: t.scopes,
            created: fmt_time(t.created_at),
            state: if t.revoked { "revoked" } else { "active" },
        })
        .collect();
    let roles = Role::ALL
        .iter()
        .map(|r| Choice::new(r.as_str(), role_label(s, Some(*r)), false))
        .collect();
    let (version, cfg) = match &stored {
        Some((v, cfg)) => (v.to_string(), Some(cfg)),
        None => (String::new(), None),
    };
    let empty = skeleton(String::new());
    let cfg_ref = cfg.unwrap_or(&empty);
    let teams = cfg_ref
        .teams
        .iter()
        .map(|t| TeamRow {
            id: t.id.clone(),
            name: t.name.clone().unwrap_or_default(),
            topics: join(&t.skills.topics),
            languages: join(&t.skills.languages),
            channels: join(&t.skills.channels),
            members: t
                .members
                .iter()
                .map(|m| MemberRow {
                    id: m.id.clone(),
                    role: team_role_label(s, m.role),
                    capacity: m.capacity,
                    presence: presence_label(s, m.presence),
                    languages: join(&m.languages),
                })
                .collect(),
            is_default: t.id == cfg_ref.routing.default_team,
        })
        .collect();
    let team_choices = cfg_ref
        .teams
        .iter()
        .map(|t| {
            Choice::new(
                t.id.clone(),
                t.name.clone().unwrap_or_else(|| t.id.clone()),
                t.id == cfg_ref.routing.default_team,
            )
        })
        .collect();
    let n_rules = cfg_ref.routing.rules.len();
    let rules = cfg_ref
        .routing
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleRow {
            index: i,
            position: i + 1,
            name: r.name.clone(),
            condition: describe_condition(s, &r.when),
            team: r.team.clone(),
            first: i == 0,
            last: i + 1 == n_rules,
        })
        .collect();
    let builtin_policies = cfg_ref.sla.is_empty();
    let shown_policies = if builtin_policies {
        workflow::default_policies()
    } else {
        cfg_ref.sla.clone()
    };
    let n_policies = shown_policies.len();
    let policies = shown_policies
        .iter()
        .enumerate()
        .map(|(i, p)| PolicyRow {
            index: i,
            name: p.name.clone(),
            condition: describe_policy(s, &p.when),
            calendar: p.calendar.clone(),
            first_response: minutes(p.first_response_minutes),
            next_response: minutes(p.next_response_minutes),
            resolution: minutes(p.resolution_minutes),
            warn: minutes(p.warn_before_minutes),
            first: i == 0,
            last: i + 1 == n_policies,
        })
        .collect();
    let mut calendars = vec![
        Choice::new("always", s.calendar_always, false),
        Choice::new("office", s.calendar_office, true),
    ];
    for c in &cfg_ref.calendars {
        if !calendars.iter().any(|x| x.value == c.name) {
            calendars.push(Choice::new(c.name.clone(), c.name.clone(), false));
        }
    }
    let calendar_rows = cfg_ref
        .calendars
        .iter()
        .map(|k| CalendarRow {
            name: k.name.clone(),
            time_zone: k.time_zone.to_string(),
            hours: describe_hours(s, &k.hours),
            holidays: k
                .holidays
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            public_holidays: match k.public_holidays {
                Some(PublicHolidays::De) => s.public_holidays_de,
                None => s.none_label,
            },
        })
        .collect();
    let n_steps = cfg_ref.escalation.steps.len();
    let steps = cfg_ref
        .escalation
        .steps
        .iter()
        .enumerate()
        .map(|(i, st)| StepRow {
            index: i,
            position: i + 1,
            notify: team_role_label(s, st.notify),
            when: stage_label(s, st.when),
            after: if st.when == Stage::Breach && st.after_minutes > 0 {
                minutes(Some(st.after_minutes))
            } else {
                "–".into()
            },
            first: i == 0,
            last: i + 1 == n_steps,
        })
        .collect();
    let webhooks = hooks
        .into_iter()
        .map(|w| WebhookRow {
            id: w.id,
            url: w.url,
            created_by: w.created_by,
            created: fmt_time(w.created_at),
        })
        .collect();
    let mut c = viewer.frame("/admin");
    if let Some((text, error)) = extra.notice {
        c = c.with_notice(text, error);
    }
    let page = AdminPage {
        c,
        users,
        roles,
        tokens,
        new_token: extra.new_token,
        new_secret: extra.new_secret,
        version,
        has_config: cfg.is_some(),
        teams,
        team_choices,
        member_roles: [TeamRole::Agent, TeamRole::Lead, TeamRole::Executive]
            .into_iter()
            .map(|r| Choice::new(r.as_str(), team_role_label(s, r), false))
            .collect(),
        presences: [Presence::Online, Presence::Away, Presence::Offline]
            .into_iter()
            .map(|p| {
                let v = match p {
                    Presence::Online => "online",
                    Presence::Away => "away",
                    Presence::Offline => "offline",
                };
                Choice::new(v, presence_label(s, p), false)
            })
            .collect(),
        by_skill: cfg_ref.routing.by_skill,
        rules,
        visibilities: vec![
            Choice::new("public", s.badge_public, false),
            Choice::new("private", s.badge_private, false),
        ],
        policies,
        builtin_policies,
        priorities: [
            PriorityLevel::Low,
            PriorityLevel::Normal,
            PriorityLevel::High,
            PriorityLevel::Urgent,
        ]
        .into_iter()
        .map(|p| Choice::new(p.as_str(), priority_label(s, p), false))
        .collect(),
        negatives: vec![
            Choice::new("yes", s.yes, false),
            Choice::new("no", s.no, false),
        ],
        calendars,
        calendar_rows,
        steps,
        stages: vec![
            Choice::new("warning", s.stage_warning, false),
            Choice::new("breach", s.stage_breach, true),
        ],
        executives: cfg_ref.executives.iter().map(|m| m.id.clone()).collect(),
        webhooks,
    };
    let mut response = render(lang, &page)?;
    *response.status_mut() = status;
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    #[serde(default)]
    saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AdminQuery>,
) -> UiResult {
    let notice = q.saved.map(|_| (viewer.s().saved.to_owned(), false));
    render_admin(
        &state,
        &viewer,
        Extra {
            notice,
            ..Extra::default()
        },
        StatusCode::OK,
    )
    .await
}

/// Shows an error of a refused change on the admin page (422 for rule violations, else the
/// error's own status); internal errors become the error page.
async fn refused(state: &AppState, viewer: &Viewer, e: ApiError) -> UiResult {
    let s = viewer.s();
    let status = e.status();
    if matches!(
        e,
        ApiError::Internal(_)
            | ApiError::Forbidden(_)
            | ApiError::Csrf
            | ApiError::Unauthenticated
            | ApiError::Unavailable
    ) {
        return Err(UiError::from_api(viewer.lang, e));
    }
    let text = match &e {
        ApiError::Conflict { code, .. } if *code == "stale_version" => s.config_stale.to_owned(),
        ApiError::NotFound(_) => s.not_found.to_owned(),
        other => other.to_string(),
    };
    render_admin(
        state,
        viewer,
        Extra {
            notice: Some((format!("{} {text}", s.not_saved), true)),
            ..Extra::default()
        },
        status,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct UserForm {
    name: String,
    role: String,
    password: String,
}

pub async fn add_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<UserForm>,
) -> UiResult {
    viewer.require(Permission::Admin)?;
    let created = accounts::create_user(
        State(state.clone()),
        viewer.user.clone(),
        ApiJson(NewUser {
            name: f.name,
            role: f.role,
            password: f.password,
        }),
    )
    .await;
    match created {
        Ok(_) => Ok(Redirect::to("/admin?saved=1#h-users").into_response()),
        Err(e) => refused(&state, &viewer, e).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    scopes: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(f): Form<TokenForm>,
) -> UiResult {
    viewer.require(Permission::Admin)?;
    let created = accounts::create_token(
        State(state.clone()),
        viewer.user.clone(),
        ApiJson(NewToken {
            name: f.name,
            scopes: f.scopes.split(',').map(|s| s.trim().to_owned()).collect(),
        }),
    )
    .await;
    match created {
        Ok((_, axum::Json(created))) => {
            let secret = created["secret"].as_str().map(str::to_owned);
            let extra = Extra {
                new_token: secret,
                ..Extra::default()
            };
            render_admin(&state, &viewer, extra, StatusCode::OK).await
        }
        Err(e) => refused(&state, &viewer, e).await,
    }
}

/// The fields of an urlencoded form; a name may repeat (checkboxes).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Self {
        Fields(form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// A form mistake: which field (its label) and what is wrong.
struct FieldError {
    label: &'static str,
    problem: &'static str,
}

type FieldResult<T> = Result<T, FieldError>;

fn field_error(label: &'static str, problem: &'static str) -> FieldError {
    FieldError { label, problem }
}

/// A required name: 1-120 characters, no control characters.
fn name_field(f: &Fields, key: &str, label: &'static str, s: &Strings) -> FieldResult<String> {
    let v = f.get(key);
    if v.is_empty() {
        return Err(field_error(label, s.field_missing));
    }
    if v.chars().count() > MAX_NAME_CHARS || v.chars().any(char::is_control) {
        return Err(field_error(label, s.field_too_long));
    }
    Ok(v.to_owned())
}

fn optional_text(
    f: &Fields,
    key: &str,
    label: &'static str,
    s: &Strings,
) -> FieldResult<Option<String>> {
    let v = f.get(key);
    if v.is_empty() {
        Ok(None)
    } else if v.chars().count() > MAX_NAME_CHARS || v.chars().any(char::is_control) {
        Err(field_error(label, s.field_too_long))
    } else {
        Ok(Some(v.to_owned()))
    }
}

/// `a, b,c` -> `["a", "b", "c"]` (trimmed, empty entries dropped, duplicates removed).
fn list_field(f: &Fields, key: &str, label: &'static str, s: &Strings) -> FieldResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for item in f
        .get(key)
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        if item.chars().count() > MAX_NAME_CHARS || item.chars().any(char::is_control) {
            return Err(field_error(label, s.field_too_long));
        }
        if !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    if out.len() > MAX_LIST {
        return Err(field_error(label, s.field_too_long));
    }
    Ok(out)
}

fn minutes_field(
    f: &Fields,
    key: &str,
    label: &'static str,
    s: &Strings,
) -> FieldResult<Option<u32>> {
    let v = f.get(key);
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(m) if m > 0 && m <= 525_600 => Ok(Some(m)),
        _ => Err(field_error(label, s.invalid_minutes)),
    }
}

fn share_field(
    f: &Fields,
    key: &str,
    label: &'static str,
    s: &Strings,
) -> FieldResult<Option<f32>> {
    let v = f.get(key).replace(',', ".");
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<f32>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(Some(x)),
        _ => Err(field_error(label, s.invalid_share)),
    }
}

fn visibility_field(
    f: &Fields,
    label: &'static str,
    s: &Strings,
) -> FieldResult<Option<model::Visibility>> {
    match f.get("visibility") {
        "" => Ok(None),
        "public" => Ok(Some(model::Visibility::Public)),
        "private" => Ok(Some(model::Visibility::Private)),
        _ => Err(field_error(label, s.invalid_choice)),
    }
}

fn index_field(f: &Fields, len: usize, s: &Strings) -> FieldResult<usize> {
    f.get("index")
        .parse::<usize>()
        .ok()
        .filter(|i| *i < len)
        .ok_or(field_error(s.rule_order, s.invalid_choice))
}

/// A configuration with no teams yet (only valid once a team is added).
fn skeleton(default_team: String) -> WorkflowConfig {
    WorkflowConfig {
        teams: Vec::new(),
        routing: Routing {
            rules: Vec::new(),
            default_team,
            by_skill: true,
        },
        assignment: Default::default(),
        priority: Default::default(),
        calendars: Vec::new(),
        sla: Vec::new(),
        escalation: Default::default(),
        executives: Vec::new(),
        canned: Vec::new(),
    }
}

/// Moves entry `i` one place up or down.
fn shift<T>(list: &mut [T], i: usize, up: bool) {
    if up && i > 0 {
        list.swap(i, i - 1);
    } else if !up && i + 1 < list.len() {
        list.swap(i, i + 1);
    }
}

/// `KIND.delete`, `KIND.up` or `KIND.down` on an ordered list: the entry at the form's
/// `index` is removed or moved one place.
fn reorder<T>(list: &mut Vec<T>, f: &Fields, s: &Strings) -> FieldResult<()> {
    let i = index_field(f, list.len(), s)?;
    match f.get("action").rsplit('.').next() {
        Some("delete") => {
            list.remove(i);
        }
        Some(verb) => shift(list, i, verb == "up"),
        None => {}
    }
    Ok(())
}

/// Applies one workflow form to `cfg`.
fn apply(cfg: &mut WorkflowConfig, f: &Fields, s: &'static Strings) -> FieldResult<()> {
    match f.get("action") {
        "team.save" => {
            let id = name_field(f, "id", s.team_id, s)?;
            let skills = Skills {
                topics: list_field(f, "topics", s.topics, s)?,
                languages: list_field(f, "languages", s.languages, s)?,
                channels: list_field(f, "channels", s.channels, s)?,
            };
            let name = optional_text(f, "name", s.name, s)?;
            match cfg.teams.iter_mut().find(|t| t.id == id) {
                Some(t) => {
                    t.name = name;
                    t.skills = skills;
                }
                None => cfg.teams.push(Team {
                    id: id.clone(),
                    name,
                    skills,
                    members: Vec::new(),
                }),
            }
            if cfg.routing.default_team.is_empty() {
                cfg.routing.default_team = id;
            }
        }
        "team.delete" => {
            let id = f.get("id");
            cfg.teams.retain(|t| t.id != id);
        }
        "member.save" => {
            let team = f.get("team");
            let id = name_field(f, "id", s.username, s)?;
            if crate::api::accounts::check_user_name(&id).is_err() {
                return Err(field_error(s.username, s.invalid_user_name));
            }
            let role = match f.get("role") {
                "agent" | "" => TeamRole::Agent,
                "lead" => TeamRole::Lead,
                "executive" => TeamRole::Executive,
                _ => return Err(field_error(s.role, s.invalid_choice)),
            };
            let presence = match f.get("presence") {
                "online" | "" => Presence::Online,
                "away" => Presence::Away,
                "offline" => Presence::Offline,
                _ => return Err(field_error(s.presence, s.invalid_choice)),
            };
            let capacity = match f.get("capacity") {
                "" => 5,
                v => v
                    .parse::<u32>()
                    .ok()
                    .filter(|c| *c <= 1000)
                    .ok_or(field_error(s.capacity, s.invalid_capacity))?,
            };
            let languages = list_field(f, "languages", s.languages, s)?;
            let t = cfg
                .teams
                .iter_mut()
                .find(|t| t.id == team)
                .ok_or(field_error(s.team, s.invalid_choice))?;
            let member = Member {
                id: id.clone(),
                name: None,
                role,
                capacity,
                presence,
                languages,
            };
            match t.members.iter_mut().find(|m| m.id == id) {
                Some(m) => {
                    *m = Member {
                        name: m.name.take(),
                        ..member
                    }
                }
                None => t.members.push(member),
            }
        }
        "member.delete" => {
            let (team, id) = (f.get("team"), f.get("id"));
            if let Some(t) = cfg.teams.iter_mut().find(|t| t.id == team) {
                t.members.retain(|m| m.id != id);
            }
        }
        "routing.save" => {
            let team = f.get("default_team");
            if team.is_empty() {
                return Err(field_error(s.default_team, s.field_missing));
            }
            cfg.routing.default_team = team.to_owned();
            cfg.routing.by_skill = f.get("by_skill") == "on";
        }
        "rule.save" => {
            let name = name_field(f, "name", s.name, s)?;
            let team = name_field(f, "team", s.team, s)?;
            let when = Condition {
                topics: list_field(f, "topics", s.topics, s)?,
                languages: list_field(f, "languages", s.languages, s)?,
                channels: list_field(f, "channels", s.channels, s)?,
                brands: list_field(f, "brands", s.brands, s)?,
                visibility: visibility_field(f, s.visibility, s)?,
                min_negativity: share_field(f, "min_negativity", s.min_negativity, s)?,
                min_toxicity: share_field(f, "min_toxicity", s.min_toxicity, s)?,
                min_urgency: share_field(f, "min_urgency", s.min_urgency, s)?,
            };
            let rule = RoutingRule { name, when, team };
            let position = match f.get("position") {
                "" => None,
                v => Some(
                    v.parse::<usize>()
                        .ok()
                        .filter(|p| *p >= 1)
                        .ok_or(field_error(s.position, s.invalid_choice))?,
                ),
            };
            let rules = &mut cfg.routing.rules;
            let existing = rules.iter().position(|r| r.name == rule.name);
            match (existing, position) {
                (Some(i), None) => rules[i] = rule,
                (existing, position) => {
                    if let Some(i) = existing {
                        rules.remove(i);
                    }
                    let at = position.map_or(rules.len(), |p| (p - 1).min(rules.len()));
                    rules.insert(at, rule);
                }
            }
        }
        "rule.delete" | "rule.up" | "rule.down" => reorder(&mut cfg.routing.rules, f, s)?,
        "sla.save" => {
            let name = name_field(f, "name", s.name, s)?;
            let mut priorities = Vec::new();
            for p in f.all("priorities") {
                priorities.push(match p {
                    "low" => PriorityLevel::Low,
                    "normal" => PriorityLevel::Normal,
                    "high" => PriorityLevel::High,
                    "urgent" => PriorityLevel::Urgent,
                    _ => return Err(field_error(s.priorities, s.invalid_choice)),
                });
            }
            let negative = match f.get("negative") {
                "" => None,
                "yes" => Some(true),
                "no" => Some(false),
                _ => return Err(field_error(s.negative, s.invalid_choice)),
            };
            let policy = SlaPolicy {
                name,
                when: PolicyCondition {
                    channels: list_field(f, "channels", s.channels, s)?,
                    priorities,
                    visibility: visibility_field(f, s.visibility, s)?,
                    negative,
                },
                calendar: name_field(f, "calendar", s.calendar, s)?,
                first_response_minutes: minutes_field(f, "first", s.first_response, s)?,
                next_response_minutes: minutes_field(f, "next", s.next_response, s)?,
                resolution_minutes: minutes_field(f, "resolution", s.resolution, s)?,
                warn_before_minutes: minutes_field(f, "warn", s.warn_before, s)?,
            };
            if policy.first_response_minutes.is_none()
                && policy.next_response_minutes.is_none()
                && policy.resolution_minutes.is_none()
            {
                return Err(field_error(s.first_response, s.field_missing));
            }
            match cfg.sla.iter_mut().find(|p| p.name == policy.name) {
                Some(p) => *p = policy,
                None => cfg.sla.push(policy),
            }
        }
        "sla.delete" | "sla.up" | "sla.down" => reorder(&mut cfg.sla, f, s)?,
        "calendar.save" => {
            let name = name_field(f, "name", s.name, s)?;
            // The time zone is checked by the same deserializer as the API's and TOML's.
            let zone = match f.get("time_zone") {
                "" => "UTC",
                z => z,
            };
            let mut calendar: Calendar =
                serde_json::from_value(serde_json::json!({ "name": name, "time_zone": zone }))
                    .map_err(|_| field_error(s.time_zone, s.invalid_time_zone))?;
            if f.get("hours").is_empty() {
                return Err(field_error(s.opening_hours, s.field_missing));
            }
            calendar.hours =
                parse_hours(f.get("hours")).ok_or(field_error(s.opening_hours, s.invalid_hours))?;
            let mut holidays = Vec::new();
            for d in list_field(f, "holidays", s.holidays, s)? {
                let date = NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| field_error(s.holidays, s.invalid_date))?;
                if !holidays.contains(&date) {
                    holidays.push(date);
                }
            }
            holidays.sort();
            calendar.holidays = holidays;
            calendar.public_holidays = match f.get("public_holidays") {
                "" | "none" => None,
                "de" => Some(PublicHolidays::De),
                _ => return Err(field_error(s.public_holidays, s.invalid_choice)),
            };
            match cfg.calendars.iter_mut().find(|k| k.name == calendar.name) {
                Some(k) => *k = calendar,
                None => cfg.calendars.push(calendar),
            }
        }
        "calendar.delete" => {
            let name = f.get("name");
            cfg.calendars.retain(|k| k.name != name);
        }
        "step.save" => {
            let notify = match f.get("notify") {
                "agent" => TeamRole::Agent,
                "lead" => TeamRole::Lead,
                "executive" => TeamRole::Executive,
                _ => return Err(field_error(s.notify, s.invalid_choice)),
            };
            let when = match f.get("when") {
                "warning" => Stage::Warning,
                "breach" => Stage::Breach,
                _ => return Err(field_error(s.trigger, s.invalid_choice)),
            };
            let after_minutes = match f.get("after") {
                "" | "0" => 0,
                v => match v.parse::<u32>() {
                    Ok(m) if m <= 525_600 && when == Stage::Breach => m,
                    Ok(m) if m <= 525_600 => {
                        return Err(field_error(s.after_minutes, s.after_only_breach));
                    }
                    _ => return Err(field_error(s.after_minutes, s.invalid_minutes)),
                },
            };
            let step = EscalationStep {
                notify,
                when,
                after_minutes,
            };
            let steps = &mut cfg.escalation.steps;
            let at = match f.get("position") {
                "" => steps.len(),
                v => v
                    .parse::<usize>()
                    .ok()
                    .filter(|p| *p >= 1)
                    .map(|p| (p - 1).min(steps.len()))
                    .ok_or(field_error(s.position, s.invalid_choice))?,
            };
            steps.insert(at, step);
        }
        "step.delete" | "step.up" | "step.down" => reorder(&mut cfg.escalation.steps, f, s)?,
        "executive.save" => {
            let id = name_field(f, "id", s.username, s)?;
            if crate::api::accounts::check_user_name(&id).is_err() {
                return Err(field_error(s.username, s.invalid_user_name));
            }
            let languages = list_field(f, "languages", s.languages, s)?;
            let member = Member {
                id: id.clone(),
                name: None,
                role: TeamRole::Executive,
                capacity: 0,
                presence: Presence::Online,
                languages,
            };
            match cfg.executives.iter_mut().find(|m| m.id == id) {
                Some(m) => *m = member,
                None => cfg.executives.push(member),
            }
        }
        "executive.delete" => {
            let id = f.get("id");
            cfg.executives.retain(|m| m.id != id);
        }
        _ => return Err(field_error(s.admin_title, s.invalid_choice)),
    }
    Ok(())
}

/// Where the page jumps back to after an action.
fn anchor(action: &str) -> &'static str {
    match action.split('.').next().unwrap_or("") {
        "team" | "member" => "#h-teams",
        "rule" | "routing" => "#h-routing",
        "sla" => "#h-sla",
        "calendar" => "#h-calendars",
        "step" | "executive" => "#h-escalation",
        _ => "",
    }
}

/// `POST /admin/workflow`: one change to the workflow configuration, saved as a new version.
pub async fn workflow(State(state): State<AppState>, viewer: Viewer, body: Bytes) -> UiResult {
    viewer.require(Permission::Admin)?;
    let s = viewer.s();
    let f = Fields::parse(&body);
    let expected = match f.get("version") {
        "" => None,
        v => Some(
            v.parse::<i64>()
                .map_err(|_| UiError::bad(viewer.lang, s.config_stale))?,
        ),
    };
    let stored = wf::current_config(&state).await.map_err(viewer.error())?;
    let mut cfg = stored
        .map(|(_, c)| c)
        .unwrap_or_else(|| skeleton(String::new()));
    if let Err(e) = apply(&mut cfg, &f, s) {
        let text = format!("{} {}: {}", s.not_saved, e.label, e.problem);
        let extra = Extra {
            notice: Some((text, true)),
            ..Extra::default()
        };
        return render_admin(&state, &viewer, extra, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match wf::save_config(&state, &viewer.user, &cfg, Some(expected)).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin?saved=1{}", anchor(f.get("action")))).into_response())
        }
        Err(e) => refused(&state, &viewer, e).await,
    }
}

/// `POST /admin/webhooks`: add a receiver (the secret is shown once) or remove one.
pub async fn webhooks(State(state): State<AppState>, viewer: Viewer, body: Bytes) -> UiResult {
    viewer.require(Permission::Admin)?;
    let f = Fields::parse(&body);
    match f.get("action") {
        "delete" => {
            let id = f.get("id").parse::<i64>().unwrap_or(-1);
            let done = wf::delete_webhook(
                State(state.clone()),
                viewer.user.clone(),
                axum::extract::Path(id),
            )
            .await;
            match done {
                Ok(_) => Ok(Redirect::to("/admin?saved=1#h-webhooks").into_response()),
                Err(e) => refused(&state, &viewer, e).await,
            }
        }
        _ => {
            let secret = Some(f.get("secret").to_owned()).filter(|v| !v.is_empty());
            let added = wf::add_webhook(
                State(state.clone()),
                viewer.user.clone(),
                ApiJson(NewWebhook {
                    url: f.get("url").to_owned(),
                    secret,
                }),
            )
            .await;
            match added {
                Ok((_, axum::Json(v))) => {
                    let extra = Extra {
                        new_secret: v["secret"].as_str().map(str::to_owned),
                        notice: Some((viewer.s().saved.to_owned(), false)),
                        ..Extra::default()
                    };
                    render_admin(&state, &viewer, extra, StatusCode::OK).await
                }
                Err(e) => refused(&state, &viewer, e).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::i18n::Lang;
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Fields {
        Fields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn forms_build_a_valid_configuration() {
        let s = Lang::En.strings();
        let mut cfg = skeleton(String::new());
        apply(
            &mut cfg,
            &form(&[
                ("action", "team.save"),
                ("id", "technik"),
                ("name", "Technik"),
                ("topics", "stoerung, internet, stoerung"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        assert_eq!(
            cfg.routing.default_team, "technik",
            "first team is the default"
        );
        assert_eq!(cfg.teams[0].skills.topics, ["stoerung", "internet"]);
        apply(
            &mut cfg,
            &form(&[
                ("action", "member.save"),
                ("team", "technik"),
                ("id", "tina"),
                ("role", "lead"),
                ("capacity", "3"),
                ("languages", "de,en"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        assert_eq!(cfg.teams[0].members[0].role, TeamRole::Lead);
        for (name, pos) in [("a", ""), ("b", ""), ("c", "1")] {
            apply(
                &mut cfg,
                &form(&[
                    ("action", "rule.save"),
                    ("name", name),
                    ("team", "technik"),
                    ("topics", "stoerung"),
                    ("min_negativity", "0,5"),
                    ("position", pos),
                ]),
                s,
            )
            .ok()
            .unwrap();
        }
        let names = |c: &WorkflowConfig| -> Vec<String> {
            c.routing.rules.iter().map(|r| r.name.clone()).collect()
        };
        assert_eq!(names(&cfg), ["c", "a", "b"]);
        assert_eq!(cfg.routing.rules[0].when.min_negativity, Some(0.5));
        apply(
            &mut cfg,
            &form(&[("action", "rule.down"), ("index", "0")]),
            s,
        )
        .ok()
        .unwrap();
        assert_eq!(names(&cfg), ["a", "c", "b"]);
        apply(
            &mut cfg,
            &form(&[
                ("action", "sla.save"),
                ("name", "social"),
                ("channels", "twitter"),
                ("priorities", "high"),
                ("priorities", "urgent"),
                ("negative", "yes"),
                ("calendar", "always"),
                ("first", "30"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        assert_eq!(
            cfg.sla[0].when.priorities,
            [PriorityLevel::High, PriorityLevel::Urgent]
        );
        assert!(cfg.validate().is_ok());
        // Removing the team the rules use is refused by the same validation as the API.
        apply(
            &mut cfg,
            &form(&[("action", "team.delete"), ("id", "technik")]),
            s,
        )
        .ok()
        .unwrap();
        assert!(
            cfg.validate()
                .unwrap_err()
                .to_string()
                .contains("routing.rules[0]")
        );
    }

    #[test]
    fn opening_hours_read_as_typed_and_shown_the_same_way() {
        let h = parse_hours("Mo-Fr 08:00-18:00; sat 10:00 - 14:00\nSo, Mi 12:00–13:30").unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h[0].days.len(), 5);
        assert_eq!(h[1].days, [Weekday::Sat]);
        assert_eq!(h[2].days, [Weekday::Sun, Weekday::Wed]);
        assert_eq!(h[2].to.to_string(), "13:30");
        // Across the weekend.
        assert_eq!(parse_hours("Fr-Mo 20:00-24:00").unwrap()[0].days.len(), 4);
        for lang in Lang::ALL {
            let shown = describe_hours(lang.strings(), &h);
            assert_eq!(parse_hours(&shown).unwrap(), h, "{shown}");
        }
        assert_eq!(
            describe_hours(Lang::De.strings(), &h),
            "Mo-Fr 08:00-18:00; Sa 10:00-14:00; So, Mi 12:00-13:30"
        );
        for bad in [
            "08:00-18:00",
            "Mo 18:00-08:00",
            "Xy 08:00-09:00",
            "Mo 8-9",
            "Mo 25:00-26:00",
        ] {
            assert!(parse_hours(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn calendar_escalation_and_executive_forms() {
        let s = Lang::En.strings();
        let mut cfg = skeleton("a".into());
        cfg.teams.push(Team {
            id: "a".into(),
            name: None,
            skills: Skills::default(),
            members: Vec::new(),
        });
        apply(
            &mut cfg,
            &form(&[
                ("action", "calendar.save"),
                ("name", "office-nrw"),
                ("time_zone", "Europe/Berlin"),
                ("hours", "Mo-Fr 08:00-18:00"),
                ("holidays", "2026-11-01, 2026-06-04"),
                ("public_holidays", "de"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        let k = &cfg.calendars[0];
        assert_eq!(k.time_zone.to_string(), "Europe/Berlin");
        assert_eq!(k.holidays[0].to_string(), "2026-06-04");
        assert_eq!(k.public_holidays, Some(PublicHolidays::De));
        apply(
            &mut cfg,
            &form(&[
                ("action", "sla.save"),
                ("name", "p"),
                ("calendar", "office-nrw"),
                ("first", "60"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        assert!(cfg.validate().is_ok());
        // The same name replaces; removing a calendar a policy uses is refused by validation.
        apply(
            &mut cfg,
            &form(&[
                ("action", "calendar.save"),
                ("name", "office-nrw"),
                ("time_zone", "UTC"),
                ("hours", "Sa 10:00-14:00"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        assert_eq!(cfg.calendars.len(), 1);
        assert_eq!(cfg.calendars[0].public_holidays, None);
        let mut removed = cfg.clone();
        apply(
            &mut removed,
            &form(&[("action", "calendar.delete"), ("name", "office-nrw")]),
            s,
        )
        .ok()
        .unwrap();
        assert!(
            removed
                .validate()
                .unwrap_err()
                .to_string()
                .contains("sla[0]")
        );

        let steps = |c: &WorkflowConfig| -> Vec<(TeamRole, Stage, u32)> {
            c.escalation
                .steps
                .iter()
                .map(|st| (st.notify, st.when, st.after_minutes))
                .collect()
        };
        apply(
            &mut cfg,
            &form(&[
                ("action", "step.save"),
                ("notify", "executive"),
                ("when", "breach"),
                ("after", "120"),
                ("position", "3"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        assert_eq!(steps(&cfg)[2], (TeamRole::Executive, Stage::Breach, 120));
        assert_eq!(steps(&cfg).len(), 4);
        apply(
            &mut cfg,
            &form(&[("action", "step.delete"), ("index", "3")]),
            s,
        )
        .ok()
        .unwrap();
        apply(&mut cfg, &form(&[("action", "step.up"), ("index", "1")]), s)
            .ok()
            .unwrap();
        assert_eq!(
            steps(&cfg),
            [
                (TeamRole::Lead, Stage::Breach, 0),
                (TeamRole::Agent, Stage::Warning, 0),
                (TeamRole::Executive, Stage::Breach, 120),
            ]
        );
        apply(
            &mut cfg,
            &form(&[
                ("action", "executive.save"),
                ("id", "vorstand"),
                ("languages", "de"),
            ]),
            s,
        )
        .ok()
        .unwrap();
        assert_eq!(cfg.executives[0].role, TeamRole::Executive);
        assert_eq!(cfg.executives[0].capacity, 0);
        apply(
            &mut cfg,
            &form(&[("action", "executive.delete"), ("id", "vorstand")]),
            s,
        )
        .ok()
        .unwrap();
        assert!(cfg.executives.is_empty());
        assert!(cfg.validate().is_ok());
        // Round trip through TOML, as the API stores it.
        let text = toml::to_string(&cfg).unwrap();
        assert_eq!(WorkflowConfig::from_toml(&text).unwrap(), cfg);
    }

    #[test]
    fn form_mistakes_name_the_field() {
        let s = Lang::De.strings();
        let mut cfg = skeleton("a".into());
        let cases: [(&[(&str, &str)], &str); 11] = [
            (
                &[
                    ("action", "calendar.save"),
                    ("name", "k"),
                    ("time_zone", "Mars/Olympus"),
                    ("hours", "Mo 08:00-09:00"),
                ],
                s.time_zone,
            ),
            (
                &[("action", "calendar.save"), ("name", "k"), ("hours", "")],
                s.opening_hours,
            ),
            (
                &[
                    ("action", "calendar.save"),
                    ("name", "k"),
                    ("hours", "Montag bis Freitag"),
                ],
                s.opening_hours,
            ),
            (
                &[
                    ("action", "calendar.save"),
                    ("name", "k"),
                    ("hours", "Mo 08:00-09:00"),
                    ("holidays", "24.12.2026"),
                ],
                s.holidays,
            ),
            (
                &[
                    ("action", "step.save"),
                    ("notify", "lead"),
                    ("when", "warning"),
                    ("after", "30"),
                ],
                s.after_minutes,
            ),
            (&[("action", "executive.save"), ("id", "a b")], s.username),
            (&[("action", "team.save"), ("id", "")], s.team_id),
            (
                &[
                    ("action", "member.save"),
                    ("team", "a"),
                    ("id", "x"),
                    ("capacity", "-1"),
                ],
                s.capacity,
            ),
            (
                &[
                    ("action", "rule.save"),
                    ("name", "r"),
                    ("team", "a"),
                    ("min_urgency", "2"),
                ],
                s.min_urgency,
            ),
            (
                &[
                    ("action", "sla.save"),
                    ("name", "p"),
                    ("calendar", "always"),
                    ("first", "x"),
                ],
                s.first_response,
            ),
            (&[("action", "rule.delete"), ("index", "3")], s.rule_order),
        ];
        for (pairs, label) in cases {
            let e = apply(&mut cfg, &form(pairs), s).expect_err("refused");
            assert_eq!(e.label, label, "{pairs:?}");
        }
    }
}
