//! What the gateway reads from the chain, through kumo-client's blocking JSON-RPC client run on
//! tokio's blocking pool: certificates (cached), account public keys, leases and deployments.
//!
//! Certificate cache and revocation: before answering from the cache, the gateway reads the
//! node's latest height and scans every block it has not scanned yet for
//! `MsgRevokeCertificate` (also inside authz `MsgExec`), evicting each revoked (owner, serial).
//! A cached answer therefore always stands for the chain as of its latest block: a revocation
//! is refused on the first request after the block that carries it. (kumo's cert module, like
//! Akash's, emits no typed revocation event; the tx's message is what is followed.) A gap of
//! more than [`MAX_SCAN`] blocks, or a block that cannot be read, empties the cache instead.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_client::certs::{cert_der, valid_on_chain};
use kumo_client::RpcClient;
use kumo_proto::akash::cert::v1 as cert;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;

/// An on-chain certificate as the gateway needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnChainCert {
    /// Published and not revoked: its DER.
    Valid(Vec<u8>),
    Revoked,
    Missing,
}

/// Most entries a cache holds before it is cleared (a bound against junk serials).
const CACHE_LIMIT: usize = 10_000;
/// Most blocks scanned for revocations in one go; a longer gap empties the cache instead.
pub const MAX_SCAN: u64 = 100;

const MSG_REVOKE_CERTIFICATE: &str = "/akash.cert.v1.MsgRevokeCertificate";
const MSG_CREATE_CERTIFICATE: &str = "/akash.cert.v1.MsgCreateCertificate";
const MSG_EXEC: &str = "/cosmos.authz.v1beta1.MsgExec";

pub struct ChainView {
    client: RpcClient,
    cert_ttl: Duration,
    certs: Mutex<BTreeMap<(String, String), (Instant, OnChainCert)>>,
    /// Every block up to this height has been scanned for revocations (held while scanning).
    scan: tokio::sync::Mutex<u64>,
    /// The same height, readable without waiting for a scan.
    scanned: AtomicU64,
    /// Account keys never change once set, so they are kept.
    pubkeys: Mutex<BTreeMap<String, kumo_crypto::PubKey>>,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("chain query task failed")?
}

impl ChainView {
    pub fn new(node: &str, cert_ttl: Duration) -> ChainView {
        ChainView {
            client: RpcClient::new(node),
            cert_ttl,
            certs: Mutex::new(BTreeMap::new()),
            scan: tokio::sync::Mutex::new(0),
            scanned: AtomicU64::new(0),
            pubkeys: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn client(&self) -> RpcClient {
        self.client.clone()
    }

    /// The certificate `(owner, serial)`; answers from the cache when younger than the TTL and
    /// no block since it was cached revoked it (see the module doc).
    pub async fn certificate(&self, owner: &str, serial: &str) -> Result<OnChainCert> {
        let key = (owner.to_string(), serial.to_string());
        let synced = self.sync_revocations().await?;
        if let Some((at, c)) = self.certs.lock().unwrap().get(&key) {
            if at.elapsed() < self.cert_ttl {
                return Ok(c.clone());
            }
        }
        let client = self.client();
        let (o, s) = key.clone();
        let found = blocking(move || certificate(&client, &o, &s)).await?;
        let mut cache = self.certs.lock().unwrap();
        // A block scanned while the query ran may have revoked it after the node answered:
        // such an answer is used once, not cached.
        if self.scanned.load(Ordering::SeqCst) == synced {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, (Instant::now(), found.clone()));
        }
        Ok(found)
    }

    /// Scans the blocks up to the node's latest height for revocations, evicting each revoked
    /// certificate from the cache; returns the height scanned through.
    pub async fn sync_revocations(&self) -> Result<u64> {
        let client = self.client();
        let tip = blocking(move || Ok(client.status()?.latest_height)).await?;
        if tip <= self.scanned.load(Ordering::SeqCst) {
            return Ok(self.scanned.load(Ordering::SeqCst));
        }
        let mut scanned = self.scan.lock().await;
        if tip <= *scanned {
            return Ok(*scanned);
        }
        let from = *scanned + 1;
        if *scanned == 0 || tip - *scanned > MAX_SCAN {
            self.certs.lock().unwrap().clear();
        } else {
            let client = self.client();
            match blocking(move || revocations(&client, from, tip)).await {
                Ok(revoked) => {
                    let mut cache = self.certs.lock().unwrap();
                    for key in revoked {
                        tracing::debug!(owner = %key.0, serial = %key.1, "gateway: certificate changed on chain");
                        cache.remove(&key);
                    }
                }
                Err(e) => {
                    tracing::warn!("gateway: cannot scan blocks {from}..={tip} for certificate revocations ({e:#}); emptying the certificate cache");
                    self.certs.lock().unwrap().clear();
                }
            }
        }
        *scanned = tip;
        self.scanned.store(tip, Ordering::SeqCst);
        Ok(tip)
    }

    /// Every valid certificate of `owner` (DER).
    pub async fn valid_certificates(&self, owner: &str) -> Result<Vec<Vec<u8>>> {
        let client = self.client();
        let owner = owner.to_string();
        blocking(move || valid_on_chain(&client, &owner)).await
    }

    /// The account's public key; `None` when the account is unknown or has never signed.
    pub async fn account_pubkey(&self, address: &str) -> Result<Option<kumo_crypto::PubKey>> {
        if let Some(k) = self.pubkeys.lock().unwrap().get(address) {
            return Ok(Some(k.clone()));
        }
        let client = self.client();
        let addr = address.to_string();
        let key = blocking(move || {
            let Some(acct) = client.account(&addr)? else {
                return Ok(None);
            };
            Ok(acct
                .pubkey
                .filter(|p| p.type_url == "/cosmos.crypto.secp256k1.PubKey")
                .and_then(|p| kumo_crypto::PubKey::from_bytes(&p.key).ok()))
        })
        .await?;
        if let Some(k) = &key {
            let mut cache = self.pubkeys.lock().unwrap();
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(address.to_string(), k.clone());
        }
        Ok(key)
    }

    /// The active leases of deployment `(owner, dseq)` won by `provider`.
    pub async fn active_leases(
        &self,
        owner: &str,
        dseq: u64,
        provider: &str,
    ) -> Result<Vec<mv1::LeaseId>> {
        let client = self.client();
        let filters = mv1::LeaseFilters {
            owner: owner.to_string(),
            dseq,
            provider: provider.to_string(),
            state: "active".into(),
            ..Default::default()
        };
        blocking(move || {
            let r: mv1b5::QueryLeasesResponse = client.query_proto(
                "/akash.market.v1beta5.Query/Leases",
                &mv1b5::QueryLeasesRequest {
                    filters: Some(filters),
                    pagination: Some(PageRequest {
                        limit: 1000,
                        ..Default::default()
                    }),
                },
            )?;
            Ok(r.leases
                .into_iter()
                .filter_map(|l| l.lease)
                .filter(|l| l.state == mv1::lease::State::Active as i32)
                .filter_map(|l| l.id)
                .collect())
        })
        .await
    }

    /// The deployment and its groups.
    pub async fn deployment(
        &self,
        owner: &str,
        dseq: u64,
    ) -> Result<dv1b4::QueryDeploymentResponse> {
        let client = self.client();
        let id = dv1::DeploymentId {
            owner: owner.to_string(),
            dseq,
        };
        blocking(move || {
            Ok(client.query_proto(
                "/akash.deployment.v1beta4.Query/Deployment",
                &dv1b4::QueryDeploymentRequest { id: Some(id) },
            )?)
        })
        .await
    }
}

/// The (owner, serial) of every certificate revoked (or published) by a tx in blocks
/// `from..=to` (failed txs included: evicting too much only costs a query).
fn revocations(client: &RpcClient, from: u64, to: u64) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for h in from..=to {
        for raw in client.block(Some(h))?.txs {
            out.extend(revocations_in_tx(&raw));
        }
    }
    Ok(out)
}

