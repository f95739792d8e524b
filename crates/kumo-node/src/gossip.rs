//! Mempool gossip on a libp2p swarm of its own.
//!
//! Consensus (Malachite) runs its own swarm with fixed topics and carries no application
//! messages, so txs admitted by one node reach the proposer through this second, small swarm:
//! TCP + noise + yamux, gossipsub for the txs, identify to keep nodes of other chains out and
//! ping for keepalive.
//!
//! Txs are batched: [`TxGossip::publish`] only pushes onto a bounded queue, and the swarm task
//! packs queued txs into one gossipsub message every [`FLUSH_INTERVAL`] or once a batch reaches
//! [`FLUSH_BYTES`]. Batch encoding (all integers big-endian `u32`):
//!
//! ```text
//! count | len_1 | tx_1 | len_2 | tx_2 | ... | len_count | tx_count
//! ```
//!
//! Received batches are validated before gossipsub forwards them (`validate_messages` mode):
//! a malformed, truncated or oversized batch is rejected as a whole. Txs are de-duplicated by
//! sha256 against a bounded FIFO set of recently seen tx hashes, so each tx reaches the receiver
//! at most once, and a tx received from a peer is never re-published by us (gossipsub forwards
//! the batch that carried it).

use kumo_crypto::tx_hash;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, MessageId};
use libp2p::identity::Keypair;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::swarm::{ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{identify, noise, ping, tcp, yamux, Multiaddr, PeerId, Swarm};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, Notify};

/// Largest encoded batch accepted or produced.
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// A batch is flushed as soon as it reaches this size...
pub const FLUSH_BYTES: usize = 256 * 1024;
/// ...or this long after its first tx was queued.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(20);
/// Capacity of the publish queue; [`TxGossip::publish`] drops txs beyond it.
pub const QUEUE_CAPACITY: usize = 50_000;
/// Number of recent tx hashes remembered for de-duplication.
pub const SEEN_CAPACITY: usize = 100_000;

/// Capacity, in batches, of the channel to the receiver (~20 s at 50 batches/s).
const DELIVERY_CAPACITY: usize = 1024;
/// Batches that could not be published yet (no subscribed peer) are kept up to this many bytes.
const BACKLOG_MAX_BYTES: usize = 16 * 1024 * 1024;
/// Gossipsub wraps the data in a signed protobuf message; leave room for that.
const TRANSMIT_OVERHEAD: usize = 64 * 1024;
const REDIAL_MIN: Duration = Duration::from_secs(2);
const REDIAL_MAX: Duration = Duration::from_secs(10);
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// Period of the housekeeping tick (redials, backlog retries).
const MAINTENANCE_INTERVAL: Duration = Duration::from_millis(500);
/// At most one warning per kind per this period; the rest are counted and summarised.
const WARN_INTERVAL: Duration = Duration::from_secs(5);
/// Queued txs taken per wakeup, so a full queue cannot starve the swarm.
const DRAIN_PER_WAKEUP: usize = 1024;
const LISTEN_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of a node's tx gossip swarm.
#[derive(Clone, Debug)]
pub struct TxGossipConfig {
    /// TCP address to listen on (`127.0.0.1:0` lets the OS pick a port; see
    /// [`TxGossip::listen_addrs`]).
    pub listen: SocketAddr,
    /// Peers dialed at start and redialed with a bounded backoff (2-10 s) while disconnected.
    pub peers: Vec<SocketAddr>,
    /// Ed25519 seed of the node key; the libp2p identity derives from it.
    pub key_seed: [u8; 32],
    /// Selects the topic `/kumo/<chain_id>/mempool/1` and the identify protocol version
    /// `/kumo/<chain_id>/1`; peers announcing another version are disconnected.
    pub chain_id: String,
    /// Larger txs are never published, and batches carrying one are rejected.
    pub max_tx_bytes: usize,
}

/// Txs received from the network in one batch, already de-duplicated.
#[derive(Clone, Debug)]
pub struct ReceivedTxs {
    /// The node that published the batch (its signed author, not the forwarding hop).
    pub from: PeerId,
    pub txs: Vec<Vec<u8>>,
}

/// Counters since start, for logs and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GossipStats {
    /// Txs handed to gossipsub in a published batch.
    pub published: u64,
    /// Txs delivered to the receiver.
    pub received: u64,
    /// Txs skipped because they were seen before (received or published).
    pub duplicates: u64,
    /// Received batches rejected as malformed or oversized, plus locally published txs that
    /// were empty or over `max_tx_bytes`.
    pub rejected: u64,
    /// Txs lost to a full queue: the publish queue, the unpublished backlog, gossipsub's
    /// per-peer queues or the channel to the receiver.
    pub dropped: u64,
}

#[derive(Default)]
struct Counters {
    published: AtomicU64,
    received: AtomicU64,
    duplicates: AtomicU64,
    rejected: AtomicU64,
    dropped: AtomicU64,
}

fn bump(counter: &AtomicU64, n: usize) {
    counter.fetch_add(n as u64, Ordering::Relaxed);
}

/// State shared between the handles and the swarm task.
struct Shared {
    local_peer_id: PeerId,
    max_tx_bytes: usize,
    counters: Counters,
    peers: Mutex<HashMap<PeerId, Multiaddr>>,
    listen_addrs: Mutex<Vec<Multiaddr>>,
    shutdown: Notify,
}

/// Handle to a running tx gossip swarm. Cheap to clone; the swarm task stops once every
/// handle is dropped or [`TxGossip::shutdown`] is called.
#[derive(Clone)]
pub struct TxGossip {
    queue: mpsc::Sender<Vec<u8>>,
    shared: Arc<Shared>,
}

