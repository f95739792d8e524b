//! Akash's `/v1` statistics routes (spec console-stats.md §2.4, §3), with the same JSON shapes
//! and cache headers, answered from the index's rows: the dashboard reads the latest block row
//! and the rows 24 h and 48 h before it (point lookups), never the leases.
//!
//! Figures that cannot be measured are `null`, never invented.
//!
//! Shapes from the provider probes ([`super::probe`]); CPU in millicores, memory and storage in
//! bytes, a "quad" is `{active, pending, available, total}`:
//! * `/v1/network-capacity` (15 s / 60 s): `{activeProviderCount, registeredProviderCount,
//!   resources: {cpu: quad, gpu: quad, memory: quad, storage: {ephemeral: quad,
//!   persistent: quad, total: quad}}}` over providers whose last successful probe is under
//!   180 min old, one per host URI. The dashboard's `networkCapacity` adds Akash's flat fields
//!   `(active|pending|available|total)(CPU|GPU|Memory|Storage|EphemeralStorage|PersistentStorage)`.
//! * `/v1/providers` entries: `isOnline`, `lastOnlineDate`, `lastCheckDate`, `nextCheckDate`,
//!   `lastCheckError`, `uptime1d|7d|30d` (0..1), `gpuModels[{vendor,model,ram,interface}]`,
//!   `isAudited` (signed by any auditor on chain; null when not read), `auditedBy[address]`
//!   (and per attribute, `attributes[{key,value,auditedBy}]`, as Akash's list has it),
//!   `stats{cpu,gpu,memory: quad, storage: quad +
//!   {ephemeral, persistent}}` from the last successful probe, `lastSnapshotDate`; all `null`
//!   for a provider never probed. `/v1/providers/{address}` adds `uptime[{id,isOnline,
//!   checkDate}]` (the last 24 h of checks) and `uptime24h[{date,status}]` (96 quarter hours,
//!   status online|offline|partial|unknown).
//! * `/v1/provider-graph-data/{count|cpu|gpu|memory|storage}` (60 s / 120 s):
//!   `{currentValue, compareValue, now{count,cpu,gpu,memory,storage}, compare{…},
//!   snapshots[{date,value}]}`, one point per UTC day from `provider_day`, totals.
//! * `/v1/gpu` (120 s / 240 s): `{gpus:{total:{allocatable,allocated},
//!   details:{<vendor>:[{model,ram,interface,allocatable,allocated}]}}}`.
//! * `/v1/graph-data/gpuUtilization`: `{currentValue, compareValue, snapshots}` in percent.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use redb::{Database, ReadableTable, ReadableTableMetadata};
use serde_json::{json, Value};

use super::figures::*;
use super::probe::unix_now;
use super::tables::*;

/// Where the AKT price in USD comes from. Never the internet.
#[derive(Clone, Debug)]
pub enum PriceSource {
    /// No price: USD fields are `null`.
    None,
    /// A configured price (atomics).
    Fixed(u128),
    /// A local file holding one decimal number, re-read on every request.
    File(PathBuf),
}

impl PriceSource {
    /// The AKT price in atomics, if any.
    pub fn akt_usd(&self) -> Result<Option<u128>> {
        match self {
            PriceSource::None => Ok(None),
            PriceSource::Fixed(p) => Ok(Some(*p)),
            PriceSource::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow!("cannot read the AKT price file {}: {e}", path.display())
                })?;
                text.parse::<kumo_proto::math::Dec>()
                    .map(|d| Some(d.atomics()))
                    .map_err(|e| anyhow!("AKT price file {}: {e}", path.display()))
            }
        }
    }
}

#[derive(Clone)]
pub struct ApiState {
    pub db: Arc<Database>,
    pub price: PriceSource,
}

/// The `/v1` router.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/v1/dashboard-data", get(dashboard))
        .route("/v1/graph-data/{name}", get(graph))
        .route("/v1/network-capacity", get(network_capacity))
        .route("/v1/providers", get(providers))
        .route("/v1/providers/{address}", get(provider))
        .route("/v1/provider-graph-data/{name}", get(provider_graph))
        .route("/v1/gpu", get(gpu))
        .route("/v1/gpu-prices", get(gpu_prices))
        .route("/v1/leases-duration/{owner}", get(leases_duration))
        .merge(super::pages::routes())
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .with_state(Arc::new(state))
}

