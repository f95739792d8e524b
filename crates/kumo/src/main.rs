//! `kumo`: the one binary. The CLI for tenants, providers and validators, and every daemon as a
//! subcommand.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// mimalloc: the node allocates and frees many small buffers per tx (keys, values, events);
/// glibc malloc spent ~15 % of `kumo bench apply` in its own bookkeeping.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod authz_cmd;
mod bench;
mod cert_cmd;
mod console_cmd;
mod distribution_cmd;
mod escrow_query;
mod explain_cmd;
mod feegrant_cmd;
mod genesis_cmd;
mod gov_cmd;
mod keys_cmd;
mod lease_cmd;
mod market_cmd;
mod mint_cmd;
mod node_cmd;
mod offline_cmd;
mod params_cmd;
mod provider_cmd;
mod provider_daemon_cmd;
mod query_cmd;
mod sdl_cmd;
mod slashing_cmd;
mod staking_cmd;
mod stats_bench;
mod stats_cmd;
mod testnet_cmd;
mod tx_cmd;

#[derive(Parser, Debug)]
#[command(
    name = "kumo",
    version,
    about = "kumo: a decentralized compute marketplace, wire-compatible with Akash Network",
    long_about = "kumo runs a Cosmos-compatible chain node, manages keys, sends transactions and \
                  queries state.\n\nStart a local single-validator devnet with funded demo keys:\n  \
                  kumo devnet\n\nState lives under --home (default ~/.kumo)."
)]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand understands.
#[derive(clap::Args, Debug, Clone)]
pub struct Globals {
    /// Directory for config, keys and chain data.
    #[arg(long, global = true, env = "KUMO_HOME", default_value_os_t = default_home())]
    pub home: PathBuf,
    /// Output format for queries and tx results.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".kumo")
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a node home: config, validator key and a genesis file.
    Init(node_cmd::InitArgs),
    /// Edit the genesis file before the chain starts.
    #[command(subcommand)]
    Genesis(genesis_cmd::GenesisCmd),
    /// Run a node.
    #[command(subcommand)]
    Node(node_cmd::NodeCmd),
    /// Start a local single-validator devnet with funded demo keys (init + fund + start).
    Devnet(node_cmd::DevnetArgs),
    /// A network of N validators on this machine: `kumo testnet init`, `kumo testnet start`.
    #[command(subcommand)]
    Testnet(testnet_cmd::TestnetCmd),
    /// Manage the local keyring (mnemonics, addresses).
    #[command(subcommand)]
    Keys(keys_cmd::KeysCmd),
    /// Sign and broadcast transactions.
    #[command(subcommand)]
    Tx(tx_cmd::TxCmd),
    /// Query chain state.
    #[command(subcommand, alias = "q")]
    Query(query_cmd::QueryCmd),
    /// Show the node's status: chain id, latest height and app hash.
    Status(query_cmd::StatusArgs),
    /// Check an Akash SDL file: groups, price ceiling, manifest and its version hash.
    #[command(subcommand)]
    Sdl(sdl_cmd::SdlCmd),
    /// Deploy an SDL: create the deployment, take a bid, lease, send the manifest, wait until up.
    Deploy(lease_cmd::DeployArgs),
    /// Deployments: `kumo deployment explain DSEQ` (why its orders get no bids).
    #[command(subcommand)]
    Deployment(explain_cmd::DeploymentCmd),
    /// Talk to the provider of a lease: manifest, status, events, logs, shell, restart; close it.
    #[command(subcommand)]
    Lease(lease_cmd::LeaseCmd),
    /// The provider daemon: `kumo provider run --config FILE`, `kumo provider init-config`.
    #[command(subcommand)]
    Provider(provider_daemon_cmd::ProviderCmd),
    /// Measure throughput (prints figures).
    #[command(subcommand)]
    Bench(node_cmd::BenchCmd),
    /// Network statistics: `kumo stats serve` indexes the chain and serves Akash's /v1 JSON.
    #[command(subcommand)]
    Stats(stats_cmd::StatsCmd),
    /// The browser console for tenants: deploy from templates, sign with a local key or
    /// Keplr/Leap, watch bids (and why none come), lease and launch.
    Console(console_cmd::ConsoleArgs),
}

