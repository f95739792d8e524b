//! Proto-JSON of Akash messages the way the Cosmos SDK writes it for REST answers and typed
//! events (gogoproto jsonpb with `OrigName: true, EmitDefaults: true`): proto field names, every
//! field present, 64-bit integers quoted, enums by name, bytes in base64 — except gogoproto
//! custom types, which marshal through their own JSON form:
//! - `math.Int` on a bytes field (`ResourceValue.val`) is the decimal string, not base64;
//! - `LegacyDec` on a string field (`DecCoin.amount`, escrow `Balance.amount`) travels as the
//!   integer value × 10^18 but is written in JSON as a decimal with 18 fractional digits.

use crate::math::Dec;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MessageDescriptor, SerializeOptions};
use serde_json::Value;
use std::sync::OnceLock;

pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::DESCRIPTORS).expect("embedded descriptors decode")
    })
}

/// Fields whose Go type is a gogoproto custom type: (message, field, kind).
const CUSTOM_TYPES: &[(&str, &str, Custom)] = &[
    (
        "akash.base.resources.v1beta4.ResourceValue",
        "val",
        Custom::IntBytes,
    ),
    ("cosmos.base.v1beta1.DecCoin", "amount", Custom::LegacyDec),
    ("akash.escrow.types.v1.Balance", "amount", Custom::LegacyDec),
];

#[derive(Copy, Clone, PartialEq, Eq)]
enum Custom {
    IntBytes,
    LegacyDec,
}

fn custom_of(msg: &str, field: &str) -> Option<Custom> {
    CUSTOM_TYPES
        .iter()
        .find(|(m, f, _)| *m == msg && *f == field)
        .map(|(_, _, c)| *c)
}

/// Renders `msg` (encoded bytes of the type `full_name`, e.g. `akash.market.v1.LeaseID`) as
/// SDK-style proto-JSON. Unknown names and undecodable bytes are reported as `Err` so callers
/// can answer with an internal error rather than panic.
pub fn to_json(full_name: &str, bytes: &[u8]) -> Result<Value, String> {
    let desc = pool()
        .get_message_by_name(full_name)
        .ok_or_else(|| format!("unknown message type {full_name}"))?;
    let msg =
        DynamicMessage::decode(desc.clone(), bytes).map_err(|e| format!("{full_name}: {e}"))?;
    let opts = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
        .stringify_64_bit_integers(true);
    let mut v = msg
        .serialize_with_options(serde_json::value::Serializer, &opts)
        .map_err(|e| format!("{full_name}: {e}"))?;
    apply_custom_types(&mut v, &desc);
    Ok(v)
}

fn apply_custom_types(v: &mut Value, desc: &MessageDescriptor) {
    let Value::Object(map) = v else { return };
    for field in desc.fields() {
        let Some(fv) = map.get_mut(field.name()) else {
            continue;
        };
        if let Some(custom) = custom_of(desc.full_name(), field.name()) {
            rewrite_custom(fv, custom);
            continue;
        }
        if let Kind::Message(sub) = field.kind() {
            match fv {
                Value::Array(items) => items.iter_mut().for_each(|i| apply_custom_types(i, &sub)),
                Value::Object(_) if field.is_map() => {}
                other => apply_custom_types(other, &sub),
            }
        }
    }
}

fn rewrite_custom(v: &mut Value, custom: Custom) {
    use base64::Engine;
    if let Value::Array(items) = v {
        items.iter_mut().for_each(|i| rewrite_custom(i, custom));
        return;
    }
    let Value::String(s) = v else { return };
    match custom {
        Custom::IntBytes => {
            if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
                if let Ok(text) = String::from_utf8(raw) {
                    // math.Int marshals an empty value as "0".
                    *s = if text.is_empty() { "0".into() } else { text };
                }
            }
        }
        Custom::LegacyDec => {
            // Escrow funds go negative when an account is overdrawn.
            let (sign, digits) = match s.strip_prefix('-') {
                Some(rest) => ("-", rest),
                None => ("", s.as_str()),
            };
            let atomics = if digits.is_empty() {
                Some(0)
            } else {
                digits.parse::<u128>().ok()
            };
            if let Some(a) = atomics {
                *s = format!("{sign}{}", Dec::from_atomics(a).to_legacy_string());
            }
        }
    }
}

/// The reverse of [`to_json`]: reads SDK-style proto-JSON (proto or JSON field names, custom
/// types in their own JSON form) into the encoded bytes of `full_name` (genesis import).
pub fn from_json(full_name: &str, value: &Value) -> Result<Vec<u8>, String> {
    use prost::Message;
    let desc = pool()
        .get_message_by_name(full_name)
        .ok_or_else(|| format!("unknown message type {full_name}"))?;
    let mut v = value.clone();
    unapply_custom_types(&mut v, &desc)?;
    let msg = DynamicMessage::deserialize(desc, v).map_err(|e| format!("{full_name}: {e}"))?;
    Ok(msg.encode_to_vec())
}

/// Parses a generated message from SDK-style proto-JSON.
pub fn message_from_json<M: prost::Message + prost::Name + Default>(
    value: &Value,
) -> Result<M, String> {
    let bytes = from_json(&M::full_name(), value)?;
    M::decode(bytes.as_slice()).map_err(|e| format!("{}: {e}", M::full_name()))
}

