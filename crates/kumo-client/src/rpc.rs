//! Blocking CometBFT 0.38 JSON-RPC client (the calls cosmjs makes, spec §1.3–1.5) and typed
//! Cosmos SDK queries on top of `abci_query`.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount as ProtoBaseAccount, ModuleAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest, QueryBalanceResponse,
    QuerySupplyOfRequest, QuerySupplyOfResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::cosmos::vesting::v1beta1::{
    BaseVestingAccount, ContinuousVestingAccount, DelayedVestingAccount, PeriodicVestingAccount,
    PermanentLockedAccount,
};
use prost::Message;
use serde::Serialize;
use serde_json::{json, Value};

use crate::coins::parse_amount;
use crate::error::{ClientError, Result};

/// Default CometBFT RPC endpoint of a local node.
pub const DEFAULT_NODE: &str = "http://127.0.0.1:26657";

/// How often [`RpcClient::wait_for_tx`] polls.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Type URL of a secp256k1 public key.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// A blocking JSON-RPC client for one node.
#[derive(Clone, Debug)]
pub struct RpcClient {
    url: String,
    height: Option<u64>,
    agent: ureq::Agent,
}

/// The parts of `status` the CLI and signing need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    pub chain_id: String,
    pub latest_height: u64,
    pub latest_block_hash: String,
    pub latest_app_hash: String,
    pub latest_block_time: String,
    pub node_version: String,
    pub moniker: String,
    pub catching_up: bool,
}

/// An `abci_query` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryResponse {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub value: Vec<u8>,
    pub height: u64,
}

/// The CheckTx result returned by `broadcast_tx_sync`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BroadcastResult {
    pub code: u32,
    pub codespace: String,
    pub log: String,
    /// Uppercase hex SHA-256 of the tx bytes.
    pub hash: String,
}

/// One ABCI event attribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventAttribute {
    pub key: String,
    pub value: String,
}

/// One ABCI event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub attributes: Vec<EventAttribute>,
}

/// An included transaction with its block result (`tx_search` entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxInfo {
    pub hash: String,
    pub height: u64,
    pub index: u32,
    /// The exact bytes that were broadcast.
    #[serde(skip)]
    pub tx: Vec<u8>,
    pub code: u32,
    pub codespace: String,
    pub log: String,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

/// A block as returned by `block`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    pub hash: String,
    pub height: u64,
    pub chain_id: String,
    pub time: String,
    pub app_hash: String,
    pub proposer_address: String,
    /// Raw txs in block order.
    #[serde(skip)]
    pub txs: Vec<Vec<u8>>,
}

impl Block {
    /// Uppercase hex hashes of the block's txs.
    pub fn tx_hashes(&self) -> Vec<String> {
        self.txs.iter().map(|t| crate::tx::tx_hash(t)).collect()
    }
}

/// The public key stored on an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountPubKey {
    pub type_url: String,
    /// For `/cosmos.crypto.secp256k1.PubKey` the 33-byte compressed key; otherwise the raw
    /// protobuf value of the `Any`.
    #[serde(serialize_with = "ser_b64")]
    pub key: Vec<u8>,
}

/// An account's signing data (from BaseAccount, or the BaseAccount inside module and vesting
/// accounts).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaseAccount {
    pub address: String,
    pub account_number: u64,
    pub sequence: u64,
    pub pubkey: Option<AccountPubKey>,
    /// Type URL of the account `Any` the node returned.
    pub type_url: String,
}

fn ser_b64<S: serde::Serializer>(bytes: &Vec<u8>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&B64.encode(bytes))
}

