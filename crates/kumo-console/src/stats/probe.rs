//! The provider prober (spec console-stats.md §3 "How uptime is measured"): every registered
//! provider's public `GET {host_uri}/status` is fetched on Akash's schedule (online every
//! 15 min; offline backing off from 1 min to a day, [`next_probe_delay`]), with a timeout
//! (10 s) and at most 10 probes at once. Each probe is a row (online flag, the reason in plain
//! words when offline, capacity active/pending/available, GPU models per node); the last
//! successful probe of each UTC day is kept for the capacity graphs; the provider's current
//! state (online, last online, next check, uptime 1/7/30 d) is one row per provider.
//!
//! The gateway's certificate is self-signed; for this public, read-only route any certificate
//! is accepted (as Akash's indexer does), and no credentials are sent.
//!
//! With a node ([`Prober::with_node`]) each probe also reads the provider's auditors from the
//! chain's audit module (`/akash.audit.v1.Query/ProviderAttributes`), for `isAudited`.
//!
//! The prober runs on its own thread beside the block indexer. Each [`Prober::step`] takes the
//! current time as an argument, so tests drive it through explicit times.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use kumo_client::gateway::client::ProviderClient;
use redb::{Database, ReadableTable, Table};
use serde_json::Value;

use super::figures::*;
use super::tables::*;

/// Akash's probe timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Akash probes at most this many providers at once.
pub const DEFAULT_PARALLEL: usize = 10;
/// Every provider's uptime is recomputed this often (Akash's tracker runs every 10 min), so the
/// windows slide even for a provider that is not probed.
pub const UPTIME_REFRESH_SECONDS: i64 = 10 * MINUTE_SECONDS;

/// What a provider's `/status` reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusReport {
    pub capacity: Capacity,
    pub gpus: Vec<NodeGpu>,
    pub leases: Option<u64>,
}

fn not_status(why: impl std::fmt::Display) -> String {
    format!("not a provider status: {why}")
}

/// A non-negative whole number at `v[key]`; absent or null is 0.
fn whole(v: &Value, key: &str, at: &str) -> Result<u128, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(u128::from)
            .ok_or_else(|| not_status(format!("{at}.{key} = {n} is not a whole number"))),
        Some(Value::String(s)) => s
            .parse::<u128>()
            .map_err(|_| not_status(format!("{at}.{key} = {s:?} is not a whole number"))),
        Some(other) => Err(not_status(format!(
            "{at}.{key} is {other}, not a whole number"
        ))),
    }
}

