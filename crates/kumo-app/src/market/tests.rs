//! The reverse auction end to end on the shared in-memory chain (`test_ctx::TestChain`):
//! messages are decoded from their `Any` (ValidateBasic), their signer checked as the ante
//! handler does, and run in a cache layer dropped on error. Every step checks that no uakt is created or
//! lost and that the escrow module holds exactly what escrow records say it holds.

use super::state::*;
use crate::coins::Coin;
use crate::ctx::Ctx;
use crate::deployment::state::{DeploymentId, DeploymentState, GroupState};
use crate::errors::SdkError;
use crate::escrow::types;
use crate::genesis::Genesis;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::{Coin as ProtoCoin, DecCoin};
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::base::resources::v1beta4::{
    Cpu, Gpu, Memory, ResourceValue, Resources, Storage,
};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::math::DEC_ONE;
use proptest::prelude::*;
use prost::{Message, Name};

pub(crate) const START: u128 = 100_000_000;
pub(crate) const TENANT: u8 = 1;
const STRANGER: u8 = 9;
pub(crate) const DEPOSIT: u128 = 5_000_000;
pub(crate) const BID_DEPOSIT: u128 = 500_000;
/// The order's price per block: one GPU unit at 1000 uakt.
pub(crate) const ORDER_PRICE: u128 = 1000;

pub(crate) use crate::test_ctx::addr;
use crate::test_ctx::{TestChain, CHAIN_ID, GENESIS_TIME};

pub(crate) fn bech(a: Address) -> String {
    a.to_bech32(ACCOUNT_HRP)
}

/// The market tests' chain: the shared [`TestChain`], with every message followed by the
/// token and escrow invariants, and lookups of market records.
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
    fn new(funded: &[Address]) -> Env {
        let mut g = Genesis::new(CHAIN_ID, GENESIS_TIME);
        for a in funded {
            g.add_account(
                &bech(*a),
                &[
                    Coin::new("uact", START),
                    Coin::new("uakt", START),
                    Coin::new("uusdc", START),
                ],
            )
            .unwrap();
        }
        Env(TestChain::from_genesis(&g))
    }

    /// Delivers a message signed by `signer` (decode + ValidateBasic, the ante's signer check,
    /// execution); afterwards the supply and escrow invariants must hold.
    pub(crate) fn tx<M: Message + Name>(&mut self, signer: u8, m: &M) -> Result<(), SdkError> {
        let r = self.0.tx(&addr(signer), m).map(|_| ());
        self.check_invariants();
        r
    }

    /// A refused message changes nothing at all.
    fn refused<M: Message + Name>(&mut self, signer: u8, m: &M) -> SdkError {
        let before = self.dump();
        let e = self.tx(signer, m).expect_err("the message must be refused");
        assert_eq!(
            before,
            self.dump(),
            "a refused message changed state: {e:?}"
        );
        e
    }

    fn uakt(&self, a: Address) -> u128 {
        self.balance(&a, "uakt")
    }

    /// Supply equals the sum of balances; the escrow module account holds exactly the unspent
    /// account funds plus the payments' accrued, unwithdrawn balances; nothing is negative.
    fn check_invariants(&self) {
        self.read(|ctx| {
            for denom in ["uact", "uakt", "uusdc"] {
                assert_eq!(
                    crate::bank::query::sum_balances(ctx, denom),
                    crate::bank::state::supply_of(ctx, denom),
                    "{denom} supply differs from the sum of balances"
                );
                let mut owed: i128 = 0;
                for (_, v) in ctx.prefix_free(b"escrow/acc/") {
                    let a = types::Account::decode(v.as_slice()).unwrap();
                    for f in &a.state.unwrap().funds {
                        let atoms: i128 = f.amount.parse().unwrap();
                        if f.denom == denom && atoms > 0 {
                            owed += atoms;
                        }
                    }
                }
                for (_, v) in ctx.prefix_free(b"escrow/pay/") {
                    let p = types::Payment::decode(v.as_slice()).unwrap();
                    if let Some(b) = p.state.unwrap().balance {
                        if b.denom == denom {
                            let atoms: i128 = b.amount.parse().unwrap();
                            assert!(atoms >= 0, "negative payment balance");
                            owed += atoms;
                        }
                    }
                }
                let held = crate::bank::state::balance(
                    ctx,
                    &crate::escrow::state::module_address(),
                    denom,
                )
                .unwrap();
                assert_eq!(
                    held as i128 * DEC_ONE as i128,
                    owed,
                    "escrow holds {held}{denom} but its records add up to {owed} atomics"
                );
            }
        });
    }

    /// A query that must succeed.
    pub(crate) fn query<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        req: &Req,
    ) -> Resp {
        self.0
            .query(path, req)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn deployment(&self, dseq: u64) -> dv1b4::QueryDeploymentResponse {
        self.query(
            "/akash.deployment.v1beta4.Query/Deployment",
            &dv1b4::QueryDeploymentRequest {
                id: Some(did(dseq)),
            },
        )
    }

    fn lease(&self, provider: u8, dseq: u64) -> mv1b5::QueryLeaseResponse {
        self.query(
            "/akash.market.v1beta5.Query/Lease",
            &mv1b5::QueryLeaseRequest {
                id: Some(lease_id(provider, dseq, 1)),
            },
        )
    }

    fn bid_state(&self, provider: u8, dseq: u64, oseq: u32) -> BidState {
        let r: mv1b5::QueryBidResponse = self.query(
            "/akash.market.v1beta5.Query/Bid",
            &mv1b5::QueryBidRequest {
                id: Some(bid_id(provider, dseq, oseq)),
            },
        );
        BidState::try_from(r.bid.unwrap().state).unwrap()
    }

    fn order_state(&self, dseq: u64, oseq: u32) -> OrderState {
        let r: mv1b5::QueryOrderResponse = self.query(
            "/akash.market.v1beta5.Query/Order",
            &mv1b5::QueryOrderRequest {
                id: Some(mv1::OrderId {
                    owner: bech(addr(TENANT)),
                    dseq,
                    gseq: 1,
                    oseq,
                }),
            },
        );
        OrderState::try_from(r.order.unwrap().state).unwrap()
    }

    fn community_pool(&self) -> u128 {
        self.read(|ctx| {
            crate::distribution::state::community_pool(ctx)
                .into_iter()
                .find(|(d, _)| d == "uakt")
                .map_or(0, |(_, a)| a / DEC_ONE)
        })
    }

    /// Registers a provider directly in x/provider state (the provider module's own tests
    /// cover MsgCreateProvider).
    fn register_provider(&mut self, n: u8, attributes: Vec<Attribute>) {
        self.run(|ctx| {
            crate::provider::state::set(
                ctx,
                &addr(n),
                &kumo_proto::akash::provider::v1beta4::Provider {
                    owner: bech(addr(n)),
                    host_uri: format!("https://provider{n}.example.com"),
                    attributes,
                    info: None,
                },
            )
        })
        .unwrap();
    }
}

