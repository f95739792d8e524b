//! The provider prober against real kumo provider gateways started in-process (their `/status`
//! is the inventory's own `status_json` with real reservations), plus loopback listeners that
//! answer garbage or never answer; the schedule, uptime and strip as pure functions.
//!
//! Probe times are explicit (`Prober::step(now)`), so the back-off and the uptime are checked
//! against values worked out by hand from the probe times.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kumo_crypto::PrivKey;
use kumo_proto::akash::market::v1::OrderId;
use kumo_provider::config::Overcommit;
use kumo_provider::gateway::{self, GatewayConfig, StatusFn};
use kumo_provider::inventory::{self, GpuPool, Inventory};
use redb::Database;
use serde_json::{json, Value};

use super::api::*;
use super::figures::*;
use super::indexer::open_db;
use super::probe::*;
use super::tables::*;

const GI: u64 = 1 << 30;
/// 2027-01-15T00:00:00Z: probes start at midnight so the day rows split cleanly.
const T0: i64 = 1_800_000_000 - 1_800_000_000 % DAY_SECONDS;

// ---------------------------------------------------------------- pure functions

#[test]
fn schedule_backs_off_at_every_step() {
    const M: i64 = 60;
    const H: i64 = 3600;
    const D: i64 = 86_400;
    assert_eq!(next_probe_delay(true, 0), 15 * M);
    assert_eq!(
        next_probe_delay(true, 40 * D),
        15 * M,
        "online ignores history"
    );
    let cases = [
        (0, M),
        (30 * M - 1, M),
        (30 * M, 5 * M),
        (6 * H - 1, 5 * M),
        (6 * H, 15 * M),
        (D - 1, 15 * M),
        (D, 30 * M),
        (7 * D - 1, 30 * M),
        (7 * D, H),
        (30 * D - 1, H),
        (30 * D, D),
        (400 * D, D),
    ];
    for (offline_for, delay) in cases {
        assert_eq!(
            next_probe_delay(false, offline_for),
            delay,
            "offline for {offline_for} s"
        );
    }
}

#[test]
fn uptime_counts_offline_gaps_inside_the_window_only() {
    let day = DAY_SECONDS;
    // Never probed: a new provider starts at 100 %.
    assert_eq!(uptime_ppm(&[], T0, day), PPM);
    // One offline probe, still in progress: nothing counted until the next probe.
    assert_eq!(uptime_ppm(&[(T0 - 600, false)], T0, day), PPM);
    // Offline at -600, next probe at -540: 60 s offline of 86,400.
    let p = [(T0 - 600, false), (T0 - 540, true)];
    assert_eq!(offline_seconds(&p, T0, day), 60);
    assert_eq!(
        uptime_ppm(&p, T0, day),
        ((86_400u64 - 60) * 1_000_000 / 86_400) as u32
    );
    // Order does not matter; online gaps count nothing.
    let p = [
        (T0 - 100, false),
        (T0 - 1000, true),
        (T0 - 400, false),
        (T0 - 700, true),
    ];
    assert_eq!(offline_seconds(&p, T0, day), 300);
    // An offline probe before the window neither counts nor ends a gap; the first probe
    // inside starts the count.
    let p = [(T0 - day - 60, false), (T0 - day + 60, false), (T0, true)];
    assert_eq!(offline_seconds(&p, T0, day), day - 60);
    // Offline the whole window: 0, never negative.
    let p = [(T0 - day, false), (T0, false)];
    assert_eq!(uptime_ppm(&p, T0, day), 0);
    // A probe after `now` is not counted.
    let p = [(T0 - 60, false), (T0 + 60, true)];
    assert_eq!(offline_seconds(&p, T0, day), 0);
}

