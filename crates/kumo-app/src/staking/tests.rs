//! staking scenarios over many blocks, in memory: genesis validators, delegation, unbonding
//! that pays after 14 days and not before, redelegation, cancel, validator set selection.

use super::state::*;
use crate::test_ctx::{addr, economy_chain, economy_genesis, without_inflation, TestChain};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::staking::v1beta1::*;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;

const DAY: i64 = 86_400;
const AKT: u128 = 1_000_000;

fn coin(amount: u128) -> Option<ProtoCoin> {
    Some(ProtoCoin {
        denom: "uakt".into(),
        amount: amount.to_string(),
    })
}

fn acc(a: &Address) -> String {
    a.to_bech32(ACCOUNT_HRP)
}

fn valoper(a: &Address) -> String {
    a.to_bech32(VALOPER_HRP)
}

/// Operators 1 and 2 (10 AKT and 20 AKT self-bond, 10 % commission); delegator 3.
fn two_validators() -> TestChain {
    let mut g = economy_genesis(
        &[
            (addr(1), 100 * AKT),
            (addr(2), 100 * AKT),
            (addr(3), 1_000 * AKT),
        ],
        &[
            (0, 11, 10 * AKT, DEC_ONE / 10),
            (1, 12, 20 * AKT, DEC_ONE / 10),
        ],
    );
    // No minting: the token counts below are exact.
    without_inflation(&mut g);
    economy_chain(&g)
}

fn delegation_balance(net: &mut TestChain, del: &Address, op: &Address) -> Option<u128> {
    net.query::<_, QueryDelegationResponse>(
        "/cosmos.staking.v1beta1.Query/Delegation",
        &QueryDelegationRequest {
            delegator_addr: acc(del),
            validator_addr: valoper(op),
        },
    )
    .ok()
    .map(|r| {
        r.delegation_response
            .unwrap()
            .balance
            .unwrap()
            .amount
            .parse()
            .unwrap()
    })
}

#[test]
fn genesis_validators_are_bonded_with_their_self_delegation() {
    let mut net = two_validators();
    let r: QueryValidatorsResponse = net
        .query(
            "/cosmos.staking.v1beta1.Query/Validators",
            &QueryValidatorsRequest {
                status: "BOND_STATUS_BONDED".into(),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(r.validators.len(), 2);
    assert_eq!(r.validators[0].tokens, (10 * AKT).to_string());
    assert_eq!(
        r.validators[0].delegator_shares,
        (10 * AKT * DEC_ONE).to_string()
    );
    let pool: QueryPoolResponse = net
        .query("/cosmos.staking.v1beta1.Query/Pool", &QueryPoolRequest {})
        .unwrap();
    assert_eq!(pool.pool.unwrap().bonded_tokens, (30 * AKT).to_string());
    assert_eq!(
        delegation_balance(&mut net, &addr(1), &addr(1)),
        Some(10 * AKT)
    );
    assert_eq!(net.balance(&addr(1), "uakt"), 90 * AKT);
    // The set is already reported; an end block without changes reports nothing.
    assert!(net.block(6).is_empty());
}

#[test]
fn undelegated_tokens_arrive_after_the_unbonding_period_and_not_before() {
    let mut net = two_validators();
    let (del, op) = (addr(3), addr(1));
    net.next(6);
    net.deliver(&MsgDelegate {
        delegator_address: acc(&del),
        validator_address: valoper(&op),
        amount: coin(50 * AKT),
    })
    .unwrap();
    let updates = net.end();
    // The validator's power went from 10 to 60.
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].power, 60);
    assert_eq!(net.balance(&del, "uakt"), 950 * AKT);
    assert_eq!(delegation_balance(&mut net, &del, &op), Some(50 * AKT));

    net.next(6);
    let undelegated_at = net.block_info().time;
    net.deliver(&MsgUndelegate {
        delegator_address: acc(&del),
        validator_address: valoper(&op),
        amount: coin(20 * AKT),
    })
    .unwrap();
    net.end();
    let ubd: QueryUnbondingDelegationResponse = net
        .query(
            "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
            &QueryUnbondingDelegationRequest {
                delegator_addr: acc(&del),
                validator_addr: valoper(&op),
            },
        )
        .unwrap();
    let entry = &ubd.unbond.unwrap().entries[0];
    assert_eq!(entry.balance, (20 * AKT).to_string());
    assert_eq!(
        entry.completion_time.as_ref().unwrap().seconds,
        undelegated_at.seconds + 14 * DAY
    );
    // The tokens left the bonded pool for the not-bonded pool.
    let pool: QueryPoolResponse = net
        .query("/cosmos.staking.v1beta1.Query/Pool", &QueryPoolRequest {})
        .unwrap();
    assert_eq!(
        pool.pool.clone().unwrap().not_bonded_tokens,
        (20 * AKT).to_string()
    );

    // One second short of 14 days: nothing yet.
    net.block(14 * DAY - 1);
    assert_eq!(net.balance(&del, "uakt"), 950 * AKT);
    net.block(1);
    assert_eq!(net.balance(&del, "uakt"), 970 * AKT);
    assert!(net
        .query::<_, QueryUnbondingDelegationResponse>(
            "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
            &QueryUnbondingDelegationRequest {
                delegator_addr: acc(&del),
                validator_addr: valoper(&op),
            },
        )
        .is_err());
    assert_eq!(delegation_balance(&mut net, &del, &op), Some(30 * AKT));
}

