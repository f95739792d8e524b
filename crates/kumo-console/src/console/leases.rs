//! What the "manage" pages show about an account's deployments, read from the chain at one
//! height: the list (state, active leases, escrow balance and time left), and one deployment
//! with its groups, leases and prices. Every query is filtered by the signed-in owner, so a
//! deployment of another account is simply not found (the pages answer 404).

use anyhow::{Context, Result};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_client::price;
use kumo_client::RpcClient;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::escrow::types::v1::AccountState;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;

use crate::stats::figures::{group_resources, predicted_closed_height};
use crate::web::fmt;

/// Rows per page of the deployments list.
pub const PAGE_SIZE: usize = 20;

/// Which deployments the list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateFilter {
    Active,
    Closed,
    All,
}

impl StateFilter {
    /// `active` (default), `closed` or `all`; anything else is refused with the choices.
    pub fn parse(s: Option<&str>) -> Result<StateFilter, String> {
        match s.unwrap_or("active") {
            "" | "active" => Ok(StateFilter::Active),
            "closed" => Ok(StateFilter::Closed),
            "all" => Ok(StateFilter::All),
            other => Err(format!(
                "state {other:?} is not one of active, closed or all"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StateFilter::Active => "active",
            StateFilter::Closed => "closed",
            StateFilter::All => "all",
        }
    }

    /// The chain's filter value (`""` = every state).
    fn chain_value(self) -> &'static str {
        match self {
            StateFilter::All => "",
            s => s.as_str(),
        }
    }
}

/// A deployment's escrow at a height: what is left after the payments accrued since the last
/// settlement, and how long that lasts at the active leases' summed rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escrow {
    pub denom: String,
    /// Unspent funds at `height` (LegacyDec atomics of the micro unit).
    pub balance_atomics: u128,
    /// Σ per-block prices of the active leases in `denom` (atomics).
    pub rate_atomics: u128,
    /// Blocks from `height` until the balance runs out; None without an active lease.
    pub blocks_left: Option<u64>,
    pub open: bool,
}

impl Escrow {
    /// `4.990000 AKT`; `—` for a closed escrow ([`Escrow::balance_note`] says why).
    pub fn balance_text(&self) -> String {
        if !self.open {
            return "—".into();
        }
        tokens_text(self.balance_atomics, &self.denom)
    }

    /// Under the balance: where a closed escrow's funds went.
    pub fn balance_note(&self) -> &'static str {
        if self.open {
            ""
        } else {
            "closed: the rest went back to the owner"
        }
    }

    /// `66.6 h`, or why there is no figure (the page's big number).
    pub fn hours_text(&self) -> String {
        match self.blocks_left {
            Some(b) if self.open => format!("{} h", price::hours_text(u128::from(b))),
            _ => "—".into(),
        }
    }

    /// `40,000 blocks of 6 s`, or why there is no figure (under the big number).
    pub fn blocks_text(&self) -> String {
        if !self.open {
            return "escrow closed".into();
        }
        match self.blocks_left {
            Some(b) => format!("{} blocks of 6 s", fmt::thousands(u128::from(b))),
            None => "no active lease is paid from it".into(),
        }
    }

    /// `66.6 h (40,000 blocks)`, or why there is no figure.
    pub fn time_left_text(&self) -> String {
        if !self.open {
            return "— (escrow closed)".into();
        }
        match self.blocks_left {
            Some(b) => format!(
                "{} h ({} blocks)",
                price::hours_text(u128::from(b)),
                fmt::thousands(u128::from(b))
            ),
            None => "— (no active lease is paid from it)".into(),
        }
    }

    /// Under a day of blocks left: the page warns.
    pub fn low(&self) -> bool {
        self.open
            && self
                .blocks_left
                .is_some_and(|b| u128::from(b) < 24 * price::BLOCKS_PER_HOUR)
    }
}

/// LegacyDec atomics of a micro denom as whole tokens with six decimals: `4.990000 AKT`.
pub fn tokens_text(atomics: u128, denom: &str) -> String {
    // 10^18 (Dec) × 10^6 (micro) per whole token; six decimals = whole micro units.
    let micro = atomics / 10u128.pow(18);
    format!(
        "{}.{:06} {}",
        fmt::thousands(micro / 1_000_000),
        micro % 1_000_000,
        price::display_unit(denom)
    )
}

