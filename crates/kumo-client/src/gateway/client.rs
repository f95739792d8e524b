//! The tenant's side of the gateway: HTTPS and websockets to a provider's `host_uri`, trusting
//! its self-signed certificate only when it is one the provider published on chain, and
//! authenticating with a JWT (default; made per request with the tenant's account key, full
//! access, 15 minutes) or the tenant's own client certificate (mTLS).

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use futures::stream::{BoxStream, SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use kumo_proto::akash::market::v1::LeaseId;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use rustls::pki_types::ServerName;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::WebSocketStream;

use super::jwt;
use super::lease::{LeaseEvent, LeaseStatus, LogLine, ServiceStatus};
use super::shell::Frame;
use super::tls::{client_config, OnChainServerCert};
use crate::certs::Identity;
use crate::RpcClient;

/// How the tenant proves who it is.
#[derive(Clone)]
pub enum Credentials {
    /// Nothing (enough for `/version`, `/address`, `/status`).
    Anonymous,
    /// A fresh ES256K token per request, signed with the account key.
    Jwt(kumo_crypto::PrivKey),
    /// A token made elsewhere (e.g. with scoped or granular access).
    Bearer(String),
    /// The tenant's certificate file (`<home>/<address>.pem`), published on chain.
    Mtls(Identity),
    /// A certificate and a token at once: the gateway refuses that (400, ambiguous); this exists
    /// to check that it does.
    MtlsAndBearer(Identity, String),
}

/// An answer other than 2xx, with the provider's message.
#[derive(Debug, thiserror::Error)]
#[error("provider answered {status}: {message}")]
pub struct GatewayError {
    pub status: u16,
    pub message: String,
}

pub struct ProviderClient {
    pub provider: String,
    host: String,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    credentials: Credentials,
}

/// `https://host:port` (path ignored) to (host, port); port 443 when absent.
pub fn parse_host_uri(uri: &str) -> Result<(String, u16)> {
    let rest = uri
        .strip_prefix("https://")
        .with_context(|| format!("provider host URI {uri:?} must start with https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .with_context(|| format!("bad IPv6 host in {uri:?}"))?;
        (h.to_string(), after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        bail!("provider host URI {uri:?} has no host");
    }
    let port = match port {
        None => 443,
        Some(p) => p
            .parse()
            .with_context(|| format!("bad port in provider host URI {uri:?}"))?,
    };
    Ok((host, port))
}

impl ProviderClient {
    /// A client for `provider` at `host_uri`, trusting only `provider_certs` (DER, from chain).
    pub fn new(
        provider: &str,
        host_uri: &str,
        provider_certs: Vec<Vec<u8>>,
        credentials: Credentials,
    ) -> Result<ProviderClient> {
        if provider_certs.is_empty() {
            bail!(
                "provider {provider} has no valid certificate on chain, so its gateway cannot be \
                 trusted; the provider must publish one (`kumo tx cert publish server`)"
            );
        }
        let (host, port) = parse_host_uri(host_uri)?;
        let verifier = OnChainServerCert::new(provider, provider_certs);
        let identity = match &credentials {
            Credentials::Mtls(id) | Credentials::MtlsAndBearer(id, _) => Some(id),
            _ => None,
        };
        Ok(ProviderClient {
            provider: provider.to_string(),
            host,
            port,
            tls: client_config(verifier, identity)?,
            credentials,
        })
    }

    /// An anonymous client for a provider's public, read-only routes (`/status`, `/version`)
    /// that accepts whatever certificate the gateway presents, as Akash's stats indexer does
    /// when it probes providers. Never give it credentials: nothing proves who answers.
    pub fn public(provider: &str, host_uri: &str) -> Result<ProviderClient> {
        let (host, port) = parse_host_uri(host_uri)?;
        Ok(ProviderClient {
            provider: provider.to_string(),
            host,
            port,
            tls: super::tls::public_client_config()?,
            credentials: Credentials::Anonymous,
        })
    }

    /// Looks the provider's host URI and certificates up on chain (blocking).
    pub fn from_chain(
        chain: &RpcClient,
        provider: &str,
        credentials: Credentials,
    ) -> Result<ProviderClient> {
        let p: pv1b4::QueryProviderResponse = chain
            .query_proto(
                "/akash.provider.v1beta4.Query/Provider",
                &pv1b4::QueryProviderRequest {
                    owner: provider.to_string(),
                },
            )
            .with_context(|| format!("cannot find provider {provider} on chain"))?;
        let host_uri = p
            .provider
            .map(|p| p.host_uri)
            .with_context(|| format!("provider {provider} is not registered on chain"))?;
        let certs = crate::certs::valid_on_chain(chain, provider)
            .with_context(|| format!("cannot read provider {provider}'s certificates"))?;
        ProviderClient::new(provider, &host_uri, certs, credentials)
    }

    fn bearer(&self) -> Option<String> {
        match &self.credentials {
            Credentials::Jwt(k) => {
                let claims = jwt::Claims::full_access(
                    &k.address().to_string(),
                    jwt::unix_now(),
                    jwt::CLI_TOKEN_LIFETIME_SECS,
                );
                Some(format!("Bearer {}", jwt::sign(&claims, k)))
            }
            Credentials::Bearer(t) | Credentials::MtlsAndBearer(_, t) => {
                Some(format!("Bearer {t}"))
            }
            Credentials::Anonymous | Credentials::Mtls(_) => None,
        }
    }

    async fn connect_tls(&self) -> Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .with_context(|| {
                format!(
                    "cannot reach provider {} at {}:{}",
                    self.provider, self.host, self.port
                )
            })?;
        let name = ServerName::try_from(self.host.clone())
            .with_context(|| format!("{:?} is not a host name", self.host))?;
        tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .with_context(|| format!("TLS with provider {} failed", self.provider))
    }

    /// One request; non-2xx answers become [`GatewayError`].
    pub async fn request(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        let io = TokioIo::new(self.connect_tls().await?);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .context("HTTP handshake with the provider failed")?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, format!("{}:{}", self.host, self.port));
        if let Some(b) = self.bearer() {
            req = req.header(hyper::header::AUTHORIZATION, b);
        }
        if body.is_some() {
            req = req.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
        let resp = sender
            .send_request(req)
            .await
            .context("request to the provider failed")?;
        let status = resp.status();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .context("reading the provider's answer failed")?
            .to_bytes()
            .to_vec();
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
            return Err(GatewayError {
                status: status.as_u16(),
                message,
            }
            .into());
        }
        Ok(bytes)
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let b = self.request(hyper::Method::GET, path, None).await?;
        serde_json::from_slice(&b)
            .with_context(|| format!("provider's answer to {path} is not the expected JSON"))
    }

    pub async fn version(&self) -> Result<serde_json::Value> {
        self.get_json("/version").await
    }

    pub async fn address(&self) -> Result<String> {
        let v: serde_json::Value = self.get_json("/address").await?;
        v["address"]
            .as_str()
            .map(str::to_string)
            .context("the /address answer has no address")
    }

    pub async fn status(&self) -> Result<serde_json::Value> {
        self.get_json("/status").await
    }

    pub async fn send_manifest(
        &self,
        dseq: u64,
        groups: &[kumo_sdl::manifest::Group],
    ) -> Result<()> {
        let body = serde_json::to_vec(groups)?;
        self.request(
            hyper::Method::PUT,
            &format!("/deployment/{dseq}/manifest"),
            Some(body),
        )
        .await?;
        Ok(())
    }

    /// Sends raw bytes as the manifest (for tests of what the provider refuses).
    pub async fn send_manifest_bytes(&self, dseq: u64, body: Vec<u8>) -> Result<()> {
        self.request(
            hyper::Method::PUT,
            &format!("/deployment/{dseq}/manifest"),
            Some(body),
        )
        .await?;
        Ok(())
    }

    pub async fn get_manifest(&self, lease: &LeaseId) -> Result<Vec<kumo_sdl::manifest::Group>> {
        self.get_json(&format!("{}/manifest", lease_path(lease)))
            .await
    }

    pub async fn lease_status(&self, lease: &LeaseId) -> Result<LeaseStatus> {
        self.get_json(&format!("{}/status", lease_path(lease)))
            .await
    }

    pub async fn service_status(&self, lease: &LeaseId, service: &str) -> Result<ServiceStatus> {
        self.get_json(&format!("{}/service/{service}/status", lease_path(lease)))
            .await
    }

    /// The bid engine's decision on an order: `GET /orders/{owner}/{dseq}/{gseq}/{oseq}/decision`
    /// (a kumo addition; no credentials needed).
    pub async fn order_decision(
        &self,
        order: &kumo_proto::akash::market::v1::OrderId,
    ) -> Result<serde_json::Value> {
        self.get_json(&format!(
            "/orders/{}/{}/{}/{}/decision",
            urlencode(&order.owner),
            order.dseq,
            order.gseq,
            order.oseq
        ))
        .await
    }

    /// Restarts a service's containers (a kumo addition to Akash's API).
    pub async fn restart(&self, lease: &LeaseId, service: &str) -> Result<()> {
        self.request(
            hyper::Method::POST,
            &format!("{}/service/{service}/restart", lease_path(lease)),
            None,
        )
        .await?;
        Ok(())
    }

    async fn websocket(
        &self,
        path_and_query: &str,
    ) -> Result<WebSocketStream<TlsStream<TcpStream>>> {
        use tungstenite::client::IntoClientRequest;
        let url = format!("wss://{}:{}{path_and_query}", self.host, self.port);
        let mut req = url
            .as_str()
            .into_client_request()
            .with_context(|| format!("bad websocket URL {url}"))?;
        if let Some(b) = self.bearer() {
            req.headers_mut()
                .insert(hyper::header::AUTHORIZATION, b.parse()?);
        }
        let tls = self.connect_tls().await?;
        match tokio_tungstenite::client_async(req, tls).await {
            Ok((ws, _)) => Ok(ws),
            Err(tungstenite::Error::Http(resp)) => {
                let status = resp.status().as_u16();
                let body = resp.body().clone().unwrap_or_default();
                let message = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| {
                        v.get("message")
                            .and_then(|m| m.as_str())
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
                Err(GatewayError { status, message }.into())
            }
            Err(e) => Err(anyhow::anyhow!("websocket to the provider failed: {e}")),
        }
    }

    /// Log lines; `services` empty = all; `tail` None = everything.
    pub async fn logs(
        &self,
        lease: &LeaseId,
        services: &[String],
        follow: bool,
        tail: Option<u64>,
    ) -> Result<BoxStream<'static, Result<LogLine>>> {
        let mut q = format!(
            "{}/logs?follow={follow}&tail={}",
            lease_path(lease),
            tail.map_or(-1, |t| t as i64)
        );
        if !services.is_empty() {
            q.push_str(&format!("&service={}", services.join(",")));
        }
        Ok(json_stream(self.websocket(&q).await?))
    }

    pub async fn events(
        &self,
        lease: &LeaseId,
        services: &[String],
        follow: bool,
    ) -> Result<BoxStream<'static, Result<LeaseEvent>>> {
        let mut q = format!("{}/kubeevents?follow={follow}", lease_path(lease));
        if !services.is_empty() {
            q.push_str(&format!("&service={}", services.join(",")));
        }
        Ok(json_stream(self.websocket(&q).await?))
    }

    /// Starts `cmd` in replica `replica` of `service`.
    pub async fn shell(
        &self,
        lease: &LeaseId,
        service: &str,
        replica: usize,
        cmd: &[String],
        tty: bool,
        stdin: bool,
    ) -> Result<(ShellInput, ShellOutput)> {
        if cmd.is_empty() {
            bail!("give a command to run");
        }
        let mut q = format!(
            "{}/shell?tty={}&stdin={}&podIndex={replica}&service={}",
            lease_path(lease),
            u8::from(tty),
            u8::from(stdin),
            urlencode(service)
        );
        for (i, c) in cmd.iter().enumerate() {
            q.push_str(&format!("&cmd{i}={}", urlencode(c)));
        }
        let ws = self.websocket(&q).await?;
        let (tx, rx) = ws.split();
        Ok((ShellInput(tx), ShellOutput(rx)))
    }
}

