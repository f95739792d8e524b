//! kumo-crypto: secp256k1 keys, BIP-39 mnemonics and BIP-32 derivation on the Cosmos HD path,
//! bech32 account addresses, and a local keyring (see [`keyring`]).
//!
//! Everything here follows what unchanged Cosmos clients (cosmjs, cosmpy) expect:
//! * HD path `m/44'/118'/0'/0/0`, BIP-39 seed, BIP-32 secp256k1 derivation;
//! * address = RIPEMD-160(SHA-256(33-byte compressed public key)), bech32 (classic, BIP-173) with
//!   HRP `akash`;
//! * signatures are ECDSA secp256k1 over SHA-256(message), RFC 6979 deterministic, low-S, encoded as
//!   64 bytes `r || s`; verification rejects high-S signatures like the Cosmos SDK.

use std::fmt;
use std::str::FromStr;

use bech32::primitives::decode::{CheckedHrpstring, UncheckedHrpstring};
use bech32::{Bech32, Hrp};
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

pub mod armor;
mod bech32_fast;
pub mod keyring;
pub mod multisig;

pub use keyring::{Backend, KeyInfo, KeyPubKey, Keyring, KeyringError};
pub use multisig::MultisigPubKey;

/// The CometBFT tx hash: SHA-256 of the exact tx bytes (shown as upper-case hex).
pub fn tx_hash(tx_bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(tx_bytes).into()
}

/// Bech32 human-readable part of account addresses.
pub const ACCOUNT_HRP: &str = "akash";
/// BIP-44 derivation path used by cosmjs / the Cosmos SDK for coin type 118, account 0, index 0.
pub const HD_PATH: &str = "m/44'/118'/0'/0/0";

/// Length of an account address in bytes.
pub const ADDRESS_LEN: usize = 20;
/// Length of a compressed SEC1 secp256k1 public key in bytes.
pub const PUBKEY_LEN: usize = 33;
/// Length of an `r || s` signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// Errors from key handling, address parsing and mnemonic processing.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(String),
    #[error("key derivation failed: {0}")]
    Derivation(String),
    #[error("invalid private key: must be a non-zero scalar below the secp256k1 group order")]
    InvalidPrivateKey,
    #[error("invalid public key: {0}")]
    InvalidPubKey(String),
    #[error("invalid address length: expected {expected} bytes, got {got}")]
    InvalidAddressLength { expected: usize, got: usize },
    #[error("invalid bech32 address prefix: expected \"{expected}\", got \"{got}\"")]
    WrongBech32Prefix { expected: String, got: String },
    #[error("invalid bech32 checksum in \"{0}\"")]
    Bech32Checksum(String),
    #[error("malformed bech32 string \"{input}\": {reason}")]
    Bech32Malformed { input: String, reason: String },
    #[error("invalid multisig key: {0}")]
    InvalidMultisig(String),
}

// ---------------------------------------------------------------------------------------------
// Address
// ---------------------------------------------------------------------------------------------

/// A 20-byte account address: RIPEMD-160(SHA-256(compressed public key)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Address(pub [u8; ADDRESS_LEN]);

impl Address {
    /// Derives the address of a public key: RIPEMD-160(SHA-256(33-byte compressed key)).
    pub fn from_pubkey(pk: &PubKey) -> Address {
        let sha = Sha256::digest(pk.0);
        let rip = Ripemd160::digest(sha);
        let mut out = [0u8; ADDRESS_LEN];
        out.copy_from_slice(&rip);
        Address(out)
    }

    /// Builds an address from raw bytes, which must be exactly 20 bytes long.
    pub fn from_slice(b: &[u8]) -> Result<Address, CryptoError> {
        let arr: [u8; ADDRESS_LEN] =
            b.try_into()
                .map_err(|_| CryptoError::InvalidAddressLength {
                    expected: ADDRESS_LEN,
                    got: b.len(),
                })?;
        Ok(Address(arr))
    }

