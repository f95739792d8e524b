//! escrow messages: `MsgAccountDeposit` (tops up a deployment or bid escrow account).

use super::errors as err;
use super::state::{self, validate_account_id};
use super::{id, EscrowHooks};
use crate::auth::parse_address;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::escrow::v1::{MsgAccountDeposit, MsgAccountDepositResponse};
use prost::Message;

pub const MSG_ACCOUNT_DEPOSIT: &str = "/akash.escrow.v1.MsgAccountDeposit";

/// A decoded and statelessly checked escrow message.
#[derive(Clone, Debug)]
pub enum EscrowMsg {
    AccountDeposit(AccountDeposit),
}

#[derive(Clone, Debug)]
pub struct AccountDeposit {
    pub signer: Address,
    pub id: id::Account,
    pub deposit: Deposit,
}

/// `Deposit.Validate`: a valid positive coin and non-empty, known, unique sources.
pub fn check_deposit(d: &Deposit) -> SdkResult<()> {
    let amount = d
        .amount
        .as_ref()
        .ok_or_else(|| err::invalid_deposit("deposit has no amount"))?;
    let coin = Coin::from_proto(amount).map_err(|e| err::invalid_deposit(e.log))?;
    if coin.amount == 0 {
        return Err(err::invalid_deposit(format!(
            "deposit amount {coin} must be positive"
        )));
    }
    if d.sources.is_empty() {
        return Err(err::invalid_deposit(
            "deposit has no sources; use balance (or grant)",
        ));
    }
    let mut seen = Vec::new();
    for s in &d.sources {
        match Source::try_from(*s) {
            Ok(Source::Balance | Source::Grant) => {}
            _ => {
                return Err(err::invalid_deposit(format!(
                    "deposit source {s} is not balance or grant"
                )))
            }
        }
        if seen.contains(s) {
            return Err(err::invalid_deposit(format!(
                "deposit source {} is listed twice",
                Source::try_from(*s).map_or("?", |s| s.as_str_name())
            )));
        }
        seen.push(*s);
    }
    Ok(())
}

pub fn check_account_deposit(m: &MsgAccountDeposit) -> SdkResult<AccountDeposit> {
    let signer = parse_address("signer", &m.signer)?;
    let id =
        m.id.clone()
            .ok_or_else(|| err::invalid_id("MsgAccountDeposit has no account id"))?;
    validate_account_id(&id)?;
    let deposit = m
        .deposit
        .clone()
        .ok_or_else(|| err::invalid_deposit("MsgAccountDeposit has no deposit"))?;
    check_deposit(&deposit)?;
    Ok(AccountDeposit {
        signer,
        id,
        deposit,
    })
}

impl ModuleMsg for EscrowMsg {
    const MODULE: &'static str = "escrow";

    /// Decodes the escrow message `any` carries; `None` when the type URL is not escrow's.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        match any.type_url.as_str() {
            MSG_ACCOUNT_DEPOSIT => Some(
                decode_as::<MsgAccountDeposit>(any)
                    .and_then(|m| check_account_deposit(&m))
                    .map(EscrowMsg::AccountDeposit),
            ),
            _ => None,
        }
    }

    fn type_url(&self) -> &'static str {
        match self {
            EscrowMsg::AccountDeposit(_) => MSG_ACCOUNT_DEPOSIT,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            EscrowMsg::AccountDeposit(m) => vec![m.signer],
        }
    }

    /// Escrow closings reach the market and deployment modules through the market's hooks
    /// (the module that owns what a closed account means for its leases).
    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        self.execute_with(ctx, &crate::market::hooks::MarketHooks)
    }
}

impl EscrowMsg {
    /// [`ModuleMsg::execute`] with the hooks given (tests pass their own).
    pub fn execute_with(&self, ctx: &mut Ctx, hooks: &dyn EscrowHooks) -> SdkResult<Vec<u8>> {
        match self {
            EscrowMsg::AccountDeposit(m) => {
                state::account_deposit(ctx, hooks, &m.id, &m.signer, &m.deposit)?;
                Ok(MsgAccountDepositResponse {}.encode_to_vec())
            }
        }
    }
}
