//! Figures over the whole store: counts by channel and direction, conversations by state,
//! contacts, date range, and (customer message -> first brand reply) pairs.

use serde::Serialize;

use crate::{Store, StoreError, time};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelCount {
    pub channel: String,
    pub inbound: u64,
    pub outbound: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConversationCounts {
    pub total: u64,
    pub open: u64,
    pub pending: u64,
    pub resolved: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub messages: u64,
    pub by_channel: Vec<ChannelCount>,
    pub conversations: ConversationCounts,
    /// Contacts not merged into another.
    pub contacts: u64,
    pub identities: u64,
    /// Inbound messages with at least one direct outbound reply.
    pub reply_pairs: u64,
    pub first_message_at: Option<model::Timestamp>,
    pub last_message_at: Option<model::Timestamp>,
}

/// A customer message and the first direct reply from us (response-time pairs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FirstReply {
    pub inbound_id: i64,
    pub reply_id: i64,
    pub channel: String,
    pub brand: Option<String>,
    pub inbound_at: model::Timestamp,
    pub reply_at: model::Timestamp,
}

const FIRST_REPLIES: &str = "SELECT p.id, c.id, p.channel, p.brand, p.created_at, MIN(c.created_at)
     FROM messages p JOIN messages c
       ON c.conversation_id = p.conversation_id AND c.in_reply_to = p.external_id
     WHERE p.direction = 'inbound' AND c.direction = 'outbound'
     GROUP BY p.id";

impl Store {
    pub fn stats(&self) -> Result<Stats, StoreError> {
        let conn = self.conn();
        let count = |sql: &str| -> rusqlite::Result<u64> {
            conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        };
        let mut stmt = conn.prepare(
            "SELECT channel, SUM(direction = 'inbound'), SUM(direction = 'outbound')
             FROM messages GROUP BY channel ORDER BY channel",
        )?;
        let by_channel = stmt
            .query_map([], |r| {
                Ok(ChannelCount {
                    channel: r.get(0)?,
                    inbound: r.get::<_, i64>(1)? as u64,
                    outbound: r.get::<_, i64>(2)? as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut conversations = ConversationCounts::default();
        let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM conversations GROUP BY state")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        for row in rows {
            let (state, n) = row?;
            conversations.total += n;
            match state.as_str() {
                "open" => conversations.open = n,
                "pending" => conversations.pending = n,
                _ => conversations.resolved += n,
            }
        }
        let (first, last): (Option<String>, Option<String>) = conn.query_row(
            "SELECT MIN(created_at), MAX(created_at) FROM messages",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let parse = |s: Option<String>| s.and_then(|s| time::from_sql(&s).ok());
        Ok(Stats {
            messages: count("SELECT COUNT(*) FROM messages")?,
            by_channel,
            conversations,
            contacts: count("SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL")?,
            identities: count("SELECT COUNT(*) FROM identities")?,
            reply_pairs: count(&format!("SELECT COUNT(*) FROM ({FIRST_REPLIES})"))?,
            first_message_at: parse(first),
            last_message_at: parse(last),
        })
    }

    /// Every (customer message -> first direct reply from us) pair, by inbound id.
    pub fn first_replies(&self) -> Result<Vec<FirstReply>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("{FIRST_REPLIES} ORDER BY p.id"))?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (inbound_id, reply_id, channel, brand, a, b) = row?;
            let corrupt = |e: chrono::ParseError| StoreError::Corrupt {
                id: inbound_id,
                reason: e.to_string(),
            };
            out.push(FirstReply {
                inbound_id,
                reply_id,
                channel,
                brand,
                inbound_at: time::from_sql(&a).map_err(corrupt)?,
                reply_at: time::from_sql(&b).map_err(corrupt)?,
            });
        }
        Ok(out)
    }
}
