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
/// height index -> IndexedTx. Keyed by position so a block's txs are appended in order (a
/// copy-on-write B-tree rewrites every page a random key lands in; appends fill fresh pages).
const TX_ROWS: &str = "tx_rows";
/// Index store: hash -> height index, the small random-keyed row that finds a tx by hash.
const TX_HASHES: &str = "tx_hashes";
/// Layout before `tx_rows`: hash -> IndexedTx, and height index -> hash. Still read, so stores
/// written before keep answering; nothing writes them any more.
const LEGACY_TXS: &str = "txs";
const LEGACY_TX_POS: &str = "tx_positions";
const TX_EVENTS: &str = "tx_events";

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
                    let hash = kumo_app::tx::tx_hash(tx);
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

/// The index store writes for one block: each tx by hash, and by each indexed event attribute.
pub fn index_writes(block: &StoredBlock, results: &BlockResults) -> Vec<AuxWrite> {
    let h = block.block.header.height;
    // Attribute rows are gathered in a hash map and sorted once: a block has tens of thousands
    // of attributes but far fewer distinct ones, and long keys make every comparison costly.
    let mut events: std::collections::HashMap<Vec<u8>, Vec<u8>> = Default::default();
    let mut hashes = Vec::with_capacity(block.block.txs.len());
    for (i, (tx, result)) in block.block.txs.iter().zip(&results.tx_results).enumerate() {
        let hash = kumo_app::tx::tx_hash(tx);
        hashes.push(put(TX_HASHES, hash.to_vec(), position_key(h, i as u32)));
        let index = (i as u32).to_be_bytes();
        for ev in &result.events {
            for a in ev.attributes.iter().filter(|a| a.index) {
                let txs = events
                    .entry(event_key(&ev.kind, &a.key, &a.value, h))
                    .or_default();
                // A tx that carries the same attribute twice is listed once.
                if !txs.ends_with(&index) {
                    txs.extend_from_slice(&index);
                }
            }
        }
    }
    let mut rows: Vec<(Vec<u8>, Vec<u8>)> = events.into_iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut w = hashes;
    w.extend(rows.into_iter().map(|(k, v)| put(TX_EVENTS, k, v)));
    w
}

fn position_key(height: u64, index: u32) -> Vec<u8> {
    [&height.to_be_bytes()[..], &index.to_be_bytes()].concat()
}

/// `kind.key=value` and a 0 byte: the prefix of one attribute's rows, all heights.
fn event_prefix(kind: &str, key: &str, value: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(kind.len() + key.len() + value.len() + 3 + 8);
    for part in [
        kind.as_bytes(),
        b".",
        key.as_bytes(),
        b"=",
        value.as_bytes(),
        &[0],
    ] {
        k.extend_from_slice(part);
    }
    k
}

/// The row of one attribute at height `h`: [`event_prefix`] and the height.
fn event_key(kind: &str, key: &str, value: &str, h: u64) -> Vec<u8> {
    let mut k = event_prefix(kind, key, value);
    k.extend_from_slice(&h.to_be_bytes());
    k
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
        let prefix = event_prefix(kind, key, value);
        let mut end = prefix.clone();
        *end.last_mut().expect("non-empty") = 1;
        let mut out = Vec::new();
        for (k, v) in self
            .index
            .range(TX_EVENTS, &prefix, Some(&end), false, usize::MAX)?
        {
            let height = u64::from_be_bytes(k[prefix.len()..].try_into().expect("8-byte height"));
            for index in v.chunks_exact(4) {
                let index = u32::from_be_bytes(index.try_into().expect("4 bytes"));
                out.extend(self.tx_at(height, index)?);
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
        let mut block = StoredBlock {
            num_txs: 2,
            ..Default::default()
        };
        block.block.header.height = 1;
        block.block.txs = txs.clone();
        let block_results = BlockResults {
            height: 1,
            tx_results: results.clone(),
            ..Default::default()
        };
        let mut aux = vec![
            put(BLOCKS, 1u64.to_be_bytes().to_vec(), enc(&block)),
            put(RESULTS, 1u64.to_be_bytes().to_vec(), enc(&block_results)),
        ];
        for (i, (tx, result)) in txs.iter().zip(&results).enumerate() {
            let hash = kumo_app::tx::tx_hash(tx);
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
            let found = blocks
                .tx(&kumo_app::tx::tx_hash(tx))
                .expect("found by hash");
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
