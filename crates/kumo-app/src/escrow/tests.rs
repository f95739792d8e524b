//! escrow on the shared in-memory chain (`test_ctx::TestChain`): genesis as the app runs it,
//! each call in its own cache layer (dropped on error, like a message), blocks advanced by height.

use super::state::module_address;
use super::types::State;
use super::*;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::errors::SdkError;
use crate::genesis::{AppState, Genesis};
use cosmos_sdk_proto::cosmos::base::v1beta1::{Coin as ProtoCoin, DecCoin};
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::math::DEC_ONE;
use proptest::prelude::*;
use std::cell::RefCell;

pub(crate) const START: u128 = 1_000_000;

pub(crate) use crate::test_ctx::addr;
use crate::test_ctx::{TestChain, CHAIN_ID, GENESIS_TIME};

/// The escrow tests' chain: the shared [`TestChain`] plus lookups of escrow records.
pub(crate) struct Env(pub(crate) TestChain);

impl std::ops::Deref for Env {
    type Target = TestChain;
    fn deref(&self) -> &TestChain {
        &self.0
    }
}

impl std::ops::DerefMut for Env {
    fn deref_mut(&mut self) -> &mut TestChain {
        &mut self.0
    }
}

impl Env {
    /// A chain whose genesis funds `funded` with START of each denom.
    pub(crate) fn new(funded: &[Address], denoms: &[&str]) -> Env {
        let mut g = Genesis::new(CHAIN_ID, GENESIS_TIME);
        for a in funded {
            let coins: Vec<Coin> = denoms.iter().map(|d| Coin::new(*d, START)).collect();
            g.add_account(&a.to_bech32(ACCOUNT_HRP), &coins).unwrap();
        }
        Env::from_state(&g.app_state).unwrap()
    }

    pub(crate) fn from_state(app_state: &AppState) -> Result<Env, SdkError> {
        TestChain::try_from_state(app_state).map(Env)
    }

    pub(crate) fn account(&mut self, id: &id::Account) -> types::Account {
        self.read(|ctx| get_account(ctx, id))
            .expect("account exists")
    }

    pub(crate) fn payment(&mut self, id: &id::Payment) -> types::Payment {
        self.read(|ctx| get_payment(ctx, id))
            .expect("payment exists")
    }
}

/// Hooks that write down what they were called with.
#[derive(Default)]
struct Recorder {
    accounts: RefCell<Vec<types::Account>>,
    payments: RefCell<Vec<types::Payment>>,
}

impl EscrowHooks for Recorder {
    fn on_account_closed(&self, _: &mut Ctx, account: &types::Account) -> SdkResult<()> {
        self.accounts.borrow_mut().push(account.clone());
        Ok(())
    }

    fn on_payment_closed(&self, _: &mut Ctx, payment: &types::Payment) -> SdkResult<()> {
        self.payments.borrow_mut().push(payment.clone());
        Ok(())
    }
}

pub(crate) fn deposit(denom: &str, amount: u128) -> Deposit {
    Deposit {
        amount: Some(ProtoCoin {
            denom: denom.into(),
            amount: amount.to_string(),
        }),
        sources: vec![Source::Balance as i32],
    }
}

/// A per-block rate in wire form from a decimal such as "1.5".
pub(crate) fn rate(denom: &str, decimal: &str) -> DecCoin {
    let d: kumo_proto::math::Dec = decimal.parse().unwrap();
    DecCoin {
        denom: denom.into(),
        amount: d.atomics().to_string(),
    }
}

fn bech(a: &Address) -> String {
    a.to_bech32(ACCOUNT_HRP)
}

fn state_of(a: &types::Account) -> State {
    State::try_from(a.state.as_ref().unwrap().state).unwrap()
}

fn pstate(p: &types::Payment) -> &types::PaymentState {
    p.state.as_ref().unwrap()
}

fn funds(a: &types::Account) -> i128 {
    a.state.as_ref().unwrap().funds[0].amount.parse().unwrap()
}

fn units(s: &DecCoin) -> u128 {
    let a: u128 = s.amount.parse().unwrap();
    assert_eq!(a % DEC_ONE, 0, "{} is not whole", s.amount);
    a / DEC_ONE
}

const OWNER: u8 = 1;
const PROVIDER: u8 = 2;
const PROVIDER2: u8 = 3;
const FRIEND: u8 = 4;

fn setup() -> (Env, id::Account) {
    let env = Env::new(&[addr(OWNER), addr(FRIEND)], &["uakt", "uusdc"]);
    let aid = deployment_account_id(&bech(&addr(OWNER)), 7);
    (env, aid)
}

fn create(env: &mut Env, aid: &id::Account, amount: u128) {
    env.run(|ctx| {
        account_create(
            ctx,
            &NoHooks,
            aid,
            &addr(OWNER),
            &addr(OWNER),
            &deposit("uakt", amount),
        )
    })
    .unwrap();
}

fn pay(env: &mut Env, gseq: u32, provider: u8, r: &str) -> id::Payment {
    let pid = lease_payment_id(&bech(&addr(OWNER)), 7, gseq, 1, &bech(&addr(provider)));
    env.run(|ctx| payment_create(ctx, &NoHooks, &pid, &addr(provider), &rate("uakt", r)))
        .unwrap();
    pid
}

