//! deployment messages (spec §3.2, §3.6): decode + stateless checks (ValidateBasic), signers,
//! and execution in Akash's check order.

use super::errors::*;
use super::state::*;
use super::validation::{validate_groups, DecCoin};
use crate::abci::Event;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::market;
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use prost::Message;

pub const MSG_CREATE_DEPLOYMENT: &str = "/akash.deployment.v1beta4.MsgCreateDeployment";
pub const MSG_UPDATE_DEPLOYMENT: &str = "/akash.deployment.v1beta4.MsgUpdateDeployment";
pub const MSG_CLOSE_DEPLOYMENT: &str = "/akash.deployment.v1beta4.MsgCloseDeployment";
pub const MSG_CLOSE_GROUP: &str = "/akash.deployment.v1beta4.MsgCloseGroup";
pub const MSG_PAUSE_GROUP: &str = "/akash.deployment.v1beta4.MsgPauseGroup";
pub const MSG_START_GROUP: &str = "/akash.deployment.v1beta4.MsgStartGroup";
pub const MSG_UPDATE_PARAMS: &str = "/akash.deployment.v1beta4.MsgUpdateParams";

/// Manifest hashes are SHA-256 digests.
pub const HASH_LENGTH: usize = 32;

#[derive(Clone, Debug)]
pub struct CreateDeployment {
    pub id: DeploymentId,
    pub groups: Vec<dv1b4::GroupSpec>,
    pub hash: Vec<u8>,
    pub deposit: Deposit,
    pub deposit_coin: Coin,
}

/// A decoded, statelessly checked deployment message.
#[derive(Clone, Debug)]
pub enum DeploymentMsg {
    Create(Box<CreateDeployment>),
    Update {
        id: DeploymentId,
        hash: Vec<u8>,
    },
    Close(DeploymentId),
    CloseGroup(GroupId),
    PauseGroup(GroupId),
    StartGroup(GroupId),
    UpdateParams {
        authority: Address,
        params: dv1b4::Params,
    },
}

/// `Deposit.Validate` (spec §1.2): a valid coin and one or more distinct sources, each
/// `balance` or `grant`. `err` builds the owning module's InvalidDeposit error.
pub fn check_deposit(
    d: Option<&Deposit>,
    err: fn(String) -> SdkError,
) -> SdkResult<(Deposit, Coin)> {
    let d = d.ok_or_else(|| err("deposit is missing".into()))?;
    let amount = d
        .amount
        .as_ref()
        .ok_or_else(|| err("deposit amount is missing".into()))?;
    let coin = Coin::from_proto(amount).map_err(|e| err(e.log))?;
    if d.sources.is_empty() {
        return Err(err(
            "deposit has no sources; use \"balance\" (and/or \"grant\")".into(),
        ));
    }
    let mut seen = Vec::new();
    for s in &d.sources {
        match Source::try_from(*s) {
            Ok(Source::Balance) | Ok(Source::Grant) if !seen.contains(s) => seen.push(*s),
            Ok(Source::Balance) | Ok(Source::Grant) => {
                return Err(err(format!("deposit source {s} is listed twice")))
            }
            _ => {
                return Err(err(format!(
                    "deposit source {s} is invalid; use balance (1) or grant (2)"
                )))
            }
        }
    }
    Ok((d.clone(), coin))
}

fn check_hash(hash: &[u8]) -> SdkResult<()> {
    if hash.is_empty() {
        return Err(empty_hash(
            "the deployment needs the manifest's SHA-256 hash",
        ));
    }
    if hash.len() != HASH_LENGTH {
        return Err(invalid_hash(format!(
            "hash is {} bytes; it must be the {HASH_LENGTH}-byte SHA-256 of the manifest",
            hash.len()
        )));
    }
    Ok(())
}

fn check_create(m: &dv1b4::MsgCreateDeployment) -> SdkResult<CreateDeployment> {
    let id = DeploymentId::from_proto(m.id.as_ref())?;
    let (deposit, deposit_coin) = check_deposit(m.deposit.as_ref(), invalid_deposit)?;
    if m.groups.is_empty() {
        return Err(invalid_groups("a deployment needs at least one group"));
    }
    check_hash(&m.hash)?;
    if m.reclamation.is_some() {
        return Err(invalid_reclamation(
            "reclamation is not supported: this chain implements Akash node v1.x leases; \
             leave the reclamation field empty",
        ));
    }
    let denom = validate_groups(&m.groups)?;
    if deposit_coin.amount > 0 && deposit_coin.denom != denom {
        return Err(invalid_deposit(format!(
            "deposit is in {} but the groups are priced in {denom}; deposit {denom}",
            deposit_coin.denom
        )));
    }
    Ok(CreateDeployment {
        id,
        groups: m.groups.clone(),
        hash: m.hash.clone(),
        deposit,
        deposit_coin,
    })
}

