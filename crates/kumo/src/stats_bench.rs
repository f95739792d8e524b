//! `kumo bench stats`: how fast the statistics indexer follows a chain of full blocks, and how
//! fast the `/v1` routes answer from tables the size of a busy network.
//!
//! * Catch-up: an in-process node (as `kumo bench apply` builds it) produces market blocks —
//!   every account registers a provider, creates a deployment, bids on its neighbour's order,
//!   accepts its neighbour's bid as a lease — then `--blocks` blocks of bank sends; a fresh index
//!   reads them from height 1 over the node's loopback JSON-RPC. The market blocks are where the
//!   indexer queries the chain per event (bid, lease, escrow account), so each block kind is
//!   timed apart.
//! * Live: the same workload produced at `--block-time-ms` while the indexer follows it.
//! * Open leases: the catch-up again on an index already holding `--leases` open leases.
//! * Latency: a fresh index filled with synthetic rows of the indexer's own types (`--leases`
//!   leases, `--providers` providers, `--days` days of block and day rows, GPU bids), then the
//!   JSON builders in process and `GET`s through the real axum router on 127.0.0.1.
//!
//! Figures only: nothing here asserts a timing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::Any;
use kumo_app::abci::BlockTime;
use kumo_client::tx::to_any;
use kumo_client::{Coin, TxBuilder};
use kumo_console::stats::api::{self, ApiState, PriceSource};
use kumo_console::stats::figures::DEC_ONE;
use kumo_console::stats::indexer::{last_height, open_db, Indexer};
use kumo_console::stats::tables::*;
use kumo_crypto::PrivKey;
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::Node;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use kumo_store::{IndexStore, Store, StoreOptions};
use rayon::prelude::*;
use redb::Database;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::bench::{
    bench_key, check_applied, check_block, funded_node, median, percentile, send_tx, CHAIN,
};
use crate::{Globals, Output};

#[derive(clap::Args, Debug)]
pub struct StatsBenchArgs {
    /// Txs per block (one per account; also the number of providers, deployments and leases
    /// the market blocks create).
    #[arg(long, default_value_t = 2000)]
    pub block_txs: usize,
    /// Blocks of bank sends after the four market blocks.
    #[arg(long, default_value_t = 10)]
    pub blocks: usize,
    /// Catch-up runs (each on a fresh index); the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Block interval of the live run, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub block_time_ms: u64,
    /// Leases in the synthetic index (latency) and open leases preloaded (catch-up).
    #[arg(long, default_value_t = 100_000)]
    pub leases: usize,
    /// Providers in the synthetic index.
    #[arg(long, default_value_t = 1000)]
    pub providers: usize,
    /// Days of synthetic history (an hourly block row, every block of the last two days).
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Requests per route in the latency runs.
    #[arg(long, default_value_t = 200)]
    pub requests: usize,
    /// Leave out the market blocks (bank sends only).
    #[arg(long)]
    pub no_market: bool,
}

/// Seconds between the bench chain's blocks (Akash's block time); only dates depend on it.
const BLOCK_SECONDS: i64 = 6;

/// What one produced block holds, for per-kind timings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The genesis block (no txs).
    Empty,
    Providers,
    Deployments,
    Bids,
    Leases,
    Sends,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Empty => "empty block",
            Kind::Providers => "MsgCreateProvider",
            Kind::Deployments => "MsgCreateDeployment",
            Kind::Bids => "MsgCreateBid",
            Kind::Leases => "MsgCreateLease",
            Kind::Sends => "MsgSend",
        }
    }
}

/// A signed tx of `msgs` with room for a market message's gas.
fn market_tx(key: &PrivKey, number: u64, sequence: u64, msg: Any) -> Vec<u8> {
    TxBuilder::new(CHAIN, number, sequence)
        .msg(msg)
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: "50000".into(),
        }])
        .gas_limit(2_000_000)
        .sign(key)
        .tx_bytes
}

fn uakt_deposit(amount: u128) -> Deposit {
    Deposit {
        amount: Some(Coin {
            denom: "uakt".into(),
            amount: amount.to_string(),
        }),
        sources: vec![Source::Balance as i32],
    }
}

