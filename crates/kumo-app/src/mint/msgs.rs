//! mint messages: `MsgUpdateParams`, governance only.

use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::cosmos::mint::v1beta1::{MsgUpdateParams, MsgUpdateParamsResponse, Params};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

pub const MSG_UPDATE_PARAMS: &str = "/cosmos.mint.v1beta1.MsgUpdateParams";

#[derive(Clone, Debug)]
pub enum MintMsg {
    UpdateParams { authority: Address, params: Params },
}

impl ModuleMsg for MintMsg {
    const MODULE: &'static str = "mint";

    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        (any.type_url == MSG_UPDATE_PARAMS).then(|| {
            let m = decode_as::<MsgUpdateParams>(any)?;
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

    fn type_url(&self) -> &'static str {
        MSG_UPDATE_PARAMS
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            MintMsg::UpdateParams { authority, .. } => vec![*authority],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            MintMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "mint")?;
                super::state::set_params(ctx, params)?;
                Ok(MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}
