//! Blocks, results, commits and the txs, kept in aux tables of the state store so they commit
//! in the same transaction as the block's state (a crash never leaves a block without its state
//! or the reverse); and the tx index (by hash, by event attribute), kept in the index store and
//! written after the commit by the [follower](crate::indexer).

use crate::indexer::Progress;
use crate::types::*;
use kumo_store::{AuxWrite, IndexStore, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};
use std::sync::Arc;

const BLOCKS: &str = "blocks"; // height -> StoredBlock
const BLOCK_HASHES: &str = "block_hashes"; // hash -> height
/// height -> BlockResults without its tx results: each tx's result is stored once, in its
/// `tx_rows` row, and `results` puts them back in block order (the oldest rows had them inline).
const RESULTS: &str = "block_results";
const COMMITS: &str = "commits"; // height -> Commit that finalized it
/// height -> the validator set of that height (borsh `consensus::ValidatorSet`), written two
/// heights ahead (CometBFT's H+2 rule), so block sync can check certificates of any height.
const VALSETS: &str = "validator_sets";
/// height index -> IndexedTx. Keyed by position so a block's txs are appended in order (a
/// copy-on-write B-tree rewrites every page a random key lands in; appends fill fresh pages).
const TX_ROWS: &str = "tx_rows";
/// Index store: hash -> height index, the small random-keyed row that finds a tx by hash.
const TX_HASHES: &str = "tx_hashes";
/// Layout before `tx_rows`: hash -> IndexedTx, and height index -> hash. Still read, so stores
/// written before keep answering; nothing writes them any more.
const LEGACY_TXS: &str = "txs";
const LEGACY_TX_POS: &str = "tx_positions";
/// Index store: attribute value and height -> the (tx index, attribute name tag) entries of
/// that block's txs that carry the value in an indexed attribute ([`index_writes`]).
const TX_ATTRS: &str = "tx_attrs";
/// The index store's layout: an index written in another layout is rebuilt from the stored
/// blocks. 1 had one row per attribute name and value (`tx_events`).
pub const INDEX_LAYOUT: u64 = 2;

/// How long a lookup through the tx index waits for the follower to reach the committed height.
const INDEX_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn enc<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).expect("block data serializes")
}

fn dec<T: DeserializeOwned>(b: &[u8]) -> T {
    postcard::from_bytes(b).expect("stored block data decodes")
}

fn put(table: &'static str, key: Vec<u8>, value: Vec<u8>) -> AuxWrite {
    AuxWrite {
        table,
        key,
        value: Some(value),
    }
}

/// The aux writes that store one finalized block with its results and index entries.
/// Encoding is spread over all cores: it sits on the block's critical path, between
/// FinalizeBlock and the commit, while CheckTx threads wait.
pub fn block_writes(block: &StoredBlock, results: &BlockResults, commit: &Commit) -> Vec<AuxWrite> {
    use rayon::prelude::*;
    let h = block.block.header.height;
    let ((block_bytes, results_bytes), txs) = rayon::join(
        || {
            rayon::join(
                || enc(block),
                || {
                    enc(&BlockResults {
                        height: results.height,
                        tx_results: Vec::new(),
                        finalize_block_events: results.finalize_block_events.clone(),
                        validator_updates: results.validator_updates.clone(),
                        app_hash: results.app_hash,
                    })
                },
            )
        },
        || {
            block
                .block
                .txs
                .par_iter()
                .zip(&results.tx_results)
                .enumerate()
                .map(|(i, (tx, result))| {
                    let hash = kumo_crypto::tx_hash(tx);
                    let indexed = IndexedTx {
                        hash,
                        height: h,
                        index: i as u32,
                        tx: tx.clone(),
                        result: result.clone(),
                    };
                    enc(&indexed)
                })
                .collect::<Vec<_>>()
        },
    );
    let mut w = Vec::with_capacity(4 + txs.len());
    w.extend([
        put(BLOCKS, h.to_be_bytes().to_vec(), block_bytes),
        put(
            BLOCK_HASHES,
            block.block_id.hash.to_vec(),
            h.to_be_bytes().to_vec(),
        ),
        put(RESULTS, h.to_be_bytes().to_vec(), results_bytes),
        put(COMMITS, h.to_be_bytes().to_vec(), enc(commit)),
    ]);
    for (i, indexed) in txs.into_iter().enumerate() {
        w.push(put(TX_ROWS, position_key(h, i as u32), indexed));
    }
    w
}

