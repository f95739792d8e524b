//! genutil: genesis transactions (gentxs), as the SDK's `x/genutil`. Each validator of a new
//! network signs a tx holding one `MsgCreateValidator` for its own node; the collected txs go
//! into `app_state.genutil.gen_txs` and run at InitChain after every other module's genesis,
//! so the first bonded set comes from staking like any later one.
//!
//! Gentxs travel as the SDK writes them (`simd genesis gentx`): a `cosmos.tx.v1beta1.Tx` in
//! proto-JSON. Their signatures cover protobuf bytes, so the JSON here maps one to one onto
//! the protobuf fields (LegacyDec commission rates excepted: JSON decimals, atomics on the
//! wire), and re-encoding the JSON gives back the bytes that were signed.

pub mod genesis;
#[cfg(test)]
mod tests;

use crate::abci::ValidatorUpdate;
use crate::app::{App, AppConfig, AppError};
use crate::bank::genesis::CoinJson;
use crate::coins::Coin;
use crate::dec::{dec_string, parse_dec};
use crate::genesis::{u64_str, Genesis};
use crate::msgs::Msg;
use crate::staking::genesis::{CommissionRatesJson, DescriptionJson, PubKeyJson};
use crate::staking::msgs::{StakingMsg, MSG_CREATE_VALIDATOR};
use crate::staking::state::VALOPER_HRP;
use crate::tx::{decode_tx, DecodedTx};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as Secp256k1PubKey;
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    CommissionRates, Description, MsgCreateValidator,
};
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, PubKey, ACCOUNT_HRP};
use prost::Message;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The error InitChain gives for a genesis that would start a chain nobody can produce blocks on.
pub const NO_VALIDATOR: &str = "genesis has no bonded validator: create one with \
    `kumo genesis gentx` and `kumo genesis collect-gentxs`";

/// CometBFT's limit on chain id length.
const MAX_CHAIN_ID_LEN: usize = 50;

/// A gentx, decoded and checked on its own (no state): one `MsgCreateValidator` that passes
/// the SDK's ValidateBasic, one SIGN_MODE_DIRECT signer.
#[derive(Clone, Debug)]
pub struct GenTx {
    pub tx: DecodedTx,
    /// The operator's account: the signer, and the payer of the self-delegation.
    pub signer: Address,
    pub cons_pubkey: [u8; 32],
    pub moniker: String,
    pub self_delegation: Coin,
}

/// What the genesis knows about a gentx's signer.
#[derive(Clone, Copy, Debug)]
pub struct SignerFacts {
    pub account_number: u64,
    pub sequence: u64,
    /// Its balance of the bond denom.
    pub bond_denom_balance: u128,
}

impl GenTx {
    /// Reads a gentx from its `TxRaw` bytes (as signed).
    pub fn from_bytes(bytes: &[u8]) -> Result<GenTx, String> {
        let tx = decode_tx(bytes).map_err(|e| format!("it is not a valid tx: {}", e.log))?;
        let [Msg::Staking(StakingMsg::CreateValidator {
            operator,
            pubkey,
            description,
            value,
            ..
        })] = tx.msgs.as_slice()
        else {
            let urls: Vec<&str> = tx
                .body
                .messages
                .iter()
                .map(|m| m.type_url.as_str())
                .collect();
            return Err(format!(
                "a gentx holds exactly one {MSG_CREATE_VALIDATOR}; this one holds [{}]",
                urls.join(", ")
            ));
        };
        if tx.raw.signatures.len() != 1 || tx.auth_info.signer_infos.len() != 1 {
            return Err(format!(
                "a gentx has exactly one signature, by the validator operator; this one has {} \
                 signatures and {} signer infos",
                tx.raw.signatures.len(),
                tx.auth_info.signer_infos.len()
            ));
        }
        Ok(GenTx {
            signer: *operator,
            cons_pubkey: *pubkey,
            moniker: description.moniker.clone(),
            self_delegation: value.clone(),
            tx,
        })
    }

    /// Reads a gentx from the SDK's proto-JSON of its `Tx`.
    pub fn from_json(v: &Value) -> Result<GenTx, String> {
        let j: TxJson = serde_json::from_value(v.clone())
            .map_err(|e| format!("it is not a Cosmos tx in JSON: {e}"))?;
        GenTx::from_bytes(&j.to_raw()?.encode_to_vec())
    }

