//! From a manifest service to the Docker container it becomes (pure: no Docker calls here).
//!
//! The Kubernetes realisation of `../shared/spec/akash-offchain.md` §2.9 mapped onto Docker:
//! command → Entrypoint, args → Cmd, env + the injected `AKASH_*` variables, CPU limit as
//! NanoCpus, memory limit, persistent volumes as named volumes, `ram` volumes as tmpfs, GPUs as
//! device requests, no privileges, restart always (a Deployment's pods come back too).

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, DeviceRequest, EndpointSettings, HostConfig, HostConfigLogConfig,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use kumo_proto::akash::market::v1::LeaseId;
use kumo_sdl::manifest::{Attribute, Service, ServiceExpose};
use sha2::{Digest, Sha256};

use super::names::{self, LABEL_GENERATION, LABEL_REPLICA, LABEL_SERVICE, LABEL_SPEC};
use super::RuntimeConfig;

/// Docker refuses memory limits under 6 MiB; the SDL allows 1 MiB, so small limits are raised.
const DOCKER_MIN_MEMORY: i64 = 6 * 1024 * 1024;

/// Derived pids limit: one process per MiB of the container's memory, at least this many (a
/// shell, a server and its workers fit)...
pub const PIDS_LIMIT_MIN: i64 = 64;
/// ...and at most this many (a fork bomb in a large container must still not exhaust the host's
/// pid space, 4,194,304 at most and often 32,768).
pub const PIDS_LIMIT_MAX: i64 = 4096;

/// The most processes (threads included) one container may have (`HostConfig.PidsLimit`): the
/// provider's `pids_limit` when set, otherwise one per MiB of the container's memory limit,
/// clamped to [`PIDS_LIMIT_MIN`]..=[`PIDS_LIMIT_MAX`] (a 96Mi container gets 96, 512Mi gets 512,
/// 8Gi gets 4096).
pub fn pids_limit(cfg: &RuntimeConfig, memory_bytes: i64) -> i64 {
    match cfg.pids_limit {
        Some(n) if n > 0 => n,
        _ => (memory_bytes / (1024 * 1024)).clamp(PIDS_LIMIT_MIN, PIDS_LIMIT_MAX),
    }
}

/// An HTTP expose served by the ingress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressExpose {
    pub hosts: Vec<String>,
    pub port: u16,
}

/// A global non-HTTP expose: a host port is mapped to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardExpose {
    /// Container port.
    pub port: u16,
    /// The port the tenant asked for (`as`), reported as the forwarded port's `port`.
    pub external_port: u16,
    /// `tcp` / `udp`.
    pub proto: String,
}

/// Everything needed to run one manifest service.
#[derive(Clone, Debug)]
pub struct ServicePlan {
    pub service: String,
    pub image: String,
    pub count: u32,
    /// The container body shared by all replicas (per-replica name, hostname and labels are
    /// added by [`ServicePlan::replica_body`]).
    pub body: ContainerCreateBody,
    /// Hash of `body`: a container whose `kumo.spec` label equals it needs no change.
    pub spec_hash: String,
    /// Named volumes the containers mount.
    pub volumes: Vec<String>,
    /// Size of each named volume in bytes (the storage entry it comes from): the quota, or the
    /// usage past which the service is evicted.
    pub volume_sizes: BTreeMap<String, u64>,
    /// Ephemeral storage of each replica in bytes (the storage entries that are neither mounted
    /// nor `ram`): the writable layer's quota, or the usage past which the replica is evicted.
    /// None: the service declares none (no limit).
    pub ephemeral_limit: Option<u64>,
    /// `HostConfig.PidsLimit` of each replica.
    pub pids_limit: i64,
    pub ingress: Vec<IngressExpose>,
    pub forwards: Vec<ForwardExpose>,
}

impl ServicePlan {
    pub fn replica_body(&self, replica: u32, generation: u64) -> ContainerCreateBody {
        let mut body = self.body.clone();
        body.hostname = Some(names::replica_name(&self.service, replica));
        let labels = body.labels.get_or_insert_with(HashMap::new);
        labels.insert(LABEL_REPLICA.into(), replica.to_string());
        labels.insert(LABEL_SPEC.into(), self.spec_hash.clone());
        labels.insert(LABEL_GENERATION.into(), generation.to_string());
        body
    }
}

fn value(v: &kumo_sdl::manifest::ResourceValue, what: &str) -> Result<u64, String> {
    v.val
        .parse::<u64>()
        .map_err(|_| format!("{what} {:?} is not a whole number", v.val))
}

fn attr<'a>(attrs: &'a [Attribute], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
}

