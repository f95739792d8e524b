//! Capacity and reservations (`../shared/spec/akash-offchain.md` §2.5, §2.10).
//!
//! The provider runs on one Docker host, so the cluster is one node: CPU, memory, ephemeral
//! storage and GPUs from that host (or declared), persistent storage classes as pools from the
//! config. Bidding reserves an order's resources (overcommit applied, GPUs never overcommitted,
//! wildcard GPU models resolved to a concrete one); the reservation is released when the bid is
//! lost, times out, or the order/lease closes. The sum of reservations never exceeds capacity.

pub mod discover;

use std::collections::BTreeMap;

use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::deployment::v1beta4::{GroupSpec, ResourceUnit};
use kumo_proto::akash::market::v1::OrderId;
use serde_json::json;

use crate::bidengine::decline::{Decline, Resource};
use crate::config::Overcommit;

/// One kind of GPU on the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuPool {
    /// Lowercase, e.g. `nvidia`.
    pub vendor: String,
    /// Lowercase, e.g. `a100`.
    pub model: String,
    /// e.g. `80Gi`, empty when unknown.
    pub ram: String,
    /// `pcie` or `sxm`, empty when unknown.
    pub interface: String,
    pub count: u32,
}

impl GpuPool {
    /// The attribute key naming this model: `vendor/nvidia/model/a100/ram/80Gi`.
    pub fn key(&self, with_interface: bool) -> String {
        let mut k = format!("vendor/{}/model/{}", self.vendor, self.model);
        if !self.ram.is_empty() {
            k.push_str(&format!("/ram/{}", self.ram));
        }
        if with_interface && !self.interface.is_empty() {
            k.push_str(&format!("/interface/{}", self.interface));
        }
        k
    }
}

/// What the host offers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capacity {
    pub cpu_milli: u64,
    pub memory: u64,
    pub ephemeral_storage: u64,
    /// Persistent pools by class.
    pub storage_classes: BTreeMap<String, u64>,
    pub gpus: Vec<GpuPool>,
}

/// Resources taken (by one reservation or all of them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_milli: u128,
    pub memory: u128,
    pub ephemeral_storage: u128,
    pub storage_classes: BTreeMap<String, u128>,
    /// Per entry of `Capacity::gpus`.
    pub gpus: Vec<u128>,
}

impl Usage {
    fn add(&mut self, other: &Usage) {
        self.cpu_milli += other.cpu_milli;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        for (c, v) in &other.storage_classes {
            *self.storage_classes.entry(c.clone()).or_default() += v;
        }
        if self.gpus.len() < other.gpus.len() {
            self.gpus.resize(other.gpus.len(), 0);
        }
        for (i, v) in other.gpus.iter().enumerate() {
            self.gpus[i] += v;
        }
    }

    fn sub(&mut self, other: &Usage) {
        self.cpu_milli -= other.cpu_milli;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        for (c, v) in &other.storage_classes {
            if let Some(e) = self.storage_classes.get_mut(c) {
                *e -= v;
                if *e == 0 {
                    self.storage_classes.remove(c);
                }
            }
        }
        for (i, v) in other.gpus.iter().enumerate() {
            self.gpus[i] -= v;
        }
    }

    fn is_zero(&self) -> bool {
        self.cpu_milli == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.storage_classes.values().all(|v| *v == 0)
            && self.gpus.iter().all(|v| *v == 0)
    }
}

/// One storage volume of a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub name: String,
    pub size: u64,
    /// `ephemeral`, `ram`, or the persistent class (`beta2`, `default`).
    pub class: String,
    pub persistent: bool,
    pub attributes: Vec<Attribute>,
}

/// A resource unit read from a GroupSpec, with quantities as integers.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitRequest {
    pub id: u32,
    pub count: u32,
    pub cpu_milli: u64,
    pub memory: u64,
    pub volumes: Vec<Volume>,
    pub gpu_units: u32,
    pub gpu_attributes: Vec<Attribute>,
    /// Endpoints of the unit (count and leased IPs priced).
    pub endpoints: usize,
    /// Sequence numbers of its leased-IP endpoints.
    pub leased_ips: Vec<u32>,
    /// The unit as the order gave it (what the bid offers, GPU attributes rewritten).
    pub resources: kumo_proto::akash::base::resources::v1beta4::Resources,
}

