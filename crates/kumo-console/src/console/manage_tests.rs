//! The manage routes against a real in-memory node (JSON-RPC on loopback, a block every 200 ms)
//! and the console served on a loopback port: two tenants whose deployments share a dseq, a
//! provider with a lease on each; alice signs in with a local key. Figures on the pages are
//! checked against chain facts the test reads itself; bob's deployment never shows to alice.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::Any;
use kumo_client::tx::to_any;
use kumo_client::{Coin, FeeOpts, RpcClient};
use kumo_crypto::keyring::{Backend, Keyring};
use kumo_crypto::PrivKey;
use kumo_node::testkit::{Producing, TestNet, NGINX_SDL};
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;

use super::super::test_support::{agent, serve_on_loopback};
use super::super::{ConsoleConfig, ConsoleState};

const CHAIN: &str = "kumo-console-manage-test";
const DEC_ONE: u128 = 1_000_000_000_000_000_000;
const DEPOSIT: u128 = 5_000_000; // uakt
const PRICE: u128 = 1_000; // uakt per block
const SHARED_DSEQ: u64 = 10;
const BOB_ONLY_DSEQ: u64 = 20;
const PROVIDER_HOST: &str = "https://127.0.0.1:1";

struct Fixture {
    url: String,
    chain: RpcClient,
    alice: PrivKey,
    bob: PrivKey,
    provider: PrivKey,
    _producing: Producing,
    _home: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn coin(amount: u128) -> Coin {
    Coin {
        denom: "uakt".into(),
        amount: amount.to_string(),
    }
}

fn tx(chain: &RpcClient, key: &PrivKey, msgs: Vec<Any>) -> u64 {
    let r = kumo_client::sign_and_broadcast(chain, key, Some(CHAIN), msgs, &FeeOpts::default())
        .expect("broadcast");
    assert_eq!(r.code, 0, "CheckTx: {}", r.log);
    let info = chain
        .wait_for_tx(&r.hash, Duration::from_secs(30))
        .expect("tx in a block");
    assert_eq!(info.code, 0, "DeliverTx: {}", info.log);
    info.height
}

fn bid_id(owner: &PrivKey, dseq: u64, provider: &PrivKey) -> mv1::BidId {
    mv1::BidId {
        owner: owner.address().to_string(),
        dseq,
        gseq: 1,
        oseq: 1,
        provider: provider.address().to_string(),
        bseq: 0,
    }
}

fn setup() -> Fixture {
    let validator_op = PrivKey::generate();
    let alice = PrivKey::generate();
    let bob = PrivKey::generate();
    let provider = PrivKey::generate();
    let mut b = TestNet::builder(CHAIN).validator(&validator_op, 400_000_000_000);
    for k in [&validator_op, &alice, &bob, &provider] {
        b = b.fund(k, &[("uakt", 1_000_000_000_000)]);
    }
    let node = b.start();
    // A block every 200 ms, as a running node would make them, until the test ends.
    let producing = node.keep_producing(Duration::from_millis(200));
    let chain = node.client();

    tx(
        &chain,
        &provider,
        vec![to_any(&pv1b4::MsgCreateProvider {
            owner: provider.address().to_string(),
            host_uri: PROVIDER_HOST.into(),
            attributes: vec![Attribute {
                key: "region".into(),
                value: "us-west".into(),
            }],
            info: None,
        })],
    );
    // Its gateway certificate on chain, so the console trusts it (and then finds it down).
    let server = kumo_client::certs::generate(
        &provider.address().to_string(),
        kumo_client::certs::CertKind::Server,
        &["127.0.0.1".to_string()],
        kumo_client::certs::now(),
    )
    .unwrap();
    tx(
        &chain,
        &provider,
        vec![to_any(
            &super::super::gateway::certificate_msg(
                &provider.address().to_string(),
                &server.cert_der,
            )
            .unwrap(),
        )],
    );
    let sdl = kumo_sdl::parse("deploy.yaml", NGINX_SDL).unwrap();
    let create = |owner: &PrivKey, dseq: u64| {
        to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: owner.address().to_string(),
                dseq,
            }),
            groups: sdl.groups.clone(),
            hash: sdl.manifest_version.to_vec(),
            deposit: Some(Deposit {
                amount: Some(coin(DEPOSIT)),
                sources: vec![Source::Balance as i32],
            }),
            reclamation: None,
        })
    };
    tx(&chain, &alice, vec![create(&alice, SHARED_DSEQ)]);
    tx(
        &chain,
        &bob,
        vec![create(&bob, SHARED_DSEQ), create(&bob, BOB_ONLY_DSEQ)],
    );
    let bid = |owner: &PrivKey, dseq: u64| {
        to_any(&mv1b5::MsgCreateBid {
            id: Some(bid_id(owner, dseq, &provider)),
            price: Some(DecCoin {
                denom: "uakt".into(),
                amount: (PRICE * DEC_ONE).to_string(),
            }),
            deposit: Some(Deposit {
                amount: Some(coin(500_000)),
                sources: vec![Source::Balance as i32],
            }),
            resources_offer: vec![],
            reclamation_window: None,
        })
    };
    tx(
        &chain,
        &provider,
        vec![bid(&alice, SHARED_DSEQ), bid(&bob, BOB_ONLY_DSEQ)],
    );
    let lease = |owner: &PrivKey, dseq: u64| {
        to_any(&mv1b5::MsgCreateLease {
            bid_id: Some(bid_id(owner, dseq, &provider)),
        })
    };
    tx(&chain, &alice, vec![lease(&alice, SHARED_DSEQ)]);
    tx(&chain, &bob, vec![lease(&bob, BOB_ONLY_DSEQ)]);

    // The console's home: a test keyring with both tenants' keys.
    let home = tempfile::tempdir().unwrap();
    let kr = Keyring::open(home.path(), Backend::Test).unwrap();
    kr.import_privkey("alice", &alice, None).unwrap();
    kr.import_privkey("bob", &bob, None).unwrap();
    let state = ConsoleState::new(ConsoleConfig {
        node: node.url.clone(),
        rest: "http://127.0.0.1:1".into(),
        home: home.path().to_path_buf(),
        keyring_backend: Backend::Test,
        // Nothing listens there: the providers page says the stats server is not running.
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
        provider,
        _producing: producing,
        _home: home,
        _rt: rt,
    }
}

