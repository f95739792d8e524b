//! Why the provider did not bid on an order: one variant per reason, each a sentence an operator
//! can act on (the Akash provider logs "incompatible order" and leaves people guessing, §6).

use std::fmt;

/// A resource whose free capacity did not cover an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// Millicores.
    Cpu,
    /// Bytes (including `ram` class volumes).
    Memory,
    /// Bytes of ephemeral storage.
    EphemeralStorage,
    /// Bytes of one persistent storage class (named in the decline).
    Storage,
    /// GPUs.
    Gpu,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Resource::Cpu => "CPU",
            Resource::Memory => "memory",
            Resource::EphemeralStorage => "ephemeral storage",
            Resource::Storage => "persistent storage",
            Resource::Gpu => "GPU",
        }
    }

    /// A quantity in this resource's unit, for people.
    pub fn show(self, v: u128) -> String {
        match self {
            Resource::Cpu => format!("{v}m CPU ({}.{:03} cores)", v / 1000, v % 1000),
            Resource::Gpu => format!("{v} GPU(s)"),
            _ => show_bytes(v),
        }
    }
}

/// `536870912` → `512Mi (536870912 bytes)`.
pub fn show_bytes(v: u128) -> String {
    const UNITS: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut unit = "";
    let mut n = v;
    for u in UNITS {
        if n < 1024 || !n.is_multiple_of(1024) {
            break;
        }
        n /= 1024;
        unit = u;
    }
    if unit.is_empty() {
        format!("{v} bytes")
    } else {
        format!("{n}{unit} ({v} bytes)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decline {
    /// The group fails the stateless checks a valid order passes.
    InvalidGroup {
        reason: String,
    },
    /// The order's placement asks for an attribute the provider does not have on chain.
    MissingAttribute {
        key: String,
        value: String,
    },
    /// The provider has the attribute with another value.
    AttributeMismatch {
        key: String,
        wanted: String,
        have: String,
    },
    /// The provider's config requires orders to ask for this attribute.
    ProviderRequiresAttribute {
        key: String,
        value: String,
    },
    /// `signed_by.all_of` names an auditor that has not signed the asked attributes.
    AuditorSignatureMissing {
        auditor: String,
    },
    /// `signed_by.any_of`: none of these auditors signed the asked attributes.
    NoAuditorSigned {
        any_of: Vec<String>,
    },
    /// A volume asks for a storage class the provider's on-chain capabilities do not list.
    StorageClassNotAdvertised {
        class: String,
    },
    /// A storage class the provider has no pool of.
    StorageClassUnsupported {
        class: String,
    },
    /// A GPU request no `capabilities/gpu/...` attribute of the provider matches.
    GpuNotAdvertised {
        requested: String,
    },
    /// No GPU in the inventory matches (or enough of the matching model are not free).
    GpuModelUnavailable {
        requested: String,
        asked: u128,
        free: String,
    },
    /// A unit with more volumes than the provider allows.
    TooManyVolumes {
        unit: u32,
        volumes: usize,
        max: usize,
    },
    InsufficientCapacity {
        resource: Resource,
        class: Option<String>,
        asked: u128,
        free: u128,
    },
    /// Units priced in different denoms.
    DenomMismatch {
        first: String,
        other: String,
    },
    /// The order pays in a denom the provider does not accept.
    DenomNotAccepted {
        denom: String,
        accepted: Vec<String>,
    },
    /// The scale pricing has no price for a storage class the order uses.
    NoStoragePrice {
        class: String,
    },
    /// The scale pricing has no price for this GPU model and no `*` price.
    NoGpuPrice {
        model: String,
    },
    /// The computed price is zero.
    ZeroPrice,
    /// Pricing overflowed (absurd scale × quantity).
    PriceOverflow,
    /// The price is above what the tenant offers.
    PriceAboveCeiling {
        price: String,
        max: String,
    },
    /// The pricing script could not be run.
    ScriptFailedToStart {
        path: String,
        error: String,
    },
    ScriptExited {
        code: Option<i32>,
        stderr: String,
    },
    ScriptTimedOut {
        secs: u64,
    },
    ScriptBadOutput {
        output: String,
    },
    ScriptNotPositive {
        output: String,
    },
    /// Too many scripts were already running for the whole timeout.
    ScriptBusy {
        limit: usize,
    },
    /// A unit asks for a leased IP endpoint (SDL `ip:`); this provider has no IP leasing.
    LeasedIpUnsupported {
        unit: u32,
    },
    /// The order asks for GPUs and this provider's containers run without a GPU runtime.
    NoGpuRuntime {
        asked: u128,
    },
}

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Decline::*;
        match self {
            InvalidGroup { reason } => write!(f, "the order's group is invalid: {reason}"),
            MissingAttribute { key, value } => write!(
                f,
                "the order requires provider attribute {key}={value}, which this provider does not \
                 have on chain (add it with `kumo tx provider update` if you want these orders)"
            ),
            AttributeMismatch { key, wanted, have } => write!(
                f,
                "the order requires provider attribute {key}={wanted}, but this provider's {key} is {have}"
            ),
            ProviderRequiresAttribute { key, value } => write!(
                f,
                "your config (bid.attributes) only bids on orders that ask for {key}={value}; this \
                 order does not"
            ),
            AuditorSignatureMissing { auditor } => write!(
                f,
                "the order requires attributes signed by auditor {auditor}, who has not signed them \
                 for this provider"
            ),
            NoAuditorSigned { any_of } => write!(
                f,
                "the order requires attributes signed by one of the auditors {}, and none has signed \
                 them for this provider",
                any_of.join(", ")
            ),
            StorageClassNotAdvertised { class } => write!(
                f,
                "the order asks for storage class {class}, which this provider's on-chain attributes \
                 do not list (capabilities/storage/<n>/class={class})"
            ),
            StorageClassUnsupported { class } => write!(
                f,
                "the order asks for storage class {class}, and the inventory has no {class} pool \
                 (inventory.storage_classes)"
            ),
            GpuNotAdvertised { requested } => write!(
                f,
                "the order asks for GPU {requested}, which matches none of this provider's on-chain \
                 capabilities/gpu/... attributes"
            ),
            GpuModelUnavailable {
                requested,
                asked,
                free,
            } => write!(
                f,
                "the order asks for {asked} GPU(s) of {requested}; free matching GPUs: {free}"
            ),
            TooManyVolumes { unit, volumes, max } => write!(
                f,
                "resource unit {unit} asks for {volumes} storage volumes; this provider allows at \
                 most {max} (bid.max_group_volumes)"
            ),
            InsufficientCapacity {
                resource,
                class,
                asked,
                free,
            } => {
                let class = class
                    .as_ref()
                    .map(|c| format!(" of class {c}"))
                    .unwrap_or_default();
                write!(
                    f,
                    "not enough {}{class}: the order needs {} and {} is free",
                    resource.name(),
                    resource.show(*asked),
                    resource.show(*free)
                )
            }
            DenomMismatch { first, other } => write!(
                f,
                "the order's units are priced in different denoms ({first} and {other})"
            ),
            DenomNotAccepted { denom, accepted } => write!(
                f,
                "the order pays in {denom}; this provider accepts {} (bid.denoms)",
                accepted.join(", ")
            ),
            NoStoragePrice { class } => write!(
                f,
                "no price for storage class {class}: set pricing.scale.storage.{class}"
            ),
            NoGpuPrice { model } => write!(
                f,
                "no price for GPU model {model}: set pricing.scale.gpu.{model} or a \"*\" price"
            ),
            ZeroPrice => write!(f, "the computed price is 0; set non-zero pricing.scale values"),
            PriceOverflow => write!(f, "the price computation overflowed; check pricing.scale"),
            PriceAboveCeiling { price, max } => write!(
                f,
                "price too high: this provider's price is {price} per block and the order pays at \
                 most {max}"
            ),
            ScriptFailedToStart { path, error } => {
                write!(f, "the pricing script {path} could not be started: {error}")
            }
            ScriptExited { code, stderr } => {
                let code = code
                    .map(|c| format!("code {c}"))
                    .unwrap_or_else(|| "a signal".into());
                if stderr.is_empty() {
                    write!(f, "the pricing script exited with {code}")
                } else {
                    write!(f, "the pricing script exited with {code}: {stderr}")
                }
            }
            ScriptTimedOut { secs } => write!(
                f,
                "the pricing script did not answer within {secs}s (pricing.script.timeout) and was killed"
            ),
            ScriptBadOutput { output } => write!(
                f,
                "the pricing script printed {output:?}; it must print one decimal price per block"
            ),
            ScriptNotPositive { output } => write!(
                f,
                "the pricing script printed {output:?}; a price must be greater than 0"
            ),
            ScriptBusy { limit } => write!(
                f,
                "all {limit} pricing script slots stayed busy for the whole timeout \
                 (pricing.script.process_limit)"
            ),
            LeasedIpUnsupported { unit } => write!(
                f,
                "resource unit {unit} asks for a leased IP endpoint (`ip:` in the SDL); this \
                 provider does not offer leased IPs"
            ),
            NoGpuRuntime { asked } => write!(
                f,
                "the order asks for {asked} GPU(s), but this provider runs containers without a \
                 GPU runtime (install the NVIDIA container runtime and set runtime.gpu = true)"
            ),
        }
    }
}

impl std::error::Error for Decline {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences() {
        assert_eq!(show_bytes(536870912), "512Mi (536870912 bytes)");
        assert_eq!(show_bytes(1000), "1000 bytes");
        let d = Decline::InsufficientCapacity {
            resource: Resource::Cpu,
            class: None,
            asked: 4500,
            free: 2000,
        };
        assert_eq!(
            d.to_string(),
            "not enough CPU: the order needs 4500m CPU (4.500 cores) and 2000m CPU (2.000 cores) is free"
        );
        let d = Decline::InsufficientCapacity {
            resource: Resource::Storage,
            class: Some("beta2".into()),
            asked: 2 << 30,
            free: 1 << 30,
        };
        assert!(d.to_string().contains("persistent storage of class beta2"));
    }
}
