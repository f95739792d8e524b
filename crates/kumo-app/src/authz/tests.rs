//! authz through the app's message router over an in-memory chain: grants, revocations and
//! MsgExec with each authorization type, the refusals with their codes, queries and genesis.

use super::authorization::{GENERIC_AUTHORIZATION, SEND_AUTHORIZATION};
use crate::bank::msgs::MSG_SEND;
use crate::errors::{SdkError, SdkResult};
use crate::msgs::Msg;
use crate::test_ctx::{addr, economy_chain, TestChain};
use cosmos_sdk_proto::cosmos::authz::v1beta1::{
    GenericAuthorization, Grant, MsgExec, MsgGrant, MsgRevoke, QueryGranteeGrantsRequest,
    QueryGranteeGrantsResponse, QueryGranterGrantsRequest, QueryGranterGrantsResponse,
    QueryGrantsRequest, QueryGrantsResponse,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgSend, SendAuthorization};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::{Any, Timestamp};
use kumo_crypto::ACCOUNT_HRP;
use prost::{Message, Name};

const GRANTER: u8 = 1;
const GRANTEE: u8 = 2;
const OTHER: u8 = 3;
const START: u128 = 1_000_000;

fn bech(n: u8) -> String {
    addr(n).to_bech32(ACCOUNT_HRP)
}

