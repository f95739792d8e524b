//! The node: the app, a mempool, the block store and the RPC/gRPC/REST servers, with blocks
//! ordered by Malachite (`consensus`). A block is built (`build_block`), checked by every
//! validator (`check_block`) and, once decided, executed and stored (`commit_block`); tests
//! drive the same three steps in memory through `produce_block`.

use crate::blockstore::{block_writes, commit_write, index_writes, valset_write, BlockStore};
use crate::consensus::context::{Address, BlockHash, Signature, Validator, ValidatorSet};
use crate::consensus::signing::precommit_sign_bytes;
use crate::home::{Ed25519Key, Home, NodeConfig};
use crate::indexer::{Indexer, Progress};
use crate::mempool::Mempool;
use crate::rpc::backend::RpcBackend;
use crate::types::*;
use anyhow::{Context, Result};
use kumo_app::abci::*;
use kumo_app::app::Checker;
use kumo_app::app::MAX_BLOCK_BYTES;
use kumo_app::coins::GasPrice;
use kumo_app::errors::SdkError;
use kumo_app::genesis::Genesis;
use kumo_app::{App, AppConfig, Queries};
use kumo_store::{AuxWrite, IndexStore, Store, StoreOptions};
use prost::Message;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// The CometBFT version we answer with: cosmjs picks its 0.38 client from it.
pub const COMET_VERSION: &str = "0.38.17";

/// Where the last block's time went (for `kumo bench` and debug logs).
#[derive(Clone, Copy, Debug, Default)]
pub struct BlockTimings {
    /// FinalizeBlock: decoding, signature checks, execution, JMT update.
    pub finalize: Duration,
    /// Building the block store and tx index writes.
    pub index: Duration,
    /// The atomic store commit (state, tree nodes, blocks, index).
    pub commit: Duration,
    /// Re-checking the txs left in the mempool.
    pub recheck: Duration,
}

/// What the next block builds on.
#[derive(Clone, Debug, Default)]
struct Tip {
    height: u64,
    block_id: Option<BlockId>,
    app_hash: [u8; 32],
    time: BlockTime,
    /// The commit certificate of the tip block (the one the next proposal carries).
    last_commit: Commit,
    /// Merkle root of the tip block's tx results: the next header's `last_results_hash`.
    results_hash: [u8; 32],
}

/// What a proposer chose for the next block, besides the chain it builds on.
struct NextBlock {
    txs: Vec<Vec<u8>>,
    /// The proposer's clock; the block time never goes below the tip's time plus 1 ms.
    wall: BlockTime,
    proposer: [u8; 20],
    evidence: Vec<Evidence>,
    validators_hash: [u8; 32],
    next_validators_hash: [u8; 32],
}

/// The block that follows `tip`: a pure function of the tip and the proposer's choices (no
/// locks, no clock, no state), so every node derives the same header from the same inputs.
fn next_block(chain_id: &str, tip: Tip, n: NextBlock) -> Block {
    let height = tip.height + 1;
    // Block time never goes backwards, even if the wall clock does.
    let time = if tip.height == 0 {
        n.wall
    } else {
        n.wall.max(time_after(tip.time))
    };
    let header = Header {
        chain_id: chain_id.to_string(),
        height,
        time,
        last_block_id: tip.block_id,
        last_commit_hash: commit_hash(&tip.last_commit),
        data_hash: merkle_root(&n.txs),
        validators_hash: n.validators_hash,
        next_validators_hash: n.next_validators_hash,
        consensus_hash: consensus_hash(),
        app_hash: tip.app_hash,
        last_results_hash: tip.results_hash,
        evidence_hash: evidence_hash(&n.evidence),
        proposer_address: n.proposer,
    };
    Block {
        header,
        txs: n.txs,
        last_commit: tip.last_commit,
        evidence: n.evidence,
    }
}

/// `BlockIDFlag` values of a commit signature.
pub const FLAG_ABSENT: u8 = 1;
pub const FLAG_COMMIT: u8 = 2;
/// How far ahead of this node's clock a proposed block's time may be.
const MAX_CLOCK_DRIFT_SECONDS: i64 = 30;
/// Evidence older than this many blocks is refused (CometBFT's default max age).
const MAX_EVIDENCE_AGE_BLOCKS: u64 = 100_000;

type SignedVote = malachitebft_core_types::SignedVote<crate::consensus::KumoContext>;
type SignedProposal = malachitebft_core_types::SignedProposal<crate::consensus::KumoContext>;

/// The earliest time a block after one at `t` may carry (1 ms later).
fn time_after(t: BlockTime) -> BlockTime {
    let nanos = t.nanos as i64 + 1_000_000;
    BlockTime {
        seconds: t.seconds + nanos / 1_000_000_000,
        nanos: (nanos % 1_000_000_000) as u32,
    }
}

fn commit_hash(c: &Commit) -> [u8; 32] {
    sha256(&[&postcard::to_allocvec(c).expect("encodes")])
}

fn evidence_hash(e: &[Evidence]) -> [u8; 32] {
    sha256(&[&postcard::to_allocvec(e).expect("encodes")])
}

fn consensus_hash() -> [u8; 32] {
    sha256(&[kumo_app::genesis::default_consensus_params()
        .to_string()
        .as_bytes()])
}

/// The block hash: sha256 of the encoded header (which commits to the body through its
/// data, last-commit and evidence hashes).
pub fn header_hash(h: &Header) -> [u8; 32] {
    sha256(&[&postcard::to_allocvec(h).expect("header encodes")])
}

pub fn block_id(block: &Block) -> BlockId {
    BlockId {
        hash: header_hash(&block.header),
        parts_total: 1,
        parts_hash: sha256(&[&postcard::to_allocvec(block).expect("block encodes")]),
    }
}

/// The `last_results_hash` a header carries for a block with these tx results.
fn results_hash(results: &[kumo_app::abci::TxResult]) -> [u8; 32] {
    use rayon::prelude::*;
    merkle_root(
        &results
            .par_iter()
            .map(|t| postcard::to_allocvec(t).expect("encodes"))
            .collect::<Vec<_>>(),
    )
}

