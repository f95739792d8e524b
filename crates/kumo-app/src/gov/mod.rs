//! gov (`cosmos.gov.v1`): proposals carry messages that the gov module account executes if
//! they pass (param changes of any module, community pool spends, software upgrade plans; a
//! proposal without messages is a text proposal). Deposits (2,500 AKT, 40 % at submission,
//! 14 days to complete), a 3-day vote (24 h expedited), quorum 20 %, threshold 50 % (66.7 %
//! expedited), veto 33.4 % burns the deposits. Delegators who do not vote inherit their
//! validator's vote for their stake.

pub mod errors;
pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

use crate::abci::Event;
use crate::coins::coins_from_proto;
use crate::ctx::Ctx;
use crate::errors::SdkResult;
use crate::staking::state as staking;
use cosmos_sdk_proto::cosmos::gov::v1::{Proposal, ProposalStatus, TallyResult, VoteOption};
use kumo_crypto::Address;
use kumo_proto::math::DEC_ONE;
use state::*;
use std::collections::BTreeMap;

/// Voting power per option (LegacyDec atomics of tokens) and the total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub yes: u128,
    pub abstain: u128,
    pub no: u128,
    pub veto: u128,
}

impl Tally {
    fn add(&mut self, option: VoteOption, power: u128) {
        match option {
            VoteOption::Yes => self.yes += power,
            VoteOption::Abstain => self.abstain += power,
            VoteOption::No => self.no += power,
            VoteOption::NoWithVeto => self.veto += power,
            VoteOption::Unspecified => {}
        }
    }

    pub fn total(&self) -> u128 {
        self.yes + self.abstain + self.no + self.veto
    }

    pub fn to_proto(&self) -> TallyResult {
        TallyResult {
            yes_count: (self.yes / DEC_ONE).to_string(),
            abstain_count: (self.abstain / DEC_ONE).to_string(),
            no_count: (self.no / DEC_ONE).to_string(),
            no_with_veto_count: (self.veto / DEC_ONE).to_string(),
        }
    }
}

fn options(v: &cosmos_sdk_proto::cosmos::gov::v1::Vote) -> Vec<(VoteOption, u128)> {
    v.options
        .iter()
        .filter_map(|o| Some((VoteOption::try_from(o.option).ok()?, dec_param(&o.weight))))
        .collect()
}

/// Counts the votes: a voter's delegations to bonded validators count with their weights; a
/// bonded validator's own vote counts for its stake minus what its voting delegators took.
pub fn tally(ctx: &Ctx, id: u64) -> Tally {
    let bonded: BTreeMap<Address, staking::Val> = staking::last_powers(ctx)
        .into_iter()
        .filter_map(|(op, _)| staking::validator(ctx, &op).map(|v| (op, v)))
        .collect();
    let mut deducted: BTreeMap<Address, u128> = BTreeMap::new();
    let mut validator_votes: BTreeMap<Address, Vec<(VoteOption, u128)>> = BTreeMap::new();
    let mut t = Tally::default();
    for (voter, vote) in votes(ctx, id) {
        let opts = options(&vote);
        if bonded.contains_key(&voter) {
            validator_votes.insert(voter, opts.clone());
        }
        for (op, shares) in staking::delegator_delegations(ctx, &voter) {
            let Some(v) = bonded.get(&op) else { continue };
            *deducted.entry(op).or_default() += shares;
            let power = v.tokens_from_shares_dec(shares);
            for (o, w) in &opts {
                t.add(*o, crate::dec::dec_mul(power, *w));
            }
        }
    }
    for (op, opts) in validator_votes {
        let v = &bonded[&op];
        let left = v
            .shares
            .saturating_sub(deducted.get(&op).copied().unwrap_or(0));
        let power = v.tokens_from_shares_dec(left);
        for (o, w) in &opts {
            t.add(*o, crate::dec::dec_mul(power, *w));
        }
    }
    t
}

/// How a finished vote ends: (passes, burn the deposits).
pub fn outcome(ctx: &Ctx, prop: &Proposal, t: &Tally) -> (bool, bool) {
    let p = params(ctx);
    let bonded = staking::pool_balance(ctx, true) * DEC_ONE;
    if bonded == 0 {
        return (false, p.burn_vote_quorum);
    }
    let total = t.total();
    if crate::dec::mul_div(total, DEC_ONE, bonded).unwrap_or(0) < dec_param(&p.quorum) {
        return (false, p.burn_vote_quorum);
    }
    if total == t.abstain {
        return (false, false);
    }
    if crate::dec::mul_div(t.veto, DEC_ONE, total).unwrap_or(0) > dec_param(&p.veto_threshold) {
        return (false, p.burn_vote_veto);
    }
    let threshold = if prop.expedited {
        dec_param(&p.expedited_threshold)
    } else {
        dec_param(&p.threshold)
    };
    let share = crate::dec::mul_div(t.yes, DEC_ONE, total - t.abstain).unwrap_or(0);
    (share > threshold, false)
}

