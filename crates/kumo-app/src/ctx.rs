//! The execution context a module sees: state reads and writes through cache layers over the
//! last committed snapshot, a gas meter, events, and the block it runs in.
//!
//! Layers give the SDK's cache-wrap semantics: a tx's ante writes persist even when its
//! messages fail, so the messages run in a nested layer that is dropped on failure.

use crate::abci::{BlockTime, Event};
use crate::errors::SdkResult;
use crate::gas::{self, GasMeter};
use kumo_store::{Snapshot, WriteSet};

/// Where a tx runs; decides which ante checks apply and whether effects are kept.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Mempool admission (ante only, on the optimistic check state).
    Check,
    /// Gas estimation: no signature or fee checks, effects thrown away.
    Simulate,
    /// Execution in a block.
    Deliver,
}

#[derive(Clone, Debug, Default)]
pub struct BlockInfo {
    pub height: u64,
    pub time: BlockTime,
    pub chain_id: String,
}

/// One cache layer: pending writes (None = delete) and the events emitted alongside them.
#[derive(Default)]
struct Layer {
    writes: WriteSet,
    events: Vec<Event>,
}

pub struct Ctx<'a> {
    base: &'a Snapshot,
    /// Writes of earlier txs in this block (or of earlier CheckTx calls on the check state).
    below: &'a mut WriteSet,
    layers: Vec<Layer>,
    pub gas: GasMeter,
    pub block: &'a BlockInfo,
    pub mode: Mode,
}

fn storage_failure(e: kumo_store::StoreError) -> ! {
    // A read that fails is a broken disk or database, not a tx error: continuing could make
    // this node diverge from others, so stop here.
    panic!("state store read failed: {e}")
}

impl<'a> Ctx<'a> {
    pub fn new(
        base: &'a Snapshot,
        below: &'a mut WriteSet,
        block: &'a BlockInfo,
        mode: Mode,
        gas: GasMeter,
    ) -> Self {
        Ctx {
            base,
            below,
            layers: vec![Layer::default()],
            gas,
            block,
            mode,
        }
    }

    /// Reads a value without charging gas (block-level work, queries).
    pub fn get_free(&self, key: &[u8]) -> Option<Vec<u8>> {
        for layer in self.layers.iter().rev() {
            if let Some(v) = layer.writes.get(key) {
                return v.clone();
            }
        }
        if let Some(v) = self.below.get(key) {
            return v.clone();
        }
        self.base.get(key).unwrap_or_else(|e| storage_failure(e))
    }

    pub fn get(&mut self, key: &[u8]) -> SdkResult<Option<Vec<u8>>> {
        self.gas.consume(gas::READ_COST_FLAT, "ReadFlat")?;
        let v = self.get_free(key);
        let len = key.len() + v.as_ref().map_or(0, |v| v.len());
        self.gas
            .consume(gas::READ_COST_PER_BYTE * len as u64, "ReadPerByte")?;
        Ok(v)
    }

    pub fn set(&mut self, key: Vec<u8>, value: Vec<u8>) -> SdkResult<()> {
        self.gas.consume(gas::WRITE_COST_FLAT, "WriteFlat")?;
        self.gas.consume(
            gas::WRITE_COST_PER_BYTE * (key.len() + value.len()) as u64,
            "WritePerByte",
        )?;
        self.top().writes.insert(key, Some(value));
        Ok(())
    }

    pub fn delete(&mut self, key: Vec<u8>) -> SdkResult<()> {
        self.gas.consume(gas::DELETE_COST, "Delete")?;
        self.top().writes.insert(key, None);
        Ok(())
    }

    /// All live entries under `prefix`, ascending, merged across layers; charges iteration gas.
    pub fn prefix(&mut self, prefix: &[u8]) -> SdkResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let entries = self.prefix_free(prefix);
        for (k, v) in &entries {
            self.gas.consume(gas::ITER_NEXT_COST_FLAT, "IterNextFlat")?;
            self.gas.consume(
                gas::READ_COST_PER_BYTE * (k.len() + v.len()) as u64,
                "ValuePerByte",
            )?;
        }
        Ok(entries)
    }

    pub fn prefix_free(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut merged: std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> = self
            .base
            .prefix(prefix, None, usize::MAX)
            .unwrap_or_else(|e| storage_failure(e))
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        let overlays = std::iter::once(&*self.below).chain(self.layers.iter().map(|l| &l.writes));
        for writes in overlays {
            for (k, v) in writes.range(prefix.to_vec()..) {
                if !k.starts_with(prefix) {
                    break;
                }
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }

    /// Live entries under `prefix` whose keys sort before `end`, ascending, without gas: reads
    /// only that range, so a time-ordered queue costs what has matured, not what waits.
    pub fn prefix_free_before(&self, prefix: &[u8], end: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        const PAGE: usize = 256;
        let mut merged: std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>> =
            std::collections::BTreeMap::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self
                .base
                .prefix(prefix, after.as_deref(), PAGE)
                .unwrap_or_else(|e| storage_failure(e));
            let full = page.len() == PAGE;
            let mut past_end = false;
            for (k, v) in page {
                if k.as_slice() >= end {
                    past_end = true;
                    break;
                }
                after = Some(k.clone());
                merged.insert(k, Some(v));
            }
            if past_end || !full {
                break;
            }
        }
        let overlays = std::iter::once(&*self.below).chain(self.layers.iter().map(|l| &l.writes));
        for writes in overlays {
            for (k, v) in writes.range(prefix.to_vec()..end.to_vec()) {
                if !k.starts_with(prefix) {
                    break;
                }
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }

    pub fn emit(&mut self, event: Event) {
        self.top().events.push(event);
    }

    /// Adds an attribute to every event of the top layer (the SDK tags a message's events
    /// with `msg_index`).
    pub fn tag_top_events(&mut self, key: &str, value: &str) {
        for e in &mut self.top().events {
            e.attributes.push(crate::abci::EventAttribute {
                key: key.into(),
                value: value.into(),
                index: true,
            });
        }
    }

    /// Starts a nested cache layer (messages run in one so a failure drops only their effects).
    pub fn push_layer(&mut self) {
        self.layers.push(Layer::default());
    }

    /// Merges the top layer into the one below.
    pub fn commit_layer(&mut self) {
        let top = self.layers.pop().expect("a layer to commit");
        let below = self.top();
        below.writes.extend(top.writes);
        below.events.extend(top.events);
    }

    /// Drops the top layer's writes and events.
    pub fn discard_layer(&mut self) {
        self.layers.pop().expect("a layer to discard");
        if self.layers.is_empty() {
            self.layers.push(Layer::default());
        }
    }

    /// Applies every layer to the block-level writes and returns the events; ends the tx.
    pub fn finish(mut self) -> Vec<Event> {
        while self.layers.len() > 1 {
            self.commit_layer();
        }
        let layer = self.layers.pop().expect("base layer");
        self.below.extend(layer.writes);
        layer.events
    }

    fn top(&mut self) -> &mut Layer {
        self.layers.last_mut().expect("ctx always has a layer")
    }
}
