//! Crash test: a devnet under send load is killed with SIGKILL at a moment that varies from
//! run to run, then restarted. The chain must resume at its last committed block with the
//! same app hash and balances, never apply a tx twice, and keep producing blocks.

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use kumo_client::tx::to_any;
use kumo_client::{Coin, RpcClient, TxBuilder};
use kumo_crypto::PrivKey;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";
const START: u128 = 1_000_000_000_000;
const FEE: u128 = 5_000;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Ports {
    rpc: u16,
    grpc: u16,
    api: u16,
    p2p: u16,
}

/// A node process, killed when dropped so that a failing assertion never leaves it running.
struct NodeProcess(Child);

impl NodeProcess {
    /// SIGKILL, as a crash would.
    fn kill_9(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(
    args: &[&str],
    home: &std::path::Path,
    ports: &Ports,
    log: &std::path::Path,
) -> NodeProcess {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_kumo"))
        .arg("--home")
        .arg(home)
        .args(args)
        .args(["--block-time", "200ms"])
        .args(["--rpc-laddr", &format!("127.0.0.1:{}", ports.rpc)])
        .args(["--grpc-laddr", &format!("127.0.0.1:{}", ports.grpc)])
        .args(["--api-laddr", &format!("127.0.0.1:{}", ports.api)])
        .args(["--p2p-laddr", &format!("127.0.0.1:{}", ports.p2p)])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .map(NodeProcess)
        .expect("start kumo")
}

fn wait_height(c: &RpcClient, at_least: u64, log: &std::path::Path) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(s) = c.status() {
            if s.latest_height >= at_least {
                return s.latest_height;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "node did not reach height {at_least}; log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Sends alice -> bob 1uakt transfers until `stop`, tracking the sequence locally.
fn load(c: &RpcClient, key: &PrivKey, chain: &str, until: Instant) {
    let mut seq = None;
    while Instant::now() < until {
        let Ok(Some(acc)) = c.account(&key.address().to_string()) else {
            return;
        };
        let s = seq.unwrap_or(acc.sequence).max(acc.sequence);
        let msg = MsgSend {
            from_address: key.address().to_string(),
            to_address: BOB.into(),
            amount: vec![Coin {
                denom: "uakt".into(),
                amount: "1".into(),
            }],
        };
        let tx = TxBuilder::new(chain, acc.account_number, s)
            .msg(to_any(&msg))
            .fee(vec![Coin {
                denom: "uakt".into(),
                amount: FEE.to_string(),
            }])
            .gas_limit(200_000)
            .sign(key);
        match c.broadcast_tx_sync(&tx.tx_bytes) {
            Ok(r) if r.code == 0 => seq = Some(s + 1),
            Ok(_) => seq = None, // refetch the sequence
            Err(_) => return,    // node gone
        }
    }
}

fn check_chain(c: &RpcClient, key: &PrivKey, upto: u64) {
    // Every tx appears once; balances match the committed txs exactly.
    let mut seen = HashSet::new();
    let mut sends = 0u128;
    for h in 1..=upto {
        let b = c.block(Some(h)).unwrap();
        for hash in b.tx_hashes() {
            assert!(
                seen.insert(hash.clone()),
                "tx {hash} applied twice (again at height {h})"
            );
            let info = c.tx(&hash).unwrap().expect("indexed tx");
            assert_eq!(info.code, 0, "load tx failed: {}", info.log);
            sends += 1;
        }
    }
    let at = c.clone().at_height(Some(upto));
    let alice = at.balance(&key.address().to_string(), "uakt").unwrap();
    let bob = at.balance(BOB, "uakt").unwrap();
    assert_eq!(
        alice,
        START - sends * (1 + FEE),
        "alice's balance at {upto} matches {sends} committed sends"
    );
    assert_eq!(bob, START + sends);
    // Transfers and fees move tokens; only the mint module's per-block provision adds any.
    let uakt = |supply: Vec<(String, u128)>| {
        supply
            .into_iter()
            .find(|(d, _)| d == "uakt")
            .map(|(_, a)| a)
            .unwrap_or(0)
    };
    let minted: u128 = (2..=upto).map(|h| minted_at(c, h)).sum();
    assert_eq!(
        uakt(at.total_supply().unwrap()),
        uakt(c.clone().at_height(Some(1)).total_supply().unwrap()) + minted,
        "supply at {upto} = supply at 1 + the {minted} uakt minted since"
    );
}

/// The uakt the mint module created in block `h` (its `mint` event's `amount`).
fn minted_at(c: &RpcClient, h: u64) -> u128 {
    let r = c
        .call(
            "block_results",
            serde_json::json!({ "height": h.to_string() }),
        )
        .unwrap();
    r["finalize_block_events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "mint")
        .flat_map(|e| e["attributes"].as_array().cloned().unwrap_or_default())
        .filter(|a| a["key"] == "amount")
        .map(|a| a["value"].as_str().unwrap().parse::<u128>().unwrap())
        .sum()
}

#[test]
fn kill_9_mid_load_then_restart_resumes_at_the_last_commit() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let log = dir.path().join("node.log");
    let ports = Ports {
        rpc: free_port(),
        grpc: free_port(),
        api: free_port(),
        // Tx gossip takes the port two above.
        p2p: free_port(),
    };
    let client = RpcClient::new(&format!("http://127.0.0.1:{}", ports.rpc));
    let alice = PrivKey::from_mnemonic(ALICE, "").unwrap();
    let mut node = spawn(&["devnet", "--reset"], &home, &ports, &log);
    wait_height(&client, 2, &log);
    let chain = client.status().unwrap().chain_id;

    for round in 0..2u32 {
        // Kill after 0.8-2.0 s of load; the exact moment varies with the clock.
        let jitter = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_millis()
            % 1200) as u64;
        let kill_at = Instant::now() + Duration::from_millis(800 + jitter);
        let loader = {
            let c = client.clone();
            let k = alice.clone();
            let chain = chain.clone();
            std::thread::spawn(move || load(&c, &k, &chain, kill_at + Duration::from_secs(1)))
        };
        std::thread::sleep(kill_at.saturating_duration_since(Instant::now()));
        let seen_before = client.status().map(|s| s.latest_height).unwrap_or(0);
        node.kill_9();
        loader.join().unwrap();

        node = spawn(&["node", "start"], &home, &ports, &log);
        let after = wait_height(&client, seen_before, &log);
        assert!(
            after >= seen_before,
            "round {round}: restarted at {after}, below the {seen_before} seen before the kill"
        );
        // The restarted node continues the same chain: block N+1 points at block N.
        let next = wait_height(&client, after + 2, &log);
        check_chain(&client, &alice, next);
    }
    // A damaged tx index (derived data) is set aside and rebuilt from the stored blocks: every
    // tx is found again.
    node.kill_9();
    let index = home.join("data").join("tx_index.redb");
    let garbage: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&index, &garbage).unwrap();
    node = spawn(&["node", "start"], &home, &ports, &log);
    let now = wait_height(&client, 1, &log);
    check_chain(&client, &alice, now);
    assert_eq!(
        std::fs::read(home.join("data").join("tx_index.redb.damaged")).unwrap(),
        garbage,
        "the damaged index was kept aside"
    );
    node.kill_9();
}
