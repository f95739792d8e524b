//! upgrade (`cosmos.upgrade.v1beta1`), the part governance needs: a passed
//! `MsgSoftwareUpgrade` records the plan (name, height, info) for operators and their tooling
//! to act on; `MsgCancelUpgrade` drops it. kumo does not halt at the planned height yet.
//! State: `upgrade/plan` -> `Plan`.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    MsgCancelUpgrade, MsgCancelUpgradeResponse, MsgSoftwareUpgrade, MsgSoftwareUpgradeResponse,
    Plan, QueryCurrentPlanResponse,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

pub const MSG_SOFTWARE_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgSoftwareUpgrade";
pub const MSG_CANCEL_UPGRADE: &str = "/cosmos.upgrade.v1beta1.MsgCancelUpgrade";
const PLAN_KEY: &[u8] = b"upgrade/plan";

#[derive(Clone, Debug)]
pub enum UpgradeMsg {
    Schedule { authority: Address, plan: Plan },
    Cancel { authority: Address },
}

pub fn current_plan(ctx: &Ctx) -> Option<Plan> {
    ctx.get_free(PLAN_KEY)
        .map(|b| Plan::decode(b.as_slice()).expect("stored plan"))
}

impl ModuleMsg for UpgradeMsg {
    const MODULE: &'static str = "upgrade";

    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        Some(match any.type_url.as_str() {
            MSG_SOFTWARE_UPGRADE => decode_as::<MsgSoftwareUpgrade>(any).and_then(|m| {
                let plan = m
                    .plan
                    .ok_or_else(|| SdkError::invalid_request("MsgSoftwareUpgrade has no plan"))?;
                if plan.name.is_empty() || plan.height <= 0 {
                    return Err(SdkError::invalid_request(
                        "plan: a name and a positive height are required",
                    ));
                }
                Ok(UpgradeMsg::Schedule {
                    authority: crate::auth::parse_address("authority", &m.authority)?,
                    plan,
                })
            }),
            MSG_CANCEL_UPGRADE => decode_as::<MsgCancelUpgrade>(any).and_then(|m| {
                Ok(UpgradeMsg::Cancel {
                    authority: crate::auth::parse_address("authority", &m.authority)?,
                })
            }),
            _ => return None,
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            UpgradeMsg::Schedule { .. } => MSG_SOFTWARE_UPGRADE,
            UpgradeMsg::Cancel { .. } => MSG_CANCEL_UPGRADE,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            UpgradeMsg::Schedule { authority, .. } | UpgradeMsg::Cancel { authority } => {
                vec![*authority]
            }
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            UpgradeMsg::Schedule { authority, plan } => {
                crate::auth::ensure_gov_authority(authority, "upgrade")?;
                if plan.height as u64 <= ctx.block.height {
                    return Err(SdkError::invalid_request(format!(
                        "upgrade cannot be scheduled in the past: height {} is not after {}",
                        plan.height, ctx.block.height
                    )));
                }
                ctx.set(PLAN_KEY.to_vec(), plan.encode_to_vec())?;
                Ok(MsgSoftwareUpgradeResponse {}.encode_to_vec())
            }
            UpgradeMsg::Cancel { authority } => {
                crate::auth::ensure_gov_authority(authority, "upgrade")?;
                ctx.delete(PLAN_KEY.to_vec())?;
                Ok(MsgCancelUpgradeResponse {}.encode_to_vec())
            }
        }
    }
}

/// `cosmos.upgrade.v1beta1.Query/CurrentPlan`.
pub fn query(ctx: &mut Ctx, method: &str, _data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    (method == "CurrentPlan").then(|| {
        Ok(QueryCurrentPlanResponse {
            plan: current_plan(ctx),
        }
        .encode_to_vec())
    })
}
