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
use std::path::{Path, PathBuf};

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

impl InsertCounts {
    /// The counts of a batch's per-message outcomes.
    pub fn of(outcomes: &[Filed]) -> InsertCounts {
        let inserted = outcomes.iter().filter(|o| o.inserted).count() as u64;
        InsertCounts {
            inserted,
            duplicates: outcomes.len() as u64 - inserted,
        }
    }
}

/// What a batch insert did with one message: its id in the store, and whether this batch
/// stored it (`false`: it was stored before, or earlier in the same batch, and left unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Filed {
    pub id: i64,
    pub inserted: bool,
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
        self.file_messages(messages).map(|o| InsertCounts::of(&o))
    }

    /// [`Store::insert_messages`] with the outcome of every message, in input order. A message
    /// twice in the batch is inserted once; its second copy is a duplicate with the same id.
    pub fn file_messages(&mut self, messages: &[Message]) -> Result<Vec<Filed>, StoreError> {
        let refs = self.conversation_refs.clone();
        // Only the in-memory index of an [`Import`] can collide; without it this runs once.
        loop {
            if let Some(outcomes) = insert_batch(&mut self.conn, &refs, None, messages)? {
                return Ok(outcomes);
            }
        }
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

/// A stored analysis by message key, as a lossless export carries it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalysisRow {
    pub channel: String,
    pub external_id: String,
    /// The JSON document as stored (`model::Analysis`); `None` = not analysable.
    pub analysis: Option<String>,
    pub model_version: Option<String>,
    pub analyzed_at: model::Timestamp,
}

impl Store {
    /// Every stored analysis, in message id order.
    pub fn for_each_analysis(
        &self,
        mut sink: impl FnMut(AnalysisRow) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT a.message_id, m.channel, m.external_id, a.analysis, a.model_version, a.analyzed_at
             FROM analyses a JOIN messages m ON m.id = a.message_id ORDER BY a.message_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let at: String = row.get(5)?;
            sink(AnalysisRow {
                channel: row.get(1)?,
                external_id: row.get(2)?,
                analysis: row.get(3)?,
                model_version: row.get(4)?,
                analyzed_at: time::from_sql(&at).map_err(|e| StoreError::Corrupt {
                    id,
                    reason: format!("analyzed_at: {e}"),
                })?,
            })?;
            n += 1;
        }
        Ok(n)
    }

    /// Stores (or replaces) analyses by message key, in one transaction: importing an export.
    /// `false` for a message not in the store.
    pub fn restore_analyses(&mut self, items: &[AnalysisRow]) -> Result<Vec<bool>, StoreError> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO analyses (message_id, analysis, model_version, analyzed_at)
                 SELECT id, ?3, ?4, ?5 FROM messages WHERE channel = ?1 AND external_id = ?2",
            )?;
            items
                .iter()
                .map(|a| {
                    Ok(stmt.execute(params![
                        a.channel,
                        a.external_id,
                        a.analysis,
                        a.model_version,
                        time::to_sql(&a.analyzed_at)
                    ])? > 0)
                })
                .collect()
        })
    }
}

impl Store {
    /// The core tables (messages, conversations, identities, contacts without their creation
    /// time, analyses) row by row as text: two stores hold the same data exactly when their
    /// dumps are equal. For tests and checks (round trips, bulk against per-batch loads).
    pub fn dump_core(&self) -> Result<Vec<String>, StoreError> {
        let mut rows = Vec::new();
        for sql in [
            "SELECT * FROM messages ORDER BY id",
            "SELECT * FROM conversations ORDER BY id",
            "SELECT * FROM identities ORDER BY id",
            "SELECT id, display_name, merged_into FROM contacts ORDER BY id",
            "SELECT * FROM analyses ORDER BY message_id",
        ] {
            let mut stmt = self.conn().prepare(sql)?;
            let n = stmt.column_count();
            let table = sql.split_whitespace().nth(3).unwrap_or_default().to_owned();
            let mut q = stmt.query([])?;
            while let Some(row) = q.next()? {
                let mut line = table.clone();
                for i in 0..n {
                    line.push_str(&format!("|{:?}", row.get_ref(i)?));
                }
                rows.push(line);
            }
        }
        Ok(rows)
    }