#[test]
fn ids_and_keys_follow_akash() {
    let aid = deployment_account_id("akash1x", 12);
    assert_eq!(state::account_key_string(&aid), "deployment/akash1x/12");
    let bid = bid_account_id("akash1x", 12, 1, 2, "akash1p");
    assert_eq!(
        state::account_key_string(&bid),
        "bid/akash1x/12/1/2/akash1p"
    );
    let pid = lease_payment_id("akash1x", 12, 1, 2, "akash1p");
    assert_eq!(
        state::payment_key_string(&pid),
        "deployment/akash1x/12/1/2/akash1p"
    );
}

#[test]
fn create_moves_the_deposit_into_escrow() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 500);
    assert_eq!(env.balance(&addr(OWNER), "uakt"), START - 500);
    assert_eq!(env.balance(&module_address(), "uakt"), 500);
    let a = env.account(&aid);
    let s = a.state.as_ref().unwrap();
    assert_eq!(s.owner, bech(&addr(OWNER)));
    assert_eq!(s.state, State::Open as i32);
    assert_eq!(s.settled_at, 1);
    assert_eq!(funds(&a), 500 * DEC_ONE as i128);
    assert_eq!(s.deposits.len(), 1);
    assert_eq!(s.deposits[0].owner, bech(&addr(OWNER)));
    assert_eq!(units(s.deposits[0].balance.as_ref().unwrap()), 500);
    assert_eq!(units(&s.transferred[0]), 0);
    let again = env
        .run(|ctx| {
            account_create(
                ctx,
                &NoHooks,
                &aid,
                &addr(OWNER),
                &addr(OWNER),
                &deposit("uakt", 1),
            )
        })
        .unwrap_err();
    assert_eq!((again.codespace, again.code), ("escrow", 1));
    let poor = env
        .run(|ctx| {
            let other = deployment_account_id(&bech(&addr(OWNER)), 8);
            account_create(
                ctx,
                &NoHooks,
                &other,
                &addr(OWNER),
                &addr(OWNER),
                &deposit("uakt", START),
            )
        })
        .unwrap_err();
    assert_eq!((poor.codespace, poor.code), ("escrow", 16));
    assert!(poor.log.contains("insufficient balance"), "{}", poor.log);
}

#[test]
fn fractional_rate_is_truncated_per_settlement() {
    // Spec §6.4: 1.5 per block over 10 blocks is 15 settled at once, 10 settled every block.
    let (mut env, aid) = setup();
    create(&mut env, &aid, 1000);
    let once = pay(&mut env, 1, PROVIDER, "1.5");
    let each = pay(&mut env, 2, PROVIDER2, "1.5");
    for _ in 0..10 {
        env.advance_blocks(1);
        env.run(|ctx| payment_withdraw(ctx, &NoHooks, &each))
            .unwrap();
    }
    // The withdraws above settled the whole account each block, so `once` also accrued
    // truncate(1.5) = 1 per block.
    assert_eq!(
        units(pstate(&env.payment(&once)).balance.as_ref().unwrap()),
        10
    );
    assert_eq!(
        pstate(&env.payment(&each))
            .withdrawn
            .as_ref()
            .unwrap()
            .amount,
        "10"
    );

    let (mut env, aid) = setup();
    create(&mut env, &aid, 1000);
    let once = pay(&mut env, 1, PROVIDER, "1.5");
    env.advance_blocks(10);
    env.run(|ctx| payment_withdraw(ctx, &NoHooks, &once))
        .unwrap();
    let p = env.payment(&once);
    assert_eq!(pstate(&p).withdrawn.as_ref().unwrap().amount, "15");
    assert_eq!(units(pstate(&p).balance.as_ref().unwrap()), 0);
    let a = env.account(&aid);
    assert_eq!(units(&a.state.as_ref().unwrap().transferred[0]), 15);
    assert_eq!(funds(&a), 985 * DEC_ONE as i128);
    assert_eq!(a.state.as_ref().unwrap().settled_at, 11);
    // 4 % of 15 truncates to 0: the provider gets all of it.
    assert_eq!(env.balance(&addr(PROVIDER), "uakt"), 15);
    assert_eq!(env.balance(&module_address(), "uakt"), 985);
}

#[test]
fn take_fee_goes_to_the_community_pool() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 10_000);
    let pid = pay(&mut env, 1, PROVIDER, "100");
    env.advance_blocks(10);
    env.run(|ctx| payment_withdraw(ctx, &NoHooks, &pid))
        .unwrap();
    // 1000 withdrawn: 4 % (40) to the pool, 960 to the provider.
    assert_eq!(env.balance(&addr(PROVIDER), "uakt"), 960);
    let dist = crate::auth::module_address("distribution");
    assert_eq!(env.balance(&dist, "uakt"), 40);
    let pool = env.read(|ctx| crate::distribution::community_pool(ctx));
    assert_eq!(pool, vec![("uakt".to_string(), 40 * DEC_ONE)]);
    let out = env
        .read(|ctx| {
            crate::query::route(ctx, "/cosmos.distribution.v1beta1.Query/CommunityPool", &[])
        })
        .unwrap();
    let resp = <cosmos_sdk_proto::cosmos::distribution::v1beta1::QueryCommunityPoolResponse as prost::Message>::decode(out.as_slice()).unwrap();
    assert_eq!(
        resp.pool,
        vec![DecCoin {
            denom: "uakt".into(),
            amount: (40 * DEC_ONE).to_string()
        }]
    );
    assert_eq!(
        pstate(&env.payment(&pid))
            .withdrawn
            .as_ref()
            .unwrap()
            .amount,
        "1000"
    );

    // Any other denom pays the default 20 %.
    let usdc = deployment_account_id(&bech(&addr(OWNER)), 9);
    env.run(|ctx| {
        account_create(
            ctx,
            &NoHooks,
            &usdc,
            &addr(OWNER),
            &addr(OWNER),
            &deposit("uusdc", 1000),
        )
    })
    .unwrap();
    let up = lease_payment_id(&bech(&addr(OWNER)), 9, 1, 1, &bech(&addr(PROVIDER)));
    env.run(|ctx| payment_create(ctx, &NoHooks, &up, &addr(PROVIDER), &rate("uusdc", "10")))
        .unwrap();
    env.advance_blocks(5);
    env.run(|ctx| payment_close(ctx, &NoHooks, &up)).unwrap();
    assert_eq!(env.balance(&addr(PROVIDER), "uusdc"), 40);
    assert_eq!(env.balance(&dist, "uusdc"), 10);
}