impl RpcClient {
    /// A client for the node at `url` (`http://host:port`; `tcp://` as CometBFT writes it and a
    /// bare `host:port` are accepted too).
    pub fn new(url: &str) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout_read(Duration::from_secs(60))
            .timeout_write(Duration::from_secs(30))
            .build();
        RpcClient {
            url: normalize_url(url),
            height: None,
            agent,
        }
    }

    /// The same client, but ABCI queries read state at `height` (`None`: the latest height).
    pub fn at_height(mut self, height: Option<u64>) -> Self {
        self.height = height;
        self
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The query height set with [`RpcClient::at_height`].
    pub fn height(&self) -> Option<u64> {
        self.height
    }

    /// Most bytes of one JSON-RPC answer read (a runaway answer stops there as "not JSON").
    const MAX_RESPONSE_BYTES: u64 = 512 << 20;

    /// One JSON-RPC call: `method` with named `params`; returns `result`.
    pub fn call(&self, method: &str, params: Value) -> Result<Value> {
        let text = self.call_text(method, params)?;
        let mut v: Value = serde_json::from_str(&text).map_err(|e| {
            ClientError::BadResponse(format!(
                "{method}: not JSON ({e}): {}",
                truncate(&text, 200)
            ))
        })?;
        if let Some(e) = rpc_error(&v) {
            return Err(e);
        }
        match v.get_mut("result") {
            Some(r) if !r.is_null() => Ok(r.take()),
            _ => Err(ClientError::BadResponse(format!(
                "{method}: response has no result: {}",
                truncate(&text, 200)
            ))),
        }
    }

    /// [`RpcClient::call`] decoding `result` straight into `T`, without the generic JSON tree
    /// in between: what a large answer (a full block's `block_results`) needs to be cheap.
    pub fn call_as<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T> {
        #[derive(serde::Deserialize)]
        struct Envelope<T> {
            result: Option<T>,
            #[serde(default)]
            error: Value,
        }
        let text = self.call_text(method, params)?;
        let env: Envelope<T> = serde_json::from_str(&text).map_err(|e| {
            ClientError::BadResponse(format!(
                "{method}: not the expected JSON ({e}): {}",
                truncate(&text, 200)
            ))
        })?;
        if let Some(e) = rpc_error(&json!({ "error": env.error })) {
            return Err(e);
        }
        env.result.ok_or_else(|| {
            ClientError::BadResponse(format!(
                "{method}: response has no result: {}",
                truncate(&text, 200)
            ))
        })
    }

    /// Posts one JSON-RPC call and returns the answer's text (HTTP and transport errors
    /// turned into [`ClientError`]s).
    fn call_text(&self, method: &str, params: Value) -> Result<String> {
        let body = json!({
            "jsonrpc": "2.0",
            "id": request_id(),
            "method": method,
            "params": params,
        });
        let response = match self
            .agent
            .post(&self.url)
            .set("Content-Type", "application/json")
            .send_json(body)
        {
            Ok(r) => r,
            Err(ureq::Error::Status(status, r)) => {
                let text = r.into_string().unwrap_or_default();
                // CometBFT answers some JSON-RPC errors with HTTP 500; prefer the JSON error.
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    if let Some(e) = rpc_error(&v) {
                        return Err(e);
                    }
                }
                return Err(ClientError::Http {
                    url: self.url.clone(),
                    status,
                    body: truncate(&text, 300),
                });
            }
            Err(ureq::Error::Transport(t)) => return Err(self.transport_error(&t)),
        };
        // Not `into_string`: it stops at 10 MB, and a full block's `block_results` (2,000 txs
        // with their events) is larger.
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(response.into_reader(), Self::MAX_RESPONSE_BYTES),
            &mut text,
        )
        .map_err(|e| ClientError::Unreachable {
            url: self.url.clone(),
            detail: format!("connection lost while reading the response: {e}"),
        })?;
        Ok(text)
    }

    fn transport_error(&self, t: &ureq::Transport) -> ClientError {
        use ureq::ErrorKind as K;
        match t.kind() {
            K::InvalidUrl | K::UnknownScheme => ClientError::Unreachable {
                url: self.url.clone(),
                detail: format!(
                    "invalid node URL ({}); expected e.g. {DEFAULT_NODE} (https is not supported)",
                    t.message().unwrap_or("unsupported")
                ),
            },
            K::Dns => ClientError::Unreachable {
                url: self.url.clone(),
                detail: format!("host name lookup failed: {t}"),
            },
            K::ConnectionFailed => ClientError::Unreachable {
                url: self.url.clone(),
                detail: "connection refused or timed out".into(),
            },
            _ => ClientError::Unreachable {
                url: self.url.clone(),
                detail: t.to_string(),
            },
        }
    }

    /// `status`: chain id, latest block, node version.
    pub fn status(&self) -> Result<Status> {
        let r = self.call("status", json!({}))?;
        parse_status(&r)
    }

    /// `abci_query` with a raw protobuf request. `height` `None` asks for the latest state.
    pub fn abci_query(
        &self,
        path: &str,
        data: &[u8],
        height: Option<u64>,
    ) -> Result<QueryResponse> {
        let mut params = json!({
            "path": path,
            "data": hex::encode(data),
            "prove": false,
        });
        if let Some(h) = height {
            params["height"] = Value::String(h.to_string());
        }
        let r = self.call("abci_query", params)?;
        let resp = r
            .get("response")
            .ok_or_else(|| ClientError::BadResponse("abci_query: no `response` object".into()))?;
        Ok(QueryResponse {
            code: opt_u32(resp, "code")?,
            codespace: opt_str(resp, "codespace"),
            log: opt_str(resp, "log"),
            value: opt_b64(resp, "value")?,
            height: opt_u64(resp, "height")?,
        })
    }

    /// A gRPC-style query through `abci_query`: encodes `req`, checks the code, decodes the answer.
    pub fn query_proto<Req, Resp>(&self, path: &str, req: &Req) -> Result<Resp>
    where
        Req: Message,
        Resp: Message + Default,
    {
        let r = self.abci_query(path, &req.encode_to_vec(), self.height)?;
        if r.code != 0 {
            return Err(ClientError::Query {
                path: path.to_string(),
                code: r.code,
                codespace: r.codespace,
                log: r.log,
            });
        }
        Resp::decode(r.value.as_slice()).map_err(|source| ClientError::Decode {
            what: format!("{path} response"),
            source,
        })
    }

    /// `broadcast_tx_sync`: submits the tx and returns its CheckTx result.
    pub fn broadcast_tx_sync(&self, tx_bytes: &[u8]) -> Result<BroadcastResult> {
        let r = self.call("broadcast_tx_sync", json!({ "tx": B64.encode(tx_bytes) }))?;
        let hash = opt_str(&r, "hash");
        Ok(BroadcastResult {
            code: opt_u32(&r, "code")?,
            codespace: opt_str(&r, "codespace"),
            log: opt_str(&r, "log"),
            hash: if hash.is_empty() {
                crate::tx::tx_hash(tx_bytes)
            } else {
                hash.to_ascii_uppercase()
            },
        })
    }

    /// Looks a tx up by hash with `tx_search "tx.hash='HEX'"` (as cosmjs `getTx` does).
    /// `Ok(None)` while it is not in a block.
    pub fn tx(&self, hash: &str) -> Result<Option<TxInfo>> {
        let hash = normalize_hash(hash)?;
        let r = self.call(
            "tx_search",
            json!({ "query": format!("tx.hash='{hash}'"), "page": "1" }),
        )?;
        let txs = r
            .get("txs")
            .and_then(Value::as_array)
            .ok_or_else(|| ClientError::BadResponse("tx_search: no `txs` array".into()))?;
        match txs.first() {
            None => Ok(None),
            Some(t) => parse_tx(t).map(Some),
        }
    }

    /// Polls [`RpcClient::tx`] every 250 ms until the tx is in a block or `timeout` passes.
    pub fn wait_for_tx(&self, hash: &str, timeout: Duration) -> Result<TxInfo> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(info) = self.tx(hash)? {
                return Ok(info);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ClientError::Timeout {
                    hash: hash.to_ascii_uppercase(),
                    secs: timeout.as_secs(),
                });
            }
            std::thread::sleep(POLL_INTERVAL.min(deadline - now));
        }
    }

    /// `block` at `height` (`None`: the latest).
    pub fn block(&self, height: Option<u64>) -> Result<Block> {
        let params = match height {
            Some(h) => json!({ "height": h.to_string() }),
            None => json!({}),
        };
        let r = self.call("block", params)?;
        parse_block(&r)
    }

    /// The account at `address`, or `None` when the chain has none (SDK code 22 / NotFound).
    pub fn account(&self, address: &str) -> Result<Option<BaseAccount>> {
        let req = QueryAccountRequest {
            address: address.to_string(),
        };
        let resp: QueryAccountResponse =
            match self.query_proto("/cosmos.auth.v1beta1.Query/Account", &req) {
                Ok(r) => r,
                Err(ClientError::Query { code, log, .. })
                    if code == 22 || log.to_ascii_lowercase().contains("not found") =>
                {
                    return Ok(None)
                }
                Err(e) => return Err(e),
            };
        let any = match resp.account {
            Some(a) => a,
            None => return Ok(None),
        };
        decode_account(&any.type_url, &any.value).map(Some)
    }

    /// Balance of one denom (0 when the account has none).
    pub fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        let req = QueryBalanceRequest {
            address: address.to_string(),
            denom: denom.to_string(),
        };
        let resp: QueryBalanceResponse =
            self.query_proto("/cosmos.bank.v1beta1.Query/Balance", &req)?;
        match resp.balance {
            Some(c) => parse_amount(&c.amount),
            None => Ok(0),
        }
    }

    /// All non-zero balances of an account, sorted by denom (follows pagination).
    pub fn all_balances(&self, address: &str) -> Result<Vec<(String, u128)>> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let req = QueryAllBalancesRequest {
                address: address.to_string(),
                pagination: Some(page(key)),
                resolve_denom: false,
            };
            let resp: QueryAllBalancesResponse =
                self.query_proto("/cosmos.bank.v1beta1.Query/AllBalances", &req)?;
            for c in resp.balances {
                out.push((c.denom, parse_amount(&c.amount)?));
            }
            match resp.pagination {
                Some(p) if !p.next_key.is_empty() => key = p.next_key,
                _ => return Ok(out),
            }
        }
    }

    /// Total supply of every denom (follows pagination).
    pub fn total_supply(&self) -> Result<Vec<(String, u128)>> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let req = QueryTotalSupplyRequest {
                pagination: Some(page(key)),
            };
            let resp: QueryTotalSupplyResponse =
                self.query_proto("/cosmos.bank.v1beta1.Query/TotalSupply", &req)?;
            for c in resp.supply {
                out.push((c.denom, parse_amount(&c.amount)?));
            }
            match resp.pagination {
                Some(p) if !p.next_key.is_empty() => key = p.next_key,
                _ => return Ok(out),
            }
        }
    }

    /// Total supply of one denom.
    pub fn supply_of(&self, denom: &str) -> Result<u128> {
        let req = QuerySupplyOfRequest {
            denom: denom.to_string(),
        };
        let resp: QuerySupplyOfResponse =
            self.query_proto("/cosmos.bank.v1beta1.Query/SupplyOf", &req)?;
        match resp.amount {
            Some(c) => parse_amount(&c.amount),
            None => Ok(0),
        }
    }

    /// Runs a tx in simulation (`/cosmos.tx.v1beta1.Service/Simulate` with `tx_bytes`) and returns
    /// the gas it used. A failing tx gives [`ClientError::Simulation`] with the node's log.
    pub fn simulate(&self, tx_bytes: &[u8]) -> Result<u64> {
        #[allow(deprecated)]
        let req = SimulateRequest {
            tx: None,
            tx_bytes: tx_bytes.to_vec(),
        };
        let resp: SimulateResponse =
            match self.query_proto("/cosmos.tx.v1beta1.Service/Simulate", &req) {
                Ok(r) => r,
                Err(ClientError::Query {
                    code,
                    codespace,
                    log,
                    ..
                }) => {
                    return Err(ClientError::Simulation {
                        code,
                        codespace,
                        log,
                    })
                }
                Err(e) => return Err(e),
            };
        resp.gas_info
            .map(|g| g.gas_used)
            .ok_or_else(|| ClientError::BadResponse("Simulate response has no gas_info".into()))
    }
}

