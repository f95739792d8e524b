//! `cosmos.slashing.v1beta1.Query`: Params, SigningInfo, SigningInfos.

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use crate::staking::state::VALCONS_HRP;
use cosmos_sdk_proto::cosmos::slashing::v1beta1::*;
use kumo_crypto::Address;
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Params" => Ok(QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec()),
        "SigningInfo" => decode_req::<QuerySigningInfoRequest>(data).and_then(|r| {
            let cons = Address::from_bech32(&r.cons_address, VALCONS_HRP).map_err(|e| {
                SdkError::bad_query(format!(
                    "invalid consensus address {:?}: {e}",
                    r.cons_address
                ))
            })?;
            let info = signing_info(ctx, cons.as_bytes()).ok_or_else(|| {
                SdkError::not_found(format!(
                    "SigningInfo not found for validator {}",
                    r.cons_address
                ))
            })?;
            Ok(QuerySigningInfoResponse {
                val_signing_info: Some(info),
            }
            .encode_to_vec())
        }),
        "SigningInfos" => decode_req::<QuerySigningInfosRequest>(data).and_then(|r| {
            let entries = ctx.prefix_free(signing_infos_prefix());
            let (page, pagination) =
                paginate(&entries, signing_infos_prefix(), r.pagination.as_ref())?;
            Ok(QuerySigningInfosResponse {
                info: page
                    .iter()
                    .map(|(_, b)| ValidatorSigningInfo::decode(b.as_slice()).expect("stored"))
                    .collect(),
                pagination: Some(pagination),
            }
            .encode_to_vec())
        }),
        _ => return None,
    })
}
