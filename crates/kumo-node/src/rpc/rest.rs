//! REST (1317): the Cosmos SDK's grpc-gateway, as one route table. Each row maps a REST path to
//! a gRPC method; a GET's path parameters (`{validator_addr}`) and query parameters
//! (`status=…`, `filters.owner=…`, `pagination.limit=…`) fill the request message field of the
//! same proto name through its descriptor, a POST's JSON body is the request message in proto3
//! JSON; the same call the gRPC server makes answers it (`grpc::call`: an app query, the node's
//! tx index, or CheckTx), and the response is written as the SDK gateway writes it
//! (`proto_json`). A row's path parameter names are the request's field names, as in the SDK's
//! `google.api.http` rules; the descriptors are the declarations in `kumo-proto/proto`.

use super::backend::RpcBackend;
use super::grpc::{self, code};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

type Backend = Arc<dyn RpcBackend>;

/// Serves the REST gateway on `listener` until it fails.
pub async fn serve_rest(
    backend: Backend,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    axum::serve(listener, router(backend)).await
}

pub fn router(backend: Backend) -> Router {
    routes(Router::new())
        .fallback(not_found)
        .with_state(backend)
}

async fn not_found() -> RestError {
    RestError(code::NOT_FOUND, "Not Found".into())
}

/// (REST path in axum syntax, gRPC method path). Paths are Akash's own (spec akash-chain.md).
pub const AKASH_ROUTES: &[(&str, &str)] = &[
    (
        "/akash/deployment/v1beta4/deployments/list",
        "/akash.deployment.v1beta4.Query/Deployments",
    ),
    (
        "/akash/deployment/v1beta4/deployments/info",
        "/akash.deployment.v1beta4.Query/Deployment",
    ),
    (
        "/akash/deployment/v1beta4/groups/info",
        "/akash.deployment.v1beta4.Query/Group",
    ),
    (
        "/akash/deployment/v1beta4/params",
        "/akash.deployment.v1beta4.Query/Params",
    ),
    (
        "/akash/market/v1beta5/orders/list",
        "/akash.market.v1beta5.Query/Orders",
    ),
    (
        "/akash/market/v1beta5/orders/info",
        "/akash.market.v1beta5.Query/Order",
    ),
    (
        "/akash/market/v1beta5/bids/list",
        "/akash.market.v1beta5.Query/Bids",
    ),
    (
        "/akash/market/v1beta5/bids/info",
        "/akash.market.v1beta5.Query/Bid",
    ),
    (
        "/akash/market/v1beta5/leases/list",
        "/akash.market.v1beta5.Query/Leases",
    ),
    (
        "/akash/market/v1beta5/leases/info",
        "/akash.market.v1beta5.Query/Lease",
    ),
    (
        "/akash/market/v1beta5/params",
        "/akash.market.v1beta5.Query/Params",
    ),
    (
        "/akash/escrow/v1/types/accounts",
        "/akash.escrow.v1.Query/Accounts",
    ),
    (
        "/akash/escrow/v1/types/payments",
        "/akash.escrow.v1.Query/Payments",
    ),
    ("/akash/take/v1/params", "/akash.take.v1.Query/Params"),
    (
        "/akash/provider/v1beta4/providers",
        "/akash.provider.v1beta4.Query/Providers",
    ),
    (
        "/akash/provider/v1beta4/providers/{owner}",
        "/akash.provider.v1beta4.Query/Provider",
    ),
    (
        "/akash/audit/v1/audit/attributes/list",
        "/akash.audit.v1.Query/AllProvidersAttributes",
    ),
    (
        "/akash/audit/v1/audit/attributes/{owner}/list",
        "/akash.audit.v1.Query/ProviderAttributes",
    ),
    (
        "/akash/audit/v1/audit/attributes/{auditor}/{owner}",
        "/akash.audit.v1.Query/ProviderAuditorAttributes",
    ),
    (
        "/akash/provider/v1/auditor/{auditor}/list",
        "/akash.audit.v1.Query/AuditorAttributes",
    ),
    (
        "/akash/cert/v1/certificates/list",
        "/akash.cert.v1.Query/Certificates",
    ),
    // The pre-v1.0 query services akashjs 0.11 uses, at the same paths under their own
    // versions (akash-api `google.api.http` rules follow one scheme across versions).
    (
        "/akash/deployment/v1beta3/deployments/list",
        "/akash.deployment.v1beta3.Query/Deployments",
    ),
    (
        "/akash/deployment/v1beta3/deployments/info",
        "/akash.deployment.v1beta3.Query/Deployment",
    ),
    (
        "/akash/deployment/v1beta3/groups/info",
        "/akash.deployment.v1beta3.Query/Group",
    ),
    (
        "/akash/market/v1beta4/orders/list",
        "/akash.market.v1beta4.Query/Orders",
    ),
    (
        "/akash/market/v1beta4/orders/info",
        "/akash.market.v1beta4.Query/Order",
    ),
    (
        "/akash/market/v1beta4/bids/list",
        "/akash.market.v1beta4.Query/Bids",
    ),
    (
        "/akash/market/v1beta4/bids/info",
        "/akash.market.v1beta4.Query/Bid",
    ),
    (
        "/akash/market/v1beta4/leases/list",
        "/akash.market.v1beta4.Query/Leases",
    ),
    (
        "/akash/market/v1beta4/leases/info",
        "/akash.market.v1beta4.Query/Lease",
    ),
];

