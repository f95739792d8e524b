//! kumo's state machine: one module per folder (auth, bank, ...), driven through ABCI
//! 2.0-shaped calls (`app::App`). Module code is a pure function of (state, msg, block).
pub mod abci;
pub mod ante;
pub mod app;
pub mod attributes;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod bank;
pub mod cert;
pub mod coins;
pub mod ctx;
pub mod dec;
pub mod deployment;
pub mod distribution;
pub mod economy;
pub mod errors;
pub mod escrow;
pub mod feegrant;
pub mod gas;
pub mod genesis;
pub mod genutil;
pub mod gov;
pub mod market;
pub mod mint;
pub mod module;
pub mod msgs;
pub mod provider;
pub mod query;
pub mod slashing;
pub mod staking;
pub mod take;
#[cfg(test)]
pub(crate) mod test_ctx;
pub mod tx;
pub mod upgrade;

pub use app::{App, AppConfig, Queries};
