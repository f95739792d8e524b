//! feegrant queries (`/cosmos.feegrant.v1beta1.Query/{Allowance,Allowances,
//! AllowancesByGranter}`), paged the SDK way. As in the SDK, an expired allowance shows until
//! it is pruned or a tx comes across it.

use super::errors as err;
use super::state::{self, GRANTER_INDEX_PREFIX};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::feegrant::v1beta1::{
    Grant, QueryAllowanceRequest, QueryAllowanceResponse, QueryAllowancesByGranterRequest,
    QueryAllowancesByGranterResponse, QueryAllowancesRequest, QueryAllowancesResponse,
};
use kumo_crypto::Address;
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Allowance" => decode_req::<QueryAllowanceRequest>(data).and_then(|r| allowance(ctx, &r)),
        "Allowances" => {
            decode_req::<QueryAllowancesRequest>(data).and_then(|r| allowances(ctx, &r))
        }
        "AllowancesByGranter" => decode_req::<QueryAllowancesByGranterRequest>(data)
            .and_then(|r| allowances_by_granter(ctx, &r)),
        _ => return None,
    })
}

fn address(field: &str, value: &str) -> SdkResult<Address> {
    if value.is_empty() {
        return Err(SdkError::bad_query(format!("empty {field} address")));
    }
    parse_address(field, value).map_err(|e| SdkError::bad_query(e.log))
}

fn allowance(ctx: &Ctx, r: &QueryAllowanceRequest) -> SdkResult<Vec<u8>> {
    let granter = address("granter", &r.granter)?;
    let grantee = address("grantee", &r.grantee)?;
    let grant = ctx
        .get_free(&state::allowance_key(&granter, &grantee))
        .ok_or_else(err::grant_not_found)
        .and_then(|b| state::decode_grant(&b))?;
    Ok(QueryAllowanceResponse {
        allowance: Some(Grant {
            granter: r.granter.clone(),
            grantee: r.grantee.clone(),
            allowance: grant.allowance,
        }),
    }
    .encode_to_vec())
}

fn allowances(ctx: &Ctx, r: &QueryAllowancesRequest) -> SdkResult<Vec<u8>> {
    let grantee = address("grantee", &r.grantee)?;
    let prefix = state::grantee_prefix(&grantee);
    let entries = ctx.prefix_free(&prefix);
    let (page, pagination) = paginate(&entries, &prefix, r.pagination.as_ref())?;
    let allowances = page
        .iter()
        .map(|(_, v)| state::decode_grant(v))
        .collect::<SdkResult<Vec<_>>>()?;
    Ok(QueryAllowancesResponse {
        allowances,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn allowances_by_granter(ctx: &Ctx, r: &QueryAllowancesByGranterRequest) -> SdkResult<Vec<u8>> {
    let granter = address("granter", &r.granter)?;
    let prefix = state::granter_prefix(&granter);
    // Index entries carrying their grant bytes, in grantee order.
    let mut entries = Vec::new();
    for (k, _) in ctx.prefix_free(&prefix) {
        let (_, grantee) = state::split_key(GRANTER_INDEX_PREFIX, &k)
            .ok_or_else(|| SdkError::invalid_type("malformed feegrant granter index key"))?;
        if let Some(v) = ctx.get_free(&state::allowance_key(&granter, &grantee)) {
            entries.push((k, v));
        }
    }
    let (page, pagination) = paginate(&entries, &prefix, r.pagination.as_ref())?;
    let allowances = page
        .iter()
        .map(|(_, v)| state::decode_grant(v))
        .collect::<SdkResult<Vec<_>>>()?;
    Ok(QueryAllowancesByGranterResponse {
        allowances,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}
