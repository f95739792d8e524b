//! `kumo tx provider|audit …` and `kumo query provider|audit …`.
//!
//! The provider file is the YAML Akash providers use for `tx provider create|update`:
//! ```yaml
//! host: https://provider.example.com:8443
//! attributes:
//!   - key: region
//!     value: us-west
//! info:
//!   email: ops@example.com
//!   website: https://example.com
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_client::tx::to_any;
use kumo_proto::akash::audit::v1 as audit;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::provider::v1beta4 as provider;
use yaml_rust2::{Yaml, YamlLoader};

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::tx_cmd::{execute, TxFlags};
use crate::Globals;

#[derive(Subcommand, Debug)]
pub enum ProviderTxCmd {
    /// Register the signer as a provider from a provider.yaml (host, attributes, info).
    #[command(after_help = "Example:\n  kumo tx provider create provider.yaml --from provider -y")]
    Create(ProviderFileArgs),
    /// Replace the signer's provider record with the contents of a provider.yaml.
    Update(ProviderFileArgs),
}

#[derive(Args, Debug)]
pub struct ProviderFileArgs {
    /// provider.yaml: `host`, `attributes: [{key, value}]`, `info: {email, website}`.
    pub file: PathBuf,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum AuditTxCmd {
    /// Auditor attributes for providers.
    #[command(subcommand)]
    Attr(AuditAttrCmd),
}

#[derive(Subcommand, Debug)]
pub enum AuditAttrCmd {
    /// Sign attributes for PROVIDER as the --from auditor (merged with earlier ones).
    #[command(
        after_help = "Example:\n  kumo tx audit attr create akash1… region=us-west tier=community --from auditor -y"
    )]
    Create(AuditCreateArgs),
    /// Remove attributes the --from auditor signed for PROVIDER (all of them without KEYs).
    Delete(AuditDeleteArgs),
}

