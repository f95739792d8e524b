//! The two string orders Akash's TS SDL code uses: `Array.prototype.sort()` (UTF-16 code units)
//! and `String.prototype.localeCompare` (ICU root collation), the latter approximated for the
//! ASCII names that SDLs contain: punctuation before digits before letters, letters compared
//! case-insensitively first, then lowercase before uppercase.

use std::cmp::Ordering;

pub fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// ICU root order of ASCII punctuation and symbols (all sort before digits and letters).
const PUNCT: &str = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$";

fn primary(c: char) -> (u8, u32) {
    if c.is_ascii_digit() {
        (2, c as u32)
    } else if c.is_ascii_alphabetic() {
        (3, c.to_ascii_lowercase() as u32)
    } else if let Some(i) = PUNCT.find(c) {
        (1, i as u32)
    } else if c.is_whitespace() {
        (0, c as u32)
    } else {
        (4, c as u32)
    }
}

pub fn locale_cmp(a: &str, b: &str) -> Ordering {
    let pa = a.chars().map(primary);
    let pb = b.chars().map(primary);
    pa.cmp(pb).then_with(|| {
        // Tertiary difference: lowercase sorts before uppercase.
        let t = |s: &str| {
            s.chars()
                .map(|c| c.is_ascii_uppercase())
                .collect::<Vec<_>>()
        };
        t(a).cmp(&t(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders() {
        let mut v = vec!["b", "B", "a-b", "a", "a1", "_x", "ab", "A"];
        v.sort_by(|a, b| locale_cmp(a, b));
        assert_eq!(v, ["_x", "a", "A", "a-b", "a1", "ab", "b", "B"]);
        assert_eq!(utf16_cmp("B", "a"), Ordering::Less);
    }
}