    /// Names of every index, sorted (a bulk load must leave none missing).
    pub fn index_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")?;
        let names = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(names)
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
            exists: tx.prepare_cached("SELECT id FROM messages WHERE channel = ?1 AND external_id = ?2")?,
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
                 AND direction = 'inbound' AND brand IS NULL RETURNING external_id",
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

/// A 128-bit hash of a (channel, id) pair: the key of the in-memory index. The text key stays
/// the store's unique key: a hash that matches is checked against it before a message counts as
/// a duplicate, so a collision can never drop a message.
type Key = u128;

fn key_of(channel: &str, id: &str) -> Key {
    use std::hash::{DefaultHasher, Hash, Hasher};
    // `DefaultHasher::new()` is SipHash with fixed keys: the same value for the same input
    // within one build, which is all an in-memory index needs. Two seeds give 128 bits.
    let half = |seed: u8| {
        let mut h = DefaultHasher::new();
        seed.hash(&mut h);
        channel.hash(&mut h);
        id.hash(&mut h);
        h.finish()
    };
    (u128::from(half(0x5a)) << 64) | u128::from(half(0xa5))
}

/// Hasher for [`Key`]s, which are hashes already: folds the bits instead of hashing again.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = (n as u64) ^ ((n >> 64) as u64);
    }
}

type KeyMap<V> = HashMap<Key, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// What the in-memory index keeps per stored message (24 bytes).
#[derive(Debug, Clone, Copy)]
struct MemMessage {
    id: i64,
    /// May be stale after a merge: resolve through [`MemIndex::moved`].
    conversation_id: i64,
    /// Index into [`MemIndex::brands`]; 0 = none.
    brand: u32,
    outbound: bool,
}

/// Replies stored before the message they answer, by the key of that message.
#[derive(Debug, Default)]
struct Orphans {
    /// The earliest outbound reply with a brand: (created_at, id, brand).
    first_outbound: Option<(String, i64, u32)>,
    /// Inbound replies stored without a brand (may have got one since: check the message).
    brandless_inbound: Vec<Key>,
}

/// Everything the insert path would otherwise look up in SQLite, for a store that was empty
/// when the import started and that no one else wrote to since (checked by `data_version`
/// before every batch). Answers are exact, with one caveat: parents are found by the 128-bit
/// hash of their key (a collision, about 1 in 10^20 for a billion messages, would thread a
/// reply wrongly; it could not lose or duplicate a message).
#[derive(Debug, Default)]
struct MemIndex {
    messages: KeyMap<MemMessage>,
    /// Conversations by (channel, root_external_id) and back.
    roots: KeyMap<i64>,
    conversation_roots: HashMap<i64, Key>,
    /// Merged conversation -> the one it went into (for the whole session).
    moved: HashMap<i64, i64>,
    orphans: KeyMap<Orphans>,
    identities: KeyMap<i64>,
    brands: Vec<String>,
    brand_ids: HashMap<String, u32>,
}

/// Beyond this many messages the index gives way to SQLite lookups (keeps peak memory flat:
/// about 60 bytes per message).
const MEM_INDEX_MAX_MESSAGES: usize = 6_000_000;

impl MemIndex {
    fn new() -> Self {
        MemIndex {
            brands: vec![String::new()],
            ..MemIndex::default()
        }
    }

    fn resolve(&self, mut conversation: i64) -> i64 {
        while let Some(&next) = self.moved.get(&conversation) {
            conversation = next;
        }
        conversation
    }

    fn brand(&self, id: u32) -> Option<String> {
        (id != 0).then(|| self.brands[id as usize].clone())
    }

    fn intern(&mut self, brand: Option<&str>) -> u32 {
        let Some(brand) = brand else { return 0 };
        if let Some(&id) = self.brand_ids.get(brand) {
            return id;
        }
        let id = self.brands.len() as u32;
        self.brands.push(brand.to_owned());
        self.brand_ids.insert(brand.to_owned(), id);
        id
    }

    fn set_root(&mut self, conversation: i64, root: Key) {
        if let Some(old) = self.conversation_roots.insert(conversation, root) {
            self.roots.remove(&old);
        }
        self.roots.insert(root, conversation);
    }
}

/// Where one batch looks things up.
enum Lookup<'m> {
    /// In SQLite; `local` holds this batch's messages, `moved` this batch's merges.
    Db {
        local: HashMap<(String, String), Parent>,
        moved: HashMap<i64, i64>,
        /// (channel, handle) -> identity id, for this batch.
        identities: HashMap<(String, String), i64>,
    },
    Memory(&'m mut MemIndex),
}

/// What [`Batch::insert`] did with one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Stored now, with this id.
    Inserted(i64),
    /// Stored before (or earlier in this batch) with this id.
    Duplicate(i64),
    /// The in-memory index matched a key the store does not hold (a hash collision): the
    /// batch must be rolled back and done again without the index.
    Collision,
}

struct Batch<'a, 'c, 'm> {
    tx: &'a Transaction<'c>,
    stmts: Statements<'a>,
    refs: &'a [(String, String)],
    lookup: Lookup<'m>,
    deltas: HashMap<i64, Delta>,
    /// Conversations whose summary is recomputed from their messages (after merges).
    recompute: HashSet<i64>,
}

