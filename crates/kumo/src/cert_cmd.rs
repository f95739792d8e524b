//! `kumo tx cert generate|publish|revoke` and `kumo query cert list`.
//!
//! `publish` reads `<home>/<address>.pem` (Akash's layout: the self-signed P-256 certificate
//! with CN = the address, then its private key) and puts the certificate and its public key on
//! chain; `revoke` revokes it. `generate` is not written yet: make the file with Akash's CLI or
//! openssl (`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj /CN=<address>`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_app::cert::pem::{self, CERTIFICATE, EC_PUBLIC_KEY};
use kumo_client::tx::to_any;
use kumo_proto::akash::cert::v1 as cert;
use x509_cert::der::{Decode, Encode};

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::tx_cmd::{execute, TxFlags};
use crate::Globals;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CertKind {
    /// For tenants talking to providers (ExtKeyUsage clientAuth).
    Client,
    /// For a provider's gateway (clientAuth + serverAuth, DNS names from --domain).
    Server,
}

#[derive(Subcommand, Debug)]
pub enum CertTxCmd {
    /// Publish the certificate in <home>/<address>.pem on chain.
    Publish(PublishArgs),
    /// Revoke a published certificate (the local one without --serial).
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    pub kind: CertKind,
    #[arg(long)]
    pub from: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Serial of the certificate to revoke (decimal); default: the local certificate's.
    #[arg(long)]
    pub serial: Option<String>,
    #[arg(long)]
    pub from: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum CertQueryCmd {
    /// Published certificates, filtered by owner, serial and state.
    List(CertListArgs),
}

#[derive(Args, Debug)]
pub struct CertListArgs {
    /// Owner: an akash1… address or a key name.
    #[arg(long)]
    pub owner: Option<String>,
    #[arg(long)]
    pub serial: Option<String>,
    /// valid or revoked.
    #[arg(long, value_parser = ["valid", "revoked"])]
    pub state: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub limit: u64,
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

pub fn cert_path(home: &Path, address: &str) -> PathBuf {
    home.join(format!("{address}.pem"))
}

/// The CERTIFICATE block of a certificate file (other blocks, the key, are skipped).
fn read_cert_der(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read(path).with_context(|| {
        format!(
            "cannot read {}; create it with openssl (see `kumo tx cert --help`)",
            path.display()
        )
    })?;
    let mut rest: &[u8] = &text;
    while let Some((block, after)) = pem::decode(rest) {
        if block.label == CERTIFICATE {
            return Ok(block.der);
        }
        rest = after;
    }
    bail!("{} holds no CERTIFICATE block", path.display())
}

fn address_of(g: &Globals, from: &str, keyring: &KeyringArgs) -> Result<String> {
    let kr = keyring.open(&g.home)?;
    let info = kr
        .show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    Ok(info.address.to_string())
}

pub fn run_tx(g: &Globals, c: CertTxCmd) -> Result<()> {
    match c {
        CertTxCmd::Publish(a) => {
            let owner = address_of(g, &a.from, &a.tx.keyring)?;
            let path = cert_path(&g.home, &owner);
            let der = read_cert_der(&path)?;
            let parsed = x509_cert::Certificate::from_der(&der)
                .with_context(|| format!("{} holds an unreadable certificate", path.display()))?;
            let spki = parsed.tbs_certificate.subject_public_key_info.to_der()?;
            let _ = a.kind; // one file per address serves both kinds, as in Akash
            let msg = cert::MsgCreateCertificate {
                owner,
                cert: pem::encode(CERTIFICATE, &der).into_bytes(),
                pubkey: pem::encode(EC_PUBLIC_KEY, &spki).into_bytes(),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        CertTxCmd::Revoke(a) => {
            let owner = address_of(g, &a.from, &a.tx.keyring)?;
            let serial = match a.serial {
                Some(s) => s,
                None => {
                    let der = read_cert_der(&cert_path(&g.home, &owner))?;
                    let parsed = x509_cert::Certificate::from_der(&der)?;
                    kumo_app::cert::verify::serial_decimal(
                        parsed.tbs_certificate.serial_number.as_bytes(),
                    )
                    .context("the local certificate has a negative serial")?
                }
            };
            let msg = cert::MsgRevokeCertificate {
                id: Some(cert::Id { owner, serial }),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
    }
}

pub fn run_query(g: &Globals, c: CertQueryCmd) -> Result<()> {
    let CertQueryCmd::List(a) = c;
    let owner = match &a.owner {
        Some(o) => resolve_address(o, &a.keyring, &g.home)?,
        None => String::new(),
    };
    let r: cert::QueryCertificatesResponse = a.query.client().query_proto(
        "/akash.cert.v1.Query/Certificates",
        &cert::QueryCertificatesRequest {
            filter: Some(cert::CertificateFilter {
                owner,
                serial: a.serial.unwrap_or_default(),
                state: a.state.unwrap_or_default(),
            }),
            pagination: Some(PageRequest {
                limit: a.limit,
                offset: a.offset,
                count_total: true,
                ..Default::default()
            }),
        },
    )?;
    print_json(&kumo_proto::json::message_json(&r));
    Ok(())
}
