//! Proposals over many blocks: a param change passes and takes effect (a delegator's own vote
//! overriding its validator's), one fails on quorum, one is vetoed and its deposit burned, a
//! community-pool spend pays, an expedited upgrade plan passes in a day, deposit rules.

use super::state::*;
use crate::test_ctx::{addr, economy_chain, economy_genesis, without_inflation, TestChain};
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
fn net() -> TestChain {
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
    let mut net = economy_chain(&g);
    net.next(6);
    net.deliver(&MsgDelegate {
        delegator_address: acc(&addr(3)),
        validator_address: addr(2).to_bech32(crate::staking::state::VALOPER_HRP),
        amount: Some(coins(100 * AKT).remove(0)),
    })
    .unwrap();
    net.end();
    net
}

fn submit(net: &mut TestChain, messages: Vec<Any>, deposit: u128, expedited: bool) -> u64 {
    net.next(6);
    let events = net
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

fn vote(net: &mut TestChain, id: u64, voter: u8, option: VoteOption) {
    net.next(6);
    net.deliver(&MsgVote {
        proposal_id: id,
        voter: acc(&addr(voter)),
        option: option as i32,
        metadata: String::new(),
    })
    .unwrap();
    net.end();
}

fn status(net: &mut TestChain, id: u64) -> ProposalStatus {
    let (p, _) = net.with(|ctx| proposal(ctx, id).unwrap());
    ProposalStatus::try_from(p.status).unwrap()
}

fn supply(net: &mut TestChain) -> u128 {
    net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt")).0
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
    let (max, _) = net.with(|ctx| crate::staking::state::params(ctx).max_validators);
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
    let (max, _) = net.with(|ctx| crate::staking::state::params(ctx).max_validators);
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
    net.deliver(&MsgFundCommunityPool {
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
    let (plan, _) = net.with(|ctx| crate::upgrade::current_plan(ctx).unwrap());
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
    let err = net.deliver(&submit_msg(999 * AKT, vec![])).unwrap_err();
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
        .deliver(&submit_msg(1_000 * AKT, vec![wrong]))
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("gov", 13));
    // 1,000 AKT: deposit period; a second deposit completes it; votes only in voting period.
    let events = net.deliver(&submit_msg(1_000 * AKT, vec![])).unwrap();
    let id: u64 = events
        .iter()
        .find(|e| e.kind == "submit_proposal")
        .and_then(|e| e.get("proposal_id"))
        .unwrap()
        .parse()
        .unwrap();
    let err = net
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
    net.deliver(&MsgDeposit {
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
    let err = net.deliver(&weighted("0.5", "0.4")).unwrap_err();
    assert_eq!((err.codespace, err.code), ("gov", 7));
    net.deliver(&weighted("0.7", "0.3")).unwrap();
    net.end();
    let t: QueryTallyResultResponse = net
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
        let events = net.deliver(&submit_msg(1_000 * AKT, vec![])).unwrap();
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
    assert!(net.with(|ctx| proposal(ctx, lonely)).0.is_none());
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
}

// ---- params of every module through governance ----

use crate::market::tests::{create_bid, create_deployment, create_lease, lease_id, DEPOSIT};
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::take::v1 as take;

/// The lease provider of the take-rate test: validator 2's operator, registered with the
/// A100 the market tests' GPU group asks for.
const PROVIDER: u8 = 2;

fn submit_msg(messages: Vec<Any>) -> MsgSubmitProposal {
    MsgSubmitProposal {
        messages,
        initial_deposit: coins(2_500 * AKT),
        proposer: acc(&addr(3)),
        metadata: String::new(),
        title: "params".into(),
        summary: "change params".into(),
        expedited: false,
    }
}

fn take_params_change(uakt_rate: u32, default_rate: u32) -> Any {
    any(&take::MsgUpdateParams {
        authority: gov(),
        params: Some(take::Params {
            denom_take_rates: vec![take::DenomTakeRate {
                denom: "uakt".into(),
                rate: uakt_rate,
            }],
            default_take_rate: default_rate,
        }),
    })
}

fn community_pool(net: &mut TestChain) -> u128 {
    net.with(|ctx| {
        crate::distribution::state::community_pool(ctx)
            .into_iter()
            .find(|(d, _)| d == "uakt")
            .map_or(0, |(_, a)| a / DEC_ONE)
    })
    .0
}

/// A block in which the provider withdraws its lease's earnings; returns (earned, take).
fn withdraw(net: &mut TestChain) -> (u128, u128) {
    let provider_before = net.balance(&addr(PROVIDER), "uakt");
    let pool_before = community_pool(net);
    net.next(6);
    net.deliver(&mv1b5::MsgWithdrawLease {
        id: Some(lease_id(PROVIDER, 100, 1)),
    })
    .unwrap();
    net.end();
    let take = community_pool(net) - pool_before;
    let paid = net.balance(&addr(PROVIDER), "uakt") - provider_before;
    (paid + take, take)
}

#[test]
fn a_take_rate_proposal_passes_and_the_next_withdrawal_pays_the_new_rate() {
    let mut net = net();
    net.with(|ctx| {
        crate::provider::state::set(
            ctx,
            &addr(PROVIDER),
            &kumo_proto::akash::provider::v1beta4::Provider {
                owner: acc(&addr(PROVIDER)),
                host_uri: "https://provider.example.com".into(),
                attributes: vec![kumo_proto::akash::base::attributes::v1::Attribute {
                    key: "capabilities/gpu/vendor/nvidia/model/a100".into(),
                    value: "true".into(),
                }],
                info: None,
            },
        )
    })
    .0
    .unwrap();
    // Tenant: account 1 (the market tests' TENANT); 800 uakt per block.
    net.next(6);
    net.deliver(&create_deployment(100, DEPOSIT)).unwrap();
    net.deliver(&create_bid(PROVIDER, 100, 1, 800)).unwrap();
    net.deliver(&create_lease(PROVIDER, 100, 1)).unwrap();
    net.end();
    net.block(6);
    let (earned, take) = withdraw(&mut net);
    assert!(earned > 0 && earned % 800 == 0, "earned {earned}");
    assert_eq!(take, earned * 4 / 100, "the default 4 % on uakt");

    let id = submit(
        &mut net,
        vec![take_params_change(25, 30)],
        2_500 * AKT,
        false,
    );
    vote(&mut net, id, 1, VoteOption::Yes);
    vote(&mut net, id, 2, VoteOption::Yes);
    // Still voting: withdrawals keep the old rate.
    let (earned, take) = withdraw(&mut net);
    assert_eq!(take, earned * 4 / 100);
    net.block(3 * DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
    let r: take::QueryParamsResponse = net
        .query("/akash.take.v1.Query/Params", &take::QueryParamsRequest {})
        .unwrap();
    let p = r.params.unwrap();
    assert_eq!((p.denom_take_rates[0].rate, p.default_take_rate), (25, 30));

    let (earned, take) = withdraw(&mut net);
    assert!(earned > 0);
    assert_eq!(take, earned * 25 / 100, "the new 25 % on uakt");
}

#[test]
fn every_modules_params_change_through_one_proposal() {
    let mut net = net();
    let mut market = crate::market::state::default_params();
    market.order_max_bids = 7;
    let mut deployment = crate::deployment::state::default_params();
    deployment.min_deposits[0].amount = "700000".into();
    let mut staking = crate::staking::state::default_params();
    staking.max_validators = 70;
    let mut distribution = crate::distribution::state::default_params();
    distribution.community_tax = (DEC_ONE / 20).to_string();
    let mut mint = crate::mint::state::default_params();
    mint.blocks_per_year = 31_536_000;
    let mut slashing = crate::slashing::state::default_params();
    slashing.signed_blocks_window = 77;
    let mut gov_params = default_params();
    gov_params.voting_period = Some(cosmos_sdk_proto::tendermint::google::protobuf::Duration {
        seconds: 60,
        nanos: 0,
    });
    gov_params.expedited_voting_period =
        Some(cosmos_sdk_proto::tendermint::google::protobuf::Duration {
            seconds: 30,
            nanos: 0,
        });
    use cosmos_sdk_proto::cosmos::{distribution, mint as m, slashing as s, staking as st};
    use kumo_proto::akash::deployment::v1beta4 as dv1b4;
    let messages = vec![
        take_params_change(9, 21),
        any(&mv1b5::MsgUpdateParams {
            authority: gov(),
            params: Some(market.clone()),
        }),
        any(&dv1b4::MsgUpdateParams {
            authority: gov(),
            params: Some(deployment.clone()),
        }),
        any(&st::v1beta1::MsgUpdateParams {
            authority: gov(),
            params: Some(staking.clone()),
        }),
        any(&distribution::v1beta1::MsgUpdateParams {
            authority: gov(),
            params: Some(distribution.clone()),
        }),
        any(&m::v1beta1::MsgUpdateParams {
            authority: gov(),
            params: Some(mint.clone()),
        }),
        any(&s::v1beta1::MsgUpdateParams {
            authority: gov(),
            params: Some(slashing.clone()),
        }),
        any(&MsgUpdateParams {
            authority: gov(),
            params: Some(gov_params.clone()),
        }),
    ];
    let id = submit(&mut net, messages, 2_500 * AKT, false);
    vote(&mut net, id, 1, VoteOption::Yes);
    net.block(3 * DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
    let (all, _) = net.with(|ctx| {
        (
            crate::take::state::params(ctx).default_take_rate,
            crate::market::state::params(ctx),
            crate::deployment::state::params(ctx),
            crate::staking::state::params(ctx),
            crate::distribution::state::params(ctx),
            crate::mint::state::params(ctx),
            crate::slashing::state::params(ctx),
            params(ctx),
        )
    });
    assert_eq!(all.0, 21);
    assert_eq!(all.1, market);
    assert_eq!(all.2, deployment);
    assert_eq!(all.3, staking);
    assert_eq!(all.4, distribution);
    assert_eq!(all.5, mint);
    assert_eq!(all.6, slashing);
    assert_eq!(all.7, gov_params);
    // The next proposal votes for 60 s, not 3 days.
    let id = submit(&mut net, vec![], 2_500 * AKT, false);
    vote(&mut net, id, 1, VoteOption::Yes);
    net.block(60);
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);
}

#[test]
fn bad_proposal_messages_are_refused_at_submission_with_the_reason() {
    let mut net = net();
    net.next(6);
    let refused = |net: &mut TestChain, m: Any| {
        let e = net.deliver(&submit_msg(vec![m])).unwrap_err();
        assert_eq!((e.codespace, e.code), ("gov", 12), "{}", e.log);
        e.log
    };
    let log = refused(
        &mut net,
        Any {
            type_url: "/akash.take.v1.MsgSetEverything".into(),
            value: vec![],
        },
    );
    assert!(
        log.contains("unable to resolve type URL /akash.take.v1.MsgSetEverything"),
        "{log}"
    );
    let log = refused(&mut net, take_params_change(101, 20));
    assert!(
        log.contains("rate 101 for uakt is above 100 percent"),
        "{log}"
    );
    let mut market = crate::market::state::default_params();
    market.order_max_bids = 0;
    let log = refused(
        &mut net,
        any(&mv1b5::MsgUpdateParams {
            authority: gov(),
            params: Some(market),
        }),
    );
    assert!(log.contains("order_max_bids 0 must be in 1..=500"), "{log}");
    let mut g = default_params();
    g.expedited_voting_period = g.voting_period;
    let log = refused(
        &mut net,
        any(&MsgUpdateParams {
            authority: gov(),
            params: Some(g),
        }),
    );
    assert!(
        log.contains("expedited_voting_period 259200s must be shorter"),
        "{log}"
    );
    let mut mint = crate::mint::state::default_params();
    mint.blocks_per_year = 0;
    let log = refused(
        &mut net,
        any(&cosmos_sdk_proto::cosmos::mint::v1beta1::MsgUpdateParams {
            authority: gov(),
            params: Some(mint),
        }),
    );
    assert!(log.contains("blocks_per_year must be positive"), "{log}");
    // Signed by someone else than the gov account: refused as well (gov 13).
    let e = net
        .deliver(&submit_msg(vec![any(&take::MsgUpdateParams {
            authority: acc(&addr(3)),
            params: Some(crate::take::state::default_params()),
        })]))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("gov", 13), "{}", e.log);
    net.end();
    // Nothing was stored.
    let r: QueryProposalsResponse = net
        .query(
            "/cosmos.gov.v1.Query/Proposals",
            &QueryProposalsRequest::default(),
        )
        .unwrap();
    assert!(r.proposals.is_empty());
    // And nobody but gov changes params directly.
    net.next(6);
    let e = net
        .deliver(&take::MsgUpdateParams {
            authority: acc(&addr(3)),
            params: Some(crate::take::state::default_params()),
        })
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 4));
    assert!(
        e.log.contains("only through a governance proposal"),
        "{}",
        e.log
    );
    net.end();
}

#[test]
fn a_passed_proposal_whose_message_fails_is_marked_failed_with_the_reason() {
    let mut net = net();
    // The community pool is empty: the spend passes the vote but cannot execute; the take
    // change next to it is rolled back with it.
    let spend = any(&MsgCommunityPoolSpend {
        authority: gov(),
        recipient: acc(&addr(9)),
        amount: coins(30 * AKT),
    });
    let id = submit(
        &mut net,
        vec![take_params_change(50, 50), spend],
        2_500 * AKT,
        false,
    );
    vote(&mut net, id, 1, VoteOption::Yes);
    net.block(3 * DAY);
    let (p, _) = net.with(|ctx| proposal(ctx, id).unwrap());
    assert_eq!(p.status, ProposalStatus::Failed as i32);
    assert!(
        p.failed_reason
            .starts_with("message 1 (/cosmos.distribution.v1beta1.MsgCommunityPoolSpend)"),
        "{}",
        p.failed_reason
    );
    let (rate, _) = net.with(|ctx| crate::take::state::params(ctx).default_take_rate);
    assert_eq!(rate, 20);
    assert_eq!(net.balance(&addr(9), "uakt"), 0);
}

/// gov v1beta1 messages (what cosmjs' default amino converters, Keplr and Ledger send) run as
/// their v1 counterparts: a text proposal, a deposit, plain and weighted votes.
#[test]
fn v1beta1_text_proposal_deposit_and_votes_run_as_v1() {
    use cosmos_sdk_proto::cosmos::gov::v1beta1 as b;
    let mut net = net();
    net.next(6);
    let events = net
        .deliver(&b::MsgSubmitProposal {
            content: Some(any(&b::TextProposal {
                title: "signal".into(),
                description: "a text proposal from an amino wallet".into(),
            })),
            initial_deposit: coins(1_000 * AKT),
            proposer: acc(&addr(3)),
        })
        .unwrap();
    net.end();
    let id: u64 = events
        .iter()
        .find(|e| e.kind == "submit_proposal")
        .and_then(|e| e.get("proposal_id"))
        .unwrap()
        .parse()
        .unwrap();
    let (p, _) = net.with(|ctx| proposal(ctx, id).unwrap());
    assert_eq!((p.title.as_str(), p.messages.len()), ("signal", 0));
    assert_eq!(status(&mut net, id), ProposalStatus::DepositPeriod);
    net.next(6);
    net.deliver(&b::MsgDeposit {
        proposal_id: id,
        depositor: acc(&addr(3)),
        amount: coins(1_500 * AKT),
    })
    .unwrap();
    net.end();
    assert_eq!(status(&mut net, id), ProposalStatus::VotingPeriod);
    net.next(6);
    net.deliver(&b::MsgVote {
        proposal_id: id,
        voter: acc(&addr(1)),
        option: VoteOption::Yes as i32,
    })
    .unwrap();
    // Weights are LegacyDec on the v1beta1 wire: 18-decimal integers.
    net.deliver(&b::MsgVoteWeighted {
        proposal_id: id,
        voter: acc(&addr(2)),
        options: vec![
            b::WeightedVoteOption {
                option: VoteOption::Yes as i32,
                weight: (DEC_ONE / 2).to_string(),
            },
            b::WeightedVoteOption {
                option: VoteOption::Abstain as i32,
                weight: (DEC_ONE / 2).to_string(),
            },
        ],
    })
    .unwrap();
    net.end();
    let (v, _) = net.with(|ctx| super::state::vote(ctx, id, &addr(2)).unwrap());
    assert_eq!(v.options.len(), 2);
    assert_eq!(v.options[0].weight, "0.500000000000000000");
    net.block(3 * DAY);
    assert_eq!(status(&mut net, id), ProposalStatus::Passed);

    // Legacy content other than text is refused with what to do instead.
    net.next(6);
    let err = net
        .deliver(&b::MsgSubmitProposal {
            content: Some(Any {
                type_url: "/cosmos.params.v1beta1.ParameterChangeProposal".into(),
                value: vec![],
            }),
            initial_deposit: coins(1_000 * AKT),
            proposer: acc(&addr(3)),
        })
        .unwrap_err();
    net.end();
    assert!(err.log.contains("MsgUpdateParams"), "{}", err.log);
}
