//! gRPC (9090): HTTP/2 cleartext with prior knowledge, one generic unary handler for every
//! `/<package>.<Service>/<Method>` path. The request message is un-framed and passed to
//! `abci_query` (the app's query router); `cosmos.tx.v1beta1.Service/BroadcastTx` runs CheckTx.

use super::backend::RpcBackend;
use crate::types::MempoolError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{BroadcastTxRequest, BroadcastTxResponse};
use http_body::Frame;
use kumo_crypto::tx_hash;
use prost::Message;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// Largest accepted gRPC request (body bytes, framing included).
pub const MAX_GRPC_REQUEST_BYTES: usize = 10 * 1024 * 1024;
/// The metadata key Cosmos SDK uses for the query height, in requests and responses.
pub const HEIGHT_HEADER: &str = "x-cosmos-block-height";
pub const BROADCAST_TX_PATH: &str = "/cosmos.tx.v1beta1.Service/BroadcastTx";

/// gRPC status codes used here.
pub mod code {
    pub const OK: u32 = 0;
    pub const UNKNOWN: u32 = 2;
    pub const INVALID_ARGUMENT: u32 = 3;
    pub const NOT_FOUND: u32 = 5;
    pub const RESOURCE_EXHAUSTED: u32 = 8;
    pub const UNIMPLEMENTED: u32 = 12;
    pub const INTERNAL: u32 = 13;
}

type Backend = Arc<dyn RpcBackend>;

/// Serves gRPC on `listener` until it fails.
pub async fn serve_grpc(
    backend: Backend,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    axum::serve(listener, router(backend)).await
}

pub fn router(backend: Backend) -> Router {
    Router::new().fallback(handle).with_state(backend)
}

/// A response body: at most one data frame, then the trailers.
struct GrpcBody {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl http_body::Body for GrpcBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if let Some(d) = this.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        if let Some(t) = this.trailers.take() {
            return Poll::Ready(Some(Ok(Frame::trailers(t))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }
}

/// Percent-encodes a `grpc-message` value (gRPC over HTTP/2 spec).
pub fn percent_encode_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for b in msg.bytes() {
        if (0x20..=0x7e).contains(&b) && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The message of an SDK query log without the `rpc error: code = X desc = ` wrapper
/// that baseapp adds for ABCI queries.
pub fn grpc_message_from_log(log: &str) -> &str {
    if let Some(rest) = log.strip_prefix("rpc error: code = ") {
        if let Some(i) = rest.find(" desc = ") {
            return &rest[i + 8..];
        }
    }
    log
}

/// Adds the 5-byte gRPC message prefix (uncompressed).
pub fn frame(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 5);
    out.push(0);
    out.extend_from_slice(&(msg.len() as u32).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

/// Reads exactly one uncompressed message from a unary request body.
pub fn unframe(body: &[u8]) -> Result<&[u8], (u32, String)> {
    if body.len() < 5 {
        return Err((
            code::INTERNAL,
            format!(
                "request body of {} bytes is shorter than a gRPC frame header",
                body.len()
            ),
        ));
    }
    if body[0] != 0 {
        return Err((
            code::UNIMPLEMENTED,
            "compressed requests are not supported (grpc-accept-encoding: identity)".into(),
        ));
    }
    let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    if body.len() - 5 != len {
        return Err((
            code::INTERNAL,
            format!(
                "a unary request must hold exactly one message: frame says {len} bytes, body has {}",
                body.len() - 5
            ),
        ));
    }
    Ok(&body[5..])
}

fn grpc_response(
    status: u32,
    message: &str,
    payload: Option<Vec<u8>>,
    height: Option<u64>,
) -> Response {
    let mut trailers = HeaderMap::new();
    trailers.insert("grpc-status", HeaderValue::from(status));
    if !message.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&percent_encode_message(message)) {
            trailers.insert("grpc-message", v);
        }
    }
    let body = GrpcBody {
        data: payload.map(|p| Bytes::from(frame(&p))),
        trailers: Some(trailers),
    };
    let mut resp = Response::new(Body::new(body));
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/grpc"));
    h.insert("grpc-accept-encoding", HeaderValue::from_static("identity"));
    if let Some(height) = height {
        h.insert(
            HeaderName::from_static(HEIGHT_HEADER),
            HeaderValue::from(height),
        );
    }
    resp
}

fn is_method_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let mut parts = rest.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(svc), Some(m), None) if !svc.is_empty() && !m.is_empty() && svc.contains('.')
    )
}

