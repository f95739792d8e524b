//! The built-in HTTP ingress: one listener that routes each request by its `Host` header to a
//! running replica of the lease service that owns the hostname (what ingress-nginx does for an
//! Akash provider on Kubernetes, `../shared/spec/akash-offchain.md` §1.3, §2.9).
//!
//! Replicas are picked round robin. Their addresses (container IPs on the lease network, which
//! the provider reaches because it runs on the Docker host) are resolved lazily and cached; the
//! runtime drops the cache when containers start or stop, and a failed connection re-resolves
//! and tries once more. Bodies stream both ways; HTTP upgrades (WebSocket) are tunnelled.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

type Body = BoxBody<Bytes, hyper::Error>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a hostname goes: a service of a lease, at the service's container port, with the
/// expose's `http_options` limits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    pub namespace: String,
    pub service: String,
    pub port: u16,
    /// Larger request bodies are refused with 413.
    pub max_body_size: u64,
    /// How long the replica may take to answer (response headers) before a 504.
    pub read_timeout: Duration,
}

/// Finds the running replicas of a route (the runtime asks dockerd).
#[async_trait::async_trait]
pub trait Backends: Send + Sync + 'static {
    async fn resolve(&self, route: &Route) -> anyhow::Result<Vec<SocketAddr>>;
}

/// The route table and the proxy. Cheap to clone.
#[derive(Clone)]
pub struct Ingress {
    inner: Arc<Inner>,
}

struct Inner {
    routes: RwLock<BTreeMap<String, Route>>,
    cache: Mutex<BTreeMap<Route, Vec<SocketAddr>>>,
    next: AtomicUsize,
    backends: Arc<dyn Backends>,
}

/// A hostname already served for another lease.
#[derive(Debug, thiserror::Error)]
#[error("hostname {host} is already in use by another lease on this provider")]
pub struct HostTaken {
    pub host: String,
}

impl Ingress {
    pub fn new(backends: Arc<dyn Backends>) -> Self {
        Ingress {
            inner: Arc::new(Inner {
                routes: RwLock::new(BTreeMap::new()),
                cache: Mutex::new(BTreeMap::new()),
                next: AtomicUsize::new(0),
                backends,
            }),
        }
    }