fn settle_deposits(ctx: &mut Ctx, id: u64, burn: bool) -> SdkResult<()> {
    let gov = crate::auth::module_address(MODULE_NAME);
    for d in deposits(ctx, id) {
        let coins = coins_from_proto(&d.amount)?;
        if burn {
            crate::bank::state::burn(ctx, &gov, &coins)?;
        } else {
            let to = crate::auth::parse_address("depositor", &d.depositor)?;
            crate::bank::state::send(ctx, &gov, &to, &coins)?;
        }
    }
    delete_deposits(ctx, id)
}

/// End block: proposals whose deposit period ended without the minimum are dropped (deposits
/// refunded); proposals whose vote ended are tallied, executed if they pass.
pub fn end_block(ctx: &mut Ctx) -> SdkResult<()> {
    let now = ctx.block.time;
    let end = queue_key(Q_DEPOSIT, crate::staking::state::add_duration(now, 0, 1), 0);
    for (k, _) in ctx.prefix_free_before(Q_DEPOSIT, &end) {
        ctx.delete(k.clone())?;
        let id = u64::from_be_bytes(k[k.len() - 8..].try_into().expect("8 bytes"));
        let burn = params(ctx).burn_proposal_deposit_prevote;
        settle_deposits(ctx, id, burn)?;
        delete_proposal(ctx, id)?;
        ctx.emit(
            Event::new("inactive_proposal")
                .attr("proposal_id", id.to_string())
                .attr("proposal_result", "proposal_dropped"),
        );
    }
    let end = queue_key(Q_VOTING, crate::staking::state::add_duration(now, 0, 1), 0);
    for (k, _) in ctx.prefix_free_before(Q_VOTING, &end) {
        ctx.delete(k.clone())?;
        let id = u64::from_be_bytes(k[k.len() - 8..].try_into().expect("8 bytes"));
        let Some(mut prop) = proposal(ctx, id) else {
            continue;
        };
        let t = tally(ctx, id);
        let (passes, burn) = outcome(ctx, &prop, &t);
        if prop.expedited && !passes && !burn {
            // A failed expedited proposal becomes a regular one: the normal threshold, over
            // the normal voting period counted from its start; its votes stay.
            let p = params(ctx);
            let (s, n) = p
                .voting_period
                .as_ref()
                .map_or((3 * 86_400, 0), |d| (d.seconds, d.nanos));
            let start = crate::staking::state::from_timestamp(prop.voting_start_time.as_ref());
            let voting_end = crate::staking::state::add_duration(start, s, n);
            prop.expedited = false;
            prop.voting_end_time = Some(crate::staking::state::to_timestamp(voting_end));
            ctx.set(queue_key(Q_VOTING, voting_end, id), vec![])?;
            set_proposal(ctx, &prop)?;
            continue;
        }
        settle_deposits(ctx, id, burn)?;
        delete_votes(ctx, id)?;
        let result = if passes {
            // The messages run together in a layer of their own: all or nothing.
            ctx.push_layer();
            let mut failure = None;
            for (i, any) in prop.messages.iter().enumerate() {
                let r = crate::msgs::Msg::from_any(any).and_then(|m| m.execute(ctx));
                if let Err(e) = r {
                    failure = Some(format!("message {i} ({}): {}", any.type_url, e.log));
                    break;
                }
            }
            match failure {
                None => {
                    ctx.commit_layer();
                    prop.status = ProposalStatus::Passed as i32;
                    "proposal_passed"
                }
                Some(reason) => {
                    ctx.discard_layer();
                    prop.status = ProposalStatus::Failed as i32;
                    prop.failed_reason = reason;
                    "proposal_failed"
                }
            }
        } else {
            prop.status = ProposalStatus::Rejected as i32;
            "proposal_rejected"
        };
        prop.final_tally_result = Some(t.to_proto());
        set_proposal(ctx, &prop)?;
        ctx.emit(
            Event::new("active_proposal")
                .attr("proposal_id", id.to_string())
                .attr("proposal_result", result),
        );
    }
    Ok(())
}