    /// The SDK's proto-JSON of the tx (what `simd genesis gentx` writes).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(TxJson::from_tx(&self.tx)).expect("gentx JSON serializes")
    }

    /// The encoded `TxRaw`.
    pub fn bytes(&self) -> Vec<u8> {
        self.tx.raw.encode_to_vec()
    }

    pub fn operator(&self) -> String {
        self.signer.to_bech32(VALOPER_HRP)
    }

    pub fn account(&self) -> String {
        self.signer.to_bech32(ACCOUNT_HRP)
    }

    /// `<node id>@<host:port>` of the validator's node, from the memo (empty if none).
    pub fn memo(&self) -> &str {
        &self.tx.body.memo
    }

    /// A short name for messages: moniker and operator.
    pub fn label(&self) -> String {
        format!("{:?} ({})", self.moniker, self.operator())
    }

    /// Checks the gentx against what the genesis holds for its signer: the account exists,
    /// holds the self-delegation in the bond denom, and signed this tx (SIGN_MODE_DIRECT over
    /// `chain_id`, its genesis account number and sequence).
    pub fn check_signer(
        &self,
        chain_id: &str,
        bond_denom: &str,
        signer: Option<SignerFacts>,
    ) -> Result<(), String> {
        let account = self.account();
        let need = &self.self_delegation;
        if need.denom != bond_denom {
            return Err(format!(
                "it self-delegates {need}, but the bond denom of this genesis is {bond_denom}"
            ));
        }
        let Some(facts) = signer else {
            return Err(format!(
                "its signer {account} is not a genesis account: add it with \
                 `kumo genesis add-account {account} {need}` (or more)"
            ));
        };
        if facts.bond_denom_balance < need.amount {
            return Err(format!(
                "its signer {account} holds {}{bond_denom} in genesis, less than the \
                 self-delegation {need}: fund it with `kumo genesis add-account`",
                facts.bond_denom_balance
            ));
        }
        self.verify_signature(chain_id, facts.account_number, facts.sequence)
    }

    /// Verifies the one SIGN_MODE_DIRECT signature for `chain_id`, `account_number`, `sequence`.
    pub fn verify_signature(
        &self,
        chain_id: &str,
        account_number: u64,
        sequence: u64,
    ) -> Result<(), String> {
        let info = &self.tx.auth_info.signer_infos[0];
        let direct = matches!(
            info.mode_info.as_ref().and_then(|m| m.sum.as_ref()),
            Some(mode_info::Sum::Single(s)) if s.mode == SignMode::Direct as i32
        );
        if !direct {
            return Err(
                "it is not signed with SIGN_MODE_DIRECT; make it again with \
                 `kumo genesis gentx`"
                    .into(),
            );
        }
        let pubkey = info
            .public_key
            .as_ref()
            .filter(|a| a.type_url == crate::auth::SECP256K1_PUBKEY_URL)
            .and_then(|a| Secp256k1PubKey::decode(a.value.as_slice()).ok())
            .and_then(|k| PubKey::from_bytes(&k.key).ok())
            .ok_or("its signer info carries no secp256k1 public key")?;
        if pubkey.address() != self.signer {
            return Err(format!(
                "it is signed by {}, not by the validator operator {}",
                pubkey.address(),
                self.account()
            ));
        }
        if info.sequence != sequence {
            return Err(format!(
                "it is signed at sequence {}, but the signer's sequence in genesis is {sequence}",
                info.sequence
            ));
        }
        let sign_bytes = self.tx.sign_bytes(chain_id, account_number);
        if !pubkey.verify(&sign_bytes, &self.tx.raw.signatures[0]) {
            return Err(format!(
                "its signature does not verify for chain id {chain_id:?} and account number \
                 {account_number}: it was signed for another chain id or account number, or \
                 changed after signing; make it again with `kumo genesis gentx` against this \
                 genesis.json"
            ));
        }
        Ok(())
    }
}

