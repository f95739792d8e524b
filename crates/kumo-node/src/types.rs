//! Blocks, results and indexed txs as the node stores and serves them (CometBFT 0.38 shapes,
//! in our own structs; the RPC layer renders them to the exact JSON cosmjs parses).

use kumo_app::abci::{BlockTime, Event, TxResult, ValidatorUpdate};
use serde::{Deserialize, Serialize};

/// `BlockID`: the header hash plus the part-set header (one part per block here).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockId {
    pub hash: [u8; 32],
    pub parts_total: u32,
    pub parts_hash: [u8; 32],
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub chain_id: String,
    pub height: u64,
    pub time: BlockTime,
    /// `None` at height 1.
    pub last_block_id: Option<BlockId>,
    pub last_commit_hash: [u8; 32],
    pub data_hash: [u8; 32],
    pub validators_hash: [u8; 32],
    pub next_validators_hash: [u8; 32],
    pub consensus_hash: [u8; 32],
    /// App hash after the previous block (CometBFT semantics).
    pub app_hash: [u8; 32],
    pub last_results_hash: [u8; 32],
    pub evidence_hash: [u8; 32],
    pub proposer_address: [u8; 20],
}

/// One validator's signature in a commit. `block_id_flag` 2 = COMMIT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSig {
    pub block_id_flag: u8,
    pub validator_address: [u8; 20],
    pub timestamp: BlockTime,
    pub signature: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub height: u64,
    pub round: u32,
    /// `None` for the empty commit carried by block 1.
    pub block_id: Option<BlockId>,
    pub signatures: Vec<CommitSig>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub header: Header,
    pub txs: Vec<Vec<u8>>,
    /// The commit for the previous block.
    pub last_commit: Commit,
    /// Proof that validators signed two conflicting messages (slashed by this block).
    pub evidence: Vec<Evidence>,
}

/// Two conflicting consensus messages signed with one validator's key at the same height,
/// round and step, as the engine reported them (borsh-encoded signed messages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub validator_address: [u8; 20],
    pub height: u64,
    pub first: Vec<u8>,
    pub second: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EvidenceKind {
    /// Two prevotes or two precommits.
    DuplicateVote,
    /// Two proposals.
    DuplicateProposal,
}

/// A block as stored: its id, the block, and its size in bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBlock {
    pub block_id: BlockId,
    pub block: Block,
    pub size: u64,
    pub num_txs: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockResults {
    pub height: u64,
    pub tx_results: Vec<TxResult>,
    pub finalize_block_events: Vec<Event>,
    pub validator_updates: Vec<ValidatorUpdate>,
    pub app_hash: [u8; 32],
}

/// A tx in a committed block, as `tx` / `tx_search` return it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedTx {
    pub hash: [u8; 32],
    pub height: u64,
    pub index: u32,
    pub tx: Vec<u8>,
    pub result: TxResult,
}

/// Static facts about this node for `status` / `net_info`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub chain_id: String,
    pub moniker: String,
    /// Node id: 20 bytes, lower hex in CometBFT output.
    pub node_id: [u8; 20],
    pub p2p_listen_addr: String,
    pub rpc_listen_addr: String,
    /// CometBFT version string we report ("0.38.17": picks cosmjs's Comet38Client).
    pub version: String,
}

/// A peer of the consensus network, as `net_info` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// CometBFT-style node id (hex of the first 20 bytes of sha256(node public key)).
    pub node_id: String,
    pub moniker: String,
    pub remote_addr: String,
    pub outbound: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorInfo {
    pub address: [u8; 20],
    /// ed25519 public key.
    pub pub_key: [u8; 32],
    pub voting_power: i64,
    pub proposer_priority: i64,
}

/// A parsed `tx_search` / `subscribe` query: conditions joined by AND.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxQuery {
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// `tx.hash`, `tx.height`, or `<event type>.<attribute key>`.
    pub key: String,
    pub op: Op,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Eq(QueryValue),
    Lt(QueryValue),
    Le(QueryValue),
    Gt(QueryValue),
    Ge(QueryValue),
    Contains(String),
    Exists,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryValue {
    Str(String),
    /// Unquoted integer (`tx.height=5`).
    Int(i128),
}

/// What the node pushes to websocket subscribers.
#[derive(Clone, Debug)]
pub enum NodeEvent {
    NewBlock {
        block: std::sync::Arc<StoredBlock>,
        results: std::sync::Arc<BlockResults>,
    },
    Tx(std::sync::Arc<IndexedTx>),
}

/// Why the mempool refused a tx before CheckTx (these become JSON-RPC errors, not tx codes).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    #[error("mempool is full: number of txs {count} (max: {max})")]
    Full { count: usize, max: usize },
}
