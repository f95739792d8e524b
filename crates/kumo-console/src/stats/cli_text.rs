//! Terminal text for `kumo query stats providers|gpu|leases`: the stats server's JSON as aligned
//! columns with units (cores, GiB) and thousands separators. A figure the server sends as `null`
//! (not measured, e.g. a provider never probed) is printed as "—", never guessed.

use serde_json::{json, Value};

use crate::web::fmt;

/// What a `null` (or absent) figure prints as.
const NONE: &str = "—";

/// A number the server sent, whatever JSON type carries it (Akash writes some as strings).
fn num(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .filter(|x| x.is_finite())
}

/// A non-negative whole number (counts, bytes, millicores); `None` for null or negative.
fn whole(v: &Value) -> Option<u128> {
    num(v).filter(|x| *x >= 0.0).map(|x| x.round() as u128)
}

fn text(v: &Value) -> String {
    match v.as_str() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => NONE.into(),
    }
}

fn count(v: &Value) -> String {
    whole(v).map_or(NONE.into(), fmt::thousands)
}

fn cores(v: &Value) -> Option<String> {
    whole(v).map(fmt::cores)
}

fn bytes(v: &Value) -> Option<String> {
    whole(v).map(|n| {
        let (value, unit) = fmt::bytes(n);
        format!("{value} {unit}")
    })
}

/// A fraction (0.995) as a percentage with two decimals.
fn fraction_percent(v: &Value) -> String {
    num(v).map_or(NONE.into(), |x| format!("{} %", fmt::decimal(x * 100.0, 2)))
}

fn yes_no(v: &Value) -> String {
    match v.as_bool() {
        Some(true) => "yes".into(),
        Some(false) => "no".into(),
        None => NONE.into(),
    }
}

/// `2026-01-01T00:06:00.000Z` → `2026-01-01 00:06:00 UTC`.
fn date(v: &Value) -> String {
    match v.as_str() {
        Some(s) if s.len() >= 19 => format!("{} UTC", s[..19].replace('T', " ")),
        Some(s) if !s.is_empty() => s.to_string(),
        _ => NONE.into(),
    }
}

/// `1 provider`, `1,234 providers`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        fmt::thousands(n as u128),
        if n == 1 { one } else { many }
    )
}

/// Seconds as the two largest units: `1 d 2 h`, `3 h 5 min`, `42 s`.
fn duration(seconds: u128) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    if d > 0 {
        format!("{} d {h} h", fmt::thousands(d))
    } else if h > 0 {
        format!("{h} h {m} min")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{s} s")
    }
}

/// "in use / available" with the unit once at the end (`0.5 / 15.5 cores`), "—" for a side the
/// server does not know.
fn used_of(used: Option<String>, available: Option<String>, unit: &str) -> String {
    if used.is_none() && available.is_none() {
        return NONE.into();
    }
    let side = |s: Option<String>| s.unwrap_or_else(|| NONE.into());
    if unit.is_empty() {
        format!("{} / {}", side(used), side(available))
    } else {
        format!("{} / {} {unit}", side(used), side(available))
    }
}

/// Columns aligned on the widest cell; numeric columns right-aligned.
struct Table {
    head: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(columns: &[(&'static str, bool)]) -> Table {
        Table {
            head: columns.iter().map(|c| c.0).collect(),
            right: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.head.len());
        self.rows.push(cells);
    }

    fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.head.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(width(c));
            }
        }
        let line = |cells: Vec<&str>| {
            let mut out = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = " ".repeat(widths[i] - width(c));
                if i > 0 {
                    out.push_str("  ");
                }
                if self.right[i] {
                    out.push_str(&pad);
                    out.push_str(c);
                } else {
                    out.push_str(c);
                    if i + 1 < cells.len() {
                        out.push_str(&pad);
                    }
                }
            }
            out
        };
        let mut lines = vec![line(self.head.clone())];
        for r in &self.rows {
            lines.push(line(r.iter().map(String::as_str).collect()));
        }
        lines.join("\n")
    }
}

