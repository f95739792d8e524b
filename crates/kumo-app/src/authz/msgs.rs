//! authz messages: `MsgGrant` (granter gives grantee an authorization), `MsgRevoke` (granter
//! takes it back) and `MsgExec` (grantee runs messages on granters' behalf).

use super::authorization::Authorization;
use super::errors as err;
use super::state;
use crate::abci::Event;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use crate::msgs::Msg;
use cosmos_sdk_proto::cosmos::authz::v1beta1::{
    Grant as ProtoGrant, MsgExec, MsgExecResponse, MsgGrant, MsgGrantResponse, MsgRevoke,
    MsgRevokeResponse,
};
use cosmos_sdk_proto::{Any, Timestamp};
use kumo_crypto::{Address, ACCOUNT_HRP};
use prost::Message;

pub const MSG_GRANT: &str = "/cosmos.authz.v1beta1.MsgGrant";
pub const MSG_REVOKE: &str = "/cosmos.authz.v1beta1.MsgRevoke";
pub const MSG_EXEC: &str = "/cosmos.authz.v1beta1.MsgExec";

#[derive(Clone, Debug)]
pub enum AuthzMsg {
    Grant(Grant),
    Revoke(Revoke),
    Exec(Exec),
}

#[derive(Clone, Debug)]
pub struct Grant {
    pub granter: Address,
    pub grantee: Address,
    pub authorization: Authorization,
    /// The authorization as sent (stored as given, so queries show what the granter signed).
    pub any: Any,
    pub expiration: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct Revoke {
    pub granter: Address,
    pub grantee: Address,
    pub msg_type_url: String,
}

#[derive(Clone, Debug)]
pub struct Exec {
    pub grantee: Address,
    pub msgs: Vec<Msg>,
}

fn distinct(granter: &Address, grantee: &Address) -> SdkResult<()> {
    if granter == grantee {
        return Err(err::grantee_is_granter(format!(
            "{} cannot grant to itself",
            granter.to_bech32(ACCOUNT_HRP)
        )));
    }
    Ok(())
}

pub fn check_grant(m: &MsgGrant) -> SdkResult<Grant> {
    let granter = parse_address("granter", &m.granter)?;
    let grantee = parse_address("grantee", &m.grantee)?;
    distinct(&granter, &grantee)?;
    let grant = m
        .grant
        .as_ref()
        .ok_or_else(|| SdkError::invalid_request("MsgGrant has no grant"))?;
    let any = grant
        .authorization
        .clone()
        .ok_or_else(|| SdkError::invalid_type("authorization is nil"))?;
    let authorization = Authorization::from_any(&any)?;
    authorization.check_new()?;
    Ok(Grant {
        granter,
        grantee,
        authorization,
        any,
        expiration: grant.expiration,
    })
}

pub fn check_revoke(m: &MsgRevoke) -> SdkResult<Revoke> {
    let granter = parse_address("granter", &m.granter)?;
    let grantee = parse_address("grantee", &m.grantee)?;
    distinct(&granter, &grantee)?;
    if m.msg_type_url.is_empty() {
        return Err(SdkError::invalid_request(
            "missing msg method name; give the message type URL of the grant to revoke",
        ));
    }
    Ok(Revoke {
        granter,
        grantee,
        msg_type_url: m.msg_type_url.clone(),
    })
}

pub fn check_exec(m: &MsgExec) -> SdkResult<Exec> {
    let grantee = parse_address("grantee", &m.grantee)?;
    if m.msgs.is_empty() {
        return Err(SdkError::invalid_request(
            "messages cannot be empty; MsgExec needs at least one message",
        ));
    }
    let mut msgs = Vec::with_capacity(m.msgs.len());
    for (i, any) in m.msgs.iter().enumerate() {
        if any.type_url == MSG_EXEC {
            return Err(SdkError::invalid_request(format!(
                "message {i} is a MsgExec; nested MsgExec is not allowed"
            )));
        }
        let msg = Msg::from_any(any)?;
        if msg.signers().len() != 1 {
            return Err(err::authorization_num_of_signers(format!(
                "message {i} ({}) has {} signers",
                any.type_url,
                msg.signers().len()
            )));
        }
        msgs.push(msg);
    }
    Ok(Exec { grantee, msgs })
}

/// An SDK typed event of the authz package: attribute values are proto-JSON strings.
fn grant_event(name: &str, msg_type_url: &str, granter: &Address, grantee: &Address) -> Event {
    let quoted = |s: String| serde_json::Value::String(s).to_string();
    Event::new(format!("cosmos.authz.v1beta1.{name}"))
        .attr("msg_type_url", quoted(msg_type_url.into()))
        .attr("granter", quoted(granter.to_bech32(ACCOUNT_HRP)))
        .attr("grantee", quoted(grantee.to_bech32(ACCOUNT_HRP)))
}

impl ModuleMsg for AuthzMsg {
    const MODULE: &'static str = "authz";

