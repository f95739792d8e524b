//! `kumo stats serve` as a process: it indexes an in-memory node (JSON-RPC on loopback), is
//! killed with SIGKILL while indexing, restarts on the same index, and then serves exactly the
//! dashboard an uninterrupted in-process index computes; `kumo query stats network` prints it.
//! `kumo query stats providers|gpu|leases` print a known history's providers, GPU prices and
//! lease durations as the server's JSON has them, and refuse bad input in plain words.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use kumo_client::tx::to_any;
use kumo_client::Coin;
use kumo_console::stats::{api, client, indexer};
use kumo_crypto::PrivKey;
use kumo_node::testkit::{TestNet, NGINX_SDL};
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::base::deposit::v1::{Deposit, Source};
use kumo_proto::akash::deployment::v1 as dv1;
use kumo_proto::akash::deployment::v1beta4 as dv1b4;
use kumo_proto::akash::market::v1 as mv1;
use kumo_proto::akash::market::v1beta5 as mv1b5;
use kumo_proto::akash::provider::v1beta4 as pv1b4;
use serde_json::Value;

const CHAIN: &str = "kumo-stats-cli";
const DEC_ONE: u128 = 1_000_000_000_000_000_000;
const EMPTY_BLOCKS: u64 = 400;

/// The chain of these tests: the first key operates the validator, every key has 100,000 AKT.
fn net(funded: &[&PrivKey]) -> TestNet {
    let mut b = TestNet::builder(CHAIN).validator(funded[0], 50_000_000_000);
    for k in funded {
        b = b.fund(k, &[("uakt", 100_000_000_000)]);
    }
    b.start()
}

/// The stats server process, SIGKILLed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kumo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kumo"))
}

fn serve(node: &str, db: &std::path::Path) -> Server {
    serve_with(node, db, &[])
}

fn serve_with(node: &str, db: &std::path::Path, extra: &[&str]) -> Server {
    // The providers' host URIs are not on loopback: never contact them.
    let mut args = vec!["--no-probe"];
    args.extend_from_slice(extra);
    spawn_server(node, db, &args)
}

fn spawn_server(node: &str, db: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = kumo()
        .args(["stats", "serve", "--node", node, "--listen", "127.0.0.1:0"])
        .args(["--poll-ms", "50"])
        .args(extra)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "stats: http://127.0.0.1:PORT/v1/dashboard-data (indexing …)"
    let url = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let base = url.trim_end_matches("/v1/dashboard-data").to_string();
    Server { child, base }
}

fn indexed_height(base: &str) -> u64 {
    client::get_json(base, "/v1/dashboard-data")
        .ok()
        .and_then(|d| d["chainStats"]["height"].as_u64())
        .unwrap_or(0)
}

