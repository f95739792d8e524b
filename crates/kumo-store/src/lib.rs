//! kumo-store: versioned key-value state with a Merkle app hash.
//!
//! The node's whole application state lives in one embedded database file. Every block's writes
//! become a new *version* (version = block height); reads can be served at the latest height or
//! at any retained older height, and every version has a 32-byte app hash: the root of a
//! [Jellyfish Merkle Tree](https://github.com/penumbra-zone/jmt) over all live key/value pairs.
//!
//! # Why redb + jmt
//!
//! * **Pure Rust, embedded.** [redb](https://docs.rs/redb) is a copy-on-write B-tree store written
//!   in Rust: no C/C++ toolchain (unlike RocksDB/LevelDB), no separate server process, a single
//!   file per node. [jmt](https://docs.rs/jmt) is likewise pure Rust.
//! * **ACID with crash-safe commits.** redb transactions are serializable and a commit with
//!   `Durability::Immediate` is atomic and durable: after `kill -9` or power loss the database
//!   reopens at the last fully committed transaction. The store writes the block's state values,
//!   its new Merkle nodes, the application's auxiliary records (blocks, tx index, ...) *and* the
//!   new `(height, app_hash)` in ONE write transaction, so a crash can never leave a height whose
//!   hash does not match its data. Readers use MVCC snapshots and never block the writer.
//! * **Authenticated state.** jmt is the sparse Merkle tree used by Diem/Aptos and by Penumbra
//!   (via its `cnidarium` storage layer), giving the same authenticated-tree model as Penumbra:
//!   keys are hashed with SHA-256 into a 256-bit radix-16 tree, the root is canonical (it depends
//!   only on the set of live key/value pairs, not on insertion order or history), and node
//!   versions make historical roots and pruning of stale nodes straightforward.
//!
//! # Layout
//!
//! Each live key has one row holding its value and the height that wrote it; every write also
//! appends an undo record (the key's state before it) under `(height, key)`, so a read at a
//! retained past height walks back from the current row, and pruning history older than
//! [`StoreOptions::retention`] heights cuts the undo log's front. JMT nodes are stored under
//! `height ++ nibble path`, and jmt's stale-node index drives their pruning. The tables and the
//! reasons for this layout are described in `tables.rs`.
//!
//! # Block flow
//!
//! ```no_run
//! # use kumo_store::*;
//! # fn demo() -> Result<(), StoreError> {
//! let store = Store::in_memory(StoreOptions::default())?;
//! let mut writes = WriteSet::new();
//! writes.insert(b"bank/balance/alice".to_vec(), Some(b"100".to_vec()));
//! let prepared = store.prepare(store.last_commit().height + 1, writes)?;
//! let app_hash = prepared.app_hash(); // known before anything is written
//! let info = store.commit(prepared, vec![])?;
//! assert_eq!(info.app_hash, app_hash);
//! assert_eq!(store.snapshot().get(b"bank/balance/alice")?, Some(b"100".to_vec()));
//! # Ok(()) }
//! ```

mod aux;
mod error;
mod history;
mod index;
mod memory;
mod snapshot;
mod tables;
mod tree;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use jmt::storage::TreeUpdateBatch;
use redb::{Database, Durability, ReadableTable, WriteTransaction};

pub use error::StoreError;
pub use index::IndexStore;
pub use snapshot::Snapshot;

use error::IoContext;
use history::{ReadHistory, StateWriter, WriteHistory};
use tables::{
    decode_undo, encode_root_key, legacy, list_items, push_list_item, read_meta, write_meta, Meta,
    WriteKind, CHECKPOINTS, DELETED, META, NODES, PREIMAGES, STALE, UNDO,
};
use tree::{key_hash, JmtReader, JmtWriter};

/// A block's state changes: key -> new value, `None` = delete.
pub type WriteSet = std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Prune history when the retention cutoff has advanced by this many heights since the last
/// prune (batches the deletions; the retained window is never shorter than `retention`).
const PRUNE_INTERVAL: u64 = 10;

/// Store configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Number of past heights kept for historical queries; `0` keeps every height forever.
    pub retention: u64,
    /// Every this many writes of a key are listed by key as a checkpoint, so that a read at a
    /// past height follows at most this many undo records. Lower: shorter past reads, but more
    /// random-keyed inserts per block; higher: the reverse. `0` counts as `1`.
    pub checkpoint_every: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            retention: 100_000,
            checkpoint_every: 32,
        }
    }
}