fn rv(v: u128) -> Option<ResourceValue> {
    Some(ResourceValue {
        val: v.to_string().into_bytes(),
    })
}

fn attr(k: &str, v: &str) -> Attribute {
    Attribute {
        key: k.into(),
        value: v.into(),
    }
}

pub(crate) fn dec(denom: &str, whole: u128) -> DecCoin {
    DecCoin {
        denom: denom.into(),
        amount: (whole * DEC_ONE).to_string(),
    }
}

fn deposit(denom: &str, amount: u128) -> Deposit {
    Deposit {
        amount: Some(ProtoCoin {
            denom: denom.into(),
            amount: amount.to_string(),
        }),
        sources: vec![Source::Balance as i32],
    }
}

/// One replica with 1 CPU, 1 GiB memory, 10 GiB storage and one NVIDIA A100, at 1000 uakt.
pub(crate) fn gpu_group() -> dv1b4::GroupSpec {
    dv1b4::GroupSpec {
        name: "westcoast".into(),
        requirements: Some(Default::default()),
        resources: vec![dv1b4::ResourceUnit {
            resource: Some(Resources {
                id: 1,
                cpu: Some(Cpu {
                    units: rv(1000),
                    attributes: vec![],
                }),
                memory: Some(Memory {
                    quantity: rv(1 << 30),
                    attributes: vec![],
                }),
                storage: vec![Storage {
                    name: "default".into(),
                    quantity: rv(10 << 30),
                    attributes: vec![],
                }],
                gpu: Some(Gpu {
                    units: rv(1),
                    attributes: vec![attr("vendor/nvidia/model/a100", "true")],
                }),
                endpoints: vec![],
            }),
            count: 1,
            price: Some(dec("uakt", ORDER_PRICE)),
        }],
    }
}

pub(crate) fn did(dseq: u64) -> dv1::DeploymentId {
    dv1::DeploymentId {
        owner: bech(addr(TENANT)),
        dseq,
    }
}

pub(crate) fn create_deployment(dseq: u64, amount: u128) -> dv1b4::MsgCreateDeployment {
    dv1b4::MsgCreateDeployment {
        id: Some(did(dseq)),
        groups: vec![gpu_group()],
        hash: vec![7; 32],
        deposit: Some(deposit("uakt", amount)),
        reclamation: None,
    }
}

pub(crate) fn bid_id(provider: u8, dseq: u64, oseq: u32) -> mv1::BidId {
    mv1::BidId {
        owner: bech(addr(TENANT)),
        dseq,
        gseq: 1,
        oseq,
        provider: bech(addr(provider)),
        bseq: 0,
    }
}

pub(crate) fn lease_id(provider: u8, dseq: u64, oseq: u32) -> mv1::LeaseId {
    let b = bid_id(provider, dseq, oseq);
    mv1::LeaseId {
        owner: b.owner,
        dseq: b.dseq,
        gseq: b.gseq,
        oseq: b.oseq,
        provider: b.provider,
        bseq: b.bseq,
    }
}

pub(crate) fn create_bid(provider: u8, dseq: u64, oseq: u32, price: u128) -> mv1b5::MsgCreateBid {
    mv1b5::MsgCreateBid {
        id: Some(bid_id(provider, dseq, oseq)),
        price: Some(dec("uakt", price)),
        deposit: Some(deposit("uakt", BID_DEPOSIT)),
        resources_offer: vec![],
        reclamation_window: None,
    }
}

pub(crate) fn create_lease(provider: u8, dseq: u64, oseq: u32) -> mv1b5::MsgCreateLease {
    mv1b5::MsgCreateLease {
        bid_id: Some(bid_id(provider, dseq, oseq)),
    }
}

fn withdraw(provider: u8, dseq: u64) -> mv1b5::MsgWithdrawLease {
    mv1b5::MsgWithdrawLease {
        id: Some(lease_id(provider, dseq, 1)),
    }
}

fn gpu_caps() -> Vec<Attribute> {
    vec![
        attr("region", "us-west"),
        attr("capabilities/gpu/vendor/nvidia/model/a100", "true"),
    ]
}

fn code(e: &SdkError) -> (&'static str, u32) {
    (e.codespace, e.code)
}

pub(crate) const GOOD: u8 = 2;
const PRICEY: u8 = 3;
const NO_GPU: u8 = 4;
pub(crate) const RUNNER_UP: u8 = 5;

/// Tenant, four providers (good, too expensive, without the GPU, runner-up) and a stranger.
pub(crate) fn market() -> Env {
    let mut env = Env::new(&[
        addr(TENANT),
        addr(GOOD),
        addr(PRICEY),
        addr(NO_GPU),
        addr(RUNNER_UP),
        addr(STRANGER),
    ]);
    env.register_provider(GOOD, gpu_caps());
    env.register_provider(PRICEY, gpu_caps());
    env.register_provider(NO_GPU, vec![attr("region", "us-west")]);
    env.register_provider(RUNNER_UP, gpu_caps());
    env
}

