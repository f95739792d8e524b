//! The provider daemon (`kumo provider run`): wires the chain follower, the bid engine, the
//! workloads, the money loop and the health monitor (`../shared/spec/akash-offchain.md` §2).
//!
//! One event loop handles each block's events in height order (and timers); transactions and
//! pricing scripts run in spawned tasks so a slow node never stalls the loop. Everything stops
//! on the shutdown signal.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1::{LeaseClosedReason, LeaseId, OrderId};
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::bidengine::pricing::Pricing;
use crate::bidengine::{BidEngine, Decision, ProviderState};
use crate::chain::{self, ChainClient, ChainEvent, HeightFile};
use crate::config::Config;
use crate::inventory::{order_key, Inventory};
use crate::money::{self, MoneyCmd};
use crate::workload::Workloads;

/// How often the follower polls when the websocket is down.
const POLL: Duration = Duration::from_secs(2);
/// Attempts at tearing a lease's workloads down.
const TEARDOWN_TRIES: u32 = 5;

/// Where an order this provider looked at stands.
#[derive(Clone, Debug)]
enum OrderState {
    /// Capacity reserved, the bid tx (or pricing script) is in flight.
    Bidding,
    /// Our bid is open on chain; closed at `deadline` unless it becomes a lease.
    BidOpen { deadline: Instant },
    /// We won: the lease is ours.
    Leased,
}

struct LeaseState {
    id: LeaseId,
    /// Consecutive failed health checks.
    failures: u32,
    next_check: Instant,
    /// Set once the close was sent, so it is sent once.
    closing: bool,
}

struct State {
    engine: BidEngine,
    orders: BTreeMap<String, (OrderId, GroupSpec, OrderState)>,
    leases: BTreeMap<String, LeaseState>,
}

struct Shared {
    config: Config,
    chain: Arc<ChainClient>,
    workloads: Arc<dyn Workloads>,
    state: Mutex<State>,
    height: AtomicU64,
    money: mpsc::Sender<MoneyCmd>,
    shutdown: watch::Receiver<bool>,
}

/// A running daemon's handle: its status, and a way to stop it.
#[derive(Clone)]
pub struct Daemon {
    shared: Arc<Shared>,
    stop: Arc<watch::Sender<bool>>,
}

fn lease_key(l: &LeaseId) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        l.owner, l.dseq, l.gseq, l.oseq, l.provider
    )
}

/// Loads the provider key from the keyring the config names.
pub fn load_key(config: &Config) -> anyhow::Result<kumo_crypto::PrivKey> {
    let backend = config.keyring_backend();
    let kr = kumo_crypto::keyring::Keyring::open(&config.key.keyring_dir, backend).with_context(
        || {
            format!(
                "cannot open the keyring in {}",
                config.key.keyring_dir.display()
            )
        },
    )?;
    let passphrase = if backend.needs_passphrase() {
        Some(std::env::var("KUMO_KEYRING_PASSPHRASE").map_err(|_| {
            anyhow::anyhow!(
                "key.keyring_backend is \"file\": set KUMO_KEYRING_PASSPHRASE to unlock key {:?}",
                config.key.name
            )
        })?)
    } else {
        None
    };
    kr.signer(&config.key.name, passphrase.as_deref())
        .with_context(|| format!("cannot unlock key {:?} (key.name)", config.key.name))
}

pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Connects, reconciles with the chain and the workloads, and starts the loops. The returned
/// task ends when the daemon stopped.
pub async fn start(
    config: Config,
    key: kumo_crypto::PrivKey,
    workloads: Arc<dyn Workloads>,
) -> anyhow::Result<(Daemon, tokio::task::JoinHandle<anyhow::Result<()>>)> {
    let chain = Arc::new(
        ChainClient::connect(
            &config.chain.node,
            &config.chain.chain_id,
            key,
            config.fee_opts(),
            config.chain.tx_timeout,
        )
        .await?
        .with_fee_policy(config.fee_policy()),
    );
    let address = chain.address().to_string();
    let attributes = chain.provider_attributes().await?.ok_or_else(|| {
        anyhow::anyhow!(
            "{address} is not a registered provider; register it first with \
             `kumo tx provider create provider.yaml --from {}`",
            config.key.name
        )
    })?;
    let audited = chain.audited_attributes().await?;
    let capacity = crate::inventory::discover::capacity(&config.inventory).await?;
    tracing::info!(
        provider = %address,
        cpu_milli = capacity.cpu_milli,
        memory = capacity.memory,
        ephemeral = capacity.ephemeral_storage,
        gpus = capacity.gpus.len(),
        "inventory"
    );
    let mut engine = BidEngine::new(
        ProviderState {
            address: address.clone(),
            attributes,
            audited,
            bid_attributes: config.bid.attribute_list(),
            max_group_volumes: config.bid.max_group_volumes,
            denoms: config.bid.denoms.clone(),
        },
        Inventory::new(capacity, config.overcommit),
        Pricing::from_config(&config.pricing),
    );
    // GPU orders are declined unless the NVIDIA container runtime serves them.
    engine.inventory.set_gpu_runtime(config.runtime.gpu);
    let heights = HeightFile::new(&config.state_dir)?;
    let tip = chain.latest_height().await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let (money_tx, money_rx) = mpsc::channel(1024);
    let (dry_tx, dry_rx) = mpsc::channel(64);
    tokio::spawn(money::run(
        chain.clone(),
        config.money.withdrawal_period,
        config.money.funds_monitor_interval,
        money_rx,
        dry_tx,
        stop_rx.clone(),
    ));
    let shared = Arc::new(Shared {
        config,
        chain: chain.clone(),
        workloads,
        state: Mutex::new(State {
            engine,
            orders: BTreeMap::new(),
            leases: BTreeMap::new(),
        }),
        height: AtomicU64::new(tip),
        money: money_tx,
        shutdown: stop_rx.clone(),
    });
    reconcile(&shared, tip).await?;
    // Catch up from the last processed height; a first start begins at the tip (the open
    // orders were just read).
    let from = heights.read()?.map(|h| h + 1).unwrap_or(tip + 1);
    let (blocks_tx, blocks_rx) = mpsc::channel(64);
    tokio::spawn(chain::follow(chain, from, POLL, blocks_tx, stop_rx));
    let daemon = Daemon {
        shared: shared.clone(),
        stop: Arc::new(stop_tx),
    };
    let task = tokio::spawn(event_loop(shared, heights, blocks_rx, dry_rx));
    Ok((daemon, task))
}

