//! Multisig public keys: the Cosmos SDK's `/cosmos.crypto.multisig.LegacyAminoPubKey`, a
//! threshold and a list of secp256k1 member keys ("k of n").
//!
//! Its address follows the legacy amino rule (not the secp256k1 one): the first 20 bytes of
//! SHA-256 over the key's amino binary encoding, which is the registered type prefix of
//! `tendermint/PubKeyMultisigThreshold` (`22 C1 F7 E2`) followed by the struct fields:
//!
//! ```text
//! 22 C1 F7 E2                      amino prefix of tendermint/PubKeyMultisigThreshold
//! 08 <varint threshold>            field 1, varint
//! for each member key:
//!   12 26                          field 2, length-delimited, 38 bytes
//!   EB 5A E9 87 21 <33 key bytes>  tendermint/PubKeySecp256k1 prefix, length 33, the key
//! ```
//!
//! Members are sorted by their address bytes unless the creator asks not to (the SDK CLI's
//! `keys add --multisig` sorts by default, `--nosort` keeps the given order); the order changes
//! the address.

use sha2::{Digest, Sha256};

use crate::{Address, CryptoError, PubKey, ADDRESS_LEN, PUBKEY_LEN};

/// Amino registered-type prefix of `tendermint/PubKeyMultisigThreshold`.
pub const AMINO_MULTISIG_PREFIX: [u8; 4] = [0x22, 0xC1, 0xF7, 0xE2];
/// Amino registered-type prefix of `tendermint/PubKeySecp256k1`.
pub const AMINO_SECP256K1_PREFIX: [u8; 4] = [0xEB, 0x5A, 0xE9, 0x87];
/// Most member keys a multisig key may have. The SDK bounds a tx by its total number of
/// (sub-)keys through the auth param `tx_sig_limit` (default 7); a keyring record larger than
/// this could never sign anything useful.
pub const MAX_MULTISIG_KEYS: usize = 20;

/// A k-of-n multisig public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultisigPubKey {
    threshold: u32,
    keys: Vec<PubKey>,
}

