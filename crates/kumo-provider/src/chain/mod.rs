//! The daemon's chain client: queries (orders, bids, leases, provider, audits, escrow), the
//! provider's transactions (bid, close bid, withdraw) signed with its key, and a block follower
//! (websocket `NewBlock` with a polling fallback) that reads each height's events once, in
//! order, and remembers the last height processed so a restart catches up from there.
//!
//! kumo-client's `RpcClient` is blocking; every call here runs it on the blocking pool.

pub mod events;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::Any;
use futures::{SinkExt, StreamExt};
use kumo_client::{Coin, FeeOpts, Gas, GasPrice, RpcClient, TxBuilder, TxInfo};
use kumo_crypto::PrivKey;
use kumo_proto::akash::audit::v1 as audit;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::escrow::types::v1::Account as EscrowAccount;
use kumo_proto::akash::escrow::v1 as escrow;
use kumo_proto::akash::market::v1::{
    BidId, Lease, LeaseClosedReason, LeaseFilters, LeaseId, OrderId,
};
use kumo_proto::akash::market::v1beta5 as market;
use kumo_proto::akash::provider::v1beta4 as prov;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch, Mutex};

pub use events::ChainEvent;

/// Page size of list queries (the Akash provider uses 1000).
const PAGE: u64 = 1000;
/// SDK code of "account sequence mismatch".
const SEQUENCE_MISMATCH: u32 = 32;

/// A signer's account number and next sequence, kept locally between txs.
#[derive(Clone, Copy, Debug)]
struct Account {
    number: u64,
    sequence: u64,
}

/// What the daemon does when a fixed fee (`chain.fees`) is below what a tx needs.
///
/// Every tx is simulated first (`FeeOpts::gas` is `Auto`), so its gas limit is known; the fee it
/// needs is `gas limit × gas_price`. A fixed fee at or above that is paid as it is. Below it
/// (an overdrawn lease's settling withdrawal costs far more gas than a bid), the fixed fee is
/// raised to the needed amount when `raise_low_fees` is set, and a warning names both amounts;
/// otherwise the fixed fee is sent anyway with a warning naming the needed amount (the node may
/// accept it when its own minimum gas price is lower).
#[derive(Clone, Debug, PartialEq)]
pub struct FeePolicy {
    /// The price the needed fee is computed with (the node's minimum gas price, normally).
    pub gas_price: GasPrice,
    pub raise_low_fees: bool,
}

impl Default for FeePolicy {
    fn default() -> Self {
        FeePolicy {
            gas_price: kumo_client::coins::DEFAULT_GAS_PRICE
                .parse()
                .expect("the default gas price is valid"),
            raise_low_fees: true,
        }
    }
}

/// The fee of a tx with gas limit `gas` under `opts` and `policy`, and a warning when a fixed
/// fee was found too low (raised or not).
pub fn choose_fee(
    opts: &FeeOpts,
    policy: &FeePolicy,
    gas: u64,
) -> anyhow::Result<(Vec<Coin>, Option<String>)> {
    let Some(fixed) = &opts.fees else {
        return Ok((opts.fee_for(gas)?, None));
    };
    let needed = policy
        .gas_price
        .fee_for_gas(gas)
        .ok_or_else(|| anyhow!("the fee for {gas} gas at {} overflows", policy.gas_price))?;
    let denom = &policy.gas_price.denom;
    let have = fixed
        .iter()
        .filter(|c| &c.denom == denom)
        .map(|c| kumo_client::coins::parse_amount(&c.amount))
        .sum::<kumo_client::Result<u128>>()?;
    if have >= needed {
        return Ok((fixed.clone(), None));
    }
    let fixed_str = kumo_client::format_coins(fixed);
    let needed_str = format!("{needed}{denom}");
    if policy.raise_low_fees {
        let mut fee: Vec<Coin> = fixed
            .iter()
            .filter(|c| &c.denom != denom)
            .cloned()
            .collect();
        fee.push(Coin {
            denom: denom.clone(),
            amount: needed.to_string(),
        });
        fee.sort_by(|a, b| a.denom.cmp(&b.denom));
        Ok((
            fee,
            Some(format!(
                "the fixed fee chain.fees = {fixed_str} is below the {needed_str} this tx needs \
                 ({gas} gas × {}); paying {needed_str} (chain.raise_low_fees = true). Raise \
                 chain.fees to at least {needed_str} to silence this",
                policy.gas_price
            )),
        ))
    } else {
        Ok((
            fixed.clone(),
            Some(format!(
                "the fixed fee chain.fees = {fixed_str} is below the {needed_str} this tx needs \
                 ({gas} gas × {}); sending it anyway (chain.raise_low_fees = false), the node \
                 may refuse it: raise chain.fees to at least {needed_str} or set \
                 chain.raise_low_fees = true",
                policy.gas_price
            )),
        ))
    }
}

