//! `kumo genesis …`: the genesis file of a new network, before it starts. The usual flow, as
//! on any Cosmos chain: one coordinator adds every account (`add-account`) and sends the
//! genesis.json to each validator; each validator signs a gentx for its own node (`gentx`) and
//! sends it back; the coordinator puts them in (`collect-gentxs`), checks the result
//! (`validate`) and sends the final genesis.json and the peer list to everyone.

use crate::keys_cmd::KeyringArgs;
use crate::query_cmd::{print_json, resolve_address};
use crate::staking_cmd::{create_validator_msg, one_coin, NewValidatorArgs};
use crate::{Globals, Output};
use anyhow::{anyhow, bail, Context, Result};
use kumo_app::abci::ValidatorUpdate;
use kumo_app::genesis::Genesis;
use kumo_app::genutil::{self, GenTx};
use kumo_app::staking::state::POWER_REDUCTION;
use kumo_client::tx::{to_any, TxBuilder};
use kumo_node::home::{Ed25519Key, Home};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Gas a gentx asks for (the SDK's default; creating a validator takes about half).
const GENTX_GAS: u64 = 200_000;

#[derive(clap::Subcommand, Debug)]
pub enum GenesisCmd {
    /// Add an account with a starting balance to genesis.json (before the chain starts).
    ///
    /// ADDRESS may be a bech32 address (akash1...) or the name of a key in the keyring.
    AddAccount {
        /// akash1... address or key name.
        address: String,
        /// Coins, e.g. 1000000000uakt or 10uakt,5uusdc.
        coins: String,
        #[command(flatten)]
        keyring: KeyringArgs,
    },
    /// Sign this node's MsgCreateValidator for the genesis of a new network (a gentx).
    ///
    /// KEY's account must be in genesis.json with at least AMOUNT of the bond denom. The
    /// validator signs blocks with this home's config/priv_validator_key.json; the memo tells
    /// other validators how to reach this node (`<node id>@<p2p address>`).
    #[command(after_help = "Example:\n  \
        kumo genesis gentx val1 100000000uakt --moniker val1 --keyring-backend test")]
    Gentx(Box<GentxArgs>),
    /// Put the gentxs of <home>/config/gentx (or --gentx-dir) into genesis.json, check the result
    /// and print the persistent_peers list for the nodes' config.
    CollectGentxs(CollectArgs),
    /// Check that a genesis file starts a chain: it loads, every gentx runs, and at least one
    /// validator is bonded.
    Validate(ValidateArgs),
}

#[derive(clap::Args, Debug)]
pub struct GentxArgs {
    /// Operator key in the keyring; its genesis account pays the self-delegation.
    pub key: String,
    /// Self-delegation in the bond denom, e.g. 100000000uakt (at least 1000000uakt: one unit of
    /// consensus power).
    pub amount: String,
    #[command(flatten)]
    pub validator: NewValidatorArgs,
    /// Host other validators dial to reach this node (default: the host of p2p_laddr in
    /// config.json).
    #[arg(long)]
    pub ip: Option<String>,
    /// Where to write the gentx (default: <home>/config/gentx/gentx-<node id>.json).
    #[arg(long, value_name = "FILE")]
    pub output_document: Option<PathBuf>,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    /// Folder holding the gentx files, *.json (default: <home>/config/gentx).
    #[arg(long, value_name = "DIR")]
    pub gentx_dir: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Genesis file (default: <home>/config/genesis.json).
    pub file: Option<PathBuf>,
}

pub fn run(g: &Globals, c: GenesisCmd) -> Result<()> {
    match c {
        GenesisCmd::AddAccount {
            address,
            coins,
            keyring,
        } => add_account(g, &address, &coins, &keyring),
        GenesisCmd::Gentx(a) => gentx(g, *a),
        GenesisCmd::CollectGentxs(a) => collect_gentxs(g, a),
        GenesisCmd::Validate(a) => validate(g, a),
    }
}

fn load_genesis(path: &Path) -> Result<Genesis> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read genesis {}: run `kumo init` first or give the right --home",
            path.display()
        )
    })?;
    Genesis::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn save_genesis(path: &Path, genesis: &Genesis) -> Result<()> {
    std::fs::write(path, genesis.to_json() + "\n")
        .with_context(|| format!("cannot write {}", path.display()))
}

