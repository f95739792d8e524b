//! Behaviour of the public API: determinism, history, restart, errors, aux tables, concurrency.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use kumo_store::{AuxWrite, CommitInfo, Store, StoreError, StoreOptions, WriteSet};

fn ws(items: &[(&[u8], Option<&[u8]>)]) -> WriteSet {
    items
        .iter()
        .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
        .collect()
}

fn commit(store: &Store, writes: WriteSet) -> CommitInfo {
    let h = store.last_commit().height + 1;
    let p = store.prepare(h, writes).unwrap();
    assert_eq!(p.height(), h);
    let expected = p.app_hash();
    let info = store.commit(p, vec![]).unwrap();
    assert_eq!(
        info,
        CommitInfo {
            height: h,
            app_hash: expected
        }
    );
    assert_eq!(store.last_commit(), info);
    info
}

/// A deterministic block: a mix of inserts, overwrites and deletes over ~300 keys.
fn block(h: u64) -> WriteSet {
    let mut w = WriteSet::new();
    for i in 0..40u64 {
        let k = (h * 7919 + i * 104_729) % 300;
        let key = format!("acct/{k:03}").into_bytes();
        let value = if (h + i) % 9 == 0 {
            None
        } else {
            Some(format!("{h}.{i}").into_bytes())
        };
        w.insert(key, value);
    }
    w
}

const EMPTY_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

#[test]
fn fresh_store_is_at_height_zero_with_empty_root() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    assert_eq!(
        store.last_commit(),
        CommitInfo {
            height: 0,
            app_hash: EMPTY_ROOT
        }
    );
    assert_eq!(store.earliest_height(), 0);
    let snap = store.snapshot();
    assert_eq!(snap.height(), 0);
    assert_eq!(snap.get(b"anything").unwrap(), None);
    assert!(snap.prefix(b"", None, 10).unwrap().is_empty());
}

#[test]
fn app_hash_is_deterministic_across_backends() {
    let dir = tempfile::tempdir().unwrap();
    let file = Store::open(&dir.path().join("a/b/state.redb"), StoreOptions::default()).unwrap();
    let mem = Store::in_memory(StoreOptions {
        retention: 0,
        ..StoreOptions::default()
    })
    .unwrap();
    for h in 1..=30 {
        let a = commit(&file, block(h));
        let b = commit(&mem, block(h));
        assert_eq!(a, b, "height {h}");
    }
    assert_ne!(file.last_commit().app_hash, EMPTY_ROOT);
}

#[test]
fn app_hash_depends_only_on_the_live_state() {
    // Incremental history vs. the final state written in one block: same tree, same root.
    let incremental = Store::in_memory(StoreOptions::default()).unwrap();
    let mut model = BTreeMap::new();
    for h in 1..=25 {
        let w = block(h);
        for (k, v) in &w {
            match v {
                Some(v) => model.insert(k.clone(), v.clone()),
                None => model.remove(k),
            };
        }
        commit(&incremental, w);
    }
    let one_shot = Store::in_memory(StoreOptions::default()).unwrap();
    let all: WriteSet = model.into_iter().map(|(k, v)| (k, Some(v))).collect();
    let info = commit(&one_shot, all);
    assert_eq!(info.app_hash, incremental.last_commit().app_hash);

    // Different values give a different root; deleting everything returns to the empty root.
    let other = Store::in_memory(StoreOptions::default()).unwrap();
    let a = commit(&other, ws(&[(b"k", Some(b"1"))]));
    let b = commit(&other, ws(&[(b"k", Some(b"2"))]));
    assert_ne!(a.app_hash, b.app_hash);
    let c = commit(&other, ws(&[(b"k", Some(b"1"))]));
    assert_eq!(a.app_hash, c.app_hash);
    let d = commit(&other, ws(&[(b"k", None)]));
    assert_eq!(d.app_hash, EMPTY_ROOT);
}

#[test]
fn app_hash_golden_value() {
    // Guards the consensus-relevant encoding (key hashing, value hashing, tree shape): if this
    // changes, nodes built from different versions would disagree on the app hash.
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let info = commit(
        &store,
        ws(&[
            (b"alpha", Some(b"1")),
            (b"beta", Some(b"22")),
            (b"gamma", Some(b"")),
        ]),
    );
    assert_eq!(
        hex_string(&info.app_hash),
        "769258c96c66e8962e0a6820c42ff9bfb81ec0a1add82e503841458b1dcbe08c"
    );
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn empty_block_keeps_root_and_advances_height() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    let empty0 = commit(&store, WriteSet::new());
    assert_eq!(
        empty0,
        CommitInfo {
            height: 1,
            app_hash: EMPTY_ROOT
        }
    );
    let a = commit(&store, ws(&[(b"x", Some(b"1"))]));
    let b = commit(&store, WriteSet::new());
    let c = commit(&store, WriteSet::new());
    assert_eq!((b.height, c.height), (3, 4));
    assert_eq!(b.app_hash, a.app_hash);
    assert_eq!(c.app_hash, a.app_hash);
    // Deleting a key that never existed changes nothing either.
    let d = commit(&store, ws(&[(b"never", None)]));
    assert_eq!(d.app_hash, a.app_hash);
    assert_eq!(
        store.snapshot_at(4).unwrap().get(b"x").unwrap(),
        Some(b"1".to_vec())
    );
}

