//! JSON-RPC details on a real in-memory node over loopback: `tx` tells a base64 hash from a hex
//! one by its length (a base64 hash may start with `0x`), `tx_search` answers range-only
//! queries, and the CometBFT limits hold (subscription clients, subscriptions per client, batch
//! size, body size) while the node keeps producing blocks.

use base64::Engine;
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use futures::{SinkExt, StreamExt};
use kumo_app::abci::BlockTime;
use kumo_app::genesis::Genesis;
use kumo_client::tx::to_any;
use kumo_client::{Coin, TxBuilder};
use kumo_crypto::PrivKey;
use kumo_node::home::{Ed25519Key, NodeConfig};
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::rpc::serve_jsonrpc;
use kumo_node::rpc::server::{
    MAX_BATCH_REQUESTS, MAX_BODY_BYTES, MAX_SUBSCRIPTIONS_PER_CLIENT, MAX_SUBSCRIPTION_CLIENTS,
};
use kumo_node::Node;
use kumo_store::{Store, StoreOptions};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message as WsMsg;

const CHAIN: &str = "kumo-test";
const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";

struct Net {
    node: Arc<Node>,
    alice: PrivKey,
    bob: PrivKey,
    second: AtomicI64,
}

impl Net {
    fn new() -> Net {
        let alice = PrivKey::from_mnemonic(ALICE, "").unwrap();
        let bob = PrivKey::from_mnemonic(BOB, "").unwrap();
        let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
        for k in [&alice, &bob] {
            g.add_account(
                &k.address().to_string(),
                &[kumo_app::coins::Coin::new("uakt", 1_000_000_000)],
            )
            .unwrap();
        }
        let node = Node::with_parts(
            NodeConfig::new(CHAIN, "node0"),
            &g.to_json(),
            Ed25519Key::generate(),
            &Ed25519Key::generate(),
            Store::in_memory(StoreOptions::default()).unwrap(),
        )
        .unwrap();
        let net = Net {
            node: Arc::new(node),
            alice,
            bob,
            second: AtomicI64::new(1_795_584_338),
        };
        net.produce();
        net
    }

    fn produce(&self) -> u64 {
        let s = self.second.fetch_add(1, Ordering::SeqCst);
        let b = self
            .node
            .produce_block_at(BlockTime {
                seconds: s,
                nanos: 0,
            })
            .unwrap();
        b.block.header.height
    }

    /// Alice (account 0) sends 1 uakt to bob with `memo`.
    fn send(&self, sequence: u64, memo: &str) -> Vec<u8> {
        TxBuilder::new(CHAIN, 0, sequence)
            .msg(to_any(&MsgSend {
                from_address: self.alice.address().to_string(),
                to_address: self.bob.address().to_string(),
                amount: vec![Coin {
                    denom: "uakt".into(),
                    amount: "1".into(),
                }],
            }))
            .memo(memo)
            .fee(vec![Coin {
                denom: "uakt".into(),
                amount: "5000".into(),
            }])
            .gas_limit(200_000)
            .sign(&self.alice)
            .tx_bytes
    }

