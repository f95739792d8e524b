//! The client against a small in-process JSON-RPC server that answers with CometBFT 0.38 shapes
//! (spec §1.4). Checks what the client sends as well as how it reads the answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    MsgSend, QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceResponse,
};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::GasInfo;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, SignDoc, SimulateRequest, SimulateResponse, TxRaw,
};
use cosmos_sdk_proto::Any;
use kumo_client::tx::to_any;
use kumo_client::{ClientError, FeeOpts, Gas, RpcClient};
use kumo_crypto::PrivKey;
use prost::Message;
use serde_json::{json, Value};

type Handler = dyn Fn(&str, &Value) -> Value + Send + Sync;
/// Every request the mock node received: (method, params).
type CallLog = Arc<Mutex<Vec<(String, Value)>>>;

/// Starts a server on a free port; every request's (method, params) is recorded.
fn serve(handler: Arc<Handler>) -> (String, CallLog) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let req: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(req["jsonrpc"], "2.0");
            let method = req["method"].as_str().unwrap().to_string();
            let params = req["params"].clone();
            log2.lock().unwrap().push((method.clone(), params.clone()));
            let answer = handler(&method, &params);
            let envelope = if answer.get("error").is_some() {
                json!({"jsonrpc": "2.0", "id": req["id"], "error": answer["error"]})
            } else {
                json!({"jsonrpc": "2.0", "id": req["id"], "result": answer})
            };
            let text = envelope.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                text.len(),
                text
            );
        }
    });
    (url, log)
}

fn query_ok(value: Vec<u8>) -> Value {
    json!({"response": {"code": 0, "log": "", "info": "", "index": "0", "key": null,
        "value": B64.encode(value), "proofOps": null, "height": "3", "codespace": ""}})
}

fn query_err(code: u32, log: &str) -> Value {
    json!({"response": {"code": code, "log": log, "info": "", "index": "0", "key": null,
        "value": null, "proofOps": null, "height": "3", "codespace": "sdk"}})
}

fn status_json() -> Value {
    json!({"node_info": {"protocol_version": {"p2p": "8", "block": "11", "app": "0"},
        "id": "ab", "listen_addr": "tcp://127.0.0.1:26656", "network": "kumo-devnet",
        "version": "0.38.17", "channels": "40", "moniker": "node",
        "other": {"tx_index": "on", "rpc_address": "tcp://127.0.0.1:26657"}},
      "sync_info": {"latest_block_hash": "AB12", "latest_app_hash": "CD34",
        "latest_block_height": "17", "latest_block_time": "2026-11-25T05:25:38.648000000Z",
        "catching_up": false},
      "validator_info": {"address": "EF", "pub_key": {"type": "tendermint/PubKeyEd25519", "value": ""},
        "voting_power": "10"}})
}

const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                       abandon abandon about";

