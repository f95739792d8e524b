//! `kumo stats serve`: the network-statistics indexer and its Akash-shaped `/v1` JSON routes;
//! `kumo query stats supply|inflation|staking|network|providers|gpu|leases`: figures for a
//! terminal.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use kumo_client::DEFAULT_NODE;
use kumo_console::stats::api::{self, ApiState, PriceSource};
use kumo_console::stats::cli_text;
use kumo_console::stats::client::{dashboard_text, get_json, server_status, DEFAULT_STATS};
use kumo_console::stats::indexer::{last_height, open_db, Indexer};
use kumo_console::stats::probe::Prober;

use crate::query_cmd::QueryFlags;
use crate::{Globals, Output};

#[derive(Subcommand, Debug)]
pub enum StatsCmd {
    /// Index the chain (from height 1, then live) and serve Akash's /v1 statistics JSON.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
}

const SERVE_HELP: &str = "\
Routes (Akash's shapes and cache headers):
  /v1/dashboard-data             chain stats, now vs 24 h earlier, latest blocks
  /v1/graph-data/{name}          daily series: activeLeaseCount, totalUAktSpent, dailyUActSpent, …
  /v1/network-capacity           providers online (probed OK in the last 180 min), their capacity
  /v1/provider-graph-data/{name} count|cpu|gpu|memory|storage per day, from daily probes
  /v1/providers[/{address}]      registered providers: online, uptime 1/7/30 d, GPU models,
                                 capacity; the detail adds the 24 h checks and uptime strip
  /v1/gpu                        GPUs allocatable/allocated per vendor and model (online providers)
  /v1/gpu-prices                 USD per hour per GPU model from 31 days of single-GPU bids
  /v1/leases-duration/{owner}    an owner's ended leases and their durations
The index is a redb file (DIR/stats.redb) outside the node's state; delete it to rebuild.
Providers: each registered provider's GET {hostUri}/status is probed (10 s timeout, 10 at once,
its self-signed certificate accepted) every 15 min while online; an offline one after 1 min, then
every 5 min once offline 30 min, 15 min after 6 h, 30 min after 24 h, 1 h after 7 d, daily after
30 d. Uptime = 1 - offline time / window (offline time: from each failed probe to the next).
USD figures need --akt-usd or --akt-usd-file (uact counts 1:1); without one they are null.
Example:
  kumo stats serve --node http://127.0.0.1:26657 --listen 127.0.0.1:3080 --akt-usd 3.5
  curl -s http://127.0.0.1:3080/v1/dashboard-data";

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// CometBFT RPC endpoint of the node to index.
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
    /// Address to serve the /v1 routes on.
    #[arg(long, default_value = "127.0.0.1:3080", value_name = "HOST:PORT")]
    pub listen: String,
    /// Directory of the index (default: HOME/stats).
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// AKT price in USD for the USD figures (e.g. 3.5). Never fetched from the internet.
    #[arg(long, value_name = "PRICE", conflicts_with = "akt_usd_file")]
    pub akt_usd: Option<String>,
    /// A local file holding the AKT price in USD (one number), re-read on every request.
    #[arg(long, value_name = "FILE")]
    pub akt_usd_file: Option<PathBuf>,
    /// How often to ask the node for new blocks, in milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    pub poll_ms: u64,
    /// Do not probe providers (their online flag, capacity, uptime and GPUs stay null), e.g.
    /// when their host URIs must not be contacted.
    #[arg(long)]
    pub no_probe: bool,
}

/// `kumo query stats …`: the chain's economy from module queries, or the network figures from
/// a stats server.
#[derive(Subcommand, Debug)]
pub enum StatsQueryCmd {
    /// Total, circulating and bonded supply.
    Supply(QueryFlagsArg),
    /// Annual inflation, yearly provisions and the bonded goal.
    Inflation(QueryFlagsArg),
    /// Staking ratio, validators, community pool.
    Staking(QueryFlagsArg),
    /// Network figures from a stats server (`kumo stats serve`): leases, spend per denom and in
    /// USD, resources leased, bonded ratio, inflation, staking APR; change versus 24 h earlier.
    Network(NetworkArgs),
    /// Providers from a stats server: host, region, online, uptime 7 d, active leases, CPU/GPU/
    /// memory/storage in use vs available; with an ADDRESS, that provider's detail.
    #[command(after_help = PROVIDERS_HELP)]
    Providers(ProvidersArgs),
    /// GPUs from a stats server: allocatable/allocated per model (/v1/gpu) and USD per hour
    /// min/median/max from 31 days of single-GPU bids (/v1/gpu-prices).
    Gpu(NetworkArgs),
    /// An owner's ended leases and how long each ran (/v1/leases-duration/OWNER).
    Leases(LeasesArgs),
}

