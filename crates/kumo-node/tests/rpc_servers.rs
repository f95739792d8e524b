//! The JSON-RPC, websocket, gRPC and REST front ends over a fixed in-test `RpcBackend`,
//! checking the exact CometBFT 0.38 / gRPC / grpc-gateway shapes on real loopback sockets.

use base64::Engine;
use kumo_app::abci::{BlockTime, Event, InfoResponse, QueryResult, TxResult};
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::rpc::{event_matches, serve_grpc, serve_jsonrpc, serve_rest};
use kumo_node::types::*;
use prost::Message;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TIME1: BlockTime = BlockTime {
    seconds: 1_795_584_338,
    nanos: 648_000_000,
};
const TIME2: BlockTime = BlockTime {
    seconds: 1_795_584_339,
    nanos: 5,
};
const NOT_FOUND_LOG: &str =
    "rpc error: code = NotFound desc = account akash1missing not found: key not found";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn tx_events() -> Vec<Event> {
    vec![
        Event::new("message").attr("sender", "akash1sender"),
        Event::new("transfer")
            .attr("recipient", "akash1recipient")
            .attr("amount", "5uakt"),
    ]
}

fn indexed_tx() -> IndexedTx {
    IndexedTx {
        hash: sha(b"tx-one"),
        height: 2,
        index: 0,
        tx: b"tx-one".to_vec(),
        result: TxResult {
            code: 0,
            codespace: String::new(),
            log: String::new(),
            info: String::new(),
            data: vec![0x12, 0x34],
            gas_wanted: 117_880,
            gas_used: 92_600,
            events: tx_events(),
        },
    }
}

fn header(height: u64) -> Header {
    Header {
        chain_id: "kumo-test".into(),
        height,
        time: if height == 1 { TIME1 } else { TIME2 },
        last_block_id: (height > 1).then(|| block_id(height - 1)),
        last_commit_hash: [0x01; 32],
        data_hash: [0x02; 32],
        validators_hash: [0x03; 32],
        next_validators_hash: [0x03; 32],
        consensus_hash: [0x04; 32],
        app_hash: [0x05; 32],
        last_results_hash: [0x06; 32],
        evidence_hash: [0x07; 32],
        proposer_address: [0xAA; 20],
    }
}

fn block_id(height: u64) -> BlockId {
    BlockId {
        hash: [height as u8 * 0x10; 32],
        parts_total: 1,
        parts_hash: [0xEE; 32],
    }
}

fn commit(height: u64) -> Commit {
    Commit {
        height,
        round: 0,
        block_id: Some(block_id(height)),
        signatures: vec![CommitSig {
            block_id_flag: 2,
            validator_address: [0xAA; 20],
            timestamp: TIME2,
            signature: vec![9; 64],
        }],
    }
}

fn stored_block(height: u64) -> StoredBlock {
    let txs = if height == 2 {
        vec![b"tx-one".to_vec()]
    } else {
        vec![]
    };
    StoredBlock {
        block_id: block_id(height),
        num_txs: txs.len() as u64,
        block: Block {
            header: header(height),
            txs,
            last_commit: if height == 1 {
                Commit::default()
            } else {
                commit(height - 1)
            },
        },
        size: 500 + height,
    }
}

fn block_results(height: u64) -> BlockResults {
    BlockResults {
        height,
        tx_results: if height == 2 {
            vec![indexed_tx().result]
        } else {
            vec![]
        },
        finalize_block_events: vec![Event::new("mint").attr("amount", "100")],
        validator_updates: vec![],
        app_hash: [0x05; 32],
    }
}

/// Fixed chain: blocks 1 and 2, one tx in block 2, a balance query and a NotFound query.
struct Fixture {
    events: tokio::sync::broadcast::Sender<NodeEvent>,
    checked: Mutex<Vec<Vec<u8>>>,
    /// Whether check_tx should emit the tx's NodeEvent::Tx shortly after (broadcast_tx_commit).
    commit_after_check: bool,
}

impl Fixture {
    fn new(commit_after_check: bool) -> Arc<Self> {
        let (events, _) = tokio::sync::broadcast::channel(64);
        Arc::new(Fixture {
            events,
            checked: Mutex::new(vec![]),
            commit_after_check,
        })
    }
}