#[test]
fn history_reads_at_old_heights() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    commit(
        &store,
        ws(&[
            (b"a", Some(b"a1")),
            (b"ab", Some(b"ab1")),
            (b"b", Some(b"b1")),
        ]),
    );
    commit(
        &store,
        ws(&[(b"a", Some(b"a2")), (b"b", None), (b"a\x00", Some(b"z"))]),
    );
    commit(&store, WriteSet::new());
    commit(
        &store,
        ws(&[(b"b", Some(b"b4")), (b"ab", None), (b"a\xff", Some(b"ff"))]),
    );

    let at = |h: u64, k: &[u8]| store.snapshot_at(h).unwrap().get(k).unwrap();
    assert_eq!(at(0, b"a"), None);
    assert_eq!(at(1, b"a"), Some(b"a1".to_vec()));
    assert_eq!(at(2, b"a"), Some(b"a2".to_vec()));
    assert_eq!(at(4, b"a"), Some(b"a2".to_vec()));
    assert_eq!(at(1, b"b"), Some(b"b1".to_vec()));
    assert_eq!(at(2, b"b"), None);
    assert_eq!(at(3, b"b"), None);
    assert_eq!(at(4, b"b"), Some(b"b4".to_vec()));
    assert_eq!(at(3, b"ab"), Some(b"ab1".to_vec()));
    assert_eq!(at(4, b"ab"), None);
    assert_eq!(at(1, b"a\x00"), None);
    assert_eq!(at(2, b"a\x00"), Some(b"z".to_vec()));
    // The latest snapshot equals snapshot_at(latest).
    assert_eq!(store.snapshot().height(), 4);
    assert_eq!(store.snapshot().get(b"b").unwrap(), Some(b"b4".to_vec()));

    let keys =
        |h: u64, prefix: &[u8], after: Option<&[u8]>, limit: usize| -> Vec<(String, String)> {
            store
                .snapshot_at(h)
                .unwrap()
                .prefix(prefix, after, limit)
                .unwrap()
                .into_iter()
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(&k).into_owned(),
                        String::from_utf8_lossy(&v).into_owned(),
                    )
                })
                .collect()
        };
    let kv = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(keys(1, b"a", None, 10), kv(&[("a", "a1"), ("ab", "ab1")]));
    assert_eq!(
        keys(2, b"a", None, 10),
        kv(&[("a", "a2"), ("a\0", "z"), ("ab", "ab1")])
    );
    assert_eq!(
        keys(4, b"a", None, 10),
        kv(&[("a", "a2"), ("a\0", "z"), ("a\u{fffd}", "ff")])
    );
    assert_eq!(keys(4, b"", None, 10).len(), 4);
    assert_eq!(keys(2, b"", None, 10).len(), 3, "b is deleted at 2");
    // Pagination: limit and start_after.
    assert_eq!(keys(2, b"a", None, 2), kv(&[("a", "a2"), ("a\0", "z")]));
    assert_eq!(keys(2, b"a", Some(b"a\x00"), 2), kv(&[("ab", "ab1")]));
    assert_eq!(keys(2, b"a", Some(b"a"), 1), kv(&[("a\0", "z")]));
    assert_eq!(keys(2, b"a", Some(b"ab"), 10), kv(&[]));
    assert_eq!(
        keys(2, b"a", Some(b"0"), 10).len(),
        3,
        "start_after before the prefix"
    );
    assert_eq!(keys(2, b"a", Some(b"c"), 10), kv(&[]));
    assert_eq!(keys(2, b"a", None, 0), kv(&[]));
    assert_eq!(keys(2, b"ab", None, 10), kv(&[("ab", "ab1")]));
    assert_eq!(keys(2, b"c", None, 10), kv(&[]));
}

