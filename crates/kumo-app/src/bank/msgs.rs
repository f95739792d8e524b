//! bank messages: stateless checks (`check`), signers, and execution.

use super::state::*;
use crate::abci::Event;
use crate::auth::parse_address;
use crate::coins::{coins_from_proto, Coin};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    MsgMultiSend, MsgMultiSendResponse, MsgSend, MsgSendResponse,
};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

pub const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";
pub const MSG_MULTI_SEND: &str = "/cosmos.bank.v1beta1.MsgMultiSend";

/// A decoded, statelessly checked bank message.
#[derive(Clone, Debug)]
pub enum BankMsg {
    Send(Send),
    MultiSend(MultiSend),
}

impl ModuleMsg for BankMsg {
    const MODULE: &'static str = "bank";

    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        Some(match any.type_url.as_str() {
            MSG_SEND => decode_as::<MsgSend>(any)
                .and_then(|m| check_send(&m))
                .map(BankMsg::Send),
            MSG_MULTI_SEND => decode_as::<MsgMultiSend>(any)
                .and_then(|m| check_multi_send(&m))
                .map(BankMsg::MultiSend),
            _ => return None,
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            BankMsg::Send(_) => MSG_SEND,
            BankMsg::MultiSend(_) => MSG_MULTI_SEND,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            BankMsg::Send(m) => vec![m.from],
            BankMsg::MultiSend(m) => vec![m.from],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            BankMsg::Send(m) => execute_send(ctx, m),
            BankMsg::MultiSend(m) => execute_multi_send(ctx, m),
        }
    }
}

/// A validated MsgSend.
#[derive(Clone, Debug)]
pub struct Send {
    pub from: Address,
    pub to: Address,
    pub amount: Vec<Coin>,
}

fn check_send(m: &MsgSend) -> SdkResult<Send> {
    let from = parse_address("from", &m.from_address)?;
    let to = parse_address("to", &m.to_address)?;
    let amount = coins_from_proto(&m.amount)?;
    if amount.is_empty() {
        return Err(SdkError::invalid_coins("send amount is empty"));
    }
    Ok(Send { from, to, amount })
}

fn check_send_enabled(ctx: &Ctx, coins: &[Coin]) -> SdkResult<()> {
    for c in coins {
        if !is_send_enabled(ctx, &c.denom) {
            return Err(SdkError::invalid_request(format!(
                "{} transfers are currently disabled",
                c.denom
            )));
        }
    }
    Ok(())
}

fn execute_send(ctx: &mut Ctx, m: &Send) -> SdkResult<Vec<u8>> {
    check_send_enabled(ctx, &m.amount)?;
    send(ctx, &m.from, &m.to, &m.amount)?;
    Ok(MsgSendResponse {}.encode_to_vec())
}

/// A validated MsgMultiSend: one input (as SDK 0.50 requires), outputs summing to it.
#[derive(Clone, Debug)]
pub struct MultiSend {
    pub from: Address,
    pub input: Vec<Coin>,
    pub outputs: Vec<(Address, Vec<Coin>)>,
}

fn check_multi_send(m: &MsgMultiSend) -> SdkResult<MultiSend> {
    if m.inputs.is_empty() {
        return Err(SdkError::invalid_request(
            "no inputs to send transaction: no inputs",
        ));
    }
    if m.inputs.len() > 1 {
        return Err(SdkError::invalid_request("multiple senders not allowed"));
    }
    if m.outputs.is_empty() {
        return Err(SdkError::invalid_request(
            "no outputs to send transaction: no outputs",
        ));
    }
    let from = parse_address("input", &m.inputs[0].address)?;
    let input = coins_from_proto(&m.inputs[0].coins)?;
    let mut total = std::collections::BTreeMap::<String, u128>::new();
    let mut outputs = Vec::with_capacity(m.outputs.len());
    for o in &m.outputs {
        let to = parse_address("output", &o.address)?;
        let coins = coins_from_proto(&o.coins)?;
        if coins.is_empty() {
            return Err(SdkError::invalid_coins(format!(
                "output to {} has no coins",
                o.address
            )));
        }
        for c in &coins {
            let t = total.entry(c.denom.clone()).or_default();
            *t = t
                .checked_add(c.amount)
                .ok_or_else(|| SdkError::invalid_coins("output sum overflows"))?;
        }
        outputs.push((to, coins));
    }
    let input_map: std::collections::BTreeMap<String, u128> =
        input.iter().map(|c| (c.denom.clone(), c.amount)).collect();
    if input_map != total {
        return Err(SdkError::invalid_request(
            "sum inputs != sum outputs: input and output mismatch",
        ));
    }
    Ok(MultiSend {
        from,
        input,
        outputs,
    })
}

fn execute_multi_send(ctx: &mut Ctx, m: &MultiSend) -> SdkResult<Vec<u8>> {
    check_send_enabled(ctx, &m.input)?;
    sub_coins(ctx, &m.from, &m.input)?;
    let sender = m.from.to_string();
    ctx.emit(Event::new("message").attr("sender", sender));
    for (to, coins) in &m.outputs {
        add_coins(ctx, to, coins)?;
        crate::auth::ensure_account(ctx, to)?;
        ctx.emit(
            Event::new("transfer")
                .attr("recipient", to.to_string())
                .attr("amount", crate::coins::coins_to_string(coins)),
        );
    }
    Ok(MsgMultiSendResponse {}.encode_to_vec())
}
