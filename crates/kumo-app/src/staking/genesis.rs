//! staking genesis in the SDK JSON layout: `params`, `validators` (bonded ones' tokens held by
//! the bonded pool, the others' by the not-bonded pool), `delegations`. The bonded set is
//! computed at init, as `InitGenesis` does for a fresh chain.

use super::state::*;
use crate::ctx::Ctx;
use crate::dec::{dec_string, parse_dec};
use crate::errors::{SdkError, SdkResult};
use crate::genesis::Genesis;
use base64::Engine;
use cosmos_sdk_proto::cosmos::staking::v1beta1::{BondStatus, Description, Params};
use kumo_crypto::Address;
use kumo_proto::math::DEC_ONE;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub validators: Vec<ValidatorJson>,
    #[serde(default)]
    pub delegations: Vec<DelegationJson>,
    /// Sections kumo does not load at genesis (last powers, unbonding entries), kept as given.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsJson {
    /// A duration such as `1209600s`.
    pub unbonding_time: String,
    pub max_validators: u32,
    pub max_entries: u32,
    pub historical_entries: u32,
    pub bond_denom: String,
    pub min_commission_rate: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PubKeyJson {
    #[serde(rename = "@type")]
    pub kind: String,
    pub key: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DescriptionJson {
    #[serde(default)]
    pub moniker: String,
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub security_contact: String,
    #[serde(default)]
    pub details: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommissionRatesJson {
    pub rate: String,
    pub max_rate: String,
    pub max_change_rate: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommissionJson {
    pub commission_rates: CommissionRatesJson,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidatorJson {
    pub operator_address: String,
    pub consensus_pubkey: PubKeyJson,
    #[serde(default)]
    pub jailed: bool,
    pub status: String,
    pub tokens: String,
    pub delegator_shares: String,
    #[serde(default)]
    pub description: DescriptionJson,
    pub commission: CommissionJson,
    pub min_self_delegation: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DelegationJson {
    pub delegator_address: String,
    pub validator_address: String,
    pub shares: String,
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("staking genesis: {what}"))
}

impl ParamsJson {
    pub fn from_params(p: &Params) -> ParamsJson {
        let (s, _) = unbonding_seconds(p);
        ParamsJson {
            unbonding_time: format!("{s}s"),
            max_validators: p.max_validators,
            max_entries: p.max_entries,
            historical_entries: p.historical_entries,
            bond_denom: p.bond_denom.clone(),
            min_commission_rate: dec_string(
                crate::dec::atomics(&p.min_commission_rate).unwrap_or(0),
            ),
        }
    }

    pub fn to_params(&self) -> SdkResult<Params> {
        let secs: i64 = self
            .unbonding_time
            .strip_suffix('s')
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                bad(format!(
                    "unbonding_time {:?} is not like 1209600s",
                    self.unbonding_time
                ))
            })?;
        Ok(Params {
            unbonding_time: Some(cosmos_sdk_proto::tendermint::google::protobuf::Duration {
                seconds: secs,
                nanos: 0,
            }),
            max_validators: self.max_validators,
            max_entries: self.max_entries,
            historical_entries: self.historical_entries,
            bond_denom: self.bond_denom.clone(),
            min_commission_rate: parse_dec(&self.min_commission_rate)
                .map_err(bad)?
                .to_string(),
        })
    }
}

fn parse_validator(v: &ValidatorJson) -> SdkResult<Val> {
    let operator = Address::from_bech32(&v.operator_address, VALOPER_HRP)
        .map_err(|e| bad(format!("operator address {:?}: {e}", v.operator_address)))?;
    if v.consensus_pubkey.kind != ED25519_PUBKEY_URL {
        return Err(bad(format!(
            "validator {} has a {} key; only {ED25519_PUBKEY_URL} is supported",
            v.operator_address, v.consensus_pubkey.kind
        )));
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(&v.consensus_pubkey.key)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k.as_slice()).ok())
        .ok_or_else(|| {
            bad(format!(
                "validator {} key is not 32 base64 bytes",
                v.operator_address
            ))
        })?;
    let status = BondStatus::from_str_name(&v.status)
        .filter(|s| *s != BondStatus::Unspecified)
        .ok_or_else(|| {
            bad(format!(
                "validator {} status {:?}",
                v.operator_address, v.status
            ))
        })?;
    let c = &v.commission.commission_rates;
    let (rate, max_rate, max_change_rate) = (
        parse_dec(&c.rate).map_err(bad)?,
        parse_dec(&c.max_rate).map_err(bad)?,
        parse_dec(&c.max_change_rate).map_err(bad)?,
    );
    super::msgs::check_commission(rate, max_rate, max_change_rate)?;
    let d = &v.description;
    Ok(Val {
        operator,
        cons_pubkey: key,
        jailed: v.jailed,
        status,
        tokens: crate::coins::parse_amount(&v.tokens).map_err(bad)?,
        shares: parse_dec(&v.delegator_shares).map_err(bad)?,
        description: Description {
            moniker: d.moniker.clone(),
            identity: d.identity.clone(),
            website: d.website.clone(),
            security_contact: d.security_contact.clone(),
            details: d.details.clone(),
        },
        unbonding_height: 0,
        unbonding_time: Default::default(),
        rate,
        max_rate,
        max_change_rate,
        commission_updated: Default::default(),
        min_self_delegation: crate::coins::parse_amount(&v.min_self_delegation).map_err(bad)?,
    })
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let params = match &g.params {
        Some(p) => p.to_params()?,
        None => default_params(),
    };
    validate_params(&params)?;
    set_params(ctx, &params)?;
    let (mut bonded, mut not_bonded) = (0u128, 0u128);
    let mut shares_by_val: BTreeMap<Address, u128> = BTreeMap::new();
    for vj in &g.validators {
        let v = parse_validator(vj)?;
        if validator(ctx, &v.operator).is_some() {
            return Err(bad(format!(
                "validator {} is listed twice",
                vj.operator_address
            )));
        }
        if validator_by_cons(ctx, &v.cons_address()).is_some() {
            return Err(bad(format!(
                "validator {} reuses a consensus key",
                vj.operator_address
            )));
        }
        if v.is_bonded() {
            bonded += v.tokens;
        } else {
            not_bonded += v.tokens;
        }
        set_validator(ctx, &v)?;
        super::hooks::after_validator_created(ctx, &v)?;
        if v.is_bonded() {
            // Bonded from the start: liveness tracking starts now (the SDK's genesis
            // validators bond through the same hook at InitChain).
            super::hooks::after_validator_bonded(ctx, &v)?;
        }
        shares_by_val.insert(v.operator, 0);
    }
    for dj in &g.delegations {
        let del = crate::auth::parse_address("delegator", &dj.delegator_address)?;
        let op = Address::from_bech32(&dj.validator_address, VALOPER_HRP)
            .map_err(|e| bad(format!("validator address {:?}: {e}", dj.validator_address)))?;
        let v = validator(ctx, &op).ok_or_else(|| {
            bad(format!(
                "delegation to unknown validator {}",
                dj.validator_address
            ))
        })?;
        let shares = parse_dec(&dj.shares).map_err(bad)?;
        *shares_by_val.get_mut(&op).expect("listed") += shares;
        super::hooks::before_delegation_created(ctx, &del, &v)?;
        set_delegation(ctx, &del, &op, shares)?;
        super::hooks::after_delegation_modified(ctx, &del, &v)?;
    }
    for (op, sum) in &shares_by_val {
        let v = validator(ctx, op).expect("stored above");
        if *sum != v.shares {
            return Err(bad(format!(
                "validator {} has delegator_shares {} but its delegations sum to {}",
                v.valoper(),
                dec_string(v.shares),
                dec_string(*sum)
            )));
        }
    }
    for (is_bonded, expected) in [(true, bonded), (false, not_bonded)] {
        let held = pool_balance(ctx, is_bonded);
        if held != expected {
            return Err(bad(format!(
                "the {} pool holds {held}{} but its validators have {expected}",
                if is_bonded {
                    BONDED_POOL
                } else {
                    NOT_BONDED_POOL
                },
                params.bond_denom
            )));
        }
    }
    super::apply_validator_set_updates(ctx)?;
    Ok(())
}

pub fn export(ctx: &Ctx, other: &BTreeMap<String, serde_json::Value>) -> GenesisState {
    GenesisState {
        params: Some(ParamsJson::from_params(&params(ctx))),
        validators: all_validators(ctx)
            .iter()
            .map(|v| ValidatorJson {
                operator_address: v.valoper(),
                consensus_pubkey: PubKeyJson {
                    kind: ED25519_PUBKEY_URL.into(),
                    key: base64::engine::general_purpose::STANDARD.encode(v.cons_pubkey),
                },
                jailed: v.jailed,
                status: v.status.as_str_name().into(),
                tokens: v.tokens.to_string(),
                delegator_shares: dec_string(v.shares),
                description: DescriptionJson {
                    moniker: v.description.moniker.clone(),
                    identity: v.description.identity.clone(),
                    website: v.description.website.clone(),
                    security_contact: v.description.security_contact.clone(),
                    details: v.description.details.clone(),
                },
                commission: CommissionJson {
                    commission_rates: CommissionRatesJson {
                        rate: dec_string(v.rate),
                        max_rate: dec_string(v.max_rate),
                        max_change_rate: dec_string(v.max_change_rate),
                    },
                },
                min_self_delegation: v.min_self_delegation.to_string(),
            })
            .collect(),
        delegations: vec![],
        other: other.clone(),
    }
}

/// Makes `operator` (an account in `genesis` holding at least `self_bond` of the bond denom) a
/// bonded genesis validator signing with the ed25519 `pubkey`: its self-delegation moves from
/// its balance to the bonded pool, and the CometBFT `validators` list gets its power.
pub fn add_genesis_validator(
    genesis: &mut Genesis,
    operator: &Address,
    pubkey: &[u8; 32],
    moniker: &str,
    self_bond: u128,
    commission_rate: u128,
) -> Result<(), String> {
    let denom = genesis.bond_denom();
    let account = operator.to_bech32(kumo_crypto::ACCOUNT_HRP);
    let bank = &mut genesis.app_state.bank;
    let entry = bank
        .balances
        .iter_mut()
        .find(|b| b.address == account)
        .ok_or_else(|| format!("{account} has no genesis balance to self-delegate from"))?;
    let coin = entry
        .coins
        .iter_mut()
        .find(|c| c.denom == denom)
        .ok_or_else(|| format!("{account} holds no {denom}"))?;
    let have = crate::coins::parse_amount(&coin.amount)?;
    if have < self_bond {
        return Err(format!(
            "{account} holds {have}{denom}, less than the self-bond {self_bond}"
        ));
    }
    coin.amount = (have - self_bond).to_string();
    let pool = pool_address(true).to_bech32(kumo_crypto::ACCOUNT_HRP);
    match bank.balances.iter_mut().find(|b| b.address == pool) {
        Some(b) => {
            let c = b
                .coins
                .iter_mut()
                .find(|c| c.denom == denom)
                .expect("pool holds the bond denom");
            c.amount = (crate::coins::parse_amount(&c.amount)? + self_bond).to_string();
        }
        None => bank.balances.push(crate::bank::genesis::Balance {
            address: pool,
            coins: vec![crate::bank::genesis::CoinJson {
                denom: denom.clone(),
                amount: self_bond.to_string(),
            }],
        }),
    }
    bank.supply.clear();
    let valoper = operator.to_bech32(VALOPER_HRP);
    let staking = &mut genesis.app_state.staking;
    staking.validators.push(ValidatorJson {
        operator_address: valoper.clone(),
        consensus_pubkey: PubKeyJson {
            kind: ED25519_PUBKEY_URL.into(),
            key: base64::engine::general_purpose::STANDARD.encode(pubkey),
        },
        jailed: false,
        status: BondStatus::Bonded.as_str_name().into(),
        tokens: self_bond.to_string(),
        delegator_shares: dec_string(self_bond * DEC_ONE),
        description: DescriptionJson {
            moniker: moniker.into(),
            ..Default::default()
        },
        commission: CommissionJson {
            commission_rates: CommissionRatesJson {
                rate: dec_string(commission_rate),
                max_rate: dec_string(DEC_ONE / 5),
                max_change_rate: dec_string(DEC_ONE / 100),
            },
        },
        min_self_delegation: "1".into(),
    });
    staking.delegations.push(DelegationJson {
        delegator_address: account,
        validator_address: valoper,
        shares: dec_string(self_bond * DEC_ONE),
    });
    let cons = hex::encode_upper(cons_address(pubkey));
    let power = (self_bond / POWER_REDUCTION) as u64;
    match genesis.validators.iter_mut().find(|v| v.address == cons) {
        Some(v) => v.power = power,
        None => genesis.validators.push(crate::genesis::GenesisValidator {
            address: cons,
            pub_key: crate::genesis::PubKeyJson {
                kind: "tendermint/PubKeyEd25519".into(),
                value: base64::engine::general_purpose::STANDARD.encode(pubkey),
            },
            power,
            name: moniker.into(),
        }),
    }
    Ok(())
}