pub struct ChainClient {
    rpc: RpcClient,
    key: Arc<PrivKey>,
    address: String,
    chain_id: String,
    fee: FeeOpts,
    fee_policy: FeePolicy,
    tx_timeout: Duration,
    account: Mutex<Option<Account>>,
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> kumo_client::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(f).await??)
}

impl ChainClient {
    /// Connects (reads the chain id from the node when `chain_id` is empty).
    pub async fn connect(
        node: &str,
        chain_id: &str,
        key: PrivKey,
        fee: FeeOpts,
        tx_timeout: Duration,
    ) -> anyhow::Result<ChainClient> {
        let rpc = RpcClient::new(node);
        let chain_id = if chain_id.is_empty() {
            let r = rpc.clone();
            blocking(move || r.status())
                .await
                .with_context(|| format!("cannot reach the node at {node}"))?
                .chain_id
        } else {
            chain_id.to_string()
        };
        Ok(ChainClient {
            address: key.address().to_string(),
            rpc,
            key: Arc::new(key),
            chain_id,
            fee,
            fee_policy: FeePolicy::default(),
            tx_timeout,
            account: Mutex::new(None),
        })
    }

    /// Sets what happens when a fixed fee is below what a tx needs (default: raise it).
    pub fn with_fee_policy(mut self, policy: FeePolicy) -> ChainClient {
        self.fee_policy = policy;
        self
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn node_url(&self) -> &str {
        self.rpc.url()
    }

    pub async fn latest_height(&self) -> anyhow::Result<u64> {
        let r = self.rpc.clone();
        Ok(blocking(move || r.status()).await?.latest_height)
    }

    pub async fn catching_up(&self) -> anyhow::Result<bool> {
        let r = self.rpc.clone();
        Ok(blocking(move || r.status()).await?.catching_up)
    }

    /// The events of interest at `height`.
    pub async fn block_events(&self, height: u64) -> anyhow::Result<Vec<ChainEvent>> {
        let r = self.rpc.clone();
        let v = blocking(move || r.call("block_results", json!({"height": height.to_string()})))
            .await?;
        Ok(events::block_events(&v))
    }

    async fn query<Req, Resp>(&self, path: &'static str, req: Req) -> anyhow::Result<Resp>
    where
        Req: prost::Message + Send + 'static,
        Resp: prost::Message + Default + Send + 'static,
    {
        let r = self.rpc.clone();
        blocking(move || r.query_proto(path, &req)).await
    }

    /// Every order in `state` (`open`), paged.
    pub async fn orders(&self, state: &str) -> anyhow::Result<Vec<market::Order>> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let resp: market::QueryOrdersResponse = self
                .query(
                    "/akash.market.v1beta5.Query/Orders",
                    market::QueryOrdersRequest {
                        filters: Some(market::OrderFilters {
                            state: state.into(),
                            ..Default::default()
                        }),
                        pagination: Some(page(key)),
                    },
                )
                .await?;
            out.extend(resp.orders);
            match resp
                .pagination
                .map(|p| p.next_key)
                .filter(|k| !k.is_empty())
            {
                Some(k) => key = k,
                None => return Ok(out),
            }
        }
    }

    pub async fn order(&self, id: &OrderId) -> anyhow::Result<Option<market::Order>> {
        let resp: anyhow::Result<market::QueryOrderResponse> = self
            .query(
                "/akash.market.v1beta5.Query/Order",
                market::QueryOrderRequest {
                    id: Some(id.clone()),
                },
            )
            .await;
        not_found_is_none(resp.map(|r| r.order))
    }

