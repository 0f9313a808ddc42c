//! Messages: idempotent batch insert keyed by (channel, external_id), which also files each
//! message under its author's identity and its conversation; reading them back; export.
//!
//! Conversations are kept as a union-find in SQL. A conversation is keyed by the top of its
//! reply chain (`root_external_id`), which may be a message not stored yet. A new message joins
//! the conversation of its parent (or the one waiting for its parent); the conversation waiting
//! for this very message (its replies came first) is merged in. So replies may arrive before
//! their parents, in any batch.
//!
//! Brands: an inbound message without a brand takes the brand of an outbound reply to it, else
//! of the outbound message it replies to; a stored brandless inbound parent takes the brand of a
//! new outbound reply (TWCS customers address a brand only through the thread).

use std::collections::{HashMap, HashSet};

use model::{Direction, Message, Visibility};
use rusqlite::{CachedStatement, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use crate::time;
use crate::{Store, StoreError};

/// What one batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InsertCounts {
    pub inserted: u64,
    /// Already stored (same channel and external id), or twice in the batch; not changed.
    pub duplicates: u64,
}

impl std::ops::AddAssign for InsertCounts {
    fn add_assign(&mut self, other: Self) {
        self.inserted += other.inserted;
        self.duplicates += other.duplicates;
    }
}

/// A message as stored, with the ids the store gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredMessage {
    pub id: i64,
    pub conversation_id: i64,
    pub identity_id: i64,
    pub message: Message,
}

pub(crate) fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Private => "private",
    }
}

/// The columns [`message_row`] reads, in order.
pub(crate) const MESSAGE_COLUMNS: &str = "id, conversation_id, identity_id, channel, external_id, author, \
     author_name, text, created_at, in_reply_to, direction, visibility, language, brand, labels, raw";

pub(crate) fn message_row(row: &Row<'_>) -> rusqlite::Result<Result<StoredMessage, StoreError>> {
    let id: i64 = row.get(0)?;
    let corrupt = |reason: String| StoreError::Corrupt { id, reason };
    let created: String = row.get(8)?;
    let direction: String = row.get(10)?;
    let visibility: String = row.get(11)?;
    let labels: Option<String> = row.get(14)?;
    let parsed = (|| {
        let created_at =
            time::from_sql(&created).map_err(|e| corrupt(format!("created_at: {e}")))?;
        let direction = match direction.as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            other => return Err(corrupt(format!("direction `{other}`"))),
        };
        let visibility = match visibility.as_str() {
            "public" => Visibility::Public,
            "private" => Visibility::Private,
            other => return Err(corrupt(format!("visibility `{other}`"))),
        };
        let labels = match labels {
            Some(json) => {
                serde_json::from_str(&json).map_err(|e| corrupt(format!("labels: {e}")))?
            }
            None => model::Labels::new(),
        };
        Ok((created_at, direction, visibility, labels))
    })();
    let (created_at, direction, visibility, labels) = match parsed {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(StoredMessage {
        id,
        conversation_id: row.get(1)?,
        identity_id: row.get(2)?,
        message: Message {
            channel: row.get(3)?,
            external_id: row.get(4)?,
            author: row.get(5)?,
            author_name: row.get(6)?,
            text: row.get(7)?,
            created_at,
            in_reply_to: row.get(9)?,
            direction,
            visibility,
            language: row.get(12)?,
            brand: row.get(13)?,
            labels,
            raw: row.get(15)?,
        },
    }))
}

impl Store {
    /// Stores a batch in one transaction: new messages are inserted (with identity and
    /// conversation), known ones counted as duplicates and left unchanged. When this returns
    /// `Ok`, the batch is durable; on `Err`, nothing of it was stored.
    pub fn insert_messages(&mut self, messages: &[Message]) -> Result<InsertCounts, StoreError> {
        let refs = self.conversation_refs.clone();
        self.write(|tx| {
            let mut batch = Batch::new(tx, &refs)?;
            let mut counts = InsertCounts::default();
            for m in messages {
                if batch.insert(m)? {
                    counts.inserted += 1;
                } else {
                    counts.duplicates += 1;
                }
            }
            batch.flush()?;
            Ok(counts)
        })
    }