#[derive(Debug, Clone)]
struct Parent {
    id: i64,
    conversation_id: i64,
    outbound: bool,
    brand: Option<String>,
}

impl<'a, 'c, 'm> Batch<'a, 'c, 'm> {
    fn new(
        tx: &'a Transaction<'c>,
        refs: &'a [(String, String)],
        mem: Option<&'m mut MemIndex>,
    ) -> rusqlite::Result<Self> {
        Ok(Batch {
            tx,
            stmts: Statements::prepare(tx)?,
            refs,
            lookup: match mem {
                Some(mem) => Lookup::Memory(mem),
                None => Lookup::Db {
                    local: HashMap::new(),
                    moved: HashMap::new(),
                    identities: HashMap::new(),
                },
            },
            deltas: HashMap::new(),
            recompute: HashSet::new(),
        })
    }

    fn resolve(&self, mut conversation: i64) -> i64 {
        match &self.lookup {
            Lookup::Memory(mem) => mem.resolve(conversation),
            Lookup::Db { moved, .. } => {
                while let Some(&next) = moved.get(&conversation) {
                    conversation = next;
                }
                conversation
            }
        }
    }

    /// Whether (channel, external id) is stored already.
    fn is_duplicate(&mut self, m: &Message, key: Key) -> Result<Option<Outcome>, StoreError> {
        let mut stored = || -> Result<Option<i64>, StoreError> {
            Ok(self
                .stmts
                .exists
                .query_row(params![m.channel, m.external_id], |r| r.get(0))
                .optional()?)
        };
        match &self.lookup {
            // A hash match is a duplicate only if the text key agrees.
            Lookup::Memory(mem) => {
                if !mem.messages.contains_key(&key) {
                    return Ok(None);
                }
                Ok(Some(match stored()? {
                    Some(id) => Outcome::Duplicate(id),
                    None => Outcome::Collision,
                }))
            }
            Lookup::Db { local, .. } => {
                if let Some(p) = local.get(&(m.channel.clone(), m.external_id.clone())) {
                    return Ok(Some(Outcome::Duplicate(p.id)));
                }
                Ok(stored()?.map(Outcome::Duplicate))
            }
        }
    }

    /// The conversation whose root is (channel, id): replies to a message not stored yet.
    fn conversation_by_root(
        &mut self,
        channel: &str,
        id: &str,
        key: Key,
    ) -> Result<Option<i64>, StoreError> {
        Ok(match &self.lookup {
            Lookup::Memory(mem) => mem.roots.get(&key).copied(),
            Lookup::Db { .. } => self
                .stmts
                .conv_by_root
                .query_row(params![channel, id], |r| r.get(0))
                .optional()?,
        })
    }

    fn parent(&mut self, channel: &str, id: &str, key: Key) -> Result<Option<Parent>, StoreError> {
        let local = match &self.lookup {
            Lookup::Memory(mem) => {
                return Ok(mem.messages.get(&key).map(|p| Parent {
                    id: p.id,
                    conversation_id: mem.resolve(p.conversation_id),
                    outbound: p.outbound,
                    brand: mem.brand(p.brand),
                }));
            }
            Lookup::Db { local, .. } => local.get(&(channel.to_owned(), id.to_owned())).cloned(),
        };
        if let Some(local) = local {
            return Ok(Some(Parent {
                conversation_id: self.resolve(local.conversation_id),
                ..local
            }));
        }
        Ok(self
            .stmts
            .parent
            .query_row(params![channel, id], |r| {
                Ok(Parent {
                    id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    outbound: r.get::<_, String>(2)? == "outbound",
                    brand: r.get(3)?,
                })
            })
            .optional()?)
    }

