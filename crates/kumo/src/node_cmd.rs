//! `kumo init`, `kumo node start`, `kumo devnet`, `kumo bench` (`kumo genesis …` is in genesis_cmd.rs).

use crate::{Globals, Output};
use anyhow::{bail, Context, Result};
use kumo_app::genesis::Genesis;
use kumo_crypto::keyring::{Backend, Keyring};
use kumo_node::home::{parse_duration, Ed25519Key, Home, NodeConfig};
use kumo_node::Node;
use std::sync::Arc;

pub const DEFAULT_CHAIN_ID: &str = "kumo-devnet";

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Chain id written into the genesis file and the node config.
    #[arg(long, default_value = DEFAULT_CHAIN_ID)]
    pub chain_id: String,
    /// Human-readable node name shown in `status`.
    #[arg(long, default_value = "kumo-node")]
    pub moniker: String,
    /// Replace an existing config, genesis and keys (chain data is kept unless removed).
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum NodeCmd {
    /// Start the node: block production, JSON-RPC, gRPC and REST servers.
    Start(StartArgs),
}

/// Settings that override the node config for this run.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct StartArgs {
    /// Time between blocks, e.g. 1s or 500ms.
    #[arg(long)]
    pub block_time: Option<String>,
    /// CometBFT JSON-RPC listen address.
    #[arg(long)]
    pub rpc_laddr: Option<String>,
    /// gRPC listen address.
    #[arg(long)]
    pub grpc_laddr: Option<String>,
    /// REST (grpc-gateway style) listen address.
    #[arg(long)]
    pub api_laddr: Option<String>,
    /// Minimum gas prices the mempool accepts, e.g. 0.025uakt.
    #[arg(long)]
    pub min_gas_prices: Option<String>,
    /// Consensus p2p listen address (ip:port); tx gossip listens two ports above it.
    #[arg(long)]
    pub p2p_laddr: Option<String>,
    /// Peers to stay connected to, comma separated `host:port` or `<node id>@host:port`.
    #[arg(long, value_delimiter = ',')]
    pub persistent_peers: Option<Vec<String>>,
}

impl StartArgs {
    fn apply(&self, cfg: &mut NodeConfig) -> Result<()> {
        if let Some(t) = &self.block_time {
            cfg.block_time_ms = parse_duration(t)?.as_millis() as u64;
        }
        let strip = |s: &String| {
            s.trim_start_matches("tcp://")
                .trim_start_matches("http://")
                .to_string()
        };
        if let Some(a) = &self.rpc_laddr {
            cfg.rpc_laddr = strip(a);
        }
        if let Some(a) = &self.grpc_laddr {
            cfg.grpc_laddr = strip(a);
        }
        if let Some(a) = &self.api_laddr {
            cfg.api_laddr = strip(a);
        }
        if let Some(p) = &self.min_gas_prices {
            cfg.min_gas_prices = p.clone();
        }
        if let Some(a) = &self.p2p_laddr {
            cfg.p2p_laddr = strip(a);
        }
        if let Some(peers) = &self.persistent_peers {
            for p in peers {
                kumo_node::consensus::peer_socket(p)?;
            }
            cfg.persistent_peers = peers.clone();
        }
        Ok(())
    }
}

#[derive(clap::Args, Debug)]
pub struct DevnetArgs {
    /// Chain id of the devnet.
    #[arg(long, default_value = DEFAULT_CHAIN_ID)]
    pub chain_id: String,
    /// Delete the home directory first and start a fresh chain.
    #[arg(long)]
    pub reset: bool,
    /// Governance voting period of a new devnet, e.g. 30s (default: Akash's 3 days), so that a
    /// proposal can pass within a test; the expedited period becomes half of it if longer.
    #[arg(long, value_name = "DURATION")]
    pub voting_period: Option<String>,
    #[command(flatten)]
    pub start: StartArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum BenchCmd {
    /// Signed bank sends through CheckTx -> FinalizeBlock -> Commit, in memory and on disk.
    Apply(crate::bench::ApplyArgs),
    /// Signed bank sends from broadcast_tx_sync to a committed block on a running node.
    Rpc(crate::bench::RpcArgs),
    /// The statistics indexer catching up with (and following) blocks of 2,000 txs, market
    /// messages included, and the /v1 routes' latency with 100,000 leases and 1,000 providers.
    Stats(crate::stats_bench::StatsBenchArgs),
}

fn now_rfc3339() -> String {
    let t = kumo_node::node::now();
    kumo_node::rpc::format::rfc3339_nanos(t)
}

pub fn init(g: &Globals, a: InitArgs) -> Result<()> {
    let home = Home::new(&g.home);
    if home.is_initialized() && !a.overwrite {
        bail!(
            "{} is already initialized (config and genesis exist); pass --overwrite to replace them",
            g.home.display()
        );
    }
    let cfg = NodeConfig::new(&a.chain_id, &a.moniker);
    home.save_config(&cfg)?;
    let validator = Ed25519Key::generate();
    validator.save(&home.validator_key_file(), true)?;
    let node_key = Ed25519Key::generate();
    node_key.save(&home.node_key_file(), false)?;
    // Validators come from staking (gentxs, or the devnet's bonded validator), not from a
    // fixed `validators` list.
    let genesis = Genesis::new(&a.chain_id, &now_rfc3339());
    std::fs::write(home.genesis_file(), genesis.to_json() + "\n")?;
    match g.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({"home": g.home, "chain_id": a.chain_id, "moniker": a.moniker,
                "node_id": hex::encode(node_key.address()), "validator_address": hex::encode_upper(validator.address())})
        ),
        Output::Text => {
            println!("Initialized {} for chain {}", g.home.display(), a.chain_id);
            println!(
                "  validator address: {}",
                hex::encode_upper(validator.address())
            );
            println!("  genesis:           {}", home.genesis_file().display());
            println!("Next: fund accounts with `kumo genesis add-account ADDRESS COINS`, create a validator with");
            println!("`kumo genesis gentx KEY AMOUNT --moniker NAME` and `kumo genesis collect-gentxs`, then `kumo node start`.");
        }
    }
    Ok(())
}

