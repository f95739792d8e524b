//! audit messages: sign (merge) and delete provider attributes; the signer is the auditor.

use super::{errors, state};
use crate::abci::Event;
use crate::attributes::validate_keys;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use kumo_proto::akash::audit::v1::{
    EventTrustedAuditorCreated, EventTrustedAuditorDeleted, MsgDeleteProviderAttributes,
    MsgDeleteProviderAttributesResponse, MsgSignProviderAttributes,
    MsgSignProviderAttributesResponse,
};
use kumo_proto::akash::base::attributes::v1::Attribute;
use prost::Message;
use std::collections::BTreeMap;

pub const MSG_SIGN_PROVIDER_ATTRIBUTES: &str = "/akash.audit.v1.MsgSignProviderAttributes";
pub const MSG_DELETE_PROVIDER_ATTRIBUTES: &str = "/akash.audit.v1.MsgDeleteProviderAttributes";

#[derive(Clone, Debug)]
pub enum AuditMsg {
    Sign(Sign),
    Delete(Delete),
}

#[derive(Clone, Debug)]
pub struct Sign {
    pub owner: Address,
    pub auditor: Address,
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug)]
pub struct Delete {
    pub owner: Address,
    pub auditor: Address,
    /// Empty: delete the whole record.
    pub keys: Vec<String>,
}

impl ModuleMsg for AuditMsg {
    const MODULE: &'static str = "audit";

    /// Decodes and checks the audit messages; `None` for type URLs this module does not own.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        let url = any.type_url.as_str();
        Some(if url == MSG_SIGN_PROVIDER_ATTRIBUTES {
            decode_as::<MsgSignProviderAttributes>(any).and_then(|m| {
                let owner = parse_address("provider (owner)", &m.owner)?;
                let auditor = parse_address("auditor", &m.auditor)?;
                validate_keys(&m.attributes, false)?;
                Ok(AuditMsg::Sign(Sign {
                    owner,
                    auditor,
                    attributes: m.attributes,
                }))
            })
        } else if url == MSG_DELETE_PROVIDER_ATTRIBUTES {
            decode_as::<MsgDeleteProviderAttributes>(any).and_then(|m| {
                let owner = parse_address("provider (owner)", &m.owner)?;
                let auditor = parse_address("auditor", &m.auditor)?;
                Ok(AuditMsg::Delete(Delete {
                    owner,
                    auditor,
                    keys: m.keys,
                }))
            })
        } else {
            return None;
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            AuditMsg::Sign(_) => MSG_SIGN_PROVIDER_ATTRIBUTES,
            AuditMsg::Delete(_) => MSG_DELETE_PROVIDER_ATTRIBUTES,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            AuditMsg::Sign(m) => vec![m.auditor],
            AuditMsg::Delete(m) => vec![m.auditor],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            AuditMsg::Sign(m) => sign(ctx, m),
            AuditMsg::Delete(m) => delete(ctx, m),
        }
    }
}

fn event_ids(owner: &Address, auditor: &Address) -> (String, String) {
    (owner.to_string(), auditor.to_string())
}

/// Merges: signed keys overwrite the auditor's earlier values, other keys stay.
fn sign(ctx: &mut Ctx, m: &Sign) -> SdkResult<Vec<u8>> {
    let mut merged: BTreeMap<String, String> = state::get_attributes(ctx, &m.owner, &m.auditor)?
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.key, a.value))
        .collect();
    for a in &m.attributes {
        merged.insert(a.key.clone(), a.value.clone());
    }
    let attributes = merged
        .into_iter()
        .map(|(key, value)| Attribute { key, value })
        .collect();
    state::set_attributes(ctx, &m.owner, &m.auditor, attributes)?;
    let (owner, auditor) = event_ids(&m.owner, &m.auditor);
    ctx.emit(Event::typed(&EventTrustedAuditorCreated { owner, auditor }));
    Ok(MsgSignProviderAttributesResponse {}.encode_to_vec())
}

/// Removes the listed keys (all of them when none are listed); an emptied record is deleted.
fn delete(ctx: &mut Ctx, m: &Delete) -> SdkResult<Vec<u8>> {
    let Some(mut attributes) = state::get_attributes(ctx, &m.owner, &m.auditor)? else {
        return Err(errors::provider_not_found(format!(
            "auditor {} has no attributes signed for provider {}",
            m.auditor, m.owner
        )));
    };
    if m.keys.is_empty() {
        attributes.clear();
    }
    for key in &m.keys {
        let before = attributes.len();
        attributes.retain(|a| &a.key != key);
        if attributes.len() == before {
            return Err(errors::attribute_not_found(format!(
                "auditor {} has not signed attribute {key:?} for provider {}",
                m.auditor, m.owner
            )));
        }
    }
    state::set_attributes(ctx, &m.owner, &m.auditor, attributes)?;
    let (owner, auditor) = event_ids(&m.owner, &m.auditor);
    ctx.emit(Event::typed(&EventTrustedAuditorDeleted { owner, auditor }));
    Ok(MsgDeleteProviderAttributesResponse {}.encode_to_vec())
}

#[cfg(test)]
mod type_url_tests {
    use super::*;
    use prost::Name;

    #[test]
    fn constants_are_the_proto_type_urls() {
        assert_eq!(
            MSG_SIGN_PROVIDER_ATTRIBUTES,
            MsgSignProviderAttributes::type_url()
        );
        assert_eq!(
            MSG_DELETE_PROVIDER_ATTRIBUTES,
            MsgDeleteProviderAttributes::type_url()
        );
    }
}
