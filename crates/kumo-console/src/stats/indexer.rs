//! The indexer: follows a node from height 1 through its CometBFT JSON-RPC (`block`,
//! `block_results`) and module queries (`abci_query` at the block's height), and writes one
//! block's rows — block row, day row, leases, bids, providers, running totals and the "last
//! indexed height" — in ONE redb write transaction. A crash before the commit leaves nothing of
//! that block behind, so a restart re-indexes it from the same chain state: no double counting.
//!
//! Lease activity follows Akash (§2.2): a lease is active at height h when it is not closed and
//! its deployment's escrow still covers it (h < predicted closed height, recomputed whenever the
//! deployment's leases change or its account gets a deposit). Spend adds, every block, the
//! per-block prices of the active leases.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr;
use cosmos_sdk_proto::cosmos::mint::v1beta1 as mint;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use kumo_client::RpcClient;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::escrow::id::v1 as escrow_id;
use kumo_proto::akash::escrow::types::v1::AccountState;
use kumo_proto::akash::escrow::v1 as escrow;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use prost::{Message, Name};
use redb::{Database, ReadableTable, Table, WriteTransaction};
use serde::Deserialize;
use serde_json::Value;

use super::figures::{group_gpu_models, group_resources, predicted_closed_height, utc_date};
use super::tables::*;

/// Opens (or creates) `DIR/stats.redb` with every table present.
pub fn open_db(dir: &Path) -> Result<Database> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the stats directory {}", dir.display()))?;
    let path = dir.join("stats.redb");
    let db = Database::create(&path)
        .with_context(|| format!("cannot open the stats index {}", path.display()))?;
    let tx = db.begin_write()?;
    {
        tx.open_table(META)?;
        tx.open_table(BLOCKS)?;
        tx.open_table(BLOCK_TIME)?;
        tx.open_table(DAYS)?;
        tx.open_table(LEASES)?;
        tx.open_table(EXPIRY)?;
        tx.open_table(BIDS)?;
        tx.open_table(PROVIDERS)?;
        tx.open_table(GROUPS)?;
        tx.open_table(PROBES)?;
        tx.open_table(PROVIDER_DAY)?;
        tx.open_table(PROVIDER_CURRENT)?;
    }
    tx.commit()?;
    Ok(db)
}

/// The last height whose rows are committed (0: nothing indexed yet).
pub fn last_height(db: &Database) -> Result<u64> {
    let tx = db.begin_read()?;
    let meta = tx.open_table(META)?;
    let h = meta.get(META_LAST_HEIGHT)?.map(|v| {
        let b = v.value();
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8.min(b.len())]);
        u64::from_be_bytes(a)
    });
    Ok(h.unwrap_or(0))
}

/// Follows one node and writes the index.
pub struct Indexer {
    db: Arc<Database>,
    client: RpcClient,
    /// The node was checked to run the chain the index was built from.
    same_chain: AtomicBool,
}

/// An event of a block: its type and attributes (values still JSON text, as typed events
/// write them).
struct BlockEvent {
    kind: String,
    attrs: BTreeMap<String, String>,
}

/// A lease, bid or order id read from an event's `id` attribute.
#[derive(Clone, Debug)]
struct MarketId {
    owner: String,
    dseq: u64,
    gseq: u32,
    oseq: u32,
    provider: String,
    bseq: u32,
}

impl MarketId {
    fn key(&self) -> String {
        lease_key(
            &self.owner,
            self.dseq,
            self.gseq,
            self.oseq,
            &self.provider,
            self.bseq,
        )
    }
}

impl Indexer {
    pub fn new(db: Arc<Database>, node_url: &str) -> Indexer {
        Indexer {
            db,
            client: RpcClient::new(node_url),
            same_chain: AtomicBool::new(false),
        }
    }

    pub fn db(&self) -> &Arc<Database> {
        &self.db
    }

    /// Indexes every block after the last indexed one up to the node's latest (or `until`).
    /// Returns how many blocks it indexed.
    pub fn catch_up(&self, until: Option<u64>) -> Result<u64> {
        let latest = self
            .client
            .status()
            .with_context(|| format!("cannot reach the node at {}", self.client.url()))?
            .latest_height;
        self.check_same_chain()?;
        let target = until.map_or(latest, |u| u.min(latest));
        let mut done = 0;
        let mut h = last_height(&self.db)?;
        while h < target {
            h += 1;
            self.index_block(h)?;
            done += 1;
        }
        Ok(done)
    }