impl Daemon {
    /// Becomes `true` when the daemon stops.
    pub fn stopped(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    pub fn shutdown(&self) {
        self.stop.send_replace(true);
    }

    pub fn address(&self) -> &str {
        self.shared.chain.address()
    }

    /// The bid engine's decision on an order, without reserving anything (the gateway's public
    /// decision endpoint, behind `kumo deployment explain`).
    pub fn evaluate(
        &self,
        order: &kumo_proto::akash::market::v1::OrderId,
        group: &kumo_proto::akash::deployment::v1beta4::GroupSpec,
    ) -> crate::bidengine::Evaluation {
        self.shared
            .state
            .lock()
            .expect("state lock")
            .engine
            .evaluate(order, group)
    }

    /// `/status` (§3.4) plus the bid engine's recent decisions.
    pub fn status_json(&self) -> serde_json::Value {
        let s = self.shared.state.lock().expect("state lock");
        let cfg = &self.shared.config;
        json!({
            "cluster": {
                "leases": s.leases.len(),
                "inventory": s.engine.inventory.status_json(),
            },
            "bidengine": s.engine.status_json(s.orders.values().filter(|o| !matches!(o.2, OrderState::Leased)).count()),
            "manifest": {"deployments": s.leases.len()},
            "cluster_public_hostname": cfg.cluster_public_hostname,
            "address": self.shared.chain.address(),
        })
    }
}

/// Startup: adopt this provider's active leases (re-reserving their resources), tear down
/// workloads of leases that are no longer active, adopt own open bids, and decide on every
/// open order.
async fn reconcile(sh: &Arc<Shared>, tip: u64) -> anyhow::Result<()> {
    let active = sh.chain.own_active_leases().await?;
    let mut live = std::collections::BTreeSet::new();
    for lease in active {
        let Some(id) = lease.id else { continue };
        live.insert(lease_key(&id));
        let oid = chain::order_of_lease(&id);
        let Some(order) = sh.chain.order(&oid).await? else {
            continue;
        };
        let spec = order.spec.unwrap_or_default();
        adopt_lease(sh, &id, &oid, spec, "adopted at startup");
    }
    for id in sh
        .workloads
        .leases()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        if !live.contains(&lease_key(&id)) {
            tracing::info!(lease = %lease_key(&id), "lease is not active on chain: removing its workloads");
            teardown(sh.clone(), id).await;
        }
    }
    let bid_timeout = sh.config.bid.timeout;
    for bid in sh.chain.own_bids("open").await? {
        let Some(bid_id) = bid.id else { continue };
        let oid = chain::order_of_bid(&bid_id);
        let Some(order) = sh.chain.order(&oid).await? else {
            continue;
        };
        let spec = order.spec.unwrap_or_default();
        // §2.3: a bid older than the bid timeout (5 s blocks) is stale: close it now.
        let age = Duration::from_secs(tip.saturating_sub(bid.created_at.max(0) as u64) * 5);
        let mut s = sh.state.lock().expect("state lock");
        let reserved = s.engine.inventory.reserve(&oid, &spec).is_ok();
        let deadline = Instant::now() + bid_timeout.saturating_sub(age);
        s.orders.insert(
            order_key(&oid),
            (oid.clone(), spec, OrderState::BidOpen { deadline }),
        );
        tracing::info!(order = %order_key(&oid), reserved, "adopted own open bid");
    }
    let orders = sh.chain.orders("open").await?;
    tracing::info!(open_orders = orders.len(), "deciding on open orders");
    for order in orders {
        let (Some(id), Some(spec)) = (order.id, order.spec) else {
            continue;
        };
        on_order(sh, id, spec, tip);
    }
    Ok(())
}

fn adopt_lease(sh: &Arc<Shared>, id: &LeaseId, oid: &OrderId, spec: GroupSpec, why: &str) {
    let mut s = sh.state.lock().expect("state lock");
    if let Err(e) = s.engine.inventory.reserve(oid, &spec) {
        // The lease runs anyway; the provider is now overcommitted and says so.
        tracing::warn!(lease = %lease_key(id), "cannot re-reserve the lease's resources: {e}");
    }
    s.engine.inventory.activate(oid);
    s.orders
        .insert(order_key(oid), (oid.clone(), spec, OrderState::Leased));
    s.leases.insert(
        lease_key(id),
        LeaseState {
            id: id.clone(),
            failures: 0,
            next_check: Instant::now() + sh.config.monitor.healthcheck_period,
            closing: false,
        },
    );
    drop(s);
    tracing::info!(lease = %lease_key(id), "{why}");
    let _ = sh.money.try_send(MoneyCmd::Watch(id.clone()));
}

async fn event_loop(
    sh: Arc<Shared>,
    heights: HeightFile,
    mut blocks: mpsc::Receiver<chain::BlockEvents>,
    mut closed_by_chain: mpsc::Receiver<LeaseId>,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut shutdown = sh.shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            b = blocks.recv() => {
                let Some(b) = b else { break };
                sh.height.store(b.height, Ordering::Relaxed);
                for ev in b.events {
                    on_event(&sh, ev, b.height).await;
                }
                heights.write(b.height).context("cannot save the last processed height")?;
                let _ = sh.money.try_send(MoneyCmd::Height(b.height));
            }
            Some(id) = closed_by_chain.recv() => {
                // The money loop saw the chain close the lease (escrow dry): stop its workloads
                // now, whether or not the close event was seen already.
                lease_closed(&sh, id, "insufficient_funds (seen by the escrow check)", false);
            }
            _ = tick.tick() => {
                bid_timeouts(&sh);
                health_checks(&sh).await;
            }
        }
    }
    Ok(())
}

