//! feegrant over an in-memory chain: grants and revocations through the message router, and
//! signed txs whose fee names a granter through the real ante handler: limits spent down and
//! exhausted, periodic refills by block time, expiry and pruning, the allowed-messages filter,
//! a granter without funds, queries, genesis, and a property test that granted fees never
//! create or lose tokens.

use super::allowance::{self, format_duration, parse_duration, Allowance};
use super::genesis;
use crate::abci::Event;
use crate::ante::{self, AnteParams, SigCache};
use crate::auth;
use crate::errors::SdkResult;
use crate::msgs::Msg;
use crate::test_ctx::{economy_chain, TestChain};
use crate::tx::{decode_tx, DecodedTx};
use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::feegrant::v1beta1::{
    AllowedMsgAllowance, BasicAllowance, MsgGrantAllowance, MsgPruneAllowances, MsgRevokeAllowance,
    PeriodicAllowance, QueryAllowanceRequest, QueryAllowanceResponse,
    QueryAllowancesByGranterRequest, QueryAllowancesByGranterResponse, QueryAllowancesRequest,
    QueryAllowancesResponse,
};
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::tendermint::google::protobuf::Duration;
use cosmos_sdk_proto::{Any, Timestamp};
use kumo_crypto::{Address, PrivKey, ACCOUNT_HRP};
use prost::{Message, Name};

/// Funded granter.
const ALICE: u8 = 1;
/// Grantee with no balance and, until a grant, no account.
const BOB: u8 = 2;
/// Funded bystander.
const CAROL: u8 = 3;
/// Granter with a small balance.
const DAVE: u8 = 4;
const START: u128 = 1_000_000;
const DAVE_START: u128 = 100;

fn key(n: u8) -> PrivKey {
    PrivKey::from_bytes(&[n; 32]).expect("valid key")
}

fn who(n: u8) -> Address {
    key(n).address()
}

fn bech(n: u8) -> String {
    who(n).to_bech32(ACCOUNT_HRP)
}

fn net() -> TestChain {
    let mut g = crate::genesis::Genesis::new("kumo-test", "2026-01-01T00:00:00Z");
    for (n, amount) in [(ALICE, START), (CAROL, START), (DAVE, DAVE_START)] {
        g.add_account(&bech(n), &[crate::coins::Coin::new("uakt", amount)])
            .unwrap();
    }
    economy_chain(&g)
}

fn any<M: Message + Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

fn uakt(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: "uakt".into(),
        amount: amount.to_string(),
    }
}

fn basic(limit: Option<u128>, expiration: Option<Timestamp>) -> BasicAllowance {
    BasicAllowance {
        spend_limit: limit.map(uakt).into_iter().collect(),
        expiration,
    }
}

fn grant_msg(granter: u8, grantee: u8, allowance: Any) -> MsgGrantAllowance {
    MsgGrantAllowance {
        granter: bech(granter),
        grantee: bech(grantee),
        allowance: Some(allowance),
    }
}

fn revoke_msg(granter: u8, grantee: u8) -> MsgRevokeAllowance {
    MsgRevokeAllowance {
        granter: bech(granter),
        grantee: bech(grantee),
    }
}

fn send(from: u8, to: u8, amount: u128) -> Any {
    any(&MsgSend {
        from_address: bech(from),
        to_address: bech(to),
        amount: vec![uakt(amount)],
    })
}

/// A message `n` can sign with an empty balance.
fn prune(n: u8) -> Any {
    any(&MsgPruneAllowances { pruner: bech(n) })
}

fn balance(net: &mut TestChain, n: u8) -> u128 {
    net.balance(&who(n), "uakt")
}

fn collector(net: &mut TestChain) -> u128 {
    net.balance(&auth::module_address(auth::FEE_COLLECTOR), "uakt")
}

fn now(net: &TestChain) -> Timestamp {
    allowance::block_timestamp(net.block_info().time)
}

fn at(net: &TestChain, later: i64) -> Timestamp {
    Timestamp {
        seconds: net.block_info().time.seconds + later,
        nanos: 0,
    }
}

fn code(r: SdkResult<Vec<Event>>) -> (&'static str, u32, String) {
    let e = r.expect_err("must be refused");
    (e.codespace, e.code, e.log)
}

fn has_event(events: &[Event], kind: &str) -> bool {
    events.iter().any(|e| e.kind == kind)
}

