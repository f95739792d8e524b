//! escrow state: keys, the working forms of accounts and payments, and the settlement rules
//! (spec §6.3, node v1.x): an account is settled only when something touches it, charging each
//! payment `truncate(rate × Δblocks)` from the oldest deposit slices first; a shortfall
//! overdraws the account and every payment of it.
//!
//! Keys: `escrow/acc/<state byte>/<scope>/<xid>` -> `types::Account` and
//! `escrow/pay/<state byte>/<scope>/<account xid>/<payment xid>` -> `types::Payment`. The state
//! byte in the key gives the queries' state filter and the account's payments by prefix, so a
//! settlement reads only the touched account's payments.

use super::errors as err;
use super::{id, types, EscrowHooks};
use crate::auth;
use crate::bank;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::base::v1beta1::{Coin as ProtoCoin, DecCoin};
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::math::{Dec, DEC_ONE};
use prost::Message;
use types::State;

/// The module account that holds every escrowed coin.
pub const MODULE_NAME: &str = "escrow";

const ACCOUNT_PREFIX: &[u8] = b"escrow/acc/";
const PAYMENT_PREFIX: &[u8] = b"escrow/pay/";

/// The states an account or payment can be stored in, in key order.
pub const STORED_STATES: [State; 3] = [State::Open, State::Closed, State::Overdrawn];

pub fn module_address() -> Address {
    auth::module_address(MODULE_NAME)
}

/// `Account.Key()`: `"<scope name>/<xid>"`.
pub fn account_key_string(id: &id::Account) -> String {
    format!("{}/{}", scope_of(id).as_str_name(), id.xid)
}

/// `Payment.Key()`: `"<account key>/<payment xid>"`.
pub fn payment_key_string(id: &id::Payment) -> String {
    let aid = id.aid.clone().unwrap_or_default();
    format!("{}/{}", account_key_string(&aid), id.xid)
}

fn scope_of(id: &id::Account) -> id::Scope {
    id::Scope::try_from(id.scope).unwrap_or(id::Scope::Invalid)
}

/// `escrow/acc/<state>/` (+ a key-string prefix for the xid filter).
pub fn accounts_prefix(state: State, key_prefix: &str) -> Vec<u8> {
    [ACCOUNT_PREFIX, &[state as u8, b'/'], key_prefix.as_bytes()].concat()
}

pub fn payments_prefix(state: State, key_prefix: &str) -> Vec<u8> {
    [PAYMENT_PREFIX, &[state as u8, b'/'], key_prefix.as_bytes()].concat()
}

fn account_store_key(state: State, id: &id::Account) -> Vec<u8> {
    accounts_prefix(state, &account_key_string(id))
}

fn payment_store_key(state: State, id: &id::Payment) -> Vec<u8> {
    payments_prefix(state, &payment_key_string(id))
}

/// Prefix of one account's payments in one state (the trailing `/` keeps `owner/1` from
/// matching `owner/12`).
fn account_payments_prefix(state: State, id: &id::Account) -> Vec<u8> {
    payments_prefix(state, &format!("{}/", account_key_string(id)))
}

/// Checks an account ID: a known scope and a non-empty xid.
pub fn validate_account_id(id: &id::Account) -> SdkResult<()> {
    if scope_of(id) == id::Scope::Invalid {
        return Err(err::invalid_id(format!(
            "escrow account scope {} is not deployment or bid",
            id.scope
        )));
    }
    if id.xid.is_empty() {
        return Err(err::invalid_id("escrow account xid is empty"));
    }
    Ok(())
}

pub fn validate_payment_id(id: &id::Payment) -> SdkResult<()> {
    validate_account_id(
        id.aid
            .as_ref()
            .ok_or_else(|| err::invalid_id("escrow payment has no account id"))?,
    )?;
    if id.xid.is_empty() {
        return Err(err::invalid_id("escrow payment xid is empty"));
    }
    Ok(())
}

// ---- LegacyDec wire amounts (value × 10^18 as an integer string; funds may be negative) ----

fn corrupt(what: impl std::fmt::Display) -> SdkError {
    err::invalid_settlement(format!("stored escrow record is corrupt: {what}"))
}

/// Parses a LegacyDec wire string (empty means zero; funds may be negative).
pub fn parse_atomics(s: &str) -> SdkResult<i128> {
    kumo_proto::math::signed_atomics_from_wire(s).map_err(corrupt)
}

fn parse_unsigned(s: &str) -> SdkResult<u128> {
    Dec::from_wire(s).map(Dec::atomics).map_err(corrupt)
}

