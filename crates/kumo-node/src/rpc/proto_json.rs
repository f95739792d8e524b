//! Protobuf messages as the Cosmos SDK's grpc-gateway writes them (gogoproto jsonpb with
//! `OrigName: true, EmitDefaults: true`), driven by the descriptors in `kumo_proto::json::pool()`:
//! proto field names, every field present (an unset sub-message or empty bytes is `null`),
//! 64-bit integers as strings, enums by name, bytes in base64, `Timestamp` as RFC 3339, `Duration` as `"1.5s"`,
//! `Any` as `{"@type": url, …fields}`, and gogoproto custom types in their own JSON form.
//!
//! Why not prost-reflect's serde support: it only resolves `Any` with a `type.googleapis.com/`
//! prefix (Cosmos writes `/cosmos.bank.v1beta1.MsgSend`) and fails on a type it does not know,
//! while a gateway answer must still render, e.g. a proposal carrying a message we have no
//! descriptor for (written `{"@type": url, "value": base64}`).

use super::format::{b64, rfc3339_proto};
use kumo_proto::math::Dec;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Value,
};
use serde_json::{json, Map, Value as Json};

/// How a gogoproto custom type's field is written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Custom {
    /// `math.Int` on a bytes field: the decimal text.
    IntBytes,
    /// `LegacyDec` on a string field: the wire holds the value × 10^18 as an integer; JSON has
    /// 18 fractional digits.
    DecString,
    /// `LegacyDec` on a bytes field (mint, slashing and gov v1beta1 params): the same integer
    /// text, as bytes.
    DecBytes,
}

/// (message, field) -> custom type, from the SDK and Akash protos' `(gogoproto.customtype)`.
/// `math.Int` on string fields needs no entry: the wire text is the JSON text.
const CUSTOM_TYPES: &[(&str, &str, Custom)] = &[
    ("cosmos.base.v1beta1.DecCoin", "amount", Custom::DecString),
    (
        "cosmos.staking.v1beta1.Validator",
        "delegator_shares",
        Custom::DecString,
    ),
    (
        "cosmos.staking.v1beta1.CommissionRates",
        "rate",
        Custom::DecString,
    ),
    (
        "cosmos.staking.v1beta1.CommissionRates",
        "max_rate",
        Custom::DecString,
    ),
    (
        "cosmos.staking.v1beta1.CommissionRates",
        "max_change_rate",
        Custom::DecString,
    ),
    (
        "cosmos.staking.v1beta1.Delegation",
        "shares",
        Custom::DecString,
    ),
    (
        "cosmos.staking.v1beta1.RedelegationEntry",
        "shares_dst",
        Custom::DecString,
    ),
    (
        "cosmos.staking.v1beta1.Params",
        "min_commission_rate",
        Custom::DecString,
    ),
    (
        "cosmos.distribution.v1beta1.Params",
        "community_tax",
        Custom::DecString,
    ),
    (
        "cosmos.distribution.v1beta1.Params",
        "base_proposer_reward",
        Custom::DecString,
    ),
    (
        "cosmos.distribution.v1beta1.Params",
        "bonus_proposer_reward",
        Custom::DecString,
    ),
    (
        "cosmos.distribution.v1beta1.ValidatorSlashEvent",
        "fraction",
        Custom::DecString,
    ),
    (
        "cosmos.distribution.v1beta1.DelegatorStartingInfo",
        "stake",
        Custom::DecString,
    ),
    ("cosmos.mint.v1beta1.Minter", "inflation", Custom::DecString),
    (
        "cosmos.mint.v1beta1.Minter",
        "annual_provisions",
        Custom::DecString,
    ),
    (
        "cosmos.mint.v1beta1.Params",
        "inflation_rate_change",
        Custom::DecString,
    ),
    (
        "cosmos.mint.v1beta1.Params",
        "inflation_max",
        Custom::DecString,
    ),
    (
        "cosmos.mint.v1beta1.Params",
        "inflation_min",
        Custom::DecString,
    ),
    (
        "cosmos.mint.v1beta1.Params",
        "goal_bonded",
        Custom::DecString,
    ),
    (
        "cosmos.mint.v1beta1.QueryInflationResponse",
        "inflation",
        Custom::DecBytes,
    ),
    (
        "cosmos.mint.v1beta1.QueryAnnualProvisionsResponse",
        "annual_provisions",
        Custom::DecBytes,
    ),
    (
        "cosmos.slashing.v1beta1.Params",
        "min_signed_per_window",
        Custom::DecBytes,
    ),
    (
        "cosmos.slashing.v1beta1.Params",
        "slash_fraction_double_sign",
        Custom::DecBytes,
    ),
    (
        "cosmos.slashing.v1beta1.Params",
        "slash_fraction_downtime",
        Custom::DecBytes,
    ),
    ("cosmos.gov.v1beta1.TallyParams", "quorum", Custom::DecBytes),
    (
        "cosmos.gov.v1beta1.TallyParams",
        "threshold",
        Custom::DecBytes,
    ),
    (
        "cosmos.gov.v1beta1.TallyParams",
        "veto_threshold",
        Custom::DecBytes,
    ),
    (
        "cosmos.gov.v1beta1.WeightedVoteOption",
        "weight",
        Custom::DecString,
    ),
    (
        "akash.base.resources.v1beta4.ResourceValue",
        "val",
        Custom::IntBytes,
    ),
    ("akash.escrow.types.v1.Balance", "amount", Custom::DecString),
];

