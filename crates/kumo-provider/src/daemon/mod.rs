//! The provider daemon (`kumo provider run`): wires the chain follower, the bid engine, the
//! workloads, the money loop and the health monitor (`../shared/spec/akash-offchain.md` §2).
//!
//! The state (orders, leases, the bid engine's inventory) is a pure state machine
//! ([`machine::Machine`]); this module is its edge. One event loop turns each block's events (in
//! height order) and the timers into [`machine::Input`]s, feeds them to the machine under its
//! lock and carries out the [`machine::Effect`]s it returns; transactions and pricing scripts
//! run in spawned tasks so a slow node never stalls the loop, and feed their results back as
//! inputs. Everything stops on the shutdown signal.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1::{LeaseClosedReason, LeaseId, OrderId};
use serde_json::json;
use tokio::sync::{mpsc, watch};

use crate::bidengine::pricing::Pricing;
use crate::bidengine::{Bid, BidEngine, ProviderState};
use crate::chain::{self, ChainClient, ChainEvent, HeightFile};
use crate::config::Config;
use crate::inventory::{order_key, Inventory};
use crate::money::{self, MoneyCmd};
use crate::workload::Workloads;

mod machine;
#[cfg(test)]
mod tests;

use machine::{lease_key, Effect, Health, Input, Level, Machine, Settings, Subject};

/// How often the follower polls when the websocket is down.
const POLL: Duration = Duration::from_secs(2);
/// Attempts at tearing a lease's workloads down.
const TEARDOWN_TRIES: u32 = 5;

struct Shared {
    config: Config,
    chain: Arc<ChainClient>,
    workloads: Arc<dyn Workloads>,
    machine: Mutex<Machine>,
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
    let settings = Settings::from_config(&config);
    let shared = Arc::new(Shared {
        config,
        chain: chain.clone(),
        workloads,
        machine: Mutex::new(Machine::new(engine, settings)),
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
        self.shared.machine().engine.evaluate(order, group)
    }

    /// `/status` (§3.4) plus the bid engine's recent decisions.
    pub fn status_json(&self) -> serde_json::Value {
        let m = self.shared.machine();
        let cfg = &self.shared.config;
        let leases = m.leases().count();
        json!({
            "cluster": {
                "leases": leases,
                "inventory": m.engine.inventory.status_json(),
            },
            "bidengine": m.engine.status_json(m.bidding_orders()),
            "manifest": {"deployments": leases},
            "cluster_public_hostname": cfg.cluster_public_hostname,
            "address": self.shared.chain.address(),
        })
    }
}

impl Shared {
    fn machine(&self) -> MutexGuard<'_, Machine> {
        self.machine.lock().expect("state lock")
    }
}

/// A boxed task of the edge (the effects of an input may start tasks that feed inputs again).
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Feeds one input into the machine, under the lock, and carries out its effects.
fn handle(sh: Arc<Shared>, input: Input, now: Instant) -> Task {
    Box::pin(async move {
        let effects = sh.machine().on(input, now);
        execute(&sh, effects, now).await;
    })
}

/// Carries out effects in order. Transactions, pricing scripts, teardowns and manifest
/// watchdogs run in tasks of their own that feed their results back; health and manifest checks
/// and lease closes run here, and the effects of their results run before the next effect
/// (fed with `now`, the time of the input that caused them).
async fn execute(sh: &Arc<Shared>, effects: Vec<Effect>, now: Instant) {
    let mut queue: VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        let answer = match effect {
            Effect::Log {
                level,
                subject,
                message,
            } => {
                log(level, &subject, &message);
                None
            }
            Effect::BroadcastBid { order, bid } => {
                tokio::spawn(broadcast_bid(sh.clone(), order, bid));
                None
            }
            Effect::RunPricingScript {
                order,
                input,
                denom,
            } => {
                tokio::spawn(run_pricing_script(sh.clone(), order, input, denom));
                None
            }
            Effect::CloseBid { order, reason } => {
                tokio::spawn(close_bid(sh.clone(), order, reason));
                None
            }
            Effect::CloseLease { lease, reason } => close_lease(sh, lease, reason).await,
            Effect::Teardown { lease } => {
                tokio::spawn(teardown(sh.clone(), lease));
                None
            }
            Effect::MoneyWatch { lease } => {
                let _ = sh.money.try_send(MoneyCmd::Watch(lease));
                None
            }
            Effect::MoneyClosed { lease } => {
                let _ = sh.money.try_send(MoneyCmd::Closed(lease));
                None
            }
            Effect::SpawnManifestWatchdog { lease } => {
                tokio::spawn(manifest_watchdog(sh.clone(), lease));
                None
            }
            Effect::CheckManifest { lease } => Some(check_manifest(sh, lease).await),
            Effect::CheckHealth { lease } => Some(check_health(sh, lease).await),
        };
        if let Some(input) = answer {
            let effects = sh.machine().on(input, now);
            for e in effects.into_iter().rev() {
                queue.push_front(e);
            }
        }
    }
}

