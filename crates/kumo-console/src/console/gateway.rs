//! The console's only door to providers' gateways: the gateway client (re-exported from
//! kumo-client, so a move of that client is a change of the `use` lines here) and the
//! console's credentials for the signed-in account.
//!
//! Credentials are mTLS with a client certificate the console makes for each account (P-256 key
//! and self-signed certificate under `HOME/console/certs/<address>.pem`). A Keplr/Leap account's
//! private key never reaches the server, so a JWT is not possible for it; a certificate works
//! the same for both sign-in paths. The certificate must be on chain before a provider accepts
//! it: [`certificate_msgs`] returns the `MsgCreateCertificate` to bundle into the account's next
//! transaction (the deploy page puts it into the create-deployment transaction, so publishing
//! costs no extra signature).

use std::path::PathBuf;

use anyhow::{Context, Result};
use cosmos_sdk_proto::Any;
use kumo_app::cert::pem::{self, CERTIFICATE, EC_PUBLIC_KEY};
use kumo_client::certs::{self, CertKind, Identity};
use kumo_client::tx::to_any;
use kumo_proto::akash::cert::v1 as cert;
use x509_cert::der::{Decode, Encode};

pub use kumo_client::gateway::client::{Credentials, GatewayError, ProviderClient};
pub use kumo_client::gateway::lease::{LeaseStatus, ServiceStatus};
pub use kumo_client::gateway::shell::Frame;

use super::wallet::Account;
use super::ConsoleState;

/// `HOME/console/certs/<address>.pem`.
pub fn cert_path(state: &ConsoleState, address: &str) -> PathBuf {
    certs::pem_path(&state.data_dir.join("certs"), address)
}

/// The account's client certificate, made on first use (blocking: file I/O).
pub fn identity(state: &ConsoleState, address: &str) -> Result<Identity> {
    let path = cert_path(state, address);
    if !path.exists() {
        let g = certs::generate(address, CertKind::Client, &[], certs::now())
            .with_context(|| format!("cannot make a client certificate for {address}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        certs::write(&path, &g, false)?;
    }
    certs::load(&path)
}

/// `MsgCreateCertificate` for a certificate (DER): the certificate and its public key as PEM,
/// as the chain's cert module stores them.
pub fn certificate_msg(owner: &str, cert_der: &[u8]) -> Result<cert::MsgCreateCertificate> {
    let parsed = x509_cert::Certificate::from_der(cert_der)
        .context("the console's client certificate cannot be read")?;
    let spki = parsed.tbs_certificate.subject_public_key_info.to_der()?;
    Ok(cert::MsgCreateCertificate {
        owner: owner.to_string(),
        cert: pem::encode(CERTIFICATE, cert_der).into_bytes(),
        pubkey: pem::encode(EC_PUBLIC_KEY, &spki).into_bytes(),
    })
}

/// The messages that publish the account's console certificate: empty when it is already valid
/// on chain (blocking: reads the chain).
pub fn certificate_msgs(state: &ConsoleState, address: &str) -> Result<Vec<Any>> {
    let id = identity(state, address)?;
    let on_chain = certs::valid_on_chain(&state.rpc(), address)
        .context("cannot read the account's certificates from the node")?;
    if on_chain.contains(&id.cert_der) {
        return Ok(Vec::new());
    }
    Ok(vec![to_any(&certificate_msg(address, &id.cert_der)?)])
}

/// A gateway client for `provider` that authenticates as the signed-in account (blocking: looks
/// the provider up on chain). Fails with what to do when the account's console certificate is
/// not on chain yet.
pub fn provider_client(
    state: &ConsoleState,
    account: &Account,
    provider: &str,
) -> Result<ProviderClient> {
    let id = identity(state, &account.address)?;
    let on_chain = certs::valid_on_chain(&state.rpc(), &account.address)
        .context("cannot read the account's certificates from the node")?;
    if !on_chain.contains(&id.cert_der) {
        anyhow::bail!(
            "this console's client certificate for {} is not on chain yet, so providers will not \
             accept it; publish it on the wallet page (one transaction), then try again",
            account.address
        );
    }
    ProviderClient::from_chain(&state.rpc(), provider, Credentials::Mtls(id))
}

/// A client that needs no credentials (public routes: `/status`, order decisions).
pub fn anonymous_client(state: &ConsoleState, provider: &str) -> Result<ProviderClient> {
    ProviderClient::from_chain(&state.rpc(), provider, Credentials::Anonymous)
}