fn custom_of(msg: &MessageDescriptor, field: &FieldDescriptor) -> Option<Custom> {
    CUSTOM_TYPES
        .iter()
        .find(|(m, f, _)| *m == msg.full_name() && *f == field.name())
        .map(|(_, _, c)| *c)
}

/// Decodes `bytes` as the message `full_name` and renders it; `Err` names what failed.
pub fn to_json(full_name: &str, bytes: &[u8]) -> Result<Json, String> {
    let desc = kumo_proto::json::pool()
        .get_message_by_name(full_name)
        .ok_or_else(|| format!("no descriptor for {full_name}"))?;
    let msg = DynamicMessage::decode(desc, bytes).map_err(|e| format!("{full_name}: {e}"))?;
    Ok(message_json(&msg))
}

/// One message, well-known types in their special forms.
pub fn message_json(msg: &DynamicMessage) -> Json {
    let desc = msg.descriptor();
    match desc.full_name() {
        "google.protobuf.Timestamp" => return timestamp_json(msg),
        "google.protobuf.Duration" => return duration_json(msg),
        "google.protobuf.Any" => return any_message_json(msg),
        _ => {}
    }
    let mut out = Map::new();
    for field in desc.fields() {
        // Only the member that is set of a oneof is written, as jsonpb does.
        if field.containing_oneof().is_some() && !msg.has_field(&field) {
            continue;
        }
        let v = if matches!(field.kind(), Kind::Message(_))
            && !field.is_list()
            && !field.is_map()
            && !msg.has_field(&field)
        {
            Json::Null
        } else {
            let value = msg.get_field(&field);
            match (custom_of(&desc, &field), &*value) {
                (Some(c), v) => custom_json(c, v),
                // Go decodes an absent bytes field as a nil slice, which encoding/json writes
                // as null (e.g. the last page's `next_key`).
                (None, Value::Bytes(b)) if b.is_empty() => Json::Null,
                (None, v) => value_json(&field, v),
            }
        };
        out.insert(field.name().to_string(), v);
    }
    Json::Object(out)
}

fn value_json(field: &FieldDescriptor, v: &Value) -> Json {
    match v {
        Value::List(items) => Json::Array(items.iter().map(|i| scalar_json(field, i)).collect()),
        Value::Map(entries) => {
            let value_field = match field.kind() {
                Kind::Message(entry) => entry.map_entry_value_field(),
                _ => return Json::Null,
            };
            let mut m = Map::new();
            for (k, v) in entries {
                let key = match k {
                    MapKey::Bool(b) => b.to_string(),
                    MapKey::I32(n) => n.to_string(),
                    MapKey::I64(n) => n.to_string(),
                    MapKey::U32(n) => n.to_string(),
                    MapKey::U64(n) => n.to_string(),
                    MapKey::String(s) => s.clone(),
                };
                m.insert(key, scalar_json(&value_field, v));
            }
            Json::Object(m)
        }
        other => scalar_json(field, other),
    }
}

fn scalar_json(field: &FieldDescriptor, v: &Value) -> Json {
    match v {
        Value::Bool(b) => json!(b),
        Value::I32(n) => json!(n),
        Value::U32(n) => json!(n),
        Value::I64(n) => json!(n.to_string()),
        Value::U64(n) => json!(n.to_string()),
        Value::F32(n) => json!(n),
        Value::F64(n) => json!(n),
        Value::String(s) => json!(s),
        Value::Bytes(b) => json!(b64(b)),
        Value::EnumNumber(n) => match field.kind() {
            Kind::Enum(e) => e
                .get_value(*n)
                .map_or_else(|| json!(n), |ev| json!(ev.name())),
            _ => json!(n),
        },
        Value::Message(m) => message_json(m),
        Value::List(_) | Value::Map(_) => value_json(field, v),
    }
}

