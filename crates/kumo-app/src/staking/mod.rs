//! staking (`cosmos.staking.v1beta1`): validators, delegations, unbonding (14 days by
//! default), redelegation, and the bonded set of at most `max_validators` by power, computed at
//! every end block and reported to the consensus engine as validator updates.

pub mod errors;
pub mod genesis;
pub mod hooks;
pub mod msgs;
pub mod query;
pub mod slash;
pub mod state;
#[cfg(test)]
mod tests;

use crate::abci::{Event, ValidatorUpdate};
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use cosmos_sdk_proto::cosmos::staking::v1beta1::BondStatus;
use kumo_crypto::{Address, ACCOUNT_HRP};
use state::*;
use std::collections::BTreeMap;

/// End block: the new bonded set (and its updates for the engine), then what has matured:
/// unbonding validators, unbonding delegations, redelegations.
pub fn end_block(ctx: &mut Ctx) -> SdkResult<Vec<ValidatorUpdate>> {
    let updates = apply_validator_set_updates(ctx)?;
    complete_unbonding_validators(ctx)?;
    complete_unbonding_delegations(ctx)?;
    complete_redelegations(ctx)?;
    Ok(updates)
}

/// Picks the top `max_validators` of the power index, bonds newcomers, begins unbonding the
/// ones that fell out, and returns every power that changed (0 = removed). Deterministic: the
/// index orders by power, then operator address.
pub fn apply_validator_set_updates(ctx: &mut Ctx) -> SdkResult<Vec<ValidatorUpdate>> {
    let max = params(ctx).max_validators as usize;
    let mut last: BTreeMap<Address, i64> = last_powers(ctx).into_iter().collect();
    let chosen: Vec<Address> = ctx
        .prefix_free(POWER)
        .iter()
        .take(max)
        .map(|(k, _)| Address::from_slice(&k[POWER.len() + 8..]).expect("stored operator"))
        .collect();
    let mut updates = Vec::new();
    for op in chosen {
        let mut v = validator(ctx, &op).expect("indexed validator exists");
        if !v.is_bonded() {
            bond_validator(ctx, &mut v)?;
        }
        let power = v.power();
        if last.remove(&op) != Some(power) {
            updates.push(ValidatorUpdate {
                pub_key: v.cons_pubkey.to_vec(),
                power,
            });
            set_last_power(ctx, &op, Some(power))?;
        }
    }
    // Whoever is left of the last set is no longer in it.
    for (op, _) in last {
        let mut v = validator(ctx, &op).expect("a bonded validator is never removed");
        if v.is_bonded() {
            begin_unbonding_validator(ctx, &mut v)?;
        }
        set_last_power(ctx, &op, None)?;
        updates.push(ValidatorUpdate {
            pub_key: v.cons_pubkey.to_vec(),
            power: 0,
        });
    }
    Ok(updates)
}

fn bond_validator(ctx: &mut Ctx, v: &mut Val) -> SdkResult<()> {
    if v.status == BondStatus::Unbonding {
        dequeue_validator(ctx, v.unbonding_time, &v.operator)?;
    }
    move_between_pools(ctx, false, v.tokens)?;
    v.status = BondStatus::Bonded;
    set_validator(ctx, v)?;
    hooks::after_validator_bonded(ctx, v)
}

fn begin_unbonding_validator(ctx: &mut Ctx, v: &mut Val) -> SdkResult<()> {
    move_between_pools(ctx, true, v.tokens)?;
    let (s, n) = unbonding_seconds(&params(ctx));
    v.status = BondStatus::Unbonding;
    v.unbonding_time = add_duration(ctx.block.time, s, n);
    v.unbonding_height = ctx.block.height as i64;
    set_validator(ctx, v)?;
    enqueue_validator(ctx, v.unbonding_time, &v.operator)
}

/// The end of the queue range holding everything due at or before the block time.
fn due_end(prefix: &[u8], ctx: &Ctx) -> Vec<u8> {
    let t = ctx.block.time;
    let next = add_duration(t, 0, 1);
    [prefix, &time_key(next)[..]].concat()
}

fn complete_unbonding_validators(ctx: &mut Ctx) -> SdkResult<()> {
    let end = due_end(Q_VAL, ctx);
    for (k, _) in ctx.prefix_free_before(Q_VAL, &end) {
        ctx.delete(k.clone())?;
        let op = Address::from_slice(&k[Q_VAL.len() + 12..]).expect("queued operator");
        let Some(mut v) = validator(ctx, &op) else {
            continue;
        };
        if v.status != BondStatus::Unbonding {
            continue;
        }
        v.status = BondStatus::Unbonded;
        set_validator(ctx, &v)?;
        if v.shares == 0 {
            remove_validator(ctx, &v)?;
        }
    }
    Ok(())
}

fn complete_unbonding_delegations(ctx: &mut Ctx) -> SdkResult<()> {
    let end = due_end(Q_UBD, ctx);
    let now = ctx.block.time;
    let denom = bond_denom(ctx);
    for (k, _) in ctx.prefix_free_before(Q_UBD, &end) {
        ctx.delete(k.clone())?;
        let at = Q_UBD.len() + 12;
        let del = Address::from_slice(&k[at..at + 20]).expect("queued delegator");
        let op = Address::from_slice(&k[at + 20..]).expect("queued validator");
        let Some(mut ubd) = unbonding_delegation(ctx, &del, &op) else {
            continue;
        };
        let mut paid = 0u128;
        ubd.entries.retain(|en| {
            let mature = from_timestamp(en.completion_time.as_ref()) <= now;
            if mature {
                paid += en.balance.parse::<u128>().unwrap_or(0);
            }
            !mature
        });
        if paid > 0 {
            crate::bank::state::send(
                ctx,
                &pool_address(false),
                &del,
                &[Coin::new(denom.clone(), paid)],
            )?;
        }
        set_unbonding_delegation(ctx, &del, &op, &ubd)?;
        ctx.emit(
            Event::new("complete_unbonding")
                .attr("amount", format!("{paid}{denom}"))
                .attr("validator", op.to_bech32(VALOPER_HRP))
                .attr("delegator", del.to_bech32(ACCOUNT_HRP)),
        );
    }
    Ok(())
}

fn complete_redelegations(ctx: &mut Ctx) -> SdkResult<()> {
    let end = due_end(Q_RED, ctx);
    let now = ctx.block.time;
    for (k, _) in ctx.prefix_free_before(Q_RED, &end) {
        ctx.delete(k.clone())?;
        let at = Q_RED.len() + 12;
        let del = Address::from_slice(&k[at..at + 20]).expect("queued delegator");
        let src = Address::from_slice(&k[at + 20..at + 40]).expect("queued source");
        let dst = Address::from_slice(&k[at + 40..]).expect("queued destination");
        let Some(mut red) = redelegation(ctx, &del, &src, &dst) else {
            continue;
        };
        red.entries
            .retain(|en| from_timestamp(en.completion_time.as_ref()) > now);
        set_redelegation(ctx, &del, &src, &dst, &red)?;
        ctx.emit(
            Event::new("complete_redelegation")
                .attr("source_validator", src.to_bech32(VALOPER_HRP))
                .attr("destination_validator", dst.to_bech32(VALOPER_HRP))
                .attr("delegator", del.to_bech32(ACCOUNT_HRP)),
        );
    }
    Ok(())
}
