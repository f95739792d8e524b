//! `akash.take.v1.Query/Params`.

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::module::decode_req;
use kumo_proto::akash::take::v1::{QueryParamsRequest, QueryParamsResponse};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    (method == "Params").then(|| {
        let _: QueryParamsRequest = decode_req(data)?;
        Ok(QueryParamsResponse {
            params: Some(super::state::params(ctx)),
        }
        .encode_to_vec())
    })
}
