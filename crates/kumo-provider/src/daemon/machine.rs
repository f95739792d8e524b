//! The provider daemon's state, as a pure state machine: [`Machine::on`] takes one [`Input`]
//! (a chain event, the result of a transaction, a pricing script or a check, a tick) and the
//! current time, moves the orders and leases it concerns through their lifecycles, and returns
//! the [`Effect`]s the edge (`super`) must carry out: broadcast a bid, run the pricing script,
//! close a bid or a lease, tear workloads down, tell the money loop, check a lease's health.
//! No I/O, no clock, no runtime: the sequences of the daemon are tested here without Docker
//! or a chain (`tests.rs`).
//!
//! Each lifecycle has one transition function, [`order_transition`] and [`lease_transition`]:
//! a move that is not in their table (a bid result for an order that is no longer bidding, a
//! health result for a lease that is closing, a replayed event) is an [`IllegalMove`] and
//! changes nothing.
//!
//! ```text
//! order:  (untracked) ─decide─▶ Pricing ─script bid─▶ Bidding ─bid tx ok─▶ BidOpen ─lease won─▶ Leased
//!                     └─decide──────────────────────▶ Bidding
//!         released (reservation returned): script decline, bid tx failed, bid timeout, order
//!         closed (not when Leased), own bid closed (BidOpen), lease lost, own lease closed
//! lease:  Running { failures, next_check } ─too many failures / no manifest─▶ Closing
//!         Closing ─close tx failed─▶ Running (same counters); removed when closed on chain
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1::{LeaseClosedReason, LeaseId, OrderId};
use kumo_proto::math::Dec;

use crate::bidengine::{Bid, BidEngine, Decision, Decline};
use crate::chain;
use crate::config::Config;
use crate::inventory::order_key;

pub fn lease_key(l: &LeaseId) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        l.owner, l.dseq, l.gseq, l.oseq, l.provider
    )
}

/// The configuration the transitions use.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `bid.timeout`: an open bid not turned into a lease by then is closed.
    pub bid_timeout: Duration,
    /// `monitor.healthcheck_period`: between checks of a healthy lease.
    pub healthcheck_period: Duration,
    /// `monitor.retry_period`: between checks of an unhealthy lease.
    pub retry_period: Duration,
    /// `monitor.max_retries`: more failed checks in a row close the lease (unstable).
    pub max_retries: u32,
}

impl Settings {
    pub fn from_config(c: &Config) -> Settings {
        Settings {
            bid_timeout: c.bid.timeout,
            healthcheck_period: c.monitor.healthcheck_period,
            retry_period: c.monitor.retry_period,
            max_retries: c.monitor.max_retries,
        }
    }
}

/// Where an order this provider took up stands. An order the engine declined, or whose
/// reservation was released, is not tracked at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderState {
    /// Capacity reserved, the pricing script is running.
    Pricing,
    /// Capacity reserved, the bid tx is in flight.
    Bidding,
    /// Our bid is open on chain; closed at `deadline` unless it becomes a lease.
    BidOpen { deadline: Instant },
    /// We won: the lease is ours.
    Leased,
}

/// An order this provider reserved capacity for.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub id: OrderId,
    pub spec: GroupSpec,
    pub state: OrderState,
}

/// Where a lease of this provider stands (it is forgotten once closed on chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseState {
    /// Serving; checked at `next_check`, `failures` failed checks in a row so far.
    Running { failures: u32, next_check: Instant },
    /// The close tx was sent (once); the counters are kept should it fail.
    Closing {
        reason: LeaseClosedReason,
        failures: u32,
        next_check: Instant,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    pub id: LeaseId,
    pub state: LeaseState,
}

/// What moves an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderEvent {
    /// The engine reserved capacity and asks for the pricing script's price.
    NeedsScript,
    /// The engine (or the script's price) made a bid: broadcast it.
    Bid,
    /// The script's price made it a decline.
    Declined,
    /// Startup: our bid is open on chain.
    BidAdopted {
        deadline: Instant,
    },
    /// The bid tx went through.
    BidPlaced {
        deadline: Instant,
    },
    BidFailed,
    /// A tick at `now`: an open bid whose deadline passed is closed.
    Tick {
        now: Instant,
    },
    OrderClosed,
    OwnBidClosed,
    /// Another provider got the lease.
    LeaseLost,
    /// The lease is ours (won, or found active at startup).
    LeaseWon,
    /// Our lease of this order closed.
    LeaseClosed,
}

