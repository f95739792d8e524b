//! The bid engine (`../shared/spec/akash-offchain.md` §2.3-2.7): for an open order, decide
//! whether to bid (and say why not), reserve capacity, price, and produce the bid.
//!
//! Everything here is synchronous and does no I/O (except the pricing script, which the daemon
//! runs between [`BidEngine::decide`] and [`BidEngine::finish_script`]), so the benchmark
//! measures exactly what runs per order.

pub mod decline;
pub mod pricing;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, VecDeque};

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use kumo_akash::attributes;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::resources::v1beta4::endpoint::Kind;
use kumo_proto::akash::base::resources::v1beta4::Gpu;
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1::OrderId;
use kumo_proto::akash::market::v1beta5::ResourceOffer;
use kumo_proto::math::Dec;
use serde_json::json;

pub use decline::{Decline, Resource};
use pricing::Pricing;

use crate::inventory::{order_key, GpuSelector, Inventory, UnitRequest};

/// Decisions kept for the status.
pub const DECISION_LOG_LEN: usize = 1000;

/// What the provider knows about itself when deciding.
#[derive(Clone, Debug, Default)]
pub struct ProviderState {
    pub address: String,
    /// Its on-chain attributes (`kumo query provider get`), capabilities included.
    pub attributes: Vec<Attribute>,
    /// Attributes auditors signed for it, by auditor.
    pub audited: BTreeMap<String, Vec<Attribute>>,
    /// `bid.attributes`: attributes orders must ask for.
    pub bid_attributes: Vec<Attribute>,
    pub max_group_volumes: usize,
    /// Accepted payment denoms.
    pub denoms: Vec<String>,
}

/// A bid to broadcast.
#[derive(Clone, Debug, PartialEq)]
pub struct Bid {
    pub price: DecCoin,
    pub resources_offer: Vec<ResourceOffer>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Bid(Bid),
    Decline(Decline),
    /// Capacity is reserved; the price comes from the script with this stdin. Finish with
    /// [`BidEngine::finish_script`].
    NeedsScript {
        input: String,
        denom: String,
    },
}

/// Whether the attribute-key glob `pattern` matches `key`: Go's `filepath.Match`, the chain's
/// own rule (`kumo_akash::attributes::glob_match`); a malformed pattern matches nothing.
pub fn glob_match(pattern: &str, key: &str) -> bool {
    attributes::glob_match(pattern, key) == Ok(true)
}

/// `Attribute.SubsetOf`: some attribute of `have` whose key the glob `a.key` matches and whose
/// value equals `a.value`.
fn attribute_in(a: &Attribute, have: &[Attribute]) -> bool {
    have.iter().any(|h| attributes::attribute_matches(a, h))
}

/// Stateless checks of a group (what the chain's `ValidateBasic` guarantees; a provider must not
/// trust a node blindly). Returns the group's denom.
fn validate_group(group: &GroupSpec) -> Result<String, Decline> {
    let invalid = |reason: String| Decline::InvalidGroup { reason };
    if group.name.is_empty() {
        return Err(invalid("the group has no name".into()));
    }
    if group.resources.is_empty() {
        return Err(invalid("the group has no resource units".into()));
    }
    let mut denom: Option<&str> = None;
    let mut ids = std::collections::BTreeSet::new();
    for u in &group.resources {
        let id = u.resource.as_ref().map(|r| r.id).unwrap_or(0);
        if id == 0 || !ids.insert(id) {
            return Err(invalid(format!(
                "resource unit id {id} is zero or repeated"
            )));
        }
        if u.count == 0 {
            return Err(invalid(format!("resource unit {id} has count 0")));
        }
        let Some(price) = &u.price else {
            return Err(invalid(format!("resource unit {id} has no price")));
        };
        match denom {
            None => denom = Some(&price.denom),
            Some(d) if d != price.denom => {
                return Err(Decline::DenomMismatch {
                    first: d.to_string(),
                    other: price.denom.clone(),
                })
            }
            _ => {}
        }
    }
    Ok(denom.unwrap_or_default().to_string())
}

/// The group's price ceiling: Σ unit price × count (`kumo_akash::group::price`, the chain's
/// `GroupSpec.Price()`).
pub fn max_price(group: &GroupSpec) -> Result<Dec, Decline> {
    match kumo_akash::group::price(group) {
        Ok((_, atomics)) => Ok(Dec::from_atomics(atomics)),
        Err(kumo_akash::group::PriceError::Overflow) => Err(Decline::PriceOverflow),
        Err(e) => Err(Decline::InvalidGroup {
            reason: format!("unit price: {e}"),
        }),
    }
}