    fn insert(&mut self, m: &Message) -> Result<Outcome, StoreError> {
        let key = key_of(&m.channel, &m.external_id);
        if let Some(outcome) = self.is_duplicate(m, key)? {
            return Ok(outcome);
        }
        let identity_id = self.identity(m)?;
        let created_at = time::to_sql(&m.created_at);
        let parent_key = m.in_reply_to.as_deref().map(|p| key_of(&m.channel, p));

        // The conversation waiting for this message: its replies arrived first.
        let waiting = self.conversation_by_root(&m.channel, &m.external_id, key)?;
        let parent = match (&m.in_reply_to, parent_key) {
            (Some(p), Some(pk)) => self.parent(&m.channel, p, pk)?,
            _ => None,
        };
        let parent_conv = match (&parent, &m.in_reply_to, parent_key) {
            (Some(p), _, _) => Some(p.conversation_id),
            (None, Some(p), Some(pk)) => self.conversation_by_root(&m.channel, p, pk)?,
            _ => None,
        };

        let mut brand = m.brand.clone();
        if m.direction == Direction::Inbound && brand.is_none() {
            if let Some(w) = waiting {
                brand = match &self.lookup {
                    Lookup::Memory(mem) => mem
                        .orphans
                        .get(&key)
                        .and_then(|o| o.first_outbound.as_ref())
                        .and_then(|(_, _, b)| mem.brand(*b)),
                    Lookup::Db { .. } => self
                        .stmts
                        .child_brand
                        .query_row(params![w, m.external_id], |r| r.get(0))
                        .optional()?,
                };
            }
            if brand.is_none()
                && let Some(p) = &parent
                && p.outbound
            {
                brand = p.brand.clone();
            }
        }
        if m.direction == Direction::Outbound
            && let (Some(b), Some(p), Some(pk)) = (&m.brand, &parent, parent_key)
            && !p.outbound
            && p.brand.is_none()
        {
            self.stmts.set_brand.execute(params![b, p.id])?;
            match &mut self.lookup {
                Lookup::Memory(mem) => {
                    let id = mem.intern(Some(b));
                    if let Some(stored) = mem.messages.get_mut(&pk) {
                        stored.brand = id;
                    }
                }
                Lookup::Db { local, .. } => {
                    let parent_id = m.in_reply_to.clone().unwrap_or_default();
                    if let Some(local) = local.get_mut(&(m.channel.clone(), parent_id)) {
                        local.brand = Some(b.clone());
                    }
                }
            }
        }

        // Brandless customer replies to this outbound message that arrived before it.
        if m.direction == Direction::Outbound
            && let (Some(b), Some(w)) = (&m.brand, waiting)
        {
            match &mut self.lookup {
                Lookup::Memory(mem) => {
                    let id = mem.intern(Some(b));
                    let children = mem
                        .orphans
                        .get(&key)
                        .map(|o| o.brandless_inbound.clone())
                        .unwrap_or_default();
                    for child in children {
                        if let Some(stored) = mem.messages.get_mut(&child)
                            && stored.brand == 0
                        {
                            stored.brand = id;
                            self.stmts.set_brand.execute(params![b, stored.id])?;
                        }
                    }
                }
                Lookup::Db { local, .. } => {
                    let mut rows = self
                        .stmts
                        .brand_children
                        .query(params![b, w, m.external_id])?;
                    while let Some(row) = rows.next()? {
                        let child: String = row.get(0)?;
                        if let Some(local) = local.get_mut(&(m.channel.clone(), child)) {
                            local.brand = Some(b.clone());
                        }
                    }
                }
            }
        }

        let conversation_id = match (parent_conv, waiting) {
            (Some(p), Some(w)) if p != w => {
                self.merge(w, p)?;
                p
            }
            (Some(p), _) => p,
            (None, Some(w)) => {
                if let (Some(p), Some(pk)) = (&m.in_reply_to, parent_key) {
                    self.stmts.set_root.execute(params![p, w])?;
                    if let Lookup::Memory(mem) = &mut self.lookup {
                        mem.set_root(w, pk);
                    }
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
                let id = self.tx.last_insert_rowid();
                if let Lookup::Memory(mem) = &mut self.lookup {
                    mem.set_root(id, parent_key.unwrap_or(key));
                }
                id
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
        let outbound = m.direction == Direction::Outbound;
        match &mut self.lookup {
            Lookup::Memory(mem) => {
                let brand_id = mem.intern(brand.as_deref());
                mem.messages.insert(
                    key,
                    MemMessage {
                        id,
                        conversation_id,
                        brand: brand_id,
                        outbound,
                    },
                );
                // Its replies found it now; they are never looked up by this key again.
                mem.orphans.remove(&key);
                if let (None, Some(pk)) = (&parent, parent_key) {
                    let orphans = mem.orphans.entry(pk).or_default();
                    if !outbound && brand_id == 0 {
                        orphans.brandless_inbound.push(key);
                    }
                    if outbound
                        && brand_id != 0
                        && orphans
                            .first_outbound
                            .as_ref()
                            .is_none_or(|(at, _, _)| created_at < *at)
                    {
                        orphans.first_outbound = Some((created_at.clone(), id, brand_id));
                    }
                }
            }
            Lookup::Db { local, .. } => {
                local.insert(
                    (m.channel.clone(), m.external_id.clone()),
                    Parent {
                        id,
                        conversation_id,
                        outbound,
                        brand,
                    },
                );
            }
        }

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
        Ok(Outcome::Inserted(id))
    }

    fn identity(&mut self, m: &Message) -> Result<i64, StoreError> {
        let found: Option<i64> = match &mut self.lookup {
            Lookup::Memory(mem) => {
                let key = key_of(&m.channel, &m.author);
                if let Some(&id) = mem.identities.get(&key) {
                    return Ok(id);
                }
                None
            }
            Lookup::Db { identities, .. } => {
                if let Some(&id) = identities.get(&(m.channel.clone(), m.author.clone())) {
                    return Ok(id);
                }
                self.stmts
                    .identity
                    .query_row(params![m.channel, m.author], |r| r.get(0))
                    .optional()?
            }
        };
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
        match &mut self.lookup {
            Lookup::Memory(mem) => {
                mem.identities.insert(key_of(&m.channel, &m.author), id);
            }
            Lookup::Db { identities, .. } => {
                identities.insert((m.channel.clone(), m.author.clone()), id);
            }
        }
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
        match &mut self.lookup {
            Lookup::Memory(mem) => {
                mem.moved.insert(from, into);
                if let Some(root) = mem.conversation_roots.remove(&from) {
                    mem.roots.remove(&root);
                }
            }
            Lookup::Db { moved, .. } => {
                moved.insert(from, into);
            }
        }
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

/// Runs one batch in one transaction and answers the outcome of each message: `Ok(None)`
/// when the in-memory index cannot be used (another connection committed since
/// `data_version` was read, or a hash collision): nothing was kept; run it again without the
/// index.
fn insert_batch(
    conn: &mut rusqlite::Connection,
    refs: &[(String, String)],
    mem: Option<(&mut MemIndex, i64)>,
    messages: &[Message],
) -> Result<Option<Vec<Filed>>, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(messages.len());
    // Checked under the write lock, so no commit of another connection can slip in between.
    let mem = match mem {
        Some((mem, data_version)) => {
            let now: i64 = tx.query_row("PRAGMA data_version", [], |r| r.get(0))?;
            if now != data_version {
                return Ok(None);
            }
            Some(mem)
        }
        None => None,
    };
    {
        let mut batch = Batch::new(&tx, refs, mem)?;
        for m in messages {
            outcomes.push(match batch.insert(m)? {
                Outcome::Inserted(id) => Filed { id, inserted: true },
                Outcome::Duplicate(id) => Filed {
                    id,
                    inserted: false,
                },
                Outcome::Collision => return Ok(None), // dropping `tx` rolls back
            });
        }
        batch.flush()?;
    }
    tx.commit()?;
    Ok(Some(outcomes))
}

/// The lock file an import holds while it runs (so a store opened meanwhile leaves the
/// deferred indexes to it).
fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-import-lock");
    PathBuf::from(name)
}

/// Builds every index a bulk import deferred (see [`Import`]); a no-op when there is none.
pub(crate) fn restore_deferred_indexes(
    conn: &mut rusqlite::Connection,
) -> Result<usize, StoreError> {
    let pending: Vec<(String, String)> = conn
        .prepare("SELECT name, sql FROM deferred_indexes ORDER BY name")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if pending.is_empty() {
        return Ok(0);
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (name, sql) in &pending {
        let exists: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1)",
            [name],
            |r| r.get(0),
        )?;
        if !exists {
            tx.execute_batch(sql)?;
        }
        tx.execute("DELETE FROM deferred_indexes WHERE name = ?1", [name])?;
    }
    tx.commit()?;
    Ok(pending.len())
}

/// At open: indexes left deferred by an import that was killed are built again, unless an
/// import is running right now (it holds the lock and builds them when it ends).
pub(crate) fn recover_deferred_indexes(
    conn: &mut rusqlite::Connection,
    db: Option<&Path>,
) -> Result<(), StoreError> {
    let waiting: bool =
        conn.query_row("SELECT EXISTS (SELECT 1 FROM deferred_indexes)", [], |r| {
            r.get(0)
        })?;
    if !waiting {
        return Ok(());
    }
    let _lock = match db {
        Some(db) => {
            let path = lock_path(db);
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|source| StoreError::Io { path, source })?;
            if file.try_lock().is_err() {
                return Ok(()); // an import runs and will build them
            }
            Some(file)
        }
        None => None,
    };
    restore_deferred_indexes(conn)?;
    Ok(())
}

/// The tables whose secondary indexes a bulk import defers. Unique keys stay: they are the
/// idempotency guarantee. `messages_by_conversation` stays: merges and summaries need it.
const BULK_TABLES: &str = "'messages', 'conversations', 'identities', 'contacts'";
const KEPT_INDEXES: &str = "'messages_by_conversation'";

/// An import session (`kundenversteher import`): batches go in through [`Import::insert`],
/// each one transaction, durable when it returns, exactly as [`Store::insert_messages`].
///
/// Into an empty store the session runs as a bulk load: every lookup of the insert path
/// (duplicate check, parent, conversation by root, identities, brands of replies) is answered
/// from an in-memory index instead of SQLite B-trees, and the secondary indexes are dropped
/// and built once by [`Import::finish`] (their definitions wait in `deferred_indexes`, written
/// in the same transaction as the drop, so a killed import loses none). The result is the same
/// store, row for row, as the per-batch path gives (tested). The session falls back to the
/// per-batch path when another connection writes meanwhile (`PRAGMA data_version`), on a hash
/// collision (the batch is rolled back and done again) or past
/// [`MEM_INDEX_MAX_MESSAGES`].
pub struct Import<'s> {
    store: &'s mut Store,
    mem: Option<MemIndex>,
    data_version: i64,
    deferred: bool,
    finished: bool,
    _lock: Option<std::fs::File>,
}

