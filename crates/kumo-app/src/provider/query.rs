//! provider queries (`/akash.provider.v1beta4.Query/{Providers,Provider}`).

use super::state;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use kumo_proto::akash::provider::v1beta4::{
    QueryProviderRequest, QueryProviderResponse, QueryProvidersRequest, QueryProvidersResponse,
};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Providers" => providers(ctx, data),
        "Provider" => provider(ctx, data),
        _ => return None,
    })
}

fn providers(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryProvidersRequest = decode_req(data)?;
    let prefix = state::providers_prefix();
    let entries = ctx.prefix_free(prefix);
    let (page, pagination) = paginate(&entries, prefix, req.pagination.as_ref())?;
    Ok(QueryProvidersResponse {
        providers: page
            .iter()
            .map(|(_, v)| state::decode_provider(v))
            .collect(),
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn provider(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryProviderRequest = decode_req(data)?;
    if req.owner.is_empty() {
        return Err(SdkError::bad_query("empty owner address"));
    }
    let owner = parse_address("owner", &req.owner).map_err(|e| SdkError::bad_query(e.log))?;
    let provider = state::get(ctx, &owner)
        .ok_or_else(|| SdkError::not_found(format!("provider {} not found", req.owner)))?;
    Ok(QueryProviderResponse {
        provider: Some(provider),
    }
    .encode_to_vec())
}
