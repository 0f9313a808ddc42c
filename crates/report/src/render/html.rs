//! The HTML report: one self-contained page (inline CSS, inline SVG, no scripts) with every
//! figure next to its definition, the charts, and the full method text (docs/METRICS.md).
//!
//! Written by hand rather than with askama: the page is generated from the figure registry and
//! the JSON values (so the HTML cannot drift from the JSON), and every piece of text from the
//! data goes through [`esc`], the one place where untrusted text enters the page. Customer and
//! staff text is never written raw.

use std::fmt::Write;

use serde_json::Value;

use super::Lang;
use super::svg::{self, Bar};
use crate::definitions::{Figure, GROUP_FIGURES, SECTIONS, figure};
use crate::figures::{Group, Lifetime, Report};

/// Escapes text for HTML element content and double- or single-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const NEG: &str = "#d64545";
const NEU: &str = "#9aa5b1";
const POS: &str = "#3f9d5a";
const UNK: &str = "#d9dde3";

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1f2933}\
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}th,td{border:1px solid #d9dde3;padding:3px 6px;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f0f3f7}.def{color:#52606d;font-size:13px;max-width:900px}\
.ex{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;text-align:left}\
section{margin-bottom:2em}.method{background:#f7f9fb;padding:1em;border:1px solid #d9dde3}details{margin:.3em 0}";

/// The whole page.
pub fn page(report: &Report, lang: Lang) -> String {
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let mut h = String::with_capacity(256 * 1024);
    let title = t(
        "Kundenversteher report: the dialogue with customers, measured",
        "Kundenversteher-Bericht: der Dialog mit Kunden, gemessen",
    );
    let _ = write!(
        h,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{}</style></head><body>",
        lang.code(),
        esc(title),
        STYLE
    );
    let _ = write!(h, "<h1>{}</h1>", esc(title));
    method_summary(&mut h, report, lang);
    population(&mut h, report, lang);
    charts(&mut h, report, lang);

    let _ = write!(h, "<h2 id=\"figures\">{}</h2>", t("Figures", "Kennzahlen"));
    let groups: Vec<(String, Value)> = std::iter::once(&report.overall)
        .chain(&report.groups)
        .map(|g| (g.key.clone(), group_json(g)))
        .collect();
    for fig in GROUP_FIGURES {
        figure_table(&mut h, fig, &groups, lang);
    }
    periods(&mut h, report, lang);
    agents(&mut h, report, lang);
    topics(&mut h, report, lang);
    cases(&mut h, report, lang);
    deflection(&mut h, report, lang);
    lost_customers(&mut h, report, lang);
    insults(&mut h, report, lang);

    let _ = write!(
        h,
        "<section class=\"method\" id=\"method\"><h2>{}</h2>{}</section>",
        t(
            "Method: definitions of every figure",
            "Methode: Definition jeder Kennzahl"
        ),
        markdown(crate::METRICS_MD)
    );
    h.push_str("</body></html>\n");
    h
}

fn group_json(g: &Group) -> Value {
    let mut v = serde_json::to_value(g).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("by_period");
    }
    v
}

fn label(fig: &Figure, lang: Lang) -> &'static str {
    lang.t(fig.label_en, fig.label_de)
}

fn section_head(h: &mut String, id: &str, lang: Lang) {
    if let Some(fig) = figure(id) {
        let _ = write!(
            h,
            "<section id=\"sec-{id}\"><h2>{}</h2><p class=\"def\" id=\"def-{id}\">{}</p>",
            esc(label(fig, lang)),
            esc(lang.t(fig.def_en, fig.def_de))
        );
    }
}