pub struct Node {
    cfg: NodeConfig,
    app: Mutex<App>,
    /// CheckTx runs through this, not the app lock, so it proceeds while a block executes.
    checker: Checker,
    queries: Queries,
    blocks: BlockStore,
    indexer: Indexer,
    mempool: Mutex<Mempool>,
    tip: Mutex<Tip>,
    timings: Mutex<BlockTimings>,
    events: broadcast::Sender<NodeEvent>,
    info: NodeInfo,
    validator: Ed25519Key,
    genesis_json: serde_json::Value,
    /// The bonded set InitChain reported (the validator set of heights 1 and 2).
    genesis_valset: ValidatorSet,
    /// Genesis bonds no validator and this node's key stands in (in-memory test chains only:
    /// a real node refuses to start such a chain).
    stand_in: bool,
    /// Validator sets by height, read through from the block store.
    valsets: Mutex<BTreeMap<u64, Arc<ValidatorSet>>>,
    /// The consensus network's peers, refreshed by the consensus host.
    peers: Mutex<Vec<Peer>>,
    /// Where admitted txs are gossiped (set once the network is up).
    gossip: std::sync::OnceLock<crate::gossip::TxGossip>,
    /// Whether the node is catching up through block sync.
    syncing: AtomicBool,
    /// Double signs this node knows of (seen by its engine or gossiped by peers), for the next
    /// block it proposes.
    evidence: Mutex<Vec<Evidence>>,
}

/// Evidence travels on the tx gossip topic, tagged so it is never taken for a tx.
const EVIDENCE_TAG: &[u8] = b"kumo/evidence/v1:";

pub fn now() -> BlockTime {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    BlockTime {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos(),
    }
}

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// RFC 6962 Merkle root (leaf = H(0x00 || item), inner = H(0x01 || l || r)), as CometBFT
/// hashes lists; the empty list hashes to H("").
pub fn merkle_root(items: &[Vec<u8>]) -> [u8; 32] {
    fn root(items: &[Vec<u8>]) -> [u8; 32] {
        match items.len() {
            1 => sha256(&[&[0], &items[0]]),
            n => {
                let split = n.next_power_of_two() / 2;
                sha256(&[&[1], &root(&items[..split]), &root(&items[split..])])
            }
        }
    }
    if items.is_empty() {
        sha256(&[])
    } else {
        root(items)
    }
}

impl Node {
    /// Opens the node in `home` (after `kumo init`).
    pub fn open(home: &Path) -> Result<Node> {
        let home = Home::new(home);
        let cfg = home.load_config()?;
        let genesis_text = home.load_genesis_text()?;
        let validator = Ed25519Key::load(&home.validator_key_file())?;
        let node_key = Ed25519Key::load(&home.node_key_file())?;
        let store = Store::open(
            &home.store_file(),
            StoreOptions {
                retention: cfg.state_retention,
                checkpoint_every: cfg.state_checkpoint_every,
            },
        )
        .with_context(|| {
            format!(
                "cannot open the state store {}",
                home.store_file().display()
            )
        })?;
        let (index, damaged) = IndexStore::open_or_replace(&home.index_file())
            .with_context(|| format!("cannot open the tx index {}", home.index_file().display()))?;
        if let Some(aside) = damaged {
            tracing::warn!(
                moved_to = %aside.display(),
                "the tx index was damaged; it is rebuilt from the stored blocks"
            );
        }
        Node::with_stores(cfg, &genesis_text, validator, &node_key, store, index)
    }

    /// A node over `store` with its tx index in memory (rebuilt from the stored blocks).
    pub fn with_parts(
        cfg: NodeConfig,
        genesis_text: &str,
        validator: Ed25519Key,
        node_key: &Ed25519Key,
        store: Store,
    ) -> Result<Node> {
        let index = IndexStore::in_memory()?;
        Node::with_stores(cfg, genesis_text, validator, node_key, store, index)
    }

    pub fn with_stores(
        cfg: NodeConfig,
        genesis_text: &str,
        validator: Ed25519Key,
        node_key: &Ed25519Key,
        store: Store,
        index: IndexStore,
    ) -> Result<Node> {
        let genesis = Genesis::from_json(genesis_text).map_err(anyhow::Error::msg)?;
        let min_gas_prices = cfg
            .min_gas_prices
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(str::parse::<GasPrice>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("bad min_gas_prices {:?}: {e}", cfg.min_gas_prices))?;
        let app_cfg = AppConfig {
            chain_id: cfg.chain_id.clone(),
            min_gas_prices,
            max_tx_bytes: cfg.max_tx_bytes,
        };
        let mut app = App::new(store.clone(), app_cfg);
        let genesis_updates = app.init_chain(&genesis)?;
        let mut genesis_valset = ValidatorSet::default().apply(&genesis_updates);
        let stand_in = genesis_valset.validators.is_empty() && store.last_commit().height == 0;
        if stand_in {
            // A chain with no staking validator (in-memory test chains): this node's key
            // stands in, so blocks still carry a verifiable commit.
            genesis_valset = ValidatorSet::new(vec![Validator::new(validator.public(), 1)]);
        }
        let progress = Arc::new(Progress::default());
        let blocks = BlockStore::new(store.clone(), index, progress.clone());
        let last = store.last_commit();
        let indexer = Indexer::start(blocks.clone(), progress, last.height)?;
        let tip = match blocks.block(last.height) {
            Some(b) => Tip {
                height: last.height,
                block_id: Some(b.block_id),
                app_hash: last.app_hash,
                time: b.block.header.time,
                last_commit: blocks.commit(last.height).unwrap_or_default(),
                results_hash: results_hash(
                    &blocks
                        .results(last.height)
                        .map(|r| r.tx_results)
                        .unwrap_or_default(),
                ),
            },
            None => Tip {
                app_hash: last.app_hash,
                results_hash: results_hash(&[]),
                ..Default::default()
            },
        };
        let info = NodeInfo {
            chain_id: cfg.chain_id.clone(),
            moniker: cfg.moniker.clone(),
            node_id: node_key.address(),
            p2p_listen_addr: format!("tcp://{}", cfg.p2p_laddr),
            rpc_listen_addr: format!("tcp://{}", cfg.rpc_laddr),
            version: COMET_VERSION.into(),
        };
        let genesis_json: serde_json::Value = serde_json::from_str(genesis_text)?;
        let (events, _) = broadcast::channel(4096);
        Ok(Node {
            queries: app.queries(),
            checker: app.checker(),
            mempool: Mutex::new(Mempool::new(cfg.mempool_max_txs)),
            cfg,
            app: Mutex::new(app),
            blocks,
            indexer,
            tip: Mutex::new(tip),
            timings: Mutex::new(BlockTimings::default()),
            events,
            info,
            validator,
            genesis_json,
            genesis_valset,
            stand_in,
            valsets: Mutex::new(BTreeMap::new()),
            peers: Mutex::new(Vec::new()),
            gossip: std::sync::OnceLock::new(),
            syncing: AtomicBool::new(false),
            evidence: Mutex::new(Vec::new()),
        })
    }

    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    pub fn queries(&self) -> &Queries {
        &self.queries
    }

