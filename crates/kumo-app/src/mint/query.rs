//! `cosmos.mint.v1beta1.Query`: Params, Inflation, AnnualProvisions (LegacyDec atomics as
//! text bytes, as the SDK marshals them); `kumo.mint.v1.Query/MaxSupply`: the supply cap, which
//! the SDK's mint does not have.

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

/// Path of the max-supply query (a kumo addition: no SDK service carries the cap).
pub const MAX_SUPPLY_PATH: &str = "/kumo.mint.v1.Query/MaxSupply";

/// `kumo.mint.v1.Query`: `MaxSupply` answers a `cosmos.bank.v1beta1.QuerySupplyOfResponse`
/// (one coin: the cap in the mint denom), so clients decode it with a type they already have.
pub fn handle_kumo(ctx: &mut Ctx, method: &str) -> Option<SdkResult<Vec<u8>>> {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::QuerySupplyOfResponse;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
    match method {
        "MaxSupply" => Some(Ok(QuerySupplyOfResponse {
            amount: Some(Coin {
                denom: params(ctx).mint_denom,
                amount: max_supply(ctx).to_string(),
            }),
        }
        .encode_to_vec())),
        _ => None,
    }
}
