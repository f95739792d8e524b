//! The tenant's TLS to a provider gateway (`../shared/spec/akash-offchain.md` §3.1): TLS 1.3
//! only, and the provider's self-signed certificate accepted only if its CN is the provider's
//! address and it is byte-for-byte one of the provider's valid on-chain certificates.
//! The gateway's own (server) configuration lives in kumo-provider and shares [`provider`].

use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};

use crate::certs::Identity;

/// The crypto both ends use (ring).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The signature algorithms handshake signatures are checked with.
pub fn algorithms() -> WebPkiSupportedAlgorithms {
    rustls::crypto::ring::default_provider().signature_verification_algorithms
}

/// The handshake-signature methods every certificate verifier of the gateway's TLS shares
/// (server side and client side): the certificate's key must have signed the handshake, checked
/// with [`algorithms`] held in the verifier's `algs` field. Used inside an `impl
/// ServerCertVerifier` or `impl ClientCertVerifier` block.
#[macro_export]
macro_rules! handshake_signature_methods {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &::rustls::pki_types::CertificateDer<'_>,
            dss: &::rustls::DigitallySignedStruct,
        ) -> Result<::rustls::client::danger::HandshakeSignatureValid, ::rustls::Error> {
            ::rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &::rustls::pki_types::CertificateDer<'_>,
            dss: &::rustls::DigitallySignedStruct,
        ) -> Result<::rustls::client::danger::HandshakeSignatureValid, ::rustls::Error> {
            ::rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
        }

        fn supported_verify_schemes(&self) -> Vec<::rustls::SignatureScheme> {
            self.algs.supported_schemes()
        }
    };
}

/// Accepts the provider's self-signed certificate when it is one of `on_chain` (DER) and names
/// `provider` as subject and issuer.
#[derive(Debug)]
pub struct OnChainServerCert {
    pub provider: String,
    pub on_chain: Vec<Vec<u8>>,
    algs: WebPkiSupportedAlgorithms,
}

impl OnChainServerCert {
    pub fn new(provider: &str, on_chain: Vec<Vec<u8>>) -> OnChainServerCert {
        OnChainServerCert {
            provider: provider.to_string(),
            on_chain,
            algs: algorithms(),
        }
    }
}

impl ServerCertVerifier for OnChainServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let bad = |m: String| rustls::Error::General(m);
        let (subject, issuer) = crate::certs::common_names(end_entity.as_ref())
            .map_err(|e| bad(format!("provider certificate: {e}")))?;
        if subject.as_deref() != Some(self.provider.as_str()) || issuer != subject {
            return Err(bad(format!(
                "provider certificate names {subject:?}, not the provider {}",
                self.provider
            )));
        }
        if !self.on_chain.iter().any(|c| c == end_entity.as_ref()) {
            return Err(bad(format!(
                "provider certificate is not one of {}'s valid certificates on chain",
                self.provider
            )));
        }
        Ok(ServerCertVerified::assertion())
    }

    crate::handshake_signature_methods!();
}

/// Accepts any server certificate whose key signed the handshake. Only for a provider's public,
/// read-only routes fetched without credentials (`/status`, `/version`), as Akash's stats
/// indexer probes providers it has no reason to trust or distrust: see [`public_client_config`].
#[derive(Debug)]
pub struct AnyServerCert {
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    crate::handshake_signature_methods!();
}

/// TLS for anonymous reads of a provider's public routes: any certificate, no client
/// certificate.
pub fn public_client_config() -> Result<Arc<rustls::ClientConfig>> {
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .context("TLS 1.3 is unavailable")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServerCert { algs: algorithms() }))
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The tenant's TLS configuration: the provider checked against the chain, and the tenant's
/// certificate presented when given (mTLS).
pub fn client_config(
    verifier: OnChainServerCert,
    identity: Option<&Identity>,
) -> Result<Arc<rustls::ClientConfig>> {
    let b = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .context("TLS 1.3 is unavailable")?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut cfg = match identity {
        Some(id) => b
            .with_client_auth_cert(
                vec![CertificateDer::from(id.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone())),
            )
            .context("the client certificate and key do not fit together")?,
        None => b.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
