//! The indexer against a real in-memory node serving JSON-RPC on loopback, driven through a
//! known history; every figure is checked against values computed here from chain queries and
//! the amounts the test itself sent.

use std::collections::BTreeMap;
use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr;
use cosmos_sdk_proto::cosmos::mint::v1beta1 as mint;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
use kumo_client::tx::to_any;
use kumo_client::Coin;
use kumo_crypto::PrivKey;
use kumo_node::testkit::{TestNet, NGINX_SDL};
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::escrow::id::v1 as escrow_id;
use kumo_proto::akash::escrow::v1 as escrow;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use redb::{Database, ReadableTable};
use serde_json::Value;

use super::api::{self, ApiState, PriceSource};
use super::figures::DEC_ONE;
use super::indexer::{last_height, open_db, Indexer};
use super::tables::*;

const CHAIN: &str = "kumo-stats-test";
const D1_DEPOSIT: u128 = 5_000_000; // uakt
const D1_TOP_UP: u128 = 1_000_000; // uakt
const D1_PRICE: u128 = 1_000; // uakt per block
const D2_DEPOSIT: u128 = 500_000; // uact
const D2_PRICE: u128 = 100_000; // uact per block: the escrow covers 5 blocks
const D2_LOW_BID: u128 = 80_000; // uact, the losing GPU bid

/// The chain of these tests (and of the probe tests): `funded` with their coins and a
/// validator operated by `validator_operator` with 400,000 AKT bonded; blocks 6 s apart.
pub(super) fn net(
    funded: &[(&PrivKey, Vec<(&str, u128)>)],
    validator_operator: &PrivKey,
) -> TestNet {
    let mut b = TestNet::builder(CHAIN).validator(validator_operator, 400_000_000_000);
    for (k, coins) in funded {
        b = b.fund(k, coins);
    }
    b.start()
}

const SDL_GPU: &str = r#"
version: "2.0"
services:
  train:
    image: trainer
    expose:
      - port: 80
        to:
          - global: true
profiles:
  compute:
    train:
      resources:
        cpu:
          units: 1
        memory:
          size: 1Gi
        storage:
          size: 2Gi
        gpu:
          units: 1
          attributes:
            vendor:
              nvidia:
                - model: a100
  placement:
    any:
      pricing:
        train:
          denom: uact
          amount: 100000
deployment:
  train:
    any:
      profile: train
      count: 1
"#;

fn dec(denom: &str, units: u128) -> DecCoin {
    DecCoin {
        denom: denom.into(),
        amount: (units * DEC_ONE).to_string(),
    }
}

fn deposit(denom: &str, amount: u128) -> Deposit {
    Deposit {
        amount: Some(Coin {
            denom: denom.into(),
            amount: amount.to_string(),
        }),
        sources: vec![Source::Balance as i32],
    }
}

fn bid_id(tenant: &PrivKey, dseq: u64, provider: &PrivKey) -> mv1::BidId {
    mv1::BidId {
        owner: tenant.address().to_string(),
        dseq,
        gseq: 1,
        oseq: 1,
        provider: provider.address().to_string(),
        bseq: 0,
    }
}

/// What the test knows about a lease independently of the indexer.
#[derive(Debug)]
struct LeaseFact {
    denom: String,
    price_atomics: u128,
    created: u64,
    /// First height at which the lease no longer counts: closed, or its escrow dry.
    end: u64,
    resources: Resources,
}

struct Scenario {
    net: TestNet,
    tenant: PrivKey,
    leases: Vec<LeaseFact>,
    height: u64,
    /// Height of the lease-creating tx.
    created: u64,
}

