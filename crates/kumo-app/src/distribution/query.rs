//! `cosmos.distribution.v1beta1.Query`: params, a validator's outstanding rewards and
//! commission, a delegation's rewards (computed as a withdrawal would, on a scratch state),
//! the delegator's validators and withdraw address, a validator's slash events, the community
//! pool.

use super::rewards::*;
use super::state::*;
use crate::ctx::Ctx;
use crate::dec::{self, dec_coins_to_proto, DecCoins};
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use crate::staking::state::{self as staking, VALOPER_HRP};
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1::*;
use kumo_crypto::{Address, ACCOUNT_HRP};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "CommunityPool" => decode_req::<QueryCommunityPoolRequest>(data).map(|_| {
            QueryCommunityPoolResponse {
                pool: community_pool(ctx)
                    .into_iter()
                    .map(|(denom, a)| DecCoin {
                        denom,
                        amount: a.to_string(),
                    })
                    .collect(),
            }
            .encode_to_vec()
        }),
        "Params" => Ok(QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec()),
        "ValidatorOutstandingRewards" => {
            decode_req::<QueryValidatorOutstandingRewardsRequest>(data).and_then(|r| {
                let op = existing_validator(ctx, &r.validator_address)?;
                Ok(QueryValidatorOutstandingRewardsResponse {
                    rewards: Some(ValidatorOutstandingRewards {
                        rewards: dec_coins_to_proto(&outstanding(ctx, &op)),
                    }),
                }
                .encode_to_vec())
            })
        }
        "ValidatorCommission" => {
            decode_req::<QueryValidatorCommissionRequest>(data).and_then(|r| {
                let op = existing_validator(ctx, &r.validator_address)?;
                Ok(QueryValidatorCommissionResponse {
                    commission: Some(ValidatorAccumulatedCommission {
                        commission: dec_coins_to_proto(&commission(ctx, &op)),
                    }),
                }
                .encode_to_vec())
            })
        }
        "DelegationRewards" => decode_req::<QueryDelegationRewardsRequest>(data).and_then(|r| {
            let del = account(&r.delegator_address)?;
            let op = existing_validator(ctx, &r.validator_address)?;
            let rewards = pending_rewards(ctx, &del, &op)?;
            Ok(QueryDelegationRewardsResponse {
                rewards: dec_coins_to_proto(&rewards),
            }
            .encode_to_vec())
        }),
        "DelegationTotalRewards" => decode_req::<QueryDelegationTotalRewardsRequest>(data)
            .and_then(|r| {
                let del = account(&r.delegator_address)?;
                let mut total = DecCoins::new();
                let mut rewards = vec![];
                for (op, _) in staking::delegator_delegations(ctx, &del) {
                    let reward = pending_rewards(ctx, &del, &op)?;
                    dec::add_dec_coins(&mut total, &reward);
                    rewards.push(DelegationDelegatorReward {
                        validator_address: op.to_bech32(VALOPER_HRP),
                        reward: dec_coins_to_proto(&reward),
                    });
                }
                Ok(QueryDelegationTotalRewardsResponse {
                    rewards,
                    total: dec_coins_to_proto(&total),
                }
                .encode_to_vec())
            }),
        "DelegatorValidators" => {
            decode_req::<QueryDelegatorValidatorsRequest>(data).and_then(|r| {
                let del = account(&r.delegator_address)?;
                Ok(QueryDelegatorValidatorsResponse {
                    validators: staking::delegator_delegations(ctx, &del)
                        .into_iter()
                        .map(|(op, _)| op.to_bech32(VALOPER_HRP))
                        .collect(),
                }
                .encode_to_vec())
            })
        }
        "ValidatorSlashes" => decode_req::<QueryValidatorSlashesRequest>(data).and_then(|r| {
            if r.ending_height < r.starting_height {
                return Err(SdkError::bad_query(format!(
                    "starting height {} is greater than ending height {}",
                    r.starting_height, r.ending_height
                )));
            }
            let op = existing_validator(ctx, &r.validator_address)?;
            let entries = slash_event_entries(ctx, &op, r.starting_height, r.ending_height);
            let (page, pagination) = paginate(&entries, b"", r.pagination.as_ref())?;
            let slashes = page
                .iter()
                .map(|(_, v)| ValidatorSlashEvent::decode(v.as_slice()).expect("stored"))
                .collect();
            Ok(QueryValidatorSlashesResponse {
                slashes,
                pagination: Some(pagination),
            }
            .encode_to_vec())
        }),
        "DelegatorWithdrawAddress" => decode_req::<QueryDelegatorWithdrawAddressRequest>(data)
            .and_then(|r| {
                let del = account(&r.delegator_address)?;
                Ok(QueryDelegatorWithdrawAddressResponse {
                    withdraw_address: withdraw_address(ctx, &del).to_bech32(ACCOUNT_HRP),
                }
                .encode_to_vec())
            }),
        _ => return None,
    })
}

fn account(s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(SdkError::bad_query("empty delegator address"));
    }
    crate::auth::parse_address("delegator", s).map_err(|e| SdkError::bad_query(e.log))
}

fn existing_validator(ctx: &Ctx, s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(SdkError::bad_query("empty validator address"));
    }
    let op = Address::from_bech32(s, VALOPER_HRP)
        .map_err(|e| SdkError::bad_query(format!("invalid validator address {s:?}: {e}")))?;
    if staking::validator(ctx, &op).is_none() {
        return Err(super::errors::no_validator_exists(s));
    }
    Ok(op)
}

/// What a withdrawal would pay now, computed on the query's scratch state (its writes are
/// thrown away with it).
pub fn pending_rewards(ctx: &mut Ctx, del: &Address, op: &Address) -> SdkResult<DecCoins> {
    let v = staking::must_validator(ctx, op)?;
    let Some(shares) = staking::delegation(ctx, del, op) else {
        return Err(super::errors::no_delegation_exists(format!(
            "{} has no delegation to {}",
            del.to_bech32(ACCOUNT_HRP),
            v.valoper()
        )));
    };
    ctx.push_layer();
    let end = increment_validator_period(ctx, &v);
    let rewards = end.map(|end| delegation_rewards(ctx, &v, del, shares, end));
    ctx.discard_layer();
    rewards
}
