//! The provider's cluster runtime on Docker: a lease's manifest group becomes containers on a
//! per-lease bridge network, realised the way Akash does it on Kubernetes
//! (`../shared/spec/akash-offchain.md` §2.9, §2.13, §3.3-3.5).
//!
//! - Lease "namespace" = lowercase base32hex of SHA-224 of the lease id ([`names::namespace`]);
//!   the network, every container (`<ns>-<service>-<i>`) and every volume
//!   (`<ns>-<service>-<volume>`) carry the lease id in labels, so a restarted provider finds and
//!   adopts its workloads by asking dockerd ([`Runtime::leases`]).
//! - The manifest group of each lease is kept as `<state_dir>/<ns>.json` (it changes on update,
//!   which Docker labels cannot), so it survives a provider restart.
//! - Deploy is idempotent: a container whose `kumo.spec` label matches the hash of what it would
//!   be created from is left alone; others are replaced; surplus replicas are removed.
//! - HTTP exposes go through the [`Ingress`]; other global exposes get ephemeral host ports.
//! - A watcher on Docker's event stream records exits and restarts in the lease's event log and
//!   starts again a container that Docker will not restart itself (`docker kill` disables the
//!   restart policy until the next start).

pub mod names;
pub mod spec;

mod events;
mod storage;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bollard::auth::DockerCredentials;
use bollard::container::LogOutput;
use bollard::exec::{StartExecOptions, StartExecResults};
use bollard::models::{
    ContainerStateStatusEnum, ContainerSummary, ContainerSummaryStateEnum, EventMessage,
    ExecConfig, NetworkCreateRequest, VolumeCreateOptions,
};
use bollard::query_parameters::{
    CreateContainerOptions, CreateImageOptions, EventsOptions, ListContainersOptions,
    ListNetworksOptions, ListVolumesOptions, LogsOptions, RemoveContainerOptions,
    RemoveVolumeOptions, ResizeExecOptions, StartContainerOptions,
};
use bollard::{Docker, API_DEFAULT_VERSION};
use futures::stream::{self, BoxStream, StreamExt};
use kumo_proto::akash::market::v1::LeaseId;
use kumo_sdl::manifest::Group;
use serde::{Deserialize, Serialize};

use crate::ingress::{Backends, Ingress, Route};
use crate::workload::{
    Exec, ExecControl, ExecOutput, ForwardedPort, LeaseEvent, LeaseStatus, LogLine, ServiceStatus,
    WorkloadError, WorkloadResult, Workloads,
};
use events::{event, EventLog, KIND_DEPLOYMENT, KIND_POD};
use names::{LABEL_GENERATION, LABEL_NAMESPACE, LABEL_REPLICA, LABEL_SERVICE, LABEL_SPEC};
pub use storage::{Enforcement, StorageMode};

/// How the runtime reaches Docker and what it tells tenants.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RuntimeConfig {
    /// The provider's account address (`akash1…`): only leases of this provider are touched.
    pub provider: String,
    /// dockerd endpoint: a unix socket path (`/var/run/docker.sock`, `unix://…`) or
    /// `tcp://host:port` / `http://…`. None: the local default (`DOCKER_HOST` or the socket).
    #[serde(default)]
    pub docker: Option<String>,
    /// Injected as `AKASH_CLUSTER_PUBLIC_HOSTNAME` and reported as the host of forwarded ports.
    pub cluster_public_hostname: String,
    /// Generated ingress hostnames are `<id>.<ingress_domain>`.
    pub ingress_domain: String,
    /// Host address forwarded ports bind to.
    #[serde(default = "default_host_ip")]
    pub host_ip: IpAddr,
    /// Whether GPU requests can be served (NVIDIA container runtime installed).
    #[serde(default)]
    pub gpu: bool,
    /// Pull images that are not on the host; when off, such a manifest is refused.
    #[serde(default = "default_true")]
    pub pull_images: bool,
    /// Where each lease's manifest group is kept (`<ns>.json`).
    pub state_dir: PathBuf,
    /// Most processes per container (`HostConfig.PidsLimit`). None: derived from the container's
    /// memory ([`spec::pids_limit`]: one per MiB, at least 64, at most 4096).
    #[serde(default)]
    pub pids_limit: Option<i64>,
    /// Enforce storage sizes with the storage driver's quotas where it has them (writable layer:
    /// `StorageOpt size=` on overlay2 over xfs with pquota, btrfs, zfs, devicemapper; volumes:
    /// the local driver's `size` option on xfs with pquota). Off, or where unsupported, usage
    /// is measured every [`RuntimeConfig::storage_check_interval_ms`] and a replica over its
    /// size is evicted (see [`StorageMode`]).
    #[serde(default = "default_true")]
    pub storage_quota: bool,
    /// How often storage usage is measured where no quota enforces it.
    #[serde(default = "default_storage_check_interval_ms")]
    pub storage_check_interval_ms: u64,
}

fn default_storage_check_interval_ms() -> u64 {
    10_000
}

/// `http_options` defaults of the SDL (`../shared/spec/akash-offchain.md` §1.3), for manifests
/// written without them.
const DEFAULT_MAX_BODY_SIZE: u64 = 1_048_576;
const DEFAULT_READ_TIMEOUT_MS: u64 = 60_000;

/// Container creations/starts/removals in flight at once for one lease.
const PARALLEL_CONTAINER_OPS: usize = 8;

fn default_host_ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
}

fn default_true() -> bool {
    true
}

impl RuntimeConfig {
    /// A config with the defaults: local dockerd, ports on 0.0.0.0, no GPUs, images pulled.
    pub fn new(
        provider: impl Into<String>,
        cluster_public_hostname: impl Into<String>,
        ingress_domain: impl Into<String>,
        state_dir: impl Into<PathBuf>,
    ) -> Self {
        RuntimeConfig {
            provider: provider.into(),
            docker: None,
            cluster_public_hostname: cluster_public_hostname.into(),
            ingress_domain: ingress_domain.into(),
            host_ip: default_host_ip(),
            gpu: false,
            pull_images: true,
            state_dir: state_dir.into(),
            pids_limit: None,
            storage_quota: true,
            storage_check_interval_ms: default_storage_check_interval_ms(),
        }
    }
}

/// The Docker runtime. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct Inner {
    docker: Docker,
    cfg: RuntimeConfig,
    ingress: Ingress,
    events: EventLog,
    /// One deploy/teardown at a time per lease.
    locks: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Leases being torn down: their dying containers must not be started again.
    tearing_down: Mutex<BTreeSet<String>>,
    watcher: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Whether the storage driver's quota holds each writable layer (false: measured and
    /// evicted, see [`storage`]).
    layer_quota: AtomicBool,
    /// Whether the local volume driver's quota holds each volume (false: measured and evicted).
    volume_quota: AtomicBool,
    /// Replicas the provider stopped and keeps stopped (evicted, or wedged: a restart could not
    /// stop them), by container id: never started again by the watcher, never counted available.
    failed: Mutex<BTreeMap<String, Failed>>,
    /// The storage measurement task.
    monitor: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Why a replica is out of service.
