//! The staking hooks (`StakingHooks` in the SDK): distribution settles rewards before a
//! delegation's stake changes and starts a new period after; slashing tracks bonded validators.
//! Called in the SDK's order from the staking state functions.

use super::state::Val;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use kumo_crypto::Address;

pub fn after_validator_created(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    crate::distribution::hooks::after_validator_created(ctx, &v.operator)
}

pub fn after_validator_bonded(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    crate::slashing::hooks::after_validator_bonded(ctx, v)
}

pub fn after_validator_removed(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    crate::distribution::hooks::after_validator_removed(ctx, v)
}

pub fn before_delegation_created(ctx: &mut Ctx, _del: &Address, v: &Val) -> SdkResult<()> {
    crate::distribution::hooks::before_delegation_created(ctx, v)
}

pub fn before_delegation_shares_modified(ctx: &mut Ctx, del: &Address, v: &Val) -> SdkResult<()> {
    crate::distribution::hooks::before_delegation_shares_modified(ctx, del, v)
}

pub fn after_delegation_modified(ctx: &mut Ctx, del: &Address, v: &Val) -> SdkResult<()> {
    crate::distribution::hooks::after_delegation_modified(ctx, del, v)
}

pub fn after_delegation_removed(_ctx: &mut Ctx, _del: &Address, _v: &Val) -> SdkResult<()> {
    // Rewards were withdrawn and the starting info dropped before the shares changed.
    Ok(())
}

/// `fraction` is LegacyDec atomics of the validator's tokens being slashed.
pub fn before_validator_slashed(ctx: &mut Ctx, v: &Val, fraction: u128) -> SdkResult<()> {
    crate::distribution::hooks::before_validator_slashed(ctx, v, fraction)
}
