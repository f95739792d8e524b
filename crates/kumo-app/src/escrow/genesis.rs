//! escrow genesis (`akash.escrow.v1.GenesisState` in proto-JSON: `accounts`, `payments`).
//! Import checks that the records are consistent and that the escrow module account holds
//! exactly what they say is escrowed: every account's unspent deposits plus every payment's
//! balance not yet withdrawn.

use super::state::{self, account_key_string, payment_key_string, Account, Payment};
use super::types::{self, State};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use kumo_proto::json::{message_from_json, message_json};
use kumo_proto::math::DEC_ONE;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub accounts: Vec<serde_json::Value>,
    #[serde(default)]
    pub payments: Vec<serde_json::Value>,
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("escrow genesis: {what}"))
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    // denom -> atomics the module account must hold
    let mut escrowed: BTreeMap<String, u128> = BTreeMap::new();
    let mut add = |denom: &str, atomics: u128| -> SdkResult<()> {
        let e = escrowed.entry(denom.to_string()).or_default();
        *e = e
            .checked_add(atomics)
            .ok_or_else(|| bad("escrowed sum overflows"))?;
        Ok(())
    };
    let mut accounts: BTreeMap<String, Account> = BTreeMap::new();
    for (i, json) in g.accounts.iter().enumerate() {
        let rec: types::Account =
            message_from_json(json).map_err(|e| bad(format!("account {i}: {e}")))?;
        let acc = Account::from_proto(&rec).map_err(|e| bad(format!("account {i}: {}", e.log)))?;
        state::validate_account_id(&acc.id).map_err(|e| bad(e.log))?;
        let key = account_key_string(&acc.id);
        parse_address("escrow account owner", &acc.owner)?;
        for (denom, funds) in &acc.funds {
            let deposits: u128 = acc
                .deposits
                .iter()
                .filter(|d| &d.denom == denom)
                .map(|d| d.atomics)
                .sum();
            if *funds >= 0 && (*funds as u128) != deposits {
                return Err(bad(format!(
                    "account {key}: funds {funds} {denom} differ from its deposits {deposits}"
                )));
            }
            add(denom, deposits)?;
        }
        for d in &acc.deposits {
            parse_address("escrow depositor", &d.owner)?;
        }
        if acc.state == State::Open && acc.settled_at > ctx.block.height as i64 + 1 {
            return Err(bad(format!(
                "account {key} was settled at {}, after the genesis height",
                acc.settled_at
            )));
        }
        if accounts.insert(key.clone(), acc).is_some() {
            return Err(bad(format!("account {key} is listed twice")));
        }
    }
    let mut payments: BTreeMap<String, Payment> = BTreeMap::new();
    for (i, json) in g.payments.iter().enumerate() {
        let rec: types::Payment =
            message_from_json(json).map_err(|e| bad(format!("payment {i}: {e}")))?;
        let p = Payment::from_proto(&rec).map_err(|e| bad(format!("payment {i}: {}", e.log)))?;
        state::validate_payment_id(&p.id).map_err(|e| bad(e.log))?;
        let key = payment_key_string(&p.id);
        parse_address("escrow payment owner", &p.owner)?;
        let aid = p.id.aid.clone().unwrap_or_default();
        let acc = accounts
            .get(&account_key_string(&aid))
            .ok_or_else(|| bad(format!("payment {key} has no account")))?;
        if acc.funds_of(&p.denom).is_none() {
            return Err(bad(format!(
                "payment {key} is in {}, which its account does not hold",
                p.denom
            )));
        }
        add(&p.denom, p.balance)?;
        if payments.insert(key.clone(), p).is_some() {
            return Err(bad(format!("payment {key} is listed twice")));
        }
    }
    let module = state::module_address();
    for (denom, atomics) in &escrowed {
        let held = crate::bank::state::balance(ctx, &module, denom)?;
        if atomics % DEC_ONE != 0 || held != atomics / DEC_ONE {
            return Err(bad(format!(
                "the escrow module account holds {held}{denom} but its accounts and payments \
                 escrow {}{denom}",
                kumo_proto::math::Dec::from_atomics(*atomics)
            )));
        }
    }
    for c in crate::bank::state::all_balances(ctx, &module) {
        if !escrowed.contains_key(&c.denom) {
            return Err(bad(format!(
                "the escrow module account holds {c} that no escrow account or payment accounts for"
            )));
        }
    }
    for acc in accounts.values() {
        state::put_account(ctx, acc)?;
    }
    for p in payments.values() {
        state::put_payment(ctx, p)?;
    }
    Ok(())
}

/// Every account and payment, as proto-JSON (by state, then key).
pub fn export(ctx: &Ctx) -> GenesisState {
    let mut g = GenesisState::default();
    for s in state::STORED_STATES {
        for (_, v) in ctx.prefix_free(&state::accounts_prefix(s, "")) {
            if let Ok(a) = <types::Account as prost::Message>::decode(v.as_slice()) {
                g.accounts.push(message_json(&a));
            }
        }
        for (_, v) in ctx.prefix_free(&state::payments_prefix(s, "")) {
            if let Ok(p) = <types::Payment as prost::Message>::decode(v.as_slice()) {
                g.payments.push(message_json(&p));
            }
        }
    }
    g
}
