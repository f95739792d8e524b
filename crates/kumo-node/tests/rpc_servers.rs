//! The JSON-RPC, websocket, gRPC and REST front ends over a real in-memory `Node` (genesis with
//! funded accounts, real signed txs in produced blocks), checking the exact CometBFT 0.38 / gRPC /
//! grpc-gateway shapes (spec cosmos-compat.md §1.4) on real loopback sockets.

use base64::Engine;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use kumo_app::abci::{BlockTime, Event, TxResult};
use kumo_app::genesis::Genesis;
use kumo_client::tx::to_any;
use kumo_client::{Coin, TxBuilder};
use kumo_crypto::PrivKey;
use kumo_node::home::{Ed25519Key, NodeConfig};
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::rpc::{serve_grpc, serve_jsonrpc, serve_rest};
use kumo_node::types::StoredBlock;
use kumo_node::Node;
use kumo_store::{Store, StoreOptions};
use prost::Message;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHAIN: &str = "kumo-test";
const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
/// A valid key whose address the genesis never funds.
const NOBODY: &str = "legal winner thank year wave sausage worth useful legal winner thank yellow";
const START: u128 = 1_000_000_000;
const SEND: u128 = 12_345;
const FEE: u128 = 5_000;
const GAS: u64 = 200_000;

const TIME1: BlockTime = BlockTime {
    seconds: 1_795_584_338,
    nanos: 648_000_000,
};
const TIME1_TEXT: &str = "2026-11-25T05:25:38.648000000Z";
const TIME2: BlockTime = BlockTime {
    seconds: 1_795_584_339,
    nanos: 5,
};
const TIME2_TEXT: &str = "2026-11-25T05:25:39.000000005Z";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn hexu(b: &[u8]) -> String {
    hex::encode_upper(b)
}

fn key(m: &str) -> PrivKey {
    PrivKey::from_mnemonic(m, "").unwrap()
}

/// A one-validator chain at height 2: block 1 is empty, block 2 holds `tx` (alice sends
/// `SEND` uakt to bob with fee `FEE` and gas limit `GAS`).
struct Net {
    node: Arc<Node>,
    validator: Ed25519Key,
    node_key: Ed25519Key,
    genesis: String,
    alice: PrivKey,
    bob: PrivKey,
    nobody: String,
    tx: Vec<u8>,
    hash: [u8; 32],
    next_second: AtomicI64,
}

impl Net {
    fn new() -> Net {
        let (alice, bob) = (key(ALICE), key(BOB));
        let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
        // These tests count tokens exactly: no minting.
        g.app_state.mint = kumo_app::mint::genesis::GenesisState::no_inflation();
        for k in [&alice, &bob] {
            g.add_account(
                &k.address().to_string(),
                &[kumo_app::coins::Coin::new("uakt", START)],
            )
            .unwrap();
        }
        let genesis = g.to_json();
        let validator = Ed25519Key::generate();
        let node_key = Ed25519Key::generate();
        let node = Arc::new(
            Node::with_parts(
                NodeConfig::new(CHAIN, "node0"),
                &genesis,
                validator.clone(),
                &node_key,
                Store::in_memory(StoreOptions::default()).unwrap(),
            )
            .unwrap(),
        );
        let mut net = Net {
            node,
            validator,
            node_key,
            genesis,
            nobody: key(NOBODY).address().to_string(),
            alice,
            bob,
            tx: vec![],
            hash: [0; 32],
            next_second: AtomicI64::new(TIME2.seconds + 1),
        };
        net.node.produce_block_at(TIME1).unwrap();
        let tx = net.send(&net.alice, &net.bob.address().to_string(), SEND, None);
        let check = net.node.check_tx(tx.clone()).unwrap();
        assert_eq!(check.code, 0, "{}", check.log);
        let b2 = net.node.produce_block_at(TIME2).unwrap();
        assert_eq!(b2.block.txs, vec![tx.clone()]);
        let r = net.node.block_results(2).unwrap();
        assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
        net.hash = sha(&tx);
        net.tx = tx;
        net
    }

    /// Produces the next block, one second after the previous one.
    fn produce(&self) -> Arc<StoredBlock> {
        let s = self.next_second.fetch_add(1, Ordering::SeqCst);
        self.node
            .produce_block_at(BlockTime {
                seconds: s,
                nanos: 0,
            })
            .unwrap()
    }

    /// (account number, sequence) in the committed state.
    fn account(&self, k: &PrivKey) -> (u64, u64) {
        let r = self.node.abci_query(
            "/cosmos.auth.v1beta1.Query/Account",
            &cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest {
                address: k.address().to_string(),
            }
            .encode_to_vec(),
            0,
        );
        assert_eq!(r.code, 0, "{}", r.log);
        let any = cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountResponse::decode(
            r.value.as_slice(),
        )
        .unwrap()
        .account
        .unwrap();
        let acc =
            cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount::decode(any.value.as_slice())
                .unwrap();
        (acc.account_number, acc.sequence)
    }

    /// A signed MsgSend of `amount` uakt; `sequence` `None` uses the committed sequence.
    fn send(&self, from: &PrivKey, to: &str, amount: u128, sequence: Option<u64>) -> Vec<u8> {
        let (number, seq) = self.account(from);
        TxBuilder::new(CHAIN, number, sequence.unwrap_or(seq))
            .msg(to_any(&MsgSend {
                from_address: from.address().to_string(),
                to_address: to.into(),
                amount: vec![Coin {
                    denom: "uakt".into(),
                    amount: amount.to_string(),
                }],
            }))
            .fee(vec![Coin {
                denom: "uakt".into(),
                amount: FEE.to_string(),
            }])
            .gas_limit(GAS)
            .sign(from)
            .tx_bytes
    }