fn array<'a>(v: Option<&'a Value>, at: &str) -> Result<&'a [Value], String> {
    match v {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(not_status(format!("{at} is not a list"))),
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// Reads a provider status (the gateway's `/status`, Akash's REST `ProviderStatus`):
/// `cluster.inventory.active[]` and `.pending[]` hold each reservation's `cpu` (millicores),
/// `gpu`, `memory`, `storage_ephemeral` and `storage{class: bytes}` (persistent);
/// `cluster.inventory.available.nodes[]` each node's free `available{…}` and (a kumo addition)
/// its GPU models `gpus[{vendor, model, ram, interface, allocatable, allocated}]`;
/// `cluster.inventory.available.storage[]` the free bytes of each persistent class.
pub fn parse_status(v: &Value) -> Result<StatusReport, String> {
    if !v.is_object() {
        let mut shown = v.to_string();
        shown.truncate(80);
        return Err(not_status(format!("the answer is {shown}")));
    }
    let inv = v
        .pointer("/cluster/inventory")
        .filter(|i| i.is_object())
        .ok_or_else(|| not_status("it has no cluster.inventory"))?;
    let mut c = Capacity::default();
    for (name, pick) in [
        (
            "active",
            (|q: &mut Quad| &mut q.active) as fn(&mut Quad) -> &mut u128,
        ),
        ("pending", |q: &mut Quad| &mut q.pending),
    ] {
        let at = format!("cluster.inventory.{name}");
        for (i, r) in array(inv.get(name), &at)?.iter().enumerate() {
            let at = format!("{at}[{i}]");
            *pick(&mut c.cpu) += whole(r, "cpu", &at)?;
            *pick(&mut c.gpu) += whole(r, "gpu", &at)?;
            *pick(&mut c.memory) += whole(r, "memory", &at)?;
            *pick(&mut c.ephemeral_storage) += whole(r, "storage_ephemeral", &at)?;
            match r.get("storage") {
                None | Some(Value::Null) => {}
                Some(Value::Object(classes)) => {
                    for class in classes.keys() {
                        *pick(&mut c.persistent_storage) +=
                            whole(&r["storage"], class, &format!("{at}.storage"))?;
                    }
                }
                Some(_) => return Err(not_status(format!("{at}.storage is not an object"))),
            }
        }
    }
    let mut gpus = Vec::new();
    let nodes_at = "cluster.inventory.available.nodes";
    for (i, n) in array(inv.pointer("/available/nodes"), nodes_at)?
        .iter()
        .enumerate()
    {
        let at = format!("{nodes_at}[{i}].available");
        let free = n.get("available").unwrap_or(&Value::Null);
        c.cpu.available += whole(free, "cpu", &at)?;
        c.gpu.available += whole(free, "gpu", &at)?;
        c.memory.available += whole(free, "memory", &at)?;
        c.ephemeral_storage.available += whole(free, "storage_ephemeral", &at)?;
        let gat = format!("{nodes_at}[{i}].gpus");
        for (j, g) in array(n.get("gpus"), &gat)?.iter().enumerate() {
            let at = format!("{gat}[{j}]");
            let count = |k: &str| {
                whole(g, k, &at).and_then(|v| {
                    u64::try_from(v).map_err(|_| not_status(format!("{at}.{k} is too large")))
                })
            };
            gpus.push(NodeGpu {
                node: text(n, "name"),
                vendor: text(g, "vendor"),
                model: text(g, "model"),
                ram: text(g, "ram"),
                interface: text(g, "interface"),
                allocatable: count("allocatable")?,
                allocated: count("allocated")?,
            });
        }
    }
    let sat = "cluster.inventory.available.storage";
    for (i, s) in array(inv.pointer("/available/storage"), sat)?
        .iter()
        .enumerate()
    {
        c.persistent_storage.available += whole(s, "size", &format!("{sat}[{i}]"))?;
    }
    Ok(StatusReport {
        capacity: c,
        gpus,
        leases: v.pointer("/cluster/leases").and_then(Value::as_u64),
    })
}

/// "10 s", "300 ms".
pub fn duration_text(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// One probe: `GET {host_uri}/status` within `timeout` (connection, TLS and answer together).
/// The error is the reason the provider counts as offline, in plain words.
pub async fn probe_status(
    provider: &str,
    host_uri: &str,
    timeout: Duration,
) -> Result<StatusReport, String> {
    let client = ProviderClient::public(provider, host_uri).map_err(|e| format!("{e:#}"))?;
    let v = match tokio::time::timeout(timeout, client.status()).await {
        Err(_) => return Err(format!("timed out after {}", duration_text(timeout))),
        Ok(Err(e)) => {
            if let Some(j) = e.downcast_ref::<serde_json::Error>() {
                return Err(not_status(format!("the answer is not JSON ({j})")));
            }
            return Err(format!("{e:#}"));
        }
        Ok(Ok(v)) => v,
    };
    parse_status(&v)
}

/// The wall clock in Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A provider's probes in `[from, to]` as (seconds, online).
pub fn probe_history(
    probes: &impl ReadableTable<(&'static str, i64), &'static [u8]>,
    provider: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, bool)>> {
    let mut out = Vec::new();
    // Only the flag is needed: the rest of the row is skipped, not built.
    #[derive(serde::Deserialize)]
    struct Flag {
        online: bool,
    }
    for e in probes.range((provider, from)..=(provider, to))? {
        let (k, v) = e?;
        let row: Flag = decode(v.value())?;
        out.push((k.value().1, row.online));
    }
    Ok(out)
}

/// Uptime over 1, 7 and 30 days at `now` from the stored probes.
pub fn uptimes(
    probes: &impl ReadableTable<(&'static str, i64), &'static [u8]>,
    provider: &str,
    now: i64,
) -> Result<Uptimes> {
    let h = probe_history(probes, provider, now - 30 * DAY_SECONDS, now)?;
    Ok(Uptimes {
        seconds: now,
        day1: uptime_ppm(&h, now, DAY_SECONDS),
        day7: uptime_ppm(&h, now, 7 * DAY_SECONDS),
        day30: uptime_ppm(&h, now, 30 * DAY_SECONDS),
    })
}

/// One provider's probe results.
struct Probed {
    provider: String,
    host_uri: String,
    status: Result<StatusReport, String>,
    audits: Option<Audits>,
}

/// What one step did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepReport {
    /// (provider, online, error) of each provider probed, sorted by provider.
    pub probed: Vec<(String, bool, Option<String>)>,
}

/// Probes the registered providers that are due; see the module comment.
pub struct Prober {
    db: Arc<Database>,
    /// Longest one probe may take.
    pub timeout: Duration,
    /// Most probes at once.
    pub parallel: usize,
    /// CometBFT RPC of a node, to read audit signatures.
    node: Option<String>,
    last_uptime_refresh: Option<i64>,
}

/// The auditors' signatures on `provider`'s attributes on chain: the auditors (sorted, each
/// once) and each signed attribute as (key, value, auditor).
pub fn auditors(node: &str, provider: &str) -> Result<Audits> {
    use kumo_proto::akash::audit::v1 as audit;
    let r: audit::QueryProvidersResponse = kumo_client::RpcClient::new(node).query_proto(
        "/akash.audit.v1.Query/ProviderAttributes",
        &audit::QueryProviderAttributesRequest {
            owner: provider.to_string(),
            pagination: None,
        },
    )?;
    let mut signed = Vec::new();
    for p in &r.providers {
        for a in &p.attributes {
            signed.push((a.key.clone(), a.value.clone(), p.auditor.clone()));
        }
    }
    let mut out: Vec<String> = r.providers.into_iter().map(|p| p.auditor).collect();
    out.sort();
    out.dedup();
    Ok((out, signed))
}

/// Auditors, and signed attributes as (key, value, auditor).
pub type Audits = (Vec<String>, Vec<(String, String, String)>);

impl Prober {
    pub fn new(db: Arc<Database>) -> Prober {
        Prober {
            db,
            timeout: DEFAULT_TIMEOUT,
            parallel: DEFAULT_PARALLEL,
            node: None,
            last_uptime_refresh: None,
        }
    }

    /// Also reads each probed provider's auditors from this node.
    pub fn with_node(mut self, node: &str) -> Prober {
        self.node = Some(node.to_string());
        self
    }

    /// Registered providers with a host URI, and the ones due at `now` (never probed, moved
    /// to another host URI, or past their next check).
    fn due(&self, now: i64) -> Result<Vec<(String, String)>> {
        let tx = self.db.begin_read()?;
        let providers = tx.open_table(PROVIDERS)?;
        let current = tx.open_table(PROVIDER_CURRENT)?;
        let mut due = Vec::new();
        for e in providers.iter()? {
            let (k, v) = e?;
            let p: ProviderRow = decode(v.value())?;
            if p.host_uri.is_empty() {
                continue;
            }
            let state: Option<ProbeState> = get_str(&current, k.value())?;
            let is_due = match state {
                None => true,
                Some(s) => s.host_uri != p.host_uri || s.next_check_seconds <= now,
            };
            if is_due {
                due.push((k.value().to_string(), p.host_uri));
            }
        }
        Ok(due)
    }

    /// The earliest next check of any probed provider (`None`: nothing probed yet).
    pub fn next_check(&self) -> Result<Option<i64>> {
        let tx = self.db.begin_read()?;
        let current = tx.open_table(PROVIDER_CURRENT)?;
        let mut next: Option<i64> = None;
        for e in current.iter()? {
            let s: ProbeState = decode(e?.1.value())?;
            next = Some(next.map_or(s.next_check_seconds, |n| n.min(s.next_check_seconds)));
        }
        Ok(next)
    }

    /// Probes every provider due at `now` (all at once, at most `parallel` in flight, each
    /// bounded by `timeout`) and records the results as taken at `now`; every
    /// [`UPTIME_REFRESH_SECONDS`] it also recomputes every provider's uptime.
    pub async fn step(&mut self, now: i64) -> Result<StepReport> {
        let due = self.due(now)?;
        let sem = Arc::new(tokio::sync::Semaphore::new(self.parallel.max(1)));
        let mut set = tokio::task::JoinSet::new();
        for (provider, host_uri) in due {
            let (sem, timeout, node) = (sem.clone(), self.timeout, self.node.clone());
            set.spawn(async move {
                let _permit = sem.acquire_owned().await;
                let r = probe_status(&provider, &host_uri, timeout).await;
                let audits = match node {
                    None => None,
                    Some(node) => {
                        let p = provider.clone();
                        let q = tokio::task::spawn_blocking(move || auditors(&node, &p));
                        match tokio::time::timeout(timeout, q).await {
                            Ok(Ok(Ok(a))) => Some(a),
                            Ok(Ok(Err(e))) => {
                                tracing::warn!(%provider, "cannot read audit signatures: {e:#}");
                                None
                            }
                            _ => None,
                        }
                    }
                };
                Probed {
                    provider,
                    host_uri,
                    status: r,
                    audits,
                }
            });
        }
        let mut results = Vec::new();
        while let Some(j) = set.join_next().await {
            match j {
                Ok(r) => results.push(r),
                Err(e) => tracing::warn!("a provider probe failed to run: {e}"),
            }
        }
        results.sort_by(|a, b| a.provider.cmp(&b.provider));
        let refresh_all = self
            .last_uptime_refresh
            .is_none_or(|t| now - t >= UPTIME_REFRESH_SECONDS);
        let report = self.record(now, results, refresh_all)?;
        if refresh_all {
            self.last_uptime_refresh = Some(now);
        }
        Ok(report)
    }

    /// Recomputes every provider's uptime at `now`. The probes are read in a read transaction
    /// (30 days of every provider), so the block indexer's writes are held up only by the short
    /// write of the results.
    fn refresh_uptimes(&self, now: i64) -> Result<()> {
        let mut fresh = BTreeMap::new();
        {
            let tx = self.db.begin_read()?;
            let current = tx.open_table(PROVIDER_CURRENT)?;
            let probes = tx.open_table(PROBES)?;
            for e in current.iter()? {
                let (k, v) = e?;
                let st: ProbeState = decode(v.value())?;
                if st.uptime.seconds != now {
                    let provider = k.value().to_string();
                    let u = uptimes(&probes, &provider, now)?;
                    fresh.insert(provider, u);
                }
            }
        }
        if fresh.is_empty() {
            return Ok(());
        }
        let tx = self.db.begin_write()?;
        {
            let mut current = tx.open_table(PROVIDER_CURRENT)?;
            for (provider, u) in fresh {
                let Some(mut st) = get_str::<ProbeState>(&current, &provider)? else {
                    continue;
                };
                st.uptime = u;
                current.insert(provider.as_str(), encode(&st).as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn record(&self, now: i64, results: Vec<Probed>, refresh_all: bool) -> Result<StepReport> {
        let mut report = StepReport::default();
        let tx = self.db.begin_write()?;
        {
            let mut probes = tx.open_table(PROBES)?;
            let mut days = tx.open_table(PROVIDER_DAY)?;
            let mut current = tx.open_table(PROVIDER_CURRENT)?;
            for Probed {
                provider,
                host_uri,
                status,
                audits,
            } in results
            {
                let row = match status {
                    Ok(s) => ProbeRow {
                        seconds: now,
                        online: true,
                        error: None,
                        capacity: Some(s.capacity),
                        gpus: s.gpus,
                        leases: s.leases,
                    },
                    Err(e) => ProbeRow {
                        seconds: now,
                        online: false,
                        error: Some(e),
                        ..ProbeRow::default()
                    },
                };
                probes.insert((provider.as_str(), now), encode(&row).as_slice())?;
                if row.online {
                    days.insert(
                        (provider.as_str(), utc_date(now).as_str()),
                        encode(&row).as_slice(),
                    )?;
                }
                prune(&mut probes, &provider, now - PROBE_RETENTION_SECONDS)?;
                let mut st: ProbeState = get_str(&current, &provider)?.unwrap_or(ProbeState {
                    first_check_seconds: now,
                    ..ProbeState::default()
                });
                st.host_uri = host_uri;
                if let Some((by, signed)) = audits {
                    st.audited_by = Some(by);
                    st.audited_attributes = signed;
                }
                st.is_online = row.online;
                st.last_check_seconds = now;
                st.last_error = row.error.clone();
                if row.online {
                    st.last_online_seconds = Some(now);
                }
                let offline_for = if row.online {
                    0
                } else {
                    now - st.last_online_seconds.unwrap_or(st.first_check_seconds)
                };
                st.next_check_seconds = now + next_probe_delay(row.online, offline_for);
                st.uptime = uptimes(&probes, &provider, now)?;
                report
                    .probed
                    .push((provider.clone(), row.online, row.error.clone()));
                if row.online {
                    st.last_success = Some(row);
                }
                current.insert(provider.as_str(), encode(&st).as_slice())?;
            }
        }
        tx.commit()?;
        if refresh_all {
            self.refresh_uptimes(now)?;
        }
        Ok(report)
    }

    /// Probes until `stop` is set: each step at the wall clock, then sleeps until the next
    /// provider is due (at most 5 s, so newly registered providers are probed promptly).
    pub fn run(mut self, stop: &AtomicBool) {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the prober's runtime")
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!("provider prober not started: {e:#}");
                return;
            }
        };
        while !stop.load(Ordering::SeqCst) {
            let now = unix_now();
            match rt.block_on(self.step(now)) {
                Ok(r) => {
                    for (p, online, err) in r.probed {
                        tracing::debug!(provider = %p, online, error = ?err, "probed");
                    }
                }
                Err(e) => tracing::warn!("provider probe step failed: {e:#}"),
            }
            let next = self.next_check().ok().flatten().unwrap_or(now + 5);
            let wait = (next - unix_now()).clamp(1, 5);
            for _ in 0..wait * 10 {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Deletes a provider's probes older than `before`.
fn prune(probes: &mut Table<(&str, i64), &[u8]>, provider: &str, before: i64) -> Result<()> {
    let old: Vec<i64> = probes
        .range((provider, i64::MIN)..(provider, before))?
        .map(|e| e.map(|(k, _)| k.value().1))
        .collect::<Result<_, _>>()?;
    for t in old {
        probes.remove((provider, t))?;
    }
    Ok(())
}
