//! White-box tests: pruning removes rows and never removes anything a retained height needs;
//! stores in the older layouts are upgraded.

use std::collections::{BTreeMap, BTreeSet};

use jmt::Sha256Jmt;
use redb::{ReadableTableMetadata, TableDefinition, TableHandle};

use super::*;
use crate::tables::CURRENT;

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
        ReadHistory::open(&txn).unwrap(),
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

/// Checkpoints every 3 writes of a key, so that reads at past heights start from them.
const CHECKPOINT_EVERY: u32 = 3;

fn run(retention: u64, heights: u64) -> (Store, Vec<(CommitInfo, BTreeMap<Vec<u8>, Vec<u8>>)>) {
    let store = Store::in_memory(StoreOptions {
        retention,
        checkpoint_every: CHECKPOINT_EVERY,
    })
    .unwrap();
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
    let undo_kept = count(&kept, UNDO);
    let undo_pruned = count(&pruned, UNDO);
    let nodes_kept = count(&kept, NODES);
    let nodes_pruned = count(&pruned, NODES);
    assert!(
        undo_pruned * 2 < undo_kept,
        "undo records {undo_pruned} vs {undo_kept}"
    );
    assert!(
        nodes_pruned * 2 < nodes_kept,
        "node rows {nodes_pruned} vs {nodes_kept}"
    );
    // Nothing is left in the undo log or stale index at or below the cutoff.
    let txn = pruned.inner.db.begin_read().unwrap();
    let undo = txn.open_table(UNDO).unwrap();
    let first = undo.first().unwrap().map(|(k, _)| k.value().0);
    assert!(first.is_some_and(|h| h > earliest));
    let stale = txn.open_table(STALE).unwrap();
    let first = stale.first().unwrap().map(|(k, _)| k.value());
    assert!(first.is_some_and(|h| h > earliest));
    // Deletion rows and checkpoints remain only for writes above the cutoff.
    let deleted = txn.open_table(DELETED).unwrap();
    for entry in deleted.iter().unwrap() {
        let (k, v) = entry.unwrap();
        let (at, _) = v.value();
        assert!(at > earliest, "{:?} deleted at {at}", k.value());
    }
    let checkpoints = txn.open_table(CHECKPOINTS).unwrap();
    assert!(checkpoints.len().unwrap() > 0);
    for entry in checkpoints.iter().unwrap() {
        let (k, _) = entry.unwrap();
        assert!(k.value().1 > earliest, "checkpoint {:?}", k.value());
    }
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
    let store = Store::in_memory(StoreOptions {
        retention: 3,
        ..StoreOptions::default()
    })
    .unwrap();
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
fn current_rows_are_the_live_keys_and_deletion_rows_the_deleted_ones() {
    let (store, history) = run(0, 60);
    let model = &history.last().unwrap().1;
    let ever: BTreeSet<Vec<u8>> = history
        .iter()
        .flat_map(|(_, m)| m.keys().cloned())
        .collect();
    assert_eq!(count(&store, CURRENT), model.len() as u64);
    // Kept forever (retention 0), every key once written and now gone has its deletion row.
    let gone = ever.iter().filter(|k| !model.contains_key(*k)).count();
    assert_eq!(count(&store, DELETED), gone as u64);
    // One undo record per write.
    let writes: usize = (1..=60).map(|h| block(h).len()).sum();
    assert_eq!(count(&store, UNDO), writes as u64);
    // `hot/1` is written at every height: a checkpoint every third write.
    let txn = store.inner.db.begin_read().unwrap();
    let checkpoints = txn.open_table(CHECKPOINTS).unwrap();
    let hot: Vec<u64> = checkpoints
        .range::<(&[u8], u64)>((&b"hot/1"[..], 0)..=(&b"hot/1"[..], u64::MAX))
        .unwrap()
        .map(|e| e.unwrap().0.value().1)
        .collect();
    assert_eq!(hot, (1..=20).map(|i| i * 3).collect::<Vec<u64>>());
}

#[test]
fn a_past_read_walks_at_most_checkpoint_every_undo_records() {
    let (store, history) = run(0, 90);
    let key = &b"hot/2"[..];
    for r in [1u64, 10, 44, 45, 46, 80] {
        // Drop the key's undo records more than `CHECKPOINT_EVERY` heights above `r`: a read at
        // `r` that still answers right never needed them.
        let txn = store.inner.db.begin_write().unwrap();
        let removed = {
            let mut undo = txn.open_table(UNDO).unwrap();
            let far = r + u64::from(CHECKPOINT_EVERY) + 1;
            (far..=90)
                .filter(|&h| undo.remove((h, key)).unwrap().is_some())
                .count()
        };
        assert!(removed > 0);
        let history_tables = WriteHistory::open(&txn).unwrap();
        let want = history[r as usize - 1].1.get(key).cloned();
        assert_eq!(history_tables.at(key, r).unwrap(), want, "at {r}");
        drop(history_tables);
        txn.abort().unwrap();
    }
}

/// Rewrites `store`, built by [`run`] up to `heights`, in the layout of format 1 or 2: every
/// version under `(key, height)`, format 2 with a plain latest-value table.
fn make_legacy(store: &Store, heights: u64, format: u64) {
    let txn = store.inner.db.begin_write().unwrap();
    assert!(txn.delete_table(CURRENT).unwrap());
    assert!(txn.delete_table(DELETED).unwrap());
    assert!(txn.delete_table(UNDO).unwrap());
    assert!(txn.delete_table(CHECKPOINTS).unwrap());
    {
        let mut state = txn.open_table(legacy::STATE).unwrap();
        let mut buf = Vec::new();
        let mut model = BTreeMap::new();
        for h in 1..=heights {
            for (k, v) in block(h) {
                legacy::encode_state_value(&mut buf, v.as_deref());
                state.insert((k.as_slice(), h), buf.as_slice()).unwrap();
                match v {
                    Some(v) => model.insert(k, v),
                    None => model.remove(&k),
                };
            }
        }
        txn.open_table(legacy::CHANGES).unwrap();
        if format == legacy::FORMAT_WITH_LATEST {
            let mut latest = txn.open_table(legacy::LATEST).unwrap();
            for (k, v) in &model {
                latest.insert(k.as_slice(), v.as_slice()).unwrap();
            }
        }
    }
    txn.open_table(META)
        .unwrap()
        .insert(tables::META_FORMAT, format.to_be_bytes().as_slice())
        .unwrap();
    txn.commit().unwrap();
}

#[test]
fn stores_in_formats_1_and_2_are_upgraded_on_open() {
    for format in [legacy::FORMAT_WITHOUT_LATEST, legacy::FORMAT_WITH_LATEST] {
        let (store, history) = run(0, 45);
        make_legacy(&store, 45, format);
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
        let meta = Store::init(&store.inner.db, CHECKPOINT_EVERY).unwrap();
        assert_eq!(meta, store.meta());
        let model = &history.last().unwrap().1;
        assert_eq!(count(&store, CURRENT), model.len() as u64);
        check_all_retained(&store, &history);
        let txn = store.inner.db.begin_read().unwrap();
        for old in [
            legacy::STATE.name(),
            legacy::LATEST.name(),
            legacy::CHANGES.name(),
        ] {
            assert!(
                txn.list_tables().unwrap().all(|t| t.name() != old),
                "format {format}: table {old} left behind"
            );
        }
        drop(txn);
        // And it goes on committing, with the same app hashes as a store that never changed
        // layout.
        let (fresh, _) = run(0, 45);
        assert_eq!(commit(&store, block(46)), commit(&fresh, block(46)));
        // The upgrade placed the same checkpoints as the commits did.
        assert_eq!(count(&store, CHECKPOINTS), count(&fresh, CHECKPOINTS));
    }
}
