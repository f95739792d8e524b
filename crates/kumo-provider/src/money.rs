//! Getting paid (`../shared/spec/akash-offchain.md` §2.12): withdraw every lease's earnings each
//! withdrawal period (and once more when it closes), and watch each lease's deployment escrow:
//! when it has run dry, send `MsgWithdrawLease` so the chain settles and closes the lease
//! (reason `insufficient_funds`), instead of working for free.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kumo_proto::akash::escrow::types::v1::Account as EscrowAccount;
use kumo_proto::akash::market::v1::{LeaseFilters, LeaseId};
use kumo_proto::math::Dec;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::chain::ChainClient;

/// Assumed block time when turning a number of blocks into a wait.
pub const BLOCK_TIME: Duration = Duration::from_secs(6);
/// Wait after an error before trying again.
const RETRY: Duration = Duration::from_secs(60);
/// Re-check after an out-of-funds withdrawal.
const AFTER_DRY: Duration = Duration::from_secs(600);

/// What an escrow check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Funds {
    /// Blocks of payment left at the current rate.
    Remaining(u128),
    /// The balance does not cover what accrued since the last settlement.
    Dry,
}

/// `balanceRemain = balance − Σ prices × (height − settled_at)`, `blocksRemain = balanceRemain
/// / Σ prices` (all LegacyDec, per block).
pub fn funds_left(balance: Dec, settled_at: i64, height: u64, prices: &[Dec]) -> Funds {
    let rate: u128 = prices.iter().map(|p| p.atomics()).sum();
    if rate == 0 {
        return Funds::Remaining(u128::MAX);
    }
    let elapsed = u128::from(height.saturating_sub(settled_at.max(0) as u64));
    let owed = rate.saturating_mul(elapsed);
    if owed >= balance.atomics() {
        return Funds::Dry;
    }
    match (balance.atomics() - owed) / rate {
        0 => Funds::Dry,
        n => Funds::Remaining(n),
    }
}

/// The escrow account's balance in `denom` (LegacyDec atomics on the wire).
pub fn account_balance(account: &EscrowAccount, denom: &str) -> (Dec, i64) {
    let Some(state) = &account.state else {
        return (Dec::default(), 0);
    };
    let balance = state
        .funds
        .iter()
        .find(|b| b.denom == denom)
        .and_then(|b| Dec::from_wire(&b.amount).ok())
        .unwrap_or_default();
    (balance, state.settled_at)
}

/// How long to wait before the next funds check: `min(blocks left, interval / block time)`.
pub fn next_check(funds: Funds, interval: Duration) -> Duration {
    match funds {
        Funds::Dry => AFTER_DRY,
        Funds::Remaining(n) => {
            let max_blocks = (interval.as_secs() / BLOCK_TIME.as_secs()).max(1) as u128;
            BLOCK_TIME * n.clamp(1, max_blocks) as u32
        }
    }
}

pub enum MoneyCmd {
    /// A lease to withdraw from and watch.
    Watch(LeaseId),
    /// The lease closed: stop, after a last withdrawal.
    Closed(LeaseId),
    /// The daemon processed this height: checks scheduled by height are due.
    Height(u64),
}

struct Watched {
    id: LeaseId,
    next_withdraw: Instant,
    next_check: Instant,
    /// The height at which the escrow is predicted to run dry (0: none known): the funds
    /// check runs then, whatever the block time, so a dry escrow is settled within a block or
    /// two of running out.
    check_height: u64,
}

fn key(l: &LeaseId) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        l.owner, l.dseq, l.gseq, l.oseq, l.provider
    )
}

