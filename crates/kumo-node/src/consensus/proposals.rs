//! Undecided blocks: every block this node proposed or received, stored durably before the
//! engine hears of it (Malachite's WAL keeps only block hashes). After a crash they answer
//! `StartedRound`, `RestreamProposal` and a replayed `Decided`. Kept a few heights, then pruned.

use anyhow::{Context as _, Result};
use redb::{Database, TableDefinition};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// (height, round, block hash) -> StoredProposal.
const PROPOSALS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("proposals");
/// (height, round) -> hash of the block this node built for it. Only these are re-offered on a
/// repeated `GetValue`: a block streamed by another process holding our key (a twin) is not ours
/// to re-sign, and signing it would hide the twin's double sign from the network.
const OWN: TableDefinition<&[u8], &[u8]> = TableDefinition::new("own_proposals");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProposal {
    /// The round's proposer (who streamed it; not always the block's builder).
    pub proposer: [u8; 20],
    /// Proof-of-lock round, -1 for none.
    pub pol_round: i64,
    pub valid: bool,
    /// The encoded block.
    pub block: Vec<u8>,
}

pub struct ProposalStore {
    db: Database,
}

fn key(height: u64, round: u32, hash: &[u8; 32]) -> [u8; 44] {
    let mut k = [0; 44];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..12].copy_from_slice(&round.to_be_bytes());
    k[12..].copy_from_slice(hash);
    k
}

impl ProposalStore {
    pub fn open(path: &Path) -> Result<ProposalStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let db = Database::create(path)
            .with_context(|| format!("cannot open the proposal store {}", path.display()))?;
        let txn = db.begin_write()?;
        txn.open_table(PROPOSALS)?;
        txn.open_table(OWN)?;
        txn.commit()?;
        Ok(ProposalStore { db })
    }

    /// Stores a proposal durably (the write is synced before this returns).
    pub fn put(&self, height: u64, round: u32, hash: &[u8; 32], p: &StoredProposal) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(PROPOSALS)?;
            t.insert(
                &key(height, round, hash)[..],
                &postcard::to_allocvec(p).expect("encodes")[..],
            )?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Stores a block this node built, durably, and remembers it as our proposal for the round.
    pub fn put_own(
        &self,
        height: u64,
        round: u32,
        hash: &[u8; 32],
        p: &StoredProposal,
    ) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(PROPOSALS)?;
            t.insert(
                &key(height, round, hash)[..],
                &postcard::to_allocvec(p).expect("encodes")[..],
            )?;
            let mut own = txn.open_table(OWN)?;
            own.insert(&key(height, round, &[0; 32])[..12], &hash[..])?;
        }
        txn.commit()?;
        Ok(())
    }

    /// The block this node built for `(height, round)`, if any.
    pub fn own_at(&self, height: u64, round: u32) -> Result<Option<([u8; 32], StoredProposal)>> {
        let hash: [u8; 32] = {
            let txn = self.db.begin_read()?;
            let t = txn.open_table(OWN)?;
            let Some(v) = t.get(&key(height, round, &[0; 32])[..12])? else {
                return Ok(None);
            };
            match v.value().try_into() {
                Ok(h) => h,
                Err(_) => return Ok(None),
            }
        };
        Ok(self
            .at_round(height, round)?
            .into_iter()
            .find(|(h, _)| *h == hash))
    }

    fn scan(&self, from: [u8; 44], to: [u8; 44]) -> Result<Vec<([u8; 32], u32, StoredProposal)>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(PROPOSALS)?;
        let mut out = Vec::new();
        for row in t.range(&from[..]..&to[..])? {
            let (k, v) = row?;
            let k = k.value();
            let round = u32::from_be_bytes(k[8..12].try_into().expect("4 bytes"));
            let hash: [u8; 32] = k[12..].try_into().expect("32 bytes");
            if let Ok(p) = postcard::from_bytes(v.value()) {
                out.push((hash, round, p));
            }
        }
        Ok(out)
    }

    /// The proposals seen for `(height, round)`.
    pub fn at_round(&self, height: u64, round: u32) -> Result<Vec<([u8; 32], StoredProposal)>> {
        Ok(self
            .scan(
                key(height, round, &[0; 32]),
                key(height, round + 1, &[0; 32]),
            )?
            .into_iter()
            .map(|(h, _, p)| (h, p))
            .collect())
    }

    /// The block with hash `hash` proposed at `height`, in any round.
    pub fn by_hash(&self, height: u64, hash: &[u8; 32]) -> Result<Option<StoredProposal>> {
        Ok(self
            .scan(key(height, 0, &[0; 32]), key(height + 1, 0, &[0; 32]))?
            .into_iter()
            .find(|(h, _, _)| h == hash)
            .map(|(_, _, p)| p))
    }

    /// Forgets every proposal below `height`.
    pub fn prune_below(&self, height: u64) -> Result<()> {
        let txn = self.db.begin_write()?;
        {
            let mut t = txn.open_table(PROPOSALS)?;
            let end = key(height, 0, &[0; 32]);
            t.retain_in(..&end[..], |_, _| false)?;
            let mut own = txn.open_table(OWN)?;
            own.retain_in(..&end[..12], |_, _| false)?;
        }
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_finds_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.redb");
        let p = |b: u8| StoredProposal {
            proposer: [b; 20],
            pol_round: -1,
            valid: true,
            block: vec![b; 10],
        };
        {
            let s = ProposalStore::open(&path).unwrap();
            s.put(5, 0, &[1; 32], &p(1)).unwrap();
            s.put(5, 1, &[2; 32], &p(2)).unwrap();
            s.put(6, 0, &[3; 32], &p(3)).unwrap();
        }
        // Durable across a reopen.
        let s = ProposalStore::open(&path).unwrap();
        assert_eq!(s.at_round(5, 1).unwrap(), vec![([2; 32], p(2))]);
        assert_eq!(s.by_hash(5, &[2; 32]).unwrap(), Some(p(2)));
        assert_eq!(s.by_hash(6, &[2; 32]).unwrap(), None);
        // Only a block we built counts as ours, even if another one names our address.
        assert_eq!(s.own_at(5, 1).unwrap(), None);
        s.put_own(5, 1, &[4; 32], &p(2)).unwrap();
        assert_eq!(s.own_at(5, 1).unwrap(), Some(([4; 32], p(2))));
        s.prune_below(6).unwrap();
        assert!(s.at_round(5, 0).unwrap().is_empty());
        assert_eq!(s.own_at(5, 1).unwrap(), None);
        assert_eq!(s.at_round(6, 0).unwrap().len(), 1);
    }
}
