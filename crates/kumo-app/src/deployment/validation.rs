//! GroupSpec validation with Akash's limits (spec §1.3, §1.4) and group pricing: the order's
//! maximum price per block is Σ unit price × count.

use super::errors::*;
use crate::coins::validate_denom;
use crate::errors::SdkResult;
use kumo_akash::group::{limits, PriceError};
use kumo_proto::akash::base::resources::v1beta4::ResourceValue;
use kumo_proto::akash::deployment::v1beta4::{GroupSpec, ResourceUnit};
use kumo_proto::math::Dec;
use std::collections::BTreeSet;

// The limits are Akash's, defined once in kumo-akash (shared with the SDL checks); widened here
// for sums over counts.
const CPU_MIN: u128 = limits::CPU_MIN as u128;
const CPU_MAX: u128 = limits::CPU_MAX as u128;
const GPU_MAX: u128 = limits::GPU_MAX as u128;
const MEMORY_MIN: u128 = limits::MEMORY_MIN as u128;
const MEMORY_MAX: u128 = limits::MEMORY_MAX as u128;
const STORAGE_MIN: u128 = limits::STORAGE_MIN as u128;
const STORAGE_MAX: u128 = limits::STORAGE_MAX as u128;
const UNIT_PRICE_MAX: u128 = limits::UNIT_PRICE_MAX as u128;
const GROUP_TOTAL_FACTOR: u128 = limits::GROUP_TOTAL_FACTOR as u128;

/// A `DecCoin` whose amount travels as LegacyDec atomics (value × 10^18, spec §0.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecCoin {
    pub denom: String,
    pub amount: Dec,
}

impl DecCoin {
    pub fn from_proto(
        c: &cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin,
    ) -> Result<Self, String> {
        validate_denom(&c.denom).map_err(|e| e.log)?;
        if c.amount.is_empty() {
            return Err("amount is nil".into());
        }
        let amount = Dec::from_wire(&c.amount).map_err(|e| format!("amount: {e}"))?;
        Ok(DecCoin {
            denom: c.denom.clone(),
            amount,
        })
    }

    pub fn to_proto(&self) -> cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin {
        cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin {
            denom: self.denom.clone(),
            amount: self.amount.atomics().to_string(),
        }
    }
}

impl std::fmt::Display for DecCoin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// A `math.Int` resource value (decimal ASCII), missing = 0.
fn value(v: Option<&ResourceValue>, what: &str) -> SdkResult<u128> {
    let Some(v) = v else { return Ok(0) };
    let s = std::str::from_utf8(&v.val)
        .map_err(|_| group_spec_invalid(format!("{what} is not a decimal string")))?;
    if s.is_empty() {
        return Ok(0);
    }
    kumo_proto::math::parse_int(s).map_err(|e| group_spec_invalid(format!("{what}: {e}")))
}

fn in_range(v: u128, min: u128, max: u128, what: &str, group: &str) -> SdkResult<()> {
    if v < min || v > max {
        return Err(group_spec_invalid(format!(
            "group {group:?}: {what} {v} is outside {min}..={max}"
        )));
    }
    Ok(())
}

/// Price of one unit line: `price × count` (the unit's `FullPrice`).
fn unit_price(u: &ResourceUnit, group: &str) -> SdkResult<DecCoin> {
    let p = u
        .price
        .as_ref()
        .ok_or_else(|| invalid_price(format!("group {group:?}: a resource has no price")))?;
    let p = DecCoin::from_proto(p).map_err(|e| invalid_price(format!("group {group:?}: {e}")))?;
    if p.amount > Dec::from_atomics(UNIT_PRICE_MAX * kumo_proto::math::DEC_ONE) {
        return Err(invalid_price(format!(
            "group {group:?}: unit price {p} is above the maximum {UNIT_PRICE_MAX} per block"
        )));
    }
    Ok(p)
}

/// `GroupSpec.Price()`: the order's maximum price per block (`kumo_akash::group::price`),
/// after each unit's price passed the chain's checks (denom, amount, per-unit maximum).
pub fn group_price(spec: &GroupSpec) -> SdkResult<DecCoin> {
    for u in &spec.resources {
        unit_price(u, &spec.name)?;
    }
    let (denom, atomics) = kumo_akash::group::price(spec).map_err(|e| match e {
        PriceError::NoResources => group_spec_invalid(format!(
            "group {:?} has no resources; add at least one",
            spec.name
        )),
        PriceError::MixedDenoms { first, other } => invalid_price(format!(
            "group {:?} mixes price denoms {first} and {other}; use one denom",
            spec.name
        )),
        PriceError::Overflow => invalid_price("group price overflows"),
        other => invalid_price(format!("group {:?}: {other}", spec.name)),
    })?;
    Ok(DecCoin {
        denom,
        amount: Dec::from_atomics(atomics),
    })
}

