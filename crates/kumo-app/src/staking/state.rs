//! staking state: params, validators, delegations, unbonding delegations, redelegations, their
//! maturity queues and the bonded set; and the two pools (module accounts) the bonded and the
//! not-bonded tokens sit in.
//!
//! Keys (addresses are the 20 raw bytes; times are seconds u64 BE + nanos u32 BE):
//! - `staking/params` -> `cosmos.staking.v1beta1.Params`
//! - `staking/val/<op>` -> `Validator`; `staking/cons/<consaddr>` -> op
//! - `staking/pwr/<!power u64 BE><op>` -> () for every validator that may be bonded (not jailed,
//!   power > 0): ascending order is the selection order (power desc, then operator asc)
//! - `staking/last/<op>` -> power i64 BE: the bonded set the last end block reported
//! - `staking/del/<del><op>` -> `Delegation`; index `staking/delv/<op><del>`
//! - `staking/ubd/<del><op>` -> `UnbondingDelegation`; index `staking/ubdv/<op><del>`
//! - `staking/red/<del><src><dst>` -> `Redelegation`; index `staking/redv/<src><del><dst>`
//! - queues `staking/q/ubd/<time><del><op>`, `staking/q/red/<time><del><src><dst>`,
//!   `staking/q/val/<time><op>` -> (): what matures when

use super::errors as e;
use crate::abci::BlockTime;
use crate::auth::module_address;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::dec::{atomics, mul_div, mul_div_round};
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    BondStatus, Commission, CommissionRates, Delegation, Description, Params, Redelegation,
    UnbondingDelegation, Validator,
};
use cosmos_sdk_proto::{Any, Timestamp};
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;
use prost::Message;
use sha2::{Digest, Sha256};

pub const MODULE_NAME: &str = "staking";
pub const BONDED_POOL: &str = "bonded_tokens_pool";
pub const NOT_BONDED_POOL: &str = "not_bonded_tokens_pool";
pub const VALOPER_HRP: &str = "akashvaloper";
pub const VALCONS_HRP: &str = "akashvalcons";
pub const ED25519_PUBKEY_URL: &str = "/cosmos.crypto.ed25519.PubKey";
/// Tokens per unit of consensus power (`sdk.DefaultPowerReduction`).
pub const POWER_REDUCTION: u128 = 1_000_000;
const DAY: i64 = 86_400;

const PARAMS_KEY: &[u8] = b"staking/params";
const VAL: &[u8] = b"staking/val/";
const CONS: &[u8] = b"staking/cons/";
pub(crate) const POWER: &[u8] = b"staking/pwr/";
pub(crate) const LAST: &[u8] = b"staking/last/";
const DEL: &[u8] = b"staking/del/";
const DEL_BY_VAL: &[u8] = b"staking/delv/";
const UBD: &[u8] = b"staking/ubd/";
const UBD_BY_VAL: &[u8] = b"staking/ubdv/";
const RED: &[u8] = b"staking/red/";
const RED_BY_SRC: &[u8] = b"staking/redv/";
pub(crate) const Q_UBD: &[u8] = b"staking/q/ubd/";
pub(crate) const Q_RED: &[u8] = b"staking/q/red/";
pub(crate) const Q_VAL: &[u8] = b"staking/q/val/";

/// kumo's defaults (spec §12.2): 14-day unbonding, 100 validators, uakt, 5 % min commission.
pub fn default_params() -> Params {
    Params {
        unbonding_time: Some(cosmos_sdk_proto::tendermint::google::protobuf::Duration {
            seconds: 14 * DAY,
            nanos: 0,
        }),
        max_validators: 100,
        max_entries: 7,
        historical_entries: 10_000,
        bond_denom: "uakt".into(),
        min_commission_rate: (DEC_ONE / 20).to_string(),
    }
}