    async fn serve(&self) -> std::net::SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let backend: Arc<dyn RpcBackend> = self.node.clone();
        tokio::spawn(serve_jsonrpc(backend, l));
        addr
    }
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// POSTs `body` to `/`, returns the JSON answer (JSON-RPC answers 200 even for errors).
async fn post(addr: std::net::SocketAddr, body: &[u8]) -> Value {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and close before reading an oversized body to its end.
    let _ = s.write_all(body).await;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("http head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    serde_json::from_slice(&buf[split + 4..]).unwrap()
}

async fn call(addr: std::net::SocketAddr, method: &str, params: Value) -> Value {
    post(
        addr,
        json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
            .to_string()
            .as_bytes(),
    )
    .await
}

#[tokio::test]
async fn tx_finds_a_base64_hash_that_starts_with_0x() {
    let net = Net::new();
    let addr = net.serve().await;
    // About one hash in 4096 has a base64 form starting with "0x"; vary the memo until one does
    // (the bound makes a miss astronomically unlikely rather than possible to loop on).
    let tx = (0..200_000u32)
        .map(|i| net.send(0, &format!("memo {i}")))
        .find(|tx| b64(&Sha256::digest(tx)).starts_with("0x"))
        .expect("a tx whose base64 hash starts with 0x");
    let hash: [u8; 32] = Sha256::digest(&tx).into();
    let r = net.node.check_tx(tx).unwrap();
    assert_eq!(r.code, 0, "{}", r.log);
    net.produce();

    let hex_upper = hex::encode_upper(hash);
    for form in [
        b64(&hash),
        hex_upper.clone(),
        format!("0x{}", hex::encode(hash)),
    ] {
        let v = call(addr, "tx", json!({ "hash": form })).await;
        assert_eq!(v["result"]["hash"], hex_upper, "{form}: {v}");
        assert_eq!(v["result"]["height"], "2", "{form}: {v}");
    }
    for bad in [json!("0x1234"), json!("not a hash"), json!(5)] {
        let v = call(addr, "tx", json!({ "hash": bad })).await;
        assert_eq!(v["error"]["code"], -32602, "{bad}: {v}");
    }
    let missing = call(addr, "tx", json!({"hash": b64(&[7u8; 32])})).await;
    assert!(
        missing["error"]["data"]
            .as_str()
            .unwrap()
            .contains("not found"),
        "{missing}"
    );
}

#[tokio::test]
async fn tx_search_answers_range_only_queries() {
    let net = Net::new();
    let addr = net.serve().await;
    for seq in 0..3u64 {
        let r = net.node.check_tx(net.send(seq, "range")).unwrap();
        assert_eq!(r.code, 0, "{}", r.log);
        net.produce();
    }
    // Txs at heights 2, 3 and 4.
    let search = |q: &str, extra: Value| {
        let mut params = json!({"query": q});
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        call(addr, "tx_search", params)
    };
    let v = search("tx.height>0", json!({})).await;
    assert_eq!(v["result"]["total_count"], "3", "{v}");
    let v = search("tx.height>=3 AND tx.height<=4", json!({})).await;
    assert_eq!(v["result"]["total_count"], "2", "{v}");
    assert_eq!(v["result"]["txs"][0]["height"], "3");
    let v = search("tx.height>2", json!({"order_by": "desc", "per_page": "1"})).await;
    assert_eq!(v["result"]["total_count"], "2", "{v}");
    assert_eq!(v["result"]["txs"].as_array().unwrap().len(), 1);
    assert_eq!(v["result"]["txs"][0]["height"], "4");
    let v = search("tx.height>100", json!({})).await;
    assert_eq!(v["result"]["total_count"], "0", "{v}");
    let v = search("message.sender EXISTS AND tx.height<3", json!({})).await;
    assert_eq!(v["result"]["total_count"], "1", "{v}");
    // More than 100 per page is cut to 100; a page past the end is an error.
    let v = search("tx.height>0", json!({"per_page": "1000"})).await;
    assert_eq!(v["result"]["txs"].as_array().unwrap().len(), 3, "{v}");
    let v = search("tx.height>0", json!({"page": "2"})).await;
    assert_eq!(v["error"]["code"], -32603, "{v}");
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn ws_connect(addr: std::net::SocketAddr) -> Ws {
    tokio_tungstenite::connect_async(format!("ws://{addr}/websocket"))
        .await
        .unwrap()
        .0
}

/// Sends one request and returns the next reply that is not an event.
async fn ws_call(ws: &mut Ws, method: &str, params: Value) -> Value {
    let req = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    ws.send(WsMsg::Text(req.to_string().into())).await.unwrap();
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a websocket reply within 5 s")
            .unwrap()
            .unwrap();
        if let WsMsg::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["result"].get("query").is_none() {
                return v;
            }
        }
    }
}

async fn subscribe(ws: &mut Ws, query: &str) -> Value {
    ws_call(ws, "subscribe", json!({ "query": query })).await
}

