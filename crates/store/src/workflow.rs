//! Workflow state: configuration versions, assignments, clock events (pending, resolved),
//! escalation steps already sent. (Knowledge-base articles live in 0190, `web_views`.)
//! Tables in migration 0200 (`migrations/0200_workflow.sql`); the rules are in `workflow`.

use model::Timestamp;
use rusqlite::{OptionalExtension, params};

use crate::time;
use crate::{Store, StoreError};

use time::column as ts;

/// A pause or an end of a conversation's clocks (the messages carry the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockKind {
    Pending,
    Resolved,
    /// An agent set the conversation back to open.
    Reopened,
}

impl ClockKind {
    fn as_str(self) -> &'static str {
        match self {
            ClockKind::Pending => "pending",
            ClockKind::Resolved => "resolved",
            ClockKind::Reopened => "reopened",
        }
    }

    fn parse(s: &str) -> ClockKind {
        match s {
            "resolved" => ClockKind::Resolved,
            "reopened" => ClockKind::Reopened,
            _ => ClockKind::Pending,
        }
    }
}

/// The open assignment of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAssignment {
    pub conversation_id: i64,
    pub team: String,
    /// `None` while queued in the team.
    pub member: Option<String>,
    pub assigned_at: Timestamp,
}

/// What the live workflow decided for a conversation, for the inbox facets.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowFacet {
    pub conversation_id: i64,
    pub team: Option<String>,
    pub assignee: Option<String>,
    /// `None` keeps the stored priority.
    pub priority: Option<f64>,
    /// The nearest running target's state (`running`, `warning`, `breached`, `paused`).
    pub sla_state: Option<String>,
    pub sla_due_at: Option<Timestamp>,
}

/// A pending/resolved/reopen event as stored, with its row id (the live stage polls by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRow {
    pub id: i64,
    pub conversation_id: i64,
    pub kind: ClockKind,
    pub at: Timestamp,
}

/// An assignment row with its id (the live stage polls for manual ones by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRow {
    pub id: i64,
    pub conversation_id: i64,
    pub team: String,
    pub member: Option<String>,
    pub released: bool,
}

impl Store {
    /// Saves a new version of the workflow configuration (TOML text); returns its version.
    pub fn save_workflow_config(
        &self,
        toml: &str,
        saved_by: &str,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        self.conn().execute(
            "INSERT INTO workflow_config (toml, saved_by, saved_at) VALUES (?1, ?2, ?3)",
            params![toml, saved_by, time::to_sql(&at)],
        )?;
        Ok(self.conn().last_insert_rowid())
    }

    /// The newest configuration: `(version, toml)`.
    pub fn workflow_config(&self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT version, toml FROM workflow_config ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records that a conversation went to `team` (and `member`, or queued when `None`),
    /// closing its previous open assignment.
    pub fn assign(
        &self,
        conversation_id: i64,
        team: &str,
        member: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let at = time::to_sql(&at);
        self.conn().execute(
            "UPDATE assignments SET released_at = ?2 WHERE conversation_id = ?1 AND released_at IS NULL",
            params![conversation_id, at],
        )?;
        self.conn().execute(
            "INSERT INTO assignments (conversation_id, team, member, assigned_at) VALUES (?1, ?2, ?3, ?4)",
            params![conversation_id, team, member, at],
        )?;
        Ok(())
    }

    /// Ends a conversation's open assignment (closed, or handed back).
    pub fn release_assignment(
        &self,
        conversation_id: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE assignments SET released_at = ?2 WHERE conversation_id = ?1 AND released_at IS NULL",
            params![conversation_id, time::to_sql(&at)],
        )?;
        Ok(())
    }