/// The blocks of the workload, signed in advance: the market blocks (unless `no_market`), then
/// `a.blocks` blocks of bank sends. Account `i` bids on account `i + 1`'s order, so every
/// deployment gets one bid and one lease from a provider other than its owner.
fn signed_blocks(a: &StatsBenchArgs, keys: &[PrivKey]) -> Result<Vec<(Kind, Vec<Vec<u8>>)>> {
    let n = keys.len();
    let addr: Vec<String> = keys.iter().map(|k| k.address().to_string()).collect();
    let sdl = kumo_sdl::parse("bench.yaml", kumo_node::testkit::NGINX_SDL)?;
    let bid_id = |owner: usize, provider: usize| mv1::BidId {
        owner: addr[owner].clone(),
        dseq: 1,
        gseq: 1,
        oseq: 1,
        provider: addr[provider].clone(),
        bseq: 0,
    };
    let mut kinds = Vec::new();
    if !a.no_market {
        kinds.extend([Kind::Providers, Kind::Deployments, Kind::Bids, Kind::Leases]);
    }
    kinds.extend(std::iter::repeat_n(Kind::Sends, a.blocks));
    let receiver = bench_key(usize::MAX).address().to_string();
    Ok(kinds
        .iter()
        .enumerate()
        .map(|(seq, kind)| {
            let seq = seq as u64;
            let txs = (0..n)
                .into_par_iter()
                .map(|i| {
                    let (k, number) = (&keys[i], i as u64);
                    let msg = match kind {
                        Kind::Sends | Kind::Empty => {
                            return send_tx(k, &receiver, number, seq, CHAIN)
                        }
                        Kind::Providers => to_any(&pv1b4::MsgCreateProvider {
                            owner: addr[i].clone(),
                            host_uri: format!("https://p{i}.bench.invalid:8443"),
                            attributes: vec![],
                            info: None,
                        }),
                        Kind::Deployments => to_any(&dv1b4::MsgCreateDeployment {
                            id: Some(dv1::DeploymentId {
                                owner: addr[i].clone(),
                                dseq: 1,
                            }),
                            groups: sdl.groups.clone(),
                            hash: sdl.manifest_version.to_vec(),
                            deposit: Some(uakt_deposit(5_000_000)),
                            reclamation: None,
                        }),
                        Kind::Bids => to_any(&mv1b5::MsgCreateBid {
                            id: Some(bid_id((i + 1) % n, i)),
                            price: Some(DecCoin {
                                denom: "uakt".into(),
                                amount: (1000 * DEC_ONE).to_string(),
                            }),
                            deposit: Some(uakt_deposit(500_000)),
                            resources_offer: vec![],
                            reclamation_window: None,
                        }),
                        Kind::Leases => to_any(&mv1b5::MsgCreateLease {
                            bid_id: Some(bid_id(i, (i + n - 1) % n)),
                        }),
                    };
                    market_tx(k, number, seq, msg)
                })
                .collect();
            (*kind, txs)
        })
        .collect())
}

/// A bench chain: the node, its loopback JSON-RPC URL and each height's block kind.
struct Chain {
    node: Arc<Node>,
    url: String,
    kinds: Vec<(u64, Kind)>,
}

fn new_chain(a: &StatsBenchArgs, keys: &[PrivKey]) -> Result<Chain> {
    let stores = (
        Store::in_memory(StoreOptions::default())?,
        IndexStore::in_memory()?,
    );
    let node = Arc::new(funded_node(keys, a.block_txs * 2, stores)?);
    let addr = kumo_node::testkit::serve_jsonrpc_on_loopback(node.clone());
    Ok(Chain {
        node,
        url: format!("http://{addr}"),
        kinds: vec![(1, Kind::Empty)],
    })
}

/// Produces `blocks` (CheckTx, then the block), calling `after` with each new height; every
/// tx must succeed.
fn produce(
    chain: &mut Chain,
    blocks: Vec<(Kind, Vec<Vec<u8>>)>,
    mut after: impl FnMut(u64),
) -> Result<()> {
    let mut produced = Vec::new();
    for (b, (kind, txs)) in blocks.into_iter().enumerate() {
        let want = txs.len();
        check_block(&chain.node, txs, b)?;
        let h = chain.node.latest_height() + 1;
        let block = chain.node.produce_block_at(BlockTime {
            seconds: 1 + BLOCK_SECONDS * (h as i64 - 1),
            nanos: 0,
        })?;
        chain.kinds.push((block.block.header.height, kind));
        produced.push((block, want));
        after(h);
    }
    for (block, want) in &produced {
        check_applied(&chain.node, block, *want)
            .with_context(|| format!("bench block {}", block.block.header.height))?;
    }
    Ok(())
}