    /// Decodes the authz message `any` carries; `None` when the type URL is not authz's.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        Some(match any.type_url.as_str() {
            MSG_GRANT => decode_as::<MsgGrant>(any)
                .and_then(|m| check_grant(&m))
                .map(AuthzMsg::Grant),
            MSG_REVOKE => decode_as::<MsgRevoke>(any)
                .and_then(|m| check_revoke(&m))
                .map(AuthzMsg::Revoke),
            MSG_EXEC => decode_as::<MsgExec>(any)
                .and_then(|m| check_exec(&m))
                .map(AuthzMsg::Exec),
            _ => return None,
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            AuthzMsg::Grant(_) => MSG_GRANT,
            AuthzMsg::Revoke(_) => MSG_REVOKE,
            AuthzMsg::Exec(_) => MSG_EXEC,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            AuthzMsg::Grant(m) => vec![m.granter],
            AuthzMsg::Revoke(m) => vec![m.granter],
            AuthzMsg::Exec(m) => vec![m.grantee],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            AuthzMsg::Grant(m) => {
                if let Some(exp) = &m.expiration {
                    if !state::is_after(exp, ctx.block.time) {
                        return Err(err::invalid_expiration_time(format!(
                            "expiration {}s is not after the block time {}s",
                            exp.seconds, ctx.block.time.seconds
                        )));
                    }
                }
                let url = m.authorization.msg_type_url();
                let grant = ProtoGrant {
                    authorization: Some(m.any.clone()),
                    expiration: m.expiration,
                };
                state::save_grant(ctx, &m.granter, &m.grantee, &url, &grant)?;
                ctx.emit(grant_event("EventGrant", &url, &m.granter, &m.grantee));
                Ok(MsgGrantResponse {}.encode_to_vec())
            }
            AuthzMsg::Revoke(m) => {
                let url = &m.msg_type_url;
                if state::load_grant(ctx, &m.granter, &m.grantee, url)?.is_none() {
                    return Err(err::no_authorization_found(format!(
                        "{} has no grant to {} for {url}",
                        m.granter.to_bech32(ACCOUNT_HRP),
                        m.grantee.to_bech32(ACCOUNT_HRP)
                    )));
                }
                state::delete_grant(ctx, &m.granter, &m.grantee, url)?;
                ctx.emit(grant_event("EventRevoke", url, &m.granter, &m.grantee));
                Ok(MsgRevokeResponse {}.encode_to_vec())
            }
            AuthzMsg::Exec(m) => {
                let mut results = Vec::with_capacity(m.msgs.len());
                for msg in &m.msgs {
                    let granter = msg.signers()[0];
                    // A message the grantee signs itself needs no grant.
                    if granter != m.grantee {
                        state::accept_exec(ctx, &granter, &m.grantee, msg)?;
                    }
                    results.push(msg.execute(ctx)?);
                }
                Ok(MsgExecResponse { results }.encode_to_vec())
            }
        }
    }
}
