//! CometBFT 0.38 JSON-RPC methods over an `RpcBackend` (spec §1.1–1.4): the method table,
//! parameter decoding for JSON (POST / websocket) and URI (GET) requests, and error codes.

use super::backend::RpcBackend;
use super::format::*;
use super::query::parse_tx_query;
use crate::types::{IndexedTx, NodeEvent};
use base64::Engine;
use kumo_crypto::tx_hash;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long `broadcast_tx_commit` waits for the tx to land in a block.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A JSON-RPC error object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    pub code: i32,
    pub message: String,
    pub data: Option<String>,
}

impl RpcError {
    pub fn new(code: i32, message: &str, data: Option<String>) -> Self {
        RpcError {
            code,
            message: message.to_string(),
            data,
        }
    }
    /// -32603, as CometBFT reports every handler error.
    pub fn internal(data: impl Into<String>) -> Self {
        Self::new(-32603, "Internal error", Some(data.into()))
    }
    pub fn invalid_params(data: impl Into<String>) -> Self {
        Self::new(-32602, "Invalid params", Some(data.into()))
    }
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            -32601,
            "Method not found",
            Some(format!("unknown method {method:?}")),
        )
    }
    pub fn invalid_request(data: impl Into<String>) -> Self {
        Self::new(-32600, "Invalid Request", Some(data.into()))
    }
    pub fn parse_error(data: impl Into<String>) -> Self {
        Self::new(-32700, "Parse error", Some(data.into()))
    }
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), json!(self.code));
        m.insert("message".into(), json!(self.message));
        if let Some(d) = &self.data {
            m.insert("data".into(), json!(d));
        }
        Value::Object(m)
    }
}

/// The full response envelope for one request.
pub fn envelope(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
        Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": e.to_json()}),
    }
}

/// One parameter as it arrived: a JSON value (POST, websocket) or a raw URI value (GET).
#[derive(Clone, Debug)]
pub enum Arg {
    Json(Value),
    Uri(String),
}

/// Named parameters of one call.
#[derive(Clone, Debug, Default)]
pub struct Params(HashMap<String, Arg>);

/// Parameter names per method, in CometBFT's positional order (for array params).
pub fn param_names(method: &str) -> &'static [&'static str] {
    match method {
        "abci_query" => &["path", "data", "height", "prove"],
        "broadcast_tx_sync" | "broadcast_tx_async" | "broadcast_tx_commit" => &["tx"],
        "tx" => &["hash", "prove"],
        "tx_search" => &["query", "prove", "page", "per_page", "order_by"],
        "block" | "block_results" | "commit" => &["height"],
        "block_by_hash" => &["hash"],
        "blockchain" => &["minHeight", "maxHeight"],
        "validators" => &["height", "page", "per_page"],
        "unconfirmed_txs" => &["limit"],
        "subscribe" | "unsubscribe" => &["query"],
        _ => &[],
    }
}

fn strip_quotes(s: &str) -> Option<&str> {
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        Some(&s[1..s.len() - 1])
    } else {
        None
    }
}

fn decode_hex(name: &str, s: &str) -> Result<Vec<u8>, RpcError> {
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    hex::decode(h).map_err(|e| RpcError::invalid_params(format!("{name}: invalid hex: {e}")))
}

fn decode_b64(name: &str, s: &str) -> Result<Vec<u8>, RpcError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| RpcError::invalid_params(format!("{name}: invalid base64: {e}")))
}

impl Params {
    /// From JSON `params`: an object (named), an array (positional) or null/absent.
    pub fn from_json(method: &str, params: Option<&Value>) -> Result<Self, RpcError> {
        let mut map = HashMap::new();
        match params {
            None | Some(Value::Null) => {}
            Some(Value::Object(o)) => {
                for (k, v) in o {
                    if !v.is_null() {
                        map.insert(k.clone(), Arg::Json(v.clone()));
                    }
                }
            }
            Some(Value::Array(a)) => {
                let names = param_names(method);
                if a.len() > names.len() {
                    return Err(RpcError::invalid_params(format!(
                        "{method} takes at most {} positional params, got {}",
                        names.len(),
                        a.len()
                    )));
                }
                for (name, v) in names.iter().zip(a) {
                    if !v.is_null() {
                        map.insert(name.to_string(), Arg::Json(v.clone()));
                    }
                }
            }
            Some(other) => {
                return Err(RpcError::invalid_params(format!(
                    "params must be an object or an array, got {other}"
                )))
            }
        }
        Ok(Params(map))
    }