/// `shouldBid` (§2.4): everything but capacity and price.
pub fn should_bid(group: &GroupSpec, p: &ProviderState) -> Result<String, Decline> {
    let denom = validate_group(group)?;
    if !p.denoms.contains(&denom) {
        return Err(Decline::DenomNotAccepted {
            denom,
            accepted: p.denoms.clone(),
        });
    }
    let req = group.requirements.clone().unwrap_or_default();
    // 1. The order's placement attributes ⊆ the provider's on-chain attributes.
    for a in &req.attributes {
        if !attribute_in(a, &p.attributes) {
            let have = p.attributes.iter().find(|h| glob_match(&a.key, &h.key));
            return Err(match have {
                Some(h) => Decline::AttributeMismatch {
                    key: a.key.clone(),
                    wanted: a.value.clone(),
                    have: h.value.clone(),
                },
                None => Decline::MissingAttribute {
                    key: a.key.clone(),
                    value: a.value.clone(),
                },
            });
        }
    }
    // 2. The provider's configured attributes ⊆ the order's requirements.
    for a in &p.bid_attributes {
        if !req
            .attributes
            .iter()
            .any(|r| r.key == a.key && r.value == a.value)
        {
            return Err(Decline::ProviderRequiresAttribute {
                key: a.key.clone(),
                value: a.value.clone(),
            });
        }
    }
    // 3. Resource capabilities, 4. volume count.
    let storage_caps = attributes::capabilities_groups(&p.attributes, "storage");
    let gpu_caps: Vec<&str> = p
        .attributes
        .iter()
        .filter_map(|a| a.key.strip_prefix("capabilities/gpu/"))
        .collect();
    for u in &group.resources {
        let Some(r) = &u.resource else { continue };
        if r.storage.len() > p.max_group_volumes {
            return Err(Decline::TooManyVolumes {
                unit: r.id,
                volumes: r.storage.len(),
                max: p.max_group_volumes,
            });
        }
        for s in &r.storage {
            if !s.attributes.is_empty()
                && !storage_caps
                    .iter()
                    .any(|g| attributes::subset_of(&s.attributes, g))
            {
                let class = s
                    .attributes
                    .iter()
                    .find(|a| a.key == "class")
                    .map(|a| a.value.clone())
                    .unwrap_or_else(|| "default".into());
                return Err(Decline::StorageClassNotAdvertised { class });
            }
        }
        // kumo has no IP leasing: the runtime refuses `ip:` endpoints, so never bid on them.
        if r.endpoints.iter().any(|e| e.kind == Kind::LeasedIp as i32) {
            return Err(Decline::LeasedIpUnsupported { unit: r.id });
        }
        if let Some(Gpu { units, attributes }) = &r.gpu {
            let n = units.as_ref().map(|v| v.val.as_slice()).unwrap_or_default();
            let has_units = !n.is_empty() && n != b"0";
            if has_units && !attributes.is_empty() {
                let ok = attributes
                    .iter()
                    .any(|a| gpu_caps.iter().any(|c| glob_match(&a.key, c)));
                if !ok {
                    return Err(Decline::GpuNotAdvertised {
                        requested: attributes
                            .iter()
                            .map(|a| a.key.as_str())
                            .collect::<Vec<_>>()
                            .join(" or "),
                    });
                }
                for a in attributes {
                    if GpuSelector::parse(&a.key).is_none() {
                        return Err(Decline::InvalidGroup {
                            reason: format!(
                                "GPU attribute {:?} is not vendor/<v>/model/<m>…",
                                a.key
                            ),
                        });
                    }
                }
            }
        }
    }
    // 5. signedBy: every all_of auditor, and one any_of auditor, signed ⊇ the placement.
    if let Some(sb) = &req.signed_by {
        let signed = |auditor: &str| {
            p.audited
                .get(auditor)
                .is_some_and(|attrs| attributes::subset_of(&req.attributes, attrs))
        };
        for auditor in &sb.all_of {
            if !signed(auditor) {
                return Err(Decline::AuditorSignatureMissing {
                    auditor: auditor.clone(),
                });
            }
        }
        if !sb.any_of.is_empty() && !sb.any_of.iter().any(|a| signed(a)) {
            return Err(Decline::NoAuditorSigned {
                any_of: sb.any_of.clone(),
            });
        }
    }
    Ok(denom)
}

