//! Pure functions from rows to figures (spec console-stats.md §2.2). Stored figures are
//! integers; the `f64`s here exist only to write JSON numbers for display, as Akash's API does.

use std::collections::BTreeMap;

use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use serde_json::{json, Value};

use super::tables::{BlockRow, GpuModel, Resources};

/// 10¹⁸: one in 18-decimal fixed point.
pub const DEC_ONE: u128 = 1_000_000_000_000_000_000;
/// Seconds in the dashboard's comparison window.
pub const DAY_SECONDS: i64 = 86_400;

/// The 15 per-block series Akash serves under `/v1/graph-data/{name}`.
pub const BLOCK_SERIES: [&str; 15] = [
    "dailyUAktSpent",
    "dailyUActSpent",
    "dailyUUsdcSpent",
    "dailyUUsdSpent",
    "dailyLeaseCount",
    "totalUAktSpent",
    "totalUActSpent",
    "totalUUsdcSpent",
    "totalUUsdSpent",
    "activeLeaseCount",
    "totalLeaseCount",
    "activeCPU",
    "activeGPU",
    "activeMemory",
    "activeStorage",
];

/// The graph computed from provider probes rather than block rows.
pub const GPU_UTILIZATION: &str = "gpuUtilization";

/// Akash series that need parts this slice has not built (BME).
pub const UNBUILT_SERIES: [&str; 13] = [
    "dailyAktBurnedForAct",
    "totalAktBurnedForAct",
    "dailyActMinted",
    "totalActMinted",
    "dailyActBurnedForAkt",
    "totalActBurnedForAkt",
    "dailyAktReminted",
    "totalAktReminted",
    "netAktBurned",
    "dailyNetAktBurned",
    "outstandingAct",
    "vaultAkt",
    "collateralRatio",
];

/// Atomics as a display number.
pub fn dec_f64(atomics: u128) -> f64 {
    (atomics / DEC_ONE) as f64 + (atomics % DEC_ONE) as f64 / DEC_ONE as f64
}

/// Parses a `ResourceValue.val` (a decimal integer as bytes; empty is zero).
pub fn resource_units(val: &[u8]) -> u128 {
    std::str::from_utf8(val)
        .ok()
        .and_then(|s| s.trim().parse::<u128>().ok())
        .unwrap_or(0)
}

/// What a lease of this group uses: Σ over its resource units of units × count.
pub fn group_resources(spec: &GroupSpec) -> Resources {
    let mut r = Resources::default();
    for unit in &spec.resources {
        let Some(res) = &unit.resource else { continue };
        let count = u128::from(unit.count);
        let val = |v: &Option<kumo_proto::akash::base::resources::v1beta4::ResourceValue>| {
            v.as_ref().map_or(0, |v| resource_units(&v.val))
        };
        r.cpu += count * res.cpu.as_ref().map_or(0, |c| val(&c.units));
        r.gpu += count * res.gpu.as_ref().map_or(0, |g| val(&g.units));
        r.memory += count * res.memory.as_ref().map_or(0, |m| val(&m.quantity));
        r.storage += count * res.storage.iter().map(|s| val(&s.quantity)).sum::<u128>();
    }
    r
}

