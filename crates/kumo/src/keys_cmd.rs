//! `kumo keys`: owned by the keyring work; replaced wholesale.
use crate::Globals;

#[derive(clap::Subcommand, Debug)]
pub enum KeysCmd {
    /// List keys.
    List,
}

pub fn run(_g: &Globals, _c: KeysCmd) -> anyhow::Result<()> {
    anyhow::bail!("keys commands are not built yet")
}
