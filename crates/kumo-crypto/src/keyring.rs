//! A local keyring: one JSON file per key under `<home>/keyring-<backend>/<name>.json`.
//!
//! Every file holds the key's name, bech32 address and hex public key in clear (so listing and
//! showing keys needs no passphrase), plus the secret part:
//! * [`Backend::Test`]: the private key (hex) and mnemonic in plain text. For tests and devnets only.
//! * [`Backend::File`]: the private key and mnemonic encrypted with XChaCha20-Poly1305 under a
//!   32-byte key derived with scrypt from the passphrase and a random per-file salt. The salt,
//!   nonce and scrypt parameters are stored next to the ciphertext; the address and public key are
//!   bound to the ciphertext as associated data, so editing them makes decryption fail.
//!
//! An offline multisig record ([`Keyring::add_multisig`]) holds only public data: the threshold
//! and the member keys, in clear for both backends; it has no secret and cannot sign.
//!
//! On unix the keyring directory is created with mode 0700 and key files with mode 0600.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::multisig::MultisigPubKey;
use crate::{validate_mnemonic, Address, CryptoError, PrivKey, PubKey};

/// Minimum passphrase length (in characters) for the file backend.
pub const MIN_PASSPHRASE_LEN: usize = 8;
/// Longest allowed key name.
pub const MAX_NAME_LEN: usize = 64;

const FILE_VERSION: u32 = 1;
const SCRYPT_LOG_N: u8 = 15;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const AAD_PREFIX: &str = "kumo-keyring-v1";

/// Where and how key secrets are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Secrets encrypted under a passphrase (the default for real use).
    File,
    /// Secrets stored unencrypted. Only for tests and local devnets.
    Test,
}

impl Backend {
    /// The name used on the command line and in the directory name: `file` or `test`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::Test => "test",
        }
    }

    /// Whether this backend needs a passphrase to add keys or use them for signing.
    pub fn needs_passphrase(&self) -> bool {
        matches!(self, Backend::File)
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Backend {
    type Err = KeyringError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "file" => Ok(Backend::File),
            "test" => Ok(Backend::Test),
            _ => Err(KeyringError::UnknownBackend(s.to_string())),
        }
    }
}

/// Errors from keyring operations. Messages are meant to be shown to users as-is.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("unknown keyring backend {0:?}: expected \"file\" or \"test\"")]
    UnknownBackend(String),
    #[error("invalid key name {0:?}: use 1-64 characters from A-Z, a-z, 0-9, '_', '.' and '-'")]
    InvalidName(String),
    #[error("a key named {0:?} already exists")]
    AlreadyExists(String),
    #[error("a key with address {address} already exists under the name {existing:?}")]
    DuplicateAddress { address: Address, existing: String },
    #[error("key {name:?} not found in {}", dir.display())]
    NotFound { name: String, dir: PathBuf },
    #[error("the {0} keyring backend needs a passphrase")]
    PassphraseRequired(Backend),
    #[error("passphrase too short: use at least {MIN_PASSPHRASE_LEN} characters")]
    PassphraseTooShort,
    #[error("wrong passphrase for key {0:?} (or its key file was modified)")]
    WrongPassphrase(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("corrupt key file {}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error(
        "key {0:?} is an offline multisig key: it has no private key; sign with its member keys \
         (kumo tx sign FILE --from MEMBER --multisig {0}) and combine with kumo tx multisign"
    )]
    MultisigCannotSign(String),
    #[error("key {0:?} has no mnemonic (it was imported as a private key)")]
    NoMnemonic(String),
}

/// The public key of a stored key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPubKey {
    /// A key the keyring can sign with.
    Secp256k1(PubKey),
    /// An offline k-of-n multisig record.
    Multisig(MultisigPubKey),
}

impl KeyPubKey {
    /// The single key, or `None` for a multisig record.
    pub fn secp256k1(&self) -> Option<&PubKey> {
        match self {
            KeyPubKey::Secp256k1(pk) => Some(pk),
            KeyPubKey::Multisig(_) => None,
        }
    }

