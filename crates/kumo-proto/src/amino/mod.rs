//! SIGN_MODE_LEGACY_AMINO_JSON (127): the `StdSignDoc` bytes an SDK 0.53 node hashes and verifies,
//! built the way its x/tx `aminojson` encoder builds them: by walking the protobuf descriptors of
//! each message (proto/akash and proto/cosmos), not from hand-written per-type converters.
//!
//! The rules (spec/amino/README.md): the type of a message in an `Any` is its `amino.name` where
//! the proto declares one (the Cosmos msgs, see `facts.rs`), else `"/" + full name` (every Akash
//! msg); keys are proto field names; zero scalars, empty bytes and empty lists are omitted unless
//! `dont_omitempty`; a sub-message present on the wire is written even when empty; 64-bit ints are
//! strings, 32-bit ints and enums numbers, bytes base64; `cosmos.Int` as its decimal string,
//! LegacyDec with 18 decimals; Timestamp as RFC 3339 `Z`, Duration as a nanosecond string; keys
//! sorted and Go's string escaping (`gojson.rs`).
//!
//! Nested messages are signed in full. A third-party report says a real Akash node signs
//! MsgCreateDeployment's groups as `[{}]` (placeholder descriptors in its resolver); kumo does not
//! copy that: a signature that does not cover the group resources and price would let anyone who
//! relays a Ledger-signed tx change what the tenant pays for (README, "Sign modes").

mod encode;
mod facts;
mod gojson;
#[cfg(test)]
mod tests;

use cosmos_sdk_proto::cosmos::tx::v1beta1::Fee;
use cosmos_sdk_proto::Any;
use serde_json::{Map, Value};

/// SignMode enum value of LEGACY_AMINO_JSON in `cosmos.tx.signing.v1beta1`.
pub const SIGN_MODE_LEGACY_AMINO_JSON: i32 = 127;

/// Why a message or sign doc has no amino-JSON form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AminoError {
    /// The type URL names no message kumo knows.
    UnknownType { type_url: String },
    /// The bytes do not decode as the named type.
    Decode { type_url: String, reason: String },
    /// A value the amino-JSON rules cannot write (bad decimal, time out of range, …).
    InvalidValue { field: String, reason: String },
    /// A proto shape the x/tx encoder refuses too (maps, floats, real oneofs, absent
    /// dont_omitempty sub-messages).
    Unsupported { field: String, reason: String },
}

impl std::fmt::Display for AminoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AminoError::UnknownType { type_url } => {
                write!(f, "no amino encoding for type URL {type_url:?}")
            }
            AminoError::Decode { type_url, reason } => {
                write!(f, "cannot decode {type_url}: {reason}")
            }
            AminoError::InvalidValue { field, reason } => {
                write!(f, "amino JSON: invalid value in {field}: {reason}")
            }
            AminoError::Unsupported { field, reason } => {
                write!(f, "amino JSON: {field} is not supported: {reason}")
            }
        }
    }
}

impl std::error::Error for AminoError {}

/// The StdSignDoc bytes for LEGACY_AMINO_JSON (sorted keys, compact, Go's JSON escaping).
pub fn sign_doc_bytes(
    chain_id: &str,
    account_number: u64,
    sequence: u64,
    timeout_height: u64,
    memo: &str,
    fee: &Fee,
    msgs: &[Any],
) -> Result<Vec<u8>, AminoError> {
    let mut fee_json = Map::new();
    // Fee amounts are `legacy_coins`: always an array, `[]` when the fee is zero.
    let amount = fee
        .amount
        .iter()
        .map(encode::coin)
        .collect::<Result<Vec<_>, _>>()?;
    fee_json.insert("amount".into(), Value::Array(amount));
    fee_json.insert("gas".into(), Value::String(fee.gas_limit.to_string()));
    if !fee.payer.is_empty() {
        fee_json.insert("payer".into(), Value::String(fee.payer.clone()));
    }
    if !fee.granter.is_empty() {
        fee_json.insert("granter".into(), Value::String(fee.granter.clone()));
    }

    let mut doc = Map::new();
    doc.insert(
        "account_number".into(),
        Value::String(account_number.to_string()),
    );
    doc.insert("chain_id".into(), Value::String(chain_id.into()));
    doc.insert("fee".into(), Value::Object(fee_json));
    doc.insert("memo".into(), Value::String(memo.into()));
    let msgs = msgs.iter().map(msg_json).collect::<Result<Vec<_>, _>>()?;
    doc.insert("msgs".into(), Value::Array(msgs));
    doc.insert("sequence".into(), Value::String(sequence.to_string()));
    if timeout_height != 0 {
        doc.insert(
            "timeout_height".into(),
            Value::String(timeout_height.to_string()),
        );
    }
    Ok(json_bytes(&Value::Object(doc)))
}

/// One message as the amino `{"type":…,"value":…}` object.
pub fn msg_json(msg: &Any) -> Result<Value, AminoError> {
    encode::any(&msg.type_url, &msg.value)
}

/// `value` as Go's encoding/json writes it (compact, keys sorted, Go's escaping): the bytes that
/// are hashed once the sign doc is built.
pub fn json_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    gojson::write_value(value, &mut out);
    out
}
