//! The redb tables of the statistics index, their keys and their row types.
//!
//! The file lives beside (never inside) the node's state: it is not part of the app hash and can
//! be rebuilt by replaying blocks. Rows are JSON (integers only, no floats), so a dump of two
//! indexes compares byte for byte. Amounts are integers: token amounts in their base unit
//! (`uakt`), prices and spend as 18-decimal fixed point ("atomics": value × 10¹⁸), the way the
//! chain's `DecCoin` carries them.

use std::collections::BTreeMap;

use redb::{ReadableTable, TableDefinition};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// `"last_height"` → u64 (big-endian), `"totals"` → [`Totals`] after the last indexed block,
/// `"block1_hash"` → the chain's block 1 hash.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// height → [`BlockRow`].
pub const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("block");
/// Unix second → the first height with that block time: "the first block at or after T".
pub const BLOCK_TIME: TableDefinition<i64, u64> = TableDefinition::new("block_time");
/// `YYYY-MM-DD` (UTC) → [`DayRow`].
pub const DAYS: TableDefinition<&str, &[u8]> = TableDefinition::new("day");
/// [`lease_key`] → [`LeaseRow`].
pub const LEASES: TableDefinition<&str, &[u8]> = TableDefinition::new("lease");
/// (predicted closed height, [`lease_key`]) → (): the leases whose escrow runs dry, by height.
pub const EXPIRY: TableDefinition<(u64, &str), ()> = TableDefinition::new("lease_expiry");
/// [`lease_key`] of the bid → [`BidRow`].
pub const BIDS: TableDefinition<&str, &[u8]> = TableDefinition::new("bid");
/// [`group_key`] → [`GroupRow`]: what a deployment's group asks for, read from its
/// `MsgCreateDeployment`, so its bids and leases need no query.
pub const GROUPS: TableDefinition<&str, &[u8]> = TableDefinition::new("group");
/// provider address → [`ProviderRow`].
pub const PROVIDERS: TableDefinition<&str, &[u8]> = TableDefinition::new("provider");

pub const META_LAST_HEIGHT: &str = "last_height";
pub const META_TOTALS: &str = "totals";
/// Hash of block 1 (hex), to refuse indexing a different chain into the same file.
pub const META_BLOCK1_HASH: &str = "block1_hash";

/// Resource units as Akash sums them: CPU in millicores, GPU in units, memory and storage in
/// bytes (a group's resources × their count).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub cpu: u128,
    pub gpu: u128,
    pub memory: u128,
    pub storage: u128,
}

impl Resources {
    pub fn add(&mut self, o: &Resources) {
        self.cpu += o.cpu;
        self.gpu += o.gpu;
        self.memory += o.memory;
        self.storage += o.storage;
    }

    /// Removes what [`Resources::add`] added; saturating so a corrupt row cannot wrap around.
    pub fn sub(&mut self, o: &Resources) {
        self.cpu = self.cpu.saturating_sub(o.cpu);
        self.gpu = self.gpu.saturating_sub(o.gpu);
        self.memory = self.memory.saturating_sub(o.memory);
        self.storage = self.storage.saturating_sub(o.storage);
    }
}

/// Running aggregates carried from block to block; updated O(1) per lease change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub active_leases: u64,
    pub total_leases: u64,
    pub resources: Resources,
    /// Σ per-block price of the active leases, per denom (atomics).
    pub rate: BTreeMap<String, u128>,
    /// Σ over blocks of `rate`, per denom (atomics): Akash's `totalU…Spent`.
    pub spent: BTreeMap<String, u128>,
    /// Every tx in every block so far (failed ones too, as Akash counts them).
    pub tx_count: u64,
}

/// Chain figures read at the block's height through module queries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRow {
    /// Bonded tokens (staking pool), `uakt`.
    pub bonded: u128,
    /// Total supply of the staking denom, `uakt`.
    pub supply: u128,
    /// Community pool in the staking denom, atomics.
    pub community_pool: u128,
    /// Annual inflation, atomics (0.13 = 13 × 10¹⁶).
    pub inflation: u128,
    /// Distribution community tax, atomics.
    pub community_tax: u128,
    /// Mint `blocks_per_year` (turns per-block prices into hourly ones).
    pub blocks_per_year: u64,
}

