//! Blocks ordered by Malachite BFT (Tendermint in Rust), one engine for every chain: the
//! one-validator devnet and a network of many. This module owns the engine's side of the
//! node: the `Context` and its types (`context`), signatures (`signing`), the wire/WAL codec
//! (`codec`), durable undecided blocks (`proposals`) and the loop that answers the engine
//! (`host`). The validator set is the staking module's bonded set; txs reach the proposer
//! through our own gossip swarm (`crate::gossip`), two ports above the consensus port.

pub mod codec;
pub mod context;
pub mod host;
pub mod proposals;
pub mod signing;

pub use context::KumoContext;

use crate::home::{Ed25519Key, Home};
use crate::node::Node;
use crate::types::Peer;
use anyhow::{bail, Context as _, Result};
use codec::BorshCodec;
use context::Address;
use malachitebft_app_channel::app::config::{
    ConsensusConfig, NodeConfig as EngineConfig, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::{
    ConsensusContext, NetworkContext, NetworkIdentity, NetworkRequest, RequestContext, Signer,
    SyncContext, WalContext,
};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The engine's configuration (the parts it reads).
#[derive(Clone, Debug)]
pub struct EngineSettings {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl EngineConfig for EngineSettings {
    fn moniker(&self) -> &str {
        &self.moniker
    }
    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }
    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }
    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }
    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// A peer entry of the config: `host:port` or `<node id>@host:port`.
pub fn peer_socket(entry: &str) -> Result<SocketAddr> {
    let addr = entry.rsplit_once('@').map_or(entry, |(_, a)| a);
    let addr = addr
        .trim_start_matches("tcp://")
        .trim_start_matches("http://");
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .with_context(|| {
            format!("persistent peer {entry:?} is not host:port (or <node id>@host:port)")
        })
}

fn multiaddr(addr: SocketAddr) -> Multiaddr {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) => format!("/ip4/{ip}"),
        std::net::IpAddr::V6(ip) => format!("/ip6/{ip}"),
    };
    format!("{ip}/tcp/{}", addr.port())
        .parse()
        .expect("valid multiaddr")
}

/// The tx gossip address that belongs to a consensus p2p address: two ports up (26658 by
/// default, CometBFT's ABCI port, which kumo does not use; 26657 is the RPC).
pub fn gossip_socket(p2p: SocketAddr) -> SocketAddr {
    SocketAddr::new(p2p.ip(), p2p.port().wrapping_add(2))
}

/// The CometBFT-style node id of an ed25519 public key.
pub fn node_id(public_key: &[u8; 32]) -> String {
    hex::encode(kumo_app::staking::state::cons_address(public_key))
}

fn engine_settings(cfg: &crate::home::NodeConfig) -> Result<EngineSettings> {
    let listen: SocketAddr = cfg.p2p_laddr.parse().with_context(|| {
        format!(
            "p2p_laddr {:?} is not an ip:port (e.g. 127.0.0.1:26656)",
            cfg.p2p_laddr
        )
    })?;
    let peers = cfg
        .persistent_peers
        .iter()
        .map(|p| peer_socket(p).map(multiaddr))
        .collect::<Result<Vec<_>>>()?;
    let mut consensus = ConsensusConfig::default();
    let p2p = &mut consensus.p2p;
    p2p.listen_addr = multiaddr(listen);
    p2p.persistent_peers = peers;
    // Nodes of another chain speak other protocols, so they are disconnected on identify.
    let chain = &cfg.chain_id;
    p2p.protocol_names.consensus = format!("/kumo/{chain}/consensus/1");
    p2p.protocol_names.sync = format!("/kumo/{chain}/sync/1");
    p2p.protocol_names.discovery_kad = format!("/kumo/{chain}/kad/1");
    p2p.protocol_names.discovery_regres = format!("/kumo/{chain}/discovery/1");
    let value_sync = ValueSyncConfig {
        // Tell peers our tip often, so a node that was down notices quickly that it is behind.
        status_update_interval: Duration::from_secs(2),
        ..ValueSyncConfig::default()
    };
    Ok(EngineSettings {
        moniker: cfg.moniker.clone(),
        consensus,
        value_sync,
    })
}

