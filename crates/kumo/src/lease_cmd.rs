//! The tenant's side of a deployment after the chain: `kumo deploy FILE` (the whole flow) and
//! `kumo lease send-manifest|status|events|logs|shell|close`, talking to the provider's gateway
//! (`kumo_client::gateway::client`) with a JWT (default) or the tenant's mTLS certificate.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_client::gateway::client::{Credentials, GatewayError, ProviderClient};
use kumo_client::gateway::lease::LeaseStatus;
use kumo_client::gateway::shell::Frame;
use kumo_client::tx::to_any;
use kumo_client::{parse_coins, RpcClient};
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use serde_json::{json, Value};

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address};
use crate::tx_cmd::{sign_send_wait, TxFlags};
use crate::{Globals, Output};

/// Seconds per block assumed for monthly prices (Akash's average block time).

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum AuthType {
    /// A JWT signed with the --from key (15 minutes, full access); needs no certificate.
    Jwt,
    /// The client certificate in <home>/<address>.pem, published on chain.
    Mtls,
}

#[derive(Args, Debug, Clone)]
pub struct GatewayFlags {
    /// Key name of the tenant (the lease owner).
    #[arg(long)]
    pub from: String,
    /// How to authenticate to the provider.
    #[arg(long, value_enum, default_value_t = AuthType::Jwt)]
    pub auth_type: AuthType,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Prices: per block as bid, and per month as `kumo sdl validate` counts it: \
                        438000 blocks (365/12 days of 6 s blocks, the Akash clients' assumption), \
                        1 AKT = 1000000uakt."
)]
pub struct DeployArgs {
    /// SDL file (YAML, version 2.0 or 2.1).
    pub file: PathBuf,
    /// Take this provider's bids (akash1… or a key name); default: the cheapest bid per group.
    #[arg(long)]
    pub provider: Option<String>,
    /// Escrow deposit for the deployment.
    #[arg(long, default_value = "5000000uakt", value_name = "COINS")]
    pub deposit: String,
    /// How long bids are collected, in seconds. Deploy takes the cheapest bid per group when
    /// the window ends, or earlier once every active provider on chain has bid on every group
    /// (with --provider: once that provider has bid).
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub bid_wait: u64,
    /// Longest to keep retrying the manifest while a provider cannot be reached (it may be
    /// restarting), in seconds. The lease is paid meanwhile.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub manifest_wait: u64,
    /// Longest to wait for the services to be up once the manifest is sent, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub up_wait: u64,
    /// How to authenticate to the provider.
    #[arg(long, value_enum, default_value_t = AuthType::Jwt)]
    pub auth_type: AuthType,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum LeaseCmd {
    /// Send the manifest of an SDL to the provider(s) of a deployment's leases.
    SendManifest(SendManifestArgs),
    /// The lease's services: replicas available, URIs, forwarded ports.
    Status(LeaseArgs),
    /// The lease's events (image pulls, starts, restarts…).
    Events(StreamArgs),
    /// The services' output.
    Logs(LogsArgs),
    /// Run a command inside a service's replica.
    Shell(ShellArgs),
    /// Restart a service's containers (a kumo addition to the provider API).
    Restart(RestartArgs),
    /// End the lease (MsgCloseLease).
    Close(CloseArgs),
}

#[derive(Args, Debug)]
pub struct LeaseIdFlags {
    #[arg(long)]
    pub dseq: u64,
    #[arg(long, default_value_t = 1)]
    pub gseq: u32,
    #[arg(long, default_value_t = 1)]
    pub oseq: u32,
    /// The provider (akash1… or a key name).
    #[arg(long)]
    pub provider: String,
}

#[derive(Args, Debug)]
pub struct ChainFlags {
    /// CometBFT RPC endpoint of a node.
    #[arg(long, env = "KUMO_NODE", default_value = kumo_client::DEFAULT_NODE, value_name = "URL")]
    pub node: String,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct SendManifestArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub dseq: u64,
    /// Only this provider (default: every provider with an active lease of the deployment).
    #[arg(long)]
    pub provider: Option<String>,
    #[command(flatten)]
    pub gw: GatewayFlags,
    #[command(flatten)]
    pub chain: ChainFlags,
}

#[derive(Args, Debug)]
pub struct LeaseArgs {
    #[command(flatten)]
    pub id: LeaseIdFlags,
    #[command(flatten)]
    pub gw: GatewayFlags,
    #[command(flatten)]
    pub chain: ChainFlags,
}

#[derive(Args, Debug)]
pub struct StreamArgs {
    /// Keep streaming new entries.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only these services (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub service: Vec<String>,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Keep streaming new lines.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only these services (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub service: Vec<String>,
    /// Only the last N lines of each replica (default: all).
    #[arg(long, short = 't')]
    pub tail: Option<u64>,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  kumo lease shell --dseq 42 --provider akash1… --from alice \
                        --service web -- sh -c 'echo hi'"
)]
pub struct ShellArgs {
    #[arg(long)]
    pub service: String,
    /// Replica index (0-based).
    #[arg(long, default_value_t = 0)]
    pub replica: usize,
    /// Allocate a terminal.
    #[arg(long)]
    pub tty: bool,
    /// Forward this terminal's stdin to the command.
    #[arg(long)]
    pub stdin: bool,
    #[command(flatten)]
    pub lease: LeaseArgs,
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub cmd: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RestartArgs {
    #[arg(long)]
    pub service: String,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

#[derive(Args, Debug)]
pub struct CloseArgs {
    #[command(flatten)]
    pub id: LeaseIdFlags,
    #[command(flatten)]
    pub tx: TxFlags,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The tenant's signing key.
fn signer(g: &Globals, keyring: &KeyringArgs, from: &str) -> Result<kumo_crypto::PrivKey> {
    let kr = keyring.open(&g.home)?;
    kr.show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    let pass = keyring.passphrase(false)?;
    kr.signer(from, pass.as_deref())
        .with_context(|| format!("cannot unlock key {from:?}"))
}

fn credentials(g: &Globals, gw: &GatewayFlags, key: &kumo_crypto::PrivKey) -> Result<Credentials> {
    Ok(match gw.auth_type {
        AuthType::Jwt => Credentials::Jwt(key.clone()),
        AuthType::Mtls => {
            let path = kumo_client::certs::pem_path(&g.home, &key.address().to_string());
            Credentials::Mtls(kumo_client::certs::load(&path).with_context(|| {
                "--auth-type mtls needs your certificate: `kumo tx cert generate client` then \
                 `kumo tx cert publish client`"
            })?)
        }
    })
}

fn provider_client(node: &str, provider: &str, creds: Credentials) -> Result<ProviderClient> {
    ProviderClient::from_chain(&RpcClient::new(node), provider, creds)
}

/// Progress goes to stdout in text mode and to stderr with `--output json` (stdout then holds
/// only the final JSON object).
fn progress(g: &Globals, line: &str) {
    match g.output {
        Output::Text => println!("{line}"),
        Output::Json => eprintln!("{line}"),
    }
}

// ---------------------------------------------------------------- prices

pub use kumo_client::price::{monthly_price, per_block_text};

fn price_of(b: &mv1b5::Bid) -> (u128, String) {
    b.price
        .as_ref()
        .map(|p| (p.amount.parse().unwrap_or(u128::MAX), p.denom.clone()))
        .unwrap_or((u128::MAX, String::new()))
}

// ---------------------------------------------------------------- deploy

pub fn deploy(g: &Globals, a: DeployArgs) -> Result<()> {
    let sdl = kumo_sdl::parse_file(&a.file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = signer(g, &a.tx.keyring, &a.tx.from)?;
    let owner = key.address().to_string();
    let gw = GatewayFlags {
        from: a.tx.from.clone(),
        auth_type: a.auth_type,
    };
    let want_provider = a
        .provider
        .as_deref()
        .map(|p| resolve_address(p, &a.tx.keyring, &g.home))
        .transpose()?;
    let creds = credentials(g, &gw, &key)?;
    let deposit = create_deposit_of(&a.deposit)?;
    let chain = RpcClient::new(&a.tx.node);
    let dseq = chain
        .status()
        .context("cannot read the node's latest height (the deployment sequence)")?
        .latest_height
        .max(1);

    // 1. The deployment.
    progress(
        g,
        &format!(
            "creating deployment {owner}/{dseq}: {} group(s), manifest version {}",
            sdl.groups.len(),
            hex::encode(sdl.manifest_version)
        ),
    );
    let create = dv1b4::MsgCreateDeployment {
        id: Some(dv1::DeploymentId {
            owner: owner.clone(),
            dseq,
        }),
        groups: sdl.groups.clone(),
        hash: sdl.manifest_version.to_vec(),
        deposit: Some(Deposit {
            amount: Some(deposit.clone()),
            sources: vec![Source::Balance as i32],
        }),
        reclamation: None,
    };
    let info = sign_send_wait(&a.tx, &a.tx.from, &key, vec![to_any(&create)])?;
    progress(
        g,
        &format!(
            "deployment created at height {} (tx {})",
            info.height, info.hash
        ),
    );
    let hint = format!(
        "deployment {dseq} stays open; close it with `kumo tx deployment close --dseq {dseq} --from {}`",
        a.tx.from
    );
    // The failure first, then what to do about the deployment left behind.
    let hinted = |e: anyhow::Error| anyhow::anyhow!("{e:#}\nhint: {hint}");

    // 2. Bids.
    let chosen = wait_for_bids(
        g,
        &chain,
        &owner,
        dseq,
        &sdl,
        want_provider.as_deref(),
        a.bid_wait,
    )
    .map_err(hinted)?;

    // The deposit's runway at the accepted prices.
    if let Some(line) = runway_text(&deposit, &chosen) {
        progress(g, &line);
    }

    // 3. Leases.
    let msgs: Vec<_> = chosen
        .iter()
        .map(|b| {
            to_any(&mv1b5::MsgCreateLease {
                bid_id: b.id.clone(),
            })
        })
        .collect();
    let info = sign_send_wait(&a.tx, &a.tx.from, &key, msgs).map_err(hinted)?;
    let leases: Vec<mv1::LeaseId> = chosen
        .iter()
        .filter_map(|b| b.id.clone())
        .map(|id| mv1::LeaseId {
            owner: id.owner,
            dseq: id.dseq,
            gseq: id.gseq,
            oseq: id.oseq,
            provider: id.provider,
            bseq: id.bseq,
        })
        .collect();
    for l in &leases {
        progress(
            g,
            &format!(
                "lease {}/{}/{} with {} (height {})",
                l.dseq, l.gseq, l.oseq, l.provider, info.height
            ),
        );
    }

    // 4. Manifest, to each provider once.
    let rt = runtime()?;
    let providers: std::collections::BTreeSet<String> =
        leases.iter().map(|l| l.provider.clone()).collect();
    let mut clients = BTreeMap::new();
    for p in &providers {
        // The lease exists and is paid from here on: a failure says so and what to run next.
        let lease_hint = |e: anyhow::Error| {
            anyhow::anyhow!(
                "{e:#}\n{}",
                lease_state_hint(&chain, &leases, p, &a.file, dseq, &a.tx.from)
            )
        };
        let c = provider_client(&a.tx.node, p, creds.clone()).map_err(lease_hint)?;
        rt.block_on(send_manifest_retrying(
            g,
            &c,
            dseq,
            &sdl.manifest,
            Duration::from_secs(a.manifest_wait),
        ))
        .map_err(lease_hint)?;
        progress(g, &format!("manifest accepted by {p}"));
        clients.insert(p.clone(), c);
    }

    // 5. Up.
    let statuses = rt
        .block_on(wait_until_up(
            g,
            &clients,
            &leases,
            Duration::from_secs(a.up_wait),
        ))
        .map_err(hinted)?;
    let mut out = Vec::new();
    for (l, st) in leases.iter().zip(&statuses) {
        print_status_text(g, l, st);
        out.push(json!({
            "lease": {"owner": l.owner, "dseq": l.dseq.to_string(), "gseq": l.gseq,
                      "oseq": l.oseq, "provider": l.provider},
            "price": chosen.iter().find(|b| b.id.as_ref().is_some_and(|i| i.gseq == l.gseq))
                .map(|b| { let (amt, d) = price_of(b); json!({"per_block": per_block_text(amt, &d),
                                                           "per_month": monthly_price(amt, &d)}) }),
            "status": st,
        }));
    }
    if g.output == Output::Json {
        print_json(&json!({
            "owner": owner,
            "dseq": dseq.to_string(),
            "manifest_version": hex::encode(sdl.manifest_version),
            "leases": out,
        }));
    }
    Ok(())
}

/// The number of providers registered on chain.
fn active_provider_count(chain: &RpcClient) -> Result<usize> {
    use kumo_proto::akash::provider::v1beta4 as pv1b4;
    let r: pv1b4::QueryProvidersResponse = chain.query_proto(
        "/akash.provider.v1beta4.Query/Providers",
        &pv1b4::QueryProvidersRequest {
            pagination: Some(PageRequest {
                limit: 10_000,
                ..Default::default()
            }),
        },
    )?;
    Ok(r.providers.len().max(1))
}

/// Collects open bids for `wait_secs` (until each group has one from every provider, or from
/// `want` if given), then picks the cheapest per group.
fn wait_for_bids(
    g: &Globals,
    chain: &RpcClient,
    owner: &str,
    dseq: u64,
    sdl: &kumo_sdl::Deployment,
    want: Option<&str>,
    wait_secs: u64,
) -> Result<Vec<mv1b5::Bid>> {
    let groups = sdl.groups.len() as u32;
    let deadline = Instant::now() + Duration::from_secs(wait_secs);
    // Every provider that could still bid: once all have bid on every group, nothing is left
    // to wait for.
    let providers = active_provider_count(chain).unwrap_or(usize::MAX);
    progress(
        g,
        &format!("collecting bids for up to {wait_secs} s (--bid-wait)…"),
    );
    let mut announced = false;
    let bids = loop {
        let r: mv1b5::QueryBidsResponse = chain.query_proto(
            "/akash.market.v1beta5.Query/Bids",
            &mv1b5::QueryBidsRequest {
                filters: Some(mv1b5::BidFilters {
                    owner: owner.to_string(),
                    dseq,
                    state: "open".into(),
                    ..Default::default()
                }),
                pagination: Some(PageRequest {
                    limit: 1000,
                    ..Default::default()
                }),
            },
        )?;
        let bids: Vec<mv1b5::Bid> = r.bids.into_iter().filter_map(|b| b.bid).collect();
        let bidders = |gseq: u32| {
            bids.iter()
                .filter_map(|b| b.id.as_ref())
                .filter(|i| i.gseq == gseq && want.is_none_or(|w| i.provider == w))
                .map(|i| i.provider.as_str())
                .collect::<std::collections::BTreeSet<_>>()
        };
        let covered = (1..=groups).all(|gseq| !bidders(gseq).is_empty());
        let everyone = (1..=groups).all(|gseq| bidders(gseq).len() >= providers);
        if covered && (want.is_some() || everyone) {
            break bids;
        }
        if covered && !announced {
            announced = true;
            let left = deadline.saturating_duration_since(Instant::now()).as_secs();
            progress(
                g,
                &format!(
                    "every group has a bid; collecting more for {left} s (until --bid-wait \
                     ends, or every provider has bid)"
                ),
            );
        }
        if Instant::now() >= deadline {
            if covered {
                break bids;
            }
            print_bids(g, &bids);
            // Why: each provider's decision on each order, and the chain-side checks.
            match crate::explain_cmd::explain_table(g, chain.url(), owner, dseq) {
                Ok(t) => progress(g, &format!("why (kumo deployment explain {dseq}):\n{t}")),
                Err(e) => progress(g, &format!("(cannot explain the missing bids: {e:#})")),
            }
            match want {
                Some(w) => bail!(
                    "provider {w} did not bid on every group within {wait_secs} s; the table \
                     above says why, or try without --provider"
                ),
                None => bail!(
                    "no bids for every group within {wait_secs} s; the table above says why \
                     each provider declined: change the SDL's placement attributes, prices or \
                     resources, or wait longer with --bid-wait"
                ),
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    print_bids(g, &bids);
    let mut chosen = Vec::new();
    for gseq in 1..=groups {
        let best = bids
            .iter()
            .filter(|b| {
                b.id.as_ref()
                    .is_some_and(|i| i.gseq == gseq && want.is_none_or(|w| i.provider == w))
            })
            .min_by_key(|b| {
                let (amt, _) = price_of(b);
                (amt, b.id.as_ref().map(|i| i.provider.clone()))
            })
            .expect("covered");
        let id = best.id.as_ref().expect("has id");
        let (amt, d) = price_of(best);
        progress(
            g,
            &format!(
                "group {gseq}: taking {}'s bid at {}/block ({}/month)",
                id.provider,
                per_block_text(amt, &d),
                monthly_price(amt, &d)
            ),
        );
        chosen.push(best.clone());
    }
    Ok(chosen)
}

fn print_bids(g: &Globals, bids: &[mv1b5::Bid]) {
    if bids.is_empty() {
        progress(g, "no bids");
        return;
    }
    let mut rows = vec![[
        "PROVIDER".to_string(),
        "GROUP".into(),
        "PRICE/BLOCK".into(),
        "PRICE/MONTH".into(),
    ]];
    let mut sorted: Vec<&mv1b5::Bid> = bids.iter().collect();
    sorted.sort_by_key(|b| {
        let id = b.id.clone().unwrap_or_default();
        (id.gseq, price_of(b).0, id.provider)
    });
    for b in sorted {
        let id = b.id.clone().unwrap_or_default();
        let (amt, d) = price_of(b);
        rows.push([
            id.provider,
            format!("{}/{}", id.gseq, id.oseq),
            per_block_text(amt, &d),
            monthly_price(amt, &d),
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for r in rows {
        progress(
            g,
            &format!(
                "{:w0$}  {:w1$}  {:>w2$}  {:>w3$}",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2],
                w3 = widths[3]
            ),
        );
    }
}

/// PUT the manifest. Retried with back-off for at most `limit`: a 404 (the provider has not
/// seen the lease yet), a provider that cannot be reached (restarting), or a 5xx. Other
/// refusals (a manifest that does not match the deployment, 422) fail at once.
async fn send_manifest_retrying(
    g: &Globals,
    c: &ProviderClient,
    dseq: u64,
    manifest: &[kumo_sdl::manifest::Group],
    limit: Duration,
) -> Result<()> {
    let deadline = Instant::now() + limit;
    let mut pause = Duration::from_secs(1);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let err = match c.send_manifest(dseq, manifest).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let why = match err.downcast_ref::<GatewayError>() {
            Some(ge) if ge.status == 404 => "has not seen the lease yet".to_string(),
            Some(ge) if ge.status >= 500 => format!("answered {}", ge.status),
            Some(_) => {
                return Err(err)
                    .with_context(|| format!("provider {} refused the manifest", c.provider))
            }
            None => format!("cannot be reached ({err:#})"),
        };
        if Instant::now() + pause > deadline {
            return Err(err).with_context(|| {
                format!(
                    "provider {} did not take the manifest within {} s ({attempt} attempts; \
                     it {why})",
                    c.provider,
                    limit.as_secs()
                )
            });
        }
        progress(
            g,
            &format!(
                "provider {} {why}; retrying the manifest in {} s (attempt {attempt})",
                c.provider,
                pause.as_secs()
            ),
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// What a failed manifest leaves behind, read from the chain: the lease's state and what to
/// run next.
fn lease_state_hint(
    chain: &RpcClient,
    leases: &[mv1::LeaseId],
    provider: &str,
    sdl: &std::path::Path,
    dseq: u64,
    from: &str,
) -> String {
    let mut lines = Vec::new();
    for l in leases.iter().filter(|l| l.provider == provider) {
        let state = chain
            .query_proto::<_, mv1b5::QueryLeaseResponse>(
                "/akash.market.v1beta5.Query/Lease",
                &mv1b5::QueryLeaseRequest {
                    id: Some(l.clone()),
                },
            )
            .ok()
            .and_then(|r| r.lease)
            .map(|l| match mv1::lease::State::try_from(l.state) {
                Ok(mv1::lease::State::Active) => {
                    "active: it is paid from the deposit every block".to_string()
                }
                Ok(s) => format!("{}", s.as_str_name().to_ascii_lowercase()),
                Err(_) => format!("in state {}", l.state),
            })
            .unwrap_or_else(|| "in an unknown state (the node did not answer)".into());
        lines.push(format!(
            "lease {}/{}/{} with {provider} is {state}",
            l.dseq, l.gseq, l.oseq
        ));
    }
    lines.push(format!(
        "hint: once the provider is back, send the manifest with `kumo lease send-manifest {} \
         --dseq {dseq} --from {from}`; to stop paying, close the deployment with \
         `kumo tx deployment close --dseq {dseq} --from {from}`",
        sdl.display()
    ));
    lines.join("\n")
}

/// Blocks below which a deposit's runway earns a warning: one day of 6 s blocks.
const LOW_RUNWAY_BLOCKS: u128 = 24 * 3600 / 6;

fn create_deposit_of(text: &str) -> Result<kumo_client::Coin> {
    let mut c = parse_coins(text)?;
    if c.len() != 1 {
        bail!("--deposit must be one coin such as 5000000uakt");
    }
    Ok(c.remove(0))
}

/// How long `deposit` pays for the chosen bids: blocks and hours (6 s blocks, as the monthly
/// prices assume), with a warning under [`LOW_RUNWAY_BLOCKS`]. None when the bids are priced
/// in another denomination than the deposit.
fn runway_text(deposit: &kumo_client::Coin, chosen: &[mv1b5::Bid]) -> Option<String> {
    let mut per_block: u128 = 0;
    for b in chosen {
        let (amt, denom) = price_of(b);
        if denom != deposit.denom {
            return None;
        }
        per_block = per_block.checked_add(amt)?;
    }
    if per_block == 0 {
        return None;
    }
    let dep: u128 = deposit.amount.parse().ok()?;
    // Prices are LegacyDec atomics (18 decimals).
    let blocks = dep.checked_mul(10u128.pow(18))? / per_block;
    let hours = blocks * 6 / 3600;
    let base = format!(
        "the deposit of {}{} lasts about {blocks} blocks (~{hours} h) at {}/block",
        deposit.amount,
        deposit.denom,
        per_block_text(per_block, &deposit.denom)
    );
    Some(if blocks < LOW_RUNWAY_BLOCKS {
        format!(
            "warning: {base}, less than a day; add funds with `kumo tx deployment deposit AMOUNT --dseq N --from KEY` \
             or the lease closes when the escrow runs dry"
        )
    } else {
        base
    })
}

fn all_up(st: &LeaseStatus) -> bool {
    !st.services.is_empty()
        && st
            .services
            .values()
            .all(|s| s.total > 0 && s.available == s.total)
}

async fn wait_until_up(
    g: &Globals,
    clients: &BTreeMap<String, ProviderClient>,
    leases: &[mv1::LeaseId],
    limit: Duration,
) -> Result<Vec<LeaseStatus>> {
    let deadline = Instant::now() + limit;
    progress(g, "waiting for the services to be up…");
    loop {
        let mut statuses = Vec::new();
        for l in leases {
            let c = &clients[&l.provider];
            statuses.push(c.lease_status(l).await);
        }
        let ready = statuses.iter().all(|s| s.as_ref().is_ok_and(all_up));
        if ready {
            return statuses.into_iter().collect();
        }
        if Instant::now() >= deadline {
            let mut why = Vec::new();
            for (l, s) in leases.iter().zip(statuses) {
                match s {
                    Ok(st) => {
                        for (name, svc) in st.services {
                            why.push(format!(
                                "lease {}/{}/{} service {name}: {}/{} available",
                                l.dseq, l.gseq, l.oseq, svc.available, svc.total
                            ));
                        }
                    }
                    Err(e) => why.push(format!("lease {}/{}/{}: {e:#}", l.dseq, l.gseq, l.oseq)),
                }
            }
            bail!(
                "services not up within {} s ({}); see `kumo lease events` and `kumo lease logs`",
                limit.as_secs(),
                why.join("; ")
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

fn print_status_text(g: &Globals, l: &mv1::LeaseId, st: &LeaseStatus) {
    if g.output == Output::Json {
        return;
    }
    println!("lease {}/{}/{} at {}", l.dseq, l.gseq, l.oseq, l.provider);
    for (name, s) in &st.services {
        println!("  {name}: {}/{} available", s.available, s.total);
        for u in &s.uris {
            println!("    uri: http://{u}");
        }
    }
    for (name, ports) in &st.forwarded_ports {
        for p in ports {
            println!(
                "  {name}: port {} forwarded at {}:{} ({})",
                p.port, p.host, p.external_port, p.proto
            );
        }
    }
    for e in &st.errors {
        println!("  error: {e}");
    }
}

// ---------------------------------------------------------------- lease commands

fn lease_id(g: &Globals, owner: &str, id: &LeaseIdFlags, kr: &KeyringArgs) -> Result<mv1::LeaseId> {
    Ok(mv1::LeaseId {
        owner: owner.to_string(),
        dseq: id.dseq,
        gseq: id.gseq,
        oseq: id.oseq,
        provider: resolve_address(&id.provider, kr, &g.home)?,
        bseq: 0,
    })
}

/// The lease, its provider's client and the runtime to drive it.
fn open(
    g: &Globals,
    a: &LeaseArgs,
) -> Result<(mv1::LeaseId, ProviderClient, tokio::runtime::Runtime)> {
    let key = signer(g, &a.chain.keyring, &a.gw.from)?;
    let lease = lease_id(g, &key.address().to_string(), &a.id, &a.chain.keyring)?;
    let creds = credentials(g, &a.gw, &key)?;
    let client = provider_client(&a.chain.node, &lease.provider, creds)?;
    Ok((lease, client, runtime()?))
}

pub fn run(g: &Globals, c: LeaseCmd) -> Result<()> {
    match c {
        LeaseCmd::SendManifest(a) => send_manifest(g, a),
        LeaseCmd::Status(a) => {
            let (lease, client, rt) = open(g, &a)?;
            let st = rt.block_on(client.lease_status(&lease))?;
            match g.output {
                Output::Json => print_json(&serde_json::to_value(&st)?),
                Output::Text => print_status_text(g, &lease, &st),
            }
            Ok(())
        }
        LeaseCmd::Events(a) => {
            let (lease, client, rt) = open(g, &a.lease)?;
            rt.block_on(async {
                let mut s = client.events(&lease, &a.service, a.follow).await?;
                use futures::StreamExt;
                while let Some(ev) = s.next().await {
                    let ev = ev?;
                    match g.output {
                        Output::Json => println!("{}", serde_json::to_string(&ev)?),
                        Output::Text => {
                            println!("{} {} {}: {}", ev.kind, ev.object.name, ev.reason, ev.note)
                        }
                    }
                }
                Ok(())
            })
        }
        LeaseCmd::Logs(a) => {
            let (lease, client, rt) = open(g, &a.lease)?;
            rt.block_on(async {
                let mut s = client.logs(&lease, &a.service, a.follow, a.tail).await?;
                use futures::StreamExt;
                while let Some(line) = s.next().await {
                    let line = line?;
                    match g.output {
                        Output::Json => println!("{}", serde_json::to_string(&line)?),
                        Output::Text => println!("[{}] {}", line.name, line.message),
                    }
                }
                Ok(())
            })
        }
        LeaseCmd::Shell(a) => {
            let (lease, client, rt) = open(g, &a.lease)?;
            let code = rt.block_on(shell(&client, &lease, &a))?;
            if code != 0 {
                // The remote command's exit status becomes ours.
                std::process::exit(i32::try_from(code).unwrap_or(1));
            }
            Ok(())
        }
        LeaseCmd::Restart(a) => {
            let (lease, client, rt) = open(g, &a.lease)?;
            rt.block_on(client.restart(&lease, &a.service))?;
            println!(
                "service {} of lease {}/{}/{} restarted",
                a.service, lease.dseq, lease.gseq, lease.oseq
            );
            Ok(())
        }
        LeaseCmd::Close(a) => {
            let key = signer(g, &a.tx.keyring, &a.tx.from)?;
            let lease = lease_id(g, &key.address().to_string(), &a.id, &a.tx.keyring)?;
            let msg = mv1b5::MsgCloseLease {
                id: Some(lease.clone()),
                reason: mv1::LeaseClosedReason::LeaseClosedOwner as i32,
            };
            let info = sign_send_wait(&a.tx, &a.tx.from, &key, vec![to_any(&msg)])?;
            match g.output {
                Output::Json => {
                    print_json(&json!({"txhash": info.hash, "height": info.height.to_string()}))
                }
                Output::Text => println!(
                    "lease {}/{}/{} with {} closed at height {} (tx {})",
                    lease.dseq, lease.gseq, lease.oseq, lease.provider, info.height, info.hash
                ),
            }
            Ok(())
        }
    }
}

fn send_manifest(g: &Globals, a: SendManifestArgs) -> Result<()> {
    let sdl = kumo_sdl::parse_file(&a.file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = signer(g, &a.chain.keyring, &a.gw.from)?;
    let owner = key.address().to_string();
    let chain = RpcClient::new(&a.chain.node);
    let providers: Vec<String> = match &a.provider {
        Some(p) => vec![resolve_address(p, &a.chain.keyring, &g.home)?],
        None => active_lease_providers(&chain, &owner, a.dseq)?,
    };
    if providers.is_empty() {
        bail!(
            "deployment {owner}/{} has no active lease; create one first",
            a.dseq
        );
    }
    let creds = credentials(g, &a.gw, &key)?;
    let out = deliver_manifest(g, &a.chain.node, creds, &providers, a.dseq, &sdl.manifest)?;
    if g.output == Output::Json {
        print_json(&json!({"dseq": a.dseq.to_string(), "accepted_by": out}));
    }
    Ok(())
}

/// The providers of a deployment's active leases.
fn active_lease_providers(chain: &RpcClient, owner: &str, dseq: u64) -> Result<Vec<String>> {
    let r: mv1b5::QueryLeasesResponse = chain.query_proto(
        "/akash.market.v1beta5.Query/Leases",
        &mv1b5::QueryLeasesRequest {
            filters: Some(mv1::LeaseFilters {
                owner: owner.to_string(),
                dseq,
                state: "active".into(),
                ..Default::default()
            }),
            pagination: Some(PageRequest {
                limit: 1000,
                ..Default::default()
            }),
        },
    )?;
    let set: std::collections::BTreeSet<String> = r
        .leases
        .into_iter()
        .filter_map(|l| l.lease.and_then(|l| l.id))
        .map(|id| id.provider)
        .collect();
    Ok(set.into_iter().collect())
}

/// Sends the manifest to each provider (retrying while one restarts); the providers that took it.
fn deliver_manifest(
    g: &Globals,
    node: &str,
    creds: Credentials,
    providers: &[String],
    dseq: u64,
    manifest: &[kumo_sdl::manifest::Group],
) -> Result<Vec<Value>> {
    let rt = runtime()?;
    let mut out = Vec::new();
    for p in providers {
        let c = provider_client(node, p, creds.clone())?;
        rt.block_on(send_manifest_retrying(
            g,
            &c,
            dseq,
            manifest,
            Duration::from_secs(60),
        ))?;
        progress(g, &format!("manifest accepted by {p}"));
        out.push(Value::String(p.clone()));
    }
    Ok(out)
}

/// `kumo tx deployment update FILE.yaml --dseq N --from KEY`: the SDL's manifest version goes on chain
/// (MsgUpdateDeployment), then its manifest to every provider with an active lease, as
/// Akash's CLI does.
pub fn update_from_sdl(
    g: &Globals,
    from: &str,
    dseq: u64,
    file: &std::path::Path,
    auth_type: AuthType,
    tx: &TxFlags,
) -> Result<()> {
    let sdl = kumo_sdl::parse_file(file).map_err(|e| anyhow::anyhow!("{e}"))?;
    let key = signer(g, &tx.keyring, from)?;
    let owner = key.address().to_string();
    let chain = RpcClient::new(&tx.node);
    let version = hex::encode(sdl.manifest_version);
    let msg = dv1b4::MsgUpdateDeployment {
        id: Some(dv1::DeploymentId {
            owner: owner.clone(),
            dseq,
        }),
        hash: sdl.manifest_version.to_vec(),
    };
    let info = sign_send_wait(tx, from, &key, vec![to_any(&msg)])?;
    progress(
        g,
        &format!(
            "deployment {owner}/{dseq} updated to manifest version {version} at height {} (tx {})",
            info.height, info.hash
        ),
    );
    let providers = active_lease_providers(&chain, &owner, dseq)?;
    if providers.is_empty() {
        progress(
            g,
            "the deployment has no active lease: no provider to send the manifest to",
        );
    }
    let gw = GatewayFlags {
        from: from.to_string(),
        auth_type,
    };
    let creds = credentials(g, &gw, &key)?;
    let out =
        deliver_manifest(g, &tx.node, creds, &providers, dseq, &sdl.manifest).map_err(|e| {
            anyhow::anyhow!(
                "{e:#}\nthe new version is on chain; send its manifest again with \
                 `kumo lease send-manifest {} --dseq {dseq} --from {from}`",
                file.display()
            )
        })?;
    if g.output == Output::Json {
        print_json(&json!({
            "txhash": info.hash,
            "height": info.height.to_string(),
            "dseq": dseq.to_string(),
            "manifest_version": version,
            "accepted_by": out,
        }));
    }
    Ok(())
}

async fn shell(client: &ProviderClient, lease: &mv1::LeaseId, a: &ShellArgs) -> Result<i64> {
    let (mut input, mut output) = client
        .shell(lease, &a.service, a.replica, &a.cmd, a.tty, a.stdin)
        .await?;
    if a.stdin {
        // Terminal input is read on a thread (stdin reads block) and sent as 104 frames.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            let mut stdin = std::io::stdin().lock();
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        let _ = tx.blocking_send(vec![]);
                        return;
                    }
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        tokio::spawn(async move {
            while let Some(data) = rx.recv().await {
                let done = data.is_empty();
                if input.send(Frame::Stdin(data)).await.is_err() || done {
                    return;
                }
            }
        });
    }
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    while let Some(f) = output.next().await {
        match f? {
            Frame::Stdout(b) => {
                stdout.write_all(&b)?;
                stdout.flush()?;
            }
            Frame::Stderr(b) => {
                stderr.write_all(&b)?;
                stderr.flush()?;
            }
            Frame::Result(r) => {
                if let Some(m) = r.message {
                    eprintln!("{m}");
                }
                return Ok(r.exit_code);
            }
            Frame::Failure => bail!("the provider could not run the command"),
            other => bail!("unexpected frame from the provider: {other:?}"),
        }
    }
    bail!("the provider closed the shell without a result")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(gseq: u32, atomics: u128, denom: &str) -> mv1b5::Bid {
        mv1b5::Bid {
            id: Some(mv1::BidId {
                gseq,
                ..Default::default()
            }),
            price: Some(cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin {
                denom: denom.into(),
                amount: atomics.to_string(),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn runway_of_the_deposit() {
        let one = 10u128.pow(18);
        let dep = kumo_client::Coin {
            denom: "uakt".into(),
            amount: "5000000".into(),
        };
        // 100 + 25 uakt/block: 40,000 blocks, 66 h of 6 s blocks; no warning.
        let t = runway_text(&dep, &[bid(1, 100 * one, "uakt"), bid(2, 25 * one, "uakt")]).unwrap();
        assert_eq!(
            t,
            "the deposit of 5000000uakt lasts about 40000 blocks (~66 h) at 125uakt/block"
        );
        // 1000 uakt/block: 5,000 blocks, under a day: a warning with what to do.
        let t = runway_text(&dep, &[bid(1, 1000 * one, "uakt")]).unwrap();
        assert!(
            t.starts_with("warning: the deposit of 5000000uakt lasts about 5000 blocks (~8 h)"),
            "{t}"
        );
        assert!(t.contains("kumo tx deployment deposit"), "{t}");
        // Priced in another denomination: no figure rather than a wrong one.
        assert_eq!(runway_text(&dep, &[bid(1, one, "uact")]), None);
    }
}
