//! gov messages (v1): submit a proposal (messages run by the gov account if it passes), deposit,
//! vote (plain or weighted), update params (by governance itself).

use super::errors as e;
use super::state::*;
use crate::abci::Event;
use crate::auth::{module_address, parse_address};
use crate::coins::{coins_from_proto, coins_to_string, Coin};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_as, ModuleMsg};
use crate::staking::state::{add_duration, to_timestamp};
use cosmos_sdk_proto::cosmos::gov::v1::{
    Deposit, MsgDeposit, MsgDepositResponse, MsgSubmitProposal, MsgSubmitProposalResponse,
    MsgUpdateParams, MsgUpdateParamsResponse, MsgVote, MsgVoteResponse, MsgVoteWeighted,
    MsgVoteWeightedResponse, Params, Proposal, ProposalStatus, Vote, VoteOption,
    WeightedVoteOption,
};
use cosmos_sdk_proto::cosmos::gov::v1beta1 as b;
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;
use prost::Message;

pub const MSG_SUBMIT_PROPOSAL: &str = "/cosmos.gov.v1.MsgSubmitProposal";
pub const MSG_DEPOSIT: &str = "/cosmos.gov.v1.MsgDeposit";
pub const MSG_VOTE: &str = "/cosmos.gov.v1.MsgVote";
pub const MSG_VOTE_WEIGHTED: &str = "/cosmos.gov.v1.MsgVoteWeighted";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.gov.v1.MsgUpdateParams";
/// gov v1beta1 messages, which SDK 0.50+ nodes still accept (cosmjs' default amino converters,
/// Keplr and Ledger send them): they run as their v1 counterparts.
pub const MSG_SUBMIT_PROPOSAL_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgSubmitProposal";
pub const MSG_DEPOSIT_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgDeposit";
pub const MSG_VOTE_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgVote";
pub const MSG_VOTE_WEIGHTED_V1BETA1: &str = "/cosmos.gov.v1beta1.MsgVoteWeighted";
const TEXT_PROPOSAL: &str = "/cosmos.gov.v1beta1.TextProposal";
/// Akash's max metadata length (spec §12.2); the SDK's max title and summary lengths.
pub const MAX_METADATA_LEN: usize = 10_200;
const MAX_TITLE_LEN: usize = 255;
const MAX_SUMMARY_LEN: usize = 10_200;

#[derive(Clone, Debug)]
pub enum GovMsg {
    SubmitProposal {
        proposer: Address,
        messages: Vec<Any>,
        initial_deposit: Vec<Coin>,
        metadata: String,
        title: String,
        summary: String,
        expedited: bool,
        /// Sent as a v1beta1 message (its type URL is reported back as sent).
        legacy: bool,
    },
    Deposit {
        id: u64,
        depositor: Address,
        amount: Vec<Coin>,
        legacy: bool,
    },
    Vote {
        id: u64,
        voter: Address,
        options: Vec<(VoteOption, u128)>,
        metadata: String,
        legacy: bool,
    },
    UpdateParams {
        authority: Address,
        params: Params,
    },
}

fn option(o: i32) -> SdkResult<VoteOption> {
    match VoteOption::try_from(o) {
        Ok(VoteOption::Unspecified) | Err(_) => Err(e::invalid_vote(format!(
            "option {o}; use yes (1), abstain (2), no (3) or no_with_veto (4)"
        ))),
        Ok(v) => Ok(v),
    }
}