    fn backend(&self) -> Arc<dyn RpcBackend> {
        self.node.clone()
    }
}

/// Event attributes as CometBFT 0.38 prints them: plain strings, `index` true.
fn events_json(events: &[Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| {
                json!({"type": e.kind, "attributes": e.attributes.iter()
                    .map(|a| json!({"key": a.key, "value": a.value, "index": true}))
                    .collect::<Vec<_>>()})
            })
            .collect(),
    )
}

/// `abci.ExecTxResult` JSON: numbers for code, strings for gas, base64 data.
fn tx_result_json(r: &TxResult) -> Value {
    json!({
        "code": r.code,
        "data": if r.data.is_empty() { Value::Null } else { Value::String(b64(&r.data)) },
        "log": r.log,
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "events": events_json(&r.events),
        "codespace": r.codespace,
    })
}

fn has_attr(events: &[Event], kind: &str, key: &str, value: &str) -> bool {
    events.iter().any(|e| {
        e.kind == kind
            && e.attributes
                .iter()
                .any(|a| a.key == key && a.value == value)
    })
}

/// The `ResultTx` of the block-2 send, from the block results (not the tx index), after checking
/// that the result is the real execution of that send.
fn expected_result_tx(net: &Net) -> Value {
    let r = net.node.block_results(2).unwrap().tx_results[0].clone();
    assert_eq!(r.code, 0);
    assert_eq!(r.gas_wanted, GAS);
    assert!(r.gas_used > 0 && r.gas_used <= GAS);
    let bob = net.bob.address().to_string();
    assert!(has_attr(&r.events, "transfer", "recipient", &bob));
    assert!(has_attr(
        &r.events,
        "transfer",
        "amount",
        &format!("{SEND}uakt")
    ));
    assert!(has_attr(
        &r.events,
        "message",
        "sender",
        &net.alice.address().to_string()
    ));
    // data is a TxMsgData carrying the MsgSendResponse.
    let data = cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(r.data.as_slice())
        .unwrap();
    assert_eq!(
        data.msg_responses[0].type_url,
        "/cosmos.bank.v1beta1.MsgSendResponse"
    );
    json!({
        "hash": hexu(&net.hash),
        "height": "2",
        "index": 0,
        "tx": b64(&net.tx),
        "tx_result": tx_result_json(&r),
    })
}

async fn listener() -> (TcpListener, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

async fn start_jsonrpc(net: &Net) -> std::net::SocketAddr {
    let (l, a) = listener().await;
    tokio::spawn(serve_jsonrpc(net.backend(), l));
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

fn balance_query(address: &str) -> Vec<u8> {
    cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
        address: address.into(),
        denom: "uakt".into(),
    }
    .encode_to_vec()
}

fn account_query(address: &str) -> Vec<u8> {
    cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest {
        address: address.into(),
    }
    .encode_to_vec()
}

fn not_found_log(address: &str) -> String {
    format!("rpc error: code = NotFound desc = account {address} not found: key not found")
}

/// Waits (up to 5 s) until the node's mempool holds `n` txs.
async fn wait_mempool(net: &Net, n: usize) {
    for _ in 0..500 {
        if net.node.mempool_len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("mempool has {} txs, expected {n}", net.node.mempool_len());
}

#[tokio::test]
async fn status_has_the_exact_cometbft_shape() {
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let v = rpc(addr, "status", json!({})).await;
    let b1 = net.node.block(1).unwrap();
    let b2 = net.node.block(2).unwrap();
    let expected = json!({
        "node_info": {
            "protocol_version": {"p2p": "8", "block": "11", "app": "0"},
            "id": hex::encode(net.node_key.address()),
            "listen_addr": "tcp://127.0.0.1:26656",
            "network": "kumo-test",
            "version": "0.38.17",
            "channels": "40202122233038606100",
            "moniker": "node0",
            "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657"}
        },
        "sync_info": {
            "latest_block_hash": hexu(&b2.block_id.hash),
            "latest_app_hash": hexu(&b2.block.header.app_hash),
            "latest_block_height": "2",
            "latest_block_time": TIME2_TEXT,
            "earliest_block_hash": hexu(&b1.block_id.hash),
            "earliest_app_hash": hexu(&b1.block.header.app_hash),
            "earliest_block_height": "1",
            "earliest_block_time": TIME1_TEXT,
            "catching_up": false
        },
        "validator_info": {
            "address": hexu(&net.validator.address()),
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(&net.validator.public())},
            "voting_power": "1"
        }
    });
    assert_eq!(v["result"], expected);
    assert!(v.get("error").is_none());
    assert_eq!(
        v["result"]["sync_info"]["latest_app_hash"]
            .as_str()
            .unwrap()
            .len(),
        64,
        "latest_app_hash must be non-empty"
    );
    // Block 2's header carries the app hash block 1 committed.
    assert_eq!(
        b2.block.header.app_hash,
        net.node.block_results(1).unwrap().app_hash
    );
}

