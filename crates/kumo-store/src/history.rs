//! Reading the state at a height: the current rows, the deletions and the undo log
//! (see the table layout in `tables.rs`).

use std::ops::Bound;

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable};

use crate::error::{IoContext, StoreError};
use crate::tables::{decode_current, decode_undo, CURRENT, DELETED, UNDO};

/// The three tables that together hold every retained height's state, from one transaction.
pub(crate) struct History<C, D, U> {
    pub current: C,
    pub deleted: D,
    pub undo: U,
}

pub(crate) type ReadHistory = History<
    ReadOnlyTable<&'static [u8], &'static [u8]>,
    ReadOnlyTable<&'static [u8], u64>,
    ReadOnlyTable<(u64, &'static [u8]), &'static [u8]>,
>;

impl ReadHistory {
    pub fn open(txn: &ReadTransaction) -> Result<ReadHistory, StoreError> {
        let ctx = "opening state tables";
        Ok(History {
            current: txn.open_table(CURRENT).ctx(ctx)?,
            deleted: txn.open_table(DELETED).ctx(ctx)?,
            undo: txn.open_table(UNDO).ctx(ctx)?,
        })
    }
}

/// A key's value as of a height, whatever tables answer it (jmt's value lookups use this).
pub(crate) trait ValueAt {
    fn value_at(&self, key: &[u8], height: u64) -> Result<Option<Vec<u8>>, StoreError>;
}

impl<C, D, U> ValueAt for History<C, D, U>
where
    C: ReadableTable<&'static [u8], &'static [u8]>,
    D: ReadableTable<&'static [u8], u64>,
    U: ReadableTable<(u64, &'static [u8]), &'static [u8]>,
{
    fn value_at(&self, key: &[u8], height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.at(key, height)
    }
}

impl<C, D, U> History<C, D, U>
where
    C: ReadableTable<&'static [u8], &'static [u8]>,
    D: ReadableTable<&'static [u8], u64>,
    U: ReadableTable<(u64, &'static [u8]), &'static [u8]>,
{
    /// The value of `key` as of the transaction's last committed height: one lookup.
    pub fn latest(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.current.get(key).ctx("reading state")? {
            Some(row) => Ok(Some(decode_current(row.value())?.1.to_vec())),
            None => Ok(None),
        }
    }

    /// The value of `key` as of `height` (a retained height, at most the last committed one).
    pub fn at(&self, key: &[u8], height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(row) = self.current.get(key).ctx("reading state")? {
            let (since, value) = decode_current(row.value())?;
            if since <= height {
                return Ok(Some(value.to_vec()));
            }
            return self.walk_back(key, since, height);
        }
        match self.deleted.get(key).ctx("reading deletions")? {
            Some(d) if d.value() > height => self.walk_back(key, d.value(), height),
            // Deleted at or before `height`, or never written within the retained history.
            _ => Ok(None),
        }
    }

    /// The value as of `height` of a key whose state from `since` (> `height`) on is known:
    /// follows the undo records back until a state that began at or before `height`.
    fn walk_back(
        &self,
        key: &[u8],
        mut since: u64,
        height: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        loop {
            let record = self
                .undo
                .get((since, key))
                .ctx("reading state history")?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "the undo record of key {} at height {since} is missing",
                        hex::encode(key)
                    ))
                })?;
            let undo = decode_undo(record.value())?;
            if undo.since >= since {
                return Err(StoreError::Corrupt(format!(
                    "the undo record of key {} at height {since} points forward to {}",
                    hex::encode(key),
                    undo.since
                )));
            }
            if undo.since <= height {
                return Ok(undo.value.map(<[u8]>::to_vec));
            }
            since = undo.since;
        }
    }

    /// Keys starting with `prefix`, strictly after `start_after` if given, ascending, at most
    /// `limit` entries, with their values as of `height` (`None`: the last committed height).
    ///
    /// At a past height the keys are those live now merged with those deleted within the
    /// retained history (a key is in at most one of the two tables), each resolved at `height`.
    pub fn prefix(
        &self,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
        height: Option<u64>,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let ctx = "scanning state prefix";
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let start = match start_after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        let mut live = self
            .current
            .range::<&[u8]>((start, Bound::Unbounded))
            .ctx(ctx)?;
        let Some(height) = height else {
            for entry in live {
                let (k, v) = entry.ctx(ctx)?;
                if !k.value().starts_with(prefix) {
                    break;
                }
                out.push((k.value().to_vec(), decode_current(v.value())?.1.to_vec()));
                if out.len() >= limit {
                    break;
                }
            }
            return Ok(out);
        };
        let mut dead = self
            .deleted
            .range::<&[u8]>((start, Bound::Unbounded))
            .ctx(ctx)?;
        let mut next_live = || -> Result<Option<(Vec<u8>, u64, Vec<u8>)>, StoreError> {
            let Some(entry) = live.next() else {
                return Ok(None);
            };
            let (k, v) = entry.ctx(ctx)?;
            if !k.value().starts_with(prefix) {
                return Ok(None);
            }
            let (since, value) = decode_current(v.value())?;
            Ok(Some((k.value().to_vec(), since, value.to_vec())))
        };
        let mut next_dead = || -> Result<Option<(Vec<u8>, u64)>, StoreError> {
            let Some(entry) = dead.next() else {
                return Ok(None);
            };
            let (k, v) = entry.ctx(ctx)?;
            if !k.value().starts_with(prefix) {
                return Ok(None);
            }
            Ok(Some((k.value().to_vec(), v.value())))
        };
        let (mut l, mut d) = (next_live()?, next_dead()?);
        loop {
            let take_live = match (&l, &d) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => a.0 < b.0,
            };
            let (key, value) = if take_live {
                let (key, since, value) = l.take().expect("checked above");
                l = next_live()?;
                let value = if since <= height {
                    Some(value)
                } else {
                    self.walk_back(&key, since, height)?
                };
                (key, value)
            } else {
                let (key, deleted_at) = d.take().expect("checked above");
                d = next_dead()?;
                let value = if deleted_at <= height {
                    None
                } else {
                    self.walk_back(&key, deleted_at, height)?
                };
                (key, value)
            };
            if let Some(value) = value {
                out.push((key, value));
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