#[test]
fn stats_server_killed_mid_indexing_resumes_with_the_same_figures() {
    let (val, tenant, provider) = (
        PrivKey::generate(),
        PrivKey::generate(),
        PrivKey::generate(),
    );
    let net = net(&[&val, &tenant, &provider]);
    net.tx(
        &provider,
        vec![to_any(&pv1b4::MsgCreateProvider {
            owner: provider.address().to_string(),
            host_uri: "https://provider.example:8443".into(),
            attributes: vec![],
            info: None,
        })],
    );
    let sdl = kumo_sdl::parse("web.yaml", NGINX_SDL).unwrap();
    net.tx(
        &tenant,
        vec![to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: tenant.address().to_string(),
                dseq: 7,
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
    let bid_id = mv1::BidId {
        owner: tenant.address().to_string(),
        dseq: 7,
        gseq: 1,
        oseq: 1,
        provider: provider.address().to_string(),
        bseq: 0,
    };
    net.tx(
        &provider,
        vec![to_any(&mv1b5::MsgCreateBid {
            id: Some(bid_id.clone()),
            price: Some(DecCoin {
                denom: "uakt".into(),
                amount: (1000 * DEC_ONE).to_string(),
            }),
            deposit: Some(Deposit {
                amount: Some(Coin {
                    denom: "uakt".into(),
                    amount: "500000".into(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            resources_offer: vec![],
            reclamation_window: None,
        })],
    );
    net.tx(
        &tenant,
        vec![to_any(&mv1b5::MsgCreateLease {
            bid_id: Some(bid_id),
        })],
    );
    let mut latest = 0;
    for _ in 0..EMPTY_BLOCKS {
        latest = net.produce();
    }

    // Uninterrupted, in process.
    let reference_dir = tempfile::tempdir().unwrap();
    let reference = Arc::new(indexer::open_db(reference_dir.path()).unwrap());
    indexer::Indexer::new(reference.clone(), &net.url)
        .catch_up(None)
        .unwrap();
    let expected = api::dashboard_json(&reference, None).unwrap().unwrap();
    assert_eq!(expected["now"]["activeLeaseCount"], 1.0);

    // The server, SIGKILLed while it indexes.
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(&net.url, dir.path());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0;
    while seen < 30 && Instant::now() < deadline {
        seen = indexed_height(&server.base);
        std::thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert!(
        (30..latest).contains(&seen),
        "killed mid-indexing at {seen} of {latest}"
    );

    // Restarted on the same index: it resumes and ends with the same figures.
    let server = serve(&net.url, dir.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    while indexed_height(&server.base) < latest {
        assert!(Instant::now() < deadline, "the restarted server caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let served = client::get_json(&server.base, "/v1/dashboard-data").unwrap();
    assert_eq!(served, expected);

    // The CLI prints the same figures.
    let out = kumo()
        .args([
            "query",
            "stats",
            "network",
            "--stats",
            &server.base,
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, expected);
    let out = kumo()
        .args(["query", "stats", "network", "--stats", &server.base])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("active leases:        1"), "{text}");
    assert!(text.contains("CPU leased:           0.500 CPU"), "{text}");

    // Bad input: a price that is no number, a stats server that is not there.
    let out = kumo()
        .args(["stats", "serve", "--akt-usd", "three", "--db"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--akt-usd") && err.contains("decimal"),
        "{err}"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = kumo()
        .args(["query", "stats", "network", "--stats"])
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the stats server"), "{err}");
}

const SDL_GPU: &str = r#"
version: "2.0"
services:
  train:
    image: trainer
    expose:
      - port: 80
        to:
          - global: true
profiles:
  compute:
    train:
      resources:
        cpu:
          units: 1
        memory:
          size: 1Gi
        storage:
          size: 2Gi
        gpu:
          units: 1
          attributes:
            vendor:
              nvidia:
                - model: a100
  placement:
    any:
      pricing:
        train:
          denom: uakt
          amount: 5000
deployment:
  train:
    any:
      profile: train
      count: 1
"#;

fn run_kumo(args: &[&str]) -> (bool, String, String) {
    let out = kumo().args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn stats_cli_prints_providers_gpu_prices_and_lease_durations() {
    let (val, tenant, provider) = (
        PrivKey::generate(),
        PrivKey::generate(),
        PrivKey::generate(),
    );
    let net = net(&[&val, &tenant, &provider]);
    let (owner, paddr) = (tenant.address().to_string(), provider.address().to_string());
    net.tx(
        &provider,
        vec![to_any(&pv1b4::MsgCreateProvider {
            owner: paddr.clone(),
            host_uri: "https://provider.example:8443".into(),
            attributes: vec![
                Attribute {
                    key: "region".into(),
                    value: "eu-central".into(),
                },
                Attribute {
                    key: "capabilities/gpu/vendor/nvidia/model/a100".into(),
                    value: "true".into(),
                },
            ],
            info: None,
        })],
    );
    let deposit = || Deposit {
        amount: Some(Coin {
            denom: "uakt".into(),
            amount: "5000000".into(),
        }),
        sources: vec![Source::Balance as i32],
    };
    let create = |dseq: u64, sdl: &str| {
        let d = kumo_sdl::parse("deploy.yaml", sdl).unwrap();
        to_any(&dv1b4::MsgCreateDeployment {
            id: Some(dv1::DeploymentId {
                owner: owner.clone(),
                dseq,
            }),
            groups: d.groups.clone(),
            hash: d.manifest_version.to_vec(),
            deposit: Some(deposit()),
            reclamation: None,
        })
    };
    // dseq 7 and 8: CPU deployments, both leased, 8 closed again; dseq 9: a one-A100 order
    // with one bid (a GPU price) and no lease.
    net.tx(
        &tenant,
        vec![
            create(7, NGINX_SDL),
            create(8, NGINX_SDL),
            create(9, SDL_GPU),
        ],
    );
    let id = |dseq: u64| mv1::BidId {
        owner: owner.clone(),
        dseq,
        gseq: 1,
        oseq: 1,
        provider: paddr.clone(),
        bseq: 0,
    };
    let bid = |dseq: u64, units: u128| {
        to_any(&mv1b5::MsgCreateBid {
            id: Some(id(dseq)),
            price: Some(DecCoin {
                denom: "uakt".into(),
                amount: (units * DEC_ONE).to_string(),
            }),
            deposit: Some(Deposit {
                amount: Some(Coin {
                    denom: "uakt".into(),
                    amount: "500000".into(),
                }),
                sources: vec![Source::Balance as i32],
            }),
            resources_offer: vec![],
            reclamation_window: None,
        })
    };
    net.tx(&provider, vec![bid(7, 1000), bid(8, 1000), bid(9, 4000)]);
    net.tx(
        &tenant,
        vec![
            to_any(&mv1b5::MsgCreateLease {
                bid_id: Some(id(7)),
            }),
            to_any(&mv1b5::MsgCreateLease {
                bid_id: Some(id(8)),
            }),
        ],
    );
    for _ in 0..9 {
        net.produce(); // with the closing block: 10 blocks of 6 s, lease 8 runs one minute
    }
    let id8 = id(8);
    net.tx(
        &tenant,
        vec![to_any(&mv1b5::MsgCloseLease {
            id: Some(mv1::LeaseId {
                owner: id8.owner,
                dseq: id8.dseq,
                gseq: id8.gseq,
                oseq: id8.oseq,
                provider: id8.provider,
                bseq: id8.bseq,
            }),
            reason: mv1::LeaseClosedReason::LeaseClosedOwner as i32,
        })],
    );
    let latest = net.produce();

    let dir = tempfile::tempdir().unwrap();
    let server = serve_with(&net.url, dir.path(), &["--akt-usd", "2"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while indexed_height(&server.base) < latest {
        assert!(Instant::now() < deadline, "the stats server caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
    let base = server.base.as_str();

    // providers: the list as a table; JSON is the server's unchanged.
    let (ok, text, err) = run_kumo(&["query", "stats", "providers", "--stats", base]);
    assert!(ok, "{err}");
    eprintln!("{text}"); // what a terminal shows, in the test log
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("PROVIDER") && lines[0].contains("UPTIME 7D"),
        "{text}"
    );
    let row = lines.iter().find(|l| l.starts_with(&paddr)).expect(&text);
    assert!(row.contains("https://provider.example:8443"), "{text}");
    assert!(row.contains("eu-central"), "{text}");
    // One open lease (dseq 7): half a core, 512 MiB, 1 GiB in use.
    assert!(row.contains("0.5 / "), "{text}");
    assert!(
        row.contains("512.0 MiB / ") && row.contains("1.0 GiB / "),
        "{text}"
    );
    let (ok, out, err) = run_kumo(&["query", "stats", "providers", "--stats", base, "-o", "json"]);
    assert!(ok, "{err}");
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed, client::get_json(base, "/v1/providers").unwrap());
    assert_eq!(printed[0]["leaseCount"], 1);

    // providers ADDRESS: the detail.
    let (ok, text, err) = run_kumo(&["query", "stats", "providers", &paddr, "--stats", base]);
    assert!(ok, "{err}");
    eprintln!("{text}"); // what a terminal shows, in the test log
    assert!(text.contains(&format!("provider:       {paddr}")), "{text}");
    assert!(text.contains("active leases:  1"), "{text}");
    assert!(text.contains("region:         eu-central"), "{text}");
    let cpu = text.lines().find(|l| l.starts_with("CPU ")).expect(&text);
    assert!(cpu.contains("0.5 cores"), "{text}");
    assert!(text.contains("region = eu-central"), "{text}");

    // Bad input: a malformed address, a well-formed one nobody registered.
    let (ok, _, err) = run_kumo(&["query", "stats", "providers", "akash1nope", "--stats", base]);
    assert!(!ok);
    assert!(
        err.contains("\"akash1nope\" is not a provider address"),
        "{err}"
    );
    let stranger = PrivKey::generate().address().to_string();
    let (ok, _, err) = run_kumo(&["query", "stats", "providers", &stranger, "--stats", base]);
    assert!(!ok);
    assert!(
        err.contains(&format!("no provider {stranger} is registered")),
        "{err}"
    );

    // gpu: the A100 bid's USD per hour (AKT at 2 USD), min = median = max.
    let prices = client::get_json(base, "/v1/gpu-prices").unwrap();
    let model = &prices["models"][0];
    assert_eq!(model["model"], "a100");
    let usd = model["price"]["min"].as_f64().unwrap();
    assert!(usd > 0.0, "{prices}");
    let (ok, text, err) = run_kumo(&["query", "stats", "gpu", "--stats", base]);
    assert!(ok, "{err}");
    eprintln!("{text}"); // what a terminal shows, in the test log
    let row = text
        .lines()
        .find(|l| l.starts_with("nvidia") && l.contains("USD"))
        .expect(&text);
    let shown = format!("{} USD", kumo_console::web::fmt::decimal(usd, 2));
    assert_eq!(row.matches(&shown).count(), 3, "{text}");
    let (ok, out, err) = run_kumo(&["query", "stats", "gpu", "--stats", base, "-o", "json"]);
    assert!(ok, "{err}");
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed["gpuPrices"], prices);

    // leases: the closed lease (dseq 8) ran 10 blocks of 6 s; the open one is not listed.
    let (ok, text, err) = run_kumo(&["query", "stats", "leases", &owner, "--stats", base]);
    assert!(ok, "{err}");
    eprintln!("{text}"); // what a terminal shows, in the test log
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("8 "))
        .expect(&text);
    assert!(row.contains(&paddr) && row.contains("1 min 0 s"), "{text}");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("7 ")),
        "{text}"
    );
    assert!(text.contains("1 ended lease of"), "{text}");
    let (ok, text, err) = run_kumo(&[
        "query", "stats", "leases", &owner, "--dseq", "7", "--stats", base,
    ]);
    assert!(ok, "{err}");
    assert!(text.contains("has no ended lease"), "{text}");
    let (ok, out, err) = run_kumo(&[
        "query", "stats", "leases", &owner, "--dseq", "8", "--stats", base, "-o", "json",
    ]);
    assert!(ok, "{err}");
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed["leaseCount"], 1);
    assert_eq!(printed["leases"][0]["durationInSeconds"], 60);
    let (ok, _, err) = run_kumo(&["query", "stats", "leases", "bob", "--stats", base]);
    assert!(!ok);
    assert!(err.contains("\"bob\" is not an account address"), "{err}");

    // No server: the error says how to start one.
    drop(server);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (ok, _, err) = run_kumo(&[
        "query",
        "stats",
        "providers",
        "--stats",
        &format!("http://127.0.0.1:{port}"),
    ]);
    assert!(!ok);
    assert!(
        err.contains("cannot reach the stats server") && err.contains("kumo stats serve"),
        "{err}"
    );
}

/// The prober inside the real server: a provider registered at a loopback port where nothing
/// listens is probed at once and listed offline with the reason; its auditor's signature on
/// chain makes it audited; the block indexer keeps up meanwhile.
#[test]
fn stats_server_probes_providers_and_reads_their_auditors() {
    use kumo_proto::akash::audit::v1 as audit;
    let (val, provider, auditor) = (
        PrivKey::generate(),
        PrivKey::generate(),
        PrivKey::generate(),
    );
    let net = net(&[&val, &provider, &auditor]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let owner = provider.address().to_string();
    net.tx(
        &provider,
        vec![to_any(&pv1b4::MsgCreateProvider {
            owner: owner.clone(),
            host_uri: format!("https://127.0.0.1:{port}"),
            attributes: vec![],
            info: None,
        })],
    );
    net.tx(
        &auditor,
        vec![to_any(&audit::MsgSignProviderAttributes {
            owner: owner.clone(),
            auditor: auditor.address().to_string(),
            attributes: vec![Attribute {
                key: "region".into(),
                value: "local".into(),
            }],
        })],
    );
    let dir = tempfile::tempdir().unwrap();
    let server = spawn_server(&net.url, dir.path(), &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    let p = loop {
        let p = client::get_json(&server.base, &format!("/v1/providers/{owner}")).ok();
        if let Some(p) = p.filter(|p| !p["isOnline"].is_null()) {
            break p;
        }
        assert!(Instant::now() < deadline, "the provider was probed");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(p["isOnline"], false, "{p}");
    let why = p["lastCheckError"].as_str().unwrap();
    assert!(why.contains("cannot reach provider"), "{why}");
    assert_eq!(p["isAudited"], true, "{p}");
    assert_eq!(
        p["uptime1d"], 1.0,
        "an offline period in progress counts nothing yet"
    );
    let c = client::get_json(&server.base, "/v1/network-capacity").unwrap();
    assert_eq!(c["activeProviderCount"], 0);
    let height = net.produce();
    while indexed_height(&server.base) < height {
        assert!(Instant::now() < deadline, "the indexer kept up");
        std::thread::sleep(Duration::from_millis(50));
    }
}