/// A JSON error body, as Akash's API writes them.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({
        "error": status.canonical_reason().unwrap_or("Error"),
        "message": message.into(),
    });
    (status, Json(body)).into_response()
}

fn cached(max_age: u32, swr: u32, body: Value) -> Response {
    let mut r = Json(body).into_response();
    let v = format!("public, max-age={max_age}, stale-while-revalidate={swr}");
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_str(&v).unwrap());
    r
}

fn internal(e: anyhow::Error) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
}

/// The latest block row and the first rows at or after 24 h and 48 h before it.
struct Periods {
    now: BlockRow,
    compare: BlockRow,
    previous: BlockRow,
}

fn first_at_or_after(
    times: &impl ReadableTable<i64, u64>,
    blocks: &impl ReadableTable<u64, &'static [u8]>,
    seconds: i64,
    fallback: &BlockRow,
) -> Result<BlockRow> {
    let height = match times.range(seconds..)?.next() {
        Some(e) => e?.1.value(),
        None => return Ok(fallback.clone()),
    };
    Ok(get_block(blocks, height)?.unwrap_or_else(|| fallback.clone()))
}

fn periods(db: &Database) -> Result<Option<Periods>> {
    let tx = db.begin_read()?;
    let blocks = tx.open_table(BLOCKS)?;
    let times = tx.open_table(BLOCK_TIME)?;
    let Some(last) = blocks.last()? else {
        return Ok(None);
    };
    let now: BlockRow = decode(last.1.value())?;
    let compare = first_at_or_after(&times, &blocks, now.seconds - DAY_SECONDS, &now)?;
    let previous = first_at_or_after(&times, &blocks, now.seconds - 2 * DAY_SECONDS, &now)?;
    Ok(Some(Periods {
        now,
        compare,
        previous,
    }))
}

fn not_indexed() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "the stats index holds no block yet; the indexer is catching up",
    )
}

/// The figures `/v1/dashboard-data` serves (also used by tests and the CLI's JSON).
pub fn dashboard_json(db: &Database, akt_usd: Option<u128>) -> Result<Option<Value>> {
    let Some(p) = periods(db)? else {
        return Ok(None);
    };
    let tx = db.begin_read()?;
    let blocks = tx.open_table(BLOCKS)?;
    let mut latest = Vec::new();
    for e in blocks.iter()?.rev().take(5) {
        let row: BlockRow = decode(e?.1.value())?;
        latest.push(json!({
            "height": row.height,
            "proposer": {"address": row.proposer, "operatorAddress": null, "moniker": null,
                         "avatarUrl": null},
            "transactionCount": row.block_tx_count,
            "totalTransactionCount": row.totals.tx_count,
            "datetime": iso_time(row.seconds),
        }));
    }
    let providers = tx.open_table(PROVIDERS)?;
    Ok(Some(json!({
        "chainStats": chain_stats_json(&p.now),
        "now": period_json(&p.now, Some(&p.compare), akt_usd),
        "compare": period_json(&p.compare, Some(&p.previous), akt_usd),
        "networkCapacity": dashboard_capacity_at(db, unix_now(), providers.len()?)?,
        "networkCapacityStats": null,
        "latestBlocks": latest,
        "aktUsdPrice": akt_usd.map(dec_f64),
    })))
}