async fn on_event(sh: &Arc<Shared>, ev: ChainEvent, height: u64) {
    let me = sh.chain.address().to_string();
    match ev {
        ChainEvent::OrderCreated(id) => {
            if sh
                .state
                .lock()
                .expect("state lock")
                .orders
                .contains_key(&order_key(&id))
            {
                return;
            }
            match sh.chain.order(&id).await {
                // Catching up replays old events: only orders still open get a decision.
                Ok(Some(o))
                    if o.state == kumo_proto::akash::market::v1beta5::order::State::Open as i32 =>
                {
                    on_order(sh, id, o.spec.unwrap_or_default(), height)
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(order = %order_key(&id), "cannot read the new order: {e:#}")
                }
            }
        }
        ChainEvent::LeaseCreated(lid) => {
            let oid = chain::order_of_lease(&lid);
            if lid.provider == me {
                let spec = {
                    let s = sh.state.lock().expect("state lock");
                    s.orders.get(&order_key(&oid)).map(|o| o.1.clone())
                };
                let spec = match spec {
                    Some(s) => s,
                    None => match sh.chain.order(&oid).await {
                        Ok(Some(o)) => o.spec.unwrap_or_default(),
                        _ => GroupSpec::default(),
                    },
                };
                adopt_lease(sh, &lid, &oid, spec, "lease won");
                tokio::spawn(manifest_watchdog(sh.clone(), lid));
            } else {
                // Lost: the chain marked our bid lost and refunded the deposit.
                let mut s = sh.state.lock().expect("state lock");
                if s.orders.remove(&order_key(&oid)).is_some() {
                    s.engine.inventory.unreserve(&oid);
                    tracing::info!(order = %order_key(&oid), winner = %lid.provider, "lease lost to another provider");
                }
            }
        }
        ChainEvent::OrderClosed(oid) => {
            let mut s = sh.state.lock().expect("state lock");
            let key = order_key(&oid);
            if matches!(s.orders.get(&key), Some((_, _, st)) if !matches!(st, OrderState::Leased)) {
                s.orders.remove(&key);
                s.engine.inventory.unreserve(&oid);
                tracing::info!(order = %key, "order closed: reservation released");
            }
        }
        ChainEvent::BidClosed(bid) if bid.provider == me => {
            let oid = chain::order_of_bid(&bid);
            let mut s = sh.state.lock().expect("state lock");
            let key = order_key(&oid);
            if matches!(s.orders.get(&key), Some((_, _, OrderState::BidOpen { .. }))) {
                s.orders.remove(&key);
                s.engine.inventory.unreserve(&oid);
                tracing::info!(order = %key, "own bid closed: reservation released");
            }
        }
        ChainEvent::LeaseClosed { id, reason } if id.provider == me => {
            lease_closed(sh, id, reason.as_str_name(), true);
        }
        _ => {}
    }
}

/// A lease of ours closed on chain: release it and remove its workloads. From a close event
/// (`always`) the teardown always runs (a restart may have left workloads of a lease this run
/// never adopted); from the escrow check only when the event has not handled it yet.
fn lease_closed(sh: &Arc<Shared>, id: LeaseId, reason: &str, always: bool) {
    let oid = chain::order_of_lease(&id);
    let known = {
        let mut s = sh.state.lock().expect("state lock");
        let known = s.leases.remove(&lease_key(&id)).is_some();
        if known || always {
            s.orders.remove(&order_key(&oid));
            s.engine.inventory.unreserve(&oid);
        }
        known
    };
    if !known && !always {
        return;
    }
    tracing::info!(lease = %lease_key(&id), reason, "lease closed");
    let _ = sh.money.try_send(MoneyCmd::Closed(id.clone()));
    tokio::spawn(teardown(sh.clone(), id));
}

