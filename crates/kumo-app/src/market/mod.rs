//! market: the reverse auction (spec §4). Each open group has an order; providers bid at or
//! under its price with a deposit; the tenant leases one bid (the others lose and get their
//! deposits back); the lease is paid per block by an escrow payment, settled lazily.

pub mod errors;
pub mod genesis;
pub mod hooks;
pub mod matching;
pub mod msgs;
pub mod query;
pub mod query_v1beta4;
pub mod state;
#[cfg(test)]
pub(crate) mod tests;
