//! `kumo provider`: the provider daemon (`run`) and its example configuration (`init-config`).
//! The on-chain provider transactions stay under `kumo tx provider …`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

use crate::Globals;

#[derive(Subcommand, Debug)]
pub enum ProviderCmd {
    /// Run the provider daemon: follow the chain, bid on orders, run leases, get paid.
    #[command(
        long_about = "Run the provider daemon with a TOML config (see `kumo provider \
                            init-config`). It follows the chain, decides for every open order \
                            whether to bid and logs why not, runs won leases as Docker \
                            containers and withdraws its earnings. Stop it with ctrl-c."
    )]
    Run(RunArgs),
    /// Print a commented example config with every default.
    InitConfig,
    /// A provider daemon's public status: capacity, leases, its latest bid decisions and why.
    Status(crate::provider_cmd::StatusArgs),
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The daemon's TOML config.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

pub fn run(g: &Globals, c: ProviderCmd) -> Result<()> {
    match c {
        ProviderCmd::Status(a) => crate::provider_cmd::provider_status(g, a),
        ProviderCmd::InitConfig => init_config(),
        ProviderCmd::Run(a) => run_daemon(a),
    }
}

#[cfg(feature = "provider")]
fn init_config() -> Result<()> {
    print!("{}", kumo_provider::config::EXAMPLE);
    Ok(())
}

#[cfg(feature = "provider")]
fn run_daemon(a: RunArgs) -> Result<()> {
    use anyhow::Context;
    let config = kumo_provider::config::Config::load(&a.config)?;
    crate::node_cmd::init_tracing();
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(kumo_provider::service::run(config))
}

// A tenant or validator build (`--no-default-features`) leaves the daemon and its Docker
// runtime out; the commands stay in the tree so `--help` is the same and the refusal says why.
#[cfg(not(feature = "provider"))]
const NO_DAEMON: &str = "this kumo was built without the provider daemon; rebuild with the \
                         `provider` feature (on by default) to run one";

#[cfg(not(feature = "provider"))]
fn init_config() -> Result<()> {
    anyhow::bail!(NO_DAEMON)
}

#[cfg(not(feature = "provider"))]
fn run_daemon(a: RunArgs) -> Result<()> {
    anyhow::bail!(
        "cannot run a provider with {}: {NO_DAEMON}",
        a.config.display()
    )
}
