//! `kumo sdl validate FILE` and `kumo sdl manifest FILE`: check an Akash SDL and show what a
//! deployment of it would put on chain (groups, price ceiling, manifest version hash).

use crate::{Globals, Output};
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::math::Dec;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub use kumo_client::price::BLOCKS_PER_MONTH;

#[derive(Subcommand, Debug)]
pub enum SdlCmd {
    /// Validate an SDL file and show its groups, price ceiling and manifest version hash.
    Validate(FileArgs),
    /// Print the manifest (what the tenant sends to the provider) as JSON.
    Manifest(FileArgs),
}

#[derive(Args, Debug)]
pub struct FileArgs {
    /// The SDL file (deploy.yaml).
    pub file: PathBuf,
}

pub fn run(g: &Globals, cmd: SdlCmd) -> Result<()> {
    match cmd {
        SdlCmd::Validate(a) => validate(g, &a.file),
        SdlCmd::Manifest(a) => {
            let d = load(g, &a.file)?;
            println!("{}", serde_json::to_string_pretty(&d.manifest)?);
            Ok(())
        }
    }
}

fn load(g: &Globals, file: &std::path::Path) -> Result<kumo_sdl::Deployment> {
    match kumo_sdl::parse_file(file) {
        Ok(d) => Ok(d),
        Err(e) => {
            if g.output == Output::Json {
                let errors: Vec<_> = e
                    .issues
                    .iter()
                    .map(|i| serde_json::json!({"path": i.path, "line": i.line, "message": i.message}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"file": e.file, "valid": false, "errors": errors})
                    )?
                );
            }
            bail!("{e}")
        }
    }
}

/// Σ price × count per denom, over the given groups.
fn price_per_block(groups: &[GroupSpec]) -> Result<BTreeMap<String, Dec>> {
    let mut out: BTreeMap<String, Dec> = BTreeMap::new();
    for g in groups {
        for (denom, amount) in group_price(g)? {
            let e = out.entry(denom).or_default();
            *e = Dec::from_atomics(
                e.atomics()
                    .checked_add(amount.atomics())
                    .ok_or_else(|| anyhow::anyhow!("price overflows"))?,
            );
        }
    }
    Ok(out)
}

/// The group's price per block by denom (`kumo_akash::group::price`: one denom per group).
fn group_price(g: &GroupSpec) -> Result<BTreeMap<String, Dec>> {
    let (denom, atomics) = kumo_akash::group::price(g)?;
    Ok(BTreeMap::from([(denom, Dec::from_atomics(atomics))]))
}

fn monthly(d: Dec) -> Result<Dec> {
    Ok(Dec::from_atomics(
        d.atomics()
            .checked_mul(BLOCKS_PER_MONTH)
            .ok_or_else(|| anyhow::anyhow!("monthly price overflows"))?,
    ))
}

fn val(v: &Option<kumo_proto::akash::base::resources::v1beta4::ResourceValue>) -> String {
    v.as_ref()
        .map(|r| String::from_utf8_lossy(&r.val).into_owned())
        .unwrap_or_default()
}

