//! The mTLS identity of a tenant or provider: an ECDSA P-256 key and a self-signed X.509
//! certificate laid out as Akash's `tx cert generate client|server` makes it
//! (`../shared/spec/akash-offchain.md` §3.2):
//! - Subject CN = Issuer CN = the bech32 account address;
//! - serial = the unix time in nanoseconds when it was made (what makes each certificate's
//!   on-chain ID `(owner, serial)` unique);
//! - an extra subject attribute OID 2.23.133.2.6 = `v0.0.1`;
//! - KeyUsage keyEncipherment | dataEncipherment; ExtKeyUsage clientAuth, plus serverAuth and DNS
//!   names for a server (gateway) certificate.
//!
//! It lives in `<home>/<address>.pem`: the CERTIFICATE block, then the PKCS#8 `PRIVATE KEY`
//! block (unencrypted; the file is mode 0600). `kumo tx cert publish` puts the certificate on
//! chain; the gateway checks presented certificates against that record.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};

/// Object identifier of the extra subject attribute Akash writes (TCG "platform version").
pub const AKASH_VERSION_OID: &[u64] = &[2, 23, 133, 2, 6];
/// Its value.
pub const AKASH_VERSION_VALUE: &str = "v0.0.1";
/// How long a new certificate is valid (Akash's CLI default: one year).
pub const VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// PEM labels in the certificate file.
pub const CERTIFICATE_LABEL: &str = "CERTIFICATE";
pub const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY";

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CertKind {
    /// A tenant's certificate (ExtKeyUsage clientAuth).
    Client,
    /// A provider gateway's certificate (clientAuth + serverAuth, with DNS names).
    Server,
}

/// A freshly made certificate and its key.
pub struct Generated {
    pub cert_der: Vec<u8>,
    /// PKCS#8 DER of the private key.
    pub key_der: Vec<u8>,
    /// The serial number in decimal, as the chain stores it.
    pub serial: String,
}

impl Generated {
    /// The file contents: certificate PEM, then private key PEM.
    pub fn to_pem(&self) -> String {
        let mut s = kumo_akash::pem::encode(CERTIFICATE_LABEL, &self.cert_der);
        s.push_str(&kumo_akash::pem::encode(PRIVATE_KEY_LABEL, &self.key_der));
        s
    }
}

/// `<home>/<address>.pem`, where Akash's CLI keeps an account's certificate.
pub fn pem_path(home: &Path, address: &str) -> PathBuf {
    home.join(format!("{address}.pem"))
}

/// Makes a key and a self-signed certificate for `address`, valid from `now` for [`VALIDITY`].
/// `domains` become DNS subject alternative names (server certificates only).
pub fn generate(
    address: &str,
    kind: CertKind,
    domains: &[String],
    now: SystemTime,
) -> Result<Generated> {
    kumo_crypto::Address::from_bech32(address, kumo_crypto::ACCOUNT_HRP)
        .with_context(|| format!("{address:?} is not an akash1… account address"))?;
    if kind == CertKind::Client && !domains.is_empty() {
        bail!("DNS names (--domain) belong in server certificates only");
    }
    let since_epoch = now
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    let nanos = u64::try_from(since_epoch.as_nanos()).context("the system clock is past 2554")?;

    let mut params = CertificateParams::default();
    params.serial_number = Some(SerialNumber::from_slice(&nanos.to_be_bytes()));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, printable(address)?);
    dn.push(
        DnType::CustomDnType(AKASH_VERSION_OID.to_vec()),
        printable(AKASH_VERSION_VALUE)?,
    );
    params.distinguished_name = dn;
    // rcgen only builds its date-time type from a civil date: go through the calendar.
    let at = |secs: u64| {
        let (y, m, d) = kumo_proto::time::civil_from_days((secs / 86_400) as i64);
        rcgen::date_time_ymd(y as i32, m as u8, d as u8) + Duration::from_secs(secs % 86_400)
    };
    let from = since_epoch.as_secs();
    params.not_before = at(from);
    params.not_after = at(from + VALIDITY.as_secs());
    params.key_usages = vec![
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::DataEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    if kind == CertKind::Server {
        params
            .extended_key_usages
            .push(ExtendedKeyUsagePurpose::ServerAuth);
        for d in domains {
            let name = d
                .as_str()
                .try_into()
                .map_err(|_| anyhow::anyhow!("--domain {d:?} is not an ASCII DNS name"))?;
            params.subject_alt_names.push(SanType::DnsName(name));
        }
    }

    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .context("cannot generate a P-256 key")?;
    let cert = params
        .self_signed(&key)
        .context("cannot make the certificate")?;
    Ok(Generated {
        cert_der: cert.der().to_vec(),
        key_der: key.serialize_der(),
        serial: nanos.to_string(),
    })
}