    /// From a GET query string's decoded pairs.
    pub fn from_uri(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Params(
            pairs
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k, Arg::Uri(v)))
                .collect(),
        )
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, RpcError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Arg::Json(Value::String(s))) => Ok(Some(s.clone())),
            Some(Arg::Json(other)) => Err(RpcError::invalid_params(format!(
                "{name}: expected a string, got {other}"
            ))),
            Some(Arg::Uri(s)) => match strip_quotes(s) {
                Some(inner) => serde_json::from_str::<String>(s)
                    .map(Some)
                    .or_else(|_| Ok(Some(inner.to_string()))),
                None => Ok(Some(s.clone())),
            },
        }
    }

    pub fn required_string(&self, name: &str) -> Result<String, RpcError> {
        self.string(name)?
            .ok_or_else(|| RpcError::invalid_params(format!("{name}: missing required param")))
    }

    /// Go `int64` / `int`: a JSON string or number (bare or quoted in a URI).
    pub fn int(&self, name: &str) -> Result<Option<i64>, RpcError> {
        let text = match self.0.get(name) {
            None => return Ok(None),
            Some(Arg::Json(Value::Number(n))) => {
                return n.as_i64().map(Some).ok_or_else(|| {
                    RpcError::invalid_params(format!("{name}: expected an integer, got {n}"))
                })
            }
            Some(Arg::Json(Value::String(s))) => s.clone(),
            Some(Arg::Json(other)) => {
                return Err(RpcError::invalid_params(format!(
                    "{name}: expected an integer string, got {other}"
                )))
            }
            Some(Arg::Uri(s)) => strip_quotes(s).unwrap_or(s).to_string(),
        };
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<i64>().map(Some).map_err(|_| {
            RpcError::invalid_params(format!("{name}: expected an integer, got {text:?}"))
        })
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, RpcError> {
        let text = match self.0.get(name) {
            None => return Ok(None),
            Some(Arg::Json(Value::Bool(b))) => return Ok(Some(*b)),
            Some(Arg::Json(Value::String(s))) => s.clone(),
            Some(Arg::Json(other)) => {
                return Err(RpcError::invalid_params(format!(
                    "{name}: expected a boolean, got {other}"
                )))
            }
            Some(Arg::Uri(s)) => strip_quotes(s).unwrap_or(s).to_string(),
        };
        match text.as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(RpcError::invalid_params(format!(
                "{name}: expected true or false, got {text:?}"
            ))),
        }
    }

    /// Go `[]byte`: base64 in JSON; `0x`-hex or a quoted base64 string in a URI.
    pub fn bytes_b64(&self, name: &str) -> Result<Option<Vec<u8>>, RpcError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Arg::Json(Value::String(s))) => decode_b64(name, s).map(Some),
            Some(Arg::Json(other)) => Err(RpcError::invalid_params(format!(
                "{name}: expected a base64 string, got {other}"
            ))),
            Some(Arg::Uri(s)) => {
                if s.starts_with("0x") || s.starts_with("0X") {
                    decode_hex(name, s).map(Some)
                } else if let Some(inner) = strip_quotes(s) {
                    decode_b64(name, inner).map(Some)
                } else {
                    Err(RpcError::invalid_params(format!(
                        "{name}: expected 0x-prefixed hex or a quoted base64 string"
                    )))
                }
            }
        }
    }

    /// Go `bytes.HexBytes`: hex in JSON (optionally `0x`); `0x`-hex or quoted hex in a URI.
    pub fn bytes_hex(&self, name: &str) -> Result<Option<Vec<u8>>, RpcError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Arg::Json(Value::String(s))) => decode_hex(name, s).map(Some),
            Some(Arg::Json(other)) => Err(RpcError::invalid_params(format!(
                "{name}: expected a hex string, got {other}"
            ))),
            Some(Arg::Uri(s)) => decode_hex(name, strip_quotes(s).unwrap_or(s)).map(Some),
        }
    }

    /// A 32-byte hash given as `[]byte` (44 base64 characters, what cosmjs sends) or as 64 hex
    /// characters, optionally `0x`-prefixed. The form is told by the length, not by a `0x`
    /// prefix: about one base64 hash in 4096 starts with `0x`. Every reading that decodes to
    /// 32 bytes is returned, for the caller to try in turn.
    pub fn hash(&self, name: &str) -> Result<Vec<[u8; 32]>, RpcError> {
        let text = match self.0.get(name) {
            None => {
                return Err(RpcError::invalid_params(format!(
                    "{name}: missing required param"
                )))
            }
            Some(Arg::Json(Value::String(s))) => s.as_str(),
            Some(Arg::Json(other)) => {
                return Err(RpcError::invalid_params(format!(
                    "{name}: expected a string, got {other}"
                )))
            }
            Some(Arg::Uri(s)) => strip_quotes(s).unwrap_or(s),
        };
        let candidates = hash_readings(text);
        if candidates.is_empty() {
            return Err(RpcError::invalid_params(format!(
                "{name}: expected a 32-byte hash as 64 hex characters (optionally 0x-prefixed) \
                 or 44 base64 characters, got {text:?}"
            )));
        }
        Ok(candidates)
    }
}

