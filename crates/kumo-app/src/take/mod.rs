//! take: the share of every provider withdrawal that goes to the community pool (spec §7,
//! node v1.x). kumo's defaults follow DESIGN.md: 4 % for uakt, 20 % for every other denom.

pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

pub use state::{fee_for, params, set_params};
