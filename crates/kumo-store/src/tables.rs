//! redb table layout and record encodings.
//!
//! | table              | key                              | value                               |
//! |--------------------|----------------------------------|-------------------------------------|
//! | `kumo.meta`        | `&str` field name                | field bytes                         |
//! | `kumo.current`     | key                              | `height_be(8)` that wrote it ++ `chain_be(4)` ++ value (live keys only) |
//! | `kumo.deleted`     | key                              | `(height that deleted it, chain)` (deletions within the retained window) |
//! | `kumo.undo`        | `(height, key)`                  | undo record: the key's state before that height's write |
//! | `kumo.checkpoints` | `(key, height)`                  | `()`: every `checkpoint_every`-th write of each key |
//! | `kumo.jmt.nodes`   | `height_be(8) ++ borsh(nibble path)` | `borsh(jmt Node)`               |
//! | `kumo.jmt.stale`   | `stale_since_height`             | list of node keys stale since then  |
//! | `kumo.jmt.preimage`| `sha256(key)`                    | key (for jmt's value lookups by key hash) |
//! | `aux.<name>`       | bytes                            | bytes (application tables, unversioned) |
//!
//! # Why current values plus an undo log
//!
//! A block writes a few thousand keys spread at random over the key space. Only
//! `kumo.current` is keyed by state key, and it holds one row per live key, so a block rewrites
//! at most the pages those keys sit on, however long the chain. History goes to `kumo.undo`,
//! keyed by height first: every block's records land together at the end of the table, and
//! pruning cuts them off its front.
//!
//! (Formats 1 and 2 kept every version in `kumo.state` under `(key, height)`. There each block
//! added a row next to every key it wrote, so it rewrote nearly every page of a table that grew
//! with the retained history, and the commit got slower block by block.)
//!
//! Reading a key at a past height `r` starts from its current row (or its deletion) and walks
//! back: each undo record says what the key held before, and since which height. The walk stops
//! at the first state that began at or before `r`; reads at the latest height are one lookup.
//! A key written every block would make that walk as long as the distance to `r`, so every
//! `checkpoint_every`-th write of a key is also listed in `kumo.checkpoints`, by key: the walk
//! starts at the first checkpoint above `r` instead, and takes at most `checkpoint_every` steps.
//! `chain` in a key's row counts its writes since its last checkpoint.

use jmt::storage::{NibblePath, Node, NodeKey};
use redb::{ReadableTable, TableDefinition};

use crate::error::{IoContext, StoreError};

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("kumo.meta");
pub(crate) const CURRENT: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kumo.current");
pub(crate) const DELETED: TableDefinition<&[u8], (u64, u32)> = TableDefinition::new("kumo.deleted");
pub(crate) const UNDO: TableDefinition<(u64, &[u8]), &[u8]> = TableDefinition::new("kumo.undo");
pub(crate) const CHECKPOINTS: TableDefinition<(&[u8], u64), ()> =
    TableDefinition::new("kumo.checkpoints");
pub(crate) const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kumo.jmt.nodes");
pub(crate) const STALE: TableDefinition<u64, &[u8]> = TableDefinition::new("kumo.jmt.stale");
pub(crate) const PREIMAGES: TableDefinition<&[u8; 32], &[u8]> =
    TableDefinition::new("kumo.jmt.preimage");

pub(crate) const META_FORMAT: &str = "format";
pub(crate) const META_HEIGHT: &str = "height";
pub(crate) const META_APP_HASH: &str = "app_hash";
pub(crate) const META_EARLIEST: &str = "earliest";

/// On-disk format version written at creation and checked at open. Formats 1 and 2 (see
/// [`legacy`]) are upgraded when opened (`Store::init`). Format 3 was this layout without
/// checkpoints, on main for an hour of development (e5d4a7b..e345c46); a store in it is refused
/// as unsupported rather than misread.
pub(crate) const FORMAT_VERSION: u64 = 4;

/// Prefix of application (aux) table names, keeping them apart from the store's own tables.
pub(crate) const AUX_PREFIX: &str = "aux.";

pub(crate) fn aux_table_name(table: &str) -> String {
    format!("{AUX_PREFIX}{table}")
}

/// A decoded `kumo.current` row.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Current<'a> {
    /// The height that wrote the value.
    pub since: u64,
    /// The key's writes since its last checkpoint.
    pub chain: u32,
    pub value: &'a [u8],
}

const CURRENT_HEADER: usize = 8 + 4;

/// Encodes a `kumo.current` row: the height that wrote the value, the chain count, the value.
pub(crate) fn encode_current(buf: &mut Vec<u8>, since: u64, chain: u32, value: &[u8]) {
    buf.clear();
    buf.reserve(CURRENT_HEADER + value.len());
    buf.extend_from_slice(&since.to_be_bytes());
    buf.extend_from_slice(&chain.to_be_bytes());
    buf.extend_from_slice(value);
}