fn method_summary(h: &mut String, r: &Report, lang: Lang) {
    let m = &r.method;
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let range = format!(
        "{} – {}",
        m.from.map(|d| d.to_string()).unwrap_or_else(|| "…".into()),
        m.to.map(|d| d.to_string()).unwrap_or_else(|| "…".into())
    );
    let _ = write!(
        h,
        "<p class=\"def\">{} <code>{}</code> {} {} · {}: {} · {}: {} · {}: {} · {}: {} · {}: {} · <a href=\"#method\">{}</a></p>",
        t("Method", "Methode"),
        esc(&m.id),
        t("version", "Version"),
        esc(&m.version),
        t("source", "Quelle"),
        esc(&m.source),
        t("range", "Zeitraum"),
        esc(&range),
        t("groups by", "Gruppen nach"),
        m.by.as_str(),
        t("period", "Zeitraster"),
        m.period.as_str(),
        t("business hours", "Geschäftszeiten"),
        esc(&m.business_hours),
        t("definitions", "Definitionen"),
    );
    let sentiment_note = if m.sentiment_from_gold + m.sentiment_from_model == 0 {
        t(
            "No sentiment is available for these messages (no gold labels, no classifier run): share negative and the satisfaction proxy are n/a.",
            "Für diese Nachrichten liegt keine Stimmung vor (keine Gold-Labels, kein Klassifikator): Anteil negativ und die Zufriedenheits-Näherung sind k. A.",
        )
        .to_string()
    } else {
        format!(
            "{}: {} {}, {} {}, {} {}.",
            t(
                "Sentiment of customer messages",
                "Stimmung der Kundennachrichten"
            ),
            m.sentiment_from_gold,
            t("from gold labels", "aus Gold-Labels"),
            m.sentiment_from_model,
            t("from the classifier", "vom Klassifikator"),
            m.sentiment_missing,
            t("without", "ohne")
        )
    };
    let _ = write!(h, "<p class=\"def\">{}</p>", esc(&sentiment_note));
}

