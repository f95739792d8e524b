//! Bid pricing (`../shared/spec/akash-offchain.md` §2.6): the `scale` strategy (plus a price
//! per GPU by model) and the script hook (JSON on stdin, one decimal on stdout).
//!
//! Prices are per block in the order's denom, exact 18-decimal fixed point (no floats).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::market::v1beta5::ResourceOffer;
use kumo_proto::math::Dec;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::Decline;
use crate::config::{PriceStrategy, PricingConfig};
use crate::inventory::Allocated;

const MIB: u128 = 1 << 20;

pub enum Pricing {
    Scale(ScalePricing),
    Script(ScriptPricing),
}

impl Pricing {
    pub fn from_config(c: &PricingConfig) -> Pricing {
        match c.strategy {
            PriceStrategy::Scale => Pricing::Scale(ScalePricing {
                cpu: c.scale.cpu,
                memory: c.scale.memory,
                storage: c.scale.storage.clone(),
                endpoint: c.scale.endpoint,
                ip: c.scale.ip,
                gpu: c.scale.gpu.clone(),
            }),
            PriceStrategy::Script => Pricing::Script(ScriptPricing::new(
                c.script.path.clone(),
                c.script.timeout,
                c.script.process_limit,
            )),
        }
    }
}

/// `price = cpu·Σ millicpu×count + memory·Σ MiB×count + Σ_class storage[class]·Σ MiB×count
///        + endpoint·Σ endpoints + ip·#leased IPs + Σ gpu[model]·units×count`.
#[derive(Clone, Debug, Default)]
pub struct ScalePricing {
    pub cpu: Dec,
    pub memory: Dec,
    pub storage: BTreeMap<String, Dec>,
    pub endpoint: Dec,
    pub ip: Dec,
    pub gpu: BTreeMap<String, Dec>,
}

/// `scale × n / div` in atomics, checked.
fn term(scale: Dec, n: u128, div: u128) -> Result<u128, Decline> {
    scale
        .atomics()
        .checked_mul(n)
        .map(|v| v / div)
        .ok_or(Decline::PriceOverflow)
}

impl ScalePricing {
    pub fn price(&self, units: &[Allocated]) -> Result<Dec, Decline> {
        let mut cpu: u128 = 0;
        let mut mem: u128 = 0;
        let mut storage: BTreeMap<&str, u128> = BTreeMap::new();
        let mut endpoints: u128 = 0;
        let mut ips = std::collections::BTreeSet::new();
        let mut gpu_total: u128 = 0;
        let add = |a: u128, b: u128| a.checked_add(b).ok_or(Decline::PriceOverflow);
        for a in units {
            let u = &a.unit;
            let n = u128::from(u.count);
            cpu = add(cpu, u128::from(u.cpu_milli) * n)?;
            mem = add(mem, u128::from(u.memory) * n)?;
            for v in &u.volumes {
                let class = if v.persistent {
                    v.class.as_str()
                } else {
                    "ephemeral"
                };
                let e = storage.entry(class).or_default();
                *e = add(*e, u128::from(v.size) * n)?;
            }
            endpoints += u.endpoints as u128;
            ips.extend(u.leased_ips.iter().copied());
            if let Some(pool) = &a.gpu {
                let scale = self
                    .gpu
                    .get(&pool.model)
                    .or_else(|| self.gpu.get("*"))
                    .ok_or_else(|| Decline::NoGpuPrice {
                        model: pool.model.clone(),
                    })?;
                gpu_total = add(gpu_total, term(*scale, u128::from(u.gpu_units) * n, 1)?)?;
            }
        }
        let mut total = term(self.cpu, cpu, 1)?;
        total = add(total, term(self.memory, mem, MIB)?)?;
        for (class, bytes) in storage {
            let scale = self
                .storage
                .get(class)
                .ok_or_else(|| Decline::NoStoragePrice {
                    class: class.to_string(),
                })?;
            total = add(total, term(*scale, bytes, MIB)?)?;
        }
        total = add(total, term(self.endpoint, endpoints, 1)?)?;
        total = add(total, term(self.ip, ips.len() as u128, 1)?)?;
        total = add(total, gpu_total)?;
        if total == 0 {
            return Err(Decline::ZeroPrice);
        }
        Ok(Dec::from_atomics(total))
    }
}

/// The resources offered in the bid for one allocated unit (GPU model made concrete).
pub fn offer(a: &Allocated) -> ResourceOffer {
    let mut resources = a.unit.resources.clone();
    if let (Some(key), Some(gpu)) = (&a.gpu_key, resources.gpu.as_mut()) {
        gpu.attributes = vec![Attribute {
            key: key.clone(),
            value: "true".into(),
        }];
    }
    ResourceOffer {
        resources: Some(resources),
        count: a.unit.count,
        prices: None,
    }
}

