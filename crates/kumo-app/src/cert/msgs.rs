//! cert messages: publish (create) and revoke a certificate.

use super::{errors, state, verify};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::module::{decode_as, ModuleMsg};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use kumo_proto::akash::cert::v1::{
    Certificate, MsgCreateCertificate, MsgCreateCertificateResponse, MsgRevokeCertificate,
    MsgRevokeCertificateResponse, State,
};
use prost::Message;

pub const MSG_CREATE_CERTIFICATE: &str = "/akash.cert.v1.MsgCreateCertificate";
pub const MSG_REVOKE_CERTIFICATE: &str = "/akash.cert.v1.MsgRevokeCertificate";

#[derive(Clone, Debug)]
pub enum CertMsg {
    Create(Create),
    Revoke(Revoke),
}

/// A certificate whose PEM blocks, self-signature and CommonName were checked.
#[derive(Clone, Debug)]
pub struct Create {
    pub owner: Address,
    pub serial: String,
    pub cert: Vec<u8>,
    pub pubkey: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct Revoke {
    pub owner: Address,
    pub serial: String,
}

impl ModuleMsg for CertMsg {
    const MODULE: &'static str = "cert";

    /// Decodes and checks the cert messages; `None` for type URLs this module does not own.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        let url = any.type_url.as_str();
        Some(if url == MSG_CREATE_CERTIFICATE {
            decode_as::<MsgCreateCertificate>(any).and_then(|m| {
                let owner = parse_address("certificate owner", &m.owner)?;
                let v = verify::parse_and_validate(&owner, &m.cert, &m.pubkey)?;
                Ok(CertMsg::Create(Create {
                    owner,
                    serial: v.serial,
                    cert: m.cert,
                    pubkey: m.pubkey,
                }))
            })
        } else if url == MSG_REVOKE_CERTIFICATE {
            decode_as::<MsgRevokeCertificate>(any).and_then(|m| {
                let id = m.id.unwrap_or_default();
                let owner = parse_address("certificate owner", &id.owner)?;
                if !verify::valid_serial(&id.serial) {
                    return Err(errors::invalid_serial_number(format!(
                        "serial {:?} is not a decimal number; see `query cert list --owner {}`",
                        id.serial, id.owner
                    )));
                }
                Ok(CertMsg::Revoke(Revoke {
                    owner,
                    serial: id.serial,
                }))
            })
        } else {
            return None;
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            CertMsg::Create(_) => MSG_CREATE_CERTIFICATE,
            CertMsg::Revoke(_) => MSG_REVOKE_CERTIFICATE,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            CertMsg::Create(m) => vec![m.owner],
            CertMsg::Revoke(m) => vec![m.owner],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            CertMsg::Create(m) => {
                if state::get(ctx, &m.owner, &m.serial)?.is_some() {
                    return Err(errors::certificate_exists(format!(
                        "{} already published a certificate with serial {}; generate a new one",
                        m.owner, m.serial
                    )));
                }
                let cert = Certificate {
                    state: State::Valid as i32,
                    cert: m.cert.clone(),
                    pubkey: m.pubkey.clone(),
                };
                state::set(ctx, &m.owner, &m.serial, &cert)?;
                Ok(MsgCreateCertificateResponse {}.encode_to_vec())
            }
            CertMsg::Revoke(m) => {
                let Some(mut cert) = state::get(ctx, &m.owner, &m.serial)? else {
                    return Err(errors::certificate_not_found(format!(
                        "{} has no certificate with serial {}",
                        m.owner, m.serial
                    )));
                };
                if cert.state == State::Revoked as i32 {
                    return Err(errors::certificate_already_revoked(format!(
                        "certificate {} of {} is already revoked",
                        m.serial, m.owner
                    )));
                }
                cert.state = State::Revoked as i32;
                state::set(ctx, &m.owner, &m.serial, &cert)?;
                Ok(MsgRevokeCertificateResponse {}.encode_to_vec())
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
        assert_eq!(MSG_CREATE_CERTIFICATE, MsgCreateCertificate::type_url());
        assert_eq!(MSG_REVOKE_CERTIFICATE, MsgRevokeCertificate::type_url());
    }
}
