//! The token economy on the command line: `kumo tx staking|distribution|slashing …`,
//! `kumo query staking|distribution|mint|slashing …` and `kumo query stats
//! supply|inflation|staking`. Queries print SDK-style JSON (LegacyDec values as decimals).

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::{Coin as ProtoCoin, DecCoin};
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr;
use cosmos_sdk_proto::cosmos::mint::v1beta1 as mint;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
use kumo_client::tx::to_any;
use kumo_client::{parse_coins, RpcClient};
use kumo_crypto::{Address, ACCOUNT_HRP};
use serde_json::{json, Value};
use std::path::Path;

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::tx_cmd::{execute, TxFlags};
use crate::{Globals, Output};

const VALOPER_HRP: &str = "akashvaloper";
const DEC_ONE: u128 = 1_000_000_000_000_000_000;

// ---- tx ---------------------------------------------------------------------------------

#[derive(Subcommand, Debug)]
pub enum StakingTxCmd {
    /// Delegate tokens to a validator.
    #[command(
        after_help = "Example:\n  kumo tx staking delegate alice akashvaloper1… 5000000uakt -y"
    )]
    Delegate(DelegateArgs),
    /// Undelegate tokens; they arrive after the unbonding period (14 days by default).
    Unbond(DelegateArgs),
    /// Move a delegation to another validator without unbonding.
    Redelegate(RedelegateArgs),
    /// Cancel (part of) an unbonding started at CREATION_HEIGHT; the tokens bond again.
    CancelUnbond(CancelArgs),
    /// Make FROM's account a validator operator, bonding AMOUNT as its self delegation. The
    /// consensus key is the node's (`--home`'s config/priv_validator_key.json) unless --pubkey.
    #[command(after_help = "Example:\n  \
        kumo tx staking create-validator alice 100000000uakt --moniker alice-node \
        --commission-rate 0.10 --commission-max-rate 0.20 --commission-max-change-rate 0.01 -y")]
    CreateValidator(CreateValidatorArgs),
    /// Change a validator's description, commission rate or minimum self delegation.
    #[command(after_help = "Example:\n  \
        kumo tx staking edit-validator alice --commission-rate 0.12 --website https://example.org -y")]
    EditValidator(EditValidatorArgs),
}

/// The validator's public description (each field at most as long as the SDK allows).
#[derive(Args, Debug)]
pub struct DescriptionArgs {
    #[arg(long)]
    pub moniker: Option<String>,
    #[arg(long)]
    pub identity: Option<String>,
    #[arg(long)]
    pub website: Option<String>,
    #[arg(long)]
    pub security_contact: Option<String>,
    #[arg(long)]
    pub details: Option<String>,
}

#[derive(Args, Debug)]
pub struct CreateValidatorArgs {
    /// Operator key in the keyring (its account pays the self delegation).
    pub from: String,
    /// Self delegation in the bond denom, e.g. 100000000uakt.
    pub amount: String,
    #[command(flatten)]
    pub validator: NewValidatorArgs,
    /// Consensus public key: base64 of the 32-byte ed25519 key (default: the node's key).
    #[arg(long)]
    pub pubkey: Option<String>,
    #[command(flatten)]
    pub tx: TxFlags,
}

/// A new validator's description and commission (`create-validator`, `genesis gentx`).
#[derive(Args, Debug)]
pub struct NewValidatorArgs {
    #[command(flatten)]
    pub description: DescriptionArgs,
    /// Commission rate as a decimal fraction (0.05 = 5 %; the chain's minimum is 5 %).
    #[arg(long, default_value = "0.10")]
    pub commission_rate: String,
    /// Highest commission rate the validator may ever set.
    #[arg(long, default_value = "0.20")]
    pub commission_max_rate: String,
    /// Most the commission rate may change in one day.
    #[arg(long, default_value = "0.01")]
    pub commission_max_change_rate: String,
    /// Smallest self delegation (in the bond denom's base unit) the validator keeps.
    #[arg(long, default_value = "1")]
    pub min_self_delegation: String,
}

/// The `MsgCreateValidator` making `operator`'s account a validator that signs blocks with the
/// ed25519 `pubkey` and bonds `amount` of its own.
pub(crate) fn create_validator_msg(
    operator: &Address,
    pubkey: [u8; 32],
    amount: ProtoCoin,
    v: NewValidatorArgs,
) -> Result<staking::MsgCreateValidator> {
    if v.description.moniker.as_deref().unwrap_or("").is_empty() {
        bail!("a new validator needs a --moniker");
    }
    let pubkey = cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey {
        key: pubkey.to_vec(),
    };
    // `delegator_address` is deprecated and left empty, as the SDK's own CLI does.
    #[allow(deprecated)]
    Ok(staking::MsgCreateValidator {
        description: Some(description(v.description, None)),
        commission: Some(staking::CommissionRates {
            rate: dec_atomics(&v.commission_rate, "--commission-rate")?,
            max_rate: dec_atomics(&v.commission_max_rate, "--commission-max-rate")?,
            max_change_rate: dec_atomics(
                &v.commission_max_change_rate,
                "--commission-max-change-rate",
            )?,
        }),
        min_self_delegation: v.min_self_delegation,
        delegator_address: String::new(),
        validator_address: operator.to_bech32(VALOPER_HRP),
        pubkey: Some(to_any(&pubkey)),
        value: Some(amount),
    })
}

#[derive(Args, Debug)]
pub struct EditValidatorArgs {
    /// Operator key in the keyring.
    pub from: String,
    #[command(flatten)]
    pub description: DescriptionArgs,
    /// New commission rate (decimal fraction); at most max change rate away from the current.
    #[arg(long)]
    pub commission_rate: Option<String>,
    /// New minimum self delegation (may only grow).
    #[arg(long)]
    pub min_self_delegation: Option<String>,
    #[command(flatten)]
    pub tx: TxFlags,
}

