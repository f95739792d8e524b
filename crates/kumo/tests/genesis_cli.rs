//! End-to-end tests of `kumo genesis gentx|collect-gentxs|validate` against the built binary:
//! two validator homes build one genesis, as a new network's validators do.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const CHAIN: &str = "kumo-multi";
const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                       abandon abandon about";
const ZOO: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const LEGAL: &str = "legal winner thank year wave sausage worth useful legal winner thank yellow";
const TEST: &[&str] = &["--keyring-backend", "test"];

/// Runs `kumo --home <home> <args>` with `stdin` piped in and a clean environment.
fn kumo_in(home: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kumo"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("KUMO_HOME")
        .env_remove("KUMO_KEYRING_BACKEND")
        .env_remove("KUMO_KEYRING_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kumo");
    // A command that does not read stdin may exit first: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait for kumo")
}

fn kumo(home: &Path, args: &[&str]) -> Output {
    kumo_in(home, args, "")
}

fn with_test_keyring<'a>(args: &[&'a str]) -> Vec<&'a str> {
    args.iter().chain(TEST).copied().collect()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "kumo failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn fail(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "kumo unexpectedly succeeded\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

fn genesis_file(home: &Path) -> PathBuf {
    home.join("config/genesis.json")
}

/// `kumo init` a home for `chain_id` whose node listens for peers on `p2p`, with the key
/// `name` recovered from `mnemonic`; returns the key's address.
fn node_home(home: &Path, chain_id: &str, p2p: &str, name: &str, mnemonic: &str) -> String {
    ok(&kumo(
        home,
        &["init", "--chain-id", chain_id, "--moniker", name],
    ));
    let config = home.join("config/config.json");
    let mut cfg = read_json(&config);
    cfg["p2p_laddr"] = p2p.into();
    write_json(&config, &cfg);
    ok(&kumo_in(
        home,
        &with_test_keyring(&["keys", "add", name, "--recover"]),
        &format!("{mnemonic}\n"),
    ));
    ok(&kumo(
        home,
        &with_test_keyring(&["keys", "show", name, "--address"]),
    ))
    .trim()
    .to_string()
}

/// Two validator homes sharing one genesis (the coordinator's, in `h1`) that funds both
/// operators with 1,000 AKT.
struct Net {
    h1: tempfile::TempDir,
    h2: tempfile::TempDir,
}

impl Net {
    fn new() -> Net {
        let (h1, h2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a1 = node_home(h1.path(), CHAIN, "127.0.0.1:26656", "val1", ABANDON);
        let a2 = node_home(h2.path(), CHAIN, "127.0.0.1:26666", "val2", ZOO);
        for a in [&a1, &a2] {
            ok(&kumo(
                h1.path(),
                &["genesis", "add-account", a, "1000000000uakt"],
            ));
        }
        std::fs::copy(genesis_file(h1.path()), genesis_file(h2.path())).unwrap();
        Net { h1, h2 }
    }

    fn h1(&self) -> &Path {
        self.h1.path()
    }

    fn h2(&self) -> &Path {
        self.h2.path()
    }

    /// `kumo genesis gentx` in `home`; returns the file it wrote.
    fn gentx(home: &Path, key: &str, amount: &str) -> PathBuf {
        let out = ok(&kumo(
            home,
            &with_test_keyring(&["genesis", "gentx", key, amount, "--moniker", key]),
        ));
        PathBuf::from(out.trim())
    }

    /// Both gentxs in h1's gentx folder, collected.
    fn collected(&self) -> (PathBuf, PathBuf) {
        let g1 = Net::gentx(self.h1(), "val1", "100000000uakt");
        let g2 = Net::gentx(self.h2(), "val2", "250000000uakt");
        let g2_in_h1 = self.h1().join("config/gentx").join(g2.file_name().unwrap());
        std::fs::copy(&g2, &g2_in_h1).unwrap();
        ok(&kumo(self.h1(), &["genesis", "collect-gentxs"]));
        (g1, g2_in_h1)
    }
}

#[test]
fn two_validators_build_one_genesis() {
    let net = Net::new();
    // Nobody is bonded yet.
    let err = fail(&kumo(net.h1(), &["genesis", "validate"]));
    assert!(err.contains("genesis has no bonded validator"), "{err}");
    assert!(err.contains("kumo genesis gentx"), "{err}");

    let g1 = Net::gentx(net.h1(), "val1", "100000000uakt");
    assert!(g1.starts_with(net.h1().join("config/gentx")), "{g1:?}");
    let tx = read_json(&g1);
    let memo = tx["body"]["memo"].as_str().unwrap();
    let (node_id, addr) = memo.split_once('@').unwrap();
    assert_eq!(node_id.len(), 40, "{memo}");
    assert_eq!(addr, "127.0.0.1:26656");
    assert_eq!(
        g1.file_name().unwrap().to_str().unwrap(),
        format!("gentx-{node_id}.json")
    );
    assert_eq!(tx["auth_info"]["fee"]["gas_limit"], "200000");
    assert_eq!(
        tx["body"]["messages"][0]["@type"],
        "/cosmos.staking.v1beta1.MsgCreateValidator"
    );

    // The second validator signs in its own home, with JSON output and its own file name.
    let elsewhere = tempfile::tempdir().unwrap();
    let doc = elsewhere.path().join("val2-gentx.json");
    let out = ok(&kumo(
        net.h2(),
        &with_test_keyring(&[
            "genesis",
            "gentx",
            "val2",
            "250000000uakt",
            "--moniker",
            "val2",
            "--commission-rate",
            "0.05",
            "--details",
            "second",
            "--output-document",
            doc.to_str().unwrap(),
            "-o",
            "json",
        ]),
    ));
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["self_delegation"], "250000000uakt");
    assert!(j["validator"]
        .as_str()
        .unwrap()
        .starts_with("akashvaloper1"));
    assert_eq!(j["file"], doc.to_str().unwrap());
    std::fs::copy(&doc, net.h1().join("config/gentx/val2.json")).unwrap();