    /// Every open assignment, oldest first (to rebuild the dispatcher at start).
    pub fn open_assignments(&self) -> Result<Vec<OpenAssignment>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT conversation_id, team, member, assigned_at FROM assignments
             WHERE released_at IS NULL ORDER BY assigned_at, id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(OpenAssignment {
                    conversation_id: r.get(0)?,
                    team: r.get(1)?,
                    member: r.get(2)?,
                    assigned_at: ts(r, 3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn add_clock_event(
        &self,
        conversation_id: i64,
        kind: ClockKind,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO clock_events (conversation_id, kind, at) VALUES (?1, ?2, ?3)",
            params![conversation_id, kind.as_str(), time::to_sql(&at)],
        )?;
        Ok(())
    }

    /// A conversation's pending/resolved events in time order.
    pub fn clock_events(
        &self,
        conversation_id: i64,
    ) -> Result<Vec<(ClockKind, Timestamp)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT kind, at FROM clock_events WHERE conversation_id = ?1 ORDER BY at, id",
        )?;
        let rows = stmt
            .query_map([conversation_id], |r| {
                let kind: String = r.get(0)?;
                Ok((ClockKind::parse(&kind), ts(r, 1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Changes a conversation's state and records the clock event in one transaction (the
    /// live workflow stage picks it up: pending pauses the clocks, resolved stops them and
    /// frees the agent). `NotFound` for an unknown id.
    pub fn change_state(
        &mut self,
        id: i64,
        state: crate::ConversationState,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let kind = match state {
            crate::ConversationState::Open => ClockKind::Reopened,
            crate::ConversationState::Pending => ClockKind::Pending,
            crate::ConversationState::Resolved => ClockKind::Resolved,
        };
        self.write(|tx| {
            crate::conversations::update_state(tx, id, state)?;
            tx.execute(
                "INSERT INTO clock_events (conversation_id, kind, at) VALUES (?1, ?2, ?3)",
                params![id, kind.as_str(), time::to_sql(&at)],
            )?;
            Ok(())
        })
    }

    /// Clock events with a row id above `after`, in id order.
    pub fn clock_rows_after(&self, after: i64) -> Result<Vec<ClockRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, conversation_id, kind, at FROM clock_events WHERE id > ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([after], |r| {
                let kind: String = r.get(2)?;
                Ok(ClockRow {
                    id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    kind: ClockKind::parse(&kind),
                    at: ts(r, 3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Assignment rows with an id above `after`, in id order.
    pub fn assignment_rows_after(&self, after: i64) -> Result<Vec<AssignmentRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, conversation_id, team, member, released_at IS NOT NULL FROM assignments
             WHERE id > ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([after], |r| {
                Ok(AssignmentRow {
                    id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    team: r.get(2)?,
                    member: r.get(3)?,
                    released: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The largest row ids of clock events and assignments (where polling starts).
    pub fn workflow_watermarks(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.conn().query_row(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM clock_events),
                    (SELECT COALESCE(MAX(id), 0) FROM assignments)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Writes the workflow facets (team, assignee, SLA state and due time, priority) of
    /// conversations in one transaction.
    pub fn set_workflow_facets(&mut self, facets: &[WorkflowFacet]) -> Result<(), StoreError> {
        if facets.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            let now = time::to_sql(&chrono::Utc::now());
            let mut stmt = tx.prepare_cached(
                "INSERT INTO conversation_facets (conversation_id, team, assignee, priority, sla_state, sla_due_at, updated_at)
                 VALUES (?1, ?2, ?3, COALESCE(?4, 0), ?5, ?6, ?7)
                 ON CONFLICT(conversation_id) DO UPDATE SET team = excluded.team,
                    assignee = excluded.assignee, priority = COALESCE(?4, priority),
                    sla_state = excluded.sla_state, sla_due_at = excluded.sla_due_at",
            )?;
            for f in facets {
                stmt.execute(params![
                    f.conversation_id,
                    f.team,
                    f.assignee,
                    f.priority,
                    f.sla_state,
                    f.sla_due_at.as_ref().map(time::to_sql),
                    now
                ])?;
            }
            Ok(())
        })
    }

    /// Clears the SLA state and due time of conversations (resolved: no clock runs); team,
    /// assignee and priority stay as they are.
    pub fn clear_sla_facets(&mut self, ids: &[i64]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE conversation_facets SET sla_state = NULL, sla_due_at = NULL
                 WHERE conversation_id = ?1",
            )?;
            for id in ids {
                stmt.execute([id])?;
            }
            Ok(())
        })
    }

    /// Sets only the team facet (conversations routed for the record).
    pub fn set_conversation_teams(&mut self, teams: &[(i64, String)]) -> Result<(), StoreError> {
        self.write(|tx| {
            let now = time::to_sql(&chrono::Utc::now());
            let mut stmt = tx.prepare_cached(
                "INSERT INTO conversation_facets (conversation_id, team, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(conversation_id) DO UPDATE SET team = excluded.team",
            )?;
            for (id, team) in teams {
                stmt.execute(params![id, team, now])?;
            }
            Ok(())
        })
    }

    /// Open conversations whose last message is at or after `since` and that have no open
    /// assignment (the live stage routes them at start: a crash between analysis and routing).
    pub fn unrouted_conversations(&self, since: Timestamp) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT c.id FROM conversations c
             WHERE c.state = 'open' AND c.last_at >= ?1 AND c.last_direction = 'inbound'
               AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.conversation_id = c.id AND a.released_at IS NULL)
             ORDER BY c.id",
        )?;
        let rows = stmt
            .query_map([time::to_sql(&since)], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records an escalation step as sent; false when it was already recorded.
    pub fn mark_escalation_fired(
        &self,
        conversation_id: i64,
        target: &str,
        step: u32,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let exists: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM escalations_fired WHERE conversation_id = ?1 AND target = ?2 AND step = ?3)",
            params![conversation_id, target, step],
            |r| r.get(0),
        )?;
        if exists {
            return Ok(false);
        }
        self.conn().execute(
            "INSERT INTO escalations_fired (conversation_id, target, step, fired_at) VALUES (?1, ?2, ?3, ?4)",
            params![conversation_id, target, step, time::to_sql(&at)],
        )?;
        Ok(true)
    }

    /// Every sent step `(conversation_id, target, step)` (for `workflow::Escalator::from_fired`).
    pub fn escalations_fired(&self) -> Result<Vec<(i64, String, u32)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT conversation_id, target, step FROM escalations_fired ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn t(h: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 24, h, 0, 0).unwrap()
    }

    #[test]
    fn assignments_clock_and_escalations() {
        let s = Store::open_in_memory().unwrap();
        s.conn().execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        s.assign(7, "technik", None, t(8)).unwrap();
        s.assign(7, "technik", Some("tina"), t(9)).unwrap();
        s.assign(8, "social", Some("sina"), t(10)).unwrap();
        let open = s.open_assignments().unwrap();
        assert_eq!(open.len(), 2);
        assert_eq!(
            (open[0].conversation_id, open[0].member.as_deref()),
            (7, Some("tina"))
        );
        s.release_assignment(7, t(11)).unwrap();
        assert_eq!(s.open_assignments().unwrap().len(), 1);
        s.add_clock_event(7, ClockKind::Resolved, t(12)).unwrap();
        s.add_clock_event(7, ClockKind::Pending, t(10)).unwrap();
        assert_eq!(
            s.clock_events(7).unwrap(),
            [(ClockKind::Pending, t(10)), (ClockKind::Resolved, t(12))]
        );
        assert!(
            s.mark_escalation_fired(7, "first_response", 1, t(12))
                .unwrap()
        );
        assert!(
            !s.mark_escalation_fired(7, "first_response", 1, t(13))
                .unwrap()
        );
        assert_eq!(
            s.escalations_fired().unwrap(),
            [(7, "first_response".to_owned(), 1)]
        );
    }

    #[test]
    fn config_versions() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.workflow_config().unwrap(), None);
        s.save_workflow_config("a = 1", "lead", t(8)).unwrap();
        let v = s.save_workflow_config("a = 2", "lead", t(9)).unwrap();
        assert_eq!(s.workflow_config().unwrap(), Some((v, "a = 2".into())));
    }
}