#[test]
fn payments_are_paid_in_turn_then_overdraw() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    let p1 = pay(&mut env, 1, PROVIDER, "30");
    let p2 = pay(&mut env, 2, PROVIDER2, "30");
    env.advance_blocks(2);
    let hooks = Recorder::default();
    // 120 owed, 100 held: p1 is paid its 60 in full, p2 gets the remaining 40.
    env.run(|ctx| payment_withdraw(ctx, &hooks, &p1)).unwrap();
    let a = env.account(&aid);
    assert_eq!(state_of(&a), State::Overdrawn);
    assert_eq!(funds(&a), -20 * DEC_ONE as i128);
    assert!(a.state.as_ref().unwrap().deposits.is_empty());
    let (q1, q2) = (env.payment(&p1), env.payment(&p2));
    assert_eq!(pstate(&q1).state, State::Overdrawn as i32);
    assert_eq!(pstate(&q2).state, State::Overdrawn as i32);
    assert_eq!(pstate(&q1).withdrawn.as_ref().unwrap().amount, "60");
    assert_eq!(pstate(&q2).withdrawn.as_ref().unwrap().amount, "40");
    assert_eq!(units(pstate(&q1).unsettled.as_ref().unwrap()), 0);
    assert_eq!(units(pstate(&q2).unsettled.as_ref().unwrap()), 20);
    assert_eq!(env.balance(&module_address(), "uakt"), 0);
    // fees: 4 % of 60 = 2, of 40 = 1
    assert_eq!(env.balance(&addr(PROVIDER), "uakt"), 58);
    assert_eq!(env.balance(&addr(PROVIDER2), "uakt"), 39);
    // Hooks: the account once, each payment once, with the records as saved.
    let accs = hooks.accounts.borrow();
    assert_eq!(accs.len(), 1);
    assert_eq!(accs[0], a);
    let pays = hooks.payments.borrow();
    assert_eq!(pays.len(), 2);
    assert_eq!(pays[0], q1);
    assert_eq!(pays[1], q2);
    drop((accs, pays));

    // Withdrawing from an overdrawn payment is refused; nothing else accrues.
    let e = env
        .run(|ctx| payment_withdraw(ctx, &NoHooks, &p1))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 7));
    let e = env
        .run(|ctx| {
            payment_create(
                ctx,
                &NoHooks,
                &lease_payment_id(&bech(&addr(OWNER)), 7, 3, 1, &bech(&addr(PROVIDER))),
                &addr(PROVIDER),
                &rate("uakt", "1"),
            )
        })
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 4));

    // A deposit pays the debt, closes everything and refunds the rest.
    env.advance_blocks(5);
    let hooks = Recorder::default();
    env.run(|ctx| account_deposit(ctx, &hooks, &aid, &addr(FRIEND), &deposit("uakt", 50)))
        .unwrap();
    let a = env.account(&aid);
    assert_eq!(state_of(&a), State::Closed);
    assert_eq!(funds(&a), 0);
    assert_eq!(units(&a.state.as_ref().unwrap().transferred[0]), 120);
    let (q1, q2) = (env.payment(&p1), env.payment(&p2));
    assert_eq!(pstate(&q1).state, State::Closed as i32);
    assert_eq!(pstate(&q2).state, State::Closed as i32);
    assert_eq!(pstate(&q2).withdrawn.as_ref().unwrap().amount, "60");
    assert_eq!(units(pstate(&q2).unsettled.as_ref().unwrap()), 0);
    assert_eq!(env.balance(&addr(PROVIDER2), "uakt"), 39 + 20);
    // FRIEND paid 50, 20 went to the debt, 30 came back.
    assert_eq!(env.balance(&addr(FRIEND), "uakt"), START - 20);
    assert_eq!(env.balance(&module_address(), "uakt"), 0);
    assert_eq!(hooks.accounts.borrow().len(), 1);
    assert_eq!(hooks.accounts.borrow()[0], a);
    assert_eq!(hooks.payments.borrow().len(), 2);
    // Closed accounts take no more deposits.
    let e = env
        .run(|ctx| account_deposit(ctx, &NoHooks, &aid, &addr(OWNER), &deposit("uakt", 1)))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 2));
}

#[test]
fn too_small_a_deposit_keeps_the_account_overdrawn() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 10);
    let p = pay(&mut env, 1, PROVIDER, "10");
    env.advance_blocks(5);
    env.run(|ctx| payment_withdraw(ctx, &NoHooks, &p)).unwrap();
    assert_eq!(funds(&env.account(&aid)), -40 * DEC_ONE as i128);
    env.run(|ctx| account_deposit(ctx, &NoHooks, &aid, &addr(OWNER), &deposit("uakt", 15)))
        .unwrap();
    let a = env.account(&aid);
    assert_eq!(state_of(&a), State::Overdrawn);
    assert_eq!(funds(&a), -25 * DEC_ONE as i128);
    let q = env.payment(&p);
    assert_eq!(pstate(&q).state, State::Overdrawn as i32);
    assert_eq!(units(pstate(&q).unsettled.as_ref().unwrap()), 25);
    assert_eq!(pstate(&q).withdrawn.as_ref().unwrap().amount, "25");
    assert_eq!(env.balance(&module_address(), "uakt"), 0);
}

