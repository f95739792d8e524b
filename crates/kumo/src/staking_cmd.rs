//! `kumo tx staking …` and `kumo query staking …`, plus what the economy modules' commands
//! share (validator addresses, LegacyDec and timestamp JSON, query flags). Queries print
//! SDK-style JSON (LegacyDec values as decimals). Distribution, slashing, mint and gov have their
//! own files; `kumo query stats supply|inflation|staking` is in `stats_cmd.rs`.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
use kumo_client::parse_coins;
use kumo_client::tx::to_any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use serde_json::{json, Value};
use std::path::Path;

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address, QueryFlags};
use crate::tx_cmd::{execute, TxFlags};
use crate::Globals;

pub(crate) const VALOPER_HRP: &str = "akashvaloper";
pub(crate) const DEC_ONE: u128 = 1_000_000_000_000_000_000;

// ---- tx ---------------------------------------------------------------------------------

#[derive(Subcommand, Debug)]
pub enum StakingTxCmd {
    /// Delegate tokens to a validator.
    #[command(
        after_help = "Example:\n  kumo tx staking delegate --from alice akashvaloper1… 5000000uakt -y"
    )]
    Delegate(DelegateArgs),
    /// Undelegate tokens; they arrive after the unbonding period (14 days by default).
    Unbond(DelegateArgs),
    /// Move a delegation to another validator without unbonding.
    Redelegate(RedelegateArgs),
    /// Cancel (part of) an unbonding started at CREATION_HEIGHT; the tokens bond again.
    CancelUnbond(CancelArgs),
    /// Make the --from account a validator operator, bonding AMOUNT as its self delegation. The
    /// consensus key is the node's (`--home`'s config/priv_validator_key.json) unless --pubkey.
    #[command(after_help = "Example:\n  \
        kumo tx staking create-validator --from alice 100000000uakt --moniker alice-node \
        --commission-rate 0.10 --commission-max-rate 0.20 --commission-max-change-rate 0.01 -y")]
    CreateValidator(CreateValidatorArgs),
    /// Change a validator's description, commission rate or minimum self delegation.
    #[command(after_help = "Example:\n  \
        kumo tx staking edit-validator --from alice --commission-rate 0.12 --website https://example.org -y")]
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
    /// Validator: akashvaloper1… or the name of the operator's key.
    pub validator: String,
    /// Amount of the bond denom, e.g. 5000000uakt.
    pub amount: String,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct RedelegateArgs {
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
    pub validator: String,
    pub amount: String,
    pub creation_height: i64,
    #[command(flatten)]
    pub tx: TxFlags,
}

#[derive(Args, Debug)]
pub struct FromArgs {
    #[command(flatten)]
    pub tx: TxFlags,
}

pub(crate) fn key_address(g: &Globals, from: &str, keyring: &KeyringArgs) -> Result<Address> {
    let kr = keyring.open(&g.home)?;
    let info = kr
        .show(from)
        .with_context(|| format!("--from must be a key name in the {} keyring", kr.backend()))?;
    Ok(info.address)
}

/// akashvaloper1… as given, or the operator address of an akash1… address or key name.
pub(crate) fn resolve_valoper(input: &str, keyring: &KeyringArgs, home: &Path) -> Result<String> {
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
            let del = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let msg = staking::MsgDelegate {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        StakingTxCmd::Unbond(a) => {
            let del = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let msg = staking::MsgUndelegate {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        StakingTxCmd::Redelegate(a) => {
            let del = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let msg = staking::MsgBeginRedelegate {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_src_address: resolve_valoper(&a.src, &a.tx.keyring, &g.home)?,
                validator_dst_address: resolve_valoper(&a.dst, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        StakingTxCmd::CreateValidator(a) => {
            let op = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let pubkey = consensus_pubkey(g, a.pubkey.as_deref())?;
            let msg = create_validator_msg(&op, pubkey, one_coin(&a.amount)?, a.validator)?;
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        StakingTxCmd::EditValidator(a) => {
            let op = key_address(g, &a.tx.from, &a.tx.keyring)?;
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
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
        StakingTxCmd::CancelUnbond(a) => {
            let del = key_address(g, &a.tx.from, &a.tx.keyring)?;
            let msg = staking::MsgCancelUnbondingDelegation {
                delegator_address: del.to_bech32(ACCOUNT_HRP),
                validator_address: resolve_valoper(&a.validator, &a.tx.keyring, &g.home)?,
                amount: Some(one_coin(&a.amount)?),
                creation_height: a.creation_height,
            };
            execute(g, &a.tx, &a.tx.from, vec![to_any(&msg)])
        }
    }
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

pub(crate) fn dec(atomics: &str) -> String {
    let a: u128 = atomics.parse().unwrap_or(0);
    format!("{}.{:018}", a / DEC_ONE, a % DEC_ONE)
}

pub(crate) fn coin(c: &Option<ProtoCoin>) -> Value {
    c.as_ref().map_or(
        Value::Null,
        |c| json!({"denom": c.denom, "amount": c.amount}),
    )
}

/// A protobuf timestamp as the SDK's JSON writes it (RFC 3339, UTC).
pub(crate) fn time(t: &Option<cosmos_sdk_proto::Timestamp>) -> Value {
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

pub(crate) fn all() -> Option<PageRequest> {
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
            return crate::params_cmd::print_params_object(
                g,
                &json!({
                    "unbonding_time": format!("{}s", p.unbonding_time.map_or(0, |d| d.seconds)),
                    "max_validators": p.max_validators, "max_entries": p.max_entries,
                    "historical_entries": p.historical_entries, "bond_denom": p.bond_denom,
                    "min_commission_rate": dec(&p.min_commission_rate),
                }),
            );
        }
    };
    print_json(&out);
    Ok(())
}
