//! distribution genesis, SDK layout: `params` and `fee_pool.community_pool` (DecCoins as
//! decimals) are read; the reward records of a fresh chain start from the staking genesis
//! (its hooks), so the other SDK sections (exports) are kept as given.

use crate::bank;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use kumo_proto::math::{Dec, DEC_ONE};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub fee_pool: FeePoolJson,
    /// SDK sections kumo does not implement yet (params, rewards...), kept for export.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsJson {
    pub community_tax: String,
    #[serde(default = "zero_dec")]
    pub base_proposer_reward: String,
    #[serde(default = "zero_dec")]
    pub bonus_proposer_reward: String,
    pub withdraw_addr_enabled: bool,
}

fn zero_dec() -> String {
    "0.000000000000000000".into()
}

impl ParamsJson {
    #[allow(deprecated)]
    pub fn from_params(p: &cosmos_sdk_proto::cosmos::distribution::v1beta1::Params) -> ParamsJson {
        let d = |s: &str| crate::dec::dec_string(crate::dec::atomics(s).unwrap_or(0));
        ParamsJson {
            community_tax: d(&p.community_tax),
            base_proposer_reward: d(&p.base_proposer_reward),
            bonus_proposer_reward: d(&p.bonus_proposer_reward),
            withdraw_addr_enabled: p.withdraw_addr_enabled,
        }
    }

    #[allow(deprecated)]
    pub fn to_params(&self) -> SdkResult<cosmos_sdk_proto::cosmos::distribution::v1beta1::Params> {
        let d = |s: &str| crate::dec::parse_dec(s).map(|a| a.to_string()).map_err(bad);
        Ok(cosmos_sdk_proto::cosmos::distribution::v1beta1::Params {
            community_tax: d(&self.community_tax)?,
            base_proposer_reward: d(&self.base_proposer_reward)?,
            bonus_proposer_reward: d(&self.bonus_proposer_reward)?,
            withdraw_addr_enabled: self.withdraw_addr_enabled,
        })
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FeePoolJson {
    #[serde(default)]
    pub community_pool: Vec<DecCoinJson>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecCoinJson {
    pub denom: String,
    /// A decimal such as `12.500000000000000000`.
    pub amount: String,
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("distribution genesis: {what}"))
}

/// Loads the community pool and checks that the distribution module account holds its whole
/// units (the pool is all that account holds while distribution is this minimal).
pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let params = match &g.params {
        Some(p) => p.to_params()?,
        None => super::state::default_params(),
    };
    super::state::validate_params(&params)?;
    super::state::set_params(ctx, &params)?;
    let mut pool = BTreeMap::new();
    for c in &g.fee_pool.community_pool {
        crate::coins::validate_denom(&c.denom)?;
        let d: Dec = c
            .amount
            .parse()
            .map_err(|e| bad(format!("community pool {}: {e}", c.denom)))?;
        if pool.insert(c.denom.clone(), d.atomics()).is_some() {
            return Err(bad(format!("community pool lists {} twice", c.denom)));
        }
    }
    let module = crate::auth::module_address(super::state::MODULE_NAME);
    let held = bank::state::all_balances(ctx, &module);
    let expected: Vec<(String, u128)> = pool
        .iter()
        .map(|(d, a)| (d.clone(), a / DEC_ONE))
        .filter(|(_, a)| *a > 0)
        .collect();
    let held: Vec<(String, u128)> = held.into_iter().map(|c| (c.denom, c.amount)).collect();
    if held != expected {
        return Err(bad(format!(
            "the distribution module account holds {held:?} but the community pool is {expected:?}"
        )));
    }
    super::state::set_community_pool(ctx, &pool)
}

pub fn export(ctx: &Ctx, other: &BTreeMap<String, serde_json::Value>) -> GenesisState {
    GenesisState {
        params: Some(ParamsJson::from_params(&super::state::params(ctx))),
        fee_pool: FeePoolJson {
            community_pool: super::state::community_pool(ctx)
                .into_iter()
                .map(|(denom, a)| DecCoinJson {
                    denom,
                    amount: Dec::from_atomics(a).to_legacy_string(),
                })
                .collect(),
        },
        other: other.clone(),
    }
}
