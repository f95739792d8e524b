//! Unit tests of the whole pipeline on small SDLs.
use super::*;

const WORKED: &str = r#"
version: "2.0"
services:
  web:
    image: nginx:1.25
    expose:
      - port: 80
        as: 80
        accept: [www.example.com]
        to: [{global: true}]
profiles:
  compute:
    web:
      resources:
        cpu: {units: 0.5}
        memory: {size: 512Mi}
        storage: [{size: 1Gi}]
  placement:
    dcloud:
      attributes: {host: akash}
      signedBy: {anyOf: [akash1365yvmc4s7awdyj3n2sav7xfx76adc6dnmlx63]}
      pricing:
        web: {denom: uakt, amount: 1000}
deployment:
  web:
    dcloud: {profile: web, count: 1}
"#;

#[test]
fn worked_example_builds_one_group() {
    let d = parse("web.yaml", WORKED).unwrap();
    assert_eq!(d.groups.len(), 1);
    let g = &d.groups[0];
    assert_eq!(g.name, "dcloud");
    let u = &g.resources[0];
    let r = u.resource.as_ref().unwrap();
    assert_eq!(r.id, 1);
    assert_eq!(r.cpu.as_ref().unwrap().units.as_ref().unwrap().val, b"500");
    assert_eq!(
        r.memory.as_ref().unwrap().quantity.as_ref().unwrap().val,
        b"536870912"
    );
    assert_eq!(r.storage[0].name, "default");
    assert_eq!(r.storage[0].quantity.as_ref().unwrap().val, b"1073741824");
    assert_eq!(r.gpu.as_ref().unwrap().units.as_ref().unwrap().val, b"0");
    assert_eq!(r.endpoints.len(), 1);
    assert_eq!(r.endpoints[0].kind, 0);
    assert_eq!(u.count, 1);
    let price = u.price.as_ref().unwrap();
    assert_eq!(price.denom, "uakt");
    assert_eq!(price.amount, "1000000000000000000000"); // LegacyDec wire form of 1000
    let req = g.requirements.as_ref().unwrap();
    assert_eq!(req.attributes[0].key, "host");
    assert_eq!(req.signed_by.as_ref().unwrap().any_of.len(), 1);
    let json = d.manifest_sorted_json();
    assert!(json.starts_with(r#"[{"name":"dcloud","services":[{"args":null,"command":null,"count":1,"credentials":null,"env":null,"expose":[{"endpointSequenceNumber":0,"externalPort":80,"global":true,"hosts":["www.example.com"]"#), "{json}");
    assert_eq!(
        hex::encode(d.manifest_version),
        hex::encode(manifest::version(&d.manifest))
    );
}

fn errors(yaml: &str) -> String {
    parse("web.yaml", yaml).unwrap_err().to_string()
}

#[test]
fn gpu_units_need_vendor() {
    let y = WORKED.replace(
        "storage: [{size: 1Gi}]",
        "storage: [{size: 1Gi}]\n        gpu: {units: 1}",
    );
    let e = errors(&y);
    assert!(
        e.contains(
            "web.yaml: profiles.compute.web.resources.gpu: units > 0 needs attributes.vendor"
        ),
        "{e}"
    );
    let y = WORKED.replace(
        "storage: [{size: 1Gi}]",
        "storage: [{size: 1Gi}]\n        gpu: {units: 0, attributes: {vendor: {nvidia: }}}",
    );
    assert!(errors(&y).contains("attributes need units > 0"));
}

#[test]
fn gpu_attributes_keys() {
    let y = WORKED.replace(
        "storage: [{size: 1Gi}]",
        "storage: [{size: 1Gi}]\n        gpu:\n          units: 2\n          attributes:\n            vendor:\n              nvidia:\n                - model: a100\n                  ram: 80Gi\n                  interface: sxm\n                - model: h100",
    );
    let d = parse("web.yaml", &y).unwrap();
    let gpu = d.groups[0].resources[0]
        .resource
        .as_ref()
        .unwrap()
        .gpu
        .clone()
        .unwrap();
    let keys: Vec<_> = gpu.attributes.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "vendor/nvidia/model/a100/ram/80Gi/interface/sxm",
            "vendor/nvidia/model/h100"
        ]
    );
    let y = y.replace("nvidia:\n                - model: a100\n                  ram: 80Gi\n                  interface: sxm\n                - model: h100", "nvidia:");
    let d = parse("web.yaml", &y).unwrap();
    let gpu = d.groups[0].resources[0]
        .resource
        .as_ref()
        .unwrap()
        .gpu
        .clone()
        .unwrap();
    assert_eq!(gpu.attributes[0].key, "vendor/nvidia/model/*");
}

