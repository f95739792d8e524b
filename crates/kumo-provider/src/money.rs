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

use crate::bidengine::dec_from_wire;
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
        .and_then(|b| dec_from_wire(&b.amount).ok())
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
}

struct Watched {
    id: LeaseId,
    next_withdraw: Instant,
    next_check: Instant,
}

fn key(l: &LeaseId) -> String {
    format!(
        "{}/{}/{}/{}/{}",
        l.owner, l.dseq, l.gseq, l.oseq, l.provider
    )
}

/// The money loop: one pass per second over the watched leases; stops on shutdown.
pub async fn run(
    chain: Arc<ChainClient>,
    withdrawal_period: Duration,
    check_interval: Duration,
    mut cmds: mpsc::Receiver<MoneyCmd>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut leases: BTreeMap<String, Watched> = BTreeMap::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
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
            },
            _ = tick.tick() => {
                let now = Instant::now();
                let due: Vec<String> = leases
                    .iter()
                    .filter(|(_, w)| w.next_withdraw <= now || w.next_check <= now)
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in due {
                    let Some(w) = leases.get_mut(&k) else { continue };
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
                    if w.next_check <= now {
                        w.next_check = now + match check_funds(&chain, &w.id).await {
                            Ok(Funds::Dry) => {
                                tracing::warn!(lease = %k, "the deployment's escrow ran dry; withdrawing so the chain closes the lease");
                                if let Err(e) = chain.withdraw_lease(&w.id).await {
                                    tracing::warn!(lease = %k, "withdrawal failed: {e:#}");
                                }
                                AFTER_DRY
                            }
                            Ok(f) => next_check(f, check_interval),
                            Err(e) => {
                                tracing::warn!(lease = %k, "escrow check failed: {e:#}; retrying in 1m");
                                RETRY
                            }
                        };
                    }
                }
            }
        }
    }
}

/// Reads the deployment's escrow and every active lease of the deployment.
pub async fn check_funds(chain: &ChainClient, lease: &LeaseId) -> anyhow::Result<Funds> {
    if chain.catching_up().await? {
        return Ok(Funds::Remaining(1));
    }
    let height = chain.latest_height().await?;
    let Some(account) = chain.deployment_escrow(&lease.owner, lease.dseq).await? else {
        return Ok(Funds::Dry);
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
        .filter_map(|p| dec_from_wire(&p.amount).ok())
        .collect();
    let (balance, settled_at) = account_balance(&account, &denom);
    Ok(funds_left(balance, settled_at, height, &prices))
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