pub fn dec_coin(denom: &str, atomics: u128) -> DecCoin {
    DecCoin {
        denom: denom.to_string(),
        amount: atomics.to_string(),
    }
}

/// Whole units in `atomics` (LegacyDec `TruncateInt`).
pub fn truncate(atomics: u128) -> u128 {
    atomics / DEC_ONE
}

fn units_to_atomics(units: u128) -> SdkResult<u128> {
    units
        .checked_mul(DEC_ONE)
        .ok_or_else(|| err::invalid_settlement(format!("amount {units} overflows")))
}

fn overflow() -> SdkError {
    err::invalid_settlement("escrow arithmetic overflows")
}

// ---- working forms ----

/// A deposit slice: `atomics` of `denom` not yet consumed, owned by `owner`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    pub owner: String,
    pub height: i64,
    pub source: Source,
    pub denom: String,
    pub atomics: u128,
}

/// An escrow account being worked on, with the state it was loaded in (to move its key).
#[derive(Clone, Debug)]
pub struct Account {
    pub id: id::Account,
    pub owner: String,
    pub state: State,
    /// (denom, atomics) paid out to payments so far.
    pub transferred: Vec<(String, u128)>,
    pub settled_at: i64,
    /// (denom, atomics); negative by the shortfall when overdrawn. `funds[0]` is primary.
    pub funds: Vec<(String, i128)>,
    pub deposits: Vec<Slice>,
    prev_state: State,
    dirty: bool,
}

#[derive(Clone, Debug)]
pub struct Payment {
    pub id: id::Payment,
    pub owner: String,
    pub state: State,
    pub denom: String,
    pub rate: u128,
    pub balance: u128,
    pub unsettled: u128,
    /// Whole units paid out (fees included).
    pub withdrawn: u128,
    prev_state: State,
    dirty: bool,
}

fn state_of(v: i32) -> SdkResult<State> {
    match State::try_from(v) {
        Ok(s) if s != State::Invalid => Ok(s),
        _ => Err(corrupt(format!("state {v}"))),
    }
}

impl Account {
    pub fn from_proto(a: &types::Account) -> SdkResult<Account> {
        let id = a.id.clone().ok_or_else(|| corrupt("account without id"))?;
        let s = a
            .state
            .clone()
            .ok_or_else(|| corrupt("account without state"))?;
        let state = state_of(s.state)?;
        let transferred = s
            .transferred
            .iter()
            .map(|c| Ok((c.denom.clone(), parse_unsigned(&c.amount)?)))
            .collect::<SdkResult<Vec<_>>>()?;
        let funds = s
            .funds
            .iter()
            .map(|b| Ok((b.denom.clone(), parse_atomics(&b.amount)?)))
            .collect::<SdkResult<Vec<_>>>()?;
        if funds.is_empty() {
            return Err(corrupt(format!(
                "account {} has no funds entry",
                account_key_string(&id)
            )));
        }
        let deposits = s
            .deposits
            .iter()
            .map(|d| {
                let bal = d.balance.clone().unwrap_or_default();
                Ok(Slice {
                    owner: d.owner.clone(),
                    height: d.height,
                    source: Source::try_from(d.source).unwrap_or(Source::Invalid),
                    denom: bal.denom,
                    atomics: parse_unsigned(&bal.amount)?,
                })
            })
            .collect::<SdkResult<Vec<_>>>()?;
        Ok(Account {
            id,
            owner: s.owner,
            state,
            transferred,
            settled_at: s.settled_at,
            funds,
            deposits,
            prev_state: state,
            dirty: false,
        })
    }

    pub fn to_proto(&self) -> types::Account {
        types::Account {
            id: Some(self.id.clone()),
            state: Some(types::AccountState {
                owner: self.owner.clone(),
                state: self.state as i32,
                transferred: self
                    .transferred
                    .iter()
                    .map(|(d, a)| dec_coin(d, *a))
                    .collect(),
                settled_at: self.settled_at,
                funds: self
                    .funds
                    .iter()
                    .map(|(d, a)| types::Balance {
                        denom: d.clone(),
                        amount: a.to_string(),
                    })
                    .collect(),
                deposits: self
                    .deposits
                    .iter()
                    .map(|s| types::Depositor {
                        owner: s.owner.clone(),
                        height: s.height,
                        source: s.source as i32,
                        balance: Some(dec_coin(&s.denom, s.atomics)),
                    })
                    .collect(),
            }),
        }
    }

    fn funds_mut(&mut self, denom: &str) -> Option<&mut i128> {
        self.funds
            .iter_mut()
            .find(|(d, _)| d == denom)
            .map(|(_, a)| a)
    }

