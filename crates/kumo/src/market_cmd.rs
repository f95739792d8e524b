//! `kumo query deployment|market …` and `kumo tx deployment|market|escrow …`: the reverse
//! auction from the command line, through the Akash query services and msgs
//! (`akash.deployment.v1beta4`, `akash.market.v1beta5`, `akash.escrow.v1`).

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::{Coin as ProtoCoin, DecCoin};
use kumo_client::tx::to_any;
use kumo_client::{parse_coins, Dec};
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::escrow::id::v1 as escrow_id;
use kumo_proto::akash::escrow::v1::MsgAccountDeposit;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::json::message_json;
use serde_json::{json, Value};

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::tx_cmd::{execute, TxFlags};
use crate::{Globals, Output};

// ---------------------------------------------------------------- queries

#[derive(Subcommand, Debug)]
pub enum DeploymentQueryCmd {
    /// Deployments with their groups and escrow account, filtered.
    List(ListArgs),
    /// One deployment (--owner, --dseq).
    Get(GetArgs),
    /// Deployment parameters (minimum deposits per denom).
    Params(crate::params_cmd::ParamsQueryArgs),
}

#[derive(Subcommand, Debug)]
pub enum MarketQueryCmd {
    /// Orders (one per open group).
    #[command(subcommand)]
    Order(ListGet),
    /// Bids with their escrow (deposit) accounts.
    #[command(subcommand)]
    Bid(ListGet),
    /// Leases with their escrow payments.
    #[command(subcommand)]
    Lease(ListGet),
    /// Market parameters (bid deposit, open bids per order).
    Params(crate::params_cmd::ParamsQueryArgs),
}

#[derive(Subcommand, Debug)]
pub enum ListGet {
    /// All matching records (filters combine).
    List(ListArgs),
    /// One record by its ID flags.
    Get(GetArgs),
}

/// ID parts and filters shared by the deployment and market queries.
#[derive(Args, Debug, Clone, Default)]
pub struct IdFlags {
    /// Tenant: an akash1… address or a key name.
    #[arg(long)]
    pub owner: Option<String>,
    /// Deployment sequence.
    #[arg(long, default_value_t = 0)]
    pub dseq: u64,
    /// Group sequence (1-based).
    #[arg(long, default_value_t = 0)]
    pub gseq: u32,
    /// Order sequence (1-based).
    #[arg(long, default_value_t = 0)]
    pub oseq: u32,
    /// Provider: an akash1… address or a key name.
    #[arg(long)]
    pub provider: Option<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub id: IdFlags,
    /// State by name: deployments active|closed; orders open|active|closed; bids
    /// open|active|lost|closed; leases active|insufficient_funds|closed.
    #[arg(long)]
    pub state: Option<String>,
    /// At most this many records (default 100).
    #[arg(long, default_value_t = 0)]
    pub limit: u64,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    pub id: IdFlags,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

struct Resolved {
    owner: String,
    provider: String,
    dseq: u64,
    gseq: u32,
    oseq: u32,
}

fn resolve(g: &Globals, id: &IdFlags, keyring: &KeyringArgs) -> Result<Resolved> {
    let addr = |s: &Option<String>| -> Result<String> {
        s.as_deref()
            .map(|s| resolve_address(s, keyring, &g.home))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(Resolved {
        owner: addr(&id.owner)?,
        provider: addr(&id.provider)?,
        dseq: id.dseq,
        gseq: id.gseq,
        oseq: id.oseq,
    })
}

fn need(r: &Resolved, owner: bool, seqs: u8, provider: bool) -> Result<()> {
    if owner && r.owner.is_empty() {
        bail!("give the tenant with --owner");
    }
    if seqs >= 1 && r.dseq == 0 {
        bail!("give the deployment sequence with --dseq");
    }
    if seqs >= 2 && r.gseq == 0 {
        bail!("give the group sequence with --gseq (groups count from 1)");
    }
    if seqs >= 3 && r.oseq == 0 {
        bail!("give the order sequence with --oseq (orders count from 1)");
    }
    if provider && r.provider.is_empty() {
        bail!("give the provider with --provider");
    }
    Ok(())
}

fn page(limit: u64) -> Option<PageRequest> {
    Some(PageRequest {
        limit,
        count_total: true,
        ..Default::default()
    })
}

fn show(g: &Globals, v: Value, text: impl FnOnce() -> Vec<String>) {
    match g.output {
        Output::Json => print_json(&v),
        Output::Text => {
            let lines = text();
            if lines.is_empty() {
                println!("nothing found");
            }
            for l in lines {
                println!("{l}");
            }
        }
    }
}

fn dec_coin_text(c: &Option<DecCoin>) -> String {
    c.as_ref()
        .map(|c| {
            let d = Dec::from_atomics(c.amount.parse().unwrap_or(0));
            format!("{d}{}", c.denom)
        })
        .unwrap_or_default()
}

fn state_name<E: TryFrom<i32>>(s: i32, name: fn(&E) -> &'static str) -> String {
    E::try_from(s).map_or_else(|_| s.to_string(), |e| name(&e).to_string())
}

pub fn query_deployment(g: &Globals, c: DeploymentQueryCmd) -> Result<()> {
    match c {
        DeploymentQueryCmd::Params(a) => {
            return crate::params_cmd::query_module(
                g,
                crate::params_cmd::ParamsModule::Deployment,
                &a,
            );
        }
        DeploymentQueryCmd::List(a) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            let resp: dv1b4::QueryDeploymentsResponse = a.query.client().query_proto(
                "/akash.deployment.v1beta4.Query/Deployments",
                &dv1b4::QueryDeploymentsRequest {
                    filters: Some(dv1b4::DeploymentFilters {
                        owner: r.owner,
                        dseq: r.dseq,
                        state: a.state.unwrap_or_default(),
                    }),
                    pagination: page(a.limit),
                },
            )?;
            show(g, message_json(&resp), || {
                resp.deployments.iter().map(deployment_line).collect()
            });
        }
        DeploymentQueryCmd::Get(a) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            need(&r, true, 1, false)?;
            let resp: dv1b4::QueryDeploymentResponse = a.query.client().query_proto(
                "/akash.deployment.v1beta4.Query/Deployment",
                &dv1b4::QueryDeploymentRequest {
                    id: Some(dv1::DeploymentId {
                        owner: r.owner,
                        dseq: r.dseq,
                    }),
                },
            )?;
            show(g, message_json(&resp), || vec![deployment_line(&resp)]);
        }
    }
    Ok(())
}