impl Command {
    /// Commands that print a result and exit (as opposed to daemons serving sockets).
    fn prints_and_exits(&self) -> bool {
        matches!(
            self,
            Command::Keys(_)
                | Command::Genesis(_)
                | Command::Query(_)
                | Command::Status(_)
                | Command::Sdl(_)
                | Command::Tx(_)
        )
    }
}

/// Rust ignores SIGPIPE, so `kumo query … | head` would end in a "broken pipe" panic. A printing
/// command takes the Unix default instead: it ends quietly when its reader goes away. Daemons keep
/// ignoring it (a peer closing a socket must not kill them).
fn restore_default_sigpipe() {
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// mimalloc's `mi_option_purge_delay` (mimalloc v3's option enum, as libmimalloc-sys 0.1.49
/// builds it by default): how long freed memory stays with the process before it goes back to
/// the OS.
const MI_OPTION_PURGE_DELAY: i32 = 15;

extern "C" {
    fn mi_option_set(option: i32, value: std::ffi::c_long);
}

/// Keep freed memory for a second instead of mimalloc's 10 ms: each block frees and allocates
/// the same tens of megabytes again, and memory handed back to the OS comes back as freshly
/// zeroed pages (`kumo bench apply` on disk: ~4,300 -> ~5,200 tx/s). Idle memory still returns
/// to the OS after a second.
fn tune_allocator() {
    // SAFETY: sets a plain integer option; mimalloc allows it at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
}

fn main() {
    tune_allocator();
    let cli = Cli::parse();
    if cli.command.prints_and_exits() {
        restore_default_sigpipe();
    }
    let result = match cli.command {
        Command::Init(a) => node_cmd::init(&cli.globals, a),
        Command::Genesis(c) => genesis_cmd::run(&cli.globals, c),
        Command::Node(c) => node_cmd::node(&cli.globals, c),
        Command::Devnet(a) => node_cmd::devnet(&cli.globals, a),
        Command::Testnet(c) => testnet_cmd::run(&cli.globals, c),
        Command::Keys(c) => keys_cmd::run(&cli.globals, c),
        Command::Tx(c) => tx_cmd::run(&cli.globals, c),
        Command::Query(c) => query_cmd::run(&cli.globals, c),
        Command::Status(a) => query_cmd::status(&cli.globals, a),
        Command::Bench(c) => node_cmd::bench(&cli.globals, c),
        Command::Sdl(c) => sdl_cmd::run(&cli.globals, c),
        Command::Deploy(a) => lease_cmd::deploy(&cli.globals, a),
        Command::Lease(c) => lease_cmd::run(&cli.globals, c),
        Command::Deployment(c) => explain_cmd::run(&cli.globals, c),
        Command::Provider(c) => provider_daemon_cmd::run(&cli.globals, c),
        Command::Stats(c) => stats_cmd::run(&cli.globals, c),
        Command::Console(a) => console_cmd::run(&cli.globals, a),
    };
    if let Err(e) = result {
        eprintln!("Error: {e:#}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// clap checks the whole command tree (duplicate flags, e.g. two `--from`, bad defaults)
    /// only in debug assertions; run it once over every subcommand.
    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every command that signs takes its key as `--from`, never positionally.
    #[test]
    fn signer_is_a_flag_everywhere() {
        fn walk(cmd: &clap::Command, path: &str, found: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                if a.get_id() == "from" && a.get_long() != Some("from") {
                    found.push(path.to_string());
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), found);
            }
        }
        let mut positional = Vec::new();
        walk(&Cli::command(), "kumo", &mut positional);
        assert!(positional.is_empty(), "positional FROM in: {positional:?}");
    }
}