/// Indexes every block of `chain` into `db` one by one; returns each block's time.
fn index_all(chain: &Chain, db: Arc<Database>) -> Result<Vec<(Kind, usize, Duration)>> {
    let indexer = Indexer::new(db, &chain.url);
    let mut out = Vec::new();
    for &(h, kind) in &chain.kinds {
        let txs = chain
            .node
            .block_results(h)
            .map_or(0, |r| r.tx_results.len());
        let t = Instant::now();
        indexer.index_block(h)?;
        out.push((kind, txs, t.elapsed()));
    }
    Ok(out)
}

/// Milliseconds with two decimals.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn median_ms(mut v: Vec<Duration>) -> f64 {
    v.sort();
    ms(percentile(&v, 50))
}

/// Per block kind: median milliseconds per block over every run.
fn per_kind(runs: &[Vec<(Kind, usize, Duration)>]) -> Vec<(Kind, f64)> {
    let mut kinds: Vec<Kind> = runs[0].iter().map(|r| r.0).collect();
    kinds.sort();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|k| {
            let all: Vec<Duration> = runs
                .iter()
                .flatten()
                .filter(|r| r.0 == k)
                .map(|r| r.2)
                .collect();
            (k, median_ms(all))
        })
        .collect()
}

/// Fills `db` with `a.leases` open leases of tenants that do not exist on the bench chain
/// (their expiry far beyond it), so they sit in LEASES and EXPIRY while the chain is indexed.
fn preload_open_leases(db: &Database, a: &StatsBenchArgs) -> Result<()> {
    let tx = db.begin_write()?;
    {
        let mut leases = tx.open_table(LEASES)?;
        let mut expiry = tx.open_table(EXPIRY)?;
        for i in 0..a.leases {
            let row = synthetic_lease(i, a.providers.max(1), 1, true);
            let key = lease_key(&row.owner, row.dseq, 1, 1, &row.provider, 0);
            leases.insert(key.as_str(), encode(&row).as_slice())?;
            let until = row.predicted_closed_height.unwrap_or(u64::MAX);
            expiry.insert((until, key.as_str()), ())?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Synthetic account addresses: deterministic, distinct, `akash1…`-shaped.
fn synthetic_address(kind: &str, i: usize) -> String {
    let hash: [u8; 20] = Sha256::digest(format!("{kind}-{i}").as_bytes())[..20]
        .try_into()
        .expect("20 bytes");
    kumo_crypto::Address(hash).to_string()
}

/// Blocks per hour of the bench chains.
const HOUR_BLOCKS: u64 = 3600 / BLOCK_SECONDS as u64;

/// Lease `i` of the synthetic network: 10 per tenant, spread over `providers`, created at one
/// of the first `hours` hourly block rows; open ones run until a height far in the future, closed
/// ones end a day after they started (an hourly row too, so their durations resolve).
fn synthetic_lease(i: usize, providers: usize, hours: u64, open: bool) -> LeaseRow {
    let created_height = 1 + HOUR_BLOCKS * ((i as u64 * 7) % hours.max(1));
    let closed_height = created_height + 24 * HOUR_BLOCKS;
    LeaseRow {
        owner: synthetic_address("tenant", i / 10),
        dseq: 1_000_000 + i as u64,
        gseq: 1,
        oseq: 1,
        provider: synthetic_address("provider", i % providers),
        bseq: 0,
        denom: if i.is_multiple_of(3) { "uact" } else { "uakt" }.into(),
        price: (100 + (i as u128 % 900)) * DEC_ONE,
        resources: Resources {
            cpu: 500 + (i as u128 % 4) * 500,
            gpu: u128::from(i.is_multiple_of(50)),
            memory: 512 << 20,
            storage: 1 << 30,
        },
        created_height,
        created_seconds: 1 + BLOCK_SECONDS * (created_height as i64 - 1),
        closed_height: (!open).then_some(closed_height),
        closed_seconds: (!open).then_some(1 + BLOCK_SECONDS * (closed_height as i64 - 1)),
        closed_reason: (!open).then(|| "lease_closed_owner".into()),
        predicted_closed_height: open.then_some(u64::MAX / 2),
        active: open,
    }
}

/// A synthetic network in `db`: `a.days` of history (a block row per hour, every block of the
/// last two days, a day row per day), `a.leases` leases (60 % open), `a.providers` providers
/// with their lease counts, and GPU bids over the last 31 days.
fn fill_synthetic(db: &Database, a: &StatsBenchArgs) -> Result<()> {
    let last = u64::from(a.days) * 24 * HOUR_BLOCKS;
    let recent = last.saturating_sub(2 * 24 * HOUR_BLOCKS);
    let providers = a.providers.max(1);
    let tx = db.begin_write()?;
    {
        let mut leases = tx.open_table(LEASES)?;
        let mut expiry = tx.open_table(EXPIRY)?;
        let mut provider_rows: Vec<ProviderRow> = (0..providers)
            .map(|p| ProviderRow {
                owner: synthetic_address("provider", p),
                host_uri: format!("https://provider{p}.bench.invalid:8443"),
                attributes: vec![
                    (
                        "region".into(),
                        ["us-west", "eu-central", "ap-south"][p % 3].into(),
                    ),
                    ("tier".into(), "community".into()),
                ],
                created_height: 1,
                updated_height: 1,
                ..ProviderRow::default()
            })
            .collect();
        let mut totals = Totals::default();
        for i in 0..a.leases {
            let open = i % 5 < 3;
            // Created in the older, hourly part of the history; closed a day later.
            let row = synthetic_lease(i, providers, (u64::from(a.days) - 2).max(1) * 24, open);
            let key = lease_key(&row.owner, row.dseq, 1, 1, &row.provider, 0);
            if open {
                let p = &mut provider_rows[i % providers];
                p.active_leases += 1;
                p.active_resources.add(&row.resources);
                totals.active_leases += 1;
                totals.resources.add(&row.resources);
                *totals.rate.entry(row.denom.clone()).or_insert(0) += row.price;
                expiry.insert((u64::MAX / 2, key.as_str()), ())?;
            }
            leases.insert(key.as_str(), encode(&row).as_slice())?;
        }
        totals.total_leases = a.leases as u64;
        let mut table = tx.open_table(PROVIDERS)?;
        for p in &provider_rows {
            table.insert(p.owner.as_str(), encode(p).as_slice())?;
        }

        let mut blocks = tx.open_table(BLOCKS)?;
        let mut times = tx.open_table(BLOCK_TIME)?;
        let mut days = tx.open_table(DAYS)?;
        let chain = ChainRow {
            bonded: 200_000_000_000_000,
            supply: 500_000_000_000_000,
            community_pool: 1_000_000_000_000 * DEC_ONE,
            inflation: 13 * DEC_ONE / 100,
            community_tax: 2 * DEC_ONE / 100,
            blocks_per_year: 5_256_000,
        };
        let mut day = DayRow::default();
        let mut h = 1;
        while h <= last {
            let seconds = 1 + BLOCK_SECONDS * (h as i64 - 1);
            // Totals grow with the chain: a share of the final figures, spend accrued.
            let mut t = totals.clone();
            t.total_leases = totals.total_leases * h / last;
            t.active_leases = totals.active_leases * h / last;
            t.tx_count = h * 40;
            t.spent = t
                .rate
                .iter()
                .map(|(d, r)| (d.clone(), r * u128::from(h) / 2))
                .collect();
            let row = BlockRow {
                height: h,
                time: kumo_console::stats::figures::iso_time(seconds),
                seconds,
                proposer: "0".repeat(40),
                block_tx_count: 40,
                totals: t,
                chain: chain.clone(),
            };
            blocks.insert(h, encode(&row).as_slice())?;
            times.insert(seconds, h)?;
            let date = kumo_console::stats::figures::utc_date(seconds);
            if day.date != date {
                if !day.date.is_empty() {
                    days.insert(day.date.as_str(), encode(&day).as_slice())?;
                }
                day = DayRow {
                    date,
                    first_height: h,
                    last_height: h,
                };
            }
            day.last_height = h;
            h += if h >= recent { 1 } else { HOUR_BLOCKS };
        }
        days.insert(day.date.as_str(), encode(&day).as_slice())?;

        let mut bids = tx.open_table(BIDS)?;
        let models = ["a100", "h100", "rtx4090", "t4"];
        let month = 31 * 24 * HOUR_BLOCKS;
        for i in 0..(a.leases / 20) {
            let height = last - (i as u64 * 13) % month;
            let row = BidRow {
                owner: synthetic_address("tenant", i),
                dseq: 2_000_000 + i as u64,
                gseq: 1,
                oseq: 1,
                provider: synthetic_address("provider", i % providers),
                bseq: 0,
                denom: "uakt".into(),
                price: (1000 + (i as u128 % 5000)) * DEC_ONE,
                height,
                seconds: 1 + BLOCK_SECONDS * (height as i64 - 1),
                gpu_units: 1,
                gpu_models: vec![GpuModel {
                    vendor: "nvidia".into(),
                    model: models[i % models.len()].into(),
                    ram: "80Gi".into(),
                    interface: "pcie".into(),
                }],
            };
            let key = lease_key(&row.owner, row.dseq, 1, 1, &row.provider, 0);
            bids.insert(key.as_str(), encode(&row).as_slice())?;
        }
        let mut meta = tx.open_table(META)?;
        meta.insert(META_TOTALS, encode(&totals).as_slice())?;
        meta.insert(META_LAST_HEIGHT, last.to_be_bytes().as_slice())?;
    }
    tx.commit()?;
    Ok(())
}

/// p50 and p95 in milliseconds of `n` calls of `f`.
fn latency(n: usize, mut f: impl FnMut() -> Result<usize>) -> Result<(f64, f64, usize)> {
    let mut d = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        size = f()?;
        d.push(t.elapsed());
    }
    d.sort();
    Ok((ms(percentile(&d, 50)), ms(percentile(&d, 95)), size))
}

/// The `/v1` router on 127.0.0.1 (a free port) from its own runtime thread; returns the base
/// URL and a sender that stops it.
fn serve_api(db: Arc<Database>) -> Result<(String, tokio::sync::oneshot::Sender<()>)> {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("bench API runtime");
        rt.block_on(async move {
            let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
                Ok(l) => l,
                Err(e) => {
                    let _ = addr_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = addr_tx.send(listener.local_addr().map_err(|e| e.to_string()));
            let state = ApiState {
                db,
                price: PriceSource::Fixed(3 * DEC_ONE),
            };
            let _ = api::serve(listener, state, async {
                let _ = stop_rx.await;
            })
            .await;
        });
    });
    let addr = addr_rx
        .recv()
        .context("the bench API thread")?
        .map_err(anyhow::Error::msg)?;
    Ok((format!("http://{addr}"), stop_tx))
}

pub fn run(g: &Globals, a: StatsBenchArgs) -> Result<()> {
    if a.block_txs == 0 || a.runs == 0 || a.requests == 0 || a.days == 0 {
        bail!("--block-txs, --runs, --requests and --days must be positive");
    }
    if a.block_txs < 2 && !a.no_market {
        bail!("the market blocks need at least 2 accounts (--block-txs 2), or --no-market");
    }
    let text = g.output == Output::Text;
    let mut report = serde_json::Map::new();
    eprintln!("preparing {} accounts and their blocks ...", a.block_txs);
    let keys: Vec<PrivKey> = (0..a.block_txs).into_par_iter().map(bench_key).collect();

    // 1. Catch-up from height 1 on a fresh index, `runs` times over one chain.
    let mut chain = new_chain(&a, &keys)?;
    produce(&mut chain, signed_blocks(&a, &keys)?, |_| {})?;
    let blocks = chain.kinds.len();
    let txs: usize = chain
        .kinds
        .iter()
        .map(|(h, _)| {
            chain
                .node
                .block_results(*h)
                .map_or(0, |r| r.tx_results.len())
        })
        .sum();
    let mut runs = Vec::new();
    let (mut block_rates, mut tx_rates) = (Vec::new(), Vec::new());
    for run in 0..a.runs {
        let dir = tempfile::tempdir()?;
        let db = Arc::new(open_db(dir.path())?);
        let t = Instant::now();
        let timings = index_all(&chain, db)?;
        let secs = t.elapsed().as_secs_f64();
        eprintln!(
            "  catch-up run {}: {blocks} blocks, {txs} txs in {secs:.2} s",
            run + 1
        );
        block_rates.push(blocks as f64 / secs);
        tx_rates.push(txs as f64 / secs);
        runs.push(timings);
    }
    let kinds = per_kind(&runs);
    let (bps, tps) = (median(block_rates), median(tx_rates));
    report.insert(
        "catch_up".into(),
        json!({
            "blocks": blocks, "txs": txs, "runs": a.runs,
            "median_blocks_per_s": (bps * 10.0).round() / 10.0,
            "median_txs_per_s": tps.round(),
            "median_ms_per_block": kinds.iter()
                .map(|(k, m)| (k.label().to_string(), json!(m)))
                .collect::<serde_json::Map<_, _>>(),
        }),
    );
    if text {
        println!(
            "indexer catch-up (fresh index, loopback JSON-RPC, median of {} runs): {blocks} \
             blocks, {} txs: {:.1} blocks/s, {} txs/s",
            a.runs,
            kumo_console::web::fmt::thousands(txs as u128),
            bps,
            kumo_console::web::fmt::thousands(tps.round() as u128)
        );
        for (k, m) in &kinds {
            println!(
                "  {:<20} {m:>9.1} ms per block of {} txs",
                k.label(),
                a.block_txs
            );
        }
    }

    // 2. The same chain with 100k open leases already in the index.
    let dir = tempfile::tempdir()?;
    let db = Arc::new(open_db(dir.path())?);
    preload_open_leases(&db, &a)?;
    let loaded = index_all(&chain, db)?;
    let loaded_kinds = per_kind(&[loaded]);
    report.insert(
        "catch_up_with_open_leases".into(),
        json!({
            "open_leases": a.leases,
            "median_ms_per_block": loaded_kinds.iter()
                .map(|(k, m)| (k.label().to_string(), json!(m)))
                .collect::<serde_json::Map<_, _>>(),
        }),
    );
    if text {
        println!(
            "catch-up with {} open leases already in the index (one run):",
            kumo_console::web::fmt::thousands(a.leases as u128)
        );
        for ((k, m), (_, empty)) in loaded_kinds.iter().zip(&kinds) {
            println!(
                "  {:<20} {m:>9.1} ms per block (empty index: {empty:.1} ms)",
                k.label()
            );
        }
    }
    drop(chain);

    // 3. Live: a new chain produced at the block time while the indexer follows it.
    let mut live = new_chain(&a, &keys)?;
    let dir = tempfile::tempdir()?;
    let db = Arc::new(open_db(dir.path())?);
    let stop = Arc::new(AtomicBool::new(false));
    let follower = {
        let (db, url, stop) = (db.clone(), live.url.clone(), stop.clone());
        std::thread::spawn(move || -> Result<()> {
            let indexer = Indexer::new(db, &url);
            while !stop.load(Ordering::SeqCst) {
                if indexer.catch_up(None)? == 0 {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Ok(())
        })
    };
    let interval = Duration::from_millis(a.block_time_ms);
    let live_blocks = signed_blocks(&a, &keys)?;
    let start = Instant::now();
    let mut lags: Vec<u64> = Vec::new();
    let mut slot = 0u32;
    let mut late = 0;
    // The lag is read at the end of each block's slot, when the next block is due: how many
    // produced blocks the index still lacks then (0: it kept up).
    produce(&mut live, live_blocks, |h| {
        slot += 1;
        match (start + interval * slot).checked_duration_since(Instant::now()) {
            Some(wait) => std::thread::sleep(wait),
            None => late += 1,
        }
        lags.push(h.saturating_sub(last_height(&db).unwrap_or(0)));
    })?;
    let produced_in = start.elapsed();
    let final_height = live.node.latest_height();
    let done = Instant::now();
    let deadline = done + Duration::from_secs(600);
    while last_height(&db)? < final_height {
        if Instant::now() > deadline || follower.is_finished() {
            stop.store(true, Ordering::SeqCst);
            follower.join().expect("indexer thread")?;
            bail!("the live indexer did not reach height {final_height}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let drain = done.elapsed();
    stop.store(true, Ordering::SeqCst);
    follower.join().expect("indexer thread")?;
    let max_lag = lags.iter().copied().max().unwrap_or(0);
    report.insert(
        "live".into(),
        json!({
            "block_time_ms": a.block_time_ms, "blocks": lags.len(),
            "produced_s": (produced_in.as_secs_f64() * 100.0).round() / 100.0,
            "blocks_later_than_their_slot": late,
            "max_lag_blocks": max_lag,
            "unindexed_blocks_at_each_slot_end": lags,
            "caught_up_ms_after_last_block": ms(drain),
        }),
    );
    if text {
        println!(
            "indexer live behind a chain producing a block of {} txs every {} ms: {} blocks in \
             {:.1} s ({late} produced late), blocks not yet indexed when the next was due {:?} \
             (max {max_lag}); caught up {:.0} ms after the last block",
            a.block_txs,
            a.block_time_ms,
            lags.len(),
            produced_in.as_secs_f64(),
            lags,
            ms(drain)
        );
    }
    drop(live);

    // 4. Route latency on a synthetic network.
    let dir = tempfile::tempdir()?;
    let db = Arc::new(open_db(dir.path())?);
    let t = Instant::now();
    fill_synthetic(&db, &a)?;
    let fill_s = t.elapsed().as_secs_f64();
    let owner = synthetic_address("tenant", 0);
    let price = Some(3 * DEC_ONE);
    let size = |v: Value| serde_json::to_vec(&v).map(|b| b.len()).unwrap_or(0);
    let mut calls: Vec<(&str, (f64, f64, usize))> = vec![
        (
            "dashboard_json",
            latency(a.requests, || {
                Ok(size(api::dashboard_json(&db, price)?.context("rows")?))
            })?,
        ),
        (
            "providers_json",
            latency(a.requests, || Ok(size(api::providers_json(&db)?)))?,
        ),
        (
            "gpu_prices_json",
            latency(a.requests, || Ok(size(api::gpu_prices_json(&db, price)?)))?,
        ),
        (
            "graph_json activeLeaseCount",
            latency(a.requests, || {
                Ok(size(
                    api::graph_json(&db, "activeLeaseCount", price)?.context("rows")?,
                ))
            })?,
        ),
        (
            "leases_duration_json",
            latency(a.requests, || {
                Ok(size(api::leases_duration_json(&db, &owner, None)?))
            })?,
        ),
    ];
    let (base, stop_api) = serve_api(db.clone())?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    for path in [
        "/v1/dashboard-data",
        "/v1/providers",
        "/v1/gpu-prices",
        "/v1/graph-data/activeLeaseCount",
    ] {
        let url = format!("{base}{path}");
        let figures = latency(a.requests, || {
            let body = agent
                .get(&url)
                .call()
                .with_context(|| format!("GET {url}"))?
                .into_string()?;
            Ok(body.len())
        })?;
        calls.push((path, figures));
    }
    let _ = stop_api.send(());
    report.insert(
        "latency".into(),
        json!({
            "leases": a.leases, "providers": a.providers, "days": a.days,
            "requests": a.requests, "fill_s": (fill_s * 10.0).round() / 10.0,
            "calls": calls.iter().map(|(name, (p50, p95, bytes))| {
                (name.to_string(), json!({"p50_ms": p50, "p95_ms": p95, "bytes": bytes}))
            }).collect::<serde_json::Map<_, _>>(),
        }),
    );
    match g.output {
        Output::Json => println!("{}", Value::Object(report)),
        Output::Text => {
            println!(
                "routes with {} leases, {} providers, {} days of rows (filled in {fill_s:.1} s), \
                 {} requests each:",
                kumo_console::web::fmt::thousands(a.leases as u128),
                kumo_console::web::fmt::thousands(a.providers as u128),
                a.days,
                a.requests
            );
            for (name, (p50, p95, bytes)) in &calls {
                println!(
                    "  {name:<34} p50 {p50:>8.2} ms  p95 {p95:>8.2} ms  {} bytes",
                    kumo_console::web::fmt::thousands(*bytes as u128)
                );
            }
        }
    }
    Ok(())
}
