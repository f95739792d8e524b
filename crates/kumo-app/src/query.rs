//! The one query router: a gRPC method path plus protobuf request bytes in, protobuf response
//! bytes out. abci_query, gRPC and REST all end here.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
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
            crate::legacy::query::handle_deployment(ctx, method, data)
        }
        "akash.market.v1beta4.Query" => crate::legacy::query::handle_market(ctx, method, data),
        _ => None,
    };
    answer.unwrap_or_else(|| {
        Err(SdkError::unknown_request(format!(
            "unknown query path {path}"
        )))
    })
}

/// Decodes a query request, answering malformed bytes with InvalidArgument.
pub fn decode_req<T: Message + Default>(data: &[u8]) -> SdkResult<T> {
    T::decode(data).map_err(|e| SdkError::bad_query(format!("cannot decode request: {e}")))
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

pub const DEFAULT_PAGE_LIMIT: u64 = 100;
pub const MAX_PAGE_LIMIT: u64 = 1000;

/// Pages `entries` (all under `prefix`, ascending) the SDK way: by `key` (the suffix after the
/// prefix, as returned in `next_key`) or by `offset`, `limit` (default 100), optional reverse.
pub fn paginate<'e>(
    entries: &'e [(Vec<u8>, Vec<u8>)],
    prefix: &[u8],
    req: Option<&PageRequest>,
) -> SdkResult<(Vec<&'e (Vec<u8>, Vec<u8>)>, PageResponse)> {
    let default = PageRequest::default();
    let req = req.unwrap_or(&default);
    if !req.key.is_empty() && req.offset > 0 {
        return Err(SdkError::bad_query(
            "paginate: invalid request, either offset or key is expected, got both",
        ));
    }
    let limit = match req.limit {
        0 => DEFAULT_PAGE_LIMIT,
        l => l.min(MAX_PAGE_LIMIT),
    } as usize;
    let ordered: Vec<&(Vec<u8>, Vec<u8>)> = if req.reverse {
        entries.iter().rev().collect()
    } else {
        entries.iter().collect()
    };
    let start = if !req.key.is_empty() {
        let key = [prefix, req.key.as_slice()].concat();
        ordered
            .iter()
            .position(|(k, _)| if req.reverse { *k <= key } else { *k >= key })
            .unwrap_or(ordered.len())
    } else {
        (req.offset as usize).min(ordered.len())
    };
    let end = (start + limit).min(ordered.len());
    let next_key = ordered
        .get(end)
        .map(|(k, _)| k[prefix.len()..].to_vec())
        .unwrap_or_default();
    let total = if req.key.is_empty() {
        entries.len() as u64
    } else {
        0
    };
    Ok((
        ordered[start..end].to_vec(),
        PageResponse { next_key, total },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: u8) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..n).map(|i| (vec![b'p', i], vec![i])).collect()
    }

    #[test]
    fn pages_by_key_and_offset() {
        let e = entries(5);
        let req = PageRequest {
            limit: 2,
            ..Default::default()
        };
        let (p, r) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(r.next_key, vec![2]);
        assert_eq!(r.total, 5);
        let req = PageRequest {
            key: r.next_key,
            limit: 2,
            ..Default::default()
        };
        let (p, r) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p[0].1, vec![2]);
        assert_eq!(r.next_key, vec![4]);
        let req = PageRequest {
            offset: 4,
            limit: 2,
            ..Default::default()
        };
        let (p, r) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p.len(), 1);
        assert!(r.next_key.is_empty());
        let req = PageRequest {
            reverse: true,
            limit: 2,
            ..Default::default()
        };
        let (p, _) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p[0].1, vec![4]);
        let bad = PageRequest {
            key: vec![1],
            offset: 1,
            ..Default::default()
        };
        assert!(paginate(&e, b"p", Some(&bad)).is_err());
    }
}
