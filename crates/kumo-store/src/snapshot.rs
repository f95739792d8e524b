//! Read-only views of the state at one height.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use redb::ReadTransaction;

use crate::error::StoreError;
use crate::history::ReadHistory;

/// A consistent view of the state as of one committed height.
///
/// Backed by a redb read transaction: commits that happen while the snapshot is alive are not
/// visible through it, and pruning never removes data from under it. Cloning is cheap (shared).
#[derive(Clone)]
pub struct Snapshot {
    inner: Arc<SnapshotInner>,
}

struct SnapshotInner {
    height: u64,
    /// `Err` holds the message of a failure to open the read transaction; it is reported by the
    /// first read instead of panicking in `Store::snapshot`.
    view: Result<View, String>,
    /// Values already read by `get` (see [`Store::cached_snapshot`](crate::Store::cached_snapshot)):
    /// a snapshot never changes, so a remembered answer is always the current one.
    cache: Option<Mutex<HashMap<Vec<u8>, Option<Vec<u8>>>>>,
}

/// Most keys a snapshot's read cache remembers (it stops adding beyond, it does not evict).
const READ_CACHE_MAX: usize = 200_000;

struct View {
    history: ReadHistory,
    /// The snapshot is at the transaction's last committed height: reads are single lookups in
    /// the current rows, and scans never see deleted keys.
    at_latest: bool,
    // Declared after `history` so that the tables are dropped before their transaction.
    _txn: ReadTransaction,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("height", &self.inner.height)
            .field("ok", &self.inner.view.is_ok())
            .finish()
    }
}

impl Snapshot {
    pub(crate) fn new(
        txn: ReadTransaction,
        history: ReadHistory,
        at_latest: bool,
        height: u64,
        cached: bool,
    ) -> Snapshot {
        Snapshot {
            inner: Arc::new(SnapshotInner {
                height,
                view: Ok(View {
                    history,
                    at_latest,
                    _txn: txn,
                }),
                cache: cached.then(|| Mutex::new(HashMap::new())),
            }),
        }
    }

    pub(crate) fn failed(height: u64, err: StoreError) -> Snapshot {
        Snapshot {
            inner: Arc::new(SnapshotInner {
                height,
                view: Err(err.to_string()),
                cache: None,
            }),
        }
    }

    fn view(&self) -> Result<&View, StoreError> {
        match &self.inner.view {
            Ok(v) => Ok(v),
            Err(msg) => Err(StoreError::Io(format!("snapshot unavailable: {msg}"))),
        }
    }

    /// Uncached read of `key` at this snapshot's height.
    fn read(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let view = self.view()?;
        if view.at_latest {
            view.history.latest(key)
        } else {
            view.history.at(key, self.inner.height)
        }
    }

    /// The height this snapshot reads at.
    pub fn height(&self) -> u64 {
        self.inner.height
    }

    /// The value of `key` as of this snapshot's height (`None` if absent or deleted).
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(cache) = &self.inner.cache else {
            return self.read(key);
        };
        if let Some(v) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Ok(v.clone());
        }
        let v = self.read(key)?;
        let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() < READ_CACHE_MAX {
            cache.insert(key.to_vec(), v.clone());
        }
        Ok(v)
    }

    /// Keys starting with `prefix`, strictly after `start_after` if given, ascending, at most
    /// `limit` entries, with their values as of this snapshot's height.
    pub fn prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let view = self.view()?;
        let height = (!view.at_latest).then_some(self.inner.height);
        view.history.prefix(prefix, start_after, limit, height)
    }
}