pub fn lease_path(l: &LeaseId) -> String {
    format!("/lease/{}/{}/{}", l.dseq, l.gseq, l.oseq)
}

/// Percent-encodes everything but unreserved characters (query values).
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Reads a websocket of JSON text messages until it closes; a close with a 4xxx code becomes an
/// error carrying the provider's reason.
fn json_stream<T: DeserializeOwned + Send + 'static>(
    ws: WebSocketStream<TlsStream<TcpStream>>,
) -> BoxStream<'static, Result<T>> {
    futures::stream::unfold(Some(ws), |ws| async move {
        let mut ws = ws?;
        loop {
            match ws.next().await {
                None => return None,
                Some(Err(e)) => return Some((Err(anyhow::anyhow!("websocket: {e}")), None)),
                Some(Ok(tungstenite::Message::Text(t))) => {
                    let item = serde_json::from_str(t.as_str())
                        .with_context(|| format!("unexpected message from the provider: {t}"));
                    return Some((item, Some(ws)));
                }
                Some(Ok(tungstenite::Message::Close(Some(f)))) if u16::from(f.code) >= 4000 => {
                    return Some((Err(close_error(u16::from(f.code), f.reason.as_str())), None))
                }
                Some(Ok(tungstenite::Message::Close(_))) => return None,
                Some(Ok(_)) => {}
            }
        }
    })
    .boxed()
}