#[test]
fn close_refunds_each_depositor_fifo() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    env.run(|ctx| account_deposit(ctx, &NoHooks, &aid, &addr(FRIEND), &deposit("uakt", 50)))
        .unwrap();
    let p = pay(&mut env, 1, PROVIDER, "10");
    env.advance_blocks(12);
    // 120 spent: OWNER's 100 first, then 20 of FRIEND's 50.
    env.run(|ctx| payment_withdraw(ctx, &NoHooks, &p)).unwrap();
    let deps = env.account(&aid).state.unwrap().deposits;
    assert_eq!(deps.len(), 1);
    assert_eq!(deps[0].owner, bech(&addr(FRIEND)));
    assert_eq!(units(deps[0].balance.as_ref().unwrap()), 30);
    env.advance_blocks(1);
    let hooks = Recorder::default();
    env.run(|ctx| account_close(ctx, &hooks, &aid)).unwrap();
    // one more block (10) came out of FRIEND's slice before the refund
    assert_eq!(env.balance(&addr(OWNER), "uakt"), START - 100);
    assert_eq!(env.balance(&addr(FRIEND), "uakt"), START - 50 + 20);
    assert_eq!(env.balance(&module_address(), "uakt"), 0);
    let a = env.account(&aid);
    assert_eq!(state_of(&a), State::Closed);
    assert_eq!(funds(&a), 0);
    assert!(a.state.as_ref().unwrap().deposits.is_empty());
    assert_eq!(pstate(&env.payment(&p)).state, State::Closed as i32);
    assert_eq!(
        pstate(&env.payment(&p)).withdrawn.as_ref().unwrap().amount,
        "130"
    );
    assert_eq!(hooks.accounts.borrow().len(), 1);
    assert_eq!(hooks.payments.borrow().len(), 1);
    let e = env
        .run(|ctx| account_close(ctx, &NoHooks, &aid))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 2));
}

#[test]
fn wrong_denom_deposit_changes_nothing() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    let before = env.account(&aid);
    let e = env
        .run(|ctx| account_deposit(ctx, &NoHooks, &aid, &addr(OWNER), &deposit("uusdc", 10)))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 5), "{}", e.log);
    assert_eq!(env.account(&aid), before);
    assert_eq!(env.balance(&addr(OWNER), "uusdc"), START);
    assert_eq!(env.balance(&module_address(), "uusdc"), 0);
    // and a payment in a denom the account does not hold
    let pid = lease_payment_id(&bech(&addr(OWNER)), 7, 1, 1, &bech(&addr(PROVIDER)));
    let e = env
        .run(|ctx| payment_create(ctx, &NoHooks, &pid, &addr(PROVIDER), &rate("uusdc", "1")))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 5));
    let e = env
        .run(|ctx| payment_create(ctx, &NoHooks, &pid, &addr(PROVIDER), &rate("uakt", "0")))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 9));
}

/// FRIEND gives OWNER a DepositAuthorization of `limit` uakt for `scopes`, expiring at `exp`.
fn grant_deposits(env: &mut Env, scopes: &[id::Scope], limit: u128, exp: Option<i64>) {
    let auth = crate::authz::Authorization::Deposit(crate::authz::DepositLimits {
        scopes: scopes.to_vec(),
        spend_limits: vec![Coin::new("uakt", limit)],
    });
    let grant = cosmos_sdk_proto::cosmos::authz::v1beta1::Grant {
        authorization: Some(auth.to_any()),
        expiration: exp.map(|seconds| cosmos_sdk_proto::Timestamp { seconds, nanos: 0 }),
    };
    env.run(|ctx| {
        crate::authz::state::save_grant(
            ctx,
            &addr(FRIEND),
            &addr(OWNER),
            super::msgs::MSG_ACCOUNT_DEPOSIT,
            &grant,
        )
    })
    .unwrap();
}

/// What is left of FRIEND's deposit grant to OWNER (None: no live grant).
fn grant_left(env: &mut Env) -> Option<Vec<Coin>> {
    env.read(|ctx| crate::authz::state::deposit_limits(ctx, &addr(FRIEND), &addr(OWNER)))
        .unwrap()
        .map(|d| d.spend_limits)
}

fn sourced(amount: u128, sources: &[Source]) -> Deposit {
    let mut d = deposit("uakt", amount);
    d.sources = sources.iter().map(|s| *s as i32).collect();
    d
}