/// GPU models a group accepts, from attribute keys `vendor/<v>/model/<m>[/ram/<r>][/interface/<i>]`.
pub fn group_gpu_models(spec: &GroupSpec) -> Vec<GpuModel> {
    let mut out = Vec::new();
    for unit in &spec.resources {
        let Some(gpu) = unit.resource.as_ref().and_then(|r| r.gpu.as_ref()) else {
            continue;
        };
        for a in &gpu.attributes {
            let parts: Vec<&str> = a.key.split('/').collect();
            let mut m = GpuModel::default();
            for pair in parts.chunks(2) {
                if let [k, v] = pair {
                    match *k {
                        "vendor" => m.vendor = v.to_string(),
                        "model" => m.model = v.to_string(),
                        "ram" => m.ram = v.to_string(),
                        "interface" => m.interface = v.to_string(),
                        _ => {}
                    }
                }
            }
            if !m.vendor.is_empty() && !m.model.is_empty() && !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out.sort();
    out
}

/// Akash's `predictedClosedHeight` = settled height + funds / Σ rates: an account holding
/// `funds` atomics after settling at `settled_at` pays `rate` per block for `funds / rate`
/// more blocks, so its leases count as active at heights below this one (each counted block
/// is one that was paid for). `None` when nothing draws on it.
pub fn predicted_closed_height(settled_at: u64, funds: u128, rate: u128) -> Option<u64> {
    if rate == 0 {
        return None;
    }
    let blocks = u64::try_from(funds / rate).unwrap_or(u64::MAX);
    Some(settled_at.saturating_add(blocks))
}

/// Staking APR = inflation × (1 − community tax) × supply / bonded, in atomics; `None` with
/// nothing bonded.
pub fn staking_apr(
    inflation: u128,
    community_tax: u128,
    supply: u128,
    bonded: u128,
) -> Option<u128> {
    if bonded == 0 {
        return None;
    }
    let after_tax = inflation.checked_mul(DEC_ONE.saturating_sub(community_tax))? / DEC_ONE;
    after_tax.checked_mul(supply).map(|v| v / bonded)
}

/// Bonded / supply in atomics.
pub fn bonded_ratio(bonded: u128, supply: u128) -> Option<u128> {
    if supply == 0 {
        return None;
    }
    bonded.checked_mul(DEC_ONE).map(|v| v / supply)
}

fn spent(row: &BlockRow, denom: &str) -> u128 {
    row.totals.spent.get(denom).copied().unwrap_or(0)
}

/// Micro-USD spent up to `row`: uakt × price + uact + uusdc (both stable, 1:1). `None` without
/// a price: USD is never guessed.
pub fn usd_spent(row: &BlockRow, akt_usd: Option<u128>) -> Option<f64> {
    let price = akt_usd?;
    Some(
        dec_f64(spent(row, "uakt")) * dec_f64(price)
            + dec_f64(spent(row, "uact"))
            + dec_f64(spent(row, "uusdc")),
    )
}

/// One series value at one block (`None` for USD without a price). `daily*` names use the
/// matching total; [`series_value`] takes their differences.
fn total_value(name: &str, row: &BlockRow, akt_usd: Option<u128>) -> Option<f64> {
    let t = &row.totals;
    Some(
        match name.trim_start_matches("daily").trim_start_matches("total") {
            "UAktSpent" => dec_f64(spent(row, "uakt")),
            "UActSpent" => dec_f64(spent(row, "uact")),
            "UUsdcSpent" => dec_f64(spent(row, "uusdc")),
            "UUsdSpent" => return usd_spent(row, akt_usd),
            "LeaseCount" => t.total_leases as f64,
            _ => match name {
                "activeLeaseCount" => t.active_leases as f64,
                "activeCPU" => t.resources.cpu as f64,
                "activeGPU" => t.resources.gpu as f64,
                "activeMemory" => t.resources.memory as f64,
                "activeStorage" => t.resources.storage as f64,
                _ => return None,
            },
        },
    )
}

/// A series' value at `row`; for `daily*` series, the change since `base` (0 before any block).
pub fn series_value(
    name: &str,
    row: &BlockRow,
    base: Option<&BlockRow>,
    akt_usd: Option<u128>,
) -> Option<f64> {
    let now = total_value(name, row, akt_usd)?;
    if !name.starts_with("daily") {
        return Some(now);
    }
    let before = match base {
        Some(b) => total_value(name, b, akt_usd)?,
        None => 0.0,
    };
    Some(now - before)
}

/// `YYYY-MM-DD` of a Unix second (UTC).
pub fn utc_date(seconds: i64) -> String {
    kumo_proto::time::utc_date(seconds)
}

/// The JS `Date.toISOString()` form Akash's API writes: `2026-01-01T00:00:00.000Z`.
pub fn iso_time(seconds: i64) -> String {
    kumo_proto::time::rfc3339(seconds, 0, kumo_proto::time::Fraction::Millis)
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(x))
}

/// Akash's `now` / `compare` object: totals at `row`, `daily*` = totals at `row` − totals at
/// `base` (the block 24 h earlier).
pub fn period_json(row: &BlockRow, base: Option<&BlockRow>, akt_usd: Option<u128>) -> Value {
    let mut o = serde_json::Map::new();
    o.insert("date".into(), json!(iso_time(row.seconds)));
    o.insert("height".into(), json!(row.height));
    for name in [
        "activeLeaseCount",
        "totalLeaseCount",
        "dailyLeaseCount",
        "totalUAktSpent",
        "dailyUAktSpent",
        "totalUActSpent",
        "dailyUActSpent",
        "totalUUsdcSpent",
        "dailyUUsdcSpent",
        "totalUUsdSpent",
        "dailyUUsdSpent",
        "activeCPU",
        "activeGPU",
        "activeMemory",
        "activeStorage",
    ] {
        o.insert(name.into(), opt(series_value(name, row, base, akt_usd)));
    }
    Value::Object(o)
}

/// Akash's `chainStats` from the latest block row.
pub fn chain_stats_json(row: &BlockRow) -> Value {
    let c = &row.chain;
    json!({
        "height": row.height,
        "transactionCount": row.totals.tx_count,
        "bondedTokens": c.bonded as f64,
        "totalSupply": c.supply as f64,
        "communityPool": dec_f64(c.community_pool),
        "inflation": dec_f64(c.inflation),
        "stakingAPR": staking_apr(c.inflation, c.community_tax, c.supply, c.bonded).map(dec_f64),
    })
}

/// Min, max, mean and median of a list of prices (`None` when empty).
pub fn price_stats(prices: &[f64]) -> Option<Value> {
    if prices.is_empty() {
        return None;
    }
    let mut p = prices.to_vec();
    p.sort_by(|a, b| a.total_cmp(b));
    let n = p.len();
    let med = if n % 2 == 1 {
        p[n / 2]
    } else {
        (p[n / 2 - 1] + p[n / 2]) / 2.0
    };
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Some(json!({
        "currency": "USD",
        "min": round(p[0]),
        "max": round(p[n - 1]),
        "avg": round(p.iter().sum::<f64>() / n as f64),
        "med": round(med),
        // Akash weights by each provider's available GPUs, which needs provider probes.
        "weightedAverage": null,
    }))
}

/// USD per hour for a per-block price of `atomics` of `denom`; `None` when the denom has no
/// USD value (uakt without a configured price, or an unknown denom).
pub fn usd_per_hour(
    denom: &str,
    atomics: u128,
    blocks_per_year: u64,
    akt_usd: Option<u128>,
) -> Option<f64> {
    let usd_per_unit = match denom {
        "uakt" => dec_f64(akt_usd?) / 1e6,
        "uact" | "uusdc" => 1e-6,
        _ => return None,
    };
    // 365.25 days of 24 hours, as the mint module's blocks_per_year counts a year.
    let blocks_per_hour = blocks_per_year as f64 / 8766.0;
    Some(dec_f64(atomics) * blocks_per_hour * usd_per_unit)
}

/// Groups of bid prices per GPU model, in model order.
pub type PricesByModel = BTreeMap<GpuModel, Vec<f64>>;

// ---------------------------------------------------------------- provider probes (spec §3)

pub const MINUTE_SECONDS: i64 = 60;
pub const HOUR_SECONDS: i64 = 3_600;
/// Capacity counts a provider whose last successful probe is younger than this (180 min).
pub const CAPACITY_GRACE_SECONDS: i64 = 180 * MINUTE_SECONDS;
/// Probes older than this are deleted.
pub const PROBE_RETENTION_SECONDS: i64 = 31 * DAY_SECONDS;
/// Width of one bucket of the 24 h uptime strip, and the number of buckets.
pub const STRIP_BUCKET_SECONDS: i64 = 15 * MINUTE_SECONDS;
pub const STRIP_BUCKETS: usize = 96;
/// Uptime is stored in parts per million.
pub const PPM: u32 = 1_000_000;

/// Seconds until a provider is probed again, on Akash's schedule: an online provider every
/// 15 min; an offline one after 1 min while it has been offline under 30 min, then 5 min
/// (< 6 h), 15 min (< 24 h), 30 min (< 7 d), 1 h (< 30 d), then once a day.
pub fn next_probe_delay(online: bool, offline_for: i64) -> i64 {
    if online {
        return 15 * MINUTE_SECONDS;
    }
    match offline_for {
        d if d < 30 * MINUTE_SECONDS => MINUTE_SECONDS,
        d if d < 6 * HOUR_SECONDS => 5 * MINUTE_SECONDS,
        d if d < DAY_SECONDS => 15 * MINUTE_SECONDS,
        d if d < 7 * DAY_SECONDS => 30 * MINUTE_SECONDS,
        d if d < 30 * DAY_SECONDS => HOUR_SECONDS,
        _ => DAY_SECONDS,
    }
}

/// Offline seconds in the window `[now - window, now]` as Akash's uptime tracker counts them:
/// Σ (next probe − this probe) over the offline probes inside the window, the "next probe"
/// being the next one inside the window too. So an offline period still in progress (an
/// offline probe with no later one) counts nothing until the next probe, and a provider never
/// probed has no offline time. `probes` are (unix seconds, online), in any order.
pub fn offline_seconds(probes: &[(i64, bool)], now: i64, window: i64) -> i64 {
    let mut inside: Vec<(i64, bool)> = probes
        .iter()
        .copied()
        .filter(|(t, _)| *t >= now - window && *t <= now)
        .collect();
    inside.sort_by_key(|p| p.0);
    inside
        .windows(2)
        .filter(|w| !w[0].1)
        .map(|w| w[1].0 - w[0].0)
        .sum()
}

/// Uptime = max(0, 1 − offline / window), in parts per million (rounded down).
pub fn uptime_ppm(probes: &[(i64, bool)], now: i64, window: i64) -> u32 {
    if window <= 0 {
        return PPM;
    }
    let up = (window - offline_seconds(probes, now, window)).max(0) as i128;
    (up * i128::from(PPM) / i128::from(window)) as u32
}

/// One bucket of the 24 h uptime strip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Online,
    Offline,
    /// Online for part of the bucket and offline for another part.
    Partial,
    /// No probe at or before the bucket's end.
    Unknown,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Online => "online",
            Bucket::Offline => "offline",
            Bucket::Partial => "partial",
            Bucket::Unknown => "unknown",
        }
    }
}

