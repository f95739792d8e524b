//! `kumo testnet init` / `kumo testnet start`: a network of N validators on 127.0.0.1, made the
//! way a real network is (init, funded accounts, gentxs, collect-gentxs) by running this
//! binary's own commands, one process per node.

use crate::node_cmd::{DEVNET_BALANCE, DEVNET_KEYS};
use crate::{Globals, Output};
use anyhow::{bail, Context, Result};
use kumo_node::home::Home;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[derive(clap::Subcommand, Debug)]
pub enum TestnetCmd {
    /// Write homes, keys, gentxs, one genesis and peer lists for N validators on 127.0.0.1.
    ///
    /// Node i lives in DIR/node<i> with ports BASE+10i (p2p), +1 (RPC), +2 (tx gossip),
    /// +3 (gRPC), +4 (REST). Each validator's operator key `validator` is in the node's test
    /// keyring; the demo keys alice and bob (devnet mnemonics) are funded and in node0's.
    #[command(
        after_help = "Example:\n  kumo testnet init --validators 4 --dir /tmp/kumo-testnet\n  \
        kumo testnet start --dir /tmp/kumo-testnet"
    )]
    Init(InitArgs),
    /// Run every node of DIR (one process each, logs in DIR/node<i>/node.log) until Ctrl-C.
    Start(StartArgs),
}

#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// Number of validators.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=32))]
    pub validators: u32,
    /// Output directory (must not exist, unless --overwrite).
    #[arg(long)]
    pub dir: PathBuf,
    /// Chain id of the network.
    #[arg(long, default_value = "kumo-testnet")]
    pub chain_id: String,
    /// First port of node 0 (see above).
    #[arg(long, default_value_t = 26656)]
    pub base_port: u16,
    /// Self-delegation of each validator.
    #[arg(long, default_value = "100000000000uakt")]
    pub stake: String,
    /// Time between blocks, e.g. 1s or 500ms.
    #[arg(long, default_value = "1s")]
    pub block_time: String,
    /// Governance voting period, e.g. 30s (default: Akash's 3 days).
    #[arg(long, value_name = "DURATION")]
    pub voting_period: Option<String>,
    /// Remove DIR first.
    #[arg(long)]
    pub overwrite: bool,
}

#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// Directory written by `kumo testnet init`.
    #[arg(long)]
    pub dir: PathBuf,
}

/// The ports of node `i`.
pub struct Ports {
    pub p2p: u16,
    pub rpc: u16,
    pub grpc: u16,
    pub api: u16,
}

pub fn ports(base: u16, i: u32) -> Result<Ports> {
    let at = |off: u32| -> Result<u16> {
        u16::try_from(base as u32 + 10 * i + off)
            .context("--base-port is too high for so many nodes")
    };
    Ok(Ports {
        p2p: at(0)?,
        rpc: at(1)?,
        grpc: at(3)?,
        api: at(4)?,
    })
}

fn node_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut homes: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "cannot read {}: run `kumo testnet init` first",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let i: u32 = name.strip_prefix("node")?.parse().ok()?;
            Some((i, e.path()))
        })
        .filter(|(_, p)| Home::new(p).is_initialized())
        .collect();
    homes.sort();
    if homes.is_empty() {
        bail!(
            "{} holds no node homes: run `kumo testnet init --dir {}` first",
            dir.display(),
            dir.display()
        );
    }
    Ok(homes.into_iter().map(|(_, p)| p).collect())
}