#[test]
fn status_and_queries() {
    let (url, log) = serve(Arc::new(|method: &str, params: &Value| match method {
        "status" => status_json(),
        "abci_query" => {
            let data = hex::decode(params["data"].as_str().unwrap()).unwrap();
            match params["path"].as_str().unwrap() {
                "/cosmos.bank.v1beta1.Query/Balance" => query_ok(
                    QueryBalanceResponse {
                        balance: Some(Coin {
                            denom: "uakt".into(),
                            amount: "340282366920938463463374607431768211455".into(),
                        }),
                    }
                    .encode_to_vec(),
                ),
                "/cosmos.bank.v1beta1.Query/AllBalances" => {
                    let req = QueryAllBalancesRequest::decode(data.as_slice()).unwrap();
                    let key = req.pagination.unwrap().key;
                    // Two pages: the second is asked for with next_key "p2".
                    let (denom, next) = if key.is_empty() {
                        ("afoo", b"p2".to_vec())
                    } else {
                        assert_eq!(key, b"p2");
                        ("uakt", Vec::new())
                    };
                    query_ok(
                        QueryAllBalancesResponse {
                            balances: vec![Coin {
                                denom: denom.into(),
                                amount: "5".into(),
                            }],
                            pagination: Some(PageResponse {
                                next_key: next,
                                total: 0,
                            }),
                        }
                        .encode_to_vec(),
                    )
                }
                "/cosmos.auth.v1beta1.Query/Account" => {
                    let req = QueryAccountRequest::decode(data.as_slice()).unwrap();
                    query_err(
                        22,
                        &format!(
                            "rpc error: code = NotFound desc = account {} not found: key not found",
                            req.address
                        ),
                    )
                }
                "/cosmos.bank.v1beta1.Query/SupplyOf" => {
                    query_err(18, "invalid denom: invalid request")
                }
                other => panic!("unexpected path {other}"),
            }
        }
        other => panic!("unexpected method {other}"),
    }));
    let client = RpcClient::new(&url);
    let s = client.status().unwrap();
    assert_eq!(s.chain_id, "kumo-devnet");
    assert_eq!(s.latest_height, 17);
    assert_eq!(s.latest_app_hash, "CD34");
    assert_eq!(s.node_version, "0.38.17");

    assert_eq!(client.balance("akash1x", "uakt").unwrap(), u128::MAX);
    assert_eq!(
        client.all_balances("akash1x").unwrap(),
        vec![("afoo".to_string(), 5), ("uakt".to_string(), 5)]
    );
    assert_eq!(client.account("akash1nobody").unwrap(), None);
    let err = client.supply_of("x").unwrap_err();
    assert!(matches!(err, ClientError::Query { code: 18, .. }));
    let text = err.to_string();
    assert!(
        text.contains("/cosmos.bank.v1beta1.Query/SupplyOf failed with code 18 (codespace sdk): invalid denom"),
        "{text}"
    );

    // Height is sent as a string, only when asked for; params are named; prove is false.
    let h = client.clone().at_height(Some(9));
    h.balance("akash1x", "uakt").unwrap();
    let log = log.lock().unwrap();
    let plain = log.iter().find(|(m, _)| m == "abci_query").unwrap();
    assert!(plain.1.get("height").is_none());
    assert_eq!(plain.1["prove"], false);
    let with_height = &log.last().unwrap().1;
    assert_eq!(with_height["height"], "9");
    assert_eq!(log[0].1, json!({}));
}

