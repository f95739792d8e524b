//! The state tables (see the layout in `tables.rs`): writing keys' new states, and reading
//! the state at a height from the current rows, the deletions, the undo log and the checkpoints.

use std::ops::Bound;

use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, Table, WriteTransaction};

use crate::error::{IoContext, StoreError};
use crate::tables::{
    decode_current, decode_undo, encode_current, encode_undo, Undo, WriteKind, CHECKPOINTS,
    CURRENT, DELETED, UNDO,
};

/// The four tables that together hold every retained height's state, from one transaction.
pub(crate) struct History<C, D, U, K> {
    pub current: C,
    pub deleted: D,
    pub undo: U,
    pub checkpoints: K,
}

pub(crate) type ReadHistory = History<
    ReadOnlyTable<&'static [u8], &'static [u8]>,
    ReadOnlyTable<&'static [u8], (u64, u32)>,
    ReadOnlyTable<(u64, &'static [u8]), &'static [u8]>,
    ReadOnlyTable<(&'static [u8], u64), ()>,
>;

pub(crate) type WriteHistory<'txn> = History<
    Table<'txn, &'static [u8], &'static [u8]>,
    Table<'txn, &'static [u8], (u64, u32)>,
    Table<'txn, (u64, &'static [u8]), &'static [u8]>,
    Table<'txn, (&'static [u8], u64), ()>,
>;

/// Opens the four state tables in a read or a write transaction (their `open_table` methods
/// are alike but distinct).
macro_rules! open_state_tables {
    ($txn:expr) => {{
        let ctx = "opening state tables";
        Ok(History {
            current: $txn.open_table(CURRENT).ctx(ctx)?,
            deleted: $txn.open_table(DELETED).ctx(ctx)?,
            undo: $txn.open_table(UNDO).ctx(ctx)?,
            checkpoints: $txn.open_table(CHECKPOINTS).ctx(ctx)?,
        })
    }};
}

impl ReadHistory {
    pub fn open(txn: &ReadTransaction) -> Result<ReadHistory, StoreError> {
        open_state_tables!(txn)
    }
}

impl<'txn> WriteHistory<'txn> {
    pub fn open(txn: &'txn WriteTransaction) -> Result<WriteHistory<'txn>, StoreError> {
        open_state_tables!(txn)
    }
}

/// Writes keys' new states into the state tables of a write transaction.
pub(crate) struct StateWriter<'txn> {
    tables: WriteHistory<'txn>,
    /// Every this many writes of a key, the write is also listed as a checkpoint.
    checkpoint_every: u32,
    row: Vec<u8>,
    record: Vec<u8>,
}

impl<'txn> StateWriter<'txn> {
    pub fn open(
        txn: &'txn WriteTransaction,
        checkpoint_every: u32,
    ) -> Result<StateWriter<'txn>, StoreError> {
        Ok(StateWriter {
            tables: WriteHistory::open(txn)?,
            checkpoint_every: checkpoint_every.max(1),
            row: Vec::new(),
            record: Vec::new(),
        })
    }

    /// Records that height `h` set `key` to `value` (`None`: deleted it). A key is written at
    /// most once per height, and heights only grow.
    pub fn write(&mut self, h: u64, key: &[u8], value: Option<&[u8]>) -> Result<(), StoreError> {
        let ctx = "writing state";
        let t = &mut self.tables;
        let write = match value {
            Some(_) => WriteKind::Set,
            None => WriteKind::Deleted,
        };
        // The key's state until now: since when, its writes since its last checkpoint, and
        // its value (none if deleted or never written within the retained history).
        let old = t.current.get(key).ctx(ctx)?;
        let (since, chain, previous, was_deleted) = match &old {
            Some(row) => {
                let c = decode_current(row.value())?;
                (c.since, c.chain, Some(c.value), false)
            }
            None => match t.deleted.get(key).ctx(ctx)? {
                Some(d) => {
                    let (since, chain) = d.value();
                    (since, chain, None, true)
                }
                None => (0, 0, None, false),
            },
        };
        let checkpoint = chain + 1 >= self.checkpoint_every;
        let chain = if checkpoint { 0 } else { chain + 1 };
        encode_undo(
            &mut self.record,
            &Undo {
                write,
                checkpoint,
                since,
                value: previous,
            },
        );
        drop(old);
        match value {
            Some(v) => {
                encode_current(&mut self.row, h, chain, v);
                t.current.insert(key, self.row.as_slice()).ctx(ctx)?;
                if was_deleted {
                    t.deleted.remove(key).ctx(ctx)?;
                }
            }
            None => {
                t.current.remove(key).ctx(ctx)?;
                t.deleted.insert(key, (h, chain)).ctx(ctx)?;
            }
        }
        t.undo.insert((h, key), self.record.as_slice()).ctx(ctx)?;
        if checkpoint {
            t.checkpoints.insert((key, h), ()).ctx(ctx)?;
        }
        Ok(())
    }
}