    /// Funds of `denom` in atomics (None: the account does not hold that denom).
    pub fn funds_of(&self, denom: &str) -> Option<i128> {
        self.funds.iter().find(|(d, _)| d == denom).map(|(_, a)| *a)
    }

    /// Takes up to `amount` atomics of `denom` from the deposit slices, oldest first; returns
    /// what it got. A shortfall is also subtracted from `funds`, which goes negative by it.
    fn deduct(&mut self, denom: &str, amount: u128) -> SdkResult<(u128, bool)> {
        let mut remaining = amount;
        for slice in self.deposits.iter_mut().filter(|s| s.denom == denom) {
            if remaining == 0 {
                break;
            }
            let take = slice.atomics.min(remaining);
            slice.atomics -= take;
            remaining -= take;
        }
        self.deposits.retain(|s| s.atomics > 0);
        let got = amount - remaining;
        let transferred = self
            .transferred
            .iter_mut()
            .find(|(d, _)| d == denom)
            .map(|(_, a)| a);
        let funds = self
            .funds
            .iter_mut()
            .find(|(d, _)| d == denom)
            .map(|(_, a)| a);
        let (Some(funds), Some(transferred)) = (funds, transferred) else {
            return Err(err::invalid_settlement(format!(
                "account {} holds no {denom}",
                account_key_string(&self.id)
            )));
        };
        *transferred = transferred.checked_add(got).ok_or_else(overflow)?;
        let debit = i128::try_from(amount).map_err(|_| overflow())?;
        *funds = funds.checked_sub(debit).ok_or_else(overflow)?;
        Ok((got, remaining > 0))
    }
}

impl Payment {
    pub fn from_proto(p: &types::Payment) -> SdkResult<Payment> {
        let id = p.id.clone().ok_or_else(|| corrupt("payment without id"))?;
        let s = p
            .state
            .clone()
            .ok_or_else(|| corrupt("payment without state"))?;
        let state = state_of(s.state)?;
        let rate = s.rate.unwrap_or_default();
        let amount = |c: Option<DecCoin>| parse_unsigned(&c.unwrap_or_default().amount);
        let withdrawn = s.withdrawn.unwrap_or_default();
        Ok(Payment {
            owner: s.owner,
            state,
            denom: rate.denom.clone(),
            rate: parse_unsigned(&rate.amount)?,
            balance: amount(s.balance)?,
            unsettled: amount(s.unsettled)?,
            withdrawn: if withdrawn.amount.is_empty() {
                0
            } else {
                crate::coins::parse_amount(&withdrawn.amount).map_err(corrupt)?
            },
            id,
            prev_state: state,
            dirty: false,
        })
    }

    pub fn to_proto(&self) -> types::Payment {
        types::Payment {
            id: Some(self.id.clone()),
            state: Some(types::PaymentState {
                owner: self.owner.clone(),
                state: self.state as i32,
                rate: Some(dec_coin(&self.denom, self.rate)),
                balance: Some(dec_coin(&self.denom, self.balance)),
                unsettled: Some(dec_coin(&self.denom, self.unsettled)),
                withdrawn: Some(ProtoCoin {
                    denom: self.denom.clone(),
                    amount: self.withdrawn.to_string(),
                }),
            }),
        }
    }
}

// ---- loading ----

fn decode_account(bytes: &[u8]) -> SdkResult<Account> {
    let a = types::Account::decode(bytes).map_err(corrupt)?;
    Account::from_proto(&a)
}

fn decode_payment(bytes: &[u8]) -> SdkResult<Payment> {
    let p = types::Payment::decode(bytes).map_err(corrupt)?;
    Payment::from_proto(&p)
}

/// The stored account in whichever state it is (gas-metered).
pub fn load_account(ctx: &mut Ctx, id: &id::Account) -> SdkResult<Option<Account>> {
    for state in STORED_STATES {
        if let Some(b) = ctx.get(&account_store_key(state, id))? {
            return decode_account(&b).map(Some);
        }
    }
    Ok(None)
}

pub fn load_payment(ctx: &mut Ctx, id: &id::Payment) -> SdkResult<Option<Payment>> {
    for state in STORED_STATES {
        if let Some(b) = ctx.get(&payment_store_key(state, id))? {
            return decode_payment(&b).map(Some);
        }
    }
    Ok(None)
}

fn must_load_account(ctx: &mut Ctx, id: &id::Account) -> SdkResult<Account> {
    load_account(ctx, id)?.ok_or_else(|| {
        err::account_not_found(format!(
            "no escrow account {}; check the scope and xid",
            account_key_string(id)
        ))
    })
}