fn log(level: Level, subject: &Subject, message: &str) {
    macro_rules! emit {
        ($field:ident, $key:expr) => {
            match level {
                Level::Debug => tracing::debug!($field = %$key, "{message}"),
                Level::Info => tracing::info!($field = %$key, "{message}"),
                Level::Warn => tracing::warn!($field = %$key, "{message}"),
            }
        };
    }
    match subject {
        Subject::Order(key) => emit!(order, key),
        Subject::Lease(key) => emit!(lease, key),
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
        handle(
            sh.clone(),
            Input::LeaseActive { lease: id, spec },
            Instant::now(),
        )
        .await;
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
    for bid in sh.chain.own_bids("open").await? {
        let Some(bid_id) = bid.id else { continue };
        let oid = chain::order_of_bid(&bid_id);
        let Some(order) = sh.chain.order(&oid).await? else {
            continue;
        };
        let spec = order.spec.unwrap_or_default();
        // §2.3: a bid older than the bid timeout (5 s blocks) is stale: close it now.
        let age = Duration::from_secs(tip.saturating_sub(bid.created_at.max(0) as u64) * 5);
        handle(
            sh.clone(),
            Input::OwnBidOpen {
                order: oid,
                spec,
                age,
            },
            Instant::now(),
        )
        .await;
    }
    let orders = sh.chain.orders("open").await?;
    tracing::info!(open_orders = orders.len(), "deciding on open orders");
    for order in orders {
        let (Some(id), Some(spec)) = (order.id, order.spec) else {
            continue;
        };
        let input = Input::OrderOpen {
            order: id,
            spec,
            height: tip,
        };
        handle(sh.clone(), input, Instant::now()).await;
    }
    Ok(())
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
                handle(sh.clone(), Input::EscrowClosed { lease: id }, Instant::now()).await;
            }
            _ = tick.tick() => {
                // Bid timeouts, then the health checks due (run here, one after the other).
                handle(sh.clone(), Input::Tick, Instant::now()).await;
            }
        }
    }
    Ok(())
}

/// One chain event as an input (reading what the machine needs from the chain first).
async fn on_event(sh: &Arc<Shared>, ev: ChainEvent, height: u64) {
    let me = sh.chain.address().to_string();
    let input = match ev {
        ChainEvent::OrderCreated(id) => {
            if sh.machine().order(&id).is_some() {
                return;
            }
            match sh.chain.order(&id).await {
                // Catching up replays old events: only orders still open get a decision.
                Ok(Some(o))
                    if o.state == kumo_proto::akash::market::v1beta5::order::State::Open as i32 =>
                {
                    Input::OrderOpen {
                        order: id,
                        spec: o.spec.unwrap_or_default(),
                        height,
                    }
                }
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(order = %order_key(&id), "cannot read the new order: {e:#}");
                    return;
                }
            }
        }
        ChainEvent::LeaseCreated(lid) if lid.provider == me => {
            let oid = chain::order_of_lease(&lid);
            let known = sh.machine().order(&oid).map(|o| o.spec.clone());
            let spec = match known {
                Some(s) => s,
                None => match sh.chain.order(&oid).await {
                    Ok(Some(o)) => o.spec.unwrap_or_default(),
                    _ => GroupSpec::default(),
                },
            };
            Input::LeaseWon { lease: lid, spec }
        }
        ChainEvent::LeaseCreated(lid) => Input::LeaseLost { lease: lid },
        ChainEvent::OrderClosed(oid) => Input::OrderClosed { order: oid },
        ChainEvent::BidClosed(bid) if bid.provider == me => Input::OwnBidClosed {
            order: chain::order_of_bid(&bid),
        },
        ChainEvent::LeaseClosed { id, reason } if id.provider == me => {
            Input::OwnLeaseClosed { lease: id, reason }
        }
        _ => return,
    };
    handle(sh.clone(), input, Instant::now()).await;
}

