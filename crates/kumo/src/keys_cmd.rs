//! `kumo keys`: manage the local keyring (create, recover, list, show and delete keys; offline
//! multisig records; export and import of armored private keys in the Cosmos SDK's format).
//!
//! [`KeyringArgs`] is reusable by other commands (e.g. `kumo tx`) that need to pick a keyring
//! backend and read the keyring passphrase.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use kumo_crypto::keyring::{Backend, KeyInfo, KeyPubKey, Keyring, MIN_PASSPHRASE_LEN};
use kumo_crypto::multisig::pubkey_from_legacy_bech32;
use kumo_crypto::{MultisigPubKey, PubKey};

use crate::{Globals, Output};

/// Environment variable read for the file backend's passphrase before prompting.
pub const PASSPHRASE_ENV: &str = "KUMO_KEYRING_PASSPHRASE";
/// Environment variable that sets the default keyring backend.
pub const BACKEND_ENV: &str = "KUMO_KEYRING_BACKEND";
/// Environment variable read for the passphrase of an armored key (`keys export`/`import`)
/// before prompting.
pub const ARMOR_PASSPHRASE_ENV: &str = "KUMO_ARMOR_PASSPHRASE";

/// Keyring selection shared by every command that reads or writes keys.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyringArgs {
    /// Where keys are kept: "file" encrypts each key with a passphrase (read from
    /// KUMO_KEYRING_PASSPHRASE, or asked for on the terminal); "test" stores keys unencrypted and
    /// is only for tests and local devnets. Keys live in <home>/keyring-<backend>/.
    #[arg(
        long,
        env = BACKEND_ENV,
        default_value = "file",
        value_name = "BACKEND",
        value_parser = PossibleValuesParser::new(["file", "test"]).map(|s| match s.as_str() {
            "test" => Backend::Test,
            // PossibleValuesParser only lets "file" and "test" through.
            _ => Backend::File,
        }),
    )]
    pub keyring_backend: Backend,
}

impl KeyringArgs {
    /// Opens the selected keyring under `home` (creating its directory if needed).
    pub fn open(&self, home: &Path) -> anyhow::Result<Keyring> {
        Keyring::open(home, self.keyring_backend).with_context(|| {
            format!(
                "cannot open the {} keyring in {}",
                self.keyring_backend,
                home.display()
            )
        })
    }

    /// The passphrase for the selected backend: `None` for the test backend; for the file
    /// backend, `KUMO_KEYRING_PASSPHRASE` if set, otherwise asked for on the terminal. With
    /// `confirm` (creating a key) the terminal prompt asks twice and the passphrase must be at
    /// least 8 characters.
    pub fn passphrase(&self, confirm: bool) -> anyhow::Result<Option<String>> {
        if !self.keyring_backend.needs_passphrase() {
            return Ok(None);
        }
        if let Some(p) = std::env::var_os(PASSPHRASE_ENV) {
            let p = p
                .into_string()
                .map_err(|_| anyhow::anyhow!("{PASSPHRASE_ENV} is not valid UTF-8"))?;
            if confirm {
                check_length(&p).with_context(|| format!("{PASSPHRASE_ENV} is too short"))?;
            }
            return Ok(Some(p));
        }
        let no_tty = |e: std::io::Error| {
            anyhow::anyhow!(
                "cannot ask for the keyring passphrase ({e}); set {PASSPHRASE_ENV} or use \
                 --keyring-backend test"
            )
        };
        if !confirm {
            let p = rpassword::prompt_password("Keyring passphrase: ").map_err(no_tty)?;
            return Ok(Some(p));
        }
        let p = rpassword::prompt_password(format!(
            "Enter a passphrase to encrypt the key (at least {MIN_PASSPHRASE_LEN} characters): "
        ))
        .map_err(no_tty)?;
        check_length(&p)?;
        let again = rpassword::prompt_password("Repeat the passphrase: ").map_err(no_tty)?;
        if p != again {
            bail!("the passphrases do not match");
        }
        Ok(Some(p))
    }
}

