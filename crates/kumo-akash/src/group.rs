//! A GroupSpec's limits and price (akash-chain.md §1.3, §1.4), one definition for the chain's
//! `MsgCreateDeployment` validation (kumo-app), the SDL checks that report them against the
//! file (kumo-sdl), the provider's bid ceiling and the CLI's cost estimate.

use kumo_proto::akash::deployment::v1beta4::GroupSpec;

/// Per-unit limits of `akash.deployment.v1beta4` (`validation_config.go`).
pub mod limits {
    pub const MI: u64 = 1 << 20;
    pub const TI: u64 = 1 << 40;
    /// Millicpu per replica.
    pub const CPU_MIN: u64 = 10;
    pub const CPU_MAX: u64 = 384_000;
    /// GPUs per replica.
    pub const GPU_MAX: u64 = 24;
    /// Memory bytes per replica.
    pub const MEMORY_MIN: u64 = MI;
    pub const MEMORY_MAX: u64 = 2 * TI;
    /// Bytes per storage volume.
    pub const STORAGE_MIN: u64 = 5 * MI;
    pub const STORAGE_MAX: u64 = 32 * TI;
    /// Highest price of one replica, in the price denom per block.
    pub const UNIT_PRICE_MAX: u64 = 10_000_000;
    /// Group totals (CPU, GPU, one volume × count) may reach this many times the per-unit
    /// maximum.
    pub const GROUP_TOTAL_FACTOR: u64 = 50;
}

/// Why a group has no price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PriceError {
    /// The group has no resource units.
    NoResources,
    /// A unit (by its resource id) has no price.
    NoPrice { unit: u32 },
    /// A unit's amount is not LegacyDec atomics.
    BadAmount { amount: String, reason: String },
    /// Units price in different denoms.
    MixedDenoms { first: String, other: String },
    /// Σ price × count does not fit.
    Overflow,
}

impl std::fmt::Display for PriceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PriceError::NoResources => write!(f, "the group has no resources; add at least one"),
            PriceError::NoPrice { unit } => write!(f, "resource unit {unit} has no price"),
            PriceError::BadAmount { reason, .. } => write!(f, "{reason}"),
            PriceError::MixedDenoms { first, other } => write!(
                f,
                "the group mixes price denoms {first} and {other}; use one denom"
            ),
            PriceError::Overflow => write!(f, "group price overflows"),
        }
    }
}

impl std::error::Error for PriceError {}

/// `GroupSpec.Price()`: the order's maximum price per block, Σ unit price × count, as
/// (denom, LegacyDec atomics). Unit prices travel as atomics (value × 10^18).
pub fn price(spec: &GroupSpec) -> Result<(String, u128), PriceError> {
    let mut total: Option<(String, u128)> = None;
    for u in &spec.resources {
        let p = u.price.as_ref().ok_or(PriceError::NoPrice {
            unit: u.resource.as_ref().map_or(0, |r| r.id),
        })?;
        let atomics =
            kumo_proto::math::parse_int(&p.amount).map_err(|reason| PriceError::BadAmount {
                amount: p.amount.clone(),
                reason,
            })?;
        let full = atomics
            .checked_mul(u128::from(u.count))
            .ok_or(PriceError::Overflow)?;
        total = Some(match total {
            None => (p.denom.clone(), full),
            Some((denom, sum)) => {
                if denom != p.denom {
                    return Err(PriceError::MixedDenoms {
                        first: denom,
                        other: p.denom.clone(),
                    });
                }
                (denom, sum.checked_add(full).ok_or(PriceError::Overflow)?)
            }
        });
    }
    total.ok_or(PriceError::NoResources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
    use kumo_proto::akash::base::resources::v1beta4::Resources;
    use kumo_proto::akash::deployment::v1beta4::ResourceUnit;

    fn unit(id: u32, count: u32, denom: &str, amount: &str) -> ResourceUnit {
        ResourceUnit {
            resource: Some(Resources {
                id,
                ..Default::default()
            }),
            count,
            price: Some(DecCoin {
                denom: denom.into(),
                amount: amount.into(),
            }),
        }
    }

    fn spec(units: Vec<ResourceUnit>) -> GroupSpec {
        GroupSpec {
            name: "web".into(),
            requirements: None,
            resources: units,
        }
    }

    #[test]
    fn sums_price_times_count() {
        // 1.5 × 2 + 0.25 × 4 = 4 per block.
        let g = spec(vec![
            unit(1, 2, "uakt", "1500000000000000000"),
            unit(2, 4, "uakt", "250000000000000000"),
        ]);
        assert_eq!(price(&g), Ok(("uakt".into(), 4_000_000_000_000_000_000)));
    }

    #[test]
    fn refuses_what_has_no_price() {
        assert_eq!(price(&spec(vec![])), Err(PriceError::NoResources));
        let mut u = unit(3, 1, "uakt", "1");
        u.price = None;
        assert_eq!(price(&spec(vec![u])), Err(PriceError::NoPrice { unit: 3 }));
        assert!(matches!(
            price(&spec(vec![unit(1, 1, "uakt", "1.5")])),
            Err(PriceError::BadAmount { .. })
        ));
        assert_eq!(
            price(&spec(vec![
                unit(1, 1, "uakt", "1"),
                unit(2, 1, "uact", "1")
            ])),
            Err(PriceError::MixedDenoms {
                first: "uakt".into(),
                other: "uact".into()
            })
        );
        assert_eq!(
            price(&spec(vec![unit(
                1,
                u32::MAX,
                "uakt",
                &u128::MAX.to_string()
            )])),
            Err(PriceError::Overflow)
        );
    }
}
