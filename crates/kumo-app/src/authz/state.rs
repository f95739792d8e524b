//! authz state: grants by (granter, grantee, message type URL), and what using one does.
//!
//! Keys: `authz/grant/<granter 20><grantee 20><msg type url>` -> `cosmos.authz.v1beta1.Grant`,
//! and the index `authz/grantee/<grantee 20><granter 20><msg type url>` -> empty, which gives a
//! grantee's grants in key order (Akash's `GetGranteeGrantsByMsgType`) and the GranteeGrants
//! query without scanning every grant. An expired grant is treated as absent when read; it is
//! deleted when a deposit comes across it, never by a per-block scan.

use super::authorization::{Authorization, DepositLimits};
use super::errors as err;
use crate::abci::BlockTime;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::escrow::id::Scope;
use crate::escrow::msgs::MSG_ACCOUNT_DEPOSIT;
use crate::msgs::Msg;
use cosmos_sdk_proto::cosmos::authz::v1beta1::Grant;
use cosmos_sdk_proto::Timestamp;
use kumo_crypto::{Address, ACCOUNT_HRP};
use prost::Message;

pub const GRANT_PREFIX: &[u8] = b"authz/grant/";
pub const GRANTEE_INDEX_PREFIX: &[u8] = b"authz/grantee/";
const ADDR_LEN: usize = 20;

pub fn grant_key(granter: &Address, grantee: &Address, msg_type_url: &str) -> Vec<u8> {
    [
        GRANT_PREFIX,
        granter.as_bytes(),
        grantee.as_bytes(),
        msg_type_url.as_bytes(),
    ]
    .concat()
}

fn index_key(grantee: &Address, granter: &Address, msg_type_url: &str) -> Vec<u8> {
    [
        GRANTEE_INDEX_PREFIX,
        grantee.as_bytes(),
        granter.as_bytes(),
        msg_type_url.as_bytes(),
    ]
    .concat()
}

/// Every grant `granter` gave.
pub fn granter_prefix(granter: &Address) -> Vec<u8> {
    [GRANT_PREFIX, granter.as_bytes()].concat()
}

/// Every grant `granter` gave `grantee`.
pub fn pair_prefix(granter: &Address, grantee: &Address) -> Vec<u8> {
    [GRANT_PREFIX, granter.as_bytes(), grantee.as_bytes()].concat()
}

/// Index entries of every grant `grantee` holds.
pub fn grantee_prefix(grantee: &Address) -> Vec<u8> {
    [GRANTEE_INDEX_PREFIX, grantee.as_bytes()].concat()
}

/// Splits `<a 20><b 20><url>` after `prefix` (a grant key or an index key).
pub fn split_key(prefix: &[u8], key: &[u8]) -> Option<(Address, Address, String)> {
    let rest = key.strip_prefix(prefix)?;
    if rest.len() < 2 * ADDR_LEN {
        return None;
    }
    let a = Address::from_slice(&rest[..ADDR_LEN]).ok()?;
    let b = Address::from_slice(&rest[ADDR_LEN..2 * ADDR_LEN]).ok()?;
    let url = String::from_utf8(rest[2 * ADDR_LEN..].to_vec()).ok()?;
    Some((a, b, url))
}

fn corrupt(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_type(format!("stored authz grant is corrupt: {what}"))
}

pub fn decode_grant(bytes: &[u8]) -> SdkResult<Grant> {
    Grant::decode(bytes).map_err(corrupt)
}

/// Whether the grant has expired at `now` (an expiration equal to the block time still holds,
/// as the SDK's `Expiration.Before(now)`).
pub fn is_expired(grant: &Grant, now: BlockTime) -> bool {
    grant
        .expiration
        .as_ref()
        .is_some_and(|e| (e.seconds, i64::from(e.nanos)) < (now.seconds, i64::from(now.nanos)))
}

/// Whether `expiration` is strictly after `now` (what a new grant needs).
pub fn is_after(expiration: &Timestamp, now: BlockTime) -> bool {
    (expiration.seconds, i64::from(expiration.nanos)) > (now.seconds, i64::from(now.nanos))
}

/// Writes (or replaces) a grant and its grantee index entry.
pub fn save_grant(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    msg_type_url: &str,
    grant: &Grant,
) -> SdkResult<()> {
    ctx.set(
        grant_key(granter, grantee, msg_type_url),
        grant.encode_to_vec(),
    )?;
    ctx.set(index_key(grantee, granter, msg_type_url), vec![])
}

pub fn delete_grant(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    msg_type_url: &str,
) -> SdkResult<()> {
    ctx.delete(grant_key(granter, grantee, msg_type_url))?;
    ctx.delete(index_key(grantee, granter, msg_type_url))
}

/// The stored grant, expired or not (gas-metered).
pub fn load_grant(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    msg_type_url: &str,
) -> SdkResult<Option<Grant>> {
    ctx.get(&grant_key(granter, grantee, msg_type_url))?
        .map(|b| decode_grant(&b))
        .transpose()
}

fn authorization_of(grant: &Grant) -> SdkResult<Authorization> {
    Authorization::from_any(
        grant
            .authorization
            .as_ref()
            .ok_or_else(|| corrupt("grant without authorization"))?,
    )
}

