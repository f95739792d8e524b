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