#[test]
fn the_full_auction() {
    let mut env = market();
    let take_rate = env.read(|ctx| {
        let p = crate::take::state::params(ctx);
        p.denom_take_rates
            .iter()
            .find(|r| r.denom == "uakt")
            .map_or(p.default_take_rate, |r| r.rate)
    }) as u128;

    // The tenant posts a GPU deployment; its deposit moves into escrow, one order opens.
    env.tx(TENANT, &create_deployment(100, DEPOSIT)).unwrap();
    assert_eq!(env.uakt(addr(TENANT)), START - DEPOSIT);
    let d = env.deployment(100);
    assert_eq!(d.deployment.unwrap().state, DeploymentState::Active as i32);
    assert_eq!(d.groups[0].state, GroupState::Open as i32);
    assert!(d.escrow_account.is_some());
    assert_eq!(env.order_state(100, 1), OrderState::Open);

    // Above the order price: BidOverOrder (market 4).
    let e = env.refused(PRICEY, &create_bid(PRICEY, 100, 1, ORDER_PRICE + 1));
    assert_eq!(code(&e), ("market", 4), "{e}");
    // No GPU capability: CapabilitiesMismatch (market 32).
    let e = env.refused(NO_GPU, &create_bid(NO_GPU, 100, 1, 900));
    assert_eq!(code(&e), ("market", 32), "{e}");
    // Two good bids; each locks the provider's deposit.
    env.tx(GOOD, &create_bid(GOOD, 100, 1, 800)).unwrap();
    env.tx(RUNNER_UP, &create_bid(RUNNER_UP, 100, 1, 850))
        .unwrap();
    assert_eq!(env.uakt(addr(GOOD)), START - BID_DEPOSIT);
    assert_eq!(env.uakt(addr(RUNNER_UP)), START - BID_DEPOSIT);

    // The tenant leases the cheaper bid: the runner-up loses and gets its deposit back.
    env.tx(TENANT, &create_lease(GOOD, 100, 1)).unwrap();
    assert_eq!(env.bid_state(GOOD, 100, 1), BidState::Active);
    assert_eq!(env.bid_state(RUNNER_UP, 100, 1), BidState::Lost);
    assert_eq!(env.uakt(addr(RUNNER_UP)), START);
    assert_eq!(env.order_state(100, 1), OrderState::Active);
    let lease = env.lease(GOOD, 100);
    assert_eq!(lease.lease.unwrap().state, LeaseState::Active as i32);
    assert!(lease.escrow_payment.is_some());

    // Ten blocks later the provider withdraws 10 × 800 minus the take.
    env.advance_blocks(10);
    let pool_before = env.community_pool();
    env.tx(GOOD, &withdraw(GOOD, 100)).unwrap();
    let earned = 10 * 800;
    let fee = earned * take_rate / 100;
    assert_eq!(env.uakt(addr(GOOD)), START - BID_DEPOSIT + earned - fee);
    assert_eq!(env.community_pool() - pool_before, fee);

    // The tenant tops up through escrow's MsgAccountDeposit.
    let top_up = 1_000_000;
    env.tx(
        TENANT,
        &kumo_proto::akash::escrow::v1::MsgAccountDeposit {
            signer: bech(addr(TENANT)),
            id: Some(crate::market::hooks::deployment_account(DeploymentId {
                owner: addr(TENANT),
                dseq: 100,
            })),
            deposit: Some(deposit("uakt", top_up)),
        },
    )
    .unwrap();
    assert_eq!(env.uakt(addr(TENANT)), START - DEPOSIT - top_up);

    // The escrow runs dry: (5 000 000 + 1 000 000 - 8 000) / 800 = 7490 more blocks pay in
    // full. Settling after 8000 blocks overdraws it.
    env.advance_blocks(8000);
    env.tx(GOOD, &withdraw(GOOD, 100)).unwrap();
    let l = env.lease(GOOD, 100).lease.unwrap();
    assert_eq!(l.state, LeaseState::InsufficientFunds as i32);
    assert_eq!(l.reason, LeaseClosedReason::InsufficientFunds as i32);
    assert_eq!(l.reason, 20000);
    let d = env.deployment(100);
    assert_eq!(d.deployment.unwrap().state, DeploymentState::Closed as i32);
    assert_eq!(d.groups[0].state, GroupState::InsufficientFunds as i32);
    assert_eq!(env.order_state(100, 1), OrderState::Closed);
    assert_eq!(env.bid_state(GOOD, 100, 1), BidState::Closed);
    // The provider got everything the tenant deposited, minus the take, and its bid deposit
    // back; the tenant got nothing back (all spent); the pool got the take.
    let paid = DEPOSIT + top_up;
    let provider_gain = env.uakt(addr(GOOD)) - START;
    let pool_gain = env.community_pool() - pool_before;
    assert_eq!(provider_gain + pool_gain, paid);
    assert_eq!(env.uakt(addr(TENANT)), START - paid);
    let held = env.read(|ctx| {
        crate::bank::state::balance(ctx, &crate::escrow::state::module_address(), "uakt").unwrap()
    });
    assert_eq!(held, 0, "escrow is empty once everything closed");
}

#[test]
fn closing_a_deployment_refunds_and_closes_everything() {
    let mut env = market();
    env.tx(TENANT, &create_deployment(7, DEPOSIT)).unwrap();
    env.tx(GOOD, &create_bid(GOOD, 7, 1, 500)).unwrap();
    env.tx(TENANT, &create_lease(GOOD, 7, 1)).unwrap();
    env.advance_blocks(4);
    env.tx(TENANT, &dv1b4::MsgCloseDeployment { id: Some(did(7)) })
        .unwrap();
    let d = env.deployment(7);
    assert_eq!(d.deployment.unwrap().state, DeploymentState::Closed as i32);
    assert_eq!(d.groups[0].state, GroupState::Closed as i32);
    let l = env.lease(GOOD, 7).lease.unwrap();
    assert_eq!(l.state, LeaseState::Closed as i32);
    assert_eq!(l.reason, LeaseClosedReason::LeaseClosedOwner as i32);
    // Tenant paid exactly 4 blocks × 500.
    assert_eq!(env.uakt(addr(TENANT)), START - 2000);
    assert_eq!(env.bid_state(GOOD, 7, 1), BidState::Closed);
    // Closing again: DeploymentClosed (deployment 5).
    let e = env.refused(TENANT, &dv1b4::MsgCloseDeployment { id: Some(did(7)) });
    assert_eq!(code(&e), ("deployment", 5));
}

