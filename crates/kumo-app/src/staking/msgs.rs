//! staking messages: decode + the SDK's ValidateBasic, then execution against state with the
//! SDK's error codes.

use super::errors as e;
use super::state::*;
use crate::abci::Event;
use crate::auth::parse_address;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::dec::atomics;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    BondStatus, Description, MsgBeginRedelegate, MsgBeginRedelegateResponse,
    MsgCancelUnbondingDelegation, MsgCancelUnbondingDelegationResponse, MsgCreateValidator,
    MsgCreateValidatorResponse, MsgDelegate, MsgDelegateResponse, MsgEditValidator,
    MsgEditValidatorResponse, MsgUndelegate, MsgUndelegateResponse, MsgUpdateParams,
    MsgUpdateParamsResponse, Params, RedelegationEntry, UnbondingDelegation,
    UnbondingDelegationEntry,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;
use prost::Message;

pub const MSG_CREATE_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgCreateValidator";
pub const MSG_EDIT_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgEditValidator";
pub const MSG_DELEGATE: &str = "/cosmos.staking.v1beta1.MsgDelegate";
pub const MSG_UNDELEGATE: &str = "/cosmos.staking.v1beta1.MsgUndelegate";
pub const MSG_BEGIN_REDELEGATE: &str = "/cosmos.staking.v1beta1.MsgBeginRedelegate";
pub const MSG_CANCEL_UNBONDING: &str = "/cosmos.staking.v1beta1.MsgCancelUnbondingDelegation";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.staking.v1beta1.MsgUpdateParams";
pub const DO_NOT_MODIFY: &str = "[do-not-modify]";
const DAY: i64 = 86_400;

#[derive(Clone, Debug)]
pub enum StakingMsg {
    CreateValidator {
        operator: Address,
        pubkey: [u8; 32],
        description: Description,
        rate: u128,
        max_rate: u128,
        max_change_rate: u128,
        min_self_delegation: u128,
        value: Coin,
    },
    EditValidator {
        operator: Address,
        description: Description,
        rate: Option<u128>,
        min_self_delegation: Option<u128>,
    },
    Delegate {
        delegator: Address,
        validator: Address,
        amount: Coin,
    },
    Undelegate {
        delegator: Address,
        validator: Address,
        amount: Coin,
    },
    BeginRedelegate {
        delegator: Address,
        src: Address,
        dst: Address,
        amount: Coin,
    },
    CancelUnbonding {
        delegator: Address,
        validator: Address,
        amount: Coin,
        creation_height: i64,
    },
    UpdateParams {
        authority: Address,
        params: Params,
    },
}

fn valoper(field: &str, s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(e::empty_validator_addr(format!("{field} is empty")));
    }
    Address::from_bech32(s, VALOPER_HRP).map_err(|err| {
        SdkError::invalid_address(format!(
            "invalid {field} {s:?}: {err}; expected akashvaloper1..."
        ))
    })
}

fn delegator(s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(e::empty_delegator_addr(""));
    }
    parse_address("delegator", s)
}

fn positive_coin(
    c: Option<&cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> SdkResult<Coin> {
    let c =
        c.ok_or_else(|| SdkError::invalid_request(format!("invalid {what} amount: missing")))?;
    let c = Coin::from_proto(c)?;
    if c.amount == 0 {
        return Err(SdkError::invalid_request(format!(
            "invalid {what} amount: {c} must be positive"
        )));
    }
    Ok(c)
}

fn rate(s: &str, what: &str) -> SdkResult<u128> {
    atomics(s).ok_or_else(|| {
        SdkError::invalid_request(format!(
            "{what} {s:?} is not a LegacyDec (18-decimal atomics such as 100000000000000000 = 0.1)"
        ))
    })
}

fn positive_int(s: &str, what: &str) -> SdkResult<u128> {
    match s.parse::<u128>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(SdkError::invalid_request(format!(
            "{what} {s:?} must be a positive integer"
        ))),
    }
}

/// `Description.EnsureLength`.
fn check_description(d: &Description) -> SdkResult<()> {
    for (name, v, max) in [
        ("moniker", &d.moniker, 70),
        ("identity", &d.identity, 3000),
        ("website", &d.website, 140),
        ("security contact", &d.security_contact, 140),
        ("details", &d.details, 280),
    ] {
        if v.len() > max {
            return Err(SdkError::invalid_request(format!(
                "invalid {name} length; got: {}, max: {max}",
                v.len()
            )));
        }
    }
    Ok(())
}

