//! Property test: random write sets applied across heights behave like a `BTreeMap` per height.

use std::collections::BTreeMap;

use kumo_store::{Store, StoreError, StoreOptions, WriteSet};
use proptest::prelude::*;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Keys from a tiny alphabet with lengths 0..=3, so keys are often prefixes of each other and
/// the same key is hit many times.
fn key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![0x00u8, 0x01, 0x61, 0xff]), 0..=3)
}

fn write_set() -> impl Strategy<Value = WriteSet> {
    prop::collection::btree_map(
        key(),
        prop::option::weighted(0.7, prop::collection::vec(any::<u8>(), 0..6)),
        0..8,
    )
}

fn expected_prefix(
    model: &Model,
    prefix: &[u8],
    after: Option<&[u8]>,
    limit: usize,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    model
        .iter()
        .filter(|(k, _)| k.starts_with(prefix) && after.is_none_or(|a| k.as_slice() > a))
        .take(limit)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_btreemap_model(
        blocks in prop::collection::vec(write_set(), 1..14),
        retention in prop::sample::select(vec![0u64, 2, 3, 5]),
        checkpoint_every in prop::sample::select(vec![1u32, 2, 3, 32]),
        queries in prop::collection::vec((key(), prop::option::of(key()), 0usize..5), 6),
    ) {
        let store = Store::in_memory(StoreOptions { retention, checkpoint_every }).unwrap();
        let mut history: Vec<Model> = vec![Model::new()];
        let mut model = Model::new();
        for (i, writes) in blocks.iter().enumerate() {
            for (k, v) in writes {
                match v {
                    Some(v) => { model.insert(k.clone(), v.clone()); }
                    None => { model.remove(k); }
                }
            }
            history.push(model.clone());
            let h = i as u64 + 1;
            let p = store.prepare(h, writes.clone()).unwrap();
            store.commit(p, vec![]).unwrap();
        }
        let latest = store.last_commit().height;
        prop_assert_eq!(latest, blocks.len() as u64);
        let earliest = store.earliest_height();
        if retention == 0 {
            prop_assert_eq!(earliest, 0);
        } else {
            prop_assert!(earliest <= latest.saturating_sub(retention));
        }

        let universe: Vec<Vec<u8>> = {
            let mut u: Vec<Vec<u8>> = blocks.iter().flat_map(|b| b.keys().cloned()).collect();
            u.sort();
            u.dedup();
            u
        };
        for (h, expected) in history.iter().enumerate() {
            let h = h as u64;
            if h < earliest {
                let pruned = matches!(store.snapshot_at(h), Err(StoreError::Pruned { .. }));
                prop_assert!(pruned);
                continue;
            }
            let snap = store.snapshot_at(h).unwrap();
            for k in &universe {
                prop_assert_eq!(snap.get(k).unwrap(), expected.get(k).cloned(), "key {:?} at {}", k, h);
            }
            let all = snap.prefix(b"", None, usize::MAX).unwrap();
            prop_assert_eq!(&all, &expected_prefix(expected, b"", None, usize::MAX));
            for (prefix, after, limit) in &queries {
                let got = snap.prefix(prefix, after.as_deref(), *limit).unwrap();
                prop_assert_eq!(got, expected_prefix(expected, prefix, after.as_deref(), *limit));
            }
        }

        // The root is canonical: the final state written in one block has the same app hash.
        let fresh = Store::in_memory(StoreOptions::default()).unwrap();
        let all: WriteSet = model.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        let p = fresh.prepare(1, all).unwrap();
        prop_assert_eq!(fresh.commit(p, vec![]).unwrap().app_hash, store.last_commit().app_hash);
    }
}