/// The money loop: one pass per second (and one per processed block) over the watched leases;
/// stops on shutdown. A lease the chain closed when its escrow ran dry is reported on `closed`
/// so the daemon removes its workloads even if it missed the close event.
pub async fn run(
    chain: Arc<ChainClient>,
    withdrawal_period: Duration,
    check_interval: Duration,
    mut cmds: mpsc::Receiver<MoneyCmd>,
    closed: mpsc::Sender<LeaseId>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut leases: BTreeMap<String, Watched> = BTreeMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut height = 0u64;
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            cmd = cmds.recv() => match cmd {
                None => return,
                Some(MoneyCmd::Watch(id)) => {
                    let now = Instant::now();
                    leases.entry(key(&id)).or_insert(Watched {
                        id,
                        next_withdraw: now + withdrawal_period,
                        next_check: now,
                        check_height: 0,
                    });
                }
                Some(MoneyCmd::Closed(id)) => {
                    leases.remove(&key(&id));
                    // The chain settled the payment when it closed the lease; a withdrawal moves
                    // what is left. It fails harmlessly when nothing is.
                    if let Err(e) = chain.withdraw_lease(&id).await {
                        tracing::debug!(lease = %key(&id), "final withdrawal: {e:#}");
                    } else {
                        tracing::info!(lease = %key(&id), "withdrew the closed lease's earnings");
                    }
                }
                Some(MoneyCmd::Height(h)) => {
                    height = height.max(h);
                    if leases.values().any(|w| w.check_height != 0 && w.check_height <= height) {
                        pass(&chain, &mut leases, height, withdrawal_period, check_interval, &closed).await;
                    }
                }
            },
            _ = tick.tick() => {
                pass(&chain, &mut leases, height, withdrawal_period, check_interval, &closed).await;
            }
        }
    }
}

