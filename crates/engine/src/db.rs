//! Shared access to the embedded store from many threads: one writer connection behind a
//! mutex (SQLite has one writer anyway) and a few reader connections (WAL lets them read
//! while the writer writes). `store::Store` is `Send` but not `Sync`, so every use goes
//! through a mutex; readers are picked round-robin, skipping busy ones.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use store::{Store, StoreError};

#[derive(Debug)]
pub struct Db {
    writer: Mutex<Store>,
    readers: Vec<Mutex<Store>>,
    next: AtomicUsize,
    data_dir: PathBuf,
}

fn lock(m: &Mutex<Store>) -> MutexGuard<'_, Store> {
    // A panic while holding the lock leaves the connection usable (SQLite rolls back an
    // unfinished transaction), so a poisoned lock is taken over.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Db {
    /// Opens the store in `data_dir` with `readers` extra read connections.
    pub fn open(data_dir: &Path, readers: usize) -> Result<Db, StoreError> {
        let writer = Store::open(data_dir)?;
        let readers = (0..readers.max(1))
            .map(|_| Store::open(data_dir).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Db {
            writer: Mutex::new(writer),
            readers,
            next: AtomicUsize::new(0),
            data_dir: data_dir.to_owned(),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Runs `f` with the writer. Blocks; call from a blocking thread.
    pub fn write<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.writer))
    }

    /// Runs `f` with a reader connection. Blocks; call from a blocking thread.
    pub fn read<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        let n = self.readers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(guard) = self.readers[(start + i) % n].try_lock() {
                return f(&guard);
            }
        }
        f(&lock(&self.readers[start % n]))
    }
}
