//! Every message the chain accepts, decoded from its `Any` and checked statelessly once, then
//! routed to the module that owns it. Each module implements [`ModuleMsg`] once, in its own
//! `msgs.rs`; this file only lists them.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::ModuleMsg;
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;

/// The router: one variant per module, each forwarding to the module's [`ModuleMsg`].
macro_rules! modules {
    ($($variant:ident($ty:ty),)*) => {
        #[derive(Clone, Debug)]
        pub enum Msg {
            $($variant($ty),)*
        }

        impl Msg {
            /// The owning module's decode of `any`; `None` when no module owns its type URL.
            fn route(any: &Any) -> Option<SdkResult<Msg>> {
                $(
                    if let Some(m) = <$ty as ModuleMsg>::decode(any) {
                        return Some(m.map(Msg::$variant));
                    }
                )*
                None
            }

            pub fn type_url(&self) -> &'static str {
                match self {
                    $(Msg::$variant(m) => m.type_url(),)*
                }
            }

            pub fn module(&self) -> &'static str {
                match self {
                    $(Msg::$variant(_) => <$ty as ModuleMsg>::MODULE,)*
                }
            }

            /// Addresses that must sign, in order.
            pub fn signers(&self) -> Vec<Address> {
                match self {
                    $(Msg::$variant(m) => m.signers(),)*
                }
            }

            /// Runs the message; returns the encoded `<Msg>Response`.
            pub fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
                match self {
                    $(Msg::$variant(m) => m.execute(ctx),)*
                }
            }
        }
    };
}

modules! {
    Authz(crate::authz::msgs::AuthzMsg),
    Feegrant(crate::feegrant::msgs::FeegrantMsg),
    Escrow(crate::escrow::msgs::EscrowMsg),
    Take(crate::take::msgs::TakeMsg),
    Deployment(crate::deployment::msgs::DeploymentMsg),
    Market(crate::market::msgs::MarketMsg),
    Provider(crate::provider::msgs::ProviderMsg),
    Audit(crate::audit::msgs::AuditMsg),
    Cert(crate::cert::msgs::CertMsg),
    Staking(crate::staking::msgs::StakingMsg),
    Distribution(crate::distribution::msgs::DistributionMsg),
    Mint(crate::mint::msgs::MintMsg),
    Slashing(crate::slashing::msgs::SlashingMsg),
    Gov(crate::gov::msgs::GovMsg),
    Upgrade(crate::upgrade::UpgradeMsg),
    Bank(crate::bank::msgs::BankMsg),
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
}

/// Whether some module executes messages of `type_url` (a grant must name one).
pub fn is_known_type_url(type_url: &str) -> bool {
    Msg::route(&Any {
        type_url: type_url.to_string(),
        value: vec![],
    })
    .is_some()
}