#[test]
fn grant_deposits_are_paid_by_the_granter_and_refunded_to_it() {
    let (mut env, aid) = setup();
    grant_deposits(&mut env, &[id::Scope::Deployment], 300, None);
    let d = sourced(200, &[Source::Grant]);
    env.run(|ctx| account_create(ctx, &NoHooks, &aid, &addr(OWNER), &addr(OWNER), &d))
        .unwrap();
    assert_eq!(env.balance(&addr(FRIEND), "uakt"), START - 200);
    assert_eq!(env.balance(&addr(OWNER), "uakt"), START);
    assert_eq!(grant_left(&mut env), Some(vec![Coin::new("uakt", 100)]));
    let slices = env.account(&aid).state.unwrap().deposits;
    assert_eq!(slices.len(), 1);
    assert_eq!(slices[0].owner, bech(&addr(FRIEND)));
    assert_eq!(slices[0].source, Source::Grant as i32);

    // grant first, then balance for what the grant cannot cover
    let d = sourced(150, &[Source::Grant, Source::Balance]);
    env.run(|ctx| account_deposit(ctx, &NoHooks, &aid, &addr(OWNER), &d))
        .unwrap();
    assert_eq!(env.balance(&addr(FRIEND), "uakt"), START - 300);
    assert_eq!(env.balance(&addr(OWNER), "uakt"), START - 50);
    // used up, the grant stays (at zero) so refunds can restore it
    assert_eq!(grant_left(&mut env), Some(vec![]));
    let e = env
        .run(|ctx| {
            account_deposit(
                ctx,
                &NoHooks,
                &aid,
                &addr(OWNER),
                &sourced(1, &[Source::Grant]),
            )
        })
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 16));
    assert!(e.log.contains("no uakt left"), "{}", e.log);

    // 3 blocks at 20/block come out of the oldest slice (FRIEND's); the rest goes back
    pay(&mut env, 1, PROVIDER, "20");
    env.advance_blocks(3);
    env.run(|ctx| account_close(ctx, &NoHooks, &aid)).unwrap();
    // 60 paid: a 4 % take of 2, 58 to the provider
    assert_eq!(env.balance(&addr(PROVIDER), "uakt"), 58);
    assert_eq!(env.balance(&addr(FRIEND), "uakt"), START - 60);
    assert_eq!(env.balance(&addr(OWNER), "uakt"), START);
    assert_eq!(grant_left(&mut env), Some(vec![Coin::new("uakt", 240)]));
}

#[test]
fn grants_of_another_scope_or_expired_do_not_pay() {
    let (mut env, aid) = setup();
    grant_deposits(&mut env, &[id::Scope::Bid], 300, None);
    let d = sourced(100, &[Source::Grant]);
    let e = env
        .run(|ctx| account_create(ctx, &NoHooks, &aid, &addr(OWNER), &addr(OWNER), &d))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 16));
    assert!(e.log.contains("not deployment"), "{}", e.log);
    assert_eq!(env.balance(&addr(FRIEND), "uakt"), START);
    assert_eq!(grant_left(&mut env), Some(vec![Coin::new("uakt", 300)]));

    // an expired grant is skipped (and deleted); balance pays instead
    grant_deposits(&mut env, &[id::Scope::Deployment], 300, Some(-1));
    let d = sourced(100, &[Source::Grant, Source::Balance]);
    env.run(|ctx| account_create(ctx, &NoHooks, &aid, &addr(OWNER), &addr(OWNER), &d))
        .unwrap();
    assert_eq!(env.balance(&addr(OWNER), "uakt"), START - 100);
    assert_eq!(env.balance(&addr(FRIEND), "uakt"), START);
    let stored = env.read(|ctx| {
        crate::authz::state::load_grant(
            ctx,
            &addr(FRIEND),
            &addr(OWNER),
            super::msgs::MSG_ACCOUNT_DEPOSIT,
        )
    });
    assert_eq!(stored.unwrap(), None);
}

#[test]
fn close_and_withdraw_in_the_block_of_the_last_settlement() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    let p = pay(&mut env, 1, PROVIDER, "3");
    env.run(|ctx| payment_withdraw(ctx, &NoHooks, &p)).unwrap();
    env.run(|ctx| payment_close(ctx, &NoHooks, &p)).unwrap();
    assert_eq!(pstate(&env.payment(&p)).state, State::Closed as i32);
    let e = env.run(|ctx| payment_close(ctx, &NoHooks, &p)).unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 7));
    let missing = lease_payment_id(&bech(&addr(OWNER)), 7, 9, 1, &bech(&addr(PROVIDER)));
    let e = env
        .run(|ctx| payment_withdraw(ctx, &NoHooks, &missing))
        .unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 8));
}

#[test]
fn creating_a_payment_keeps_what_others_accrued() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    let p1 = pay(&mut env, 1, PROVIDER, "2");
    env.advance_blocks(5);
    let _p2 = pay(&mut env, 2, PROVIDER2, "2");
    assert_eq!(
        units(pstate(&env.payment(&p1)).balance.as_ref().unwrap()),
        10
    );
    assert_eq!(funds(&env.account(&aid)), 90 * DEC_ONE as i128);
    assert_eq!(env.balance(&module_address(), "uakt"), 100);
}

// ---- messages and queries ----

#[test]
fn msg_account_deposit_decodes_checks_and_runs() {
    use crate::msgs::Msg;
    use kumo_proto::akash::escrow::v1::MsgAccountDeposit;
    use prost::Message;
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    let msg = MsgAccountDeposit {
        signer: bech(&addr(FRIEND)),
        id: Some(aid.clone()),
        deposit: Some(deposit("uakt", 25)),
    };
    let any = cosmos_sdk_proto::Any {
        type_url: "/akash.escrow.v1.MsgAccountDeposit".into(),
        value: msg.encode_to_vec(),
    };
    let m = Msg::from_any(&any).unwrap();
    assert_eq!(m.signers(), vec![addr(FRIEND)]);
    assert_eq!(m.module(), "escrow");
    env.run(|ctx| m.execute(ctx)).unwrap();
    assert_eq!(funds(&env.account(&aid)), 125 * DEC_ONE as i128);

    let mut bad = msg.clone();
    bad.deposit.as_mut().unwrap().sources = vec![1, 1];
    let any = cosmos_sdk_proto::Any {
        type_url: any.type_url.clone(),
        value: bad.encode_to_vec(),
    };
    let e = Msg::from_any(&any).unwrap_err();
    assert_eq!((e.codespace, e.code), ("escrow", 16));
    let mut bad = msg.clone();
    bad.deposit
        .as_mut()
        .unwrap()
        .amount
        .as_mut()
        .unwrap()
        .amount = "0".into();
    let any = cosmos_sdk_proto::Any {
        type_url: any.type_url.clone(),
        value: bad.encode_to_vec(),
    };
    assert_eq!(Msg::from_any(&any).unwrap_err().code, 16);
    let mut bad = msg;
    bad.id.as_mut().unwrap().scope = 0;
    let any = cosmos_sdk_proto::Any {
        type_url: any.type_url,
        value: bad.encode_to_vec(),
    };
    assert_eq!(Msg::from_any(&any).unwrap_err().code, 12);
}