/// A SIGN_MODE_DIRECT tx of `msgs` signed by `signer` at its current sequence, paying `fee`
/// uakt, with `granter` in `Fee.granter` when given.
fn signed_tx(
    net: &mut TestChain,
    signer: u8,
    msgs: Vec<Any>,
    fee: u128,
    granter: Option<u8>,
) -> DecodedTx {
    let k = key(signer);
    let (acc, _) = net.with(|ctx| auth::get_account(ctx, &k.address()));
    let acc = acc.unwrap().expect("signer has an account");
    let body = TxBody {
        messages: msgs,
        ..Default::default()
    };
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(auth::pubkey_any(&k.pubkey())),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence: acc.base().sequence,
        }],
        fee: Some(Fee {
            amount: if fee == 0 { vec![] } else { vec![uakt(fee)] },
            gas_limit: 200_000,
            payer: String::new(),
            granter: granter.map(bech).unwrap_or_default(),
        }),
        ..Default::default()
    };
    let body_bytes = body.encode_to_vec();
    let auth_info_bytes = auth_info.encode_to_vec();
    let sign_doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: net.block_info().chain_id.clone(),
        account_number: acc.base().account_number,
    };
    let raw = TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![k.sign(&sign_doc.encode_to_vec()).to_vec()],
    };
    decode_tx(&raw.encode_to_vec()).expect("tx decodes")
}

/// Runs `tx` as a block does: the ante handler (nothing kept when it refuses), then the
/// messages in a nested layer dropped when one fails.
fn deliver_tx(net: &mut TestChain, tx: &DecodedTx) -> SdkResult<Vec<Event>> {
    let cache = SigCache::default();
    let p = AnteParams {
        min_gas_prices: &[],
        sig_cache: &cache,
    };
    let (r, events) = net.with(|ctx| {
        ctx.push_layer();
        if let Err(e) = ante::run(ctx, tx, &p) {
            ctx.discard_layer();
            return Err(e);
        }
        ctx.push_layer();
        for m in &tx.msgs {
            if let Err(e) = m.execute(ctx) {
                ctx.discard_layer();
                ctx.commit_layer();
                return Err(e);
            }
        }
        ctx.commit_layer();
        ctx.commit_layer();
        Ok(())
    });
    r.map(|_| events)
}

/// Signs and delivers: `signer` runs `msgs` paying `fee`, granted by `granter` when given.
fn pay(
    net: &mut TestChain,
    signer: u8,
    msgs: Vec<Any>,
    fee: u128,
    granter: Option<u8>,
) -> SdkResult<Vec<Event>> {
    let tx = signed_tx(net, signer, msgs, fee, granter);
    deliver_tx(net, &tx)
}

fn sequence(net: &mut TestChain, n: u8) -> u64 {
    let (acc, _) = net.with(|ctx| auth::get_account(ctx, &who(n)));
    acc.unwrap().expect("account").base().sequence
}

fn query_allowance(net: &mut TestChain, granter: u8, grantee: u8) -> SdkResult<Allowance> {
    let r: QueryAllowanceResponse = net.query(
        "/cosmos.feegrant.v1beta1.Query/Allowance",
        &QueryAllowanceRequest {
            granter: bech(granter),
            grantee: bech(grantee),
        },
    )?;
    let grant = r.allowance.expect("grant");
    assert_eq!(grant.granter, bech(granter));
    assert_eq!(grant.grantee, bech(grantee));
    Allowance::from_any(grant.allowance.as_ref().expect("allowance"))
}

fn basic_left(net: &mut TestChain, granter: u8, grantee: u8) -> Vec<crate::coins::Coin> {
    match query_allowance(net, granter, grantee).unwrap() {
        Allowance::Basic(b) => b.spend_limit,
        other => panic!("not a basic allowance: {other:?}"),
    }
}

fn periodic(net: &mut TestChain, granter: u8, grantee: u8) -> allowance::Periodic {
    match query_allowance(net, granter, grantee).unwrap() {
        Allowance::Periodic(p) => p,
        other => panic!("not a periodic allowance: {other:?}"),
    }
}

