//! "Why no bids?": why a deployment's orders get (no) bids, the same data for the console's
//! deploy page and `kumo deployment explain` / `kumo deploy`. For every order of the deployment
//! and every provider on chain, the chain-side checks run here (placement attributes against
//! the provider's attributes with the chain's glob matching, `signedBy` against the auditors'
//! on-chain records, storage/GPU capabilities), and each provider's gateway is asked for its bid
//! engine's decision (`GET /orders/{owner}/{dseq}/{gseq}/{oseq}/decision`, public): bid and at
//! what price, or why not (GPU model, price ceiling, capacity, ...). Providers whose gateway
//! does not answer within the timeout are listed as unreachable, with the chain-side result.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use kumo_app::attributes::{attribute_matches, resources_match, subset_of};
use kumo_client::RpcClient;
use kumo_proto::akash::audit::v1 as audit;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use serde::Serialize;
use serde_json::{json, Value};

use super::gateway::{Credentials, GatewayError, ProviderClient};

/// How long one provider's gateway gets to answer (connect + request).
pub const GATEWAY_TIMEOUT: Duration = Duration::from_secs(3);

/// One provider's view of one order.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `gseq/oseq`.
    pub order: String,
    /// `open`, `active`, `closed`.
    pub order_state: String,
    pub provider: String,
    pub host_uri: String,
    /// The provider's `region` attribute (empty when it has none).
    pub region: String,
    pub attributes: Vec<Value>,
    /// `bid`, `decline`, `unknown` (the provider could not decide), or `unreachable`.
    pub decision: String,
    pub reason: String,
    /// What the provider would bid per block (`12.5uakt`), when it would.
    pub price: Option<String>,
    /// The chain-side checks run here: `null` when they pass, else why the chain would refuse
    /// this provider's bid.
    pub chain_check: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub owner: String,
    pub dseq: u64,
    pub rows: Vec<Row>,
}

/// Reads the deployment's orders, every provider and the audit records from the node at
/// `node`, checks each pair here and asks each provider's gateway (at most `timeout` per
/// provider and order). Runs its own async runtime on a separate thread, so it can be called
/// from anywhere.
pub fn explain(node: &str, owner: &str, dseq: u64, timeout: Duration) -> Result<Explanation> {
    let chain = RpcClient::new(node);
    let deployments: dv1b4::QueryDeploymentsResponse = chain
        .query_proto(
            "/akash.deployment.v1beta4.Query/Deployments",
            &dv1b4::QueryDeploymentsRequest {
                filters: Some(dv1b4::DeploymentFilters {
                    owner: owner.to_string(),
                    dseq,
                    state: String::new(),
                }),
                pagination: page(),
            },
        )
        .with_context(|| format!("cannot read deployment {dseq} of {owner} from {node}"))?;
    let found = deployments.deployments.iter().any(|d| {
        d.deployment
            .as_ref()
            .and_then(|d| d.id.as_ref())
            .is_some_and(|i| i.owner == owner && i.dseq == dseq)
    });
    if !found {
        bail!(
            "deployment {dseq} of {owner} not found (`kumo query deployment list --owner {owner}` \
             lists its deployments; give another owner with --owner)"
        );
    }
    let orders: mv1b5::QueryOrdersResponse = chain.query_proto(
        "/akash.market.v1beta5.Query/Orders",
        &mv1b5::QueryOrdersRequest {
            filters: Some(mv1b5::OrderFilters {
                owner: owner.to_string(),
                dseq,
                ..Default::default()
            }),
            pagination: page(),
        },
    )?;
    let mut orders: Vec<(mv1::OrderId, String, dv1b4::GroupSpec)> = orders
        .orders
        .into_iter()
        .filter_map(|o| {
            let state = mv1b5::order::State::try_from(o.state)
                .map(|s| s.as_str_name().to_string())
                .unwrap_or_else(|_| o.state.to_string());
            Some((o.id?, state, o.spec?))
        })
        .filter(|(id, _, _)| id.owner == owner && id.dseq == dseq)
        .collect();
    if orders.is_empty() {
        bail!("deployment {dseq} of {owner} has no orders (is it closed?)");
    }
    // Open orders are the ones bids are for; show only those when there are any.
    if orders.iter().any(|o| o.1 == "open") {
        orders.retain(|o| o.1 == "open");
    }
    orders.sort_by_key(|o| (o.0.gseq, o.0.oseq));
    let providers: pv1b4::QueryProvidersResponse = chain.query_proto(
        "/akash.provider.v1beta4.Query/Providers",
        &pv1b4::QueryProvidersRequest { pagination: page() },
    )?;
    let audits: audit::QueryProvidersResponse = chain.query_proto(
        "/akash.audit.v1.Query/AllProvidersAttributes",
        &audit::QueryAllProvidersAttributesRequest { pagination: page() },
    )?;
    let mut providers = providers.providers;
    providers.sort_by(|a, b| a.owner.cmp(&b.owner));

    // Ask every gateway, all at once.
    let answers = {
        let node = node.to_string();
        let jobs: Vec<(String, Vec<mv1::OrderId>)> = providers
            .iter()
            .map(|p| {
                (
                    p.owner.clone(),
                    orders.iter().map(|o| o.0.clone()).collect(),
                )
            })
            .collect();
        std::thread::spawn(move || ask_gateways(&node, jobs, timeout))
            .join()
            .map_err(|_| anyhow::anyhow!("asking the providers' gateways panicked"))??
    };

    let mut rows = Vec::new();
    for (oid, state, spec) in &orders {
        for (p, answer) in providers.iter().zip(&answers) {
            let audited: Vec<audit::AuditedProvider> = audits
                .providers
                .iter()
                .filter(|a| a.owner == p.owner)
                .cloned()
                .collect();
            let chain_check = chain_side(spec, &p.attributes, &audited).err();
            let answer = answer.iter().find(|(o, _)| o == oid).map(|(_, a)| a);
            let (decision, reason, price) = match answer {
                Some(Ok(v)) => (
                    v["decision"].as_str().unwrap_or("unknown").to_string(),
                    v["reason"].as_str().unwrap_or_default().to_string(),
                    v["price"]["price"].as_str().map(str::to_string),
                ),
                Some(Err(e)) => {
                    let mut reason = e.clone();
                    if let Some(c) = &chain_check {
                        reason.push_str(&format!("; chain-side: {c}"));
                    } else {
                        reason.push_str("; chain-side checks pass");
                    }
                    ("unreachable".to_string(), reason, None)
                }
                None => ("unreachable".to_string(), "not asked".to_string(), None),
            };
            rows.push(Row {
                order: format!("{}/{}", oid.gseq, oid.oseq),
                order_state: state.clone(),
                provider: p.owner.clone(),
                host_uri: p.host_uri.clone(),
                region: p
                    .attributes
                    .iter()
                    .find(|a| a.key == "region")
                    .map(|a| a.value.clone())
                    .unwrap_or_default(),
                attributes: p
                    .attributes
                    .iter()
                    .map(|a| json!({"key": a.key, "value": a.value}))
                    .collect(),
                decision,
                reason,
                price,
                chain_check,
            });
        }
    }
    Ok(Explanation {
        owner: owner.to_string(),
        dseq,
        rows,
    })
}

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        limit: 10_000,
        ..Default::default()
    })
}

