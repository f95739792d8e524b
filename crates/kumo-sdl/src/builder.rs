//! SDL -> on-chain GroupSpecs and the off-chain manifest, following Akash's TS group builder
//! (`generateManifest`): one group per placement; within a placement, services that use the same
//! compute profile share one resource unit (counts summed, endpoints concatenated); groups sorted
//! by name, services within a manifest group sorted by name.

use crate::manifest as mf;
use crate::model::{ComputeProfile, Sdl, Service, StorageVolume};
use crate::order::{locale_cmp, utf16_cmp};
use kumo_proto::akash::base::attributes::v1::{Attribute, PlacementRequirements, SignedBy};
use kumo_proto::akash::base::resources::v1beta4 as res;
use kumo_proto::akash::deployment::v1beta4::{GroupSpec, ResourceUnit};
use kumo_proto::cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use std::collections::BTreeMap;

const SHARED_HTTP: i32 = 0;
const RANDOM_PORT: i32 = 1;
const LEASED_IP: i32 = 2;

/// Endpoint sequence numbers: every `to.ip` of a global expose, in all services, sorted; each
/// name gets (its last position + 1). A name used three times therefore gets 3 when it sorts
/// first, as in Akash's own builder.
pub fn endpoint_sequence_numbers(sdl: &Sdl) -> BTreeMap<String, u32> {
    let mut names: Vec<&str> = Vec::new();
    for (_, svc) in &sdl.services {
        for e in &svc.expose {
            for to in &e.to {
                if to.global && !to.ip.is_empty() {
                    names.push(&to.ip);
                }
            }
        }
    }
    names.sort_by(|a, b| utf16_cmp(a, b));
    let mut out = BTreeMap::new();
    for (i, n) in names.into_iter().enumerate() {
        out.insert(n.to_string(), i as u32 + 1);
    }
    out
}

fn is_ingress(proto: &str, external_port: u32, port: u32) -> bool {
    let effective = if external_port == 0 {
        port
    } else {
        external_port
    };
    proto == "TCP" && effective == 80
}

fn service_endpoints(svc: &Service, seq: &BTreeMap<String, u32>) -> Vec<(i32, u32)> {
    let mut out = Vec::new();
    for e in &svc.expose {
        for to in e.to.iter().filter(|t| t.global) {
            let kind = if is_ingress(&e.proto, e.external_port, e.port) {
                SHARED_HTTP
            } else {
                RANDOM_PORT
            };
            out.push((kind, 0));
            if !to.ip.is_empty() {
                out.push((LEASED_IP, seq.get(&to.ip).copied().unwrap_or(0)));
            }
        }
    }
    out
}

fn sorted_attributes(attrs: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = attrs.to_vec();
    v.sort_by(|a, b| locale_cmp(&a.0, &b.0));
    v
}

fn storage_attributes(vol: &StorageVolume) -> Vec<(String, String)> {
    let Some(attrs) = &vol.attributes else {
        return Vec::new();
    };
    let mut v = attrs.clone();
    let ram = attrs.iter().any(|(k, val)| k == "class" && val == "ram");
    if ram && !attrs.iter().any(|(k, _)| k == "persistent") {
        v.push(("persistent".into(), "false".into()));
    }
    v.sort_by(|a, b| locale_cmp(&a.0, &b.0));
    v
}

fn gpu_attributes(profile: &ComputeProfile) -> Vec<(String, String)> {
    let Some(gpu) = &profile.gpu else {
        return Vec::new();
    };
    let mut vendors: Vec<_> = gpu.vendors.iter().collect();
    vendors.sort_by(|a, b| locale_cmp(&a.0, &b.0));
    let mut out = Vec::new();
    for (vendor, models) in vendors {
        match models {
            None => out.push((format!("vendor/{vendor}/model/*"), "true".into())),
            Some(models) => {
                for m in models {
                    let mut key = format!("vendor/{vendor}/model/{}", m.model);
                    if let Some(ram) = m.ram.as_deref().filter(|r| !r.is_empty()) {
                        key.push_str(&format!("/ram/{ram}"));
                    }
                    if let Some(i) = m.interface.as_deref().filter(|i| !i.is_empty()) {
                        key.push_str(&format!("/interface/{i}"));
                    }
                    out.push((key, "true".into()));
                }
            }
        }
    }
    out
}

