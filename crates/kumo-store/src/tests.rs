//! White-box tests: pruning removes rows and never removes anything a retained height needs.

use std::collections::BTreeMap;

use jmt::Sha256Jmt;
use redb::{ReadableTableMetadata, TableDefinition};

use super::*;

fn count<K: redb::Key + 'static, V: redb::Value + 'static>(
    store: &Store,
    def: TableDefinition<K, V>,
) -> u64 {
    let txn = store.inner.db.begin_read().unwrap();
    let t = txn.open_table(def).unwrap();
    t.len().unwrap()
}

/// Block `h` of a workload with a few hot keys (rewritten every block), churn keys (created and
/// deleted) and cold keys (written once).
fn block(h: u64) -> WriteSet {
    let mut w = WriteSet::new();
    for i in 0..4u64 {
        w.insert(
            format!("hot/{i}").into_bytes(),
            Some(format!("{h}:{i}").into_bytes()),
        );
    }
    w.insert(
        format!("cold/{h}").into_bytes(),
        Some(h.to_be_bytes().to_vec()),
    );
    w.insert(
        format!("churn/{}", h % 7).into_bytes(),
        if h % 3 == 0 {
            None
        } else {
            Some(vec![h as u8; 3])
        },
    );
    if h % 5 == 0 {
        w.insert(b"hot/0".to_vec(), None);
    }
    w
}

fn commit(store: &Store, w: WriteSet) -> CommitInfo {
    let h = store.last_commit().height + 1;
    let p = store.prepare(h, w).unwrap();
    store.commit(p, vec![]).unwrap()
}

/// Checks that every retained height still reads its full state through both the state table
/// and the tree (jmt walks every node on each key's path), with the recorded root.
fn check_all_retained(store: &Store, history: &[(CommitInfo, BTreeMap<Vec<u8>, Vec<u8>>)]) {
    let earliest = store.earliest_height();
    let all_keys: BTreeSet<Vec<u8>> = history
        .iter()
        .flat_map(|(_, m)| m.keys().cloned())
        .collect();
    let txn = store.inner.db.begin_read().unwrap();
    let reader = JmtReader::new(
        txn.open_table(NODES).unwrap(),
        txn.open_table(PREIMAGES).unwrap(),
        txn.open_table(STATE).unwrap(),
    );
    let tree = Sha256Jmt::new(&reader);
    for (info, model) in history.iter().filter(|(i, _)| i.height >= earliest) {
        let snap = store.snapshot_at(info.height).unwrap();
        assert_eq!(tree.get_root_hash(info.height).unwrap().0, info.app_hash);
        for key in &all_keys {
            let want = model.get(key).cloned();
            assert_eq!(
                snap.get(key).unwrap(),
                want,
                "state {key:?} at {}",
                info.height
            );
            let via_tree = tree.get(key_hash(key), info.height).unwrap();
            assert_eq!(via_tree, want, "tree {key:?} at {}", info.height);
        }
        let scanned: BTreeMap<_, _> = snap
            .prefix(b"", None, usize::MAX)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(&scanned, model);
    }
}

fn run(retention: u64, heights: u64) -> (Store, Vec<(CommitInfo, BTreeMap<Vec<u8>, Vec<u8>>)>) {
    let store = Store::in_memory(StoreOptions { retention }).unwrap();
    let mut model = BTreeMap::new();
    let mut history = Vec::new();
    for h in 1..=heights {
        let w = block(h);
        for (k, v) in &w {
            match v {
                Some(v) => model.insert(k.clone(), v.clone()),
                None => model.remove(k),
            };
        }
        let info = commit(&store, w);
        assert_eq!(info.height, h);
        history.push((info, model.clone()));
    }
    (store, history)
}

