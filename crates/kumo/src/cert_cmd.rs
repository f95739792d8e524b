//! `kumo tx cert generate|publish|revoke` and `kumo query cert list`.
//!
//! `generate` writes `<home>/<address>.pem` (Akash's layout: the self-signed P-256 certificate
//! with CN = the address, then its PKCS#8 private key; see `kumo_client::certs`); `publish`
//! puts the certificate and its public key on chain; `revoke` revokes it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_app::cert::pem::{self, CERTIFICATE, EC_PUBLIC_KEY};
use kumo_client::certs;
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
    /// Make a key and a self-signed certificate in <home>/<address>.pem (nothing is sent).
    Generate(GenerateArgs),
    /// Publish the certificate in <home>/<address>.pem on chain.
    Publish(PublishArgs),
    /// Revoke a published certificate (the local one without --serial).
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    pub kind: CertKind,
    /// DNS name the gateway is reached by (server certificates; repeatable).
    #[arg(long = "domain", value_name = "D")]
    pub domains: Vec<String>,
    /// Key name: the certificate's CN is its address.
    #[arg(long)]
    pub from: String,
    /// Replace an existing certificate file.
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct PublishArgs {
    pub kind: CertKind,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// Serial of the certificate to revoke (decimal); default: the local certificate's.
    #[arg(long)]
    pub serial: Option<String>,
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
            "cannot read {}; create it with `kumo tx cert generate client|server --from KEY`",
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

/// The MsgCreateCertificate for the certificate file at `path`.
fn publish_msg(owner: &str, path: &Path) -> Result<cert::MsgCreateCertificate> {
    let der = read_cert_der(path)?;
    let parsed = x509_cert::Certificate::from_der(&der)
        .with_context(|| format!("{} holds an unreadable certificate", path.display()))?;
    let spki = parsed.tbs_certificate.subject_public_key_info.to_der()?;
    Ok(cert::MsgCreateCertificate {
        owner: owner.to_string(),
        cert: pem::encode(CERTIFICATE, &der).into_bytes(),
        pubkey: pem::encode(EC_PUBLIC_KEY, &spki).into_bytes(),
    })
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
        CertTxCmd::Generate(a) => {
            let owner = address_of(g, &a.from, &a.keyring)?;
            let kind = match a.kind {
                CertKind::Client => certs::CertKind::Client,
                CertKind::Server => certs::CertKind::Server,
            };
            let path = cert_path(&g.home, &owner);
            let made = certs::generate(&owner, kind, &a.domains, certs::now())?;
            certs::write(&path, &made, a.overwrite)?;
            match g.output {
                crate::Output::Json => print_json(&serde_json::json!({
                    "file": path.display().to_string(),
                    "owner": owner,
                    "serial": made.serial,
                })),
                crate::Output::Text => {
                    println!("wrote {} (serial {})", path.display(), made.serial);
                    println!(
                        "publish it on chain with: kumo tx cert publish {} --from {}",
                        if kind == certs::CertKind::Server {
                            "server"
                        } else {
                            "client"
                        },
                        a.from
                    );
                }
            }
            Ok(())
        }
        CertTxCmd::Publish(a) => {
            let owner = address_of(g, &a.tx.from, &a.tx.keyring)?;
            let _ = a.kind; // one file per address serves both kinds, as in Akash
            let msg = publish_msg(&owner, &cert_path(&g.home, &owner))?;
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        CertTxCmd::Revoke(a) => {
            let owner = address_of(g, &a.tx.from, &a.tx.keyring)?;
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
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `generate` writes is what `publish` reads, and the chain's certificate check accepts
    /// the message `publish` builds from it.
    #[test]
    fn generated_file_publishes() {
        let dir = tempfile::tempdir().unwrap();
        let owner = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";
        let path = cert_path(dir.path(), owner);
        let made = certs::generate(
            owner,
            certs::CertKind::Server,
            &["p.example".into()],
            certs::now(),
        )
        .unwrap();
        certs::write(&path, &made, false).unwrap();
        let msg = publish_msg(owner, &path).unwrap();
        let addr = kumo_crypto::Address::from_bech32(owner, "akash").unwrap();
        let v = kumo_app::cert::verify::parse_and_validate(&addr, &msg.cert, &msg.pubkey).unwrap();
        assert_eq!(v.serial, made.serial);
        // Someone else cannot publish it.
        let other = kumo_crypto::PrivKey::generate().address();
        assert!(
            kumo_app::cert::verify::parse_and_validate(&other, &msg.cert, &msg.pubkey).is_err()
        );
    }
}
