//! The CometBFT-compatible HTTP server (26657): JSON-RPC POST on `/` (single or batch),
//! GET URI calls (`/status`, `/block?height=5`, …) and the `/websocket` endpoint with
//! `subscribe` / `unsubscribe` / `unsubscribe_all`.

use super::backend::RpcBackend;
use super::format::*;
use super::jsonrpc::{call, envelope, handle_request, Params, RpcError};
use super::query::{add_events, map_matches, parse_tx_query, tx_event_map, EventMap};
use crate::types::{NodeEvent, TxQuery};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Largest accepted HTTP request body or websocket message (CometBFT `max_body_bytes`).
pub const MAX_BODY_BYTES: usize = 1_000_000;
/// Most websocket clients holding subscriptions at once (CometBFT `max_subscription_clients`).
pub const MAX_SUBSCRIPTION_CLIENTS: usize = 100;
/// Most live subscriptions one websocket connection may hold (CometBFT
/// `max_subscriptions_per_client`).
pub const MAX_SUBSCRIPTIONS_PER_CLIENT: usize = 5;
/// Most calls in one batch.
pub const MAX_BATCH_REQUESTS: usize = 100;
/// Most bytes of JSON a batch answers with; the calls past it get an error each.
pub const MAX_BATCH_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// How many websocket clients hold at least one subscription, shared by the connections of
/// one server.
#[derive(Default)]
pub struct SubscriptionClients(std::sync::atomic::AtomicUsize);

type Backend = Arc<dyn RpcBackend>;

/// Serves CometBFT JSON-RPC (HTTP POST/GET and websocket) on `listener` until it fails.
pub async fn serve_jsonrpc(
    backend: Backend,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    axum::serve(listener, router(backend)).await
}

/// The JSON-RPC router, for embedding or tests.
pub fn router(backend: Backend) -> Router {
    Router::new()
        .route("/", get(index).post(post_rpc).options(preflight))
        .route("/websocket", get(websocket))
        .route("/{method}", get(get_rpc).options(preflight))
        .layer(axum::middleware::map_response(cors))
        .layer(axum::Extension(Arc::new(SubscriptionClients::default())))
        .with_state(backend)
}

async fn cors(mut resp: Response) -> Response {
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Content-Type, Origin, Accept, X-Requested-With",
            ),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}

const METHODS: &[&str] = &[
    "abci_info",
    "abci_query?path=_&data=_&height=_&prove=_",
    "block?height=_",
    "block_by_hash?hash=_",
    "block_results?height=_",
    "blockchain?minHeight=_&maxHeight=_",
    "broadcast_tx_async?tx=_",
    "broadcast_tx_commit?tx=_",
    "broadcast_tx_sync?tx=_",
    "commit?height=_",
    "genesis",
    "health",
    "net_info",
    "num_unconfirmed_txs",
    "status",
    "subscribe?query=_",
    "tx?hash=_&prove=_",
    "tx_search?query=_&prove=_&page=_&per_page=_&order_by=_",
    "unconfirmed_txs?limit=_",
    "unsubscribe?query=_",
    "unsubscribe_all",
    "validators?height=_&page=_&per_page=_",
];

async fn index() -> Response {
    let mut html = String::from("<html><body><br>Available endpoints:<br>");
    for m in METHODS {
        html.push_str(&format!("<a href=\"/{m}\">/{m}</a><br>"));
    }
    html.push_str("</body></html>");
    ([(header::CONTENT_TYPE, "text/html")], html).into_response()
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec_pretty(v).unwrap_or_default(),
    )
        .into_response()
}

async fn post_rpc(State(backend): State<Backend>, req: Request) -> Response {
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let e = RpcError::invalid_request(format!(
                "request body too large or unreadable: the limit is {MAX_BODY_BYTES} bytes"
            ));
            return json_response(StatusCode::OK, &envelope(Value::Null, Err(e)));
        }
    };
    let resp = handle_text(&backend, &body).await;
    json_response(StatusCode::OK, &resp)
}

