//! Who is asking (`../shared/spec/akash-offchain.md` §3.2): a client certificate published on
//! chain, or a bearer JWT signed with the tenant's account key; never both.

use x509_parser::prelude::*;

use super::chain::{ChainView, OnChainCert};
use kumo_client::gateway::jwt::{self, Claims};

/// An authenticated tenant. The lease owner in every route is this address.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub owner: String,
    pub claims: Claims,
    pub method: Method,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Mtls,
    Jwt,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// 400.
    #[error(
        "ambiguous authentication: present either a client certificate or a bearer token, not both"
    )]
    Ambiguous,
    /// 401 with the reason.
    #[error("{0}")]
    Unauthorized(String),
    /// 500 (the chain could not be asked); the detail is logged, not sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub use kumo_client::gateway::jwt::unix_now;

/// Authenticates a request from its peer certificates and `Authorization` header value.
/// `Ok(None)`: no credentials at all.
pub async fn authenticate(
    chain: &ChainView,
    peer_certs: &[Vec<u8>],
    authorization: Option<&str>,
    now: i64,
) -> Result<Option<Tenant>, AuthError> {
    let bearer = match authorization {
        None => None,
        Some(v) => Some(
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    AuthError::Unauthorized("Authorization header must be \"Bearer <JWT>\"".into())
                })?,
        ),
    };
    match (peer_certs.is_empty(), bearer) {
        (false, Some(_)) => Err(AuthError::Ambiguous),
        (true, None) => Ok(None),
        (true, Some(token)) => jwt_tenant(chain, token, now).await.map(Some),
        (false, None) => mtls_tenant(chain, peer_certs, now).await.map(Some),
    }
}

async fn jwt_tenant(chain: &ChainView, token: &str, now: i64) -> Result<Tenant, AuthError> {
    let unverified = jwt::decode(token).map_err(AuthError::Unauthorized)?;
    unverified
        .claims
        .validate(now)
        .map_err(AuthError::Unauthorized)?;
    let iss = unverified.claims.iss.clone();
    let key = chain.account_pubkey(&iss).await?.ok_or_else(|| {
        AuthError::Unauthorized(format!(
            "token issuer {iss} has no public key on chain (unknown account, or it never signed a transaction)"
        ))
    })?;
    let claims = unverified.verify(&key).map_err(AuthError::Unauthorized)?;
    Ok(Tenant {
        owner: claims.iss.clone(),
        claims,
        method: Method::Jwt,
    })
}

/// The checks Akash's gateway makes on a client certificate, against chain state.
async fn mtls_tenant(
    chain: &ChainView,
    peer_certs: &[Vec<u8>],
    now: i64,
) -> Result<Tenant, AuthError> {
    let unauthorized = |m: String| AuthError::Unauthorized(m);
    let [der] = peer_certs else {
        return Err(unauthorized(format!(
            "present exactly one client certificate (got {})",
            peer_certs.len()
        )));
    };
    let (owner, serial) = {
        let (_, c) = parse_x509_certificate(der)
            .map_err(|_| unauthorized("client certificate cannot be parsed".into()))?;
        let cn = |n: &X509Name| {
            n.iter_common_name()
                .last()
                .and_then(|a| a.as_str().ok())
                .map(str::to_string)
        };
        let subject = cn(c.subject())
            .ok_or_else(|| unauthorized("client certificate has no subject CommonName".into()))?;
        kumo_crypto::Address::from_bech32(&subject, kumo_crypto::ACCOUNT_HRP).map_err(|_| {
            unauthorized(format!(
                "client certificate CommonName {subject:?} is not an akash1… address"
            ))
        })?;
        if cn(c.issuer()).as_deref() != Some(subject.as_str()) {
            return Err(unauthorized(
                "client certificate issuer CommonName differs from its subject; use the self-signed certificate published on chain".into(),
            ));
        }
        let validity = c.validity();
        if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
            return Err(unauthorized(
                "client certificate is outside its validity period".into(),
            ));
        }
        let client_auth = c
            .extended_key_usage()
            .ok()
            .flatten()
            .is_some_and(|e| e.value.client_auth || e.value.any);
        if !client_auth {
            return Err(unauthorized(
                "client certificate lacks ExtKeyUsage clientAuth".into(),
            ));
        }
        (subject, c.tbs_certificate.serial.to_str_radix(10))
    };
    match chain.certificate(&owner, &serial).await? {
        OnChainCert::Valid(on_chain) if on_chain == *der => Ok(Tenant {
            claims: Claims::full_access(&owner, now, jwt::CLI_TOKEN_LIFETIME_SECS),
            owner,
            method: Method::Mtls,
        }),
        OnChainCert::Valid(_) => Err(unauthorized(format!(
            "client certificate differs from the one published on chain as {owner}/{serial}"
        ))),
        OnChainCert::Revoked => Err(unauthorized(format!(
            "client certificate {owner}/{serial} has been revoked; generate and publish a new one"
        ))),
        OnChainCert::Missing => Err(unauthorized(format!(
            "client certificate {owner}/{serial} is not published on chain; run `kumo tx cert publish client`"
        ))),
    }
}
