//! The HTML report shows every figure of the JSON, for every group, next to its definition.

use std::collections::HashSet;

use regex::Regex;
use report::definitions::{GROUP_FIGURES, SECTIONS};
use report::render::Lang;
use report::render::html::esc;
use serde_json::Value;

use crate::{read, report_of};

/// Every `(figure path, value)` leaf of a group's JSON except `key` and `by_period`.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, sub) in o {
                if prefix.is_empty() && (k == "key" || k == "by_period") {
                    continue;
                }
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&p, sub, out);
            }
        }
        Value::Null => out.push((prefix.to_owned(), String::new())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

fn check(lang: Lang) {
    let mut messages = read(ingest::Format::Twcs, "twcs/twcs_head5000.csv");
    messages.extend(read(
        ingest::Format::Airline,
        "twitter_us_airline_sentiment/Tweets.csv",
    ));
    // Cases as the live engine would mark them; here, for the test, the airline complaint
    // reason with the airline (`#1 United Late Flight`), so there are cases of every size.
    for a in &mut messages {
        let labels = &a.message.labels;
        if let (Some(topic), Some(brand)) = (labels.get("topic"), labels.get("brand")) {
            a.case = Some(format!("#{} {brand} {topic}", topic.len()));
        }
    }
    let (report, _) = report_of(messages);
    assert!(report.cases.cases >= 20, "{}", report.cases.cases);
    let html = report::render::html::page(&report, lang);
    let json = serde_json::to_value(&report).unwrap();

    let cell =
        Regex::new(r#"data-key="([^"]*)" data-figure="([^"]*)" data-value="([^"]*)""#).unwrap();
    let cells: HashSet<(&str, &str, &str)> = cell
        .captures_iter(&html)
        .map(|c| {
            let (_, [k, f, v]) = c.extract();
            (k, f, v)
        })
        .collect();
    let groups = std::iter::once(&json["overall"]).chain(json["groups"].as_array().unwrap());
    let mut checked = 0;
    for g in groups {
        let key = esc(g["key"].as_str().unwrap());
        let mut ls = Vec::new();
        leaves("", g, &mut ls);
        for (path, value) in ls {
            assert!(
                cells.contains(&(key.as_str(), path.as_str(), esc(&value).as_str())),
                "HTML lacks {key} {path} = {value}"
            );
            checked += 1;
        }
    }
    assert!(checked > 3000, "{checked}");
    // The largest cases, each with its counts and time span.
    for row in report.cases.list.iter().take(50) {
        let life = &row.life;
        let cells = format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            esc(&row.case),
            life.conversations,
            life.customers,
            esc(life.first_at.as_deref().unwrap()),
            esc(life.last_at.as_deref().unwrap())
        );
        assert!(html.contains(&cells), "HTML lacks case row {cells}");
    }
    for fig in GROUP_FIGURES.iter().chain(SECTIONS) {
        let def = esc(lang.t(fig.def_en, fig.def_de));
        assert!(
            html.contains(&format!("id=\"def-{}\"", fig.id)),
            "no definition block for {}",
            fig.id
        );
        assert!(html.contains(&def), "definition of {} missing", fig.id);
    }
    // The full method text is embedded, and the method id.
    assert!(html.contains("kundenversteher-metrics"));
    assert!(html.contains("Worked example"));
    assert!(html.contains("<svg"));
    assert!(!html.contains("<script"));
}

#[test]
fn every_json_figure_is_in_the_html_with_its_definition_en() {
    check(Lang::En);
}

#[test]
fn every_json_figure_is_in_the_html_with_its_definition_de() {
    check(Lang::De);
}
