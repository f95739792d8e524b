//! The fee allowances a grant can carry, decoded from their `Any`, and what paying a fee with
//! one does (the SDK's `FeeAllowanceI.Accept`):
//! - `BasicAllowance{spend_limit, expiration}`: fees up to the limit (empty: no limit) until
//!   the expiration; the grant is removed once the limit is spent to zero.
//! - `PeriodicAllowance{basic, period, period_spend_limit, period_can_spend, period_reset}`:
//!   the basic limits, plus at most `period_spend_limit` per period; `period_can_spend` refills
//!   when the block time reaches `period_reset`.
//! - `AllowedMsgAllowance{allowance, allowed_messages}`: the inner allowance, for txs whose
//!   messages all have one of the listed type URLs.
//!
//! Time is always the block time of the header, never a clock.

use super::errors as err;
use crate::abci::BlockTime;
use crate::coins::{coins_from_proto, Coin};
use crate::errors::{SdkError, SdkResult};
use crate::gas::GasMeter;
use crate::module::decode_as;
use cosmos_sdk_proto::cosmos::feegrant::v1beta1::{
    AllowedMsgAllowance, BasicAllowance, PeriodicAllowance,
};
use cosmos_sdk_proto::tendermint::google::protobuf::Duration;
use cosmos_sdk_proto::{Any, Timestamp};
use prost::Message;
use serde_json::{json, Value};

pub const BASIC_ALLOWANCE: &str = "/cosmos.feegrant.v1beta1.BasicAllowance";
pub const PERIODIC_ALLOWANCE: &str = "/cosmos.feegrant.v1beta1.PeriodicAllowance";
pub const ALLOWED_MSG_ALLOWANCE: &str = "/cosmos.feegrant.v1beta1.AllowedMsgAllowance";

/// Go's zero `time.Time` (0001-01-01T00:00:00Z): what a PeriodicAllowance without a
/// `period_reset` holds (the field is non-nullable in the SDK).
pub const GO_ZERO_TIME_SECONDS: i64 = -62_135_596_800;

/// Gas the SDK charges per allowed message listed and per tx message checked.
pub const GAS_PER_MSG_CHECK: u64 = 10;

const NANOS: i128 = 1_000_000_000;

fn ts_nanos(t: &Timestamp) -> i128 {
    i128::from(t.seconds) * NANOS + i128::from(t.nanos)
}

fn ts_from_nanos(n: i128) -> SdkResult<Timestamp> {
    let seconds = i64::try_from(n.div_euclid(NANOS))
        .map_err(|_| err::invalid_duration("time out of range"))?;
    Ok(Timestamp {
        seconds,
        nanos: n.rem_euclid(NANOS) as i32,
    })
}

fn duration_nanos(d: &Duration) -> i128 {
    i128::from(d.seconds) * NANOS + i128::from(d.nanos)
}

/// The block time as a protobuf Timestamp.
pub fn block_timestamp(now: BlockTime) -> Timestamp {
    Timestamp {
        seconds: now.seconds,
        nanos: now.nanos as i32,
    }
}

/// Whether `a` is strictly before `b` (Go's `a.Before(b)`).
pub fn before(a: &Timestamp, b: &Timestamp) -> bool {
    ts_nanos(a) < ts_nanos(b)
}

fn add(t: &Timestamp, d: &Duration) -> SdkResult<Timestamp> {
    ts_from_nanos(ts_nanos(t) + duration_nanos(d))
}

