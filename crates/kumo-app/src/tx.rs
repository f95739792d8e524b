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