fn must_load_payment(ctx: &mut Ctx, id: &id::Payment) -> SdkResult<Payment> {
    load_payment(ctx, id)?.ok_or_else(|| {
        err::payment_not_found(format!("no escrow payment {}", payment_key_string(id)))
    })
}

/// The account's payments in `states`, by state then key.
fn load_payments(ctx: &mut Ctx, id: &id::Account, states: &[State]) -> SdkResult<Vec<Payment>> {
    let mut out = Vec::new();
    for state in states {
        for (_, v) in ctx.prefix(&account_payments_prefix(*state, id))? {
            out.push(decode_payment(&v)?);
        }
    }
    Ok(out)
}

pub fn get_account(ctx: &Ctx, id: &id::Account) -> Option<types::Account> {
    STORED_STATES.iter().find_map(|s| {
        ctx.get_free(&account_store_key(*s, id))
            .and_then(|b| types::Account::decode(b.as_slice()).ok())
    })
}

pub fn get_payment(ctx: &Ctx, id: &id::Payment) -> Option<types::Payment> {
    STORED_STATES.iter().find_map(|s| {
        ctx.get_free(&payment_store_key(*s, id))
            .and_then(|b| types::Payment::decode(b.as_slice()).ok())
    })
}

/// Every payment of the account, in any state (open, closed, overdrawn; each by key).
pub fn payments_of(ctx: &Ctx, id: &id::Account) -> Vec<types::Payment> {
    STORED_STATES
        .iter()
        .flat_map(|s| ctx.prefix_free(&account_payments_prefix(*s, id)))
        .filter_map(|(_, v)| types::Payment::decode(v.as_slice()).ok())
        .collect()
}

// ---- lifecycles ----

/// What moves an escrow account or payment (spec §6.3).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A settlement could not cover what is owed (the account, or one payment's share).
    Short,
    /// A settlement covered a payment's share (an overdrawn payment whose debt is paid is
    /// open again).
    Covered,
    /// The owner closes (account or payment close, lease close): an open record closes; an
    /// overdrawn one keeps its debt on record and stays overdrawn.
    Close,
    /// A deposit paid an overdrawn account's whole debt: the account closes.
    DebtPaid,
}

/// The one account transition function: open -> overdrawn | closed, overdrawn -> closed once a
/// deposit pays its debt; a closed account never moves (`account_closed`).
pub fn account_transition(id: &id::Account, from: State, event: Event) -> SdkResult<State> {
    use Event::*;
    match (from, event) {
        (State::Open | State::Overdrawn, Short) => Ok(State::Overdrawn),
        (State::Open, Close) => Ok(State::Closed),
        (State::Overdrawn, Close) => Ok(State::Overdrawn),
        (State::Overdrawn, DebtPaid) => Ok(State::Closed),
        (State::Closed, _) => Err(err::account_closed(format!(
            "escrow account {} is closed",
            account_key_string(id)
        ))),
        _ => Err(err::invalid_account(format!(
            "escrow account {} is {}: {event:?} does not apply",
            account_key_string(id),
            from.as_str_name()
        ))),
    }
}

/// The one payment transition function: open <-> overdrawn as settlements fall short or catch
/// up, open -> closed; a closed payment never moves (`payment_closed`).
pub fn payment_transition(id: &id::Payment, from: State, event: Event) -> SdkResult<State> {
    use Event::*;
    match (from, event) {
        (State::Open | State::Overdrawn, Short) => Ok(State::Overdrawn),
        (State::Open | State::Overdrawn, Covered) => Ok(State::Open),
        (State::Open, Close) => Ok(State::Closed),
        (State::Overdrawn, Close) => Ok(State::Overdrawn),
        (State::Closed, _) => Err(err::payment_closed(format!(
            "escrow payment {} is closed",
            payment_key_string(id)
        ))),
        _ => Err(err::invalid_payment(format!(
            "escrow payment {} is {}: {event:?} does not apply",
            payment_key_string(id),
            from.as_str_name()
        ))),
    }
}

impl Account {
    fn apply(&mut self, event: Event) -> SdkResult<()> {
        self.state = account_transition(&self.id, self.state, event)?;
        self.dirty = true;
        Ok(())
    }
}

impl Payment {
    fn apply(&mut self, event: Event) -> SdkResult<()> {
        self.state = payment_transition(&self.id, self.state, event)?;
        self.dirty = true;
        Ok(())
    }
}

// ---- saving (refunds and hooks) ----

fn parse_owner(what: &str, owner: &str) -> SdkResult<Address> {
    auth::parse_address(what, owner)
}