fn effective_external_port(e: &ServiceExpose) -> u32 {
    if e.external_port == 0 {
        e.port
    } else {
        e.external_port
    }
}

/// Akash's ingress rule (`IsIngress`): global, TCP, external port 80.
pub fn is_ingress(e: &ServiceExpose) -> bool {
    e.global && e.proto.eq_ignore_ascii_case("tcp") && effective_external_port(e) == 80
}

/// JSON with object keys sorted at every level, so equal bodies hash equally whatever order
/// the HashMaps inside iterate in.
fn canonical_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        canonical_json(&m[k])
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        serde_json::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(canonical_json).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

/// Builds the plan of one service. `Err` carries a message for the tenant (the manifest asks
/// for something this provider cannot run).
pub fn plan_service(
    cfg: &RuntimeConfig,
    lease: &LeaseId,
    svc: &Service,
) -> Result<ServicePlan, String> {
    if !names::valid_service_name(&svc.name) {
        return Err(format!(
            "service name {:?} is invalid: use lowercase letters, digits and '-', starting with a letter",
            svc.name
        ));
    }
    if svc.image.trim().is_empty() {
        return Err(format!("service {} has no image", svc.name));
    }
    let ns = names::namespace(lease);

    // Resources.
    let milli_cpu = value(&svc.resources.cpu.units, "cpu units")?;
    let memory = value(&svc.resources.memory.size, "memory size")?;
    let gpus = value(&svc.resources.gpu.units, "gpu units")?;
    let nano_cpus = i64::try_from(milli_cpu.saturating_mul(1_000_000))
        .map_err(|_| format!("service {}: cpu units too large", svc.name))?;
    let memory = i64::try_from(memory)
        .map_err(|_| format!("service {}: memory size too large", svc.name))?
        .max(DOCKER_MIN_MEMORY);

    // Environment: the tenant's, then what Akash injects.
    let mut env: Vec<String> = svc
        .env
        .iter()
        .flatten()
        .map(|e| {
            if e.contains('=') {
                e.clone()
            } else {
                // `NAME` alone means an empty value (Kubernetes), not "inherit" (Docker).
                format!("{e}=")
            }
        })
        .collect();
    env.extend([
        format!("AKASH_GROUP_SEQUENCE={}", lease.gseq),
        format!("AKASH_DEPLOYMENT_SEQUENCE={}", lease.dseq),
        format!("AKASH_ORDER_SEQUENCE={}", lease.oseq),
        format!("AKASH_OWNER={}", lease.owner),
        format!("AKASH_PROVIDER={}", lease.provider),
        format!(
            "AKASH_CLUSTER_PUBLIC_HOSTNAME={}",
            cfg.cluster_public_hostname
        ),
    ]);

    // Volumes: the mounts come from params.storage, sizes and classes from the resources.
    let mut binds = Vec::new();
    let mut tmpfs = HashMap::new();
    let mut volumes = Vec::new();
    let mut volume_sizes = BTreeMap::new();
    let mounts = svc
        .params
        .as_ref()
        .map(|p| p.storage.as_slice())
        .unwrap_or(&[]);
    for m in mounts {
        let Some(storage) = svc.resources.storage.iter().find(|s| s.name == m.name) else {
            return Err(format!(
                "service {} mounts volume {:?} that its resources do not declare",
                svc.name, m.name
            ));
        };
        if !m.mount.starts_with('/') || m.mount.contains(':') || m.mount.contains(',') {
            return Err(format!(
                "service {}: mount point {:?} must be an absolute path without ':' or ','",
                svc.name, m.mount
            ));
        }
        if !names::valid_volume_name(&m.name) {
            return Err(format!(
                "service {}: volume name {:?} is invalid",
                svc.name, m.name
            ));
        }
        if attr(&storage.attributes, "class") == Some("ram") {
            let size = value(&storage.size, "storage size")?;
            tmpfs.insert(m.mount.clone(), format!("size={size}"));
        } else {
            let vol = names::volume_name(&ns, &svc.name, &m.name);
            let ro = if m.read_only { ":ro" } else { "" };
            binds.push(format!("{vol}:{}{ro}", m.mount));
            volume_sizes.insert(vol.clone(), value(&storage.size, "storage size")?);
            volumes.push(vol);
        }
    }

    // Ephemeral storage: what no mount takes (the root volume, usually named `default`).
    let mut ephemeral: Option<u64> = None;
    for s in &svc.resources.storage {
        let mounted = mounts.iter().any(|m| m.name == s.name);
        if !mounted && attr(&s.attributes, "class") != Some("ram") {
            let size = value(&s.size, "storage size")?;
            ephemeral = Some(ephemeral.unwrap_or(0).saturating_add(size));
        }
    }
    let pids = pids_limit(cfg, memory);

    // Exposes.
    let mut exposed_ports = HashMap::new();
    let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    let mut ingress = Vec::new();
    let mut forwards = Vec::new();
    for e in &svc.expose {
        let port = u16::try_from(e.port)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("service {}: port {} is invalid", svc.name, e.port))?;
        let proto = e.proto.to_ascii_lowercase();
        if proto != "tcp" && proto != "udp" {
            return Err(format!(
                "service {}: protocol {:?} is not TCP or UDP",
                svc.name, e.proto
            ));
        }
        if !e.ip.is_empty() {
            return Err(format!(
                "service {}: leased IP endpoint {:?} is not supported by this provider",
                svc.name, e.ip
            ));
        }
        let key = format!("{port}/{proto}");
        exposed_ports.insert(key.clone(), HashMap::new());
        if is_ingress(e) {
            let mut hosts: Vec<String> = e
                .hosts
                .iter()
                .flatten()
                .map(|h| h.to_ascii_lowercase())
                .collect();
            hosts.push(names::ingress_host(lease, &svc.name, &cfg.ingress_domain));
            hosts.dedup();
            ingress.push(IngressExpose { hosts, port });
        } else if e.global {
            let external_port = u16::try_from(effective_external_port(e)).map_err(|_| {
                format!(
                    "service {}: external port {} is invalid",
                    svc.name, e.external_port
                )
            })?;
            port_bindings.insert(
                key,
                Some(vec![PortBinding {
                    host_ip: Some(cfg.host_ip.to_string()),
                    // Empty: Docker picks a free ephemeral port (a NodePort on Kubernetes).
                    host_port: Some(String::new()),
                }]),
            );
            let f = ForwardExpose {
                port,
                external_port,
                proto,
            };
            if !forwards.contains(&f) {
                forwards.push(f);
            }
        }
    }

    let device_requests = if gpus > 0 {
        if !cfg.gpu {
            return Err(format!(
                "service {} requests {gpus} GPU(s) but this provider runs containers without a GPU runtime",
                svc.name
            ));
        }
        Some(vec![DeviceRequest {
            driver: Some("nvidia".into()),
            count: Some(gpus as i64),
            capabilities: Some(vec![vec!["gpu".into()]]),
            ..Default::default()
        }])
    } else {
        None
    };

    let mut labels = names::lease_labels(lease);
    labels.insert(LABEL_SERVICE.into(), svc.name.clone());

    let host_config = HostConfig {
        nano_cpus: Some(nano_cpus),
        memory: Some(memory),
        // No swap beyond the memory limit, as on Kubernetes.
        memory_swap: Some(memory),
        // A fork bomb stops at the limit instead of filling the host's process table. The
        // writable layer's quota (`StorageOpt`) is not part of the hashed body: it depends on the
        // storage driver, and is added when the container is created.
        pids_limit: Some(pids),
        device_requests,
        binds: (!binds.is_empty()).then_some(binds),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
        network_mode: Some(ns.clone()),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::ALWAYS),
            maximum_retry_count: None,
        }),
        privileged: Some(false),
        security_opt: Some(vec!["no-new-privileges".into()]),
        // Bounded logs: a chatty tenant must not fill the provider's disk.
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".into()),
            config: Some(HashMap::from([
                ("max-size".into(), "10m".into()),
                ("max-file".into(), "3".into()),
            ])),
        }),
        ..Default::default()
    };
    let body = ContainerCreateBody {
        image: Some(svc.image.clone()),
        entrypoint: svc.command.clone().filter(|c| !c.is_empty()),
        cmd: svc.args.clone().filter(|a| !a.is_empty()),
        env: Some(env),
        labels: Some(labels),
        exposed_ports: (!exposed_ports.is_empty()).then_some(exposed_ports),
        host_config: Some(host_config),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                ns.clone(),
                EndpointSettings {
                    // Services reach each other by name on the lease network.
                    aliases: Some(vec![svc.name.clone()]),
                    ..Default::default()
                },
            )])),
        }),
        ..Default::default()
    };
    let json = serde_json::to_value(&body).map_err(|e| e.to_string())?;
    let spec_hash = hex::encode(&Sha256::digest(canonical_json(&json).as_bytes())[..16]);
    Ok(ServicePlan {
        service: svc.name.clone(),
        image: svc.image.clone(),
        count: svc.count,
        body,
        spec_hash,
        volumes,
        volume_sizes,
        ephemeral_limit: ephemeral,
        pids_limit: pids,
        ingress,
        forwards,
    })
}