    let out = ok(&kumo(net.h1(), &["genesis", "collect-gentxs"]));
    assert!(out.contains("2 validators, total power 350"), "{out}");
    let peers = out
        .lines()
        .find_map(|l| l.strip_prefix("persistent_peers: "))
        .unwrap();
    let peers: Vec<&str> = peers.split(',').collect();
    assert_eq!(peers.len(), 2, "{out}");
    assert!(peers.contains(&memo), "{out}");
    assert!(
        peers.iter().any(|p| p.ends_with("@127.0.0.1:26666")),
        "{out}"
    );

    let genesis = read_json(&genesis_file(net.h1()));
    assert_eq!(
        genesis["app_state"]["genutil"]["gen_txs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let out = ok(&kumo(net.h1(), &["genesis", "validate"]));
    assert_eq!(
        out.trim(),
        "genesis is valid: 2 validators, total power 350"
    );
    // The same file given by path, to a home that has none, with JSON output.
    let other = tempfile::tempdir().unwrap();
    let file = genesis_file(net.h1());
    let out = ok(&kumo(
        other.path(),
        &["genesis", "validate", file.to_str().unwrap(), "-o", "json"],
    ));
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        j,
        serde_json::json!({"valid": true, "validators": 2, "total_power": 350})
    );
    // Collecting again gives the same file.
    ok(&kumo(
        net.h1(),
        &["genesis", "collect-gentxs", "-o", "json"],
    ));
    assert_eq!(read_json(&genesis_file(net.h1())), genesis);
}

#[test]
fn gentx_refuses_what_cannot_bond() {
    let net = Net::new();
    let gentx = |key: &str, amount: &str| {
        fail(&kumo(
            net.h1(),
            &with_test_keyring(&["genesis", "gentx", key, amount, "--moniker", "x"]),
        ))
    };
    let err = gentx("val1", "100000000uact");
    assert!(err.contains("bond denom uakt"), "{err}");
    let err = gentx("val1", "5000000000uakt");
    assert!(err.contains("less than the self-delegation"), "{err}");
    let err = gentx("val1", "999999uakt");
    assert!(
        err.contains("less than one unit of consensus power"),
        "{err}"
    );
    // A key whose account is not in genesis.json.
    let stranger = tempfile::tempdir().unwrap();
    node_home(stranger.path(), CHAIN, "127.0.0.1:26676", "val3", LEGAL);
    let err = fail(&kumo(
        stranger.path(),
        &with_test_keyring(&[
            "genesis",
            "gentx",
            "val3",
            "100000000uakt",
            "--moniker",
            "x",
        ]),
    ));
    assert!(err.contains("is not in genesis.json"), "{err}");
    assert!(err.contains("kumo genesis add-account val3"), "{err}");
    // A moniker is required.
    let err = fail(&kumo(
        net.h1(),
        &with_test_keyring(&["genesis", "gentx", "val1", "100000000uakt"]),
    ));
    assert!(err.contains("--moniker"), "{err}");
}

#[test]
fn collect_gentxs_refuses_bad_gentxs() {
    let net = Net::new();
    let g1 = Net::gentx(net.h1(), "val1", "100000000uakt");
    let collect_from = |dir: &Path| {
        fail(&kumo(
            net.h1(),
            &[
                "genesis",
                "collect-gentxs",
                "--gentx-dir",
                dir.to_str().unwrap(),
            ],
        ))
    };

    // The same gentx twice.
    let dup = tempfile::tempdir().unwrap();
    std::fs::copy(&g1, dup.path().join("a.json")).unwrap();
    std::fs::copy(&g1, dup.path().join("b.json")).unwrap();
    let err = collect_from(dup.path());
    assert!(
        err.contains("a.json and b.json both create validator"),
        "{err}"
    );

    // Changed after signing.
    let tampered = tempfile::tempdir().unwrap();
    let mut tx = read_json(&g1);
    tx["body"]["messages"][0]["description"]["moniker"] = "evil".into();
    write_json(&tampered.path().join("gentx.json"), &tx);
    let err = collect_from(tampered.path());
    assert!(
        err.contains("gentx.json: its signature does not verify"),
        "{err}"
    );

    // Signed for another chain: a home whose genesis is h1's with another chain id.
    let other = tempfile::tempdir().unwrap();
    node_home(other.path(), "other-chain", "127.0.0.1:26686", "val2", ZOO);
    let mut genesis = read_json(&genesis_file(net.h1()));
    genesis["chain_id"] = "other-chain".into();
    write_json(&genesis_file(other.path()), &genesis);
    let wrong_chain = Net::gentx(other.path(), "val2", "100000000uakt");
    let err = collect_from(wrong_chain.parent().unwrap());
    assert!(
        err.contains(&format!("does not verify for chain id {CHAIN:?}")),
        "{err}"
    );

    // From an account h1's genesis does not fund.
    let stranger = tempfile::tempdir().unwrap();
    let a3 = node_home(stranger.path(), CHAIN, "127.0.0.1:26696", "val3", LEGAL);
    ok(&kumo(
        stranger.path(),
        &["genesis", "add-account", &a3, "1000000000uakt"],
    ));
    let unfunded = Net::gentx(stranger.path(), "val3", "100000000uakt");
    let err = collect_from(unfunded.parent().unwrap());
    assert!(err.contains("is not a genesis account"), "{err}");

    // Nothing to collect.
    let empty = tempfile::tempdir().unwrap();
    let err = collect_from(empty.path());
    assert!(err.contains("no gentx"), "{err}");

    // None of the refusals touched genesis.json.
    assert!(
        read_json(&genesis_file(net.h1()))["app_state"]["genutil"]["gen_txs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn validate_refuses_broken_genesis_files() {
    let net = Net::new();
    net.collected();
    let path = genesis_file(net.h1());
    let good = read_json(&path);
    let validate = |g: &Value| {
        write_json(&path, g);
        fail(&kumo(net.h1(), &["genesis", "validate"]))
    };

    let mut g = good.clone();
    let first = g["app_state"]["genutil"]["gen_txs"][0].clone();
    g["app_state"]["genutil"]["gen_txs"]
        .as_array_mut()
        .unwrap()
        .push(first);
    let err = validate(&g);
    assert!(err.contains("both create validator"), "{err}");

    let mut g = good.clone();
    g["app_state"]["genutil"]["gen_txs"][1]["body"]["messages"][0]["value"]["amount"] =
        "900000000".into();
    let err = validate(&g);
    assert!(err.contains("signature does not verify"), "{err}");

    let mut g = good.clone();
    g["chain_id"] = "kumo-other".into();
    let err = validate(&g);
    assert!(
        err.contains("does not verify for chain id \"kumo-other\""),
        "{err}"
    );

    // An operator without its genesis account and balance.
    let mut g = good.clone();
    let signer = g["app_state"]["auth"]["accounts"][1]["address"].clone();
    for (module, list) in [("auth", "accounts"), ("bank", "balances")] {
        g["app_state"][module][list]
            .as_array_mut()
            .unwrap()
            .retain(|a| a["address"] != signer);
    }
    let err = validate(&g);
    assert!(err.contains("is not a genesis account"), "{err}");

    // JSON output says why, too.
    write_json(&path, &serde_json::json!({"chain_id": CHAIN}));
    let out = kumo(net.h1(), &["genesis", "validate", "-o", "json"]);
    fail(&out);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["valid"], false);
    assert!(
        j["error"]
            .as_str()
            .unwrap()
            .contains("invalid genesis file"),
        "{j}"
    );
}
