//! Canned responses: reusable reply texts with placeholders such as `{customer_name}` and
//! `{case_number}`. Rendering is safe: values are inserted verbatim and never expanded again
//! (a customer called `{case_number}` stays that text), every placeholder must be known and
//! given, `{{` and `}}` write literal braces, and control characters in values are dropped.
//! Escaping for HTML is the web layer's job.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Placeholders a canned response may use.
pub const PLACEHOLDERS: &[&str] = &[
    "customer_name",
    "case_number",
    "agent_name",
    "brand",
    "conversation_id",
];

/// Longest value inserted for one placeholder, in chars (a name is not an essay).
pub const MAX_VALUE_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedResponse {
    pub id: String,
    pub title: String,
    /// `de` or `en`.
    pub language: String,
    pub body: String,
    #[serde(default)]
    pub topics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("unknown placeholder `{{{name}}}` at byte {at}")]
    Unknown { name: String, at: usize },
    #[error("no value for placeholder `{{{name}}}`")]
    Missing { name: String },
    #[error("unclosed `{{` at byte {at} (write `{{{{` for a literal brace)")]
    Unclosed { at: usize },
    #[error("lone `}}` at byte {at} (write `}}}}` for a literal brace)")]
    LoneClose { at: usize },
}

enum Piece<'a> {
    Text(&'a str),
    Slot(&'a str),
}

/// Splits a template into text and placeholders, checking names against [`PLACEHOLDERS`].
fn parse(body: &str) -> Result<Vec<Piece<'_>>, RenderError> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let (mut i, mut text_start) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push(Piece::Text(&body[text_start..=i]));
                i += 2;
                text_start = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push(Piece::Text(&body[text_start..=i]));
                i += 2;
                text_start = i;
            }
            b'{' => {
                let close = body[i..].find('}').ok_or(RenderError::Unclosed { at: i })? + i;
                let name = body[i + 1..close].trim();
                if !PLACEHOLDERS.contains(&name) {
                    return Err(RenderError::Unknown {
                        name: name.to_owned(),
                        at: i,
                    });
                }
                out.push(Piece::Text(&body[text_start..i]));
                out.push(Piece::Slot(name));
                i = close + 1;
                text_start = i;
            }
            b'}' => return Err(RenderError::LoneClose { at: i }),
            _ => i += 1,
        }
    }
    out.push(Piece::Text(&body[text_start..]));
    Ok(out)
}

fn clean(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .take(MAX_VALUE_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

impl CannedResponse {
    /// Checks the template's syntax and placeholder names.
    pub fn check(&self) -> Result<(), RenderError> {
        parse(&self.body).map(|_| ())
    }

    /// The placeholders the body uses, in order of first use.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for p in parse(&self.body).unwrap_or_default() {
            if let Piece::Slot(n) = p
                && !names.contains(&n)
            {
                names.push(n);
            }
        }
        names
    }

    /// Fills the placeholders from `values`.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<String, RenderError> {
        render(&self.body, values)
    }
}

/// Renders a template body with `values` (see the module docs for the safety rules).
pub fn render(body: &str, values: &BTreeMap<String, String>) -> Result<String, RenderError> {
    let mut out = String::with_capacity(body.len() + 32);
    for piece in parse(body)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot(name) => {
                let v = values.get(name).ok_or_else(|| RenderError::Missing {
                    name: name.to_owned(),
                })?;
                out.push_str(&clean(v));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_table() {
        let values: BTreeMap<String, String> = [
            ("customer_name", "Frau Müller"),
            ("case_number", "K-2026-0042"),
            ("agent_name", "{case_number}"),
            ("brand", "Bahn\u{7}\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let cases: &[(&str, Result<&str, RenderError>)] = &[
            (
                "Hallo {customer_name}, Ihr Fall {case_number} ist bei uns.",
                Ok("Hallo Frau Müller, Ihr Fall K-2026-0042 ist bei uns."),
            ),
            ("{ customer_name }!", Ok("Frau Müller!")),
            // a value is never expanded again
            (
                "Ihr Ansprechpartner: {agent_name}",
                Ok("Ihr Ansprechpartner: {case_number}"),
            ),
            // control characters dropped
            ("Grüße von {brand}", Ok("Grüße von Bahn")),
            ("Literal {{braces}} stay", Ok("Literal {braces} stay")),
            ("no placeholders", Ok("no placeholders")),
            (
                "{password}",
                Err(RenderError::Unknown {
                    name: "password".into(),
                    at: 0,
                }),
            ),
            (
                "Fall {conversation_id}",
                Err(RenderError::Missing {
                    name: "conversation_id".into(),
                }),
            ),
            ("Hallo {customer_name", Err(RenderError::Unclosed { at: 6 })),
            ("Hallo }", Err(RenderError::LoneClose { at: 6 })),
        ];
        for (body, want) in cases {
            let got = render(body, &values);
            assert_eq!(got.as_deref().map_err(Clone::clone), want.clone(), "{body}");
        }
    }

    #[test]
    fn placeholders_listed_once_and_value_length_bounded() {
        let c = CannedResponse {
            id: "x".into(),
            title: "x".into(),
            language: "de".into(),
            body: "{customer_name} {case_number} {customer_name}".into(),
            topics: Vec::new(),
        };
        assert_eq!(c.placeholders(), ["customer_name", "case_number"]);
        let long: BTreeMap<String, String> = [
            ("customer_name".to_owned(), "x".repeat(1000)),
            ("case_number".to_owned(), "1".to_owned()),
        ]
        .into();
        assert_eq!(c.render(&long).unwrap().len(), 2 * MAX_VALUE_CHARS + 3);
    }
}