#[test]
fn redelegation_moves_stake_and_blocks_a_transitive_hop() {
    let mut net = two_validators();
    let (del, a, b) = (addr(3), addr(1), addr(2));
    net.next(6);
    net.deliver(&MsgDelegate {
        delegator_address: acc(&del),
        validator_address: valoper(&a),
        amount: coin(40 * AKT),
    })
    .unwrap();
    net.deliver(&MsgBeginRedelegate {
        delegator_address: acc(&del),
        validator_src_address: valoper(&a),
        validator_dst_address: valoper(&b),
        amount: coin(15 * AKT),
    })
    .unwrap();
    // b -> a while a -> b is in progress: refused with the SDK's code.
    let err = net
        .deliver(&MsgBeginRedelegate {
            delegator_address: acc(&del),
            validator_src_address: valoper(&b),
            validator_dst_address: valoper(&a),
            amount: coin(5 * AKT),
        })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("staking", 32));
    let err = net
        .deliver(&MsgBeginRedelegate {
            delegator_address: acc(&del),
            validator_src_address: valoper(&a),
            validator_dst_address: valoper(&a),
            amount: coin(5 * AKT),
        })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("staking", 29));
    let updates = net.end();
    assert_eq!(updates.len(), 2);
    assert_eq!(delegation_balance(&mut net, &del, &a), Some(25 * AKT));
    assert_eq!(delegation_balance(&mut net, &del, &b), Some(15 * AKT));
    let r: QueryRedelegationsResponse = net
        .query(
            "/cosmos.staking.v1beta1.Query/Redelegations",
            &QueryRedelegationsRequest {
                delegator_addr: acc(&del),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.redelegation_responses.len(), 1);
    assert_eq!(
        r.redelegation_responses[0].entries[0].balance,
        (15 * AKT).to_string()
    );
    // After 14 days the entry is gone and the hop back is allowed.
    net.block(14 * DAY);
    net.next(6);
    net.deliver(&MsgBeginRedelegate {
        delegator_address: acc(&del),
        validator_src_address: valoper(&b),
        validator_dst_address: valoper(&a),
        amount: coin(5 * AKT),
    })
    .unwrap();
    net.end();
}

#[test]
fn cancel_unbonding_rebonds_part_of_an_entry() {
    let mut net = two_validators();
    let (del, op) = (addr(3), addr(2));
    net.next(6);
    net.deliver(&MsgDelegate {
        delegator_address: acc(&del),
        validator_address: valoper(&op),
        amount: coin(10 * AKT),
    })
    .unwrap();
    net.end();
    net.next(6);
    let height = net.block_info().height as i64;
    net.deliver(&MsgUndelegate {
        delegator_address: acc(&del),
        validator_address: valoper(&op),
        amount: coin(8 * AKT),
    })
    .unwrap();
    let err = net
        .deliver(&MsgCancelUnbondingDelegation {
            delegator_address: acc(&del),
            validator_address: valoper(&op),
            amount: coin(9 * AKT),
            creation_height: height,
        })
        .unwrap_err();
    assert_eq!(err.code, 18, "{}", err.log);
    net.deliver(&MsgCancelUnbondingDelegation {
        delegator_address: acc(&del),
        validator_address: valoper(&op),
        amount: coin(3 * AKT),
        creation_height: height,
    })
    .unwrap();
    net.end();
    assert_eq!(delegation_balance(&mut net, &del, &op), Some(5 * AKT));
    net.block(14 * DAY);
    // 5 AKT came back; the 3 AKT cancelled stay delegated.
    assert_eq!(net.balance(&del, "uakt"), 995 * AKT);
}

