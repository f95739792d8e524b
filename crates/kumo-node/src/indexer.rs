//! The tx index follower: after each block commits, a thread of its own indexes the block's
//! txs (by hash, and by every indexed event attribute) in the index store, as CometBFT's
//! IndexerService does. The block's commit so stays free of the index's ~7 random-keyed rows
//! per tx. The producer builds a new block's rows while its commit waits on the disk; the
//! follower writes them (and builds its own when it re-indexes stored blocks).
//!
//! The index is derived data. Its writes are synced at most every [`SYNC_INTERVAL`] (and at
//! least every [`SYNC_EVERY`] blocks, and when the follower stops); after a crash or restart the
//! follower re-indexes whatever the index store lacks from the stored blocks before it takes new
//! ones.

use crate::blockstore::{index_writes, BlockStore, INDEX_LAYOUT};
use anyhow::{Context, Result};
use kumo_store::{AuxWrite, IndexStore};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Sync the index at least every this many blocks...
const SYNC_EVERY: u64 = 100;
/// ... and otherwise no more often than this: a sync writes and flushes the pages of every block
/// since the last one, and under load blocks come faster than that.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// How far the index is: shared by the follower (which advances it) and readers (who wait on
/// it).
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<ProgressState>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct ProgressState {
    indexed: u64,
    failed: Option<String>,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, indexed: u64) {
        self.lock().indexed = indexed;
        self.changed.notify_all();
    }

    fn fail(&self, why: String) {
        self.lock().failed = Some(why);
        self.changed.notify_all();
    }

    /// Waits until `height` is indexed or `timeout` passes; says whether it was reached. Fails
    /// if the follower stopped on an error.
    pub fn wait_for(&self, height: u64, timeout: Duration) -> Result<bool, String> {
        let deadline = Instant::now() + timeout;
        let mut s = self.lock();
        while s.indexed < height && s.failed.is_none() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            s = self
                .changed
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        match &s.failed {
            Some(why) => Err(format!("the tx index stopped: {why}")),
            None => Ok(s.indexed >= height),
        }
    }
}

/// A committed block's height and its index rows ([`index_writes`]), which the producer builds
/// while its commit waits on the disk.
type Job = (u64, Vec<AuxWrite>);

