//! `kumo deployment explain DSEQ`: why a deployment's orders get (no) bids. The logic (the
//! chain-side checks and each provider's decision from its gateway) lives in
//! `kumo_console::console::why`, shared with the console's deploy page; this file is the CLI.
//!
//! [`explain_table`] is what `kumo deploy` prints when no bid arrives.

use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
pub use kumo_console::console::why::{explain, table, GATEWAY_TIMEOUT};

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::{Globals, Output};

#[derive(Subcommand, Debug)]
pub enum DeploymentCmd {
    /// Why a deployment's orders get (no) bids: every provider's decision and reason.
    #[command(
        long_about = "For every order of the deployment and every provider on chain: the \
                      chain-side checks (placement attributes, signedBy auditors, storage and \
                      GPU capabilities) evaluated here, and the provider's own bid engine \
                      decision asked from its gateway (bid and price, or why not). Providers \
                      that do not answer within the timeout are listed as unreachable."
    )]
    Explain(ExplainArgs),
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Deployment sequence.
    pub dseq: u64,
    /// The deployment's owner: an akash1… address or a key name (default: the --from key).
    #[arg(long)]
    pub owner: Option<String>,
    /// Key name (or address) whose deployment this is, when --owner is not given.
    #[arg(long)]
    pub from: Option<String>,
    /// Seconds each provider's gateway gets to answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

pub fn run(g: &Globals, c: DeploymentCmd) -> Result<()> {
    match c {
        DeploymentCmd::Explain(a) => {
            let owner = match (&a.owner, &a.from) {
                (Some(o), _) | (None, Some(o)) => resolve_address(o, &a.keyring, &g.home)?,
                (None, None) => bail!(
                    "give the deployment's owner with --owner ADDRESS, or the key that created \
                     it with --from KEY"
                ),
            };
            let e = explain(
                &a.query.node,
                &owner,
                a.dseq,
                Duration::from_secs(a.timeout.max(1)),
            )?;
            match g.output {
                Output::Json => print_json(&serde_json::to_value(&e)?),
                Output::Text => print!("{}", table(&e)),
            }
            Ok(())
        }
    }
}

/// The explanation as a text table (what `kumo deploy` prints when no bid arrives).
pub fn explain_table(_g: &Globals, node: &str, owner: &str, dseq: u64) -> Result<String> {
    Ok(table(&explain(node, owner, dseq, GATEWAY_TIMEOUT)?))
}