/// The stored validator set of `height` (written when block `height - 2` committed).
pub fn valset_write(height: u64, set: Vec<u8>) -> AuxWrite {
    put(VALSETS, height.to_be_bytes().to_vec(), set)
}

/// Replaces the commit stored for `height` (the local certificate) with the one block
/// `height + 1` carries, which every node agrees on.
pub fn commit_write(height: u64, commit: &Commit) -> AuxWrite {
    put(COMMITS, height.to_be_bytes().to_vec(), enc(commit))
}

/// The index store writes for one block: each tx by hash, and by each indexed event attribute.
///
/// Attribute rows are keyed by value first ([`value_key`]): one row per distinct value per
/// block lists every (tx, attribute name) that carries it. A tx's sender appears under
/// `message.sender`, `transfer.sender`, `coin_spent.spender` and `tx.fee_payer`; keyed by value
/// that is one random-keyed row instead of four, and random-keyed inserts are most of the
/// index's cost.
pub fn index_writes(block: &StoredBlock, results: &BlockResults) -> Vec<AuxWrite> {
    let h = block.block.header.height;
    // Rows are gathered by value in a hash map and sorted once: a block has tens of thousands
    // of attributes but far fewer distinct values. Names are hashed once per distinct name.
    let mut by_value: std::collections::HashMap<&str, Vec<u8>> = Default::default();
    let mut tags: std::collections::HashMap<(&str, &str), [u8; 4]> = Default::default();
    let mut hashes = Vec::with_capacity(block.block.txs.len());
    for (i, (tx, result)) in block.block.txs.iter().zip(&results.tx_results).enumerate() {
        let hash = kumo_crypto::tx_hash(tx);
        hashes.push(put(TX_HASHES, hash.to_vec(), position_key(h, i as u32)));
        let index = (i as u32).to_be_bytes();
        for ev in &result.events {
            for a in ev.attributes.iter().filter(|a| a.index) {
                let tag = *tags
                    .entry((ev.kind.as_str(), a.key.as_str()))
                    .or_insert_with(|| attribute_tag(&ev.kind, &a.key));
                let mut entry = [0; ENTRY_LEN];
                entry[..4].copy_from_slice(&index);
                entry[4..].copy_from_slice(&tag);
                let entries = by_value.entry(a.value.as_str()).or_default();
                // This tx's entries for the value are at the end; one carrying the same
                // attribute twice (two transfers from one sender) is listed once.
                let mut mine = entries
                    .rchunks_exact(ENTRY_LEN)
                    .take_while(|e| e[..4] == index);
                if !mine.any(|e| e == entry) {
                    entries.extend_from_slice(&entry);
                }
            }
        }
    }
    let mut rows: Vec<([u8; VALUE_KEY_LEN], Vec<u8>)> = by_value
        .into_iter()
        .map(|(value, entries)| (value_key(value, h), entries))
        .collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut w = hashes;
    w.extend(rows.into_iter().map(|(k, v)| put(TX_ATTRS, k.to_vec(), v)));
    w
}

fn position_key(height: u64, index: u32) -> Vec<u8> {
    [&height.to_be_bytes()[..], &index.to_be_bytes()].concat()
}

/// Bytes of an attribute value's hash that start its rows' keys: values can be long (JSON,
/// base64 signatures), and a fixed-size key keeps the B-tree's pages full and its comparisons
/// short. 128 bits make a collision practically impossible, and lookups check each tx's
/// events anyway.
const VALUE_HASH_LEN: usize = 16;
const VALUE_KEY_LEN: usize = VALUE_HASH_LEN + 8;
/// A row entry: the tx's index in its block, and the [`attribute_tag`] of the attribute name.
const ENTRY_LEN: usize = 8;

/// The start of every row of attribute value `value`: its truncated SHA-256.
fn value_prefix(value: &str) -> [u8; VALUE_HASH_LEN] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(value.as_bytes());
    digest[..VALUE_HASH_LEN].try_into().expect("16 bytes")
}