impl RpcBackend for Fixture {
    fn node_info(&self) -> NodeInfo {
        NodeInfo {
            chain_id: "kumo-test".into(),
            moniker: "node0".into(),
            node_id: [0x11; 20],
            p2p_listen_addr: "tcp://127.0.0.1:26656".into(),
            rpc_listen_addr: "tcp://127.0.0.1:26657".into(),
            version: "0.38.17".into(),
        }
    }
    fn validator(&self) -> ValidatorInfo {
        ValidatorInfo {
            address: [0xAA; 20],
            pub_key: [0x22; 32],
            voting_power: 10,
            proposer_priority: 0,
        }
    }
    fn latest_height(&self) -> u64 {
        2
    }
    fn earliest_height(&self) -> u64 {
        1
    }
    fn block(&self, height: u64) -> Option<StoredBlock> {
        (1..=2).contains(&height).then(|| stored_block(height))
    }
    fn block_by_hash(&self, hash: &[u8; 32]) -> Option<StoredBlock> {
        (1..=2).map(stored_block).find(|b| &b.block_id.hash == hash)
    }
    fn block_results(&self, height: u64) -> Option<BlockResults> {
        (1..=2).contains(&height).then(|| block_results(height))
    }
    fn commit(&self, height: u64) -> Option<Commit> {
        (1..=2).contains(&height).then(|| commit(height))
    }
    fn tx(&self, hash: &[u8; 32]) -> Option<IndexedTx> {
        let t = indexed_tx();
        (&t.hash == hash).then_some(t)
    }
    fn tx_search(
        &self,
        query: &TxQuery,
        page: u64,
        per_page: u64,
        _desc: bool,
    ) -> Result<(Vec<IndexedTx>, u64), String> {
        let all: Vec<IndexedTx> = vec![indexed_tx()]
            .into_iter()
            .filter(|t| event_matches(query, &t.result.events, t.height, &t.hash))
            .collect();
        let total = all.len() as u64;
        let skip = ((page - 1) * per_page) as usize;
        Ok((
            all.into_iter().skip(skip).take(per_page as usize).collect(),
            total,
        ))
    }
    fn abci_query(&self, path: &str, data: &[u8], height: u64) -> QueryResult {
        let h = if height == 0 { 2 } else { height };
        match path {
            "/cosmos.bank.v1beta1.Query/Balance" => {
                let req =
                    cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest::decode(data)
                        .unwrap_or_default();
                let resp = cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse {
                    balance: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                        denom: req.denom,
                        amount: if req.address == "akash1rich" {
                            "10".into()
                        } else {
                            "0".into()
                        },
                    }),
                };
                QueryResult {
                    value: resp.encode_to_vec(),
                    height: h,
                    ..Default::default()
                }
            }
            "/cosmos.bank.v1beta1.Query/AllBalances" => {
                let resp = cosmos_sdk_proto::cosmos::bank::v1beta1::QueryAllBalancesResponse {
                    balances: vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                        denom: "uakt".into(),
                        amount: "10".into(),
                    }],
                    pagination: Some(
                        cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse {
                            next_key: vec![],
                            total: 1,
                        },
                    ),
                };
                QueryResult {
                    value: resp.encode_to_vec(),
                    height: h,
                    ..Default::default()
                }
            }
            "/cosmos.auth.v1beta1.Query/Account" => {
                let req =
                    cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest::decode(data)
                        .unwrap_or_default();
                if req.address != "akash1rich" {
                    return QueryResult {
                        code: 22,
                        codespace: "sdk".into(),
                        log: NOT_FOUND_LOG.into(),
                        value: vec![],
                        height: h,
                        grpc_code: 5,
                    };
                }
                let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey { key: vec![2; 33] };
                let acc = cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount {
                    address: req.address,
                    pub_key: Some(cosmos_sdk_proto::Any {
                        type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
                        value: pk.encode_to_vec(),
                    }),
                    account_number: 7,
                    sequence: 3,
                };
                let resp = cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountResponse {
                    account: Some(cosmos_sdk_proto::Any {
                        type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                        value: acc.encode_to_vec(),
                    }),
                };
                QueryResult {
                    value: resp.encode_to_vec(),
                    height: h,
                    ..Default::default()
                }
            }
            _ => QueryResult {
                code: 6,
                codespace: "sdk".into(),
                log: format!("unknown query path {path}: unknown request"),
                height: h,
                grpc_code: 12,
                ..Default::default()
            },
        }
    }
    fn abci_info(&self) -> InfoResponse {
        InfoResponse {
            data: "kumo".into(),
            version: "0.1.0".into(),
            app_version: 0,
            last_block_height: 2,
            last_block_app_hash: [0x05; 32],
        }
    }
    fn check_tx(&self, tx: Vec<u8>) -> Result<TxResult, MempoolError> {
        if tx == b"dup" {
            return Err(MempoolError::AlreadyInCache);
        }
        self.checked.lock().unwrap().push(tx.clone());
        if tx == b"bad-seq" {
            return Ok(TxResult {
                code: 32,
                codespace: "sdk".into(),
                log: "account sequence mismatch, expected 5, got 4: incorrect account sequence"
                    .into(),
                ..Default::default()
            });
        }
        if self.commit_after_check {
            let events = self.events.clone();
            let t = IndexedTx {
                hash: sha(&tx),
                height: 3,
                index: 0,
                tx: tx.clone(),
                result: indexed_tx().result,
            };
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(50));
                let _ = events.send(NodeEvent::Tx(Arc::new(t)));
            });
        }
        Ok(TxResult {
            gas_wanted: 200_000,
            gas_used: 50_000,
            ..Default::default()
        })
    }
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }
    fn genesis_json(&self) -> Value {
        json!({"chain_id": "kumo-test", "initial_height": "1"})
    }
    fn unconfirmed_txs(&self, limit: usize) -> (Vec<Vec<u8>>, usize, usize) {
        let txs = vec![b"pending".to_vec()];
        (txs.into_iter().take(limit).collect(), 1, 7)
    }
}

