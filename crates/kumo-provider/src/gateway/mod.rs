//! The provider gateway: the HTTPS API tenants use to hand over manifests and watch their leases
//! (`../shared/spec/akash-offchain.md` §3).
//!
//! Routes (§3.3; JSON errors are `{"message": "..."}`):
//! - `GET /version`, `GET /address`, `GET /status` (no authentication);
//! - `GET /orders/{owner}/{dseq}/{gseq}/{oseq}/decision` (no authentication, **a kumo
//!   addition**): whether the bid engine would bid on that order now, and why not;
//! - `PUT /deployment/{dseq}/manifest` (scope `send-manifest`): the manifest must hash to the
//!   deployment's on-chain version and fit each lease's on-chain group; each lease this provider
//!   won for the deployment then gets its group deployed;
//! - `GET /lease/{dseq}/{gseq}/{oseq}/manifest` (`get-manifest`), `.../status` (`status`),
//!   `.../service/{service}/status` (`status`);
//! - websockets `.../logs` (`logs`), `.../kubeevents` (`events`), `.../shell` (`shell`, framing
//!   §3.5, `kumo_client::gateway::shell`); close codes 4000 internal error, 4001 lease not found, 4002 service
//!   unavailable; pings every 10 s;
//! - `POST /lease/{dseq}/{gseq}/{oseq}/service/{service}/restart` (`restart`): **a kumo
//!   addition**, not in Akash's provider: restarts the service's containers.
//!
//! Authentication ([`auth`]): a client certificate published on chain, or an ES256K JWT. The
//! owner of the leases a request names is always the authenticated address, so a tenant asking
//! for someone else's lease gets the same 404 as for a lease that does not exist.
//! Not served: `POST /hostname/migrate`, `POST /endpoint/migrate` (no hostname/IP operators),
//! gRPC on 8444.

pub mod auth;
pub mod chain;
mod routes;
pub mod tls;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::workload::Workloads;
use kumo_client::certs;

/// The `/status` body the daemon provides (`ProviderStatus`, §3.4; `address` is added here).
pub type StatusFn = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

/// The bid engine's answer for an order (`BidEngine::evaluate`), served publicly at
/// `GET /orders/{owner}/{dseq}/{gseq}/{oseq}/decision`. Without one, that route answers
/// `"decision": "unknown"`.
pub type DecideFn = Arc<
    dyn Fn(
            &kumo_proto::akash::market::v1::OrderId,
            &kumo_proto::akash::deployment::v1beta4::GroupSpec,
        ) -> crate::bidengine::Evaluation
        + Send
        + Sync,
>;

#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// Where to listen (Akash's port: 8443).
    pub listen: SocketAddr,
    /// The provider's account address: the certificate's CN, and the provider in every lease.
    pub provider: String,
    /// CometBFT JSON-RPC of a node (chain queries).
    pub node: String,
    /// The provider's certificate file (`<home>/<address>.pem`), made at first start if absent.
    pub cert_file: PathBuf,
    /// DNS names for a certificate made at first start.
    pub domains: Vec<String>,
    /// How long a certificate looked up on chain is trusted before it is looked up again. A
    /// revocation takes effect at the next request after its block whatever this is: every
    /// new block is scanned for `MsgRevokeCertificate` first ([`chain`]).
    pub cert_cache_ttl: Duration,
    /// Longest a manifest PUT waits for its workloads to start before answering.
    pub manifest_timeout: Duration,
}

impl GatewayConfig {
    pub fn new(provider: &str, node: &str, cert_file: PathBuf) -> GatewayConfig {
        GatewayConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
            provider: provider.to_string(),
            node: node.to_string(),
            cert_file,
            domains: vec![],
            cert_cache_ttl: Duration::from_secs(30),
            manifest_timeout: Duration::from_secs(120),
        }
    }
}

/// A gateway bound to its port, not yet serving.
pub struct BoundGateway {
    config: GatewayConfig,
    listener: tls::TlsListener,
    local: SocketAddr,
    decide: Option<DecideFn>,
}

impl BoundGateway {
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serves the bid engine's decisions on `/orders/…/decision`.
    pub fn with_decisions(mut self, decide: DecideFn) -> BoundGateway {
        self.decide = Some(decide);
        self
    }

    /// Serves until `shutdown` resolves (open websockets get 5 s to finish, then are dropped).
    pub async fn run(
        self,
        workloads: Arc<dyn Workloads>,
        status: StatusFn,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let state = routes::AppState {
            chain: Arc::new(chain::ChainView::new(
                &self.config.node,
                self.config.cert_cache_ttl,
            )),
            workloads,
            status,
            provider: self.config.provider.clone(),
            manifest_timeout: self.config.manifest_timeout,
            decisions: routes::Decisions::new(self.decide),
        };
        let app = routes::router(state).into_make_service_with_connect_info::<tls::ConnInfo>();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let server = axum::serve(self.listener, app).with_graceful_shutdown({
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        });
        let mut server = std::pin::pin!(server.into_future());
        tokio::select! {
            r = &mut server => return r.context("gateway server failed"),
            _ = shutdown => {}
        }
        let _ = stop_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        Ok(())
    }
}

/// Loads (or makes, at first start) the provider certificate and binds the port.
pub async fn bind(config: GatewayConfig) -> Result<BoundGateway> {
    let identity = if config.cert_file.exists() {
        certs::load(&config.cert_file)?
    } else {
        let g = certs::generate(
            &config.provider,
            certs::CertKind::Server,
            &config.domains,
            certs::now(),
        )?;
        certs::write(&config.cert_file, &g, false)?;
        tracing::warn!(
            "gateway: made a new server certificate {} (serial {}); publish it on chain with \
             `kumo tx cert publish server --from <provider key>` or tenants cannot connect",
            config.cert_file.display(),
            g.serial
        );
        certs::load(&config.cert_file)?
    };
    let (cn, _) = certs::common_names(&identity.cert_der)?;
    if cn.as_deref() != Some(config.provider.as_str()) {
        anyhow::bail!(
            "{} is a certificate for {:?}, not for the provider {}",
            config.cert_file.display(),
            cn,
            config.provider
        );
    }
    let tls = tls::server_config(&identity)?;
    let tcp = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("gateway cannot listen on {}", config.listen))?;
    let local = tcp.local_addr()?;
    let listener = tls::TlsListener::new(tcp, tls)?;
    tracing::info!("gateway: listening on https://{local}");
    Ok(BoundGateway {
        config,
        listener,
        local,
        decide: None,
    })
}

/// What the daemon calls: bind, then serve until `shutdown`.
pub async fn serve(
    config: GatewayConfig,
    workloads: Arc<dyn Workloads>,
    status: StatusFn,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    bind(config).await?.run(workloads, status, shutdown).await
}