/// Two providers, two deployments (uakt CPU and uact GPU), three bids, two leases; a top-up;
/// the uact lease's escrow runs dry and its provider's withdrawal closes it for insufficient
/// funds.
fn scenario() -> Scenario {
    let val = PrivKey::generate();
    let tenant = PrivKey::generate();
    let p1 = PrivKey::generate();
    let p2 = PrivKey::generate();
    let net = net(
        &[
            (&val, vec![("uakt", 1_000_000_000_000)]),
            (
                &tenant,
                vec![("uakt", 100_000_000_000), ("uact", 10_000_000_000)],
            ),
            (&p1, vec![("uakt", 10_000_000_000)]),
            (&p2, vec![("uakt", 10_000_000_000)]),
        ],
        &val,
    );
    for (k, host) in [
        (&p1, "https://p1.example:8443"),
        (&p2, "https://p2.example:8443"),
    ] {
        net.tx(
            k,
            vec![to_any(&pv1b4::MsgCreateProvider {
                owner: k.address().to_string(),
                host_uri: host.into(),
                attributes: vec![
                    Attribute {
                        key: "region".into(),
                        value: "us-west".into(),
                    },
                    Attribute {
                        key: "capabilities/gpu/vendor/nvidia/model/a100".into(),
                        value: "true".into(),
                    },
                ],
                info: None,
            })],
        );
    }
    let create = |dseq: u64, sdl: &str, denom: &str, amount: u128| {
        let d = kumo_sdl::parse("deploy.yaml", sdl).unwrap();
        to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: tenant.address().to_string(),
                dseq,
            }),
            groups: d.groups.clone(),
            hash: d.manifest_version.to_vec(),
            deposit: Some(deposit(denom, amount)),
            reclamation: None,
        })
    };
    net.tx(
        &tenant,
        vec![
            create(1, NGINX_SDL, "uakt", D1_DEPOSIT),
            create(2, SDL_GPU, "uact", D2_DEPOSIT),
        ],
    );
    let bid = |dseq: u64, provider: &PrivKey, price: DecCoin| {
        to_any(&mv1b5::MsgCreateBid {
            id: Some(bid_id(&tenant, dseq, provider)),
            price: Some(price),
            deposit: Some(deposit("uakt", 500_000)),
            resources_offer: vec![],
            reclamation_window: None,
        })
    };
    net.tx(
        &p1,
        vec![
            bid(1, &p1, dec("uakt", D1_PRICE)),
            bid(2, &p1, dec("uact", D2_LOW_BID)),
        ],
    );
    net.tx(&p2, vec![bid(2, &p2, dec("uact", D2_PRICE))]);
    let created = net.tx(
        &tenant,
        vec![
            to_any(&mv1b5::MsgCreateLease {
                bid_id: Some(bid_id(&tenant, 1, &p1)),
            }),
            to_any(&mv1b5::MsgCreateLease {
                bid_id: Some(bid_id(&tenant, 2, &p2)),
            }),
        ],
    );
    for _ in 0..2 {
        net.produce();
    }
    net.tx(
        &tenant,
        vec![to_any(&escrow::MsgAccountDeposit {
            signer: tenant.address().to_string(),
            id: Some(escrow_id::Account {
                scope: escrow_id::Scope::Deployment as i32,
                xid: format!("{}/1", tenant.address()),
            }),
            deposit: Some(deposit("uakt", D1_TOP_UP)),
        })],
    );
    while net.produce() < created + 8 {}
    let p2_lease = bid_id(&tenant, 2, &p2);
    net.tx(
        &p2,
        vec![to_any(&mv1b5::MsgWithdrawLease {
            id: Some(mv1::LeaseId {
                owner: p2_lease.owner.clone(),
                dseq: 2,
                gseq: 1,
                oseq: 1,
                provider: p2_lease.provider.clone(),
                bseq: 0,
            }),
        })],
    );
    let mut height = 0;
    for _ in 0..3 {
        height = net.produce();
    }

    // The leases as the chain reports them.
    let at = net.client().at_height(Some(height));
    let r: mv1b5::QueryLeasesResponse = at
        .query_proto(
            "/akash.market.v1beta5.Query/Leases",
            &mv1b5::QueryLeasesRequest::default(),
        )
        .unwrap();
    assert_eq!(r.leases.len(), 2, "{r:?}");
    let mut leases = Vec::new();
    for l in r.leases {
        let lease = l.lease.unwrap();
        let price = lease.price.unwrap();
        let created = lease.created_at as u64;
        let units = price.amount.parse::<u128>().unwrap() / DEC_ONE;
        let (deposits, resources) = if price.denom == "uakt" {
            (
                D1_DEPOSIT + D1_TOP_UP,
                Resources {
                    cpu: 500,
                    gpu: 0,
                    memory: 512 << 20,
                    storage: 1 << 30,
                },
            )
        } else {
            assert_eq!(
                lease.state,
                mv1::lease::State::InsufficientFunds as i32,
                "the uact lease closes for insufficient funds"
            );
            (
                D2_DEPOSIT,
                Resources {
                    cpu: 1000,
                    gpu: 1,
                    memory: 1 << 30,
                    storage: 2 << 30,
                },
            )
        };
        let dry = created + (deposits / units) as u64;
        let end = if lease.closed_on > 0 {
            dry.min(lease.closed_on as u64)
        } else {
            dry
        };
        leases.push(LeaseFact {
            denom: price.denom,
            price_atomics: units * DEC_ONE,
            created,
            end,
            resources,
        });
    }
    Scenario {
        net,
        tenant,
        leases,
        height,
        created,
    }
}