fn add_account(g: &Globals, address: &str, coins: &str, keyring: &KeyringArgs) -> Result<()> {
    let home = Home::new(&g.home);
    let address = resolve_address(address, keyring, &g.home)?;
    let coins = parse_app_coins(coins)?;
    let path = home.genesis_file();
    let mut genesis = load_genesis(&path)?;
    genesis
        .add_account(&address, &coins)
        .map_err(anyhow::Error::msg)?;
    save_genesis(&path, &genesis)?;
    if g.output == Output::Text {
        println!(
            "Added {address} with {} to {}",
            kumo_app::coins::coins_to_string(&coins),
            path.display()
        );
    }
    Ok(())
}

fn parse_app_coins(s: &str) -> Result<Vec<kumo_app::coins::Coin>> {
    kumo_client::parse_coins(s)?
        .iter()
        .map(|c| kumo_app::coins::Coin::from_proto(c).map_err(|e| anyhow!(e.log)))
        .collect()
}

/// `host:port` other nodes dial: p2p_laddr, with its host replaced by `ip` if given. A wildcard
/// host cannot be dialled, so it needs `ip`.
fn peer_address(p2p_laddr: &str, ip: Option<&str>) -> Result<String> {
    let laddr = match p2p_laddr.split('/').collect::<Vec<_>>().as_slice() {
        // A libp2p multiaddr: /ip4/HOST/tcp/PORT (or ip6, dns).
        ["", "ip4" | "dns" | "dns4" | "dns6", host, "tcp", port] => format!("{host}:{port}"),
        ["", "ip6", host, "tcp", port] => format!("[{host}]:{port}"),
        _ => p2p_laddr.trim_start_matches("tcp://").to_string(),
    };
    let (host, port) = laddr.rsplit_once(':').with_context(|| {
        format!(
            "p2p_laddr {p2p_laddr:?} in config.json is neither host:port nor /ip4/HOST/tcp/PORT"
        )
    })?;
    let wildcard = |h: &str| matches!(h, "" | "0.0.0.0" | "::" | "[::]");
    match ip {
        Some(ip) if wildcard(ip) => {
            bail!("--ip {ip:?} cannot be dialled: give this node's address")
        }
        Some(ip) if ip.contains(':') && !ip.starts_with('[') => Ok(format!("[{ip}]:{port}")),
        Some(ip) => Ok(format!("{ip}:{port}")),
        None if wildcard(host) => bail!(
            "p2p_laddr {p2p_laddr:?} in config.json listens on every interface; pass --ip with \
             the address other validators should dial"
        ),
        None => Ok(laddr.clone()),
    }
}

