//! deployment genesis (`akash.deployment.v1beta4.GenesisState` in proto-JSON: `deployments`
//! with their `groups`, and `params`). Import validates every record and rebuilds the state
//! index; export writes the same layout back.

use super::state::*;
use super::validation::validate_group_spec;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::json::{message_from_json, message_json};
use prost::Message;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    /// `deployment.v1beta4.Params`; defaults (min deposit 500000uakt) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
    /// `deployment.v1beta4.GenesisDeployment` records.
    #[serde(default)]
    pub deployments: Vec<serde_json::Value>,
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("deployment genesis: {what}"))
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let params = match &g.params {
        Some(p) => message_from_json::<dv1b4::Params>(p).map_err(bad)?,
        None => default_params(),
    };
    validate_params(&params).map_err(|e| bad(e.log))?;
    set_params(ctx, &params)?;
    for (i, json) in g.deployments.iter().enumerate() {
        let rec: dv1b4::GenesisDeployment =
            message_from_json(json).map_err(|e| bad(format!("deployment {i}: {e}")))?;
        let d = rec
            .deployment
            .ok_or_else(|| bad(format!("deployment {i} has no deployment record")))?;
        let id = DeploymentId::from_proto(d.id.as_ref()).map_err(|e| bad(e.log))?;
        if deployment_state(&d) == DeploymentState::Invalid {
            return Err(bad(format!("deployment {id} has an invalid state")));
        }
        if get_deployment(ctx, id)?.is_some() {
            return Err(bad(format!("deployment {id} is listed twice")));
        }
        insert_deployment(ctx, id, &d)?;
        for g in &rec.groups {
            let gid = GroupId::from_proto(g.id.as_ref()).map_err(|e| bad(e.log))?;
            if gid.deployment() != id {
                return Err(bad(format!("group {gid} is listed under deployment {id}")));
            }
            if group_state(g) == GroupState::Invalid {
                return Err(bad(format!("group {gid} has an invalid state")));
            }
            validate_group_spec(&g.group_spec.clone().unwrap_or_default())
                .map_err(|e| bad(format!("group {gid}: {}", e.log)))?;
            insert_group(ctx, gid, g)?;
        }
    }
    Ok(())
}

pub fn export(ctx: &Ctx) -> GenesisState {
    let deployments = ctx
        .prefix_free(DEPLOYMENT_PREFIX)
        .into_iter()
        .map(|(k, v)| {
            let d = dv1::Deployment::decode(v.as_slice()).expect("stored deployment decodes");
            let id = deployment_id_from_suffix(&k[DEPLOYMENT_PREFIX.len()..]);
            let groups = ctx
                .prefix_free(&groups_prefix(id))
                .into_iter()
                .map(|(_, g)| dv1b4::Group::decode(g.as_slice()).expect("stored group decodes"))
                .collect();
            message_json(&dv1b4::GenesisDeployment {
                deployment: Some(d),
                groups,
            })
        })
        .collect();
    GenesisState {
        params: Some(message_json(&params(ctx))),
        deployments,
    }
}