/// Active count, spend per denom and resources at height `h`, from the lease facts.
fn expected(leases: &[LeaseFact], h: u64) -> (u64, BTreeMap<String, u128>, Resources) {
    let mut active = 0;
    let mut spent = BTreeMap::new();
    let mut res = Resources::default();
    for l in leases {
        if l.created <= h && h < l.end {
            active += 1;
            res.add(&l.resources);
        }
        if h >= l.created {
            let blocks = (l.end.min(h + 1) - l.created) as u128;
            if blocks > 0 {
                *spent.entry(l.denom.clone()).or_insert(0) += blocks * l.price_atomics;
            }
        }
    }
    (active, spent, res)
}

fn index_all(s: &Scenario) -> (tempfile::TempDir, Arc<Database>) {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(open_db(dir.path()).unwrap());
    let n = Indexer::new(db.clone(), &s.net.url).catch_up(None).unwrap();
    assert_eq!(n, s.height);
    (dir, db)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn figures_equal_values_computed_from_chain_queries() {
    let s = scenario();
    let (_dir, db) = index_all(&s);
    assert_eq!(last_height(&db).unwrap(), s.height);

    // Every block row: active leases, spend per denom and resources.
    let tx = db.begin_read().unwrap();
    let blocks = tx.open_table(BLOCKS).unwrap();
    let mut both_active_seen = false;
    for h in 1..=s.height {
        let row = get_block(&blocks, h).unwrap().unwrap();
        let (active, spent, res) = expected(&s.leases, h);
        assert_eq!(row.totals.active_leases, active, "active leases at {h}");
        assert_eq!(row.totals.spent, spent, "spend at {h}");
        assert_eq!(row.totals.resources, res, "resources at {h}");
        both_active_seen |= active == 2;
    }
    assert!(both_active_seen, "both leases were active at some height");
    drop(blocks);
    drop(tx);

    // The uact lease ran dry 5 blocks after it was created.
    let gpu = s.leases.iter().find(|l| l.denom == "uact").unwrap();
    assert_eq!(gpu.end, s.created + (D2_DEPOSIT / D2_PRICE) as u64);

    // The dashboard at the latest block, with AKT at 3.5 USD.
    let price = 35 * DEC_ONE / 10;
    let d = api::dashboard_json(&db, Some(price)).unwrap().unwrap();
    let (active, spent, res) = expected(&s.leases, s.height);
    let now = &d["now"];
    assert_eq!(now["height"], s.height);
    assert_eq!(now["activeLeaseCount"].as_f64().unwrap(), active as f64);
    assert_eq!(now["totalLeaseCount"].as_f64().unwrap(), 2.0);
    let uakt = spent["uakt"] as f64 / 1e18;
    let uact = spent["uact"] as f64 / 1e18;
    assert!(
        close(now["totalUAktSpent"].as_f64().unwrap(), uakt),
        "{now}"
    );
    assert!(
        close(now["totalUActSpent"].as_f64().unwrap(), uact),
        "{now}"
    );
    assert_eq!(
        uact,
        (D2_DEPOSIT) as f64,
        "the uact lease spent exactly its deposit"
    );
    assert!(close(
        now["totalUUsdSpent"].as_f64().unwrap(),
        uakt * 3.5 + uact
    ));
    assert_eq!(now["activeCPU"].as_f64().unwrap(), res.cpu as f64);
    assert_eq!(now["activeGPU"].as_f64().unwrap(), res.gpu as f64);
    assert_eq!(now["activeMemory"].as_f64().unwrap(), res.memory as f64);
    assert_eq!(now["activeStorage"].as_f64().unwrap(), res.storage as f64);
    // All blocks lie within 24 h: the compare row is the first block, daily = total − first.
    assert_eq!(d["compare"]["height"], 1);
    assert!(close(now["dailyUAktSpent"].as_f64().unwrap(), uakt));

    // Chain figures from module queries at the same height.
    let at = s.net.client().at_height(Some(s.height));
    let pool: staking::QueryPoolResponse = at
        .query_proto(
            "/cosmos.staking.v1beta1.Query/Pool",
            &staking::QueryPoolRequest {},
        )
        .unwrap();
    let bonded: f64 = pool.pool.unwrap().bonded_tokens.parse().unwrap();
    let supply = at.supply_of("uakt").unwrap() as f64;
    let infl: mint::QueryInflationResponse = at
        .query_proto(
            "/cosmos.mint.v1beta1.Query/Inflation",
            &mint::QueryInflationRequest {},
        )
        .unwrap();
    let inflation = String::from_utf8(infl.inflation)
        .unwrap()
        .parse::<f64>()
        .unwrap()
        / 1e18;
    let dp: distr::QueryParamsResponse = at
        .query_proto(
            "/cosmos.distribution.v1beta1.Query/Params",
            &distr::QueryParamsRequest {},
        )
        .unwrap();
    let tax = dp.params.unwrap().community_tax.parse::<f64>().unwrap() / 1e18;
    let chain = &d["chainStats"];
    assert!(bonded > 0.0);
    assert_eq!(chain["bondedTokens"].as_f64().unwrap(), bonded);
    assert_eq!(chain["totalSupply"].as_f64().unwrap(), supply);
    assert!(close(chain["inflation"].as_f64().unwrap(), inflation));
    let apr = inflation * (1.0 - tax) * supply / bonded;
    assert!(
        (chain["stakingAPR"].as_f64().unwrap() - apr).abs() < 1e-12,
        "APR {} vs {apr}",
        chain["stakingAPR"]
    );
    let providers: pv1b4::QueryProvidersResponse = at
        .query_proto(
            "/akash.provider.v1beta4.Query/Providers",
            &pv1b4::QueryProvidersRequest::default(),
        )
        .unwrap();
    assert_eq!(
        d["networkCapacity"]["registeredProviderCount"],
        providers.providers.len()
    );
    assert_eq!(providers.providers.len(), 2);

    // Without a price, USD is null, never guessed.
    let no_price = api::dashboard_json(&db, None).unwrap().unwrap();
    assert!(no_price["now"]["totalUUsdSpent"].is_null());
    assert!(no_price["now"]["totalUAktSpent"].as_f64().unwrap() > 0.0);

    // GPU prices: both uact bids on the one-A100 order, in USD per hour (uact 1:1).
    let mp: mint::QueryParamsResponse = at
        .query_proto(
            "/cosmos.mint.v1beta1.Query/Params",
            &mint::QueryParamsRequest {},
        )
        .unwrap();
    let per_hour = |units: u128| {
        let v = units as f64 * mp.params.as_ref().unwrap().blocks_per_year as f64 / 8766.0 / 1e6;
        (v * 100.0).round() / 100.0
    };
    let g = api::gpu_prices_json(&db, None).unwrap();
    let models = g["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{g}");
    assert_eq!(models[0]["vendor"], "nvidia");
    assert_eq!(models[0]["model"], "a100");
    assert_eq!(
        models[0]["price"]["min"].as_f64().unwrap(),
        per_hour(D2_LOW_BID)
    );
    assert_eq!(
        models[0]["price"]["max"].as_f64().unwrap(),
        per_hour(D2_PRICE)
    );

    // Lease durations: the uact lease ended when its escrow ran dry.
    let ld = api::leases_duration_json(&db, &s.tenant.address().to_string(), None).unwrap();
    assert_eq!(ld["leaseCount"], 1, "{ld}");
    assert_eq!(
        ld["leases"][0]["durationInBlocks"],
        (D2_DEPOSIT / D2_PRICE) as u64
    );
    assert_eq!(ld["leases"][0]["dseq"], "2");

    // Graph: one point per day, the last one today's value.
    let graph = api::graph_json(&db, "activeLeaseCount", None)
        .unwrap()
        .unwrap();
    let snaps = graph["snapshots"].as_array().unwrap();
    assert_eq!(
        snaps.last().unwrap()["value"].as_f64().unwrap(),
        active as f64
    );
    assert_eq!(graph["currentValue"].as_f64().unwrap(), active as f64);

    // Providers: registered, with the leases they run now.
    let list = api::providers_json(&db).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

/// Every table as (table, key, value) text, to compare two indexes byte for byte.
fn dump(db: &Database) -> Vec<(String, String, Vec<u8>)> {
    let tx = db.begin_read().unwrap();
    let mut out = Vec::new();
    for def in [META, DAYS, LEASES, BIDS, PROVIDERS] {
        let t = tx.open_table(def).unwrap();
        for e in t.iter().unwrap() {
            let (k, v) = e.unwrap();
            out.push((def.to_string(), k.value().to_string(), v.value().to_vec()));
        }
    }
    let t = tx.open_table(BLOCKS).unwrap();
    for e in t.iter().unwrap() {
        let (k, v) = e.unwrap();
        out.push(("block".into(), k.value().to_string(), v.value().to_vec()));
    }
    let t = tx.open_table(BLOCK_TIME).unwrap();
    for e in t.iter().unwrap() {
        let (k, v) = e.unwrap();
        out.push((
            "block_time".into(),
            k.value().to_string(),
            v.value().to_be_bytes().to_vec(),
        ));
    }
    let t = tx.open_table(EXPIRY).unwrap();
    for e in t.iter().unwrap() {
        let (k, _) = e.unwrap();
        let (h, key) = k.value();
        out.push(("expiry".into(), format!("{h}/{key}"), vec![]));
    }
    out
}

#[test]
fn a_crash_mid_block_and_a_restart_give_the_same_tables() {
    let s = scenario();
    let (_a, uninterrupted) = index_all(&s);

    let dir = tempfile::tempdir().unwrap();
    let half = s.created + 2;
    {
        let db = Arc::new(open_db(dir.path()).unwrap());
        let ix = Indexer::new(db.clone(), &s.net.url);
        assert_eq!(ix.catch_up(Some(half)).unwrap(), half);
        // The next block's rows are all written, then the process "dies" before the commit.
        let staged = ix.stage_block(half + 1).unwrap();
        drop(staged);
        // A block out of order is refused, not indexed twice.
        let err = ix.index_block(half).unwrap_err().to_string();
        assert!(err.contains("not the next one"), "{err}");
    }
    // Restart on the same file: it resumes after the last committed height.
    let db = Arc::new(open_db(dir.path()).unwrap());
    assert_eq!(last_height(&db).unwrap(), half);
    let ix = Indexer::new(db.clone(), &s.net.url);
    assert_eq!(ix.catch_up(None).unwrap(), s.height - half);
    assert_eq!(ix.catch_up(None).unwrap(), 0, "nothing new to index");
    let (a, b) = (dump(&uninterrupted), dump(&db));
    assert!(a.len() > 40, "the index holds rows: {}", a.len());
    assert_eq!(a, b);

    // Another chain (a reset devnet) is refused instead of mixing two histories.
    let v = PrivKey::generate();
    let other = net(&[(&v, vec![("uakt", 1_000_000_000_000)])], &v);
    other.produce();
    let err = Indexer::new(db.clone(), &other.url)
        .catch_up(None)
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("delete the index directory"),
        "{err:#}"
    );
    assert_eq!(dump(&db), a, "nothing was written");
}

/// GET on the test server: (status, cache-control, JSON body).
fn get(base: &str, path: &str) -> (u16, Option<String>, Value) {
    let r = match ureq::get(&format!("{base}{path}")).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{path}: {e}"),
    };
    let status = r.status();
    let cache = r.header("cache-control").map(str::to_string);
    (status, cache, r.into_json().unwrap())
}