    pub fn blocks(&self) -> &BlockStore {
        &self.blocks
    }

    pub fn last_block_timings(&self) -> BlockTimings {
        *self.timings.lock().expect("timings lock")
    }

    /// Waits until the tx index holds every committed block; false if `timeout` passed first.
    pub fn wait_indexed(&self, timeout: Duration) -> bool {
        self.blocks.wait_indexed(timeout).unwrap_or(false)
    }

    pub fn mempool_len(&self) -> usize {
        self.mempool.lock().expect("mempool lock").len()
    }

    /// The validator set of `height` (CometBFT's: updates from block `h` apply at `h + 2`).
    pub fn valset(&self, height: u64) -> Option<Arc<ValidatorSet>> {
        if let Some(v) = self.valsets.lock().expect("valsets lock").get(&height) {
            return Some(v.clone());
        }
        let set = match self.blocks.valset_bytes(height) {
            Some(bytes) => borsh::from_slice(&bytes).expect("stored validator set decodes"),
            // Heights 1 and 2 use the genesis set until block 1 stores them.
            None if height <= 2 && height >= 1 => self.genesis_valset.clone(),
            None => return None,
        };
        let set = Arc::new(set);
        let mut cache = self.valsets.lock().expect("valsets lock");
        if cache.len() > 64 {
            cache.pop_first();
        }
        cache.insert(height, set.clone());
        Some(set)
    }

    /// Whether genesis bonds no validator (this node's key stands in for tests).
    pub fn has_no_genesis_validator(&self) -> bool {
        self.stand_in
    }

    /// This node's consensus address.
    pub fn validator_address(&self) -> [u8; 20] {
        self.validator.address()
    }

    pub fn validator_key(&self) -> &Ed25519Key {
        &self.validator
    }

    /// The height of the last committed block.
    pub fn tip_height(&self) -> u64 {
        self.tip.lock().expect("tip lock").height
    }

    /// Replaces the tip's commit with a larger certificate of the same block (the engine's
    /// `Finalized` collects precommits that arrived after the decision).
    pub fn set_tip_commit(&self, commit: Commit) {
        let mut tip = self.tip.lock().expect("tip lock");
        if commit.height == tip.height && commit.block_id == tip.block_id {
            tip.last_commit = commit;
        }
    }

    /// Builds a block for the next height from the mempool, proposed by `proposer` and
    /// carrying the tip's commit certificate and `evidence`. Executes nothing.
    pub fn build_block(
        &self,
        proposer: [u8; 20],
        wall: BlockTime,
        evidence: Vec<Evidence>,
    ) -> Result<Block> {
        let app = self.app.lock().expect("app lock");
        let tip = self.tip.lock().expect("tip lock").clone();
        let candidates = self
            .mempool
            .lock()
            .expect("mempool lock")
            .reap(MAX_BLOCK_BYTES);
        let txs = app.prepare_proposal(candidates, MAX_BLOCK_BYTES);
        drop(app);
        let height = tip.height + 1;
        let valset = self
            .valset(height)
            .with_context(|| format!("no validator set for height {height}"))?;
        let next = self
            .valset(height + 1)
            .with_context(|| format!("no validator set for height {}", height + 1))?;
        Ok(next_block(
            &self.cfg.chain_id,
            tip,
            NextBlock {
                txs,
                wall,
                proposer,
                evidence,
                validators_hash: valset.hash(),
                next_validators_hash: next.hash(),
            },
        ))
    }

    /// ProcessProposal: whether `block` may be the next block on this node's chain. Checks the
    /// header against the tip (so a node whose state diverged votes nil), that the body
    /// matches the header's hashes, the previous block's commit certificate against the
    /// validator set of its height, the evidence, and the app's own limits.
    pub fn check_block(&self, block: &Block, wall: BlockTime) -> Result<(), String> {
        let tip = self.tip.lock().expect("tip lock").clone();
        let h = &block.header;
        let height = tip.height + 1;
        let expect = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
        expect(h.chain_id == self.cfg.chain_id, "wrong chain id")?;
        expect(h.height == height, "not the next height")?;
        expect(
            h.last_block_id == tip.block_id,
            "last_block_id is not our tip",
        )?;
        expect(h.app_hash == tip.app_hash, "app_hash differs from ours")?;
        expect(
            h.last_results_hash == tip.results_hash,
            "last_results_hash differs from ours",
        )?;
        let valset = self
            .valset(height)
            .ok_or("no validator set for the height")?;
        expect(h.validators_hash == valset.hash(), "wrong validators_hash")?;
        let next = self
            .valset(height + 1)
            .ok_or("no validator set for the next height")?;
        expect(
            h.next_validators_hash == next.hash(),
            "wrong next_validators_hash",
        )?;
        expect(
            valset.get(&Address(h.proposer_address)).is_some(),
            "proposer is not a validator",
        )?;
        expect(h.consensus_hash == consensus_hash(), "wrong consensus_hash")?;
        expect(
            h.data_hash == merkle_root(&block.txs),
            "data_hash does not match the txs",
        )?;
        expect(
            h.last_commit_hash == commit_hash(&block.last_commit),
            "last_commit_hash does not match",
        )?;
        expect(
            h.evidence_hash == evidence_hash(&block.evidence),
            "evidence_hash does not match",
        )?;
        if tip.height > 0 {
            expect(
                h.time > tip.time,
                "block time is not after the previous block's",
            )?;
        }
        // Proposers' clocks may differ a little; a block from the far future is refused.
        expect(
            h.time.seconds <= wall.seconds + MAX_CLOCK_DRIFT_SECONDS,
            "block time is too far in the future",
        )?;
        if tip.height == 0 {
            expect(
                block.last_commit == Commit::default(),
                "block 1 carries a commit",
            )?;
        } else {
            let prev = self
                .valset(tip.height)
                .ok_or("no validator set for the previous height")?;
            self.verify_commit(&block.last_commit, &prev, tip.block_id)?;
        }
        for e in &block.evidence {
            self.check_evidence(e, block.header.height)?;
        }
        let app = self.app.lock().expect("app lock");
        expect(
            app.process_proposal(&block.txs),
            "the txs exceed the block size limit",
        )
    }