fn page(key: Vec<u8>) -> PageRequest {
    PageRequest {
        key,
        offset: 0,
        limit: 100,
        count_total: false,
        reverse: false,
    }
}

/// Decodes an account `Any` into its signing data.
pub fn decode_account(type_url: &str, value: &[u8]) -> Result<BaseAccount> {
    let dec = |what: &str, e: prost::DecodeError| ClientError::Decode {
        what: what.to_string(),
        source: e,
    };
    let from_vesting = |b: Option<BaseVestingAccount>| b.and_then(|b| b.base_account);
    let base: Option<ProtoBaseAccount> = match type_url {
        "/cosmos.auth.v1beta1.BaseAccount" => {
            Some(ProtoBaseAccount::decode(value).map_err(|e| dec(type_url, e))?)
        }
        "/cosmos.auth.v1beta1.ModuleAccount" => {
            ModuleAccount::decode(value)
                .map_err(|e| dec(type_url, e))?
                .base_account
        }
        "/cosmos.vesting.v1beta1.BaseVestingAccount" => from_vesting(Some(
            BaseVestingAccount::decode(value).map_err(|e| dec(type_url, e))?,
        )),
        "/cosmos.vesting.v1beta1.ContinuousVestingAccount" => from_vesting(
            ContinuousVestingAccount::decode(value)
                .map_err(|e| dec(type_url, e))?
                .base_vesting_account,
        ),
        "/cosmos.vesting.v1beta1.DelayedVestingAccount" => from_vesting(
            DelayedVestingAccount::decode(value)
                .map_err(|e| dec(type_url, e))?
                .base_vesting_account,
        ),
        "/cosmos.vesting.v1beta1.PeriodicVestingAccount" => from_vesting(
            PeriodicVestingAccount::decode(value)
                .map_err(|e| dec(type_url, e))?
                .base_vesting_account,
        ),
        "/cosmos.vesting.v1beta1.PermanentLockedAccount" => from_vesting(
            PermanentLockedAccount::decode(value)
                .map_err(|e| dec(type_url, e))?
                .base_vesting_account,
        ),
        other => {
            return Err(ClientError::BadResponse(format!(
                "unsupported account type {other}"
            )))
        }
    };
    let base = base.ok_or_else(|| {
        ClientError::BadResponse(format!("account of type {type_url} has no base account"))
    })?;
    let pubkey = match base.pub_key {
        None => None,
        Some(pk) if pk.type_url == SECP256K1_PUBKEY_TYPE_URL => {
            let key =
                cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(pk.value.as_slice())
                    .map_err(|e| dec("account secp256k1 public key", e))?;
            Some(AccountPubKey {
                type_url: pk.type_url,
                key: key.key,
            })
        }
        Some(pk) => Some(AccountPubKey {
            type_url: pk.type_url,
            key: pk.value,
        }),
    };
    Ok(BaseAccount {
        address: base.address,
        account_number: base.account_number,
        sequence: base.sequence,
        pubkey,
        type_url: type_url.to_string(),
    })
}