#[test]
fn clear_errors_with_paths() {
    let e = errors(&WORKED.replace("size: 512Mi", "size: \"512\""));
    assert!(
        e.contains("profiles.compute.web.resources.memory.size: size \"512\" has no unit"),
        "{e}"
    );
    let e = errors(&WORKED.replace("profile: web, count: 1", "profile: api, count: 1"));
    assert!(e.contains("compute profile \"api\" is not defined"), "{e}");
    assert!(e.contains("no price for compute profile \"api\""), "{e}");
    let e = errors(&WORKED.replace("version: \"2.0\"", "version: 2.0"));
    assert!(
        e.contains("version: must be the string \"2.0\" or \"2.1\""),
        "{e}"
    );
    let e = errors(&WORKED.replace(
        "    image: nginx:1.25\n",
        "    image: nginx:1.25\n    depends_on: [db]\n",
    ));
    assert!(
        e.contains("services.web.depends_on: unknown key \"depends_on\""),
        "{e}"
    );
    let e = errors(&WORKED.replace("denom: uakt", "denom: ibc/FOO"));
    assert!(e.contains("pricing.web.denom"), "{e}");
    let e = errors(&WORKED.replace("units: 0.5", "units: 500"));
    assert!(e.contains("384 CPUs"), "{e}");
    let e = errors(&WORKED.replace("as: 80", "as: 0"));
    assert!(
        e.contains("services.web.expose[0].as: must be between 1 and 65535"),
        "{e}"
    );
    let e = errors("");
    assert!(e.contains("empty"), "{e}");
    let e = errors("version: [");
    assert!(e.contains("invalid YAML"), "{e}");
}

#[test]
fn persistent_storage_must_be_mounted() {
    let y = WORKED.replace(
        "storage: [{size: 1Gi}]",
        "storage:\n          - size: 1Gi\n          - name: data\n            size: 10Gi\n            attributes: {persistent: true, class: beta3}",
    );
    let e = errors(&y);
    assert!(
        e.contains("services.web.params.storage.data: persistent volume \"data\""),
        "{e}"
    );
    let y = y.replace("    image: nginx:1.25\n", "    image: nginx:1.25\n    params:\n      storage:\n        data:\n          mount: /data\n");
    let d = parse("web.yaml", &y).unwrap();
    let st = &d.groups[0].resources[0].resource.as_ref().unwrap().storage[1];
    assert_eq!(st.name, "data");
    assert_eq!(
        st.attributes
            .iter()
            .map(|a| (a.key.as_str(), a.value.as_str()))
            .collect::<Vec<_>>(),
        [("class", "beta3"), ("persistent", "true")]
    );
    assert_eq!(
        d.manifest[0].services[0].params.as_ref().unwrap().storage[0].mount,
        "/data"
    );
}

#[test]
fn shared_profile_shares_one_unit_and_ip_endpoints_are_numbered() {
    let y = r#"
version: "2.0"
endpoints:
  myip: {kind: ip}
services:
  b:
    image: x
    expose:
      - {port: 8080, as: 80, to: [{global: true, ip: myip}]}
  a:
    image: y
    expose:
      - {port: 22, to: [{global: true, ip: myip}]}
profiles:
  compute:
    p: {resources: {cpu: {units: 1}, memory: {size: 1Gi}, storage: {size: 1Gi}}}
  placement:
    z: {pricing: {p: {denom: uakt, amount: 10}}}
deployment:
  a: {z: {profile: p, count: 2}}
  b: {z: {profile: p, count: 3}}
"#;
    let d = parse("ip.yaml", y).unwrap();
    let units = &d.groups[0].resources;
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].count, 5);
    let eps: Vec<_> = units[0]
        .resource
        .as_ref()
        .unwrap()
        .endpoints
        .iter()
        .map(|e| (e.kind, e.sequence_number))
        .collect();
    // Two uses of "myip": the name's last position in the sorted list is 2.
    assert_eq!(eps, [(0, 0), (1, 0), (2, 2), (2, 2)]);
    let names: Vec<_> = d.manifest[0]
        .services
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert!(d.manifest[0].services.iter().all(|s| s.resources.id == 1));
    let e = errors(&y.replace("ip: myip}]}\n  a:", "ip: other}]}\n  a:"));
    assert!(e.contains("unknown endpoint \"other\""), "{e}");
}

#[test]
fn limits_refuse_big_inputs() {
    let mut y = String::from("version: \"2.0\"\nservices:\n");
    for i in 0..=MAX_SERVICES {
        y.push_str(&format!("  s{i}: {{image: x}}\n"));
    }
    assert!(errors(&y).contains("at most 100"));
    let deep = format!("version: {}1{}", "[".repeat(100), "]".repeat(100));
    assert!(errors(&deep).contains("nesting deeper"));
}