pub fn validate_params(p: &Params) -> SdkResult<()> {
    let bad = |what: &str| SdkError::invalid_request(format!("staking params: {what}"));
    let ut = p
        .unbonding_time
        .as_ref()
        .ok_or_else(|| bad("unbonding_time is missing"))?;
    if ut.seconds <= 0 && ut.nanos <= 0 {
        return Err(bad("unbonding_time must be positive"));
    }
    if p.max_validators == 0 {
        return Err(bad("max_validators must be positive"));
    }
    if p.max_entries == 0 {
        return Err(bad("max_entries must be positive"));
    }
    crate::coins::validate_denom(&p.bond_denom)?;
    match atomics(&p.min_commission_rate) {
        Some(r) if r <= DEC_ONE => Ok(()),
        _ => Err(bad(
            "min_commission_rate must be a LegacyDec between 0 and 1",
        )),
    }
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("stored staking params decode"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

pub fn bond_denom(ctx: &Ctx) -> String {
    params(ctx).bond_denom
}

pub fn unbonding_seconds(p: &Params) -> (i64, i32) {
    p.unbonding_time
        .as_ref()
        .map_or((14 * DAY, 0), |d| (d.seconds, d.nanos))
}

pub fn min_commission(ctx: &Ctx) -> u128 {
    atomics(&params(ctx).min_commission_rate).unwrap_or(0)
}

// ---- time -------------------------------------------------------------------------------

pub fn add_duration(t: BlockTime, seconds: i64, nanos: i32) -> BlockTime {
    let total = t.nanos as i64 + nanos as i64;
    BlockTime {
        seconds: t.seconds + seconds + total.div_euclid(1_000_000_000),
        nanos: total.rem_euclid(1_000_000_000) as u32,
    }
}

pub fn to_timestamp(t: BlockTime) -> Timestamp {
    Timestamp {
        seconds: t.seconds,
        nanos: t.nanos as i32,
    }
}

pub fn from_timestamp(t: Option<&Timestamp>) -> BlockTime {
    t.map_or(BlockTime::default(), |t| BlockTime {
        seconds: t.seconds,
        nanos: t.nanos.max(0) as u32,
    })
}

pub(crate) fn time_key(t: BlockTime) -> [u8; 12] {
    let mut k = [0u8; 12];
    k[..8].copy_from_slice(&(t.seconds.max(0) as u64).to_be_bytes());
    k[8..].copy_from_slice(&t.nanos.to_be_bytes());
    k
}

// ---- validators -------------------------------------------------------------------------

/// A validator with its numbers decoded (the stored form is the SDK's `Validator`).
#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub operator: Address,
    pub cons_pubkey: [u8; 32],
    pub jailed: bool,
    pub status: BondStatus,
    pub tokens: u128,
    /// Delegator shares, LegacyDec atomics.
    pub shares: u128,
    pub description: Description,
    pub unbonding_height: i64,
    pub unbonding_time: BlockTime,
    /// Commission rate, max rate and max daily change, LegacyDec atomics.
    pub rate: u128,
    pub max_rate: u128,
    pub max_change_rate: u128,
    pub commission_updated: BlockTime,
    pub min_self_delegation: u128,
}

/// CometBFT's address of an ed25519 key: the first 20 bytes of its sha256.
pub fn cons_address(pubkey: &[u8; 32]) -> [u8; 20] {
    Sha256::digest(pubkey)[..20].try_into().expect("20 bytes")
}

pub fn pubkey_any(pubkey: &[u8; 32]) -> Any {
    Any {
        type_url: ED25519_PUBKEY_URL.into(),
        value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey {
            key: pubkey.to_vec(),
        }
        .encode_to_vec(),
    }
}

/// The ed25519 key a `MsgCreateValidator.pubkey` or a stored validator carries.
pub fn pubkey_from_any(any: Option<&Any>) -> SdkResult<[u8; 32]> {
    let any = any.ok_or_else(|| e::empty_validator_pubkey(""))?;
    if any.type_url != ED25519_PUBKEY_URL {
        return Err(e::validator_pubkey_type_not_supported(format!(
            "got: {}, expected: [ed25519]",
            any.type_url
        )));
    }
    let pk = cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey::decode(any.value.as_slice())
        .map_err(|err| SdkError::invalid_pubkey(format!("cannot decode ed25519 key: {err}")))?;
    pk.key.as_slice().try_into().map_err(|_| {
        SdkError::invalid_pubkey(format!(
            "ed25519 public key must be 32 bytes, got {}",
            pk.key.len()
        ))
    })
}

impl Val {
    pub fn cons_address(&self) -> [u8; 20] {
        cons_address(&self.cons_pubkey)
    }

    pub fn is_bonded(&self) -> bool {
        self.status == BondStatus::Bonded
    }

    /// Consensus power: whole units of `POWER_REDUCTION` tokens.
    pub fn power(&self) -> i64 {
        (self.tokens / POWER_REDUCTION).min(i64::MAX as u128) as i64
    }

    /// Eligible for the bonded set (in the power index).
    pub fn in_power_index(&self) -> bool {
        !self.jailed && self.power() > 0
    }

    pub fn valoper(&self) -> String {
        self.operator.to_bech32(VALOPER_HRP)
    }

    /// Shares that `amount` tokens buy now (`SharesFromTokens`, rounded).
    pub fn shares_from_tokens(&self, amount: u128) -> SdkResult<u128> {
        if self.tokens == 0 {
            return Err(e::insufficient_shares(format!(
                "validator {} has no tokens",
                self.valoper()
            )));
        }
        mul_div_round(self.shares, amount, self.tokens)
            .ok_or_else(|| SdkError::invalid_request("share amount overflows"))
    }

    /// `SharesFromTokensTruncated`.
    pub fn shares_from_tokens_truncated(&self, amount: u128) -> SdkResult<u128> {
        if self.tokens == 0 {
            return Err(e::insufficient_shares(format!(
                "validator {} has no tokens",
                self.valoper()
            )));
        }
        mul_div(self.shares, amount, self.tokens)
            .ok_or_else(|| SdkError::invalid_request("share amount overflows"))
    }

    /// Tokens `shares` are worth, truncated to whole tokens.
    pub fn tokens_from_shares(&self, shares: u128) -> u128 {
        if self.shares == 0 {
            return 0;
        }
        mul_div(shares, self.tokens, self.shares).unwrap_or(0)
    }

    /// Tokens `shares` are worth as LegacyDec atomics, truncated (`TokensFromSharesTruncated`).
    pub fn tokens_from_shares_dec(&self, shares: u128) -> u128 {
        if self.shares == 0 {
            return 0;
        }
        let tokens_dec = self
            .tokens
            .checked_mul(DEC_ONE)
            .expect("tokens within Dec range");
        mul_div(shares, tokens_dec, self.shares).unwrap_or(0)
    }

    /// Adds delegated tokens; returns the shares issued (1:1 for a validator without shares).
    pub fn add_tokens_from_del(&mut self, amount: u128) -> SdkResult<u128> {
        let issued = if self.shares == 0 {
            amount
                .checked_mul(DEC_ONE)
                .ok_or_else(|| SdkError::invalid_request("delegation overflows"))?
        } else {
            self.shares_from_tokens(amount)?
        };
        self.tokens = self
            .tokens
            .checked_add(amount)
            .ok_or_else(|| SdkError::invalid_request("validator tokens overflow"))?;
        self.shares = self
            .shares
            .checked_add(issued)
            .ok_or_else(|| SdkError::invalid_request("validator shares overflow"))?;
        Ok(issued)
    }

    /// Removes shares; returns the tokens they were worth (all tokens for the last shares).
    pub fn remove_del_shares(&mut self, shares: u128) -> u128 {
        let remaining = self.shares - shares;
        let issued = if remaining == 0 {
            self.tokens
        } else {
            self.tokens_from_shares(shares)
        };
        self.tokens -= issued;
        self.shares = remaining;
        issued
    }

    pub fn to_proto(&self) -> Validator {
        Validator {
            operator_address: self.valoper(),
            consensus_pubkey: Some(pubkey_any(&self.cons_pubkey)),
            jailed: self.jailed,
            status: self.status as i32,
            tokens: self.tokens.to_string(),
            delegator_shares: self.shares.to_string(),
            description: Some(self.description.clone()),
            unbonding_height: self.unbonding_height,
            unbonding_time: Some(to_timestamp(self.unbonding_time)),
            commission: Some(Commission {
                commission_rates: Some(CommissionRates {
                    rate: self.rate.to_string(),
                    max_rate: self.max_rate.to_string(),
                    max_change_rate: self.max_change_rate.to_string(),
                }),
                update_time: Some(to_timestamp(self.commission_updated)),
            }),
            min_self_delegation: self.min_self_delegation.to_string(),
            unbonding_on_hold_ref_count: 0,
            unbonding_ids: vec![],
        }
    }

    pub fn from_proto(v: &Validator) -> Val {
        let rates = v
            .commission
            .as_ref()
            .and_then(|c| c.commission_rates.clone())
            .unwrap_or_default();
        Val {
            operator: Address::from_bech32(&v.operator_address, VALOPER_HRP)
                .expect("stored operator address"),
            cons_pubkey: pubkey_from_any(v.consensus_pubkey.as_ref()).expect("stored pubkey"),
            jailed: v.jailed,
            status: BondStatus::try_from(v.status).unwrap_or(BondStatus::Unbonded),
            tokens: v.tokens.parse().unwrap_or(0),
            shares: atomics(&v.delegator_shares).unwrap_or(0),
            description: v.description.clone().unwrap_or_default(),
            unbonding_height: v.unbonding_height,
            unbonding_time: from_timestamp(v.unbonding_time.as_ref()),
            rate: atomics(&rates.rate).unwrap_or(0),
            max_rate: atomics(&rates.max_rate).unwrap_or(0),
            max_change_rate: atomics(&rates.max_change_rate).unwrap_or(0),
            commission_updated: from_timestamp(
                v.commission.as_ref().and_then(|c| c.update_time.as_ref()),
            ),
            min_self_delegation: v.min_self_delegation.parse().unwrap_or(0),
        }
    }
}

fn val_key(op: &Address) -> Vec<u8> {
    [VAL, op.as_bytes()].concat()
}

fn power_key(v: &Val) -> Vec<u8> {
    [
        POWER,
        &(!(v.power() as u64)).to_be_bytes()[..],
        v.operator.as_bytes(),
    ]
    .concat()
}

pub fn validator(ctx: &Ctx, op: &Address) -> Option<Val> {
    ctx.get_free(&val_key(op))
        .map(|b| Val::from_proto(&Validator::decode(b.as_slice()).expect("stored validator")))
}

/// The validator or the SDK's "validator does not exist".
pub fn must_validator(ctx: &Ctx, op: &Address) -> SdkResult<Val> {
    validator(ctx, op).ok_or_else(|| e::no_validator_found(op.to_bech32(VALOPER_HRP)))
}

pub fn validator_by_cons(ctx: &Ctx, cons: &[u8]) -> Option<Val> {
    let op = ctx.get_free(&[CONS, cons].concat())?;
    validator(ctx, &Address::from_slice(&op).expect("stored operator"))
}

/// Stores a validator and keeps its power-index entry in step with it.
pub fn set_validator(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    if let Some(old) = validator(ctx, &v.operator) {
        if old.in_power_index() {
            ctx.delete(power_key(&old))?;
        }
    } else {
        ctx.set(
            [CONS, &v.cons_address()[..]].concat(),
            v.operator.as_bytes().to_vec(),
        )?;
    }
    if v.in_power_index() {
        ctx.set(power_key(v), vec![])?;
    }
    ctx.set(val_key(&v.operator), v.to_proto().encode_to_vec())
}

/// Deletes an unbonded validator that has no shares left (`RemoveValidator`).
pub fn remove_validator(ctx: &mut Ctx, v: &Val) -> SdkResult<()> {
    if v.in_power_index() {
        ctx.delete(power_key(v))?;
    }
    ctx.delete(val_key(&v.operator))?;
    ctx.delete([CONS, &v.cons_address()[..]].concat())?;
    super::hooks::after_validator_removed(ctx, v)
}

pub fn all_validators(ctx: &Ctx) -> Vec<Val> {
    ctx.prefix_free(VAL)
        .iter()
        .map(|(_, b)| Val::from_proto(&Validator::decode(b.as_slice()).expect("stored validator")))
        .collect()
}

pub fn validators_prefix() -> &'static [u8] {
    VAL
}

