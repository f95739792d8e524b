//! The typed SDL, read from the YAML tree with every structural rule of Akash's SDL input
//! schema (`sdl-input.schema.yaml`): allowed keys, types, required fields, enums and ranges.
//! Each problem is collected with its YAML path; reading goes on so the user sees all of them.

use crate::units;
use crate::yaml::{Node, Value};
use crate::{Issues, MAX_ENTRIES};
use kumo_proto::math::Dec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SdlVersion {
    V2_0,
    V2_1,
}

#[derive(Clone, Debug)]
pub struct Sdl {
    pub version: SdlVersion,
    pub services: Vec<(String, Service)>,
    pub compute: Vec<(String, ComputeProfile)>,
    pub placement: Vec<(String, Placement)>,
    /// service -> [(placement, entry)]
    pub deployment: Vec<(String, Vec<(String, DeploymentEntry)>)>,
    pub endpoints: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Service {
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub expose: Vec<Expose>,
    pub params: Option<Params>,
    pub credentials: Option<Credentials>,
}

#[derive(Clone, Debug, Default)]
pub struct Expose {
    pub port: u32,
    /// `as`; 0 when absent.
    pub external_port: u32,
    /// "TCP" or "UDP".
    pub proto: String,
    pub accept: Vec<String>,
    pub to: Vec<ExposeTo>,
    pub http: HttpOptions,
}

#[derive(Clone, Debug, Default)]
pub struct ExposeTo {
    pub service: String,
    pub global: bool,
    pub ip: String,
}

/// `http_options` as written; absent fields take Akash's defaults when the manifest is built.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    pub max_body_size: Option<u32>,
    pub read_timeout: Option<u32>,
    pub send_timeout: Option<u32>,
    pub next_tries: Option<u32>,
    pub next_timeout: Option<u32>,
    pub next_cases: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Params {
    /// volume name -> (mount, readOnly), in SDL order.
    pub storage: Option<Vec<(String, StorageParam)>>,
    /// `permissions` exactly as written (only `read` is allowed).
    pub permissions: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default)]
pub struct StorageParam {
    pub mount: Option<String>,
    pub read_only: bool,
}

#[derive(Clone, Debug)]
pub struct Credentials {
    pub host: String,
    pub email: String,
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug)]
pub struct ComputeProfile {
    pub cpu_millis: u64,
    pub cpu_attributes: Vec<(String, String)>,
    pub memory_bytes: u64,
    pub storage: Vec<StorageVolume>,
    pub gpu: Option<Gpu>,
}

#[derive(Clone, Debug)]
pub struct StorageVolume {
    /// `None` when the SDL gives no name (the volume is called `default`).
    pub name: Option<String>,
    pub size_bytes: u64,
    /// Attributes as written, values rendered as strings, SDL order.
    pub attributes: Option<Vec<(String, String)>>,
}

#[derive(Clone, Debug)]
pub struct Gpu {
    pub units: u64,
    /// `attributes` present at all (even empty).
    pub has_attributes: bool,
    /// `attributes.vendor` present.
    pub has_vendor: bool,
    /// vendor -> models (`None` = `nvidia:` with no list, meaning any model).
    pub vendors: Vec<(String, Option<Vec<GpuModel>>)>,
}

#[derive(Clone, Debug)]
pub struct GpuModel {
    pub model: String,
    pub ram: Option<String>,
    pub interface: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Placement {
    pub attributes: Vec<(String, String)>,
    pub signed_by_all_of: Vec<String>,
    pub signed_by_any_of: Vec<String>,
    pub pricing: Vec<(String, Price)>,
}

#[derive(Clone, Debug)]
pub struct Price {
    pub denom: String,
    pub amount: Dec,
}

#[derive(Clone, Debug)]
pub struct DeploymentEntry {
    pub profile: String,
    pub count: u32,
}

type Profiles = (Vec<(String, ComputeProfile)>, Vec<(String, Placement)>);

/// The IBC denom of USDC on Akash mainnet, the only `ibc/` denom Akash's SDL accepts.
pub const USDC_IBC_DENOM: &str =
    "ibc/170C677610AC31DF0904FFE09CD3B5C657492170E7E52372E48756B71E56F2F1";

/// A YAML path under construction: `profiles.compute.web`, `services.web.expose[0]`.
fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

struct Reader<'a> {
    issues: &'a mut Issues,
}