/// `a - b` for sorted coin lists (the SDK's `Coins.SafeSub`): `None` when some denom would go
/// negative (a denom of `b` missing from `a` counts as negative); zero entries are dropped.
pub fn safe_sub(a: &[Coin], b: &[Coin]) -> Option<Vec<Coin>> {
    let mut out: Vec<Coin> = a.to_vec();
    for c in b {
        match out.iter_mut().find(|x| x.denom == c.denom) {
            Some(x) if x.amount >= c.amount => x.amount -= c.amount,
            Some(_) => return None,
            None if c.amount == 0 => {}
            None => return None,
        }
    }
    out.retain(|c| c.amount > 0);
    Some(out)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Basic {
    /// Empty: no limit (the SDK's nil `SpendLimit`).
    pub spend_limit: Vec<Coin>,
    pub expiration: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Periodic {
    pub basic: Basic,
    pub period: Duration,
    pub period_spend_limit: Vec<Coin>,
    pub period_can_spend: Vec<Coin>,
    pub period_reset: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AllowedMsg {
    pub allowance: Box<Allowance>,
    pub allowed_messages: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Allowance {
    Basic(Basic),
    Periodic(Periodic),
    AllowedMsg(AllowedMsg),
}

fn coins_to_proto(coins: &[Coin]) -> Vec<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    coins.iter().map(Coin::to_proto).collect()
}

impl Basic {
    fn from_proto(b: &BasicAllowance) -> SdkResult<Basic> {
        Ok(Basic {
            spend_limit: coins_from_proto(&b.spend_limit)?,
            expiration: b.expiration,
        })
    }

    fn to_proto(&self) -> BasicAllowance {
        BasicAllowance {
            spend_limit: coins_to_proto(&self.spend_limit),
            expiration: self.expiration,
        }
    }

    fn validate(&self) -> SdkResult<()> {
        if self.expiration.is_some_and(|e| e.seconds < 0) {
            return Err(err::invalid_duration("expiration time cannot be negative"));
        }
        Ok(())
    }

    fn accept(&mut self, now: &Timestamp, fee: &[Coin]) -> SdkResult<bool> {
        if self.expiration.as_ref().is_some_and(|e| before(e, now)) {
            return Err(err::fee_limit_expired("basic allowance"));
        }
        if self.spend_limit.is_empty() {
            return Ok(false);
        }
        let left = safe_sub(&self.spend_limit, fee)
            .ok_or_else(|| err::fee_limit_exceeded("basic allowance"))?;
        self.spend_limit = left;
        Ok(self.spend_limit.is_empty())
    }
}

impl Periodic {
    fn from_proto(p: &PeriodicAllowance) -> SdkResult<Periodic> {
        Ok(Periodic {
            basic: Basic::from_proto(&p.basic.clone().unwrap_or_default())?,
            period: p.period.unwrap_or_default(),
            period_spend_limit: coins_from_proto(&p.period_spend_limit)?,
            period_can_spend: coins_from_proto(&p.period_can_spend)?,
            period_reset: p.period_reset.unwrap_or(Timestamp {
                seconds: GO_ZERO_TIME_SECONDS,
                nanos: 0,
            }),
        })
    }

    fn to_proto(&self) -> PeriodicAllowance {
        PeriodicAllowance {
            basic: Some(self.basic.to_proto()),
            period: Some(self.period),
            period_spend_limit: coins_to_proto(&self.period_spend_limit),
            period_can_spend: coins_to_proto(&self.period_can_spend),
            period_reset: Some(self.period_reset),
        }
    }

    fn validate(&self) -> SdkResult<()> {
        self.basic.validate()?;
        if self.period_spend_limit.is_empty() {
            return Err(SdkError::invalid_coins("spend limit must be positive"));
        }
        if !self.basic.spend_limit.is_empty()
            && !self
                .period_spend_limit
                .iter()
                .all(|c| self.basic.spend_limit.iter().any(|b| b.denom == c.denom))
        {
            return Err(SdkError::invalid_coins(
                "period spend limit has different currency than basic spend limit",
            ));
        }
        if duration_nanos(&self.period) < 0 {
            return Err(err::invalid_duration("negative clock step"));
        }
        Ok(())
    }

    /// Refills `period_can_spend` once the block time reaches `period_reset` (the SDK's
    /// `tryResetPeriod`): to the lesser of the period limit and what the basic limit has left;
    /// the next reset is a period later, or a period from now after a longer pause.
    fn try_reset_period(&mut self, now: &Timestamp) -> SdkResult<()> {
        if before(now, &self.period_reset) {
            return Ok(());
        }
        let basic_below_period =
            safe_sub(&self.basic.spend_limit, &self.period_spend_limit).is_none();
        self.period_can_spend = if basic_below_period && !self.basic.spend_limit.is_empty() {
            self.basic.spend_limit.clone()
        } else {
            self.period_spend_limit.clone()
        };
        self.period_reset = add(&self.period_reset, &self.period)?;
        if before(&self.period_reset, now) {
            self.period_reset = add(now, &self.period)?;
        }
        Ok(())
    }

    fn accept(&mut self, now: &Timestamp, fee: &[Coin]) -> SdkResult<bool> {
        if self
            .basic
            .expiration
            .as_ref()
            .is_some_and(|e| before(e, now))
        {
            return Err(err::fee_limit_expired("absolute limit"));
        }
        self.try_reset_period(now)?;
        self.period_can_spend = safe_sub(&self.period_can_spend, fee)
            .ok_or_else(|| err::fee_limit_exceeded("period limit"))?;
        if self.basic.spend_limit.is_empty() {
            return Ok(false);
        }
        self.basic.spend_limit = safe_sub(&self.basic.spend_limit, fee)
            .ok_or_else(|| err::fee_limit_exceeded("absolute limit"))?;
        Ok(self.basic.spend_limit.is_empty())
    }
}

impl Allowance {
    /// Decodes an allowance `Any` (nested inside an AllowedMsgAllowance too).
    pub fn from_any(any: &Any) -> SdkResult<Allowance> {
        Ok(match any.type_url.as_str() {
            BASIC_ALLOWANCE => Allowance::Basic(Basic::from_proto(&decode_as(any)?)?),
            PERIODIC_ALLOWANCE => Allowance::Periodic(Periodic::from_proto(&decode_as(any)?)?),
            ALLOWED_MSG_ALLOWANCE => {
                let a: AllowedMsgAllowance = decode_as(any)?;
                let inner = a
                    .allowance
                    .as_ref()
                    .ok_or_else(|| err::no_allowance("allowance should not be empty"))?;
                Allowance::AllowedMsg(AllowedMsg {
                    allowance: Box::new(Allowance::from_any(inner)?),
                    allowed_messages: a.allowed_messages,
                })
            }
            other => {
                return Err(SdkError::invalid_type(format!(
                    "unknown fee allowance type {other}; use {BASIC_ALLOWANCE}, \
                     {PERIODIC_ALLOWANCE} or {ALLOWED_MSG_ALLOWANCE}"
                )))
            }
        })
    }

    pub fn to_any(&self) -> Any {
        match self {
            Allowance::Basic(b) => Any {
                type_url: BASIC_ALLOWANCE.into(),
                value: b.to_proto().encode_to_vec(),
            },
            Allowance::Periodic(p) => Any {
                type_url: PERIODIC_ALLOWANCE.into(),
                value: p.to_proto().encode_to_vec(),
            },
            Allowance::AllowedMsg(a) => Any {
                type_url: ALLOWED_MSG_ALLOWANCE.into(),
                value: AllowedMsgAllowance {
                    allowance: Some(a.allowance.to_any()),
                    allowed_messages: a.allowed_messages.clone(),
                }
                .encode_to_vec(),
            },
        }
    }

    /// The SDK's `ValidateBasic` of a new allowance.
    pub fn validate(&self) -> SdkResult<()> {
        match self {
            Allowance::Basic(b) => b.validate(),
            Allowance::Periodic(p) => p.validate(),
            Allowance::AllowedMsg(a) => {
                if a.allowed_messages.is_empty() {
                    return Err(err::no_messages("allowed messages shouldn't be empty"));
                }
                a.allowance.validate()
            }
        }
    }

    /// When the allowance ends, if ever.
    pub fn expires_at(&self) -> Option<Timestamp> {
        match self {
            Allowance::Basic(b) => b.expiration,
            Allowance::Periodic(p) => p.basic.expiration,
            Allowance::AllowedMsg(a) => a.allowance.expires_at(),
        }
    }

    /// A new periodic allowance's first period starts at the grant's block time.
    pub fn update_period_reset(&mut self, now: BlockTime) -> SdkResult<()> {
        match self {
            Allowance::Basic(_) => Ok(()),
            Allowance::Periodic(p) => {
                p.period_reset = add(&block_timestamp(now), &p.period)?;
                Ok(())
            }
            Allowance::AllowedMsg(a) => a.allowance.update_period_reset(now),
        }
    }

    /// Pays `fee` for a tx of messages `msg_type_urls` at block time `now`, updating the limits
    /// in place. `Ok(true)`: the allowance is used up and the grant is removed.
    pub fn accept(
        &mut self,
        now: BlockTime,
        fee: &[Coin],
        msg_type_urls: &[&str],
        gas: &mut GasMeter,
    ) -> SdkResult<bool> {
        let now_ts = block_timestamp(now);
        match self {
            Allowance::Basic(b) => b.accept(&now_ts, fee),
            Allowance::Periodic(p) => p.accept(&now_ts, fee),
            Allowance::AllowedMsg(a) => {
                for _ in &a.allowed_messages {
                    gas.consume(GAS_PER_MSG_CHECK, "check msg")?;
                }
                for url in msg_type_urls {
                    gas.consume(GAS_PER_MSG_CHECK, "check msg")?;
                    if !a.allowed_messages.iter().any(|m| m == url) {
                        return Err(err::message_not_allowed(
                            "message does not exist in allowed messages",
                        ));
                    }
                }
                a.allowance.accept(now, fee, msg_type_urls, gas)
            }
        }
    }
}

// ---- JSON (genesis, REST, CLI): proto-JSON with "@type", as the SDK renders an Any ----

fn coins_json(coins: &[Coin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount.to_string()}))
            .collect(),
    )
}