type Answers = Vec<(mv1::OrderId, std::result::Result<Value, String>)>;

/// Each provider's answers, in the order of `jobs`.
fn ask_gateways(
    node: &str,
    jobs: Vec<(String, Vec<mv1::OrderId>)>,
    timeout: Duration,
) -> Result<Vec<Answers>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let tasks: Vec<_> = jobs
            .into_iter()
            .map(|(provider, orders)| {
                let node = node.to_string();
                tokio::spawn(async move { ask_one(&node, &provider, orders, timeout).await })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.context("a gateway request panicked")?);
        }
        Ok(out)
    })
}

async fn ask_one(
    node: &str,
    provider: &str,
    orders: Vec<mv1::OrderId>,
    timeout: Duration,
) -> Answers {
    let client = {
        let (node, provider) = (node.to_string(), provider.to_string());
        tokio::task::spawn_blocking(move || {
            ProviderClient::from_chain(&RpcClient::new(&node), &provider, Credentials::Anonymous)
        })
        .await
    };
    let client = match client {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            let e = format!("{e:#}");
            return orders.into_iter().map(|o| (o, Err(e.clone()))).collect();
        }
        Err(e) => {
            let e = e.to_string();
            return orders.into_iter().map(|o| (o, Err(e.clone()))).collect();
        }
    };
    let mut out = Vec::with_capacity(orders.len());
    let mut down: Option<String> = None;
    for o in orders {
        if let Some(e) = &down {
            out.push((o, Err(e.clone())));
            continue;
        }
        let r = match tokio::time::timeout(timeout, client.order_decision(&o)).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                // A provider that answers with an HTTP error (e.g. an older daemon without the
                // route) is reachable; it just cannot say.
                match e.downcast_ref::<GatewayError>() {
                    Some(ge) => Ok(json!({
                        "decision": "unknown",
                        "reason": format!("the gateway answered {}: {}", ge.status, ge.message),
                    })),
                    None => Err(format!("{e:#}")),
                }
            }
            Err(_) => Err(format!("no answer within {} s", timeout.as_secs())),
        };
        if let Err(e) = &r {
            down = Some(e.clone());
        }
        out.push((o, r));
    }
    out
}

