//! auth: accounts (number, sequence, public key), module accounts, and the tx params the ante
//! handler uses. Owns every key under `auth/`.

pub mod genesis;
pub mod multisig;
pub mod query;
pub mod state;

pub use state::*;