/// The 32-byte values `text` can mean: hex (64 digits, optional `0x`) and/or standard base64.
pub fn hash_readings(text: &str) -> Vec<[u8; 32]> {
    let mut out = Vec::new();
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.len() == 64 {
        if let Ok(h) = hex::decode(digits) {
            out.extend(<[u8; 32]>::try_from(h.as_slice()).ok());
        }
    }
    if text.len() == 44 {
        if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(text) {
            if let Ok(h) = <[u8; 32]>::try_from(b.as_slice()) {
                if !out.contains(&h) {
                    out.push(h);
                }
            }
        }
    }
    out
}

async fn blocking<T: Send + 'static>(
    backend: &Arc<dyn RpcBackend>,
    f: impl FnOnce(&dyn RpcBackend) -> T + Send + 'static,
) -> Result<T, RpcError> {
    let b = backend.clone();
    tokio::task::spawn_blocking(move || f(b.as_ref()))
        .await
        .map_err(|e| RpcError::internal(format!("backend task failed: {e}")))
}

fn height_not_above_latest(h: i64, latest: u64) -> Result<(), RpcError> {
    if h as u64 > latest {
        return Err(RpcError::internal(format!(
            "height {h} must be less than or equal to the current blockchain height {latest}"
        )));
    }
    Ok(())
}

/// CometBFT `getHeight`: absent = latest; must be in `[earliest, latest]`.
fn resolve_height(b: &dyn RpcBackend, h: Option<i64>) -> Result<u64, RpcError> {
    let latest = b.latest_height();
    let Some(h) = h else { return Ok(latest) };
    if h <= 0 {
        return Err(RpcError::internal(format!(
            "height must be greater than 0, but got {h}"
        )));
    }
    height_not_above_latest(h, latest)?;
    let base = b.earliest_height();
    if (h as u64) < base {
        return Err(RpcError::internal(format!(
            "height {h} is not available, lowest height is {base}"
        )));
    }
    Ok(h as u64)
}

fn per_page(p: Option<i64>) -> u64 {
    match p {
        Some(n) if n >= 1 => (n as u64).min(100),
        _ => 30,
    }
}

fn validate_page(page: Option<i64>, per_page: u64, total: u64) -> Result<u64, RpcError> {
    let pages = total.div_ceil(per_page).max(1);
    let page = page.unwrap_or(1);
    if page < 1 || page as u64 > pages {
        return Err(RpcError::internal(format!(
            "page should be within [1, {pages}] range, given {page}"
        )));
    }
    Ok(page as u64)
}

/// `broadcast_tx_sync` / CheckTx result object.
pub fn broadcast_result_json(r: &kumo_app::abci::TxResult, hash: &[u8; 32]) -> Value {
    json!({
        "code": r.code,
        "data": hex_upper(&r.data),
        "log": r.log,
        "codespace": r.codespace,
        "hash": hex_upper(hash),
    })
}