/// Height and app hash of a committed block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub height: u64,
    pub app_hash: [u8; 32],
}

/// A write to an application (auxiliary) table: unversioned, not part of the app hash, but
/// committed atomically with the block's state. `value: None` deletes the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuxWrite {
    pub table: &'static str,
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
}

/// A block whose Merkle update has been computed but not yet written: everything
/// [`Store::commit`] needs.
pub struct Prepared {
    height: u64,
    app_hash: [u8; 32],
    /// App hash of the parent height the update was computed against.
    parent_hash: [u8; 32],
    batch: TreeUpdateBatch,
    writes: WriteSet,
    /// `key_hash` of each key of `writes`, in the same (sorted) order.
    key_hashes: Vec<[u8; 32]>,
    /// Per key of `writes`: a live value for a key that was not in the tree before, whose
    /// preimage must be recorded.
    new_keys: Vec<bool>,
}

impl Prepared {
    /// The app hash this block will have once committed.
    pub fn app_hash(&self) -> [u8; 32] {
        self.app_hash
    }

    /// The height this block will be committed at.
    pub fn height(&self) -> u64 {
        self.height
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("height", &self.height)
            .field("app_hash", &hex::encode(self.app_hash))
            .field("writes", &self.writes.len())
            .field("new_nodes", &self.batch.node_batch.nodes().len())
            .finish()
    }
}

/// The versioned state store. Cheap to clone (shared handle); `Send + Sync`.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    retention: u64,
    checkpoint_every: u32,
    /// Last committed meta, mirrored from the meta table after open and every commit.
    meta: RwLock<Meta>,
    /// Serializes commits (redb would serialize write transactions anyway; this also keeps the
    /// cached meta in step with the database).
    commit_lock: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let meta = self.meta();
        f.debug_struct("Store")
            .field("height", &meta.height)
            .field("app_hash", &hex::encode(meta.app_hash))
            .field("earliest", &meta.earliest)
            .field("retention", &self.inner.retention)
            .finish()
    }
}

