//! feegrant genesis (`app_state.feegrant`): `{"allowances": [{granter, grantee, allowance:
//! {"@type": …, …}}]}`, the SDK's `GenesisState` in proto-JSON.

use super::allowance::{from_json, to_json};
use super::state;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub allowances: Vec<GrantJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantJson {
    pub granter: String,
    pub grantee: String,
    pub allowance: serde_json::Value,
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    for r in &g.allowances {
        let granter = parse_address("genesis feegrant granter", &r.granter)?;
        let grantee = parse_address("genesis feegrant grantee", &r.grantee)?;
        if granter == grantee {
            return Err(SdkError::invalid_address(format!(
                "genesis fee grant from {} to itself",
                r.granter
            )));
        }
        let allowance = from_json(&r.allowance)?;
        allowance.validate()?;
        if ctx
            .get_free(&state::allowance_key(&granter, &grantee))
            .is_some()
        {
            return Err(SdkError::invalid_request(format!(
                "genesis lists the fee grant from {} to {} twice",
                r.granter, r.grantee
            )));
        }
        state::grant_allowance(ctx, &granter, &grantee, allowance, true)?;
    }
    Ok(())
}

/// Every stored allowance, expired ones included (nothing has pruned them yet).
pub fn export(ctx: &Ctx) -> SdkResult<GenesisState> {
    let allowances = state::all_grants(ctx)?
        .into_iter()
        .map(|g| {
            Ok(GrantJson {
                allowance: to_json(&state::allowance_of(&g)?),
                granter: g.granter,
                grantee: g.grantee,
            })
        })
        .collect::<SdkResult<Vec<_>>>()?;
    Ok(GenesisState { allowances })
}
