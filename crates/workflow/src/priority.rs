//! Priority: one documented score (0-100) per open conversation from urgency, negativity,
//! toxicity, public visibility, reach, case size and waiting time; the inbox sorts by it.
//! The formula is written out in docs/WORKFLOW.md; keep both in step.

use std::cmp::Ordering;

use chrono::Duration;
use model::{Timestamp, Visibility};
use serde::{Deserialize, Serialize};

/// The weights of the score's terms. They are normalised by their sum, so only their ratios
/// matter; the defaults sum to 1.0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriorityWeights {
    pub urgency: f32,
    pub negativity: f32,
    pub toxicity: f32,
    pub public: f32,
    /// Public and negative at once: the case the seeds are about.
    pub public_negative: f32,
    pub reach: f32,
    pub case_size: f32,
    pub waiting: f32,
    /// Waiting time at which the waiting term is full.
    pub waiting_full_hours: f32,
    /// Audience size at which the reach term is full (log scale).
    pub reach_full: f32,
    /// Case size (messages about the same problem) at which the case term is full (log scale).
    pub case_full: f32,
}

impl Default for PriorityWeights {
    fn default() -> Self {
        PriorityWeights {
            urgency: 0.20,
            negativity: 0.15,
            toxicity: 0.05,
            public: 0.10,
            public_negative: 0.15,
            reach: 0.10,
            case_size: 0.10,
            waiting: 0.15,
            waiting_full_hours: 24.0,
            reach_full: 100_000.0,
            case_full: 100.0,
        }
    }
}

/// What the score looks at. Unknown values are 0 / `None` and add nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriorityInput {
    pub urgency: f32,
    pub negativity: f32,
    pub toxicity: f32,
    pub visibility: Option<Visibility>,
    /// Followers / audience of the author, where the channel tells it.
    pub reach: Option<u64>,
    /// Messages in the case (group of similar complaints) this conversation belongs to; 1 or
    /// `None` when it stands alone.
    pub case_size: Option<u32>,
    /// Since when the customer waits for an answer (`None`: nobody waits).
    pub waiting_since: Option<Timestamp>,
}

/// Coarse priority used for response-time targets and display.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PriorityLevel {
    Low,
    Normal,
    High,
    Urgent,
}

impl PriorityLevel {
    /// Urgent >= 60, high >= 40, normal >= 20, else low.
    pub fn of_score(score: f32) -> Self {
        if score >= 60.0 {
            PriorityLevel::Urgent
        } else if score >= 40.0 {
            PriorityLevel::High
        } else if score >= 20.0 {
            PriorityLevel::Normal
        } else {
            PriorityLevel::Low
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PriorityLevel::Low => "low",
            PriorityLevel::Normal => "normal",
            PriorityLevel::High => "high",
            PriorityLevel::Urgent => "urgent",
        }
    }
}

/// The score and its parts (each part already weighted, in points), so the UI can say why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    /// 0.0..=100.0
    pub score: f32,
    pub level: PriorityLevel,
    pub parts: Vec<(String, f32)>,
}

fn unit(x: f32) -> f32 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

/// log(1 + x) / log(1 + full), clamped to 0..=1.
fn log_scale(x: f64, full: f64) -> f32 {
    if full <= 0.0 {
        return 0.0;
    }
    unit(((1.0 + x.max(0.0)).ln() / (1.0 + full).ln()) as f32)
}

impl PriorityWeights {
    /// score = 100 * sum(w_i * term_i) / sum(w_i), terms in 0..=1:
    /// urgency, negativity, toxicity; public = 1 if public; public_negative = negativity if
    /// public; reach = log(1+followers)/log(1+reach_full); case = log(size)/log(case_full)
    /// (a lone message is 0); waiting = hours waited / waiting_full_hours (capped at 1).
    pub fn score(&self, input: &PriorityInput, now: Timestamp) -> Priority {
        let public = input.visibility == Some(Visibility::Public);
        let waited_hours = input
            .waiting_since
            .map(|t| (now - t).max(Duration::zero()).num_seconds() as f32 / 3600.0)
            .unwrap_or(0.0);
        let terms = [
            ("urgency", self.urgency, unit(input.urgency)),
            ("negativity", self.negativity, unit(input.negativity)),
            ("toxicity", self.toxicity, unit(input.toxicity)),
            ("public", self.public, if public { 1.0 } else { 0.0 }),
            (
                "public_negative",
                self.public_negative,
                if public { unit(input.negativity) } else { 0.0 },
            ),
            (
                "reach",
                self.reach,
                input
                    .reach
                    .map_or(0.0, |r| log_scale(r as f64, f64::from(self.reach_full))),
            ),
            (
                "case_size",
                self.case_size,
                input.case_size.map_or(0.0, |n| {
                    log_scale(f64::from(n.max(1)) - 1.0, f64::from(self.case_full) - 1.0)
                }),
            ),
            (
                "waiting",
                self.waiting,
                if self.waiting_full_hours > 0.0 {
                    unit(waited_hours / self.waiting_full_hours)
                } else {
                    0.0
                },
            ),
        ];
        let total: f32 = terms.iter().map(|(_, w, _)| w.max(0.0)).sum();
        let parts: Vec<(String, f32)> = terms
            .iter()
            .map(|(name, w, t)| {
                let p = if total > 0.0 {
                    100.0 * w.max(0.0) * t / total
                } else {
                    0.0
                };
                ((*name).to_owned(), p)
            })
            .collect();
        let score = parts.iter().map(|(_, p)| p).sum::<f32>().clamp(0.0, 100.0);
        Priority {
            score,
            level: PriorityLevel::of_score(score),
            parts,
        }
    }
}

