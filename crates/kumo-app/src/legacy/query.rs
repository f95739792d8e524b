//! `akash.deployment.v1beta3.Query` and `akash.market.v1beta4.Query` (spec §3.8, §4.8),
//! answered through `akash.deployment.v1beta4.Query` and `akash.market.v1beta5.Query`.
//!
//! The old and new messages share field numbers and types wherever both have a field (spec
//! §2.1, §1.1, §1.3, §3.8, §4.8): the old ones only lack later additions (bseq, reclamation,
//! offer prices, lease close reason). Such messages are converted by re-encoding, which keeps
//! every shared field and drops the new ones. Escrow records changed shape (§6.5) and lease
//! states gained `reclaiming`, so those are converted field by field.

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::query::decode_req;
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use kumo_proto::akash::deployment::{v1beta3 as dv1b3, v1beta4 as dv1b4};
use kumo_proto::akash::escrow::{id::v1 as eid, types::v1 as etypes, v1beta3 as ev1b3};
use kumo_proto::akash::market::{v1 as mv1, v1beta4 as mv1b4, v1beta5 as mv1b5};
use prost::Message;

/// `/akash.deployment.v1beta3.Query/<method>`.
pub fn handle_deployment(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Deployments" => deployments(ctx, data),
        "Deployment" => deployment(ctx, data),
        "Group" => group(ctx, data),
        _ => return None,
    })
}

/// `/akash.market.v1beta4.Query/<method>`.
pub fn handle_market(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Orders" => orders(ctx, data),
        "Order" => order(ctx, data),
        "Bids" => bids(ctx, data),
        "Bid" => bid(ctx, data),
        "Leases" => leases(ctx, data),
        "Lease" => lease(ctx, data),
        _ => return None,
    })
}

/// Re-encodes `m` as `T`: valid only between messages whose shared fields have the same
/// numbers and types (see the module comment). Fields `T` lacks are dropped.
fn recode<T: Message + Default>(m: &impl Message) -> T {
    T::decode(m.encode_to_vec().as_slice()).expect("wire-compatible message re-decodes")
}

/// A module's query entry point (`crate::<module>::query::handle`).
type Handler = fn(&mut Ctx, &str, &[u8]) -> Option<SdkResult<Vec<u8>>>;

/// Runs the current query `handler` on the re-encoded old request `req` and decodes its answer.
fn ask<New: Message + Default, Ans: Message + Default>(
    ctx: &mut Ctx,
    handler: Handler,
    method: &str,
    req: &impl Message,
) -> SdkResult<Ans> {
    let bytes = recode::<New>(req).encode_to_vec();
    let answer = handler(ctx, method, &bytes).expect("the current service has this method")?;
    Ok(Ans::decode(answer.as_slice()).expect("the current handler's answer decodes"))
}

fn deployment_query(
    ctx: &mut Ctx,
    method: &str,
    req: &impl Message,
) -> SdkResult<dv1b4::QueryDeploymentResponse> {
    ask::<dv1b4::QueryDeploymentRequest, _>(ctx, crate::deployment::query::handle, method, req)
}

fn old_deployment(r: dv1b4::QueryDeploymentResponse) -> dv1b3::QueryDeploymentResponse {
    dv1b3::QueryDeploymentResponse {
        deployment: r.deployment.as_ref().map(recode),
        groups: r.groups.iter().map(recode).collect(),
        escrow_account: r.escrow_account.as_ref().map(old_account),
    }
}

fn deployments(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b3::QueryDeploymentsRequest = decode_req(data)?;
    let r: dv1b4::QueryDeploymentsResponse = ask::<dv1b4::QueryDeploymentsRequest, _>(
        ctx,
        crate::deployment::query::handle,
        "Deployments",
        &req,
    )?;
    Ok(dv1b3::QueryDeploymentsResponse {
        deployments: r.deployments.into_iter().map(old_deployment).collect(),
        pagination: r.pagination,
    }
    .encode_to_vec())
}

fn deployment(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b3::QueryDeploymentRequest = decode_req(data)?;
    Ok(old_deployment(deployment_query(ctx, "Deployment", &req)?).encode_to_vec())
}

fn group(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b3::QueryGroupRequest = decode_req(data)?;
    let r: dv1b4::QueryGroupResponse =
        ask::<dv1b4::QueryGroupRequest, _>(ctx, crate::deployment::query::handle, "Group", &req)?;
    Ok(dv1b3::QueryGroupResponse {
        group: r.group.as_ref().map(recode),
    }
    .encode_to_vec())
}

fn orders(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b4::QueryOrdersRequest = decode_req(data)?;
    let r: mv1b5::QueryOrdersResponse =
        ask::<mv1b5::QueryOrdersRequest, _>(ctx, crate::market::query::handle, "Orders", &req)?;
    Ok(mv1b4::QueryOrdersResponse {
        orders: r.orders.iter().map(recode).collect(),
        pagination: r.pagination,
    }
    .encode_to_vec())
}

