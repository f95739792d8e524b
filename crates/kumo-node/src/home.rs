//! The node's home directory: `config/{config.json, genesis.json, priv_validator_key.json,
//! node_key.json}` and `data/` (the state store). Key files are CometBFT-shaped and mode 0600.

use anyhow::{bail, Context, Result};
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub chain_id: String,
    pub moniker: String,
    /// Milliseconds between blocks.
    pub block_time_ms: u64,
    pub rpc_laddr: String,
    pub grpc_laddr: String,
    pub api_laddr: String,
    /// e.g. "0.025uakt"; several separated by commas.
    pub min_gas_prices: String,
    pub mempool_max_txs: usize,
    pub max_tx_bytes: usize,
    /// Heights of state kept for historical queries (0 = all).
    pub state_retention: u64,
    /// Every this many writes of a state key are also listed by key, so a query at a past
    /// height follows at most this many undo records (lower: faster past queries, costlier
    /// blocks). At least 1; configs from before the field get the default.
    #[serde(default = "default_state_checkpoint_every")]
    pub state_checkpoint_every: u32,
    /// Event attributes the tx index keeps, as `type.key` (e.g. `message.sender`), like the
    /// Cosmos SDK's `index-events`; empty (the default) keeps every attribute. Results mark the
    /// others `index: false`, and `tx_search` cannot find txs by them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub index_events: Vec<String>,
    /// Consensus p2p listen address (Malachite's libp2p swarm, TCP). Txs are gossiped on a
    /// swarm of our own two ports above it (`p2p_laddr` port + 2).
    #[serde(default = "default_p2p_laddr")]
    pub p2p_laddr: String,
    /// Peers to keep connected, `host:port` of their `p2p_laddr`, optionally prefixed with the
    /// CometBFT-style node id (`<40 hex>@host:port`).
    #[serde(default)]
    pub persistent_peers: Vec<String>,
    /// How long a validator waits for the round's proposal before it prevotes nil (CometBFT's
    /// `timeout_propose`; each further round waits 500 ms more).
    #[serde(default = "default_timeout_propose_ms")]
    pub timeout_propose_ms: u64,
}

fn default_timeout_propose_ms() -> u64 {
    3000
}

fn default_p2p_laddr() -> String {
    "127.0.0.1:26656".into()
}

impl NodeConfig {
    pub fn new(chain_id: &str, moniker: &str) -> Self {
        NodeConfig {
            chain_id: chain_id.into(),
            moniker: moniker.into(),
            block_time_ms: 1000,
            rpc_laddr: "127.0.0.1:26657".into(),
            grpc_laddr: "127.0.0.1:9090".into(),
            api_laddr: "127.0.0.1:1317".into(),
            min_gas_prices: "0.025uakt".into(),
            mempool_max_txs: 20_000,
            max_tx_bytes: kumo_app::app::DEFAULT_MAX_TX_BYTES,
            state_retention: 100_000,
            state_checkpoint_every: default_state_checkpoint_every(),
            index_events: Vec::new(),
            p2p_laddr: default_p2p_laddr(),
            persistent_peers: Vec::new(),
            timeout_propose_ms: default_timeout_propose_ms(),
        }
    }

    pub fn block_time(&self) -> Duration {
        Duration::from_millis(self.block_time_ms)
    }

    pub fn timeout_propose(&self) -> Duration {
        Duration::from_millis(self.timeout_propose_ms)
    }
}

fn default_state_checkpoint_every() -> u32 {
    kumo_store::StoreOptions::default().checkpoint_every
}

/// Parses `1s`, `500ms`, `2.5s`, `1m`.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len()),
    );
    let ms_per_unit: u64 = match unit {
        "ms" => 1,
        "s" | "" => 1000,
        "m" => 60_000,
        _ => bail!("unknown time unit {unit:?} in {s:?}: use ms, s or m (e.g. 500ms, 1s)"),
    };
    let value: kumo_proto::math::Dec = num
        .parse()
        .map_err(|e| anyhow::anyhow!("bad duration {s:?}: {e}"))?;
    let ms = value.mul_floor(ms_per_unit as u128).unwrap_or(u128::MAX);
    if ms == 0 {
        bail!("duration {s:?} is too short");
    }
    Ok(Duration::from_millis(ms as u64))
}

pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn new(root: &Path) -> Home {
        Home {
            root: root.to_path_buf(),
        }
    }
    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }
    pub fn config_file(&self) -> PathBuf {
        self.config_dir().join("config.json")
    }
    pub fn genesis_file(&self) -> PathBuf {
        self.config_dir().join("genesis.json")
    }
    pub fn validator_key_file(&self) -> PathBuf {
        self.config_dir().join("priv_validator_key.json")
    }
    pub fn node_key_file(&self) -> PathBuf {
        self.config_dir().join("node_key.json")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn store_file(&self) -> PathBuf {
        self.data_dir().join("kumo.redb")
    }

    /// The tx index (derived from the stored blocks; safe to delete while the node is down).
    pub fn index_file(&self) -> PathBuf {
        self.data_dir().join("tx_index.redb")
    }

    pub fn is_initialized(&self) -> bool {
        self.config_file().exists() && self.genesis_file().exists()
    }

    pub fn load_config(&self) -> Result<NodeConfig> {
        let path = self.config_file();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}: run `kumo init` first", path.display()))?;
        let cfg: NodeConfig = serde_json::from_str(&text)
            .with_context(|| format!("invalid node config {}", path.display()))?;
        if let Some(bad) = cfg.index_events.iter().find(|e| {
            e.split_once('.')
                .is_none_or(|(kind, key)| kind.is_empty() || key.is_empty())
        }) {
            bail!(
                "invalid node config {}: index_events entry {bad:?} is not `type.key` (e.g. \"message.sender\")",
                path.display()
            );
        }
        if cfg.state_checkpoint_every == 0 {
            bail!(
                "invalid node config {}: state_checkpoint_every must be at least 1 (default {})",
                path.display(),
                default_state_checkpoint_every()
            );
        }
        if cfg.timeout_propose_ms == 0 {
            bail!(
                "invalid node config {}: timeout_propose_ms must be at least 1 (default {})",
                path.display(),
                default_timeout_propose_ms()
            );
        }
        Ok(cfg)
    }

    /// Writes the config atomically (a reader never sees a half-written file).
    pub fn save_config(&self, cfg: &NodeConfig) -> Result<()> {
        std::fs::create_dir_all(self.config_dir())?;
        let tmp = self.config_dir().join("config.json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(cfg)? + "\n")?;
        std::fs::rename(&tmp, self.config_file())?;
        Ok(())
    }

    pub fn load_genesis_text(&self) -> Result<String> {
        let path = self.genesis_file();
        std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read genesis {}", path.display()))
    }
}