fn deployment_line(d: &dv1b4::QueryDeploymentResponse) -> String {
    let dep = d.deployment.clone().unwrap_or_default();
    let id = dep.id.unwrap_or_default();
    let groups: Vec<String> = d
        .groups
        .iter()
        .map(|g| {
            format!(
                "{}={}",
                g.group_spec.as_ref().map_or("", |s| s.name.as_str()),
                state_name(g.state, dv1b4::group::State::as_str_name)
            )
        })
        .collect();
    format!(
        "{}/{} {} created at {} groups [{}]",
        id.owner,
        id.dseq,
        state_name(dep.state, dv1::deployment::State::as_str_name),
        dep.created_at,
        groups.join(", ")
    )
}

pub fn query_market(g: &Globals, c: MarketQueryCmd) -> Result<()> {
    match c {
        MarketQueryCmd::Params(a) => {
            return crate::params_cmd::query_module(g, crate::params_cmd::ParamsModule::Market, &a);
        }
        MarketQueryCmd::Order(ListGet::List(a)) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            let resp: mv1b5::QueryOrdersResponse = a.query.client().query_proto(
                "/akash.market.v1beta5.Query/Orders",
                &mv1b5::QueryOrdersRequest {
                    filters: Some(mv1b5::OrderFilters {
                        owner: r.owner,
                        dseq: r.dseq,
                        gseq: r.gseq,
                        oseq: r.oseq,
                        state: a.state.unwrap_or_default(),
                    }),
                    pagination: page(a.limit),
                },
            )?;
            show(g, message_json(&resp), || {
                resp.orders.iter().map(order_line).collect()
            });
        }
        MarketQueryCmd::Order(ListGet::Get(a)) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            need(&r, true, 3, false)?;
            let resp: mv1b5::QueryOrderResponse = a.query.client().query_proto(
                "/akash.market.v1beta5.Query/Order",
                &mv1b5::QueryOrderRequest {
                    id: Some(mv1::OrderId {
                        owner: r.owner,
                        dseq: r.dseq,
                        gseq: r.gseq,
                        oseq: r.oseq,
                    }),
                },
            )?;
            show(g, message_json(&resp), || {
                vec![order_line(&resp.order.clone().unwrap_or_default())]
            });
        }
        MarketQueryCmd::Bid(ListGet::List(a)) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            let resp: mv1b5::QueryBidsResponse = a.query.client().query_proto(
                "/akash.market.v1beta5.Query/Bids",
                &mv1b5::QueryBidsRequest {
                    filters: Some(mv1b5::BidFilters {
                        owner: r.owner,
                        dseq: r.dseq,
                        gseq: r.gseq,
                        oseq: r.oseq,
                        provider: r.provider,
                        state: a.state.unwrap_or_default(),
                        bseq: 0,
                    }),
                    pagination: page(a.limit),
                },
            )?;
            show(g, message_json(&resp), || {
                resp.bids
                    .iter()
                    .map(|b| bid_line(&b.bid.clone().unwrap_or_default()))
                    .collect()
            });
        }
        MarketQueryCmd::Bid(ListGet::Get(a)) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            need(&r, true, 3, true)?;
            let resp: mv1b5::QueryBidResponse = a.query.client().query_proto(
                "/akash.market.v1beta5.Query/Bid",
                &mv1b5::QueryBidRequest {
                    id: Some(bid_id(&r)),
                },
            )?;
            show(g, message_json(&resp), || {
                vec![bid_line(&resp.bid.clone().unwrap_or_default())]
            });
        }
        MarketQueryCmd::Lease(ListGet::List(a)) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            let resp: mv1b5::QueryLeasesResponse = a.query.client().query_proto(
                "/akash.market.v1beta5.Query/Leases",
                &mv1b5::QueryLeasesRequest {
                    filters: Some(mv1::LeaseFilters {
                        owner: r.owner,
                        dseq: r.dseq,
                        gseq: r.gseq,
                        oseq: r.oseq,
                        provider: r.provider,
                        state: a.state.unwrap_or_default(),
                        bseq: 0,
                    }),
                    pagination: page(a.limit),
                },
            )?;
            show(g, message_json(&resp), || {
                resp.leases
                    .iter()
                    .map(|l| lease_line(&l.lease.clone().unwrap_or_default()))
                    .collect()
            });
        }
        MarketQueryCmd::Lease(ListGet::Get(a)) => {
            let r = resolve(g, &a.id, &a.keyring)?;
            need(&r, true, 3, true)?;
            let resp: mv1b5::QueryLeaseResponse = a.query.client().query_proto(
                "/akash.market.v1beta5.Query/Lease",
                &mv1b5::QueryLeaseRequest {
                    id: Some(lease_id(&r)),
                },
            )?;
            show(g, message_json(&resp), || {
                vec![lease_line(&resp.lease.clone().unwrap_or_default())]
            });
        }
    }
    Ok(())
}

