//! market state: typed IDs, store keys with state and provider indexes, params, the three
//! lifecycles (spec §5.3 order, §5.4 bid, §5.5 lease), each one transition function, and the
//! keeper operations other modules call (CreateOrder, OnGroupClosed).
//!
//! Keys (values are prost-encoded protos; index entries are empty). `<order>` is
//! `<owner 20><dseq BE8><gseq BE4><oseq BE4>`, `<bid>` is `<order><provider 20><bseq BE4>`:
//! - `market/ord/<order>` -> `market.v1beta5.Order`; `market/ord_state/<state 1><order>`
//! - `market/bid/<bid>` -> `market.v1beta5.Bid`; `market/bid_state/<state 1><bid>`,
//!   `market/bid_prov/<provider 20><bid>`
//! - `market/lease/<bid>` -> `market.v1.Lease`; `market/lease_state/<state 1><bid>`,
//!   `market/lease_prov/<provider 20><bid>`
//! - `market/params` -> `market.v1beta5.Params`
//!
//! The indexes serve list queries by state and provider without scanning; nothing here runs
//! per block (settlement is lazy, in escrow).

use super::errors::*;
use crate::abci::Event;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::deployment::state::{DeploymentId, GroupId, GroupState};
use crate::errors::SdkResult;
use kumo_crypto::Address;
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use prost::Message;
use std::fmt;

pub use mv1::lease::State as LeaseState;
pub use mv1::LeaseClosedReason;
pub use mv1b5::bid::State as BidState;
pub use mv1b5::order::State as OrderState;

pub const ORDER_PREFIX: &[u8] = b"market/ord/";
pub const ORDER_STATE_PREFIX: &[u8] = b"market/ord_state/";
pub const BID_PREFIX: &[u8] = b"market/bid/";
pub const BID_STATE_PREFIX: &[u8] = b"market/bid_state/";
pub const BID_PROVIDER_PREFIX: &[u8] = b"market/bid_prov/";
pub const LEASE_PREFIX: &[u8] = b"market/lease/";
pub const LEASE_STATE_PREFIX: &[u8] = b"market/lease_state/";
pub const LEASE_PROVIDER_PREFIX: &[u8] = b"market/lease_prov/";
const PARAMS_KEY: &[u8] = b"market/params";

pub const ORDER_KEY_LEN: usize = 20 + 8 + 4 + 4;
pub const BID_KEY_LEN: usize = ORDER_KEY_LEN + 20 + 4;

// ---- IDs ----

/// `owner/dseq/gseq/oseq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId {
    pub owner: Address,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
}

impl OrderId {
    pub fn new(group: GroupId, oseq: u32) -> OrderId {
        OrderId {
            owner: group.owner,
            dseq: group.dseq,
            gseq: group.gseq,
            oseq,
        }
    }

    pub fn from_proto(id: Option<&mv1::OrderId>) -> SdkResult<OrderId> {
        let id = id.ok_or_else(|| invalid_request_id("order id is missing"))?;
        let owner = parse_address("owner", &id.owner)?;
        let oid = OrderId {
            owner,
            dseq: id.dseq,
            gseq: id.gseq,
            oseq: id.oseq,
        };
        oid.check()?;
        Ok(oid)
    }

    fn check(&self) -> SdkResult<()> {
        if self.dseq == 0 || self.gseq == 0 || self.oseq == 0 {
            return Err(invalid_request_id(format!(
                "order {self}: dseq, gseq and oseq must all be non-zero"
            )));
        }
        Ok(())
    }

    pub fn to_proto(self) -> mv1::OrderId {
        mv1::OrderId {
            owner: self.owner.to_string(),
            dseq: self.dseq,
            gseq: self.gseq,
            oseq: self.oseq,
        }
    }

    pub fn group(self) -> GroupId {
        GroupId {
            owner: self.owner,
            dseq: self.dseq,
            gseq: self.gseq,
        }
    }

    pub fn key_suffix(self) -> Vec<u8> {
        [self.group().key_suffix(), self.oseq.to_be_bytes().to_vec()].concat()
    }

    pub fn from_suffix(s: &[u8]) -> OrderId {
        let d = crate::deployment::state::deployment_id_from_suffix(s);
        OrderId {
            owner: d.owner,
            dseq: d.dseq,
            gseq: u32::from_be_bytes(s[28..32].try_into().expect("gseq")),
            oseq: u32::from_be_bytes(s[32..36].try_into().expect("oseq")),
        }
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.owner, self.dseq, self.gseq, self.oseq
        )
    }
}

