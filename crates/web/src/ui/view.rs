//! Small view pieces the pages share: select options, badges, time and duration formats,
//! and the badges an analysis earns.

use model::Timestamp;

use super::i18n::Strings;

/// One `<option>`.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Choice {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// A coloured label; `class` picks the colour in the stylesheet.
#[derive(Debug, Clone)]
pub struct Badge {
    pub class: &'static str,
    pub label: String,
}

impl Badge {
    pub fn new(class: &'static str, label: impl Into<String>) -> Self {
        Badge {
            class,
            label: label.into(),
        }
    }
}

/// `2026-11-24 20:15` (UTC).
pub fn fmt_time(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A duration for people: `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`.
pub fn fmt_duration(secs: i64) -> String {
    let secs = secs.abs();
    if secs < 60 {
        format!("{secs} s")
    } else if secs < 3600 {
        format!("{} min", secs / 60)
    } else if secs < 86_400 {
        let m = (secs % 3600) / 60;
        if m == 0 {
            format!("{} h", secs / 3600)
        } else {
            format!("{} h {m} min", secs / 3600)
        }
    } else {
        let h = (secs % 86_400) / 3600;
        if h == 0 {
            format!("{} d", secs / 86_400)
        } else {
            format!("{} d {h} h", secs / 86_400)
        }
    }
}

/// `0.42` -> `42 %`.
pub fn pct(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// The first `max` characters of a text, on one line.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut s: String = one_line.chars().take(max).collect();
        s.push('…');
        s
    }
}

pub fn sentiment_label(s: &Strings, label: model::SentimentLabel) -> &'static str {
    match label {
        model::SentimentLabel::Negative => s.sentiment_negative,
        model::SentimentLabel::Neutral => s.sentiment_neutral,
        model::SentimentLabel::Positive => s.sentiment_positive,
    }
}

/// The badges an analysis earns: sentiment, toxicity, fact claim, churn intent, language.
pub fn analysis_badges(s: &Strings, a: &model::Analysis) -> Vec<Badge> {
    let mut out = vec![Badge::new(
        a.sentiment.label.as_str(),
        sentiment_label(s, a.sentiment.label),
    )];
    if a.toxicity >= 0.5 {
        out.push(Badge::new("toxic", s.badge_toxic));
    }
    if a.fact_claim >= 0.5 {
        out.push(Badge::new("fact", s.badge_fact));
    }
    if a.churn >= 0.5 {
        out.push(Badge::new("churn", s.badge_churn));
    }
    if !a.language.is_empty() {
        out.push(Badge::new("lang", a.language.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(fmt_duration(42), "42 s");
        assert_eq!(fmt_duration(-600), "10 min");
        assert_eq!(fmt_duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(fmt_duration(2 * 86_400 + 4 * 3600), "2 d 4 h");
    }

    #[test]
    fn excerpt_cuts_on_chars() {
        assert_eq!(excerpt("a  b\nc", 10), "a b c");
        assert_eq!(excerpt("äöüäöü", 3), "äöü…");
    }
}
