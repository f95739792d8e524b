//! The application: ABCI 2.0-shaped entry points over the modules. The node (solo engine
//! today; Malachite or a CometBFT socket later) calls `init_chain`, `check_tx`,
//! `prepare_proposal`, `process_proposal`, `finalize_block` and `commit`; queries run
//! lock-free on committed snapshots through `Queries`.

use crate::abci::*;
use crate::ante::{self, AnteParams, SigCache};
use crate::coins::GasPrice;
use crate::ctx::{BlockInfo, Ctx, Mode};
use crate::errors::{grpc, SdkError, SdkResult};
use crate::gas::GasMeter;
use crate::genesis::Genesis;
use crate::tx::{decode_tx, DecodedTx};
use crate::{auth, bank};
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult, TxMsgData};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};
use cosmos_sdk_proto::Any;
use kumo_store::{AuxWrite, CommitInfo, Prepared, Snapshot, Store, StoreError, WriteSet};
use prost::Message;
use rayon::prelude::*;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// CometBFT's default block size limit.
pub const MAX_BLOCK_BYTES: usize = 22_020_096;
/// Largest tx accepted (CometBFT's default `max_tx_bytes`).
pub const DEFAULT_MAX_TX_BYTES: usize = 1_048_576;
pub const APP_NAME: &str = "kumo";

#[derive(Clone, Debug)]
pub struct AppConfig {
    pub chain_id: String,
    /// Mempool policy: a tx must pay at least one of these per unit of gas.
    pub min_gas_prices: Vec<GasPrice>,
    pub max_tx_bytes: usize,
}

impl AppConfig {
    pub fn new(chain_id: &str) -> Self {
        AppConfig {
            chain_id: chain_id.into(),
            min_gas_prices: vec!["0.025uakt".parse().expect("valid default")],
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    #[error("genesis: {0}")]
    Genesis(String),
    #[error("block {got} does not follow the last committed height {last}")]
    WrongHeight { last: u64, got: u64 },
    #[error("commit called without a finalized block")]
    NothingToCommit,
    #[error("block {height}: {step} failed: {log}")]
    BlockStep {
        height: u64,
        step: &'static str,
        log: String,
    },
}

/// Optimistic state for CheckTx: the last commit plus the ante effects (fees, sequences) of
/// txs admitted since, so one account can queue several txs before a block.
struct CheckState {
    base: Snapshot,
    writes: WriteSet,
    block: BlockInfo,
}

impl CheckState {
    /// A fresh check state over the last committed height.
    fn committed(store: &Store, chain_id: &str) -> CheckState {
        CheckState {
            base: store.cached_snapshot(),
            writes: WriteSet::new(),
            block: BlockInfo {
                height: store.last_commit().height + 1,
                time: BlockTime::default(),
                chain_id: chain_id.to_string(),
            },
        }
    }
}

/// CheckTx's side of the app, shared with the node so that mempool admission runs while a
/// block executes, as on CometBFT's mempool connection: decoding and signature checks take no
/// lock; the ante checks serialize on the check state ([`Checker::lock`]); [`App::commit`]
/// resets that state and hands its lock back, so the mempool is re-checked before any new tx
/// is admitted against the new state.
#[derive(Clone)]
pub struct Checker {
    cfg: Arc<AppConfig>,
    sig_cache: Arc<SigCache>,
    state: Arc<Mutex<CheckState>>,
    /// The check state's base snapshot, readable without its lock: signature checks look up
    /// account numbers and keys there (and leave them in its read cache for the ante checks).
    committed: Arc<RwLock<Snapshot>>,
}

/// The check state, locked: ante checks of CheckTx run through it one at a time.
pub struct CheckLock<'a> {
    checker: &'a Checker,
    state: MutexGuard<'a, CheckState>,
}

impl Checker {
    /// The stateless half of CheckTx: size limit and decoding.
    pub fn decode(&self, bytes: &[u8]) -> Result<DecodedTx, TxResult> {
        if bytes.len() > self.cfg.max_tx_bytes {
            return Err(err_result(SdkError::tx_too_large(format!(
                "tx is {} bytes; the limit is {} bytes",
                bytes.len(),
                self.cfg.max_tx_bytes
            ))));
        }
        decode_tx(bytes).map_err(err_result)
    }