#[test]
fn basic_allowance_pays_fees_until_spent_then_is_gone() {
    let mut net = net();
    let events = net
        .deliver(&grant_msg(ALICE, BOB, any(&basic(Some(1000), None))))
        .unwrap();
    let set = events
        .iter()
        .find(|e| e.kind == "set_feegrant")
        .expect("set_feegrant");
    assert_eq!(set.get("granter"), Some(bech(ALICE).as_str()));
    assert_eq!(set.get("grantee"), Some(bech(BOB).as_str()));
    // The grant gave bob an account, so bob can sign with nothing in it.
    assert_eq!(balance(&mut net, BOB), 0);

    let events = pay(&mut net, BOB, vec![prune(BOB)], 400, Some(ALICE)).unwrap();
    assert!(has_event(&events, "use_feegrant"));
    assert!(has_event(&events, "update_feegrant"));
    let tx_event = events
        .iter()
        .find(|e| e.kind == "tx" && e.get("fee_payer").is_some())
        .expect("tx fee event");
    assert_eq!(tx_event.get("fee_payer"), Some(bech(ALICE).as_str()));
    assert_eq!(tx_event.get("fee"), Some("400uakt"));
    assert_eq!(balance(&mut net, ALICE), START - 400);
    assert_eq!(balance(&mut net, BOB), 0);
    assert_eq!(collector(&mut net), 400);
    assert_eq!(
        basic_left(&mut net, ALICE, BOB),
        vec![crate::coins::Coin::new("uakt", 600)]
    );

    pay(&mut net, BOB, vec![prune(BOB)], 400, Some(ALICE)).unwrap();
    assert_eq!(
        basic_left(&mut net, ALICE, BOB),
        vec![crate::coins::Coin::new("uakt", 200)]
    );

    // Over the limit: refused with the SDK's error, and nothing of the tx is kept.
    let seq = sequence(&mut net, BOB);
    let (space, c, log) = code(pay(&mut net, BOB, vec![prune(BOB)], 201, Some(ALICE)));
    assert_eq!((space, c), ("feegrant", 2));
    assert_eq!(
        log,
        format!(
            "{} does not allow to pay fees for {}: basic allowance: fee limit exceeded",
            bech(ALICE),
            bech(BOB)
        )
    );
    assert_eq!(sequence(&mut net, BOB), seq);
    assert_eq!(balance(&mut net, ALICE), START - 800);
    // A fee in a denom the limit does not hold is over the limit too.
    let tx = {
        let mut t = signed_tx(&mut net, BOB, vec![prune(BOB)], 0, Some(ALICE));
        let mut info = t.auth_info.clone();
        info.fee.as_mut().unwrap().amount = vec![ProtoCoin {
            denom: "uusdc".into(),
            amount: "1".into(),
        }];
        t.auth_info = info;
        t
    };
    // (Re-signing is not needed: the grant check runs before the signature check.)
    assert_eq!(code(deliver_tx(&mut net, &tx)).1, 2);

    // Spending exactly what is left uses the allowance up: it is removed.
    let events = pay(&mut net, BOB, vec![prune(BOB)], 200, Some(ALICE)).unwrap();
    assert!(has_event(&events, "revoke_feegrant"));
    assert!(has_event(&events, "use_feegrant"));
    assert_eq!(balance(&mut net, ALICE), START - 1000);
    assert_eq!(collector(&mut net), 1000);
    let e = query_allowance(&mut net, ALICE, BOB).unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 38));
    assert_eq!(e.log, "fee-grant not found: not found");
    let (space, c, log) = code(pay(&mut net, BOB, vec![prune(BOB)], 1, Some(ALICE)));
    assert_eq!((space, c), ("sdk", 38));
    let tail = format!(
        "does not allow to pay fees for {}: fee-grant not found: not found",
        bech(BOB)
    );
    assert!(log.ends_with(&tail), "{log}");
}

#[test]
fn an_unlimited_allowance_pays_any_fee_and_stays() {
    let mut net = net();
    net.deliver(&grant_msg(ALICE, BOB, any(&basic(None, None))))
        .unwrap();
    for _ in 0..3 {
        pay(&mut net, BOB, vec![prune(BOB)], 5000, Some(ALICE)).unwrap();
    }
    assert_eq!(balance(&mut net, ALICE), START - 15_000);
    assert!(basic_left(&mut net, ALICE, BOB).is_empty());
    // A granter paying its own fee needs no grant.
    pay(&mut net, ALICE, vec![prune(ALICE)], 7, Some(ALICE)).unwrap();
    assert_eq!(balance(&mut net, ALICE), START - 15_007);
}

#[test]
fn periodic_allowance_refills_at_the_period_boundary_by_block_time() {
    let mut net = net();
    let t0 = now(&net).seconds;
    let p = PeriodicAllowance {
        basic: Some(basic(Some(1000), None)),
        period: Some(Duration {
            seconds: 100,
            nanos: 0,
        }),
        period_spend_limit: vec![uakt(300)],
        period_can_spend: vec![uakt(300)],
        period_reset: None,
    };
    net.deliver(&grant_msg(ALICE, BOB, any(&p))).unwrap();
    // The first period starts at the grant's block time.
    assert_eq!(
        periodic(&mut net, ALICE, BOB).period_reset.seconds,
        t0 + 100
    );

    pay(&mut net, BOB, vec![prune(BOB)], 300, Some(ALICE)).unwrap();
    let (space, c, log) = code(pay(&mut net, BOB, vec![prune(BOB)], 1, Some(ALICE)));
    assert_eq!((space, c), ("feegrant", 2));
    assert!(log.ends_with("period limit: fee limit exceeded"), "{log}");
    net.advance(99);
    assert_eq!(
        code(pay(&mut net, BOB, vec![prune(BOB)], 1, Some(ALICE))).1,
        2
    );

    // At the reset time the period refills; the next reset steps one period from the last.
    net.advance(1);
    pay(&mut net, BOB, vec![prune(BOB)], 300, Some(ALICE)).unwrap();
    let p = periodic(&mut net, ALICE, BOB);
    assert_eq!(p.period_reset.seconds, t0 + 200);
    assert!(p.period_can_spend.is_empty());
    assert_eq!(
        p.basic.spend_limit,
        vec![crate::coins::Coin::new("uakt", 400)]
    );

    // After a long pause the next reset is a period from now.
    net.advance(350);
    pay(&mut net, BOB, vec![prune(BOB)], 300, Some(ALICE)).unwrap();
    let p = periodic(&mut net, ALICE, BOB);
    assert_eq!(p.period_reset.seconds, t0 + 550);
    assert_eq!(
        p.basic.spend_limit,
        vec![crate::coins::Coin::new("uakt", 100)]
    );

    // The last refill is what the total limit has left (100 < 300), then the grant is gone.
    net.advance(100);
    assert_eq!(
        code(pay(&mut net, BOB, vec![prune(BOB)], 101, Some(ALICE))).1,
        2
    );
    let events = pay(&mut net, BOB, vec![prune(BOB)], 100, Some(ALICE)).unwrap();
    assert!(has_event(&events, "revoke_feegrant"));
    assert_eq!(query_allowance(&mut net, ALICE, BOB).unwrap_err().code, 38);
    assert_eq!(balance(&mut net, ALICE), START - 1000);
}

