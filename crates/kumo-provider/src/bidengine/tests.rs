//! The orders a provider must and must not bid on, each with its exact reason.

use std::collections::BTreeMap;

use kumo_proto::akash::base::resources::v1beta4::endpoint::Kind;

use super::pricing::{Pricing, ScalePricing};
use super::*;
use crate::config::Overcommit;
use crate::inventory::{Capacity, GpuPool, Inventory};
use crate::testkit::*;

fn dec(s: &str) -> Dec {
    s.parse().unwrap()
}

fn provider() -> ProviderState {
    let attrs = [
        ("region", "us-west"),
        ("tier", "community"),
        ("capabilities/storage/1/class", "beta2"),
        ("capabilities/storage/1/persistent", "true"),
        ("capabilities/storage/2/class", "ram"),
        ("capabilities/storage/2/persistent", "false"),
        ("capabilities/storage/3/class", "beta3"),
        ("capabilities/storage/3/persistent", "true"),
        ("capabilities/storage/4/class", "beta1"),
        ("capabilities/storage/4/persistent", "true"),
        ("capabilities/gpu/vendor/nvidia/model/a100", "true"),
        ("capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi", "true"),
        ("capabilities/gpu/vendor/nvidia/model/t4", "true"),
    ];
    ProviderState {
        address: "akash1provider".into(),
        attributes: attrs.iter().map(|(k, v)| attr(k, v)).collect(),
        audited: BTreeMap::from([(
            "akash1auditor".to_string(),
            vec![attr("region", "us-west"), attr("tier", "community")],
        )]),
        bid_attributes: vec![],
        max_group_volumes: 2,
        denoms: vec!["uakt".into(), "uact".into()],
    }
}

fn engine(p: ProviderState) -> BidEngine {
    let cap = Capacity {
        cpu_milli: 4000,
        memory: 8 * GI,
        ephemeral_storage: 50 * GI,
        storage_classes: [
            ("beta1".to_string(), 10 * GI),
            ("beta2".to_string(), 100 * GI),
        ]
        .into_iter()
        .collect(),
        gpus: vec![GpuPool {
            vendor: "nvidia".into(),
            model: "a100".into(),
            ram: "80Gi".into(),
            interface: "sxm".into(),
            count: 2,
        }],
    };
    let pricing = Pricing::Scale(ScalePricing {
        cpu: dec("0.01"),
        memory: dec("0.001"),
        storage: [("ephemeral", "0.0001"), ("beta2", "0.0005")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), dec(v)))
            .collect(),
        endpoint: dec("1"),
        ip: dec("10"),
        gpu: [("a100", "100")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), dec(v)))
            .collect(),
    });
    BidEngine::new(p, Inventory::new(cap, Overcommit::default()), pricing)
}

/// 1000m CPU, 512Mi, 1Gi ephemeral: 10 + 0.512 + 0.1024 = 10.6144 per replica.
fn web(count: u32, max: &str) -> Unit {
    Unit::new(count, 1000, 512 * MI, GI, max)
}

