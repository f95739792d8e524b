//! REST / grpc-gateway (1317): the paths cosmpy and explorers use. Each GET encodes the
//! protobuf request, calls `abci_query` with the gRPC method path, decodes the protobuf
//! response and renders proto3 JSON (snake_case names, int64 as strings, bytes as base64).

use super::backend::RpcBackend;
use super::format::{b64, rfc3339_proto};
use super::grpc::{self, code};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, ModuleAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as tmsvc;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, GetTxRequest, GetTxResponse, ModeInfo, Tx, TxBody,
};
use cosmos_sdk_proto::tendermint::types as tm;
use cosmos_sdk_proto::{Any, Timestamp};
use prost::Message;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
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
    super::gateway::routes(Router::new())
        .route("/cosmos/bank/v1beta1/balances/{address}", get(all_balances))
        .route(
            "/cosmos/bank/v1beta1/balances/{address}/by_denom",
            get(balance_by_denom),
        )
        .route("/cosmos/bank/v1beta1/supply", get(total_supply))
        .route("/cosmos/bank/v1beta1/supply/by_denom", get(supply_of))
        .route("/cosmos/auth/v1beta1/accounts/{address}", get(account))
        .route("/cosmos/base/tendermint/v1beta1/node_info", get(node_info))
        .route(
            "/cosmos/base/tendermint/v1beta1/blocks/latest",
            get(latest_block),
        )
        .route(
            "/cosmos/base/tendermint/v1beta1/blocks/{height}",
            get(block_by_height),
        )
        .route("/cosmos/tx/v1beta1/txs/{hash}", get(get_tx))
        .route(
            "/cosmos/tx/v1beta1/txs",
            get(get_txs_event).post(broadcast_tx),
        )
        .fallback(not_found)
        .with_state(backend)
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

type RestResult = Result<Response, RestError>;

fn ok(v: Value, height: u64) -> RestResult {
    let mut resp = axum::Json(v).into_response();
    resp.headers_mut()
        .insert(grpc::HEIGHT_HEADER, header::HeaderValue::from(height));
    Ok(resp)
}

