//! The REST gateway's route table on a real in-memory node: a chain with a bonded validator, a
//! delegation, a gov proposal with a deposit and a vote, and an authz grant. Every Cosmos route
//! answers 200 with the SDK gateway's top-level fields and value shapes; unknown ids and bad
//! parameters get 404 / 400 with the SDK's error body; `GET /cosmos/tx/v1beta1/txs` searches
//! the tx index (`query=`, the older `events=`, paging and order).

use cosmos_sdk_proto::cosmos::authz::v1beta1::{GenericAuthorization, Grant, MsgGrant};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::v1::{MsgSubmitProposal, MsgVote, VoteOption};
use cosmos_sdk_proto::cosmos::staking::v1beta1::MsgDelegate;
use kumo_app::abci::BlockTime;
use kumo_app::genesis::Genesis;
use kumo_app::staking::state::VALOPER_HRP;
use kumo_client::tx::to_any;
use kumo_client::{Coin, TxBuilder};
use kumo_crypto::PrivKey;
use kumo_node::home::{Ed25519Key, NodeConfig};
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::rpc::serve_rest;
use kumo_node::Node;
use kumo_store::{Store, StoreOptions};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHAIN: &str = "kumo-test";
const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const START: u128 = 1_000_000_000_000;
const DEPOSIT: u128 = 2_500_000_000;

fn key(m: &str) -> PrivKey {
    PrivKey::from_mnemonic(m, "").unwrap()
}

struct Chain {
    node: Arc<Node>,
    time: i64,
    alice: PrivKey,
    bob: PrivKey,
    valoper: String,
}

impl Chain {
    /// Alice (account 0) delegates to bob's genesis validator, submits a proposal with the
    /// full deposit, votes yes on it and grants bob a generic MsgSend authorization.
    fn new() -> Chain {
        let (alice, bob) = (key(ALICE), key(BOB));
        let validator = Ed25519Key::generate();
        let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
        for k in [&alice, &bob] {
            g.add_account(
                &k.address().to_string(),
                &[kumo_app::coins::Coin::new("uakt", START)],
            )
            .unwrap();
        }
        kumo_app::staking::genesis::add_genesis_validator(
            &mut g,
            &bob.address(),
            &validator.public(),
            "node0",
            START / 2,
            kumo_proto::math::DEC_ONE / 10,
        )
        .unwrap();
        let node = Node::with_parts(
            NodeConfig::new(CHAIN, "test"),
            &g.to_json(),
            validator,
            &Ed25519Key::generate(),
            Store::in_memory(StoreOptions::default()).unwrap(),
        )
        .unwrap();
        let valoper = bob.address().to_bech32(VALOPER_HRP);
        let mut c = Chain {
            node: Arc::new(node),
            time: 1_000,
            alice,
            bob,
            valoper,
        };
        c.block();
        let alice_addr = c.alice.address().to_string();
        c.send(
            0,
            to_any(&MsgDelegate {
                delegator_address: alice_addr.clone(),
                validator_address: c.valoper.clone(),
                amount: Some(ProtoCoin {
                    denom: "uakt".into(),
                    amount: (START / 4).to_string(),
                }),
            }),
        );
        c.block();
        c.send(
            1,
            to_any(&MsgSubmitProposal {
                messages: vec![],
                initial_deposit: vec![ProtoCoin {
                    denom: "uakt".into(),
                    amount: DEPOSIT.to_string(),
                }],
                proposer: alice_addr.clone(),
                metadata: String::new(),
                title: "a text proposal".into(),
                summary: "for the REST routes".into(),
                expedited: false,
            }),
        );
        c.block();
        c.send(
            2,
            to_any(&MsgVote {
                proposal_id: 1,
                voter: alice_addr.clone(),
                option: VoteOption::Yes as i32,
                metadata: String::new(),
            }),
        );
        c.send(
            3,
            to_any(&MsgGrant {
                granter: alice_addr,
                grantee: c.bob.address().to_string(),
                grant: Some(Grant {
                    authorization: Some(to_any(&GenericAuthorization {
                        msg: "/cosmos.bank.v1beta1.MsgSend".into(),
                    })),
                    expiration: None,
                }),
            }),
        );
        c.block();
        c.block();
        c
    }