/// What `genesis` holds for the account `address` (a genesis file, before InitChain).
pub fn signer_facts(genesis: &Genesis, address: &str) -> Option<SignerFacts> {
    let acc = genesis
        .app_state
        .auth
        .accounts
        .iter()
        .find(|a| a.address == address)?;
    let denom = genesis.bond_denom();
    let balance = genesis
        .app_state
        .bank
        .balances
        .iter()
        .filter(|b| b.address == address)
        .flat_map(|b| b.coins.iter())
        .filter(|c| c.denom == denom)
        .map(|c| crate::coins::parse_amount(&c.amount).unwrap_or(0))
        .sum();
    Some(SignerFacts {
        account_number: acc.account_number,
        sequence: acc.sequence,
        bond_denom_balance: balance,
    })
}

/// Refuses two gentxs for one operator or one consensus key; `label` names each in the message
/// (a file name, or its place in `gen_txs`).
pub fn check_distinct<'a>(
    gentxs: impl IntoIterator<Item = (String, &'a GenTx)>,
) -> Result<(), String> {
    let mut operators: std::collections::BTreeMap<Address, String> = Default::default();
    let mut keys: std::collections::BTreeMap<[u8; 32], String> = Default::default();
    for (label, g) in gentxs {
        if let Some(first) = operators.insert(g.signer, label.clone()) {
            return Err(format!(
                "{first} and {label} both create validator {}: keep one of them",
                g.operator()
            ));
        }
        if let Some(first) = keys.insert(g.cons_pubkey, label.clone()) {
            return Err(format!(
                "{first} and {label} both use consensus key {}: each validator signs blocks \
                 with its own node's priv_validator_key.json",
                B64.encode(g.cons_pubkey)
            ));
        }
    }
    Ok(())
}

/// Runs InitChain on `genesis` in memory and returns the bonded set it starts with, or the
/// first problem in plain words.
pub fn genesis_validators(genesis: &Genesis) -> Result<Vec<ValidatorUpdate>, String> {
    let id = &genesis.chain_id;
    if id.trim().is_empty() {
        return Err("genesis has no chain_id: set one (`kumo init --chain-id ID`)".into());
    }
    if id.len() > MAX_CHAIN_ID_LEN {
        return Err(format!(
            "genesis chain_id {id:?} is {} bytes long; CometBFT allows at most {MAX_CHAIN_ID_LEN}",
            id.len()
        ));
    }
    let store = kumo_store::Store::in_memory(kumo_store::StoreOptions::default())
        .map_err(|e| format!("cannot open an in-memory store: {e}"))?;
    let mut app = App::new(store, AppConfig::new(id));
    let set = app.init_chain(genesis).map_err(|e| match e {
        AppError::Genesis(why) => why,
        other => other.to_string(),
    })?;
    if set.is_empty() {
        return Err(NO_VALIDATOR.into());
    }
    Ok(set)
}

/// Checks that `genesis` starts a chain: every module's genesis loads, every gentx runs, and
/// at least one validator is bonded. Runs InitChain on an in-memory store.
pub fn validate_genesis(genesis: &Genesis) -> Result<(), String> {
    genesis_validators(genesis).map(|_| ())
}

// ---- proto-JSON of a gentx ---------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct TxJson {
    body: BodyJson,
    auth_info: AuthInfoJson,
    signatures: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct BodyJson {
    messages: Vec<Value>,
    #[serde(default)]
    memo: String,
    #[serde(default, with = "u64_str")]
    timeout_height: u64,
    #[serde(default)]
    extension_options: Vec<Value>,
    #[serde(default)]
    non_critical_extension_options: Vec<Value>,
}

#[derive(Serialize, Deserialize)]
struct CreateValidatorJson {
    #[serde(rename = "@type")]
    type_url: String,
    description: DescriptionJson,
    commission: CommissionRatesJson,
    min_self_delegation: String,
    #[serde(default)]
    delegator_address: String,
    validator_address: String,
    pubkey: PubKeyJson,
    value: CoinJson,
}

#[derive(Serialize, Deserialize)]
struct AuthInfoJson {
    signer_infos: Vec<SignerInfoJson>,
    fee: FeeJson,
    /// Deprecated in the SDK; always null in a gentx.
    #[serde(default)]
    tip: Option<Value>,
}

#[derive(Serialize, Deserialize)]
struct SignerInfoJson {
    public_key: Option<PubKeyJson>,
    mode_info: ModeInfoJson,
    #[serde(with = "u64_str")]
    sequence: u64,
}

