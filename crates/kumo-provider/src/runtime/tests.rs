//! Names, labels and container specs (no Docker needed; the dockerd tests are in
//! `tests/runtime.rs`).

use super::names;
use super::spec::{self, plan_service};
use super::RuntimeConfig;
use kumo_proto::akash::market::v1::LeaseId;
use kumo_sdl::manifest::Group;

fn lease() -> LeaseId {
    LeaseId {
        owner: "akash1owner".into(),
        dseq: 42,
        gseq: 1,
        oseq: 2,
        provider: "akash1provider".into(),
        bseq: 3,
    }
}

fn cfg() -> RuntimeConfig {
    RuntimeConfig::new(
        "akash1provider",
        "provider.example.com",
        "ingress.example.com",
        "/nonexistent",
    )
}

fn group() -> Group {
    let sdl = r#"
version: "2.0"
services:
  web:
    image: nginx:1.25
    command: ["/bin/sh", "-c"]
    args: ["exec nginx"]
    env:
      - "A=1"
      - "EMPTY"
    expose:
      - port: 80
        accept: [www.example.org, WWW2.example.org]
        to:
          - global: true
      - port: 9000
        as: 9001
        proto: udp
        to:
          - global: true
      - port: 5432
        to:
          - service: web
    params:
      storage:
        data:
          mount: /var/lib/data
          readOnly: false
        shm:
          mount: /dev/shm
profiles:
  compute:
    web:
      resources:
        cpu:
          units: 0.5
        memory:
          size: 128Mi
        storage:
          - size: 1Gi
          - name: data
            size: 2Gi
            attributes:
              persistent: true
              class: beta2
          - name: shm
            size: 64Mi
            attributes:
              class: ram
  placement:
    dc:
      pricing:
        web:
          denom: uakt
          amount: 100
deployment:
  web:
    dc:
      profile: web
      count: 2
"#;
    kumo_sdl::parse("t.yaml", sdl)
        .unwrap()
        .manifest
        .into_iter()
        .next()
        .unwrap()
}

#[test]
fn namespace_and_ingress_host_match_akash() {
    // Expected values computed independently (Python hashlib/base64/uuid).
    assert_eq!(
        names::namespace(&lease()),
        "2cht6bgl6eo6no6knus7v0dbijo8cosmcra61dfnpkl3m"
    );
    assert_eq!(
        names::ingress_host(&lease(), "web", "ingress.example.com"),
        "eq7vofatu5jexj3jwgn3nigvhy.ingress.example.com"
    );
    // bseq is not part of either (Akash's lease id string has no bid sequence).
    let mut l = lease();
    l.bseq = 9;
    assert_eq!(names::namespace(&l), names::namespace(&lease()));
}

#[test]
fn lease_labels_round_trip_and_refuse_a_mismatched_namespace() {
    let labels = names::lease_labels(&lease());
    assert_eq!(labels["akash.network"], "true");
    assert_eq!(names::lease_from_labels(&labels), Some(lease()));
    let mut edited = labels.clone();
    edited.insert(names::LABEL_DSEQ.into(), "43".into());
    assert_eq!(names::lease_from_labels(&edited), None);
    let mut partial = labels;
    partial.remove(names::LABEL_OWNER);
    assert_eq!(names::lease_from_labels(&partial), None);
}

