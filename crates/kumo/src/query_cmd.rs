//! `kumo query` and `kumo status`: replaced wholesale by the client work.
use crate::Globals;

#[derive(clap::Subcommand, Debug)]
pub enum QueryCmd {
    /// Bank queries.
    Bank,
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// CometBFT RPC endpoint of the node.
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    pub node: String,
}

pub fn run(_g: &Globals, _c: QueryCmd) -> anyhow::Result<()> {
    anyhow::bail!("query commands are not built yet")
}

pub fn status(_g: &Globals, _a: StatusArgs) -> anyhow::Result<()> {
    anyhow::bail!("status is not built yet")
}
