//! `/providers`: every provider registered on chain with its attributes and audit signatures
//! (from the chain, always), and its uptime, online state, leases and capacity from the
//! statistics server's `/v1/providers` when that server answers ("—" otherwise, saying why).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_client::RpcClient;
use kumo_proto::akash::audit::v1 as audit;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use serde_json::Value;

use crate::stats::client::get_json;
use crate::web::fmt;

/// Providers whose capacity is asked one by one from the stats server (its list route has no
/// capacity); beyond this the column says so.
const CAPACITY_LOOKUPS: usize = 50;

/// One row of the providers table.
#[derive(Clone, Debug)]
pub struct ProviderRow {
    pub owner: String,
    pub host_uri: String,
    /// `(key, value)` in the order the provider published them.
    pub attributes: Vec<(String, String)>,
    /// Auditors that signed some of its attributes.
    pub auditors: Vec<String>,
    /// From the stats server: None when unknown.
    pub online: Option<bool>,
    pub uptime_7d: Option<String>,
    pub uptime_good: bool,
    pub active_leases: Option<u64>,
    /// `available / total` per resource, when the stats server has probed it.
    pub capacity: Option<Capacity>,
    /// The statistics page of this provider.
    pub stats_link: String,
}

impl ProviderRow {
    /// The `region` attribute, if published.
    pub fn region(&self) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == "region" || k == "location-region")
            .map(|(_, v)| v.as_str())
    }
}

/// Free and total capacity with units, as the stats server's last probe saw it.
#[derive(Clone, Debug)]
pub struct Capacity {
    pub cpu: String,
    pub gpu: String,
    pub memory: String,
    pub storage: String,
}

/// Everything the page shows.
#[derive(Clone, Debug)]
pub struct ProvidersView {
    pub rows: Vec<ProviderRow>,
    /// Why uptime and capacity are missing, in words (None when the stats server answered).
    pub stats_note: Option<String>,
}

/// Reads the chain (providers, audits) and, if it answers, the stats server (blocking).
pub fn load(chain: &RpcClient, stats_url: &str) -> Result<ProvidersView> {
    let r: pv1b4::QueryProvidersResponse = chain
        .query_proto(
            "/akash.provider.v1beta4.Query/Providers",
            &pv1b4::QueryProvidersRequest {
                pagination: Some(PageRequest {
                    limit: 10_000,
                    ..Default::default()
                }),
            },
        )
        .context("the node did not list the providers")?;
    let audited: audit::QueryProvidersResponse = chain
        .query_proto(
            "/akash.audit.v1.Query/AllProvidersAttributes",
            &audit::QueryAllProvidersAttributesRequest {
                pagination: Some(PageRequest {
                    limit: 10_000,
                    ..Default::default()
                }),
            },
        )
        .context("the node did not list the audited providers")?;
    let mut auditors: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in audited.providers {
        auditors.entry(a.owner).or_default().insert(a.auditor);
    }

    let (stats, stats_note) = match get_json(stats_url, "/v1/providers") {
        Ok(Value::Array(list)) => {
            let by_owner: BTreeMap<String, Value> = list
                .into_iter()
                .filter_map(|p| Some((p["owner"].as_str()?.to_string(), p)))
                .collect();
            (Some(by_owner), None)
        }
        Ok(_) => (
            None,
            Some(format!(
                "the statistics server at {stats_url} answered /v1/providers with something \
                 other than a list; uptime and capacity show —"
            )),
        ),
        Err(e) => (
            None,
            Some(format!(
                "the statistics server at {stats_url} is not answering ({}); uptime, leases \
                 and capacity show — until it runs (`kumo stats serve`)",
                e.root_cause()
            )),
        ),
    };

    let mut rows = Vec::new();
    for (i, p) in r.providers.into_iter().enumerate() {
        let s = stats.as_ref().and_then(|m| m.get(&p.owner));
        let uptime = s.and_then(|s| s["uptime7d"].as_f64());
        let capacity = if stats.is_some() && i < CAPACITY_LOOKUPS {
            get_json(stats_url, &format!("/v1/providers/{}", p.owner))
                .ok()
                .and_then(|d| capacity_of(&d["stats"]))
        } else {
            None
        };
        rows.push(ProviderRow {
            stats_link: format!("{stats_url}/providers/{}", p.owner),
            auditors: auditors
                .get(&p.owner)
                .map(|a| a.iter().cloned().collect())
                .unwrap_or_default(),
            attributes: p
                .attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect(),
            online: s.and_then(|s| s["isOnline"].as_bool()),
            uptime_7d: uptime.map(|u| format!("{} %", fmt::decimal(u * 100.0, 1))),
            uptime_good: uptime.is_some_and(|u| u > 0.95),
            active_leases: s.and_then(|s| s["leaseCount"].as_u64()),
            capacity,
            owner: p.owner,
            host_uri: p.host_uri,
        });
    }
    rows.sort_by(|a, b| a.owner.cmp(&b.owner));
    Ok(ProvidersView { rows, stats_note })
}

/// `stats{cpu,gpu,memory,storage}` of `/v1/providers/{address}`, each `{active, pending,
/// available}` (CPU in thousandths of a core, memory and storage in bytes), as "free / total".
pub fn capacity_of(stats: &Value) -> Option<Capacity> {
    let part = |name: &str| -> Option<(u128, u128)> {
        let v = &stats[name];
        let n = |k: &str| v[k].as_f64().map(|x| x.max(0.0) as u128);
        let available = n("available")?;
        let total = available + n("active").unwrap_or(0) + n("pending").unwrap_or(0);
        Some((available, total))
    };
    let (cpu_free, cpu_total) = part("cpu")?;
    let gpu = part("gpu").unwrap_or((0, 0));
    let bytes = |(free, total): (u128, u128)| {
        let (f, fu) = fmt::bytes(free);
        let (t, tu) = fmt::bytes(total);
        format!("{f} {fu} / {t} {tu}")
    };
    Some(Capacity {
        cpu: format!("{} / {} CPU", fmt::cores(cpu_free), fmt::cores(cpu_total)),
        gpu: format!("{} / {} GPU", gpu.0, gpu.1),
        memory: bytes(part("memory")?),
        storage: part("storage").map_or_else(|| "—".into(), bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capacity_from_the_stats_shape() {
        let c = capacity_of(&json!({
            "cpu": {"active": 1500, "pending": 500, "available": 2000},
            "gpu": {"active": 1, "pending": 0, "available": 1},
            "memory": {"active": 1u64 << 30, "pending": 0, "available": 3u64 << 30},
            "storage": {"active": 0, "pending": 0, "available": 10u64 << 30},
        }))
        .unwrap();
        assert_eq!(c.cpu, "2 / 4 CPU");
        assert_eq!(c.gpu, "1 / 2 GPU");
        assert_eq!(c.memory, "3.0 GiB / 4.0 GiB");
        assert_eq!(c.storage, "10.0 GiB / 10.0 GiB");
        // Never probed: no figure rather than zeros.
        assert!(capacity_of(&Value::Null).is_none());
    }
}
