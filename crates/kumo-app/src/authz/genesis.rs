//! authz genesis (`app_state.authz`): `{"authorization": [GrantAuthorization JSON]}`, each
//! `{granter, grantee, authorization: {"@type": …, …}, expiration: RFC 3339 or null}`.

use super::authorization::{any_from_json, any_to_json, Authorization};
use super::state::{self, GRANT_PREFIX};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::authz::v1beta1::Grant;
use kumo_crypto::ACCOUNT_HRP;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub authorization: Vec<GrantAuthorizationJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantAuthorizationJson {
    pub granter: String,
    pub grantee: String,
    pub authorization: serde_json::Value,
    #[serde(default)]
    pub expiration: Option<String>,
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    for r in &g.authorization {
        let granter = parse_address("genesis authz granter", &r.granter)?;
        let grantee = parse_address("genesis authz grantee", &r.grantee)?;
        let any = any_from_json(&r.authorization)?;
        let url = Authorization::from_any(&any)?.msg_type_url();
        let expiration = r
            .expiration
            .as_deref()
            .map(kumo_proto::time::parse_rfc3339)
            .transpose()
            .map_err(|e| SdkError::invalid_request(format!("genesis authz expiration: {e}")))?;
        if ctx
            .get_free(&state::grant_key(&granter, &grantee, &url))
            .is_some()
        {
            return Err(SdkError::invalid_request(format!(
                "genesis lists the grant from {} to {} for {url} twice",
                r.granter, r.grantee
            )));
        }
        let grant = Grant {
            authorization: Some(any),
            expiration,
        };
        state::save_grant(ctx, &granter, &grantee, &url, &grant)?;
    }
    Ok(())
}

/// Every stored grant (expired ones included: nothing has pruned them yet).
pub fn export(ctx: &Ctx) -> SdkResult<GenesisState> {
    let mut authorization = Vec::new();
    for (k, v) in ctx.prefix_free(GRANT_PREFIX) {
        let (granter, grantee, _) = state::split_key(GRANT_PREFIX, &k)
            .ok_or_else(|| SdkError::invalid_type("malformed authz grant key"))?;
        let g = state::decode_grant(&v)?;
        let any = g
            .authorization
            .ok_or_else(|| SdkError::invalid_type("stored grant without authorization"))?;
        authorization.push(GrantAuthorizationJson {
            granter: granter.to_bech32(ACCOUNT_HRP),
            grantee: grantee.to_bech32(ACCOUNT_HRP),
            authorization: any_to_json(&any)?,
            expiration: g
                .expiration
                .map(|t| kumo_proto::time::timestamp_rfc3339(&t)),
        });
    }
    Ok(GenesisState { authorization })
}