    /// One message by its key.
    pub fn message(
        &self,
        channel: &str,
        external_id: &str,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE channel = ?1 AND external_id = ?2"
        );
        let found = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params![channel, external_id], message_row)
            .optional()?;
        found.transpose()
    }

    /// One message by its store id.
    pub fn message_by_id(&self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1");
        let found = self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], message_row)
            .optional()?;
        found.transpose()
    }

    /// Every message in insertion order, streamed to `sink` (export). Returns the count.
    pub fn for_each_message(
        &self,
        mut sink: impl FnMut(StoredMessage) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages ORDER BY id");
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            sink(message_row(row)??)?;
            n += 1;
        }
        Ok(n)
    }

    /// Number of stored messages.
    pub fn message_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}

/// Changes to one conversation's summary, applied once per batch.
#[derive(Debug)]
struct Delta {
    count: i64,
    first_at: String,
    last_at: String,
    last_direction: Direction,
}

/// The statements of the insert path, prepared once per batch.
struct Statements<'a> {
    exists: CachedStatement<'a>,
    conv_by_root: CachedStatement<'a>,
    parent: CachedStatement<'a>,
    child_brand: CachedStatement<'a>,
    set_brand: CachedStatement<'a>,
    brand_children: CachedStatement<'a>,
    set_root: CachedStatement<'a>,
    new_conversation: CachedStatement<'a>,
    insert: CachedStatement<'a>,
    identity: CachedStatement<'a>,
    new_contact: CachedStatement<'a>,
    new_identity: CachedStatement<'a>,
}

impl<'a> Statements<'a> {
    fn prepare(tx: &'a Transaction<'_>) -> rusqlite::Result<Self> {
        Ok(Statements {
            exists: tx.prepare_cached("SELECT 1 FROM messages WHERE channel = ?1 AND external_id = ?2")?,
            conv_by_root: tx
                .prepare_cached("SELECT id FROM conversations WHERE channel = ?1 AND root_external_id = ?2")?,
            parent: tx.prepare_cached(
                "SELECT id, conversation_id, direction, brand FROM messages WHERE channel = ?1 AND external_id = ?2",
            )?,
            child_brand: tx.prepare_cached(
                "SELECT brand FROM messages WHERE conversation_id = ?1 AND in_reply_to = ?2
                 AND direction = 'outbound' AND brand IS NOT NULL ORDER BY created_at, id LIMIT 1",
            )?,
            set_brand: tx.prepare_cached("UPDATE messages SET brand = ?1 WHERE id = ?2")?,
            brand_children: tx.prepare_cached(
                "UPDATE messages SET brand = ?1 WHERE conversation_id = ?2 AND in_reply_to = ?3
                 AND direction = 'inbound' AND brand IS NULL",
            )?,
            set_root: tx.prepare_cached("UPDATE conversations SET root_external_id = ?1 WHERE id = ?2")?,
            new_conversation: tx.prepare_cached(
                "INSERT INTO conversations
                   (channel, root_external_id, state, first_at, last_at, last_direction, message_count)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, 0)",
            )?,
            insert: tx.prepare_cached(
                "INSERT INTO messages (channel, external_id, identity_id, conversation_id, author, author_name,
                   text, created_at, in_reply_to, direction, visibility, language, brand, labels, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?,
            identity: tx.prepare_cached("SELECT id FROM identities WHERE channel = ?1 AND handle = ?2")?,
            new_contact: tx.prepare_cached("INSERT INTO contacts (display_name, created_at) VALUES (?1, ?2)")?,
            new_identity: tx
                .prepare_cached("INSERT INTO identities (contact_id, channel, handle) VALUES (?1, ?2, ?3)")?,
        })
    }
}

struct Batch<'a, 'c> {
    tx: &'a Transaction<'c>,
    stmts: Statements<'a>,
    refs: &'a [(String, String)],
    /// (channel, handle) -> identity id, for this batch.
    identities: HashMap<(String, String), i64>,
    /// Messages inserted in this batch, by (channel, external id): parents found here need no
    /// query. Conversation ids may be stale after a merge: resolve them through `moved`.
    local: HashMap<(String, String), Parent>,
    /// Merged conversation -> the one it was merged into.
    moved: HashMap<i64, i64>,
    deltas: HashMap<i64, Delta>,
    /// Conversations whose summary is recomputed from their messages (after merges).
    recompute: HashSet<i64>,
}