fn population(h: &mut String, r: &Report, lang: Lang) {
    let p = &r.population;
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let _ = write!(
        h,
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th></tr>",
        t("Population", "Grundgesamtheit"),
        t("what", "was"),
        t("count", "Anzahl")
    );
    let rows: [(&str, String); 7] = [
        (
            t("conversations in range", "Gespräche im Zeitraum"),
            p.conversations.to_string(),
        ),
        (
            t("customer conversations", "Kundengespräche"),
            p.customer_conversations.to_string(),
        ),
        (
            t(
                "started by us (not counted as customer conversations)",
                "von uns begonnen (keine Kundengespräche)",
            ),
            p.brand_started_conversations.to_string(),
        ),
        (
            t("blog and feed conversations", "Blog- und Feed-Gespräche"),
            p.external_conversations.to_string(),
        ),
        (
            t("outside the range", "außerhalb des Zeitraums"),
            p.outside_range.to_string(),
        ),
        (
            t("first day", "erster Tag"),
            p.first_day.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            t("last day", "letzter Tag"),
            p.last_day.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
    }
    h.push_str("</table>");
}

fn charts(h: &mut String, r: &Report, lang: Lang) {
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let _ = write!(h, "<h2>{}</h2>", t("Charts", "Diagramme"));
    let has_sentiment = r
        .overall
        .by_period
        .iter()
        .any(|p| p.messages_with_sentiment > 0);
    let bars: Vec<Bar> = r
        .overall
        .by_period
        .iter()
        .map(|p| Bar {
            label: p.period.clone(),
            segments: vec![
                (p.negative_messages as f64, NEG),
                (p.neutral_messages as f64, NEU),
                (p.positive_messages as f64, POS),
                (
                    p.inbound_messages.saturating_sub(p.messages_with_sentiment) as f64,
                    UNK,
                ),
            ],
        })
        .collect();
    let title = t(
        "Customer messages per period, by sentiment",
        "Kundennachrichten je Zeitraum, nach Stimmung",
    );
    let _ = write!(h, "<h3>{}</h3>", esc(title));
    let legend_full = [
        (t("negative", "negativ"), NEG),
        (t("neutral", "neutral"), NEU),
        (t("positive", "positiv"), POS),
        (t("no sentiment", "ohne Stimmung"), UNK),
    ];
    let legend: &[(&str, &str)] = if has_sentiment {
        &legend_full
    } else {
        &legend_full[3..]
    };
    h.push_str(&svg::stacked_bars(title, &bars, legend));

    let title = t(
        "First-response time, answered customer conversations",
        "Erste Antwortzeit, beantwortete Kundengespräche",
    );
    let _ = write!(h, "<h3>{}</h3>", esc(title));
    let bars: Vec<Bar> = r
        .first_response_histogram
        .iter()
        .map(|b| Bar {
            label: b.label.clone(),
            segments: vec![(b.conversations as f64, "#3b7dd8")],
        })
        .collect();
    h.push_str(&svg::stacked_bars(title, &bars, &[]));
    h.push_str("<table><tr><th>≤</th>");
    for b in &r.first_response_histogram {
        let _ = write!(h, "<th>{}</th>", esc(&b.label));
    }
    let _ = write!(h, "</tr><tr><td>{}</td>", t("conversations", "Gespräche"));
    for b in &r.first_response_histogram {
        let _ = write!(h, "<td>{}</td>", b.conversations);
    }
    h.push_str("</tr></table>");

    let rows: Vec<(String, f64)> = r
        .groups
        .iter()
        .filter_map(|g| g.response_rate.map(|v| (g.key.clone(), v)))
        .take(25)
        .collect();
    if !rows.is_empty() {
        let title = t(
            "Response rate of the largest groups",
            "Antwortquote der größten Gruppen",
        );
        let _ = write!(h, "<h3>{}</h3>", esc(title));
        h.push_str(&svg::horizontal_bars(title, &rows, 1.0, true));
    }
    let mentions: Vec<Bar> = r
        .overall
        .by_period
        .iter()
        .map(|p| Bar {
            label: p.period.clone(),
            segments: vec![(p.external_mentions as f64, "#8e6cc8")],
        })
        .collect();
    let title = t(
        "Mentions in external blogs and feeds per period",
        "Erwähnungen in externen Blogs und Feeds je Zeitraum",
    );
    let _ = write!(h, "<h3>{}</h3>", esc(title));
    if r.overall.external_mentions == 0 {
        let _ = write!(
            h,
            "<p class=\"def\">{}</p>",
            t(
                "No blog or feed channel in these data.",
                "Keine Blog- oder Feed-Kanäle in diesen Daten."
            )
        );
    } else {
        h.push_str(&svg::stacked_bars(title, &mentions, &[]));
    }
}

/// The display form of one value: durations readable, shares as percent.
fn display(path: &str, v: &Value) -> String {
    match v {
        Value::Null => "n/a".into(),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(0.0);
            let last = path.rsplit('.').next().unwrap_or(path);
            let is_duration = path.contains("_s.") || path.ends_with("_s");
            let is_share = last == "share"
                || last.ends_with("_rate")
                || last == "share_negative"
                || (path.starts_with("satisfaction") && last == "value");
            if is_share {
                format!("{:.1} %", x * 100.0)
            } else if is_duration && last != "n" {
                duration(x)
            } else if x.fract() == 0.0 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            }
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// "n/a" in the page's language.
fn localised(shown: String, lang: Lang) -> String {
    if shown == "n/a" {
        lang.t("n/a", "k. A.").to_owned()
    } else {
        shown
    }
}

/// 42 s, 5 min 3 s, 2 h 5 min, 3 d 4 h.
pub fn duration(secs: f64) -> String {
    let s = secs.round() as i64;
    let (d, hh, m, ss) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    if d > 0 {
        format!("{d} d {hh} h")
    } else if hh > 0 {
        format!("{hh} h {m} min")
    } else if m > 0 {
        format!("{m} min {ss} s")
    } else {
        format!("{ss} s")
    }
}

fn cell(h: &mut String, key: &str, path: &str, v: &Value, lang: Lang) {
    let raw = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let _ = write!(
        h,
        "<td data-key=\"{}\" data-figure=\"{}\" data-value=\"{}\">{}</td>",
        esc(key),
        esc(path),
        esc(&raw),
        esc(&localised(display(path, v), lang))
    );
}

/// Leaf paths under one figure value: `[]` for a scalar, `["median", ...]` for an object,
/// `["agent.replies", ...]` one level deeper.
fn leaf_paths(v: &Value) -> Vec<String> {
    match v {
        Value::Object(o) => o
            .iter()
            .flat_map(|(k, sub)| match sub {
                Value::Object(inner) => inner.keys().map(|k2| format!("{k}.{k2}")).collect(),
                _ => vec![k.clone()],
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn lookup<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(v, |v, p| v.get(p).unwrap_or(&Value::Null))
}

fn figure_table(h: &mut String, fig: &Figure, groups: &[(String, Value)], lang: Lang) {
    let id = fig.id;
    let _ = write!(
        h,
        "<section id=\"fig-{id}\"><h3>{}</h3><p class=\"def\" id=\"def-{id}\"><code>{id}</code>: {}</p><table><tr><th>{}</th>",
        esc(label(fig, lang)),
        esc(lang.t(fig.def_en, fig.def_de)),
        lang.t("group", "Gruppe")
    );
    let first = groups.first().map(|(_, g)| &g[id]).unwrap_or(&Value::Null);
    let subs = leaf_paths(first);
    if subs.is_empty() {
        let _ = write!(h, "<th>{}</th>", esc(label(fig, lang)));
    } else {
        for s in &subs {
            let _ = write!(h, "<th>{}</th>", esc(s));
        }
    }
    h.push_str("</tr>");
    for (key, g) in groups {
        let _ = write!(h, "<tr><td>{}</td>", esc(key));
        let v = &g[id];
        if subs.is_empty() {
            cell(h, key, id, v, lang);
        } else {
            for s in &subs {
                cell(h, key, &format!("{id}.{s}"), lookup(v, s), lang);
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></section>");
}

fn periods(h: &mut String, r: &Report, lang: Lang) {
    section_head(h, "by_period", lang);
    let cols = [
        "inbound_conversations",
        "inbound_messages",
        "negative_messages",
        "neutral_messages",
        "positive_messages",
        "messages_with_sentiment",
        "share_negative",
        "responded_conversations",
        "response_rate",
        "first_response_median_s",
        "external_mentions",
    ];
    for g in std::iter::once(&r.overall).chain(&r.groups) {
        let open = if g.key == "overall" { " open" } else { "" };
        let _ = write!(
            h,
            "<details{open}><summary>{}</summary><table><tr><th>period</th>",
            esc(&g.key)
        );
        for c in cols {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr>");
        for p in &g.by_period {
            let v = serde_json::to_value(p).unwrap_or(Value::Null);
            let _ = write!(h, "<tr><td>{}</td>", esc(&p.period));
            for c in cols {
                let _ = write!(h, "<td>{}</td>", esc(&display(c, &v[c])));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table></details>");
    }
    h.push_str("</section>");
}

fn agents(h: &mut String, r: &Report, lang: Lang) {
    section_head(h, "agents", lang);
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("agent", "Mitarbeiter"),
        t("team", "Team"),
        t("role", "Rolle"),
        t("conversations", "Gespräche"),
        t("replies", "Antworten"),
        t("deflected replies", "Antworten mit Floskel"),
        t("per 100 replies", "je 100 Antworten"),
        t("first responses", "Erstantworten"),
        t("median first response", "Median erste Antwort"),
        t("insults received", "erhaltene Beleidigungen"),
    );
    for a in &r.agents {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.agent),
            esc(&a.team),
            esc(&a.role),
            a.conversations,
            a.replies,
            a.deflected_replies,
            opt2(a.deflections_per_100_replies),
            a.first_responses,
            a.first_response_time_s
                .median
                .map(duration)
                .unwrap_or_else(|| "n/a".into()),
            a.insults_received
        );
    }
    h.push_str("</table></section>");
}

fn opt2(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "n/a".into())
}

fn topics(h: &mut String, r: &Report, lang: Lang) {
    section_head(h, "topics", lang);
    if r.topics.is_empty() {
        let _ = write!(
            h,
            "<p class=\"def\">{}</p></section>",
            lang.t(
                "No topics in these data (no topic labels, no classifier run).",
                "Keine Themen in diesen Daten (keine Themen-Labels, kein Klassifikator)."
            )
        );
        return;
    }
    let rows = r.topics.iter().map(|row| (row.topic.as_str(), &row.life));
    lifetime_table(h, lang.t("topic", "Thema"), rows, lang);
    h.push_str("</section>");
}

/// How many cases the HTML lists and charts (the JSON has all).
const CASES_SHOWN: usize = 50;
const CASES_CHARTED: usize = 20;

fn cases(h: &mut String, r: &Report, lang: Lang) {
    section_head(h, "cases", lang);
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let c = &r.cases;
    if c.list.is_empty() {
        let _ = write!(
            h,
            "<p class=\"def\">{}</p></section>",
            t(
                "No cases in these data (no message was grouped with another).",
                "Keine Fälle in diesen Daten (keine Nachricht wurde mit einer anderen gruppiert)."
            )
        );
        return;
    }
    let summary = |s: &crate::Summary, f: &dyn Fn(f64) -> String| {
        s.median.map(f).unwrap_or_else(|| t("n/a", "k. A.").into())
    };
    let days = |d: f64| format!("{d}");
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\
         <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
        t("cases", "Fälle"),
        t("with two or more customers", "mit zwei oder mehr Kunden"),
        t("median lifetime", "Median Lebensdauer"),
        t("p90 lifetime", "p90 Lebensdauer"),
        t("median active days", "Median aktive Tage"),
        t("p90 active days", "p90 aktive Tage"),
        c.cases,
        c.multi_customer_cases,
        summary(&c.lifetime_s, &duration),
        c.lifetime_s.p90.map(duration).unwrap_or_default(),
        summary(&c.active_days, &days),
        c.active_days.p90.map(days).unwrap_or_default(),
    );
    let spans: Vec<svg::Span> = c
        .list
        .iter()
        .take(CASES_CHARTED)
        .filter_map(|row| {
            let at = |s: &Option<String>| {
                s.as_deref()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                    .map(|d| d.timestamp())
            };
            Some(svg::Span {
                label: row.case.clone(),
                from: at(&row.life.first_at)?,
                to: at(&row.life.last_at)?,
                value: row.life.conversations,
            })
        })
        .collect();
    h.push_str(&svg::timeline(
        t(
            "The largest cases: first to last message (number: conversations)",
            "Die größten Fälle: erste bis letzte Nachricht (Zahl: Gespräche)",
        ),
        &spans,
    ));
    if c.list.len() > CASES_SHOWN {
        let _ = write!(
            h,
            "<p class=\"def\">{} {CASES_SHOWN} / {}</p>",
            t(
                "The cases with the most conversations; every case is in the JSON report:",
                "Die Fälle mit den meisten Gesprächen; jeder Fall steht im JSON-Bericht:"
            ),
            c.list.len()
        );
    }
    let rows = c
        .list
        .iter()
        .take(CASES_SHOWN)
        .map(|row| (row.case.as_str(), &row.life));
    lifetime_table(h, t("case", "Fall"), rows, lang);
    h.push_str("</section>");
}

/// A table of lifetimes (topics or cases), one row per key.
fn lifetime_table<'a>(
    h: &mut String,
    key_header: &str,
    rows: impl Iterator<Item = (&'a str, &'a Lifetime)>,
    lang: Lang,
) {
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(key_header),
        t("conversations", "Gespräche"),
        t("customers", "Kunden"),
        t("first message", "erste Nachricht"),
        t("last message", "letzte Nachricht"),
        t("lifetime", "Lebensdauer"),
        t("active days", "aktive Tage"),
        t("median conversation lifetime", "Median Gesprächsdauer"),
    );
    for (key, life) in rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(key),
            life.conversations,
            life.customers,
            esc(life.first_at.as_deref().unwrap_or("")),
            esc(life.last_at.as_deref().unwrap_or("")),
            duration(life.lifetime_s as f64),
            life.active_days,
            life.conversation_lifetime_s
                .median
                .map(duration)
                .unwrap_or_else(|| "n/a".into()),
        );
    }
    h.push_str("</table>");
}

fn deflection(h: &mut String, r: &Report, lang: Lang) {
    section_head(h, "deflection", lang);
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let d = &r.deflection;
    let _ = write!(
        h,
        "<p>{}: {} · {}: {} · {}: {}</p>",
        t("replies", "Antworten"),
        d.replies,
        t("with a deflection phrase", "mit Abwimmel-Floskel"),
        d.deflected_replies,
        t("per 100 replies", "je 100 Antworten"),
        opt2(d.per_100_replies)
    );
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("phrase", "Floskel"),
        t("language", "Sprache"),
        t("kind", "Art"),
        t("occurrences", "Vorkommen")
    );
    for p in &d.phrases {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.phrase),
            esc(&p.lang),
            esc(&p.kind),
            p.count
        );
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        "<h3>{}</h3><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("By team", "Nach Team"),
        t("team", "Team"),
        t("replies", "Antworten"),
        t("deflected replies", "Antworten mit Floskel"),
        t("per 100 replies", "je 100 Antworten")
    );
    for row in &d.by_team {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.team),
            row.replies,
            row.deflected_replies,
            opt2(row.deflections_per_100_replies)
        );
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        "<p class=\"def\">{}</p>",
        t(
            "By agent: see the agent table above.",
            "Nach Mitarbeiter: siehe Mitarbeiter-Tabelle oben."
        )
    );
    let _ = write!(
        h,
        "<h3>{}</h3><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("Examples", "Beispiele"),
        t("phrase", "Floskel"),
        t("agent", "Mitarbeiter"),
        t("time", "Zeit"),
        t("conversation", "Gespräch"),
        t("reply", "Antwort")
    );
    for e in &d.examples {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"ex\">{}</td></tr>",
            esc(&e.phrase),
            esc(&e.agent),
            esc(&e.at.to_rfc3339()),
            esc(&e.conversation),
            esc(&e.text)
        );
    }
    h.push_str("</table></section>");
}

