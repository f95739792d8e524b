//! The fee pool (`distribution/fee_pool` -> `cosmos.distribution.v1beta1.FeePool`): its
//! `community_pool` DecCoins are backed by coins in the `distribution` module account.

use crate::bank;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1::FeePool;
use kumo_proto::math::DEC_ONE;
use prost::Message;
use std::collections::BTreeMap;

pub const MODULE_NAME: &str = "distribution";
const FEE_POOL_KEY: &[u8] = b"distribution/fee_pool";

/// The community pool as (denom, LegacyDec atomics), sorted by denom.
pub fn community_pool(ctx: &Ctx) -> Vec<(String, u128)> {
    ctx.get_free(FEE_POOL_KEY)
        .map(|b| FeePool::decode(b.as_slice()).expect("stored fee pool decodes"))
        .unwrap_or_default()
        .community_pool
        .iter()
        .map(|c| {
            (
                c.denom.clone(),
                c.amount.parse::<u128>().expect("stored LegacyDec atomics"),
            )
        })
        .collect()
}

pub fn set_community_pool(ctx: &mut Ctx, pool: &BTreeMap<String, u128>) -> SdkResult<()> {
    let fp = FeePool {
        community_pool: pool
            .iter()
            .filter(|(_, a)| **a > 0)
            .map(|(d, a)| DecCoin {
                denom: d.clone(),
                amount: a.to_string(),
            })
            .collect(),
    };
    ctx.set(FEE_POOL_KEY.to_vec(), fp.encode_to_vec())
}

/// Moves `coins` from the module account `from_module` to the distribution module account and
/// adds them to the community pool (the SDK's `FundCommunityPool` from a module).
pub fn fund_community_pool(ctx: &mut Ctx, from_module: &str, coins: &[Coin]) -> SdkResult<()> {
    let coins: Vec<Coin> = coins.iter().filter(|c| c.amount > 0).cloned().collect();
    if coins.is_empty() {
        return Ok(());
    }
    bank::state::send(
        ctx,
        &crate::auth::module_address(from_module),
        &crate::auth::module_address(MODULE_NAME),
        &coins,
    )?;
    let mut pool: BTreeMap<String, u128> = community_pool(ctx).into_iter().collect();
    for c in &coins {
        let atomics = c
            .amount
            .checked_mul(DEC_ONE)
            .ok_or_else(|| SdkError::invalid_coins(format!("{c} overflows the community pool")))?;
        let e = pool.entry(c.denom.clone()).or_default();
        *e = e.checked_add(atomics).ok_or_else(|| {
            SdkError::invalid_coins(format!("community pool of {} overflows", c.denom))
        })?;
    }
    set_community_pool(ctx, &pool)
}

// ---- rewards (F1 fee distribution) ------------------------------------------------------
//
// Keys (operator/delegator addresses are the raw 20 bytes):
// - `distribution/params` -> `Params`
// - `distribution/hist/<op><period u64 BE>` -> `ValidatorHistoricalRewards`
// - `distribution/cur/<op>` -> `ValidatorCurrentRewards`
// - `distribution/comm/<op>` -> `ValidatorAccumulatedCommission`
// - `distribution/out/<op>` -> `ValidatorOutstandingRewards`
// - `distribution/start/<op><del>` -> `DelegatorStartingInfo`
// - `distribution/slash/<op><height u64 BE><period u64 BE>` -> `ValidatorSlashEvent`
// - `distribution/waddr/<del>` -> withdraw address bytes

use crate::dec::{self, DecCoins};
use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    DelegatorStartingInfo, Params, ValidatorAccumulatedCommission, ValidatorCurrentRewards,
    ValidatorHistoricalRewards, ValidatorOutstandingRewards, ValidatorSlashEvent,
};
use kumo_crypto::Address;

const PARAMS_KEY: &[u8] = b"distribution/params";
const HIST: &[u8] = b"distribution/hist/";
const CUR: &[u8] = b"distribution/cur/";
const COMM: &[u8] = b"distribution/comm/";
const OUT: &[u8] = b"distribution/out/";
const START: &[u8] = b"distribution/start/";
const SLASH: &[u8] = b"distribution/slash/";
const WADDR: &[u8] = b"distribution/waddr/";

/// kumo's defaults: community tax 2 % (DESIGN.md sends part of inflation to the pool; spec
/// §12.2 records Akash's 0 at genesis and a later 2 % -> 10 % proposal), withdraw address on.
#[allow(deprecated)]
pub fn default_params() -> Params {
    Params {
        community_tax: (DEC_ONE / 50).to_string(),
        base_proposer_reward: "0".into(),
        bonus_proposer_reward: "0".into(),
        withdraw_addr_enabled: true,
    }
}

