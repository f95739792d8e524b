//! provider messages: decode + stateless checks (Akash's ValidateBasic), signers, execution.

use super::errors;
use super::state;
use crate::abci::Event;
use crate::attributes::validate_keys;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::provider::v1beta4::{
    EventProviderCreated, EventProviderUpdated, Info, MsgCreateProvider, MsgCreateProviderResponse,
    MsgDeleteProvider, MsgUpdateProvider, MsgUpdateProviderResponse, Provider,
};
use prost::Message;

pub const MSG_CREATE_PROVIDER: &str = "/akash.provider.v1beta4.MsgCreateProvider";
pub const MSG_UPDATE_PROVIDER: &str = "/akash.provider.v1beta4.MsgUpdateProvider";
pub const MSG_DELETE_PROVIDER: &str = "/akash.provider.v1beta4.MsgDeleteProvider";

/// A checked provider message.
#[derive(Clone, Debug)]
pub enum ProviderMsg {
    Create(Checked),
    Update(Checked),
    Delete(Address),
}

/// A create/update whose owner, host URI, attributes and website passed validation.
#[derive(Clone, Debug)]
pub struct Checked {
    pub owner: Address,
    pub provider: Provider,
}

/// `https` only, with a host and an empty path (`validateProviderURI`).
pub fn validate_host_uri(uri: &str) -> SdkResult<()> {
    let hint =
        "expected https://<host>[:<port>] with no path, e.g. https://provider.example.com:8443";
    let u = super::uri::parse(uri)
        .map_err(|e| errors::invalid_provider_uri(format!("host uri {uri:?}: {e}; {hint}")))?;
    if u.scheme.is_empty() {
        return Err(errors::not_abs_provider_uri(format!(
            "host uri {uri:?} is not absolute; {hint}"
        )));
    }
    if u.scheme != "https" {
        return Err(errors::invalid_provider_uri(format!(
            "scheme in {uri:?} should be https; {hint}"
        )));
    }
    if u.host.is_empty() {
        return Err(errors::not_abs_provider_uri(format!(
            "host uri {uri:?} has no host; {hint}"
        )));
    }
    if !u.path.is_empty() {
        return Err(errors::invalid_provider_uri(format!(
            "path in {uri:?} should be empty; {hint}"
        )));
    }
    Ok(())
}

/// `Info.Validate`: a website, when given, must parse as a URL.
pub fn validate_info(info: &Info) -> SdkResult<()> {
    if !info.website.is_empty() {
        super::uri::parse(&info.website).map_err(|e| {
            errors::invalid_info_website(format!("website {:?}: {e}", info.website))
        })?;
    }
    Ok(())
}

fn check(
    owner: String,
    host_uri: String,
    attributes: Vec<Attribute>,
    info: Option<Info>,
) -> SdkResult<Checked> {
    let owner_addr = parse_address("provider owner", &owner)?;
    validate_keys(&attributes, false)?;
    if let Some(info) = &info {
        validate_info(info)?;
    }
    validate_host_uri(&host_uri)?;
    Ok(Checked {
        owner: owner_addr,
        provider: Provider {
            owner,
            host_uri,
            attributes,
            info,
        },
    })
}

impl ModuleMsg for ProviderMsg {
    const MODULE: &'static str = "provider";

    /// Decodes and checks the provider messages; `None` for type URLs this module does not own.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        let url = any.type_url.as_str();
        Some(if url == MSG_CREATE_PROVIDER {
            decode_as::<MsgCreateProvider>(any).and_then(|m| {
                check(m.owner, m.host_uri, m.attributes, m.info).map(ProviderMsg::Create)
            })
        } else if url == MSG_UPDATE_PROVIDER {
            decode_as::<MsgUpdateProvider>(any).and_then(|m| {
                check(m.owner, m.host_uri, m.attributes, m.info).map(ProviderMsg::Update)
            })
        } else if url == MSG_DELETE_PROVIDER {
            decode_as::<MsgDeleteProvider>(any)
                .and_then(|m| parse_address("provider owner", &m.owner))
                .map(ProviderMsg::Delete)
        } else {
            return None;
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            ProviderMsg::Create(_) => MSG_CREATE_PROVIDER,
            ProviderMsg::Update(_) => MSG_UPDATE_PROVIDER,
            ProviderMsg::Delete(_) => MSG_DELETE_PROVIDER,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            ProviderMsg::Create(c) | ProviderMsg::Update(c) => vec![c.owner],
            ProviderMsg::Delete(owner) => vec![*owner],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            ProviderMsg::Create(c) => {
                if state::get_metered(ctx, &c.owner)?.is_some() {
                    return Err(errors::provider_exists(format!(
                        "provider {} is already registered; use `tx provider update` to change it",
                        c.provider.owner
                    )));
                }
                state::set(ctx, &c.owner, &c.provider)?;
                ctx.emit(Event::typed(&EventProviderCreated {
                    owner: c.provider.owner.clone(),
                }));
                Ok(MsgCreateProviderResponse {}.encode_to_vec())
            }
            ProviderMsg::Update(c) => {
                if state::get_metered(ctx, &c.owner)?.is_none() {
                    return Err(errors::provider_not_found(format!(
                        "provider {} is not registered; use `tx provider create` first",
                        c.provider.owner
                    )));
                }
                state::set(ctx, &c.owner, &c.provider)?;
                ctx.emit(Event::typed(&EventProviderUpdated {
                    owner: c.provider.owner.clone(),
                }));
                Ok(MsgUpdateProviderResponse {}.encode_to_vec())
            }
            ProviderMsg::Delete(owner) => {
                if state::get_metered(ctx, owner)?.is_none() {
                    return Err(errors::provider_not_found(format!(
                        "provider {owner} is not registered"
                    )));
                }
                // Akash (node v1.2.2) stops here too: deletion was never implemented.
                Err(errors::internal(
                    "NOTIMPLEMENTED: Akash does not implement provider deletion",
                ))
            }
        }
    }
}

#[cfg(test)]
mod type_url_tests {
    use super::*;
    use prost::Name;

    #[test]
    fn constants_are_the_proto_type_urls() {
        assert_eq!(MSG_CREATE_PROVIDER, MsgCreateProvider::type_url());
        assert_eq!(MSG_UPDATE_PROVIDER, MsgUpdateProvider::type_url());
        assert_eq!(MSG_DELETE_PROVIDER, MsgDeleteProvider::type_url());
    }
}