/// The bonded set the last end block reported: operator -> power.
pub fn last_powers(ctx: &Ctx) -> Vec<(Address, i64)> {
    ctx.prefix_free(LAST)
        .into_iter()
        .map(|(k, v)| {
            (
                Address::from_slice(&k[LAST.len()..]).expect("stored operator"),
                i64::from_be_bytes(v.as_slice().try_into().expect("8 bytes")),
            )
        })
        .collect()
}

pub fn set_last_power(ctx: &mut Ctx, op: &Address, power: Option<i64>) -> SdkResult<()> {
    let key = [LAST, op.as_bytes()].concat();
    match power {
        Some(p) => ctx.set(key, p.to_be_bytes().to_vec()),
        None => ctx.delete(key),
    }
}

// ---- pools ------------------------------------------------------------------------------

pub fn pool_address(bonded: bool) -> Address {
    module_address(if bonded { BONDED_POOL } else { NOT_BONDED_POOL })
}

pub fn pool_balance(ctx: &Ctx, bonded: bool) -> u128 {
    let denom = bond_denom(ctx);
    ctx.get_free(&crate::bank::state::balance_key(
        &pool_address(bonded),
        &denom,
    ))
    .map_or(0, |b| crate::bank::state::decode_amount(&b))
}

/// Moves `amount` of the bond denom between the pools when the bonded state changes.
pub fn move_between_pools(ctx: &mut Ctx, from_bonded: bool, amount: u128) -> SdkResult<()> {
    if amount == 0 {
        return Ok(());
    }
    let coins = [Coin::new(bond_denom(ctx), amount)];
    crate::bank::state::send(
        ctx,
        &pool_address(from_bonded),
        &pool_address(!from_bonded),
        &coins,
    )
}