fn request_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    // A 12-digit id like cosmjs; the counter keeps ids distinct within a process.
    100_000_000_000 + (seed * 1000 + NEXT.fetch_add(1, Ordering::Relaxed)) % 900_000_000_000
}

/// `http://host:port` from what a user may type (`tcp://host:port`, `host:port`, trailing `/`).
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let url = if let Some(rest) = url.strip_prefix("tcp://") {
        format!("http://{rest}")
    } else if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    };
    url.trim_end_matches('/').to_string()
}

/// Checks a tx hash (64 hex digits, optional `0x`) and returns it upper-case.
pub fn normalize_hash(hash: &str) -> Result<String> {
    let h = hash.trim();
    let h = h.strip_prefix("0x").unwrap_or(h);
    if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ClientError::InvalidArgument(format!(
            "{hash:?} is not a tx hash: expected 64 hex digits"
        )));
    }
    Ok(h.to_ascii_uppercase())
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        s.to_string()
    } else {
        let mut end = n;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

fn rpc_error(v: &Value) -> Option<ClientError> {
    let e = v.get("error")?;
    if e.is_null() {
        return None;
    }
    let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = e
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let data = match e.get("data") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Some(ClientError::Rpc {
        code,
        message,
        data,
    })
}

// ---- tolerant field readers: CometBFT writes 64-bit ints as strings, 32-bit as numbers ----

fn field<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, k| cur.get(k))
}