fn bytes(s: &str) -> String {
    let Ok(n) = s.parse::<u128>() else {
        return s.to_string();
    };
    for (unit, size) in [
        ("Ti", 1u128 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ] {
        if n >= size && n % size == 0 {
            return format!("{}{unit}", n / size);
        }
    }
    format!("{n} B")
}

fn validate(g: &Globals, file: &std::path::Path) -> Result<()> {
    let d = load(g, file)?;
    let per_block = price_per_block(&d.groups)?;
    let version = match d.version {
        kumo_sdl::SdlVersion::V2_0 => "2.0",
        kumo_sdl::SdlVersion::V2_1 => "2.1",
    };
    if g.output == Output::Json {
        let prices = |m: &BTreeMap<String, Dec>,
                      f: &dyn Fn(Dec) -> Result<Dec>|
         -> Result<Vec<serde_json::Value>> {
            m.iter()
                .map(|(denom, a)| {
                    Ok(serde_json::json!({"denom": denom, "amount": f(*a)?.to_string()}))
                })
                .collect()
        };
        let out = serde_json::json!({
            "file": file.display().to_string(),
            "valid": true,
            "version": version,
            "groups": d.groups.iter().map(kumo_proto::json::message_json).collect::<Vec<_>>(),
            "manifest": d.manifest,
            "manifest_version": hex::encode(d.manifest_version),
            "price_per_block": prices(&per_block, &|x| Ok(x))?,
            "price_per_month": prices(&per_block, &monthly)?,
            "blocks_per_month": BLOCKS_PER_MONTH as u64,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "{}: valid SDL v{version}, {} group(s)",
        file.display(),
        d.groups.len()
    );
    for grp in &d.groups {
        println!("\ngroup {:?}", grp.name);
        if let Some(req) = &grp.requirements {
            let attrs: Vec<String> = req
                .attributes
                .iter()
                .map(|a| format!("{}={}", a.key, a.value))
                .collect();
            println!(
                "  placement attributes: {}",
                if attrs.is_empty() {
                    "(any provider)".into()
                } else {
                    attrs.join(", ")
                }
            );
            if let Some(s) = &req.signed_by {
                if !s.all_of.is_empty() {
                    println!("  signed by all of: {}", s.all_of.join(", "));
                }
                if !s.any_of.is_empty() {
                    println!("  signed by any of: {}", s.any_of.join(", "));
                }
            }
        }
        for u in &grp.resources {
            let Some(r) = &u.resource else { continue };
            let cpu = val(&r.cpu.as_ref().and_then(|c| c.units.clone()));
            let mem = bytes(&val(&r.memory.as_ref().and_then(|m| m.quantity.clone())));
            let storage: Vec<String> = r
                .storage
                .iter()
                .map(|s| {
                    let attrs: Vec<String> = s
                        .attributes
                        .iter()
                        .map(|a| format!("{}={}", a.key, a.value))
                        .collect();
                    let extra = if attrs.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", attrs.join(", "))
                    };
                    format!("{} {}{extra}", s.name, bytes(&val(&s.quantity)))
                })
                .collect();
            let gpu = r.gpu.as_ref();
            let gpu_units = val(&gpu.and_then(|x| x.units.clone()));
            let gpu_attrs: Vec<String> = gpu
                .map(|x| x.attributes.iter().map(|a| a.key.clone()).collect())
                .unwrap_or_default();
            let endpoints: Vec<String> = r
                .endpoints
                .iter()
                .map(|e| match e.kind {
                    0 => "SHARED_HTTP".to_string(),
                    1 => "RANDOM_PORT".to_string(),
                    _ => format!("LEASED_IP#{}", e.sequence_number),
                })
                .collect();
            println!(
                "  resource {}: {} × {{cpu {cpu}m, memory {mem}, storage {}, gpu {gpu_units}{}}}",
                r.id,
                u.count,
                storage.join(" + "),
                if gpu_attrs.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", gpu_attrs.join(" | "))
                }
            );
            if !endpoints.is_empty() {
                println!("    endpoints: {}", endpoints.join(", "));
            }
            if let Some(p) = &u.price {
                let unit = Dec::from_atomics(p.amount.parse()?);
                println!("    max price: {unit} {} per block per replica", p.denom);
            }
        }
        for (denom, amount) in group_price(grp)? {
            println!("  group max price: {amount} {denom} per block");
        }
    }
    println!();
    for (denom, amount) in &per_block {
        println!(
            "price ceiling: {amount} {denom} per block, {} {denom} per month (assuming 6 s blocks, {BLOCKS_PER_MONTH} blocks per month of 365/12 days)",
            monthly(*amount)?
        );
    }
    println!("manifest version: {}", hex::encode(d.manifest_version));
    Ok(())
}