fn unapply_custom_types(v: &mut Value, desc: &MessageDescriptor) -> Result<(), String> {
    let Value::Object(map) = v else { return Ok(()) };
    for field in desc.fields() {
        let key = if map.contains_key(field.name()) {
            field.name()
        } else {
            field.json_name()
        };
        let Some(fv) = map.get_mut(key) else {
            continue;
        };
        if let Some(custom) = custom_of(desc.full_name(), field.name()) {
            unrewrite_custom(fv, custom)?;
            continue;
        }
        if let Kind::Message(sub) = field.kind() {
            match fv {
                Value::Array(items) => {
                    for i in items.iter_mut() {
                        unapply_custom_types(i, &sub)?;
                    }
                }
                Value::Object(_) if field.is_map() => {}
                other => unapply_custom_types(other, &sub)?,
            }
        }
    }
    Ok(())
}

fn unrewrite_custom(v: &mut Value, custom: Custom) -> Result<(), String> {
    use base64::Engine;
    if let Value::Array(items) = v {
        for i in items.iter_mut() {
            unrewrite_custom(i, custom)?;
        }
        return Ok(());
    }
    let Value::String(s) = v else { return Ok(()) };
    match custom {
        Custom::IntBytes => {
            *s = base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
        }
        Custom::LegacyDec => {
            let (sign, digits) = match s.strip_prefix('-') {
                Some(rest) => ("-", rest),
                None => ("", s.as_str()),
            };
            let d: Dec = if digits.is_empty() {
                Dec::default()
            } else {
                digits
                    .parse()
                    .map_err(|e| format!("LegacyDec {s:?}: {e}"))?
            };
            *s = format!("{sign}{}", d.atomics());
        }
    }
    Ok(())
}

/// Proto-JSON of a generated message.
pub fn message_json<M: prost::Message + prost::Name>(m: &M) -> Value {
    to_json(&M::full_name(), &m.encode_to_vec()).expect("generated type is in the pool")
}

/// Reads a message given as SDK proto-JSON with its `"@type"` (the shape of one entry of
/// `body.messages` in a `--generate-only` tx file) into an `Any`, for any message type in the
/// pool (Akash's and the Cosmos messages declared in proto/cosmos).
pub fn any_from_json(value: &Value) -> Result<cosmos_sdk_proto::Any, String> {
    let Value::Object(fields) = value else {
        return Err(format!(
            "a message must be a JSON object with \"@type\", got {value}"
        ));
    };
    let type_url = fields.get("@type").and_then(Value::as_str).ok_or_else(|| {
        "the message has no \"@type\" (e.g. \"/cosmos.bank.v1beta1.MsgSend\")".to_string()
    })?;
    let full_name = type_url
        .strip_prefix('/')
        .ok_or_else(|| format!("\"@type\" {type_url:?} must start with '/'"))?;
    let mut body = fields.clone();
    body.remove("@type");
    let value = from_json(full_name, &Value::Object(body))?;
    Ok(cosmos_sdk_proto::Any {
        type_url: type_url.to_string(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::akash::base::attributes::v1::{Attribute, PlacementRequirements, SignedBy};
    use crate::akash::base::resources::v1beta4::{Cpu, ResourceValue};
    use crate::akash::deployment::v1beta4::ResourceUnit;
    use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
    use prost::Name;

    #[test]
    fn any_from_json_reads_cosmos_and_akash_messages() {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
        use prost::Message;
        let any = any_from_json(&serde_json::json!({
            "@type": "/cosmos.bank.v1beta1.MsgSend",
            "from_address": "akash1a", "to_address": "akash1b",
            "amount": [{"denom": "uakt", "amount": "5"}]
        }))
        .unwrap();
        assert_eq!(any.type_url, "/cosmos.bank.v1beta1.MsgSend");
        let m = MsgSend::decode(any.value.as_slice()).unwrap();
        assert_eq!(
            (m.to_address.as_str(), m.amount[0].amount.as_str()),
            ("akash1b", "5")
        );
        let dep = any_from_json(&serde_json::json!({
            "@type": "/akash.escrow.v1.MsgAccountDeposit", "signer": "akash1a"
        }))
        .unwrap();
        assert_eq!(dep.type_url, "/akash.escrow.v1.MsgAccountDeposit");
        for bad in [
            serde_json::json!({"from_address": "x"}),
            serde_json::json!({"@type": "cosmos.bank.v1beta1.MsgSend"}),
            serde_json::json!({"@type": "/no.such.Msg"}),
            serde_json::json!({"@type": "/cosmos.bank.v1beta1.MsgSend", "nope": 1}),
            serde_json::json!([1]),
        ] {
            assert!(any_from_json(&bad).is_err(), "{bad}");
        }
    }

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
    }

    #[test]
    fn custom_types_use_their_own_json_form() {
        let cpu = Cpu {
            units: Some(ResourceValue {
                val: b"1000".to_vec(),
            }),
            attributes: vec![],
        };
        assert_eq!(message_json(&cpu)["units"]["val"], "1000");
        let unit = ResourceUnit {
            resource: None,
            count: 2,
            price: Some(DecCoin {
                denom: "uakt".into(),
                amount: "1500000000000000000".into(),
            }),
        };
        let j = message_json(&unit);
        assert_eq!(j["price"]["amount"], "1.500000000000000000");
        assert_eq!(j["count"], 2);
        assert_eq!(j["resource"], Value::Null);
    }
}
