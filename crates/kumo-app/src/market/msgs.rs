//! market messages (spec §4.2, §4.6): decode + stateless checks (ValidateBasic), signers, and
//! execution with the checks in Akash's order.

use super::errors::*;
use super::state::*;
use crate::abci::Event;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::deployment;
use crate::deployment::state::GroupState;
use crate::deployment::validation::DecCoin;
use crate::errors::SdkResult;
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use kumo_proto::akash::base::deposit::v1::Deposit;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use prost::Message;

pub const MSG_CREATE_BID: &str = "/akash.market.v1beta5.MsgCreateBid";
pub const MSG_CLOSE_BID: &str = "/akash.market.v1beta5.MsgCloseBid";
pub const MSG_CREATE_LEASE: &str = "/akash.market.v1beta5.MsgCreateLease";
pub const MSG_WITHDRAW_LEASE: &str = "/akash.market.v1beta5.MsgWithdrawLease";
pub const MSG_CLOSE_LEASE: &str = "/akash.market.v1beta5.MsgCloseLease";
pub const MSG_LEASE_START_RECLAIM: &str = "/akash.market.v1beta5.MsgLeaseStartReclaim";
pub const MSG_UPDATE_PARAMS: &str = "/akash.market.v1beta5.MsgUpdateParams";

const NO_RECLAMATION: &str = "reclamation is not supported: this chain implements Akash node \
                              v1.x leases; leave the reclamation window empty";

#[derive(Clone, Debug)]
pub struct CreateBid {
    pub id: BidId,
    pub price: DecCoin,
    pub deposit: Deposit,
    pub deposit_coin: Coin,
    pub resources_offer: Vec<mv1b5::ResourceOffer>,
}

/// A decoded, statelessly checked market message.
#[derive(Clone, Debug)]
pub enum MarketMsg {
    CreateBid(Box<CreateBid>),
    CloseBid {
        id: BidId,
        reason: LeaseClosedReason,
    },
    CreateLease(BidId),
    WithdrawLease(BidId),
    CloseLease(BidId),
    UpdateParams {
        authority: Address,
        params: mv1b5::Params,
    },
}

fn check_create_bid(m: &mv1b5::MsgCreateBid) -> SdkResult<CreateBid> {
    let id = BidId::from_proto(m.id.as_ref())?;
    let (deposit, deposit_coin) =
        deployment::msgs::check_deposit(m.deposit.as_ref(), invalid_deposit)?;
    let price = m
        .price
        .as_ref()
        .ok_or_else(|| bid_zero_price("the bid has no price"))?;
    let price = DecCoin::from_proto(price).map_err(|e| invalid_price(format!("bid price: {e}")))?;
    if price.amount.is_zero() {
        return Err(bid_zero_price(format!(
            "bid {id}: the price must be above zero"
        )));
    }
    if m.reclamation_window.is_some() {
        return Err(reclamation_window_invalid(NO_RECLAMATION));
    }
    Ok(CreateBid {
        id,
        price,
        deposit,
        deposit_coin,
        resources_offer: m.resources_offer.clone(),
    })
}

impl ModuleMsg for MarketMsg {
    const MODULE: &'static str = "market";