fn gentx(g: &Globals, a: GentxArgs) -> Result<()> {
    let home = Home::new(&g.home);
    let genesis = load_genesis(&home.genesis_file())?;
    let kr = a.keyring.open(&g.home)?;
    let info = kr
        .show(&a.key)
        .with_context(|| format!("KEY must be a key name in the {} keyring", kr.backend()))?;
    let account = info.address.to_string();

    let amount = one_coin(&a.amount)?;
    let denom = genesis.bond_denom();
    if amount.denom != denom {
        bail!(
            "the self-delegation must be in the bond denom {denom} of this genesis, not {}",
            amount.denom
        );
    }
    let value: u128 = amount.amount.parse().context("amount")?;
    if value < POWER_REDUCTION {
        bail!(
            "{value}{denom} is less than one unit of consensus power ({POWER_REDUCTION}{denom}); \
             a validator with less is never bonded"
        );
    }
    let facts = genutil::signer_facts(&genesis, &account).with_context(|| {
        format!(
            "{}'s account {account} is not in genesis.json: add it first with \
             `kumo genesis add-account {} {value}{denom}`",
            a.key, a.key
        )
    })?;
    if facts.bond_denom_balance < value {
        bail!(
            "{}'s account {account} holds {}{denom} in genesis.json, less than the \
             self-delegation {value}{denom}: fund it with `kumo genesis add-account`",
            a.key,
            facts.bond_denom_balance
        );
    }

    let consensus = Ed25519Key::load(&home.validator_key_file()).with_context(|| {
        format!(
            "no consensus key in {}: run `kumo init` there first",
            g.home.display()
        )
    })?;
    let node_id = hex::encode(
        Ed25519Key::load(&home.node_key_file())
            .context("no node key: run `kumo init` first")?
            .address(),
    );
    let memo = format!(
        "{node_id}@{}",
        peer_address(&home.load_config()?.p2p_laddr, a.ip.as_deref())?
    );
    let msg = create_validator_msg(&info.address, consensus.public(), amount, a.validator)?;

    let passphrase = a.keyring.passphrase(false)?;
    let key = kr
        .signer(&a.key, passphrase.as_deref())
        .with_context(|| format!("cannot unlock key {:?}", a.key))?;
    let signed = TxBuilder::new(&genesis.chain_id, facts.account_number, facts.sequence)
        .msg(to_any(&msg))
        .memo(memo)
        .gas_limit(GENTX_GAS)
        .sign(&key);
    let gentx = GenTx::from_bytes(&signed.tx_bytes).map_err(anyhow::Error::msg)?;
    // Run it as InitChain will, so a gentx that cannot start the chain fails here, not later.
    let mut trial = genesis.clone();
    trial.app_state.genutil.gen_txs = vec![gentx.to_json()];
    genutil::validate_genesis(&trial)
        .map_err(|e| anyhow!("this gentx would not start the chain: {e}"))?;

    let path = a.output_document.unwrap_or_else(|| {
        home.config_dir()
            .join("gentx")
            .join(format!("gentx-{node_id}.json"))
    });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(&gentx.to_json())? + "\n";
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    match g.output {
        Output::Json => print_json(&json!({
            "file": path,
            "node_id": node_id,
            "validator": gentx.operator(),
            "moniker": gentx.moniker,
            "self_delegation": gentx.self_delegation.to_string(),
            "memo": gentx.memo(),
        })),
        Output::Text => {
            println!("{}", path.display());
            eprintln!(
                "Signed validator {} ({}) bonding {}. Send this file to whoever collects the \
                 gentxs: it goes into their <home>/config/gentx/ for \
                 `kumo genesis collect-gentxs`.",
                gentx.operator(),
                gentx.moniker,
                gentx.self_delegation
            );
        }
    }
    Ok(())
}

/// The `*.json` files of `dir`, by name.
fn gentx_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!(
            "cannot read the gentx folder {}: create gentxs with `kumo genesis gentx` or pass \
             --gentx-dir",
            dir.display()
        )
    })?;
    let mut files = Vec::new();
    for e in entries {
        let path = e?.path();
        if path.is_file() && path.extension().is_some_and(|x| x == "json") {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!(
            "no gentx (*.json) in {}: create one with `kumo genesis gentx`",
            dir.display()
        );
    }
    Ok(files)
}

fn total_power(set: &[ValidatorUpdate]) -> i64 {
    set.iter().map(|v| v.power).sum()
}