#[test]
fn tenant_close_lease_reorders_and_provider_close_bid_pauses() {
    let mut env = market();
    env.tx(TENANT, &create_deployment(8, DEPOSIT)).unwrap();
    env.tx(GOOD, &create_bid(GOOD, 8, 1, 500)).unwrap();
    env.tx(TENANT, &create_lease(GOOD, 8, 1)).unwrap();
    env.advance_blocks(2);
    env.tx(
        TENANT,
        &mv1b5::MsgCloseLease {
            id: Some(lease_id(GOOD, 8, 1)),
            reason: 0,
        },
    )
    .unwrap();
    assert_eq!(env.order_state(8, 1), OrderState::Closed);
    assert_eq!(
        env.order_state(8, 2),
        OrderState::Open,
        "a new order follows"
    );
    assert_eq!(
        env.uakt(addr(GOOD)),
        START + 1000 - 1000 * take_of(&env) / 100
    );

    // Second lease on order 2, then the provider ends it: the group pauses.
    env.tx(RUNNER_UP, &create_bid(RUNNER_UP, 8, 2, 400))
        .unwrap();
    env.tx(TENANT, &create_lease(RUNNER_UP, 8, 2)).unwrap();
    env.advance_blocks(1);
    env.tx(
        RUNNER_UP,
        &mv1b5::MsgCloseBid {
            id: Some(bid_id(RUNNER_UP, 8, 2)),
            reason: LeaseClosedReason::Unstable as i32,
        },
    )
    .unwrap();
    let d = env.deployment(8);
    assert_eq!(d.groups[0].state, GroupState::Paused as i32);
    assert_eq!(env.order_state(8, 2), OrderState::Closed);
    let l: mv1b5::QueryLeaseResponse = env.query(
        "/akash.market.v1beta5.Query/Lease",
        &mv1b5::QueryLeaseRequest {
            id: Some(lease_id(RUNNER_UP, 8, 2)),
        },
    );
    assert_eq!(l.lease.unwrap().reason, 10000);
    // StartGroup opens order 3.
    let gid = Some(dv1::GroupId {
        owner: bech(addr(TENANT)),
        dseq: 8,
        gseq: 1,
    });
    env.tx(TENANT, &dv1b4::MsgStartGroup { id: gid.clone() })
        .unwrap();
    assert_eq!(env.order_state(8, 3), OrderState::Open);
    let e = env.refused(TENANT, &dv1b4::MsgStartGroup { id: gid.clone() });
    assert_eq!(code(&e), ("deployment", 16));
    env.tx(TENANT, &dv1b4::MsgPauseGroup { id: gid.clone() })
        .unwrap();
    let e = env.refused(TENANT, &dv1b4::MsgPauseGroup { id: gid.clone() });
    assert_eq!(code(&e), ("deployment", 17));
    env.tx(TENANT, &dv1b4::MsgCloseGroup { id: gid.clone() })
        .unwrap();
    let e = env.refused(TENANT, &dv1b4::MsgCloseGroup { id: gid });
    assert_eq!(code(&e), ("deployment", 15));
}

fn take_of(env: &Env) -> u128 {
    env.read(|ctx| {
        let p = crate::take::state::params(ctx);
        p.denom_take_rates
            .iter()
            .find(|r| r.denom == "uakt")
            .map_or(p.default_take_rate, |r| r.rate)
    }) as u128
}

