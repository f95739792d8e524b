//! The node: a single-validator block producer over the app, a mempool, the block store and
//! the RPC/gRPC/REST servers. Block production is one function (`produce_block`) so tests can
//! drive blocks without timers; `run` adds the clock and the network.

use crate::blockstore::{block_writes, index_writes, BlockStore};
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
use kumo_store::{IndexStore, Store, StoreOptions};
use prost::Message;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
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
    last_commit: Commit,
    /// Merkle root of the tip block's tx results: the next header's `last_results_hash`.
    results_hash: [u8; 32],
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
}

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
        app.init_chain(&genesis)?;
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
            p2p_listen_addr: "tcp://127.0.0.1:26656".into(),
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

    fn validators_hash(&self) -> [u8; 32] {
        sha256(&[&self.validator.public(), &10i64.to_be_bytes()])
    }

    /// Builds, executes and commits one block from the mempool; returns it.
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
        let mut app = self.app.lock().expect("app lock");
        let mut tip = self.tip.lock().expect("tip lock");
        let candidates = self
            .mempool
            .lock()
            .expect("mempool lock")
            .reap(MAX_BLOCK_BYTES);
        reaped();
        let txs = app.prepare_proposal(candidates, MAX_BLOCK_BYTES);
        let height = tip.height + 1;
        // Block time never goes backwards, even if the wall clock does.
        let min_time = BlockTime {
            seconds: tip.time.seconds + (tip.time.nanos as i64 + 1_000_000) / 1_000_000_000,
            nanos: ((tip.time.nanos as i64 + 1_000_000) % 1_000_000_000) as u32,
        };
        let time = if tip.height == 0 {
            wall
        } else {
            wall.max(min_time)
        };
        let consensus_hash = sha256(&[kumo_app::genesis::default_consensus_params()
            .to_string()
            .as_bytes()]);
        let header = Header {
            chain_id: self.cfg.chain_id.clone(),
            height,
            time,
            last_block_id: tip.block_id,
            last_commit_hash: sha256(&[&postcard::to_allocvec(&tip.last_commit).expect("encodes")]),
            data_hash: merkle_root(&txs),
            validators_hash: self.validators_hash(),
            next_validators_hash: self.validators_hash(),
            consensus_hash,
            app_hash: tip.app_hash,
            last_results_hash: tip.results_hash,
            evidence_hash: sha256(&[]),
            proposer_address: self.validator.address(),
        };
        let block = Block {
            header,
            txs,
            last_commit: tip.last_commit.clone(),
        };
        let block_bytes = postcard::to_allocvec(&block).expect("block encodes");
        let block_hash = sha256(&[&postcard::to_allocvec(&block.header).expect("header encodes")]);
        let block_id = BlockId {
            hash: block_hash,
            parts_total: 1,
            parts_hash: sha256(&[&block_bytes]),
        };

        let t_finalize = std::time::Instant::now();
        let resp = app.finalize_block(&FinalizeBlockRequest {
            height,
            time,
            hash: block_hash.to_vec(),
            proposer_address: self.validator.address().to_vec(),
            txs: block.txs.clone(),
            // The previous block's commit: who signed it (the app knows their powers).
            decided_last_commit: block
                .last_commit
                .signatures
                .iter()
                .map(|s| VoteInfo {
                    validator_address: s.validator_address.to_vec(),
                    power: 0,
                    signed: s.block_id_flag == 2,
                })
                .collect(),
            misbehavior: vec![],
        })?;
        // The solo validator's commit: an ed25519 signature over (chain id, height, block id).
        let sign_bytes = [
            self.cfg.chain_id.as_bytes(),
            &height.to_be_bytes(),
            &block_hash[..],
        ]
        .concat();
        let commit = Commit {
            height,
            round: 0,
            block_id: Some(block_id),
            signatures: vec![CommitSig {
                block_id_flag: 2,
                validator_address: self.validator.address(),
                timestamp: time,
                signature: self.validator.sign(&sign_bytes),
            }],
        };
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
        let aux = block_writes(&stored, &results, &commit);
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
        // Drop included txs from the mempool and re-check the rest against the new state.
        let included: HashSet<[u8; 32]> = stored
            .block
            .txs
            .iter()
            .map(|t| kumo_app::tx::tx_hash(t))
            .collect();
        {
            let mut mempool = self.mempool.lock().expect("mempool lock");
            mempool.remove(&included);
            for (hash, tx, decoded) in mempool.drain() {
                if check.check(&decoded).is_ok() {
                    mempool.push(hash, tx, decoded);
                }
            }
        }
        drop(check);
        drop(app);

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
                hash: kumo_app::tx::tx_hash(tx),
                height,
                index: i as u32,
                tx: tx.clone(),
                result: r.clone(),
            })));
        }
        *self.timings.lock().expect("timings lock") = BlockTimings {
            finalize,
            index,
            commit: commit_time,
            recheck: t_recheck.elapsed(),
        };
        let _ = self.events.send(NodeEvent::NewBlock {
            block: stored.clone(),
            results,
        });
        Ok(stored)
    }

    /// Produces blocks every `block_time` until `stop` is set. Runs on its own thread.
    pub fn run_producer(
        self: &Arc<Self>,
        stop: Arc<AtomicBool>,
    ) -> std::thread::JoinHandle<Result<()>> {
        let node = self.clone();
        std::thread::Builder::new()
            .name("block-producer".into())
            .spawn(move || {
                let interval = node.cfg.block_time();
                let mut next = std::time::Instant::now();
                while !stop.load(Ordering::SeqCst) {
                    let now = std::time::Instant::now();
                    if now < next {
                        std::thread::sleep((next - now).min(Duration::from_millis(50)));
                        continue;
                    }
                    next = now + interval;
                    let block = node.produce_block()?;
                    tracing::info!(
                        height = block.block.header.height,
                        txs = block.num_txs,
                        "committed block {}",
                        hex::encode_upper(&block.block_id.hash[..6])
                    );
                }
                Ok(())
            })
            .expect("spawn block producer")
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
        use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
        use cosmos_sdk_proto::cosmos::tx::v1beta1::{GetTxRequest, GetTxResponse, Tx};
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
        let decoded = kumo_app::tx::decode_tx(&t.tx).ok();
        let tx = decoded.as_ref().map(|d| Tx {
            body: Some(d.body.clone()),
            auth_info: Some(d.auth_info.clone()),
            signatures: d.raw.signatures.clone(),
        });
        let time = self
            .blocks
            .block(t.height)
            .map(|b| b.block.header.time)
            .unwrap_or_default();
        #[allow(deprecated)]
        let resp = GetTxResponse {
            tx: tx.clone(),
            tx_response: Some(TxResponse {
                height: t.height as i64,
                txhash: hex::encode_upper(t.hash),
                codespace: t.result.codespace.clone(),
                code: t.result.code,
                data: hex::encode_upper(&t.result.data),
                raw_log: t.result.log.clone(),
                logs: vec![],
                info: t.result.info.clone(),
                gas_wanted: t.result.gas_wanted as i64,
                gas_used: t.result.gas_used as i64,
                tx: tx.map(|tx| cosmos_sdk_proto::Any {
                    type_url: "/cosmos.tx.v1beta1.Tx".into(),
                    value: tx.encode_to_vec(),
                }),
                timestamp: crate::rpc::format::rfc3339_proto(time),
                events: t
                    .result
                    .events
                    .iter()
                    .map(kumo_app::app::to_proto_event)
                    .collect(),
            }),
        };
        QueryResult {
            value: resp.encode_to_vec(),
            height,
            ..Default::default()
        }
    }
}

