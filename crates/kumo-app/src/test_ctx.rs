//! Unit-test state for module tests: an empty in-memory store and a running write set, with
//! messages executed the way the app does (decode + check, then a layer dropped on failure).

use crate::abci::Event;
use crate::ctx::{BlockInfo, Ctx, Mode};
use crate::errors::SdkResult;
use crate::gas::GasMeter;
use crate::msgs::Msg;
use cosmos_sdk_proto::Any;
use kumo_store::{Snapshot, Store, StoreOptions, WriteSet};

pub struct TestState {
    _store: Store,
    snapshot: Snapshot,
    writes: WriteSet,
    block: BlockInfo,
}

impl TestState {
    pub fn new() -> TestState {
        let store = Store::in_memory(StoreOptions::default()).expect("in-memory store");
        let snapshot = store.snapshot();
        TestState {
            _store: store,
            snapshot,
            writes: WriteSet::new(),
            block: BlockInfo {
                height: 1,
                chain_id: "kumo-test".into(),
                ..Default::default()
            },
        }
    }

    /// Runs `f` on a context whose writes are kept; returns its result and events.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut Ctx) -> R) -> (R, Vec<Event>) {
        let mut ctx = Ctx::new(
            &self.snapshot,
            &mut self.writes,
            &self.block,
            Mode::Deliver,
            GasMeter::unlimited(),
        );
        let r = f(&mut ctx);
        let events = ctx.finish();
        (r, events)
    }

    /// Decodes, checks and executes one message; a failed message leaves no writes or events.
    pub fn deliver<M: prost::Message + prost::Name>(&mut self, m: &M) -> SdkResult<Vec<Event>> {
        let any = Any {
            type_url: M::type_url(),
            value: m.encode_to_vec(),
        };
        let msg = Msg::from_any(&any)?;
        let (r, events) = self.with(|ctx| {
            ctx.push_layer();
            let r = msg.execute(ctx);
            if r.is_ok() {
                ctx.commit_layer();
            } else {
                ctx.discard_layer();
            }
            r
        });
        r.map(|_| events)
    }

    /// A query through the app's router.
    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &mut self,
        path: &str,
        req: &Req,
    ) -> SdkResult<Resp> {
        let (r, _) = self.with(|ctx| crate::query::route(ctx, path, &req.encode_to_vec()));
        Ok(Resp::decode(r?.as_slice()).expect("response decodes"))
    }
}

/// A deterministic test address.
pub fn addr(n: u8) -> kumo_crypto::Address {
    kumo_crypto::Address([n; 20])
}

impl TestState {
    /// Starts the next block `seconds` after this one.
    pub fn advance(&mut self, seconds: i64) {
        self.block.height += 1;
        self.block.time.seconds += seconds;
    }

    pub fn block(&self) -> &BlockInfo {
        &self.block
    }

    /// Runs the next blocks under `chain_id` (signature tests whose vectors name their chain).
    pub fn set_chain_id(&mut self, chain_id: &str) {
        self.block.chain_id = chain_id.to_string();
    }
}

/// A chain in memory for the token economy: genesis through the app's `init_genesis`, then
/// blocks whose begin and end block work runs as in FinalizeBlock, with messages delivered in
/// between (inside the block, as txs are).
pub struct EconomyNet {
    pub st: TestState,
}

impl EconomyNet {
    pub fn new(g: &crate::genesis::Genesis) -> EconomyNet {
        let mut st = TestState::new();
        st.block.height = 0;
        st.block.time = crate::abci::BlockTime {
            seconds: 1_700_000_000,
            nanos: 0,
        };
        let (r, _) = st.with(|ctx| crate::app::init_genesis(ctx, &g.app_state));
        r.expect("genesis loads");
        EconomyNet { st }
    }

    /// Votes of the current bonded set, all signed.
    pub fn all_signed(&mut self) -> Vec<crate::abci::VoteInfo> {
        let (votes, _) = self.st.with(|ctx| {
            crate::staking::state::last_powers(ctx)
                .into_iter()
                .map(|(op, power)| crate::abci::VoteInfo {
                    validator_address: crate::staking::state::validator(ctx, &op)
                        .expect("bonded validator")
                        .cons_address()
                        .to_vec(),
                    power,
                    signed: true,
                })
                .collect::<Vec<_>>()
        });
        votes
    }

    /// Opens the next block: height + 1, `seconds` later, begin block with these votes.
    pub fn begin(
        &mut self,
        seconds: i64,
        votes: Vec<crate::abci::VoteInfo>,
        misbehavior: Vec<crate::abci::Misbehavior>,
    ) -> Vec<Event> {
        self.st.advance(seconds);
        let req = crate::abci::FinalizeBlockRequest {
            height: self.st.block.height,
            time: self.st.block.time,
            decided_last_commit: votes,
            misbehavior,
            ..Default::default()
        };
        let (r, events) = self.st.with(|ctx| crate::economy::begin_block(ctx, &req));
        r.expect("begin block");
        events
    }

    /// Closes the block: the end block work; returns the validator updates.
    pub fn end(&mut self) -> Vec<crate::abci::ValidatorUpdate> {
        let (r, _) = self.st.with(crate::economy::end_block);
        r.expect("end block")
    }

    /// Opens the next block with every bonded validator's signature on the previous one.
    pub fn next(&mut self, seconds: i64) -> Vec<Event> {
        let votes = self.all_signed();
        self.begin(seconds, votes, vec![])
    }

    /// One block in which every bonded validator signed the previous one.
    pub fn block(&mut self, seconds: i64) -> Vec<crate::abci::ValidatorUpdate> {
        let votes = self.all_signed();
        self.begin(seconds, votes, vec![]);
        self.end()
    }

    pub fn balance(&mut self, addr: &kumo_crypto::Address, denom: &str) -> u128 {
        self.st
            .with(|ctx| crate::bank::state::balance(ctx, addr, denom))
            .0
            .expect("balance")
    }
}

/// A genesis with these accounts (uakt balances) and bonded validators (operator index into
/// `accounts`, consensus key byte, self-bond, commission rate atomics).
pub fn economy_genesis(
    accounts: &[(kumo_crypto::Address, u128)],
    validators: &[(usize, u8, u128, u128)],
) -> crate::genesis::Genesis {
    let mut g = crate::genesis::Genesis::new("kumo-test", "2026-01-01T00:00:00Z");
    for (a, amount) in accounts {
        g.add_account(
            &a.to_bech32(kumo_crypto::ACCOUNT_HRP),
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
pub fn without_inflation(g: &mut crate::genesis::Genesis) {
    g.app_state.mint = crate::mint::genesis::GenesisState::no_inflation();
}