pub(crate) fn decode_current(raw: &[u8]) -> Result<Current<'_>, StoreError> {
    if raw.len() < CURRENT_HEADER {
        return Err(StoreError::Corrupt(format!(
            "current-state row has {} bytes, expected at least {CURRENT_HEADER}",
            raw.len()
        )));
    }
    Ok(Current {
        since: u64::from_be_bytes(raw[..8].try_into().expect("8 bytes")),
        chain: u32::from_be_bytes(raw[8..12].try_into().expect("4 bytes")),
        value: &raw[CURRENT_HEADER..],
    })
}

/// What a height's write did to a key (kept in its undo record, so that pruning can find the
/// deletions whose `kumo.deleted` rows it may drop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteKind {
    Deleted,
    Set,
}

/// A decoded `kumo.undo` record: the state a key had just before the height of the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Undo<'a> {
    /// What the record's height did to the key.
    pub write: WriteKind,
    /// That write is listed in `kumo.checkpoints` (pruning the record drops it there too).
    pub checkpoint: bool,
    /// The height at which the earlier state began (`0`: the key never existed within the
    /// retained history).
    pub since: u64,
    /// The earlier value, `None` when the key was absent.
    pub value: Option<&'a [u8]>,
}

const UNDO_HEADER: usize = 1 + 8 + 1;

const UNDO_SET: u8 = 1;
const UNDO_CHECKPOINT: u8 = 2;

/// Encodes an undo record: flags (bit 0: the write set the key, else deleted it; bit 1: the
/// write is a checkpoint), `since` (8 bytes big-endian), presence tag (`0` absent, `1` live),
/// then the earlier value.
pub(crate) fn encode_undo(buf: &mut Vec<u8>, undo: &Undo<'_>) {
    let Undo {
        write,
        checkpoint,
        since,
        value,
    } = *undo;
    buf.clear();
    buf.reserve(UNDO_HEADER + value.map_or(0, <[u8]>::len));
    let set = match write {
        WriteKind::Deleted => 0,
        WriteKind::Set => UNDO_SET,
    };
    buf.push(set | if checkpoint { UNDO_CHECKPOINT } else { 0 });
    buf.extend_from_slice(&since.to_be_bytes());
    match value {
        Some(v) => {
            buf.push(1);
            buf.extend_from_slice(v);
        }
        None => buf.push(0),
    }
}

pub(crate) fn decode_undo(raw: &[u8]) -> Result<Undo<'_>, StoreError> {
    if raw.len() < UNDO_HEADER {
        return Err(StoreError::Corrupt(format!(
            "undo record has {} bytes, expected at least {UNDO_HEADER}",
            raw.len()
        )));
    }
    let flags = raw[0];
    if flags & !(UNDO_SET | UNDO_CHECKPOINT) != 0 {
        return Err(StoreError::Corrupt(format!(
            "undo record has unknown flags {flags:#04x}"
        )));
    }
    let write = if flags & UNDO_SET != 0 {
        WriteKind::Set
    } else {
        WriteKind::Deleted
    };
    let checkpoint = flags & UNDO_CHECKPOINT != 0;
    let since = u64::from_be_bytes(raw[1..9].try_into().expect("8 bytes"));
    let value = match (raw[9], &raw[UNDO_HEADER..]) {
        (1, v) => Some(v),
        (0, []) => None,
        (tag, rest) => {
            return Err(StoreError::Corrupt(format!(
                "undo record has presence tag {tag} and {} value bytes",
                rest.len()
            )))
        }
    };
    Ok(Undo {
        write,
        checkpoint,
        since,
        value,
    })
}

/// The layouts of formats 1 and 2, read once to upgrade a store (`Store::init`).
pub(crate) mod legacy {
    use super::*;

    /// Every version of every key, `(key, height)` -> tag byte (`1` live, `0` deleted) ++ value.
    pub(crate) const STATE: TableDefinition<(&[u8], u64), &[u8]> =
        TableDefinition::new("kumo.state");
    /// Format 2 only: key -> value as of the last commit.
    pub(crate) const LATEST: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kumo.latest");
    /// Height -> list of the keys it wrote (drove pruning of `STATE`).
    pub(crate) const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("kumo.changes");

    pub(crate) const FORMAT_WITHOUT_LATEST: u64 = 1;
    pub(crate) const FORMAT_WITH_LATEST: u64 = 2;

    pub(crate) const TAG_DELETED: u8 = 0;
    pub(crate) const TAG_LIVE: u8 = 1;

