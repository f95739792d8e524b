//! take params, fee rule and governance-only updates, on the shared test chain.

use super::state::{default_params, fee_for, params, validate};
use crate::msgs::Msg;
use crate::test_ctx::{addr, TestChain};
use cosmos_sdk_proto::Any;
use kumo_crypto::ACCOUNT_HRP;
use kumo_proto::akash::take::v1::{
    DenomTakeRate, MsgUpdateParams, Params, QueryParamsRequest, QueryParamsResponse,
};
use prost::Message;

fn rates(entries: &[(&str, u32)], default: u32) -> Params {
    Params {
        denom_take_rates: entries
            .iter()
            .map(|(d, r)| DenomTakeRate {
                denom: d.to_string(),
                rate: *r,
            })
            .collect(),
        default_take_rate: default,
    }
}

#[test]
fn defaults_are_four_percent_uakt_twenty_otherwise() {
    let p = default_params();
    assert_eq!(p, rates(&[("uakt", 4)], 20));
    assert!(validate(&p).is_ok());
    let env = TestChain::new();
    env.read(|ctx| {
        assert_eq!(fee_for(ctx, "uakt", 1000), 40);
        assert_eq!(fee_for(ctx, "uakt", 24), 0); // 0.96 truncates
        assert_eq!(fee_for(ctx, "uakt", 25), 1);
        assert_eq!(fee_for(ctx, "uusdc", 1000), 200);
        assert_eq!(fee_for(ctx, "uusdc", 4), 0);
        assert_eq!(fee_for(ctx, "uusdc", u128::MAX), u128::MAX / 5);
    });
}

#[test]
fn validation() {
    assert!(validate(&rates(&[], 20)).unwrap_err().log.contains("uakt"));
    assert!(validate(&rates(&[("uakt", 2), ("uakt", 3)], 20))
        .unwrap_err()
        .log
        .contains("more than one"));
    assert!(validate(&rates(&[("uakt", 101)], 20)).is_err());
    assert!(validate(&rates(&[("uakt", 2)], 101)).is_err());
    assert!(validate(&rates(&[("uakt", 100), ("uusdc", 0)], 0)).is_ok());
}

fn update(authority: &str, p: Params) -> Any {
    Any {
        type_url: "/akash.take.v1.MsgUpdateParams".into(),
        value: MsgUpdateParams {
            authority: authority.into(),
            params: Some(p),
        }
        .encode_to_vec(),
    }
}

#[test]
fn only_gov_updates_params_and_query_reads_them() {
    let mut env = TestChain::new();
    let new = rates(&[("uakt", 2), ("uusdc", 10)], 25);
    let m = Msg::from_any(&update(&addr(1).to_bech32(ACCOUNT_HRP), new.clone())).unwrap();
    let e = env.run(|ctx| m.execute(ctx)).unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 4));
    assert!(e.log.contains("gov"), "{}", e.log);

    let gov = crate::auth::module_address("gov").to_bech32(ACCOUNT_HRP);
    let bad = Msg::from_any(&update(&gov, rates(&[("uusdc", 1)], 1))).unwrap_err();
    assert!(bad.log.contains("uakt"), "{}", bad.log);
    let m = Msg::from_any(&update(&gov, new.clone())).unwrap();
    assert_eq!(m.module(), "take");
    env.run(|ctx| m.execute(ctx)).unwrap();
    env.read(|ctx| {
        assert_eq!(params(ctx), new);
        assert_eq!(fee_for(ctx, "uusdc", 100), 10);
        assert_eq!(fee_for(ctx, "ufoo", 100), 25);
        let out = crate::query::route(
            ctx,
            "/akash.take.v1.Query/Params",
            &QueryParamsRequest {}.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(
            QueryParamsResponse::decode(out.as_slice()).unwrap().params,
            Some(new.clone())
        );
    });
}

#[test]
fn genesis_params_are_read_and_checked() {
    let mut g = crate::genesis::Genesis::new("kumo-test", "2026-01-01T00:00:00Z");
    g.app_state.take.params = serde_json::json!({
        "denom_take_rates": [{"denom": "uakt", "rate": 2}],
        "default_take_rate": 20
    });
    let env = TestChain::try_from_state(&g.app_state).unwrap();
    env.read(|ctx| assert_eq!(params(ctx), rates(&[("uakt", 2)], 20)));
    g.app_state.take.params = serde_json::json!({"denom_take_rates": [], "default_take_rate": 20});
    assert!(TestChain::try_from_state(&g.app_state).is_err());
    // a genesis file without a take section gets kumo's defaults
    let text = crate::genesis::Genesis::new("kumo-test", "2026-01-01T00:00:00Z").to_json();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["app_state"].as_object_mut().unwrap().remove("take");
    let g = crate::genesis::Genesis::from_json(&v.to_string()).unwrap();
    let env = TestChain::try_from_state(&g.app_state).unwrap();
    env.read(|ctx| assert_eq!(params(ctx), default_params()));
}