async fn dashboard(State(s): State<Arc<ApiState>>) -> Response {
    let price = match s.price.akt_usd() {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    match dashboard_json(&s.db, price) {
        Ok(Some(v)) => cached(60, 120, v),
        Ok(None) => not_indexed(),
        Err(e) => internal(e),
    }
}

/// `/v1/graph-data/{name}`: one point per UTC day (its closing block), the latest block as
/// today's point.
pub fn graph_json(db: &Database, name: &str, akt_usd: Option<u128>) -> Result<Option<Value>> {
    let Some(p) = periods(db)? else {
        return Ok(None);
    };
    let tx = db.begin_read()?;
    let blocks = tx.open_table(BLOCKS)?;
    let days = tx.open_table(DAYS)?;
    let mut snapshots = Vec::new();
    let mut before: Option<BlockRow> = None;
    for e in days.iter()? {
        let day: DayRow = decode(e?.1.value())?;
        let Some(row) = get_block(&blocks, day.last_height)? else {
            continue;
        };
        let value = series_value(name, &row, before.as_ref(), akt_usd);
        snapshots.push(json!({"date": format!("{}T00:00:00.000Z", day.date), "value": value}));
        before = Some(row);
    }
    Ok(Some(json!({
        "currentValue": series_value(name, &p.now, Some(&p.compare), akt_usd),
        "compareValue": series_value(name, &p.compare, Some(&p.previous), akt_usd),
        "snapshots": snapshots,
    })))
}

async fn graph(State(s): State<Arc<ApiState>>, Path(name): Path<String>) -> Response {
    if name == GPU_UTILIZATION {
        return match gpu_utilization_json(&s.db) {
            Ok(v) => cached(60, 120, v),
            Err(e) => internal(e),
        };
    }
    if UNBUILT_SERIES.contains(&name.as_str()) {
        return error(
            StatusCode::NOT_IMPLEMENTED,
            format!("graph {name:?} needs BME rows, which kumo does not index yet"),
        );
    }
    if !BLOCK_SERIES.contains(&name.as_str()) {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "unknown graph {name:?}; known graphs: {}, {GPU_UTILIZATION}",
                BLOCK_SERIES.join(", ")
            ),
        );
    }
    let price = match s.price.akt_usd() {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    match graph_json(&s.db, &name, price) {
        Ok(Some(v)) => cached(60, 120, v),
        Ok(None) => not_indexed(),
        Err(e) => internal(e),
    }
}

async fn network_capacity(State(s): State<Arc<ApiState>>) -> Response {
    match network_capacity_json(&s.db, unix_now()) {
        Ok(v) => cached(15, 60, v),
        Err(e) => internal(e),
    }
}

fn provider_json(p: &ProviderRow, state: Option<&ProbeState>) -> Value {
    let last = state.and_then(|st| st.last_success.as_ref());
    let mut models: Vec<Value> = Vec::new();
    for g in last.map(|r| r.gpus.as_slice()).unwrap_or_default() {
        let m = json!({"vendor": g.vendor, "model": g.model, "ram": g.ram,
                       "interface": g.interface});
        if !models.contains(&m) {
            models.push(m);
        }
    }
    let uptime = |f: fn(&Uptimes) -> u32| state.map(|st| ppm_f64(f(&st.uptime)));
    json!({
        "owner": p.owner,
        "hostUri": p.host_uri,
        "createdHeight": p.created_height,
        "updatedHeight": p.updated_height,
        "email": p.email,
        "website": p.website,
        "attributes": p.attributes.iter().map(|(k, v)| {
            let by: Vec<&str> = state
                .map(|st| st.audited_attributes.as_slice())
                .unwrap_or_default()
                .iter()
                .filter(|(sk, sv, _)| sk == k && sv == v)
                .map(|(_, _, auditor)| auditor.as_str())
                .collect();
            json!({"key": k, "value": v, "auditedBy": by})
        })
            .collect::<Vec<_>>(),
        "leaseCount": p.active_leases,
        "activeStats": {"cpu": p.active_resources.cpu as f64, "gpu": p.active_resources.gpu as f64,
                        "memory": p.active_resources.memory as f64,
                        "storage": p.active_resources.storage as f64},
        "isOnline": state.map(|st| st.is_online),
        "lastOnlineDate": state.and_then(|st| st.last_online_seconds).map(iso_time),
        "lastCheckDate": state.map(|st| iso_time(st.last_check_seconds)),
        "nextCheckDate": state.map(|st| iso_time(st.next_check_seconds)),
        "lastCheckError": state.and_then(|st| st.last_error.clone()),
        "uptime1d": uptime(|u| u.day1),
        "uptime7d": uptime(|u| u.day7),
        "uptime30d": uptime(|u| u.day30),
        "gpuModels": models,
        "isAudited": state.and_then(|st| st.audited_by.as_ref()).map(|a| !a.is_empty()),
        "auditedBy": state.and_then(|st| st.audited_by.clone()),
        "stats": last.and_then(|r| r.capacity.as_ref()).map(stats_json),
        "lastSnapshotDate": last.map(|r| iso_time(r.seconds)),
    })
}