#[test]
fn bad_input_is_refused_with_akash_codes_and_changes_nothing() {
    let mut env = market();
    // Deployment deposit in a denom params do not list: deployment InvalidDeposit (20).
    let mut m = create_deployment(5, DEPOSIT);
    for g in &mut m.groups {
        g.resources[0].price = Some(dec("uusdc", ORDER_PRICE));
    }
    m.deposit = Some(deposit("uusdc", DEPOSIT));
    assert_eq!(code(&env.refused(TENANT, &m)), ("deployment", 20));
    // Deposit denom differs from the price denom: InvalidDeposit (20), stateless.
    let mut m = create_deployment(5, DEPOSIT);
    m.deposit = Some(deposit("uusdc", DEPOSIT));
    assert_eq!(code(&env.refused(TENANT, &m)), ("deployment", 20));
    // Below the minimum deposit.
    assert_eq!(
        code(&env.refused(TENANT, &create_deployment(5, 499_999))),
        ("deployment", 20)
    );
    // A 31-byte hash, no groups, dseq 0, a reclamation, CPU over the limit, zero-count GPU attrs.
    let mut m = create_deployment(5, DEPOSIT);
    m.hash.pop();
    assert_eq!(code(&env.refused(TENANT, &m)), ("deployment", 10));
    let mut m = create_deployment(5, DEPOSIT);
    m.groups.clear();
    assert_eq!(code(&env.refused(TENANT, &m)), ("deployment", 7));
    assert_eq!(
        code(&env.refused(TENANT, &create_deployment(0, DEPOSIT))),
        ("deployment", 8)
    );
    let mut m = create_deployment(5, DEPOSIT);
    m.reclamation = Some(dv1::DeploymentReclamation {
        min_window: Some(prost_types::Duration {
            seconds: 3600,
            nanos: 0,
        }),
    });
    let e = env.refused(TENANT, &m);
    assert_eq!(code(&e), ("deployment", 26));
    assert!(e.log.contains("reclamation is not supported"), "{e}");
    let mut m = create_deployment(5, DEPOSIT);
    m.groups[0].resources[0]
        .resource
        .as_mut()
        .unwrap()
        .cpu
        .as_mut()
        .unwrap()
        .units = rv(384_001);
    assert_eq!(code(&env.refused(TENANT, &m)), ("deployment", 19));
    let mut m = create_deployment(5, DEPOSIT);
    m.groups.push(gpu_group());
    assert_eq!(code(&env.refused(TENANT, &m)), ("deployment", 25));
    let mut m = create_deployment(5, DEPOSIT);
    m.groups[0].resources[0].price = Some(dec("uakt", 10_000_001));
    assert_eq!(code(&env.refused(TENANT, &m)), ("deployment", 24));
    // A stranger cannot sign for the tenant.
    let e = env.refused(STRANGER, &create_deployment(5, DEPOSIT));
    assert_eq!(code(&e), ("sdk", 4));

    env.tx(TENANT, &create_deployment(5, DEPOSIT)).unwrap();
    assert_eq!(
        code(&env.refused(TENANT, &create_deployment(5, DEPOSIT))),
        ("deployment", 3)
    );
    // Bid deposit in the wrong denom: market InvalidDeposit (28).
    let mut b = create_bid(GOOD, 5, 1, 800);
    b.deposit = Some(deposit("uusdc", BID_DEPOSIT));
    assert_eq!(code(&env.refused(GOOD, &b)), ("market", 28));
    // Zero price (19), self-bid (2), reserved bseq (31), unknown order (15), a reclamation
    // window (39), an unregistered provider (30), offer count mismatch (31).
    assert_eq!(
        code(&env.refused(GOOD, &create_bid(GOOD, 5, 1, 0))),
        ("market", 19)
    );
    assert_eq!(
        code(&env.refused(TENANT, &create_bid(TENANT, 5, 1, 800))),
        ("market", 2)
    );
    let mut b = create_bid(GOOD, 5, 1, 800);
    b.id.as_mut().unwrap().bseq = 1;
    assert_eq!(code(&env.refused(GOOD, &b)), ("market", 31));
    assert_eq!(
        code(&env.refused(GOOD, &create_bid(GOOD, 5, 9, 800))),
        ("market", 15)
    );
    let mut b = create_bid(GOOD, 5, 1, 800);
    b.reclamation_window = Some(prost_types::Duration {
        seconds: 3600,
        nanos: 0,
    });
    assert_eq!(code(&env.refused(GOOD, &b)), ("market", 39));
    assert_eq!(
        code(&env.refused(STRANGER, &create_bid(STRANGER, 5, 1, 800))),
        ("market", 30)
    );
    let mut b = create_bid(GOOD, 5, 1, 800);
    b.resources_offer = vec![mv1b5::ResourceOffer {
        resources: gpu_group().resources[0].resource.clone(),
        count: 2,
        prices: None,
    }];
    assert_eq!(code(&env.refused(GOOD, &b)), ("market", 31));

    env.tx(GOOD, &create_bid(GOOD, 5, 1, 800)).unwrap();
    env.tx(RUNNER_UP, &create_bid(RUNNER_UP, 5, 1, 900))
        .unwrap();
    // A second bid by the same provider: BidExists (21).
    assert_eq!(
        code(&env.refused(GOOD, &create_bid(GOOD, 5, 1, 700))),
        ("market", 21)
    );
    // Provider close with a tenant reason: InvalidLeaseClosedReason (33).
    let close = mv1b5::MsgCloseBid {
        id: Some(bid_id(RUNNER_UP, 5, 1)),
        reason: LeaseClosedReason::LeaseClosedOwner as i32,
    };
    assert_eq!(code(&env.refused(RUNNER_UP, &close)), ("market", 33));
    // The runner-up withdraws its open bid: deposit refunded.
    env.tx(
        RUNNER_UP,
        &mv1b5::MsgCloseBid {
            id: Some(bid_id(RUNNER_UP, 5, 1)),
            reason: LeaseClosedReason::Unspecified as i32,
        },
    )
    .unwrap();
    assert_eq!(env.uakt(addr(RUNNER_UP)), START);
    // A lease on the closed bid: BidNotOpen (12).
    assert_eq!(
        code(&env.refused(TENANT, &create_lease(RUNNER_UP, 5, 1))),
        ("market", 12)
    );
    // A stranger cannot lease, close or withdraw for others.
    assert_eq!(
        code(&env.refused(STRANGER, &create_lease(GOOD, 5, 1))),
        ("sdk", 4)
    );
    env.tx(TENANT, &create_lease(GOOD, 5, 1)).unwrap();
    let close_lease = mv1b5::MsgCloseLease {
        id: Some(lease_id(GOOD, 5, 1)),
        reason: 0,
    };
    assert_eq!(code(&env.refused(STRANGER, &close_lease)), ("sdk", 4));
    assert_eq!(code(&env.refused(STRANGER, &withdraw(GOOD, 5))), ("sdk", 4));
    // With the stranger's own address as owner there is no such order: OrderNotFound (15).
    let mut foreign = close_lease.clone();
    foreign.id.as_mut().unwrap().owner = bech(addr(STRANGER));
    assert_eq!(code(&env.refused(STRANGER, &foreign)), ("market", 15));
    // Bidding on the now-active order: OrderActive (23).
    assert_eq!(
        code(&env.refused(PRICEY, &create_bid(PRICEY, 5, 1, 100))),
        ("market", 23)
    );
    // Reclaim is v2.1: refused with a clear message.
    let e = env.refused(
        GOOD,
        &mv1b5::MsgLeaseStartReclaim {
            id: Some(lease_id(GOOD, 5, 1)),
            reason: 10000,
        },
    );
    assert!(e.log.contains("reclamation is not supported"), "{e}");
    // Params only through gov.
    let e = env.refused(
        STRANGER,
        &mv1b5::MsgUpdateParams {
            authority: bech(addr(STRANGER)),
            params: Some(default_params()),
        },
    );
    assert_eq!(code(&e), ("sdk", 4));
}

#[test]
fn order_max_bids_caps_open_bids_at_twenty() {
    // With the default order_max_bids = 20, the 21st bid is refused with InvalidBid
    // (market 31). (Akash's `count > max` check would let a 21st in; kumo enforces the cap.)
    let providers: Vec<u8> = (10..31).collect();
    let mut funded: Vec<Address> = providers.iter().map(|p| addr(*p)).collect();
    funded.push(addr(TENANT));
    let mut env = Env::new(&funded);
    for p in &providers {
        env.register_provider(*p, gpu_caps());
    }
    env.tx(TENANT, &create_deployment(3, DEPOSIT)).unwrap();
    for p in &providers[..20] {
        env.tx(*p, &create_bid(*p, 3, 1, 500)).unwrap();
    }
    let last = providers[20];
    let e = env.refused(last, &create_bid(last, 3, 1, 500));
    assert_eq!(code(&e), ("market", 31), "{e}");
    // Leasing one refunds all 19 losers (Akash's loop would stop after the first).
    env.tx(TENANT, &create_lease(providers[0], 3, 1)).unwrap();
    for p in &providers[1..20] {
        assert_eq!(
            env.uakt(addr(*p)),
            START,
            "provider {p} got its deposit back"
        );
        assert_eq!(env.bid_state(*p, 3, 1), BidState::Lost);
    }
}