    /// Refuses a node whose block 1 is not the one the index started from (a reset devnet, a
    /// different chain): its rows would mix two histories.
    fn check_same_chain(&self) -> Result<()> {
        if self.same_chain.load(Ordering::SeqCst) {
            return Ok(());
        }
        let stored = {
            let tx = self.db.begin_read()?;
            let meta = tx.open_table(META)?;
            let v = meta.get(META_BLOCK1_HASH)?;
            v.map(|v| String::from_utf8_lossy(v.value()).into_owned())
        };
        if let Some(stored) = stored {
            let hash = self.client.block(Some(1))?.hash;
            if hash != stored {
                bail!(
                    "the stats index was built from a chain whose block 1 is {stored}, but the \
                     node's block 1 is {hash}: delete the index directory to rebuild it"
                );
            }
        }
        self.same_chain.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Follows the chain until `stop` is set: catches up, then polls every `poll`. Errors (a
    /// node restarting, a network hiccup) are logged and retried; nothing half-written stays.
    pub fn follow(&self, stop: &AtomicBool, poll: Duration) {
        while !stop.load(Ordering::SeqCst) {
            match self.catch_up(None) {
                Ok(n) if n > 0 => tracing::debug!("stats: indexed {n} blocks"),
                Ok(_) => {}
                Err(e) => tracing::warn!("stats indexer: {e:#}; retrying"),
            }
            std::thread::sleep(poll);
        }
    }

    /// Indexes block `height`, which must be the next one, and commits its rows atomically.
    pub fn index_block(&self, height: u64) -> Result<()> {
        let tx = self.stage_block(height)?;
        tx.commit().context("committing the stats rows")?;
        Ok(())
    }

    /// Writes block `height`'s rows into a write transaction and returns it uncommitted.
    /// Dropping it aborts everything it wrote (what a crash before the commit does).
    pub fn stage_block(&self, height: u64) -> Result<WriteTransaction> {
        let last = last_height(&self.db)?;
        if height != last + 1 {
            bail!("the stats index is at height {last}; block {height} is not the next one");
        }
        let block = self
            .client
            .block(Some(height))
            .with_context(|| format!("reading block {height}"))?;
        let results: ResultsJson = self
            .client
            .call_as(
                "block_results",
                serde_json::json!({"height": height.to_string()}),
            )
            .with_context(|| format!("reading block_results {height}"))?;
        let seconds = kumo_proto::time::parse_rfc3339(&block.time)
            .map_err(|e| anyhow!("block {height}: {e}"))?
            .seconds;
        let at = self.client.clone().at_height(Some(height));
        let (events, ok_txs) = block_events(results, block.txs.len())?;
        // What the successful txs say that saves a query per event: the groups of new
        // deployments, bid prices, escrow deposits.
        let mut facts = TxFacts::default();
        for (i, raw) in block.txs.iter().enumerate() {
            if ok_txs.get(i).copied().unwrap_or(false) {
                facts.read(raw);
            }
        }
        let escrow = escrow_states(&at, &touched_deployments(&events, &facts.deposits)?)?;

        let tx = self.db.begin_write()?;
        {
            let mut w = BlockWriter {
                h: height,
                seconds,
                at: &at,
                meta: tx.open_table(META)?,
                leases: tx.open_table(LEASES)?,
                expiry: tx.open_table(EXPIRY)?,
                bids: tx.open_table(BIDS)?,
                providers: tx.open_table(PROVIDERS)?,
                groups: tx.open_table(GROUPS)?,
                bid_prices: std::mem::take(&mut facts.bid_prices),
                provider_msgs: std::mem::take(&mut facts.providers),
                escrow,
                totals: Totals::default(),
            };
            w.totals = get_str::<Totals>(&w.meta, META_TOTALS)?.unwrap_or_default();
            for (key, row) in &facts.groups {
                w.groups.insert(key.as_str(), encode(row).as_slice())?;
            }
            let mut touched: BTreeSet<(String, u64)> = facts.deposits.iter().cloned().collect();
            for ev in &events {
                w.apply_event(ev, &mut touched)?;
            }
            for (owner, dseq) in &touched {
                w.recompute_deployment(owner, *dseq)?;
            }
            w.expire()?;
            let rates: Vec<(String, u128)> =
                w.totals.rate.iter().map(|(d, r)| (d.clone(), *r)).collect();
            for (denom, rate) in rates {
                let s = w.totals.spent.entry(denom).or_insert(0);
                *s = s
                    .checked_add(rate)
                    .ok_or_else(|| anyhow!("spend overflows"))?;
            }
            w.totals.tx_count += block.txs.len() as u64;
            let row = BlockRow {
                height,
                time: block.time.clone(),
                seconds,
                proposer: block.proposer_address.clone(),
                block_tx_count: block.txs.len() as u64,
                totals: w.totals.clone(),
                chain: chain_row(&at)?,
            };
            w.meta.insert(META_TOTALS, encode(&w.totals).as_slice())?;
            w.meta
                .insert(META_LAST_HEIGHT, height.to_be_bytes().as_slice())?;
            if height == 1 {
                w.meta.insert(META_BLOCK1_HASH, block.hash.as_bytes())?;
            }
            let mut blocks = tx.open_table(BLOCKS)?;
            blocks.insert(height, encode(&row).as_slice())?;
            let mut times = tx.open_table(BLOCK_TIME)?;
            if times.get(seconds)?.is_none() {
                times.insert(seconds, height)?;
            }
            let mut days = tx.open_table(DAYS)?;
            let date = utc_date(seconds);
            let day = match get_str::<DayRow>(&days, &date)? {
                Some(mut d) => {
                    d.last_height = height;
                    d
                }
                None => DayRow {
                    date: date.clone(),
                    first_height: height,
                    last_height: height,
                },
            };
            days.insert(date.as_str(), encode(&day).as_slice())?;
        }
        Ok(tx)
    }
}

/// Works on one block's rows inside the write transaction.
struct BlockWriter<'t, 'c> {
    h: u64,
    seconds: i64,
    at: &'c RpcClient,
    meta: Table<'t, &'static str, &'static [u8]>,
    leases: Table<'t, &'static str, &'static [u8]>,
    expiry: Table<'t, (u64, &'static str), ()>,
    bids: Table<'t, &'static str, &'static [u8]>,
    providers: Table<'t, &'static str, &'static [u8]>,
    groups: Table<'t, &'static str, &'static [u8]>,
    /// Bid key → (denom, price atomics) from this block's `MsgCreateBid`s.
    bid_prices: BTreeMap<String, (String, u128)>,
    /// Provider owner → the provider as this block's last create/update message sets it.
    provider_msgs: BTreeMap<String, pv1b4::Provider>,
    /// Escrow accounts of the deployments this block touches, read ahead in parallel.
    escrow: BTreeMap<(String, u64), AccountState>,
    totals: Totals,
}

impl BlockWriter<'_, '_> {
    fn apply_event(
        &mut self,
        ev: &BlockEvent,
        touched: &mut BTreeSet<(String, u64)>,
    ) -> Result<()> {
        let kind = ev.kind.as_str();
        if kind == mv1::EventLeaseCreated::full_name() {
            let id = event_id(ev)?;
            self.lease_created(&id)?;
            touched.insert((id.owner, id.dseq));
        } else if kind == mv1::EventLeaseClosed::full_name() {
            let id = event_id(ev)?;
            let reason = ev
                .attrs
                .get("reason")
                .map(|r| serde_json::from_str::<String>(r).unwrap_or_else(|_| r.clone()));
            self.lease_closed(&id, reason)?;
            touched.insert((id.owner, id.dseq));
        } else if kind == mv1::EventBidCreated::full_name() {
            self.bid_created(&event_id(ev)?)?;
        } else if kind == pv1b4::EventProviderCreated::full_name()
            || kind == pv1b4::EventProviderUpdated::full_name()
        {
            let owner = ev
                .attrs
                .get("owner")
                .map(|o| serde_json::from_str::<String>(o).unwrap_or_else(|_| o.clone()))
                .ok_or_else(|| anyhow!("{kind} at height {} has no owner", self.h))?;
            self.provider_changed(&owner)?;
        }
        Ok(())
    }

