//! `kumo query escrow accounts|payments` and `kumo query take params`: Akash escrow and take
//! state over abci_query (`/akash.escrow.v1.Query/*`, `/akash.take.v1.Query/Params`).
//! `--output json` prints the SDK REST shape (proto-JSON, LegacyDec as decimals).

use anyhow::Result;
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use kumo_proto::akash::escrow::types::v1::{Account, Payment, State};
use kumo_proto::akash::escrow::v1::{
    QueryAccountsRequest, QueryAccountsResponse, QueryPaymentsRequest, QueryPaymentsResponse,
};
use kumo_proto::akash::take::v1::{QueryParamsRequest, QueryParamsResponse};
use kumo_proto::json::message_json;
use kumo_proto::math::Dec;
use serde_json::json;

use crate::query_cmd::{print_json, QueryFlags};
use crate::{Globals, Output};

#[derive(Subcommand, Debug)]
pub enum EscrowQueryCmd {
    /// Escrow accounts (deployment and bid deposits), optionally by state and key prefix.
    Accounts(EscrowListArgs),
    /// Escrow payments (lease payments to providers), optionally by state and key prefix.
    Payments(EscrowListArgs),
}

#[derive(Subcommand, Debug)]
pub enum TakeQueryCmd {
    /// The take rates charged on provider withdrawals (percent, per denom).
    Params(TakeParamsArgs),
}

#[derive(Args, Debug)]
pub struct EscrowListArgs {
    /// Only records in this state.
    #[arg(long, value_parser = ["open", "closed", "overdrawn"])]
    pub state: Option<String>,
    /// Only records whose key starts with this, e.g. deployment/akash1…/123 (accounts) or
    /// deployment/akash1…/123/1/1/akash1prov… (payments).
    #[arg(long, value_name = "PREFIX")]
    pub xid: Option<String>,
    #[command(flatten)]
    pub query: QueryFlags,
}

#[derive(Args, Debug)]
pub struct TakeParamsArgs {
    #[command(flatten)]
    pub query: QueryFlags,
}

pub fn run_escrow(g: &Globals, c: EscrowQueryCmd) -> Result<()> {
    match c {
        EscrowQueryCmd::Accounts(a) => accounts(g, a),
        EscrowQueryCmd::Payments(a) => payments(g, a),
    }
}

pub fn run_take(g: &Globals, c: TakeQueryCmd) -> Result<()> {
    match c {
        TakeQueryCmd::Params(a) => {
            let resp: QueryParamsResponse = a
                .query
                .client()
                .query_proto("/akash.take.v1.Query/Params", &QueryParamsRequest {})?;
            match g.output {
                Output::Json => print_json(&message_json(&resp)),
                Output::Text => {
                    let p = resp.params.unwrap_or_default();
                    println!("default take rate: {}%", p.default_take_rate);
                    for r in p.denom_take_rates {
                        println!("{:>17}: {}%", r.denom, r.rate);
                    }
                }
            }
            Ok(())
        }
    }
}

fn page(key: Vec<u8>) -> Option<PageRequest> {
    Some(PageRequest {
        key,
        limit: 1000,
        ..Default::default()
    })
}

fn accounts(g: &Globals, a: EscrowListArgs) -> Result<()> {
    let client = a.query.client();
    let mut all = Vec::new();
    let mut key = Vec::new();
    loop {
        let req = QueryAccountsRequest {
            state: a.state.clone().unwrap_or_default(),
            xid: a.xid.clone().unwrap_or_default(),
            pagination: page(key),
        };
        let resp: QueryAccountsResponse =
            client.query_proto("/akash.escrow.v1.Query/Accounts", &req)?;
        all.extend(resp.accounts);
        match resp.pagination {
            Some(p) if !p.next_key.is_empty() => key = p.next_key,
            _ => break,
        }
    }
    match g.output {
        Output::Json => print_json(&json!({
            "accounts": all.iter().map(message_json).collect::<Vec<_>>(),
            "pagination": {"next_key": null, "total": all.len().to_string()},
        })),
        Output::Text if all.is_empty() => println!("no escrow accounts match"),
        Output::Text => all.iter().for_each(print_account),
    }
    Ok(())
}