#[test]
fn routes_answer_akash_shapes_and_refuse_bad_input_with_json() {
    let s = scenario();
    let (_dir, db) = index_all(&s);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = api::router(ApiState {
        db: db.clone(),
        price: PriceSource::None,
    });
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });

    let (status, cache, d) = get(&base, "/v1/dashboard-data");
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=60, stale-while-revalidate=120")
    );
    assert_eq!(d["chainStats"]["height"], s.height);
    assert!(d["now"]["totalUUsdSpent"].is_null());

    let (status, _, g) = get(&base, "/v1/graph-data/totalUAktSpent");
    assert_eq!(status, 200);
    assert!(
        g["snapshots"].as_array().is_some_and(|a| !a.is_empty()),
        "{g}"
    );

    let (status, _, e) = get(&base, "/v1/graph-data/notASeries");
    assert_eq!(status, 404);
    assert!(
        e["message"].as_str().unwrap().contains("unknown graph"),
        "{e}"
    );
    // Built from provider probes (none here): no points, but a known graph.
    let (status, _, e) = get(&base, "/v1/graph-data/gpuUtilization");
    assert_eq!(status, 200, "{e}");
    let (status, _, e) = get(&base, "/v1/graph-data/outstandingAct");
    assert_eq!(status, 501, "{e}");

    let (status, _, e) = get(&base, "/v1/providers/akash1notanaddress");
    assert_eq!(status, 400);
    assert!(
        e["message"].as_str().unwrap().contains("not an akash1"),
        "{e}"
    );
    let (status, _, e) = get(&base, "/v1/leases-duration/cosmos1xyz");
    assert_eq!(status, 400, "{e}");
    let owner = s.tenant.address().to_string();
    let (status, _, e) = get(&base, &format!("/v1/leases-duration/{owner}?dseq=x"));
    assert_eq!(status, 400, "{e}");
    // A well-formed address that is no provider.
    let (status, _, e) = get(&base, &format!("/v1/providers/{owner}"));
    assert_eq!(status, 404, "{e}");

    let (status, cache, p) = get(&base, "/v1/providers");
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=60, stale-while-revalidate=120")
    );
    let first = p[0]["owner"].as_str().unwrap().to_string();
    let (status, _, one) = get(&base, &format!("/v1/providers/{first}"));
    assert_eq!(status, 200);
    assert!(one["hostUri"].as_str().unwrap().starts_with("https://p"));

    let (status, cache, c) = get(&base, "/v1/network-capacity");
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=15, stale-while-revalidate=60")
    );
    assert_eq!(c["registeredProviderCount"], 2);
    let (status, _, _) = get(&base, "/v1/gpu-prices");
    assert_eq!(status, 200);
    let (status, _, l) = get(&base, &format!("/v1/leases-duration/{owner}"));
    assert_eq!(status, 200);
    assert_eq!(l["leaseCount"], 1);
    let (status, _, e) = get(&base, "/v1/nope");
    assert_eq!(status, 404);
    assert!(e["error"].is_string());

    // The CLI's client reads the same dashboard and writes it with units.
    let v = super::client::get_json(&base, "/v1/dashboard-data").unwrap();
    let text = super::client::dashboard_text(&v);
    assert!(text.contains("active leases:"), "{text}");
    assert!(text.contains("n/a (no AKT price configured)"), "{text}");
    let err = super::client::get_json(&base, "/v1/graph-data/bad").unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
}