#[test]
fn list_queries_filter_and_page() {
    let mut env = market();
    for dseq in [11, 12, 13] {
        env.tx(TENANT, &create_deployment(dseq, DEPOSIT)).unwrap();
        env.tx(GOOD, &create_bid(GOOD, dseq, 1, 500)).unwrap();
        env.tx(RUNNER_UP, &create_bid(RUNNER_UP, dseq, 1, 600))
            .unwrap();
    }
    env.tx(TENANT, &create_lease(GOOD, 12, 1)).unwrap();
    env.tx(TENANT, &dv1b4::MsgCloseDeployment { id: Some(did(13)) })
        .unwrap();

    let deployments =
        |f: dv1b4::DeploymentFilters, limit: u64| -> dv1b4::QueryDeploymentsResponse {
            env.query(
                "/akash.deployment.v1beta4.Query/Deployments",
                &dv1b4::QueryDeploymentsRequest {
                    filters: Some(f),
                    pagination: Some(PageRequest {
                        limit,
                        count_total: true,
                        ..Default::default()
                    }),
                },
            )
        };
    let all = deployments(Default::default(), 0);
    assert_eq!(all.deployments.len(), 3);
    let active = deployments(
        dv1b4::DeploymentFilters {
            state: "active".into(),
            ..Default::default()
        },
        0,
    );
    assert_eq!(active.deployments.len(), 2);
    let page = deployments(
        dv1b4::DeploymentFilters {
            owner: bech(addr(TENANT)),
            ..Default::default()
        },
        2,
    );
    assert_eq!(page.deployments.len(), 2);
    assert!(!page.pagination.unwrap().next_key.is_empty());
    let one = deployments(
        dv1b4::DeploymentFilters {
            owner: bech(addr(TENANT)),
            dseq: 12,
            ..Default::default()
        },
        0,
    );
    assert_eq!(one.deployments.len(), 1);
    assert_eq!(one.deployments[0].groups.len(), 1);

    let bids = |f: mv1b5::BidFilters| -> Vec<mv1b5::QueryBidResponse> {
        let r: mv1b5::QueryBidsResponse = env.query(
            "/akash.market.v1beta5.Query/Bids",
            &mv1b5::QueryBidsRequest {
                filters: Some(f),
                pagination: None,
            },
        );
        r.bids
    };
    assert_eq!(bids(Default::default()).len(), 6);
    let by_provider = bids(mv1b5::BidFilters {
        provider: bech(addr(RUNNER_UP)),
        ..Default::default()
    });
    assert_eq!(by_provider.len(), 3);
    assert!(by_provider.iter().all(|b| b.escrow_account.is_some()));
    let lost = bids(mv1b5::BidFilters {
        state: "lost".into(),
        ..Default::default()
    });
    assert_eq!(lost.len(), 1);
    let open_for_11 = bids(mv1b5::BidFilters {
        owner: bech(addr(TENANT)),
        dseq: 11,
        state: "open".into(),
        ..Default::default()
    });
    assert_eq!(open_for_11.len(), 2);

    let orders: mv1b5::QueryOrdersResponse = env.query(
        "/akash.market.v1beta5.Query/Orders",
        &mv1b5::QueryOrdersRequest {
            filters: Some(mv1b5::OrderFilters {
                state: "closed".into(),
                ..Default::default()
            }),
            pagination: None,
        },
    );
    assert_eq!(orders.orders.len(), 1);
    let leases: mv1b5::QueryLeasesResponse = env.query(
        "/akash.market.v1beta5.Query/Leases",
        &mv1b5::QueryLeasesRequest {
            filters: Some(mv1::LeaseFilters {
                provider: bech(addr(GOOD)),
                state: "active".into(),
                ..Default::default()
            }),
            pagination: None,
        },
    );
    assert_eq!(leases.leases.len(), 1);
    assert!(leases.leases[0].escrow_payment.is_some());
    // A state name that does not exist is a bad request.
    let r = env.read(|ctx| {
        crate::query::route(
            ctx,
            "/akash.market.v1beta5.Query/Leases",
            &mv1b5::QueryLeasesRequest {
                filters: Some(mv1::LeaseFilters {
                    state: "sleeping".into(),
                    ..Default::default()
                }),
                pagination: None,
            }
            .encode_to_vec(),
        )
    });
    assert!(r.unwrap_err().log.contains("invalid state filter"));
}

#[test]
fn genesis_round_trips() {
    let mut env = market();
    env.tx(TENANT, &create_deployment(21, DEPOSIT)).unwrap();
    env.tx(GOOD, &create_bid(GOOD, 21, 1, 500)).unwrap();
    env.tx(TENANT, &create_lease(GOOD, 21, 1)).unwrap();
    let (d, m) = env.read(|ctx| {
        (
            crate::deployment::genesis::export(ctx),
            crate::market::genesis::export(ctx),
        )
    });
    let json = serde_json::to_string(&(&d, &m)).unwrap();
    let (d2, m2): (
        crate::deployment::genesis::GenesisState,
        crate::market::genesis::GenesisState,
    ) = serde_json::from_str(&json).unwrap();
    let mut fresh = Env::new(&[addr(TENANT)]);
    fresh
        .run(|ctx| {
            crate::deployment::genesis::init(ctx, &d2)?;
            crate::market::genesis::init(ctx, &m2)
        })
        .unwrap();
    let keep = |e: &Env| {
        e.dump()
            .into_iter()
            .filter(|(k, _)| k.starts_with(b"deployment/") || k.starts_with(b"market/"))
            .collect::<Vec<_>>()
    };
    assert_eq!(keep(&env), keep(&fresh));
}

