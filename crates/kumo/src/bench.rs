//! `kumo bench`: throughput figures for signed bank sends.
//!
//! `apply` drives the real node pipeline (CheckTx -> FinalizeBlock -> Commit, with block
//! storage, and the tx index follower, which a run waits for) in-process, on an in-memory and
//! an on-disk store, and breaks the time down. `rpc` measures a running node from
//! `broadcast_tx_sync` to committed blocks.

use crate::{Globals, Output};
use anyhow::{bail, Context, Result};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{Input, Output as BankOutput};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{MsgMultiSend, MsgSend};
use kumo_app::abci::BlockTime;
use kumo_app::genesis::Genesis;
use kumo_client::tx::to_any;
use kumo_client::{Coin, RpcClient, TxBuilder};
use kumo_crypto::PrivKey;
use kumo_node::home::{Ed25519Key, NodeConfig};
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::Node;
use kumo_store::{IndexStore, Store, StoreOptions};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

pub(crate) const CHAIN: &str = "kumo-bench";

#[derive(clap::Args, Debug)]
pub struct ApplyArgs {
    /// Txs per block (each from a different account).
    #[arg(long, default_value_t = 2000)]
    pub block_txs: usize,
    /// Blocks per run.
    #[arg(long, default_value_t = 5)]
    pub blocks: usize,
    /// Runs per store kind; the median run is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Only this store kind (default: both).
    #[arg(long, value_parser = ["memory", "disk"])]
    pub store: Option<String>,
    /// Only this mode (default: both): `serial` checks a block's txs, then runs the block;
    /// `pipelined` checks the next block's txs while the current one runs.
    #[arg(long, value_parser = ["serial", "pipelined"])]
    pub mode: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct RpcArgs {
    /// CometBFT RPC endpoint of a running devnet.
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    pub node: String,
    /// Key (test keyring under --home) that funds the bench accounts.
    #[arg(long, default_value = "alice")]
    pub from: String,
    /// Txs to send.
    #[arg(long, default_value_t = 5000)]
    pub txs: usize,
    /// Sending threads (each owns its accounts).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// More RPC endpoints of the same network (e.g. every node of `kumo testnet`): the sending
    /// threads are spread over --node and these, so txs enter through every node and reach
    /// the proposer by gossip.
    #[arg(long, value_delimiter = ',')]
    pub also: Vec<String>,
    /// Send at this many tx/s in all (0: as fast as the node admits them). A paced run
    /// measures a sustained load; an unpaced one, a burst.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
}

/// The `p`-th percentile (0-100) of sorted durations.
pub(crate) fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// A deterministic key per index, so runs are comparable.
pub(crate) fn bench_key(i: usize) -> PrivKey {
    let seed: [u8; 32] = Sha256::digest(format!("kumo-bench-{i}")).into();
    PrivKey::from_bytes(&seed)
        .expect("a sha256 output is a valid key with overwhelming probability")
}

pub(crate) fn send_tx(key: &PrivKey, to: &str, number: u64, sequence: u64, chain: &str) -> Vec<u8> {
    let msg = MsgSend {
        from_address: key.address().to_string(),
        to_address: to.to_string(),
        amount: vec![Coin {
            denom: "uakt".into(),
            amount: "1".into(),
        }],
    };
    TxBuilder::new(chain, number, sequence)
        .msg(to_any(&msg))
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: "2500".into(),
        }])
        .gas_limit(100_000)
        .sign(key)
        .tx_bytes
}

/// A node of chain [`CHAIN`] whose genesis gives every key 1,000,000 AKT, its mempool holding
/// `mempool_txs`, with its genesis block produced (height 1, time 1 s).
pub(crate) fn funded_node(
    keys: &[PrivKey],
    mempool_txs: usize,
    (store, index): (Store, IndexStore),
) -> Result<Node> {
    let mut genesis = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    for k in keys {
        genesis
            .add_account(
                &k.address().to_string(),
                &[kumo_app::coins::Coin::new("uakt", 1_000_000_000_000)],
            )
            .map_err(anyhow::Error::msg)?;
    }
    let mut cfg = NodeConfig::new(CHAIN, "bench");
    cfg.mempool_max_txs = mempool_txs;
    let node = Node::with_stores(
        cfg,
        &genesis.to_json(),
        Ed25519Key::generate(),
        &Ed25519Key::generate(),
        store,
        index,
    )?;
    node.produce_block_at(BlockTime {
        seconds: 1,
        nanos: 0,
    })?; // genesis block
    Ok(node)
}