/// The follower thread and the channel that feeds it committed blocks. Dropping it lets the
/// thread finish the blocks already sent, then joins it.
pub struct Indexer {
    sender: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    /// Starts the follower over `blocks` (whose index store it writes); it first indexes the
    /// stored blocks the index lacks, up to `committed`.
    pub fn start(blocks: BlockStore, progress: Arc<Progress>, committed: u64) -> Result<Indexer> {
        let index = blocks.index().clone();
        let mut from = index.height().context("reading the tx index height")?;
        if from > committed {
            // An index ahead of the chain belongs to another chain (a reset store): rebuild.
            tracing::warn!(
                index = from,
                chain = committed,
                "the tx index is ahead of the chain; rebuilding it"
            );
            index.clear().context("clearing the tx index")?;
            from = 0;
        }
        let layout = index.layout().context("reading the tx index layout")?;
        if layout != INDEX_LAYOUT {
            if from > 0 {
                // Derived data in rows this version no longer reads: rebuild it.
                tracing::info!(
                    from = layout,
                    to = INDEX_LAYOUT,
                    blocks = from,
                    "the tx index is in an older layout; rebuilding it"
                );
                index.clear().context("clearing the tx index")?;
                from = 0;
            }
            index
                .set_layout(INDEX_LAYOUT)
                .context("recording the tx index layout")?;
        }
        progress.set(from);
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("tx-indexer".into())
            .spawn(move || {
                lower_priority();
                let follower = Follower {
                    blocks,
                    index,
                    progress: progress.clone(),
                    indexed: from,
                    last_sync: Instant::now(),
                };
                if let Err(e) = follower.run(committed, receiver) {
                    tracing::error!("tx index stopped: {e:#}");
                    progress.fail(format!("{e:#}"));
                }
            })
            .context("starting the tx indexer thread")?;
        Ok(Indexer {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Hands a committed block's index rows ([`index_writes`]) to the follower.
    pub fn push(&self, height: u64, rows: Vec<AuxWrite>) {
        if let Some(s) = &self.sender {
            // A follower that stopped on an error has recorded why; readers see it.
            let _ = s.send((height, rows));
        }
    }
}

impl Drop for Indexer {
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The index is derived data: its follower yields the CPU to CheckTx and block production, and
/// fills the gaps they leave (a block executes on one core; a commit waits on the disk).
/// (Linux sets a nice value per thread; elsewhere this is a no-op.)
fn lower_priority() {
    // SAFETY: plain syscalls on the calling thread; a failure only leaves the priority as is.
    #[cfg(target_os = "linux")]
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

struct Follower {
    blocks: BlockStore,
    index: IndexStore,
    progress: Arc<Progress>,
    indexed: u64,
    last_sync: Instant,
}

impl Follower {
    fn run(mut self, committed: u64, receiver: mpsc::Receiver<Job>) -> Result<()> {
        // Blocks below the earliest stored one cannot be indexed (and hold nothing to find).
        self.indexed = self
            .indexed
            .max(self.blocks.earliest_height().saturating_sub(1));
        let behind = committed.saturating_sub(self.indexed);
        if behind > 0 {
            tracing::info!(
                from = self.indexed + 1,
                to = committed,
                "indexing stored blocks"
            );
        }
        let started = Instant::now();
        self.catch_up(committed)?;
        if behind > 0 {
            tracing::info!(
                blocks = behind,
                "tx index caught up in {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
        for (h, rows) in receiver {
            if h <= self.indexed {
                continue;
            }
            self.catch_up(h - 1)?;
            self.index_block(h, &rows)?;
        }
        // The node is stopping: make what is indexed durable, so the next start need not redo it.
        self.index.sync().context("syncing the tx index")?;
        Ok(())
    }

    /// Indexes stored blocks `indexed+1..=to`.
    fn catch_up(&mut self, to: u64) -> Result<()> {
        while self.indexed < to {
            let h = self.indexed + 1;
            if h % 10_000 == 0 {
                tracing::info!(height = h, to, "indexing stored blocks");
            }
            let block = self
                .blocks
                .block(h)
                .with_context(|| format!("block {h} is not stored"))?;
            let results = self
                .blocks
                .results(h)
                .with_context(|| format!("results of block {h} are not stored"))?;
            self.index_block(h, &index_writes(&block, &results))?;
        }
        Ok(())
    }

    fn index_block(&mut self, h: u64, rows: &[AuxWrite]) -> Result<()> {
        let durable = h % SYNC_EVERY == 0 || self.last_sync.elapsed() >= SYNC_INTERVAL;
        self.index
            .write(h, rows, durable)
            .with_context(|| format!("indexing block {h}"))?;
        if durable {
            self.last_sync = Instant::now();
        }
        self.indexed = h;
        self.progress.set(h);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kumo_store::{Store, StoreOptions};

    /// The nice value of each thread of this process named `name` (from /proc).
    #[cfg(target_os = "linux")]
    fn nice_of_threads(name: &str) -> Vec<i64> {
        let mut out = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim_end() != name {
                continue;
            }
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap();
            // Fields after the parenthesised name: state is field 3, nice field 19.
            let after = &stat[stat.rfind(')').unwrap() + 2..];
            out.push(after.split(' ').nth(16).unwrap().parse().unwrap());
        }
        out
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_follower_runs_at_a_lower_priority() {
        let store = Store::in_memory(StoreOptions::default()).unwrap();
        let progress = Arc::new(Progress::default());
        let blocks = BlockStore::new(store, IndexStore::in_memory().unwrap(), progress.clone());
        // This thread's (and so the producer's and CheckTx's) priority stays as it is; the
        // follower's is 10, or the process's own if that is lower already.
        let own = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let own: i64 = own[own.rfind(')').unwrap() + 2..]
            .split(' ')
            .nth(16)
            .unwrap()
            .parse()
            .unwrap();
        let expected = own.max(10);
        let indexer = Indexer::start(blocks, progress.clone(), 0).unwrap();
        // The thread lowers its priority first thing; give it a moment to start.
        let mut nices = Vec::new();
        for _ in 0..100 {
            nices = nice_of_threads("tx-indexer");
            if !nices.is_empty() && nices.iter().all(|&n| n == expected) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!nices.is_empty(), "no tx-indexer thread found");
        assert!(
            nices.iter().all(|&n| n == expected),
            "nice values {nices:?}"
        );
        drop(indexer);
    }
}
