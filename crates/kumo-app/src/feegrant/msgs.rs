//! feegrant messages: `MsgGrantAllowance` (granter lets grantee's txs pay fees from the
//! granter's balance), `MsgRevokeAllowance` (granter takes it back) and `MsgPruneAllowances`
//! (anyone removes expired allowances).

use super::allowance::Allowance;
use super::events::prune_event;
use super::state;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::cosmos::feegrant::v1beta1::{
    MsgGrantAllowance, MsgGrantAllowanceResponse, MsgPruneAllowances, MsgPruneAllowancesResponse,
    MsgRevokeAllowance, MsgRevokeAllowanceResponse,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

pub const MSG_GRANT_ALLOWANCE: &str = "/cosmos.feegrant.v1beta1.MsgGrantAllowance";
pub const MSG_REVOKE_ALLOWANCE: &str = "/cosmos.feegrant.v1beta1.MsgRevokeAllowance";
pub const MSG_PRUNE_ALLOWANCES: &str = "/cosmos.feegrant.v1beta1.MsgPruneAllowances";

#[derive(Clone, Debug)]
pub enum FeegrantMsg {
    Grant {
        granter: Address,
        grantee: Address,
        allowance: Allowance,
    },
    Revoke {
        granter: Address,
        grantee: Address,
    },
    Prune {
        pruner: Address,
    },
}

pub fn check_grant(m: &MsgGrantAllowance) -> SdkResult<FeegrantMsg> {
    if m.granter.eq_ignore_ascii_case(&m.grantee) {
        return Err(SdkError::invalid_address(
            "cannot self-grant fee authorization",
        ));
    }
    let granter = parse_address("granter", &m.granter)?;
    let grantee = parse_address("grantee", &m.grantee)?;
    let any = m
        .allowance
        .as_ref()
        .ok_or_else(|| super::errors::no_allowance("failed to get allowance"))?;
    let allowance = Allowance::from_any(any)?;
    allowance.validate()?;
    Ok(FeegrantMsg::Grant {
        granter,
        grantee,
        allowance,
    })
}

pub fn check_revoke(m: &MsgRevokeAllowance) -> SdkResult<FeegrantMsg> {
    if m.granter == m.grantee {
        return Err(SdkError::invalid_address("addresses must be different"));
    }
    Ok(FeegrantMsg::Revoke {
        granter: parse_address("granter", &m.granter)?,
        grantee: parse_address("grantee", &m.grantee)?,
    })
}

impl ModuleMsg for FeegrantMsg {
    const MODULE: &'static str = "feegrant";

    /// Decodes the feegrant message `any` carries; `None` when the type URL is not feegrant's.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        Some(match any.type_url.as_str() {
            MSG_GRANT_ALLOWANCE => {
                decode_as::<MsgGrantAllowance>(any).and_then(|m| check_grant(&m))
            }
            MSG_REVOKE_ALLOWANCE => {
                decode_as::<MsgRevokeAllowance>(any).and_then(|m| check_revoke(&m))
            }
            MSG_PRUNE_ALLOWANCES => decode_as::<MsgPruneAllowances>(any).and_then(|m| {
                Ok(FeegrantMsg::Prune {
                    pruner: parse_address("pruner", &m.pruner)?,
                })
            }),
            _ => return None,
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            FeegrantMsg::Grant { .. } => MSG_GRANT_ALLOWANCE,
            FeegrantMsg::Revoke { .. } => MSG_REVOKE_ALLOWANCE,
            FeegrantMsg::Prune { .. } => MSG_PRUNE_ALLOWANCES,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            FeegrantMsg::Grant { granter, .. } | FeegrantMsg::Revoke { granter, .. } => {
                vec![*granter]
            }
            FeegrantMsg::Prune { pruner } => vec![*pruner],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            FeegrantMsg::Grant {
                granter,
                grantee,
                allowance,
            } => {
                if ctx.get(&state::allowance_key(granter, grantee))?.is_some() {
                    return Err(SdkError::invalid_request("fee allowance already exists"));
                }
                state::grant_allowance(ctx, granter, grantee, allowance.clone(), false)?;
                Ok(MsgGrantAllowanceResponse {}.encode_to_vec())
            }
            FeegrantMsg::Revoke { granter, grantee } => {
                state::revoke(ctx, granter, grantee)?;
                Ok(MsgRevokeAllowanceResponse {}.encode_to_vec())
            }
            FeegrantMsg::Prune { pruner } => {
                state::remove_expired(ctx, state::MSG_PRUNE_LIMIT)?;
                ctx.emit(prune_event(pruner));
                Ok(MsgPruneAllowancesResponse {}.encode_to_vec())
            }
        }
    }
}