fn order_line(o: &mv1b5::Order) -> String {
    let id = o.id.clone().unwrap_or_default();
    format!(
        "{}/{}/{}/{} {} group {:?} created at {}",
        id.owner,
        id.dseq,
        id.gseq,
        id.oseq,
        state_name(o.state, mv1b5::order::State::as_str_name),
        o.spec.as_ref().map_or("", |s| s.name.as_str()),
        o.created_at
    )
}

fn bid_line(b: &mv1b5::Bid) -> String {
    let id = b.id.clone().unwrap_or_default();
    format!(
        "{}/{}/{}/{}/{} {} price {}/block created at {}",
        id.owner,
        id.dseq,
        id.gseq,
        id.oseq,
        id.provider,
        state_name(b.state, mv1b5::bid::State::as_str_name),
        dec_coin_text(&b.price),
        b.created_at
    )
}

fn lease_line(l: &mv1::Lease) -> String {
    let id = l.id.clone().unwrap_or_default();
    let mut s = format!(
        "{}/{}/{}/{}/{} {} price {}/block created at {}",
        id.owner,
        id.dseq,
        id.gseq,
        id.oseq,
        id.provider,
        state_name(l.state, mv1::lease::State::as_str_name),
        dec_coin_text(&l.price),
        l.created_at
    );
    if l.closed_on != 0 {
        s.push_str(&format!(
            ", closed at {} ({})",
            l.closed_on,
            state_name(l.reason, mv1::LeaseClosedReason::as_str_name)
        ));
    }
    s
}

