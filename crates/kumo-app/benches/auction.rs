//! The reverse auction's throughput and the cost of a block as open leases grow.
//!
//! `cargo bench -p kumo-app --bench auction` (add `-- --quick` for a smaller run). Messages go
//! through decode + ValidateBasic + execution on a `Ctx` over an in-memory `Store`; each block
//! is committed (JMT app hash included). Prints the median of several runs.
//!
//! 1. With 1,000 open leases settling (withdrawn in the measured blocks): orders (deployments
//!    with one group), bids and leases applied per second.
//! 2. A block of the same 200 transactions (100 withdrawals of existing leases, 50 bids,
//!    50 leases) with 1,000 and with 100,000 open leases: nothing runs per block over all
//!    leases, so the cost must not grow with the number of leases.

use cosmos_sdk_proto::cosmos::base::v1beta1::{Coin as ProtoCoin, DecCoin};
use cosmos_sdk_proto::Any;
use kumo_app::abci::BlockTime;
use kumo_app::coins::Coin;
use kumo_app::ctx::{BlockInfo, Ctx, Mode};
use kumo_app::gas::GasMeter;
use kumo_app::genesis::Genesis;
use kumo_app::msgs::Msg;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::base::resources::v1beta4::{Cpu, Memory, ResourceValue, Resources, Storage};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::math::DEC_ONE;
use kumo_store::{Store, StoreOptions, WriteSet};
use prost::{Message, Name};
use std::time::{Duration, Instant};

const TENANT: Address = Address([1; 20]);
const PROVIDERS: u8 = 8;

fn provider(i: u64) -> Address {
    Address([10 + (i % PROVIDERS as u64) as u8; 20])
}

fn bech(a: Address) -> String {
    a.to_bech32(ACCOUNT_HRP)
}

fn any<M: Message + Name>(m: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: m.encode_to_vec(),
    }
}

fn deposit(amount: u128) -> Deposit {
    Deposit {
        amount: Some(ProtoCoin {
            denom: "uakt".into(),
            amount: amount.to_string(),
        }),
        sources: vec![Source::Balance as i32],
    }
}

fn rv(v: u64) -> Option<ResourceValue> {
    Some(ResourceValue {
        val: v.to_string().into_bytes(),
    })
}

fn create_deployment(dseq: u64) -> Any {
    any(&dv1b4::MsgCreateDeployment {
        id: Some(dv1::DeploymentId {
            owner: bech(TENANT),
            dseq,
        }),
        groups: vec![dv1b4::GroupSpec {
            name: "web".into(),
            requirements: Some(Default::default()),
            resources: vec![dv1b4::ResourceUnit {
                resource: Some(Resources {
                    id: 1,
                    cpu: Some(Cpu {
                        units: rv(500),
                        attributes: vec![],
                    }),
                    memory: Some(Memory {
                        quantity: rv(512 << 20),
                        attributes: vec![],
                    }),
                    storage: vec![Storage {
                        name: "default".into(),
                        quantity: rv(1 << 30),
                        attributes: vec![],
                    }],
                    gpu: None,
                    endpoints: vec![],
                }),
                count: 1,
                price: Some(DecCoin {
                    denom: "uakt".into(),
                    amount: (100 * DEC_ONE).to_string(),
                }),
            }],
        }],
        hash: vec![7; 32],
        deposit: Some(deposit(500_000)),
        reclamation: None,
    })
}

fn bid_id(dseq: u64) -> mv1::BidId {
    mv1::BidId {
        owner: bech(TENANT),
        dseq,
        gseq: 1,
        oseq: 1,
        provider: bech(provider(dseq)),
        bseq: 0,
    }
}

fn create_bid(dseq: u64) -> Any {
    any(&mv1b5::MsgCreateBid {
        id: Some(bid_id(dseq)),
        price: Some(DecCoin {
            denom: "uakt".into(),
            amount: (10 * DEC_ONE).to_string(),
        }),
        deposit: Some(deposit(500_000)),
        resources_offer: vec![],
        reclamation_window: None,
    })
}

fn create_lease(dseq: u64) -> Any {
    any(&mv1b5::MsgCreateLease {
        bid_id: Some(bid_id(dseq)),
    })
}

fn withdraw(dseq: u64) -> Any {
    let b = bid_id(dseq);
    any(&mv1b5::MsgWithdrawLease {
        id: Some(mv1::LeaseId {
            owner: b.owner,
            dseq: b.dseq,
            gseq: b.gseq,
            oseq: b.oseq,
            provider: b.provider,
            bseq: 0,
        }),
    })
}

struct Chain {
    store: Store,
    height: u64,
}

impl Chain {
    fn new() -> Chain {
        let mut g = Genesis::new("kumo-bench", "2026-01-01T00:00:00Z");
        g.add_account(&bech(TENANT), &[Coin::new("uakt", 1 << 100)])
            .unwrap();
        for p in 0..PROVIDERS as u64 {
            g.add_account(&bech(provider(p)), &[Coin::new("uakt", 1 << 100)])
                .unwrap();
        }
        let mut chain = Chain {
            store: Store::in_memory(StoreOptions::default()).unwrap(),
            height: 0,
        };
        let s = g.app_state;
        chain.block(|ctx| {
            kumo_app::auth::genesis::init(ctx, &s.auth).unwrap();
            kumo_app::bank::genesis::init(ctx, &s.bank).unwrap();
            kumo_app::take::genesis::init(ctx, &s.take).unwrap();
            kumo_app::distribution::genesis::init(ctx, &s.distribution).unwrap();
            kumo_app::escrow::genesis::init(ctx, &s.escrow).unwrap();
            kumo_app::deployment::genesis::init(ctx, &s.deployment).unwrap();
            kumo_app::market::genesis::init(ctx, &s.market).unwrap();
            for p in 0..PROVIDERS as u64 {
                kumo_app::provider::state::set(
                    ctx,
                    &provider(p),
                    &kumo_proto::akash::provider::v1beta4::Provider {
                        owner: bech(provider(p)),
                        host_uri: "https://p.example.com".into(),
                        attributes: vec![Attribute {
                            key: "region".into(),
                            value: "us".into(),
                        }],
                        info: None,
                    },
                )
                .unwrap();
            }
        });
        chain
    }