    /// What group `gseq` of a deployment asks for: from the GROUPS table (written from the
    /// deployment's `MsgCreateDeployment`), else from the chain (a deployment created before
    /// the index began, or through `authz`).
    fn group_row(&self, owner: &str, dseq: u64, gseq: u32) -> Result<GroupRow> {
        if let Some(row) = get_str::<GroupRow>(&self.groups, &group_key(owner, dseq, gseq))? {
            return Ok(row);
        }
        let spec = self.group_spec(owner, dseq, gseq)?;
        Ok(GroupRow {
            resources: group_resources(&spec),
            gpu_models: group_gpu_models(&spec),
        })
    }

    fn group_spec(&self, owner: &str, dseq: u64, gseq: u32) -> Result<dv1b4::GroupSpec> {
        let r: dv1b4::QueryGroupResponse = self
            .at
            .query_proto(
                "/akash.deployment.v1beta4.Query/Group",
                &dv1b4::QueryGroupRequest {
                    id: Some(dv1::GroupId {
                        owner: owner.to_string(),
                        dseq,
                        gseq,
                    }),
                },
            )
            .with_context(|| format!("group {owner}/{dseq}/{gseq} at height {}", self.h))?;
        Ok(r.group.and_then(|g| g.group_spec).unwrap_or_default())
    }