#[tokio::test]
async fn abci_query_success_error_and_height_rules() {
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let alice = net.alice.address().to_string();
    let data = hex::encode(balance_query(&alice));
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
            .unwrap()
            .balance
            .unwrap();
    assert_eq!(
        (bal.denom.as_str(), bal.amount),
        ("uakt", (START - SEND - FEE).to_string())
    );
    assert_eq!(
        resp,
        &json!({"code": 0, "log": "", "info": "", "index": "0", "key": null, "value": resp["value"],
                "proofOps": null, "height": "2", "codespace": ""})
    );

    // Explicit height reads the state as of that block and is echoed.
    let v = rpc(
        addr,
        "abci_query",
        json!({"path": "/cosmos.bank.v1beta1.Query/Balance", "data": data, "height": "1"}),
    )
    .await;
    let resp = &v["result"]["response"];
    assert_eq!(resp["height"], "1");
    let value = base64::engine::general_purpose::STANDARD
        .decode(resp["value"].as_str().unwrap())
        .unwrap();
    let bal =
        cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(value.as_slice())
            .unwrap();
    assert_eq!(bal.balance.unwrap().amount, START.to_string());

    // NotFound comes back as a result with code 22, not a JSON-RPC error.
    let v = rpc(
        addr,
        "abci_query",
        json!({"path": "/cosmos.auth.v1beta1.Query/Account", "data": hex::encode(account_query(&net.nobody))}),
    )
    .await;
    let resp = &v["result"]["response"];
    assert_eq!(resp["code"], 22);
    assert_eq!(resp["codespace"], "sdk");
    assert_eq!(resp["log"], not_found_log(&net.nobody));
    assert!(resp["log"]
        .as_str()
        .unwrap()
        .starts_with("rpc error: code = NotFound"));
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
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let expected = expected_result_tx(&net);
    let hash_hex = hexu(&net.hash);
    let v = rpc(
        addr,
        "tx_search",
        json!({"query": format!("tx.hash='{hash_hex}'"), "page": "1"}),
    )
    .await;
    assert_eq!(v["result"], json!({"txs": [expected], "total_count": "1"}));

    let v = rpc(
        addr,
        "tx_search",
        json!({"query": format!("message.sender='{}' AND transfer.amount='{SEND}uakt'", net.alice.address())}),
    )
    .await;
    assert_eq!(v["result"]["total_count"], "1");
    assert_eq!(v["result"]["txs"][0]["hash"], hash_hex);
    let v = rpc(
        addr,
        "tx_search",
        json!({"query": format!("transfer.recipient='{}'", net.nobody)}),
    )
    .await;
    assert_eq!(v["result"], json!({"txs": [], "total_count": "0"}));
    let v = rpc(addr, "tx_search", json!({"query": "tx.height=2"})).await;
    assert_eq!(v["result"]["total_count"], "1");
    assert_eq!(v["result"]["txs"][0]["hash"], hash_hex);
    let v = rpc(addr, "tx_search", json!({"query": "tx.height=1"})).await;
    assert_eq!(v["result"], json!({"txs": [], "total_count": "0"}));
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
    let v = rpc(addr, "tx", json!({"hash": b64(&net.hash)})).await;
    assert_eq!(v["result"], expected);
    let v = rpc(addr, "tx", json!({"hash": hash_hex})).await;
    assert_eq!(v["result"], expected);
    let v = rpc(addr, "tx", json!({"hash": b64(&[0; 32])})).await;
    assert_eq!(
        v["error"],
        json!({"code": -32603, "message": "Internal error", "data": format!("tx ({}) not found", "00".repeat(32))})
    );
}

fn header_json(b: &StoredBlock) -> Value {
    let h = &b.block.header;
    json!({
        "version": {"block": "11", "app": "0"},
        "chain_id": "kumo-test",
        "height": h.height.to_string(),
        "time": if h.height == 1 { TIME1_TEXT } else { TIME2_TEXT },
        "last_block_id": match &h.last_block_id {
            None => json!({"hash": "", "parts": {"total": 0, "hash": ""}}),
            Some(id) => json!({"hash": hexu(&id.hash), "parts": {"total": id.parts_total, "hash": hexu(&id.parts_hash)}}),
        },
        "last_commit_hash": hexu(&h.last_commit_hash),
        "data_hash": hexu(&h.data_hash),
        "validators_hash": hexu(&h.validators_hash),
        "next_validators_hash": hexu(&h.next_validators_hash),
        "consensus_hash": hexu(&h.consensus_hash),
        "app_hash": hexu(&h.app_hash),
        "last_results_hash": hexu(&h.last_results_hash),
        "evidence_hash": hexu(&h.evidence_hash),
        "proposer_address": hexu(&h.proposer_address)
    })
}