#[derive(Debug, Clone)]
struct Parent {
    id: i64,
    conversation_id: i64,
    direction: String,
    brand: Option<String>,
}

impl<'a, 'c> Batch<'a, 'c> {
    fn new(tx: &'a Transaction<'c>, refs: &'a [(String, String)]) -> rusqlite::Result<Self> {
        Ok(Batch {
            tx,
            stmts: Statements::prepare(tx)?,
            refs,
            identities: HashMap::new(),
            local: HashMap::new(),
            moved: HashMap::new(),
            deltas: HashMap::new(),
            recompute: HashSet::new(),
        })
    }

    fn resolve(&self, mut conversation: i64) -> i64 {
        while let Some(&next) = self.moved.get(&conversation) {
            conversation = next;
        }
        conversation
    }

    /// Returns false for a duplicate.
    fn insert(&mut self, m: &Message) -> Result<bool, StoreError> {
        let key = (m.channel.clone(), m.external_id.clone());
        if self.local.contains_key(&key)
            || self
                .stmts
                .exists
                .exists(params![m.channel, m.external_id])?
        {
            return Ok(false);
        }
        let identity_id = self.identity(m)?;
        let created_at = time::to_sql(&m.created_at);

        // The conversation waiting for this message: its replies arrived first.
        let waiting: Option<i64> = self
            .stmts
            .conv_by_root
            .query_row(params![m.channel, m.external_id], |r| r.get(0))
            .optional()?;
        let parent: Option<Parent> = match &m.in_reply_to {
            Some(p) => match self.local.get(&(m.channel.clone(), p.clone())) {
                Some(local) => Some(Parent {
                    conversation_id: self.resolve(local.conversation_id),
                    ..local.clone()
                }),
                None => self
                    .stmts
                    .parent
                    .query_row(params![m.channel, p], |r| {
                        Ok(Parent {
                            id: r.get(0)?,
                            conversation_id: r.get(1)?,
                            direction: r.get(2)?,
                            brand: r.get(3)?,
                        })
                    })
                    .optional()?,
            },
            None => None,
        };
        let parent_conv = match (&parent, &m.in_reply_to) {
            (Some(p), _) => Some(p.conversation_id),
            (None, Some(p)) => self
                .stmts
                .conv_by_root
                .query_row(params![m.channel, p], |r| r.get(0))
                .optional()?,
            (None, None) => None,
        };

        let mut brand = m.brand.clone();
        if m.direction == Direction::Inbound && brand.is_none() {
            if let Some(w) = waiting {
                brand = self
                    .stmts
                    .child_brand
                    .query_row(params![w, m.external_id], |r| r.get(0))
                    .optional()?;
            }
            if brand.is_none()
                && let Some(p) = &parent
                && p.direction == "outbound"
            {
                brand = p.brand.clone();
            }
        }
        if m.direction == Direction::Outbound
            && let (Some(b), Some(p)) = (&m.brand, &parent)
            && p.direction == "inbound"
            && p.brand.is_none()
        {
            self.stmts.set_brand.execute(params![b, p.id])?;
            if let Some(local) = self
                .local
                .get_mut(&(m.channel.clone(), m.in_reply_to.clone().unwrap_or_default()))
            {
                local.brand = Some(b.clone());
            }
        }

        // Brandless customer replies to this outbound message that arrived before it.
        if m.direction == Direction::Outbound
            && let (Some(b), Some(w)) = (&m.brand, waiting)
        {
            self.stmts
                .brand_children
                .execute(params![b, w, m.external_id])?;
        }

        let conversation_id = match (parent_conv, waiting) {
            (Some(p), Some(w)) if p != w => {
                self.merge(w, p)?;
                p
            }
            (Some(p), _) => p,
            (None, Some(w)) => {
                if let Some(p) = &m.in_reply_to {
                    self.stmts.set_root.execute(params![p, w])?;
                }
                w
            }
            (None, None) => {
                let root = m.in_reply_to.as_deref().unwrap_or(&m.external_id);
                self.stmts.new_conversation.execute(params![
                    m.channel,
                    root,
                    state_after(m.direction),
                    created_at,
                    direction_str(m.direction)
                ])?;
                self.tx.last_insert_rowid()
            }
        };

        let labels = if m.labels.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&m.labels).expect("a string map always serialises"))
        };
        self.stmts.insert.execute(params![
            m.channel,
            m.external_id,
            identity_id,
            conversation_id,
            m.author,
            m.author_name,
            m.text,
            created_at,
            m.in_reply_to,
            direction_str(m.direction),
            visibility_str(m.visibility),
            m.language,
            brand,
            labels,
            m.raw,
        ])?;
        let id = self.tx.last_insert_rowid();
        self.local.insert(
            key,
            Parent {
                id,
                conversation_id,
                direction: direction_str(m.direction).to_owned(),
                brand,
            },
        );

        if !self.recompute.contains(&conversation_id) {
            match self.deltas.get_mut(&conversation_id) {
                Some(d) => {
                    d.count += 1;
                    if created_at < d.first_at {
                        d.first_at.clone_from(&created_at);
                    }
                    if created_at >= d.last_at {
                        d.last_at = created_at;
                        d.last_direction = m.direction;
                    }
                }
                None => {
                    self.deltas.insert(
                        conversation_id,
                        Delta {
                            count: 1,
                            first_at: created_at.clone(),
                            last_at: created_at,
                            last_direction: m.direction,
                        },
                    );
                }
            }
        }
        Ok(true)
    }

    fn identity(&mut self, m: &Message) -> Result<i64, StoreError> {
        let key = (m.channel.clone(), m.author.clone());
        if let Some(&id) = self.identities.get(&key) {
            return Ok(id);
        }
        let found: Option<i64> = self
            .stmts
            .identity
            .query_row(params![m.channel, m.author], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                self.stmts
                    .new_contact
                    .execute(params![m.author_name, time::to_sql(&chrono::Utc::now())])?;
                let contact = self.tx.last_insert_rowid();
                self.stmts
                    .new_identity
                    .execute(params![contact, m.channel, m.author])?;
                self.tx.last_insert_rowid()
            }
        };
        self.identities.insert(key, id);
        Ok(id)
    }

    /// Moves everything of conversation `from` into `into` and deletes `from`.
    fn merge(&mut self, from: i64, into: i64) -> Result<(), StoreError> {
        let tx = self.tx;
        tx.prepare_cached("UPDATE messages SET conversation_id = ?1 WHERE conversation_id = ?2")?
            .execute(params![into, from])?;
        for (table, column) in self.refs {
            tx.execute(
                &format!("UPDATE \"{table}\" SET \"{column}\" = ?1 WHERE \"{column}\" = ?2"),
                params![into, from],
            )?;
        }
        tx.prepare_cached("DELETE FROM conversations WHERE id = ?1")?
            .execute([from])?;
        self.moved.insert(from, into);
        self.deltas.remove(&from);
        self.deltas.remove(&into);
        self.recompute.remove(&from);
        self.recompute.insert(into);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        let tx = self.tx;
        let mut delta_stmt = tx.prepare_cached(
            "UPDATE conversations SET
               message_count = message_count + ?2,
               first_at = min(first_at, ?3),
               last_direction = CASE WHEN ?4 >= last_at THEN ?5 ELSE last_direction END,
               state = CASE WHEN ?4 < last_at THEN state
                            WHEN ?5 = 'inbound' THEN 'open'
                            WHEN state = 'resolved' THEN 'resolved'
                            ELSE 'pending' END,
               last_at = max(last_at, ?4)
             WHERE id = ?1",
        )?;
        for (id, d) in &self.deltas {
            delta_stmt.execute(params![
                id,
                d.count,
                d.first_at,
                d.last_at,
                direction_str(d.last_direction)
            ])?;
        }
        let mut recompute_stmt = tx.prepare_cached(
            "UPDATE conversations SET
               message_count = (SELECT COUNT(*) FROM messages WHERE conversation_id = ?1),
               first_at = (SELECT MIN(created_at) FROM messages WHERE conversation_id = ?1),
               last_at = (SELECT MAX(created_at) FROM messages WHERE conversation_id = ?1),
               last_direction = (SELECT direction FROM messages WHERE conversation_id = ?1
                                 ORDER BY created_at DESC, id DESC LIMIT 1),
               state = CASE WHEN state = 'resolved'
                             AND (SELECT MAX(created_at) FROM messages WHERE conversation_id = ?1) <= last_at
                            THEN 'resolved'
                            WHEN (SELECT direction FROM messages WHERE conversation_id = ?1
                                  ORDER BY created_at DESC, id DESC LIMIT 1) = 'inbound' THEN 'open'
                            ELSE 'pending' END
             WHERE id = ?1",
        )?;
        for id in &self.recompute {
            recompute_stmt.execute([id])?;
        }
        Ok(())
    }
}