    /// Decodes a market message; `None` for type URLs this module does not own.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        let url = any.type_url.as_str();
        let r = if url == MSG_CREATE_BID {
            decode_as::<mv1b5::MsgCreateBid>(any)
                .and_then(|m| check_create_bid(&m))
                .map(|c| MarketMsg::CreateBid(Box::new(c)))
        } else if url == MSG_CLOSE_BID {
            decode_as::<mv1b5::MsgCloseBid>(any).and_then(|m| {
                let id = BidId::from_proto(m.id.as_ref())?;
                let reason = LeaseClosedReason::try_from(m.reason)
                    .ok()
                    .filter(|_| (10000..20000).contains(&m.reason))
                    .ok_or_else(|| {
                        invalid_lease_closed_reason(format!(
                            "a provider closes a bid with a reason in 10000..19999 (e.g. 10002 \
                             unspecified), got {}",
                            m.reason
                        ))
                    })?;
                Ok(MarketMsg::CloseBid { id, reason })
            })
        } else if url == MSG_CREATE_LEASE {
            decode_as::<mv1b5::MsgCreateLease>(any)
                .and_then(|m| BidId::from_proto(m.bid_id.as_ref()).map(MarketMsg::CreateLease))
        } else if url == MSG_WITHDRAW_LEASE {
            decode_as::<mv1b5::MsgWithdrawLease>(any)
                .and_then(|m| BidId::from_lease_proto(m.id.as_ref()).map(MarketMsg::WithdrawLease))
        } else if url == MSG_CLOSE_LEASE {
            // The reason field is ignored: the handler records lease_closed_owner.
            decode_as::<mv1b5::MsgCloseLease>(any)
                .and_then(|m| BidId::from_lease_proto(m.id.as_ref()).map(MarketMsg::CloseLease))
        } else if url == MSG_LEASE_START_RECLAIM {
            decode_as::<mv1b5::MsgLeaseStartReclaim>(any)
                .and_then(|_| Err(lease_not_reclamable(NO_RECLAMATION)))
        } else if url == MSG_UPDATE_PARAMS {
            decode_as::<mv1b5::MsgUpdateParams>(any).and_then(|m| {
                let authority = crate::auth::parse_address("authority", &m.authority)?;
                let params = m
                    .params
                    .ok_or_else(|| invalid_param("params are missing"))?;
                validate_params(&params)?;
                Ok(MarketMsg::UpdateParams { authority, params })
            })
        } else {
            return None;
        };
        Some(r)
    }

    fn type_url(&self) -> &'static str {
        match self {
            MarketMsg::CreateBid(_) => MSG_CREATE_BID,
            MarketMsg::CloseBid { .. } => MSG_CLOSE_BID,
            MarketMsg::CreateLease(_) => MSG_CREATE_LEASE,
            MarketMsg::WithdrawLease(_) => MSG_WITHDRAW_LEASE,
            MarketMsg::CloseLease(_) => MSG_CLOSE_LEASE,
            MarketMsg::UpdateParams { .. } => MSG_UPDATE_PARAMS,
        }
    }

    /// Providers sign bids, bid closes and withdrawals; tenants sign lease creation and close.
    fn signers(&self) -> Vec<Address> {
        vec![match self {
            MarketMsg::CreateBid(c) => c.id.provider,
            MarketMsg::CloseBid { id, .. } | MarketMsg::WithdrawLease(id) => id.provider,
            MarketMsg::CreateLease(id) | MarketMsg::CloseLease(id) => id.order.owner,
            MarketMsg::UpdateParams { authority, .. } => *authority,
        }]
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            MarketMsg::CreateBid(c) => {
                create_bid(ctx, c)?;
                Ok(mv1b5::MsgCreateBidResponse {}.encode_to_vec())
            }
            MarketMsg::CloseBid { id, reason } => {
                close_bid(ctx, *id, *reason)?;
                Ok(mv1b5::MsgCloseBidResponse {}.encode_to_vec())
            }
            MarketMsg::CreateLease(id) => {
                create_lease(ctx, *id)?;
                Ok(mv1b5::MsgCreateLeaseResponse {}.encode_to_vec())
            }
            MarketMsg::WithdrawLease(id) => {
                if get_lease(ctx, *id)?.is_none() {
                    return Err(lease_not_found(format!("no lease {id}")));
                }
                super::hooks::withdraw_lease_payment(ctx, *id)?;
                Ok(mv1b5::MsgWithdrawLeaseResponse {}.encode_to_vec())
            }
            MarketMsg::CloseLease(id) => {
                close_lease_by_owner(ctx, *id)?;
                Ok(mv1b5::MsgCloseLeaseResponse {}.encode_to_vec())
            }
            MarketMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "market")?;
                set_params(ctx, params)?;
                Ok(mv1b5::MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}

/// `BidCountForOrder`: bids in open, active or closed state (lost bids do not count).
fn bid_count_for_order(ctx: &mut Ctx, order: OrderId) -> SdkResult<u32> {
    Ok(bids_of_order(ctx, order)?
        .iter()
        .filter(|(_, b)| {
            matches!(
                bid_state(b),
                BidState::Open | BidState::Active | BidState::Closed
            )
        })
        .count() as u32)
}