type Volume = (String, String, Vec<(String, String)>);

/// The resources of one compute profile, as shared by the group and the manifest.
struct Built {
    cpu: String,
    cpu_attrs: Vec<(String, String)>,
    memory: String,
    /// (name, size, attributes) per volume.
    storage: Vec<Volume>,
    gpu: String,
    gpu_attrs: Vec<(String, String)>,
}

fn build(profile: &ComputeProfile) -> Built {
    Built {
        cpu: profile.cpu_millis.to_string(),
        cpu_attrs: sorted_attributes(&profile.cpu_attributes),
        memory: profile.memory_bytes.to_string(),
        storage: profile
            .storage
            .iter()
            .map(|v| {
                (
                    v.name.clone().unwrap_or_else(|| "default".into()),
                    v.size_bytes.to_string(),
                    storage_attributes(v),
                )
            })
            .collect(),
        gpu: profile
            .gpu
            .as_ref()
            .map(|g| g.units)
            .unwrap_or(0)
            .to_string(),
        gpu_attrs: gpu_attributes(profile),
    }
}

fn proto_attrs(a: &[(String, String)]) -> Vec<Attribute> {
    a.iter()
        .map(|(k, v)| Attribute {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}
fn manifest_attrs(a: &[(String, String)]) -> Vec<mf::Attribute> {
    a.iter()
        .map(|(k, v)| mf::Attribute {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}
fn rv(s: &str) -> Option<res::ResourceValue> {
    Some(res::ResourceValue {
        val: s.as_bytes().to_vec(),
    })
}

fn proto_resources(id: u32, b: &Built, endpoints: Vec<(i32, u32)>) -> res::Resources {
    res::Resources {
        id,
        cpu: Some(res::Cpu {
            units: rv(&b.cpu),
            attributes: proto_attrs(&b.cpu_attrs),
        }),
        memory: Some(res::Memory {
            quantity: rv(&b.memory),
            attributes: Vec::new(),
        }),
        storage: b
            .storage
            .iter()
            .map(|(n, s, a)| res::Storage {
                name: n.clone(),
                quantity: rv(s),
                attributes: proto_attrs(a),
            })
            .collect(),
        gpu: Some(res::Gpu {
            units: rv(&b.gpu),
            attributes: proto_attrs(&b.gpu_attrs),
        }),
        endpoints: endpoints
            .into_iter()
            .map(|(kind, sequence_number)| res::Endpoint {
                kind,
                sequence_number,
            })
            .collect(),
    }
}

fn manifest_resources(id: u32, b: &Built, endpoints: Vec<(i32, u32)>) -> mf::Resources {
    let val = |s: &str| mf::ResourceValue { val: s.to_string() };
    mf::Resources {
        id,
        cpu: mf::Cpu {
            units: val(&b.cpu),
            attributes: manifest_attrs(&b.cpu_attrs),
        },
        memory: mf::Memory {
            size: val(&b.memory),
            attributes: Vec::new(),
        },
        storage: b
            .storage
            .iter()
            .map(|(n, s, a)| mf::Storage {
                name: n.clone(),
                size: val(s),
                attributes: manifest_attrs(a),
            })
            .collect(),
        gpu: mf::Gpu {
            units: val(&b.gpu),
            attributes: manifest_attrs(&b.gpu_attrs),
        },
        endpoints: endpoints
            .into_iter()
            .map(|(kind, sequence_number)| mf::Endpoint {
                kind,
                sequence_number,
            })
            .collect(),
    }
}

struct GroupBuild {
    spec: GroupSpec,
    /// compute profile -> index of its unit in `spec.resources`.
    units: Vec<(String, usize)>,
}

/// Builds the GroupSpecs and the manifest. The SDL has passed [`crate::validate::check`], so
/// every reference resolves; a count that overflows u32 when units are shared is reported.
pub fn groups_and_manifest(sdl: &Sdl) -> Result<(Vec<GroupSpec>, Vec<mf::Group>), String> {
    let seq = endpoint_sequence_numbers(sdl);
    let service = |name: &str| sdl.services.iter().find(|(n, _)| n == name).map(|(_, s)| s);
    let compute = |name: &str| sdl.compute.iter().find(|(n, _)| n == name).map(|(_, c)| c);
    let placement = |name: &str| {
        sdl.placement
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    };
    let missing = |what: &str, name: &str| format!("{what} {name:?} is not defined");

    let mut services: Vec<&(String, Service)> = sdl.services.iter().collect();
    services.sort_by(|a, b| locale_cmp(&a.0, &b.0));

    let mut groups: Vec<(String, GroupBuild)> = Vec::new();
    // (placement, profile) -> resource id
    let mut resource_ids: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (svc_name, svc) in services {
        let Some((_, placements)) = sdl.deployment.iter().find(|(n, _)| n == svc_name) else {
            continue;
        };
        for (pl_name, entry) in placements {
            let profile = compute(&entry.profile)
                .ok_or_else(|| missing("compute profile", &entry.profile))?;
            let infra = placement(pl_name).ok_or_else(|| missing("placement", pl_name))?;
            let price = infra
                .pricing
                .iter()
                .find(|(p, _)| *p == entry.profile)
                .map(|(_, p)| p)
                .ok_or_else(|| {
                    format!(
                        "placement {pl_name:?} has no price for profile {:?}",
                        entry.profile
                    )
                })?;
            let gi = match groups.iter().position(|(n, _)| n == pl_name) {
                Some(i) => i,
                None => {
                    groups.push((
                        pl_name.clone(),
                        GroupBuild {
                            spec: GroupSpec {
                                name: pl_name.clone(),
                                requirements: Some(PlacementRequirements {
                                    signed_by: Some(SignedBy {
                                        all_of: infra.signed_by_all_of.clone(),
                                        any_of: infra.signed_by_any_of.clone(),
                                    }),
                                    attributes: proto_attrs(&sorted_attributes(&infra.attributes)),
                                }),
                                resources: Vec::new(),
                            },
                            units: Vec::new(),
                        },
                    ));
                    groups.len() - 1
                }
            };
            let group = &mut groups[gi].1;
            let key = (pl_name.clone(), entry.profile.clone());
            match group
                .units
                .iter()
                .find(|(p, _)| *p == entry.profile)
                .map(|(_, i)| *i)
            {
                None => {
                    let id = group.spec.resources.len() as u32 + 1;
                    resource_ids.insert(key, id);
                    let built = build(profile);
                    group.spec.resources.push(ResourceUnit {
                        resource: Some(proto_resources(id, &built, service_endpoints(svc, &seq))),
                        count: entry.count,
                        price: Some(DecCoin {
                            denom: price.denom.clone(),
                            amount: price.amount.atomics().to_string(),
                        }),
                    });
                    group
                        .units
                        .push((entry.profile.clone(), group.spec.resources.len() - 1));
                }
                Some(i) => {
                    let unit = &mut group.spec.resources[i];
                    resource_ids
                        .entry(key)
                        .or_insert_with(|| unit.resource.as_ref().map(|r| r.id).unwrap_or(1));
                    unit.count = unit.count.checked_add(entry.count).ok_or_else(|| {
                        format!(
                            "the summed count of profile {:?} in placement {pl_name:?} overflows",
                            entry.profile
                        )
                    })?;
                    let eps = service_endpoints(svc, &seq);
                    if let Some(r) = unit.resource.as_mut() {
                        r.endpoints
                            .extend(
                                eps.into_iter()
                                    .map(|(kind, sequence_number)| res::Endpoint {
                                        kind,
                                        sequence_number,
                                    }),
                            );
                    }
                }
            }
        }
    }
    for (_, g) in groups.iter_mut() {
        for unit in g.spec.resources.iter_mut() {
            if let Some(r) = unit.resource.as_mut() {
                r.endpoints.sort_by_key(|e| (e.kind, e.sequence_number));
            }
        }
    }
    groups.sort_by(|a, b| utf16_cmp(&a.0, &b.0));

    // Manifest: per placement, the services deployed there, sorted by name.
    let mut manifest = Vec::new();
    for (pl_name, _) in &groups {
        let mut deployed: Vec<(&String, &crate::model::DeploymentEntry)> = Vec::new();
        for (svc_name, placements) in &sdl.deployment {
            if let Some((_, entry)) = placements.iter().find(|(p, _)| p == pl_name) {
                deployed.push((svc_name, entry));
            }
        }
        deployed.sort_by(|a, b| locale_cmp(a.0, b.0));
        let mut services = Vec::new();
        for (svc_name, entry) in deployed {
            let svc = service(svc_name).ok_or_else(|| missing("service", svc_name))?;
            let profile = compute(&entry.profile)
                .ok_or_else(|| missing("compute profile", &entry.profile))?;
            let id = resource_ids
                .get(&(pl_name.clone(), entry.profile.clone()))
                .copied()
                .unwrap_or(1);
            services.push(manifest_service(
                svc_name,
                svc,
                profile,
                id,
                entry.count,
                &seq,
            ));
        }
        manifest.push(mf::Group {
            name: pl_name.clone(),
            services,
        });
    }
    Ok((groups.into_iter().map(|(_, g)| g.spec).collect(), manifest))
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn manifest_service(
    name: &str,
    svc: &Service,
    profile: &ComputeProfile,
    id: u32,
    count: u32,
    seq: &BTreeMap<String, u32>,
) -> mf::Service {
    let mut expose = Vec::new();
    for e in &svc.expose {
        for to in &e.to {
            expose.push(mf::ServiceExpose {
                port: e.port,
                external_port: e.external_port,
                proto: e.proto.clone(),
                service: to.service.clone(),
                global: to.global,
                hosts: non_empty(&e.accept),
                http_options: mf::HttpOptions {
                    max_body_size: e.http.max_body_size.unwrap_or(1_048_576),
                    read_timeout: e.http.read_timeout.unwrap_or(60_000),
                    send_timeout: e.http.send_timeout.unwrap_or(60_000),
                    next_tries: e.http.next_tries.unwrap_or(3),
                    next_timeout: e.http.next_timeout.unwrap_or(0),
                    next_cases: e
                        .http
                        .next_cases
                        .clone()
                        .unwrap_or_else(|| vec!["error".into(), "timeout".into()]),
                },
                ip: to.ip.clone(),
                endpoint_sequence_number: seq.get(&to.ip).copied().unwrap_or(0),
            });
        }
    }
    // Stable sort: by target service, port, protocol, global entries first.
    expose.sort_by(|a, b| {
        locale_cmp(&a.service, &b.service)
            .then(a.port.cmp(&b.port))
            .then(locale_cmp(&a.proto, &b.proto))
            .then(b.global.cmp(&a.global))
    });
    let params = svc.params.as_ref().map(|p| {
        let mut storage: Vec<mf::StorageParams> = p
            .storage
            .iter()
            .flatten()
            .map(|(n, sp)| mf::StorageParams {
                name: n.clone(),
                mount: sp.mount.clone().unwrap_or_default(),
                read_only: sp.read_only,
            })
            .collect();
        storage.sort_by(|a, b| utf16_cmp(&a.name, &b.name));
        mf::ServiceParams {
            storage,
            permissions: p.permissions.clone(),
        }
    });
    mf::Service {
        name: name.to_string(),
        image: svc.image.clone(),
        command: non_empty(&svc.command),
        args: non_empty(&svc.args),
        env: non_empty(&svc.env),
        resources: manifest_resources(id, &build(profile), service_endpoints(svc, seq)),
        count,
        expose,
        params,
        credentials: svc.credentials.as_ref().map(|c| mf::ImageCredentials {
            host: c.host.clone(),
            email: c.email.clone(),
            username: c.username.clone(),
            password: c.password.clone(),
        }),
    }
}
