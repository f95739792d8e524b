//! `cosmos.gov.v1.Query`: Params, Proposal(s), Vote(s), Deposit(s), TallyResult.

use super::state::*;
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::module::{decode_req, paginate};
use cosmos_sdk_proto::cosmos::gov::v1::*;
use prost::Message;

pub fn handle(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    Some(match method {
        "Params" => decode_req::<QueryParamsRequest>(data).map(|_| {
            let p = params(ctx);
            #[allow(deprecated)]
            QueryParamsResponse {
                voting_params: Some(VotingParams {
                    voting_period: p.voting_period,
                }),
                deposit_params: Some(DepositParams {
                    min_deposit: p.min_deposit.clone(),
                    max_deposit_period: p.max_deposit_period,
                }),
                tally_params: Some(TallyParams {
                    quorum: p.quorum.clone(),
                    threshold: p.threshold.clone(),
                    veto_threshold: p.veto_threshold.clone(),
                }),
                params: Some(p),
            }
            .encode_to_vec()
        }),
        "Proposal" => decode_req::<QueryProposalRequest>(data).and_then(|r| {
            let p = found(ctx, r.proposal_id)?;
            Ok(QueryProposalResponse { proposal: Some(p) }.encode_to_vec())
        }),
        "Proposals" => decode_req::<QueryProposalsRequest>(data).and_then(|r| {
            let voter = (!r.voter.is_empty())
                .then(|| crate::auth::parse_address("voter", &r.voter))
                .transpose()
                .map_err(|e| SdkError::bad_query(e.log))?;
            let depositor = (!r.depositor.is_empty())
                .then(|| crate::auth::parse_address("depositor", &r.depositor))
                .transpose()
                .map_err(|e| SdkError::bad_query(e.log))?;
            let entries: Vec<(Vec<u8>, Vec<u8>)> = ctx
                .prefix_free(proposals_prefix())
                .into_iter()
                .filter(|(_, b)| {
                    let p = Proposal::decode(b.as_slice()).expect("stored proposal");
                    (r.proposal_status == 0 || p.status == r.proposal_status)
                        && voter.is_none_or(|v| vote(ctx, p.id, &v).is_some())
                        && depositor.is_none_or(|d| deposit(ctx, p.id, &d).is_some())
                })
                .collect();
            let (page, pagination) = paginate(&entries, proposals_prefix(), r.pagination.as_ref())?;
            Ok(QueryProposalsResponse {
                proposals: page
                    .iter()
                    .map(|(_, b)| Proposal::decode(b.as_slice()).expect("stored"))
                    .collect(),
                pagination: Some(pagination),
            }
            .encode_to_vec())
        }),
        "Vote" => decode_req::<QueryVoteRequest>(data).and_then(|r| {
            let voter = crate::auth::parse_address("voter", &r.voter)
                .map_err(|e| SdkError::bad_query(e.log))?;
            let v = vote(ctx, r.proposal_id, &voter).ok_or_else(|| {
                SdkError::not_found(format!(
                    "voter: {} not found for proposal: {}",
                    r.voter, r.proposal_id
                ))
            })?;
            Ok(QueryVoteResponse { vote: Some(v) }.encode_to_vec())
        }),
        "Votes" => decode_req::<QueryVotesRequest>(data).and_then(|r| {
            let list: Vec<(Vec<u8>, Vec<u8>)> = votes(ctx, r.proposal_id)
                .into_iter()
                .map(|(a, v)| (a.as_bytes().to_vec(), v.encode_to_vec()))
                .collect();
            let (page, pagination) = paginate(&list, b"", r.pagination.as_ref())?;
            Ok(QueryVotesResponse {
                votes: page
                    .iter()
                    .map(|(_, b)| Vote::decode(b.as_slice()).expect("encoded above"))
                    .collect(),
                pagination: Some(pagination),
            }
            .encode_to_vec())
        }),
        "Deposit" => decode_req::<QueryDepositRequest>(data).and_then(|r| {
            let d = crate::auth::parse_address("depositor", &r.depositor)
                .map_err(|e| SdkError::bad_query(e.log))?;
            let dep = deposit(ctx, r.proposal_id, &d).ok_or_else(|| {
                SdkError::not_found(format!(
                    "depositer: {} not found for proposal: {}",
                    r.depositor, r.proposal_id
                ))
            })?;
            Ok(QueryDepositResponse { deposit: Some(dep) }.encode_to_vec())
        }),
        "Deposits" => decode_req::<QueryDepositsRequest>(data).and_then(|r| {
            let list: Vec<(Vec<u8>, Vec<u8>)> = deposits(ctx, r.proposal_id)
                .into_iter()
                .enumerate()
                .map(|(i, d)| ((i as u64).to_be_bytes().to_vec(), d.encode_to_vec()))
                .collect();
            let (page, pagination) = paginate(&list, b"", r.pagination.as_ref())?;
            Ok(QueryDepositsResponse {
                deposits: page
                    .iter()
                    .map(|(_, b)| Deposit::decode(b.as_slice()).expect("encoded above"))
                    .collect(),
                pagination: Some(pagination),
            }
            .encode_to_vec())
        }),
        "TallyResult" => decode_req::<QueryTallyResultRequest>(data).and_then(|r| {
            let p = found(ctx, r.proposal_id)?;
            let tally = if p.status == ProposalStatus::VotingPeriod as i32 {
                super::tally(ctx, p.id).to_proto()
            } else {
                p.final_tally_result.unwrap_or(TallyResult {
                    yes_count: "0".into(),
                    abstain_count: "0".into(),
                    no_count: "0".into(),
                    no_with_veto_count: "0".into(),
                })
            };
            Ok(QueryTallyResultResponse { tally: Some(tally) }.encode_to_vec())
        }),
        _ => return None,
    })
}

