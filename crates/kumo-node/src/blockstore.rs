//! Blocks, results, commits and the tx index, kept in aux tables of the state store so they
//! commit in the same transaction as the block's state (a crash never leaves a block without
//! its state or the reverse).

use crate::types::*;
use kumo_store::{AuxWrite, Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};

const BLOCKS: &str = "blocks"; // height -> StoredBlock
const BLOCK_HASHES: &str = "block_hashes"; // hash -> height
/// height -> BlockResults without its tx results: each tx's result is stored once, in its `txs`
/// row, and `results` puts them back in block order (rows written before this had them inline).
const RESULTS: &str = "block_results";
const COMMITS: &str = "commits"; // height -> Commit that finalized it
const TXS: &str = "txs"; // hash -> IndexedTx
const TX_POS: &str = "tx_positions"; // height index -> hash
/// "type.key=value" 0x00 height -> the indexes (u32 BE each) of that block's txs carrying the
/// attribute: one row per distinct attribute value per block, not one per tx, since most
/// values (action, module, fee collector, ...) repeat across a block's txs.
const TX_EVENTS: &str = "tx_events";

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
                    (hash, enc(&indexed))
                })
                .collect::<Vec<_>>()
        },
    );
    let mut w = Vec::with_capacity(4 + 2 * txs.len());
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
    let mut events: std::collections::BTreeMap<Vec<u8>, Vec<u8>> = Default::default();
    for (i, ((hash, indexed), result)) in txs.into_iter().zip(&results.tx_results).enumerate() {
        w.push(put(TXS, hash.to_vec(), indexed));
        w.push(put(TX_POS, position_key(h, i as u32), hash.to_vec()));
        for ev in &result.events {
            for a in ev.attributes.iter().filter(|a| a.index) {
                let mut key = event_prefix(&ev.kind, &a.key, &a.value);
                key.extend_from_slice(&h.to_be_bytes());
                let txs = events.entry(key).or_default();
                // A tx that carries the same attribute twice is listed once.
                if !txs.ends_with(&(i as u32).to_be_bytes()) {
                    txs.extend_from_slice(&(i as u32).to_be_bytes());
                }
            }
        }
    }
    w.extend(events.into_iter().map(|(k, v)| put(TX_EVENTS, k, v)));
    w
}

fn position_key(height: u64, index: u32) -> Vec<u8> {
    [&height.to_be_bytes()[..], &index.to_be_bytes()].concat()
}

fn event_prefix(kind: &str, key: &str, value: &str) -> Vec<u8> {
    let mut k = format!("{kind}.{key}={value}").into_bytes();
    k.push(0);
    k
}

/// Read access to stored blocks and txs.
#[derive(Clone)]
pub struct BlockStore {
    store: Store,
}

impl BlockStore {
    pub fn new(store: Store) -> Self {
        BlockStore { store }
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
            let rows = self
                .store
                .aux_range(
                    TX_POS,
                    &position_key(height, 0),
                    Some(&position_key(height + 1, 0)),
                    false,
                    usize::MAX,
                )
                .unwrap_or_else(|e| panic!("block store read failed: {e}"));
            for (_, hash) in rows {
                let hash: [u8; 32] = hash.try_into().expect("32-byte hash");
                r.tx_results.push(self.tx(&hash)?.result);
            }
        }
        Some(r)
    }

    pub fn commit(&self, height: u64) -> Option<Commit> {
        self.get(COMMITS, &height.to_be_bytes())
    }

    pub fn tx(&self, hash: &[u8; 32]) -> Option<IndexedTx> {
        self.get(TXS, hash)
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

    /// Hashes of txs with an indexed attribute `kind.key=value`, oldest first.
    pub fn txs_with_event(
        &self,
        kind: &str,
        key: &str,
        value: &str,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        let prefix = event_prefix(kind, key, value);
        let mut end = prefix.clone();
        *end.last_mut().expect("non-empty") = 1;
        let mut out = Vec::new();
        for (k, v) in self
            .store
            .aux_range(TX_EVENTS, &prefix, Some(&end), false, usize::MAX)?
        {
            let height = u64::from_be_bytes(k[prefix.len()..].try_into().expect("8-byte height"));
            for index in v.chunks_exact(4) {
                let index = u32::from_be_bytes(index.try_into().expect("4 bytes"));
                if let Some(hash) = self.store.aux_get(TX_POS, &position_key(height, index))? {
                    out.push(hash.try_into().expect("32-byte hash"));
                }
            }
        }
        Ok(out)
    }
}
