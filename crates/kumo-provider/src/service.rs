//! `kumo provider run`: the daemon's parts started together over one Docker runtime: the chain
//! follower and bid engine (`daemon`), the HTTP ingress and the tenant gateway.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::gateway::{self, GatewayConfig, StatusFn};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::workload::Workloads;

/// Runs the provider until ctrl-c / SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let key = crate::daemon::load_key(&config)?;
    let address = key.address().to_string();

    let mut rc = RuntimeConfig::new(
        address.clone(),
        config.cluster_public_hostname.clone(),
        config.ingress.domain.clone(),
        config.state_dir.join("leases"),
    );
    rc.docker = (!config.runtime.docker.is_empty()).then(|| config.runtime.docker.clone());
    rc.host_ip = config.runtime.forward_host_ip;
    rc.gpu = config.runtime.gpu;
    rc.pull_images = config.runtime.pull_images;
    rc.pids_limit = (config.runtime.pids_limit > 0).then_some(config.runtime.pids_limit as i64);
    rc.storage_quota = config.runtime.storage_quota;
    rc.storage_check_interval_ms =
        (config.runtime.storage_check_interval.as_millis() as u64).max(1000);
    let runtime = Runtime::connect(rc).await.context("cannot use Docker")?;

    let ingress = TcpListener::bind(&config.ingress.listen)
        .await
        .with_context(|| format!("cannot listen on ingress.listen {}", config.ingress.listen))?;
    tracing::info!(listen = %config.ingress.listen, domain = %config.ingress.domain, "ingress");
    tokio::spawn(runtime.ingress().serve(ingress));

    let workloads: Arc<dyn Workloads> = Arc::new(runtime);
    let (daemon, task) = crate::daemon::start(config.clone(), key, workloads.clone()).await?;

    let listen: SocketAddr = config.gateway.listen.parse().with_context(|| {
        format!(
            "gateway.listen {:?} is not host:port",
            config.gateway.listen
        )
    })?;
    let cert_file = if config.gateway.cert_file.as_os_str().is_empty() {
        config.state_dir.join(format!("{address}.pem"))
    } else {
        config.gateway.cert_file.clone()
    };
    let mut gw = GatewayConfig::new(&address, &config.chain.node, cert_file);
    gw.listen = listen;
    gw.domains = config.gateway.domains.clone();
    let status: StatusFn = {
        let d = daemon.clone();
        Arc::new(move || d.status_json())
    };
    let decide: gateway::DecideFn = {
        let d = daemon.clone();
        Arc::new(move |o, g| d.evaluate(o, g))
    };
    let mut stopped = daemon.stopped();
    let gateway = tokio::spawn(async move {
        gateway::bind(gw)
            .await?
            .with_decisions(decide)
            .run(workloads, status, async move {
                let _ = stopped.changed().await;
            })
            .await
    });

    let stop = daemon.clone();
    tokio::spawn(async move {
        crate::daemon::shutdown_signal().await;
        tracing::info!("shutting down");
        stop.shutdown();
    });
    tokio::select! {
        r = task => r?,
        r = gateway => {
            daemon.shutdown();
            r?.context("the gateway stopped")
        }
    }
}
