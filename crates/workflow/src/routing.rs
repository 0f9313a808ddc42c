//! Routing: which team gets a new conversation. The first matching rule wins; without a
//! matching rule the team whose skills match best; otherwise the default team.

use model::{Analysis, Message, Visibility};
use serde::{Deserialize, Serialize};

use crate::team::Team;

/// The facts about a new conversation that routing looks at.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RouteInput {
    pub channel: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// 0.0..=1.0, see [`Analysis::negativity`].
    #[serde(default)]
    pub negativity: f32,
    #[serde(default)]
    pub toxicity: f32,
    #[serde(default)]
    pub urgency: f32,
}

impl RouteInput {
    /// The routing facts of the first customer message of a conversation and its analysis.
    pub fn from_message(message: &Message, analysis: Option<&Analysis>) -> Self {
        let language = analysis
            .map(|a| a.language.clone())
            .filter(|l| l != "other")
            .or_else(|| message.language.clone());
        RouteInput {
            channel: message.channel.clone(),
            language,
            topics: analysis
                .map(|a| a.topics.iter().map(|t| t.label.clone()).collect())
                .unwrap_or_default(),
            brand: message.brand.clone(),
            visibility: Some(message.visibility),
            negativity: analysis.map_or(0.0, Analysis::negativity),
            toxicity: analysis.map_or(0.0, |a| a.toxicity),
            urgency: analysis.map_or(0.0, |a| a.urgency),
        }
    }
}

/// The condition of a rule. Every field that is set must match; an empty list or an unset
/// field matches anything. Lists match when any entry matches.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub brands: Vec<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    #[serde(default)]
    pub min_negativity: Option<f32>,
    #[serde(default)]
    pub min_toxicity: Option<f32>,
    #[serde(default)]
    pub min_urgency: Option<f32>,
}

fn any_of(wanted: &[String], have: Option<&str>) -> bool {
    wanted.is_empty() || have.is_some_and(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
}

impl Condition {
    pub fn matches(&self, input: &RouteInput) -> bool {
        let topics_ok = self.topics.is_empty()
            || input
                .topics
                .iter()
                .any(|t| self.topics.iter().any(|w| w.eq_ignore_ascii_case(t)));
        topics_ok
            && any_of(&self.languages, input.language.as_deref())
            && any_of(&self.channels, Some(&input.channel))
            && any_of(&self.brands, input.brand.as_deref())
            && self.visibility.is_none_or(|v| input.visibility == Some(v))
            && self.min_negativity.is_none_or(|m| input.negativity >= m)
            && self.min_toxicity.is_none_or(|m| input.toxicity >= m)
            && self.min_urgency.is_none_or(|m| input.urgency >= m)
    }
}

/// One routing rule: `when` the condition holds, send the conversation to `team`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub name: String,
    #[serde(default)]
    pub when: Condition,
    pub team: String,
}

/// The routing table: ordered rules plus the default team.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    #[serde(default)]
    pub rules: Vec<RoutingRule>,
    /// Gets everything no rule and no team skill claims.
    pub default_team: String,
    /// Route by team skills when no rule matches (default true).
    #[serde(default = "yes")]
    pub by_skill: bool,
}

fn yes() -> bool {
    true
}

/// Why a conversation went where it went (shown in the UI and the audit log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RouteReason {
    Rule { name: String },
    Skill { topics: Vec<String> },
    Default,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDecision {
    pub team: String,
    pub reason: RouteReason,
}

