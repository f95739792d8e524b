//! Commit throughput of a file-backed store.
//!
//! `cargo bench -p kumo-store --bench commit` (plain `main`, no harness). For each block size
//! (1k / 10k / 20k keys) a fresh store in a temp dir is first filled with a base state, then a
//! series of blocks is prepared and committed, each updating existing keys (like bank sends
//! moving balances between a large set of accounts) plus a few new keys. Prints median and worst
//! prepare+commit time per block, keys/s, and latest-height read latency. Then a long chain of
//! small blocks, each also writing one key that every block writes (like a module's totals),
//! and the latency of reads at past heights, of that key and of ordinary accounts.

use std::time::{Duration, Instant};

use kumo_store::{AuxWrite, Store, StoreOptions, WriteSet};

/// splitmix64: deterministic pseudo-random numbers without extra dependencies.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const ACCOUNTS: u64 = 200_000;

fn account_key(i: u64) -> Vec<u8> {
    // bank balance key shape: prefix, 20-byte address, denom
    let mut k = vec![0x02, 20];
    k.extend_from_slice(&[0u8; 12]);
    k.extend_from_slice(&i.to_be_bytes());
    k.extend_from_slice(b"uakt");
    k
}

fn balance(rng: &mut Rng) -> Vec<u8> {
    format!("{}", rng.next() % 1_000_000_000).into_bytes()
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn bench_size(keys_per_block: usize, blocks: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("state.redb"), StoreOptions::default()).expect("open");
    let mut rng = Rng(keys_per_block as u64);

    // Base state: every account exists, written in blocks of 50k.
    let mut h = 0;
    let mut next = 0;
    while next < ACCOUNTS {
        let mut w = WriteSet::new();
        for i in next..(next + 50_000).min(ACCOUNTS) {
            w.insert(account_key(i), Some(balance(&mut rng)));
        }
        next += 50_000;
        h += 1;
        let p = store.prepare(h, w).expect("prepare");
        store.commit(p, vec![]).expect("commit");
    }

    let mut prepare_t = Vec::new();
    let mut commit_t = Vec::new();
    let mut total_t = Vec::new();
    for _ in 0..blocks {
        let mut w = WriteSet::new();
        while w.len() < keys_per_block {
            // 95% updates of existing accounts, 5% new accounts
            let i = if rng.next() % 20 == 0 {
                ACCOUNTS + rng.next() % 10_000_000
            } else {
                rng.next() % ACCOUNTS
            };
            w.insert(account_key(i), Some(balance(&mut rng)));
        }
        h += 1;
        let aux = vec![AuxWrite {
            table: "blocks",
            key: h.to_be_bytes().to_vec(),
            value: Some(vec![0xAB; 512]),
        }];
        let t0 = Instant::now();
        let p = store.prepare(h, w).expect("prepare");
        let t1 = Instant::now();
        store.commit(p, aux).expect("commit");
        let t2 = Instant::now();
        prepare_t.push(t1 - t0);
        commit_t.push(t2 - t1);
        total_t.push(t2 - t0);
    }
    let worst = *total_t.iter().max().expect("blocks > 0");
    let med = median(&mut total_t);
    let keys_per_s = keys_per_block as f64 / med.as_secs_f64();

    // Point reads at the latest height.
    let snap = store.snapshot();
    let reads = 20_000;
    let t0 = Instant::now();
    let mut found = 0;
    for _ in 0..reads {
        if snap
            .get(&account_key(rng.next() % ACCOUNTS))
            .expect("get")
            .is_some()
        {
            found += 1;
        }
    }
    let read_us = t0.elapsed().as_secs_f64() * 1e6 / reads as f64;
    assert_eq!(found, reads);

    println!(
        "{:>6} keys/block: median {:>8.1} ms (prepare {:>7.1} ms, commit {:>7.1} ms), worst {:>8.1} ms, {:>9.0} keys/s; get {:>5.2} us",
        keys_per_block,
        med.as_secs_f64() * 1e3,
        median(&mut prepare_t).as_secs_f64() * 1e3,
        median(&mut commit_t).as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3,
        keys_per_s,
        read_us,
    );
}

/// `blocks` blocks of 100 account writes plus one key written in every block, then point reads
/// at random past heights.
fn bench_past_reads(blocks: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("state.redb"), StoreOptions::default()).expect("open");
    let mut rng = Rng(7);
    let hot = b"distribution/fee_pool".to_vec();
    let t0 = Instant::now();
    for h in 1..=blocks {
        let mut w = WriteSet::new();
        for _ in 0..100 {
            w.insert(account_key(rng.next() % 20_000), Some(balance(&mut rng)));
        }
        w.insert(hot.clone(), Some(h.to_be_bytes().to_vec()));
        let p = store.prepare(h, w).expect("prepare");
        store.commit(p, vec![]).expect("commit");
    }
    let build = t0.elapsed();
    let reads = 2_000;
    let (mut hot_t, mut cold_t) = (Vec::new(), Vec::new());
    for _ in 0..reads {
        let at = 1 + rng.next() % blocks;
        let snap = store.snapshot_at(at).expect("retained height");
        let t = Instant::now();
        let v = snap.get(&hot).expect("get");
        hot_t.push(t.elapsed());
        assert_eq!(v, Some(at.to_be_bytes().to_vec()));
        let t = Instant::now();
        snap.get(&account_key(rng.next() % 20_000)).expect("get");
        cold_t.push(t.elapsed());
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "past reads over {blocks} blocks ({:.1} s to build): key written every block median {:.2} us, worst {:.1} us; accounts median {:.2} us",
        build.as_secs_f64(),
        us(median(&mut hot_t)),
        us(*hot_t.iter().max().expect("reads > 0")),
        us(median(&mut cold_t)),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, so keep it quick
    // when not benchmarking.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let blocks = if benchmarking { 15 } else { 2 };
    println!("kumo-store commit benchmark (file-backed, {ACCOUNTS} accounts of base state, {blocks} blocks per size)");
    for size in [1_000, 10_000, 20_000] {
        bench_size(size, blocks);
    }
    bench_past_reads(if benchmarking { 5_000 } else { 200 });
}