impl Reader<'_> {
    fn fail(&mut self, path: &str, node: &Node, msg: impl Into<String>) {
        self.issues.push(path, node.line, msg);
    }

    fn map<'n>(&mut self, path: &str, node: &'n Node) -> Option<&'n [(String, Node)]> {
        match &node.value {
            Value::Map(e) => {
                if e.len() > MAX_ENTRIES {
                    self.fail(
                        path,
                        node,
                        format!("has {} entries; at most {MAX_ENTRIES} are allowed", e.len()),
                    );
                    return None;
                }
                Some(e)
            }
            _ => {
                self.fail(
                    path,
                    node,
                    format!("must be a mapping, found {}", node.type_name()),
                );
                None
            }
        }
    }

    /// A mapping whose keys are all in `allowed`.
    fn object<'n>(
        &mut self,
        path: &str,
        node: &'n Node,
        allowed: &[&str],
    ) -> Option<&'n [(String, Node)]> {
        let entries = self.map(path, node)?;
        for (k, v) in entries {
            if !allowed.contains(&k.as_str()) {
                let hint = match k.as_str() {
                    "depends_on" | "depends-on" => " (docker-compose syntax; SDL services reach each other through expose.to.service)",
                    _ => "",
                };
                self.fail(
                    &child(path, k),
                    v,
                    format!(
                        "unknown key {k:?}{hint}; allowed here: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(entries)
    }

    fn seq<'n>(&mut self, path: &str, node: &'n Node) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => {
                if items.len() > MAX_ENTRIES {
                    self.fail(
                        path,
                        node,
                        format!(
                            "has {} items; at most {MAX_ENTRIES} are allowed",
                            items.len()
                        ),
                    );
                    return None;
                }
                Some(items)
            }
            _ => {
                self.fail(
                    path,
                    node,
                    format!("must be a list, found {}", node.type_name()),
                );
                None
            }
        }
    }

    fn string(&mut self, path: &str, node: &Node) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.fail(
                    path,
                    node,
                    format!("must be a string, found {} (quote it)", node.type_name()),
                );
                None
            }
        }
    }

    fn bool(&mut self, path: &str, node: &Node) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.fail(
                    path,
                    node,
                    format!("must be true or false, found {}", node.type_name()),
                );
                None
            }
        }
    }

    /// An integer in `min..=max`.
    fn int(&mut self, path: &str, node: &Node, min: u64, max: u64) -> Option<u64> {
        let v = match &node.value {
            Value::Num(n) if n.is_integer() => n,
            _ => {
                self.fail(
                    path,
                    node,
                    format!("must be an integer, found {}", describe(node)),
                );
                return None;
            }
        };
        match v.to_u64() {
            Some(x) if (min..=max).contains(&x) => Some(x),
            _ => {
                self.fail(
                    path,
                    node,
                    format!(
                        "must be between {min} and {max}, found {}",
                        v.to_plain_string()
                    ),
                );
                None
            }
        }
    }

    /// A list of strings, or null (empty).
    fn strings_or_null(&mut self, path: &str, node: &Node) -> Vec<String> {
        if node.value == Value::Null {
            return Vec::new();
        }
        self.strings(path, node)
    }

    fn strings(&mut self, path: &str, node: &Node) -> Vec<String> {
        let Some(items) = self.seq(path, node) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| self.string(&index(path, i), n))
            .collect()
    }

    /// Scalar attribute values become strings the way JavaScript's `String()` writes them.
    fn attributes(&mut self, path: &str, node: &Node) -> Vec<(String, String)> {
        let Some(entries) = self.map(path, node) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let s = match &v.value {
                Value::Str(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Num(n) => n.to_plain_string(),
                Value::Null => "null".into(),
                _ => {
                    self.fail(
                        &child(path, k),
                        v,
                        format!("attribute value must be a string, found {}", v.type_name()),
                    );
                    continue;
                }
            };
            out.push((k.clone(), s));
        }
        out
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Num(n) => n.to_plain_string(),
        Value::Str(s) => format!("the string {s:?} (write it without quotes)"),
        _ => node.type_name().to_string(),
    }
}

