//! `kumo init`, `genesis`, `node start`, `devnet`, `bench`.
use crate::Globals;

#[derive(clap::Args, Debug)]
pub struct InitArgs {}
#[derive(clap::Subcommand, Debug)]
pub enum GenesisCmd {
    /// Add a funded account.
    AddAccount,
}
#[derive(clap::Subcommand, Debug)]
pub enum NodeCmd {
    /// Start the node.
    Start,
}
#[derive(clap::Args, Debug)]
pub struct DevnetArgs {}
#[derive(clap::Subcommand, Debug)]
pub enum BenchCmd {
    /// Bank sends through the app.
    Bank,
}

pub fn init(_g: &Globals, _a: InitArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn genesis(_g: &Globals, _c: GenesisCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn node(_g: &Globals, _c: NodeCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn devnet(_g: &Globals, _a: DevnetArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn bench(_g: &Globals, _c: BenchCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