    /// Verifies a tx's signatures against committed accounts and caches the successes, so the
    /// ante checks find them done. Takes no lock: call it from many threads.
    pub fn preverify(&self, tx: &DecodedTx) {
        let snapshot = self
            .committed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        preverify_committed(&snapshot, &self.cfg.chain_id, &self.sig_cache, tx);
    }

    pub fn lock(&self) -> CheckLock<'_> {
        CheckLock {
            checker: self,
            state: self.state.lock().expect("check state lock"),
        }
    }
}

impl CheckLock<'_> {
    /// Starts the check state over at the last commit, and lets signature checks read it.
    fn reset(&mut self, store: &Store) {
        *self.state = CheckState::committed(store, &self.checker.cfg.chain_id);
        *self
            .checker
            .committed
            .write()
            .unwrap_or_else(|p| p.into_inner()) = self.state.base.clone();
    }

    /// Mempool admission of a decoded tx: the ante checks on the optimistic check state.
    pub fn check(&mut self, tx: &DecodedTx) -> TxResult {
        let p = AnteParams {
            min_gas_prices: &self.checker.cfg.min_gas_prices,
            sig_cache: &self.checker.sig_cache,
        };
        let state = &mut *self.state;
        let (result, _) = run_tx(
            &state.base,
            &mut state.writes,
            &state.block,
            Mode::Check,
            tx,
            &p,
        );
        result
    }

    /// Mempool admission of tx bytes: size, decoding and the ante checks.
    pub fn check_tx(&mut self, bytes: &[u8]) -> TxResult {
        match self.checker.decode(bytes) {
            Ok(tx) => self.check(&tx),
            Err(r) => r,
        }
    }
}

/// Signature checks against the last committed accounts, cached for the ante handler.
fn preverify_committed(snapshot: &Snapshot, chain_id: &str, cache: &SigCache, tx: &DecodedTx) {
    for (i, addr) in tx.signers().iter().enumerate() {
        if let Ok(Some(acc)) = snapshot.get(&auth::account_key(addr)) {
            let acc = auth::decode_account(&acc);
            let number = acc.base().account_number;
            ante::preverify(tx, i, number, || acc.pubkey(), chain_id, cache);
        }
    }
}

pub struct App {
    store: Store,
    cfg: AppConfig,
    sig_cache: Arc<SigCache>,
    /// Genesis writes waiting for the first block (InitChain state commits with block 1).
    genesis_writes: Option<WriteSet>,
    checker: Checker,
    pending: Option<Prepared>,
}