/// What moves a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseEvent {
    /// Healthy, or nothing deployed yet (the manifest watchdog's business).
    HealthOk,
    HealthFailed,
    /// No manifest within the manifest timeout.
    ManifestMissing,
    CloseFailed,
}

/// A move that is not in a lifecycle's table; it is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IllegalMove {
    pub from: String,
    pub event: String,
}

impl fmt::Display for IllegalMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} does not apply to {}", self.event, self.from)
    }
}

fn illegal(from: impl fmt::Debug, event: impl fmt::Debug) -> IllegalMove {
    IllegalMove {
        from: format!("{from:?}"),
        event: format!("{event:?}"),
    }
}

/// The order lifecycle's table. `None` on the left: the order is not tracked; `None` on the
/// right: the order is forgotten and its reservation released.
pub fn order_transition(
    from: Option<&OrderState>,
    event: &OrderEvent,
) -> Result<Option<OrderState>, IllegalMove> {
    use OrderEvent as E;
    use OrderState as S;
    Ok(match (from, event) {
        (None, E::NeedsScript) => Some(S::Pricing),
        (None | Some(S::Pricing), E::Bid) => Some(S::Bidding),
        (Some(S::Pricing), E::Declined) => None,
        // Startup adoption runs first, whatever was recorded.
        (_, E::BidAdopted { deadline }) => Some(S::BidOpen {
            deadline: *deadline,
        }),
        (Some(S::Bidding), E::BidPlaced { deadline }) => Some(S::BidOpen {
            deadline: *deadline,
        }),
        (Some(S::Bidding), E::BidFailed) => None,
        (Some(S::BidOpen { deadline }), E::Tick { now }) if deadline <= now => None,
        (Some(S::Pricing | S::Bidding | S::BidOpen { .. }), E::OrderClosed) => None,
        (Some(S::BidOpen { .. }), E::OwnBidClosed) => None,
        (Some(_), E::LeaseLost) => None,
        (_, E::LeaseWon) => Some(S::Leased),
        // A close event releases whatever is left, tracked or not (a restart may have lost it).
        (_, E::LeaseClosed) => None,
        (from, event) => return Err(illegal(from, event)),
    })
}

/// The lease lifecycle's table (the lease is removed, whatever its state, once closed on
/// chain). Returns the new state.
pub fn lease_transition(
    from: &LeaseState,
    event: &LeaseEvent,
    settings: &Settings,
    now: Instant,
) -> Result<LeaseState, IllegalMove> {
    use LeaseEvent as E;
    use LeaseState as S;
    Ok(match (from, event) {
        (S::Running { .. }, E::HealthOk) => S::Running {
            failures: 0,
            next_check: now + settings.healthcheck_period,
        },
        (S::Running { failures, .. }, E::HealthFailed) => {
            let failures = failures + 1;
            let next_check = now + settings.retry_period;
            if failures > settings.max_retries {
                S::Closing {
                    reason: LeaseClosedReason::Unstable,
                    failures,
                    next_check,
                }
            } else {
                S::Running {
                    failures,
                    next_check,
                }
            }
        }
        (
            S::Running {
                failures,
                next_check,
            },
            E::ManifestMissing,
        ) => S::Closing {
            reason: LeaseClosedReason::ManifestTimeout,
            failures: *failures,
            next_check: *next_check,
        },
        (
            S::Closing {
                failures,
                next_check,
                ..
            },
            E::CloseFailed,
        ) => S::Running {
            failures: *failures,
            next_check: *next_check,
        },
        (from, event) => return Err(illegal(from, event)),
    })
}

/// A lease's health, as the edge found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// Nothing deployed yet: the manifest watchdog's business.
    NoManifest,
    Healthy,
    /// Why not (services not all available, or the runtime could not tell).
    Unhealthy(String),
}