const PROVIDERS_HELP: &str = "\
\"—\" marks a figure the server does not have (a provider not probed yet: online, uptime, free
capacity). --output json prints the server's /v1/providers[/ADDRESS] JSON unchanged.
Examples:
  kumo query stats providers
  kumo query stats providers akash1… --stats http://127.0.0.1:3080";

#[derive(Args, Debug)]
pub struct ProvidersArgs {
    /// One provider's account address (akash1…): its detail instead of the list.
    #[arg(value_name = "ADDRESS")]
    pub address: Option<String>,
    #[command(flatten)]
    pub server: NetworkArgs,
}

#[derive(Args, Debug)]
pub struct LeasesArgs {
    /// The tenant's account address (akash1…).
    #[arg(value_name = "OWNER")]
    pub owner: String,
    /// Only the leases of this deployment sequence.
    #[arg(long, value_name = "N")]
    pub dseq: Option<u64>,
    #[command(flatten)]
    pub server: NetworkArgs,
}

#[derive(Args, Debug)]
pub struct QueryFlagsArg {
    #[command(flatten)]
    pub query: QueryFlags,
}

#[derive(Args, Debug)]
pub struct NetworkArgs {
    /// Base URL of the stats server.
    #[arg(long, env = "KUMO_STATS", default_value = DEFAULT_STATS, value_name = "URL")]
    pub stats: String,
}

pub fn run(g: &Globals, c: StatsCmd) -> Result<()> {
    match c {
        StatsCmd::Serve(a) => serve(g, a),
    }
}

pub fn query(g: &Globals, c: StatsQueryCmd) -> Result<()> {
    let (kind, q) = match c {
        StatsQueryCmd::Network(a) => return network(g, &a.stats),
        StatsQueryCmd::Providers(a) => return providers(g, a),
        StatsQueryCmd::Gpu(a) => return gpu(g, &a.stats),
        StatsQueryCmd::Leases(a) => return leases(g, a),
        StatsQueryCmd::Supply(q) => (StatsKind::Supply, q),
        StatsQueryCmd::Inflation(q) => (StatsKind::Inflation, q),
        StatsQueryCmd::Staking(q) => (StatsKind::Staking, q),
    };
    economy(
        g,
        StatsArgs {
            kind,
            query: q.query,
        },
    )
}

/// `kumo query stats network`: the dashboard figures from the stats server.
fn network(g: &Globals, stats: &str) -> Result<()> {
    let d = get_json(stats, "/v1/dashboard-data")?;
    if g.output == Output::Json {
        println!("{}", serde_json::to_string_pretty(&d)?);
    } else {
        println!("{}", dashboard_text(&d));
    }
    Ok(())
}

fn print(g: &Globals, json: &serde_json::Value, text: impl FnOnce() -> String) -> Result<()> {
    if g.output == Output::Json {
        println!("{}", serde_json::to_string_pretty(json)?);
    } else {
        println!("{}", text());
    }
    Ok(())
}

/// `kumo query stats providers [ADDRESS]`.
fn providers(g: &Globals, a: ProvidersArgs) -> Result<()> {
    let Some(address) = a.address else {
        let list = get_json(&a.server.stats, "/v1/providers")?;
        return print(g, &list, || cli_text::providers_text(&list));
    };
    // The server checks the address too; checking here names the mistake without a round trip.
    if let Err(e) = kumo_crypto::Address::from_bech32(&address, "akash") {
        bail!("{address:?} is not a provider address (akash1…): {e}");
    }
    let p = get_json(&a.server.stats, &format!("/v1/providers/{address}")).map_err(|e| {
        if server_status(&e) == Some(404) {
            anyhow::anyhow!(
                "no provider {address} is registered (as far as the stats index has read the                  chain); `kumo query stats providers` lists them"
            )
        } else {
            e
        }
    })?;
    print(g, &p, || cli_text::provider_text(&p))
}

/// `kumo query stats gpu`: `/v1/gpu` (absent from servers that do not probe providers) and
/// `/v1/gpu-prices`; JSON output is `{"gpu": …|null, "gpuPrices": …}`.
fn gpu(g: &Globals, stats: &str) -> Result<()> {
    let gpu = match get_json(stats, "/v1/gpu") {
        Ok(v) => Some(v),
        Err(e) if server_status(&e) == Some(404) => None,
        Err(e) => return Err(e),
    };
    let prices = get_json(stats, "/v1/gpu-prices")?;
    let json = serde_json::json!({"gpu": gpu, "gpuPrices": prices});
    print(g, &json, || cli_text::gpu_text(gpu.as_ref(), &prices))
}