/// Burns slashed tokens from a pool.
pub fn burn_from_pool(ctx: &mut Ctx, bonded: bool, amount: u128) -> SdkResult<()> {
    if amount == 0 {
        return Ok(());
    }
    let coins = [Coin::new(bond_denom(ctx), amount)];
    crate::bank::state::burn(ctx, &pool_address(bonded), &coins)
}

// ---- delegations ------------------------------------------------------------------------

fn del_key(del: &Address, op: &Address) -> Vec<u8> {
    [DEL, del.as_bytes(), op.as_bytes()].concat()
}

/// A delegation's shares (LegacyDec atomics), if it exists.
pub fn delegation(ctx: &Ctx, del: &Address, op: &Address) -> Option<u128> {
    ctx.get_free(&del_key(del, op)).map(|b| {
        atomics(
            &Delegation::decode(b.as_slice())
                .expect("stored delegation")
                .shares,
        )
        .expect("stored shares")
    })
}

pub fn set_delegation(ctx: &mut Ctx, del: &Address, op: &Address, shares: u128) -> SdkResult<()> {
    let d = Delegation {
        delegator_address: del.to_bech32(ACCOUNT_HRP),
        validator_address: op.to_bech32(VALOPER_HRP),
        shares: shares.to_string(),
    };
    ctx.set(del_key(del, op), d.encode_to_vec())?;
    ctx.set([DEL_BY_VAL, op.as_bytes(), del.as_bytes()].concat(), vec![])
}

