//! The lease page's websockets. The browser talks only to the console; the console checks on
//! chain that the lease belongs to the signed-in account (401/404 before any upgrade) and then
//! proxies the provider gateway's stream, authenticated as that account.
//!
//! - `…/logs?service=a,b&tail=N` and `…/events?service=…`: text messages, JSON:
//!   `{"type":"hello","host"}` once the provider's stream is open (the page clears its view: a
//!   reconnect starts again from the last lines), then `{"type":"line","name","message"}` or
//!   `{"type":"event","kind","reason","note","object"}`; `{"type":"error","message"}` in plain
//!   words before the console closes the socket; `{"type":"pong"}` answers the page's
//!   `{"type":"ping"}` (every 15 s), and the console sends websocket pings every 20 s so idle
//!   connections are not dropped by anything in between.
//! - `…/shell?service=web&cmd=sh&replica=0`: a TTY. Binary messages are the gateway's own
//!   shell frames (`kumo_client::gateway::shell::Frame`): the page sends stdin (104) and resize
//!   (105, columns and rows as u16 big-endian); the console forwards output (100/101), the
//!   result (102, JSON exit code) and failure (103). Text messages are the JSON above (hello,
//!   error, pong).

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::gateway::{self, Frame, ProviderClient};
use super::manage::{gateway_words, owned_lease, OwnedLease, PROVIDER_WAIT};
use super::{blocking, ConsoleState};

/// Websocket pings to the browser, so idle connections stay open.
const KEEPALIVE: Duration = Duration::from_secs(20);

/// Lines of each replica sent when a log stream (re)opens.
const DEFAULT_TAIL: u64 = 500;

#[derive(Deserialize, Default)]
pub struct StreamQuery {
    /// Comma-separated service names; empty = all.
    #[serde(default)]
    service: String,
    #[serde(default)]
    tail: Option<u64>,
}