#[derive(Clone, Debug)]
struct Failed {
    ns: String,
    replica: String,
    reason: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(w) = self.watcher.lock().unwrap().take() {
            w.abort();
        }
        if let Some(m) = self.monitor.lock().unwrap().take() {
            m.abort();
        }
    }
}

/// The manifest record kept in the state dir.
#[derive(Serialize, Deserialize)]
struct Record {
    lease: LeaseRecord,
    group: Group,
}

#[derive(Serialize, Deserialize)]
struct LeaseRecord {
    owner: String,
    dseq: u64,
    gseq: u32,
    oseq: u32,
    provider: String,
    #[serde(default)]
    bseq: u32,
}

impl From<&LeaseId> for LeaseRecord {
    fn from(l: &LeaseId) -> Self {
        LeaseRecord {
            owner: l.owner.clone(),
            dseq: l.dseq,
            gseq: l.gseq,
            oseq: l.oseq,
            provider: l.provider.clone(),
            bseq: l.bseq,
        }
    }
}

impl From<LeaseRecord> for LeaseId {
    fn from(l: LeaseRecord) -> Self {
        LeaseId {
            owner: l.owner,
            dseq: l.dseq,
            gseq: l.gseq,
            oseq: l.oseq,
            provider: l.provider,
            bseq: l.bseq,
        }
    }
}

fn internal(what: &str) -> impl FnOnce(bollard::errors::Error) -> WorkloadError + '_ {
    move |e| WorkloadError::Internal(anyhow::anyhow!("{what}: {e}"))
}

fn status_code(e: &bollard::errors::Error) -> Option<u16> {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

fn is_not_found(e: &bollard::errors::Error) -> bool {
    status_code(e) == Some(404)
}

fn label<'a>(c: &'a ContainerSummary, key: &str) -> Option<&'a str> {
    c.labels.as_ref()?.get(key).map(String::as_str)
}

fn replica_of(c: &ContainerSummary) -> Option<u32> {
    label(c, LABEL_REPLICA)?.parse().ok()
}

fn is_running(c: &ContainerSummary) -> bool {
    c.state == Some(ContainerSummaryStateEnum::RUNNING)
}

fn container_id(c: &ContainerSummary) -> String {
    c.id.clone().unwrap_or_default()
}

/// `name[:tag]` or `name@digest` → (name, tag or digest); no tag means `latest` (the API pulls
/// every tag when none is given).
fn split_image(image: &str) -> (String, String) {
    if let Some((name, digest)) = image.split_once('@') {
        return (name.to_string(), digest.to_string());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
        let (name, tag) = image.rsplit_once(':').unwrap();
        (name.to_string(), tag.to_string())
    } else {
        (image.to_string(), "latest".to_string())
    }
}

impl Runtime {
    /// Connects to dockerd (negotiating the API version), and adopts the leases already running
    /// there: their ingress routes are restored from the stored manifests.
    pub async fn connect(cfg: RuntimeConfig) -> anyhow::Result<Self> {
        let docker = match cfg.docker.as_deref() {
            None => Docker::connect_with_local_defaults(),
            Some(s) if s.starts_with("tcp://") || s.starts_with("http://") => {
                Docker::connect_with_http(s, 120, API_DEFAULT_VERSION)
            }
            Some(s) => Docker::connect_with_unix(
                s.strip_prefix("unix://").unwrap_or(s),
                120,
                API_DEFAULT_VERSION,
            ),
        }
        .context("docker endpoint")?
        .negotiate_version()
        .await
        .context("dockerd did not answer (is it running, and may this user use its socket?)")?;
        docker
            .ping()
            .await
            .context("dockerd did not answer a ping")?;
        std::fs::create_dir_all(&cfg.state_dir)
            .with_context(|| format!("creating runtime state dir {}", cfg.state_dir.display()))?;
        let (driver, backing_fs) = match docker.info().await {
            Ok(info) => storage::driver_of(&info),
            Err(e) => {
                tracing::warn!("docker info: {e}");
                Default::default()
            }
        };
        let mode = storage::detect(&driver, &backing_fs, cfg.storage_quota);
        let backends = Arc::new(DockerBackends {
            docker: docker.clone(),
            provider: cfg.provider.clone(),
        });
        let rt = Runtime {
            inner: Arc::new(Inner {
                docker,
                cfg,
                ingress: Ingress::new(backends),
                events: EventLog::default(),
                locks: Mutex::new(BTreeMap::new()),
                tearing_down: Mutex::new(BTreeSet::new()),
                watcher: Mutex::new(None),
                layer_quota: AtomicBool::new(mode.writable_layer == Enforcement::Quota),
                volume_quota: AtomicBool::new(mode.volumes == Enforcement::Quota),
                failed: Mutex::new(BTreeMap::new()),
                monitor: Mutex::new(None),
            }),
        };
        let every = Duration::from_millis(rt.inner.cfg.storage_check_interval_ms.max(100));
        tracing::info!(
            storage_driver = %driver,
            backing_filesystem = %backing_fs,
            "storage limits: {mode} (measured every {every:?} where no quota holds them)"
        );
        let monitor = tokio::spawn(storage::monitor(Arc::downgrade(&rt.inner), every));
        *rt.inner.monitor.lock().unwrap() = Some(monitor);
        let watcher = tokio::spawn(watch_docker_events(
            Arc::downgrade(&rt.inner),
            rt.inner.docker.clone(),
            rt.inner.cfg.provider.clone(),
        ));
        *rt.inner.watcher.lock().unwrap() = Some(watcher);

        for lease in rt.leases().await.map_err(anyhow::Error::from)? {
            let ns = names::namespace(&lease);
            rt.inner.events.ensure(&ns);
            if let Some(group) = rt.load_record(&ns)? {
                if let Err(e) = rt.set_routes(&lease, &group) {
                    tracing::warn!("adopting lease {}: {e}", names::lease_string(&lease));
                }
            }
        }
        Ok(rt)
    }

    /// The HTTP ingress; serve it with `runtime.ingress().serve(listener)`.
    pub fn ingress(&self) -> Ingress {
        self.inner.ingress.clone()
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.inner.cfg
    }

    /// The Docker client (for tools and tests that look at what the runtime made).
    pub fn docker(&self) -> &Docker {
        &self.inner.docker
    }

    fn lease_lock(&self, ns: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.inner
            .locks
            .lock()
            .unwrap()
            .entry(ns.to_string())
            .or_default()
            .clone()
    }

    fn record_path(&self, ns: &str) -> PathBuf {
        self.inner.cfg.state_dir.join(format!("{ns}.json"))
    }