impl Store {
    /// Starts an import session (see [`Import`]).
    pub fn import(&mut self) -> Result<Import<'_>, StoreError> {
        let lock = match self.path.as_deref() {
            Some(db) => {
                let path = lock_path(db);
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .map_err(|source| StoreError::Io { path, source })?;
                // Another import runs: no bulk load, its indexes are its own.
                file.try_lock().is_ok().then_some(file)
            }
            None => None,
        };
        let bulk_allowed = lock.is_some() || self.path.is_none();
        if bulk_allowed {
            restore_deferred_indexes(&mut self.conn)?;
        }
        let deferred = bulk_allowed
            && self.write(|tx| {
                let empty: bool = tx.query_row(
                    "SELECT NOT EXISTS (SELECT 1 FROM messages)
                        AND NOT EXISTS (SELECT 1 FROM conversations)
                        AND NOT EXISTS (SELECT 1 FROM identities)",
                    [],
                    |r| r.get(0),
                )?;
                if !empty {
                    return Ok(false);
                }
                let indexes: Vec<(String, String)> = tx
                    .prepare(&format!(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
                         AND tbl_name IN ({BULK_TABLES}) AND name NOT IN ({KEPT_INDEXES})"
                ))?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                for (name, sql) in &indexes {
                    tx.execute(
                        "INSERT OR REPLACE INTO deferred_indexes (name, sql) VALUES (?1, ?2)",
                        params![name, sql],
                    )?;
                    tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
                }
                Ok(true)
            })?;
        let data_version: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(Import {
            store: self,
            mem: deferred.then(MemIndex::new),
            data_version,
            deferred,
            finished: false,
            _lock: lock,
        })
    }
}