#[tokio::test]
async fn subscription_and_batch_limits_hold_and_blocks_go_on() {
    let net = Net::new();
    let addr = net.serve().await;
    let new_block = "tm.event='NewBlock'";

    let mut clients = Vec::new();
    for i in 0..MAX_SUBSCRIPTION_CLIENTS {
        let mut ws = ws_connect(addr).await;
        let v = subscribe(&mut ws, new_block).await;
        assert_eq!(v["result"], json!({}), "client {i}: {v}");
        clients.push(ws);
    }
    let mut late = ws_connect(addr).await;
    let v = subscribe(&mut late, new_block).await;
    assert_eq!(v["error"]["code"], -32603, "{v}");
    assert_eq!(
        v["error"]["data"],
        format!("max_subscription_clients {MAX_SUBSCRIPTION_CLIENTS} reached")
    );
    // A connection that already subscribes may add more, up to its own limit.
    let first = &mut clients[0];
    for i in 1..MAX_SUBSCRIPTIONS_PER_CLIENT {
        let v = subscribe(first, &format!("tm.event='Tx' AND tx.height>{i}")).await;
        assert_eq!(v["result"], json!({}), "{v}");
    }
    let v = subscribe(first, "tm.event='Tx'").await;
    assert_eq!(
        v["error"]["data"],
        format!("max_subscriptions_per_client {MAX_SUBSCRIPTIONS_PER_CLIENT} reached"),
        "{v}"
    );
    // A client that leaves frees its place.
    let gone = clients.pop().unwrap();
    drop(gone);
    let mut freed = false;
    for _ in 0..100 {
        let v = subscribe(&mut late, new_block).await;
        if v["result"] == json!({}) {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(freed, "the place of a closed client is given back");
    // unsubscribe_all also gives the place back, and the next one can take it.
    let v = ws_call(&mut clients[1], "unsubscribe_all", json!({})).await;
    assert_eq!(v["result"], json!({}), "{v}");
    let mut another = ws_connect(addr).await;
    let v = subscribe(&mut another, new_block).await;
    assert_eq!(v["result"], json!({}), "{v}");

    // Batches: up to MAX_BATCH_REQUESTS calls are answered, one more is refused whole.
    let batch = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "health", "params": {}}))
                .collect(),
        )
        .to_string()
    };
    let v = post(addr, batch(MAX_BATCH_REQUESTS).as_bytes()).await;
    assert_eq!(v.as_array().unwrap().len(), MAX_BATCH_REQUESTS);
    assert_eq!(v[MAX_BATCH_REQUESTS - 1]["result"], json!({}));
    let v = post(addr, batch(MAX_BATCH_REQUESTS + 1).as_bytes()).await;
    assert_eq!(v["error"]["code"], -32600, "{v}");
    assert!(
        v["error"]["data"]
            .as_str()
            .unwrap()
            .contains("batch request exceeds maximum (100)"),
        "{v}"
    );
    // The same limit over the websocket.
    let text = batch(MAX_BATCH_REQUESTS + 1);
    another.send(WsMsg::Text(text.into())).await.unwrap();
    let reply = loop {
        let m = tokio::time::timeout(Duration::from_secs(5), another.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let WsMsg::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v.is_object() && v["result"].get("query").is_none() {
                break v;
            }
        }
    };
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    // A request body over max_body_bytes is refused.
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"health\",\"params\":{{\"pad\":\"{}\"}}}}",
        "x".repeat(MAX_BODY_BYTES)
    );
    let v = post(addr, big.as_bytes()).await;
    assert_eq!(v["error"]["code"], -32600, "{v}");

    // The node still produces blocks, and the subscribers get them.
    let h = net.produce();
    let ws = &mut clients[2];
    let event = loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a NewBlock event")
            .unwrap()
            .unwrap();
        if let WsMsg::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v["result"]["query"] == new_block {
                break v;
            }
        }
    };
    assert_eq!(
        event["result"]["data"]["value"]["block"]["header"]["height"],
        h.to_string()
    );
    let v = call(addr, "status", json!({})).await;
    assert_eq!(
        v["result"]["sync_info"]["latest_block_height"],
        h.to_string()
    );
}
