//! deployment state: typed IDs, store keys with a state index, params, and the two lifecycles
//! (spec §5.1 deployment, §5.2 group), each one transition function.
//!
//! Keys (values are prost-encoded protos; index entries are empty):
//! - `deployment/dep/<owner 20><dseq BE8>` -> `deployment.v1.Deployment`
//! - `deployment/dep_state/<state 1><owner 20><dseq BE8>` -> ()
//! - `deployment/grp/<owner 20><dseq BE8><gseq BE4>` -> `deployment.v1beta4.Group`
//! - `deployment/params` -> `deployment.v1beta4.Params`

use super::errors::*;
use crate::abci::Event;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use kumo_crypto::Address;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use prost::Message;
use std::fmt;

pub use dv1::deployment::State as DeploymentState;
pub use dv1b4::group::State as GroupState;

pub const DEPLOYMENT_PREFIX: &[u8] = b"deployment/dep/";
pub const DEPLOYMENT_STATE_PREFIX: &[u8] = b"deployment/dep_state/";
pub const GROUP_PREFIX: &[u8] = b"deployment/grp/";
const PARAMS_KEY: &[u8] = b"deployment/params";

/// A deployment ID with a parsed owner: `owner/dseq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeploymentId {
    pub owner: Address,
    pub dseq: u64,
}

impl DeploymentId {
    /// `DeploymentID.Validate`: a valid owner address and a non-zero dseq.
    pub fn from_proto(id: Option<&dv1::DeploymentId>) -> SdkResult<DeploymentId> {
        let id = id.ok_or_else(|| invalid_deployment_id("deployment id is missing"))?;
        let owner = parse_address("owner", &id.owner).map_err(|e| invalid_deployment_id(e.log))?;
        if id.dseq == 0 {
            return Err(invalid_deployment_id(format!(
                "{}/0: dseq must be non-zero (clients use the current block height)",
                id.owner
            )));
        }
        Ok(DeploymentId {
            owner,
            dseq: id.dseq,
        })
    }

    pub fn to_proto(self) -> dv1::DeploymentId {
        dv1::DeploymentId {
            owner: self.owner.to_string(),
            dseq: self.dseq,
        }
    }

    /// `<owner 20><dseq BE8>`: the key suffix shared by deployments, groups, orders, bids, leases.
    pub fn key_suffix(self) -> Vec<u8> {
        [self.owner.as_bytes(), &self.dseq.to_be_bytes()].concat()
    }

    pub fn group(self, gseq: u32) -> GroupId {
        GroupId {
            owner: self.owner,
            dseq: self.dseq,
            gseq,
        }
    }
}

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.dseq)
    }
}

/// A group ID: `owner/dseq/gseq` (gseq is 1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId {
    pub owner: Address,
    pub dseq: u64,
    pub gseq: u32,
}

impl GroupId {
    pub fn from_proto(id: Option<&dv1::GroupId>) -> SdkResult<GroupId> {
        let id = id.ok_or_else(|| invalid_group_id("group id is missing"))?;
        let owner = parse_address("owner", &id.owner).map_err(|e| invalid_group_id(e.log))?;
        if id.dseq == 0 {
            return Err(invalid_group_id(format!(
                "{}/0/{}: dseq must be non-zero",
                id.owner, id.gseq
            )));
        }
        if id.gseq == 0 {
            return Err(invalid_group_id(format!(
                "{}/{}/0: gseq must be non-zero (groups are numbered from 1)",
                id.owner, id.dseq
            )));
        }
        Ok(GroupId {
            owner,
            dseq: id.dseq,
            gseq: id.gseq,
        })
    }

    pub fn to_proto(self) -> dv1::GroupId {
        dv1::GroupId {
            owner: self.owner.to_string(),
            dseq: self.dseq,
            gseq: self.gseq,
        }
    }

    pub fn deployment(self) -> DeploymentId {
        DeploymentId {
            owner: self.owner,
            dseq: self.dseq,
        }
    }

    pub fn key_suffix(self) -> Vec<u8> {
        [
            self.deployment().key_suffix(),
            self.gseq.to_be_bytes().to_vec(),
        ]
        .concat()
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.owner, self.dseq, self.gseq)
    }
}

