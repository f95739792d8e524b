//! Transaction building and signing (spec §2.1–2.2): SIGN_MODE_DIRECT, and
//! SIGN_MODE_LEGACY_AMINO_JSON (127, what Ledger and wallets in amino mode sign), whose sign bytes
//! are the StdSignDoc JSON of `kumo_proto::amino` instead of the `SignDoc` below; the TxRaw is
//! built the same way with `mode_info.single.mode = 127`.
//!
//! ```text
//! body_bytes      = TxBody{messages, memo, timeout_height}
//! auth_info_bytes = AuthInfo{[SignerInfo{Any(/cosmos.crypto.secp256k1.PubKey), single DIRECT, sequence}],
//!                            Fee{amount, gas_limit}}
//! sign bytes      = SignDoc{body_bytes, auth_info_bytes, chain_id, account_number}
//! signature       = 64-byte r‖s, low-S ECDSA over SHA-256(sign bytes)
//! broadcast       = TxRaw{body_bytes, auth_info_bytes, [signature]};  hash = upper-hex SHA-256
//! ```

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as ProtoPubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::{PrivKey, PubKey};
use kumo_proto::amino::AminoError;
use prost::Message;

use crate::rpc::SECP256K1_PUBKEY_TYPE_URL;

/// Upper-case hex SHA-256 of the exact tx bytes: the CometBFT tx hash.
pub fn tx_hash(tx_bytes: &[u8]) -> String {
    hex::encode_upper(kumo_crypto::tx_hash(tx_bytes))
}

/// Wraps a message in an `Any` with its canonical type URL (`/` + full protobuf name).
pub fn to_any<M: prost::Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

/// `Any(/cosmos.crypto.secp256k1.PubKey{key})` for a signer.
pub fn pubkey_any(pubkey: &PubKey) -> Any {
    Any {
        type_url: SECP256K1_PUBKEY_TYPE_URL.to_string(),
        value: ProtoPubKey {
            key: pubkey.as_bytes().to_vec(),
        }
        .encode_to_vec(),
    }
}

/// A signed transaction ready to broadcast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    /// Encoded `TxRaw`.
    pub tx_bytes: Vec<u8>,
    /// Upper-case hex SHA-256 of `tx_bytes`.
    pub hash: String,
    /// The bytes that were signed: the encoded `SignDoc` (DIRECT) or the StdSignDoc JSON
    /// (LEGACY_AMINO_JSON).
    pub sign_doc_bytes: Vec<u8>,
    /// The 64-byte signature.
    pub signature: [u8; 64],
}

/// The sign modes kumo signs with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TxSignMode {
    /// SIGN_MODE_DIRECT: the protobuf `SignDoc`.
    #[default]
    Direct,
    /// SIGN_MODE_LEGACY_AMINO_JSON: the amino StdSignDoc JSON (the Ledger path).
    AminoJson,
}

impl TxSignMode {
    /// The `SignMode` value written into `SignerInfo.mode_info`.
    pub fn proto(self) -> SignMode {
        match self {
            TxSignMode::Direct => SignMode::Direct,
            TxSignMode::AminoJson => SignMode::LegacyAminoJson,
        }
    }
}

/// Builds a single-signer transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct TxBuilder {
    pub messages: Vec<Any>,
    pub memo: String,
    pub timeout_height: u64,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    pub chain_id: String,
    pub account_number: u64,
    pub sequence: u64,
    /// `Fee.granter`: the account whose fee allowance pays the fee (empty: the signer pays).
    pub fee_granter: String,
}

impl TxBuilder {
    /// An empty tx for `chain_id` signed by the account with `account_number` at `sequence`.
    pub fn new(chain_id: impl Into<String>, account_number: u64, sequence: u64) -> Self {
        TxBuilder {
            messages: Vec::new(),
            memo: String::new(),
            timeout_height: 0,
            fee: Vec::new(),
            gas_limit: 0,
            chain_id: chain_id.into(),
            account_number,
            sequence,
            fee_granter: String::new(),
        }
    }