    /// This provider's bids in `state` (`open`, `active`).
    pub async fn own_bids(&self, state: &str) -> anyhow::Result<Vec<market::Bid>> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let resp: market::QueryBidsResponse = self
                .query(
                    "/akash.market.v1beta5.Query/Bids",
                    market::QueryBidsRequest {
                        filters: Some(market::BidFilters {
                            provider: self.address.clone(),
                            state: state.into(),
                            ..Default::default()
                        }),
                        pagination: Some(page(key)),
                    },
                )
                .await?;
            out.extend(resp.bids.into_iter().filter_map(|b| b.bid));
            match resp
                .pagination
                .map(|p| p.next_key)
                .filter(|k| !k.is_empty())
            {
                Some(k) => key = k,
                None => return Ok(out),
            }
        }
    }

    /// Leases matching `filters`, paged.
    pub async fn leases(&self, filters: LeaseFilters) -> anyhow::Result<Vec<Lease>> {
        let mut out = Vec::new();
        let mut key = Vec::new();
        loop {
            let resp: market::QueryLeasesResponse = self
                .query(
                    "/akash.market.v1beta5.Query/Leases",
                    market::QueryLeasesRequest {
                        filters: Some(filters.clone()),
                        pagination: Some(page(key)),
                    },
                )
                .await?;
            out.extend(resp.leases.into_iter().filter_map(|l| l.lease));
            match resp
                .pagination
                .map(|p| p.next_key)
                .filter(|k| !k.is_empty())
            {
                Some(k) => key = k,
                None => return Ok(out),
            }
        }
    }

    /// This provider's active leases.
    pub async fn own_active_leases(&self) -> anyhow::Result<Vec<Lease>> {
        self.leases(LeaseFilters {
            provider: self.address.clone(),
            state: "active".into(),
            ..Default::default()
        })
        .await
    }

    pub async fn lease(&self, id: &LeaseId) -> anyhow::Result<Option<Lease>> {
        let resp: anyhow::Result<market::QueryLeaseResponse> = self
            .query(
                "/akash.market.v1beta5.Query/Lease",
                market::QueryLeaseRequest {
                    id: Some(id.clone()),
                },
            )
            .await;
        not_found_is_none(resp.map(|r| r.lease))
    }

    /// This provider's on-chain attributes (empty when it is not registered).
    pub async fn provider_attributes(&self) -> anyhow::Result<Option<Vec<Attribute>>> {
        let resp: anyhow::Result<prov::QueryProviderResponse> = self
            .query(
                "/akash.provider.v1beta4.Query/Provider",
                prov::QueryProviderRequest {
                    owner: self.address.clone(),
                },
            )
            .await;
        not_found_is_none(resp.map(|r| r.provider.map(|p| p.attributes)))
    }

    /// Attributes auditors signed for this provider, by auditor.
    pub async fn audited_attributes(
        &self,
    ) -> anyhow::Result<std::collections::BTreeMap<String, Vec<Attribute>>> {
        let resp: audit::QueryProvidersResponse = self
            .query(
                "/akash.audit.v1.Query/ProviderAttributes",
                audit::QueryProviderAttributesRequest {
                    owner: self.address.clone(),
                    pagination: Some(page(Vec::new())),
                },
            )
            .await?;
        Ok(resp
            .providers
            .into_iter()
            .map(|p| (p.auditor, p.attributes))
            .collect())
    }

    /// The escrow account of deployment `owner/dseq`.
    pub async fn deployment_escrow(
        &self,
        owner: &str,
        dseq: u64,
    ) -> anyhow::Result<Option<EscrowAccount>> {
        let resp: escrow::QueryAccountsResponse = self
            .query(
                "/akash.escrow.v1.Query/Accounts",
                escrow::QueryAccountsRequest {
                    state: String::new(),
                    // The filter is a key prefix: `<scope>/<owner>/<dseq>`.
                    xid: format!("deployment/{owner}/{dseq}"),
                    pagination: Some(page(Vec::new())),
                },
            )
            .await?;
        Ok(resp.accounts.into_iter().find(|a| {
            a.id.as_ref().is_some_and(|id| {
                id.scope == kumo_proto::akash::escrow::id::v1::Scope::Deployment as i32
            })
        }))
    }

    /// Signs with the provider key and broadcasts; waits until the tx is in a block and
    /// returns an error with the chain's message when it failed. The account sequence is kept
    /// locally and re-read once on a mismatch.
    pub async fn send(&self, msgs: Vec<Any>) -> anyhow::Result<TxInfo> {
        let mut account = self.account.lock().await;
        for attempt in 0..2 {
            let acc = match *account {
                Some(a) => a,
                None => {
                    let r = self.rpc.clone();
                    let addr = self.address.clone();
                    let a = blocking(move || r.account(&addr)).await?.ok_or_else(|| {
                        anyhow!(
                            "the provider account {} does not exist on chain; fund it first",
                            self.address
                        )
                    })?;
                    Account {
                        number: a.account_number,
                        sequence: a.sequence,
                    }
                }
            };
            let (r, key, chain_id, fee, policy, msgs2) = (
                self.rpc.clone(),
                self.key.clone(),
                self.chain_id.clone(),
                self.fee.clone(),
                self.fee_policy.clone(),
                msgs.clone(),
            );
            let res = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let builder = TxBuilder::new(chain_id, acc.number, acc.sequence).msgs(msgs2);
                let gas = match &fee.gas {
                    Gas::Fixed(g) => *g,
                    Gas::Auto { adjustment } => {
                        let used = r.simulate(&builder.simulation_bytes(&key.pubkey()))?;
                        adjustment
                            .mul_ceil(u128::from(used))
                            .and_then(|g| u64::try_from(g).ok())
                            .unwrap_or(u64::MAX)
                    }
                };
                let (coins, warning) = choose_fee(&fee, &policy, gas)?;
                if let Some(w) = warning {
                    tracing::warn!("{w}");
                }
                let signed = builder.gas_limit(gas).fee(coins).sign(&key);
                Ok(r.broadcast_tx_sync(&signed.tx_bytes)?)
            })
            .await
            .map_err(anyhow::Error::from)
            .and_then(|r| r);
            let res = match res {
                Ok(r) => r,
                Err(e) => {
                    // Simulation fails on a stale sequence too: re-read the account once.
                    *account = None;
                    if attempt == 0 && e.to_string().contains("sequence") {
                        continue;
                    }
                    return Err(e);
                }
            };
            if res.code == SEQUENCE_MISMATCH && (res.codespace == "sdk" || res.codespace.is_empty())
            {
                *account = None;
                if attempt == 0 {
                    continue;
                }
            }
            if res.code != 0 {
                *account = None;
                bail!(
                    "tx refused by the node ({} {}): {}",
                    res.codespace,
                    res.code,
                    res.log
                );
            }
            *account = Some(Account {
                number: acc.number,
                sequence: acc.sequence + 1,
            });
            drop(account);
            let (r, hash, timeout) = (self.rpc.clone(), res.hash.clone(), self.tx_timeout);
            let info = blocking(move || r.wait_for_tx(&hash, timeout)).await?;
            if info.code != 0 {
                bail!(
                    "tx {} failed ({} {}): {}",
                    info.hash,
                    info.codespace,
                    info.code,
                    info.log
                );
            }
            return Ok(info);
        }
        unreachable!("the loop returns")
    }

    pub async fn create_bid(
        &self,
        order: &OrderId,
        bid: &crate::bidengine::Bid,
        deposit: cosmos_sdk_proto::cosmos::base::v1beta1::Coin,
    ) -> anyhow::Result<TxInfo> {
        let msg = market::MsgCreateBid {
            id: Some(self.bid_id(order)),
            price: Some(bid.price.clone()),
            deposit: Some(kumo_proto::akash::base::deposit::v1::Deposit {
                amount: Some(deposit),
                sources: vec![kumo_proto::akash::base::deposit::v1::Source::Balance as i32],
            }),
            resources_offer: bid.resources_offer.clone(),
            reclamation_window: None,
        };
        self.send(vec![kumo_client::tx::to_any(&msg)]).await
    }

    pub async fn close_bid(&self, id: BidId, reason: LeaseClosedReason) -> anyhow::Result<TxInfo> {
        let msg = market::MsgCloseBid {
            id: Some(id),
            reason: reason as i32,
        };
        self.send(vec![kumo_client::tx::to_any(&msg)]).await
    }

    pub async fn withdraw_lease(&self, id: &LeaseId) -> anyhow::Result<TxInfo> {
        let msg = market::MsgWithdrawLease {
            id: Some(id.clone()),
        };
        self.send(vec![kumo_client::tx::to_any(&msg)]).await
    }

    /// This provider's bid id on an order (bseq 0).
    pub fn bid_id(&self, o: &OrderId) -> BidId {
        BidId {
            owner: o.owner.clone(),
            dseq: o.dseq,
            gseq: o.gseq,
            oseq: o.oseq,
            provider: self.address.clone(),
            bseq: 0,
        }
    }
}

