//! Rewards over several blocks against a hand computation to the uakt, commission, withdraw
//! address, community pool funding and spending.

use crate::coins::Coin;
use crate::test_ctx::{addr, economy_chain, economy_genesis, TestChain};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1::*;
use cosmos_sdk_proto::cosmos::staking::v1beta1::MsgDelegate;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;

const AKT: u128 = 1_000_000;

fn acc(a: &Address) -> String {
    a.to_bech32(ACCOUNT_HRP)
}

fn valoper(a: &Address) -> String {
    a.to_bech32(crate::staking::state::VALOPER_HRP)
}

fn coin(amount: u128) -> Vec<ProtoCoin> {
    vec![ProtoCoin {
        denom: "uakt".into(),
        amount: amount.to_string(),
    }]
}

/// One validator (operator 1: 10 AKT self-bond, 10 % commission), delegator 2, fee payer 3;
/// no inflation so that only the fees paid are shared.
fn net_without_mint() -> TestChain {
    let mut g = economy_genesis(
        &[
            (addr(1), 100 * AKT),
            (addr(2), 100 * AKT),
            (addr(3), 100 * AKT),
        ],
        &[(0, 11, 10 * AKT, DEC_ONE / 10)],
    );
    let mut p =
        crate::mint::genesis::ParamsJson::from_params(&crate::mint::state::default_params());
    p.inflation_min = "0".into();
    p.inflation_max = "0".into();
    g.app_state.mint.params = Some(p);
    g.app_state.mint.minter = Some(crate::mint::genesis::MinterJson {
        inflation: "0".into(),
        annual_provisions: "0".into(),
    });
    economy_chain(&g)
}

fn pay_fee(net: &mut TestChain, amount: u128) {
    let collector = crate::auth::module_address(crate::auth::FEE_COLLECTOR);
    net.with(|ctx| {
        crate::bank::state::send(ctx, &addr(3), &collector, &[Coin::new("uakt", amount)])
    })
    .0
    .unwrap();
}

fn rewards(
    net: &mut TestChain,
    del: &Address,
    op: &Address,
) -> Vec<cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin> {
    let r: QueryDelegationRewardsResponse = net
        .query(
            "/cosmos.distribution.v1beta1.Query/DelegationRewards",
            &QueryDelegationRewardsRequest {
                delegator_address: acc(del),
                validator_address: valoper(op),
            },
        )
        .unwrap();
    r.rewards
}

fn pool(net: &mut TestChain) -> u128 {
    let r: QueryCommunityPoolResponse = net
        .query(
            "/cosmos.distribution.v1beta1.Query/CommunityPool",
            &QueryCommunityPoolRequest {},
        )
        .unwrap();
    r.pool.first().map_or(0, |c| c.amount.parse().unwrap())
}