pub fn validate_params(p: &Params) -> SdkResult<()> {
    match dec::atomics(&p.community_tax) {
        Some(t) if t <= DEC_ONE => Ok(()),
        _ => Err(SdkError::invalid_request(format!(
            "distribution params: community_tax {:?} must be a LegacyDec between 0 and 1",
            p.community_tax
        ))),
    }
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("stored distribution params"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

pub fn community_tax(ctx: &Ctx) -> u128 {
    dec::atomics(&params(ctx).community_tax).unwrap_or(0)
}

fn decode_or_default<M: Message + Default>(ctx: &Ctx, key: &[u8]) -> Option<M> {
    ctx.get_free(key)
        .map(|b| M::decode(b.as_slice()).expect("stored distribution record"))
}

fn hist_key(op: &Address, period: u64) -> Vec<u8> {
    [HIST, op.as_bytes(), &period.to_be_bytes()[..]].concat()
}

/// (cumulative reward ratio, reference count) of a validator's ended period.
pub fn historical(ctx: &Ctx, op: &Address, period: u64) -> (DecCoins, u32) {
    let h: ValidatorHistoricalRewards = decode_or_default(ctx, &hist_key(op, period))
        .unwrap_or_else(|| panic!("historical rewards of period {period} exist while referenced"));
    (
        dec::dec_coins_from_proto(&h.cumulative_reward_ratio),
        h.reference_count,
    )
}

pub fn set_historical(
    ctx: &mut Ctx,
    op: &Address,
    period: u64,
    ratio: &DecCoins,
    refs: u32,
) -> SdkResult<()> {
    let h = ValidatorHistoricalRewards {
        cumulative_reward_ratio: dec::dec_coins_to_proto(ratio),
        reference_count: refs,
    };
    ctx.set(hist_key(op, period), h.encode_to_vec())
}

pub fn increment_reference_count(ctx: &mut Ctx, op: &Address, period: u64) -> SdkResult<()> {
    let (ratio, refs) = historical(ctx, op, period);
    set_historical(ctx, op, period, &ratio, refs + 1)
}

/// Drops a period's record once nothing (delegation start, slash event, the next period)
/// refers to it.
pub fn decrement_reference_count(ctx: &mut Ctx, op: &Address, period: u64) -> SdkResult<()> {
    let (ratio, refs) = historical(ctx, op, period);
    if refs <= 1 {
        ctx.delete(hist_key(op, period))
    } else {
        set_historical(ctx, op, period, &ratio, refs - 1)
    }
}

/// (rewards of the running period, its number).
pub fn current(ctx: &Ctx, op: &Address) -> (DecCoins, u64) {
    let c: ValidatorCurrentRewards =
        decode_or_default(ctx, &[CUR, op.as_bytes()].concat()).unwrap_or_default();
    (dec::dec_coins_from_proto(&c.rewards), c.period)
}

pub fn set_current(ctx: &mut Ctx, op: &Address, rewards: &DecCoins, period: u64) -> SdkResult<()> {
    let c = ValidatorCurrentRewards {
        rewards: dec::dec_coins_to_proto(rewards),
        period,
    };
    ctx.set([CUR, op.as_bytes()].concat(), c.encode_to_vec())
}

pub fn commission(ctx: &Ctx, op: &Address) -> DecCoins {
    decode_or_default::<ValidatorAccumulatedCommission>(ctx, &[COMM, op.as_bytes()].concat())
        .map(|c| dec::dec_coins_from_proto(&c.commission))
        .unwrap_or_default()
}

pub fn set_commission(ctx: &mut Ctx, op: &Address, c: &DecCoins) -> SdkResult<()> {
    let v = ValidatorAccumulatedCommission {
        commission: dec::dec_coins_to_proto(c),
    };
    ctx.set([COMM, op.as_bytes()].concat(), v.encode_to_vec())
}

pub fn outstanding(ctx: &Ctx, op: &Address) -> DecCoins {
    decode_or_default::<ValidatorOutstandingRewards>(ctx, &[OUT, op.as_bytes()].concat())
        .map(|c| dec::dec_coins_from_proto(&c.rewards))
        .unwrap_or_default()
}

pub fn set_outstanding(ctx: &mut Ctx, op: &Address, c: &DecCoins) -> SdkResult<()> {
    let v = ValidatorOutstandingRewards {
        rewards: dec::dec_coins_to_proto(c),
    };
    ctx.set([OUT, op.as_bytes()].concat(), v.encode_to_vec())
}

/// Every validator's outstanding rewards (invariant checks, export).
pub fn all_outstanding(ctx: &Ctx) -> Vec<(Address, DecCoins)> {
    ctx.prefix_free(OUT)
        .into_iter()
        .map(|(k, v)| {
            (
                Address::from_slice(&k[OUT.len()..]).expect("stored address"),
                dec::dec_coins_from_proto(
                    &ValidatorOutstandingRewards::decode(v.as_slice())
                        .expect("stored")
                        .rewards,
                ),
            )
        })
        .collect()
}

/// (previous period, stake as LegacyDec atomics, height) of a delegation.
pub fn starting_info(ctx: &Ctx, op: &Address, del: &Address) -> Option<(u64, u128, u64)> {
    decode_or_default::<DelegatorStartingInfo>(
        ctx,
        &[START, op.as_bytes(), del.as_bytes()].concat(),
    )
    .map(|s| {
        (
            s.previous_period,
            dec::atomics(&s.stake).unwrap_or(0),
            s.height,
        )
    })
}

pub fn set_starting_info(
    ctx: &mut Ctx,
    op: &Address,
    del: &Address,
    period: u64,
    stake: u128,
) -> SdkResult<()> {
    let s = DelegatorStartingInfo {
        previous_period: period,
        stake: stake.to_string(),
        height: ctx.block.height,
    };
    ctx.set(
        [START, op.as_bytes(), del.as_bytes()].concat(),
        s.encode_to_vec(),
    )
}

pub fn delete_starting_info(ctx: &mut Ctx, op: &Address, del: &Address) -> SdkResult<()> {
    ctx.delete([START, op.as_bytes(), del.as_bytes()].concat())
}

pub fn set_slash_event(ctx: &mut Ctx, op: &Address, period: u64, fraction: u128) -> SdkResult<()> {
    let e = ValidatorSlashEvent {
        validator_period: period,
        fraction: fraction.to_string(),
    };
    let key = [
        SLASH,
        op.as_bytes(),
        &ctx.block.height.to_be_bytes()[..],
        &period.to_be_bytes()[..],
    ]
    .concat();
    ctx.set(key, e.encode_to_vec())
}

/// Slash events of a validator at heights in `from..=to`: (period, fraction atomics).
pub fn slash_events(ctx: &Ctx, op: &Address, from: u64, to: u64) -> Vec<(u64, u128)> {
    let p = [SLASH, op.as_bytes()].concat();
    ctx.prefix_free(&p)
        .into_iter()
        .filter_map(|(k, v)| {
            let h = u64::from_be_bytes(k[p.len()..p.len() + 8].try_into().expect("8 bytes"));
            (from..=to).contains(&h).then(|| {
                let e = ValidatorSlashEvent::decode(v.as_slice()).expect("stored");
                (e.validator_period, dec::atomics(&e.fraction).unwrap_or(0))
            })
        })
        .collect()
}

/// The stored slash events of a validator at heights in `from..=to`, keyed by
/// (height, period) big-endian (the `ValidatorSlashes` query pages over these keys).
pub fn slash_event_entries(ctx: &Ctx, op: &Address, from: u64, to: u64) -> Vec<(Vec<u8>, Vec<u8>)> {
    let p = [SLASH, op.as_bytes()].concat();
    ctx.prefix_free(&p)
        .into_iter()
        .filter(|(k, _)| {
            let h = u64::from_be_bytes(k[p.len()..p.len() + 8].try_into().expect("8 bytes"));
            (from..=to).contains(&h)
        })
        .map(|(k, v)| (k[p.len()..].to_vec(), v))
        .collect()
}

pub fn withdraw_address(ctx: &Ctx, del: &Address) -> Address {
    ctx.get_free(&[WADDR, del.as_bytes()].concat())
        .map(|b| Address::from_slice(&b).expect("stored address"))
        .unwrap_or(*del)
}

pub fn set_withdraw_address(ctx: &mut Ctx, del: &Address, to: &Address) -> SdkResult<()> {
    if to == del {
        ctx.delete([WADDR, del.as_bytes()].concat())
    } else {
        ctx.set([WADDR, del.as_bytes()].concat(), to.as_bytes().to_vec())
    }
}

/// Forgets a removed validator's records.
pub fn delete_validator_records(ctx: &mut Ctx, op: &Address) -> SdkResult<()> {
    for prefix in [HIST, SLASH] {
        for (k, _) in ctx.prefix_free(&[prefix, op.as_bytes()].concat()) {
            ctx.delete(k)?;
        }
    }
    for prefix in [CUR, COMM, OUT] {
        ctx.delete([prefix, op.as_bytes()].concat())?;
    }
    Ok(())
}

/// Adds DecCoins already held by the distribution module account to the community pool.
pub fn add_to_community_pool(ctx: &mut Ctx, coins: &DecCoins) -> SdkResult<()> {
    if coins.is_empty() {
        return Ok(());
    }
    let mut pool: DecCoins = community_pool(ctx).into_iter().collect();
    dec::add_dec_coins(&mut pool, coins);
    set_community_pool(ctx, &pool)
}