/// CreateBid, checks in the order of spec §4.6.
pub fn create_bid(ctx: &mut Ctx, c: &CreateBid) -> SdkResult<()> {
    let p = params(ctx);
    // 1. deposit denom and minimum (node v1.x: bid_min_deposit alone)
    let min = p.bid_min_deposit.clone().unwrap_or_default();
    if c.deposit_coin.denom != min.denom {
        return Err(invalid_deposit(format!(
            "bid deposit is in {}; deposit {} (minimum {}{})",
            c.deposit_coin.denom, min.denom, min.amount, min.denom
        )));
    }
    let min_amount: u128 = min.amount.parse().unwrap_or(u128::MAX);
    if c.deposit_coin.amount < min_amount {
        return Err(invalid_deposit(format!(
            "bid deposit {} is below the minimum {min_amount}{}",
            c.deposit_coin, min.denom
        )));
    }
    // 2. bid count. Akash checks `count > max` before adding, which lets max + 1 bids in;
    // kumo enforces the parameter as written: at most `order_max_bids` (20) counted bids.
    let count = bid_count_for_order(ctx, c.id.order)?;
    if count >= p.order_max_bids {
        return Err(invalid_bid(format!(
            "order {} already has {count} bids (the maximum is {})",
            c.id.order, p.order_max_bids
        )));
    }
    // 3. bseq is reserved
    if c.id.bseq != 0 {
        return Err(invalid_bid(format!(
            "bid sequence (bseq) must be 0, got {}",
            c.id.bseq
        )));
    }
    // 4. the order exists and is open
    let order = get_order(ctx, c.id.order)?
        .ok_or_else(|| order_not_found(format!("no order {}", c.id.order)))?;
    match order_state(&order) {
        OrderState::Open => {}
        OrderState::Active => {
            return Err(order_active(format!(
                "order {} already has a lease",
                c.id.order
            )))
        }
        _ => return Err(order_closed(format!("order {} is closed", c.id.order))),
    }
    if get_bid(ctx, c.id)?.is_some() {
        return Err(bid_exists(format!(
            "provider {} already bid on order {}",
            c.id.provider, c.id.order
        )));
    }
    // 5. price in the order's denom and not above it
    let spec = order.spec.clone().unwrap_or_default();
    let order_price = deployment::msgs::group_price(&spec)?;
    if c.price.denom != order_price.denom {
        return Err(invalid_price(format!(
            "bid is in {} but the order is priced in {}; bid in {}",
            c.price.denom, order_price.denom, order_price.denom
        )));
    }
    if c.price.amount > order_price.amount {
        return Err(bid_over_order(format!(
            "bid {} is above the order's maximum {} per block",
            c.price, order_price
        )));
    }
    // 6. resources offer matches the spec
    super::matching::match_gspec(&c.resources_offer, &spec)?;
    // 7-9. provider registered, placement and capabilities
    super::matching::check_provider(ctx, c.id.provider, &spec)?;
    // 11-13. store the bid, then lock the provider's deposit in its own escrow account
    let bid = mv1b5::Bid {
        id: Some(c.id.to_proto()),
        state: BidState::Open as i32,
        price: Some(c.price.to_proto()),
        created_at: ctx.block.height as i64,
        resources_offer: c.resources_offer.clone(),
        reclamation_window: None,
    };
    insert_bid(ctx, c.id, &bid)?;
    ctx.emit(Event::typed(&mv1::EventBidCreated {
        id: Some(c.id.to_proto()),
        price: Some(c.price.to_proto()),
    }));
    super::hooks::create_bid_account(ctx, c.id, &c.deposit)
}

/// CreateLease (tenant): the bid, its order and its group must be open.
pub fn create_lease(ctx: &mut Ctx, id: BidId) -> SdkResult<()> {
    let bid = get_bid(ctx, id)?.ok_or_else(|| bid_not_found(format!("no bid {id}")))?;
    if bid_state(&bid) != BidState::Open {
        return Err(bid_not_open(format!(
            "bid {id} is {}; only an open bid can be leased",
            bid_state(&bid).as_str_name()
        )));
    }
    let order = get_order(ctx, id.order)?
        .ok_or_else(|| order_not_found(format!("no order {}", id.order)))?;
    if order_state(&order) != OrderState::Open {
        return Err(order_not_open(format!(
            "order {} is {}",
            id.order,
            order_state(&order).as_str_name()
        )));
    }
    let group = deployment::state::get_group(ctx, id.order.group())?
        .ok_or_else(|| group_not_found(format!("no group {}", id.order.group())))?;
    if deployment::state::group_state(&group) != GroupState::Open {
        return Err(group_not_open(format!(
            "group {} is {}; start it first",
            id.order.group(),
            deployment::state::group_state(&group).as_str_name()
        )));
    }
    let price = bid.price.clone().unwrap_or_default();
    super::hooks::create_lease_payment(ctx, id, &price)?;
    let lease = mv1::Lease {
        id: Some(id.to_lease_proto()),
        state: LeaseState::Active as i32,
        price: Some(price.clone()),
        created_at: ctx.block.height as i64,
        closed_on: 0,
        reason: LeaseClosedReason::LeaseClosedInvalid as i32,
        reclamation: None,
    };
    insert_lease(ctx, id, &lease)?;
    ctx.emit(Event::typed(&mv1::EventLeaseCreated {
        id: Some(id.to_lease_proto()),
        price: Some(price),
    }));
    set_order_state(ctx, id.order, OrderState::Active)?;
    set_bid_state(ctx, id, BidState::Active)?;
    // Every other open bid loses and gets its deposit back. Akash's loop stops at the first
    // bid because its account-closed hook errors on bid accounts (spec §4.6 quirk); we refund
    // every losing provider instead.
    for (other, b) in bids_of_order(ctx, id.order)? {
        if other != id && bid_state(&b) == BidState::Open {
            set_bid_state(ctx, other, BidState::Lost)?;
        }
    }
    Ok(())
}