impl TxGossip {
    /// Starts the swarm on the current tokio runtime: listens, dials the configured peers and
    /// spawns the swarm task. Returns the handle and the stream of txs received from peers
    /// (already de-duplicated; txs published through this handle never come back on it).
    pub async fn start(
        cfg: TxGossipConfig,
    ) -> anyhow::Result<(TxGossip, mpsc::Receiver<ReceivedTxs>)> {
        anyhow::ensure!(cfg.max_tx_bytes > 0, "max_tx_bytes must be positive");
        anyhow::ensure!(!cfg.chain_id.is_empty(), "chain_id must not be empty");
        // A tx must fit in a batch on its own.
        let max_tx_bytes = cfg.max_tx_bytes.min(MAX_BATCH_BYTES - 8);

        let keypair =
            Keypair::ed25519_from_bytes(cfg.key_seed).context("invalid gossip key seed")?;
        let local_peer_id = keypair.public().to_peer_id();
        let protocol_version = identify_protocol_version(&cfg.chain_id);
        let topic = mempool_topic(&cfg.chain_id);

        let mut swarm = build_swarm(keypair, &protocol_version)?;
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&topic)
            .map_err(|e| anyhow::anyhow!("gossipsub subscribe: {e:?}"))?;
        swarm
            .listen_on(socket_multiaddr(cfg.listen))
            .with_context(|| format!("tx gossip cannot listen on {}", cfg.listen))?;

        let shared = Arc::new(Shared {
            local_peer_id,
            max_tx_bytes,
            counters: Counters::default(),
            peers: Mutex::new(HashMap::new()),
            listen_addrs: Mutex::new(Vec::new()),
            shutdown: Notify::new(),
        });
        let (queue_tx, queue_rx) = mpsc::channel(QUEUE_CAPACITY);
        let (deliver_tx, deliver_rx) = mpsc::channel(DELIVERY_CAPACITY);

        let now = Instant::now();
        let configured = cfg
            .peers
            .iter()
            .filter(|addr| **addr != cfg.listen) // never dial ourselves
            .map(|addr| ConfiguredPeer {
                addr: socket_multiaddr(*addr),
                dialing: None,
                connected: None,
                next_dial: now,
                backoff: REDIAL_MIN,
            })
            .collect();

        let mut worker = Worker {
            swarm,
            topic,
            protocol_version,
            shared: shared.clone(),
            max_tx_bytes,
            seen: SeenSet::new(SEEN_CAPACITY),
            batch: BatchBuilder::new(),
            backlog: VecDeque::new(),
            backlog_bytes: 0,
            deliver: deliver_tx,
            configured,
            reject_log: LogLimiter::default(),
            drop_log: LogLimiter::default(),
        };

        // Wait for the listener so that `listen_addrs` is filled once `start` returns.
        let deadline = tokio::time::sleep(LISTEN_TIMEOUT);
        tokio::pin!(deadline);
        while shared.listen_addrs.lock().unwrap().is_empty() {
            tokio::select! {
                event = worker.swarm.select_next_some() => match event {
                    SwarmEvent::ListenerClosed { reason: Err(e), .. }
                    | SwarmEvent::ListenerError { error: e, .. } => {
                        return Err(e).context("tx gossip listener failed");
                    }
                    event => worker.on_swarm_event(event),
                },
                _ = &mut deadline => anyhow::bail!("tx gossip listener did not start within {LISTEN_TIMEOUT:?}"),
            }
        }
        tracing::info!(
            listen = ?shared.listen_addrs.lock().unwrap(),
            peer_id = %local_peer_id,
            chain_id = %cfg.chain_id,
            peers = cfg.peers.len(),
            "tx gossip started"
        );
        worker.redial_due();
        tokio::spawn(worker.run(queue_rx));

        Ok((
            TxGossip {
                queue: queue_tx,
                shared,
            },
            deliver_rx,
        ))
    }

    /// Queues a tx (one the local node admitted to its mempool) for gossip. Never blocks:
    /// when the queue is full the tx is dropped and counted. Empty and oversized txs are
    /// refused and counted as rejected.
    pub fn publish(&self, tx: Vec<u8>) {
        let counters = &self.shared.counters;
        if tx.is_empty() || tx.len() > self.shared.max_tx_bytes {
            bump(&counters.rejected, 1);
            return;
        }
        if self.queue.try_send(tx).is_err() {
            bump(&counters.dropped, 1);
        }
    }

    /// Currently connected peers and their remote addresses.
    pub fn peers(&self) -> Vec<(PeerId, Multiaddr)> {
        let peers = self.shared.peers.lock().unwrap();
        peers.iter().map(|(p, a)| (*p, a.clone())).collect()
    }

    /// Addresses the swarm listens on (with the actual port when 0 was configured).
    pub fn listen_addrs(&self) -> Vec<Multiaddr> {
        self.shared.listen_addrs.lock().unwrap().clone()
    }

    /// Counters since start.
    pub fn stats(&self) -> GossipStats {
        let c = &self.shared.counters;
        GossipStats {
            published: c.published.load(Ordering::Relaxed),
            received: c.received.load(Ordering::Relaxed),
            duplicates: c.duplicates.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
        }
    }

    /// This node's libp2p identity (derived from `key_seed`).
    pub fn local_peer_id(&self) -> PeerId {
        self.shared.local_peer_id
    }

    /// Stops the swarm task (connections close; later `publish` calls count as dropped).
    /// Dropping every handle has the same effect.
    pub fn shutdown(&self) {
        self.shared.shutdown.notify_one();
    }
}

/// Topic carrying tx batches for `chain_id`.
fn mempool_topic(chain_id: &str) -> IdentTopic {
    IdentTopic::new(format!("/kumo/{chain_id}/mempool/1"))
}

fn identify_protocol_version(chain_id: &str) -> String {
    format!("/kumo/{chain_id}/1")
}