async fn listener() -> (TcpListener, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

async fn start_jsonrpc(fx: Arc<Fixture>) -> std::net::SocketAddr {
    let (l, a) = listener().await;
    tokio::spawn(serve_jsonrpc(fx, l));
    a
}

/// Minimal HTTP/1.1 client: returns (status, body).
async fn http(addr: std::net::SocketAddr, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("http head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = buf[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    (status, body)
}

async fn rpc(addr: std::net::SocketAddr, method: &str, params: Value) -> Value {
    let req = json!({"jsonrpc": "2.0", "id": 123456789012u64, "method": method, "params": params});
    let (status, body) = http(addr, "POST", "/", req.to_string().as_bytes()).await;
    assert_eq!(status, 200, "JSON-RPC answers 200 even for errors");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["jsonrpc"], "2.0");
    assert_eq!(v["id"], 123456789012u64);
    v
}

async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, Value) {
    let (status, body) = http(addr, "GET", path, b"").await;
    (status, serde_json::from_slice(&body).unwrap())
}

fn expected_result_tx() -> Value {
    json!({
        "hash": hex::encode_upper(sha(b"tx-one")),
        "height": "2",
        "index": 0,
        "tx": b64(b"tx-one"),
        "tx_result": {
            "code": 0, "data": "EjQ=", "log": "", "info": "", "gas_wanted": "117880", "gas_used": "92600",
            "events": [
                {"type": "message", "attributes": [{"key": "sender", "value": "akash1sender", "index": true}]},
                {"type": "transfer", "attributes": [
                    {"key": "recipient", "value": "akash1recipient", "index": true},
                    {"key": "amount", "value": "5uakt", "index": true}]}
            ],
            "codespace": ""
        }
    })
}

#[tokio::test]
async fn status_has_the_exact_cometbft_shape() {
    let addr = start_jsonrpc(Fixture::new(false)).await;
    let v = rpc(addr, "status", json!({})).await;
    let expected = json!({
        "node_info": {
            "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
            "id": "1111111111111111111111111111111111111111",
            "listen_addr": "tcp://127.0.0.1:26656",
            "network": "kumo-test",
            "version": "0.38.17",
            "channels": "40202122233038606100",
            "moniker": "node0",
            "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657"}
        },
        "sync_info": {
            "latest_block_hash": "20".repeat(32),
            "latest_app_hash": "05".repeat(32),
            "latest_block_height": "2",
            "latest_block_time": "2026-11-25T05:25:39.000000005Z",
            "earliest_block_hash": "10".repeat(32),
            "earliest_app_hash": "05".repeat(32),
            "earliest_block_height": "1",
            "earliest_block_time": "2026-11-25T05:25:38.648000000Z",
            "catching_up": false
        },
        "validator_info": {
            "address": "AA".repeat(20),
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(&[0x22; 32])},
            "voting_power": "10"
        }
    });
    assert_eq!(v["result"], expected);
    assert!(v.get("error").is_none());
}

#[tokio::test]
async fn abci_query_success_error_and_height_rules() {
    let addr = start_jsonrpc(Fixture::new(false)).await;
    let req = cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
        address: "akash1rich".into(),
        denom: "uakt".into(),
    };
    let data = hex::encode(req.encode_to_vec());
    let v = rpc(
        addr,
        "abci_query",
        json!({"path": "/cosmos.bank.v1beta1.Query/Balance", "data": data, "prove": false}),
    )
    .await;
    let resp = &v["result"]["response"];
    let value = base64::engine::general_purpose::STANDARD
        .decode(resp["value"].as_str().unwrap())
        .unwrap();
    let bal =
        cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(value.as_slice())
            .unwrap();
    assert_eq!(bal.balance.unwrap().amount, "10");
    assert_eq!(
        resp,
        &json!({"code": 0, "log": "", "info": "", "index": "0", "key": null, "value": resp["value"],
                "proofOps": null, "height": "2", "codespace": ""})
    );

    // Explicit height is passed through and echoed.
    let v = rpc(
        addr,
        "abci_query",
        json!({"path": "/cosmos.bank.v1beta1.Query/Balance", "data": data, "height": "1"}),
    )
    .await;
    assert_eq!(v["result"]["response"]["height"], "1");

    // NotFound comes back as a result with code 22, not a JSON-RPC error.
    let req = cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest {
        address: "akash1missing".into(),
    };
    let v = rpc(addr, "abci_query", json!({"path": "/cosmos.auth.v1beta1.Query/Account", "data": hex::encode(req.encode_to_vec())})).await;
    let resp = &v["result"]["response"];
    assert_eq!(resp["code"], 22);
    assert_eq!(resp["codespace"], "sdk");
    assert_eq!(resp["log"], NOT_FOUND_LOG);
    assert_eq!(resp["value"], Value::Null);
    assert_eq!(resp["height"], "2");

    let v = rpc(
        addr,
        "abci_query",
        json!({"path": "/x", "data": "", "height": "9"}),
    )
    .await;
    assert_eq!(
        v["error"],
        json!({"code": -32603, "message": "Internal error",
               "data": "height 9 must be less than or equal to the current blockchain height 2"})
    );
    let v = rpc(addr, "abci_query", json!({"path": "/x", "data": "zz"})).await;
    assert_eq!(v["error"]["code"], -32602);
    assert!(v["error"]["data"].as_str().unwrap().contains("data"), "{v}");
    let v = rpc(addr, "abci_query", json!({"data": "00"})).await;
    assert_eq!(v["error"]["code"], -32602);
    assert!(v["error"]["data"].as_str().unwrap().contains("path"), "{v}");
}