    /// Encodes a versioned state value (`None` = deletion tombstone) into `buf`.
    #[cfg(test)]
    pub(crate) fn encode_state_value(buf: &mut Vec<u8>, value: Option<&[u8]>) {
        buf.clear();
        match value {
            Some(v) => {
                buf.reserve(v.len() + 1);
                buf.push(TAG_LIVE);
                buf.extend_from_slice(v);
            }
            None => buf.push(TAG_DELETED),
        }
    }

    /// Decodes a versioned state value; `Ok(None)` is a deletion tombstone.
    pub(crate) fn decode_state_value(raw: &[u8]) -> Result<Option<&[u8]>, StoreError> {
        match raw.split_first() {
            Some((&TAG_LIVE, rest)) => Ok(Some(rest)),
            Some((&TAG_DELETED, [])) => Ok(None),
            Some((tag, rest)) => Err(StoreError::Corrupt(format!(
                "state record has unknown tag {tag} (length {})",
                rest.len() + 1
            ))),
            None => Err(StoreError::Corrupt("empty state record".into())),
        }
    }
}

/// `borsh(NibblePath)` of the empty path: `num_nibbles` (usize as u64 LE) = 0, then an empty
/// byte vector (u32 LE length 0). Checked against jmt's own encoding by a unit test.
pub(crate) const EMPTY_PATH_BORSH: [u8; 12] = [0; 12];

/// Node-table key: big-endian version first, so every node written by one commit lands at the
/// end of the table (sequential inserts) and all nodes of a version are adjacent.
pub(crate) fn encode_node_key(key: &NodeKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 12 + 32);
    out.extend_from_slice(&key.version().to_be_bytes());
    borsh::to_writer(&mut out, key.nibble_path()).expect("writing to a Vec cannot fail");
    out
}

/// Node-table key of the root node at `version`.
pub(crate) fn encode_root_key(version: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&EMPTY_PATH_BORSH);
    out
}

pub(crate) fn decode_node_key(raw: &[u8]) -> Result<NodeKey, StoreError> {
    if raw.len() < 8 {
        return Err(StoreError::Corrupt(format!(
            "jmt node key too short ({} bytes)",
            raw.len()
        )));
    }
    let (v, path) = raw.split_at(8);
    let version = u64::from_be_bytes(v.try_into().expect("8 bytes"));
    let path: NibblePath = borsh::from_slice(path)
        .map_err(|e| StoreError::Corrupt(format!("jmt node key nibble path: {e}")))?;
    Ok(NodeKey::new(version, path))
}

/// Appends `item` to a list record (`u32` big-endian length, then the bytes). Change-log and
/// stale-index entries are one list record per height: one insert per block instead of one per
/// key or node.
pub(crate) fn push_list_item(out: &mut Vec<u8>, item: &[u8]) {
    let len = u32::try_from(item.len()).expect("list items are far below 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(item);
}

/// Splits a list record written by [`push_list_item`].
pub(crate) fn list_items(mut raw: &[u8]) -> Result<Vec<&[u8]>, StoreError> {
    let mut out = Vec::new();
    while !raw.is_empty() {
        if raw.len() < 4 {
            return Err(StoreError::Corrupt("truncated list record".into()));
        }
        let (len, rest) = raw.split_at(4);
        let len = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
        if rest.len() < len {
            return Err(StoreError::Corrupt("truncated list record item".into()));
        }
        let (item, rest) = rest.split_at(len);
        out.push(item);
        raw = rest;
    }
    Ok(out)
}

pub(crate) fn encode_node(node: &Node) -> Vec<u8> {
    borsh::to_vec(node).expect("writing to a Vec cannot fail")
}

pub(crate) fn decode_node(raw: &[u8]) -> Result<Node, StoreError> {
    borsh::from_slice(raw).map_err(|e| StoreError::Corrupt(format!("jmt node: {e}")))
}

pub(crate) fn decode_u64(field: &str, raw: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = raw.try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "meta field {field} has {} bytes, expected 8",
            raw.len()
        ))
    })?;
    Ok(u64::from_be_bytes(arr))
}

/// The committed position of the store, as recorded in the meta table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub height: u64,
    pub app_hash: [u8; 32],
    pub earliest: u64,
}

/// The store's format version from the meta table.
pub(crate) fn read_format(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<u64, StoreError> {
    let raw = table
        .get(META_FORMAT)
        .ctx("reading meta table")?
        .map(|g| g.value().to_vec())
        .ok_or_else(|| StoreError::Corrupt(format!("meta field {META_FORMAT} is missing")))?;
    decode_u64(META_FORMAT, &raw)
}

/// Reads the meta record through any readable meta table (read or write transaction).
pub(crate) fn read_meta(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Meta, StoreError> {
    let field = |name: &str| -> Result<Vec<u8>, StoreError> {
        table
            .get(name)
            .ctx("reading meta table")?
            .map(|g| g.value().to_vec())
            .ok_or_else(|| StoreError::Corrupt(format!("meta field {name} is missing")))
    };
    let format = read_format(table)?;
    if format != FORMAT_VERSION {
        return Err(StoreError::Corrupt(format!(
            "unsupported store format {format} (this build reads format {FORMAT_VERSION})"
        )));
    }
    let height = decode_u64(META_HEIGHT, &field(META_HEIGHT)?)?;
    let earliest = decode_u64(META_EARLIEST, &field(META_EARLIEST)?)?;
    let hash_raw = field(META_APP_HASH)?;
    let app_hash: [u8; 32] = hash_raw.as_slice().try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "meta field {META_APP_HASH} has {} bytes, expected 32",
            hash_raw.len()
        ))
    })?;
    Ok(Meta {
        height,
        app_hash,
        earliest,
    })
}