#[test]
fn queries_filter_by_state_and_xid_and_page() {
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    use kumo_proto::akash::escrow::v1::*;
    use prost::Message;
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    let owner = bech(&addr(OWNER));
    for dseq in [70, 71] {
        let id = deployment_account_id(&owner, dseq);
        env.run(|ctx| {
            account_create(
                ctx,
                &NoHooks,
                &id,
                &addr(OWNER),
                &addr(OWNER),
                &deposit("uakt", 10),
            )
        })
        .unwrap();
    }
    let p = pay(&mut env, 1, PROVIDER, "1");
    pay(&mut env, 2, PROVIDER, "1");
    env.run(|ctx| account_close(ctx, &NoHooks, &deployment_account_id(&owner, 70)))
        .unwrap();
    env.run(|ctx| payment_close(ctx, &NoHooks, &p)).unwrap();
    let accounts = |state: &str, xid: &str, page: Option<PageRequest>| {
        let req = QueryAccountsRequest {
            state: state.into(),
            xid: xid.into(),
            pagination: page,
        };
        let out = env
            .read(|ctx| {
                crate::query::route(ctx, "/akash.escrow.v1.Query/Accounts", &req.encode_to_vec())
            })
            .unwrap();
        QueryAccountsResponse::decode(out.as_slice()).unwrap()
    };
    let all = accounts("", "", None);
    assert_eq!(all.accounts.len(), 3);
    assert_eq!(all.pagination.as_ref().unwrap().total, 3);
    assert_eq!(accounts("open", "", None).accounts.len(), 2);
    let closed = accounts("closed", "", None);
    assert_eq!(closed.accounts.len(), 1);
    assert_eq!(
        closed.accounts[0].id.as_ref().unwrap().xid,
        format!("{owner}/70")
    );
    // xid is a key prefix: "deployment/<owner>/7" matches dseq 7, 70 and 71
    assert_eq!(
        accounts("", &format!("deployment/{owner}/7"), None)
            .accounts
            .len(),
        3
    );
    assert_eq!(
        accounts("", &format!("deployment/{owner}/71"), None)
            .accounts
            .len(),
        1
    );
    assert_eq!(accounts("", "bid/", None).accounts.len(), 0);
    let first = accounts(
        "",
        "",
        Some(PageRequest {
            limit: 2,
            ..Default::default()
        }),
    );
    assert_eq!(first.accounts.len(), 2);
    let next = first.pagination.unwrap().next_key;
    let second = accounts(
        "",
        "",
        Some(PageRequest {
            key: next,
            limit: 2,
            ..Default::default()
        }),
    );
    assert_eq!(second.accounts.len(), 1);
    assert_eq!(second.accounts[0], closed.accounts[0]);
    let e = env
        .read(|ctx| {
            let req = QueryAccountsRequest {
                state: "bogus".into(),
                ..Default::default()
            };
            crate::query::route(ctx, "/akash.escrow.v1.Query/Accounts", &req.encode_to_vec())
        })
        .unwrap_err();
    assert!(e.log.contains("bogus"), "{}", e.log);

    let payments = |state: &str, xid: &str| {
        let req = QueryPaymentsRequest {
            state: state.into(),
            xid: xid.into(),
            pagination: None,
        };
        let out = env
            .read(|ctx| {
                crate::query::route(ctx, "/akash.escrow.v1.Query/Payments", &req.encode_to_vec())
            })
            .unwrap();
        QueryPaymentsResponse::decode(out.as_slice())
            .unwrap()
            .payments
    };
    assert_eq!(payments("", "").len(), 2);
    assert_eq!(payments("open", "").len(), 1);
    assert_eq!(
        payments("closed", &format!("deployment/{owner}/7/1/")).len(),
        1
    );
    assert_eq!(payments("", &format!("deployment/{owner}/7/2/")).len(), 1);
}

// ---- genesis ----

