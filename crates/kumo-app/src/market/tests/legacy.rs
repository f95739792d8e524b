//! The deployment v1beta3 / market v1beta4 services (`deployment::query_v1beta3`,
//! `market::query_v1beta4`) answer from state made by real v1beta4/v1beta5 msgs: a deployment,
//! two bids and a lease, queried with v1beta3/v1beta4 requests and decoded as the old types.

use crate::market::tests::*;
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_proto::akash::deployment::v1beta3 as dv1b3;
use kumo_proto::akash::escrow::v1beta3 as ev1b3;
use kumo_proto::akash::market::v1beta4 as mv1b4;
use kumo_proto::math::DEC_ONE;

const DSEQ: u64 = 100;

/// Tenant deployment 100 with bids from GOOD (800) and RUNNER_UP (850), GOOD leased, and
/// GOOD's first withdrawal after ten blocks.
fn leased() -> Env {
    let mut env = market();
    env.tx(TENANT, &create_deployment(DSEQ, DEPOSIT)).unwrap();
    env.tx(GOOD, &create_bid(GOOD, DSEQ, 1, 800)).unwrap();
    env.tx(RUNNER_UP, &create_bid(RUNNER_UP, DSEQ, 1, 850))
        .unwrap();
    env.tx(TENANT, &create_lease(GOOD, DSEQ, 1)).unwrap();
    env.advance_blocks(10);
    env.tx(
        GOOD,
        &kumo_proto::akash::market::v1beta5::MsgWithdrawLease {
            id: Some(lease_id(GOOD, DSEQ, 1)),
        },
    )
    .unwrap();
    env
}

fn tenant() -> String {
    bech(addr(TENANT))
}

fn old_bid_id(provider: u8) -> mv1b4::BidId {
    mv1b4::BidId {
        owner: tenant(),
        dseq: DSEQ,
        gseq: 1,
        oseq: 1,
        provider: bech(addr(provider)),
    }
}

fn atomics(whole: u128) -> String {
    (whole * DEC_ONE).to_string()
}

fn query_err(env: &Env, path: &str, req: &impl prost::Message) -> crate::errors::SdkError {
    env.read(|ctx| crate::query::route(ctx, path, &req.encode_to_vec()))
        .expect_err("the query must fail")
}