fn close_error(code: u16, reason: &str) -> anyhow::Error {
    let what = match code {
        4001 => "lease not found",
        4002 => "service unavailable",
        _ => "internal error at the provider",
    };
    anyhow::anyhow!("provider closed the stream ({code} {what}): {reason}")
}

/// The tenant's half of a shell: stdin and terminal size.
pub struct ShellInput(SplitSink<WebSocketStream<TlsStream<TcpStream>>, tungstenite::Message>);

impl ShellInput {
    pub async fn send(&mut self, f: Frame) -> Result<()> {
        self.0
            .send(tungstenite::Message::Binary(f.encode().into()))
            .await
            .context("shell: sending to the provider failed")
    }

    /// Tells the command its stdin ended.
    pub async fn close_stdin(&mut self) -> Result<()> {
        self.send(Frame::Stdin(vec![])).await
    }
}

/// The provider's half: output frames, then the result.
pub struct ShellOutput(SplitStream<WebSocketStream<TlsStream<TcpStream>>>);

impl ShellOutput {
    /// The next frame (stdout, stderr, result or failure); `None` when the provider closed.
    pub async fn next(&mut self) -> Option<Result<Frame>> {
        loop {
            match self.0.next().await? {
                Err(e) => return Some(Err(anyhow::anyhow!("shell websocket: {e}"))),
                Ok(tungstenite::Message::Binary(b)) => {
                    return Some(Frame::decode(&b).map_err(|e| anyhow::anyhow!(e)))
                }
                Ok(tungstenite::Message::Close(Some(f))) if u16::from(f.code) >= 4000 => {
                    return Some(Err(close_error(u16::from(f.code), f.reason.as_str())))
                }
                Ok(tungstenite::Message::Close(_)) => return None,
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_uris() {
        assert_eq!(
            parse_host_uri("https://provider.example.com:8443").unwrap(),
            ("provider.example.com".into(), 8443)
        );
        assert_eq!(
            parse_host_uri("https://p.example/").unwrap(),
            ("p.example".into(), 443)
        );
        assert_eq!(
            parse_host_uri("https://[::1]:8443").unwrap(),
            ("::1".into(), 8443)
        );
        assert!(parse_host_uri("http://p:8443").is_err());
        assert!(parse_host_uri("https://:8443").is_err());
        assert!(parse_host_uri("https://p:x").is_err());
        assert_eq!(urlencode("echo hi&x=1"), "echo%20hi%26x%3D1");
    }
}
