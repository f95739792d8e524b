//! feegrant state: at most one allowance per (granter, grantee), and what using it does.
//!
//! Keys: `feegrant/allowance/<grantee 20><granter 20>` -> `cosmos.feegrant.v1beta1.Grant`
//! (grantee first, as the SDK keys them, so a grantee's allowances are one prefix);
//! `feegrant/granter/<granter 20><grantee 20>` -> empty, the index the AllowancesByGranter
//! query reads; and the expiry queue `feegrant/expiry/<time 12><grantee 20><granter 20>` ->
//! empty, ordered by expiration, which end block and MsgPruneAllowances drain.

use super::allowance::{before, block_timestamp, Allowance};
use super::errors as err;
use super::events::{self, grant_event};
use crate::auth;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::feegrant::v1beta1::Grant;
use cosmos_sdk_proto::Timestamp;
use kumo_crypto::Address;
use prost::Message;

pub const ALLOWANCE_PREFIX: &[u8] = b"feegrant/allowance/";
pub const GRANTER_INDEX_PREFIX: &[u8] = b"feegrant/granter/";
pub const EXPIRY_PREFIX: &[u8] = b"feegrant/expiry/";
const ADDR_LEN: usize = 20;
const TIME_LEN: usize = 12;

/// Expired allowances end block removes at most, per block (the SDK's EndBlocker limit).
pub const END_BLOCK_PRUNE_LIMIT: usize = 200;
/// Expired allowances one MsgPruneAllowances removes at most (the SDK's msg server limit).
pub const MSG_PRUNE_LIMIT: usize = 75;

pub fn allowance_key(granter: &Address, grantee: &Address) -> Vec<u8> {
    [ALLOWANCE_PREFIX, grantee.as_bytes(), granter.as_bytes()].concat()
}

fn granter_index_key(granter: &Address, grantee: &Address) -> Vec<u8> {
    [GRANTER_INDEX_PREFIX, granter.as_bytes(), grantee.as_bytes()].concat()
}

/// A time as 12 bytes that sort like the time: seconds (sign bit flipped) then nanos.
fn time_bytes(t: &Timestamp) -> [u8; TIME_LEN] {
    let mut out = [0u8; TIME_LEN];
    out[..8].copy_from_slice(&((t.seconds as u64) ^ (1 << 63)).to_be_bytes());
    out[8..].copy_from_slice(&(t.nanos.max(0) as u32).to_be_bytes());
    out
}

fn expiry_key(exp: &Timestamp, granter: &Address, grantee: &Address) -> Vec<u8> {
    [
        EXPIRY_PREFIX,
        &time_bytes(exp),
        grantee.as_bytes(),
        granter.as_bytes(),
    ]
    .concat()
}

/// Every allowance `grantee` holds.
pub fn grantee_prefix(grantee: &Address) -> Vec<u8> {
    [ALLOWANCE_PREFIX, grantee.as_bytes()].concat()
}

/// Index entries of every allowance `granter` gave.
pub fn granter_prefix(granter: &Address) -> Vec<u8> {
    [GRANTER_INDEX_PREFIX, granter.as_bytes()].concat()
}

/// Splits `<a 20><b 20>` after `prefix` (an allowance key or a granter index key).
pub fn split_key(prefix: &[u8], key: &[u8]) -> Option<(Address, Address)> {
    let rest = key.strip_prefix(prefix)?;
    if rest.len() != 2 * ADDR_LEN {
        return None;
    }
    let a = Address::from_slice(&rest[..ADDR_LEN]).ok()?;
    let b = Address::from_slice(&rest[ADDR_LEN..]).ok()?;
    Some((a, b))
}

fn corrupt(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_type(format!("stored fee grant is corrupt: {what}"))
}

pub fn decode_grant(bytes: &[u8]) -> SdkResult<Grant> {
    Grant::decode(bytes).map_err(corrupt)
}

/// The allowance a stored grant carries.
pub fn allowance_of(grant: &Grant) -> SdkResult<Allowance> {
    Allowance::from_any(
        grant
            .allowance
            .as_ref()
            .ok_or_else(|| corrupt("grant without allowance"))?,
    )
}

/// The stored allowance `granter` gave `grantee` (gas-metered), used up or not.
pub fn load(ctx: &mut Ctx, granter: &Address, grantee: &Address) -> SdkResult<Option<Allowance>> {
    match ctx.get(&allowance_key(granter, grantee))? {
        Some(b) => allowance_of(&decode_grant(&b)?).map(Some),
        None => Ok(None),
    }
}

/// Writes the grant record (and the granter index) without touching the expiry queue.
fn write(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    allowance: &Allowance,
) -> SdkResult<()> {
    let grant = Grant {
        granter: granter.to_string(),
        grantee: grantee.to_string(),
        allowance: Some(allowance.to_any()),
    };
    ctx.set(allowance_key(granter, grantee), grant.encode_to_vec())?;
    ctx.set(granter_index_key(granter, grantee), vec![])
}

