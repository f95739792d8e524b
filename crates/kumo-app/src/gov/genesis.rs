//! gov genesis, SDK layout: `params` (decimals as decimal text, durations like `259200s`,
//! coins); proposals of an export are kept as given.

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::v1::Params;
use cosmos_sdk_proto::tendermint::google::protobuf::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CoinJson {
    pub denom: String,
    pub amount: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsJson {
    pub min_deposit: Vec<CoinJson>,
    pub max_deposit_period: String,
    pub voting_period: String,
    pub quorum: String,
    pub threshold: String,
    pub veto_threshold: String,
    pub min_initial_deposit_ratio: String,
    pub expedited_voting_period: String,
    pub expedited_threshold: String,
    pub expedited_min_deposit: Vec<CoinJson>,
    #[serde(default)]
    pub burn_vote_quorum: bool,
    #[serde(default)]
    pub burn_proposal_deposit_prevote: bool,
    #[serde(default = "yes")]
    pub burn_vote_veto: bool,
    /// Share of the deposits burned when the proposer cancels (SDK 0.50).
    #[serde(default = "default_cancel_ratio")]
    pub proposal_cancel_ratio: String,
    /// Where cancelled deposits go instead of being burned (empty: burned).
    #[serde(default)]
    pub proposal_cancel_dest: String,
    /// Smallest deposit a MsgDeposit may add, as a share of min_deposit (SDK 0.50).
    #[serde(default = "default_min_deposit_ratio")]
    pub min_deposit_ratio: String,
}

fn yes() -> bool {
    true
}

fn default_cancel_ratio() -> String {
    default_params().proposal_cancel_ratio
}

fn default_min_deposit_ratio() -> String {
    default_params().min_deposit_ratio
}

fn bad(what: impl std::fmt::Display) -> SdkError {
    SdkError::invalid_request(format!("gov genesis: {what}"))
}

fn duration(s: &str) -> SdkResult<Option<Duration>> {
    let secs: i64 = s
        .strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("duration {s:?} is not like 259200s")))?;
    Ok(Some(Duration {
        seconds: secs,
        nanos: 0,
    }))
}

fn coins(v: &[CoinJson]) -> Vec<ProtoCoin> {
    v.iter()
        .map(|c| ProtoCoin {
            denom: c.denom.clone(),
            amount: c.amount.clone(),
        })
        .collect()
}

fn coins_json(v: &[ProtoCoin]) -> Vec<CoinJson> {
    v.iter()
        .map(|c| CoinJson {
            denom: c.denom.clone(),
            amount: c.amount.clone(),
        })
        .collect()
}

/// A decimal in the SDK's 18-digit form (`0.2` -> `0.200000000000000000`); text that is not a
/// decimal is kept for validation to report.
fn dec_text(s: &str) -> String {
    crate::dec::parse_dec(s).map_or_else(|_| s.to_string(), crate::dec::dec_string)
}

impl ParamsJson {
    pub fn from_params(p: &Params) -> ParamsJson {
        let d = |d: &Option<Duration>| format!("{}s", d.as_ref().map_or(0, |d| d.seconds));
        ParamsJson {
            min_deposit: coins_json(&p.min_deposit),
            max_deposit_period: d(&p.max_deposit_period),
            voting_period: d(&p.voting_period),
            quorum: p.quorum.clone(),
            threshold: p.threshold.clone(),
            veto_threshold: p.veto_threshold.clone(),
            min_initial_deposit_ratio: p.min_initial_deposit_ratio.clone(),
            expedited_voting_period: d(&p.expedited_voting_period),
            expedited_threshold: p.expedited_threshold.clone(),
            expedited_min_deposit: coins_json(&p.expedited_min_deposit),
            burn_vote_quorum: p.burn_vote_quorum,
            burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
            burn_vote_veto: p.burn_vote_veto,
            proposal_cancel_ratio: p.proposal_cancel_ratio.clone(),
            proposal_cancel_dest: p.proposal_cancel_dest.clone(),
            min_deposit_ratio: p.min_deposit_ratio.clone(),
        }
    }

    pub fn to_params(&self) -> SdkResult<Params> {
        let mut p = default_params();
        p.min_deposit = coins(&self.min_deposit);
        p.max_deposit_period = duration(&self.max_deposit_period)?;
        p.voting_period = duration(&self.voting_period)?;
        p.quorum = dec_text(&self.quorum);
        p.threshold = dec_text(&self.threshold);
        p.veto_threshold = dec_text(&self.veto_threshold);
        p.min_initial_deposit_ratio = dec_text(&self.min_initial_deposit_ratio);
        p.expedited_voting_period = duration(&self.expedited_voting_period)?;
        p.expedited_threshold = dec_text(&self.expedited_threshold);
        p.expedited_min_deposit = coins(&self.expedited_min_deposit);
        p.burn_vote_quorum = self.burn_vote_quorum;
        p.burn_proposal_deposit_prevote = self.burn_proposal_deposit_prevote;
        p.burn_vote_veto = self.burn_vote_veto;
        p.proposal_cancel_ratio = dec_text(&self.proposal_cancel_ratio);
        p.proposal_cancel_dest = self.proposal_cancel_dest.clone();
        p.min_deposit_ratio = dec_text(&self.min_deposit_ratio);
        Ok(p)
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
