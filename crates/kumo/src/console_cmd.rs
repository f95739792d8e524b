//! `kumo console`: the browser console for tenants (deploy, bids, leases), served on 127.0.0.1
//! for one node and this home's keyring. The pages live in `kumo_console::console`.

use anyhow::{bail, Context, Result};
use clap::Args;
use kumo_client::DEFAULT_NODE;
use kumo_console::console::{serve, ConsoleConfig, ConsoleState};

use crate::keys_cmd::KeyringArgs;
use crate::Globals;

const HELP: &str = "\
Sign in on the Wallet page with a key of this home's keyring (the file backend asks for the \
passphrase in the page; it goes only to this server) or with Keplr/Leap (the page suggests the \
chain to the wallet, the wallet signs). Deployments need the provider's gateway to accept the \
console's client certificate: it is made per account under HOME/console/certs and published \
with your first deployment.
Example (a devnet):
  kumo console --home ~/.kumo-devnet --keyring-backend test --node http://127.0.0.1:26657
  open http://127.0.0.1:3000/";

#[derive(Args, Debug)]
#[command(after_help = HELP)]
pub struct ConsoleArgs {
    /// CometBFT RPC endpoint of the node (the browser wallet uses it too).
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
    /// The node's REST endpoint, given to Keplr/Leap when the page suggests the chain.
    #[arg(long, default_value = "http://127.0.0.1:1317", value_name = "URL")]
    pub rest: String,
    /// Address to serve the console on. Keep it on 127.0.0.1: sign-in holds unlocked keys.
    #[arg(long, default_value = "127.0.0.1:3000", value_name = "HOST:PORT")]
    pub listen: String,
    /// The statistics server (`kumo stats serve`): provider uptime and the Statistics link.
    #[arg(long, default_value = "http://127.0.0.1:3080", value_name = "URL")]
    pub stats_url: String,
    /// Port of the providers' HTTP ingress in links to lease URIs (a devnet provider: 8080).
    #[arg(long, default_value_t = 80, value_name = "PORT")]
    pub ingress_port: u16,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

pub fn run(g: &Globals, a: ConsoleArgs) -> Result<()> {
    let addr: std::net::SocketAddr = a
        .listen
        .parse()
        .with_context(|| format!("--listen {:?} is not HOST:PORT", a.listen))?;
    if !addr.ip().is_loopback() {
        bail!(
            "--listen {addr} is not a loopback address: the console holds unlocked keys for its \
             sessions and must only be reachable from this machine (use 127.0.0.1:PORT)"
        );
    }
    let state = ConsoleState::new(ConsoleConfig {
        node: a.node.clone(),
        rest: a.rest,
        home: g.home.clone(),
        keyring_backend: a.keyring.keyring_backend,
        stats_url: a.stats_url,
        ingress_port: a.ingress_port,
    })?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        println!(
            "kumo console for chain {} (node {}): http://{}/",
            state.chain_id,
            a.node,
            listener.local_addr()?
        );
        serve(listener, state).await
    })
}