/// Every registered provider (rows with a host URI; a lease's provider without a
/// registration row is skipped).
pub fn providers_json(db: &Database) -> Result<Value> {
    let tx = db.begin_read()?;
    let t = tx.open_table(PROVIDERS)?;
    let current = tx.open_table(PROVIDER_CURRENT)?;
    let mut out = Vec::new();
    for e in t.iter()? {
        let p: ProviderRow = decode(e?.1.value())?;
        if !p.host_uri.is_empty() {
            let state: Option<ProbeState> = get_str(&current, &p.owner)?;
            out.push(provider_json(&p, state.as_ref()));
        }
    }
    Ok(Value::Array(out))
}

async fn providers(State(s): State<Arc<ApiState>>) -> Response {
    match providers_json(&s.db) {
        Ok(v) => cached(60, 120, v),
        Err(e) => internal(e),
    }
}

/// Refuses anything but an `akash1…` account address.
pub fn check_address(address: &str) -> Result<(), Box<Response>> {
    kumo_crypto::Address::from_bech32(address, "akash")
        .map(|_| ())
        .map_err(|e| {
            Box::new(error(
                StatusCode::BAD_REQUEST,
                format!("{address:?} is not an akash1… address: {e}"),
            ))
        })
}

async fn provider(State(s): State<Arc<ApiState>>, Path(address): Path<String>) -> Response {
    if let Err(r) = check_address(&address) {
        return *r;
    }
    match provider_detail_json(&s.db, &address, unix_now()) {
        Ok(Some(v)) => cached(60, 120, v),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            format!("no provider {address} is registered"),
        ),
        Err(e) => internal(e),
    }
}

/// `/v1/gpu-prices`: USD per hour per GPU model, from the last 31 days of bids on orders for
/// exactly one GPU of one model. Bids whose denom has no USD value are left out.
pub fn gpu_prices_json(db: &Database, akt_usd: Option<u128>) -> Result<Value> {
    let tx = db.begin_read()?;
    let blocks = tx.open_table(BLOCKS)?;
    let Some(last) = blocks.last()? else {
        return Ok(json!({"availability": {"total": null, "available": null}, "models": []}));
    };
    let now: BlockRow = decode(last.1.value())?;
    let since = now.seconds - 31 * DAY_SECONDS;
    let mut by_model = PricesByModel::new();
    let bids = tx.open_table(BIDS)?;
    for e in bids.iter()? {
        let b: BidRow = decode(e?.1.value())?;
        if b.seconds < since || b.gpu_units != 1 || b.gpu_models.len() != 1 {
            continue;
        }
        let prices = by_model.entry(b.gpu_models[0].clone()).or_default();
        if let Some(usd) = usd_per_hour(&b.denom, b.price, now.chain.blocks_per_year, akt_usd) {
            prices.push(usd);
        }
    }
    let models: Vec<Value> = by_model
        .iter()
        .map(|(m, prices)| {
            json!({
                "vendor": m.vendor, "model": m.model, "ram": m.ram, "interface": m.interface,
                "availability": {"total": null, "available": null},
                "providerAvailability": {"total": null, "available": null, "providers": null},
                "price": price_stats(prices),
            })
        })
        .collect();
    Ok(json!({"availability": {"total": null, "available": null}, "models": models}))
}

