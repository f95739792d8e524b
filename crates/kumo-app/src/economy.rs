//! The token economy's per-block work, in the SDK's module order. Begin block: mint the
//! block's provision, hand the fee collector's coins to last block's voters (distribution),
//! count their signatures and punish evidence (slashing). End block: finished proposals (gov),
//! then the new validator set and what has matured (staking).

use crate::abci::{FinalizeBlockRequest, ValidatorUpdate};
use crate::ctx::Ctx;
use crate::errors::SdkResult;

pub fn begin_block(ctx: &mut Ctx, req: &FinalizeBlockRequest) -> SdkResult<()> {
    crate::mint::begin_block(ctx)?;
    crate::distribution::begin_block(ctx, &req.decided_last_commit)?;
    crate::slashing::begin_block(ctx, &req.decided_last_commit, &req.misbehavior)
}

pub fn end_block(ctx: &mut Ctx) -> SdkResult<Vec<ValidatorUpdate>> {
    crate::gov::end_block(ctx)?;
    let updates = crate::staking::end_block(ctx)?;
    crate::feegrant::end_block(ctx)?;
    Ok(updates)
}

#[cfg(test)]
mod tests {
    //! Random sequences of staking, reward, fee, slashing and block steps keep the books:
    //! supply = genesis + minted − burned; every uakt is in some account (users, pools, fee
    //! collector, distribution); the distribution account backs exactly the outstanding
    //! rewards and the community pool; the pools back exactly validators and unbondings.

    use crate::abci::{Event, Misbehavior};
    use crate::staking::state as staking;
    use crate::test_ctx::{addr, economy_chain, economy_genesis, TestChain};
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
    use cosmos_sdk_proto::cosmos::distribution::v1beta1::MsgWithdrawDelegatorReward;
    use cosmos_sdk_proto::cosmos::staking::v1beta1::{
        MsgBeginRedelegate, MsgDelegate, MsgUndelegate,
    };
    use kumo_crypto::{Address, ACCOUNT_HRP};
    use kumo_proto::math::DEC_ONE;
    use proptest::prelude::*;

    const AKT: u128 = 1_000_000;