#[derive(Serialize, Deserialize)]
struct ModeInfoJson {
    single: Option<SingleJson>,
}

#[derive(Serialize, Deserialize)]
struct SingleJson {
    mode: String,
}

#[derive(Serialize, Deserialize)]
struct FeeJson {
    amount: Vec<CoinJson>,
    #[serde(with = "u64_str")]
    gas_limit: u64,
    #[serde(default)]
    payer: String,
    #[serde(default)]
    granter: String,
}

fn b64(what: &str, s: &str) -> Result<Vec<u8>, String> {
    B64.decode(s)
        .map_err(|_| format!("{what} {s:?} is not base64"))
}

fn coin_json(c: &ProtoCoin) -> CoinJson {
    CoinJson {
        denom: c.denom.clone(),
        amount: c.amount.clone(),
    }
}

fn proto_coin(c: &CoinJson) -> ProtoCoin {
    ProtoCoin {
        denom: c.denom.clone(),
        amount: c.amount.clone(),
    }
}

/// A LegacyDec as JSON writes it (`0.100000000000000000`) -> its wire form (atomics).
fn dec_atomics(what: &str, s: &str) -> Result<String, String> {
    parse_dec(s)
        .map(|a| a.to_string())
        .map_err(|e| format!("{what} {s:?} is not a decimal: {e}"))
}

fn dec_json(atomics: &str) -> String {
    crate::dec::atomics(atomics).map_or_else(|| atomics.to_string(), dec_string)
}

impl CreateValidatorJson {
    fn to_any(&self) -> Result<Any, String> {
        let key = b64("consensus pubkey", &self.pubkey.key)?;
        let d = &self.description;
        let c = &self.commission;
        #[allow(deprecated)]
        let msg = MsgCreateValidator {
            description: Some(Description {
                moniker: d.moniker.clone(),
                identity: d.identity.clone(),
                website: d.website.clone(),
                security_contact: d.security_contact.clone(),
                details: d.details.clone(),
            }),
            commission: Some(CommissionRates {
                rate: dec_atomics("commission rate", &c.rate)?,
                max_rate: dec_atomics("commission max rate", &c.max_rate)?,
                max_change_rate: dec_atomics("commission max change rate", &c.max_change_rate)?,
            }),
            min_self_delegation: self.min_self_delegation.clone(),
            delegator_address: self.delegator_address.clone(),
            validator_address: self.validator_address.clone(),
            pubkey: Some(Any {
                type_url: self.pubkey.kind.clone(),
                value: Ed25519PubKey { key }.encode_to_vec(),
            }),
            value: Some(proto_coin(&self.value)),
        };
        Ok(Any {
            type_url: self.type_url.clone(),
            value: msg.encode_to_vec(),
        })
    }

    fn from_any(any: &Any) -> Option<CreateValidatorJson> {
        let m = MsgCreateValidator::decode(any.value.as_slice()).ok()?;
        let d = m.description.unwrap_or_default();
        let c = m.commission.unwrap_or_default();
        let pk = m.pubkey.unwrap_or_default();
        let key = Ed25519PubKey::decode(pk.value.as_slice()).ok()?.key;
        #[allow(deprecated)]
        Some(CreateValidatorJson {
            type_url: any.type_url.clone(),
            description: DescriptionJson {
                moniker: d.moniker,
                identity: d.identity,
                website: d.website,
                security_contact: d.security_contact,
                details: d.details,
            },
            commission: CommissionRatesJson {
                rate: dec_json(&c.rate),
                max_rate: dec_json(&c.max_rate),
                max_change_rate: dec_json(&c.max_change_rate),
            },
            min_self_delegation: m.min_self_delegation,
            delegator_address: m.delegator_address,
            validator_address: m.validator_address,
            pubkey: PubKeyJson {
                kind: pk.type_url,
                key: B64.encode(key),
            },
            value: coin_json(&m.value.unwrap_or_default()),
        })
    }
}

