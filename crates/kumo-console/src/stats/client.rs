//! Asking a stats server (`kumo stats serve`) for its figures, and writing them for a terminal.

use std::time::Duration;

use anyhow::{anyhow, Result};
use serde_json::Value;

/// Default stats server address.
pub const DEFAULT_STATS: &str = "http://127.0.0.1:3080";

/// A stats server's non-2xx answer (its JSON `{"error", "message"}` body in words); callers
/// that treat a status specially (a 404 from an older server) find it with `downcast_ref`.
#[derive(Debug)]
pub struct ServerError {
    pub url: String,
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the stats server answered {} to {}: {}",
            self.status, self.url, self.message
        )
    }
}

impl std::error::Error for ServerError {}

/// The HTTP status of a [`ServerError`] inside `e`, if that is what it is.
pub fn server_status(e: &anyhow::Error) -> Option<u16> {
    e.downcast_ref::<ServerError>().map(|s| s.status)
}

/// GETs `path` from the stats server at `base` and returns the JSON body; an error body becomes
/// a [`ServerError`] carrying its message.
pub fn get_json(base: &str, path: &str) -> Result<Value> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout_read(Duration::from_secs(30))
        .build();
    match agent.get(&url).call() {
        Ok(r) => r
            .into_json()
            .map_err(|e| anyhow!("{url} did not answer JSON: {e}")),
        Err(ureq::Error::Status(code, r)) => {
            let body: Value = r.into_json().unwrap_or(Value::Null);
            let message = body["message"]
                .as_str()
                .or(body["error"].as_str())
                .unwrap_or("no message")
                .to_string();
            Err(ServerError {
                url,
                status: code,
                message,
            }
            .into())
        }
        Err(e) => Err(anyhow!(
            "cannot reach the stats server at {base} ({e}); start one with `kumo stats serve` \
             or point --stats at it"
        )),
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// `1234567` → `1,234,567`.
fn grouped(n: f64) -> String {
    let s = format!("{:.0}", n.trunc());
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// Micro units as whole units with 6 decimals (`uakt` → AKT).
fn micro(v: &Value, unit: &str) -> String {
    match num(v) {
        Some(x) => format!("{:.6} {unit}", x / 1e6),
        None => "n/a".into(),
    }
}

fn change(now: &Value, compare: &Value) -> String {
    match (num(now), num(compare)) {
        (Some(a), Some(b)) if b != 0.0 => {
            format!(" ({:+.2} % vs 24 h earlier)", (a - b) / b * 100.0)
        }
        (Some(a), Some(b)) => format!(" ({:+} vs 24 h earlier)", a - b),
        _ => String::new(),
    }
}

/// A count (leases, GPUs): a whole number, whatever number type the JSON carries.
fn count(v: &Value) -> String {
    num(v).map_or("n/a".into(), |x| grouped(x.round()))
}

fn gib(v: &Value) -> String {
    num(v).map_or("n/a".into(), |x| {
        format!("{:.3} GiB", x / (1u64 << 30) as f64)
    })
}

fn percent(v: &Value) -> String {
    num(v).map_or("n/a".into(), |x| format!("{:.2} %", x * 100.0))
}

/// The dashboard as text with units.
pub fn dashboard_text(d: &Value) -> String {
    let now = &d["now"];
    let cmp = &d["compare"];
    let chain = &d["chainStats"];
    let bonded_pct = match (num(&chain["bondedTokens"]), num(&chain["totalSupply"])) {
        (Some(b), Some(s)) if s > 0.0 => format!(" ({:.2} % of supply)", b / s * 100.0),
        _ => String::new(),
    };
    let usd = |v: &Value| match num(v) {
        Some(x) => format!("{:.2} USD", x / 1e6),
        None => "n/a (no AKT price configured)".into(),
    };
    let lines = [
        format!("height:               {}", chain["height"]),
        format!(
            "transactions:         {}",
            grouped(num(&chain["transactionCount"]).unwrap_or(0.0))
        ),
        format!(
            "active leases:        {}{}",
            count(&now["activeLeaseCount"]),
            change(&now["activeLeaseCount"], &cmp["activeLeaseCount"])
        ),
        format!(
            "total leases:         {} ({} new in 24 h)",
            count(&now["totalLeaseCount"]),
            count(&now["dailyLeaseCount"])
        ),
        format!(
            "CPU leased:           {:.3} CPU",
            num(&now["activeCPU"]).unwrap_or(0.0) / 1000.0
        ),
        format!("GPU leased:           {}", count(&now["activeGPU"])),
        format!("memory leased:        {}", gib(&now["activeMemory"])),
        format!("storage leased:       {}", gib(&now["activeStorage"])),
        format!(
            "AKT spent:            {} total, {} in 24 h",
            micro(&now["totalUAktSpent"], "AKT"),
            micro(&now["dailyUAktSpent"], "AKT")
        ),
        format!(
            "ACT spent:            {} total, {} in 24 h",
            micro(&now["totalUActSpent"], "ACT"),
            micro(&now["dailyUActSpent"], "ACT")
        ),
        format!(
            "USD spent:            {} total, {} in 24 h",
            usd(&now["totalUUsdSpent"]),
            usd(&now["dailyUUsdSpent"])
        ),
        format!(
            "bonded:               {}{bonded_pct}",
            micro(&chain["bondedTokens"], "AKT")
        ),
        format!(
            "total supply:         {}",
            micro(&chain["totalSupply"], "AKT")
        ),
        format!(
            "community pool:       {}",
            micro(&chain["communityPool"], "AKT")
        ),
        format!("inflation:            {}", percent(&chain["inflation"])),
        format!("staking APR:          {}", percent(&chain["stakingAPR"])),
        format!(
            "providers:            {} registered (online status not probed yet)",
            d["networkCapacity"]["registeredProviderCount"]
        ),
    ];
    lines.join("\n")
}