/// Writes the account under its state's key. A closed or overdrawn account first refunds every
/// deposit slice with something left to its owner, then the hooks hear of it.
fn save_account(ctx: &mut Ctx, hooks: &dyn EscrowHooks, acc: &mut Account) -> SdkResult<()> {
    if acc.state != acc.prev_state {
        ctx.delete(account_store_key(acc.prev_state, &acc.id))?;
    }
    let finished = matches!(acc.state, State::Closed | State::Overdrawn);
    if finished {
        for slice in std::mem::take(&mut acc.deposits) {
            let refund = truncate(slice.atomics);
            if refund == 0 {
                continue;
            }
            let to = parse_owner("depositor", &slice.owner)?;
            let coin = Coin::new(slice.denom.clone(), refund);
            bank::state::send(ctx, &module_address(), &to, std::slice::from_ref(&coin))?;
            // A grant-funded slice goes back to the granter, whose grant to the account's
            // owner gets the refund back as spend limit (if it still exists).
            if slice.source == Source::Grant {
                let grantee = parse_owner("account owner", &acc.owner)?;
                crate::authz::state::restore_deposit_grant(ctx, &to, &grantee, &coin)?;
            }
            let debit = i128::try_from(units_to_atomics(refund)?).map_err(|_| overflow())?;
            if let Some(f) = acc.funds_mut(&slice.denom) {
                *f = f.checked_sub(debit).ok_or_else(overflow)?;
            }
        }
    }
    let record = acc.to_proto();
    ctx.set(
        account_store_key(acc.state, &acc.id),
        record.encode_to_vec(),
    )?;
    acc.prev_state = acc.state;
    acc.dirty = false;
    if finished {
        hooks.on_account_closed(ctx, &record)?;
    }
    Ok(())
}

fn save_payment(ctx: &mut Ctx, hooks: &dyn EscrowHooks, p: &mut Payment) -> SdkResult<()> {
    if p.state != p.prev_state {
        ctx.delete(payment_store_key(p.prev_state, &p.id))?;
    }
    let record = p.to_proto();
    ctx.set(payment_store_key(p.state, &p.id), record.encode_to_vec())?;
    p.prev_state = p.state;
    p.dirty = false;
    if matches!(p.state, State::Closed | State::Overdrawn) {
        hooks.on_payment_closed(ctx, &record)?;
    }
    Ok(())
}

/// Saves the account (if changed), then the changed payments.
fn save(
    ctx: &mut Ctx,
    hooks: &dyn EscrowHooks,
    acc: &mut Account,
    payments: &mut [Payment],
) -> SdkResult<()> {
    if acc.dirty {
        save_account(ctx, hooks, acc)?;
    }
    for p in payments.iter_mut().filter(|p| p.dirty) {
        save_payment(ctx, hooks, p)?;
    }
    Ok(())
}

/// Writes a record as given (genesis import).
pub fn put_account(ctx: &mut Ctx, acc: &Account) -> SdkResult<()> {
    ctx.set(
        account_store_key(acc.state, &acc.id),
        acc.to_proto().encode_to_vec(),
    )
}

pub fn put_payment(ctx: &mut Ctx, p: &Payment) -> SdkResult<()> {
    ctx.set(
        payment_store_key(p.state, &p.id),
        p.to_proto().encode_to_vec(),
    )
}

// ---- settlement ----

/// Pays out a payment's whole accrued units: the take fee to the community pool, the rest to
/// the provider.
fn withdraw(ctx: &mut Ctx, p: &mut Payment) -> SdkResult<()> {
    let amount = truncate(p.balance);
    if amount == 0 {
        return Ok(());
    }
    let fee = crate::take::fee_for(ctx, &p.denom, amount);
    if fee > 0 {
        crate::distribution::fund_community_pool(
            ctx,
            MODULE_NAME,
            &[Coin::new(p.denom.clone(), fee)],
        )?;
    }
    let earnings = amount - fee;
    if earnings > 0 {
        let provider = parse_owner("payment owner", &p.owner)?;
        bank::state::send(
            ctx,
            &module_address(),
            &provider,
            &[Coin::new(p.denom.clone(), earnings)],
        )?;
    }
    p.withdrawn = p.withdrawn.checked_add(amount).ok_or_else(overflow)?;
    p.balance -= units_to_atomics(amount)?;
    p.dirty = true;
    Ok(())
}

