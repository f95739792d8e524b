//! distribution messages: withdraw rewards and commission, set the withdraw address, fund and
//! (by governance) spend the community pool, update params (by governance).

use super::errors as e;
use super::rewards::*;
use super::state::*;
use crate::abci::Event;
use crate::auth::parse_address;
use crate::coins::{coins_from_proto, coins_to_string, Coin};
use crate::ctx::Ctx;
use crate::dec;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use crate::staking::state::{self as staking, VALOPER_HRP};
use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    MsgCommunityPoolSpend, MsgCommunityPoolSpendResponse, MsgFundCommunityPool,
    MsgFundCommunityPoolResponse, MsgSetWithdrawAddress, MsgSetWithdrawAddressResponse,
    MsgUpdateParams, MsgUpdateParamsResponse, MsgWithdrawDelegatorReward,
    MsgWithdrawDelegatorRewardResponse, MsgWithdrawValidatorCommission,
    MsgWithdrawValidatorCommissionResponse, Params,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use prost::Message;

pub const MSG_SET_WITHDRAW_ADDRESS: &str = "/cosmos.distribution.v1beta1.MsgSetWithdrawAddress";
pub const MSG_WITHDRAW_DELEGATOR_REWARD: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward";
pub const MSG_WITHDRAW_VALIDATOR_COMMISSION: &str =
    "/cosmos.distribution.v1beta1.MsgWithdrawValidatorCommission";
pub const MSG_FUND_COMMUNITY_POOL: &str = "/cosmos.distribution.v1beta1.MsgFundCommunityPool";
pub const MSG_COMMUNITY_POOL_SPEND: &str = "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.distribution.v1beta1.MsgUpdateParams";

#[derive(Clone, Debug)]
pub enum DistributionMsg {
    SetWithdrawAddress {
        delegator: Address,
        to: Address,
    },
    WithdrawDelegatorReward {
        delegator: Address,
        validator: Address,
    },
    WithdrawValidatorCommission {
        validator: Address,
    },
    FundCommunityPool {
        depositor: Address,
        amount: Vec<Coin>,
    },
    CommunityPoolSpend {
        authority: Address,
        recipient: Address,
        amount: Vec<Coin>,
    },
    UpdateParams {
        authority: Address,
        params: Params,
    },
}

fn valoper(s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(e::empty_validator_addr(""));
    }
    Address::from_bech32(s, VALOPER_HRP)
        .map_err(|err| SdkError::invalid_address(format!("invalid validator address {s:?}: {err}")))
}

fn delegator(s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(e::empty_delegator_addr(""));
    }
    parse_address("delegator", s)
}

fn positive_coins(
    v: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
    what: &str,
) -> SdkResult<Vec<Coin>> {
    let coins = coins_from_proto(v)?;
    if coins.is_empty() || coins.iter().any(|c| c.amount == 0) {
        return Err(SdkError::invalid_coins(format!("{what} must be positive")));
    }
    Ok(coins)
}

/// Module accounts do not take external funds (`BlockedAddrs`).
fn is_blocked(addr: &Address) -> bool {
    crate::auth::MODULE_ACCOUNTS
        .iter()
        .any(|(name, _)| crate::auth::module_address(name) == *addr)
}

impl ModuleMsg for DistributionMsg {
    const MODULE: &'static str = "distribution";