async fn handle(State(backend): State<Backend>, req: Request) -> Response {
    if req.method() != axum::http::Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "gRPC requests must use POST",
        )
            .into_response();
    }
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/grpc") {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type must be application/grpc",
        )
            .into_response();
    }
    let path = req.uri().path().to_string();
    if !is_method_path(&path) {
        return grpc_response(
            code::UNIMPLEMENTED,
            &format!("malformed method name: {path:?}"),
            None,
            None,
        );
    }
    let height = match req.headers().get(HEIGHT_HEADER) {
        None => 0,
        Some(v) => match v.to_str().ok().and_then(|s| s.trim().parse::<i64>().ok()) {
            Some(h) if h >= 0 => h as u64,
            _ => {
                return grpc_response(
                    code::INVALID_ARGUMENT,
                    &format!(
                        "invalid height header {HEIGHT_HEADER:?}: must be a non-negative integer"
                    ),
                    None,
                    None,
                )
            }
        },
    };
    let body = match axum::body::to_bytes(req.into_body(), MAX_GRPC_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return grpc_response(
                code::RESOURCE_EXHAUSTED,
                &format!("request larger than {MAX_GRPC_REQUEST_BYTES} bytes"),
                None,
                None,
            )
        }
    };
    let msg = match unframe(&body) {
        Ok(m) => m.to_vec(),
        Err((c, m)) => return grpc_response(c, &m, None, None),
    };
    let (r, answered) = call(&backend, &path, msg, height).await;
    match r {
        Ok(value) => grpc_response(code::OK, "", Some(value), answered),
        Err((c, m)) => grpc_response(c, &m, None, answered),
    }
}

/// One gRPC method call on this node, whichever front end asked (gRPC, or REST through the
/// gateway's route table): BroadcastTx runs CheckTx, GetTxsEvent searches the node's tx index
/// (which the app's query router cannot see), every other method is an ABCI query at
/// `height` (0 = latest). Returns the encoded response or (gRPC status, message), and the
/// height the answer is for when there is one.
pub async fn call(
    backend: &Backend,
    path: &str,
    msg: Vec<u8>,
    height: u64,
) -> (Result<Vec<u8>, (u32, String)>, Option<u64>) {
    if path == BROADCAST_TX_PATH {
        let r = match BroadcastTxRequest::decode(msg.as_slice()) {
            Ok(req) => broadcast(backend, req.tx_bytes, req.mode).await.map(|r| {
                BroadcastTxResponse {
                    tx_response: Some(r),
                }
                .encode_to_vec()
            }),
            Err(e) => Err((
                code::INVALID_ARGUMENT,
                format!("invalid BroadcastTxRequest: {e}"),
            )),
        };
        return (r, None);
    }
    if path == super::txs::GET_TXS_EVENT_PATH {
        let req =
            match cosmos_sdk_proto::cosmos::tx::v1beta1::GetTxsEventRequest::decode(msg.as_slice())
            {
                Ok(r) => r,
                Err(e) => {
                    return (
                        Err((
                            code::INVALID_ARGUMENT,
                            format!("invalid GetTxsEventRequest: {e}"),
                        )),
                        None,
                    )
                }
            };
        let b = backend.clone();
        let r =
            match tokio::task::spawn_blocking(move || super::txs::search(b.as_ref(), &req)).await {
                Ok(r) => r.map(|r| r.encode_to_vec()),
                Err(e) => Err((code::INTERNAL, format!("search task failed: {e}"))),
            };
        return (r, Some(backend.latest_height()));
    }
    let b = backend.clone();
    let path = path.to_string();
    let r = match tokio::task::spawn_blocking(move || b.abci_query(&path, &msg, height)).await {
        Ok(r) => r,
        Err(e) => {
            return (
                Err((code::INTERNAL, format!("query task failed: {e}"))),
                None,
            )
        }
    };
    let answered = if r.height != 0 {
        r.height
    } else if height != 0 {
        height
    } else {
        backend.latest_height()
    };
    if r.code == 0 && r.grpc_code == 0 {
        (Ok(r.value), Some(answered))
    } else {
        let status = if r.grpc_code == 0 {
            code::UNKNOWN
        } else {
            r.grpc_code
        };
        (
            Err((status, grpc_message_from_log(&r.log).to_string())),
            Some(answered),
        )
    }
}