fn remove_delegation(ctx: &mut Ctx, del: &Address, op: &Address) -> SdkResult<()> {
    ctx.delete(del_key(del, op))?;
    ctx.delete([DEL_BY_VAL, op.as_bytes(), del.as_bytes()].concat())
}

/// A delegator's delegations: (validator, shares), by validator address.
pub fn delegator_delegations(ctx: &Ctx, del: &Address) -> Vec<(Address, u128)> {
    let p = [DEL, del.as_bytes()].concat();
    ctx.prefix_free(&p)
        .into_iter()
        .map(|(k, v)| {
            (
                Address::from_slice(&k[p.len()..]).expect("stored address"),
                atomics(&Delegation::decode(v.as_slice()).expect("stored").shares)
                    .expect("stored shares"),
            )
        })
        .collect()
}

/// A validator's delegators, by delegator address.
pub fn validator_delegators(ctx: &Ctx, op: &Address) -> Vec<Address> {
    let p = [DEL_BY_VAL, op.as_bytes()].concat();
    ctx.prefix_free(&p)
        .into_iter()
        .map(|(k, _)| Address::from_slice(&k[p.len()..]).expect("stored address"))
        .collect()
}

pub fn delegation_proto(del: &Address, op: &Address, shares: u128) -> Delegation {
    Delegation {
        delegator_address: del.to_bech32(ACCOUNT_HRP),
        validator_address: op.to_bech32(VALOPER_HRP),
        shares: shares.to_string(),
    }
}