fn opt_str(v: &Value, path: &str) -> String {
    match field(v, path) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn req_str(v: &Value, path: &str, what: &str) -> Result<String> {
    match field(v, path) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(ClientError::BadResponse(format!(
            "{what}: missing string `{path}`"
        ))),
    }
}

fn opt_u64(v: &Value, path: &str) -> Result<u64> {
    match field(v, path) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
            ClientError::BadResponse(format!("`{path}` is not an unsigned integer"))
        }),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| ClientError::BadResponse(format!("`{path}` is not an integer: {s:?}"))),
        Some(other) => Err(ClientError::BadResponse(format!(
            "`{path}` is not an integer: {other}"
        ))),
    }
}

fn opt_u32(v: &Value, path: &str) -> Result<u32> {
    let n = opt_u64(v, path)?;
    u32::try_from(n).map_err(|_| ClientError::BadResponse(format!("`{path}` = {n} is too large")))
}

fn opt_b64(v: &Value, path: &str) -> Result<Vec<u8>> {
    match field(v, path) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => B64
            .decode(s)
            .map_err(|e| ClientError::BadResponse(format!("`{path}` is not base64: {e}"))),
        Some(other) => Err(ClientError::BadResponse(format!(
            "`{path}` is not a base64 string: {other}"
        ))),
    }
}

