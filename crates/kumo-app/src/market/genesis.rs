//! market genesis (`akash.market.v1beta5.GenesisState` in proto-JSON: `params`, `orders`,
//! `leases`, `bids`). Import validates IDs and states and rebuilds the state and provider
//! indexes; export writes the same layout back.

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::json::{message_from_json, message_json};
use prost::Message;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    /// `market.v1beta5.Params`; defaults (bid min deposit 500000uakt, 20 bids) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    #[serde(default)]
    pub orders: Vec<serde_json::Value>,
    #[serde(default)]
    pub leases: Vec<serde_json::Value>,
    #[serde(default)]
    pub bids: Vec<serde_json::Value>,
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("market genesis: {what}"))
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let params = match &g.params {
        Some(p) => message_from_json::<mv1b5::Params>(p).map_err(bad)?,
        None => default_params(),
    };
    validate_params(&params).map_err(|e| bad(e.log))?;
    set_params(ctx, &params)?;
    for (i, json) in g.orders.iter().enumerate() {
        let o: mv1b5::Order =
            message_from_json(json).map_err(|e| bad(format!("order {i}: {e}")))?;
        let id = OrderId::from_proto(o.id.as_ref()).map_err(|e| bad(e.log))?;
        if order_state(&o) == OrderState::Invalid || get_order(ctx, id)?.is_some() {
            return Err(bad(format!(
                "order {id} is listed twice or has an invalid state"
            )));
        }
        insert_order(ctx, id, &o)?;
    }
    for (i, json) in g.bids.iter().enumerate() {
        let b: mv1b5::Bid = message_from_json(json).map_err(|e| bad(format!("bid {i}: {e}")))?;
        let id = BidId::from_proto(b.id.as_ref()).map_err(|e| bad(e.log))?;
        if get_order(ctx, id.order)?.is_none() {
            return Err(bad(format!(
                "bid {id} names an order that is not in genesis"
            )));
        }
        if bid_state(&b) == BidState::Invalid || get_bid(ctx, id)?.is_some() {
            return Err(bad(format!(
                "bid {id} is listed twice or has an invalid state"
            )));
        }
        insert_bid(ctx, id, &b)?;
    }
    for (i, json) in g.leases.iter().enumerate() {
        let l: mv1::Lease = message_from_json(json).map_err(|e| bad(format!("lease {i}: {e}")))?;
        let id = BidId::from_lease_proto(l.id.as_ref()).map_err(|e| bad(e.log))?;
        if get_bid(ctx, id)?.is_none() {
            return Err(bad(format!("lease {id} has no bid in genesis")));
        }
        if lease_state(&l) == LeaseState::Invalid || get_lease(ctx, id)?.is_some() {
            return Err(bad(format!(
                "lease {id} is listed twice or has an invalid state"
            )));
        }
        insert_lease(ctx, id, &l)?;
    }
    Ok(())
}

pub fn export(ctx: &Ctx) -> GenesisState {
    fn all<M: Message + Default + prost::Name>(ctx: &Ctx, prefix: &[u8]) -> Vec<serde_json::Value> {
        ctx.prefix_free(prefix)
            .into_iter()
            .map(|(_, v)| message_json(&M::decode(v.as_slice()).expect("stored record decodes")))
            .collect()
    }
    GenesisState {
        params: Some(message_json(&params(ctx))),
        orders: all::<mv1b5::Order>(ctx, ORDER_PREFIX),
        leases: all::<mv1::Lease>(ctx, LEASE_PREFIX),
        bids: all::<mv1b5::Bid>(ctx, BID_PREFIX),
    }
}