/// (REST path, gRPC method path) of the Cosmos SDK v0.50 query services the app answers, with
/// the SDK's own paths (`google.api.http` options of each module's `query.proto`).
pub const COSMOS_ROUTES: &[(&str, &str)] = &[
    // bank
    ("/cosmos/bank/v1beta1/balances/{address}", "/cosmos.bank.v1beta1.Query/AllBalances"),
    ("/cosmos/bank/v1beta1/balances/{address}/by_denom", "/cosmos.bank.v1beta1.Query/Balance"),
    ("/cosmos/bank/v1beta1/spendable_balances/{address}", "/cosmos.bank.v1beta1.Query/SpendableBalances"),
    ("/cosmos/bank/v1beta1/spendable_balances/{address}/by_denom", "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom"),
    ("/cosmos/bank/v1beta1/supply", "/cosmos.bank.v1beta1.Query/TotalSupply"),
    ("/cosmos/bank/v1beta1/supply/by_denom", "/cosmos.bank.v1beta1.Query/SupplyOf"),
    ("/cosmos/bank/v1beta1/params", "/cosmos.bank.v1beta1.Query/Params"),
    ("/cosmos/bank/v1beta1/denoms_metadata", "/cosmos.bank.v1beta1.Query/DenomsMetadata"),
    ("/cosmos/bank/v1beta1/denoms_metadata/{denom}", "/cosmos.bank.v1beta1.Query/DenomMetadata"),
    // auth
    ("/cosmos/auth/v1beta1/accounts", "/cosmos.auth.v1beta1.Query/Accounts"),
    ("/cosmos/auth/v1beta1/accounts/{address}", "/cosmos.auth.v1beta1.Query/Account"),
    ("/cosmos/auth/v1beta1/params", "/cosmos.auth.v1beta1.Query/Params"),
    ("/cosmos/auth/v1beta1/module_accounts", "/cosmos.auth.v1beta1.Query/ModuleAccounts"),
    ("/cosmos/auth/v1beta1/module_accounts/{name}", "/cosmos.auth.v1beta1.Query/ModuleAccountByName"),
    ("/cosmos/auth/v1beta1/bech32", "/cosmos.auth.v1beta1.Query/Bech32Prefix"),
    ("/cosmos/auth/v1beta1/account_info/{address}", "/cosmos.auth.v1beta1.Query/AccountInfo"),
    // staking
    ("/cosmos/staking/v1beta1/validators", "/cosmos.staking.v1beta1.Query/Validators"),
    ("/cosmos/staking/v1beta1/validators/{validator_addr}", "/cosmos.staking.v1beta1.Query/Validator"),
    ("/cosmos/staking/v1beta1/validators/{validator_addr}/delegations", "/cosmos.staking.v1beta1.Query/ValidatorDelegations"),
    ("/cosmos/staking/v1beta1/validators/{validator_addr}/unbonding_delegations", "/cosmos.staking.v1beta1.Query/ValidatorUnbondingDelegations"),
    ("/cosmos/staking/v1beta1/validators/{validator_addr}/delegations/{delegator_addr}", "/cosmos.staking.v1beta1.Query/Delegation"),
    ("/cosmos/staking/v1beta1/validators/{validator_addr}/delegations/{delegator_addr}/unbonding_delegation", "/cosmos.staking.v1beta1.Query/UnbondingDelegation"),
    ("/cosmos/staking/v1beta1/delegations/{delegator_addr}", "/cosmos.staking.v1beta1.Query/DelegatorDelegations"),
    ("/cosmos/staking/v1beta1/delegators/{delegator_addr}/unbonding_delegations", "/cosmos.staking.v1beta1.Query/DelegatorUnbondingDelegations"),
    ("/cosmos/staking/v1beta1/delegators/{delegator_addr}/redelegations", "/cosmos.staking.v1beta1.Query/Redelegations"),
    ("/cosmos/staking/v1beta1/delegators/{delegator_addr}/validators", "/cosmos.staking.v1beta1.Query/DelegatorValidators"),
    ("/cosmos/staking/v1beta1/delegators/{delegator_addr}/validators/{validator_addr}", "/cosmos.staking.v1beta1.Query/DelegatorValidator"),
    ("/cosmos/staking/v1beta1/pool", "/cosmos.staking.v1beta1.Query/Pool"),
    ("/cosmos/staking/v1beta1/params", "/cosmos.staking.v1beta1.Query/Params"),
    // distribution
    ("/cosmos/distribution/v1beta1/params", "/cosmos.distribution.v1beta1.Query/Params"),
    ("/cosmos/distribution/v1beta1/validators/{validator_address}/outstanding_rewards", "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards"),
    ("/cosmos/distribution/v1beta1/validators/{validator_address}/commission", "/cosmos.distribution.v1beta1.Query/ValidatorCommission"),
    ("/cosmos/distribution/v1beta1/validators/{validator_address}/slashes", "/cosmos.distribution.v1beta1.Query/ValidatorSlashes"),
    ("/cosmos/distribution/v1beta1/delegators/{delegator_address}/rewards", "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards"),
    ("/cosmos/distribution/v1beta1/delegators/{delegator_address}/rewards/{validator_address}", "/cosmos.distribution.v1beta1.Query/DelegationRewards"),
    ("/cosmos/distribution/v1beta1/delegators/{delegator_address}/validators", "/cosmos.distribution.v1beta1.Query/DelegatorValidators"),
    ("/cosmos/distribution/v1beta1/delegators/{delegator_address}/withdraw_address", "/cosmos.distribution.v1beta1.Query/DelegatorWithdrawAddress"),
    ("/cosmos/distribution/v1beta1/community_pool", "/cosmos.distribution.v1beta1.Query/CommunityPool"),
    // gov v1
    ("/cosmos/gov/v1/params/{params_type}", "/cosmos.gov.v1.Query/Params"),
    ("/cosmos/gov/v1/proposals", "/cosmos.gov.v1.Query/Proposals"),
    ("/cosmos/gov/v1/proposals/{proposal_id}", "/cosmos.gov.v1.Query/Proposal"),
    ("/cosmos/gov/v1/proposals/{proposal_id}/votes", "/cosmos.gov.v1.Query/Votes"),
    ("/cosmos/gov/v1/proposals/{proposal_id}/votes/{voter}", "/cosmos.gov.v1.Query/Vote"),
    ("/cosmos/gov/v1/proposals/{proposal_id}/deposits", "/cosmos.gov.v1.Query/Deposits"),
    ("/cosmos/gov/v1/proposals/{proposal_id}/deposits/{depositor}", "/cosmos.gov.v1.Query/Deposit"),
    ("/cosmos/gov/v1/proposals/{proposal_id}/tally", "/cosmos.gov.v1.Query/TallyResult"),
    // gov v1beta1
    ("/cosmos/gov/v1beta1/params/{params_type}", "/cosmos.gov.v1beta1.Query/Params"),
    ("/cosmos/gov/v1beta1/proposals", "/cosmos.gov.v1beta1.Query/Proposals"),
    ("/cosmos/gov/v1beta1/proposals/{proposal_id}", "/cosmos.gov.v1beta1.Query/Proposal"),
    ("/cosmos/gov/v1beta1/proposals/{proposal_id}/votes", "/cosmos.gov.v1beta1.Query/Votes"),
    ("/cosmos/gov/v1beta1/proposals/{proposal_id}/votes/{voter}", "/cosmos.gov.v1beta1.Query/Vote"),
    ("/cosmos/gov/v1beta1/proposals/{proposal_id}/deposits", "/cosmos.gov.v1beta1.Query/Deposits"),
    ("/cosmos/gov/v1beta1/proposals/{proposal_id}/deposits/{depositor}", "/cosmos.gov.v1beta1.Query/Deposit"),
    ("/cosmos/gov/v1beta1/proposals/{proposal_id}/tally", "/cosmos.gov.v1beta1.Query/TallyResult"),
    // mint
    ("/cosmos/mint/v1beta1/params", "/cosmos.mint.v1beta1.Query/Params"),
    ("/cosmos/mint/v1beta1/inflation", "/cosmos.mint.v1beta1.Query/Inflation"),
    ("/cosmos/mint/v1beta1/annual_provisions", "/cosmos.mint.v1beta1.Query/AnnualProvisions"),
    // slashing
    ("/cosmos/slashing/v1beta1/params", "/cosmos.slashing.v1beta1.Query/Params"),
    ("/cosmos/slashing/v1beta1/signing_infos", "/cosmos.slashing.v1beta1.Query/SigningInfos"),
    ("/cosmos/slashing/v1beta1/signing_infos/{cons_address}", "/cosmos.slashing.v1beta1.Query/SigningInfo"),
    // authz
    ("/cosmos/authz/v1beta1/grants", "/cosmos.authz.v1beta1.Query/Grants"),
    ("/cosmos/authz/v1beta1/grants/granter/{granter}", "/cosmos.authz.v1beta1.Query/GranterGrants"),
    ("/cosmos/authz/v1beta1/grants/grantee/{grantee}", "/cosmos.authz.v1beta1.Query/GranteeGrants"),
    // feegrant
    ("/cosmos/feegrant/v1beta1/allowance/{granter}/{grantee}", "/cosmos.feegrant.v1beta1.Query/Allowance"),
    ("/cosmos/feegrant/v1beta1/allowances/{grantee}", "/cosmos.feegrant.v1beta1.Query/Allowances"),
    ("/cosmos/feegrant/v1beta1/issued/{granter}", "/cosmos.feegrant.v1beta1.Query/AllowancesByGranter"),
];