#[tokio::test]
async fn tx_and_tx_search_return_result_tx() {
    let addr = start_jsonrpc(Fixture::new(false)).await;
    let hash_hex = hex::encode_upper(sha(b"tx-one"));
    let v = rpc(
        addr,
        "tx_search",
        json!({"query": format!("tx.hash='{hash_hex}'"), "page": "1"}),
    )
    .await;
    assert_eq!(
        v["result"],
        json!({"txs": [expected_result_tx()], "total_count": "1"})
    );

    let v = rpc(
        addr,
        "tx_search",
        json!({"query": "message.sender='akash1sender' AND transfer.amount='5uakt'"}),
    )
    .await;
    assert_eq!(v["result"]["total_count"], "1");
    let v = rpc(addr, "tx_search", json!({"query": "tx.height=5"})).await;
    assert_eq!(v["result"], json!({"txs": [], "total_count": "0"}));
    let v = rpc(
        addr,
        "tx_search",
        json!({"query": "tx.height=2", "per_page": "1", "page": "2"}),
    )
    .await;
    assert_eq!(v["error"]["code"], -32603);
    assert_eq!(
        v["error"]["data"],
        "page should be within [1, 1] range, given 2"
    );
    let v = rpc(
        addr,
        "tx_search",
        json!({"query": "tx.height = 'unterminated"}),
    )
    .await;
    assert_eq!(v["error"]["code"], -32603);
    let v = rpc(
        addr,
        "tx_search",
        json!({"query": "tx.height=2", "order_by": "sideways"}),
    )
    .await;
    assert_eq!(v["error"]["code"], -32602);

    // `tx` takes the hash as base64 ([]byte) and also hex.
    let v = rpc(addr, "tx", json!({"hash": b64(&sha(b"tx-one"))})).await;
    assert_eq!(v["result"], expected_result_tx());
    let v = rpc(addr, "tx", json!({"hash": hash_hex})).await;
    assert_eq!(v["result"], expected_result_tx());
    let v = rpc(addr, "tx", json!({"hash": b64(&[0; 32])})).await;
    assert_eq!(
        v["error"],
        json!({"code": -32603, "message": "Internal error", "data": format!("tx ({}) not found", "00".repeat(32))})
    );
}

#[tokio::test]
async fn block_at_height_one_has_empty_last_block_id() {
    let addr = start_jsonrpc(Fixture::new(false)).await;
    let v = rpc(addr, "block", json!({"height": "1"})).await;
    let expected = json!({
        "block_id": {"hash": "10".repeat(32), "parts": {"total": 1, "hash": "EE".repeat(32)}},
        "block": {
            "header": {
                "version": {"block": "11", "app": "0"},
                "chain_id": "kumo-test",
                "height": "1",
                "time": "2026-11-25T05:25:38.648000000Z",
                "last_block_id": {"hash": "", "parts": {"total": 0, "hash": ""}},
                "last_commit_hash": "01".repeat(32),
                "data_hash": "02".repeat(32),
                "validators_hash": "03".repeat(32),
                "next_validators_hash": "03".repeat(32),
                "consensus_hash": "04".repeat(32),
                "app_hash": "05".repeat(32),
                "last_results_hash": "06".repeat(32),
                "evidence_hash": "07".repeat(32),
                "proposer_address": "AA".repeat(20)
            },
            "data": {"txs": []},
            "evidence": {"evidence": []},
            "last_commit": {
                "height": "0", "round": 0,
                "block_id": {"hash": "", "parts": {"total": 0, "hash": ""}},
                "signatures": []
            }
        }
    });
    assert_eq!(v["result"], expected);

    let v = rpc(addr, "block", json!({})).await;
    let b = &v["result"]["block"];
    assert_eq!(b["header"]["height"], "2");
    assert_eq!(b["data"]["txs"], json!([b64(b"tx-one")]));
    assert_eq!(b["header"]["last_block_id"]["hash"], "10".repeat(32));
    assert_eq!(
        b["last_commit"]["signatures"],
        json!([{"block_id_flag": 2, "validator_address": "AA".repeat(20),
                "timestamp": "2026-11-25T05:25:39.000000005Z", "signature": b64(&[9; 64])}])
    );

    let v = rpc(addr, "block", json!({"height": "3"})).await;
    assert_eq!(
        v["error"]["data"],
        "height 3 must be less than or equal to the current blockchain height 2"
    );
    let v = rpc(addr, "block", json!({"height": "abc"})).await;
    assert_eq!(v["error"]["code"], -32602);
    assert!(v["error"]["data"].as_str().unwrap().starts_with("height:"));

    let v = rpc(addr, "block_by_hash", json!({"hash": b64(&[0x20; 32])})).await;
    assert_eq!(v["result"]["block"]["header"]["height"], "2");
    let v = rpc(addr, "block_by_hash", json!({"hash": b64(&[0x99; 32])})).await;
    assert_eq!(
        v["result"],
        json!({"block_id": {"hash": "", "parts": {"total": 0, "hash": ""}}, "block": null})
    );
}

