//! Aux tables: plain (unversioned) key-value tables named by the application, read and written
//! the same way in the state store and in the index store.

use crate::error::IoContext;
use crate::tables::aux_table_name;
use crate::{AuxWrite, StoreError};
use redb::{Database, ReadOnlyTable, TableDefinition, TableError, WriteTransaction};
use std::collections::BTreeSet;

/// Aux table `table` in a fresh read transaction; `None` if it was never written.
fn open_read(
    db: &Database,
    table: &str,
) -> Result<Option<ReadOnlyTable<&'static [u8], &'static [u8]>>, StoreError> {
    let name = aux_table_name(table);
    let def: TableDefinition<&[u8], &[u8]> = TableDefinition::new(&name);
    let txn = db.begin_read().ctx("reading aux table")?;
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(StoreError::io(&format!("opening aux table {table}"), e)),
    }
}

/// The latest committed value of `key` in aux table `table` (`None` if absent or the table
/// was never written).
pub(crate) fn get(db: &Database, table: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    let Some(t) = open_read(db, table)? else {
        return Ok(None);
    };
    Ok(t.get(key)
        .ctx("reading aux table")?
        .map(|g| g.value().to_vec()))
}

/// Range over an aux table: keys in `[start, end)` (`end: None` = unbounded), ascending or
/// (`reverse`) descending, at most `limit` entries.
pub(crate) fn range(
    db: &Database,
    table: &str,
    start: &[u8],
    end: Option<&[u8]>,
    reverse: bool,
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
    let ctx = "scanning aux table";
    let Some(t) = open_read(db, table)? else {
        return Ok(Vec::new());
    };
    if limit == 0 || end.is_some_and(|e| e <= start) {
        return Ok(Vec::new());
    }
    let range = match end {
        Some(end) => t.range::<&[u8]>(start..end),
        None => t.range::<&[u8]>(start..),
    }
    .ctx(ctx)?;
    let mut out = Vec::new();
    let mut push = |entry: Result<
        (redb::AccessGuard<&[u8]>, redb::AccessGuard<&[u8]>),
        redb::StorageError,
    >|
     -> Result<bool, StoreError> {
        let (k, v) = entry.ctx(ctx)?;
        out.push((k.value().to_vec(), v.value().to_vec()));
        Ok(out.len() < limit)
    };
    if reverse {
        for entry in range.rev() {
            if !push(entry)? {
                break;
            }
        }
    } else {
        for entry in range {
            if !push(entry)? {
                break;
            }
        }
    }
    Ok(out)
}

pub(crate) fn write(txn: &WriteTransaction, aux: &[AuxWrite]) -> Result<(), StoreError> {
    // Group by table (keeping the given order within a table, so a later write to the same key
    // wins) to open each table once.
    let tables: BTreeSet<&'static str> = aux.iter().map(|w| w.table).collect();
    for table in tables {
        let name = aux_table_name(table);
        let def: TableDefinition<&[u8], &[u8]> = TableDefinition::new(&name);
        let mut t = txn
            .open_table(def)
            .map_err(|e| StoreError::io(&format!("opening aux table {table}"), e))?;
        // Key order: each B-tree page is visited once, while it is hot. The sort is stable,
        // so a later write to the same key still wins.
        let mut writes: Vec<&AuxWrite> = aux.iter().filter(|w| w.table == table).collect();
        writes.sort_by(|a, b| a.key.cmp(&b.key));
        for w in writes {
            match &w.value {
                Some(v) => t.insert(w.key.as_slice(), v.as_slice()),
                None => t.remove(w.key.as_slice()),
            }
            .map_err(|e| StoreError::io(&format!("writing aux table {table}"), e))?;
        }
    }
    Ok(())
}
