//! `kumo query` and `kumo status`: read chain state from a node over its CometBFT JSON-RPC
//! endpoint (the same `abci_query` / `tx_search` / `block` calls cosmjs makes).

use std::path::Path;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgMultiSend, MsgSend};
use cosmos_sdk_proto::Any;
use kumo_client::coins::{format_coins, validate_denom};
use kumo_client::{tx, RpcClient, DEFAULT_NODE};
use prost::Message;
use serde_json::{json, Value};

use crate::keys_cmd::KeyringArgs;
use crate::{Globals, Output};

#[derive(Subcommand, Debug)]
#[command(
    after_help = "Addresses may be given as akash1… or as the name of a key in the keyring.\n\
                        Examples:\n  kumo query bank balances alice --keyring-backend test\n  \
                        kumo query tx 739C73D4…\n  kumo query block 5 -o json"
)]
pub enum QueryCmd {
    /// Bank module: balances and total supply.
    #[command(subcommand)]
    Bank(BankQueryCmd),
    /// Auth module: accounts (account number, sequence, public key).
    #[command(subcommand)]
    Auth(AuthQueryCmd),
    /// Escrow module: deployment/bid accounts and lease payments.
    #[command(subcommand)]
    Escrow(crate::escrow_query::EscrowQueryCmd),
    /// Take module: the fee share of provider withdrawals.
    #[command(subcommand)]
    Take(crate::escrow_query::TakeQueryCmd),
    /// Provider module: registered providers.
    #[command(subcommand)]
    Provider(crate::provider_cmd::ProviderQueryCmd),
    /// Audit module: attributes auditors signed for providers.
    #[command(subcommand)]
    Audit(crate::provider_cmd::AuditQueryCmd),
    /// Cert module: published mTLS certificates.
    #[command(subcommand)]
    Cert(crate::cert_cmd::CertQueryCmd),
    /// Show an included transaction and its result by hash.
    Tx(TxQueryArgs),
    /// Show a block header and its transaction hashes (the latest block without HEIGHT).
    Block(BlockArgs),
    /// Deployment module: deployments, their groups and escrow accounts.
    #[command(subcommand)]
    Deployment(crate::market_cmd::DeploymentQueryCmd),
    /// Market module: orders, bids and leases.
    #[command(subcommand)]
    Market(crate::market_cmd::MarketQueryCmd),
    /// Staking: validators, delegations, unbondings, redelegations, pool, params.
    #[command(subcommand)]
    Staking(crate::staking_cmd::StakingQueryCmd),
    /// Distribution: rewards, commission, community pool, params.
    #[command(subcommand)]
    Distribution(crate::distribution_cmd::DistributionQueryCmd),
    /// Mint: inflation, annual provisions, params.
    #[command(subcommand)]
    Mint(crate::mint_cmd::MintQueryCmd),
    /// Slashing: params and validators' liveness records.
    #[command(subcommand)]
    Slashing(crate::slashing_cmd::SlashingQueryCmd),
    /// Governance: proposals, tallies, params.
    #[command(subcommand)]
    Gov(crate::gov_cmd::GovQueryCmd),
    /// The economy at a glance: supply, inflation or staking; network figures from a stats server.
    #[command(subcommand)]
    Stats(crate::stats_cmd::StatsQueryCmd),
    /// Authz: grants by granter and/or grantee.
    #[command(subcommand)]
    Authz(crate::authz_cmd::AuthzQueryCmd),
    /// Fee grants: the allowance between two accounts, or all by grantee or by granter.
    #[command(subcommand)]
    Feegrant(crate::feegrant_cmd::FeegrantQueryCmd),
}

#[derive(Subcommand, Debug)]
pub enum BankQueryCmd {
    /// Balances of an account (all denoms, or one with --denom).
    Balances(BalancesArgs),
    /// Total supply of every denom (or one with --denom).
    Total(TotalArgs),
    /// Bank parameters (which denoms may be sent).
    Params(crate::params_cmd::ParamsQueryArgs),
}