#[test]
fn wrong_heights_are_rejected() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    for h in [0, 2, 10] {
        match store.prepare(h, WriteSet::new()) {
            Err(StoreError::WrongHeight { expected: 1, got }) => assert_eq!(got, h),
            other => panic!("prepare({h}): {other:?}"),
        }
    }
    // Two blocks prepared for the same height: only the first can commit.
    let p1 = store.prepare(1, ws(&[(b"k", Some(b"1"))])).unwrap();
    let p2 = store.prepare(1, ws(&[(b"k", Some(b"2"))])).unwrap();
    store.commit(p1, vec![]).unwrap();
    match store.commit(p2, vec![]) {
        Err(StoreError::WrongHeight {
            expected: 2,
            got: 1,
        }) => {}
        other => panic!("stale commit: {other:?}"),
    }
    assert_eq!(store.snapshot().get(b"k").unwrap(), Some(b"1".to_vec()));
    match store.snapshot_at(2) {
        Err(StoreError::FutureHeight {
            height: 2,
            latest: 1,
        }) => {}
        other => panic!("future snapshot: {other:?}"),
    }
    let msg = StoreError::WrongHeight {
        expected: 2,
        got: 1,
    }
    .to_string();
    assert!(msg.contains("expected 2") && msg.contains("got 1"), "{msg}");
}

#[test]
fn restart_preserves_height_hash_values_and_aux() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("state.redb");
    let mem = Store::in_memory(StoreOptions::default()).unwrap();
    {
        let store = Store::open(&path, StoreOptions::default()).unwrap();
        for h in 1..=12 {
            let p = store.prepare(h, block(h)).unwrap();
            let aux = vec![AuxWrite {
                table: "blocks",
                key: h.to_be_bytes().to_vec(),
                value: Some(vec![h as u8]),
            }];
            store.commit(p, aux).unwrap();
            commit(&mem, block(h));
        }
        assert_eq!(store.last_commit(), mem.last_commit());
    }
    let store = Store::open(&path, StoreOptions::default()).unwrap();
    assert_eq!(store.last_commit(), mem.last_commit());
    assert_eq!(store.last_commit().height, 12);
    for h in [1, 5, 12] {
        let a = store
            .snapshot_at(h)
            .unwrap()
            .prefix(b"", None, usize::MAX)
            .unwrap();
        let b = mem
            .snapshot_at(h)
            .unwrap()
            .prefix(b"", None, usize::MAX)
            .unwrap();
        assert!(!a.is_empty());
        assert_eq!(a, b, "state at {h}");
    }
    assert_eq!(
        store.aux_get("blocks", &7u64.to_be_bytes()).unwrap(),
        Some(vec![7])
    );
    // The reopened store keeps committing in step.
    for h in 13..=15 {
        assert_eq!(commit(&store, block(h)), commit(&mem, block(h)));
    }
}

#[test]
fn aux_tables_get_range_and_delete() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    assert_eq!(store.aux_get("txs", b"x").unwrap(), None);
    assert!(store
        .aux_range("txs", b"", None, false, 10)
        .unwrap()
        .is_empty());

    let put = |t: &'static str, k: &[u8], v: Option<&[u8]>| AuxWrite {
        table: t,
        key: k.to_vec(),
        value: v.map(<[u8]>::to_vec),
    };
    let p = store.prepare(1, WriteSet::new()).unwrap();
    store
        .commit(
            p,
            vec![
                put("txs", b"a", Some(b"1")),
                put("txs", b"b", Some(b"2")),
                put("txs", b"c", Some(b"3")),
                put("txs", b"d", Some(b"4")),
                put("other", b"a", Some(b"x")),
                put("txs", b"d", Some(b"4b")), // later write to the same key wins
            ],
        )
        .unwrap();
    let keys = |r: Vec<(Vec<u8>, Vec<u8>)>| {
        r.into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(store.aux_get("txs", b"d").unwrap(), Some(b"4b".to_vec()));
    assert_eq!(store.aux_get("other", b"a").unwrap(), Some(b"x".to_vec()));
    assert_eq!(store.aux_get("other", b"b").unwrap(), None);
    assert_eq!(
        keys(store.aux_range("txs", b"", None, false, 10).unwrap()),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        keys(store.aux_range("txs", b"b", Some(b"d"), false, 10).unwrap()),
        ["b", "c"]
    );
    assert_eq!(
        keys(store.aux_range("txs", b"b", Some(b"d"), true, 10).unwrap()),
        ["c", "b"]
    );
    assert_eq!(
        keys(store.aux_range("txs", b"", None, true, 3).unwrap()),
        ["d", "c", "b"]
    );
    assert_eq!(
        keys(store.aux_range("txs", b"b", None, false, 1).unwrap()),
        ["b"]
    );
    assert!(store
        .aux_range("txs", b"c", Some(b"b"), false, 10)
        .unwrap()
        .is_empty());
    assert!(store
        .aux_range("txs", b"a", None, false, 0)
        .unwrap()
        .is_empty());

    let p = store.prepare(2, WriteSet::new()).unwrap();
    store.commit(p, vec![put("txs", b"b", None)]).unwrap();
    assert_eq!(store.aux_get("txs", b"b").unwrap(), None);
    assert_eq!(
        keys(store.aux_range("txs", b"", None, false, 10).unwrap()),
        ["a", "c", "d"]
    );
    // Aux data is not part of the app hash.
    assert_eq!(store.last_commit().app_hash, EMPTY_ROOT);
}