impl TxJson {
    fn to_raw(&self) -> Result<TxRaw, String> {
        if !self.body.extension_options.is_empty()
            || !self.body.non_critical_extension_options.is_empty()
        {
            return Err("a gentx carries no extension options".into());
        }
        if self.auth_info.tip.as_ref().is_some_and(|t| !t.is_null()) {
            return Err("a gentx carries no tip".into());
        }
        let messages = self
            .body
            .messages
            .iter()
            .map(|m| match m["@type"].as_str() {
                Some(MSG_CREATE_VALIDATOR) => {
                    serde_json::from_value::<CreateValidatorJson>(m.clone())
                        .map_err(|e| format!("its MsgCreateValidator is malformed: {e}"))?
                        .to_any()
                }
                other => Err(format!(
                    "a gentx holds exactly one {MSG_CREATE_VALIDATOR}; this one holds a {}",
                    other.unwrap_or("message without \"@type\"")
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let body = TxBody {
            messages,
            memo: self.body.memo.clone(),
            timeout_height: self.body.timeout_height,
            extension_options: vec![],
            non_critical_extension_options: vec![],
        };
        let signer_infos = self
            .auth_info
            .signer_infos
            .iter()
            .map(|s| {
                let mode = s
                    .mode_info
                    .single
                    .as_ref()
                    .and_then(|m| SignMode::from_str_name(&m.mode))
                    .ok_or("a gentx is signed by one key in SIGN_MODE_DIRECT")?;
                let public_key = match &s.public_key {
                    Some(pk) => Some(Any {
                        type_url: pk.kind.clone(),
                        value: Secp256k1PubKey {
                            key: b64("signer public key", &pk.key)?,
                        }
                        .encode_to_vec(),
                    }),
                    None => None,
                };
                Ok(SignerInfo {
                    public_key,
                    mode_info: Some(ModeInfo {
                        sum: Some(mode_info::Sum::Single(mode_info::Single {
                            mode: mode as i32,
                        })),
                    }),
                    sequence: s.sequence,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let f = &self.auth_info.fee;
        #[allow(deprecated)]
        let auth_info = AuthInfo {
            signer_infos,
            fee: Some(Fee {
                amount: f.amount.iter().map(proto_coin).collect(),
                gas_limit: f.gas_limit,
                payer: f.payer.clone(),
                granter: f.granter.clone(),
            }),
            tip: None,
        };
        let signatures = self
            .signatures
            .iter()
            .map(|s| b64("signature", s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TxRaw {
            body_bytes: body.encode_to_vec(),
            auth_info_bytes: auth_info.encode_to_vec(),
            signatures,
        })
    }

    /// Only for checked gentxs: one MsgCreateValidator, single signers.
    fn from_tx(tx: &DecodedTx) -> TxJson {
        let messages = tx
            .body
            .messages
            .iter()
            .map(|m| {
                let j = CreateValidatorJson::from_any(m).expect("a checked gentx's message");
                serde_json::to_value(j).expect("message JSON serializes")
            })
            .collect();
        let fee = tx.auth_info.fee.clone().unwrap_or_default();
        TxJson {
            body: BodyJson {
                messages,
                memo: tx.body.memo.clone(),
                timeout_height: tx.body.timeout_height,
                extension_options: vec![],
                non_critical_extension_options: vec![],
            },
            auth_info: AuthInfoJson {
                signer_infos: tx
                    .auth_info
                    .signer_infos
                    .iter()
                    .map(|s| SignerInfoJson {
                        public_key: s.public_key.as_ref().map(|a| PubKeyJson {
                            kind: a.type_url.clone(),
                            key: B64.encode(
                                Secp256k1PubKey::decode(a.value.as_slice())
                                    .map(|k| k.key)
                                    .unwrap_or_default(),
                            ),
                        }),
                        mode_info: ModeInfoJson {
                            single: match s.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
                                Some(mode_info::Sum::Single(m)) => Some(SingleJson {
                                    mode: SignMode::try_from(m.mode)
                                        .unwrap_or(SignMode::Unspecified)
                                        .as_str_name()
                                        .into(),
                                }),
                                _ => None,
                            },
                        },
                        sequence: s.sequence,
                    })
                    .collect(),
                fee: FeeJson {
                    amount: fee.amount.iter().map(coin_json).collect(),
                    gas_limit: fee.gas_limit,
                    payer: fee.payer,
                    granter: fee.granter,
                },
                tip: None,
            },
            signatures: tx.raw.signatures.iter().map(|s| B64.encode(s)).collect(),
        }
    }
}