async fn gpu_prices(State(s): State<Arc<ApiState>>) -> Response {
    let price = match s.price.akt_usd() {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    match gpu_prices_json(&s.db, price) {
        Ok(v) => cached(120, 240, v),
        Err(e) => internal(e),
    }
}

/// `/v1/leases-duration/{owner}[?dseq=N]`: the owner's leases that have ended (closed, or
/// their escrow ran dry at an indexed height), with their durations.
pub fn leases_duration_json(db: &Database, owner: &str, dseq: Option<u64>) -> Result<Value> {
    let tx = db.begin_read()?;
    let leases = tx.open_table(LEASES)?;
    let blocks = tx.open_table(BLOCKS)?;
    let last = blocks.last()?.map(|e| e.0.value()).unwrap_or(0);
    let prefix = format!("{owner}/");
    let mut out = Vec::new();
    let mut total_seconds: i64 = 0;
    for e in leases.range(prefix.as_str()..)? {
        let (k, v) = e?;
        if !k.value().starts_with(&prefix) {
            break;
        }
        let l: LeaseRow = decode(v.value())?;
        if dseq.is_some_and(|d| d != l.dseq) {
            continue;
        }
        let end = match (l.closed_height, l.predicted_closed_height) {
            (Some(c), Some(p)) => c.min(p),
            (Some(c), None) => c,
            (None, Some(p)) if p <= last => p,
            _ => continue,
        };
        let Some(end_row) = get_block(&blocks, end)? else {
            continue;
        };
        let seconds = (end_row.seconds - l.created_seconds).max(0);
        total_seconds += seconds;
        out.push(json!({
            "dseq": l.dseq.to_string(), "gseq": l.gseq, "oseq": l.oseq, "provider": l.provider,
            "startHeight": l.created_height, "startDate": iso_time(l.created_seconds),
            "closedHeight": end, "closedDate": iso_time(end_row.seconds),
            "durationInBlocks": end - l.created_height,
            "durationInSeconds": seconds,
            "durationInHours": seconds as f64 / 3600.0,
        }));
    }
    Ok(json!({
        "leaseCount": out.len(),
        "totalDurationInSeconds": total_seconds,
        "totalDurationInHours": total_seconds as f64 / 3600.0,
        "leases": out,
    }))
}

async fn leases_duration(
    State(s): State<Arc<ApiState>>,
    Path(owner): Path<String>,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    if let Err(r) = check_address(&owner) {
        return *r;
    }
    let dseq = match q.get("dseq").map(|d| d.parse::<u64>()) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("dseq {:?} is not a number", q["dseq"]),
            )
        }
    };
    match leases_duration_json(&s.db, &owner, dseq) {
        Ok(v) => cached(60, 120, v),
        Err(e) => internal(e),
    }
}

/// Serves the `/v1` routes on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

// ---------------------------------------------------------------- provider probes

/// A stored integer as a JSON number (saturating at u64).
fn n(v: u128) -> Value {
    json!(u64::try_from(v).unwrap_or(u64::MAX))
}

/// Parts per million as a fraction (0.9731).
fn ppm_f64(ppm: u32) -> f64 {
    f64::from(ppm) / f64::from(PPM)
}

fn quad_json(q: &Quad) -> Value {
    json!({"active": n(q.active), "pending": n(q.pending), "available": n(q.available),
           "total": n(q.total())})
}

/// A provider's `stats`: CPU (millicores), GPU, memory (bytes), storage (bytes; the flat
/// figures are ephemeral + persistent, with both splits beside them).
fn stats_json(c: &Capacity) -> Value {
    let mut storage = quad_json(&c.storage());
    storage["ephemeral"] = quad_json(&c.ephemeral_storage);
    storage["persistent"] = quad_json(&c.persistent_storage);
    json!({"cpu": quad_json(&c.cpu), "gpu": quad_json(&c.gpu), "memory": quad_json(&c.memory),
           "storage": storage})
}