#[test]
fn deployments_groups_and_escrow_as_v1beta3() {
    let env = leased();
    let list: dv1b3::QueryDeploymentsResponse = env.query(
        "/akash.deployment.v1beta3.Query/Deployments",
        &dv1b3::QueryDeploymentsRequest {
            filters: Some(dv1b3::DeploymentFilters {
                owner: tenant(),
                dseq: 0,
                state: "active".into(),
            }),
            pagination: None,
        },
    );
    assert_eq!(list.deployments.len(), 1);
    assert_eq!(list.pagination.as_ref().unwrap().total, 1);
    let one: dv1b3::QueryDeploymentResponse = env.query(
        "/akash.deployment.v1beta3.Query/Deployment",
        &dv1b3::QueryDeploymentRequest {
            id: Some(dv1b3::DeploymentId {
                owner: tenant(),
                dseq: DSEQ,
            }),
        },
    );
    assert_eq!(one, list.deployments[0]);

    let d = one.deployment.unwrap();
    assert_eq!(
        d.deployment_id,
        Some(dv1b3::DeploymentId {
            owner: tenant(),
            dseq: DSEQ
        })
    );
    assert_eq!(d.state(), dv1b3::deployment::State::Active);
    assert_eq!(d.version, vec![7; 32]);
    assert_eq!(d.created_at, 1);

    assert_eq!(one.groups.len(), 1);
    let g = &one.groups[0];
    assert_eq!(g.group_id.as_ref().unwrap().gseq, 1);
    // The lease made the group's order active; the group itself stays open.
    assert_eq!(g.state(), dv1b3::group::State::Open);
    let spec = g.group_spec.as_ref().unwrap();
    assert_eq!(spec.name, "westcoast");
    let unit = &spec.resources[0];
    assert_eq!(unit.count, 1);
    assert_eq!(unit.price.as_ref().unwrap().amount, atomics(ORDER_PRICE));
    let res = unit.resource.as_ref().unwrap();
    assert_eq!(
        res.cpu.as_ref().unwrap().units.as_ref().unwrap().val,
        b"1000"
    );
    assert_eq!(
        res.gpu.as_ref().unwrap().attributes[0].key,
        "vendor/nvidia/model/a100"
    );

    // Ten blocks at 800 uakt were settled by the withdrawal.
    let a = one.escrow_account.unwrap();
    assert_eq!(
        a.id,
        Some(ev1b3::AccountId {
            scope: "deployment".into(),
            xid: format!("{}/{DSEQ}", tenant()),
        })
    );
    assert_eq!(a.owner, tenant());
    assert_eq!(a.state(), ev1b3::account::State::Open);
    let balance = a.balance.unwrap();
    assert_eq!(balance.denom, "uakt");
    assert_eq!(balance.amount, atomics(DEPOSIT - 8000));
    assert_eq!(a.transferred.unwrap().amount, atomics(8000));
    assert_eq!(a.settled_at, 11);
    assert_eq!(a.depositor, "");
    let funds = a.funds.unwrap();
    assert_eq!((funds.denom.as_str(), funds.amount.as_str()), ("uakt", "0"));

    let g: dv1b3::QueryGroupResponse = env.query(
        "/akash.deployment.v1beta3.Query/Group",
        &dv1b3::QueryGroupRequest {
            id: Some(dv1b3::GroupId {
                owner: tenant(),
                dseq: DSEQ,
                gseq: 1,
            }),
        },
    );
    assert_eq!(g.group.as_ref(), Some(&one.groups[0]));

    // Filters pass through: no closed deployments; a bad state name is refused.
    let closed: dv1b3::QueryDeploymentsResponse = env.query(
        "/akash.deployment.v1beta3.Query/Deployments",
        &dv1b3::QueryDeploymentsRequest {
            filters: Some(dv1b3::DeploymentFilters {
                state: "closed".into(),
                ..Default::default()
            }),
            pagination: None,
        },
    );
    assert!(closed.deployments.is_empty());
    let e = query_err(
        &env,
        "/akash.deployment.v1beta3.Query/Deployments",
        &dv1b3::QueryDeploymentsRequest {
            filters: Some(dv1b3::DeploymentFilters {
                state: "running".into(),
                ..Default::default()
            }),
            pagination: None,
        },
    );
    assert!(e.log.contains("invalid state filter"), "{e}");
}