/// Where delegated tokens come from (`types.BondStatus` of the token source in the SDK).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    /// The delegator's account.
    Account,
    /// Already in the bonded pool (redelegation from a bonded validator).
    BondedPool,
    /// Already in the not-bonded pool (redelegation from an unbonding validator, cancelled
    /// unbonding).
    NotBondedPool,
}

/// `Keeper.Delegate`: adds `amount` to a delegation, moving the tokens into the pool that
/// matches the validator's status; returns the new shares.
pub fn delegate(
    ctx: &mut Ctx,
    del: &Address,
    amount: u128,
    source: TokenSource,
    val: &mut Val,
) -> SdkResult<u128> {
    if val.tokens == 0 && val.shares > 0 {
        return Err(e::delegator_share_ex_rate_invalid(val.valoper()));
    }
    let existing = delegation(ctx, del, &val.operator);
    if existing.is_some() {
        super::hooks::before_delegation_shares_modified(ctx, del, val)?;
    } else {
        super::hooks::before_delegation_created(ctx, del, val)?;
    }
    let to_bonded = val.is_bonded();
    match source {
        TokenSource::Account => {
            let coins = [Coin::new(bond_denom(ctx), amount)];
            crate::bank::state::send(ctx, del, &pool_address(to_bonded), &coins)?;
        }
        TokenSource::BondedPool if !to_bonded => move_between_pools(ctx, true, amount)?,
        TokenSource::NotBondedPool if to_bonded => move_between_pools(ctx, false, amount)?,
        _ => {}
    }
    let issued = val.add_tokens_from_del(amount)?;
    set_validator(ctx, val)?;
    let shares = existing
        .unwrap_or(0)
        .checked_add(issued)
        .expect("shares within range");
    set_delegation(ctx, del, &val.operator, shares)?;
    super::hooks::after_delegation_modified(ctx, del, val)?;
    Ok(issued)
}

/// `Keeper.ValidateUnbondAmount`: the shares to remove for `amount` tokens.
pub fn shares_for_amount(ctx: &Ctx, del: &Address, val: &Val, amount: u128) -> SdkResult<u128> {
    let held = delegation(ctx, del, &val.operator).ok_or_else(|| {
        e::no_delegation(format!(
            "{} has no delegation to {}",
            del.to_bech32(ACCOUNT_HRP),
            val.valoper()
        ))
    })?;
    let shares = val.shares_from_tokens(amount)?;
    let truncated = val.shares_from_tokens_truncated(amount)?;
    if truncated > held {
        return Err(SdkError::invalid_request(format!(
            "invalid shares amount: {amount} tokens are more than the {} tokens delegated",
            val.tokens_from_shares(held)
        )));
    }
    Ok(shares.min(held))
}

