//! A generic grpc-gateway for the Akash query services: each REST GET path maps to a gRPC
//! method; path parameters and query parameters (`filters.owner=…`, `id.dseq=…`,
//! `pagination.limit=…`) fill the request message through its descriptor, and the response is
//! written as SDK proto-JSON (`kumo_proto::json`). One table instead of a handler per path.

use super::backend::RpcBackend;
use super::grpc::{self, code};
use super::rest::RestError;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, ReflectMessage, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

type Backend = Arc<dyn RpcBackend>;

/// (REST path in axum syntax, gRPC method path). Paths are Akash's own (spec akash-chain.md).
pub const AKASH_ROUTES: &[(&str, &str)] = &[
    (
        "/akash/deployment/v1beta4/deployments/list",
        "/akash.deployment.v1beta4.Query/Deployments",
    ),
    (
        "/akash/deployment/v1beta4/deployments/info",
        "/akash.deployment.v1beta4.Query/Deployment",
    ),
    (
        "/akash/deployment/v1beta4/groups/info",
        "/akash.deployment.v1beta4.Query/Group",
    ),
    (
        "/akash/deployment/v1beta4/params",
        "/akash.deployment.v1beta4.Query/Params",
    ),
    (
        "/akash/market/v1beta5/orders/list",
        "/akash.market.v1beta5.Query/Orders",
    ),
    (
        "/akash/market/v1beta5/orders/info",
        "/akash.market.v1beta5.Query/Order",
    ),
    (
        "/akash/market/v1beta5/bids/list",
        "/akash.market.v1beta5.Query/Bids",
    ),
    (
        "/akash/market/v1beta5/bids/info",
        "/akash.market.v1beta5.Query/Bid",
    ),
    (
        "/akash/market/v1beta5/leases/list",
        "/akash.market.v1beta5.Query/Leases",
    ),
    (
        "/akash/market/v1beta5/leases/info",
        "/akash.market.v1beta5.Query/Lease",
    ),
    (
        "/akash/market/v1beta5/params",
        "/akash.market.v1beta5.Query/Params",
    ),
    (
        "/akash/escrow/v1/types/accounts",
        "/akash.escrow.v1.Query/Accounts",
    ),
    (
        "/akash/escrow/v1/types/payments",
        "/akash.escrow.v1.Query/Payments",
    ),
    ("/akash/take/v1/params", "/akash.take.v1.Query/Params"),
    (
        "/akash/provider/v1beta4/providers",
        "/akash.provider.v1beta4.Query/Providers",
    ),
    (
        "/akash/provider/v1beta4/providers/{owner}",
        "/akash.provider.v1beta4.Query/Provider",
    ),
    (
        "/akash/audit/v1/audit/attributes/list",
        "/akash.audit.v1.Query/AllProvidersAttributes",
    ),
    (
        "/akash/audit/v1/audit/attributes/{owner}/list",
        "/akash.audit.v1.Query/ProviderAttributes",
    ),
    (
        "/akash/audit/v1/audit/attributes/{auditor}/{owner}",
        "/akash.audit.v1.Query/ProviderAuditorAttributes",
    ),
    (
        "/akash/provider/v1/auditor/{auditor}/list",
        "/akash.audit.v1.Query/AuditorAttributes",
    ),
    (
        "/akash/cert/v1/certificates/list",
        "/akash.cert.v1.Query/Certificates",
    ),
];

/// Adds every gateway route to `router`.
pub fn routes(mut router: Router<Backend>) -> Router<Backend> {
    for (rest, method) in AKASH_ROUTES {
        let method: &'static str = method;
        router = router.route(
            rest,
            get(
                move |State(b): State<Backend>,
                      Path(params): Path<BTreeMap<String, String>>,
                      RawQuery(q): RawQuery,
                      headers: HeaderMap| async move {
                    handle(b, method, params, q, headers).await
                },
            ),
        );
    }
    router
}

/// Request and response descriptors of a gRPC method, from the service definition.
fn method_types(method: &str) -> Option<(MessageDescriptor, MessageDescriptor)> {
    let (service, name) = method.strip_prefix('/')?.split_once('/')?;
    let svc = kumo_proto::json::pool().get_service_by_name(service)?;
    let m = svc.methods().find(|m| m.name() == name)?;
    Some((m.input(), m.output()))
}

async fn handle(
    backend: Backend,
    method: &'static str,
    path_params: BTreeMap<String, String>,
    raw_query: Option<String>,
    headers: HeaderMap,
) -> Response {
    match run(backend, method, path_params, raw_query, headers).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run(
    backend: Backend,
    method: &'static str,
    path_params: BTreeMap<String, String>,
    raw_query: Option<String>,
    headers: HeaderMap,
) -> Result<Response, RestError> {
    let (input, output) = method_types(method).ok_or_else(|| {
        RestError(
            code::UNIMPLEMENTED,
            format!("{method} is not served by this node"),
        )
    })?;
    let mut req = DynamicMessage::new(input);
    for (k, v) in &path_params {
        set_path(&mut req, k, v)?;
    }
    for (k, v) in parse_query(raw_query.as_deref().unwrap_or(""))? {
        set_path(&mut req, &k, &v)?;
    }
    let height = super::rest::height_of(&headers)?;
    let data = prost::Message::encode_to_vec(&req);
    let b = backend.clone();
    let r = tokio::task::spawn_blocking(move || b.abci_query(method, &data, height))
        .await
        .map_err(|e| RestError(code::INTERNAL, format!("query task failed: {e}")))?;
    if r.code != 0 || r.grpc_code != 0 {
        let c = if r.grpc_code == 0 {
            code::UNKNOWN
        } else {
            r.grpc_code
        };
        return Err(RestError(
            c,
            grpc::grpc_message_from_log(&r.log).to_string(),
        ));
    }
    let json = kumo_proto::json::to_json(output.full_name(), &r.value)
        .map_err(|e| RestError(code::INTERNAL, e))?;
    let h = if r.height != 0 {
        r.height
    } else {
        backend.latest_height()
    };
    let mut resp = axum::Json(json).into_response();
    resp.headers_mut()
        .insert(grpc::HEIGHT_HEADER, header::HeaderValue::from(h));
    Ok(resp)
}

fn bad(what: impl std::fmt::Display) -> RestError {
    RestError(code::INVALID_ARGUMENT, what.to_string())
}

/// `a=1&b.c=x%20y` -> [("a","1"), ("b.c","x y")], in order (repeated keys kept).
fn parse_query(q: &str) -> Result<Vec<(String, String)>, RestError> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k)?, percent_decode(v)?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Result<String, RestError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad(format!("bad percent-encoding in {s:?}")))?;
                out.push(hex);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad(format!("{s:?} is not UTF-8")))
}

