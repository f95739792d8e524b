//! What the RPC, gRPC and REST servers need from the node. The node implements it; tests can
//! drive the servers with the real node on loopback.

use crate::types::*;
use kumo_app::abci::{InfoResponse, QueryResult, TxResult};

pub trait RpcBackend: Send + Sync + 'static {
    fn node_info(&self) -> NodeInfo;
    fn validator(&self) -> ValidatorInfo;
    /// The validator set of `height`, in set order.
    fn validators(&self, _height: u64) -> Vec<ValidatorInfo> {
        vec![self.validator()]
    }
    /// Peers of the consensus network.
    fn peers(&self) -> Vec<Peer> {
        vec![]
    }
    /// Whether the node is catching up through block sync.
    fn catching_up(&self) -> bool {
        false
    }
    /// Last committed height (0 before the first block).
    fn latest_height(&self) -> u64;
    /// Lowest height whose block is still stored.
    fn earliest_height(&self) -> u64;
    fn block(&self, height: u64) -> Option<StoredBlock>;
    fn block_by_hash(&self, hash: &[u8; 32]) -> Option<StoredBlock>;
    fn block_results(&self, height: u64) -> Option<BlockResults>;
    /// The commit that finalized `height` (for the `commit` method).
    fn commit(&self, height: u64) -> Option<Commit>;
    fn tx(&self, hash: &[u8; 32]) -> Option<IndexedTx>;
    /// Matching txs, paged (page is 1-based), and the total count. Err(msg) for a bad query.
    fn tx_search(
        &self,
        query: &TxQuery,
        page: u64,
        per_page: u64,
        order_desc: bool,
    ) -> Result<(Vec<IndexedTx>, u64), String>;
    /// `height` 0 = latest committed.
    fn abci_query(&self, path: &str, data: &[u8], height: u64) -> QueryResult;
    fn abci_info(&self) -> InfoResponse;
    /// Runs CheckTx and, if it passes, adds the tx to the mempool.
    fn check_tx(&self, tx: Vec<u8>) -> Result<TxResult, MempoolError>;
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<NodeEvent>;
    fn genesis_json(&self) -> serde_json::Value;
    /// (up to `limit` txs, count, total bytes) currently in the mempool.
    fn unconfirmed_txs(&self, limit: usize) -> (Vec<Vec<u8>>, usize, usize);
}
