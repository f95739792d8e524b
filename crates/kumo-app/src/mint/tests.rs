//! The mint rule against hand-computed numbers, and the max-supply cap.

use super::state::*;
use crate::test_ctx::{addr, economy_chain, economy_genesis};
use kumo_proto::math::DEC_ONE;

const AKT: u128 = 1_000_000;

#[test]
fn inflation_moves_toward_the_bonded_goal_and_mints_the_block_share() {
    // 100,000 AKT supply, 10,000 AKT bonded: 10 % bonded, below the 67 % goal, so inflation
    // rises from 13 %. By hand (LegacyDec, rounding half up at 18 digits):
    // 0.10 / 0.67 = 0.149253731343283582; 1 − that = 0.850746268656716418;
    // × 0.13 = 0.110597014925373134 a year; / 5,256,000 blocks = 0.000000021042050024;
    // inflation = 0.130000021042050024; annual provisions = that × 100,000,000,000 uakt
    // = 13,000,002,104.2050024; block provision = floor(/ 5,256,000) = 2,473 uakt.
    let g = economy_genesis(
        &[(addr(1), 10_000 * AKT), (addr(2), 90_000 * AKT)],
        &[(0, 11, 10_000 * AKT, DEC_ONE / 10)],
    );
    let mut net = economy_chain(&g);
    let collector = crate::auth::module_address(crate::auth::FEE_COLLECTOR);
    net.begin(6, vec![], vec![]);
    let (m, _) = net.with(|ctx| minter(ctx));
    assert_eq!(m.inflation, 130_000_021_042_050_024);
    assert_eq!(m.annual_provisions, 13_000_002_104_205_002_400_000_000_000);
    assert_eq!(net.balance(&collector, "uakt"), 2_473);
    let (supply, _) = net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
    assert_eq!(supply, 100_000 * AKT + 2_473);
    net.end();
    // Queries answer the minter's numbers as LegacyDec atomics text.
    let r: cosmos_sdk_proto::cosmos::mint::v1beta1::QueryInflationResponse = net
        .query(
            "/cosmos.mint.v1beta1.Query/Inflation",
            &cosmos_sdk_proto::cosmos::mint::v1beta1::QueryInflationRequest {},
        )
        .unwrap();
    assert_eq!(r.inflation, b"130000021042050024".to_vec());
}

#[test]
fn inflation_falls_above_the_goal_and_stays_within_bounds() {
    let p = default_params();
    let min = 13 * DEC_ONE / 100;
    let max = 15 * DEC_ONE / 100;
    // 90 % bonded: above the goal, inflation falls, but not under the minimum.
    assert_eq!(next_inflation(&p, min, 9 * DEC_ONE / 10), min);
    assert!(next_inflation(&p, max, 9 * DEC_ONE / 10) < max);
    // Nothing bonded: rises by 0.13 / 5,256,000 a block, but not over the maximum.
    assert_eq!(
        next_inflation(&p, min, 0),
        min + 24_733_637_747 // 0.13 / 5,256,000 = 0.0000000247336377473…, rounded
    );
    assert_eq!(next_inflation(&p, max, 0), max);
}

#[test]
fn minting_stops_at_the_max_supply() {
    let mut g = economy_genesis(
        &[(addr(1), 10_000 * AKT), (addr(2), 90_000 * AKT)],
        &[(0, 11, 10_000 * AKT, DEC_ONE / 10)],
    );
    // Room for 1,000 uakt more.
    g.app_state.mint.max_supply = Some((100_000 * AKT + 1_000).to_string());
    let mut net = economy_chain(&g);
    net.begin(6, vec![], vec![]);
    net.end();
    let (supply, _) = net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
    assert_eq!(supply, 100_000 * AKT + 1_000);
    for _ in 0..3 {
        net.block(6);
    }
    let (supply, _) = net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
    assert_eq!(supply, 100_000 * AKT + 1_000);
    // The cap is queryable (kumo.mint.v1.Query/MaxSupply).
    let cap: cosmos_sdk_proto::cosmos::bank::v1beta1::QuerySupplyOfResponse = net
        .query(
            super::query::MAX_SUPPLY_PATH,
            &cosmos_sdk_proto::cosmos::bank::v1beta1::QuerySupplyOfRequest {
                denom: "uakt".into(),
            },
        )
        .unwrap();
    let cap = cap.amount.unwrap();
    assert_eq!(
        (cap.denom.as_str(), cap.amount),
        ("uakt", (100_000 * AKT + 1_000).to_string())
    );
}