/// Brings the account up to the current height (spec §6.3 `accountSettle`). Returns the
/// payments it touched (every open or overdrawn payment of the account) and whether the
/// account is overdrawn. An overdrawn account with negative funds is left as it is.
fn settle(ctx: &mut Ctx, acc: &mut Account) -> SdkResult<(Vec<Payment>, bool)> {
    if acc.state == State::Closed {
        return Err(err::account_closed(format!(
            "escrow account {} is closed and cannot be settled",
            account_key_string(&acc.id)
        )));
    }
    if acc.funds[0].1 < 0 {
        return Ok((vec![], true));
    }
    let height = i64::try_from(ctx.block.height).map_err(|_| overflow())?;
    // An overdrawn account's deployment is closed: no blocks accrue, only its debt is paid.
    let delta = if acc.state == State::Overdrawn {
        0
    } else {
        let d = height.checked_sub(acc.settled_at).filter(|d| *d >= 0);
        let d = d.ok_or_else(|| {
            err::invalid_settlement(format!(
                "account {} was settled at height {}, after the current height {height}",
                account_key_string(&acc.id),
                acc.settled_at
            ))
        })?;
        acc.settled_at = height;
        d as u128
    };
    acc.dirty = true;
    // Open payments are read even when Δ = 0, so a close or withdraw in the block of the last
    // settlement still finds its payment (node's same-block settlement fix).
    let mut payments = load_payments(ctx, &acc.id, &[State::Overdrawn, State::Open])?;
    if payments.is_empty() {
        return Ok((payments, false));
    }
    let mut owed = Vec::with_capacity(payments.len());
    for p in payments.iter_mut() {
        if p.prev_state == State::Overdrawn {
            owed.push(std::mem::take(&mut p.unsettled));
        } else {
            let accrued = p.rate.checked_mul(delta).ok_or_else(overflow)?;
            owed.push(units_to_atomics(truncate(accrued))?);
        }
    }
    let mut overdrawn = false;
    for (p, amount) in payments.iter_mut().zip(owed) {
        let (got, short) = acc.deduct(&p.denom, amount)?;
        p.balance = p.balance.checked_add(got).ok_or_else(overflow)?;
        p.dirty = true;
        if short {
            overdrawn = true;
            p.apply(Event::Short)?;
            p.unsettled = p.unsettled.checked_add(amount - got).ok_or_else(overflow)?;
        } else {
            p.apply(Event::Covered)?;
        }
    }
    if !overdrawn {
        return Ok((payments, false));
    }
    acc.apply(Event::Short)?;
    for p in payments.iter_mut() {
        p.apply(Event::Short)?;
        withdraw(ctx, p)?;
    }
    Ok((payments, true))
}

// ---- deposits ----

/// The depositor slices for `deposit` into account `id`, paid by `signer` (spec §6.5
/// `AuthorizeDeposits`): each source in turn covers what it can of what remains; `grant` draws
/// on the `DepositAuthorization`s the signer holds for the account's scope, in granter order,
/// and records slices owned by the granters.
fn authorize_deposits(
    ctx: &mut Ctx,
    id: &id::Account,
    signer: &Address,
    deposit: &Deposit,
) -> SdkResult<Vec<Slice>> {
    let amount = deposit
        .amount
        .as_ref()
        .ok_or_else(|| err::invalid_deposit("deposit has no amount"))?;
    let coin = Coin::from_proto(amount).map_err(|e| err::invalid_deposit(e.log))?;
    if coin.amount == 0 {
        return Err(err::invalid_deposit(format!(
            "deposit amount {coin} must be positive"
        )));
    }
    let height = i64::try_from(ctx.block.height).map_err(|_| overflow())?;
    let mut remaining = coin.amount;
    let mut slices = Vec::new();
    let mut grant_refusals = Vec::new();
    for source in &deposit.sources {
        if remaining == 0 {
            break;
        }
        match Source::try_from(*source) {
            Ok(Source::Balance) => {
                let spendable = bank::state::balance(ctx, signer, &coin.denom)?;
                let take = spendable.min(remaining);
                if take > 0 {
                    slices.push(Slice {
                        owner: signer.to_bech32(ACCOUNT_HRP),
                        height,
                        source: Source::Balance,
                        denom: coin.denom.clone(),
                        atomics: units_to_atomics(take)?,
                    });
                    remaining -= take;
                }
            }
            Ok(Source::Grant) => {
                let draw = crate::authz::state::draw_deposit_grants(
                    ctx,
                    signer,
                    scope_of(id),
                    &coin.denom,
                    remaining,
                )?;
                for (granter, take) in draw.shares {
                    slices.push(Slice {
                        owner: granter.to_bech32(ACCOUNT_HRP),
                        height,
                        source: Source::Grant,
                        denom: coin.denom.clone(),
                        atomics: units_to_atomics(take)?,
                    });
                    remaining -= take;
                }
                grant_refusals = draw.refusals;
            }
            _ => {
                return Err(err::invalid_deposit(format!(
                    "deposit source {source} is not balance or grant"
                )))
            }
        }
    }
    if remaining > 0 {
        let uses_grant = deposit.sources.contains(&(Source::Grant as i32));
        let grants = if !uses_grant {
            String::new()
        } else if grant_refusals.is_empty() {
            format!(
                "; the {} scope deposit authorizations granted to it are used up or absent",
                scope_of(id).as_str_name()
            )
        } else {
            format!("; {}", grant_refusals.join("; "))
        };
        return Err(err::invalid_deposit(format!(
            "insufficient balance: {signer} can deposit {} of the {coin} asked for{grants}",
            coin.amount - remaining,
            signer = signer.to_bech32(ACCOUNT_HRP)
        )));
    }
    Ok(slices)
}