fn resource_value(
    v: Option<&kumo_proto::akash::base::resources::v1beta4::ResourceValue>,
    what: &str,
    unit: u32,
) -> Result<u64, Decline> {
    let bytes = v.map(|v| v.val.as_slice()).unwrap_or_default();
    let s = std::str::from_utf8(bytes).unwrap_or("");
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u64>().map_err(|_| Decline::InvalidGroup {
        reason: format!("resource unit {unit}: {what} {s:?} is not a whole number"),
    })
}

impl UnitRequest {
    pub fn from_unit(u: &ResourceUnit) -> Result<UnitRequest, Decline> {
        let r = u.resource.as_ref().ok_or_else(|| Decline::InvalidGroup {
            reason: "a resource unit has no resources".into(),
        })?;
        let id = r.id;
        let cpu = r.cpu.as_ref();
        let mem = r.memory.as_ref();
        let gpu = r.gpu.as_ref();
        let mut volumes = Vec::with_capacity(r.storage.len());
        for s in &r.storage {
            let attr = |k: &str| {
                s.attributes
                    .iter()
                    .find(|a| a.key == k)
                    .map(|a| a.value.as_str())
            };
            let persistent = attr("persistent") == Some("true");
            let class = match (attr("class"), persistent) {
                (Some(c), _) if !c.is_empty() => c.to_string(),
                (_, true) => "default".to_string(),
                (_, false) => "ephemeral".to_string(),
            };
            volumes.push(Volume {
                name: s.name.clone(),
                size: resource_value(s.quantity.as_ref(), "storage size", id)?,
                class,
                persistent,
                attributes: s.attributes.clone(),
            });
        }
        let gpu_units = resource_value(gpu.and_then(|g| g.units.as_ref()), "GPU units", id)?;
        Ok(UnitRequest {
            id,
            count: u.count,
            cpu_milli: resource_value(cpu.and_then(|c| c.units.as_ref()), "CPU units", id)?,
            memory: resource_value(mem.and_then(|m| m.quantity.as_ref()), "memory size", id)?,
            volumes,
            gpu_units: u32::try_from(gpu_units).map_err(|_| Decline::InvalidGroup {
                reason: format!("resource unit {id}: {gpu_units} GPUs"),
            })?,
            gpu_attributes: gpu.map(|g| g.attributes.clone()).unwrap_or_default(),
            endpoints: r.endpoints.len(),
            leased_ips: r
                .endpoints
                .iter()
                .filter(|e| e.kind == 2)
                .map(|e| e.sequence_number)
                .collect(),
            resources: r.clone(),
        })
    }
}

/// A parsed GPU attribute key `vendor/<v>/model/<m>[/ram/<r>][/interface/<i>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuSelector {
    pub vendor: String,
    pub model: String,
    pub ram: Option<String>,
    pub interface: Option<String>,
}

impl GpuSelector {
    pub fn parse(key: &str) -> Option<GpuSelector> {
        let parts: Vec<&str> = key.split('/').collect();
        if parts.len() < 4 || parts[0] != "vendor" || parts[2] != "model" {
            return None;
        }
        let mut sel = GpuSelector {
            vendor: parts[1].to_ascii_lowercase(),
            model: parts[3].to_ascii_lowercase(),
            ram: None,
            interface: None,
        };
        let mut rest = &parts[4..];
        while rest.len() >= 2 {
            match rest[0] {
                "ram" => sel.ram = Some(rest[1].to_string()),
                "interface" => sel.interface = Some(normalize_interface(rest[1])),
                _ => return None,
            }
            rest = &rest[2..];
        }
        rest.is_empty().then_some(sel)
    }

