//! The per-block cost of the token economy with 100 validators, as delegators grow.
//!
//! `cargo bench -p kumo-app --bench economy` (add `-- --quick` for 10,000 delegators instead
//! of 100,000). Each measured block runs begin block (mint, fee allocation to the 100 voters,
//! liveness) and end block (validator set, maturity queues) on a `Ctx` over an on-disk `Store`
//! (as the node runs it), and is committed. F1 keeps per-delegator work out of blocks, so the
//! economy's own work with 1,000 delegators and with 100,000 must be about the same; the store
//! part (Merkle update and the durable commit) grows only with the tree's depth (log n).
//! (redb's in-memory backend is not used here: it grows its buffer by copying it, which
//! charges every block for the database's size.)

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::staking::v1beta1::MsgDelegate;
use cosmos_sdk_proto::Any;
use kumo_app::abci::{BlockTime, FinalizeBlockRequest, VoteInfo};
use kumo_app::coins::Coin;
use kumo_app::ctx::{BlockInfo, Ctx, Mode};
use kumo_app::gas::GasMeter;
use kumo_app::genesis::Genesis;
use kumo_app::msgs::Msg;
use kumo_app::staking::state::{cons_address, VALOPER_HRP};
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::math::DEC_ONE;
use kumo_store::{Store, StoreOptions, WriteSet};
use prost::{Message, Name};
use std::time::{Duration, Instant};

const VALIDATORS: u32 = 100;

fn operator(i: u32) -> Address {
    let mut a = [0xAA; 20];
    a[..4].copy_from_slice(&i.to_be_bytes());
    Address(a)
}

fn consensus_key(i: u32) -> [u8; 32] {
    let mut k = [0x55; 32];
    k[..4].copy_from_slice(&i.to_be_bytes());
    k
}

fn delegator(i: u32) -> Address {
    let mut a = [0x11; 20];
    a[..4].copy_from_slice(&i.to_be_bytes());
    Address(a)
}

struct Chain {
    store: Store,
    height: u64,
    _dir: tempfile::TempDir,
}

/// Where one block's time went.
#[derive(Clone, Copy, Default)]
struct BlockTimes {
    /// Begin + end block on the `Ctx` (the economy's own work).
    execute: Duration,
    /// Jellyfish Merkle update of the written keys.
    prepare: Duration,
    /// The durable redb write transaction.
    commit: Duration,
}

impl BlockTimes {
    fn total(&self) -> Duration {
        self.execute + self.prepare + self.commit
    }
}