#[test]
fn failed_prepare_or_commit_writes_nothing() {
    let store = Store::in_memory(StoreOptions::default()).unwrap();
    commit(&store, ws(&[(b"k", Some(b"1"))]));
    let before = store.last_commit();
    let p = store.prepare(2, ws(&[(b"k", Some(b"2"))])).unwrap();
    let racing = store.prepare(2, ws(&[(b"k", Some(b"3"))])).unwrap();
    store
        .commit(
            racing,
            vec![AuxWrite {
                table: "t",
                key: b"1".to_vec(),
                value: Some(b"1".to_vec()),
            }],
        )
        .unwrap();
    let after_racing = store.last_commit();
    assert!(store
        .commit(
            p,
            vec![AuxWrite {
                table: "t",
                key: b"2".to_vec(),
                value: Some(b"2".to_vec())
            }]
        )
        .is_err());
    assert_eq!(store.last_commit(), after_racing);
    assert_ne!(after_racing, before);
    assert_eq!(store.aux_get("t", b"2").unwrap(), None);
    assert_eq!(store.snapshot().get(b"k").unwrap(), Some(b"3".to_vec()));
}

#[test]
fn snapshots_are_consistent_during_concurrent_commits() {
    // Every block sets all 200 keys to its height; a snapshot must never mix heights.
    let store = Store::in_memory(StoreOptions {
        retention: 5,
        ..StoreOptions::default()
    })
    .unwrap();
    let keys: Vec<Vec<u8>> = (0..200u32)
        .map(|i| format!("k/{i:04}").into_bytes())
        .collect();
    let all_at = |h: u64| -> WriteSet {
        keys.iter()
            .map(|k| (k.clone(), Some(h.to_be_bytes().to_vec())))
            .collect()
    };
    commit(&store, all_at(1));
    let done = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let store = store.clone();
        let done = done.clone();
        readers.push(std::thread::spawn(move || {
            let mut checked = 0u64;
            while !done.load(Ordering::Relaxed) || checked == 0 {
                let snap = store.snapshot();
                let want = snap.height().to_be_bytes().to_vec();
                let rows = snap.prefix(b"k/", None, usize::MAX).unwrap();
                assert_eq!(rows.len(), 200);
                assert!(
                    rows.iter().all(|(_, v)| *v == want),
                    "mixed heights in snapshot {}",
                    snap.height()
                );
                checked += 1;
            }
            checked
        }));
    }
    for h in 2..=60 {
        commit(&store, all_at(h));
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
}

#[test]
fn store_and_snapshot_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Store>();
    assert_send_sync::<kumo_store::Snapshot>();
    fn assert_send<T: Send>() {}
    assert_send::<kumo_store::Prepared>();
}

#[test]
fn pruned_heights_are_reported() {
    let store = Store::in_memory(StoreOptions {
        retention: 4,
        ..StoreOptions::default()
    })
    .unwrap();
    for h in 1..=40 {
        commit(&store, block(h));
    }
    let earliest = store.earliest_height();
    assert!((26..=36).contains(&earliest), "earliest {earliest}");
    match store.snapshot_at(earliest - 1) {
        Err(StoreError::Pruned {
            height,
            earliest: e,
        }) => assert_eq!((height, e), (earliest - 1, earliest)),
        other => panic!("{other:?}"),
    }
    // Every retained height matches a store that never prunes.
    let full = Store::in_memory(StoreOptions {
        retention: 0,
        ..StoreOptions::default()
    })
    .unwrap();
    for h in 1..=40 {
        commit(&full, block(h));
    }
    assert_eq!(full.earliest_height(), 0);
    assert!(full.snapshot_at(1).is_ok());
    for h in earliest..=40 {
        let a = store
            .snapshot_at(h)
            .unwrap()
            .prefix(b"", None, usize::MAX)
            .unwrap();
        let b = full
            .snapshot_at(h)
            .unwrap()
            .prefix(b"", None, usize::MAX)
            .unwrap();
        assert_eq!(a, b, "height {h}");
    }
    assert_eq!(store.last_commit(), full.last_commit());
}
