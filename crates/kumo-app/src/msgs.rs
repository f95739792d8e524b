//! Every message the chain accepts, decoded from its `Any` and checked statelessly once, then
//! routed to the module that owns it.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::{audit, bank, cert, provider};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgMultiSend, MsgSend};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

#[derive(Clone, Debug)]
pub enum Msg {
    BankSend(bank::msgs::Send),
    BankMultiSend(bank::msgs::MultiSend),
    Escrow(crate::escrow::msgs::EscrowMsg),
    Take(crate::take::msgs::TakeMsg),
    Deployment(crate::deployment::msgs::DeploymentMsg),
    Market(crate::market::msgs::MarketMsg),
    Provider(provider::msgs::ProviderMsg),
    Audit(audit::msgs::AuditMsg),
    Cert(cert::msgs::CertMsg),
    Staking(crate::staking::msgs::StakingMsg),
    Distribution(crate::distribution::msgs::DistributionMsg),
    Mint(crate::mint::msgs::MintMsg),
    Slashing(crate::slashing::msgs::SlashingMsg),
    Gov(crate::gov::msgs::GovMsg),
    Upgrade(crate::upgrade::UpgradeMsg),
    Authz(crate::authz::msgs::AuthzMsg),
    Feegrant(crate::feegrant::msgs::FeegrantMsg),
}

/// Decodes `any`'s value as `T`, with the SDK's tx-decode error naming the type URL.
pub(crate) fn decode_as<T: Message + Default>(any: &Any) -> SdkResult<T> {
    T::decode(any.value.as_slice())
        .map_err(|e| SdkError::tx_decode(format!("cannot decode {}: {e}", any.type_url)))
}

impl Msg {
    /// Decodes and checks a message (the SDK's decode + ValidateBasic).
    pub fn from_any(any: &Any) -> SdkResult<Msg> {
        Msg::route(any).unwrap_or_else(|| {
            Err(SdkError::tx_decode(format!(
                "unable to resolve type URL {}",
                any.type_url
            )))
        })
    }

    /// The owning module's decode of `any`; `None` when no module owns its type URL.
    fn route(any: &Any) -> Option<SdkResult<Msg>> {
        if let Some(m) = crate::authz::msgs::decode(any) {
            return Some(m.map(Msg::Authz));
        }
        if let Some(m) = crate::feegrant::msgs::decode(any) {
            return Some(m.map(Msg::Feegrant));
        }
        if let Some(m) = crate::escrow::msgs::decode(any) {
            return Some(m.map(Msg::Escrow));
        }
        if let Some(m) = crate::take::msgs::decode(any) {
            return Some(m.map(Msg::Take));
        }
        if let Some(m) = crate::deployment::msgs::decode(any) {
            return Some(m.map(Msg::Deployment));
        }
        if let Some(m) = crate::market::msgs::decode(any) {
            return Some(m.map(Msg::Market));
        }
        if let Some(m) = provider::msgs::decode(any) {
            return Some(m.map(Msg::Provider));
        }
        if let Some(m) = audit::msgs::decode(any) {
            return Some(m.map(Msg::Audit));
        }
        if let Some(m) = cert::msgs::decode(any) {
            return Some(m.map(Msg::Cert));
        }
        if let Some(m) = crate::staking::msgs::decode(any) {
            return Some(m.map(Msg::Staking));
        }
        if let Some(m) = crate::distribution::msgs::decode(any) {
            return Some(m.map(Msg::Distribution));
        }
        if let Some(m) = crate::mint::msgs::decode(any) {
            return Some(m.map(Msg::Mint));
        }
        if let Some(m) = crate::slashing::msgs::decode(any) {
            return Some(m.map(Msg::Slashing));
        }
        if let Some(m) = crate::gov::msgs::decode(any) {
            return Some(m.map(Msg::Gov));
        }
        if let Some(m) = crate::upgrade::decode(any) {
            return Some(m.map(Msg::Upgrade));
        }
        Some(match any.type_url.as_str() {
            bank::msgs::MSG_SEND => decode_as::<MsgSend>(any)
                .and_then(|m| bank::msgs::check_send(&m))
                .map(Msg::BankSend),
            bank::msgs::MSG_MULTI_SEND => decode_as::<MsgMultiSend>(any)
                .and_then(|m| bank::msgs::check_multi_send(&m))
                .map(Msg::BankMultiSend),
            _ => return None,
        })
    }

