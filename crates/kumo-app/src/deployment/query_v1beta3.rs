//! `akash.deployment.v1beta3.Query` (spec §3.8), the service node ≤ v0.38 served and older
//! clients (akashjs 0.11, bundling akash-api 1.4) still call: answered by this module's
//! v1beta4 handler, its answer converted to the old types (escrow v1beta3 accounts).

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::escrow::query::v1beta3_account;
use crate::module::{ask, decode_req, recode};
use kumo_proto::akash::deployment::{v1beta3 as dv1b3, v1beta4 as dv1b4};
use prost::Message;

/// `/akash.deployment.v1beta3.Query/<method>`.
pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Deployments" => deployments(ctx, data),
        "Deployment" => deployment(ctx, data),
        "Group" => group(ctx, data),
        _ => return None,
    })
}

fn deployment_query(
    ctx: &mut Ctx,
    method: &str,
    req: &impl Message,
) -> SdkResult<dv1b4::QueryDeploymentResponse> {
    ask::<dv1b4::QueryDeploymentRequest, _>(ctx, crate::deployment::query::handle, method, req)
}

fn old_deployment(r: dv1b4::QueryDeploymentResponse) -> dv1b3::QueryDeploymentResponse {
    dv1b3::QueryDeploymentResponse {
        deployment: r.deployment.as_ref().map(recode),
        groups: r.groups.iter().map(recode).collect(),
        escrow_account: r.escrow_account.as_ref().map(v1beta3_account),
    }
}

fn deployments(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b3::QueryDeploymentsRequest = decode_req(data)?;
    let r: dv1b4::QueryDeploymentsResponse = ask::<dv1b4::QueryDeploymentsRequest, _>(
        ctx,
        crate::deployment::query::handle,
        "Deployments",
        &req,
    )?;
    Ok(dv1b3::QueryDeploymentsResponse {
        deployments: r.deployments.into_iter().map(old_deployment).collect(),
        pagination: r.pagination,
    }
    .encode_to_vec())
}

fn deployment(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b3::QueryDeploymentRequest = decode_req(data)?;
    Ok(old_deployment(deployment_query(ctx, "Deployment", &req)?).encode_to_vec())
}

fn group(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: dv1b3::QueryGroupRequest = decode_req(data)?;
    let r: dv1b4::QueryGroupResponse =
        ask::<dv1b4::QueryGroupRequest, _>(ctx, crate::deployment::query::handle, "Group", &req)?;
    Ok(dv1b3::QueryGroupResponse {
        group: r.group.as_ref().map(recode),
    }
    .encode_to_vec())
}