fn lost_customers(h: &mut String, r: &Report, lang: Lang) {
    section_head(h, "lost_customers", lang);
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let l = &r.lost_customers;
    let _ = write!(
        h,
        "<p>{}: {} · {}: {} · {}: {} · {}: {}</p>",
        t("churn messages", "Abwanderungs-Nachrichten"),
        l.churn_messages,
        t("customers", "Kunden"),
        l.customers,
        t("followed up", "nachgefasst"),
        l.followed_up_customers,
        t("open", "offen"),
        l.open_customers
    );
    if l.customers == 0 && r.method.sentiment_from_model == 0 {
        let _ = write!(
            h,
            "<p class=\"def\">{}</p>",
            t(
                "Churn intent needs the classifier or churn labels; none were available, so this list is empty by construction (n/a), not because nobody left.",
                "Abwanderungsabsicht braucht den Klassifikator oder churn-Labels; beides fehlte, daher ist die Liste leer (k. A.), nicht weil niemand gegangen ist."
            )
        );
    }
    let _ = write!(
        h,
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("customer", "Kunde"),
        t("brand", "Marke"),
        t("conversations", "Gespräche"),
        t("churn messages", "Abwanderungs-Nachrichten"),
        t("last said", "zuletzt gesagt"),
        t("status", "Status")
    );
    for c in &l.list {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.customer),
            esc(&c.brand),
            c.conversations,
            c.churn_messages,
            esc(&c.last_churn_at),
            esc(&c.status)
        );
    }
    h.push_str("</table>");
    if !l.examples.is_empty() {
        let _ = write!(
            h,
            "<h3>{}</h3><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("What they wrote", "Was sie geschrieben haben"),
            t("customer", "Kunde"),
            t("time", "Zeit"),
            t("followed up", "nachgefasst"),
            t("message", "Nachricht")
        );
        for e in &l.examples {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"ex\">{}</td></tr>",
                esc(&e.customer),
                esc(&e.at.to_rfc3339()),
                e.followed_up,
                esc(&e.text)
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</section>");
}

fn insults(h: &mut String, r: &Report, lang: Lang) {
    section_head(h, "insults", lang);
    let t = |en: &'static str, de: &'static str| lang.t(en, de);
    let i = &r.insults;
    let _ = write!(
        h,
        "<p>{}: {} · {}: {}</p><table><tr><th>{}</th><th>{}</th></tr>",
        t("insulting messages", "beleidigende Nachrichten"),
        i.messages,
        t("conversations", "Gespräche"),
        i.conversations,
        t("team", "Team"),
        t("insults received", "erhaltene Beleidigungen")
    );
    for row in &i.by_team {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&row.team),
            row.insults_received
        );
    }
    h.push_str("</table></section>");
    let _ = SECTIONS;
}

/// Our own method text (trusted, from the repository) as HTML.
fn markdown(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, Options::ENABLE_TABLES));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_display() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(duration(42.0), "42 s");
        assert_eq!(duration(303.0), "5 min 3 s");
        assert_eq!(duration(7500.0), "2 h 5 min");
        assert_eq!(duration(3.0 * 86_400.0 + 3600.0 * 4.0), "3 d 4 h");
        assert_eq!(display("response_rate", &serde_json::json!(0.5)), "50.0 %");
        assert_eq!(
            display("first_response_time_s.median", &serde_json::json!(300.0)),
            "5 min 0 s"
        );
        assert_eq!(
            display("first_response_time_s.n", &serde_json::json!(3)),
            "3"
        );
        assert_eq!(display("share_negative", &Value::Null), "n/a");
    }
}