/// Withdraws from and checks the escrow of every lease that is due.
async fn pass(
    chain: &ChainClient,
    leases: &mut BTreeMap<String, Watched>,
    height: u64,
    withdrawal_period: Duration,
    check_interval: Duration,
    closed: &mpsc::Sender<LeaseId>,
) {
    let now = Instant::now();
    let due: Vec<String> = leases
        .iter()
        .filter(|(_, w)| {
            w.next_withdraw <= now
                || w.next_check <= now
                || (w.check_height != 0 && w.check_height <= height)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for k in due {
        let Some(w) = leases.get_mut(&k) else {
            continue;
        };
        if w.next_withdraw <= now {
            match chain.withdraw_lease(&w.id).await {
                Ok(tx) => {
                    tracing::info!(lease = %k, tx = %tx.hash, "withdrew lease earnings");
                    w.next_withdraw = now + withdrawal_period;
                }
                Err(e) => {
                    tracing::warn!(lease = %k, "withdrawal failed: {e:#}; retrying in 1m");
                    w.next_withdraw = now + RETRY;
                }
            }
        }
        let check_due = w.next_check <= now || (w.check_height != 0 && w.check_height <= height);
        if !check_due {
            continue;
        }
        match check_funds(chain, &w.id).await {
            Ok((Funds::Dry, at)) => {
                tracing::warn!(lease = %k, height = at, "the deployment's escrow ran dry; withdrawing so the chain settles and closes the lease");
                match chain.withdraw_lease(&w.id).await {
                    Ok(tx) => tracing::info!(lease = %k, tx = %tx.hash, "settled the dry lease"),
                    Err(e) => {
                        tracing::warn!(lease = %k, "settling withdrawal failed: {e:#}; retrying next block")
                    }
                }
                // Whether it went through or not, look again at the next block: a lease the
                // chain closed is reported (its workloads go), one still open is settled again.
                match lease_closed(chain, &w.id).await {
                    Ok(true) => {
                        tracing::info!(lease = %k, "the chain closed the lease (insufficient funds)");
                        let id = w.id.clone();
                        leases.remove(&k);
                        let _ = closed.send(id).await;
                        continue;
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(lease = %k, "cannot read the lease: {e:#}"),
                }
                w.check_height = at + 1;
                w.next_check = now + AFTER_DRY;
            }
            Ok((f, at)) => {
                w.next_check = now + next_check(f, check_interval);
                w.check_height = match f {
                    Funds::Remaining(n) => at.saturating_add(u64::try_from(n).unwrap_or(u64::MAX)),
                    Funds::Dry => at + 1,
                };
            }
            Err(e) => {
                tracing::warn!(lease = %k, "escrow check failed: {e:#}; retrying in 1m");
                w.next_check = now + RETRY;
            }
        }
    }
}

/// Whether the lease is no longer active on chain (closed, or gone).
async fn lease_closed(chain: &ChainClient, id: &LeaseId) -> anyhow::Result<bool> {
    Ok(match chain.lease(id).await? {
        None => true,
        Some(l) => l.state != kumo_proto::akash::market::v1::lease::State::Active as i32,
    })
}

/// Reads the deployment's escrow and every active lease of the deployment; returns the funds
/// left and the height they were computed at.
pub async fn check_funds(chain: &ChainClient, lease: &LeaseId) -> anyhow::Result<(Funds, u64)> {
    let height = chain.latest_height().await?;
    if chain.catching_up().await? {
        return Ok((Funds::Remaining(1), height));
    }
    let Some(account) = chain.deployment_escrow(&lease.owner, lease.dseq).await? else {
        return Ok((Funds::Dry, height));
    };
    let leases = chain
        .leases(LeaseFilters {
            owner: lease.owner.clone(),
            dseq: lease.dseq,
            state: "active".into(),
            ..Default::default()
        })
        .await?;
    let denom = leases
        .iter()
        .find_map(|l| l.price.as_ref().map(|p| p.denom.clone()))
        .unwrap_or_else(|| "uakt".into());
    let prices: Vec<Dec> = leases
        .iter()
        .filter_map(|l| l.price.as_ref())
        .filter_map(|p| Dec::from_wire(&p.amount).ok())
        .collect();
    let (balance, settled_at) = account_balance(&account, &denom);
    Ok((funds_left(balance, settled_at, height, &prices), height))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec {
        s.parse().unwrap()
    }

    #[test]
    fn escrow_formula() {
        // 1000 left at settlement (height 100), two leases paying 3 + 2 per block.
        let prices = [d("3"), d("2")];
        assert_eq!(
            funds_left(d("1000"), 100, 100, &prices),
            Funds::Remaining(200)
        );
        assert_eq!(
            funds_left(d("1000"), 100, 150, &prices),
            Funds::Remaining(150)
        );
        assert_eq!(
            funds_left(d("1000"), 100, 299, &prices),
            Funds::Remaining(1)
        );
        assert_eq!(funds_left(d("1000"), 100, 300, &prices), Funds::Dry);
        assert_eq!(funds_left(d("1000"), 100, 10_000, &prices), Funds::Dry);
        assert_eq!(
            funds_left(d("0.5"), 100, 100, &[d("0.25")]),
            Funds::Remaining(2)
        );
        assert_eq!(funds_left(d("1"), 0, 5, &[]), Funds::Remaining(u128::MAX));
    }

    #[test]
    fn check_waits() {
        let ten_min = Duration::from_secs(600);
        assert_eq!(
            next_check(Funds::Remaining(5), ten_min),
            Duration::from_secs(30)
        );
        assert_eq!(next_check(Funds::Remaining(1_000_000), ten_min), ten_min);
        assert_eq!(next_check(Funds::Dry, ten_min), AFTER_DRY);
    }

    #[test]
    fn balance_in_denom() {
        use kumo_proto::akash::escrow::types::v1::{AccountState, Balance};
        let acc = EscrowAccount {
            id: None,
            state: Some(AccountState {
                settled_at: 7,
                funds: vec![Balance {
                    denom: "uakt".into(),
                    amount: d("12.5").atomics().to_string(),
                }],
                ..Default::default()
            }),
        };
        assert_eq!(account_balance(&acc, "uakt"), (d("12.5"), 7));
        assert_eq!(account_balance(&acc, "uact"), (Dec::default(), 7));
    }
}
