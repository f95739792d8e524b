//! Jellyfish Merkle Tree storage adapter: jmt's `TreeReader` / `TreeWriter` over redb tables.
//!
//! JMT version = block height. Leaf values are not duplicated into a JMT-specific table: the
//! versioned `kumo.state` table already holds every value by raw key, and the preimage table maps
//! a key hash back to its raw key, which is all `get_value_option` needs.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader, TreeUpdateBatch, TreeWriter};
use jmt::{KeyHash, OwnedValue, Sha256Jmt, Version};
use redb::{ReadableTable, WriteTransaction};

use crate::error::{IoContext, StoreError};
use crate::tables::{
    decode_node, decode_node_key, decode_state_value, encode_node, encode_node_key, NODES,
};

/// Hash of a state key in the tree.
pub(crate) fn key_hash(key: &[u8]) -> KeyHash {
    KeyHash::with::<sha2::Sha256>(key)
}

/// Reads JMT nodes and values from redb tables (of a read or a write transaction).
pub(crate) struct JmtReader<N, P, S> {
    pub nodes: N,
    pub preimages: P,
    pub state: S,
    /// The first storage-level error hit while jmt was driving this reader; jmt only sees an
    /// `anyhow` message, this keeps the typed error for the caller.
    pub failure: RefCell<Option<StoreError>>,
}

impl<N, P, S> JmtReader<N, P, S> {
    pub fn new(nodes: N, preimages: P, state: S) -> Self {
        JmtReader {
            nodes,
            preimages,
            state,
            failure: RefCell::new(None),
        }
    }

    fn record<T>(&self, r: Result<T, StoreError>) -> anyhow::Result<T> {
        r.map_err(|e| {
            let msg = e.to_string();
            self.failure.borrow_mut().get_or_insert(e);
            anyhow::anyhow!(msg)
        })
    }

    /// Converts an error that came out of jmt into a `StoreError`, preferring the typed error
    /// recorded by this reader.
    pub fn take_error(&self, jmt_err: anyhow::Error) -> StoreError {
        self.failure
            .borrow_mut()
            .take()
            .unwrap_or_else(|| StoreError::Corrupt(format!("jellyfish merkle tree: {jmt_err:#}")))
    }
}

impl<N, P, S> JmtReader<N, P, S>
where
    N: ReadableTable<&'static [u8], &'static [u8]>,
    P: ReadableTable<&'static [u8; 32], &'static [u8]>,
    S: ReadableTable<(&'static [u8], u64), &'static [u8]>,
{
    fn node(&self, key: &NodeKey) -> Result<Option<Node>, StoreError> {
        let raw = encode_node_key(key);
        match self.nodes.get(raw.as_slice()).ctx("reading jmt node")? {
            Some(guard) => decode_node(guard.value()).map(Some),
            None => Ok(None),
        }
    }

    fn value(&self, max_version: Version, hash: KeyHash) -> Result<Option<OwnedValue>, StoreError> {
        let Some(key) = self
            .preimages
            .get(&hash.0)
            .ctx("reading key preimage")?
            .map(|g| g.value().to_vec())
        else {
            return Ok(None);
        };
        let mut range = self
            .state
            .range::<(&[u8], u64)>((key.as_slice(), 0)..=(key.as_slice(), max_version))
            .ctx("reading state for jmt")?;
        match range.next_back() {
            Some(entry) => {
                let (_, v) = entry.ctx("reading state for jmt")?;
                Ok(decode_state_value(v.value())?.map(<[u8]>::to_vec))
            }
            None => Ok(None),
        }
    }

    fn rightmost_leaf(&self) -> Result<Option<(NodeKey, LeafNode)>, StoreError> {
        // Only used by jmt's state-sync restore, never on the block path: a full scan is fine.
        let mut best: Option<(NodeKey, LeafNode)> = None;
        for entry in self.nodes.iter().ctx("scanning jmt nodes")? {
            let (k, v) = entry.ctx("scanning jmt nodes")?;
            if let Node::Leaf(leaf) = decode_node(v.value())? {
                let key = decode_node_key(k.value())?;
                let better = match &best {
                    None => true,
                    Some((bk, bl)) => {
                        (leaf.key_hash(), key.version()) > (bl.key_hash(), bk.version())
                    }
                };
                if better {
                    best = Some((key, leaf));
                }
            }
        }
        Ok(best)
    }
}

impl<N, P, S> TreeReader for JmtReader<N, P, S>
where
    N: ReadableTable<&'static [u8], &'static [u8]>,
    P: ReadableTable<&'static [u8; 32], &'static [u8]>,
    S: ReadableTable<(&'static [u8], u64), &'static [u8]>,
{
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        self.record(self.node(node_key))
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.record(self.value(max_version, key_hash))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.record(self.rightmost_leaf())
    }
}

impl<N, P, S> JmtReader<N, P, S>
where
    N: ReadableTable<&'static [u8], &'static [u8]>,
    P: ReadableTable<&'static [u8; 32], &'static [u8]>,
    S: ReadableTable<(&'static [u8], u64), &'static [u8]>,
{
    /// Computes the tree update for one version. jmt asserts internal invariants with panics;
    /// those mean inconsistent stored nodes and are reported as `Corrupt` instead of unwinding
    /// through the caller.
    pub fn update(
        &self,
        version: Version,
        writes: impl IntoIterator<Item = (KeyHash, Option<OwnedValue>)>,
    ) -> Result<([u8; 32], TreeUpdateBatch), StoreError> {
        let tree = Sha256Jmt::new(self);
        match catch_unwind(AssertUnwindSafe(|| tree.put_value_set(writes, version))) {
            Ok(Ok((root, batch))) => Ok((root.0, batch)),
            Ok(Err(e)) => Err(self.take_error(e)),
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("non-string panic payload");
                Err(StoreError::Corrupt(format!(
                    "jellyfish merkle tree update at version {version} failed: {msg}"
                )))
            }
        }
    }
}

/// Writes JMT node batches into the node table of an open write transaction.
pub(crate) struct JmtWriter<'a> {
    pub txn: &'a WriteTransaction,
}

impl JmtWriter<'_> {
    pub fn write(&self, batch: &NodeBatch) -> Result<(), StoreError> {
        let ctx = "writing jmt nodes";
        let mut table = self.txn.open_table(NODES).ctx(ctx)?;
        // NodeBatch is a BTreeMap ordered by (version, path); all new nodes share the commit's
        // version, so these are appends at the end of the table.
        for (key, node) in batch.nodes() {
            let k = encode_node_key(key);
            let v = encode_node(node);
            table.insert(k.as_slice(), v.as_slice()).ctx(ctx)?;
        }
        // `batch.values()` are not stored here: the same values are written to the versioned
        // state table under their raw keys (see `Store::commit`).
        Ok(())
    }
}

impl TreeWriter for JmtWriter<'_> {
    fn write_node_batch(&self, node_batch: &NodeBatch) -> anyhow::Result<()> {
        self.write(node_batch)
            .map_err(|e| anyhow::anyhow!(e.to_string()))
    }
}