fn get<'n>(entries: &'n [(String, Node)], key: &str) -> Option<&'n Node> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Reads the whole SDL. Returns `None` if anything was wrong (the problems are in `issues`).
pub fn read(root: &Node, issues: &mut Issues) -> Option<Sdl> {
    let before = issues.len();
    let mut r = Reader { issues };
    let top = r.object(
        "",
        root,
        &[
            "version",
            "services",
            "profiles",
            "deployment",
            "endpoints",
            "include",
        ],
    )?;
    for key in ["version", "services", "profiles", "deployment"] {
        if get(top, key).is_none() {
            r.issues
                .push(key, root.line, format!("missing; an SDL needs {key}"));
        }
    }
    let version = match get(top, "version").map(|n| (n, &n.value)) {
        Some((_, Value::Str(s))) if s == "2.0" => Some(SdlVersion::V2_0),
        Some((_, Value::Str(s))) if s == "2.1" => Some(SdlVersion::V2_1),
        Some((n, _)) => {
            r.fail(
                "version",
                n,
                format!(
                    "must be the string \"2.0\" or \"2.1\" (quoted), found {}",
                    describe(n)
                ),
            );
            None
        }
        None => None,
    };
    if let Some(inc) = get(top, "include") {
        r.strings("include", inc);
    }
    let services = get(top, "services")
        .map(|n| read_services(&mut r, n))
        .unwrap_or_default();
    let (compute, placement) = match get(top, "profiles") {
        Some(p) => read_profiles(&mut r, p),
        None => (Vec::new(), Vec::new()),
    };
    let deployment = get(top, "deployment")
        .map(|n| read_deployment(&mut r, n))
        .unwrap_or_default();
    let endpoints = get(top, "endpoints")
        .map(|n| read_endpoints(&mut r, n))
        .unwrap_or_default();
    if r.issues.len() > before {
        return None;
    }
    Some(Sdl {
        version: version?,
        services,
        compute,
        placement,
        deployment,
        endpoints,
    })
}

fn read_services(r: &mut Reader, node: &Node) -> Vec<(String, Service)> {
    let Some(entries) = r.map("services", node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, svc) in entries {
        let path = child("services", name);
        if !valid_service_name(name) {
            r.fail(&path, svc, format!("service name {name:?} is not valid: use lowercase letters, digits and '-', starting with a letter and not ending with '-'"));
        }
        let Some(e) = r.object(
            &path,
            svc,
            &[
                "image",
                "command",
                "args",
                "env",
                "expose",
                "dependencies",
                "params",
                "credentials",
            ],
        ) else {
            continue;
        };
        let mut s = Service::default();
        match get(e, "image") {
            None => r.fail(
                &path,
                svc,
                "image is missing; give the container image, e.g. image: nginx:1.25",
            ),
            Some(n) => {
                if let Some(img) = r.string(&child(&path, "image"), n) {
                    if img.is_empty() {
                        r.fail(&child(&path, "image"), n, "must not be empty");
                    }
                    s.image = img;
                }
            }
        }
        if let Some(n) = get(e, "command") {
            s.command = r.strings_or_null(&child(&path, "command"), n);
        }
        if let Some(n) = get(e, "args") {
            s.args = r.strings_or_null(&child(&path, "args"), n);
        }
        if let Some(n) = get(e, "env") {
            s.env = r.strings_or_null(&child(&path, "env"), n);
        }
        if let Some(n) = get(e, "dependencies") {
            let p = child(&path, "dependencies");
            if let Some(items) = r.seq(&p, n) {
                for (i, d) in items.iter().enumerate() {
                    if let Some(de) = r.object(&index(&p, i), d, &["service"]) {
                        if let Some(sv) = get(de, "service") {
                            r.string(&child(&index(&p, i), "service"), sv);
                        }
                    }
                }
            }
        }
        if let Some(n) = get(e, "expose") {
            s.expose = read_expose(r, &child(&path, "expose"), n);
        }
        if let Some(n) = get(e, "params") {
            s.params = read_params(r, &child(&path, "params"), n);
        }
        if let Some(n) = get(e, "credentials") {
            s.credentials = read_credentials(r, &child(&path, "credentials"), n);
        }
        out.push((name.clone(), s));
    }
    out
}

/// Kubernetes-style service names, as the provider's manifest validation requires.
fn valid_service_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

