//! Builders for GroupSpecs in tests.

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use kumo_proto::akash::base::attributes::v1::{Attribute, PlacementRequirements, SignedBy};
use kumo_proto::akash::base::resources::v1beta4::{
    endpoint, Cpu, Endpoint, Gpu, Memory, ResourceValue, Resources, Storage,
};
use kumo_proto::akash::deployment::v1beta4::{GroupSpec, ResourceUnit};
use kumo_proto::akash::market::v1::OrderId;

pub const GI: u64 = 1 << 30;
pub const MI: u64 = 1 << 20;

pub fn attr(k: &str, v: &str) -> Attribute {
    Attribute {
        key: k.into(),
        value: v.into(),
    }
}

fn rv(n: u64) -> Option<ResourceValue> {
    Some(ResourceValue {
        val: n.to_string().into_bytes(),
    })
}

pub fn order(dseq: u64) -> OrderId {
    OrderId {
        owner: "akash1tenant".into(),
        dseq,
        gseq: 1,
        oseq: 1,
    }
}

/// One resource unit: `count` × (`milli` CPU, `mem` bytes, an ephemeral volume of `disk` bytes),
/// priced `price` uakt per block per replica.
#[derive(Clone)]
pub struct Unit(pub ResourceUnit);

impl Unit {
    pub fn new(count: u32, milli: u64, mem: u64, disk: u64, price: &str) -> Unit {
        Unit(ResourceUnit {
            resource: Some(Resources {
                id: 1,
                cpu: Some(Cpu {
                    units: rv(milli),
                    attributes: vec![],
                }),
                memory: Some(Memory {
                    quantity: rv(mem),
                    attributes: vec![],
                }),
                storage: vec![Storage {
                    name: "default".into(),
                    quantity: rv(disk),
                    attributes: vec![],
                }],
                gpu: Some(Gpu {
                    units: rv(0),
                    attributes: vec![],
                }),
                endpoints: vec![],
            }),
            count,
            price: Some(DecCoin {
                denom: "uakt".into(),
                // LegacyDec atomics on the wire.
                amount: price
                    .parse::<kumo_proto::math::Dec>()
                    .unwrap()
                    .atomics()
                    .to_string(),
            }),
        })
    }

    fn res(&mut self) -> &mut Resources {
        self.0.resource.as_mut().unwrap()
    }

    pub fn volume(mut self, name: &str, size: u64, class: &str, persistent: bool) -> Unit {
        let mut attributes = vec![];
        if persistent || class == "ram" {
            attributes.push(attr("class", class));
            attributes.push(attr(
                "persistent",
                if persistent { "true" } else { "false" },
            ));
        }
        self.res().storage.push(Storage {
            name: name.into(),
            quantity: rv(size),
            attributes,
        });
        self
    }

    pub fn gpu(mut self, units: u64, keys: &[&str]) -> Unit {
        self.res().gpu = Some(Gpu {
            units: rv(units),
            attributes: keys.iter().map(|k| attr(k, "true")).collect(),
        });
        self
    }

    pub fn endpoint(mut self, kind: endpoint::Kind, seq: u32) -> Unit {
        self.res().endpoints.push(Endpoint {
            kind: kind as i32,
            sequence_number: seq,
        });
        self
    }

    pub fn denom(mut self, d: &str) -> Unit {
        self.0.price.as_mut().unwrap().denom = d.into();
        self
    }
}

pub fn group(units: Vec<Unit>) -> GroupSpec {
    GroupSpec {
        name: "web".into(),
        requirements: Some(PlacementRequirements {
            signed_by: None,
            attributes: vec![],
        }),
        resources: units
            .into_iter()
            .enumerate()
            .map(|(i, mut u)| {
                u.res().id = i as u32 + 1;
                u.0
            })
            .collect(),
    }
}

pub fn with_placement(mut g: GroupSpec, attrs: &[(&str, &str)]) -> GroupSpec {
    g.requirements.as_mut().unwrap().attributes = attrs.iter().map(|(k, v)| attr(k, v)).collect();
    g
}

pub fn with_signed_by(mut g: GroupSpec, all_of: &[&str], any_of: &[&str]) -> GroupSpec {
    g.requirements.as_mut().unwrap().signed_by = Some(SignedBy {
        all_of: all_of.iter().map(|s| s.to_string()).collect(),
        any_of: any_of.iter().map(|s| s.to_string()).collect(),
    });
    g
}