impl MultisigPubKey {
    /// A multisig key needing `threshold` signatures from `keys`. With `sort`, the members are
    /// ordered by address bytes (the SDK default). Refuses a threshold of 0 or above the number
    /// of keys, an empty or oversized member list, and a key listed twice.
    pub fn new(threshold: u32, mut keys: Vec<PubKey>, sort: bool) -> Result<Self, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::InvalidMultisig(
                "a multisig key needs at least one member key".into(),
            ));
        }
        if keys.len() > MAX_MULTISIG_KEYS {
            return Err(CryptoError::InvalidMultisig(format!(
                "{} member keys given; at most {MAX_MULTISIG_KEYS} are supported",
                keys.len()
            )));
        }
        if threshold == 0 {
            return Err(CryptoError::InvalidMultisig(
                "threshold must be at least 1".into(),
            ));
        }
        if threshold as usize > keys.len() {
            return Err(CryptoError::InvalidMultisig(format!(
                "threshold {threshold} is larger than the number of member keys ({})",
                keys.len()
            )));
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].contains(k) {
                return Err(CryptoError::InvalidMultisig(format!(
                    "member key {} is listed twice",
                    k.address()
                )));
            }
        }
        if sort {
            keys.sort_by_key(|k| k.address().0);
        }
        Ok(MultisigPubKey { threshold, keys })
    }

    /// How many member signatures a transaction needs.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// The member keys, in the key's order (the order of the bit array in signatures).
    pub fn keys(&self) -> &[PubKey] {
        &self.keys
    }

    /// The legacy amino binary encoding (see the module docs); its hash is the address.
    pub fn amino_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 6 + self.keys.len() * (2 + 5 + PUBKEY_LEN));
        out.extend_from_slice(&AMINO_MULTISIG_PREFIX);
        out.push(0x08);
        put_uvarint(&mut out, u64::from(self.threshold));
        for k in &self.keys {
            out.push(0x12);
            out.push((AMINO_SECP256K1_PREFIX.len() + 1 + PUBKEY_LEN) as u8);
            out.extend_from_slice(&AMINO_SECP256K1_PREFIX);
            out.push(PUBKEY_LEN as u8);
            out.extend_from_slice(k.as_bytes());
        }
        out
    }

    /// The account address: the first 20 bytes of SHA-256 over [`Self::amino_bytes`].
    pub fn address(&self) -> Address {
        let digest = Sha256::digest(self.amino_bytes());
        let mut out = [0u8; ADDRESS_LEN];
        out.copy_from_slice(&digest[..ADDRESS_LEN]);
        Address(out)
    }

    /// The position of `key` among the members, if it is one.
    pub fn index_of(&self, key: &PubKey) -> Option<usize> {
        self.keys.iter().position(|k| k == key)
    }
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Decodes a legacy bech32 secp256k1 public key (`akashpub1addwnpep…`, the amino encoding
/// `EB 5A E9 87 21 <33 bytes>` in bech32), as older Cosmos CLIs print them.
pub fn pubkey_from_legacy_bech32(s: &str) -> Result<PubKey, CryptoError> {
    use bech32::primitives::decode::CheckedHrpstring;
    use bech32::Bech32;
    let checked = CheckedHrpstring::new::<Bech32>(s).map_err(|e| CryptoError::Bech32Malformed {
        input: s.to_string(),
        reason: e.to_string(),
    })?;
    let bytes: Vec<u8> = checked.byte_iter().collect();
    let Some(rest) = bytes.strip_prefix(&AMINO_SECP256K1_PREFIX[..]) else {
        return Err(CryptoError::InvalidPubKey(format!(
            "{s} is not an amino secp256k1 public key (expected the prefix eb5ae987)"
        )));
    };
    match rest.split_first() {
        Some((&len, key)) if usize::from(len) == PUBKEY_LEN && key.len() == PUBKEY_LEN => {
            PubKey::from_bytes(key)
        }
        _ => Err(CryptoError::InvalidPubKey(format!(
            "{s}: expected a 33-byte compressed key after the amino prefix"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bech32::primitives::decode::CheckedHrpstring;
    use bech32::Bech32;

    // Keys and expected results made by wasmd (the Go Cosmos SDK) with
    // `keys add testgroup1 --multisig=test1,test2,test3 --multisig-threshold 2`, as recorded in
    // cosmjs' amino test data (packages/amino/src/testutils.spec.ts, addresses.spec.ts).
    const TEST1: &str =
        "wasmpub1addwnpepqwxttx8w2sfs6d8cuzqcuau84grp8xsw95qzdjkmvc44tnckskdxw3zw2km";
    const TEST2: &str =
        "wasmpub1addwnpepq2gx7x7e29kge5a4ycunytyqr0u8ynql5h583s8r9wdads9m3v8ks6y0nhc";
    const TEST3: &str =
        "wasmpub1addwnpepq0xfx5vavxmgdkn0p6x0l9p3udttghu3qcldd7ql08wa3xy93qq0xuzvtxc";
    const GROUP1_2_OF_3: &str = "wasmpub1ytql0csgqgfzd666axrjzquvkkvwu4qnp5603cyp3emc02sxzwdqutgqym9dke3t2h83dpv6vufzd666axrjzq5sdudaj5tv3nfm2f3exgkgqxlcwfxplf0g0rqwx2um6mqthzc0dqfzd666axrjzq7vjdge6cdksmdx7r5vl72rrc6kk30ezp376mup77wamzvgtzqq7v7aysdd";
    const GROUP1_ADDRESS_HEX: &str = "0892a77fab2fa7e192c3b7b2741e6682f3abb72f";
    const GROUP1_ADDRESS_WASM: &str = "wasm1pzf2wlat97n7rykrk7e8g8nxste6hde0r8jqsy";
    // testgroup3 (`--multisig=test3,test1`, sorted) and testgroup4 (the same with --nosort).
    const GROUP3_SORTED: &str = "wasmpub1ytql0csgqgfzd666axrjzquvkkvwu4qnp5603cyp3emc02sxzwdqutgqym9dke3t2h83dpv6vufzd666axrjzq7vjdge6cdksmdx7r5vl72rrc6kk30ezp376mup77wamzvgtzqq7vzjhugu";
    const GROUP4_NOSORT: &str = "wasmpub1ytql0csgqgfzd666axrjzq7vjdge6cdksmdx7r5vl72rrc6kk30ezp376mup77wamzvgtzqq7vfzd666axrjzquvkkvwu4qnp5603cyp3emc02sxzwdqutgqym9dke3t2h83dpv6vujvg56k";

    fn bech32_data(s: &str) -> Vec<u8> {
        CheckedHrpstring::new::<Bech32>(s)
            .unwrap()
            .byte_iter()
            .collect()
    }

    fn members() -> (PubKey, PubKey, PubKey) {
        (
            pubkey_from_legacy_bech32(TEST1).unwrap(),
            pubkey_from_legacy_bech32(TEST2).unwrap(),
            pubkey_from_legacy_bech32(TEST3).unwrap(),
        )
    }

    #[test]
    fn member_keys_decode_to_the_recorded_addresses() {
        let (t1, t2, t3) = members();
        assert_eq!(
            hex::encode(t1.as_bytes()),
            "038cb598ee54130d34f8e0818e7787aa06139a0e2d0026cadb662b55cf16859a67"
        );
        assert_eq!(
            hex::encode(t1.address().0),
            "9028577891aee00d15157444c069b4bc60bc764d"
        );
        assert_eq!(
            hex::encode(t2.address().0),
            "aeb3454b420dcce3ef5ec08e7d3fada725c39558"
        );
        assert_eq!(
            hex::encode(t3.address().0),
            "eeb861aa9b71c0838851fabac83650666f5220b0"
        );
    }

    #[test]
    fn two_of_three_matches_the_sdk_encoding_and_address() {
        let (t1, t2, t3) = members();
        // Given out of order: sorting by address restores test1, test2, test3.
        let m = MultisigPubKey::new(2, vec![t3.clone(), t1.clone(), t2.clone()], true).unwrap();
        assert_eq!(m.keys(), &[t1, t2, t3]);
        assert_eq!(m.amino_bytes(), bech32_data(GROUP1_2_OF_3));
        assert_eq!(hex::encode(m.address().0), GROUP1_ADDRESS_HEX);
        assert_eq!(m.address().to_bech32("wasm"), GROUP1_ADDRESS_WASM);
    }

    #[test]
    fn sorting_and_nosort_match_the_sdk() {
        let (t1, _, t3) = members();
        let sorted = MultisigPubKey::new(2, vec![t3.clone(), t1.clone()], true).unwrap();
        assert_eq!(sorted.amino_bytes(), bech32_data(GROUP3_SORTED));
        let nosort = MultisigPubKey::new(2, vec![t3.clone(), t1.clone()], false).unwrap();
        assert_eq!(nosort.amino_bytes(), bech32_data(GROUP4_NOSORT));
        assert_ne!(sorted.address(), nosort.address());
        assert_eq!(nosort.index_of(&t1), Some(1));
    }

    #[test]
    fn bad_thresholds_and_member_lists_are_refused() {
        let (t1, t2, t3) = members();
        let three = vec![t1.clone(), t2.clone(), t3.clone()];
        let e = MultisigPubKey::new(0, three.clone(), true).unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
        let e = MultisigPubKey::new(4, three, true).unwrap_err();
        assert!(
            e.to_string()
                .contains("threshold 4 is larger than the number of member keys (3)"),
            "{e}"
        );
        let e = MultisigPubKey::new(1, vec![], true).unwrap_err();
        assert!(e.to_string().contains("at least one member"), "{e}");
        let e = MultisigPubKey::new(1, vec![t1.clone(), t1], true).unwrap_err();
        assert!(e.to_string().contains("listed twice"), "{e}");
    }

    #[test]
    fn legacy_bech32_pubkey_errors() {
        let e =
            pubkey_from_legacy_bech32("akash19rl4cm2hmr8afy4kldpxz3fka4jguq0a3mq6x0").unwrap_err();
        assert!(e.to_string().contains("not an amino secp256k1"), "{e}");
        assert!(pubkey_from_legacy_bech32("nonsense").is_err());
    }
}