/// Parses a JSON-RPC payload (object or batch array) and runs it.
pub async fn handle_text(backend: &Backend, body: &[u8]) -> Value {
    let parsed: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return envelope(
                Value::Null,
                Err(RpcError::parse_error(format!(
                    "error unmarshaling request: {e}"
                ))),
            )
        }
    };
    match parsed {
        Value::Array(reqs) => {
            if let Err(e) = check_batch(&reqs) {
                return envelope(Value::Null, Err(e));
            }
            let mut out = BatchAnswer::new(reqs.len());
            for r in &reqs {
                if out.full() {
                    out.push(over_budget(r));
                } else {
                    out.push(handle_request(backend, r).await);
                }
            }
            Value::Array(out.items)
        }
        single => handle_request(backend, &single).await,
    }
}

/// Refuses an empty batch or one of more than `MAX_BATCH_REQUESTS` calls.
fn check_batch(reqs: &[Value]) -> Result<(), RpcError> {
    if reqs.is_empty() {
        return Err(RpcError::invalid_request("empty batch"));
    }
    if reqs.len() > MAX_BATCH_REQUESTS {
        return Err(RpcError::invalid_request(format!(
            "batch request exceeds maximum ({MAX_BATCH_REQUESTS}) allowed number of requests, \
             got {}",
            reqs.len()
        )));
    }
    Ok(())
}

/// The answers of a batch so far and their size, to stop at `MAX_BATCH_RESPONSE_BYTES`.
struct BatchAnswer {
    items: Vec<Value>,
    bytes: usize,
}

impl BatchAnswer {
    fn new(n: usize) -> Self {
        BatchAnswer {
            items: Vec::with_capacity(n),
            bytes: 0,
        }
    }
    fn push(&mut self, v: Value) {
        self.bytes += serde_json::to_vec(&v).map_or(0, |b| b.len());
        self.items.push(v);
    }
    fn full(&self) -> bool {
        self.bytes >= MAX_BATCH_RESPONSE_BYTES
    }
}

/// The error a call gets when the batch's answer is already at its size limit.
fn over_budget(req: &Value) -> Value {
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    envelope(
        id,
        Err(RpcError::internal(format!(
            "batch response exceeds {MAX_BATCH_RESPONSE_BYTES} bytes: this call was not run; \
             send fewer calls per batch"
        ))),
    )
}