#[test]
fn genesis_round_trips_and_checks_the_module_account() {
    let (mut env, aid) = setup();
    create(&mut env, &aid, 100);
    let p = pay(&mut env, 1, PROVIDER, "3");
    env.advance_blocks(4);
    env.run(|ctx| account_deposit(ctx, &NoHooks, &aid, &addr(FRIEND), &deposit("uakt", 20)))
        .unwrap();
    env.run(|ctx| {
        payment_close(
            ctx,
            &NoHooks,
            &lease_payment_id(&bech(&addr(OWNER)), 7, 1, 1, &bech(&addr(PROVIDER))),
        )
    })
    .unwrap();
    let _ = p;
    let p2 = pay(&mut env, 2, PROVIDER2, "2");
    env.advance_blocks(3);
    // settle without withdrawing: p2 holds a balance in escrow
    pay(&mut env, 3, PROVIDER, "1");
    assert_eq!(
        units(pstate(&env.payment(&p2)).balance.as_ref().unwrap()),
        6
    );
    let exported = env.read(|ctx| genesis::export(ctx));
    assert_eq!(exported.accounts.len(), 1);
    assert_eq!(exported.payments.len(), 3);

    // A new chain from that state: balances as they are now, settled heights reset to 1.
    let mut g = Genesis::new("kumo-test", "2026-01-01T00:00:00Z");
    for (who, a) in [
        (OWNER, addr(OWNER)),
        (FRIEND, addr(FRIEND)),
        (0, module_address()),
    ] {
        let _ = who;
        let amt = env.balance(&a, "uakt");
        g.add_account(&bech(&a), &[Coin::new("uakt", amt)]).unwrap();
    }
    let mut escrow = exported.clone();
    for a in &mut escrow.accounts {
        a["state"]["settled_at"] = serde_json::json!("1");
    }
    g.app_state.escrow = escrow;
    let mut env2 = Env::from_state(&g.app_state).unwrap();
    assert_eq!(
        env2.read(|ctx| genesis::export(ctx)).payments,
        exported.payments
    );
    let a2 = env2.account(&aid);
    assert_eq!(
        a2.state.as_ref().unwrap().funds,
        env.account(&aid).state.unwrap().funds
    );

    // The module account must hold exactly what is escrowed.
    let mut short = g.clone();
    let m = bech(&module_address());
    for b in &mut short.app_state.bank.balances {
        if b.address == m {
            b.coins[0].amount = "1".into();
        }
    }
    let e = Env::from_state(&short.app_state).err().expect("rejected");
    assert!(
        e.log.contains("escrow module account holds 1uakt"),
        "{}",
        e.log
    );
}

#[test]
fn community_pool_genesis_must_be_backed() {
    use crate::distribution::genesis::DecCoinJson;
    let mut g = Genesis::new("kumo-test", "2026-01-01T00:00:00Z");
    let dist = crate::auth::module_address("distribution");
    g.add_account(&bech(&dist), &[Coin::new("uakt", 7)])
        .unwrap();
    g.app_state.distribution.fee_pool.community_pool = vec![DecCoinJson {
        denom: "uakt".into(),
        amount: "7.500000000000000000".into(),
    }];
    let env = Env::from_state(&g.app_state).unwrap();
    assert_eq!(
        env.read(|ctx| crate::distribution::community_pool(ctx)),
        vec![("uakt".to_string(), 7 * DEC_ONE + DEC_ONE / 2)]
    );
    let exported = env.read(|ctx| crate::distribution::genesis::export(ctx, &Default::default()));
    assert_eq!(
        exported.fee_pool.community_pool,
        g.app_state.distribution.fee_pool.community_pool
    );
    g.app_state.distribution.fee_pool.community_pool[0].amount = "8.0".into();
    let e = Env::from_state(&g.app_state).err().expect("unbacked pool");
    assert!(e.log.contains("community pool"), "{}", e.log);
}

// ---- conservation under random use ----

#[derive(Clone, Debug)]
enum Op {
    Create {
        dseq: u64,
        who: u8,
        denom: usize,
        amount: u128,
    },
    Deposit {
        dseq: u64,
        who: u8,
        denom: usize,
        amount: u128,
    },
    PaymentCreate {
        dseq: u64,
        gseq: u32,
        provider: u8,
        denom: usize,
        rate_milli: u128,
    },
    Withdraw {
        dseq: u64,
        gseq: u32,
        provider: u8,
    },
    PaymentClose {
        dseq: u64,
        gseq: u32,
        provider: u8,
    },
    AccountClose {
        dseq: u64,
    },
    Advance {
        blocks: u64,
    },
}

const DENOMS: [&str; 2] = ["uakt", "uusdc"];

fn op() -> impl Strategy<Value = Op> {
    let dseq = 1u64..4;
    let who = prop_oneof![Just(OWNER), Just(FRIEND)];
    let provider = prop_oneof![Just(PROVIDER), Just(PROVIDER2)];
    prop_oneof![
        (dseq.clone(), who.clone(), 0usize..2, 1u128..400).prop_map(
            |(dseq, who, denom, amount)| Op::Create {
                dseq,
                who,
                denom,
                amount
            }
        ),
        (dseq.clone(), who, 0usize..2, 1u128..300).prop_map(|(dseq, who, denom, amount)| {
            Op::Deposit {
                dseq,
                who,
                denom,
                amount,
            }
        }),
        (
            dseq.clone(),
            1u32..4,
            provider.clone(),
            0usize..2,
            0u128..40_000
        )
            .prop_map(
                |(dseq, gseq, provider, denom, rate_milli)| Op::PaymentCreate {
                    dseq,
                    gseq,
                    provider,
                    denom,
                    rate_milli
                }
            ),
        (dseq.clone(), 1u32..4, provider.clone()).prop_map(|(dseq, gseq, provider)| Op::Withdraw {
            dseq,
            gseq,
            provider
        }),
        (dseq.clone(), 1u32..4, provider).prop_map(|(dseq, gseq, provider)| Op::PaymentClose {
            dseq,
            gseq,
            provider
        }),
        dseq.prop_map(|dseq| Op::AccountClose { dseq }),
        (0u64..30).prop_map(|blocks| Op::Advance { blocks }),
    ]
}