/// Registered providers whose last successful probe is younger than the 180-min grace period
/// at `now`, one per host URI (the most recent success wins), with that probe.
fn fresh_providers(db: &Database, now: i64) -> Result<Vec<(String, ProbeRow)>> {
    let tx = db.begin_read()?;
    let providers = tx.open_table(PROVIDERS)?;
    let current = tx.open_table(PROVIDER_CURRENT)?;
    let mut by_host: std::collections::BTreeMap<String, (String, ProbeRow)> = Default::default();
    for e in current.iter()? {
        let (k, v) = e?;
        let st: ProbeState = decode(v.value())?;
        let Some(last) = st.last_success else {
            continue;
        };
        if now - last.seconds >= CAPACITY_GRACE_SECONDS || last.seconds > now {
            continue;
        }
        let registered: Option<ProviderRow> = get_str(&providers, k.value())?;
        let Some(p) = registered.filter(|p| !p.host_uri.is_empty()) else {
            continue;
        };
        let newer = by_host
            .get(&p.host_uri)
            .is_none_or(|(_, kept)| kept.seconds < last.seconds);
        if newer {
            by_host.insert(p.host_uri, (k.value().to_string(), last));
        }
    }
    Ok(by_host.into_values().collect())
}

/// The network's capacity at `now`: the number of providers counted and their summed capacity.
pub fn network_capacity_at(db: &Database, now: i64) -> Result<(u64, Capacity)> {
    let mut total = Capacity::default();
    let fresh = fresh_providers(db, now)?;
    for (_, row) in &fresh {
        if let Some(c) = &row.capacity {
            total.add(c);
        }
    }
    Ok((fresh.len() as u64, total))
}

fn capacity_resources(c: &Capacity) -> Value {
    json!({"cpu": quad_json(&c.cpu), "gpu": quad_json(&c.gpu), "memory": quad_json(&c.memory),
           "storage": {"ephemeral": quad_json(&c.ephemeral_storage),
                       "persistent": quad_json(&c.persistent_storage),
                       "total": quad_json(&c.storage())}})
}

/// `/v1/network-capacity` at `now`.
pub fn network_capacity_json(db: &Database, now: i64) -> Result<Value> {
    let (count, c) = network_capacity_at(db, now)?;
    let registered = db.begin_read()?.open_table(PROVIDERS)?.len()?;
    Ok(json!({
        "activeProviderCount": count,
        "registeredProviderCount": registered,
        "resources": capacity_resources(&c),
    }))
}

/// The dashboard's `networkCapacity` at `now`: Akash's flat fields plus `resources`.
pub fn dashboard_capacity_at(db: &Database, now: i64, registered: u64) -> Result<Value> {
    let (count, c) = network_capacity_at(db, now)?;
    let mut v = json!({
        "activeProviderCount": count,
        "registeredProviderCount": registered,
        "resources": capacity_resources(&c),
    });
    let storage = c.storage();
    for (name, q) in [
        ("CPU", &c.cpu),
        ("GPU", &c.gpu),
        ("Memory", &c.memory),
        ("Storage", &storage),
        ("EphemeralStorage", &c.ephemeral_storage),
        ("PersistentStorage", &c.persistent_storage),
    ] {
        v[format!("active{name}")] = n(q.active);
        v[format!("pending{name}")] = n(q.pending);
        v[format!("available{name}")] = n(q.available);
        v[format!("total{name}")] = n(q.total());
    }
    Ok(v)
}

/// `/v1/providers/{address}` at `now`: the list entry plus the checks of the last 24 h
/// (`uptime`, Akash's `[{id, isOnline, checkDate}]`) and the 96 quarter-hour buckets of the
/// strip (`uptime24h`, `[{date, status}]`, status online/offline/partial/unknown).
pub fn provider_detail_json(db: &Database, address: &str, now: i64) -> Result<Option<Value>> {
    let tx = db.begin_read()?;
    let Some(p) = get_str::<ProviderRow>(&tx.open_table(PROVIDERS)?, address)? else {
        return Ok(None);
    };
    if p.host_uri.is_empty() {
        return Ok(None);
    }
    let state: Option<ProbeState> = get_str(&tx.open_table(PROVIDER_CURRENT)?, address)?;
    let mut v = provider_json(&p, state.as_ref());
    let probes = tx.open_table(PROBES)?;
    // From one full day before the strip's first bucket, so the result holding at its start
    // is known.
    let history = super::probe::probe_history(&probes, address, now - 2 * DAY_SECONDS, now)?;
    v["uptime"] = history
        .iter()
        .filter(|(t, _)| *t > now - DAY_SECONDS)
        .map(|(t, online)| json!({"id": t, "isOnline": online, "checkDate": iso_time(*t)}))
        .collect();
    v["uptime24h"] = uptime_strip(&history, now)
        .into_iter()
        .map(|(start, b)| json!({"date": iso_time(start), "status": b.as_str()}))
        .collect();
    Ok(Some(v))
}

