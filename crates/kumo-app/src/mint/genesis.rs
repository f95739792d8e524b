//! mint genesis, SDK layout (`minter`, `params`, decimals as JSON decimals) plus kumo's
//! `max_supply` (uakt) cap.

use super::state::*;
use crate::ctx::Ctx;
use crate::dec::{atomics, dec_string, parse_dec};
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::mint::v1beta1::Params;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub minter: Option<MinterJson>,
    #[serde(default)]
    pub params: Option<ParamsJson>,
    /// The hard cap on the mint denom's supply, in its base unit.
    #[serde(default)]
    pub max_supply: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MinterJson {
    pub inflation: String,
    pub annual_provisions: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsJson {
    pub mint_denom: String,
    pub inflation_rate_change: String,
    pub inflation_max: String,
    pub inflation_min: String,
    pub goal_bonded: String,
    #[serde(with = "crate::genesis::u64_str")]
    pub blocks_per_year: u64,
}

impl GenesisState {
    /// Minting off (inflation pinned at 0): for networks and tests that count tokens exactly.
    pub fn no_inflation() -> GenesisState {
        let mut p = ParamsJson::from_params(&default_params());
        p.inflation_min = "0".into();
        p.inflation_max = "0".into();
        GenesisState {
            minter: Some(MinterJson {
                inflation: "0".into(),
                annual_provisions: "0".into(),
            }),
            params: Some(p),
            max_supply: None,
        }
    }
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("mint genesis: {what}"))
}

impl ParamsJson {
    pub fn from_params(p: &Params) -> ParamsJson {
        let d = |s: &str| dec_string(atomics(s).unwrap_or(0));
        ParamsJson {
            mint_denom: p.mint_denom.clone(),
            inflation_rate_change: d(&p.inflation_rate_change),
            inflation_max: d(&p.inflation_max),
            inflation_min: d(&p.inflation_min),
            goal_bonded: d(&p.goal_bonded),
            blocks_per_year: p.blocks_per_year,
        }
    }

    pub fn to_params(&self) -> SdkResult<Params> {
        let d = |s: &str| parse_dec(s).map(|a| a.to_string()).map_err(bad);
        Ok(Params {
            mint_denom: self.mint_denom.clone(),
            inflation_rate_change: d(&self.inflation_rate_change)?,
            inflation_max: d(&self.inflation_max)?,
            inflation_min: d(&self.inflation_min)?,
            goal_bonded: d(&self.goal_bonded)?,
            blocks_per_year: self.blocks_per_year,
        })
    }
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let params = match &g.params {
        Some(p) => p.to_params()?,
        None => default_params(),
    };
    validate_params(&params)?;
    set_params(ctx, &params)?;
    let minter = match &g.minter {
        Some(m) => Minter {
            inflation: parse_dec(&m.inflation).map_err(bad)?,
            annual_provisions: parse_dec(&m.annual_provisions).map_err(bad)?,
        },
        // The SDK's initial minter: 13 % inflation, provisions computed at the first block.
        None => Minter {
            inflation: atomics(&params.inflation_min).unwrap_or(0),
            annual_provisions: 0,
        },
    };
    set_minter(ctx, &minter)?;
    let cap = match &g.max_supply {
        Some(s) => crate::coins::parse_amount(s).map_err(bad)?,
        None => DEFAULT_MAX_SUPPLY,
    };
    set_max_supply(ctx, cap)
}

pub fn export(ctx: &Ctx) -> GenesisState {
    let m = minter(ctx);
    GenesisState {
        minter: Some(MinterJson {
            inflation: dec_string(m.inflation),
            annual_provisions: dec_string(m.annual_provisions),
        }),
        params: Some(ParamsJson::from_params(&params(ctx))),
        max_supply: Some(max_supply(ctx).to_string()),
    }
}
