//! audit genesis (`app_state.audit`): `{"providers": [AuditedProvider JSON]}`.

use super::state;
use crate::attributes::{validate_keys, AttributeJson};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use kumo_proto::akash::base::attributes::v1::Attribute;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub providers: Vec<AuditedProviderJson>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditedProviderJson {
    pub owner: String,
    pub auditor: String,
    #[serde(default)]
    pub attributes: Vec<AttributeJson>,
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    for r in &g.providers {
        let owner = parse_address("genesis audit owner", &r.owner)?;
        let auditor = parse_address("genesis auditor", &r.auditor)?;
        let attributes: Vec<Attribute> = r.attributes.iter().map(Into::into).collect();
        validate_keys(&attributes, false)?;
        if ctx.get_free(&state::audit_key(&owner, &auditor)).is_some() {
            return Err(SdkError::invalid_request(format!(
                "genesis lists the audit of {} by {} twice",
                r.owner, r.auditor
            )));
        }
        state::set_attributes(ctx, &owner, &auditor, attributes)?;
    }
    Ok(())
}

pub fn export(ctx: &Ctx) -> GenesisState {
    GenesisState {
        providers: ctx
            .prefix_free(state::audits_prefix())
            .iter()
            .map(|(k, v)| {
                let r = state::record_from_entry(k, v);
                AuditedProviderJson {
                    owner: r.owner,
                    auditor: r.auditor,
                    attributes: r.attributes.iter().map(Into::into).collect(),
                }
            })
            .collect(),
    }
}
