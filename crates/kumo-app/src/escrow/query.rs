//! `akash.escrow.v1.Query`: Accounts and Payments, filtered by state name and by a key prefix
//! (`xid`, e.g. `deployment/akash1…/123`), paginated.

use super::state::{accounts_prefix, payments_prefix, STORED_STATES};
use super::types::{self, State};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::query::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use kumo_proto::akash::escrow::v1::{
    QueryAccountsRequest, QueryAccountsResponse, QueryPaymentsRequest, QueryPaymentsResponse,
};
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
