//! bank: balances, total supply, denom metadata; `MsgSend` and `MsgMultiSend`. Owns every key
//! under `bank/`. Transfers never create or destroy coins: only mint and burn change supply.

pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;

pub use state::*;