fn found(ctx: &Ctx, id: u64) -> SdkResult<Proposal> {
    if id == 0 {
        return Err(SdkError::bad_query("proposal id can not be 0"));
    }
    proposal(ctx, id).ok_or_else(|| SdkError::not_found(format!("proposal {id} doesn't exist")))
}

/// `cosmos.gov.v1beta1.Query`, which cosmjs' `GovExtension` reads: the v1 answers converted.
/// A proposal's content is shown as a `TextProposal` of its title and summary (its messages
/// are in the v1 answer).
pub fn handle_v1beta1(ctx: &mut Ctx, method: &str, data: &[u8]) -> Option<SdkResult<Vec<u8>>> {
    use cosmos_sdk_proto::cosmos::gov::v1beta1 as b;
    let atomics = |s: &str| crate::dec::parse_dec(s).unwrap_or(0).to_string();
    let tally = |t: TallyResult| b::TallyResult {
        yes: t.yes_count,
        abstain: t.abstain_count,
        no: t.no_count,
        no_with_veto: t.no_with_veto_count,
    };
    let proposal = |p: Proposal| b::Proposal {
        proposal_id: p.id,
        content: Some(cosmos_sdk_proto::Any {
            type_url: "/cosmos.gov.v1beta1.TextProposal".into(),
            value: b::TextProposal {
                title: p.title.clone(),
                description: p.summary.clone(),
            }
            .encode_to_vec(),
        }),
        status: p.status,
        final_tally_result: Some(tally(p.final_tally_result.unwrap_or(TallyResult {
            yes_count: "0".into(),
            abstain_count: "0".into(),
            no_count: "0".into(),
            no_with_veto_count: "0".into(),
        }))),
        submit_time: p.submit_time,
        deposit_end_time: p.deposit_end_time,
        total_deposit: p.total_deposit,
        voting_start_time: p.voting_start_time,
        voting_end_time: p.voting_end_time,
    };
    #[allow(deprecated)]
    let vote = |v: Vote| b::Vote {
        proposal_id: v.proposal_id,
        voter: v.voter,
        option: if v.options.len() == 1 {
            v.options[0].option
        } else {
            0
        },
        options: v
            .options
            .iter()
            .map(|o| b::WeightedVoteOption {
                option: o.option,
                weight: atomics(&o.weight),
            })
            .collect(),
    };
    let deposit = |d: Deposit| b::Deposit {
        proposal_id: d.proposal_id,
        depositor: d.depositor,
        amount: d.amount,
    };
    Some(match method {
        "Params" => decode_req::<b::QueryParamsRequest>(data).map(|_| {
            let p = params(ctx);
            let bytes = |s: &str| atomics(s).into_bytes();
            b::QueryParamsResponse {
                voting_params: Some(b::VotingParams {
                    voting_period: p.voting_period,
                }),
                deposit_params: Some(b::DepositParams {
                    min_deposit: p.min_deposit.clone(),
                    max_deposit_period: p.max_deposit_period,
                }),
                tally_params: Some(b::TallyParams {
                    quorum: bytes(&p.quorum),
                    threshold: bytes(&p.threshold),
                    veto_threshold: bytes(&p.veto_threshold),
                }),
            }
            .encode_to_vec()
        }),
        "Proposal" => decode_req::<b::QueryProposalRequest>(data).and_then(|r| {
            Ok(b::QueryProposalResponse {
                proposal: Some(proposal(found(ctx, r.proposal_id)?)),
            }
            .encode_to_vec())
        }),
        "Proposals" => decode_req::<b::QueryProposalsRequest>(data).and_then(|r| {
            let v1 = QueryProposalsRequest {
                proposal_status: r.proposal_status,
                voter: r.voter,
                depositor: r.depositor,
                pagination: r.pagination,
            };
            let resp = handle(ctx, "Proposals", &v1.encode_to_vec()).expect("answered")?;
            let resp = QueryProposalsResponse::decode(resp.as_slice()).expect("encoded above");
            Ok(b::QueryProposalsResponse {
                proposals: resp.proposals.into_iter().map(proposal).collect(),
                pagination: resp.pagination,
            }
            .encode_to_vec())
        }),
        "TallyResult" => decode_req::<b::QueryTallyResultRequest>(data).and_then(|r| {
            let v1 = QueryTallyResultRequest {
                proposal_id: r.proposal_id,
            };
            let resp = handle(ctx, "TallyResult", &v1.encode_to_vec()).expect("answered")?;
            let resp = QueryTallyResultResponse::decode(resp.as_slice()).expect("encoded above");
            Ok(b::QueryTallyResultResponse {
                tally: resp.tally.map(tally),
            }
            .encode_to_vec())
        }),
        "Vote" => decode_req::<b::QueryVoteRequest>(data).and_then(|r| {
            let v1 = QueryVoteRequest {
                proposal_id: r.proposal_id,
                voter: r.voter,
            };
            let resp = handle(ctx, "Vote", &v1.encode_to_vec()).expect("answered")?;
            let resp = QueryVoteResponse::decode(resp.as_slice()).expect("encoded above");
            Ok(b::QueryVoteResponse {
                vote: resp.vote.map(vote),
            }
            .encode_to_vec())
        }),
        "Votes" => decode_req::<b::QueryVotesRequest>(data).and_then(|r| {
            let v1 = QueryVotesRequest {
                proposal_id: r.proposal_id,
                pagination: r.pagination,
            };
            let resp = handle(ctx, "Votes", &v1.encode_to_vec()).expect("answered")?;
            let resp = QueryVotesResponse::decode(resp.as_slice()).expect("encoded above");
            Ok(b::QueryVotesResponse {
                votes: resp.votes.into_iter().map(vote).collect(),
                pagination: resp.pagination,
            }
            .encode_to_vec())
        }),
        "Deposit" => decode_req::<b::QueryDepositRequest>(data).and_then(|r| {
            let v1 = QueryDepositRequest {
                proposal_id: r.proposal_id,
                depositor: r.depositor,
            };
            let resp = handle(ctx, "Deposit", &v1.encode_to_vec()).expect("answered")?;
            let resp = QueryDepositResponse::decode(resp.as_slice()).expect("encoded above");
            Ok(b::QueryDepositResponse {
                deposit: resp.deposit.map(deposit),
            }
            .encode_to_vec())
        }),
        "Deposits" => decode_req::<b::QueryDepositsRequest>(data).and_then(|r| {
            let v1 = QueryDepositsRequest {
                proposal_id: r.proposal_id,
                pagination: r.pagination,
            };
            let resp = handle(ctx, "Deposits", &v1.encode_to_vec()).expect("answered")?;
            let resp = QueryDepositsResponse::decode(resp.as_slice()).expect("encoded above");
            Ok(b::QueryDepositsResponse {
                deposits: resp.deposits.into_iter().map(deposit).collect(),
                pagination: resp.pagination,
            }
            .encode_to_vec())
        }),
        _ => return None,
    })
}