#[test]
fn strip_has_96_quarter_hours_with_partial_and_unknown() {
    let q = STRIP_BUCKET_SECONDS;
    let now = T0 + 5 * q + 100; // inside the 6th quarter hour of the day
                                // Online at T0 + q, offline at T0 + 2q + 300, online at T0 + 4q.
    let p = [
        (T0 + q, true),
        (T0 + 2 * q + 300, false),
        (T0 + 4 * q, true),
    ];
    let s = uptime_strip(&p, now);
    assert_eq!(s.len(), STRIP_BUCKETS);
    let last = s.len() - 1;
    assert_eq!(s[last].0, T0 + 5 * q, "the last bucket holds now");
    assert_eq!(s[0].0, T0 + 5 * q - 95 * q);
    let at = |i: i64| s[(last as i64 - 5 + i) as usize].1;
    assert_eq!(at(0), Bucket::Unknown, "before the first probe");
    assert_eq!(at(1), Bucket::Online, "the first probe opens the bucket");
    assert_eq!(at(2), Bucket::Partial, "online, then offline inside");
    assert_eq!(at(3), Bucket::Offline);
    assert_eq!(
        at(4),
        Bucket::Online,
        "offline until the probe at its start"
    );
    assert_eq!(at(5), Bucket::Online);
    assert!(s[..last - 5].iter().all(|b| b.1 == Bucket::Unknown));
}

#[test]
fn status_parsing_refuses_what_is_not_a_provider_status() {
    let e = parse_status(&json!("hello")).unwrap_err();
    assert_eq!(e, "not a provider status: the answer is \"hello\"");
    let e = parse_status(&json!({"cluster": {}})).unwrap_err();
    assert!(e.contains("no cluster.inventory"), "{e}");
    let e =
        parse_status(&json!({"cluster": {"inventory": {"active": [{"cpu": -5}]}}})).unwrap_err();
    assert!(
        e.contains("cluster.inventory.active[0].cpu = -5 is not a whole number"),
        "{e}"
    );
    let e = parse_status(&json!({"cluster": {"inventory": {"pending": 3}}})).unwrap_err();
    assert!(e.contains("pending is not a list"), "{e}");
    // An idle provider with nothing reported parses to zeros.
    let s = parse_status(&json!({"cluster": {"leases": 0, "inventory": {}}})).unwrap();
    assert_eq!(s.capacity, Capacity::default());
    assert_eq!(s.leases, Some(0));
    assert_eq!(duration_text(Duration::from_secs(10)), "10 s");
    assert_eq!(duration_text(Duration::from_millis(300)), "300 ms");
}

// ---------------------------------------------------------------- live gateways

/// A provider host: 8 CPUs, 16 GiB, 100 GiB ephemeral, 50 GiB `beta2`, four A100s and two T4s
/// (`gpus` picks which pools).
fn host(cpu_milli: u64, gpus: Vec<GpuPool>) -> inventory::Capacity {
    inventory::Capacity {
        cpu_milli,
        memory: 16 * GI,
        ephemeral_storage: 100 * GI,
        storage_classes: [("beta2".to_string(), 50 * GI)].into_iter().collect(),
        gpus,
    }
}

fn pool(model: &str, ram: &str, interface: &str, count: u32) -> GpuPool {
    GpuPool {
        vendor: "nvidia".into(),
        model: model.into(),
        ram: ram.into(),
        interface: interface.into(),
        count,
    }
}

/// One group from an SDL: `count` replicas of 1.5 CPU, 2 GiB, 4 GiB ephemeral + 8 GiB
/// `beta2`, and `gpus` A100s each.
fn group(count: u32, gpus: u32) -> kumo_proto::akash::deployment::v1beta4::GroupSpec {
    let gpu = if gpus > 0 {
        format!(
            "        gpu:\n          units: {gpus}\n          attributes:\n            vendor:\n              nvidia:\n                - model: a100\n"
        )
    } else {
        String::new()
    };
    let sdl = format!(
        r#"version: "2.0"
services:
  web:
    image: nginx
    params:
      storage:
        data:
          mount: /data
profiles:
  compute:
    web:
      resources:
        cpu:
          units: 1.5
        memory:
          size: 2Gi
{gpu}        storage:
          - size: 4Gi
          - name: data
            size: 8Gi
            attributes:
              persistent: true
              class: beta2
  placement:
    dc:
      pricing:
        web:
          denom: uakt
          amount: 100
deployment:
  web:
    dc:
      profile: web
      count: {count}
"#
    );
    let d = kumo_sdl::parse("deploy.yaml", &sdl).unwrap();
    d.groups[0].clone()
}

fn order(dseq: u64) -> OrderId {
    OrderId {
        owner: "akash1tenant".into(),
        dseq,
        gseq: 1,
        oseq: 1,
    }
}