async fn broadcast_bid(sh: Arc<Shared>, order: OrderId, bid: Bid) {
    let deposit = match kumo_client::parse_coin(&sh.config.bid.deposit) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("bid.deposit: {e}");
            return;
        }
    };
    let result = match sh.chain.create_bid(&order, &bid, deposit).await {
        Ok(tx) => Ok(tx.hash.to_string()),
        Err(e) => Err(format!("{e:#}")),
    };
    handle(sh, Input::BidTx { order, result }, Instant::now()).await;
}

async fn run_pricing_script(sh: Arc<Shared>, order: OrderId, input: String, denom: String) {
    let script = match &sh.machine().engine.pricing {
        Pricing::Script(p) => p.clone(),
        Pricing::Scale(_) => return,
    };
    let price = script.run(&input, &order.owner, &denom).await;
    let height = sh.height.load(Ordering::Relaxed);
    let input = Input::ScriptPriced {
        order,
        price,
        height,
    };
    handle(sh, input, Instant::now()).await;
}

/// Closes an own bid that did not become a lease in time (its reservation is released).
async fn close_bid(sh: Arc<Shared>, order: OrderId, reason: LeaseClosedReason) {
    let bid = sh.chain.bid_id(&order);
    match sh.chain.close_bid(bid, reason).await {
        Ok(_) => tracing::info!(order = %order_key(&order), "bid timed out: closed"),
        Err(e) => {
            tracing::warn!(order = %order_key(&order), "closing the timed-out bid failed: {e:#}")
        }
    }
}

/// After winning: once the manifest timeout has passed, the machine has the manifest checked.
async fn manifest_watchdog(sh: Arc<Shared>, lease: LeaseId) {
    let mut shutdown = sh.shutdown.clone();
    tokio::select! {
        _ = tokio::time::sleep(sh.config.bid.manifest_timeout) => {}
        _ = shutdown.changed() => return,
    }
    handle(sh, Input::ManifestDue { lease }, Instant::now()).await;
}

async fn check_manifest(sh: &Arc<Shared>, lease: LeaseId) -> Input {
    let deployed = match sh.workloads.manifest(&lease).await {
        Ok(m) => Ok(m.is_some()),
        Err(e) => Err(e.to_string()),
    };
    Input::ManifestChecked { lease, deployed }
}

/// Closes a lease (with its bid); a failure is the machine's input.
async fn close_lease(sh: &Arc<Shared>, lease: LeaseId, reason: LeaseClosedReason) -> Option<Input> {
    let bid = kumo_proto::akash::market::v1::BidId {
        owner: lease.owner.clone(),
        dseq: lease.dseq,
        gseq: lease.gseq,
        oseq: lease.oseq,
        provider: lease.provider.clone(),
        bseq: lease.bseq,
    };
    match sh.chain.close_bid(bid, reason).await {
        Ok(_) => None,
        Err(e) => Some(Input::CloseLeaseFailed {
            lease,
            error: format!("{e:#}"),
        }),
    }
}

/// A lease's health: all services of its deployed manifest available.
async fn check_health(sh: &Arc<Shared>, lease: LeaseId) -> Input {
    let health = match sh.workloads.manifest(&lease).await {
        Ok(None) => Health::NoManifest,
        Ok(Some(_)) => match sh.workloads.status(&lease).await {
            Ok(st) => {
                let bad: Vec<String> = st
                    .services
                    .values()
                    .filter(|s| s.available < s.total)
                    .map(|s| format!("{} {}/{} available", s.name, s.available, s.total))
                    .collect();
                if bad.is_empty() {
                    Health::Healthy
                } else {
                    Health::Unhealthy(bad.join(", "))
                }
            }
            Err(e) => Health::Unhealthy(e.to_string()),
        },
        Err(e) => Health::Unhealthy(e.to_string()),
    };
    Input::HealthChecked { lease, health }
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