    pub fn matches(&self, pool: &GpuPool) -> bool {
        self.vendor == pool.vendor
            && (self.model == "*" || self.model == pool.model)
            && self
                .ram
                .as_ref()
                .is_none_or(|r| r.eq_ignore_ascii_case(&pool.ram))
            && self
                .interface
                .as_ref()
                .is_none_or(|i| *i == normalize_interface(&pool.interface))
    }
}

/// `sxm4`, `SXM5` → `sxm`; `PCIe` → `pcie`.
pub fn normalize_interface(i: &str) -> String {
    let l = i.to_ascii_lowercase();
    if l.starts_with("sxm") {
        "sxm".into()
    } else {
        l
    }
}

/// Overcommit scaling: `round(value / (1 + pct/100))`, at least 1 for a non-zero value.
pub fn committed(value: u128, pct: u32) -> u128 {
    if value == 0 || pct == 0 {
        return value;
    }
    let den = 100 + u128::from(pct);
    ((value * 100 + den / 2) / den).max(1)
}

/// A unit as reserved: what is offered and priced (GPU attributes rewritten to the model).
#[derive(Clone, Debug, PartialEq)]
pub struct Allocated {
    pub unit: UnitRequest,
    /// The concrete GPU given to this unit.
    pub gpu: Option<GpuPool>,
    /// Its attribute key (`vendor/nvidia/model/a100/ram/80Gi`), replacing a wildcard request.
    pub gpu_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reservation {
    pub usage: Usage,
    pub units: Vec<Allocated>,
    /// The lease was won (status: active rather than pending).
    pub active: bool,
}

#[derive(Clone, Debug)]
pub struct Inventory {
    capacity: Capacity,
    overcommit: Overcommit,
    used: Usage,
    reservations: BTreeMap<String, Reservation>,
    /// Whether GPU workloads can run (`runtime.gpu`: the NVIDIA container runtime). Without it
    /// GPU orders get no bid, whatever GPUs the host has.
    gpu_runtime: bool,
}

/// The order's string form `owner/dseq/gseq/oseq`, the reservation key.
pub fn order_key(id: &OrderId) -> String {
    format!("{}/{}/{}/{}", id.owner, id.dseq, id.gseq, id.oseq)
}

impl Inventory {
    pub fn new(capacity: Capacity, overcommit: Overcommit) -> Inventory {
        let used = Usage {
            gpus: vec![0; capacity.gpus.len()],
            ..Usage::default()
        };
        Inventory {
            capacity,
            overcommit,
            used,
            reservations: BTreeMap::new(),
            gpu_runtime: true,
        }
    }

    /// Sets whether GPU workloads can run (the daemon passes `runtime.gpu`). A new inventory
    /// assumes they can.
    pub fn set_gpu_runtime(&mut self, on: bool) {
        self.gpu_runtime = on;
    }

    pub fn gpu_runtime(&self) -> bool {
        self.gpu_runtime
    }

    pub fn capacity(&self) -> &Capacity {
        &self.capacity
    }

    pub fn used(&self) -> &Usage {
        &self.used
    }

    pub fn reservation(&self, order: &OrderId) -> Option<&Reservation> {
        self.reservations.get(&order_key(order))
    }

    pub fn reservations(&self) -> impl Iterator<Item = (&String, &Reservation)> {
        self.reservations.iter()
    }

    /// Reserves the group's resources for `order` (idempotent: a second call returns the first
    /// reservation). Nothing is taken when it fails.
    pub fn reserve(&mut self, order: &OrderId, group: &GroupSpec) -> Result<&Reservation, Decline> {
        let key = order_key(order);
        if self.reservations.contains_key(&key) {
            return Ok(&self.reservations[&key]);
        }
        let units = group
            .resources
            .iter()
            .map(UnitRequest::from_unit)
            .collect::<Result<Vec<_>, _>>()?;
        let reservation = self.plan(units)?;
        self.used.add(&reservation.usage);
        Ok(self.reservations.entry(key).or_insert(reservation))
    }

