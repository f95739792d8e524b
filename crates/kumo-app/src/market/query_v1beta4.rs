//! `akash.market.v1beta4.Query` (spec §4.8), the service node ≤ v0.38 served and older clients
//! (akashjs 0.11) still call: answered by this module's v1beta5 handler, its answer converted
//! to the old types (IDs without bseq, leases without reason, escrow v1beta3 records).

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::escrow::query::{v1beta3_account, v1beta3_payment};
use crate::module::{ask, decode_req, recode};
use kumo_proto::akash::market::{v1 as mv1, v1beta4 as mv1b4, v1beta5 as mv1b5};
use prost::Message;

/// `/akash.market.v1beta4.Query/<method>`.
pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
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
        escrow_account: r.escrow_account.as_ref().map(v1beta3_account),
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
        escrow_payment: r.escrow_payment.as_ref().map(v1beta3_payment),
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