    fn lease_created(&mut self, id: &MarketId) -> Result<()> {
        let key = id.key();
        if self.leases.get(key.as_str())?.is_some() {
            return Ok(());
        }
        // A lease's price is its bid's (the market copies it): the bid row has it.
        let (denom, price) = match get_str::<BidRow>(&self.bids, &key)? {
            Some(bid) => (bid.denom, bid.price),
            None => {
                let r: mv1b5::QueryLeaseResponse = self
                    .at
                    .query_proto(
                        "/akash.market.v1beta5.Query/Lease",
                        &mv1b5::QueryLeaseRequest {
                            id: Some(mv1::LeaseId {
                                owner: id.owner.clone(),
                                dseq: id.dseq,
                                gseq: id.gseq,
                                oseq: id.oseq,
                                provider: id.provider.clone(),
                                bseq: id.bseq,
                            }),
                        },
                    )
                    .with_context(|| format!("lease {key} at height {}", self.h))?;
                let price = r.lease.and_then(|l| l.price).unwrap_or_default();
                (price.denom, atomics(&price.amount)?)
            }
        };
        let group = self.group_row(&id.owner, id.dseq, id.gseq)?;
        let row = LeaseRow {
            owner: id.owner.clone(),
            dseq: id.dseq,
            gseq: id.gseq,
            oseq: id.oseq,
            provider: id.provider.clone(),
            bseq: id.bseq,
            denom,
            price,
            resources: group.resources,
            created_height: self.h,
            created_seconds: self.seconds,
            ..LeaseRow::default()
        };
        self.totals.total_leases += 1;
        self.leases.insert(key.as_str(), encode(&row).as_slice())?;
        Ok(())
    }

    fn lease_closed(&mut self, id: &MarketId, reason: Option<String>) -> Result<()> {
        let key = id.key();
        let Some(mut row) = get_str::<LeaseRow>(&self.leases, &key)? else {
            bail!(
                "lease {key} closed at height {} was never created in the index",
                self.h
            );
        };
        if row.closed_height.is_some() {
            return Ok(());
        }
        row.closed_height = Some(self.h);
        row.closed_seconds = Some(self.seconds);
        row.closed_reason = reason;
        self.store_lease(&key, row)
    }

    fn bid_created(&mut self, id: &MarketId) -> Result<()> {
        let key = id.key();
        // The price the bid's message carried (the market stores it as sent), else the chain's.
        let (denom, price) = match self.bid_prices.get(&key) {
            Some(p) => p.clone(),
            None => {
                let r: mv1b5::QueryBidResponse = self
                    .at
                    .query_proto(
                        "/akash.market.v1beta5.Query/Bid",
                        &mv1b5::QueryBidRequest {
                            id: Some(mv1::BidId {
                                owner: id.owner.clone(),
                                dseq: id.dseq,
                                gseq: id.gseq,
                                oseq: id.oseq,
                                provider: id.provider.clone(),
                                bseq: id.bseq,
                            }),
                        },
                    )
                    .with_context(|| format!("bid {key} at height {}", self.h))?;
                let price = r.bid.and_then(|b| b.price).unwrap_or_default();
                (price.denom, atomics(&price.amount)?)
            }
        };
        let group = self.group_row(&id.owner, id.dseq, id.gseq)?;
        let row = BidRow {
            owner: id.owner.clone(),
            dseq: id.dseq,
            gseq: id.gseq,
            oseq: id.oseq,
            provider: id.provider.clone(),
            bseq: id.bseq,
            denom,
            price,
            height: self.h,
            seconds: self.seconds,
            gpu_units: group.resources.gpu,
            gpu_models: group.gpu_models,
        };
        self.bids.insert(key.as_str(), encode(&row).as_slice())?;
        Ok(())
    }

