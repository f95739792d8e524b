//! cert genesis (`app_state.cert`):
//! `{"certificates": [{"owner", "certificate": {"state", "cert", "pubkey"}}]}`, PEM bytes in
//! base64 as proto-JSON writes them. Each certificate is re-verified like a MsgCreateCertificate.

use super::{errors, state, verify};
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use base64::Engine;
use kumo_proto::akash::cert::v1::{Certificate, State};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub certificates: Vec<GenesisCertificateJson>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisCertificateJson {
    pub owner: String,
    pub certificate: CertificateJson,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateJson {
    pub state: String,
    /// base64 of the PEM bytes
    pub cert: String,
    /// base64 of the PEM bytes
    pub pubkey: String,
}

fn b64(field: &str, s: &str) -> SdkResult<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| {
            errors::invalid_certificate_value(format!("genesis {field} is not base64: {e}"))
        })
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    for gc in &g.certificates {
        let owner = parse_address("genesis certificate owner", &gc.owner)?;
        let c = &gc.certificate;
        let st = State::from_str_name(&c.state)
            .filter(|s| *s != State::Invalid)
            .ok_or_else(|| {
                errors::invalid_state(format!(
                    "genesis certificate state {:?} must be \"valid\" or \"revoked\"",
                    c.state
                ))
            })?;
        let cert = b64("cert", &c.cert)?;
        let pubkey = b64("pubkey", &c.pubkey)?;
        let v = verify::parse_and_validate(&owner, &cert, &pubkey)?;
        if state::get_free(ctx, &owner, &v.serial).is_some() {
            return Err(errors::certificate_exists(format!(
                "genesis lists certificate {} of {} twice",
                v.serial, gc.owner
            )));
        }
        state::set(
            ctx,
            &owner,
            &v.serial,
            &Certificate {
                state: st as i32,
                cert,
                pubkey,
            },
        )?;
    }
    Ok(())
}

pub fn export(ctx: &Ctx) -> GenesisState {
    let enc = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    GenesisState {
        certificates: ctx
            .prefix_free(state::certs_prefix())
            .iter()
            .map(|(k, v)| {
                let c = state::decode_cert(v);
                GenesisCertificateJson {
                    owner: state::id_from_key(k).0,
                    certificate: CertificateJson {
                        state: State::try_from(c.state)
                            .unwrap_or(State::Invalid)
                            .as_str_name()
                            .to_string(),
                        cert: enc(&c.cert),
                        pubkey: enc(&c.pubkey),
                    },
                }
            })
            .collect(),
    }
}
