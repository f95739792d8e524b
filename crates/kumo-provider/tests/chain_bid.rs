//! The daemon's chain client against a real in-memory kumo node serving JSON-RPC (and its
//! websocket) on loopback: follow blocks, see a tenant's order, decide with the bid engine,
//! bid with the provider key, close the bid; catch up from a saved height after a "restart".

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use kumo_app::abci::BlockTime;
use kumo_app::genesis::Genesis;
use kumo_client::tx::to_any;
use kumo_client::{Coin, FeeOpts, Gas, RpcClient};
use kumo_crypto::PrivKey;
use kumo_node::home::Ed25519Key;
use kumo_node::testkit::TestNode;
use kumo_node::Node;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1::LeaseClosedReason;
use kumo_proto::akash::provider::v1beta4 as pv;
use kumo_provider::bidengine::pricing::{Pricing, ScalePricing};
use kumo_provider::bidengine::{BidEngine, Decision, ProviderState};
use kumo_provider::chain::{self, BlockEvents, ChainClient, ChainEvent, HeightFile};
use kumo_provider::config::Overcommit;
use kumo_provider::inventory::{Capacity, Inventory};
use tokio::sync::{mpsc, watch};

#[path = "support/busybox.rs"]
mod busybox;

/// Removes whatever the runtime left for the namespace when the test ends, also on failure.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        busybox::force_cleanup(&self.0);
    }
}

const CHAIN: &str = "kumo-test";
const TENANT: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const PROVIDER: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";

const SDL: &str = r#"
version: "2.0"
services:
  web:
    image: nginx
    expose:
      - port: 80
        as: 80
        to:
          - global: true
profiles:
  compute:
    web:
      resources:
        cpu: { units: 0.5 }
        memory: { size: 512Mi }
        storage: { size: 1Gi }
  placement:
    dc:
      attributes:
        region: us-west
      pricing:
        web: { denom: uakt, amount: 1000 }
deployment:
  web:
    dc:
      profile: web
      count: 1
"#;

fn key(m: &str) -> PrivKey {
    PrivKey::from_mnemonic(m, "").unwrap()
}

/// A node producing a block every 100 ms on a runtime of its own.
fn start_node() -> (String, Arc<Node>) {
    let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    for k in [key(TENANT), key(PROVIDER)] {
        g.add_account(
            &k.address().to_string(),
            &[kumo_app::coins::Coin::new("uakt", 100_000_000_000)],
        )
        .unwrap();
    }
    let TestNode { node, url, .. } = TestNode::start(CHAIN, &g.to_json(), Ed25519Key::generate());
    let producer = node.clone();
    let second = AtomicI64::new(1_795_584_338);
    std::thread::spawn(move || loop {
        let s = second.fetch_add(1, Ordering::SeqCst);
        if producer
            .produce_block_at(BlockTime {
                seconds: s,
                nanos: 0,
            })
            .is_err()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    });
    (url, node)
}

fn fees() -> FeeOpts {
    FeeOpts {
        gas: Gas::Auto {
            adjustment: "1.5".parse().unwrap(),
        },
        ..Default::default()
    }
}