#[tokio::test]
async fn block_at_height_one_has_empty_last_block_id() {
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let b1 = net.node.block(1).unwrap();
    let b2 = net.node.block(2).unwrap();
    assert_eq!(b1.block_id.parts_total, 1);
    assert_eq!(b1.block.header.proposer_address, net.validator.address());
    let v = rpc(addr, "block", json!({"height": "1"})).await;
    let expected = json!({
        "block_id": {"hash": hexu(&b1.block_id.hash), "parts": {"total": 1, "hash": hexu(&b1.block_id.parts_hash)}},
        "block": {
            "header": header_json(&b1),
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
    assert_eq!(
        v["result"]["block"]["header"]["last_block_id"],
        json!({"hash": "", "parts": {"total": 0, "hash": ""}})
    );

    // No height: the latest block, holding the signed send.
    let v = rpc(addr, "block", json!({})).await;
    assert_eq!(v["result"]["block_id"]["hash"], hexu(&b2.block_id.hash));
    let b = &v["result"]["block"];
    assert_eq!(b["header"], header_json(&b2));
    assert_eq!(b["header"]["height"], "2");
    assert_eq!(b["data"]["txs"], json!([b64(&net.tx)]));
    assert_eq!(
        b["header"]["last_block_id"]["hash"],
        hexu(&b1.block_id.hash)
    );
    let c1 = net.node.commit(1).unwrap();
    assert_eq!(c1.signatures[0].signature.len(), 64);
    assert_eq!(
        b["last_commit"],
        json!({"height": "1", "round": 0,
               "block_id": {"hash": hexu(&b1.block_id.hash), "parts": {"total": 1, "hash": hexu(&b1.block_id.parts_hash)}},
               "signatures": [{"block_id_flag": 2, "validator_address": hexu(&net.validator.address()),
                "timestamp": TIME1_TEXT, "signature": b64(&c1.signatures[0].signature)}]})
    );

    let v = rpc(addr, "block", json!({"height": "3"})).await;
    assert_eq!(
        v["error"]["data"],
        "height 3 must be less than or equal to the current blockchain height 2"
    );
    let v = rpc(addr, "block", json!({"height": "abc"})).await;
    assert_eq!(v["error"]["code"], -32602);
    assert!(v["error"]["data"].as_str().unwrap().starts_with("height:"));

    let v = rpc(
        addr,
        "block_by_hash",
        json!({"hash": b64(&b2.block_id.hash)}),
    )
    .await;
    assert_eq!(v["result"]["block"]["header"]["height"], "2");
    assert_eq!(v["result"]["block_id"]["hash"], hexu(&b2.block_id.hash));
    let v = rpc(addr, "block_by_hash", json!({"hash": b64(&[0x99; 32])})).await;
    assert_eq!(
        v["result"],
        json!({"block_id": {"hash": "", "parts": {"total": 0, "hash": ""}}, "block": null})
    );
}

#[tokio::test]
async fn other_read_methods() {
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let results = net.node.block_results(2).unwrap();
    assert_eq!(rpc(addr, "health", json!({})).await["result"], json!({}));
    let info = net.node.abci_info();
    assert_eq!(info.last_block_app_hash, results.app_hash);
    assert_eq!(
        rpc(addr, "abci_info", json!({})).await["result"],
        json!({"response": {"data": info.data, "version": info.version, "app_version": "0",
                            "last_block_height": "2", "last_block_app_hash": b64(&results.app_hash)}})
    );
    let v = rpc(addr, "block_results", json!({"height": "2"})).await;
    assert_eq!(
        v["result"],
        json!({"height": "2", "txs_results": [expected_result_tx(&net)["tx_result"]],
               "finalize_block_events": events_json(&results.finalize_block_events),
               "validator_updates": [], "consensus_param_updates": null, "app_hash": hexu(&results.app_hash)})
    );
    let v = rpc(addr, "block_results", json!({"height": "1"})).await;
    assert_eq!(v["result"]["height"], "1");
    assert_eq!(v["result"]["txs_results"], json!([]));

    let b1 = net.node.block(1).unwrap();
    let b2 = net.node.block(2).unwrap();
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
    assert_eq!(metas[0]["block_size"], b2.size.to_string());
    assert_eq!(metas[0]["block_id"]["hash"], hexu(&b2.block_id.hash));
    assert_eq!(metas[1]["num_txs"], "0");
    assert_eq!(metas[1]["block_id"]["hash"], hexu(&b1.block_id.hash));

    let v = rpc(addr, "commit", json!({"height": "2"})).await;
    assert_eq!(v["result"]["canonical"], true);
    assert_eq!(v["result"]["signed_header"]["header"], header_json(&b2));
    let commit = &v["result"]["signed_header"]["commit"];
    assert_eq!(commit["height"], "2");
    assert_eq!(commit["block_id"]["hash"], hexu(&b2.block_id.hash));
    assert_eq!(
        commit["signatures"][0]["validator_address"],
        hexu(&net.validator.address())
    );
    assert_eq!(commit["signatures"][0]["timestamp"], TIME2_TEXT);

    let v = rpc(addr, "validators", json!({})).await;
    assert_eq!(
        v["result"],
        json!({"block_height": "2", "validators": [{"address": hexu(&net.validator.address()),
               "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(&net.validator.public())},
               "voting_power": "1", "proposer_priority": "0"}], "count": "1", "total": "1"})
    );
    let genesis: Value = serde_json::from_str(&net.genesis).unwrap();
    assert_eq!(
        rpc(addr, "genesis", json!({})).await["result"],
        json!({ "genesis": genesis })
    );
    assert_eq!(genesis["chain_id"], "kumo-test");

    assert_eq!(
        rpc(addr, "num_unconfirmed_txs", json!({})).await["result"],
        json!({"n_txs": "0", "total": "0", "total_bytes": "0", "txs": null})
    );
    let pending = net.send(&net.bob, &net.nobody, 7, None);
    assert_eq!(net.node.check_tx(pending.clone()).unwrap().code, 0);
    assert_eq!(
        rpc(addr, "num_unconfirmed_txs", json!({})).await["result"],
        json!({"n_txs": "1", "total": "1", "total_bytes": pending.len().to_string(), "txs": null})
    );
    assert_eq!(
        rpc(addr, "unconfirmed_txs", json!({"limit": "5"})).await["result"],
        json!({"n_txs": "1", "total": "1", "total_bytes": pending.len().to_string(), "txs": [b64(&pending)]})
    );
    let v = rpc(addr, "net_info", json!({})).await;
    assert_eq!(v["result"]["n_peers"], "0");

    let v = rpc(addr, "no_such_method", json!({})).await;
    assert_eq!(v["error"]["code"], -32601);
    assert_eq!(v["error"]["message"], "Method not found");
}

#[tokio::test]
async fn broadcast_methods_and_errors() {
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let good = net.send(&net.bob, &net.nobody, 100, None);
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": b64(&good)})).await;
    assert_eq!(
        v["result"],
        json!({"code": 0, "data": "", "log": "", "codespace": "", "hash": hexu(&sha(&good))})
    );

    // Alice's committed sequence is 1; a tx signed for 6 fails CheckTx.
    let (_, seq) = net.account(&net.alice);
    assert_eq!(seq, 1);
    let bad_seq = net.send(&net.alice, &net.nobody, 1, Some(6));
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": b64(&bad_seq)})).await;
    assert_eq!(v["result"]["code"], 32);
    assert_eq!(v["result"]["codespace"], "sdk");
    assert_eq!(v["result"]["hash"], hexu(&sha(&bad_seq)));
    assert!(
        v["result"]["log"]
            .as_str()
            .unwrap()
            .starts_with("account sequence mismatch, expected 1, got 6"),
        "{v}"
    );

    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": "%%%"})).await;
    assert_eq!(v["error"]["code"], -32602);
    assert!(v["error"]["data"]
        .as_str()
        .unwrap()
        .starts_with("tx: invalid base64"));
    let v = rpc(addr, "broadcast_tx_sync", json!({})).await;
    assert_eq!(v["error"]["code"], -32602);
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": ""})).await;
    assert_eq!(v["error"]["code"], -32602);

    // Async answers at once; CheckTx runs afterwards and the tx lands in the mempool.
    let async_tx = net.send(&net.alice, &net.nobody, 200, None);
    let v = rpc(addr, "broadcast_tx_async", json!([b64(&async_tx)])).await;
    assert_eq!(v["result"]["hash"], hexu(&sha(&async_tx)));
    assert_eq!(v["result"]["code"], 0);
    wait_mempool(&net, 2).await;
    let (pending, _, _) = net.node.unconfirmed_txs(10);
    assert!(pending.contains(&async_tx) && pending.contains(&good));
    assert!(!pending.contains(&bad_seq));

    // Both are included in the next block and succeed.
    let b3 = net.produce();
    assert_eq!(b3.block.txs.len(), 2);
    for t in [&good, &async_tx] {
        let v = rpc(addr, "tx", json!({"hash": hexu(&sha(t))})).await;
        assert_eq!(v["result"]["height"], "3");
        assert_eq!(v["result"]["tx_result"]["code"], 0, "{v}");
    }
    let v = rpc(
        addr,
        "tx_search",
        json!({"query": format!("transfer.recipient='{}'", net.nobody)}),
    )
    .await;
    assert_eq!(v["result"]["total_count"], "2");
}

/// CometBFT's mempool cache rejects an exact duplicate before CheckTx with the JSON-RPC error
/// `tx already exists in cache` (spec cosmos-compat.md §1.4 and the code-19 row of its table).
#[tokio::test]
/// kumo answers an exact duplicate with the SDK's code 19 as a CheckTx result (CometBFT's cache
/// answers with a JSON-RPC error instead): clients then get a coded `BroadcastTxError`.
async fn duplicate_tx_is_refused_with_code_19() {
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let tx = net.send(&net.bob, &net.nobody, 100, None);
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": b64(&tx)})).await;
    assert_eq!(v["result"]["code"], 0, "{v}");
    let v = rpc(addr, "broadcast_tx_sync", json!({"tx": b64(&tx)})).await;
    assert!(v.get("error").is_none(), "{v}");
    assert_eq!(v["result"]["code"], 19, "{v}");
    assert_eq!(v["result"]["codespace"], "sdk", "{v}");
    assert!(
        v["result"]["log"]
            .as_str()
            .unwrap()
            .contains("tx already in mempool"),
        "{v}"
    );
    assert_eq!(v["result"]["hash"], hexu(&sha(&tx)));
    assert_eq!(net.node.mempool_len(), 1);
}

#[tokio::test]
async fn broadcast_tx_commit_waits_for_the_block() {
    let net = Arc::new(Net::new());
    let addr = start_jsonrpc(&net).await;
    let tx = net.send(&net.bob, &net.nobody, 300, None);
    let call = tokio::spawn(rpc(addr, "broadcast_tx_commit", json!({"tx": b64(&tx)})));
    wait_mempool(&net, 1).await;
    assert!(!call.is_finished(), "must wait for the block");
    let b3 = net.produce();
    assert_eq!(b3.block.txs, vec![tx.clone()]);
    let v = tokio::time::timeout(std::time::Duration::from_secs(10), call)
        .await
        .expect("broadcast_tx_commit returns once the block is made")
        .unwrap();
    let r = &v["result"];
    assert_eq!(r["hash"], hexu(&sha(&tx)));
    assert_eq!(r["height"], "3");
    assert_eq!(r["check_tx"]["code"], 0);
    assert_eq!(r["check_tx"]["gas_wanted"], GAS.to_string());
    let result = net.node.block_results(3).unwrap().tx_results[0].clone();
    assert_eq!(result.code, 0, "{}", result.log);
    assert!(has_attr(&result.events, "transfer", "amount", "300uakt"));
    assert_eq!(r["tx_result"], tx_result_json(&result));

    // A CheckTx failure answers at once with height 0.
    let bad_seq = net.send(&net.alice, &net.nobody, 1, Some(9));
    let v = rpc(addr, "broadcast_tx_commit", json!({"tx": b64(&bad_seq)})).await;
    assert_eq!(v["result"]["check_tx"]["code"], 32);
    assert_eq!(v["result"]["check_tx"]["codespace"], "sdk");
    assert_eq!(v["result"]["height"], "0");
    assert_eq!(v["result"]["hash"], hexu(&sha(&bad_seq)));
}

#[tokio::test]
async fn get_uri_style_and_batches() {
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
    let (st, v) = get(addr, "/status").await;
    assert_eq!(st, 200);
    assert_eq!(v["id"], -1);
    assert_eq!(v["result"]["node_info"]["version"], "0.38.17");
    assert_eq!(v["result"]["sync_info"]["latest_block_height"], "2");

    let (_, v) = get(addr, "/block?height=1").await;
    assert_eq!(v["result"]["block"]["header"]["height"], "1");

    let (_, v) = get(
        addr,
        &format!(
            "/abci_query?path=%22/cosmos.bank.v1beta1.Query/Balance%22&data=0x{}",
            hex::encode(balance_query(&net.bob.address().to_string()))
        ),
    )
    .await;
    let resp = &v["result"]["response"];
    assert_eq!(resp["code"], 0);
    assert_eq!(resp["height"], "2");
    let value = base64::engine::general_purpose::STANDARD
        .decode(resp["value"].as_str().unwrap())
        .unwrap();
    let bal =
        cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(value.as_slice())
            .unwrap();
    assert_eq!(bal.balance.unwrap().amount, (START + SEND).to_string());

    let (_, v) = get(addr, &format!("/tx?hash=0x{}", hexu(&net.hash))).await;
    assert_eq!(v["result"], expected_result_tx(&net));
    let (_, v) = get(addr, "/tx_search?query=%22tx.height%3D2%22&page=1").await;
    assert_eq!(v["result"]["total_count"], "1");

    let good = net.send(&net.bob, &net.nobody, 5, None);
    let (_, v) = get(
        addr,
        &format!("/broadcast_tx_sync?tx=0x{}", hex::encode(&good)),
    )
    .await;
    assert_eq!(v["result"]["hash"], hexu(&sha(&good)));
    assert_eq!(v["result"]["code"], 0, "{v}");
    // Quoted base64 also works; bytes that are not a tx fail CheckTx but still get their hash.
    let junk = b"not a tx";
    let (_, v) = get(addr, &format!("/broadcast_tx_sync?tx=%22{}%22", b64(junk))).await;
    assert_eq!(v["result"]["hash"], hexu(&sha(junk)));
    assert_ne!(v["result"]["code"], 0, "{v}");
    assert_eq!(v["result"]["codespace"], "sdk");
    assert_eq!(net.node.mempool_len(), 1);

    let (st, v) = get(addr, "/block?height=xyz").await;
    assert_eq!(st, 500);
    assert_eq!(v["error"]["code"], -32602);
    let (st, v) = get(addr, "/nope").await;
    assert_eq!(st, 404);
    assert_eq!(v["error"]["code"], -32601);

    // Batch.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "health", "params": {}},
        {"jsonrpc": "2.0", "id": "two", "method": "nope"},
        {"jsonrpc": "2.0", "id": 3, "method": "block", "params": {"height": "2"}}
    ]);
    let (st, body) = http(addr, "POST", "/", batch.to_string().as_bytes()).await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v[0], json!({"jsonrpc": "2.0", "id": 1, "result": {}}));
    assert_eq!(v[1]["id"], "two");
    assert_eq!(v[1]["error"]["code"], -32601);
    assert_eq!(v[2]["id"], 3);
    assert_eq!(
        v[2]["result"]["block"]["data"]["txs"],
        json!([b64(&net.tx)])
    );

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

/// `type.key` → values of `events`, plus `tm.event`, as CometBFT fills `result.events`.
fn event_map(tm: &str, events: &[Event]) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("tm.event".into(), json!([tm]));
    for e in events {
        for a in &e.attributes {
            m.entry(format!("{}.{}", e.kind, a.key))
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .unwrap()
                .push(json!(a.value));
        }
    }
    m
}