/// One row of the deployments list.
#[derive(Clone, Debug)]
pub struct DeploymentRow {
    pub dseq: u64,
    pub state: String,
    pub active_leases: usize,
    pub escrow: Option<Escrow>,
    pub created_height: i64,
}

/// One page of the list and how many deployments matched.
#[derive(Clone, Debug)]
pub struct DeploymentPage {
    pub rows: Vec<DeploymentRow>,
    pub total: usize,
    pub height: u64,
}

/// A group of a deployment: its spec's name, state and resources.
#[derive(Clone, Debug)]
pub struct GroupRow {
    pub gseq: u32,
    pub name: String,
    pub state: String,
    pub cpu: String,
    pub memory: String,
    pub storage: String,
    pub gpu: u128,
}

/// A lease with its prices in the units people read.
#[derive(Clone, Debug)]
pub struct LeaseRow {
    pub id: mv1::LeaseId,
    pub state: String,
    pub active: bool,
    pub per_block: String,
    pub per_hour: String,
    pub per_month: String,
    pub created_height: i64,
    pub closed_height: Option<i64>,
}

impl LeaseRow {
    /// `/deployments/{dseq}/leases/{gseq}/{oseq}/{provider}`: where its panels live.
    pub fn path(&self) -> String {
        format!(
            "/deployments/{}/leases/{}/{}/{}",
            self.id.dseq, self.id.gseq, self.id.oseq, self.id.provider
        )
    }
}

/// One deployment of the owner, everything the deployment page shows.
#[derive(Clone, Debug)]
pub struct DeploymentDetail {
    pub owner: String,
    pub dseq: u64,
    pub state: String,
    pub active: bool,
    pub created_height: i64,
    pub version: String,
    pub groups: Vec<GroupRow>,
    pub leases: Vec<LeaseRow>,
    pub escrow: Option<Escrow>,
    pub height: u64,
}

fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn all_pages() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 10_000,
        ..Default::default()
    })
}

/// The node's latest height and a client pinned to it, so one page reads one state.
fn pinned(chain: &RpcClient) -> Result<(u64, RpcClient)> {
    let height = chain
        .status()
        .context("the node did not answer its status")?
        .latest_height;
    Ok((height, chain.clone().at_height(Some(height))))
}

fn escrow_at(
    account: Option<&AccountState>,
    leases: &[mv1b5::QueryLeaseResponse],
    height: u64,
) -> Option<Escrow> {
    let state = account?;
    let open = state.state == kumo_proto::akash::escrow::types::v1::State::Open as i32;
    // funds[0] is the primary denom; deployments carry one.
    let fund = state.funds.first()?;
    let funds = fund.amount.parse::<i128>().unwrap_or(0).max(0) as u128;
    let rate: u128 = leases
        .iter()
        .filter_map(|l| l.lease.as_ref())
        .filter(|l| l.state == mv1::lease::State::Active as i32)
        .filter_map(|l| l.price.as_ref())
        .filter(|p| p.denom == fund.denom)
        .map(|p| p.amount.parse::<u128>().unwrap_or(0))
        .sum();
    let settled_at = u64::try_from(state.settled_at).unwrap_or(0);
    let accrued = rate.saturating_mul(u128::from(height.saturating_sub(settled_at)));
    let blocks_left = if open {
        predicted_closed_height(settled_at, funds, rate).map(|end| end.saturating_sub(height))
    } else {
        None
    };
    Some(Escrow {
        denom: fund.denom.clone(),
        balance_atomics: if open {
            funds.saturating_sub(accrued)
        } else {
            0
        },
        rate_atomics: rate,
        blocks_left,
        open,
    })
}

fn leases_of(chain: &RpcClient, owner: &str, dseq: u64) -> Result<Vec<mv1b5::QueryLeaseResponse>> {
    let r: mv1b5::QueryLeasesResponse = chain
        .query_proto(
            "/akash.market.v1beta5.Query/Leases",
            &mv1b5::QueryLeasesRequest {
                filters: Some(mv1::LeaseFilters {
                    owner: owner.to_string(),
                    dseq,
                    ..Default::default()
                }),
                pagination: all_pages(),
            },
        )
        .context("the node did not list the leases")?;
    Ok(r.leases)
}

