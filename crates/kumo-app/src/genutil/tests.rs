use super::*;
use crate::abci::{BlockTime, FinalizeBlockRequest};
use crate::staking::state::POWER_REDUCTION;
use cosmos_sdk_proto::cosmos::tx::v1beta1::SignDoc;
use kumo_crypto::PrivKey;

const CHAIN: &str = "kumo-test";
const AKT: u128 = POWER_REDUCTION;

fn key(n: u8) -> PrivKey {
    PrivKey::from_bytes(&[n; 32]).expect("valid key")
}

/// A genesis funding `keys` (account numbers 0, 1, … in order) with 1,000 AKT each.
fn funded(keys: &[&PrivKey]) -> Genesis {
    let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    for k in keys {
        g.add_account(&k.address().to_string(), &[Coin::new("uakt", 1_000 * AKT)])
            .expect("account");
    }
    g
}

/// What `kumo genesis gentx` makes: one MsgCreateValidator, zero fee, gas 200000, signed
/// SIGN_MODE_DIRECT at sequence 0.
fn sign_gentx(k: &PrivKey, cons: u8, amount: u128, chain_id: &str, account_number: u64) -> GenTx {
    #[allow(deprecated)]
    let msg = MsgCreateValidator {
        description: Some(Description {
            moniker: format!("node-{cons}"),
            ..Default::default()
        }),
        commission: Some(CommissionRates {
            rate: (kumo_proto::math::DEC_ONE / 10).to_string(),
            max_rate: (kumo_proto::math::DEC_ONE / 5).to_string(),
            max_change_rate: (kumo_proto::math::DEC_ONE / 100).to_string(),
        }),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: k.address().to_bech32(VALOPER_HRP),
        pubkey: Some(Any {
            type_url: crate::staking::state::ED25519_PUBKEY_URL.into(),
            value: Ed25519PubKey {
                key: vec![cons; 32],
            }
            .encode_to_vec(),
        }),
        value: Some(ProtoCoin {
            denom: "uakt".into(),
            amount: amount.to_string(),
        }),
    };
    let body = TxBody {
        messages: vec![Any {
            type_url: MSG_CREATE_VALIDATOR.into(),
            value: msg.encode_to_vec(),
        }],
        memo: format!("{}@127.0.0.1:26656", hex::encode([cons; 20])),
        ..Default::default()
    };
    #[allow(deprecated)]
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(crate::auth::pubkey_any(&k.pubkey())),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence: 0,
        }],
        fee: Some(Fee {
            amount: vec![],
            gas_limit: 200_000,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    };
    let doc = SignDoc {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth_info.encode_to_vec(),
        chain_id: chain_id.into(),
        account_number,
    };
    let signature = k.sign(&doc.encode_to_vec());
    let raw = TxRaw {
        body_bytes: doc.body_bytes,
        auth_info_bytes: doc.auth_info_bytes,
        signatures: vec![signature.to_vec()],
    };
    GenTx::from_bytes(&raw.encode_to_vec()).expect("a well-formed gentx")
}

fn with_gentxs(mut g: Genesis, txs: &[&GenTx]) -> Genesis {
    g.app_state.genutil.gen_txs = txs.iter().map(|t| t.to_json()).collect();
    g
}

#[test]
fn json_round_trips_to_the_signed_bytes() {
    let k = key(1);
    let t = sign_gentx(&k, 7, 100 * AKT, CHAIN, 0);
    let j = t.to_json();
    assert_eq!(
        j["body"]["messages"][0]["commission"]["rate"],
        "0.100000000000000000"
    );
    assert_eq!(
        j["auth_info"]["signer_infos"][0]["mode_info"]["single"]["mode"],
        "SIGN_MODE_DIRECT"
    );
    assert_eq!(j["auth_info"]["fee"]["gas_limit"], "200000");
    let back = GenTx::from_json(&j).unwrap();
    assert_eq!(back.bytes(), t.bytes());
    assert_eq!(back.moniker, "node-7");
    // And through the text of a genesis file.
    let g = with_gentxs(funded(&[&k]), &[&t]);
    let g = Genesis::from_json(&g.to_json()).unwrap();
    assert_eq!(
        GenTx::from_json(&g.app_state.genutil.gen_txs[0])
            .unwrap()
            .bytes(),
        t.bytes()
    );
}