/// An ed25519 key in CometBFT's `priv_validator_key.json` / `node_key.json` shape.
#[derive(Clone)]
pub struct Ed25519Key {
    pub signing: SigningKey,
}

#[derive(Serialize, Deserialize)]
struct KeyJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub_key: Option<TypedValue>,
    priv_key: TypedValue,
}

#[derive(Serialize, Deserialize)]
struct TypedValue {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

impl Ed25519Key {
    pub fn generate() -> Self {
        Ed25519Key {
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// CometBFT address: the first 20 bytes of sha256(public key).
    pub fn address(&self) -> [u8; 20] {
        let h = Sha256::digest(self.public());
        h[..20].try_into().expect("20 bytes")
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.signing.sign(msg).to_bytes().to_vec()
    }

    pub fn save(&self, path: &Path, validator: bool) -> Result<()> {
        let mut full = self.signing.to_bytes().to_vec();
        full.extend_from_slice(&self.public());
        let json = KeyJson {
            address: validator.then(|| hex::encode_upper(self.address())),
            pub_key: validator.then(|| TypedValue {
                kind: "tendermint/PubKeyEd25519".into(),
                value: B64.encode(self.public()),
            }),
            priv_key: TypedValue {
                kind: "tendermint/PrivKeyEd25519".into(),
                value: B64.encode(full),
            },
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_private(path, &(serde_json::to_string_pretty(&json)? + "\n"))
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read key {}", path.display()))?;
        let json: KeyJson = serde_json::from_str(&text)
            .with_context(|| format!("invalid key file {}", path.display()))?;
        let bytes = B64
            .decode(&json.priv_key.value)
            .context("key file: priv_key is not base64")?;
        if bytes.len() != 64 {
            bail!(
                "key file {}: priv_key must be 64 bytes, got {}",
                path.display(),
                bytes.len()
            );
        }
        let signing = SigningKey::from_bytes(bytes[..32].try_into().expect("32 bytes"));
        if signing.verifying_key().to_bytes()[..] != bytes[32..] {
            bail!(
                "key file {}: public half does not match the private key",
                path.display()
            );
        }
        Ok(Ed25519Key { signing })
    }
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A home in a temp dir with a default config saved, and that config's text.
    fn home_with_saved_config() -> (tempfile::TempDir, Home, NodeConfig, String) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let cfg = NodeConfig::new("c", "m");
        home.save_config(&cfg).unwrap();
        let text = std::fs::read_to_string(home.config_file()).unwrap();
        (dir, home, cfg, text)
    }

    #[test]
    fn index_events_are_optional_and_checked() {
        let (_dir, home, mut cfg, text) = home_with_saved_config();
        assert!(
            !text.contains("index_events"),
            "an empty list is not written"
        );
        assert!(home.load_config().unwrap().index_events.is_empty());
        cfg.index_events = vec!["message.sender".into(), "akash.v1.EventX.id".into()];
        home.save_config(&cfg).unwrap();
        assert_eq!(home.load_config().unwrap().index_events, cfg.index_events);
        for bad in ["sender", ".sender", "message."] {
            cfg.index_events = vec![bad.into()];
            home.save_config(&cfg).unwrap();
            let err = home.load_config().unwrap_err().to_string();
            assert!(err.contains("is not `type.key`"), "{bad}: {err}");
        }
    }

    #[test]
    fn state_checkpoint_every_has_a_default_and_is_checked() {
        let (_dir, home, mut cfg, text) = home_with_saved_config();
        // A config written before the field existed.
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json.as_object_mut()
            .unwrap()
            .remove("state_checkpoint_every")
            .expect("written by save_config");
        std::fs::write(home.config_file(), json.to_string()).unwrap();
        assert_eq!(home.load_config().unwrap().state_checkpoint_every, 32);
        cfg.state_checkpoint_every = 0;
        home.save_config(&cfg).unwrap();
        let err = home.load_config().unwrap_err().to_string();
        assert!(
            err.contains("state_checkpoint_every must be at least 1"),
            "{err}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("0s").is_err());
    }

    #[test]
    fn key_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let k = Ed25519Key::generate();
        let p = dir.path().join("k.json");
        k.save(&p, true).unwrap();
        let l = Ed25519Key::load(&p).unwrap();
        assert_eq!(k.public(), l.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
