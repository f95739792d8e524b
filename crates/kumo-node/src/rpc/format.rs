//! JSON renderers for CometBFT 0.38 shapes (spec §1.4): int64 as strings, uint32 as numbers,
//! `HexBytes` as uppercase hex, `[]byte` as base64, RFC 3339 UTC times with nanoseconds and
//! plain-string event attributes.

use crate::types::{
    Block, BlockId, BlockResults, Commit, CommitSig, Header, IndexedTx, StoredBlock, ValidatorInfo,
};
use base64::Engine;
use kumo_app::abci::{BlockTime, Event, TxResult, ValidatorUpdate};
use kumo_proto::time;
use serde_json::{json, Value};

/// CometBFT block protocol version reported in headers and `node_info`.
pub const BLOCK_PROTOCOL: &str = "11";
/// CometBFT p2p protocol version reported in `node_info`.
pub const P2P_PROTOCOL: &str = "8";

pub fn hex_upper(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Go's `[]byte` JSON: `null` when empty, base64 otherwise.
pub fn b64_or_null(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        Value::Null
    } else {
        Value::String(b64(bytes))
    }
}

/// RFC 3339 UTC with exactly nine fractional digits, e.g. `2026-11-25T05:25:38.648000000Z`.
pub fn rfc3339_nanos(t: BlockTime) -> String {
    time::rfc3339(t.seconds, t.nanos, time::Fraction::Nanos)
}

/// RFC 3339 UTC as protobuf JSON writes `Timestamp`: 0, 3, 6 or 9 fractional digits.
pub fn rfc3339_proto(t: BlockTime) -> String {
    time::rfc3339(t.seconds, t.nanos, time::Fraction::Proto)
}

/// Go's zero `time.Time`, which CometBFT prints for absent commit signatures.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub fn block_id_json(id: Option<&BlockId>) -> Value {
    match id {
        Some(id) => json!({
            "hash": hex_upper(&id.hash),
            "parts": {"total": id.parts_total, "hash": hex_upper(&id.parts_hash)},
        }),
        None => json!({"hash": "", "parts": {"total": 0, "hash": ""}}),
    }
}

pub fn header_json(h: &Header) -> Value {
    json!({
        "version": {"block": BLOCK_PROTOCOL, "app": "0"},
        "chain_id": h.chain_id,
        "height": h.height.to_string(),
        "time": rfc3339_nanos(h.time),
        "last_block_id": block_id_json(h.last_block_id.as_ref()),
        "last_commit_hash": hex_upper(&h.last_commit_hash),
        "data_hash": hex_upper(&h.data_hash),
        "validators_hash": hex_upper(&h.validators_hash),
        "next_validators_hash": hex_upper(&h.next_validators_hash),
        "consensus_hash": hex_upper(&h.consensus_hash),
        "app_hash": hex_upper(&h.app_hash),
        "last_results_hash": hex_upper(&h.last_results_hash),
        "evidence_hash": hex_upper(&h.evidence_hash),
        "proposer_address": hex_upper(&h.proposer_address),
    })
}

fn commit_sig_json(s: &CommitSig) -> Value {
    // BlockIDFlagAbsent (1) carries no address, time or signature.
    if s.block_id_flag == 1 {
        return json!({
            "block_id_flag": 1,
            "validator_address": "",
            "timestamp": ZERO_TIME,
            "signature": null,
        });
    }
    json!({
        "block_id_flag": s.block_id_flag,
        "validator_address": hex_upper(&s.validator_address),
        "timestamp": rfc3339_nanos(s.timestamp),
        "signature": b64_or_null(&s.signature),
    })
}

pub fn commit_json(c: &Commit) -> Value {
    json!({
        "height": c.height.to_string(),
        "round": c.round,
        "block_id": block_id_json(c.block_id.as_ref()),
        "signatures": c.signatures.iter().map(commit_sig_json).collect::<Vec<_>>(),
    })
}

pub fn block_json(b: &Block) -> Value {
    json!({
        "header": header_json(&b.header),
        "data": {"txs": b.txs.iter().map(|t| b64(t)).collect::<Vec<_>>()},
        "evidence": {"evidence": []},
        "last_commit": commit_json(&b.last_commit),
    })
}

pub fn block_meta_json(sb: &StoredBlock) -> Value {
    json!({
        "block_id": block_id_json(Some(&sb.block_id)),
        "block_size": sb.size.to_string(),
        "header": header_json(&sb.block.header),
        "num_txs": sb.num_txs.to_string(),
    })
}

