//! The authorization types a grant can carry, decoded from their `Any`, and what each accepts:
//! - `cosmos.authz.v1beta1.GenericAuthorization{msg}`: any message of that type URL;
//! - `cosmos.bank.v1beta1.SendAuthorization{spend_limit, allow_list}`: `MsgSend`s up to the
//!   limit (which goes down), to the listed recipients only when a list is given;
//! - `akash.escrow.v1.DepositAuthorization{spend_limit, scopes, spend_limits}` (spec §6.2):
//!   escrow deposits of the listed scopes up to the per-denom limits.

use super::errors as err;
use crate::auth::parse_address;
use crate::bank::msgs::BankMsg;
use crate::coins::{coins_from_proto, Coin};
use crate::errors::{SdkError, SdkResult};
use crate::escrow::errors as escrow_err;
use crate::escrow::id::Scope;
use crate::escrow::msgs::{EscrowMsg, MSG_ACCOUNT_DEPOSIT};
use crate::module::decode_as;
use crate::msgs::Msg;
use cosmos_sdk_proto::cosmos::authz::v1beta1::GenericAuthorization;
use cosmos_sdk_proto::cosmos::bank::v1beta1::SendAuthorization;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::escrow::v1::DepositAuthorization;
use prost::Message;
use serde_json::{json, Value};

pub const GENERIC_AUTHORIZATION: &str = "/cosmos.authz.v1beta1.GenericAuthorization";
pub const SEND_AUTHORIZATION: &str = "/cosmos.bank.v1beta1.SendAuthorization";
pub const DEPOSIT_AUTHORIZATION: &str = "/akash.escrow.v1.DepositAuthorization";

const DEPOSIT_AUTHORIZATION_NAME: &str = "akash.escrow.v1.DepositAuthorization";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    Generic {
        msg: String,
    },
    Send {
        spend_limit: Vec<Coin>,
        allow_list: Vec<Address>,
    },
    Deposit(DepositLimits),
}

/// A `DepositAuthorization` in working form: the deprecated single `spend_limit` is folded into
/// `spend_limits` (sorted by denom, no zero entries), as chain-sdk's `TryAccept` does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositLimits {
    pub scopes: Vec<Scope>,
    pub spend_limits: Vec<Coin>,
}

/// What `accept` decided: the grant is deleted, or replaced by `updated` (None: unchanged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub delete: bool,
    pub updated: Option<Authorization>,
}

fn unknown_type(url: &str) -> SdkError {
    err::unknown_authorization_type(format!(
        "{url:?} is not an authorization type this chain knows; use \
         {GENERIC_AUTHORIZATION}, {SEND_AUTHORIZATION} or {DEPOSIT_AUTHORIZATION}"
    ))
}

/// Adds `coin` to sorted `coins` (merging its denom).
fn add_coin(coins: &mut Vec<Coin>, coin: &Coin) -> SdkResult<()> {
    if coin.amount == 0 {
        return Ok(());
    }
    match coins.binary_search_by(|c| c.denom.as_str().cmp(&coin.denom)) {
        Ok(i) => {
            coins[i].amount = coins[i]
                .amount
                .checked_add(coin.amount)
                .ok_or_else(|| SdkError::invalid_coins(format!("spend limit {coin} overflows")))?;
        }
        Err(i) => coins.insert(i, coin.clone()),
    }
    Ok(())
}

fn scope_name(s: Scope) -> &'static str {
    s.as_str_name()
}