    /// The multisig key, or `None` for a single key.
    pub fn multisig(&self) -> Option<&MultisigPubKey> {
        match self {
            KeyPubKey::Multisig(m) => Some(m),
            KeyPubKey::Secp256k1(_) => None,
        }
    }

    /// The account address of this key.
    pub fn address(&self) -> Address {
        match self {
            KeyPubKey::Secp256k1(pk) => pk.address(),
            KeyPubKey::Multisig(m) => m.address(),
        }
    }
}

/// Public information about a stored key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyInfo {
    pub name: String,
    pub address: Address,
    pub pubkey: KeyPubKey,
}

impl KeyInfo {
    /// Whether this is an offline multisig record.
    pub fn is_multisig(&self) -> bool {
        matches!(self.pubkey, KeyPubKey::Multisig(_))
    }
}

/// A directory of keys for one backend: `<home>/keyring-<backend>`.
#[derive(Debug, Clone)]
pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
}

// --- on-disk format ---------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    name: String,
    address: String,
    /// Hex of the compressed secp256k1 key; empty for a multisig record.
    pubkey: String,
    secret: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multisig: Option<MultisigFile>,
}

/// A multisig record's public data; members are stored in the key's final order.
#[derive(Serialize, Deserialize)]
struct MultisigFile {
    threshold: u32,
    pubkeys: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Secret {
    /// Test backend: plain private key (hex) and mnemonic.
    Plain {
        privkey: String,
        mnemonic: Option<String>,
    },
    /// File backend: `SecretPayload` as JSON, encrypted.
    Encrypted {
        cipher: String,
        kdf: ScryptParams,
        salt: String,
        nonce: String,
        ciphertext: String,
    },
    /// A multisig record: nothing secret.
    Offline,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
struct ScryptParams {
    name: ScryptName,
    log_n: u8,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum ScryptName {
    Scrypt,
}

#[derive(Serialize, Deserialize)]
struct SecretPayload {
    privkey: String,
    mnemonic: Option<String>,
}

impl Drop for SecretPayload {
    fn drop(&mut self) {
        self.privkey.zeroize();
        if let Some(m) = self.mnemonic.as_mut() {
            m.zeroize();
        }
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        if let Secret::Plain { privkey, mnemonic } = self {
            privkey.zeroize();
            if let Some(m) = mnemonic.as_mut() {
                m.zeroize();
            }
        }
    }
}

const CIPHER_NAME: &str = "xchacha20poly1305";

fn validate_name(name: &str) -> Result<(), KeyringError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(KeyringError::InvalidName(name.to_string()))
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyringError + '_ {
    move |source| KeyringError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn aad(address: &str, pubkey_hex: &str) -> Vec<u8> {
    format!("{AAD_PREFIX}\n{address}\n{pubkey_hex}").into_bytes()
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    p: ScryptParams,
) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = scrypt::Params::new(p.log_n, p.r, p.p, 32).map_err(|e| e.to_string())?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(passphrase.as_bytes(), salt, &params, key.as_mut())
        .map_err(|e| e.to_string())?;
    Ok(key)
}

fn check_passphrase_strength(p: &str) -> Result<(), KeyringError> {
    if p.chars().count() < MIN_PASSPHRASE_LEN {
        return Err(KeyringError::PassphraseTooShort);
    }
    Ok(())
}

impl Keyring {
    /// Opens (creating if needed) the keyring directory `<home>/keyring-<backend>`.
    pub fn open(home: &Path, backend: Backend) -> Result<Keyring, KeyringError> {
        fs::create_dir_all(home).map_err(io_err(home))?;
        let dir = home.join(format!("keyring-{}", backend.as_str()));
        if !dir.is_dir() {
            let mut builder = fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            match builder.create(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
                Err(e) => return Err(io_err(&dir)(e)),
            }
        }
        Ok(Keyring { dir, backend })
    }

    /// The backend this keyring was opened with.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The directory holding the key files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Whether a key with this name exists.
    pub fn exists(&self, name: &str) -> Result<bool, KeyringError> {
        validate_name(name)?;
        let path = self.path_of(name);
        path.try_exists().map_err(io_err(&path))
    }

    /// Stores the key derived from `mnemonic` (at [`crate::HD_PATH`], empty BIP-39 passphrase)
    /// under `name`. Fails if the name is taken, another key has the same address, or the
    /// mnemonic is invalid. The file backend needs a passphrase of at least
    /// [`MIN_PASSPHRASE_LEN`] characters; the test backend ignores it.
    pub fn add(
        &self,
        name: &str,
        mnemonic: &str,
        passphrase: Option<&str>,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        if self.exists(name)? {
            return Err(KeyringError::AlreadyExists(name.to_string()));
        }
        validate_mnemonic(mnemonic)?;
        let passphrase = match self.backend {
            Backend::File => {
                let p = passphrase.ok_or(KeyringError::PassphraseRequired(self.backend))?;
                check_passphrase_strength(p)?;
                Some(p)
            }
            Backend::Test => None,
        };
        let normalized = Zeroizing::new(mnemonic.split_whitespace().collect::<Vec<_>>().join(" "));
        let key = PrivKey::from_mnemonic(&normalized, "")?;
        self.store_key(name, &key, Some(normalized.to_string()), passphrase)
    }

    /// Stores a private key that has no mnemonic (one imported from an armored export) under
    /// `name`; the same rules as [`Keyring::add`] apply.
    pub fn import_privkey(
        &self,
        name: &str,
        key: &PrivKey,
        passphrase: Option<&str>,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        if self.exists(name)? {
            return Err(KeyringError::AlreadyExists(name.to_string()));
        }
        let passphrase = match self.backend {
            Backend::File => {
                let p = passphrase.ok_or(KeyringError::PassphraseRequired(self.backend))?;
                check_passphrase_strength(p)?;
                Some(p)
            }
            Backend::Test => None,
        };
        self.store_key(name, key, None, passphrase)
    }

    /// Stores an offline multisig record (public data only; no passphrase needed).
    pub fn add_multisig(
        &self,
        name: &str,
        multisig: MultisigPubKey,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        if self.exists(name)? {
            return Err(KeyringError::AlreadyExists(name.to_string()));
        }
        let address = multisig.address();
        self.check_new_address(&address)?;
        let file = KeyFile {
            version: FILE_VERSION,
            name: name.to_string(),
            address: address.to_string(),
            pubkey: String::new(),
            secret: Secret::Offline,
            multisig: Some(MultisigFile {
                threshold: multisig.threshold(),
                pubkeys: multisig.keys().iter().map(|k| hex::encode(k.0)).collect(),
            }),
        };
        let json = serde_json::to_vec_pretty(&file).expect("key file serialization cannot fail");
        self.write_new(&self.path_of(name), &json, name)?;
        Ok(KeyInfo {
            name: name.to_string(),
            address,
            pubkey: KeyPubKey::Multisig(multisig),
        })
    }

    fn check_new_address(&self, address: &Address) -> Result<(), KeyringError> {
        if let Some(existing) = self.list()?.into_iter().find(|k| k.address == *address) {
            return Err(KeyringError::DuplicateAddress {
                address: *address,
                existing: existing.name,
            });
        }
        Ok(())
    }

    fn store_key(
        &self,
        name: &str,
        key: &PrivKey,
        mnemonic: Option<String>,
        passphrase: Option<&str>,
    ) -> Result<KeyInfo, KeyringError> {
        let info = KeyInfo {
            name: name.to_string(),
            address: key.address(),
            pubkey: KeyPubKey::Secp256k1(key.pubkey()),
        };
        self.check_new_address(&info.address)?;

        let address = info.address.to_string();
        let pubkey_hex = hex::encode(key.pubkey().0);
        let mut sk = key.to_bytes();
        let payload = SecretPayload {
            privkey: hex::encode(sk),
            mnemonic,
        };
        sk.zeroize();
        let secret = match passphrase {
            None => Secret::Plain {
                privkey: payload.privkey.clone(),
                mnemonic: payload.mnemonic.clone(),
            },
            Some(p) => encrypt(&payload, p, &aad(&address, &pubkey_hex))?,
        };
        let file = KeyFile {
            version: FILE_VERSION,
            name: name.to_string(),
            address,
            pubkey: pubkey_hex,
            secret,
            multisig: None,
        };
        let json = Zeroizing::new(
            serde_json::to_vec_pretty(&file).expect("key file serialization cannot fail"),
        );
        self.write_new(&self.path_of(name), &json, name)?;
        Ok(info)
    }

    fn write_new(&self, path: &Path, bytes: &[u8], name: &str) -> Result<(), KeyringError> {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = match opts.open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(KeyringError::AlreadyExists(name.to_string()))
            }
            Err(e) => return Err(io_err(path)(e)),
        };
        let res = f.write_all(bytes).and_then(|_| f.sync_all());
        if let Err(e) = res {
            drop(f);
            let _ = fs::remove_file(path);
            return Err(io_err(path)(e));
        }
        Ok(())
    }

