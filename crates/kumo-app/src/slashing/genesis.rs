//! slashing genesis, SDK layout: `params` (signing infos start when validators bond).

use super::state::*;
use crate::ctx::Ctx;
use crate::dec::{dec_string, parse_dec};
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::slashing::v1beta1::Params;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    /// Signing infos and missed blocks of an export, kept as given.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsJson {
    #[serde(with = "crate::genesis::u64_str")]
    pub signed_blocks_window: u64,
    pub min_signed_per_window: String,
    /// Like `60s`.
    pub downtime_jail_duration: String,
    pub slash_fraction_double_sign: String,
    pub slash_fraction_downtime: String,
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("slashing genesis: {what}"))
}

impl ParamsJson {
    pub fn from_params(p: &Params) -> ParamsJson {
        let d = |b: &[u8]| dec_string(dec_bytes(b).unwrap_or(0));
        ParamsJson {
            signed_blocks_window: p.signed_blocks_window as u64,
            min_signed_per_window: d(&p.min_signed_per_window),
            downtime_jail_duration: format!(
                "{}s",
                p.downtime_jail_duration.as_ref().map_or(0, |d| d.seconds)
            ),
            slash_fraction_double_sign: d(&p.slash_fraction_double_sign),
            slash_fraction_downtime: d(&p.slash_fraction_downtime),
        }
    }

    pub fn to_params(&self) -> SdkResult<Params> {
        let d = |s: &str| {
            parse_dec(s)
                .map(|a| a.to_string().into_bytes())
                .map_err(bad)
        };
        let jail: i64 = self
            .downtime_jail_duration
            .strip_suffix('s')
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| {
                bad(format!(
                    "downtime_jail_duration {:?} is not like 60s",
                    self.downtime_jail_duration
                ))
            })?;
        Ok(Params {
            signed_blocks_window: self.signed_blocks_window as i64,
            min_signed_per_window: d(&self.min_signed_per_window)?,
            downtime_jail_duration: Some(
                cosmos_sdk_proto::tendermint::google::protobuf::Duration {
                    seconds: jail,
                    nanos: 0,
                },
            ),
            slash_fraction_double_sign: d(&self.slash_fraction_double_sign)?,
            slash_fraction_downtime: d(&self.slash_fraction_downtime)?,
        })
    }
}

pub fn init(ctx: &mut Ctx, g: &GenesisState) -> SdkResult<()> {
    let p = match &g.params {
        Some(p) => p.to_params()?,
        None => default_params(),
    };
    validate_params(&p)?;
    set_params(ctx, &p)
}
