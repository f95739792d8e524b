//! `cosmos.mint.v1beta1.Query`: Params, Inflation, AnnualProvisions (LegacyDec atomics as
//! text bytes, as the SDK marshals them).

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use cosmos_sdk_proto::cosmos::mint::v1beta1::{
    QueryAnnualProvisionsResponse, QueryInflationResponse, QueryParamsResponse,
};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, _data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(Ok(match method {
        "Params" => QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec(),
        "Inflation" => QueryInflationResponse {
            inflation: minter(ctx).inflation.to_string().into_bytes(),
        }
        .encode_to_vec(),
        "AnnualProvisions" => QueryAnnualProvisionsResponse {
            annual_provisions: minter(ctx).annual_provisions.to_string().into_bytes(),
        }
        .encode_to_vec(),
        _ => return None,
    }))
}