impl StreamQuery {
    fn services(&self) -> Vec<String> {
        self.service
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[derive(Deserialize, Default)]
pub struct ShellQuery {
    #[serde(default)]
    service: String,
    /// The command and its arguments, separated by spaces; `sh` when empty.
    #[serde(default)]
    cmd: String,
    #[serde(default)]
    replica: usize,
}

/// The checks every websocket route makes before upgrading: signed in, the lease is the
/// account's, and it is active.
async fn checked(
    state: &ConsoleState,
    headers: &HeaderMap,
    id: (u64, u32, u32, String),
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<(OwnedLease, WebSocketUpgrade), Response> {
    let lease = owned_lease(state, headers, id).await?;
    if !lease.row.active {
        return Err((
            StatusCode::CONFLICT,
            format!(
                "lease {}/{}/{} is {}: the provider no longer runs it",
                lease.lease.dseq, lease.lease.gseq, lease.lease.oseq, lease.row.state
            ),
        )
            .into_response());
    }
    match ws {
        Ok(ws) => Ok((lease, ws)),
        Err(rejection) => Err(rejection.into_response()),
    }
}

pub async fn logs_ws(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<(u64, u32, u32, String)>,
    Query(q): Query<StreamQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match checked(&state, &headers, id, ws).await {
        Ok((lease, ws)) => ws.on_upgrade(move |socket| async move {
            stream_session(state, lease, q, socket, Kind::Logs).await
        }),
        Err(r) => r,
    }
}

pub async fn events_ws(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<(u64, u32, u32, String)>,
    Query(q): Query<StreamQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match checked(&state, &headers, id, ws).await {
        Ok((lease, ws)) => ws.on_upgrade(move |socket| async move {
            stream_session(state, lease, q, socket, Kind::Events).await
        }),
        Err(r) => r,
    }
}

pub async fn shell_ws(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<(u64, u32, u32, String)>,
    Query(q): Query<ShellQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if q.service.trim().is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "name the service to open a shell in (?service=NAME)",
        )
            .into_response();
    }
    match checked(&state, &headers, id, ws).await {
        Ok((lease, ws)) => {
            ws.on_upgrade(move |socket| async move { shell_session(state, lease, q, socket).await })
        }
        Err(r) => r,
    }
}

async fn send_json(socket: &mut WebSocket, v: Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

async fn fail(socket: &mut WebSocket, message: String) {
    let _ = send_json(socket, json!({"type": "error", "message": message})).await;
    let _ = socket.send(Message::Close(None)).await;
}

/// The account's gateway client for the lease's provider (blocking chain lookups off-thread).
async fn client_for(state: &ConsoleState, lease: &OwnedLease) -> Result<ProviderClient, String> {
    let st = state.clone();
    let acct = lease.account.clone();
    let provider = lease.lease.provider.clone();
    blocking(move || gateway::provider_client(&st, &acct, &provider))
        .await
        .map_err(|e| format!("{e:#}"))
}

#[derive(Clone, Copy)]
enum Kind {
    Logs,
    Events,
}

/// Opens the provider's log or event stream as JSON messages for the page.
async fn open_stream(
    client: &ProviderClient,
    lease: &OwnedLease,
    q: &StreamQuery,
    kind: Kind,
) -> anyhow::Result<BoxStream<'static, anyhow::Result<Value>>> {
    let services = q.services();
    Ok(match kind {
        Kind::Logs => client
            .logs(
                &lease.lease,
                &services,
                true,
                Some(q.tail.unwrap_or(DEFAULT_TAIL)),
            )
            .await?
            .map(|l| l.map(|l| json!({"type": "line", "name": l.name, "message": l.message})))
            .boxed(),
        Kind::Events => client
            .events(&lease.lease, &services, true)
            .await?
            .map(|e| {
                e.map(|e| {
                    json!({"type": "event", "kind": e.kind, "reason": e.reason, "note": e.note,
                           "object": format!("{} {}", e.object.kind, e.object.name)})
                })
            })
            .boxed(),
    })
}

async fn stream_session(
    state: ConsoleState,
    lease: OwnedLease,
    q: StreamQuery,
    mut socket: WebSocket,
    kind: Kind,
) {
    let client = match client_for(&state, &lease).await {
        Ok(c) => c,
        Err(words) => return fail(&mut socket, words).await,
    };
    let opened = tokio::time::timeout(PROVIDER_WAIT, open_stream(&client, &lease, &q, kind)).await;
    let mut stream = match opened {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return fail(&mut socket, gateway_words(&lease.host, &e)).await,
        Err(_) => {
            let e = anyhow::anyhow!("no answer within {} s", PROVIDER_WAIT.as_secs());
            return fail(&mut socket, gateway_words(&lease.host, &e)).await;
        }
    };
    if !send_json(&mut socket, json!({"type": "hello", "host": lease.host})).await {
        return;
    }
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    loop {
        tokio::select! {
            item = stream.next() => match item {
                Some(Ok(v)) => {
                    if !send_json(&mut socket, v).await {
                        return;
                    }
                }
                Some(Err(e)) => {
                    return fail(&mut socket, format!(
                        "the stream from the provider at {} broke ({e:#}); reconnecting",
                        lease.host
                    )).await;
                }
                None => {
                    return fail(&mut socket, format!(
                        "the provider at {} ended the stream; reconnecting", lease.host
                    )).await;
                }
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    if is_ping(t.as_str()) && !send_json(&mut socket, json!({"type": "pong"})).await {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn is_ping(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| v["type"] == "ping")
}

/// What the page may send into a shell: stdin and terminal size, nothing else.
pub fn page_frame(data: &[u8]) -> Result<Frame, String> {
    match Frame::decode(data)? {
        f @ (Frame::Stdin(_) | Frame::Resize { .. }) => Ok(f),
        other => Err(format!(
            "the page may send only stdin (104) and resize (105) frames, not {other:?}"
        )),
    }
}

async fn shell_session(state: ConsoleState, lease: OwnedLease, q: ShellQuery, socket: WebSocket) {
    let mut socket = socket;
    let client = match client_for(&state, &lease).await {
        Ok(c) => c,
        Err(words) => return fail(&mut socket, words).await,
    };
    let mut cmd: Vec<String> = q.cmd.split_whitespace().map(str::to_string).collect();
    if cmd.is_empty() {
        cmd.push("sh".into());
    }
    let service = q.service.trim().to_string();
    let opened = tokio::time::timeout(
        PROVIDER_WAIT,
        client.shell(&lease.lease, &service, q.replica, &cmd, true, true),
    )
    .await;
    let (mut input, mut output) = match opened {
        Ok(Ok(io)) => io,
        Ok(Err(e)) => return fail(&mut socket, gateway_words(&lease.host, &e)).await,
        Err(_) => {
            let e = anyhow::anyhow!("no answer within {} s", PROVIDER_WAIT.as_secs());
            return fail(&mut socket, gateway_words(&lease.host, &e)).await;
        }
    };
    if !send_json(
        &mut socket,
        json!({"type": "hello", "host": lease.host, "service": service, "cmd": cmd.join(" ")}),
    )
    .await
    {
        return;
    }
    let (mut to_page, mut from_page) = socket.split();
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    let text = |v: Value| Message::Text(v.to_string().into());
    loop {
        tokio::select! {
            f = output.next() => match f {
                Some(Ok(frame)) => {
                    let last = matches!(frame, Frame::Result(_) | Frame::Failure);
                    if to_page.send(Message::Binary(frame.encode().into())).await.is_err() || last {
                        break;
                    }
                }
                Some(Err(e)) => {
                    let _ = to_page.send(text(json!({"type": "error",
                        "message": gateway_words(&lease.host, &e)}))).await;
                    break;
                }
                None => {
                    let _ = to_page.send(text(json!({"type": "error", "message": format!(
                        "the provider at {} closed the shell without an exit code", lease.host)}))).await;
                    break;
                }
            },
            m = from_page.next() => match m {
                Some(Ok(Message::Binary(b))) => match page_frame(&b) {
                    Ok(f) => {
                        if let Err(e) = input.send(f).await {
                            let _ = to_page.send(text(json!({"type": "error",
                                "message": gateway_words(&lease.host, &e)}))).await;
                            break;
                        }
                    }
                    Err(why) => {
                        let _ = to_page.send(text(json!({"type": "error", "message": why}))).await;
                    }
                },
                Some(Ok(Message::Text(t))) => {
                    if is_ping(t.as_str())
                        && to_page.send(text(json!({"type": "pong"}))).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    // The page left: end the command's stdin so the provider ends the exec.
                    let _ = input.close_stdin().await;
                    break;
                }
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => {
                if to_page.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = to_page.send(Message::Close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_sends_only_stdin_and_resize() {
        assert_eq!(page_frame(b"\x68ls\n"), Ok(Frame::Stdin(b"ls\n".to_vec())));
        assert_eq!(
            page_frame(&[105, 0, 80, 0, 24]),
            Ok(Frame::Resize {
                width: 80,
                height: 24
            })
        );
        assert!(page_frame(b"\x64hi").unwrap_err().contains("only stdin"));
        assert!(page_frame(&[]).is_err());
        assert!(page_frame(&[105, 0]).is_err());
        assert!(is_ping(r#"{"type":"ping"}"#));
        assert!(!is_ping("ping"));
        let q = StreamQuery {
            service: " web, ,db".into(),
            tail: None,
        };
        assert_eq!(q.services(), vec!["web".to_string(), "db".to_string()]);
    }
}
