//! cert queries (`/akash.cert.v1.Query/Certificates`): filter by owner, serial and state.

use super::state;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use kumo_proto::akash::cert::v1::{
    CertificateResponse, QueryCertificatesRequest, QueryCertificatesResponse, State,
};
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Certificates" => certificates(ctx, data),
        _ => return None,
    })
}

fn certificates(ctx: &mut Ctx, data: &[u8]) -> SdkResult<Vec<u8>> {
    let req: QueryCertificatesRequest = decode_req(data)?;
    let filter = req.filter.unwrap_or_default();
    let want_state = match filter.state.as_str() {
        "" => None,
        s => Some(
            State::from_str_name(s)
                .filter(|s| *s != State::Invalid)
                .ok_or_else(|| {
                    SdkError::bad_query(format!(
                        "invalid certificate state {s:?}: use \"valid\" or \"revoked\""
                    ))
                })?,
        ),
    };
    let scan_prefix = if filter.owner.is_empty() {
        state::certs_prefix().to_vec()
    } else {
        let owner =
            parse_address("owner", &filter.owner).map_err(|e| SdkError::bad_query(e.log))?;
        state::owner_prefix(&owner)
    };
    let entries: Vec<(Vec<u8>, Vec<u8>)> = ctx
        .prefix_free(&scan_prefix)
        .into_iter()
        .filter(|(k, v)| {
            let (_, serial) = state::id_from_key(k);
            let cert = state::decode_cert(v);
            (filter.serial.is_empty() || serial == filter.serial)
                && want_state.is_none_or(|s| cert.state == s as i32)
        })
        .collect();
    let prefix = state::certs_prefix();
    let (page, pagination) = paginate(&entries, prefix, req.pagination.as_ref())?;
    Ok(QueryCertificatesResponse {
        certificates: page
            .iter()
            .map(|(k, v)| CertificateResponse {
                certificate: Some(state::decode_cert(v)),
                serial: state::id_from_key(k).1,
            })
            .collect(),
        pagination: Some(pagination),
    }
    .encode_to_vec())
}