    fn block(&mut self) {
        self.time += 6;
        let b = self
            .node
            .produce_block_at(BlockTime {
                seconds: self.time,
                nanos: 0,
            })
            .unwrap();
        let results = self.node.block_results(b.block.header.height).unwrap();
        for r in &results.tx_results {
            assert_eq!(r.code, 0, "{}", r.log);
        }
    }

    /// Alice signs `msg` with `sequence` and puts it in the mempool.
    fn send(&self, sequence: u64, msg: cosmos_sdk_proto::Any) {
        let tx = TxBuilder::new(CHAIN, 0, sequence)
            .msg(msg)
            .fee(vec![Coin {
                denom: "uakt".into(),
                amount: "10000".into(),
            }])
            .gas_limit(400_000)
            .sign(&self.alice)
            .tx_bytes;
        let r = self.node.check_tx(tx).unwrap();
        assert_eq!(r.code, 0, "{}", r.log);
    }
}

/// Minimal HTTP/1.1 GET: (status, height header, JSON body).
async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, Option<u64>, Value) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("http head");
    let head = String::from_utf8_lossy(&buf[..split]).to_ascii_lowercase();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let height = head
        .lines()
        .find_map(|l| l.strip_prefix("x-cosmos-block-height: "))
        .map(|h| h.trim().parse().unwrap());
    assert!(
        !head.contains("transfer-encoding: chunked"),
        "axum's JSON answers have a length"
    );
    let body = serde_json::from_slice(&buf[split + 4..])
        .unwrap_or_else(|e| panic!("{path}: body is not JSON ({e})"));
    (status, height, body)
}

/// GETs `path`, expects 200, the height header and exactly `fields` at the top level.
async fn ok(addr: std::net::SocketAddr, path: &str, fields: &[&str]) -> Value {
    let (status, height, body) = get(addr, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(height.is_some_and(|h| h > 0), "{path}: no height header");
    let mut have: Vec<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("{path}: not an object"))
        .keys()
        .map(String::as_str)
        .collect();
    have.sort_unstable();
    let mut want = fields.to_vec();
    want.sort_unstable();
    assert_eq!(have, want, "{path}: {body}");
    body
}

/// GETs `path` and expects the SDK's error body with `grpc_code` and HTTP `status`.
async fn refused(addr: std::net::SocketAddr, path: &str, status: u16, grpc_code: u64) -> String {
    let (st, _, body) = get(addr, path).await;
    assert_eq!(st, status, "{path}: {body}");
    assert_eq!(body["code"], grpc_code, "{path}: {body}");
    assert_eq!(body["details"], json!([]), "{path}: {body}");
    assert_eq!(body.as_object().unwrap().len(), 3, "{path}: {body}");
    body["message"].as_str().unwrap().to_string()
}

fn is_dec(v: &Value) -> bool {
    v.as_str()
        .and_then(|s| s.split_once('.'))
        .is_some_and(|(_, frac)| frac.len() == 18)
}