#[tokio::test]
async fn other_read_methods() {
    let addr = start_jsonrpc(Fixture::new(false)).await;
    assert_eq!(rpc(addr, "health", json!({})).await["result"], json!({}));
    assert_eq!(
        rpc(addr, "abci_info", json!({})).await["result"],
        json!({"response": {"data": "kumo", "version": "0.1.0", "app_version": "0",
                            "last_block_height": "2", "last_block_app_hash": b64(&[5; 32])}})
    );
    let v = rpc(addr, "block_results", json!({"height": "2"})).await;
    assert_eq!(
        v["result"],
        json!({"height": "2", "txs_results": [expected_result_tx()["tx_result"]],
               "finalize_block_events": [{"type": "mint", "attributes": [{"key": "amount", "value": "100", "index": true}]}],
               "validator_updates": [], "consensus_param_updates": null, "app_hash": "05".repeat(32)})
    );
    let v = rpc(
        addr,
        "blockchain",
        json!({"minHeight": "1", "maxHeight": "10"}),
    )
    .await;
    assert_eq!(v["result"]["last_height"], "2");
    let metas = v["result"]["block_metas"].as_array().unwrap();
    assert_eq!(metas.len(), 2);
    assert_eq!(metas[0]["header"]["height"], "2", "newest first");
    assert_eq!(metas[0]["num_txs"], "1");
    assert_eq!(metas[0]["block_size"], "502");
    assert_eq!(metas[1]["block_id"]["hash"], "10".repeat(32));

    let v = rpc(addr, "commit", json!({"height": "2"})).await;
    assert_eq!(v["result"]["canonical"], true);
    assert_eq!(v["result"]["signed_header"]["header"]["height"], "2");
    assert_eq!(
        v["result"]["signed_header"]["commit"]["block_id"]["hash"],
        "20".repeat(32)
    );

    let v = rpc(addr, "validators", json!({})).await;
    assert_eq!(
        v["result"],
        json!({"block_height": "2", "validators": [{"address": "AA".repeat(20),
               "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(&[0x22; 32])},
               "voting_power": "10", "proposer_priority": "0"}], "count": "1", "total": "1"})
    );
    assert_eq!(
        rpc(addr, "genesis", json!({})).await["result"],
        json!({"genesis": {"chain_id": "kumo-test", "initial_height": "1"}})
    );
    assert_eq!(
        rpc(addr, "num_unconfirmed_txs", json!({})).await["result"],
        json!({"n_txs": "1", "total": "1", "total_bytes": "7", "txs": null})
    );
    assert_eq!(
        rpc(addr, "unconfirmed_txs", json!({"limit": "5"})).await["result"],
        json!({"n_txs": "1", "total": "1", "total_bytes": "7", "txs": [b64(b"pending")]})
    );
    let v = rpc(addr, "net_info", json!({})).await;
    assert_eq!(v["result"]["n_peers"], "0");

    let v = rpc(addr, "no_such_method", json!({})).await;
    assert_eq!(v["error"]["code"], -32601);
    assert_eq!(v["error"]["message"], "Method not found");
}

