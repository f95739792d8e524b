//! The Docker runtime and the ingress on the real dockerd (skipped, with the reason printed,
//! where /var/run/docker.sock is absent).
//!
//! Each test deploys its own lease (unique dseq) so the tests run in parallel, and tears it down
//! at the end, also when it fails (a guard removes whatever carries the lease's labels).

#[path = "support/busybox.rs"]
mod busybox;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bollard::query_parameters::{
    KillContainerOptions, ListContainersOptions, ListNetworksOptions, ListVolumesOptions,
};
use futures::StreamExt;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::market::v1::LeaseId;
use kumo_provider::runtime::names;
use kumo_provider::runtime::{Enforcement, Runtime, RuntimeConfig};
use kumo_provider::workload::{ExecOutput, LeaseEvent, WorkloadError, Workloads};
use kumo_sdl::manifest::Group;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const INGRESS_DOMAIN: &str = "ingress.kumo.test";
const PUBLIC_HOST: &str = "provider.kumo.test";

fn provider() -> String {
    Address([0x6b; 20]).to_bech32(ACCOUNT_HRP)
}

/// A lease id no other test (or earlier run) uses.
fn unique_lease() -> LeaseId {
    static N: AtomicU64 = AtomicU64::new(0);
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    LeaseId {
        owner: Address([0x11; 20]).to_bech32(ACCOUNT_HRP),
        dseq: micros * 16 + N.fetch_add(1, Ordering::Relaxed) % 16,
        gseq: 1,
        oseq: 1,
        provider: provider(),
        bseq: 1,
    }
}

/// Tears the lease down when the test ends, whatever happened.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        busybox::force_cleanup(&self.0);
    }
}

fn sdl(image: &str, marker: &str, worker_count: u32, web_env: &str) -> String {
    format!(
        r#"
version: "2.0"
services:
  web:
    image: {image}
    command: ["sh", "-c"]
    args:
      - "echo {marker} > /www/index.html && echo {marker}-data > /data/probe && httpd -p 8080 -h /www && exec httpd -f -p 80 -h /www"
    env:
      - "MODE={web_env}"
    expose:
      - port: 80
        as: 80
        accept:
          - web.test
        to:
          - global: true
      - port: 8080
        as: 8080
        to:
          - global: true
    params:
      storage:
        data:
          mount: /data
  worker:
    image: {image}
    command: ["sh", "-c"]
    args:
      - 'i=0; while true; do i=$((i+1)); echo "line $i from $(hostname) owner=$AKASH_OWNER"; sleep 0.2; done'
profiles:
  compute:
    web:
      resources:
        cpu:
          units: 0.1
        memory:
          size: 64Mi
        storage:
          - size: 16Mi
          - name: data
            size: 32Mi
            attributes:
              persistent: true
              class: beta2
    worker:
      resources:
        cpu:
          units: 0.1
        memory:
          size: 32Mi
        storage:
          size: 16Mi
  placement:
    dc:
      pricing:
        web:
          denom: uakt
          amount: 10
        worker:
          denom: uakt
          amount: 10
deployment:
  web:
    dc:
      profile: web
      count: 1
  worker:
    dc:
      profile: worker
      count: {worker_count}
"#
    )
}

fn group(text: &str) -> Group {
    let d = kumo_sdl::parse("test.yaml", text).expect("test SDL is valid");
    assert_eq!(d.manifest.len(), 1);
    d.manifest.into_iter().next().unwrap()
}

/// Leases of this test provider older than 15 minutes were left by a test process that was
/// killed before its cleanup ran (their dseq is a timestamp, see `unique_lease`): remove them.
async fn sweep_stale_test_leases(docker: &bollard::Docker) {
    let f = busybox::label_filters(&[format!("akash.network/lease.id.provider={}", provider())]);
    let Ok(cs) = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(f.clone()),
            ..Default::default()
        }))
        .await
    else {
        return;
    };
    let vs = docker
        .list_volumes(Some(ListVolumesOptions { filters: Some(f) }))
        .await
        .map(|v| v.volumes.unwrap_or_default())
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let mut stale = BTreeSet::new();
    let labels = cs
        .into_iter()
        .filter_map(|c| c.labels)
        .chain(vs.into_iter().map(|v| v.labels));
    for l in labels {
        let (Some(ns), Some(dseq)) = (
            l.get("akash.network/namespace"),
            l.get("akash.network/lease.id.dseq")
                .and_then(|d| d.parse::<u64>().ok()),
        ) else {
            continue;
        };
        if now.saturating_sub(dseq / 16) > 15 * 60 * 1_000_000 {
            stale.insert(ns.clone());
        }
    }
    for ns in stale {
        tokio::task::spawn_blocking(move || busybox::force_cleanup(&ns))
            .await
            .unwrap();
    }
}