#[derive(Clone, Debug)]
enum Op {
    Deploy(u64, u128),
    Bid(u8, u64, u128),
    Lease(u8, u64),
    CloseBid(u8, u64),
    CloseLease(u8, u64),
    CloseGroup(u64),
    CloseDeployment(u64),
    Deposit(u64, u128),
    Withdraw(u8, u64),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let dseq = 1u64..4;
    let prov = prop_oneof![Just(GOOD), Just(RUNNER_UP), Just(PRICEY)];
    prop_oneof![
        (dseq.clone(), 400_000u128..2_000_000).prop_map(|(d, a)| Op::Deploy(d, a)),
        (prov.clone(), dseq.clone(), 1u128..1200).prop_map(|(p, d, x)| Op::Bid(p, d, x)),
        (prov.clone(), dseq.clone()).prop_map(|(p, d)| Op::Lease(p, d)),
        (prov.clone(), dseq.clone()).prop_map(|(p, d)| Op::CloseBid(p, d)),
        (prov.clone(), dseq.clone()).prop_map(|(p, d)| Op::CloseLease(p, d)),
        dseq.clone().prop_map(Op::CloseGroup),
        dseq.clone().prop_map(Op::CloseDeployment),
        (dseq.clone(), 1u128..1_000_000).prop_map(|(d, a)| Op::Deposit(d, a)),
        (prov, dseq).prop_map(|(p, d)| Op::Withdraw(p, d)),
        (1u64..3000).prop_map(Op::Advance),
    ]
}