impl Store {
    /// Opens (or creates) the store in the redb file at `path`, creating parent directories.
    pub fn open(path: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::io(&format!("creating directory {}", parent.display()), e)
                })?;
            }
        }
        let db = Database::create(path)
            .map_err(|e| StoreError::io(&format!("opening database {}", path.display()), e))?;
        Store::from_db(db, opts)
    }

    /// Creates a store held entirely in memory (in chunks that never move as it grows).
    pub fn in_memory(opts: StoreOptions) -> Result<Store, StoreError> {
        let db = Database::builder()
            .create_with_backend(memory::ChunkedMemory::default())
            .ctx("creating in-memory database")?;
        Store::from_db(db, opts)
    }

    fn from_db(db: Database, opts: StoreOptions) -> Result<Store, StoreError> {
        let meta = Store::init(&db, opts.checkpoint_every)?;
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                retention: opts.retention,
                checkpoint_every: opts.checkpoint_every,
                meta: RwLock::new(meta),
                commit_lock: Mutex::new(()),
            }),
        })
    }

    /// Reads the meta record, or initializes a fresh database at height 0 (empty tree).
    fn init(db: &Database, checkpoint_every: u32) -> Result<Meta, StoreError> {
        let ctx = "initializing store";
        let txn = db.begin_write().ctx(ctx)?;
        let existing = {
            let meta = txn.open_table(META).ctx(ctx)?;
            if meta.get(tables::META_HEIGHT).ctx(ctx)?.is_some() {
                Some(tables::read_format(&meta)?)
            } else {
                None
            }
        };
        if let Some(format) = existing {
            if format == legacy::FORMAT_WITHOUT_LATEST || format == legacy::FORMAT_WITH_LATEST {
                tracing::info!(
                    from = format,
                    to = tables::FORMAT_VERSION,
                    "upgrading the state store's layout (once; it reads every retained version)"
                );
                let started = std::time::Instant::now();
                let versions = upgrade_versioned_state(&txn, format, checkpoint_every)?;
                let meta = upgrade_format(&txn)?;
                txn.commit().ctx("upgrading the store format")?;
                tracing::info!(
                    versions,
                    height = meta.height,
                    "state store upgraded in {:.1}s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(meta);
            }
            txn.abort().ctx(ctx)?;
            return read_meta(&db.begin_read().ctx(ctx)?.open_table(META).ctx(ctx)?);
        }
        // Create every table so read transactions can always open them, and write the version-0
        // root (the empty tree) so height 1 has a parent root.
        let (root, batch) = {
            let nodes = txn.open_table(NODES).ctx(ctx)?;
            let preimages = txn.open_table(PREIMAGES).ctx(ctx)?;
            let history = WriteHistory::open(&txn)?;
            txn.open_table(STALE).ctx(ctx)?;
            JmtReader::new(nodes, preimages, history).update(0, Vec::new())?
        };
        JmtWriter { txn: &txn }.write(&batch.node_batch)?;
        let meta = Meta {
            height: 0,
            app_hash: root,
            earliest: 0,
        };
        write_meta(&mut txn.open_table(META).ctx(ctx)?, &meta)?;
        txn.commit().ctx("committing store initialization")?;
        Ok(meta)
    }

    fn meta(&self) -> Meta {
        *self.inner.meta.read().unwrap_or_else(|p| p.into_inner())
    }

    fn lock_commits(&self) -> MutexGuard<'_, ()> {
        self.inner
            .commit_lock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Height and app hash of the last commit (height 0 and the empty-tree root when fresh).
    pub fn last_commit(&self) -> CommitInfo {
        let meta = self.meta();
        CommitInfo {
            height: meta.height,
            app_hash: meta.app_hash,
        }
    }

    /// The oldest height that can still be queried (history below it has been pruned).
    pub fn earliest_height(&self) -> u64 {
        self.meta().earliest
    }

    /// A view of the latest committed height. If the database cannot start a read transaction,
    /// the returned snapshot reports that error from every read.
    pub fn snapshot(&self) -> Snapshot {
        match self.open_snapshot(None, false) {
            Ok(s) => s,
            Err(e) => Snapshot::failed(self.meta().height, e),
        }
    }

    /// Like [`snapshot`](Self::snapshot), remembering each value `get` reads, for a reader that
    /// reads the same keys many times (a block's txs all read the params, the fee collector,
    /// a popular recipient...). Memory grows with the distinct keys read.
    pub fn cached_snapshot(&self) -> Snapshot {
        match self.open_snapshot(None, true) {
            Ok(s) => s,
            Err(e) => Snapshot::failed(self.meta().height, e),
        }
    }

    /// A view of the state as of `height` (between [`earliest_height`](Self::earliest_height)
    /// and the last committed height, inclusive).
    pub fn snapshot_at(&self, height: u64) -> Result<Snapshot, StoreError> {
        self.open_snapshot(Some(height), false)
    }

    fn open_snapshot(&self, height: Option<u64>, cached: bool) -> Result<Snapshot, StoreError> {
        let ctx = "opening snapshot";
        let txn = self.inner.db.begin_read().ctx(ctx)?;
        let meta = read_meta(&txn.open_table(META).ctx(ctx)?)?;
        let height = height.unwrap_or(meta.height);
        if height > meta.height {
            return Err(StoreError::FutureHeight {
                height,
                latest: meta.height,
            });
        }
        if height < meta.earliest {
            return Err(StoreError::Pruned {
                height,
                earliest: meta.earliest,
            });
        }
        let history = ReadHistory::open(&txn)?;
        // At the latest height the read transaction's current rows are exactly this height's state.
        let at_latest = height == meta.height;
        Ok(Snapshot::new(txn, history, at_latest, height, cached))
    }

    /// Computes the JMT update for `writes` at `height` (must be `last_commit().height + 1`)
    /// without writing anything. An empty write set still produces a new version whose root
    /// equals the parent's.
    pub fn prepare(&self, height: u64, writes: WriteSet) -> Result<Prepared, StoreError> {
        let ctx = "preparing block";
        let txn = self.inner.db.begin_read().ctx(ctx)?;
        let meta = read_meta(&txn.open_table(META).ctx(ctx)?)?;
        let expected = meta.height + 1;
        if height != expected {
            return Err(StoreError::WrongHeight {
                expected,
                got: height,
            });
        }
        let key_hashes: Vec<[u8; 32]> = writes.keys().map(|k| key_hash(k).0).collect();
        let reader = JmtReader::new(
            txn.open_table(NODES).ctx(ctx)?,
            txn.open_table(PREIMAGES).ctx(ctx)?,
            ReadHistory::open(&txn)?,
        );
        let updates = key_hashes
            .iter()
            .zip(writes.values())
            .map(|(h, v)| (jmt::KeyHash(*h), v.clone()))
            .collect();
        let (app_hash, batch) = reader.update(height, updates)?;
        let seen = reader.seen_leaves.borrow();
        let new_keys = key_hashes
            .iter()
            .zip(writes.values())
            .map(|(h, v)| v.is_some() && !seen.contains(h))
            .collect();
        drop(seen);
        Ok(Prepared {
            height,
            app_hash,
            parent_hash: meta.app_hash,
            batch,
            writes,
            key_hashes,
            new_keys,
        })
    }

    /// Writes the block's state values, its JMT nodes, the aux writes and the new
    /// `(height, app_hash)` in one durable redb write transaction; prunes history beyond the
    /// retention window in the same transaction.
    pub fn commit(&self, prepared: Prepared, aux: Vec<AuxWrite>) -> Result<CommitInfo, StoreError> {
        let _guard = self.lock_commits();
        let ctx = "committing block";
        let h = prepared.height;
        let mut txn = self.inner.db.begin_write().ctx(ctx)?;
        txn.set_durability(Durability::Immediate);

        let parent = read_meta(&txn.open_table(META).ctx(ctx)?)?;
        if h != parent.height + 1 {
            return Err(StoreError::WrongHeight {
                expected: parent.height + 1,
                got: h,
            });
        }
        if prepared.parent_hash != parent.app_hash {
            return Err(StoreError::Corrupt(format!(
                "block {h} was prepared against app hash {} but the store is at {}",
                hex::encode(prepared.parent_hash),
                hex::encode(parent.app_hash)
            )));
        }
        let retention = self.inner.retention;

        // The keys' new states, and the preimages of keys new to the tree.
        {
            let mut state = StateWriter::open(&txn, self.inner.checkpoint_every)?;
            let mut preimages = txn.open_table(PREIMAGES).ctx(ctx)?;
            let items = prepared
                .writes
                .iter()
                .zip(&prepared.key_hashes)
                .zip(&prepared.new_keys);
            for (((key, value), hash), &new) in items {
                state.write(h, key, value.as_deref())?;
                if new {
                    preimages
                        .insert(hash, key.as_slice())
                        .ctx("writing key preimage")?;
                }
            }
        }
        if retention > 0 {
            let mut record = Vec::new();
            for s in &prepared.batch.stale_node_index_batch {
                if s.stale_since_version != h {
                    return Err(StoreError::Corrupt(format!(
                        "jmt reported a node stale since {} in the update for {h}",
                        s.stale_since_version
                    )));
                }
                push_list_item(&mut record, &tables::encode_node_key(&s.node_key));
            }
            txn.open_table(STALE)
                .ctx(ctx)?
                .insert(h, record.as_slice())
                .ctx("writing stale node index")?;
        }
        JmtWriter { txn: &txn }.write(&prepared.batch.node_batch)?;
        aux::write(&txn, &aux)?;

        let mut meta = Meta {
            height: h,
            app_hash: prepared.app_hash,
            earliest: parent.earliest,
        };
        if retention > 0 {
            let cutoff = h.saturating_sub(retention);
            if cutoff >= meta.earliest + PRUNE_INTERVAL.min(retention) {
                prune(&txn, meta.earliest, cutoff)?;
                meta.earliest = cutoff;
            }
        }
        write_meta(&mut txn.open_table(META).ctx(ctx)?, &meta)?;
        txn.commit().ctx("committing block transaction")?;

        *self.inner.meta.write().unwrap_or_else(|p| p.into_inner()) = meta;
        Ok(CommitInfo {
            height: h,
            app_hash: meta.app_hash,
        })
    }

    /// The latest committed value of `key` in aux table `table` (`None` if absent or the table
    /// was never written).
    pub fn aux_get(&self, table: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        aux::get(&self.inner.db, table, key)
    }

    /// Range over an aux table: keys in `[start, end)` (`end: None` = unbounded), ascending or
    /// (`reverse`) descending, at most `limit` entries.
    pub fn aux_range(
        &self,
        table: &'static str,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        aux::range(&self.inner.db, table, start, end, reverse, limit)
    }
}

