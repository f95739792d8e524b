//! The one in-memory chain every kumo-app test runs on.
//!
//! `TestChain` loads genesis through the app's own `init_genesis`, executes messages the way a
//! tx does (decoded from their `Any`, the ante's signer check where asked, each in a cache
//! layer dropped on failure), answers queries through the app's router, and moves block by
//! block: either bare (height and time only, for module tests that count blocks) or with the
//! begin- and end-block work FinalizeBlock runs (`begin`/`end`/`block`, for the token economy).
//! Module tests add their own domain helpers on top (escrow's and market's `Env`), never a
//! second store, layer or genesis mechanism.

use crate::abci::{BlockTime, Event, Misbehavior, ValidatorUpdate, VoteInfo};
use crate::ctx::{BlockInfo, Ctx, Mode};
use crate::errors::{SdkError, SdkResult};
use crate::gas::GasMeter;
use crate::genesis::{AppState, Genesis};
use crate::msgs::Msg;
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_store::{Snapshot, Store, StoreOptions, WriteSet};

pub const CHAIN_ID: &str = "kumo-test";
pub const GENESIS_TIME: &str = "2026-01-01T00:00:00Z";
/// Seconds between blocks when tests move by block count.
pub const BLOCK_SECONDS: i64 = 6;

pub struct TestChain {
    _store: Store,
    base: Snapshot,
    writes: WriteSet,
    block: BlockInfo,
}

impl Default for TestChain {
    fn default() -> Self {
        TestChain::new()
    }
}

impl TestChain {
    /// A chain from an empty genesis (every module's default state), in block 1.
    pub fn new() -> TestChain {
        TestChain::from_genesis(&Genesis::new(CHAIN_ID, GENESIS_TIME))
    }

    /// A chain from this genesis, in block 1.
    pub fn from_genesis(g: &Genesis) -> TestChain {
        TestChain::try_from_state(&g.app_state).expect("genesis loads")
    }

    /// A chain from this app state, in block 1; the genesis error if it does not load.
    pub fn try_from_state(app_state: &AppState) -> SdkResult<TestChain> {
        let mut chain = TestChain::at_genesis(app_state, BlockTime::default())?;
        chain.block.height = 1;
        Ok(chain)
    }

    /// A chain that has run InitChain and no block yet (height 0 at `time`); `begin` opens
    /// block 1, as FinalizeBlock would.
    pub fn at_genesis(app_state: &AppState, time: BlockTime) -> SdkResult<TestChain> {
        let store = Store::in_memory(StoreOptions::default()).expect("in-memory store");
        let mut chain = TestChain {
            base: store.snapshot(),
            _store: store,
            writes: WriteSet::new(),
            block: BlockInfo {
                height: 0,
                time,
                chain_id: CHAIN_ID.into(),
            },
        };
        chain.run(|ctx| crate::app::init_genesis(ctx, app_state))?;
        Ok(chain)
    }

    /// Runs `f` on a context whose writes are kept, failed or not; returns its result and
    /// events (block-level work, which has no layer of its own).
    pub fn with<R>(&mut self, f: impl FnOnce(&mut Ctx) -> R) -> (R, Vec<Event>) {
        let mut ctx = Ctx::new(
            &self.base,
            &mut self.writes,
            &self.block,
            Mode::Deliver,
            GasMeter::unlimited(),
        );
        let r = f(&mut ctx);
        let events = ctx.finish();
        (r, events)
    }

    /// Runs `f` as a message runs: its writes and events are kept only if it succeeds.
    pub fn run<T>(&mut self, f: impl FnOnce(&mut Ctx) -> SdkResult<T>) -> SdkResult<T> {
        self.run_events(f).map(|(r, _)| r)
    }

    fn run_events<T>(
        &mut self,
        f: impl FnOnce(&mut Ctx) -> SdkResult<T>,
    ) -> SdkResult<(T, Vec<Event>)> {
        let (r, events) = self.with(|ctx| {
            ctx.push_layer();
            let r = f(ctx);
            if r.is_ok() {
                ctx.commit_layer();
            } else {
                ctx.discard_layer();
            }
            r
        });
        r.map(|r| (r, events))
    }

    /// Reads state without keeping anything `f` writes.
    pub fn read<T>(&self, f: impl FnOnce(&mut Ctx) -> T) -> T {
        let mut scratch = self.writes.clone();
        let mut ctx = Ctx::new(
            &self.base,
            &mut scratch,
            &self.block,
            Mode::Simulate,
            GasMeter::unlimited(),
        );
        f(&mut ctx)
    }

    /// Decodes (ValidateBasic included) and executes one message; a failed message leaves no
    /// writes or events.
    pub fn deliver<M: prost::Message + prost::Name>(&mut self, m: &M) -> SdkResult<Vec<Event>> {
        self.deliver_any(&any(m))
    }

    pub fn deliver_any(&mut self, any: &Any) -> SdkResult<Vec<Event>> {
        let msg = Msg::from_any(any)?;
        self.run_events(|ctx| msg.execute(ctx).map(|_| ()))
            .map(|((), events)| events)
    }

