//! Cross-reference rules of an SDL (Akash's `validateSDL` semantic pass): deployed services,
//! profiles, pricing, volumes and mounts, GPU attributes, IP endpoints.

use crate::model::{Sdl, Service};
use crate::Issues;
use std::collections::{BTreeMap, BTreeSet};

/// "1", "true", "yes"... are true; "false", "no", "0" and "" are false (Akash's `stringToBoolean`).
pub fn truthy(s: &str) -> bool {
    !matches!(s.to_ascii_lowercase().as_str(), "false" | "no" | "0" | "")
}

pub fn check(sdl: &Sdl, issues: &mut Issues) {
    let deployment: BTreeMap<&str, _> = sdl
        .deployment
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let compute: BTreeMap<&str, _> = sdl.compute.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let placement: BTreeMap<&str, _> = sdl.placement.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let services: BTreeSet<&str> = sdl.services.iter().map(|(k, _)| k.as_str()).collect();
    let endpoints: BTreeSet<&str> = sdl.endpoints.iter().map(String::as_str).collect();
    let mut endpoints_used = BTreeSet::new();
    // (endpoint, external port, proto) -> service that uses it.
    let mut ip_ports: BTreeMap<(String, u32, String), String> = BTreeMap::new();

    for (svc_name, svc) in &sdl.services {
        match deployment.get(svc_name.as_str()) {
            None => issues.push(
                "deployment",
                0,
                format!("service {svc_name:?} is not deployed; add deployment.{svc_name}.<placement>: {{profile: <compute profile>, count: 1}} or remove the service"),
            ),
            Some(placements) => {
                for (pl_name, entry) in placements.iter() {
                    let path = format!("deployment.{svc_name}.{pl_name}");
                    let profile = compute.get(entry.profile.as_str());
                    match placement.get(pl_name.as_str()) {
                        None => issues.push(&path, 0, format!("placement {pl_name:?} is not defined; add it under profiles.placement")),
                        Some(pl) => {
                            if !pl.pricing.iter().any(|(p, _)| *p == entry.profile) {
                                issues.push(
                                    &format!("profiles.placement.{pl_name}.pricing"),
                                    0,
                                    format!("no price for compute profile {:?}; add {}: {{denom: uakt, amount: <max per block>}}", entry.profile, entry.profile),
                                );
                            }
                        }
                    }
                    let Some(profile) = profile else {
                        issues.push(&format!("{path}.profile"), 0, format!("compute profile {:?} is not defined; add it under profiles.compute", entry.profile));
                        continue;
                    };
                    check_volumes(svc_name, svc, &entry.profile, profile, issues);
                    if let Some(gpu) = &profile.gpu {
                        let gp = format!("profiles.compute.{}.resources.gpu", entry.profile);
                        if gpu.units == 0 && gpu.has_attributes {
                            issues.push(&format!("{gp}.attributes"), 0, "attributes need units > 0; remove the attributes or set units");
                        }
                        if gpu.units > 0 && !gpu.has_attributes {
                            issues.push(&gp, 0, "units > 0 needs attributes.vendor, e.g. attributes: {vendor: {nvidia: [{model: a100}]}}");
                        } else if gpu.units > 0 && !gpu.has_vendor {
                            issues.push(&format!("{gp}.attributes"), 0, "units > 0 needs attributes.vendor, e.g. vendor: {nvidia: [{model: a100}]}");
                        }
                    }
                }
            }
        }
        for (i, expose) in svc.expose.iter().enumerate() {
            for (j, to) in expose.to.iter().enumerate() {
                if to.ip.is_empty() {
                    continue;
                }
                let path = format!("services.{svc_name}.expose[{i}].to[{j}].ip");
                if !endpoints.contains(to.ip.as_str()) {
                    issues.push(&path, 0, format!("unknown endpoint {:?}; declare it under endpoints: {{{}: {{kind: ip}}}}", to.ip, to.ip));
                }
                endpoints_used.insert(to.ip.clone());
                let external = if expose.external_port != 0 {
                    expose.external_port
                } else {
                    expose.port
                };
                let key = (to.ip.clone(), external, expose.proto.clone());
                if let Some(other) = ip_ports.get(&key) {
                    issues.push(&path, 0, format!("IP endpoint {:?} port {external} {} is already used by service {other:?}; use another port or endpoint", to.ip, expose.proto));
                }
                ip_ports.insert(key, svc_name.clone());
            }
        }
    }
    for (svc_name, _) in &sdl.deployment {
        if !services.contains(svc_name.as_str()) {
            issues.push(
                &format!("deployment.{svc_name}"),
                0,
                format!("service {svc_name:?} is not defined under services"),
            );
        }
    }
    for ep in &sdl.endpoints {
        if !endpoints_used.contains(ep) {
            issues.push(
                &format!("endpoints.{ep}"),
                0,
                "declared but never used; reference it with expose.to.ip or remove it",
            );
        }
    }
}

fn check_volumes(
    svc_name: &str,
    svc: &Service,
    profile_name: &str,
    profile: &crate::model::ComputeProfile,
    issues: &mut Issues,
) {
    let storage_params = svc.params.as_ref().and_then(|p| p.storage.as_ref());
    if let Some(params) = storage_params {
        let mut mounts: BTreeMap<Option<&str>, &str> = BTreeMap::new();
        for (vol, p) in params {
            let path = format!("services.{svc_name}.params.storage.{vol}");
            if !profile
                .storage
                .iter()
                .any(|s| s.name.as_deref() == Some(vol.as_str()))
            {
                issues.push(&path, 0, format!("volume {vol:?} is not in compute profile {profile_name:?}; add a storage entry with name: {vol}"));
                continue;
            }
            let mount = p.mount.as_deref();
            if let Some(other) = mounts.get(&mount) {
                match mount {
                    Some(m) => issues.push(&format!("{path}.mount"), 0, format!("mount {m:?} is already used by volume {other:?}; each volume needs its own mount path")),
                    None => issues.push(&path, 0, format!("volume {other:?} also has no mount; only one volume may stay unmounted (the root ephemeral one)")),
                }
            }
            mounts.insert(mount, vol);
        }
    }
    for vol in &profile.storage {
        let persistent = vol
            .attributes
            .as_ref()
            .and_then(|a| a.iter().find(|(k, _)| k == "persistent"))
            .map(|(_, v)| truthy(v))
            .unwrap_or(false);
        let key = vol.name.as_deref().unwrap_or("");
        let mounted = storage_params
            .and_then(|ps| ps.iter().find(|(n, _)| n == key))
            .and_then(|(_, p)| p.mount.as_deref())
            .is_some_and(|m| !m.is_empty());
        if persistent && !mounted {
            let shown = vol.name.as_deref().unwrap_or("default");
            issues.push(
                &format!("services.{svc_name}.params.storage.{shown}"),
                0,
                format!("persistent volume {shown:?} of profile {profile_name:?} must be mounted: add params.storage.{shown}.mount: /some/path{}", if vol.name.is_none() { " and give the volume a name" } else { "" }),
            );
        }
    }
}
