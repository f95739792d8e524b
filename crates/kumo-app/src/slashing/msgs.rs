//! slashing messages: `MsgUnjail` (by the operator, once the jail time is over) and
//! `MsgUpdateParams` (governance only).

use super::errors as e;
use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use crate::staking::state::{self as staking, VALOPER_HRP};
use cosmos_sdk_proto::cosmos::slashing::v1beta1::{
    MsgUnjail, MsgUnjailResponse, MsgUpdateParams, MsgUpdateParamsResponse, Params,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

pub const MSG_UNJAIL: &str = "/cosmos.slashing.v1beta1.MsgUnjail";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.slashing.v1beta1.MsgUpdateParams";

#[derive(Clone, Debug)]
pub enum SlashingMsg {
    Unjail { operator: Address },
    UpdateParams { authority: Address, params: Params },
}

impl ModuleMsg for SlashingMsg {
    const MODULE: &'static str = "slashing";

    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        Some(match any.type_url.as_str() {
            MSG_UNJAIL => decode_as::<MsgUnjail>(any).and_then(|m| {
                let operator =
                    Address::from_bech32(&m.validator_addr, VALOPER_HRP).map_err(|err| {
                        SdkError::invalid_address(format!(
                            "invalid validator address {:?}: {err}",
                            m.validator_addr
                        ))
                    })?;
                Ok(SlashingMsg::Unjail { operator })
            }),
            MSG_UPDATE_PARAMS => decode_as::<MsgUpdateParams>(any).and_then(|m| {
                let params = m
                    .params
                    .ok_or_else(|| SdkError::invalid_request("MsgUpdateParams has no params"))?;
                validate_params(&params)?;
                Ok(SlashingMsg::UpdateParams {
                    authority: crate::auth::parse_address("authority", &m.authority)?,
                    params,
                })
            }),
            _ => return None,
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            SlashingMsg::Unjail { .. } => MSG_UNJAIL,
            SlashingMsg::UpdateParams { .. } => MSG_UPDATE_PARAMS,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            SlashingMsg::Unjail { operator } => vec![*operator],
            SlashingMsg::UpdateParams { authority, .. } => vec![*authority],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            SlashingMsg::Unjail { operator } => {
                let mut val = staking::validator(ctx, operator)
                    .ok_or_else(|| e::no_validator_for_address(operator.to_bech32(VALOPER_HRP)))?;
                let own = staking::delegation(ctx, operator, operator)
                    .ok_or_else(|| e::missing_self_delegation(val.valoper()))?;
                let own_tokens = val.tokens_from_shares(own);
                if own_tokens < val.min_self_delegation {
                    return Err(e::self_delegation_too_low_to_unjail(format!(
                        "{own_tokens} less than {}",
                        val.min_self_delegation
                    )));
                }
                if !val.jailed {
                    return Err(e::validator_not_jailed(val.valoper()));
                }
                let info = signing_info(ctx, &val.cons_address())
                    .ok_or_else(|| e::no_signing_info_found(val.valoper()))?;
                if info.tombstoned {
                    return Err(e::validator_jailed(format!(
                        "{} was tombstoned for double signing",
                        val.valoper()
                    )));
                }
                let until = staking::from_timestamp(info.jailed_until.as_ref());
                if ctx.block.time < until {
                    return Err(e::validator_jailed(format!(
                        "jailed until {}",
                        kumo_proto::time::rfc3339_seconds(until.seconds)
                    )));
                }
                staking::unjail(ctx, &mut val)?;
                Ok(MsgUnjailResponse {}.encode_to_vec())
            }
            SlashingMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "slashing")?;
                set_params(ctx, params)?;
                Ok(MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}
