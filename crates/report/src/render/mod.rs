//! Renderers of a [`crate::Report`]: JSON (the stable documented shape), CSV (the facts) and
//! a self-contained HTML page with SVG charts.

pub mod html;
pub mod svg;

use std::io::Write;

use crate::{ConversationFacts, Report, ReportError};

/// The language of the HTML labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    De,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        match s {
            "de" => Ok(Lang::De),
            "en" => Ok(Lang::En),
            _ => Err(ReportError::Option {
                option: "--lang".into(),
                message: format!("{s:?} is not one of de, en"),
            }),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }

    /// Picks the text for this language.
    pub fn t<'a>(self, en: &'a str, de: &'a str) -> &'a str {
        match self {
            Lang::De => de,
            Lang::En => en,
        }
    }
}

/// Output format of `kundenversteher report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Result<Self, ReportError> {
        match s {
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            _ => Err(ReportError::Option {
                option: "--format".into(),
                message: format!("{s:?} is not one of html, json, csv"),
            }),
        }
    }
}

/// The report as pretty JSON.
pub fn json<W: Write>(report: &Report, mut out: W) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut out, report).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// The facts as CSV, one row per conversation.
pub fn csv<W: Write>(facts: &[ConversationFacts], out: W) -> Result<(), ReportError> {
    crate::facts_csv::write(facts, out)
}

/// Writes the report in `format` (CSV writes the facts the report was computed from).
pub fn write<W: Write>(
    format: Format,
    report: &Report,
    facts: &[ConversationFacts],
    lang: Lang,
    out: W,
) -> Result<(), ReportError> {
    match format {
        Format::Json => json(report, out),
        Format::Csv => csv(facts, out),
        Format::Html => {
            let mut out = out;
            out.write_all(html::page(report, lang).as_bytes())?;
            Ok(())
        }
    }
}