/// The value of attribute `key` (Akash's `[{key, value}]` list).
fn attribute<'a>(p: &'a Value, keys: &[&str]) -> Option<&'a str> {
    let attrs = p["attributes"].as_array()?;
    keys.iter().find_map(|k| {
        attrs
            .iter()
            .find(|a| a["key"].as_str() == Some(k))
            .and_then(|a| a["value"].as_str())
    })
}

/// The region a provider declares (`region`, or Akash's `location-region`).
fn region(p: &Value) -> String {
    attribute(p, &["region", "location-region"])
        .or(p["locationRegion"].as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or(NONE)
        .to_string()
}

/// `/v1/providers` as a table: one line per provider, in use vs available per resource.
pub fn providers_text(list: &Value) -> String {
    let Some(providers) = list.as_array() else {
        return "the stats server's /v1/providers answer is not a list".into();
    };
    if providers.is_empty() {
        return "no provider is registered on chain yet (as far as the index has read)".into();
    }
    let mut t = Table::new(&[
        ("PROVIDER", false),
        ("HOST", false),
        ("REGION", false),
        ("ONLINE", false),
        ("UPTIME 7D", true),
        ("LEASES", true),
        ("CPU USED/AVAIL", true),
        ("GPU USED/AVAIL", true),
        ("MEMORY USED/AVAIL", true),
        ("STORAGE USED/AVAIL", true),
    ]);
    for p in providers {
        let a = &p["activeStats"];
        // Free capacity at the last successful probe: kumo's `stats.{r}.available`, or
        // Akash's `availableStats.{r}`.
        let avail = |r: &str| {
            let v = &p["stats"][r]["available"];
            if v.is_null() {
                p["availableStats"][r].clone()
            } else {
                v.clone()
            }
        };
        let av = json!({"cpu": avail("cpu"), "gpu": avail("gpu"), "memory": avail("memory"),
                        "storage": avail("storage")});
        t.row(vec![
            text(&p["owner"]),
            text(&p["hostUri"]),
            region(p),
            yes_no(&p["isOnline"]),
            fraction_percent(&p["uptime7d"]),
            count(&p["leaseCount"]),
            used_of(cores(&a["cpu"]), cores(&av["cpu"]), "cores"),
            used_of(
                whole(&a["gpu"]).map(fmt::thousands),
                whole(&av["gpu"]).map(fmt::thousands),
                "",
            ),
            used_of(bytes(&a["memory"]), bytes(&av["memory"]), ""),
            used_of(bytes(&a["storage"]), bytes(&av["storage"]), ""),
        ]);
    }
    let online = providers
        .iter()
        .filter(|p| p["isOnline"].as_bool() == Some(true))
        .count();
    let probed = providers.iter().any(|p| !p["isOnline"].is_null());
    let mut out = t.render();
    out.push('\n');
    let n = plural(providers.len(), "provider", "providers");
    if probed {
        out.push_str(&format!(
            "{n}, {online} online. USED = leased on chain; AVAIL = free capacity at the last \
             probe; \"—\" = not known (not probed yet)."
        ));
    } else {
        out.push_str(&format!(
            "{n}; \"—\": none probed yet (or this stats server does not probe providers), so \
             online status, uptime and free capacity are unknown."
        ));
    }
    out
}

/// One resource of the detail route's `stats` object as `{active, pending, available}`;
/// storage may come split into ephemeral and persistent, which are summed.
fn quad(v: &Value) -> [Option<u128>; 3] {
    let field = |k: &str| -> Option<u128> {
        if v.get("active").is_some() {
            return whole(&v[k]);
        }
        let parts = ["ephemeral", "persistent"].map(|p| whole(&v[p][k]));
        if parts.iter().all(Option::is_none) {
            None
        } else {
            Some(parts.iter().flatten().sum())
        }
    };
    [field("active"), field("pending"), field("available")]
}

/// `/v1/providers/{address}` as text: identity, status, uptime, capacity, GPU models,
/// attributes.
pub fn provider_text(p: &Value) -> String {
    let mut out = vec![
        format!("provider:       {}", text(&p["owner"])),
        format!("host:           {}", text(&p["hostUri"])),
        format!("region:         {}", region(p)),
    ];
    let online = match (p["isOnline"].as_bool(), p["lastOnlineDate"].as_str()) {
        (None, _) => format!("{NONE} (not probed yet)"),
        (Some(o), Some(last)) if !last.is_empty() => format!(
            "{} (last online {})",
            yes_no(&Value::Bool(o)),
            date(&p["lastOnlineDate"])
        ),
        (Some(o), _) => yes_no(&Value::Bool(o)),
    };
    out.push(format!("online:         {online}"));
    if let Some(checked) = p["lastCheckDate"].as_str() {
        let error = match p["lastCheckError"].as_str() {
            Some(e) if !e.is_empty() => format!(": {e}"),
            _ => String::new(),
        };
        out.push(format!(
            "last check:     {}{error}",
            date(&Value::String(checked.into()))
        ));
    }
    out.push(format!(
        "uptime:         1 d {}, 7 d {}, 30 d {}",
        fraction_percent(&p["uptime1d"]),
        fraction_percent(&p["uptime7d"]),
        fraction_percent(&p["uptime30d"])
    ));
    out.push(format!("active leases:  {}", count(&p["leaseCount"])));
    if let Some(audited) = p["isAudited"].as_bool() {
        out.push(format!(
            "audited:        {}",
            if audited { "yes" } else { "no" }
        ));
    }
    for (label, key) in [("email:", "email"), ("website:", "website")] {
        if p[key].as_str().is_some_and(|s| !s.is_empty()) {
            out.push(format!("{label:<16}{}", text(&p[key])));
        }
    }
    out.push(String::new());
    let mut t = Table::new(&[
        ("RESOURCE", false),
        ("ACTIVE", true),
        ("PENDING", true),
        ("AVAILABLE", true),
        ("TOTAL", true),
    ]);
    type Show = fn(u128) -> String;
    let rows: [(&str, &str, Show); 4] = [
        ("CPU", "cpu", |n| format!("{} cores", fmt::cores(n))),
        ("GPU", "gpu", fmt::thousands),
        ("memory", "memory", |n| {
            let (v, u) = fmt::bytes(n);
            format!("{v} {u}")
        }),
        ("storage", "storage", |n| {
            let (v, u) = fmt::bytes(n);
            format!("{v} {u}")
        }),
    ];
    for (label, key, show) in rows {
        // The list route's `activeStats` stands in when the detail has no `stats`.
        let [active, pending, available] = if p["stats"][key].is_null() {
            [whole(&p["activeStats"][key]), None, None]
        } else {
            quad(&p["stats"][key])
        };
        let total = match (active, pending, available) {
            (Some(a), Some(p), Some(v)) => Some(a + p + v),
            _ => None,
        };
        let cell = |v: Option<u128>| v.map_or(NONE.into(), show);
        t.row(vec![
            label.into(),
            cell(active),
            cell(pending),
            cell(available),
            cell(total),
        ]);
    }
    out.push(t.render());
    if let Some(models) = p["gpuModels"].as_array().filter(|m| !m.is_empty()) {
        out.push(String::new());
        let mut t = Table::new(&[
            ("GPU VENDOR", false),
            ("MODEL", false),
            ("RAM", false),
            ("INTERFACE", false),
        ]);
        for m in models {
            t.row(vec![
                text(&m["vendor"]),
                text(&m["model"]),
                text(&m["ram"]),
                text(&m["interface"]),
            ]);
        }
        out.push(t.render());
    }
    if let Some(attrs) = p["attributes"].as_array().filter(|a| !a.is_empty()) {
        out.push(String::new());
        out.push("attributes:".into());
        for a in attrs {
            let auditors: Vec<&str> = match &a["auditedBy"] {
                Value::Array(v) => v.iter().filter_map(Value::as_str).collect(),
                Value::String(s) => vec![s.as_str()],
                _ => vec![],
            };
            let audited = if auditors.is_empty() {
                String::new()
            } else {
                format!("  (audited by {})", auditors.join(", "))
            };
            out.push(format!(
                "  {} = {}{audited}",
                text(&a["key"]),
                text(&a["value"])
            ));
        }
    }
    out.join("\n")
}

/// USD with two decimals, or "—".
fn usd(v: &Value) -> String {
    num(v).map_or(NONE.into(), |x| format!("{} USD", fmt::decimal(x, 2)))
}

/// `kumo query stats gpu`: availability from `/v1/gpu` (`None`: the server has no such route)
/// and USD per hour from `/v1/gpu-prices`.
pub fn gpu_text(gpu: Option<&Value>, prices: &Value) -> String {
    let mut out = Vec::new();
    match gpu {
        None => out.push(
            "GPU availability: this stats server has no /v1/gpu route (it does not probe \
             providers); a newer `kumo stats serve` answers it."
                .to_string(),
        ),
        Some(g) => {
            let total = &g["gpus"]["total"];
            out.push(format!(
                "GPU availability (online providers, last probe): {} allocated of {} allocatable",
                count(&total["allocated"]),
                count(&total["allocatable"])
            ));
            let mut t = Table::new(&[
                ("VENDOR", false),
                ("MODEL", false),
                ("RAM", false),
                ("INTERFACE", false),
                ("ALLOCATABLE", true),
                ("ALLOCATED", true),
                ("FREE", true),
            ]);
            if let Some(vendors) = g["gpus"]["details"].as_object() {
                for (vendor, models) in vendors {
                    for m in models.as_array().into_iter().flatten() {
                        let free = match (whole(&m["allocatable"]), whole(&m["allocated"])) {
                            (Some(a), Some(b)) => fmt::thousands(a.saturating_sub(b)),
                            _ => NONE.into(),
                        };
                        t.row(vec![
                            vendor.clone(),
                            text(&m["model"]),
                            text(&m["ram"]),
                            text(&m["interface"]),
                            count(&m["allocatable"]),
                            count(&m["allocated"]),
                            free,
                        ]);
                    }
                }
            }
            if t.rows.is_empty() {
                out.push("no GPU on any online provider".into());
            } else {
                out.push(t.render());
            }
        }
    }
    out.push(String::new());
    let models = prices["models"].as_array().cloned().unwrap_or_default();
    if models.is_empty() {
        out.push(
            "GPU prices: no bid on a single-GPU order in the last 31 days, so no price to show"
                .into(),
        );
        return out.join("\n");
    }
    out.push("GPU prices (USD per hour, bids on single-GPU orders, last 31 days):".into());
    let mut t = Table::new(&[
        ("VENDOR", false),
        ("MODEL", false),
        ("RAM", false),
        ("INTERFACE", false),
        ("MIN", true),
        ("MEDIAN", true),
        ("MAX", true),
    ]);
    let mut unpriced = false;
    for m in &models {
        let p = &m["price"];
        unpriced |= p.is_null();
        t.row(vec![
            text(&m["vendor"]),
            text(&m["model"]),
            text(&m["ram"]),
            text(&m["interface"]),
            usd(&p["min"]),
            usd(&p["med"]),
            usd(&p["max"]),
        ]);
    }
    out.push(t.render());
    if unpriced {
        out.push(
            "\"—\": no bid in a denom with a USD value (uakt needs an AKT price: start the server \
             with --akt-usd or --akt-usd-file)"
                .into(),
        );
    }
    out.join("\n")
}

/// `/v1/leases-duration/{owner}` as a table of the owner's ended leases.
pub fn leases_text(owner: &str, v: &Value) -> String {
    let leases = v["leases"].as_array().cloned().unwrap_or_default();
    if leases.is_empty() {
        return format!(
            "{owner} has no ended lease in the index (open leases are listed once they end: \
             closed, or their escrow ran dry)"
        );
    }
    let mut t = Table::new(&[
        ("DSEQ", true),
        ("GSEQ", true),
        ("OSEQ", true),
        ("PROVIDER", false),
        ("START HEIGHT", true),
        ("STARTED", false),
        ("END HEIGHT", true),
        ("ENDED", false),
        ("BLOCKS", true),
        ("DURATION", true),
    ]);
    for l in &leases {
        t.row(vec![
            l["dseq"]
                .as_str()
                .map_or_else(|| count(&l["dseq"]), String::from),
            count(&l["gseq"]),
            count(&l["oseq"]),
            text(&l["provider"]),
            count(&l["startHeight"]),
            date(&l["startDate"]),
            count(&l["closedHeight"]),
            date(&l["closedDate"]),
            count(&l["durationInBlocks"]),
            whole(&l["durationInSeconds"]).map_or(NONE.into(), duration),
        ]);
    }
    let total = whole(&v["totalDurationInSeconds"]).map_or(NONE.into(), duration);
    let n = whole(&v["leaseCount"]).unwrap_or(leases.len() as u128) as usize;
    format!(
        "{}\n{} of {owner}, {total} in all (open leases are listed once they end)",
        t.render(),
        plural(n, "ended lease", "ended leases"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_nulls_print_as_a_dash() {
        let list = json!([
            {"owner": "akash1aaa", "hostUri": "https://a.example:8443",
             "attributes": [{"key": "region", "value": "us-west"}],
             "isOnline": true, "uptime7d": 0.995, "leaseCount": 12_345,
             "activeStats": {"cpu": 1500, "gpu": 1, "memory": 1u64 << 31, "storage": 0},
             "stats": {"cpu": {"active": 1500, "pending": 0, "available": 64000},
                       "gpu": {"active": 1, "pending": 0, "available": 7},
                       "memory": {"active": 1u64 << 31, "pending": 0, "available": 1u64 << 36},
                       "storage": {"active": 0, "pending": 0, "available": 1u64 << 40}}},
            {"owner": "akash1bbbbbb", "hostUri": "https://b.example:8443", "attributes": [],
             "isOnline": null, "uptime7d": null, "leaseCount": 0,
             "activeStats": {"cpu": 0, "gpu": 0, "memory": 0, "storage": 0}},
        ]);
        let out = providers_text(&list);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(lines[1].contains("us-west"), "{out}");
        assert!(lines[1].contains("99.50 %"), "{out}");
        assert!(lines[1].contains("12,345"), "{out}");
        assert!(lines[1].contains("1.5 / 64 cores"), "{out}");
        assert!(lines[1].contains("2.0 GiB / 64.0 GiB"), "{out}");
        assert!(lines[1].contains("0 B / 1.0 TiB"), "{out}");
        assert!(lines[2].contains("0 / — cores"), "{out}");
        // Right-aligned columns end at the same place on every line.
        // Character (not byte) positions: "—" is three bytes wide in UTF-8.
        let end = |l: &str, s: &str| l.find(s).map(|i| l[..i].chars().count() + s.len());
        assert_eq!(end(lines[0], "LEASES"), end(lines[1], "12,345"), "{out}");
        assert_eq!(end(lines[0], "LEASES"), end(lines[2], " 0"), "{out}");
        assert!(lines[3].starts_with("2 providers, 1 online"), "{out}");
    }

    #[test]
    fn durations_use_the_two_largest_units() {
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(185), "3 min 5 s");
        assert_eq!(duration(3 * 3600 + 5 * 60), "3 h 5 min");
        assert_eq!(duration(2 * 86_400 + 3 * 3600 + 1), "2 d 3 h");
    }

    #[test]
    fn gpu_without_route_and_without_price() {
        let prices = json!({"models": [{"vendor": "nvidia", "model": "a100", "ram": "80Gi",
                                        "interface": "pcie", "price": null}]});
        let out = gpu_text(None, &prices);
        assert!(out.contains("no /v1/gpu route"), "{out}");
        assert!(out.contains("a100"), "{out}");
        assert!(out.contains("--akt-usd"), "{out}");
        let gpu = json!({"gpus": {"total": {"allocatable": 8, "allocated": 3},
            "details": {"nvidia": [{"model": "a100", "ram": "80Gi", "interface": "pcie",
                                    "allocatable": 8, "allocated": 3}]}}});
        let prices = json!({"models": [{"vendor": "nvidia", "model": "a100", "ram": "80Gi",
            "interface": "pcie", "price": {"min": 1.2, "med": 1.5, "max": 2.25}}]});
        let out = gpu_text(Some(&gpu), &prices);
        assert!(out.contains("3 allocated of 8 allocatable"), "{out}");
        assert!(
            out.contains("1.20 USD") && out.contains("2.25 USD"),
            "{out}"
        );
        assert!(!out.contains("--akt-usd"), "{out}");
    }
}
