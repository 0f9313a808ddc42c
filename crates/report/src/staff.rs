//! Who our staff are: a directory from handle (or agent signature) to team and role, loaded
//! from TOML. Used to say who talks with customers (agent, specialist, lead, executive).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::ReportError;

/// The role of the person who wrote a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Specialist,
    Lead,
    Executive,
    Unknown,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Agent,
        Role::Specialist,
        Role::Lead,
        Role::Executive,
        Role::Unknown,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "agent" => Some(Role::Agent),
            "specialist" => Some(Role::Specialist),
            "lead" | "team_lead" | "teamlead" => Some(Role::Lead),
            "executive" | "exec" => Some(Role::Executive),
            "unknown" | "" => Some(Role::Unknown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Specialist => "specialist",
            Role::Lead => "lead",
            Role::Executive => "executive",
            Role::Unknown => "unknown",
        }
    }
}

/// One staff member or account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffEntry {
    /// The author handle (`AppleSupport`) or agent id with signature (`VerizonSupport^JAY`).
    pub handle: String,
    #[serde(default = "unknown")]
    pub team: String,
    #[serde(default = "unknown_role")]
    pub role: Role,
}

fn unknown() -> String {
    "unknown".into()
}

fn unknown_role() -> Role {
    Role::Unknown
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffFile {
    #[serde(default)]
    staff: Vec<StaffEntry>,
}

/// Handle -> entry. Lookup tries the agent id first, then the author handle
/// (case-insensitive).
#[derive(Debug, Clone, Default)]
pub struct StaffDirectory {
    by_handle: HashMap<String, StaffEntry>,
}

impl StaffDirectory {
    /// Parses `[[staff]] handle = "..." team = "..." role = "agent|specialist|lead|executive"`.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, ReportError> {
        let file: StaffFile = toml::from_str(text).map_err(|e| ReportError::Staff {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self::new(file.staff))
    }

    pub fn new(entries: Vec<StaffEntry>) -> Self {
        Self {
            by_handle: entries
                .into_iter()
                .map(|e| (e.handle.to_lowercase(), e))
                .collect(),
        }
    }

    pub fn lookup(&self, agent: &str, author: &str) -> Option<&StaffEntry> {
        if self.by_handle.is_empty() {
            return None;
        }
        self.by_handle
            .get(&agent.to_lowercase())
            .or_else(|| self.by_handle.get(&author.to_lowercase()))
    }

    pub fn len(&self) -> usize {
        self.by_handle.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_handle.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_from_toml() {
        let dir = StaffDirectory::from_toml(
            r#"
[[staff]]
handle = "AcmeHelp"
team = "Support"
role = "agent"

[[staff]]
handle = "AcmeHelp^CEO"
team = "Board"
role = "executive"
"#,
            "staff.toml",
        )
        .unwrap();
        assert_eq!(
            dir.lookup("acmehelp^ceo", "AcmeHelp").unwrap().role,
            Role::Executive
        );
        assert_eq!(
            dir.lookup("AcmeHelp^JK", "AcmeHelp").unwrap().team,
            "Support"
        );
        assert!(dir.lookup("Other", "Other").is_none());
        let err = StaffDirectory::from_toml("[[staff]]\nhandle = 1", "s.toml").unwrap_err();
        assert!(err.to_string().contains("s.toml"));
    }
}