impl Import<'_> {
    /// The store, for writes between batches (they do not disturb the in-memory index:
    /// states, contact merges and analyses change no key it holds).
    pub fn store_mut(&mut self) -> &mut Store {
        self.store
    }

    /// Whether this session is a bulk load into an empty store (see [`Import`]).
    pub fn is_bulk(&self) -> bool {
        self.deferred
    }

    /// Stores a batch in one transaction; same contract as [`Store::insert_messages`].
    pub fn insert(&mut self, messages: &[Message]) -> Result<InsertCounts, StoreError> {
        if self
            .mem
            .as_ref()
            .is_some_and(|mem| mem.messages.len() > MEM_INDEX_MAX_MESSAGES)
        {
            self.mem = None; // bounded memory: SQLite lookups from here on
        }
        let refs = self.store.conversation_refs.clone();
        loop {
            let mem = self.mem.as_mut().map(|mem| (mem, self.data_version));
            let result = insert_batch(&mut self.store.conn, &refs, mem, messages);
            match result {
                Ok(Some(outcomes)) => return Ok(InsertCounts::of(&outcomes)),
                // Someone else wrote, or a hash collision: the batch was rolled back (the
                // index may hold entries of it); from now on SQLite answers.
                Ok(None) => self.mem = None,
                Err(e) => {
                    self.mem = None; // it may hold rows of the rolled-back batch
                    return Err(e);
                }
            }
        }
    }

    /// Ends the session: builds the deferred indexes (bulk load). Dropping the session without
    /// calling this does the same, ignoring errors.
    pub fn finish(mut self) -> Result<(), StoreError> {
        self.finished = true;
        self.mem = None;
        if self.deferred {
            restore_deferred_indexes(&mut self.store.conn)?;
        }
        Ok(())
    }
}