/// Stores a new allowance (the keeper's `GrantAllowance`): the grantee's account is created
/// if it has none (so it can sign with no balance), the expiration must not be before the
/// block time, and a periodic allowance's first period starts now. `genesis`: imported
/// allowances keep their period reset and are not checked against the block time.
pub fn grant_allowance(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    mut allowance: Allowance,
    genesis: bool,
) -> SdkResult<()> {
    if auth::get_account(ctx, grantee)?.is_none() {
        if auth::MODULE_ACCOUNTS
            .iter()
            .any(|(name, _)| auth::module_address(name) == *grantee)
        {
            return Err(SdkError::unauthorized(format!(
                "{grantee} is not allowed to receive funds"
            )));
        }
        auth::new_account(ctx, grantee)?;
    }
    let now = block_timestamp(ctx.block.time);
    let exp = allowance.expires_at();
    if !genesis {
        if exp.as_ref().is_some_and(|e| before(e, &now)) {
            return Err(SdkError::invalid_request(
                "expiration is before current block time",
            ));
        }
        allowance.update_period_reset(ctx.block.time)?;
    }
    write(ctx, granter, grantee, &allowance)?;
    if let Some(e) = exp {
        ctx.set(expiry_key(&e, granter, grantee), vec![])?;
    }
    ctx.emit(grant_event(events::SET_FEEGRANT, granter, grantee));
    Ok(())
}

/// Removes the allowance (the keeper's `revokeAllowance`); "fee-grant not found" without one.
pub fn revoke(ctx: &mut Ctx, granter: &Address, grantee: &Address) -> SdkResult<()> {
    let allowance = load(ctx, granter, grantee)?.ok_or_else(err::grant_not_found)?;
    ctx.delete(allowance_key(granter, grantee))?;
    ctx.delete(granter_index_key(granter, grantee))?;
    if let Some(e) = allowance.expires_at() {
        ctx.delete(expiry_key(&e, granter, grantee))?;
    }
    ctx.emit(grant_event(events::REVOKE_FEEGRANT, granter, grantee));
    Ok(())
}

/// Pays `fee` for `grantee`'s tx of `msg_type_urls` from the allowance `granter` gave (the
/// keeper's `UseGrantedFees`): refused without a grant or when the allowance does not cover
/// it; a used-up allowance is removed, otherwise its lower limits are stored. The caller moves
/// the coins.
pub fn use_granted_fees(
    ctx: &mut Ctx,
    granter: &Address,
    grantee: &Address,
    fee: &[Coin],
    msg_type_urls: &[&str],
) -> SdkResult<()> {
    let mut allowance = load(ctx, granter, grantee)?.ok_or_else(err::grant_not_found)?;
    let now = ctx.block.time;
    let remove = allowance.accept(now, fee, msg_type_urls, &mut ctx.gas)?;
    if remove {
        revoke(ctx, granter, grantee)?;
        ctx.emit(grant_event(events::USE_FEEGRANT, granter, grantee));
        return Ok(());
    }
    ctx.emit(grant_event(events::USE_FEEGRANT, granter, grantee));
    write(ctx, granter, grantee, &allowance)?;
    ctx.emit(grant_event(events::UPDATE_FEEGRANT, granter, grantee));
    Ok(())
}

/// Removes up to `limit` allowances whose expiration is at or before the block time, oldest
/// first (the keeper's `RemoveExpiredAllowances`). Returns how many went.
pub fn remove_expired(ctx: &mut Ctx, limit: usize) -> SdkResult<usize> {
    let now = block_timestamp(ctx.block.time);
    // Keys strictly before "now + 1ns" are those expiring at or before now.
    let end_time = Timestamp {
        seconds: now.seconds + i64::from(now.nanos == 999_999_999),
        nanos: if now.nanos == 999_999_999 {
            0
        } else {
            now.nanos + 1
        },
    };
    let end = [EXPIRY_PREFIX, &time_bytes(&end_time)].concat();
    let due = ctx.prefix_free_before(EXPIRY_PREFIX, &end);
    let mut removed = 0;
    for (key, _) in due.into_iter().take(limit) {
        let rest = &key[EXPIRY_PREFIX.len()..];
        let Some((grantee, granter)) = rest
            .get(TIME_LEN..)
            .filter(|r| r.len() == 2 * ADDR_LEN)
            .and_then(|r| {
                Some((
                    Address::from_slice(&r[..ADDR_LEN]).ok()?,
                    Address::from_slice(&r[ADDR_LEN..]).ok()?,
                ))
            })
        else {
            return Err(corrupt("malformed expiry queue key"));
        };
        ctx.delete(key)?;
        ctx.delete(allowance_key(&granter, &grantee))?;
        ctx.delete(granter_index_key(&granter, &grantee))?;
        removed += 1;
    }
    Ok(removed)
}

/// Every stored grant, in key (grantee, granter) order, without gas.
pub fn all_grants(ctx: &Ctx) -> SdkResult<Vec<Grant>> {
    ctx.prefix_free(ALLOWANCE_PREFIX)
        .iter()
        .map(|(_, v)| decode_grant(v))
        .collect()
}