enum Want {
    Bid(&'static str),
    No(Decline),
}

#[test]
fn orders_to_bid_on_and_not() {
    use Want::*;
    let requires_tier = ProviderState {
        bid_attributes: vec![attr("tier", "community")],
        ..provider()
    };
    let rows: Vec<(&str, ProviderState, GroupSpec, Want)> = vec![
        (
            "plain web service",
            provider(),
            group(vec![web(1, "100")]),
            Bid("10.6144uakt"),
        ),
        (
            "three replicas",
            provider(),
            group(vec![web(3, "100")]),
            Bid("31.8432uakt"),
        ),
        (
            "paid in uact",
            provider(),
            group(vec![web(1, "100").denom("uact")]),
            Bid("10.6144uact"),
        ),
        (
            "ceiling below the price",
            provider(),
            group(vec![web(2, "5")]),
            No(Decline::PriceAboveCeiling {
                price: "21.2288uakt".into(),
                max: "10uakt".into(),
            }),
        ),
        (
            "placement the provider has",
            provider(),
            with_placement(
                group(vec![web(1, "100")]),
                &[("region", "us-west"), ("tier", "community")],
            ),
            Bid("10.6144uakt"),
        ),
        (
            "placement with another value",
            provider(),
            with_placement(group(vec![web(1, "100")]), &[("region", "eu-central")]),
            No(Decline::AttributeMismatch {
                key: "region".into(),
                wanted: "eu-central".into(),
                have: "us-west".into(),
            }),
        ),
        (
            "placement the provider lacks",
            provider(),
            with_placement(group(vec![web(1, "100")]), &[("datacenter", "dc1")]),
            No(Decline::MissingAttribute {
                key: "datacenter".into(),
                value: "dc1".into(),
            }),
        ),
        (
            "placement key glob",
            provider(),
            with_placement(group(vec![web(1, "100")]), &[("reg*", "us-west")]),
            Bid("10.6144uakt"),
        ),
        (
            "provider requires tier, order asks for it",
            requires_tier.clone(),
            with_placement(group(vec![web(1, "100")]), &[("tier", "community")]),
            Bid("10.6144uakt"),
        ),
        (
            "provider requires tier, order does not ask",
            requires_tier,
            group(vec![web(1, "100")]),
            No(Decline::ProviderRequiresAttribute {
                key: "tier".into(),
                value: "community".into(),
            }),
        ),
        (
            "signed by the auditor (all_of)",
            provider(),
            with_signed_by(
                with_placement(group(vec![web(1, "100")]), &[("region", "us-west")]),
                &["akash1auditor"],
                &[],
            ),
            Bid("10.6144uakt"),
        ),
        (
            "signed by one of (any_of)",
            provider(),
            with_signed_by(
                with_placement(group(vec![web(1, "100")]), &[("tier", "community")]),
                &[],
                &["akash1other", "akash1auditor"],
            ),
            Bid("10.6144uakt"),
        ),
        (
            "all_of auditor never signed",
            provider(),
            with_signed_by(
                with_placement(group(vec![web(1, "100")]), &[("region", "us-west")]),
                &["akash1auditor", "akash1other"],
                &[],
            ),
            No(Decline::AuditorSignatureMissing {
                auditor: "akash1other".into(),
            }),
        ),
        (
            "any_of: none signed",
            provider(),
            with_signed_by(group(vec![web(1, "100")]), &[], &["akash1x", "akash1y"]),
            No(Decline::NoAuditorSigned {
                any_of: vec!["akash1x".into(), "akash1y".into()],
            }),
        ),
        (
            "auditor signed less than the placement asks",
            {
                let mut p = provider();
                p.attributes.push(attr("gpu-verified", "yes"));
                p
            },
            with_signed_by(
                with_placement(group(vec![web(1, "100")]), &[("gpu-verified", "yes")]),
                &["akash1auditor"],
                &[],
            ),
            No(Decline::AuditorSignatureMissing {
                auditor: "akash1auditor".into(),
            }),
        ),
        (
            "persistent beta2 volume",
            provider(),
            group(vec![web(1, "100").volume("data", 10 * GI, "beta2", true)]),
            Bid("15.7344uakt"),
        ),
        (
            "ram volume",
            provider(),
            group(vec![web(1, "100").volume("shm", 64 * MI, "ram", false)]),
            Bid("10.6208uakt"),
        ),
        (
            "storage class not advertised",
            provider(),
            group(vec![web(1, "100").volume("data", GI, "fast", true)]),
            No(Decline::StorageClassNotAdvertised {
                class: "fast".into(),
            }),
        ),
        (
            "storage class advertised but no pool",
            provider(),
            group(vec![web(1, "100").volume("data", GI, "beta3", true)]),
            No(Decline::StorageClassUnsupported {
                class: "beta3".into(),
            }),
        ),
        (
            "storage class without a price",
            provider(),
            group(vec![web(1, "100").volume("data", GI, "beta1", true)]),
            No(Decline::NoStoragePrice {
                class: "beta1".into(),
            }),
        ),
        (
            "too many volumes",
            provider(),
            group(vec![web(1, "100")
                .volume("a", GI, "beta2", true)
                .volume("b", GI, "beta2", true)]),
            No(Decline::TooManyVolumes {
                unit: 1,
                volumes: 3,
                max: 2,
            }),
        ),
        (
            "GPU by wildcard model",
            provider(),
            group(vec![web(1, "1000").gpu(2, &["vendor/nvidia/model/*"])]),
            Bid("210.6144uakt"),
        ),
        (
            "GPU model not advertised",
            provider(),
            group(vec![web(1, "1000").gpu(1, &["vendor/nvidia/model/h100"])]),
            No(Decline::GpuNotAdvertised {
                requested: "vendor/nvidia/model/h100".into(),
            }),
        ),
        (
            "GPU advertised but none in the inventory",
            provider(),
            group(vec![web(1, "1000").gpu(1, &["vendor/nvidia/model/t4"])]),
            No(Decline::GpuModelUnavailable {
                requested: "vendor/nvidia/model/t4".into(),
                asked: 1,
                free: "none of that model".into(),
            }),
        ),
        (
            "more GPUs than the host has",
            provider(),
            group(vec![web(3, "1000").gpu(1, &["vendor/nvidia/model/a100"])]),
            No(Decline::GpuModelUnavailable {
                requested: "vendor/nvidia/model/a100".into(),
                asked: 3,
                free: "2 × vendor/nvidia/model/a100/ram/80Gi/interface/sxm".into(),
            }),
        ),
        (
            "not enough CPU",
            provider(),
            group(vec![web(5, "100")]),
            No(Decline::InsufficientCapacity {
                resource: Resource::Cpu,
                class: None,
                asked: 5000,
                free: 4000,
            }),
        ),
        (
            "not enough memory",
            provider(),
            group(vec![Unit::new(1, 100, 9 * GI, GI, "100")]),
            No(Decline::InsufficientCapacity {
                resource: Resource::Memory,
                class: None,
                asked: u128::from(9 * GI),
                free: u128::from(8 * GI),
            }),
        ),
        (
            "endpoints",
            provider(),
            group(vec![web(1, "100")
                .endpoint(Kind::SharedHttp, 0)
                .endpoint(Kind::RandomPort, 0)]),
            Bid("12.6144uakt"),
        ),
        (
            "a leased IP (kumo has no IP leasing)",
            provider(),
            group(vec![
                web(1, "100"),
                Unit::new(1, 100, 64 * MI, GI, "100")
                    .endpoint(Kind::SharedHttp, 0)
                    .endpoint(Kind::LeasedIp, 1),
            ]),
            No(Decline::LeasedIpUnsupported { unit: 2 }),
        ),
        (
            "GPU without a GPU runtime",
            provider(),
            group(vec![web(2, "1000").gpu(1, &["vendor/nvidia/model/a100"])]),
            No(Decline::NoGpuRuntime { asked: 2 }),
        ),
        (
            "no GPU runtime: CPU-only orders still get bids",
            provider(),
            group(vec![web(1, "100")]),
            Bid("10.6144uakt"),
        ),
        (
            "denom not accepted",
            provider(),
            group(vec![web(1, "100").denom("uatom")]),
            No(Decline::DenomNotAccepted {
                denom: "uatom".into(),
                accepted: vec!["uakt".into(), "uact".into()],
            }),
        ),
        (
            "units in two denoms",
            provider(),
            group(vec![web(1, "100"), web(1, "100").denom("uact")]),
            No(Decline::DenomMismatch {
                first: "uakt".into(),
                other: "uact".into(),
            }),
        ),
        (
            "replica count zero",
            provider(),
            group(vec![web(0, "100")]),
            No(Decline::InvalidGroup {
                reason: "resource unit 1 has count 0".into(),
            }),
        ),
    ];
    // Rows for a provider whose containers run without a GPU runtime (runtime.gpu = false).
    let without_gpu_runtime = [
        "GPU without a GPU runtime",
        "no GPU runtime: CPU-only orders still get bids",
    ];
    let mut failures = Vec::new();
    for (name, p, g, want) in rows {
        let mut e = engine(p);
        e.inventory
            .set_gpu_runtime(!without_gpu_runtime.contains(&name));
        let o = order(7);
        let got = e.decide(&o, &g);
        e.record(&o, 42, &got);
        let rec = e.decisions().last().unwrap().clone();
        match (&got, &want) {
            (Decision::Bid(b), Want::Bid(price)) => {
                let shown = format!(
                    "{}{}",
                    Dec::from_wire(&b.price.amount).unwrap(),
                    b.price.denom
                );
                if shown != *price {
                    failures.push(format!("{name}: bid {shown}, expected {price}"));
                }
                assert!(rec.bid && rec.reason.is_empty(), "{name}");
                assert!(
                    e.inventory.reservation(&o).is_some(),
                    "{name}: a bid keeps its reservation"
                );
                assert_eq!(b.resources_offer.len(), g.resources.len(), "{name}");
            }
            (Decision::Decline(d), Want::No(w)) => {
                if d != w {
                    failures.push(format!("{name}: declined with {d:?}, expected {w:?}"));
                }
                assert_eq!(rec.reason, w.to_string(), "{name}");
                assert!(!rec.bid);
                assert!(
                    e.inventory.is_idle(),
                    "{name}: a decline keeps no reservation"
                );
            }
            _ => failures.push(format!("{name}: got {got:?}")),
        }
        assert_eq!(rec.order, "akash1tenant/7/1/1");
        assert_eq!(rec.height, 42);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn wildcard_gpu_offer_names_the_model() {
    let mut e = engine(provider());
    let g = group(vec![web(1, "1000").gpu(1, &["vendor/nvidia/model/*"])]);
    let Decision::Bid(b) = e.decide(&order(1), &g) else {
        panic!("no bid")
    };
    let gpu = b.resources_offer[0]
        .resources
        .as_ref()
        .unwrap()
        .gpu
        .as_ref()
        .unwrap();
    assert_eq!(
        gpu.attributes,
        vec![attr("vendor/nvidia/model/a100/ram/80Gi", "true")]
    );
}

#[test]
fn concurrent_orders_share_capacity() {
    let mut e = engine(provider());
    let g = group(vec![web(3, "100")]);
    assert!(matches!(e.decide(&order(1), &g), Decision::Bid(_)));
    assert_eq!(
        e.decide(&order(2), &g),
        Decision::Decline(Decline::InsufficientCapacity {
            resource: Resource::Cpu,
            class: None,
            asked: 3000,
            free: 1000
        })
    );
    e.inventory.unreserve(&order(1));
    assert!(matches!(e.decide(&order(2), &g), Decision::Bid(_)));
}

#[test]
fn log_keeps_the_last_thousand() {
    let mut e = engine(provider());
    let g = group(vec![web(1, "1")]);
    for i in 0..1005 {
        let d = e.decide(&order(i), &g);
        e.record(&order(i), i, &d);
    }
    assert_eq!(e.decisions().count(), DECISION_LOG_LEN);
    let status = e.status_json(3);
    assert_eq!(status["orders"], 3);
    assert_eq!(status["decisions"][0]["order"], "akash1tenant/1004/1/1");
    assert_eq!(status["decisions"][0]["bid"], false);
    assert!(status["decisions"][0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("price too high"));
    // A bid's record shows the price as a decimal.
    let mut e = engine(provider());
    let d = e.decide(&order(1), &group(vec![web(1, "100")]));
    e.record(&order(1), 1, &d);
    assert_eq!(e.decisions().last().unwrap().price, "10.6144uakt");
}

#[test]
fn glob() {
    assert!(glob_match(
        "vendor/nvidia/model/*",
        "vendor/nvidia/model/a100"
    ));
    assert!(!glob_match(
        "vendor/nvidia/model/*",
        "vendor/nvidia/model/a100/ram/80Gi"
    ));
    assert!(glob_match("reg?on", "region"));
    assert!(!glob_match("region", "region2"));
    assert!(glob_match("*", "tier"));
}

#[tokio::test]
async fn script_pricing_through_the_engine() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("price.sh");
    // Prices 2 per replica by reading `count` out of the JSON input.
    std::fs::write(
        &path,
        "#!/bin/sh\nn=$(sed 's/.*\"count\":\\([0-9]*\\).*/\\1/')\necho $((n * 2))\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut e = engine(provider());
    let script = pricing::ScriptPricing::new(path, std::time::Duration::from_secs(5), 4);
    e.pricing = Pricing::Script(script.clone());
    let g = group(vec![web(3, "1")]);
    let Decision::NeedsScript { input, denom } = e.decide(&order(1), &g) else {
        panic!("expected a script request")
    };
    let v: serde_json::Value = serde_json::from_str(&input).unwrap();
    assert_eq!(v["resources"][0]["cpu"], 1000);
    assert_eq!(v["resources"][0]["storage"][0]["class"], "ephemeral");
    assert_eq!(v["price"]["amount"], "3.000000000000000000");
    let price = script.run(&input, "akash1tenant", &denom).await;
    assert_eq!(price, Ok(dec("6")));
    // 6 > 3: declined, and the reservation made before pricing is released.
    assert_eq!(
        e.finish_script(&order(1), &g, price),
        Decision::Decline(Decline::PriceAboveCeiling {
            price: "6uakt".into(),
            max: "3uakt".into()
        })
    );
    assert!(e.inventory.is_idle());
}

#[test]
fn evaluate_answers_without_reserving() {
    let mut e = engine(provider());
    let g = group(vec![web(3, "100")]);
    let ev = e.evaluate(&order(1), &g);
    assert_eq!(ev.decision, "bid");
    assert_eq!(ev.price.as_ref().unwrap().price, "31.8432uakt");
    assert_eq!(ev.price.as_ref().unwrap().amount, "31843200000000000000");
    assert!(ev.recorded.is_none());
    assert!(e.inventory.is_idle(), "evaluating reserves nothing");
    // After the real decision (which reserves), the order is still judged on its own, and the
    // logged decision comes along.
    let d = e.decide(&order(1), &g);
    e.record(&order(1), 9, &d);
    let ev = e.evaluate(&order(1), &g);
    assert_eq!(ev.decision, "bid");
    assert_eq!(ev.recorded.as_ref().unwrap().height, 9);
    // Another order of the same size no longer fits next to the reservation.
    let ev = e.evaluate(&order(2), &g);
    assert_eq!(ev.decision, "decline");
    assert!(ev.reason.starts_with("not enough CPU"), "{}", ev.reason);
    assert!(ev.price.is_none());
    let v = serde_json::to_value(&ev).unwrap();
    assert_eq!(v["attributes"][0]["key"], "region");
    let back: Evaluation = serde_json::from_value(v).unwrap();
    assert_eq!(back, ev);
}

/// The provider's bid decision (`should_bid`) against the chain's bid acceptance
/// (`kumo_app::attributes::requirements_match`, what `MsgCreateBid` checks) on generated
/// provider attributes, audit records and placement patterns (`*`, `?`, `[...]` classes,
/// escapes, malformed patterns). Without `signed_by` they must agree exactly. With it, Akash's
/// provider is stricter by design (akash-offchain.md §2.4: its own attributes must cover the
/// placement too, while the chain only consults the auditors, akash-chain.md §9), so there:
/// bid ⇔ own attributes cover the placement ∧ the chain accepts; never a bid the chain refuses.
mod attribute_agreement {
    use super::*;
    use kumo_proto::akash::audit::v1::AuditedProvider;
    use kumo_proto::akash::base::attributes::v1::SignedBy;
    use proptest::prelude::*;

    const AUDITORS: [&str; 3] = ["akash1auditora", "akash1auditorb", "akash1auditorc"];

    /// Concrete keys as providers and auditors declare them (a small alphabet so that
    /// generated patterns hit them often).
    fn key() -> impl Strategy<Value = String> {
        "[ab][ab.-]{0,2}(/[ab]{1,2}){0,2}"
    }

    /// Placement keys: concrete keys or glob patterns, some of them malformed.
    fn pattern() -> impl Strategy<Value = String> {
        prop_oneof![
            key(),
            proptest::string::string_regex(
                r"([ab/.*?-]|\[\^?[ab](-[ab])?\]|\\[ab*?\[]|\[|\]){1,7}"
            )
            .unwrap(),
        ]
    }

    fn attrs(
        keys: impl Strategy<Value = String>,
        n: std::ops::Range<usize>,
    ) -> impl Strategy<Value = Vec<Attribute>> {
        prop::collection::vec((keys, "[xy]"), n)
            .prop_map(|v| v.into_iter().map(|(k, v)| attr(&k, &v)).collect())
    }

    fn subset(v: Vec<usize>) -> Vec<String> {
        v.into_iter().map(|i| AUDITORS[i].to_string()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn provider_bids_exactly_when_the_chain_would_accept(
            own in attrs(key(), 0..5),
            want in attrs(pattern(), 0..4),
            audits in prop::collection::vec((0..3usize, attrs(key(), 0..4)), 0..3),
            signed_by in prop::option::of((
                prop::collection::vec(0..3usize, 0..3),
                prop::collection::vec(0..3usize, 0..3),
            )),
        ) {
            let mut g = group(vec![Unit::new(1, 100, 64 * MI, GI, "1")]);
            g.requirements.as_mut().unwrap().attributes = want.clone();
            let signed_by = signed_by.map(|(all, any)| (subset(all), subset(any)));
            if let Some((all_of, any_of)) = &signed_by {
                g.requirements.as_mut().unwrap().signed_by = Some(SignedBy {
                    all_of: all_of.clone(),
                    any_of: any_of.clone(),
                });
            }
            // One record per (provider, auditor), as the chain stores them.
            let audited: BTreeMap<String, Vec<Attribute>> = audits
                .into_iter()
                .map(|(i, a)| (AUDITORS[i].to_string(), a))
                .collect();
            let records: Vec<AuditedProvider> = audited
                .iter()
                .map(|(auditor, a)| AuditedProvider {
                    owner: "akash1provider".into(),
                    auditor: auditor.clone(),
                    attributes: a.clone(),
                })
                .collect();
            let mut p = provider();
            p.attributes = own.clone();
            p.audited = audited;

            let provider_bids = should_bid(&g, &p).is_ok();
            let chain_accepts = kumo_app::attributes::requirements_match(
                g.requirements.as_ref().unwrap(),
                &own,
                &records,
            );
            let uses_auditors = signed_by
                .as_ref()
                .is_some_and(|(all, any)| !all.is_empty() || !any.is_empty());
            if uses_auditors {
                let own_cover = kumo_app::attributes::subset_of(&want, &own);
                prop_assert_eq!(provider_bids, own_cover && chain_accepts);
            } else {
                prop_assert_eq!(provider_bids, chain_accepts);
            }
        }
    }
}