async fn get_rpc(
    State(backend): State<Backend>,
    Path(method): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let id = json!(-1);
    if matches!(
        method.as_str(),
        "subscribe" | "unsubscribe" | "unsubscribe_all"
    ) {
        let e = RpcError::internal(
            "subscribe, unsubscribe and unsubscribe_all need a websocket connection (/websocket)",
        );
        return json_response(StatusCode::INTERNAL_SERVER_ERROR, &envelope(id, Err(e)));
    }
    let params = Params::from_uri(pairs);
    match call(&backend, &method, &params).await {
        Ok(v) => json_response(StatusCode::OK, &envelope(id, Ok(v))),
        Err(e) => {
            let status = if e.code == -32601 {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            json_response(status, &envelope(id, Err(e)))
        }
    }
}

async fn websocket(
    State(backend): State<Backend>,
    axum::Extension(clients): axum::Extension<Arc<SubscriptionClients>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_message_size(MAX_BODY_BYTES)
        .on_upgrade(move |socket| ws_session(backend, clients, socket))
}

struct Session {
    backend: Backend,
    out: mpsc::Sender<Value>,
    subs: HashMap<String, JoinHandle<()>>,
    clients: Arc<SubscriptionClients>,
    /// Whether this connection is counted in `clients` (it holds a subscription).
    counted: bool,
}

async fn ws_session(backend: Backend, clients: Arc<SubscriptionClients>, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut out_rx) = mpsc::channel::<Value>(1024);
    let writer = tokio::spawn(async move {
        while let Some(v) = out_rx.recv().await {
            let text = serde_json::to_string(&v).unwrap_or_default();
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut session = Session {
        backend,
        out,
        subs: HashMap::new(),
        clients,
        counted: false,
    };
    while let Some(Ok(msg)) = stream.next().await {
        let text = match msg {
            Message::Text(t) => t.as_str().as_bytes().to_vec(),
            Message::Binary(b) => b.to_vec(),
            Message::Close(_) => break,
            _ => continue,
        };
        let reply = session.handle(&text).await;
        if session.out.send(reply).await.is_err() {
            break;
        }
    }
    for (_, h) in session.subs.drain() {
        h.abort();
    }
    session.recount();
    drop(session);
    let _ = writer.await;
}

impl Session {
    /// Keeps the shared client count in step with whether this connection subscribes.
    fn recount(&mut self) {
        use std::sync::atomic::Ordering;
        self.subs.retain(|_, h| !h.is_finished());
        let holds = !self.subs.is_empty();
        if holds != self.counted {
            if holds {
                self.clients.0.fetch_add(1, Ordering::SeqCst);
            } else {
                self.clients.0.fetch_sub(1, Ordering::SeqCst);
            }
            self.counted = holds;
        }
    }

    async fn handle(&mut self, text: &[u8]) -> Value {
        let parsed: Value = match serde_json::from_slice(text) {
            Ok(v) => v,
            Err(e) => {
                return envelope(
                    Value::Null,
                    Err(RpcError::parse_error(format!(
                        "error unmarshaling request: {e}"
                    ))),
                )
            }
        };
        if let Value::Array(reqs) = parsed {
            if let Err(e) = check_batch(&reqs) {
                return envelope(Value::Null, Err(e));
            }
            let mut out = BatchAnswer::new(reqs.len());
            for r in &reqs {
                if out.full() {
                    out.push(over_budget(r));
                } else {
                    out.push(self.handle_one(r).await);
                }
            }
            return Value::Array(out.items);
        }
        self.handle_one(&parsed).await
    }

    async fn handle_one(&mut self, req: &Value) -> Value {
        let method = req.get("method").and_then(Value::as_str).unwrap_or("");
        let id = req.get("id").cloned().unwrap_or(Value::Null);
        let result = match method {
            "subscribe" => self.subscribe(req, id.clone()),
            "unsubscribe" => self.unsubscribe(req),
            "unsubscribe_all" => {
                if self.subs.is_empty() {
                    Err(RpcError::internal("subscription not found"))
                } else {
                    for (_, h) in self.subs.drain() {
                        h.abort();
                    }
                    Ok(json!({}))
                }
            }
            _ => return handle_request(&self.backend, req).await,
        };
        self.recount();
        envelope(id, result)
    }

    fn query_param(req: &Value) -> Result<String, RpcError> {
        let method = req.get("method").and_then(Value::as_str).unwrap_or("");
        Params::from_json(method, req.get("params"))?.required_string("query")
    }

    fn subscribe(&mut self, req: &Value, id: Value) -> Result<Value, RpcError> {
        let q = Self::query_param(req)?;
        let query = parse_tx_query(&q)
            .map_err(|e| RpcError::internal(format!("failed to parse query: {e}")))?;
        self.recount();
        if self.subs.contains_key(&q) {
            return Err(RpcError::internal("already subscribed"));
        }
        // A connection that already subscribes is counted; a new one must find room, taken
        // atomically so that two connections cannot both get the last place.
        if !self.counted {
            use std::sync::atomic::Ordering::SeqCst;
            let room = self.clients.0.fetch_update(SeqCst, SeqCst, |n| {
                (n < MAX_SUBSCRIPTION_CLIENTS).then_some(n + 1)
            });
            if room.is_err() {
                return Err(RpcError::internal(format!(
                    "max_subscription_clients {MAX_SUBSCRIPTION_CLIENTS} reached"
                )));
            }
            self.counted = true;
        }
        if self.subs.len() >= MAX_SUBSCRIPTIONS_PER_CLIENT {
            return Err(RpcError::internal(format!(
                "max_subscriptions_per_client {MAX_SUBSCRIPTIONS_PER_CLIENT} reached"
            )));
        }
        // Subscribe now, before the reply goes out, so no later event is missed.
        let rx = self.backend.subscribe();
        let out = self.out.clone();
        let handle = tokio::spawn(forward_events(rx, query, q.clone(), id, out));
        self.subs.insert(q, handle);
        Ok(json!({}))
    }

    fn unsubscribe(&mut self, req: &Value) -> Result<Value, RpcError> {
        let q = Self::query_param(req)?;
        match self.subs.remove(&q) {
            Some(h) => {
                h.abort();
                Ok(json!({}))
            }
            None => Err(RpcError::internal("subscription not found")),
        }
    }
}

/// The event map and CometBFT-shaped `data` of one node event.
pub fn render_event(ev: &NodeEvent) -> (EventMap, impl FnOnce() -> Value + '_) {
    let map = match ev {
        NodeEvent::NewBlock { results, .. } => {
            let mut m = EventMap::new();
            m.insert("tm.event".into(), vec!["NewBlock".into()]);
            add_events(&mut m, &results.finalize_block_events);
            m
        }
        NodeEvent::Tx(t) => tx_event_map(&t.result.events, t.height, &t.hash),
    };
    let data = move || match ev {
        NodeEvent::NewBlock { block, results } => json!({
            "type": "tendermint/event/NewBlock",
            "value": {
                "block": block_json(&block.block),
                "block_id": block_id_json(Some(&block.block_id)),
                "result_finalize_block": finalize_block_json(results),
            },
        }),
        NodeEvent::Tx(t) => json!({
            "type": "tendermint/event/Tx",
            "value": {"TxResult": {
                "height": t.height.to_string(),
                "index": t.index,
                "tx": b64(&t.tx),
                "result": tx_result_json(&t.result),
            }},
        }),
    };
    (map, data)
}

async fn forward_events(
    mut rx: tokio::sync::broadcast::Receiver<NodeEvent>,
    query: TxQuery,
    query_text: String,
    id: Value,
    out: mpsc::Sender<Value>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let ev = match rx.recv().await {
            Ok(ev) => ev,
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("websocket subscriber for {query_text:?} skipped {n} events");
                continue;
            }
            Err(RecvError::Closed) => {
                let e = RpcError::internal(
                    "subscription was cancelled (reason: node is shutting down)",
                );
                let _ = out.send(envelope(id, Err(e))).await;
                return;
            }
        };
        let (map, data) = render_event(&ev);
        if !map_matches(&query, &map) {
            continue;
        }
        let msg = json!({
            "jsonrpc": "2.0",
            "id": id,
            "result": {"query": query_text, "data": data(), "events": map},
        });
        if out.send(msg).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_bounded_in_calls_and_answer_bytes() {
        assert!(check_batch(&[]).is_err());
        assert!(check_batch(&vec![json!({}); MAX_BATCH_REQUESTS]).is_ok());
        let e = check_batch(&vec![json!({}); MAX_BATCH_REQUESTS + 1]).unwrap_err();
        assert_eq!(e.code, -32600);
        let mut out = BatchAnswer::new(2);
        out.push(json!({"result": "x".repeat(MAX_BATCH_RESPONSE_BYTES / 2)}));
        assert!(!out.full());
        out.push(json!({"result": "x".repeat(MAX_BATCH_RESPONSE_BYTES / 2)}));
        assert!(out.full());
        let refused = over_budget(&json!({"jsonrpc": "2.0", "id": 9, "method": "status"}));
        assert_eq!(refused["id"], 9);
        assert_eq!(refused["error"]["code"], -32603);
        assert!(refused["error"]["data"]
            .as_str()
            .unwrap()
            .contains("fewer calls per batch"));
    }
}
