//! Where everything is kept: the embedded SQLite store in one data folder (default).
//!
//! One [`Store`] owns one connection; all SQL lives in this crate, behind methods, so a
//! PostgreSQL backend can come later behind the same API. Areas of the store live in their own
//! files as separate `impl Store` blocks (messages, contacts, conversations, stats, ...); an
//! area that needs tables adds a migration in its number range (see [`migrations`]) and uses
//! [`Store::conn`] / [`Store::write`] inside the crate.
//!
//! Durability: WAL journal with `synchronous=FULL`. A batch that [`Store::insert_messages`]
//! reports as written is committed and fsynced: it survives a crash and a power cut. (NORMAL
//! would be as crash-safe for a killed process but may lose the last commits on power loss;
//! with large batches FULL costs one extra fsync per batch, which we can afford.)

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub mod accounts;
mod contacts;
mod conversations;
pub mod live;
mod messages;
pub mod migrations;
pub mod report_facts;
pub mod server;
mod stats;
pub mod time;
mod web_views;
pub mod workflow;

pub use contacts::{Contact, ContactIdentities};
pub use conversations::{Conversation, ConversationState};
pub use live::{CaseUpdate, NotificationRow, StoredAlert, StoredCase, WebhookRow};
pub use messages::{AnalysisRow, Filed, Import, InsertCounts, StoredMessage};
pub use report_facts::{ReportConversation, ReportMessage};
pub use stats::{ChannelCount, ConversationCounts, FirstReply, Stats};
pub use web_views::{InboxEntry, InboxFilter, KbArticle};
pub use workflow::{AssignmentRow, ClockKind, ClockRow, WorkflowFacet};

/// The database file inside the data folder.
pub const DB_FILE: &str = "kundenversteher.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration {version:04} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("stored row {id} is unreadable: {reason}")]
    Corrupt { id: i64, reason: String },
    /// Raised by a caller's sink (e.g. the export writer) and passed through.
    #[error("{0}")]
    Sink(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("not found: {0}")]
    NotFound(String),
}

/// The embedded store. `Send`, not `Sync`: one writer owns it; open more for readers.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    /// `(table, column)` pairs of other tables that reference `conversations(id)`; rows follow
    /// a conversation when it is merged into another.
    conversation_refs: Vec<(String, String)>,
}

impl Store {
    /// Opens (creating when needed) the store in `data_dir` and applies pending migrations.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let conn = Connection::open(&path)?;
        Store::setup(conn, Some(path))
    }

    /// A private in-memory store (tests, dry runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::setup(Connection::open_in_memory()?, None)
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(
            // page_size only takes effect when the file is created: 16 KiB pages cut the CPU
            // and WAL bytes of bulk import by about a tenth against 4 KiB (BENCHMARKS.md).
            "PRAGMA page_size = 16384;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 10000;
             PRAGMA temp_store = MEMORY;",
        )?;
        conn.set_prepared_statement_cache_capacity(64);
        migrations::migrate(&mut conn)?;
        messages::recover_deferred_indexes(&mut conn, path.as_deref())?;
        let conversation_refs = conversations::referencing_columns(&conn)?;
        Ok(Store {
            conn,
            path,
            conversation_refs,
        })
    }

    /// The database file, `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection, for the store's own modules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one IMMEDIATE transaction (takes the write lock at once) and commits.
    /// On error nothing of `f` is kept.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_in_a_folder_with_wal() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data")).unwrap();
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = store
            .conn()
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "FULL");
        drop(store);
        Store::open(&dir.path().join("data")).unwrap();
    }
}