fn order(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b4::QueryOrderRequest = decode_req(data)?;
    let r: mv1b5::QueryOrderResponse =
        ask::<mv1b5::QueryOrderRequest, _>(ctx, crate::market::query::handle, "Order", &req)?;
    Ok(mv1b4::QueryOrderResponse {
        order: r.order.as_ref().map(recode),
    }
    .encode_to_vec())
}

fn old_bid(r: mv1b5::QueryBidResponse) -> mv1b4::QueryBidResponse {
    mv1b4::QueryBidResponse {
        bid: r.bid.as_ref().map(recode),
        escrow_account: r.escrow_account.as_ref().map(old_account),
    }
}

fn bids(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b4::QueryBidsRequest = decode_req(data)?;
    let r: mv1b5::QueryBidsResponse =
        ask::<mv1b5::QueryBidsRequest, _>(ctx, crate::market::query::handle, "Bids", &req)?;
    Ok(mv1b4::QueryBidsResponse {
        bids: r.bids.into_iter().map(old_bid).collect(),
        pagination: r.pagination,
    }
    .encode_to_vec())
}

fn bid(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b4::QueryBidRequest = decode_req(data)?;
    let r: mv1b5::QueryBidResponse =
        ask::<mv1b5::QueryBidRequest, _>(ctx, crate::market::query::handle, "Bid", &req)?;
    Ok(old_bid(r).encode_to_vec())
}

fn old_lease_answer(r: mv1b5::QueryLeaseResponse) -> mv1b4::QueryLeaseResponse {
    mv1b4::QueryLeaseResponse {
        lease: r.lease.as_ref().map(old_lease),
        escrow_payment: r.escrow_payment.as_ref().map(old_payment),
    }
}

/// A v1 lease without reason and reclamation. `reclaiming` (v2.1) has no v1beta4 name: the
/// lease still runs and is paid until it closes, so old clients see it `active`.
fn old_lease(l: &mv1::Lease) -> mv1b4::Lease {
    let mut old: mv1b4::Lease = recode(l);
    if l.state() == mv1::lease::State::Reclaiming {
        old.set_state(mv1b4::lease::State::Active);
    }
    old
}

fn leases(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b4::QueryLeasesRequest = decode_req(data)?;
    let r: mv1b5::QueryLeasesResponse =
        ask::<mv1b5::QueryLeasesRequest, _>(ctx, crate::market::query::handle, "Leases", &req)?;
    Ok(mv1b4::QueryLeasesResponse {
        leases: r.leases.into_iter().map(old_lease_answer).collect(),
        pagination: r.pagination,
    }
    .encode_to_vec())
}

fn lease(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b4::QueryLeaseRequest = decode_req(data)?;
    let r: mv1b5::QueryLeaseResponse =
        ask::<mv1b5::QueryLeaseRequest, _>(ctx, crate::market::query::handle, "Lease", &req)?;
    Ok(old_lease_answer(r).encode_to_vec())
}

fn old_account_id(id: Option<&eid::Account>) -> Option<ev1b3::AccountId> {
    id.map(|id| ev1b3::AccountId {
        scope: id.scope().as_str_name().to_string(),
        xid: id.xid.clone(),
    })
}

/// An escrow v1 account as v1beta3 saw it (spec §6.5): the primary denom's unspent funds are
/// the `balance`; v1 has no single granter, so `depositor` is empty and `funds` is zero.
fn old_account(a: &etypes::Account) -> ev1b3::Account {
    let s = a.state.clone().unwrap_or_default();
    let denom = s.funds.first().map(|b| b.denom.clone()).unwrap_or_default();
    let zero = || DecCoin {
        denom: denom.clone(),
        amount: "0".into(),
    };
    // v1 funds go negative by the shortfall of an overdrawn account; a v1beta3 balance is
    // a DecCoin and cannot be negative (the `overdrawn` state tells the shortfall).
    let balance = match s.funds.first() {
        Some(b) if !b.amount.starts_with('-') && !b.amount.is_empty() => DecCoin {
            denom: b.denom.clone(),
            amount: b.amount.clone(),
        },
        _ => zero(),
    };
    let transferred = s
        .transferred
        .iter()
        .find(|c| c.denom == denom)
        .cloned()
        .unwrap_or_else(zero);
    ev1b3::Account {
        id: old_account_id(a.id.as_ref()),
        owner: s.owner.clone(),
        state: s.state,
        balance: Some(balance),
        transferred: Some(transferred),
        settled_at: s.settled_at,
        depositor: String::new(),
        funds: Some(zero()),
    }
}

/// An escrow v1 payment as a v1beta3 `FractionalPayment` (spec §6.5).
fn old_payment(p: &etypes::Payment) -> ev1b3::FractionalPayment {
    let id = p.id.clone().unwrap_or_default();
    let s = p.state.clone().unwrap_or_default();
    ev1b3::FractionalPayment {
        account_id: old_account_id(id.aid.as_ref()),
        payment_id: id.xid,
        owner: s.owner,
        state: s.state,
        rate: s.rate,
        balance: s.balance,
        withdrawn: s.withdrawn,
    }
}
