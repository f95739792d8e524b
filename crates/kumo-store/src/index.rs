//! The index store: derived data (the node's tx index) in its own redb file, outside the state
//! store.
//!
//! It is written after a block commits, by a follower thread, not in the block's transaction:
//! the block's commit then neither inserts the index's many small random-keyed rows nor syncs
//! their pages (CometBFT keeps its tx index in a separate database for the same reason). Losing
//! its tail in a crash loses nothing: the follower rebuilds it from the stored blocks, starting
//! after [`IndexStore::height`].

use crate::error::IoContext;
use crate::{aux, AuxWrite, StoreError};
use redb::{Database, DatabaseError, Durability, StorageError, TableDefinition};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const META: TableDefinition<&str, u64> = TableDefinition::new("index_meta");
const HEIGHT: &str = "height";
const LAYOUT: &str = "layout";

/// A plain key-value database of aux tables that records the height it is complete up to.
/// Cheap to clone (shared handle).
#[derive(Clone)]
pub struct IndexStore {
    db: Arc<Database>,
}

impl std::fmt::Debug for IndexStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexStore")
            .field("height", &self.height().ok())
            .finish()
    }
}

impl IndexStore {
    /// Opens (or creates) the index in the redb file at `path`.
    pub fn open(path: &Path) -> Result<IndexStore, StoreError> {
        let db = Database::create(path)
            .map_err(|e| StoreError::io(&format!("opening index {}", path.display()), e))?;
        Ok(IndexStore { db: Arc::new(db) })
    }

    /// Opens the index at `path`, or, when the file is not a readable index (damaged, cut
    /// short, or not a redb file), moves it aside to `<path>.damaged` (replacing an older one)
    /// and starts an empty index in its place: the index is derived data, which the follower
    /// rebuilds from the stored blocks. Returns where the damaged file went, if it was moved.
    /// An index that is merely in use, or unreadable for lack of permission, is an error.
    pub fn open_or_replace(path: &Path) -> Result<(IndexStore, Option<PathBuf>), StoreError> {
        let err = match Database::create(path) {
            Ok(db) => return Ok((IndexStore { db: Arc::new(db) }, None)),
            Err(e) => e,
        };
        let damaged = match &err {
            DatabaseError::UpgradeRequired(_) | DatabaseError::RepairAborted => true,
            DatabaseError::Storage(StorageError::Corrupted(_)) => true,
            DatabaseError::Storage(StorageError::Io(io)) => matches!(
                io.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ),
            _ => false,
        };
        if !damaged {
            return Err(StoreError::io(
                &format!("opening index {}", path.display()),
                err,
            ));
        }
        let mut aside = path.as_os_str().to_owned();
        aside.push(".damaged");
        let aside = PathBuf::from(aside);
        std::fs::rename(path, &aside).map_err(|e| {
            StoreError::io(
                &format!(
                    "index {} is damaged ({err}); moving it to {}",
                    path.display(),
                    aside.display()
                ),
                e,
            )
        })?;
        let index = IndexStore::open(path)?;
        Ok((index, Some(aside)))
    }

    /// An index held in memory (for in-memory nodes and tests).
    pub fn in_memory() -> Result<IndexStore, StoreError> {
        let db = Database::builder()
            .create_with_backend(crate::memory::ChunkedMemory::default())
            .ctx("creating in-memory index")?;
        Ok(IndexStore { db: Arc::new(db) })
    }

    /// The last height whose writes the index holds (0 when empty).
    pub fn height(&self) -> Result<u64, StoreError> {
        self.meta(HEIGHT, "reading the index height")
    }

    /// The layout its writer recorded with [`IndexStore::set_layout`] (0 if none): the index
    /// is the writer's derived data, and a writer that changes its rows rebuilds an index
    /// written in another layout.
    pub fn layout(&self) -> Result<u64, StoreError> {
        self.meta(LAYOUT, "reading the index layout")
    }

    /// Records the layout of the rows written from now on (durably).
    pub fn set_layout(&self, layout: u64) -> Result<(), StoreError> {
        let ctx = "recording the index layout";
        let mut txn = self.db.begin_write().ctx(ctx)?;
        txn.set_durability(Durability::Immediate);
        txn.open_table(META)
            .ctx(ctx)?
            .insert(LAYOUT, layout)
            .ctx(ctx)?;
        txn.commit().ctx(ctx)
    }

