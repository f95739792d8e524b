//! escrow: deposits held for deployments (and bids), paid out per block to providers
//! (spec §6). Settlement is lazy: an account is brought up to date only when a transaction
//! touches it, at a cost proportional to that account's payments.

pub mod errors;
pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
pub(crate) mod tests;

use crate::ctx::Ctx;
use crate::errors::SdkResult;
pub use kumo_proto::akash::escrow::id::v1 as id;
pub use kumo_proto::akash::escrow::types::v1 as types;
pub use state::{
    account_close, account_create, account_deposit, get_account, get_payment, payment_close,
    payment_create, payment_withdraw, payments_of,
};

/// What other modules do when escrow closes things (market closes the deployment, its groups
/// and leases). Called after the record is written.
pub trait EscrowHooks {
    /// An account was saved closed or overdrawn (spec §5.5 OnEscrowAccountClosed).
    fn on_account_closed(&self, ctx: &mut Ctx, account: &types::Account) -> SdkResult<()>;
    /// A payment was saved closed or overdrawn (OnEscrowPaymentClosed).
    fn on_payment_closed(&self, ctx: &mut Ctx, payment: &types::Payment) -> SdkResult<()>;
}

/// Hooks for a chain where nothing else reacts to escrow closings (used by escrow's own
/// msg dispatch until the market module provides its hooks).
pub struct NoHooks;

impl EscrowHooks for NoHooks {
    fn on_account_closed(&self, _: &mut Ctx, _: &types::Account) -> SdkResult<()> {
        Ok(())
    }

    fn on_payment_closed(&self, _: &mut Ctx, _: &types::Payment) -> SdkResult<()> {
        Ok(())
    }
}

/// The deployment's escrow account: `{deployment, "owner/dseq"}`.
pub fn deployment_account_id(owner: &str, dseq: u64) -> id::Account {
    id::Account {
        scope: id::Scope::Deployment as i32,
        xid: format!("{owner}/{dseq}"),
    }
}

/// A bid's provider-deposit account: `{bid, "owner/dseq/gseq/oseq/provider"}`.
pub fn bid_account_id(owner: &str, dseq: u64, gseq: u32, oseq: u32, provider: &str) -> id::Account {
    id::Account {
        scope: id::Scope::Bid as i32,
        xid: format!("{owner}/{dseq}/{gseq}/{oseq}/{provider}"),
    }
}

/// A lease's payment: `{aid: deployment account, xid: "gseq/oseq/provider"}`.
pub fn lease_payment_id(
    owner: &str,
    dseq: u64,
    gseq: u32,
    oseq: u32,
    provider: &str,
) -> id::Payment {
    id::Payment {
        aid: Some(deployment_account_id(owner, dseq)),
        xid: format!("{gseq}/{oseq}/{provider}"),
    }
}
