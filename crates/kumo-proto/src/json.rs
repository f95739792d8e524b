//! Proto-JSON of Akash messages the way the Cosmos SDK writes it for REST answers and typed
//! events (jsonpb with `OrigName: true, EmitDefaults: true`): proto field names, every field
//! present, 64-bit integers quoted, enums by name, bytes in base64.

use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};
use std::sync::OnceLock;

pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::DESCRIPTORS).expect("embedded descriptors decode")
    })
}

/// Renders `msg` (encoded bytes of the type `full_name`, e.g. `akash.market.v1.LeaseID`) as
/// SDK-style proto-JSON. Unknown names and undecodable bytes are programming errors here,
/// reported as `Err` so callers can answer with an internal error rather than panic.
pub fn to_json(full_name: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    let desc = pool()
        .get_message_by_name(full_name)
        .ok_or_else(|| format!("unknown message type {full_name}"))?;
    let msg = DynamicMessage::decode(desc, bytes).map_err(|e| format!("{full_name}: {e}"))?;
    let opts = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
        .stringify_64_bit_integers(true);
    msg.serialize_with_options(serde_json::value::Serializer, &opts)
        .map_err(|e| format!("{full_name}: {e}"))
}

/// Proto-JSON of a generated message.
pub fn message_json<M: prost::Message + prost::Name>(m: &M) -> serde_json::Value {
    to_json(&M::full_name(), &m.encode_to_vec()).expect("generated type is in the pool")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::akash::base::attributes::v1::{Attribute, PlacementRequirements, SignedBy};
    use crate::akash::base::resources::v1beta4::{Cpu, ResourceValue};
    use prost::Name;

    #[test]
    fn type_urls_are_akash_ones() {
        assert_eq!(Attribute::type_url(), "/akash.base.attributes.v1.Attribute");
    }

    #[test]
    fn json_uses_proto_names_and_emits_defaults() {
        let p = PlacementRequirements {
            signed_by: Some(SignedBy::default()),
            attributes: vec![Attribute {
                key: "region".into(),
                value: "us-west".into(),
            }],
        };
        let j = message_json(&p);
        assert_eq!(
            j,
            serde_json::json!({"signed_by": {"all_of": [], "any_of": []},
                "attributes": [{"key": "region", "value": "us-west"}]})
        );
        let cpu = Cpu {
            units: Some(ResourceValue {
                val: b"1000".to_vec(),
            }),
            attributes: vec![],
        };
        // math.Int travels as the decimal string's bytes; JSON shows them in base64 as gogo does.
        assert_eq!(message_json(&cpu)["units"]["val"], "MTAwMA==");
    }
}