#[derive(Subcommand, Debug)]
pub enum AuthQueryCmd {
    /// An account's number, sequence and public key.
    Account(AccountArgs),
    /// Auth parameters (memo and signature limits, signature gas costs).
    Params(crate::params_cmd::ParamsQueryArgs),
}

/// Where to query and at which height.
#[derive(Args, Debug, Clone)]
pub struct QueryFlags {
    /// CometBFT RPC endpoint of the node.
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
    /// Read state as of this block height (default: the latest committed block).
    #[arg(long, value_name = "HEIGHT")]
    pub height: Option<u64>,
}

impl QueryFlags {
    pub(crate) fn client(&self) -> RpcClient {
        RpcClient::new(&self.node).at_height(self.height)
    }
}

#[derive(Args, Debug)]
pub struct BalancesArgs {
    /// Account: an akash1… address or a key name in the keyring.
    pub address: String,
    /// Only this denom (prints 0 when the account holds none).
    #[arg(long, value_parser = denom_arg)]
    pub denom: Option<String>,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct TotalArgs {
    /// Only this denom.
    #[arg(long, value_parser = denom_arg)]
    pub denom: Option<String>,
    #[command(flatten)]
    pub query: QueryFlags,
}

#[derive(Args, Debug)]
pub struct AccountArgs {
    /// Account: an akash1… address or a key name in the keyring.
    pub address: String,
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct TxQueryArgs {
    /// Transaction hash: 64 hex digits (as printed by `kumo tx …`).
    #[arg(value_parser = hash_arg)]
    pub hash: String,
    /// CometBFT RPC endpoint of the node.
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
}

#[derive(Args, Debug)]
pub struct BlockArgs {
    /// Block height (default: the latest block).
    #[arg(value_name = "HEIGHT")]
    pub block_height: Option<u64>,
    /// Same as the HEIGHT argument.
    #[arg(long, value_name = "HEIGHT", conflicts_with = "block_height")]
    pub height: Option<u64>,
    /// CometBFT RPC endpoint of the node.
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// CometBFT RPC endpoint of the node.
    #[arg(long, env = "KUMO_NODE", default_value = DEFAULT_NODE, value_name = "URL")]
    pub node: String,
}

fn denom_arg(s: &str) -> std::result::Result<String, String> {
    validate_denom(s).map(|_| s.to_string())
}

fn hash_arg(s: &str) -> std::result::Result<String, String> {
    kumo_client::rpc::normalize_hash(s).map_err(|e| e.to_string())
}

pub fn run(g: &Globals, c: QueryCmd) -> Result<()> {
    match c {
        QueryCmd::Bank(BankQueryCmd::Balances(a)) => balances(g, a),
        QueryCmd::Bank(BankQueryCmd::Total(a)) => total(g, a),
        QueryCmd::Bank(BankQueryCmd::Params(a)) => crate::params_cmd::query_bank(g, &a),
        QueryCmd::Auth(AuthQueryCmd::Account(a)) => account(g, a),
        QueryCmd::Auth(AuthQueryCmd::Params(a)) => crate::params_cmd::query_auth(g, &a),
        QueryCmd::Escrow(c) => crate::escrow_query::run_escrow(g, c),
        QueryCmd::Staking(c) => crate::staking_cmd::run_staking_query(g, c),
        QueryCmd::Distribution(c) => crate::distribution_cmd::run_distribution_query(g, c),
        QueryCmd::Mint(c) => crate::mint_cmd::run_mint_query(g, c),
        QueryCmd::Slashing(c) => crate::slashing_cmd::run_slashing_query(g, c),
        QueryCmd::Stats(c) => crate::stats_cmd::query(g, c),
        QueryCmd::Gov(c) => crate::gov_cmd::run_gov_query(g, c),
        QueryCmd::Authz(c) => crate::authz_cmd::run_query(g, c),
        QueryCmd::Feegrant(c) => crate::feegrant_cmd::run_query(g, c),
        QueryCmd::Take(c) => crate::escrow_query::run_take(g, c),
        QueryCmd::Provider(c) => crate::provider_cmd::run_provider_query(g, c),
        QueryCmd::Audit(c) => crate::provider_cmd::run_audit_query(g, c),
        QueryCmd::Cert(c) => crate::cert_cmd::run_query(g, c),
        QueryCmd::Tx(a) => query_tx(g, a),
        QueryCmd::Block(a) => block(g, a),
        QueryCmd::Deployment(c) => crate::market_cmd::query_deployment(g, c),
        QueryCmd::Market(c) => crate::market_cmd::query_market(g, c),
    }
}

pub fn status(g: &Globals, a: StatusArgs) -> Result<()> {
    let s = RpcClient::new(&a.node).status()?;
    match g.output {
        Output::Json => print_json(&serde_json::to_value(&s)?),
        Output::Text => {
            println!("chain id:     {}", s.chain_id);
            println!("height:       {}", s.latest_height);
            println!("block hash:   {}", s.latest_block_hash);
            println!("app hash:     {}", s.latest_app_hash);
            println!("block time:   {}", s.latest_block_time);
            println!("node version: {} (moniker {})", s.node_version, s.moniker);
            println!("catching up:  {}", s.catching_up);
        }
    }
    Ok(())
}

/// An `akash1…` address as given, or the address of the key with that name in the keyring
/// (reading an address needs no passphrase).
pub(crate) fn resolve_address(input: &str, keyring: &KeyringArgs, home: &Path) -> Result<String> {
    let addr_err = match input.parse::<kumo_crypto::Address>() {
        Ok(a) => return Ok(a.to_string()),
        Err(e) => e,
    };
    let kr = keyring.open(home)?;
    match kr.show(input) {
        Ok(info) => Ok(info.address.to_string()),
        Err(
            kumo_crypto::KeyringError::NotFound { .. } | kumo_crypto::KeyringError::InvalidName(_),
        ) => {
            if input.starts_with("akash") {
                bail!("invalid address {input:?}: {addr_err}")
            }
            bail!(
                "{input:?} is neither an akash1… address nor a key in the {} keyring at {} \
                 (list keys with `kumo keys list --keyring-backend {}`)",
                kr.backend(),
                kr.dir().display(),
                kr.backend()
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot read key {input:?}")),
    }
}

/// Pretty JSON on stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print_json(v: &Value) {
    use std::io::Write;
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

fn coin_json(denom: &str, amount: u128) -> Value {
    json!({"denom": denom, "amount": amount.to_string()})
}

fn balances(g: &Globals, a: BalancesArgs) -> Result<()> {
    let addr = resolve_address(&a.address, &a.keyring, &g.home)?;
    let client = a.query.client();
    if let Some(denom) = &a.denom {
        let amount = client.balance(&addr, denom)?;
        match g.output {
            Output::Json => print_json(&coin_json(denom, amount)),
            Output::Text => println!("{amount} {denom}"),
        }
        return Ok(());
    }
    let all = client.all_balances(&addr)?;
    match g.output {
        Output::Json => print_json(&json!({
            "address": addr,
            "balances": all.iter().map(|(d, n)| coin_json(d, *n)).collect::<Vec<_>>(),
        })),
        Output::Text if all.is_empty() => println!("{addr} holds no tokens"),
        Output::Text => {
            for (denom, amount) in all {
                println!("{amount} {denom}");
            }
        }
    }
    Ok(())
}

fn total(g: &Globals, a: TotalArgs) -> Result<()> {
    let client = a.query.client();
    if let Some(denom) = &a.denom {
        let amount = client.supply_of(denom)?;
        match g.output {
            Output::Json => print_json(&coin_json(denom, amount)),
            Output::Text => println!("{amount} {denom}"),
        }
        return Ok(());
    }
    let supply = client.total_supply()?;
    match g.output {
        Output::Json => print_json(&json!({
            "supply": supply.iter().map(|(d, n)| coin_json(d, *n)).collect::<Vec<_>>(),
        })),
        Output::Text => {
            for (denom, amount) in supply {
                println!("{amount} {denom}");
            }
        }
    }
    Ok(())
}

fn account(g: &Globals, a: AccountArgs) -> Result<()> {
    let addr = resolve_address(&a.address, &a.keyring, &g.home)?;
    let acct = a.query.client().account(&addr)?.ok_or_else(|| {
        anyhow::anyhow!(
            "account {addr} not found on chain: an account exists once it has received tokens"
        )
    })?;
    // The SDK's JSON for the key; a multisig key lists its threshold and members.
    let pub_key_json = acct.pubkey.as_ref().map(|p| {
        match cosmos_sdk_proto::cosmos::crypto::multisig::LegacyAminoPubKey::decode(
            p.key.as_slice(),
        ) {
            Ok(m) if p.type_url == "/cosmos.crypto.multisig.LegacyAminoPubKey" => json!({
                "@type": p.type_url,
                "threshold": m.threshold,
                "public_keys": m.public_keys.iter().map(|k| {
                    let key = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(
                        k.value.as_slice(),
                    )
                    .map(|k| B64.encode(k.key))
                    .unwrap_or_else(|_| B64.encode(&k.value));
                    json!({"@type": k.type_url, "key": key})
                }).collect::<Vec<_>>(),
            }),
            _ => json!({"@type": p.type_url, "key": B64.encode(&p.key)}),
        }
    });
    let pubkey = pub_key_json.as_ref().map(|j| {
        let t = j["@type"].as_str().unwrap_or_default().to_string();
        match (j.get("threshold"), j.get("public_keys")) {
            (Some(th), Some(keys)) => (
                t,
                format!(
                    "multisig {th} of {}",
                    keys.as_array().map_or(0, |k| k.len())
                ),
            ),
            _ => (t, j["key"].as_str().unwrap_or_default().to_string()),
        }
    });
    match g.output {
        Output::Json => print_json(&json!({
            "type": acct.type_url,
            "address": acct.address,
            "account_number": acct.account_number.to_string(),
            "sequence": acct.sequence.to_string(),
            "pub_key": pub_key_json,
        })),
        Output::Text => {
            println!("address:        {}", acct.address);
            println!("type:           {}", acct.type_url);
            println!("account number: {}", acct.account_number);
            println!("sequence:       {}", acct.sequence);
            match pubkey {
                Some((t, k)) => println!("public key:     {k} ({t})"),
                None => println!("public key:     none (set by the account's first transaction)"),
            }
        }
    }
    Ok(())
}

/// One line and a JSON object describing a message, decoding the ones the CLI sends.
pub(crate) fn describe_msg(any: &Any) -> (String, Value) {
    if let Some(d) = crate::market_cmd::describe(any) {
        return d;
    }
    match any.type_url.as_str() {
        "/cosmos.bank.v1beta1.MsgSend" => {
            if let Ok(m) = MsgSend::decode(any.value.as_slice()) {
                return (
                    format!(
                        "send {} from {} to {}",
                        format_coins(&m.amount),
                        m.from_address,
                        m.to_address
                    ),
                    json!({"@type": any.type_url, "from_address": m.from_address,
                           "to_address": m.to_address, "amount": coins_json(&m.amount)}),
                );
            }
        }
        "/cosmos.bank.v1beta1.MsgMultiSend" => {
            if let Ok(m) = MsgMultiSend::decode(any.value.as_slice()) {
                let ins: Vec<String> = m
                    .inputs
                    .iter()
                    .map(|i| format!("{} from {}", format_coins(&i.coins), i.address))
                    .collect();
                let outs: Vec<String> = m
                    .outputs
                    .iter()
                    .map(|o| format!("{} to {}", format_coins(&o.coins), o.address))
                    .collect();
                return (
                    format!("multi-send {}; {}", ins.join(", "), outs.join(", ")),
                    json!({"@type": any.type_url,
                        "inputs": m.inputs.iter().map(|i| json!({"address": i.address, "coins": coins_json(&i.coins)})).collect::<Vec<_>>(),
                        "outputs": m.outputs.iter().map(|o| json!({"address": o.address, "coins": coins_json(&o.coins)})).collect::<Vec<_>>()}),
                );
            }
        }
        _ => {}
    }
    (
        format!("{} ({} bytes)", any.type_url, any.value.len()),
        json!({"@type": any.type_url, "value": B64.encode(&any.value)}),
    )
}

fn coins_json(coins: &[kumo_client::Coin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}

fn query_tx(g: &Globals, a: TxQueryArgs) -> Result<()> {
    let client = RpcClient::new(&a.node);
    let info = client.tx(&a.hash)?.ok_or_else(|| {
        anyhow::anyhow!(
            "transaction {} not found: it is not in a block (yet), or was rejected before \
             inclusion; a tx accepted by broadcast is usually included within a few seconds",
            a.hash
        )
    })?;
    let decoded = tx::decode_tx(&info.tx).ok();
    match g.output {
        Output::Json => {
            let mut v = json!({
                "txhash": info.hash,
                "height": info.height.to_string(),
                "index": info.index,
                "code": info.code,
                "codespace": info.codespace,
                "raw_log": info.log,
                "gas_wanted": info.gas_wanted.to_string(),
                "gas_used": info.gas_used.to_string(),
                "events": serde_json::to_value(&info.events)?,
            });
            if let Some(d) = &decoded {
                let fee = d.auth_info.fee.clone().unwrap_or_default();
                v["tx"] = json!({
                    "messages": d.body.messages.iter().map(|m| describe_msg(m).1).collect::<Vec<_>>(),
                    "memo": d.body.memo,
                    "fee": {"amount": coins_json(&fee.amount), "gas_limit": fee.gas_limit.to_string()},
                    "signer_sequences": d.auth_info.signer_infos.iter().map(|s| s.sequence.to_string()).collect::<Vec<_>>(),
                });
            }
            print_json(&v);
        }
        Output::Text => {
            println!("txhash:   {}", info.hash);
            println!("height:   {} (index {})", info.height, info.index);
            if info.code == 0 {
                println!("result:   success");
            } else {
                println!(
                    "result:   failed with code {} (codespace {}): {}",
                    info.code, info.codespace, info.log
                );
            }
            println!(
                "gas:      {} used of {} wanted",
                info.gas_used, info.gas_wanted
            );
            if let Some(d) = &decoded {
                let fee = d.auth_info.fee.clone().unwrap_or_default();
                println!("fee:      {}", display_coins(&fee.amount));
                if !d.body.memo.is_empty() {
                    println!("memo:     {}", d.body.memo);
                }
                for (i, m) in d.body.messages.iter().enumerate() {
                    println!("msg {i}:    {}", describe_msg(m).0);
                }
            }
            for e in &info.events {
                let attrs: Vec<String> = e
                    .attributes
                    .iter()
                    .map(|a| format!("{}={}", a.key, a.value))
                    .collect();
                println!("event:    {} {}", e.kind, attrs.join(" "));
            }
        }
    }
    Ok(())
}

pub(crate) fn display_coins(coins: &[kumo_client::Coin]) -> String {
    if coins.is_empty() {
        "none".to_string()
    } else {
        format_coins(coins)
    }
}

fn block(g: &Globals, a: BlockArgs) -> Result<()> {
    let height = a.block_height.or(a.height);
    let b = RpcClient::new(&a.node).block(height)?;
    let hashes = b.tx_hashes();
    match g.output {
        Output::Json => print_json(&json!({
            "hash": b.hash,
            "height": b.height.to_string(),
            "chain_id": b.chain_id,
            "time": b.time,
            "app_hash": b.app_hash,
            "proposer_address": b.proposer_address,
            "txs": hashes,
        })),
        Output::Text => {
            println!("height:   {}", b.height);
            println!("hash:     {}", b.hash);
            println!("time:     {}", b.time);
            println!("chain id: {}", b.chain_id);
            println!("app hash: {}", b.app_hash);
            println!("proposer: {}", b.proposer_address);
            println!("txs:      {}", hashes.len());
            for h in hashes {
                println!("  {h}");
            }
        }
    }
    Ok(())
}