fn start_node(home: &std::path::Path, overrides: &StartArgs) -> Result<()> {
    let h = Home::new(home);
    let mut cfg = h.load_config()?;
    let before = serde_json::to_value(&cfg)?;
    overrides.apply(&mut cfg)?;
    if serde_json::to_value(&cfg)? != before {
        h.save_config(&cfg)?;
    }
    let node = Arc::new(Node::open(home)?);
    kumo_node::consensus::check_has_validators(&node)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    eprintln!(
        "kumo node {} on chain {}: p2p {}  rpc http://{}  grpc http://{}  rest http://{}  (block time {} ms)",
        env!("CARGO_PKG_VERSION"),
        cfg.chain_id,
        cfg.p2p_laddr,
        cfg.rpc_laddr,
        cfg.grpc_laddr,
        cfg.api_laddr,
        cfg.block_time_ms
    );
    runtime.block_on(node.run(home, shutdown_signal()))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
    eprintln!("shutting down");
}

pub fn node(g: &Globals, c: NodeCmd) -> Result<()> {
    match c {
        NodeCmd::Start(a) => {
            init_node_tracing(&g.home, a.persistent_peers.as_ref());
            start_node(&g.home, &a)
        }
    }
}

/// The node's log filter unless RUST_LOG says otherwise: our own info lines, the engine's
/// warnings (its info lines narrate every step of every round).
const DEFAULT_LOG: &str = "info,arc_malachitebft_core_consensus=warn,arc_malachitebft_engine=warn,\
    arc_malachitebft_network=warn,arc_malachitebft_sync=warn,arc_malachitebft_discovery=warn,\
    arc_malachitebft_wal=warn,libp2p_swarm=warn,libp2p_gossipsub=warn";

/// A node with no peers to talk to (a one-validator chain) would log the engine's "no peers
/// subscribed" errors for every message it publishes: those are muted there.
fn init_node_tracing(home: &std::path::Path, peers_flag: Option<&Vec<String>>) {
    let solo = match peers_flag {
        Some(peers) => peers.is_empty(),
        None => Home::new(home)
            .load_config()
            .is_ok_and(|c| c.persistent_peers.is_empty()),
    };
    if solo && std::env::var_os("RUST_LOG").is_none() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(format!("{DEFAULT_LOG},arc_malachitebft_network=off"))
            .with_writer(std::io::stderr)
            .try_init();
    }
    init_tracing();
}

pub(crate) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| DEFAULT_LOG.into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Demo keys: public BIP-39 test mnemonics, so clients can sign without setup. Never use them
/// for real funds.
pub const DEVNET_KEYS: &[(&str, &str)] = &[
    ("alice", "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"),
    ("bob", "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong"),
];
pub const DEVNET_BALANCE: u128 = 1_000_000_000_000;