/// What the daemon reacts to.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// An order that is open on chain (at startup, or created at `height`): decide on it.
    OrderOpen {
        order: OrderId,
        spec: GroupSpec,
        height: u64,
    },
    /// Startup: our bid on this order is open on chain, placed `age` ago.
    OwnBidOpen {
        order: OrderId,
        spec: GroupSpec,
        age: Duration,
    },
    /// Startup: this lease of ours is active on chain.
    LeaseActive {
        lease: LeaseId,
        spec: GroupSpec,
    },
    /// Our bid became this lease.
    LeaseWon {
        lease: LeaseId,
        spec: GroupSpec,
    },
    /// Another provider's lease on an order.
    LeaseLost {
        lease: LeaseId,
    },
    OrderClosed {
        order: OrderId,
    },
    /// Our bid on the order closed.
    OwnBidClosed {
        order: OrderId,
    },
    /// A close event of a lease of ours.
    OwnLeaseClosed {
        lease: LeaseId,
        reason: LeaseClosedReason,
    },
    /// The money loop saw the chain close the lease (escrow dry), event seen or not.
    EscrowClosed {
        lease: LeaseId,
    },
    /// The bid tx's outcome: its hash, or why it failed.
    BidTx {
        order: OrderId,
        result: Result<String, String>,
    },
    /// The pricing script's price, at `height`.
    ScriptPriced {
        order: OrderId,
        price: Result<Dec, Decline>,
        height: u64,
    },
    /// The timers: bid timeouts, health checks due.
    Tick,
    HealthChecked {
        lease: LeaseId,
        health: Health,
    },
    /// The manifest timeout after the lease was won has passed.
    ManifestDue {
        lease: LeaseId,
    },
    /// Whether the lease's manifest was deployed (or why that could not be read).
    ManifestChecked {
        lease: LeaseId,
        deployed: Result<bool, String>,
    },
    CloseLeaseFailed {
        lease: LeaseId,
        error: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
}

/// What a log line is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Order(String),
    Lease(String),
}

/// What the edge must do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Log {
        level: Level,
        subject: Subject,
        message: String,
    },
    /// Broadcast the bid (in a task); answer with [`Input::BidTx`].
    BroadcastBid { order: OrderId, bid: Bid },
    /// Run the pricing script (in a task); answer with [`Input::ScriptPriced`].
    RunPricingScript {
        order: OrderId,
        input: String,
        denom: String,
    },
    /// Close our bid on the order (in a task); nothing to answer.
    CloseBid {
        order: OrderId,
        reason: LeaseClosedReason,
    },
    /// Close the lease; answer a failure with [`Input::CloseLeaseFailed`].
    CloseLease {
        lease: LeaseId,
        reason: LeaseClosedReason,
    },
    /// Remove the lease's workloads (in a task, with retries).
    Teardown { lease: LeaseId },
    /// `MoneyCmd::Watch`: withdraw from and watch the lease.
    MoneyWatch { lease: LeaseId },
    /// `MoneyCmd::Closed`: the lease closed.
    MoneyClosed { lease: LeaseId },
    /// After the manifest timeout, answer with [`Input::ManifestDue`].
    SpawnManifestWatchdog { lease: LeaseId },
    /// Read whether the manifest was deployed; answer with [`Input::ManifestChecked`].
    CheckManifest { lease: LeaseId },
    /// Check the lease's services; answer with [`Input::HealthChecked`].
    CheckHealth { lease: LeaseId },
}

fn log(level: Level, subject: Subject, message: impl Into<String>) -> Effect {
    Effect::Log {
        level,
        subject,
        message: message.into(),
    }
}

fn order_subject(o: &OrderId) -> Subject {
    Subject::Order(order_key(o))
}

fn lease_subject(l: &LeaseId) -> Subject {
    Subject::Lease(lease_key(l))
}

/// The daemon's state: the bid engine (inventory and decisions), the orders it reserved for
/// and its leases.
pub struct Machine {
    pub engine: BidEngine,
    pub settings: Settings,
    orders: BTreeMap<String, Order>,
    leases: BTreeMap<String, Lease>,
}

impl Machine {
    pub fn new(engine: BidEngine, settings: Settings) -> Machine {
        Machine {
            engine,
            settings,
            orders: BTreeMap::new(),
            leases: BTreeMap::new(),
        }
    }

    pub fn order(&self, id: &OrderId) -> Option<&Order> {
        self.orders.get(&order_key(id))
    }

    pub fn lease(&self, id: &LeaseId) -> Option<&Lease> {
        self.leases.get(&lease_key(id))
    }

    pub fn leases(&self) -> impl Iterator<Item = &Lease> {
        self.leases.values()
    }

    /// Orders bid on or being bid on (the status's `bidengine.orders`).
    pub fn bidding_orders(&self) -> usize {
        self.orders
            .values()
            .filter(|o| o.state != OrderState::Leased)
            .count()
    }