fn read_expose(r: &mut Reader, path: &str, node: &Node) -> Vec<Expose> {
    let Some(items) = r.seq(path, node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = index(path, i);
        let Some(e) = r.object(
            &p,
            item,
            &["port", "as", "proto", "accept", "to", "http_options"],
        ) else {
            continue;
        };
        let mut x = Expose {
            proto: "TCP".into(),
            ..Default::default()
        };
        match get(e, "port") {
            None => r.fail(
                &p,
                item,
                "port is missing; give the container port (1-65535)",
            ),
            Some(n) => x.port = r.int(&child(&p, "port"), n, 1, 65535).unwrap_or(0) as u32,
        }
        if let Some(n) = get(e, "as") {
            x.external_port = r.int(&child(&p, "as"), n, 1, 65535).unwrap_or(0) as u32;
        }
        if let Some(n) = get(e, "proto") {
            if let Some(s) = r.string(&child(&p, "proto"), n) {
                match s.as_str() {
                    "tcp" | "TCP" => x.proto = "TCP".into(),
                    "udp" | "UDP" => x.proto = "UDP".into(),
                    _ => r.fail(
                        &child(&p, "proto"),
                        n,
                        format!("{s:?} is not a protocol; use tcp or udp"),
                    ),
                }
            }
        }
        if let Some(n) = get(e, "accept") {
            x.accept = r.strings(&child(&p, "accept"), n);
        }
        if let Some(n) = get(e, "to") {
            let tp = child(&p, "to");
            if let Some(tos) = r.seq(&tp, n) {
                for (j, t) in tos.iter().enumerate() {
                    let jp = index(&tp, j);
                    let Some(te) = r.object(&jp, t, &["service", "global", "ip"]) else {
                        continue;
                    };
                    let mut to = ExposeTo::default();
                    if let Some(v) = get(te, "service") {
                        to.service = r.string(&child(&jp, "service"), v).unwrap_or_default();
                    }
                    if let Some(v) = get(te, "global") {
                        to.global = r.bool(&child(&jp, "global"), v).unwrap_or(false);
                    }
                    if let Some(v) = get(te, "ip") {
                        to.ip = r.string(&child(&jp, "ip"), v).unwrap_or_default();
                        if to.ip.is_empty() {
                            r.fail(
                                &child(&jp, "ip"),
                                v,
                                "must not be empty; name an endpoint from the endpoints section",
                            );
                        } else if !to.global {
                            r.fail(
                                &child(&jp, "global"),
                                t,
                                "an entry with ip must also say global: true",
                            );
                        }
                    }
                    x.to.push(to);
                }
            }
        }
        if let Some(n) = get(e, "http_options") {
            x.http = read_http_options(r, &child(&p, "http_options"), n);
        }
        out.push(x);
    }
    out
}

fn read_http_options(r: &mut Reader, path: &str, node: &Node) -> HttpOptions {
    let mut h = HttpOptions::default();
    let Some(e) = r.object(
        path,
        node,
        &[
            "max_body_size",
            "read_timeout",
            "send_timeout",
            "next_tries",
            "next_timeout",
            "next_cases",
        ],
    ) else {
        return h;
    };
    let u32max = u32::MAX as u64;
    let field = |r: &mut Reader, key: &str, max: u64| {
        get(e, key)
            .and_then(|n| r.int(&child(path, key), n, 0, max))
            .map(|v| v as u32)
    };
    h.max_body_size = field(r, "max_body_size", 104_857_600);
    h.read_timeout = field(r, "read_timeout", 60_000);
    h.send_timeout = field(r, "send_timeout", 60_000);
    h.next_tries = field(r, "next_tries", u32max);
    h.next_timeout = field(r, "next_timeout", u32max);
    if let Some(n) = get(e, "next_cases") {
        let p = child(path, "next_cases");
        let cases = r.strings(&p, n);
        const ALLOWED: [&str; 10] = [
            "error", "timeout", "500", "502", "503", "504", "403", "404", "429", "off",
        ];
        for c in &cases {
            if !ALLOWED.contains(&c.as_str()) {
                r.fail(
                    &p,
                    n,
                    format!("{c:?} is not allowed; use {}", ALLOWED.join(", ")),
                );
            }
        }
        if cases.iter().any(|c| c == "off") && cases.len() != 1 {
            r.fail(&p, n, "\"off\" must be the only entry");
        }
        h.next_cases = Some(cases);
    }
    h
}