    /// Encodes the address as classic bech32 (BIP-173) with the given human-readable part, in
    /// lower case.
    ///
    /// # Panics
    /// If `hrp` is not a valid bech32 human-readable part (1-83 printable ASCII characters). HRPs
    /// are program constants such as [`ACCOUNT_HRP`], so this is a programming error.
    pub fn to_bech32(&self, hrp: &str) -> String {
        if let Some(s) = bech32_fast::encode20(hrp, &self.0) {
            return s;
        }
        let hrp = Hrp::parse(hrp).unwrap_or_else(|e| panic!("invalid bech32 hrp {hrp:?}: {e}"));
        bech32::encode_lower::<Bech32>(hrp, &self.0)
            .expect("a 20-byte payload always fits in a bech32 string")
    }

    /// Decodes a classic bech32 address and checks that its prefix is `hrp` and its payload is 20
    /// bytes. All-lowercase or all-uppercase input is accepted; mixed case is not.
    pub fn from_bech32(s: &str, hrp: &str) -> Result<Address, CryptoError> {
        if let Some(bytes) = bech32_fast::decode20(s, hrp) {
            return Ok(Address(bytes));
        }
        let malformed = |reason: String| CryptoError::Bech32Malformed {
            input: s.to_string(),
            reason,
        };
        let unchecked = UncheckedHrpstring::new(s).map_err(|e| malformed(e.to_string()))?;
        let got = unchecked.hrp().to_lowercase();
        let expected = hrp.to_ascii_lowercase();
        if got != expected {
            return Err(CryptoError::WrongBech32Prefix { expected, got });
        }
        let checked = CheckedHrpstring::new::<Bech32>(s).map_err(|e| {
            use bech32::primitives::decode::CheckedHrpstringError as E;
            match e {
                E::Checksum(_) => CryptoError::Bech32Checksum(s.to_string()),
                other => malformed(other.to_string()),
            }
        })?;
        let data_chars = checked.data_part_ascii_no_checksum().len();
        let bytes: Vec<u8> = checked.byte_iter().collect();
        // 20 bytes are exactly 32 five-bit groups; anything else is either a different length or
        // carries padding that a canonical encoder would never produce.
        if bytes.len() != ADDRESS_LEN || data_chars != (ADDRESS_LEN * 8).div_ceil(5) {
            return Err(CryptoError::InvalidAddressLength {
                expected: ADDRESS_LEN,
                got: bytes.len(),
            });
        }
        Address::from_slice(&bytes)
    }

    /// The raw 20 address bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Address {
    /// Formats as an `akash1…` bech32 string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32(ACCOUNT_HRP))
    }
}

impl FromStr for Address {
    type Err = CryptoError;
    /// Parses an `akash1…` bech32 string.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Address::from_bech32(s, ACCOUNT_HRP)
    }
}

impl AsRef<[u8]> for Address {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl serde::Serialize for Address {
    /// Serializes as the `akash1…` bech32 string.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    /// Deserializes from an `akash1…` bech32 string.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// PubKey
// ---------------------------------------------------------------------------------------------

/// A secp256k1 public key in 33-byte compressed SEC1 form.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PubKey(pub [u8; PUBKEY_LEN]);

impl PubKey {
    /// Parses a 33-byte compressed SEC1 public key; the bytes must encode a point on the curve.
    pub fn from_bytes(b: &[u8]) -> Result<PubKey, CryptoError> {
        if b.len() != PUBKEY_LEN {
            return Err(CryptoError::InvalidPubKey(format!(
                "expected {PUBKEY_LEN} bytes (compressed SEC1), got {}",
                b.len()
            )));
        }
        if b[0] != 0x02 && b[0] != 0x03 {
            return Err(CryptoError::InvalidPubKey(format!(
                "expected a compressed point (prefix 0x02 or 0x03), got prefix 0x{:02x}",
                b[0]
            )));
        }
        let mut out = [0u8; PUBKEY_LEN];
        out.copy_from_slice(b);
        parsed_point(&out).ok_or_else(|| {
            CryptoError::InvalidPubKey("bytes do not encode a point on secp256k1".into())
        })?;
        Ok(PubKey(out))
    }

    /// The account address of this key.
    pub fn address(&self) -> Address {
        Address::from_pubkey(self)
    }