/// Runs one of this binary's commands for a node home, failing with its output.
fn kumo(home: &Path, args: &[&str]) -> Result<String> {
    let exe = std::env::current_exe().context("cannot find the kumo binary")?;
    let out = Command::new(exe)
        .arg("--home")
        .arg(home)
        .args(args)
        .env("KUMO_KEYRING_BACKEND", "test")
        .stdin(Stdio::null())
        .output()?;
    if !out.status.success() {
        bail!(
            "`kumo {}` failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run(g: &Globals, c: TestnetCmd) -> Result<()> {
    match c {
        TestnetCmd::Init(a) => init(g, a),
        TestnetCmd::Start(a) => start(&a.dir),
    }
}

fn init(g: &Globals, a: InitArgs) -> Result<()> {
    if a.dir.exists() {
        if !a.overwrite {
            bail!("{} exists; pass --overwrite to replace it", a.dir.display());
        }
        std::fs::remove_dir_all(&a.dir)?;
    }
    kumo_node::home::parse_duration(&a.block_time)?;
    let n = a.validators;
    let homes: Vec<PathBuf> = (0..n).map(|i| a.dir.join(format!("node{i}"))).collect();
    let balance = format!("{DEVNET_BALANCE}uakt,{DEVNET_BALANCE}uact");
    // 1. Homes and operator keys; every account goes into node0's genesis.
    let genesis_home = &homes[0];
    for (i, home) in homes.iter().enumerate() {
        kumo(
            home,
            &[
                "init",
                "--chain-id",
                &a.chain_id,
                "--moniker",
                &format!("node{i}"),
            ],
        )?;
        let h = Home::new(home);
        let mut cfg = h.load_config()?;
        let p = ports(a.base_port, i as u32)?;
        cfg.p2p_laddr = format!("127.0.0.1:{}", p.p2p);
        cfg.rpc_laddr = format!("127.0.0.1:{}", p.rpc);
        cfg.grpc_laddr = format!("127.0.0.1:{}", p.grpc);
        cfg.api_laddr = format!("127.0.0.1:{}", p.api);
        cfg.block_time_ms = kumo_node::home::parse_duration(&a.block_time)?.as_millis() as u64;
        h.save_config(&cfg)?;
        kumo(home, &["keys", "add", "validator", "--output", "json"])?;
        let address = kumo(home, &["keys", "show", "validator", "--address"])?;
        kumo(
            genesis_home,
            &["genesis", "add-account", address.trim(), &balance],
        )?;
    }
    for (name, mnemonic) in DEVNET_KEYS {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("--home")
            .arg(genesis_home)
            .args(["keys", "add", name, "--recover"])
            .env("KUMO_KEYRING_BACKEND", "test")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        use std::io::Write;
        writeln!(child.stdin.take().expect("piped"), "{mnemonic}")?;
        if !child.wait()?.success() {
            bail!("cannot add the demo key {name}");
        }
        kumo(genesis_home, &["genesis", "add-account", name, &balance])?;
    }
    // 2. Every validator signs its gentx against the funded genesis.
    let genesis_file = Home::new(genesis_home).genesis_file();
    let gentx_dir = a.dir.join("gentxs");
    std::fs::create_dir_all(&gentx_dir)?;
    for (i, home) in homes.iter().enumerate() {
        if i > 0 {
            std::fs::copy(&genesis_file, Home::new(home).genesis_file())?;
        }
        let out = gentx_dir.join(format!("gentx-node{i}.json"));
        kumo(
            home,
            &[
                "genesis",
                "gentx",
                "validator",
                &a.stake,
                "--moniker",
                &format!("node{i}"),
                "--output-document",
                out.to_str().context("non-UTF-8 path")?,
            ],
        )?;
    }
    // 3. One genesis for all, and each node's peers: every other node.
    kumo(
        genesis_home,
        &[
            "genesis",
            "collect-gentxs",
            "--gentx-dir",
            gentx_dir.to_str().context("non-UTF-8 path")?,
        ],
    )?;
    // Mint's blocks per year from the block time, and the voting period if one was given.
    {
        let file = Home::new(genesis_home).genesis_file();
        let mut genesis = kumo_app::genesis::Genesis::from_json(&std::fs::read_to_string(&file)?)
            .map_err(anyhow::Error::msg)?;
        crate::node_cmd::tune_devnet_genesis(
            &mut genesis,
            kumo_node::home::parse_duration(&a.block_time)?.as_millis() as u64,
            a.voting_period.as_deref(),
        )?;
        std::fs::write(&file, genesis.to_json() + "\n")?;
    }
    kumo(genesis_home, &["genesis", "validate"])?;
    for (i, home) in homes.iter().enumerate() {
        let h = Home::new(home);
        if i > 0 {
            std::fs::copy(&genesis_file, h.genesis_file())?;
        }
        let mut cfg = h.load_config()?;
        cfg.persistent_peers = homes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, other)| -> Result<String> {
                let o = Home::new(other);
                let node_key = kumo_node::home::Ed25519Key::load(&o.node_key_file())?;
                Ok(format!(
                    "{}@{}",
                    kumo_node::consensus::node_id(&node_key.public()),
                    o.load_config()?.p2p_laddr
                ))
            })
            .collect::<Result<_>>()?;
        h.save_config(&cfg)?;
    }
    match g.output {
        Output::Json => {
            let nodes: Vec<_> = (0..n)
                .map(|i| {
                    let p = ports(a.base_port, i).expect("checked above");
                    serde_json::json!({"home": homes[i as usize], "rpc": format!("http://127.0.0.1:{}", p.rpc),
                        "grpc": format!("127.0.0.1:{}", p.grpc), "api": format!("http://127.0.0.1:{}", p.api),
                        "p2p": format!("127.0.0.1:{}", p.p2p)})
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({"chain_id": a.chain_id, "dir": a.dir, "nodes": nodes})
            );
        }
        Output::Text => {
            println!(
                "Testnet {} with {n} validators in {}",
                a.chain_id,
                a.dir.display()
            );
            for i in 0..n {
                let p = ports(a.base_port, i)?;
                println!(
                    "  node{i}: rpc http://127.0.0.1:{}  grpc 127.0.0.1:{}  rest http://127.0.0.1:{}  p2p 127.0.0.1:{}",
                    p.rpc, p.grpc, p.api, p.p2p
                );
            }
            println!(
                "Demo keys alice and bob are funded (test keyring of {}).",
                genesis_home.display()
            );
            println!("Next: kumo testnet start --dir {}", a.dir.display());
        }
    }
    Ok(())
}

fn start(dir: &Path) -> Result<()> {
    let homes = node_dirs(dir)?;
    let exe = std::env::current_exe()?;
    let mut children: Vec<(PathBuf, Child)> = Vec::new();
    for home in &homes {
        match spawn_node(&exe, home) {
            Ok(child) => children.push((home.clone(), child)),
            Err(e) => {
                stop_all(&mut children);
                return Err(e);
            }
        }
    }
    println!("{} nodes running; Ctrl-C stops them.", children.len());
    // Wait for Ctrl-C / SIGTERM, or for a node to exit on its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let exited = runtime.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => return anyhow::Ok(false),
                _ = term.recv() => return Ok(false),
                _ = tick.tick() => {
                    for (home, child) in &mut children {
                        if let Some(status) = child.try_wait()? {
                            eprintln!(
                                "{} exited ({status}); stopping the others. See {}",
                                home.display(),
                                home.join("node.log").display()
                            );
                            return Ok(true);
                        }
                    }
                }
            }
        }
    })?;
    stop_all(&mut children);
    if exited {
        bail!("a node stopped");
    }
    Ok(())
}

fn spawn_node(exe: &Path, home: &Path) -> Result<Child> {
    let cfg = Home::new(home).load_config()?;
    let log = std::fs::File::create(home.join("node.log"))?;
    let child = Command::new(exe)
        .arg("--home")
        .arg(home)
        .args(["node", "start"])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()?;
    println!(
        "started {} (pid {}): rpc http://{}  log {}",
        home.display(),
        child.id(),
        cfg.rpc_laddr,
        home.join("node.log").display()
    );
    Ok(child)
}

/// SIGTERM to every node, then waits for them (a node shuts down cleanly on SIGTERM).
fn stop_all(children: &mut [(PathBuf, Child)]) {
    for (_, child) in children.iter() {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
    }
    for (_, child) in children.iter_mut() {
        let _ = child.wait();
    }
}