async fn runtime(state_dir: &std::path::Path) -> Runtime {
    let mut cfg = RuntimeConfig::new(provider(), PUBLIC_HOST, INGRESS_DOMAIN, state_dir);
    cfg.host_ip = "127.0.0.1".parse().unwrap();
    // Test images are local; a missing one must fail, not reach for a registry.
    cfg.pull_images = false;
    let rt = Runtime::connect(cfg).await.expect("connect to dockerd");
    sweep_stale_test_leases(rt.docker()).await;
    rt
}

async fn serve_ingress(rt: &Runtime) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(rt.ingress().serve(listener));
    addr
}

/// A plain HTTP/1.1 GET with the given Host header: (status, body).
async fn http_get(addr: SocketAddr, host: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Retries `http_get` until `want` status comes back (the server in the container needs a
/// moment after the container starts).
async fn http_get_until(addr: SocketAddr, host: &str, want: u16) -> (u16, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = http_get(addr, host).await;
        if let Ok((s, b)) = &r {
            if *s == want {
                return (*s, b.clone());
            }
        }
        assert!(
            Instant::now() < deadline,
            "GET Host {host} via {addr}: wanted {want}, last answer {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn container_ids(rt: &Runtime, ns: &str) -> BTreeMap<String, String> {
    let cs = rt
        .docker()
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(busybox::label_filters(&[format!(
                "akash.network/namespace={ns}"
            )])),
            ..Default::default()
        }))
        .await
        .unwrap();
    cs.into_iter()
        .map(|c| {
            (
                c.names.unwrap()[0].trim_start_matches('/').to_string(),
                c.id.unwrap(),
            )
        })
        .collect()
}