fn collect_gentxs(g: &Globals, a: CollectArgs) -> Result<()> {
    let home = Home::new(&g.home);
    let path = home.genesis_file();
    let mut genesis = load_genesis(&path)?;
    let dir = a
        .gentx_dir
        .unwrap_or_else(|| home.config_dir().join("gentx"));
    let denom = genesis.bond_denom();
    let mut gentxs = Vec::new();
    for file in gentx_files(&dir)? {
        let name = file.file_name().map_or_else(
            || file.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{name} is not JSON"))?;
        let gentx = GenTx::from_json(&v).map_err(|e| anyhow!("{name}: {e}"))?;
        let facts = genutil::signer_facts(&genesis, &gentx.account());
        gentx
            .check_signer(&genesis.chain_id, &denom, facts)
            .map_err(|e| anyhow!("{name}: {e}"))?;
        gentxs.push((name, gentx));
    }
    genutil::check_distinct(gentxs.iter().map(|(n, t)| (n.clone(), t)))
        .map_err(anyhow::Error::msg)?;
    // By operator, so every collector of the same files writes the same genesis.
    gentxs.sort_by_key(|(_, t)| t.signer);
    genesis.app_state.genutil.gen_txs = gentxs.iter().map(|(_, t)| t.to_json()).collect();
    let set = genutil::genesis_validators(&genesis)
        .map_err(|e| anyhow!("the collected genesis would not start the chain: {e}"))?;
    save_genesis(&path, &genesis)?;

    let peers = gentxs
        .iter()
        .map(|(_, t)| t.memo())
        .filter(|m| !m.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    match g.output {
        Output::Json => print_json(&json!({
            "genesis": path,
            "gen_txs": gentxs.len(),
            "validators": set.len(),
            "total_power": total_power(&set),
            "persistent_peers": peers,
        })),
        Output::Text => {
            println!(
                "Collected {} gentxs into {}: {} validators, total power {}",
                gentxs.len(),
                path.display(),
                set.len(),
                total_power(&set)
            );
            println!("persistent_peers: {peers}");
            eprintln!(
                "Next: give every validator this genesis.json and put the peers in its \
                 config.json persistent_peers."
            );
        }
    }
    Ok(())
}

fn validate(g: &Globals, a: ValidateArgs) -> Result<()> {
    let path = a.file.unwrap_or_else(|| Home::new(&g.home).genesis_file());
    let result = load_genesis(&path)
        .and_then(|genesis| genutil::genesis_validators(&genesis).map_err(anyhow::Error::msg));
    match (result, g.output) {
        (Ok(set), Output::Json) => print_json(&json!({
            "valid": true,
            "validators": set.len(),
            "total_power": total_power(&set),
        })),
        (Ok(set), Output::Text) => println!(
            "genesis is valid: {} validators, total power {}",
            set.len(),
            total_power(&set)
        ),
        (Err(e), output) => {
            if output == Output::Json {
                print_json(&json!({"valid": false, "error": format!("{e:#}")}));
            }
            bail!("{} is not a valid genesis: {e:#}", path.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::peer_address;

    #[test]
    fn peer_addresses_come_from_p2p_laddr_or_ip() {
        let p = |laddr: &str, ip: Option<&str>| peer_address(laddr, ip).map_err(|e| e.to_string());
        assert_eq!(p("127.0.0.1:26656", None).unwrap(), "127.0.0.1:26656");
        assert_eq!(p("tcp://10.0.0.5:26656", None).unwrap(), "10.0.0.5:26656");
        assert_eq!(
            p("/ip4/10.0.0.5/tcp/26656", None).unwrap(),
            "10.0.0.5:26656"
        );
        assert_eq!(
            p("0.0.0.0:26656", Some("203.0.113.7")).unwrap(),
            "203.0.113.7:26656"
        );
        assert_eq!(
            p("0.0.0.0:26656", Some("2001:db8::1")).unwrap(),
            "[2001:db8::1]:26656"
        );
        assert!(p("0.0.0.0:26656", None).unwrap_err().contains("--ip"));
        assert!(p("127.0.0.1:26656", Some("0.0.0.0")).is_err());
    }
}