#[test]
fn an_expired_allowance_is_refused_and_pruned() {
    let mut net = net();
    let exp = at(&net, 50);
    net.deliver(&grant_msg(ALICE, BOB, any(&basic(Some(1000), Some(exp)))))
        .unwrap();
    net.deliver(&grant_msg(
        ALICE,
        CAROL,
        any(&basic(Some(1000), Some(at(&net, 500)))),
    ))
    .unwrap();
    // (Bob sends coins here: a MsgPruneAllowances would prune the grant itself.)
    net.deliver(&MsgSend {
        from_address: bech(CAROL),
        to_address: bech(BOB),
        amount: vec![uakt(100)],
    })
    .unwrap();
    // Usable up to and including the expiration time.
    net.advance(50);
    pay(&mut net, BOB, vec![send(BOB, CAROL, 1)], 10, Some(ALICE)).unwrap();
    net.advance(1);
    let (space, c, log) = code(pay(
        &mut net,
        BOB,
        vec![send(BOB, CAROL, 1)],
        10,
        Some(ALICE),
    ));
    assert_eq!((space, c), ("feegrant", 3));
    assert!(
        log.ends_with("basic allowance: fee allowance expired"),
        "{log}"
    );
    // Still stored (the refused tx kept nothing) until end block prunes it.
    assert!(query_allowance(&mut net, ALICE, BOB).is_ok());
    let (r, _) = net.with(super::end_block);
    r.unwrap();
    assert_eq!(query_allowance(&mut net, ALICE, BOB).unwrap_err().code, 38);
    // The allowance that has not expired stays.
    assert!(query_allowance(&mut net, ALICE, CAROL).is_ok());

    // A new grant must not have expired already.
    let e = net
        .deliver(&grant_msg(
            ALICE,
            BOB,
            any(&basic(Some(1), Some(at(&net, -1)))),
        ))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 18));
    assert!(
        e.log.starts_with("expiration is before current block time"),
        "{}",
        e.log
    );
}

#[test]
fn prune_allowances_removes_only_expired_ones() {
    let mut net = net();
    net.deliver(&grant_msg(
        ALICE,
        BOB,
        any(&basic(None, Some(at(&net, 10)))),
    ))
    .unwrap();
    net.deliver(&grant_msg(
        CAROL,
        BOB,
        any(&basic(None, Some(at(&net, 30)))),
    ))
    .unwrap();
    net.deliver(&grant_msg(DAVE, BOB, any(&basic(None, None))))
        .unwrap();
    net.advance(20);
    let events = net
        .deliver(&MsgPruneAllowances {
            pruner: bech(CAROL),
        })
        .unwrap();
    let e = events
        .iter()
        .find(|e| e.kind == "prune_feegrant")
        .expect("prune event");
    assert_eq!(e.get("pruner"), Some(bech(CAROL).as_str()));
    assert_eq!(query_allowance(&mut net, ALICE, BOB).unwrap_err().code, 38);
    assert!(query_allowance(&mut net, CAROL, BOB).is_ok());
    assert!(query_allowance(&mut net, DAVE, BOB).is_ok());
    // A revoked allowance leaves nothing in the expiry queue for a later prune to trip on.
    net.deliver(&revoke_msg(CAROL, BOB)).unwrap();
    net.advance(100);
    net.deliver(&MsgPruneAllowances {
        pruner: bech(CAROL),
    })
    .unwrap();
    assert!(query_allowance(&mut net, DAVE, BOB).is_ok());
}