/// The `/status` the daemon serves, around a real inventory.
fn status_fn(inv: Arc<Mutex<Inventory>>) -> StatusFn {
    Arc::new(move || {
        let inv = inv.lock().unwrap();
        json!({
            "cluster": {"leases": inv.reservations().filter(|r| r.1.active).count(),
                        "inventory": inv.status_json()},
            "bidengine": {"orders": 0},
            "manifest": {"deployments": 0},
            "cluster_public_hostname": "localhost",
        })
    })
}

struct Gateway {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<()>,
}

/// Starts the real provider gateway on a loopback port serving `status`.
fn start_gateway(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    provider: &str,
    status: StatusFn,
) -> Gateway {
    let mut cfg = GatewayConfig::new(
        provider,
        "http://127.0.0.1:9",
        dir.join(format!("{provider}.pem")),
    );
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    let bound = rt.block_on(gateway::bind(cfg)).unwrap();
    let addr = bound.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let done = rt.spawn(async move {
        bound
            .run(
                Arc::new(kumo_provider::workload::Unreached),
                status,
                async move {
                    let _ = rx.await;
                },
            )
            .await
            .unwrap();
    });
    Gateway {
        addr,
        stop: Some(tx),
        done,
    }
}

impl Gateway {
    fn uri(&self) -> String {
        format!("https://{}", self.addr)
    }

    fn stop(mut self, rt: &tokio::runtime::Runtime) {
        let _ = self.stop.take().unwrap().send(());
        rt.block_on(self.done).unwrap();
    }
}

/// A loopback listener that accepts up to 16 connections and, per connection, writes `answer`
/// and closes it, or (with `None`) holds it open without a byte.
fn raw_listener(answer: Option<&'static [u8]>) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for _ in 0..16 {
            let Ok((mut s, _)) = l.accept() else { return };
            match answer {
                Some(a) => {
                    let _ = s.write_all(a);
                }
                None => held.push(s),
            }
        }
    });
    addr
}

fn register(db: &Database, owner: &str, host_uri: &str) {
    register_with(db, owner, host_uri, &[]);
}

/// A provider row as the indexer writes it for a `MsgCreateProvider`.
fn register_with(db: &Database, owner: &str, host_uri: &str, attributes: &[(&str, &str)]) {
    let tx = db.begin_write().unwrap();
    {
        let mut t = tx.open_table(PROVIDERS).unwrap();
        let row = ProviderRow {
            owner: owner.into(),
            host_uri: host_uri.into(),
            attributes: attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..ProviderRow::default()
        };
        t.insert(owner, encode(&row).as_slice()).unwrap();
    }
    tx.commit().unwrap();
}