impl DepositLimits {
    fn from_proto(d: &DepositAuthorization) -> SdkResult<DepositLimits> {
        if d.scopes.is_empty() {
            return Err(escrow_err::invalid_authz_scope(
                "deposit authorization has no scopes; give deployment and/or bid",
            ));
        }
        let mut scopes = Vec::with_capacity(d.scopes.len());
        for s in &d.scopes {
            let scope = match Scope::try_from(*s) {
                Ok(Scope::Deployment) => Scope::Deployment,
                Ok(Scope::Bid) => Scope::Bid,
                _ => {
                    return Err(escrow_err::invalid_authz_scope(format!(
                        "invalid scope {s}; use deployment or bid"
                    )))
                }
            };
            if scopes.contains(&scope) {
                return Err(escrow_err::invalid_authz_scope(format!(
                    "duplicate scope {}",
                    scope_name(scope)
                )));
            }
            scopes.push(scope);
        }
        let mut spend_limits = coins_from_proto(&d.spend_limits)?;
        if let Some(legacy) = d.spend_limit.as_ref().filter(|c| !c.denom.is_empty()) {
            let amount = if legacy.amount.is_empty() {
                0
            } else {
                Coin::from_proto(legacy)?.amount
            };
            add_coin(&mut spend_limits, &Coin::new(legacy.denom.clone(), amount))?;
        }
        Ok(DepositLimits {
            scopes,
            spend_limits,
        })
    }

    fn to_proto(&self) -> DepositAuthorization {
        DepositAuthorization {
            // chain-sdk writes the deprecated field as zero uakt once limits move to spend_limits
            spend_limit: Some(ProtoCoin {
                denom: "uakt".into(),
                amount: "0".into(),
            }),
            scopes: self.scopes.iter().map(|s| *s as i32).collect(),
            spend_limits: self.spend_limits.iter().map(Coin::to_proto).collect(),
        }
    }

    /// `TryAccept` for a deposit of `amount` `denom` into an account of `scope`: None when the
    /// grant has no limit in that denom; else what it covers (all of `amount`, or with
    /// `partial` as much as its limit allows) and the limits left.
    pub fn try_accept(
        &self,
        scope: Scope,
        denom: &str,
        amount: u128,
        partial: bool,
    ) -> SdkResult<Option<(u128, DepositLimits)>> {
        if !self.scopes.contains(&scope) {
            let names: Vec<&str> = self.scopes.iter().map(|s| scope_name(*s)).collect();
            return Err(escrow_err::unauthorized_deposit_scope(format!(
                "the deposit authorization covers scopes [{}], not {}",
                names.join(", "),
                scope_name(scope)
            )));
        }
        let Some(i) = self.spend_limits.iter().position(|c| c.denom == denom) else {
            return Ok(None);
        };
        let limit = self.spend_limits[i].amount;
        let take = if limit < amount {
            if !partial {
                return Err(SdkError::insufficient_funds(format!(
                    "requested amount {amount}{denom} is more than spend limit {limit}{denom}"
                )));
            }
            limit
        } else {
            amount
        };
        if take == 0 {
            return Ok(None);
        }
        let mut left = self.clone();
        left.spend_limits[i].amount -= take;
        left.spend_limits.retain(|c| c.amount > 0);
        Ok(Some((take, left)))
    }

    /// Gives back a refunded deposit (escrow's refund of a grant slice, spec §6.3).
    pub fn restore(&mut self, coin: &Coin) -> SdkResult<()> {
        add_coin(&mut self.spend_limits, coin)
    }
}

impl Authorization {
    /// Decodes and checks an authorization (its `ValidateBasic`). Unknown type URLs are refused.
    pub fn from_any(any: &Any) -> SdkResult<Authorization> {
        match any.type_url.as_str() {
            GENERIC_AUTHORIZATION => {
                let g: GenericAuthorization = decode_as(any)?;
                if g.msg.is_empty() {
                    return Err(SdkError::invalid_request(
                        "generic authorization names no message type URL",
                    ));
                }
                Ok(Authorization::Generic { msg: g.msg })
            }
            SEND_AUTHORIZATION => {
                let s: SendAuthorization = decode_as(any)?;
                let spend_limit = coins_from_proto(&s.spend_limit)?;
                if spend_limit.is_empty() {
                    return Err(SdkError::invalid_coins("spend limit cannot be nil"));
                }
                let mut allow_list = Vec::with_capacity(s.allow_list.len());
                for a in &s.allow_list {
                    let addr = parse_address("allow list", a)?;
                    if allow_list.contains(&addr) {
                        return Err(SdkError::invalid_address(format!(
                            "duplicate entry {a} in the allow list"
                        )));
                    }
                    allow_list.push(addr);
                }
                Ok(Authorization::Send {
                    spend_limit,
                    allow_list,
                })
            }
            DEPOSIT_AUTHORIZATION => {
                let d: DepositAuthorization = decode_as(any)?;
                Ok(Authorization::Deposit(DepositLimits::from_proto(&d)?))
            }
            other => Err(unknown_type(other)),
        }
    }

