//! Storage limits a lease cannot escape: each replica's writable layer is held to the service's
//! ephemeral storage, each named volume to its declared size.
//!
//! Two modes, chosen per kind of storage when the runtime connects ([`detect`]) and logged:
//!
//! - **quota**: the storage driver enforces the size (writes past it fail with ENOSPC). The
//!   writable layer gets `HostConfig.StorageOpt size=` where the driver supports it (overlay2 on
//!   xfs mounted with `pquota`, btrfs, zfs, devicemapper); volumes get the local driver's `size`
//!   option (xfs with `pquota` under Docker's root). Docker's `info` cannot tell whether xfs is
//!   mounted with `pquota`, so quota mode is provisional: the first creation dockerd refuses with
//!   a quota error switches that kind of storage to measure mode for good (logged as a warning).
//! - **measure** (everything else, e.g. overlay2 on ext4): every `storage_check_interval_ms` the
//!   runtime measures usage through the Docker API, as kubelet does for `ephemeral-storage`:
//!   `GET /containers/json?size=true` (`SizeRw`, the writable layer) and `GET /system/df`
//!   (each volume's `UsageData.Size`). A replica past its limit is evicted: killed, left stopped
//!   (neither Docker's restart policy nor the runtime's watcher starts it again), reported
//!   unavailable with the reason in the lease status' `errors`, and an `Evicted` warning
//!   event says by how much. A volume past its size evicts every replica of the service that
//!   mounts it. `lease restart` brings an evicted replica back (a fresh container, so a fresh
//!   writable layer); an update of the deployment replaces it too.
//!
//! Evictions are remembered in memory: after a provider restart a replica that is still over
//! its limit is evicted again at the next measurement.

use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::Duration;

use bollard::models::{ContainerSummary, SystemInfo};
use bollard::query_parameters::{DataUsageOptions, KillContainerOptions, ListContainersOptions};

use super::events::{event, KIND_POD};
use super::names::{self, LABEL_NAMESPACE, LABEL_SERVICE};
use super::spec::{self, ServicePlan};
use super::{container_id, internal, label, replica_of, Failed, Inner, Runtime};
use crate::workload::WorkloadResult;

use std::collections::{BTreeMap, HashMap};

/// How one kind of storage is held to its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enforcement {
    /// The storage driver's quota.
    Quota,
    /// Measured periodically; a replica over its size is evicted.
    Measure,
}

impl std::fmt::Display for Enforcement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Enforcement::Quota => "quota",
            Enforcement::Measure => "measure-and-evict",
        })
    }
}

/// How the runtime enforces storage sizes right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StorageMode {
    /// Each replica's writable layer (the service's ephemeral storage).
    pub writable_layer: Enforcement,
    /// Named (persistent) volumes.
    pub volumes: Enforcement,
}

impl std::fmt::Display for StorageMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "writable layer: {}, volumes: {}",
            self.writable_layer, self.volumes
        )
    }
}

/// `driver` and `Backing Filesystem` of `docker info`.
pub fn driver_of(info: &SystemInfo) -> (String, String) {
    let driver = info.driver.clone().unwrap_or_default();
    let backing = info
        .driver_status
        .iter()
        .flatten()
        .find(|kv| kv.first().map(String::as_str) == Some("Backing Filesystem"))
        .and_then(|kv| kv.get(1).cloned())
        .unwrap_or_default();
    (driver, backing)
}

/// The mode `docker info` allows (provisional for quota: see the module doc). `want_quota`
/// false forces measure mode.
pub fn detect(driver: &str, backing_fs: &str, want_quota: bool) -> StorageMode {
    if !want_quota {
        return StorageMode {
            writable_layer: Enforcement::Measure,
            volumes: Enforcement::Measure,
        };
    }
    let xfs = backing_fs.eq_ignore_ascii_case("xfs");
    let writable_layer = match driver {
        "overlay2" | "overlay" if xfs => Enforcement::Quota,
        "btrfs" | "zfs" | "devicemapper" | "windowsfilter" => Enforcement::Quota,
        _ => Enforcement::Measure,
    };
    // The local volume driver keeps volumes under Docker's root, on the same filesystem the
    // storage driver reports.
    let volumes = if xfs {
        Enforcement::Quota
    } else {
        Enforcement::Measure
    };
    StorageMode {
        writable_layer,
        volumes,
    }
}

/// Whether dockerd refused a creation because the storage has no quota support
/// ("--storage-opt is supported only for overlay over xfs with 'pquota' mount option",
/// "quota size requested but no quota support", ...).
pub fn is_quota_error(e: &bollard::errors::Error) -> bool {
    let m = e.to_string().to_ascii_lowercase();
    m.contains("storage-opt") || m.contains("storage opt") || m.contains("quota")
}

/// Sizes as Kubernetes writes them: `400Mi`, `2Gi`, `512Ki`.
pub fn human(bytes: u64) -> String {
    const KI: u64 = 1024;
    const MI: u64 = KI * KI;
    const GI: u64 = MI * KI;
    if bytes >= GI && bytes.is_multiple_of(GI) {
        format!("{}Gi", bytes / GI)
    } else if bytes >= MI {
        format!("{}Mi", bytes / MI)
    } else if bytes >= KI {
        format!("{}Ki", bytes / KI)
    } else {
        format!("{bytes}")
    }
}

/// Measures storage every `every` while the runtime lives.
pub(super) async fn monitor(inner: Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else { return };
        let rt = Runtime { inner };
        if let Err(e) = rt.check_storage().await {
            tracing::warn!("storage check: {e}");
        }
    }
}