    /// Computes what `units` take from the free capacity, without taking it.
    fn plan(&self, units: Vec<UnitRequest>) -> Result<Reservation, Decline> {
        let oc = self.overcommit;
        let mut usage = Usage {
            gpus: vec![0; self.capacity.gpus.len()],
            ..Usage::default()
        };
        let mut allocated = Vec::with_capacity(units.len());
        for unit in units {
            let n = u128::from(unit.count);
            usage.cpu_milli += committed(u128::from(unit.cpu_milli), oc.cpu) * n;
            usage.memory += committed(u128::from(unit.memory), oc.memory) * n;
            for v in &unit.volumes {
                let size = u128::from(v.size) * n;
                match (v.class.as_str(), v.persistent) {
                    ("ram", _) => usage.memory += committed(size, oc.memory),
                    (_, false) => usage.ephemeral_storage += committed(size, oc.storage),
                    (class, true) => {
                        if !self.capacity.storage_classes.contains_key(class) {
                            return Err(Decline::StorageClassUnsupported {
                                class: class.to_string(),
                            });
                        }
                        *usage.storage_classes.entry(class.to_string()).or_default() +=
                            committed(size, oc.storage);
                    }
                }
            }
            let (gpu, gpu_key) = if unit.gpu_units > 0 {
                let want = u128::from(unit.gpu_units) * n;
                let (i, with_interface) = self.pick_gpu(&unit, want, &usage)?;
                usage.gpus[i] += want;
                let pool = self.capacity.gpus[i].clone();
                let key = pool.key(with_interface);
                (Some(pool), Some(key))
            } else {
                (None, None)
            };
            allocated.push(Allocated { unit, gpu, gpu_key });
        }
        let free = |cap: u128, used: u128| cap.saturating_sub(used);
        let checks = [
            (
                Resource::Cpu,
                u128::from(self.capacity.cpu_milli),
                self.used.cpu_milli,
                usage.cpu_milli,
            ),
            (
                Resource::Memory,
                u128::from(self.capacity.memory),
                self.used.memory,
                usage.memory,
            ),
            (
                Resource::EphemeralStorage,
                u128::from(self.capacity.ephemeral_storage),
                self.used.ephemeral_storage,
                usage.ephemeral_storage,
            ),
        ];
        for (resource, cap, used, asked) in checks {
            if asked > free(cap, used) {
                return Err(Decline::InsufficientCapacity {
                    resource,
                    class: None,
                    asked,
                    free: free(cap, used),
                });
            }
        }
        for (class, asked) in &usage.storage_classes {
            let cap = u128::from(self.capacity.storage_classes[class]);
            let used = self.used.storage_classes.get(class).copied().unwrap_or(0);
            if *asked > free(cap, used) {
                return Err(Decline::InsufficientCapacity {
                    resource: Resource::Storage,
                    class: Some(class.clone()),
                    asked: *asked,
                    free: free(cap, used),
                });
            }
        }
        Ok(Reservation {
            usage,
            units: allocated,
            active: false,
        })
    }