fn custom_json(c: Custom, v: &Value) -> Json {
    match v {
        Value::List(items) => Json::Array(items.iter().map(|i| custom_json(c, i)).collect()),
        Value::String(s) => match c {
            Custom::DecString | Custom::DecBytes => json!(legacy_dec_text(s)),
            Custom::IntBytes => json!(s),
        },
        Value::Bytes(b) => match (c, std::str::from_utf8(b)) {
            (Custom::IntBytes, Ok("")) => json!("0"),
            (Custom::IntBytes, Ok(text)) => json!(text),
            (Custom::DecBytes | Custom::DecString, Ok(text)) => json!(legacy_dec_text(text)),
            (_, Err(_)) => json!(b64(b)),
        },
        other => json!(other.as_str().unwrap_or_default()),
    }
}

/// `LegacyDec` wire text (the value × 10^18, possibly negative, empty for zero) as the SDK's
/// JSON writes it: `"0.130000000000000000"`. Text that is not such an integer (a node that
/// already wrote a decimal) is left as it is.
pub fn legacy_dec_text(wire: &str) -> String {
    let (sign, digits) = match wire.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", wire),
    };
    if digits.is_empty() {
        return Dec::from_atomics(0).to_legacy_string();
    }
    match digits.parse::<u128>() {
        Ok(a) if digits.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{sign}{}", Dec::from_atomics(a).to_legacy_string())
        }
        _ => wire.to_string(),
    }
}

fn int_field(msg: &DynamicMessage, name: &str) -> i64 {
    match msg.get_field_by_name(name).as_deref() {
        Some(Value::I64(n)) => *n,
        Some(Value::I32(n)) => i64::from(*n),
        _ => 0,
    }
}

fn timestamp_json(msg: &DynamicMessage) -> Json {
    json!(rfc3339_proto(kumo_app::abci::BlockTime {
        seconds: int_field(msg, "seconds"),
        nanos: int_field(msg, "nanos").clamp(0, 999_999_999) as u32,
    }))
}

/// `Duration` the way protobuf JSON writes it: seconds with 0, 3, 6 or 9 fractional digits.
pub fn duration_text(seconds: i64, nanos: i32) -> String {
    let negative = seconds < 0 || nanos < 0;
    let (s, n) = (seconds.unsigned_abs(), nanos.unsigned_abs());
    let sign = if negative { "-" } else { "" };
    let frac = if n == 0 {
        String::new()
    } else if n % 1_000_000 == 0 {
        format!(".{:03}", n / 1_000_000)
    } else if n % 1000 == 0 {
        format!(".{:06}", n / 1000)
    } else {
        format!(".{n:09}")
    };
    format!("{sign}{s}{frac}s")
}

fn duration_json(msg: &DynamicMessage) -> Json {
    json!(duration_text(
        int_field(msg, "seconds"),
        int_field(msg, "nanos") as i32
    ))
}