/// The row of value `value` at height `h`: [`value_prefix`] and the height, so one value's
/// rows run oldest first.
fn value_key(value: &str, h: u64) -> [u8; VALUE_KEY_LEN] {
    let mut k = [0; VALUE_KEY_LEN];
    k[..VALUE_HASH_LEN].copy_from_slice(&value_prefix(value));
    k[VALUE_HASH_LEN..].copy_from_slice(&h.to_be_bytes());
    k
}

/// A short tag for the attribute name `kind.key` in row entries. Tags of different names may
/// collide; a lookup confirms each tx against its stored events.
fn attribute_tag(kind: &str, key: &str) -> [u8; 4] {
    use sha2::{Digest, Sha256};
    let mut d = Sha256::new();
    d.update(kind.as_bytes());
    d.update(b".");
    d.update(key.as_bytes());
    d.finalize()[..4].try_into().expect("4 bytes")
}

/// Read access to stored blocks and txs. Lookups through the tx index first wait (briefly) for
/// the follower to index every committed block, so a tx is found as soon as its block commits.
#[derive(Clone)]
pub struct BlockStore {
    store: Store,
    index: IndexStore,
    progress: Arc<Progress>,
}

impl BlockStore {
    pub fn new(store: Store, index: IndexStore, progress: Arc<Progress>) -> Self {
        BlockStore {
            store,
            index,
            progress,
        }
    }

    pub fn index(&self) -> &IndexStore {
        &self.index
    }

    /// Waits until the index holds every block committed so far, or `timeout` passes; says
    /// whether it got there. Lookups through the index wait at most a few seconds: a follower
    /// rebuilding a long chain after a restart answers with what it has.
    pub fn wait_indexed(&self, timeout: std::time::Duration) -> Result<bool, StoreError> {
        let committed = self.store.last_commit().height;
        self.progress
            .wait_for(committed, timeout)
            .map_err(StoreError::Corrupt)
    }

    fn get<T: DeserializeOwned>(&self, table: &'static str, key: &[u8]) -> Option<T> {
        self.store
            .aux_get(table, key)
            .unwrap_or_else(|e| panic!("block store read failed: {e}"))
            .map(|b| dec(&b))
    }

    pub fn block(&self, height: u64) -> Option<StoredBlock> {
        self.get(BLOCKS, &height.to_be_bytes())
    }

    pub fn block_by_hash(&self, hash: &[u8; 32]) -> Option<StoredBlock> {
        let h: Vec<u8> = self.store.aux_get(BLOCK_HASHES, hash).ok()??;
        self.block(u64::from_be_bytes(h.try_into().ok()?))
    }

    pub fn results(&self, height: u64) -> Option<BlockResults> {
        let mut r: BlockResults = self.get(RESULTS, &height.to_be_bytes())?;
        if r.tx_results.is_empty() {
            r.tx_results = self
                .block_txs(height)
                .into_iter()
                .map(|t| t.result)
                .collect();
        }
        Some(r)
    }

    /// The txs of block `height` with their results, in block order.
    pub fn block_txs(&self, height: u64) -> Vec<IndexedTx> {
        let range = |table| {
            self.store
                .aux_range(
                    table,
                    &position_key(height, 0),
                    Some(&position_key(height + 1, 0)),
                    false,
                    usize::MAX,
                )
                .unwrap_or_else(|e| panic!("block store read failed: {e}"))
        };
        let rows = range(TX_ROWS);
        if !rows.is_empty() {
            return rows.into_iter().map(|(_, v)| dec(&v)).collect();
        }
        range(LEGACY_TX_POS)
            .into_iter()
            .filter_map(|(_, hash)| self.get(LEGACY_TXS, &hash))
            .collect()
    }

    pub fn valset_bytes(&self, height: u64) -> Option<Vec<u8>> {
        self.store
            .aux_get(VALSETS, &height.to_be_bytes())
            .unwrap_or_else(|e| panic!("block store read failed: {e}"))
    }

    pub fn commit(&self, height: u64) -> Option<Commit> {
        self.get(COMMITS, &height.to_be_bytes())
    }