/// (REST path, gRPC method path) of the node's own services: blocks and node info, and txs by
/// hash or by event query (GET). The SDK's paths.
pub const NODE_ROUTES: &[(&str, &str)] = &[
    (
        "/cosmos/base/tendermint/v1beta1/node_info",
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
    ),
    (
        "/cosmos/base/tendermint/v1beta1/syncing",
        "/cosmos.base.tendermint.v1beta1.Service/GetSyncing",
    ),
    (
        "/cosmos/base/tendermint/v1beta1/blocks/latest",
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
    ),
    (
        "/cosmos/base/tendermint/v1beta1/blocks/{height}",
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
    ),
    (
        "/cosmos/tx/v1beta1/txs/{hash}",
        "/cosmos.tx.v1beta1.Service/GetTx",
    ),
    (
        "/cosmos/tx/v1beta1/txs",
        "/cosmos.tx.v1beta1.Service/GetTxsEvent",
    ),
];

/// (REST path, gRPC method path) of the POST routes, whose JSON body is the request.
pub const POST_ROUTES: &[(&str, &str)] = &[
    (
        "/cosmos/tx/v1beta1/txs",
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
    ),
    (
        "/cosmos/tx/v1beta1/simulate",
        "/cosmos.tx.v1beta1.Service/Simulate",
    ),
];