impl Drop for Import<'_> {
    fn drop(&mut self) {
        if !self.finished && self.deferred {
            let _ = restore_deferred_indexes(&mut self.store.conn);
        }
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

    /// The pipeline analyses a message and saves the analysis a little later; ingest may join
    /// its thread to another meanwhile and remove the conversation it was read with. The
    /// analysis and its facets must land on the conversation the message is in now.
    #[test]
    fn an_analysis_saved_after_its_thread_was_joined_lands_on_the_joined_conversation() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .insert_messages(&[
                msg("q", "cust", Direction::Inbound, None, 0),
                msg("c", "cust", Direction::Inbound, Some("p"), 2),
            ])
            .unwrap();
        let read_with = conv(&store, "c");
        // "p" answers "q" and is the parent "c" waited for: the two threads become one
        store
            .insert_messages(&[msg("p", "Brand", Direction::Outbound, Some("q"), 1)])
            .unwrap();
        let now = conv(&store, "c");
        assert_eq!(now, conv(&store, "q"));
        assert_ne!(now, read_with, "the join keeps the older conversation");
        let id = store.message("twitter", "c").unwrap().unwrap().id;
        let analysis = model::Analysis::blank("en", "test");
        store.save_analyses(&[(id, analysis, 7.5)]).unwrap();
        let facets: Vec<(i64, Option<String>, f64)> = store
            .conn()
            .prepare("SELECT conversation_id, language, priority FROM conversation_facets")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(facets, vec![(now, Some("en".to_owned()), 7.5)]);
        assert!(store.conversation(read_with).unwrap().is_none());
        assert!(store.analysis_of(id).unwrap().is_some());
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
    fn every_message_gets_its_outcome_and_id() {
        let mut store = Store::open_in_memory().unwrap();
        let first = store.file_messages(&thread()[..2]).unwrap();
        assert!(first.iter().all(|f| f.inserted));
        // a repeat inside the batch and one stored before: duplicates with the stored id
        let batch = [
            thread()[2].clone(),
            thread()[0].clone(),
            thread()[2].clone(),
        ];
        let outcomes = store.file_messages(&batch).unwrap();
        let stored = |id: &str| store.message("twitter", id).unwrap().unwrap().id;
        assert_eq!(
            outcomes,
            [
                Filed {
                    id: stored("3"),
                    inserted: true
                },
                Filed {
                    id: first[0].id,
                    inserted: false
                },
                Filed {
                    id: stored("3"),
                    inserted: false
                },
            ]
        );
        assert_eq!(first[0].id, stored("1"));
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

/// The bulk path (in-memory index, deferred indexes) against the per-batch SQL path.
#[cfg(test)]
mod bulk_tests {
    use super::*;

    /// Tiny deterministic generator (no dependency for a test).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// Threads of random shape (replies to any earlier message of the thread, some to messages
    /// never stored), brands only on some outbound messages, duplicates, shuffled.
    fn messages(seed: u64, threads: u64) -> Vec<Message> {
        let mut rng = Lcg(seed);
        let mut out = Vec::new();
        for t in 0..threads {
            let len = 1 + rng.next(6);
            let orphan_root = rng.next(4) == 0;
            for i in 0..len {
                let outbound = rng.next(2) == 0;
                let reply = if i == 0 {
                    orphan_root.then(|| format!("gone{t}"))
                } else {
                    Some(format!("{t}-{}", rng.next(i)))
                };
                let author = if outbound {
                    format!("Brand{}", t % 3)
                } else {
                    format!("cust{}", rng.next(threads / 2 + 1))
                };
                out.push(Message {
                    channel: if t % 5 == 0 { "email" } else { "twitter" }.into(),
                    external_id: format!("{t}-{i}"),
                    author: author.clone(),
                    author_name: None,
                    text: format!("text {t} {i}"),
                    created_at: chrono::DateTime::from_timestamp(
                        1_500_000_000 + (t * 100 + i + rng.next(3)) as i64 * 60,
                        0,
                    )
                    .unwrap(),
                    in_reply_to: reply,
                    direction: if outbound {
                        Direction::Outbound
                    } else {
                        Direction::Inbound
                    },
                    visibility: Visibility::Public,
                    language: None,
                    brand: (outbound && rng.next(3) != 0).then_some(author),
                    labels: model::Labels::new(),
                    raw: None,
                });
            }
        }
        for _ in 0..out.len() / 10 {
            let i = rng.next(out.len() as u64) as usize;
            out.push(out[i].clone());
        }
        for i in (1..out.len()).rev() {
            let j = rng.next(i as u64 + 1) as usize;
            out.swap(i, j);
        }
        out
    }

    /// Every row of the core tables (contacts without their creation time), as text.
    fn dump(store: &Store) -> Vec<String> {
        let mut rows = Vec::new();
        for sql in [
            "SELECT id, channel, external_id, identity_id, conversation_id, author, author_name, text,
                    created_at, in_reply_to, direction, visibility, language, brand, labels, raw
             FROM messages ORDER BY id",
            "SELECT id, channel, root_external_id, state, first_at, last_at, last_direction,
                    message_count FROM conversations ORDER BY id",
            "SELECT id, contact_id, channel, handle FROM identities ORDER BY id",
            "SELECT id, display_name, merged_into FROM contacts ORDER BY id",
        ] {
            let mut stmt = store.conn().prepare(sql).unwrap();
            let n = stmt.column_count();
            let mut q = stmt.query([]).unwrap();
            while let Some(row) = q.next().unwrap() {
                let cols: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", row.get_ref(i).unwrap()))
                    .collect();
                rows.push(cols.join("|"));
            }
        }
        rows
    }

    fn index_names(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn()
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn bulk_session_equals_per_batch_inserts_row_for_row() {
        for seed in 1..=6 {
            let all = messages(seed, 400);
            let batch = 50 + seed as usize * 37;
            let mut plain = Store::open_in_memory().unwrap();
            let mut sum_plain = InsertCounts::default();
            for chunk in all.chunks(batch) {
                sum_plain += plain.insert_messages(chunk).unwrap();
            }
            let mut bulk = Store::open_in_memory().unwrap();
            let before = index_names(&bulk);
            let mut sum_bulk = InsertCounts::default();
            {
                let mut session = bulk.import().unwrap();
                assert!(session.is_bulk());
                for chunk in all.chunks(batch) {
                    sum_bulk += session.insert(chunk).unwrap();
                }
                session.finish().unwrap();
            }
            assert_eq!(sum_plain, sum_bulk, "seed {seed}");
            assert!(sum_plain.duplicates > 0 && sum_plain.inserted > 1000);
            assert_eq!(dump(&plain), dump(&bulk), "seed {seed}");
            assert_eq!(index_names(&bulk), before, "every index is back");
            // A second session into the now non-empty store: per-batch path, all duplicates.
            let mut session = bulk.import().unwrap();
            assert!(!session.is_bulk());
            let again = session.insert(&all).unwrap();
            session.finish().unwrap();
            assert_eq!(again.inserted, 0);
        }
    }

    #[test]
    fn session_into_a_non_empty_store_threads_like_insert_messages() {
        let all = messages(42, 300);
        let (first, rest) = all.split_at(all.len() / 3);
        let mut plain = Store::open_in_memory().unwrap();
        plain.insert_messages(first).unwrap();
        for chunk in rest.chunks(97) {
            plain.insert_messages(chunk).unwrap();
        }
        let mut other = Store::open_in_memory().unwrap();
        other.insert_messages(first).unwrap();
        let mut session = other.import().unwrap();
        assert!(!session.is_bulk());
        for chunk in rest.chunks(97) {
            session.insert(chunk).unwrap();
        }
        session.finish().unwrap();
        assert_eq!(dump(&plain), dump(&other));
    }

    /// Another connection writes during a bulk session: the session notices (`data_version`)
    /// and goes on with SQL lookups, so nothing is stored twice and threads stay whole.
    #[test]
    fn bulk_session_falls_back_when_someone_else_writes() {
        let dir = tempfile::tempdir().unwrap();
        let all = messages(7, 300);
        let (a, b) = all.split_at(all.len() / 2);
        let mut store = Store::open(dir.path()).unwrap();
        let mut session = store.import().unwrap();
        assert!(session.is_bulk());
        session.insert(&a[..100]).unwrap();
        let mut intruder = Store::open(dir.path()).unwrap();
        intruder.insert_messages(&b[..50]).unwrap();
        session.insert(&a[100..]).unwrap();
        session.insert(b).unwrap();
        session.finish().unwrap();
        drop(intruder);

        let mut plain = Store::open_in_memory().unwrap();
        plain.insert_messages(&a[..100]).unwrap();
        plain.insert_messages(&b[..50]).unwrap();
        plain.insert_messages(&a[100..]).unwrap();
        plain.insert_messages(b).unwrap();
        assert_eq!(dump(&store), dump(&plain));
    }

    /// A bulk import killed while its indexes are dropped: the next open builds them.
    #[test]
    fn deferred_indexes_come_back_after_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let before = index_names(&store);
        let mut session = store.import().unwrap();
        session.insert(&messages(3, 50)).unwrap();
        assert!(index_names(session.store).len() < before.len());
        // As if killed: the lock goes with the process, nothing else runs.
        drop(session._lock.take());
        std::mem::forget(session);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(index_names(&store), before);
        let left: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM deferred_indexes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }
}