fn any_message_json(msg: &DynamicMessage) -> Json {
    let type_url = match msg.get_field_by_name("type_url").as_deref() {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let value = match msg.get_field_by_name("value").as_deref() {
        Some(Value::Bytes(b)) => b.to_vec(),
        _ => Vec::new(),
    };
    any_json(&type_url, &value)
}

/// An `Any` (type URL and encoded value) in gateway JSON.
pub fn any_json(type_url: &str, value: &[u8]) -> Json {
    let name = type_url.rsplit('/').next().unwrap_or_default();
    let decoded = kumo_proto::json::pool()
        .get_message_by_name(name)
        .and_then(|d| DynamicMessage::decode(d, value).ok());
    match decoded.map(|m| message_json(&m)) {
        Some(Json::Object(fields)) => {
            let mut out = Map::new();
            out.insert("@type".into(), json!(type_url));
            out.extend(fields);
            Json::Object(out)
        }
        // A well-known type inside an Any keeps its special form under `value`.
        Some(special) => json!({"@type": type_url, "value": special}),
        None => json!({"@type": type_url, "value": b64(value)}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    #[test]
    fn legacy_decs_get_eighteen_decimals() {
        assert_eq!(
            legacy_dec_text("130000000000000000"),
            "0.130000000000000000"
        );
        assert_eq!(legacy_dec_text(""), "0.000000000000000000");
        assert_eq!(
            legacy_dec_text("-1500000000000000000"),
            "-1.500000000000000000"
        );
        assert_eq!(legacy_dec_text("0.5"), "0.5");
    }

    #[test]
    fn durations_trim_to_groups_of_three() {
        assert_eq!(duration_text(1_209_600, 0), "1209600s");
        assert_eq!(duration_text(1, 500_000_000), "1.500s");
        assert_eq!(duration_text(0, 1), "0.000000001s");
        assert_eq!(duration_text(0, 0), "0s");
    }

    #[test]
    fn validators_render_like_the_gateway() {
        use cosmos_sdk_proto::cosmos::staking::v1beta1 as st;
        let v = st::Validator {
            operator_address: "akashvaloper1x".into(),
            consensus_pubkey: Some(cosmos_sdk_proto::Any {
                type_url: "/cosmos.crypto.ed25519.PubKey".into(),
                value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey { key: vec![7; 32] }
                    .encode_to_vec(),
            }),
            status: st::BondStatus::Bonded as i32,
            tokens: "100".into(),
            delegator_shares: "100000000000000000000".into(),
            unbonding_time: Some(cosmos_sdk_proto::Timestamp {
                seconds: 0,
                nanos: 0,
            }),
            commission: Some(st::Commission {
                commission_rates: Some(st::CommissionRates {
                    rate: "100000000000000000".into(),
                    max_rate: "200000000000000000".into(),
                    max_change_rate: "10000000000000000".into(),
                }),
                update_time: None,
            }),
            ..Default::default()
        };
        let resp = st::QueryValidatorResponse { validator: Some(v) };
        let j = to_json(
            "cosmos.staking.v1beta1.QueryValidatorResponse",
            &resp.encode_to_vec(),
        )
        .unwrap();
        let v = &j["validator"];
        assert_eq!(v["status"], "BOND_STATUS_BONDED");
        assert_eq!(v["delegator_shares"], "100.000000000000000000");
        assert_eq!(v["unbonding_height"], "0");
        assert_eq!(v["unbonding_time"], "1970-01-01T00:00:00Z");
        assert_eq!(v["description"], Json::Null);
        assert_eq!(v["unbonding_ids"], json!([]));
        assert_eq!(
            v["consensus_pubkey"],
            json!({"@type": "/cosmos.crypto.ed25519.PubKey", "key": b64(&[7; 32])})
        );
        assert_eq!(
            v["commission"]["commission_rates"]["rate"],
            "0.100000000000000000"
        );
        assert_eq!(v["commission"]["update_time"], Json::Null);
        let page = cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse {
            next_key: vec![],
            total: 3,
        };
        let j = to_json(
            "cosmos.base.query.v1beta1.PageResponse",
            &page.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(j, json!({"next_key": null, "total": "3"}));
    }

    #[test]
    fn unknown_any_types_keep_their_bytes_and_oneofs_show_the_set_member() {
        use cosmos_sdk_proto::cosmos::authz::v1beta1 as az;
        let grant = az::Grant {
            authorization: Some(cosmos_sdk_proto::Any {
                type_url: "/example.v1.Unknown".into(),
                value: vec![1, 2, 3],
            }),
            expiration: None,
        };
        let j = to_json("cosmos.authz.v1beta1.Grant", &grant.encode_to_vec()).unwrap();
        assert_eq!(
            j["authorization"],
            json!({"@type": "/example.v1.Unknown", "value": "AQID"})
        );
        use cosmos_sdk_proto::cosmos::staking::v1beta1 as st;
        let auth = st::StakeAuthorization {
            max_tokens: None,
            authorization_type: st::AuthorizationType::Delegate as i32,
            validators: Some(st::stake_authorization::Policy::AllowList(
                st::stake_authorization::Validators {
                    address: vec!["akashvaloper1x".into()],
                },
            )),
        };
        let j = to_json(
            "cosmos.staking.v1beta1.StakeAuthorization",
            &auth.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(j["allow_list"], json!({"address": ["akashvaloper1x"]}));
        assert!(j.get("deny_list").is_none());
        assert_eq!(j["authorization_type"], "AUTHORIZATION_TYPE_DELEGATE");
    }
}