#[tokio::test]
async fn websocket_subscriptions_push_cometbft_events() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as WsMsg;
    let net = Net::new();
    let addr = start_jsonrpc(&net).await;
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
    let amount = 4_321u128;
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
        json!({"query": format!("tm.event='Tx' AND transfer.amount='{amount}uakt'")}),
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

    // A real block with a real send: one NewBlock push and one Tx push (the 6uakt query
    // matches nothing). Pushes of different subscriptions are not ordered against each other.
    let tx = net.send(&net.alice, &net.nobody, amount, None);
    assert_eq!(net.node.check_tx(tx.clone()).unwrap().code, 0);
    let b3 = net.produce();
    let results = net.node.block_results(3).unwrap();
    let mut pushes = [next_json(&mut ws).await, next_json(&mut ws).await];
    pushes.sort_by_key(|v| v["id"].as_u64());
    let [ev, tx_ev] = pushes;
    assert_eq!(ev["id"], 1);
    assert_eq!(ev["result"]["query"], "tm.event='NewBlock'");
    assert_eq!(ev["result"]["data"]["type"], "tendermint/event/NewBlock");
    let value = &ev["result"]["data"]["value"];
    assert_eq!(value["block"]["header"]["height"], "3");
    assert_eq!(value["block"]["data"]["txs"], json!([b64(&tx)]));
    assert_eq!(value["block_id"]["hash"], hexu(&b3.block_id.hash));
    assert_eq!(
        value["result_finalize_block"]["app_hash"],
        b64(&results.app_hash)
    );
    assert_eq!(
        value["result_finalize_block"]["tx_results"][0],
        tx_result_json(&results.tx_results[0])
    );
    assert_eq!(
        ev["result"]["events"],
        Value::Object(event_map("NewBlock", &results.finalize_block_events))
    );

    assert_eq!(tx_ev["id"], 2, "only the {amount}uakt subscription matches");
    assert_eq!(tx_ev["result"]["data"]["type"], "tendermint/event/Tx");
    let result = &results.tx_results[0];
    assert_eq!(result.code, 0, "{}", result.log);
    assert_eq!(
        tx_ev["result"]["data"]["value"],
        json!({"TxResult": {"height": "3", "index": 0, "tx": b64(&tx), "result": tx_result_json(result)}})
    );
    let events = &tx_ev["result"]["events"];
    assert_eq!(events["tm.event"], json!(["Tx"]));
    assert_eq!(events["tx.hash"], json!([hexu(&sha(&tx))]));
    assert_eq!(events["tx.height"], json!(["3"]));
    assert!(events["transfer.amount"]
        .as_array()
        .unwrap()
        .contains(&json!(format!("{amount}uakt"))));
    assert!(events["transfer.recipient"]
        .as_array()
        .unwrap()
        .contains(&json!(net.nobody)));

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
    // Another matching send: the NewBlock subscription is gone, so only the Tx event comes.
    let tx2 = net.send(&net.bob, &net.nobody, amount, None);
    assert_eq!(net.node.check_tx(tx2.clone()).unwrap().code, 0);
    net.produce();
    let ev = next_json(&mut ws).await;
    assert_eq!(ev["id"], 2);
    assert_eq!(ev["result"]["events"]["tx.hash"], json!([hexu(&sha(&tx2))]));
    ws.send(send(9, "unsubscribe_all", json!({})))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"jsonrpc": "2.0", "id": 9, "result": {}})
    );
    // Nothing is pushed after unsubscribe_all, not even for a matching send.
    let tx3 = net.send(&net.alice, &net.nobody, amount, None);
    assert_eq!(net.node.check_tx(tx3).unwrap().code, 0);
    assert_eq!(net.produce().block.txs.len(), 1);
    ws.send(send(10, "health", json!({}))).await.unwrap();
    assert_eq!(next_json(&mut ws).await["id"], 10);
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