/// Removes history that no height `>= cutoff` can observe, given that everything below
/// `previous` was already pruned:
///
/// * state: the undo records of heights `<= cutoff` (a read at `r` only needs those of heights
///   above `r`), and the deletion rows (and key preimages) of keys deleted at such a height and
///   not written since;
/// * tree: nodes that became stale at a version `<= cutoff` (jmt's stale-node index) and the
///   root nodes of versions `previous..cutoff`.
fn prune(txn: &WriteTransaction, previous: u64, cutoff: u64) -> Result<(), StoreError> {
    let ctx = "pruning history";
    // Deletions and checkpoints made by the pruned writes.
    let mut deletions: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut checkpoints: Vec<(u64, Vec<u8>)> = Vec::new();
    {
        let mut undo = txn.open_table(UNDO).ctx(ctx)?;
        let end: (u64, &[u8]) = (cutoff + 1, &[]);
        for entry in undo
            .extract_from_if::<(u64, &[u8]), _>(..end, |_, _| true)
            .ctx(ctx)?
        {
            let (k, v) = entry.ctx(ctx)?;
            let record = decode_undo(v.value())?;
            let (height, key) = k.value();
            if record.write == WriteKind::Deleted {
                deletions.push((height, key.to_vec()));
            }
            if record.checkpoint {
                checkpoints.push((height, key.to_vec()));
            }
        }
    }
    {
        let mut table = txn.open_table(CHECKPOINTS).ctx(ctx)?;
        for (height, key) in &checkpoints {
            table.remove((key.as_slice(), *height)).ctx(ctx)?;
        }
    }
    {
        let mut deleted = txn.open_table(DELETED).ctx(ctx)?;
        let mut preimages = txn.open_table(PREIMAGES).ctx(ctx)?;
        for (height, key) in &deletions {
            // A later write removed or replaced the row; then it is not this deletion's to drop.
            let still = deleted
                .get(key.as_slice())
                .ctx(ctx)?
                .is_some_and(|d| d.value().0 == *height);
            if still {
                deleted.remove(key.as_slice()).ctx(ctx)?;
                preimages.remove(&key_hash(key).0).ctx(ctx)?;
            }
        }
    }
    {
        let mut stale = txn.open_table(STALE).ctx(ctx)?;
        let mut nodes = txn.open_table(NODES).ctx(ctx)?;
        let mut dead: Vec<Vec<u8>> = Vec::new();
        for entry in stale
            .extract_from_if::<u64, _>(..=cutoff, |_, _| true)
            .ctx(ctx)?
        {
            let (_, v) = entry.ctx(ctx)?;
            dead.extend(list_items(v.value())?.into_iter().map(<[u8]>::to_vec));
        }
        for v in previous..cutoff {
            dead.push(encode_root_key(v));
        }
        for k in &dead {
            nodes.remove(k.as_slice()).ctx(ctx)?;
        }
    }
    Ok(())
}

