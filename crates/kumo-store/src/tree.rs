//! Jellyfish Merkle Tree storage adapter: jmt's `TreeReader` / `TreeWriter` over redb tables.
//!
//! JMT version = block height. Leaf values are not duplicated into a JMT-specific table: the
//! state tables already hold every retained value by raw key, and the preimage table maps a key
//! hash back to its raw key, which is all `get_value_option` needs.

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use jmt::storage::{
    LeafNode, NibblePath, Node, NodeBatch, NodeKey, TreeReader, TreeUpdateBatch, TreeWriter,
};
use jmt::{KeyHash, OwnedValue, Sha256Jmt, Version};
use redb::{ReadableTable, WriteTransaction};

use crate::error::{IoContext, StoreError};
use crate::history::ValueAt;
use crate::tables::{decode_node, decode_node_key, encode_node, encode_node_key, NODES};

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
    /// Key hashes of the stored leaves this reader has returned. An update must read a key's
    /// current leaf to replace it, so a written key whose hash is not in here after `update`
    /// was not in the tree before (and needs its preimage recorded).
    pub seen_leaves: RefCell<HashSet<[u8; 32]>>,
}

impl<N, P, S> JmtReader<N, P, S> {
    pub fn new(nodes: N, preimages: P, state: S) -> Self {
        JmtReader {
            nodes,
            preimages,
            state,
            failure: RefCell::new(None),
            seen_leaves: RefCell::new(HashSet::new()),
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
    S: ValueAt,
{
    fn node(&self, key: &NodeKey) -> Result<Option<Node>, StoreError> {
        let raw = encode_node_key(key);
        match self.nodes.get(raw.as_slice()).ctx("reading jmt node")? {
            Some(guard) => {
                let node = decode_node(guard.value())?;
                if let Node::Leaf(leaf) = &node {
                    self.seen_leaves.borrow_mut().insert(leaf.key_hash().0);
                }
                Ok(Some(node))
            }
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
        self.state.value_at(&key, max_version)
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
    S: ValueAt,
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
    S: ValueAt,
{
    /// Computes the tree update for one version (see [`update_tree`]).
    pub fn update(
        &self,
        version: Version,
        writes: Vec<(KeyHash, Option<OwnedValue>)>,
    ) -> Result<([u8; 32], TreeUpdateBatch), StoreError> {
        update_tree(self, version, writes).map_err(|e| match e {
            UpdateError::Jmt(e) => self.take_error(e),
            UpdateError::Panic(msg) => StoreError::Corrupt(format!(
                "jellyfish merkle tree update at version {version} failed: {msg}"
            )),
        })
    }
}

pub(crate) enum UpdateError {
    Jmt(anyhow::Error),
    Panic(String),
}

/// Computes the tree update for `writes` at `version` on top of the tree at `version - 1`.
///
/// jmt's per-key `put_value_set` rehashes every internal node on a key's path for every key
/// (~75 SHA-256 compressions per key at depth 5); its `batch_put_value_sets` visits and hashes
/// each touched node once but cannot delete. So the update runs in two steps within the same
/// version: all insertions/updates through the batch algorithm, then the (usually few) deletions
/// through `put_value_set` over an [`Overlay`] that presents the step-one tree as the parent.
/// The root is the one `put_value_set` computes for the whole set (the tree is canonical: its
/// root depends only on the resulting key/value set), and the stale-node index stays exact;
/// both are checked against plain `put_value_set` by tests, so the app hash does not depend on
/// this optimization.
///
/// jmt asserts internal invariants with panics; those mean inconsistent stored nodes and are
/// returned as `UpdateError::Panic` instead of unwinding through the caller.
pub(crate) fn update_tree<R: TreeReader>(
    reader: &R,
    version: Version,
    writes: Vec<(KeyHash, Option<OwnedValue>)>,
) -> Result<([u8; 32], TreeUpdateBatch), UpdateError> {
    let run = || -> anyhow::Result<([u8; 32], TreeUpdateBatch)> {
        let mut puts = Vec::with_capacity(writes.len());
        let mut deletes = Vec::new();
        for (k, v) in writes {
            match v {
                Some(v) => puts.push((k, v)),
                None => deletes.push((k, None)),
            }
        }
        if puts.is_empty() || version == 0 {
            let puts = puts.into_iter().map(|(k, v)| (k, Some(v)));
            let (root, batch) =
                Sha256Jmt::new(reader).put_value_set(puts.chain(deletes), version)?;
            return Ok((root.0, batch));
        }
        let (roots, first) =
            Sha256Jmt::new(reader).batch_put_value_sets(vec![puts], None, version)?;
        if deletes.is_empty() {
            return Ok((roots[0].0, first));
        }
        let overlay = Overlay {
            base: reader,
            batch: &first.node_batch,
            parent_root: NodeKey::new(version - 1, root_path()),
            new_root: NodeKey::new(version, root_path()),
        };
        let (root, second) = Sha256Jmt::new(&overlay).put_value_set(deletes, version)?;
        Ok((root.0, merge(first, second)))
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(UpdateError::Jmt(e)),
        Err(panic) => Err(UpdateError::Panic(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic payload".into()),
        )),
    }
}

fn root_path() -> NibblePath {
    borsh::from_slice(&crate::tables::EMPTY_PATH_BORSH).expect("valid empty nibble path")
}

/// Combines two updates computed at the same version, `second` on top of `first`.
///
/// `second` saw `first`'s nodes as if they were on disk, so it reports the ones it replaced or
/// removed as stale; those never reach disk: they are dropped from the node batch instead (and
/// re-added if `second` rewrote the same key).
fn merge(first: TreeUpdateBatch, second: TreeUpdateBatch) -> TreeUpdateBatch {
    let mut nodes = first.node_batch.nodes().clone();
    let mut values = first.node_batch.values().clone();
    let mut stale = first.stale_node_index_batch;
    for s in second.stale_node_index_batch {
        if nodes.remove(&s.node_key).is_none() {
            stale.insert(s);
        }
    }
    nodes.extend(
        second
            .node_batch
            .nodes()
            .iter()
            .map(|(k, n)| (k.clone(), n.clone())),
    );
    values.extend(
        second
            .node_batch
            .values()
            .iter()
            .map(|(k, v)| (*k, v.clone())),
    );
    let mut node_stats = first.node_stats;
    node_stats.extend(second.node_stats);
    TreeUpdateBatch {
        node_batch: NodeBatch::new(nodes, values),
        stale_node_index_batch: stale,
        node_stats,
    }
}

/// A tree reader that sees a not-yet-written update batch on top of the stored tree, with the
/// batch's new root standing in for the parent version's root.
struct Overlay<'a, R> {
    base: &'a R,
    batch: &'a NodeBatch,
    parent_root: NodeKey,
    new_root: NodeKey,
}

impl<R: TreeReader> TreeReader for Overlay<'_, R> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = if *node_key == self.parent_root {
            &self.new_root
        } else {
            node_key
        };
        match self.batch.get_node(key) {
            Some(node) => Ok(Some(node.clone())),
            None => self.base.get_node_option(key),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let newest = self
            .batch
            .values()
            .iter()
            .filter(|((v, k), _)| *k == key_hash && *v <= max_version)
            .max_by_key(|((v, _), _)| *v);
        match newest {
            Some((_, value)) => Ok(value.clone()),
            None => self.base.get_value_option(max_version, key_hash),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.base.get_rightmost_leaf()
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    /// Tree storage in maps, for comparing update algorithms without redb. Applying a batch
    /// also deletes the nodes it marks stale, so a batch that marks a still-referenced node
    /// stale breaks later reads.
    #[derive(Default)]
    struct MapStore {
        nodes: BTreeMap<NodeKey, Node>,
        values: BTreeMap<(KeyHash, Version), Option<OwnedValue>>,
    }

    impl MapStore {
        fn apply(&mut self, batch: &TreeUpdateBatch) {
            self.nodes.extend(
                batch
                    .node_batch
                    .nodes()
                    .iter()
                    .map(|(k, n)| (k.clone(), n.clone())),
            );
            for ((v, k), value) in batch.node_batch.values() {
                self.values.insert((*k, *v), value.clone());
            }
            for s in &batch.stale_node_index_batch {
                self.nodes.remove(&s.node_key);
            }
        }
    }

    impl TreeReader for MapStore {
        fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
            Ok(self.nodes.get(node_key).cloned())
        }
        fn get_value_option(
            &self,
            max: Version,
            key: KeyHash,
        ) -> anyhow::Result<Option<OwnedValue>> {
            Ok(self
                .values
                .range((key, 0)..=(key, max))
                .next_back()
                .and_then(|(_, v)| v.clone()))
        }
        fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
            anyhow::bail!("not needed by updates")
        }
    }

    fn writes_strategy() -> impl Strategy<Value = Vec<Vec<(u8, Option<u8>)>>> {
        // Small key space so blocks update, delete and re-create the same keys.
        prop::collection::vec(
            prop::collection::vec((0u8..40, prop::option::weighted(0.6, any::<u8>())), 0..25),
            1..12,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// The two-step update yields the same roots as jmt's plain `put_value_set`, and the
        /// tree it stores stays readable when every node it reports stale is deleted at once.
        /// (Node sets may differ: `put_value_set` applies a block's writes in key-hash order and
        /// can collapse and re-expand a subtree within one version, rewriting an untouched leaf.)
        #[test]
        fn two_step_update_matches_put_value_set(blocks in writes_strategy()) {
            let mut plain_store = MapStore::default();
            let mut fast_store = MapStore::default();
            let (_, genesis) = Sha256Jmt::new(&plain_store).put_value_set(vec![], 0).unwrap();
            plain_store.apply(&genesis);
            fast_store.apply(&genesis);
            let mut model: BTreeMap<KeyHash, OwnedValue> = BTreeMap::new();
            for (i, block) in blocks.into_iter().enumerate() {
                let version = i as u64 + 1;
                let writes: BTreeMap<KeyHash, Option<OwnedValue>> = block
                    .into_iter()
                    .map(|(k, v)| (KeyHash::with::<sha2::Sha256>([k]), v.map(|v| vec![v; (v % 7) as usize])))
                    .collect();
                for (k, v) in &writes {
                    match v {
                        Some(v) => { model.insert(*k, v.clone()); }
                        None => { model.remove(k); }
                    }
                }
                let writes: Vec<_> = writes.into_iter().collect();
                let (plain_root, plain) =
                    Sha256Jmt::new(&plain_store).put_value_set(writes.clone(), version).unwrap();
                let (fast_root, fast) = match update_tree(&fast_store, version, writes) {
                    Ok(r) => r,
                    Err(_) => panic!("update_tree failed"),
                };
                prop_assert_eq!(fast_root, plain_root.0);
                plain_store.apply(&plain);
                fast_store.apply(&fast);
                let tree = Sha256Jmt::new(&fast_store);
                prop_assert_eq!(tree.get_root_hash(version).unwrap().0, fast_root);
                prop_assert_eq!(tree.get_leaf_count(version).unwrap(), model.len());
                for k in 0u8..40 {
                    let kh = KeyHash::with::<sha2::Sha256>([k]);
                    prop_assert_eq!(tree.get(kh, version).unwrap(), model.get(&kh).cloned());
                }
            }
        }
    }
}