    #[derive(Clone, Debug)]
    enum Op {
        Delegate(u8, u8, u128),
        Undelegate(u8, u8, u128),
        Redelegate(u8, u8, u8, u128),
        Withdraw(u8, u8),
        Fee(u128),
        Block(i64),
        DoubleSign(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..3u8, 0..3u8, 1..50_000_000u128).prop_map(|(d, v, a)| Op::Delegate(d, v, a)),
            (0..3u8, 0..3u8, 1..30_000_000u128).prop_map(|(d, v, a)| Op::Undelegate(d, v, a)),
            (0..3u8, 0..3u8, 0..3u8, 1..30_000_000u128)
                .prop_map(|(d, s, t, a)| Op::Redelegate(d, s, t, a)),
            (0..3u8, 0..3u8).prop_map(|(d, v)| Op::Withdraw(d, v)),
            (1..5_000_000u128).prop_map(Op::Fee),
            prop_oneof![1..60i64, 86_400..1_300_000i64].prop_map(Op::Block),
            (0..3u8).prop_map(Op::DoubleSign),
        ]
    }

    fn sum_attr(events: &[Event], kind: &str, key: &str) -> u128 {
        events
            .iter()
            .filter(|e| e.kind == kind)
            .filter_map(|e| e.get(key))
            .map(|a| a.trim_end_matches("uakt").parse::<u128>().unwrap_or(0))
            .sum()
    }

    fn coin(a: u128) -> Option<ProtoCoin> {
        Some(ProtoCoin {
            denom: "uakt".into(),
            amount: a.to_string(),
        })
    }

    fn check_books(net: &mut TestChain, expected_supply: u128) {
        let ((), _) = net.with(|ctx| {
                let supply = crate::bank::state::supply_of(ctx, "uakt");
                assert_eq!(supply, expected_supply, "supply = genesis + minted − burned");
                let held: u128 = ctx
                    .prefix_free(b"bank/bal/")
                    .iter()
                    .filter(|(k, _)| k.ends_with(b"uakt"))
                    .map(|(_, v)| crate::bank::state::decode_amount(v))
                    .sum();
                assert_eq!(held, supply, "all balances add up to the supply");
                let dist = crate::bank::state::balance(
                    ctx,
                    &crate::auth::module_address("distribution"),
                    "uakt",
                )
                .unwrap();
                let owed: u128 = crate::distribution::state::all_outstanding(ctx)
                    .iter()
                    .map(|(_, d)| d.get("uakt").copied().unwrap_or(0))
                    .sum::<u128>()
                    + crate::distribution::community_pool(ctx)
                        .iter()
                        .map(|(_, a)| *a)
                        .sum::<u128>();
                assert_eq!(owed, dist * DEC_ONE, "outstanding + pool = distribution account");
                let vals = staking::all_validators(ctx);
                let bonded: u128 = vals.iter().filter(|v| v.is_bonded()).map(|v| v.tokens).sum();
                let unbonding_vals: u128 =
                    vals.iter().filter(|v| !v.is_bonded()).map(|v| v.tokens).sum();
                let ubds: u128 = ctx
                    .prefix_free(b"staking/ubd/")
                    .iter()
                    .flat_map(|(_, b)| {
                        <cosmos_sdk_proto::cosmos::staking::v1beta1::UnbondingDelegation as prost::Message>::decode(b.as_slice())
                            .unwrap()
                            .entries
                    })
                    .map(|e| e.balance.parse::<u128>().unwrap())
                    .sum();
                assert_eq!(staking::pool_balance(ctx, true), bonded, "bonded pool");
                assert_eq!(
                    staking::pool_balance(ctx, false),
                    unbonding_vals + ubds,
                    "not-bonded pool"
                );
            });
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
        #[test]
        fn the_books_balance_at_every_height(ops in proptest::collection::vec(op(), 1..40)) {
            let people: Vec<Address> = (1..=3).map(addr).collect();
            let vals: Vec<Address> = (11..=13).map(addr).collect();
            let mut accounts: Vec<(Address, u128)> =
                people.iter().map(|a| (*a, 500 * AKT)).collect();
            accounts.extend(vals.iter().map(|a| (*a, 100 * AKT)));
            let g = economy_genesis(
                &accounts,
                &[
                    (3, 21, 10 * AKT, DEC_ONE / 10),
                    (4, 22, 20 * AKT, DEC_ONE / 20),
                    (5, 23, 30 * AKT, DEC_ONE / 5),
                ],
            );
            let mut net = economy_chain(&g);
            let mut supply = 1_800 * AKT;
            let mut pending_evidence = vec![];
            supply += sum_attr(&net.next(6), "mint", "amount");
            for op in ops {
                let acc = |i: u8| people[i as usize].to_bech32(ACCOUNT_HRP);
                let val = |i: u8| vals[i as usize].to_bech32(staking::VALOPER_HRP);
                let events = match op {
                    Op::Delegate(d, v, a) => net.deliver(&MsgDelegate {
                        delegator_address: acc(d), validator_address: val(v), amount: coin(a),
                    }),
                    Op::Undelegate(d, v, a) => net.deliver(&MsgUndelegate {
                        delegator_address: acc(d), validator_address: val(v), amount: coin(a),
                    }),
                    Op::Redelegate(d, s, t, a) => net.deliver(&MsgBeginRedelegate {
                        delegator_address: acc(d), validator_src_address: val(s),
                        validator_dst_address: val(t), amount: coin(a),
                    }),
                    Op::Withdraw(d, v) => net.deliver(&MsgWithdrawDelegatorReward {
                        delegator_address: acc(d), validator_address: val(v),
                    }),
                    Op::Fee(a) => {
                        let collector = crate::auth::module_address(crate::auth::FEE_COLLECTOR);
                        let p = people[0];
                        net.with(|ctx| crate::bank::state::send(
                            ctx, &p, &collector, &[crate::coins::Coin::new("uakt", a)],
                        )).0.map(|_| vec![])
                    }
                    Op::DoubleSign(v) => {
                        pending_evidence.push(Misbehavior {
                            validator_address: staking::cons_address(&[21 + v; 32]).to_vec(),
                            power: 0,
                            height: net.block_info().height,
                            time: net.block_info().time,
                            total_voting_power: 0,
                        });
                        Ok(vec![])
                    }
                    Op::Block(secs) => {
                        net.end();
                        let votes = net.all_signed();
                        let ev = net.begin(secs, votes, std::mem::take(&mut pending_evidence));
                        Ok(ev)
                    }
                };
                if let Ok(events) = events {
                    supply += sum_attr(&events, "mint", "amount");
                    supply -= sum_attr(&events, "burn", "amount");
                }
                check_books(&mut net, supply);
            }
            net.end();
            check_books(&mut net, supply);
        }
    }
}