/// Runs the grant `granter` gave `grantee` for `msg`'s type against `msg` (MsgExec): refused
/// when absent, expired or not accepted; deleted or updated as the authorization says.
pub fn accept_exec(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    msg: &Msg,
) -> SdkResult<()> {
    let url = msg.type_url();
    let Some(grant) = load_grant(ctx, granter, grantee, url)? else {
        return Err(err::no_authorization_found(format!(
            "failed to get grant with given granter: {}, grantee: {} & msgType: {url}",
            granter.to_bech32(ACCOUNT_HRP),
            grantee.to_bech32(ACCOUNT_HRP)
        )));
    };
    if is_expired(&grant, ctx.block.time) {
        return Err(err::authorization_expired(format!(
            "the grant from {} to {} for {url} has expired; ask the granter for a new one",
            granter.to_bech32(ACCOUNT_HRP),
            grantee.to_bech32(ACCOUNT_HRP)
        )));
    }
    let accepted = authorization_of(&grant)?.accept(msg)?;
    if accepted.delete {
        delete_grant(ctx, granter, grantee, url)
    } else if let Some(updated) = accepted.updated {
        let grant = Grant {
            authorization: Some(updated.to_any()),
            expiration: grant.expiration,
        };
        save_grant(ctx, granter, grantee, url, &grant)
    } else {
        Ok(())
    }
}

/// What drawing deposit grants found: the granters' shares, in key order, and why the other
/// grants did not pay (for the error when the deposit is not covered).
#[derive(Default, Debug)]
pub struct DepositDraw {
    pub shares: Vec<(Address, u128)>,
    pub refusals: Vec<String>,
}

/// Escrow's `grant` deposit source (spec §6.5): the `DepositAuthorization`s `grantee` holds, in
/// key order (by granter), each covering what it can of the remaining `amount` of `denom` for
/// an account of `scope`. Each used grant is saved with its lower limit; like Akash's
/// `AuthorizeDeposits` it is kept at a zero limit rather than deleted, so a refund of the
/// deposit can restore it. Expired grants met on the way are deleted.
pub fn draw_deposit_grants(
    ctx: &mut Ctx,
    grantee: &Address,
    scope: Scope,
    denom: &str,
    amount: u128,
) -> SdkResult<DepositDraw> {
    let mut draw = DepositDraw::default();
    let mut remaining = amount;
    let prefix = grantee_prefix(grantee);
    for (key, _) in ctx.prefix(&prefix)? {
        if remaining == 0 {
            break;
        }
        let Some((_, granter, url)) = split_key(GRANTEE_INDEX_PREFIX, &key) else {
            return Err(corrupt("malformed grantee index key"));
        };
        if url != MSG_ACCOUNT_DEPOSIT {
            continue;
        }
        let Some(grant) = load_grant(ctx, &granter, grantee, &url)? else {
            return Err(corrupt("grantee index entry without its grant"));
        };
        let who = granter.to_bech32(ACCOUNT_HRP);
        if is_expired(&grant, ctx.block.time) {
            delete_grant(ctx, &granter, grantee, &url)?;
            draw.refusals
                .push(format!("the grant from {who} has expired"));
            continue;
        }
        let Authorization::Deposit(limits) = authorization_of(&grant)? else {
            draw.refusals.push(format!(
                "the grant from {who} for {url} is not a DepositAuthorization"
            ));
            continue;
        };
        let (take, left) = match limits.try_accept(scope, denom, remaining, true) {
            Ok(Some(accepted)) => accepted,
            Ok(None) => {
                draw.refusals
                    .push(format!("the grant from {who} has no {denom} left"));
                continue;
            }
            Err(e) => {
                draw.refusals
                    .push(format!("the grant from {who}: {}", e.log));
                continue;
            }
        };
        let updated = Grant {
            authorization: Some(Authorization::Deposit(left).to_any()),
            expiration: grant.expiration,
        };
        save_grant(ctx, &granter, grantee, &url, &updated)?;
        draw.shares.push((granter, take));
        remaining -= take;
    }
    Ok(draw)
}

/// Escrow's refund of a grant-funded deposit slice (spec §6.3, end): the granter's
/// `DepositAuthorization` for `grantee` gets `refund` back, if it still exists and is live.
pub fn restore_deposit_grant(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    refund: &Coin,
) -> SdkResult<()> {
    let Some(grant) = load_grant(ctx, granter, grantee, MSG_ACCOUNT_DEPOSIT)? else {
        return Ok(());
    };
    if is_expired(&grant, ctx.block.time) {
        return Ok(());
    }
    let Authorization::Deposit(mut limits) = authorization_of(&grant)? else {
        return Ok(());
    };
    limits.restore(refund)?;
    let updated = Grant {
        authorization: Some(Authorization::Deposit(limits).to_any()),
        expiration: grant.expiration,
    };
    save_grant(ctx, granter, grantee, MSG_ACCOUNT_DEPOSIT, &updated)
}

/// The live `DepositAuthorization` `granter` gave `grantee`, if any (tests, CLI checks).
pub fn deposit_limits(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
) -> SdkResult<Option<DepositLimits>> {
    let Some(grant) = load_grant(ctx, granter, grantee, MSG_ACCOUNT_DEPOSIT)? else {
        return Ok(None);
    };
    if is_expired(&grant, ctx.block.time) {
        return Ok(None);
    }
    match authorization_of(&grant)? {
        Authorization::Deposit(d) => Ok(Some(d)),
        _ => Ok(None),
    }
}
