//! `Keeper.Slash`: burns `fraction` of the stake a validator had at an infraction height —
//! first from the unbonding delegations and redelegations that began at or after it (their
//! tokens were at stake then), the rest from the validator's tokens, which lowers every
//! delegator's share value proportionally.

use super::state::*;
use crate::abci::Event;
use crate::ctx::Ctx;
use crate::dec::{dec_mul, mul_div};
use crate::errors::SdkResult;
use cosmos_sdk_proto::cosmos::staking::v1beta1::BondStatus;
use kumo_crypto::Address;
use kumo_proto::math::DEC_ONE;

/// Slashes the validator with consensus address `cons` for an infraction at
/// `infraction_height`, when it had `power`; returns the tokens burned.
pub fn slash(
    ctx: &mut Ctx,
    cons: &[u8],
    infraction_height: u64,
    power: i64,
    fraction: u128,
) -> SdkResult<u128> {
    let Some(mut val) = validator_by_cons(ctx, cons) else {
        // Already unbonded and removed: nothing is left at stake.
        return Ok(0);
    };
    if val.status == BondStatus::Unbonded {
        return Ok(0);
    }
    let amount = (power.max(0) as u128) * POWER_REDUCTION;
    let slash_amount = mul_div(amount, fraction, DEC_ONE).unwrap_or(0);
    let mut remaining = slash_amount;
    if infraction_height < ctx.block.height {
        for ubd in validator_unbondings(ctx, &val.operator) {
            let del = crate::auth::parse_address("delegator", &ubd.delegator_address)?;
            let slashed = slash_unbonding(ctx, &del, &val.operator, infraction_height, fraction)?;
            remaining = remaining.saturating_sub(slashed);
        }
        for (del, dst, _) in redelegations_from(ctx, &val.operator) {
            let slashed =
                slash_redelegation(ctx, &del, &val.operator, &dst, infraction_height, fraction)?;
            remaining = remaining.saturating_sub(slashed);
        }
        // Redelegation slashing unbonds from other validators (and may touch this one too).
        val = must_validator(ctx, &val.operator)?;
    }
    let burn = remaining.min(val.tokens);
    if burn == 0 {
        return Ok(0);
    }
    let effective = mul_div(burn, DEC_ONE, val.tokens).expect("fraction of at most one");
    super::hooks::before_validator_slashed(ctx, &val, effective)?;
    val.tokens -= burn;
    set_validator(ctx, &val)?;
    burn_from_pool(ctx, val.is_bonded(), burn)?;
    ctx.emit(
        Event::new("slash")
            .attr("address", val.valoper())
            .attr("burned", burn.to_string()),
    );
    Ok(burn)
}

/// Slashes the entries of one unbonding delegation that began at or after the infraction and
/// have not matured; returns the amount owed (before capping at each entry's balance, as the
/// SDK counts it).
fn slash_unbonding(
    ctx: &mut Ctx,
    del: &Address,
    op: &Address,
    infraction_height: u64,
    fraction: u128,
) -> SdkResult<u128> {
    let Some(mut ubd) = unbonding_delegation(ctx, del, op) else {
        return Ok(0);
    };
    let now = ctx.block.time;
    let (mut owed, mut burned) = (0u128, 0u128);
    for en in &mut ubd.entries {
        if (en.creation_height as u64) < infraction_height
            || from_timestamp(en.completion_time.as_ref()) <= now
        {
            continue;
        }
        let initial: u128 = en.initial_balance.parse().unwrap_or(0);
        let amount = mul_div(initial, fraction, DEC_ONE).unwrap_or(0);
        owed += amount;
        let balance: u128 = en.balance.parse().unwrap_or(0);
        let cut = amount.min(balance);
        en.balance = (balance - cut).to_string();
        burned += cut;
    }
    set_unbonding_delegation(ctx, del, op, &ubd)?;
    burn_from_pool(ctx, false, burned)?;
    Ok(owed)
}

/// Slashes redelegated stake: unbonds the fraction of the destination shares the redelegation
/// created and burns those tokens.
fn slash_redelegation(
    ctx: &mut Ctx,
    del: &Address,
    src: &Address,
    dst: &Address,
    infraction_height: u64,
    fraction: u128,
) -> SdkResult<u128> {
    let Some(red) = redelegation(ctx, del, src, dst) else {
        return Ok(0);
    };
    let now = ctx.block.time;
    let mut owed = 0u128;
    for en in &red.entries {
        if (en.creation_height as u64) < infraction_height
            || from_timestamp(en.completion_time.as_ref()) <= now
        {
            continue;
        }
        let initial: u128 = en.initial_balance.parse().unwrap_or(0);
        owed += mul_div(initial, fraction, DEC_ONE).unwrap_or(0);
        let shares_dst = crate::dec::atomics(&en.shares_dst).unwrap_or(0);
        let mut to_unbond = dec_mul(shares_dst, fraction);
        if to_unbond == 0 {
            continue;
        }
        let Some(held) = delegation(ctx, del, dst) else {
            continue;
        };
        to_unbond = to_unbond.min(held);
        let mut dst_val = must_validator(ctx, dst)?;
        let was_bonded = dst_val.is_bonded();
        let tokens = unbond(ctx, del, &mut dst_val, to_unbond)?;
        burn_from_pool(ctx, was_bonded, tokens)?;
    }
    Ok(owed)
}