/// A decimal fraction such as 0.10 as LegacyDec atomics (the binary wire form).
fn dec_atomics(s: &str, what: &str) -> Result<String> {
    let d: kumo_proto::math::Dec = s
        .parse()
        .map_err(|e| anyhow::anyhow!("{what} {s:?} is not a decimal such as 0.10: {e}"))?;
    Ok(d.atomics().to_string())
}

/// Fields left out stay as they are in an edit: the SDK's "[do-not-modify]".
fn description(d: DescriptionArgs, keep: Option<&str>) -> staking::Description {
    let field = |v: Option<String>| v.or_else(|| keep.map(str::to_string)).unwrap_or_default();
    staking::Description {
        moniker: field(d.moniker),
        identity: field(d.identity),
        website: field(d.website),
        security_contact: field(d.security_contact),
        details: field(d.details),
    }
}

/// The consensus key: --pubkey, or the node's priv_validator_key.json under --home.
fn consensus_pubkey(g: &Globals, given: Option<&str>) -> Result<[u8; 32]> {
    use base64::Engine;
    match given {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .context("--pubkey is not base64")?
            .try_into()
            .map_err(|v: Vec<u8>| {
                anyhow::anyhow!(
                    "--pubkey must be a 32-byte ed25519 key, got {} bytes",
                    v.len()
                )
            }),
        None => {
            let home = kumo_node::home::Home::new(&g.home);
            let path = home.validator_key_file();
            let key = kumo_node::home::Ed25519Key::load(&path).with_context(|| {
                format!(
                    "no consensus key: pass --pubkey or run this with the --home of the node \
                     (reading {})",
                    path.display()
                )
            })?;
            Ok(key.public())
        }
    }
}