/// A bid ID, which is also its lease's ID: `owner/dseq/gseq/oseq/provider` (+ bseq, always 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BidId {
    pub order: OrderId,
    pub provider: Address,
    pub bseq: u32,
}

fn invalid_request_id(detail: impl fmt::Display) -> crate::errors::SdkError {
    crate::errors::SdkError::invalid_request(detail)
}

impl BidId {
    /// `BidID.Validate`: valid addresses, non-zero sequences, and no self-bids.
    fn build(
        owner: &str,
        dseq: u64,
        gseq: u32,
        oseq: u32,
        provider: &str,
        bseq: u32,
    ) -> SdkResult<BidId> {
        if provider.is_empty() {
            return Err(empty_provider("the bid id has no provider"));
        }
        let order = OrderId {
            owner: parse_address("owner", owner)?,
            dseq,
            gseq,
            oseq,
        };
        order.check()?;
        let provider = parse_address("provider", provider)?;
        if provider == order.owner {
            return Err(same_account(format!(
                "{provider} cannot bid on its own order"
            )));
        }
        Ok(BidId {
            order,
            provider,
            bseq,
        })
    }

    pub fn from_proto(id: Option<&mv1::BidId>) -> SdkResult<BidId> {
        let id = id.ok_or_else(|| invalid_request_id("bid id is missing"))?;
        BidId::build(&id.owner, id.dseq, id.gseq, id.oseq, &id.provider, id.bseq)
    }

    pub fn from_lease_proto(id: Option<&mv1::LeaseId>) -> SdkResult<BidId> {
        let id = id.ok_or_else(|| invalid_request_id("lease id is missing"))?;
        BidId::build(&id.owner, id.dseq, id.gseq, id.oseq, &id.provider, id.bseq)
    }

    pub fn to_proto(self) -> mv1::BidId {
        mv1::BidId {
            owner: self.order.owner.to_string(),
            dseq: self.order.dseq,
            gseq: self.order.gseq,
            oseq: self.order.oseq,
            provider: self.provider.to_string(),
            bseq: self.bseq,
        }
    }

    pub fn to_lease_proto(self) -> mv1::LeaseId {
        mv1::LeaseId {
            owner: self.order.owner.to_string(),
            dseq: self.order.dseq,
            gseq: self.order.gseq,
            oseq: self.order.oseq,
            provider: self.provider.to_string(),
            bseq: self.bseq,
        }
    }

    pub fn deployment(self) -> DeploymentId {
        self.order.group().deployment()
    }

    pub fn key_suffix(self) -> Vec<u8> {
        [
            self.order.key_suffix(),
            self.provider.as_bytes().to_vec(),
            self.bseq.to_be_bytes().to_vec(),
        ]
        .concat()
    }

    pub fn from_suffix(s: &[u8]) -> BidId {
        let mut p = [0u8; 20];
        p.copy_from_slice(&s[ORDER_KEY_LEN..ORDER_KEY_LEN + 20]);
        BidId {
            order: OrderId::from_suffix(s),
            provider: Address(p),
            bseq: u32::from_be_bytes(s[ORDER_KEY_LEN + 20..BID_KEY_LEN].try_into().expect("bseq")),
        }
    }
}

impl fmt::Display for BidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.order, self.provider)
    }
}

// ---- keys ----

pub fn order_key(id: OrderId) -> Vec<u8> {
    [ORDER_PREFIX, &id.key_suffix()].concat()
}
fn order_state_key(s: OrderState, id: OrderId) -> Vec<u8> {
    [ORDER_STATE_PREFIX, &[s as u8], &id.key_suffix()].concat()
}
pub fn bid_key(id: BidId) -> Vec<u8> {
    [BID_PREFIX, &id.key_suffix()].concat()
}
fn bid_state_key(s: BidState, id: BidId) -> Vec<u8> {
    [BID_STATE_PREFIX, &[s as u8], &id.key_suffix()].concat()
}
fn bid_provider_key(id: BidId) -> Vec<u8> {
    [
        BID_PROVIDER_PREFIX,
        id.provider.as_bytes(),
        &id.key_suffix(),
    ]
    .concat()
}
pub fn lease_key(id: BidId) -> Vec<u8> {
    [LEASE_PREFIX, &id.key_suffix()].concat()
}
fn lease_state_key(s: LeaseState, id: BidId) -> Vec<u8> {
    [LEASE_STATE_PREFIX, &[s as u8], &id.key_suffix()].concat()
}
fn lease_provider_key(id: BidId) -> Vec<u8> {
    [
        LEASE_PROVIDER_PREFIX,
        id.provider.as_bytes(),
        &id.key_suffix(),
    ]
    .concat()
}