/// Sets the field at a dotted proto-name path (`filters.owner`) from its text form, the way
/// grpc-gateway does: scalars parsed by kind, enums by name or number, repeated fields appended.
fn set_path(msg: &mut DynamicMessage, path: &str, text: &str) -> Result<(), RestError> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let desc = msg.descriptor();
    let field = desc
        .get_field_by_name(head)
        .or_else(|| desc.get_field_by_json_name(head))
        .ok_or_else(|| {
            bad(format!(
                "unknown query parameter {path:?} for {}",
                desc.name()
            ))
        })?;
    match (rest, field.kind()) {
        (Some(rest), Kind::Message(_)) if !field.is_list() => {
            let sub = msg.get_field_mut(&field);
            let Value::Message(sub) = sub else {
                return Err(bad(format!("{head} is not a message")));
            };
            set_path(sub, rest, text)
        }
        (Some(_), _) => Err(bad(format!("{head} has no sub-fields ({path:?})"))),
        (None, kind) => {
            let v = scalar(&kind, text).map_err(|e| bad(format!("{path}: {e}")))?;
            if field.is_list() {
                if let Value::List(items) = msg.get_field_mut(&field) {
                    items.push(v);
                }
            } else {
                msg.set_field(&field, v);
            }
            Ok(())
        }
    }
}

fn scalar(kind: &Kind, text: &str) -> Result<Value, String> {
    let num = |what: &str| format!("{text:?} is not a valid {what}");
    Ok(match kind {
        Kind::String => Value::String(text.to_string()),
        Kind::Bool => Value::Bool(text.parse().map_err(|_| num("bool"))?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(text.parse().map_err(|_| num("uint64"))?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64(text.parse().map_err(|_| num("int64"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => Value::U32(text.parse().map_err(|_| num("uint32"))?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(text.parse().map_err(|_| num("int32"))?)
        }
        Kind::Bytes => {
            use base64::Engine;
            let std = base64::engine::general_purpose::STANDARD;
            let url = base64::engine::general_purpose::URL_SAFE;
            Value::Bytes(
                std.decode(text)
                    .or_else(|_| url.decode(text))
                    .map_err(|_| num("base64 value"))?
                    .into(),
            )
        }
        Kind::Enum(e) => {
            let v = e
                .get_value_by_name(text)
                .map(|v| v.number())
                .or_else(|| {
                    text.parse::<i32>()
                        .ok()
                        .filter(|n| e.get_value(*n).is_some())
                })
                .ok_or_else(|| {
                    let names: Vec<_> = e.values().map(|v| v.name().to_string()).collect();
                    format!("{text:?} is not one of {}", names.join(", "))
                })?;
            Value::EnumNumber(v)
        }
        Kind::Message(m) => return Err(format!("{} needs sub-fields", m.name())),
        Kind::Float | Kind::Double => return Err("floating-point fields are not supported".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let q = parse_query("filters.owner=akash1x&filters.state=active&a=%2Fb+c").unwrap();
        assert_eq!(q[0], ("filters.owner".into(), "akash1x".into()));
        assert_eq!(q[2], ("a".into(), "/b c".into()));
        assert!(parse_query("a=%zz").is_err());
    }

    #[test]
    fn dotted_paths_fill_nested_fields() {
        let desc = kumo_proto::json::pool()
            .get_message_by_name("akash.base.attributes.v1.PlacementRequirements")
            .unwrap();
        let mut m = DynamicMessage::new(desc);
        set_path(&mut m, "signed_by.all_of", "akash1a").unwrap();
        set_path(&mut m, "signed_by.all_of", "akash1b").unwrap();
        let json = kumo_proto::json::to_json(
            "akash.base.attributes.v1.PlacementRequirements",
            &prost::Message::encode_to_vec(&m),
        )
        .unwrap();
        assert_eq!(
            json["signed_by"]["all_of"],
            serde_json::json!(["akash1a", "akash1b"])
        );
        assert!(set_path(&mut m, "nope", "x").is_err());
        assert!(set_path(&mut m, "signed_by.all_of.x", "x").is_err());
    }
}

#[cfg(test)]
mod route_tests {
    #[test]
    fn every_gateway_route_registers_without_conflict() {
        let _ = super::routes(axum::Router::new());
    }
}

#[cfg(test)]
mod table_tests {
    /// Every REST route names a method whose service is declared in our protos, so the
    /// gateway can find its request and response types.
    #[test]
    fn every_route_resolves_to_a_declared_method() {
        for (rest, method) in super::AKASH_ROUTES {
            assert!(
                super::method_types(method).is_some(),
                "{rest} -> {method}: no `service` declaration in crates/kumo-proto/proto"
            );
        }
    }
}
