//! `cosmos.staking.v1beta1.Query`: validators, delegations, unbondings, redelegations, pool and
//! params, paginated the SDK way.

use super::state::*;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::staking::v1beta1::*;
use kumo_crypto::{Address, ACCOUNT_HRP};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Validators" => validators(ctx, data),
        "Validator" => decode_req::<QueryValidatorRequest>(data).and_then(|r| {
            let v = must_val(ctx, &r.validator_addr)?;
            Ok(QueryValidatorResponse {
                validator: Some(v.to_proto()),
            }
            .encode_to_vec())
        }),
        "ValidatorDelegations" => {
            decode_req::<QueryValidatorDelegationsRequest>(data).and_then(|r| {
                let v = must_val(ctx, &r.validator_addr)?;
                let entries: Vec<(Vec<u8>, Vec<u8>)> = validator_delegators(ctx, &v.operator)
                    .into_iter()
                    .map(|d| (d.as_bytes().to_vec(), vec![]))
                    .collect();
                let (page, pagination) = paginate(&entries, b"", r.pagination.as_ref())?;
                let delegation_responses = page
                    .iter()
                    .map(|(k, _)| {
                        let del = Address::from_slice(k).expect("address");
                        let shares = delegation(ctx, &del, &v.operator).unwrap_or(0);
                        delegation_response(ctx, &del, &v, shares)
                    })
                    .collect();
                Ok(QueryValidatorDelegationsResponse {
                    delegation_responses,
                    pagination: Some(pagination),
                }
                .encode_to_vec())
            })
        }
        "ValidatorUnbondingDelegations" => {
            decode_req::<QueryValidatorUnbondingDelegationsRequest>(data).and_then(|r| {
                let v = must_val(ctx, &r.validator_addr)?;
                let list = validator_unbondings(ctx, &v.operator);
                let (unbonding_responses, pagination) = page_of(list, r.pagination.as_ref())?;
                Ok(QueryValidatorUnbondingDelegationsResponse {
                    unbonding_responses,
                    pagination: Some(pagination),
                }
                .encode_to_vec())
            })
        }
        "Delegation" => decode_req::<QueryDelegationRequest>(data).and_then(|r| {
            let del = account(&r.delegator_addr)?;
            let v = must_val(ctx, &r.validator_addr)?;
            let shares = delegation(ctx, &del, &v.operator).ok_or_else(|| {
                SdkError::not_found(format!(
                    "delegation with delegator {} not found for validator {}",
                    r.delegator_addr, r.validator_addr
                ))
            })?;
            Ok(QueryDelegationResponse {
                delegation_response: Some(delegation_response(ctx, &del, &v, shares)),
            }
            .encode_to_vec())
        }),
        "UnbondingDelegation" => {
            decode_req::<QueryUnbondingDelegationRequest>(data).and_then(|r| {
                let del = account(&r.delegator_addr)?;
                let op = valoper(&r.validator_addr)?;
                let unbond = unbonding_delegation(ctx, &del, &op).ok_or_else(|| {
                    SdkError::not_found(format!(
                        "unbonding delegation with delegator {} not found for validator {}",
                        r.delegator_addr, r.validator_addr
                    ))
                })?;
                Ok(QueryUnbondingDelegationResponse {
                    unbond: Some(unbond),
                }
                .encode_to_vec())
            })
        }
        "DelegatorDelegations" => {
            decode_req::<QueryDelegatorDelegationsRequest>(data).and_then(|r| {
                let del = account(&r.delegator_addr)?;
                let list: Vec<DelegationResponse> = delegator_delegations(ctx, &del)
                    .into_iter()
                    .filter_map(|(op, shares)| {
                        validator(ctx, &op).map(|v| delegation_response(ctx, &del, &v, shares))
                    })
                    .collect();
                let (delegation_responses, pagination) = page_of(list, r.pagination.as_ref())?;
                Ok(QueryDelegatorDelegationsResponse {
                    delegation_responses,
                    pagination: Some(pagination),
                }
                .encode_to_vec())
            })
        }
        "DelegatorUnbondingDelegations" => {
            decode_req::<QueryDelegatorUnbondingDelegationsRequest>(data).and_then(|r| {
                let del = account(&r.delegator_addr)?;
                let list = delegator_unbondings(ctx, &del);
                let (unbonding_responses, pagination) = page_of(list, r.pagination.as_ref())?;
                Ok(QueryDelegatorUnbondingDelegationsResponse {
                    unbonding_responses,
                    pagination: Some(pagination),
                }
                .encode_to_vec())
            })
        }
        "Redelegations" => redelegations(ctx, data),
        "DelegatorValidators" => {
            decode_req::<QueryDelegatorValidatorsRequest>(data).and_then(|r| {
                let del = account(&r.delegator_addr)?;
                let list: Vec<Validator> = delegator_delegations(ctx, &del)
                    .into_iter()
                    .filter_map(|(op, _)| validator(ctx, &op).map(|v| v.to_proto()))
                    .collect();
                let (validators, pagination) = page_of(list, r.pagination.as_ref())?;
                Ok(QueryDelegatorValidatorsResponse {
                    validators,
                    pagination: Some(pagination),
                }
                .encode_to_vec())
            })
        }
        "DelegatorValidator" => decode_req::<QueryDelegatorValidatorRequest>(data).and_then(|r| {
            let del = account(&r.delegator_addr)?;
            let v = must_val(ctx, &r.validator_addr)?;
            if delegation(ctx, &del, &v.operator).is_none() {
                return Err(SdkError::not_found(format!(
                    "{} has no delegation to {}",
                    r.delegator_addr, r.validator_addr
                )));
            }
            Ok(QueryDelegatorValidatorResponse {
                validator: Some(v.to_proto()),
            }
            .encode_to_vec())
        }),
        "Pool" => Ok(QueryPoolResponse {
            pool: Some(Pool {
                not_bonded_tokens: pool_balance(ctx, false).to_string(),
                bonded_tokens: pool_balance(ctx, true).to_string(),
            }),
        }
        .encode_to_vec()),
        "Params" => Ok(QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec()),
        _ => return None,
    })
}