fn read_params(r: &mut Reader, path: &str, node: &Node) -> Option<Params> {
    let e = r.object(path, node, &["storage", "permissions"])?;
    let mut params = Params::default();
    if let Some(n) = get(e, "storage") {
        let sp = child(path, "storage");
        if let Some(vols) = r.map(&sp, n) {
            let mut out = Vec::new();
            for (name, v) in vols {
                let vp = child(&sp, name);
                let Some(ve) = r.object(&vp, v, &["mount", "readOnly"]) else {
                    continue;
                };
                let mut p = StorageParam::default();
                if let Some(m) = get(ve, "mount") {
                    if let Some(s) = r.string(&child(&vp, "mount"), m) {
                        if !s.starts_with('/') {
                            r.fail(
                                &child(&vp, "mount"),
                                m,
                                format!("{s:?} must be an absolute path starting with /"),
                            );
                        }
                        p.mount = Some(s);
                    }
                }
                if let Some(ro) = get(ve, "readOnly") {
                    p.read_only = r.bool(&child(&vp, "readOnly"), ro).unwrap_or(false);
                }
                out.push((name.clone(), p));
            }
            params.storage = Some(out);
        }
    }
    if let Some(n) = get(e, "permissions") {
        let pp = child(path, "permissions");
        if let Some(pe) = r.object(&pp, n, &["read"]) {
            let mut obj = serde_json::Map::new();
            if let Some(rd) = get(pe, "read") {
                let reads = r.strings(&child(&pp, "read"), rd);
                for v in &reads {
                    if v != "deployment" && v != "logs" {
                        r.fail(
                            &child(&pp, "read"),
                            rd,
                            format!("{v:?} is not allowed; use deployment or logs"),
                        );
                    }
                }
                obj.insert("read".into(), serde_json::json!(reads));
            }
            params.permissions = Some(serde_json::Value::Object(obj));
        }
    }
    Some(params)
}

fn read_credentials(r: &mut Reader, path: &str, node: &Node) -> Option<Credentials> {
    let e = r.object(path, node, &["host", "username", "password", "email"])?;
    let field = |r: &mut Reader, key: &str, min: usize, required: bool| -> String {
        match get(e, key) {
            None => {
                if required {
                    r.fail(path, node, format!("{key} is missing; private registry credentials need host, username and password"));
                }
                String::new()
            }
            Some(n) => {
                let s = r.string(&child(path, key), n).unwrap_or_default();
                if s.chars().count() < min {
                    r.fail(
                        &child(path, key),
                        n,
                        format!("must be at least {min} characters long"),
                    );
                }
                s
            }
        }
    };
    let host = field(r, "host", 1, true);
    let username = field(r, "username", 1, true);
    let password = field(r, "password", 6, true);
    let email = field(r, "email", 5, false);
    Some(Credentials {
        host,
        email,
        username,
        password,
    })
}

fn read_profiles(r: &mut Reader, node: &Node) -> Profiles {
    let Some(e) = r.object("profiles", node, &["compute", "placement"]) else {
        return Default::default();
    };
    let mut compute = Vec::new();
    let mut placement = Vec::new();
    match get(e, "compute") {
        None => r.fail(
            "profiles",
            node,
            "compute is missing; define at least one compute profile",
        ),
        Some(n) => {
            if let Some(profiles) = r.map("profiles.compute", n) {
                for (name, p) in profiles {
                    if let Some(cp) = read_compute(r, &child("profiles.compute", name), p) {
                        compute.push((name.clone(), cp));
                    }
                }
            }
        }
    }
    match get(e, "placement") {
        None => r.fail(
            "profiles",
            node,
            "placement is missing; define at least one placement profile",
        ),
        Some(n) => {
            if let Some(profiles) = r.map("profiles.placement", n) {
                for (name, p) in profiles {
                    if let Some(pl) = read_placement(r, &child("profiles.placement", name), p) {
                        placement.push((name.clone(), pl));
                    }
                }
            }
        }
    }
    (compute, placement)
}