    fn provider_changed(&mut self, owner: &str) -> Result<()> {
        // The block's last create/update message of this provider is what the chain stores;
        // without one (authz), the chain is asked.
        let p = match self.provider_msgs.get(owner) {
            Some(p) => p.clone(),
            None => {
                let r: pv1b4::QueryProviderResponse = self
                    .at
                    .query_proto(
                        "/akash.provider.v1beta4.Query/Provider",
                        &pv1b4::QueryProviderRequest {
                            owner: owner.to_string(),
                        },
                    )
                    .with_context(|| format!("provider {owner} at height {}", self.h))?;
                r.provider.unwrap_or_default()
            }
        };
        let mut row = get_str::<ProviderRow>(&self.providers, owner)?.unwrap_or(ProviderRow {
            owner: owner.to_string(),
            created_height: self.h,
            ..ProviderRow::default()
        });
        row.host_uri = p.host_uri;
        row.attributes = p.attributes.into_iter().map(|a| (a.key, a.value)).collect();
        let info = p.info.unwrap_or_default();
        row.email = info.email;
        row.website = info.website;
        row.updated_height = self.h;
        self.providers.insert(owner, encode(&row).as_slice())?;
        Ok(())
    }

    /// Recomputes the predicted closed height of a deployment's open leases from its escrow
    /// account at this height: funds after the last settlement over Σ per-block prices.
    fn recompute_deployment(&mut self, owner: &str, dseq: u64) -> Result<()> {
        let prefix = deployment_prefix(owner, dseq);
        let mut open: Vec<(String, LeaseRow)> = Vec::new();
        for entry in self.leases.range(prefix.as_str()..)? {
            let (k, v) = entry?;
            if !k.value().starts_with(&prefix) {
                break;
            }
            let row: LeaseRow = decode(v.value())?;
            if row.closed_height.is_none() {
                open.push((k.value().to_string(), row));
            }
        }
        if open.is_empty() {
            return Ok(());
        }
        let state = match self.escrow.remove(&(owner.to_string(), dseq)) {
            Some(state) => state,
            None => escrow_state(self.at, owner, dseq)?,
        };
        let settled_at = u64::try_from(state.settled_at).unwrap_or(0);
        let mut rate: BTreeMap<String, u128> = BTreeMap::new();
        for (_, l) in &open {
            *rate.entry(l.denom.clone()).or_insert(0) += l.price;
        }
        for (key, mut row) in open {
            let funds = state
                .funds
                .iter()
                .find(|b| b.denom == row.denom)
                .map(|b| b.amount.parse::<i128>().unwrap_or(0).max(0) as u128)
                .unwrap_or(0);
            let new = predicted_closed_height(
                settled_at,
                funds,
                rate.get(&row.denom).copied().unwrap_or(0),
            );
            if let Some(old) = row.predicted_closed_height {
                self.expiry.remove((old, key.as_str()))?;
            }
            row.predicted_closed_height = new;
            if let Some(p) = new.filter(|p| *p > self.h) {
                self.expiry.insert((p, key.as_str()), ())?;
            }
            self.store_lease(&key, row)?;
        }
        Ok(())
    }

    /// Leases whose escrow ran dry at or before this height stop counting.
    fn expire(&mut self) -> Result<()> {
        let mut due: Vec<(u64, String)> = Vec::new();
        for entry in self.expiry.range(..(self.h + 1, ""))? {
            let (k, _) = entry?;
            let (p, key) = k.value();
            due.push((p, key.to_string()));
        }
        for (p, key) in due {
            self.expiry.remove((p, key.as_str()))?;
            if let Some(row) = get_str::<LeaseRow>(&self.leases, &key)? {
                self.store_lease(&key, row)?;
            }
        }
        Ok(())
    }

