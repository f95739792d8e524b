//! Time from a lease's `deploy()` call to all 10 replicas of its service running on the local
//! dockerd (image already on the host, as with `IfNotPresent` after the first lease), plus the
//! cost of redeploying the same group (nothing to change) and of the teardown.
//!
//! `cargo bench -p kumo-provider --bench deploy` (add `-- --quick` for fewer runs). Prints the
//! median of several runs; prints "skipped: no docker" where /var/run/docker.sock is absent.

#[path = "../tests/support/busybox.rs"]
mod busybox;

use std::time::{Duration, Instant};

use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::market::v1::LeaseId;
use kumo_provider::runtime::{Runtime, RuntimeConfig};
use kumo_provider::workload::Workloads;

const REPLICAS: u32 = 10;

fn sdl(image: &str) -> String {
    format!(
        r#"
version: "2.0"
services:
  app:
    image: {image}
    command: ["sh", "-c"]
    args: ["while true; do sleep 1; done"]
    expose:
      - port: 8080
        to:
          - service: app
profiles:
  compute:
    app:
      resources:
        cpu:
          units: 0.1
        memory:
          size: 16Mi
        storage:
          size: 16Mi
  placement:
    dc:
      pricing:
        app:
          denom: uakt
          amount: 10
deployment:
  app:
    dc:
      profile: app
      count: {REPLICAS}
"#
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    if !busybox::docker_available("the deploy benchmark") {
        println!("skipped: no docker");
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 3 } else { 7 };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let provider = Address([0x6c; 20]).to_bech32(ACCOUNT_HRP);
        let mut cfg = RuntimeConfig::new(&provider, "localhost", "ingress.localhost", dir.path());
        cfg.host_ip = "127.0.0.1".parse().unwrap();
        cfg.pull_images = false;
        let rt = Runtime::connect(cfg).await.expect("dockerd");
        let image = busybox::busybox_image(rt.docker()).await.unwrap();
        let group = kumo_sdl::parse("bench.yaml", &sdl(&image))
            .unwrap()
            .manifest
            .remove(0);

        let (mut up, mut noop, mut down) = (Vec::new(), Vec::new(), Vec::new());
        for run in 0..runs {
            let lease = LeaseId {
                owner: Address([0x12; 20]).to_bech32(ACCOUNT_HRP),
                dseq: std::process::id() as u64 * 1000 + run as u64,
                gseq: 1,
                oseq: 1,
                provider: provider.clone(),
                bseq: 1,
            };
            let ns = kumo_provider::runtime::names::namespace(&lease);
            let t0 = Instant::now();
            rt.deploy(&lease, &group).await.unwrap();
            loop {
                let st = rt.status(&lease).await.unwrap();
                if st.services["app"].ready_replicas == REPLICAS {
                    break;
                }
                assert!(t0.elapsed() < Duration::from_secs(120), "replicas never ran");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let t_up = t0.elapsed();
            let t1 = Instant::now();
            rt.deploy(&lease, &group).await.unwrap();
            let t_noop = t1.elapsed();
            let t2 = Instant::now();
            rt.teardown(&lease).await.unwrap();
            let t_down = t2.elapsed();
            busybox::force_cleanup(&ns);
            println!(
                "run {}: {REPLICAS} replicas running after {}, redeploy (no change) {}, teardown {}",
                run + 1,
                ms(t_up),
                ms(t_noop),
                ms(t_down)
            );
            up.push(t_up);
            noop.push(t_noop);
            down.push(t_down);
        }
        println!(
            "deploy -> {REPLICAS} replicas running: median {} over {runs} runs (image local)",
            ms(median(up))
        );
        println!("redeploy of the same group: median {}", ms(median(noop)));
        println!("teardown: median {}", ms(median(down)));
    });
}