    pub fn tx(&self, hash: &[u8; 32]) -> Option<IndexedTx> {
        if let Err(e) = self.wait_indexed(INDEX_WAIT) {
            tracing::error!("tx index: {e}");
        }
        let position = self
            .index
            .get(TX_HASHES, hash)
            .unwrap_or_else(|e| panic!("tx index read failed: {e}"))?;
        let (height, index) = position.split_at(8);
        self.tx_at(
            u64::from_be_bytes(height.try_into().expect("8-byte height")),
            u32::from_be_bytes(index.try_into().expect("4-byte index")),
        )
        .unwrap_or_else(|e| panic!("block store read failed: {e}"))
    }

    /// The tx at `index` of block `height`.
    fn tx_at(&self, height: u64, index: u32) -> Result<Option<IndexedTx>, StoreError> {
        let position = position_key(height, index);
        if let Some(row) = self.store.aux_get(TX_ROWS, &position)? {
            return Ok(Some(dec(&row)));
        }
        Ok(match self.store.aux_get(LEGACY_TX_POS, &position)? {
            Some(hash) => self.store.aux_get(LEGACY_TXS, &hash)?.map(|b| dec(&b)),
            None => None,
        })
    }

    pub fn earliest_height(&self) -> u64 {
        self.store
            .aux_range(BLOCKS, &[], None, false, 1)
            .ok()
            .and_then(|v| v.into_iter().next())
            .map_or(0, |(k, _)| {
                u64::from_be_bytes(k.try_into().expect("8-byte height"))
            })
    }