    /// Checks that `commit` is a valid certificate for block `id`: every signature is a
    /// precommit of a validator of `valset`, at most one each, and together they hold more
    /// than two thirds of its power.
    pub fn verify_commit(
        &self,
        commit: &Commit,
        valset: &ValidatorSet,
        id: Option<BlockId>,
    ) -> Result<(), String> {
        if commit.block_id != id || id.is_none() {
            return Err("the commit is for another block".into());
        }
        let hash = BlockHash(id.expect("checked").hash);
        let round = malachitebft_core_types::Round::new(commit.round);
        let mut seen = std::collections::BTreeSet::new();
        let mut power: u128 = 0;
        for s in commit
            .signatures
            .iter()
            .filter(|s| s.block_id_flag == FLAG_COMMIT)
        {
            let v = valset
                .get(&Address(s.validator_address))
                .ok_or("the commit is signed by a non-validator")?;
            if !seen.insert(s.validator_address) {
                return Err("the commit has two signatures of one validator".into());
            }
            let sig = <[u8; 64]>::try_from(&s.signature[..])
                .map_err(|_| "a commit signature is not 64 bytes")?;
            let bytes =
                precommit_sign_bytes(&self.cfg.chain_id, commit.height, round, hash, v.address);
            if !v.public_key.verify(&bytes, &Signature(sig)) {
                return Err(format!(
                    "bad commit signature of validator {}",
                    hex::encode_upper(s.validator_address)
                ));
            }
            power += v.voting_power as u128;
        }
        if power * 3 <= valset.total_power() as u128 * 2 {
            return Err(format!(
                "the commit holds {power} of {} voting power, not more than two thirds",
                valset.total_power()
            ));
        }
        Ok(())
    }

    /// Evidence is valid when it holds two different messages of the same kind, height, round
    /// and step, both signed by a validator of that height, no older than the slashing
    /// module's evidence age.
    pub fn check_evidence(&self, e: &Evidence, height: u64) -> Result<(), String> {
        use crate::consensus::signing::{proposal_sign_bytes, vote_sign_bytes};
        if e.height >= height || height - e.height > MAX_EVIDENCE_AGE_BLOCKS {
            return Err("evidence height out of range".into());
        }
        let valset = self
            .valset(e.height)
            .ok_or("no validator set for the evidence height")?;
        let v = valset
            .get(&Address(e.validator_address))
            .ok_or("evidence names a non-validator")?;
        let chain = &self.cfg.chain_id;
        let bad = || "malformed evidence".to_string();
        let ok = match e.kind {
            EvidenceKind::DuplicateVote => {
                let a: SignedVote = borsh::from_slice(&e.first).map_err(|_| bad())?;
                let b: SignedVote = borsh::from_slice(&e.second).map_err(|_| bad())?;
                let (x, y) = (&a.message, &b.message);
                x.height.0 == e.height
                    && (x.height, x.round, x.vote_type, x.validator)
                        == (y.height, y.round, y.vote_type, y.validator)
                    && x.validator == v.address
                    && x.value != y.value
                    && v.public_key
                        .verify(&vote_sign_bytes(chain, x), &a.signature)
                    && v.public_key
                        .verify(&vote_sign_bytes(chain, y), &b.signature)
            }
            EvidenceKind::DuplicateProposal => {
                let a: SignedProposal = borsh::from_slice(&e.first).map_err(|_| bad())?;
                let b: SignedProposal = borsh::from_slice(&e.second).map_err(|_| bad())?;
                let (x, y) = (&a.message, &b.message);
                x.height.0 == e.height
                    && (x.height, x.round, x.proposer) == (y.height, y.round, y.proposer)
                    && x.proposer == v.address
                    && x.value != y.value
                    && v.public_key
                        .verify(&proposal_sign_bytes(chain, x), &a.signature)
                    && v.public_key
                        .verify(&proposal_sign_bytes(chain, y), &b.signature)
            }
        };
        if ok {
            Ok(())
        } else {
            Err("evidence does not prove a double sign".into())
        }
    }

    /// The commit certificate of block `block_id` at `height` in the block's format: every
    /// validator of the height in set order, `COMMIT` with its signature if it signed, else
    /// `ABSENT`.
    pub fn commit_from_signatures(
        &self,
        height: u64,
        round: u32,
        block_id: BlockId,
        time: BlockTime,
        signatures: &[([u8; 20], [u8; 64])],
    ) -> Commit {
        let valset = self.valset(height).unwrap_or_default();
        Commit {
            height,
            round,
            block_id: Some(block_id),
            signatures: valset
                .validators
                .iter()
                .map(
                    |v| match signatures.iter().find(|(a, _)| *a == v.address.0) {
                        Some((a, sig)) => CommitSig {
                            block_id_flag: FLAG_COMMIT,
                            validator_address: *a,
                            timestamp: time,
                            signature: sig.to_vec(),
                        },
                        None => CommitSig {
                            block_id_flag: FLAG_ABSENT,
                            validator_address: v.address.0,
                            timestamp: BlockTime::default(),
                            signature: vec![],
                        },
                    },
                )
                .collect(),
        }
    }

    /// Builds, executes and commits one block from the mempool as this node's key alone would:
    /// a solo validator that signs its own commit (in-memory tests and `kumo bench apply`
    /// drive the chain through it; a running node orders blocks with Malachite).
    pub fn produce_block(&self) -> Result<Arc<StoredBlock>> {
        self.produce_block_at(now())
    }

    pub fn produce_block_at(&self, wall: BlockTime) -> Result<Arc<StoredBlock>> {
        self.produce_block_then(wall, || {})
    }