/// Decides on an order and, for a bid, broadcasts it in a task.
fn on_order(sh: &Arc<Shared>, id: OrderId, spec: GroupSpec, height: u64) {
    let key = order_key(&id);
    let decision = {
        let mut s = sh.state.lock().expect("state lock");
        if s.orders.contains_key(&key) {
            return;
        }
        let d = s.engine.decide(&id, &spec);
        s.engine.record(&id, height, &d);
        if !matches!(d, Decision::Decline(_)) {
            s.orders
                .insert(key.clone(), (id.clone(), spec.clone(), OrderState::Bidding));
        }
        d
    };
    match decision {
        Decision::Decline(_) => {}
        Decision::Bid(bid) => {
            tokio::spawn(broadcast_bid(sh.clone(), id, bid));
        }
        Decision::NeedsScript { input, denom } => {
            let sh = sh.clone();
            tokio::spawn(async move {
                let script = {
                    let s = sh.state.lock().expect("state lock");
                    match &s.engine.pricing {
                        Pricing::Script(p) => p.clone(),
                        Pricing::Scale(_) => return,
                    }
                };
                let price = script.run(&input, &id.owner, &denom).await;
                let d = {
                    let mut s = sh.state.lock().expect("state lock");
                    let d = s.engine.finish_script(&id, &spec, price);
                    s.engine.record(&id, sh.height.load(Ordering::Relaxed), &d);
                    if matches!(d, Decision::Decline(_)) {
                        s.orders.remove(&order_key(&id));
                    }
                    d
                };
                if let Decision::Bid(bid) = d {
                    broadcast_bid(sh, id, bid).await;
                }
            });
        }
    }
}

async fn broadcast_bid(sh: Arc<Shared>, id: OrderId, bid: crate::bidengine::Bid) {
    let key = order_key(&id);
    let deposit = match kumo_client::parse_coin(&sh.config.bid.deposit) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("bid.deposit: {e}");
            return;
        }
    };
    match sh.chain.create_bid(&id, &bid, deposit).await {
        Ok(tx) => {
            tracing::info!(order = %key, tx = %tx.hash, "bid placed");
            let mut s = sh.state.lock().expect("state lock");
            if let Some(o) = s.orders.get_mut(&key) {
                if matches!(o.2, OrderState::Bidding) {
                    o.2 = OrderState::BidOpen {
                        deadline: Instant::now() + sh.config.bid.timeout,
                    };
                }
            }
        }
        Err(e) => {
            tracing::warn!(order = %key, "bid transaction failed: {e:#}");
            let mut s = sh.state.lock().expect("state lock");
            if matches!(s.orders.get(&key), Some((_, _, OrderState::Bidding))) {
                s.orders.remove(&key);
                s.engine.inventory.unreserve(&id);
            }
        }
    }
}

/// Closes own bids that did not become leases in time (reason 10002) and releases them.
fn bid_timeouts(sh: &Arc<Shared>) {
    let now = Instant::now();
    let expired: Vec<OrderId> = {
        let mut s = sh.state.lock().expect("state lock");
        let ids: Vec<OrderId> = s
            .orders
            .values()
            .filter(|(_, _, st)| matches!(st, OrderState::BidOpen { deadline } if *deadline <= now))
            .map(|(id, _, _)| id.clone())
            .collect();
        for id in &ids {
            s.orders.remove(&order_key(id));
            s.engine.inventory.unreserve(id);
        }
        ids
    };
    for oid in expired {
        let sh = sh.clone();
        tokio::spawn(async move {
            let bid = sh.chain.bid_id(&oid);
            match sh
                .chain
                .close_bid(bid, LeaseClosedReason::Unspecified)
                .await
            {
                Ok(_) => tracing::info!(order = %order_key(&oid), "bid timed out: closed"),
                Err(e) => {
                    tracing::warn!(order = %order_key(&oid), "closing the timed-out bid failed: {e:#}")
                }
            }
        });
    }
}