impl Chain {
    fn new() -> Chain {
        let mut g = Genesis::new("kumo-bench", "2026-01-01T00:00:00Z");
        for i in 0..VALIDATORS {
            let op = operator(i);
            g.add_account(
                &op.to_bech32(ACCOUNT_HRP),
                &[Coin::new("uakt", 1_000_000_000)],
            )
            .unwrap();
            kumo_app::staking::genesis::add_genesis_validator(
                &mut g,
                &op,
                &consensus_key(i),
                &format!("v{i}"),
                100_000_000 + u128::from(i) * 1_000_000,
                DEC_ONE / 10,
            )
            .unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain {
            store: Store::open(&dir.path().join("state.redb"), StoreOptions::default()).unwrap(),
            height: 0,
            _dir: dir,
        };
        let s = g.app_state;
        chain.block(|ctx| kumo_app::app::init_genesis(ctx, &s).unwrap());
        chain
    }

    fn block(&mut self, f: impl FnOnce(&mut Ctx)) -> BlockTimes {
        let t0 = Instant::now();
        self.height += 1;
        let base = self.store.snapshot();
        let info = BlockInfo {
            height: self.height,
            time: BlockTime {
                seconds: 1_700_000_000 + self.height as i64 * 6,
                nanos: 0,
            },
            chain_id: "kumo-bench".into(),
        };
        let mut writes = WriteSet::new();
        {
            let mut ctx = Ctx::new(
                &base,
                &mut writes,
                &info,
                Mode::Deliver,
                GasMeter::unlimited(),
            );
            f(&mut ctx);
            ctx.finish();
        }
        let t1 = Instant::now();
        let prepared = self.store.prepare(self.height, writes).unwrap();
        let t2 = Instant::now();
        self.store.commit(prepared, vec![]).unwrap();
        BlockTimes {
            execute: t1 - t0,
            prepare: t2 - t1,
            commit: t2.elapsed(),
        }
    }

    /// Adds delegators `range`, each funded and delegating to one of the validators.
    fn add_delegators(&mut self, range: std::ops::Range<u32>) {
        let msgs: Vec<(Address, Any)> = range
            .map(|i| {
                let d = delegator(i);
                let m = MsgDelegate {
                    delegator_address: d.to_bech32(ACCOUNT_HRP),
                    validator_address: operator(i % VALIDATORS).to_bech32(VALOPER_HRP),
                    amount: Some(ProtoCoin {
                        denom: "uakt".into(),
                        amount: "1000000".into(),
                    }),
                };
                (
                    d,
                    Any {
                        type_url: MsgDelegate::type_url(),
                        value: m.encode_to_vec(),
                    },
                )
            })
            .collect();
        for chunk in msgs.chunks(5_000) {
            self.block(|ctx| {
                for (d, any) in chunk {
                    kumo_app::bank::state::mint(ctx, d, &[Coin::new("uakt", 2_000_000)]).unwrap();
                    Msg::from_any(any).unwrap().execute(ctx).unwrap();
                }
            });
        }
    }

    /// One committed block of begin + end block work, every validator voting, with fees.
    fn economy_block(&mut self) -> BlockTimes {
        let votes: Vec<VoteInfo> = (0..VALIDATORS)
            .map(|i| VoteInfo {
                validator_address: cons_address(&consensus_key(i)).to_vec(),
                power: 0,
                signed: true,
            })
            .collect();
        let height = self.height + 1;
        self.block(|ctx| {
            let collector = kumo_app::auth::module_address(kumo_app::auth::FEE_COLLECTOR);
            kumo_app::bank::state::mint(ctx, &collector, &[Coin::new("uakt", 123_457)]).unwrap();
            let req = FinalizeBlockRequest {
                height,
                decided_last_commit: votes,
                ..Default::default()
            };
            kumo_app::economy::begin_block(ctx, &req).unwrap();
            kumo_app::economy::end_block(ctx).unwrap();
        })
    }
}

/// The median of each phase over `runs` blocks.
fn measure(chain: &mut Chain, runs: usize) -> BlockTimes {
    let blocks: Vec<BlockTimes> = (0..runs).map(|_| chain.economy_block()).collect();
    let median = |f: fn(&BlockTimes) -> Duration| {
        let mut v: Vec<Duration> = blocks.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    BlockTimes {
        execute: median(|b| b.execute),
        prepare: median(|b| b.prepare),
        commit: median(|b| b.commit),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let big: u32 = if quick { 10_000 } else { 100_000 };
    let runs = 9;
    let mut chain = Chain::new();
    chain.add_delegators(0..1_000);
    chain.economy_block();
    let small = measure(&mut chain, runs);
    let t = Instant::now();
    chain.add_delegators(1_000..big);
    let setup = t.elapsed();
    chain.economy_block();
    let large = measure(&mut chain, runs);
    println!(
        "economy block with {VALIDATORS} validators (mint, fee allocation to {VALIDATORS} voters, liveness, \
         validator set), on-disk store, medians of {runs} blocks:"
    );
    println!("  delegators   begin+end block   Merkle update   durable commit      total");
    for (n, b) in [(1_000, small), (big, large)] {
        println!(
            "  {n:>10}   {:>12.3} ms   {:>10.3} ms   {:>11.3} ms   {:>8.3} ms",
            ms(b.execute),
            ms(b.prepare),
            ms(b.commit),
            ms(b.total())
        );
    }
    println!(
        "  (delegating {} more took {:.1} s)",
        big - 1_000,
        setup.as_secs_f64()
    );
}
