//! Offline and multisig signing, as the Cosmos SDK CLI does it:
//!
//! ```text
//! kumo tx bank send --from ms akash1… 1000uakt --generate-only > unsigned.json
//! kumo tx sign unsigned.json --from alice --multisig ms > alice.json      (each member)
//! kumo tx multisign unsigned.json ms alice.json bob.json > signed.json
//! kumo tx broadcast signed.json
//! ```
//!
//! Transactions travel as the SDK's proto JSON of `cosmos.tx.v1beta1.Tx` (proto field names,
//! messages with `@type`, 64-bit integers quoted, bytes base64, enums by name), and a member's
//! signature as the SDK's `SignatureDescriptors` JSON, so files move between kumo and the SDK
//! CLIs (akash, gaiad). Multisig members sign SIGN_MODE_LEGACY_AMINO_JSON: its sign doc covers
//! only the body, fee, chain id, account number and sequence, so members can sign before the
//! multisig's signer info exists.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use clap::Args;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::crypto::multisig::v1beta1::{CompactBitArray, MultiSignature};
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use kumo_app::auth::multisig::{bit_array, multisig_any, multisig_from_any, MULTISIG_PUBKEY_URL};
use kumo_client::tx::pubkey_any;
use kumo_client::{RpcClient, DEFAULT_NODE};
use kumo_crypto::{Address, KeyPubKey, MultisigPubKey, PubKey};
use prost::Message;
use serde_json::{json, Map, Value};

use crate::keys_cmd::KeyringArgs;
use crate::tx_cmd::{BroadcastMode, SignModeArg, TxFlags};
use crate::{Globals, Output};

const SECP256K1_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

// ---------------------------------------------------------------------------------------------
// The SDK's proto JSON of a Tx
// ---------------------------------------------------------------------------------------------

/// A transaction as the JSON files carry it.
#[derive(Clone, Debug, PartialEq)]
pub struct TxDoc {
    pub body: TxBody,
    pub auth_info: AuthInfo,
    pub signatures: Vec<Vec<u8>>,
}

impl TxDoc {
    fn fee(&self) -> Fee {
        self.auth_info.fee.clone().unwrap_or_default()
    }

    /// The `TxRaw` bytes to broadcast.
    pub fn tx_raw_bytes(&self) -> Vec<u8> {
        TxRaw {
            body_bytes: self.body.encode_to_vec(),
            auth_info_bytes: self.auth_info.encode_to_vec(),
            signatures: self.signatures.clone(),
        }
        .encode_to_vec()
    }

    pub fn to_json(&self) -> Result<Value> {
        let messages = self
            .body
            .messages
            .iter()
            .map(any_msg_json)
            .collect::<Result<Vec<_>>>()?;
        let fee = self.fee();
        Ok(json!({
            "body": {
                "messages": messages,
                "memo": self.body.memo,
                "timeout_height": self.body.timeout_height.to_string(),
                "extension_options": [],
                "non_critical_extension_options": [],
            },
            "auth_info": {
                "signer_infos": self.auth_info.signer_infos.iter().map(signer_info_json)
                    .collect::<Result<Vec<_>>>()?,
                "fee": {
                    "amount": fee.amount.iter().map(|c| json!({"denom": c.denom, "amount": c.amount}))
                        .collect::<Vec<_>>(),
                    "gas_limit": fee.gas_limit.to_string(),
                    "payer": fee.payer,
                    "granter": fee.granter,
                },
                "tip": null,
            },
            "signatures": self.signatures.iter().map(|s| b64().encode(s)).collect::<Vec<_>>(),
        }))
    }

    pub fn from_json(v: &Value) -> Result<TxDoc> {
        let top = obj(v, "the transaction")?;
        let body_v = obj(field(top, "body", "")?, "body")?;
        let messages = arr(field(body_v, "messages", "body")?, "body.messages")?
            .iter()
            .enumerate()
            .map(|(i, m)| any_msg_from_json(m, &format!("body.messages[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        if messages.is_empty() {
            bail!("body.messages: a transaction needs at least one message");
        }
        for key in ["extension_options", "non_critical_extension_options"] {
            if let Some(list) = body_v.get(key) {
                if !arr(list, &format!("body.{key}"))?.is_empty() {
                    bail!("body.{key}: extension options are not supported");
                }
            }
        }
        if body_v
            .get("unordered")
            .is_some_and(|u| u.as_bool() == Some(true))
        {
            bail!("body.unordered: unordered transactions are not supported");
        }
        if body_v
            .get("timeout_timestamp")
            .is_some_and(|t| !t.is_null())
        {
            bail!(
                "body.timeout_timestamp: timeout timestamps are not supported (use timeout_height)"
            );
        }
        let body = TxBody {
            messages,
            memo: opt_str(body_v, "memo", "body")?.unwrap_or_default(),
            timeout_height: opt_u64(body_v, "timeout_height", "body")?.unwrap_or(0),
            extension_options: vec![],
            non_critical_extension_options: vec![],
        };
        let auth_v = obj(field(top, "auth_info", "")?, "auth_info")?;
        let signer_infos = match auth_v.get("signer_infos") {
            None | Some(Value::Null) => vec![],
            Some(list) => arr(list, "auth_info.signer_infos")?
                .iter()
                .enumerate()
                .map(|(i, s)| signer_info_from_json(s, &format!("auth_info.signer_infos[{i}]")))
                .collect::<Result<Vec<_>>>()?,
        };
        let fee_v = obj(field(auth_v, "fee", "auth_info")?, "auth_info.fee")?;
        let amount = match fee_v.get("amount") {
            None | Some(Value::Null) => vec![],
            Some(list) => arr(list, "auth_info.fee.amount")?
                .iter()
                .enumerate()
                .map(|(i, c)| coin_from_json(c, &format!("auth_info.fee.amount[{i}]")))
                .collect::<Result<Vec<_>>>()?,
        };
        let fee = Fee {
            amount,
            gas_limit: opt_u64(fee_v, "gas_limit", "auth_info.fee")?.unwrap_or(0),
            payer: opt_str(fee_v, "payer", "auth_info.fee")?.unwrap_or_default(),
            granter: opt_str(fee_v, "granter", "auth_info.fee")?.unwrap_or_default(),
        };
        if auth_v.get("tip").is_some_and(|t| !t.is_null()) {
            bail!("auth_info.tip: tips are not supported");
        }
        let signatures = match top.get("signatures") {
            None | Some(Value::Null) => vec![],
            Some(list) => arr(list, "signatures")?
                .iter()
                .enumerate()
                .map(|(i, s)| bytes_from_json(s, &format!("signatures[{i}]")))
                .collect::<Result<Vec<_>>>()?,
        };
        #[allow(deprecated)]
        let auth_info = AuthInfo {
            signer_infos,
            fee: Some(fee),
            tip: None,
        };
        Ok(TxDoc {
            body,
            auth_info,
            signatures,
        })
    }
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| anyhow!("{path}: expected a JSON object, got {}", kind(v)))
}

fn arr<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| anyhow!("{path}: expected a JSON array, got {}", kind(v)))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn field<'a>(m: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value> {
    m.get(key)
        .ok_or_else(|| anyhow!("{}: missing", join(path, key)))
}