/// After winning: if no manifest was deployed within the manifest timeout, close the lease.
async fn manifest_watchdog(sh: Arc<Shared>, lease: LeaseId) {
    let mut shutdown = sh.shutdown.clone();
    tokio::select! {
        _ = tokio::time::sleep(sh.config.bid.manifest_timeout) => {}
        _ = shutdown.changed() => return,
    }
    if !sh
        .state
        .lock()
        .expect("state lock")
        .leases
        .contains_key(&lease_key(&lease))
    {
        return;
    }
    match sh.workloads.manifest(&lease).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            tracing::warn!(lease = %lease_key(&lease), "no manifest within the manifest timeout: closing the lease");
            close_lease(&sh, &lease, LeaseClosedReason::ManifestTimeout).await;
        }
        Err(e) => {
            tracing::warn!(lease = %lease_key(&lease), "cannot read the lease's manifest: {e}")
        }
    }
}

async fn close_lease(sh: &Arc<Shared>, lease: &LeaseId, reason: LeaseClosedReason) {
    let bid = kumo_proto::akash::market::v1::BidId {
        owner: lease.owner.clone(),
        dseq: lease.dseq,
        gseq: lease.gseq,
        oseq: lease.oseq,
        provider: lease.provider.clone(),
        bseq: lease.bseq,
    };
    if let Err(e) = sh.chain.close_bid(bid, reason).await {
        tracing::warn!(lease = %lease_key(lease), "closing the lease failed: {e:#}");
        if let Some(l) = sh
            .state
            .lock()
            .expect("state lock")
            .leases
            .get_mut(&lease_key(lease))
        {
            l.closing = false;
        }
    }
}

/// Leases with a deployed manifest whose services are not all available for more than
/// `monitor.max_retries` checks in a row are closed (reason unstable, 10000).
async fn health_checks(sh: &Arc<Shared>) {
    let now = Instant::now();
    let due: Vec<LeaseId> = {
        let s = sh.state.lock().expect("state lock");
        s.leases
            .values()
            .filter(|l| l.next_check <= now && !l.closing)
            .map(|l| l.id.clone())
            .collect()
    };
    for id in due {
        let healthy = match sh.workloads.manifest(&id).await {
            Ok(None) => None, // nothing deployed yet: the manifest watchdog's business
            Ok(Some(_)) => Some(match sh.workloads.status(&id).await {
                Ok(st) => {
                    let bad: Vec<String> = st
                        .services
                        .values()
                        .filter(|s| s.available < s.total)
                        .map(|s| format!("{} {}/{} available", s.name, s.available, s.total))
                        .collect();
                    if bad.is_empty() {
                        Ok(())
                    } else {
                        Err(bad.join(", "))
                    }
                }
                Err(e) => Err(e.to_string()),
            }),
            Err(e) => Some(Err(e.to_string())),
        };
        let mut close = None;
        {
            let mut s = sh.state.lock().expect("state lock");
            let Some(l) = s.leases.get_mut(&lease_key(&id)) else {
                continue;
            };
            let mon = &sh.config.monitor;
            match healthy {
                None | Some(Ok(())) => {
                    l.failures = 0;
                    l.next_check = now + mon.healthcheck_period;
                }
                Some(Err(why)) => {
                    l.failures += 1;
                    l.next_check = now + mon.retry_period;
                    tracing::debug!(lease = %lease_key(&id), failures = l.failures, "unhealthy: {why}");
                    if l.failures > mon.max_retries {
                        l.closing = true;
                        close = Some(why);
                    }
                }
            }
        }
        if let Some(why) = close {
            tracing::warn!(lease = %lease_key(&id), "closing the lease: unhealthy for too long ({why})");
            close_lease(sh, &id, LeaseClosedReason::Unstable).await;
        }
    }
}

/// Removes a lease's workloads, retrying with backoff.
async fn teardown(sh: Arc<Shared>, id: LeaseId) {
    let mut wait = Duration::from_secs(1);
    for attempt in 1..=TEARDOWN_TRIES {
        match sh.workloads.teardown(&id).await {
            Ok(()) => {
                tracing::info!(lease = %lease_key(&id), "workloads removed");
                return;
            }
            Err(e) => {
                tracing::warn!(lease = %lease_key(&id), attempt, "teardown failed: {e}");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
    tracing::error!(lease = %lease_key(&id), "teardown failed {TEARDOWN_TRIES} times; it is retried at the next start");
}