fn state(db: &Database, owner: &str) -> ProbeState {
    let tx = db.begin_read().unwrap();
    get_str(&tx.open_table(PROVIDER_CURRENT).unwrap(), owner)
        .unwrap()
        .unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn addr() -> String {
    PrivKey::generate().address().to_string()
}

/// Live gateways, a provider answering garbage, one that hangs, one whose status is no
/// provider status, and a second registration of one host: capacity, `/v1/gpu` and the
/// reasons; the hanging provider costs one timeout, not a stall.
#[test]
fn capacity_and_gpus_equal_the_live_status_and_bad_providers_are_offline() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(open_db(dir.path()).unwrap());
    let rt = runtime();

    // Provider 1: one active lease of 2 × (1.5 CPU, 2 GiB, 4 + 8 GiB, 1 A100) and one
    // pending bid for 1 × (…, 2 A100s).
    let mut inv1 = Inventory::new(
        host(8000, vec![pool("a100", "80Gi", "sxm", 4)]),
        Overcommit::default(),
    );
    inv1.reserve(&order(1), &group(2, 1)).unwrap();
    assert!(inv1.activate(&order(1)));
    inv1.reserve(&order(2), &group(1, 2)).unwrap();
    let inv1 = Arc::new(Mutex::new(inv1));
    // Provider 2: idle, two T4s, 4 CPUs.
    let inv2 = Arc::new(Mutex::new(Inventory::new(
        host(4000, vec![pool("t4", "16Gi", "pcie", 2)]),
        Overcommit::default(),
    )));
    let (p1, p2, p1_again, junk, hang, odd) = (addr(), addr(), addr(), addr(), addr(), addr());
    let g1 = start_gateway(&rt, dir.path(), &p1, status_fn(inv1.clone()));
    let g2 = start_gateway(&rt, dir.path(), &p2, status_fn(inv2.clone()));
    let g_odd = start_gateway(&rt, dir.path(), &odd, Arc::new(|| json!(["no", "status"])));
    register(&db, &p1, &g1.uri());
    register(&db, &p2, &g2.uri());
    register(&db, &p1_again, &g1.uri());
    register(&db, &odd, &g_odd.uri());
    register(
        &db,
        &junk,
        &format!(
            "https://{}",
            raw_listener(Some(b"HTTP/1.1 200 OK\r\n\r\nhello"))
        ),
    );
    register(&db, &hang, &format!("https://{}", raw_listener(None)));

    let mut prober = Prober::new(db.clone());
    prober.timeout = Duration::from_millis(1500);
    let started = Instant::now();
    let report = rt.block_on(prober.step(T0)).unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1500 + 1500),
        "one hanging provider costs one timeout: the step took {took:?}"
    );
    let by: BTreeMap<_, _> = report
        .probed
        .iter()
        .map(|(p, on, e)| (p.clone(), (*on, e.clone())))
        .collect();
    assert_eq!(by.len(), 6);
    assert_eq!(by[&p1], (true, None));
    assert_eq!(by[&p2], (true, None));
    assert_eq!(by[&p1_again], (true, None));
    assert_eq!(
        by[&hang],
        (false, Some("timed out after 1500 ms".to_string()))
    );
    let junk_err = by[&junk].1.clone().unwrap();
    assert!(!by[&junk].0 && junk_err.contains("TLS"), "{junk_err}");
    let odd_err = by[&odd].1.clone().unwrap();
    assert_eq!(
        odd_err,
        "not a provider status: the answer is [\"no\",\"status\"]"
    );
    assert_eq!(
        state(&db, &hang).last_error.as_deref(),
        Some("timed out after 1500 ms")
    );
    assert_eq!(state(&db, &hang).next_check_seconds, T0 + 60);
    assert_eq!(state(&db, &p1).next_check_seconds, T0 + 900);

    // Capacity, worked out from the hosts and the reservations: provider 1 counts once
    // although two registrations share its host URI.
    let c = network_capacity_json(&db, T0).unwrap();
    assert_eq!(c["activeProviderCount"], 2, "{c}");
    let r = &c["resources"];
    let cpu_active = 2 * 1500;
    let cpu_pending = 1500;
    assert_eq!(r["cpu"]["active"], cpu_active);
    assert_eq!(r["cpu"]["pending"], cpu_pending);
    assert_eq!(
        r["cpu"]["available"],
        8000 - cpu_active - cpu_pending + 4000
    );
    assert_eq!(r["cpu"]["total"], 12_000);
    assert_eq!(r["gpu"]["active"], 2);
    assert_eq!(r["gpu"]["pending"], 2);
    assert_eq!(
        r["gpu"]["available"], 2,
        "all four A100s taken, both T4s free"
    );
    assert_eq!(r["gpu"]["total"], 6);
    assert_eq!(r["memory"]["active"], 4 * GI);
    assert_eq!(r["memory"]["pending"], 2 * GI);
    assert_eq!(r["memory"]["total"], 32 * GI);
    assert_eq!(r["storage"]["ephemeral"]["active"], 8 * GI);
    assert_eq!(r["storage"]["ephemeral"]["pending"], 4 * GI);
    assert_eq!(r["storage"]["ephemeral"]["total"], 200 * GI);
    assert_eq!(r["storage"]["persistent"]["active"], 16 * GI);
    assert_eq!(r["storage"]["persistent"]["pending"], 8 * GI);
    assert_eq!(r["storage"]["persistent"]["available"], (100 - 24) * GI);
    assert_eq!(r["storage"]["total"]["total"], 300 * GI);
    // …and it equals what the live gateways answer right now, read independently.
    let mut live = Capacity::default();
    for g in [&g1, &g2] {
        let uri = g.uri();
        let v = rt.block_on(async {
            kumo_client::gateway::client::ProviderClient::public("p", &uri)
                .unwrap()
                .status()
                .await
                .unwrap()
        });
        let inv = &v["cluster"]["inventory"];
        let sum = |list: &Value, k: &str| -> u128 {
            list.as_array()
                .unwrap()
                .iter()
                .map(|x| u128::from(x[k].as_u64().unwrap()))
                .sum()
        };
        live.cpu.active += sum(&inv["active"], "cpu");
        live.cpu.pending += sum(&inv["pending"], "cpu");
        live.cpu.available += u128::from(
            inv["available"]["nodes"][0]["available"]["cpu"]
                .as_u64()
                .unwrap(),
        );
        live.gpu.active += sum(&inv["active"], "gpu");
        live.memory.pending += sum(&inv["pending"], "memory");
    }
    assert_eq!(r["cpu"]["active"], live.cpu.active as u64);
    assert_eq!(r["cpu"]["pending"], live.cpu.pending as u64);
    assert_eq!(r["cpu"]["available"], live.cpu.available as u64);
    assert_eq!(r["gpu"]["active"], live.gpu.active as u64);
    assert_eq!(r["memory"]["pending"], live.memory.pending as u64);

    // The dashboard's flat fields carry the same sums.
    let d = dashboard_capacity_for_test(&db, T0);
    assert_eq!(d["activeProviderCount"], 2);
    assert_eq!(d["totalCPU"], 12_000);
    assert_eq!(d["activeGPU"], 2);
    assert_eq!(d["totalStorage"], 300 * GI);
    assert_eq!(d["activePersistentStorage"], 16 * GI);

    // GPUs: 4 A100s with 1 + 1 (active) + 2 (pending) taken, 2 idle T4s.
    let g = gpu_json(&db, &GpuFilter::default()).unwrap();
    assert_eq!(
        g,
        json!({"gpus": {"total": {"allocatable": 6, "allocated": 4},
                        "details": {"nvidia": [
            {"model": "a100", "ram": "80Gi", "interface": "sxm", "allocatable": 4, "allocated": 4},
            {"model": "t4", "ram": "16Gi", "interface": "pcie", "allocatable": 2, "allocated": 0},
        ]}}})
    );
    let only_t4 = gpu_json(
        &db,
        &GpuFilter {
            model: Some("T4".into()),
            ..GpuFilter::default()
        },
    )
    .unwrap();
    assert_eq!(only_t4["gpus"]["total"]["allocatable"], 2);

    // The provider list: online, uptime 100 %, GPU models, capacity.
    let list = providers_json(&db).unwrap();
    let one = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["owner"] == p1)
        .unwrap();
    assert_eq!(one["isOnline"], true);
    assert_eq!(one["uptime7d"], 1.0);
    assert_eq!(one["lastOnlineDate"], iso_time(T0));
    assert_eq!(
        one["gpuModels"],
        json!([{"vendor": "nvidia", "model": "a100", "ram": "80Gi", "interface": "sxm"}])
    );
    assert_eq!(one["stats"]["cpu"]["total"], 8000);
    let bad = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["owner"] == hang)
        .unwrap();
    assert_eq!(bad["isOnline"], false);
    assert!(bad["lastOnlineDate"].is_null());
    assert!(bad["stats"].is_null());
    assert_eq!(bad["lastCheckError"], "timed out after 1500 ms");

    // Past the grace period nobody counts.
    let later = network_capacity_json(&db, T0 + CAPACITY_GRACE_SECONDS).unwrap();
    assert_eq!(later["activeProviderCount"], 0);
    assert_eq!(later["resources"]["cpu"]["total"], 0);

    for g in [g1, g2, g_odd] {
        g.stop(&rt);
    }
}

