//! `kumo tx`: replaced wholesale by the client work.
use crate::Globals;

#[derive(clap::Subcommand, Debug)]
pub enum TxCmd {
    /// Bank transactions.
    Bank,
}

pub fn run(_g: &Globals, _c: TxCmd) -> anyhow::Result<()> {
    anyhow::bail!("tx commands are not built yet")
}