    /// Stores a lease row after bringing its `active` flag (and the running totals and its
    /// provider's counters) in line with the rule: open and h < predicted closed height.
    fn store_lease(&mut self, key: &str, mut row: LeaseRow) -> Result<()> {
        let want =
            row.closed_height.is_none() && row.predicted_closed_height.is_none_or(|p| p > self.h);
        if want != row.active {
            let mut provider =
                get_str::<ProviderRow>(&self.providers, &row.provider)?.unwrap_or(ProviderRow {
                    owner: row.provider.clone(),
                    ..ProviderRow::default()
                });
            let rate = self.totals.rate.entry(row.denom.clone()).or_insert(0);
            if want {
                self.totals.active_leases += 1;
                self.totals.resources.add(&row.resources);
                *rate += row.price;
                provider.active_leases += 1;
                provider.active_resources.add(&row.resources);
            } else {
                self.totals.active_leases = self.totals.active_leases.saturating_sub(1);
                self.totals.resources.sub(&row.resources);
                *rate = rate.saturating_sub(row.price);
                provider.active_leases = provider.active_leases.saturating_sub(1);
                provider.active_resources.sub(&row.resources);
            }
            if *rate == 0 {
                self.totals.rate.remove(&row.denom);
            }
            row.active = want;
            self.providers
                .insert(row.provider.as_str(), encode(&provider).as_slice())?;
        }
        self.leases.insert(key, encode(&row).as_slice())?;
        Ok(())
    }
}

/// The escrow account of deployment `owner/dseq` at the client's height (default: none).
fn escrow_state(at: &RpcClient, owner: &str, dseq: u64) -> Result<AccountState> {
    let xid = format!("{owner}/{dseq}");
    let r: escrow::QueryAccountsResponse = at
        .query_proto(
            "/akash.escrow.v1.Query/Accounts",
            &escrow::QueryAccountsRequest {
                state: String::new(),
                xid: format!("deployment/{xid}"),
                pagination: None,
            },
        )
        .with_context(|| format!("escrow account of {xid} at height {:?}", at.height()))?;
    let account = r.accounts.into_iter().find(|a| {
        a.id.as_ref()
            .is_some_and(|i| i.xid == xid && i.scope == escrow_id::Scope::Deployment as i32)
    });
    Ok(account.and_then(|a| a.state).unwrap_or_default())
}

/// Deployments whose predicted closed height this block recomputes: those of its lease events
/// and of its escrow deposits.
fn touched_deployments(
    events: &[BlockEvent],
    deposits: &[(String, u64)],
) -> Result<BTreeSet<(String, u64)>> {
    let mut out: BTreeSet<(String, u64)> = deposits.iter().cloned().collect();
    for ev in events {
        if ev.kind == mv1::EventLeaseCreated::full_name()
            || ev.kind == mv1::EventLeaseClosed::full_name()
        {
            let id = event_id(ev)?;
            out.insert((id.owner, id.dseq));
        }
    }
    Ok(out)
}

/// Threads reading escrow accounts ahead of a block's rows.
const ESCROW_READERS: usize = 4;

/// The escrow accounts of `deployments`, read by [`ESCROW_READERS`] threads: a block of 2,000
/// new leases touches 2,000 deployments, and one query after the other their round trips add
/// up to more than a block time.
fn escrow_states(
    at: &RpcClient,
    deployments: &BTreeSet<(String, u64)>,
) -> Result<BTreeMap<(String, u64), AccountState>> {
    let list: Vec<&(String, u64)> = deployments.iter().collect();
    if list.len() < 2 * ESCROW_READERS {
        return list
            .into_iter()
            .map(|(o, d)| Ok(((o.clone(), *d), escrow_state(at, o, *d)?)))
            .collect();
    }
    let chunk = list.len().div_ceil(ESCROW_READERS);
    std::thread::scope(|s| {
        let handles: Vec<_> = list
            .chunks(chunk)
            .map(|part| {
                let at = at.clone();
                s.spawn(move || -> Result<Vec<((String, u64), AccountState)>> {
                    part.iter()
                        .map(|(o, d)| Ok(((o.clone(), *d), escrow_state(&at, o, *d)?)))
                        .collect()
                })
            })
            .collect();
        let mut out = BTreeMap::new();
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| anyhow!("an escrow reader panicked"))??,
            );
        }
        Ok(out)
    })
}

