//! The one query router: a gRPC method path plus protobuf request bytes in, protobuf response
//! bytes out. abci_query, gRPC and REST all end here.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use prost::Message;

/// Routes `/cosmos.bank.v1beta1.Query/Balance`-style paths to the owning module.
pub fn route(ctx: &mut Ctx, path: &str, data: &[u8]) -> SdkResult<Vec<u8>> {
    let (service, method) = path
        .strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .ok_or_else(|| {
            SdkError::unknown_request(format!(
                "unknown query path {path:?}: expected /<package>.<Service>/<Method>"
            ))
        })?;
    let answer = match service {
        "cosmos.auth.v1beta1.Query" => crate::auth::query::handle(ctx, method, data),
        "cosmos.bank.v1beta1.Query" => crate::bank::query::handle(ctx, method, data),
        "cosmos.authz.v1beta1.Query" => crate::authz::query::handle(ctx, method, data),
        "cosmos.feegrant.v1beta1.Query" => crate::feegrant::query::handle(ctx, method, data),
        "cosmos.consensus.v1.Query" => consensus_params(method),
        "akash.deployment.v1beta4.Query" => crate::deployment::query::handle(ctx, method, data),
        "akash.market.v1beta5.Query" => crate::market::query::handle(ctx, method, data),
        "cosmos.distribution.v1beta1.Query" => {
            crate::distribution::query::handle(ctx, method, data)
        }
        "cosmos.staking.v1beta1.Query" => crate::staking::query::handle(ctx, method, data),
        "cosmos.mint.v1beta1.Query" => crate::mint::query::handle(ctx, method, data),
        "kumo.mint.v1.Query" => crate::mint::query::handle_kumo(ctx, method),
        "cosmos.slashing.v1beta1.Query" => crate::slashing::query::handle(ctx, method, data),
        "cosmos.gov.v1.Query" => crate::gov::query::handle(ctx, method, data),
        "cosmos.gov.v1beta1.Query" => crate::gov::query::handle_v1beta1(ctx, method, data),
        "cosmos.upgrade.v1beta1.Query" => crate::upgrade::query(ctx, method, data),
        "akash.escrow.v1.Query" => crate::escrow::query::handle(ctx, method, data),
        "akash.take.v1.Query" => crate::take::query::handle(ctx, method, data),
        "akash.provider.v1beta4.Query" => crate::provider::query::handle(ctx, method, data),
        "akash.audit.v1.Query" => crate::audit::query::handle(ctx, method, data),
        "akash.cert.v1.Query" => crate::cert::query::handle(ctx, method, data),
        "akash.deployment.v1beta3.Query" => {
            crate::deployment::query_v1beta3::handle(ctx, method, data)
        }
        "akash.market.v1beta4.Query" => crate::market::query_v1beta4::handle(ctx, method, data),
        _ => None,
    };
    answer.unwrap_or_else(|| {
        Err(SdkError::unknown_request(format!(
            "unknown query path {path}"
        )))
    })
}

/// The consensus params cosmpy reads to clip gas (`max_gas = -1`: no block gas limit).
fn consensus_params(method: &str) -> Option<SdkResult<Vec<u8>>> {
    use cosmos_sdk_proto::tendermint::types::{
        BlockParams, ConsensusParams, EvidenceParams, ValidatorParams,
    };
    /// `cosmos.consensus.v1.QueryParamsResponse` (not exported by cosmos-sdk-proto 0.27).
    #[derive(Clone, PartialEq, prost::Message)]
    struct QueryParamsResponse {
        #[prost(message, optional, tag = "1")]
        params: Option<ConsensusParams>,
    }
    (method == "Params").then(|| {
        Ok(QueryParamsResponse {
            params: Some(ConsensusParams {
                block: Some(BlockParams {
                    max_bytes: crate::app::MAX_BLOCK_BYTES as i64,
                    max_gas: -1,
                }),
                evidence: Some(EvidenceParams {
                    max_age_num_blocks: 100_000,
                    max_age_duration: Some(
                        cosmos_sdk_proto::tendermint::google::protobuf::Duration {
                            seconds: 172_800,
                            nanos: 0,
                        },
                    ),
                    max_bytes: 1_048_576,
                }),
                validator: Some(ValidatorParams {
                    pub_key_types: vec!["ed25519".into()],
                }),
                version: None,
                abci: None,
            }),
        }
        .encode_to_vec())
    })
}
