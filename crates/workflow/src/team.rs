//! Teams, their skills and their members (with role, capacity and presence).

use serde::{Deserialize, Serialize};

/// What a team is good at. Empty lists mean "no preference" (for routing by skill a team
/// needs at least one matching topic, see [`crate::routing`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skills {
    /// Topic labels the team owns (as produced by the topic classifier).
    #[serde(default)]
    pub topics: Vec<String>,
    /// ISO 639-1 codes the team answers in.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Channels the team works (`twitter`, `email`, ...).
    #[serde(default)]
    pub channels: Vec<String>,
}

/// Where a member stands in the escalation chain.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Agent,
    Lead,
    Executive,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Lead => "lead",
            Role::Executive => "executive",
        }
    }
}

/// Whether a member takes new conversations right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    #[default]
    Online,
    /// Logged in but not taking new work (break, meeting).
    Away,
    Offline,
}

/// One person in a team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Stable id (user name or account id).
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Role,
    /// Open conversations the member holds at most; 0 means "never auto-assigned".
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub presence: Presence,
    /// Languages the member answers in; empty means any.
    #[serde(default)]
    pub languages: Vec<String>,
}

fn default_capacity() -> u32 {
    5
}

impl Member {
    /// Whether the member can take a conversation in `language` at all (ignoring load).
    pub fn speaks(&self, language: Option<&str>) -> bool {
        match language {
            Some(l) if !self.languages.is_empty() => self.languages.iter().any(|x| x == l),
            _ => true,
        }
    }
}

/// A team: specialists (technicians, engineers, billing, social media) with their skills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub skills: Skills,
    #[serde(default)]
    pub members: Vec<Member>,
}

impl Team {
    /// Ids of the members with `role`, in configured order.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(move |m| m.role == role)
    }
}