#[test]
fn allowed_messages_filter_the_txs_a_grant_pays_for() {
    let mut net = net();
    let allowed = AllowedMsgAllowance {
        allowance: Some(any(&basic(Some(1000), None))),
        allowed_messages: vec![MsgPruneAllowances::type_url()],
    };
    net.deliver(&grant_msg(ALICE, BOB, any(&allowed))).unwrap();
    pay(&mut net, BOB, vec![prune(BOB)], 100, Some(ALICE)).unwrap();
    // The inner allowance is spent down inside the wrapper.
    match query_allowance(&mut net, ALICE, BOB).unwrap() {
        Allowance::AllowedMsg(a) => match *a.allowance {
            Allowance::Basic(b) => {
                assert_eq!(b.spend_limit, vec![crate::coins::Coin::new("uakt", 900)])
            }
            other => panic!("inner {other:?}"),
        },
        other => panic!("{other:?}"),
    }
    net.deliver(&MsgSend {
        from_address: bech(CAROL),
        to_address: bech(BOB),
        amount: vec![uakt(50)],
    })
    .unwrap();
    // A tx with any message outside the list is refused, even next to an allowed one.
    let (space, c, log) = code(pay(
        &mut net,
        BOB,
        vec![prune(BOB), send(BOB, CAROL, 10)],
        100,
        Some(ALICE),
    ));
    assert_eq!((space, c), ("feegrant", 7));
    assert!(
        log.ends_with("message does not exist in allowed messages: message not allowed"),
        "{log}"
    );
    assert_eq!(balance(&mut net, BOB), 50);
    assert_eq!(balance(&mut net, ALICE), START - 100);

    // An empty list is refused when granting.
    let empty = AllowedMsgAllowance {
        allowance: Some(any(&basic(Some(1), None))),
        allowed_messages: vec![],
    };
    let e = net
        .deliver(&grant_msg(CAROL, BOB, any(&empty)))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("feegrant", 6));
    let none = AllowedMsgAllowance {
        allowance: None,
        allowed_messages: vec![MsgSend::type_url()],
    };
    let e = net.deliver(&grant_msg(CAROL, BOB, any(&none))).unwrap_err();
    assert_eq!((e.codespace, e.code), ("feegrant", 5));
}

#[test]
fn revoke_and_the_grant_refusals() {
    let mut net = net();
    net.deliver(&grant_msg(ALICE, BOB, any(&basic(Some(1000), None))))
        .unwrap();
    let e = net
        .deliver(&grant_msg(ALICE, BOB, any(&basic(Some(5), None))))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 18));
    assert!(e.log.starts_with("fee allowance already exists"));
    let e = net
        .deliver(&grant_msg(ALICE, ALICE, any(&basic(Some(5), None))))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 7));
    // Only the granter can revoke: carol has no grant to bob.
    assert_eq!(net.deliver(&revoke_msg(CAROL, BOB)).unwrap_err().code, 38);

    let events = net.deliver(&revoke_msg(ALICE, BOB)).unwrap();
    assert!(has_event(&events, "revoke_feegrant"));
    assert_eq!(
        code(pay(&mut net, BOB, vec![prune(BOB)], 1, Some(ALICE))).1,
        38
    );
    let e = net.deliver(&revoke_msg(ALICE, BOB)).unwrap_err();
    assert_eq!(
        (e.codespace, e.code, e.log.as_str()),
        ("sdk", 38, "fee-grant not found: not found")
    );
    // After a revoke the granter may grant again.
    net.deliver(&grant_msg(ALICE, BOB, any(&basic(Some(5), None))))
        .unwrap();

    // Bad allowances are refused with the SDK's codes.
    let zero = BasicAllowance {
        spend_limit: vec![uakt(0)],
        expiration: None,
    };
    assert_eq!(
        net.deliver(&grant_msg(CAROL, BOB, any(&zero)))
            .unwrap_err()
            .code,
        10
    );
    let other_denom = PeriodicAllowance {
        basic: Some(basic(Some(10), None)),
        period: Some(Duration {
            seconds: 10,
            nanos: 0,
        }),
        period_spend_limit: vec![ProtoCoin {
            denom: "uusdc".into(),
            amount: "1".into(),
        }],
        period_can_spend: vec![],
        period_reset: None,
    };
    assert_eq!(
        net.deliver(&grant_msg(CAROL, BOB, any(&other_denom)))
            .unwrap_err()
            .code,
        10
    );
    let negative = PeriodicAllowance {
        basic: Some(basic(None, None)),
        period: Some(Duration {
            seconds: -1,
            nanos: 0,
        }),
        period_spend_limit: vec![uakt(1)],
        period_can_spend: vec![],
        period_reset: None,
    };
    let e = net
        .deliver(&grant_msg(CAROL, BOB, any(&negative)))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("feegrant", 4));
    let unknown = Any {
        type_url: "/cosmos.feegrant.v1beta1.Nope".into(),
        value: vec![],
    };
    assert!(Msg::from_any(&any(&grant_msg(CAROL, BOB, unknown))).is_err());
}

#[test]
fn a_granter_without_funds_cannot_pay() {
    let mut net = net();
    net.deliver(&grant_msg(DAVE, BOB, any(&basic(None, None))))
        .unwrap();
    let (space, c, _) = code(pay(
        &mut net,
        BOB,
        vec![prune(BOB)],
        DAVE_START + 1,
        Some(DAVE),
    ));
    assert_eq!((space, c), ("sdk", 5));
    assert_eq!(balance(&mut net, DAVE), DAVE_START);
    // Bob's own (empty) balance is never touched for a granted fee.
    pay(&mut net, BOB, vec![prune(BOB)], DAVE_START, Some(DAVE)).unwrap();
    assert_eq!(balance(&mut net, DAVE), 0);
    assert_eq!(
        code(pay(&mut net, BOB, vec![prune(BOB)], 1, Some(DAVE))).1,
        5
    );
    // Without a granter bob pays himself, and he has nothing.
    assert_eq!(code(pay(&mut net, BOB, vec![prune(BOB)], 1, None)).1, 5);
}