fn net() -> TestChain {
    let mut g = crate::genesis::Genesis::new("kumo-test", "2026-01-01T00:00:00Z");
    for n in [GRANTER, GRANTEE, OTHER] {
        g.add_account(&bech(n), &[crate::coins::Coin::new("uakt", START)])
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

/// Delivers `m` signed by `signer`, with the ante handler's check that it is the msg's signer.
fn tx<M: Message + Name>(net: &mut TestChain, signer: u8, m: &M) -> SdkResult<()> {
    let msg = Msg::from_any(&any(m))?;
    if msg.signers() != vec![addr(signer)] {
        return Err(SdkError::unauthorized(format!(
            "{} is not the signer",
            bech(signer)
        )));
    }
    net.deliver(m).map(|_| ())
}

fn code(r: SdkResult<()>) -> (&'static str, u32) {
    let e = r.expect_err("must be refused");
    (e.codespace, e.code)
}

fn uakt(amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: "uakt".into(),
        amount: amount.to_string(),
    }
}

fn grant(authorization: Any, expiration: Option<Timestamp>) -> MsgGrant {
    MsgGrant {
        granter: bech(GRANTER),
        grantee: bech(GRANTEE),
        grant: Some(Grant {
            authorization: Some(authorization),
            expiration,
        }),
    }
}

fn generic(msg: &str) -> Any {
    any(&GenericAuthorization { msg: msg.into() })
}

fn send_auth(limit: u128, allow: &[u8]) -> Any {
    any(&SendAuthorization {
        spend_limit: vec![uakt(limit)],
        allow_list: allow.iter().map(|n| bech(*n)).collect(),
    })
}

fn send(from: u8, to: u8, amount: u128) -> Any {
    any(&MsgSend {
        from_address: bech(from),
        to_address: bech(to),
        amount: vec![uakt(amount)],
    })
}

fn exec(grantee: u8, msgs: Vec<Any>) -> MsgExec {
    MsgExec {
        grantee: bech(grantee),
        msgs,
    }
}

fn balance(net: &mut TestChain, n: u8) -> u128 {
    net.balance(&addr(n), "uakt")
}

fn grants(net: &mut TestChain, msg_type_url: &str) -> SdkResult<QueryGrantsResponse> {
    net.query(
        "/cosmos.authz.v1beta1.Query/Grants",
        &QueryGrantsRequest {
            granter: bech(GRANTER),
            grantee: bech(GRANTEE),
            msg_type_url: msg_type_url.into(),
            pagination: None,
        },
    )
}

fn send_limit(net: &mut TestChain) -> Vec<ProtoCoin> {
    let r = grants(net, MSG_SEND).unwrap();
    SendAuthorization::decode(r.grants[0].authorization.as_ref().unwrap().value.as_slice())
        .unwrap()
        .spend_limit
}

fn now(net: &TestChain) -> Timestamp {
    Timestamp {
        seconds: net.block_info().time.seconds,
        nanos: 0,
    }
}

#[test]
fn generic_grant_lets_the_grantee_exec_until_revoked() {
    let mut net = net();
    net.next(6);
    let events = net.deliver(&grant(generic(MSG_SEND), None)).expect("grant");
    let e = events
        .iter()
        .find(|e| e.kind == "cosmos.authz.v1beta1.EventGrant")
        .expect("EventGrant");
    assert!(e
        .attributes
        .iter()
        .any(|a| a.key == "msg_type_url" && a.value == format!("\"{MSG_SEND}\"")));
    // MsgExec is signed by the grantee; the inner send moves the granter's coins
    let m = exec(GRANTEE, vec![send(GRANTER, OTHER, 100)]);
    assert_eq!(
        Msg::from_any(&any(&m)).unwrap().signers(),
        vec![addr(GRANTEE)]
    );
    tx(&mut net, GRANTEE, &m).unwrap();
    assert_eq!(balance(&mut net, GRANTER), START - 100);
    assert_eq!(balance(&mut net, OTHER), START + 100);
    assert_eq!(balance(&mut net, GRANTEE), START);
    // a generic grant is not used up
    tx(&mut net, GRANTEE, &m).unwrap();
    assert_eq!(balance(&mut net, GRANTER), START - 200);
    // the grantee's own messages need no grant
    tx(
        &mut net,
        GRANTEE,
        &exec(GRANTEE, vec![send(GRANTEE, OTHER, 7)]),
    )
    .unwrap();
    assert_eq!(balance(&mut net, GRANTEE), START - 7);

    let revoke = MsgRevoke {
        granter: bech(GRANTER),
        grantee: bech(GRANTEE),
        msg_type_url: MSG_SEND.into(),
    };
    tx(&mut net, GRANTER, &revoke).unwrap();
    assert_eq!(code(tx(&mut net, GRANTEE, &m)), ("authz", 2));
    assert_eq!(code(tx(&mut net, GRANTER, &revoke)), ("authz", 2));
    assert_eq!(code(grants(&mut net, MSG_SEND).map(|_| ())), ("authz", 2));
    assert_eq!(balance(&mut net, GRANTER), START - 200);
}

#[test]
fn send_authorization_spends_down_to_deletion() {
    let mut net = net();
    tx(&mut net, GRANTER, &grant(send_auth(300, &[]), None)).unwrap();
    tx(
        &mut net,
        GRANTEE,
        &exec(GRANTEE, vec![send(GRANTER, OTHER, 100)]),
    )
    .unwrap();
    assert_eq!(send_limit(&mut net), vec![uakt(200)]);
    // more than the limit: refused, nothing spent
    let over = exec(GRANTEE, vec![send(GRANTER, OTHER, 250)]);
    assert_eq!(code(tx(&mut net, GRANTEE, &over)), ("sdk", 5));
    assert_eq!(send_limit(&mut net), vec![uakt(200)]);
    assert_eq!(balance(&mut net, GRANTER), START - 100);
    // two sends in one exec use the rest; at zero the grant is gone
    tx(
        &mut net,
        GRANTEE,
        &exec(
            GRANTEE,
            vec![send(GRANTER, OTHER, 150), send(GRANTER, OTHER, 50)],
        ),
    )
    .unwrap();
    assert_eq!(balance(&mut net, GRANTER), START - 300);
    assert_eq!(code(grants(&mut net, MSG_SEND).map(|_| ())), ("authz", 2));
    let again = exec(GRANTEE, vec![send(GRANTER, OTHER, 1)]);
    assert_eq!(code(tx(&mut net, GRANTEE, &again)), ("authz", 2));
}

#[test]
fn send_authorization_allow_list_limits_recipients() {
    let mut net = net();
    tx(&mut net, GRANTER, &grant(send_auth(300, &[OTHER]), None)).unwrap();
    let to_grantee = exec(GRANTEE, vec![send(GRANTER, GRANTEE, 10)]);
    assert_eq!(code(tx(&mut net, GRANTEE, &to_grantee)), ("sdk", 4));
    tx(
        &mut net,
        GRANTEE,
        &exec(GRANTEE, vec![send(GRANTER, OTHER, 10)]),
    )
    .unwrap();
    assert_eq!(send_limit(&mut net), vec![uakt(290)]);
}

#[test]
fn a_failing_inner_message_undoes_the_whole_exec() {
    let mut net = net();
    tx(&mut net, GRANTER, &grant(send_auth(300, &[]), None)).unwrap();
    // the second send spends more than the granter has: the first one's effects are dropped
    let m = exec(
        GRANTEE,
        vec![send(GRANTER, OTHER, 10), send(GRANTEE, OTHER, START + 1)],
    );
    assert_eq!(code(tx(&mut net, GRANTEE, &m)), ("sdk", 5));
    assert_eq!(balance(&mut net, GRANTER), START);
    assert_eq!(send_limit(&mut net), vec![uakt(300)]);
}

#[test]
fn expired_grants_are_refused_and_hidden() {
    let mut net = net();
    net.next(6);
    let t = now(&net);
    // an expiration not after the block time is refused
    let past = grant(generic(MSG_SEND), Some(t));
    assert_eq!(code(tx(&mut net, GRANTER, &past)), ("authz", 3));
    let soon = Timestamp {
        seconds: t.seconds + 10,
        nanos: 0,
    };
    tx(&mut net, GRANTER, &grant(generic(MSG_SEND), Some(soon))).unwrap();
    let m = exec(GRANTEE, vec![send(GRANTER, OTHER, 5)]);
    net.next(10); // exactly at the expiration: still valid
    tx(&mut net, GRANTEE, &m).unwrap();
    net.next(6);
    assert_eq!(code(tx(&mut net, GRANTEE, &m)), ("authz", 6));
    assert_eq!(code(grants(&mut net, MSG_SEND).map(|_| ())), ("authz", 2));
    let r: QueryGranterGrantsResponse = net
        .query(
            "/cosmos.authz.v1beta1.Query/GranterGrants",
            &QueryGranterGrantsRequest {
                granter: bech(GRANTER),
                pagination: None,
            },
        )
        .unwrap();
    assert!(r.grants.is_empty());
    // a new grant for the same triple replaces the expired one
    tx(&mut net, GRANTER, &grant(generic(MSG_SEND), None)).unwrap();
    tx(&mut net, GRANTEE, &m).unwrap();
}

#[test]
fn messages_of_a_granter_without_a_grant_are_refused() {
    let mut net = net();
    tx(&mut net, GRANTER, &grant(generic(MSG_SEND), None)).unwrap();
    // OTHER holds no grant from GRANTER
    let m = exec(OTHER, vec![send(GRANTER, OTHER, 5)]);
    assert_eq!(code(tx(&mut net, OTHER, &m)), ("authz", 2));
    // and MsgExec must be signed by its grantee
    let m = exec(GRANTEE, vec![send(GRANTER, OTHER, 5)]);
    assert_eq!(code(tx(&mut net, OTHER, &m)), ("sdk", 4));
    // a grant for another message type does not cover MsgSend
    let mut net = self::net();
    let other_type = grant(generic("/cosmos.bank.v1beta1.MsgMultiSend"), None);
    tx(&mut net, GRANTER, &other_type).unwrap();
    assert_eq!(code(tx(&mut net, GRANTEE, &m)), ("authz", 2));
}

#[test]
fn nested_exec_is_refused() {
    let inner = exec(GRANTEE, vec![send(GRANTER, OTHER, 5)]);
    let outer = exec(GRANTEE, vec![any(&inner)]);
    let e = Msg::from_any(&any(&outer)).unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 18));
    assert!(e.log.contains("nested MsgExec"), "{}", e.log);
    let empty = exec(GRANTEE, vec![]);
    assert_eq!(Msg::from_any(&any(&empty)).unwrap_err().code, 18);
}