fn page(key: Vec<u8>) -> PageRequest {
    PageRequest {
        key,
        offset: 0,
        limit: PAGE,
        count_total: false,
        reverse: false,
    }
}

/// A query for something absent answers with a not-found code: `None`, not an error.
fn not_found_is_none<T>(r: anyhow::Result<Option<T>>) -> anyhow::Result<Option<T>> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => match e.downcast_ref::<kumo_client::ClientError>() {
            Some(kumo_client::ClientError::Query { log, .. }) if log.contains("not found") => {
                Ok(None)
            }
            _ => Err(e),
        },
    }
}

/// The lease id of a bid / order on this provider.
pub fn lease_id(b: &BidId) -> LeaseId {
    LeaseId {
        owner: b.owner.clone(),
        dseq: b.dseq,
        gseq: b.gseq,
        oseq: b.oseq,
        provider: b.provider.clone(),
        bseq: b.bseq,
    }
}

pub fn order_of_lease(l: &LeaseId) -> OrderId {
    OrderId {
        owner: l.owner.clone(),
        dseq: l.dseq,
        gseq: l.gseq,
        oseq: l.oseq,
    }
}

pub fn order_of_bid(b: &BidId) -> OrderId {
    OrderId {
        owner: b.owner.clone(),
        dseq: b.dseq,
        gseq: b.gseq,
        oseq: b.oseq,
    }
}