    pub fn type_url(&self) -> &'static str {
        match self {
            Msg::BankSend(_) => bank::msgs::MSG_SEND,
            Msg::BankMultiSend(_) => bank::msgs::MSG_MULTI_SEND,
            Msg::Escrow(m) => m.type_url(),
            Msg::Take(m) => m.type_url(),
            Msg::Deployment(m) => m.type_url(),
            Msg::Market(m) => m.type_url(),
            Msg::Provider(m) => m.type_url(),
            Msg::Audit(m) => m.type_url(),
            Msg::Cert(m) => m.type_url(),
            Msg::Staking(m) => m.type_url(),
            Msg::Distribution(m) => m.type_url(),
            Msg::Mint(m) => m.type_url(),
            Msg::Slashing(m) => m.type_url(),
            Msg::Gov(m) => m.type_url(),
            Msg::Upgrade(m) => m.type_url(),
            Msg::Authz(m) => m.type_url(),
            Msg::Feegrant(m) => m.type_url(),
        }
    }

    pub fn module(&self) -> &'static str {
        match self {
            Msg::BankSend(_) | Msg::BankMultiSend(_) => "bank",
            Msg::Escrow(_) => "escrow",
            Msg::Take(_) => "take",
            Msg::Deployment(_) => "deployment",
            Msg::Market(_) => "market",
            Msg::Provider(_) => "provider",
            Msg::Audit(_) => "audit",
            Msg::Cert(_) => "cert",
            Msg::Staking(_) => "staking",
            Msg::Distribution(_) => "distribution",
            Msg::Mint(_) => "mint",
            Msg::Slashing(_) => "slashing",
            Msg::Gov(_) => "gov",
            Msg::Upgrade(_) => "upgrade",
            Msg::Authz(_) => "authz",
            Msg::Feegrant(_) => "feegrant",
        }
    }

    /// Addresses that must sign, in order.
    pub fn signers(&self) -> Vec<Address> {
        match self {
            Msg::BankSend(m) => vec![m.from],
            Msg::BankMultiSend(m) => vec![m.from],
            Msg::Escrow(m) => m.signers(),
            Msg::Take(m) => m.signers(),
            Msg::Deployment(m) => m.signers(),
            Msg::Market(m) => m.signers(),
            Msg::Provider(m) => m.signers(),
            Msg::Audit(m) => m.signers(),
            Msg::Cert(m) => m.signers(),
            Msg::Staking(m) => m.signers(),
            Msg::Distribution(m) => m.signers(),
            Msg::Mint(m) => m.signers(),
            Msg::Slashing(m) => m.signers(),
            Msg::Gov(m) => m.signers(),
            Msg::Upgrade(m) => m.signers(),
            Msg::Authz(m) => m.signers(),
            Msg::Feegrant(m) => m.signers(),
        }
    }

    /// Runs the message; returns the encoded `<Msg>Response`.
    pub fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            Msg::BankSend(m) => bank::msgs::execute_send(ctx, m),
            Msg::BankMultiSend(m) => bank::msgs::execute_multi_send(ctx, m),
            // Escrow closings reach the market and deployment modules through these hooks.
            Msg::Escrow(m) => m.execute(ctx, &crate::market::hooks::MarketHooks),
            Msg::Take(m) => m.execute(ctx),
            Msg::Deployment(m) => m.execute(ctx),
            Msg::Market(m) => m.execute(ctx),
            Msg::Provider(m) => m.execute(ctx),
            Msg::Audit(m) => m.execute(ctx),
            Msg::Cert(m) => m.execute(ctx),
            Msg::Staking(m) => m.execute(ctx),
            Msg::Distribution(m) => m.execute(ctx),
            Msg::Mint(m) => m.execute(ctx),
            Msg::Slashing(m) => m.execute(ctx),
            Msg::Gov(m) => m.execute(ctx),
            Msg::Upgrade(m) => m.execute(ctx),
            Msg::Authz(m) => m.execute(ctx),
            Msg::Feegrant(m) => m.execute(ctx),
        }
    }
}

/// Whether some module executes messages of `type_url` (a grant must name one).
pub fn is_known_type_url(type_url: &str) -> bool {
    Msg::route(&Any {
        type_url: type_url.to_string(),
        value: vec![],
    })
    .is_some()
}