#[test]
fn unknown_and_invalid_authorizations_are_refused() {
    let mut net = net();
    let unknown = Any {
        type_url: "/cosmos.authz.v1beta1.CountAuthorization".into(),
        value: vec![],
    };
    let e = Msg::from_any(&any(&grant(unknown, None))).unwrap_err();
    assert_eq!((e.codespace, e.code), ("authz", 4));
    assert!(e.log.contains(GENERIC_AUTHORIZATION), "{}", e.log);
    // a generic grant for a message this chain does not have
    let e = Msg::from_any(&any(&grant(generic("/foo.v1.MsgBar"), None))).unwrap_err();
    assert_eq!((e.codespace, e.code), ("sdk", 29));
    // a send authorization without a limit
    let no_limit = any(&SendAuthorization {
        spend_limit: vec![],
        allow_list: vec![],
    });
    assert_eq!(
        Msg::from_any(&any(&grant(no_limit, None)))
            .unwrap_err()
            .code,
        10
    );
    // granting to oneself
    let mut selfish = grant(generic(MSG_SEND), None);
    selfish.grantee = bech(GRANTER);
    assert_eq!(code(tx(&mut net, GRANTER, &selfish)), ("authz", 7));
    // a grant must be signed by its granter
    assert_eq!(
        code(tx(&mut net, GRANTEE, &grant(generic(MSG_SEND), None))),
        ("sdk", 4)
    );
}