fn coins_from_json(v: Option<&Value>) -> SdkResult<Vec<Coin>> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(vec![]);
    };
    let items = v
        .as_array()
        .ok_or_else(|| SdkError::invalid_coins(format!("{v} is not a list of coins")))?;
    let proto = items
        .iter()
        .map(|c| {
            let field = |k: &str| {
                c.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| SdkError::invalid_coins(format!("coin {c} has no {k}")))
            };
            Ok(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                denom: field("denom")?,
                amount: field("amount")?,
            })
        })
        .collect::<SdkResult<Vec<_>>>()?;
    coins_from_proto(&proto)
}

fn time_json(t: &Timestamp) -> Value {
    Value::String(kumo_proto::time::timestamp_rfc3339(t))
}

fn time_from_json(field: &str, v: Option<&Value>) -> SdkResult<Option<Timestamp>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => kumo_proto::time::parse_rfc3339(s)
            .map(Some)
            .map_err(|e| SdkError::invalid_request(format!("{field}: {e}"))),
        Some(other) => Err(SdkError::invalid_request(format!(
            "{field}: {other} is not an RFC 3339 time"
        ))),
    }
}

/// A Duration in proto-JSON: seconds with up to nine fractional digits and an `s`.
pub fn format_duration(d: &Duration) -> String {
    let n = duration_nanos(d);
    let (sign, n) = if n < 0 { ("-", -n) } else { ("", n) };
    let (secs, frac) = (n / NANOS, n % NANOS);
    if frac == 0 {
        return format!("{sign}{secs}s");
    }
    let frac = format!("{frac:09}");
    format!("{sign}{secs}.{}s", frac.trim_end_matches('0'))
}