fn socket_multiaddr(addr: SocketAddr) -> Multiaddr {
    Multiaddr::from(addr.ip()).with(Protocol::Tcp(addr.port()))
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    gossipsub: gossipsub::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
}

fn build_swarm(keypair: Keypair, protocol_version: &str) -> anyhow::Result<Swarm<Behaviour>> {
    let gossip_config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(Duration::from_secs(1))
        .validation_mode(gossipsub::ValidationMode::Strict)
        // Nothing is forwarded before `report_message_validation_result`.
        .validate_messages()
        .max_transmit_size(MAX_BATCH_BYTES + TRANSMIT_OVERHEAD)
        // Content-addressed ids: the same batch reaching us over two paths is one message.
        .message_id_fn(|m: &gossipsub::Message| MessageId::from(Sha256::digest(&m.data).to_vec()))
        .flood_publish(true)
        .mesh_n(6)
        .mesh_n_low(4)
        .mesh_n_high(12)
        .duplicate_cache_time(Duration::from_secs(60))
        .build()
        .context("gossipsub config")?;
    let gossipsub =
        gossipsub::Behaviour::new(MessageAuthenticity::Signed(keypair.clone()), gossip_config)
            .map_err(|e| anyhow::anyhow!("gossipsub: {e}"))?;
    let identify = identify::Behaviour::new(
        identify::Config::new(protocol_version.to_owned(), keypair.public())
            .with_agent_version(format!("kumo/{}", env!("CARGO_PKG_VERSION"))),
    );
    let behaviour = Behaviour {
        gossipsub,
        identify,
        ping: ping::Behaviour::default(),
    };

    let swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .context("tcp transport")?
        .with_behaviour(|_| behaviour)?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_CONNECTION_TIMEOUT))
        .build();
    Ok(swarm)
}

/// A configured peer address and its dial state.
struct ConfiguredPeer {
    addr: Multiaddr,
    /// The dial in flight, if any.
    dialing: Option<ConnectionId>,
    /// Who answered at `addr`, while connected.
    connected: Option<PeerId>,
    next_dial: Instant,
    backoff: Duration,
}

impl ConfiguredPeer {
    fn schedule_redial(&mut self, now: Instant) {
        self.next_dial = now + self.backoff;
        self.backoff = (self.backoff * 2).min(REDIAL_MAX);
    }
}

/// The swarm task's state.
struct Worker {
    swarm: Swarm<Behaviour>,
    topic: IdentTopic,
    protocol_version: String,
    shared: Arc<Shared>,
    max_tx_bytes: usize,
    seen: SeenSet,
    batch: BatchBuilder,
    /// Encoded batches (and their tx counts) not yet accepted by gossipsub, oldest first.
    backlog: VecDeque<(Vec<u8>, usize)>,
    backlog_bytes: usize,
    deliver: mpsc::Sender<ReceivedTxs>,
    configured: Vec<ConfiguredPeer>,
    reject_log: LogLimiter,
    drop_log: LogLimiter,
}

impl Worker {
    async fn run(mut self, mut queue: mpsc::Receiver<Vec<u8>>) {
        let shared = self.shared.clone();
        let flush_timer = tokio::time::sleep(FLUSH_INTERVAL);
        tokio::pin!(flush_timer);
        let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        loop {
            tokio::select! {
                _ = shared.shutdown.notified() => break,
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                tx = queue.recv() => {
                    let Some(tx) = tx else {
                        // Every handle is gone.
                        self.flush();
                        break;
                    };
                    self.enqueue(tx);
                    for _ in 1..DRAIN_PER_WAKEUP {
                        match queue.try_recv() {
                            Ok(tx) => self.enqueue(tx),
                            Err(_) => break,
                        }
                    }
                }
                _ = &mut flush_timer, if !self.batch.is_empty() => self.flush(),
                _ = tick.tick() => {
                    self.redial_due();
                    self.drain_backlog();
                }
            }
            // (Re)arm the flush timer for the batch now open, if it changed.
            if let Some(opened) = self.batch.opened_at {
                let deadline = tokio::time::Instant::from_std(opened + FLUSH_INTERVAL);
                if flush_timer.deadline() != deadline {
                    flush_timer.as_mut().reset(deadline);
                }
            }
        }
        tracing::info!(peer_id = %shared.local_peer_id, "tx gossip stopped");
    }

    fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    /// Adds a locally admitted tx to the open batch, unless it was seen before.
    fn enqueue(&mut self, tx: Vec<u8>) {
        if !self.seen.insert(tx_hash(&tx)) {
            bump(&self.counters().duplicates, 1);
            return;
        }
        if !self.batch.fits(tx.len()) {
            self.flush();
        }
        self.batch.push(&tx);
        if self.batch.len() >= FLUSH_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let (data, count) = self.batch.take();
        self.backlog_bytes += data.len();
        self.backlog.push_back((data, count));
        while self.backlog_bytes > BACKLOG_MAX_BYTES {
            let Some((old, n)) = self.backlog.pop_front() else {
                break;
            };
            self.backlog_bytes -= old.len();
            bump(&self.counters().dropped, n);
            if let Some(suppressed) = self.drop_log.allow() {
                tracing::warn!(
                    txs = n,
                    suppressed,
                    "tx gossip backlog full (no peers?); dropping oldest batch"
                );
            }
        }
        self.drain_backlog();
    }