fn bid_id(r: &Resolved) -> mv1::BidId {
    mv1::BidId {
        owner: r.owner.clone(),
        dseq: r.dseq,
        gseq: r.gseq,
        oseq: r.oseq,
        provider: r.provider.clone(),
        bseq: 0,
    }
}

fn lease_id(r: &Resolved) -> mv1::LeaseId {
    mv1::LeaseId {
        owner: r.owner.clone(),
        dseq: r.dseq,
        gseq: r.gseq,
        oseq: r.oseq,
        provider: r.provider.clone(),
        bseq: 0,
    }
}

// ---------------------------------------------------------------- transactions

#[derive(Subcommand, Debug)]
pub enum DeploymentTxCmd {
    /// Create a deployment from an SDL file: one group (and one market order) per placement.
    Create(CreateArgs),
    /// Top up a deployment's escrow account (escrow MsgAccountDeposit).
    Deposit(DepositArgs),
    /// A new version of the deployment: from an SDL (on chain, then the manifest to its
    /// providers) or a bare manifest hash.
    Update(UpdateArgs),
    /// Close a deployment: pays providers what accrued, refunds the rest.
    Close(DseqArgs),
    /// Close one group (its leases end, bids are refunded).
    CloseGroup(GroupArgs),
    /// Pause a group (its leases end); start it again later for a new order.
    PauseGroup(GroupArgs),
    /// Start a paused group: opens a new order.
    StartGroup(GroupArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// SDL file (YAML, version 2.0 or 2.1).
    pub file: std::path::PathBuf,
    /// Escrow deposit taken from the --from balance; at least the chain's minimum (0.5 AKT).
    #[arg(long, default_value = "500000uakt", value_name = "COIN")]
    pub deposit: String,
    /// Deployment sequence; default: the node's latest block height, as Akash's CLI does.
    #[arg(long)]
    pub dseq: Option<u64>,
    /// Where the deposit comes from, tried in order: balance (--from's own) and/or grant
    /// (deposit authorizations given to --from, see `kumo tx authz grant`).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "balance",
        value_name = "SOURCE"
    )]
    pub deposit_source: Vec<DepositSource>,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct DepositArgs {
    /// Deployment sequence.
    #[arg(long)]
    pub dseq: u64,
    /// Amount, e.g. 5000000uakt.
    pub amount: String,
    /// Where the deposit comes from, tried in order: balance (--from's own) and/or grant
    /// (deposit authorizations given to --from, see `kumo tx authz grant`).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "balance",
        value_name = "SOURCE"
    )]
    pub deposit_source: Vec<DepositSource>,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// Deployment sequence.
    #[arg(long)]
    pub dseq: u64,
    /// The new SDL file (its manifest version goes on chain, then its manifest to the
    /// providers of the deployment's active leases), or a manifest hash of 64 hex digits
    /// (SHA-256; on chain only).
    #[arg(value_name = "SDL_OR_HASH")]
    pub hash: String,
    /// How to authenticate to the providers when sending the manifest.
    #[arg(long, value_enum, default_value_t = crate::lease_cmd::AuthType::Jwt)]
    pub auth_type: crate::lease_cmd::AuthType,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct DseqArgs {
    /// Deployment sequence.
    #[arg(long)]
    pub dseq: u64,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct GroupArgs {
    /// Deployment sequence.
    #[arg(long)]
    pub dseq: u64,
    /// Group sequence (1-based).
    #[arg(long)]
    pub gseq: u32,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum MarketTxCmd {
    /// Provider bids.
    #[command(subcommand)]
    Bid(BidTxCmd),
    /// Leases: the tenant accepts a bid or ends a lease; the provider withdraws.
    #[command(subcommand)]
    Lease(LeaseTxCmd),
}

#[derive(Subcommand, Debug)]
pub enum BidTxCmd {
    /// Bid on an order (--from is the provider).
    #[command(
        after_help = "Example:\n  kumo tx market bid create --from provider --owner akash1… --dseq 42 \
                            --gseq 1 --oseq 1 --price 800uakt --deposit 500000uakt -y"
    )]
    Create(BidCreateArgs),
    /// Withdraw an open bid, or end the lease of an active one (--from is the provider).
    Close(BidCloseArgs),
}

