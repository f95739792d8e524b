//! slashing (`cosmos.slashing.v1beta1`): liveness from the previous block's commit (a bonded
//! validator that misses more than 95 % of a 30,000-block window is jailed for a minute; the
//! downtime slash is 0), double-sign evidence (5 % of the stake at the infraction, including
//! what has been unbonded or redelegated since, then jailed forever: tombstoned), and unjail.

pub mod errors;
pub mod genesis;
pub mod hooks;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

use crate::abci::{BlockTime, Event, Misbehavior, VoteInfo};
use crate::ctx::Ctx;
use crate::dec::mul_div_round;
use crate::errors::SdkResult;
use crate::staking::state::{self as staking, VALCONS_HRP};
use kumo_crypto::Address;
use kumo_proto::math::DEC_ONE;
use state::*;

/// `DoubleSignJailEndTime`: 9999-12-31T23:59:59Z.
pub const JAILED_FOREVER: BlockTime = BlockTime {
    seconds: 253_402_300_799,
    nanos: 0,
};
/// Evidence older than both of these is ignored (CometBFT's default evidence params).
const MAX_EVIDENCE_AGE_SECONDS: i64 = 172_800;
const MAX_EVIDENCE_AGE_BLOCKS: u64 = 100_000;

pub fn begin_block(ctx: &mut Ctx, votes: &[VoteInfo], evidence: &[Misbehavior]) -> SdkResult<()> {
    for v in votes {
        handle_signature(ctx, &v.validator_address, v.signed)?;
    }
    for m in evidence {
        handle_double_sign(ctx, m)?;
    }
    Ok(())
}

fn last_power(ctx: &Ctx, op: &Address) -> i64 {
    staking::last_powers(ctx)
        .into_iter()
        .find(|(o, _)| o == op)
        .map_or(0, |(_, p)| p)
}

/// `HandleValidatorSignature`.
pub fn handle_signature(ctx: &mut Ctx, cons: &[u8], signed: bool) -> SdkResult<()> {
    let Some(mut val) = staking::validator_by_cons(ctx, cons) else {
        return Ok(());
    };
    if val.jailed {
        return Ok(());
    }
    let Some(mut info) = signing_info(ctx, cons) else {
        return Ok(());
    };
    let p = params(ctx);
    let window = p.signed_blocks_window as u64;
    let index = info.index_offset as u64 % window;
    info.index_offset += 1;
    let was_missed = missed(ctx, cons, index);
    let is_missed = !signed;
    if was_missed != is_missed {
        set_missed(ctx, cons, index, is_missed)?;
        info.missed_blocks_counter += if is_missed { 1 } else { -1 };
    }
    let min_signed = dec_bytes(&p.min_signed_per_window).unwrap_or(0);
    let min_signed_blocks =
        mul_div_round(min_signed, window as u128, DEC_ONE).expect("within range") as i64;
    let max_missed = window as i64 - min_signed_blocks;
    let height = ctx.block.height as i64;
    let valcons =
        Address(cons.try_into().expect("20-byte consensus address")).to_bech32(VALCONS_HRP);
    if is_missed {
        ctx.emit(
            Event::new("liveness")
                .attr("address", valcons.clone())
                .attr("missed_blocks", info.missed_blocks_counter.to_string())
                .attr("height", height.to_string()),
        );
    }
    let min_height = info.start_height + p.signed_blocks_window;
    if height > min_height && info.missed_blocks_counter > max_missed {
        let power = last_power(ctx, &val.operator);
        // The infraction is seen with the validator-update delay: stake at height − 2 counts.
        let distribution_height = (height - 2).max(0) as u64;
        let fraction = dec_bytes(&p.slash_fraction_downtime).unwrap_or(0);
        crate::staking::slash::slash(ctx, cons, distribution_height, power, fraction)?;
        staking::jail(ctx, &mut val)?;
        let (s, n) = p
            .downtime_jail_duration
            .as_ref()
            .map_or((60, 0), |d| (d.seconds, d.nanos));
        info.jailed_until = Some(staking::to_timestamp(staking::add_duration(
            ctx.block.time,
            s,
            n,
        )));
        info.missed_blocks_counter = 0;
        info.index_offset = 0;
        clear_missed(ctx, cons)?;
        ctx.emit(
            Event::new("slash")
                .attr("address", valcons)
                .attr("power", power.to_string())
                .attr("reason", "missing_signature")
                .attr("jailed", val.valoper()),
        );
    }
    set_signing_info(ctx, cons, &info)
}

/// `HandleEquivocationEvidence`.
pub fn handle_double_sign(ctx: &mut Ctx, m: &Misbehavior) -> SdkResult<()> {
    let cons = m.validator_address.as_slice();
    let Some(mut val) = staking::validator_by_cons(ctx, cons) else {
        return Ok(());
    };
    if val.status == cosmos_sdk_proto::cosmos::staking::v1beta1::BondStatus::Unbonded {
        return Ok(());
    }
    let Some(mut info) = signing_info(ctx, cons) else {
        return Ok(());
    };
    if info.tombstoned {
        return Ok(());
    }
    let age_seconds = ctx.block.time.seconds - m.time.seconds;
    let age_blocks = ctx.block.height.saturating_sub(m.height);
    if age_seconds > MAX_EVIDENCE_AGE_SECONDS && age_blocks > MAX_EVIDENCE_AGE_BLOCKS {
        return Ok(());
    }
    let p = params(ctx);
    let fraction = dec_bytes(&p.slash_fraction_double_sign).unwrap_or(0);
    let power = if m.power > 0 {
        m.power
    } else {
        last_power(ctx, &val.operator)
    };
    let distribution_height = m.height.saturating_sub(1);
    let burned = crate::staking::slash::slash(ctx, cons, distribution_height, power, fraction)?;
    val = staking::must_validator(ctx, &val.operator)?;
    staking::jail(ctx, &mut val)?;
    info.jailed_until = Some(staking::to_timestamp(JAILED_FOREVER));
    info.tombstoned = true;
    set_signing_info(ctx, cons, &info)?;
    ctx.emit(
        Event::new("slash")
            .attr(
                "address",
                Address(cons.try_into().expect("20 bytes")).to_bech32(VALCONS_HRP),
            )
            .attr("power", power.to_string())
            .attr("reason", "double_sign")
            .attr("burned", burned.to_string())
            .attr("jailed", val.valoper()),
    );
    Ok(())
}
