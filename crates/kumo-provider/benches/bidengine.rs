//! The bid engine's throughput: orders evaluated per second (shouldBid + reserve + scale price)
//! with 10,000 open orders, built from the real SDLs of `../shared/sdl-examples`.
//!
//! `cargo bench -p kumo-provider --bench bidengine` (add `-- --quick` for a smaller run; set
//! `KUMO_SDL_EXAMPLES` to the folder of SDL files if it is not found next to the repository).
//! Prints the median of several runs.
//!
//! 1. Every order fits (a large host): each evaluation reserves, so reservations grow to 10,000
//!    while the run goes on — the cost must not grow with them.
//! 2. A small host: most orders are declined for capacity after their checks.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1::OrderId;
use kumo_provider::bidengine::pricing::{Pricing, ScalePricing};
use kumo_provider::bidengine::{BidEngine, Decision, ProviderState};
use kumo_provider::config::Overcommit;
use kumo_provider::inventory::{Capacity, GpuPool, Inventory};

const GPU_MODELS: &[&str] = &[
    "a100",
    "h100",
    "h200",
    "a6000",
    "a40",
    "a10",
    "l40",
    "l40s",
    "t4",
    "v100",
    "rtx3090",
    "rtx4090",
    "rtx3080",
    "rtx6000ada",
    "p100",
    "k80",
    "a5000",
    "rtx4080",
    "rtx3060",
    "b200",
];

const GPU_RAM: &[&str] = &["16Gi", "24Gi", "40Gi", "48Gi", "80Gi"];
const AUDITOR: &str = "akash1365yvmc4s7awdyj3n2sav7xfx76adc6dnmlx63";

fn sdl_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KUMO_SDL_EXAMPLES") {
        return PathBuf::from(d);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for up in [
        "../../../shared/sdl-examples",
        "../../../../shared/sdl-examples",
    ] {
        let p = manifest.join(up);
        if p.is_dir() {
            return p;
        }
    }
    PathBuf::from("/work/shared/sdl-examples")
}

/// Every GroupSpec of every SDL that parses.
fn shapes() -> Vec<GroupSpec> {
    let dir = sdl_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {} ({e}); set KUMO_SDL_EXAMPLES", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut groups = Vec::new();
    for f in files {
        if let Ok(d) = kumo_sdl::parse_file(&f) {
            groups.extend(d.groups);
        }
    }
    assert!(!groups.is_empty(), "no SDL in {} parsed", dir.display());
    groups
}

fn attr(k: &str, v: &str) -> Attribute {
    Attribute {
        key: k.into(),
        value: v.into(),
    }
}

fn provider() -> ProviderState {
    let mut attributes = vec![attr("host", "akash"), attr("tier", "community")];
    for (i, class) in ["beta1", "beta2", "beta3", "default"].iter().enumerate() {
        attributes.push(attr(
            &format!("capabilities/storage/{}/class", i + 1),
            class,
        ));
        attributes.push(attr(
            &format!("capabilities/storage/{}/persistent", i + 1),
            "true",
        ));
    }
    attributes.push(attr("capabilities/storage/9/class", "ram"));
    attributes.push(attr("capabilities/storage/9/persistent", "false"));
    for m in GPU_MODELS {
        let base = format!("capabilities/gpu/vendor/nvidia/model/{m}");
        attributes.push(attr(&base, "true"));
        for ram in GPU_RAM {
            attributes.push(attr(&format!("{base}/ram/{ram}"), "true"));
            for i in ["pcie", "sxm"] {
                attributes.push(attr(&format!("{base}/ram/{ram}/interface/{i}"), "true"));
            }
        }
    }
    // The auditor the example SDLs name (signedBy) signed this provider's attributes.
    let audited = BTreeMap::from([(AUDITOR.to_string(), attributes.clone())]);
    ProviderState {
        address: "akash1provider".into(),
        attributes,
        audited,
        bid_attributes: vec![],
        max_group_volumes: 6,
        denoms: vec!["uakt".into(), "uact".into()],
    }
}

