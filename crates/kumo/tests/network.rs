//! A real network on loopback: validators made with `kumo testnet init` (init, gentx,
//! collect-gentxs), one `kumo node start` process each, ordered by Malachite.
//!
//! * `four_validators`: txs sent to different nodes are committed once; app hashes agree at
//!   every height; a validator killed with SIGKILL does not stop the chain, and after a
//!   restart it catches up and signs again; with two of four down the chain halts without a
//!   fork and resumes when one returns; a full node started late syncs from height 1 and
//!   follows; a validator created at runtime starts signing, and stops when it unbonds.
//! * `slashing`: a validator kept down past the signing window is jailed.
//! * `double_sign_twin`: a second process signing with a validator's consensus key is slashed
//!   and tombstoned.

use kumo_client::RpcClient;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KUMO: &str = env!("CARGO_BIN_EXE_kumo");

/// One network at a time: two of them on two cores would starve each other's timeouts.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
const CHAIN: &str = "kumo-testnet";

/// A node process, killed when dropped so that a failing assertion never leaves it running.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Net {
    dir: PathBuf,
    homes: Vec<PathBuf>,
    procs: Vec<Option<Proc>>,
    _tmp: tempfile::TempDir,
}

fn kumo(home: &Path, args: &[&str]) -> String {
    let out = Command::new(KUMO)
        .arg("--home")
        .arg(home)
        .args(args)
        .env("KUMO_KEYRING_BACKEND", "test")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kumo {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn config(home: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(home.join("config/config.json")).unwrap())
        .unwrap()
}

fn write_config(home: &Path, cfg: &Value) {
    std::fs::write(
        home.join("config/config.json"),
        serde_json::to_string_pretty(cfg).unwrap(),
    )
    .unwrap();
}

fn rpc_of(home: &Path) -> RpcClient {
    RpcClient::new(&format!(
        "http://{}",
        config(home)["rpc_laddr"].as_str().unwrap()
    ))
}

fn wait_for<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {secs}s: {what}");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

impl Net {
    /// `kumo testnet init` in a temp dir; `edit_genesis` may change the genesis of every node
    /// (the same way) before anything starts.
    fn init(n: u32, base_port: u16, edit_genesis: impl Fn(&mut Value)) -> Net {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("net");
        let out = Command::new(KUMO)
            .args(["testnet", "init", "--validators", &n.to_string()])
            .arg("--dir")
            .arg(&dir)
            .args([
                "--base-port",
                &base_port.to_string(),
                "--block-time",
                "500ms",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "testnet init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let homes: Vec<PathBuf> = (0..n).map(|i| dir.join(format!("node{i}"))).collect();
        for h in &homes {
            let path = h.join("config/genesis.json");
            let mut g: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            edit_genesis(&mut g);
            std::fs::write(&path, serde_json::to_string_pretty(&g).unwrap()).unwrap();
        }
        let procs = homes.iter().map(|_| None).collect();
        Net {
            dir,
            homes,
            procs,
            _tmp: tmp,
        }
    }

    fn start(&mut self, i: usize) {
        let home = &self.homes[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(home.join("node.log"))
            .unwrap();
        let child = Command::new(KUMO)
            .arg("--home")
            .arg(home)
            .args(["node", "start"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        self.procs[i] = Some(Proc(child));
    }

    /// SIGKILL, as a crash would.
    fn kill_9(&mut self, i: usize) {
        if let Some(mut p) = self.procs[i].take() {
            p.0.kill().unwrap();
            p.0.wait().unwrap();
        }
    }

    fn rpc(&self, i: usize) -> RpcClient {
        rpc_of(&self.homes[i])
    }

    fn height(&self, i: usize) -> Option<u64> {
        self.rpc(i).status().ok().map(|s| s.latest_height)
    }

    /// Adds a node home (not a validator) with the network's genesis and every node as peer.
    fn add_full_node(&mut self, port: u16) -> usize {
        let i = self.homes.len();
        let home = self.dir.join(format!("node{i}"));
        kumo(
            &home,
            &[
                "init",
                "--chain-id",
                CHAIN,
                "--moniker",
                &format!("full{i}"),
            ],
        );
        std::fs::copy(
            self.homes[0].join("config/genesis.json"),
            home.join("config/genesis.json"),
        )
        .unwrap();
        let mut cfg = config(&home);
        cfg["p2p_laddr"] = format!("127.0.0.1:{port}").into();
        cfg["rpc_laddr"] = format!("127.0.0.1:{}", port + 1).into();
        cfg["grpc_laddr"] = format!("127.0.0.1:{}", port + 3).into();
        cfg["api_laddr"] = format!("127.0.0.1:{}", port + 4).into();
        cfg["block_time_ms"] = 500.into();
        cfg["persistent_peers"] = self
            .homes
            .iter()
            .map(|h| Value::from(config(h)["p2p_laddr"].as_str().unwrap()))
            .collect::<Vec<_>>()
            .into();
        write_config(&home, &cfg);
        self.homes.push(home);
        self.procs.push(None);
        i
    }

    fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(self.homes[i].join("node.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits until node `i` has committed `h`.
    fn wait_height(&self, i: usize, h: u64, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.height(i).is_none_or(|at| at < h) {
            if Instant::now() > deadline {
                panic!(
                    "node{i} did not reach height {h} in {secs}s (at {:?}); its log ends:\n{}",
                    self.height(i),
                    self.log_tail(i)
                );
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

fn consensus_address(home: &Path) -> String {
    let key: Value = serde_json::from_str(
        &std::fs::read_to_string(home.join("config/priv_validator_key.json")).unwrap(),
    )
    .unwrap();
    key["address"].as_str().unwrap().to_string()
}

fn app_hash(c: &RpcClient, h: u64) -> String {
    let b = c
        .call("block", serde_json::json!({"height": h.to_string()}))
        .unwrap();
    b["block"]["header"]["app_hash"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Consensus addresses whose signature is in the commit of height `h`.
fn signers(c: &RpcClient, h: u64) -> Vec<String> {
    let r = c
        .call("commit", serde_json::json!({"height": h.to_string()}))
        .unwrap();
    r["signed_header"]["commit"]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["block_id_flag"] == 2)
        .map(|s| s["validator_address"].as_str().unwrap().to_string())
        .collect()
}

fn validator_set(c: &RpcClient) -> Vec<String> {
    let r = c.call("validators", serde_json::json!({})).unwrap();
    r["validators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["address"].as_str().unwrap().to_string())
        .collect()
}

/// Runs `kumo tx ARGS` against `node` (sync broadcast) and returns the tx hash.
fn tx(home: &Path, args: &[&str], node: &RpcClient) -> String {
    let mut all = vec!["tx"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "--node",
        node.url(),
        "--chain-id",
        CHAIN,
        "--yes",
        "--output",
        "json",
    ]);
    let out = kumo(home, &all);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("{out}"));
    assert_eq!(v["code"], 0, "{out}");
    v["txhash"].as_str().unwrap().to_string()
}

fn send(home: &Path, from: &str, to: &str, amount: &str, node: &RpcClient) -> String {
    tx(home, &["bank", "send", "--from", from, to, amount], node)
}

#[test]
fn four_validators() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut net = Net::init(4, 30_000, |_| {});
    for i in 0..4 {
        net.start(i);
    }
    for i in 0..4 {
        net.wait_height(i, 3, 60);
    }

    // Txs sent to different nodes (each from that node's operator) are each committed once.
    let bob = kumo(&net.homes[0], &["keys", "show", "bob", "--address"]);
    let bob = bob.trim();
    let hashes: Vec<String> = (0..4)
        .map(|i| send(&net.homes[i], "validator", bob, "1000uakt", &net.rpc(i)))
        .collect();
    for h in &hashes {
        let mut heights = Vec::new();
        for i in 0..4 {
            let info = net
                .rpc(i)
                .wait_for_tx(h, Duration::from_secs(30))
                .unwrap_or_else(|e| panic!("tx {h} on node{i}: {e}"));
            heights.push(info.height);
        }
        assert!(heights.windows(2).all(|w| w[0] == w[1]), "{h}: {heights:?}");
    }
    let found = net
        .rpc(1)
        .call(
            "tx_search",
            serde_json::json!({"query": format!("transfer.recipient='{bob}'"), "per_page": "100"}),
        )
        .unwrap();
    assert_eq!(found["total_count"], "4", "{found}");

    // Kill -9 one validator: the others go on.
    let h = net.height(0).unwrap();
    net.kill_9(3);
    for i in 0..3 {
        net.wait_height(i, h + 4, 60);
    }
    // Restarted, it catches up and signs again.
    net.start(3);
    let target = net.height(0).unwrap() + 2;
    net.wait_height(3, target, 90);
    let node3 = consensus_address(&net.homes[3]);
    let signed_at = wait_for("node3 signs again after its restart", 60, || {
        let tip = net.height(0)?;
        (target..=tip).find(|h| signers(&net.rpc(0), *h).contains(&node3))
    });
    assert!(signed_at >= target);

    // Every node agrees on every app hash.
    let common = (0..4).filter_map(|i| net.height(i)).min().unwrap();
    for h in 1..=common {
        let reference = app_hash(&net.rpc(0), h);
        for i in 1..4 {
            assert_eq!(
                app_hash(&net.rpc(i), h),
                reference,
                "app hash at {h}, node{i}"
            );
        }
    }

    // Two of four down: no quorum, so no block, and no fork.
    net.kill_9(2);
    net.kill_9(3);
    std::thread::sleep(Duration::from_secs(2));
    let stuck = [net.height(0).unwrap(), net.height(1).unwrap()];
    std::thread::sleep(Duration::from_secs(8));
    let later = [net.height(0).unwrap(), net.height(1).unwrap()];
    assert_eq!(stuck, later, "the chain moved without a quorum");
    assert_eq!(later[0], later[1]);
    assert_eq!(
        app_hash(&net.rpc(0), later[0]),
        app_hash(&net.rpc(1), later[1])
    );
    // One returns: three of four, the chain resumes.
    net.start(2);
    for i in [0, 1, 2] {
        net.wait_height(i, later[0] + 3, 90);
    }
    net.start(3);

    // A full node started late syncs from height 1, then follows.
    let full = net.add_full_node(30_100);
    net.start(full);
    let tip = net.height(0).unwrap();
    net.wait_height(full, tip, 120);
    for h in [1, tip / 2, tip] {
        assert_eq!(
            app_hash(&net.rpc(full), h),
            app_hash(&net.rpc(0), h),
            "height {h}"
        );
    }
    net.wait_height(full, tip + 3, 60);
    wait_for("the full node reports it has caught up", 30, || {
        let status = net.rpc(full).call("status", serde_json::json!({})).ok()?;
        (status["sync_info"]["catching_up"] == false).then_some(())
    });
    wait_for("the full node lists its four peers in net_info", 30, || {
        let peers = net.rpc(full).call("net_info", serde_json::json!({})).ok()?;
        (peers["n_peers"] == "4").then_some(())
    });

    // The full node becomes a validator at runtime (its own consensus key), then unbonds.
    let home = net.homes[full].clone();
    let op = kumo(&home, &["keys", "add", "op", "--output", "json"]);
    let op: Value = serde_json::from_str(op.trim()).unwrap();
    let op = op["address"].as_str().unwrap().to_string();
    let hash = send(&net.homes[0], "alice", &op, "200000000000uakt", &net.rpc(0));
    net.rpc(full)
        .wait_for_tx(&hash, Duration::from_secs(30))
        .unwrap();
    let address = consensus_address(&home);
    let created = tx(
        &home,
        &[
            "staking",
            "create-validator",
            "--from",
            "op",
            "100000000000uakt",
            "--moniker",
            "late",
        ],
        &net.rpc(full),
    );
    net.rpc(0)
        .wait_for_tx(&created, Duration::from_secs(30))
        .unwrap();
    wait_for("the new validator signs blocks", 60, || {
        let tip = net.height(0)?;
        signers(&net.rpc(0), tip).contains(&address).then_some(())
    });
    assert!(validator_set(&net.rpc(0)).contains(&address));
    let valoper = kumo_crypto::Address::from_bech32(&op, "akash")
        .unwrap()
        .to_bech32("akashvaloper");
    let unbond = tx(
        &home,
        &[
            "staking",
            "unbond",
            "--from",
            "op",
            &valoper,
            "100000000000uakt",
        ],
        &net.rpc(full),
    );
    net.rpc(0)
        .wait_for_tx(&unbond, Duration::from_secs(30))
        .unwrap();
    wait_for("the unbonded validator leaves the set", 60, || {
        (!validator_set(&net.rpc(0)).contains(&address)).then_some(())
    });
    let tip = net.height(0).unwrap();
    net.wait_height(0, tip + 3, 60);
    assert!(!signers(&net.rpc(0), tip + 3).contains(&address));
}

fn signing_infos(home: &Path, node: &RpcClient) -> Vec<Value> {
    let out = kumo(
        home,
        &[
            "query",
            "slashing",
            "signing-infos",
            "--node",
            node.url(),
            "--output",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("{out}"));
    v["info"].as_array().cloned().unwrap_or_default()
}

fn valcons(home: &Path) -> String {
    let hex_addr = consensus_address(home);
    kumo_crypto::Address(hex::decode(hex_addr).unwrap().try_into().unwrap())
        .to_bech32("akashvalcons")
}

#[test]
fn slashing() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    // A short signing window: more than 5 of 10 blocks missed is downtime.
    let mut net = Net::init(4, 30_200, |g| {
        g["app_state"]["slashing"]["params"] = serde_json::json!({
            "signed_blocks_window": "10",
            "min_signed_per_window": "0.500000000000000000",
            "downtime_jail_duration": "600s",
            "slash_fraction_double_sign": "0.050000000000000000",
            "slash_fraction_downtime": "0.000000000000000000",
        });
    });
    for i in 0..4 {
        net.start(i);
    }
    for i in 0..4 {
        net.wait_height(i, 3, 60);
    }
    // node3 stays down past the window: jailed for downtime.
    net.kill_9(3);
    let down = valcons(&net.homes[3]);
    let info = wait_for("node3 is jailed for downtime", 90, || {
        signing_infos(&net.homes[0], &net.rpc(0))
            .into_iter()
            .find(|i| {
                i["address"] == down.as_str()
                    && i["jailed_until"]
                        .as_str()
                        .is_some_and(|t| !t.starts_with("1970"))
            })
    });
    assert_eq!(info["tombstoned"], false, "{info}");
    let node3 = consensus_address(&net.homes[3]);
    wait_for("the jailed validator leaves the set", 30, || {
        (!validator_set(&net.rpc(0)).contains(&node3)).then_some(())
    });
}

/// A second process signing with a validator's consensus key is slashed and tombstoned.
///
/// Two copies of one key with the same config rarely sign different things: the engine adopts
/// a proposal carrying its own address instead of building another, so both copies vote alike.
/// The twin here is the realistic bad case, a backup started with other settings: a 1 ms
/// block time and a 1 ms `timeout_propose`, so it enters each height before the others and
/// prevotes nil before the round's proposal reaches it, while the original prevotes the block.
/// Every node sees both prevotes; the evidence is gossiped, lands in a block, and the
/// validator is slashed and tombstoned.
#[test]
fn double_sign_twin() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut net = Net::init(4, 30_400, |_| {});
    for i in 0..4 {
        net.start(i);
    }
    for i in 0..4 {
        net.wait_height(i, 3, 60);
    }
    let twin = net.add_full_node(30_500);
    std::fs::copy(
        net.homes[2].join("config/priv_validator_key.json"),
        net.homes[twin].join("config/priv_validator_key.json"),
    )
    .unwrap();
    let mut cfg = config(&net.homes[twin]);
    cfg["block_time_ms"] = 1.into();
    cfg["timeout_propose_ms"] = 1.into();
    write_config(&net.homes[twin], &cfg);
    net.start(twin);
    let doubled = valcons(&net.homes[2]);
    let deadline = Instant::now() + Duration::from_secs(180);
    let info = loop {
        let found = signing_infos(&net.homes[0], &net.rpc(0))
            .into_iter()
            .find(|i| i["address"] == doubled.as_str() && i["tombstoned"] == true);
        if let Some(info) = found {
            break info;
        }
        if Instant::now() > deadline {
            panic!(
                "node2 was not tombstoned for double signing within 180 s; node0's log ends:\n{}\n\
                 the twin's log ends:\n{}",
                net.log_tail(0),
                net.log_tail(twin)
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        info["jailed_until"]
            .as_str()
            .is_some_and(|t| t.starts_with("9999-12-31T23:59:59")),
        "{info}"
    );
}
