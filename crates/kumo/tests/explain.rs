//! `kumo deployment explain` and `kumo provider status` against real pieces: an in-memory kumo
//! node serving JSON-RPC on loopback, four providers registered on chain (three with real
//! gateways whose decision endpoint runs a real bid engine, one whose gateway is down), an
//! auditor, and a tenant's GPU deployment. Each provider declines for its own reason.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cosmos_sdk_proto::Any;
use kumo_client::certs::{self, CertKind};
use kumo_client::gateway::client::{Credentials, ProviderClient};
use kumo_client::tx::to_any;
use kumo_client::{Coin, RpcClient};
use kumo_crypto::PrivKey;
use kumo_node::testkit::TestNet;
use kumo_proto::akash::audit::v1 as audit;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::cert::v1 as cert;
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use kumo_provider::bidengine::pricing::{Pricing, ScalePricing};
use kumo_provider::bidengine::{BidEngine, ProviderState};
use kumo_provider::config::Overcommit;
use kumo_provider::gateway::{self, GatewayConfig};
use kumo_provider::inventory::{Capacity, GpuPool, Inventory};
use serde_json::Value;
use x509_cert::der::{Decode, Encode};

const CHAIN: &str = "kumo-explain-test";
const DSEQ: u64 = 10;

const SDL: &str = r#"
version: "2.0"
services:
  train:
    image: kumo/busybox:test
    expose:
      - port: 80
        as: 80
        to:
          - global: true
profiles:
  compute:
    train:
      resources:
        cpu:
          units: 0.5
        memory:
          size: 512Mi
        storage:
          size: 1Gi
        gpu:
          units: 1
          attributes:
            vendor:
              nvidia:
                - model: a100
  placement:
    west:
      attributes:
        region: us-west
      signedBy:
        allOf:
          - AUDITOR
      pricing:
        train:
          denom: uakt
          amount: 1000
deployment:
  train:
    west:
      profile: train
      count: 1
"#;

/// The chain of these tests: every key has 100,000 AKT; blocks a second apart.
fn net(funded: &[&PrivKey]) -> TestNet {
    let mut b = TestNet::builder(CHAIN)
        .block_seconds(1)
        .fee(20_000, 800_000);
    for k in funded {
        b = b.fund(k, &[("uakt", 100_000_000_000)]);
    }
    b.start()
}

fn attr(k: &str, v: &str) -> Attribute {
    Attribute {
        key: k.into(),
        value: v.into(),
    }
}

fn publish(owner: &PrivKey, cert_der: &[u8]) -> Any {
    let parsed = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki = parsed
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    to_any(&cert::MsgCreateCertificate {
        owner: owner.address().to_string(),
        cert: kumo_akash::pem::encode("CERTIFICATE", cert_der).into_bytes(),
        pubkey: kumo_akash::pem::encode("EC PUBLIC KEY", &spki).into_bytes(),
    })
}

fn provider_attrs() -> Vec<Attribute> {
    vec![
        attr("region", "us-west"),
        attr("capabilities/gpu/vendor/nvidia/model/a100", "true"),
    ]
}

/// A bid engine like the daemon's: one A100 host; `cpu` is the scale price per millicore.
fn engine(
    provider: &PrivKey,
    audited_by: Option<&PrivKey>,
    cpu: &str,
    gpu_runtime: bool,
) -> BidEngine {
    let audited = audited_by
        .map(|a| {
            [(a.address().to_string(), vec![attr("region", "us-west")])]
                .into_iter()
                .collect()
        })
        .unwrap_or_default();
    let mut inventory = Inventory::new(
        Capacity {
            cpu_milli: 8000,
            memory: 32 << 30,
            ephemeral_storage: 100 << 30,
            gpus: vec![GpuPool {
                vendor: "nvidia".into(),
                model: "a100".into(),
                ram: "80Gi".into(),
                interface: "sxm".into(),
                count: 2,
            }],
            ..Capacity::default()
        },
        Overcommit::default(),
    );
    inventory.set_gpu_runtime(gpu_runtime);
    BidEngine::new(
        ProviderState {
            address: provider.address().to_string(),
            attributes: provider_attrs(),
            audited,
            bid_attributes: vec![],
            max_group_volumes: 6,
            denoms: vec!["uakt".into()],
        },
        inventory,
        Pricing::Scale(ScalePricing {
            cpu: cpu.parse().unwrap(),
            memory: "0".parse().unwrap(),
            storage: [("ephemeral".to_string(), "0".parse().unwrap())].into(),
            gpu: [("a100".to_string(), "100".parse().unwrap())].into(),
            ..Default::default()
        }),
    )
}

