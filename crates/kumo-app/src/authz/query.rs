//! authz queries (`/cosmos.authz.v1beta1.Query/{Grants,GranterGrants,GranteeGrants}`), paged
//! the SDK way. Expired grants are left out, as if already pruned.

use super::errors as err;
use super::state::{self, GRANTEE_INDEX_PREFIX, GRANT_PREFIX};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::authz::v1beta1::{
    Grant, GrantAuthorization, QueryGranteeGrantsRequest, QueryGranteeGrantsResponse,
    QueryGranterGrantsRequest, QueryGranterGrantsResponse, QueryGrantsRequest, QueryGrantsResponse,
};
use kumo_crypto::{Address, ACCOUNT_HRP};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Grants" => decode_req::<QueryGrantsRequest>(data).and_then(|r| grants(ctx, &r)),
        "GranterGrants" => {
            decode_req::<QueryGranterGrantsRequest>(data).and_then(|r| granter_grants(ctx, &r))
        }
        "GranteeGrants" => {
            decode_req::<QueryGranteeGrantsRequest>(data).and_then(|r| grantee_grants(ctx, &r))
        }
        _ => return None,
    })
}

fn address(field: &str, value: &str) -> SdkResult<Address> {
    if value.is_empty() {
        return Err(SdkError::bad_query(format!("empty {field} address")));
    }
    parse_address(field, value).map_err(|e| SdkError::bad_query(e.log))
}

/// Live grants under `prefix`, as (key, Grant bytes).
fn live(ctx: &Ctx, prefix: &[u8]) -> SdkResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    for (k, v) in ctx.prefix_free(prefix) {
        if !state::is_expired(&state::decode_grant(&v)?, ctx.block.time) {
            out.push((k, v));
        }
    }
    Ok(out)
}

fn grant_authorization(
    granter: &Address,
    grantee: &Address,
    bytes: &[u8],
) -> SdkResult<GrantAuthorization> {
    let g = state::decode_grant(bytes)?;
    Ok(GrantAuthorization {
        granter: granter.to_bech32(ACCOUNT_HRP),
        grantee: grantee.to_bech32(ACCOUNT_HRP),
        authorization: g.authorization,
        expiration: g.expiration,
    })
}

fn grants(ctx: &Ctx, r: &QueryGrantsRequest) -> SdkResult<Vec<u8>> {
    let granter = address("granter", &r.granter)?;
    let grantee = address("grantee", &r.grantee)?;
    if !r.msg_type_url.is_empty() {
        let grant = ctx
            .get_free(&state::grant_key(&granter, &grantee, &r.msg_type_url))
            .map(|b| state::decode_grant(&b))
            .transpose()?
            .filter(|g| !state::is_expired(g, ctx.block.time))
            .ok_or_else(|| {
                err::no_authorization_found(format!(
                    "authorization not found for {} type",
                    r.msg_type_url
                ))
            })?;
        return Ok(QueryGrantsResponse {
            grants: vec![grant],
            pagination: None,
        }
        .encode_to_vec());
    }
    let prefix = state::pair_prefix(&granter, &grantee);
    let entries = live(ctx, &prefix)?;
    let (page, pagination) = paginate(&entries, &prefix, r.pagination.as_ref())?;
    let grants = page
        .iter()
        .map(|(_, v)| state::decode_grant(v))
        .collect::<SdkResult<Vec<Grant>>>()?;
    Ok(QueryGrantsResponse {
        grants,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn granter_grants(ctx: &Ctx, r: &QueryGranterGrantsRequest) -> SdkResult<Vec<u8>> {
    let granter = address("granter", &r.granter)?;
    let prefix = state::granter_prefix(&granter);
    let entries = live(ctx, &prefix)?;
    let (page, pagination) = paginate(&entries, &prefix, r.pagination.as_ref())?;
    let grants = page
        .iter()
        .map(|(k, v)| {
            let (granter, grantee, _) = state::split_key(GRANT_PREFIX, k)
                .ok_or_else(|| SdkError::invalid_type("malformed authz grant key"))?;
            grant_authorization(&granter, &grantee, v)
        })
        .collect::<SdkResult<Vec<_>>>()?;
    Ok(QueryGranterGrantsResponse {
        grants,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn grantee_grants(ctx: &Ctx, r: &QueryGranteeGrantsRequest) -> SdkResult<Vec<u8>> {
    let grantee = address("grantee", &r.grantee)?;
    let prefix = state::grantee_prefix(&grantee);
    // Index entries whose grant is live, carrying the grant bytes, in index (granter) order.
    let mut entries = Vec::new();
    for (k, _) in ctx.prefix_free(&prefix) {
        let (_, granter, url) = state::split_key(GRANTEE_INDEX_PREFIX, &k)
            .ok_or_else(|| SdkError::invalid_type("malformed authz grantee index key"))?;
        if let Some(v) = ctx.get_free(&state::grant_key(&granter, &grantee, &url)) {
            if !state::is_expired(&state::decode_grant(&v)?, ctx.block.time) {
                entries.push((k, v));
            }
        }
    }
    let (page, pagination) = paginate(&entries, &prefix, r.pagination.as_ref())?;
    let grants = page
        .iter()
        .map(|(k, v)| {
            let (_, granter, _) = state::split_key(GRANTEE_INDEX_PREFIX, k)
                .ok_or_else(|| SdkError::invalid_type("malformed authz grantee index key"))?;
            grant_authorization(&granter, &grantee, v)
        })
        .collect::<SdkResult<Vec<_>>>()?;
    Ok(QueryGranteeGrantsResponse {
        grants,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}