    fn load(&self, name: &str) -> Result<(KeyFile, KeyInfo, PathBuf), KeyringError> {
        validate_name(name)?;
        let path = self.path_of(name);
        let bytes = match fs::read(&path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyringError::NotFound {
                    name: name.to_string(),
                    dir: self.dir.clone(),
                })
            }
            Err(e) => return Err(io_err(&path)(e)),
        };
        let corrupt = |reason: String| KeyringError::Corrupt {
            path: path.clone(),
            reason,
        };
        let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if file.version != FILE_VERSION {
            return Err(corrupt(format!(
                "unsupported version {} (expected {FILE_VERSION})",
                file.version
            )));
        }
        if file.name != name {
            return Err(corrupt(format!(
                "file is named {name:?} but records the name {:?}",
                file.name
            )));
        }
        let parse_key = |hex_key: &str| -> Result<PubKey, KeyringError> {
            let bytes = hex::decode(hex_key).map_err(|e| corrupt(format!("pubkey: {e}")))?;
            PubKey::from_bytes(&bytes).map_err(|e| corrupt(e.to_string()))
        };
        let pubkey = match (&file.multisig, &file.secret) {
            (Some(m), Secret::Offline) => {
                let keys = m
                    .pubkeys
                    .iter()
                    .map(|k| parse_key(k))
                    .collect::<Result<Vec<_>, _>>()?;
                KeyPubKey::Multisig(
                    MultisigPubKey::new(m.threshold, keys, false)
                        .map_err(|e| corrupt(e.to_string()))?,
                )
            }
            (None, Secret::Plain { .. } | Secret::Encrypted { .. }) => {
                KeyPubKey::Secp256k1(parse_key(&file.pubkey)?)
            }
            _ => {
                return Err(corrupt(
                    "a multisig record must have no secret, and a key must have one".into(),
                ))
            }
        };
        let address: Address = file
            .address
            .parse()
            .map_err(|e: CryptoError| corrupt(format!("address: {e}")))?;
        if pubkey.address() != address {
            return Err(corrupt("address does not match the public key".into()));
        }
        let info = KeyInfo {
            name: name.to_string(),
            address,
            pubkey,
        };
        Ok((file, info, path))
    }

    /// All keys, sorted by name.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyringError> {
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io_err(&self.dir))? {
            let entry = entry.map_err(io_err(&self.dir))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            let Some(stem) = file_name.strip_suffix(".json") else {
                continue;
            };
            if validate_name(stem).is_err() {
                continue;
            }
            if entry.file_type().map_err(io_err(&entry.path()))?.is_file() {
                names.push(stem.to_string());
            }
        }
        names.sort();
        names
            .iter()
            .map(|n| self.load(n).map(|(_, info, _)| info))
            .collect()
    }

    /// Public information about one key; needs no passphrase.
    pub fn show(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        self.load(name).map(|(_, info, _)| info)
    }

    fn secret(
        &self,
        name: &str,
        passphrase: Option<&str>,
    ) -> Result<(SecretPayload, KeyInfo, PathBuf), KeyringError> {
        let (file, info, path) = self.load(name)?;
        let payload = match &file.secret {
            Secret::Plain { privkey, mnemonic } => SecretPayload {
                privkey: privkey.clone(),
                mnemonic: mnemonic.clone(),
            },
            Secret::Encrypted { .. } => {
                let p = passphrase.ok_or(KeyringError::PassphraseRequired(Backend::File))?;
                decrypt(&file, p, name, &path)?
            }
            Secret::Offline => return Err(KeyringError::MultisigCannotSign(name.to_string())),
        };
        Ok((payload, info, path))
    }

    /// The private key of `name`, decrypted with `passphrase` for the file backend (the test
    /// backend ignores it). A wrong passphrase gives [`KeyringError::WrongPassphrase`].
    pub fn signer(&self, name: &str, passphrase: Option<&str>) -> Result<PrivKey, KeyringError> {
        let (payload, info, path) = self.secret(name, passphrase)?;
        let corrupt = |reason: String| KeyringError::Corrupt {
            path: path.clone(),
            reason,
        };
        let mut raw = Zeroizing::new(
            hex::decode(&payload.privkey).map_err(|e| corrupt(format!("private key: {e}")))?,
        );
        let arr: &[u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| corrupt(format!("private key has {} bytes, expected 32", raw.len())))?;
        let key = PrivKey::from_bytes(arr).map_err(|e| corrupt(e.to_string()))?;
        raw.zeroize();
        if Some(&key.pubkey()) != info.pubkey.secp256k1() {
            return Err(corrupt(
                "private key does not match the stored public key".into(),
            ));
        }
        Ok(key)
    }

    /// The mnemonic `name` was created from, decrypted with `passphrase` for the file backend.
    pub fn mnemonic(
        &self,
        name: &str,
        passphrase: Option<&str>,
    ) -> Result<Zeroizing<String>, KeyringError> {
        let (payload, _, _) = self.secret(name, passphrase)?;
        match &payload.mnemonic {
            Some(m) => Ok(Zeroizing::new(m.clone())),
            None => Err(KeyringError::NoMnemonic(name.to_string())),
        }
    }

    /// Removes a key. Without its mnemonic the key cannot be recovered afterwards.
    pub fn delete(&self, name: &str) -> Result<(), KeyringError> {
        validate_name(name)?;
        let path = self.path_of(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(KeyringError::NotFound {
                name: name.to_string(),
                dir: self.dir.clone(),
            }),
            Err(e) => Err(io_err(&path)(e)),
        }
    }
}