fn status(b: &dyn RpcBackend) -> Value {
    let ni = b.node_info();
    let v = b.validator();
    let app_version = b.abci_info().app_version;
    let latest = b.latest_height();
    let latest_block = if latest > 0 { b.block(latest) } else { None };
    let earliest_h = b.earliest_height();
    let earliest_block = if earliest_h > 0 {
        b.block(earliest_h)
    } else {
        None
    };
    let summary = |blk: &Option<crate::types::StoredBlock>| match blk {
        Some(sb) => (
            hex_upper(&sb.block_id.hash),
            hex_upper(&sb.block.header.app_hash),
            rfc3339_nanos(sb.block.header.time),
        ),
        None => (String::new(), String::new(), ZERO_TIME.to_string()),
    };
    let (lh, la, lt) = summary(&latest_block);
    let (eh, ea, et) = summary(&earliest_block);
    json!({
        "node_info": node_info_json(&ni, app_version),
        "sync_info": {
            "latest_block_hash": lh,
            "latest_app_hash": la,
            "latest_block_height": latest.to_string(),
            "latest_block_time": lt,
            "earliest_block_hash": eh,
            "earliest_app_hash": ea,
            "earliest_block_height": earliest_h.to_string(),
            "earliest_block_time": et,
            "catching_up": b.catching_up(),
        },
        "validator_info": {
            "address": hex_upper(&v.address),
            "pub_key": pub_key_json(&v.pub_key),
            "voting_power": v.voting_power.to_string(),
        },
    })
}

pub fn node_info_json(ni: &crate::types::NodeInfo, app_version: u64) -> Value {
    json!({
        "protocol_version": {"p2p": P2P_PROTOCOL, "block": BLOCK_PROTOCOL, "app": app_version.to_string()},
        "id": hex::encode(ni.node_id),
        "listen_addr": ni.p2p_listen_addr,
        "network": ni.chain_id,
        "version": ni.version,
        "channels": "40202122233038606100",
        "moniker": ni.moniker,
        "other": {"tx_index": "on", "rpc_address": ni.rpc_listen_addr},
    })
}