/// The checks the chain applies to this provider's bid (`MsgCreateBid`), with the sentence the
/// provider's bid engine would use for the same failure.
pub fn chain_side(
    spec: &dv1b4::GroupSpec,
    provider_attrs: &[Attribute],
    audits: &[audit::AuditedProvider],
) -> std::result::Result<(), String> {
    let req = spec.requirements.clone().unwrap_or_default();
    for a in &req.attributes {
        if !provider_attrs.iter().any(|h| attribute_matches(a, h)) {
            let same_key = provider_attrs.iter().find(|h| {
                attribute_matches(
                    a,
                    &Attribute {
                        key: h.key.clone(),
                        value: a.value.clone(),
                    },
                )
            });
            return Err(match same_key {
                Some(h) => format!(
                    "the order requires provider attribute {}={}, but this provider's {} is {}",
                    a.key, a.value, h.key, h.value
                ),
                None => format!(
                    "the order requires provider attribute {}={}, which this provider does not \
                     have on chain",
                    a.key, a.value
                ),
            });
        }
    }
    if !resources_match(spec, provider_attrs) {
        return Err(
            "the order asks for a storage class or GPU model that none of this provider's \
             capabilities/... attributes offers"
                .into(),
        );
    }
    if let Some(sb) = &req.signed_by {
        let signed = |auditor: &String| {
            audits
                .iter()
                .any(|a| &a.auditor == auditor && subset_of(&req.attributes, &a.attributes))
        };
        for auditor in &sb.all_of {
            if !signed(auditor) {
                return Err(format!(
                    "the order requires attributes signed by auditor {auditor}, who has not \
                     signed them for this provider"
                ));
            }
        }
        if !sb.any_of.is_empty() && !sb.any_of.iter().any(signed) {
            return Err(format!(
                "the order requires attributes signed by one of the auditors {}, and none has \
                 signed them for this provider",
                sb.any_of.join(", ")
            ));
        }
    }
    Ok(())
}

/// Columns: order, provider, region, decision, price, reason.
pub fn table(e: &Explanation) -> String {
    let mut lines = vec![[
        "ORDER".to_string(),
        "PROVIDER".to_string(),
        "REGION".to_string(),
        "DECISION".to_string(),
        "PRICE".to_string(),
        "REASON".to_string(),
    ]];
    for r in &e.rows {
        let region = if r.region.is_empty() {
            "-".to_string()
        } else {
            r.region.clone()
        };
        let reason = match (&r.decision[..], &r.chain_check) {
            ("bid", Some(c)) => format!("the chain would refuse this bid: {c}"),
            _ => r.reason.clone(),
        };
        lines.push([
            format!("{} ({})", r.order, r.order_state),
            r.provider.clone(),
            region,
            r.decision.clone(),
            r.price.clone().unwrap_or_else(|| "-".into()),
            reason,
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("deployment {} of {}\n", e.dseq, e.owner);
    if e.rows.is_empty() {
        out.push_str("no providers are registered on chain\n");
        return out;
    }
    for l in &lines {
        for (i, w) in widths.iter().enumerate() {
            out.push_str(&format!("{:<w$}  ", l[i], w = w));
        }
        out.push_str(&l[5]);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kumo_proto::akash::base::attributes::v1::{PlacementRequirements, SignedBy};

    fn attr(k: &str, v: &str) -> Attribute {
        Attribute {
            key: k.into(),
            value: v.into(),
        }
    }

    fn spec(place: &[(&str, &str)], all_of: &[&str]) -> dv1b4::GroupSpec {
        dv1b4::GroupSpec {
            name: "g".into(),
            requirements: Some(PlacementRequirements {
                signed_by: Some(SignedBy {
                    all_of: all_of.iter().map(|s| s.to_string()).collect(),
                    any_of: vec![],
                }),
                attributes: place.iter().map(|(k, v)| attr(k, v)).collect(),
            }),
            resources: vec![],
        }
    }

    #[test]
    fn chain_side_reasons() {
        let have = [attr("region", "us-west"), attr("tier", "community")];
        assert_eq!(
            chain_side(&spec(&[("reg*", "us-west")], &[]), &have, &[]),
            Ok(())
        );
        let e = chain_side(&spec(&[("region", "eu")], &[]), &have, &[]).unwrap_err();
        assert!(e.contains("this provider's region is us-west"), "{e}");
        let e = chain_side(&spec(&[("dc", "1")], &[]), &have, &[]).unwrap_err();
        assert!(e.contains("does not have on chain"), "{e}");
        let audits = [audit::AuditedProvider {
            owner: "akash1p".into(),
            auditor: "akash1aud".into(),
            attributes: vec![attr("region", "us-west")],
        }];
        let s = spec(&[("region", "us-west")], &["akash1aud"]);
        assert_eq!(chain_side(&s, &have, &audits), Ok(()));
        let e = chain_side(&s, &have, &[]).unwrap_err();
        assert!(e.contains("auditor akash1aud"), "{e}");
    }
}