fn parse_status(r: &Value) -> Result<Status> {
    let catching_up = match field(r, "sync_info.catching_up") {
        Some(Value::Bool(b)) => *b,
        _ => false,
    };
    Ok(Status {
        chain_id: req_str(r, "node_info.network", "status")?,
        latest_height: opt_u64(r, "sync_info.latest_block_height")?,
        latest_block_hash: opt_str(r, "sync_info.latest_block_hash"),
        latest_app_hash: opt_str(r, "sync_info.latest_app_hash"),
        latest_block_time: opt_str(r, "sync_info.latest_block_time"),
        node_version: opt_str(r, "node_info.version"),
        moniker: opt_str(r, "node_info.moniker"),
        catching_up,
    })
}

fn parse_events(v: Option<&Value>) -> Vec<Event> {
    let Some(Value::Array(events)) = v else {
        return Vec::new();
    };
    events
        .iter()
        .map(|e| Event {
            kind: opt_str(e, "type"),
            attributes: match e.get("attributes") {
                Some(Value::Array(attrs)) => attrs
                    .iter()
                    .map(|a| EventAttribute {
                        key: opt_str(a, "key"),
                        value: opt_str(a, "value"),
                    })
                    .collect(),
                _ => Vec::new(),
            },
        })
        .collect()
}

fn parse_tx(t: &Value) -> Result<TxInfo> {
    let res = t.get("tx_result").cloned().unwrap_or(Value::Null);
    Ok(TxInfo {
        hash: req_str(t, "hash", "tx_search")?.to_ascii_uppercase(),
        height: opt_u64(t, "height")?,
        index: opt_u32(t, "index")?,
        tx: opt_b64(t, "tx")?,
        code: opt_u32(&res, "code")?,
        codespace: opt_str(&res, "codespace"),
        log: opt_str(&res, "log"),
        gas_wanted: opt_u64(&res, "gas_wanted")?,
        gas_used: opt_u64(&res, "gas_used")?,
        events: parse_events(res.get("events")),
    })
}

