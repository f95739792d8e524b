//! The descriptor walk: protobuf bytes → amino JSON value, following x/tx `aminojson`.

use super::facts::{self, FieldEncoding, MessageEncoding};
use super::AminoError;
use base64::Engine;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, ReflectMessage, Value as PValue};
use serde_json::{Map, Value};

/// Field numbers from 1024 up are "non-critical" in the SDK: a decoder may ignore them. Lower
/// unknown fields are refused (the SDK's tx decoder refuses them too), so that nothing in a msg
/// can escape the amino signature.
const NON_CRITICAL_FIELD_MIN: u32 = 1024;

/// An `Any` as `{"type": amino name or "/" + full name, "value": …}`.
pub(crate) fn any(type_url: &str, value: &[u8]) -> Result<Value, AminoError> {
    // x/tx resolves the name after the last '/'.
    let full_name = type_url.rsplit('/').next().unwrap_or(type_url);
    let desc = crate::json::pool()
        .get_message_by_name(full_name)
        .filter(|_| !full_name.is_empty())
        .ok_or_else(|| AminoError::UnknownType {
            type_url: type_url.to_string(),
        })?;
    let msg = DynamicMessage::decode(desc, value).map_err(|e| AminoError::Decode {
        type_url: type_url.to_string(),
        reason: e.to_string(),
    })?;
    let name = match facts::message_name(full_name) {
        Some(name) => name.to_string(),
        None => format!("/{full_name}"),
    };
    let mut obj = Map::new();
    obj.insert("type".into(), Value::String(name));
    obj.insert("value".into(), message(&msg, type_url)?);
    Ok(Value::Object(obj))
}

/// A fee or deposit coin, through the same rules as a `Coin` inside a message.
pub(crate) fn coin(coin: &Coin) -> Result<Value, AminoError> {
    let desc = crate::json::pool()
        .get_message_by_name("cosmos.base.v1beta1.Coin")
        .ok_or_else(|| AminoError::UnknownType {
            type_url: "/cosmos.base.v1beta1.Coin".into(),
        })?;
    let msg = DynamicMessage::decode(desc, prost::Message::encode_to_vec(coin).as_slice())
        .map_err(|e| AminoError::Decode {
            type_url: "/cosmos.base.v1beta1.Coin".into(),
            reason: e.to_string(),
        })?;
    message(&msg, "/cosmos.base.v1beta1.Coin")
}

/// `type_url` is the outermost message's, for error messages.
fn message(msg: &DynamicMessage, type_url: &str) -> Result<Value, AminoError> {
    let desc = msg.descriptor();
    match desc.full_name() {
        "google.protobuf.Any" => {
            let url = msg
                .get_field_by_name("type_url")
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let bytes = msg
                .get_field_by_name("value")
                .and_then(|v| v.as_bytes().map(|b| b.to_vec()))
                .unwrap_or_default();
            return any(&url, &bytes);
        }
        "google.protobuf.Timestamp" => return timestamp(msg),
        "google.protobuf.Duration" => return duration(msg),
        _ => {}
    }
    if let Some(unknown) = msg
        .unknown_fields()
        .find(|f| f.number() < NON_CRITICAL_FIELD_MIN)
    {
        return Err(AminoError::Decode {
            type_url: type_url.to_string(),
            reason: format!("unknown field {} in {}", unknown.number(), desc.full_name()),
        });
    }
    if let Some(MessageEncoding::KeyField) = facts::message_encoding(desc.full_name()) {
        let key = msg
            .get_field_by_name("key")
            .and_then(|v| v.as_bytes().map(|b| b.to_vec()))
            .unwrap_or_default();
        return Ok(Value::String(b64(&key)));
    }
    let mut obj = Map::new();
    for field in desc.fields() {
        if field.is_map() {
            return Err(unsupported(&field, "map fields have no amino JSON form"));
        }
        if field.containing_oneof().is_some() && !field.field_descriptor_proto().proto3_optional() {
            return Err(unsupported(&field, "oneof fields need amino.oneof_name"));
        }
        let facts = facts::field(field.full_name());
        let present = msg.has_field(&field);
        if !present && !facts.dont_omitempty {
            continue;
        }
        let value = msg.get_field(&field);
        let json = match facts.encoding {
            Some(FieldEncoding::LegacyCoins) => {
                let items = value.as_list().unwrap_or(&[]);
                Value::Array(
                    items
                        .iter()
                        .map(|v| self::value(v, &field, type_url))
                        .collect::<Result<_, _>>()?,
                )
            }
            Some(FieldEncoding::CosmosInt) => cosmos_int(&value, &field)?,
            Some(FieldEncoding::LegacyDec) => legacy_dec(&value, &field)?,
            None if !present && field.is_list() => Value::Null,
            None if !present && matches!(field.kind(), Kind::Message(_)) => {
                return Err(unsupported(
                    &field,
                    "dont_omitempty sub-message absent from the wire (x/tx refuses it too)",
                ));
            }
            None => self::value(&value, &field, type_url)?,
        };
        let name = facts.name.unwrap_or(field.name());
        obj.insert(name.to_string(), json);
    }
    Ok(Value::Object(obj))
}

