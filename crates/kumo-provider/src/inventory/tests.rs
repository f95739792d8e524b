use proptest::prelude::*;

use super::*;
use crate::testkit::*;

fn host() -> Capacity {
    Capacity {
        cpu_milli: 8000,
        memory: 16 * GI,
        ephemeral_storage: 100 * GI,
        storage_classes: [("beta2".to_string(), 50 * GI)].into_iter().collect(),
        gpus: vec![
            GpuPool {
                vendor: "nvidia".into(),
                model: "a100".into(),
                ram: "80Gi".into(),
                interface: "sxm".into(),
                count: 4,
            },
            GpuPool {
                vendor: "nvidia".into(),
                model: "t4".into(),
                ram: "16Gi".into(),
                interface: "pcie".into(),
                count: 2,
            },
        ],
    }
}

#[test]
fn reserve_counts_replicas_and_releases() {
    let mut inv = Inventory::new(host(), Overcommit::default());
    let g = group(vec![
        Unit::new(3, 1000, GI, GI, "10").volume("data", 10 * GI, "beta2", true),
        Unit::new(1, 500, 512 * MI, 0, "5").volume("shm", 256 * MI, "ram", false),
    ]);
    let r = inv.reserve(&order(1), &g).unwrap().clone();
    assert_eq!(r.usage.cpu_milli, 3500);
    assert_eq!(
        u64::try_from(r.usage.memory).unwrap(),
        3 * GI + 512 * MI + 256 * MI
    );
    assert_eq!(u64::try_from(r.usage.ephemeral_storage).unwrap(), 3 * GI);
    assert_eq!(r.usage.storage_classes["beta2"], u128::from(30 * GI));
    // Idempotent.
    inv.reserve(&order(1), &g).unwrap();
    assert_eq!(inv.used().cpu_milli, 3500);
    // A second order that does not fit is refused with the numbers and takes nothing.
    let big = group(vec![Unit::new(5, 1000, GI, GI, "1")]);
    assert_eq!(
        inv.reserve(&order(2), &big).unwrap_err(),
        Decline::InsufficientCapacity {
            resource: Resource::Cpu,
            class: None,
            asked: 5000,
            free: 4500
        }
    );
    assert_eq!(inv.used().cpu_milli, 3500);
    let pv = group(vec![Unit::new(1, 100, MI, MI, "1").volume(
        "d",
        21 * GI,
        "beta2",
        true,
    )]);
    assert!(matches!(
        inv.reserve(&order(3), &pv).unwrap_err(),
        Decline::InsufficientCapacity { resource: Resource::Storage, class: Some(ref c), .. } if c == "beta2"
    ));
    let beta3 = group(vec![
        Unit::new(1, 100, MI, MI, "1").volume("d", GI, "beta3", true)
    ]);
    assert_eq!(
        inv.reserve(&order(4), &beta3).unwrap_err(),
        Decline::StorageClassUnsupported {
            class: "beta3".into()
        }
    );
    assert!(inv.activate(&order(1)));
    assert_eq!(inv.status_json()["active"].as_array().unwrap().len(), 1);
    assert!(inv.unreserve(&order(1)));
    assert!(!inv.unreserve(&order(1)));
    assert!(inv.is_idle());
}

#[test]
fn overcommit_scales_cpu_memory_storage_not_gpu() {
    assert_eq!(committed(1000, 100), 500);
    assert_eq!(committed(1000, 0), 1000);
    assert_eq!(committed(1, 300), 1);
    assert_eq!(committed(0, 50), 0);
    assert_eq!(committed(999, 50), 666);
    let oc = Overcommit {
        cpu: 100,
        memory: 100,
        storage: 100,
    };
    let mut inv = Inventory::new(host(), oc);
    // 16 CPUs asked of an 8-CPU host at 100% overcommit: fits exactly.
    let g = group(vec![
        Unit::new(4, 4000, 8 * GI, GI, "1").gpu(1, &["vendor/nvidia/model/a100"])
    ]);
    let r = inv.reserve(&order(1), &g).unwrap();
    assert_eq!(r.usage.cpu_milli, 8000);
    assert_eq!(u64::try_from(r.usage.memory).unwrap(), 16 * GI);
    assert_eq!(r.usage.gpus, vec![4, 0]);
    let more = group(vec![
        Unit::new(1, 10, MI, MI, "1").gpu(1, &["vendor/nvidia/model/a100"])
    ]);
    assert!(inv.reserve(&order(2), &more).is_err());
}

