//! take params (`take/params` -> `akash.take.v1.Params`) and the fee rule.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use kumo_proto::akash::take::v1::{DenomTakeRate, Params};
use prost::Message;

const PARAMS_KEY: &[u8] = b"take/params";

/// The denom every take-rate table must name.
pub const BOND_DENOM: &str = "uakt";

/// kumo's defaults: 20 % for any denom, 4 % for uakt (DESIGN.md "Economics defaults").
pub fn default_params() -> Params {
    Params {
        denom_take_rates: vec![DenomTakeRate {
            denom: BOND_DENOM.into(),
            rate: 4,
        }],
        default_take_rate: 20,
    }
}

/// `Params.Validate`: rates are percentages (≤ 100), a uakt entry exists, no denom twice.
pub fn validate(p: &Params) -> SdkResult<()> {
    if p.default_take_rate > 100 {
        return Err(SdkError::invalid_request(format!(
            "take params: default_take_rate {} is above 100 percent",
            p.default_take_rate
        )));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &p.denom_take_rates {
        crate::coins::validate_denom(&r.denom)?;
        if r.rate > 100 {
            return Err(SdkError::invalid_request(format!(
                "take params: rate {} for {} is above 100 percent",
                r.rate, r.denom
            )));
        }
        if !seen.insert(r.denom.as_str()) {
            return Err(SdkError::invalid_request(format!(
                "take params: {} has more than one take rate",
                r.denom
            )));
        }
    }
    if !seen.contains(BOND_DENOM) {
        return Err(SdkError::invalid_request(format!(
            "take params: denom_take_rates must include {BOND_DENOM}"
        )));
    }
    Ok(())
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("stored take params decode"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    validate(p)?;
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

/// The percentage taken from withdrawals in `denom`.
pub fn rate_for(p: &Params, denom: &str) -> u32 {
    p.denom_take_rates
        .iter()
        .find(|r| r.denom == denom)
        .map_or(p.default_take_rate, |r| r.rate)
}

/// The take fee on a withdrawal of `amount` `denom`: `truncate(amount × rate / 100)`.
pub fn fee_for(ctx: &Ctx, denom: &str, amount: u128) -> u128 {
    let rate = u128::from(rate_for(&params(ctx), denom).min(100));
    // Split so that amount × rate cannot overflow.
    amount / 100 * rate + amount % 100 * rate / 100
}
