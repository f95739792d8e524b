//! Tx decoding: `TxRaw` -> body, auth info and checked messages. The received body and
//! auth-info bytes are kept verbatim, since signatures cover exactly those bytes.

use crate::errors::{SdkError, SdkResult};
use crate::msgs::Msg;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxBody, TxRaw};
use kumo_crypto::Address;
use prost::Message;

#[derive(Clone, Debug)]
pub struct DecodedTx {
    pub raw: TxRaw,
    pub body: TxBody,
    pub auth_info: AuthInfo,
    pub msgs: Vec<Msg>,
    /// sha256 of the exact bytes received: the tx hash.
    pub hash: [u8; 32],
    pub size: usize,
}

/// The TxBody fields SDK 0.53 added (cosmos-sdk-proto's `TxBody` predates them and would drop
/// them silently): kumo executes neither, so a tx that sets one is refused, not run as if
/// it were ordered.
#[derive(Clone, PartialEq, prost::Message)]
struct TxBodyV053 {
    #[prost(bool, tag = "4")]
    unordered: bool,
    #[prost(message, optional, tag = "5")]
    timeout_timestamp: Option<cosmos_sdk_proto::Timestamp>,
}

pub fn decode_tx(bytes: &[u8]) -> SdkResult<DecodedTx> {
    let raw = TxRaw::decode(bytes)
        .map_err(|e| SdkError::tx_decode(format!("cannot decode TxRaw: {e}")))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| SdkError::tx_decode(format!("cannot decode TxBody: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| SdkError::tx_decode(format!("cannot decode AuthInfo: {e}")))?;
    if body.messages.is_empty() {
        return Err(SdkError::invalid_request(
            "must contain at least one message",
        ));
    }
    let v053 = TxBodyV053::decode(raw.body_bytes.as_slice())
        .map_err(|e| SdkError::tx_decode(format!("cannot decode TxBody: {e}")))?;
    if v053.unordered {
        return Err(SdkError::invalid_request(
            "unordered transactions are not supported; sign with the account sequence",
        ));
    }
    if v053.timeout_timestamp.is_some() {
        return Err(SdkError::invalid_request(
            "timeout timestamps are not supported; use timeout_height",
        ));
    }
    if !body.extension_options.is_empty() {
        return Err(SdkError::unknown_extension_options(format!(
            "rejecting tx with unsupported extension option: {}",
            body.extension_options[0].type_url
        )));
    }
    let msgs = body
        .messages
        .iter()
        .map(Msg::from_any)
        .collect::<SdkResult<Vec<_>>>()?;
    Ok(DecodedTx {
        raw,
        body,
        auth_info,
        msgs,
        hash: kumo_crypto::tx_hash(bytes),
        size: bytes.len(),
    })
}

impl DecodedTx {
    /// Unique signers in order of first appearance (the first pays the fee unless a payer is set).
    pub fn signers(&self) -> Vec<Address> {
        let mut out: Vec<Address> = Vec::new();
        for m in &self.msgs {
            for s in m.signers() {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// SIGN_MODE_DIRECT sign bytes for a signer with `account_number`.
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Vec<u8> {
        SignDoc {
            body_bytes: self.raw.body_bytes.clone(),
            auth_info_bytes: self.raw.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;

    fn raw_with_body_suffix(suffix: &[u8]) -> Vec<u8> {
        let send = MsgSend {
            from_address: Address([1; 20]).to_bech32(kumo_crypto::ACCOUNT_HRP),
            to_address: Address([2; 20]).to_bech32(kumo_crypto::ACCOUNT_HRP),
            amount: vec![Coin {
                denom: "uakt".into(),
                amount: "1".into(),
            }],
        };
        let mut body = TxBody {
            messages: vec![crate::test_ctx::any(&send)],
            ..Default::default()
        }
        .encode_to_vec();
        body.extend_from_slice(suffix);
        TxRaw {
            body_bytes: body,
            auth_info_bytes: AuthInfo::default().encode_to_vec(),
            signatures: vec![vec![0; 64]],
        }
        .encode_to_vec()
    }

    /// SDK 0.53's unordered flag (field 4) and timeout timestamp (field 5) are refused, not
    /// dropped: a tx that asks for them would otherwise run with other semantics than signed.
    #[test]
    fn sdk_053_body_fields_are_refused() {
        assert!(decode_tx(&raw_with_body_suffix(&[])).is_ok());
        let e = decode_tx(&raw_with_body_suffix(&[0x20, 0x01]))
            .err()
            .unwrap();
        assert!(e.log.contains("unordered"), "{}", e.log);
        // field 5, length 2: Timestamp { seconds: 5 }
        let e = decode_tx(&raw_with_body_suffix(&[0x2a, 0x02, 0x08, 0x05]))
            .err()
            .unwrap();
        assert!(e.log.contains("timeout_height"), "{}", e.log);
    }
}