    /// Txs with an indexed attribute `kind.key=value`, oldest first.
    pub fn txs_with_event(
        &self,
        kind: &str,
        key: &str,
        value: &str,
    ) -> Result<Vec<IndexedTx>, StoreError> {
        self.wait_indexed(INDEX_WAIT)?;
        let start = value_key(value, 0);
        let mut end = value_key(value, u64::MAX).to_vec();
        end.push(0);
        let tag = attribute_tag(kind, key);
        let mut out = Vec::new();
        for (k, v) in self
            .index
            .range(TX_ATTRS, &start, Some(&end), false, usize::MAX)?
        {
            let height = u64::from_be_bytes(k[VALUE_HASH_LEN..].try_into().expect("8-byte height"));
            let mut last = None;
            for entry in v.chunks_exact(ENTRY_LEN).filter(|e| e[4..] == tag) {
                let index = u32::from_be_bytes(entry[..4].try_into().expect("4 bytes"));
                if last == Some(index) {
                    continue;
                }
                last = Some(index);
                // The tags (and, in theory, the value hashes) of other attributes can collide:
                // only a tx whose stored events carry this indexed attribute is an answer.
                out.extend(self.tx_at(height, index)?.filter(|t| {
                    t.result.events.iter().any(|e| {
                        e.kind == kind
                            && e.attributes
                                .iter()
                                .any(|a| a.index && a.key == key && a.value == value)
                    })
                }));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indexer::Indexer;
    use kumo_app::abci::{Event, TxResult};
    use kumo_store::StoreOptions;

    /// Block 1 holding `txs`, and its results.
    fn block_one(txs: &[Vec<u8>], results: &[TxResult]) -> (StoredBlock, BlockResults) {
        let mut block = StoredBlock {
            num_txs: txs.len() as u64,
            ..Default::default()
        };
        block.block.header.height = 1;
        block.block.txs = txs.to_vec();
        let block_results = BlockResults {
            height: 1,
            tx_results: results.to_vec(),
            ..Default::default()
        };
        (block, block_results)
    }

    /// Commits block 1 with `txs` and their `results` in the current layout.
    fn store_with_block(txs: &[Vec<u8>], results: &[TxResult]) -> Store {
        let store = Store::in_memory(StoreOptions::default()).unwrap();
        let (block, block_results) = block_one(txs, results);
        let prepared = store.prepare(1, Default::default()).unwrap();
        let aux = block_writes(&block, &block_results, &Commit::default());
        store.commit(prepared, aux).unwrap();
        store
    }

    fn indexed(store: Store, index: IndexStore) -> (BlockStore, Indexer) {
        let progress = Arc::new(Progress::default());
        let blocks = BlockStore::new(store, index, progress.clone());
        let indexer = Indexer::start(blocks.clone(), progress, 1).unwrap();
        assert!(blocks.wait_indexed(INDEX_WAIT).unwrap());
        (blocks, indexer)
    }

    fn found(blocks: &BlockStore, attribute: &str, value: &str) -> Vec<u32> {
        let (kind, key) = attribute.split_once('.').unwrap();
        let txs = blocks.txs_with_event(kind, key, value).unwrap();
        txs.into_iter().map(|t| t.index).collect()
    }

    /// One row per distinct value per block, listing each (tx, attribute) once; a lookup finds
    /// the txs that carry the value under the attribute asked for, and only indexed ones.
    #[test]
    fn attribute_rows_are_keyed_by_value() {
        let (alice, bob) = ("akash1alice", "akash1bob");
        let mut unindexed = Event::new("coin_received").attr("receiver", bob);
        unindexed.attributes[0].index = false;
        let results = vec![
            TxResult {
                events: vec![
                    Event::new("message").attr("sender", alice),
                    Event::new("transfer")
                        .attr("sender", alice)
                        .attr("amount", "1uakt"),
                    Event::new("transfer")
                        .attr("sender", alice)
                        .attr("recipient", bob),
                    unindexed,
                ],
                ..Default::default()
            },
            TxResult {
                events: vec![Event::new("message").attr("sender", bob)],
                ..Default::default()
            },
        ];
        let txs = vec![b"tx zero".to_vec(), b"tx one".to_vec()];
        let store = store_with_block(&txs, &results);
        let (block, block_results) = block_one(&txs, &results);
        let rows = index_writes(&block, &block_results);
        let attr_rows: Vec<&AuxWrite> = rows.iter().filter(|w| w.table == TX_ATTRS).collect();
        assert_eq!(rows.len() - attr_rows.len(), 2, "one hash row per tx");
        // alice, bob and 1uakt: three values, three rows.
        assert_eq!(attr_rows.len(), 3);
        let row = |value: &str| {
            let key = value_key(value, 1);
            let w = attr_rows.iter().find(|w| w.key == key).expect("row");
            w.value.clone().unwrap()
        };
        let entry = |i: u32, attribute: &str| {
            let (kind, key) = attribute.split_once('.').unwrap();
            [i.to_be_bytes(), attribute_tag(kind, key)].concat()
        };
        // transfer.sender twice in tx 0 is listed once; the unindexed receiver not at all.
        assert_eq!(
            row(alice),
            [entry(0, "message.sender"), entry(0, "transfer.sender")].concat()
        );
        assert_eq!(
            row(bob),
            [entry(0, "transfer.recipient"), entry(1, "message.sender")].concat()
        );

        let (blocks, indexer) = indexed(store, IndexStore::in_memory().unwrap());
        assert_eq!(found(&blocks, "message.sender", alice), [0]);
        assert_eq!(found(&blocks, "transfer.sender", alice), [0]);
        assert_eq!(found(&blocks, "transfer.recipient", bob), [0]);
        assert_eq!(found(&blocks, "message.sender", bob), [1]);
        assert_eq!(found(&blocks, "transfer.amount", "1uakt"), [0]);
        assert!(found(&blocks, "coin_received.receiver", bob).is_empty());
        assert!(found(&blocks, "transfer.recipient", alice).is_empty());
        assert!(found(&blocks, "message.sender", "akash1carol").is_empty());
        drop(indexer);
    }

    /// Attribute tags are 4 bytes and can collide: a lookup under a name whose tag equals an
    /// indexed one's still answers only txs that carry the name asked for.
    #[test]
    fn a_tag_collision_finds_nothing_extra() {
        // A birthday search finds two names with the same tag in ~2^16 tries.
        let mut seen = std::collections::HashMap::new();
        let (first, second) = (0u32..)
            .find_map(|i| {
                let name = format!("k{i}");
                let tag = attribute_tag("ev", &name);
                seen.insert(tag, name.clone()).map(|other| (other, name))
            })
            .unwrap();
        let results = vec![TxResult {
            events: vec![Event::new("ev").attr(&first, "v")],
            ..Default::default()
        }];
        let store = store_with_block(&[b"tx".to_vec()], &results);
        let (blocks, indexer) = indexed(store, IndexStore::in_memory().unwrap());
        assert_eq!(found(&blocks, &format!("ev.{first}"), "v"), [0]);
        assert!(found(&blocks, &format!("ev.{second}"), "v").is_empty());
        drop(indexer);
    }

    /// An index written in an older layout (layout 1: `tx_events` rows, no layout recorded) is
    /// cleared and rebuilt from the stored blocks when the follower starts.
    #[test]
    fn an_index_in_an_older_layout_is_rebuilt() {
        let results = vec![TxResult {
            events: vec![Event::new("transfer").attr("recipient", "akash1bob")],
            ..Default::default()
        }];
        let store = store_with_block(&[b"tx".to_vec()], &results);
        let index = IndexStore::in_memory().unwrap();
        let old_row = put(
            "tx_events",
            b"transfer.recipient=akash1bob\0".to_vec(),
            vec![0; 4],
        );
        index.write(1, &[old_row], true).unwrap();
        assert_eq!(index.layout().unwrap(), 0);
        let (blocks, indexer) = indexed(store, index.clone());
        assert_eq!(index.layout().unwrap(), INDEX_LAYOUT);
        assert_eq!(index.height().unwrap(), 1);
        assert!(index
            .range("tx_events", &[], None, false, 1)
            .unwrap()
            .is_empty());
        assert_eq!(found(&blocks, "transfer.recipient", "akash1bob"), [0]);
        drop(indexer);
        // Reopened in the current layout, it is kept as it is.
        index
            .write(1, &[put("probe", b"k".to_vec(), b"v".to_vec())], true)
            .unwrap();
        let progress = Arc::new(Progress::default());
        let again = BlockStore::new(blocks.store.clone(), index.clone(), progress.clone());
        let indexer = Indexer::start(again.clone(), progress, 1).unwrap();
        assert!(again.wait_indexed(INDEX_WAIT).unwrap());
        assert_eq!(found(&again, "transfer.recipient", "akash1bob"), [0]);
        assert_eq!(index.get("probe", b"k").unwrap(), Some(b"v".to_vec()));
        drop(indexer);
    }

    /// A store written in the layout before `tx_rows` (txs by hash, positions to hashes, results
    /// inline) still answers: blocks, results and txs, and its index is built from it.
    #[test]
    fn a_store_in_the_legacy_layout_still_answers() {
        let store = Store::in_memory(StoreOptions::default()).unwrap();
        let txs: Vec<Vec<u8>> = vec![b"first tx".to_vec(), b"second tx".to_vec()];
        let results: Vec<TxResult> = (0..2)
            .map(|i| TxResult {
                gas_used: 100 + i,
                events: vec![Event::new("transfer").attr("recipient", format!("r{i}"))],
                ..Default::default()
            })
            .collect();
        let (block, block_results) = block_one(&txs, &results);
        let mut aux = vec![
            put(BLOCKS, 1u64.to_be_bytes().to_vec(), enc(&block)),
            put(RESULTS, 1u64.to_be_bytes().to_vec(), enc(&block_results)),
        ];
        for (i, (tx, result)) in txs.iter().zip(&results).enumerate() {
            let hash = kumo_crypto::tx_hash(tx);
            let indexed = IndexedTx {
                hash,
                height: 1,
                index: i as u32,
                tx: tx.clone(),
                result: result.clone(),
            };
            aux.push(put(LEGACY_TXS, hash.to_vec(), enc(&indexed)));
            aux.push(put(LEGACY_TX_POS, position_key(1, i as u32), hash.to_vec()));
        }
        let prepared = store.prepare(1, Default::default()).unwrap();
        store.commit(prepared, aux).unwrap();

        let progress = Arc::new(Progress::default());
        let blocks = BlockStore::new(store, IndexStore::in_memory().unwrap(), progress.clone());
        let stored = blocks.block_txs(1);
        assert_eq!(stored.iter().map(|t| t.tx.clone()).collect::<Vec<_>>(), txs);
        assert_eq!(blocks.results(1).unwrap().tx_results, results);
        // The follower indexes the legacy block; lookups by hash and by event find its txs.
        let indexer = Indexer::start(blocks.clone(), progress, 1).unwrap();
        for (i, tx) in txs.iter().enumerate() {
            let found = blocks.tx(&kumo_crypto::tx_hash(tx)).expect("found by hash");
            assert_eq!((found.index, &found.tx), (i as u32, tx));
        }
        let found = blocks
            .txs_with_event("transfer", "recipient", "r1")
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].tx, txs[1]);
        drop(indexer);
    }
}