/// The script's stdin (§2.6, current format).
pub fn script_input(units: &[Allocated], denom: &str, max: Dec) -> String {
    let resources: Vec<_> = units
        .iter()
        .map(|a| {
            let u = &a.unit;
            let mut vendor = serde_json::Map::new();
            if let Some(p) = &a.gpu {
                let mut m = serde_json::Map::new();
                m.insert("model".into(), json!(p.model));
                if !p.ram.is_empty() {
                    m.insert("ram".into(), json!(p.ram));
                }
                if !p.interface.is_empty() {
                    m.insert("interface".into(), json!(p.interface));
                }
                vendor.insert(p.vendor.clone(), serde_json::Value::Object(m));
            }
            json!({
                "memory": u.memory,
                "cpu": u.cpu_milli,
                "gpu": {"units": u.gpu_units, "attributes": {"vendor": vendor}},
                "storage": u.volumes.iter().map(|v| json!({
                    "class": if v.persistent { v.class.as_str() } else { "ephemeral" },
                    "size": v.size,
                })).collect::<Vec<_>>(),
                "count": u.count,
                "endpoint_quantity": u.endpoints,
                "ip_lease_quantity": u.leased_ips.len(),
            })
        })
        .collect();
    json!({
        "resources": resources,
        "price": {"denom": denom, "amount": max.to_legacy_string()},
        "price_precision": 6,
    })
    .to_string()
}

/// Runs the operator's pricing script with at most `process_limit` at once.
#[derive(Clone)]
pub struct ScriptPricing {
    pub path: PathBuf,
    pub timeout: Duration,
    pub process_limit: usize,
    slots: Arc<Semaphore>,
}

/// Most stderr kept in a decline.
const STDERR_KEEP: usize = 300;

impl ScriptPricing {
    pub fn new(path: PathBuf, timeout: Duration, process_limit: usize) -> ScriptPricing {
        ScriptPricing {
            path,
            timeout,
            process_limit,
            slots: Arc::new(Semaphore::new(process_limit.max(1))),
        }
    }

    /// Runs the script with `input` on stdin, `AKASH_OWNER`/`AKASH_DENOM` in its environment;
    /// its stdout must be one positive decimal.
    pub async fn run(&self, input: &str, owner: &str, denom: &str) -> Result<Dec, Decline> {
        let _slot = tokio::time::timeout(self.timeout, self.slots.acquire())
            .await
            .map_err(|_| Decline::ScriptBusy {
                limit: self.process_limit,
            })?
            .expect("the semaphore is never closed");
        let path = self.path.display().to_string();
        // ETXTBSY: the script was just written and another thread's fork still holds a write
        // descriptor to it (an operator replacing the script while the daemon runs, or a test).
        // The descriptor closes at that child's exec, so a short bounded retry succeeds.
        const ETXTBSY: i32 = 26;
        let mut tries = 0;
        let mut child = loop {
            let spawned = tokio::process::Command::new(&self.path)
                .env("AKASH_OWNER", owner)
                .env("AKASH_DENOM", denom)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn();
            match spawned {
                Err(e) if e.raw_os_error() == Some(ETXTBSY) && tries < 10 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => {
                    break other.map_err(|e| Decline::ScriptFailedToStart {
                        path: path.clone(),
                        error: e.to_string(),
                    })?
                }
            }
        };
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let input = input.as_bytes().to_vec();
        let run = async move {
            // A script that ignores its stdin closes the pipe: not an error.
            let _ = stdin.write_all(&input).await;
            drop(stdin);
            child.wait_with_output().await
        };
        let out = match tokio::time::timeout(self.timeout, run).await {
            Err(_) => {
                return Err(Decline::ScriptTimedOut {
                    secs: self.timeout.as_millis().div_ceil(1000) as u64,
                })
            }
            Ok(Err(e)) => {
                return Err(Decline::ScriptFailedToStart {
                    path,
                    error: e.to_string(),
                })
            }
            Ok(Ok(o)) => o,
        };
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut stderr = stderr.trim().to_string();
            if stderr.len() > STDERR_KEEP {
                let cut = (0..=STDERR_KEEP)
                    .rev()
                    .find(|i| stderr.is_char_boundary(*i))
                    .unwrap_or(0);
                stderr.truncate(cut);
                stderr.push('…');
            }
            return Err(Decline::ScriptExited {
                code: out.status.code(),
                stderr,
            });
        }
        parse_script_output(&String::from_utf8_lossy(&out.stdout))
    }
}