fn apply(env: &mut Env, op: &Op) -> Result<(), SdkError> {
    let owner = bech(&addr(OWNER));
    let pid = |dseq: u64, gseq: u32, provider: u8| {
        lease_payment_id(&owner, dseq, gseq, 1, &bech(&addr(provider)))
    };
    match op.clone() {
        Op::Create {
            dseq,
            who,
            denom,
            amount,
        } => env.run(|ctx| {
            let id = deployment_account_id(&owner, dseq);
            account_create(
                ctx,
                &NoHooks,
                &id,
                &addr(OWNER),
                &addr(who),
                &deposit(DENOMS[denom], amount),
            )
        }),
        Op::Deposit {
            dseq,
            who,
            denom,
            amount,
        } => env.run(|ctx| {
            let id = deployment_account_id(&owner, dseq);
            account_deposit(
                ctx,
                &NoHooks,
                &id,
                &addr(who),
                &deposit(DENOMS[denom], amount),
            )
        }),
        Op::PaymentCreate {
            dseq,
            gseq,
            provider,
            denom,
            rate_milli,
        } => env.run(|ctx| {
            let r = DecCoin {
                denom: DENOMS[denom].into(),
                amount: (rate_milli * (DEC_ONE / 1000)).to_string(),
            };
            payment_create(
                ctx,
                &NoHooks,
                &pid(dseq, gseq, provider),
                &addr(provider),
                &r,
            )
        }),
        Op::Withdraw {
            dseq,
            gseq,
            provider,
        } => env.run(|ctx| payment_withdraw(ctx, &NoHooks, &pid(dseq, gseq, provider))),
        Op::PaymentClose {
            dseq,
            gseq,
            provider,
        } => env.run(|ctx| payment_close(ctx, &NoHooks, &pid(dseq, gseq, provider))),
        Op::AccountClose { dseq } => {
            env.run(|ctx| account_close(ctx, &NoHooks, &deployment_account_id(&owner, dseq)))
        }
        Op::Advance { blocks } => {
            env.advance_blocks(blocks);
            Ok(())
        }
    }
}

fn check_invariants(env: &mut Env) -> Result<(), TestCaseError> {
    use std::collections::BTreeMap;
    env.read(|ctx| {
        // No token created or lost: every balance together is the supply.
        let mut held: BTreeMap<String, u128> = BTreeMap::new();
        for (k, v) in ctx.prefix_free(b"bank/bal/") {
            let denom = String::from_utf8(k[b"bank/bal/".len() + 20..].to_vec()).unwrap();
            *held.entry(denom).or_default() += crate::bank::state::decode_amount(&v);
        }
        for d in DENOMS {
            prop_assert_eq!(
                held.get(d).copied().unwrap_or(0),
                crate::bank::state::supply_of(ctx, d)
            );
        }
        // The escrow module account holds exactly the open funds and unpaid payment balances.
        let mut escrowed: BTreeMap<String, u128> = BTreeMap::new();
        for s in state::STORED_STATES {
            for (_, v) in ctx.prefix_free(&state::accounts_prefix(s, "")) {
                let a = state::Account::from_proto(&prost::Message::decode(v.as_slice()).unwrap())
                    .unwrap();
                for (denom, f) in &a.funds {
                    if *f < 0 {
                        prop_assert_eq!(
                            a.state,
                            State::Overdrawn,
                            "negative funds outside overdraw"
                        );
                    } else {
                        let slices: u128 = a
                            .deposits
                            .iter()
                            .filter(|d| &d.denom == denom)
                            .map(|d| d.atomics)
                            .sum();
                        prop_assert_eq!(*f as u128, slices, "funds differ from deposit slices");
                        *escrowed.entry(denom.clone()).or_default() += *f as u128;
                    }
                }
                if a.state == State::Closed {
                    prop_assert!(a.deposits.is_empty());
                }
            }
            for (_, v) in ctx.prefix_free(&state::payments_prefix(s, "")) {
                let p = state::Payment::from_proto(&prost::Message::decode(v.as_slice()).unwrap())
                    .unwrap();
                *escrowed.entry(p.denom.clone()).or_default() += p.balance;
                if p.state != State::Open {
                    prop_assert_eq!(p.balance % DEC_ONE, 0, "a closed payment keeps a fraction");
                }
            }
        }
        for d in DENOMS {
            let atomics = escrowed.get(d).copied().unwrap_or(0);
            prop_assert_eq!(atomics % DEC_ONE, 0);
            let module = crate::bank::state::balance(ctx, &module_address(), d).unwrap();
            prop_assert_eq!(
                module,
                atomics / DEC_ONE,
                "escrow module account vs records for {}",
                d
            );
        }
        // The community pool is backed by the distribution module account.
        let dist = crate::auth::module_address("distribution");
        for (d, a) in crate::distribution::community_pool(ctx) {
            prop_assert_eq!(a % DEC_ONE, 0);
            prop_assert_eq!(
                crate::bank::state::balance(ctx, &dist, &d).unwrap(),
                a / DEC_ONE
            );
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn random_use_conserves_tokens(ops in proptest::collection::vec(op(), 1..40)) {
        let mut env = Env::new(&[addr(OWNER), addr(FRIEND)], &DENOMS);
        for op in &ops {
            if let Err(e) = apply(&mut env, op) {
                // Failures are ordinary escrow/sdk errors, never corrupt state.
                prop_assert!(e.codespace == "escrow" || e.codespace == "sdk", "{:?}", e);
                prop_assert!(e.code != 11, "settlement error on {:?}: {}", op, e.log);
            }
            check_invariants(&mut env)?;
        }
    }
}