/// Per UTC day: how many providers had a successful probe that day and their summed
/// capacity (each provider's last success of the day, one per host URI).
pub fn daily_capacity(db: &Database) -> Result<Vec<(String, u64, Capacity)>> {
    let tx = db.begin_read()?;
    let providers = tx.open_table(PROVIDERS)?;
    let days = tx.open_table(PROVIDER_DAY)?;
    type Hosts = std::collections::BTreeMap<String, ProbeRow>;
    let mut by_date: std::collections::BTreeMap<String, Hosts> = Default::default();
    let mut hosts: std::collections::BTreeMap<String, String> = Default::default();
    for e in days.iter()? {
        let (k, v) = e?;
        let (provider, date) = k.value();
        let host = match hosts.get(provider) {
            Some(h) => h.clone(),
            None => {
                let h = get_str::<ProviderRow>(&providers, provider)?
                    .map(|p| p.host_uri)
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| provider.to_string());
                hosts.insert(provider.to_string(), h.clone());
                h
            }
        };
        let row: ProbeRow = decode(v.value())?;
        let day = by_date.entry(date.to_string()).or_default();
        if day.get(&host).is_none_or(|kept| kept.seconds < row.seconds) {
            day.insert(host, row);
        }
    }
    Ok(by_date
        .into_iter()
        .map(|(date, rows)| {
            let mut c = Capacity::default();
            for r in rows.values() {
                if let Some(rc) = &r.capacity {
                    c.add(rc);
                }
            }
            (date, rows.len() as u64, c)
        })
        .collect())
}

/// The provider graphs Akash serves under `/v1/provider-graph-data/{name}`.
pub const PROVIDER_SERIES: [&str; 5] = ["count", "cpu", "gpu", "memory", "storage"];

fn provider_figures(count: u64, c: &Capacity) -> Value {
    json!({"count": count, "cpu": n(c.cpu.total()), "gpu": n(c.gpu.total()),
           "memory": n(c.memory.total()), "storage": n(c.storage().total())})
}

/// `/v1/provider-graph-data/{name}`: one point per UTC day (the providers' last successful
/// probes that day; the latest day is today's, still in progress), `now` the latest day and
/// `compare` the day before it. CPU in millicores, memory and storage in bytes, each the
/// total (active + pending + available).
pub fn provider_graph_json(db: &Database, name: &str) -> Result<Value> {
    let days = daily_capacity(db)?;
    let figures: Vec<(String, Value)> = days
        .iter()
        .map(|(d, count, c)| (d.clone(), provider_figures(*count, c)))
        .collect();
    let now = figures.last().map(|f| f.1.clone());
    let compare = figures.len().checked_sub(2).map(|i| figures[i].1.clone());
    Ok(json!({
        "currentValue": now.as_ref().map(|v| v[name].clone()),
        "compareValue": compare.as_ref().map(|v| v[name].clone()),
        "now": now,
        "compare": compare,
        "snapshots": figures.iter().map(|(d, v)| json!({"date": format!("{d}T00:00:00.000Z"),
                                                          "value": v[name]}))
            .collect::<Vec<_>>(),
    }))
}

async fn provider_graph(State(s): State<Arc<ApiState>>, Path(name): Path<String>) -> Response {
    if !PROVIDER_SERIES.contains(&name.as_str()) {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "unknown provider graph {name:?}; known provider graphs: {}",
                PROVIDER_SERIES.join(", ")
            ),
        );
    }
    match provider_graph_json(&s.db, &name) {
        Ok(v) => cached(60, 120, v),
        Err(e) => internal(e),
    }
}

