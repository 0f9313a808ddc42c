//! Escalation: the chain agent -> lead -> executive. Each step fires once per conversation
//! and target, in order, when its trigger (warning, breach, or a wall-clock delay after the
//! breach) is reached; the notices it returns are what the notifier sends.

use std::collections::BTreeSet;

use chrono::Duration;
use model::Timestamp;
use serde::{Deserialize, Serialize};

use crate::sla::{TargetKind, TargetState, TargetStatus};
use crate::team::{Member, Role, Team};

/// When a step fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// The target entered its warning window.
    Warning,
    /// The target was breached (plus `after_minutes` wall-clock time).
    Breach,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationStep {
    /// Who is told.
    pub notify: Role,
    pub when: Stage,
    /// Wall-clock minutes after the breach instant (only for `when = "breach"`).
    #[serde(default)]
    pub after_minutes: u32,
}

/// The ordered steps. Default: agent on warning, lead on breach, executive 60 minutes after
/// the breach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationChain {
    pub steps: Vec<EscalationStep>,
}

impl Default for EscalationChain {
    fn default() -> Self {
        EscalationChain {
            steps: vec![
                EscalationStep {
                    notify: Role::Agent,
                    when: Stage::Warning,
                    after_minutes: 0,
                },
                EscalationStep {
                    notify: Role::Lead,
                    when: Stage::Breach,
                    after_minutes: 0,
                },
                EscalationStep {
                    notify: Role::Executive,
                    when: Stage::Breach,
                    after_minutes: 60,
                },
            ],
        }
    }
}

/// One notification to send (webhook event `sla.escalation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationNotice {
    pub conversation: String,
    pub target: TargetKind,
    /// Index of the step in the chain (0-based).
    pub step: usize,
    pub notify: Role,
    pub stage: Stage,
    /// When the target is or was due.
    pub due_at: Option<Timestamp>,
    /// When the step fired (the `now` of the check).
    pub at: Timestamp,
    /// Member ids to tell, resolved from the team (the assignee for `agent`, the team's leads
    /// for `lead`, the configured executives for `executive`).
    pub recipients: Vec<String>,
}

/// Remembers which steps fired. Plain state: the server keeps it (and may persist
/// [`Escalator::fired`]) and calls [`Escalator::check`] on every clock tick.
#[derive(Debug, Clone, Default)]
pub struct Escalator {
    fired: BTreeSet<(String, TargetKind, usize)>,
}

impl Escalator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores the fired steps (from storage).
    pub fn from_fired(fired: impl IntoIterator<Item = (String, TargetKind, usize)>) -> Self {
        Escalator {
            fired: fired.into_iter().collect(),
        }
    }

    pub fn fired(&self) -> impl Iterator<Item = &(String, TargetKind, usize)> {
        self.fired.iter()
    }

    /// New notices for a conversation at `now`. Steps fire in chain order: a later step
    /// never fires before an earlier one, and several can fire in one call (a clock that jumps
    /// past the breach). Met targets stop escalating.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &mut self,
        chain: &EscalationChain,
        conversation: &str,
        statuses: &[TargetStatus],
        team: Option<&Team>,
        assignee: Option<&str>,
        executives: &[Member],
        now: Timestamp,
    ) -> Vec<EscalationNotice> {
        let mut out = Vec::new();
        for st in statuses {
            if matches!(st.state, TargetState::Met) {
                continue;
            }
            for (i, step) in chain.steps.iter().enumerate() {
                let key = (conversation.to_owned(), st.target, i);
                if self.fired.contains(&key) {
                    continue;
                }
                let reached = match step.when {
                    Stage::Warning => matches!(
                        st.state,
                        TargetState::Warning | TargetState::Breached | TargetState::Missed
                    ),
                    Stage::Breach => {
                        st.state.is_breach()
                            && st.due_at.is_none_or(|d| {
                                now >= d + Duration::minutes(i64::from(step.after_minutes))
                            })
                    }
                };
                if !reached {
                    break;
                }
                // a stopped (missed) target still tells the lead once; no later steps
                if st.state == TargetState::Missed && step.notify == Role::Executive {
                    break;
                }
                self.fired.insert(key);
                out.push(EscalationNotice {
                    conversation: conversation.to_owned(),
                    target: st.target,
                    step: i,
                    notify: step.notify,
                    stage: step.when,
                    due_at: st.due_at,
                    at: now,
                    recipients: recipients(step.notify, team, assignee, executives),
                });
            }
        }
        out
    }

    /// Forgets a conversation (closed for good).
    pub fn forget(&mut self, conversation: &str) {
        self.fired.retain(|(c, _, _)| c != conversation);
    }
}