#[derive(Args, Debug)]
pub struct OrderFlags {
    /// Tenant: an akash1… address or a key name.
    #[arg(long)]
    pub owner: String,
    #[arg(long)]
    pub dseq: u64,
    #[arg(long, default_value_t = 1)]
    pub gseq: u32,
    #[arg(long, default_value_t = 1)]
    pub oseq: u32,
}

#[derive(Args, Debug)]
pub struct BidCreateArgs {
    #[command(flatten)]
    pub order: OrderFlags,
    /// Price per block, e.g. 800uakt or 0.5uakt.
    #[arg(long)]
    pub price: String,
    /// Bid deposit (at least the market's bid_min_deposit, 500000uakt by default).
    #[arg(long, default_value = "500000uakt")]
    pub deposit: String,
    /// Where the deposit comes from, tried in order: balance (--from's own) and/or grant
    /// (deposit authorizations given to --from, see `kumo tx authz grant`).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "balance",
        value_name = "SOURCE"
    )]
    pub deposit_source: Vec<DepositSource>,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct BidCloseArgs {
    #[command(flatten)]
    pub order: OrderFlags,
    /// Reason code, 10000..19999 (10000 unstable, 10001 decommission, 10002 unspecified,
    /// 10003 manifest timeout).
    #[arg(long, default_value_t = 10002)]
    pub reason: i32,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum LeaseTxCmd {
    /// Accept a provider's bid (--from is the tenant).
    Create(LeaseTenantArgs),
    /// End a lease (--from is the tenant); a new order opens if the group is still open.
    Close(LeaseTenantArgs),
    /// Collect what a lease earned so far (--from is the provider).
    Withdraw(LeaseProviderArgs),
}

#[derive(Args, Debug)]
pub struct LeaseTenantArgs {
    /// Provider: an akash1… address or a key name.
    #[arg(long)]
    pub provider: String,
    #[arg(long)]
    pub dseq: u64,
    #[arg(long, default_value_t = 1)]
    pub gseq: u32,
    #[arg(long, default_value_t = 1)]
    pub oseq: u32,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct LeaseProviderArgs {
    #[command(flatten)]
    pub order: OrderFlags,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum EscrowTxCmd {
    /// Same as `kumo tx market lease withdraw`.
    Withdraw(LeaseProviderArgs),
}

fn key_address(g: &Globals, flags: &TxFlags, from: &str) -> Result<String> {
    let kr = flags.keyring.open(&g.home)?;
    let info = kr
        .show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    Ok(info.address.to_string())
}

fn one_coin(s: &str, what: &str) -> Result<ProtoCoin> {
    let mut coins = parse_coins(s)?;
    if coins.len() != 1 {
        bail!("{what} must be one coin such as 500000uakt, got {s:?}");
    }
    Ok(coins.remove(0))
}

/// A per-block price such as `800uakt` or `0.25uakt` as a DecCoin (LegacyDec atomics).
pub fn parse_price(s: &str) -> Result<DecCoin> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .with_context(|| format!("price {s:?} has no denom; write e.g. 800uakt"))?;
    let (num, denom) = s.split_at(split);
    let d: Dec = num
        .parse()
        .map_err(|e| anyhow::anyhow!("price {s:?}: {e}"))?;
    kumo_client::coins::validate_denom(denom).map_err(|e| anyhow::anyhow!("price {s:?}: {e}"))?;
    Ok(DecCoin {
        denom: denom.to_string(),
        amount: d.atomics().to_string(),
    })
}

/// Where an escrow deposit comes from: the signer's balance, or the deposit authorizations
/// (authz grants) others gave the signer.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositSource {
    Balance,
    Grant,
}

/// A deposit of `c` drawn from `sources` in the order given (duplicates dropped).
fn deposit_from(c: ProtoCoin, sources: &[DepositSource]) -> Deposit {
    let mut order: Vec<i32> = Vec::new();
    for s in sources {
        let s = match s {
            DepositSource::Balance => Source::Balance,
            DepositSource::Grant => Source::Grant,
        } as i32;
        if !order.contains(&s) {
            order.push(s);
        }
    }
    Deposit {
        amount: Some(c),
        sources: order,
    }
}

pub fn tx_deployment(g: &Globals, c: DeploymentTxCmd) -> Result<()> {
    let gid = |owner: String, dseq, gseq| Some(dv1::GroupId { owner, dseq, gseq });
    match c {
        DeploymentTxCmd::Create(a) => {
            let sdl = kumo_sdl::parse_file(&a.file).map_err(|e| anyhow::anyhow!("{e}"))?;
            let owner = key_address(g, &a.tx, &a.tx.from)?;
            let dseq = match a.dseq {
                Some(0) => bail!("--dseq must be greater than 0"),
                Some(d) => d,
                None => kumo_client::RpcClient::new(&a.tx.node)
                    .status()
                    .context("cannot read the latest height for the dseq; pass --dseq")?
                    .latest_height
                    .max(1),
            };
            if g.output == Output::Text {
                println!(
                    "deployment {owner}/{dseq}: {} group(s), manifest version {}",
                    sdl.groups.len(),
                    hex::encode(sdl.manifest_version)
                );
            }
            let msg = dv1b4::MsgCreateDeployment {
                id: Some(dv1::DeploymentId { owner, dseq }),
                groups: sdl.groups,
                hash: sdl.manifest_version.to_vec(),
                deposit: Some(deposit_from(
                    one_coin(&a.deposit, "--deposit")?,
                    &a.deposit_source,
                )),
                reclamation: None,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        DeploymentTxCmd::Deposit(a) => {
            let owner = key_address(g, &a.tx, &a.tx.from)?;
            let msg = MsgAccountDeposit {
                signer: owner.clone(),
                id: Some(escrow_id::Account {
                    scope: escrow_id::Scope::Deployment as i32,
                    xid: format!("{owner}/{}", a.dseq),
                }),
                deposit: Some(deposit_from(
                    one_coin(&a.amount, "AMOUNT")?,
                    &a.deposit_source,
                )),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        DeploymentTxCmd::Update(a) => {
            let path = std::path::Path::new(&a.hash);
            if path.is_file() {
                return crate::lease_cmd::update_from_sdl(
                    g,
                    &a.tx.from,
                    a.dseq,
                    path,
                    a.auth_type,
                    &a.tx,
                );
            }
            if a.hash.ends_with(".yaml") || a.hash.ends_with(".yml") {
                bail!("SDL file {} not found", a.hash);
            }
            let hash = hex::decode(&a.hash)
                .ok()
                .filter(|h| h.len() == 32)
                .with_context(|| {
                    format!(
                        "SDL_OR_HASH must be an SDL file or 64 hex digits (SHA-256), got {:?}",
                        a.hash
                    )
                })?;
            let owner = key_address(g, &a.tx, &a.tx.from)?;
            let msg = dv1b4::MsgUpdateDeployment {
                id: Some(dv1::DeploymentId {
                    owner,
                    dseq: a.dseq,
                }),
                hash,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        DeploymentTxCmd::Close(a) => {
            let owner = key_address(g, &a.tx, &a.tx.from)?;
            let msg = dv1b4::MsgCloseDeployment {
                id: Some(dv1::DeploymentId {
                    owner,
                    dseq: a.dseq,
                }),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        DeploymentTxCmd::CloseGroup(a) => {
            let owner = key_address(g, &a.tx, &a.tx.from)?;
            let msg = dv1b4::MsgCloseGroup {
                id: gid(owner, a.dseq, a.gseq),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        DeploymentTxCmd::PauseGroup(a) => {
            let owner = key_address(g, &a.tx, &a.tx.from)?;
            let msg = dv1b4::MsgPauseGroup {
                id: gid(owner, a.dseq, a.gseq),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        DeploymentTxCmd::StartGroup(a) => {
            let owner = key_address(g, &a.tx, &a.tx.from)?;
            let msg = dv1b4::MsgStartGroup {
                id: gid(owner, a.dseq, a.gseq),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
    }
}

fn provider_bid_id(g: &Globals, flags: &TxFlags, from: &str, o: &OrderFlags) -> Result<mv1::BidId> {
    Ok(mv1::BidId {
        owner: resolve_address(&o.owner, &flags.keyring, &g.home)?,
        dseq: o.dseq,
        gseq: o.gseq,
        oseq: o.oseq,
        provider: key_address(g, flags, from)?,
        bseq: 0,
    })
}

fn withdraw(g: &Globals, a: LeaseProviderArgs) -> Result<()> {
    let b = provider_bid_id(g, &a.tx, &a.tx.from, &a.order)?;
    let msg = mv1b5::MsgWithdrawLease {
        id: Some(mv1::LeaseId {
            owner: b.owner,
            dseq: b.dseq,
            gseq: b.gseq,
            oseq: b.oseq,
            provider: b.provider,
            bseq: 0,
        }),
    };
    execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
}

pub fn tx_market(g: &Globals, c: MarketTxCmd) -> Result<()> {
    match c {
        MarketTxCmd::Bid(BidTxCmd::Create(a)) => {
            let msg = mv1b5::MsgCreateBid {
                id: Some(provider_bid_id(g, &a.tx, &a.tx.from, &a.order)?),
                price: Some(parse_price(&a.price)?),
                deposit: Some(deposit_from(
                    one_coin(&a.deposit, "--deposit")?,
                    &a.deposit_source,
                )),
                resources_offer: vec![],
                reclamation_window: None,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        MarketTxCmd::Bid(BidTxCmd::Close(a)) => {
            if !(10000..20000).contains(&a.reason) {
                bail!(
                    "--reason must be a provider reason in 10000..19999, got {}",
                    a.reason
                );
            }
            let msg = mv1b5::MsgCloseBid {
                id: Some(provider_bid_id(g, &a.tx, &a.tx.from, &a.order)?),
                reason: a.reason,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        MarketTxCmd::Lease(LeaseTxCmd::Create(a)) => {
            let msg = mv1b5::MsgCreateLease {
                bid_id: Some(mv1::BidId {
                    owner: key_address(g, &a.tx, &a.tx.from)?,
                    dseq: a.dseq,
                    gseq: a.gseq,
                    oseq: a.oseq,
                    provider: resolve_address(&a.provider, &a.tx.keyring, &g.home)?,
                    bseq: 0,
                }),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        MarketTxCmd::Lease(LeaseTxCmd::Close(a)) => {
            let msg = mv1b5::MsgCloseLease {
                id: Some(mv1::LeaseId {
                    owner: key_address(g, &a.tx, &a.tx.from)?,
                    dseq: a.dseq,
                    gseq: a.gseq,
                    oseq: a.oseq,
                    provider: resolve_address(&a.provider, &a.tx.keyring, &g.home)?,
                    bseq: 0,
                }),
                reason: mv1::LeaseClosedReason::LeaseClosedOwner as i32,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        MarketTxCmd::Lease(LeaseTxCmd::Withdraw(a)) => withdraw(g, a),
    }
}

pub fn tx_escrow(g: &Globals, c: EscrowTxCmd) -> Result<()> {
    match c {
        EscrowTxCmd::Withdraw(a) => withdraw(g, a),
    }
}

/// A one-line description of a deployment/market/escrow msg for the tx summary.
pub fn describe(any: &cosmos_sdk_proto::Any) -> Option<(String, Value)> {
    use prost::Message;
    macro_rules! try_as {
        ($t:ty, $f:expr) => {
            if any.type_url == <$t as prost::Name>::type_url() {
                let m = <$t>::decode(any.value.as_slice()).ok()?;
                let mut j = message_json(&m);
                j["@type"] = json!(any.type_url);
                #[allow(clippy::redundant_closure_call)]
                return Some(($f(&m), j));
            }
        };
    }
    try_as!(mv1b5::MsgCreateBid, |m: &mv1b5::MsgCreateBid| format!(
        "bid {} per block on order {}",
        dec_coin_text(&m.price),
        m.id.as_ref().map_or(String::new(), |i| format!(
            "{}/{}/{}/{}",
            i.owner, i.dseq, i.gseq, i.oseq
        ))
    ));
    try_as!(MsgAccountDeposit, |m: &MsgAccountDeposit| format!(
        "deposit {} into escrow account {}",
        m.deposit
            .as_ref()
            .and_then(|d| d.amount.as_ref())
            .map_or(String::new(), |c| format!("{}{}", c.amount, c.denom)),
        m.id.as_ref().map_or("", |i| i.xid.as_str())
    ));
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_to_legacy_dec_atomics() {
        let p = parse_price("800uakt").unwrap();
        assert_eq!(p.denom, "uakt");
        assert_eq!(p.amount, "800000000000000000000");
        assert_eq!(
            parse_price("0.25uakt").unwrap().amount,
            "250000000000000000"
        );
        assert!(parse_price("800").is_err());
        assert!(parse_price("uakt").is_err());
    }
}