    /// Publishes queued batches in order until gossipsub has no subscribed peer to take them.
    fn drain_backlog(&mut self) {
        while let Some((data, count)) = self.backlog.front() {
            let count = *count;
            let result = self
                .swarm
                .behaviour_mut()
                .gossipsub
                .publish(self.topic.clone(), data.clone());
            match result {
                Ok(_) => bump(&self.counters().published, count),
                // Keep it for when a peer subscribes.
                Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => return,
                // Only possible once the seen set forgot these txs; they are out there already.
                Err(gossipsub::PublishError::Duplicate) => bump(&self.counters().duplicates, count),
                Err(e) => {
                    bump(&self.counters().dropped, count);
                    if let Some(suppressed) = self.drop_log.allow() {
                        tracing::warn!(error = %e, txs = count, suppressed, "tx batch not published");
                    }
                }
            }
            if let Some((data, _)) = self.backlog.pop_front() {
                self.backlog_bytes -= data.len();
            }
        }
    }

    fn redial_due(&mut self) {
        let now = Instant::now();
        for peer in &mut self.configured {
            if peer.connected.is_some() || peer.dialing.is_some() || now < peer.next_dial {
                continue;
            }
            let opts = DialOpts::unknown_peer_id()
                .address(peer.addr.clone())
                .build();
            let id = opts.connection_id();
            match self.swarm.dial(opts) {
                Ok(()) => peer.dialing = Some(id),
                Err(e) => {
                    tracing::debug!(addr = %peer.addr, error = %e, "tx gossip dial failed");
                    peer.schedule_redial(now);
                }
            }
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(event)) => self.on_gossipsub(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => self.on_identified(peer_id, &info.protocol_version),
            SwarmEvent::Behaviour(_) => {}
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::debug!(%address, "tx gossip listening");
                self.shared.listen_addrs.lock().unwrap().push(address);
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                self.shared
                    .listen_addrs
                    .lock()
                    .unwrap()
                    .retain(|a| *a != address);
            }
            SwarmEvent::ListenerClosed {
                reason, addresses, ..
            } => {
                tracing::warn!(?addresses, ?reason, "tx gossip listener closed");
                self.shared
                    .listen_addrs
                    .lock()
                    .unwrap()
                    .retain(|a| !addresses.contains(a));
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!(%error, "tx gossip listener error");
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                let addr = endpoint.get_remote_address().clone();
                tracing::debug!(peer = %peer_id, %addr, "tx gossip peer connected");
                self.shared.peers.lock().unwrap().insert(peer_id, addr);
                // Every peer is an explicit (direct) peer: small validator networks then flood
                // each batch along every link. Doing it for inbound peers too keeps it
                // symmetric: gossipsub refuses GRAFTs from explicit peers, so a one-sided
                // setting would leave the middle of a line A-B-C without a mesh to forward on.
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .add_explicit_peer(&peer_id);
                if let Some(p) = self
                    .configured
                    .iter_mut()
                    .find(|p| p.dialing == Some(connection_id))
                {
                    p.dialing = None;
                    p.connected = Some(peer_id);
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established,
                cause,
                ..
            } => {
                tracing::debug!(peer = %peer_id, ?cause, remaining = num_established, "tx gossip connection closed");
                if num_established == 0 {
                    self.shared.peers.lock().unwrap().remove(&peer_id);
                    // Otherwise gossipsub would try to redial it by id alone; we redial
                    // configured peers ourselves.
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .remove_explicit_peer(&peer_id);
                    let now = Instant::now();
                    for p in self
                        .configured
                        .iter_mut()
                        .filter(|p| p.connected == Some(peer_id))
                    {
                        p.connected = None;
                        p.schedule_redial(now);
                    }
                }
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                error,
                ..
            } => {
                if let Some(p) = self
                    .configured
                    .iter_mut()
                    .find(|p| p.dialing == Some(connection_id))
                {
                    tracing::debug!(addr = %p.addr, %error, retry_in = ?p.backoff, "tx gossip dial failed");
                    p.dialing = None;
                    p.schedule_redial(Instant::now());
                } else {
                    tracing::debug!(%error, "tx gossip outgoing connection failed");
                }
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                ..
            } => {
                tracing::debug!(%send_back_addr, %error, "tx gossip incoming connection failed");
            }
            _ => {}
        }
    }

    fn on_identified(&mut self, peer_id: PeerId, protocol_version: &str) {
        let on_chain = protocol_version == self.protocol_version;
        for p in self
            .configured
            .iter_mut()
            .filter(|p| p.connected == Some(peer_id))
        {
            // A healthy peer redials fast after a drop; a foreign one only every REDIAL_MAX.
            p.backoff = if on_chain { REDIAL_MIN } else { REDIAL_MAX };
        }
        if !on_chain {
            tracing::warn!(
                peer = %peer_id,
                theirs = %protocol_version,
                ours = %self.protocol_version,
                "tx gossip peer is on another chain; disconnecting"
            );
            let _ = self.swarm.disconnect_peer_id(peer_id);
        }
    }