fn value(v: &PValue, field: &FieldDescriptor, type_url: &str) -> Result<Value, AminoError> {
    Ok(match v {
        PValue::Bool(b) => Value::Bool(*b),
        PValue::I32(n) => Value::from(*n),
        PValue::U32(n) => Value::from(*n),
        PValue::EnumNumber(n) => Value::from(*n),
        PValue::I64(n) => Value::String(n.to_string()),
        PValue::U64(n) => Value::String(n.to_string()),
        PValue::String(s) => Value::String(s.clone()),
        PValue::Bytes(b) => Value::String(b64(b)),
        PValue::Message(m) => message(m, type_url)?,
        PValue::List(items) => Value::Array(
            items
                .iter()
                .map(|item| value(item, field, type_url))
                .collect::<Result<_, _>>()?,
        ),
        PValue::F32(_) | PValue::F64(_) => {
            return Err(unsupported(field, "floating point has no amino JSON form"))
        }
        PValue::Map(_) => return Err(unsupported(field, "map fields have no amino JSON form")),
    })
}

fn unsupported(field: &FieldDescriptor, reason: &str) -> AminoError {
    AminoError::Unsupported {
        field: field.full_name().to_string(),
        reason: reason.to_string(),
    }
}

fn invalid(field: &FieldDescriptor, reason: impl Into<String>) -> AminoError {
    AminoError::InvalidValue {
        field: field.full_name().to_string(),
        reason: reason.into(),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The text of a string or bytes scalar (the Int/Dec encoders accept both wire forms).
fn scalar_text(v: &PValue, field: &FieldDescriptor) -> Result<String, AminoError> {
    match v {
        PValue::String(s) => Ok(s.clone()),
        PValue::Bytes(b) => {
            String::from_utf8(b.to_vec()).map_err(|_| invalid(field, "decimal bytes are not UTF-8"))
        }
        _ => Err(unsupported(field, "cosmos.Int/Dec on a non-string field")),
    }
}

/// `cosmos.Int`: the decimal string as is, `"0"` for an empty one.
fn cosmos_int(v: &PValue, field: &FieldDescriptor) -> Result<Value, AminoError> {
    let text = scalar_text(v, field)?;
    Ok(Value::String(if text.is_empty() {
        "0".to_string()
    } else {
        text
    }))
}

/// LegacyDec: the wire's 10^18-scaled integer, written with 18 decimals (`"1000.500000000000000000"`),
/// `"0"` for an empty one (x/tx `cosmosDecEncoder`).
fn legacy_dec(v: &PValue, field: &FieldDescriptor) -> Result<Value, AminoError> {
    let text = scalar_text(v, field)?;
    if text.is_empty() {
        return Ok(Value::String("0".into()));
    }
    format_legacy_dec(&text)
        .map(Value::String)
        .ok_or_else(|| invalid(field, format!("{text:?} is not a scaled LegacyDec integer")))
}

pub(crate) fn format_legacy_dec(scaled: &str) -> Option<String> {
    let (negative, digits) = match scaled.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, scaled),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    let padded = format!("{digits:0>19}");
    let (int_part, frac_part) = padded.split_at(padded.len() - 18);
    let sign = if negative && !digits.is_empty() {
        "-"
    } else {
        ""
    };
    Some(format!("{sign}{int_part}.{frac_part}"))
}

fn seconds_nanos(msg: &DynamicMessage) -> (i64, i32) {
    let seconds = msg
        .get_field_by_name("seconds")
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    let nanos = msg
        .get_field_by_name("nanos")
        .and_then(|v| v.as_i32())
        .unwrap_or(0);
    (seconds, nanos)
}

/// RFC 3339 in UTC with `Z`, fractional seconds without trailing zeros (Go's RFC3339Nano).
fn timestamp(msg: &DynamicMessage) -> Result<Value, AminoError> {
    let (seconds, nanos) = seconds_nanos(msg);
    let bad = |reason: &str| AminoError::InvalidValue {
        field: "google.protobuf.Timestamp".into(),
        reason: reason.into(),
    };
    if !(0..1_000_000_000).contains(&nanos) {
        return Err(bad("nanos out of range"));
    }
    if !(0..=9999).contains(&crate::time::year_of(seconds)) {
        return Err(bad("year outside 0000-9999"));
    }
    Ok(Value::String(crate::time::rfc3339(
        seconds,
        nanos as u32,
        crate::time::Fraction::Trimmed,
    )))
}

/// A Duration as its nanosecond count, as a string.
fn duration(msg: &DynamicMessage) -> Result<Value, AminoError> {
    let (seconds, nanos) = seconds_nanos(msg);
    seconds
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(i64::from(nanos)))
        .map(|n| Value::String(n.to_string()))
        .ok_or_else(|| AminoError::InvalidValue {
            field: "google.protobuf.Duration".into(),
            reason: "nanoseconds overflow int64".into(),
        })
}

#[cfg(test)]
pub(crate) fn timestamp_text(seconds: i64, nanos: i32) -> Result<Value, AminoError> {
    let desc = crate::json::pool()
        .get_message_by_name("google.protobuf.Timestamp")
        .expect("Timestamp descriptor");
    let mut msg = DynamicMessage::new(desc);
    msg.set_field_by_name("seconds", PValue::I64(seconds));
    msg.set_field_by_name("nanos", PValue::I32(nanos));
    timestamp(&msg)
}