    /// Moves an order through [`order_transition`]: sets its new state, or forgets it and
    /// releases its reservation. An illegal move changes nothing and is logged (debug).
    fn move_order(&mut self, id: &OrderId, event: OrderEvent, fx: &mut Vec<Effect>) -> bool {
        let key = order_key(id);
        match order_transition(self.orders.get(&key).map(|o| &o.state), &event) {
            Ok(Some(state)) => match self.orders.get_mut(&key) {
                Some(o) => {
                    o.state = state;
                    true
                }
                // Tracking starts with the order's spec, in `track_order`.
                None => {
                    let e = illegal("untracked", &event);
                    fx.push(log(
                        Level::Debug,
                        Subject::Order(key),
                        format!("ignored: {e}"),
                    ));
                    false
                }
            },
            Ok(None) => {
                self.orders.remove(&key);
                self.engine.inventory.unreserve(id);
                true
            }
            Err(e) => {
                fx.push(log(
                    Level::Debug,
                    Subject::Order(key),
                    format!("ignored: {e}"),
                ));
                false
            }
        }
    }

    /// Starts tracking an order (or resets one tracked) through [`order_transition`].
    fn track_order(
        &mut self,
        id: &OrderId,
        spec: GroupSpec,
        event: OrderEvent,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let key = order_key(id);
        match order_transition(self.orders.get(&key).map(|o| &o.state), &event) {
            Ok(Some(state)) => {
                self.orders.insert(
                    key,
                    Order {
                        id: id.clone(),
                        spec,
                        state,
                    },
                );
                true
            }
            Ok(None) | Err(_) => {
                let e = illegal(self.orders.get(&key).map(|o| &o.state), &event);
                fx.push(log(
                    Level::Debug,
                    Subject::Order(key),
                    format!("ignored: {e}"),
                ));
                false
            }
        }
    }

    /// Moves a lease through [`lease_transition`]; returns the new state (None: illegal move
    /// or unknown lease, nothing changed).
    fn move_lease(
        &mut self,
        id: &LeaseId,
        event: LeaseEvent,
        now: Instant,
        fx: &mut Vec<Effect>,
    ) -> Option<LeaseState> {
        let l = self.leases.get_mut(&lease_key(id))?;
        match lease_transition(&l.state, &event, &self.settings, now) {
            Ok(state) => {
                l.state = state.clone();
                Some(state)
            }
            Err(e) => {
                fx.push(log(
                    Level::Debug,
                    lease_subject(id),
                    format!("ignored: {e}"),
                ));
                None
            }
        }
    }

