//! provider genesis (`app_state.provider`): `{"providers": [Provider JSON]}`, each checked
//! like a MsgCreateProvider.

use super::{errors, msgs, state};
use crate::attributes::{validate_keys, AttributeJson};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use kumo_proto::akash::provider::v1beta4::{Info, Provider};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub providers: Vec<ProviderJson>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderJson {
    pub owner: String,
    pub host_uri: String,
    #[serde(default)]
    pub attributes: Vec<AttributeJson>,
    #[serde(default)]
    pub info: InfoJson,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoJson {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub website: String,
}

impl From<&ProviderJson> for Provider {
    fn from(p: &ProviderJson) -> Provider {
        Provider {
            owner: p.owner.clone(),
            host_uri: p.host_uri.clone(),
            attributes: p.attributes.iter().map(Into::into).collect(),
            info: Some(Info {
                email: p.info.email.clone(),
                website: p.info.website.clone(),
            }),
        }
    }
}

impl From<&Provider> for ProviderJson {
    fn from(p: &Provider) -> ProviderJson {
        let info = p.info.clone().unwrap_or_default();
        ProviderJson {
            owner: p.owner.clone(),
            host_uri: p.host_uri.clone(),
            attributes: p.attributes.iter().map(Into::into).collect(),
            info: InfoJson {
                email: info.email,
                website: info.website,
            },
        }
    }
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    for pj in &g.providers {
        let p = Provider::from(pj);
        let owner = parse_address("genesis provider owner", &p.owner)?;
        validate_keys(&p.attributes, false)?;
        if let Some(info) = &p.info {
            msgs::validate_info(info)?;
        }
        msgs::validate_host_uri(&p.host_uri)?;
        if state::get(ctx, &owner).is_some() {
            return Err(errors::provider_exists(format!(
                "genesis lists provider {} twice",
                p.owner
            )));
        }
        state::set(ctx, &owner, &p)?;
    }
    Ok(())
}

/// The module's state in genesis layout (ascending by owner address bytes).
pub fn export(ctx: &Ctx) -> GenesisState {
    GenesisState {
        providers: state::all(ctx).iter().map(Into::into).collect(),
    }
}