    /// Delivers `m` as a tx signed by `signer` would: the ante handler's check that `signer`
    /// is the message's only signer, then `deliver`.
    pub fn tx<M: prost::Message + prost::Name>(
        &mut self,
        signer: &Address,
        m: &M,
    ) -> SdkResult<Vec<Event>> {
        let any = any(m);
        let msg = Msg::from_any(&any)?;
        if msg.signers() != vec![*signer] {
            return Err(SdkError::unauthorized(format!(
                "{} is not the signer of {}",
                signer.to_bech32(ACCOUNT_HRP),
                any.type_url
            )));
        }
        self.deliver_any(&any)
    }

    /// A query through the app's router.
    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        path: &str,
        req: &Req,
    ) -> SdkResult<Resp> {
        let bytes = self.read(|ctx| crate::query::route(ctx, path, &req.encode_to_vec()))?;
        Ok(Resp::decode(bytes.as_slice()).expect("response decodes"))
    }

    pub fn balance(&self, addr: &Address, denom: &str) -> u128 {
        self.read(|ctx| crate::bank::state::balance(ctx, addr, denom))
            .expect("balance")
    }

    /// Every key and value, for checking that a refused message changed nothing.
    pub fn dump(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.read(|ctx| ctx.prefix_free(b""))
    }

    pub fn block_info(&self) -> &BlockInfo {
        &self.block
    }

    /// Runs the next blocks under `chain_id` (signature tests whose vectors name their chain).
    pub fn set_chain_id(&mut self, chain_id: &str) {
        self.block.chain_id = chain_id.to_string();
    }

    /// Moves to the next block, `seconds` later, without block-level work.
    pub fn advance(&mut self, seconds: i64) {
        self.block.height += 1;
        self.block.time.seconds += seconds;
    }

    /// Moves `n` blocks on (BLOCK_SECONDS each) without block-level work: the Akash modules
    /// (escrow, market) settle by height when touched and have no per-block work.
    pub fn advance_blocks(&mut self, n: u64) {
        self.block.height += n;
        self.block.time.seconds += n as i64 * BLOCK_SECONDS;
    }

    /// Votes of the current bonded set, all signed.
    pub fn all_signed(&self) -> Vec<VoteInfo> {
        self.read(|ctx| {
            crate::staking::state::last_powers(ctx)
                .into_iter()
                .map(|(op, power)| VoteInfo {
                    validator_address: crate::staking::state::validator(ctx, &op)
                        .expect("bonded validator")
                        .cons_address()
                        .to_vec(),
                    power,
                    signed: true,
                })
                .collect()
        })
    }

    /// Opens the next block `seconds` later and runs FinalizeBlock's begin-block work with
    /// these votes on the previous block and this evidence.
    pub fn begin(
        &mut self,
        seconds: i64,
        votes: Vec<VoteInfo>,
        misbehavior: Vec<Misbehavior>,
    ) -> Vec<Event> {
        self.advance(seconds);
        let req = crate::abci::FinalizeBlockRequest {
            height: self.block.height,
            time: self.block.time,
            decided_last_commit: votes,
            misbehavior,
            ..Default::default()
        };
        let (r, events) = self.with(|ctx| crate::economy::begin_block(ctx, &req));
        r.expect("begin block");
        events
    }

    /// Closes the block with FinalizeBlock's end-block work; returns the validator updates.
    pub fn end(&mut self) -> Vec<ValidatorUpdate> {
        let (r, _) = self.with(crate::economy::end_block);
        r.expect("end block")
    }

    /// Opens the next block with every bonded validator's signature on the previous one.
    pub fn next(&mut self, seconds: i64) -> Vec<Event> {
        let votes = self.all_signed();
        self.begin(seconds, votes, vec![])
    }

    /// One whole block in which every bonded validator signed the previous one.
    pub fn block(&mut self, seconds: i64) -> Vec<ValidatorUpdate> {
        self.next(seconds);
        self.end()
    }
}

pub fn any<M: prost::Message + prost::Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

/// A deterministic test address.
pub fn addr(n: u8) -> Address {
    Address([n; 20])
}

/// The token economy's chain: this genesis, no block yet, clock at 1,700,000,000 s.
pub fn economy_chain(g: &Genesis) -> TestChain {
    TestChain::at_genesis(
        &g.app_state,
        BlockTime {
            seconds: 1_700_000_000,
            nanos: 0,
        },
    )
    .expect("genesis loads")
}

/// A genesis with these accounts (uakt balances) and bonded validators (operator index into
/// `accounts`, consensus key byte, self-bond, commission rate atomics).
pub fn economy_genesis(
    accounts: &[(Address, u128)],
    validators: &[(usize, u8, u128, u128)],
) -> Genesis {
    let mut g = Genesis::new(CHAIN_ID, GENESIS_TIME);
    for (a, amount) in accounts {
        g.add_account(
            &a.to_bech32(ACCOUNT_HRP),
            &[crate::coins::Coin::new("uakt", *amount)],
        )
        .expect("account");
    }
    for (i, key, bond, rate) in validators {
        crate::staking::genesis::add_genesis_validator(
            &mut g,
            &accounts[*i].0,
            &[*key; 32],
            &format!("val-{key}"),
            *bond,
            *rate,
        )
        .expect("validator");
    }
    g
}

/// Turns minting off (inflation 0), for tests that count tokens exactly.
pub fn without_inflation(g: &mut Genesis) {
    g.app_state.mint = crate::mint::genesis::GenesisState::no_inflation();
}
