//! `akash.deployment.v1beta4.Query` (spec §3.3): deployments with their groups and escrow
//! account, by ID or listed with filters (owner, dseq, state by name) and pagination.

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::market::hooks::deployment_account;
use crate::market::query::{filter_address, filter_state, list};
use crate::module::decode_req;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Deployments" => deployments(ctx, data),
        "Deployment" => deployment(ctx, data),
        "Group" => group(ctx, data),
        "Params" => Ok(dv1b4::QueryParamsResponse {
            params: Some(params(ctx)),
        }
        .encode_to_vec()),
        _ => return None,
    })
}

/// A deployment with its groups and escrow account (free reads: queries are not metered).
fn full(ctx: &Ctx, d: dv1::Deployment) -> dv1b4::QueryDeploymentResponse {
    let id = DeploymentId::from_proto(d.id.as_ref()).expect("stored deployment id is valid");
    let groups = ctx
        .prefix_free(&groups_prefix(id))
        .into_iter()
        .map(|(_, v)| dv1b4::Group::decode(v.as_slice()).expect("stored group decodes"))
        .collect();
    dv1b4::QueryDeploymentResponse {
        escrow_account: crate::escrow::get_account(ctx, &deployment_account(id)),
        deployment: Some(d),
        groups,
    }
}

fn deployments(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b4::QueryDeploymentsRequest = decode_req(data)?;
    let f = req.filters.unwrap_or_default();
    let owner = filter_address("owner", &f.owner)?;
    let state = filter_state(&f.state, DeploymentState::from_str_name, "active, closed")?;
    let keep = |d: &dv1::Deployment| {
        d.id.as_ref().is_some_and(|id| {
            (f.owner.is_empty() || id.owner == f.owner) && (f.dseq == 0 || id.dseq == f.dseq)
        }) && state.is_none_or(|s| deployment_state(d) == s)
    };
    let (found, pagination) = match (owner, state) {
        (Some(o), _) => {
            let mut scan = [DEPLOYMENT_PREFIX, o.as_bytes()].concat();
            if f.dseq != 0 {
                scan.extend_from_slice(&f.dseq.to_be_bytes());
            }
            list(ctx, &scan, None, keep, req.pagination.as_ref())?
        }
        (None, Some(s)) => list(
            ctx,
            &deployment_state_prefix(s),
            Some(DEPLOYMENT_PREFIX),
            keep,
            req.pagination.as_ref(),
        )?,
        (None, None) => list(ctx, DEPLOYMENT_PREFIX, None, keep, req.pagination.as_ref())?,
    };
    Ok(dv1b4::QueryDeploymentsResponse {
        deployments: found.into_iter().map(|d| full(ctx, d)).collect(),
        pagination: Some(pagination),
    }
    .encode_to_vec())
}

fn deployment(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b4::QueryDeploymentRequest = decode_req(data)?;
    let id = DeploymentId::from_proto(req.id.as_ref()).map_err(|e| SdkError::bad_query(e.log))?;
    let d = ctx
        .get_free(&deployment_key(id))
        .ok_or_else(|| SdkError::not_found(format!("deployment {id} not found")))?;
    let d = dv1::Deployment::decode(d.as_slice()).expect("stored deployment decodes");
    Ok(full(ctx, d).encode_to_vec())
}

fn group(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b4::QueryGroupRequest = decode_req(data)?;
    let id = GroupId::from_proto(req.id.as_ref()).map_err(|e| SdkError::bad_query(e.log))?;
    let g = ctx
        .get_free(&group_key(id))
        .ok_or_else(|| SdkError::not_found(format!("group {id} not found")))?;
    Ok(dv1b4::QueryGroupResponse {
        group: Some(dv1b4::Group::decode(g.as_slice()).expect("stored group decodes")),
    }
    .encode_to_vec())
}