    /// Has `granter` pay the fee from the allowance it gave the signer (`Fee.granter`).
    pub fn fee_granter(mut self, granter: impl Into<String>) -> Self {
        self.fee_granter = granter.into();
        self
    }

    /// Adds one message.
    pub fn msg(mut self, msg: Any) -> Self {
        self.messages.push(msg);
        self
    }

    /// Adds messages.
    pub fn msgs(mut self, msgs: impl IntoIterator<Item = Any>) -> Self {
        self.messages.extend(msgs);
        self
    }

    /// Sets the memo.
    pub fn memo(mut self, memo: impl Into<String>) -> Self {
        self.memo = memo.into();
        self
    }

    /// Sets the fee coins.
    pub fn fee(mut self, fee: Vec<Coin>) -> Self {
        self.fee = fee;
        self
    }

    /// Sets the gas limit.
    pub fn gas_limit(mut self, gas: u64) -> Self {
        self.gas_limit = gas;
        self
    }

    /// Sets the timeout height (0 = none).
    pub fn timeout_height(mut self, height: u64) -> Self {
        self.timeout_height = height;
        self
    }

    /// The `TxBody`.
    pub fn body(&self) -> TxBody {
        TxBody {
            messages: self.messages.clone(),
            memo: self.memo.clone(),
            timeout_height: self.timeout_height,
            extension_options: Vec::new(),
            non_critical_extension_options: Vec::new(),
        }
    }

    /// Encoded `TxBody`.
    pub fn body_bytes(&self) -> Vec<u8> {
        self.body().encode_to_vec()
    }

    /// The `AuthInfo` for `pubkey` with the builder's fee and gas and the given sign mode.
    pub fn auth_info(&self, pubkey: &PubKey, mode: SignMode) -> AuthInfo {
        #[allow(deprecated)]
        AuthInfo {
            signer_infos: vec![SignerInfo {
                public_key: Some(pubkey_any(pubkey)),
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Single(mode_info::Single {
                        mode: mode as i32,
                    })),
                }),
                sequence: self.sequence,
            }],
            fee: Some(Fee {
                amount: self.fee.clone(),
                gas_limit: self.gas_limit,
                payer: String::new(),
                granter: self.fee_granter.clone(),
            }),
            tip: None,
        }
    }

    /// Encoded `AuthInfo` for SIGN_MODE_DIRECT.
    pub fn auth_info_bytes(&self, pubkey: &PubKey) -> Vec<u8> {
        self.auth_info(pubkey, SignMode::Direct).encode_to_vec()
    }

    /// The `SignDoc` the signer signs.
    pub fn sign_doc(&self, pubkey: &PubKey) -> SignDoc {
        SignDoc {
            body_bytes: self.body_bytes(),
            auth_info_bytes: self.auth_info_bytes(pubkey),
            chain_id: self.chain_id.clone(),
            account_number: self.account_number,
        }
    }

    /// Signs with SIGN_MODE_DIRECT and returns the `TxRaw` bytes and hash.
    pub fn sign(&self, key: &PrivKey) -> SignedTx {
        let doc = self.sign_doc(&key.pubkey());
        let sign_doc_bytes = doc.encode_to_vec();
        let signature = key.sign(&sign_doc_bytes);
        let raw = TxRaw {
            body_bytes: doc.body_bytes,
            auth_info_bytes: doc.auth_info_bytes,
            signatures: vec![signature.to_vec()],
        };
        let tx_bytes = raw.encode_to_vec();
        SignedTx {
            hash: tx_hash(&tx_bytes),
            tx_bytes,
            sign_doc_bytes,
            signature,
        }
    }

    /// The StdSignDoc JSON bytes a LEGACY_AMINO_JSON signer signs for this tx (what the node
    /// rebuilds from the TxRaw to verify).
    pub fn amino_sign_doc_bytes(&self) -> Result<Vec<u8>, AminoError> {
        let fee = Fee {
            amount: self.fee.clone(),
            gas_limit: self.gas_limit,
            payer: String::new(),
            granter: self.fee_granter.clone(),
        };
        kumo_proto::amino::sign_doc_bytes(
            &self.chain_id,
            self.account_number,
            self.sequence,
            self.timeout_height,
            &self.memo,
            &fee,
            &self.messages,
        )
    }

    /// Signs in `mode`. Amino-JSON fails for a message without an amino encoding.
    pub fn sign_as(&self, key: &PrivKey, mode: TxSignMode) -> Result<SignedTx, AminoError> {
        let sign_doc_bytes = match mode {
            TxSignMode::Direct => return Ok(self.sign(key)),
            TxSignMode::AminoJson => self.amino_sign_doc_bytes()?,
        };
        let signature = key.sign(&sign_doc_bytes);
        let raw = TxRaw {
            body_bytes: self.body_bytes(),
            auth_info_bytes: self.auth_info(&key.pubkey(), mode.proto()).encode_to_vec(),
            signatures: vec![signature.to_vec()],
        };
        let tx_bytes = raw.encode_to_vec();
        Ok(SignedTx {
            hash: tx_hash(&tx_bytes),
            tx_bytes,
            sign_doc_bytes,
            signature,
        })
    }

    /// Bytes for `Simulate`, built as cosmjs does: SIGN_MODE_UNSPECIFIED, an empty `Fee`, and
    /// one empty signature. Needs only the public key. The fee granter stays, so the estimate
    /// includes using its allowance and paying from its balance.
    pub fn simulation_bytes(&self, pubkey: &PubKey) -> Vec<u8> {
        let mut auth = self.auth_info(pubkey, SignMode::Unspecified);
        auth.fee = Some(Fee {
            granter: self.fee_granter.clone(),
            ..Fee::default()
        });
        TxRaw {
            body_bytes: self.body_bytes(),
            auth_info_bytes: auth.encode_to_vec(),
            signatures: vec![Vec::new()],
        }
        .encode_to_vec()
    }
}

