//! The off-chain manifest (`akash.manifest.v2beta3`) as JSON types, and its version hash.
//!
//! Field names and the null/omit rules are those of the manifest JSON that Akash hashes (Go
//! `encoding/json` with the v2beta3 struct tags, reproduced by the TS SDK's
//! `generateManifestVersion`): empty `command`/`args`/`env`/`hosts` are `null`, an absent
//! `credentials` is `null`, `params` is left out when the SDL has none, endpoint `kind` 0 and
//! empty `attributes` are left out.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

fn is_zero(v: &i32) -> bool {
    *v == 0
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub services: Vec<Service>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub name: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
    pub env: Option<Vec<String>>,
    pub resources: Resources,
    pub count: u32,
    pub expose: Vec<ServiceExpose>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<ServiceParams>,
    pub credentials: Option<ImageCredentials>,
}

/// An integer rendered as a JSON string (cosmos `math.Int`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceValue {
    pub val: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub id: u32,
    pub cpu: Cpu,
    pub memory: Memory,
    pub storage: Vec<Storage>,
    pub gpu: Gpu,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cpu {
    pub units: ResourceValue,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pub size: ResourceValue,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storage {
    pub name: String,
    pub size: ResourceValue,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gpu {
    pub units: ResourceValue,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// 0 SHARED_HTTP, 1 RANDOM_PORT, 2 LEASED_IP.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kind: i32,
    pub sequence_number: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceExpose {
    pub port: u32,
    pub external_port: u32,
    pub proto: String,
    pub service: String,
    pub global: bool,
    pub hosts: Option<Vec<String>>,
    pub http_options: HttpOptions,
    pub ip: String,
    pub endpoint_sequence_number: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpOptions {
    pub max_body_size: u32,
    pub read_timeout: u32,
    pub send_timeout: u32,
    pub next_tries: u32,
    pub next_timeout: u32,
    pub next_cases: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceParams {
    pub storage: Vec<StorageParams>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageParams {
    pub name: String,
    pub mount: String,
    pub read_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageCredentials {
    pub host: String,
    pub email: String,
    pub username: String,
    pub password: String,
}

/// The canonical JSON that is hashed: keys sorted at every level, no spaces, and `<`, `>`, `&`
/// written as `\u003c`, `\u003e`, `\u0026` (Go's HTML-safe escaping).
pub fn sorted_json(groups: &[Group]) -> String {
    let value = serde_json::to_value(groups).expect("manifest types serialize");
    let mut out = String::new();
    write_sorted(&value, &mut out);
    out.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn write_sorted(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // JavaScript sorts keys by UTF-16 code units.
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).expect("string"));
                out.push(':');
                write_sorted(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The manifest version: SHA-256 of [`sorted_json`]. This is `MsgCreateDeployment.hash`.
pub fn version(groups: &[Group]) -> [u8; 32] {
    Sha256::digest(sorted_json(groups).as_bytes()).into()
}