/// One row per indexed block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRow {
    pub height: u64,
    /// RFC 3339 block time as the node gave it.
    pub time: String,
    pub seconds: i64,
    pub proposer: String,
    /// Txs in this block.
    pub block_tx_count: u64,
    pub totals: Totals,
    pub chain: ChainRow,
}

/// One row per UTC day: its closing values are the block row at `last_height`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    pub date: String,
    pub first_height: u64,
    pub last_height: u64,
}

/// A lease as the index knows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRow {
    pub owner: String,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
    pub provider: String,
    pub bseq: u32,
    pub denom: String,
    /// Per-block price, atomics.
    pub price: u128,
    pub resources: Resources,
    pub created_height: u64,
    pub created_seconds: i64,
    pub closed_height: Option<u64>,
    pub closed_seconds: Option<i64>,
    pub closed_reason: Option<String>,
    /// First height at which the deployment's escrow no longer covers its leases (`None`: no
    /// rate, or the lease is closed).
    pub predicted_closed_height: Option<u64>,
    /// Counted in the running aggregates right now.
    pub active: bool,
}

/// A GPU model as a group's attributes name it (`vendor/nvidia/model/a100/ram/80Gi/…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GpuModel {
    pub vendor: String,
    pub model: String,
    pub ram: String,
    pub interface: String,
}

/// A bid (kept for GPU prices).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidRow {
    pub owner: String,
    pub dseq: u64,
    pub gseq: u32,
    pub oseq: u32,
    pub provider: String,
    pub bseq: u32,
    pub denom: String,
    /// Per-block price, atomics.
    pub price: u128,
    pub height: u64,
    pub seconds: i64,
    /// GPU units the order asks for, and the models its attributes allow.
    pub gpu_units: u128,
    pub gpu_models: Vec<GpuModel>,
}

/// A registered provider, with the leases it runs now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRow {
    pub owner: String,
    pub host_uri: String,
    pub attributes: Vec<(String, String)>,
    pub email: String,
    pub website: String,
    pub created_height: u64,
    pub updated_height: u64,
    pub active_leases: u64,
    pub active_resources: Resources,
}

/// What one deployment group asks for (resources × count; GPU models its attributes allow).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRow {
    pub resources: Resources,
    pub gpu_models: Vec<GpuModel>,
}

/// `owner/dseq/gseq`, numbers zero-padded like [`lease_key`].
pub fn group_key(owner: &str, dseq: u64, gseq: u32) -> String {
    format!("{owner}/{dseq:020}/{gseq:010}")
}

/// `owner/dseq/gseq/oseq/provider/bseq` with the numbers zero-padded, so an owner's leases sort
/// by dseq and a deployment's leases share the prefix [`deployment_prefix`].
pub fn lease_key(
    owner: &str,
    dseq: u64,
    gseq: u32,
    oseq: u32,
    provider: &str,
    bseq: u32,
) -> String {
    format!("{owner}/{dseq:020}/{gseq:010}/{oseq:010}/{provider}/{bseq:010}")
}

/// Key prefix of one deployment's leases.
pub fn deployment_prefix(owner: &str, dseq: u64) -> String {
    format!("{owner}/{dseq:020}/")
}

pub fn encode<T: Serialize>(row: &T) -> Vec<u8> {
    serde_json::to_vec(row).expect("stats rows serialize")
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> anyhow::Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| anyhow::anyhow!("stats index row does not decode ({e}); rebuild the index"))
}

