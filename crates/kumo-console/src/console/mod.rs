//! `kumo console`: the tenant's browser console, served by one process on 127.0.0.1 for one node
//! and one keyring. Server-rendered pages (askama + htmx) over the same chain client, SDL parser
//! and provider gateway client as the CLI.
//!
//! - [`wallet`]: sign-in (a local key from the keyring, or Keplr/Leap in the browser) and the
//!   one signing path every action uses ([`wallet::submit`]).
//! - [`deploy`]: templates, the SDL editor with live validation, deposit, create deployment,
//!   live bids with "why no bids?" ([`why`]), accept, manifest, progress until the services are
//!   up.
//! - [`gateway`]: the provider gateway client and the console's mTLS certificate per account.
//! - `manage` (helper D2): deployments, leases, logs, shell, providers.

pub mod deploy;
pub mod gateway;
pub mod leases;
pub mod manage;
pub mod providers;
pub mod shell;
pub mod wallet;
pub mod why;

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::Router;
use kumo_client::RpcClient;
use kumo_crypto::keyring::{Backend, Keyring};

use crate::web::{self, Nav};

/// What `kumo console` is started with.
#[derive(Clone, Debug)]
pub struct ConsoleConfig {
    /// CometBFT RPC of the node (the server's and, for Keplr, the browser's).
    pub node: String,
    /// The node's REST endpoint, handed to Keplr/Leap in the chain info.
    pub rest: String,
    /// The kumo home: the keyring lives here, the console's own files under `HOME/console`.
    pub home: PathBuf,
    pub keyring_backend: Backend,
    /// The statistics server (`kumo stats serve`), for uptime and the Statistics link.
    pub stats_url: String,
    /// Port of the providers' HTTP ingress, for links to lease URIs (80 in production; a devnet
    /// provider listens on 8080).
    pub ingress_port: u16,
}

/// Shared by every request: the configuration, the chain id, the signed-in sessions and the
/// transactions waiting for a browser wallet's signature.
#[derive(Clone)]
pub struct ConsoleState(Arc<Inner>);

pub struct Inner {
    pub node: String,
    pub rest: String,
    pub chain_id: String,
    pub home: PathBuf,
    pub keyring_backend: Backend,
    pub stats_url: String,
    pub ingress_port: u16,
    /// `HOME/console`: client certificates (`certs/`) and the SDL of each deployment made here
    /// (`sdl/<owner>/<dseq>.yaml`, needed to send its manifest).
    pub data_dir: PathBuf,
    /// Session cookie → signed-in account. Unlocked local keys live here, in memory only.
    pub sessions: Mutex<HashMap<String, wallet::Session>>,
    /// Request id → a transaction built for a browser wallet, waiting for its signature.
    pub pending: Mutex<HashMap<String, wallet::PendingTx>>,
}

impl Deref for ConsoleState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl ConsoleState {
    /// Reads the chain id from the node (blocking) and prepares `HOME/console`.
    pub fn new(cfg: ConsoleConfig) -> Result<ConsoleState> {
        let chain_id = RpcClient::new(&cfg.node)
            .status()
            .with_context(|| format!("cannot reach the node at {}", cfg.node))?
            .chain_id;
        let data_dir = cfg.home.join("console");
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        // The keyring must open now, not at the first sign-in.
        Keyring::open(&cfg.home, cfg.keyring_backend).with_context(|| {
            format!(
                "cannot open the {} keyring in {}",
                cfg.keyring_backend.as_str(),
                cfg.home.display()
            )
        })?;
        Ok(ConsoleState(Arc::new(Inner {
            node: cfg.node,
            rest: cfg.rest,
            chain_id,
            home: cfg.home,
            keyring_backend: cfg.keyring_backend,
            stats_url: cfg.stats_url.trim_end_matches('/').to_string(),
            ingress_port: cfg.ingress_port,
            data_dir,
            sessions: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
        })))
    }

    /// A blocking JSON-RPC client for the node.
    pub fn rpc(&self) -> RpcClient {
        RpcClient::new(&self.node)
    }

    pub fn keyring(&self) -> Result<Keyring> {
        Keyring::open(&self.home, self.keyring_backend).with_context(|| {
            format!(
                "cannot open the {} keyring in {}",
                self.keyring_backend.as_str(),
                self.home.display()
            )
        })
    }

    /// The console's navigation with `current` marked; the right side names the chain and the
    /// signed-in account.
    pub fn nav(&self, current: &str, account: Option<&wallet::Account>) -> Nav {
        let mut nav = Nav::new(
            &[
                ("Deploy", "/".to_string()),
                ("Deployments", "/deployments".to_string()),
                ("Providers", "/providers".to_string()),
                ("Wallet", "/wallet".to_string()),
                ("Statistics ↗", self.stats_url.clone()),
            ],
            current,
        );
        nav.chain = Some(match account {
            Some(a) => format!("{} · {}", self.chain_id, a.short()),
            None => format!("{} · not signed in", self.chain_id),
        });
        nav
    }
}

/// Runs blocking work (the node client, the keyring, files) off the async threads.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a console task panicked")?
}

/// Every console route, the static files and gzip.
pub fn router(state: ConsoleState) -> Router {
    Router::new()
        .merge(deploy::routes())
        .merge(wallet::routes())
        // Deployments, leases (status, logs, events, shell) and providers.
        .merge(manage::routes())
        .merge(web::static_routes())
        .with_state(state)
        .layer(web::compression())
}

/// Serves the console on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: ConsoleState) -> Result<()> {
    axum::serve(listener, router(state))
        .await
        .context("the console server stopped")
}

/// Escapes text for HTML (fragments built outside askama templates).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
#[cfg(test)]
mod deploy_tests;

/// What the console's route tests share: the console served on a loopback port, and an HTTP
/// agent that does not follow redirects.
#[cfg(test)]
pub(crate) mod test_support {
    use std::time::Duration;

    /// Serves `state` on 127.0.0.1 (a free port) on a runtime of its own; the console stops
    /// when the runtime is dropped.
    pub fn serve_on_loopback(state: super::ConsoleState) -> (String, tokio::runtime::Runtime) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        rt.spawn(super::serve(listener, state));
        (url, rt)
    }

    pub fn agent() -> ureq::Agent {
        ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(90))
            .build()
    }
}