    /// Decodes the distribution message `any` carries; `None` when the type URL is not ours.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        Some(match any.type_url.as_str() {
            MSG_SET_WITHDRAW_ADDRESS => decode_as::<MsgSetWithdrawAddress>(any).and_then(|m| {
                if m.withdraw_address.is_empty() {
                    return Err(e::empty_withdraw_addr(""));
                }
                Ok(DistributionMsg::SetWithdrawAddress {
                    delegator: delegator(&m.delegator_address)?,
                    to: parse_address("withdraw", &m.withdraw_address)?,
                })
            }),
            MSG_WITHDRAW_DELEGATOR_REWARD => {
                decode_as::<MsgWithdrawDelegatorReward>(any).and_then(|m| {
                    Ok(DistributionMsg::WithdrawDelegatorReward {
                        delegator: delegator(&m.delegator_address)?,
                        validator: valoper(&m.validator_address)?,
                    })
                })
            }
            MSG_WITHDRAW_VALIDATOR_COMMISSION => decode_as::<MsgWithdrawValidatorCommission>(any)
                .and_then(|m| {
                    Ok(DistributionMsg::WithdrawValidatorCommission {
                        validator: valoper(&m.validator_address)?,
                    })
                }),
            MSG_FUND_COMMUNITY_POOL => decode_as::<MsgFundCommunityPool>(any).and_then(|m| {
                Ok(DistributionMsg::FundCommunityPool {
                    depositor: parse_address("depositor", &m.depositor)?,
                    amount: positive_coins(&m.amount, "amount")?,
                })
            }),
            MSG_COMMUNITY_POOL_SPEND => decode_as::<MsgCommunityPoolSpend>(any).and_then(|m| {
                Ok(DistributionMsg::CommunityPoolSpend {
                    authority: parse_address("authority", &m.authority)?,
                    recipient: parse_address("recipient", &m.recipient)?,
                    amount: positive_coins(&m.amount, "amount")?,
                })
            }),
            MSG_UPDATE_PARAMS => decode_as::<MsgUpdateParams>(any).and_then(|m| {
                let params = m
                    .params
                    .ok_or_else(|| SdkError::invalid_request("MsgUpdateParams has no params"))?;
                validate_params(&params)?;
                Ok(DistributionMsg::UpdateParams {
                    authority: parse_address("authority", &m.authority)?,
                    params,
                })
            }),
            _ => return None,
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            DistributionMsg::SetWithdrawAddress { .. } => MSG_SET_WITHDRAW_ADDRESS,
            DistributionMsg::WithdrawDelegatorReward { .. } => MSG_WITHDRAW_DELEGATOR_REWARD,
            DistributionMsg::WithdrawValidatorCommission { .. } => {
                MSG_WITHDRAW_VALIDATOR_COMMISSION
            }
            DistributionMsg::FundCommunityPool { .. } => MSG_FUND_COMMUNITY_POOL,
            DistributionMsg::CommunityPoolSpend { .. } => MSG_COMMUNITY_POOL_SPEND,
            DistributionMsg::UpdateParams { .. } => MSG_UPDATE_PARAMS,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            DistributionMsg::SetWithdrawAddress { delegator, .. }
            | DistributionMsg::WithdrawDelegatorReward { delegator, .. } => vec![*delegator],
            DistributionMsg::WithdrawValidatorCommission { validator } => vec![*validator],
            DistributionMsg::FundCommunityPool { depositor, .. } => vec![*depositor],
            DistributionMsg::CommunityPoolSpend { authority, .. }
            | DistributionMsg::UpdateParams { authority, .. } => vec![*authority],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            DistributionMsg::SetWithdrawAddress { delegator, to } => {
                if !params(ctx).withdraw_addr_enabled {
                    return Err(e::set_withdraw_addr_disabled(""));
                }
                if is_blocked(to) {
                    return Err(SdkError::unauthorized(format!(
                        "{} is not allowed to receive external funds",
                        to.to_bech32(ACCOUNT_HRP)
                    )));
                }
                set_withdraw_address(ctx, delegator, to)?;
                ctx.emit(
                    Event::new("set_withdraw_address")
                        .attr("withdraw_address", to.to_bech32(ACCOUNT_HRP)),
                );
                Ok(MsgSetWithdrawAddressResponse {}.encode_to_vec())
            }
            DistributionMsg::WithdrawDelegatorReward {
                delegator,
                validator,
            } => {
                let v = staking::validator(ctx, validator)
                    .ok_or_else(|| e::no_validator_exists(validator.to_bech32(VALOPER_HRP)))?;
                if staking::delegation(ctx, delegator, validator).is_none() {
                    return Err(e::empty_delegation_dist_info(format!(
                        "{} has no delegation to {}",
                        delegator.to_bech32(ACCOUNT_HRP),
                        v.valoper()
                    )));
                }
                let coins = withdraw_delegation_rewards(ctx, &v, delegator)?;
                initialize_delegation(ctx, &v, delegator)?;
                Ok(MsgWithdrawDelegatorRewardResponse {
                    amount: coins.iter().map(Coin::to_proto).collect(),
                }
                .encode_to_vec())
            }
            DistributionMsg::WithdrawValidatorCommission { validator } => {
                if staking::validator(ctx, validator).is_none() {
                    return Err(e::no_validator_exists(validator.to_bech32(VALOPER_HRP)));
                }
                let coins = withdraw_commission(ctx, validator)?;
                Ok(MsgWithdrawValidatorCommissionResponse {
                    amount: coins.iter().map(Coin::to_proto).collect(),
                }
                .encode_to_vec())
            }
            DistributionMsg::FundCommunityPool { depositor, amount } => {
                crate::bank::state::send(
                    ctx,
                    depositor,
                    &crate::auth::module_address(MODULE_NAME),
                    amount,
                )?;
                add_to_community_pool(ctx, &dec::dec_coins_from_coins(amount))?;
                Ok(MsgFundCommunityPoolResponse {}.encode_to_vec())
            }
            DistributionMsg::CommunityPoolSpend {
                authority,
                recipient,
                amount,
            } => {
                crate::auth::ensure_gov_authority(
                    authority,
                    "community pool spends and distribution",
                )?;
                if is_blocked(recipient) {
                    return Err(SdkError::unauthorized(format!(
                        "{} is not allowed to receive funds",
                        recipient.to_bech32(ACCOUNT_HRP)
                    )));
                }
                let mut pool: dec::DecCoins = community_pool(ctx).into_iter().collect();
                let spend = dec::dec_coins_from_coins(amount);
                for (denom, a) in &spend {
                    if pool.get(denom).copied().unwrap_or(0) < *a {
                        return Err(e::bad_distribution(format!(
                            "the pool holds {} of {denom}, the spend asks {}",
                            dec::dec_string(pool.get(denom).copied().unwrap_or(0)),
                            dec::dec_string(*a)
                        )));
                    }
                }
                dec::sub_dec_coins(&mut pool, &spend);
                set_community_pool(ctx, &pool)?;
                crate::bank::state::send(
                    ctx,
                    &crate::auth::module_address(MODULE_NAME),
                    recipient,
                    amount,
                )?;
                ctx.emit(
                    Event::new("community_pool_spend")
                        .attr("recipient", recipient.to_bech32(ACCOUNT_HRP))
                        .attr("amount", coins_to_string(amount)),
                );
                Ok(MsgCommunityPoolSpendResponse {}.encode_to_vec())
            }
            DistributionMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "distribution")?;
                set_params(ctx, params)?;
                Ok(MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}