pub fn events_json(events: &[Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| {
                json!({
                    "type": e.kind,
                    "attributes": e.attributes.iter().map(|a| json!({
                        "key": a.key, "value": a.value, "index": a.index,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// `ExecTxResult` / `ResponseCheckTx` (same fields in 0.38).
pub fn tx_result_json(r: &TxResult) -> Value {
    json!({
        "code": r.code,
        "data": b64_or_null(&r.data),
        "log": r.log,
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "events": events_json(&r.events),
        "codespace": r.codespace,
    })
}

/// `ResultTx` as `tx` and `tx_search` return it.
pub fn result_tx_json(t: &IndexedTx) -> Value {
    json!({
        "hash": hex_upper(&t.hash),
        "height": t.height.to_string(),
        "index": t.index,
        "tx_result": tx_result_json(&t.result),
        "tx": b64(&t.tx),
    })
}

/// `abci.ValidatorUpdate` as CometBFT 0.38 prints it (protobuf oneof under `Sum`).
pub fn validator_update_json(v: &ValidatorUpdate) -> Value {
    json!({
        "pub_key": {"Sum": {
            "type": "tendermint.crypto.PublicKey_Ed25519",
            "value": {"ed25519": b64(&v.pub_key)},
        }},
        "power": v.power.to_string(),
    })
}

pub fn block_results_json(r: &BlockResults) -> Value {
    json!({
        "height": r.height.to_string(),
        "txs_results": r.tx_results.iter().map(tx_result_json).collect::<Vec<_>>(),
        "finalize_block_events": events_json(&r.finalize_block_events),
        "validator_updates": r.validator_updates.iter().map(validator_update_json).collect::<Vec<_>>(),
        "consensus_param_updates": null,
        "app_hash": hex_upper(&r.app_hash),
    })
}

/// `abci.ResponseFinalizeBlock` inside a `NewBlock` event (app hash as base64 `[]byte`).
pub fn finalize_block_json(r: &BlockResults) -> Value {
    json!({
        "events": events_json(&r.finalize_block_events),
        "tx_results": r.tx_results.iter().map(tx_result_json).collect::<Vec<_>>(),
        "validator_updates": r.validator_updates.iter().map(validator_update_json).collect::<Vec<_>>(),
        "consensus_param_updates": null,
        "app_hash": b64(&r.app_hash),
    })
}

pub fn pub_key_json(key: &[u8; 32]) -> Value {
    json!({"type": "tendermint/PubKeyEd25519", "value": b64(key)})
}

pub fn validator_json(v: &ValidatorInfo) -> Value {
    json!({
        "address": hex_upper(&v.address),
        "pub_key": pub_key_json(&v.pub_key),
        "voting_power": v.voting_power.to_string(),
        "proposer_priority": v.proposer_priority.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64, nanos: u32) -> BlockTime {
        BlockTime { seconds, nanos }
    }

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339_nanos(t(0, 0)), "1970-01-01T00:00:00.000000000Z");
        // 2026-11-25T05:25:38.648Z
        assert_eq!(
            rfc3339_nanos(t(1_795_584_338, 648_000_000)),
            "2026-11-25T05:25:38.648000000Z"
        );
        // Leap day 2024-02-29T23:59:59.000000001Z
        assert_eq!(
            rfc3339_nanos(t(1_709_251_199, 1)),
            "2024-02-29T23:59:59.000000001Z"
        );
        // Before the epoch: 1969-12-31T23:59:59Z
        assert_eq!(rfc3339_nanos(t(-1, 0)), "1969-12-31T23:59:59.000000000Z");
        // 2000-03-01 (century leap year boundary)
        assert_eq!(
            rfc3339_nanos(t(951_868_800, 0)),
            "2000-03-01T00:00:00.000000000Z"
        );
    }

    #[test]
    fn proto_time_trims_to_groups_of_three() {
        assert_eq!(rfc3339_proto(t(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_proto(t(0, 500_000_000)), "1970-01-01T00:00:00.500Z");
        assert_eq!(rfc3339_proto(t(0, 1_000)), "1970-01-01T00:00:00.000001Z");
        assert_eq!(rfc3339_proto(t(0, 7)), "1970-01-01T00:00:00.000000007Z");
    }

    #[test]
    fn empty_block_id_and_bytes() {
        assert_eq!(
            block_id_json(None),
            json!({"hash": "", "parts": {"total": 0, "hash": ""}})
        );
        assert_eq!(b64_or_null(&[]), Value::Null);
        assert_eq!(b64_or_null(&[1, 2, 3]), json!("AQID"));
        assert_eq!(hex_upper(&[0xab, 0x01]), "AB01");
    }
}