    /// [`produce_block_at`](Self::produce_block_at), calling `reaped` as soon as the block's
    /// txs are taken from the mempool: from then on, txs admitted by CheckTx go to a later
    /// block (`kumo bench` uses it to feed the next block while this one executes).
    pub fn produce_block_then(
        &self,
        wall: BlockTime,
        reaped: impl FnOnce(),
    ) -> Result<Arc<StoredBlock>> {
        let block = self.build_block(self.validator.address(), wall, vec![])?;
        reaped();
        let id = block_id(&block);
        let sig = self.validator.sign(&precommit_sign_bytes(
            &self.cfg.chain_id,
            block.header.height,
            malachitebft_core_types::Round::new(0),
            BlockHash(id.hash),
            Address(self.validator.address()),
        ));
        let commit = self.commit_from_signatures(
            block.header.height,
            0,
            id,
            block.header.time,
            &[(
                self.validator.address(),
                sig.try_into().expect("64-byte signature"),
            )],
        );
        self.commit_block(block, commit)
    }

    /// FinalizeBlock + Commit of a decided block: executes it, then stores its state, the
    /// block, its results, its commit certificate (`commit`), the canonical commit of the
    /// previous block (the one this block carries) and the validator set of `height + 2`, in
    /// one atomic write; re-checks the mempool; tells subscribers.
    pub fn commit_block(&self, block: Block, commit: Commit) -> Result<Arc<StoredBlock>> {
        let mut app = self.app.lock().expect("app lock");
        let mut tip = self.tip.lock().expect("tip lock");
        let height = block.header.height;
        anyhow::ensure!(
            height == tip.height + 1,
            "block {height} does not follow the tip {}",
            tip.height
        );
        // A decided block whose app hash is not ours means this node's state diverged from the
        // network's: stop rather than build on a different state.
        anyhow::ensure!(
            block.header.app_hash == tip.app_hash,
            "this node's state diverged from the network's: after block {} our app hash is {}, \
             the network's is {}; restore the home from a good copy or resync it",
            tip.height,
            hex::encode_upper(tip.app_hash),
            hex::encode_upper(block.header.app_hash)
        );
        let time = block.header.time;
        let block_bytes = postcard::to_allocvec(&block).expect("block encodes");
        let block_id = BlockId {
            hash: header_hash(&block.header),
            parts_total: 1,
            parts_hash: sha256(&[&block_bytes]),
        };
        if commit.block_id != Some(block_id) {
            anyhow::bail!("the commit certificate is for another block than {height}");
        }
        let request = self.finalize_request(&block, &block_id);

        let t_finalize = std::time::Instant::now();
        let resp = app.finalize_block(&request)?;
        let stored = StoredBlock {
            block_id,
            size: block_bytes.len() as u64,
            num_txs: block.txs.len() as u64,
            block,
        };
        let mut tx_results = resp.tx_results;
        mark_indexed_events(&self.cfg.index_events, &mut tx_results);
        let results = BlockResults {
            height,
            tx_results,
            finalize_block_events: resp.events,
            validator_updates: resp.validator_updates,
            app_hash: resp.app_hash,
        };
        let finalize = t_finalize.elapsed();
        let t_index = std::time::Instant::now();
        let mut aux = block_writes(&stored, &results, &commit);
        if height > 1 {
            aux.push(commit_write(height - 1, &stored.block.last_commit));
        }
        let next = self
            .valset(height + 1)
            .with_context(|| format!("no validator set for height {}", height + 1))?;
        let after_next = next.apply(&results.validator_updates);
        if height == 1 {
            for h in [1, 2] {
                aux.push(valset_write(h, borsh::to_vec(&self.genesis_valset)?));
            }
        }
        aux.push(valset_write(height + 2, borsh::to_vec(&after_next)?));
        let index = t_index.elapsed();
        let t_commit = std::time::Instant::now();
        // The check state comes back reset and locked: no CheckTx is admitted against the new
        // state until the mempool has been re-checked (CometBFT locks its mempool likewise).
        // The index rows are built meanwhile on another thread: the commit mostly waits for
        // the disk, and the follower then only writes them.
        let (committed, index_rows) = std::thread::scope(|s| {
            let rows = s.spawn(|| index_writes(&stored, &results));
            let committed = app.commit(aux);
            (committed, rows.join().expect("index rows thread"))
        });
        let (info, mut check) = committed?;
        let commit_time = t_commit.elapsed();
        self.valsets
            .lock()
            .expect("valsets lock")
            .insert(height + 2, Arc::new(after_next));
        self.evidence
            .lock()
            .expect("evidence lock")
            .retain(|e| !stored.block.evidence.contains(e));
        *tip = Tip {
            height,
            block_id: Some(block_id),
            app_hash: info.app_hash,
            time,
            last_commit: commit,
            results_hash: results_hash(&results.tx_results),
        };
        drop(tip);

        let t_recheck = std::time::Instant::now();
        self.recheck_mempool(&stored.block.txs, &mut check);
        drop(check);
        drop(app);
        let timings = BlockTimings {
            finalize,
            index,
            commit: commit_time,
            recheck: t_recheck.elapsed(),
        };
        Ok(self.announce(stored, results, index_rows, timings))
    }

    /// FinalizeBlock's request for a decided block: who signed the previous block (from the
    /// certificate this block carries, the same on every node; the local certificates
    /// differ) and the evidence with each offender's power at its height.
    fn finalize_request(&self, block: &Block, block_id: &BlockId) -> FinalizeBlockRequest {
        let height = block.header.height;
        let time = block.header.time;
        let decided_last_commit = match self.valset(height.saturating_sub(1)) {
            Some(prev) if height > 1 => prev
                .validators
                .iter()
                .map(|v| VoteInfo {
                    validator_address: v.address.0.to_vec(),
                    power: v.voting_power as i64,
                    signed: block.last_commit.signatures.iter().any(|s| {
                        s.validator_address == v.address.0 && s.block_id_flag == FLAG_COMMIT
                    }),
                })
                .collect(),
            _ => vec![],
        };
        let misbehavior = block
            .evidence
            .iter()
            .filter_map(|e| {
                let set = self.valset(e.height)?;
                let v = set.get(&Address(e.validator_address))?;
                Some(Misbehavior {
                    validator_address: e.validator_address.to_vec(),
                    power: v.voting_power as i64,
                    height: e.height,
                    time: self
                        .blocks
                        .block(e.height)
                        .map_or(time, |b| b.block.header.time),
                    total_voting_power: set.total_power() as i64,
                })
            })
            .collect();
        FinalizeBlockRequest {
            height,
            time,
            hash: block_id.hash.to_vec(),
            proposer_address: block.header.proposer_address.to_vec(),
            txs: block.txs.clone(),
            decided_last_commit,
            misbehavior,
        }
    }

