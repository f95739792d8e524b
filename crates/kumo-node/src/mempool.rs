//! The mempool: txs that passed CheckTx, in arrival order, with a hash set for duplicates.
//! Each tx keeps its decoded form, so the re-check after a block does not decode it again.

use kumo_app::tx::DecodedTx;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

/// A tx waiting in the mempool: hash, bytes, decoded form.
pub type PendingTx = ([u8; 32], Vec<u8>, Arc<DecodedTx>);

pub struct Mempool {
    txs: VecDeque<PendingTx>,
    hashes: HashSet<[u8; 32]>,
    bytes: usize,
    pub max_txs: usize,
}

impl Mempool {
    pub fn new(max_txs: usize) -> Self {
        Mempool {
            txs: VecDeque::new(),
            hashes: HashSet::new(),
            bytes: 0,
            max_txs,
        }
    }

    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.hashes.contains(hash)
    }

    pub fn len(&self) -> usize {
        self.txs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_full(&self) -> bool {
        self.txs.len() >= self.max_txs
    }

    pub fn push(&mut self, hash: [u8; 32], tx: Vec<u8>, decoded: Arc<DecodedTx>) {
        if self.hashes.insert(hash) {
            self.bytes += tx.len();
            self.txs.push_back((hash, tx, decoded));
        }
    }

    /// Txs for the next block, oldest first, within `max_bytes`.
    pub fn reap(&self, max_bytes: usize) -> Vec<Vec<u8>> {
        let mut total = 0;
        let mut out = Vec::new();
        for (_, tx, _) in &self.txs {
            if total + tx.len() > max_bytes {
                break;
            }
            total += tx.len();
            out.push(tx.clone());
        }
        out
    }

    pub fn peek(&self, limit: usize) -> Vec<Vec<u8>> {
        self.txs
            .iter()
            .take(limit)
            .map(|(_, t, _)| t.clone())
            .collect()
    }

    /// Removes everything and returns it (for re-checking after a block).
    pub fn drain(&mut self) -> Vec<PendingTx> {
        self.hashes.clear();
        self.bytes = 0;
        self.txs.drain(..).collect()
    }

    pub fn remove(&mut self, hashes: &HashSet<[u8; 32]>) {
        self.txs.retain(|(h, _, _)| !hashes.contains(h));
        for h in hashes {
            self.hashes.remove(h);
        }
        self.bytes = self.txs.iter().map(|(_, t, _)| t.len()).sum();
    }
}