/// Every GET row, then every POST row.
fn all_routes() -> impl Iterator<Item = (&'static str, &'static str, bool)> {
    COSMOS_ROUTES
        .iter()
        .chain(AKASH_ROUTES)
        .chain(NODE_ROUTES)
        .map(|(r, m)| (*r, *m, false))
        .chain(POST_ROUTES.iter().map(|(r, m)| (*r, *m, true)))
}

/// Adds every route of the table to `router` (a GET and a POST on one path share it).
pub fn routes(mut router: Router<Backend>) -> Router<Backend> {
    let mut paths: BTreeMap<&str, MethodRouter<Backend>> = BTreeMap::new();
    for (rest, method, is_post) in all_routes() {
        let entry = paths.remove(rest).unwrap_or_default();
        let entry = if is_post {
            entry.merge(post(
                move |State(b): State<Backend>, body: axum::body::Bytes| async move {
                    respond(post_call(b, method, body).await)
                },
            ))
        } else {
            entry.merge(get(
                move |State(b): State<Backend>,
                      Path(params): Path<BTreeMap<String, String>>,
                      RawQuery(q): RawQuery,
                      headers: HeaderMap| async move {
                    respond(get_call(b, method, params, q, headers).await)
                },
            ))
        };
        paths.insert(rest, entry);
    }
    for (rest, methods) in paths {
        router = router.route(rest, methods);
    }
    router
}