    /// One input at `now`: the effects to carry out, in order.
    pub fn on(&mut self, input: Input, now: Instant) -> Vec<Effect> {
        let mut fx = Vec::new();
        match input {
            Input::OrderOpen {
                order,
                spec,
                height,
            } => self.decide(order, spec, height, &mut fx),
            Input::OwnBidOpen { order, spec, age } => {
                // §2.3: a bid older than the bid timeout is stale: it times out at once.
                let reserved = self.engine.inventory.reserve(&order, &spec).is_ok();
                let deadline = now + self.settings.bid_timeout.saturating_sub(age);
                if self.track_order(&order, spec, OrderEvent::BidAdopted { deadline }, &mut fx) {
                    fx.push(log(
                        Level::Info,
                        order_subject(&order),
                        format!("adopted own open bid (reserved: {reserved})"),
                    ));
                }
            }
            Input::LeaseActive { lease, spec } => {
                self.adopt_lease(&lease, spec, "adopted at startup", now, &mut fx);
            }
            Input::LeaseWon { lease, spec } => {
                self.adopt_lease(&lease, spec, "lease won", now, &mut fx);
                // Also for a replayed event: the watchdog does nothing once a manifest is there.
                fx.push(Effect::SpawnManifestWatchdog { lease });
            }
            Input::LeaseLost { lease } => {
                // The chain marked our bid lost and refunded the deposit.
                let order = chain::order_of_lease(&lease);
                if self.move_order(&order, OrderEvent::LeaseLost, &mut fx) {
                    fx.push(log(
                        Level::Info,
                        order_subject(&order),
                        format!("lease lost to another provider ({})", lease.provider),
                    ));
                }
            }
            Input::OrderClosed { order } => {
                if self.move_order(&order, OrderEvent::OrderClosed, &mut fx) {
                    fx.push(log(
                        Level::Info,
                        order_subject(&order),
                        "order closed: reservation released",
                    ));
                }
            }
            Input::OwnBidClosed { order } => {
                if self.move_order(&order, OrderEvent::OwnBidClosed, &mut fx) {
                    fx.push(log(
                        Level::Info,
                        order_subject(&order),
                        "own bid closed: reservation released",
                    ));
                }
            }
            Input::OwnLeaseClosed { lease, reason } => {
                self.lease_closed(lease, reason.as_str_name(), true, &mut fx);
            }
            Input::EscrowClosed { lease } => self.lease_closed(
                lease,
                "insufficient_funds (seen by the escrow check)",
                false,
                &mut fx,
            ),
            Input::BidTx { order, result } => match result {
                Ok(hash) => {
                    fx.push(log(
                        Level::Info,
                        order_subject(&order),
                        format!("bid placed (tx {hash})"),
                    ));
                    let deadline = now + self.settings.bid_timeout;
                    self.move_order(&order, OrderEvent::BidPlaced { deadline }, &mut fx);
                }
                Err(e) => {
                    fx.push(log(
                        Level::Warn,
                        order_subject(&order),
                        format!("bid transaction failed: {e}"),
                    ));
                    self.move_order(&order, OrderEvent::BidFailed, &mut fx);
                }
            },
            Input::ScriptPriced {
                order,
                price,
                height,
            } => self.script_priced(order, price, height, &mut fx),
            Input::Tick => self.tick(now, &mut fx),
            Input::HealthChecked { lease, health } => {
                let event = match &health {
                    Health::NoManifest | Health::Healthy => LeaseEvent::HealthOk,
                    Health::Unhealthy(_) => LeaseEvent::HealthFailed,
                };
                let state = self.move_lease(&lease, event, now, &mut fx);
                if let (Health::Unhealthy(why), Some(state)) = (health, state) {
                    match state {
                        LeaseState::Running { failures, .. } => fx.push(log(
                            Level::Debug,
                            lease_subject(&lease),
                            format!("unhealthy ({failures} failures): {why}"),
                        )),
                        LeaseState::Closing { reason, .. } => {
                            fx.push(log(
                                Level::Warn,
                                lease_subject(&lease),
                                format!("closing the lease: unhealthy for too long ({why})"),
                            ));
                            fx.push(Effect::CloseLease { lease, reason });
                        }
                    }
                }
            }
            Input::ManifestDue { lease } => {
                if matches!(
                    self.lease(&lease).map(|l| &l.state),
                    Some(LeaseState::Running { .. })
                ) {
                    fx.push(Effect::CheckManifest { lease });
                }
            }
            Input::ManifestChecked { lease, deployed } => match deployed {
                Ok(true) => {}
                Ok(false) => {
                    if let Some(LeaseState::Closing { reason, .. }) =
                        self.move_lease(&lease, LeaseEvent::ManifestMissing, now, &mut fx)
                    {
                        fx.push(log(
                            Level::Warn,
                            lease_subject(&lease),
                            "no manifest within the manifest timeout: closing the lease",
                        ));
                        fx.push(Effect::CloseLease { lease, reason });
                    }
                }
                Err(e) => fx.push(log(
                    Level::Warn,
                    lease_subject(&lease),
                    format!("cannot read the lease's manifest: {e}"),
                )),
            },
            Input::CloseLeaseFailed { lease, error } => {
                fx.push(log(
                    Level::Warn,
                    lease_subject(&lease),
                    format!("closing the lease failed: {error}"),
                ));
                self.move_lease(&lease, LeaseEvent::CloseFailed, now, &mut fx);
            }
        }
        fx
    }

    /// Decides on an open order the provider has not taken up yet.
    fn decide(&mut self, order: OrderId, spec: GroupSpec, height: u64, fx: &mut Vec<Effect>) {
        if self.orders.contains_key(&order_key(&order)) {
            return;
        }
        let d = self.engine.decide(&order, &spec);
        self.engine.record(&order, height, &d);
        match d {
            Decision::Decline(_) => {}
            Decision::Bid(bid) => {
                if self.track_order(&order, spec, OrderEvent::Bid, fx) {
                    fx.push(Effect::BroadcastBid { order, bid });
                }
            }
            Decision::NeedsScript { input, denom } => {
                if self.track_order(&order, spec, OrderEvent::NeedsScript, fx) {
                    fx.push(Effect::RunPricingScript {
                        order,
                        input,
                        denom,
                    });
                }
            }
        }
    }