fn printable(s: &str) -> Result<DnValue> {
    // Go's pkix marshals names as PrintableString when they fit it, as addresses always do.
    Ok(DnValue::PrintableString(s.try_into().map_err(|_| {
        anyhow::anyhow!("{s:?} is not a PrintableString")
    })?))
}

/// Writes the certificate file (mode 0600). An existing file is kept unless `overwrite`.
pub fn write(path: &Path, g: &Generated, overwrite: bool) -> Result<()> {
    if path.exists() && !overwrite {
        bail!(
            "{} already exists; pass --overwrite to replace it (a certificate already published \
             on chain stays valid until you revoke it)",
            path.display()
        );
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        // `mode` only applies when the file is created; an overwritten file is tightened too.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(g.to_pem().as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A certificate file read back: the certificate and its private key.
#[derive(Clone)]
pub struct Identity {
    pub cert_der: Vec<u8>,
    /// PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// Decimal serial.
    pub serial: String,
}

/// Reads `<address>.pem`: the first CERTIFICATE and the first PKCS#8 PRIVATE KEY block.
pub fn load(path: &Path) -> Result<Identity> {
    let text = std::fs::read(path).with_context(|| {
        format!(
            "cannot read {}; make it with `kumo tx cert generate client|server --from KEY`",
            path.display()
        )
    })?;
    let mut cert = None;
    let mut key = None;
    for item in rustls_pemfile::read_all(&mut text.as_slice()) {
        match item.with_context(|| format!("{} is not a PEM file", path.display()))? {
            rustls_pemfile::Item::X509Certificate(c) if cert.is_none() => cert = Some(c.to_vec()),
            rustls_pemfile::Item::Pkcs8Key(k) if key.is_none() => {
                key = Some(k.secret_pkcs8_der().to_vec())
            }
            _ => {}
        }
    }
    let cert_der = cert.with_context(|| format!("{} holds no CERTIFICATE", path.display()))?;
    let key_der = key.with_context(|| {
        format!(
            "{} holds no unencrypted PKCS#8 PRIVATE KEY block",
            path.display()
        )
    })?;
    let serial = serial_of(&cert_der)?;
    Ok(Identity {
        cert_der,
        key_der,
        serial,
    })
}

/// The decimal serial number of a DER certificate.
pub fn serial_of(cert_der: &[u8]) -> Result<String> {
    let (_, c) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| anyhow::anyhow!("cannot parse the certificate: {e}"))?;
    Ok(c.tbs_certificate.serial.to_str_radix(10))
}

/// The subject CommonName of a DER certificate (None if absent or not a string).
pub fn common_names(cert_der: &[u8]) -> Result<(Option<String>, Option<String>)> {
    let (_, c) = x509_parser::parse_x509_certificate(cert_der)
        .map_err(|e| anyhow::anyhow!("cannot parse the certificate: {e}"))?;
    let cn = |n: &x509_parser::x509::X509Name| {
        n.iter_common_name()
            .last()
            .and_then(|a| a.as_str().ok())
            .map(str::to_string)
    };
    Ok((cn(c.subject()), cn(c.issuer())))
}

/// The DER inside an on-chain certificate's PEM (its first CERTIFICATE block).
pub fn cert_der(pem: &[u8]) -> Option<Vec<u8>> {
    rustls_pemfile::certs(&mut &pem[..])
        .next()
        .and_then(|c| c.ok())
        .map(|c| c.to_vec())
}

/// Every valid certificate `owner` has published on chain (DER), e.g. a provider's, which its
/// gateway must present.
pub fn valid_on_chain(chain: &crate::RpcClient, owner: &str) -> Result<Vec<Vec<u8>>> {
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    use kumo_proto::akash::cert::v1 as cert;
    let r: cert::QueryCertificatesResponse = chain.query_proto(
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

/// The current time, for callers that do not test with a fixed one.
pub fn now() -> SystemTime {
    SystemTime::now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::ParsedExtension;
    use x509_parser::prelude::*;

    const ADDR: &str = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";

    fn fields(kind: CertKind, domains: &[String]) {
        let now = UNIX_EPOCH + Duration::new(1_767_225_600, 123_456_789); // 2026-01-01
        let g = generate(ADDR, kind, domains, now).unwrap();
        let nanos = 1_767_225_600_123_456_789u64;
        assert_eq!(g.serial, nanos.to_string());
        let (_, c) = parse_x509_certificate(&g.cert_der).unwrap();
        assert_eq!(c.tbs_certificate.serial.to_str_radix(10), g.serial);
        let cn = |n: &X509Name| {
            n.iter_common_name()
                .next()
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(cn(c.subject()), ADDR);
        assert_eq!(cn(c.issuer()), ADDR);
        let version: Vec<_> = c
            .subject()
            .iter_attributes()
            .filter(|a| a.attr_type().to_id_string() == "2.23.133.2.6")
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        assert_eq!(version, vec!["v0.0.1".to_string()]);
        assert_eq!(c.validity().not_before.timestamp(), 1_767_225_600);
        assert_eq!(
            c.validity().not_after.timestamp(),
            1_767_225_600 + VALIDITY.as_secs() as i64
        );
        let ku = c.key_usage().unwrap().unwrap().value;
        assert!(ku.key_encipherment() && ku.data_encipherment());
        assert!(!ku.digital_signature() && !ku.key_cert_sign());
        let eku = c.extended_key_usage().unwrap().unwrap().value;
        assert!(eku.client_auth);
        assert_eq!(eku.server_auth, kind == CertKind::Server);
        let sans: Vec<String> = c
            .extensions()
            .iter()
            .filter_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(s) => Some(s),
                _ => None,
            })
            .flat_map(|s| s.general_names.iter())
            .map(|n| match n {
                GeneralName::DNSName(d) => d.to_string(),
                other => panic!("unexpected SAN {other:?}"),
            })
            .collect();
        assert_eq!(&sans, domains);
        // P-256 key, self-signed with ECDSA/SHA-256, and the signature verifies.
        assert_eq!(
            c.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.2"
        );
        // The chain's own check (what MsgCreateCertificate runs) accepts it with its public key.
        let owner = kumo_crypto::Address::from_bech32(ADDR, "akash").unwrap();
        let spki = c.tbs_certificate.subject_pki.raw;
        let verified = kumo_app_cert_check(&owner, &g.cert_der, spki);
        assert_eq!(verified, g.serial);
    }

    /// `kumo_app::cert::verify::parse_and_validate`, the chain's MsgCreateCertificate check.
    fn kumo_app_cert_check(owner: &kumo_crypto::Address, der: &[u8], spki: &[u8]) -> String {
        let cert = kumo_akash::pem::encode("CERTIFICATE", der);
        let key = kumo_akash::pem::encode("EC PUBLIC KEY", spki);
        kumo_app::cert::verify::parse_and_validate(owner, cert.as_bytes(), key.as_bytes())
            .unwrap()
            .serial
    }

    #[test]
    fn client_certificate_fields() {
        fields(CertKind::Client, &[]);
    }

    #[test]
    fn server_certificate_fields() {
        fields(
            CertKind::Server,
            &["provider.example.com".into(), "localhost".into()],
        );
    }

    #[test]
    fn refuses_bad_input() {
        assert!(generate("cosmos1xyz", CertKind::Client, &[], now()).is_err());
        assert!(generate(ADDR, CertKind::Client, &["a.example".into()], now()).is_err());
    }

    #[test]
    fn file_round_trip_mode_and_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = pem_path(dir.path(), ADDR);
        let g = generate(ADDR, CertKind::Client, &[], now()).unwrap();
        write(&path, &g, false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(text.contains("-----BEGIN PRIVATE KEY-----\n"));
        let id = load(&path).unwrap();
        assert_eq!(id.cert_der, g.cert_der);
        assert_eq!(id.key_der, g.key_der);
        assert_eq!(id.serial, g.serial);
        // The key in the file is the certificate's key.
        let key = KeyPair::try_from(id.key_der.as_slice()).unwrap();
        let (_, c) = parse_x509_certificate(&id.cert_der).unwrap();
        assert_eq!(
            key.public_key_raw(),
            c.public_key().subject_public_key.data.as_ref()
        );

        let g2 = generate(ADDR, CertKind::Client, &[], now()).unwrap();
        let err = write(&path, &g2, false).unwrap_err().to_string();
        assert!(err.contains("--overwrite"), "{err}");
        assert_eq!(load(&path).unwrap().cert_der, g.cert_der);
        write(&path, &g2, true).unwrap();
        assert_eq!(load(&path).unwrap().cert_der, g2.cert_der);
    }
}
