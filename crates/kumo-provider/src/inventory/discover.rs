//! Capacity from the config, or read from the Docker host (`inventory.mode = "auto"`): CPUs and
//! memory from the Docker daemon's `info`, ephemeral storage from the free space of the
//! filesystem holding Docker's root dir, GPUs from `nvidia-smi` where that binary exists.

use std::process::Command;

use anyhow::Context;

use super::{Capacity, GpuPool};
use crate::config::{parse_cpu_cores, InventoryConfig, InventoryMode};

/// The capacity the config declares or the host has.
pub async fn capacity(cfg: &InventoryConfig) -> anyhow::Result<Capacity> {
    let mut cap = match cfg.mode {
        InventoryMode::Declared => Capacity {
            cpu_milli: parse_cpu_cores(&cfg.cpu).map_err(anyhow::Error::msg)?,
            memory: kumo_sdl::units::parse_size(&cfg.memory).map_err(anyhow::Error::msg)?,
            ephemeral_storage: kumo_sdl::units::parse_size(&cfg.ephemeral_storage)
                .map_err(anyhow::Error::msg)?,
            gpus: cfg
                .gpus
                .iter()
                .map(|g| GpuPool {
                    vendor: g.vendor.to_ascii_lowercase(),
                    model: g.model.to_ascii_lowercase(),
                    ram: g.ram.clone(),
                    interface: super::normalize_interface(&g.interface),
                    count: g.count,
                })
                .collect(),
            ..Capacity::default()
        },
        InventoryMode::Auto => docker_host().await?,
    };
    for c in &cfg.storage_classes {
        let size = kumo_sdl::units::parse_size(&c.size).map_err(anyhow::Error::msg)?;
        cap.storage_classes.insert(c.class.clone(), size);
    }
    Ok(cap)
}

async fn docker_host() -> anyhow::Result<Capacity> {
    let docker = bollard::Docker::connect_with_local_defaults()
        .context("inventory.mode is \"auto\" but the Docker daemon cannot be reached")?;
    let info = docker.info().await.context(
        "inventory.mode is \"auto\" but Docker's info could not be read (is dockerd running?)",
    )?;
    let ncpu = info.ncpu.unwrap_or(0);
    let mem = info.mem_total.unwrap_or(0);
    if ncpu <= 0 || mem <= 0 {
        anyhow::bail!("Docker reports {ncpu} CPUs and {mem} bytes of memory; declare the inventory instead (mode = \"declared\")");
    }
    let root = info
        .docker_root_dir
        .unwrap_or_else(|| "/var/lib/docker".into());
    let ephemeral_storage = free_bytes(&root)
        .with_context(|| format!("cannot read the free space of Docker's root dir {root}"))?;
    let gpus = tokio::task::spawn_blocking(nvidia_gpus).await??;
    Ok(Capacity {
        cpu_milli: ncpu as u64 * 1000,
        memory: mem as u64,
        ephemeral_storage,
        storage_classes: Default::default(),
        gpus,
    })
}