pub fn devnet(g: &Globals, a: DevnetArgs) -> Result<()> {
    let home = Home::new(&g.home);
    if a.reset && g.home.exists() {
        std::fs::remove_dir_all(&g.home)
            .with_context(|| format!("cannot remove {}", g.home.display()))?;
    }
    if !home.is_initialized() {
        init(
            &Globals {
                output: Output::Text,
                ..g.clone()
            },
            InitArgs {
                chain_id: a.chain_id.clone(),
                moniker: "kumo-devnet".into(),
                overwrite: false,
            },
        )?;
        let keyring = Keyring::open(&g.home, Backend::Test)?;
        let mut genesis =
            Genesis::from_json(&home.load_genesis_text()?).map_err(anyhow::Error::msg)?;
        let mut names: Vec<(String, Option<String>)> = DEVNET_KEYS
            .iter()
            .map(|(n, m)| (n.to_string(), Some(m.to_string())))
            .collect();
        names.push(("validator".into(), None));
        names.push(("provider".into(), None));
        for (name, mnemonic) in names {
            let mnemonic = mnemonic.unwrap_or_else(kumo_crypto::generate_mnemonic);
            let info = keyring.add(&name, &mnemonic, None)?;
            genesis
                .add_account(
                    &info.address.to_string(),
                    &[
                        kumo_app::coins::Coin::new("uact", DEVNET_BALANCE),
                        kumo_app::coins::Coin::new("uakt", DEVNET_BALANCE),
                    ],
                )
                .map_err(anyhow::Error::msg)?;
            println!(
                "  key {name:<10} {}  {DEVNET_BALANCE} uakt, {DEVNET_BALANCE} uact",
                info.address
            );
        }
        bond_devnet_validator(&home, &keyring, &mut genesis)?;
        let block_time_ms = match &a.start.block_time {
            Some(t) => parse_duration(t)?.as_millis() as u64,
            None => home.load_config()?.block_time_ms,
        };
        tune_devnet_genesis(&mut genesis, block_time_ms, a.voting_period.as_deref())?;
        println!(
            "  mint: {} blocks a year (a block every {block_time_ms} ms); gov voting period {}",
            blocks_per_year(block_time_ms),
            a.voting_period.as_deref().unwrap_or("3 days")
        );
        std::fs::write(home.genesis_file(), genesis.to_json() + "\n")?;
        println!(
            "Devnet keys are in the `test` keyring: add --keyring-backend test --home {}",
            g.home.display()
        );
    } else {
        if a.voting_period.is_some() {
            bail!(
                "--voting-period is written into a new devnet's genesis; {} holds a devnet \
                 already: add --reset to start a new chain",
                g.home.display()
            );
        }
        let cfg = home.load_config()?;
        if cfg.chain_id != a.chain_id {
            bail!(
                "{} holds chain {:?}, not {:?}; pass --reset to start a new chain",
                g.home.display(),
                cfg.chain_id,
                a.chain_id
            );
        }
        println!("Resuming the devnet in {}", g.home.display());
    }
    // After the home exists: a fresh devnet's config says whether it has peers.
    init_node_tracing(&g.home, a.start.persistent_peers.as_ref());
    start_node(&g.home, &a.start)
}

/// Seconds in a year as mint's default `blocks_per_year` counts them (365 days).
pub const SECONDS_PER_YEAR: u64 = 365 * 24 * 3600;

/// Mint's `blocks_per_year` for blocks every `block_time_ms`: mint pays the annual inflation
/// out per block, so a chain with 1 s blocks needs 31,536,000 blocks a year; with mainnet's
/// 6 s figure (5,256,000) it would mint six times the annual rate.
pub fn blocks_per_year(block_time_ms: u64) -> u64 {
    (SECONDS_PER_YEAR * 1000 / block_time_ms.max(1)).max(1)
}

/// A local network's genesis tuned to it: mint's blocks per year from its block time, and
/// optionally a short governance voting period (`30s`) so proposals pass within a test.
pub(crate) fn tune_devnet_genesis(
    genesis: &mut Genesis,
    block_time_ms: u64,
    voting_period: Option<&str>,
) -> Result<()> {
    let mint = &mut genesis.app_state.mint;
    let mut params = mint.params.clone().unwrap_or_else(|| {
        kumo_app::mint::genesis::ParamsJson::from_params(&kumo_app::mint::state::default_params())
    });
    params.blocks_per_year = blocks_per_year(block_time_ms);
    mint.params = Some(params);
    if let Some(v) = voting_period {
        let secs = parse_duration(v)?.as_secs();
        if secs < 2 {
            bail!("--voting-period {v}: at least 2s (the expedited period must be shorter)");
        }
        let gov = &mut genesis.app_state.gov;
        let mut p = gov.params.clone().unwrap_or_else(|| {
            kumo_app::gov::genesis::ParamsJson::from_params(&kumo_app::gov::state::default_params())
        });
        p.voting_period = format!("{secs}s");
        let expedited: u64 = p
            .expedited_voting_period
            .trim_end_matches('s')
            .parse()
            .unwrap_or(u64::MAX);
        if expedited >= secs {
            p.expedited_voting_period = format!("{}s", secs / 2);
        }
        let checked = p.to_params().map_err(|e| anyhow::anyhow!(e.log))?;
        kumo_app::gov::state::validate_params(&checked).map_err(|e| anyhow::anyhow!(e.log))?;
        gov.params = Some(p);
    }
    Ok(())
}