async fn grpc_broadcast(
    addr: std::net::SocketAddr,
    tx: &[u8],
) -> (
    Option<cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse>,
    http::HeaderMap,
) {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{BroadcastTxRequest, BroadcastTxResponse};
    let req = BroadcastTxRequest {
        tx_bytes: tx.to_vec(),
        mode: 2,
    };
    let (_, data, trailers) = grpc_call(
        addr,
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
        &req.encode_to_vec(),
        None,
    )
    .await;
    let resp = (!data.is_empty()).then(|| {
        BroadcastTxResponse::decode(unframe(&data))
            .unwrap()
            .tx_response
            .unwrap()
    });
    (resp, trailers)
}

#[tokio::test]
async fn grpc_unary_round_trip_over_h2c() {
    let net = Net::new();
    let (l, addr) = listener().await;
    tokio::spawn(serve_grpc(net.backend(), l));
    let alice = net.alice.address().to_string();

    let (headers, data, trailers) = grpc_call(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &balance_query(&alice),
        None,
    )
    .await;
    assert_eq!(headers["content-type"], "application/grpc");
    assert_eq!(headers["x-cosmos-block-height"], "2");
    let resp =
        cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(unframe(&data))
            .unwrap();
    assert_eq!(
        resp.balance.unwrap().amount,
        (START - SEND - FEE).to_string()
    );
    assert_eq!(trailers["grpc-status"], "0");
    assert!(trailers.get("grpc-message").is_none());

    // The height metadata selects the state and is echoed.
    let (headers, data, trailers) = grpc_call(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &balance_query(&alice),
        Some("1"),
    )
    .await;
    assert_eq!(headers["x-cosmos-block-height"], "1");
    assert_eq!(trailers["grpc-status"], "0");
    let resp =
        cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(unframe(&data))
            .unwrap();
    assert_eq!(resp.balance.unwrap().amount, START.to_string());
    let (_, data, trailers) = grpc_call(
        addr,
        "/cosmos.bank.v1beta1.Query/Balance",
        &balance_query(&alice),
        Some("x"),
    )
    .await;
    assert!(data.is_empty());
    assert_eq!(trailers["grpc-status"], "3");

    // NotFound maps to status 5 with the rpc wrapper removed.
    let (_, data, trailers) = grpc_call(
        addr,
        "/cosmos.auth.v1beta1.Query/Account",
        &account_query(&net.nobody),
        None,
    )
    .await;
    assert!(data.is_empty());
    assert_eq!(trailers["grpc-status"], "5");
    assert_eq!(
        trailers["grpc-message"],
        format!("account {} not found: key not found", net.nobody).as_str()
    );

    let (_, _, trailers) = grpc_call(addr, "/cosmos.nothing.v1.Query/Nope", b"", None).await;
    assert_eq!(trailers["grpc-status"], "12");

    // BroadcastTx runs CheckTx and answers with a TxResponse.
    let good = net.send(&net.bob, &net.nobody, 100, None);
    let (r, trailers) = grpc_broadcast(addr, &good).await;
    assert_eq!(trailers["grpc-status"], "0");
    let r = r.unwrap();
    assert_eq!(r.txhash, hexu(&sha(&good)));
    assert_eq!(r.code, 0, "{}", r.raw_log);
    assert_eq!(r.gas_wanted, GAS as i64);
    assert_eq!(r.height, 0);
    assert_eq!(net.node.mempool_len(), 1);

    let bad_seq = net.send(&net.alice, &net.nobody, 1, Some(4));
    let (r, _) = grpc_broadcast(addr, &bad_seq).await;
    let r = r.unwrap();
    assert_eq!((r.code, r.codespace.as_str()), (32, "sdk"));
    assert!(
        r.raw_log.starts_with("account sequence mismatch"),
        "{}",
        r.raw_log
    );

    // The same bytes again: ErrTxInMempoolCache (19), as the SDK maps CometBFT's cache error.
    let (r, trailers) = grpc_broadcast(addr, &good).await;
    assert_eq!(trailers["grpc-status"], "0");
    let r = r.unwrap();
    assert_eq!((r.code, r.codespace.as_str()), (19, "sdk"));
    assert_eq!(r.txhash, hexu(&sha(&good)));
    assert_eq!(net.node.mempool_len(), 1);

    let (r, trailers) = grpc_broadcast(addr, &[]).await;
    assert!(r.is_none());
    assert_eq!(trailers["grpc-status"], "3");

    // The broadcast tx is executed in the next block.
    net.produce();
    let result = net.node.tx(&sha(&good)).unwrap();
    assert_eq!((result.height, result.result.code), (3, 0));
}