    /// Fails if a hostname belongs to another namespace (first lease keeps it, as Akash's
    /// hostname operator does).
    pub fn check_hosts<'a>(
        &self,
        namespace: &str,
        hosts: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), HostTaken> {
        let routes = self.inner.routes.read().unwrap();
        for h in hosts {
            if let Some(r) = routes.get(h) {
                if r.namespace != namespace {
                    return Err(HostTaken { host: h.clone() });
                }
            }
        }
        Ok(())
    }

    /// Replaces every route of `namespace` with `routes` (hostname → route).
    pub fn set_routes(
        &self,
        namespace: &str,
        routes: BTreeMap<String, Route>,
    ) -> Result<(), HostTaken> {
        let mut table = self.inner.routes.write().unwrap();
        for h in routes.keys() {
            if let Some(r) = table.get(h) {
                if r.namespace != namespace {
                    return Err(HostTaken { host: h.clone() });
                }
            }
        }
        table.retain(|_, r| r.namespace != namespace);
        table.extend(routes);
        drop(table);
        self.invalidate(namespace);
        Ok(())
    }

    pub fn remove_namespace(&self, namespace: &str) {
        self.inner
            .routes
            .write()
            .unwrap()
            .retain(|_, r| r.namespace != namespace);
        self.invalidate(namespace);
    }

    /// Forgets the cached replica addresses of a namespace (containers came or went).
    pub fn invalidate(&self, namespace: &str) {
        self.inner
            .cache
            .lock()
            .unwrap()
            .retain(|r, _| r.namespace != namespace);
    }

    /// Hostnames currently routed, sorted.
    pub fn hosts(&self) -> BTreeSet<String> {
        self.inner.routes.read().unwrap().keys().cloned().collect()
    }

    /// Serves HTTP on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("ingress accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let this = self.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let this = this.clone();
                    async move { Ok::<_, Infallible>(this.handle(req, peer).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .with_upgrades();
                if let Err(e) = conn.await {
                    tracing::debug!("ingress connection from {peer}: {e}");
                }
            });
        }
    }

    async fn handle(&self, mut req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        let Some(host) = request_host(&req) else {
            return text(StatusCode::BAD_REQUEST, "missing Host header\n");
        };
        let route = self.inner.routes.read().unwrap().get(&host).cloned();
        let Some(route) = route else {
            return text(
                StatusCode::NOT_FOUND,
                format!("no service for host {host}\n"),
            );
        };
        let declared = req
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > route.max_body_size) {
            let mut r = text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body larger than {} bytes (the service's max_body_size)\n",
                    route.max_body_size
                ),
            );
            // The unread body makes the connection unusable for another request.
            r.headers_mut()
                .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
        let Some(stream) = self.connect(&route).await else {
            return text(
                StatusCode::BAD_GATEWAY,
                format!("no running replica of service {}\n", route.service),
            );
        };

        let client_upgrade = hyper::upgrade::on(&mut req);
        let upgrading = req.headers().contains_key(hyper::header::UPGRADE);
        strip_hop_headers(req.headers_mut(), upgrading);
        let xff = match req.headers().get("x-forwarded-for") {
            Some(v) => format!("{}, {}", v.to_str().unwrap_or(""), peer.ip()),
            None => peer.ip().to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&xff) {
            req.headers_mut()
                .insert(HeaderName::from_static("x-forwarded-for"), v);
        }
        req.headers_mut().insert(
            HeaderName::from_static("x-forwarded-proto"),
            HeaderValue::from_static("http"),
        );

        let (mut sender, conn) =
            match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
                Ok(c) => c,
                Err(e) => return text(StatusCode::BAD_GATEWAY, format!("upstream: {e}\n")),
            };
        tokio::spawn(async move {
            if let Err(e) = conn.with_upgrades().await {
                tracing::debug!("ingress upstream connection: {e}");
            }
        });
        // A chunked body is cut off at the limit too (the upstream request then fails).
        let limit = usize::try_from(route.max_body_size).unwrap_or(usize::MAX);
        let req = req.map(|b| -> BoxBody<Bytes, BoxError> {
            http_body_util::Limited::new(b, limit).boxed()
        });
        let mut resp =
            match tokio::time::timeout(route.read_timeout, sender.send_request(req)).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => return text(StatusCode::BAD_GATEWAY, format!("upstream: {e}\n")),
                Err(_) => {
                    return text(
                        StatusCode::GATEWAY_TIMEOUT,
                        format!(
                            "service {} did not answer within {} s\n",
                            route.service,
                            route.read_timeout.as_secs()
                        ),
                    )
                }
            };
        if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
            let upstream_upgrade = hyper::upgrade::on(&mut resp);
            tokio::spawn(async move {
                if let (Ok(client), Ok(upstream)) = tokio::join!(client_upgrade, upstream_upgrade) {
                    let mut client = TokioIo::new(client);
                    let mut upstream = TokioIo::new(upstream);
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                }
            });
        } else {
            strip_hop_headers(resp.headers_mut(), false);
        }
        resp.map(|b| b.boxed())
    }

    /// A TCP connection to a running replica: round robin over the cached addresses; when none
    /// answers, resolve again (containers restart with new IPs) and try those once.
    async fn connect(&self, route: &Route) -> Option<TcpStream> {
        for fresh in [false, true] {
            let addrs = self.addresses(route, fresh).await;
            if addrs.is_empty() {
                if fresh {
                    return None;
                }
                continue;
            }
            let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
            for i in 0..addrs.len() {
                let addr = addrs[(start + i) % addrs.len()];
                match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                    Ok(Ok(s)) => {
                        let _ = s.set_nodelay(true);
                        return Some(s);
                    }
                    Ok(Err(e)) => tracing::debug!("ingress: {addr} for {route:?}: {e}"),
                    Err(_) => tracing::debug!("ingress: {addr} for {route:?}: connect timeout"),
                }
            }
        }
        None
    }

    async fn addresses(&self, route: &Route, fresh: bool) -> Vec<SocketAddr> {
        if !fresh {
            if let Some(a) = self.inner.cache.lock().unwrap().get(route) {
                return a.clone();
            }
        }
        match self.inner.backends.resolve(route).await {
            Ok(addrs) => {
                self.inner
                    .cache
                    .lock()
                    .unwrap()
                    .insert(route.clone(), addrs.clone());
                addrs
            }
            Err(e) => {
                tracing::warn!("ingress: resolving {route:?}: {e:#}");
                Vec::new()
            }
        }
    }
}

/// The request's hostname, lowercased, without port.
fn request_host(req: &Request<Incoming>) -> Option<String> {
    let raw = match req.headers().get(HOST) {
        Some(h) => h.to_str().ok()?.to_string(),
        None => req.uri().authority()?.as_str().to_string(),
    };
    let host = if let Some(rest) = raw.strip_prefix('[') {
        // [v6]:port
        rest.split(']').next()?.to_string()
    } else {
        raw.rsplit_once(':')
            .map(|(h, _)| h.to_string())
            .unwrap_or(raw)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// Hop-by-hop headers belong to one connection, not to the message (RFC 9110 §7.6.1). An
/// upgrade keeps `Connection`/`Upgrade` so the replica sees the handshake.
fn strip_hop_headers(h: &mut hyper::HeaderMap, upgrading: bool) {
    let listed: Vec<String> = h
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    for name in listed {
        if upgrading && name == "upgrade" {
            continue;
        }
        h.remove(name.as_str());
    }
    for name in [
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
    ] {
        h.remove(name);
    }
    if !upgrading {
        h.remove(hyper::header::CONNECTION);
        h.remove(hyper::header::UPGRADE);
    }
}

fn text(status: StatusCode, msg: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(msg.into()))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
