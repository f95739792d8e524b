//! What a provider gateway answers about a lease: status, log lines and events. The JSON shapes
//! are the Akash provider's (`../shared/spec/akash-offchain.md` §3.3-3.5) so existing tenant
//! tools parse them; the provider daemon serves these same types.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /lease/{dseq}/{gseq}/{oseq}/status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseStatus {
    pub services: BTreeMap<String, ServiceStatus>,
    pub forwarded_ports: BTreeMap<String, Vec<ForwardedPort>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub name: String,
    pub available: u32,
    pub total: u32,
    pub uris: Vec<String>,
    pub observed_generation: u64,
    pub replicas: u32,
    pub updated_replicas: u32,
    pub ready_replicas: u32,
    pub available_replicas: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardedPort {
    pub host: String,
    pub port: u16,
    #[serde(rename = "externalPort")]
    pub external_port: u16,
    pub proto: String,
    pub name: String,
}

/// One line of a container's output (`/logs` websocket message).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// `<service>-<replica index>`, the replica the line came from.
    pub name: String,
    pub message: String,
}

/// A lease event (`/kubeevents` websocket message).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseEvent {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "reportingController")]
    pub reporting_controller: String,
    #[serde(rename = "reportingInstance")]
    pub reporting_instance: String,
    pub reason: String,
    pub note: String,
    pub object: EventObject,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventObject {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}