/// A decoded transaction, for display.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedTx {
    pub body: TxBody,
    pub auth_info: AuthInfo,
    pub signatures: Vec<Vec<u8>>,
}

/// Decodes `TxRaw` bytes into body and auth info.
pub fn decode_tx(tx_bytes: &[u8]) -> Result<DecodedTx, prost::DecodeError> {
    let raw = TxRaw::decode(tx_bytes)?;
    Ok(DecodedTx {
        body: TxBody::decode(raw.body_bytes.as_slice())?,
        auth_info: AuthInfo::decode(raw.auth_info_bytes.as_slice())?,
        signatures: raw.signatures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use cosmos_sdk_proto::cosmos::tx::v1beta1::Tx;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon \
                           abandon abandon abandon about";
    const ABANDON_ADDR: &str = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0";
    const ZOO_ADDR: &str = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";

    fn coin(amount: &str, denom: &str) -> Coin {
        Coin {
            denom: denom.into(),
            amount: amount.into(),
        }
    }

    #[test]
    fn fee_granter_goes_into_the_fee_and_the_simulation() {
        let (key, b) = send_builder();
        assert!(b
            .auth_info(&key.pubkey(), SignMode::Direct)
            .fee
            .unwrap()
            .granter
            .is_empty());
        let b = b.fee_granter(ZOO_ADDR);
        let fee = b.auth_info(&key.pubkey(), SignMode::Direct).fee.unwrap();
        assert_eq!((fee.granter.as_str(), fee.payer.as_str()), (ZOO_ADDR, ""));
        let raw = TxRaw::decode(b.simulation_bytes(&key.pubkey()).as_slice()).unwrap();
        let sim_fee = AuthInfo::decode(raw.auth_info_bytes.as_slice())
            .unwrap()
            .fee
            .unwrap();
        assert_eq!(sim_fee.granter, ZOO_ADDR);
        assert!(sim_fee.amount.is_empty());
        // The granter is part of what the signer signs.
        let signed = decode_tx(&b.sign(&key).tx_bytes).unwrap();
        assert_eq!(signed.auth_info.fee.unwrap().granter, ZOO_ADDR);
    }

    fn send_builder() -> (PrivKey, TxBuilder) {
        let key = PrivKey::from_mnemonic(ABANDON, "").unwrap();
        let msg = MsgSend {
            from_address: ABANDON_ADDR.into(),
            to_address: ZOO_ADDR.into(),
            amount: vec![coin("12345", "uakt")],
        };
        let b = TxBuilder::new("kumo-devnet", 7, 3)
            .msg(to_any(&msg))
            .memo("golden")
            .fee(vec![coin("2947", "uakt")])
            .gas_limit(117_880);
        (key, b)
    }

    // Produced by cosmjs 0.39.0 (`DirectSecp256k1HdWallet.signDirect`, `makeSignBytes`, and
    // `QueryClient` + `setupTxExtension().tx.simulate`) for the same inputs as `send_builder`.
    const COSMJS_SIGN_DOC: &str = "0a96010a8b010a1c2f636f736d6f732e62616e6b2e763162657461312e4d736753656e64126b0a2c616b6173683139726c34636d32686d7238616679346b6c6470787a33666b61346a6775713061336d71367830122c616b61736831616d30353870647578336879756c636d66676a346d336868726c666e386e7a6d327533716b361a0d0a0475616b74120531323334351206676f6c64656e12660a500a460a1f2f636f736d6f732e63727970746f2e736563703235366b312e5075624b657912230a21024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b6212040a020801180312120a0c0a0475616b7412043239343710f898071a0b6b756d6f2d6465766e65742007";
    const COSMJS_TX_RAW: &str = "0a96010a8b010a1c2f636f736d6f732e62616e6b2e763162657461312e4d736753656e64126b0a2c616b6173683139726c34636d32686d7238616679346b6c6470787a33666b61346a6775713061336d71367830122c616b61736831616d30353870647578336879756c636d66676a346d336868726c666e386e7a6d327533716b361a0d0a0475616b74120531323334351206676f6c64656e12660a500a460a1f2f636f736d6f732e63727970746f2e736563703235366b312e5075624b657912230a21024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b6212040a020801180312120a0c0a0475616b7412043239343710f898071a40546e840a6bc9c6b440c522df78e7c63a8c682e4d578b5cca4b0abf36d99e766a1bfce73779b0cf12911199edc0ef81a96195e2affaad4738d3450f9da21cb812";
    const COSMJS_SIMULATE_TX: &str = "0a96010a8b010a1c2f636f736d6f732e62616e6b2e763162657461312e4d736753656e64126b0a2c616b6173683139726c34636d32686d7238616679346b6c6470787a33666b61346a6775713061336d71367830122c616b61736831616d30353870647578336879756c636d66676a346d336868726c666e386e7a6d327533716b361a0d0a0475616b74120531323334351206676f6c64656e12520a4e0a460a1f2f636f736d6f732e63727970746f2e736563703235366b312e5075624b657912230a21024f4e2ad99c34d60b9ba6283c9431a8418af8673212961f97a77b6377fcd05b6212020a00180312001a00";

    #[test]
    fn bytes_match_cosmjs_exactly() {
        let (key, b) = send_builder();
        let signed = b.sign(&key);
        assert_eq!(hex::encode(&signed.sign_doc_bytes), COSMJS_SIGN_DOC);
        assert_eq!(hex::encode(&signed.tx_bytes), COSMJS_TX_RAW);
        assert_eq!(
            hex::encode(b.simulation_bytes(&key.pubkey())),
            COSMJS_SIMULATE_TX
        );
    }

    /// Every spec/amino vector, re-signed by the builder in amino-JSON mode, is the TxRaw cosmjs
    /// built with `Secp256k1HdWallet` byte for byte (RFC 6979 signatures are deterministic).
    #[test]
    fn amino_json_signing_matches_the_cosmjs_vectors() {
        use base64::Engine;
        let b64 = |v: &serde_json::Value| {
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap()
        };
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../kumo-proto/tests/data/amino-vectors.json"
        );
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let key = PrivKey::from_mnemonic(ABANDON, "").unwrap();
        for v in file["vectors"].as_array().unwrap() {
            let b = TxBuilder::new("kumo-devnet", 0, 7)
                .msg(Any {
                    type_url: v["type_url"].as_str().unwrap().into(),
                    value: b64(&v["msg_proto_b64"]),
                })
                .fee(vec![coin("5000", "uakt")])
                .gas_limit(200_000);
            let signed = b.sign_as(&key, TxSignMode::AminoJson).unwrap();
            let name = v["name"].as_str().unwrap();
            assert_eq!(
                signed.sign_doc_bytes,
                v["sign_doc_json"].as_str().unwrap().as_bytes(),
                "{name}"
            );
            assert_eq!(signed.tx_bytes, b64(&v["tx_raw_b64"]), "{name}");
        }
        // DIRECT through sign_as is the plain DIRECT signature.
        let (key, b) = send_builder();
        assert_eq!(b.sign_as(&key, TxSignMode::Direct).unwrap(), b.sign(&key));
        // A message type without an amino encoding is a clear error, not a bad signature.
        let err = b
            .clone()
            .msg(Any {
                type_url: "/kumo.Unknown".into(),
                value: vec![],
            })
            .sign_as(&key, TxSignMode::AminoJson)
            .unwrap_err();
        assert!(err.to_string().contains("no amino encoding"), "{err}");
    }

    #[test]
    fn abandon_mnemonic_gives_the_known_address() {
        let key = PrivKey::from_mnemonic(ABANDON, "").unwrap();
        assert_eq!(key.address().to_string(), ABANDON_ADDR);
    }

    #[test]
    fn sign_doc_is_encoded_field_by_field() {
        let (key, b) = send_builder();
        let signed = b.sign(&key);

        // The SignDoc decodes back to exactly the builder's parts.
        let doc = SignDoc::decode(signed.sign_doc_bytes.as_slice()).unwrap();
        assert_eq!(doc.chain_id, "kumo-devnet");
        assert_eq!(doc.account_number, 7);

        let body = TxBody::decode(doc.body_bytes.as_slice()).unwrap();
        assert_eq!(body.memo, "golden");
        assert_eq!(body.timeout_height, 0);
        assert_eq!(body.messages.len(), 1);
        assert_eq!(body.messages[0].type_url, "/cosmos.bank.v1beta1.MsgSend");
        let send = MsgSend::decode(body.messages[0].value.as_slice()).unwrap();
        assert_eq!(send.from_address, ABANDON_ADDR);
        assert_eq!(send.to_address, ZOO_ADDR);
        assert_eq!(send.amount, vec![coin("12345", "uakt")]);

        let auth = AuthInfo::decode(doc.auth_info_bytes.as_slice()).unwrap();
        assert_eq!(auth.signer_infos.len(), 1);
        let si = &auth.signer_infos[0];
        assert_eq!(si.sequence, 3);
        let pk = si.public_key.as_ref().unwrap();
        assert_eq!(pk.type_url, "/cosmos.crypto.secp256k1.PubKey");
        let pk = ProtoPubKey::decode(pk.value.as_slice()).unwrap();
        assert_eq!(pk.key, key.pubkey().as_bytes());
        assert_eq!(pk.key.len(), 33);
        assert_eq!(
            si.mode_info.as_ref().unwrap().sum,
            Some(mode_info::Sum::Single(mode_info::Single { mode: 1 }))
        );
        let fee = auth.fee.unwrap();
        assert_eq!(fee.amount, vec![coin("2947", "uakt")]);
        assert_eq!(fee.gas_limit, 117_880);
        assert!(fee.payer.is_empty() && fee.granter.is_empty());

        // Raw wire layout of the SignDoc: fields 1..4 in order, account_number as varint.
        let bytes = &signed.sign_doc_bytes;
        assert_eq!(bytes[0], 0x0a); // field 1, length-delimited
        let tail = [0x20u8, 7]; // field 4 varint 7
        assert!(bytes.ends_with(&tail));
        let chain = [&[0x1a, 11][..], b"kumo-devnet"].concat();
        assert!(bytes.windows(chain.len()).any(|w| w == chain.as_slice()));

        // The TxRaw carries the same body/auth bytes and a valid 64-byte low-S signature.
        let raw = TxRaw::decode(signed.tx_bytes.as_slice()).unwrap();
        assert_eq!(raw.body_bytes, doc.body_bytes);
        assert_eq!(raw.auth_info_bytes, doc.auth_info_bytes);
        assert_eq!(raw.signatures.len(), 1);
        assert_eq!(raw.signatures[0].len(), 64);
        assert!(key
            .pubkey()
            .verify(&signed.sign_doc_bytes, &raw.signatures[0]));
        // s ≤ n/2 (low-S): the top bit of s is clear.
        assert!(raw.signatures[0][32] < 0x80);
        assert_eq!(signed.hash, tx_hash(&signed.tx_bytes));
        assert_eq!(signed.hash.len(), 64);
        assert!(signed
            .hash
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));

        // Tx and TxRaw share field numbers: the bytes decode as a full Tx too.
        let tx = Tx::decode(signed.tx_bytes.as_slice()).unwrap();
        assert_eq!(tx.body.unwrap().memo, "golden");
        let decoded = decode_tx(&signed.tx_bytes).unwrap();
        assert_eq!(decoded.auth_info.signer_infos[0].sequence, 3);
    }

    #[test]
    fn signature_binds_chain_id_and_account_number() {
        let (key, b) = send_builder();
        let signed = b.sign(&key);
        let mut other = b.clone();
        other.chain_id = "other-chain".into();
        let other_doc = other.sign_doc(&key.pubkey()).encode_to_vec();
        assert!(!key.pubkey().verify(&other_doc, &signed.signature));
        let mut other = b.clone();
        other.account_number = 8;
        let other_doc = other.sign_doc(&key.pubkey()).encode_to_vec();
        assert!(!key.pubkey().verify(&other_doc, &signed.signature));
        // Deterministic (RFC 6979): signing twice gives identical bytes.
        assert_eq!(b.sign(&key), signed);
    }

    #[test]
    fn account_number_zero_is_omitted_from_sign_doc() {
        let (key, mut b) = send_builder();
        b.account_number = 0;
        let doc = b.sign_doc(&key.pubkey()).encode_to_vec();
        let chain = [&[0x1a, 11][..], b"kumo-devnet"].concat();
        assert!(
            doc.ends_with(&chain),
            "account_number 0 must not be encoded"
        );
    }

    #[test]
    fn simulation_tx_matches_cosmjs_shape() {
        let (key, b) = send_builder();
        let bytes = b.simulation_bytes(&key.pubkey());
        let raw = TxRaw::decode(bytes.as_slice()).unwrap();
        assert_eq!(raw.signatures, vec![Vec::<u8>::new()]);
        assert_eq!(raw.body_bytes, b.body_bytes());
        let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
        assert_eq!(auth.fee, Some(Fee::default()));
        let si = &auth.signer_infos[0];
        assert_eq!(si.sequence, 3);
        assert_eq!(
            si.mode_info.as_ref().unwrap().sum,
            Some(mode_info::Sum::Single(mode_info::Single { mode: 0 }))
        );
        // The empty signature is still present on the wire (tag 0x1a, length 0).
        assert!(bytes.ends_with(&[0x1a, 0x00]));
    }
}
