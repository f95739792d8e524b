//! authz (`cosmos.authz.v1beta1`): a granter lets a grantee run messages on its behalf within an
//! authorization (generic, bank send, Akash escrow deposit). Grants are keyed by (granter,
//! grantee, message type URL); `MsgExec` checks and spends them before running each message as
//! the granter. Escrow's `grant` deposit source draws on `DepositAuthorization`s directly.

pub mod authorization;
pub mod errors;
pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

pub use authorization::{
    Authorization, DepositLimits, DEPOSIT_AUTHORIZATION, GENERIC_AUTHORIZATION, SEND_AUTHORIZATION,
};
