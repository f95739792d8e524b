//! authz genesis (`app_state.authz`): `{"authorization": [GrantAuthorization JSON]}`, each
//! `{granter, grantee, authorization: {"@type": …, …}, expiration: RFC 3339 or null}`.

use super::authorization::{any_from_json, any_to_json, Authorization};
use super::state::{self, GRANT_PREFIX};
use crate::abci::BlockTime;
use crate::auth::parse_address;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::authz::v1beta1::Grant;
use cosmos_sdk_proto::Timestamp;
use kumo_crypto::ACCOUNT_HRP;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub authorization: Vec<GrantAuthorizationJson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrantAuthorizationJson {
    pub granter: String,
    pub grantee: String,
    pub authorization: serde_json::Value,
    #[serde(default)]
    pub expiration: Option<String>,
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    for r in &g.authorization {
        let granter = parse_address("genesis authz granter", &r.granter)?;
        let grantee = parse_address("genesis authz grantee", &r.grantee)?;
        let any = any_from_json(&r.authorization)?;
        let url = Authorization::from_any(&any)?.msg_type_url();
        let expiration = r
            .expiration
            .as_deref()
            .map(parse_rfc3339)
            .transpose()
            .map_err(|e| SdkError::invalid_request(format!("genesis authz expiration: {e}")))?;
        if ctx
            .get_free(&state::grant_key(&granter, &grantee, &url))
            .is_some()
        {
            return Err(SdkError::invalid_request(format!(
                "genesis lists the grant from {} to {} for {url} twice",
                r.granter, r.grantee
            )));
        }
        let grant = Grant {
            authorization: Some(any),
            expiration,
        };
        state::save_grant(ctx, &granter, &grantee, &url, &grant)?;
    }
    Ok(())
}

/// Every stored grant (expired ones included: nothing has pruned them yet).
pub fn export(ctx: &Ctx) -> SdkResult<GenesisState> {
    let mut authorization = Vec::new();
    for (k, v) in ctx.prefix_free(GRANT_PREFIX) {
        let (granter, grantee, _) = state::split_key(GRANT_PREFIX, &k)
            .ok_or_else(|| SdkError::invalid_type("malformed authz grant key"))?;
        let g = state::decode_grant(&v)?;
        let any = g
            .authorization
            .ok_or_else(|| SdkError::invalid_type("stored grant without authorization"))?;
        authorization.push(GrantAuthorizationJson {
            granter: granter.to_bech32(ACCOUNT_HRP),
            grantee: grantee.to_bech32(ACCOUNT_HRP),
            authorization: any_to_json(&any)?,
            expiration: g.expiration.map(|t| format_rfc3339(&t)),
        });
    }
    Ok(GenesisState { authorization })
}

/// RFC 3339 in UTC, with fractional seconds only when there are some.
pub fn format_rfc3339(t: &Timestamp) -> String {
    let base = crate::staking::msgs::rfc3339(BlockTime {
        seconds: t.seconds,
        nanos: 0,
    });
    if t.nanos == 0 {
        return base;
    }
    let frac = format!("{:09}", t.nanos);
    format!(
        "{}.{}Z",
        base.trim_end_matches('Z'),
        frac.trim_end_matches('0')
    )
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` into a protobuf Timestamp.
pub fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
    let bad = || format!("{s:?} is not an RFC 3339 time such as 2027-01-31T12:00:00Z");
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let part = s.get(r).ok_or_else(bad)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i64>().map_err(|_| bad())
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let mut rest = &s[19..];
    let mut nanos: i64 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(bad());
        }
        nanos = frac[..digits].parse::<i64>().map_err(|_| bad())? * 10i64.pow(9 - digits as u32);
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let oh = rest[1..3].parse::<i64>().map_err(|_| bad())?;
            let om = rest[4..6].parse::<i64>().map_err(|_| bad())?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return Err(bad()),
    };
    let seconds = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset;
    Ok(Timestamp {
        seconds,
        nanos: nanos as i32,
    })
}