#[tokio::test]
async fn broadcast_methods_and_errors() {
    let fx = Fixture::new(false);
    let addr = start_jsonrpc(fx.clone()).await;
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": b64(b"good")})).await;
    assert_eq!(
        v["result"],
        json!({"code": 0, "data": "", "log": "", "codespace": "", "hash": hex::encode_upper(sha(b"good"))})
    );
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": b64(b"bad-seq")})).await;
    assert_eq!(v["result"]["code"], 32);
    assert_eq!(v["result"]["codespace"], "sdk");
    assert!(v["result"]["log"]
        .as_str()
        .unwrap()
        .starts_with("account sequence mismatch"));

    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": b64(b"dup")})).await;
    assert_eq!(
        v["error"],
        json!({"code": -32603, "message": "Internal error", "data": "tx already exists in cache"})
    );
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": "%%%"})).await;
    assert_eq!(v["error"]["code"], -32602);
    assert!(v["error"]["data"]
        .as_str()
        .unwrap()
        .starts_with("tx: invalid base64"));
    let v = rpc(addr, "broadcast_tx_sync", json!({})).await;
    assert_eq!(v["error"]["code"], -32602);

    let v = rpc(addr, "broadcast_tx_async", json!([b64(b"async-one")])).await;
    assert_eq!(v["result"]["hash"], hex::encode_upper(sha(b"async-one")));
    for _ in 0..100 {
        if fx.checked.lock().unwrap().iter().any(|t| t == b"async-one") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(fx.checked.lock().unwrap().iter().any(|t| t == b"async-one"));
}

#[tokio::test]
async fn broadcast_tx_commit_waits_for_the_tx_event() {
    let addr = start_jsonrpc(Fixture::new(true)).await;
    let v = rpc(
        addr,
        "broadcast_tx_commit",
        json!({"tx": b64(b"commit-me")}),
    )
    .await;
    let r = &v["result"];
    assert_eq!(r["hash"], hex::encode_upper(sha(b"commit-me")));
    assert_eq!(r["height"], "3");
    assert_eq!(r["check_tx"]["gas_wanted"], "200000");
    assert_eq!(r["check_tx"]["code"], 0);
    assert_eq!(r["tx_result"], expected_result_tx()["tx_result"]);

    let v = rpc(addr, "broadcast_tx_commit", json!({"tx": b64(b"bad-seq")})).await;
    assert_eq!(v["result"]["check_tx"]["code"], 32);
    assert_eq!(v["result"]["height"], "0");
}

#[tokio::test]
async fn get_uri_style_and_batches() {
    let addr = start_jsonrpc(Fixture::new(false)).await;
    let (st, v) = get(addr, "/status").await;
    assert_eq!(st, 200);
    assert_eq!(v["id"], -1);
    assert_eq!(v["result"]["node_info"]["version"], "0.38.17");

    let (_, v) = get(addr, "/block?height=1").await;
    assert_eq!(v["result"]["block"]["header"]["height"], "1");

    let req = cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
        address: "akash1rich".into(),
        denom: "uakt".into(),
    };
    let (_, v) = get(
        addr,
        &format!(
            "/abci_query?path=%22/cosmos.bank.v1beta1.Query/Balance%22&data=0x{}",
            hex::encode(req.encode_to_vec())
        ),
    )
    .await;
    assert_eq!(v["result"]["response"]["code"], 0);
    assert_eq!(v["result"]["response"]["height"], "2");

    let (_, v) = get(
        addr,
        &format!("/tx?hash=0x{}", hex::encode_upper(sha(b"tx-one"))),
    )
    .await;
    assert_eq!(v["result"], expected_result_tx());
    let (_, v) = get(addr, "/tx_search?query=%22tx.height%3D2%22&page=1").await;
    assert_eq!(v["result"]["total_count"], "1");

    let (_, v) = get(
        addr,
        &format!("/broadcast_tx_sync?tx=0x{}", hex::encode(b"via-get")),
    )
    .await;
    assert_eq!(v["result"]["hash"], hex::encode_upper(sha(b"via-get")));
    let (_, v) = get(
        addr,
        &format!("/broadcast_tx_sync?tx=%22{}%22", b64(b"via-get2")),
    )
    .await;
    assert_eq!(v["result"]["hash"], hex::encode_upper(sha(b"via-get2")));

    let (st, v) = get(addr, "/block?height=xyz").await;
    assert_eq!(st, 500);
    assert_eq!(v["error"]["code"], -32602);
    let (st, v) = get(addr, "/nope").await;
    assert_eq!(st, 404);
    assert_eq!(v["error"]["code"], -32601);

    // Batch.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "health", "params": {}},
        {"jsonrpc": "2.0", "id": "two", "method": "nope"}
    ]);
    let (st, body) = http(addr, "POST", "/", batch.to_string().as_bytes()).await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v[0], json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    assert_eq!(v[1]["id"], "two");
    assert_eq!(v[1]["error"]["code"], -32601);

    // Parse error and oversized body.
    let (_, body) = http(addr, "POST", "/", b"{not json").await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], -32700);
    let big = vec![b' '; 3 * 1024 * 1024];
    let (st, body) = http(addr, "POST", "/", &big).await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], -32600);
    assert!(v["error"]["data"].as_str().unwrap().contains("too large"));
}