/// One decision, as the status shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DecisionRecord {
    pub order: String,
    pub bid: bool,
    /// Why not (empty for a bid).
    pub reason: String,
    /// The bid's price per block (`12.5uakt`), empty for a decline.
    pub price: String,
    pub height: u64,
}

/// The provider's inventory, identity and pricing, and the last decisions.
pub struct BidEngine {
    pub provider: ProviderState,
    pub inventory: Inventory,
    pub pricing: Pricing,
    log: VecDeque<DecisionRecord>,
}

impl BidEngine {
    pub fn new(provider: ProviderState, inventory: Inventory, pricing: Pricing) -> BidEngine {
        BidEngine {
            provider,
            inventory,
            pricing,
            log: VecDeque::with_capacity(DECISION_LOG_LEN),
        }
    }

    /// `shouldBid` → GPU runtime → reserve → price → ceiling. A decline after the reservation
    /// releases it.
    pub fn decide(&mut self, order: &OrderId, group: &GroupSpec) -> Decision {
        decide_in(
            &self.provider,
            &mut self.inventory,
            &self.pricing,
            order,
            group,
        )
    }

    /// What [`BidEngine::decide`] would answer for this order now, without reserving anything
    /// or logging (the gateway's public `/orders/…/decision`). An order the provider already
    /// reserved for is judged as if that reservation were free. A pricing script is not run:
    /// such a decision is `unknown` once everything but the price fits.
    pub fn evaluate(&self, order: &OrderId, group: &GroupSpec) -> Evaluation {
        let mut inventory = self.inventory.clone();
        inventory.unreserve(order);
        let decision = decide_in(&self.provider, &mut inventory, &self.pricing, order, group);
        let key = order_key(order);
        let (decision, reason, price) = match decision {
            Decision::Bid(b) => ("bid", String::new(), Some(b.price)),
            Decision::Decline(d) => ("decline", d.to_string(), None),
            Decision::NeedsScript { .. } => (
                "unknown",
                "everything but the price fits; the price comes from this provider's pricing \
                 script, which runs only for real bids"
                    .to_string(),
                None,
            ),
        };
        Evaluation {
            order: key.clone(),
            decision: decision.into(),
            reason,
            price: price.map(|p| PriceJson {
                price: format!(
                    "{}{}",
                    Dec::from_wire(&p.amount).unwrap_or_default(),
                    p.denom
                ),
                denom: p.denom,
                amount: p.amount,
            }),
            attributes: self.provider.attributes.clone(),
            recorded: self.log.iter().rev().find(|r| r.order == key).cloned(),
        }
    }

    /// Completes a decision whose price came from the script.
    pub fn finish_script(
        &mut self,
        order: &OrderId,
        group: &GroupSpec,
        price: Result<Dec, Decline>,
    ) -> Decision {
        let units = self.inventory.reservation(order).map(|r| r.units.clone());
        let (Some(units), Ok(max), Ok(denom)) = (units, max_price(group), validate_group(group))
        else {
            self.inventory.unreserve(order);
            return Decision::Decline(Decline::InvalidGroup {
                reason: "the reservation made before pricing is gone".into(),
            });
        };
        conclude(&mut self.inventory, order, &units, price, max, &denom)
    }

    /// Logs the decision (tracing, with the order id) and keeps it for the status.
    pub fn record(&mut self, order: &OrderId, height: u64, decision: &Decision) {
        let order_s = order_key(order);
        let rec = match decision {
            Decision::Bid(b) => {
                let price = format!(
                    "{}{}",
                    Dec::from_wire(&b.price.amount).unwrap_or_default(),
                    b.price.denom
                );
                tracing::info!(order = %order_s, %price, "bidding");
                DecisionRecord {
                    order: order_s,
                    bid: true,
                    reason: String::new(),
                    price,
                    height,
                }
            }
            Decision::Decline(d) => {
                tracing::info!(order = %order_s, reason = %d, "not bidding");
                DecisionRecord {
                    order: order_s,
                    bid: false,
                    reason: d.to_string(),
                    price: String::new(),
                    height,
                }
            }
            Decision::NeedsScript { .. } => return,
        };
        if self.log.len() == DECISION_LOG_LEN {
            self.log.pop_front();
        }
        self.log.push_back(rec);
    }

    pub fn decisions(&self) -> impl DoubleEndedIterator<Item = &DecisionRecord> {
        self.log.iter()
    }

    /// `"bidengine"` of the status.
    pub fn status_json(&self, orders: usize) -> serde_json::Value {
        json!({
            "orders": orders,
            "decisions": self.log.iter().rev().collect::<Vec<_>>(),
        })
    }
}