fn read_compute(r: &mut Reader, path: &str, node: &Node) -> Option<ComputeProfile> {
    let e = r.object(path, node, &["resources"])?;
    let Some(res) = get(e, "resources") else {
        r.fail(
            path,
            node,
            "resources is missing; give cpu, memory and storage",
        );
        return None;
    };
    let rp = child(path, "resources");
    let re = r.object(&rp, res, &["cpu", "memory", "storage", "gpu"])?;
    for key in ["cpu", "memory", "storage"] {
        if get(re, key).is_none() {
            r.fail(
                &rp,
                res,
                format!("{key} is missing; every compute profile needs cpu, memory and storage"),
            );
        }
    }
    let mut ok = true;
    let mut cpu_millis = 0;
    let mut cpu_attributes = Vec::new();
    if let Some(cpu) = get(re, "cpu") {
        let cp = child(&rp, "cpu");
        if let Some(ce) = r.object(&cp, cpu, &["units", "attributes"]) {
            match get(ce, "units") {
                None => {
                    r.fail(
                        &cp,
                        cpu,
                        "units is missing; e.g. units: 0.5 (cores) or units: \"500m\"",
                    );
                    ok = false;
                }
                Some(u) => match units::parse_cpu(u) {
                    Ok(v) => cpu_millis = v,
                    Err(m) => {
                        r.fail(&child(&cp, "units"), u, m);
                        ok = false;
                    }
                },
            }
            if let Some(a) = get(ce, "attributes") {
                cpu_attributes = r.attributes(&child(&cp, "attributes"), a);
            }
        }
    }
    let mut memory_bytes = 0;
    if let Some(mem) = get(re, "memory") {
        let mp = child(&rp, "memory");
        if let Some(me) = r.object(&mp, mem, &["size"]) {
            match get(me, "size") {
                None => {
                    r.fail(&mp, mem, "size is missing; e.g. size: 512Mi");
                    ok = false;
                }
                Some(s) => match r
                    .string(&child(&mp, "size"), s)
                    .map(|t| units::parse_size(&t))
                {
                    Some(Ok(v)) => memory_bytes = v,
                    Some(Err(m)) => {
                        r.fail(&child(&mp, "size"), s, m);
                        ok = false;
                    }
                    None => ok = false,
                },
            }
        }
    }
    let mut storage = Vec::new();
    if let Some(st) = get(re, "storage") {
        let sp = child(&rp, "storage");
        let vols: Vec<(String, &Node)> = match &st.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| (index(&sp, i), n))
                .collect(),
            _ => vec![(sp.clone(), st)],
        };
        if vols.len() > MAX_ENTRIES {
            r.fail(
                &sp,
                st,
                format!("at most {MAX_ENTRIES} volumes are allowed"),
            );
        }
        for (vp, v) in vols {
            if let Some(vol) = read_volume(r, &vp, v) {
                storage.push(vol);
            } else {
                ok = false;
            }
        }
    }
    let gpu = match get(re, "gpu") {
        Some(g) => {
            let g = read_gpu(r, &child(&rp, "gpu"), g);
            ok &= g.is_some();
            g
        }
        None => None,
    };
    ok.then_some(ComputeProfile {
        cpu_millis,
        cpu_attributes,
        memory_bytes,
        storage,
        gpu,
    })
}

fn read_volume(r: &mut Reader, path: &str, node: &Node) -> Option<StorageVolume> {
    let e = r.object(path, node, &["name", "size", "attributes"])?;
    let name = match get(e, "name") {
        Some(n) => Some(r.string(&child(path, "name"), n)?),
        None => None,
    };
    let Some(size) = get(e, "size") else {
        r.fail(path, node, "size is missing; e.g. size: 1Gi");
        return None;
    };
    let size_bytes = match units::parse_size(&r.string(&child(path, "size"), size)?) {
        Ok(v) => v,
        Err(m) => {
            r.fail(&child(path, "size"), size, m);
            return None;
        }
    };
    let attributes = match get(e, "attributes") {
        None => None,
        Some(a) => {
            let ap = child(path, "attributes");
            let ae = r.object(&ap, a, &["class", "persistent"])?;
            let mut out = Vec::new();
            for (k, v) in ae {
                let s = match (k.as_str(), &v.value) {
                    ("class", Value::Str(s)) => s.clone(),
                    ("persistent", Value::Str(s)) => s.clone(),
                    ("persistent", Value::Bool(b)) => b.to_string(),
                    ("class", _) => {
                        r.fail(
                            &child(&ap, k),
                            v,
                            "must be a string: default, beta1, beta2, beta3 or ram",
                        );
                        continue;
                    }
                    _ => {
                        r.fail(&child(&ap, k), v, "must be true or false");
                        continue;
                    }
                };
                out.push((k.clone(), s));
            }
            let class = out
                .iter()
                .find(|(k, _)| k == "class")
                .map(|(_, v)| v.as_str());
            let persistent = out
                .iter()
                .find(|(k, _)| k == "persistent")
                .map(|(_, v)| v.as_str());
            if class == Some("ram") && persistent == Some("true") {
                r.fail(
                    &ap,
                    a,
                    "a class: ram volume cannot be persistent; drop persistent or set it to false",
                );
            }
            Some(out)
        }
    };
    Some(StorageVolume {
        name,
        size_bytes,
        attributes,
    })
}