/// Chain figures at the client's height.
fn chain_row(at: &RpcClient) -> Result<ChainRow> {
    let params: mint::QueryParamsResponse = at.query_proto(
        "/cosmos.mint.v1beta1.Query/Params",
        &mint::QueryParamsRequest {},
    )?;
    let params = params.params.unwrap_or_default();
    let inflation: mint::QueryInflationResponse = at.query_proto(
        "/cosmos.mint.v1beta1.Query/Inflation",
        &mint::QueryInflationRequest {},
    )?;
    let pool: staking::QueryPoolResponse = at.query_proto(
        "/cosmos.staking.v1beta1.Query/Pool",
        &staking::QueryPoolRequest {},
    )?;
    let community: distr::QueryCommunityPoolResponse = at.query_proto(
        "/cosmos.distribution.v1beta1.Query/CommunityPool",
        &distr::QueryCommunityPoolRequest {},
    )?;
    let dparams: distr::QueryParamsResponse = at.query_proto(
        "/cosmos.distribution.v1beta1.Query/Params",
        &distr::QueryParamsRequest {},
    )?;
    let denom = params.mint_denom.clone();
    Ok(ChainRow {
        bonded: integer(&pool.pool.clone().unwrap_or_default().bonded_tokens)?,
        supply: at.supply_of(&denom)?,
        community_pool: match community.pool.iter().find(|c| c.denom == denom) {
            Some(c) => atomics(&c.amount)?,
            None => 0,
        },
        inflation: atomics(&String::from_utf8_lossy(&inflation.inflation))?,
        community_tax: atomics(&dparams.params.unwrap_or_default().community_tax)?,
        blocks_per_year: params.blocks_per_year,
    })
}

/// A LegacyDec wire amount (atomics as an integer string; empty is zero).
fn atomics(s: &str) -> Result<u128> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u128>()
        .map_err(|_| anyhow!("{s:?} is not a LegacyDec wire amount"))
}

fn integer(s: &str) -> Result<u128> {
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u128>()
        .map_err(|_| anyhow!("{s:?} is not an integer amount"))
}

/// `block_results` as far as the indexer reads it (decoded straight from the answer's text).
#[derive(Deserialize)]
struct ResultsJson {
    #[serde(default)]
    txs_results: Option<Vec<TxResultJson>>,
    #[serde(default)]
    finalize_block_events: Option<Vec<EventJson>>,
}

#[derive(Deserialize)]
struct TxResultJson {
    #[serde(default)]
    code: u32,
    #[serde(default)]
    events: Option<Vec<EventJson>>,
}

#[derive(Deserialize)]
struct EventJson {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    attributes: Option<Vec<AttributeJson>>,
}

#[derive(Deserialize)]
struct AttributeJson {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: Option<String>,
}

/// The event types [`BlockWriter::apply_event`] acts on; the others are dropped on reading.
fn wanted(kind: &str) -> bool {
    kind == mv1::EventLeaseCreated::full_name()
        || kind == mv1::EventLeaseClosed::full_name()
        || kind == mv1::EventBidCreated::full_name()
        || kind == pv1b4::EventProviderCreated::full_name()
        || kind == pv1b4::EventProviderUpdated::full_name()
}

/// The events of a block in execution order (successful txs, then the block's own events),
/// and which txs succeeded.
fn block_events(results: ResultsJson, tx_count: usize) -> Result<(Vec<BlockEvent>, Vec<bool>)> {
    let keep = |list: Option<Vec<EventJson>>, out: &mut Vec<BlockEvent>| {
        for e in list.unwrap_or_default() {
            if wanted(&e.kind) {
                out.push(BlockEvent {
                    kind: e.kind,
                    attrs: e
                        .attributes
                        .unwrap_or_default()
                        .into_iter()
                        .map(|a| (a.key, a.value.unwrap_or_default()))
                        .collect(),
                });
            }
        }
    };
    let txs = results.txs_results.unwrap_or_default();
    if txs.len() != tx_count {
        bail!(
            "block_results has {} tx results for {tx_count} txs",
            txs.len()
        );
    }
    let mut events = Vec::new();
    let mut ok = Vec::with_capacity(txs.len());
    for r in txs {
        let success = r.code == 0;
        ok.push(success);
        if success {
            keep(r.events, &mut events);
        }
    }
    keep(results.finalize_block_events, &mut events);
    Ok((events, ok))
}