/// `/v1/graph-data/gpuUtilization`: per UTC day, (active + pending) / total GPUs of the
/// providers' last successful probes that day, in percent; days without GPUs have no point.
pub fn gpu_utilization_json(db: &Database) -> Result<Value> {
    let points: Vec<(String, f64)> = daily_capacity(db)?
        .into_iter()
        .filter_map(|(d, _, c)| gpu_utilization_ppm(&c.gpu).map(|p| (d, f64::from(p) / 1e4)))
        .collect();
    let value = |i: Option<usize>| i.and_then(|i| points.get(i)).map(|p| p.1);
    Ok(json!({
        "currentValue": value(points.len().checked_sub(1)),
        "compareValue": value(points.len().checked_sub(2)),
        "snapshots": points.iter().map(|(d, v)| json!({"date": format!("{d}T00:00:00.000Z"),
                                                        "value": v}))
            .collect::<Vec<_>>(),
    }))
}

/// Filters of `/v1/gpu` (Akash's query parameters).
#[derive(Clone, Debug, Default)]
pub struct GpuFilter {
    pub provider: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub memory_size: Option<String>,
}

/// `/v1/gpu`: allocatable and allocated GPUs per vendor and model, from the latest successful
/// probe of each online provider (one per host URI).
pub fn gpu_json(db: &Database, f: &GpuFilter) -> Result<Value> {
    let tx = db.begin_read()?;
    let providers = tx.open_table(PROVIDERS)?;
    let current = tx.open_table(PROVIDER_CURRENT)?;
    let mut seen_hosts = std::collections::BTreeSet::new();
    type Key = (String, String, String, String);
    let mut models: std::collections::BTreeMap<Key, (u64, u64)> = Default::default();
    for e in current.iter()? {
        let (k, v) = e?;
        let st: ProbeState = decode(v.value())?;
        if !st.is_online || f.provider.as_deref().is_some_and(|p| p != k.value()) {
            continue;
        }
        let Some(p) = get_str::<ProviderRow>(&providers, k.value())? else {
            continue;
        };
        if p.host_uri.is_empty() || !seen_hosts.insert(p.host_uri) {
            continue;
        }
        for g in st.last_success.iter().flat_map(|r| r.gpus.iter()) {
            let keep = |want: &Option<String>, have: &str| {
                want.as_deref().is_none_or(|w| w.eq_ignore_ascii_case(have))
            };
            if !keep(&f.vendor, &g.vendor)
                || !keep(&f.model, &g.model)
                || !keep(&f.memory_size, &g.ram)
            {
                continue;
            }
            let e = models
                .entry((
                    g.vendor.clone(),
                    g.model.clone(),
                    g.ram.clone(),
                    g.interface.clone(),
                ))
                .or_default();
            e.0 += g.allocatable;
            e.1 += g.allocated;
        }
    }
    let mut details = serde_json::Map::new();
    let (mut allocatable, mut allocated) = (0u64, 0u64);
    for ((vendor, model, ram, interface), (a, u)) in models {
        allocatable += a;
        allocated += u;
        let list = details
            .entry(vendor)
            .or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(l) = list {
            l.push(json!({"model": model, "ram": ram, "interface": interface,
                          "allocatable": a, "allocated": u}));
        }
    }
    Ok(
        json!({"gpus": {"total": {"allocatable": allocatable, "allocated": allocated},
                       "details": details}}),
    )
}

async fn gpu(
    State(s): State<Arc<ApiState>>,
    Query(q): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    if let Some(p) = q.get("provider") {
        if let Err(r) = check_address(p) {
            return *r;
        }
    }
    let f = GpuFilter {
        provider: q.get("provider").cloned(),
        vendor: q.get("vendor").cloned(),
        model: q.get("model").cloned(),
        memory_size: q.get("memory_size").cloned(),
    };
    match gpu_json(&s.db, &f) {
        Ok(v) => cached(120, 240, v),
        Err(e) => internal(e),
    }
}
