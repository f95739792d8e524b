//! `kumo provider`: the provider daemon (`run`) and its example configuration (`init-config`).
//! The on-chain provider transactions stay under `kumo tx provider …`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use kumo_provider::config::{Config, EXAMPLE};

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
        ProviderCmd::InitConfig => {
            print!("{EXAMPLE}");
            Ok(())
        }
        ProviderCmd::Run(a) => run_daemon(a),
    }
}

fn run_daemon(a: RunArgs) -> Result<()> {
    let config = Config::load(&a.config)?;
    crate::node_cmd::init_tracing();
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    rt.block_on(kumo_provider::service::run(config))
}