/// Moves the slices' coins into the escrow module account and adds them to the account.
/// Negative funds (an overdrawn account) restart from zero: settlement recomputes the debt.
fn fetch_deposits(ctx: &mut Ctx, acc: &mut Account, slices: Vec<Slice>) -> SdkResult<()> {
    for s in &slices {
        if acc.funds_of(&s.denom).is_none() {
            let held: Vec<&str> = acc.funds.iter().map(|(d, _)| d.as_str()).collect();
            return Err(err::invalid_denomination(format!(
                "escrow account {} holds {}; a {} deposit cannot be added",
                account_key_string(&acc.id),
                held.join(", "),
                s.denom
            )));
        }
    }
    for s in &slices {
        let from = parse_owner("depositor", &s.owner)?;
        bank::state::send(
            ctx,
            &from,
            &module_address(),
            &[Coin::new(s.denom.clone(), truncate(s.atomics))],
        )?;
        let add = i128::try_from(s.atomics).map_err(|_| overflow())?;
        let f = acc.funds_mut(&s.denom).expect("checked above");
        *f = (*f).max(0).checked_add(add).ok_or_else(overflow)?;
    }
    if !slices.is_empty() {
        acc.dirty = true;
    }
    acc.deposits.extend(slices);
    Ok(())
}

// ---- entry points (spec §6.3) ----

pub fn account_create(
    ctx: &mut Ctx,
    _hooks: &dyn EscrowHooks,
    id: &id::Account,
    owner: &Address,
    signer: &Address,
    deposit: &Deposit,
) -> SdkResult<()> {
    validate_account_id(id)?;
    if load_account(ctx, id)?.is_some() {
        return Err(err::account_exists(format!(
            "escrow account {} already exists",
            account_key_string(id)
        )));
    }
    let slices = authorize_deposits(ctx, id, signer, deposit)?;
    let mut denoms: Vec<String> = slices.iter().map(|s| s.denom.clone()).collect();
    denoms.dedup();
    let mut acc = Account {
        id: id.clone(),
        owner: owner.to_bech32(ACCOUNT_HRP),
        state: State::Open,
        transferred: denoms.iter().map(|d| (d.clone(), 0)).collect(),
        settled_at: i64::try_from(ctx.block.height).map_err(|_| overflow())?,
        funds: denoms.iter().map(|d| (d.clone(), 0)).collect(),
        deposits: vec![],
        prev_state: State::Open,
        dirty: true,
    };
    fetch_deposits(ctx, &mut acc, slices)?;
    put_account(ctx, &acc)
}

pub fn account_deposit(
    ctx: &mut Ctx,
    hooks: &dyn EscrowHooks,
    id: &id::Account,
    signer: &Address,
    deposit: &Deposit,
) -> SdkResult<()> {
    let mut acc = must_load_account(ctx, id)?;
    if acc.state == State::Closed {
        return Err(err::account_closed(format!(
            "escrow account {} is closed; deposits are refused",
            account_key_string(id)
        )));
    }
    let slices = authorize_deposits(ctx, id, signer, deposit)?;
    fetch_deposits(ctx, &mut acc, slices)?;
    if acc.state != State::Overdrawn {
        return save_account(ctx, hooks, &mut acc);
    }
    // Topping up an overdrawn account pays the providers' debt, then closes it if it can.
    let (mut payments, overdrawn) = settle(ctx, &mut acc)?;
    for p in payments.iter_mut() {
        p.apply(Event::Close)?;
        withdraw(ctx, p)?;
    }
    if !overdrawn {
        acc.apply(Event::DebtPaid)?;
    }
    save(ctx, hooks, &mut acc, &mut payments)
}

