//! ABCI 2.0-shaped request/response types. The node (solo engine today, Malachite or a CometBFT
//! socket later) drives the app only through these, so every engine sees the same app.

use serde::{Deserialize, Serialize};

/// One event attribute, CometBFT 0.38 style: plain UTF-8 key and value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAttribute {
    pub key: String,
    pub value: String,
    pub index: bool,
}

/// A typed event (`transfer`, `message`, `tx`, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<EventAttribute>,
}

impl Event {
    pub fn new(kind: impl Into<String>) -> Self {
        Event {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    /// Adds an indexed attribute.
    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push(EventAttribute {
            key: key.into(),
            value: value.into(),
            index: true,
        });
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// Result of running one tx, in CheckTx or in a block (CometBFT `ExecTxResult`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxResult {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub info: String,
    /// `cosmos.base.abci.v1beta1.TxMsgData` bytes on success, empty otherwise.
    pub data: Vec<u8>,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

impl TxResult {
    pub fn is_ok(&self) -> bool {
        self.code == 0
    }
}

/// Answer to a query (abci_query, gRPC and REST all end here).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryResult {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub value: Vec<u8>,
    pub height: u64,
    /// gRPC status code matching `code` (0 OK, 3 InvalidArgument, 5 NotFound, 2 Unknown ...).
    pub grpc_code: u32,
}

/// Block time: seconds and nanoseconds since the Unix epoch, chosen by the proposer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockTime {
    pub seconds: i64,
    pub nanos: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizeBlockRequest {
    pub height: u64,
    pub time: BlockTime,
    pub hash: Vec<u8>,
    pub proposer_address: Vec<u8>,
    pub txs: Vec<Vec<u8>>,
    /// The votes of the commit of the previous block (fees and mint are shared among these
    /// validators; liveness counts their signatures).
    pub decided_last_commit: Vec<VoteInfo>,
    /// Evidence of double signing the consensus engine has verified.
    pub misbehavior: Vec<Misbehavior>,
}

/// One validator's vote in the previous block's commit (CometBFT `VoteInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteInfo {
    /// Consensus address: the first 20 bytes of sha256(ed25519 public key).
    pub validator_address: Vec<u8>,
    pub power: i64,
    /// Whether its signature is in the commit (`BLOCK_ID_FLAG_COMMIT`).
    pub signed: bool,
}

/// A double sign proven by the engine (CometBFT `Misbehavior` of type `DUPLICATE_VOTE`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misbehavior {
    pub validator_address: Vec<u8>,
    pub power: i64,
    /// The height and time of the infraction.
    pub height: u64,
    pub time: BlockTime,
    pub total_voting_power: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorUpdate {
    /// ed25519 consensus public key bytes.
    pub pub_key: Vec<u8>,
    pub power: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizeBlockResponse {
    /// Block-level events (begin/end block work such as mint or escrow settlement).
    pub events: Vec<Event>,
    pub tx_results: Vec<TxResult>,
    pub validator_updates: Vec<ValidatorUpdate>,
    /// The app hash this block's writes will produce once committed.
    pub app_hash: [u8; 32],
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoResponse {
    pub data: String,
    pub version: String,
    pub app_version: u64,
    pub last_block_height: u64,
    pub last_block_app_hash: [u8; 32],
}

impl Event {
    /// A typed event as the SDK's `EmitTypedEvent` writes it: the type is the message's full
    /// proto name (`akash.market.v1.EventLeaseCreated`) and each field is one attribute whose
    /// value is that field's proto-JSON (strings quoted, uint64 quoted, enums by name).
    pub fn typed<M: prost::Message + prost::Name>(m: &M) -> Event {
        let json = kumo_proto::json::message_json(m);
        let mut e = Event::new(M::full_name());
        if let serde_json::Value::Object(fields) = json {
            for (k, v) in fields {
                e = e.attr(k, v.to_string());
            }
        }
        e
    }
}
