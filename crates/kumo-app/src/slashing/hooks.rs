//! slashing's side of the staking hooks: a validator's liveness record starts when it first
//! bonds.

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::staking::state::{Val, VALCONS_HRP};
use cosmos_sdk_proto::cosmos::slashing::v1beta1::ValidatorSigningInfo;
use kumo_crypto::Address;

pub fn after_validator_bonded(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    let cons = v.cons_address();
    if signing_info(ctx, &cons).is_none() {
        let info = ValidatorSigningInfo {
            address: Address(cons).to_bech32(VALCONS_HRP),
            start_height: ctx.block.height as i64,
            index_offset: 0,
            jailed_until: Some(crate::staking::state::to_timestamp(Default::default())),
            tombstoned: false,
            missed_blocks_counter: 0,
        };
        set_signing_info(ctx, &cons, &info)?;
    }
    Ok(())
}