fn capacity(scale: u64) -> Capacity {
    Capacity {
        cpu_milli: 64_000 * scale,
        memory: (256u64 << 30) * scale,
        ephemeral_storage: (4u64 << 40) * scale,
        storage_classes: ["beta1", "beta2", "beta3", "default"]
            .iter()
            .map(|c| (c.to_string(), (8u64 << 40) * scale))
            .collect(),
        gpus: GPU_MODELS
            .iter()
            .flat_map(|m| {
                GPU_RAM.iter().map(move |ram| GpuPool {
                    vendor: "nvidia".into(),
                    model: m.to_string(),
                    ram: ram.to_string(),
                    interface: "pcie".into(),
                    count: 8 * scale as u32,
                })
            })
            .collect(),
    }
}

fn pricing() -> Pricing {
    let d = |s: &str| s.parse().unwrap();
    Pricing::Scale(ScalePricing {
        cpu: d("0.001"),
        memory: d("0.0001"),
        storage: ["ephemeral", "beta1", "beta2", "beta3", "default", "ram"]
            .iter()
            .map(|c| (c.to_string(), d("0.00001")))
            .collect(),
        endpoint: d("0.01"),
        ip: d("1"),
        gpu: [("*".to_string(), d("10"))].into_iter().collect(),
    })
}

struct Run {
    elapsed: Duration,
    bids: usize,
    reasons: BTreeMap<String, usize>,
}

fn run(orders: &[(OrderId, GroupSpec)], cap: Capacity) -> Run {
    let mut engine = BidEngine::new(
        provider(),
        Inventory::new(cap, Overcommit::default()),
        pricing(),
    );
    let mut bids = 0;
    let mut reasons = BTreeMap::new();
    let start = Instant::now();
    for (i, (id, g)) in orders.iter().enumerate() {
        let d = engine.decide(id, g);
        engine.record(id, i as u64, &d);
        match d {
            Decision::Bid(_) => bids += 1,
            Decision::Decline(r) => {
                let s = r.to_string();
                let kind = s.split(':').next().unwrap_or("").to_string();
                *reasons.entry(kind).or_insert(0) += 1;
            }
            Decision::NeedsScript { .. } => unreachable!("scale pricing"),
        }
    }
    Run {
        elapsed: start.elapsed(),
        bids,
        reasons,
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // Silence per-decision logs: no subscriber is installed, so tracing is a no-op.
    let quick = std::env::args().any(|a| a == "--quick");
    let (n, runs) = if quick { (2_000, 3) } else { (10_000, 7) };
    let shapes = shapes();
    let orders: Vec<(OrderId, GroupSpec)> = (0..n)
        .map(|i| {
            (
                OrderId {
                    owner: format!("akash1tenant{}", i % 97),
                    dseq: 1_000 + i as u64,
                    gseq: 1,
                    oseq: 1,
                },
                shapes[i % shapes.len()].clone(),
            )
        })
        .collect();
    println!(
        "bid engine: {n} open orders{} cycling through {} group shapes from the SDLs in {}",
        if quick { " (quick)" } else { "" },
        shapes.len(),
        sdl_dir().display()
    );
    for (label, cap) in [
        ("large host (every order fits)", capacity(10_000)),
        ("one 64-core host (capacity runs out)", capacity(1)),
    ] {
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            let r = run(&orders, cap.clone());
            times.push(r.elapsed);
            last = Some(r);
        }
        let m = median(times);
        let r = last.unwrap();
        println!(
            "  {label}: median {:.1} ms for {n} orders = {:.0} orders/s ({} bids, {} declined)",
            m.as_secs_f64() * 1e3,
            n as f64 / m.as_secs_f64(),
            r.bids,
            n - r.bids
        );
        for (reason, count) in &r.reasons {
            println!("      {count:>6} × {reason}");
        }
    }
}