    /// The 33 compressed key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Verifies a 64-byte `r || s` signature over SHA-256(msg); rejects high-S like the Cosmos SDK.
    /// Returns false for malformed keys or signatures.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        // libsecp256k1 verifies several times faster than the pure-Rust k256, and signature
        // checks dominate CheckTx; it also rejects high-S signatures, as the Cosmos SDK does.
        let Some(pk) = parsed_point(&self.0) else {
            return false;
        };
        let Ok(sig) = secp256k1::ecdsa::Signature::from_compact(sig) else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(msg).into();
        let msg = secp256k1::Message::from_digest(digest);
        secp256k1::SECP256K1.verify_ecdsa(&msg, &sig, &pk).is_ok()
    }
}

/// Parsed keys, shared by all threads: an account signs with the same key every time, and
/// decompressing a point (a field square root) is a tenth of a verification. Only valid points
/// are remembered; the map is emptied when full.
const PARSED_KEYS_MAX: usize = 16_384;

type ParsedKeys = std::collections::HashMap<[u8; PUBKEY_LEN], secp256k1::PublicKey>;

static PARSED_KEYS: std::sync::LazyLock<std::sync::Mutex<ParsedKeys>> =
    std::sync::LazyLock::new(Default::default);

/// The curve point of a compressed key (libsecp256k1 decompresses several times faster than
/// k256), or `None` if the bytes encode none.
fn parsed_point(bytes: &[u8; PUBKEY_LEN]) -> Option<secp256k1::PublicKey> {
    let cache = || PARSED_KEYS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pk) = cache().get(bytes) {
        return Some(*pk);
    }
    let pk = secp256k1::PublicKey::from_slice(bytes).ok()?;
    let mut cache = cache();
    if cache.len() >= PARSED_KEYS_MAX {
        cache.clear();
    }
    cache.insert(*bytes, pk);
    Some(pk)
}

impl TryFrom<&[u8]> for PubKey {
    type Error = CryptoError;
    fn try_from(b: &[u8]) -> Result<Self, Self::Error> {
        PubKey::from_bytes(b)
    }
}

// ---------------------------------------------------------------------------------------------
// PrivKey
// ---------------------------------------------------------------------------------------------

/// A secp256k1 private key. The secret is wiped from memory when dropped; `Debug` never prints it.
#[derive(Clone)]
pub struct PrivKey(SigningKey);

impl fmt::Debug for PrivKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivKey({}, <secret>)", self.address())
    }
}

impl PrivKey {
    /// Derives the key at [`HD_PATH`] from a BIP-39 mnemonic (English word list) and an optional
    /// BIP-39 passphrase (cosmjs and the Cosmos SDK use the empty string).
    pub fn from_mnemonic(mnemonic: &str, bip39_passphrase: &str) -> Result<PrivKey, CryptoError> {
        let m = parse_mnemonic(mnemonic)?;
        let mut seed = m.to_seed(bip39_passphrase);
        let path: bip32::DerivationPath = HD_PATH
            .parse()
            .map_err(|e| CryptoError::Derivation(format!("bad HD path {HD_PATH}: {e}")))?;
        let derived = bip32::XPrv::derive_from_path(seed, &path);
        seed.zeroize();
        let xprv = derived.map_err(|e| CryptoError::Derivation(e.to_string()))?;
        Ok(PrivKey(xprv.private_key().clone()))
    }

    /// Builds a key from its 32-byte big-endian scalar.
    pub fn from_bytes(b: &[u8; 32]) -> Result<PrivKey, CryptoError> {
        SigningKey::from_bytes(b.into())
            .map(PrivKey)
            .map_err(|_| CryptoError::InvalidPrivateKey)
    }