    fn meta(&self, key: &str, ctx: &str) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().ctx(ctx)?;
        let meta = match txn.open_table(META) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
            Err(e) => return Err(StoreError::io(ctx, e)),
        };
        Ok(meta.get(key).ctx(ctx)?.map_or(0, |v| v.value()))
    }

    /// Applies one height's writes and records the height, in one transaction. With
    /// `durable: false` the commit is not synced: a crash may lose it (and any later
    /// non-durable ones) and the index reopens at an earlier height.
    pub fn write(&self, height: u64, writes: &[AuxWrite], durable: bool) -> Result<(), StoreError> {
        let ctx = "writing the index";
        let mut txn = self.db.begin_write().ctx(ctx)?;
        txn.set_durability(if durable {
            Durability::Immediate
        } else {
            Durability::None
        });
        aux::write(&txn, writes)?;
        txn.open_table(META)
            .ctx(ctx)?
            .insert(HEIGHT, height)
            .ctx(ctx)?;
        txn.commit().ctx(ctx)
    }

    /// Makes every write so far durable (an empty synced commit).
    pub fn sync(&self) -> Result<(), StoreError> {
        let ctx = "syncing the index";
        let mut txn = self.db.begin_write().ctx(ctx)?;
        txn.set_durability(Durability::Immediate);
        txn.commit().ctx(ctx)
    }

    /// Deletes every table (the index is rebuilt from height 1).
    pub fn clear(&self) -> Result<(), StoreError> {
        let ctx = "clearing the index";
        let txn = self.db.begin_write().ctx(ctx)?;
        let tables: Vec<_> = txn.list_tables().ctx(ctx)?.collect();
        for t in tables {
            txn.delete_table(t).ctx(ctx)?;
        }
        txn.commit().ctx(ctx)
    }

    /// The value of `key` in table `table`.
    pub fn get(&self, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        aux::get(&self.db, table, key)
    }

    /// Keys in `[start, end)` of `table`, ascending or (`reverse`) descending, at most `limit`.
    pub fn range(
        &self,
        table: &str,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        aux::range(&self.db, table, start, end, reverse, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &[u8], value: &[u8]) -> AuxWrite {
        AuxWrite {
            table: "t",
            key: key.to_vec(),
            value: Some(value.to_vec()),
        }
    }

    #[test]
    fn a_damaged_index_is_set_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.redb");
        {
            let (index, aside) = IndexStore::open_or_replace(&path).unwrap();
            assert_eq!(aside, None);
            index.write(1, &[put(b"a", b"1")], true).unwrap();
        }
        // A healthy index opens as it is.
        let (index, aside) = IndexStore::open_or_replace(&path).unwrap();
        assert_eq!((aside, index.height().unwrap()), (None, 1));
        drop(index);
        // Overwritten with garbage: set aside, and an empty index takes its place.
        let garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 + 3) as u8).collect();
        std::fs::write(&path, &garbage).unwrap();
        let (index, aside) = IndexStore::open_or_replace(&path).unwrap();
        let aside = aside.expect("the damaged file was moved aside");
        assert_eq!(aside, dir.path().join("index.redb.damaged"));
        assert_eq!(std::fs::read(&aside).unwrap(), garbage);
        assert_eq!(index.height().unwrap(), 0);
        assert_eq!(index.get("t", b"a").unwrap(), None);
        index.write(1, &[put(b"b", b"2")], true).unwrap();
        drop(index);
        // Cut short: likewise.
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..100]).unwrap();
        let (index, aside) = IndexStore::open_or_replace(&path).unwrap();
        assert!(aside.is_some());
        assert_eq!(index.height().unwrap(), 0);
    }

    #[test]
    fn records_its_height_survives_reopen_and_clears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.redb");
        {
            let index = IndexStore::open(&path).unwrap();
            assert_eq!(index.height().unwrap(), 0);
            index.write(1, &[put(b"a", b"1")], false).unwrap();
            index.write(2, &[put(b"b", b"2")], false).unwrap();
            index.sync().unwrap();
            assert_eq!(index.height().unwrap(), 2);
            assert_eq!(index.get("t", b"a").unwrap(), Some(b"1".to_vec()));
            assert_eq!(index.range("t", b"", None, true, 1).unwrap().len(), 1);
        }
        let index = IndexStore::open(&path).unwrap();
        assert_eq!(index.height().unwrap(), 2);
        assert_eq!(index.get("t", b"b").unwrap(), Some(b"2".to_vec()));
        assert_eq!(index.layout().unwrap(), 0);
        index.set_layout(3).unwrap();
        drop(index);
        let index = IndexStore::open(&path).unwrap();
        assert_eq!(index.layout().unwrap(), 3);
        index.clear().unwrap();
        assert_eq!((index.height().unwrap(), index.layout().unwrap()), (0, 0));
        assert_eq!(index.get("t", b"a").unwrap(), None);
    }
}
