//! The daemon's lifecycles as sequences of inputs, with no Docker and no chain: each step
//! feeds the machine one input at a given time and checks the effects and the states.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1::{LeaseClosedReason, LeaseId, OrderId};
use kumo_proto::math::Dec;

use super::machine::*;
use crate::bidengine::pricing::{Pricing, ScalePricing, ScriptPricing};
use crate::bidengine::{BidEngine, Decline, ProviderState};
use crate::config::Overcommit;
use crate::inventory::{Capacity, Inventory};
use crate::testkit::*;

const ME: &str = "akash1provider";
const BID_TIMEOUT: Duration = Duration::from_secs(60);
const PERIOD: Duration = Duration::from_secs(10);
const RETRY: Duration = Duration::from_secs(4);
const MAX_RETRIES: u32 = 2;

fn dec(s: &str) -> Dec {
    s.parse().unwrap()
}

fn settings() -> Settings {
    Settings {
        bid_timeout: BID_TIMEOUT,
        healthcheck_period: PERIOD,
        retry_period: RETRY,
        max_retries: MAX_RETRIES,
    }
}

fn engine(pricing: Pricing) -> BidEngine {
    let cap = Capacity {
        cpu_milli: 4000,
        memory: 8 * GI,
        ephemeral_storage: 50 * GI,
        storage_classes: BTreeMap::new(),
        gpus: vec![],
    };
    BidEngine::new(
        ProviderState {
            address: ME.into(),
            attributes: vec![],
            audited: BTreeMap::new(),
            bid_attributes: vec![],
            max_group_volumes: 2,
            denoms: vec!["uakt".into()],
        },
        Inventory::new(cap, Overcommit::default()),
        pricing,
    )
}

fn scale() -> Pricing {
    Pricing::Scale(ScalePricing {
        cpu: dec("0.01"),
        memory: dec("0.001"),
        storage: [("ephemeral".to_string(), dec("0.0001"))]
            .into_iter()
            .collect(),
        endpoint: dec("1"),
        ip: dec("10"),
        gpu: BTreeMap::new(),
    })
}

fn script() -> Pricing {
    // Never run here: the machine only asks the edge to run it.
    Pricing::Script(ScriptPricing::new(
        "/nonexistent/price.sh".into(),
        Duration::from_secs(5),
        1,
    ))
}

/// 1000m CPU, 512Mi, 1Gi: about 10.6 per block; the tenant offers up to 100.
fn spec() -> GroupSpec {
    group(vec![Unit::new(1, 1000, 512 * MI, GI, "100")])
}

fn lease_of(o: &OrderId, provider: &str) -> LeaseId {
    LeaseId {
        owner: o.owner.clone(),
        dseq: o.dseq,
        gseq: o.gseq,
        oseq: o.oseq,
        provider: provider.into(),
        bseq: 1,
    }
}

/// The machine and a clock.
struct T {
    m: Machine,
    t0: Instant,
}

impl T {
    fn new(pricing: Pricing) -> T {
        T {
            m: Machine::new(engine(pricing), settings()),
            t0: Instant::now(),
        }
    }

    /// Feeds `input` at `t0 + at` and returns the effects other than log lines.
    fn on(&mut self, input: Input, at: Duration) -> Vec<Effect> {
        self.m
            .on(input, self.t0 + at)
            .into_iter()
            .filter(|e| !matches!(e, Effect::Log { .. }))
            .collect()
    }

    fn order_state(&self, o: &OrderId) -> Option<OrderState> {
        self.m.order(o).map(|o| o.state.clone())
    }

    fn lease_state(&self, l: &LeaseId) -> Option<LeaseState> {
        self.m.lease(l).map(|l| l.state.clone())
    }

    fn reserved(&self, o: &OrderId) -> bool {
        self.m.engine.inventory.reservation(o).is_some()
    }

    fn idle(&self) -> bool {
        self.m.engine.inventory.is_idle()
    }

