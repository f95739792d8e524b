//! `cosmos.distribution.v1beta1.Query/CommunityPool`.

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::query::decode_req;
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    QueryCommunityPoolRequest, QueryCommunityPoolResponse,
};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    (method == "CommunityPool").then(|| {
        let _: QueryCommunityPoolRequest = decode_req(data)?;
        Ok(QueryCommunityPoolResponse {
            pool: super::state::community_pool(ctx)
                .into_iter()
                .map(|(denom, a)| DecCoin {
                    denom,
                    amount: a.to_string(),
                })
                .collect(),
        }
        .encode_to_vec())
    })
}