#[test]
fn gpu_matching_resolves_wildcards_to_a_model() {
    let mut inv = Inventory::new(host(), Overcommit::default());
    let any = group(vec![
        Unit::new(1, 100, MI, MI, "1").gpu(2, &["vendor/nvidia/model/*"])
    ]);
    let r = inv.reserve(&order(1), &any).unwrap();
    assert_eq!(
        r.units[0].gpu_key.as_deref(),
        Some("vendor/nvidia/model/a100/ram/80Gi")
    );
    // Interface sxm4 normalises to sxm; the rewritten key keeps the interface asked for.
    let sxm = group(vec![Unit::new(1, 100, MI, MI, "1")
        .gpu(2, &["vendor/nvidia/model/a100/ram/80Gi/interface/sxm4"])]);
    let r = inv.reserve(&order(2), &sxm).unwrap();
    assert_eq!(
        r.units[0].gpu_key.as_deref(),
        Some("vendor/nvidia/model/a100/ram/80Gi/interface/sxm")
    );
    // a100s are gone: the wildcard now lands on the t4s; models are tried in the order asked.
    let r = inv.reserve(&order(3), &any).unwrap();
    assert_eq!(r.units[0].gpu.as_ref().unwrap().model, "t4");
    let h100 = group(vec![
        Unit::new(1, 100, MI, MI, "1").gpu(1, &["vendor/nvidia/model/h100"])
    ]);
    assert_eq!(
        inv.reserve(&order(4), &h100).unwrap_err(),
        Decline::GpuModelUnavailable {
            requested: "vendor/nvidia/model/h100".into(),
            asked: 1,
            free: "none of that model".into()
        }
    );
    let a100 = group(vec![
        Unit::new(1, 100, MI, MI, "1").gpu(1, &["vendor/nvidia/model/a100"])
    ]);
    assert_eq!(
        inv.reserve(&order(5), &a100).unwrap_err().to_string(),
        "the order asks for 1 GPU(s) of vendor/nvidia/model/a100; free matching GPUs: 0 × vendor/nvidia/model/a100/ram/80Gi/interface/sxm"
    );
    let amd = group(vec![
        Unit::new(1, 100, MI, MI, "1").gpu(1, &["vendor/amd/model/*"])
    ]);
    assert!(matches!(
        inv.reserve(&order(6), &amd),
        Err(Decline::GpuModelUnavailable { .. })
    ));
}

#[test]
fn selector_parsing() {
    let s = GpuSelector::parse("vendor/nvidia/model/a100/ram/40Gi/interface/PCIe").unwrap();
    assert_eq!(s.ram.as_deref(), Some("40Gi"));
    assert_eq!(s.interface.as_deref(), Some("pcie"));
    assert!(GpuSelector::parse("vendor/nvidia").is_none());
    assert!(GpuSelector::parse("vendor/nvidia/model/a100/color/red").is_none());
}

#[derive(Clone, Debug)]
enum Op {
    Reserve(u64, Vec<(u32, u64, u64, u64, u64, u8)>),
    Unreserve(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let unit = (
        1u32..5,
        10u64..3000,
        1u64..4096,
        0u64..8192,
        0u64..3000,
        0u8..4,
    );
    prop_oneof![
        3 => (0u64..12, prop::collection::vec(unit, 1..3)).prop_map(|(o, u)| Op::Reserve(o, u)),
        1 => (0u64..12).prop_map(Op::Unreserve),
    ]
}

proptest! {
    /// Across any interleaving of reservations and releases, the sum of reservations equals
    /// `used`, and `used` never exceeds capacity (with overcommit, per committed quantities).
    #[test]
    fn never_beyond_capacity(ops in prop::collection::vec(op(), 1..60), oc in 0u32..3) {
        let oc = Overcommit { cpu: oc * 50, memory: oc * 50, storage: oc * 50 };
        let cap = host();
        let mut inv = Inventory::new(cap.clone(), oc);
        for op in ops {
            match op {
                Op::Reserve(o, units) => {
                    let g = group(units.into_iter().map(|(n, cpu, mem_mi, disk_mi, pv_mi, gpu)| {
                        let mut u = Unit::new(n, cpu, mem_mi * MI, disk_mi * MI, "1");
                        if pv_mi > 0 { u = u.volume("pv", pv_mi * MI, "beta2", true); }
                        if gpu > 0 {
                            let key = if gpu == 3 { "vendor/nvidia/model/t4" } else { "vendor/nvidia/model/*" };
                            u = u.gpu(u64::from(gpu), &[key]);
                        }
                        u
                    }).collect());
                    let before = inv.used().clone();
                    if inv.reserve(&order(o), &g).is_err() {
                        prop_assert_eq!(inv.used(), &before);
                    }
                }
                Op::Unreserve(o) => { inv.unreserve(&order(o)); }
            }
            let mut sum = Usage { gpus: vec![0; cap.gpus.len()], ..Usage::default() };
            for (_, r) in inv.reservations() { sum.add(&r.usage); }
            prop_assert_eq!(&sum, inv.used());
            let u = inv.used();
            prop_assert!(u.cpu_milli <= u128::from(cap.cpu_milli));
            prop_assert!(u.memory <= u128::from(cap.memory));
            prop_assert!(u.ephemeral_storage <= u128::from(cap.ephemeral_storage));
            prop_assert!(u.storage_classes.get("beta2").copied().unwrap_or(0) <= u128::from(cap.storage_classes["beta2"]));
            for (i, g) in cap.gpus.iter().enumerate() {
                prop_assert!(u.gpus[i] <= u128::from(g.count));
            }
        }
        for o in 0..12 { inv.unreserve(&order(o)); }
        prop_assert!(inv.is_idle());
    }
}