#[test]
fn orders_bids_and_leases_as_v1beta4() {
    let env = leased();
    let orders: mv1b4::QueryOrdersResponse = env.query(
        "/akash.market.v1beta4.Query/Orders",
        &mv1b4::QueryOrdersRequest {
            filters: Some(mv1b4::OrderFilters {
                owner: tenant(),
                state: "active".into(),
                ..Default::default()
            }),
            pagination: None,
        },
    );
    assert_eq!(orders.orders.len(), 1);
    let o = &orders.orders[0];
    let oid = mv1b4::OrderId {
        owner: tenant(),
        dseq: DSEQ,
        gseq: 1,
        oseq: 1,
    };
    assert_eq!(o.order_id, Some(oid.clone()));
    assert_eq!(o.state(), mv1b4::order::State::Active);
    assert_eq!(o.spec.as_ref().unwrap().name, "westcoast");
    let one: mv1b4::QueryOrderResponse = env.query(
        "/akash.market.v1beta4.Query/Order",
        &mv1b4::QueryOrderRequest { id: Some(oid) },
    );
    assert_eq!(one.order.as_ref(), Some(o));

    // Both bids, one page at a time.
    let page1: mv1b4::QueryBidsResponse = env.query(
        "/akash.market.v1beta4.Query/Bids",
        &mv1b4::QueryBidsRequest {
            filters: Some(mv1b4::BidFilters {
                owner: tenant(),
                dseq: DSEQ,
                ..Default::default()
            }),
            pagination: Some(PageRequest {
                limit: 1,
                count_total: true,
                ..Default::default()
            }),
        },
    );
    assert_eq!(page1.bids.len(), 1);
    let p = page1.pagination.unwrap();
    assert_eq!(p.total, 2);
    assert!(!p.next_key.is_empty());

    let good: mv1b4::QueryBidResponse = env.query(
        "/akash.market.v1beta4.Query/Bid",
        &mv1b4::QueryBidRequest {
            id: Some(old_bid_id(GOOD)),
        },
    );
    let b = good.bid.as_ref().unwrap();
    assert_eq!(b.bid_id, Some(old_bid_id(GOOD)));
    assert_eq!(b.state(), mv1b4::bid::State::Active);
    assert_eq!(b.price.as_ref().unwrap().amount, atomics(800));
    let a = good.escrow_account.as_ref().unwrap();
    assert_eq!(a.id.as_ref().unwrap().scope, "bid");
    assert_eq!(a.owner, bech(addr(GOOD)));
    assert_eq!(a.balance.as_ref().unwrap().amount, atomics(BID_DEPOSIT));

    let by_provider: mv1b4::QueryBidsResponse = env.query(
        "/akash.market.v1beta4.Query/Bids",
        &mv1b4::QueryBidsRequest {
            filters: Some(mv1b4::BidFilters {
                provider: bech(addr(RUNNER_UP)),
                ..Default::default()
            }),
            pagination: None,
        },
    );
    assert_eq!(by_provider.bids.len(), 1);
    let lost = by_provider.bids[0].bid.as_ref().unwrap();
    assert_eq!(lost.state(), mv1b4::bid::State::Lost);

    let leases: mv1b4::QueryLeasesResponse = env.query(
        "/akash.market.v1beta4.Query/Leases",
        &mv1b4::QueryLeasesRequest {
            filters: Some(mv1b4::LeaseFilters {
                state: "active".into(),
                ..Default::default()
            }),
            pagination: None,
        },
    );
    assert_eq!(leases.leases.len(), 1);
    let lid = mv1b4::LeaseId {
        owner: tenant(),
        dseq: DSEQ,
        gseq: 1,
        oseq: 1,
        provider: bech(addr(GOOD)),
    };
    let one: mv1b4::QueryLeaseResponse = env.query(
        "/akash.market.v1beta4.Query/Lease",
        &mv1b4::QueryLeaseRequest {
            id: Some(lid.clone()),
        },
    );
    assert_eq!(one, leases.leases[0]);
    let l = one.lease.unwrap();
    assert_eq!(l.lease_id, Some(lid));
    assert_eq!(l.state(), mv1b4::lease::State::Active);
    assert_eq!(l.price.unwrap().amount, atomics(800));
    assert_eq!(l.created_at, 1);
    assert_eq!(l.closed_on, 0);
    let pay = one.escrow_payment.unwrap();
    assert_eq!(
        pay.account_id,
        Some(ev1b3::AccountId {
            scope: "deployment".into(),
            xid: format!("{}/{DSEQ}", tenant()),
        })
    );
    assert_eq!(pay.payment_id, format!("1/1/{}", bech(addr(GOOD))));
    assert_eq!(pay.owner, bech(addr(GOOD)));
    assert_eq!(pay.state(), ev1b3::fractional_payment::State::Open);
    assert_eq!(pay.rate.unwrap().amount, atomics(800));
    assert_eq!(pay.withdrawn.unwrap().amount, "8000");

    // A missing lease is the same not-found error as on v1beta5.
    let e = query_err(
        &env,
        "/akash.market.v1beta4.Query/Lease",
        &mv1b4::QueryLeaseRequest {
            id: Some(mv1b4::LeaseId {
                provider: bech(addr(RUNNER_UP)),
                ..l.lease_id.clone().unwrap()
            }),
        },
    );
    assert!(e.log.contains("not found"), "{e}");
    // Methods only the new services have are unknown here.
    let e = query_err(
        &env,
        "/akash.market.v1beta4.Query/Params",
        &mv1b4::QueryOrderRequest { id: None },
    );
    assert!(e.log.contains("unknown query path"), "{e}");
}
