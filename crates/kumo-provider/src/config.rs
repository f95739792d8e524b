//! The daemon's TOML configuration (`kumo provider run --config FILE`).
//!
//! Defaults follow the Akash provider's flags (`../shared/spec/akash-offchain.md` §2.2). Every
//! value is checked when the file is loaded; an error names the field (`pricing.scale.cpu`) and
//! says what a valid value looks like, so a provider never starts half-configured.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::math::Dec;
use serde::Deserialize;

/// The Akash default bid deposit (`DefaultBidMinDeposit`).
pub const DEFAULT_BID_DEPOSIT: &str = "500000uakt";
/// Most storage volumes one resource unit may ask for (`MaxGroupVolumes`).
pub const DEFAULT_MAX_GROUP_VOLUMES: usize = 6;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The provider's account key.
    pub key: KeyConfig,
    #[serde(default)]
    pub chain: ChainConfig,
    /// The gateway URI published on chain (`https://provider.example.com:8443`).
    pub host_uri: String,
    /// Where the daemon keeps its own state (last processed height, ...).
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// Injected as `AKASH_CLUSTER_PUBLIC_HOSTNAME`; the host of forwarded ports.
    #[serde(default)]
    pub cluster_public_hostname: String,
    #[serde(default)]
    pub bid: BidConfig,
    #[serde(default)]
    pub pricing: PricingConfig,
    #[serde(default)]
    pub overcommit: Overcommit,
    #[serde(default)]
    pub inventory: InventoryConfig,
    #[serde(default)]
    pub gateway: GatewayConfig,
    #[serde(default)]
    pub ingress: IngressConfig,
    #[serde(default)]
    pub runtime: RuntimeSection,
    #[serde(default)]
    pub money: MoneyConfig,
    #[serde(default)]
    pub monitor: MonitorConfig,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from("provider-state")
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Key name in the keyring.
    pub name: String,
    /// The home holding `keyring-<backend>/` (as `kumo --home`).
    #[serde(default = "default_keyring_dir")]
    pub keyring_dir: PathBuf,
    /// `file` (passphrase from `KUMO_KEYRING_PASSPHRASE`) or `test`.
    #[serde(default = "default_backend")]
    pub keyring_backend: String,
}

fn default_keyring_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".kumo")
}

