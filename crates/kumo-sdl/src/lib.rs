//! Akash SDL (Stack Definition Language) v2.0 / v2.1: parse and validate a deployment file, build
//! the on-chain `GroupSpec`s, the off-chain manifest and the manifest version hash.
//!
//! # Which Akash implementation this matches
//!
//! `@akashnetwork/chain-sdk` (TS) has two SDL paths that disagree on some real files. kumo
//! reproduces the newer, non-deprecated one, **`generateManifest(yaml)` +
//! `generateManifestVersion(groups)`**, and its `groupSpecs`. The provider rehashes the manifest
//! it receives, so either path yields deployments providers accept. Consequences worth knowing:
//! - v2.0 and v2.1 build groups the same way: services sharing a compute profile within one
//!   placement share one resource unit (count summed, endpoints concatenated and sorted).
//! - `params.storage` entries are sorted by volume name in the manifest.
//! - An IP endpoint's sequence number is its last position in the sorted list of every global
//!   `to.ip` use (a name used three times and sorting first gets 3).
//! - An `expose` entry without `to` produces no manifest expose.
//!
//! Deliberate differences (each makes kumo stricter or exact where the TS code is not):
//! - Numbers are exact decimals, never floats: `cpu.units: 1.1` is 1100 millicores (TS:
//!   `1100.0000000000002`, which the chain cannot parse); sizes are rounded up exactly.
//! - Unit suffixes outside `k m g t p e` (+ `i`, or `b` for decimal) are refused rather than read
//!   as bytes; `MiB` is refused (TS reads it as 10^6).
//! - Service names must be Kubernetes names (`^[a-z]([-a-z0-9]*[a-z0-9])?$`), as the provider
//!   requires; a GPU model entry needs `model`; `gpu.units` must be a whole number.
//! - The on-chain limits of `akash.deployment.v1beta4` are checked here too (millicpu 10..384000,
//!   memory 1Mi..2Ti, each volume 5Mi..32Ti, GPUs <= 24 per unit, price <= 10 000 000 per unit,
//!   group totals <= 50 units' worth, one denom), so a file that would fail on chain fails here.
//!
//! # Defensive parsing
//! Input over 1 MiB, YAML nested deeper than 64 levels, more than 200 000 nodes after alias
//! expansion, more than [`MAX_SERVICES`] services/profiles/placements/groups or more than
//! [`MAX_ENTRIES`] items in any list or mapping are refused with an error, never a panic or a hang.

pub mod builder;
pub mod manifest;
pub mod model;
mod order;
pub mod units;
pub mod validate;
pub mod yaml;

use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::math::Dec;
use std::fmt;
use std::path::Path;

pub use model::SdlVersion;

/// Most items in any one YAML list or mapping (env entries, volumes, ...).
pub const MAX_ENTRIES: usize = 1000;
/// Most services, compute profiles, placement profiles, and therefore groups.
pub const MAX_SERVICES: usize = 100;

/// One problem in an SDL: where (YAML path, line when known) and what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Dotted YAML path, e.g. `profiles.compute.web.resources.gpu` (empty for the whole file).
    pub path: String,
    /// 1-based line, 0 when the problem is a cross-reference rather than one spot.
    pub line: usize,
    pub message: String,
}

/// Problems collected while reading one file.
#[derive(Clone, Debug, Default)]
pub struct Issues(Vec<Issue>);