    /// Runs `f` as one block and commits it (writes, JMT, app hash).
    fn block(&mut self, f: impl FnOnce(&mut Ctx)) {
        self.height += 1;
        let base = self.store.snapshot();
        let info = BlockInfo {
            height: self.height,
            time: BlockTime {
                seconds: self.height as i64 * 6,
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
        let prepared = self.store.prepare(self.height, writes).unwrap();
        self.store.commit(prepared, vec![]).unwrap();
    }

    /// Applies msgs as txs of one block; every one must succeed.
    fn txs(&mut self, msgs: &[Any]) {
        self.block(|ctx| {
            for m in msgs {
                let msg = Msg::from_any(m).unwrap();
                ctx.push_layer();
                msg.execute(ctx)
                    .unwrap_or_else(|e| panic!("{}: {e}", m.type_url));
                ctx.commit_layer();
            }
        });
    }

    /// Opens leases for dseqs in `range`, `per_block` auctions per block.
    fn open_leases(&mut self, range: std::ops::Range<u64>, per_block: u64) {
        let mut start = range.start;
        while start < range.end {
            let end = (start + per_block).min(range.end);
            let mut msgs = Vec::new();
            for d in start..end {
                msgs.push(create_deployment(d));
                msgs.push(create_bid(d));
                msgs.push(create_lease(d));
            }
            self.txs(&msgs);
            start = end;
        }
    }
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 3 } else { 5 };
    let batch: u64 = if quick { 200 } else { 1000 };
    let big: u64 = if quick { 20_000 } else { 100_000 };

    // 1. Throughput with 1,000 open leases settling.
    let mut chain = Chain::new();
    chain.open_leases(1..1001, 500);
    let mut next = 1_000_000u64;
    let (mut orders, mut bids, mut leases, mut settles) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let range = next..next + batch;
        next += batch;
        let d: Vec<Any> = range.clone().map(create_deployment).collect();
        orders.push(time(|| chain.txs(&d)));
        let b: Vec<Any> = range.clone().map(create_bid).collect();
        bids.push(time(|| chain.txs(&b)));
        let l: Vec<Any> = range.clone().map(create_lease).collect();
        leases.push(time(|| chain.txs(&l)));
        let w: Vec<Any> = (1..1001).map(withdraw).collect();
        settles.push(time(|| chain.txs(&w)));
    }
    println!(
        "auction throughput with 1,000 open leases settling (median of {runs}, one block each):"
    );
    println!(
        "  orders (MsgCreateDeployment, 1 group):  {:>9.0}/s",
        per_sec(batch, median(orders))
    );
    println!(
        "  bids (MsgCreateBid):                    {:>9.0}/s",
        per_sec(batch, median(bids))
    );
    println!(
        "  leases (MsgCreateLease):                {:>9.0}/s",
        per_sec(batch, median(leases))
    );
    println!(
        "  lease settlements (MsgWithdrawLease):   {:>9.0}/s",
        per_sec(1000, median(settles))
    );

    // 2. The cost of the same block with 1,000 and with `big` open leases.
    let block_cost = |chain: &mut Chain, open: u64, next: &mut u64| {
        let mut costs = vec![];
        for r in 0..runs {
            let mut msgs: Vec<Any> = (0..100)
                .map(|i| withdraw(1 + (i * 7919 + r) % open))
                .collect();
            let fresh = *next..*next + 50;
            *next += 50;
            // The deployments are created in an untimed block first; the measured block
            // holds 100 withdrawals, 50 bids and 50 leases.
            chain.txs(&fresh.clone().map(create_deployment).collect::<Vec<_>>());
            msgs.extend(fresh.clone().map(create_bid));
            msgs.extend(fresh.map(create_lease));
            costs.push(time(|| chain.txs(&msgs)));
        }
        median(costs)
    };
    let mut small = Chain::new();
    small.open_leases(1..1001, 1000);
    let mut n = 5_000_000u64;
    let small_cost = block_cost(&mut small, 1000, &mut n);
    let mut large = Chain::new();
    let t = Instant::now();
    large.open_leases(1..big + 1, 2000);
    let setup = t.elapsed();
    let large_cost = block_cost(&mut large, big, &mut n);
    println!("block of 100 withdrawals + 50 bids + 50 leases, committed (median of {runs}):");
    println!(
        "  with   1,000 open leases: {:>8.2} ms",
        small_cost.as_secs_f64() * 1e3
    );
    println!(
        "  with {big:>7} open leases: {:>8.2} ms   (ratio {:.2}; setup of {big} auctions took {:.1} s)",
        large_cost.as_secs_f64() * 1e3,
        large_cost.as_secs_f64() / small_cost.as_secs_f64(),
        setup.as_secs_f64()
    );
}