fn opt_str(m: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => bail!("{}: expected a string, got {}", join(path, key), kind(v)),
    }
}

/// A 64-bit integer: proto JSON writes it as a string; a plain number is accepted too.
fn opt_u64(m: &Map<String, Value>, key: &str, path: &str) -> Result<Option<u64>> {
    let p = join(path, key);
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| anyhow!("{p}: {s:?} is not a whole number")),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| anyhow!("{p}: {n} is not a whole number")),
        Some(v) => bail!("{p}: expected a number, got {}", kind(v)),
    }
}

fn bytes_from_json(v: &Value, path: &str) -> Result<Vec<u8>> {
    let s = v
        .as_str()
        .ok_or_else(|| anyhow!("{path}: expected a base64 string, got {}", kind(v)))?;
    b64()
        .decode(s)
        .map_err(|e| anyhow!("{path}: bad base64: {e}"))
}

fn coin_from_json(v: &Value, path: &str) -> Result<Coin> {
    let m = obj(v, path)?;
    let denom = opt_str(m, "denom", path)?.ok_or_else(|| anyhow!("{path}.denom: missing"))?;
    let amount = opt_str(m, "amount", path)?.ok_or_else(|| anyhow!("{path}.amount: missing"))?;
    if amount.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{path}.amount: {amount:?} is not a whole number");
    }
    Ok(Coin { denom, amount })
}

/// A message as `{"@type": <type url>, <its fields>}`.
fn any_msg_json(any: &Any) -> Result<Value> {
    let name = any.type_url.trim_start_matches('/');
    let mut v = kumo_proto::json::to_json(name, &any.value)
        .map_err(|e| anyhow!("cannot write message {} as JSON: {e}", any.type_url))?;
    let Value::Object(m) = &mut v else {
        bail!("message {} did not become a JSON object", any.type_url);
    };
    m.insert("@type".into(), Value::String(any.type_url.clone()));
    Ok(v)
}

fn any_msg_from_json(v: &Value, path: &str) -> Result<Any> {
    let mut m = obj(v, path)?.clone();
    let type_url = match m.remove("@type") {
        Some(Value::String(s)) => s,
        _ => bail!("{path}: missing \"@type\" (the message type URL)"),
    };
    let name = type_url.trim_start_matches('/');
    let value = kumo_proto::json::from_json(name, &Value::Object(m))
        .map_err(|e| anyhow!("{path} ({type_url}): {e}"))?;
    Ok(Any { type_url, value })
}

/// A public key `Any` as proto JSON (secp256k1 or LegacyAminoPubKey).
fn pubkey_json(any: &Any) -> Result<Value> {
    match any.type_url.as_str() {
        SECP256K1_URL => {
            let pk =
                cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(any.value.as_slice())
                    .context("cannot decode a secp256k1 public key")?;
            Ok(json!({"@type": SECP256K1_URL, "key": b64().encode(pk.key)}))
        }
        MULTISIG_PUBKEY_URL => {
            let m = multisig_from_any(any).map_err(|e| anyhow!("{}", e.log))?;
            Ok(crate::keys_cmd::pubkey_proto_json(&KeyPubKey::Multisig(m)))
        }
        other => bail!("public key type {other} is not supported"),
    }
}

fn secp_from_json(v: &Value, path: &str) -> Result<PubKey> {
    let m = obj(v, path)?;
    let t = opt_str(m, "@type", path)?.unwrap_or_default();
    if t != SECP256K1_URL {
        bail!("{path}: expected a {SECP256K1_URL} key, got {t:?}");
    }
    let key = bytes_from_json(field(m, "key", path)?, &join(path, "key"))?;
    PubKey::from_bytes(&key).map_err(|e| anyhow!("{path}: {e}"))
}

