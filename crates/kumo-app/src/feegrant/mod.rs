//! feegrant (`cosmos.feegrant.v1beta1`): a granter lets a grantee's txs pay their fees from
//! the granter's balance, within an allowance (basic limit and expiration, a per-period limit,
//! a list of allowed message types). The ante handler uses an allowance when a tx names its
//! granter in `Fee.granter`; expired allowances are pruned by expiration in end block.

pub mod allowance;
pub mod errors;
pub mod events;
pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

pub use allowance::{Allowance, ALLOWED_MSG_ALLOWANCE, BASIC_ALLOWANCE, PERIODIC_ALLOWANCE};

use crate::ctx::Ctx;
use crate::errors::SdkResult;

/// End block: removes allowances that have expired (at most a bounded number per block).
pub fn end_block(ctx: &mut Ctx) -> SdkResult<()> {
    state::remove_expired(ctx, state::END_BLOCK_PRUNE_LIMIT).map(|_| ())
}