/// [`BidEngine::decide`] on any inventory (the engine's own, or a copy for [`BidEngine::evaluate`]).
fn decide_in(
    provider: &ProviderState,
    inventory: &mut Inventory,
    pricing: &Pricing,
    order: &OrderId,
    group: &GroupSpec,
) -> Decision {
    let denom = match should_bid(group, provider) {
        Ok(d) => d,
        Err(e) => return Decision::Decline(e),
    };
    if !inventory.gpu_runtime() {
        let asked = gpus_asked(group);
        if asked > 0 {
            return Decision::Decline(Decline::NoGpuRuntime { asked });
        }
    }
    let max = match max_price(group) {
        Ok(m) => m,
        Err(e) => return Decision::Decline(e),
    };
    let units = match inventory.reserve(order, group) {
        Ok(r) => r.units.clone(),
        Err(e) => return Decision::Decline(e),
    };
    let priced = match pricing {
        Pricing::Scale(s) => s.price(&units),
        Pricing::Script(_) => {
            return Decision::NeedsScript {
                input: pricing::script_input(&units, &denom, max),
                denom,
            }
        }
    };
    conclude(inventory, order, &units, priced, max, &denom)
}

/// GPUs the group asks for in all: Σ units × count (unparsable counts count as one).
fn gpus_asked(group: &GroupSpec) -> u128 {
    group
        .resources
        .iter()
        .filter_map(|u| {
            let g = u.resource.as_ref()?.gpu.as_ref()?;
            let v = g.units.as_ref()?.val.as_slice();
            let n = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse::<u128>().ok())
                .unwrap_or(u128::from(!v.is_empty()));
            Some(n * u128::from(u.count))
        })
        .sum()
}

fn conclude(
    inventory: &mut Inventory,
    order: &OrderId,
    units: &[crate::inventory::Allocated],
    price: Result<Dec, Decline>,
    max: Dec,
    denom: &str,
) -> Decision {
    let decision = match price {
        Err(e) => Decision::Decline(e),
        Ok(p) if p.is_zero() => Decision::Decline(Decline::ZeroPrice),
        Ok(p) if p > max => Decision::Decline(Decline::PriceAboveCeiling {
            price: format!("{p}{denom}"),
            max: format!("{max}{denom}"),
        }),
        Ok(p) => Decision::Bid(Bid {
            price: DecCoin {
                denom: denom.to_string(),
                amount: p.atomics().to_string(),
            },
            resources_offer: units.iter().map(pricing::offer).collect(),
        }),
    };
    if matches!(decision, Decision::Decline(_)) {
        inventory.unreserve(order);
    }
    decision
}

/// A price as the decision endpoint shows it: the wire `DecCoin` plus a readable form.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceJson {
    pub denom: String,
    /// LegacyDec atomics (value × 10^18), as in `MsgCreateBid.price`.
    pub amount: String,
    /// e.g. `10.6144uakt` (per block).
    pub price: String,
}

/// The provider's answer to "would you bid on this order?" (`GET /orders/{owner}/{dseq}/{gseq}/
/// {oseq}/decision`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    pub order: String,
    /// `bid`, `decline` or `unknown`.
    pub decision: String,
    /// Why not (empty for `bid`).
    pub reason: String,
    /// What it would bid, per block.
    pub price: Option<PriceJson>,
    /// The provider's on-chain attributes.
    #[serde(with = "attributes_json")]
    pub attributes: Vec<Attribute>,
    /// The decision the daemon logged when the order was created, if it still keeps it.
    pub recorded: Option<DecisionRecord>,
}

mod attributes_json {
    use kumo_proto::akash::base::attributes::v1::Attribute;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Kv {
        key: String,
        value: String,
    }

    pub fn serialize<S: Serializer>(a: &[Attribute], s: S) -> Result<S::Ok, S::Error> {
        a.iter()
            .map(|a| Kv {
                key: a.key.clone(),
                value: a.value.clone(),
            })
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Attribute>, D::Error> {
        Ok(Vec::<Kv>::deserialize(d)?
            .into_iter()
            .map(|k| Attribute {
                key: k.key,
                value: k.value,
            })
            .collect())
    }
}

/// A GroupSpec's units as requests (for callers outside the engine).
pub fn unit_requests(group: &GroupSpec) -> Result<Vec<UnitRequest>, Decline> {
    group.resources.iter().map(UnitRequest::from_unit).collect()
}