#[test]
fn pruning_bounds_history_and_keeps_retained_heights_intact() {
    let heights = 120;
    let (kept, kept_history) = run(0, heights);
    let (pruned, pruned_history) = run(8, heights);

    // Pruning must not change any app hash.
    assert_eq!(kept_history, pruned_history);
    assert_eq!(kept.earliest_height(), 0);
    let earliest = pruned.earliest_height();
    assert!(
        earliest > heights - 8 - PRUNE_INTERVAL && earliest <= heights - 8,
        "earliest {earliest}"
    );

    check_all_retained(&kept, &kept_history);
    check_all_retained(&pruned, &pruned_history);

    // History below the cutoff is really gone.
    let state_kept = count(&kept, STATE);
    let state_pruned = count(&pruned, STATE);
    let nodes_kept = count(&kept, NODES);
    let nodes_pruned = count(&pruned, NODES);
    assert!(
        state_pruned * 2 < state_kept,
        "state rows {state_pruned} vs {state_kept}"
    );
    assert!(
        nodes_pruned * 2 < nodes_kept,
        "node rows {nodes_pruned} vs {nodes_kept}"
    );
    // Nothing is left in the change log or stale index at or below the cutoff.
    let txn = pruned.inner.db.begin_read().unwrap();
    let changes = txn.open_table(CHANGES).unwrap();
    let first = changes.first().unwrap().map(|(k, _)| k.value());
    assert!(first.is_some_and(|h| h > earliest));
    let stale = txn.open_table(STALE).unwrap();
    let first = stale.first().unwrap().map(|(k, _)| k.value());
    assert!(first.is_some_and(|h| h > earliest));
    // Hot keys keep at most one version at or below the cutoff.
    let state = txn.open_table(STATE).unwrap();
    let old_hot = state
        .range::<(&[u8], u64)>((&b"hot/1"[..], 0)..=(&b"hot/1"[..], earliest))
        .unwrap()
        .count();
    assert_eq!(old_hot, 1);
    // Churn keys deleted at the cutoff leave no tombstone or preimage behind.
    let preimages = txn.open_table(PREIMAGES).unwrap();
    let live_now = pruned_history.last().unwrap().1.len() as u64;
    let pre = preimages.len().unwrap();
    assert!(
        pre >= live_now && pre <= live_now + 10,
        "preimages {pre} live {live_now}"
    );

    // Old heights answer Pruned, and the store keeps working after pruning.
    assert!(matches!(
        pruned.snapshot_at(earliest - 1),
        Err(StoreError::Pruned { .. })
    ));
    let a = commit(&kept, block(heights + 1));
    let b = commit(&pruned, block(heights + 1));
    assert_eq!(a, b);
}

#[test]
fn empty_blocks_do_not_leak_root_nodes_when_pruned() {
    let store = Store::in_memory(StoreOptions { retention: 3 }).unwrap();
    commit(&store, block(1));
    for _ in 0..50 {
        commit(&store, WriteSet::new());
    }
    let earliest = store.earliest_height();
    assert!(earliest >= 40);
    let txn = store.inner.db.begin_read().unwrap();
    let nodes = txn.open_table(NODES).unwrap();
    for v in 0..earliest {
        assert!(
            nodes.get(encode_root_key(v).as_slice()).unwrap().is_none(),
            "root {v} left behind"
        );
    }
    for v in earliest..=51 {
        assert!(
            nodes.get(encode_root_key(v).as_slice()).unwrap().is_some(),
            "root {v} missing"
        );
    }
}

#[test]
fn latest_table_holds_exactly_the_live_keys() {
    let (store, history) = run(0, 60);
    let model = &history.last().unwrap().1;
    assert_eq!(count(&store, LATEST), model.len() as u64);
    // Deleted keys keep their tombstones in the versioned table but are gone from the latest.
    assert!(count(&store, STATE) > model.len() as u64);
}

#[test]
fn a_format_1_store_is_upgraded_on_open() {
    let (store, history) = run(0, 45);
    // Turn it back into a format-1 store: no latest table, format field 1.
    {
        let txn = store.inner.db.begin_write().unwrap();
        assert!(txn.delete_table(LATEST).unwrap());
        txn.open_table(META)
            .unwrap()
            .insert(
                tables::META_FORMAT,
                tables::FORMAT_WITHOUT_LATEST.to_be_bytes().as_slice(),
            )
            .unwrap();
        txn.commit().unwrap();
    }
    assert!(matches!(
        read_meta(
            &store
                .inner
                .db
                .begin_read()
                .unwrap()
                .open_table(META)
                .unwrap()
        ),
        Err(StoreError::Corrupt(_))
    ));
    let meta = Store::init(&store.inner.db).unwrap();
    assert_eq!(meta, store.meta());
    let model = &history.last().unwrap().1;
    assert_eq!(count(&store, LATEST), model.len() as u64);
    check_all_retained(&store, &history);
    // And it goes on committing.
    commit(&store, block(46));
}