/// CloseBid (provider): an open bid is withdrawn; an active bid ends its running lease and
/// pauses the group.
pub fn close_bid(ctx: &mut Ctx, id: BidId, reason: LeaseClosedReason) -> SdkResult<()> {
    let bid = get_bid(ctx, id)?.ok_or_else(|| unknown_bid(format!("no bid {id}")))?;
    if get_order(ctx, id.order)?.is_none() {
        return Err(unknown_order_for_bid(format!("no order {}", id.order)));
    }
    if bid_state(&bid) == BidState::Open {
        set_bid_state(ctx, id, BidState::Closed)?;
        return Ok(());
    }
    let lease = get_lease(ctx, id)?
        .ok_or_else(|| unknown_lease_for_bid(format!("bid {id} has no lease")))?;
    if lease_state(&lease) != LeaseState::Active {
        return Err(lease_not_active(format!(
            "lease {id} is {}",
            lease_state(&lease).as_str_name()
        )));
    }
    if bid_state(&bid) != BidState::Active {
        return Err(bid_not_active(format!(
            "bid {id} is {}",
            bid_state(&bid).as_str_name()
        )));
    }
    // deployment.OnBidClosed: the group pauses so the tenant decides whether to re-order.
    let group = id.order.group();
    if let Some(g) = deployment::state::get_group(ctx, group)? {
        if deployment::state::group_state(&g) != GroupState::Paused {
            deployment::state::set_group_state(ctx, group, GroupState::Paused)?;
        }
    }
    close_lease(ctx, id, LeaseState::Closed, reason)?;
    set_bid_state(ctx, id, BidState::Closed)?;
    set_order_state(ctx, id.order, OrderState::Closed)?;
    super::hooks::close_lease_payment(ctx, id)
}

/// CloseLease (tenant): order, bid and lease must be active; a new order follows when the
/// group is still open.
pub fn close_lease_by_owner(ctx: &mut Ctx, id: BidId) -> SdkResult<()> {
    let order = get_order(ctx, id.order)?
        .ok_or_else(|| order_not_found(format!("no order {}", id.order)))?;
    if order_state(&order) != OrderState::Active {
        return Err(order_not_open(format!(
            "order {} is {}, not active",
            id.order,
            order_state(&order).as_str_name()
        )));
    }
    let bid = get_bid(ctx, id)?.ok_or_else(|| bid_not_found(format!("no bid {id}")))?;
    if bid_state(&bid) != BidState::Active {
        return Err(bid_not_active(format!(
            "bid {id} is {}",
            bid_state(&bid).as_str_name()
        )));
    }
    let lease = get_lease(ctx, id)?.ok_or_else(|| lease_not_found(format!("no lease {id}")))?;
    if lease_state(&lease) != LeaseState::Active {
        return Err(lease_not_active(format!(
            "lease {id} is {}",
            lease_state(&lease).as_str_name()
        )));
    }
    close_lease(
        ctx,
        id,
        LeaseState::Closed,
        LeaseClosedReason::LeaseClosedOwner,
    )?;
    set_bid_state(ctx, id, BidState::Closed)?;
    set_order_state(ctx, id.order, OrderState::Closed)?;
    super::hooks::close_lease_payment(ctx, id)?;
    let group = id.order.group();
    if let Some(g) = deployment::state::get_group(ctx, group)? {
        if deployment::state::group_state(&g) == GroupState::Open {
            create_order(ctx, group, &g.group_spec.unwrap_or_default())?;
        }
    }
    Ok(())
}