/// `(status, body)` of a GET with the session cookie (if any).
fn get(f: &Fixture, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut req = agent().get(&format!("{}{path}", f.url));
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    answer(req.call())
}

fn post(f: &Fixture, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> (u16, String) {
    let mut req = agent()
        .post(&format!("{}{path}", f.url))
        .set("HX-Request", "true");
    if let Some(c) = cookie {
        req = req.set("Cookie", c);
    }
    answer(req.send_form(form))
}

fn answer(r: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match r {
        Ok(r) => (r.status(), r.into_string().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("request failed: {e}"),
    }
}

fn sign_in(f: &Fixture, name: &str) -> String {
    let r = agent()
        .post(&format!("{}/wallet/local", f.url))
        .send_form(&[("name", name)])
        .expect("sign-in answers");
    assert_eq!(r.status(), 303, "sign-in redirects");
    let cookie = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    cookie.split(';').next().unwrap().to_string()
}

/// The number after `marker` in `body` (digits and thousands separators).
fn number_after(body: &str, marker: &str) -> u128 {
    let at = body
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in {body}"))
        + marker.len();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

fn lease_created_at(f: &Fixture, owner: &PrivKey, dseq: u64) -> u64 {
    let r: mv1b5::QueryLeaseResponse = f
        .chain
        .query_proto(
            "/akash.market.v1beta5.Query/Lease",
            &mv1b5::QueryLeaseRequest {
                id: Some(mv1::LeaseId {
                    owner: owner.address().to_string(),
                    dseq,
                    gseq: 1,
                    oseq: 1,
                    provider: f.provider.address().to_string(),
                    bseq: 0,
                }),
            },
        )
        .unwrap();
    r.lease.unwrap().created_at as u64
}

fn deployment_state(f: &Fixture, owner: &PrivKey, dseq: u64) -> i32 {
    let r: dv1b4::QueryDeploymentResponse = f
        .chain
        .query_proto(
            "/akash.deployment.v1beta4.Query/Deployment",
            &dv1b4::QueryDeploymentRequest {
                id: Some(dv1::DeploymentId {
                    owner: owner.address().to_string(),
                    dseq,
                }),
            },
        )
        .unwrap();
    r.deployment.unwrap().state
}

/// `4,987,500` uakt → the page's `4.987500 AKT`.
fn akt_text(uakt: u128) -> String {
    super::super::leases::tokens_text(uakt * DEC_ONE, "uakt")
}

#[test]
fn deployments_leases_and_actions_for_the_owner_only() {
    let f = setup();
    let alice_addr = f.alice.address().to_string();
    let bob_addr = f.bob.address().to_string();
    let lease_path = |dseq: u64| format!("/deployments/{dseq}/leases/1/1/{}", f.provider.address());

    // Signed out: the pages say to sign in; no websocket is opened.
    assert_eq!(get(&f, "/deployments", None).0, 401);
    assert_eq!(get(&f, &format!("/deployments/{SHARED_DSEQ}"), None).0, 401);
    assert_eq!(
        get(&f, &format!("{}/logs", lease_path(SHARED_DSEQ)), None).0,
        401
    );

    let alice = sign_in(&f, "alice");

    // The list: alice's deployment with the escrow left at the height the page read.
    let (status, body) = get(&f, "/deployments", Some(&alice));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!("data-dseq=\"{SHARED_DSEQ}\"")),
        "{body}"
    );
    assert!(
        !body.contains(&format!("data-dseq=\"{BOB_ONLY_DSEQ}\"")),
        "{body}"
    );
    assert!(!body.contains(&bob_addr), "bob's address leaked: {body}");
    let height = number_after(&body, "read from the chain at block ") as u64;
    let created = lease_created_at(&f, &f.alice, SHARED_DSEQ);
    let spent_blocks = u128::from(height - created);
    assert!(
        body.contains(&akt_text(DEPOSIT - PRICE * spent_blocks)),
        "balance at {height} (lease from {created}) in {body}"
    );
    let left = DEPOSIT / PRICE - spent_blocks;
    assert!(
        body.contains(&format!(
            "{} h ({} blocks)",
            kumo_client::price::hours_text(left),
            crate::web::fmt::thousands(left)
        )),
        "{left} blocks left in {body}"
    );
    // Filters, search and bad input.
    let (_, closed) = get(&f, "/deployments?state=closed", Some(&alice));
    assert!(closed.contains("id=\"empty\""), "{closed}");
    let (_, found) = get(
        &f,
        &format!("/deployments?state=all&dseq={SHARED_DSEQ}"),
        Some(&alice),
    );
    assert!(
        found.contains(&format!("data-dseq=\"{SHARED_DSEQ}\"")),
        "{found}"
    );
    let (_, none) = get(
        &f,
        &format!("/deployments?state=all&dseq={BOB_ONLY_DSEQ}"),
        Some(&alice),
    );
    assert!(
        none.contains("id=\"empty\"") && !none.contains(&bob_addr),
        "{none}"
    );
    let (s, b) = get(&f, "/deployments?dseq=abc", Some(&alice));
    assert!(
        s == 400 && b.contains("not a deployment sequence number"),
        "{s} {b}"
    );
    let (s, b) = get(&f, "/deployments?state=open", Some(&alice));
    assert!(s == 400 && b.contains("active, closed or all"), "{s} {b}");

    // The deployment page: groups, the lease with its prices, the provider's host.
    let (status, body) = get(&f, &format!("/deployments/{SHARED_DSEQ}"), Some(&alice));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(PROVIDER_HOST), "{body}");
    assert!(body.contains("438.00 AKT"), "price per month: {body}");
    assert!(body.contains("0.6000 AKT"), "price per hour: {body}");
    assert!(
        body.contains("0.5 CPU") && body.contains("512.0 MiB"),
        "{body}"
    );
    assert!(body.contains(&lease_path(SHARED_DSEQ)), "{body}");
    assert!(!body.contains(&bob_addr), "{body}");

    // Bob's deployments and lease are not alice's: 404, no data, no websocket.
    for path in [
        format!("/deployments/{BOB_ONLY_DSEQ}"),
        format!("/deployments/{BOB_ONLY_DSEQ}/summary"),
        lease_path(BOB_ONLY_DSEQ),
        format!("{}/status", lease_path(BOB_ONLY_DSEQ)),
        format!("{}/logs", lease_path(BOB_ONLY_DSEQ)),
        format!("{}/events", lease_path(BOB_ONLY_DSEQ)),
        format!("{}/shell?service=web", lease_path(BOB_ONLY_DSEQ)),
    ] {
        let (s, b) = get(&f, &path, Some(&alice));
        assert_eq!(s, 404, "{path}: {b}");
        assert!(
            !b.contains(&bob_addr) && !b.contains(PROVIDER_HOST),
            "{path}: {b}"
        );
    }
    let (s, _) = post(
        &f,
        &format!("/deployments/{BOB_ONLY_DSEQ}/close"),
        Some(&alice),
        &[],
    );
    assert_eq!(s, 404);
    assert_eq!(
        deployment_state(&f, &f.bob, BOB_ONLY_DSEQ),
        dv1::deployment::State::Active as i32
    );
    // Alice's own lease passes the checks; a plain GET is then refused only for not being a
    // websocket upgrade.
    let (s, _) = get(
        &f,
        &format!("{}/logs", lease_path(SHARED_DSEQ)),
        Some(&alice),
    );
    assert!(s != 404 && s != 401 && (400..500).contains(&s), "{s}");
    // Before alice's console certificate is on chain, the status panel says to publish it.
    let (s, b) = get(
        &f,
        &format!("{}/status", lease_path(SHARED_DSEQ)),
        Some(&alice),
    );
    assert_eq!(s, 200, "{b}");
    assert!(
        b.contains("class=\"error\"") && b.contains("publish it"),
        "{b}"
    );
    let (s, b) = post(&f, "/wallet/certificate", Some(&alice), &[]);
    assert!(s == 200 && b.contains("tx-done"), "{s} {b}");
    // The provider is down (nothing listens at its host): the panel says so, and what to do.
    let (s, b) = get(
        &f,
        &format!("{}/status", lease_path(SHARED_DSEQ)),
        Some(&alice),
    );
    assert_eq!(s, 200, "{b}");
    assert!(
        b.contains(&format!(
            "the provider at {PROVIDER_HOST} is not answering ("
        )) && b.contains("your lease is still paid — close it or wait"),
        "{b}"
    );

    // Add funds: bad amounts are refused before anything is signed.
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/deposit"),
        Some(&alice),
        &[("amount", "five")],
    );
    assert!(s == 400 && b.contains("not an amount"), "{s} {b}");
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/deposit"),
        Some(&alice),
        &[("amount", "2000000000")],
    );
    assert!(
        s == 200 && b.contains("class=\"error\"") && !b.contains("tx-done"),
        "a deposit above the balance: {s} {b}"
    );
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/deposit"),
        Some(&alice),
        &[("amount", "2.5")],
    );
    assert!(s == 200 && b.contains("tx-done"), "{s} {b}");
    assert!(
        b.contains(&format!("/deployments/{SHARED_DSEQ}/done/deposit")),
        "{b}"
    );
    let (s, b) = get(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/done/deposit"),
        Some(&alice),
    );
    assert_eq!(s, 200, "{b}");
    let (_, page) = get(&f, &format!("/deployments/{SHARED_DSEQ}"), Some(&alice));
    let height = number_after(&page, "read at block ") as u64;
    let spent_blocks = u128::from(height - created);
    assert!(
        page.contains(&akt_text(DEPOSIT + 2_500_000 - PRICE * spent_blocks)),
        "balance after the top-up at {height}: {page}"
    );

    // Update: an SDL that changes resources is refused; the same version too.
    let bigger = NGINX_SDL.replace("units: 0.5", "units: 1");
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/update"),
        Some(&alice),
        &[("sdl", &bigger)],
    );
    assert!(s == 400 && b.contains("changes the groups"), "{s} {b}");
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/update"),
        Some(&alice),
        &[("sdl", NGINX_SDL)],
    );
    assert!(s == 400 && b.contains("already runs"), "{s} {b}");
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/update"),
        Some(&alice),
        &[("sdl", "version: \"2.0\"\nservices: [")],
    );
    assert!(s == 400 && b.contains("not valid"), "{s} {b}");

    // Close: the deployment ends; the list shows it under closed.
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/close"),
        Some(&alice),
        &[],
    );
    assert!(s == 200 && b.contains("tx-done"), "{s} {b}");
    let (s, b) = get(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/done/close"),
        Some(&alice),
    );
    assert!(s == 200 && b.contains("is closed"), "{s} {b}");
    assert!(
        b.contains("id=\"actions\" hx-swap-oob"),
        "the actions go: {b}"
    );
    let (_, page) = get(&f, &format!("/deployments/{SHARED_DSEQ}"), Some(&alice));
    assert!(
        page.contains("closed: the rest went back to the owner"),
        "{page}"
    );
    assert!(
        !page.contains("id=\"deposit\""),
        "no actions on a closed deployment: {page}"
    );
    assert_eq!(
        deployment_state(&f, &f.alice, SHARED_DSEQ),
        dv1::deployment::State::Closed as i32
    );
    // Bob's deployment with the same dseq is untouched.
    assert_eq!(
        deployment_state(&f, &f.bob, SHARED_DSEQ),
        dv1::deployment::State::Active as i32
    );
    let (_, closed) = get(&f, "/deployments?state=closed", Some(&alice));
    assert!(
        closed.contains(&format!("data-dseq=\"{SHARED_DSEQ}\"")),
        "{closed}"
    );
    let (s, b) = post(
        &f,
        &format!("/deployments/{SHARED_DSEQ}/close"),
        Some(&alice),
        &[],
    );
    assert!(s == 409 && b.contains("already closed"), "{s} {b}");

    // Bob sees his own deployment 10, not alice's.
    let bob = sign_in(&f, "bob");
    let (_, b) = get(&f, "/deployments?state=all", Some(&bob));
    assert!(b.contains(&format!("data-dseq=\"{BOB_ONLY_DSEQ}\"")), "{b}");
    assert!(!b.contains(&alice_addr), "{b}");

    // Providers: from the chain, with the stats server's absence said in words.
    let (s, b) = get(&f, "/providers", None);
    assert_eq!(s, 200, "{b}");
    assert!(
        b.contains(PROVIDER_HOST) && b.contains("region=us-west"),
        "{b}"
    );
    assert!(
        b.contains("id=\"stats-note\"") && b.contains("not answering"),
        "{b}"
    );
}
