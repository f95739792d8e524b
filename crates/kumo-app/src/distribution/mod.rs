//! distribution (`cosmos.distribution.v1beta1`): fees and minted tokens shared among the
//! validators that voted, by power, after the community tax; validator commission; delegator
//! rewards by F1 (lazy, exact, nothing per delegator per block); withdraw addresses; the
//! community pool that the take rate and the tax fill and governance spends.

pub mod errors;
pub mod genesis;
pub mod hooks;
pub mod msgs;
pub mod query;
pub mod rewards;
pub mod state;
#[cfg(test)]
mod tests;

pub use state::{community_pool, fund_community_pool};

/// Begin block: allocate what the fee collector holds to the previous block's voters. The
/// first block has no previous commit; its fees wait for block 2.
pub fn begin_block(
    ctx: &mut crate::ctx::Ctx,
    votes: &[crate::abci::VoteInfo],
) -> crate::errors::SdkResult<()> {
    if ctx.block.height > 1 {
        rewards::allocate_tokens(ctx, votes)?;
    }
    Ok(())
}