pub(super) fn height_of(headers: &HeaderMap) -> Result<u64, RestError> {
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

/// Runs one query through the app router and decodes the response.
async fn query<Req: Message, Resp: Message + Default>(
    backend: &Backend,
    path: &'static str,
    req: Req,
    height: u64,
) -> Result<(Resp, u64), RestError> {
    let data = req.encode_to_vec();
    let b = backend.clone();
    let r = tokio::task::spawn_blocking(move || b.abci_query(path, &data, height))
        .await
        .map_err(|e| RestError(code::INTERNAL, format!("query task failed: {e}")))?;
    if r.code != 0 || r.grpc_code != 0 {
        let c = if r.grpc_code == 0 {
            code::UNKNOWN
        } else {
            r.grpc_code
        };
        return Err(RestError(
            c,
            grpc::grpc_message_from_log(&r.log).to_string(),
        ));
    }
    let resp = Resp::decode(r.value.as_slice()).map_err(|e| {
        RestError(
            code::INTERNAL,
            format!("cannot decode {path} response: {e}"),
        )
    })?;
    let h = if r.height != 0 {
        r.height
    } else {
        backend.latest_height()
    };
    Ok((resp, h))
}

fn coin(c: &Coin) -> Value {
    json!({"denom": c.denom, "amount": c.amount})
}

fn coins(cs: &[Coin]) -> Value {
    Value::Array(cs.iter().map(coin).collect())
}

fn page_response(p: Option<&PageResponse>) -> Value {
    match p {
        None => Value::Null,
        Some(p) => json!({
            "next_key": if p.next_key.is_empty() { Value::Null } else { json!(b64(&p.next_key)) },
            "total": p.total.to_string(),
        }),
    }
}

fn page_request(q: &HashMap<String, String>) -> Result<Option<PageRequest>, RestError> {
    let keys = [
        "pagination.key",
        "pagination.offset",
        "pagination.limit",
        "pagination.count_total",
        "pagination.reverse",
    ];
    if !keys.iter().any(|k| q.contains_key(*k)) {
        return Ok(None);
    }
    let bad = |k: &str| RestError(code::INVALID_ARGUMENT, format!("invalid value for {k}"));
    let num = |k: &str| -> Result<u64, RestError> {
        q.get(k).map_or(Ok(0), |v| v.parse().map_err(|_| bad(k)))
    };
    let flag = |k: &str| -> Result<bool, RestError> {
        q.get(k)
            .map_or(Ok(false), |v| v.parse().map_err(|_| bad(k)))
    };
    let key = match q.get("pagination.key") {
        None => Vec::new(),
        Some(k) => {
            use base64::Engine;
            let std = base64::engine::general_purpose::STANDARD;
            let url = base64::engine::general_purpose::URL_SAFE;
            std.decode(k)
                .or_else(|_| url.decode(k))
                .map_err(|_| bad("pagination.key"))?
        }
    };
    Ok(Some(PageRequest {
        key,
        offset: num("pagination.offset")?,
        limit: num("pagination.limit")?,
        count_total: flag("pagination.count_total")?,
        reverse: flag("pagination.reverse")?,
    }))
}

async fn all_balances(
    State(b): State<Backend>,
    Path(address): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> RestResult {
    let req = QueryAllBalancesRequest {
        address,
        pagination: page_request(&q)?,
        resolve_denom: q.get("resolve_denom").is_some_and(|v| v == "true"),
    };
    let (r, h): (QueryAllBalancesResponse, _) = query(
        &b,
        "/cosmos.bank.v1beta1.Query/AllBalances",
        req,
        height_of(&headers)?,
    )
    .await?;
    ok(
        json!({"balances": coins(&r.balances), "pagination": page_response(r.pagination.as_ref())}),
        h,
    )
}

async fn balance_by_denom(
    State(b): State<Backend>,
    Path(address): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> RestResult {
    let denom = q.get("denom").cloned().unwrap_or_default();
    let req = QueryBalanceRequest { address, denom };
    let (r, h): (QueryBalanceResponse, _) = query(
        &b,
        "/cosmos.bank.v1beta1.Query/Balance",
        req,
        height_of(&headers)?,
    )
    .await?;
    ok(
        json!({"balance": r.balance.as_ref().map_or(Value::Null, coin)}),
        h,
    )
}

async fn total_supply(
    State(b): State<Backend>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> RestResult {
    let req = QueryTotalSupplyRequest {
        pagination: page_request(&q)?,
    };
    let (r, h): (QueryTotalSupplyResponse, _) = query(
        &b,
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        req,
        height_of(&headers)?,
    )
    .await?;
    ok(
        json!({"supply": coins(&r.supply), "pagination": page_response(r.pagination.as_ref())}),
        h,
    )
}

async fn supply_of(
    State(b): State<Backend>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> RestResult {
    let req = QuerySupplyOfRequest {
        denom: q.get("denom").cloned().unwrap_or_default(),
    };
    let (r, h): (QuerySupplyOfResponse, _) = query(
        &b,
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        req,
        height_of(&headers)?,
    )
    .await?;
    ok(
        json!({"amount": r.amount.as_ref().map_or(Value::Null, coin)}),
        h,
    )
}

/// A public key `Any` in proto3 JSON (`{"@type": …, "key": "<b64>"}` for single keys).
fn pub_key_any(a: &Any) -> Result<Value, RestError> {
    match a.type_url.as_str() {
        "/cosmos.crypto.secp256k1.PubKey"
        | "/cosmos.crypto.ed25519.PubKey"
        | "/cosmos.crypto.secp256r1.PubKey" => {
            // All three are `message PubKey { bytes key = 1; }`.
            let k = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(a.value.as_slice())
                .map_err(|e| {
                    RestError(code::INTERNAL, format!("cannot decode {}: {e}", a.type_url))
                })?;
            Ok(json!({"@type": a.type_url, "key": b64(&k.key)}))
        }
        "/cosmos.crypto.multisig.LegacyAminoPubKey" => {
            let k = cosmos_sdk_proto::cosmos::crypto::multisig::LegacyAminoPubKey::decode(
                a.value.as_slice(),
            )
            .map_err(|e| RestError(code::INTERNAL, format!("cannot decode {}: {e}", a.type_url)))?;
            let keys = k
                .public_keys
                .iter()
                .map(pub_key_any)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(json!({"@type": a.type_url, "threshold": k.threshold, "public_keys": keys}))
        }
        other => Err(RestError(
            code::INTERNAL,
            format!("cannot render public key type {other}"),
        )),
    }
}

fn base_account_fields(a: &BaseAccount) -> Result<Map<String, Value>, RestError> {
    let mut m = Map::new();
    m.insert("address".into(), json!(a.address));
    m.insert(
        "pub_key".into(),
        match &a.pub_key {
            Some(pk) => pub_key_any(pk)?,
            None => Value::Null,
        },
    );
    m.insert("account_number".into(), json!(a.account_number.to_string()));
    m.insert("sequence".into(), json!(a.sequence.to_string()));
    Ok(m)
}

fn account_any(a: &Any) -> Result<Value, RestError> {
    let bad = |e: prost::DecodeError| {
        RestError(code::INTERNAL, format!("cannot decode {}: {e}", a.type_url))
    };
    match a.type_url.as_str() {
        "/cosmos.auth.v1beta1.BaseAccount" => {
            let acc = BaseAccount::decode(a.value.as_slice()).map_err(bad)?;
            let mut m = Map::new();
            m.insert("@type".into(), json!(a.type_url));
            m.extend(base_account_fields(&acc)?);
            Ok(Value::Object(m))
        }
        "/cosmos.auth.v1beta1.ModuleAccount" => {
            let acc = ModuleAccount::decode(a.value.as_slice()).map_err(bad)?;
            let base = match &acc.base_account {
                Some(b) => Value::Object(base_account_fields(b)?),
                None => Value::Null,
            };
            Ok(json!({
                "@type": a.type_url,
                "base_account": base,
                "name": acc.name,
                "permissions": acc.permissions,
            }))
        }
        other => Err(RestError(
            code::INTERNAL,
            format!("cannot render account type {other}"),
        )),
    }
}

async fn account(
    State(b): State<Backend>,
    Path(address): Path<String>,
    headers: HeaderMap,
) -> RestResult {
    let (r, h): (QueryAccountResponse, _) = query(
        &b,
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest { address },
        height_of(&headers)?,
    )
    .await?;
    let acc = match &r.account {
        Some(a) => account_any(a)?,
        None => Value::Null,
    };
    ok(json!({"account": acc}), h)
}

async fn node_info(State(b): State<Backend>) -> RestResult {
    let (r, h): (tmsvc::GetNodeInfoResponse, _) = query(
        &b,
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
        tmsvc::GetNodeInfoRequest {},
        0,
    )
    .await?;
    let dni = r.default_node_info.as_ref().map_or(Value::Null, |n| {
        let pv = n.protocol_version.clone().unwrap_or_default();
        let other = n.other.clone().unwrap_or_default();
        json!({
            "protocol_version": {"p2p": pv.p2p.to_string(), "block": pv.block.to_string(), "app": pv.app.to_string()},
            "default_node_id": n.default_node_id,
            "listen_addr": n.listen_addr,
            "network": n.network,
            "version": n.version,
            "channels": b64(&n.channels),
            "moniker": n.moniker,
            "other": {"tx_index": other.tx_index, "rpc_address": other.rpc_address},
        })
    });
    let av = r.application_version.as_ref().map_or(Value::Null, |v| {
        json!({
            "name": v.name,
            "app_name": v.app_name,
            "version": v.version,
            "git_commit": v.git_commit,
            "build_tags": v.build_tags,
            "go_version": v.go_version,
            "build_deps": v.build_deps.iter().map(|d| json!({"path": d.path, "version": d.version, "sum": d.sum})).collect::<Vec<_>>(),
            "cosmos_sdk_version": v.cosmos_sdk_version,
        })
    });
    ok(
        json!({"default_node_info": dni, "application_version": av}),
        h,
    )
}

fn ts(t: &Option<Timestamp>) -> Value {
    match t {
        Some(t) => json!(rfc3339_proto(kumo_app::abci::BlockTime {
            seconds: t.seconds,
            nanos: t.nanos.max(0) as u32,
        })),
        None => Value::Null,
    }
}

fn block_id(id: &Option<tm::BlockId>) -> Value {
    let id = id.clone().unwrap_or_default();
    let psh = id.part_set_header.unwrap_or_default();
    json!({"hash": b64(&id.hash), "part_set_header": {"total": psh.total, "hash": b64(&psh.hash)}})
}

const BLOCK_ID_FLAGS: [&str; 4] = [
    "BLOCK_ID_FLAG_UNKNOWN",
    "BLOCK_ID_FLAG_ABSENT",
    "BLOCK_ID_FLAG_COMMIT",
    "BLOCK_ID_FLAG_NIL",
];

fn commit(c: &Option<tm::Commit>) -> Value {
    let Some(c) = c else { return Value::Null };
    json!({
        "height": c.height.to_string(),
        "round": c.round,
        "block_id": block_id(&c.block_id),
        "signatures": c.signatures.iter().map(|s| json!({
            "block_id_flag": BLOCK_ID_FLAGS.get(s.block_id_flag as usize).copied().unwrap_or("BLOCK_ID_FLAG_UNKNOWN"),
            "validator_address": b64(&s.validator_address),
            "timestamp": ts(&s.timestamp),
            "signature": b64(&s.signature),
        })).collect::<Vec<_>>(),
    })
}

/// Header fields shared by `tendermint.types.Header` and the SDK's `Header`.
#[allow(clippy::too_many_arguments)]
fn header_common(
    version: &Option<cosmos_sdk_proto::tendermint::version::Consensus>,
    chain_id: &str,
    height: i64,
    time: &Option<Timestamp>,
    last_block_id: &Option<tm::BlockId>,
    hashes: [(&str, &[u8]); 8],
    proposer: Value,
) -> Value {
    let v = version.clone().unwrap_or_default();
    let mut m = Map::new();
    m.insert(
        "version".into(),
        json!({"block": v.block.to_string(), "app": v.app.to_string()}),
    );
    m.insert("chain_id".into(), json!(chain_id));
    m.insert("height".into(), json!(height.to_string()));
    m.insert("time".into(), ts(time));
    m.insert("last_block_id".into(), block_id(last_block_id));
    for (name, bytes) in hashes {
        m.insert(name.into(), json!(b64(bytes)));
    }
    m.insert("proposer_address".into(), proposer);
    Value::Object(m)
}

fn evidence(e: &Option<tm::EvidenceList>) -> Result<Value, RestError> {
    match e {
        Some(list) if !list.evidence.is_empty() => Err(RestError(
            code::UNIMPLEMENTED,
            "rendering blocks that carry evidence as JSON is not supported; use gRPC".into(),
        )),
        _ => Ok(json!({"evidence": []})),
    }
}

fn txs(d: &Option<tm::Data>) -> Value {
    json!({"txs": d.as_ref().map(|d| d.txs.iter().map(|t| b64(t)).collect::<Vec<_>>()).unwrap_or_default()})
}

fn tm_block(b: &Option<tm::Block>) -> Result<Value, RestError> {
    let Some(b) = b else { return Ok(Value::Null) };
    let header = b.header.as_ref().map_or(Value::Null, |h| {
        header_common(
            &h.version,
            &h.chain_id,
            h.height,
            &h.time,
            &h.last_block_id,
            [
                ("last_commit_hash", &h.last_commit_hash),
                ("data_hash", &h.data_hash),
                ("validators_hash", &h.validators_hash),
                ("next_validators_hash", &h.next_validators_hash),
                ("consensus_hash", &h.consensus_hash),
                ("app_hash", &h.app_hash),
                ("last_results_hash", &h.last_results_hash),
                ("evidence_hash", &h.evidence_hash),
            ],
            json!(b64(&h.proposer_address)),
        )
    });
    Ok(json!({
        "header": header,
        "data": txs(&b.data),
        "evidence": evidence(&b.evidence)?,
        "last_commit": commit(&b.last_commit),
    }))
}

fn sdk_block(b: &Option<tmsvc::Block>) -> Result<Value, RestError> {
    let Some(b) = b else { return Ok(Value::Null) };
    let header = b.header.as_ref().map_or(Value::Null, |h| {
        header_common(
            &h.version,
            &h.chain_id,
            h.height,
            &h.time,
            &h.last_block_id,
            [
                ("last_commit_hash", &h.last_commit_hash),
                ("data_hash", &h.data_hash),
                ("validators_hash", &h.validators_hash),
                ("next_validators_hash", &h.next_validators_hash),
                ("consensus_hash", &h.consensus_hash),
                ("app_hash", &h.app_hash),
                ("last_results_hash", &h.last_results_hash),
                ("evidence_hash", &h.evidence_hash),
            ],
            json!(h.proposer_address),
        )
    });
    Ok(json!({
        "header": header,
        "data": txs(&b.data),
        "evidence": evidence(&b.evidence)?,
        "last_commit": commit(&b.last_commit),
    }))
}

async fn latest_block(State(b): State<Backend>) -> RestResult {
    let (r, h): (tmsvc::GetLatestBlockResponse, _) = query(
        &b,
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
        tmsvc::GetLatestBlockRequest {},
        0,
    )
    .await?;
    ok(
        json!({"block_id": block_id(&r.block_id), "block": tm_block(&r.block)?, "sdk_block": sdk_block(&r.sdk_block)?}),
        h,
    )
}

async fn block_by_height(State(b): State<Backend>, Path(height): Path<String>) -> RestResult {
    let height: i64 = height
        .parse()
        .map_err(|_| RestError(code::INVALID_ARGUMENT, format!("invalid height {height:?}")))?;
    let (r, h): (tmsvc::GetBlockByHeightResponse, _) = query(
        &b,
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
        tmsvc::GetBlockByHeightRequest { height },
        0,
    )
    .await?;
    ok(
        json!({"block_id": block_id(&r.block_id), "block": tm_block(&r.block)?, "sdk_block": sdk_block(&r.sdk_block)?}),
        h,
    )
}

/// A message `Any`: expanded through the descriptor pool when it declares the type (and bank
/// sends always); other types keep their bytes under `value`.
fn msg_any(a: &Any) -> Value {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    let known = kumo_proto::json::pool()
        .get_message_by_name(a.type_url.trim_start_matches('/'))
        .is_some();
    if known {
        return super::proto_json::any_json(&a.type_url, &a.value);
    }
    if a.type_url == "/cosmos.bank.v1beta1.MsgSend" {
        if let Ok(m) = MsgSend::decode(a.value.as_slice()) {
            return json!({
                "@type": a.type_url,
                "from_address": m.from_address,
                "to_address": m.to_address,
                "amount": coins(&m.amount),
            });
        }
    }
    json!({"@type": a.type_url, "value": b64(&a.value)})
}

fn mode_info_json(m: &Option<ModeInfo>) -> Value {
    const MODES: &[(i32, &str)] = &[
        (0, "SIGN_MODE_UNSPECIFIED"),
        (1, "SIGN_MODE_DIRECT"),
        (2, "SIGN_MODE_TEXTUAL"),
        (3, "SIGN_MODE_DIRECT_AUX"),
        (127, "SIGN_MODE_LEGACY_AMINO_JSON"),
        (191, "SIGN_MODE_EIP_191"),
    ];
    let name = |mode: i32| {
        MODES
            .iter()
            .find(|(n, _)| *n == mode)
            .map_or(json!(mode), |(_, s)| json!(s))
    };
    match m.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) => json!({"single": {"mode": name(s.mode)}}),
        Some(mode_info::Sum::Multi(mi)) => json!({"multi": {
            "bitarray": mi.bitarray.as_ref().map(|b| json!({"extra_bits_stored": b.extra_bits_stored, "elems": b64(&b.elems)})),
            "mode_infos": mi.mode_infos.iter().map(|x| mode_info_json(&Some(x.clone()))).collect::<Vec<_>>(),
        }}),
        None => Value::Null,
    }
}

fn tx_json(tx: &Tx) -> Value {
    let body = tx.body.clone().unwrap_or_else(TxBody::default);
    let auth = tx.auth_info.clone().unwrap_or_else(AuthInfo::default);
    let fee = auth.fee.clone().unwrap_or_default();
    json!({
        "body": {
            "messages": body.messages.iter().map(msg_any).collect::<Vec<_>>(),
            "memo": body.memo,
            "timeout_height": body.timeout_height.to_string(),
            "extension_options": body.extension_options.iter().map(msg_any).collect::<Vec<_>>(),
            "non_critical_extension_options": body.non_critical_extension_options.iter().map(msg_any).collect::<Vec<_>>(),
        },
        "auth_info": {
            "signer_infos": auth.signer_infos.iter().map(|s| json!({
                "public_key": s.public_key.as_ref().map(|k| pub_key_any(k).unwrap_or_else(|_| msg_any(k))),
                "mode_info": mode_info_json(&s.mode_info),
                "sequence": s.sequence.to_string(),
            })).collect::<Vec<_>>(),
            "fee": {
                "amount": coins(&fee.amount),
                "gas_limit": fee.gas_limit.to_string(),
                "payer": fee.payer,
                "granter": fee.granter,
            },
            "tip": null,
        },
        "signatures": tx.signatures.iter().map(|s| b64(s)).collect::<Vec<_>>(),
    })
}

/// `cosmos.base.abci.v1beta1.TxResponse` in grpc-gateway JSON.
pub fn tx_response_json(r: &TxResponse) -> Value {
    let tx = r.tx.as_ref().map(|a| {
        if a.type_url == "/cosmos.tx.v1beta1.Tx" {
            if let Ok(t) = Tx::decode(a.value.as_slice()) {
                let mut v = tx_json(&t);
                if let Some(m) = v.as_object_mut() {
                    m.insert("@type".into(), json!(a.type_url));
                }
                return v;
            }
        }
        msg_any(a)
    });
    json!({
        "height": r.height.to_string(),
        "txhash": r.txhash,
        "codespace": r.codespace,
        "code": r.code,
        "data": r.data,
        "raw_log": r.raw_log,
        "logs": [],
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "tx": tx,
        "timestamp": r.timestamp,
        "events": r.events.iter().map(|e| json!({
            "type": e.r#type,
            "attributes": e.attributes.iter().map(|a| json!({"key": a.key, "value": a.value, "index": a.index})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

async fn get_tx(State(b): State<Backend>, Path(hash): Path<String>) -> RestResult {
    let (r, h): (GetTxResponse, _) = query(
        &b,
        "/cosmos.tx.v1beta1.Service/GetTx",
        GetTxRequest { hash },
        0,
    )
    .await?;
    ok(
        json!({
            "tx": r.tx.as_ref().map(tx_json),
            "tx_response": r.tx_response.as_ref().map(tx_response_json),
        }),
        h,
    )
}

/// `GET /cosmos/tx/v1beta1/txs?query=…&page=…&limit=…&order_by=…` (or the older `events=…`).
async fn get_txs_event(State(b): State<Backend>, RawQuery(q): RawQuery) -> RestResult {
    let params = super::gateway::parse_query(q.as_deref().unwrap_or(""))?;
    let req = super::txs::request_from_params(&params)
        .map_err(|e| RestError(code::INVALID_ARGUMENT, e))?;
    let b2 = b.clone();
    let r = tokio::task::spawn_blocking(move || super::txs::search(b2.as_ref(), &req))
        .await
        .map_err(|e| RestError(code::INTERNAL, format!("search task failed: {e}")))?
        .map_err(|(c, m)| RestError(c, m))?;
    ok(
        json!({
            "txs": r.txs.iter().map(tx_json).collect::<Vec<_>>(),
            "tx_responses": r.tx_responses.iter().map(tx_response_json).collect::<Vec<_>>(),
            "pagination": null,
            "total": r.total.to_string(),
        }),
        b.latest_height(),
    )
}

fn broadcast_mode(v: &Value) -> Result<i32, RestError> {
    match v {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_i64()
            .map(|n| n as i32)
            .ok_or_else(|| RestError(code::INVALID_ARGUMENT, "invalid mode".into())),
        Value::String(s) => match s.as_str() {
            "BROADCAST_MODE_UNSPECIFIED" => Ok(0),
            "BROADCAST_MODE_BLOCK" => Ok(grpc::BROADCAST_MODE_BLOCK),
            "BROADCAST_MODE_SYNC" => Ok(grpc::BROADCAST_MODE_SYNC),
            "BROADCAST_MODE_ASYNC" => Ok(grpc::BROADCAST_MODE_ASYNC),
            other => Err(RestError(
                code::INVALID_ARGUMENT,
                format!("invalid value for enum field mode: {other:?}"),
            )),
        },
        _ => Err(RestError(
            code::INVALID_ARGUMENT,
            "mode must be a string or number".into(),
        )),
    }
}

async fn broadcast_tx(State(b): State<Backend>, body: axum::body::Bytes) -> RestResult {
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| RestError(code::INVALID_ARGUMENT, format!("invalid JSON body: {e}")))?;
    let tx_b64 = v.get("tx_bytes").and_then(Value::as_str).unwrap_or("");
    use base64::Engine;
    let tx = base64::engine::general_purpose::STANDARD
        .decode(tx_b64)
        .map_err(|e| {
            RestError(
                code::INVALID_ARGUMENT,
                format!("tx_bytes: invalid base64: {e}"),
            )
        })?;
    let mode = broadcast_mode(v.get("mode").unwrap_or(&Value::Null))?;
    let r = grpc::broadcast(&b, tx, mode)
        .await
        .map_err(|(c, m)| RestError(c, m))?;
    ok(
        json!({"tx_response": tx_response_json(&r)}),
        b.latest_height(),
    )
}

async fn not_found() -> RestError {
    RestError(code::NOT_FOUND, "Not Found".into())
}