// ---- lifecycles ----

/// The one order transition function (spec §5.3): open -> active, open/active -> closed.
pub fn order_transition(id: OrderId, from: OrderState, to: OrderState) -> SdkResult<OrderState> {
    use OrderState::*;
    match (from, to) {
        (Open, Active) | (Open | Active, Closed) => Ok(to),
        (Active, Active) => Err(order_active(format!("order {id} already has a lease"))),
        (Closed, _) => Err(order_closed(format!("order {id} is closed"))),
        _ => Err(order_not_open(format!(
            "order {id} cannot go from {} to {}",
            from.as_str_name(),
            to.as_str_name()
        ))),
    }
}

/// The one bid transition function (spec §5.4): open -> active | lost | closed,
/// active -> closed.
pub fn bid_transition(id: BidId, from: BidState, to: BidState) -> SdkResult<BidState> {
    use BidState::*;
    match (from, to) {
        (Open, Active | Lost | Closed) | (Active, Closed) => Ok(to),
        (Open, _) => Err(bid_not_active(format!(
            "bid {id} is open; it cannot become {}",
            to.as_str_name()
        ))),
        _ => Err(bid_not_open(format!(
            "bid {id} is {}; it cannot become {}",
            from.as_str_name(),
            to.as_str_name()
        ))),
    }
}

/// The one lease transition function (spec §5.5): active -> closed | insufficient_funds.
/// (`reclaiming` is v2.1 and not supported.)
pub fn lease_transition(id: BidId, from: LeaseState, to: LeaseState) -> SdkResult<LeaseState> {
    use LeaseState::*;
    match (from, to) {
        (Active, Closed | InsufficientFunds) => Ok(to),
        _ => Err(lease_not_active(format!(
            "lease {id} is {}; it cannot become {}",
            from.as_str_name(),
            to.as_str_name()
        ))),
    }
}

// ---- reads and writes ----

fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> M {
    // Written only by this module from valid protos; a failure means corrupt state.
    M::decode(bytes).unwrap_or_else(|e| panic!("stored {what} does not decode: {e}"))
}

pub fn order_state(o: &mv1b5::Order) -> OrderState {
    OrderState::try_from(o.state).unwrap_or(OrderState::Invalid)
}
pub fn bid_state(b: &mv1b5::Bid) -> BidState {
    BidState::try_from(b.state).unwrap_or(BidState::Invalid)
}
pub fn lease_state(l: &mv1::Lease) -> LeaseState {
    LeaseState::try_from(l.state).unwrap_or(LeaseState::Invalid)
}

pub fn get_order(ctx: &mut Ctx, id: OrderId) -> SdkResult<Option<mv1b5::Order>> {
    Ok(ctx.get(&order_key(id))?.map(|b| decode(&b, "order")))
}

pub fn get_bid(ctx: &mut Ctx, id: BidId) -> SdkResult<Option<mv1b5::Bid>> {
    Ok(ctx.get(&bid_key(id))?.map(|b| decode(&b, "bid")))
}

pub fn get_lease(ctx: &mut Ctx, id: BidId) -> SdkResult<Option<mv1::Lease>> {
    Ok(ctx.get(&lease_key(id))?.map(|b| decode(&b, "lease")))
}

fn save_order(
    ctx: &mut Ctx,
    id: OrderId,
    o: &mv1b5::Order,
    prev: Option<OrderState>,
) -> SdkResult<()> {
    let s = order_state(o);
    if prev != Some(s) {
        if let Some(p) = prev {
            ctx.delete(order_state_key(p, id))?;
        }
        ctx.set(order_state_key(s, id), vec![])?;
    }
    ctx.set(order_key(id), o.encode_to_vec())
}

fn save_bid(ctx: &mut Ctx, id: BidId, b: &mv1b5::Bid, prev: Option<BidState>) -> SdkResult<()> {
    let s = bid_state(b);
    if prev != Some(s) {
        if let Some(p) = prev {
            ctx.delete(bid_state_key(p, id))?;
        }
        ctx.set(bid_state_key(s, id), vec![])?;
    }
    if prev.is_none() {
        ctx.set(bid_provider_key(id), vec![])?;
    }
    ctx.set(bid_key(id), b.encode_to_vec())
}