fn read_gpu(r: &mut Reader, path: &str, node: &Node) -> Option<Gpu> {
    let e = r.object(path, node, &["units", "attributes"])?;
    let Some(u) = get(e, "units") else {
        r.fail(
            path,
            node,
            "units is missing; give the number of GPUs (0 for none)",
        );
        return None;
    };
    let units = match &u.value {
        Value::Num(n) => n.to_u64(),
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    };
    let Some(units) = units else {
        r.fail(
            &child(path, "units"),
            u,
            format!("must be a whole number of GPUs, found {}", describe(u)),
        );
        return None;
    };
    let mut gpu = Gpu {
        units,
        has_attributes: false,
        has_vendor: false,
        vendors: Vec::new(),
    };
    if let Some(a) = get(e, "attributes") {
        gpu.has_attributes = true;
        let ap = child(path, "attributes");
        let ae = r.object(&ap, a, &["vendor"])?;
        if let Some(v) = get(ae, "vendor") {
            gpu.has_vendor = true;
            let vp = child(&ap, "vendor");
            let ve = r.object(&vp, v, &["nvidia"])?;
            if ve.is_empty() {
                r.fail(&vp, v, "name a vendor, e.g. nvidia: [{model: a100}]");
                return None;
            }
            for (vendor, models) in ve {
                let mp = child(&vp, vendor);
                let list = match &models.value {
                    Value::Null => None,
                    _ => {
                        let items = r.seq(&mp, models)?;
                        let mut out = Vec::new();
                        for (i, m) in items.iter().enumerate() {
                            let ip = index(&mp, i);
                            let me = r.object(&ip, m, &["model", "ram", "interface"])?;
                            let Some(model) = get(me, "model") else {
                                r.fail(&ip, m, "model is missing; e.g. model: a100");
                                return None;
                            };
                            let model = r.string(&child(&ip, "model"), model)?;
                            let ram = match get(me, "ram") {
                                Some(x) => Some(r.string(&child(&ip, "ram"), x)?),
                                None => None,
                            };
                            let interface = match get(me, "interface") {
                                Some(x) => {
                                    let s = r.string(&child(&ip, "interface"), x)?;
                                    if s != "pcie" && s != "sxm" {
                                        r.fail(
                                            &child(&ip, "interface"),
                                            x,
                                            format!("{s:?} is not allowed; use pcie or sxm"),
                                        );
                                        return None;
                                    }
                                    Some(s)
                                }
                                None => None,
                            };
                            out.push(GpuModel {
                                model,
                                ram,
                                interface,
                            });
                        }
                        Some(out)
                    }
                };
                gpu.vendors.push((vendor.clone(), list));
            }
        }
    }
    Some(gpu)
}

fn read_placement(r: &mut Reader, path: &str, node: &Node) -> Option<Placement> {
    let e = r.object(path, node, &["attributes", "signedBy", "pricing"])?;
    let mut p = Placement::default();
    if let Some(a) = get(e, "attributes") {
        p.attributes = r.attributes(&child(path, "attributes"), a);
    }
    if let Some(s) = get(e, "signedBy") {
        let sp = child(path, "signedBy");
        if let Some(se) = r.object(&sp, s, &["allOf", "anyOf"]) {
            if let Some(n) = get(se, "allOf") {
                p.signed_by_all_of = r.strings(&child(&sp, "allOf"), n);
            }
            if let Some(n) = get(se, "anyOf") {
                p.signed_by_any_of = r.strings(&child(&sp, "anyOf"), n);
            }
        }
    }
    match get(e, "pricing") {
        None => r.fail(path, node, "pricing is missing; give a price per compute profile, e.g. pricing: {web: {denom: uakt, amount: 1000}}"),
        Some(pr) => {
            let pp = child(path, "pricing");
            if let Some(entries) = r.map(&pp, pr) {
                for (profile, coin) in entries {
                    if let Some(price) = read_price(r, &child(&pp, profile), coin) {
                        p.pricing.push((profile.clone(), price));
                    }
                }
            }
        }
    }
    Some(p)
}