/// The state a conversation is in after a message in this direction.
fn state_after(direction: Direction) -> &'static str {
    match direction {
        Direction::Inbound => "open",
        Direction::Outbound => "pending",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ConversationState;

    fn msg(id: &str, author: &str, dir: Direction, reply_to: Option<&str>, minute: i64) -> Message {
        Message {
            channel: "twitter".into(),
            external_id: id.into(),
            author: author.into(),
            author_name: None,
            text: format!("text {id}"),
            created_at: chrono::DateTime::from_timestamp(1_500_000_000 + minute * 60, 0).unwrap(),
            in_reply_to: reply_to.map(Into::into),
            direction: dir,
            visibility: Visibility::Public,
            language: None,
            brand: (dir == Direction::Outbound).then(|| author.to_owned()),
            labels: model::Labels::new(),
            raw: Some(format!("raw {id}")),
        }
    }

    fn conv(store: &Store, id: &str) -> i64 {
        store
            .message("twitter", id)
            .unwrap()
            .unwrap()
            .conversation_id
    }

    /// A thread 1 <- 2 <- 3 <- 4 plus a lone message 9, fed in every batch split and order given.
    fn thread() -> Vec<Message> {
        vec![
            msg("1", "cust", Direction::Inbound, None, 0),
            msg("2", "Brand", Direction::Outbound, Some("1"), 1),
            msg("3", "cust", Direction::Inbound, Some("2"), 2),
            msg("4", "Brand", Direction::Outbound, Some("3"), 3),
            msg("9", "other", Direction::Inbound, Some("404"), 4),
        ]
    }

    fn check_thread(store: &Store) {
        let c = conv(store, "1");
        for id in ["2", "3", "4"] {
            assert_eq!(conv(store, id), c, "message {id}");
        }
        assert_ne!(conv(store, "9"), c);
        let conversation = store.conversation(c).unwrap().unwrap();
        assert_eq!(conversation.message_count, 4);
        assert_eq!(conversation.root_external_id, "1");
        assert_eq!(conversation.state, ConversationState::Pending);
        assert_eq!(conversation.last_at, thread()[3].created_at);
        assert_eq!(conversation.first_at, thread()[0].created_at);
        let lone = store.conversation(conv(store, "9")).unwrap().unwrap();
        assert_eq!(
            (lone.root_external_id.as_str(), lone.state),
            ("404", ConversationState::Open)
        );
        let stats = store.stats().unwrap();
        assert_eq!(stats.conversations.total, 2);
        assert_eq!(stats.reply_pairs, 2);
        assert_eq!(stats.contacts, 3);
        for id in ["1", "3"] {
            let m = store.message("twitter", id).unwrap().unwrap();
            assert_eq!(m.message.brand.as_deref(), Some("Brand"), "brand of {id}");
        }
    }

    #[test]
    fn threads_in_any_order_and_batch_split() {
        let orders: [&[usize]; 4] = [
            &[0, 1, 2, 3, 4],
            &[3, 2, 1, 0, 4],
            &[1, 3, 0, 4, 2],
            &[2, 0, 3, 1, 4],
        ];
        for order in orders {
            for split in 0..=5 {
                let all: Vec<Message> = order.iter().map(|&i| thread()[i].clone()).collect();
                let mut store = Store::open_in_memory().unwrap();
                let a = store.insert_messages(&all[..split]).unwrap();
                let b = store.insert_messages(&all[split..]).unwrap();
                assert_eq!(a.inserted + b.inserted, 5);
                check_thread(&store);
            }
        }
    }

    #[test]
    fn customer_reply_stored_before_the_brand_tweet_gets_its_brand() {
        let mut store = Store::open_in_memory().unwrap();
        let reply = msg("5", "cust", Direction::Inbound, Some("4"), 5);
        store.insert_messages(std::slice::from_ref(&reply)).unwrap();
        store
            .insert_messages(&[msg("4", "Brand", Direction::Outbound, None, 4)])
            .unwrap();
        let m = store.message("twitter", "5").unwrap().unwrap();
        assert_eq!(m.message.brand.as_deref(), Some("Brand"));
    }

    /// A merge deletes the newest conversation; the next new conversation must not get its id
    /// (a reply to it would follow the merge into the wrong thread).
    #[test]
    fn conversation_ids_are_not_reused_after_a_merge() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .insert_messages(&[
                msg("z", "cust", Direction::Inbound, None, 0),
                msg("b", "Brand", Direction::Outbound, Some("a"), 2),
                msg("a", "cust", Direction::Inbound, Some("z"), 1),
                msg("q", "other", Direction::Inbound, None, 3),
                msg("r", "Brand", Direction::Outbound, Some("q"), 4),
            ])
            .unwrap();
        assert_eq!(conv(&store, "a"), conv(&store, "z"));
        assert_eq!(conv(&store, "b"), conv(&store, "z"));
        assert_eq!(conv(&store, "r"), conv(&store, "q"));
        assert_ne!(conv(&store, "q"), conv(&store, "z"));
        assert_eq!(store.stats().unwrap().conversations.total, 2);
    }

    #[test]
    fn duplicates_are_counted_and_unchanged() {
        let mut store = Store::open_in_memory().unwrap();
        let mut batch = thread();
        batch.push(thread()[0].clone());
        let counts = store.insert_messages(&batch).unwrap();
        assert_eq!(
            counts,
            InsertCounts {
                inserted: 5,
                duplicates: 1
            }
        );
        let mut changed = thread();
        changed[0].text = "other".into();
        let counts = store.insert_messages(&changed).unwrap();
        assert_eq!(
            counts,
            InsertCounts {
                inserted: 0,
                duplicates: 5
            }
        );
        assert_eq!(
            store.message("twitter", "1").unwrap().unwrap().message.text,
            "text 1"
        );
        assert_eq!(store.message_count().unwrap(), 5);
    }

    #[test]
    fn stored_message_equals_input_except_resolved_brand() {
        let mut store = Store::open_in_memory().unwrap();
        let mut m = thread()[1].clone();
        m.labels.insert("sentiment".into(), "neutral".into());
        m.created_at = chrono::DateTime::from_timestamp(1_500_000_000, 123_456_789).unwrap();
        m.language = Some("de".into());
        m.author_name = Some("Die Marke".into());
        store.insert_messages(std::slice::from_ref(&m)).unwrap();
        let mut out = Vec::new();
        store
            .for_each_message(|s| {
                out.push(s.message);
                Ok(())
            })
            .unwrap();
        assert_eq!(out, vec![m]);
    }

    #[test]
    fn resolved_reopens_on_newer_inbound_only() {
        let mut store = Store::open_in_memory().unwrap();
        let t = thread();
        store.insert_messages(&t[..2]).unwrap();
        let c = conv(&store, "1");
        store
            .set_conversation_state(c, ConversationState::Resolved)
            .unwrap();
        store
            .insert_messages(&[msg("5", "Brand", Direction::Outbound, Some("2"), 10)])
            .unwrap();
        assert_eq!(
            store.conversation(c).unwrap().unwrap().state,
            ConversationState::Resolved
        );
        store
            .insert_messages(&[msg("6", "cust", Direction::Inbound, Some("5"), 11)])
            .unwrap();
        assert_eq!(
            store.conversation(c).unwrap().unwrap().state,
            ConversationState::Open
        );
        assert!(
            store
                .set_conversation_state(999, ConversationState::Open)
                .is_err()
        );
    }

    #[test]
    fn merged_contacts_share_identities() {
        let mut store = Store::open_in_memory().unwrap();
        let mut mail = msg("m1", "kunde@example.org", Direction::Inbound, None, 0);
        mail.channel = "email".into();
        store.insert_messages(&[thread()[0].clone(), mail]).unwrap();
        let a = store.contact_of("twitter", "cust").unwrap().unwrap();
        let b = store
            .contact_of("email", "kunde@example.org")
            .unwrap()
            .unwrap();
        store.merge_contacts(b.id, a.id).unwrap();
        let merged = store
            .contact_of("email", "kunde@example.org")
            .unwrap()
            .unwrap();
        assert_eq!(merged.id, a.id);
        assert_eq!(merged.identities.len(), 2);
        assert_eq!(store.stats().unwrap().contacts, 1);
    }
}