/// `Keeper.Unbond`: removes shares from a delegation and the validator; returns the tokens.
/// The operator's own delegation falling below its minimum jails the validator.
pub fn unbond(ctx: &mut Ctx, del: &Address, val: &mut Val, shares: u128) -> SdkResult<u128> {
    let held = delegation(ctx, del, &val.operator).ok_or_else(|| {
        e::no_delegation(format!(
            "{} has no delegation to {}",
            del.to_bech32(ACCOUNT_HRP),
            val.valoper()
        ))
    })?;
    if held < shares {
        return Err(e::not_enough_delegation_shares(format!(
            "{} held, {} asked",
            crate::dec::dec_string(held),
            crate::dec::dec_string(shares)
        )));
    }
    super::hooks::before_delegation_shares_modified(ctx, del, val)?;
    let left = held - shares;
    if *del == val.operator && !val.jailed && val.tokens_from_shares(left) < val.min_self_delegation
    {
        jail(ctx, val)?;
    }
    let amount = val.remove_del_shares(shares);
    set_validator(ctx, val)?;
    if left == 0 {
        remove_delegation(ctx, del, &val.operator)?;
        super::hooks::after_delegation_removed(ctx, del, val)?;
    } else {
        set_delegation(ctx, del, &val.operator, left)?;
        super::hooks::after_delegation_modified(ctx, del, val)?;
    }
    if val.shares == 0 && val.status == BondStatus::Unbonded {
        remove_validator(ctx, val)?;
    }
    Ok(amount)
}

/// Takes a validator out of the power index (it leaves the set at the next end block).
pub fn jail(ctx: &mut Ctx, val: &mut Val) -> SdkResult<()> {
    if !val.jailed {
        val.jailed = true;
        set_validator(ctx, val)?;
    }
    Ok(())
}

pub fn unjail(ctx: &mut Ctx, val: &mut Val) -> SdkResult<()> {
    if val.jailed {
        val.jailed = false;
        set_validator(ctx, val)?;
    }
    Ok(())
}

// ---- unbonding delegations --------------------------------------------------------------

fn ubd_key(del: &Address, op: &Address) -> Vec<u8> {
    [UBD, del.as_bytes(), op.as_bytes()].concat()
}

pub fn unbonding_delegation(ctx: &Ctx, del: &Address, op: &Address) -> Option<UnbondingDelegation> {
    ctx.get_free(&ubd_key(del, op))
        .map(|b| UnbondingDelegation::decode(b.as_slice()).expect("stored unbonding delegation"))
}

pub fn set_unbonding_delegation(
    ctx: &mut Ctx,
    del: &Address,
    op: &Address,
    u: &UnbondingDelegation,
) -> SdkResult<()> {
    if u.entries.is_empty() {
        ctx.delete(ubd_key(del, op))?;
        return ctx.delete([UBD_BY_VAL, op.as_bytes(), del.as_bytes()].concat());
    }
    ctx.set(ubd_key(del, op), u.encode_to_vec())?;
    ctx.set([UBD_BY_VAL, op.as_bytes(), del.as_bytes()].concat(), vec![])
}

pub fn delegator_unbondings(ctx: &Ctx, del: &Address) -> Vec<UnbondingDelegation> {
    ctx.prefix_free(&[UBD, del.as_bytes()].concat())
        .iter()
        .map(|(_, b)| UnbondingDelegation::decode(b.as_slice()).expect("stored"))
        .collect()
}

pub fn validator_unbondings(ctx: &Ctx, op: &Address) -> Vec<UnbondingDelegation> {
    let p = [UBD_BY_VAL, op.as_bytes()].concat();
    ctx.prefix_free(&p)
        .into_iter()
        .filter_map(|(k, _)| {
            let del = Address::from_slice(&k[p.len()..]).expect("stored address");
            unbonding_delegation(ctx, &del, op)
        })
        .collect()
}