    fn on_gossipsub(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => self.on_batch(propagation_source, message_id, message),
            gossipsub::Event::Subscribed { peer_id, topic } => {
                tracing::debug!(peer = %peer_id, %topic, "tx gossip peer subscribed");
                if topic == self.topic.hash() {
                    self.drain_backlog();
                }
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                if let Some(suppressed) = self.drop_log.allow() {
                    tracing::warn!(peer = %peer_id, ?failed_messages, suppressed, "tx gossip peer is slow");
                }
            }
            _ => {}
        }
    }

    /// Validates a received batch, tells gossipsub whether to forward it, and delivers its
    /// new txs.
    fn on_batch(&mut self, source: PeerId, id: MessageId, message: gossipsub::Message) {
        let decoded = if message.topic == self.topic.hash() {
            decode_batch(&message.data, self.max_tx_bytes)
        } else {
            Err(BatchError::WrongTopic)
        };
        let txs = match decoded {
            Ok(txs) => txs,
            Err(error) => {
                bump(&self.counters().rejected, 1);
                if let Some(suppressed) = self.reject_log.allow() {
                    tracing::warn!(
                        peer = %source,
                        author = ?message.source,
                        bytes = message.data.len(),
                        %error,
                        suppressed,
                        "rejected tx gossip batch"
                    );
                }
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&id, &source, MessageAcceptance::Reject);
                return;
            }
        };
        // Forward first: other peers may lack txs that are duplicates for us.
        self.swarm
            .behaviour_mut()
            .gossipsub
            .report_message_validation_result(&id, &source, MessageAcceptance::Accept);

        let total = txs.len();
        let fresh: Vec<Vec<u8>> = txs
            .into_iter()
            .filter(|tx| self.seen.insert(tx_hash(tx)))
            .map(<[u8]>::to_vec)
            .collect();
        bump(&self.counters().duplicates, total - fresh.len());
        if fresh.is_empty() {
            return;
        }
        let n = fresh.len();
        let from = message.source.unwrap_or(source);
        match self.deliver.try_send(ReceivedTxs { from, txs: fresh }) {
            Ok(()) => bump(&self.counters().received, n),
            Err(mpsc::error::TrySendError::Full(_)) => {
                bump(&self.counters().dropped, n);
                if let Some(suppressed) = self.drop_log.allow() {
                    tracing::warn!(
                        txs = n,
                        suppressed,
                        "tx gossip receiver is full; dropping received txs"
                    );
                }
            }
            // Nobody listens for received txs; we still forward for others.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// Allows one log line per [`WARN_INTERVAL`] and counts what it suppressed in between.
#[derive(Default)]
struct LogLimiter {
    last: Option<Instant>,
    suppressed: u64,
}

impl LogLimiter {
    /// `Some(number suppressed since the last allowed line)` when a line may be logged now.
    fn allow(&mut self) -> Option<u64> {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < WARN_INTERVAL => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }
}

/// Bounded set of recently seen tx hashes; the oldest is forgotten first.
struct SeenSet {
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
    capacity: usize,
}

impl SeenSet {
    fn new(capacity: usize) -> Self {
        SeenSet {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `hash`; returns false if it was already there.
    fn insert(&mut self, hash: [u8; 32]) -> bool {
        if !self.set.insert(hash) {
            return false;
        }
        self.order.push_back(hash);
        if self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

/// Accumulates txs into one encoded batch.
struct BatchBuilder {
    buf: Vec<u8>,
    count: usize,
    /// When the first tx of this batch arrived.
    opened_at: Option<Instant>,
}

impl BatchBuilder {
    fn new() -> Self {
        BatchBuilder {
            buf: vec![0; 4],
            count: 0,
            opened_at: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Encoded size so far.
    fn len(&self) -> usize {
        self.buf.len()
    }

    fn fits(&self, tx_len: usize) -> bool {
        self.buf.len() + 4 + tx_len <= MAX_BATCH_BYTES
    }

    fn push(&mut self, tx: &[u8]) {
        self.buf.extend_from_slice(&(tx.len() as u32).to_be_bytes());
        self.buf.extend_from_slice(tx);
        self.count += 1;
        self.opened_at.get_or_insert_with(Instant::now);
    }

    /// Returns the encoded batch and its tx count, leaving the builder empty.
    fn take(&mut self) -> (Vec<u8>, usize) {
        self.buf[..4].copy_from_slice(&(self.count as u32).to_be_bytes());
        let count = std::mem::take(&mut self.count);
        self.opened_at = None;
        (std::mem::replace(&mut self.buf, vec![0; 4]), count)
    }
}

/// Why a received batch was rejected.
#[derive(Debug, PartialEq, Eq)]
enum BatchError {
    TooLarge(usize),
    Truncated,
    Empty,
    /// The count cannot match the bytes that follow.
    BadCount(u32),
    EmptyTx,
    TxTooLarge(usize),
    TrailingBytes(usize),
    WrongTopic,
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::TooLarge(n) => write!(f, "batch of {n} bytes exceeds {MAX_BATCH_BYTES}"),
            BatchError::Truncated => f.write_str("truncated batch"),
            BatchError::Empty => f.write_str("empty batch"),
            BatchError::BadCount(n) => write!(f, "tx count {n} inconsistent with batch size"),
            BatchError::EmptyTx => f.write_str("empty tx"),
            BatchError::TxTooLarge(n) => write!(f, "tx of {n} bytes exceeds max_tx_bytes"),
            BatchError::TrailingBytes(n) => write!(f, "{n} trailing bytes after the last tx"),
            BatchError::WrongTopic => f.write_str("message on an unexpected topic"),
        }
    }
}

#[cfg(test)]
fn encode_batch<T: AsRef<[u8]>>(txs: &[T]) -> Vec<u8> {
    let mut b = BatchBuilder::new();
    for tx in txs {
        b.push(tx.as_ref());
    }
    b.take().0
}

fn read_u32(data: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = data.split_first_chunk::<4>()?;
    Some((u32::from_be_bytes(*head), rest))
}

/// Decodes a batch, all or nothing. Never allocates more than the input justifies.
fn decode_batch(data: &[u8], max_tx_bytes: usize) -> Result<Vec<&[u8]>, BatchError> {
    if data.len() > MAX_BATCH_BYTES {
        return Err(BatchError::TooLarge(data.len()));
    }
    let (count, mut rest) = read_u32(data).ok_or(BatchError::Truncated)?;
    if count == 0 {
        return Err(BatchError::Empty);
    }
    // Each tx takes at least 5 bytes (length + one byte).
    if count as usize > rest.len() / 5 {
        return Err(BatchError::BadCount(count));
    }
    let mut txs = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let (len, after) = read_u32(rest).ok_or(BatchError::Truncated)?;
        let len = len as usize;
        if len == 0 {
            return Err(BatchError::EmptyTx);
        }
        if len > max_tx_bytes {
            return Err(BatchError::TxTooLarge(len));
        }
        if after.len() < len {
            return Err(BatchError::Truncated);
        }
        let (tx, after) = after.split_at(len);
        txs.push(tx);
        rest = after;
    }
    if !rest.is_empty() {
        return Err(BatchError::TrailingBytes(rest.len()));
    }
    Ok(txs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    const CHAIN: &str = "kumo-test";
    const WAIT: Duration = Duration::from_secs(20);

    fn config(chain: &str, seed: u8, peers: Vec<SocketAddr>) -> TxGossipConfig {
        TxGossipConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            peers,
            key_seed: [seed; 32],
            chain_id: chain.to_owned(),
            max_tx_bytes: 1024,
        }
    }

    async fn node(
        chain: &str,
        seed: u8,
        peers: &[&TxGossip],
    ) -> (TxGossip, mpsc::Receiver<ReceivedTxs>) {
        let peers = peers.iter().map(|p| socket_of(p)).collect();
        TxGossip::start(config(chain, seed, peers)).await.unwrap()
    }

    fn socket_of(g: &TxGossip) -> SocketAddr {
        let addr = g.listen_addrs().into_iter().next().expect("listening");
        let mut ip = None;
        let mut port = None;
        for p in addr.iter() {
            match p {
                Protocol::Ip4(a) => ip = Some(IpAddr::V4(a)),
                Protocol::Tcp(p) => port = Some(p),
                _ => {}
            }
        }
        SocketAddr::new(ip.unwrap(), port.unwrap())
    }

    fn tx(tag: &str, i: usize) -> Vec<u8> {
        // Realistic size (~200 bytes) without colliding with other tags.
        let mut v = format!("{tag}-{i}-").into_bytes();
        v.resize(200, b'x');
        v
    }

    fn is_probe(tx: &[u8]) -> bool {
        tx.starts_with(b"probe")
    }

    /// Takes every tx currently waiting on `rx`.
    fn drain(rx: &mut mpsc::Receiver<ReceivedTxs>) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Ok(batch) = rx.try_recv() {
            out.extend(batch.txs);
        }
        out
    }

    /// Collects non-probe txs from `rx` until `n` arrived or `timeout` passed.
    async fn collect(
        rx: &mut mpsc::Receiver<ReceivedTxs>,
        n: usize,
        timeout: Duration,
    ) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        while out.len() < n {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(batch)) => out.extend(batch.txs.into_iter().filter(|t| !is_probe(t))),
                _ => break,
            }
        }
        out
    }

    /// Publishes probe txs at `from` until each receiver has seen one, proving the path is up
    /// (connections made, subscriptions exchanged).
    async fn warm_up(from: &TxGossip, rxs: &mut [&mut mpsc::Receiver<ReceivedTxs>]) {
        let tag = format!("probe-{}", from.local_peer_id());
        let mut got = vec![false; rxs.len()];
        let deadline = Instant::now() + WAIT;
        let mut i = 0;
        while got.iter().any(|g| !g) {
            assert!(
                Instant::now() < deadline,
                "gossip path from {tag} never came up"
            );
            from.publish(tx(&tag, i));
            i += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
            for (rx, got) in rxs.iter_mut().zip(got.iter_mut()) {
                *got |= drain(rx).iter().any(|t| t.starts_with(tag.as_bytes()));
            }
        }
    }

    fn assert_exactly_once(txs: &[Vec<u8>], expected: &[Vec<u8>], who: &str) {
        let set: HashSet<&Vec<u8>> = txs.iter().collect();
        assert_eq!(txs.len(), set.len(), "{who} got duplicates");
        let want: HashSet<&Vec<u8>> = expected.iter().collect();
        assert_eq!(set, want, "{who} got a different set of txs");
    }

    #[test]
    fn batch_round_trip() {
        let txs = vec![b"a".to_vec(), vec![7; 1024], b"hello".to_vec()];
        let data = encode_batch(&txs);
        assert_eq!(data.len(), 4 + 3 * 4 + 1 + 1024 + 5);
        let decoded = decode_batch(&data, 1024).unwrap();
        assert_eq!(
            decoded,
            txs.iter().map(|t| t.as_slice()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn malformed_batches_are_rejected() {
        let good = encode_batch(&[b"abc".to_vec(), b"defg".to_vec()]);
        assert_eq!(decode_batch(&[], 100), Err(BatchError::Truncated));
        assert_eq!(decode_batch(&[0, 0, 0], 100), Err(BatchError::Truncated));
        assert_eq!(decode_batch(&[0, 0, 0, 0], 100), Err(BatchError::Empty));
        // A huge count must not make us allocate.
        assert_eq!(
            decode_batch(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 9], 100),
            Err(BatchError::BadCount(u32::MAX))
        );
        for cut in 1..good.len() {
            assert!(
                decode_batch(&good[..cut], 100).is_err(),
                "prefix of {cut} bytes accepted"
            );
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            decode_batch(&trailing, 100),
            Err(BatchError::TrailingBytes(1))
        );
        let mut more = good.clone();
        more[3] = 1; // claims one tx, carries two
        assert_eq!(decode_batch(&more, 100), Err(BatchError::TrailingBytes(8)));
        assert_eq!(decode_batch(&good, 3), Err(BatchError::TxTooLarge(4)));
        assert_eq!(
            decode_batch(&encode_batch(&[b"".to_vec()]), 100),
            Err(BatchError::BadCount(1))
        );
        let mut empty_tx = encode_batch(&[b"abcd".to_vec()]);
        empty_tx[4..8].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(decode_batch(&empty_tx, 100), Err(BatchError::EmptyTx));
        let huge = vec![0u8; MAX_BATCH_BYTES + 1];
        assert_eq!(
            decode_batch(&huge, usize::MAX),
            Err(BatchError::TooLarge(MAX_BATCH_BYTES + 1))
        );
    }

    #[test]
    fn seen_set_evicts_oldest() {
        let mut seen = SeenSet::new(3);
        for i in 0..3u8 {
            assert!(seen.insert([i; 32]));
        }
        assert!(!seen.insert([0; 32]));
        assert!(seen.insert([3; 32])); // evicts 0
        assert!(seen.insert([0; 32]));
        assert!(!seen.insert([3; 32]));
        assert_eq!(seen.set.len(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn publish_refuses_oversized_and_empty() {
        let (a, _rx) = node(CHAIN, 9, &[]).await;
        a.publish(vec![1; 1025]);
        a.publish(Vec::new());
        a.publish(vec![1; 1024]);
        assert_eq!(a.stats().rejected, 2);
        assert_eq!(a.stats().dropped, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn line_delivers_each_tx_once() {
        let (b, mut rx_b) = node(CHAIN, 2, &[]).await;
        let (a, mut rx_a) = node(CHAIN, 1, &[&b]).await;
        let (c, mut rx_c) = node(CHAIN, 3, &[&b]).await;
        warm_up(&a, &mut [&mut rx_b, &mut rx_c]).await;

        let txs: Vec<Vec<u8>> = (0..500).map(|i| tx("a", i)).collect();
        for t in &txs {
            a.publish(t.clone());
        }
        let at_b = collect(&mut rx_b, txs.len(), WAIT).await;
        let at_c = collect(&mut rx_c, txs.len(), WAIT).await;
        // Anything extra (a duplicate) would show up shortly after.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let late_b: Vec<_> = drain(&mut rx_b)
            .into_iter()
            .filter(|t| !is_probe(t))
            .collect();
        let late_c: Vec<_> = drain(&mut rx_c)
            .into_iter()
            .filter(|t| !is_probe(t))
            .collect();
        assert_exactly_once(&[at_b, late_b].concat(), &txs, "B");
        assert_exactly_once(&[at_c, late_c].concat(), &txs, "C");
        assert!(rx_a.try_recv().is_err(), "A received its own txs back");

        assert!(a.stats().published >= 500);
        assert_eq!(b.stats().rejected + c.stats().rejected, 0);
        assert_eq!(a.peers().len(), 1);
        assert_eq!(b.peers().len(), 2);
        assert_eq!(a.peers()[0].0, b.local_peer_id());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tx_published_at_both_ends_reaches_middle_once() {
        let (b, mut rx_b) = node(CHAIN, 12, &[]).await;
        let (a, mut rx_a) = node(CHAIN, 11, &[&b]).await;
        let (c, mut rx_c) = node(CHAIN, 13, &[&b]).await;
        warm_up(&a, &mut [&mut rx_b, &mut rx_c]).await;
        warm_up(&c, &mut [&mut rx_b, &mut rx_a]).await;

        let shared = tx("both", 0);
        let (only_a, only_c) = (tx("only-a", 0), tx("only-c", 0));
        a.publish(shared.clone());
        a.publish(only_a.clone());
        c.publish(shared.clone());
        c.publish(only_c.clone());

        let mut at_b = collect(&mut rx_b, 3, WAIT).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        at_b.extend(drain(&mut rx_b).into_iter().filter(|t| !is_probe(t)));
        assert_exactly_once(
            &at_b,
            &[shared.clone(), only_a.clone(), only_c.clone()],
            "B",
        );

        // Each end gets the other's unique tx, but not the one it published itself.
        let at_a: Vec<_> = drain(&mut rx_a)
            .into_iter()
            .filter(|t| !is_probe(t))
            .collect();
        let at_c: Vec<_> = drain(&mut rx_c)
            .into_iter()
            .filter(|t| !is_probe(t))
            .collect();
        assert_eq!(at_a, vec![only_c]);
        assert_eq!(at_c, vec![only_a]);
    }

    /// A peer speaking gossipsub on our topic with invalid batches is rejected, and nothing of
    /// what it sent is delivered or forwarded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn garbage_batches_are_rejected() {
        let (b, mut rx_b) = node(CHAIN, 22, &[]).await;
        let (c, mut rx_c) = node(CHAIN, 23, &[&b]).await;
        warm_up(&c, &mut [&mut rx_b]).await;

        // A raw swarm of the same chain that publishes whatever we like.
        let topic = mempool_topic(CHAIN);
        let mut evil = build_swarm(
            Keypair::ed25519_from_bytes([24u8; 32]).unwrap(),
            &identify_protocol_version(CHAIN),
        )
        .unwrap();
        evil.behaviour_mut().gossipsub.subscribe(&topic).unwrap();
        evil.dial(socket_multiaddr(socket_of(&b))).unwrap();
        let b_id = b.local_peer_id();
        tokio::time::timeout(WAIT, async {
            loop {
                if let SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(
                    gossipsub::Event::Subscribed { peer_id, .. },
                )) = evil.select_next_some().await
                {
                    if peer_id == b_id {
                        break;
                    }
                }
            }
        })
        .await
        .expect("B never subscribed");

        let oversized = encode_batch(&[tx("evil", 0), vec![b'y'; 1025]]);
        let mut truncated = encode_batch(&[tx("evil", 1), tx("evil", 2)]);
        truncated.pop();
        for garbage in [b"definitely not a batch".to_vec(), oversized, truncated] {
            evil.behaviour_mut()
                .gossipsub
                .publish(topic.clone(), garbage)
                .unwrap();
        }
        // A valid batch last: once B has it, B has processed the garbage before it.
        let valid = tx("evil-but-valid", 0);
        evil.behaviour_mut()
            .gossipsub
            .publish(topic.clone(), encode_batch(std::slice::from_ref(&valid)))
            .unwrap();
        let got = tokio::time::timeout(WAIT, async {
            loop {
                tokio::select! {
                    _ = evil.select_next_some() => {}
                    batch = rx_b.recv() => {
                        let batch = batch.unwrap();
                        let txs: Vec<_> = batch.txs.into_iter().filter(|t| !is_probe(t)).collect();
                        if !txs.is_empty() {
                            return (batch.from, txs);
                        }
                    }
                }
            }
        })
        .await
        .expect("valid batch not delivered");
        assert_eq!(got, (*evil.local_peer_id(), vec![valid.clone()]));
        assert_eq!(b.stats().rejected, 3);

        // C gets the valid batch forwarded through B, and none of the garbage.
        let at_c = tokio::time::timeout(WAIT, async {
            loop {
                tokio::select! {
                    _ = evil.select_next_some() => {}
                    batch = rx_c.recv() => {
                        let txs: Vec<_> = batch.unwrap().txs.into_iter().filter(|t| !is_probe(t)).collect();
                        if !txs.is_empty() {
                            return txs;
                        }
                    }
                }
            }
        })
        .await
        .expect("valid batch not forwarded");
        assert_eq!(at_c, vec![valid]);
        assert_eq!(c.stats().rejected, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn other_chain_is_kept_out() {
        let (a, mut rx_a) = node(CHAIN, 31, &[]).await;
        let (d, mut rx_d) = node("other-chain", 32, &[&a]).await;

        // A bare swarm announcing another chain gets disconnected by A once identified.
        let mut foreign = build_swarm(
            Keypair::ed25519_from_bytes([33u8; 32]).unwrap(),
            &identify_protocol_version("other-chain"),
        )
        .unwrap();
        foreign.dial(socket_multiaddr(socket_of(&a))).unwrap();
        let a_id = a.local_peer_id();
        let (mut connected, mut closed) = (false, false);
        tokio::time::timeout(WAIT, async {
            while !closed {
                match foreign.select_next_some().await {
                    SwarmEvent::ConnectionEstablished { peer_id, .. } if peer_id == a_id => {
                        connected = true
                    }
                    SwarmEvent::ConnectionClosed { peer_id, .. } if peer_id == a_id => {
                        closed = true
                    }
                    _ => {}
                }
            }
        })
        .await
        .expect("foreign peer was not disconnected");
        assert!(connected);

        // D (configured to dial A) and A exchange nothing.
        for i in 0..20 {
            a.publish(tx("a", i));
            d.publish(tx("d", i));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            rx_a.try_recv().is_err(),
            "A received txs from another chain"
        );
        assert!(
            rx_d.try_recv().is_err(),
            "D received txs from another chain"
        );
        assert_eq!(a.stats().received + d.stats().received, 0);
        assert!(!a.peers().iter().any(|(p, _)| *p == d.local_peer_id()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redials_a_peer_that_comes_up_late() {
        // Reserve a port, free it, and configure A to dial it before anyone listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let b_addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let (a, _rx_a) = TxGossip::start(config(CHAIN, 41, vec![b_addr]))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(a.peers().is_empty());
        let (b, mut rx_b) = TxGossip::start(TxGossipConfig {
            listen: b_addr,
            ..config(CHAIN, 42, vec![])
        })
        .await
        .unwrap();
        warm_up(&a, &mut [&mut rx_b]).await;
        assert_eq!(b.peers().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_the_handle_stops_the_swarm() {
        let (b, _rx_b) = node(CHAIN, 52, &[]).await;
        let (a, mut rx_a) = node(CHAIN, 51, &[&b]).await;
        tokio::time::timeout(WAIT, async {
            while b.peers().is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap();
        drop(a);
        // The task ends, which closes the delivery channel and the connection.
        assert!(tokio::time::timeout(WAIT, rx_a.recv())
            .await
            .unwrap()
            .is_none());
        tokio::time::timeout(WAIT, async {
            while !b.peers().is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("connection outlived the swarm");
        b.shutdown();
    }

    /// Throughput on loopback: 4 nodes in a ring-ish mesh, every node publishes a share and
    /// every node must receive everyone else's txs. `cargo test -- --ignored --nocapture`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore]
    async fn throughput_four_nodes() {
        const TOTAL: usize = 20_000;
        let (n0, r0) = node(CHAIN, 60, &[]).await;
        let (n1, r1) = node(CHAIN, 61, &[&n0]).await;
        let (n2, r2) = node(CHAIN, 62, &[&n0, &n1]).await;
        let (n3, r3) = node(CHAIN, 63, &[&n1, &n2]).await;
        let nodes = [n0, n1, n2, n3];
        let mut rxs = [r0, r1, r2, r3];
        for (i, node) in nodes.iter().enumerate() {
            let (before, rest) = rxs.split_at_mut(i);
            let (_, after) = rest.split_first_mut().unwrap();
            let mut others: Vec<&mut mpsc::Receiver<ReceivedTxs>> =
                before.iter_mut().chain(after.iter_mut()).collect();
            warm_up(node, &mut others).await;
        }
        let start = Instant::now();
        for i in 0..TOTAL {
            nodes[i % 4].publish(tx("bench", i));
            if i % 1000 == 999 {
                tokio::task::yield_now().await;
            }
        }
        let expected = TOTAL / 4 * 3;
        let mut handles = Vec::new();
        for mut rx in rxs {
            handles.push(tokio::spawn(async move {
                collect(&mut rx, expected, Duration::from_secs(60))
                    .await
                    .len()
            }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            let got = h.await.unwrap();
            assert_eq!(got, expected, "node {i}");
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{TOTAL} txs published across 4 nodes, each node received {expected} in {secs:.2}s: {:.0} tx/s end to end",
            TOTAL as f64 / secs
        );
        for n in &nodes {
            println!("{:?}", n.stats());
        }
    }
}