fn save_lease(ctx: &mut Ctx, id: BidId, l: &mv1::Lease, prev: Option<LeaseState>) -> SdkResult<()> {
    let s = lease_state(l);
    if prev != Some(s) {
        if let Some(p) = prev {
            ctx.delete(lease_state_key(p, id))?;
        }
        ctx.set(lease_state_key(s, id), vec![])?;
    }
    if prev.is_none() {
        ctx.set(lease_provider_key(id), vec![])?;
    }
    ctx.set(lease_key(id), l.encode_to_vec())
}

/// Orders of a group, by oseq (a handful per group).
pub fn orders_of_group(ctx: &mut Ctx, group: GroupId) -> SdkResult<Vec<(OrderId, mv1b5::Order)>> {
    let prefix = [ORDER_PREFIX, &group.key_suffix()].concat();
    Ok(ctx
        .prefix(&prefix)?
        .into_iter()
        .map(|(k, v)| {
            (
                OrderId::from_suffix(&k[ORDER_PREFIX.len()..]),
                decode(&v, "order"),
            )
        })
        .collect())
}

/// Bids on an order (at most `order_max_bids`).
pub fn bids_of_order(ctx: &mut Ctx, order: OrderId) -> SdkResult<Vec<(BidId, mv1b5::Bid)>> {
    let prefix = [BID_PREFIX, &order.key_suffix()].concat();
    Ok(ctx
        .prefix(&prefix)?
        .into_iter()
        .map(|(k, v)| {
            (
                BidId::from_suffix(&k[BID_PREFIX.len()..]),
                decode(&v, "bid"),
            )
        })
        .collect())
}

// ---- new records (every later change goes through a transition below) ----

pub fn insert_order(ctx: &mut Ctx, id: OrderId, o: &mv1b5::Order) -> SdkResult<()> {
    save_order(ctx, id, o, None)
}

pub fn insert_bid(ctx: &mut Ctx, id: BidId, b: &mv1b5::Bid) -> SdkResult<()> {
    save_bid(ctx, id, b, None)
}

pub fn insert_lease(ctx: &mut Ctx, id: BidId, l: &mv1::Lease) -> SdkResult<()> {
    save_lease(ctx, id, l, None)
}

// ---- transitions that save ----

pub fn set_order_state(ctx: &mut Ctx, id: OrderId, to: OrderState) -> SdkResult<mv1b5::Order> {
    let mut o = get_order(ctx, id)?.ok_or_else(|| order_not_found(format!("no order {id}")))?;
    let from = order_state(&o);
    o.state = order_transition(id, from, to)? as i32;
    save_order(ctx, id, &o, Some(from))?;
    if to == OrderState::Closed {
        ctx.emit(Event::typed(&mv1::EventOrderClosed {
            id: Some(id.to_proto()),
        }));
    }
    Ok(o)
}

/// Moves a bid to `to`; leaving `open` for `closed` or `lost` closes the bid's escrow account,
/// which refunds the provider's deposit (as does closing an active bid).
pub fn set_bid_state(ctx: &mut Ctx, id: BidId, to: BidState) -> SdkResult<mv1b5::Bid> {
    let mut b = get_bid(ctx, id)?.ok_or_else(|| bid_not_found(format!("no bid {id}")))?;
    let from = bid_state(&b);
    b.state = bid_transition(id, from, to)? as i32;
    save_bid(ctx, id, &b, Some(from))?;
    if to == BidState::Closed {
        ctx.emit(Event::typed(&mv1::EventBidClosed {
            id: Some(id.to_proto()),
        }));
    }
    if matches!(to, BidState::Closed | BidState::Lost) {
        super::hooks::close_bid_account(ctx, id)?;
    }
    Ok(b)
}

/// `OnLeaseClosed`: closes an active lease with `to` and `reason`; a lease already closed or
/// insufficient_funds is left as is, so the first closing path's reason wins.
pub fn close_lease(
    ctx: &mut Ctx,
    id: BidId,
    to: LeaseState,
    reason: LeaseClosedReason,
) -> SdkResult<()> {
    let Some(mut l) = get_lease(ctx, id)? else {
        return Ok(());
    };
    let from = lease_state(&l);
    if matches!(from, LeaseState::Closed | LeaseState::InsufficientFunds) {
        return Ok(());
    }
    l.state = lease_transition(id, from, to)? as i32;
    l.closed_on = ctx.block.height as i64;
    l.reason = reason as i32;
    save_lease(ctx, id, &l, Some(from))?;
    ctx.emit(Event::typed(&mv1::EventLeaseClosed {
        id: Some(id.to_lease_proto()),
        reason: reason as i32,
    }));
    Ok(())
}