impl Issues {
    pub fn push(&mut self, path: &str, line: usize, message: impl Into<String>) {
        self.0.push(Issue {
            path: path.to_string(),
            line,
            message: message.into(),
        });
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Why an SDL was refused: the file name and every problem found.
#[derive(Clone, Debug)]
pub struct SdlError {
    pub file: String,
    pub issues: Vec<Issue>,
}

impl fmt::Display for SdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: ", self.file)?;
            if !issue.path.is_empty() {
                write!(f, "{}: ", issue.path)?;
            }
            write!(f, "{}", issue.message)?;
            if issue.line > 0 {
                write!(f, " (line {})", issue.line)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for SdlError {}

/// A valid SDL turned into what a deployment needs.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub version: SdlVersion,
    /// `MsgCreateDeployment.groups`.
    pub groups: Vec<GroupSpec>,
    /// What the tenant sends to the provider.
    pub manifest: Vec<manifest::Group>,
    /// `MsgCreateDeployment.hash`: SHA-256 of the sorted manifest JSON.
    pub manifest_version: [u8; 32],
}

impl Deployment {
    /// The manifest JSON as hashed (sorted keys, HTML-safe escapes).
    pub fn manifest_sorted_json(&self) -> String {
        manifest::sorted_json(&self.manifest)
    }
}

/// Reads and builds an SDL file. The file name in errors is the path as given.
pub fn parse_file(path: &Path) -> Result<Deployment, SdlError> {
    let file = path.display().to_string();
    let fail = |message: String| SdlError {
        file: file.clone(),
        issues: vec![Issue {
            path: String::new(),
            line: 0,
            message,
        }],
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    if meta.len() > yaml::MAX_INPUT_BYTES as u64 {
        return Err(fail(format!(
            "file is {} bytes; the limit is {} bytes (1 MiB) - an SDL is a few KiB, check that this is the right file",
            meta.len(),
            yaml::MAX_INPUT_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the file: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|e| fail(format!("the file is not UTF-8 text: {e}")))?;
    parse(&file, &text)
}

/// Parses, validates and builds an SDL given as text; `file` names it in error messages.
pub fn parse(file: &str, text: &str) -> Result<Deployment, SdlError> {
    let err = |issues: Issues| SdlError {
        file: file.to_string(),
        issues: issues.0,
    };
    let mut issues = Issues::default();
    let root = match yaml::load(text) {
        Ok(r) => r,
        Err(e) => {
            issues.push("", e.line, e.message);
            return Err(err(issues));
        }
    };
    if root.value == yaml::Value::Null {
        issues.push(
            "",
            1,
            "the file is empty; an SDL needs version, services, profiles and deployment",
        );
        return Err(err(issues));
    }
    if let yaml::Value::Map(entries) = &root.value {
        for (key, node) in entries {
            let n = match &node.value {
                yaml::Value::Map(m)
                    if matches!(key.as_str(), "services" | "deployment" | "endpoints") =>
                {
                    m.len()
                }
                _ => 0,
            };
            if n > MAX_SERVICES {
                issues.push(
                    key,
                    node.line,
                    format!("has {n} entries; at most {MAX_SERVICES} are allowed"),
                );
            }
        }
        if let Some((_, p)) = entries.iter().find(|(k, _)| k == "profiles") {
            if let yaml::Value::Map(pe) = &p.value {
                for (key, node) in pe {
                    if let yaml::Value::Map(m) = &node.value {
                        if m.len() > MAX_SERVICES {
                            issues.push(
                                &format!("profiles.{key}"),
                                node.line,
                                format!(
                                    "has {} entries; at most {MAX_SERVICES} are allowed",
                                    m.len()
                                ),
                            );
                        }
                    }
                }
            }
        }
        if !issues.is_empty() {
            return Err(err(issues));
        }
    }
    let Some(sdl) = model::read(&root, &mut issues) else {
        return Err(err(issues));
    };
    validate::check(&sdl, &mut issues);
    if !issues.is_empty() {
        return Err(err(issues));
    }
    let (groups, manifest) = match builder::groups_and_manifest(&sdl) {
        Ok(x) => x,
        Err(m) => {
            issues.push("deployment", 0, m);
            return Err(err(issues));
        }
    };
    check_chain_limits(&sdl, &groups, &mut issues);
    if !issues.is_empty() {
        return Err(err(issues));
    }
    let manifest_version = manifest::version(&manifest);
    Ok(Deployment {
        version: sdl.version,
        groups,
        manifest,
        manifest_version,
    })
}

use kumo_akash::group::limits::{
    CPU_MAX, CPU_MIN, GPU_MAX, GROUP_TOTAL_FACTOR, MEMORY_MAX, MEMORY_MIN, MI, STORAGE_MAX,
    STORAGE_MIN, TI, UNIT_PRICE_MAX,
};

fn human(bytes: u64) -> String {
    if bytes >= TI && bytes & (TI - 1) == 0 {
        format!("{}Ti", bytes / TI)
    } else if bytes & (MI - 1) == 0 {
        format!("{}Mi", bytes / MI)
    } else {
        format!("{bytes} bytes")
    }
}

/// The checks the chain applies to `MsgCreateDeployment.groups`, reported against the SDL.
fn check_chain_limits(sdl: &model::Sdl, groups: &[GroupSpec], issues: &mut Issues) {
    let mut used: Vec<(&str, &str)> = Vec::new();
    for (_, placements) in &sdl.deployment {
        for (pl, entry) in placements {
            if !used.contains(&(pl.as_str(), entry.profile.as_str())) {
                used.push((pl.as_str(), entry.profile.as_str()));
            }
        }
    }
    let mut profiles_done: Vec<&str> = Vec::new();
    let mut denoms: Vec<(&str, &str)> = Vec::new();
    for (pl, profile_name) in used {
        let Some((_, placement)) = sdl.placement.iter().find(|(n, _)| n == pl) else {
            continue;
        };
        if let Some((_, price)) = placement.pricing.iter().find(|(p, _)| p == profile_name) {
            let path = format!("profiles.placement.{pl}.pricing.{profile_name}.amount");
            if price.amount > Dec::from_integer(UNIT_PRICE_MAX) {
                issues.push(
                    &path,
                    0,
                    format!(
                        "{} {} per block is above the chain's limit of {UNIT_PRICE_MAX} per unit",
                        price.amount, price.denom
                    ),
                );
            }
            if price.amount.is_zero() {
                issues.push(&path, 0, "the price must be greater than 0");
            }
            denoms.push((pl, &price.denom));
        }
        if profiles_done.contains(&profile_name) {
            continue;
        }
        profiles_done.push(profile_name);
        let Some((_, p)) = sdl.compute.iter().find(|(n, _)| n == profile_name) else {
            continue;
        };
        let rp = format!("profiles.compute.{profile_name}.resources");
        if !(CPU_MIN..=CPU_MAX).contains(&p.cpu_millis) {
            issues.push(
                &format!("{rp}.cpu.units"),
                0,
                format!(
                    "{}m is outside the chain's range of 10m (0.01) to 384 CPUs per unit",
                    p.cpu_millis
                ),
            );
        }
        if !(MEMORY_MIN..=MEMORY_MAX).contains(&p.memory_bytes) {
            issues.push(
                &format!("{rp}.memory.size"),
                0,
                format!(
                    "{} is outside the chain's range of 1Mi to 2Ti per unit",
                    human(p.memory_bytes)
                ),
            );
        }
        for v in &p.storage {
            if !(STORAGE_MIN..=STORAGE_MAX).contains(&v.size_bytes) {
                issues.push(
                    &format!("{rp}.storage"),
                    0,
                    format!(
                        "volume {:?} is {}; the chain accepts 5Mi to 32Ti per volume",
                        v.name.as_deref().unwrap_or("default"),
                        human(v.size_bytes)
                    ),
                );
            }
        }
        if let Some(g) = &p.gpu {
            if g.units > GPU_MAX {
                issues.push(&format!("{rp}.gpu.units"), 0, format!("{} GPUs per unit is above the chain's limit of {GPU_MAX}; use more replicas (count) instead", g.units));
            }
        }
    }
    if let Some((first_pl, first)) = denoms.first() {
        for (pl, d) in &denoms {
            if d != first {
                issues.push(
                    &format!("profiles.placement.{pl}.pricing"),
                    0,
                    format!("denom {d:?} differs from {first:?} (placement {first_pl:?}); a deployment is priced in one denom"),
                );
                break;
            }
        }
    }
    if groups.len() > MAX_SERVICES {
        issues.push(
            "deployment",
            0,
            format!(
                "builds {} groups; at most {MAX_SERVICES} are allowed",
                groups.len()
            ),
        );
    }
    for g in groups {
        let (mut cpu, mut mem, mut gpu) = (0u128, 0u128, 0u128);
        let val = |v: &Option<kumo_proto::akash::base::resources::v1beta4::ResourceValue>| -> u128 {
            v.as_ref()
                .and_then(|r| std::str::from_utf8(&r.val).ok()?.parse().ok())
                .unwrap_or(0)
        };
        let mut storage_over = false;
        for u in &g.resources {
            let Some(r) = &u.resource else { continue };
            let n = u128::from(u.count);
            cpu += val(&r.cpu.as_ref().and_then(|c| c.units.clone())) * n;
            mem += val(&r.memory.as_ref().and_then(|m| m.quantity.clone())) * n;
            gpu += val(&r.gpu.as_ref().and_then(|x| x.units.clone())) * n;
            storage_over |= r.storage.iter().any(|s| {
                val(&s.quantity) * n > u128::from(STORAGE_MAX) * u128::from(GROUP_TOTAL_FACTOR)
            });
        }
        let path = format!("deployment (group {:?})", g.name);
        if cpu > u128::from(CPU_MAX) * u128::from(GROUP_TOTAL_FACTOR) {
            issues.push(
                &path,
                0,
                format!(
                    "CPU × count totals {cpu}m; the chain allows at most {}m per group",
                    u128::from(CPU_MAX) * u128::from(GROUP_TOTAL_FACTOR)
                ),
            );
        }
        if mem > u128::from(MEMORY_MAX) * u128::from(GROUP_TOTAL_FACTOR) {
            issues.push(
                &path,
                0,
                "memory × count is above the chain's limit of 100Ti per group",
            );
        }
        if gpu > u128::from(GPU_MAX) * u128::from(GROUP_TOTAL_FACTOR) {
            issues.push(
                &path,
                0,
                format!(
                    "GPUs × count totals {gpu}; the chain allows at most {} per group",
                    u128::from(GPU_MAX) * u128::from(GROUP_TOTAL_FACTOR)
                ),
            );
        }
        if storage_over {
            issues.push(
                &path,
                0,
                "a volume × count is above the chain's limit of 1600Ti per group",
            );
        }
    }
}

#[cfg(test)]
mod tests;
