//! The market's side of escrow: the escrow IDs of deployments, bids and leases, the calls that
//! open and close their accounts and payments, and the hooks escrow calls back when it closes
//! an account or a payment (spec §5.5, `OnEscrowAccountClosed` / `OnEscrowPaymentClosed`).

use super::state::*;
use crate::ctx::Ctx;
use crate::deployment;
use crate::deployment::state::{DeploymentId, GroupState};
use crate::errors::SdkResult;
use crate::escrow::{self, id, types, EscrowHooks};
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use kumo_proto::akash::base::deposit::v1::Deposit;

/// The market and deployment modules' reaction to escrow closings.
pub struct MarketHooks;

pub fn deployment_account(d: DeploymentId) -> id::Account {
    escrow::deployment_account_id(&d.owner.to_string(), d.dseq)
}

pub fn bid_account(b: BidId) -> id::Account {
    let o = b.order;
    escrow::bid_account_id(
        &o.owner.to_string(),
        o.dseq,
        o.gseq,
        o.oseq,
        &b.provider.to_string(),
    )
}

pub fn lease_payment(b: BidId) -> id::Payment {
    let o = b.order;
    escrow::lease_payment_id(
        &o.owner.to_string(),
        o.dseq,
        o.gseq,
        o.oseq,
        &b.provider.to_string(),
    )
}

/// CreateDeployment step 8: the tenant's deposit into `{deployment, owner/dseq}`.
pub fn create_deployment_account(
    ctx: &mut Ctx,
    d: DeploymentId,
    deposit: &Deposit,
) -> SdkResult<()> {
    escrow::account_create(
        ctx,
        &MarketHooks,
        &deployment_account(d),
        &d.owner,
        &d.owner,
        deposit,
    )
}

/// CloseDeployment: the account closes; the hook below closes everything else.
pub fn close_deployment_account(ctx: &mut Ctx, d: DeploymentId) -> SdkResult<()> {
    escrow::account_close(ctx, &MarketHooks, &deployment_account(d))
}

/// CreateBid step 13: the provider's deposit into `{bid, owner/dseq/gseq/oseq/provider}`.
pub fn create_bid_account(ctx: &mut Ctx, b: BidId, deposit: &Deposit) -> SdkResult<()> {
    escrow::account_create(
        ctx,
        &MarketHooks,
        &bid_account(b),
        &b.provider,
        &b.provider,
        deposit,
    )
}

/// Closing a bid account refunds the provider's deposit (skipped when escrow already closed it).
pub fn close_bid_account(ctx: &mut Ctx, b: BidId) -> SdkResult<()> {
    let aid = bid_account(b);
    match escrow::get_account(ctx, &aid) {
        Some(a) if account_is_open_or_overdrawn(&a) => {
            escrow::account_close(ctx, &MarketHooks, &aid)
        }
        _ => Ok(()),
    }
}

/// CreateLease step 2: a payment from the deployment account to the provider at the bid price.
pub fn create_lease_payment(ctx: &mut Ctx, b: BidId, rate: &DecCoin) -> SdkResult<()> {
    escrow::payment_create(ctx, &MarketHooks, &lease_payment(b), &b.provider, rate)
}

/// WithdrawLease: settle the deployment account and pay the provider what accrued.
pub fn withdraw_lease_payment(ctx: &mut Ctx, b: BidId) -> SdkResult<()> {
    escrow::payment_withdraw(ctx, &MarketHooks, &lease_payment(b))
}

/// Closes a lease's payment (settling and paying out) if it and its deployment account are
/// still open. When escrow itself is closing or overdrawing the account, its hook runs before
/// escrow saves the payments it is closing; Akash's PaymentClose fails there and the error is
/// logged and ignored, so we skip it.
pub fn close_lease_payment(ctx: &mut Ctx, b: BidId) -> SdkResult<()> {
    let pid = lease_payment(b);
    let open = |s: Option<i32>| s == Some(types::State::Open as i32);
    let payment_open = open(escrow::get_payment(ctx, &pid).and_then(|p| p.state.map(|s| s.state)));
    let account_open = open(
        escrow::get_account(ctx, &deployment_account(b.deployment()))
            .and_then(|a| a.state.map(|s| s.state)),
    );
    if payment_open && account_open {
        escrow::payment_close(ctx, &MarketHooks, &pid)?;
    }
    Ok(())
}

