//! `akash.market.v1beta5.Query` (spec §4.3): orders, bids and leases by ID, and lists with
//! filters (owner, dseq, gseq, oseq, provider, state by enum name) and SDK pagination. A
//! list reads through the narrowest key range: the owner's ID prefix, else the provider index,
//! else the state index, so it never scans unrelated records.

use super::hooks::{bid_account, lease_payment};
use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use kumo_crypto::Address;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Orders" => orders(ctx, data),
        "Order" => order(ctx, data),
        "Bids" => bids(ctx, data),
        "Bid" => bid(ctx, data),
        "Leases" => leases(ctx, data),
        "Lease" => lease(ctx, data),
        "Params" => Ok(mv1b5::QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec()),
        _ => return None,
    })
}

/// Records under `scan` (a primary-key prefix, or with `primary` an index prefix whose entry
/// keys end in the primary key suffix), kept by `keep`, then paged.
pub(crate) fn list<M: Message + Default>(
    ctx: &Ctx,
    scan: &[u8],
    primary: Option<&[u8]>,
    keep: impl Fn(&M) -> bool,
    page: Option<&PageRequest>,
) -> SdkResult<(Vec<M>, PageResponse)> {
    let mut entries = Vec::new();
    for (k, v) in ctx.prefix_free(scan) {
        let bytes = match primary {
            None => v,
            Some(p) => match ctx.get_free(&[p, &k[scan.len()..]].concat()) {
                Some(b) => b,
                None => continue,
            },
        };
        let m = M::decode(bytes.as_slice())
            .map_err(|e| SdkError::bad_query(format!("stored record does not decode: {e}")))?;
        if keep(&m) {
            entries.push((k, bytes));
        }
    }
    let (rows, pagination) = paginate(&entries, scan, page)?;
    let records = rows
        .iter()
        .map(|(_, v)| M::decode(v.as_slice()).expect("decoded above"))
        .collect();
    Ok((records, pagination))
}

pub(crate) fn filter_address(field: &str, s: &str) -> SdkResult<Option<Address>> {
    if s.is_empty() {
        return Ok(None);
    }
    crate::auth::parse_address(field, s)
        .map(Some)
        .map_err(|e| SdkError::bad_query(e.log))
}

pub(crate) fn filter_state<S>(
    s: &str,
    parse: fn(&str) -> Option<S>,
    names: &str,
) -> SdkResult<Option<S>> {
    if s.is_empty() {
        return Ok(None);
    }
    parse(s).map(Some).ok_or_else(|| {
        SdkError::bad_query(format!("invalid state filter {s:?}; use one of {names}"))
    })
}

/// The ID-prefix bytes `<owner>[<dseq>[<gseq>[<oseq>]]]` as far as the filter fixes them.
fn id_prefix(owner: Address, dseq: u64, gseq: u32, oseq: u32) -> Vec<u8> {
    let mut p = owner.as_bytes().to_vec();
    if dseq != 0 {
        p.extend_from_slice(&dseq.to_be_bytes());
        if gseq != 0 {
            p.extend_from_slice(&gseq.to_be_bytes());
            if oseq != 0 {
                p.extend_from_slice(&oseq.to_be_bytes());
            }
        }
    }
    p
}

fn order_matches(id: &Option<mv1::OrderId>, owner: &str, dseq: u64, gseq: u32, oseq: u32) -> bool {
    let Some(id) = id else { return false };
    (owner.is_empty() || id.owner == owner)
        && (dseq == 0 || id.dseq == dseq)
        && (gseq == 0 || id.gseq == gseq)
        && (oseq == 0 || id.oseq == oseq)
}