fn respond(r: Result<Response, RestError>) -> Response {
    r.unwrap_or_else(|e| e.into_response())
}

/// Request and response descriptors of a gRPC method, from the service definition.
fn method_types(method: &str) -> Option<(MessageDescriptor, MessageDescriptor)> {
    let (service, name) = method.strip_prefix('/')?.split_once('/')?;
    let svc = kumo_proto::json::pool().get_service_by_name(service)?;
    let m = svc.methods().find(|m| m.name() == name)?;
    Some((m.input(), m.output()))
}

async fn get_call(
    backend: Backend,
    method: &'static str,
    path_params: BTreeMap<String, String>,
    raw_query: Option<String>,
    headers: HeaderMap,
) -> Result<Response, RestError> {
    let (input, output) = types_of(method)?;
    let mut req = DynamicMessage::new(input);
    for (k, v) in &path_params {
        set_path(&mut req, k, v)?;
    }
    for (k, v) in parse_query(raw_query.as_deref().unwrap_or(""))? {
        set_path(&mut req, &k, &v)?;
    }
    let height = height_of(&headers)?;
    answer(
        backend,
        method,
        prost::Message::encode_to_vec(&req),
        height,
        output,
    )
    .await
}

async fn post_call(
    backend: Backend,
    method: &'static str,
    body: axum::body::Bytes,
) -> Result<Response, RestError> {
    let (input, output) = types_of(method)?;
    let mut de = serde_json::Deserializer::from_slice(&body);
    let req = DynamicMessage::deserialize(input, &mut de)
        .and_then(|m| de.end().map(|()| m))
        .map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    answer(
        backend,
        method,
        prost::Message::encode_to_vec(&req),
        0,
        output,
    )
    .await
}

fn types_of(method: &str) -> Result<(MessageDescriptor, MessageDescriptor), RestError> {
    method_types(method).ok_or_else(|| {
        RestError(
            code::UNIMPLEMENTED,
            format!("{method} is not served by this node"),
        )
    })
}

/// Runs the call and writes its response as gateway JSON, with the height it is for.
async fn answer(
    backend: Backend,
    method: &'static str,
    data: Vec<u8>,
    height: u64,
    output: MessageDescriptor,
) -> Result<Response, RestError> {
    let (r, answered) = grpc::call(&backend, method, data, height).await;
    let value = r.map_err(|(c, m)| RestError(c, m))?;
    let json = super::proto_json::to_json(output.full_name(), &value)
        .map_err(|e| RestError(code::INTERNAL, e))?;
    let h = answered.unwrap_or_else(|| backend.latest_height());
    let mut resp = axum::Json(json).into_response();
    resp.headers_mut()
        .insert(grpc::HEIGHT_HEADER, header::HeaderValue::from(h));
    Ok(resp)
}