fn account_is_open_or_overdrawn(a: &types::Account) -> bool {
    let s = a.state.as_ref().map_or(0, |s| s.state);
    s == types::State::Open as i32 || s == types::State::Overdrawn as i32
}

fn account_is_overdrawn(a: &types::Account) -> bool {
    a.state.as_ref().map_or(0, |s| s.state) == types::State::Overdrawn as i32
}

/// `owner/dseq` from a deployment account's xid.
fn parse_deployment_xid(xid: &str) -> Option<DeploymentId> {
    let (owner, dseq) = xid.split_once('/')?;
    let owner = crate::auth::parse_address("owner", owner).ok()?;
    let dseq = dseq.parse().ok()?;
    Some(DeploymentId { owner, dseq })
}

/// The lease of a payment `{deployment owner/dseq, gseq/oseq/provider}`.
fn parse_lease_payment(p: &id::Payment) -> Option<BidId> {
    let d = parse_deployment_xid(&p.aid.as_ref()?.xid)?;
    let mut parts = p.xid.split('/');
    let gseq = parts.next()?.parse().ok()?;
    let oseq = parts.next()?.parse().ok()?;
    let provider = crate::auth::parse_address("provider", parts.next()?).ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some(BidId {
        order: OrderId {
            owner: d.owner,
            dseq: d.dseq,
            gseq,
            oseq,
        },
        provider,
        bseq: 0,
    })
}

impl EscrowHooks for MarketHooks {
    /// A deployment account closed (or overdrawn): close the deployment, and every group not
    /// yet closed becomes closed (insufficient_funds when overdrawn) with its orders, bids and
    /// leases. Bid accounts need nothing: Akash's hook errors on them, which is the source of
    /// the §4.6 losing-bid quirk we do not copy.
    fn on_account_closed(&self, ctx: &mut Ctx, account: &types::Account) -> SdkResult<()> {
        let Some(aid) = account.id.as_ref() else {
            return Ok(());
        };
        if aid.scope != id::Scope::Deployment as i32 {
            return Ok(());
        }
        let Some(did) = parse_deployment_xid(&aid.xid) else {
            return Ok(());
        };
        deployment::state::on_deployment_closed(ctx, did)?;
        let to = if account_is_overdrawn(account) {
            GroupState::InsufficientFunds
        } else {
            GroupState::Closed
        };
        for (gid, g) in deployment::state::groups_of(ctx, did)? {
            if deployment::state::group_state(&g) == GroupState::Closed {
                continue;
            }
            deployment::state::set_group_state(ctx, gid, to)?;
            ctx.emit(crate::abci::Event::typed(
                &kumo_proto::akash::deployment::v1::EventGroupClosed {
                    id: Some(gid.to_proto()),
                },
            ));
            on_group_closed(ctx, gid, to)?;
        }
        Ok(())
    }

    /// A lease payment closed (or overdrawn) by some other path: close the order and bid if the
    /// bid is still active, and the lease (insufficient_funds/20000 when overdrawn, else
    /// closed/unspecified) unless it is already closed.
    fn on_payment_closed(&self, ctx: &mut Ctx, payment: &types::Payment) -> SdkResult<()> {
        let Some(lease) = payment.id.as_ref().and_then(parse_lease_payment) else {
            return Ok(());
        };
        if let Some(bid) = get_bid(ctx, lease)? {
            if bid_state(&bid) == BidState::Active {
                set_order_state(ctx, lease.order, OrderState::Closed)?;
                set_bid_state(ctx, lease, BidState::Closed)?;
            }
        }
        let overdrawn =
            payment.state.as_ref().map_or(0, |s| s.state) == types::State::Overdrawn as i32;
        let (to, reason) = if overdrawn {
            (
                LeaseState::InsufficientFunds,
                LeaseClosedReason::InsufficientFunds,
            )
        } else {
            (LeaseState::Closed, LeaseClosedReason::Unspecified)
        };
        close_lease(ctx, lease, to, reason)
    }
}