fn run_kumo(home: &std::path::Path, node: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kumo"))
        .args(args)
        .env("KUMO_HOME", home)
        .env("KUMO_NODE", node)
        .env("KUMO_KEYRING_BACKEND", "test")
        .output()
        .unwrap()
}

#[test]
fn explain_lists_every_providers_reason() {
    let tenant = PrivKey::generate();
    let auditor = PrivKey::generate();
    let no_runtime = PrivKey::generate();
    let pricey = PrivKey::generate();
    let unaudited = PrivKey::generate();
    let down = PrivKey::generate();
    let all = [&tenant, &auditor, &no_runtime, &pricey, &unaudited, &down];
    let net = net(&all);
    let home = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // Three real gateways serving their bid engine's decisions.
    let engines = [
        (
            &no_runtime,
            engine(&no_runtime, Some(&auditor), "0.01", false),
        ),
        (&pricey, engine(&pricey, Some(&auditor), "10", true)),
        (&unaudited, engine(&unaudited, None, "0.01", true)),
    ];
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    for (key, e) in engines {
        let provider = key.address().to_string();
        let cert_file = certs::pem_path(home.path(), &provider);
        let mut cfg = GatewayConfig::new(&provider, &net.url, cert_file.clone());
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        let engine = Arc::new(Mutex::new(e));
        let decide: gateway::DecideFn = Arc::new(move |o, g| engine.lock().unwrap().evaluate(o, g));
        let bound = rt
            .block_on(gateway::bind(cfg))
            .unwrap()
            .with_decisions(decide);
        let port = bound.local_addr().port();
        let status: gateway::StatusFn = Arc::new(|| {
            serde_json::json!({
                "cluster": {"leases": 1, "inventory": {"gpu_runtime": true, "pending": [],
                    "available": {"nodes": [{"allocatable": {"cpu": 8000, "gpu": 2},
                                             "available": {"cpu": 7500, "gpu": 1}}]}}},
                "bidengine": {"orders": 0, "decisions": [{"order": "akash1x/1/1/1", "bid": false,
                    "reason": "price too high: …", "price": "", "height": 7}]},
            })
        });
        let mut stop = stop_rx.clone();
        rt.spawn(bound.run(
            Arc::new(kumo_provider::workload::Unreached),
            status,
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        ));
        let server_cert = certs::load(&cert_file).unwrap();
        net.tx(
            key,
            vec![
                to_any(&pv1b4::MsgCreateProvider {
                    owner: provider.clone(),
                    host_uri: format!("https://127.0.0.1:{port}"),
                    attributes: provider_attrs(),
                    info: None,
                }),
                publish(key, &server_cert.cert_der),
            ],
        );
    }
    // The fourth provider's gateway is down: a port nothing listens on.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let down_cert = certs::generate(
        &down.address().to_string(),
        CertKind::Server,
        &[],
        SystemTime::now(),
    )
    .unwrap();
    net.tx(
        &down,
        vec![
            to_any(&pv1b4::MsgCreateProvider {
                owner: down.address().to_string(),
                host_uri: format!("https://127.0.0.1:{closed_port}"),
                attributes: provider_attrs(),
                info: None,
            }),
            publish(&down, &down_cert.cert_der),
        ],
    );
    // The auditor signs region=us-west for everyone but `unaudited`.
    let signs: Vec<Any> = [&no_runtime, &pricey, &down]
        .iter()
        .map(|p| {
            to_any(&audit::MsgSignProviderAttributes {
                owner: p.address().to_string(),
                auditor: auditor.address().to_string(),
                attributes: vec![attr("region", "us-west")],
            })
        })
        .collect();
    net.tx(&auditor, signs);

    // The tenant's GPU deployment: region us-west, signed by the auditor, 1000uakt per block.
    let sdl_text = SDL.replace("AUDITOR", &auditor.address().to_string());
    let sdl = kumo_sdl::parse("gpu.yaml", &sdl_text).unwrap();
    net.tx(
        &tenant,
        vec![to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: tenant.address().to_string(),
                dseq: DSEQ,
            }),
            groups: sdl.groups.clone(),
            hash: sdl.manifest_version.to_vec(),
            deposit: Some(Deposit {
                amount: Some(Coin {
                    denom: "uakt".into(),
                    amount: "5000000".into(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            reclamation: None,
        })],
    );

    let owner = tenant.address().to_string();
    let dseq = DSEQ.to_string();
    let cli_home = tempfile::tempdir().unwrap();
    let kumo = |args: &[&str]| run_kumo(cli_home.path(), &net.url, args);
    let out = kumo(&[
        "deployment",
        "explain",
        &dseq,
        "--owner",
        &owner,
        "-o",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "explain failed: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{v:#}");
    let row = |k: &PrivKey| {
        rows.iter()
            .find(|r| r["provider"] == k.address().to_string().as_str())
            .unwrap_or_else(|| panic!("no row for {}: {v:#}", k.address()))
    };
    let r = row(&no_runtime);
    assert_eq!(r["decision"], "decline", "{r:#}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("without a GPU runtime"),
        "{r:#}"
    );
    assert!(r["chain_check"].is_null(), "{r:#}");
    let r = row(&pricey);
    assert_eq!(r["decision"], "decline", "{r:#}");
    let reason = r["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("price too high: this provider's price is 5100uakt per block and the order pays at most 1000uakt"),
        "{r:#}"
    );
    let r = row(&unaudited);
    assert_eq!(r["decision"], "decline", "{r:#}");
    let auditor_addr = auditor.address().to_string();
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("signed by auditor {auditor_addr}")),
        "{r:#}"
    );
    // The same reason is found here, from the chain, without the provider.
    assert!(
        r["chain_check"].as_str().unwrap().contains(&auditor_addr),
        "{r:#}"
    );
    let r = row(&down);
    assert_eq!(r["decision"], "unreachable", "{r:#}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("chain-side checks pass"),
        "{r:#}"
    );
    assert_eq!(r["region"], "us-west");
    for r in rows {
        assert_eq!(r["order"], "1/1");
        assert_eq!(r["order_state"], "open");
    }

    // The text table: one line per provider.
    let out = kumo(&["deployment", "explain", &dseq, "--owner", &owner]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("deployment {DSEQ} of {owner}\n")),
        "{text}"
    );
    assert!(
        text.contains("ORDER") && text.contains("DECISION"),
        "{text}"
    );
    assert_eq!(text.matches("1/1 (open)").count(), 4, "{text}");
    assert!(
        text.contains("unreachable") && text.contains("price too high"),
        "{text}"
    );

    // The decision endpoint directly: an order that does not exist is `unknown`.
    let chain = RpcClient::new(&net.url);
    let client = ProviderClient::from_chain(
        &chain,
        &pricey.address().to_string(),
        Credentials::Anonymous,
    )
    .unwrap();
    let missing = mv1::OrderId {
        owner: owner.clone(),
        dseq: 999,
        gseq: 1,
        oseq: 1,
    };
    let d = rt.block_on(client.order_decision(&missing)).unwrap();
    assert_eq!(d["decision"], "unknown", "{d:#}");
    assert!(
        d["reason"].as_str().unwrap().contains("not on chain"),
        "{d:#}"
    );
    let real = mv1::OrderId {
        dseq: DSEQ,
        ..missing
    };
    let d = rt.block_on(client.order_decision(&real)).unwrap();
    assert_eq!(d["decision"], "decline");
    assert_eq!(d["order_state"], "open");
    assert_eq!(d["attributes"][0]["key"], "region");

    // Bad input: an unknown dseq, and someone else's deployment.
    let out = kumo(&["deployment", "explain", "999", "--owner", &owner]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("deployment 999 of {owner} not found")),
        "{err}"
    );
    let other = pricey.address().to_string();
    let out = kumo(&["deployment", "explain", &dseq, "--owner", &other]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("deployment {DSEQ} of {other} not found")),
        "{err}"
    );
    let out = kumo(&["deployment", "explain", &dseq]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--owner"));

    // `kumo provider status`, by address and by gateway URL.
    let out = kumo(&["provider", "status", "--provider", &other, "-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["address"], other.as_str());
    assert_eq!(st["cluster"]["leases"], 1);
    let host: pv1b4::QueryProviderResponse = chain
        .query_proto(
            "/akash.provider.v1beta4.Query/Provider",
            &pv1b4::QueryProviderRequest {
                owner: other.clone(),
            },
        )
        .unwrap();
    let url = host.provider.unwrap().host_uri;
    let out = kumo(&["provider", "status", "--gateway", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("provider   {other}")), "{text}");
    assert!(
        text.contains("cpu        7.500 of 8.000 cores free"),
        "{text}"
    );
    assert!(
        text.contains("akash1x/1/1/1  (height 7)  no bid: price too high"),
        "{text}"
    );
    let out = kumo(&[
        "provider",
        "status",
        "--provider",
        &down.address().to_string(),
    ]);
    assert!(!out.status.success());

    stop_tx.send_replace(true);
}