pub fn deployment_key(id: DeploymentId) -> Vec<u8> {
    [DEPLOYMENT_PREFIX, &id.key_suffix()].concat()
}

fn deployment_state_key(state: DeploymentState, id: DeploymentId) -> Vec<u8> {
    [DEPLOYMENT_STATE_PREFIX, &[state as u8], &id.key_suffix()].concat()
}

pub fn deployment_state_prefix(state: DeploymentState) -> Vec<u8> {
    [DEPLOYMENT_STATE_PREFIX, &[state as u8]].concat()
}

pub fn group_key(id: GroupId) -> Vec<u8> {
    [GROUP_PREFIX, &id.key_suffix()].concat()
}

pub fn groups_prefix(id: DeploymentId) -> Vec<u8> {
    [GROUP_PREFIX, &id.key_suffix()].concat()
}

/// The deployment ID encoded in a key suffix `<owner 20><dseq 8>...`.
pub fn deployment_id_from_suffix(suffix: &[u8]) -> DeploymentId {
    let mut owner = [0u8; 20];
    owner.copy_from_slice(&suffix[..20]);
    DeploymentId {
        owner: Address(owner),
        dseq: u64::from_be_bytes(suffix[20..28].try_into().expect("8-byte dseq")),
    }
}

// ---- lifecycles ----

/// The one deployment transition function (spec §5.1): active -> closed.
pub fn deployment_transition(
    id: DeploymentId,
    from: DeploymentState,
    to: DeploymentState,
) -> SdkResult<DeploymentState> {
    match (from, to) {
        (DeploymentState::Active, DeploymentState::Closed) => Ok(to),
        (DeploymentState::Closed, _) => Err(deployment_closed(format!(
            "deployment {id} is already closed"
        ))),
        _ => Err(invalid_deployment(format!(
            "deployment {id} cannot go from {} to {}",
            from.as_str_name(),
            to.as_str_name()
        ))),
    }
}

/// The one group transition function (spec §5.2).
pub fn group_transition(id: GroupId, from: GroupState, to: GroupState) -> SdkResult<GroupState> {
    use GroupState::*;
    match (from, to) {
        (Closed, _) => Err(group_closed(format!("group {id} is closed"))),
        (Paused, Paused) => Err(group_paused(format!("group {id} is already paused"))),
        (Open, Open) => Err(group_open(format!(
            "group {id} is already open; only a paused or insufficient_funds group can be started"
        ))),
        (Open | InsufficientFunds, Paused)
        | (Paused | InsufficientFunds, Open)
        | (Open | Paused | InsufficientFunds, InsufficientFunds | Closed) => Ok(to),
        _ => Err(invalid_request(format!(
            "group {id} cannot go from {} to {}",
            from.as_str_name(),
            to.as_str_name()
        ))),
    }
}

// ---- reads and writes ----

fn decode<M: Message + Default>(bytes: &[u8], what: &str) -> M {
    // State is only written by this module from valid protos; a decode failure is corruption.
    M::decode(bytes).unwrap_or_else(|e| panic!("stored {what} does not decode: {e}"))
}

pub fn get_deployment(ctx: &mut Ctx, id: DeploymentId) -> SdkResult<Option<dv1::Deployment>> {
    Ok(ctx
        .get(&deployment_key(id))?
        .map(|b| decode(&b, "deployment")))
}

pub fn deployment_state(d: &dv1::Deployment) -> DeploymentState {
    DeploymentState::try_from(d.state).unwrap_or(DeploymentState::Invalid)
}

/// Stores a deployment and keeps its state index; `prev` is the state it had before, if stored.
fn save_deployment(
    ctx: &mut Ctx,
    id: DeploymentId,
    d: &dv1::Deployment,
    prev: Option<DeploymentState>,
) -> SdkResult<()> {
    let state = deployment_state(d);
    if let Some(prev) = prev {
        if prev != state {
            ctx.delete(deployment_state_key(prev, id))?;
        }
    }
    if prev != Some(state) {
        ctx.set(deployment_state_key(state, id), vec![])?;
    }
    ctx.set(deployment_key(id), d.encode_to_vec())
}

pub fn get_group(ctx: &mut Ctx, id: GroupId) -> SdkResult<Option<dv1b4::Group>> {
    Ok(ctx.get(&group_key(id))?.map(|b| decode(&b, "group")))
}

