//! The dashboard: volume over time by sentiment and by channel (from the newest customer
//! messages) and the first-response time distribution (from the report), as server-rendered
//! SVG with the numbers as a table beside each chart.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;

use super::chart::{self, Series, Svg};
use super::error::{UiResult, render};
use super::frame::{Frame, Viewer};
use crate::auth::Permission;
use crate::state::AppState;

pub struct TableRow {
    pub label: String,
    pub values: Vec<String>,
}

pub struct ChartView {
    pub id: &'static str,
    pub title: &'static str,
    pub svg: Svg,
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Frame,
    period: String,
    charts: Vec<ChartView>,
}

fn series_chart(
    id: &'static str,
    title: &'static str,
    days: &[String],
    by: &BTreeMap<String, BTreeMap<String, f64>>,
    class_of: impl Fn(usize, &str) -> &'static str,
) -> ChartView {
    let series: Vec<Series> = by
        .iter()
        .enumerate()
        .map(|(i, (name, per_day))| Series {
            name: name.clone(),
            class: class_of(i, name),
            values: days
                .iter()
                .map(|d| per_day.get(d).copied().unwrap_or(0.0))
                .collect(),
            dashed: false,
        })
        .collect();
    let svg = chart::line_chart(id, title, days, &series);
    ChartView {
        id,
        title,
        svg,
        columns: by.keys().cloned().collect(),
        rows: days
            .iter()
            .map(|d| TableRow {
                label: d.clone(),
                values: by
                    .values()
                    .map(|p| format!("{}", p.get(d).copied().unwrap_or(0.0)))
                    .collect(),
            })
            .collect(),
    }
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> UiResult {
    viewer.require(Permission::Report)?;
    let s = viewer.s();
    let messages = super::cases::replay(&state).await.map_err(viewer.error())?;
    let mut by_sentiment: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut days: Vec<String> = Vec::new();
    for (m, a) in messages.iter() {
        let day = m.message.created_at.format("%Y-%m-%d").to_string();
        if days.last() != Some(&day) {
            days.push(day.clone());
        }
        let sentiment = a
            .as_ref()
            .map(|a| a.sentiment.label.as_str().to_owned())
            .or_else(|| m.message.labels.get("sentiment").cloned())
            .unwrap_or_else(|| "unknown".into());
        *by_sentiment
            .entry(sentiment)
            .or_default()
            .entry(day.clone())
            .or_default() += 1.0;
        *by_channel
            .entry(m.message.channel.clone())
            .or_default()
            .entry(day)
            .or_default() += 1.0;
    }
    days.dedup();
    let keep = days.len().saturating_sub(60);
    let days: Vec<String> = days.into_iter().skip(keep).collect();
    let sentiment_class = |_: usize, name: &str| match name {
        "negative" => "neg",
        "positive" => "pos",
        "neutral" => "neu",
        _ => "s3",
    };
    const CLASSES: [&str; 6] = ["s0", "s1", "s2", "s3", "s4", "s5"];
    let mut charts = vec![
        series_chart(
            "by-sentiment",
            s.by_sentiment,
            &days,
            &by_sentiment,
            sentiment_class,
        ),
        series_chart("by-channel", s.by_channel, &days, &by_channel, |i, _| {
            CLASSES[i % CLASSES.len()]
        }),
    ];
    let report = super::figures::current(&state)
        .await
        .map_err(viewer.error())?;
    let labels: Vec<String> = report
        .first_response_histogram
        .iter()
        .map(|b| b.label.clone())
        .collect();
    let values: Vec<f64> = report
        .first_response_histogram
        .iter()
        .map(|b| b.conversations as f64)
        .collect();
    charts.push(ChartView {
        id: "response-times",
        title: s.response_distribution,
        svg: chart::bar_chart("response-times", s.response_distribution, &labels, &values),
        columns: vec![s.inbound_conversations.to_owned()],
        rows: labels
            .iter()
            .zip(&values)
            .map(|(l, v)| TableRow {
                label: l.clone(),
                values: vec![format!("{v}")],
            })
            .collect(),
    });
    let period = match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => String::new(),
    };
    render(
        viewer.lang,
        &DashboardPage {
            c: viewer.frame("/dashboard"),
            period,
            charts,
        },
    )
}