/// Upgrades a format-1 or format-2 store, whose state is every version of every key under
/// `(key, height)`, by replaying those versions, key by key and in height order, into the state
/// tables, and drops the old tables. Returns the number of versions replayed.
fn upgrade_versioned_state(
    txn: &WriteTransaction,
    format: u64,
    checkpoint_every: u32,
) -> Result<u64, StoreError> {
    let ctx = "upgrading the state tables";
    let mut replayed = 0;
    {
        let versions = txn.open_table(legacy::STATE).ctx(ctx)?;
        let mut state = StateWriter::open(txn, checkpoint_every)?;
        for entry in versions.iter().ctx(ctx)? {
            let (k, v) = entry.ctx(ctx)?;
            let (key, height) = k.value();
            state.write(height, key, legacy::decode_state_value(v.value())?)?;
            replayed += 1;
        }
    }
    txn.delete_table(legacy::STATE).ctx(ctx)?;
    txn.delete_table(legacy::CHANGES).ctx(ctx)?;
    if format == legacy::FORMAT_WITH_LATEST {
        txn.delete_table(legacy::LATEST).ctx(ctx)?;
    }
    Ok(replayed)
}

/// Records the current format version in a store whose tables have just been upgraded, and
/// returns its meta.
fn upgrade_format(txn: &WriteTransaction) -> Result<Meta, StoreError> {
    let ctx = "writing meta table";
    let mut table = txn.open_table(META).ctx(ctx)?;
    table
        .insert(
            tables::META_FORMAT,
            tables::FORMAT_VERSION.to_be_bytes().as_slice(),
        )
        .ctx(ctx)?;
    read_meta(&table)
}

#[cfg(test)]
mod tests;