    /// The first GPU pool, in the order the unit lists its models, with `want` free GPUs
    /// (after what this same group already took).
    /// Also says whether the request named an interface (kept in the rewritten key).
    fn pick_gpu(
        &self,
        unit: &UnitRequest,
        want: u128,
        planned: &Usage,
    ) -> Result<(usize, bool), Decline> {
        let selectors: Vec<Option<GpuSelector>> = if unit.gpu_attributes.is_empty() {
            vec![None]
        } else {
            unit.gpu_attributes
                .iter()
                .map(|a| GpuSelector::parse(&a.key).map(Some))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| Decline::InvalidGroup {
                    reason: format!("resource unit {}: unreadable GPU attributes", unit.id),
                })?
        };
        let free_of = |i: usize| {
            u128::from(self.capacity.gpus[i].count)
                .saturating_sub(self.used.gpus[i])
                .saturating_sub(planned.gpus[i])
        };
        for sel in &selectors {
            for (i, pool) in self.capacity.gpus.iter().enumerate() {
                if sel.as_ref().is_none_or(|s| s.matches(pool)) && free_of(i) >= want {
                    let with_interface = sel.as_ref().is_some_and(|s| s.interface.is_some());
                    return Ok((i, with_interface));
                }
            }
        }
        let requested = if unit.gpu_attributes.is_empty() {
            "any model".to_string()
        } else {
            unit.gpu_attributes
                .iter()
                .map(|a| a.key.as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        };
        let free: Vec<String> = self
            .capacity
            .gpus
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                selectors
                    .iter()
                    .any(|s| s.as_ref().is_none_or(|s| s.matches(p)))
            })
            .map(|(i, p)| format!("{} × {}", free_of(i), p.key(true)))
            .collect();
        Err(Decline::GpuModelUnavailable {
            requested,
            asked: want,
            free: if free.is_empty() {
                "none of that model".into()
            } else {
                free.join(", ")
            },
        })
    }

    /// Releases an order's reservation; false when there was none.
    pub fn unreserve(&mut self, order: &OrderId) -> bool {
        match self.reservations.remove(&order_key(order)) {
            Some(r) => {
                self.used.sub(&r.usage);
                true
            }
            None => false,
        }
    }

    /// Marks an order's reservation as backing a running lease.
    pub fn activate(&mut self, order: &OrderId) -> bool {
        match self.reservations.get_mut(&order_key(order)) {
            Some(r) => {
                r.active = true;
                true
            }
            None => false,
        }
    }

    /// Whether every reservation was released (used is zero).
    pub fn is_idle(&self) -> bool {
        self.reservations.is_empty() && self.used.is_zero()
    }

    /// The `cluster.inventory` part of `/status` (§3.4).
    pub fn status_json(&self) -> serde_json::Value {
        let metric = |u: &Usage| {
            json!({
                "cpu": u.cpu_milli as u64,
                "gpu": u.gpus.iter().sum::<u128>() as u64,
                "memory": u.memory as u64,
                "storage_ephemeral": u.ephemeral_storage as u64,
                "storage": u.storage_classes.iter().map(|(c, v)| (c.clone(), json!(*v as u64))).collect::<serde_json::Map<_, _>>(),
            })
        };
        let active: Vec<_> = self
            .reservations
            .values()
            .filter(|r| r.active)
            .map(|r| metric(&r.usage))
            .collect();
        let pending: Vec<_> = self
            .reservations
            .values()
            .filter(|r| !r.active)
            .map(|r| metric(&r.usage))
            .collect();
        let cap = &self.capacity;
        let gpu_cap: u64 = cap.gpus.iter().map(|g| u64::from(g.count)).sum();
        let sat = |c: u64, u: u128| (u128::from(c).saturating_sub(u)) as u64;
        json!({
            "active": active,
            "pending": pending,
            "gpu_runtime": self.gpu_runtime,
            "available": {
                "nodes": [{
                    "name": "docker",
                    "allocatable": {
                        "cpu": cap.cpu_milli, "gpu": gpu_cap, "memory": cap.memory,
                        "storage_ephemeral": cap.ephemeral_storage,
                    },
                    "available": {
                        "cpu": sat(cap.cpu_milli, self.used.cpu_milli),
                        "gpu": sat(gpu_cap, self.used.gpus.iter().sum()),
                        "memory": sat(cap.memory, self.used.memory),
                        "storage_ephemeral": sat(cap.ephemeral_storage, self.used.ephemeral_storage),
                    },
                    // A kumo addition (Akash reports GPU models over gRPC only): each model
                    // with its count and how many are reserved, for the stats prober.
                    "gpus": cap.gpus.iter().enumerate().map(|(i, g)| json!({
                        "vendor": g.vendor, "model": g.model, "ram": g.ram,
                        "interface": g.interface, "allocatable": g.count,
                        "allocated": self.used.gpus.get(i).copied().unwrap_or(0) as u64,
                    })).collect::<Vec<_>>(),
                }],
                "storage": cap.storage_classes.iter().map(|(c, size)| json!({
                    "class": c,
                    "size": sat(*size, self.used.storage_classes.get(c).copied().unwrap_or(0)),
                })).collect::<Vec<_>>(),
            },
        })
    }
}

#[cfg(test)]
mod tests;