    /// The 32-byte big-endian scalar. Callers should wipe the copy when done with it.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes().into()
    }

    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate() -> PrivKey {
        PrivKey(SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// The compressed public key.
    pub fn pubkey(&self) -> PubKey {
        let point = self.0.verifying_key().to_encoded_point(true);
        let mut out = [0u8; PUBKEY_LEN];
        out.copy_from_slice(point.as_bytes());
        PubKey(out)
    }

    /// The account address of this key.
    pub fn address(&self) -> Address {
        self.pubkey().address()
    }

    /// Signs SHA-256(msg): RFC 6979 deterministic nonce, low-S, 64-byte `r || s`.
    pub fn sign(&self, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        let sig: Signature = self.0.sign(msg);
        // k256 already normalizes to low-S when signing; normalize again so the guarantee does not
        // depend on a library detail.
        let sig = sig.normalize_s().unwrap_or(sig);
        sig.to_bytes().into()
    }
}

// ---------------------------------------------------------------------------------------------
// Mnemonics
// ---------------------------------------------------------------------------------------------

fn parse_mnemonic(m: &str) -> Result<bip39::Mnemonic, CryptoError> {
    let normalized = m.split_whitespace().collect::<Vec<_>>().join(" ");
    if normalized.is_empty() {
        return Err(CryptoError::InvalidMnemonic("mnemonic is empty".into()));
    }
    bip39::Mnemonic::parse_in(bip39::Language::English, normalized.as_str())
        .map_err(|e| CryptoError::InvalidMnemonic(describe_bip39_error(&e)))
}

fn describe_bip39_error(e: &bip39::Error) -> String {
    match e {
        bip39::Error::BadWordCount(n) => {
            format!("expected 12, 15, 18, 21 or 24 words, got {n}")
        }
        bip39::Error::UnknownWord(i) => {
            format!("word {} is not in the BIP-39 English word list", i + 1)
        }
        bip39::Error::InvalidChecksum => {
            "checksum mismatch (a word is wrong or the words are out of order)".into()
        }
        other => other.to_string(),
    }
}

/// A fresh 24-word English BIP-39 mnemonic (256 bits of OS entropy).
pub fn generate_mnemonic() -> String {
    use rand::RngCore;
    let mut entropy = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut entropy);
    let m = bip39::Mnemonic::from_entropy(&entropy).expect("32 bytes is a valid entropy length");
    entropy.zeroize();
    m.to_string()
}