    fn script_priced(
        &mut self,
        order: OrderId,
        price: Result<Dec, Decline>,
        height: u64,
        fx: &mut Vec<Effect>,
    ) {
        let spec = match self.order(&order) {
            Some(o) if o.state == OrderState::Pricing => o.spec.clone(),
            Some(o) => {
                let e = illegal(&o.state, "ScriptPriced");
                fx.push(log(
                    Level::Debug,
                    order_subject(&order),
                    format!("ignored: {e}"),
                ));
                return;
            }
            None => {
                // Released while the script ran (the order closed): the engine declines, the
                // reservation being gone, and records it; nothing else happens.
                let d = self
                    .engine
                    .finish_script(&order, &GroupSpec::default(), price);
                self.engine.record(&order, height, &d);
                return;
            }
        };
        let d = self.engine.finish_script(&order, &spec, price);
        self.engine.record(&order, height, &d);
        match d {
            Decision::Bid(bid) => {
                if self.move_order(&order, OrderEvent::Bid, fx) {
                    fx.push(Effect::BroadcastBid { order, bid });
                }
            }
            Decision::Decline(_) => {
                self.move_order(&order, OrderEvent::Declined, fx);
            }
            Decision::NeedsScript { .. } => {}
        }
    }

    /// Bid timeouts (closed with reason 10002, unspecified) and health checks due.
    fn tick(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        let expired: Vec<OrderId> = self
            .orders
            .values()
            .filter(|o| order_transition(Some(&o.state), &OrderEvent::Tick { now }) == Ok(None))
            .map(|o| o.id.clone())
            .collect();
        for order in expired {
            self.move_order(&order, OrderEvent::Tick { now }, fx);
            fx.push(Effect::CloseBid {
                order,
                reason: LeaseClosedReason::Unspecified,
            });
        }
        for l in self.leases.values() {
            if matches!(l.state, LeaseState::Running { next_check, .. } if next_check <= now) {
                fx.push(Effect::CheckHealth {
                    lease: l.id.clone(),
                });
            }
        }
    }

    /// The lease is ours and active: reserve (again) its resources and watch it. A lease known
    /// already (a replayed event) is left as it is.
    fn adopt_lease(
        &mut self,
        lease: &LeaseId,
        spec: GroupSpec,
        why: &str,
        now: Instant,
        fx: &mut Vec<Effect>,
    ) {
        if self.leases.contains_key(&lease_key(lease)) {
            return;
        }
        let order = chain::order_of_lease(lease);
        if let Err(e) = self.engine.inventory.reserve(&order, &spec) {
            // The lease runs anyway; the provider is now overcommitted and says so.
            fx.push(log(
                Level::Warn,
                lease_subject(lease),
                format!("cannot re-reserve the lease's resources: {e}"),
            ));
        }
        self.engine.inventory.activate(&order);
        self.track_order(&order, spec, OrderEvent::LeaseWon, fx);
        self.leases.insert(
            lease_key(lease),
            Lease {
                id: lease.clone(),
                state: LeaseState::Running {
                    failures: 0,
                    next_check: now + self.settings.healthcheck_period,
                },
            },
        );
        fx.push(log(Level::Info, lease_subject(lease), why));
        fx.push(Effect::MoneyWatch {
            lease: lease.clone(),
        });
    }

    /// A lease of ours closed on chain: release it and remove its workloads. From a close event
    /// (`always`) the teardown always runs (a restart may have left workloads of a lease this run
    /// never adopted); from the escrow check only when the event has not handled it yet.
    fn lease_closed(&mut self, lease: LeaseId, reason: &str, always: bool, fx: &mut Vec<Effect>) {
        let known = self.leases.remove(&lease_key(&lease)).is_some();
        if !known && !always {
            return;
        }
        let order = chain::order_of_lease(&lease);
        self.move_order(&order, OrderEvent::LeaseClosed, fx);
        fx.push(log(
            Level::Info,
            lease_subject(&lease),
            format!("lease closed ({reason})"),
        ));
        fx.push(Effect::MoneyClosed {
            lease: lease.clone(),
        });
        fx.push(Effect::Teardown { lease });
    }
}