#[test]
fn queries_list_by_grantee_and_by_granter_with_pages() {
    let mut net = net();
    net.deliver(&grant_msg(ALICE, BOB, any(&basic(Some(1), None))))
        .unwrap();
    net.deliver(&grant_msg(CAROL, BOB, any(&basic(Some(2), None))))
        .unwrap();
    net.deliver(&grant_msg(ALICE, CAROL, any(&basic(Some(3), None))))
        .unwrap();
    let r: QueryAllowancesResponse = net
        .query(
            "/cosmos.feegrant.v1beta1.Query/Allowances",
            &QueryAllowancesRequest {
                grantee: bech(BOB),
                pagination: None,
            },
        )
        .unwrap();
    let mut granters: Vec<String> = r.allowances.iter().map(|g| g.granter.clone()).collect();
    granters.sort();
    let mut want = vec![bech(ALICE), bech(CAROL)];
    want.sort();
    assert_eq!(granters, want);
    assert!(r.allowances.iter().all(|g| g.grantee == bech(BOB)));
    assert_eq!(r.pagination.unwrap().total, 2);

    let r: QueryAllowancesByGranterResponse = net
        .query(
            "/cosmos.feegrant.v1beta1.Query/AllowancesByGranter",
            &QueryAllowancesByGranterRequest {
                granter: bech(ALICE),
                pagination: Some(PageRequest {
                    limit: 1,
                    count_total: true,
                    ..Default::default()
                }),
            },
        )
        .unwrap();
    assert_eq!(r.allowances.len(), 1);
    let page = r.pagination.unwrap();
    assert!(!page.next_key.is_empty());
    let r2: QueryAllowancesByGranterResponse = net
        .query(
            "/cosmos.feegrant.v1beta1.Query/AllowancesByGranter",
            &QueryAllowancesByGranterRequest {
                granter: bech(ALICE),
                pagination: Some(PageRequest {
                    key: page.next_key,
                    limit: 1,
                    ..Default::default()
                }),
            },
        )
        .unwrap();
    assert_eq!(r2.allowances.len(), 1);
    assert_ne!(r.allowances[0].grantee, r2.allowances[0].grantee);
    assert!(r
        .allowances
        .iter()
        .chain(&r2.allowances)
        .all(|g| g.granter == bech(ALICE)));

    let e = net
        .query::<_, QueryAllowanceResponse>(
            "/cosmos.feegrant.v1beta1.Query/Allowance",
            &QueryAllowanceRequest {
                granter: String::new(),
                grantee: bech(BOB),
            },
        )
        .unwrap_err();
    assert!(e.log.contains("InvalidArgument"), "{}", e.log);
}