/// A grpc-gateway error: gRPC code, message.
#[derive(Debug)]
pub struct RestError(pub u32, pub String);

/// HTTP status grpc-gateway uses for a gRPC code.
pub fn http_status(grpc_code: u32) -> StatusCode {
    match grpc_code {
        0 => StatusCode::OK,
        1 => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        3 | 9 | 11 => StatusCode::BAD_REQUEST,
        4 => StatusCode::GATEWAY_TIMEOUT,
        5 => StatusCode::NOT_FOUND,
        6 | 10 => StatusCode::CONFLICT,
        7 => StatusCode::FORBIDDEN,
        8 => StatusCode::TOO_MANY_REQUESTS,
        12 => StatusCode::NOT_IMPLEMENTED,
        14 => StatusCode::SERVICE_UNAVAILABLE,
        16 => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = json!({"code": self.0, "message": self.1, "details": []});
        (http_status(self.0), axum::Json(body)).into_response()
    }
}

fn height_of(headers: &HeaderMap) -> Result<u64, RestError> {
    match headers.get(grpc::HEIGHT_HEADER) {
        None => Ok(0),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                RestError(
                    code::INVALID_ARGUMENT,
                    format!("invalid {} header", grpc::HEIGHT_HEADER),
                )
            }),
    }
}

fn bad(what: impl std::fmt::Display) -> RestError {
    RestError(code::INVALID_ARGUMENT, what.to_string())
}

/// `a=1&b.c=x%20y` -> [("a","1"), ("b.c","x y")], in order (repeated keys kept).
fn parse_query(q: &str) -> Result<Vec<(String, String)>, RestError> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Result<String, RestError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad(format!("bad percent-encoding in {s:?}")))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad(format!("{s:?} is not UTF-8")))
}

/// Sets the field at a dotted proto-name path (`filters.owner`) from its text form, the way
/// grpc-gateway does: scalars parsed by kind, enums by name or number, repeated fields appended.
fn set_path(msg: &mut DynamicMessage, path: &str, text: &str) -> Result<(), RestError> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let desc = msg.descriptor();
    let field = desc
        .get_field_by_name(head)
        .or_else(|| desc.get_field_by_json_name(head))
        .ok_or_else(|| {
            bad(format!(
                "unknown query parameter {path:?} for {}",
                desc.name()
            ))
        })?;
    match (rest, field.kind()) {
        (Some(rest), Kind::Message(_)) if !field.is_list() => {
            let sub = msg.get_field_mut(&field);
            let Value::Message(sub) = sub else {
                return Err(bad(format!("{head} is not a message")));
            };
            set_path(sub, rest, text)
        }
        (Some(_), _) => Err(bad(format!("{head} has no sub-fields ({path:?})"))),
        (None, kind) => {
            let v = scalar(&kind, text).map_err(|e| bad(format!("{path}: {e}")))?;
            if field.is_list() {
                if let Value::List(items) = msg.get_field_mut(&field) {
                    items.push(v);
                }
            } else {
                msg.set_field(&field, v);
            }
            Ok(())
        }
    }
}

