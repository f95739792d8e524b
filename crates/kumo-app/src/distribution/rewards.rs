//! F1 fee distribution: each validator accumulates a cumulative reward ratio per period (rewards
//! per token of stake); a delegation remembers the period it started in and its stake, and its
//! rewards are stake × (ratio now − ratio then), computed only when it is touched. Nothing
//! here loops over delegators. Slashes end a period and scale later stake by (1 − fraction).

use super::state::*;
use crate::abci::{Event, VoteInfo};
use crate::coins::{coins_to_string, Coin};
use crate::ctx::Ctx;
use crate::dec::{self, DecCoins};
use crate::errors::SdkResult;
use crate::staking::state::{self as staking, Val, VALOPER_HRP};
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;

fn dec_coins_string(d: &DecCoins) -> String {
    d.iter()
        .map(|(denom, a)| format!("{}{denom}", dec::dec_string(*a)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Ends the validator's running period: its rewards per token join the cumulative ratio.
/// Returns the period just ended.
pub fn increment_validator_period(ctx: &mut Ctx, v: &Val) -> SdkResult<u64> {
    let op = &v.operator;
    let (rewards, period) = current(ctx, op);
    let ratio_now = if v.tokens == 0 {
        // Rewards earned while no one was bonded can never be claimed: to the community pool.
        let mut out = outstanding(ctx, op);
        dec::sub_dec_coins(&mut out, &rewards);
        set_outstanding(ctx, op, &out)?;
        add_to_community_pool(ctx, &rewards)?;
        DecCoins::new()
    } else {
        dec::quo_int_truncate(&rewards, v.tokens)
    };
    let (mut ratio, _) = historical(ctx, op, period - 1);
    decrement_reference_count(ctx, op, period - 1)?;
    dec::add_dec_coins(&mut ratio, &ratio_now);
    set_historical(ctx, op, period, &ratio, 1)?;
    set_current(ctx, op, &DecCoins::new(), period + 1)?;
    Ok(period)
}

/// stake × (ratio(end) − ratio(start)), truncated.
fn rewards_between(ctx: &Ctx, op: &Address, start: u64, end: u64, stake: u128) -> DecCoins {
    let (from, _) = historical(ctx, op, start);
    let (to, _) = historical(ctx, op, end);
    let mut diff = to;
    dec::sub_dec_coins(&mut diff, &from);
    diff.iter()
        .map(|(denom, r)| {
            (
                denom.clone(),
                dec::mul_div(*r, stake, DEC_ONE).expect("rewards within range"),
            )
        })
        .filter(|(_, a)| *a > 0)
        .collect()
}

/// The rewards a delegation has earned up to `end_period` (which must have ended).
pub fn delegation_rewards(
    ctx: &Ctx,
    v: &Val,
    del: &Address,
    shares: u128,
    end_period: u64,
) -> DecCoins {
    let op = &v.operator;
    let Some((mut start_period, mut stake, start_height)) = starting_info(ctx, op, del) else {
        return DecCoins::new();
    };
    let mut rewards = DecCoins::new();
    let now = ctx.block.height;
    if start_height == now {
        return rewards;
    }
    if now > start_height {
        for (period, fraction) in slash_events(ctx, op, start_height, now) {
            if period > start_period {
                dec::add_dec_coins(
                    &mut rewards,
                    &rewards_between(ctx, op, start_period, period, stake),
                );
                stake = dec::dec_mul(stake, DEC_ONE - fraction.min(DEC_ONE));
                start_period = period;
            }
        }
    }
    // Rounding in slashes can leave the remembered stake a hair above what the shares are
    // worth now; the shares are what counts.
    stake = stake.min(v.tokens_from_shares_dec(shares));
    dec::add_dec_coins(
        &mut rewards,
        &rewards_between(ctx, op, start_period, end_period, stake),
    );
    rewards
}

/// Pays a delegation's rewards to its withdraw address (whole coins; the fractions go to the
/// community pool) and closes its starting info. Returns the coins paid.
pub fn withdraw_delegation_rewards(ctx: &mut Ctx, v: &Val, del: &Address) -> SdkResult<Vec<Coin>> {
    let op = &v.operator;
    let Some((start_period, _, _)) = starting_info(ctx, op, del) else {
        return Err(super::errors::empty_delegation_dist_info(format!(
            "{} has no rewards record with {}",
            del.to_bech32(ACCOUNT_HRP),
            v.valoper()
        )));
    };
    let end = increment_validator_period(ctx, v)?;
    let shares = staking::delegation(ctx, del, op).unwrap_or(0);
    let earned = delegation_rewards(ctx, v, del, shares, end);
    let mut out = outstanding(ctx, op);
    // Never pay more than the validator holds (truncation differences).
    let rewards: DecCoins = earned
        .iter()
        .map(|(d, a)| (d.clone(), (*a).min(out.get(d).copied().unwrap_or(0))))
        .filter(|(_, a)| *a > 0)
        .collect();
    let (coins, change) = dec::truncate(&rewards);
    if !coins.is_empty() {
        let to = withdraw_address(ctx, del);
        crate::bank::state::send(ctx, &crate::auth::module_address(MODULE_NAME), &to, &coins)?;
    }
    dec::sub_dec_coins(&mut out, &rewards);
    set_outstanding(ctx, op, &out)?;
    add_to_community_pool(ctx, &change)?;
    decrement_reference_count(ctx, op, start_period)?;
    delete_starting_info(ctx, op, del)?;
    ctx.emit(
        Event::new("withdraw_rewards")
            .attr("amount", coins_to_string(&coins))
            .attr("validator", v.valoper())
            .attr("delegator", del.to_bech32(ACCOUNT_HRP)),
    );
    Ok(coins)
}

/// Starts a delegation's record at the validator's last ended period with its current stake.
pub fn initialize_delegation(ctx: &mut Ctx, v: &Val, del: &Address) -> SdkResult<()> {
    let op = &v.operator;
    let (_, period) = current(ctx, op);
    let previous = period - 1;
    increment_reference_count(ctx, op, previous)?;
    let shares = staking::delegation(ctx, del, op).unwrap_or(0);
    let stake = v.tokens_from_shares_dec(shares);
    set_starting_info(ctx, op, del, previous, stake)
}

/// Pays the accumulated commission's whole coins to the operator's withdraw address.
pub fn withdraw_commission(ctx: &mut Ctx, op: &Address) -> SdkResult<Vec<Coin>> {
    let acc = commission(ctx, op);
    if acc.is_empty() {
        return Err(super::errors::no_validator_commission(
            op.to_bech32(VALOPER_HRP),
        ));
    }
    let (coins, change) = dec::truncate(&acc);
    set_commission(ctx, op, &change)?;
    let mut out = outstanding(ctx, op);
    dec::sub_dec_coins(&mut out, &dec::dec_coins_from_coins(&coins));
    set_outstanding(ctx, op, &out)?;
    if !coins.is_empty() {
        let to = withdraw_address(ctx, op);
        crate::bank::state::send(ctx, &crate::auth::module_address(MODULE_NAME), &to, &coins)?;
    }
    ctx.emit(
        Event::new("withdraw_commission")
            .attr("amount", coins_to_string(&coins))
            .attr("validator", op.to_bech32(VALOPER_HRP)),
    );
    Ok(coins)
}

/// Credits a validator with `tokens`: its commission share to its accumulated commission, the
/// rest to its running period's rewards.
pub fn allocate_to_validator(ctx: &mut Ctx, v: &Val, tokens: &DecCoins) -> SdkResult<()> {
    let op = &v.operator;
    let commission_part: DecCoins = tokens
        .iter()
        .map(|(d, a)| (d.clone(), dec::dec_mul_bankers(*a, v.rate)))
        .filter(|(_, a)| *a > 0)
        .collect();
    let mut shared = tokens.clone();
    dec::sub_dec_coins(&mut shared, &commission_part);
    let mut acc = commission(ctx, op);
    dec::add_dec_coins(&mut acc, &commission_part);
    set_commission(ctx, op, &acc)?;
    let (mut rewards, period) = current(ctx, op);
    dec::add_dec_coins(&mut rewards, &shared);
    set_current(ctx, op, &rewards, period)?;
    let mut out = outstanding(ctx, op);
    dec::add_dec_coins(&mut out, tokens);
    set_outstanding(ctx, op, &out)?;
    ctx.emit(
        Event::new("commission")
            .attr("amount", dec_coins_string(&commission_part))
            .attr("validator", v.valoper()),
    );
    ctx.emit(
        Event::new("rewards")
            .attr("amount", dec_coins_string(tokens))
            .attr("validator", v.valoper()),
    );
    Ok(())
}

/// Begin block: everything the fee collector holds (last block's fees and this block's mint)
/// goes to the validators that voted on the previous block, by power, after the community tax.
pub fn allocate_tokens(ctx: &mut Ctx, votes: &[VoteInfo]) -> SdkResult<()> {
    let collector = crate::auth::module_address(crate::auth::FEE_COLLECTOR);
    let fees = crate::bank::state::all_balances(ctx, &collector);
    if fees.is_empty() {
        return Ok(());
    }
    crate::bank::state::send(
        ctx,
        &collector,
        &crate::auth::module_address(MODULE_NAME),
        &fees,
    )?;
    let fees = dec::dec_coins_from_coins(&fees);
    // The power a validator had when it voted is its power in the last reported set.
    let last: std::collections::BTreeMap<Address, i64> =
        staking::last_powers(ctx).into_iter().collect();
    let voters: Vec<(Val, u128)> = votes
        .iter()
        .filter_map(|vote| {
            let v = staking::validator_by_cons(ctx, &vote.validator_address)?;
            let power = *last.get(&v.operator)?;
            (power > 0).then_some((v, power as u128))
        })
        .collect();
    let total: u128 = voters.iter().map(|(_, p)| p).sum();
    if total == 0 {
        return add_to_community_pool(ctx, &fees);
    }
    let vote_multiplier = DEC_ONE - community_tax(ctx).min(DEC_ONE);
    let for_validators = dec::mul_dec_truncate(&fees, vote_multiplier);
    let mut remaining = fees;
    for (v, power) in &voters {
        let fraction = dec::mul_div(*power, DEC_ONE, total).expect("fraction of at most one");
        let reward = dec::mul_dec_truncate(&for_validators, fraction);
        allocate_to_validator(ctx, v, &reward)?;
        dec::sub_dec_coins(&mut remaining, &reward);
    }
    add_to_community_pool(ctx, &remaining)
}