/// Parses `"3600s"` / `"1.5s"` (proto-JSON Duration).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration such as \"3600s\"");
    let body = s.strip_suffix('s').ok_or_else(bad)?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty() || !whole.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let seconds: i64 = whole.parse().map_err(|_| bad())?;
    let nanos: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().map_err(|_| bad())?
    };
    Ok(if neg {
        Duration {
            seconds: -seconds,
            nanos: -nanos,
        }
    } else {
        Duration { seconds, nanos }
    })
}

fn basic_json(b: &Basic) -> Value {
    json!({
        "spend_limit": coins_json(&b.spend_limit),
        "expiration": b.expiration.as_ref().map_or(Value::Null, time_json),
    })
}

fn basic_from_json(v: &Value) -> SdkResult<Basic> {
    Ok(Basic {
        spend_limit: coins_from_json(v.get("spend_limit"))?,
        expiration: time_from_json("expiration", v.get("expiration"))?,
    })
}

/// An allowance as proto-JSON with its `@type`.
pub fn to_json(a: &Allowance) -> Value {
    match a {
        Allowance::Basic(b) => {
            let mut v = basic_json(b);
            v["@type"] = Value::String(BASIC_ALLOWANCE.into());
            v
        }
        Allowance::Periodic(p) => json!({
            "@type": PERIODIC_ALLOWANCE,
            "basic": basic_json(&p.basic),
            "period": format_duration(&p.period),
            "period_spend_limit": coins_json(&p.period_spend_limit),
            "period_can_spend": coins_json(&p.period_can_spend),
            "period_reset": time_json(&p.period_reset),
        }),
        Allowance::AllowedMsg(m) => json!({
            "@type": ALLOWED_MSG_ALLOWANCE,
            "allowance": to_json(&m.allowance),
            "allowed_messages": m.allowed_messages,
        }),
    }
}

/// An allowance `Any` as proto-JSON (REST answers).
pub fn any_to_json(any: &Any) -> SdkResult<Value> {
    Allowance::from_any(any).map(|a| to_json(&a))
}

/// Reads an allowance from proto-JSON with its `@type` (genesis import).
pub fn from_json(v: &Value) -> SdkResult<Allowance> {
    let url = v
        .get("@type")
        .and_then(Value::as_str)
        .ok_or_else(|| SdkError::invalid_type("fee allowance has no \"@type\""))?;
    Ok(match url {
        BASIC_ALLOWANCE => Allowance::Basic(basic_from_json(v)?),
        PERIODIC_ALLOWANCE => {
            let period = match v.get("period").and_then(Value::as_str) {
                Some(s) => parse_duration(s).map_err(err::invalid_duration)?,
                None => Duration::default(),
            };
            Allowance::Periodic(Periodic {
                basic: basic_from_json(v.get("basic").unwrap_or(&Value::Null))?,
                period,
                period_spend_limit: coins_from_json(v.get("period_spend_limit"))?,
                period_can_spend: coins_from_json(v.get("period_can_spend"))?,
                period_reset: time_from_json("period_reset", v.get("period_reset"))?.unwrap_or(
                    Timestamp {
                        seconds: GO_ZERO_TIME_SECONDS,
                        nanos: 0,
                    },
                ),
            })
        }
        ALLOWED_MSG_ALLOWANCE => {
            let inner = v
                .get("allowance")
                .filter(|i| !i.is_null())
                .ok_or_else(|| err::no_allowance("allowance should not be empty"))?;
            let allowed_messages = v
                .get("allowed_messages")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Allowance::AllowedMsg(AllowedMsg {
                allowance: Box::new(from_json(inner)?),
                allowed_messages,
            })
        }
        other => {
            return Err(SdkError::invalid_type(format!(
                "unknown fee allowance type {other}"
            )))
        }
    })
}
