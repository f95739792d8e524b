//! kumo-sdl against Akash's own SDL implementation, on real SDLs: `golden/*.oracle.json` hold
//! what `@akashnetwork/chain-sdk` (`generateManifest` + `generateManifestVersion`) makes of the
//! `golden/*.yaml` beside them. Regenerate with `tests/compat/sdl_golden.mjs`.

use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::math::Dec;
use serde_json::{json, Value};
use std::path::Path;

fn val(v: &Option<kumo_proto::akash::base::resources::v1beta4::ResourceValue>) -> String {
    String::from_utf8(v.as_ref().expect("value").val.clone()).expect("utf8")
}

fn pairs(a: &[kumo_proto::akash::base::attributes::v1::Attribute]) -> Value {
    Value::Array(a.iter().map(|x| json!([x.key, x.value])).collect())
}

/// The normal form of `tests/compat/sdl_common.mjs`.
fn normal_form(groups: &[GroupSpec]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| {
                let req = g.requirements.clone().unwrap_or_default();
                let sb = req.signed_by.unwrap_or_default();
                let units: Vec<Value> = g
                    .resources
                    .iter()
                    .map(|u| {
                        let r = u.resource.as_ref().expect("resource");
                        let cpu = r.cpu.as_ref().expect("cpu");
                        let gpu = r.gpu.as_ref().expect("gpu");
                        let price = u.price.as_ref().expect("price");
                        json!({
                            "id": r.id,
                            "cpu": val(&cpu.units),
                            "cpuAttributes": pairs(&cpu.attributes),
                            "memory": val(&r.memory.as_ref().expect("memory").quantity),
                            "storage": r.storage.iter().map(|s| json!([s.name, val(&s.quantity), pairs(&s.attributes)])).collect::<Vec<_>>(),
                            "gpu": val(&gpu.units),
                            "gpuAttributes": pairs(&gpu.attributes),
                            "endpoints": r.endpoints.iter().map(|e| json!([e.kind, e.sequence_number])).collect::<Vec<_>>(),
                            "count": u.count,
                            "denom": price.denom,
                            "price": Dec::from_atomics(price.amount.parse().expect("atomics")).to_string(),
                        })
                    })
                    .collect();
                json!({
                    "name": g.name,
                    "attributes": pairs(&req.attributes),
                    "allOf": sb.all_of,
                    "anyOf": sb.any_of,
                    "units": units,
                })
            })
            .collect(),
    )
}

#[test]
fn matches_chain_sdk_on_real_sdls() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(base) = name.strip_suffix(".oracle.json") else {
            continue;
        };
        let want: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let got = kumo_sdl::parse_file(&dir.join(format!("{base}.yaml")));
        if want["accepted"] == json!(false) {
            let err = got.expect_err(&format!(
                "{base}: Akash rejects it ({}), kumo accepted",
                want["error"]
            ));
            assert!(!err.issues.is_empty());
            checked += 1;
            continue;
        }
        let d = got.unwrap_or_else(|e| panic!("{base}: Akash accepts it, kumo rejected:\n{e}"));
        assert_eq!(
            normal_form(&d.groups),
            want["groups"],
            "{base}: GroupSpecs differ"
        );
        assert_eq!(
            d.manifest_sorted_json(),
            want["sorted_json"].as_str().unwrap(),
            "{base}: manifest JSON differs"
        );
        assert_eq!(
            hex::encode(d.manifest_version),
            want["manifest_version"].as_str().unwrap(),
            "{base}: hash differs"
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} golden files found in {}",
        dir.display()
    );
}
