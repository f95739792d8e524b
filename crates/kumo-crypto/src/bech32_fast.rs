//! Classic bech32 (BIP-173) for the one shape the chain handles constantly: a lower-case,
//! 20-byte account address. Every transfer event and every parsed message carries several, and
//! the general-purpose `bech32` crate spends most of its time in iterator plumbing. Anything
//! outside the fast shape (upper case, other lengths, a bad checksum) returns `None`, and the
//! caller falls back to the crate, which also words the errors.

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR: [u32; 5] = [
    0x3b6a_57b2,
    0x2650_8e6d,
    0x1ea1_19fa,
    0x3d42_33dd,
    0x2a14_62b3,
];
/// 20 bytes are exactly 32 five-bit groups: no padding.
const DATA_CHARS: usize = 32;
const CHECKSUM_CHARS: usize = 6;
/// BIP-173's limit on a whole string.
const MAX_LEN: usize = 90;

/// The inverse of [`CHARSET`]; 0xff marks characters outside it.
const REVERSE: [u8; 128] = {
    let mut r = [0xffu8; 128];
    let mut i = 0;
    while i < 32 {
        r[CHARSET[i] as usize] = i as u8;
        i += 1;
    }
    r
};

fn polymod_step(chk: u32, value: u8) -> u32 {
    let top = chk >> 25;
    let mut chk = ((chk & 0x01ff_ffff) << 5) ^ value as u32;
    for (i, g) in GENERATOR.iter().enumerate() {
        // Without branches: the mask is all ones when bit i of `top` is set.
        chk ^= g & 0u32.wrapping_sub((top >> i) & 1);
    }
    chk
}

/// A lower-case HRP the fast path accepts (printable ASCII, no upper case), with room for a
/// 20-byte payload within the length limit.
fn hrp_ok(hrp: &str) -> bool {
    !hrp.is_empty()
        && hrp.len() + 1 + DATA_CHARS + CHECKSUM_CHARS <= MAX_LEN
        && hrp
            .bytes()
            .all(|c| (33..=126).contains(&c) && !c.is_ascii_uppercase())
}

/// The checksum state after the expanded HRP.
fn hrp_state(hrp: &[u8]) -> u32 {
    let mut chk = 1;
    for &c in hrp {
        chk = polymod_step(chk, c >> 5);
    }
    chk = polymod_step(chk, 0);
    for &c in hrp {
        chk = polymod_step(chk, c & 31);
    }
    chk
}

fn to_groups(bytes: &[u8; 20]) -> [u8; DATA_CHARS] {
    let mut out = [0u8; DATA_CHARS];
    // Five bytes (40 bits) make eight groups.
    for (chunk, groups) in bytes.chunks_exact(5).zip(out.chunks_exact_mut(8)) {
        let v = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
        for (j, g) in groups.iter_mut().enumerate() {
            *g = ((v >> (35 - 5 * j)) & 31) as u8;
        }
    }
    out
}

fn from_groups(groups: &[u8; DATA_CHARS]) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (gs, chunk) in groups.chunks_exact(8).zip(out.chunks_exact_mut(5)) {
        let v = gs.iter().fold(0u64, |acc, &g| (acc << 5) | g as u64);
        for (j, b) in chunk.iter_mut().enumerate() {
            *b = (v >> (32 - 8 * j)) as u8;
        }
    }
    out
}

/// `hrp1…` for a 20-byte payload, or `None` when `hrp` is outside the fast shape.
pub(crate) fn encode20(hrp: &str, bytes: &[u8; 20]) -> Option<String> {
    if !hrp_ok(hrp) {
        return None;
    }
    let groups = to_groups(bytes);
    let mut chk = hrp_state(hrp.as_bytes());
    let mut s = Vec::with_capacity(hrp.len() + 1 + DATA_CHARS + CHECKSUM_CHARS);
    s.extend_from_slice(hrp.as_bytes());
    s.push(b'1');
    for &g in &groups {
        chk = polymod_step(chk, g);
        s.push(CHARSET[g as usize]);
    }
    for _ in 0..CHECKSUM_CHARS {
        chk = polymod_step(chk, 0);
    }
    chk ^= 1;
    for i in 0..CHECKSUM_CHARS {
        s.push(CHARSET[((chk >> (5 * (5 - i))) & 31) as usize]);
    }
    Some(String::from_utf8(s).expect("bech32 characters are ASCII"))
}