    /// An order decided on and bid for (the bid tx went through at `t0`).
    fn bid_open(&mut self, o: &OrderId) {
        let fx = self.on(open(o), Duration::ZERO);
        assert!(
            matches!(fx.as_slice(), [Effect::BroadcastBid { order, .. }] if order == o),
            "{fx:?}"
        );
        assert_eq!(self.order_state(o), Some(OrderState::Bidding));
        assert!(self.reserved(o));
        let fx = self.on(bid_ok(o), Duration::ZERO);
        assert_eq!(fx, vec![]);
        assert_eq!(
            self.order_state(o),
            Some(OrderState::BidOpen {
                deadline: self.t0 + BID_TIMEOUT
            })
        );
    }

    /// A lease won on an open bid (at `t0 + 1 s`).
    fn leased(&mut self, o: &OrderId) -> LeaseId {
        self.bid_open(o);
        let l = lease_of(o, ME);
        let fx = self.on(won(&l), Duration::from_secs(1));
        assert_eq!(
            fx,
            vec![
                Effect::MoneyWatch { lease: l.clone() },
                Effect::SpawnManifestWatchdog { lease: l.clone() },
            ]
        );
        assert_eq!(self.order_state(o), Some(OrderState::Leased));
        assert!(self.m.engine.inventory.reservation(o).unwrap().active);
        assert_eq!(
            self.lease_state(&l),
            Some(LeaseState::Running {
                failures: 0,
                next_check: self.t0 + Duration::from_secs(1) + PERIOD,
            })
        );
        l
    }
}

fn open(o: &OrderId) -> Input {
    Input::OrderOpen {
        order: o.clone(),
        spec: spec(),
        height: 10,
    }
}

fn bid_ok(o: &OrderId) -> Input {
    Input::BidTx {
        order: o.clone(),
        result: Ok("ABCD".into()),
    }
}

fn won(l: &LeaseId) -> Input {
    Input::LeaseWon {
        lease: l.clone(),
        spec: spec(),
    }
}