/// Checks that `m` is a valid English BIP-39 mnemonic (word list, word count and checksum).
pub fn validate_mnemonic(m: &str) -> Result<(), CryptoError> {
    parse_mnemonic(m).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::VerifyingKey;
    use k256::elliptic_curve::scalar::IsHigh;

    const ABANDON: &str =
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                           abandon abandon about";
    const ZOO: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";

    /// secp256k1 group order n, big-endian.
    const ORDER: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];

    fn sub_be(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let mut d = a[i] as i16 - b[i] as i16 - borrow;
            borrow = if d < 0 {
                d += 256;
                1
            } else {
                0
            };
            out[i] = d as u8;
        }
        assert_eq!(borrow, 0);
        out
    }

    #[test]
    fn mnemonic_vectors_match_cosmjs() {
        let a = PrivKey::from_mnemonic(ABANDON, "").unwrap();
        assert_eq!(
            a.address().to_string(),
            "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0"
        );
        let z = PrivKey::from_mnemonic(ZOO, "").unwrap();
        assert_eq!(
            z.address().to_string(),
            "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6"
        );
        assert_eq!(a.pubkey().address(), a.address());
    }

    #[test]
    fn bip39_passphrase_changes_key() {
        let a = PrivKey::from_mnemonic(ABANDON, "").unwrap();
        let b = PrivKey::from_mnemonic(ABANDON, "TREZOR").unwrap();
        assert_ne!(a.address(), b.address());
    }

    #[test]
    fn mnemonic_whitespace_is_normalized() {
        let messy = format!("  {}\n", ABANDON.replace(' ', "   "));
        let a = PrivKey::from_mnemonic(&messy, "").unwrap();
        assert_eq!(
            a.address().to_string(),
            "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0"
        );
    }

    #[test]
    fn invalid_mnemonics_are_rejected() {
        let e = validate_mnemonic("abandon abandon abandon").unwrap_err();
        assert!(e.to_string().contains("got 3"), "{e}");
        let bad_word = ABANDON.replace("about", "aboot");
        let e = validate_mnemonic(&bad_word).unwrap_err();
        assert!(e.to_string().contains("word 12"), "{e}");
        let bad_sum = ABANDON.replace("about", "abandon");
        let e = validate_mnemonic(&bad_sum).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        assert!(validate_mnemonic("").is_err());
        assert!(PrivKey::from_mnemonic(&bad_sum, "").is_err());
        validate_mnemonic(ABANDON).unwrap();
    }

    #[test]
    fn generated_mnemonic_is_24_valid_words_and_random() {
        let m1 = generate_mnemonic();
        let m2 = generate_mnemonic();
        assert_eq!(m1.split(' ').count(), 24);
        validate_mnemonic(&m1).unwrap();
        assert_ne!(m1, m2);
        PrivKey::from_mnemonic(&m1, "").unwrap();
    }

    #[test]
    fn sign_verify_round_trip() {
        let k = PrivKey::from_mnemonic(ABANDON, "").unwrap();
        let pk = k.pubkey();
        let msg = b"kumo sign doc bytes";
        let sig = k.sign(msg);
        assert!(pk.verify(msg, &sig));
        // RFC 6979: deterministic.
        assert_eq!(sig, k.sign(msg));
        // Low-S: s <= n/2.
        let s = Signature::from_slice(&sig).unwrap();
        assert!(!bool::from(s.s().is_high()));
        // A different key does not verify it.
        let other = PrivKey::from_mnemonic(ZOO, "").unwrap();
        assert!(!other.pubkey().verify(msg, &sig));
    }

    #[test]
    fn tampered_message_and_signature_rejected() {
        let k = PrivKey::generate();
        let pk = k.pubkey();
        let msg = b"pay 10uakt to bob".to_vec();
        let sig = k.sign(&msg);
        let mut m2 = msg.clone();
        m2[4] ^= 1;
        assert!(!pk.verify(&m2, &sig));
        let mut s2 = sig;
        s2[10] ^= 0x80;
        assert!(!pk.verify(&msg, &s2));
        assert!(!pk.verify(&msg, &sig[..63]));
        assert!(!pk.verify(&msg, &[0u8; 64]));
        assert!(!PubKey([0u8; 33]).verify(&msg, &sig));
    }

    #[test]
    fn high_s_signature_rejected() {
        let k = PrivKey::from_mnemonic(ZOO, "").unwrap();
        let pk = k.pubkey();
        let msg = b"malleability";
        let sig = k.sign(msg);
        assert!(pk.verify(msg, &sig));
        // (r, n - s) is the same signature mathematically; the SDK rejects it.
        let high_s = sub_be(&ORDER, &sig[32..]);
        let mut mall = [0u8; 64];
        mall[..32].copy_from_slice(&sig[..32]);
        mall[32..].copy_from_slice(&high_s);
        let parsed = Signature::from_slice(&mall).unwrap();
        assert!(bool::from(parsed.s().is_high()));
        // Without the low-S rule it would be valid: normalizing it back gives the original.
        assert_eq!(
            parsed.normalize_s().unwrap().to_bytes().as_slice(),
            &sig[..]
        );
        assert!(!pk.verify(msg, &mall));
    }

    #[test]
    fn privkey_bytes_round_trip() {
        let k = PrivKey::generate();
        let b = k.to_bytes();
        let k2 = PrivKey::from_bytes(&b).unwrap();
        assert_eq!(k.pubkey(), k2.pubkey());
        assert!(PrivKey::from_bytes(&[0u8; 32]).is_err());
        assert!(PrivKey::from_bytes(&ORDER).is_err());
        assert!(!format!("{k:?}").contains(&hex::encode(b)));
    }

    #[test]
    fn pubkey_validation() {
        let pk = PrivKey::generate().pubkey();
        assert_eq!(PubKey::from_bytes(&pk.0).unwrap(), pk);
        assert!(PubKey::from_bytes(&pk.0[..32]).is_err());
        let mut bad = pk.0;
        bad[0] = 0x04;
        assert!(PubKey::from_bytes(&bad).is_err());
        // x = 5 is not on secp256k1 (5^3 + 7 = 132 is not a square mod p).
        let mut off = [0u8; 33];
        off[0] = 0x02;
        off[32] = 5;
        assert!(PubKey::from_bytes(&off).is_err());
        // Uncompressed encodings are refused.
        let vk = VerifyingKey::from_sec1_bytes(&pk.0).unwrap();
        let unc = vk.to_encoded_point(false);
        assert!(PubKey::from_bytes(unc.as_bytes()).is_err());
    }

    #[test]
    fn bech32_round_trip_and_errors() {
        let addr: Address = "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0"
            .parse()
            .unwrap();
        assert_eq!(addr.to_bech32(ACCOUNT_HRP), addr.to_string());
        assert_eq!(addr.as_bytes().len(), 20);
        // Upper case is accepted.
        let up = Address::from_bech32("AKASH19RL4CM2HMR8AFY4KLDPXZ3FKA4JGUQ0A3MQ6X0", ACCOUNT_HRP)
            .unwrap();
        assert_eq!(up, addr);
        // Other HRPs encode the same bytes.
        let val = addr.to_bech32("akashvaloper");
        assert!(val.starts_with("akashvaloper1"));
        assert_eq!(Address::from_bech32(&val, "akashvaloper").unwrap(), addr);

        // Wrong prefix names both prefixes.
        let e = Address::from_bech32(&val, ACCOUNT_HRP).unwrap_err();
        assert!(matches!(e, CryptoError::WrongBech32Prefix { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("\"akash\"") && msg.contains("\"akashvaloper\""),
            "{msg}"
        );
        let cosmos = addr.to_bech32("cosmos");
        assert!(matches!(
            cosmos.parse::<Address>().unwrap_err(),
            CryptoError::WrongBech32Prefix { .. }
        ));

        // Bad checksum: change the last character.
        let mut s = addr.to_string();
        let last = s.pop().unwrap();
        s.push(if last == 'q' { 'p' } else { 'q' });
        let e = s.parse::<Address>().unwrap_err();
        assert!(matches!(e, CryptoError::Bech32Checksum(_)), "{e:?}");
        assert!(e.to_string().contains("checksum"));

        // Wrong length: a valid bech32 string carrying 32 bytes.
        let long =
            bech32::encode_lower::<Bech32>(Hrp::parse("akash").unwrap(), &[7u8; 32]).unwrap();
        let e = long.parse::<Address>().unwrap_err();
        assert!(
            matches!(
                e,
                CryptoError::InvalidAddressLength {
                    expected: 20,
                    got: 32
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("expected 20 bytes, got 32"));

        // Bech32m checksum is not classic bech32.
        let m =
            bech32::encode_lower::<bech32::Bech32m>(Hrp::parse("akash").unwrap(), &addr.0).unwrap();
        assert!(matches!(
            m.parse::<Address>().unwrap_err(),
            CryptoError::Bech32Checksum(_)
        ));

        // Malformed strings.
        assert!(matches!(
            "akash".parse::<Address>().unwrap_err(),
            CryptoError::Bech32Malformed { .. }
        ));
        assert!(matches!(
            "akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6xb"
                .parse::<Address>()
                .unwrap_err(),
            CryptoError::Bech32Malformed { .. } | CryptoError::Bech32Checksum(_)
        ));
        assert!("Akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0"
            .parse::<Address>()
            .is_err());
        assert!("".parse::<Address>().is_err());
    }

    #[test]
    fn address_serde_is_bech32_string() {
        let addr = PrivKey::from_mnemonic(ABANDON, "").unwrap().address();
        let j = serde_json::to_string(&addr).unwrap();
        assert_eq!(j, "\"akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0\"");
        let back: Address = serde_json::from_str(&j).unwrap();
        assert_eq!(back, addr);
        assert!(serde_json::from_str::<Address>("\"cosmos1xyz\"").is_err());
    }

    #[test]
    fn address_from_slice_checks_length() {
        assert!(Address::from_slice(&[1u8; 20]).is_ok());
        assert!(matches!(
            Address::from_slice(&[1u8; 19]),
            Err(CryptoError::InvalidAddressLength {
                expected: 20,
                got: 19
            })
        ));
    }
}