// ---- keeper operations ----

/// `Keeper.CreateOrder`: refuses when the group has an open or active order; oseq = closed
/// orders + 1.
pub fn create_order(ctx: &mut Ctx, group: GroupId, spec: &GroupSpec) -> SdkResult<OrderId> {
    let orders = orders_of_group(ctx, group)?;
    if let Some((id, _)) = orders
        .iter()
        .find(|(_, o)| matches!(order_state(o), OrderState::Open | OrderState::Active))
    {
        return Err(order_exists(format!(
            "group {group} already has order {id} open or active"
        )));
    }
    let closed = orders
        .iter()
        .filter(|(_, o)| order_state(o) == OrderState::Closed)
        .count() as u32;
    let id = OrderId::new(group, closed + 1);
    let order = mv1b5::Order {
        id: Some(id.to_proto()),
        state: OrderState::Open as i32,
        spec: Some(spec.clone()),
        created_at: ctx.block.height as i64,
        reclamation: None,
    };
    insert_order(ctx, id, &order)?;
    ctx.emit(Event::typed(&mv1::EventOrderCreated {
        id: Some(id.to_proto()),
    }));
    Ok(id)
}

/// `Keeper.OnGroupClosed(group, state)`: closes the group's open and active orders, their bids
/// (refunding deposits), their leases (insufficient_funds/20000 when the group ran out of
/// funds, else closed/owner) and the lease payments.
///
/// Node v1.2.2 processed only *active* orders; like Akash HEAD we also close *open* orders
/// and their open bids, so no provider deposit stays locked on a closed group (spec §14.5).
pub fn on_group_closed(ctx: &mut Ctx, group: GroupId, state: GroupState) -> SdkResult<()> {
    let (lease_to, reason) = if state == GroupState::InsufficientFunds {
        (
            LeaseState::InsufficientFunds,
            LeaseClosedReason::InsufficientFunds,
        )
    } else {
        (LeaseState::Closed, LeaseClosedReason::LeaseClosedOwner)
    };
    for (oid, order) in orders_of_group(ctx, group)? {
        if !matches!(order_state(&order), OrderState::Open | OrderState::Active) {
            continue;
        }
        set_order_state(ctx, oid, OrderState::Closed)?;
        for (bid_id, bid) in bids_of_order(ctx, oid)? {
            match bid_state(&bid) {
                BidState::Open => {
                    set_bid_state(ctx, bid_id, BidState::Closed)?;
                }
                BidState::Active => {
                    close_lease(ctx, bid_id, lease_to, reason)?;
                    set_bid_state(ctx, bid_id, BidState::Closed)?;
                    super::hooks::close_lease_payment(ctx, bid_id)?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

// ---- params ----

pub fn default_params() -> mv1b5::Params {
    mv1b5::Params {
        bid_min_deposit: Some(crate::coins::Coin::new("uakt", 500_000).to_proto()),
        order_max_bids: 20,
        bid_min_deposits: vec![],
        min_reclamation_window: None,
        max_reclamation_window: None,
    }
}

pub fn params(ctx: &Ctx) -> mv1b5::Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| decode(&b, "market params"))
        .unwrap_or_else(default_params)
}

/// `Params.Validate` for the v1.x fields (bid_min_deposit, order_max_bids 1..=500); the v2
/// fields must be unset.
pub fn validate_params(p: &mv1b5::Params) -> SdkResult<()> {
    let d = p
        .bid_min_deposit
        .as_ref()
        .ok_or_else(|| invalid_param("bid_min_deposit is missing"))?;
    crate::coins::Coin::from_proto(d).map_err(|e| invalid_param(e.log))?;
    if !(1..=500).contains(&p.order_max_bids) {
        return Err(invalid_param(format!(
            "order_max_bids {} must be in 1..=500",
            p.order_max_bids
        )));
    }
    if !p.bid_min_deposits.is_empty()
        || p.min_reclamation_window.is_some()
        || p.max_reclamation_window.is_some()
    {
        return Err(invalid_param(
            "bid_min_deposits and reclamation windows are node v2 params, not supported here; \
             leave them empty",
        ));
    }
    Ok(())
}

pub fn set_params(ctx: &mut Ctx, p: &mv1b5::Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}