fn account(s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(SdkError::bad_query("delegator address cannot be empty"));
    }
    crate::auth::parse_address("delegator", s).map_err(|e| SdkError::bad_query(e.log))
}

fn valoper(s: &str) -> SdkResult<Address> {
    if s.is_empty() {
        return Err(SdkError::bad_query("validator address cannot be empty"));
    }
    Address::from_bech32(s, VALOPER_HRP)
        .map_err(|e| SdkError::bad_query(format!("invalid validator address {s:?}: {e}")))
}

fn must_val(ctx: &Ctx, s: &str) -> SdkResult<Val> {
    let op = valoper(s)?;
    validator(ctx, &op).ok_or_else(|| SdkError::not_found(format!("validator {s} not found")))
}

pub fn delegation_response(ctx: &Ctx, del: &Address, v: &Val, shares: u128) -> DelegationResponse {
    DelegationResponse {
        delegation: Some(delegation_proto(del, &v.operator, shares)),
        balance: Some(Coin::new(bond_denom(ctx), v.tokens_from_shares(shares)).to_proto()),
    }
}

/// Pages an already ordered list by offset or by its position as key.
fn page_of<T: Clone>(
    list: Vec<T>,
    req: Option<&PageRequest>,
) -> SdkResult<(
    Vec<T>,
    cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse,
)> {
    let entries: Vec<(Vec<u8>, Vec<u8>)> = (0..list.len() as u64)
        .map(|i| (i.to_be_bytes().to_vec(), vec![]))
        .collect();
    let (page, resp) = paginate(&entries, b"", req)?;
    let items = page
        .iter()
        .map(|(k, _)| {
            list[u64::from_be_bytes(k.as_slice().try_into().expect("8 bytes")) as usize].clone()
        })
        .collect();
    Ok((items, resp))
}

fn validators(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let r: QueryValidatorsRequest = decode_req(data)?;
    let status = if r.status.is_empty() {
        None
    } else {
        Some(BondStatus::from_str_name(&r.status).ok_or_else(|| {
            SdkError::bad_query(format!(
                "invalid validator status {}; use BOND_STATUS_BONDED, BOND_STATUS_UNBONDING or BOND_STATUS_UNBONDED",
                r.status
            ))
        })?)
    };
    let entries: Vec<(Vec<u8>, Vec<u8>)> = ctx
        .prefix_free(validators_prefix())
        .into_iter()
        .filter(|(_, b)| {
            status.is_none_or(|s| Validator::decode(b.as_slice()).map(|v| v.status) == Ok(s as i32))
        })
        .collect();
    let (page, pagination) = paginate(&entries, validators_prefix(), r.pagination.as_ref())?;
    Ok(QueryValidatorsResponse {
        validators: page
            .iter()
            .map(|(_, b)| Validator::decode(b.as_slice()).expect("stored validator"))
            .collect(),
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn redelegations(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let r: QueryRedelegationsRequest = decode_req(data)?;
    let list: Vec<Redelegation> = if !r.delegator_addr.is_empty() {
        let del = account(&r.delegator_addr)?;
        let src = (!r.src_validator_addr.is_empty())
            .then(|| valoper(&r.src_validator_addr))
            .transpose()?;
        let dst = (!r.dst_validator_addr.is_empty())
            .then(|| valoper(&r.dst_validator_addr))
            .transpose()?;
        let all = delegator_redelegations(ctx, &del);
        let list: Vec<Redelegation> = all
            .into_iter()
            .filter(|red| {
                src.is_none_or(|s| red.validator_src_address == s.to_bech32(VALOPER_HRP))
                    && dst.is_none_or(|d| red.validator_dst_address == d.to_bech32(VALOPER_HRP))
            })
            .collect();
        if list.is_empty() && src.is_some() && dst.is_some() {
            return Err(SdkError::not_found(format!(
                "redelegation not found for delegator address {} from validator address {}",
                r.delegator_addr, r.src_validator_addr
            )));
        }
        list
    } else if !r.src_validator_addr.is_empty() {
        let src = valoper(&r.src_validator_addr)?;
        redelegations_from(ctx, &src)
            .into_iter()
            .map(|(_, _, red)| red)
            .collect()
    } else {
        return Err(SdkError::bad_query(
            "give a delegator address, a source validator address, or both",
        ));
    };
    let (page, pagination) = page_of(list, r.pagination.as_ref())?;
    let denom_ctx = &*ctx;
    let redelegation_responses = page
        .into_iter()
        .map(|red| {
            let dst = Address::from_bech32(&red.validator_dst_address, VALOPER_HRP)
                .expect("stored address");
            let dst_val = validator(denom_ctx, &dst);
            let entries = red
                .entries
                .iter()
                .map(|en| RedelegationEntryResponse {
                    redelegation_entry: Some(en.clone()),
                    balance: dst_val
                        .as_ref()
                        .map(|v| {
                            v.tokens_from_shares(crate::dec::atomics(&en.shares_dst).unwrap_or(0))
                        })
                        .unwrap_or(0)
                        .to_string(),
                })
                .collect();
            RedelegationResponse {
                redelegation: Some(red),
                entries,
            }
        })
        .collect();
    let _ = ACCOUNT_HRP;
    Ok(QueryRedelegationsResponse {
        redelegation_responses,
        pagination: Some(pagination),
    }
    .encode_to_vec())
}