/// Starts the engine, the tx gossip and the host loop for `node`; the returned future runs
/// the host loop until the engine stops or a block cannot be committed.
pub async fn start(
    node: Arc<Node>,
    home: &Path,
) -> Result<impl std::future::Future<Output = Result<()>>> {
    let home = Home::new(home);
    let cfg = node.config().clone();
    let settings = engine_settings(&cfg)?;
    let node_key = Ed25519Key::load(&home.node_key_file())?;
    let keypair = Keypair::ed25519_from_bytes(node_key.signing.to_bytes())
        .context("the node key is not an ed25519 key")?;
    let consensus_key = node.validator_key().signing.clone();
    let address = Address(node.validator_address());
    let signer = signing::KumoSigner {
        chain_id: cfg.chain_id.clone(),
        key: consensus_key.clone(),
    };
    let verifier = signing::KumoVerifier {
        chain_id: cfg.chain_id.clone(),
    };
    let proof = signer
        .sign_validator_proof(
            consensus_key.verifying_key().to_bytes().to_vec(),
            keypair.public().to_peer_id().to_bytes(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot sign the validator proof: {e}"))?;
    let proof = Codec::encode(&BorshCodec, &proof)?;
    let identity =
        NetworkIdentity::new_validator(cfg.moniker.clone(), keypair, address.to_string(), proof);
    let wal = home.data_dir().join("wal").join("consensus.wal");
    let proposals = proposals::ProposalStore::open(&home.data_dir().join("consensus.redb"))?;

    let (channels, engine) = malachitebft_app_channel::start_engine(
        KumoContext,
        settings.clone(),
        WalContext::new(wal, BorshCodec),
        NetworkContext::new(identity, BorshCodec),
        ConsensusContext::new_validator(address, Box::new(verifier), Box::new(signer)),
        SyncContext::new(BorshCodec),
        RequestContext::new(16),
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot start the consensus engine: {e:#}"))?;

    let p2p: SocketAddr = cfg.p2p_laddr.parse()?;
    let (gossip, received) = crate::gossip::TxGossip::start(crate::gossip::TxGossipConfig {
        listen: gossip_socket(p2p),
        peers: cfg
            .persistent_peers
            .iter()
            .map(|p| peer_socket(p).map(gossip_socket))
            .collect::<Result<_>>()?,
        key_seed: node_key.signing.to_bytes(),
        chain_id: cfg.chain_id.clone(),
        max_tx_bytes: cfg.max_tx_bytes,
    })
    .await
    .context("cannot start the tx gossip")?;
    node.set_gossip(gossip);
    spawn_gossip_admission(node.clone(), received);
    spawn_peer_watch(node.clone(), channels.net_requests.clone());
    tracing::info!(
        p2p = %cfg.p2p_laddr,
        peers = cfg.persistent_peers.len(),
        address = %address,
        node_id = %node_id(&node_key.public()),
        "consensus started (Malachite); tx gossip on {}",
        gossip_socket(p2p)
    );
    let host = host::Host::new(node, proposals, channels.network.clone(), cfg.block_time());
    Ok(async move {
        let r = host.run(channels.consensus).await;
        engine.handle.abort();
        r
    })
}

/// Txs from peers go through CheckTx like any other (on a thread of their own: CheckTx
/// takes the node's locks).
fn spawn_gossip_admission(
    node: Arc<Node>,
    mut received: tokio::sync::mpsc::Receiver<crate::gossip::ReceivedTxs>,
) {
    std::thread::Builder::new()
        .name("tx-gossip-admit".into())
        .spawn(move || {
            while let Some(batch) = received.blocking_recv() {
                for tx in batch.txs {
                    node.admit_gossiped(tx);
                }
            }
        })
        .expect("spawn tx admission thread");
}

/// Keeps `net_info`'s peer list current.
fn spawn_peer_watch(node: Arc<Node>, requests: tokio::sync::mpsc::Sender<NetworkRequest>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let Ok(Some(dump)) = NetworkRequest::dump_state(&requests).await else {
                if requests.is_closed() {
                    return;
                }
                continue;
            };
            let mut peers: Vec<Peer> = dump
                .peers
                .iter()
                .map(|(id, info)| Peer {
                    node_id: peer_node_id(id).unwrap_or_else(|| id.to_string()),
                    moniker: info.moniker.clone(),
                    remote_addr: info.address.to_string(),
                    // We dial our persistent peers; others dialed us.
                    outbound: dump.persistent_peer_ids.contains(id),
                })
                .collect();
            peers.sort_by(|a, b| a.node_id.cmp(&b.node_id));
            node.set_peers(peers);
        }
    });
}

/// A peer's CometBFT-style node id, from the ed25519 key its libp2p id embeds.
fn peer_node_id(id: &libp2p::PeerId) -> Option<String> {
    let key = libp2p::identity::PublicKey::try_decode_protobuf(
        libp2p::multihash::Multihash::<64>::from_bytes(&id.to_bytes())
            .ok()?
            .digest(),
    )
    .ok()?;
    let ed = key.try_into_ed25519().ok()?;
    Some(node_id(&ed.to_bytes()))
}

/// Refuses to start a node whose chain has no validator to make blocks.
pub fn check_has_validators(node: &Node) -> Result<()> {
    if node.has_no_genesis_validator() {
        bail!(
            "genesis has no bonded validator: create one with `kumo genesis gentx` and \
             `kumo genesis collect-gentxs` before starting"
        );
    }
    match node.valset(node.tip_height() + 1) {
        Some(v) if !v.validators.is_empty() => Ok(()),
        _ => bail!(
            "the chain has no bonded validator: create one with `kumo genesis gentx` and \
             `kumo genesis collect-gentxs` before starting"
        ),
    }
}