#[tokio::test]
async fn websocket_subscriptions_push_cometbft_events() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMsg;
    let fx = Fixture::new(false);
    let addr = start_jsonrpc(fx.clone()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/websocket"))
        .await
        .unwrap();
    async fn next_json(
        ws: &mut (impl futures::Stream<Item = Result<WsMsg, tokio_tungstenite::tungstenite::Error>>
                  + Unpin),
    ) -> Value {
        loop {
            let m = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next())
                .await
                .expect("ws message")
                .unwrap()
                .unwrap();
            if let WsMsg::Text(t) = m {
                return serde_json::from_str(t.as_str()).unwrap();
            }
        }
    }
    let send = |id: u64, method: &str, params: Value| {
        WsMsg::Text(
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
                .to_string()
                .into(),
        )
    };
    ws.send(send(
        1,
        "subscribe",
        json!({"query": "tm.event='NewBlock'"}),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"jsonrpc": "2.0", "id": 1, "result": {}})
    );
    ws.send(send(
        2,
        "subscribe",
        json!({"query": "tm.event='Tx' AND transfer.amount='5uakt'"}),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"jsonrpc": "2.0", "id": 2, "result": {}})
    );
    ws.send(send(
        3,
        "subscribe",
        json!({"query": "tm.event='Tx' AND transfer.amount='6uakt'"}),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await["id"], 3);
    ws.send(send(
        4,
        "subscribe",
        json!({"query": "tm.event='NewBlock'"}),
    ))
    .await
    .unwrap();
    let dup = next_json(&mut ws).await;
    assert_eq!(dup["error"]["data"], "already subscribed");
    ws.send(send(5, "subscribe", json!({"query": "tm.event="})))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["error"]["code"], -32603);
    // Ordinary methods work over the socket too.
    ws.send(send(6, "health", json!({}))).await.unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"jsonrpc": "2.0", "id": 6, "result": {}})
    );

    fx.events
        .send(NodeEvent::NewBlock {
            block: Arc::new(stored_block(2)),
            results: Arc::new(block_results(2)),
        })
        .unwrap();
    let ev = next_json(&mut ws).await;
    assert_eq!(ev["id"], 1);
    assert_eq!(ev["result"]["query"], "tm.event='NewBlock'");
    assert_eq!(ev["result"]["data"]["type"], "tendermint/event/NewBlock");
    let value = &ev["result"]["data"]["value"];
    assert_eq!(value["block"]["header"]["height"], "2");
    assert_eq!(value["block_id"]["hash"], "20".repeat(32));
    assert_eq!(value["result_finalize_block"]["app_hash"], b64(&[5; 32]));
    assert_eq!(
        value["result_finalize_block"]["tx_results"][0]["gas_used"],
        "92600"
    );
    assert_eq!(
        ev["result"]["events"],
        json!({"tm.event": ["NewBlock"], "mint.amount": ["100"]})
    );

    fx.events
        .send(NodeEvent::Tx(Arc::new(indexed_tx())))
        .unwrap();
    let ev = next_json(&mut ws).await;
    assert_eq!(ev["id"], 2, "only the 5uakt subscription matches");
    assert_eq!(ev["result"]["data"]["type"], "tendermint/event/Tx");
    assert_eq!(
        ev["result"]["data"]["value"],
        json!({"TxResult": {"height": "2", "index": 0, "tx": b64(b"tx-one"), "result": expected_result_tx()["tx_result"]}})
    );
    let events = &ev["result"]["events"];
    assert_eq!(events["tm.event"], json!(["Tx"]));
    assert_eq!(
        events["tx.hash"],
        json!([hex::encode_upper(sha(b"tx-one"))])
    );
    assert_eq!(events["tx.height"], json!(["2"]));
    assert_eq!(events["transfer.amount"], json!(["5uakt"]));

    ws.send(send(
        7,
        "unsubscribe",
        json!({"query": "tm.event='NewBlock'"}),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"jsonrpc": "2.0", "id": 7, "result": {}})
    );
    ws.send(send(
        8,
        "unsubscribe",
        json!({"query": "tm.event='NewBlock'"}),
    ))
    .await
    .unwrap();
    assert_eq!(
        next_json(&mut ws).await["error"]["data"],
        "subscription not found"
    );
    fx.events
        .send(NodeEvent::NewBlock {
            block: Arc::new(stored_block(2)),
            results: Arc::new(block_results(2)),
        })
        .unwrap();
    fx.events
        .send(NodeEvent::Tx(Arc::new(indexed_tx())))
        .unwrap();
    // The NewBlock subscription is gone: the next push is the Tx event.
    assert_eq!(next_json(&mut ws).await["id"], 2);
    ws.send(send(9, "unsubscribe_all", json!({})))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"jsonrpc": "2.0", "id": 9, "result": {}})
    );
}

/// One unary gRPC call over a fresh HTTP/2 connection: (headers, body bytes, trailers).
async fn grpc_call(
    addr: std::net::SocketAddr,
    path: &str,
    msg: &[u8],
    height: Option<&str>,
) -> (http::HeaderMap, Vec<u8>, http::HeaderMap) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    let mut req = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(h) = height {
        req = req.header("x-cosmos-block-height", h);
    }
    let (resp, mut stream) = client.send_request(req.body(()).unwrap(), false).unwrap();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    framed.extend_from_slice(msg);
    stream.send_data(bytes::Bytes::from(framed), true).unwrap();
    let resp = resp.await.unwrap();
    assert_eq!(resp.status(), 200);
    let (parts, mut body) = resp.into_parts();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        body.flow_control().release_capacity(chunk.len()).unwrap();
        data.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await.unwrap().unwrap_or_default();
    (parts.headers, data, trailers)
}

fn unframe(data: &[u8]) -> &[u8] {
    assert!(data.len() >= 5);
    assert_eq!(data[0], 0, "uncompressed");
    let n = u32::from_be_bytes(data[1..5].try_into().unwrap()) as usize;
    assert_eq!(data.len(), 5 + n, "exactly one message");
    &data[5..]
}