#[tokio::test]
async fn rest_gateway_shapes() {
    let net = Net::new();
    let (l, addr) = listener().await;
    tokio::spawn(serve_rest(net.backend(), l));
    let alice = net.alice.address().to_string();
    let (st, body) = http(
        addr,
        "GET",
        &format!("/cosmos/bank/v1beta1/balances/{alice}"),
        b"",
    )
    .await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"balances": [{"denom": "uakt", "amount": (START - SEND - FEE).to_string()}],
               "pagination": {"next_key": null, "total": "1"}})
    );

    let (_, body) = http(
        addr,
        "GET",
        &format!(
            "/cosmos/bank/v1beta1/balances/{}/by_denom?denom=uakt",
            net.nobody
        ),
        b"",
    )
    .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v, json!({"balance": {"denom": "uakt", "amount": "0"}}));

    let (number, seq) = net.account(&net.alice);
    assert_eq!(seq, 1);
    let (st, body) = http(
        addr,
        "GET",
        &format!("/cosmos/auth/v1beta1/accounts/{alice}"),
        b"",
    )
    .await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"account": {"@type": "/cosmos.auth.v1beta1.BaseAccount", "address": alice,
               "pub_key": {"@type": "/cosmos.crypto.secp256k1.PubKey", "key": b64(net.alice.pubkey().as_bytes())},
               "account_number": number.to_string(), "sequence": "1"}})
    );
    // Bob has not signed anything yet: no pub_key.
    let (_, body) = http(
        addr,
        "GET",
        &format!("/cosmos/auth/v1beta1/accounts/{}", net.bob.address()),
        b"",
    )
    .await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["account"]["pub_key"], Value::Null);
    assert_eq!(v["account"]["sequence"], "0");

    let (st, body) = http(
        addr,
        "GET",
        &format!("/cosmos/auth/v1beta1/accounts/{}", net.nobody),
        b"",
    )
    .await;
    assert_eq!(st, 404);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"code": 5, "message": format!("account {} not found: key not found", net.nobody), "details": []})
    );

    let good = net.send(&net.bob, &net.nobody, 100, None);
    let (st, body) = http(
        addr,
        "POST",
        "/cosmos/tx/v1beta1/txs",
        json!({"tx_bytes": b64(&good), "mode": "BROADCAST_MODE_SYNC"})
            .to_string()
            .as_bytes(),
    )
    .await;
    assert_eq!(st, 200);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["tx_response"]["txhash"], hexu(&sha(&good)));
    assert_eq!(v["tx_response"]["code"], 0, "{v}");
    assert_eq!(v["tx_response"]["gas_wanted"], GAS.to_string());
    assert_eq!(v["tx_response"]["height"], "0");
    assert_eq!(net.node.mempool_len(), 1);

    let (st, body) = http(addr, "GET", "/cosmos/nothing", b"").await;
    assert_eq!(st, 404);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["code"], 5);
}
