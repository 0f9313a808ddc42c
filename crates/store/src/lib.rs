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

/// WAL pages (16 KiB each) after which a commit checkpoints by itself, unless turned off with
/// [`Store::set_auto_checkpoint`].
const AUTO_CHECKPOINT_PAGES: u32 = 10_000;

/// How long a statement waits for a lock another connection holds before it fails.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch(
            // page_size only takes effect when the file is created: 16 KiB pages cut the CPU
            // and WAL bytes of bulk import by about a tenth against 4 KiB (BENCHMARKS.md).
            "PRAGMA page_size = 16384;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;
             PRAGMA temp_store = MEMORY;",
        )?;
        conn.pragma_update(None, "wal_autocheckpoint", AUTO_CHECKPOINT_PAGES)?;
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
    /// Turns SQLite's automatic checkpoint on this connection on or off. When on (the default),
    /// the commit that crosses `wal_autocheckpoint` pages copies the whole WAL into the database
    /// file while it still holds the write lock, so that one commit (and every writer waiting
    /// behind it) takes much longer; a server turns it off and calls [`Store::checkpoint`]
    /// from a thread of its own instead.
    pub fn set_auto_checkpoint(&self, on: bool) -> Result<(), StoreError> {
        let pages = if on { AUTO_CHECKPOINT_PAGES } else { 0 };
        Ok(self.conn.pragma_update(None, "wal_autocheckpoint", pages)?)
    }

    /// A passive checkpoint: copies the committed WAL frames that no reader still needs into
    /// the database file, without waiting for (or blocking) readers and writers. Returns the
    /// frames in the WAL and how many of them are now in the database file.
    pub fn checkpoint(&self) -> Result<(i64, i64), StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(1)?, r.get(2)?))
            })?)
    }

    /// Checkpoints everything and makes the next commit write the WAL from its start again,
    /// waiting at most `wait` for readers still on older snapshots (writers are held back
    /// meanwhile, so keep it short). Passive checkpoints copy frames but cannot restart the
    /// WAL while readers keep arriving, and it then grows without bound (20 GB seen while a
    /// 3 M import ran beside a busy server). The file keeps its size and is overwritten: a
    /// TRUNCATE checkpoint also cut it to zero, and freeing a few hundred MB took the file
    /// system up to 120 ms with the write lock held, the slowest ingest requests of a
    /// sustained load (BENCHMARKS.md "Server"). Returns whether it got through; when not,
    /// nothing is lost and it can be tried again.
    pub fn restart_wal(&self, wait: std::time::Duration) -> Result<bool, StoreError> {
        self.conn.busy_timeout(wait)?;
        let busy = self
            .conn
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(busy? == 0)
    }

    /// Like `write`, for rows derived from stored messages that the pipeline recomputes when
    /// they are missing (analyses): the commit does not wait for an fsync
    /// (`synchronous = NORMAL` for this one transaction). The WAL keeps commits in order, so
    /// the next durable commit syncs these rows too; a power cut can lose only the newest
    /// derived rows, which are then computed again, never an acknowledged message.
    pub(crate) fn write_derived<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let written = self.write(f);
        let restored = self.conn.pragma_update(None, "synchronous", "FULL");
        let value = written?;
        restored?;
        Ok(value)
    }

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

    fn pragma(store: &Store, name: &str) -> i64 {
        store
            .conn()
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    }

    /// A server turns the automatic checkpoint off and checkpoints from another connection:
    /// the frames a commit left in the WAL reach the database file, and the other connection
    /// then reads them from there.
    #[test]
    fn checkpoint_from_another_connection_copies_the_wal() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Store::open(dir.path()).unwrap();
        let other = Store::open(dir.path()).unwrap();
        writer.set_auto_checkpoint(false).unwrap();
        assert_eq!(pragma(&writer, "wal_autocheckpoint"), 0);
        writer
            .write(|tx| {
                tx.execute_batch("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('Zugausfall')")?;
                Ok(())
            })
            .unwrap();
        let (frames, copied) = other.checkpoint().unwrap();
        assert!(frames > 0, "the commit is in the WAL");
        assert_eq!(
            copied, frames,
            "nothing pins the WAL, so all of it is copied"
        );
        let n: i64 = other
            .conn()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        writer.set_auto_checkpoint(true).unwrap();
        assert_eq!(
            pragma(&writer, "wal_autocheckpoint"),
            i64::from(AUTO_CHECKPOINT_PAGES)
        );
    }

    /// Restarting the WAL gives up (losing nothing) while a reader holds an older snapshot,
    /// and succeeds once that reader is done: the next commit then writes from the start of
    /// the file instead of growing it.
    #[test]
    fn restart_wal_waits_for_readers_only_briefly() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Store::open(dir.path()).unwrap();
        let mut reader = Store::open(dir.path()).unwrap();
        let other = Store::open(dir.path()).unwrap();
        writer.set_auto_checkpoint(false).unwrap();
        let insert = |writer: &mut Store, text: &str| {
            writer
                .write(|tx| {
                    tx.execute_batch("CREATE TABLE IF NOT EXISTS t (x TEXT)")?;
                    tx.execute("INSERT INTO t VALUES (?1)", [text])?;
                    Ok(())
                })
                .unwrap();
        };
        insert(&mut writer, "Zugausfall");
        let wal = dir.path().join(format!("{DB_FILE}-wal"));
        let snapshot = reader.conn.transaction().unwrap();
        let n: i64 = snapshot
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        insert(&mut writer, "Verspätung");
        let wait = std::time::Duration::from_millis(50);
        assert!(!other.restart_wal(wait).unwrap(), "a reader pins the WAL");
        snapshot.commit().unwrap();
        assert!(other.restart_wal(wait).unwrap());
        let size = std::fs::metadata(&wal).unwrap().len();
        assert!(size > 0);
        insert(&mut writer, "Zugausfall in Köln");
        assert_eq!(
            std::fs::metadata(&wal).unwrap().len(),
            size,
            "the WAL restarted"
        );
        let n: i64 = other
            .conn()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3, "nothing lost");
    }

    /// Derived rows commit without an fsync, and the connection is durable (FULL) again
    /// afterwards, also when the transaction failed.
    #[test]
    fn derived_writes_restore_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let seen = store
            .write_derived(|tx| Ok(tx.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))?))
            .unwrap();
        assert_eq!(seen, 1, "NORMAL inside");
        assert_eq!(pragma(&store, "synchronous"), 2, "FULL after");
        let failed: Result<(), StoreError> =
            store.write_derived(|tx| Ok(tx.execute_batch("INSERT INTO no_such_table VALUES (1)")?));
        assert!(failed.is_err());
        assert_eq!(pragma(&store, "synchronous"), 2, "FULL after a failure");
    }
}