/// The 96 quarter-hour buckets of the last 24 h, oldest first, as (bucket start, state). The
/// last bucket is the quarter hour that holds `now`. A probe's result holds from its time until
/// the next probe (or `now`); a bucket is online or offline when every result that holds during
/// it says so, partial when they differ, unknown before the first probe.
pub fn uptime_strip(probes: &[(i64, bool)], now: i64) -> Vec<(i64, Bucket)> {
    let mut sorted = probes.to_vec();
    sorted.sort_by_key(|p| p.0);
    let end = now.div_euclid(STRIP_BUCKET_SECONDS) * STRIP_BUCKET_SECONDS + STRIP_BUCKET_SECONDS;
    let first = end - STRIP_BUCKETS as i64 * STRIP_BUCKET_SECONDS;
    (0..STRIP_BUCKETS as i64)
        .map(|i| {
            let (start, stop) = (
                first + i * STRIP_BUCKET_SECONDS,
                first + (i + 1) * STRIP_BUCKET_SECONDS,
            );
            // Results holding during [start, min(stop, now)]: the last probe at or before start,
            // and every probe inside.
            let until = stop.min(now + 1);
            let mut seen = (false, false);
            if let Some(p) = sorted.iter().rev().find(|p| p.0 <= start) {
                if p.0 <= now {
                    if p.1 {
                        seen.0 = true
                    } else {
                        seen.1 = true
                    }
                }
            }
            for p in sorted.iter().filter(|p| p.0 > start && p.0 < until) {
                if p.1 {
                    seen.0 = true
                } else {
                    seen.1 = true
                }
            }
            let b = match seen {
                (true, true) => Bucket::Partial,
                (true, false) => Bucket::Online,
                (false, true) => Bucket::Offline,
                (false, false) => Bucket::Unknown,
            };
            (start, b)
        })
        .collect()
}

/// GPU utilization in parts per million: (active + pending) / (active + pending + available);
/// `None` without GPUs.
pub fn gpu_utilization_ppm(gpu: &super::tables::Quad) -> Option<u32> {
    let total = gpu.total();
    (total > 0).then(|| ((gpu.active + gpu.pending) * u128::from(PPM) / total) as u32)
}