fn recipients(
    role: Role,
    team: Option<&Team>,
    assignee: Option<&str>,
    executives: &[Member],
) -> Vec<String> {
    match role {
        Role::Agent => assignee.map(|a| vec![a.to_owned()]).unwrap_or_default(),
        Role::Lead => team
            .map(|t| t.with_role(Role::Lead).map(|m| m.id.clone()).collect())
            .unwrap_or_default(),
        Role::Executive => {
            let mut ids: Vec<String> = executives.iter().map(|m| m.id.clone()).collect();
            if let Some(t) = team {
                ids.extend(t.with_role(Role::Executive).map(|m| m.id.clone()));
            }
            ids.dedup();
            ids
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::calendar::Calendar;
    use crate::sla::{ClockEvent, PolicyCondition, SlaPolicy};
    use crate::team::{Presence, Skills};

    fn member(id: &str, role: Role) -> Member {
        Member {
            id: id.into(),
            name: None,
            role,
            capacity: 5,
            presence: Presence::Online,
            languages: Vec::new(),
        }
    }

    fn policy() -> SlaPolicy {
        SlaPolicy {
            name: "p".into(),
            when: PolicyCondition::default(),
            calendar: "always".into(),
            first_response_minutes: Some(30),
            next_response_minutes: None,
            resolution_minutes: None,
            warn_before_minutes: Some(10),
        }
    }

    fn t(min: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn chain_fires_in_order_once() {
        let team = Team {
            id: "technik".into(),
            name: None,
            skills: Skills::default(),
            members: vec![member("tina", Role::Agent), member("lars", Role::Lead)],
        };
        let execs = [member("chefin", Role::Executive)];
        let chain = EscalationChain::default();
        let mut events = vec![ClockEvent::Inbound { at: t(0) }];
        let mut esc = Escalator::new();
        // (minute, expected (role, recipients) fired at that check)
        let table: &[(i64, &[(Role, &str)])] = &[
            (5, &[]),
            (19, &[]),
            (20, &[(Role::Agent, "tina")]),
            (25, &[]),
            (30, &[(Role::Lead, "lars")]),
            (89, &[]),
            (90, &[(Role::Executive, "chefin")]),
            (500, &[]),
        ];
        for &(minute, expected) in table {
            let st = policy().evaluate(&Calendar::always(), &events, t(minute));
            let got: Vec<(Role, String)> = esc
                .check(
                    &chain,
                    "c1",
                    &st,
                    Some(&team),
                    Some("tina"),
                    &execs,
                    t(minute),
                )
                .into_iter()
                .map(|n| (n.notify, n.recipients.join(",")))
                .collect();
            let want: Vec<(Role, String)> =
                expected.iter().map(|&(r, w)| (r, w.to_owned())).collect();
            assert_eq!(got, want, "minute {minute}");
        }
        // a late reply ends it; nothing new fires
        events.push(ClockEvent::Reply { at: t(501) });
        let st = policy().evaluate(&Calendar::always(), &events, t(600));
        assert!(
            esc.check(&chain, "c1", &st, Some(&team), None, &execs, t(600))
                .is_empty()
        );
    }

    #[test]
    fn a_jump_fires_every_due_step_in_order() {
        let events = [ClockEvent::Inbound { at: t(0) }];
        let st = policy().evaluate(&Calendar::always(), &events, t(200));
        let notices = Escalator::new().check(
            &EscalationChain::default(),
            "c",
            &st,
            None,
            None,
            &[],
            t(200),
        );
        let roles: Vec<Role> = notices.iter().map(|n| n.notify).collect();
        assert_eq!(roles, [Role::Agent, Role::Lead, Role::Executive]);
        assert!(notices.iter().all(|n| n.due_at == Some(t(30))));
    }

    #[test]
    fn met_in_time_after_warning_stops() {
        let chain = EscalationChain::default();
        let mut esc = Escalator::new();
        let mut events = vec![ClockEvent::Inbound { at: t(0) }];
        let st = policy().evaluate(&Calendar::always(), &events, t(22));
        assert_eq!(
            esc.check(&chain, "c", &st, None, Some("a"), &[], t(22))
                .len(),
            1
        );
        events.push(ClockEvent::Reply { at: t(25) });
        let st = policy().evaluate(&Calendar::always(), &events, t(300));
        assert!(
            esc.check(&chain, "c", &st, None, Some("a"), &[], t(300))
                .is_empty()
        );
        // restored state does not fire twice
        let fired: Vec<_> = esc.fired().cloned().collect();
        let mut again = Escalator::from_fired(fired);
        let st = policy().evaluate(&Calendar::always(), &events[..1], t(22));
        assert!(
            again
                .check(&chain, "c", &st, None, Some("a"), &[], t(22))
                .is_empty()
        );
    }
}