/// Runs one tx: ante in the base layer, messages in a nested layer that is dropped on failure.
fn run_tx(
    base: &Snapshot,
    below: &mut WriteSet,
    block: &BlockInfo,
    mode: Mode,
    tx: &DecodedTx,
    p: &AnteParams,
) -> (TxResult, Vec<Vec<u8>>) {
    let gas_limit = tx.auth_info.fee.as_ref().map_or(0, |f| f.gas_limit);
    let meter = if mode == Mode::Simulate {
        GasMeter::unlimited()
    } else {
        GasMeter::new(gas_limit)
    };
    let mut ctx = Ctx::new(base, below, block, mode, meter);
    let fail = |e: SdkError, gas_used: u64, events: Vec<Event>| TxResult {
        code: e.code,
        codespace: e.codespace.into(),
        log: e.log,
        gas_wanted: gas_limit,
        gas_used,
        events,
        ..Default::default()
    };
    if let Err(e) = ante::run(&mut ctx, tx, p) {
        // Nothing of a tx that fails its ante checks is kept.
        return (fail(e, ctx.gas.consumed(), vec![]), vec![]);
    }
    if mode == Mode::Check {
        let gas_used = ctx.gas.consumed();
        let events = ctx.finish();
        return (
            TxResult {
                gas_wanted: gas_limit,
                gas_used,
                events,
                ..Default::default()
            },
            vec![],
        );
    }
    ctx.push_layer();
    let mut responses = Vec::with_capacity(tx.msgs.len());
    for (i, msg) in tx.msgs.iter().enumerate() {
        ctx.push_layer();
        let signer = msg
            .signers()
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default();
        ctx.emit(
            Event::new("message")
                .attr("action", msg.type_url())
                .attr("sender", signer)
                .attr("module", msg.module()),
        );
        match msg.execute(&mut ctx) {
            Ok(resp) => {
                ctx.tag_top_events("msg_index", &i.to_string());
                ctx.commit_layer();
                responses.push(resp);
            }
            Err(e) => {
                ctx.discard_layer();
                ctx.discard_layer();
                let gas_used = ctx.gas.consumed();
                let events = ctx.finish();
                let e = if e.code == 11 {
                    e
                } else {
                    SdkError {
                        log: format!("failed to execute message; message index: {i}: {}", e.log),
                        ..e
                    }
                };
                return (fail(e, gas_used, events), vec![]);
            }
        }
    }
    ctx.commit_layer();
    let gas_used = ctx.gas.consumed();
    let events = ctx.finish();
    let msg_responses: Vec<Any> = tx
        .msgs
        .iter()
        .zip(&responses)
        .map(|(m, r)| Any {
            type_url: format!("{}Response", m.type_url()),
            value: r.clone(),
        })
        .collect();
    #[allow(deprecated)]
    let data = TxMsgData {
        data: vec![],
        msg_responses,
    }
    .encode_to_vec();
    (
        TxResult {
            data,
            gas_wanted: gas_limit,
            gas_used,
            events,
            ..Default::default()
        },
        responses,
    )
}

impl App {
    pub fn new(store: Store, cfg: AppConfig) -> App {
        let sig_cache = Arc::new(SigCache::default());
        let state = CheckState::committed(&store, &cfg.chain_id);
        let checker = Checker {
            committed: Arc::new(RwLock::new(state.base.clone())),
            state: Arc::new(Mutex::new(state)),
            cfg: Arc::new(cfg.clone()),
            sig_cache: sig_cache.clone(),
        };
        App {
            store,
            cfg,
            sig_cache,
            genesis_writes: None,
            checker,
            pending: None,
        }
    }

    /// CheckTx's handle (see [`Checker`]).
    pub fn checker(&self) -> Checker {
        self.checker.clone()
    }