    /// CometBFT's mempool update after a commit: the block's txs leave the mempool and the
    /// rest are re-checked against the new state (`check` is that state, still locked).
    fn recheck_mempool(&self, block_txs: &[Vec<u8>], check: &mut kumo_app::app::CheckLock<'_>) {
        let included: HashSet<[u8; 32]> =
            block_txs.iter().map(|t| kumo_crypto::tx_hash(t)).collect();
        let mut mempool = self.mempool.lock().expect("mempool lock");
        mempool.remove(&included);
        for (hash, tx, decoded) in mempool.drain() {
            if check.check(&decoded).is_ok() {
                mempool.push(hash, tx, decoded);
            }
        }
    }

    /// The effects of a committed block, after every lock is released: the tx index follower
    /// gets its rows, subscribers get the txs and the block, and the timings are kept.
    fn announce(
        &self,
        stored: StoredBlock,
        results: BlockResults,
        index_rows: Vec<AuxWrite>,
        timings: BlockTimings,
    ) -> Arc<StoredBlock> {
        let height = stored.block.header.height;
        let stored = Arc::new(stored);
        let results = Arc::new(results);
        self.indexer.push(height, index_rows);
        // Per-tx events copy each tx and its result: only when someone listens.
        let listening = self.events.receiver_count() > 0;
        let txs = if listening {
            &stored.block.txs[..]
        } else {
            &[]
        };
        for (i, (tx, r)) in txs.iter().zip(&results.tx_results).enumerate() {
            let _ = self.events.send(NodeEvent::Tx(Arc::new(IndexedTx {
                hash: kumo_crypto::tx_hash(tx),
                height,
                index: i as u32,
                tx: tx.clone(),
                result: r.clone(),
            })));
        }
        *self.timings.lock().expect("timings lock") = timings;
        let _ = self.events.send(NodeEvent::NewBlock {
            block: stored.clone(),
            results,
        });
        stored
    }

    fn answer(&self, value: Vec<u8>) -> QueryResult {
        QueryResult {
            value,
            height: self.latest_height(),
            ..Default::default()
        }
    }

    fn query_error(&self, e: SdkError) -> QueryResult {
        QueryResult {
            code: e.code,
            codespace: e.codespace.into(),
            grpc_code: e.grpc_code(),
            log: e.log,
            height: self.latest_height(),
            ..Default::default()
        }
    }

    /// GetLatestBlock / GetBlockByHeight (their responses share field numbers).
    fn block_query(&self, height: u64) -> QueryResult {
        use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::GetBlockByHeightResponse;
        let latest = self.latest_height();
        if height > latest {
            return self.query_error(SdkError::bad_query(format!(
                "requested block height {height} is bigger than the chain length {latest}"
            )));
        }
        let Some(b) = self.blocks.block(height) else {
            return self.query_error(SdkError::not_found(format!("block {height} not found")));
        };
        let (block_id, block, sdk_block) = crate::tmservice::blocks(&b);
        #[allow(deprecated)]
        let resp = GetBlockByHeightResponse {
            block_id: Some(block_id),
            block: Some(block),
            sdk_block: Some(sdk_block),
        };
        self.answer(resp.encode_to_vec())
    }

    fn get_tx_query(&self, data: &[u8]) -> QueryResult {
        use cosmos_sdk_proto::cosmos::tx::v1beta1::{GetTxRequest, GetTxResponse};
        let height = self.latest_height();
        let fail = |e: SdkError| QueryResult {
            code: e.code,
            codespace: e.codespace.into(),
            grpc_code: e.grpc_code(),
            log: e.log,
            height,
            ..Default::default()
        };
        let Ok(req) = GetTxRequest::decode(data) else {
            return fail(SdkError::bad_query("cannot decode GetTxRequest"));
        };
        let hash: Option<[u8; 32]> = hex::decode(req.hash.trim_start_matches("0x"))
            .ok()
            .and_then(|h| h.try_into().ok());
        let Some(hash) = hash else {
            return fail(SdkError::bad_query(format!(
                "tx hash {:?} is not 64 hex characters",
                req.hash
            )));
        };
        let Some(t) = self.blocks.tx(&hash) else {
            return fail(SdkError::not_found(format!("tx not found: {}", req.hash)));
        };
        let resp = GetTxResponse {
            tx: crate::rpc::txs::decoded_tx(&t),
            tx_response: Some(crate::rpc::txs::tx_response(self, &t)),
        };
        QueryResult {
            value: resp.encode_to_vec(),
            height,
            ..Default::default()
        }
    }
}

/// The stored heights `tx.height` conditions allow: `earliest..=latest` narrowed by each
/// `=`, `<`, `<=`, `>`, `>=` bound (an empty range when they exclude every height).
fn height_range(query: &TxQuery, earliest: u64, latest: u64) -> (u64, u64) {
    let (mut lo, mut hi) = (i128::from(earliest.max(1)), i128::from(latest));
    for c in query.conditions.iter().filter(|c| c.key == "tx.height") {
        match &c.op {
            Op::Eq(QueryValue::Int(n)) => (lo, hi) = (lo.max(*n), hi.min(*n)),
            Op::Gt(QueryValue::Int(n)) => lo = lo.max(n + 1),
            Op::Ge(QueryValue::Int(n)) => lo = lo.max(*n),
            Op::Lt(QueryValue::Int(n)) => hi = hi.min(n - 1),
            Op::Le(QueryValue::Int(n)) => hi = hi.min(*n),
            _ => {}
        }
    }
    if lo > hi {
        return (1, 0);
    }
    (lo as u64, hi as u64)
}

use std::path::Path;

impl RpcBackend for Node {
    fn node_info(&self) -> NodeInfo {
        self.info.clone()
    }