/// The certificates a tx revokes or publishes (directly or through authz `MsgExec`).
pub fn revocations_in_tx(raw: &[u8]) -> Vec<(String, String)> {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
    use prost::Message;
    fn walk(msgs: &[cosmos_sdk_proto::Any], out: &mut Vec<(String, String)>) {
        for m in msgs {
            match m.type_url.as_str() {
                MSG_REVOKE_CERTIFICATE => {
                    if let Some(id) = cert::MsgRevokeCertificate::decode(m.value.as_slice())
                        .ok()
                        .and_then(|r| r.id)
                    {
                        out.push((id.owner, id.serial));
                    }
                }
                // A publication evicts a cached "not published" answer.
                MSG_CREATE_CERTIFICATE => {
                    if let Some(key) = cert::MsgCreateCertificate::decode(m.value.as_slice())
                        .ok()
                        .and_then(|c| Some((c.owner, cert_serial(&c.cert)?)))
                    {
                        out.push(key);
                    }
                }
                MSG_EXEC => {
                    if let Ok(exec) = cosmos_sdk_proto::cosmos::authz::v1beta1::MsgExec::decode(
                        m.value.as_slice(),
                    ) {
                        walk(&exec.msgs, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    if let Some(body) = TxRaw::decode(raw)
        .ok()
        .and_then(|t| TxBody::decode(t.body_bytes.as_slice()).ok())
    {
        walk(&body.messages, &mut out);
    }
    out
}

fn certificate(client: &RpcClient, owner: &str, serial: &str) -> Result<OnChainCert> {
    let r: cert::QueryCertificatesResponse = client.query_proto(
        "/akash.cert.v1.Query/Certificates",
        &cert::QueryCertificatesRequest {
            filter: Some(cert::CertificateFilter {
                owner: owner.to_string(),
                serial: serial.to_string(),
                state: String::new(),
            }),
            pagination: None,
        },
    )?;
    let Some(c) = r
        .certificates
        .into_iter()
        .find(|c| c.serial == serial)
        .and_then(|c| c.certificate)
    else {
        return Ok(OnChainCert::Missing);
    };
    if c.state != cert::State::Valid as i32 {
        return Ok(OnChainCert::Revoked);
    }
    Ok(match cert_der(&c.cert) {
        Some(der) => OnChainCert::Valid(der),
        None => OnChainCert::Missing,
    })
}

/// The serial (base 10, as the gateway keys certificates) of a PEM certificate.
fn cert_serial(pem: &[u8]) -> Option<String> {
    let der = cert_der(pem)?;
    let (_, c) = x509_parser::parse_x509_certificate(&der).ok()?;
    Some(c.tbs_certificate.serial.to_str_radix(10))
}