fn health(l: &LeaseId, h: Health) -> Input {
    Input::HealthChecked {
        lease: l.clone(),
        health: h,
    }
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn bid_open_lease_won_then_manifest_timeout_closes() {
    let mut t = T::new(scale());
    let o = order(1);
    let l = t.leased(&o);
    // The watchdog fires: the machine has the manifest read, and closes for its absence.
    let fx = t.on(Input::ManifestDue { lease: l.clone() }, secs(301));
    assert_eq!(fx, vec![Effect::CheckManifest { lease: l.clone() }]);
    let fx = t.on(
        Input::ManifestChecked {
            lease: l.clone(),
            deployed: Ok(false),
        },
        secs(301),
    );
    assert_eq!(
        fx,
        vec![Effect::CloseLease {
            lease: l.clone(),
            reason: LeaseClosedReason::ManifestTimeout
        }]
    );
    assert!(matches!(
        t.lease_state(&l),
        Some(LeaseState::Closing {
            reason: LeaseClosedReason::ManifestTimeout,
            ..
        })
    ));
    // No health check of a closing lease, no second close.
    assert_eq!(t.on(Input::Tick, secs(400)), vec![]);
    let fx = t.on(
        Input::ManifestChecked {
            lease: l.clone(),
            deployed: Ok(false),
        },
        secs(401),
    );
    assert_eq!(fx, vec![]);
    // The chain's close event: released, torn down, the money loop told.
    let fx = t.on(
        Input::OwnLeaseClosed {
            lease: l.clone(),
            reason: LeaseClosedReason::ManifestTimeout,
        },
        secs(402),
    );
    assert_eq!(
        fx,
        vec![
            Effect::MoneyClosed { lease: l.clone() },
            Effect::Teardown { lease: l.clone() },
        ]
    );
    assert_eq!(t.lease_state(&l), None);
    assert_eq!(t.order_state(&o), None);
    assert!(t.idle());
}

#[test]
fn a_deployed_manifest_keeps_the_lease() {
    let mut t = T::new(scale());
    let l = t.leased(&order(1));
    let fx = t.on(Input::ManifestDue { lease: l.clone() }, secs(301));
    assert_eq!(fx, vec![Effect::CheckManifest { lease: l.clone() }]);
    let deployed = |d| Input::ManifestChecked {
        lease: l.clone(),
        deployed: d,
    };
    assert_eq!(t.on(deployed(Ok(true)), secs(301)), vec![]);
    assert_eq!(t.on(deployed(Err("docker down".into())), secs(301)), vec![]);
    assert!(matches!(
        t.lease_state(&l),
        Some(LeaseState::Running { .. })
    ));
    // A watchdog for a lease that is gone does nothing.
    let gone = lease_of(&order(9), ME);
    assert_eq!(t.on(Input::ManifestDue { lease: gone }, secs(301)), vec![]);
}

#[test]
fn bid_tx_failure_releases_the_reservation() {
    let mut t = T::new(scale());
    let o = order(1);
    let fx = t.on(open(&o), secs(0));
    assert_eq!(fx.len(), 1);
    assert!(t.reserved(&o));
    let fx = t.on(
        Input::BidTx {
            order: o.clone(),
            result: Err("out of gas".into()),
        },
        secs(1),
    );
    assert_eq!(fx, vec![]);
    assert_eq!(t.order_state(&o), None);
    assert!(t.idle());
    // A late success for the forgotten order changes nothing.
    assert_eq!(t.on(bid_ok(&o), secs(2)), vec![]);
    assert_eq!(t.order_state(&o), None);
    assert!(t.idle());
}

#[test]
fn bid_timeout_closes_with_10002_and_releases() {
    let mut t = T::new(scale());
    let (a, b) = (order(1), order(2));
    t.bid_open(&a);
    t.bid_open(&b);
    assert_eq!(t.on(Input::Tick, BID_TIMEOUT - secs(1)), vec![]);
    assert!(t.reserved(&a));
    let fx = t.on(Input::Tick, BID_TIMEOUT);
    assert_eq!(
        fx,
        vec![
            Effect::CloseBid {
                order: a.clone(),
                reason: LeaseClosedReason::Unspecified
            },
            Effect::CloseBid {
                order: b.clone(),
                reason: LeaseClosedReason::Unspecified
            },
        ]
    );
    assert_eq!(LeaseClosedReason::Unspecified as i32, 10002);
    assert_eq!(t.order_state(&a), None);
    assert!(t.idle());
    // Closed once: the next tick and our own bid's close event do nothing more.
    assert_eq!(t.on(Input::Tick, BID_TIMEOUT + secs(1)), vec![]);
    assert_eq!(
        t.on(
            Input::OwnBidClosed { order: a.clone() },
            BID_TIMEOUT + secs(2)
        ),
        vec![]
    );
    assert!(t.idle());
}

#[test]
fn lost_lease_releases() {
    let mut t = T::new(scale());
    let o = order(1);
    t.bid_open(&o);
    let theirs = lease_of(&o, "akash1other");
    assert_eq!(
        t.on(
            Input::LeaseLost {
                lease: theirs.clone()
            },
            secs(2)
        ),
        vec![]
    );
    assert_eq!(t.order_state(&o), None);
    assert!(t.idle());
    // Replayed: nothing left to release.
    assert_eq!(t.on(Input::LeaseLost { lease: theirs }, secs(3)), vec![]);
    assert!(t.idle());
}

#[test]
fn order_closed_releases_while_bidding_but_not_when_leased() {
    let mut t = T::new(scale());
    // Bid tx in flight.
    let a = order(1);
    t.on(open(&a), secs(0));
    assert_eq!(t.order_state(&a), Some(OrderState::Bidding));
    assert_eq!(
        t.on(Input::OrderClosed { order: a.clone() }, secs(1)),
        vec![]
    );
    assert_eq!(t.order_state(&a), None);
    assert!(!t.reserved(&a));
    // The bid tx's success after that is ignored.
    t.on(bid_ok(&a), secs(2));
    assert_eq!(t.order_state(&a), None);
    // Bid open.
    let b = order(2);
    t.bid_open(&b);
    t.on(Input::OrderClosed { order: b.clone() }, secs(3));
    assert_eq!(t.order_state(&b), None);
    assert!(t.idle());
    // Leased: the order closes with the lease, not before.
    let c = order(3);
    let l = t.leased(&c);
    assert_eq!(
        t.on(Input::OrderClosed { order: c.clone() }, secs(4)),
        vec![]
    );
    assert_eq!(t.order_state(&c), Some(OrderState::Leased));
    assert!(t.reserved(&c));
    assert!(t.lease_state(&l).is_some());
}

#[test]
fn own_bid_closed_releases_an_open_bid_only() {
    let mut t = T::new(scale());
    let a = order(1);
    t.on(open(&a), secs(0));
    // Still bidding (the tx's result not in): not an open bid yet.
    t.on(Input::OwnBidClosed { order: a.clone() }, secs(1));
    assert_eq!(t.order_state(&a), Some(OrderState::Bidding));
    t.on(bid_ok(&a), secs(1));
    t.on(Input::OwnBidClosed { order: a.clone() }, secs(2));
    assert_eq!(t.order_state(&a), None);
    assert!(t.idle());
}

#[test]
fn health_failures_beyond_max_retries_close_once_and_a_failed_close_runs_again() {
    let mut t = T::new(scale());
    let o = order(1);
    let l = t.leased(&o);
    let sick = || Health::Unhealthy("web 0/1 available".into());
    // Not due yet.
    assert_eq!(t.on(Input::Tick, secs(10)), vec![]);
    let mut now = secs(11);
    let check = vec![Effect::CheckHealth { lease: l.clone() }];
    for failures in 1..=MAX_RETRIES {
        assert_eq!(t.on(Input::Tick, now), check);
        assert_eq!(t.on(health(&l, sick()), now), vec![]);
        assert_eq!(
            t.lease_state(&l),
            Some(LeaseState::Running {
                failures,
                next_check: t.t0 + now + RETRY
            })
        );
        now += RETRY;
    }
    // One more than max_retries: closed as unstable.
    assert_eq!(t.on(Input::Tick, now), check);
    let close = vec![Effect::CloseLease {
        lease: l.clone(),
        reason: LeaseClosedReason::Unstable,
    }];
    assert_eq!(t.on(health(&l, sick()), now), close);
    assert!(matches!(
        t.lease_state(&l),
        Some(LeaseState::Closing {
            reason: LeaseClosedReason::Unstable,
            failures: 3,
            ..
        })
    ));
    // Closing: no checks, and a late result closes nothing a second time.
    assert_eq!(t.on(Input::Tick, now + secs(30)), vec![]);
    assert_eq!(t.on(health(&l, sick()), now + secs(30)), vec![]);
    // The close tx failed: running again with its counters, checked at the retry time.
    let fx = t.on(
        Input::CloseLeaseFailed {
            lease: l.clone(),
            error: "account sequence mismatch".into(),
        },
        now + secs(31),
    );
    assert_eq!(fx, vec![]);
    assert_eq!(
        t.lease_state(&l),
        Some(LeaseState::Running {
            failures: 3,
            next_check: t.t0 + now + RETRY
        })
    );
    now += secs(32);
    assert_eq!(t.on(Input::Tick, now), check);
    assert_eq!(t.on(health(&l, sick()), now), close);
    // This time the close fails again and then the lease recovers: counters reset.
    t.on(
        Input::CloseLeaseFailed {
            lease: l.clone(),
            error: "timeout".into(),
        },
        now,
    );
    now += RETRY;
    assert_eq!(t.on(Input::Tick, now), check);
    assert_eq!(t.on(health(&l, Health::Healthy), now), vec![]);
    assert_eq!(
        t.lease_state(&l),
        Some(LeaseState::Running {
            failures: 0,
            next_check: t.t0 + now + PERIOD
        })
    );
    // No manifest yet counts as healthy (the watchdog's business).
    now += PERIOD;
    t.on(health(&l, sick()), now);
    t.on(health(&l, Health::NoManifest), now);
    assert!(matches!(
        t.lease_state(&l),
        Some(LeaseState::Running { failures: 0, .. })
    ));
    // A close failure for a running lease changes nothing.
    t.on(
        Input::CloseLeaseFailed {
            lease: l.clone(),
            error: "late".into(),
        },
        now,
    );
    assert!(matches!(
        t.lease_state(&l),
        Some(LeaseState::Running { failures: 0, .. })
    ));
}

#[test]
fn lease_closed_event_tears_down_always_the_escrow_check_only_known_leases() {
    let mut t = T::new(scale());
    // A lease this run never adopted (left by an earlier run): the close event tears down.
    let stranger = lease_of(&order(7), ME);
    let fx = t.on(
        Input::OwnLeaseClosed {
            lease: stranger.clone(),
            reason: LeaseClosedReason::LeaseClosedOwner,
        },
        secs(0),
    );
    assert_eq!(
        fx,
        vec![
            Effect::MoneyClosed {
                lease: stranger.clone()
            },
            Effect::Teardown {
                lease: stranger.clone()
            },
        ]
    );
    // The escrow check's report of an unknown lease (or one handled already) does nothing.
    assert_eq!(
        t.on(
            Input::EscrowClosed {
                lease: stranger.clone()
            },
            secs(1)
        ),
        vec![]
    );
    // A known lease the escrow check saw closed: released and torn down...
    let o = order(1);
    let l = t.leased(&o);
    let fx = t.on(Input::EscrowClosed { lease: l.clone() }, secs(5));
    assert_eq!(
        fx,
        vec![
            Effect::MoneyClosed { lease: l.clone() },
            Effect::Teardown { lease: l.clone() },
        ]
    );
    assert_eq!(t.lease_state(&l), None);
    assert_eq!(t.order_state(&o), None);
    assert!(t.idle());
    // ...then the close event is seen: torn down again (always), nothing else to release.
    let fx = t.on(
        Input::OwnLeaseClosed {
            lease: l.clone(),
            reason: LeaseClosedReason::InsufficientFunds,
        },
        secs(6),
    );
    assert_eq!(fx.len(), 2);
    assert!(t.idle());
}

#[test]
fn replayed_events_are_idempotent() {
    let mut t = T::new(scale());
    let o = order(1);
    let l = t.leased(&o);
    let decisions = t.m.engine.decisions().count();
    let used = t.m.engine.inventory.used().clone();
    // Catching up replays the order's creation, our lease, the order's close.
    assert_eq!(t.on(open(&o), secs(20)), vec![]);
    assert_eq!(t.m.engine.decisions().count(), decisions, "decided once");
    let fx = t.on(won(&l), secs(20));
    // Only the watchdog again (it does nothing once a manifest is there).
    assert_eq!(fx, vec![Effect::SpawnManifestWatchdog { lease: l.clone() }]);
    assert_eq!(
        t.lease_state(&l),
        Some(LeaseState::Running {
            failures: 0,
            next_check: t.t0 + secs(1) + PERIOD
        })
    );
    assert_eq!(t.on(bid_ok(&o), secs(20)), vec![]);
    assert_eq!(
        t.on(Input::OwnBidClosed { order: o.clone() }, secs(20)),
        vec![]
    );
    assert_eq!(
        t.on(Input::OrderClosed { order: o.clone() }, secs(20)),
        vec![]
    );
    assert_eq!(t.order_state(&o), Some(OrderState::Leased));
    assert_eq!(t.m.engine.inventory.used(), &used);
    assert_eq!(t.m.leases().count(), 1);
    assert_eq!(t.m.bidding_orders(), 0);
    // An open order seen twice (startup, then its replayed creation) is decided once.
    let p = order(2);
    assert_eq!(t.on(open(&p), secs(21)).len(), 1);
    assert_eq!(t.on(open(&p), secs(21)), vec![]);
    assert_eq!(t.m.bidding_orders(), 1);
}

#[test]
fn the_pricing_script_prices_the_bid_or_declines() {
    let mut t = T::new(script());
    let o = order(1);
    let fx = t.on(open(&o), secs(0));
    assert!(
        matches!(fx.as_slice(), [Effect::RunPricingScript { order, denom, .. }] if order == &o && denom == "uakt"),
        "{fx:?}"
    );
    assert_eq!(t.order_state(&o), Some(OrderState::Pricing));
    assert!(t.reserved(&o));
    // A bid result while pricing is not a legal move.
    t.on(bid_ok(&o), secs(1));
    assert_eq!(t.order_state(&o), Some(OrderState::Pricing));
    let fx = t.on(
        Input::ScriptPriced {
            order: o.clone(),
            price: Ok(dec("42")),
            height: 11,
        },
        secs(1),
    );
    assert!(
        matches!(fx.as_slice(), [Effect::BroadcastBid { order, bid }] if order == &o && bid.price.denom == "uakt"),
        "{fx:?}"
    );
    assert_eq!(t.order_state(&o), Some(OrderState::Bidding));
    // A second script result is ignored.
    t.on(
        Input::ScriptPriced {
            order: o.clone(),
            price: Ok(dec("1")),
            height: 11,
        },
        secs(1),
    );
    assert_eq!(t.order_state(&o), Some(OrderState::Bidding));

    // Above the ceiling: declined, reservation released.
    let p = order(2);
    t.on(open(&p), secs(2));
    let fx = t.on(
        Input::ScriptPriced {
            order: p.clone(),
            price: Ok(dec("1000")),
            height: 12,
        },
        secs(3),
    );
    assert_eq!(fx, vec![]);
    assert_eq!(t.order_state(&p), None);
    assert!(!t.reserved(&p));
    let last = t.m.engine.decisions().last().unwrap();
    assert!(!last.bid && last.reason.contains("1000"), "{last:?}");

    // The order closed while the script ran: released at once; the late price is recorded as
    // a decline (the reservation is gone) and nothing is broadcast.
    let q = order(3);
    t.on(open(&q), secs(4));
    t.on(Input::OrderClosed { order: q.clone() }, secs(5));
    assert!(!t.reserved(&q));
    let fx = t.on(
        Input::ScriptPriced {
            order: q.clone(),
            price: Ok(dec("42")),
            height: 13,
        },
        secs(6),
    );
    assert_eq!(fx, vec![]);
    let last = t.m.engine.decisions().last().unwrap();
    assert!(
        !last.bid && last.order.ends_with("/3/1/1") && last.reason.contains("gone"),
        "{last:?}"
    );
    // The script failing is a decline too.
    let r = order(4);
    t.on(open(&r), secs(7));
    t.on(
        Input::ScriptPriced {
            order: r.clone(),
            price: Err(Decline::InvalidGroup {
                reason: "script failed".into(),
            }),
            height: 14,
        },
        secs(8),
    );
    assert_eq!(t.order_state(&r), None);
    assert_eq!(t.m.bidding_orders(), 1);
    assert!(t.reserved(&o) && !t.reserved(&r));
}

#[test]
fn startup_adopts_leases_and_open_bids() {
    let mut t = T::new(scale());
    // An active lease: reserved and active, watched, no watchdog (not just won).
    let o = order(1);
    let l = lease_of(&o, ME);
    let fx = t.on(
        Input::LeaseActive {
            lease: l.clone(),
            spec: spec(),
        },
        secs(0),
    );
    assert_eq!(fx, vec![Effect::MoneyWatch { lease: l.clone() }]);
    assert_eq!(t.order_state(&o), Some(OrderState::Leased));
    assert!(t.m.engine.inventory.reservation(&o).unwrap().active);
    // An open bid placed 50 s ago times out 10 s from now; one older than the timeout at once.
    let fresh = order(2);
    let stale = order(3);
    for (o, age) in [(&fresh, secs(50)), (&stale, secs(500))] {
        t.on(
            Input::OwnBidOpen {
                order: o.clone(),
                spec: spec(),
                age,
            },
            secs(0),
        );
        assert!(t.reserved(o));
    }
    assert_eq!(
        t.on(Input::Tick, secs(0)),
        vec![Effect::CloseBid {
            order: stale.clone(),
            reason: LeaseClosedReason::Unspecified
        }]
    );
    assert_eq!(t.on(Input::Tick, secs(9)), vec![]);
    assert_eq!(
        t.on(Input::Tick, secs(10)),
        vec![
            Effect::CloseBid {
                order: fresh.clone(),
                reason: LeaseClosedReason::Unspecified
            },
            Effect::CheckHealth { lease: l.clone() },
        ]
    );
    assert!(!t.reserved(&fresh) && !t.reserved(&stale) && t.reserved(&o));
}

#[test]
fn a_lease_that_does_not_fit_runs_anyway() {
    let mut t = T::new(scale());
    let o = order(1);
    let huge = group(vec![Unit::new(1, 64_000, GI, GI, "100")]);
    let l = lease_of(&o, ME);
    let fx = t.m.on(
        Input::LeaseActive {
            lease: l.clone(),
            spec: huge,
        },
        t.t0,
    );
    assert!(fx.iter().any(|e| matches!(e,
        Effect::Log { level: Level::Warn, message, .. } if message.contains("cannot re-reserve"))));
    assert!(t.lease_state(&l).is_some());
    assert_eq!(t.order_state(&o), Some(OrderState::Leased));
}

#[test]
fn transition_tables() {
    use OrderEvent as E;
    use OrderState as S;
    let now = Instant::now();
    let later = now + secs(1);
    let open = S::BidOpen { deadline: later };
    // Legal moves.
    assert_eq!(order_transition(None, &E::Bid), Ok(Some(S::Bidding)));
    assert_eq!(
        order_transition(None, &E::NeedsScript),
        Ok(Some(S::Pricing))
    );
    assert_eq!(
        order_transition(Some(&S::Bidding), &E::BidPlaced { deadline: later }),
        Ok(Some(open.clone()))
    );
    assert_eq!(
        order_transition(Some(&open), &E::Tick { now: later }),
        Ok(None)
    );
    assert_eq!(
        order_transition(Some(&open), &E::LeaseWon),
        Ok(Some(S::Leased))
    );
    assert_eq!(order_transition(None, &E::LeaseClosed), Ok(None));
    // Illegal ones.
    for (from, ev) in [
        (Some(&open), E::Tick { now }),
        (Some(&S::Leased), E::OrderClosed),
        (Some(&S::Leased), E::BidFailed),
        (Some(&S::Pricing), E::BidPlaced { deadline: later }),
        (Some(&S::Bidding), E::OwnBidClosed),
        (Some(&S::Bidding), E::Declined),
        (None, E::BidFailed),
        (None, E::OrderClosed),
        (None, E::LeaseLost),
    ] {
        assert!(order_transition(from, &ev).is_err(), "{from:?} {ev:?}");
    }
    let s = settings();
    let running = LeaseState::Running {
        failures: MAX_RETRIES,
        next_check: now,
    };
    let closing = lease_transition(&running, &LeaseEvent::HealthFailed, &s, now).unwrap();
    assert_eq!(
        closing,
        LeaseState::Closing {
            reason: LeaseClosedReason::Unstable,
            failures: MAX_RETRIES + 1,
            next_check: now + RETRY
        }
    );
    for ev in [
        LeaseEvent::HealthOk,
        LeaseEvent::HealthFailed,
        LeaseEvent::ManifestMissing,
    ] {
        assert!(lease_transition(&closing, &ev, &s, now).is_err(), "{ev:?}");
    }
    assert!(lease_transition(&running, &LeaseEvent::CloseFailed, &s, now).is_err());
    assert_eq!(
        lease_transition(&closing, &LeaseEvent::CloseFailed, &s, now),
        Ok(LeaseState::Running {
            failures: MAX_RETRIES + 1,
            next_check: now + RETRY
        })
    );
}