    pub fn to_any(&self) -> Any {
        match self {
            Authorization::Generic { msg } => Any {
                type_url: GENERIC_AUTHORIZATION.into(),
                value: GenericAuthorization { msg: msg.clone() }.encode_to_vec(),
            },
            Authorization::Send {
                spend_limit,
                allow_list,
            } => Any {
                type_url: SEND_AUTHORIZATION.into(),
                value: SendAuthorization {
                    spend_limit: spend_limit.iter().map(Coin::to_proto).collect(),
                    allow_list: allow_list
                        .iter()
                        .map(|a| a.to_bech32(ACCOUNT_HRP))
                        .collect(),
                }
                .encode_to_vec(),
            },
            Authorization::Deposit(d) => Any {
                type_url: DEPOSIT_AUTHORIZATION.into(),
                value: d.to_proto().encode_to_vec(),
            },
        }
    }

    /// The message type URL the grant is stored under (`MsgTypeURL()`).
    pub fn msg_type_url(&self) -> String {
        match self {
            Authorization::Generic { msg } => msg.clone(),
            Authorization::Send { .. } => crate::bank::msgs::MSG_SEND.into(),
            Authorization::Deposit(_) => MSG_ACCOUNT_DEPOSIT.into(),
        }
    }

    /// The checks a new grant must pass beyond decoding: the message type must exist on this
    /// chain, and a deposit authorization must allow something.
    pub fn check_new(&self) -> SdkResult<()> {
        let url = self.msg_type_url();
        if !crate::msgs::is_known_type_url(&url) {
            return Err(SdkError::invalid_type(format!(
                "{url} doesn't exist; a grant must name a message type this chain executes"
            )));
        }
        if let Authorization::Deposit(d) = self {
            if d.spend_limits.is_empty() {
                return Err(SdkError::invalid_coins(
                    "deposit authorization has no positive spend limit; set spend_limits",
                ));
            }
        }
        Ok(())
    }

    /// `Accept` for a message run through `MsgExec` on the granter's behalf.
    pub fn accept(&self, msg: &Msg) -> SdkResult<Accepted> {
        match self {
            Authorization::Generic { .. } => Ok(Accepted {
                delete: false,
                updated: None,
            }),
            Authorization::Send {
                spend_limit,
                allow_list,
            } => {
                let Msg::Bank(BankMsg::Send(send)) = msg else {
                    return Err(SdkError::invalid_type(format!(
                        "a send authorization cannot accept {}",
                        msg.type_url()
                    )));
                };
                if !allow_list.is_empty() && !allow_list.contains(&send.to) {
                    return Err(SdkError::unauthorized(format!(
                        "cannot send to {} address",
                        send.to.to_bech32(ACCOUNT_HRP)
                    )));
                }
                let mut left = spend_limit.clone();
                for c in &send.amount {
                    let limit = left.iter_mut().find(|l| l.denom == c.denom);
                    match limit {
                        Some(l) if l.amount >= c.amount => l.amount -= c.amount,
                        _ => {
                            return Err(SdkError::insufficient_funds(format!(
                                "requested amount {c} is more than spend limit"
                            )))
                        }
                    }
                }
                left.retain(|c| c.amount > 0);
                Ok(Accepted {
                    delete: left.is_empty(),
                    updated: Some(Authorization::Send {
                        spend_limit: left,
                        allow_list: allow_list.clone(),
                    }),
                })
            }
            Authorization::Deposit(d) => {
                let Msg::Escrow(EscrowMsg::AccountDeposit(m)) = msg else {
                    return Err(SdkError::invalid_type(format!(
                        "{:?} is unsupported authorization msg for deposit",
                        msg.type_url()
                    )));
                };
                let scope = Scope::try_from(m.id.scope).unwrap_or(Scope::Invalid);
                let amount = m
                    .deposit
                    .amount
                    .as_ref()
                    .ok_or_else(|| escrow_err::invalid_deposit("deposit has no amount"))?;
                let coin = Coin::from_proto(amount)?;
                match d.try_accept(scope, &coin.denom, coin.amount, false)? {
                    Some((_, left)) => Ok(Accepted {
                        delete: left.spend_limits.is_empty(),
                        updated: Some(Authorization::Deposit(left)),
                    }),
                    None => Err(SdkError::unauthorized(format!(
                        "the deposit authorization has no spend limit in {}",
                        coin.denom
                    ))),
                }
            }
        }
    }
}