#[tokio::test]
async fn every_cosmos_route_answers_in_the_gateway_shape() {
    let c = Chain::new();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let backend: Arc<dyn RpcBackend> = c.node.clone();
    tokio::spawn(serve_rest(backend, l));
    let (alice, bob, val) = (
        c.alice.address().to_string(),
        c.bob.address().to_string(),
        c.valoper.clone(),
    );

    // staking
    let s = "/cosmos/staking/v1beta1";
    let v = ok(
        addr,
        &format!("{s}/validators"),
        &["validators", "pagination"],
    )
    .await;
    assert_eq!(v["validators"].as_array().unwrap().len(), 1);
    let v = ok(
        addr,
        &format!("{s}/validators?status=BOND_STATUS_UNBONDED"),
        &["validators", "pagination"],
    )
    .await;
    assert_eq!(v["validators"], json!([]));
    let v = ok(addr, &format!("{s}/validators/{val}"), &["validator"]).await;
    let validator = &v["validator"];
    assert_eq!(validator["operator_address"], val);
    assert_eq!(validator["status"], "BOND_STATUS_BONDED");
    assert_eq!(validator["jailed"], false);
    assert_eq!(
        validator["consensus_pubkey"]["@type"],
        "/cosmos.crypto.ed25519.PubKey"
    );
    assert!(is_dec(&validator["delegator_shares"]), "{validator}");
    assert!(
        is_dec(&validator["commission"]["commission_rates"]["rate"]),
        "{validator}"
    );
    assert_eq!(validator["tokens"], (START / 2 + START / 4).to_string());
    assert!(
        validator["unbonding_height"].is_string(),
        "int64 as a string"
    );
    let v = ok(
        addr,
        &format!("{s}/validators/{val}/delegations"),
        &["delegation_responses", "pagination"],
    )
    .await;
    assert_eq!(v["delegation_responses"].as_array().unwrap().len(), 2);
    assert_eq!(v["pagination"]["total"], "2");
    ok(
        addr,
        &format!("{s}/validators/{val}/unbonding_delegations"),
        &["unbonding_responses", "pagination"],
    )
    .await;
    let v = ok(
        addr,
        &format!("{s}/validators/{val}/delegations/{alice}"),
        &["delegation_response"],
    )
    .await;
    let d = &v["delegation_response"];
    assert_eq!(d["delegation"]["delegator_address"], alice);
    assert!(is_dec(&d["delegation"]["shares"]), "{d}");
    assert_eq!(
        d["balance"],
        json!({"denom": "uakt", "amount": (START / 4).to_string()})
    );
    let v = ok(
        addr,
        &format!("{s}/delegations/{alice}"),
        &["delegation_responses", "pagination"],
    )
    .await;
    assert_eq!(v["delegation_responses"].as_array().unwrap().len(), 1);
    ok(
        addr,
        &format!("{s}/delegators/{alice}/unbonding_delegations"),
        &["unbonding_responses", "pagination"],
    )
    .await;
    ok(
        addr,
        &format!("{s}/delegators/{alice}/redelegations"),
        &["redelegation_responses", "pagination"],
    )
    .await;
    ok(
        addr,
        &format!("{s}/delegators/{alice}/validators"),
        &["validators", "pagination"],
    )
    .await;
    ok(
        addr,
        &format!("{s}/delegators/{alice}/validators/{val}"),
        &["validator"],
    )
    .await;
    let v = ok(addr, &format!("{s}/pool"), &["pool"]).await;
    assert_eq!(
        v["pool"]["bonded_tokens"],
        (START / 2 + START / 4).to_string()
    );
    let v = ok(addr, &format!("{s}/params"), &["params"]).await;
    assert_eq!(v["params"]["bond_denom"], "uakt");
    assert_eq!(v["params"]["unbonding_time"], "1209600s");
    assert!(
        v["params"]["max_validators"].is_number(),
        "uint32 as a number"
    );
    assert!(is_dec(&v["params"]["min_commission_rate"]));

    // distribution
    let d = "/cosmos/distribution/v1beta1";
    let v = ok(addr, &format!("{d}/params"), &["params"]).await;
    assert!(is_dec(&v["params"]["community_tax"]), "{v}");
    let v = ok(
        addr,
        &format!("{d}/validators/{val}/outstanding_rewards"),
        &["rewards"],
    )
    .await;
    assert!(v["rewards"]["rewards"].is_array());
    ok(
        addr,
        &format!("{d}/validators/{val}/commission"),
        &["commission"],
    )
    .await;
    ok(
        addr,
        &format!("{d}/validators/{val}/slashes?starting_height=1&ending_height=100"),
        &["slashes", "pagination"],
    )
    .await;
    let v = ok(
        addr,
        &format!("{d}/delegators/{alice}/rewards"),
        &["rewards", "total"],
    )
    .await;
    assert_eq!(v["rewards"][0]["validator_address"], val);
    for coin in v["total"].as_array().unwrap() {
        assert!(is_dec(&coin["amount"]), "DecCoin amounts: {v}");
    }
    ok(
        addr,
        &format!("{d}/delegators/{alice}/rewards/{val}"),
        &["rewards"],
    )
    .await;
    let v = ok(
        addr,
        &format!("{d}/delegators/{alice}/validators"),
        &["validators"],
    )
    .await;
    assert_eq!(v["validators"], json!([val]));
    let v = ok(
        addr,
        &format!("{d}/delegators/{alice}/withdraw_address"),
        &["withdraw_address"],
    )
    .await;
    assert_eq!(v["withdraw_address"], alice);
    ok(addr, &format!("{d}/community_pool"), &["pool"]).await;

    // gov v1
    let g = "/cosmos/gov/v1";
    let v = ok(
        addr,
        &format!("{g}/params/deposit"),
        &["voting_params", "deposit_params", "tally_params", "params"],
    )
    .await;
    assert_eq!(v["params"]["voting_period"], "259200s");
    for filter in [
        String::new(),
        "?proposal_status=PROPOSAL_STATUS_VOTING_PERIOD".into(),
        format!("?voter={alice}"),
        format!("?depositor={alice}"),
        "?pagination.limit=1&pagination.count_total=true".into(),
    ] {
        let v = ok(
            addr,
            &format!("{g}/proposals{filter}"),
            &["proposals", "pagination"],
        )
        .await;
        assert_eq!(v["proposals"].as_array().unwrap().len(), 1, "{filter}: {v}");
    }
    let v = ok(
        addr,
        &format!("{g}/proposals?proposal_status=PROPOSAL_STATUS_PASSED"),
        &["proposals", "pagination"],
    )
    .await;
    assert_eq!(v["proposals"], json!([]));
    let v = ok(
        addr,
        &format!("{g}/proposals?voter={bob}"),
        &["proposals", "pagination"],
    )
    .await;
    assert_eq!(v["proposals"], json!([]));
    let v = ok(addr, &format!("{g}/proposals/1"), &["proposal"]).await;
    let p = &v["proposal"];
    assert_eq!(p["id"], "1");
    assert_eq!(p["status"], "PROPOSAL_STATUS_VOTING_PERIOD");
    assert_eq!(p["messages"], json!([]));
    assert_eq!(p["title"], "a text proposal");
    assert!(p["voting_end_time"].as_str().unwrap().ends_with('Z'), "{p}");
    let v = ok(
        addr,
        &format!("{g}/proposals/1/votes"),
        &["votes", "pagination"],
    )
    .await;
    assert_eq!(v["votes"][0]["voter"], alice);
    let v = ok(addr, &format!("{g}/proposals/1/votes/{alice}"), &["vote"]).await;
    assert_eq!(v["vote"]["options"][0]["option"], "VOTE_OPTION_YES");
    let v = ok(
        addr,
        &format!("{g}/proposals/1/deposits"),
        &["deposits", "pagination"],
    )
    .await;
    assert_eq!(
        v["deposits"][0]["amount"],
        json!([{"denom": "uakt", "amount": DEPOSIT.to_string()}])
    );
    ok(
        addr,
        &format!("{g}/proposals/1/deposits/{alice}"),
        &["deposit"],
    )
    .await;
    let v = ok(addr, &format!("{g}/proposals/1/tally"), &["tally"]).await;
    assert!(v["tally"]["yes_count"].is_string());

    // gov v1beta1
    let g = "/cosmos/gov/v1beta1";
    let v = ok(
        addr,
        &format!("{g}/params/tallying"),
        &["voting_params", "deposit_params", "tally_params"],
    )
    .await;
    assert!(is_dec(&v["tally_params"]["quorum"]), "LegacyDec bytes: {v}");
    let v = ok(
        addr,
        &format!("{g}/proposals"),
        &["proposals", "pagination"],
    )
    .await;
    assert_eq!(v["proposals"][0]["proposal_id"], "1");
    let v = ok(addr, &format!("{g}/proposals/1"), &["proposal"]).await;
    assert_eq!(v["proposal"]["status"], "PROPOSAL_STATUS_VOTING_PERIOD");
    ok(
        addr,
        &format!("{g}/proposals/1/votes"),
        &["votes", "pagination"],
    )
    .await;
    let v = ok(addr, &format!("{g}/proposals/1/votes/{alice}"), &["vote"]).await;
    assert_eq!(v["vote"]["options"][0]["option"], "VOTE_OPTION_YES");
    assert!(is_dec(&v["vote"]["options"][0]["weight"]), "{v}");
    ok(
        addr,
        &format!("{g}/proposals/1/deposits"),
        &["deposits", "pagination"],
    )
    .await;
    ok(
        addr,
        &format!("{g}/proposals/1/deposits/{alice}"),
        &["deposit"],
    )
    .await;
    ok(addr, &format!("{g}/proposals/1/tally"), &["tally"]).await;

    // mint
    let m = "/cosmos/mint/v1beta1";
    let v = ok(addr, &format!("{m}/params"), &["params"]).await;
    assert_eq!(v["params"]["mint_denom"], "uakt");
    assert!(is_dec(&v["params"]["inflation_max"]), "{v}");
    let v = ok(addr, &format!("{m}/inflation"), &["inflation"]).await;
    assert!(is_dec(&v["inflation"]), "{v}");
    let v = ok(
        addr,
        &format!("{m}/annual_provisions"),
        &["annual_provisions"],
    )
    .await;
    assert!(is_dec(&v["annual_provisions"]), "{v}");

    // slashing
    let sl = "/cosmos/slashing/v1beta1";
    let v = ok(addr, &format!("{sl}/params"), &["params"]).await;
    assert!(is_dec(&v["params"]["slash_fraction_downtime"]), "{v}");
    assert!(v["params"]["signed_blocks_window"].is_string());
    let v = ok(
        addr,
        &format!("{sl}/signing_infos"),
        &["info", "pagination"],
    )
    .await;
    let cons = v["info"][0]["address"].as_str().unwrap().to_string();
    let v = ok(
        addr,
        &format!("{sl}/signing_infos/{cons}"),
        &["val_signing_info"],
    )
    .await;
    assert_eq!(v["val_signing_info"]["address"], cons);

    // authz
    let a = "/cosmos/authz/v1beta1/grants";
    let v = ok(
        addr,
        &format!("{a}?granter={alice}&grantee={bob}"),
        &["grants", "pagination"],
    )
    .await;
    assert_eq!(
        v["grants"][0]["authorization"],
        json!({"@type": "/cosmos.authz.v1beta1.GenericAuthorization", "msg": "/cosmos.bank.v1beta1.MsgSend"})
    );
    assert_eq!(v["grants"][0]["expiration"], Value::Null);
    let v = ok(
        addr,
        &format!("{a}/granter/{alice}"),
        &["grants", "pagination"],
    )
    .await;
    assert_eq!(v["grants"][0]["grantee"], bob);
    let v = ok(
        addr,
        &format!("{a}/grantee/{bob}"),
        &["grants", "pagination"],
    )
    .await;
    assert_eq!(v["grants"][0]["granter"], alice);

    // Akash's own routes (the same table), current and pre-v1.0 versions.
    for (path, fields) in [
        (
            "/akash/deployment/v1beta4/deployments/list",
            &["deployments", "pagination"][..],
        ),
        ("/akash/deployment/v1beta4/params", &["params"]),
        (
            "/akash/market/v1beta5/orders/list",
            &["orders", "pagination"],
        ),
        ("/akash/market/v1beta5/bids/list", &["bids", "pagination"]),
        (
            "/akash/market/v1beta5/leases/list",
            &["leases", "pagination"],
        ),
        ("/akash/market/v1beta5/params", &["params"]),
        (
            "/akash/escrow/v1/types/accounts",
            &["accounts", "pagination"],
        ),
        (
            "/akash/escrow/v1/types/payments",
            &["payments", "pagination"],
        ),
        ("/akash/take/v1/params", &["params"]),
        (
            "/akash/provider/v1beta4/providers",
            &["providers", "pagination"],
        ),
        (
            "/akash/audit/v1/audit/attributes/list",
            &["providers", "pagination"],
        ),
        (
            "/akash/cert/v1/certificates/list",
            &["certificates", "pagination"],
        ),
        (
            "/akash/deployment/v1beta3/deployments/list",
            &["deployments", "pagination"],
        ),
        (
            "/akash/market/v1beta4/orders/list",
            &["orders", "pagination"],
        ),
        ("/akash/market/v1beta4/bids/list", &["bids", "pagination"]),
        (
            "/akash/market/v1beta4/leases/list",
            &["leases", "pagination"],
        ),
    ] {
        ok(addr, path, fields).await;
    }
    refused(
        addr,
        &format!("/akash/deployment/v1beta3/deployments/info?id.owner={alice}&id.dseq=1"),
        404,
        5,
    )
    .await;

    // Unknown ids: 404 with the SDK error body.
    refused(addr, "/cosmos/gov/v1/proposals/999", 404, 5).await;
    refused(addr, "/cosmos/gov/v1beta1/proposals/999", 404, 5).await;
    let stranger =
        key("legal winner thank year wave sausage worth useful legal winner thank yellow")
            .address();
    refused(
        addr,
        &format!("{s}/validators/{}", stranger.to_bech32(VALOPER_HRP)),
        404,
        5,
    )
    .await;
    refused(addr, "/cosmos/nothing/here", 404, 5).await;
    // Bad parameters: 400.
    let m = refused(addr, "/cosmos/gov/v1/proposals/abc", 400, 3).await;
    assert!(m.contains("proposal_id"), "{m}");
    let m = refused(addr, &format!("{s}/validators?status=NOPE"), 400, 3).await;
    assert!(m.contains("BOND_STATUS_BONDED"), "names the choices: {m}");
    refused(addr, &format!("{s}/validators?pagination.limit=x"), 400, 3).await;
    refused(addr, &format!("{s}/validators/akashvaloper1bad"), 400, 3).await;
    refused(
        addr,
        &format!("{d}/validators/{val}/slashes?starting_height=5&ending_height=1"),
        400,
        3,
    )
    .await;
}