fn scalar(kind: &Kind, text: &str) -> Result<Value, String> {
    let num = |what: &str| format!("{text:?} is not a valid {what}");
    Ok(match kind {
        Kind::String => Value::String(text.to_string()),
        Kind::Bool => Value::Bool(text.parse().map_err(|_| num("bool"))?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(text.parse().map_err(|_| num("uint64"))?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64(text.parse().map_err(|_| num("int64"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => Value::U32(text.parse().map_err(|_| num("uint32"))?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(text.parse().map_err(|_| num("int32"))?)
        }
        Kind::Bytes => {
            use base64::Engine;
            let std = base64::engine::general_purpose::STANDARD;
            let url = base64::engine::general_purpose::URL_SAFE;
            Value::Bytes(
                std.decode(text)
                    .or_else(|_| url.decode(text))
                    .map_err(|_| num("base64 value"))?
                    .into(),
            )
        }
        Kind::Enum(e) => {
            let v = e
                .get_value_by_name(text)
                .map(|v| v.number())
                .or_else(|| {
                    text.parse::<i32>()
                        .ok()
                        .filter(|n| e.get_value(*n).is_some())
                })
                .ok_or_else(|| {
                    let names: Vec<_> = e.values().map(|v| v.name().to_string()).collect();
                    format!("{text:?} is not one of {}", names.join(", "))
                })?;
            Value::EnumNumber(v)
        }
        Kind::Message(m) => return Err(format!("{} needs sub-fields", m.name())),
        Kind::Float | Kind::Double => return Err("floating-point fields are not supported".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let q = parse_query("filters.owner=akash1x&filters.state=active&a=%2Fb+c").unwrap();
        assert_eq!(q[0], ("filters.owner".into(), "akash1x".into()));
        assert_eq!(q[2], ("a".into(), "/b c".into()));
        assert!(parse_query("a=%zz").is_err());
    }

    #[test]
    fn dotted_paths_fill_nested_fields() {
        let desc = kumo_proto::json::pool()
            .get_message_by_name("akash.base.attributes.v1.PlacementRequirements")
            .unwrap();
        let mut m = DynamicMessage::new(desc);
        set_path(&mut m, "signed_by.all_of", "akash1a").unwrap();
        set_path(&mut m, "signed_by.all_of", "akash1b").unwrap();
        let json = kumo_proto::json::to_json(
            "akash.base.attributes.v1.PlacementRequirements",
            &prost::Message::encode_to_vec(&m),
        )
        .unwrap();
        assert_eq!(
            json["signed_by"]["all_of"],
            serde_json::json!(["akash1a", "akash1b"])
        );
        assert!(set_path(&mut m, "nope", "x").is_err());
        assert!(set_path(&mut m, "signed_by.all_of.x", "x").is_err());
    }

    /// `GET /cosmos/tx/v1beta1/txs?…` fills GetTxsEventRequest like any other row.
    #[test]
    #[allow(deprecated)]
    fn tx_search_parameters_fill_the_request() {
        let desc = kumo_proto::json::pool()
            .get_message_by_name("cosmos.tx.v1beta1.GetTxsEventRequest")
            .unwrap();
        let mut m = DynamicMessage::new(desc);
        for (k, v) in parse_query("query=tx.height%3E0&page=2&limit=3&order_by=ORDER_BY_DESC&events=a.b%3Dc&events=d.e%3Df").unwrap() {
            set_path(&mut m, &k, &v).unwrap();
        }
        let req =
            <cosmos_sdk_proto::cosmos::tx::v1beta1::GetTxsEventRequest as prost::Message>::decode(
                prost::Message::encode_to_vec(&m).as_slice(),
            )
            .unwrap();
        assert_eq!(req.query, "tx.height>0");
        assert_eq!((req.page, req.limit, req.order_by), (2, 3, 2));
        assert_eq!(req.events, vec!["a.b=c", "d.e=f"]);
        assert!(set_path(&mut m, "page", "x").is_err());
        assert!(set_path(&mut m, "order_by", "sideways").is_err());
        assert!(set_path(&mut m, "nope", "1").is_err());
    }
}

#[cfg(test)]
mod route_tests {
    #[test]
    fn every_gateway_route_registers_without_conflict() {
        let _ = super::routes(axum::Router::new());
    }
}

#[cfg(test)]
mod table_tests {
    /// Every REST route names a method whose service is declared in our protos, so the
    /// gateway can find its request and response types.
    #[test]
    fn every_route_resolves_to_a_declared_method() {
        for (rest, method) in super::all_routes().map(|(r, m, _)| (r, m)) {
            assert!(
                super::method_types(method).is_some(),
                "{rest} -> {method}: no `service` declaration in crates/kumo-proto/proto"
            );
        }
    }
}