/// Reads and decodes one row of a `&str`-keyed table.
pub fn get_str<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> anyhow::Result<Option<T>> {
    match table.get(key)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

/// Reads and decodes one block row.
pub fn get_block(
    table: &impl ReadableTable<u64, &'static [u8]>,
    height: u64,
) -> anyhow::Result<Option<BlockRow>> {
    match table.get(height)? {
        Some(v) => Ok(Some(decode(v.value())?)),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------- provider probes

/// (provider address, unix seconds of the probe) → [`ProbeRow`]; kept 31 days.
pub const PROBES: TableDefinition<(&str, i64), &[u8]> = TableDefinition::new("provider_probe");
/// (provider address, `YYYY-MM-DD`) → [`ProbeRow`]: the last successful probe of that UTC day
/// (Akash's `isLastSuccessOfDay`), for the capacity graphs and GPU utilization.
pub const PROVIDER_DAY: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("provider_day");
/// provider address → [`ProbeState`]: the prober's view of the provider now. Kept apart from
/// [`PROVIDERS`] so the prober and the block indexer never write the same row.
pub const PROVIDER_CURRENT: TableDefinition<&str, &[u8]> = TableDefinition::new("provider_current");

/// One figure of a provider's capacity, as its status reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quad {
    /// Used by leases that are running.
    pub active: u128,
    /// Reserved for bids not yet won.
    pub pending: u128,
    /// Free.
    pub available: u128,
}

impl Quad {
    pub fn total(&self) -> u128 {
        self.active + self.pending + self.available
    }

    pub fn add(&mut self, o: &Quad) {
        self.active += o.active;
        self.pending += o.pending;
        self.available += o.available;
    }
}

/// A provider's capacity: CPU in millicores, GPU in units, memory and storage in bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    pub cpu: Quad,
    pub gpu: Quad,
    pub memory: Quad,
    pub ephemeral_storage: Quad,
    pub persistent_storage: Quad,
}

impl Capacity {
    /// Ephemeral plus persistent storage.
    pub fn storage(&self) -> Quad {
        let mut s = self.ephemeral_storage;
        s.add(&self.persistent_storage);
        s
    }

    pub fn add(&mut self, o: &Capacity) {
        self.cpu.add(&o.cpu);
        self.gpu.add(&o.gpu);
        self.memory.add(&o.memory);
        self.ephemeral_storage.add(&o.ephemeral_storage);
        self.persistent_storage.add(&o.persistent_storage);
    }
}

/// GPUs of one model on one node of a provider.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGpu {
    pub node: String,
    pub vendor: String,
    pub model: String,
    pub ram: String,
    pub interface: String,
    pub allocatable: u64,
    pub allocated: u64,
}

/// One probe of a provider's `GET {host_uri}/status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRow {
    pub seconds: i64,
    pub online: bool,
    /// Why the provider counts as offline, in plain words (`None` when online).
    pub error: Option<String>,
    /// What the status reported (`None` when offline).
    pub capacity: Option<Capacity>,
    pub gpus: Vec<NodeGpu>,
    /// Leases the provider says it runs.
    pub leases: Option<u64>,
}

/// Uptime over 1, 7 and 30 days in parts per million (1,000,000 = 100 %), computed at
/// `seconds` from the probes then stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uptimes {
    pub seconds: i64,
    pub day1: u32,
    pub day7: u32,
    pub day30: u32,
}

/// What the prober knows about a provider now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeState {
    /// The host URI probed last (a provider may move).
    pub host_uri: String,
    pub is_online: bool,
    /// Time of the first probe (the start of "offline for" when it was never online).
    pub first_check_seconds: i64,
    pub last_check_seconds: i64,
    pub last_online_seconds: Option<i64>,
    pub next_check_seconds: i64,
    pub last_error: Option<String>,
    /// The last successful probe (capacity and GPU models), however old.
    pub last_success: Option<ProbeRow>,
    pub uptime: Uptimes,
    /// Auditors whose signatures the chain's audit module holds for this provider, read at
    /// each probe (`None`: not read, e.g. the node was unreachable or the prober has none).
    #[serde(default)]
    pub audited_by: Option<Vec<String>>,
    /// Each signed attribute as (key, value, auditor), from the same read.
    #[serde(default)]
    pub audited_attributes: Vec<(String, String, String)>,
}