#[test]
fn queries_page_through_grants() {
    let mut net = net();
    tx(&mut net, GRANTER, &grant(generic(MSG_SEND), None)).unwrap();
    let multi = grant(generic("/cosmos.bank.v1beta1.MsgMultiSend"), None);
    tx(&mut net, GRANTER, &multi).unwrap();
    let mut to_other = grant(generic(MSG_SEND), None);
    to_other.grantee = bech(OTHER);
    tx(&mut net, GRANTER, &to_other).unwrap();

    let r = grants(&mut net, "").unwrap();
    assert_eq!(r.grants.len(), 2);
    let first: QueryGranterGrantsResponse = net
        .query(
            "/cosmos.authz.v1beta1.Query/GranterGrants",
            &QueryGranterGrantsRequest {
                granter: bech(GRANTER),
                pagination: Some(PageRequest {
                    limit: 2,
                    ..Default::default()
                }),
            },
        )
        .unwrap();
    assert_eq!(first.grants.len(), 2);
    let page = first.pagination.unwrap();
    assert_eq!(page.total, 3);
    let rest: QueryGranterGrantsResponse = net
        .query(
            "/cosmos.authz.v1beta1.Query/GranterGrants",
            &QueryGranterGrantsRequest {
                granter: bech(GRANTER),
                pagination: Some(PageRequest {
                    key: page.next_key,
                    limit: 2,
                    ..Default::default()
                }),
            },
        )
        .unwrap();
    assert_eq!(rest.grants.len(), 1);
    let r: QueryGranteeGrantsResponse = net
        .query(
            "/cosmos.authz.v1beta1.Query/GranteeGrants",
            &QueryGranteeGrantsRequest {
                grantee: bech(OTHER),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(r.grants.len(), 1);
    assert_eq!(r.grants[0].granter, bech(GRANTER));
    assert_eq!(r.grants[0].grantee, bech(OTHER));
    let e = net
        .query::<_, QueryGrantsResponse>(
            "/cosmos.authz.v1beta1.Query/Grants",
            &QueryGrantsRequest::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, 18);
}

#[test]
fn genesis_round_trips() {
    let mut net = net();
    let exp = Timestamp {
        seconds: 1_900_000_000,
        nanos: 500_000_000,
    };
    tx(
        &mut net,
        GRANTER,
        &grant(send_auth(300, &[OTHER]), Some(exp)),
    )
    .unwrap();
    let deposit = any(&kumo_proto::akash::escrow::v1::DepositAuthorization {
        spend_limit: Some(uakt(0)),
        scopes: vec![crate::escrow::id::Scope::Deployment as i32],
        spend_limits: vec![uakt(5_000_000)],
    });
    let mut g = grant(deposit, None);
    g.grantee = bech(OTHER);
    tx(&mut net, GRANTER, &g).unwrap();
    let (exported, _) = net.with(|ctx| super::genesis::export(ctx));
    let exported = exported.unwrap();
    assert_eq!(exported.authorization.len(), 2);
    let json = serde_json::to_value(&exported).unwrap();
    let send = json["authorization"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["authorization"]["@type"] == SEND_AUTHORIZATION)
        .unwrap();
    assert_eq!(send["expiration"], "2030-03-17T17:46:40.5Z");
    assert_eq!(send["authorization"]["spend_limit"][0]["amount"], "300");

    let mut fresh = self::net();
    let state: super::genesis::GenesisState = serde_json::from_value(json).unwrap();
    let (r, _) = fresh.with(|ctx| super::genesis::init(ctx, &state));
    r.unwrap();
    let (again, _) = fresh.with(|ctx| super::genesis::export(ctx));
    assert_eq!(again.unwrap().authorization, exported.authorization);
    assert_eq!(send_limit(&mut fresh), vec![uakt(300)]);
}
