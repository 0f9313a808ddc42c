//! Conversations: threads rebuilt from reply chains (built during insert, see `messages.rs`),
//! their state, and their messages.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::messages::{MESSAGE_COLUMNS, message_row};
use crate::{Store, StoreError, StoredMessage, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationState {
    /// The customer spoke last.
    Open,
    /// We answered; waiting for the customer.
    Pending,
    /// Closed by an agent or a rule; a newer customer message reopens it.
    Resolved,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Open => "open",
            ConversationState::Pending => "pending",
            ConversationState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ConversationState::Open),
            "pending" => Some(ConversationState::Pending),
            "resolved" => Some(ConversationState::Resolved),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub id: i64,
    pub channel: String,
    /// External id of the top of the reply chain (possibly a message not stored).
    pub root_external_id: String,
    pub state: ConversationState,
    pub first_at: model::Timestamp,
    pub last_at: model::Timestamp,
    pub message_count: u64,
}

/// Columns of other tables that reference `conversations(id)` (found via foreign keys), so a
/// merge can move their rows along.
pub(crate) fn referencing_columns(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
         WHERE m.type = 'table' AND f.\"table\" = 'conversations' AND m.name != 'messages'",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Sets a conversation's state inside a transaction; `NotFound` for an unknown id.
pub(crate) fn update_state(
    tx: &rusqlite::Transaction<'_>,
    id: i64,
    state: ConversationState,
) -> Result<(), StoreError> {
    let n = tx.execute(
        "UPDATE conversations SET state = ?1 WHERE id = ?2",
        params![state.as_str(), id],
    )?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("conversation {id}")));
    }
    Ok(())
}

impl Store {
    pub fn conversation(&self, id: i64) -> Result<Option<Conversation>, StoreError> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT id, channel, root_external_id, state, first_at, last_at, message_count
                 FROM conversations WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .optional()?;
        let Some((id, channel, root_external_id, state, first, last, count)) = row else {
            return Ok(None);
        };
        let corrupt = |reason: String| StoreError::Corrupt { id, reason };
        Ok(Some(Conversation {
            id,
            channel,
            root_external_id,
            state: ConversationState::parse(&state)
                .ok_or_else(|| corrupt(format!("state `{state}`")))?,
            first_at: time::from_sql(&first).map_err(|e| corrupt(e.to_string()))?,
            last_at: time::from_sql(&last).map_err(|e| corrupt(e.to_string()))?,
            message_count: count as u64,
        }))
    }

    /// The messages of a conversation, oldest first.
    pub fn conversation_messages(&self, id: i64) -> Result<Vec<StoredMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 ORDER BY created_at, id"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map([id], message_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }

    /// Sets the state (an agent resolves or reopens). Errors with `NotFound` for an unknown id.
    pub fn set_conversation_state(
        &mut self,
        id: i64,
        state: ConversationState,
    ) -> Result<(), StoreError> {
        self.write(|tx| update_state(tx, id, state))
    }
}

/// The state a conversation's messages give it: the customer spoke last, or we did.
const DERIVED_STATE: &str = "CASE last_direction WHEN 'inbound' THEN 'open' ELSE 'pending' END";

impl Store {
    /// Conversations whose state differs from what their messages give (an agent resolved or
    /// reopened them), as (channel, root external id, state), in id order: what a lossless
    /// export must carry beside the messages.
    pub fn for_each_state_override(
        &self,
        mut sink: impl FnMut(&str, &str, ConversationState) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT id, channel, root_external_id, state FROM conversations
             WHERE state != {DERIVED_STATE} ORDER BY id"
        ))?;
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let state: String = row.get(3)?;
            let state = ConversationState::parse(&state).ok_or_else(|| StoreError::Corrupt {
                id,
                reason: format!("state `{state}`"),
            })?;
            let (channel, root): (String, String) = (row.get(1)?, row.get(2)?);
            sink(&channel, &root, state)?;
            n += 1;
        }
        Ok(n)
    }

    /// Sets conversation states by key (channel, root external id), in one transaction:
    /// importing an export. `false` for a conversation not in the store.
    pub fn set_states_by_root(
        &mut self,
        items: &[(String, String, ConversationState)],
    ) -> Result<Vec<bool>, StoreError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE conversations SET state = ?3 WHERE channel = ?1 AND root_external_id = ?2",
            )?;
            items
                .iter()
                .map(|(channel, root, state)| {
                    Ok(stmt.execute(params![channel, root, state.as_str()])? > 0)
                })
                .collect()
        })
    }
}