/// The current order sequence of group 1 of `dseq` (the highest one).
fn last_oseq(env: &Env, dseq: u64) -> u32 {
    env.read(|ctx| {
        orders_of_group(
            ctx,
            DeploymentId {
                owner: addr(TENANT),
                dseq,
            }
            .group(1),
        )
        .unwrap()
        .last()
        .map_or(1, |(id, _)| id.oseq)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random auctions never create or lose tokens, never leave a negative balance, and keep
    /// the escrow module's balance equal to what escrow's records say it holds (checked after
    /// every message by `Env::tx`).
    #[test]
    fn random_auctions_conserve_tokens(ops in proptest::collection::vec(op(), 1..40)) {
        let mut env = market();
        let supply = env.read(|ctx| crate::bank::state::supply_of(ctx, "uakt"));
        for op in ops {
            let _ = match op {
                Op::Deploy(d, a) => env.tx(TENANT, &create_deployment(d, a)),
                Op::Bid(p, d, x) => {
                    let o = last_oseq(&env, d);
                    env.tx(p, &create_bid(p, d, o, x))
                }
                Op::Lease(p, d) => {
                    let o = last_oseq(&env, d);
                    env.tx(TENANT, &create_lease(p, d, o))
                }
                Op::CloseBid(p, d) => {
                    let o = last_oseq(&env, d);
                    env.tx(p, &mv1b5::MsgCloseBid { id: Some(bid_id(p, d, o)), reason: 10002 })
                }
                Op::CloseLease(p, d) => {
                    let o = last_oseq(&env, d);
                    env.tx(TENANT, &mv1b5::MsgCloseLease { id: Some(lease_id(p, d, o)), reason: 0 })
                }
                Op::CloseGroup(d) => env.tx(TENANT, &dv1b4::MsgCloseGroup {
                    id: Some(dv1::GroupId { owner: bech(addr(TENANT)), dseq: d, gseq: 1 }),
                }),
                Op::CloseDeployment(d) => env.tx(TENANT, &dv1b4::MsgCloseDeployment { id: Some(did(d)) }),
                Op::Deposit(d, a) => env.tx(TENANT, &kumo_proto::akash::escrow::v1::MsgAccountDeposit {
                    signer: bech(addr(TENANT)),
                    id: Some(crate::market::hooks::deployment_account(DeploymentId { owner: addr(TENANT), dseq: d })),
                    deposit: Some(deposit("uakt", a)),
                }),
                Op::Withdraw(p, d) => {
                    let o = last_oseq(&env, d);
                    env.tx(p, &mv1b5::MsgWithdrawLease { id: Some(lease_id(p, d, o)) })
                }
                Op::Advance(n) => {
                    env.advance_blocks(n);
                    Ok(())
                }
            };
            prop_assert_eq!(env.read(|ctx| crate::bank::state::supply_of(ctx, "uakt")), supply);
        }
        // Closing every deployment returns everything escrow still holds.
        for d in 1..4 {
            let _ = env.tx(TENANT, &dv1b4::MsgCloseDeployment { id: Some(did(d)) });
        }
        let held = env.read(|ctx| crate::bank::state::balance(ctx, &crate::escrow::state::module_address(), "uakt").unwrap());
        prop_assert_eq!(held, 0);
    }
}

#[test]
fn type_url_constants_are_the_proto_names() {
    use crate::deployment::msgs as d;
    use crate::market::msgs as m;
    assert_eq!(
        d::MSG_CREATE_DEPLOYMENT,
        dv1b4::MsgCreateDeployment::type_url()
    );
    assert_eq!(
        d::MSG_UPDATE_DEPLOYMENT,
        dv1b4::MsgUpdateDeployment::type_url()
    );
    assert_eq!(
        d::MSG_CLOSE_DEPLOYMENT,
        dv1b4::MsgCloseDeployment::type_url()
    );
    assert_eq!(d::MSG_CLOSE_GROUP, dv1b4::MsgCloseGroup::type_url());
    assert_eq!(d::MSG_PAUSE_GROUP, dv1b4::MsgPauseGroup::type_url());
    assert_eq!(d::MSG_START_GROUP, dv1b4::MsgStartGroup::type_url());
    assert_eq!(d::MSG_UPDATE_PARAMS, dv1b4::MsgUpdateParams::type_url());
    assert_eq!(m::MSG_CREATE_BID, mv1b5::MsgCreateBid::type_url());
    assert_eq!(m::MSG_CLOSE_BID, mv1b5::MsgCloseBid::type_url());
    assert_eq!(m::MSG_CREATE_LEASE, mv1b5::MsgCreateLease::type_url());
    assert_eq!(m::MSG_WITHDRAW_LEASE, mv1b5::MsgWithdrawLease::type_url());
    assert_eq!(m::MSG_CLOSE_LEASE, mv1b5::MsgCloseLease::type_url());
    assert_eq!(
        m::MSG_LEASE_START_RECLAIM,
        mv1b5::MsgLeaseStartReclaim::type_url()
    );
    assert_eq!(m::MSG_UPDATE_PARAMS, mv1b5::MsgUpdateParams::type_url());
}

/// The same auction driven by a real SDL from `../shared/sdl-examples`.
mod legacy;
mod real_sdl;

/// Grant-funded deposits end to end (spec §6.2 authz, §6.5, §6.3 refunds): a granter's
/// DepositAuthorization pays the tenant's deployment deposit and top-up, closing refunds the
/// granter and restores its grant, a bid-scope grant pays nothing for a deployment, and the
/// supply never changes.
#[test]
fn grant_funded_deployment_deposits() {
    use crate::authz::DEPOSIT_AUTHORIZATION;
    use cosmos_sdk_proto::cosmos::authz::v1beta1::{
        Grant, MsgGrant, QueryGrantsRequest, QueryGrantsResponse,
    };
    use kumo_proto::akash::escrow::id::v1::Scope;
    use kumo_proto::akash::escrow::v1::{DepositAuthorization, MsgAccountDeposit};
    const GRANTER: u8 = 5;
    const BID_GRANTER: u8 = 6;
    const LIMIT: u128 = 10_000_000;
    let mut env = Env::new(&[addr(TENANT), addr(GRANTER), addr(BID_GRANTER)]);
    let supply = || |ctx: &mut Ctx| crate::bank::state::supply_of(ctx, "uakt");
    let supply_before = env.read(supply());
    let grant = |granter: u8, scope: Scope| MsgGrant {
        granter: bech(addr(granter)),
        grantee: bech(addr(TENANT)),
        grant: Some(Grant {
            authorization: Some(Any {
                type_url: DEPOSIT_AUTHORIZATION.into(),
                value: DepositAuthorization {
                    spend_limit: None,
                    scopes: vec![scope as i32],
                    spend_limits: vec![ProtoCoin {
                        denom: "uakt".into(),
                        amount: LIMIT.to_string(),
                    }],
                }
                .encode_to_vec(),
            }),
            expiration: None,
        }),
    };
    let limit_left = |env: &Env, granter: u8| -> Vec<ProtoCoin> {
        let r: QueryGrantsResponse = env.query(
            "/cosmos.authz.v1beta1.Query/Grants",
            &QueryGrantsRequest {
                granter: bech(addr(granter)),
                grantee: bech(addr(TENANT)),
                msg_type_url: crate::escrow::msgs::MSG_ACCOUNT_DEPOSIT.into(),
                pagination: None,
            },
        );
        let a = r.grants[0].authorization.as_ref().unwrap();
        DepositAuthorization::decode(a.value.as_slice())
            .unwrap()
            .spend_limits
    };
    let uakt = |amount: u128| {
        vec![ProtoCoin {
            denom: "uakt".into(),
            amount: amount.to_string(),
        }]
    };
    env.tx(GRANTER, &grant(GRANTER, Scope::Deployment)).unwrap();

    // The deployment's deposit comes from the grant: the granter pays, not the tenant.
    let mut create = create_deployment(7, DEPOSIT);
    create.deposit.as_mut().unwrap().sources = vec![Source::Grant as i32];
    env.tx(TENANT, &create).unwrap();
    assert_eq!(env.uakt(addr(GRANTER)), START - DEPOSIT);
    assert_eq!(env.uakt(addr(TENANT)), START);
    assert_eq!(limit_left(&env, GRANTER), uakt(LIMIT - DEPOSIT));

    // The tenant keeps 3 AKT; a 6 AKT top-up from [balance, grant] takes 3 from each.
    env.tx(
        TENANT,
        &cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
            from_address: bech(addr(TENANT)),
            to_address: bech(addr(STRANGER)),
            amount: uakt(START - 3_000_000),
        },
    )
    .unwrap();
    let mut top_up = deposit("uakt", 6_000_000);
    top_up.sources = vec![Source::Balance as i32, Source::Grant as i32];
    env.tx(
        TENANT,
        &MsgAccountDeposit {
            signer: bech(addr(TENANT)),
            id: Some(crate::market::hooks::deployment_account(DeploymentId {
                owner: addr(TENANT),
                dseq: 7,
            })),
            deposit: Some(top_up),
        },
    )
    .unwrap();
    assert_eq!(env.uakt(addr(TENANT)), 0);
    assert_eq!(env.uakt(addr(GRANTER)), START - DEPOSIT - 3_000_000);
    assert_eq!(limit_left(&env, GRANTER), uakt(LIMIT - DEPOSIT - 3_000_000));

    // A bid-scope grant does not fund a deployment: with 2 AKT left on the deployment grant,
    // a 5 AKT deposit from grants is refused, and nothing changes.
    env.tx(BID_GRANTER, &grant(BID_GRANTER, Scope::Bid))
        .unwrap();
    let mut other = create_deployment(8, DEPOSIT);
    other.deposit.as_mut().unwrap().sources = vec![Source::Grant as i32];
    let e = env.refused(TENANT, &other);
    assert_eq!((e.codespace, e.code), ("escrow", 16));
    assert!(e.log.contains("not deployment"), "{}", e.log);
    assert_eq!(env.uakt(addr(BID_GRANTER)), START);

    // Closing refunds each slice to whoever paid it; the granter's grant gets its 8 AKT back.
    env.tx(TENANT, &dv1b4::MsgCloseDeployment { id: Some(did(7)) })
        .unwrap();
    assert_eq!(env.uakt(addr(GRANTER)), START);
    assert_eq!(env.uakt(addr(TENANT)), 3_000_000);
    assert_eq!(limit_left(&env, GRANTER), uakt(LIMIT));
    assert_eq!(env.read(supply()), supply_before);
}
