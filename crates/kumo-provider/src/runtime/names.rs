//! Names and labels that tie Docker objects to a lease (`../shared/spec/akash-offchain.md` §2.9).
//!
//! Everything the runtime creates carries the lease id in labels, so a provider that restarts
//! finds its workloads again by asking dockerd, not by remembering them.

use std::collections::HashMap;

use data_encoding::{BASE32HEX_NOPAD, BASE32_NOPAD};
use kumo_proto::akash::market::v1::LeaseId;
use sha2::{Digest, Sha224};

pub const LABEL_AKASH: &str = "akash.network";
pub const LABEL_NAMESPACE: &str = "akash.network/namespace";
pub const LABEL_OWNER: &str = "akash.network/lease.id.owner";
pub const LABEL_DSEQ: &str = "akash.network/lease.id.dseq";
pub const LABEL_GSEQ: &str = "akash.network/lease.id.gseq";
pub const LABEL_OSEQ: &str = "akash.network/lease.id.oseq";
pub const LABEL_PROVIDER: &str = "akash.network/lease.id.provider";
/// The chain's lease id also has the bid sequence; kept so `leases()` gives back the exact id.
pub const LABEL_BSEQ: &str = "akash.network/lease.id.bseq";
pub const LABEL_SERVICE: &str = "akash.network/manifest.service";
pub const LABEL_REPLICA: &str = "kumo.replica";
/// Hash of everything a container was created from: equal hash = nothing to change on redeploy.
pub const LABEL_SPEC: &str = "kumo.spec";
/// How many different specs this service has had (Kubernetes' `observed_generation`).
pub const LABEL_GENERATION: &str = "kumo.generation";

/// `owner/dseq/gseq/oseq/provider`, the lease id as Akash prints it (`LeaseID.String()`).
pub fn lease_string(lease: &LeaseId) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        lease.owner, lease.dseq, lease.gseq, lease.oseq, lease.provider
    )
}

/// The lease "namespace": lowercase base32hex (no padding) of SHA-224 of the lease id string.
/// 45 characters of `[0-9a-v]`, valid as a Docker network, container and volume name prefix.
pub fn namespace(lease: &LeaseId) -> String {
    let digest = Sha224::digest(lease_string(lease).as_bytes());
    BASE32HEX_NOPAD.encode(&digest).to_ascii_lowercase()
}

/// The hostname generated for a service's HTTP ingress: lowercase base32 (no padding) of the
/// UUIDv5 (DNS namespace) of the lease id string followed by the service name.
pub fn ingress_host(lease: &LeaseId, service: &str, ingress_domain: &str) -> String {
    let name = format!("{}{}", lease_string(lease), service);
    let uuid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, name.as_bytes());
    let label = BASE32_NOPAD.encode(uuid.as_bytes()).to_ascii_lowercase();
    format!("{label}.{ingress_domain}")
}

pub fn container_name(ns: &str, service: &str, replica: u32) -> String {
    format!("{ns}-{service}-{replica}")
}

pub fn volume_name(ns: &str, service: &str, volume: &str) -> String {
    format!("{ns}-{service}-{volume}")
}

/// What a tenant sees as the replica's name in logs and events (a pod name on Akash).
pub fn replica_name(service: &str, replica: u32) -> String {
    format!("{service}-{replica}")
}

/// The labels every object of the lease carries.
pub fn lease_labels(lease: &LeaseId) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_AKASH.to_string(), "true".to_string()),
        (LABEL_NAMESPACE.to_string(), namespace(lease)),
        (LABEL_OWNER.to_string(), lease.owner.clone()),
        (LABEL_DSEQ.to_string(), lease.dseq.to_string()),
        (LABEL_GSEQ.to_string(), lease.gseq.to_string()),
        (LABEL_OSEQ.to_string(), lease.oseq.to_string()),
        (LABEL_PROVIDER.to_string(), lease.provider.clone()),
        (LABEL_BSEQ.to_string(), lease.bseq.to_string()),
    ])
}

/// The lease id written by [`lease_labels`], if the labels hold a complete one.
pub fn lease_from_labels(labels: &HashMap<String, String>) -> Option<LeaseId> {
    let lease = LeaseId {
        owner: labels.get(LABEL_OWNER)?.clone(),
        dseq: labels.get(LABEL_DSEQ)?.parse().ok()?,
        gseq: labels.get(LABEL_GSEQ)?.parse().ok()?,
        oseq: labels.get(LABEL_OSEQ)?.parse().ok()?,
        provider: labels.get(LABEL_PROVIDER)?.clone(),
        bseq: labels
            .get(LABEL_BSEQ)
            .and_then(|b| b.parse().ok())
            .unwrap_or(0),
    };
    // A label edited by hand must not make us act on another lease's objects.
    (labels.get(LABEL_NAMESPACE) == Some(&namespace(&lease))).then_some(lease)
}

/// Docker label filter values (`key=value`) selecting this provider's objects of one lease, or
/// all of this provider's lease objects when `ns` is None.
pub fn label_filter(provider: &str, ns: Option<&str>) -> Vec<String> {
    let mut f = vec![
        format!("{LABEL_AKASH}=true"),
        format!("{LABEL_PROVIDER}={provider}"),
    ];
    if let Some(ns) = ns {
        f.push(format!("{LABEL_NAMESPACE}={ns}"));
    }
    f
}

/// Service names become part of container and volume names and DNS aliases; the manifest rule
/// (`^[a-z]([-a-z0-9]*[a-z0-9])?$`) keeps them safe for all three.
pub fn valid_service_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Volume names from the SDL (`[a-z0-9-]` in practice) also become part of Docker names.
pub fn valid_volume_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
}