/// Weighted options: each option once, positive weights summing to exactly 1.
fn weighted(options: &[WeightedVoteOption]) -> SdkResult<Vec<(VoteOption, u128)>> {
    if options.is_empty() {
        return Err(e::invalid_vote("no options"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0u128;
    let mut out = vec![];
    for o in options {
        let opt = option(o.option)?;
        let w = crate::dec::parse_dec(&o.weight)
            .ok()
            .filter(|w| *w > 0 && *w <= DEC_ONE)
            .ok_or_else(|| e::invalid_vote(format!("weight {:?} must be in (0, 1]", o.weight)))?;
        if !seen.insert(o.option) {
            return Err(e::invalid_vote(format!(
                "option {} given twice",
                opt.as_str_name()
            )));
        }
        total += w;
        out.push((opt, w));
    }
    if total != DEC_ONE {
        return Err(e::invalid_vote(format!(
            "weights sum to {}, not 1",
            crate::dec::dec_string(total)
        )));
    }
    Ok(out)
}

fn amount_of(coins: &[Coin], denom: &str) -> u128 {
    coins
        .iter()
        .filter(|c| c.denom == denom)
        .map(|c| c.amount)
        .sum()
}

fn min_deposit(p: &Params, expedited: bool) -> Vec<Coin> {
    coins_from_proto(if expedited {
        &p.expedited_min_deposit
    } else {
        &p.min_deposit
    })
    .unwrap_or_default()
}

/// Adds a deposit (coins to the gov account); moves the proposal to its voting period once the
/// total reaches the minimum. Returns whether it did.
pub fn add_deposit(
    ctx: &mut Ctx,
    prop: &mut Proposal,
    depositor: &Address,
    amount: &[Coin],
) -> SdkResult<bool> {
    let p = params(ctx);
    let min = min_deposit(&p, prop.expedited);
    if let Some(c) = amount
        .iter()
        .find(|c| !min.iter().any(|m| m.denom == c.denom))
    {
        return Err(e::invalid_deposit_denom(format!(
            "{} is not a deposit denom; use {}",
            c.denom,
            coins_to_string(&min)
        )));
    }
    crate::bank::state::send(ctx, depositor, &module_address(MODULE_NAME), amount)?;
    let mut d = deposit(ctx, prop.id, depositor).unwrap_or_else(|| Deposit {
        proposal_id: prop.id,
        depositor: depositor.to_bech32(ACCOUNT_HRP),
        amount: vec![],
    });
    let mut total = coins_from_proto(&d.amount)?;
    let mut all = coins_from_proto(&prop.total_deposit)?;
    for c in amount {
        for list in [&mut total, &mut all] {
            match list.iter_mut().find(|x| x.denom == c.denom) {
                Some(x) => x.amount += c.amount,
                None => list.push(c.clone()),
            }
        }
    }
    d.amount = total.iter().map(Coin::to_proto).collect();
    set_deposit(ctx, prop.id, depositor, &d)?;
    prop.total_deposit = all.iter().map(Coin::to_proto).collect();
    ctx.emit(
        Event::new("proposal_deposit")
            .attr("amount", coins_to_string(amount))
            .attr("proposal_id", prop.id.to_string())
            .attr("depositor", depositor.to_bech32(ACCOUNT_HRP)),
    );
    let reached = min.iter().all(|m| amount_of(&all, &m.denom) >= m.amount);
    if prop.status == ProposalStatus::DepositPeriod as i32 && reached {
        let end = crate::staking::state::from_timestamp(prop.deposit_end_time.as_ref());
        ctx.delete(queue_key(Q_DEPOSIT, end, prop.id))?;
        let period = if prop.expedited {
            &p.expedited_voting_period
        } else {
            &p.voting_period
        };
        let (s, n) = period
            .as_ref()
            .map_or((3 * 86_400, 0), |d| (d.seconds, d.nanos));
        let now = ctx.block.time;
        let voting_end = add_duration(now, s, n);
        prop.status = ProposalStatus::VotingPeriod as i32;
        prop.voting_start_time = Some(to_timestamp(now));
        prop.voting_end_time = Some(to_timestamp(voting_end));
        ctx.set(queue_key(Q_VOTING, voting_end, prop.id), vec![])?;
        ctx.emit(Event::new("proposal_deposit").attr("voting_period_start", prop.id.to_string()));
        set_proposal(ctx, prop)?;
        return Ok(true);
    }
    set_proposal(ctx, prop)?;
    Ok(false)
}

impl ModuleMsg for GovMsg {
    const MODULE: &'static str = "gov";

    /// Decodes the gov message `any` carries; `None` when the type URL is not gov's.
    fn decode(any: &Any) -> Option<SdkResult<Self>> {
        Some(match any.type_url.as_str() {
            MSG_SUBMIT_PROPOSAL => decode_as::<MsgSubmitProposal>(any).and_then(|m| {
                let proposer = parse_address("proposer", &m.proposer)
                    .map_err(|err| e::invalid_proposer(err.log))?;
                if m.title.is_empty() || m.title.len() > MAX_TITLE_LEN {
                    return Err(e::invalid_proposal(format!(
                        "title must be 1 to {MAX_TITLE_LEN} characters"
                    )));
                }
                if m.summary.is_empty() || m.summary.len() > MAX_SUMMARY_LEN {
                    return Err(e::summary_too_long(format!(
                        "summary must be 1 to {MAX_SUMMARY_LEN} characters"
                    )));
                }
                if m.metadata.len() > MAX_METADATA_LEN {
                    return Err(e::metadata_too_long(format!(
                        "{} characters, at most {MAX_METADATA_LEN}",
                        m.metadata.len()
                    )));
                }
                // Each message must decode and pass its own checks now, not at execution.
                for (i, msg) in m.messages.iter().enumerate() {
                    crate::msgs::Msg::from_any(msg).map_err(|err| {
                        e::invalid_proposal_msg(format!("message {i} ({}): {}", msg.type_url, err.log))
                    })?;
                }
                Ok(GovMsg::SubmitProposal {
                    proposer,
                    messages: m.messages,
                    initial_deposit: coins_from_proto(&m.initial_deposit)?,
                    metadata: m.metadata,
                    title: m.title,
                    summary: m.summary,
                    expedited: m.expedited,
                    legacy: false,
                })
            }),
            MSG_DEPOSIT => decode_as::<MsgDeposit>(any).and_then(|m| {
                let amount = coins_from_proto(&m.amount)?;
                if amount.is_empty() {
                    return Err(SdkError::invalid_coins("deposit amount must be positive"));
                }
                Ok(GovMsg::Deposit {
                    id: m.proposal_id,
                    depositor: parse_address("depositor", &m.depositor)?,
                    amount,
                    legacy: false,
                })
            }),
            MSG_DEPOSIT_V1BETA1 => decode_as::<b::MsgDeposit>(any).and_then(|m| {
                let amount = coins_from_proto(&m.amount)?;
                if amount.is_empty() {
                    return Err(SdkError::invalid_coins("deposit amount must be positive"));
                }
                Ok(GovMsg::Deposit {
                    id: m.proposal_id,
                    depositor: parse_address("depositor", &m.depositor)?,
                    amount,
                    legacy: true,
                })
            }),
            MSG_VOTE_V1BETA1 => decode_as::<b::MsgVote>(any).and_then(|m| {
                Ok(GovMsg::Vote {
                    id: m.proposal_id,
                    voter: parse_address("voter", &m.voter)?,
                    options: vec![(option(m.option)?, DEC_ONE)],
                    metadata: String::new(),
                    legacy: true,
                })
            }),
            MSG_VOTE_WEIGHTED_V1BETA1 => decode_as::<b::MsgVoteWeighted>(any).and_then(|m| {
                // v1beta1 weights are LegacyDec on the wire: the 18-decimal integer, no point.
                let options = m
                    .options
                    .iter()
                    .map(|o| {
                        let raw: u128 = o.weight.parse().map_err(|_| {
                            e::invalid_vote(format!("weight {:?} is not a decimal", o.weight))
                        })?;
                        Ok(WeightedVoteOption {
                            option: o.option,
                            weight: crate::dec::dec_string(raw),
                        })
                    })
                    .collect::<SdkResult<Vec<_>>>()?;
                Ok(GovMsg::Vote {
                    id: m.proposal_id,
                    voter: parse_address("voter", &m.voter)?,
                    options: weighted(&options)?,
                    metadata: String::new(),
                    legacy: true,
                })
            }),
            MSG_SUBMIT_PROPOSAL_V1BETA1 => decode_as::<b::MsgSubmitProposal>(any).and_then(|m| {
                // A v1beta1 proposal is its content; kumo runs text proposals (a v1 proposal with
                // no messages, as an SDK 0.50 node stores them). Parameter changes and other
                // legacy content need v1 `MsgUpdateParams` proposals.
                let content = m
                    .content
                    .ok_or_else(|| e::invalid_proposal("a v1beta1 proposal needs its content"))?;
                if content.type_url != TEXT_PROPOSAL {
                    return Err(e::invalid_proposal(format!(
                        "legacy proposal content {} is not supported; only {TEXT_PROPOSAL} is (submit \
                         other changes as a gov v1 proposal with their MsgUpdateParams)",
                        content.type_url
                    )));
                }
                let text = b::TextProposal::decode(content.value.as_slice()).map_err(|err| {
                    SdkError::tx_decode(format!("cannot decode {TEXT_PROPOSAL}: {err}"))
                })?;
                let proposer = parse_address("proposer", &m.proposer)
                    .map_err(|err| e::invalid_proposer(err.log))?;
                if text.title.is_empty() || text.title.len() > MAX_TITLE_LEN {
                    return Err(e::invalid_proposal(format!(
                        "title must be 1 to {MAX_TITLE_LEN} characters"
                    )));
                }
                if text.description.is_empty() || text.description.len() > MAX_SUMMARY_LEN {
                    return Err(e::summary_too_long(format!(
                        "description must be 1 to {MAX_SUMMARY_LEN} characters"
                    )));
                }
                Ok(GovMsg::SubmitProposal {
                    proposer,
                    messages: vec![],
                    initial_deposit: coins_from_proto(&m.initial_deposit)?,
                    metadata: String::new(),
                    title: text.title,
                    summary: text.description,
                    expedited: false,
                    legacy: true,
                })
            }),
            MSG_VOTE => decode_as::<MsgVote>(any).and_then(|m| {
                Ok(GovMsg::Vote {
                    id: m.proposal_id,
                    voter: parse_address("voter", &m.voter)?,
                    options: vec![(option(m.option)?, DEC_ONE)],
                    metadata: m.metadata,
                    legacy: false,
                })
            }),
            MSG_VOTE_WEIGHTED => decode_as::<MsgVoteWeighted>(any).and_then(|m| {
                Ok(GovMsg::Vote {
                    id: m.proposal_id,
                    voter: parse_address("voter", &m.voter)?,
                    options: weighted(&m.options)?,
                    metadata: m.metadata,
                    legacy: false,
                })
            }),
            MSG_UPDATE_PARAMS => decode_as::<MsgUpdateParams>(any).and_then(|m| {
                let params = m
                    .params
                    .ok_or_else(|| SdkError::invalid_request("MsgUpdateParams has no params"))?;
                validate_params(&params)?;
                Ok(GovMsg::UpdateParams {
                    authority: parse_address("authority", &m.authority)?,
                    params,
                })
            }),
            _ => return None,
        })
    }

    fn type_url(&self) -> &'static str {
        match self {
            GovMsg::SubmitProposal { legacy: true, .. } => MSG_SUBMIT_PROPOSAL_V1BETA1,
            GovMsg::SubmitProposal { .. } => MSG_SUBMIT_PROPOSAL,
            GovMsg::Deposit { legacy: true, .. } => MSG_DEPOSIT_V1BETA1,
            GovMsg::Deposit { .. } => MSG_DEPOSIT,
            GovMsg::Vote {
                options, legacy, ..
            } if options.len() == 1 && options[0].1 == DEC_ONE => {
                if *legacy {
                    MSG_VOTE_V1BETA1
                } else {
                    MSG_VOTE
                }
            }
            GovMsg::Vote { legacy: true, .. } => MSG_VOTE_WEIGHTED_V1BETA1,
            GovMsg::Vote { .. } => MSG_VOTE_WEIGHTED,
            GovMsg::UpdateParams { .. } => MSG_UPDATE_PARAMS,
        }
    }

    fn signers(&self) -> Vec<Address> {
        match self {
            GovMsg::SubmitProposal { proposer, .. } => vec![*proposer],
            GovMsg::Deposit { depositor, .. } => vec![*depositor],
            GovMsg::Vote { voter, .. } => vec![*voter],
            GovMsg::UpdateParams { authority, .. } => vec![*authority],
        }
    }

    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>> {
        match self {
            GovMsg::SubmitProposal {
                proposer,
                messages,
                initial_deposit,
                metadata,
                title,
                summary,
                expedited,
                ..
            } => {
                let gov = module_address(MODULE_NAME);
                for (i, any) in messages.iter().enumerate() {
                    let msg = crate::msgs::Msg::from_any(any)?;
                    if msg.signers() != vec![gov] {
                        return Err(e::invalid_signer(format!(
                            "message {i} ({}) must have the gov account {} as its authority",
                            any.type_url,
                            gov.to_bech32(ACCOUNT_HRP)
                        )));
                    }
                }
                let p = params(ctx);
                let min = min_deposit(&p, *expedited);
                let ratio = dec_param(&p.min_initial_deposit_ratio);
                for m in &min {
                    let need = crate::dec::mul_div_ceil(m.amount, ratio, DEC_ONE).unwrap_or(0);
                    let have = amount_of(initial_deposit, &m.denom);
                    if have < need {
                        return Err(e::min_deposit_too_small(format!(
                            "was ({have}{}), need ({need}{}): at least {} % of the {} deposit at \
                             submission",
                            m.denom,
                            m.denom,
                            ratio * 100 / DEC_ONE,
                            coins_to_string(std::slice::from_ref(m))
                        )));
                    }
                }
                let id = next_id(ctx)?;
                let now = ctx.block.time;
                let (s, n) = p
                    .max_deposit_period
                    .as_ref()
                    .map_or((14 * 86_400, 0), |d| (d.seconds, d.nanos));
                let deposit_end = add_duration(now, s, n);
                let mut prop = Proposal {
                    id,
                    messages: messages.clone(),
                    status: ProposalStatus::DepositPeriod as i32,
                    final_tally_result: None,
                    submit_time: Some(to_timestamp(now)),
                    deposit_end_time: Some(to_timestamp(deposit_end)),
                    total_deposit: vec![],
                    voting_start_time: None,
                    voting_end_time: None,
                    metadata: metadata.clone(),
                    title: title.clone(),
                    summary: summary.clone(),
                    proposer: proposer.to_bech32(ACCOUNT_HRP),
                    expedited: *expedited,
                    failed_reason: String::new(),
                };
                set_proposal(ctx, &prop)?;
                ctx.set(queue_key(Q_DEPOSIT, deposit_end, id), vec![])?;
                ctx.emit(
                    Event::new("submit_proposal")
                        .attr("proposal_id", id.to_string())
                        .attr(
                            "proposal_messages",
                            messages
                                .iter()
                                .map(|m| m.type_url.clone())
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                );
                if !initial_deposit.is_empty() {
                    add_deposit(ctx, &mut prop, proposer, initial_deposit)?;
                }
                Ok(MsgSubmitProposalResponse { proposal_id: id }.encode_to_vec())
            }
            GovMsg::Deposit {
                id,
                depositor,
                amount,
                ..
            } => {
                let mut prop = proposal(ctx, *id)
                    .ok_or_else(|| e::unknown_proposal(format!("proposal {id} does not exist")))?;
                if prop.status != ProposalStatus::DepositPeriod as i32
                    && prop.status != ProposalStatus::VotingPeriod as i32
                {
                    return Err(e::inactive_proposal(format!("proposal {id} is finished")));
                }
                add_deposit(ctx, &mut prop, depositor, amount)?;
                Ok(MsgDepositResponse {}.encode_to_vec())
            }
            GovMsg::Vote {
                id,
                voter,
                options,
                metadata,
                ..
            } => {
                let prop = proposal(ctx, *id)
                    .ok_or_else(|| e::unknown_proposal(format!("proposal {id} does not exist")))?;
                if prop.status != ProposalStatus::VotingPeriod as i32 {
                    return Err(e::inactive_proposal(format!(
                        "proposal {id} is not in its voting period"
                    )));
                }
                if metadata.len() > MAX_METADATA_LEN {
                    return Err(e::metadata_too_long(""));
                }
                let v = Vote {
                    proposal_id: *id,
                    voter: voter.to_bech32(ACCOUNT_HRP),
                    options: options
                        .iter()
                        .map(|(o, w)| WeightedVoteOption {
                            option: *o as i32,
                            weight: crate::dec::dec_string(*w),
                        })
                        .collect(),
                    metadata: metadata.clone(),
                };
                set_vote(ctx, *id, voter, &v)?;
                ctx.emit(
                    Event::new("proposal_vote")
                        .attr("voter", voter.to_bech32(ACCOUNT_HRP))
                        .attr(
                            "option",
                            options
                                .iter()
                                .map(|(o, w)| {
                                    format!("{}:{}", o.as_str_name(), crate::dec::dec_string(*w))
                                })
                                .collect::<Vec<_>>()
                                .join(","),
                        )
                        .attr("proposal_id", id.to_string()),
                );
                // The v1beta1 responses encode the same (empty) message.
                Ok(if matches!(self.type_url(), MSG_VOTE | MSG_VOTE_V1BETA1) {
                    MsgVoteResponse {}.encode_to_vec()
                } else {
                    MsgVoteWeightedResponse {}.encode_to_vec()
                })
            }
            GovMsg::UpdateParams { authority, params } => {
                crate::auth::ensure_gov_authority(authority, "gov")?;
                set_params(ctx, params)?;
                Ok(MsgUpdateParamsResponse {}.encode_to_vec())
            }
        }
    }
}