/// `CommissionRates.Validate`.
pub fn check_commission(rate: u128, max_rate: u128, max_change_rate: u128) -> SdkResult<()> {
    if max_rate > DEC_ONE {
        return Err(e::commission_huge(format!(
            "max rate {}",
            crate::dec::dec_string(max_rate)
        )));
    }
    if rate > max_rate {
        return Err(e::commission_gt_max_rate(format!(
            "rate {} > max rate {}",
            crate::dec::dec_string(rate),
            crate::dec::dec_string(max_rate)
        )));
    }
    if max_change_rate > max_rate {
        return Err(e::commission_change_rate_gt_max_rate(format!(
            "max change rate {} > max rate {}",
            crate::dec::dec_string(max_change_rate),
            crate::dec::dec_string(max_rate)
        )));
    }
    Ok(())
}

fn check_create(m: &MsgCreateValidator) -> SdkResult<StakingMsg> {
    let operator = valoper("validator address", &m.validator_address)?;
    let pubkey = pubkey_from_any(m.pubkey.as_ref())?;
    let value = positive_coin(m.value.as_ref(), "delegation")?;
    let description = m
        .description
        .clone()
        .filter(|d| d != &Description::default())
        .ok_or_else(|| SdkError::invalid_request("empty description"))?;
    check_description(&description)?;
    let c = m.commission.clone().ok_or_else(|| {
        SdkError::invalid_request("commission rates are missing (rate, max_rate, max_change_rate)")
    })?;
    let (r, max, change) = (
        rate(&c.rate, "commission rate")?,
        rate(&c.max_rate, "commission max rate")?,
        rate(&c.max_change_rate, "commission max change rate")?,
    );
    check_commission(r, max, change)?;
    let min_self_delegation = positive_int(&m.min_self_delegation, "minimum self delegation")?;
    if value.amount < min_self_delegation {
        return Err(e::self_delegation_below_minimum(format!(
            "self delegation {} is below the minimum {min_self_delegation}",
            value.amount
        )));
    }
    Ok(StakingMsg::CreateValidator {
        operator,
        pubkey,
        description,
        rate: r,
        max_rate: max,
        max_change_rate: change,
        min_self_delegation,
        value,
    })
}

fn check_bond_denom(ctx: &Ctx, c: &Coin) -> SdkResult<()> {
    let denom = bond_denom(ctx);
    if c.denom != denom {
        return Err(SdkError::invalid_request(format!(
            "invalid coin denomination: got {}, expected {denom}",
            c.denom
        )));
    }
    Ok(())
}

impl ModuleMsg for StakingMsg {
    const MODULE: &'static str = "staking";