use std::path::Path;

impl RpcBackend for Node {
    fn node_info(&self) -> NodeInfo {
        self.info.clone()
    }

    fn validator(&self) -> ValidatorInfo {
        ValidatorInfo {
            address: self.validator.address(),
            pub_key: self.validator.public(),
            voting_power: 10,
            proposer_priority: 0,
        }
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
        let hash = kumo_app::tx::tx_hash(&tx);
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
        if result.is_ok() {
            // Still under the check lock: a block's commit re-checks every admitted tx.
            self.mempool
                .lock()
                .expect("mempool lock")
                .push(hash, tx, Arc::new(decoded));
        }
        drop(check);
        Ok(result)
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
        Err(
            "the query needs an equality condition on tx.hash, tx.height or an event attribute \
             (e.g. transfer.recipient='akash1...')"
                .into(),
        )
    }

    /// Starts the RPC, gRPC and REST servers and the block producer; returns when `shutdown`
    /// resolves or a server fails.
    pub async fn run(
        self: Arc<Self>,
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
        let stop = Arc::new(AtomicBool::new(false));
        let producer = self.run_producer(stop.clone());
        // A producer that fails (e.g. the disk is full) must stop the node, not leave it
        // serving a chain that no longer grows.
        let mut producer = tokio::task::spawn_blocking(move || producer.join());
        let result = tokio::select! {
            r = crate::rpc::serve_jsonrpc(backend.clone(), rpc) => r.context("RPC server"),
            r = crate::rpc::serve_grpc(backend.clone(), grpc) => r.context("gRPC server"),
            r = crate::rpc::serve_rest(backend.clone(), api) => r.context("REST server"),
            r = &mut producer => return producer_outcome(r),
            _ = shutdown => Ok(()),
        };
        stop.store(true, Ordering::SeqCst);
        producer_outcome(producer.await)?;
        result
    }
}

type ProducerJoin = Result<std::thread::Result<Result<()>>, tokio::task::JoinError>;

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

fn producer_outcome(r: ProducerJoin) -> Result<()> {
    match r {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => Err(e.context("block producer stopped")),
        _ => anyhow::bail!("block producer panicked"),
    }
}