pub fn account_close(ctx: &mut Ctx, hooks: &dyn EscrowHooks, id: &id::Account) -> SdkResult<()> {
    let mut acc = must_load_account(ctx, id)?;
    if acc.state == State::Closed {
        return Err(err::account_closed(format!(
            "escrow account {} is already closed",
            account_key_string(id)
        )));
    }
    let (mut payments, _) = settle(ctx, &mut acc)?;
    acc.apply(Event::Close)?;
    for p in payments.iter_mut() {
        p.apply(Event::Close)?;
        withdraw(ctx, p)?;
    }
    save(ctx, hooks, &mut acc, &mut payments)
}

/// Opens a payment of `rate` (a LegacyDec DecCoin in wire form: value × 10^18) per block
/// from the account to `provider`.
pub fn payment_create(
    ctx: &mut Ctx,
    hooks: &dyn EscrowHooks,
    id: &id::Payment,
    provider: &Address,
    rate: &DecCoin,
) -> SdkResult<()> {
    validate_payment_id(id)?;
    let aid = id.aid.clone().unwrap_or_default();
    let mut acc = must_load_account(ctx, &aid)?;
    let (mut payments, overdrawn) = settle(ctx, &mut acc)?;
    if overdrawn {
        return Err(err::account_overdrawn(format!(
            "escrow account {} cannot cover what it owes; deposit to it first",
            account_key_string(&aid)
        )));
    }
    if acc.funds_of(&rate.denom).is_none() {
        return Err(err::invalid_denomination(format!(
            "payment rate denom {} is not held by escrow account {}",
            rate.denom,
            account_key_string(&aid)
        )));
    }
    let rate_atomics = u128::try_from(parse_atomics(&rate.amount)?)
        .map_err(|_| err::invalid_payment(format!("payment rate {} is negative", rate.amount)))?;
    if rate_atomics == 0 {
        return Err(err::payment_rate_zero(format!(
            "payment {} needs a positive rate",
            payment_key_string(id)
        )));
    }
    if load_payment(ctx, id)?.is_some() {
        return Err(err::payment_exists(format!(
            "escrow payment {} already exists",
            payment_key_string(id)
        )));
    }
    // The settlement above also credited the account's other payments: keep that.
    save(ctx, hooks, &mut acc, &mut payments)?;
    let mut p = Payment {
        id: id.clone(),
        owner: provider.to_bech32(ACCOUNT_HRP),
        state: State::Open,
        denom: rate.denom.clone(),
        rate: rate_atomics,
        balance: 0,
        unsettled: 0,
        withdrawn: 0,
        prev_state: State::Open,
        dirty: true,
    };
    save_payment(ctx, hooks, &mut p)
}

pub fn payment_withdraw(ctx: &mut Ctx, hooks: &dyn EscrowHooks, id: &id::Payment) -> SdkResult<()> {
    let aid = id.aid.clone().unwrap_or_default();
    let mut acc = must_load_account(ctx, &aid)?;
    let p = must_load_payment(ctx, id)?;
    if p.state != State::Open {
        return Err(err::payment_closed(format!(
            "escrow payment {} is {}; only open payments can be withdrawn",
            payment_key_string(id),
            p.state.as_str_name()
        )));
    }
    let (mut payments, overdrawn) = settle(ctx, &mut acc)?;
    if !overdrawn {
        let key = payment_key_string(id);
        let p = payments
            .iter_mut()
            .find(|p| payment_key_string(&p.id) == key)
            .ok_or_else(|| {
                err::invalid_settlement(format!("open payment {key} missing from settlement"))
            })?;
        withdraw(ctx, p)?;
    }
    save(ctx, hooks, &mut acc, &mut payments)
}

pub fn payment_close(ctx: &mut Ctx, hooks: &dyn EscrowHooks, id: &id::Payment) -> SdkResult<()> {
    let aid = id.aid.clone().unwrap_or_default();
    let mut acc = must_load_account(ctx, &aid)?;
    let p = must_load_payment(ctx, id)?;
    if p.state == State::Closed {
        return Err(err::payment_closed(format!(
            "escrow payment {} is already closed",
            payment_key_string(id)
        )));
    }
    let (mut payments, _) = settle(ctx, &mut acc)?;
    acc.dirty = true;
    let key = payment_key_string(id);
    for p in payments.iter_mut() {
        p.dirty = true;
        if payment_key_string(&p.id) == key {
            p.apply(Event::Close)?;
            withdraw(ctx, p)?;
        }
    }
    save(ctx, hooks, &mut acc, &mut payments)
}