async fn wait_ready(rt: &Runtime, lease: &LeaseId, service: &str, want: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let st = rt.status(lease).await.unwrap();
        if st.services[service].ready_replicas == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{service} never had {want} ready replicas: {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn assert_nothing_left(rt: &Runtime, ns: &str) {
    let f = busybox::label_filters(&[format!("akash.network/namespace={ns}")]);
    let d = rt.docker();
    let cs = d
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(f.clone()),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert!(cs.is_empty(), "containers left: {cs:?}");
    let ns_list = d
        .list_networks(Some(ListNetworksOptions {
            filters: Some(f.clone()),
        }))
        .await
        .unwrap();
    assert!(ns_list.is_empty(), "networks left: {ns_list:?}");
    let vs = d
        .list_volumes(Some(ListVolumesOptions { filters: Some(f) }))
        .await
        .unwrap();
    assert!(
        vs.volumes.unwrap_or_default().is_empty(),
        "volumes left for {ns}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_and_worker_serve_traffic_logs_and_exec() {
    if !busybox::docker_available("web_and_worker_serve_traffic_logs_and_exec") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let image = busybox::busybox_image(rt.docker()).await.unwrap();
    let lease = unique_lease();
    let ns = names::namespace(&lease);
    let _cleanup = Cleanup(ns.clone());
    let marker = format!("kumo-ingress-ok-{}", lease.dseq);
    let g = group(&sdl(&image, &marker, 2, "a"));

    rt.deploy(&lease, &g).await.unwrap();
    let ingress = serve_ingress(&rt).await;

    // The ingress: the accept host, the generated host, an unknown host.
    let generated = names::ingress_host(&lease, "web", INGRESS_DOMAIN);
    let (_, body) = http_get_until(ingress, "web.test", 200).await;
    assert_eq!(body.trim(), marker);
    let (_, body) = http_get_until(ingress, &format!("{generated}:8080"), 200).await;
    assert_eq!(body.trim(), marker);
    let (status, body) = http_get(ingress, "nobody.test").await.unwrap();
    assert_eq!(status, 404, "{body}");

    // Status: replicas, URIs, the forwarded port (reachable on 127.0.0.1).
    wait_ready(&rt, &lease, "worker", 2).await;
    let st = rt.status(&lease).await.unwrap();
    let web = &st.services["web"];
    assert_eq!((web.total, web.available, web.replicas), (1, 1, 1));
    assert_eq!(web.observed_generation, 1);
    assert_eq!(
        web.uris.iter().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from(["web.test".to_string(), generated.clone()])
    );
    assert_eq!(st.services["worker"].total, 2);
    assert!(!st.forwarded_ports.contains_key("worker"));
    let fwd = &st.forwarded_ports["web"];
    assert_eq!(fwd.len(), 1, "{fwd:?}");
    assert_eq!(
        (fwd[0].host.as_str(), fwd[0].port, fwd[0].proto.as_str()),
        (PUBLIC_HOST, 8080, "TCP")
    );
    let direct: SocketAddr = format!("127.0.0.1:{}", fwd[0].external_port)
        .parse()
        .unwrap();
    let (_, body) = http_get_until(direct, "any", 200).await;
    assert_eq!(body.trim(), marker);

    // Logs: tail of both workers, then follow.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tail: Vec<_> = rt
        .logs(&lease, &["worker".into()], false, Some(2))
        .await
        .unwrap()
        .collect()
        .await;
    assert_eq!(tail.len(), 4, "{tail:?}");
    for (i, l) in tail.iter().enumerate() {
        let replica = format!("worker-{}", i / 2);
        assert_eq!(l.name, replica);
        assert!(l.message.starts_with("line "), "{l:?}");
        // The replica's hostname and the injected env are the runtime's.
        assert!(
            l.message
                .ends_with(&format!("from {replica} owner={}", lease.owner)),
            "{l:?}"
        );
    }
    let mut follow = rt
        .logs(&lease, &["worker".into()], true, Some(0))
        .await
        .unwrap();
    let mut seen = BTreeSet::new();
    while seen.len() < 2 {
        let l = tokio::time::timeout(Duration::from_secs(10), follow.next())
            .await
            .expect("followed logs keep coming")
            .expect("stream open");
        assert!(l.message.starts_with("line "));
        seen.insert(l.name);
    }
    drop(follow);
    assert!(matches!(
        rt.logs(&lease, &["nope".into()], false, None).await,
        Err(WorkloadError::NotFound(_))
    ));

    // Exec: output and exit codes; the persistent volume is mounted.
    let mut ex = rt
        .exec(
            &lease,
            "web",
            0,
            vec!["echo".into(), "hi".into()],
            false,
            false,
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(o) = ex.output.next().await {
        if let ExecOutput::Stdout(b) = o {
            out.extend(b);
        }
    }
    assert_eq!(String::from_utf8_lossy(&out), "hi\n");
    assert_eq!(ex.control.exit_code().await.unwrap(), 0);

    let cmd = ["sh", "-c", "cat /data/probe; echo oops >&2; exit 3"];
    let mut ex = rt
        .exec(
            &lease,
            "web",
            0,
            cmd.iter().map(|s| s.to_string()).collect(),
            false,
            false,
        )
        .await
        .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(o) = ex.output.next().await {
        match o {
            ExecOutput::Stdout(b) => out.extend(b),
            ExecOutput::Stderr(b) => err.extend(b),
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&out).trim(),
        format!("{marker}-data")
    );
    assert_eq!(String::from_utf8_lossy(&err), "oops\n");
    assert_eq!(ex.control.exit_code().await.unwrap(), 3);

    // Exec on a terminal, resized while it runs.
    let cmd = ["sh", "-c", "sleep 0.5; stty size"];
    let mut ex = rt
        .exec(
            &lease,
            "worker",
            0,
            cmd.iter().map(|s| s.to_string()).collect(),
            true,
            false,
        )
        .await
        .unwrap();
    ex.control.resize(100, 40).await.unwrap();
    let mut out = Vec::new();
    while let Some(o) = ex.output.next().await {
        if let ExecOutput::Stdout(b) = o {
            out.extend(b);
        }
    }
    assert_eq!(String::from_utf8_lossy(&out).trim(), "40 100");
    assert_eq!(ex.control.exit_code().await.unwrap(), 0);

    // Exec with stdin.
    let mut ex = rt
        .exec(&lease, "worker", 1, vec!["cat".into()], false, true)
        .await
        .unwrap();
    let mut stdin = ex.stdin.take().unwrap();
    stdin.write_all(b"from stdin\n").await.unwrap();
    stdin.shutdown().await.unwrap();
    drop(stdin);
    let mut out = Vec::new();
    while let Some(o) = tokio::time::timeout(Duration::from_secs(10), ex.output.next())
        .await
        .expect("cat ends once stdin closes")
    {
        if let ExecOutput::Stdout(b) = o {
            out.extend(b);
        }
    }
    assert_eq!(String::from_utf8_lossy(&out), "from stdin\n");
    assert!(matches!(
        rt.exec(&lease, "worker", 5, vec!["true".into()], false, false)
            .await,
        Err(WorkloadError::NotFound(_))
    ));

    // Events of the deploy.
    let evs: Vec<LeaseEvent> = rt.events(&lease, false).await.unwrap().collect().await;
    let created: BTreeSet<_> = evs
        .iter()
        .filter(|e| e.reason == "Created")
        .map(|e| e.object.name.clone())
        .collect();
    assert_eq!(
        created,
        BTreeSet::from(["web-0".into(), "worker-0".into(), "worker-1".into()])
    );
    assert_eq!(evs.iter().filter(|e| e.reason == "Started").count(), 3);
    assert!(evs.iter().all(|e| e.object.namespace == ns));

    // Teardown leaves nothing, and may be repeated.
    rt.teardown(&lease).await.unwrap();
    assert_nothing_left(&rt, &ns).await;
    rt.teardown(&lease).await.unwrap();
    assert!(!rt.leases().await.unwrap().contains(&lease));
    assert!(rt.manifest(&lease).await.unwrap().is_none());
    assert!(matches!(
        rt.status(&lease).await,
        Err(WorkloadError::NotFound(_))
    ));
    let (status, _) = http_get(ingress, "web.test").await.unwrap();
    assert_eq!(status, 404);
}

fn worker_only(image: &str, count: u32) -> Group {
    let mut g = group(&sdl(image, "unused", count, "a"));
    g.services.retain(|s| s.name == "worker");
    g
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_replica_is_restarted_and_the_event_says_so() {
    if !busybox::docker_available("killed_replica_is_restarted_and_the_event_says_so") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let image = busybox::busybox_image(rt.docker()).await.unwrap();
    let lease = unique_lease();
    let ns = names::namespace(&lease);
    let _cleanup = Cleanup(ns.clone());
    let g = worker_only(&image, 2);
    rt.deploy(&lease, &g).await.unwrap();
    wait_ready(&rt, &lease, "worker", 2).await;

    let mut events = rt.events(&lease, true).await.unwrap();
    // SIGKILL through the API: Docker itself does not restart a killed container.
    rt.docker()
        .kill_container(
            &names::container_name(&ns, "worker", 1),
            None::<KillContainerOptions>,
        )
        .await
        .unwrap();
    let mut exited = false;
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), events.next())
            .await
            .expect("an event within 20 s")
            .expect("event stream open");
        if ev.object.name != "worker-1" {
            continue;
        }
        match ev.reason.as_str() {
            "Exited" => {
                assert_eq!(ev.note, "Exited with code 137");
                assert_eq!(ev.kind, "Warning");
                exited = true;
            }
            "Restarted" => {
                assert!(exited, "Restarted before Exited");
                break;
            }
            _ => {}
        }
    }
    wait_ready(&rt, &lease, "worker", 2).await;

    // A tenant's restart: both replicas come back.
    rt.restart(&lease, "worker").await.unwrap();
    wait_ready(&rt, &lease, "worker", 2).await;
    assert!(matches!(
        rt.restart(&lease, "nope").await,
        Err(WorkloadError::NotFound(_))
    ));

    rt.teardown(&lease).await.unwrap();
    assert_nothing_left(&rt, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_provider_adopts_the_lease_without_duplicates() {
    if !busybox::docker_available("restarted_provider_adopts_the_lease_without_duplicates") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image;
    let lease = unique_lease();
    let ns = names::namespace(&lease);
    let _cleanup = Cleanup(ns.clone());
    let marker = format!("adopted-{}", lease.dseq);
    let g = {
        let rt = runtime(dir.path()).await;
        image = busybox::busybox_image(rt.docker()).await.unwrap();
        let g = group(&sdl(&image, &marker, 2, "a"));
        rt.deploy(&lease, &g).await.unwrap();
        g
        // The first runtime is dropped here: the provider "crashed".
    };

    let rt = runtime(dir.path()).await;
    assert!(rt.leases().await.unwrap().contains(&lease));
    assert_eq!(rt.manifest(&lease).await.unwrap().as_ref(), Some(&g));
    // Its ingress routes are back without a deploy.
    let ingress = serve_ingress(&rt).await;
    let (_, body) = http_get_until(ingress, "web.test", 200).await;
    assert_eq!(body.trim(), marker);

    // Redeploying the same group changes nothing.
    let before = container_ids(&rt, &ns).await;
    assert_eq!(before.len(), 3, "{before:?}");
    rt.deploy(&lease, &g).await.unwrap();
    assert_eq!(container_ids(&rt, &ns).await, before);

    // A changed group replaces only what changed: web's env changed, one worker fewer.
    let g2 = group(&sdl(&image, &marker, 1, "b"));
    rt.deploy(&lease, &g2).await.unwrap();
    let after = container_ids(&rt, &ns).await;
    let name = |s: &str, i: u32| names::container_name(&ns, s, i);
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[&name("worker", 0)], before[&name("worker", 0)]);
    assert_ne!(after[&name("web", 0)], before[&name("web", 0)]);
    assert!(!after.contains_key(&name("worker", 1)));
    let st = rt.status(&lease).await.unwrap();
    assert_eq!(st.services["web"].observed_generation, 2);
    assert_eq!(st.services["worker"].observed_generation, 1);
    assert_eq!(rt.manifest(&lease).await.unwrap().as_ref(), Some(&g2));
    // The persistent volume survived the replacement of its container.
    let (_, body) = http_get_until(ingress, "web.test", 200).await;
    assert_eq!(body.trim(), marker);

    rt.teardown(&lease).await.unwrap();
    assert_nothing_left(&rt, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingress_says_502_without_a_running_replica_and_refused_manifests_change_nothing() {
    if !busybox::docker_available("ingress_says_502_without_a_running_replica") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let image = busybox::busybox_image(rt.docker()).await.unwrap();
    let lease = unique_lease();
    let ns = names::namespace(&lease);
    let _cleanup = Cleanup(ns.clone());
    let ingress = serve_ingress(&rt).await;

    // An image that is not here, with pulling off: refused before anything is created.
    let mut bad = group(&sdl(&image, "x", 1, "a"));
    bad.services[0].image = "kumo-test/absent:never".into();
    match rt.deploy(&lease, &bad).await {
        Err(WorkloadError::Unavailable(m)) => assert!(m.contains("kumo-test/absent"), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(container_ids(&rt, &ns).await.is_empty());

    // A GPU request on a provider without a GPU runtime.
    let mut gpu = group(&sdl(&image, "x", 1, "a"));
    gpu.services[1].resources.gpu.units.val = "1".into();
    match rt.deploy(&lease, &gpu).await {
        Err(WorkloadError::Unavailable(m)) => assert!(m.contains("GPU"), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }

    // A web service whose process listens on nothing: the ingress answers 502.
    let mut g = group(&sdl(&image, "x", 1, "a"));
    g.services[0].args = Some(vec!["exec sleep 1000".into()]);
    rt.deploy(&lease, &g).await.unwrap();
    let (status, body) = http_get(ingress, "web.test").await.unwrap();
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("web"), "{body}");

    // An HTTP upgrade goes through: the replica answers 101 and then echoes what it gets.
    let mut ws = g.services[0].clone();
    ws.name = "ws".into();
    ws.params = None;
    ws.expose.retain(|e| e.port == 80);
    ws.expose[0].hosts = Some(vec!["ws.test".into()]);
    ws.args = Some(vec![r#"cat > /tmp/up.sh <<'EOS'
#!/bin/sh
while read -r l; do
  l=$(printf '%s' "$l" | tr -d '\r')
  [ -z "$l" ] && break
done
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n'
exec cat
EOS
chmod +x /tmp/up.sh
exec nc -ll -p 80 -e /tmp/up.sh"#
        .into()]);
    g.services.push(ws);
    rt.deploy(&lease, &g).await.unwrap();
    wait_ready(&rt, &lease, "ws", 1).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut s, head) = loop {
        let mut s = TcpStream::connect(ingress).await.unwrap();
        s.write_all(
            b"GET /echo HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
        )
        .await
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).await.unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        if head.starts_with("HTTP/1.1 101") || Instant::now() > deadline {
            break (s, head);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s.write_all(b"ping through the ingress\n").await.unwrap();
    let mut echoed = vec![0u8; 24];
    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut echoed))
        .await
        .expect("echo within 10 s")
        .unwrap();
    assert_eq!(&echoed, b"ping through the ingress");
    drop(s);

    // A body over the expose's max_body_size (1 MiB by default) is refused by the ingress.
    let mut s = TcpStream::connect(ingress).await.unwrap();
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: ws.test\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await.unwrap();
    let resp = String::from_utf8_lossy(&resp);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");

    // Another lease cannot take the same accept hostname on this provider.
    let other = unique_lease();
    let _cleanup_other = Cleanup(names::namespace(&other));
    match rt.deploy(&other, &g).await {
        Err(WorkloadError::Unavailable(m)) => assert!(m.contains("web.test"), "{m}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    rt.teardown(&other).await.unwrap();

    rt.teardown(&lease).await.unwrap();
    assert_nothing_left(&rt, &ns).await;
}

// ---- Limits a lease cannot escape: storage (measured and evicted) and processes. ----

/// A runtime that measures storage every second. Quotas are off so that the measure-and-evict
/// mode is what is tested, whatever the host's storage driver.
async fn measuring_runtime(state_dir: &std::path::Path) -> Runtime {
    let mut cfg = RuntimeConfig::new(provider(), PUBLIC_HOST, INGRESS_DOMAIN, state_dir);
    cfg.host_ip = "127.0.0.1".parse().unwrap();
    cfg.pull_images = false;
    cfg.storage_quota = false;
    cfg.storage_check_interval_ms = 1000;
    let rt = Runtime::connect(cfg).await.expect("connect to dockerd");
    sweep_stale_test_leases(rt.docker()).await;
    rt
}

/// One service `app` (and an idle `calm` one) running `script`; `app` has 16Mi of ephemeral
/// storage and a persistent 16Mi volume `data` at /data.
fn limits_group(image: &str, script: &str, memory: &str) -> Group {
    group(&format!(
        r#"
version: "2.0"
services:
  app:
    image: {image}
    command: ["sh", "-c"]
    args:
      - '{script}'
    params:
      storage:
        data:
          mount: /data
  calm:
    image: {image}
    command: ["sh", "-c"]
    args:
      - "exec sleep 100000"
profiles:
  compute:
    app:
      resources:
        cpu:
          units: 0.5
        memory:
          size: {memory}
        storage:
          - size: 16Mi
          - name: data
            size: 16Mi
            attributes:
              persistent: true
              class: beta2
    calm:
      resources:
        cpu:
          units: 0.1
        memory:
          size: 32Mi
        storage:
          size: 16Mi
  placement:
    dc:
      pricing:
        app:
          denom: uakt
          amount: 10
        calm:
          denom: uakt
          amount: 10
deployment:
  app:
    dc:
      profile: app
      count: 1
  calm:
    dc:
      profile: calm
      count: 1
"#
    ))
}

/// The first event with `reason` (past or new), within `secs`.
async fn wait_event(rt: &Runtime, lease: &LeaseId, reason: &str, secs: u64) -> LeaseEvent {
    let mut events = rt.events(lease, true).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let ev = tokio::time::timeout_at(deadline, events.next())
            .await
            .unwrap_or_else(|_| panic!("no {reason} event within {secs} s"))
            .expect("event stream open");
        if ev.reason == reason {
            return ev;
        }
    }
}

/// The evicted replica `name` stops within 20 s, and is still stopped 3 s later (neither
/// Docker's restart policy nor the watcher starts it again).
async fn assert_stays_stopped(rt: &Runtime, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while container_running(rt, name).await {
        assert!(
            Instant::now() < deadline,
            "the evicted replica {name} still runs"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !container_running(rt, name).await,
        "{name} was started again"
    );
}

async fn container_running(rt: &Runtime, name: &str) -> bool {
    let c = rt
        .docker()
        .inspect_container(
            name,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    c.state.unwrap().running == Some(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_mode_follows_the_storage_driver() {
    if !busybox::docker_available("storage_mode_follows_the_storage_driver") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let info = rt.docker().info().await.unwrap();
    let driver = info.driver.clone().unwrap_or_default();
    let backing = info
        .driver_status
        .iter()
        .flatten()
        .find(|kv| kv[0] == "Backing Filesystem")
        .map(|kv| kv[1].clone())
        .unwrap_or_default();
    let mode = rt.storage_mode();
    eprintln!("storage driver {driver} on {backing}: {mode}");
    if driver == "overlay2" && backing != "xfs" {
        // overlay2 on ext4 (this machine): no quota anywhere, measured and evicted.
        assert_eq!(mode.writable_layer, Enforcement::Measure);
        assert_eq!(mode.volumes, Enforcement::Measure);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writable_layer_past_its_ephemeral_storage_is_evicted() {
    if !busybox::docker_available("writable_layer_past_its_ephemeral_storage_is_evicted") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = measuring_runtime(dir.path()).await;
    assert_eq!(rt.storage_mode().writable_layer, Enforcement::Measure);
    let image = busybox::busybox_image(rt.docker()).await.unwrap();
    let lease = unique_lease();
    let ns = names::namespace(&lease);
    let _cleanup = Cleanup(ns.clone());
    let g = limits_group(
        &image,
        "dd if=/dev/zero of=/tmp/big bs=1M count=40; exec sleep 100000",
        "64Mi",
    );
    rt.deploy(&lease, &g).await.unwrap();
    let app = names::container_name(&ns, "app", 0);
    let first_id = container_ids(&rt, &ns).await[&app].clone();

    let ev = wait_event(&rt, &lease, "Evicted", 60).await;
    assert_eq!(ev.kind, "Warning");
    assert_eq!(ev.object.name, "app-0");
    assert!(
        ev.note
            .starts_with("ephemeral storage usage 40Mi exceeds the 16Mi limit"),
        "{}",
        ev.note
    );

    // Stopped, and it stays stopped (neither Docker nor the watcher starts it again); the
    // status says so, the calm service is untouched.
    assert_stays_stopped(&rt, &app).await;
    let st = rt.status(&lease).await.unwrap();
    assert_eq!(st.services["app"].available, 0, "{st:?}");
    assert_eq!(st.services["app"].ready_replicas, 0, "{st:?}");
    assert_eq!(st.services["calm"].available, 1, "{st:?}");
    assert!(
        st.errors
            .iter()
            .any(|e| e.contains("app-0") && e.contains("exceeds the 16Mi limit")),
        "{st:?}"
    );
    // A redeploy of the same manifest does not bring it back.
    rt.deploy(&lease, &g).await.unwrap();
    assert!(!container_running(&rt, &app).await);

    // A restart gives a fresh container (a fresh writable layer); this one writes too much
    // again and is evicted again.
    tokio::time::timeout(Duration::from_secs(90), rt.restart(&lease, "app"))
        .await
        .expect("restart within 90 s")
        .unwrap();
    let second_id = container_ids(&rt, &ns).await[&app].clone();
    assert_ne!(first_id, second_id);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let evs: Vec<LeaseEvent> = rt.events(&lease, false).await.unwrap().collect().await;
        if evs.iter().filter(|e| e.reason == "Evicted").count() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "not evicted again: {evs:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    rt.teardown(&lease).await.unwrap();
    assert_nothing_left(&rt, &ns).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistent_volume_past_its_size_evicts_the_service() {
    if !busybox::docker_available("persistent_volume_past_its_size_evicts_the_service") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = measuring_runtime(dir.path()).await;
    assert_eq!(rt.storage_mode().volumes, Enforcement::Measure);
    let image = busybox::busybox_image(rt.docker()).await.unwrap();
    let lease = unique_lease();
    let ns = names::namespace(&lease);
    let _cleanup = Cleanup(ns.clone());
    let g = limits_group(
        &image,
        "dd if=/dev/zero of=/data/big bs=1M count=40; exec sleep 100000",
        "64Mi",
    );
    rt.deploy(&lease, &g).await.unwrap();

    let ev = wait_event(&rt, &lease, "Evicted", 60).await;
    assert_eq!(
        (ev.kind.as_str(), ev.object.name.as_str()),
        ("Warning", "app-0")
    );
    assert!(
        ev.note
            .starts_with("persistent volume \"data\" usage 40Mi exceeds its 16Mi size"),
        "{}",
        ev.note
    );
    let app = names::container_name(&ns, "app", 0);
    assert_stays_stopped(&rt, &app).await;
    let st = rt.status(&lease).await.unwrap();
    assert_eq!(st.services["app"].available, 0, "{st:?}");
    assert_eq!(st.services["calm"].available, 1, "{st:?}");
    assert!(
        st.errors.iter().any(|e| e.contains("persistent volume")),
        "{st:?}"
    );

    rt.teardown(&lease).await.unwrap();
    assert_nothing_left(&rt, &ns).await;
}

/// Processes in a container, from Docker's stats.
async fn pids_current(rt: &Runtime, name: &str) -> u64 {
    let mut s = rt.docker().stats(
        name,
        Some(bollard::query_parameters::StatsOptions {
            stream: false,
            one_shot: true,
        }),
    );
    let st = tokio::time::timeout(Duration::from_secs(20), s.next())
        .await
        .expect("stats within 20 s")
        .expect("one stats sample")
        .unwrap();
    st.pids_stats.and_then(|p| p.current).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fork_bomb_stops_at_the_pids_limit_and_the_service_restarts() {
    if !busybox::docker_available("fork_bomb_stops_at_the_pids_limit_and_the_service_restarts") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path()).await;
    let image = busybox::busybox_image(rt.docker()).await.unwrap();
    let lease = unique_lease();
    let ns = names::namespace(&lease);
    let _cleanup = Cleanup(ns.clone());
    let g = limits_group(&image, "exec sleep 100000", "96Mi");
    rt.deploy(&lease, &g).await.unwrap();
    wait_ready(&rt, &lease, "app", 1).await;
    let app = names::container_name(&ns, "app", 0);

    // Derived from the memory: one per MiB.
    let limit = rt
        .docker()
        .inspect_container(
            &app,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap()
        .host_config
        .unwrap()
        .pids_limit;
    assert_eq!(limit, Some(96));

    // The bounded fork bomb of the report: its processes outlive `timeout`.
    let bomb = rt
        .exec(
            &lease,
            "app",
            0,
            vec![
                "timeout".into(),
                "10".into(),
                "sh".into(),
                "-c".into(),
                "f(){ f|f& };f".into(),
            ],
            false,
            false,
        )
        .await
        .unwrap();
    drop(bomb);
    let mut max = 0;
    let until = Instant::now() + Duration::from_secs(12);
    while Instant::now() < until {
        let n = pids_current(&rt, &app).await;
        assert!(n <= 96, "{n} processes in a container limited to 96");
        max = max.max(n);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!("fork bomb: at most {max} processes (limit 96)");
    assert!(max > 10, "the fork bomb did not run ({max} processes)");

    // The tenant's restart kills it all and brings the service back.
    tokio::time::timeout(Duration::from_secs(90), rt.restart(&lease, "app"))
        .await
        .expect("restart within 90 s")
        .unwrap();
    wait_ready(&rt, &lease, "app", 1).await;
    let st = rt.status(&lease).await.unwrap();
    assert_eq!(st.services["app"].available, 1, "{st:?}");
    assert!(st.errors.is_empty(), "{st:?}");
    let n = pids_current(&rt, &app).await;
    assert!(n < 10, "{n} processes after the restart");
    let mut ex = rt
        .exec(
            &lease,
            "app",
            0,
            vec!["echo".into(), "alive".into()],
            false,
            false,
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(o) = tokio::time::timeout(Duration::from_secs(20), ex.output.next())
        .await
        .expect("exec output within 20 s")
    {
        if let ExecOutput::Stdout(b) = o {
            out.extend(b);
        }
    }
    assert_eq!(String::from_utf8_lossy(&out), "alive\n");

    rt.teardown(&lease).await.unwrap();
    assert_nothing_left(&rt, &ns).await;
}