fn deployments_of(
    chain: &RpcClient,
    owner: &str,
    dseq: u64,
    state: StateFilter,
) -> Result<Vec<dv1b4::QueryDeploymentResponse>> {
    let r: dv1b4::QueryDeploymentsResponse = chain
        .query_proto(
            "/akash.deployment.v1beta4.Query/Deployments",
            &dv1b4::QueryDeploymentsRequest {
                filters: Some(dv1b4::DeploymentFilters {
                    owner: owner.to_string(),
                    dseq,
                    state: state.chain_value().into(),
                }),
                pagination: all_pages(),
            },
        )
        .context("the node did not list the deployments")?;
    Ok(r.deployments)
}

fn deployment_state(d: &dv1::Deployment) -> String {
    dv1::deployment::State::try_from(d.state)
        .map_or_else(|_| d.state.to_string(), |s| lower(s.as_str_name()))
}

/// The owner's deployments in `state`, newest first, optionally only `dseq`, page `page`
/// (0-based) of [`PAGE_SIZE`].
pub fn list(
    chain: &RpcClient,
    owner: &str,
    state: StateFilter,
    dseq: Option<u64>,
    page: usize,
) -> Result<DeploymentPage> {
    let (height, at) = pinned(chain)?;
    let mut all = deployments_of(&at, owner, dseq.unwrap_or(0), state)?;
    all.sort_by_key(|d| {
        std::cmp::Reverse(
            d.deployment
                .as_ref()
                .and_then(|d| d.id.as_ref())
                .map_or(0, |i| i.dseq),
        )
    });
    let total = all.len();
    let leases = leases_of(&at, owner, 0)?;
    let rows = all
        .into_iter()
        .skip(page.saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .filter_map(|d| {
            let dep = d.deployment?;
            let dseq = dep.id.as_ref()?.dseq;
            let mine: Vec<_> = leases
                .iter()
                .filter(|l| {
                    l.lease
                        .as_ref()
                        .and_then(|l| l.id.as_ref())
                        .is_some_and(|i| i.dseq == dseq)
                })
                .cloned()
                .collect();
            Some(DeploymentRow {
                dseq,
                state: deployment_state(&dep),
                active_leases: mine
                    .iter()
                    .filter(|l| {
                        l.lease
                            .as_ref()
                            .is_some_and(|l| l.state == mv1::lease::State::Active as i32)
                    })
                    .count(),
                escrow: escrow_at(
                    d.escrow_account.as_ref().and_then(|a| a.state.as_ref()),
                    &mine,
                    height,
                ),
                created_height: dep.created_at,
            })
        })
        .collect();
    Ok(DeploymentPage {
        rows,
        total,
        height,
    })
}

/// One deployment of `owner`; None when the owner has no deployment `dseq` (another account's
/// deployment with the same number included).
pub fn load(chain: &RpcClient, owner: &str, dseq: u64) -> Result<Option<DeploymentDetail>> {
    if dseq == 0 {
        return Ok(None);
    }
    let (height, at) = pinned(chain)?;
    let Some(d) = deployments_of(&at, owner, dseq, StateFilter::All)?
        .into_iter()
        .find(|d| {
            d.deployment
                .as_ref()
                .and_then(|d| d.id.as_ref())
                .is_some_and(|i| i.dseq == dseq && i.owner == owner)
        })
    else {
        return Ok(None);
    };
    let dep = d.deployment.clone().unwrap_or_default();
    let leases = leases_of(&at, owner, dseq)?;
    let groups = d
        .groups
        .iter()
        .map(|g| {
            let spec = g.group_spec.clone().unwrap_or_default();
            let r = group_resources(&spec);
            let (mem, mem_unit) = fmt::bytes(r.memory);
            let (sto, sto_unit) = fmt::bytes(r.storage);
            GroupRow {
                gseq: g.id.as_ref().map_or(0, |i| i.gseq),
                name: spec.name.clone(),
                state: dv1b4::group::State::try_from(g.state)
                    .map_or_else(|_| g.state.to_string(), |s| lower(s.as_str_name())),
                cpu: format!("{} CPU", fmt::cores(r.cpu)),
                memory: format!("{mem} {mem_unit}"),
                storage: format!("{sto} {sto_unit}"),
                gpu: r.gpu,
            }
        })
        .collect();
    let mut lease_rows: Vec<LeaseRow> = leases
        .iter()
        .filter_map(|l| l.lease.clone())
        .map(|l| {
            let (amount, denom) = l
                .price
                .as_ref()
                .map(|p| (p.amount.parse::<u128>().unwrap_or(0), p.denom.clone()))
                .unwrap_or_default();
            let active = l.state == mv1::lease::State::Active as i32;
            LeaseRow {
                id: l.id.clone().unwrap_or_default(),
                state: mv1::lease::State::try_from(l.state).map_or_else(
                    |_| l.state.to_string(),
                    |s| lower(s.as_str_name()).replace('_', " "),
                ),
                active,
                per_block: price::per_block_text(amount, &denom),
                per_hour: price::hourly_price(amount, &denom),
                per_month: price::monthly_price(amount, &denom),
                created_height: l.created_at,
                closed_height: (l.closed_on > 0).then_some(l.closed_on),
            }
        })
        .collect();
    lease_rows.sort_by_key(|l| (!l.active, l.id.gseq, l.id.oseq));
    Ok(Some(DeploymentDetail {
        owner: owner.to_string(),
        dseq,
        state: deployment_state(&dep),
        active: dep.state == dv1::deployment::State::Active as i32,
        created_height: dep.created_at,
        version: hex_string(&dep.hash),
        groups,
        escrow: escrow_at(
            d.escrow_account.as_ref().and_then(|a| a.state.as_ref()),
            &leases,
            height,
        ),
        leases: lease_rows,
        height,
    }))
}

fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The owner's lease `(dseq, gseq, oseq, provider)` if it exists (any state).
pub fn find_lease(
    chain: &RpcClient,
    owner: &str,
    dseq: u64,
    gseq: u32,
    oseq: u32,
    provider: &str,
) -> Result<Option<LeaseRow>> {
    let Some(d) = load(chain, owner, dseq)? else {
        return Ok(None);
    };
    Ok(d.leases
        .into_iter()
        .find(|l| l.id.gseq == gseq && l.id.oseq == oseq && l.id.provider == provider))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_amounts() {
        assert_eq!(StateFilter::parse(None), Ok(StateFilter::Active));
        assert_eq!(StateFilter::parse(Some("closed")), Ok(StateFilter::Closed));
        assert_eq!(StateFilter::parse(Some("all")), Ok(StateFilter::All));
        assert!(StateFilter::parse(Some("open"))
            .unwrap_err()
            .contains("active, closed or all"));
        let one = 10u128.pow(18);
        assert_eq!(tokens_text(4_990_000 * one, "uakt"), "4.990000 AKT");
        assert_eq!(
            tokens_text(1_234_567_000_001 * one, "uact"),
            "1,234,567.000001 ACT"
        );
    }

    #[test]
    fn escrow_accrues_since_the_last_settlement() {
        use kumo_proto::akash::escrow::types::v1::{Balance, State};
        let one = 10u128.pow(18);
        let state = AccountState {
            state: State::Open as i32,
            settled_at: 100,
            funds: vec![Balance {
                denom: "uakt".into(),
                amount: (5_000_000 * one).to_string(),
            }],
            ..Default::default()
        };
        let lease = |price: u128, st: mv1::lease::State| mv1b5::QueryLeaseResponse {
            lease: Some(mv1::Lease {
                state: st as i32,
                price: Some(cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin {
                    denom: "uakt".into(),
                    amount: (price * one).to_string(),
                }),
                ..Default::default()
            }),
            escrow_payment: None,
        };
        let leases = [
            lease(1000, mv1::lease::State::Active),
            lease(250, mv1::lease::State::Active),
            lease(9999, mv1::lease::State::Closed),
        ];
        // 10 blocks after settlement at 1250 uakt/block: 12,500 uakt spent; 5,000,000 / 1250 =
        // 4000 blocks from height 100, so 3990 left at 110.
        let e = escrow_at(Some(&state), &leases, 110).unwrap();
        assert_eq!(e.balance_atomics, 4_987_500 * one);
        assert_eq!(e.rate_atomics, 1250 * one);
        assert_eq!(e.blocks_left, Some(3990));
        assert_eq!(e.time_left_text(), "6.6 h (3,990 blocks)");
        assert!(e.low());
        // No active lease: the balance stays, no time figure, and it says why.
        let e = escrow_at(Some(&state), &leases[2..], 110).unwrap();
        assert_eq!(e.balance_atomics, 5_000_000 * one);
        assert_eq!(e.blocks_left, None);
        assert!(e.time_left_text().contains("no active lease"));
        assert!(!e.low());
    }
}