pub fn group_state(g: &dv1b4::Group) -> GroupState {
    GroupState::try_from(g.state).unwrap_or(GroupState::Invalid)
}

fn save_group(ctx: &mut Ctx, id: GroupId, g: &dv1b4::Group) -> SdkResult<()> {
    ctx.set(group_key(id), g.encode_to_vec())
}

/// The groups of a deployment, by gseq (at most a few per deployment).
pub fn groups_of(ctx: &mut Ctx, id: DeploymentId) -> SdkResult<Vec<(GroupId, dv1b4::Group)>> {
    Ok(ctx
        .prefix(&groups_prefix(id))?
        .into_iter()
        .map(|(k, v)| {
            let gseq = u32::from_be_bytes(k[k.len() - 4..].try_into().expect("4-byte gseq"));
            (id.group(gseq), decode(&v, "group"))
        })
        .collect())
}

// ---- params ----

pub fn default_params() -> dv1b4::Params {
    dv1b4::Params {
        // Akash's v2.0.0 values: 0.5 AKT or 0.5 ACT (most real SDLs price in uact).
        min_deposits: vec![
            crate::coins::Coin::new("uakt", 500_000).to_proto(),
            crate::coins::Coin::new("uact", 500_000).to_proto(),
        ],
    }
}

pub fn params(ctx: &Ctx) -> dv1b4::Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| decode(&b, "deployment params"))
        .unwrap_or_else(default_params)
}

/// `Params.Validate`: valid coins (amounts below MaxInt32 as Akash requires).
pub fn validate_params(p: &dv1b4::Params) -> SdkResult<()> {
    for c in &p.min_deposits {
        let coin = crate::coins::Coin::from_proto(c).map_err(|e| invalid_param(e.log))?;
        if coin.amount >= i32::MAX as u128 {
            return Err(invalid_param(format!(
                "min deposit {coin} must be below {}",
                i32::MAX
            )));
        }
    }
    Ok(())
}

pub fn set_params(ctx: &mut Ctx, p: &dv1b4::Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

// ---- new records and transitions that save (every state change goes through
// `deployment_transition` / `group_transition`) ----

pub fn insert_deployment(ctx: &mut Ctx, id: DeploymentId, d: &dv1::Deployment) -> SdkResult<()> {
    save_deployment(ctx, id, d, None)
}

pub fn insert_group(ctx: &mut Ctx, id: GroupId, g: &dv1b4::Group) -> SdkResult<()> {
    save_group(ctx, id, g)
}

/// Replaces an active deployment's manifest hash (its state does not change).
pub fn set_deployment_hash(
    ctx: &mut Ctx,
    id: DeploymentId,
    d: &mut dv1::Deployment,
    hash: &[u8],
) -> SdkResult<()> {
    d.hash = hash.to_vec();
    save_deployment(ctx, id, d, Some(deployment_state(d)))
}

/// Moves the deployment to closed (from the escrow account-closed hook).
pub fn on_deployment_closed(ctx: &mut Ctx, id: DeploymentId) -> SdkResult<()> {
    let Some(mut d) = get_deployment(ctx, id)? else {
        return Ok(());
    };
    let from = deployment_state(&d);
    if from != DeploymentState::Active {
        return Ok(());
    }
    d.state = deployment_transition(id, from, DeploymentState::Closed)? as i32;
    save_deployment(ctx, id, &d, Some(from))?;
    ctx.emit(Event::typed(&dv1::EventDeploymentClosed {
        id: Some(id.to_proto()),
    }));
    Ok(())
}

fn load_group(ctx: &mut Ctx, id: GroupId) -> SdkResult<dv1b4::Group> {
    get_group(ctx, id)?.ok_or_else(|| group_not_found(format!("no group {id}")))
}

/// Sets a group's state through the group transition function and saves it.
pub fn set_group_state(ctx: &mut Ctx, id: GroupId, to: GroupState) -> SdkResult<dv1b4::Group> {
    let mut g = load_group(ctx, id)?;
    g.state = group_transition(id, group_state(&g), to)? as i32;
    save_group(ctx, id, &g)?;
    Ok(g)
}