#[tokio::test]
async fn grpc_unary_round_trip_over_h2c() {
    let (l, addr) = listener().await;
    tokio::spawn(serve_grpc(Fixture::new(false), l));

    let req = cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
        address: "akash1rich".into(),
        denom: "uakt".into(),
    };
    let (headers, data, trailers) = grpc_call(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &req.encode_to_vec(),
        None,
    )
    .await;
    assert_eq!(headers["content-type"], "application/grpc");
    assert_eq!(headers["x-cosmos-block-height"], "2");
    let resp =
        cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(unframe(&data))
            .unwrap();
    assert_eq!(resp.balance.unwrap().amount, "10");
    assert_eq!(trailers["grpc-status"], "0");
    assert!(trailers.get("grpc-message").is_none());

    // The height metadata reaches the backend and is echoed.
    let (headers, _, trailers) = grpc_call(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &req.encode_to_vec(),
        Some("1"),
    )
    .await;
    assert_eq!(headers["x-cosmos-block-height"], "1");
    assert_eq!(trailers["grpc-status"], "0");
    let (_, data, trailers) = grpc_call(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &req.encode_to_vec(),
        Some("x"),
    )
    .await;
    assert!(data.is_empty());
    assert_eq!(trailers["grpc-status"], "3");

    // NotFound maps to status 5 with the message percent-encoded and the rpc wrapper removed.
    let req = cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest {
        address: "akash1missing".into(),
    };
    let (_, data, trailers) = grpc_call(
        addr,
        "/cosmos.auth.v1beta1.Query/Account",
        &req.encode_to_vec(),
        None,
    )
    .await;
    assert!(data.is_empty());
    assert_eq!(trailers["grpc-status"], "5");
    assert_eq!(
        trailers["grpc-message"],
        "account akash1missing not found: key not found"
    );

    let (_, _, trailers) = grpc_call(addr, "/cosmos.nothing.v1.Query/Nope", b"", None).await;
    assert_eq!(trailers["grpc-status"], "12");

    // BroadcastTx runs CheckTx and answers with a TxResponse.
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{BroadcastTxRequest, BroadcastTxResponse};
    let req = BroadcastTxRequest {
        tx_bytes: b"grpc-tx".to_vec(),
        mode: 2,
    };
    let (_, data, trailers) = grpc_call(
        addr,
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
        &req.encode_to_vec(),
        None,
    )
    .await;
    assert_eq!(trailers["grpc-status"], "0");
    let r = BroadcastTxResponse::decode(unframe(&data))
        .unwrap()
        .tx_response
        .unwrap();
    assert_eq!(r.txhash, hex::encode_upper(sha(b"grpc-tx")));
    assert_eq!(r.code, 0);
    assert_eq!(r.gas_wanted, 200_000);
    let req = BroadcastTxRequest {
        tx_bytes: b"bad-seq".to_vec(),
        mode: 2,
    };
    let (_, data, _) = grpc_call(
        addr,
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
        &req.encode_to_vec(),
        None,
    )
    .await;
    let r = BroadcastTxResponse::decode(unframe(&data))
        .unwrap()
        .tx_response
        .unwrap();
    assert_eq!((r.code, r.codespace.as_str()), (32, "sdk"));
    let req = BroadcastTxRequest {
        tx_bytes: b"dup".to_vec(),
        mode: 2,
    };
    let (_, data, _) = grpc_call(
        addr,
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
        &req.encode_to_vec(),
        None,
    )
    .await;
    let r = BroadcastTxResponse::decode(unframe(&data))
        .unwrap()
        .tx_response
        .unwrap();
    assert_eq!(
        (r.code, r.raw_log.as_str()),
        (19, "tx already exists in cache")
    );
    let req = BroadcastTxRequest {
        tx_bytes: vec![],
        mode: 2,
    };
    let (_, _, trailers) = grpc_call(
        addr,
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
        &req.encode_to_vec(),
        None,
    )
    .await;
    assert_eq!(trailers["grpc-status"], "3");
}

#[tokio::test]
async fn rest_gateway_shapes() {
    let (l, addr) = listener().await;
    tokio::spawn(serve_rest(Fixture::new(false), l));
    let (st, body) = http(addr, "GET", "/cosmos/bank/v1beta1/balances/akash1rich", b"").await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"balances": [{"denom": "uakt", "amount": "10"}], "pagination": {"next_key": null, "total": "1"}})
    );

    let (_, body) = http(
        addr,
        "GET",
        "/cosmos/bank/v1beta1/balances/akash1other/by_denom?denom=uakt",
        b"",
    )
    .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v, json!({"balance": {"denom": "uakt", "amount": "0"}}));

    let (st, body) = http(addr, "GET", "/cosmos/auth/v1beta1/accounts/akash1rich", b"").await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"account": {"@type": "/cosmos.auth.v1beta1.BaseAccount", "address": "akash1rich",
               "pub_key": {"@type": "/cosmos.crypto.secp256k1.PubKey", "key": b64(&[2; 33])},
               "account_number": "7", "sequence": "3"}})
    );

    let (st, body) = http(
        addr,
        "GET",
        "/cosmos/auth/v1beta1/accounts/akash1missing",
        b"",
    )
    .await;
    assert_eq!(st, 404);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"code": 5, "message": "account akash1missing not found: key not found", "details": []})
    );

    let (st, body) = http(
        addr,
        "POST",
        "/cosmos/tx/v1beta1/txs",
        json!({"tx_bytes": b64(b"rest-tx"), "mode": "BROADCAST_MODE_SYNC"})
            .to_string()
            .as_bytes(),
    )
    .await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v["tx_response"]["txhash"],
        hex::encode_upper(sha(b"rest-tx"))
    );
    assert_eq!(v["tx_response"]["code"], 0);
    assert_eq!(v["tx_response"]["gas_wanted"], "200000");
    assert_eq!(v["tx_response"]["height"], "0");

    let (st, body) = http(addr, "GET", "/cosmos/nothing", b"").await;
    assert_eq!(st, 404);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], 5);
}