/// One decimal number, surrounding whitespace allowed.
pub fn parse_script_output(stdout: &str) -> Result<Dec, Decline> {
    let t = stdout.trim();
    let bad = || Decline::ScriptBadOutput {
        output: t.chars().take(100).collect(),
    };
    if let Some(neg) = t.strip_prefix('-') {
        return match neg.parse::<Dec>() {
            Ok(_) => Err(Decline::ScriptNotPositive { output: t.into() }),
            Err(_) => Err(bad()),
        };
    }
    let d: Dec = t.parse().map_err(|_| bad())?;
    if d.is_zero() {
        return Err(Decline::ScriptNotPositive { output: t.into() });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn script(dir: &std::path::Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn output_parsing() {
        assert_eq!(
            parse_script_output(" 12.5\n").unwrap(),
            "12.5".parse().unwrap()
        );
        assert!(matches!(
            parse_script_output("0"),
            Err(Decline::ScriptNotPositive { .. })
        ));
        assert!(matches!(
            parse_script_output("-3"),
            Err(Decline::ScriptNotPositive { .. })
        ));
        assert!(matches!(
            parse_script_output(""),
            Err(Decline::ScriptBadOutput { .. })
        ));
        assert!(matches!(
            parse_script_output("1e5"),
            Err(Decline::ScriptBadOutput { .. })
        ));
        assert!(matches!(
            parse_script_output("12\n13"),
            Err(Decline::ScriptBadOutput { .. })
        ));
    }

    #[tokio::test]
    async fn real_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let t = Duration::from_secs(5);
        // Reads its stdin and environment: prints the memory of the first unit (from the JSON)
        // only when owner and denom arrived.
        let ok = script(
            dir.path(),
            "ok.sh",
            r#"input=$(cat)
case "$input" in *'"price_precision":6'*) ;; *) echo "no input" >&2; exit 3;; esac
[ "$AKASH_OWNER" = "akash1tenant" ] && [ "$AKASH_DENOM" = "uakt" ] || { echo "env missing" >&2; exit 4; }
echo "42.25""#,
        );
        let s = ScriptPricing::new(ok, t, 2);
        let input =
            r#"{"resources":[],"price":{"denom":"uakt","amount":"1.0"},"price_precision":6}"#;
        assert_eq!(
            s.run(input, "akash1tenant", "uakt").await.unwrap(),
            "42.25".parse().unwrap()
        );
        let e = s.run(input, "akash1other", "uakt").await.unwrap_err();
        assert_eq!(
            e,
            Decline::ScriptExited {
                code: Some(4),
                stderr: "env missing".into()
            }
        );

        let cases: Vec<(&str, Decline)> = vec![
            (
                "echo nope",
                Decline::ScriptBadOutput {
                    output: "nope".into(),
                },
            ),
            ("echo 0", Decline::ScriptNotPositive { output: "0".into() }),
            (
                "echo -1.5",
                Decline::ScriptNotPositive {
                    output: "-1.5".into(),
                },
            ),
            ("true", Decline::ScriptBadOutput { output: "".into() }),
            (
                "echo broken >&2; exit 7",
                Decline::ScriptExited {
                    code: Some(7),
                    stderr: "broken".into(),
                },
            ),
        ];
        for (i, (body, want)) in cases.into_iter().enumerate() {
            let p = script(dir.path(), &format!("s{i}.sh"), body);
            let got = ScriptPricing::new(p, t, 1)
                .run(input, "o", "uakt")
                .await
                .unwrap_err();
            assert_eq!(got, want, "script {body:?}");
        }

        let slow = script(dir.path(), "slow.sh", "sleep 5; echo 1");
        let s = ScriptPricing::new(slow, Duration::from_millis(300), 1);
        let started = std::time::Instant::now();
        assert_eq!(
            s.run(input, "o", "uakt").await.unwrap_err(),
            Decline::ScriptTimedOut { secs: 1 }
        );
        assert!(started.elapsed() < Duration::from_secs(3));

        let missing = ScriptPricing::new(dir.path().join("absent.sh"), t, 1);
        assert!(matches!(
            missing.run(input, "o", "uakt").await.unwrap_err(),
            Decline::ScriptFailedToStart { .. }
        ));
    }

    #[tokio::test]
    async fn process_limit_queues_and_gives_up() {
        let dir = tempfile::tempdir().unwrap();
        let slow = script(dir.path(), "slow.sh", "sleep 1; echo 1");
        let s = ScriptPricing::new(slow, Duration::from_millis(1500), 1);
        let (a, b) = tokio::join!(s.run("{}", "o", "uakt"), async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            s.run("{}", "o", "uakt").await
        });
        // The first holds the only slot for ~1 s; the second waits for it, then runs ~1 s more,
        // within its 1.5 s slot wait + 1.5 s run budget.
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        let s = ScriptPricing::new(
            script(dir.path(), "slower.sh", "sleep 2; echo 1"),
            Duration::from_millis(500),
            1,
        );
        // a holds the slot for its whole 500 ms; b gets it just before its wait ends and holds
        // it 500 ms more; c's 500 ms wait ends while b runs: busy.
        let after = |ms| {
            let s = s.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                s.run("{}", "o", "uakt").await
            }
        };
        let (a, b, c) = tokio::join!(after(0), after(20), after(40));
        assert_eq!(a.unwrap_err(), Decline::ScriptTimedOut { secs: 1 });
        assert_eq!(b.unwrap_err(), Decline::ScriptTimedOut { secs: 1 });
        assert_eq!(c.unwrap_err(), Decline::ScriptBusy { limit: 1 });
    }
}
