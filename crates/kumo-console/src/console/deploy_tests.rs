//! Sign-in, the signing path and the deploy routes against a real in-memory node (JSON-RPC on
//! loopback, a block every 200 ms) and the console served on a loopback port. Alice signs in
//! with a local key; bob with a "browser wallet" whose signature this test makes with bob's key
//! over the sign doc the console hands out, as Keplr's signDirect does.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SignDoc;
use kumo_client::tx::to_any;
use kumo_client::{FeeOpts, RpcClient};
use kumo_crypto::keyring::{Backend, Keyring};
use kumo_crypto::PrivKey;
use kumo_node::testkit::{Producing, TestNet};
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use prost::Message;
use serde_json::{json, Value};

use super::deploy::TEMPLATES;
use super::test_support::{agent, serve_on_loopback};
use super::{ConsoleConfig, ConsoleState};

const CHAIN: &str = "kumo-console-deploy-test";
const DEC_ONE: u128 = 1_000_000_000_000_000_000;
const FUNDS: u128 = 1_000_000_000; // uakt each tenant starts with: 1,000 AKT

struct Fixture {
    url: String,
    chain: RpcClient,
    alice: PrivKey,
    bob: PrivKey,
    _producing: Producing,
    _home: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn setup() -> Fixture {
    setup_with(Backend::Test)
}

/// The passphrase of alice's key in a `file` keyring.
const PASSPHRASE: &str = "correct horse battery";

fn setup_with(backend: Backend) -> Fixture {
    let validator_op = PrivKey::generate();
    let alice = PrivKey::generate();
    let bob = PrivKey::generate();
    let provider = PrivKey::generate();
    let node = TestNet::builder(CHAIN)
        .fund(&validator_op, &[("uakt", 1_000_000_000_000)])
        .fund(&alice, &[("uakt", FUNDS)])
        .fund(&bob, &[("uakt", FUNDS)])
        .fund(&provider, &[("uakt", FUNDS)])
        .validator(&validator_op, 400_000_000_000)
        .start();
    // A block every 200 ms, as a running node would make them, until the test ends.
    let producing = node.keep_producing(Duration::from_millis(200));
    let chain = node.client();
    // A provider whose gateway is not there: "why no bids?" lists it as unreachable.
    let r = kumo_client::sign_and_broadcast(
        &chain,
        &provider,
        Some(CHAIN),
        vec![to_any(&pv1b4::MsgCreateProvider {
            owner: provider.address().to_string(),
            host_uri: "https://127.0.0.1:1".into(),
            attributes: vec![Attribute {
                key: "region".into(),
                value: "local".into(),
            }],
            info: None,
        })],
        &FeeOpts::default(),
    )
    .unwrap();
    assert_eq!(r.code, 0, "{}", r.log);
    chain.wait_for_tx(&r.hash, Duration::from_secs(30)).unwrap();

    let home = tempfile::tempdir().unwrap();
    let kr = Keyring::open(home.path(), backend).unwrap();
    let pass = backend.needs_passphrase().then_some(PASSPHRASE);
    kr.import_privkey("alice", &alice, pass).unwrap();
    let state = ConsoleState::new(ConsoleConfig {
        node: node.url.clone(),
        rest: "http://127.0.0.1:1".into(),
        home: home.path().to_path_buf(),
        keyring_backend: backend,
        stats_url: "http://127.0.0.1:1".into(),
        ingress_port: 8080,
    })
    .unwrap();
    let (url, rt) = serve_on_loopback(state);
    Fixture {
        url,
        chain,
        alice,
        bob,
        _producing: producing,
        _home: home,
        _rt: rt,
    }
}

fn status_body(r: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match r {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

fn get(f: &Fixture, cookie: &str, path: &str) -> (u16, String) {
    status_body(
        agent()
            .get(&format!("{}{path}", f.url))
            .set("Cookie", cookie)
            .call(),
    )
}

fn post_form(f: &Fixture, cookie: &str, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    status_body(
        agent()
            .post(&format!("{}{path}", f.url))
            .set("Cookie", cookie)
            .send_form(form),
    )
}

fn post_json(f: &Fixture, cookie: &str, path: &str, body: Value) -> (u16, Value) {
    let (s, b) = status_body(
        agent()
            .post(&format!("{}{path}", f.url))
            .set("Cookie", cookie)
            .send_json(body),
    );
    (
        s,
        serde_json::from_str(&b).unwrap_or_else(|_| json!({"raw": b})),
    )
}

/// The `kumo_console=…` pair of a Set-Cookie header.
fn cookie_of(r: &ureq::Response) -> String {
    r.header("set-cookie")
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn deployment(f: &Fixture, owner: &PrivKey, dseq: u64) -> Option<dv1b4::QueryDeploymentResponse> {
    f.chain
        .query_proto(
            "/akash.deployment.v1beta4.Query/Deployment",
            &dv1b4::QueryDeploymentRequest {
                id: Some(dv1::DeploymentId {
                    owner: owner.address().to_string(),
                    dseq,
                }),
            },
        )
        .ok()
}

/// The dseq in a fragment's `/deploy/{dseq}/bids` link.
fn dseq_in(body: &str) -> u64 {
    let at = body.find("/deploy/").expect("a /deploy/ link") + "/deploy/".len();
    body[at..].split('/').next().unwrap().parse().expect("dseq")
}

fn demo_sdl() -> &'static str {
    TEMPLATES.iter().find(|t| t.id == "kumo-demo").unwrap().sdl
}

#[test]
fn local_key_and_browser_wallet_deploy_and_bad_input() {
    let f = setup();

    // Signed out: the page renders, actions say to sign in.
    let (s, page) = get(&f, "", "/");
    assert_eq!(s, 200);
    assert!(page.contains("kumo demo: web + worker") && page.contains("657.00 AKT"));
    assert!(page.contains("not signed in"), "{page}");
    let (s, body) = post_form(
        &f,
        "",
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "5")],
    );
    assert_eq!(s, 401);
    assert!(body.contains("You are not signed in"), "{body}");
    let (s, _) = get(&f, "", "/?template=nope");
    assert_eq!(s, 404);

    // Validation: errors with their line, a valid SDL with its ceiling and the runway.
    let broken = demo_sdl().replace("units: 0.5", "units: lots");
    let (_, check) = post_form(
        &f,
        "",
        "/deploy/validate",
        &[("sdl", &broken), ("deposit", "5")],
    );
    assert!(check.contains("line 30"), "{check}");
    let (_, check) = post_form(
        &f,
        "",
        "/deploy/validate",
        &[("sdl", demo_sdl()), ("deposit", "5")],
    );
    assert!(
        check.contains("valid") && check.contains("657.00 AKT"),
        "{check}"
    );
    // 5 AKT at 1500 uakt per block: 3333 blocks, 5.5 hours.
    assert!(
        check.contains("5.5 hours") && check.contains("3,333 blocks"),
        "{check}"
    );
    let (_, check) = post_form(
        &f,
        "",
        "/deploy/validate",
        &[("sdl", demo_sdl()), ("deposit", "x")],
    );
    assert!(check.contains("not a number"), "{check}");

    // Alice signs in with her local key; a wrong key name is refused in plain words.
    let (s, body) = post_form(&f, "", "/wallet/local", &[("name", "mallory")]);
    assert_eq!(s, 400);
    assert!(body.contains("mallory"), "{body}");
    let r = agent()
        .post(&format!("{}/wallet/local", f.url))
        .send_form(&[("name", "alice")])
        .unwrap();
    assert_eq!(r.status(), 303);
    let alice = cookie_of(&r);
    let (_, wallet) = get(&f, &alice, "/wallet");
    assert!(wallet.contains(&f.alice.address().to_string()) && wallet.contains("1,000 AKT"));
    assert!(wallet.contains("not on chain yet"), "{wallet}");

    // A deposit above the balance: the balance and what the deposit needs, nothing sent.
    let (_, body) = post_form(
        &f,
        &alice,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "5000")],
    );
    assert!(
        body.contains("your balance is 1,000 AKT") && body.contains("needs 5,000 AKT"),
        "{body}"
    );
    // An invalid SDL is refused before anything is signed.
    let (_, body) = post_form(
        &f,
        &alice,
        "/deploy/create",
        &[("sdl", &broken), ("deposit", "5")],
    );
    assert!(body.contains("The SDL has errors"), "{body}");

    // Create: signed here, in a block, the bid section loads next; the certificate went along.
    let (s, body) = post_form(
        &f,
        &alice,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "5")],
    );
    assert_eq!(s, 200);
    assert!(
        body.contains("✓ create deployment") && body.contains("publish your console certificate"),
        "{body}"
    );
    let dseq = dseq_in(&body);
    let d = deployment(&f, &f.alice, dseq).expect("alice's deployment on chain");
    assert_eq!(d.groups.len(), 1);
    let certs =
        kumo_client::certs::valid_on_chain(&f.chain, &f.alice.address().to_string()).unwrap();
    assert_eq!(certs.len(), 1, "the console certificate is on chain");

    // Bids: none (the only provider is unreachable), and why.
    let (_, table) = get(&f, &alice, &format!("/deploy/{dseq}/bids/table?started=1"));
    assert!(table.contains("No bids yet"), "{table}");
    assert!(
        table.contains("Why no bids?") && table.contains("unreachable"),
        "{table}"
    );
    assert!(
        table.contains("Stopped checking"),
        "started long ago: no more polling"
    );

    // Bob signs in with a browser wallet: the address must belong to the key.
    let bob_pub = B64.encode(f.bob.pubkey().as_bytes());
    let (s, v) = post_json(
        &f,
        "",
        "/wallet/browser",
        json!({"address": f.alice.address().to_string(), "pubkey": bob_pub, "name": "bob"}),
    );
    assert_eq!(s, 400);
    assert!(
        v["error"].as_str().unwrap().contains("does not belong"),
        "{v}"
    );
    let r = agent()
        .post(&format!("{}/wallet/browser", f.url))
        .send_json(
            json!({"address": f.bob.address().to_string(), "pubkey": bob_pub,
                          "name": "bob", "ledger": false}),
        )
        .unwrap();
    let bob = cookie_of(&r);

    // Bob cannot see alice's deployment.
    let (_, table) = get(&f, &bob, &format!("/deploy/{dseq}/bids/table"));
    assert!(table.contains("You have no deployment"), "{table}");
    assert!(!table.contains("Why no bids?"), "{table}");

    // Bob's create answers a sign request; the sign doc is his alone.
    let (_, body) = post_form(
        &f,
        &bob,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "3")],
    );
    assert!(body.contains("sign-request"), "{body}");
    let id = body
        .split("data-request=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (s, _) = post_json(
        &f,
        &alice,
        &format!("/api/tx/{id}/signature"),
        json!({"signature": ""}),
    );
    assert_eq!(s, 404, "another session cannot use bob's request");
    let doc: Value = serde_json::from_str(&get(&f, &bob, &format!("/api/tx/{id}")).1).unwrap();
    assert_eq!(doc["chainId"], CHAIN);
    assert_eq!(doc["mode"], "direct");

    // A signature by the wrong key: the chain refuses it, in plain words.
    let sign_doc = SignDoc {
        body_bytes: B64.decode(doc["bodyBytes"].as_str().unwrap()).unwrap(),
        auth_info_bytes: B64.decode(doc["authInfoBytes"].as_str().unwrap()).unwrap(),
        chain_id: CHAIN.into(),
        account_number: doc["accountNumber"].as_str().unwrap().parse().unwrap(),
    }
    .encode_to_vec();
    let (s, v) = post_json(
        &f,
        &bob,
        &format!("/api/tx/{id}/signature"),
        json!({"signature": B64.encode(f.alice.sign(&sign_doc))}),
    );
    assert_eq!(s, 422, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("rejected the signature"),
        "{v}"
    );
    // The request is used up: retrying needs a new one (the form is still on the page).
    let (s, _) = post_json(
        &f,
        &bob,
        &format!("/api/tx/{id}/signature"),
        json!({"signature": ""}),
    );
    assert_eq!(s, 404);

    // Declining in the wallet.
    let (_, body) = post_form(
        &f,
        &bob,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "3")],
    );
    let id = body
        .split("data-request=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let (_, v) = post_json(&f, &bob, &format!("/api/tx/{id}/cancel"), json!({}));
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("You declined to sign"),
        "{v}"
    );

    // Signed right: in a block, and the fragment loads the bids next.
    let (_, body) = post_form(
        &f,
        &bob,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "3")],
    );
    let id = body
        .split("data-request=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let doc: Value = serde_json::from_str(&get(&f, &bob, &format!("/api/tx/{id}")).1).unwrap();
    let body_bytes = B64.decode(doc["bodyBytes"].as_str().unwrap()).unwrap();
    let auth_info_bytes = B64.decode(doc["authInfoBytes"].as_str().unwrap()).unwrap();
    let sign_doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: CHAIN.into(),
        account_number: doc["accountNumber"].as_str().unwrap().parse().unwrap(),
    }
    .encode_to_vec();
    let (s, v) = post_json(
        &f,
        &bob,
        &format!("/api/tx/{id}/signature"),
        json!({"signature": B64.encode(f.bob.sign(&sign_doc)),
               "bodyBytes": B64.encode(&body_bytes), "authInfoBytes": B64.encode(&auth_info_bytes)}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["ok"], true);
    let html = v["html"].as_str().unwrap();
    let bob_dseq = dseq_in(html);
    assert!(deployment(&f, &f.bob, bob_dseq).is_some());
    let escrow = deployment(&f, &f.bob, bob_dseq)
        .unwrap()
        .escrow_account
        .unwrap();
    let funds: u128 = escrow
        .state
        .unwrap()
        .funds
        .iter()
        .map(|c| c.amount.parse::<u128>().unwrap() / DEC_ONE)
        .sum();
    assert_eq!(funds, 3_000_000, "bob's 3 AKT deposit is in escrow");

    // A Ledger behind the wallet signs amino JSON: the sign doc carries the StdSignDoc, the
    // signature over its (sorted, compact) JSON goes through.
    let r = agent()
        .post(&format!("{}/wallet/browser", f.url))
        .send_json(
            json!({"address": f.bob.address().to_string(), "pubkey": bob_pub,
                          "name": "bob (ledger)", "ledger": true}),
        )
        .unwrap();
    let ledger = cookie_of(&r);
    let (_, body) = post_form(
        &f,
        &ledger,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "2")],
    );
    let id = body
        .split("data-request=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let doc: Value = serde_json::from_str(&get(&f, &ledger, &format!("/api/tx/{id}")).1).unwrap();
    assert_eq!(doc["mode"], "amino");
    let std_doc = &doc["aminoSignDoc"];
    assert_eq!(std_doc["chain_id"], CHAIN);
    assert_eq!(
        std_doc["msgs"][0]["type"],
        "/akash.deployment.v1beta4.MsgCreateDeployment"
    );
    let sign_bytes = serde_json::to_vec(std_doc).unwrap();
    let (s, v) = post_json(
        &f,
        &ledger,
        &format!("/api/tx/{id}/signature"),
        json!({"signature": B64.encode(f.bob.sign(&sign_bytes))}),
    );
    assert_eq!(s, 200, "{v}");
    assert!(deployment(&f, &f.bob, dseq_in(v["html"].as_str().unwrap())).is_some());

    // A local key cannot use /api/tx/prepare as a signing oracle; a browser wallet can.
    let (s, _) = post_json(&f, &alice, "/api/tx/prepare", json!({"msgs": []}));
    assert_eq!(s, 403);
    let send = cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
        from_address: f.bob.address().to_string(),
        to_address: f.alice.address().to_string(),
        amount: vec![kumo_client::Coin {
            denom: "uakt".into(),
            amount: "1".into(),
        }],
    };
    let (s, v) = post_json(
        &f,
        &bob,
        "/api/tx/prepare",
        json!({"msgs": [{"typeUrl": "/cosmos.bank.v1beta1.MsgSend",
                         "value": B64.encode(send.encode_to_vec())}], "what": "send 1uakt"}),
    );
    assert_eq!(s, 200, "{v}");
    assert!(
        v["id"].as_str().is_some_and(|i| !i.is_empty()) && v["gas"] != "0",
        "{v}"
    );
}

