//! distribution's side of the staking hooks: a new validator starts at period 1; a
//! delegation's rewards are settled before its shares change and a new record starts after; a
//! slash ends a period and records its fraction; a removed validator's leftovers go to its
//! operator (commission) and the community pool (dust).

use super::rewards::*;
use super::state::*;
use crate::ctx::Ctx;
use crate::dec::{self, DecCoins};
use crate::errors::SdkResult;
use crate::staking::state::Val;
use kumo_crypto::Address;

pub fn after_validator_created(ctx: &mut Ctx, op: &Address) -> SdkResult<()> {
    set_historical(ctx, op, 0, &DecCoins::new(), 1)?;
    set_current(ctx, op, &DecCoins::new(), 1)?;
    set_commission(ctx, op, &DecCoins::new())?;
    set_outstanding(ctx, op, &DecCoins::new())
}

pub fn before_delegation_created(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    increment_validator_period(ctx, v).map(|_| ())
}

pub fn before_delegation_shares_modified(ctx: &mut Ctx, del: &Address, v: &Val) -> SdkResult<()> {
    withdraw_delegation_rewards(ctx, v, del).map(|_| ())
}

pub fn after_delegation_modified(ctx: &mut Ctx, del: &Address, v: &Val) -> SdkResult<()> {
    initialize_delegation(ctx, v, del)
}

/// `fraction`: LegacyDec atomics of the validator's tokens being burned.
pub fn before_validator_slashed(ctx: &mut Ctx, v: &Val, fraction: u128) -> SdkResult<()> {
    let period = increment_validator_period(ctx, v)?;
    increment_reference_count(ctx, &v.operator, period)?;
    set_slash_event(ctx, &v.operator, period, fraction)
}

pub fn after_validator_removed(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    let op = &v.operator;
    let mut out = outstanding(ctx, op);
    let acc = commission(ctx, op);
    if !acc.is_empty() {
        dec::sub_dec_coins(&mut out, &acc);
        let (coins, change) = dec::truncate(&acc);
        add_to_community_pool(ctx, &change)?;
        if !coins.is_empty() {
            let to = withdraw_address(ctx, op);
            crate::bank::state::send(ctx, &crate::auth::module_address(MODULE_NAME), &to, &coins)?;
        }
    }
    add_to_community_pool(ctx, &out)?;
    delete_validator_records(ctx, op)
}