impl Routing {
    /// Picks the team for a new conversation. Order: first matching rule; else the team with
    /// the best skill match (at least one owned topic; a team that lists languages must list
    /// the conversation's language when known; score = 4 per topic + 2 language + 1 channel,
    /// ties go to the team listed first); else `default_team`.
    pub fn route(&self, teams: &[Team], input: &RouteInput) -> RouteDecision {
        if let Some(rule) = self.rules.iter().find(|r| r.when.matches(input)) {
            return RouteDecision {
                team: rule.team.clone(),
                reason: RouteReason::Rule {
                    name: rule.name.clone(),
                },
            };
        }
        if self.by_skill {
            let mut best: Option<(u32, &Team, Vec<String>)> = None;
            for team in teams {
                let s = &team.skills;
                let topics: Vec<String> = input
                    .topics
                    .iter()
                    .filter(|t| s.topics.iter().any(|o| o.eq_ignore_ascii_case(t)))
                    .cloned()
                    .collect();
                if topics.is_empty() {
                    continue;
                }
                let lang = input.language.as_deref();
                let lang_match = lang.is_some_and(|l| s.languages.iter().any(|x| x == l));
                if !s.languages.is_empty() && lang.is_some() && !lang_match {
                    continue;
                }
                let chan_match = s
                    .channels
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&input.channel));
                if !s.channels.is_empty() && !chan_match {
                    continue;
                }
                let score =
                    4 * topics.len() as u32 + 2 * u32::from(lang_match) + u32::from(chan_match);
                if best.as_ref().is_none_or(|(b, _, _)| score > *b) {
                    best = Some((score, team, topics));
                }
            }
            if let Some((_, team, topics)) = best {
                return RouteDecision {
                    team: team.id.clone(),
                    reason: RouteReason::Skill { topics },
                };
            }
        }
        RouteDecision {
            team: self.default_team.clone(),
            reason: RouteReason::Default,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::Skills;

    fn team(id: &str, topics: &[&str], languages: &[&str], channels: &[&str]) -> Team {
        let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect();
        Team {
            id: id.into(),
            name: None,
            skills: Skills {
                topics: v(topics),
                languages: v(languages),
                channels: v(channels),
            },
            members: Vec::new(),
        }
    }

    fn routing() -> (Routing, Vec<Team>) {
        let teams = vec![
            team("technik", &["stoerung", "internet"], &["de"], &[]),
            team("tech-en", &["stoerung", "internet"], &["en"], &[]),
            team("billing", &["rechnung"], &[], &["email"]),
            team("social", &[], &[], &[]),
            team("front", &[], &[], &[]),
        ];
        let routing: Routing = toml::from_str(
            r#"
            default_team = "front"
            [[rules]]
            name = "public shitstorm"
            team = "social"
            when = { visibility = "public", min_negativity = 0.8, channels = ["twitter", "facebook"] }
            [[rules]]
            name = "vip brand"
            team = "billing"
            when = { brands = ["PremiumCo"] }
            "#,
        )
        .unwrap();
        (routing, teams)
    }

    fn check(input: RouteInput, team: &str, reason: RouteReason) {
        let (r, teams) = routing();
        let d = r.route(&teams, &input);
        assert_eq!((d.team.as_str(), &d.reason), (team, &reason), "{input:?}");
    }

    fn input(channel: &str, lang: Option<&str>, topics: &[&str]) -> RouteInput {
        RouteInput {
            channel: channel.into(),
            language: lang.map(str::to_owned),
            topics: topics.iter().map(|s| (*s).to_owned()).collect(),
            visibility: Some(Visibility::Private),
            ..RouteInput::default()
        }
    }

    #[test]
    fn table() {
        let skill = |t: &[&str]| RouteReason::Skill {
            topics: t.iter().map(|s| (*s).to_owned()).collect(),
        };
        let rule = |n: &str| RouteReason::Rule { name: n.into() };
        // topic + language pick the specialists
        check(
            input("email", Some("de"), &["stoerung"]),
            "technik",
            skill(&["stoerung"]),
        );
        check(
            input("email", Some("en"), &["internet"]),
            "tech-en",
            skill(&["internet"]),
        );
        // unknown language: first team with the topic
        check(
            input("email", None, &["stoerung"]),
            "technik",
            skill(&["stoerung"]),
        );
        // language nobody lists: no skill team, default
        check(
            input("email", Some("fr"), &["stoerung"]),
            "front",
            RouteReason::Default,
        );
        // channel skill: billing works email only
        check(
            input("email", Some("de"), &["rechnung"]),
            "billing",
            skill(&["rechnung"]),
        );
        check(
            input("twitter", Some("de"), &["rechnung"]),
            "front",
            RouteReason::Default,
        );
        // no topic: default
        check(
            input("email", Some("de"), &[]),
            "front",
            RouteReason::Default,
        );
        // rules come first, in order
        let mut storm = input("twitter", Some("de"), &["stoerung"]);
        storm.visibility = Some(Visibility::Public);
        storm.negativity = 0.9;
        check(storm.clone(), "social", rule("public shitstorm"));
        storm.negativity = 0.5;
        check(storm.clone(), "technik", skill(&["stoerung"]));
        storm.brand = Some("premiumco".into());
        check(storm, "billing", rule("vip brand"));
    }

    #[test]
    fn more_topics_win() {
        let teams = vec![
            team("a", &["x"], &[], &[]),
            team("b", &["x", "y"], &[], &[]),
        ];
        let r = Routing {
            rules: vec![],
            default_team: "a".into(),
            by_skill: true,
        };
        assert_eq!(r.route(&teams, &input("web", None, &["y", "x"])).team, "b");
        assert_eq!(r.route(&teams, &input("web", None, &["x"])).team, "a");
    }
}