fn check_length(p: &str) -> anyhow::Result<()> {
    if p.chars().count() < MIN_PASSPHRASE_LEN {
        bail!("the passphrase must be at least {MIN_PASSPHRASE_LEN} characters long");
    }
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum KeysCmd {
    /// Create a new key (prints its mnemonic once), or recover one with --recover.
    #[command(long_about = "Create a new key and store it in the keyring.\n\n\
        A fresh 24-word mnemonic is generated and printed ONCE: write it down and keep it safe, it \
        is the only way to recover the key. With --recover, the mnemonic of an existing key is \
        read from stdin (one line) instead.\n\n\
        The key is derived on the Cosmos HD path m/44'/118'/0'/0/0, so the same mnemonic gives \
        the same akash1... address as Keplr, cosmjs or the akash CLI.\n\n\
        Examples:\n  kumo keys add alice\n  \
        echo \"$MNEMONIC\" | kumo keys add bob --recover --keyring-backend test")]
    Add(AddArgs),
    /// List all keys in the keyring (name and address).
    #[command(
        long_about = "List all keys in the keyring, sorted by name, with their addresses.\n\n\
        No passphrase is needed: addresses and public keys are stored in clear."
    )]
    List(ListArgs),
    /// Show one key's address and public key.
    #[command(
        long_about = "Show one key's name, address and public key (base64 of the \
        33-byte compressed secp256k1 key).\n\n\
        With --address only the akash1... address is printed, handy in scripts:\n  \
        ADDR=$(kumo keys show alice --address)"
    )]
    Show(ShowArgs),
    /// Delete a key from the keyring (asks for confirmation unless -y).
    #[command(long_about = "Delete a key from the keyring.\n\n\
        Without its mnemonic a deleted key cannot be recovered, so this asks for confirmation on \
        stdin unless -y/--yes is given.")]
    Delete(DeleteArgs),
    /// Print a key's private key, encrypted under a new passphrase and ASCII-armored.
    #[command(
        long_about = "Export a private key as ASCII armor encrypted with a passphrase, in \
        the Cosmos SDK's format (-----BEGIN TENDERMINT PRIVATE KEY-----, kdf bcrypt, \
        xsalsa20-poly1305), so `akash keys import` or `gaiad keys import` read it, and `kumo keys \
        import` reads theirs.\n\n\
        The export passphrase is read from KUMO_ARMOR_PASSPHRASE, or asked for twice on the \
        terminal. With the file backend the keyring passphrase is needed too \
        (KUMO_KEYRING_PASSPHRASE).\n\n\
        Example:\n  kumo keys export alice > alice.armor"
    )]
    Export(ExportArgs),
    /// Import an armored private key (from `keys export` of kumo or a Cosmos SDK CLI).
    #[command(
        long_about = "Import a private key from an ASCII-armored file written by `kumo keys \
        export` or a Cosmos SDK CLI's `keys export`.\n\n\
        The armor's passphrase is read from KUMO_ARMOR_PASSPHRASE or asked for on the terminal. \
        A wrong passphrase or a damaged file is an error and nothing is written. An imported key \
        has no mnemonic.\n\n\
        Example:\n  kumo keys import alice2 alice.armor"
    )]
    Import(ImportArgs),
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Name for the key: 1-64 characters from A-Z, a-z, 0-9, '_', '.' and '-'.
    pub name: String,
    /// Recover the key from an existing BIP-39 mnemonic read from stdin (one line) instead of
    /// generating a new one.
    #[arg(long, conflicts_with = "multisig")]
    pub recover: bool,
    /// Store an offline multisig key instead: its members, comma separated, as key names in
    /// this keyring or legacy bech32 public keys (akashpub1…). No private key is stored; members
    /// sign with `kumo tx sign --multisig` and `kumo tx multisign` combines their signatures.
    #[arg(long, value_delimiter = ',', num_args = 1.., value_name = "KEYS")]
    pub multisig: Vec<String>,
    /// With --multisig: how many member signatures a transaction needs (1..=members).
    #[arg(long, value_name = "K", requires = "multisig")]
    pub multisig_threshold: Option<u32>,
    /// With --multisig: keep the members in the given order instead of sorting them by address
    /// as the Cosmos SDK does (the order changes the multisig address).
    #[arg(long, requires = "multisig")]
    pub nosort: bool,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Name of the key to export.
    pub name: String,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// Name for the imported key.
    pub name: String,
    /// File holding the ASCII-armored private key.
    pub file: std::path::PathBuf,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    /// Name of the key.
    pub name: String,
    /// Print only the bech32 address (akash1...).
    #[arg(long, short = 'a', conflicts_with = "pubkey")]
    pub address: bool,
    /// Print only the public key as JSON, as the Cosmos SDK does:
    /// {"@type":"/cosmos.crypto.secp256k1.PubKey","key":"<base64>"} (or the multisig key).
    #[arg(long, short = 'p')]
    pub pubkey: bool,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