#[derive(Args, Debug)]
pub struct AuditCreateArgs {
    /// Provider: an akash1… address or a key name.
    pub provider: String,
    /// Attributes as KEY=VALUE.
    #[arg(required = true, value_parser = key_value)]
    pub attributes: Vec<(String, String)>,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct AuditDeleteArgs {
    /// Provider: an akash1… address or a key name.
    pub provider: String,
    /// Attribute keys to remove; none removes every attribute this auditor signed.
    pub keys: Vec<String>,
    #[command(flatten)]
    pub tx: TxFlags,
}

fn key_value(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

#[derive(Subcommand, Debug)]
pub enum ProviderQueryCmd {
    /// All registered providers.
    List(ListArgs),
    /// One provider by owner address.
    Get(GetArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Page size (default 100).
    #[arg(long, default_value_t = 0)]
    pub limit: u64,
    /// Skip this many entries.
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    #[command(flatten)]
    pub query: QueryFlags,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// Provider: an akash1… address or a key name.
    pub owner: String,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Subcommand, Debug)]
pub enum AuditQueryCmd {
    /// Every audit record (all providers, all auditors).
    List(ListArgs),
    /// The audit records of one provider, or with --auditor just that auditor's.
    Get(AuditGetArgs),
    /// Every provider one auditor signed for.
    Auditor(AuditorArgs),
}

#[derive(Args, Debug)]
pub struct AuditGetArgs {
    /// Provider: an akash1… address or a key name.
    pub owner: String,
    /// Only this auditor's record.
    #[arg(long)]
    pub auditor: Option<String>,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct AuditorArgs {
    /// Auditor: an akash1… address or a key name.
    pub auditor: String,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// The on-chain fields of a provider.yaml.
#[derive(Debug, PartialEq)]
pub struct ProviderFile {
    pub host: String,
    pub attributes: Vec<Attribute>,
    pub email: String,
    pub website: String,
}

fn yaml_scalar(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses a provider.yaml; values such as `true` or `1` become their strings.
pub fn parse_provider_file(text: &str, origin: &Path) -> Result<ProviderFile> {
    let docs = YamlLoader::load_from_str(text)
        .with_context(|| format!("{} is not valid YAML", origin.display()))?;
    let doc = docs
        .first()
        .with_context(|| format!("{} is empty", origin.display()))?;
    let host = yaml_scalar(&doc["host"]).with_context(|| {
        format!(
            "{}: `host` (e.g. https://provider.example.com:8443) is required",
            origin.display()
        )
    })?;
    let mut attributes = Vec::new();
    match &doc["attributes"] {
        Yaml::BadValue | Yaml::Null => {}
        Yaml::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let key = yaml_scalar(&item["key"]);
                let value = yaml_scalar(&item["value"]);
                match (key, value) {
                    (Some(key), Some(value)) => attributes.push(Attribute { key, value }),
                    _ => bail!(
                        "{}: attributes[{i}] needs a `key` and a `value`",
                        origin.display()
                    ),
                }
            }
        }
        _ => bail!(
            "{}: `attributes` must be a list of {{key, value}}",
            origin.display()
        ),
    }
    let info = &doc["info"];
    Ok(ProviderFile {
        host,
        attributes,
        email: yaml_scalar(&info["email"]).unwrap_or_default(),
        website: yaml_scalar(&info["website"]).unwrap_or_default(),
    })
}

fn owner_of(g: &Globals, from: &str, keyring: &KeyringArgs) -> Result<String> {
    let kr = keyring.open(&g.home)?;
    let info = kr
        .show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    Ok(info.address.to_string())
}

pub fn run_provider_tx(g: &Globals, c: ProviderTxCmd) -> Result<()> {
    let (a, update) = match c {
        ProviderTxCmd::Create(a) => (a, false),
        ProviderTxCmd::Update(a) => (a, true),
    };
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let f = parse_provider_file(&text, &a.file)?;
    let owner = owner_of(g, &a.tx.from, &a.tx.keyring)?;
    let info = Some(provider::Info {
        email: f.email,
        website: f.website,
    });
    let msg = if update {
        to_any(&provider::MsgUpdateProvider {
            owner,
            host_uri: f.host,
            attributes: f.attributes,
            info,
        })
    } else {
        to_any(&provider::MsgCreateProvider {
            owner,
            host_uri: f.host,
            attributes: f.attributes,
            info,
        })
    };
    execute(g, &a.tx, &a.tx.from, vec![msg])
}

pub fn run_audit_tx(g: &Globals, c: AuditTxCmd) -> Result<()> {
    match c {
        AuditTxCmd::Attr(AuditAttrCmd::Create(a)) => {
            let auditor = owner_of(g, &a.tx.from, &a.tx.keyring)?;
            let owner = resolve_address(&a.provider, &a.tx.keyring, &g.home)?;
            let attributes = a
                .attributes
                .into_iter()
                .map(|(key, value)| Attribute { key, value })
                .collect();
            let msg = audit::MsgSignProviderAttributes {
                owner,
                auditor,
                attributes,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        AuditTxCmd::Attr(AuditAttrCmd::Delete(a)) => {
            let auditor = owner_of(g, &a.tx.from, &a.tx.keyring)?;
            let owner = resolve_address(&a.provider, &a.tx.keyring, &g.home)?;
            let msg = audit::MsgDeleteProviderAttributes {
                owner,
                auditor,
                keys: a.keys,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
    }
}

fn page(limit: u64, offset: u64) -> Option<PageRequest> {
    Some(PageRequest {
        limit,
        offset,
        count_total: true,
        ..Default::default()
    })
}

fn print_proto<M: prost::Message + prost::Name>(m: &M) {
    print_json(&kumo_proto::json::message_json(m));
}

pub fn run_provider_query(g: &Globals, c: ProviderQueryCmd) -> Result<()> {
    match c {
        ProviderQueryCmd::List(a) => {
            let r: provider::QueryProvidersResponse = a.query.client().query_proto(
                "/akash.provider.v1beta4.Query/Providers",
                &provider::QueryProvidersRequest {
                    pagination: page(a.limit, a.offset),
                },
            )?;
            print_proto(&r);
        }
        ProviderQueryCmd::Get(a) => {
            let owner = resolve_address(&a.owner, &a.keyring, &g.home)?;
            let r: provider::QueryProviderResponse = a.query.client().query_proto(
                "/akash.provider.v1beta4.Query/Provider",
                &provider::QueryProviderRequest { owner },
            )?;
            print_proto(&r);
        }
    }
    Ok(())
}

pub fn run_audit_query(g: &Globals, c: AuditQueryCmd) -> Result<()> {
    let r: audit::QueryProvidersResponse = match c {
        AuditQueryCmd::List(a) => a.query.client().query_proto(
            "/akash.audit.v1.Query/AllProvidersAttributes",
            &audit::QueryAllProvidersAttributesRequest {
                pagination: page(a.limit, a.offset),
            },
        )?,
        AuditQueryCmd::Get(a) => {
            let owner = resolve_address(&a.owner, &a.keyring, &g.home)?;
            match a.auditor {
                Some(auditor) => a.query.client().query_proto(
                    "/akash.audit.v1.Query/ProviderAuditorAttributes",
                    &audit::QueryProviderAuditorRequest {
                        auditor: resolve_address(&auditor, &a.keyring, &g.home)?,
                        owner,
                    },
                )?,
                None => a.query.client().query_proto(
                    "/akash.audit.v1.Query/ProviderAttributes",
                    &audit::QueryProviderAttributesRequest {
                        owner,
                        pagination: None,
                    },
                )?,
            }
        }
        AuditQueryCmd::Auditor(a) => a.query.client().query_proto(
            "/akash.audit.v1.Query/AuditorAttributes",
            &audit::QueryAuditorAttributesRequest {
                auditor: resolve_address(&a.auditor, &a.keyring, &g.home)?,
                pagination: None,
            },
        )?,
    };
    print_proto(&r);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_yaml() {
        let text = "host: https://provider.example.com:8443\nattributes:\n  - key: region\n    value: us-west\n  - key: capabilities/storage/1/persistent\n    value: true\ninfo:\n  email: ops@example.com\n  website: https://example.com\n";
        let f = parse_provider_file(text, Path::new("provider.yaml")).unwrap();
        assert_eq!(f.host, "https://provider.example.com:8443");
        assert_eq!(f.attributes.len(), 2);
        assert_eq!(f.attributes[1].value, "true");
        assert_eq!(f.email, "ops@example.com");
        assert_eq!(f.website, "https://example.com");
        let minimal = parse_provider_file("host: https://p.example.com\n", Path::new("p")).unwrap();
        assert!(minimal.attributes.is_empty() && minimal.email.is_empty());
        assert!(parse_provider_file("attributes: []\n", Path::new("p"))
            .unwrap_err()
            .to_string()
            .contains("host"));
        assert!(parse_provider_file("host: h\nattributes:\n  - key: a\n", Path::new("p")).is_err());
        assert!(key_value("a=b=c").unwrap() == ("a".into(), "b=c".into()));
        assert!(key_value("=x").is_err());
    }
}

// ---------------------------------------------------------------- kumo provider status

/// `kumo provider status`: a provider daemon's public `/status`.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Provider: an akash1… address or a key name (its gateway is its on-chain host URI).
    #[arg(long)]
    pub provider: Option<String>,
    /// The gateway URL (`https://host:8443`), instead of the on-chain host URI; without
    /// --provider, the provider is the one registered with this host URI.
    #[arg(long, value_name = "URL")]
    pub gateway: Option<String>,
    /// How many of the latest bid decisions to print.
    #[arg(long, default_value_t = 20)]
    pub decisions: usize,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

fn same_uri(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

pub fn provider_status(g: &Globals, a: StatusArgs) -> Result<()> {
    use kumo_client::gateway::client::{Credentials, ProviderClient};
    let chain = a.query.client();
    let provider = match (&a.provider, &a.gateway) {
        (Some(p), _) => resolve_address(p, &a.keyring, &g.home)?,
        (None, Some(url)) => {
            let r: provider::QueryProvidersResponse = chain.query_proto(
                "/akash.provider.v1beta4.Query/Providers",
                &provider::QueryProvidersRequest {
                    pagination: page(10_000, 0),
                },
            )?;
            r.providers
                .into_iter()
                .find(|p| same_uri(&p.host_uri, url))
                .map(|p| p.owner)
                .with_context(|| {
                    format!(
                        "no provider on chain has host URI {url}; give the provider with \
                         --provider (its certificate is checked against the chain)"
                    )
                })?
        }
        (None, None) => bail!("give the provider with --provider ADDRESS or its --gateway URL"),
    };
    let client = match &a.gateway {
        None => ProviderClient::from_chain(&chain, &provider, Credentials::Anonymous)?,
        Some(url) => {
            let certs = kumo_client::certs::valid_on_chain(&chain, &provider)
                .with_context(|| format!("cannot read provider {provider}'s certificates"))?;
            ProviderClient::new(&provider, url, certs, Credentials::Anonymous)?
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let status = rt
        .block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(10), client.status()).await
        })
        .map_err(|_| anyhow::anyhow!("provider {provider} did not answer within 10 s"))??;
    match g.output {
        crate::Output::Json => print_json(&status),
        crate::Output::Text => print!("{}", status_text(&provider, &status, a.decisions)),
    }
    Ok(())
}

/// The readable form of a provider's `/status`.
pub fn status_text(provider: &str, s: &serde_json::Value, decisions: usize) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let _ = writeln!(out, "provider   {provider}");
    if let Some(h) = s["cluster_public_hostname"]
        .as_str()
        .filter(|h| !h.is_empty())
    {
        let _ = writeln!(out, "hostname   {h}");
    }
    let _ = writeln!(out, "leases     {}", n(&s["cluster"]["leases"]));
    let inv = &s["cluster"]["inventory"];
    if let Some(node) = inv["available"]["nodes"].get(0) {
        let (al, av) = (&node["allocatable"], &node["available"]);
        let gib = |v: &serde_json::Value| n(v) as f64 / (1u64 << 30) as f64;
        let _ = writeln!(
            out,
            "cpu        {:.3} of {:.3} cores free",
            n(&av["cpu"]) as f64 / 1000.0,
            n(&al["cpu"]) as f64 / 1000.0
        );
        let _ = writeln!(
            out,
            "memory     {:.1} of {:.1} GiB free",
            gib(&av["memory"]),
            gib(&al["memory"])
        );
        let _ = writeln!(
            out,
            "ephemeral  {:.1} of {:.1} GiB free",
            gib(&av["storage_ephemeral"]),
            gib(&al["storage_ephemeral"])
        );
        let runtime = match inv["gpu_runtime"].as_bool() {
            Some(false) => " (no GPU runtime: GPU orders are declined)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "gpu        {} of {} free{runtime}",
            n(&av["gpu"]),
            n(&al["gpu"])
        );
        for st in inv["available"]["storage"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "storage    {}: {:.1} GiB free",
                st["class"].as_str().unwrap_or("?"),
                gib(&st["size"])
            );
        }
    }
    let pending = inv["pending"].as_array().map(Vec::len).unwrap_or(0);
    let _ = writeln!(
        out,
        "orders     {} being bid on, {pending} reservation(s) pending",
        n(&s["bidengine"]["orders"])
    );
    let all = s["bidengine"]["decisions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if all.is_empty() {
        let _ = writeln!(out, "no bid decisions yet");
        return out;
    }
    let _ = writeln!(
        out,
        "\nlatest decisions ({} of {}, newest first):",
        all.len().min(decisions),
        all.len()
    );
    for d in all.iter().take(decisions) {
        let what = if d["bid"].as_bool() == Some(true) {
            format!("bid {}", d["price"].as_str().unwrap_or(""))
        } else {
            format!("no bid: {}", d["reason"].as_str().unwrap_or(""))
        };
        let _ = writeln!(
            out,
            "  {}  (height {})  {what}",
            d["order"].as_str().unwrap_or("?"),
            n(&d["height"])
        );
    }
    out
}