#[test]
fn service_becomes_a_container_spec() {
    let g = group();
    let plan = plan_service(&cfg(), &lease(), &g.services[0]).unwrap();
    let ns = names::namespace(&lease());
    assert_eq!(plan.count, 2);
    let body = &plan.body;
    assert_eq!(body.image.as_deref(), Some("nginx:1.25"));
    assert_eq!(
        body.entrypoint,
        Some(vec!["/bin/sh".to_string(), "-c".to_string()])
    );
    assert_eq!(body.cmd, Some(vec!["exec nginx".to_string()]));
    let env = body.env.clone().unwrap();
    for want in [
        "A=1",
        "EMPTY=",
        "AKASH_GROUP_SEQUENCE=1",
        "AKASH_DEPLOYMENT_SEQUENCE=42",
        "AKASH_ORDER_SEQUENCE=2",
        "AKASH_OWNER=akash1owner",
        "AKASH_PROVIDER=akash1provider",
        "AKASH_CLUSTER_PUBLIC_HOSTNAME=provider.example.com",
    ] {
        assert!(
            env.contains(&want.to_string()),
            "{want} missing from {env:?}"
        );
    }
    let hc = body.host_config.as_ref().unwrap();
    assert_eq!(hc.nano_cpus, Some(500_000_000));
    assert_eq!(hc.memory, Some(128 * 1024 * 1024));
    assert_eq!(hc.privileged, Some(false));
    assert_eq!(hc.network_mode.as_deref(), Some(ns.as_str()));
    assert_eq!(hc.binds, Some(vec![format!("{ns}-web-data:/var/lib/data")]));
    assert_eq!(plan.volumes, vec![format!("{ns}-web-data")]);
    assert_eq!(
        hc.tmpfs.as_ref().unwrap()["/dev/shm"],
        format!("size={}", 64 * 1024 * 1024)
    );
    assert!(hc.device_requests.is_none());

    // Port 80 → ingress with the accept hosts (lowercased) and the generated host; 9000/udp →
    // a host port on the configured address; 5432 only inside the lease network.
    assert_eq!(plan.ingress.len(), 1);
    assert_eq!(plan.ingress[0].port, 80);
    assert_eq!(
        plan.ingress[0].hosts,
        vec![
            "www.example.org".to_string(),
            "www2.example.org".to_string(),
            names::ingress_host(&lease(), "web", "ingress.example.com"),
        ]
    );
    let pb = hc.port_bindings.as_ref().unwrap();
    assert_eq!(pb.len(), 1);
    let b = pb["9000/udp"].as_ref().unwrap();
    assert_eq!(b[0].host_ip.as_deref(), Some("0.0.0.0"));
    assert_eq!(b[0].host_port.as_deref(), Some(""));
    assert_eq!(plan.forwards.len(), 1);
    assert_eq!(
        (plan.forwards[0].port, plan.forwards[0].external_port),
        (9000, 9001)
    );
    let exposed = body.exposed_ports.as_ref().unwrap();
    assert!(exposed.contains_key("5432/tcp") && exposed.contains_key("80/tcp"));
    let aliases = &body
        .networking_config
        .as_ref()
        .unwrap()
        .endpoints_config
        .as_ref()
        .unwrap()[&ns]
        .aliases;
    assert_eq!(aliases, &Some(vec!["web".to_string()]));

    let labels = plan.replica_body(1, 4).labels.unwrap();
    assert_eq!(labels["akash.network/manifest.service"], "web");
    assert_eq!(labels["akash.network/namespace"], ns);
    assert_eq!(labels["kumo.replica"], "1");
    assert_eq!(labels["kumo.generation"], "4");
    assert_eq!(labels["kumo.spec"], plan.spec_hash);
}

#[test]
fn spec_hash_is_stable_and_follows_changes() {
    let g = group();
    let a = plan_service(&cfg(), &lease(), &g.services[0]).unwrap();
    let b = plan_service(&cfg(), &lease(), &g.services[0]).unwrap();
    assert_eq!(a.spec_hash, b.spec_hash);
    let mut changed = g.services[0].clone();
    changed.env.as_mut().unwrap()[0] = "A=2".into();
    let c = plan_service(&cfg(), &lease(), &changed).unwrap();
    assert_ne!(a.spec_hash, c.spec_hash);
    // The replica count is not part of a container's spec.
    let mut scaled = g.services[0].clone();
    scaled.count = 5;
    assert_eq!(
        plan_service(&cfg(), &lease(), &scaled).unwrap().spec_hash,
        a.spec_hash
    );
}