    pub fn config(&self) -> &AppConfig {
        &self.cfg
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// A lock-free query handle over committed state.
    pub fn queries(&self) -> Queries {
        Queries {
            store: self.store.clone(),
            cfg: self.cfg.clone(),
            sig_cache: self.sig_cache.clone(),
        }
    }

    pub fn info(&self) -> InfoResponse {
        let last = self.store.last_commit();
        InfoResponse {
            data: APP_NAME.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: 0,
            last_block_height: last.height,
            last_block_app_hash: last.app_hash,
        }
    }

    /// Loads genesis state when the chain has no block yet and returns the bonded validator
    /// set it starts with (the consensus engine's first validators); a no-op returning no
    /// validators on a restarted node, whose set comes from its stored blocks.
    pub fn init_chain(&mut self, genesis: &Genesis) -> Result<Vec<ValidatorUpdate>, AppError> {
        if genesis.chain_id != self.cfg.chain_id {
            return Err(AppError::Genesis(format!(
                "genesis chain id {:?} differs from the node's chain id {:?}",
                genesis.chain_id, self.cfg.chain_id
            )));
        }
        if genesis.initial_height != 1 {
            return Err(AppError::Genesis(
                "initial_height other than 1 is not supported".into(),
            ));
        }
        if self.store.last_commit().height > 0 {
            return Ok(vec![]);
        }
        let base = self.store.snapshot();
        let mut writes = WriteSet::new();
        let block = BlockInfo {
            height: 0,
            time: BlockTime::default(),
            chain_id: self.cfg.chain_id.clone(),
        };
        let mut ctx = Ctx::new(
            &base,
            &mut writes,
            &block,
            Mode::Deliver,
            GasMeter::unlimited(),
        );
        init_genesis(&mut ctx, &genesis.app_state).map_err(|e| AppError::Genesis(e.log))?;
        let validators = crate::genutil::genesis::bonded_validators(&ctx);
        ctx.finish();
        // An empty set is not refused here: in-memory test chains run without validators;
        // `validate_genesis` and the node's start refuse it.
        // CheckTx before block 1 sees genesis accounts.
        self.checker.lock().state.writes = writes.clone();
        self.genesis_writes = Some(writes);
        Ok(validators)
    }

    /// Mempool admission: size, decoding, and the ante checks on the optimistic check state.
    pub fn check_tx(&mut self, bytes: &[u8]) -> TxResult {
        self.checker.lock().check_tx(bytes)
    }

    /// Picks txs for a block, in mempool order, within the block byte limit.
    pub fn prepare_proposal(&self, txs: Vec<Vec<u8>>, max_bytes: usize) -> Vec<Vec<u8>> {
        let mut total = 0;
        txs.into_iter()
            .take_while(|tx| {
                total += tx.len();
                total <= max_bytes
            })
            .collect()
    }

    /// Accepts a proposal whose txs fit the block limit (undecodable txs fail in the block).
    pub fn process_proposal(&self, txs: &[Vec<u8>]) -> bool {
        txs.iter().map(|t| t.len()).sum::<usize>() <= MAX_BLOCK_BYTES
    }

    /// Executes a block. Its writes are held until `commit`.
    pub fn finalize_block(
        &mut self,
        req: &FinalizeBlockRequest,
    ) -> Result<FinalizeBlockResponse, AppError> {
        let last = self.store.last_commit().height;
        if req.height != last + 1 {
            return Err(AppError::WrongHeight {
                last,
                got: req.height,
            });
        }
        let base = self.store.cached_snapshot();
        let mut writes = if last == 0 {
            self.genesis_writes.take().unwrap_or_default()
        } else {
            WriteSet::new()
        };
        let block = BlockInfo {
            height: req.height,
            time: req.time,
            chain_id: self.cfg.chain_id.clone(),
        };

        // Decode and check signatures on all cores first; execution then runs in order.
        let decoded: Vec<SdkResult<DecodedTx>> = req.txs.par_iter().map(|t| decode_tx(t)).collect();
        let lookups = {
            let mut empty = WriteSet::new();
            let sig_ctx = Ctx::new(
                &base,
                &mut empty,
                &block,
                Mode::Deliver,
                GasMeter::unlimited(),
            );
            let lookups: Vec<(usize, usize, u64, auth::Account)> = decoded
                .iter()
                .enumerate()
                .filter_map(|(i, t)| t.as_ref().ok().map(|t| (i, t)))
                .flat_map(|(i, t)| {
                    t.signers()
                        .into_iter()
                        .enumerate()
                        .filter_map(|(s, addr)| {
                            let acc =
                                sig_ctx.get_free(&auth::account_key(&addr)).or_else(|| {
                                    writes.get(&auth::account_key(&addr)).cloned().flatten()
                                })?;
                            let acc = auth::decode_account(&acc);
                            Some((i, s, acc.base().account_number, acc))
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let cache = &self.sig_cache;
            let chain_id = &self.cfg.chain_id;
            lookups.par_iter().for_each(|(i, s, num, acc)| {
                if let Ok(tx) = &decoded[*i] {
                    ante::preverify(tx, *s, *num, || acc.pubkey(), chain_id, cache);
                }
            });
            lookups
        };

        let begin_events = run_block_step(&base, &mut writes, &block, "begin block", |ctx| {
            crate::economy::begin_block(ctx, req)
        })?;
        let p = AnteParams {
            min_gas_prices: &self.cfg.min_gas_prices,
            sig_cache: &self.sig_cache,
        };
        let mut tx_results = Vec::with_capacity(req.txs.len());
        for tx in &decoded {
            let result = match tx {
                Ok(tx) => run_tx(&base, &mut writes, &block, Mode::Deliver, tx, &p).0,
                Err(e) => err_result(e.clone()),
            };
            tx_results.push(result);
        }
        // These txs are in a block now: their cache entries will not be needed again.
        for (i, s, number, _) in &lookups {
            if let Ok(tx) = &decoded[*i] {
                self.sig_cache.remove(&ante::sig_key(tx, *s, *number));
            }
        }
        let mut validator_updates = vec![];
        let end_events = run_block_step(&base, &mut writes, &block, "end block", |ctx| {
            validator_updates = crate::economy::end_block(ctx)?;
            Ok(())
        })?;
        let prepared = self.store.prepare(req.height, writes)?;
        let app_hash = prepared.app_hash();
        self.pending = Some(prepared);
        Ok(FinalizeBlockResponse {
            events: begin_events.into_iter().chain(end_events).collect(),
            tx_results,
            validator_updates,
            app_hash,
        })
    }

    /// Persists the finalized block's state together with the node's `aux` writes (block,
    /// results, tx index) in one atomic commit, then resets the check state to it. The check
    /// state comes back locked: the caller re-checks its mempool with it (CometBFT's
    /// Commit + mempool Update) before CheckTx may admit anything against the new state.
    pub fn commit(&mut self, aux: Vec<AuxWrite>) -> Result<(CommitInfo, CheckLock<'_>), AppError> {
        let prepared = self.pending.take().ok_or(AppError::NothingToCommit)?;
        let mut check = self.checker.lock();
        let info = self.store.commit(prepared, aux)?;
        check.reset(&self.store);
        Ok((info, check))
    }
}

/// Runs block-level work (begin or end block) without a gas limit. A failure is an error of
/// the whole block (as FinalizeBlock errors halt CometBFT): committing a state other nodes
/// would not reach is worse than stopping.
fn run_block_step(
    base: &Snapshot,
    writes: &mut WriteSet,
    block: &BlockInfo,
    step: &'static str,
    f: impl FnOnce(&mut Ctx) -> SdkResult<()>,
) -> Result<Vec<Event>, AppError> {
    let mut ctx = Ctx::new(base, writes, block, Mode::Deliver, GasMeter::unlimited());
    f(&mut ctx).map_err(|e| AppError::BlockStep {
        height: block.height,
        step,
        log: e.log,
    })?;
    Ok(ctx.finish())
}

/// Every module's genesis, in dependency order (accounts, balances, then what uses them).
pub fn init_genesis(ctx: &mut Ctx, s: &crate::genesis::AppState) -> SdkResult<()> {
    auth::genesis::init(ctx, &s.auth)?;
    bank::genesis::init(ctx, &s.bank)?;
    crate::deployment::genesis::init(ctx, &s.deployment)?;
    crate::take::genesis::init(ctx, &s.take)?;
    crate::distribution::genesis::init(ctx, &s.distribution)?;
    crate::escrow::genesis::init(ctx, &s.escrow)?;
    crate::market::genesis::init(ctx, &s.market)?;
    crate::provider::genesis::init(ctx, &s.provider)?;
    crate::audit::genesis::init(ctx, &s.audit)?;
    crate::cert::genesis::init(ctx, &s.cert)?;
    crate::mint::genesis::init(ctx, &s.mint)?;
    crate::gov::genesis::init(ctx, &s.gov)?;
    crate::slashing::genesis::init(ctx, &s.slashing)?;
    crate::authz::genesis::init(ctx, &s.authz)?;
    crate::feegrant::genesis::init(ctx, &s.feegrant)?;
    // After distribution: its hooks start each genesis validator's reward records.
    crate::staking::genesis::init(ctx, &s.staking)?;
    // Last, as in the SDK: gentxs spend genesis balances and create staking validators.
    crate::genutil::genesis::init(ctx, &s.genutil)?;
    Ok(())
}

fn err_result(e: SdkError) -> TxResult {
    TxResult {
        code: e.code,
        codespace: e.codespace.into(),
        log: e.log,
        ..Default::default()
    }
}

/// Queries and simulation over committed snapshots; cheap to clone, safe to share.
#[derive(Clone)]
pub struct Queries {
    store: Store,
    cfg: AppConfig,
    sig_cache: Arc<SigCache>,
}

impl Queries {
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Answers `path` with `data` at `height` (0 = latest committed).
    pub fn query(&self, path: &str, data: &[u8], height: u64) -> QueryResult {
        let snapshot = match if height == 0 {
            Ok(self.store.snapshot())
        } else {
            self.store.snapshot_at(height)
        } {
            Ok(s) => s,
            Err(e) => {
                let err = SdkError::invalid_request(e.to_string());
                return QueryResult {
                    code: err.code,
                    codespace: err.codespace.into(),
                    log: err.log,
                    height,
                    grpc_code: grpc::INVALID_ARGUMENT,
                    ..Default::default()
                };
            }
        };
        let answered_height = snapshot.height();
        let result = if path == "/cosmos.tx.v1beta1.Service/Simulate" {
            self.simulate(&snapshot, data)
        } else {
            let mut empty = WriteSet::new();
            let block = BlockInfo {
                height: answered_height,
                time: BlockTime::default(),
                chain_id: self.cfg.chain_id.clone(),
            };
            let mut ctx = Ctx::new(
                &snapshot,
                &mut empty,
                &block,
                Mode::Simulate,
                GasMeter::unlimited(),
            );
            crate::query::route(&mut ctx, path, data)
        };
        match result {
            Ok(value) => QueryResult {
                value,
                height: answered_height,
                ..Default::default()
            },
            Err(e) => QueryResult {
                code: e.code,
                codespace: e.codespace.into(),
                grpc_code: e.grpc_code(),
                log: e.log,
                height: answered_height,
                ..Default::default()
            },
        }
    }

    #[allow(deprecated)]
    fn simulate(&self, snapshot: &Snapshot, data: &[u8]) -> SdkResult<Vec<u8>> {
        let req: SimulateRequest = crate::module::decode_req(data)?;
        let bytes = if !req.tx_bytes.is_empty() {
            req.tx_bytes
        } else if let Some(tx) = req.tx {
            // cosmpy sends the deprecated decoded `tx`; signatures are not checked in simulation,
            // so re-encoding its parts is fine here.
            cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw {
                body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
                auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
                signatures: tx.signatures,
            }
            .encode_to_vec()
        } else {
            return Err(SdkError::bad_query("empty txBytes is not allowed"));
        };
        let tx = decode_tx(&bytes).map_err(|e| sim_error(&e, 0))?;
        let block = BlockInfo {
            height: snapshot.height() + 1,
            time: BlockTime::default(),
            chain_id: self.cfg.chain_id.clone(),
        };
        let mut scratch = WriteSet::new();
        let p = AnteParams {
            min_gas_prices: &self.cfg.min_gas_prices,
            sig_cache: &self.sig_cache,
        };
        let (result, _) = run_tx(snapshot, &mut scratch, &block, Mode::Simulate, &tx, &p);
        if result.code != 0 {
            let e = SdkError {
                codespace: crate::errors::SDK,
                code: result.code,
                log: result.log,
            };
            return Err(sim_error(&e, result.gas_used));
        }
        let msg_responses = TxMsgData::decode(result.data.as_slice())
            .map(|d| d.msg_responses)
            .unwrap_or_default();
        #[allow(deprecated)]
        let resp = SimulateResponse {
            gas_info: Some(GasInfo {
                gas_wanted: result.gas_wanted,
                gas_used: result.gas_used,
            }),
            result: Some(AbciResult {
                data: vec![],
                log: String::new(),
                events: result.events.iter().map(to_proto_event).collect(),
                msg_responses,
            }),
        };
        Ok(resp.encode_to_vec())
    }
}

/// Simulation failures reach clients wrapped as the SDK wraps them (code 6, gRPC Unknown).
fn sim_error(e: &SdkError, gas_used: u64) -> SdkError {
    SdkError::unknown_request(format!(
        "rpc error: code = Unknown desc = {} With gas wanted: '{}' and gas used: '{gas_used}' ",
        e.log,
        u64::MAX
    ))
}

pub fn to_proto_event(e: &Event) -> cosmos_sdk_proto::tendermint::abci::Event {
    cosmos_sdk_proto::tendermint::abci::Event {
        r#type: e.kind.clone(),
        attributes: e
            .attributes
            .iter()
            .map(|a| cosmos_sdk_proto::tendermint::abci::EventAttribute {
                key: a.key.clone(),
                value: a.value.clone(),
                index: a.index,
            })
            .collect(),
    }
}
