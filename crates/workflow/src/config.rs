//! The workflow configuration as one serde document (the `[workflow]` part of the TOML
//! config, later editable through the API): teams, routing rules, assignment strategy,
//! priority weights, calendars, response-time policies, escalation chain, canned responses.

use serde::{Deserialize, Serialize};

use crate::assign::Strategy;
use crate::calendar::Calendar;
use crate::canned::CannedResponse;
use crate::escalation::EscalationChain;
use crate::priority::{PriorityLevel, PriorityWeights};
use crate::routing::Routing;
use crate::sla::{PolicyCondition, PolicyInput, SlaPolicy};
use crate::team::{Member, Team};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    #[serde(default)]
    pub teams: Vec<Team>,
    pub routing: Routing,
    #[serde(default)]
    pub assignment: Strategy,
    #[serde(default)]
    pub priority: PriorityWeights,
    /// Extra calendars; `always` and `office` exist unless redefined here.
    #[serde(default)]
    pub calendars: Vec<Calendar>,
    /// Checked in order, the first matching policy applies; empty means
    /// [`default_policies`].
    #[serde(default)]
    pub sla: Vec<SlaPolicy>,
    #[serde(default)]
    pub escalation: EscalationChain,
    /// The front row: told at the last escalation step.
    #[serde(default)]
    pub executives: Vec<Member>,
    #[serde(default)]
    pub canned: Vec<CannedResponse>,
}

/// A configuration mistake, naming where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("routing.rules[{index}] (`{rule}`): team `{team}` is not defined in [[teams]]")]
    RuleTeam {
        index: usize,
        rule: String,
        team: String,
    },
    #[error("routing.default_team: team `{0}` is not defined in [[teams]]")]
    DefaultTeam(String),
    #[error("sla[{index}] (`{policy}`): calendar `{calendar}` is not defined")]
    Calendar {
        index: usize,
        policy: String,
        calendar: String,
    },
    #[error("teams[{index}]: duplicate team id `{id}`")]
    DuplicateTeam { index: usize, id: String },
    #[error("canned[{index}] (`{id}`): {problem}")]
    Canned {
        index: usize,
        id: String,
        problem: String,
    },
}

impl WorkflowConfig {
    /// Parses TOML and checks references. Errors carry the TOML position or the field path.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let cfg: WorkflowConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.validate().map_err(|e| e.to_string())?;
        Ok(cfg)
    }

    /// Checks that every name a rule or policy uses is defined.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (index, t) in self.teams.iter().enumerate() {
            if self.teams[..index].iter().any(|o| o.id == t.id) {
                return Err(ConfigError::DuplicateTeam {
                    index,
                    id: t.id.clone(),
                });
            }
        }
        let known = |id: &str| self.teams.iter().any(|t| t.id == id);
        for (index, r) in self.routing.rules.iter().enumerate() {
            if !known(&r.team) {
                return Err(ConfigError::RuleTeam {
                    index,
                    rule: r.name.clone(),
                    team: r.team.clone(),
                });
            }
        }
        if !known(&self.routing.default_team) {
            return Err(ConfigError::DefaultTeam(self.routing.default_team.clone()));
        }
        for (index, p) in self.sla.iter().enumerate() {
            if self.calendar(&p.calendar).is_none() {
                return Err(ConfigError::Calendar {
                    index,
                    policy: p.name.clone(),
                    calendar: p.calendar.clone(),
                });
            }
        }
        for (index, c) in self.canned.iter().enumerate() {
            if let Err(e) = c.check() {
                return Err(ConfigError::Canned {
                    index,
                    id: c.id.clone(),
                    problem: e.to_string(),
                });
            }
        }
        Ok(())
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == id)
    }

    /// A configured calendar, else the built-in `always` / `office`.
    pub fn calendar(&self, name: &str) -> Option<Calendar> {
        if let Some(c) = self.calendars.iter().find(|c| c.name == name) {
            return Some(c.clone());
        }
        match name {
            "always" => Some(Calendar::always()),
            "office" => Some(Calendar::german_office()),
            _ => None,
        }
    }

    /// The policy for a conversation: the first configured one that matches, else the first
    /// matching default policy (the last default matches everything).
    pub fn policy_for(&self, input: &PolicyInput) -> SlaPolicy {
        let defaults;
        let list = if self.sla.is_empty() {
            defaults = default_policies();
            &defaults
        } else {
            &self.sla
        };
        list.iter()
            .find(|p| p.when.matches(input))
            .cloned()
            .unwrap_or_else(|| default_policies().pop().unwrap_or_else(fallback_policy))
    }
}