#[test]
fn genesis_round_trips_every_allowance_kind() {
    let mut net = net();
    let t = at(&net, 1000);
    net.deliver(&grant_msg(ALICE, BOB, any(&basic(Some(1000), Some(t)))))
        .unwrap();
    let p = PeriodicAllowance {
        basic: Some(basic(None, None)),
        period: Some(Duration {
            seconds: 3600,
            nanos: 500_000_000,
        }),
        period_spend_limit: vec![uakt(300)],
        period_can_spend: vec![uakt(300)],
        period_reset: None,
    };
    net.deliver(&grant_msg(CAROL, BOB, any(&p))).unwrap();
    let allowed = AllowedMsgAllowance {
        allowance: Some(any(&basic(Some(7), None))),
        allowed_messages: vec![MsgSend::type_url()],
    };
    net.deliver(&grant_msg(ALICE, CAROL, any(&allowed)))
        .unwrap();
    let reset_before = periodic(&mut net, CAROL, BOB).period_reset;

    let (exported, _) = net.with(|ctx| genesis::export(ctx));
    let exported = exported.unwrap();
    assert_eq!(exported.allowances.len(), 3);
    let json = serde_json::to_value(&exported).unwrap();
    let periodic_json = json["allowances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["allowance"]["@type"] == allowance::PERIODIC_ALLOWANCE)
        .unwrap();
    assert_eq!(periodic_json["allowance"]["period"], "3600.5s");

    let mut g = crate::genesis::Genesis::new("kumo-test", "2026-01-01T00:00:00Z");
    for (n, amount) in [(ALICE, START), (CAROL, START)] {
        g.add_account(&bech(n), &[crate::coins::Coin::new("uakt", amount)])
            .unwrap();
    }
    g.app_state.feegrant = serde_json::from_value(json).unwrap();
    let mut fresh = economy_chain(&g);
    let (again, _) = fresh.with(|ctx| genesis::export(ctx));
    assert_eq!(again.unwrap().allowances, exported.allowances);
    // Imported periods keep their reset time; the grantee got an account to sign with.
    assert_eq!(periodic(&mut fresh, CAROL, BOB).period_reset, reset_before);
    pay(&mut fresh, BOB, vec![prune(BOB)], 10, Some(ALICE)).unwrap();

    // A genesis listing the same pair twice is refused.
    let mut twice = g.clone();
    let first = twice.app_state.feegrant.allowances[0].clone();
    twice.app_state.feegrant.allowances.push(first);
    let mut st = crate::test_ctx::TestChain::new();
    let (r, _) = st.with(|ctx| crate::app::init_genesis(ctx, &twice.app_state));
    assert!(r.unwrap_err().log.contains("twice"));
}

#[test]
fn allowance_json_and_durations() {
    assert_eq!(
        parse_duration("3600s").unwrap(),
        Duration {
            seconds: 3600,
            nanos: 0
        }
    );
    assert_eq!(
        parse_duration("1.25s").unwrap(),
        Duration {
            seconds: 1,
            nanos: 250_000_000
        }
    );
    assert_eq!(
        format_duration(&Duration {
            seconds: 1,
            nanos: 250_000_000
        }),
        "1.25s"
    );
    assert_eq!(
        format_duration(&Duration {
            seconds: 86_400,
            nanos: 0
        }),
        "86400s"
    );
    for bad in ["", "10", "s", "1.s0", "1.0000000001s", "x1s"] {
        assert!(parse_duration(bad).is_err(), "{bad:?}");
    }
    let a = Allowance::from_any(&any(&AllowedMsgAllowance {
        allowance: Some(any(&PeriodicAllowance {
            basic: Some(basic(
                Some(10),
                Some(Timestamp {
                    seconds: 1_800_000_000,
                    nanos: 5,
                }),
            )),
            period: Some(Duration {
                seconds: 60,
                nanos: 0,
            }),
            period_spend_limit: vec![uakt(5)],
            period_can_spend: vec![uakt(5)],
            period_reset: Some(Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
        })),
        allowed_messages: vec![MsgSend::type_url()],
    }))
    .unwrap();
    let v = allowance::to_json(&a);
    assert_eq!(v["allowance"]["basic"]["spend_limit"][0]["amount"], "10");
    assert_eq!(v["allowance"]["period"], "60s");
    assert_eq!(allowance::from_json(&v).unwrap(), a);
    assert!(allowance::from_json(&serde_json::json!({"spend_limit": []})).is_err());
}

#[test]
fn safe_sub_is_the_sdks() {
    use crate::coins::Coin;
    let c = |d: &str, a: u128| Coin::new(d, a);
    assert_eq!(
        allowance::safe_sub(&[c("uakt", 10)], &[c("uakt", 4)]),
        Some(vec![c("uakt", 6)])
    );
    assert_eq!(
        allowance::safe_sub(&[c("uakt", 10)], &[c("uakt", 10)]),
        Some(vec![])
    );
    assert_eq!(
        allowance::safe_sub(&[c("uakt", 10)], &[c("uakt", 11)]),
        None
    );
    assert_eq!(
        allowance::safe_sub(&[c("uakt", 10)], &[c("uusdc", 1)]),
        None
    );
    assert_eq!(allowance::safe_sub(&[], &[]), Some(vec![]));
}

/// What `kumo tx authz exec --fee-granter` sends: a grantee with no balance runs the granter's
/// send and delegation through MsgExec, the granter paying the fee.
#[test]
fn a_fee_granted_authz_exec_runs_the_granters_messages() {
    use cosmos_sdk_proto::cosmos::authz::v1beta1::{
        GenericAuthorization, Grant, MsgExec, MsgGrant,
    };
    use cosmos_sdk_proto::cosmos::staking::v1beta1::{
        MsgDelegate, QueryDelegationRequest, QueryDelegationResponse,
    };
    const VAL: u8 = 9;
    let mut g = crate::test_ctx::economy_genesis(
        &[(who(ALICE), START), (who(CAROL), START), (who(VAL), START)],
        &[(2, 21, 100_000, kumo_proto::math::DEC_ONE / 10)],
    );
    crate::test_ctx::without_inflation(&mut g);
    let mut net = economy_chain(&g);
    net.block(5);
    let valoper = who(VAL).to_bech32("akashvaloper");
    net.deliver(&grant_msg(ALICE, BOB, any(&basic(Some(1000), None))))
        .unwrap();
    for url in [MsgSend::type_url(), MsgDelegate::type_url()] {
        net.deliver(&MsgGrant {
            granter: bech(ALICE),
            grantee: bech(BOB),
            grant: Some(Grant {
                authorization: Some(any(&GenericAuthorization { msg: url })),
                expiration: None,
            }),
        })
        .unwrap();
    }
    let delegate = any(&MsgDelegate {
        delegator_address: bech(ALICE),
        validator_address: valoper.clone(),
        amount: Some(uakt(2000)),
    });
    let exec = MsgExec {
        grantee: bech(BOB),
        msgs: vec![send(ALICE, CAROL, 500), delegate.clone()],
    };
    let (alice0, carol0) = (balance(&mut net, ALICE), balance(&mut net, CAROL));
    let events = pay(&mut net, BOB, vec![any(&exec)], 300, Some(ALICE)).unwrap();
    assert!(has_event(&events, "use_feegrant"));
    assert_eq!(balance(&mut net, ALICE), alice0 - 500 - 2000 - 300);
    assert_eq!(balance(&mut net, CAROL), carol0 + 500);
    assert_eq!(balance(&mut net, BOB), 0);
    let d: QueryDelegationResponse = net
        .query(
            "/cosmos.staking.v1beta1.Query/Delegation",
            &QueryDelegationRequest {
                delegator_addr: bech(ALICE),
                validator_addr: valoper,
            },
        )
        .unwrap();
    assert_eq!(
        d.delegation_response.unwrap().balance.unwrap().amount,
        "2000"
    );

    // Without an authz grant for the message type the exec fails, yet the fee (ante) is paid.
    let vote_like = MsgExec {
        grantee: bech(BOB),
        msgs: vec![any(&MsgPruneAllowances {
            pruner: bech(ALICE),
        })],
    };
    let alice1 = balance(&mut net, ALICE);
    let (space, c, _) = code(pay(&mut net, BOB, vec![any(&vote_like)], 100, Some(ALICE)));
    assert_eq!((space, c), ("authz", 2));
    assert_eq!(balance(&mut net, ALICE), alice1 - 100);
    assert_eq!(
        basic_left(&mut net, ALICE, BOB),
        vec![crate::coins::Coin::new("uakt", 600)]
    );
}

mod conservation {
    //! Random grants, revocations, granted fees and time steps: the total supply never moves,
    //! every uakt stays in some account, a granted fee moves exactly from the granter to the
    //! fee collector, and the grantee's balance is never touched by a fee.

    use super::any;
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        GrantBasic(u8, u128),
        GrantPeriodic(u8, u128, i64),
        Revoke(u8),
        Fee(u8, u128),
        Advance(i64),
    }

    const GRANTERS: [u8; 3] = [ALICE, CAROL, DAVE];

    fn op() -> impl Strategy<Value = Op> {
        let granter = prop::sample::select(GRANTERS.to_vec());
        prop_oneof![
            (granter.clone(), 1u128..2_000).prop_map(|(g, l)| Op::GrantBasic(g, l)),
            (granter.clone(), 1u128..500, 1i64..200)
                .prop_map(|(g, l, p)| Op::GrantPeriodic(g, l, p)),
            granter.clone().prop_map(Op::Revoke),
            (granter, 1u128..700).prop_map(|(g, f)| Op::Fee(g, f)),
            (1i64..150).prop_map(Op::Advance),
        ]
    }

    fn total(net: &mut TestChain) -> u128 {
        let (all, _) = net.with(|ctx| crate::bank::query::sum_balances(ctx, "uakt"));
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
        #[test]
        fn granted_fees_never_create_or_lose_tokens(ops in proptest::collection::vec(op(), 1..30)) {
            let mut net = net();
            let (supply0, _) = net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
            let sum0 = total(&mut net);
            prop_assert_eq!(supply0, sum0);
            for op in ops {
                match op {
                    Op::GrantBasic(g, limit) => {
                        let _ = net.deliver(&grant_msg(g, BOB, any(&basic(Some(limit), None))));
                    }
                    Op::GrantPeriodic(g, limit, period) => {
                        let p = PeriodicAllowance {
                            basic: Some(basic(None, None)),
                            period: Some(Duration { seconds: period, nanos: 0 }),
                            period_spend_limit: vec![uakt(limit)],
                            period_can_spend: vec![uakt(limit)],
                            period_reset: None,
                        };
                        let _ = net.deliver(&grant_msg(g, BOB, any(&p)));
                    }
                    Op::Revoke(g) => {
                        let _ = net.deliver(&revoke_msg(g, BOB));
                    }
                    Op::Fee(g, fee) => {
                        if net.with(|ctx| auth::get_account(ctx, &who(BOB))).0.unwrap().is_none() {
                            continue;
                        }
                        let (granter0, bob0, coll0) =
                            (balance(&mut net, g), balance(&mut net, BOB), collector(&mut net));
                        let paid = pay(&mut net, BOB, vec![prune(BOB)], fee, Some(g)).is_ok();
                        let moved = if paid { fee } else { 0 };
                        prop_assert_eq!(balance(&mut net, g), granter0 - moved);
                        prop_assert_eq!(collector(&mut net), coll0 + moved);
                        prop_assert_eq!(balance(&mut net, BOB), bob0);
                    }
                    Op::Advance(s) => {
                        net.advance(s);
                        let (r, _) = net.with(super::super::end_block);
                        r.unwrap();
                    }
                }
                let (supply, _) = net.with(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
                prop_assert_eq!(supply, supply0);
                prop_assert_eq!(total(&mut net), sum0);
            }
        }
    }
}