#[derive(clap::Args, Debug)]
pub struct DeleteArgs {
    /// Name of the key.
    pub name: String,
    /// Delete without asking for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

pub fn run(g: &Globals, c: KeysCmd) -> anyhow::Result<()> {
    match c {
        KeysCmd::Add(a) => add(g, a),
        KeysCmd::List(a) => list(g, a),
        KeysCmd::Show(a) => show(g, a),
        KeysCmd::Delete(a) => delete(g, a),
        KeysCmd::Export(a) => export(g, a),
        KeysCmd::Import(a) => import(g, a),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The key's public key in text form: base64 of the compressed key, or "K-of-N multisig".
fn pubkey_text(info: &KeyInfo) -> String {
    match &info.pubkey {
        KeyPubKey::Secp256k1(pk) => b64(pk.as_bytes()),
        KeyPubKey::Multisig(m) => format!("{}-of-{} multisig", m.threshold(), m.keys().len()),
    }
}

/// The public key as the Cosmos SDK prints it (proto JSON of the key's `Any`).
pub fn pubkey_proto_json(pk: &KeyPubKey) -> serde_json::Value {
    let single = |pk: &PubKey| serde_json::json!({"@type": "/cosmos.crypto.secp256k1.PubKey", "key": b64(pk.as_bytes())});
    match pk {
        KeyPubKey::Secp256k1(pk) => single(pk),
        KeyPubKey::Multisig(m) => serde_json::json!({
            "@type": "/cosmos.crypto.multisig.LegacyAminoPubKey",
            "threshold": m.threshold(),
            "public_keys": m.keys().iter().map(single).collect::<Vec<_>>(),
        }),
    }
}

fn info_json(info: &KeyInfo) -> serde_json::Value {
    match &info.pubkey {
        KeyPubKey::Secp256k1(pk) => serde_json::json!({
            "name": info.name,
            "type": "local",
            "address": info.address.to_string(),
            "pubkey": b64(pk.as_bytes()),
        }),
        KeyPubKey::Multisig(m) => serde_json::json!({
            "name": info.name,
            "type": "multi",
            "address": info.address.to_string(),
            "threshold": m.threshold(),
            "members": m.keys().iter().map(|k| serde_json::json!({
                "address": k.address().to_string(),
                "pubkey": b64(k.as_bytes()),
            })).collect::<Vec<_>>(),
        }),
    }
}

fn print_json(v: &serde_json::Value) -> anyhow::Result<()> {
    let s = serde_json::to_string_pretty(v).context("cannot encode JSON output")?;
    println!("{s}");
    Ok(())
}

fn read_mnemonic_from_stdin() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Enter your BIP-39 mnemonic: ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the mnemonic from stdin")?;
    let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
    line.clear();
    if words.is_empty() {
        bail!("no mnemonic given on stdin (expected one line of 12 or 24 words)");
    }
    Ok(words)
}

fn add(g: &Globals, a: AddArgs) -> anyhow::Result<()> {
    let kr = a.keyring.open(&g.home)?;
    // Check the name before asking for a mnemonic or passphrase.
    if kr.exists(&a.name)? {
        bail!(
            "a key named {:?} already exists in {} (delete it first or pick another name)",
            a.name,
            kr.dir().display()
        );
    }
    if !a.multisig.is_empty() {
        return add_multisig(g, &kr, &a);
    }
    let mnemonic = if a.recover {
        let m = read_mnemonic_from_stdin()?;
        kumo_crypto::validate_mnemonic(&m)?;
        m
    } else {
        kumo_crypto::generate_mnemonic()
    };
    let passphrase = a.keyring.passphrase(true)?;
    let info = kr
        .add(&a.name, &mnemonic, passphrase.as_deref())
        .with_context(|| format!("cannot add key {:?}", a.name))?;

    match g.output {
        Output::Json => {
            let mut v = info_json(&info);
            if !a.recover {
                v["mnemonic"] = serde_json::Value::String(mnemonic);
            }
            print_json(&v)?;
        }
        Output::Text => {
            let verb = if a.recover { "recovered" } else { "created" };
            println!(
                "Key {:?} {verb} in the {} keyring.",
                info.name,
                kr.backend()
            );
            println!("  address: {}", info.address);
            println!("  pubkey:  {}", pubkey_text(&info));
            if !a.recover {
                println!();
                println!(
                    "**Important** Write this mnemonic phrase down and keep it in a safe place."
                );
                println!("It is the only way to recover this key, and it will not be shown again.");
                println!();
                println!("{mnemonic}");
            }
        }
    }
    Ok(())
}

fn list(g: &Globals, a: ListArgs) -> anyhow::Result<()> {
    let kr = a.keyring.open(&g.home)?;
    let keys = kr.list()?;
    match g.output {
        Output::Json => print_json(&serde_json::Value::Array(
            keys.iter().map(info_json).collect(),
        )),
        Output::Text => {
            if keys.is_empty() {
                eprintln!(
                    "No keys in the {} keyring ({}). Create one with `kumo keys add NAME`.",
                    kr.backend(),
                    kr.dir().display()
                );
                return Ok(());
            }
            let width = keys.iter().map(|k| k.name.len()).max().unwrap_or(0).max(4);
            println!("{:<width$}  {:<44}  TYPE", "NAME", "ADDRESS");
            for k in &keys {
                let kind = match &k.pubkey {
                    KeyPubKey::Secp256k1(_) => "local".to_string(),
                    KeyPubKey::Multisig(m) => {
                        format!("multi {}-of-{}", m.threshold(), m.keys().len())
                    }
                };
                println!("{:<width$}  {:<44}  {kind}", k.name, k.address.to_string());
            }
            Ok(())
        }
    }
}

fn show(g: &Globals, a: ShowArgs) -> anyhow::Result<()> {
    let kr = a.keyring.open(&g.home)?;
    let info = kr.show(&a.name)?;
    if a.address {
        println!("{}", info.address);
        return Ok(());
    }
    if a.pubkey {
        // Compact, as the SDK prints it, so it can be passed on as one argument.
        println!("{}", pubkey_proto_json(&info.pubkey));
        return Ok(());
    }
    match g.output {
        Output::Json => print_json(&info_json(&info)),
        Output::Text => {
            println!("name:    {}", info.name);
            println!("address: {}", info.address);
            match &info.pubkey {
                KeyPubKey::Secp256k1(pk) => println!("pubkey:  {}", b64(pk.as_bytes())),
                KeyPubKey::Multisig(m) => {
                    println!("type:    multisig, {} of {}", m.threshold(), m.keys().len());
                    println!("members:");
                    let known = kr.list()?;
                    for k in m.keys() {
                        let name = known
                            .iter()
                            .find(|i| i.address == k.address())
                            .map(|i| format!(" ({})", i.name))
                            .unwrap_or_default();
                        println!("  {}{name}  {}", k.address(), b64(k.as_bytes()));
                    }
                }
            }
            Ok(())
        }
    }
}

/// A multisig member given on the command line: a key name in the keyring or an
/// `akashpub1…` legacy bech32 public key.
fn member_pubkey(kr: &Keyring, member: &str) -> anyhow::Result<PubKey> {
    let member = member.trim();
    if member.starts_with("akashpub1") {
        return pubkey_from_legacy_bech32(member)
            .with_context(|| format!("multisig member {member:?}"));
    }
    let info = kr.show(member).with_context(|| {
        format!(
            "multisig member {member:?} is neither a key in the {} keyring nor an akashpub1… \
             public key",
            kr.backend()
        )
    })?;
    match info.pubkey {
        KeyPubKey::Secp256k1(pk) => Ok(pk),
        KeyPubKey::Multisig(_) => bail!(
            "multisig member {member:?} is itself a multisig key; nested multisig keys are not \
             supported"
        ),
    }
}

fn add_multisig(g: &Globals, kr: &Keyring, a: &AddArgs) -> anyhow::Result<()> {
    let threshold = a.multisig_threshold.ok_or_else(|| {
        anyhow::anyhow!("--multisig needs --multisig-threshold K (how many members must sign)")
    })?;
    let members = a
        .multisig
        .iter()
        .filter(|m| !m.trim().is_empty())
        .map(|m| member_pubkey(kr, m))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let multisig = MultisigPubKey::new(threshold, members, !a.nosort)?;
    let info = kr
        .add_multisig(&a.name, multisig)
        .with_context(|| format!("cannot add multisig key {:?}", a.name))?;
    match g.output {
        Output::Json => print_json(&info_json(&info)),
        Output::Text => {
            println!(
                "Multisig key {:?} ({}) stored in the {} keyring.",
                info.name,
                pubkey_text(&info),
                kr.backend()
            );
            println!("  address: {}", info.address);
            Ok(())
        }
    }
}

/// The passphrase of an armored key: KUMO_ARMOR_PASSPHRASE, else asked on the terminal (twice
/// when encrypting).
fn armor_passphrase(confirm: bool) -> anyhow::Result<String> {
    if let Some(p) = std::env::var_os(ARMOR_PASSPHRASE_ENV) {
        return p
            .into_string()
            .map_err(|_| anyhow::anyhow!("{ARMOR_PASSPHRASE_ENV} is not valid UTF-8"));
    }
    let no_tty = |e: std::io::Error| {
        anyhow::anyhow!("cannot ask for the armor passphrase ({e}); set {ARMOR_PASSPHRASE_ENV}")
    };
    if !confirm {
        return rpassword::prompt_password("Passphrase of the armored key: ").map_err(no_tty);
    }
    let p = rpassword::prompt_password("Enter a passphrase to encrypt the exported key: ")
        .map_err(no_tty)?;
    let again = rpassword::prompt_password("Repeat the passphrase: ").map_err(no_tty)?;
    if p != again {
        bail!("the passphrases do not match");
    }
    Ok(p)
}

fn export(g: &Globals, a: ExportArgs) -> anyhow::Result<()> {
    let kr = a.keyring.open(&g.home)?;
    let info = kr.show(&a.name)?;
    if info.is_multisig() {
        bail!(
            "key {:?} is an offline multisig key: it has no private key to export (its public \
             key: kumo keys show {} --pubkey)",
            a.name,
            a.name
        );
    }
    let passphrase = a.keyring.passphrase(false)?;
    let key = kr
        .signer(&a.name, passphrase.as_deref())
        .with_context(|| format!("cannot unlock key {:?}", a.name))?;
    let armor_pass = armor_passphrase(true)?;
    if armor_pass.is_empty() {
        bail!("the export passphrase must not be empty");
    }
    let armor = kumo_crypto::armor::encrypt_armor_privkey(&key, &armor_pass)?;
    print!("{armor}");
    Ok(())
}

fn import(g: &Globals, a: ImportArgs) -> anyhow::Result<()> {
    let kr = a.keyring.open(&g.home)?;
    if kr.exists(&a.name)? {
        bail!(
            "a key named {:?} already exists in {} (delete it first or pick another name)",
            a.name,
            kr.dir().display()
        );
    }
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let armor_pass = armor_passphrase(false)?;
    let key = kumo_crypto::armor::decrypt_armor_privkey(&text, &armor_pass)
        .with_context(|| format!("cannot import {}", a.file.display()))?;
    let passphrase = a.keyring.passphrase(true)?;
    let info = kr
        .import_privkey(&a.name, &key, passphrase.as_deref())
        .with_context(|| format!("cannot add key {:?}", a.name))?;
    match g.output {
        Output::Json => print_json(&info_json(&info)),
        Output::Text => {
            println!(
                "Key {:?} imported into the {} keyring.",
                info.name,
                kr.backend()
            );
            println!("  address: {}", info.address);
            Ok(())
        }
    }
}

fn delete(g: &Globals, a: DeleteArgs) -> anyhow::Result<()> {
    let kr = a.keyring.open(&g.home)?;
    let info = kr.show(&a.name)?;
    if !a.yes {
        eprint!(
            "Delete key {:?} ({})? Without its mnemonic it cannot be recovered. [y/N] ",
            info.name, info.address
        );
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .context("cannot read the confirmation from stdin")?;
        let answer = answer.trim().to_ascii_lowercase();
        if answer != "y" && answer != "yes" {
            bail!(
                "aborted: key {:?} was not deleted (use -y to skip this question)",
                info.name
            );
        }
    }
    kr.delete(&a.name)?;
    match g.output {
        Output::Json => print_json(&serde_json::json!({
            "name": info.name,
            "address": info.address.to_string(),
            "deleted": true,
        })),
        Output::Text => {
            println!("Key {:?} ({}) deleted.", info.name, info.address);
            Ok(())
        }
    }
}