/// The last height whose events were all handled, kept in `<state_dir>/last_height`.
pub struct HeightFile(PathBuf);

impl HeightFile {
    pub fn new(state_dir: &Path) -> anyhow::Result<HeightFile> {
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("cannot create the state dir {}", state_dir.display()))?;
        Ok(HeightFile(state_dir.join("last_height")))
    }

    pub fn read(&self) -> anyhow::Result<Option<u64>> {
        match std::fs::read_to_string(&self.0) {
            Ok(s) => s.trim().parse().map(Some).with_context(|| {
                format!(
                    "{} is not a height; delete it to start from the chain's tip",
                    self.0.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.0.display())),
        }
    }

    /// Written to a temporary file and renamed, so a crash never leaves half a number.
    pub fn write(&self, height: u64) -> anyhow::Result<()> {
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, height.to_string())?;
        std::fs::rename(&tmp, &self.0)?;
        Ok(())
    }
}

/// One block's worth of events, delivered in height order.
#[derive(Debug)]
pub struct BlockEvents {
    pub height: u64,
    pub events: Vec<ChainEvent>,
}

/// Follows the chain from `from` (inclusive): sends every height's events in order, then
/// waits for new blocks (websocket `NewBlock`, or polling `status` every `poll` when the
/// websocket is unavailable). Stops when `shutdown` becomes true or the receiver is dropped.
/// Transient node errors are retried with backoff; nothing is skipped.
pub async fn follow(
    chain: Arc<ChainClient>,
    from: u64,
    poll: Duration,
    out: mpsc::Sender<BlockEvents>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut next = from;
    let (tip_tx, mut tip_rx) = watch::channel(0u64);
    let ws_url = websocket_url(chain.node_url());
    let ws_shutdown = shutdown.clone();
    let ws = tokio::spawn(watch_new_blocks(ws_url, tip_tx, ws_shutdown));
    let mut backoff = Duration::from_millis(250);
    loop {
        if *shutdown.borrow() {
            break;
        }
        let tip = match chain.latest_height().await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!("cannot read the node's height: {e:#}; retrying in {backoff:?}");
                if sleep_or_shutdown(backoff, &mut shutdown).await {
                    break;
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        while next <= tip {
            match chain.block_events(next).await {
                Ok(events) => {
                    if out
                        .send(BlockEvents {
                            height: next,
                            events,
                        })
                        .await
                        .is_err()
                    {
                        ws.abort();
                        return;
                    }
                    next += 1;
                    backoff = Duration::from_millis(250);
                }
                Err(e) => {
                    tracing::warn!(
                        "cannot read the results of block {next}: {e:#}; retrying in {backoff:?}"
                    );
                    if sleep_or_shutdown(backoff, &mut shutdown).await {
                        ws.abort();
                        return;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
            if *shutdown.borrow() {
                break;
            }
        }
        // Wait for the websocket's next block, or poll.
        tokio::select! {
            _ = tip_rx.changed() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => {}
        }
    }
    ws.abort();
}

async fn sleep_or_shutdown(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}

/// `http://host:26657` → `ws://host:26657/websocket`.
pub fn websocket_url(node: &str) -> String {
    let base = node.trim_end_matches('/');
    let base = base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| base.strip_prefix("http://").map(|r| format!("ws://{r}")))
        .unwrap_or_else(|| base.to_string());
    format!("{base}/websocket")
}

/// Subscribes to `tm.event='NewBlock'` and publishes each new height; reconnects with backoff.
async fn watch_new_blocks(
    url: String,
    tip: watch::Sender<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        match subscribe_once(&url, &tip, &mut shutdown).await {
            Ok(()) => return,
            Err(e) => {
                tracing::debug!("websocket {url}: {e:#}; polling until it reconnects");
                if sleep_or_shutdown(backoff, &mut shutdown).await {
                    return;
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

async fn subscribe_once(
    url: &str,
    tip: &watch::Sender<u64>,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    use tokio_tungstenite::tungstenite::Message;
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async(url),
    )
    .await
    .context("connect timed out")??;
    let req = json!({"jsonrpc": "2.0", "id": 1, "method": "subscribe",
                     "params": {"query": "tm.event='NewBlock'"}});
    ws.send(Message::Text(req.to_string().into())).await?;
    loop {
        tokio::select! {
            _ = shutdown.changed() => return Ok(()),
            msg = ws.next() => {
                let msg = match msg {
                    None => bail!("closed by the node"),
                    Some(m) => m?,
                };
                let text = match msg {
                    Message::Text(t) => t.as_str().to_string(),
                    Message::Ping(p) => { ws.send(Message::Pong(p)).await?; continue; }
                    Message::Close(_) => bail!("closed by the node"),
                    _ => continue,
                };
                let v: Value = serde_json::from_str(&text)?;
                if let Some(e) = v.get("error") {
                    bail!("subscribe refused: {e}");
                }
                let h = v["result"]["data"]["value"]["block"]["header"]["height"]
                    .as_str()
                    .and_then(|h| h.parse::<u64>().ok());
                if let Some(h) = h {
                    tip.send_replace(h);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn height_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let f = HeightFile::new(&dir.path().join("state")).unwrap();
        assert_eq!(f.read().unwrap(), None);
        f.write(41).unwrap();
        f.write(42).unwrap();
        assert_eq!(f.read().unwrap(), Some(42));
        std::fs::write(dir.path().join("state/last_height"), "x").unwrap();
        assert!(f.read().unwrap_err().to_string().contains("delete it"));
    }

    #[test]
    fn fixed_fees_too_low_are_raised_or_warned() {
        let fixed = FeeOpts {
            fees: Some(kumo_client::parse_coins("5000uakt").unwrap()),
            ..Default::default()
        };
        let raise = FeePolicy::default();
        // Enough: the fixed fee as it is, silently.
        let (fee, warn) = choose_fee(&fixed, &raise, 200_000).unwrap();
        assert_eq!(kumo_client::format_coins(&fee), "5000uakt");
        assert!(warn.is_none());
        // The overdrawn lease's withdrawal of the incident: 270 222 gas needs 6 756uakt.
        let (fee, warn) = choose_fee(&fixed, &raise, 270_222).unwrap();
        assert_eq!(kumo_client::format_coins(&fee), "6756uakt");
        let warn = warn.unwrap();
        assert!(
            warn.contains("5000uakt") && warn.contains("6756uakt"),
            "{warn}"
        );
        // Not allowed to raise: the fixed fee, and a warning with the needed amount.
        let keep = FeePolicy {
            raise_low_fees: false,
            ..FeePolicy::default()
        };
        let (fee, warn) = choose_fee(&fixed, &keep, 270_222).unwrap();
        assert_eq!(kumo_client::format_coins(&fee), "5000uakt");
        let warn = warn.unwrap();
        assert!(
            warn.contains("6756uakt") && warn.contains("raise chain.fees"),
            "{warn}"
        );
        // Gas prices (no fixed fee): gas × price, no warning.
        let (fee, warn) = choose_fee(&FeeOpts::default(), &raise, 270_222).unwrap();
        assert_eq!(kumo_client::format_coins(&fee), "6756uakt");
        assert!(warn.is_none());
    }

    #[test]
    fn websocket_urls() {
        assert_eq!(
            websocket_url("http://127.0.0.1:26657"),
            "ws://127.0.0.1:26657/websocket"
        );
        assert_eq!(
            websocket_url("https://rpc.example.com/"),
            "wss://rpc.example.com/websocket"
        );
    }
}