#[test]
fn create_and_edit_validator_with_the_sdk_checks() {
    let mut net = two_validators();
    let op = addr(3);
    let msg = |rate: u128, key: u8| MsgCreateValidator {
        description: Some(Description {
            moniker: "third".into(),
            ..Default::default()
        }),
        commission: Some(CommissionRates {
            rate: rate.to_string(),
            max_rate: (DEC_ONE / 2).to_string(),
            max_change_rate: (DEC_ONE / 100).to_string(),
        }),
        min_self_delegation: "1".into(),
        #[allow(deprecated)]
        delegator_address: String::new(),
        validator_address: valoper(&op),
        pubkey: Some(pubkey_any(&[key; 32])),
        value: coin(100 * AKT),
    };
    net.next(6);
    // Below the 5 % minimum commission.
    let err = net.deliver(&msg(DEC_ONE / 100, 13)).unwrap_err();
    assert_eq!((err.codespace, err.code), ("staking", 40));
    // A consensus key already in use.
    let err = net.deliver(&msg(DEC_ONE / 10, 11)).unwrap_err();
    assert_eq!((err.codespace, err.code), ("staking", 5));
    net.deliver(&msg(DEC_ONE / 10, 13)).unwrap();
    let err = net.deliver(&msg(DEC_ONE / 10, 14)).unwrap_err();
    assert_eq!((err.codespace, err.code), ("staking", 4));
    let updates = net.end();
    // The newcomer has the most power: bonded and reported.
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].pub_key, vec![13; 32]);
    assert_eq!(updates[0].power, 100);
    // A commission change within 24 h of creation is refused, then allowed within max change.
    net.next(6);
    let edit = |rate: u128| MsgEditValidator {
        description: Some(Description {
            moniker: super::msgs::DO_NOT_MODIFY.into(),
            details: "now with details".into(),
            ..Default::default()
        }),
        validator_address: valoper(&op),
        commission_rate: rate.to_string(),
        min_self_delegation: String::new(),
    };
    let err = net
        .deliver(&edit(DEC_ONE / 10 + DEC_ONE / 100))
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("staking", 12));
    net.end();
    net.next(DAY);
    let err = net.deliver(&edit(DEC_ONE / 5)).unwrap_err();
    assert_eq!((err.codespace, err.code), ("staking", 15));
    net.deliver(&edit(DEC_ONE / 10 + DEC_ONE / 100)).unwrap();
    net.end();
    let v: QueryValidatorResponse = net
        .query(
            "/cosmos.staking.v1beta1.Query/Validator",
            &QueryValidatorRequest {
                validator_addr: valoper(&op),
            },
        )
        .unwrap();
    let v = v.validator.unwrap();
    let d = v.description.unwrap();
    assert_eq!(
        (d.moniker.as_str(), d.details.as_str()),
        ("third", "now with details")
    );
    assert_eq!(
        v.commission.unwrap().commission_rates.unwrap().rate,
        (DEC_ONE / 10 + DEC_ONE / 100).to_string()
    );
}

#[test]
fn the_set_keeps_the_top_validators_by_power_with_a_deterministic_tie_break() {
    let accounts: Vec<(Address, u128)> = (1..=4).map(|i| (addr(i), 100 * AKT)).collect();
    let mut g = economy_genesis(
        &accounts,
        &[
            (0, 21, 10 * AKT, DEC_ONE / 10),
            (1, 22, 10 * AKT, DEC_ONE / 10),
            (2, 23, 30 * AKT, DEC_ONE / 10),
        ],
    );
    let mut p = super::genesis::ParamsJson::from_params(&default_params());
    p.max_validators = 2;
    g.app_state.staking.params = Some(p);
    let mut net = economy_chain(&g);
    let bonded = |net: &mut TestChain| {
        let (v, _) = net.with(|ctx| {
            last_powers(ctx)
                .into_iter()
                .map(|(a, p)| (a.0[0], p))
                .collect::<Vec<_>>()
        });
        v
    };
    // 30 and the tie at 10 broken by the lower operator address.
    assert_eq!(bonded(&mut net), vec![(1, 10), (3, 30)]);
    // addr(2) rises to 11 and replaces addr(1), which starts unbonding.
    net.next(6);
    net.deliver(&MsgDelegate {
        delegator_address: acc(&addr(4)),
        validator_address: valoper(&addr(2)),
        amount: coin(AKT),
    })
    .unwrap();
    let updates = net.end();
    assert_eq!(updates.len(), 2);
    assert_eq!((updates[0].pub_key[0], updates[0].power), (22, 11));
    assert_eq!((updates[1].pub_key[0], updates[1].power), (21, 0));
    assert_eq!(bonded(&mut net), vec![(2, 11), (3, 30)]);
    let (v, _) = net.with(|ctx| validator(ctx, &addr(1)).unwrap());
    assert_eq!(v.status, BondStatus::Unbonding);
    assert_eq!(
        net.with(|ctx| (pool_balance(ctx, true), pool_balance(ctx, false)))
            .0,
        (41 * AKT, 10 * AKT)
    );
    net.block(14 * DAY);
    let (v, _) = net.with(|ctx| validator(ctx, &addr(1)).unwrap());
    assert_eq!(v.status, BondStatus::Unbonded);
}