/// `kumo query stats leases OWNER [--dseq N]`.
fn leases(g: &Globals, a: LeasesArgs) -> Result<()> {
    if let Err(e) = kumo_crypto::Address::from_bech32(&a.owner, "akash") {
        bail!("{:?} is not an account address (akash1…): {e}", a.owner);
    }
    let path = match a.dseq {
        Some(d) => format!("/v1/leases-duration/{}?dseq={d}", a.owner),
        None => format!("/v1/leases-duration/{}", a.owner),
    };
    let v = get_json(&a.server.stats, &path)?;
    print(g, &v, || cli_text::leases_text(&a.owner, &v))
}

fn price_source(a: &ServeArgs) -> Result<PriceSource> {
    if let Some(p) = &a.akt_usd {
        let atomics = p
            .parse::<kumo_proto::math::Dec>()
            .map(|d| d.atomics())
            .map_err(|e| anyhow::anyhow!("--akt-usd: {e}"))?;
        return Ok(PriceSource::Fixed(atomics));
    }
    if let Some(path) = &a.akt_usd_file {
        let src = PriceSource::File(path.clone());
        // Refuse a bad file at start; later edits are picked up per request.
        src.akt_usd()?;
        return Ok(src);
    }
    Ok(PriceSource::None)
}

fn serve(g: &Globals, a: ServeArgs) -> Result<()> {
    let price = price_source(&a)?;
    let dir = a.db.clone().unwrap_or_else(|| g.home.join("stats"));
    let db = Arc::new(open_db(&dir)?);
    let from = last_height(&db)? + 1;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = match rt.block_on(tokio::net::TcpListener::bind(&a.listen)) {
        Ok(l) => l,
        Err(e) => bail!(
            "cannot listen on {} ({e}); is another stats server running? pick one with --listen",
            a.listen
        ),
    };
    let addr = listener.local_addr()?;
    let stop = Arc::new(AtomicBool::new(false));
    let indexer = {
        let (db, node, stop) = (db.clone(), a.node.clone(), stop.clone());
        let poll = Duration::from_millis(a.poll_ms.max(50));
        std::thread::Builder::new()
            .name("stats-indexer".into())
            .spawn(move || Indexer::new(db, &node).follow(&stop, poll))
            .context("starting the indexer thread")?
    };
    // Providers are probed on their own thread, so a provider that hangs never holds up the
    // block indexer (each probe is bounded by its timeout anyway).
    let prober = if a.no_probe {
        None
    } else {
        let (db, node, stop) = (db.clone(), a.node.clone(), stop.clone());
        let t = std::thread::Builder::new()
            .name("stats-prober".into())
            .spawn(move || Prober::new(db).with_node(&node).run(&stop))
            .context("starting the provider prober thread")?;
        Some(t)
    };
    println!(
        "stats: http://{addr}/v1/dashboard-data (indexing {} from height {from} into {})",
        a.node,
        dir.join("stats.redb").display()
    );
    let state = ApiState { db, price };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let served = rt.block_on(api::serve(listener, state, shutdown));
    stop.store(true, Ordering::SeqCst);
    let _ = indexer.join();
    if let Some(p) = prober {
        let _ = p.join();
    }
    served.context("serving the stats routes")
}

// ---- supply, inflation, staking (from the chain) --------------------------------------

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsKind {
    /// Total, circulating and bonded supply.
    Supply,
    /// Annual inflation, yearly provisions and the bonded goal.
    Inflation,
    /// Staking ratio, validators, community pool.
    Staking,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    pub kind: StatsKind,
    #[command(flatten)]
    pub query: QueryFlags,
}

fn akt(uakt: u128) -> String {
    format!("{}.{:06} AKT", uakt / 1_000_000, uakt % 1_000_000)
}

fn percent(atomics: u128) -> String {
    use crate::staking_cmd::DEC_ONE;
    let bp = atomics / (DEC_ONE / 1_000_000);
    format!("{}.{:04} %", bp / 10_000, bp % 10_000)
}