impl ModuleMsg for DeploymentMsg {
    const MODULE: &'static str = "deployment";

    /// Decodes a deployment message; `None` for type URLs this module does not own.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        let url = any.type_url.as_str();
        let r = if url == MSG_CREATE_DEPLOYMENT {
            decode_as::<dv1b4::MsgCreateDeployment>(any)
                .and_then(|m| check_create(&m))
                .map(|c| DeploymentMsg::Create(Box::new(c)))
        } else if url == MSG_UPDATE_DEPLOYMENT {
            decode_as::<dv1b4::MsgUpdateDeployment>(any).and_then(|m| {
                let id = DeploymentId::from_proto(m.id.as_ref())?;
                check_hash(&m.hash)?;
                Ok(DeploymentMsg::Update { id, hash: m.hash })
            })
        } else if url == MSG_CLOSE_DEPLOYMENT {
            decode_as::<dv1b4::MsgCloseDeployment>(any)
                .and_then(|m| DeploymentId::from_proto(m.id.as_ref()).map(DeploymentMsg::Close))
        } else if url == MSG_CLOSE_GROUP {
            decode_as::<dv1b4::MsgCloseGroup>(any)
                .and_then(|m| GroupId::from_proto(m.id.as_ref()).map(DeploymentMsg::CloseGroup))
        } else if url == MSG_PAUSE_GROUP {
            decode_as::<dv1b4::MsgPauseGroup>(any)
                .and_then(|m| GroupId::from_proto(m.id.as_ref()).map(DeploymentMsg::PauseGroup))
        } else if url == MSG_START_GROUP {
            decode_as::<dv1b4::MsgStartGroup>(any)
                .and_then(|m| GroupId::from_proto(m.id.as_ref()).map(DeploymentMsg::StartGroup))
        } else if url == MSG_UPDATE_PARAMS {
            decode_as::<dv1b4::MsgUpdateParams>(any).and_then(|m| {
                let authority = crate::auth::parse_address("authority", &m.authority)?;
                let params = m
                    .params
                    .ok_or_else(|| invalid_param("params are missing"))?;
                validate_params(&params)?;
                Ok(DeploymentMsg::UpdateParams { authority, params })
            })
        } else {
            return None;
        };
        Some(r)
    }

    fn type_url(&self) -> &'static str {
        match self {
            DeploymentMsg::Create(_) => MSG_CREATE_DEPLOYMENT,
            DeploymentMsg::Update { .. } => MSG_UPDATE_DEPLOYMENT,
            DeploymentMsg::Close(_) => MSG_CLOSE_DEPLOYMENT,
            DeploymentMsg::CloseGroup(_) => MSG_CLOSE_GROUP,
            DeploymentMsg::PauseGroup(_) => MSG_PAUSE_GROUP,
            DeploymentMsg::StartGroup(_) => MSG_START_GROUP,
            DeploymentMsg::UpdateParams { .. } => MSG_UPDATE_PARAMS,
        }
    }

    /// The signer is the owner in the ID (registered in Go with RegisterCustomSignerField).
    fn signers(&self) -> Vec<Address> {
        vec![match self {
            DeploymentMsg::Create(c) => c.id.owner,
            DeploymentMsg::Update { id, .. } | DeploymentMsg::Close(id) => id.owner,
            DeploymentMsg::CloseGroup(g)
            | DeploymentMsg::PauseGroup(g)
            | DeploymentMsg::StartGroup(g) => g.owner,
            DeploymentMsg::UpdateParams { authority, .. } => *authority,
        }]
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            DeploymentMsg::Create(c) => {
                create_deployment(ctx, c)?;
                Ok(dv1b4::MsgCreateDeploymentResponse {}.encode_to_vec())
            }
            DeploymentMsg::Update { id, hash } => {
                update_deployment(ctx, *id, hash)?;
                Ok(dv1b4::MsgUpdateDeploymentResponse {}.encode_to_vec())
            }
            DeploymentMsg::Close(id) => {
                close_deployment(ctx, *id)?;
                Ok(dv1b4::MsgCloseDeploymentResponse {}.encode_to_vec())
            }
            DeploymentMsg::CloseGroup(id) => {
                close_group(ctx, *id)?;
                Ok(dv1b4::MsgCloseGroupResponse {}.encode_to_vec())
            }
            DeploymentMsg::PauseGroup(id) => {
                pause_group(ctx, *id)?;
                Ok(dv1b4::MsgPauseGroupResponse {}.encode_to_vec())
            }
            DeploymentMsg::StartGroup(id) => {
                start_group(ctx, *id)?;
                Ok(dv1b4::MsgStartGroupResponse {}.encode_to_vec())
            }
            DeploymentMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "deployment")?;
                set_params(ctx, params)?;
                Ok(dv1b4::MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}