fn read_price(r: &mut Reader, path: &str, node: &Node) -> Option<Price> {
    let e = r.object(path, node, &["denom", "amount"])?;
    let (Some(d), Some(a)) = (get(e, "denom"), get(e, "amount")) else {
        r.fail(
            path,
            node,
            "needs denom and amount, e.g. {denom: uakt, amount: 1000}",
        );
        return None;
    };
    let denom = r.string(&child(path, "denom"), d)?;
    let denom_ok = denom == "uakt" || denom == "uact" || denom == USDC_IBC_DENOM;
    if !denom_ok {
        r.fail(
            &child(path, "denom"),
            d,
            format!(
                "{denom:?} is not accepted; use uakt, uact or the USDC IBC denom {USDC_IBC_DENOM}"
            ),
        );
    }
    let ap = child(path, "amount");
    let text = match &a.value {
        Value::Num(n) if !n.special && !n.is_negative() => n.to_plain_string(),
        Value::Str(s) if valid_amount_string(s) => s.clone(),
        _ => {
            r.fail(
                &ap,
                a,
                format!(
                    "must be a non-negative decimal such as 1000 or \"0.5\", found {}",
                    describe(a)
                ),
            );
            return None;
        }
    };
    let amount: Dec = match text.parse() {
        Ok(v) => v,
        Err(m) => {
            r.fail(&ap, a, m);
            return None;
        }
    };
    denom_ok.then_some(Price { denom, amount })
}

fn valid_amount_string(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && (int.bytes().chain(frac.bytes())).all(|b| b.is_ascii_digit())
}

fn read_deployment(r: &mut Reader, node: &Node) -> Vec<(String, Vec<(String, DeploymentEntry)>)> {
    let Some(entries) = r.map("deployment", node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (svc, placements) in entries {
        let sp = child("deployment", svc);
        let Some(pe) = r.map(&sp, placements) else {
            continue;
        };
        let mut list = Vec::new();
        for (pl, d) in pe {
            let dp = child(&sp, pl);
            let Some(de) = r.object(&dp, d, &["profile", "count"]) else {
                continue;
            };
            let (Some(p), Some(c)) = (get(de, "profile"), get(de, "count")) else {
                r.fail(
                    &dp,
                    d,
                    "needs profile and count, e.g. {profile: web, count: 1}",
                );
                continue;
            };
            let profile = r.string(&child(&dp, "profile"), p);
            let count = r.int(&child(&dp, "count"), c, 1, u32::MAX as u64);
            if let (Some(profile), Some(count)) = (profile, count) {
                list.push((
                    pl.clone(),
                    DeploymentEntry {
                        profile,
                        count: count as u32,
                    },
                ));
            }
        }
        out.push((svc.clone(), list));
    }
    out
}

fn read_endpoints(r: &mut Reader, node: &Node) -> Vec<String> {
    let Some(entries) = r.map("endpoints", node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, ep) in entries {
        let p = child("endpoints", name);
        if !valid_endpoint_name(name) {
            r.fail(&p, ep, format!("endpoint name {name:?} is not valid: lowercase letters first, then lowercase letters, digits, '-' or '_' (at least 2 characters)"));
            continue;
        }
        let Some(e) = r.object(&p, ep, &["kind"]) else {
            continue;
        };
        match get(e, "kind").map(|k| (k, &k.value)) {
            Some((_, Value::Str(k))) if k == "ip" => out.push(name.clone()),
            Some((k, _)) => r.fail(&child(&p, "kind"), k, "the only endpoint kind is ip"),
            None => r.fail(&p, ep, "kind is missing; write kind: ip"),
        }
    }
    out
}

/// `^[a-z]+[-_0-9a-z]+$`
fn valid_endpoint_name(name: &str) -> bool {
    let b = name.as_bytes();
    let lead = b.iter().take_while(|c| c.is_ascii_lowercase()).count();
    lead >= 1
        && b.len() >= 2
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'_')
}
