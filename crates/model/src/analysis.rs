//! What the analysis pipeline learns about one message. Every score is in 0.0..=1.0.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

impl SentimentLabel {
    pub const ALL: [SentimentLabel; 3] = [
        SentimentLabel::Negative,
        SentimentLabel::Neutral,
        SentimentLabel::Positive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        // Compared without lowercasing into a new string: gold labels are parsed per message.
        let s = s.trim();
        [
            ("negative", SentimentLabel::Negative),
            ("neg", SentimentLabel::Negative),
            ("neutral", SentimentLabel::Neutral),
            ("neu", SentimentLabel::Neutral),
            ("positive", SentimentLabel::Positive),
            ("pos", SentimentLabel::Positive),
        ]
        .into_iter()
        .find(|(name, _)| s.eq_ignore_ascii_case(name))
        .map(|(_, label)| label)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub label: SentimentLabel,
    /// Probability of `label`.
    pub confidence: f32,
}

/// A label with its score (topics are multi-label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    pub label: String,
    pub score: f32,
}

/// The analysis of one message. Uncertainty is a value, never an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// `de`, `en` or `other`.
    pub language: String,
    /// Probability that the message is about us (the company / brand) at all.
    pub relevance: f32,
    pub sentiment: Sentiment,
    /// Topics above their threshold, best first.
    pub topics: Vec<Scored>,
    /// Insult / abuse / toxicity.
    pub toxicity: f32,
    /// Contains a checkable factual claim.
    pub fact_claim: f32,
    /// Says it will leave: "nie wieder", "ich kündige", "switching to ...".
    pub churn: f32,
    pub urgency: f32,
    pub question: f32,
    /// Which model version produced this analysis.
    pub model_version: String,
}

impl Analysis {
    /// Nothing found: neutral with full confidence, no topics, every score 0. The analyzer
    /// starts from it; analyses made by hand (an agent's correction, tests) set what they know
    /// on top of it.
    pub fn blank(language: impl Into<String>, model_version: impl Into<String>) -> Analysis {
        Analysis {
            language: language.into(),
            relevance: 0.0,
            sentiment: Sentiment {
                label: SentimentLabel::Neutral,
                confidence: 1.0,
            },
            topics: Vec::new(),
            toxicity: 0.0,
            fact_claim: 0.0,
            churn: 0.0,
            urgency: 0.0,
            question: 0.0,
            model_version: model_version.into(),
        }
    }

    pub fn is_negative(&self) -> bool {
        self.sentiment.label == SentimentLabel::Negative
    }

    /// A signed negativity weight in 0.0..=1.0 used by burst detection and priority.
    pub fn negativity(&self) -> f32 {
        match self.sentiment.label {
            SentimentLabel::Negative => self.sentiment.confidence,
            SentimentLabel::Neutral => (1.0 - self.sentiment.confidence) / 2.0,
            SentimentLabel::Positive => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SentimentLabel;

    #[test]
    fn sentiment_labels_parse_in_any_case_and_short_form() {
        for (text, want) in [
            ("negative", Some(SentimentLabel::Negative)),
            (" NEG ", Some(SentimentLabel::Negative)),
            ("Neutral", Some(SentimentLabel::Neutral)),
            ("neu", Some(SentimentLabel::Neutral)),
            ("POSITIVE\n", Some(SentimentLabel::Positive)),
            ("pos", Some(SentimentLabel::Positive)),
            ("positiv", None),
            ("", None),
            ("négative", None),
        ] {
            assert_eq!(SentimentLabel::parse(text), want, "{text:?}");
        }
    }
}