#[test]
fn gpus_need_a_gpu_runtime_and_become_device_requests() {
    let mut svc = group().services[0].clone();
    svc.resources.gpu.units.val = "2".into();
    let err = plan_service(&cfg(), &lease(), &svc).unwrap_err();
    assert!(err.contains("GPU"), "{err}");
    let mut with_gpu = cfg();
    with_gpu.gpu = true;
    let plan = plan_service(&with_gpu, &lease(), &svc).unwrap();
    let dr = plan
        .body
        .host_config
        .unwrap()
        .device_requests
        .unwrap()
        .remove(0);
    assert_eq!(dr.driver.as_deref(), Some("nvidia"));
    assert_eq!(dr.count, Some(2));
    assert_eq!(dr.capabilities, Some(vec![vec!["gpu".to_string()]]));
}

#[test]
fn manifests_the_runtime_cannot_run_are_refused_with_a_reason() {
    let base = group().services[0].clone();
    let mut ip = base.clone();
    ip.expose[0].ip = "myip".into();
    assert!(plan_service(&cfg(), &lease(), &ip)
        .unwrap_err()
        .contains("leased IP"));
    let mut name = base.clone();
    name.name = "Web_1".into();
    assert!(plan_service(&cfg(), &lease(), &name)
        .unwrap_err()
        .contains("invalid"));
    let mut mount = base.clone();
    mount.params.as_mut().unwrap().storage[0].mount = "relative".into();
    assert!(plan_service(&cfg(), &lease(), &mount)
        .unwrap_err()
        .contains("absolute"));
    let mut undeclared = base;
    undeclared.params.as_mut().unwrap().storage[0].name = "other".into();
    assert!(plan_service(&cfg(), &lease(), &undeclared)
        .unwrap_err()
        .contains("do not declare"));
}

#[test]
fn storage_limits_and_pids_limit_come_from_the_resources() {
    let g = group();
    let plan = plan_service(&cfg(), &lease(), &g.services[0]).unwrap();
    let ns = names::namespace(&lease());
    // The unmounted 1Gi is the writable layer's; the mounted `data` volume has its own 2Gi;
    // `shm` (ram) is a sized tmpfs, in neither.
    assert_eq!(plan.ephemeral_limit, Some(1 << 30));
    assert_eq!(
        plan.volume_sizes,
        std::collections::BTreeMap::from([(format!("{ns}-web-data"), 2u64 << 30)])
    );
    // 128Mi of memory: 128 processes.
    assert_eq!(plan.pids_limit, 128);
    let hc = plan.body.host_config.as_ref().unwrap();
    assert_eq!(hc.pids_limit, Some(128));
    // The quota is added at creation, where the driver has one: not in the hashed body.
    assert!(hc.storage_opt.is_none());

    let mut c = cfg();
    let mib = 1024 * 1024;
    assert_eq!(spec::pids_limit(&c, 6 * mib), spec::PIDS_LIMIT_MIN);
    assert_eq!(spec::pids_limit(&c, 96 * mib), 96);
    assert_eq!(spec::pids_limit(&c, 64 * 1024 * mib), spec::PIDS_LIMIT_MAX);
    c.pids_limit = Some(500);
    assert_eq!(spec::pids_limit(&c, 96 * mib), 500);
}

#[test]
fn storage_mode_detection_from_docker_info() {
    use super::storage::{detect, human};
    use super::Enforcement::{Measure, Quota};
    let m = detect("overlay2", "extfs", true);
    assert_eq!((m.writable_layer, m.volumes), (Measure, Measure));
    let m = detect("overlay2", "xfs", true);
    assert_eq!((m.writable_layer, m.volumes), (Quota, Quota));
    let m = detect("btrfs", "btrfs", true);
    assert_eq!((m.writable_layer, m.volumes), (Quota, Measure));
    let m = detect("overlay2", "xfs", false);
    assert_eq!((m.writable_layer, m.volumes), (Measure, Measure));
    let m = detect("vfs", "extfs", true);
    assert_eq!(m.writable_layer, Measure);
    assert_eq!(
        m.to_string(),
        "writable layer: measure-and-evict, volumes: measure-and-evict"
    );

    assert_eq!(human(400 * 1024 * 1024 + 5), "400Mi");
    assert_eq!(human(2 << 30), "2Gi");
    assert_eq!(human(512 * 1024), "512Ki");
}