impl Runtime {
    /// How storage sizes are enforced now (logged when the runtime connects).
    pub fn storage_mode(&self) -> StorageMode {
        let m = |quota: bool| {
            if quota {
                Enforcement::Quota
            } else {
                Enforcement::Measure
            }
        };
        StorageMode {
            writable_layer: m(self.inner.layer_quota.load(Ordering::Relaxed)),
            volumes: m(self.inner.volume_quota.load(Ordering::Relaxed)),
        }
    }

    /// One measurement of the storage no quota holds; evicts what is over its size. Only leases
    /// this runtime deployed or adopted are looked at.
    pub async fn check_storage(&self) -> WorkloadResult<()> {
        let layer = !self.inner.layer_quota.load(Ordering::Relaxed);
        let vols = !self.inner.volume_quota.load(Ordering::Relaxed);
        if !layer && !vols {
            return Ok(());
        }
        let filters = HashMap::from([
            (
                "label".to_string(),
                names::label_filter(&self.inner.cfg.provider, None),
            ),
            ("status".to_string(), vec!["running".to_string()]),
        ]);
        let list = self
            .inner
            .docker
            .list_containers(Some(ListContainersOptions {
                all: false,
                size: layer,
                filters: Some(filters),
                ..Default::default()
            }))
            .await
            .map_err(internal("listing containers with their sizes"))?;

        // The plan of each (namespace, service), from the stored manifests.
        let mut plans: BTreeMap<(String, String), Option<ServicePlan>> = BTreeMap::new();
        let mut running: BTreeMap<(String, String), Vec<&ContainerSummary>> = BTreeMap::new();
        for c in &list {
            let (Some(ns), Some(service)) = (label(c, LABEL_NAMESPACE), label(c, LABEL_SERVICE))
            else {
                continue;
            };
            if !self.inner.events.has(ns)
                || self.inner.tearing_down.lock().unwrap().contains(ns)
                || self
                    .inner
                    .failed
                    .lock()
                    .unwrap()
                    .contains_key(&container_id(c))
            {
                continue;
            }
            let key = (ns.to_string(), service.to_string());
            if !plans.contains_key(&key) {
                let plan = self.plan_of(c, ns, service);
                plans.insert(key.clone(), plan);
            }
            running.entry(key.clone()).or_default().push(c);
            let Some(plan) = plans[&key].as_ref() else {
                continue;
            };
            if !layer {
                continue;
            }
            let (Some(limit), Some(used)) = (plan.ephemeral_limit, c.size_rw) else {
                continue;
            };
            let used = used.max(0) as u64;
            if used > limit {
                let reason = format!(
                    "ephemeral storage usage {} exceeds the {} limit: the replica was evicted; \
                     restart the service (kumo lease restart) for a fresh one, or update the \
                     deployment with more storage",
                    human(used),
                    human(limit)
                );
                self.evict(c, reason).await;
            }
        }

        if !vols || !plans.values().flatten().any(|p| !p.volume_sizes.is_empty()) {
            return Ok(());
        }
        let df = self
            .inner
            .docker
            .df(None::<DataUsageOptions>)
            .await
            .map_err(internal("measuring volumes"))?;
        for v in df.volumes.unwrap_or_default() {
            let Some(used) = v.usage_data.as_ref().map(|u| u.size) else {
                continue;
            };
            if used < 0 {
                continue; // not measured
            }
            let used = used as u64;
            for ((ns, service), plan) in &plans {
                let Some(limit) = plan.as_ref().and_then(|p| p.volume_sizes.get(&v.name)) else {
                    continue;
                };
                if used <= *limit {
                    continue;
                }
                let volume = v
                    .name
                    .strip_prefix(&format!("{ns}-{service}-"))
                    .unwrap_or(&v.name);
                let reason = format!(
                    "persistent volume {volume:?} usage {} exceeds its {} size: the service was \
                     evicted; delete data and restart it (kumo lease restart), or update the \
                     deployment with a larger volume",
                    human(used),
                    human(*limit)
                );
                for c in running
                    .get(&(ns.clone(), service.clone()))
                    .into_iter()
                    .flatten()
                {
                    if !self
                        .inner
                        .failed
                        .lock()
                        .unwrap()
                        .contains_key(&container_id(c))
                    {
                        self.evict(c, reason.clone()).await;
                    }
                }
            }
        }
        Ok(())
    }

    fn plan_of(&self, c: &ContainerSummary, ns: &str, service: &str) -> Option<ServicePlan> {
        let lease = names::lease_from_labels(c.labels.as_ref()?)?;
        let group = self.load_record(ns).ok()??;
        let svc = group.services.iter().find(|s| s.name == service)?;
        spec::plan_service(&self.inner.cfg, &lease, svc).ok()
    }

    /// Kills a replica and keeps it stopped, with a warning event saying why.
    pub(super) async fn evict(&self, c: &ContainerSummary, reason: String) {
        let id = container_id(c);
        let ns = label(c, LABEL_NAMESPACE).unwrap_or_default().to_string();
        let replica = names::replica_name(
            label(c, LABEL_SERVICE).unwrap_or_default(),
            replica_of(c).unwrap_or(0),
        );
        tracing::warn!(namespace = %ns, replica = %replica, "evicted: {reason}");
        // Recorded first: the watcher must not start the container again once it dies.
        self.inner.failed.lock().unwrap().insert(
            id.clone(),
            Failed {
                ns: ns.clone(),
                replica: replica.clone(),
                reason: reason.clone(),
            },
        );
        self.push(event(&ns, true, "Evicted", reason, KIND_POD, replica));
        if let Err(e) = self
            .inner
            .docker
            .kill_container(
                &id,
                Some(KillContainerOptions {
                    signal: "SIGKILL".into(),
                }),
            )
            .await
        {
            tracing::warn!("killing evicted container {id}: {e}");
        }
        self.inner.ingress.invalidate(&ns);
    }
}
