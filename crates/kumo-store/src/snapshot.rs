//! Read-only views of the state at one height.

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};

use crate::error::{IoContext, StoreError};
use crate::tables::decode_state_value;

type StateTable = ReadOnlyTable<(&'static [u8], u64), &'static [u8]>;
type LatestTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

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
    state: StateTable,
    /// `kumo.latest` when this snapshot is at the store's latest height: point reads and scans
    /// that never see deleted keys. Older heights read the versioned table.
    latest: Option<LatestTable>,
    // Declared after `state` so that the table is dropped before its transaction.
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
        state: StateTable,
        latest: Option<LatestTable>,
        height: u64,
        cached: bool,
    ) -> Snapshot {
        Snapshot {
            inner: Arc::new(SnapshotInner {
                height,
                view: Ok(View {
                    state,
                    latest,
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
        match &view.latest {
            Some(latest) => Ok(latest
                .get(key)
                .ctx("reading state")?
                .map(|v| v.value().to_vec())),
            None => newest_at(&view.state, key, self.inner.height),
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
        let height = self.inner.height;
        let ctx = "scanning state prefix";
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        if let Some(latest) = &view.latest {
            let start = match start_after {
                Some(after) if after >= prefix => Bound::Excluded(after),
                _ => Bound::Included(prefix),
            };
            for entry in latest.range::<&[u8]>((start, Bound::Unbounded)).ctx(ctx)? {
                let (k, v) = entry.ctx(ctx)?;
                if !k.value().starts_with(prefix) {
                    break;
                }
                out.push((k.value().to_vec(), v.value().to_vec()));
                if out.len() >= limit {
                    break;
                }
            }
            return Ok(out);
        }
        let table = &view.state;
        // Lower bound of the next seek. Versions of one key are adjacent, so "after key k"
        // is "after (k, u64::MAX)".
        let (mut seek_key, mut inclusive) = match start_after {
            Some(after) if after >= prefix => (after.to_vec(), false),
            _ => (prefix.to_vec(), true),
        };
        loop {
            let start = if inclusive {
                Bound::Included((seek_key.as_slice(), 0))
            } else {
                Bound::Excluded((seek_key.as_slice(), u64::MAX))
            };
            let mut range = table
                .range::<(&[u8], u64)>((start, Bound::Unbounded))
                .ctx(ctx)?;
            let Some(entry) = range.next() else { break };
            let (k, _) = entry.ctx(ctx)?;
            let (key, first_version) = k.value();
            if !key.starts_with(prefix) {
                break;
            }
            let key = key.to_vec();
            drop(k);
            drop(range);
            // The first entry is the key's oldest retained version; if it is already newer than
            // the snapshot, the key did not exist yet.
            if first_version <= height {
                if let Some(value) = newest_at(table, &key, height)? {
                    out.push((key.clone(), value));
                    if out.len() >= limit {
                        break;
                    }
                }
            }
            seek_key = key;
            inclusive = false;
        }
        Ok(out)
    }
}

/// Newest version of `key` at or below `height`, decoded; `None` for absent or tombstone.
pub(crate) fn newest_at(
    table: &impl ReadableTable<(&'static [u8], u64), &'static [u8]>,
    key: &[u8],
    height: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    let ctx = "reading state";
    let mut range = table
        .range::<(&[u8], u64)>((key, 0)..=(key, height))
        .ctx(ctx)?;
    match range.next_back() {
        Some(entry) => {
            let (_, v) = entry.ctx(ctx)?;
            Ok(decode_state_value(v.value())?.map(<[u8]>::to_vec))
        }
        None => Ok(None),
    }
}