pub(crate) fn write_meta(
    table: &mut redb::Table<&'static str, &'static [u8]>,
    meta: &Meta,
) -> Result<(), StoreError> {
    let ctx = "writing meta table";
    table
        .insert(META_FORMAT, FORMAT_VERSION.to_be_bytes().as_slice())
        .ctx(ctx)?;
    table
        .insert(META_HEIGHT, meta.height.to_be_bytes().as_slice())
        .ctx(ctx)?;
    table
        .insert(META_APP_HASH, meta.app_hash.as_slice())
        .ctx(ctx)?;
    table
        .insert(META_EARLIEST, meta.earliest.to_be_bytes().as_slice())
        .ctx(ctx)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_path_encoding_matches_jmt() {
        let path: NibblePath = borsh::from_slice(&EMPTY_PATH_BORSH).unwrap();
        assert_eq!(path.num_nibbles(), 0);
        assert_eq!(borsh::to_vec(&path).unwrap(), EMPTY_PATH_BORSH.to_vec());
        let key = NodeKey::new(7, path);
        assert_eq!(encode_node_key(&key), encode_root_key(7));
        assert_eq!(decode_node_key(&encode_root_key(7)).unwrap(), key);
    }

    #[test]
    fn list_record_round_trip() {
        let mut buf = Vec::new();
        for item in [&b"a"[..], b"", b"\x00\x01\x02"] {
            push_list_item(&mut buf, item);
        }
        assert_eq!(
            list_items(&buf).unwrap(),
            vec![&b"a"[..], b"", b"\x00\x01\x02"]
        );
        assert!(list_items(&buf[..buf.len() - 1]).is_err());
        assert!(list_items(&[0, 0]).is_err());
        assert!(list_items(&[]).unwrap().is_empty());
    }

    #[test]
    fn state_value_round_trip() {
        use legacy::{decode_state_value, encode_state_value};
        let mut buf = Vec::new();
        encode_state_value(&mut buf, Some(b"abc"));
        assert_eq!(decode_state_value(&buf).unwrap(), Some(&b"abc"[..]));
        encode_state_value(&mut buf, Some(b""));
        assert_eq!(decode_state_value(&buf).unwrap(), Some(&b""[..]));
        encode_state_value(&mut buf, None);
        assert_eq!(decode_state_value(&buf).unwrap(), None);
        assert!(decode_state_value(&[]).is_err());
        assert!(decode_state_value(&[7, 1]).is_err());
        assert!(decode_state_value(&[0, 1]).is_err());
    }

    #[test]
    fn current_and_undo_records_round_trip() {
        let mut buf = Vec::new();
        encode_current(&mut buf, 42, 3, b"value");
        let want = Current {
            since: 42,
            chain: 3,
            value: b"value",
        };
        assert_eq!(decode_current(&buf).unwrap(), want);
        encode_current(&mut buf, 7, 0, b"");
        assert_eq!(decode_current(&buf).unwrap().value, b"");
        assert!(decode_current(&buf[..CURRENT_HEADER - 1]).is_err());

        for (write, checkpoint, since, value) in [
            (WriteKind::Set, false, 0, None),
            (WriteKind::Set, true, 9, Some(&b"old"[..])),
            (WriteKind::Deleted, true, u64::MAX, Some(&b""[..])),
            (WriteKind::Deleted, false, 3, None),
        ] {
            let undo = Undo {
                write,
                checkpoint,
                since,
                value,
            };
            encode_undo(&mut buf, &undo);
            assert_eq!(decode_undo(&buf).unwrap(), undo);
        }
        assert!(decode_undo(&buf[..UNDO_HEADER - 1]).is_err());
        let absent = Undo {
            write: WriteKind::Set,
            checkpoint: false,
            since: 1,
            value: None,
        };
        encode_undo(&mut buf, &absent);
        buf.push(5); // bytes after an absent value
        assert!(decode_undo(&buf).is_err());
        buf.pop();
        buf[0] = 4; // unknown flag
        assert!(decode_undo(&buf).is_err());
    }
}