/// One row of an inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub conversation: String,
    pub input: PriorityInput,
}

/// Sorts an inbox by priority score, highest first; equal scores: longest waiting first, then
/// conversation id (so the order is stable and deterministic). Returns the scores in the new
/// order.
pub fn sort_inbox(
    items: &mut Vec<InboxItem>,
    weights: &PriorityWeights,
    now: Timestamp,
) -> Vec<Priority> {
    let mut scored: Vec<(Priority, InboxItem)> = items
        .drain(..)
        .map(|i| (weights.score(&i.input, now), i))
        .collect();
    scored.sort_by(|(pa, a), (pb, b)| {
        pb.score
            .partial_cmp(&pa.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| match (a.input.waiting_since, b.input.waiting_since) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| a.conversation.cmp(&b.conversation))
    });
    let (priorities, sorted): (Vec<_>, Vec<_>) = scored.into_iter().unzip();
    *items = sorted;
    priorities
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn item(id: &str, f: impl FnOnce(&mut PriorityInput)) -> InboxItem {
        let mut input = PriorityInput::default();
        f(&mut input);
        InboxItem {
            conversation: id.into(),
            input,
        }
    }

    #[test]
    fn bounds_and_levels() {
        let w = PriorityWeights::default();
        assert_eq!(w.score(&PriorityInput::default(), now()).score, 0.0);
        let max = PriorityInput {
            urgency: 1.0,
            negativity: 1.0,
            toxicity: 1.0,
            visibility: Some(Visibility::Public),
            reach: Some(10_000_000),
            case_size: Some(10_000),
            waiting_since: Some(now() - Duration::days(3)),
        };
        let p = w.score(&max, now());
        assert!((p.score - 100.0).abs() < 1e-3, "{p:?}");
        assert_eq!(p.level, PriorityLevel::Urgent);
        // NaN and out-of-range inputs are clamped
        let odd = PriorityInput {
            urgency: f32::NAN,
            negativity: 7.0,
            ..PriorityInput::default()
        };
        let s = w.score(&odd, now()).score;
        assert!((s - 15.0).abs() < 1e-3, "{s}");
        // a public, clearly negative message is at least high
        let public_negative = PriorityInput {
            negativity: 0.9,
            visibility: Some(Visibility::Public),
            urgency: 0.3,
            ..PriorityInput::default()
        };
        assert!(w.score(&public_negative, now()).level >= PriorityLevel::High);
    }

    #[test]
    fn inbox_order() {
        let mut inbox = vec![
            item("private-neutral", |i| {
                i.visibility = Some(Visibility::Private);
                i.waiting_since = Some(now() - Duration::hours(1));
            }),
            item("public-negative", |i| {
                i.visibility = Some(Visibility::Public);
                i.negativity = 0.9;
                i.waiting_since = Some(now() - Duration::minutes(5));
            }),
            item("big-case", |i| {
                i.visibility = Some(Visibility::Private);
                i.negativity = 0.6;
                i.case_size = Some(80);
                i.waiting_since = Some(now() - Duration::minutes(5));
            }),
            item("waited-long", |i| {
                i.visibility = Some(Visibility::Private);
                i.waiting_since = Some(now() - Duration::hours(30));
            }),
            item("same-as-first-but-older", |i| {
                i.visibility = Some(Visibility::Private);
                i.waiting_since = Some(now() - Duration::hours(1));
            }),
        ];
        inbox[4].input.waiting_since = inbox[0].input.waiting_since;
        let scores = sort_inbox(&mut inbox, &PriorityWeights::default(), now());
        let order: Vec<&str> = inbox.iter().map(|i| i.conversation.as_str()).collect();
        assert_eq!(
            order,
            [
                "public-negative",
                "big-case",
                "waited-long",
                "private-neutral",
                "same-as-first-but-older"
            ]
        );
        assert!(scores.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn reach_and_case_grow_monotonically() {
        let w = PriorityWeights::default();
        let s = |reach, case| {
            w.score(
                &PriorityInput {
                    reach,
                    case_size: case,
                    ..PriorityInput::default()
                },
                now(),
            )
            .score
        };
        assert_eq!(s(None, Some(1)), 0.0);
        assert!(s(Some(100), None) < s(Some(10_000), None));
        assert!(s(None, Some(2)) < s(None, Some(20)));
    }
}