fn pubkey_from_json(v: &Value, path: &str) -> Result<Any> {
    let m = obj(v, path)?;
    match opt_str(m, "@type", path)?.as_deref() {
        Some(SECP256K1_URL) => Ok(pubkey_any(&secp_from_json(v, path)?)),
        Some(MULTISIG_PUBKEY_URL) => {
            let threshold = opt_u64(m, "threshold", path)?
                .ok_or_else(|| anyhow!("{path}.threshold: missing"))?;
            let threshold = u32::try_from(threshold)
                .map_err(|_| anyhow!("{path}.threshold: {threshold} is too large"))?;
            let keys = arr(field(m, "public_keys", path)?, &join(path, "public_keys"))?
                .iter()
                .enumerate()
                .map(|(i, k)| secp_from_json(k, &format!("{path}.public_keys[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            let ms =
                MultisigPubKey::new(threshold, keys, false).map_err(|e| anyhow!("{path}: {e}"))?;
            Ok(multisig_any(&ms))
        }
        other => bail!("{path}: unsupported public key type {other:?}"),
    }
}

fn mode_name(mode: i32) -> String {
    SignMode::try_from(mode)
        .map(|m| m.as_str_name().to_string())
        .unwrap_or_else(|_| mode.to_string())
}

fn mode_from_json(v: &Value, path: &str) -> Result<i32> {
    match v {
        Value::String(s) => SignMode::from_str_name(s)
            .map(|m| m as i32)
            .ok_or_else(|| anyhow!("{path}: unknown sign mode {s:?}")),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| anyhow!("{path}: bad sign mode {n}")),
        other => bail!("{path}: expected a sign mode, got {}", kind(other)),
    }
}

fn mode_info_json(mi: &ModeInfo) -> Result<Value> {
    match &mi.sum {
        Some(mode_info::Sum::Single(s)) => Ok(json!({"single": {"mode": mode_name(s.mode)}})),
        Some(mode_info::Sum::Multi(m)) => {
            let bits = m.bitarray.clone().unwrap_or_default();
            Ok(json!({"multi": {
                "bitarray": {
                    "extra_bits_stored": bits.extra_bits_stored,
                    "elems": b64().encode(&bits.elems),
                },
                "mode_infos": m.mode_infos.iter().map(mode_info_json).collect::<Result<Vec<_>>>()?,
            }}))
        }
        None => Ok(json!({})),
    }
}

fn mode_info_from_json(v: &Value, path: &str) -> Result<ModeInfo> {
    let m = obj(v, path)?;
    if let Some(single) = m.get("single") {
        let s = obj(single, &join(path, "single"))?;
        let mode = mode_from_json(field(s, "mode", &join(path, "single"))?, path)?;
        return Ok(ModeInfo {
            sum: Some(mode_info::Sum::Single(mode_info::Single { mode })),
        });
    }
    if let Some(multi) = m.get("multi") {
        let p = join(path, "multi");
        let mm = obj(multi, &p)?;
        let bits_v = obj(field(mm, "bitarray", &p)?, &join(&p, "bitarray"))?;
        let extra = opt_u64(bits_v, "extra_bits_stored", &join(&p, "bitarray"))?.unwrap_or(0);
        let elems = match bits_v.get("elems") {
            None | Some(Value::Null) => vec![],
            Some(e) => bytes_from_json(e, &format!("{p}.bitarray.elems"))?,
        };
        let mode_infos = arr(field(mm, "mode_infos", &p)?, &join(&p, "mode_infos"))?
            .iter()
            .enumerate()
            .map(|(i, x)| mode_info_from_json(x, &format!("{p}.mode_infos[{i}]")))
            .collect::<Result<Vec<_>>>()?;
        return Ok(ModeInfo {
            sum: Some(mode_info::Sum::Multi(mode_info::Multi {
                bitarray: Some(CompactBitArray {
                    extra_bits_stored: u32::try_from(extra)
                        .map_err(|_| anyhow!("{p}.bitarray.extra_bits_stored: too large"))?,
                    elems,
                }),
                mode_infos,
            })),
        });
    }
    bail!("{path}: expected \"single\" or \"multi\"")
}

fn signer_info_json(si: &SignerInfo) -> Result<Value> {
    Ok(json!({
        "public_key": match &si.public_key { Some(pk) => pubkey_json(pk)?, None => Value::Null },
        "mode_info": match &si.mode_info { Some(mi) => mode_info_json(mi)?, None => Value::Null },
        "sequence": si.sequence.to_string(),
    }))
}

fn signer_info_from_json(v: &Value, path: &str) -> Result<SignerInfo> {
    let m = obj(v, path)?;
    let public_key = match m.get("public_key") {
        None | Some(Value::Null) => None,
        Some(pk) => Some(pubkey_from_json(pk, &join(path, "public_key"))?),
    };
    let mode_info = match m.get("mode_info") {
        None | Some(Value::Null) => None,
        Some(mi) => Some(mode_info_from_json(mi, &join(path, "mode_info"))?),
    };
    Ok(SignerInfo {
        public_key,
        mode_info,
        sequence: opt_u64(m, "sequence", path)?.unwrap_or(0),
    })
}

/// One member's signature, as the SDK's `SignatureDescriptor` JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberSignature {
    pub pubkey: PubKey,
    pub mode: i32,
    pub signature: Vec<u8>,
    pub sequence: u64,
}

fn signatures_json(sigs: &[MemberSignature]) -> Value {
    json!({"signatures": sigs.iter().map(|s| json!({
        "public_key": {"@type": SECP256K1_URL, "key": b64().encode(s.pubkey.as_bytes())},
        "data": {"single": {"mode": mode_name(s.mode), "signature": b64().encode(&s.signature)}},
        "sequence": s.sequence.to_string(),
    })).collect::<Vec<_>>()})
}

fn signatures_from_json(v: &Value) -> Result<Vec<MemberSignature>> {
    let top = obj(v, "the signature file")?;
    let list = arr(field(top, "signatures", "")?, "signatures")?;
    if list.is_empty() {
        bail!("signatures: the file holds no signature");
    }
    list.iter()
        .enumerate()
        .map(|(i, d)| {
            let p = format!("signatures[{i}]");
            let m = obj(d, &p)?;
            let pubkey = secp_from_json(field(m, "public_key", &p)?, &join(&p, "public_key"))?;
            let data = obj(field(m, "data", &p)?, &join(&p, "data"))?;
            let single = match data.get("single") {
                Some(s) => obj(s, &format!("{p}.data.single"))?,
                None if data.contains_key("multi") => {
                    bail!("{p}.data: a multisig signature cannot be a member signature")
                }
                None => bail!("{p}.data.single: missing"),
            };
            let sp = format!("{p}.data.single");
            Ok(MemberSignature {
                pubkey,
                mode: mode_from_json(field(single, "mode", &sp)?, &sp)?,
                signature: bytes_from_json(
                    field(single, "signature", &sp)?,
                    &join(&sp, "signature"),
                )?,
                sequence: opt_u64(m, "sequence", &p)?.unwrap_or(0),
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Files and accounts
// ---------------------------------------------------------------------------------------------

fn read_json(path: &Path) -> Result<Value> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("cannot read stdin")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn read_tx(path: &Path) -> Result<TxDoc> {
    TxDoc::from_json(&read_json(path)?)
        .with_context(|| format!("{} is not a transaction file", path.display()))
}

/// Prints compact JSON (one line, as the SDK does) to `--output-document` or stdout.
fn write_output(v: &Value, output: Option<&Path>) -> Result<()> {
    let text = format!(
        "{}\n",
        serde_json::to_string(v).context("cannot encode JSON")?
    );
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .context("cannot write to stdout"),
    }
}

/// Where account number, sequence and chain id come from.
#[derive(Args, Debug, Clone)]
pub struct AccountFlags {
    /// CometBFT RPC endpoint of the node (for the chain id, account number and sequence).
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
    /// Chain id to sign for (default: the node's).
    #[arg(long, value_name = "ID")]
    pub chain_id: Option<String>,
    /// Do not contact a node: --chain-id, --account-number and --sequence must be given.
    #[arg(long, requires_all = ["chain_id", "account_number", "sequence"])]
    pub offline: bool,
    /// Account number of the signing account (with --offline).
    #[arg(long, value_name = "N")]
    pub account_number: Option<u64>,
    /// Sequence of the signing account (with --offline).
    #[arg(long, value_name = "N")]
    pub sequence: Option<u64>,
}

struct SigningAccount {
    chain_id: String,
    account_number: u64,
    sequence: u64,
}

impl AccountFlags {
    fn resolve(&self, address: &Address) -> Result<SigningAccount> {
        if self.offline {
            return Ok(SigningAccount {
                chain_id: self.chain_id.clone().expect("clap requires --chain-id"),
                account_number: self.account_number.expect("clap requires --account-number"),
                sequence: self.sequence.expect("clap requires --sequence"),
            });
        }
        let client = RpcClient::new(&self.node);
        let chain_id = match &self.chain_id {
            Some(c) => c.clone(),
            None => client.status()?.chain_id,
        };
        let account = client.account(&address.to_string())?.ok_or_else(|| {
            anyhow!(
                "account {address} does not exist on chain {chain_id} yet: send it some tokens \
                 first (or sign with --offline --account-number N --sequence N)"
            )
        })?;
        Ok(SigningAccount {
            chain_id,
            account_number: self.account_number.unwrap_or(account.account_number),
            sequence: self.sequence.unwrap_or(account.sequence),
        })
    }
}

/// The amino-JSON sign doc of `doc` for `acct`.
fn amino_sign_bytes(doc: &TxDoc, acct: &SigningAccount) -> Result<Vec<u8>> {
    kumo_proto::amino::sign_doc_bytes(
        &acct.chain_id,
        acct.account_number,
        acct.sequence,
        doc.body.timeout_height,
        &doc.body.memo,
        &doc.fee(),
        &doc.body.messages,
    )
    .map_err(|e| anyhow!("cannot build the amino-JSON sign doc: {e}"))
}

// ---------------------------------------------------------------------------------------------
// --generate-only
// ---------------------------------------------------------------------------------------------

/// The account `--from` names: a key in the keyring (an offline multisig record too) or, with
/// --generate-only, where no key is needed, an akash1… address.
pub(crate) fn from_address(g: &Globals, flags: &TxFlags) -> Result<Address> {
    let kr = flags.keyring.open(&g.home)?;
    match kr.show(&flags.from) {
        Ok(info) => Ok(info.address),
        Err(e) => match flags.from.parse::<Address>() {
            Ok(addr) if flags.generate_only => Ok(addr),
            _ => Err(anyhow::Error::new(e).context(if flags.generate_only {
                format!(
                    "--from must be a key name in the {} keyring or an akash1… address",
                    kr.backend()
                )
            } else {
                format!("--from must be a key name in the {} keyring", kr.backend())
            })),
        },
    }
}

/// `--generate-only`: prints the unsigned tx of `msgs` from `from` (a key, an offline multisig
/// record or an akash1… address; no private key needed). `--gas auto` simulates on the node.
pub(crate) fn generate_only(
    g: &Globals,
    flags: &TxFlags,
    from: &str,
    msgs: Vec<Any>,
) -> Result<()> {
    let kr = flags.keyring.open(&g.home)?;
    // By address the public key is unknown: the node simulates with the account's stored key,
    // or without one.
    let (address, public_key) = match kr.show(from) {
        Ok(info) => {
            let any = match &info.pubkey {
                KeyPubKey::Secp256k1(pk) => pubkey_any(pk),
                KeyPubKey::Multisig(m) => multisig_any(m),
            };
            (info.address, Some(any))
        }
        Err(e) => match from.parse::<Address>() {
            Ok(addr) => (addr, None),
            Err(_) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "--from must be a key name in the {} keyring or an akash1… address",
                    kr.backend()
                )))
            }
        },
    };
    let granter = flags
        .fee_granter_address(Some(&g.home))?
        .unwrap_or_default();
    let body = TxBody {
        messages: msgs,
        memo: flags.memo.clone(),
        ..Default::default()
    };
    let opts = flags.fee_opts();
    let gas_limit = match flags.gas {
        crate::tx_cmd::GasArg::Fixed(n) => n,
        crate::tx_cmd::GasArg::Auto => {
            let client = RpcClient::new(&flags.node);
            let account = client.account(&address.to_string())?.ok_or_else(|| {
                anyhow!(
                    "account {address} does not exist on chain yet: fund it first, or give --gas N"
                )
            })?;
            #[allow(deprecated)]
            let auth_info = AuthInfo {
                signer_infos: vec![SignerInfo {
                    public_key,
                    mode_info: Some(ModeInfo {
                        sum: Some(mode_info::Sum::Single(mode_info::Single {
                            mode: SignMode::Unspecified as i32,
                        })),
                    }),
                    sequence: account.sequence,
                }],
                fee: Some(Fee {
                    granter: granter.clone(),
                    ..Default::default()
                }),
                tip: None,
            };
            let sim = TxRaw {
                body_bytes: body.encode_to_vec(),
                auth_info_bytes: auth_info.encode_to_vec(),
                signatures: vec![vec![]],
            };
            let used = client.simulate(&sim.encode_to_vec())?;
            flags
                .gas_adjustment
                .mul_ceil(u128::from(used))
                .and_then(|g| u64::try_from(g).ok())
                .ok_or_else(|| anyhow!("gas {used} × {} overflows", flags.gas_adjustment))?
        }
    };
    let fee = Fee {
        amount: opts.fee_for(gas_limit)?,
        gas_limit,
        payer: String::new(),
        granter,
    };
    #[allow(deprecated)]
    let doc = TxDoc {
        body,
        auth_info: AuthInfo {
            signer_infos: vec![],
            fee: Some(fee),
            tip: None,
        },
        signatures: vec![],
    };
    write_output(&doc.to_json()?, None)
}

// ---------------------------------------------------------------------------------------------
// kumo tx sign
// ---------------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct SignArgs {
    /// The unsigned transaction (JSON from --generate-only; "-" reads stdin).
    pub file: PathBuf,
    /// The key that signs (a key name in the keyring).
    #[arg(long, value_name = "KEY")]
    pub from: String,
    /// Sign as a member of this multisig (a multisig key name or its akash1… address): prints
    /// only this member's signature (SIGN_MODE_LEGACY_AMINO_JSON), for `kumo tx multisign`.
    #[arg(long, value_name = "MULTISIG")]
    pub multisig: Option<String>,
    /// Write the result to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_document: Option<PathBuf>,
    /// Without --multisig: `direct` or `amino-json`.
    #[arg(long, value_enum, default_value_t = SignModeArg::Direct)]
    pub sign_mode: SignModeArg,
    #[command(flatten)]
    pub account: AccountFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

pub fn sign(g: &Globals, a: SignArgs) -> Result<()> {
    let mut doc = read_tx(&a.file)?;
    let kr = a.keyring.open(&g.home)?;
    let info = kr
        .show(&a.from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    let KeyPubKey::Secp256k1(pubkey) = info.pubkey.clone() else {
        bail!(
            "--from {:?} is a multisig key; sign with its members (--from MEMBER --multisig {})",
            a.from,
            a.from
        );
    };

    if let Some(ms) = &a.multisig {
        // A multisig by name must list this key; by address it cannot be checked here.
        let ms_address = match ms.parse::<Address>() {
            Ok(addr) => addr,
            Err(_) => {
                let ms_info = kr
                    .show(ms)
                    .context("--multisig must be a multisig key name or an akash1… address")?;
                let KeyPubKey::Multisig(m) = &ms_info.pubkey else {
                    bail!("--multisig {ms:?} is not a multisig key");
                };
                if m.index_of(&pubkey).is_none() {
                    bail!(
                        "key {:?} ({}) is not a member of multisig {ms:?}",
                        a.from,
                        info.address
                    );
                }
                ms_info.address
            }
        };
        let acct = a.account.resolve(&ms_address)?;
        let bytes = amino_sign_bytes(&doc, &acct)?;
        let key = unlock(&kr, &a.keyring, &a.from)?;
        let sig = MemberSignature {
            pubkey,
            mode: SignMode::LegacyAminoJson as i32,
            signature: key.sign(&bytes).to_vec(),
            sequence: acct.sequence,
        };
        return write_output(&signatures_json(&[sig]), a.output_document.as_deref());
    }

    let acct = a.account.resolve(&info.address)?;
    let mode = match a.sign_mode {
        SignModeArg::Direct => SignMode::Direct,
        SignModeArg::AminoJson => SignMode::LegacyAminoJson,
    } as i32;
    doc.auth_info.signer_infos = vec![SignerInfo {
        public_key: Some(pubkey_any(&pubkey)),
        mode_info: Some(ModeInfo {
            sum: Some(mode_info::Sum::Single(mode_info::Single { mode })),
        }),
        sequence: acct.sequence,
    }];
    let bytes = if mode == SignMode::Direct as i32 {
        SignDoc {
            body_bytes: doc.body.encode_to_vec(),
            auth_info_bytes: doc.auth_info.encode_to_vec(),
            chain_id: acct.chain_id.clone(),
            account_number: acct.account_number,
        }
        .encode_to_vec()
    } else {
        amino_sign_bytes(&doc, &acct)?
    };
    let key = unlock(&kr, &a.keyring, &a.from)?;
    doc.signatures = vec![key.sign(&bytes).to_vec()];
    write_output(&doc.to_json()?, a.output_document.as_deref())
}

fn unlock(
    kr: &kumo_crypto::Keyring,
    keyring: &KeyringArgs,
    name: &str,
) -> Result<kumo_crypto::PrivKey> {
    let passphrase = keyring.passphrase(false)?;
    kr.signer(name, passphrase.as_deref())
        .with_context(|| format!("cannot unlock key {name:?}"))
}

// ---------------------------------------------------------------------------------------------
// kumo tx multisign
// ---------------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct MultisignArgs {
    /// The unsigned transaction the members signed.
    pub file: PathBuf,
    /// The multisig key (an offline multisig record in the keyring).
    pub multisig: String,
    /// Member signature files from `kumo tx sign --multisig` (or the SDK CLI's).
    #[arg(required = true, num_args = 1..)]
    pub signatures: Vec<PathBuf>,
    /// Write the signed transaction to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output_document: Option<PathBuf>,
    #[command(flatten)]
    pub account: AccountFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// Checks the member signatures against the multisig and the sign doc; returns them ordered by
/// member position.
fn collect_member_signatures(
    multisig: &MultisigPubKey,
    name: &str,
    bytes: &[u8],
    sequence: u64,
    files: &[(PathBuf, Vec<MemberSignature>)],
) -> Result<Vec<(usize, Vec<u8>)>> {
    let mut by_member: Vec<(usize, Vec<u8>)> = Vec::new();
    for (path, sigs) in files {
        let f = path.display();
        for s in sigs {
            let who = s.pubkey.address();
            let Some(index) = multisig.index_of(&s.pubkey) else {
                bail!(
                    "{f}: the signature is from {who}, which is not a member of multisig {name:?}"
                );
            };
            if s.mode != SignMode::LegacyAminoJson as i32 {
                bail!(
                    "{f}: {who} signed in {}; multisig members must sign \
                     SIGN_MODE_LEGACY_AMINO_JSON (kumo tx sign --multisig)",
                    mode_name(s.mode)
                );
            }
            if s.sequence != sequence {
                bail!(
                    "{f}: {who} signed for sequence {}, but the multisig account is at sequence \
                     {sequence}; sign the transaction again",
                    s.sequence
                );
            }
            if !s.pubkey.verify(bytes, &s.signature) {
                bail!(
                    "{f}: the signature of {who} does not match this transaction (another \
                     transaction file, chain id, account number or sequence)"
                );
            }
            if by_member.iter().any(|(i, _)| *i == index) {
                bail!("{f}: a second signature from member {who}");
            }
            by_member.push((index, s.signature.clone()));
        }
    }
    by_member.sort_by_key(|(i, _)| *i);
    Ok(by_member)
}

pub fn multisign(g: &Globals, a: MultisignArgs) -> Result<()> {
    let mut doc = read_tx(&a.file)?;
    let kr = a.keyring.open(&g.home)?;
    let info = kr.show(&a.multisig)?;
    let KeyPubKey::Multisig(multisig) = &info.pubkey else {
        bail!(
            "{:?} is not a multisig key (create one with kumo keys add NAME --multisig a,b,c \
             --multisig-threshold K)",
            a.multisig
        );
    };
    let files = a
        .signatures
        .iter()
        .map(|p| {
            let sigs = signatures_from_json(&read_json(p)?)
                .with_context(|| format!("{} is not a signature file", p.display()))?;
            Ok((p.clone(), sigs))
        })
        .collect::<Result<Vec<_>>>()?;
    let acct = a.account.resolve(&info.address)?;
    let bytes = amino_sign_bytes(&doc, &acct)?;
    let signed = collect_member_signatures(multisig, &a.multisig, &bytes, acct.sequence, &files)?;
    let n = multisig.keys().len();
    if (signed.len() as u64) < u64::from(multisig.threshold()) {
        eprintln!(
            "warning: {} of {n} member signatures, the multisig needs {}; the chain will refuse \
             this transaction",
            signed.len(),
            multisig.threshold()
        );
    }
    let positions: Vec<usize> = signed.iter().map(|(i, _)| *i).collect();
    let amino = ModeInfo {
        sum: Some(mode_info::Sum::Single(mode_info::Single {
            mode: SignMode::LegacyAminoJson as i32,
        })),
    };
    doc.auth_info.signer_infos = vec![SignerInfo {
        public_key: Some(multisig_any(multisig)),
        mode_info: Some(ModeInfo {
            sum: Some(mode_info::Sum::Multi(mode_info::Multi {
                bitarray: Some(bit_array(n, &positions)),
                mode_infos: vec![amino; signed.len()],
            })),
        }),
        sequence: acct.sequence,
    }];
    doc.signatures = vec![MultiSignature {
        signatures: signed.into_iter().map(|(_, s)| s).collect(),
    }
    .encode_to_vec()];
    write_output(&doc.to_json()?, a.output_document.as_deref())
}

// ---------------------------------------------------------------------------------------------
// kumo tx broadcast
// ---------------------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct BroadcastArgs {
    /// The signed transaction (JSON from kumo tx sign or multisign; "-" reads stdin).
    pub file: PathBuf,
    /// CometBFT RPC endpoint of the node.
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
    /// `sync`: return when the mempool accepted the tx; `block`: wait until it is in a block.
    #[arg(long, value_enum, default_value_t = BroadcastMode::Sync)]
    pub broadcast_mode: BroadcastMode,
    /// With --broadcast-mode block: seconds to wait for inclusion.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
}

pub fn broadcast(g: &Globals, a: BroadcastArgs) -> Result<()> {
    let doc = read_tx(&a.file)?;
    if doc.signatures.is_empty() {
        bail!(
            "{} has no signatures: sign it first (kumo tx sign, or kumo tx multisign for a \
             multisig)",
            a.file.display()
        );
    }
    let client = RpcClient::new(&a.node);
    let res = client.broadcast_tx_sync(&doc.tx_raw_bytes())?;
    if res.code != 0 {
        crate::tx_cmd::report(g, &res.hash, res.code, &res.codespace, &res.log, None)?;
        return Err(crate::tx_cmd::failure(
            res.code,
            &res.codespace,
            &res.log,
            "rejected by the node (CheckTx)",
        ));
    }
    match a.broadcast_mode {
        BroadcastMode::Sync => {
            crate::tx_cmd::report(g, &res.hash, 0, "", &res.log, None)?;
            if g.output == Output::Text {
                eprintln!(
                    "accepted into the mempool; see the result once it is in a block with:\n  \
                     kumo query tx {} --node {}",
                    res.hash,
                    client.url()
                );
            }
            Ok(())
        }
        BroadcastMode::Block => {
            let info = client.wait_for_tx(&res.hash, Duration::from_secs(a.timeout))?;
            crate::tx_cmd::report(
                g,
                &info.hash,
                info.code,
                &info.codespace,
                &info.log,
                Some(&info),
            )?;
            if info.code != 0 {
                return Err(crate::tx_cmd::failure(
                    info.code,
                    &info.codespace,
                    &info.log,
                    &format!("failed in block {}", info.height),
                ));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use kumo_crypto::PrivKey;

    fn members() -> Vec<PrivKey> {
        (1u8..=3)
            .map(|n| PrivKey::from_bytes(&[n; 32]).unwrap())
            .collect()
    }

    fn multisig() -> MultisigPubKey {
        MultisigPubKey::new(2, members().iter().map(|k| k.pubkey()).collect(), true).unwrap()
    }

    fn unsigned() -> TxDoc {
        let msg = MsgSend {
            from_address: multisig().address().to_string(),
            to_address: members()[0].address().to_string(),
            amount: vec![Coin {
                denom: "uakt".into(),
                amount: "1000".into(),
            }],
        };
        #[allow(deprecated)]
        TxDoc {
            body: TxBody {
                messages: vec![kumo_client::tx::to_any(&msg)],
                memo: "pay <rent> & more".into(),
                ..Default::default()
            },
            auth_info: AuthInfo {
                signer_infos: vec![],
                fee: Some(Fee {
                    amount: vec![Coin {
                        denom: "uakt".into(),
                        amount: "5000".into(),
                    }],
                    gas_limit: 200_000,
                    ..Default::default()
                }),
                tip: None,
            },
            signatures: vec![],
        }
    }

    #[test]
    fn unsigned_tx_json_is_sdk_shaped_and_round_trips() {
        let doc = unsigned();
        let v = doc.to_json().unwrap();
        assert_eq!(
            v["body"]["messages"][0]["@type"],
            "/cosmos.bank.v1beta1.MsgSend"
        );
        assert_eq!(v["body"]["messages"][0]["amount"][0]["amount"], "1000");
        assert_eq!(v["body"]["timeout_height"], "0");
        assert_eq!(v["auth_info"]["fee"]["gas_limit"], "200000");
        assert_eq!(v["auth_info"]["signer_infos"], json!([]));
        assert_eq!(v["signatures"], json!([]));
        let back = TxDoc::from_json(&v).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn multisigned_tx_round_trips_and_keeps_its_bytes() {
        let mut doc = unsigned();
        let m = multisig();
        doc.auth_info.signer_infos = vec![SignerInfo {
            public_key: Some(multisig_any(&m)),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Multi(mode_info::Multi {
                    bitarray: Some(bit_array(3, &[0, 2])),
                    mode_infos: vec![
                        ModeInfo {
                            sum: Some(mode_info::Sum::Single(mode_info::Single { mode: 127 })),
                        };
                        2
                    ],
                })),
            }),
            sequence: 4,
        }];
        doc.signatures = vec![vec![1, 2, 3]];
        let v = doc.to_json().unwrap();
        let si = &v["auth_info"]["signer_infos"][0];
        assert_eq!(si["public_key"]["@type"], MULTISIG_PUBKEY_URL);
        assert_eq!(si["public_key"]["threshold"], 2);
        assert_eq!(si["mode_info"]["multi"]["bitarray"]["extra_bits_stored"], 3);
        assert_eq!(si["mode_info"]["multi"]["bitarray"]["elems"], "oA==");
        assert_eq!(
            si["mode_info"]["multi"]["mode_infos"][1]["single"]["mode"],
            "SIGN_MODE_LEGACY_AMINO_JSON"
        );
        assert_eq!(si["sequence"], "4");
        let back = TxDoc::from_json(&v).unwrap();
        assert_eq!(back.tx_raw_bytes(), doc.tx_raw_bytes());
    }

    #[test]
    fn malformed_tx_files_get_a_path_in_the_error() {
        let v = unsigned().to_json().unwrap();
        let cases: Vec<(Value, &str)> = vec![
            (json!([]), "the transaction: expected a JSON object"),
            (json!({"auth_info": {}}), "body: missing"),
            (
                {
                    let mut x = v.clone();
                    x["body"]["messages"] = json!([]);
                    x
                },
                "at least one message",
            ),
            (
                {
                    let mut x = v.clone();
                    x["body"]["messages"][0]
                        .as_object_mut()
                        .unwrap()
                        .remove("@type");
                    x
                },
                "body.messages[0]: missing \"@type\"",
            ),
            (
                {
                    let mut x = v.clone();
                    x["body"]["messages"][0]["@type"] = json!("/nope.Msg");
                    x
                },
                "body.messages[0] (/nope.Msg)",
            ),
            (
                {
                    let mut x = v.clone();
                    x["auth_info"]["fee"]["gas_limit"] = json!("lots");
                    x
                },
                "auth_info.fee.gas_limit: \"lots\" is not a whole number",
            ),
            (
                {
                    let mut x = v.clone();
                    x["signatures"] = json!(["***"]);
                    x
                },
                "signatures[0]: bad base64",
            ),
            (
                {
                    let mut x = v.clone();
                    x["auth_info"]["signer_infos"] = json!([{"mode_info": {"double": {}}}]);
                    x
                },
                "auth_info.signer_infos[0].mode_info: expected \"single\" or \"multi\"",
            ),
        ];
        for (input, want) in cases {
            let e = format!("{:#}", TxDoc::from_json(&input).unwrap_err());
            assert!(e.contains(want), "expected {want:?} in {e:?}");
        }
    }

    #[test]
    fn member_signatures_are_checked_before_combining() {
        let doc = unsigned();
        let m = multisig();
        let acct = SigningAccount {
            chain_id: "kumo-devnet".into(),
            account_number: 12,
            sequence: 0,
        };
        let bytes = amino_sign_bytes(&doc, &acct).unwrap();
        let keys = members();
        let sig = |k: &PrivKey, seq: u64, mode: i32, over: &[u8]| MemberSignature {
            pubkey: k.pubkey(),
            mode,
            signature: k.sign(over).to_vec(),
            sequence: seq,
        };
        let amino = SignMode::LegacyAminoJson as i32;
        // The descriptor JSON round-trips.
        let s0 = sig(&keys[0], 0, amino, &bytes);
        assert_eq!(
            signatures_from_json(&signatures_json(std::slice::from_ref(&s0))).unwrap(),
            vec![s0.clone()]
        );
        let file = |s: Vec<MemberSignature>| vec![(PathBuf::from("s.json"), s)];
        let ok = collect_member_signatures(
            &m,
            "ms",
            &bytes,
            0,
            &file(vec![sig(&keys[2], 0, amino, &bytes), s0.clone()]),
        )
        .unwrap();
        let mut want = vec![
            m.index_of(&keys[0].pubkey()).unwrap(),
            m.index_of(&keys[2].pubkey()).unwrap(),
        ];
        want.sort();
        assert_eq!(ok.iter().map(|(i, _)| *i).collect::<Vec<_>>(), want);

        let outsider = PrivKey::from_bytes(&[9; 32]).unwrap();
        let cases = vec![
            (
                vec![sig(&outsider, 0, amino, &bytes)],
                "not a member of multisig \"ms\"",
            ),
            (
                vec![sig(&keys[1], 1, amino, &bytes)],
                "signed for sequence 1",
            ),
            (vec![sig(&keys[1], 0, 1, &bytes)], "SIGN_MODE_DIRECT"),
            (
                vec![sig(&keys[1], 0, amino, b"other")],
                "does not match this transaction",
            ),
            (vec![s0.clone(), s0.clone()], "a second signature"),
        ];
        for (sigs, want) in cases {
            let e = collect_member_signatures(&m, "ms", &bytes, 0, &file(sigs))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "expected {want:?} in {e:?}");
        }
        for (input, want) in [
            (json!({}), "signatures: missing"),
            (json!({"signatures": []}), "holds no signature"),
            (
                json!({"signatures": [{"public_key": {"@type": "/x"}}]}),
                "expected a /cosmos.crypto.secp256k1.PubKey",
            ),
        ] {
            let e = format!("{:#}", signatures_from_json(&input).unwrap_err());
            assert!(e.contains(want), "expected {want:?} in {e:?}");
        }
    }
}
