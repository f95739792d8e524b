//! take messages: `MsgUpdateParams`, governance only.

use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use kumo_proto::akash::take::v1::{MsgUpdateParams, MsgUpdateParamsResponse, Params};
use prost::Message;

pub const MSG_UPDATE_PARAMS: &str = "/akash.take.v1.MsgUpdateParams";

#[derive(Clone, Debug)]
pub enum TakeMsg {
    UpdateParams { authority: Address, params: Params },
}

pub fn check_update_params(m: &MsgUpdateParams) -> SdkResult<TakeMsg> {
    let authority = parse_address("authority", &m.authority)?;
    let params = m
        .params
        .clone()
        .ok_or_else(|| SdkError::invalid_request("MsgUpdateParams has no params"))?;
    super::state::validate(&params)?;
    Ok(TakeMsg::UpdateParams { authority, params })
}

impl ModuleMsg for TakeMsg {
    const MODULE: &'static str = "take";

    /// Decodes the take message `any` carries; `None` when the type URL is not take's.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        (any.type_url == MSG_UPDATE_PARAMS)
            .then(|| decode_as::<MsgUpdateParams>(any).and_then(|m| check_update_params(&m)))
    }

    fn type_url(&self) -> &'static str {
        MSG_UPDATE_PARAMS
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            TakeMsg::UpdateParams { authority, .. } => vec![*authority],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            TakeMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "take")?;
                super::state::set_params(ctx, params)?;
                Ok(MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}