    fn load_record(&self, ns: &str) -> anyhow::Result<Option<Group>> {
        let path = self.record_path(ns);
        match std::fs::read(&path) {
            Ok(b) => {
                let r: Record = serde_json::from_slice(&b)
                    .with_context(|| format!("reading {}", path.display()))?;
                Ok(Some(r.group))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display())),
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves half a manifest.
    fn store_record(&self, ns: &str, lease: &LeaseId, group: &Group) -> anyhow::Result<()> {
        let path = self.record_path(ns);
        let tmp = path.with_extension("json.tmp");
        let rec = Record {
            lease: lease.into(),
            group: group.clone(),
        };
        std::fs::write(&tmp, serde_json::to_vec_pretty(&rec)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    fn push(&self, ev: LeaseEvent) {
        self.inner.events.push(ev);
    }

    /// All containers (running or not) of this provider's leases, or of one lease.
    async fn containers(&self, ns: Option<&str>) -> WorkloadResult<Vec<ContainerSummary>> {
        let filters = HashMap::from([(
            "label".to_string(),
            names::label_filter(&self.inner.cfg.provider, ns),
        )]);
        let mut list = self
            .inner
            .docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .map_err(internal("listing containers"))?;
        list.sort_by_key(|c| {
            (
                label(c, LABEL_SERVICE).unwrap_or("").to_string(),
                replica_of(c).unwrap_or(u32::MAX),
            )
        });
        Ok(list)
    }

    async fn ensure_network(&self, ns: &str, lease: &LeaseId) -> WorkloadResult<()> {
        match self
            .inner
            .docker
            .inspect_network(ns, None::<bollard::query_parameters::InspectNetworkOptions>)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(internal("inspecting the lease network")(e)),
        }
        let req = NetworkCreateRequest {
            name: ns.to_string(),
            driver: Some("bridge".into()),
            labels: Some(names::lease_labels(lease)),
            ..Default::default()
        };
        match self.inner.docker.create_network(req).await {
            Ok(_) => Ok(()),
            // Created meanwhile by another deploy of the same lease on another runtime.
            Err(e) if status_code(&e) == Some(409) => Ok(()),
            Err(e) => Err(internal("creating the lease network")(e)),
        }
    }

    async fn ensure_image(
        &self,
        ns: &str,
        svc: &kumo_sdl::manifest::Service,
    ) -> WorkloadResult<()> {
        let docker = &self.inner.docker;
        match docker.inspect_image(&svc.image).await {
            Ok(_) => return Ok(()),
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(internal("inspecting an image")(e)),
        }
        if !self.inner.cfg.pull_images {
            return Err(WorkloadError::Unavailable(format!(
                "image {:?} of service {} is not on this provider and the provider does not pull images",
                svc.image, svc.name
            )));
        }
        self.push(event(
            ns,
            false,
            "Pulling",
            format!("Pulling image {:?}", svc.image),
            KIND_DEPLOYMENT,
            svc.name.clone(),
        ));
        let started = Instant::now();
        let (from_image, tag) = split_image(&svc.image);
        let creds = svc.credentials.as_ref().map(|c| DockerCredentials {
            username: Some(c.username.clone()),
            password: Some(c.password.clone()),
            email: (!c.email.is_empty()).then(|| c.email.clone()),
            serveraddress: Some(c.host.clone()),
            ..Default::default()
        });
        let mut pull = docker.create_image(
            Some(CreateImageOptions {
                from_image: Some(from_image),
                tag: Some(tag),
                ..Default::default()
            }),
            None,
            creds,
        );
        let mut layers_done = 0u32;
        while let Some(item) = pull.next().await {
            match item {
                Ok(info) => {
                    if info.status.as_deref() == Some("Pull complete") {
                        layers_done += 1;
                    }
                }
                Err(e) => {
                    let msg = format!("Failed to pull image {:?}: {e}", svc.image);
                    self.push(event(
                        ns,
                        true,
                        "Failed",
                        msg.clone(),
                        KIND_DEPLOYMENT,
                        svc.name.clone(),
                    ));
                    return Err(WorkloadError::Unavailable(msg));
                }
            }
        }
        self.push(event(
            ns,
            false,
            "Pulled",
            format!(
                "Successfully pulled image {:?} ({layers_done} layers) in {:.1}s",
                svc.image,
                started.elapsed().as_secs_f64()
            ),
            KIND_DEPLOYMENT,
            svc.name.clone(),
        ));
        Ok(())
    }

    async fn ensure_volume(
        &self,
        lease: &LeaseId,
        service: &str,
        name: &str,
        size: Option<u64>,
    ) -> WorkloadResult<()> {
        let mut labels = names::lease_labels(lease);
        labels.insert(LABEL_SERVICE.into(), service.to_string());
        let opts = VolumeCreateOptions {
            name: Some(name.to_string()),
            labels: Some(labels),
            ..Default::default()
        };
        if let Some(size) = size.filter(|_| self.inner.volume_quota.load(Ordering::Relaxed)) {
            let mut quota = opts.clone();
            quota.driver_opts = Some(HashMap::from([("size".to_string(), size.to_string())]));
            match self.inner.docker.create_volume(quota).await {
                Ok(_) => return Ok(()),
                Err(e) if storage::is_quota_error(&e) => {
                    self.inner.volume_quota.store(false, Ordering::Relaxed);
                    tracing::warn!(
                        "dockerd has no volume quota ({e}): volume sizes are measured and \
                         enforced by eviction from now on"
                    );
                }
                Err(e) => tracing::debug!("volume {name} with a quota: {e}"),
            }
        }
        // Creating an existing volume returns it unchanged.
        self.inner
            .docker
            .create_volume(opts)
            .await
            .map_err(internal("creating a volume"))?;
        Ok(())
    }

    fn is_failed(&self, id: &str) -> bool {
        self.inner.failed.lock().unwrap().contains_key(id)
    }

    async fn start(&self, ns: &str, name: &str, replica: &str) -> WorkloadResult<()> {
        match self
            .inner
            .docker
            .start_container(name, None::<StartContainerOptions>)
            .await
        {
            Ok(()) => {}
            // 304: already running.
            Err(e) if status_code(&e) == Some(304) => return Ok(()),
            Err(e) => return Err(internal("starting a container")(e)),
        }
        self.push(event(
            ns,
            false,
            "Started",
            "Started container".into(),
            KIND_POD,
            replica.to_string(),
        ));
        Ok(())
    }

    async fn remove_container(&self, id_or_name: &str) -> WorkloadResult<()> {
        match self
            .inner
            .docker
            .remove_container(
                id_or_name,
                Some(RemoveContainerOptions {
                    force: true,
                    ..Default::default()
                }),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            // 409: removal already in progress.
            Err(e) if status_code(&e) == Some(409) => Ok(()),
            Err(e) => Err(internal("removing a container")(e)),
        }
    }

    /// The ingress routes of a group: every host of every HTTP expose.
    fn routes(&self, lease: &LeaseId, group: &Group) -> BTreeMap<String, Route> {
        let ns = names::namespace(lease);
        let mut routes = BTreeMap::new();
        for svc in &group.services {
            for e in &svc.expose {
                if !spec::is_ingress(e) {
                    continue;
                }
                let Ok(port) = u16::try_from(e.port) else {
                    continue;
                };
                let generated =
                    names::ingress_host(lease, &svc.name, &self.inner.cfg.ingress_domain);
                for h in e
                    .hosts
                    .iter()
                    .flatten()
                    .map(|h| h.to_ascii_lowercase())
                    .chain([generated])
                {
                    routes.insert(
                        h,
                        Route {
                            namespace: ns.clone(),
                            service: svc.name.clone(),
                            port,
                            max_body_size: match e.http_options.max_body_size {
                                0 => DEFAULT_MAX_BODY_SIZE,
                                n => n as u64,
                            },
                            read_timeout: Duration::from_millis(
                                match e.http_options.read_timeout {
                                    0 => DEFAULT_READ_TIMEOUT_MS,
                                    n => n as u64,
                                },
                            ),
                        },
                    );
                }
            }
        }
        routes
    }

    fn set_routes(&self, lease: &LeaseId, group: &Group) -> WorkloadResult<()> {
        let ns = names::namespace(lease);
        self.inner
            .ingress
            .set_routes(&ns, self.routes(lease, group))
            .map_err(|e| WorkloadError::Unavailable(e.to_string()))
    }

    /// Makes replica `i` of a service match its plan: left alone if it does (started if it
    /// stopped), replaced if it does not, created if missing.
    async fn ensure_replica(
        &self,
        ns: &str,
        plan: &spec::ServicePlan,
        i: u32,
        generation: u64,
        current: Option<&ContainerSummary>,
    ) -> WorkloadResult<()> {
        let replica = names::replica_name(&plan.service, i);
        if let Some(c) = current {
            if label(c, LABEL_SPEC) == Some(plan.spec_hash.as_str()) {
                // An evicted replica stays stopped until a restart or a changed spec.
                if self.is_failed(&container_id(c)) {
                    return Ok(());
                }
                if !is_running(c) && c.state != Some(ContainerSummaryStateEnum::RESTARTING) {
                    self.start(ns, &container_id(c), &replica).await?;
                }
                return Ok(());
            }
            self.remove_container(&container_id(c)).await?;
        }
        self.create_replica(ns, plan, i, generation).await
    }

    /// Creates and starts replica `i` (no container of that name may exist). The writable
    /// layer gets its quota where the storage driver has one.
    async fn create_replica(
        &self,
        ns: &str,
        plan: &spec::ServicePlan,
        i: u32,
        generation: u64,
    ) -> WorkloadResult<()> {
        let name = names::container_name(ns, &plan.service, i);
        let replica = names::replica_name(&plan.service, i);
        let create = |body| {
            self.inner.docker.create_container(
                Some(CreateContainerOptions {
                    name: Some(name.clone()),
                    ..Default::default()
                }),
                body,
            )
        };
        let body = plan.replica_body(i, generation);
        let mut created = None;
        if let Some(limit) = plan
            .ephemeral_limit
            .filter(|_| self.inner.layer_quota.load(Ordering::Relaxed))
        {
            let mut quota = body.clone();
            if let Some(hc) = quota.host_config.as_mut() {
                hc.storage_opt = Some(HashMap::from([("size".to_string(), limit.to_string())]));
            }
            match create(quota).await {
                Ok(r) => created = Some(Ok(r)),
                Err(e) if storage::is_quota_error(&e) => {
                    self.inner.layer_quota.store(false, Ordering::Relaxed);
                    tracing::warn!(
                        "the storage driver has no quota ({e}): writable layers are measured \
                         and enforced by eviction from now on"
                    );
                }
                Err(e) => created = Some(Err(e)),
            }
        }
        let created = match created {
            Some(r) => r,
            None => create(body).await,
        };
        created.map_err(|e| match status_code(&e) {
            Some(400) => WorkloadError::Unavailable(format!(
                "service {}: Docker refused the container: {e}",
                plan.service
            )),
            _ => internal("creating a container")(e),
        })?;
        self.push(event(
            ns,
            false,
            "Created",
            format!("Created container from image {:?}", plan.image),
            KIND_POD,
            replica.clone(),
        ));
        self.start(ns, &name, &replica).await
    }

    async fn deploy_locked(&self, lease: &LeaseId, group: &Group) -> WorkloadResult<()> {
        let cfg = &self.inner.cfg;
        if lease.provider != cfg.provider {
            return Err(WorkloadError::Unavailable(format!(
                "lease {} is for provider {}, not this provider ({})",
                names::lease_string(lease),
                lease.provider,
                cfg.provider
            )));
        }
        let ns = names::namespace(lease);

        // Everything the tenant could have got wrong is checked before anything changes.
        let mut plans = Vec::new();
        let mut seen = BTreeSet::new();
        for svc in &group.services {
            if !seen.insert(svc.name.as_str()) {
                return Err(WorkloadError::Unavailable(format!(
                    "service {} appears twice in group {}",
                    svc.name, group.name
                )));
            }
            plans.push(spec::plan_service(cfg, lease, svc).map_err(WorkloadError::Unavailable)?);
        }
        let routes = self.routes(lease, group);
        self.inner
            .ingress
            .check_hosts(&ns, routes.keys())
            .map_err(|e| WorkloadError::Unavailable(e.to_string()))?;

        // This runtime looks after the lease from now on (watcher, storage measurements).
        self.inner.events.ensure(&ns);
        for svc in &group.services {
            self.ensure_image(&ns, svc).await?;
        }
        self.ensure_network(&ns, lease).await?;
        self.store_record(&ns, lease, group)
            .map_err(WorkloadError::Internal)?;

        let existing = self.containers(Some(&ns)).await?;
        let mut by_name: BTreeMap<String, &ContainerSummary> = BTreeMap::new();
        for c in &existing {
            if let (Some(s), Some(r)) = (label(c, LABEL_SERVICE), replica_of(c)) {
                by_name.insert(names::container_name(&ns, s, r), c);
            }
        }

        let mut replicas = Vec::new();
        for plan in &plans {
            for v in &plan.volumes {
                let size = plan.volume_sizes.get(v).copied();
                self.ensure_volume(lease, &plan.service, v, size).await?;
            }
            // Generation: unchanged spec keeps its number, a new spec gets the next one.
            let mine: Vec<&ContainerSummary> = existing
                .iter()
                .filter(|c| label(c, LABEL_SERVICE) == Some(plan.service.as_str()))
                .collect();
            let gen_of = |c: &&ContainerSummary| -> u64 {
                label(c, LABEL_GENERATION)
                    .and_then(|g| g.parse().ok())
                    .unwrap_or(0)
            };
            let generation = mine
                .iter()
                .find(|c| label(c, LABEL_SPEC) == Some(plan.spec_hash.as_str()))
                .map(gen_of)
                .unwrap_or_else(|| mine.iter().map(gen_of).max().unwrap_or(0) + 1);

            for i in 0..plan.count {
                let name = names::container_name(&ns, &plan.service, i);
                let current = by_name.get(&name).copied();
                replicas.push(self.ensure_replica(&ns, plan, i, generation, current));
            }
        }
        // Replicas are created and started a few at a time: Docker does much of the work of
        // one container while waiting on the kernel, so this is several times faster.
        let results: Vec<WorkloadResult<()>> = stream::iter(replicas)
            .buffer_unordered(PARALLEL_CONTAINER_OPS)
            .collect()
            .await;
        results.into_iter().collect::<WorkloadResult<()>>()?;

        // Replicas and services the group no longer has.
        for c in &existing {
            let keep = match (label(c, LABEL_SERVICE), replica_of(c)) {
                (Some(s), Some(r)) => plans.iter().any(|p| p.service == s && r < p.count),
                _ => false,
            };
            if !keep {
                self.remove_container(&container_id(c)).await?;
            }
        }
        let wanted: BTreeSet<&String> = plans.iter().flat_map(|p| &p.volumes).collect();
        for v in self.volumes(Some(&ns)).await? {
            if !wanted.contains(&v) {
                self.remove_volume(&v).await?;
            }
        }

        self.set_routes(lease, group)?;
        Ok(())
    }

    async fn volumes(&self, ns: Option<&str>) -> WorkloadResult<Vec<String>> {
        let filters = HashMap::from([(
            "label".to_string(),
            names::label_filter(&self.inner.cfg.provider, ns),
        )]);
        let list = self
            .inner
            .docker
            .list_volumes(Some(ListVolumesOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(internal("listing volumes"))?;
        let mut v: Vec<String> = list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.name)
            .collect();
        v.sort();
        Ok(v)
    }

    async fn remove_volume(&self, name: &str) -> WorkloadResult<()> {
        match self
            .inner
            .docker
            .remove_volume(name, Some(RemoveVolumeOptions { force: true }))
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(internal("removing a volume")(e)),
        }
    }

    /// Containers of a lease that belong to `services` (all when empty); NotFound if the lease
    /// or a named service has none.
    async fn service_containers(
        &self,
        lease: &LeaseId,
        services: &[String],
    ) -> WorkloadResult<Vec<ContainerSummary>> {
        let ns = names::namespace(lease);
        let all = self.containers(Some(&ns)).await?;
        if all.is_empty() {
            return Err(WorkloadError::NotFound(format!(
                "no workload for lease {} on this provider",
                names::lease_string(lease)
            )));
        }
        for s in services {
            if !all
                .iter()
                .any(|c| label(c, LABEL_SERVICE) == Some(s.as_str()))
            {
                return Err(WorkloadError::NotFound(format!(
                    "lease {} has no service {s}",
                    names::lease_string(lease)
                )));
            }
        }
        Ok(all
            .into_iter()
            .filter(|c| {
                services.is_empty()
                    || services
                        .iter()
                        .any(|s| label(c, LABEL_SERVICE) == Some(s.as_str()))
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl Workloads for Runtime {
    async fn deploy(&self, lease: &LeaseId, group: &Group) -> WorkloadResult<()> {
        let ns = names::namespace(lease);
        let lock = self.lease_lock(&ns);
        let _guard = lock.lock().await;
        self.deploy_locked(lease, group).await
    }

    async fn teardown(&self, lease: &LeaseId) -> WorkloadResult<()> {
        let ns = names::namespace(lease);
        let lock = self.lease_lock(&ns);
        let _guard = lock.lock().await;
        self.inner.tearing_down.lock().unwrap().insert(ns.clone());
        let result = async {
            self.inner.ingress.remove_namespace(&ns);
            let containers = self.containers(Some(&ns)).await?;
            let removals: Vec<_> = containers
                .iter()
                .map(|c| self.remove_container(c.id.as_deref().unwrap_or_default()))
                .collect();
            let removals: Vec<WorkloadResult<()>> = stream::iter(removals)
                .buffer_unordered(PARALLEL_CONTAINER_OPS)
                .collect()
                .await;
            removals.into_iter().collect::<WorkloadResult<()>>()?;
            match self.inner.docker.remove_network(&ns).await {
                Ok(()) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(internal("removing the lease network")(e)),
            }
            for v in self.volumes(Some(&ns)).await? {
                self.remove_volume(&v).await?;
            }
            match std::fs::remove_file(self.record_path(&ns)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(WorkloadError::Internal(anyhow::anyhow!(
                        "removing the manifest of lease {}: {e}",
                        names::lease_string(lease)
                    )))
                }
            }
            self.inner.events.forget(&ns);
            self.inner.failed.lock().unwrap().retain(|_, f| f.ns != ns);
            Ok(())
        }
        .await;
        self.inner.tearing_down.lock().unwrap().remove(&ns);
        self.inner.locks.lock().unwrap().remove(&ns);
        result
    }

    async fn leases(&self) -> WorkloadResult<Vec<LeaseId>> {
        let provider = &self.inner.cfg.provider;
        let mut found: BTreeMap<String, LeaseId> = BTreeMap::new();
        let mut add = |labels: &HashMap<String, String>| {
            if let Some(l) = names::lease_from_labels(labels) {
                if &l.provider == provider {
                    found.insert(names::namespace(&l), l);
                }
            }
        };
        for c in self.containers(None).await? {
            if let Some(l) = &c.labels {
                add(l);
            }
        }
        let filters = HashMap::from([("label".to_string(), names::label_filter(provider, None))]);
        let networks = self
            .inner
            .docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(filters.clone()),
            }))
            .await
            .map_err(internal("listing networks"))?;
        for n in networks {
            if let Some(l) = &n.labels {
                add(l);
            }
        }
        let volumes = self
            .inner
            .docker
            .list_volumes(Some(ListVolumesOptions {
                filters: Some(filters),
            }))
            .await
            .map_err(internal("listing volumes"))?;
        for v in volumes.volumes.unwrap_or_default() {
            add(&v.labels);
        }
        // A manifest whose containers are gone (crash mid-teardown) still names a lease to
        // reconcile.
        let dir = &self.inner.cfg.state_dir;
        let entries = std::fs::read_dir(dir).map_err(|e| {
            WorkloadError::Internal(anyhow::anyhow!("reading {}: {e}", dir.display()))
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            if let Ok(rec) = serde_json::from_slice::<Record>(&bytes) {
                let l: LeaseId = rec.lease.into();
                if &l.provider == provider {
                    found.insert(names::namespace(&l), l);
                }
            }
        }
        let mut leases: Vec<LeaseId> = found.into_values().collect();
        leases.sort_by(|a, b| {
            (&a.owner, a.dseq, a.gseq, a.oseq).cmp(&(&b.owner, b.dseq, b.gseq, b.oseq))
        });
        Ok(leases)
    }

    async fn manifest(&self, lease: &LeaseId) -> WorkloadResult<Option<Group>> {
        self.load_record(&names::namespace(lease))
            .map_err(WorkloadError::Internal)
    }

    async fn status(&self, lease: &LeaseId) -> WorkloadResult<LeaseStatus> {
        let ns = names::namespace(lease);
        let group = self.load_record(&ns).map_err(WorkloadError::Internal)?;
        let containers = self.containers(Some(&ns)).await?;
        let Some(group) = group else {
            return Err(WorkloadError::NotFound(format!(
                "no manifest for lease {} on this provider",
                names::lease_string(lease)
            )));
        };
        let cfg = &self.inner.cfg;
        let mut status = LeaseStatus::default();
        for svc in &group.services {
            let mine: Vec<&ContainerSummary> = containers
                .iter()
                .filter(|c| label(c, LABEL_SERVICE) == Some(svc.name.as_str()))
                .collect();
            let plan = spec::plan_service(cfg, lease, svc).ok();
            // Evicted or wedged replicas are not available, even while Docker still lists
            // them as running (a kill that has not finished).
            let failed: Vec<Failed> = {
                let f = self.inner.failed.lock().unwrap();
                mine.iter()
                    .filter_map(|c| f.get(&container_id(c)).cloned())
                    .collect()
            };
            for f in &failed {
                status.errors.push(format!(
                    "service {} replica {}: {}",
                    svc.name, f.replica, f.reason
                ));
            }
            let running = mine
                .iter()
                .filter(|c| is_running(c) && !self.is_failed(&container_id(c)))
                .count() as u32;
            let updated = mine
                .iter()
                .filter(|c| {
                    plan.as_ref()
                        .is_some_and(|p| label(c, LABEL_SPEC) == Some(p.spec_hash.as_str()))
                })
                .count() as u32;
            let generation = mine
                .iter()
                .filter_map(|c| label(c, LABEL_GENERATION)?.parse::<u64>().ok())
                .max()
                .unwrap_or(0);
            let uris: Vec<String> = plan
                .as_ref()
                .map(|p| p.ingress.iter().flat_map(|i| i.hosts.clone()).collect())
                .unwrap_or_default();
            status.services.insert(
                svc.name.clone(),
                ServiceStatus {
                    name: svc.name.clone(),
                    available: running,
                    total: svc.count,
                    uris,
                    observed_generation: generation,
                    replicas: svc.count,
                    updated_replicas: updated,
                    ready_replicas: running,
                    available_replicas: running,
                },
            );
            let Some(plan) = plan else { continue };
            let mut ports = Vec::new();
            for c in &mine {
                for p in c.ports.iter().flatten() {
                    let proto = p
                        .typ
                        .map(|t| t.to_string().to_ascii_lowercase())
                        .unwrap_or_default();
                    let Some(public) = p.public_port else {
                        continue;
                    };
                    let Some(f) = plan
                        .forwards
                        .iter()
                        .find(|f| f.port == p.private_port && f.proto == proto)
                    else {
                        continue;
                    };
                    let fp = ForwardedPort {
                        host: cfg.cluster_public_hostname.clone(),
                        port: f.external_port,
                        external_port: public,
                        proto: proto.to_ascii_uppercase(),
                        name: svc.name.clone(),
                    };
                    // Docker lists a binding once per address family.
                    if !ports.contains(&fp) {
                        ports.push(fp);
                    }
                }
            }
            if !ports.is_empty() {
                status.forwarded_ports.insert(svc.name.clone(), ports);
            }
        }
        Ok(status)
    }

    async fn events(
        &self,
        lease: &LeaseId,
        follow: bool,
    ) -> WorkloadResult<BoxStream<'static, LeaseEvent>> {
        let ns = names::namespace(lease);
        if !self.inner.events.has(&ns) && self.load_record(&ns).ok().flatten().is_none() {
            return Err(WorkloadError::NotFound(format!(
                "no workload for lease {} on this provider",
                names::lease_string(lease)
            )));
        }
        Ok(self.inner.events.stream(&ns, follow))
    }

    async fn logs(
        &self,
        lease: &LeaseId,
        services: &[String],
        follow: bool,
        tail: Option<u64>,
    ) -> WorkloadResult<BoxStream<'static, LogLine>> {
        let containers = self.service_containers(lease, services).await?;
        let mut streams = Vec::new();
        for c in &containers {
            let (Some(svc), Some(r)) = (label(c, LABEL_SERVICE), replica_of(c)) else {
                continue;
            };
            let name = names::replica_name(svc, r);
            let raw = self.inner.docker.logs(
                &container_id(c),
                Some(LogsOptions {
                    follow,
                    stdout: true,
                    stderr: true,
                    tail: tail.map(|t| t.to_string()).unwrap_or_else(|| "all".into()),
                    ..Default::default()
                }),
            );
            streams.push(log_lines(name, raw.boxed()));
        }
        if follow {
            Ok(stream::select_all(streams).boxed())
        } else {
            // Without follow each replica's lines come together, replica after replica.
            Ok(stream::iter(streams).flatten().boxed())
        }
    }

    async fn exec(
        &self,
        lease: &LeaseId,
        service: &str,
        replica: usize,
        cmd: Vec<String>,
        tty: bool,
        stdin: bool,
    ) -> WorkloadResult<Exec> {
        if cmd.is_empty() {
            return Err(WorkloadError::Unavailable("no command given".into()));
        }
        let containers = self
            .service_containers(lease, &[service.to_string()])
            .await?;
        let Some(c) = containers
            .iter()
            .find(|c| replica_of(c).map(|r| r as usize) == Some(replica))
        else {
            return Err(WorkloadError::NotFound(format!(
                "service {service} has no replica {replica} (it has {})",
                containers.len()
            )));
        };
        if !is_running(c) {
            return Err(WorkloadError::Unavailable(format!(
                "replica {replica} of service {service} is not running"
            )));
        }
        let docker = &self.inner.docker;
        let created = docker
            .create_exec(
                &container_id(c),
                ExecConfig {
                    attach_stdin: Some(stdin),
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    tty: Some(tty),
                    cmd: Some(cmd),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| match status_code(&e) {
                Some(409) => WorkloadError::Unavailable(format!(
                    "replica {replica} of service {service} is not running"
                )),
                _ => internal("creating an exec")(e),
            })?;
        let started = docker
            .start_exec(
                &created.id,
                Some(StartExecOptions {
                    detach: false,
                    tty,
                    output_capacity: None,
                }),
            )
            .await
            .map_err(internal("starting an exec"))?;
        let StartExecResults::Attached { output, input } = started else {
            return Err(WorkloadError::Internal(anyhow::anyhow!(
                "exec started detached"
            )));
        };
        let output = output
            .filter_map(|item| async move {
                match item {
                    Ok(LogOutput::StdOut { message }) | Ok(LogOutput::Console { message }) => {
                        Some(ExecOutput::Stdout(message.to_vec()))
                    }
                    Ok(LogOutput::StdErr { message }) => Some(ExecOutput::Stderr(message.to_vec())),
                    Ok(LogOutput::StdIn { .. }) => None,
                    Err(e) => {
                        tracing::debug!("exec output: {e}");
                        None
                    }
                }
            })
            .boxed();
        Ok(Exec {
            output,
            stdin: stdin.then_some(input),
            control: Box::new(DockerExec {
                docker: docker.clone(),
                id: created.id,
            }),
        })
    }

    /// Every replica of the service is killed (SIGKILL: a container whose processes ignore
    /// SIGTERM, or a fork bomb at its pids limit, must not hold a restart up) and started again;
    /// a replica that does not stop within [`RESTART_STOP_TIMEOUT`], or that was evicted for its
    /// writable layer, is removed and created afresh. Evictions are lifted.
    async fn restart(&self, lease: &LeaseId, service: &str) -> WorkloadResult<()> {
        let ns = names::namespace(lease);
        let lock = self.lease_lock(&ns);
        let _guard = lock.lock().await;
        let containers = self
            .service_containers(lease, &[service.to_string()])
            .await?;
        let plan = self
            .load_record(&ns)
            .map_err(WorkloadError::Internal)?
            .and_then(|g| g.services.into_iter().find(|s| s.name == service))
            .and_then(|svc| spec::plan_service(&self.inner.cfg, lease, &svc).ok());
        // All replicas at once.
        let restarts = containers
            .iter()
            .map(|c| self.restart_replica(&ns, plan.as_ref(), c));
        for r in futures::future::join_all(restarts).await {
            r?;
        }
        Ok(())
    }
}

/// What [`Runtime::wait_container`] waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    Stopped,
    Gone,
}

/// How long a restart waits for a killed replica to stop before it removes it.
pub const RESTART_STOP_TIMEOUT: Duration = Duration::from_secs(20);

impl Runtime {
    /// Whether the container reached `until` within `timeout`: polls its state, and while
    /// waiting for it to be gone asks Docker again to remove it.
    async fn wait_container(&self, id: &str, until: Until, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self
                .inner
                .docker
                .inspect_container(
                    id,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
            {
                Ok(c) if until == Until::Stopped => {
                    let st = c.state.unwrap_or_default();
                    if st.running != Some(true) && st.restarting != Some(true) {
                        return true;
                    }
                }
                Ok(_) => {}
                Err(e) if is_not_found(&e) => return true,
                Err(e) => tracing::debug!("inspecting {id}: {e}"),
            }
            if Instant::now() >= deadline {
                return false;
            }
            if until == Until::Gone {
                self.remove_container(id).await.ok();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn restart_replica(
        &self,
        ns: &str,
        plan: Option<&spec::ServicePlan>,
        c: &ContainerSummary,
    ) -> WorkloadResult<()> {
        let id = container_id(c);
        let i = replica_of(c).unwrap_or(0);
        let service = label(c, LABEL_SERVICE).unwrap_or_default().to_string();
        let replica = names::replica_name(&service, i);
        // Kept out of the watcher's hands while the runtime restarts it.
        let evicted = self.inner.failed.lock().unwrap().insert(
            id.clone(),
            Failed {
                ns: ns.to_string(),
                replica: replica.clone(),
                reason: "restarting".into(),
            },
        );
        let fresh_layer = evicted
            .as_ref()
            .is_some_and(|f| f.reason.starts_with("ephemeral storage"));
        let result = async {
            // Errors are expected here: 409 when it is not running, 500 "tried to kill
            // container, but did not receive an exit event" when its processes take long to
            // die. What counts is whether it stops.
            if let Err(e) = self
                .inner
                .docker
                .kill_container(
                    &id,
                    Some(bollard::query_parameters::KillContainerOptions {
                        signal: "SIGKILL".into(),
                    }),
                )
                .await
            {
                tracing::debug!("killing {id} for a restart: {e}");
            }
            let stopped = self.wait_container(&id, Until::Stopped, RESTART_STOP_TIMEOUT).await;
            let recreate = !stopped || fresh_layer;
            match (recreate, plan) {
                (false, _) | (true, None) => {
                    if !stopped {
                        return Err(WorkloadError::Internal(anyhow::anyhow!(
                            "replica {replica} did not stop within {RESTART_STOP_TIMEOUT:?} of SIGKILL"
                        )));
                    }
                    self.start(ns, &id, &replica).await
                }
                (true, Some(plan)) => {
                    let generation = label(c, LABEL_GENERATION)
                        .and_then(|g| g.parse().ok())
                        .unwrap_or(1);
                    self.remove_container(&id).await?;
                    // Removal of a wedged container may take a moment.
                    if !self.wait_container(&id, Until::Gone, RESTART_STOP_TIMEOUT).await {
                        return Err(WorkloadError::Internal(anyhow::anyhow!(
                            "replica {replica} could not be removed within {RESTART_STOP_TIMEOUT:?}"
                        )));
                    }
                    self.create_replica(ns, plan, i, generation).await
                }
            }
        }
        .await;
        match &result {
            Ok(()) => {
                self.inner.failed.lock().unwrap().remove(&id);
            }
            Err(e) => {
                // Wedged: reported unavailable, with the reason.
                self.inner.failed.lock().unwrap().insert(
                    id.clone(),
                    Failed {
                        ns: ns.to_string(),
                        replica: replica.clone(),
                        reason: format!("restart failed: {e}"),
                    },
                );
                self.push(event(
                    ns,
                    true,
                    "FailedRestart",
                    format!("Restart failed: {e}"),
                    KIND_POD,
                    replica,
                ));
            }
        }
        result
    }
}

/// Splits a container's output into lines (Docker frames are writes, not lines).
fn log_lines(
    name: String,
    raw: BoxStream<'static, Result<LogOutput, bollard::errors::Error>>,
) -> BoxStream<'static, LogLine> {
    struct St {
        raw: BoxStream<'static, Result<LogOutput, bollard::errors::Error>>,
        buf: Vec<u8>,
        ready: std::collections::VecDeque<String>,
        done: bool,
    }
    let st = St {
        raw,
        buf: Vec::new(),
        ready: Default::default(),
        done: false,
    };
    stream::unfold(st, move |mut st| {
        let name = name.clone();
        async move {
            loop {
                if let Some(line) = st.ready.pop_front() {
                    return Some((
                        LogLine {
                            name,
                            message: line,
                        },
                        st,
                    ));
                }
                if st.done {
                    return None;
                }
                match st.raw.next().await {
                    Some(Ok(
                        LogOutput::StdOut { message }
                        | LogOutput::StdErr { message }
                        | LogOutput::Console { message },
                    )) => {
                        st.buf.extend_from_slice(&message);
                        while let Some(pos) = st.buf.iter().position(|b| *b == b'\n') {
                            let mut line: Vec<u8> = st.buf.drain(..=pos).collect();
                            line.pop();
                            if line.last() == Some(&b'\r') {
                                line.pop();
                            }
                            st.ready
                                .push_back(String::from_utf8_lossy(&line).into_owned());
                        }
                    }
                    Some(Ok(LogOutput::StdIn { .. })) => {}
                    Some(Err(e)) => {
                        tracing::debug!("logs of {name}: {e}");
                        st.done = true;
                    }
                    None => st.done = true,
                }
                if st.done && !st.buf.is_empty() {
                    let rest = std::mem::take(&mut st.buf);
                    st.ready
                        .push_back(String::from_utf8_lossy(&rest).into_owned());
                }
            }
        }
    })
    .boxed()
}

struct DockerExec {
    docker: Docker,
    id: String,
}

#[async_trait::async_trait]
impl ExecControl for DockerExec {
    async fn resize(&self, width: u16, height: u16) -> anyhow::Result<()> {
        self.docker
            .resize_exec(
                &self.id,
                ResizeExecOptions {
                    h: height as i32,
                    w: width as i32,
                },
            )
            .await?;
        Ok(())
    }

    async fn exit_code(&self) -> anyhow::Result<i64> {
        // The output stream ends a moment before Docker records the exit code.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let info = self.docker.inspect_exec(&self.id).await?;
            if info.running != Some(true) {
                if let Some(code) = info.exit_code {
                    return Ok(code);
                }
            }
            if Instant::now() > deadline {
                anyhow::bail!("exec {} has not finished", self.id);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Resolves ingress routes to the lease-network IPs of the service's running containers.
struct DockerBackends {
    docker: Docker,
    provider: String,
}

#[async_trait::async_trait]
impl Backends for DockerBackends {
    async fn resolve(&self, route: &Route) -> anyhow::Result<Vec<SocketAddr>> {
        let mut labels = names::label_filter(&self.provider, Some(&route.namespace));
        labels.push(format!("{LABEL_SERVICE}={}", route.service));
        let filters = HashMap::from([
            ("label".to_string(), labels),
            ("status".to_string(), vec!["running".to_string()]),
        ]);
        let mut list = self
            .docker
            .list_containers(Some(ListContainersOptions {
                filters: Some(filters),
                ..Default::default()
            }))
            .await?;
        list.sort_by_key(|c| replica_of(c).unwrap_or(u32::MAX));
        let mut addrs = Vec::new();
        for c in list {
            let ip = c
                .network_settings
                .as_ref()
                .and_then(|n| n.networks.as_ref())
                .and_then(|n| n.get(&route.namespace))
                .and_then(|e| e.ip_address.as_deref())
                .and_then(|ip| ip.parse::<IpAddr>().ok());
            if let Some(ip) = ip {
                addrs.push(SocketAddr::new(ip, route.port));
            }
        }
        Ok(addrs)
    }
}

/// Follows Docker's container events for this provider's leases: records exits and restarts
/// in the lease's event log, drops stale ingress addresses, and starts again a container that
/// Docker's restart policy gave up on.
async fn watch_docker_events(inner: Weak<Inner>, docker: Docker, provider: String) {
    // Containers seen dying and not yet started again.
    let mut died: BTreeSet<String> = BTreeSet::new();
    loop {
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            ("label".to_string(), names::label_filter(&provider, None)),
        ]);
        let mut events = docker.events(Some(EventsOptions {
            filters: Some(filters),
            ..Default::default()
        }));
        while let Some(ev) = events.next().await {
            let Some(inner) = inner.upgrade() else { return };
            match ev {
                Ok(ev) => on_docker_event(&inner, ev, &mut died),
                Err(e) => {
                    tracing::warn!("docker event stream: {e}");
                    break;
                }
            }
        }
        if inner.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn on_docker_event(inner: &Arc<Inner>, ev: EventMessage, died: &mut BTreeSet<String>) {
    let Some(actor) = ev.actor else { return };
    let (Some(id), Some(attrs)) = (actor.id, actor.attributes) else {
        return;
    };
    let (Some(ns), Some(service), Some(replica)) = (
        attrs.get(LABEL_NAMESPACE),
        attrs.get(LABEL_SERVICE),
        attrs.get(LABEL_REPLICA).and_then(|r| r.parse::<u32>().ok()),
    ) else {
        return;
    };
    let name = names::replica_name(service, replica);
    // Events of a lease torn down by this runtime are not recorded (its log is gone).
    let known = inner.events.has(ns);
    match ev.action.as_deref() {
        Some("die") => {
            inner.ingress.invalidate(ns);
            died.insert(id.clone());
            if known {
                let code = attrs.get("exitCode").map(String::as_str).unwrap_or("?");
                inner.events.push(event(
                    ns,
                    true,
                    "Exited",
                    format!("Exited with code {code}"),
                    KIND_POD,
                    name,
                ));
            }
            let inner = Arc::downgrade(inner);
            let ns = ns.clone();
            tokio::spawn(async move {
                // Docker's own restart (policy "always") comes first; only a container left
                // stopped (killed, or stopped by hand) is started here.
                tokio::time::sleep(Duration::from_secs(1)).await;
                let Some(inner) = inner.upgrade() else { return };
                if inner.tearing_down.lock().unwrap().contains(&ns) {
                    return;
                }
                // Evicted (or being restarted by the runtime): left as it is. Leases this
                // runtime neither deployed nor adopted are another runtime's to look after
                // (tests run several runtimes for one provider on one dockerd).
                if inner.failed.lock().unwrap().contains_key(&id) || !inner.events.has(&ns) {
                    return;
                }
                let Ok(c) = inner
                    .docker
                    .inspect_container(
                        &id,
                        None::<bollard::query_parameters::InspectContainerOptions>,
                    )
                    .await
                else {
                    return; // removed meanwhile (teardown, update)
                };
                let state = c.state.and_then(|s| s.status);
                if matches!(
                    state,
                    Some(ContainerStateStatusEnum::EXITED) | Some(ContainerStateStatusEnum::DEAD)
                ) {
                    if let Err(e) = inner
                        .docker
                        .start_container(&id, None::<StartContainerOptions>)
                        .await
                    {
                        tracing::warn!("starting {id} again: {e}");
                    }
                }
            });
        }
        Some("start") => {
            inner.ingress.invalidate(ns);
            if died.remove(&id) && known {
                inner.events.push(event(
                    ns,
                    false,
                    "Restarted",
                    "Container restarted after exiting".into(),
                    KIND_POD,
                    name,
                ));
            }
        }
        Some("oom") if known => {
            inner.events.push(event(
                ns,
                true,
                "OOMKilled",
                "Out of memory: the container went over its memory limit".into(),
                KIND_POD,
                name,
            ));
        }
        Some("destroy") => {
            died.remove(&id);
            inner.failed.lock().unwrap().remove(&id);
        }
        _ => {}
    }
}