#[tokio::test]
async fn tx_search_over_rest_pages_and_orders() {
    let c = Chain::new();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let backend: Arc<dyn RpcBackend> = c.node.clone();
    tokio::spawn(serve_rest(backend, l));
    let alice = c.alice.address().to_string();
    let fields = ["txs", "tx_responses", "pagination", "total"];

    let q = format!("query=message.sender%3D%27{alice}%27");
    let v = ok(addr, &format!("/cosmos/tx/v1beta1/txs?{q}"), &fields).await;
    assert_eq!(v["total"], "4");
    let heights: Vec<&str> = v["tx_responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["height"].as_str().unwrap())
        .collect();
    assert_eq!(heights, ["2", "3", "4", "4"]);
    assert_eq!(v["txs"].as_array().unwrap().len(), 4);
    assert_eq!(v["tx_responses"][0]["tx"]["@type"], "/cosmos.tx.v1beta1.Tx");
    assert_eq!(v["pagination"], Value::Null);

    // Paging and order.
    let v = ok(
        addr,
        &format!("/cosmos/tx/v1beta1/txs?{q}&page=2&limit=3"),
        &fields,
    )
    .await;
    assert_eq!(v["tx_responses"].as_array().unwrap().len(), 1);
    assert_eq!(v["total"], "4");
    let v = ok(
        addr,
        &format!("/cosmos/tx/v1beta1/txs?{q}&limit=1&order_by=ORDER_BY_DESC"),
        &fields,
    )
    .await;
    assert_eq!(v["tx_responses"][0]["height"], "4");
    // The older `events=` form (values without quotes) and offset paging.
    let v = ok(
        addr,
        &format!(
            "/cosmos/tx/v1beta1/txs?events=message.sender%3D{alice}&pagination.offset=2&pagination.limit=2"
        ),
        &fields,
    )
    .await;
    assert_eq!(v["tx_responses"].as_array().unwrap().len(), 2);
    assert_eq!(v["tx_responses"][0]["height"], "4");
    assert_eq!(v["tx_responses"][1]["height"], "4");
    // A range-only query, which needs a scan of the blocks.
    let v = ok(
        addr,
        "/cosmos/tx/v1beta1/txs?query=tx.height%3E2%20AND%20tx.height%3C%3D4",
        &fields,
    )
    .await;
    assert_eq!(v["total"], "3");

    // Errors.
    let m = refused(addr, "/cosmos/tx/v1beta1/txs", 400, 3).await;
    assert!(m.contains("query cannot be empty"), "{m}");
    refused(addr, "/cosmos/tx/v1beta1/txs?query=a.b%3D%3D", 400, 3).await;
    refused(addr, &format!("/cosmos/tx/v1beta1/txs?{q}&page=9"), 400, 3).await;
    refused(
        addr,
        &format!("/cosmos/tx/v1beta1/txs?{q}&order_by=UP"),
        400,
        3,
    )
    .await;
    refused(
        addr,
        &format!("/cosmos/tx/v1beta1/txs?{q}&limit=-1"),
        400,
        3,
    )
    .await;
}

/// One unary gRPC call over h2c: (grpc-status, message bytes).
async fn grpc(addr: std::net::SocketAddr, path: &str, msg: &[u8]) -> (String, Vec<u8>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut client = client.ready().await.unwrap();
    let req = http::Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .unwrap();
    let (resp, mut stream) = client.send_request(req, false).unwrap();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    framed.extend_from_slice(msg);
    stream.send_data(bytes::Bytes::from(framed), true).unwrap();
    let mut body = resp.await.unwrap().into_body();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        body.flow_control().release_capacity(chunk.len()).unwrap();
        data.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await.unwrap().unwrap_or_default();
    let status = trailers["grpc-status"].to_str().unwrap().to_string();
    let message = if data.len() >= 5 {
        data[5..].to_vec()
    } else {
        vec![]
    };
    (status, message)
}

#[tokio::test]
async fn get_txs_event_over_grpc_searches_the_index() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{GetTxsEventRequest, GetTxsEventResponse, OrderBy};
    use prost::Message;
    let c = Chain::new();
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let backend: Arc<dyn RpcBackend> = c.node.clone();
    tokio::spawn(kumo_node::rpc::serve_grpc(backend, l));
    let path = "/cosmos.tx.v1beta1.Service/GetTxsEvent";
    let req = GetTxsEventRequest {
        query: format!("message.sender='{}'", c.alice.address()),
        order_by: OrderBy::Desc as i32,
        page: 1,
        limit: 3,
        ..Default::default()
    };
    let (status, body) = grpc(addr, path, &req.encode_to_vec()).await;
    assert_eq!(status, "0");
    let r = GetTxsEventResponse::decode(body.as_slice()).unwrap();
    assert_eq!(r.total, 4);
    assert_eq!(r.txs.len(), 3);
    let heights: Vec<i64> = r.tx_responses.iter().map(|t| t.height).collect();
    assert_eq!(heights, [4, 4, 3]);
    assert_eq!(r.tx_responses[2].txhash.len(), 64);
    let (status, _) = grpc(addr, path, &GetTxsEventRequest::default().encode_to_vec()).await;
    assert_eq!(status, "3", "an empty query is InvalidArgument");
}
