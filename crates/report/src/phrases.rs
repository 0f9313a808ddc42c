//! The deflection-phrase audit list: phrases such as "unsere Bestimmungen" or "our policy" that
//! staff use instead of helping. Loaded from TOML (the default list is
//! `crates/report/deflection_phrases.toml`), matched case-insensitively on whole words.

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

use crate::ReportError;

/// The list that ships with Kundenversteher; `--phrases FILE` replaces it.
pub const DEFAULT_PHRASES_TOML: &str = include_str!("../deflection_phrases.toml");

/// One phrase of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phrase {
    /// The phrase as written in the list.
    pub text: String,
    /// `de` or `en` (informational).
    #[serde(default)]
    pub lang: String,
    /// A group name shown in the report: regulations, organisation, policy, priority, ...
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseFile {
    #[serde(default)]
    phrase: Vec<Phrase>,
}

/// A compiled phrase list. Matching normalises the text the same way as the phrases
/// (lowercase, typographic apostrophes to `'`, runs of whitespace to one space) and only
/// accepts matches that start and end at a word boundary, so "our policy" does not match
/// inside "your policy".
#[derive(Debug, Clone)]
pub struct PhraseList {
    phrases: Vec<Phrase>,
    matcher: AhoCorasick,
}

impl PhraseList {
    /// Parses a phrase file. `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ReportError> {
        let file: PhraseFile = toml::from_str(text).map_err(|e| ReportError::Phrases {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        for (i, p) in file.phrase.iter().enumerate() {
            if normalise(&p.text).trim().is_empty() {
                return Err(ReportError::Phrases {
                    origin: origin.to_owned(),
                    message: format!("phrase #{} has an empty `text`", i + 1),
                });
            }
        }
        Self::new(file.phrase)
    }

    /// The default list (`deflection_phrases.toml`).
    pub fn default_list() -> Self {
        Self::from_toml(DEFAULT_PHRASES_TOML, "deflection_phrases.toml")
            .expect("the bundled phrase list parses (tested)")
    }

    pub fn new(phrases: Vec<Phrase>) -> Result<Self, ReportError> {
        let patterns: Vec<String> = phrases.iter().map(|p| normalise(p.text.trim())).collect();
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| ReportError::Phrases {
                origin: "phrase list".into(),
                message: e.to_string(),
            })?;
        Ok(Self { phrases, matcher })
    }

    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Indices (into [`Self::phrases`]) of the phrases found in `text`, in text order,
    /// non-overlapping (the longest phrase wins where two overlap).
    pub fn find(&self, text: &str) -> Vec<usize> {
        let norm = normalise(text);
        let mut found = Vec::new();
        for m in self.matcher.find_iter(&norm) {
            let before_ok = norm[..m.start()]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            let after_ok = norm[m.end()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            if before_ok && after_ok {
                found.push(m.pattern().as_usize());
            }
        }
        found
    }
}

/// Lowercase, typographic apostrophes to ASCII, `&amp;` to `&` (Twitter HTML-escapes),
/// whitespace runs to one space.
///
/// Runs over every reply of a report (millions), so ASCII, nearly all of the text, takes a
/// path without the general Unicode lowercase iterator, and `&amp;` is handled in place
/// instead of copying the text first.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for (i, part) in text.split("&amp;").enumerate() {
        if i > 0 {
            out.push('&');
            space = false;
        }
        for c in part.chars() {
            if c.is_whitespace() {
                if !space && !out.is_empty() {
                    out.push(' ');
                }
                space = true;
                continue;
            }
            space = false;
            match c {
                '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => out.push('\''),
                c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
                c => out.extend(c.to_lowercase()),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(list: &PhraseList, text: &str) -> Vec<String> {
        list.find(text)
            .into_iter()
            .map(|i| list.phrases()[i].text.clone())
            .collect()
    }

    #[test]
    fn default_list_parses_and_has_both_languages() {
        let list = PhraseList::default_list();
        assert!(list.len() >= 20);
        assert!(list.phrases().iter().any(|p| p.lang == "de"));
        assert!(list.phrases().iter().any(|p| p.lang == "en"));
    }

    #[test]
    fn german_golden_cases() {
        let list = PhraseList::default_list();
        let cases: &[(&str, &[&str])] = &[
            (
                "Das ist laut UNSERE   Bestimmungen nicht vorgesehen.",
                &["unsere Bestimmungen"],
            ),
            (
                "Aus organisatorischen Gründen können wir das nicht ändern.",
                &["aus organisatorischen Gründen"],
            ),
            (
                "Gemäß unseren Richtlinien dürfen wir keine Auskunft geben.",
                &["gemäß unseren Richtlinien"],
            ),
            ("Dafür sind wir nicht zuständig.", &["nicht zuständig"]),
            ("Wir haben wichtigere Kunden.", &["wichtigere Kunden"]),
            ("Danke, wir kümmern uns sofort darum!", &[]),
            // Not a whole word: "unsere Bestimmungsorte" is not "unsere Bestimmungen".
            ("Das sind unsere Bestimmungsorte.", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(found(&list, text), *expected, "{text}");
        }
    }

    #[test]
    fn english_golden_cases() {
        let list = PhraseList::default_list();
        let cases: &[(&str, &[&str])] = &[
            (
                "Unfortunately we are unable to refund this per our policy.",
                &["unfortunately we are unable", "our policy"],
            ),
            ("Sorry, it’s company policy.", &["company policy"]),
            ("We’re unable to share that.", &["we're unable to"]),
            ("Please see our Terms &amp; Conditions", &[]),
            ("Please review your policy documents.", &[]),
            ("Happy to help! DM us your order number.", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(found(&list, text), *expected, "{text}");
        }
    }

    /// The ASCII fast path gives what the plain definition gives: replace `&amp;`, then
    /// lowercase every character and fold quotes and whitespace runs.
    #[test]
    fn normalise_matches_its_definition() {
        fn by_definition(text: &str) -> String {
            let mut out = String::new();
            let mut space = false;
            for c in text.replace("&amp;", "&").chars() {
                if c.is_whitespace() {
                    if !space && !out.is_empty() {
                        out.push(' ');
                    }
                    space = true;
                    continue;
                }
                space = false;
                match c {
                    '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => out.push('\''),
                    c => out.extend(c.to_lowercase()),
                }
            }
            out
        }
        let texts = [
            "",
            "   ",
            "&amp;",
            "&amp;&amp; a",
            " &amp; Tom &amp;amp; Jerry ",
            "ÜBER Straße \t\r\n  ÄÖÜ ẞ İstanbul",
            "We\u{2019}re `quoted\u{b4} \u{2018}x\u{2019}\u{a0}\u{2003}end",
            "Unsere BESTIMMUNGEN\x0bund\x0c mehr",
            "Σ ΣΑΣ 🚆 @DB_Bahn #Verspätung https://x.y/Z?A=1",
        ];
        for text in texts {
            assert_eq!(normalise(text), by_definition(text), "{text:?}");
        }
    }

    #[test]
    fn custom_list_from_toml_and_errors_name_the_file() {
        let list = PhraseList::from_toml(
            "[[phrase]]\ntext = \"Not our Department\"\nlang = \"en\"\nkind = \"responsibility\"\n",
            "mine.toml",
        )
        .unwrap();
        assert_eq!(
            found(&list, "that is NOT our department."),
            ["Not our Department"]
        );
        let err = PhraseList::from_toml("[[phrase]]\ntext = \"\"\n", "mine.toml").unwrap_err();
        assert!(err.to_string().contains("mine.toml"), "{err}");
        let err = PhraseList::from_toml("[[phrase]]\ntxt = 1\n", "bad.toml").unwrap_err();
        assert!(err.to_string().contains("bad.toml"), "{err}");
    }
}