/// `kumo query stats supply|inflation|staking`: the economy at a glance, from the chain.
fn economy(g: &Globals, a: StatsArgs) -> Result<()> {
    use crate::mint_cmd::mint_numbers;
    use crate::query_cmd::print_json;
    use crate::staking_cmd::{all, dec, DEC_ONE};
    use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank;
    use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr;
    use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
    use serde_json::json;
    let client = a.query.client();
    let (p, inflation, provisions) = mint_numbers(&client)?;
    let denom = p.mint_denom.clone();
    let s: bank::QuerySupplyOfResponse = client.query_proto(
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        &bank::QuerySupplyOfRequest {
            denom: denom.clone(),
        },
    )?;
    let total: u128 = s.amount.map_or(0, |c| c.amount.parse().unwrap_or(0));
    // The cap minting stops at (a kumo query: the SDK's mint has no cap).
    let cap: bank::QuerySupplyOfResponse = client.query_proto(
        kumo_app::mint::query::MAX_SUPPLY_PATH,
        &bank::QuerySupplyOfRequest {
            denom: denom.clone(),
        },
    )?;
    let max_supply: u128 = cap.amount.map_or(0, |c| c.amount.parse().unwrap_or(0));
    let pool: staking::QueryPoolResponse = client.query_proto(
        "/cosmos.staking.v1beta1.Query/Pool",
        &staking::QueryPoolRequest {},
    )?;
    let pool = pool.pool.unwrap_or_default();
    let bonded: u128 = pool.bonded_tokens.parse().unwrap_or(0);
    let unbonding: u128 = pool.not_bonded_tokens.parse().unwrap_or(0);
    let cp: distr::QueryCommunityPoolResponse = client.query_proto(
        "/cosmos.distribution.v1beta1.Query/CommunityPool",
        &distr::QueryCommunityPoolRequest {},
    )?;
    let community: u128 = cp
        .pool
        .iter()
        .find(|c| c.denom == denom)
        .map_or(0, |c| c.amount.parse::<u128>().unwrap_or(0) / DEC_ONE);
    // Circulating: everything but what the community pool holds.
    let circulating = total.saturating_sub(community);
    let ratio = if total == 0 {
        0
    } else {
        bonded * DEC_ONE / total
    };
    let inflation: u128 = inflation.parse().unwrap_or(0);
    let provisions: u128 = provisions.parse::<u128>().unwrap_or(0) / DEC_ONE;
    let vals: staking::QueryValidatorsResponse = client.query_proto(
        "/cosmos.staking.v1beta1.Query/Validators",
        &staking::QueryValidatorsRequest {
            status: "BOND_STATUS_BONDED".into(),
            pagination: all(),
        },
    )?;
    let v = match a.kind {
        StatsKind::Supply => json!({
            "denom": denom, "total": total.to_string(), "circulating": circulating.to_string(),
            "bonded": bonded.to_string(), "unbonding": unbonding.to_string(),
            "community_pool": community.to_string(), "max_supply": max_supply.to_string(),
            "left_to_mint": max_supply.saturating_sub(total).to_string(),
        }),
        StatsKind::Inflation => json!({
            "inflation": dec(&inflation.to_string()), "annual_provisions": provisions.to_string(),
            "inflation_min": dec(&p.inflation_min), "inflation_max": dec(&p.inflation_max),
            "goal_bonded": dec(&p.goal_bonded), "bonded_ratio": dec(&ratio.to_string()),
        }),
        StatsKind::Staking => json!({
            "bonded": bonded.to_string(), "staking_ratio": dec(&ratio.to_string()),
            "bonded_validators": vals.validators.len(), "community_pool": community.to_string(),
            "annual_provisions": provisions.to_string(),
        }),
    };
    if g.output == Output::Json {
        print_json(&v);
        return Ok(());
    }
    match a.kind {
        StatsKind::Supply => {
            println!("total supply:       {}", akt(total));
            println!("circulating supply: {}", akt(circulating));
            println!("bonded:             {} ({})", akt(bonded), percent(ratio));
            println!("unbonding:          {}", akt(unbonding));
            println!("community pool:     {}", akt(community));
            println!(
                "max supply:         {} (minting stops there; {} left to mint)",
                akt(max_supply),
                akt(max_supply.saturating_sub(total))
            );
        }
        StatsKind::Inflation => {
            println!("annual inflation:   {}", percent(inflation));
            println!("yearly provisions:  {}", akt(provisions));
            println!(
                "bounds:             {} .. {} toward {} bonded (now {})",
                percent(crate_dec(&p.inflation_min)),
                percent(crate_dec(&p.inflation_max)),
                percent(crate_dec(&p.goal_bonded)),
                percent(ratio)
            );
        }
        StatsKind::Staking => {
            println!("bonded:             {}", akt(bonded));
            println!("staking ratio:      {}", percent(ratio));
            println!("bonded validators:  {}", vals.validators.len());
            println!("community pool:     {}", akt(community));
            println!("yearly provisions:  {}", akt(provisions));
        }
    }
    Ok(())
}

fn crate_dec(s: &str) -> u128 {
    s.parse().unwrap_or(0)
}
