//! The executive front row: the day's critical conversations and open alarms, and the
//! honest figures with their definitions one click away (docs/METRICS.md via `report`).

use askama::Template;
use axum::extract::State;

use super::error::{UiResult, render};
use super::frame::{Frame, Viewer};
use super::view::{Badge, analysis_badges, excerpt, fmt_duration, pct};
use crate::auth::Permission;
use crate::state::AppState;

pub struct FigureView {
    pub label: String,
    pub value: String,
    pub definition: String,
}

pub struct Critical {
    pub href: String,
    pub customer: String,
    pub excerpt: String,
    pub badges: Vec<Badge>,
}

#[derive(Template)]
#[template(path = "front.html")]
struct FrontPage {
    c: Frame,
    period: String,
    figures: Vec<FigureView>,
    critical: Vec<Critical>,
    alarms: Vec<super::cases::AlarmView>,
    method_text: &'static str,
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> UiResult {
    viewer.require(Permission::Report)?;
    let s = viewer.s();
    let lang = viewer.lang;
    let report = super::figures::current(&state)
        .await
        .map_err(viewer.error())?;
    let o = &report.overall;
    let fig = |id: &str, value: String| {
        let (label, def) = super::figures::definition(id, lang);
        FigureView {
            label: label.to_owned(),
            value,
            definition: def.to_owned(),
        }
    };
    let dur = |x: Option<f64>| {
        x.map(|v| fmt_duration(v as i64))
            .unwrap_or_else(|| "–".into())
    };
    let figures = vec![
        fig("inbound_conversations", o.inbound_conversations.to_string()),
        fig(
            "response_rate",
            o.response_rate.map(pct).unwrap_or_else(|| "–".into()),
        ),
        fig(
            "first_response_time_s",
            format!(
                "{} / p90 {}",
                dur(o.first_response_time_s.median),
                dur(o.first_response_time_s.p90)
            ),
        ),
        fig(
            "satisfaction",
            o.satisfaction.value.map(pct).unwrap_or_else(|| "–".into()),
        ),
        fig("churn_customers", o.churn_customers.to_string()),
        fig(
            "share_negative",
            o.share_negative.map(pct).unwrap_or_else(|| "–".into()),
        ),
        // Case longevity: how many cases, and how long the median one lived.
        fig(
            "cases",
            format!(
                "{} · median {}",
                report.cases.cases,
                dur(report.cases.lifetime_s.median)
            ),
        ),
    ];
    let filter = store::InboxFilter {
        state: Some("open".into()),
        limit: 300,
        ..Default::default()
    };
    let entries = state
        .read(move |st| st.inbox(&filter))
        .await
        .map_err(viewer.error())?;
    let mut critical: Vec<Critical> = entries
        .iter()
        .filter(|e| {
            e.analysis.as_ref().is_some_and(|a| {
                (a.is_negative() && e.message.visibility == model::Visibility::Public)
                    || a.toxicity >= 0.5
                    || a.churn >= 0.5
            })
        })
        .take(10)
        .map(|e| Critical {
            href: format!("/c/{}", e.conversation_id),
            customer: e.message.author.clone(),
            excerpt: excerpt(&e.message.text, 120),
            badges: e
                .analysis
                .as_ref()
                .map(|a| analysis_badges(s, a))
                .unwrap_or_default(),
        })
        .collect();
    critical.truncate(10);
    let (alarms, _) = super::cases::load_alarms(&state, s)
        .await
        .map_err(viewer.error())?;
    render(
        lang,
        &FrontPage {
            c: viewer.frame("/front"),
            period: format!(
                "{} {}",
                report.population.customer_conversations, s.inbound_conversations
            ),
            figures,
            critical,
            alarms,
            method_text: report::METRICS_MD,
        },
    )
}