const AKT: u128 = 1_000_000;
/// Akash mainnet's proportions (DESIGN.md "Economics defaults"): ~230.8 M AKT circulating, of
/// which ~57.8 % is staked.
pub const DEVNET_CIRCULATING: u128 = 230_800_000 * AKT;
pub const DEVNET_BONDED: u128 = 133_402_400 * AKT;

/// Makes the node's consensus key a bonded validator operated by the `validator` key, with a
/// self-delegation of 57.8 % of the supply, and gives the rest of the 230.8 M AKT to a
/// `reserve` key, so that the devnet's numbers look like mainnet's.
fn bond_devnet_validator(home: &Home, keyring: &Keyring, genesis: &mut Genesis) -> Result<()> {
    let operator = keyring.show("validator")?.address;
    genesis
        .add_account(
            &operator.to_string(),
            &[kumo_app::coins::Coin::new("uakt", DEVNET_BONDED)],
        )
        .map_err(anyhow::Error::msg)?;
    let consensus = Ed25519Key::load(&home.validator_key_file())?;
    kumo_app::staking::genesis::add_genesis_validator(
        genesis,
        &operator,
        &consensus.public(),
        "kumo-devnet",
        DEVNET_BONDED,
        kumo_proto::math::DEC_ONE / 10,
    )
    .map_err(anyhow::Error::msg)?;
    let held: u128 = genesis
        .app_state
        .bank
        .balances
        .iter()
        .flat_map(|b| b.coins.iter())
        .filter(|c| c.denom == "uakt")
        .map(|c| c.amount.parse::<u128>().unwrap_or(0))
        .sum();
    let reserve = keyring.add("reserve", &kumo_crypto::generate_mnemonic(), None)?;
    genesis
        .add_account(
            &reserve.address.to_string(),
            &[kumo_app::coins::Coin::new(
                "uakt",
                DEVNET_CIRCULATING.saturating_sub(held),
            )],
        )
        .map_err(anyhow::Error::msg)?;
    println!(
        "  validator {} bonds {} AKT ({} % of {} AKT); key reserve {} holds the rest",
        operator.to_bech32(kumo_app::staking::state::VALOPER_HRP),
        DEVNET_BONDED / AKT,
        DEVNET_BONDED * 1000 / DEVNET_CIRCULATING / 10,
        DEVNET_CIRCULATING / AKT,
        reserve.address
    );
    Ok(())
}

pub fn bench(g: &Globals, c: BenchCmd) -> Result<()> {
    match c {
        BenchCmd::Apply(a) => crate::bench::apply(g, a),
        BenchCmd::Rpc(a) => crate::bench::rpc(g, a),
        BenchCmd::Stats(a) => crate::stats_bench::run(g, a),
    }
}

#[cfg(test)]
mod devnet_genesis_tests {
    use super::*;

    #[test]
    fn blocks_per_year_follow_the_block_time() {
        assert_eq!(blocks_per_year(1000), 31_536_000);
        assert_eq!(blocks_per_year(500), 63_072_000);
        // Mainnet's ~6 s blocks give mint's default.
        assert_eq!(
            blocks_per_year(6000),
            kumo_app::mint::state::BLOCKS_PER_YEAR
        );
    }

    #[test]
    fn a_short_voting_period_goes_into_gov_params_with_a_shorter_expedited_one() {
        let mut g = Genesis::new("kumo-devnet", "2026-01-01T00:00:00Z");
        tune_devnet_genesis(&mut g, 1000, Some("30s")).unwrap();
        let gov = g.app_state.gov.params.as_ref().unwrap();
        assert_eq!(
            (
                gov.voting_period.as_str(),
                gov.expedited_voting_period.as_str()
            ),
            ("30s", "15s")
        );
        assert_eq!(g.app_state.mint.params.unwrap().blocks_per_year, 31_536_000);
        let mut g = Genesis::new("kumo-devnet", "2026-01-01T00:00:00Z");
        let e = tune_devnet_genesis(&mut g, 1000, Some("1s")).unwrap_err();
        assert!(e.to_string().contains("at least 2s"), "{e}");
        // Without a voting period gov keeps Akash's defaults.
        let mut g = Genesis::new("kumo-devnet", "2026-01-01T00:00:00Z");
        tune_devnet_genesis(&mut g, 2000, None).unwrap();
        assert!(g.app_state.gov.params.is_none());
        assert_eq!(g.app_state.mint.params.unwrap().blocks_per_year, 15_768_000);
    }
}