#[test]
fn file_keyring_asks_for_the_passphrase_in_the_page() {
    let f = setup_with(Backend::File);
    let (_, wallet) = get(&f, "", "/wallet");
    assert!(wallet.contains("type=\"password\""), "{wallet}");
    let (s, body) = post_form(
        &f,
        "",
        "/wallet/local",
        &[("name", "alice"), ("passphrase", "wrong one")],
    );
    assert_eq!(s, 400);
    assert!(body.contains("check the passphrase"), "{body}");
    assert!(
        !body.contains("wrong one"),
        "the passphrase is never echoed"
    );
    let r = agent()
        .post(&format!("{}/wallet/local", f.url))
        .send_form(&[("name", "alice"), ("passphrase", PASSPHRASE)])
        .unwrap();
    assert_eq!(r.status(), 303);
    let alice = cookie_of(&r);
    let (_, wallet) = get(&f, &alice, "/wallet");
    assert!(wallet.contains(&f.alice.address().to_string()), "{wallet}");
    // The unlocked key signs for the session: a deployment goes through.
    let (_, body) = post_form(
        &f,
        &alice,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "1")],
    );
    assert!(body.contains("✓ create deployment"), "{body}");
    assert!(deployment(&f, &f.alice, dseq_in(&body)).is_some());
    // Signing out forgets the key.
    let r = agent()
        .post(&format!("{}/wallet/signout", f.url))
        .set("Cookie", &alice)
        .call()
        .unwrap();
    assert_eq!(r.status(), 303);
    let (s, _) = post_form(
        &f,
        &alice,
        "/deploy/create",
        &[("sdl", demo_sdl()), ("deposit", "1")],
    );
    assert_eq!(s, 401);
}