/// `BroadcastMode` values of `cosmos.tx.v1beta1.BroadcastTxRequest`.
pub const BROADCAST_MODE_BLOCK: i32 = 1;
pub const BROADCAST_MODE_SYNC: i32 = 2;
pub const BROADCAST_MODE_ASYNC: i32 = 3;

/// SDK error codes the SDK's broadcast maps CometBFT mempool errors to (codespace `sdk`).
fn mempool_error_code(e: &MempoolError) -> u32 {
    match e {
        MempoolError::Full { .. } => 20,
    }
}

/// BroadcastTx for gRPC and REST: SYNC runs CheckTx, ASYNC returns after queueing it.
/// Err = (gRPC status, message).
pub async fn broadcast(
    backend: &Backend,
    tx: Vec<u8>,
    mode: i32,
) -> Result<TxResponse, (u32, String)> {
    if tx.is_empty() {
        return Err((code::INVALID_ARGUMENT, "invalid empty tx".into()));
    }
    let hash = hex::encode_upper(tx_hash(&tx));
    match mode {
        BROADCAST_MODE_SYNC => {}
        BROADCAST_MODE_ASYNC => {
            let b = backend.clone();
            tokio::task::spawn_blocking(move || {
                if let Err(e) = b.check_tx(tx) {
                    tracing::debug!("async broadcast rejected: {e}");
                }
            });
            return Ok(TxResponse { txhash: hash, ..Default::default() });
        }
        BROADCAST_MODE_BLOCK => {
            return Err((
                code::INVALID_ARGUMENT,
                "unsupported return type block; supported types: sync, async".into(),
            ))
        }
        _ => {
            return Err((
                code::INVALID_ARGUMENT,
                format!("unsupported broadcast mode {mode}; supported modes: BROADCAST_MODE_SYNC, BROADCAST_MODE_ASYNC"),
            ))
        }
    }
    let b = backend.clone();
    let res = tokio::task::spawn_blocking(move || b.check_tx(tx))
        .await
        .map_err(|e| (code::INTERNAL, format!("check_tx task failed: {e}")))?;
    Ok(match res {
        Ok(r) => TxResponse {
            txhash: hash,
            code: r.code,
            codespace: r.codespace,
            data: hex::encode_upper(&r.data),
            raw_log: r.log,
            info: r.info,
            gas_wanted: r.gas_wanted as i64,
            gas_used: r.gas_used as i64,
            ..Default::default()
        },
        Err(e) => TxResponse {
            txhash: hash,
            code: mempool_error_code(&e),
            codespace: "sdk".into(),
            raw_log: e.to_string(),
            ..Default::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_round_trip() {
        let f = frame(b"abc");
        assert_eq!(f, vec![0, 0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(unframe(&f).unwrap(), b"abc");
        assert_eq!(unframe(&frame(b"")).unwrap(), b"");
        assert_eq!(unframe(&[0, 0, 0]).unwrap_err().0, code::INTERNAL);
        assert_eq!(
            unframe(&[1, 0, 0, 0, 0]).unwrap_err().0,
            code::UNIMPLEMENTED
        );
        assert_eq!(unframe(&[0, 0, 0, 0, 2, 1]).unwrap_err().0, code::INTERNAL);
    }

    #[test]
    fn message_encoding() {
        assert_eq!(percent_encode_message("a b%c\n"), "a b%25c%0A");
        assert_eq!(percent_encode_message("é"), "%C3%A9");
        assert_eq!(
            grpc_message_from_log(
                "rpc error: code = NotFound desc = account x not found: key not found"
            ),
            "account x not found: key not found"
        );
        assert_eq!(grpc_message_from_log("plain"), "plain");
    }

    #[test]
    fn method_paths() {
        assert!(is_method_path("/cosmos.bank.v1beta1.Query/Balance"));
        assert!(!is_method_path("/cosmos.bank.v1beta1.Query"));
        assert!(!is_method_path("/a/b/c"));
        assert!(!is_method_path("/Svc/M"));
    }
}