fn payments(g: &Globals, a: EscrowListArgs) -> Result<()> {
    let client = a.query.client();
    let mut all = Vec::new();
    let mut key = Vec::new();
    loop {
        let req = QueryPaymentsRequest {
            state: a.state.clone().unwrap_or_default(),
            xid: a.xid.clone().unwrap_or_default(),
            pagination: page(key),
        };
        let resp: QueryPaymentsResponse =
            client.query_proto("/akash.escrow.v1.Query/Payments", &req)?;
        all.extend(resp.payments);
        match resp.pagination {
            Some(p) if !p.next_key.is_empty() => key = p.next_key,
            _ => break,
        }
    }
    match g.output {
        Output::Json => print_json(&json!({
            "payments": all.iter().map(message_json).collect::<Vec<_>>(),
            "pagination": {"next_key": null, "total": all.len().to_string()},
        })),
        Output::Text if all.is_empty() => println!("no escrow payments match"),
        Output::Text => all.iter().for_each(print_payment),
    }
    Ok(())
}

/// A LegacyDec wire amount (value × 10^18, possibly negative) as a decimal.
fn dec(atomics: &str) -> String {
    let (sign, digits) = match atomics.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", atomics),
    };
    match digits.parse::<u128>() {
        Ok(a) => format!("{sign}{}", Dec::from_atomics(a)),
        Err(_) => atomics.to_string(),
    }
}

fn dec_coin(c: &Option<DecCoin>) -> String {
    c.as_ref()
        .map_or("0".into(), |c| format!("{}{}", dec(&c.amount), c.denom))
}

fn state_name(s: i32) -> &'static str {
    State::try_from(s).map_or("unknown", |s| s.as_str_name())
}

fn print_account(a: &Account) {
    let id = a.id.clone().unwrap_or_default();
    let scope = kumo_proto::akash::escrow::id::v1::Scope::try_from(id.scope)
        .map_or("unknown", |s| s.as_str_name());
    let s = a.state.clone().unwrap_or_default();
    println!("{scope}/{}", id.xid);
    println!("  state:       {}", state_name(s.state));
    println!("  owner:       {}", s.owner);
    let funds: Vec<String> = s
        .funds
        .iter()
        .map(|b| format!("{}{}", dec(&b.amount), b.denom))
        .collect();
    println!("  funds:       {}", funds.join(", "));
    let transferred: Vec<String> = s
        .transferred
        .iter()
        .map(|c| format!("{}{}", dec(&c.amount), c.denom))
        .collect();
    println!("  transferred: {}", transferred.join(", "));
    println!("  settled at:  height {}", s.settled_at);
    for d in &s.deposits {
        println!(
            "  deposit:     {} from {} at height {}",
            dec_coin(&d.balance),
            d.owner,
            d.height
        );
    }
}

fn print_payment(p: &Payment) {
    let id = p.id.clone().unwrap_or_default();
    let aid = id.aid.clone().unwrap_or_default();
    let scope = kumo_proto::akash::escrow::id::v1::Scope::try_from(aid.scope)
        .map_or("unknown", |s| s.as_str_name());
    let s = p.state.clone().unwrap_or_default();
    println!("{scope}/{}/{}", aid.xid, id.xid);
    println!("  state:     {}", state_name(s.state));
    println!("  provider:  {}", s.owner);
    println!("  rate:      {} per block", dec_coin(&s.rate));
    println!("  balance:   {}", dec_coin(&s.balance));
    println!("  unsettled: {}", dec_coin(&s.unsettled));
    let w = s.withdrawn.unwrap_or_default();
    println!("  withdrawn: {}{}", w.amount, w.denom);
}