#[derive(Args, Debug)]
pub struct DelegateArgs {
    /// Delegating key in the keyring.
    pub from: String,
    /// Validator: akashvaloper1… or the name of the operator's key.
    pub validator: String,
    /// Amount of the bond denom, e.g. 5000000uakt.
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct RedelegateArgs {
    pub from: String,
    /// Source validator.
    pub src: String,
    /// Destination validator.
    pub dst: String,
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct CancelArgs {
    pub from: String,
    pub validator: String,
    pub amount: String,
    pub creation_height: i64,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum DistributionTxCmd {
    /// Withdraw a delegation's rewards (and with --commission, the validator's commission).
    WithdrawRewards(WithdrawArgs),
    /// Withdraw the rewards of every delegation of the key.
    WithdrawAllRewards(FromArgs),
    /// Send future rewards to another address.
    SetWithdrawAddr(SetWithdrawArgs),
    /// Give tokens to the community pool.
    FundCommunityPool(FundArgs),
}

#[derive(Args, Debug)]
pub struct WithdrawArgs {
    pub from: String,
    pub validator: String,
    /// Also withdraw the validator's commission (FROM must be its operator).
    #[arg(long)]
    pub commission: bool,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct FromArgs {
    pub from: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct SetWithdrawArgs {
    pub from: String,
    /// akash1… address or key name.
    pub withdraw_address: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct FundArgs {
    pub from: String,
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Subcommand, Debug)]
pub enum SlashingTxCmd {
    /// Unjail the validator operated by FROM (after its jail time).
    Unjail(FromArgs),
}

fn key_address(g: &Globals, from: &str, keyring: &KeyringArgs) -> Result<Address> {
    let kr = keyring.open(&g.home)?;
    let info = kr
        .show(from)
        .with_context(|| format!("FROM must be a key name in the {} keyring", kr.backend()))?;
    Ok(info.address)
}

/// akashvaloper1… as given, or the operator address of an akash1… address or key name.
fn resolve_valoper(input: &str, keyring: &KeyringArgs, home: &Path) -> Result<String> {
    if input.starts_with("akashvaloper1") {
        Address::from_bech32(input, VALOPER_HRP)
            .with_context(|| format!("invalid validator address {input:?}"))?;
        return Ok(input.to_string());
    }
    let acc = resolve_address(input, keyring, home)?;
    let a: Address = acc.parse().context("account address")?;
    Ok(a.to_bech32(VALOPER_HRP))
}

pub(crate) fn one_coin(s: &str) -> Result<ProtoCoin> {
    let mut coins = parse_coins(s)?;
    if coins.len() != 1 {
        bail!("give one amount of the bond denom, such as 5000000uakt, not {s:?}");
    }
    Ok(coins.remove(0))
}

pub fn run_staking_tx(g: &Globals, c: StakingTxCmd) -> Result<()> {
    match c {
        StakingTxCmd::Delegate(a) => {
            let del = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = staking::MsgDelegate {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        StakingTxCmd::Unbond(a) => {
            let del = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = staking::MsgUndelegate {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        StakingTxCmd::Redelegate(a) => {
            let del = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = staking::MsgBeginRedelegate {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_src_address: resolve_valoper(&a.src, &a.tx.keyring, &g.home)?,
                validator_dst_address: resolve_valoper(&a.dst, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        StakingTxCmd::CreateValidator(a) => {
            let op = key_address(g, &a.from, &a.tx.keyring)?;
            let pubkey = consensus_pubkey(g, a.pubkey.as_deref())?;
            let msg = create_validator_msg(&op, pubkey, one_coin(&a.amount)?, a.validator)?;
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        StakingTxCmd::EditValidator(a) => {
            let op = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = staking::MsgEditValidator {
                description: Some(description(a.description, Some("[do-not-modify]"))),
                validator_address: op.to_bech32(VALOPER_HRP),
                commission_rate: a
                    .commission_rate
                    .map(|r| dec_atomics(&r, "--commission-rate"))
                    .transpose()?
                    .unwrap_or_default(),
                min_self_delegation: a.min_self_delegation.unwrap_or_default(),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        StakingTxCmd::CancelUnbond(a) => {
            let del = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = staking::MsgCancelUnbondingDelegation {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
                creation_height: a.creation_height,
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
    }
}

pub fn run_distribution_tx(g: &Globals, c: DistributionTxCmd) -> Result<()> {
    match c {
        DistributionTxCmd::WithdrawRewards(a) => {
            let del = key_address(g, &a.from, &a.tx.keyring)?;
            let val = resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?;
            let mut msgs = vec![to_any(&distr::MsgWithdrawDelegatorReward {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: val.clone(),
            })];
            if a.commission {
                msgs.push(to_any(&distr::MsgWithdrawValidatorCommission {
                    validator_address: val,
                }));
            }
            execute(g, &a.tx, &a.from, msgs)
        }
        DistributionTxCmd::WithdrawAllRewards(a) => {
            let del = key_address(g, &a.from, &a.tx.keyring)?.to_bech32(ACCOUNT_HRP);
            let r: distr::QueryDelegatorValidatorsResponse = RpcClient::new(&a.tx.node)
                .query_proto(
                    "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
                    &distr::QueryDelegatorValidatorsRequest {
                        delegator_address: del.clone(),
                    },
                )?;
            if r.validators.is_empty() {
                bail!("{del} has no delegations, so no rewards to withdraw");
            }
            let msgs = r
                .validators
                .into_iter()
                .map(|v| {
                    to_any(&distr::MsgWithdrawDelegatorReward {
                        delegator_address: del.clone(),
                        validator_address: v,
                    })
                })
                .collect();
            execute(g, &a.tx, &a.from, msgs)
        }
        DistributionTxCmd::SetWithdrawAddr(a) => {
            let del = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = distr::MsgSetWithdrawAddress {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                withdraw_address: resolve_address(&a.withdraw_address, &a.tx.keyring, &g.home)?,
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        DistributionTxCmd::FundCommunityPool(a) => {
            let from = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = distr::MsgFundCommunityPool {
                amount: parse_coins(&a.amount)?,
                depositor: from.to_bech32(ACCOUNT_HRP),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
    }
}

pub fn run_slashing_tx(g: &Globals, c: SlashingTxCmd) -> Result<()> {
    let SlashingTxCmd::Unjail(a) = c;
    let op = key_address(g, &a.from, &a.tx.keyring)?;
    let msg = slashing::MsgUnjail {
        validator_addr: op.to_bech32(VALOPER_HRP),
    };
    execute(g, &a.tx, &a.from, vec![to_any(&msg)])
}

// ---- query ------------------------------------------------------------------------------

#[derive(Args, Debug)]
pub struct Q {
    #[command(flatten)]
    pub query: QueryFlags,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(Args, Debug)]
pub struct AddrQ {
    /// akash1… / akashvaloper1… address or key name.
    pub address: String,
    #[command(flatten)]
    pub q: Q,
}

#[derive(Args, Debug)]
pub struct PairQ {
    /// Delegator: akash1… or key name.
    pub delegator: String,
    /// Validator: akashvaloper1… or the operator's key name.
    pub validator: String,
    #[command(flatten)]
    pub q: Q,
}

#[derive(Subcommand, Debug)]
pub enum StakingQueryCmd {
    /// All validators (bonded first in power order is not implied; see `status`).
    Validators(Q),
    /// One validator (akashvaloper1… or a key name).
    Validator(AddrQ),
    /// A delegator's delegations.
    Delegations(AddrQ),
    /// One delegation of a delegator to a validator.
    Delegation(PairQ),
    /// A delegator's unbonding delegations.
    UnbondingDelegations(AddrQ),
    /// A delegator's redelegations.
    Redelegations(AddrQ),
    /// Bonded and not-bonded tokens.
    Pool(Q),
    /// Staking parameters (bond denom, unbonding time, max validators…).
    Params(Q),
}

#[derive(Subcommand, Debug)]
pub enum DistributionQueryCmd {
    /// A delegator's pending rewards (all validators).
    Rewards(AddrQ),
    /// A validator's accumulated commission.
    Commission(AddrQ),
    /// A validator's outstanding (not yet withdrawn) rewards.
    OutstandingRewards(AddrQ),
    /// The community pool's balance.
    CommunityPool(Q),
    /// Distribution parameters (community tax, withdraw address rules).
    Params(Q),
}

#[derive(Subcommand, Debug)]
pub enum MintQueryCmd {
    /// Mint parameters (inflation bounds and rate of change, goal bonded, blocks per year).
    Params(Q),
    /// The current annual inflation.
    Inflation(Q),
    /// Tokens minted per year at the current inflation.
    AnnualProvisions(Q),
}

#[derive(Subcommand, Debug)]
pub enum SlashingQueryCmd {
    /// Slashing parameters (signing window, downtime and double-sign penalties).
    Params(Q),
    /// Liveness records of all validators.
    SigningInfos(Q),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsKind {
    /// Total, circulating and bonded supply.
    Supply,
    /// Annual inflation, yearly provisions and the bonded goal.
    Inflation,
    /// Staking ratio, validators, community pool.
    Staking,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    pub kind: StatsKind,
    #[command(flatten)]
    pub query: QueryFlags,
}

fn dec(atomics: &str) -> String {
    let a: u128 = atomics.parse().unwrap_or(0);
    format!("{}.{:018}", a / DEC_ONE, a % DEC_ONE)
}

fn dec_coins(v: &[DecCoin]) -> Value {
    v.iter()
        .map(|c| json!({"denom": c.denom, "amount": dec(&c.amount)}))
        .collect()
}

fn coin(c: &Option<ProtoCoin>) -> Value {
    c.as_ref().map_or(
        Value::Null,
        |c| json!({"denom": c.denom, "amount": c.amount}),
    )
}

/// A protobuf timestamp as the SDK's JSON writes it (RFC 3339, UTC).
fn time(t: &Option<cosmos_sdk_proto::Timestamp>) -> Value {
    t.as_ref().map_or(Value::Null, |t| {
        json!(kumo_node::rpc::format::rfc3339_proto(
            kumo_app::abci::BlockTime {
                seconds: t.seconds,
                nanos: t.nanos.max(0) as u32,
            }
        ))
    })
}

fn validator_json(v: &staking::Validator) -> Value {
    let rates = v
        .commission
        .as_ref()
        .and_then(|c| c.commission_rates.clone())
        .unwrap_or_default();
    let d = v.description.clone().unwrap_or_default();
    json!({
        "operator_address": v.operator_address,
        "jailed": v.jailed,
        "status": staking::BondStatus::try_from(v.status).map_or("?", |s| s.as_str_name()),
        "tokens": v.tokens,
        "delegator_shares": dec(&v.delegator_shares),
        "description": {"moniker": d.moniker, "identity": d.identity, "website": d.website,
                        "security_contact": d.security_contact, "details": d.details},
        "unbonding_height": v.unbonding_height.to_string(),
        "unbonding_time": time(&v.unbonding_time),
        "commission": {"commission_rates": {"rate": dec(&rates.rate), "max_rate": dec(&rates.max_rate),
                       "max_change_rate": dec(&rates.max_change_rate)}},
        "min_self_delegation": v.min_self_delegation,
    })
}

fn delegation_json(d: &staking::DelegationResponse) -> Value {
    let del = d.delegation.clone().unwrap_or_default();
    json!({
        "delegation": {"delegator_address": del.delegator_address,
                       "validator_address": del.validator_address, "shares": dec(&del.shares)},
        "balance": coin(&d.balance),
    })
}

fn ubd_json(u: &staking::UnbondingDelegation) -> Value {
    json!({
        "delegator_address": u.delegator_address,
        "validator_address": u.validator_address,
        "entries": u.entries.iter().map(|e| json!({
            "creation_height": e.creation_height.to_string(),
            "completion_time": time(&e.completion_time),
            "initial_balance": e.initial_balance,
            "balance": e.balance,
        })).collect::<Vec<_>>(),
    })
}

fn all() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 1000,
        count_total: true,
        ..Default::default()
    })
}

pub fn run_staking_query(g: &Globals, c: StakingQueryCmd) -> Result<()> {
    let path = |m: &str| format!("/cosmos.staking.v1beta1.Query/{m}");
    let out = match c {
        StakingQueryCmd::Validators(q) => {
            let r: staking::QueryValidatorsResponse = q.query.client().query_proto(
                &path("Validators"),
                &staking::QueryValidatorsRequest {
                    status: String::new(),
                    pagination: all(),
                },
            )?;
            json!({"validators": r.validators.iter().map(validator_json).collect::<Vec<_>>()})
        }
        StakingQueryCmd::Validator(a) => {
            let val = resolve_valoper(&a.address, &a.q.keyring, &g.home)?;
            let r: staking::QueryValidatorResponse = a.q.query.client().query_proto(
                &path("Validator"),
                &staking::QueryValidatorRequest {
                    validator_addr: val,
                },
            )?;
            r.validator.as_ref().map_or(Value::Null, validator_json)
        }
        StakingQueryCmd::Delegations(a) => {
            let del = resolve_address(&a.address, &a.q.keyring, &g.home)?;
            let r: staking::QueryDelegatorDelegationsResponse = a.q.query.client().query_proto(
                &path("DelegatorDelegations"),
                &staking::QueryDelegatorDelegationsRequest {
                    delegator_addr: del,
                    pagination: all(),
                },
            )?;
            json!({"delegation_responses": r.delegation_responses.iter().map(delegation_json).collect::<Vec<_>>()})
        }
        StakingQueryCmd::Delegation(a) => {
            let del = resolve_address(&a.delegator, &a.q.keyring, &g.home)?;
            let val = resolve_valoper(&a.validator, &a.q.keyring, &g.home)?;
            let r: staking::QueryDelegationResponse = a.q.query.client().query_proto(
                &path("Delegation"),
                &staking::QueryDelegationRequest {
                    delegator_addr: del,
                    validator_addr: val,
                },
            )?;
            r.delegation_response
                .as_ref()
                .map_or(Value::Null, delegation_json)
        }
        StakingQueryCmd::UnbondingDelegations(a) => {
            let del = resolve_address(&a.address, &a.q.keyring, &g.home)?;
            let r: staking::QueryDelegatorUnbondingDelegationsResponse =
                a.q.query.client().query_proto(
                    &path("DelegatorUnbondingDelegations"),
                    &staking::QueryDelegatorUnbondingDelegationsRequest {
                        delegator_addr: del,
                        pagination: all(),
                    },
                )?;
            json!({"unbonding_responses": r.unbonding_responses.iter().map(ubd_json).collect::<Vec<_>>()})
        }
        StakingQueryCmd::Redelegations(a) => {
            let del = resolve_address(&a.address, &a.q.keyring, &g.home)?;
            let r: staking::QueryRedelegationsResponse = a.q.query.client().query_proto(
                &path("Redelegations"),
                &staking::QueryRedelegationsRequest {
                    delegator_addr: del,
                    pagination: all(),
                    ..Default::default()
                },
            )?;
            json!({"redelegation_responses": r.redelegation_responses.iter().map(|rr| {
                let red = rr.redelegation.clone().unwrap_or_default();
                json!({
                    "redelegation": {"delegator_address": red.delegator_address,
                        "validator_src_address": red.validator_src_address,
                        "validator_dst_address": red.validator_dst_address},
                    "entries": rr.entries.iter().map(|e| {
                        let en = e.redelegation_entry.clone().unwrap_or_default();
                        json!({"creation_height": en.creation_height.to_string(),
                               "completion_time": time(&en.completion_time),
                               "initial_balance": en.initial_balance, "balance": e.balance})
                    }).collect::<Vec<_>>(),
                })
            }).collect::<Vec<_>>()})
        }
        StakingQueryCmd::Pool(q) => {
            let r: staking::QueryPoolResponse = q
                .query
                .client()
                .query_proto(&path("Pool"), &staking::QueryPoolRequest {})?;
            let p = r.pool.unwrap_or_default();
            json!({"not_bonded_tokens": p.not_bonded_tokens, "bonded_tokens": p.bonded_tokens})
        }
        StakingQueryCmd::Params(q) => {
            let r: staking::QueryParamsResponse = q
                .query
                .client()
                .query_proto(&path("Params"), &staking::QueryParamsRequest {})?;
            let p = r.params.unwrap_or_default();
            json!({
                "unbonding_time": format!("{}s", p.unbonding_time.map_or(0, |d| d.seconds)),
                "max_validators": p.max_validators, "max_entries": p.max_entries,
                "historical_entries": p.historical_entries, "bond_denom": p.bond_denom,
                "min_commission_rate": dec(&p.min_commission_rate),
            })
        }
    };
    print_json(&out);
    Ok(())
}

pub fn run_distribution_query(g: &Globals, c: DistributionQueryCmd) -> Result<()> {
    let path = |m: &str| format!("/cosmos.distribution.v1beta1.Query/{m}");
    let out = match c {
        DistributionQueryCmd::Rewards(a) => {
            let del = resolve_address(&a.address, &a.q.keyring, &g.home)?;
            let r: distr::QueryDelegationTotalRewardsResponse = a.q.query.client().query_proto(
                &path("DelegationTotalRewards"),
                &distr::QueryDelegationTotalRewardsRequest {
                    delegator_address: del,
                },
            )?;
            json!({
                "rewards": r.rewards.iter().map(|x| json!({"validator_address": x.validator_address,
                    "reward": dec_coins(&x.reward)})).collect::<Vec<_>>(),
                "total": dec_coins(&r.total),
            })
        }
        DistributionQueryCmd::Commission(a) => {
            let val = resolve_valoper(&a.address, &a.q.keyring, &g.home)?;
            let r: distr::QueryValidatorCommissionResponse = a.q.query.client().query_proto(
                &path("ValidatorCommission"),
                &distr::QueryValidatorCommissionRequest {
                    validator_address: val,
                },
            )?;
            json!({"commission": dec_coins(&r.commission.unwrap_or_default().commission)})
        }
        DistributionQueryCmd::OutstandingRewards(a) => {
            let val = resolve_valoper(&a.address, &a.q.keyring, &g.home)?;
            let r: distr::QueryValidatorOutstandingRewardsResponse =
                a.q.query.client().query_proto(
                    &path("ValidatorOutstandingRewards"),
                    &distr::QueryValidatorOutstandingRewardsRequest {
                        validator_address: val,
                    },
                )?;
            json!({"rewards": dec_coins(&r.rewards.unwrap_or_default().rewards)})
        }
        DistributionQueryCmd::CommunityPool(q) => {
            let r: distr::QueryCommunityPoolResponse = q
                .query
                .client()
                .query_proto(&path("CommunityPool"), &distr::QueryCommunityPoolRequest {})?;
            json!({"pool": dec_coins(&r.pool)})
        }
        DistributionQueryCmd::Params(q) => {
            let r: distr::QueryParamsResponse = q
                .query
                .client()
                .query_proto(&path("Params"), &distr::QueryParamsRequest {})?;
            let p = r.params.unwrap_or_default();
            json!({"community_tax": dec(&p.community_tax), "withdraw_addr_enabled": p.withdraw_addr_enabled})
        }
    };
    print_json(&out);
    Ok(())
}

fn mint_numbers(client: &RpcClient) -> Result<(mint::Params, String, String)> {
    let p: mint::QueryParamsResponse = client.query_proto(
        "/cosmos.mint.v1beta1.Query/Params",
        &mint::QueryParamsRequest {},
    )?;
    let i: mint::QueryInflationResponse = client.query_proto(
        "/cosmos.mint.v1beta1.Query/Inflation",
        &mint::QueryInflationRequest {},
    )?;
    let a: mint::QueryAnnualProvisionsResponse = client.query_proto(
        "/cosmos.mint.v1beta1.Query/AnnualProvisions",
        &mint::QueryAnnualProvisionsRequest {},
    )?;
    Ok((
        p.params.unwrap_or_default(),
        String::from_utf8_lossy(&i.inflation).into_owned(),
        String::from_utf8_lossy(&a.annual_provisions).into_owned(),
    ))
}

pub fn run_mint_query(_g: &Globals, c: MintQueryCmd) -> Result<()> {
    let (q, what) = match c {
        MintQueryCmd::Params(q) => (q, 0),
        MintQueryCmd::Inflation(q) => (q, 1),
        MintQueryCmd::AnnualProvisions(q) => (q, 2),
    };
    let (p, inflation, provisions) = mint_numbers(&q.query.client())?;
    let out = match what {
        0 => json!({
            "mint_denom": p.mint_denom, "inflation_rate_change": dec(&p.inflation_rate_change),
            "inflation_max": dec(&p.inflation_max), "inflation_min": dec(&p.inflation_min),
            "goal_bonded": dec(&p.goal_bonded), "blocks_per_year": p.blocks_per_year.to_string(),
        }),
        1 => json!({"inflation": dec(&inflation)}),
        _ => json!({"annual_provisions": dec(&provisions)}),
    };
    print_json(&out);
    Ok(())
}

pub fn run_slashing_query(_g: &Globals, c: SlashingQueryCmd) -> Result<()> {
    let out = match c {
        SlashingQueryCmd::Params(q) => {
            let r: slashing::QueryParamsResponse = q.query.client().query_proto(
                "/cosmos.slashing.v1beta1.Query/Params",
                &slashing::QueryParamsRequest {},
            )?;
            let p = r.params.unwrap_or_default();
            let d = |b: &[u8]| dec(&String::from_utf8_lossy(b));
            json!({
                "signed_blocks_window": p.signed_blocks_window.to_string(),
                "min_signed_per_window": d(&p.min_signed_per_window),
                "downtime_jail_duration": format!("{}s", p.downtime_jail_duration.map_or(0, |x| x.seconds)),
                "slash_fraction_double_sign": d(&p.slash_fraction_double_sign),
                "slash_fraction_downtime": d(&p.slash_fraction_downtime),
            })
        }
        SlashingQueryCmd::SigningInfos(q) => {
            let r: slashing::QuerySigningInfosResponse = q.query.client().query_proto(
                "/cosmos.slashing.v1beta1.Query/SigningInfos",
                &slashing::QuerySigningInfosRequest { pagination: all() },
            )?;
            json!({"info": r.info.iter().map(|i| json!({
                "address": i.address, "start_height": i.start_height.to_string(),
                "index_offset": i.index_offset.to_string(), "jailed_until": time(&i.jailed_until),
                "tombstoned": i.tombstoned, "missed_blocks_counter": i.missed_blocks_counter.to_string(),
            })).collect::<Vec<_>>()})
        }
    };
    print_json(&out);
    Ok(())
}

fn akt(uakt: u128) -> String {
    format!("{}.{:06} AKT", uakt / 1_000_000, uakt % 1_000_000)
}

fn percent(atomics: u128) -> String {
    let bp = atomics / (DEC_ONE / 1_000_000);
    format!("{}.{:04} %", bp / 10_000, bp % 10_000)
}

/// `kumo query stats supply|inflation|staking`: the economy at a glance.
pub fn stats(g: &Globals, a: StatsArgs) -> Result<()> {
    use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank;
    let client = a.query.client();
    let (p, inflation, provisions) = mint_numbers(&client)?;
    let denom = p.mint_denom.clone();
    let s: bank::QuerySupplyOfResponse = client.query_proto(
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        &bank::QuerySupplyOfRequest {
            denom: denom.clone(),
        },
    )?;
    let total: u128 = s.amount.map_or(0, |c| c.amount.parse().unwrap_or(0));
    let pool: staking::QueryPoolResponse = client.query_proto(
        "/cosmos.staking.v1beta1.Query/Pool",
        &staking::QueryPoolRequest {},
    )?;
    let pool = pool.pool.unwrap_or_default();
    let bonded: u128 = pool.bonded_tokens.parse().unwrap_or(0);
    let unbonding: u128 = pool.not_bonded_tokens.parse().unwrap_or(0);
    let cp: distr::QueryCommunityPoolResponse = client.query_proto(
        "/cosmos.distribution.v1beta1.Query/CommunityPool",
        &distr::QueryCommunityPoolRequest {},
    )?;
    let community: u128 = cp
        .pool
        .iter()
        .find(|c| c.denom == denom)
        .map_or(0, |c| c.amount.parse::<u128>().unwrap_or(0) / DEC_ONE);
    // Circulating: everything but what the community pool holds.
    let circulating = total.saturating_sub(community);
    let ratio = if total == 0 {
        0
    } else {
        bonded * DEC_ONE / total
    };
    let inflation: u128 = inflation.parse().unwrap_or(0);
    let provisions: u128 = provisions.parse::<u128>().unwrap_or(0) / DEC_ONE;
    let vals: staking::QueryValidatorsResponse = client.query_proto(
        "/cosmos.staking.v1beta1.Query/Validators",
        &staking::QueryValidatorsRequest {
            status: "BOND_STATUS_BONDED".into(),
            pagination: all(),
        },
    )?;
    let v = match a.kind {
        StatsKind::Supply => json!({
            "denom": denom, "total": total.to_string(), "circulating": circulating.to_string(),
            "bonded": bonded.to_string(), "unbonding": unbonding.to_string(),
            "community_pool": community.to_string(),
        }),
        StatsKind::Inflation => json!({
            "inflation": dec(&inflation.to_string()), "annual_provisions": provisions.to_string(),
            "inflation_min": dec(&p.inflation_min), "inflation_max": dec(&p.inflation_max),
            "goal_bonded": dec(&p.goal_bonded), "bonded_ratio": dec(&ratio.to_string()),
        }),
        StatsKind::Staking => json!({
            "bonded": bonded.to_string(), "staking_ratio": dec(&ratio.to_string()),
            "bonded_validators": vals.validators.len(), "community_pool": community.to_string(),
            "annual_provisions": provisions.to_string(),
        }),
    };
    if g.output == Output::Json {
        print_json(&v);
        return Ok(());
    }
    match a.kind {
        StatsKind::Supply => {
            println!("total supply:       {}", akt(total));
            println!("circulating supply: {}", akt(circulating));
            println!("bonded:             {} ({})", akt(bonded), percent(ratio));
            println!("unbonding:          {}", akt(unbonding));
            println!("community pool:     {}", akt(community));
        }
        StatsKind::Inflation => {
            println!("annual inflation:   {}", percent(inflation));
            println!("yearly provisions:  {}", akt(provisions));
            println!(
                "bounds:             {} .. {} toward {} bonded (now {})",
                percent(crate_dec(&p.inflation_min)),
                percent(crate_dec(&p.inflation_max)),
                percent(crate_dec(&p.goal_bonded)),
                percent(ratio)
            );
        }
        StatsKind::Staking => {
            println!("bonded:             {}", akt(bonded));
            println!("staking ratio:      {}", percent(ratio));
            println!("bonded validators:  {}", vals.validators.len());
            println!("community pool:     {}", akt(community));
            println!("yearly provisions:  {}", akt(provisions));
        }
    }
    Ok(())
}

fn crate_dec(s: &str) -> u128 {
    s.parse().unwrap_or(0)
}

// ---- gov --------------------------------------------------------------------------------

use cosmos_sdk_proto::cosmos::gov::v1 as gov;

#[derive(Subcommand, Debug)]
pub enum GovTxCmd {
    /// Submit a proposal described in a JSON file.
    #[command(
        after_help = "FILE (JSON):\n  {\"title\": \"…\", \"summary\": \"…\", \"deposit\": \"2500000000uakt\",\n   \
        \"expedited\": false, \"metadata\": \"\", \"messages\": [MESSAGE, …]}\n\
        MESSAGE is one of (the authority is always the gov account, filled in for you):\n  \
        {\"@type\": \"/cosmos.distribution.v1beta1.MsgCommunityPoolSpend\", \"recipient\": \"akash1…\", \"amount\": \"1000000uakt\"}\n  \
        {\"@type\": \"/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade\", \"plan\": {\"name\": \"v2\", \"height\": \"123456\", \"info\": \"…\"}}\n  \
        {\"@type\": \"/cosmos.<staking|mint|slashing|distribution|gov>.…MsgUpdateParams\", \"params\": {…as in genesis…}}\n\
        No messages: a text proposal."
    )]
    SubmitProposal(SubmitArgs),
    /// Vote yes, no, abstain or no_with_veto.
    Vote(VoteArgs),
    /// Add to a proposal's deposit.
    Deposit(DepositArgs),
}

#[derive(Args, Debug)]
pub struct SubmitArgs {
    pub from: String,
    pub file: std::path::PathBuf,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum VoteChoice {
    Yes,
    No,
    Abstain,
    NoWithVeto,
}

#[derive(Args, Debug)]
pub struct VoteArgs {
    pub from: String,
    pub proposal_id: u64,
    pub option: VoteChoice,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct DepositArgs {
    pub from: String,
    pub proposal_id: u64,
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

fn gov_address() -> String {
    kumo_app::auth::module_address("gov").to_bech32(ACCOUNT_HRP)
}

fn proposal_message(v: &Value) -> Result<cosmos_sdk_proto::Any> {
    let url = v["@type"]
        .as_str()
        .context("each message needs an \"@type\"")?;
    let params =
        || -> Result<Value> { Ok(v.get("params").cloned().context("\"params\" is missing")?) };
    let authority = gov_address();
    Ok(match url {
        "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend" => {
            to_any(&distr::MsgCommunityPoolSpend {
                authority,
                recipient: v["recipient"]
                    .as_str()
                    .context("\"recipient\" is missing")?
                    .into(),
                amount: parse_coins(
                    v["amount"]
                        .as_str()
                        .context("\"amount\" like 1000000uakt")?,
                )?,
            })
        }
        "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade" => {
            let plan = &v["plan"];
            to_any(
                &cosmos_sdk_proto::cosmos::upgrade::v1beta1::MsgSoftwareUpgrade {
                    authority,
                    plan: Some(cosmos_sdk_proto::cosmos::upgrade::v1beta1::Plan {
                        name: plan["name"].as_str().context("plan.name")?.into(),
                        height: plan["height"]
                            .as_str()
                            .map(|s| s.parse().unwrap_or(0))
                            .or_else(|| plan["height"].as_i64())
                            .context("plan.height")?,
                        info: plan["info"].as_str().unwrap_or_default().into(),
                        ..Default::default()
                    }),
                },
            )
        }
        "/cosmos.staking.v1beta1.MsgUpdateParams" => {
            let p: kumo_app::staking::genesis::ParamsJson = serde_json::from_value(params()?)?;
            to_any(&staking::MsgUpdateParams {
                authority,
                params: Some(p.to_params().map_err(|e| anyhow::anyhow!(e.log))?),
            })
        }
        "/cosmos.mint.v1beta1.MsgUpdateParams" => {
            let p: kumo_app::mint::genesis::ParamsJson = serde_json::from_value(params()?)?;
            to_any(&mint::MsgUpdateParams {
                authority,
                params: Some(p.to_params().map_err(|e| anyhow::anyhow!(e.log))?),
            })
        }
        "/cosmos.slashing.v1beta1.MsgUpdateParams" => {
            let p: kumo_app::slashing::genesis::ParamsJson = serde_json::from_value(params()?)?;
            to_any(&slashing::MsgUpdateParams {
                authority,
                params: Some(p.to_params().map_err(|e| anyhow::anyhow!(e.log))?),
            })
        }
        "/cosmos.distribution.v1beta1.MsgUpdateParams" => {
            let p: kumo_app::distribution::genesis::ParamsJson = serde_json::from_value(params()?)?;
            to_any(&distr::MsgUpdateParams {
                authority,
                params: Some(p.to_params().map_err(|e| anyhow::anyhow!(e.log))?),
            })
        }
        "/cosmos.gov.v1.MsgUpdateParams" => {
            let p: kumo_app::gov::genesis::ParamsJson = serde_json::from_value(params()?)?;
            to_any(&gov::MsgUpdateParams {
                authority,
                params: Some(p.to_params().map_err(|e| anyhow::anyhow!(e.log))?),
            })
        }
        other => bail!("kumo cannot build a {other} proposal message from JSON yet"),
    })
}

pub fn run_gov_tx(g: &Globals, c: GovTxCmd) -> Result<()> {
    match c {
        GovTxCmd::SubmitProposal(a) => {
            let proposer = key_address(g, &a.from, &a.tx.keyring)?;
            let text = std::fs::read_to_string(&a.file)
                .with_context(|| format!("cannot read {}", a.file.display()))?;
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", a.file.display()))?;
            let messages = v["messages"]
                .as_array()
                .map(|m| m.iter().map(proposal_message).collect::<Result<Vec<_>>>())
                .transpose()?
                .unwrap_or_default();
            let msg = gov::MsgSubmitProposal {
                messages,
                initial_deposit: parse_coins(
                    v["deposit"]
                        .as_str()
                        .context("\"deposit\" like 2500000000uakt")?,
                )?,
                proposer: proposer.to_bech32(ACCOUNT_HRP),
                metadata: v["metadata"].as_str().unwrap_or_default().into(),
                title: v["title"].as_str().context("\"title\" is missing")?.into(),
                summary: v["summary"]
                    .as_str()
                    .context("\"summary\" is missing")?
                    .into(),
                expedited: v["expedited"].as_bool().unwrap_or(false),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        GovTxCmd::Vote(a) => {
            let voter = key_address(g, &a.from, &a.tx.keyring)?;
            let option = match a.option {
                VoteChoice::Yes => gov::VoteOption::Yes,
                VoteChoice::No => gov::VoteOption::No,
                VoteChoice::Abstain => gov::VoteOption::Abstain,
                VoteChoice::NoWithVeto => gov::VoteOption::NoWithVeto,
            };
            let msg = gov::MsgVote {
                proposal_id: a.proposal_id,
                voter: voter.to_bech32(ACCOUNT_HRP),
                option: option as i32,
                metadata: String::new(),
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
        GovTxCmd::Deposit(a) => {
            let depositor = key_address(g, &a.from, &a.tx.keyring)?;
            let msg = gov::MsgDeposit {
                proposal_id: a.proposal_id,
                depositor: depositor.to_bech32(ACCOUNT_HRP),
                amount: parse_coins(&a.amount)?,
            };
            execute(g, &a.tx, &a.from, vec![to_any(&msg)])
        }
    }
}

#[derive(Args, Debug)]
pub struct IdQ {
    pub proposal_id: u64,
    #[command(flatten)]
    pub q: Q,
}

#[derive(Subcommand, Debug)]
pub enum GovQueryCmd {
    /// All proposals.
    Proposals(Q),
    /// One proposal by id.
    Proposal(IdQ),
    /// The current (or final) tally of a proposal.
    Tally(IdQ),
    /// Governance parameters (deposits, voting period, quorum and thresholds).
    Params(Q),
}

fn proposal_json(p: &gov::Proposal) -> Value {
    let tally = p.final_tally_result.clone().unwrap_or_default();
    json!({
        "id": p.id.to_string(),
        "messages": p.messages.iter().map(|m| m.type_url.clone()).collect::<Vec<_>>(),
        "status": gov::ProposalStatus::try_from(p.status).map_or("?", |s| s.as_str_name()),
        "final_tally_result": {"yes_count": tally.yes_count, "abstain_count": tally.abstain_count,
            "no_count": tally.no_count, "no_with_veto_count": tally.no_with_veto_count},
        "submit_time": time(&p.submit_time),
        "deposit_end_time": time(&p.deposit_end_time),
        "total_deposit": p.total_deposit.iter().map(|c| json!({"denom": c.denom, "amount": c.amount})).collect::<Vec<_>>(),
        "voting_start_time": time(&p.voting_start_time),
        "voting_end_time": time(&p.voting_end_time),
        "title": p.title, "summary": p.summary, "proposer": p.proposer,
        "expedited": p.expedited, "failed_reason": p.failed_reason,
    })
}

pub fn run_gov_query(_g: &Globals, c: GovQueryCmd) -> Result<()> {
    let path = |m: &str| format!("/cosmos.gov.v1.Query/{m}");
    let out = match c {
        GovQueryCmd::Proposals(q) => {
            let r: gov::QueryProposalsResponse = q.query.client().query_proto(
                &path("Proposals"),
                &gov::QueryProposalsRequest {
                    pagination: all(),
                    ..Default::default()
                },
            )?;
            json!({"proposals": r.proposals.iter().map(proposal_json).collect::<Vec<_>>()})
        }
        GovQueryCmd::Proposal(a) => {
            let r: gov::QueryProposalResponse = a.q.query.client().query_proto(
                &path("Proposal"),
                &gov::QueryProposalRequest {
                    proposal_id: a.proposal_id,
                },
            )?;
            r.proposal.as_ref().map_or(Value::Null, proposal_json)
        }
        GovQueryCmd::Tally(a) => {
            let r: gov::QueryTallyResultResponse = a.q.query.client().query_proto(
                &path("TallyResult"),
                &gov::QueryTallyResultRequest {
                    proposal_id: a.proposal_id,
                },
            )?;
            let t = r.tally.unwrap_or_default();
            json!({"yes_count": t.yes_count, "abstain_count": t.abstain_count,
                   "no_count": t.no_count, "no_with_veto_count": t.no_with_veto_count})
        }
        GovQueryCmd::Params(q) => {
            let r: gov::QueryParamsResponse = q.query.client().query_proto(
                &path("Params"),
                &gov::QueryParamsRequest {
                    params_type: String::new(),
                },
            )?;
            serde_json::to_value(kumo_app::gov::genesis::ParamsJson::from_params(
                &r.params.unwrap_or_default(),
            ))?
        }
    };
    print_json(&out);
    Ok(())
}