/// Bytes available to unprivileged writers on the filesystem holding `path` (POSIX `df -P -k`).
fn free_bytes(path: &str) -> anyhow::Result<u64> {
    let out = Command::new("df").args(["-P", "-k", path]).output()?;
    if !out.status.success() {
        anyhow::bail!("df failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    parse_df(&String::from_utf8_lossy(&out.stdout))
}

fn parse_df(text: &str) -> anyhow::Result<u64> {
    let line = text
        .lines()
        .nth(1)
        .context("df printed no filesystem line")?;
    let avail: u64 = line
        .split_whitespace()
        .nth(3)
        .and_then(|f| f.parse().ok())
        .with_context(|| format!("unexpected df line {line:?}"))?;
    Ok(avail * 1024)
}

/// GPUs from `nvidia-smi`, grouped by model; none when the binary is absent.
fn nvidia_gpus() -> anyhow::Result<Vec<GpuPool>> {
    let out = match Command::new("nvidia-smi")
        .args(["--query-gpu=name,memory.total", "--format=csv,noheader"])
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).context("cannot run nvidia-smi"),
    };
    if !out.status.success() {
        anyhow::bail!(
            "nvidia-smi failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(parse_nvidia_smi(&String::from_utf8_lossy(&out.stdout)))
}

/// `NVIDIA A100-SXM4-80GB, 81920 MiB` lines → pools by (model, ram, interface).
pub fn parse_nvidia_smi(text: &str) -> Vec<GpuPool> {
    let mut pools: Vec<GpuPool> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Some((name, mem)) = line.rsplit_once(',') else {
            continue;
        };
        let Some((model, interface)) = gpu_model(name) else {
            continue;
        };
        let ram = mem
            .split_whitespace()
            .next()
            .and_then(|m| m.parse::<u64>().ok())
            .map(|mib| format!("{}Gi", (mib + 512) / 1024))
            .unwrap_or_default();
        match pools
            .iter_mut()
            .find(|p| p.model == model && p.ram == ram && p.interface == interface)
        {
            Some(p) => p.count += 1,
            None => pools.push(GpuPool {
                vendor: "nvidia".into(),
                model,
                ram,
                interface,
                count: 1,
            }),
        }
    }
    pools
}

/// The Akash model name and interface of an NVIDIA product name: `NVIDIA A100-SXM4-80GB` →
/// (`a100`, `sxm`), `NVIDIA GeForce RTX 4090` → (`rtx4090`, ``), `NVIDIA RTX A6000` → (`a6000`, ``).
fn gpu_model(name: &str) -> Option<(String, String)> {
    let mut interface = String::new();
    let mut tokens = Vec::new();
    for t in name
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|t| !t.is_empty())
    {
        let l = t.to_ascii_lowercase();
        if matches!(
            l.as_str(),
            "nvidia" | "geforce" | "tesla" | "quadro" | "nvl"
        ) || l.starts_with("hbm")
            || (l.ends_with("gb") && l[..l.len() - 2].bytes().all(|b| b.is_ascii_digit()))
        {
            continue;
        }
        if l.starts_with("sxm") {
            interface = "sxm".into();
            continue;
        }
        if l == "pcie" {
            interface = "pcie".into();
            continue;
        }
        tokens.push(l);
    }
    // "RTX A6000" is registered as a6000; "RTX 4090" as rtx4090.
    if tokens.len() >= 2
        && tokens[0] == "rtx"
        && tokens[1].starts_with(|c: char| c.is_ascii_alphabetic())
    {
        tokens.remove(0);
    }
    let model = tokens.concat();
    (!model.is_empty()).then_some((model, interface))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvidia_smi_names() {
        let pools = parse_nvidia_smi(
            "NVIDIA A100-SXM4-80GB, 81920 MiB\nNVIDIA A100-SXM4-80GB, 81920 MiB\n\
             NVIDIA GeForce RTX 4090, 24564 MiB\nNVIDIA RTX A6000, 49140 MiB\n\
             NVIDIA H100 PCIe, 81559 MiB\nTesla T4, 15360 MiB\n",
        );
        let got: Vec<_> = pools
            .iter()
            .map(|p| {
                (
                    p.model.as_str(),
                    p.ram.as_str(),
                    p.interface.as_str(),
                    p.count,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("a100", "80Gi", "sxm", 2),
                ("rtx4090", "24Gi", "", 1),
                ("a6000", "48Gi", "", 1),
                ("h100", "80Gi", "pcie", 1),
                ("t4", "15Gi", "", 1),
            ]
        );
    }

    #[test]
    fn df_output() {
        let text = "Filesystem     1024-blocks      Used Available Capacity Mounted on\n\
                    /dev/sda1        102400000  2400000  100000000       3% /\n";
        assert_eq!(parse_df(text).unwrap(), 100_000_000 * 1024);
        assert!(parse_df("Filesystem\n").is_err());
    }

    #[tokio::test]
    async fn declared_capacity() {
        let cfg: InventoryConfig = toml::from_str(
            r#"mode = "declared"
cpu = "8"
memory = "32Gi"
ephemeral_storage = "100Gi"
storage_classes = [{ class = "beta2", size = "1Ti" }]
gpus = [{ vendor = "NVIDIA", model = "A100", ram = "80Gi", interface = "SXM4", count = 4 }]"#,
        )
        .unwrap();
        let cap = capacity(&cfg).await.unwrap();
        assert_eq!(cap.cpu_milli, 8000);
        assert_eq!(cap.memory, 32 << 30);
        assert_eq!(cap.storage_classes["beta2"], 1 << 40);
        assert_eq!(
            cap.gpus[0].key(true),
            "vendor/nvidia/model/a100/ram/80Gi/interface/sxm"
        );
    }

    /// On the real dockerd when there is one.
    #[tokio::test]
    async fn docker_host_capacity() {
        if !std::path::Path::new("/var/run/docker.sock").exists() {
            eprintln!("skipped: /var/run/docker.sock is absent");
            return;
        }
        let cap = capacity(&InventoryConfig::default()).await.unwrap();
        assert!(cap.cpu_milli >= 1000, "{cap:?}");
        assert!(cap.memory > 1 << 20, "{cap:?}");
        assert!(cap.ephemeral_storage > 0, "{cap:?}");
    }
}