fn num(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// The `id` attribute of a market event (proto JSON: uint64 as strings, uint32 as numbers).
fn event_id(ev: &BlockEvent) -> Result<MarketId> {
    let raw = ev
        .attrs
        .get("id")
        .ok_or_else(|| anyhow!("{} has no id attribute", ev.kind))?;
    let v: Value = serde_json::from_str(raw).map_err(|e| anyhow!("{} id {raw:?}: {e}", ev.kind))?;
    let bad = || anyhow!("{} id {raw:?} lacks a field", ev.kind);
    Ok(MarketId {
        owner: v["owner"].as_str().ok_or_else(bad)?.to_string(),
        dseq: num(&v["dseq"]).ok_or_else(bad)?,
        gseq: num(&v["gseq"]).unwrap_or(0) as u32,
        oseq: num(&v["oseq"]).unwrap_or(0) as u32,
        provider: v["provider"].as_str().unwrap_or_default().to_string(),
        bseq: num(&v["bseq"]).unwrap_or(0) as u32,
    })
}

/// What a block's successful txs tell the indexer directly.
#[derive(Default)]
struct TxFacts {
    /// Deployments whose escrow account a tx tops up (`MsgAccountDeposit`, deployment scope).
    deposits: Vec<(String, u64)>,
    /// [`group_key`] → what the group asks for, from `MsgCreateDeployment` (gseq = position
    /// + 1, as the deployment module numbers groups).
    groups: BTreeMap<String, GroupRow>,
    /// Bid key → (denom, per-block price atomics) from `MsgCreateBid`.
    bid_prices: BTreeMap<String, (String, u128)>,
    /// Provider owner → its fields from `MsgCreateProvider` / `MsgUpdateProvider` (the last
    /// one in the block wins, as in the chain's state).
    providers: BTreeMap<String, pv1b4::Provider>,
}

impl TxFacts {
    fn provider(
        &mut self,
        owner: String,
        host_uri: String,
        attributes: Vec<kumo_proto::akash::base::attributes::v1::Attribute>,
        info: Option<pv1b4::Info>,
    ) {
        let p = pv1b4::Provider {
            owner: owner.clone(),
            host_uri,
            attributes,
            info,
        };
        self.providers.insert(owner, p);
    }

    /// Reads one tx's messages; a tx that does not decode adds nothing (the events still
    /// count, and the indexer then asks the chain).
    fn read(&mut self, raw: &[u8]) {
        let Ok(tx) = TxRaw::decode(raw) else {
            return;
        };
        let Ok(body) = TxBody::decode(tx.body_bytes.as_slice()) else {
            return;
        };
        for m in &body.messages {
            let bytes = m.value.as_slice();
            if m.type_url == escrow::MsgAccountDeposit::type_url() {
                let Some(id) = escrow::MsgAccountDeposit::decode(bytes)
                    .ok()
                    .and_then(|m| m.id)
                else {
                    continue;
                };
                if id.scope != escrow_id::Scope::Deployment as i32 {
                    continue;
                }
                if let Some((owner, dseq)) = id.xid.split_once('/') {
                    if let Ok(dseq) = dseq.parse() {
                        self.deposits.push((owner.to_string(), dseq));
                    }
                }
            } else if m.type_url == dv1b4::MsgCreateDeployment::type_url() {
                let Ok(msg) = dv1b4::MsgCreateDeployment::decode(bytes) else {
                    continue;
                };
                let Some(id) = msg.id else { continue };
                for (i, spec) in msg.groups.iter().enumerate() {
                    self.groups.insert(
                        group_key(&id.owner, id.dseq, i as u32 + 1),
                        GroupRow {
                            resources: group_resources(spec),
                            gpu_models: group_gpu_models(spec),
                        },
                    );
                }
            } else if m.type_url == pv1b4::MsgCreateProvider::type_url() {
                if let Ok(msg) = pv1b4::MsgCreateProvider::decode(bytes) {
                    self.provider(msg.owner, msg.host_uri, msg.attributes, msg.info);
                }
            } else if m.type_url == pv1b4::MsgUpdateProvider::type_url() {
                if let Ok(msg) = pv1b4::MsgUpdateProvider::decode(bytes) {
                    self.provider(msg.owner, msg.host_uri, msg.attributes, msg.info);
                }
            } else if m.type_url == mv1b5::MsgCreateBid::type_url() {
                let Ok(msg) = mv1b5::MsgCreateBid::decode(bytes) else {
                    continue;
                };
                let (Some(id), Some(price)) = (msg.id, msg.price) else {
                    continue;
                };
                let Ok(amount) = atomics(&price.amount) else {
                    continue;
                };
                let key = lease_key(&id.owner, id.dseq, id.gseq, id.oseq, &id.provider, id.bseq);
                self.bid_prices.insert(key, (price.denom, amount));
            }
        }
    }
}
