//! mint (`cosmos.mint.v1beta1`): the Cosmos inflation rule. Every block the annual inflation
//! moves toward the rate that would bring the bonded ratio to its goal (67 %), within
//! [inflation_min, inflation_max] (kumo: 13 %..15 %, DESIGN.md); the block's share of the
//! annual provisions is minted to the fee collector, where distribution picks it up. Minting
//! never takes the supply past the max supply (388,539,008 AKT).

pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

use crate::abci::Event;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use state::*;

/// Begin block: next inflation and provisions, then this block's provision (capped).
pub fn begin_block(ctx: &mut Ctx) -> SdkResult<()> {
    let p = params(ctx);
    let bonded_ratio = crate::staking::state::bonded_ratio(ctx);
    let supply = crate::bank::state::supply_of(ctx, &p.mint_denom);
    let mut m = minter(ctx);
    m.inflation = next_inflation(&p, m.inflation, bonded_ratio);
    m.annual_provisions = m
        .inflation
        .checked_mul(supply)
        .expect("provisions within range");
    set_minter(ctx, &m)?;
    let provision = block_provision(&p, &m);
    let room = max_supply(ctx).saturating_sub(supply);
    let amount = provision.min(room);
    if amount > 0 {
        let coins = [Coin::new(p.mint_denom.clone(), amount)];
        let module = crate::auth::module_address(MODULE_NAME);
        crate::bank::state::mint(ctx, &module, &coins)?;
        crate::bank::state::send(
            ctx,
            &module,
            &crate::auth::module_address(crate::auth::FEE_COLLECTOR),
            &coins,
        )?;
    }
    ctx.emit(
        Event::new("mint")
            .attr("bonded_ratio", crate::dec::dec_string(bonded_ratio))
            .attr("inflation", crate::dec::dec_string(m.inflation))
            .attr(
                "annual_provisions",
                crate::dec::dec_string(m.annual_provisions),
            )
            .attr("amount", amount.to_string()),
    );
    Ok(())
}
