//! `akash.escrow.v1.Query`: Accounts and Payments, filtered by state name and by a key prefix
//! (`xid`, e.g. `deployment/akash1…/123`), paginated.

use super::state::{accounts_prefix, payments_prefix, STORED_STATES};
use super::types::{self, State};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin as ProtoDecCoin;
use kumo_proto::akash::escrow::v1::{
    QueryAccountsRequest, QueryAccountsResponse, QueryPaymentsRequest, QueryPaymentsResponse,
};
use kumo_proto::akash::escrow::{id::v1 as eid, types::v1 as etypes, v1beta3 as ev1b3};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Accounts" => accounts(ctx, data),
        "Payments" => payments(ctx, data),
        _ => return None,
    })
}

fn states(name: &str) -> SdkResult<Vec<State>> {
    if name.is_empty() {
        return Ok(STORED_STATES.to_vec());
    }
    match State::from_str_name(name) {
        Some(s) if s != State::Invalid => Ok(vec![s]),
        _ => Err(SdkError::bad_query(format!(
            "invalid state value {name:?}: expected open, closed or overdrawn"
        ))),
    }
}

/// Entries of every wanted state under the xid prefix. Pagination keys are relative to
/// `escrow/<kind>/`, so they carry the state byte and stay valid across states.
fn collect(
    ctx: &Ctx,
    base: &[u8],
    prefix_of: fn(State, &str) -> Vec<u8>,
    state: &str,
    xid: &str,
    page: Option<&PageRequest>,
) -> SdkResult<(Vec<Vec<u8>>, PageResponse)> {
    let mut entries = Vec::new();
    for s in states(state)? {
        entries.extend(ctx.prefix_free(&prefix_of(s, xid)));
    }
    let (page, resp) = paginate(&entries, base, page)?;
    Ok((page.into_iter().map(|(_, v)| v.clone()).collect(), resp))
}

fn accounts(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryAccountsRequest = decode_req(data)?;
    let base = accounts_prefix(State::Invalid, "");
    let base = &base[..base.len() - 2];
    let (values, pagination) = collect(
        ctx,
        base,
        accounts_prefix,
        &req.state,
        &req.xid,
        req.pagination.as_ref(),
    )?;
    let accounts = values
        .iter()
        .map(|v| types::Account::decode(v.as_slice()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SdkError::invalid_request(format!("stored escrow account: {e}")))?;
    Ok(QueryAccountsResponse {
        accounts,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn payments(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryPaymentsRequest = decode_req(data)?;
    let base = payments_prefix(State::Invalid, "");
    let base = &base[..base.len() - 2];
    let (values, pagination) = collect(
        ctx,
        base,
        payments_prefix,
        &req.state,
        &req.xid,
        req.pagination.as_ref(),
    )?;
    let payments = values
        .iter()
        .map(|v| types::Payment::decode(v.as_slice()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SdkError::invalid_request(format!("stored escrow payment: {e}")))?;
    Ok(QueryPaymentsResponse {
        payments,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

// ---- The escrow records as the deployment v1beta3 / market v1beta4 services returned them
// (escrow v1beta3, spec §6.5): records changed shape, so they convert field by field. ----

fn v1beta3_account_id(id: Option<&eid::Account>) -> Option<ev1b3::AccountId> {
    id.map(|id| ev1b3::AccountId {
        scope: id.scope().as_str_name().to_string(),
        xid: id.xid.clone(),
    })
}

/// An escrow v1 account as v1beta3 saw it (spec §6.5): the primary denom's unspent funds are
/// the `balance`; v1 has no single granter, so `depositor` is empty and `funds` is zero.
pub fn v1beta3_account(a: &etypes::Account) -> ev1b3::Account {
    let s = a.state.clone().unwrap_or_default();
    let denom = s.funds.first().map(|b| b.denom.clone()).unwrap_or_default();
    let zero = || ProtoDecCoin {
        denom: denom.clone(),
        amount: "0".into(),
    };
    // v1 funds go negative by the shortfall of an overdrawn account; a v1beta3 balance is
    // a DecCoin and cannot be negative (the `overdrawn` state tells the shortfall).
    let balance = match s.funds.first() {
        Some(b) if !b.amount.starts_with('-') && !b.amount.is_empty() => ProtoDecCoin {
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
        id: v1beta3_account_id(a.id.as_ref()),
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
pub fn v1beta3_payment(p: &etypes::Payment) -> ev1b3::FractionalPayment {
    let id = p.id.clone().unwrap_or_default();
    let s = p.state.clone().unwrap_or_default();
    ev1b3::FractionalPayment {
        account_id: v1beta3_account_id(id.aid.as_ref()),
        payment_id: id.xid,
        owner: s.owner,
        state: s.state,
        rate: s.rate,
        balance: s.balance,
        withdrawn: s.withdrawn,
    }
}