fn encrypt(payload: &SecretPayload, passphrase: &str, aad: &[u8]) -> Result<Secret, KeyringError> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let params = ScryptParams {
        name: ScryptName::Scrypt,
        log_n: SCRYPT_LOG_N,
        r: SCRYPT_R,
        p: SCRYPT_P,
    };
    let key = derive_key(passphrase, &salt, params)
        .map_err(|e| KeyringError::Crypto(CryptoError::Derivation(format!("scrypt: {e}"))))?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let plaintext =
        Zeroizing::new(serde_json::to_vec(payload).expect("payload serialization cannot fail"));
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad,
            },
        )
        .map_err(|_| KeyringError::Crypto(CryptoError::Derivation("encryption failed".into())))?;
    Ok(Secret::Encrypted {
        cipher: CIPHER_NAME.to_string(),
        kdf: params,
        salt: hex::encode(salt),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ciphertext),
    })
}

fn decrypt(
    file: &KeyFile,
    passphrase: &str,
    name: &str,
    path: &Path,
) -> Result<SecretPayload, KeyringError> {
    let Secret::Encrypted {
        cipher,
        kdf,
        salt,
        nonce,
        ciphertext,
    } = &file.secret
    else {
        unreachable!("decrypt is only called for encrypted secrets");
    };
    let corrupt = |reason: String| KeyringError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    if cipher != CIPHER_NAME {
        return Err(corrupt(format!("unsupported cipher {cipher:?}")));
    }
    // Bound the work a (possibly tampered) file can make us do.
    if !(10..=22).contains(&kdf.log_n) || !(1..=32).contains(&kdf.r) || !(1..=16).contains(&kdf.p) {
        return Err(corrupt(format!(
            "scrypt parameters out of range (log_n={}, r={}, p={})",
            kdf.log_n, kdf.r, kdf.p
        )));
    }
    let salt = hex::decode(salt).map_err(|e| corrupt(format!("salt: {e}")))?;
    let nonce = hex::decode(nonce).map_err(|e| corrupt(format!("nonce: {e}")))?;
    let ciphertext = hex::decode(ciphertext).map_err(|e| corrupt(format!("ciphertext: {e}")))?;
    if salt.len() < 16 {
        return Err(corrupt(format!(
            "salt has {} bytes, expected at least 16",
            salt.len()
        )));
    }
    if nonce.len() != NONCE_LEN {
        return Err(corrupt(format!(
            "nonce has {} bytes, expected {NONCE_LEN}",
            nonce.len()
        )));
    }
    let key = derive_key(passphrase, &salt, *kdf).map_err(|e| corrupt(format!("scrypt: {e}")))?;
    let aead = XChaCha20Poly1305::new(key.as_ref().into());
    let plaintext = aead
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: &aad(&file.address, &file.pubkey),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| KeyringError::WrongPassphrase(name.to_string()))?;
    serde_json::from_slice(&plaintext).map_err(|e| corrupt(format!("decrypted secret: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str =
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                           abandon abandon about";
    const ABANDON_ADDR: &str = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0";
    const ZOO: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
    const ZOO_ADDR: &str = "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6";
    const PASS: &str = "correct horse battery";

    #[test]
    fn backend_parse() {
        assert_eq!("file".parse::<Backend>().unwrap(), Backend::File);
        assert_eq!("TEST".parse::<Backend>().unwrap(), Backend::Test);
        let e = "os".parse::<Backend>().unwrap_err();
        assert!(e.to_string().contains("\"file\" or \"test\""), "{e}");
        assert_eq!(Backend::File.to_string(), "file");
    }

    #[test]
    fn file_backend_add_list_show_sign_delete() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::File).unwrap();
        assert_eq!(kr.backend(), Backend::File);
        assert_eq!(kr.dir(), home.path().join("keyring-file"));
        assert!(kr.list().unwrap().is_empty());

        let z = kr.add("zed", ZOO, Some(PASS)).unwrap();
        let a = kr.add("alice", ABANDON, Some(PASS)).unwrap();
        assert_eq!(a.address.to_string(), ABANDON_ADDR);
        assert_eq!(z.address.to_string(), ZOO_ADDR);

        let names: Vec<_> = kr.list().unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["alice", "zed"]);
        assert_eq!(kr.show("alice").unwrap(), a);

        // Nothing secret is in clear on disk.
        let raw = fs::read_to_string(kr.dir().join("alice.json")).unwrap();
        assert!(!raw.contains("abandon"));
        let sk = kr.signer("alice", Some(PASS)).unwrap();
        assert!(!raw.contains(&hex::encode(sk.to_bytes())));
        assert!(raw.contains(ABANDON_ADDR));

        // The signer is the right key.
        assert_eq!(sk.address(), a.address);
        let sig = sk.sign(b"hello");
        assert!(a.pubkey.secp256k1().unwrap().verify(b"hello", &sig));
        assert_eq!(kr.mnemonic("alice", Some(PASS)).unwrap().as_str(), ABANDON);

        kr.delete("alice").unwrap();
        assert!(matches!(
            kr.show("alice").unwrap_err(),
            KeyringError::NotFound { .. }
        ));
        assert!(matches!(
            kr.delete("alice").unwrap_err(),
            KeyringError::NotFound { .. }
        ));
        let names: Vec<_> = kr.list().unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["zed"]);
    }

    #[test]
    fn wrong_or_missing_passphrase() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::File).unwrap();
        kr.add("k1", ABANDON, Some(PASS)).unwrap();
        let e = kr.signer("k1", Some("not the passphrase")).unwrap_err();
        assert!(
            matches!(e, KeyringError::WrongPassphrase(ref n) if n == "k1"),
            "{e:?}"
        );
        assert!(e.to_string().contains("wrong passphrase"), "{e}");
        assert!(matches!(
            kr.signer("k1", None).unwrap_err(),
            KeyringError::PassphraseRequired(Backend::File)
        ));
        // Adding needs a passphrase of at least 8 characters.
        assert!(matches!(
            kr.add("k2", ZOO, None).unwrap_err(),
            KeyringError::PassphraseRequired(Backend::File)
        ));
        assert!(matches!(
            kr.add("k2", ZOO, Some("short")).unwrap_err(),
            KeyringError::PassphraseTooShort
        ));
        assert!(!kr.exists("k2").unwrap());
    }

    #[test]
    fn tampered_address_fails_decryption() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::File).unwrap();
        kr.add("k1", ABANDON, Some(PASS)).unwrap();
        // Swap in another key's public data; the associated data no longer matches.
        let path = kr.dir().join("k1.json");
        let other = PrivKey::from_mnemonic(ZOO, "").unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        v["address"] = other.address().to_string().into();
        v["pubkey"] = hex::encode(other.pubkey().0).into();
        fs::remove_file(&path).unwrap();
        fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(kr.show("k1").unwrap().address, other.address());
        assert!(matches!(
            kr.signer("k1", Some(PASS)).unwrap_err(),
            KeyringError::WrongPassphrase(_)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn file_and_dir_modes() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        for backend in [Backend::File, Backend::Test] {
            let kr = Keyring::open(home.path(), backend).unwrap();
            kr.add("k", ABANDON, Some(PASS)).unwrap();
            let fmode = fs::metadata(kr.dir().join("k.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(fmode & 0o777, 0o600, "{backend}");
            let dmode = fs::metadata(kr.dir()).unwrap().permissions().mode();
            assert_eq!(dmode & 0o777, 0o700, "{backend}");
        }
    }

    #[test]
    fn test_backend_round_trip() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::Test).unwrap();
        assert_eq!(kr.dir(), home.path().join("keyring-test"));
        let info = kr.add("dev", ZOO, None).unwrap();
        assert_eq!(info.address.to_string(), ZOO_ADDR);
        // No passphrase needed; any passphrase given is ignored.
        let k = kr.signer("dev", None).unwrap();
        assert_eq!(k.address(), info.address);
        assert_eq!(
            kr.signer("dev", Some("whatever")).unwrap().to_bytes(),
            k.to_bytes()
        );
        assert_eq!(kr.mnemonic("dev", None).unwrap().as_str(), ZOO);
        // Plain storage really is plain.
        let raw = fs::read_to_string(kr.dir().join("dev.json")).unwrap();
        assert!(raw.contains(ZOO));
        // A re-opened keyring sees the same key.
        let kr2 = Keyring::open(home.path(), Backend::Test).unwrap();
        assert_eq!(kr2.show("dev").unwrap(), info);
        // Backends are separate directories.
        let kf = Keyring::open(home.path(), Backend::File).unwrap();
        assert!(kf.list().unwrap().is_empty());
    }

    #[test]
    fn duplicate_name_and_address_rejected() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::Test).unwrap();
        kr.add("a", ABANDON, None).unwrap();
        let e = kr.add("a", ZOO, None).unwrap_err();
        assert!(
            matches!(e, KeyringError::AlreadyExists(ref n) if n == "a"),
            "{e:?}"
        );
        let e = kr.add("b", ABANDON, None).unwrap_err();
        assert!(
            matches!(e, KeyringError::DuplicateAddress { ref existing, .. } if existing == "a"),
            "{e:?}"
        );
        // The first key is untouched.
        assert_eq!(kr.show("a").unwrap().address.to_string(), ABANDON_ADDR);
        assert_eq!(kr.list().unwrap().len(), 1);
    }

    #[test]
    fn invalid_names_and_mnemonics() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::Test).unwrap();
        for bad in ["", "a/b", "../x", "has space", "ünï", &"x".repeat(65)] {
            assert!(
                matches!(
                    kr.add(bad, ABANDON, None),
                    Err(KeyringError::InvalidName(_))
                ),
                "{bad:?}"
            );
            assert!(matches!(kr.show(bad), Err(KeyringError::InvalidName(_))));
        }
        kr.add(&"x".repeat(64), ABANDON, None).unwrap();
        kr.add("A-b_c.9", ZOO, None).unwrap();
        let e = kr.add("m", "abandon abandon abandon", None).unwrap_err();
        assert!(
            matches!(e, KeyringError::Crypto(CryptoError::InvalidMnemonic(_))),
            "{e:?}"
        );
        assert!(!kr.exists("m").unwrap());
    }

    #[test]
    fn list_ignores_foreign_files_and_reports_corrupt_ones() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::Test).unwrap();
        kr.add("good", ABANDON, None).unwrap();
        fs::write(kr.dir().join("notes.txt"), "hello").unwrap();
        fs::create_dir(kr.dir().join("sub.json")).unwrap();
        assert_eq!(kr.list().unwrap().len(), 1);
        fs::write(kr.dir().join("bad.json"), "{not json").unwrap();
        let e = kr.list().unwrap_err();
        assert!(matches!(e, KeyringError::Corrupt { .. }), "{e:?}");
        assert!(e.to_string().contains("bad.json"), "{e}");
    }
    #[test]
    fn multisig_record_round_trip() {
        let home = tempfile::tempdir().unwrap();
        for backend in [Backend::File, Backend::Test] {
            let kr = Keyring::open(home.path(), backend).unwrap();
            let a = kr.add("a", ABANDON, Some(PASS)).unwrap();
            let z = kr.add("z", ZOO, Some(PASS)).unwrap();
            let keys = vec![
                z.pubkey.secp256k1().unwrap().clone(),
                a.pubkey.secp256k1().unwrap().clone(),
            ];
            let m = MultisigPubKey::new(2, keys, true).unwrap();
            // No passphrase is needed: a multisig record is public data only.
            let info = kr.add_multisig("ms", m.clone()).unwrap();
            assert!(info.is_multisig());
            assert_eq!(info.address, m.address());
            assert_eq!(kr.show("ms").unwrap(), info);
            assert_eq!(kr.list().unwrap().len(), 3);
            let e = kr.signer("ms", Some(PASS)).unwrap_err();
            assert!(matches!(e, KeyringError::MultisigCannotSign(_)), "{e:?}");
            assert!(e.to_string().contains("--multisig ms"), "{e}");
            // The same members and threshold give the same address: refused as a duplicate.
            let e = kr.add_multisig("ms2", m).unwrap_err();
            assert!(matches!(e, KeyringError::DuplicateAddress { .. }), "{e:?}");
        }
    }

    #[test]
    fn imported_private_key_has_no_mnemonic() {
        let home = tempfile::tempdir().unwrap();
        let kr = Keyring::open(home.path(), Backend::File).unwrap();
        let key = PrivKey::from_mnemonic(ZOO, "").unwrap();
        let e = kr.import_privkey("imp", &key, Some("short")).unwrap_err();
        assert!(matches!(e, KeyringError::PassphraseTooShort), "{e:?}");
        assert!(!kr.exists("imp").unwrap());
        let info = kr.import_privkey("imp", &key, Some(PASS)).unwrap();
        assert_eq!(info.address.to_string(), ZOO_ADDR);
        assert_eq!(
            kr.signer("imp", Some(PASS)).unwrap().to_bytes(),
            key.to_bytes()
        );
        assert!(matches!(
            kr.mnemonic("imp", Some(PASS)).unwrap_err(),
            KeyringError::NoMnemonic(_)
        ));
        let e = kr.import_privkey("again", &key, Some(PASS)).unwrap_err();
        assert!(matches!(e, KeyringError::DuplicateAddress { .. }), "{e:?}");
    }
}