/// A key's value as of a height, whatever tables answer it (jmt's value lookups use this).
pub(crate) trait ValueAt {
    fn value_at(&self, key: &[u8], height: u64) -> Result<Option<Vec<u8>>, StoreError>;
}

impl<C, D, U, K> ValueAt for History<C, D, U, K>
where
    C: ReadableTable<&'static [u8], &'static [u8]>,
    D: ReadableTable<&'static [u8], (u64, u32)>,
    U: ReadableTable<(u64, &'static [u8]), &'static [u8]>,
    K: ReadableTable<(&'static [u8], u64), ()>,
{
    fn value_at(&self, key: &[u8], height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.at(key, height)
    }
}

impl<C, D, U, K> History<C, D, U, K>
where
    C: ReadableTable<&'static [u8], &'static [u8]>,
    D: ReadableTable<&'static [u8], (u64, u32)>,
    U: ReadableTable<(u64, &'static [u8]), &'static [u8]>,
    K: ReadableTable<(&'static [u8], u64), ()>,
{
    /// The value of `key` as of the transaction's last committed height: one lookup.
    pub fn latest(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.current.get(key).ctx("reading state")? {
            Some(row) => Ok(Some(decode_current(row.value())?.value.to_vec())),
            None => Ok(None),
        }
    }

    /// The value of `key` as of `height` (a retained height, at most the last committed one).
    pub fn at(&self, key: &[u8], height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(row) = self.current.get(key).ctx("reading state")? {
            let current = decode_current(row.value())?;
            if current.since <= height {
                return Ok(Some(current.value.to_vec()));
            }
            return self.walk_back(key, current.since, height);
        }
        match self.deleted.get(key).ctx("reading deletions")? {
            Some(d) if d.value().0 > height => self.walk_back(key, d.value().0, height),
            // Deleted at or before `height`, or never written within the retained history.
            _ => Ok(None),
        }
    }

    /// The value as of `height` of a key whose state from `since` (> `height`) on is known:
    /// follows the undo records back until a state that began at or before `height`, starting
    /// from the key's first checkpoint above `height` if there is one before `since`.
    fn walk_back(
        &self,
        key: &[u8],
        mut since: u64,
        height: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let nearer = self
            .checkpoints
            .range::<(&[u8], u64)>((key, height + 1)..(key, since))
            .ctx("reading state checkpoints")?
            .next();
        if let Some(entry) = nearer {
            since = entry.ctx("reading state checkpoints")?.0.value().1;
        }
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
                out.push((
                    k.value().to_vec(),
                    decode_current(v.value())?.value.to_vec(),
                ));
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
            let current = decode_current(v.value())?;
            Ok(Some((
                k.value().to_vec(),
                current.since,
                current.value.to_vec(),
            )))
        };
        let mut next_dead = || -> Result<Option<(Vec<u8>, u64)>, StoreError> {
            let Some(entry) = dead.next() else {
                return Ok(None);
            };
            let (k, v) = entry.ctx(ctx)?;
            if !k.value().starts_with(prefix) {
                return Ok(None);
            }
            Ok(Some((k.value().to_vec(), v.value().0)))
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