// ---- JSON (genesis and REST): proto-JSON with "@type", as the SDK renders an Any ----

fn coins_json(coins: &[ProtoCoin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}

fn coins_from_json(v: Option<&Value>) -> SdkResult<Vec<ProtoCoin>> {
    let Some(v) = v else { return Ok(vec![]) };
    let items = v
        .as_array()
        .ok_or_else(|| SdkError::invalid_coins(format!("{v} is not a list of coins")))?;
    items
        .iter()
        .map(|c| {
            let field = |k: &str| {
                c.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| SdkError::invalid_coins(format!("coin {c} has no {k}")))
            };
            Ok(ProtoCoin {
                denom: field("denom")?,
                amount: field("amount")?,
            })
        })
        .collect()
}

/// An authorization `Any` as proto-JSON with its `@type`.
pub fn any_to_json(any: &Any) -> SdkResult<Value> {
    let mut v = match any.type_url.as_str() {
        GENERIC_AUTHORIZATION => {
            let g: GenericAuthorization = decode_as(any)?;
            json!({"msg": g.msg})
        }
        SEND_AUTHORIZATION => {
            let s: SendAuthorization = decode_as(any)?;
            json!({"spend_limit": coins_json(&s.spend_limit), "allow_list": s.allow_list})
        }
        DEPOSIT_AUTHORIZATION => kumo_proto::json::to_json(DEPOSIT_AUTHORIZATION_NAME, &any.value)
            .map_err(SdkError::tx_decode)?,
        other => return Err(unknown_type(other)),
    };
    if let Value::Object(m) = &mut v {
        m.insert("@type".into(), Value::String(any.type_url.clone()));
    }
    Ok(v)
}

/// Reads an authorization from proto-JSON with its `@type` (genesis import).
pub fn any_from_json(v: &Value) -> SdkResult<Any> {
    let url = v
        .get("@type")
        .and_then(Value::as_str)
        .ok_or_else(|| SdkError::invalid_type("authorization has no \"@type\""))?;
    let value = match url {
        GENERIC_AUTHORIZATION => GenericAuthorization {
            msg: v
                .get("msg")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .into(),
        }
        .encode_to_vec(),
        SEND_AUTHORIZATION => SendAuthorization {
            spend_limit: coins_from_json(v.get("spend_limit"))?,
            allow_list: v
                .get("allow_list")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        }
        .encode_to_vec(),
        DEPOSIT_AUTHORIZATION => {
            let mut body = v.clone();
            if let Value::Object(m) = &mut body {
                m.remove("@type");
            }
            kumo_proto::json::from_json(DEPOSIT_AUTHORIZATION_NAME, &body)
                .map_err(SdkError::tx_decode)?
        }
        other => return Err(unknown_type(other)),
    };
    Ok(Any {
        type_url: url.into(),
        value,
    })
}