fn orders(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b5::QueryOrdersRequest = decode_req(data)?;
    let f = req.filters.unwrap_or_default();
    let owner = filter_address("owner", &f.owner)?;
    let state = filter_state(&f.state, OrderState::from_str_name, "open, active, closed")?;
    let keep = |o: &mv1b5::Order| {
        order_matches(&o.id, &f.owner, f.dseq, f.gseq, f.oseq)
            && state.is_none_or(|s| order_state(o) == s)
    };
    let (orders, pagination) = match (owner, state) {
        (Some(o), _) => {
            let scan = [ORDER_PREFIX, &id_prefix(o, f.dseq, f.gseq, f.oseq)].concat();
            list(ctx, &scan, None, keep, req.pagination.as_ref())?
        }
        (None, Some(s)) => {
            let scan = [ORDER_STATE_PREFIX, &[s as u8]].concat();
            list(
                ctx,
                &scan,
                Some(ORDER_PREFIX),
                keep,
                req.pagination.as_ref(),
            )?
        }
        (None, None) => list(ctx, ORDER_PREFIX, None, keep, req.pagination.as_ref())?,
    };
    Ok(mv1b5::QueryOrdersResponse {
        orders,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn order(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b5::QueryOrderRequest = decode_req(data)?;
    let id = OrderId::from_proto(req.id.as_ref()).map_err(|e| SdkError::bad_query(e.log))?;
    let order = ctx
        .get_free(&order_key(id))
        .ok_or_else(|| SdkError::not_found(format!("order {id} not found")))?;
    Ok(mv1b5::QueryOrderResponse {
        order: Some(mv1b5::Order::decode(order.as_slice()).expect("stored order decodes")),
    }
    .encode_to_vec())
}

/// Owner/provider/sequence filters shared by bids and leases (bseq is always 0 on chain).
struct BidFilter {
    owner: Option<Address>,
    provider: Option<Address>,
    dseq: u64,
    gseq: u32,
    oseq: u32,
    bseq: u32,
}

impl BidFilter {
    fn matches(&self, id: BidId) -> bool {
        self.owner.is_none_or(|o| id.order.owner == o)
            && self.provider.is_none_or(|p| id.provider == p)
            && (self.dseq == 0 || id.order.dseq == self.dseq)
            && (self.gseq == 0 || id.order.gseq == self.gseq)
            && (self.oseq == 0 || id.order.oseq == self.oseq)
            && (self.bseq == 0 || id.bseq == self.bseq)
    }

    /// (scan prefix, primary prefix when scanning an index) for records under `primary`.
    fn scan(
        &self,
        primary: &[u8],
        by_provider: &[u8],
        by_state: &[u8],
        state: Option<u8>,
    ) -> (Vec<u8>, Option<Vec<u8>>) {
        if let Some(o) = self.owner {
            let p = [primary, &id_prefix(o, self.dseq, self.gseq, self.oseq)].concat();
            return (p, None);
        }
        if let Some(p) = self.provider {
            return ([by_provider, p.as_bytes()].concat(), Some(primary.to_vec()));
        }
        if let Some(s) = state {
            return ([by_state, &[s]].concat(), Some(primary.to_vec()));
        }
        (primary.to_vec(), None)
    }
}

fn bids(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b5::QueryBidsRequest = decode_req(data)?;
    let f = req.filters.unwrap_or_default();
    let filter = BidFilter {
        owner: filter_address("owner", &f.owner)?,
        provider: filter_address("provider", &f.provider)?,
        dseq: f.dseq,
        gseq: f.gseq,
        oseq: f.oseq,
        bseq: f.bseq,
    };
    let state = filter_state(
        &f.state,
        BidState::from_str_name,
        "open, active, lost, closed",
    )?;
    let keep = |b: &mv1b5::Bid| {
        BidId::from_proto(b.id.as_ref()).is_ok_and(|id| filter.matches(id))
            && state.is_none_or(|s| bid_state(b) == s)
    };
    let (scan, primary) = filter.scan(
        BID_PREFIX,
        BID_PROVIDER_PREFIX,
        BID_STATE_PREFIX,
        state.map(|s| s as u8),
    );
    let (found, pagination) = list(
        ctx,
        &scan,
        primary.as_deref(),
        keep,
        req.pagination.as_ref(),
    )?;
    let bids = found
        .into_iter()
        .map(|b| {
            let escrow_account = BidId::from_proto(b.id.as_ref())
                .ok()
                .and_then(|id| crate::escrow::get_account(ctx, &bid_account(id)));
            mv1b5::QueryBidResponse {
                bid: Some(b),
                escrow_account,
            }
        })
        .collect();
    Ok(mv1b5::QueryBidsResponse {
        bids,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn bid(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b5::QueryBidRequest = decode_req(data)?;
    let id = BidId::from_proto(req.id.as_ref()).map_err(|e| SdkError::bad_query(e.log))?;
    let bid = ctx
        .get_free(&bid_key(id))
        .ok_or_else(|| SdkError::not_found(format!("bid {id} not found")))?;
    Ok(mv1b5::QueryBidResponse {
        bid: Some(mv1b5::Bid::decode(bid.as_slice()).expect("stored bid decodes")),
        escrow_account: crate::escrow::get_account(ctx, &bid_account(id)),
    }
    .encode_to_vec())
}

fn leases(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b5::QueryLeasesRequest = decode_req(data)?;
    let f = req.filters.unwrap_or_default();
    let filter = BidFilter {
        owner: filter_address("owner", &f.owner)?,
        provider: filter_address("provider", &f.provider)?,
        dseq: f.dseq,
        gseq: f.gseq,
        oseq: f.oseq,
        bseq: f.bseq,
    };
    let state = filter_state(
        &f.state,
        LeaseState::from_str_name,
        "active, insufficient_funds, closed",
    )?;
    let keep = |l: &mv1::Lease| {
        BidId::from_lease_proto(l.id.as_ref()).is_ok_and(|id| filter.matches(id))
            && state.is_none_or(|s| lease_state(l) == s)
    };
    let (scan, primary) = filter.scan(
        LEASE_PREFIX,
        LEASE_PROVIDER_PREFIX,
        LEASE_STATE_PREFIX,
        state.map(|s| s as u8),
    );
    let (found, pagination) = list(
        ctx,
        &scan,
        primary.as_deref(),
        keep,
        req.pagination.as_ref(),
    )?;
    let leases = found
        .into_iter()
        .map(|l| {
            let escrow_payment = BidId::from_lease_proto(l.id.as_ref())
                .ok()
                .and_then(|id| crate::escrow::get_payment(ctx, &lease_payment(id)));
            mv1b5::QueryLeaseResponse {
                lease: Some(l),
                escrow_payment,
            }
        })
        .collect();
    Ok(mv1b5::QueryLeasesResponse {
        leases,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn lease(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: mv1b5::QueryLeaseRequest = decode_req(data)?;
    let id = BidId::from_lease_proto(req.id.as_ref()).map_err(|e| SdkError::bad_query(e.log))?;
    let lease = ctx
        .get_free(&lease_key(id))
        .ok_or_else(|| SdkError::not_found(format!("lease {id} not found")))?;
    Ok(mv1b5::QueryLeaseResponse {
        lease: Some(mv1::Lease::decode(lease.as_slice()).expect("stored lease decodes")),
        escrow_payment: crate::escrow::get_payment(ctx, &lease_payment(id)),
    }
    .encode_to_vec())
}