fn fallback_policy() -> SlaPolicy {
    SlaPolicy {
        name: "fallback".into(),
        when: PolicyCondition::default(),
        calendar: "office".into(),
        first_response_minutes: Some(8 * 60),
        next_response_minutes: None,
        resolution_minutes: None,
        warn_before_minutes: None,
    }
}

/// The built-in policies, first match wins. A public negative message has the shortest
/// targets (30 minutes to a first answer, around the clock): on the net the customer expects
/// an answer at once, before others join in.
pub fn default_policies() -> Vec<SlaPolicy> {
    let p = |name: &str,
             when: PolicyCondition,
             calendar: &str,
             first: u32,
             next: u32,
             resolution: u32| SlaPolicy {
        name: name.into(),
        when,
        calendar: calendar.into(),
        first_response_minutes: Some(first),
        next_response_minutes: Some(next),
        resolution_minutes: Some(resolution),
        warn_before_minutes: None,
    };
    let level = |l: PriorityLevel| PolicyCondition {
        priorities: vec![l],
        ..PolicyCondition::default()
    };
    vec![
        p(
            "public-negative",
            PolicyCondition {
                visibility: Some(model::Visibility::Public),
                negative: Some(true),
                ..PolicyCondition::default()
            },
            "always",
            30,
            60,
            8 * 60,
        ),
        p(
            "urgent",
            level(PriorityLevel::Urgent),
            "always",
            60,
            120,
            8 * 60,
        ),
        p(
            "high",
            level(PriorityLevel::High),
            "office",
            4 * 60,
            4 * 60,
            2 * 600,
        ),
        p(
            "normal",
            level(PriorityLevel::Normal),
            "office",
            8 * 60,
            8 * 60,
            5 * 600,
        ),
        p(
            "low",
            PolicyCondition::default(),
            "office",
            2 * 600,
            2 * 600,
            10 * 600,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assign::Strategy;
    use crate::team::Presence;

    #[test]
    fn example_parses_and_validates() {
        let cfg = WorkflowConfig::from_toml(include_str!("../example.toml")).unwrap();
        assert_eq!(cfg.assignment, Strategy::LeastLoaded);
        assert_eq!(cfg.teams.len(), 3);
        assert_eq!(
            cfg.team("social").unwrap().members[1].presence,
            Presence::Away
        );
        assert_eq!(cfg.routing.rules.len(), 2);
        assert!(
            cfg.calendar("office-nrw")
                .unwrap()
                .is_holiday(chrono::NaiveDate::from_ymd_opt(2026, 6, 4).unwrap())
        );
        assert_eq!(
            cfg.canned[0].placeholders(),
            ["customer_name", "case_number"]
        );
        assert_eq!(cfg.executives[0].id, "vorstand");
        // round-trips (the API writes the configuration back)
        let text = toml::to_string(&cfg).unwrap();
        assert_eq!(WorkflowConfig::from_toml(&text).unwrap(), cfg);
    }

    #[test]
    fn errors_name_the_place() {
        let base = "[routing]\ndefault_team = \"a\"\n[[teams]]\nid = \"a\"\n";
        let cases = [
            (
                "[routing]\ndefault_team = \"x\"\n[[teams]]\nid = \"a\"\n",
                "routing.default_team",
            ),
            (
                &format!("{base}[[routing.rules]]\nname = \"r\"\nteam = \"b\"\n") as &str,
                "routing.rules[0] (`r`): team `b`",
            ),
            (
                &format!("{base}[[sla]]\nname = \"p\"\ncalendar = \"nope\"\n"),
                "sla[0] (`p`): calendar `nope`",
            ),
            (
                &format!("{base}[[teams]]\nid = \"a\"\n"),
                "teams[1]: duplicate team id `a`",
            ),
            (
                &format!(
                    "{base}[[canned]]\nid = \"c\"\ntitle = \"t\"\nlanguage = \"de\"\nbody = \"{{secret}}\"\n"
                ),
                "canned[0] (`c`): unknown placeholder `{secret}`",
            ),
            (
                &format!("{base}[[teams]]\nid = \"b\"\ncolour = 1\n"),
                "unknown field `colour`",
            ),
            (
                &format!("assignment = \"random\"\n{base}"),
                "unknown variant `random`",
            ),
        ];
        for (text, want) in cases {
            let err = WorkflowConfig::from_toml(text).unwrap_err();
            assert!(err.contains(want), "{err:?} lacks {want:?}");
        }
    }
}