/// `ValidateDeposit`: the denom must be listed in `min_deposits` and the amount reach it.
fn check_min_deposit(ctx: &Ctx, coin: &Coin) -> SdkResult<()> {
    let p = params(ctx);
    let min = p
        .min_deposits
        .iter()
        .find(|c| c.denom == coin.denom)
        .ok_or_else(|| {
            let allowed: Vec<String> = p.min_deposits.iter().map(|c| c.denom.clone()).collect();
            invalid_deposit(format!(
                "deposits in {} are not accepted; use one of {}",
                coin.denom,
                allowed.join(", ")
            ))
        })?;
    let min_amount: u128 = min.amount.parse().unwrap_or(u128::MAX);
    if coin.amount < min_amount {
        return Err(invalid_deposit(format!(
            "deposit {coin} is below the minimum {min_amount}{}",
            coin.denom
        )));
    }
    Ok(())
}

pub fn create_deployment(ctx: &mut Ctx, c: &CreateDeployment) -> SdkResult<()> {
    if get_deployment(ctx, c.id)?.is_some() {
        return Err(deployment_exists(format!(
            "deployment {} already exists; pick another dseq",
            c.id
        )));
    }
    check_min_deposit(ctx, &c.deposit_coin)?;
    let height = ctx.block.height as i64;
    let deployment = dv1::Deployment {
        id: Some(c.id.to_proto()),
        state: DeploymentState::Active as i32,
        hash: c.hash.clone(),
        created_at: height,
        reclamation: None,
    };
    insert_deployment(ctx, c.id, &deployment)?;
    ctx.emit(Event::typed(&dv1::EventDeploymentCreated {
        id: Some(c.id.to_proto()),
        hash: c.hash.clone(),
    }));
    let mut groups = Vec::with_capacity(c.groups.len());
    for (i, spec) in c.groups.iter().enumerate() {
        let gid = c.id.group(i as u32 + 1);
        let group = dv1b4::Group {
            id: Some(gid.to_proto()),
            state: GroupState::Open as i32,
            group_spec: Some(spec.clone()),
            created_at: height,
        };
        insert_group(ctx, gid, &group)?;
        groups.push((gid, spec));
    }
    for (gid, spec) in groups {
        market::state::create_order(ctx, gid, spec)?;
    }
    market::hooks::create_deployment_account(ctx, c.id, &c.deposit)
}

fn active_deployment(ctx: &mut Ctx, id: DeploymentId) -> SdkResult<dv1::Deployment> {
    let d = get_deployment(ctx, id)?
        .ok_or_else(|| deployment_not_found(format!("no deployment {id}")))?;
    if deployment_state(&d) != DeploymentState::Active {
        return Err(deployment_closed(format!("deployment {id} is closed")));
    }
    Ok(d)
}

fn update_deployment(ctx: &mut Ctx, id: DeploymentId, hash: &[u8]) -> SdkResult<()> {
    let mut d = active_deployment(ctx, id)?;
    if d.hash == hash {
        return Err(invalid_request(format!(
            "deployment {id} already has this hash; send the hash of the new manifest"
        )));
    }
    set_deployment_hash(ctx, id, &mut d, hash)?;
    ctx.emit(Event::typed(&dv1::EventDeploymentUpdated {
        id: Some(id.to_proto()),
        hash: hash.to_vec(),
    }));
    Ok(())
}

/// Closing goes through escrow: closing the deployment account settles it, pays providers,
/// refunds the depositors, and its hook closes the deployment, groups, orders, bids, leases.
fn close_deployment(ctx: &mut Ctx, id: DeploymentId) -> SdkResult<()> {
    active_deployment(ctx, id)?;
    market::hooks::close_deployment_account(ctx, id)
}

fn close_group(ctx: &mut Ctx, id: GroupId) -> SdkResult<()> {
    set_group_state(ctx, id, GroupState::Closed)?;
    ctx.emit(Event::typed(&dv1::EventGroupClosed {
        id: Some(id.to_proto()),
    }));
    market::state::on_group_closed(ctx, id, GroupState::Closed)
}

fn pause_group(ctx: &mut Ctx, id: GroupId) -> SdkResult<()> {
    set_group_state(ctx, id, GroupState::Paused)?;
    ctx.emit(Event::typed(&dv1::EventGroupPaused {
        id: Some(id.to_proto()),
    }));
    market::state::on_group_closed(ctx, id, GroupState::Paused)
}

fn start_group(ctx: &mut Ctx, id: GroupId) -> SdkResult<()> {
    let g = set_group_state(ctx, id, GroupState::Open)?;
    ctx.emit(Event::typed(&dv1::EventGroupStarted {
        id: Some(id.to_proto()),
    }));
    let spec = g.group_spec.unwrap_or_default();
    market::state::create_order(ctx, id, &spec).map(|_| ())
}

/// The group price as a DecCoin (re-exported for the market's bid checks).
pub fn group_price(spec: &dv1b4::GroupSpec) -> SdkResult<DecCoin> {
    super::validation::group_price(spec)
}