pub fn enqueue_unbonding(
    ctx: &mut Ctx,
    at: BlockTime,
    del: &Address,
    op: &Address,
) -> SdkResult<()> {
    ctx.set(
        [Q_UBD, &time_key(at)[..], del.as_bytes(), op.as_bytes()].concat(),
        vec![],
    )
}

// ---- redelegations ----------------------------------------------------------------------

fn red_key(del: &Address, src: &Address, dst: &Address) -> Vec<u8> {
    [RED, del.as_bytes(), src.as_bytes(), dst.as_bytes()].concat()
}

pub fn redelegation(
    ctx: &Ctx,
    del: &Address,
    src: &Address,
    dst: &Address,
) -> Option<Redelegation> {
    ctx.get_free(&red_key(del, src, dst))
        .map(|b| Redelegation::decode(b.as_slice()).expect("stored redelegation"))
}

pub fn set_redelegation(
    ctx: &mut Ctx,
    del: &Address,
    src: &Address,
    dst: &Address,
    r: &Redelegation,
) -> SdkResult<()> {
    let index = [RED_BY_SRC, src.as_bytes(), del.as_bytes(), dst.as_bytes()].concat();
    if r.entries.is_empty() {
        ctx.delete(red_key(del, src, dst))?;
        return ctx.delete(index);
    }
    ctx.set(red_key(del, src, dst), r.encode_to_vec())?;
    ctx.set(index, vec![])
}

pub fn delegator_redelegations(ctx: &Ctx, del: &Address) -> Vec<Redelegation> {
    ctx.prefix_free(&[RED, del.as_bytes()].concat())
        .iter()
        .map(|(_, b)| Redelegation::decode(b.as_slice()).expect("stored"))
        .collect()
}

/// Redelegations out of `src`: (delegator, destination, record).
pub fn redelegations_from(ctx: &Ctx, src: &Address) -> Vec<(Address, Address, Redelegation)> {
    let p = [RED_BY_SRC, src.as_bytes()].concat();
    ctx.prefix_free(&p)
        .into_iter()
        .filter_map(|(k, _)| {
            let del = Address::from_slice(&k[p.len()..p.len() + 20]).expect("stored");
            let dst = Address::from_slice(&k[p.len() + 20..]).expect("stored");
            redelegation(ctx, &del, src, &dst).map(|r| (del, dst, r))
        })
        .collect()
}

/// Whether `del` has an unmatured redelegation into `val` (`HasReceivingRedelegation`).
pub fn has_receiving_redelegation(ctx: &Ctx, del: &Address, val: &Address) -> bool {
    let p = [RED, del.as_bytes()].concat();
    ctx.prefix_free(&p)
        .iter()
        .any(|(k, _)| &k[p.len() + 20..] == val.as_bytes())
}

pub fn enqueue_redelegation(
    ctx: &mut Ctx,
    at: BlockTime,
    del: &Address,
    src: &Address,
    dst: &Address,
) -> SdkResult<()> {
    ctx.set(
        [
            Q_RED,
            &time_key(at)[..],
            del.as_bytes(),
            src.as_bytes(),
            dst.as_bytes(),
        ]
        .concat(),
        vec![],
    )
}

pub fn enqueue_validator(ctx: &mut Ctx, at: BlockTime, op: &Address) -> SdkResult<()> {
    ctx.set([Q_VAL, &time_key(at)[..], op.as_bytes()].concat(), vec![])
}

pub fn dequeue_validator(ctx: &mut Ctx, at: BlockTime, op: &Address) -> SdkResult<()> {
    ctx.delete([Q_VAL, &time_key(at)[..], op.as_bytes()].concat())
}

/// Bonded tokens over the bond denom's total supply (`BondedRatio`), LegacyDec atomics.
pub fn bonded_ratio(ctx: &Ctx) -> u128 {
    let supply = crate::bank::state::supply_of(ctx, &bond_denom(ctx));
    if supply == 0 {
        return 0;
    }
    mul_div(pool_balance(ctx, true), DEC_ONE, supply).unwrap_or(0)
}