fn parse_block(r: &Value) -> Result<Block> {
    let txs = match field(r, "block.data.txs") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|t| match t {
                Value::String(s) => B64
                    .decode(s)
                    .map_err(|e| ClientError::BadResponse(format!("block tx is not base64: {e}"))),
                other => Err(ClientError::BadResponse(format!(
                    "block tx is not a string: {other}"
                ))),
            })
            .collect::<Result<Vec<_>>>()?,
        _ => Vec::new(),
    };
    Ok(Block {
        hash: opt_str(r, "block_id.hash"),
        height: opt_u64(r, "block.header.height")?,
        chain_id: opt_str(r, "block.header.chain_id"),
        time: opt_str(r, "block.header.time"),
        app_hash: opt_str(r, "block.header.app_hash"),
        proposer_address: opt_str(r, "block.header.proposer_address"),
        txs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalized() {
        assert_eq!(
            normalize_url("tcp://127.0.0.1:26657"),
            "http://127.0.0.1:26657"
        );
        assert_eq!(normalize_url("localhost:26657/"), "http://localhost:26657");
        assert_eq!(normalize_url("http://node:1/rpc/"), "http://node:1/rpc");
    }

    #[test]
    fn hashes_are_checked() {
        let h = "ab".repeat(32);
        assert_eq!(normalize_hash(&h).unwrap(), "AB".repeat(32));
        assert_eq!(normalize_hash(&format!("0x{h}")).unwrap(), "AB".repeat(32));
        assert!(normalize_hash("abc").is_err());
        assert!(normalize_hash(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn parses_status_shape() {
        let v: Value = serde_json::from_str(
            r#"{"node_info":{"network":"kumo-devnet","version":"0.38.17","moniker":"n"},
                "sync_info":{"latest_block_hash":"AA","latest_app_hash":"BB",
                "latest_block_height":"42","latest_block_time":"2026-01-01T00:00:00Z","catching_up":false}}"#,
        )
        .unwrap();
        let s = parse_status(&v).unwrap();
        assert_eq!(s.chain_id, "kumo-devnet");
        assert_eq!(s.latest_height, 42);
        assert_eq!(s.latest_app_hash, "BB");
        assert_eq!(s.node_version, "0.38.17");
        assert!(!s.catching_up);
        let bad: Value = serde_json::from_str(r#"{"sync_info":{}}"#).unwrap();
        assert!(parse_status(&bad)
            .unwrap_err()
            .to_string()
            .contains("node_info.network"));
    }

    #[test]
    fn parses_tx_result_shape() {
        let v: Value = serde_json::from_str(
            r#"{"hash":"ab12","height":"4","index":0,"tx":"AQID",
                "tx_result":{"code":5,"log":"spendable balance 1uakt is smaller than 2uakt: insufficient funds",
                "gas_wanted":"117880","gas_used":"92600","codespace":"sdk",
                "events":[{"type":"transfer","attributes":[{"key":"amount","value":"1uakt","index":true}]}]}}"#,
        )
        .unwrap();
        let t = parse_tx(&v).unwrap();
        assert_eq!(t.hash, "AB12");
        assert_eq!((t.height, t.index, t.code), (4, 0, 5));
        assert_eq!(t.tx, vec![1, 2, 3]);
        assert_eq!((t.gas_wanted, t.gas_used), (117_880, 92_600));
        assert_eq!(t.events[0].kind, "transfer");
        assert_eq!(t.events[0].attributes[0].value, "1uakt");
    }

    #[test]
    fn decodes_accounts() {
        let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey { key: vec![2; 33] };
        let base = ProtoBaseAccount {
            address: "akash1x".into(),
            pub_key: Some(cosmos_sdk_proto::Any {
                type_url: SECP256K1_PUBKEY_TYPE_URL.into(),
                value: pk.encode_to_vec(),
            }),
            account_number: 7,
            sequence: 3,
        };
        let a = decode_account("/cosmos.auth.v1beta1.BaseAccount", &base.encode_to_vec()).unwrap();
        assert_eq!((a.account_number, a.sequence), (7, 3));
        assert_eq!(a.pubkey.unwrap().key, vec![2; 33]);
        let module = ModuleAccount {
            base_account: Some(ProtoBaseAccount {
                pub_key: None,
                ..base.clone()
            }),
            name: "fee_collector".into(),
            permissions: vec![],
        };
        let m = decode_account(
            "/cosmos.auth.v1beta1.ModuleAccount",
            &module.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(m.address, "akash1x");
        assert!(m.pubkey.is_none());
        let vest = ContinuousVestingAccount {
            base_vesting_account: Some(BaseVestingAccount {
                base_account: Some(base.clone()),
                ..Default::default()
            }),
            start_time: 0,
        };
        let v = decode_account(
            "/cosmos.vesting.v1beta1.ContinuousVestingAccount",
            &vest.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(v.account_number, 7);
        assert!(decode_account("/x.Unknown", &[]).is_err());
    }
}
