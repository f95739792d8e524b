//! audit queries (`/akash.audit.v1.Query/*`); all four answer `QueryProvidersResponse`.

use super::state;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_crypto::Address;
use kumo_proto::akash::audit::v1::{
    QueryAllProvidersAttributesRequest, QueryAuditorAttributesRequest,
    QueryProviderAttributesRequest, QueryProviderAuditorRequest, QueryProvidersResponse,
};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "AllProvidersAttributes" => decode_req::<QueryAllProvidersAttributesRequest>(data)
            .and_then(|r| page(ctx, state::audits_prefix(), |_| true, r.pagination.as_ref())),
        "ProviderAttributes" => decode_req::<QueryProviderAttributesRequest>(data).and_then(|r| {
            let owner = address("owner", &r.owner)?;
            page(
                ctx,
                &state::provider_prefix(&owner),
                |_| true,
                r.pagination.as_ref(),
            )
        }),
        "ProviderAuditorAttributes" => {
            decode_req::<QueryProviderAuditorRequest>(data).and_then(|r| {
                let owner = address("owner", &r.owner)?;
                let auditor = address("auditor", &r.auditor)?;
                let key = state::audit_key(&owner, &auditor);
                let value = ctx.get_free(&key).ok_or_else(|| {
                    SdkError::not_found(format!(
                        "auditor {} has no attributes for provider {}",
                        r.auditor, r.owner
                    ))
                })?;
                Ok(QueryProvidersResponse {
                    providers: vec![state::record_from_entry(&key, &value)],
                    pagination: None,
                }
                .encode_to_vec())
            })
        }
        "AuditorAttributes" => decode_req::<QueryAuditorAttributesRequest>(data).and_then(|r| {
            let auditor = address("auditor", &r.auditor)?;
            let suffix = auditor.as_bytes().to_vec();
            page(
                ctx,
                state::audits_prefix(),
                move |k: &[u8]| k.ends_with(&suffix),
                r.pagination.as_ref(),
            )
        }),
        _ => return None,
    })
}

fn address(field: &str, value: &str) -> SdkResult<Address> {
    if value.is_empty() {
        return Err(SdkError::bad_query(format!("empty {field} address")));
    }
    parse_address(field, value).map_err(|e| SdkError::bad_query(e.log))
}

/// Records under `prefix` whose key passes `keep`, paged by key.
fn page(
    ctx: &Ctx,
    prefix: &[u8],
    keep: impl Fn(&[u8]) -> bool,
    req: Option<&PageRequest>,
) -> SdkResult<Vec<u8>> {
    let entries: Vec<(Vec<u8>, Vec<u8>)> = ctx
        .prefix_free(prefix)
        .into_iter()
        .filter(|(k, _)| keep(k))
        .collect();
    let (page, pagination) = paginate(&entries, prefix, req)?;
    Ok(QueryProvidersResponse {
        providers: page
            .iter()
            .map(|(k, v)| state::record_from_entry(k, v))
            .collect(),
        pagination: Some(pagination),
    }
    .encode_to_vec())
}