#[test]
fn fees_pay_commission_delegators_and_the_pool_as_computed_by_hand() {
    let mut net = net_without_mint();
    let (op, del) = (addr(1), addr(2));
    // Block 1: the delegator bonds 30 AKT (stake 30 of 40) and 1 AKT of fees is paid.
    net.next(6);
    net.deliver(&MsgDelegate {
        delegator_address: acc(&del),
        validator_address: valoper(&op),
        amount: Some(ProtoCoin {
            denom: "uakt".into(),
            amount: (30 * AKT).to_string(),
        }),
    })
    .unwrap();
    pay_fee(&mut net, 1_000_000);
    net.end();
    // Block 2 shares the 1,000,000 uakt: community tax 2 % = 20,000 to the pool; 980,000 to the
    // only validator; 10 % commission = 98,000; 882,000 to its delegators by stake:
    // 882,000 × 30/40 = 661,500 and 882,000 × 10/40 = 220,500.
    net.block(6);
    assert_eq!(pool(&mut net), 20_000 * DEC_ONE);
    assert_eq!(
        rewards(&mut net, &del, &op)[0].amount,
        (661_500 * DEC_ONE).to_string()
    );
    assert_eq!(
        rewards(&mut net, &op, &op)[0].amount,
        (220_500 * DEC_ONE).to_string()
    );
    let c: QueryValidatorCommissionResponse = net
        .query(
            "/cosmos.distribution.v1beta1.Query/ValidatorCommission",
            &QueryValidatorCommissionRequest {
                validator_address: valoper(&op),
            },
        )
        .unwrap();
    assert_eq!(
        c.commission.unwrap().commission[0].amount,
        (98_000 * DEC_ONE).to_string()
    );

    // Block 3: 3 uakt of fees, split to fractions: 3 × 0.98 = 2.94; commission 0.294; the
    // delegator's part 2.646 × 3/4 = 1.9845; withdrawn as 1 uakt + 661,500, the 0.9845 left
    // goes to the pool with the tax (0.06).
    net.next(6);
    pay_fee(&mut net, 3);
    net.end();
    net.next(6);
    let before = net.balance(&del, "uakt");
    net.deliver(&MsgWithdrawDelegatorReward {
        delegator_address: acc(&del),
        validator_address: valoper(&op),
    })
    .unwrap();
    net.end();
    assert_eq!(net.balance(&del, "uakt") - before, 661_500 + 1);
    assert_eq!(
        pool(&mut net),
        20_000 * DEC_ONE + 60_000_000_000_000_000 + 984_500_000_000_000_000
    );
    assert!(rewards(&mut net, &del, &op).is_empty());

    // The operator withdraws its commission (98,000.294: 98,000 paid, 0.294 kept).
    net.next(6);
    let before = net.balance(&op, "uakt");
    net.deliver(&MsgWithdrawValidatorCommission {
        validator_address: valoper(&op),
    })
    .unwrap();
    net.end();
    assert_eq!(net.balance(&op, "uakt") - before, 98_000);
    // Nothing but the fractions is left: the module account backs exactly what is owed.
    let (owed, held) = net
        .with(|ctx| {
            let mut owed: u128 = super::state::all_outstanding(ctx)
                .iter()
                .map(|(_, d)| d.get("uakt").copied().unwrap_or(0))
                .sum();
            owed += super::state::community_pool(ctx)
                .iter()
                .map(|(_, a)| *a)
                .sum::<u128>();
            let held = crate::bank::state::balance(
                ctx,
                &crate::auth::module_address("distribution"),
                "uakt",
            )
            .unwrap();
            (owed, held)
        })
        .0;
    assert_eq!(owed, held * DEC_ONE);
}

#[test]
fn withdraw_address_and_the_community_pool() {
    let mut net = net_without_mint();
    let (op, del, payee) = (addr(1), addr(2), addr(9));
    net.next(6);
    net.deliver(&MsgSetWithdrawAddress {
        delegator_address: acc(&op),
        withdraw_address: acc(&payee),
    })
    .unwrap();
    // Module accounts take no external funds.
    let err = net
        .deliver(&MsgSetWithdrawAddress {
            delegator_address: acc(&op),
            withdraw_address: acc(&crate::auth::module_address("distribution")),
        })
        .unwrap_err();
    assert_eq!(err.code, 4);
    net.deliver(&MsgFundCommunityPool {
        amount: coin(5 * AKT),
        depositor: acc(&del),
    })
    .unwrap();
    pay_fee(&mut net, 100);
    net.end();
    assert_eq!(pool(&mut net), 5 * AKT * DEC_ONE);
    net.block(6);
    net.next(6);
    net.deliver(&MsgWithdrawDelegatorReward {
        delegator_address: acc(&op),
        validator_address: valoper(&op),
    })
    .unwrap();
    net.end();
    // 100 × 0.98 × 0.9 = 88.2: 88 to the withdraw address.
    assert_eq!(net.balance(&payee, "uakt"), 88);
    // Spending needs the gov authority; the pool pays when it has enough.
    let spend = |authority: &Address, amount: u128| MsgCommunityPoolSpend {
        authority: acc(authority),
        recipient: acc(&addr(8)),
        amount: coin(amount),
    };
    let gov = crate::auth::module_address("gov");
    net.next(6);
    let err = net.deliver(&spend(&del, AKT)).unwrap_err();
    assert_eq!(err.code, 4);
    let err = net.deliver(&spend(&gov, 6 * AKT)).unwrap_err();
    assert_eq!((err.codespace, err.code), ("distribution", 9));
    net.deliver(&spend(&gov, 5 * AKT)).unwrap();
    net.end();
    assert_eq!(net.balance(&addr(8), "uakt"), 5 * AKT);
}