fn default_backend() -> String {
    "file".into()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// CometBFT RPC (its `/websocket` is used for new blocks).
    pub node: String,
    /// Empty: read from the node.
    pub chain_id: String,
    /// Fee per gas unit, e.g. `0.025uakt`. Ignored when `fees` is set.
    pub gas_prices: String,
    /// Multiplier on simulated gas.
    pub gas_adjustment: String,
    /// Fixed fee per tx, e.g. `5000uakt` (empty: from gas prices). Every tx is simulated
    /// anyway; see `raise_low_fees` for when this is below what a tx needs.
    pub fees: String,
    /// How long to wait for a broadcast tx to be included.
    #[serde(with = "duration_str")]
    pub tx_timeout: Duration,

    // ---- fixed fees below what a tx needs (issue 15) ----
    /// With a fixed `fees`: every tx is still simulated, and when `gas limit × gas_prices` (the
    /// gas limit being simulated gas × `gas_adjustment`) comes to more than `fees`, `true`
    /// (default) pays that needed amount instead and logs a warning with both amounts, so that
    /// no tx, above all the withdrawal that settles and closes an overdrawn lease, is stuck on
    /// "insufficient fees"; `false` sends `fees` anyway and logs a warning with the needed
    /// amount (the node may accept it if its minimum gas price is below `gas_prices`). `fees`
    /// is paid as it is whenever it covers the need.
    pub raise_low_fees: bool,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            node: "http://127.0.0.1:26657".into(),
            chain_id: String::new(),
            gas_prices: "0.025uakt".into(),
            gas_adjustment: "1.4".into(),
            fees: String::new(),
            tx_timeout: Duration::from_secs(30),
            raise_low_fees: true,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BidConfig {
    /// Attributes this provider requires every order to ask for (Akash `Config.Attributes`):
    /// an order whose placement lacks one of them gets no bid.
    pub attributes: BTreeMap<String, String>,
    /// Deposit locked per bid.
    pub deposit: String,
    /// Close an own bid that did not become a lease after this long.
    #[serde(with = "duration_str")]
    pub timeout: Duration,
    /// Close a won lease whose tenant sent no manifest within this long.
    #[serde(with = "duration_str")]
    pub manifest_timeout: Duration,
    /// Most storage volumes per resource unit.
    pub max_group_volumes: usize,
    /// Denoms the provider accepts payment in.
    pub denoms: Vec<String>,
}

impl Default for BidConfig {
    fn default() -> Self {
        BidConfig {
            attributes: BTreeMap::new(),
            deposit: DEFAULT_BID_DEPOSIT.into(),
            timeout: Duration::from_secs(300),
            manifest_timeout: Duration::from_secs(300),
            max_group_volumes: DEFAULT_MAX_GROUP_VOLUMES,
            denoms: vec!["uakt".into(), "uact".into()],
        }
    }
}

impl BidConfig {
    pub fn attribute_list(&self) -> Vec<Attribute> {
        self.attributes
            .iter()
            .map(|(k, v)| Attribute {
                key: k.clone(),
                value: v.clone(),
            })
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PriceStrategy {
    #[default]
    Scale,
    Script,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PricingConfig {
    pub strategy: PriceStrategy,
    pub scale: ScaleConfig,
    pub script: ScriptConfig,
}

/// Prices per block in the order's denom (decimals, e.g. `"0.25"`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScaleConfig {
    /// Per milli-CPU.
    #[serde(with = "dec_str")]
    pub cpu: Dec,
    /// Per MiB of memory.
    #[serde(with = "dec_str")]
    pub memory: Dec,
    /// Per MiB by storage class; `ephemeral` prices non-persistent volumes.
    #[serde(with = "dec_map")]
    pub storage: BTreeMap<String, Dec>,
    /// Per endpoint.
    #[serde(with = "dec_str")]
    pub endpoint: Dec,
    /// Per leased IP.
    #[serde(with = "dec_str")]
    pub ip: Dec,
    /// Per GPU by model (`a100`), `*` for any other model.
    #[serde(with = "dec_map")]
    pub gpu: BTreeMap<String, Dec>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScriptConfig {
    pub path: PathBuf,
    #[serde(with = "duration_str")]
    pub timeout: Duration,
    /// Most scripts running at once.
    pub process_limit: usize,
}

impl Default for ScriptConfig {
    fn default() -> Self {
        ScriptConfig {
            path: PathBuf::new(),
            timeout: Duration::from_secs(10),
            process_limit: 32,
        }
    }
}

/// Percentages by which requests may exceed capacity (GPUs never overcommit).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Overcommit {
    pub cpu: u32,
    pub memory: u32,
    pub storage: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InventoryMode {
    /// CPU, memory, ephemeral storage and GPUs read from the Docker host (and `nvidia-smi`).
    #[default]
    Auto,
    /// Everything from this file.
    Declared,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InventoryConfig {
    pub mode: InventoryMode,
    /// Declared: CPU cores (`"16"`, `"7.5"`).
    pub cpu: String,
    /// Declared: memory (`"64Gi"`).
    pub memory: String,
    /// Declared: ephemeral storage (`"500Gi"`).
    pub ephemeral_storage: String,
    /// Persistent storage classes and their pool sizes (both modes).
    pub storage_classes: Vec<StorageClassConfig>,
    /// Declared GPUs.
    pub gpus: Vec<GpuConfig>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageClassConfig {
    /// `beta1`, `beta2`, `beta3` (or `default`).
    pub class: String,
    pub size: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuConfig {
    pub vendor: String,
    pub model: String,
    /// e.g. `80Gi`.
    #[serde(default)]
    pub ram: String,
    /// `pcie` or `sxm`.
    #[serde(default)]
    pub interface: String,
    pub count: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    pub listen: String,
    /// The gateway's TLS certificate + key (`<address>.pem`, as `kumo tx cert generate server`
    /// writes it). Empty: `<state_dir>/<address>.pem`, generated at first start if absent (it must
    /// then be published with `kumo tx cert publish server`).
    pub cert_file: PathBuf,
    /// DNS names for a certificate generated at first start.
    pub domains: Vec<String>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: "0.0.0.0:8443".into(),
            cert_file: PathBuf::new(),
            domains: vec![],
        }
    }
}

/// Where leases run: the Docker host.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeSection {
    /// dockerd endpoint (`unix:///var/run/docker.sock`, `tcp://host:2375`); empty: the local
    /// default (`DOCKER_HOST` or the socket).
    pub docker: String,
    /// Host address that forwarded (non-HTTP) ports bind to.
    pub forward_host_ip: std::net::IpAddr,
    /// Serve GPU requests through the NVIDIA container runtime.
    pub gpu: bool,
    /// Pull images that are not on the host (off: such manifests are refused).
    pub pull_images: bool,

    // --- Limits a lease cannot escape (issue 15) ---
    /// Most processes (threads included) one container may run (`HostConfig.PidsLimit`).
    /// 0: derived from the container's memory, one per MiB, at least 64 and at most 4096.
    pub pids_limit: u32,
    /// Hold storage to its declared size with the storage driver's quotas where dockerd has
    /// them (overlay2 on xfs with pquota, btrfs, zfs, devicemapper); elsewhere, or when false,
    /// usage is measured every `storage_check_interval` and a replica over its size is evicted.
    pub storage_quota: bool,
    /// How often storage usage is measured where no quota holds it (`"10s"`; at least 1s).
    #[serde(with = "duration_str")]
    pub storage_check_interval: Duration,
}

impl Default for RuntimeSection {
    fn default() -> Self {
        RuntimeSection {
            docker: String::new(),
            forward_host_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            gpu: false,
            pull_images: true,
            pids_limit: 0,
            storage_quota: true,
            storage_check_interval: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngressConfig {
    pub listen: String,
    /// Generated hostnames are `<id>.<domain>`.
    pub domain: String,
}

impl Default for IngressConfig {
    fn default() -> Self {
        IngressConfig {
            listen: "0.0.0.0:80".into(),
            domain: String::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MoneyConfig {
    /// Withdraw every lease's earnings this often.
    #[serde(with = "duration_str")]
    pub withdrawal_period: Duration,
    /// Longest wait between two checks of a lease's escrow (at least 1m).
    #[serde(with = "duration_str")]
    pub funds_monitor_interval: Duration,
}

impl Default for MoneyConfig {
    fn default() -> Self {
        MoneyConfig {
            withdrawal_period: Duration::from_secs(24 * 3600),
            funds_monitor_interval: Duration::from_secs(600),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorConfig {
    /// Consecutive failed health checks before the lease is closed (reason unstable).
    pub max_retries: u32,
    #[serde(with = "duration_str")]
    pub healthcheck_period: Duration,
    #[serde(with = "duration_str")]
    pub retry_period: Duration,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            max_retries: 40,
            healthcheck_period: Duration::from_secs(10),
            retry_period: Duration::from_secs(4),
        }
    }
}

/// A configuration that cannot be used, naming the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the provider config {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("provider config {path}: {message}")]
    Parse { path: String, message: String },
    #[error("provider config: `{field}` {message}")]
    Field { field: String, message: String },
}

fn bad(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Field {
        field: field.to_string(),
        message: message.into(),
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config = Config::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })?;
        // Relative paths are relative to the config file, not to where the daemon started.
        let base = path.parent().unwrap_or(Path::new("."));
        config.key.keyring_dir = expand_home(&config.key.keyring_dir);
        if config.state_dir.is_relative() {
            config.state_dir = base.join(&config.state_dir);
        }
        if !config.pricing.script.path.as_os_str().is_empty()
            && config.pricing.script.path.is_relative()
        {
            config.pricing.script.path = base.join(&config.pricing.script.path);
        }
        Ok(config)
    }

    /// Parses and checks a config text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: "<text>".into(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.key.name.trim().is_empty() {
            return Err(bad(
                "key.name",
                "is empty; give the provider key's name in the keyring",
            ));
        }
        if !matches!(self.key.keyring_backend.as_str(), "file" | "test") {
            return Err(bad(
                "key.keyring_backend",
                format!(
                    "is {:?}; use \"file\" or \"test\"",
                    self.key.keyring_backend
                ),
            ));
        }
        if !(self.chain.node.starts_with("http://") || self.chain.node.starts_with("https://")) {
            return Err(bad(
                "chain.node",
                format!(
                    "is {:?}; expected an http URL such as http://127.0.0.1:26657",
                    self.chain.node
                ),
            ));
        }
        if self.chain.fees.is_empty() {
            self.chain
                .gas_prices
                .parse::<kumo_client::GasPrice>()
                .map_err(|e| bad("chain.gas_prices", format!("is invalid: {e}")))?;
        } else {
            kumo_client::parse_coins(&self.chain.fees)
                .map_err(|e| bad("chain.fees", format!("is invalid: {e}")))?;
        }
        self.chain
            .gas_adjustment
            .parse::<Dec>()
            .map_err(|e| bad("chain.gas_adjustment", format!("is invalid: {e}")))?;
        check_host_uri(&self.host_uri)?;
        for key in self.bid.attributes.keys() {
            if !kumo_akash::attributes::key_is_valid(key, false) {
                return Err(bad(
                    &format!("bid.attributes.{key}"),
                    "is not a valid attribute key (letters, digits, _ / . -, starting with a letter)",
                ));
            }
        }
        let deposit = kumo_client::parse_coin(&self.bid.deposit)
            .map_err(|e| bad("bid.deposit", format!("is invalid: {e}; e.g. 500000uakt")))?;
        if deposit.amount == "0" {
            return Err(bad("bid.deposit", "must be positive, e.g. 500000uakt"));
        }
        if self.bid.timeout.is_zero() {
            return Err(bad("bid.timeout", "must be positive, e.g. \"5m\""));
        }
        if self.bid.manifest_timeout.is_zero() {
            return Err(bad("bid.manifest_timeout", "must be positive, e.g. \"5m\""));
        }
        if self.bid.denoms.is_empty() {
            return Err(bad(
                "bid.denoms",
                "is empty; list the denoms you accept, e.g. [\"uakt\"]",
            ));
        }
        for d in &self.bid.denoms {
            kumo_proto::math::validate_denom(d).map_err(|e| bad("bid.denoms", e))?;
        }
        match self.pricing.strategy {
            PriceStrategy::Scale => {
                let s = &self.pricing.scale;
                let all_zero = s.cpu.is_zero()
                    && s.memory.is_zero()
                    && s.storage.values().all(|d| d.is_zero())
                    && s.endpoint.is_zero()
                    && s.ip.is_zero()
                    && s.gpu.values().all(|d| d.is_zero());
                if all_zero {
                    return Err(bad(
                        "pricing.scale",
                        "sets no price: every bid would be 0; set at least cpu and memory",
                    ));
                }
            }
            PriceStrategy::Script => {
                let p = &self.pricing.script.path;
                if p.as_os_str().is_empty() {
                    return Err(bad(
                        "pricing.script.path",
                        "is empty but pricing.strategy is \"script\"; give the script's path",
                    ));
                }
                if self.pricing.script.process_limit == 0 {
                    return Err(bad("pricing.script.process_limit", "must be at least 1"));
                }
                if self.pricing.script.timeout.is_zero() {
                    return Err(bad(
                        "pricing.script.timeout",
                        "must be positive, e.g. \"10s\"",
                    ));
                }
            }
        }
        for (what, pct) in [
            ("overcommit.cpu", self.overcommit.cpu),
            ("overcommit.memory", self.overcommit.memory),
            ("overcommit.storage", self.overcommit.storage),
        ] {
            if pct > 1000 {
                return Err(bad(what, format!("is {pct}%; at most 1000")));
            }
        }
        let inv = &self.inventory;
        if inv.mode == InventoryMode::Declared {
            parse_cpu_cores(&inv.cpu).map_err(|e| bad("inventory.cpu", e))?;
            kumo_sdl::units::parse_size(&inv.memory).map_err(|e| bad("inventory.memory", e))?;
            kumo_sdl::units::parse_size(&inv.ephemeral_storage)
                .map_err(|e| bad("inventory.ephemeral_storage", e))?;
        } else if !(inv.cpu.is_empty() && inv.memory.is_empty() && inv.ephemeral_storage.is_empty())
        {
            return Err(bad(
                "inventory.mode",
                "is \"auto\" but cpu/memory/ephemeral_storage are set; use mode = \"declared\" to declare them",
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in inv.storage_classes.iter().enumerate() {
            let field = format!("inventory.storage_classes[{i}]");
            if matches!(c.class.as_str(), "ephemeral" | "ram" | "") {
                return Err(bad(
                    &format!("{field}.class"),
                    format!(
                        "is {:?}; persistent classes are beta1, beta2, beta3 or default",
                        c.class
                    ),
                ));
            }
            if !seen.insert(c.class.clone()) {
                return Err(bad(
                    &format!("{field}.class"),
                    format!("{:?} is listed twice", c.class),
                ));
            }
            kumo_sdl::units::parse_size(&c.size).map_err(|e| bad(&format!("{field}.size"), e))?;
        }
        for (i, g) in inv.gpus.iter().enumerate() {
            let field = format!("inventory.gpus[{i}]");
            if inv.mode == InventoryMode::Auto {
                return Err(bad(
                    &field,
                    "GPUs are read from nvidia-smi in mode \"auto\"; use mode = \"declared\" to list them",
                ));
            }
            if g.vendor.is_empty() || g.model.is_empty() {
                return Err(bad(
                    &field,
                    "needs vendor and model, e.g. vendor = \"nvidia\", model = \"a100\"",
                ));
            }
            if g.count == 0 {
                return Err(bad(&format!("{field}.count"), "must be at least 1"));
            }
        }
        check_listen("gateway.listen", &self.gateway.listen)?;
        check_listen("ingress.listen", &self.ingress.listen)?;
        if self.money.withdrawal_period.is_zero() {
            return Err(bad(
                "money.withdrawal_period",
                "must be positive, e.g. \"24h\"",
            ));
        }
        if self.money.funds_monitor_interval < Duration::from_secs(60) {
            return Err(bad(
                "money.funds_monitor_interval",
                "must be at least \"1m\"",
            ));
        }
        if self.monitor.max_retries == 0 {
            return Err(bad("monitor.max_retries", "must be at least 1"));
        }
        Ok(())
    }

    /// The keyring backend.
    pub fn keyring_backend(&self) -> kumo_crypto::keyring::Backend {
        self.key
            .keyring_backend
            .parse()
            .unwrap_or(kumo_crypto::keyring::Backend::File)
    }

    /// What the daemon does when a fixed fee is below what a tx needs (`chain.raise_low_fees`).
    pub fn fee_policy(&self) -> crate::chain::FeePolicy {
        let mut p = crate::chain::FeePolicy {
            raise_low_fees: self.chain.raise_low_fees,
            ..Default::default()
        };
        if let Ok(price) = self.chain.gas_prices.parse() {
            p.gas_price = price;
        }
        p
    }

    /// Fee options of the daemon's transactions.
    pub fn fee_opts(&self) -> kumo_client::FeeOpts {
        let fees = if self.chain.fees.is_empty() {
            None
        } else {
            kumo_client::parse_coins(&self.chain.fees).ok()
        };
        kumo_client::FeeOpts {
            gas: kumo_client::Gas::Auto {
                adjustment: self.chain.gas_adjustment.parse().unwrap_or_default(),
            },
            gas_prices: if fees.is_some() {
                None
            } else {
                self.chain.gas_prices.parse().ok()
            },
            fees,
            memo: String::new(),
        }
    }
}

/// `~/x` → `$HOME/x` (TOML has no shell to do it).
fn expand_home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_path_buf(),
    }
}

fn check_host_uri(uri: &str) -> Result<(), ConfigError> {
    let rest = uri.strip_prefix("https://").ok_or_else(|| {
        bad(
            "host_uri",
            format!(
                "is {uri:?}; it must be an https URL such as https://provider.example.com:8443"
            ),
        )
    })?;
    if rest.is_empty() || rest.contains('/') {
        return Err(bad(
            "host_uri",
            format!(
                "is {uri:?}; it needs a host and no path, e.g. https://provider.example.com:8443"
            ),
        ));
    }
    Ok(())
}

fn check_listen(field: &str, addr: &str) -> Result<(), ConfigError> {
    addr.parse::<std::net::SocketAddr>()
        .map(|_| ())
        .map_err(|_| {
            bad(
                field,
                format!("is {addr:?}; expected an address:port such as 0.0.0.0:8443"),
            )
        })
}

/// CPU cores (`"16"`, `"7.5"`) or millicores (`"7500m"`) into millicores.
pub fn parse_cpu_cores(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if let Some(m) = t.strip_suffix('m') {
        return m.parse::<u64>().map_err(|_| {
            format!("is {s:?}; expected cores such as \"16\" or millicores \"7500m\"")
        });
    }
    let d: Dec = t
        .parse()
        .map_err(|_| format!("is {s:?}; expected cores such as \"16\" or millicores \"7500m\""))?;
    d.mul_floor(1000)
        .and_then(|m| u64::try_from(m).ok())
        .filter(|m| *m > 0)
        .ok_or_else(|| format!("is {s:?}; expected a positive number of cores"))
}

/// `"90s"`, `"5m"`, `"24h"`, `"1h30m"`, `"2d"`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let hint =
        || format!("{s:?} is not a duration; write e.g. \"30s\", \"5m\", \"24h\" or \"1h30m\"");
    let t = s.trim();
    if t.is_empty() {
        return Err(hint());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(hint()),
        };
        let n: u64 = num.parse().map_err(|_| hint())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(hint)?;
        num.clear();
    }
    if !num.is_empty() {
        return Err(hint());
    }
    Ok(Duration::from_secs(total))
}

mod duration_str {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_duration(&s).map_err(serde::de::Error::custom)
    }
}

mod dec_str {
    use kumo_proto::math::Dec;
    use serde::{Deserialize, Deserializer};

    /// A decimal written as a TOML string (`"0.25"`) or integer; never a float (rounding).
    #[derive(Deserialize)]
    #[serde(untagged)]
    pub(super) enum Raw {
        Text(String),
        Int(u64),
    }

    pub(super) fn to_dec(raw: Raw) -> Result<Dec, String> {
        match raw {
            Raw::Text(s) => s.parse::<Dec>(),
            Raw::Int(n) => Ok(Dec::from_integer(n)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Dec, D::Error> {
        let raw = Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "expected a decimal price as a string such as \"0.25\" (floats are not accepted)",
            )
        })?;
        to_dec(raw).map_err(serde::de::Error::custom)
    }
}

mod dec_map {
    use kumo_proto::math::Dec;
    use serde::{Deserialize, Deserializer};
    use std::collections::BTreeMap;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Dec>, D::Error> {
        let raw = BTreeMap::<String, super::dec_str::Raw>::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "expected a table of decimal prices as strings, e.g. { ephemeral = \"0.001\" }",
            )
        })?;
        raw.into_iter()
            .map(|(k, v)| {
                super::dec_str::to_dec(v)
                    .map(|d| (k.clone(), d))
                    .map_err(|e| serde::de::Error::custom(format!("{k}: {e}")))
            })
            .collect()
    }
}

/// `kumo provider init-config`: a commented example with every default spelled out.
pub const EXAMPLE: &str = r#"# kumo provider daemon configuration (`kumo provider run --config provider.toml`).
# Durations: "30s", "5m", "24h", "1h30m". Prices are decimal strings, per block, in the order's denom.

# The gateway URI published on chain with `kumo tx provider create`.
host_uri = "https://provider.example.com:8443"
# Where the daemon keeps its state (last processed height); relative to this file.
state_dir = "provider-state"
# Host name tenants reach forwarded ports on (AKASH_CLUSTER_PUBLIC_HOSTNAME).
cluster_public_hostname = "provider.example.com"

[key]
name = "provider"               # key name in the keyring
keyring_dir = "~/.kumo"         # the home holding keyring-<backend>/ (kumo --home)
keyring_backend = "file"        # "file" (passphrase from KUMO_KEYRING_PASSPHRASE) or "test"

[chain]
node = "http://127.0.0.1:26657"
chain_id = ""                   # empty: read from the node
gas_prices = "0.025uakt"
gas_adjustment = "1.4"
fees = ""                       # a fixed fee per tx instead of gas prices, e.g. "5000uakt"
raise_low_fees = true           # a fixed fee below gas × gas_prices is raised (false: warn only)
tx_timeout = "30s"

[bid]
deposit = "500000uakt"          # locked per bid, refunded when the bid closes
timeout = "5m"                  # close an own bid that did not become a lease
manifest_timeout = "5m"         # close a won lease that got no manifest
max_group_volumes = 6           # most storage volumes per resource unit
denoms = ["uakt", "uact"]       # payment denoms accepted
# Attributes every order must ask for to get a bid from this provider:
# attributes = { tier = "community" }

[pricing]
strategy = "scale"              # "scale" or "script"

[pricing.scale]
cpu = "0.01"                    # per milli-CPU
memory = "0.002"                # per MiB
endpoint = "1"                  # per endpoint
ip = "50"                       # per leased IP
storage = { ephemeral = "0.0002", beta2 = "0.0005", beta3 = "0.001" }   # per MiB by class
gpu = { a100 = "200", "*" = "150" }                                      # per GPU by model

[pricing.script]
path = ""                       # executable: JSON order on stdin, one decimal price on stdout
timeout = "10s"
process_limit = 32

[overcommit]                    # percent; GPUs are never overcommitted
cpu = 0
memory = 0
storage = 0

[inventory]
mode = "auto"                   # "auto": read from the Docker host and nvidia-smi; "declared": below
# cpu = "16"                    # cores (declared)
# memory = "64Gi"
# ephemeral_storage = "500Gi"
# [[inventory.gpus]]
# vendor = "nvidia"
# model = "a100"
# ram = "80Gi"
# interface = "sxm"
# count = 8
[[inventory.storage_classes]]   # persistent storage pools (both modes)
class = "beta2"
size = "1Ti"

[gateway]
listen = "0.0.0.0:8443"
# cert_file = "/path/akash1....pem"  # default <state_dir>/<address>.pem, made at first start
# domains = ["provider.example.com"] # DNS names for a generated certificate

[runtime]
# docker = "unix:///var/run/docker.sock"  # default: DOCKER_HOST or the local socket
forward_host_ip = "0.0.0.0"     # where non-HTTP global ports are published
gpu = false                     # NVIDIA container runtime installed
pull_images = true
pids_limit = 0                  # processes per container; 0: 1 per MiB of memory, 64..4096
storage_quota = true            # use storage-driver quotas where dockerd has them
storage_check_interval = "10s"  # else measure storage this often and evict what is over its size

[ingress]
listen = "0.0.0.0:80"
domain = "ingress.example.com"  # global HTTP services get <id>.<domain>

[money]
withdrawal_period = "24h"       # withdraw every lease's earnings this often
funds_monitor_interval = "10m"  # longest wait between escrow checks of a lease

[monitor]
max_retries = 40                # failed health checks in a row before the lease is closed
healthcheck_period = "10s"
retry_period = "4s"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
host_uri = "https://p.example.com:8443"
[key]
name = "provider"
[pricing.scale]
cpu = "0.5"
memory = "0.001"
"#;

    #[test]
    fn example_parses_and_defaults_match_spec() {
        let c = Config::parse(EXAMPLE).unwrap();
        assert_eq!(c.bid.deposit, "500000uakt");
        assert_eq!(c.bid.timeout, Duration::from_secs(300));
        assert_eq!(
            c.pricing.scale.storage["ephemeral"],
            "0.0002".parse().unwrap()
        );
        assert_eq!(c.pricing.scale.gpu["*"], "150".parse().unwrap());
        assert_eq!(c.inventory.storage_classes[0].class, "beta2");

        let m = Config::parse(MINIMAL).unwrap();
        assert_eq!(m.bid.deposit, DEFAULT_BID_DEPOSIT);
        assert_eq!(m.bid.manifest_timeout, Duration::from_secs(300));
        assert_eq!(m.money.withdrawal_period, Duration::from_secs(86400));
        assert_eq!(m.money.funds_monitor_interval, Duration::from_secs(600));
        assert_eq!(m.gateway.listen, "0.0.0.0:8443");
        assert_eq!(m.pricing.script.timeout, Duration::from_secs(10));
        assert_eq!(m.pricing.script.process_limit, 32);
        assert_eq!(m.monitor.max_retries, 40);
        assert_eq!(m.inventory.mode, InventoryMode::Auto);
        assert_eq!(m.chain.node, "http://127.0.0.1:26657");
        assert_eq!(m.key.keyring_backend, "file");
        assert_eq!(m.overcommit, Overcommit::default());
    }

    fn err(text: &str) -> String {
        Config::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field() {
        let e = err(&MINIMAL.replace("cpu = \"0.5\"", "cpu = \"abc\""));
        assert!(e.contains("cpu") && e.contains("abc"), "{e}");
        let e = err(&MINIMAL.replace("cpu = \"0.5\"", "cpu = 0.5"));
        assert!(e.contains("floats are not accepted"), "{e}");
        let e = err(&MINIMAL.replace("https://p.example.com:8443", "http://p:8443"));
        assert!(e.contains("`host_uri`") && e.contains("https"), "{e}");
        let e = err(&format!("{MINIMAL}\n[bid]\ntimeout = \"5 minutes\"\n"));
        assert!(e.contains("timeout") && e.contains("not a duration"), "{e}");
        let e = err(&format!("{MINIMAL}\n[bid]\ndeposit = \"lots\"\n"));
        assert!(e.contains("`bid.deposit`"), "{e}");
        let e = err(&format!(
            "{MINIMAL}\n[inventory]\nmode = \"declared\"\ncpu = \"x\"\n"
        ));
        assert!(e.contains("`inventory.cpu`"), "{e}");
        let e = err(&format!("{MINIMAL}\n[gateway]\nlisten = \"8443\"\n"));
        assert!(e.contains("`gateway.listen`"), "{e}");
        let e = err(&format!("{MINIMAL}\nunknown_field = 1\n"));
        assert!(e.contains("unknown_field"), "{e}");
        let e = err(&MINIMAL.replace("cpu = \"0.5\"\nmemory = \"0.001\"", ""));
        assert!(e.contains("`pricing.scale`"), "{e}");
        let e = err(&format!("{MINIMAL}\n[pricing]\nstrategy = \"script\"\n"));
        assert!(e.contains("`pricing.script.path`"), "{e}");
        let e = err(&format!(
            "{MINIMAL}\n[[inventory.storage_classes]]\nclass = \"beta2\"\nsize = \"1Ti\"\n[[inventory.storage_classes]]\nclass = \"beta2\"\nsize = \"1Ti\"\n"
        ));
        assert!(e.contains("listed twice"), "{e}");
        let e = err(&format!(
            "{MINIMAL}\n[money]\nfunds_monitor_interval = \"30s\"\n"
        ));
        assert!(e.contains("`money.funds_monitor_interval`"), "{e}");
    }

    #[test]
    fn durations_and_cores() {
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172800));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("m").is_err());
        assert_eq!(parse_cpu_cores("7.5").unwrap(), 7500);
        assert_eq!(parse_cpu_cores("250m").unwrap(), 250);
        assert!(parse_cpu_cores("0").is_err());
    }

    #[test]
    fn load_resolves_paths_next_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("provider.toml");
        std::fs::write(&path, MINIMAL).unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.state_dir, dir.path().join("provider-state"));
        let e = Config::load(&dir.path().join("absent.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("absent.toml"), "{e}");
    }
}