    /// Decodes the staking message `any` carries; `None` when the type URL is not staking's.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        let url = any.type_url.as_str();
        let m = if url == MSG_CREATE_VALIDATOR {
            decode_as::<MsgCreateValidator>(any).and_then(|m| check_create(&m))
        } else if url == MSG_EDIT_VALIDATOR {
            decode_as::<MsgEditValidator>(any).and_then(|m| {
                check_description(m.description.as_ref().unwrap_or(&Description::default()))?;
                let rate = if m.commission_rate.is_empty() {
                    None
                } else {
                    let r = rate(&m.commission_rate, "commission rate")?;
                    if r > DEC_ONE {
                        return Err(e::commission_huge(""));
                    }
                    Some(r)
                };
                let msd = if m.min_self_delegation.is_empty() {
                    None
                } else {
                    Some(positive_int(
                        &m.min_self_delegation,
                        "minimum self delegation",
                    )?)
                };
                Ok(StakingMsg::EditValidator {
                    operator: valoper("validator address", &m.validator_address)?,
                    description: m.description.unwrap_or_default(),
                    rate,
                    min_self_delegation: msd,
                })
            })
        } else if url == MSG_DELEGATE {
            decode_as::<MsgDelegate>(any).and_then(|m| {
                Ok(StakingMsg::Delegate {
                    delegator: delegator(&m.delegator_address)?,
                    validator: valoper("validator address", &m.validator_address)?,
                    amount: positive_coin(m.amount.as_ref(), "delegation")?,
                })
            })
        } else if url == MSG_UNDELEGATE {
            decode_as::<MsgUndelegate>(any).and_then(|m| {
                Ok(StakingMsg::Undelegate {
                    delegator: delegator(&m.delegator_address)?,
                    validator: valoper("validator address", &m.validator_address)?,
                    amount: positive_coin(m.amount.as_ref(), "shares")?,
                })
            })
        } else if url == MSG_BEGIN_REDELEGATE {
            decode_as::<MsgBeginRedelegate>(any).and_then(|m| {
                Ok(StakingMsg::BeginRedelegate {
                    delegator: delegator(&m.delegator_address)?,
                    src: valoper("source validator address", &m.validator_src_address)?,
                    dst: valoper("destination validator address", &m.validator_dst_address)?,
                    amount: positive_coin(m.amount.as_ref(), "shares")?,
                })
            })
        } else if url == MSG_CANCEL_UNBONDING {
            decode_as::<MsgCancelUnbondingDelegation>(any).and_then(|m| {
                if m.creation_height <= 0 {
                    return Err(SdkError::invalid_request(
                        "invalid height: creation_height must be positive",
                    ));
                }
                Ok(StakingMsg::CancelUnbonding {
                    delegator: delegator(&m.delegator_address)?,
                    validator: valoper("validator address", &m.validator_address)?,
                    amount: positive_coin(m.amount.as_ref(), "amount")?,
                    creation_height: m.creation_height,
                })
            })
        } else if url == MSG_UPDATE_PARAMS {
            decode_as::<MsgUpdateParams>(any).and_then(|m| {
                let params = m
                    .params
                    .ok_or_else(|| SdkError::invalid_request("MsgUpdateParams has no params"))?;
                validate_params(&params)?;
                Ok(StakingMsg::UpdateParams {
                    authority: parse_address("authority", &m.authority)?,
                    params,
                })
            })
        } else {
            return None;
        };
        Some(m)
    }

    fn type_url(&self) -> &'static str {
        match self {
            StakingMsg::CreateValidator { .. } => MSG_CREATE_VALIDATOR,
            StakingMsg::EditValidator { .. } => MSG_EDIT_VALIDATOR,
            StakingMsg::Delegate { .. } => MSG_DELEGATE,
            StakingMsg::Undelegate { .. } => MSG_UNDELEGATE,
            StakingMsg::BeginRedelegate { .. } => MSG_BEGIN_REDELEGATE,
            StakingMsg::CancelUnbonding { .. } => MSG_CANCEL_UNBONDING,
            StakingMsg::UpdateParams { .. } => MSG_UPDATE_PARAMS,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            StakingMsg::CreateValidator { operator, .. }
            | StakingMsg::EditValidator { operator, .. } => vec![*operator],
            StakingMsg::Delegate { delegator, .. }
            | StakingMsg::Undelegate { delegator, .. }
            | StakingMsg::BeginRedelegate { delegator, .. }
            | StakingMsg::CancelUnbonding { delegator, .. } => vec![*delegator],
            StakingMsg::UpdateParams { authority, .. } => vec![*authority],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            StakingMsg::CreateValidator {
                operator,
                pubkey,
                description,
                rate,
                max_rate,
                max_change_rate,
                min_self_delegation,
                value,
            } => {
                if validator(ctx, operator).is_some() {
                    return Err(e::validator_owner_exists(operator.to_bech32(VALOPER_HRP)));
                }
                if validator_by_cons(ctx, &cons_address(pubkey)).is_some() {
                    return Err(e::validator_pubkey_exists(""));
                }
                check_bond_denom(ctx, value)?;
                let min = min_commission(ctx);
                if *rate < min {
                    return Err(e::commission_lt_min_rate(format!(
                        "cannot set validator commission to less than minimum rate of {}",
                        crate::dec::dec_string(min)
                    )));
                }
                let mut val = Val {
                    operator: *operator,
                    cons_pubkey: *pubkey,
                    jailed: false,
                    status: BondStatus::Unbonded,
                    tokens: 0,
                    shares: 0,
                    description: description.clone(),
                    unbonding_height: 0,
                    unbonding_time: Default::default(),
                    rate: *rate,
                    max_rate: *max_rate,
                    max_change_rate: *max_change_rate,
                    commission_updated: ctx.block.time,
                    min_self_delegation: *min_self_delegation,
                };
                set_validator(ctx, &val)?;
                super::hooks::after_validator_created(ctx, &val)?;
                delegate(ctx, operator, value.amount, TokenSource::Account, &mut val)?;
                ctx.emit(
                    Event::new("create_validator")
                        .attr("validator", val.valoper())
                        .attr("amount", value.to_string()),
                );
                Ok(MsgCreateValidatorResponse {}.encode_to_vec())
            }
            StakingMsg::EditValidator {
                operator,
                description,
                rate,
                min_self_delegation,
            } => {
                let mut val = must_validator(ctx, operator)?;
                let keep = |new: &str, old: &str| {
                    if new == DO_NOT_MODIFY {
                        old.to_string()
                    } else {
                        new.to_string()
                    }
                };
                let old = val.description.clone();
                val.description = Description {
                    moniker: keep(&description.moniker, &old.moniker),
                    identity: keep(&description.identity, &old.identity),
                    website: keep(&description.website, &old.website),
                    security_contact: keep(&description.security_contact, &old.security_contact),
                    details: keep(&description.details, &old.details),
                };
                check_description(&val.description)?;
                if let Some(new_rate) = rate {
                    let now = ctx.block.time;
                    if now.seconds - val.commission_updated.seconds < DAY {
                        return Err(e::commission_update_time(format!(
                            "last change at {}",
                            kumo_proto::time::rfc3339_seconds(val.commission_updated.seconds)
                        )));
                    }
                    let min = min_commission(ctx);
                    if *new_rate < min {
                        return Err(e::commission_lt_min_rate(format!(
                            "cannot set validator commission to less than minimum rate of {}",
                            crate::dec::dec_string(min)
                        )));
                    }
                    if *new_rate > val.max_rate {
                        return Err(e::commission_gt_max_rate(format!(
                            "rate {} > max rate {}",
                            crate::dec::dec_string(*new_rate),
                            crate::dec::dec_string(val.max_rate)
                        )));
                    }
                    if new_rate.abs_diff(val.rate) > val.max_change_rate {
                        return Err(e::commission_gt_max_change_rate(format!(
                            "change {} -> {} exceeds {} per day",
                            crate::dec::dec_string(val.rate),
                            crate::dec::dec_string(*new_rate),
                            crate::dec::dec_string(val.max_change_rate)
                        )));
                    }
                    val.rate = *new_rate;
                    val.commission_updated = now;
                }
                if let Some(msd) = min_self_delegation {
                    if *msd <= val.min_self_delegation {
                        return Err(e::min_self_delegation_decreased(format!(
                            "{msd} is not above the current {}",
                            val.min_self_delegation
                        )));
                    }
                    if *msd > val.tokens {
                        return Err(e::self_delegation_below_minimum(format!(
                            "the validator has {} tokens, below the new minimum {msd}",
                            val.tokens
                        )));
                    }
                    val.min_self_delegation = *msd;
                }
                set_validator(ctx, &val)?;
                ctx.emit(
                    Event::new("edit_validator")
                        .attr("commission_rate", crate::dec::dec_string(val.rate))
                        .attr("min_self_delegation", val.min_self_delegation.to_string()),
                );
                Ok(MsgEditValidatorResponse {}.encode_to_vec())
            }
            StakingMsg::Delegate {
                delegator,
                validator: op,
                amount,
            } => {
                let mut val = must_validator(ctx, op)?;
                check_bond_denom(ctx, amount)?;
                let shares = delegate(
                    ctx,
                    delegator,
                    amount.amount,
                    TokenSource::Account,
                    &mut val,
                )?;
                ctx.emit(
                    Event::new("delegate")
                        .attr("validator", val.valoper())
                        .attr("delegator", delegator.to_bech32(ACCOUNT_HRP))
                        .attr("amount", amount.to_string())
                        .attr("new_shares", crate::dec::dec_string(shares)),
                );
                Ok(MsgDelegateResponse {}.encode_to_vec())
            }
            StakingMsg::Undelegate {
                delegator,
                validator: op,
                amount,
            } => {
                check_bond_denom(ctx, amount)?;
                let mut val = must_validator(ctx, op)?;
                let p = params(ctx);
                let mut ubd = unbonding_delegation(ctx, delegator, op).unwrap_or_else(|| {
                    UnbondingDelegation {
                        delegator_address: delegator.to_bech32(ACCOUNT_HRP),
                        validator_address: op.to_bech32(VALOPER_HRP),
                        entries: vec![],
                    }
                });
                if ubd.entries.len() >= p.max_entries as usize {
                    return Err(e::max_unbonding_delegation_entries(format!(
                        "{} entries already; wait for one to complete",
                        ubd.entries.len()
                    )));
                }
                let shares = shares_for_amount(ctx, delegator, &val, amount.amount)?;
                let was_bonded = val.is_bonded();
                let tokens = unbond(ctx, delegator, &mut val, shares)?;
                if tokens == 0 {
                    return Err(e::tiny_redelegation_amount(""));
                }
                if was_bonded {
                    move_between_pools(ctx, true, tokens)?;
                }
                let (s, n) = unbonding_seconds(&p);
                let completion = add_duration(ctx.block.time, s, n);
                ubd.entries.push(UnbondingDelegationEntry {
                    creation_height: ctx.block.height as i64,
                    completion_time: Some(to_timestamp(completion)),
                    initial_balance: tokens.to_string(),
                    balance: tokens.to_string(),
                    unbonding_id: 0,
                    unbonding_on_hold_ref_count: 0,
                });
                set_unbonding_delegation(ctx, delegator, op, &ubd)?;
                enqueue_unbonding(ctx, completion, delegator, op)?;
                let paid = Coin::new(amount.denom.clone(), tokens);
                ctx.emit(
                    Event::new("unbond")
                        .attr("validator", op.to_bech32(VALOPER_HRP))
                        .attr("delegator", delegator.to_bech32(ACCOUNT_HRP))
                        .attr("amount", paid.to_string())
                        .attr(
                            "completion_time",
                            kumo_proto::time::rfc3339_seconds(completion.seconds),
                        ),
                );
                Ok(MsgUndelegateResponse {
                    completion_time: Some(to_timestamp(completion)),
                    amount: Some(paid.to_proto()),
                }
                .encode_to_vec())
            }
            StakingMsg::BeginRedelegate {
                delegator,
                src,
                dst,
                amount,
            } => {
                check_bond_denom(ctx, amount)?;
                if src == dst {
                    return Err(e::self_redelegation(""));
                }
                let mut dst_val = validator(ctx, dst)
                    .ok_or_else(|| e::bad_redelegation_dst(dst.to_bech32(VALOPER_HRP)))?;
                let mut src_val = validator(ctx, src)
                    .ok_or_else(|| e::bad_redelegation_src(src.to_bech32(VALOPER_HRP)))?;
                if has_receiving_redelegation(ctx, delegator, src) {
                    return Err(e::transitive_redelegation(""));
                }
                let p = params(ctx);
                let mut red = redelegation(ctx, delegator, src, dst).unwrap_or_else(|| {
                    cosmos_sdk_proto::cosmos::staking::v1beta1::Redelegation {
                        delegator_address: delegator.to_bech32(ACCOUNT_HRP),
                        validator_src_address: src.to_bech32(VALOPER_HRP),
                        validator_dst_address: dst.to_bech32(VALOPER_HRP),
                        entries: vec![],
                    }
                });
                if red.entries.len() >= p.max_entries as usize {
                    return Err(e::max_redelegation_entries(format!(
                        "{} entries already; wait for one to complete",
                        red.entries.len()
                    )));
                }
                let shares = shares_for_amount(ctx, delegator, &src_val, amount.amount)?;
                let src_status = src_val.status;
                let src_unbonding_time = src_val.unbonding_time;
                let tokens = unbond(ctx, delegator, &mut src_val, shares)?;
                if tokens == 0 {
                    return Err(e::tiny_redelegation_amount(""));
                }
                // The destination may have been the source's only delegator's target; reload.
                dst_val = must_validator(ctx, &dst_val.operator)?;
                let source = if src_status == BondStatus::Bonded {
                    TokenSource::BondedPool
                } else {
                    TokenSource::NotBondedPool
                };
                let shares_dst = delegate(ctx, delegator, tokens, source, &mut dst_val)?;
                let (s, n) = unbonding_seconds(&p);
                let completion = match src_status {
                    BondStatus::Bonded => Some(add_duration(ctx.block.time, s, n)),
                    BondStatus::Unbonding if src_unbonding_time > ctx.block.time => {
                        Some(src_unbonding_time)
                    }
                    _ => None,
                };
                let completion_time = completion.unwrap_or(ctx.block.time);
                if let Some(at) = completion {
                    red.entries.push(RedelegationEntry {
                        creation_height: ctx.block.height as i64,
                        completion_time: Some(to_timestamp(at)),
                        initial_balance: tokens.to_string(),
                        shares_dst: shares_dst.to_string(),
                        unbonding_id: 0,
                        unbonding_on_hold_ref_count: 0,
                    });
                    set_redelegation(ctx, delegator, src, dst, &red)?;
                    enqueue_redelegation(ctx, at, delegator, src, dst)?;
                }
                ctx.emit(
                    Event::new("redelegate")
                        .attr("source_validator", src.to_bech32(VALOPER_HRP))
                        .attr("destination_validator", dst.to_bech32(VALOPER_HRP))
                        .attr(
                            "amount",
                            Coin::new(amount.denom.clone(), tokens).to_string(),
                        )
                        .attr(
                            "completion_time",
                            kumo_proto::time::rfc3339_seconds(completion_time.seconds),
                        ),
                );
                Ok(MsgBeginRedelegateResponse {
                    completion_time: Some(to_timestamp(completion_time)),
                }
                .encode_to_vec())
            }
            StakingMsg::CancelUnbonding {
                delegator,
                validator: op,
                amount,
                creation_height,
            } => {
                check_bond_denom(ctx, amount)?;
                let mut val = must_validator(ctx, op)?;
                if val.jailed {
                    return Err(e::validator_jailed(val.valoper()));
                }
                let mut ubd = unbonding_delegation(ctx, delegator, op).ok_or_else(|| {
                    e::no_unbonding_delegation(format!(
                        "{} has no unbonding delegation from {}",
                        delegator.to_bech32(ACCOUNT_HRP),
                        val.valoper()
                    ))
                })?;
                let i = ubd
                    .entries
                    .iter()
                    .position(|en| en.creation_height == *creation_height)
                    .ok_or_else(|| {
                        SdkError::invalid_request(format!(
                            "unbonding delegation entry is not found at block height {creation_height}"
                        ))
                    })?;
                let en = &ubd.entries[i];
                if from_timestamp(en.completion_time.as_ref()) <= ctx.block.time {
                    return Err(SdkError::invalid_request(
                        "unbonding delegation is already processed",
                    ));
                }
                let balance: u128 = en.balance.parse().unwrap_or(0);
                if amount.amount > balance {
                    return Err(SdkError::invalid_request(format!(
                        "amount {} is greater than the unbonding delegation entry balance {balance}",
                        amount.amount
                    )));
                }
                delegate(
                    ctx,
                    delegator,
                    amount.amount,
                    TokenSource::NotBondedPool,
                    &mut val,
                )?;
                let left = balance - amount.amount;
                if left == 0 {
                    ubd.entries.remove(i);
                } else {
                    let en = &mut ubd.entries[i];
                    let initial: u128 = en.initial_balance.parse().unwrap_or(0);
                    en.balance = left.to_string();
                    en.initial_balance = initial.saturating_sub(amount.amount).to_string();
                }
                set_unbonding_delegation(ctx, delegator, op, &ubd)?;
                ctx.emit(
                    Event::new("cancel_unbonding_delegation")
                        .attr("validator", val.valoper())
                        .attr("delegator", delegator.to_bech32(ACCOUNT_HRP))
                        .attr("amount", amount.to_string())
                        .attr("creation_height", creation_height.to_string()),
                );
                Ok(MsgCancelUnbondingDelegationResponse {}.encode_to_vec())
            }
            StakingMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "staking")?;
                set_params(ctx, params)?;
                Ok(MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}
