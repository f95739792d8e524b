//! mint messages: `MsgUpdateParams`, governance only.

use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::mint::v1beta1::{MsgUpdateParams, MsgUpdateParamsResponse, Params};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

pub const MSG_UPDATE_PARAMS: &str = "/cosmos.mint.v1beta1.MsgUpdateParams";

#[derive(Clone, Debug)]
pub enum MintMsg {
    UpdateParams { authority: Address, params: Params },
}

pub fn decode(any: &Any) -> Option<SdkResult<MintMsg>> {
    (any.type_url == MSG_UPDATE_PARAMS).then(|| {
        let m = MsgUpdateParams::decode(any.value.as_slice())
            .map_err(|e| SdkError::tx_decode(format!("cannot decode {}: {e}", any.type_url)))?;
        let params = m
            .params
            .ok_or_else(|| SdkError::invalid_request("MsgUpdateParams has no params"))?;
        super::state::validate_params(&params)?;
        Ok(MintMsg::UpdateParams {
            authority: parse_address("authority", &m.authority)?,
            params,
        })
    })
}

impl MintMsg {
    pub fn type_url(&self) -> &'static str {
        MSG_UPDATE_PARAMS
    }

    pub fn signers(&self) -> Vec<Address> {
        match self {
            MintMsg::UpdateParams { authority, .. } => vec![*authority],
        }
    }

    pub fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            MintMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "mint")?;
                super::state::set_params(ctx, params)?;
                Ok(MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}