async fn broadcast_commit(backend: &Arc<dyn RpcBackend>, tx: Vec<u8>) -> Result<Value, RpcError> {
    let hash = tx_hash(&tx);
    // Subscribe before CheckTx so the block carrying the tx cannot slip past us.
    let mut rx = backend.subscribe();
    let check = blocking(backend, move |b| b.check_tx(tx))
        .await?
        .map_err(|e| RpcError::internal(e.to_string()))?;
    let shape = |t: Option<&IndexedTx>| {
        json!({
            "check_tx": tx_result_json(&check),
            "tx_result": tx_result_json(&t.map(|t| t.result.clone()).unwrap_or_default()),
            "hash": hex_upper(&hash),
            "height": t.map_or(0, |t| t.height).to_string(),
        })
    };
    if check.code != 0 {
        return Ok(shape(None));
    }
    let wait = async {
        loop {
            match rx.recv().await {
                Ok(NodeEvent::Tx(t)) if t.hash == hash => return Some(t),
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Some(t) = backend.tx(&hash) {
                        return Some(Arc::new(t));
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    };
    let found = match tokio::time::timeout(COMMIT_TIMEOUT, wait).await {
        Ok(Some(t)) => Some(t),
        _ => backend.tx(&hash).map(Arc::new),
    };
    match found {
        Some(t) => Ok(shape(Some(&t))),
        None => Err(RpcError::internal(
            "timed out waiting for tx to be included in a block",
        )),
    }
}

/// Runs one method. `subscribe`-family methods are handled by the websocket layer.
pub async fn call(
    backend: &Arc<dyn RpcBackend>,
    method: &str,
    p: &Params,
) -> Result<Value, RpcError> {
    let b: &dyn RpcBackend = backend.as_ref();
    match method {
        "health" => Ok(json!({})),
        "status" => Ok(status(b)),
        "net_info" => {
            let ni = b.node_info();
            let peers = b.peers();
            Ok(json!({
                "listening": true,
                "listeners": [format!("Listener(@{})", ni.p2p_listen_addr)],
                "n_peers": peers.len().to_string(),
                "peers": peers.iter().map(|p| json!({
                    "node_info": {
                        "id": p.node_id,
                        "moniker": p.moniker,
                        "network": ni.chain_id,
                        "listen_addr": p.remote_addr,
                    },
                    "is_outbound": p.outbound,
                    "remote_ip": p.remote_addr
                        .split('/')
                        .nth(2)
                        .unwrap_or_default(),
                })).collect::<Vec<_>>(),
            }))
        }
        "abci_info" => {
            let i = b.abci_info();
            Ok(json!({"response": {
                "data": i.data,
                "version": i.version,
                "app_version": i.app_version.to_string(),
                "last_block_height": i.last_block_height.to_string(),
                "last_block_app_hash": b64(&i.last_block_app_hash),
            }}))
        }
        "abci_query" => {
            let path = p.required_string("path")?;
            let data = p.bytes_hex("data")?.unwrap_or_default();
            let height = p.int("height")?.unwrap_or(0);
            p.boolean("prove")?;
            if height < 0 {
                return Err(RpcError::internal(format!(
                    "height must be non-negative, but got {height}"
                )));
            }
            let latest = b.latest_height();
            height_not_above_latest(height, latest)?;
            let h = height as u64;
            let r = blocking(backend, move |b| b.abci_query(&path, &data, h)).await?;
            let answered = if r.height != 0 {
                r.height
            } else if h != 0 {
                h
            } else {
                latest
            };
            Ok(json!({"response": {
                "code": r.code,
                "log": r.log,
                "info": "",
                "index": "0",
                "key": null,
                "value": b64_or_null(&r.value),
                "proofOps": null,
                "height": answered.to_string(),
                "codespace": r.codespace,
            }}))
        }
        "broadcast_tx_sync" | "broadcast_tx_async" | "broadcast_tx_commit" => {
            let tx = p
                .bytes_b64("tx")?
                .ok_or_else(|| RpcError::invalid_params("tx: missing required param"))?;
            if tx.is_empty() {
                return Err(RpcError::invalid_params("tx: must not be empty"));
            }
            let hash = tx_hash(&tx);
            match method {
                "broadcast_tx_commit" => broadcast_commit(backend, tx).await,
                "broadcast_tx_async" => {
                    let bk = backend.clone();
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = bk.check_tx(tx) {
                            tracing::debug!("broadcast_tx_async rejected: {e}");
                        }
                    });
                    Ok(
                        json!({"code": 0, "data": "", "log": "", "codespace": "", "hash": hex_upper(&hash)}),
                    )
                }
                _ => {
                    let r = blocking(backend, move |b| b.check_tx(tx))
                        .await?
                        .map_err(|e| RpcError::internal(e.to_string()))?;
                    Ok(broadcast_result_json(&r, &hash))
                }
            }
        }
        "tx" => {
            let hashes = p.hash("hash")?;
            p.boolean("prove")?;
            match hashes.iter().find_map(|h| b.tx(h)) {
                Some(t) => Ok(result_tx_json(&t)),
                None => Err(RpcError::internal(format!(
                    "tx ({}) not found",
                    hex_upper(&hashes[0])
                ))),
            }
        }
        "tx_search" => {
            let q = p.required_string("query")?;
            p.boolean("prove")?;
            let page = p.int("page")?;
            let per = per_page(p.int("per_page")?);
            let desc = match p.string("order_by")?.as_deref() {
                None | Some("") | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(RpcError::invalid_params(format!(
                        "order_by: expected `asc` or `desc` or empty, got {other:?}"
                    )))
                }
            };
            let query = parse_tx_query(&q).map_err(RpcError::internal)?;
            let page_req = page.unwrap_or(1).max(1) as u64;
            let (txs, total) = blocking(backend, move |b| b.tx_search(&query, page_req, per, desc))
                .await?
                .map_err(RpcError::internal)?;
            validate_page(page, per, total)?;
            Ok(json!({
                "txs": txs.iter().map(result_tx_json).collect::<Vec<_>>(),
                "total_count": total.to_string(),
            }))
        }
        "block" => {
            let h = resolve_height(b, p.int("height")?)?;
            match b.block(h) {
                Some(sb) => Ok(json!({
                    "block_id": block_id_json(Some(&sb.block_id)),
                    "block": block_json(&sb.block),
                })),
                None => Err(RpcError::internal(format!("block at height {h} not found"))),
            }
        }
        "block_by_hash" => {
            let hashes = p.hash("hash")?;
            Ok(match hashes.iter().find_map(|h| b.block_by_hash(h)) {
                Some(sb) => json!({
                    "block_id": block_id_json(Some(&sb.block_id)),
                    "block": block_json(&sb.block),
                }),
                None => json!({"block_id": block_id_json(None), "block": null}),
            })
        }
        "block_results" => {
            let h = resolve_height(b, p.int("height")?)?;
            match b.block_results(h) {
                Some(r) => Ok(block_results_json(&r)),
                None => Err(RpcError::internal(format!(
                    "could not find results for height #{h}"
                ))),
            }
        }
        "blockchain" => {
            let latest = b.latest_height();
            let base = b.earliest_height();
            let min = p.int("minHeight")?.unwrap_or(0);
            let max = p.int("maxHeight")?.unwrap_or(0);
            if min < 0 || max < 0 {
                return Err(RpcError::internal("heights must be non-negative"));
            }
            let mut min = if min == 0 { 1 } else { min as u64 };
            let mut max = if max == 0 { latest } else { max as u64 };
            max = max.min(latest);
            min = min.max(base);
            min = min.max((max + 1).saturating_sub(20));
            if min > max && !(latest == 0 && max == 0) {
                return Err(RpcError::internal(format!(
                    "min height {min} can't be greater than max height {max}"
                )));
            }
            let metas: Vec<Value> = (min..=max)
                .rev()
                .filter(|&h| h > 0)
                .filter_map(|h| b.block(h))
                .map(|sb| block_meta_json(&sb))
                .collect();
            Ok(json!({"last_height": latest.to_string(), "block_metas": metas}))
        }
        "commit" => {
            let h = resolve_height(b, p.int("height")?)?;
            let sb = b
                .block(h)
                .ok_or_else(|| RpcError::internal(format!("block at height {h} not found")))?;
            let c = b
                .commit(h)
                .ok_or_else(|| RpcError::internal(format!("commit for height {h} not found")))?;
            Ok(json!({
                "signed_header": {
                    "header": header_json(&sb.block.header),
                    "commit": commit_json(&c),
                },
                "canonical": true,
            }))
        }
        "validators" => {
            let h = resolve_height(b, p.int("height")?)?;
            let per = per_page(p.int("per_page")?);
            let vals = b.validators(h);
            let page = validate_page(p.int("page")?, per, vals.len() as u64)?;
            let skip = ((page - 1) * per) as usize;
            let shown: Vec<Value> = vals
                .iter()
                .skip(skip)
                .take(per as usize)
                .map(validator_json)
                .collect();
            Ok(json!({
                "block_height": h.to_string(),
                "validators": shown,
                "count": shown.len().to_string(),
                "total": vals.len().to_string(),
            }))
        }
        "genesis" => Ok(json!({"genesis": b.genesis_json()})),
        "num_unconfirmed_txs" => {
            let (_, count, bytes) = b.unconfirmed_txs(0);
            Ok(json!({
                "n_txs": count.to_string(),
                "total": count.to_string(),
                "total_bytes": bytes.to_string(),
                "txs": null,
            }))
        }
        "unconfirmed_txs" => {
            let limit = per_page(p.int("limit")?) as usize;
            let (txs, count, bytes) = b.unconfirmed_txs(limit);
            Ok(json!({
                "n_txs": txs.len().to_string(),
                "total": count.to_string(),
                "total_bytes": bytes.to_string(),
                "txs": txs.iter().map(|t| b64(t)).collect::<Vec<_>>(),
            }))
        }
        _ => Err(RpcError::method_not_found(method)),
    }
}

/// Handles one JSON-RPC request object (not `subscribe`), returning the full response.
pub async fn handle_request(backend: &Arc<dyn RpcBackend>, req: &Value) -> Value {
    let Some(obj) = req.as_object() else {
        return envelope(
            Value::Null,
            Err(RpcError::invalid_request("a request must be a JSON object")),
        );
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return envelope(id, Err(RpcError::invalid_request("missing method name")));
    };
    let result = match Params::from_json(method, obj.get("params")) {
        Ok(p) => call(backend, method, &p).await,
        Err(e) => Err(e),
    };
    envelope(id, result)
}