/// The 20-byte payload of a lower-case `hrp1…` string with a valid checksum; `None` for
/// anything else (which may still be valid in upper case: the caller decides).
pub(crate) fn decode20(s: &str, hrp: &str) -> Option<[u8; 20]> {
    let b = s.as_bytes();
    if !hrp_ok(hrp)
        || b.len() != hrp.len() + 1 + DATA_CHARS + CHECKSUM_CHARS
        || &b[..hrp.len()] != hrp.as_bytes()
        || b[hrp.len()] != b'1'
    {
        return None;
    }
    let mut chk = hrp_state(hrp.as_bytes());
    let mut groups = [0u8; DATA_CHARS];
    for (i, &c) in b[hrp.len() + 1..].iter().enumerate() {
        let v = *REVERSE.get(c as usize)?;
        if v == 0xff {
            return None;
        }
        chk = polymod_step(chk, v);
        if i < DATA_CHARS {
            groups[i] = v;
        }
    }
    (chk == 1).then(|| from_groups(&groups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bech32::{Bech32, Hrp};

    fn crate_encode(hrp: &str, bytes: &[u8; 20]) -> String {
        bech32::encode_lower::<Bech32>(Hrp::parse(hrp).unwrap(), bytes).unwrap()
    }

    /// Deterministic pseudo-random bytes (xorshift), so the test needs no RNG.
    fn bytes(seed: u64) -> [u8; 20] {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut out = [0u8; 20];
        for b in &mut out {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        out
    }

    #[test]
    fn encodes_as_the_bech32_crate_does() {
        for hrp in ["akash", "akashvaloper", "cosmos", "a", "x-y.z"] {
            for seed in 0..500 {
                let b = bytes(seed);
                assert_eq!(encode20(hrp, &b).unwrap(), crate_encode(hrp, &b));
            }
            assert_eq!(
                encode20(hrp, &[0; 20]).unwrap(),
                crate_encode(hrp, &[0; 20])
            );
            assert_eq!(
                encode20(hrp, &[0xff; 20]).unwrap(),
                crate_encode(hrp, &[0xff; 20])
            );
        }
    }

    #[test]
    fn decodes_what_it_encodes_and_nothing_else() {
        for seed in 0..200 {
            let b = bytes(seed);
            let s = encode20("akash", &b).unwrap();
            assert_eq!(decode20(&s, "akash"), Some(b));
            // Every single-character change is refused (bech32 detects them all).
            for i in 0..s.len() {
                for c in CHARSET.iter().chain(b"1A") {
                    let mut m = s.clone().into_bytes();
                    if m[i] == *c {
                        continue;
                    }
                    m[i] = *c;
                    let m = String::from_utf8(m).unwrap();
                    assert_eq!(decode20(&m, "akash"), None, "{m}");
                }
            }
            assert_eq!(decode20(&s.to_uppercase(), "akash"), None);
            assert_eq!(decode20(&s, "cosmos"), None);
            assert_eq!(decode20(&s[..s.len() - 1], "akash"), None);
        }
    }

    #[test]
    fn leaves_other_shapes_to_the_crate() {
        assert_eq!(encode20("Akash", &[1; 20]), None);
        assert_eq!(encode20("", &[1; 20]), None);
        assert_eq!(encode20(&"a".repeat(52), &[1; 20]), None);
        assert!(encode20(&"a".repeat(51), &[1; 20]).is_some());
    }
}