#[test]
fn two_gentxs_bond_two_validators_with_their_powers() {
    let (a, b) = (key(1), key(2));
    let ta = sign_gentx(&a, 11, 100 * AKT, CHAIN, 0);
    let tb = sign_gentx(&b, 22, 250 * AKT, CHAIN, 1);
    let g = with_gentxs(funded(&[&a, &b]), &[&ta, &tb]);
    let set = genesis_validators(&g).unwrap();
    assert_eq!(
        set,
        vec![
            ValidatorUpdate {
                pub_key: vec![22; 32],
                power: 250
            },
            ValidatorUpdate {
                pub_key: vec![11; 32],
                power: 100
            },
        ]
    );
    validate_genesis(&g).unwrap();
}

#[test]
fn gentx_bumps_the_sequence_and_delegates_from_the_balance() {
    let a = key(1);
    let t = sign_gentx(&a, 11, 100 * AKT, CHAIN, 0);
    let g = with_gentxs(funded(&[&a]), &[&t]);
    let mut st = crate::test_ctx::TestChain::new();
    let (r, _) = st.with(|ctx| {
        crate::app::init_genesis(ctx, &g.app_state)?;
        let acc = crate::auth::get_account(ctx, &a.address())?.unwrap();
        let left = crate::bank::state::balance(ctx, &a.address(), "uakt")?;
        let v = staking::validator(ctx, &a.address()).unwrap();
        Ok::<_, crate::errors::SdkError>((acc.base().sequence, left, v.is_bonded(), v.tokens))
    });
    assert_eq!(r.unwrap(), (1, 900 * AKT, true, 100 * AKT));
}

use crate::staking::state as staking;

#[test]
fn staking_genesis_validators_count_beside_gentxs() {
    let (a, b) = (key(1), key(2));
    let mut g = funded(&[&a, &b]);
    crate::staking::genesis::add_genesis_validator(
        &mut g,
        &b.address(),
        &[33; 32],
        "from-staking",
        300 * AKT,
        kumo_proto::math::DEC_ONE / 10,
    )
    .unwrap();
    let g = with_gentxs(g, &[&sign_gentx(&a, 11, 100 * AKT, CHAIN, 0)]);
    let set = genesis_validators(&g).unwrap();
    let powers: Vec<(u8, i64)> = set.iter().map(|u| (u.pub_key[0], u.power)).collect();
    assert_eq!(powers, vec![(33, 300), (11, 100)]);
}

#[test]
fn no_validator_is_refused() {
    let g = funded(&[&key(1)]);
    assert_eq!(validate_genesis(&g).unwrap_err(), NO_VALIDATOR);
    // Below one unit of power a validator exists but is not bonded.
    let a = key(1);
    let g = with_gentxs(funded(&[&a]), &[&sign_gentx(&a, 11, AKT - 1, CHAIN, 0)]);
    assert_eq!(validate_genesis(&g).unwrap_err(), NO_VALIDATOR);
}

#[test]
fn duplicate_gentxs_are_refused() {
    let (a, b) = (key(1), key(2));
    let t = sign_gentx(&a, 11, 100 * AKT, CHAIN, 0);
    let g = with_gentxs(funded(&[&a, &b]), &[&t, &t]);
    let e = validate_genesis(&g).unwrap_err();
    assert!(e.contains("gentx 1") && e.contains("gentx 2"), "{e}");
    assert!(e.contains("both create validator"), "{e}");
    // Two operators, one consensus key.
    let tb = sign_gentx(&b, 11, 100 * AKT, CHAIN, 1);
    let e = validate_genesis(&with_gentxs(funded(&[&a, &b]), &[&t, &tb])).unwrap_err();
    assert!(e.contains("both use consensus key"), "{e}");
}

