//! Crash safety: a child process commits blocks in a loop and is killed with SIGKILL at a random
//! moment; the reopened store must be exactly at some committed height, with the app hash,
//! values and aux records of that height (recomputed deterministically from the height).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kumo_store::{AuxWrite, Store, StoreOptions, WriteSet};

const CHILD_ENV: &str = "KUMO_STORE_CRASH_CHILD_DB";
const CHILD_TEST: &str = "crash_child_process";
const KEYSPACE: u64 = 3_000;

/// The block committed at height `h`: ~400 writes over a 3k key space, some of them deletes.
fn block(h: u64) -> WriteSet {
    let mut w = WriteSet::new();
    for i in 0..400u64 {
        let k = (h.wrapping_mul(2_654_435_761) + i * 7_919) % KEYSPACE;
        let key = format!("acct/{k:05}").into_bytes();
        let value = if (h * 31 + i) % 11 == 0 {
            None
        } else {
            Some(format!("h{h}:i{i}:{}", "x".repeat((i % 50) as usize)).into_bytes())
        };
        w.insert(key, value);
    }
    w
}

fn aux_for(h: u64) -> Vec<AuxWrite> {
    vec![AuxWrite {
        table: "blocks",
        key: h.to_be_bytes().to_vec(),
        value: Some(format!("block {h}").into_bytes()),
    }]
}

/// Child side: commit blocks forever, reporting each committed height on stdout.
#[test]
#[ignore = "helper process for crash_safety_under_sigkill; does nothing without its env var"]
fn crash_child_process() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        eprintln!(
            "{CHILD_ENV} not set; this test only runs as a child of crash_safety_under_sigkill"
        );
        return;
    };
    let store = Store::open(
        Path::new(&path),
        StoreOptions {
            retention: 20,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    println!("opened {}", store.last_commit().height);
    loop {
        let h = store.last_commit().height + 1;
        let p = store.prepare(h, block(h)).unwrap();
        store.commit(p, aux_for(h)).unwrap();
        println!("committed {h}");
    }
}

/// Time-seeded randomness for the kill moment (the test is about arbitrary moments).
fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut z = nanos ^ (std::process::id() as u64).rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^ (z >> 31)
}

#[test]
fn crash_safety_under_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("node/state.redb");
    let exe = std::env::current_exe().unwrap();
    let mut rng = seed();
    println!("crash test seed {rng}");
    let reference = Store::in_memory(StoreOptions {
        retention: 0,
        ..StoreOptions::default()
    })
    .unwrap();

    for round in 0..4 {
        let mut child = Command::new(&exe)
            .args([
                CHILD_TEST,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // Wait until the child has committed a few blocks, then kill it at a random moment.
        let (tx, rx) = std::sync::mpsc::channel::<u64>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(h) = line.strip_prefix("committed ") {
                    if tx.send(h.trim().parse().unwrap()).is_err() {
                        break;
                    }
                }
            }
        });
        let started = Instant::now();
        let mut last_reported = 0;
        let mut seen = 0;
        while seen < 3 {
            match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(h) => {
                    last_reported = h;
                    seen += 1;
                }
                Err(e) => {
                    let _ = child.kill();
                    panic!(
                        "child made no progress in round {round} after {:?}: {e}",
                        started.elapsed()
                    );
                }
            }
        }
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = Duration::from_micros((rng >> 33) % 400_000);
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // The pipe closes when the child dies; collect every report it got out.
        reader.join().unwrap();
        while let Ok(h) = rx.try_recv() {
            last_reported = h;
        }

        // Reopen: the store must be at a committed height at least as new as the last one the
        // child saw acknowledged (a commit may have become durable just before the report).
        let store = Store::open(
            &db,
            StoreOptions {
                retention: 20,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let info = store.last_commit();
        println!("round {round}: killed after {delay:?}; last acknowledged {last_reported}, reopened at {}", info.height);
        assert!(
            info.height == last_reported || info.height == last_reported + 1,
            "reopened at {} but child acknowledged {last_reported}",
            info.height
        );
        // Replay the deterministic blocks into the reference store up to that height.
        while reference.last_commit().height < info.height {
            let h = reference.last_commit().height + 1;
            let p = reference.prepare(h, block(h)).unwrap();
            reference.commit(p, vec![]).unwrap();
        }
        assert_eq!(
            info,
            reference.last_commit(),
            "app hash after crash in round {round}"
        );
        let got = store.snapshot().prefix(b"", None, usize::MAX).unwrap();
        let want = reference.snapshot().prefix(b"", None, usize::MAX).unwrap();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "state after crash differs in round {round}");
        // Aux records are committed atomically with the state.
        let last_block = store.aux_range("blocks", b"", None, true, 1).unwrap();
        assert_eq!(
            last_block,
            vec![(
                info.height.to_be_bytes().to_vec(),
                format!("block {}", info.height).into_bytes()
            )]
        );
        let earliest = store.earliest_height();
        for h in earliest.max(1)..=info.height {
            assert_eq!(
                store
                    .snapshot_at(h)
                    .unwrap()
                    .prefix(b"acct/0", None, usize::MAX)
                    .unwrap(),
                reference
                    .snapshot_at(h)
                    .unwrap()
                    .prefix(b"acct/0", None, usize::MAX)
                    .unwrap(),
                "history at {h}"
            );
        }
        drop(store);
    }
}
