//! Proposals over many blocks: a param change passes and takes effect (a delegator's own vote
//! overriding its validator's), one fails on quorum, one is vetoed and its deposit burned, a
//! community-pool spend pays, an expedited upgrade plan passes in a day, deposit rules.

use super::state::*;
use crate::test_ctx::{addr, economy_genesis, without_inflation, EconomyNet};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    MsgCommunityPoolSpend, MsgFundCommunityPool,
};
use cosmos_sdk_proto::cosmos::gov::v1::*;
use cosmos_sdk_proto::cosmos::staking::v1beta1::MsgDelegate;
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;
use prost::{Message, Name};

const AKT: u128 = 1_000_000;
const DAY: i64 = 86_400;

fn acc(a: &Address) -> String {
    a.to_bech32(ACCOUNT_HRP)
}

fn coins(amount: u128) -> Vec<ProtoCoin> {
    vec![ProtoCoin {
        denom: "uakt".into(),
        amount: amount.to_string(),
    }]
}

fn any<M: Message + Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

fn gov() -> String {
    acc(&crate::auth::module_address("gov"))
}

/// Validators 1 (600 AKT) and 2 (300 AKT); account 3 delegates 100 AKT to validator 2.
/// 1,000 AKT bonded; no minting.
fn net() -> EconomyNet {
    let mut g = economy_genesis(
        &[
            (addr(1), 10_000 * AKT),
            (addr(2), 10_000 * AKT),
            (addr(3), 10_000 * AKT),
        ],
        &[
            (0, 11, 600 * AKT, DEC_ONE / 10),
            (1, 12, 300 * AKT, DEC_ONE / 10),
        ],
    );
    without_inflation(&mut g);
    let mut net = EconomyNet::new(&g);
    net.next(6);
    net.st
        .deliver(&MsgDelegate {
            delegator_address: acc(&addr(3)),
            validator_address: addr(2).to_bech32(crate::staking::state::VALOPER_HRP),
            amount: Some(coins(100 * AKT).remove(0)),
        })
        .unwrap();
    net.end();
    net
}

fn submit(net: &mut EconomyNet, messages: Vec<Any>, deposit: u128, expedited: bool) -> u64 {
    net.next(6);
    let events = net
        .st
        .deliver(&MsgSubmitProposal {
            messages,
            initial_deposit: coins(deposit),
            proposer: acc(&addr(3)),
            metadata: String::new(),
            title: "a change".into(),
            summary: "why it is good".into(),
            expedited,
        })
        .unwrap();
    net.end();
    events
        .iter()
        .find(|e| e.kind == "submit_proposal")
        .and_then(|e| e.get("proposal_id"))
        .unwrap()
        .parse()
        .unwrap()
}

fn vote(net: &mut EconomyNet, id: u64, voter: u8, option: VoteOption) {
    net.next(6);
    net.st
        .deliver(&MsgVote {
            proposal_id: id,
            voter: acc(&addr(voter)),
            option: option as i32,
            metadata: String::new(),
        })
        .unwrap();
    net.end();
}

fn status(net: &mut EconomyNet, id: u64) -> ProposalStatus {
    let (p, _) = net.st.with(|ctx| proposal(ctx, id).unwrap());
    ProposalStatus::try_from(p.status).unwrap()
}

fn supply(net: &mut EconomyNet) -> u128 {
    net.st
        .with(|ctx| crate::bank::state::supply_of(ctx, "uakt"))
        .0
}

fn staking_params_change() -> Any {
    let mut p = crate::staking::state::default_params();
    p.max_validators = 50;
    any(
        &cosmos_sdk_proto::cosmos::staking::v1beta1::MsgUpdateParams {
            authority: gov(),
            params: Some(p),
        },
    )
}