fn dashboard_capacity_for_test(db: &Database, now: i64) -> Value {
    let (count, c) = network_capacity_at(db, now).unwrap();
    let v = network_capacity_json(db, now).unwrap();
    assert_eq!(v["activeProviderCount"], count);
    let d = super::api::dashboard_capacity_at(db, now, 0).unwrap();
    assert_eq!(d["totalGPU"], c.gpu.total() as u64);
    d
}

type Probes = BTreeMap<String, Vec<(i64, bool)>>;

/// Two live gateways; the second stops after the first probe. Driven through a day and a
/// quarter of explicit probe times: the stopped provider is probed on the back-off schedule
/// and its uptime drops exactly as the probe times give by hand.
#[test]
fn a_stopped_provider_goes_offline_backs_off_and_loses_uptime() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(open_db(dir.path()).unwrap());
    let rt = runtime();
    let inv = |gpus| {
        Arc::new(Mutex::new(Inventory::new(
            host(2000, gpus),
            Overcommit::default(),
        )))
    };
    let (p1, p2) = (addr(), addr());
    let g1 = start_gateway(&rt, dir.path(), &p1, status_fn(inv(vec![])));
    let g2 = start_gateway(
        &rt,
        dir.path(),
        &p2,
        status_fn(inv(vec![pool("a100", "80Gi", "sxm", 1)])),
    );
    register(&db, &p1, &g1.uri());
    register(&db, &p2, &g2.uri());
    let mut prober = Prober::new(db.clone());
    prober.timeout = Duration::from_secs(2);

    let mut probes: Probes = BTreeMap::new();
    let step = |prober: &mut Prober, probes: &mut Probes, t: i64| {
        let r = rt.block_on(prober.step(t)).unwrap();
        for (p, online, _) in r.probed {
            probes.entry(p).or_default().push((t, online));
        }
    };
    step(&mut prober, &mut probes, T0);
    g2.stop(&rt);
    // Nothing is due before the online recheck at +15 min.
    step(&mut prober, &mut probes, T0 + 899);
    assert_eq!(probes[&p2], vec![(T0, true)]);
    step(&mut prober, &mut probes, T0 + 900);
    assert_eq!(probes[&p2], vec![(T0, true), (T0 + 900, false)]);
    let s2 = state(&db, &p2);
    assert!(!s2.is_online);
    // The stopped gateway's port refuses or resets the connection; either way the reason
    // names the provider.
    assert!(
        s2.last_error.as_deref().is_some_and(|e| e.contains(&p2)),
        "{s2:?}"
    );
    assert_eq!(s2.last_online_seconds, Some(T0));
    // In progress: nothing counted yet.
    assert_eq!(s2.uptime.day1, PPM);
    // Offline for 900 s (since the last online probe) → 1 min.
    assert_eq!(s2.next_check_seconds, T0 + 960);
    step(&mut prober, &mut probes, T0 + 960);
    // 60 s offline of a day: (86,400 − 60) / 86,400 = 0.999305…
    assert_eq!(state(&db, &p2).uptime.day1, 999_305);

    // Drive on: each step at the earliest next check, for 26 h.
    let end = T0 + 26 * 3600;
    for _ in 0..2000 {
        let next = prober.next_check().unwrap().unwrap();
        if next > end {
            break;
        }
        step(&mut prober, &mut probes, next);
    }
    let times2: Vec<i64> = probes[&p2].iter().map(|p| p.0).collect();
    assert!(probes[&p2][1..].iter().all(|p| !p.1));
    let gaps: Vec<i64> = times2[1..].windows(2).map(|w| w[1] - w[0]).collect();
    // By hand, offline since T0 (the last online probe), first offline probe at +900 s:
    // 1-min gaps while offline < 30 min (probes at 900 … 1740: 15 gaps), 5-min gaps until
    // 6 h (1800 … 21,300: 66), 15-min gaps until 24 h (21,600 … 85,500: 72), then 30 min.
    let expect: Vec<i64> = std::iter::repeat_n(60, 15)
        .chain(std::iter::repeat_n(300, 66))
        .chain(std::iter::repeat_n(900, 72))
        .chain(std::iter::repeat_n(1800, 4))
        .collect();
    assert_eq!(gaps, expect);
    assert_eq!(*times2.last().unwrap(), T0 + 86_400 + 4 * 1800);
    // The online provider: every 15 min, never anything else.
    let times1: Vec<i64> = probes[&p1].iter().map(|p| p.0).collect();
    assert!(times1.windows(2).all(|w| w[1] - w[0] == 900));
    assert!(probes[&p1].iter().all(|p| p.1));

    // Uptime at the last step, by hand from the probe times.
    let now = *times1.last().unwrap().max(times2.last().unwrap());
    let s2 = state(&db, &p2);
    let by_hand = |window: i64| {
        let inside: Vec<i64> = times2[1..]
            .iter()
            .copied()
            .filter(|t| *t >= now - window && *t <= now)
            .collect();
        let offline = inside.last().unwrap() - inside.first().unwrap();
        ((window - offline).max(0) * 1_000_000 / window) as u32
    };
    assert_eq!(s2.uptime.seconds, now);
    assert_eq!(s2.uptime.day1, by_hand(DAY_SECONDS));
    assert_eq!(s2.uptime.day7, by_hand(7 * DAY_SECONDS));
    assert_eq!(s2.uptime.day30, by_hand(30 * DAY_SECONDS));
    assert_eq!(s2.uptime.day1, 0, "offline the whole last day");
    assert_eq!(state(&db, &p1).uptime.day7, PPM);
    // Ten minutes on, nobody is due but the windows slide: the 1-day window now starts at
    // +7,800 s, an offline probe (1,800 + 20 × 300), so 93,600 − 7,800 = 85,800 s offline.
    step(&mut prober, &mut probes, now + 600);
    assert_eq!(probes[&p2].last().unwrap().0, now, "not probed again");
    let slid = state(&db, &p2).uptime;
    assert_eq!(slid.seconds, now + 600);
    assert_eq!(slid.day1, ((86_400 - 85_800) * 1_000_000 / 86_400) as u32);
    assert_eq!(slid.day7, s2.uptime.day7);

    // The detail: the 24 h checks and the strip: offline buckets since P2 stopped.
    let d = provider_detail_json(&db, &p2, now).unwrap().unwrap();
    assert_eq!(d["isOnline"], false);
    assert_eq!(
        d["uptime1d"],
        f64::from(slid.day1) / 1e6,
        "the stored uptime"
    );
    let strip = d["uptime24h"].as_array().unwrap();
    assert_eq!(strip.len(), 96);
    assert!(strip.iter().all(|b| b["status"] == "offline"), "{strip:?}");
    let checks = d["uptime"].as_array().unwrap();
    assert_eq!(
        checks.len(),
        times2.iter().filter(|t| **t > now - DAY_SECONDS).count()
    );
    let d1 = provider_detail_json(&db, &p1, now).unwrap().unwrap();
    let strip1 = d1["uptime24h"].as_array().unwrap();
    assert!(strip1.iter().all(|b| b["status"] == "online"), "{strip1:?}");
    // A strip seen from the first day: unknown before the first probe, a partial bucket
    // where P2 went down (online until +900 s, offline from then on).
    let early = provider_detail_json(&db, &p2, T0 + 1000).unwrap().unwrap();
    let e: Vec<&str> = early["uptime24h"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(&e[e.len() - 2..], ["online", "offline"]);
    assert!(e[..e.len() - 2].iter().all(|s| *s == "unknown"));

    // Day rows: both providers on day 1, only P1 on day 2. The graph's values are totals.
    let g = provider_graph_json(&db, "count").unwrap();
    let snaps = g["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 2);
    assert_eq!(snaps[0]["date"], format!("{}T00:00:00.000Z", utc_date(T0)));
    assert_eq!(snaps[0]["value"], 2);
    assert_eq!(snaps[1]["value"], 1);
    assert_eq!(g["currentValue"], 1);
    assert_eq!(g["compareValue"], 2);
    let cpu = provider_graph_json(&db, "cpu").unwrap();
    assert_eq!(cpu["now"]["cpu"], 2000);
    assert_eq!(cpu["compare"]["cpu"], 4000);
    assert_eq!(cpu["compare"]["gpu"], 1);
    // GPU utilization: day 1 had one idle A100 (0 %); day 2 had no GPU, so no point.
    let u = gpu_utilization_json(&db).unwrap();
    assert_eq!(u["snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(u["currentValue"], 0.0);

    // Probes older than 31 days are deleted at the next probe.
    let far = T0 + PROBE_RETENTION_SECONDS + 26 * 3600 + 1;
    step(&mut prober, &mut probes, far);
    let tx = db.begin_read().unwrap();
    let kept = probe_history(&tx.open_table(PROBES).unwrap(), &p1, 0, far).unwrap();
    assert_eq!(kept, vec![(far, true)]);
    g1.stop(&rt);
}

/// With a node, each probe reads the provider's auditors: signed on chain → `isAudited` true
/// with the auditor; no signature → false; without a node → null.
#[test]
fn audit_signatures_on_chain_make_a_provider_audited() {
    use kumo_proto::akash::audit::v1 as audit;
    use kumo_proto::akash::base::attributes::v1::Attribute;
    let (auditor, validator) = (PrivKey::generate(), PrivKey::generate());
    let net = super::tests::net(
        &[
            (&auditor, vec![("uakt", 10_000_000_000)]),
            (&validator, vec![("uakt", 1_000_000_000_000)]),
        ],
        &validator,
    );
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(open_db(dir.path()).unwrap());
    let rt = runtime();
    let (p1, p2) = (addr(), addr());
    net.tx(
        &auditor,
        vec![kumo_client::tx::to_any(&audit::MsgSignProviderAttributes {
            owner: p1.clone(),
            auditor: auditor.address().to_string(),
            attributes: vec![Attribute {
                key: "tier".into(),
                value: "community".into(),
            }],
        })],
    );
    let inv = Arc::new(Mutex::new(Inventory::new(
        host(1000, vec![]),
        Overcommit::default(),
    )));
    let g = start_gateway(&rt, dir.path(), &p1, status_fn(inv));
    register_with(
        &db,
        &p1,
        &g.uri(),
        &[("tier", "community"), ("region", "eu")],
    );
    register(&db, &p2, "https://127.0.0.1:1");
    let mut unaudited = Prober::new(db.clone());
    rt.block_on(unaudited.step(T0)).unwrap();
    let list = providers_json(&db).unwrap();
    assert!(list[0]["isAudited"].is_null() && list[1]["isAudited"].is_null());

    let mut prober = Prober::new(db.clone()).with_node(&net.url);
    rt.block_on(prober.step(T0 + DAY_SECONDS)).unwrap();
    let list = providers_json(&db).unwrap();
    let by = |p: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|x| x["owner"] == p)
            .unwrap()
            .clone()
    };
    assert_eq!(by(&p1)["isAudited"], true);
    assert_eq!(by(&p1)["auditedBy"], json!([auditor.address().to_string()]));
    // Per attribute: the registration's tier=community is signed, region=eu is not.
    assert_eq!(
        by(&p1)["attributes"],
        json!([{"key": "tier", "value": "community",
                "auditedBy": [auditor.address().to_string()]},
               {"key": "region", "value": "eu", "auditedBy": []}])
    );
    // Offline, but its (absent) signatures are still read.
    assert_eq!(by(&p2)["isAudited"], false);
    g.stop(&rt);
}

/// The routes: unknown provider graph → 404 JSON; `/v1/gpu` with a malformed provider → 400.
#[test]
fn probe_routes_refuse_bad_input_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(open_db(dir.path()).unwrap());
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = ApiState {
        db,
        price: PriceSource::None,
    };
    rt.spawn(serve(listener, state, std::future::pending()));
    let get = |path: &str| -> (u16, Option<String>, Value) {
        let r = match ureq::get(&format!("{base}{path}")).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{path}: {e}"),
        };
        let cache = r.header("cache-control").map(str::to_string);
        (r.status(), cache, r.into_json().unwrap())
    };
    let (status, _, e) = get("/v1/provider-graph-data/bananas");
    assert_eq!(status, 404);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("unknown provider graph"),
        "{e}"
    );
    let (status, cache, g) = get("/v1/provider-graph-data/cpu");
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=60, stale-while-revalidate=120")
    );
    assert!(g["currentValue"].is_null(), "no day rows yet: {g}");
    let (status, _, e) = get("/v1/gpu?provider=akash1nope");
    assert_eq!(status, 400, "{e}");
    let (status, cache, g) = get("/v1/gpu");
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=120, stale-while-revalidate=240")
    );
    assert_eq!(g["gpus"]["total"]["allocatable"], 0);
    let (status, _, u) = get("/v1/graph-data/gpuUtilization");
    assert_eq!(status, 200, "{u}");
    let (status, cache, c) = get("/v1/network-capacity");
    assert_eq!(status, 200);
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=15, stale-while-revalidate=60")
    );
    assert_eq!(c["activeProviderCount"], 0);
}
