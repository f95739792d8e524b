//! mint state: `mint/params` -> `Params`, `mint/minter` -> `Minter` (LegacyDec atomics),
//! `mint/max_supply` -> u128 BE (kumo's hard cap; not an SDK field).

use crate::ctx::Ctx;
use crate::dec::{atomics, mul_div, mul_div_round};
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::mint::v1beta1::{Minter as MinterProto, Params};
use kumo_proto::math::DEC_ONE;
use prost::Message;

pub const MODULE_NAME: &str = "mint";
const PARAMS_KEY: &[u8] = b"mint/params";
const MINTER_KEY: &[u8] = b"mint/minter";
const MAX_SUPPLY_KEY: &[u8] = b"mint/max_supply";

/// Akash's max supply, 388,539,008 AKT in uakt (DESIGN.md "Economics defaults").
pub const DEFAULT_MAX_SUPPLY: u128 = 388_539_008_000_000;
/// ~6 s blocks (spec §12.1): 365 × 24 × 3600 / 6.
pub const BLOCKS_PER_YEAR: u64 = 5_256_000;

const PERCENT: u128 = DEC_ONE / 100;

/// kumo's defaults: 13 %..15 % toward 67 % bonded, moving at most 13 % a year (the SDK's
/// rate of change), in uakt.
pub fn default_params() -> Params {
    Params {
        mint_denom: "uakt".into(),
        inflation_rate_change: (13 * PERCENT).to_string(),
        inflation_max: (15 * PERCENT).to_string(),
        inflation_min: (13 * PERCENT).to_string(),
        goal_bonded: (67 * PERCENT).to_string(),
        blocks_per_year: BLOCKS_PER_YEAR,
    }
}

/// The minter with its decimals decoded (atomics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Minter {
    pub inflation: u128,
    pub annual_provisions: u128,
}

pub fn validate_params(p: &Params) -> SdkResult<()> {
    let bad = |what: String| SdkError::invalid_request(format!("mint params: {what}"));
    crate::coins::validate_denom(&p.mint_denom)?;
    let mut v = [0u128; 4];
    for (i, (name, s)) in [
        ("inflation_rate_change", &p.inflation_rate_change),
        ("inflation_max", &p.inflation_max),
        ("inflation_min", &p.inflation_min),
        ("goal_bonded", &p.goal_bonded),
    ]
    .into_iter()
    .enumerate()
    {
        v[i] = atomics(s)
            .filter(|a| *a <= DEC_ONE)
            .ok_or_else(|| bad(format!("{name} {s:?} must be a LegacyDec between 0 and 1")))?;
    }
    if v[3] == 0 {
        return Err(bad("goal_bonded must be positive".into()));
    }
    if v[1] < v[2] {
        return Err(bad("inflation_max must be at least inflation_min".into()));
    }
    if p.blocks_per_year == 0 {
        return Err(bad("blocks_per_year must be positive".into()));
    }
    Ok(())
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("stored mint params"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

pub fn minter(ctx: &Ctx) -> Minter {
    let m = ctx
        .get_free(MINTER_KEY)
        .map(|b| MinterProto::decode(b.as_slice()).expect("stored minter"))
        .unwrap_or_default();
    Minter {
        inflation: atomics(&m.inflation).unwrap_or(0),
        annual_provisions: atomics(&m.annual_provisions).unwrap_or(0),
    }
}

pub fn set_minter(ctx: &mut Ctx, m: &Minter) -> SdkResult<()> {
    let p = MinterProto {
        inflation: m.inflation.to_string(),
        annual_provisions: m.annual_provisions.to_string(),
    };
    ctx.set(MINTER_KEY.to_vec(), p.encode_to_vec())
}

pub fn max_supply(ctx: &Ctx) -> u128 {
    ctx.get_free(MAX_SUPPLY_KEY)
        .map(|b| u128::from_be_bytes(b.as_slice().try_into().expect("16 bytes")))
        .unwrap_or(DEFAULT_MAX_SUPPLY)
}

pub fn set_max_supply(ctx: &mut Ctx, v: u128) -> SdkResult<()> {
    ctx.set(MAX_SUPPLY_KEY.to_vec(), v.to_be_bytes().to_vec())
}

/// `Minter.NextInflationRate`: inflation moves by (1 − bonded/goal) × rate_change per year,
/// spread over the year's blocks, and stays within [min, max]. Rounds as LegacyDec.Quo.
pub fn next_inflation(p: &Params, inflation: u128, bonded_ratio: u128) -> u128 {
    let goal = atomics(&p.goal_bonded).unwrap_or(DEC_ONE);
    let change_rate = atomics(&p.inflation_rate_change).unwrap_or(0);
    let (min, max) = (
        atomics(&p.inflation_min).unwrap_or(0),
        atomics(&p.inflation_max).unwrap_or(0),
    );
    let ratio = mul_div_round(bonded_ratio, DEC_ONE, goal).expect("ratio within range");
    // (1 − ratio) is negative above the goal: carry the sign separately.
    let (below_goal, gap) = if ratio <= DEC_ONE {
        (true, DEC_ONE - ratio)
    } else {
        (false, ratio - DEC_ONE)
    };
    let per_year = mul_div_round(gap, change_rate, DEC_ONE).expect("within range");
    let per_block = mul_div_round(per_year, 1, p.blocks_per_year as u128).expect("within range");
    let next = if below_goal {
        inflation.saturating_add(per_block)
    } else {
        inflation.saturating_sub(per_block)
    };
    next.clamp(min, max)
}

/// `Minter.BlockProvision`: annual provisions / blocks per year, truncated to whole tokens.
pub fn block_provision(p: &Params, m: &Minter) -> u128 {
    mul_div(m.annual_provisions, 1, p.blocks_per_year as u128 * DEC_ONE).unwrap_or(0)
}