    fn validator(&self) -> ValidatorInfo {
        let power = self
            .valset(self.latest_height() + 1)
            .and_then(|s| {
                s.get(&Address(self.validator.address()))
                    .map(|v| v.voting_power)
            })
            .unwrap_or(0);
        ValidatorInfo {
            address: self.validator.address(),
            pub_key: self.validator.public(),
            voting_power: power as i64,
            proposer_priority: 0,
        }
    }

    fn validators(&self, height: u64) -> Vec<ValidatorInfo> {
        self.valset(height.max(1))
            .map(|s| {
                s.validators
                    .iter()
                    .map(|v| ValidatorInfo {
                        address: v.address.0,
                        pub_key: v.public_key.0,
                        voting_power: v.voting_power as i64,
                        proposer_priority: 0,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn peers(&self) -> Vec<Peer> {
        self.peers.lock().expect("peers lock").clone()
    }

    fn catching_up(&self) -> bool {
        self.syncing.load(Ordering::Relaxed)
    }

    fn latest_height(&self) -> u64 {
        self.tip.lock().expect("tip lock").height
    }

    fn earliest_height(&self) -> u64 {
        self.blocks.earliest_height()
    }

    fn block(&self, height: u64) -> Option<StoredBlock> {
        self.blocks.block(height)
    }

    fn block_by_hash(&self, hash: &[u8; 32]) -> Option<StoredBlock> {
        self.blocks.block_by_hash(hash)
    }

    fn block_results(&self, height: u64) -> Option<BlockResults> {
        self.blocks.results(height)
    }

    fn commit(&self, height: u64) -> Option<Commit> {
        self.blocks.commit(height)
    }

    fn tx(&self, hash: &[u8; 32]) -> Option<IndexedTx> {
        self.blocks.tx(hash)
    }

    fn tx_search(
        &self,
        query: &TxQuery,
        page: u64,
        per_page: u64,
        order_desc: bool,
    ) -> Result<(Vec<IndexedTx>, u64), String> {
        let candidates = self.candidates(query)?;
        let mut matched: Vec<IndexedTx> = candidates
            .into_iter()
            .filter(|t| crate::rpc::event_matches(query, &t.result.events, t.height, &t.hash))
            .collect();
        matched.sort_by_key(|t| (t.height, t.index));
        matched.dedup_by_key(|t| t.hash);
        if order_desc {
            matched.reverse();
        }
        let total = matched.len() as u64;
        let per_page = per_page.clamp(1, 100);
        let pages = total.div_ceil(per_page).max(1);
        if page == 0 || page > pages {
            return Err(format!(
                "page should be within [1, {pages}] range, given {page}"
            ));
        }
        let start = ((page - 1) * per_page) as usize;
        Ok((
            matched
                .into_iter()
                .skip(start)
                .take(per_page as usize)
                .collect(),
            total,
        ))
    }

    fn abci_query(&self, path: &str, data: &[u8], height: u64) -> QueryResult {
        match path {
            "/cosmos.tx.v1beta1.Service/GetTx" => self.get_tx_query(data),
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => {
                self.answer(crate::tmservice::node_info(&self.info).encode_to_vec())
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetSyncing" => {
                use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::GetSyncingResponse;
                self.answer(GetSyncingResponse { syncing: false }.encode_to_vec())
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock" => {
                self.block_query(self.latest_height())
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight" => {
                use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::GetBlockByHeightRequest;
                match GetBlockByHeightRequest::decode(data) {
                    Ok(r) if r.height > 0 => self.block_query(r.height as u64),
                    _ => self.query_error(SdkError::bad_query("height must be a positive integer")),
                }
            }
            _ => self.queries.query(path, data, height),
        }
    }

    fn abci_info(&self) -> InfoResponse {
        self.app.lock().expect("app lock").info()
    }

    fn check_tx(&self, tx: Vec<u8>) -> Result<TxResult, MempoolError> {
        self.admit(tx, true)
    }

    fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    fn genesis_json(&self) -> serde_json::Value {
        self.genesis_json.clone()
    }

    fn unconfirmed_txs(&self, limit: usize) -> (Vec<Vec<u8>>, usize, usize) {
        let m = self.mempool.lock().expect("mempool lock");
        (m.peek(limit), m.len(), m.bytes())
    }
}

impl Node {
    /// CheckTx and mempool admission; `gossip`: pass an admitted tx on to peers.
    fn admit(&self, tx: Vec<u8>, gossip: bool) -> Result<TxResult, MempoolError> {
        let hash = kumo_crypto::tx_hash(&tx);
        {
            let mempool = self.mempool.lock().expect("mempool lock");
            if mempool.contains(&hash) {
                let e = SdkError::tx_in_mempool_cache(format!(
                    "tx {} is already in the mempool",
                    hex::encode_upper(hash)
                ));
                return Ok(TxResult {
                    code: e.code,
                    codespace: e.codespace.into(),
                    log: e.log,
                    ..Default::default()
                });
            }
            if mempool.is_full() {
                return Err(MempoolError::Full {
                    count: mempool.len(),
                    max: mempool.max_txs,
                });
            }
        }
        let decoded = match self.checker.decode(&tx) {
            Ok(d) => d,
            Err(refused) => return Ok(refused),
        };
        // Check signatures before taking the check-state lock, so RPC threads verify in
        // parallel (and while a block executes).
        self.checker.preverify(&decoded);
        let mut check = self.checker.lock();
        let result = check.check(&decoded);
        let shared = (result.is_ok() && gossip)
            .then(|| self.gossip.get())
            .flatten()
            .map(|g| (g, tx.clone()));
        if result.is_ok() {
            // Still under the check lock: a block's commit re-checks every admitted tx.
            self.mempool
                .lock()
                .expect("mempool lock")
                .push(hash, tx, Arc::new(decoded));
        }
        drop(check);
        if let Some((g, tx)) = shared {
            g.publish(tx);
        }
        Ok(result)
    }

    /// Txs that may match `query`, from the most selective equality condition it has.
    fn candidates(&self, query: &TxQuery) -> Result<Vec<IndexedTx>, String> {
        for c in &query.conditions {
            match (c.key.as_str(), &c.op) {
                ("tx.hash", Op::Eq(QueryValue::Str(h))) => {
                    let hash: Option<[u8; 32]> = hex::decode(h.trim_start_matches("0x"))
                        .ok()
                        .and_then(|b| b.try_into().ok());
                    return Ok(hash.and_then(|h| self.blocks.tx(&h)).into_iter().collect());
                }
                ("tx.height", Op::Eq(QueryValue::Int(h))) => {
                    let h = u64::try_from(*h).map_err(|_| format!("bad height {h}"))?;
                    return Ok(self.blocks.block_txs(h));
                }
                _ => {}
            }
        }
        for c in &query.conditions {
            if let (Some((kind, key)), Op::Eq(v)) = (c.key.split_once('.'), &c.op) {
                // `tm.event` and `tx.hash`/`tx.height` are not event attributes; the app's
                // `tx` events (`tx.fee_payer`, `tx.acc_seq`, `tx.signature`) are.
                if kind == "tm" || (kind == "tx" && matches!(key, "hash" | "height")) {
                    continue;
                }
                let value = match v {
                    QueryValue::Str(s) => s.clone(),
                    QueryValue::Int(i) => i.to_string(),
                };
                return self
                    .blocks
                    .txs_with_event(kind, key, &value)
                    .map_err(|e| e.to_string());
            }
        }
        // No equality to look up (`tx.height>0`, `message.sender EXISTS`): scan the blocks in
        // the query's height range, as CometBFT's indexer does; the caller filters and pages.
        let (lo, hi) = height_range(query, self.blocks.earliest_height(), self.latest_height());
        Ok((lo..=hi).flat_map(|h| self.blocks.block_txs(h)).collect())
    }

    /// Starts the RPC, gRPC and REST servers, the tx gossip and the consensus engine; returns
    /// when `shutdown` resolves, a server fails or consensus stops (a block that cannot be
    /// committed, e.g. a full disk, stops the node rather than leaving it serving a chain that
    /// no longer grows).
    pub async fn run(
        self: Arc<Self>,
        home: &Path,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<()> {
        let rpc = tokio::net::TcpListener::bind(&self.cfg.rpc_laddr)
            .await
            .with_context(|| format!("cannot listen for RPC on {}", self.cfg.rpc_laddr))?;
        let grpc = tokio::net::TcpListener::bind(&self.cfg.grpc_laddr)
            .await
            .with_context(|| format!("cannot listen for gRPC on {}", self.cfg.grpc_laddr))?;
        let api = tokio::net::TcpListener::bind(&self.cfg.api_laddr)
            .await
            .with_context(|| format!("cannot listen for REST on {}", self.cfg.api_laddr))?;
        let backend: Arc<dyn RpcBackend> = self.clone();
        let consensus = crate::consensus::start(self.clone(), home).await?;
        tokio::select! {
            r = crate::rpc::serve_jsonrpc(backend.clone(), rpc) => r.context("RPC server"),
            r = crate::rpc::serve_grpc(backend.clone(), grpc) => r.context("gRPC server"),
            r = crate::rpc::serve_rest(backend.clone(), api) => r.context("REST server"),
            r = consensus => r.context("consensus stopped"),
            _ = shutdown => Ok(()),
        }
    }

    /// Admits a tx that arrived through gossip (not gossiped again: the network forwards it),
    /// or keeps gossiped evidence that checks out.
    pub fn admit_gossiped(&self, tx: Vec<u8>) -> bool {
        if let Some(bytes) = tx.strip_prefix(EVIDENCE_TAG) {
            let Ok(e) = postcard::from_bytes::<Evidence>(bytes) else {
                tracing::warn!("a peer gossiped undecodable evidence");
                return false;
            };
            return match self.check_evidence(&e, self.tip_height() + 1) {
                Ok(()) => {
                    self.add_evidence(e, false);
                    true
                }
                Err(why) => {
                    tracing::warn!("a peer gossiped bad evidence: {why}");
                    false
                }
            };
        }
        matches!(self.admit(tx, false), Ok(r) if r.is_ok())
    }

    /// Keeps a double sign for the next block this node proposes; `gossip`: tell peers too, so
    /// whoever proposes next can include it.
    pub fn add_evidence(&self, e: Evidence, gossip: bool) {
        let mut pending = self.evidence.lock().expect("evidence lock");
        if pending.contains(&e) || pending.len() >= 100 {
            return;
        }
        tracing::warn!(
            validator = %hex::encode_upper(e.validator_address),
            height = e.height,
            kind = ?e.kind,
            "double sign; it goes into the next block proposed"
        );
        if gossip {
            if let Some(g) = self.gossip.get() {
                let mut tagged = EVIDENCE_TAG.to_vec();
                tagged.extend(postcard::to_allocvec(&e).expect("evidence encodes"));
                g.publish(tagged);
            }
        }
        pending.push(e);
    }

    /// The evidence a proposal of ours carries.
    pub fn pending_evidence(&self) -> Vec<Evidence> {
        self.evidence.lock().expect("evidence lock").clone()
    }

    pub(crate) fn set_gossip(&self, g: crate::gossip::TxGossip) {
        let _ = self.gossip.set(g);
    }

    pub(crate) fn set_peers(&self, peers: Vec<Peer>) {
        *self.peers.lock().expect("peers lock") = peers;
    }

    pub(crate) fn set_syncing(&self, syncing: bool) {
        self.syncing.store(syncing, Ordering::Relaxed);
    }
}

/// Keeps the `index` mark only on the attributes named in `index_events` (`type.key`), as the
/// Cosmos SDK's `index-events` does; an empty list leaves every mark as the app set it.
fn mark_indexed_events(index_events: &[String], results: &mut [kumo_app::abci::TxResult]) {
    if index_events.is_empty() {
        return;
    }
    // `type.key`, compared whole: typed events' types contain dots themselves.
    let wanted = |kind: &str, key: &str| {
        index_events.iter().any(|e| {
            e.len() == kind.len() + 1 + key.len()
                && e.starts_with(kind)
                && e.ends_with(key)
                && e.as_bytes()[kind.len()] == b'.'
        })
    };
    for ev in results.iter_mut().flat_map(|r| r.events.iter_mut()) {
        for a in &mut ev.attributes {
            a.index &= wanted(&ev.kind, &a.key);
        }
    }
}