struct RunFigures {
    total: Duration,
    parts: kumo_node::node::BlockTimings,
    /// Wall time of the CheckTx phases (overlapping block execution when pipelined).
    check: Duration,
    /// Wall time of `produce_block` calls (FinalizeBlock, writes, Commit, mempool re-check).
    finalize_commit: Duration,
    txs: usize,
}

/// CheckTx for one block's txs from as many threads as there are cores, the way RPC threads
/// call it (plain threads, not the rayon pool that FinalizeBlock uses).
pub(crate) fn check_block(node: &Node, txs: Vec<Vec<u8>>, b: usize) -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = txs.len().div_ceil(threads).max(1);
    let mut txs = txs;
    let mut parts = Vec::new();
    while !txs.is_empty() {
        let rest = txs.split_off(chunk.min(txs.len()));
        parts.push(std::mem::replace(&mut txs, rest));
    }
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    part.into_iter()
                        .filter_map(|tx| {
                            let r = node.check_tx(tx).expect("mempool has room");
                            (r.code != 0).then_some(r.log)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("check thread"))
            .collect()
    });
    if let Some(f) = failures.first() {
        bail!("CheckTx refused {} txs in block {b}: {f}", failures.len());
    }
    Ok(())
}

pub(crate) fn check_applied(
    node: &Node,
    block: &kumo_node::types::StoredBlock,
    want: usize,
) -> Result<()> {
    let results = node
        .block_results(block.block.header.height)
        .context("results stored")?;
    if let Some(bad) = results.tx_results.iter().find(|r| r.code != 0) {
        bail!("a bench tx failed in block: {}", bad.log);
    }
    if block.num_txs as usize != want {
        bail!("block carried {} txs, expected {want}", block.num_txs);
    }
    Ok(())
}