#[test]
fn sign_and_broadcast_end_to_end() {
    let key = PrivKey::from_mnemonic(ABANDON, "").unwrap();
    let addr = key.address().to_string();
    let pubkey = key.pubkey();
    let addr2 = addr.clone();
    let (url, log) = serve(Arc::new(move |method: &str, params: &Value| match method {
        "status" => status_json(),
        "abci_query" => {
            let data = hex::decode(params["data"].as_str().unwrap()).unwrap();
            match params["path"].as_str().unwrap() {
                "/cosmos.auth.v1beta1.Query/Account" => {
                    let acct = BaseAccount {
                        address: addr2.clone(),
                        pub_key: None,
                        account_number: 7,
                        sequence: 3,
                    };
                    query_ok(
                        QueryAccountResponse {
                            account: Some(Any {
                                type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                                value: acct.encode_to_vec(),
                            }),
                        }
                        .encode_to_vec(),
                    )
                }
                "/cosmos.tx.v1beta1.Service/Simulate" => {
                    let req = SimulateRequest::decode(data.as_slice()).unwrap();
                    let raw = TxRaw::decode(req.tx_bytes.as_slice()).unwrap();
                    assert_eq!(raw.signatures, vec![Vec::<u8>::new()]);
                    query_ok(
                        SimulateResponse {
                            gas_info: Some(GasInfo {
                                gas_wanted: 0,
                                gas_used: 84_201,
                            }),
                            result: None,
                        }
                        .encode_to_vec(),
                    )
                }
                other => panic!("unexpected path {other}"),
            }
        }
        "broadcast_tx_sync" => {
            let tx = B64.decode(params["tx"].as_str().unwrap()).unwrap();
            json!({"code": 0, "data": "", "log": "", "codespace": "",
                   "hash": kumo_client::tx_hash(&tx)})
        }
        other => panic!("unexpected method {other}"),
    }));
    let client = RpcClient::new(&url);
    let msg = MsgSend {
        from_address: addr.clone(),
        to_address: "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6".into(),
        amount: kumo_client::parse_coins("12345uakt").unwrap(),
    };
    let opts = FeeOpts {
        memo: "hi".into(),
        ..Default::default()
    };
    let res =
        kumo_client::sign_and_broadcast(&client, &key, None, vec![to_any(&msg)], &opts).unwrap();
    assert_eq!(res.code, 0);

    let log = log.lock().unwrap();
    let methods: Vec<&str> = log.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        methods,
        ["status", "abci_query", "abci_query", "broadcast_tx_sync"],
        "chain id from status, account, simulate, broadcast"
    );
    let tx = B64.decode(log[3].1["tx"].as_str().unwrap()).unwrap();
    assert_eq!(res.hash, kumo_client::tx_hash(&tx));
    let raw = TxRaw::decode(tx.as_slice()).unwrap();
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    let fee = auth.fee.unwrap();
    // ceil(84201 × 1.4) = 117882; ceil(117882 × 0.025) = 2948 (2947.05 rounded up).
    assert_eq!(fee.gas_limit, 117_882);
    assert_eq!(
        fee.amount,
        vec![Coin {
            denom: "uakt".into(),
            amount: "2948".into()
        }]
    );
    assert_eq!(auth.signer_infos[0].sequence, 3);
    let doc = SignDoc {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes: raw.auth_info_bytes.clone(),
        chain_id: "kumo-devnet".into(),
        account_number: 7,
    };
    assert!(pubkey.verify(&doc.encode_to_vec(), &raw.signatures[0]));
}

#[test]
fn fixed_gas_skips_simulation_and_missing_account_is_clear() {
    let key = PrivKey::from_mnemonic(ABANDON, "").unwrap();
    let (url, log) = serve(Arc::new(|method: &str, _params: &Value| match method {
        "abci_query" => query_err(
            22,
            "rpc error: code = NotFound desc = account akash1… not found: key not found",
        ),
        other => panic!("unexpected method {other}"),
    }));
    let client = RpcClient::new(&url);
    let opts = FeeOpts {
        gas: Gas::Fixed(100_000),
        ..Default::default()
    };
    let msg = to_any(&MsgSend::default());
    let err =
        kumo_client::prepare_tx(&client, &key, Some("kumo-devnet"), vec![msg], &opts).unwrap_err();
    assert!(matches!(err, ClientError::AccountNotFound(_)));
    assert!(err.to_string().contains("must receive tokens"), "{err}");
    // Explicit chain id: no status call; fixed gas: no simulate.
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[test]
fn simulation_failure_reports_node_log() {
    let key = PrivKey::from_mnemonic(ABANDON, "").unwrap();
    let addr = key.address().to_string();
    let (url, _log) = serve(Arc::new(move |_m: &str, params: &Value| {
        match params["path"].as_str().unwrap() {
            "/cosmos.auth.v1beta1.Query/Account" => query_ok(
                QueryAccountResponse {
                    account: Some(Any {
                        type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                        value: BaseAccount {
                            address: addr.clone(),
                            pub_key: None,
                            account_number: 1,
                            sequence: 0,
                        }
                        .encode_to_vec(),
                    }),
                }
                .encode_to_vec(),
            ),
            _ => query_err(
                6,
                "rpc error: code = Unknown desc = spendable balance 0uakt is smaller than 5uakt: insufficient funds With gas wanted: '0' and gas used: '1000' : unknown request",
            ),
        }
    }));
    let client = RpcClient::new(&url);
    let err = kumo_client::prepare_tx(
        &client,
        &key,
        Some("c"),
        vec![to_any(&MsgSend::default())],
        &FeeOpts::default(),
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ClientError::Simulation { code: 6, .. }));
    assert!(
        text.contains("insufficient funds") && text.contains("--gas"),
        "{text}"
    );
}

