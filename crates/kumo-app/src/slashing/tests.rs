//! Liveness jailing from missed commit signatures, unjail after the jail time, and a double
//! sign that slashes delegators, unbonding entries and tombstones.

use crate::abci::{Misbehavior, VoteInfo};
use crate::staking::state::{self as staking, VALOPER_HRP};
use crate::test_ctx::{addr, economy_chain, economy_genesis, TestChain};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::slashing::v1beta1::MsgUnjail;
use cosmos_sdk_proto::cosmos::staking::v1beta1::{MsgDelegate, MsgUndelegate};
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;

const AKT: u128 = 1_000_000;

fn valoper(a: &Address) -> String {
    a.to_bech32(VALOPER_HRP)
}

/// Two validators (operators 1 and 2, 10 AKT each), a 10-block window needing 50 % signed.
fn net() -> TestChain {
    let mut g = economy_genesis(
        &[
            (addr(1), 100 * AKT),
            (addr(2), 100 * AKT),
            (addr(3), 100 * AKT),
        ],
        &[
            (0, 11, 10 * AKT, DEC_ONE / 10),
            (1, 12, 10 * AKT, DEC_ONE / 10),
        ],
    );
    let mut p = super::genesis::ParamsJson::from_params(&super::state::default_params());
    p.signed_blocks_window = 10;
    p.min_signed_per_window = "0.5".into();
    g.app_state.slashing.params = Some(p);
    economy_chain(&g)
}

fn votes(missing: u8) -> Vec<VoteInfo> {
    [11u8, 12]
        .iter()
        .map(|k| VoteInfo {
            validator_address: staking::cons_address(&[*k; 32]).to_vec(),
            power: 10,
            signed: *k != missing,
        })
        .collect()
}

#[test]
fn a_validator_missing_blocks_is_jailed_then_unjails_after_a_minute() {
    let mut net = net();
    let op = addr(2);
    // Window 10, at most 5 missed: the 6th miss past height 10 jails.
    let mut jailed_at = None;
    for h in 1..=12u64 {
        net.begin(6, votes(if h > 1 { 12 } else { 0 }), vec![]);
        let updates = net.end();
        let (v, _) = net.with(|ctx| staking::validator(ctx, &op).unwrap());
        if v.jailed && jailed_at.is_none() {
            jailed_at = Some(h);
            // Jailed validators leave the set at the same end block.
            assert_eq!(updates.len(), 1);
            assert_eq!(updates[0].power, 0);
        }
    }
    assert_eq!(jailed_at, Some(11));
    // Unjail is refused until a minute has passed since the jailing block.
    net.begin(6, votes(0), vec![]);
    let err = net
        .deliver(&MsgUnjail {
            validator_addr: valoper(&op),
        })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("slashing", 4));
    net.end();
    net.begin(60, votes(0), vec![]);
    net.deliver(&MsgUnjail {
        validator_addr: valoper(&op),
    })
    .unwrap();
    let updates = net.end();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].power, 10);
    // Downtime slashes nothing (slash_fraction_downtime is 0).
    let (v, _) = net.with(|ctx| staking::validator(ctx, &op).unwrap());
    assert_eq!(v.tokens, 10 * AKT);
}

#[test]
fn double_sign_slashes_stake_and_unbondings_since_the_infraction_and_tombstones() {
    let mut net = net();
    let (op, del) = (addr(1), addr(3));
    net.begin(6, votes(0), vec![]);
    net.deliver(&MsgDelegate {
        delegator_address: del.to_bech32(ACCOUNT_HRP),
        validator_address: valoper(&op),
        amount: Some(ProtoCoin {
            denom: "uakt".into(),
            amount: (30 * AKT).to_string(),
        }),
    })
    .unwrap();
    net.end();
    // Height 2: the infraction (power 40). Height 3: the delegator starts unbonding 10 AKT.
    net.begin(6, votes(0), vec![]);
    let infraction = (net.block_info().height, net.block_info().time);
    net.end();
    net.begin(6, votes(0), vec![]);
    net.deliver(&MsgUndelegate {
        delegator_address: del.to_bech32(ACCOUNT_HRP),
        validator_address: valoper(&op),
        amount: Some(ProtoCoin {
            denom: "uakt".into(),
            amount: (10 * AKT).to_string(),
        }),
    })
    .unwrap();
    net.end();
    let (supply_before, _) = net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
    // Height 4: evidence. 5 % of 40 AKT = 2 AKT: 0.5 AKT from the unbonding entry (5 % of
    // its 10 AKT), the other 1.5 AKT from the validator's 30 AKT (5 %).
    net.begin(
        6,
        votes(0),
        vec![Misbehavior {
            validator_address: staking::cons_address(&[11; 32]).to_vec(),
            power: 40,
            height: infraction.0,
            time: infraction.1,
            total_voting_power: 50,
        }],
    );
    let updates = net.end();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].power, 0);
    let (supply_after, _) = net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
    let (v, _) = net.with(|ctx| staking::validator(ctx, &op).unwrap());
    assert!(v.jailed);
    assert_eq!(v.tokens, 28_500_000);
    let (ubd, _) = net.with(|ctx| staking::unbonding_delegation(ctx, &del, &op).unwrap());
    assert_eq!(ubd.entries[0].balance, "9500000");
    // Delegators lost 5 % each: 20 → 19 AKT and 10 → 9.5 AKT.
    let (worth, _) = net.with(|ctx| {
        (
            v.tokens_from_shares(staking::delegation(ctx, &del, &op).unwrap()),
            v.tokens_from_shares(staking::delegation(ctx, &op, &op).unwrap()),
        )
    });
    assert_eq!(worth, (19 * AKT, 9_500_000));
    // Minted this block came in; 2 AKT were burned.
    let (minted, _) = net.with(|ctx| {
        crate::mint::state::block_provision(
            &crate::mint::state::params(ctx),
            &crate::mint::state::minter(ctx),
        )
    });
    assert_eq!(supply_before + minted - supply_after, 2 * AKT);
    // Tombstoned: never unjailed, and a second report changes nothing.
    net.begin(3_600, votes(0), vec![]);
    let err = net
        .deliver(&MsgUnjail {
            validator_addr: valoper(&op),
        })
        .unwrap_err();
    assert_eq!((err.codespace, err.code), ("slashing", 4));
    net.end();
}