/// Runs `a.blocks` blocks of one send per key. Serial: each block's CheckTx, then the block.
/// Pipelined: the next block's CheckTx runs while the current block executes and commits, as
/// RPC threads keep admitting txs on a live node; each block still holds exactly one block's txs.
fn run_apply(
    a: &ApplyArgs,
    stores: (Store, IndexStore),
    keys: &[PrivKey],
    numbers: &[u64],
    pipelined: bool,
) -> Result<RunFigures> {
    let node = funded_node(keys, a.block_txs * 2, stores)?;
    let receiver = bench_key(usize::MAX).address().to_string();
    let blocks: Vec<Vec<Vec<u8>>> = (0..a.blocks)
        .map(|b| {
            keys.par_iter()
                .zip(numbers)
                .map(|(k, n)| send_tx(k, &receiver, *n, b as u64, CHAIN))
                .collect()
        })
        .collect();
    let (mut check, mut fc) = (Duration::ZERO, Duration::ZERO);
    let mut parts = kumo_node::node::BlockTimings::default();
    let mut add_parts = |p: kumo_node::node::BlockTimings| {
        parts.finalize += p.finalize;
        parts.index += p.index;
        parts.commit += p.commit;
        parts.recheck += p.recheck;
    };
    let time = |b: usize| BlockTime {
        seconds: 2 + b as i64,
        nanos: 0,
    };
    // Blocks are checked (every tx applied, none failed) after the clock stops: reading the
    // results back is the bench's work, not the node's.
    let mut produced_blocks = Vec::with_capacity(a.blocks);
    let start = Instant::now();
    if !pipelined {
        for (b, txs) in blocks.into_iter().enumerate() {
            let t = Instant::now();
            check_block(&node, txs, b)?;
            check += t.elapsed();
            let t = Instant::now();
            let block = node.produce_block_at(time(b))?;
            fc += t.elapsed();
            add_parts(node.last_block_timings());
            produced_blocks.push(block);
        }
    } else {
        let mut blocks = blocks.into_iter();
        let t = Instant::now();
        check_block(&node, blocks.next().context("at least one block")?, 0)?;
        check += t.elapsed();
        for b in 0..a.blocks {
            let next = blocks.next();
            let (reaped_tx, reaped_rx) = std::sync::mpsc::channel::<()>();
            let (produced, produce_time, checked) = std::thread::scope(|s| {
                let producer = s.spawn(|| {
                    let t = Instant::now();
                    let r = node.produce_block_then(time(b), move || {
                        let _ = reaped_tx.send(());
                    });
                    (r, t.elapsed())
                });
                let checked = next.map(|txs| {
                    // A producer that fails before reaping drops the sender: stop waiting.
                    let _ = reaped_rx.recv();
                    let t = Instant::now();
                    (check_block(&node, txs, b + 1), t.elapsed())
                });
                let (r, d) = producer.join().expect("block producer thread");
                (r, d, checked)
            });
            let block = produced?;
            fc += produce_time;
            add_parts(node.last_block_timings());
            produced_blocks.push(block);
            if let Some((r, d)) = checked {
                r?;
                check += d;
            }
        }
    }
    // The tx index follows the blocks on its own thread; the run ends when it has caught up.
    if !node.wait_indexed(Duration::from_secs(60)) {
        bail!("the tx index did not catch up with the blocks");
    }
    let total = start.elapsed();
    for block in &produced_blocks {
        check_applied(&node, block, keys.len())?;
    }
    Ok(RunFigures {
        total,
        parts,
        check,
        finalize_commit: fc,
        txs: a.blocks * keys.len(),
    })
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

pub fn apply(g: &Globals, a: ApplyArgs) -> Result<()> {
    if a.block_txs == 0 || a.blocks == 0 || a.runs == 0 {
        bail!("--block-txs, --blocks and --runs must be positive");
    }
    eprintln!("preparing {} accounts ...", a.block_txs);
    let keys: Vec<PrivKey> = (0..a.block_txs).into_par_iter().map(bench_key).collect();
    // Genesis assigns account numbers in insertion order.
    let numbers: Vec<u64> = (0..keys.len() as u64).collect();

    // Where the time goes: the per-tx cost of each step on its own, one core.
    let sample: Vec<Vec<u8>> = keys
        .iter()
        .take(500)
        .map(|k| send_tx(k, &k.address().to_string(), 0, 0, CHAIN))
        .collect();
    let t = Instant::now();
    let decoded: Vec<_> = sample
        .iter()
        .map(|t| kumo_app::tx::decode_tx(t).expect("decodes"))
        .collect();
    let decode_us = t.elapsed().as_secs_f64() * 1e6 / sample.len() as f64;
    let t = Instant::now();
    for (d, k) in decoded.iter().zip(&keys) {
        assert!(
            k.pubkey()
                .verify(&d.sign_bytes(CHAIN, 0), &d.raw.signatures[0]),
            "bench signature verifies"
        );
    }
    let verify_us = t.elapsed().as_secs_f64() * 1e6 / sample.len() as f64;

    let mut report = serde_json::Map::new();
    for (disk, pipelined) in [(false, false), (false, true), (true, false), (true, true)] {
        let store_kind = if disk { "disk" } else { "memory" };
        let mode = if pipelined { "pipelined" } else { "serial" };
        if a.store.as_deref().is_some_and(|s| s != store_kind)
            || a.mode.as_deref().is_some_and(|m| m != mode)
        {
            continue;
        }
        let mut rates = Vec::new();
        let mut last = None;
        for run in 0..a.runs {
            let dir = tempfile::tempdir()?;
            let stores = if disk {
                (
                    Store::open(&dir.path().join("bench.redb"), StoreOptions::default())?,
                    IndexStore::open(&dir.path().join("index.redb"))?,
                )
            } else {
                (
                    Store::in_memory(StoreOptions::default())?,
                    IndexStore::in_memory()?,
                )
            };
            let f = run_apply(&a, stores, &keys, &numbers, pipelined)?;
            let rate = f.txs as f64 / f.total.as_secs_f64();
            eprintln!(
                "  {store_kind} {mode} run {}: {} txs in {:.2}s = {:.0} tx/s (CheckTx {:.2}s, blocks {:.2}s)",
                run + 1,
                f.txs,
                f.total.as_secs_f64(),
                rate,
                f.check.as_secs_f64(),
                f.finalize_commit.as_secs_f64()
            );
            rates.push(rate);
            last = Some(f);
        }
        let f = last.expect("at least one run");
        let m = median(rates.clone());
        let us = |d: Duration| (d.as_secs_f64() * 1e6 / f.txs as f64).round();
        report.insert(
            format!("{store_kind}_{mode}"),
            serde_json::json!({
                "median_tx_per_s": m.round(),
                "runs_tx_per_s": rates.iter().map(|r| r.round()).collect::<Vec<_>>(),
                "check_tx_us_per_tx": us(f.check),
                "blocks_us_per_tx": us(f.finalize_commit),
                "finalize_us_per_tx": us(f.parts.finalize),
                "index_us_per_tx": us(f.parts.index),
                "store_commit_us_per_tx": us(f.parts.commit),
                "recheck_us_per_tx": us(f.parts.recheck),
            }),
        );
        if g.output == Output::Text {
            println!(
                "apply ({store_kind} store, {mode}): median {m:.0} tx/s over {} runs of {} blocks x {} txs",
                a.runs, a.blocks, a.block_txs
            );
            println!(
                "  per tx (wall): CheckTx {:.0} us{}, blocks {:.0} us",
                us(f.check),
                if pipelined {
                    " (overlapping the blocks)"
                } else {
                    ""
                },
                us(f.finalize_commit),
            );
            println!(
                "    blocks = FinalizeBlock (decode, signatures, execution, JMT update) {:.0} us \
                 + block writes {:.0} us + store commit {:.0} us + mempool re-check {:.0} us",
                us(f.parts.finalize),
                us(f.parts.index),
                us(f.parts.commit),
                us(f.parts.recheck)
            );
        }
    }
    report.insert(
        "decode_us_per_tx".into(),
        serde_json::json!((decode_us * 10.0).round() / 10.0),
    );
    report.insert(
        "secp256k1_verify_us_per_sig".into(),
        serde_json::json!((verify_us * 10.0).round() / 10.0),
    );
    match g.output {
        Output::Json => println!("{}", serde_json::Value::Object(report)),
        Output::Text => println!(
            "single-core costs: decode {decode_us:.1} us/tx, secp256k1 verify {verify_us:.1} us/signature"
        ),
    }
    Ok(())
}

pub fn rpc(g: &Globals, a: RpcArgs) -> Result<()> {
    if a.txs == 0 || a.concurrency == 0 {
        bail!("--txs and --concurrency must be positive");
    }
    let client = RpcClient::new(&a.node);
    let status = client
        .status()
        .with_context(|| format!("cannot reach {}", a.node))?;
    let chain = status.chain_id.clone();
    let keyring =
        kumo_crypto::keyring::Keyring::open(&g.home, kumo_crypto::keyring::Backend::Test)?;
    let funder = keyring
        .signer(&a.from, None)
        .with_context(|| format!("key {:?} in the test keyring", a.from))?;
    let accounts = a.concurrency.min(a.txs);
    let per_account = a.txs.div_ceil(accounts) as u64;
    let run_tag = status.latest_height;
    let keys: Vec<PrivKey> = (0..accounts)
        .map(|i| bench_key(1_000_000 + run_tag as usize * 1000 + i))
        .collect();

    // Fund the senders with one MultiSend from `from`.
    let fund = 10_000 * per_account as u128;
    let funder_addr = funder.address().to_string();
    let acc = client
        .account(&funder_addr)?
        .context("funding account does not exist")?;
    let msg = MsgMultiSend {
        inputs: vec![Input {
            address: funder_addr.clone(),
            coins: vec![Coin {
                denom: "uakt".into(),
                amount: (fund * accounts as u128).to_string(),
            }],
        }],
        outputs: keys
            .iter()
            .map(|k| BankOutput {
                address: k.address().to_string(),
                coins: vec![Coin {
                    denom: "uakt".into(),
                    amount: fund.to_string(),
                }],
            })
            .collect(),
    };
    let fund_tx = TxBuilder::new(&chain, acc.account_number, acc.sequence)
        .msg(to_any(&msg))
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: "200000".into(),
        }])
        .gas_limit(8_000_000)
        .sign(&funder);
    let r = client.broadcast_tx_sync(&fund_tx.tx_bytes)?;
    if r.code != 0 {
        bail!("funding tx refused: {}", r.log);
    }
    let included = client.wait_for_tx(&fund_tx.hash, Duration::from_secs(30))?;
    if included.code != 0 {
        bail!("funding tx failed: {}", included.log);
    }

    // Pre-sign everything, then send.
    let mut plans = Vec::new();
    for k in &keys {
        let acc = client
            .account(&k.address().to_string())?
            .context("funded account exists")?;
        let txs: Vec<Vec<u8>> = (0..per_account)
            .map(|s| send_tx(k, &funder_addr, acc.account_number, s, &chain))
            .collect();
        plans.push(txs);
    }
    let total: usize = plans.iter().map(|p| p.len()).sum();
    let nodes: Vec<String> = std::iter::once(a.node.clone())
        .chain(a.also.iter().cloned())
        .collect();
    // Each thread's share of the rate: one tx every `gap`.
    let senders = plans.len();
    let gap = (a.rate > 0).then(|| Duration::from_secs_f64(senders as f64 / a.rate as f64));
    let start_height = client.status()?.latest_height;
    let t0 = Instant::now();
    // A watcher notes when each block is first seen committed (polled every 20 ms), while
    // the senders send; it stops once it has seen `total` txs or after 120 s without them.
    let watcher_client = RpcClient::new(&a.node);
    let (results, watched): (Vec<(usize, Vec<([u8; 32], Instant)>)>, Result<_>) =
        std::thread::scope(|s| {
            let watcher = s.spawn(move || -> Result<(std::collections::HashMap<[u8; 32], Instant>, Option<Duration>)> {
            let mut seen = std::collections::HashMap::with_capacity(total);
            let mut height = start_height;
            let deadline = Instant::now() + Duration::from_secs(120);
            while Instant::now() < deadline {
                let latest = watcher_client.status()?.latest_height;
                while height < latest {
                    height += 1;
                    let at = Instant::now();
                    for tx in watcher_client.block(Some(height))?.txs {
                        seen.insert(kumo_crypto::tx_hash(&tx), at);
                    }
                }
                if seen.len() >= total {
                    return Ok((seen, Some(t0.elapsed())));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok((seen, None))
        });
            let handles: Vec<_> = plans
                .iter()
                .enumerate()
                .map(|(i, txs)| {
                    let node = nodes[i % nodes.len()].clone();
                    s.spawn(move || {
                        let c = RpcClient::new(&node);
                        let mut refused = 0;
                        let mut sent = Vec::with_capacity(txs.len());
                        for (n, tx) in txs.iter().enumerate() {
                            if let Some(gap) = gap {
                                let due = t0 + gap.mul_f64(n as f64 + i as f64 / senders as f64);
                                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                                    std::thread::sleep(wait);
                                }
                            }
                            match c.broadcast_tx_sync(tx) {
                                Ok(r) if r.code == 0 => {
                                    sent.push((kumo_crypto::tx_hash(tx), Instant::now()))
                                }
                                _ => refused += 1,
                            }
                        }
                        (refused, sent)
                    })
                })
                .collect();
            let sent = handles
                .into_iter()
                .map(|h| h.join().expect("sender thread"))
                .collect();
            (sent, watcher.join().expect("watcher thread"))
        });
    let sent_in = results
        .iter()
        .flat_map(|(_, s)| s.iter().map(|(_, at)| *at))
        .max()
        .map_or(Duration::ZERO, |last| last.duration_since(t0));
    let refused: usize = results.iter().map(|(r, _)| r).sum();
    if refused > 0 {
        bail!("{refused} of {total} txs were refused at broadcast");
    }
    let sent_at: std::collections::HashMap<[u8; 32], Instant> =
        results.into_iter().flat_map(|(_, s)| s).collect();
    // A tx's latency runs from its broadcast to the moment its block was seen committed.
    let (seen, done_at) = watched?;
    let mut latencies: Vec<Duration> = sent_at
        .iter()
        .filter_map(|(hash, at)| Some(seen.get(hash)?.saturating_duration_since(*at)))
        .collect();
    let committed = latencies.len();
    let Some(done) = done_at.filter(|_| committed >= total) else {
        bail!("only {committed} of {total} txs committed within 120 s")
    };
    latencies.sort();
    let (p50, p95) = (percentile(&latencies, 50), percentile(&latencies, 95));
    let rate = total as f64 / done.as_secs_f64();
    match g.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({"txs": total, "broadcast_s": sent_in.as_secs_f64(), "committed_s": done.as_secs_f64(),
                "tx_per_s": rate.round(), "latency_p50_ms": p50.as_millis(), "latency_p95_ms": p95.as_millis(),
                "nodes": nodes.len()})
        ),
        Output::Text => println!(
            "rpc: {total} txs broadcast in {:.2}s through {} node(s), all committed after {:.2}s: {rate:.0} tx/s end-to-end ({} senders); broadcast to committed block p50 {} ms, p95 {} ms",
            sent_in.as_secs_f64(),
            nodes.len(),
            done.as_secs_f64(),
            accounts,
            p50.as_millis(),
            p95.as_millis()
        ),
    }
    Ok(())
}
