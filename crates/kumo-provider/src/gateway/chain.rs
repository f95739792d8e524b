//! What the gateway reads from the chain, through kumo-client's blocking JSON-RPC client run on
//! tokio's blocking pool: certificates (cached briefly), account public keys, leases and
//! deployments.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
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

pub struct ChainView {
    client: RpcClient,
    cert_ttl: Duration,
    certs: Mutex<BTreeMap<(String, String), (Instant, OnChainCert)>>,
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
            pubkeys: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn client(&self) -> RpcClient {
        self.client.clone()
    }

    /// The certificate `(owner, serial)`; answers from the cache when younger than the TTL.
    pub async fn certificate(&self, owner: &str, serial: &str) -> Result<OnChainCert> {
        let key = (owner.to_string(), serial.to_string());
        if let Some((at, c)) = self.certs.lock().unwrap().get(&key) {
            if at.elapsed() < self.cert_ttl {
                return Ok(c.clone());
            }
        }
        let client = self.client();
        let (o, s) = key.clone();
        let found = blocking(move || certificate(&client, &o, &s)).await?;
        let mut cache = self.certs.lock().unwrap();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, (Instant::now(), found.clone()));
        Ok(found)
    }

    /// Every valid certificate of `owner` (DER).
    pub async fn valid_certificates(&self, owner: &str) -> Result<Vec<Vec<u8>>> {
        let client = self.client();
        let owner = owner.to_string();
        blocking(move || valid_certificates(&client, &owner)).await
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

fn valid_certificates(client: &RpcClient, owner: &str) -> Result<Vec<Vec<u8>>> {
    let r: cert::QueryCertificatesResponse = client.query_proto(
        "/akash.cert.v1.Query/Certificates",
        &cert::QueryCertificatesRequest {
            filter: Some(cert::CertificateFilter {
                owner: owner.to_string(),
                serial: String::new(),
                state: "valid".into(),
            }),
            pagination: Some(PageRequest {
                limit: 1000,
                ..Default::default()
            }),
        },
    )?;
    Ok(r.certificates
        .into_iter()
        .filter_map(|c| c.certificate)
        .filter(|c| c.state == cert::State::Valid as i32)
        .filter_map(|c| cert_der(&c.cert))
        .collect())
}

/// The DER inside an on-chain certificate's PEM.
pub fn cert_der(pem: &[u8]) -> Option<Vec<u8>> {
    rustls_pemfile::certs(&mut &pem[..])
        .next()
        .and_then(|c| c.ok())
        .map(|c| c.to_vec())
}