/// `GroupSpec.ValidateBasic` plus the limits of §1.3.
pub fn validate_group_spec(spec: &GroupSpec) -> SdkResult<()> {
    let name = spec.name.as_str();
    if name.is_empty() {
        return Err(invalid_groups(
            "a group has an empty name; name every group",
        ));
    }
    if spec.resources.is_empty() {
        return Err(group_spec_invalid(format!(
            "group {name:?} has no resources; add at least one"
        )));
    }
    if let Some(req) = &spec.requirements {
        crate::market::matching::validate_attributes(&req.attributes)?;
    }
    let mut ids = BTreeSet::new();
    let (mut cpu_total, mut gpu_total, mut storage_total) = (0u128, 0u128, 0u128);
    for u in &spec.resources {
        let r = u.resource.as_ref().ok_or_else(|| {
            group_spec_invalid(format!("group {name:?}: a resource unit has no resources"))
        })?;
        if r.id == 0 || !ids.insert(r.id) {
            return Err(group_spec_invalid(format!(
                "group {name:?}: resource id {} must be > 0 and unique in the group",
                r.id
            )));
        }
        let count = u128::from(u.count);
        let cpu = r.cpu.as_ref().ok_or_else(|| {
            group_spec_invalid(format!("group {name:?}: resource {} has no cpu", r.id))
        })?;
        let cpu_units = value(cpu.units.as_ref(), "cpu units")?;
        in_range(cpu_units, CPU_MIN, CPU_MAX, "cpu (millicpu)", name)?;
        crate::market::matching::validate_attributes(&cpu.attributes)?;
        let mem = r.memory.as_ref().ok_or_else(|| {
            group_spec_invalid(format!("group {name:?}: resource {} has no memory", r.id))
        })?;
        in_range(
            value(mem.quantity.as_ref(), "memory")?,
            MEMORY_MIN,
            MEMORY_MAX,
            "memory (bytes)",
            name,
        )?;
        crate::market::matching::validate_attributes(&mem.attributes)?;
        if let Some(gpu) = &r.gpu {
            let units = value(gpu.units.as_ref(), "gpu units")?;
            in_range(units, 0, GPU_MAX, "gpu units", name)?;
            if units == 0 && !gpu.attributes.is_empty() {
                return Err(group_spec_invalid(format!(
                    "group {name:?}: gpu attributes need gpu units > 0"
                )));
            }
            crate::market::matching::validate_attributes(&gpu.attributes)?;
            gpu_total = gpu_total.saturating_add(units.saturating_mul(count));
        }
        for s in &r.storage {
            let q = value(s.quantity.as_ref(), "storage")?;
            in_range(q, STORAGE_MIN, STORAGE_MAX, "storage (bytes)", name)?;
            crate::market::matching::validate_attributes(&s.attributes)?;
            let total = q.saturating_mul(count);
            if total > STORAGE_MAX * GROUP_TOTAL_FACTOR {
                return Err(group_spec_invalid(format!(
                    "group {name:?}: storage volume {:?} totals {total} bytes, above {}",
                    s.name,
                    STORAGE_MAX * GROUP_TOTAL_FACTOR
                )));
            }
            storage_total = storage_total.saturating_add(total);
        }
        cpu_total = cpu_total.saturating_add(cpu_units.saturating_mul(count));
        // Memory totals are not limited: Akash's sum discards its result (spec §1.3 bug), so
        // a group Akash accepts must be accepted here too.
    }
    if cpu_total == 0 || cpu_total > CPU_MAX * GROUP_TOTAL_FACTOR {
        return Err(group_spec_invalid(format!(
            "group {name:?}: total cpu {cpu_total} must be in 1..={}",
            CPU_MAX * GROUP_TOTAL_FACTOR
        )));
    }
    if gpu_total > GPU_MAX * GROUP_TOTAL_FACTOR {
        return Err(group_spec_invalid(format!(
            "group {name:?}: total gpu {gpu_total} is above {}",
            GPU_MAX * GROUP_TOTAL_FACTOR
        )));
    }
    if storage_total == 0 {
        return Err(group_spec_invalid(format!(
            "group {name:?}: total storage must be > 0; give each resource a storage volume"
        )));
    }
    group_price(spec)?;
    Ok(())
}

/// `ValidateDeploymentGroups`: every spec valid, unique names, one price denom for all groups.
/// Returns that denom.
pub fn validate_groups(groups: &[GroupSpec]) -> SdkResult<String> {
    if groups.is_empty() {
        return Err(invalid_groups("a deployment needs at least one group"));
    }
    let mut names = BTreeSet::new();
    let mut denom: Option<String> = None;
    for g in groups {
        validate_group_spec(g)?;
        if !names.insert(g.name.as_str()) {
            return Err(duplicate_group_name(format!(
                "group name {:?} is used twice; names must be unique",
                g.name
            )));
        }
        let d = group_price(g)?.denom;
        match &denom {
            None => denom = Some(d),
            Some(prev) if *prev != d => {
                return Err(invalid_groups(format!(
                    "groups price in {prev} and {d}; all groups must use one denom"
                )))
            }
            _ => {}
        }
    }
    Ok(denom.expect("at least one group"))
}