async fn next_event(
    rx: &mut mpsc::Receiver<BlockEvents>,
    want: impl Fn(&ChainEvent) -> bool,
) -> (u64, ChainEvent) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let b = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("event within 30 s")
            .expect("follower running");
        if let Some(e) = b.events.into_iter().find(|e| want(e)) {
            return (b.height, e);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_decide_bid_close_and_catch_up() {
    let (url, _node) = start_node();
    let provider = ChainClient::connect(&url, "", key(PROVIDER), fees(), Duration::from_secs(20))
        .await
        .unwrap();
    let provider = Arc::new(provider);
    let tenant = ChainClient::connect(&url, CHAIN, key(TENANT), fees(), Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(provider.provider_attributes().await.unwrap(), None);
    let attrs = vec![Attribute {
        key: "region".into(),
        value: "us-west".into(),
    }];
    provider
        .send(vec![to_any(&pv::MsgCreateProvider {
            owner: provider.address().into(),
            host_uri: "https://provider.example.com:8443".into(),
            attributes: attrs.clone(),
            info: None,
        })])
        .await
        .unwrap();
    assert_eq!(
        provider.provider_attributes().await.unwrap(),
        Some(attrs.clone())
    );

    let dir = tempfile::tempdir().unwrap();
    let heights = HeightFile::new(dir.path()).unwrap();
    let start = provider.latest_height().await.unwrap();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel(64);
    let follower = tokio::spawn(chain::follow(
        provider.clone(),
        start,
        Duration::from_millis(200),
        tx,
        stop_rx,
    ));

    let sdl = kumo_sdl::parse("deploy.yaml", SDL).unwrap();
    let dseq = start + 1000;
    tenant
        .send(vec![to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: tenant.address().into(),
                dseq,
            }),
            groups: sdl.groups,
            hash: sdl.manifest_version.to_vec(),
            deposit: Some(Deposit {
                amount: Some(Coin {
                    denom: "uakt".into(),
                    amount: "5000000".into(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            reclamation: None,
        })])
        .await
        .unwrap();

    let (h, ev) = next_event(&mut rx, |e| matches!(e, ChainEvent::OrderCreated(_))).await;
    heights.write(h).unwrap();
    let ChainEvent::OrderCreated(oid) = ev else {
        unreachable!()
    };
    assert_eq!((oid.owner.as_str(), oid.dseq), (tenant.address(), dseq));
    let order = provider.order(&oid).await.unwrap().expect("order on chain");
    assert!(provider
        .orders("open")
        .await
        .unwrap()
        .iter()
        .any(|o| o.id.as_ref() == Some(&oid)));

    let mut engine = BidEngine::new(
        ProviderState {
            address: provider.address().into(),
            attributes: attrs,
            audited: provider.audited_attributes().await.unwrap(),
            bid_attributes: vec![],
            max_group_volumes: 6,
            denoms: vec!["uakt".into()],
        },
        Inventory::new(
            Capacity {
                cpu_milli: 4000,
                memory: 8 << 30,
                ephemeral_storage: 100 << 30,
                ..Capacity::default()
            },
            Overcommit::default(),
        ),
        Pricing::Scale(ScalePricing {
            cpu: "1".parse().unwrap(),
            memory: "0.1".parse().unwrap(),
            storage: [("ephemeral".to_string(), "0.01".parse().unwrap())].into(),
            ..Default::default()
        }),
    );
    let spec = order.spec.unwrap();
    let Decision::Bid(bid) = engine.decide(&oid, &spec) else {
        panic!("expected a bid")
    };
    // 500 + 51.2 + 10.24 per block, under the 1000 ceiling.
    assert_eq!(bid.price.amount, "561440000000000000000");
    provider
        .create_bid(
            &oid,
            &bid,
            Coin {
                denom: "uakt".into(),
                amount: "500000".into(),
            },
        )
        .await
        .unwrap();
    let (_, ev) = next_event(&mut rx, |e| matches!(e, ChainEvent::BidCreated(_))).await;
    let ChainEvent::BidCreated(bid_id) = ev else {
        unreachable!()
    };
    assert_eq!(bid_id, provider.bid_id(&oid));
    let open = provider.own_bids("open").await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].price, Some(bid.price.clone()));

    // The next tx reuses the locally kept account sequence.
    provider
        .close_bid(bid_id.clone(), LeaseClosedReason::Unspecified)
        .await
        .unwrap();
    let (closed_at, _) = next_event(&mut rx, |e| matches!(e, ChainEvent::BidClosed(_))).await;
    assert!(provider.own_bids("open").await.unwrap().is_empty());
    assert!(provider.own_active_leases().await.unwrap().is_empty());

    // "Restart": a new follower from the saved height sees the same events again, in order.
    stop_tx.send_replace(true);
    follower.await.unwrap();
    let from = heights.read().unwrap().unwrap();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (tx, mut rx) = mpsc::channel(64);
    let follower = tokio::spawn(chain::follow(
        provider.clone(),
        from,
        Duration::from_millis(200),
        tx,
        stop_rx,
    ));
    let mut seen = Vec::new();
    let mut last = from - 1;
    while last < closed_at {
        let b = rx.recv().await.unwrap();
        assert_eq!(b.height, last + 1, "heights are delivered once, in order");
        last = b.height;
        seen.extend(b.events);
    }
    assert_eq!(seen.first(), Some(&ChainEvent::OrderCreated(oid.clone())));
    assert!(seen.contains(&ChainEvent::BidCreated(bid_id.clone())));
    assert!(seen.contains(&ChainEvent::BidClosed(bid_id)));
    stop_tx.send_replace(true);
    follower.await.unwrap();

    // The websocket URL is the node's.
    let _ = RpcClient::new(&url);
}

/// Issue 15: a provider configured with a fixed fee far below what its txs need (2000uakt;
/// the node's minimum gas price is 0.025uakt) still bids, and when the tenant's escrow runs
/// dry its settling withdrawal goes through (the fee is raised to the simulated need), the
/// chain closes the lease for insufficient funds within a few blocks of running dry, and the
/// daemon stops and removes the lease's containers on the real dockerd (skipped, with the
/// reason printed, where there is none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_escrow_is_settled_with_a_low_fixed_fee_and_torn_down() {
    use bollard::query_parameters::ListContainersOptions;
    use kumo_proto::akash::market::v1::{lease, LeaseClosedReason};
    use kumo_proto::akash::market::v1beta5 as mv;
    use kumo_provider::runtime::{names, Runtime, RuntimeConfig};
    use kumo_provider::workload::Workloads;

    if !busybox::docker_available("dry_escrow_is_settled_with_a_low_fixed_fee_and_torn_down") {
        return;
    }

    let (url, _node) = start_node();
    let provider = ChainClient::connect(&url, "", key(PROVIDER), fees(), Duration::from_secs(20))
        .await
        .unwrap();
    let tenant = ChainClient::connect(&url, CHAIN, key(TENANT), fees(), Duration::from_secs(20))
        .await
        .unwrap();
    provider
        .send(vec![to_any(&pv::MsgCreateProvider {
            owner: provider.address().into(),
            host_uri: "https://provider.example.com:8443".into(),
            attributes: vec![Attribute {
                key: "region".into(),
                value: "us-west".into(),
            }],
            info: None,
        })])
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = kumo_provider::config::Config::parse(&format!(
        r#"
host_uri = "https://provider.example.com:8443"
state_dir = "{state}"
[key]
name = "provider"
[chain]
node = "{url}"
fees = "2000uakt"
gas_prices = "0.025uakt"
[inventory]
mode = "declared"
cpu = "4"
memory = "8Gi"
ephemeral_storage = "100Gi"
[pricing.scale]
cpu = "400"
memory = "0.001"
storage = {{ ephemeral = "0.0001" }}
"#,
        state = dir.path().join("state").display(),
    ))
    .unwrap();
    assert!(config.chain.raise_low_fees, "the default raises low fees");
    // The real Docker runtime, with a local busybox image (no registry in tests).
    let mut rt_config = RuntimeConfig::new(
        key(PROVIDER).address().to_string(),
        "provider.kumo.test",
        "ingress.kumo.test",
        &dir.path().join("runtime"),
    );
    rt_config.host_ip = "127.0.0.1".parse().unwrap();
    rt_config.pull_images = false;
    let runtime = Arc::new(
        Runtime::connect(rt_config)
            .await
            .expect("connect to dockerd"),
    );
    let image = busybox::busybox_image(runtime.docker()).await.unwrap();
    let (daemon, task) = kumo_provider::daemon::start(config, key(PROVIDER), runtime.clone())
        .await
        .unwrap();

    // The tenant's deployment: 5 000 000uakt of escrow, the order allows 1 000 000uakt/block;
    // one busybox container that runs until it is stopped.
    let sdl_text = SDL
        .replace("amount: 1000 }", "amount: 1000000 }")
        .replace(
            "    image: nginx\n    expose:\n      - port: 80\n        as: 80\n        to:\n          - global: true\n",
            &format!(
                "    image: {image}\n    command: [\"sh\", \"-c\"]\n    args: [\"while true; do sleep 1; done\"]\n"
            ),
        );
    assert!(sdl_text.contains(&image), "the SDL runs the local image");
    let sdl = kumo_sdl::parse("deploy.yaml", &sdl_text).unwrap();
    let group = sdl.manifest[0].clone();
    let dseq = provider.latest_height().await.unwrap() + 1000;
    tenant
        .send(vec![to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: tenant.address().into(),
                dseq,
            }),
            groups: sdl.groups,
            hash: sdl.manifest_version.to_vec(),
            deposit: Some(Deposit {
                amount: Some(Coin {
                    denom: "uakt".into(),
                    amount: "5000000".into(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            reclamation: None,
        })])
        .await
        .unwrap();

    // The daemon bids (its bid tx needs more than 2000uakt of fees too).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let bid = loop {
        let bids = provider.own_bids("open").await.unwrap();
        if let Some(b) = bids
            .into_iter()
            .find(|b| b.id.as_ref().is_some_and(|i| i.dseq == dseq))
        {
            break b;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no bid within 30 s: {}",
            daemon.status_json()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let bid_id = bid.id.unwrap();
    tenant
        .send(vec![to_any(&mv::MsgCreateLease {
            bid_id: Some(bid_id.clone()),
        })])
        .await
        .unwrap();
    let lease_id = chain::lease_id(&bid_id);
    // The manifest, as the gateway hands it to the runtime: the container runs.
    let ns = names::namespace(&lease_id);
    let _cleanup = Cleanup(ns.clone());
    runtime.deploy(&lease_id, &group).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while runtime.status(&lease_id).await.unwrap().services["web"].ready_replicas != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the container never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let opened = provider
        .lease(&lease_id)
        .await
        .unwrap()
        .expect("lease on chain");
    assert_eq!(opened.state, lease::State::Active as i32);
    // About 200 000uakt per block (500 milli-CPU × 400, plus a little memory): the escrow pays
    // 24 or 25 blocks.
    let price: u128 = opened
        .price
        .as_ref()
        .unwrap()
        .amount
        .parse::<u128>()
        .unwrap()
        / 10u128.pow(18);
    let dry_at = opened.created_at as u64 + (5_000_000 / price) as u64;

    // Settled and closed by the chain, then torn down by the daemon: bounded waits.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let closed = loop {
        let l = provider.lease(&lease_id).await.unwrap().unwrap();
        if l.state != lease::State::Active as i32 {
            break l;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dry lease is still active at height {} (dry at {dry_at})",
            provider.latest_height().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(closed.state, lease::State::InsufficientFunds as i32);
    assert_eq!(closed.reason, LeaseClosedReason::InsufficientFunds as i32);
    // Within a few blocks of running dry (blocks are 100 ms here; the check runs by height).
    assert!(
        (closed.closed_on as u64) <= dry_at + 30,
        "closed at {} but dry at {dry_at}",
        closed.closed_on
    );
    // The daemon stops and removes the lease's containers.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = runtime
            .docker()
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(busybox::label_filters(&[format!(
                    "akash.network/namespace={ns}"
                )])),
                ..Default::default()
            }))
            .await
            .unwrap();
        if left.is_empty() && !runtime.leases().await.unwrap().contains(&lease_id) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "containers left 30 s after the close: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(daemon.status_json()["cluster"]["leases"], 0);
    daemon.shutdown();
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("daemon stops")
        .unwrap()
        .unwrap();
}
