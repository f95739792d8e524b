//! `kumo keys`: manage the local keyring (create, recover, list, show and delete keys).
//!
//! [`KeyringArgs`] is reusable by other commands (e.g. `kumo tx`) that need to pick a keyring
//! backend and read the keyring passphrase.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use kumo_crypto::keyring::{Backend, KeyInfo, Keyring, MIN_PASSPHRASE_LEN};

use crate::{Globals, Output};

/// Environment variable read for the file backend's passphrase before prompting.
pub const PASSPHRASE_ENV: &str = "KUMO_KEYRING_PASSPHRASE";
/// Environment variable that sets the default keyring backend.
pub const BACKEND_ENV: &str = "KUMO_KEYRING_BACKEND";

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
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    /// Name for the key: 1-64 characters from A-Z, a-z, 0-9, '_', '.' and '-'.
    pub name: String,
    /// Recover the key from an existing BIP-39 mnemonic read from stdin (one line) instead of
    /// generating a new one.
    #[arg(long)]
    pub recover: bool,
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
    #[arg(long, short = 'a')]
    pub address: bool,
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
    }
}

fn pubkey_b64(info: &KeyInfo) -> String {
    base64::engine::general_purpose::STANDARD.encode(info.pubkey.as_bytes())
}

fn info_json(info: &KeyInfo) -> serde_json::Value {
    serde_json::json!({
        "name": info.name,
        "address": info.address.to_string(),
        "pubkey": pubkey_b64(info),
    })
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
            println!("  pubkey:  {}", pubkey_b64(&info));
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
            println!("{:<width$}  ADDRESS", "NAME");
            for k in &keys {
                println!("{:<width$}  {}", k.name, k.address);
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
    match g.output {
        Output::Json => print_json(&info_json(&info)),
        Output::Text => {
            println!("name:    {}", info.name);
            println!("address: {}", info.address);
            println!("pubkey:  {}", pubkey_b64(&info));
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