#[test]
fn tx_search_and_wait_for_tx() {
    let hash = "AB".repeat(32);
    let calls = Arc::new(Mutex::new(0u32));
    let calls2 = calls.clone();
    let h2 = hash.clone();
    let (url, log) = serve(Arc::new(move |method: &str, _p: &Value| {
        assert_eq!(method, "tx_search");
        let mut n = calls2.lock().unwrap();
        *n += 1;
        if *n < 3 {
            json!({"txs": [], "total_count": "0"})
        } else {
            json!({"txs": [{"hash": h2, "height": "4", "index": 0, "tx": "AQID",
                "tx_result": {"code": 0, "data": null, "log": "", "info": "", "gas_wanted": "200000",
                  "gas_used": "92600", "events": [], "codespace": ""}}], "total_count": "1"})
        }
    }));
    let client = RpcClient::new(&url);
    let start = Instant::now();
    let info = client
        .wait_for_tx(&hash.to_lowercase(), Duration::from_secs(10))
        .unwrap();
    assert_eq!(info.height, 4);
    assert_eq!(info.gas_used, 92_600);
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "polls every 250 ms"
    );
    let log = log.lock().unwrap();
    assert_eq!(
        log[0].1,
        json!({"query": format!("tx.hash='{hash}'"), "page": "1"})
    );
}

#[test]
fn wait_for_tx_times_out_with_a_hint() {
    let (url, _log) = serve(Arc::new(
        |_m: &str, _p: &Value| json!({"txs": [], "total_count": "0"}),
    ));
    let client = RpcClient::new(&url);
    let hash = "CD".repeat(32);
    let err = client
        .wait_for_tx(&hash, Duration::from_millis(600))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("may still be included"), "{text}");
    assert!(text.contains(&format!("kumo query tx {hash}")), "{text}");
}

#[test]
fn rpc_errors_and_block() {
    let (url, _log) = serve(Arc::new(|method: &str, params: &Value| match method {
        "broadcast_tx_sync" => json!({"error": {"code": -32603, "message": "Internal error",
            "data": "tx already exists in cache"}}),
        "block" => {
            assert_eq!(params["height"], "5");
            json!({"block_id": {"hash": "BEEF", "parts": {"total": 1, "hash": "00"}},
              "block": {"header": {"chain_id": "kumo-devnet", "height": "5",
                "time": "2026-11-25T05:25:38.648000000Z", "app_hash": "AA", "proposer_address": "BB"},
                "data": {"txs": ["AQID"]}, "evidence": {"evidence": []},
                "last_commit": {"height": "4", "round": 0, "signatures": []}}})
        }
        other => panic!("unexpected method {other}"),
    }));
    let client = RpcClient::new(&url);
    let err = client.broadcast_tx_sync(&[1, 2, 3]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "node returned JSON-RPC error -32603 (Internal error): tx already exists in cache"
    );
    let b = client.block(Some(5)).unwrap();
    assert_eq!(
        (b.height, b.hash.as_str(), b.chain_id.as_str()),
        (5, "BEEF", "kumo-devnet")
    );
    assert_eq!(b.tx_hashes(), vec![kumo_client::tx_hash(&[1, 2, 3])]);
}

#[test]
fn unreachable_node_says_so() {
    // Bind then drop to get a port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = RpcClient::new(&format!("127.0.0.1:{port}"));
    let err = client.status().unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot reach node at http://127.0.0.1:{port}: is `kumo node start` running?"
        )),
        "{text}"
    );
}