#[test]
fn unfunded_signers_are_refused() {
    let (a, b) = (key(1), key(2));
    // Not in genesis at all.
    let t = sign_gentx(&b, 22, 100 * AKT, CHAIN, 1);
    let e = validate_genesis(&with_gentxs(funded(&[&a]), &[&t])).unwrap_err();
    assert!(e.contains("is not a genesis account"), "{e}");
    assert!(e.contains("kumo genesis add-account"), "{e}");
    // In genesis, but short of the self-delegation.
    let t = sign_gentx(&a, 11, 5_000 * AKT, CHAIN, 0);
    let e = validate_genesis(&with_gentxs(funded(&[&a]), &[&t])).unwrap_err();
    assert!(e.contains("less than the self-delegation"), "{e}");
}

#[test]
fn tampered_or_misdirected_signatures_are_refused() {
    let a = key(1);
    let t = sign_gentx(&a, 11, 100 * AKT, CHAIN, 0);
    // A field changed after signing.
    let mut j = t.to_json();
    j["body"]["messages"][0]["description"]["moniker"] = "evil".into();
    let mut g = funded(&[&a]);
    g.app_state.genutil.gen_txs = vec![j];
    let e = validate_genesis(&g).unwrap_err();
    assert!(e.contains("signature does not verify"), "{e}");
    // A signature byte flipped.
    let mut j = t.to_json();
    let mut sig = B64.decode(j["signatures"][0].as_str().unwrap()).unwrap();
    sig[5] ^= 1;
    j["signatures"][0] = B64.encode(sig).into();
    g.app_state.genutil.gen_txs = vec![j];
    assert!(validate_genesis(&g)
        .unwrap_err()
        .contains("signature does not verify"));
    // Signed for another chain, or with another account number.
    for t in [
        sign_gentx(&a, 11, 100 * AKT, "other-chain", 0),
        sign_gentx(&a, 11, 100 * AKT, CHAIN, 5),
    ] {
        let e = validate_genesis(&with_gentxs(funded(&[&a]), &[&t])).unwrap_err();
        assert!(e.contains(&format!("chain id {CHAIN:?}")), "{e}");
    }
}

#[test]
fn a_gentx_holds_one_create_validator() {
    let a = key(1);
    let mut j = sign_gentx(&a, 11, 100 * AKT, CHAIN, 0).to_json();
    j["body"]["messages"][0] = serde_json::json!({
        "@type": "/cosmos.bank.v1beta1.MsgSend", "from_address": "", "to_address": "", "amount": []
    });
    let e = GenTx::from_json(&j).unwrap_err();
    assert!(
        e.contains("exactly one /cosmos.staking.v1beta1.MsgCreateValidator"),
        "{e}"
    );
}

#[test]
fn genesis_files_without_genutil_still_parse() {
    let text = Genesis::new(CHAIN, "2026-01-01T00:00:00Z").to_json();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["app_state"]["genutil"],
        serde_json::json!({"gen_txs": []})
    );
    v["app_state"].as_object_mut().unwrap().remove("genutil");
    let g = Genesis::from_json(&v.to_string()).unwrap();
    assert!(g.app_state.genutil.gen_txs.is_empty());
}

#[test]
fn init_chain_reports_the_set_once_and_nothing_on_restart() {
    let a = key(1);
    let g = with_gentxs(funded(&[&a]), &[&sign_gentx(&a, 11, 100 * AKT, CHAIN, 0)]);
    let store = kumo_store::Store::in_memory(kumo_store::StoreOptions::default()).unwrap();
    let mut app = App::new(store.clone(), AppConfig::new(CHAIN));
    let set = app.init_chain(&g).unwrap();
    assert_eq!(set.len(), 1);
    app.finalize_block(&FinalizeBlockRequest {
        height: 1,
        time: BlockTime {
            seconds: 1_767_225_600,
            nanos: 0,
        },
        ..Default::default()
    })
    .unwrap();
    drop(app.commit(vec![]).unwrap());
    let mut restarted = App::new(store, AppConfig::new(CHAIN));
    assert_eq!(restarted.init_chain(&g).unwrap(), vec![]);
}