#[test]
fn a_param_change_passes_and_takes_effect_with_delegators_overriding_their_validator() {
    let mut net = net();
    let id = submit(&mut net, vec![staking_params_change()], 2_500 * AKT, false);
    assert_eq!(status(&mut net, id), ProposalStatus::VotingPeriod);
    assert_eq!(net.balance(&addr(3), "uakt"), (10_000 - 100 - 2_500) * AKT);
    vote(&mut net, id, 1, VoteOption::Yes);
    vote(&mut net, id, 2, VoteOption::Yes);
    // Account 3's 100 AKT with validator 2 count for its own "no", not for validator 2's yes.
    vote(&mut net, id, 3, VoteOption::No);
    let t: QueryTallyResultResponse = net
        .st
        .query(
            "/cosmos.gov.v1.Query/TallyResult",
            &QueryTallyResultRequest { proposal_id: id },
        )
        .unwrap();
    let t = t.tally.unwrap();
    assert_eq!(t.yes_count, (900 * AKT).to_string());
    assert_eq!(t.no_count, (100 * AKT).to_string());
    net.block(3 * DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
    let (max, _) = net
        .st
        .with(|ctx| crate::staking::state::params(ctx).max_validators);
    assert_eq!(max, 50);
    // The deposit came back.
    assert_eq!(net.balance(&addr(3), "uakt"), (10_000 - 100) * AKT);
}

#[test]
fn a_proposal_without_quorum_is_rejected_and_refunded() {
    let mut net = net();
    let id = submit(&mut net, vec![staking_params_change()], 2_500 * AKT, false);
    // 100 of 1,000 AKT voting: 10 %, under the 20 % quorum.
    vote(&mut net, id, 3, VoteOption::Yes);
    net.block(3 * DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Rejected);
    let (max, _) = net
        .st
        .with(|ctx| crate::staking::state::params(ctx).max_validators);
    assert_eq!(max, 100);
    assert_eq!(net.balance(&addr(3), "uakt"), (10_000 - 100) * AKT);
}

#[test]
fn a_vetoed_proposal_burns_its_deposit() {
    let mut net = net();
    let before = supply(&mut net);
    let id = submit(&mut net, vec![], 2_500 * AKT, false);
    vote(&mut net, id, 1, VoteOption::NoWithVeto);
    vote(&mut net, id, 2, VoteOption::Yes);
    net.block(3 * DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Rejected);
    assert_eq!(supply(&mut net), before - 2_500 * AKT);
    assert_eq!(net.balance(&addr(3), "uakt"), (10_000 - 100 - 2_500) * AKT);
}

#[test]
fn a_community_pool_spend_pays_out() {
    let mut net = net();
    net.next(6);
    net.st
        .deliver(&MsgFundCommunityPool {
            amount: coins(50 * AKT),
            depositor: acc(&addr(2)),
        })
        .unwrap();
    net.end();
    let spend = any(&MsgCommunityPoolSpend {
        authority: gov(),
        recipient: acc(&addr(9)),
        amount: coins(30 * AKT),
    });
    let id = submit(&mut net, vec![spend], 2_500 * AKT, false);
    vote(&mut net, id, 1, VoteOption::Yes);
    net.block(3 * DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
    assert_eq!(net.balance(&addr(9), "uakt"), 30 * AKT);
}

#[test]
fn an_expedited_upgrade_plan_passes_in_a_day() {
    let mut net = net();
    let plan = any(
        &cosmos_sdk_proto::cosmos::upgrade::v1beta1::MsgSoftwareUpgrade {
            authority: gov(),
            plan: Some(cosmos_sdk_proto::cosmos::upgrade::v1beta1::Plan {
                name: "v2".into(),
                height: 100_000,
                info: "kumo v2".into(),
                ..Default::default()
            }),
        },
    );
    let id = submit(&mut net, vec![plan], 2_000 * AKT, true);
    assert_eq!(status(&mut net, id), ProposalStatus::VotingPeriod);
    vote(&mut net, id, 1, VoteOption::Yes);
    vote(&mut net, id, 2, VoteOption::Yes);
    net.block(DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
    let (plan, _) = net
        .st
        .with(|ctx| crate::upgrade::current_plan(ctx).unwrap());
    assert_eq!((plan.name.as_str(), plan.height), ("v2", 100_000));
}

#[test]
fn deposit_rules() {
    let mut net = net();
    net.next(6);
    let submit_msg = |deposit: u128, messages: Vec<Any>| MsgSubmitProposal {
        messages,
        initial_deposit: coins(deposit),
        proposer: acc(&addr(3)),
        metadata: String::new(),
        title: "t".into(),
        summary: "s".into(),
        expedited: false,
    };
    // 40 % of 2,500 AKT is needed at submission.
    let err = net.st.deliver(&submit_msg(999 * AKT, vec![])).unwrap_err();
    assert_eq!((err.codespace, err.code), ("gov", 16));
    // Proposal messages must have the gov account as their authority.
    let mut p = crate::staking::state::default_params();
    p.max_validators = 3;
    let wrong = any(
        &cosmos_sdk_proto::cosmos::staking::v1beta1::MsgUpdateParams {
            authority: acc(&addr(3)),
            params: Some(p),
        },
    );
    let err = net
        .st
        .deliver(&submit_msg(1_000 * AKT, vec![wrong]))
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("gov", 13));
    // 1,000 AKT: deposit period; a second deposit completes it; votes only in voting period.
    let events = net.st.deliver(&submit_msg(1_000 * AKT, vec![])).unwrap();
    let id: u64 = events
        .iter()
        .find(|e| e.kind == "submit_proposal")
        .and_then(|e| e.get("proposal_id"))
        .unwrap()
        .parse()
        .unwrap();
    let err = net
        .st
        .deliver(&MsgVote {
            proposal_id: id,
            voter: acc(&addr(1)),
            option: VoteOption::Yes as i32,
            metadata: String::new(),
        })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("gov", 3));
    net.end();
    assert_eq!(status(&mut net, id), ProposalStatus::DepositPeriod);
    net.next(6);
    net.st
        .deliver(&MsgDeposit {
            proposal_id: id,
            depositor: acc(&addr(2)),
            amount: coins(1_500 * AKT),
        })
        .unwrap();
    net.end();
    assert_eq!(status(&mut net, id), ProposalStatus::VotingPeriod);
    // Weighted votes must add up to exactly 1.
    let weighted = |yes: &str, no: &str| MsgVoteWeighted {
        proposal_id: id,
        voter: acc(&addr(1)),
        options: vec![
            WeightedVoteOption {
                option: VoteOption::Yes as i32,
                weight: yes.into(),
            },
            WeightedVoteOption {
                option: VoteOption::No as i32,
                weight: no.into(),
            },
        ],
        metadata: String::new(),
    };
    net.next(6);
    let err = net.st.deliver(&weighted("0.5", "0.4")).unwrap_err();
    assert_eq!((err.codespace, err.code), ("gov", 7));
    net.st.deliver(&weighted("0.7", "0.3")).unwrap();
    net.end();
    let t: QueryTallyResultResponse = net
        .st
        .query(
            "/cosmos.gov.v1.Query/TallyResult",
            &QueryTallyResultRequest { proposal_id: id },
        )
        .unwrap();
    let t = t.tally.unwrap();
    assert_eq!(
        (t.yes_count, t.no_count),
        ((420 * AKT).to_string(), (180 * AKT).to_string())
    );
    // A proposal that never reaches the minimum is dropped after 14 days and refunded.
    let lonely = {
        net.next(6);
        let events = net.st.deliver(&submit_msg(1_000 * AKT, vec![])).unwrap();
        net.end();
        events
            .iter()
            .find(|e| e.kind == "submit_proposal")
            .and_then(|e| e.get("proposal_id"))
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    net.block(14 * DAY);
    assert!(net.st.with(|ctx| proposal(ctx, lonely)).0.is_none());
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
}
