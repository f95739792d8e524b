//! bank state keys and the one way coins move: `send`, which emits the SDK's
//! coin_spent / coin_received / transfer events.

use crate::abci::Event;
use crate::auth;
use crate::coins::{coins_to_string, Coin};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{Metadata, Params};
use kumo_crypto::{Address, ACCOUNT_HRP};
use prost::Message;

const BALANCE_PREFIX: &[u8] = b"bank/bal/";
const SUPPLY_PREFIX: &[u8] = b"bank/supply/";
const METADATA_PREFIX: &[u8] = b"bank/meta/";
const PARAMS_KEY: &[u8] = b"bank/params";

/// `bank/bal/<20-byte address><denom>` -> amount (16-byte big-endian).
pub fn balance_key(addr: &Address, denom: &str) -> Vec<u8> {
    [BALANCE_PREFIX, addr.as_bytes(), denom.as_bytes()].concat()
}

pub fn balances_prefix(addr: &Address) -> Vec<u8> {
    [BALANCE_PREFIX, addr.as_bytes()].concat()
}

pub fn supply_key(denom: &str) -> Vec<u8> {
    [SUPPLY_PREFIX, denom.as_bytes()].concat()
}

pub fn supply_prefix() -> &'static [u8] {
    SUPPLY_PREFIX
}

pub fn metadata_key(denom: &str) -> Vec<u8> {
    [METADATA_PREFIX, denom.as_bytes()].concat()
}

pub fn metadata_prefix() -> &'static [u8] {
    METADATA_PREFIX
}

pub fn decode_amount(b: &[u8]) -> u128 {
    u128::from_be_bytes(b.try_into().expect("16-byte stored amount"))
}

pub fn default_params() -> Params {
    #[allow(deprecated)]
    Params {
        send_enabled: vec![],
        default_send_enabled: true,
    }
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("bank params decode"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

pub fn balance(ctx: &mut Ctx, addr: &Address, denom: &str) -> SdkResult<u128> {
    Ok(ctx
        .get(&balance_key(addr, denom))?
        .map_or(0, |b| decode_amount(&b)))
}

fn set_balance(ctx: &mut Ctx, addr: &Address, denom: &str, amount: u128) -> SdkResult<()> {
    let key = balance_key(addr, denom);
    if amount == 0 {
        ctx.delete(key)
    } else {
        ctx.set(key, amount.to_be_bytes().to_vec())
    }
}

/// All non-zero balances of `addr`, sorted by denom.
pub fn all_balances(ctx: &Ctx, addr: &Address) -> Vec<Coin> {
    let prefix = balances_prefix(addr);
    ctx.prefix_free(&prefix)
        .into_iter()
        .map(|(k, v)| Coin {
            denom: String::from_utf8(k[prefix.len()..].to_vec()).expect("utf-8 denom"),
            amount: decode_amount(&v),
        })
        .collect()
}

pub fn supply_of(ctx: &Ctx, denom: &str) -> u128 {
    ctx.get_free(&supply_key(denom))
        .map_or(0, |b| decode_amount(&b))
}

pub fn set_supply(ctx: &mut Ctx, denom: &str, amount: u128) -> SdkResult<()> {
    ctx.set(supply_key(denom), amount.to_be_bytes().to_vec())
}

pub fn set_metadata(ctx: &mut Ctx, m: &Metadata) -> SdkResult<()> {
    ctx.set(metadata_key(&m.base), m.encode_to_vec())
}

/// Takes `coins` from `addr` or fails with the SDK's insufficient-funds error (nothing changes).
pub fn sub_coins(ctx: &mut Ctx, addr: &Address, coins: &[Coin]) -> SdkResult<()> {
    for c in coins {
        let have = balance(ctx, addr, &c.denom)?;
        if have < c.amount {
            return Err(SdkError::insufficient_funds(format!(
                "spendable balance {have}{} is smaller than {c}",
                c.denom
            )));
        }
        set_balance(ctx, addr, &c.denom, have - c.amount)?;
    }
    if !coins.is_empty() {
        ctx.emit(
            Event::new("coin_spent")
                .attr("spender", addr.to_bech32(ACCOUNT_HRP))
                .attr("amount", coins_to_string(coins)),
        );
    }
    Ok(())
}

pub fn add_coins(ctx: &mut Ctx, addr: &Address, coins: &[Coin]) -> SdkResult<()> {
    for c in coins {
        let have = balance(ctx, addr, &c.denom)?;
        let new = have
            .checked_add(c.amount)
            .ok_or_else(|| SdkError::invalid_coins(format!("balance of {} overflows", c.denom)))?;
        set_balance(ctx, addr, &c.denom, new)?;
    }
    if !coins.is_empty() {
        ctx.emit(
            Event::new("coin_received")
                .attr("receiver", addr.to_bech32(ACCOUNT_HRP))
                .attr("amount", coins_to_string(coins)),
        );
    }
    Ok(())
}

/// Moves coins between accounts, creating the recipient's account on first receipt.
pub fn send(ctx: &mut Ctx, from: &Address, to: &Address, coins: &[Coin]) -> SdkResult<()> {
    sub_coins(ctx, from, coins)?;
    add_coins(ctx, to, coins)?;
    auth::ensure_account(ctx, to)?;
    let sender = from.to_bech32(ACCOUNT_HRP);
    ctx.emit(
        Event::new("transfer")
            .attr("recipient", to.to_bech32(ACCOUNT_HRP))
            .attr("sender", sender.clone())
            .attr("amount", coins_to_string(coins)),
    );
    ctx.emit(Event::new("message").attr("sender", sender));
    Ok(())
}

/// Credits newly created coins (genesis, mint) and raises the supply.
pub fn mint(ctx: &mut Ctx, to: &Address, coins: &[Coin]) -> SdkResult<()> {
    for c in coins {
        let s = supply_of(ctx, &c.denom)
            .checked_add(c.amount)
            .ok_or_else(|| SdkError::invalid_coins(format!("supply of {} overflows", c.denom)))?;
        set_supply(ctx, &c.denom, s)?;
    }
    add_coins(ctx, to, coins)?;
    auth::ensure_account(ctx, to)
}

/// Destroys coins held by `from` (slashing, vetoed deposits) and lowers the supply.
pub fn burn(ctx: &mut Ctx, from: &Address, coins: &[Coin]) -> SdkResult<()> {
    sub_coins(ctx, from, coins)?;
    for c in coins {
        let s = supply_of(ctx, &c.denom)
            .checked_sub(c.amount)
            .ok_or_else(|| {
                SdkError::invalid_coins(format!("burning {c} exceeds the supply of {}", c.denom))
            })?;
        set_supply(ctx, &c.denom, s)?;
    }
    if !coins.is_empty() {
        ctx.emit(
            Event::new("burn")
                .attr("burner", from.to_bech32(ACCOUNT_HRP))
                .attr("amount", coins_to_string(coins)),
        );
    }
    Ok(())
}

/// Whether `denom` may be sent (params.send_enabled overrides the default).
pub fn is_send_enabled(ctx: &Ctx, denom: &str) -> bool {
    #[allow(deprecated)]
    let p = params(ctx);
    #[allow(deprecated)]
    p.send_enabled
        .iter()
        .find(|s| s.denom == denom)
        .map_or(p.default_send_enabled, |s| s.enabled)
}
