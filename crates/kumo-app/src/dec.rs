//! LegacyDec arithmetic the token economy needs beyond `kumo_proto::math::Dec`: products of two
//! 18-decimal numbers overflow u128 (3.9·10^14 uakt of supply × 10^18 × a ratio), so
//! `mul_div` takes a 256-bit intermediate. DecCoins are (denom -> atomics) maps, sorted by denom.
//! Integers only; every rounding is stated (floor unless the name says otherwise).

use crate::coins::Coin;
use cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin;
use kumo_proto::math::DEC_ONE;
use std::collections::BTreeMap;

const LOW: u128 = u64::MAX as u128;

/// a × b as (high, low) 128-bit halves.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let lo = (p00 & LOW) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// (hi·2^128 + lo) / d as (quotient, remainder); None when d is 0 or the quotient overflows.
fn div_wide(hi: u128, lo: u128, d: u128) -> Option<(u128, u128)> {
    if d == 0 || hi >= d {
        return None;
    }
    let (mut r, mut q) = (hi, 0u128);
    for i in (0..128).rev() {
        let carry = r >> 127;
        r = (r << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || r >= d {
            r = r.wrapping_sub(d);
            q |= 1;
        }
    }
    Some((q, r))
}

/// floor(a × b / d); None on division by zero or overflow.
pub fn mul_div(a: u128, b: u128, d: u128) -> Option<u128> {
    let (hi, lo) = mul_wide(a, b);
    div_wide(hi, lo, d).map(|(q, _)| q)
}

/// ceil(a × b / d).
pub fn mul_div_ceil(a: u128, b: u128, d: u128) -> Option<u128> {
    let (hi, lo) = mul_wide(a, b);
    let (q, r) = div_wide(hi, lo, d)?;
    if r > 0 {
        q.checked_add(1)
    } else {
        Some(q)
    }
}

/// a × b / d rounded half up (the SDK's `LegacyDec.Quo` rounding).
pub fn mul_div_round(a: u128, b: u128, d: u128) -> Option<u128> {
    let (hi, lo) = mul_wide(a, b);
    let (q, r) = div_wide(hi, lo, d)?;
    if r >= d - r {
        q.checked_add(1)
    } else {
        Some(q)
    }
}

/// Dec × Dec, truncated (`MulTruncate`), both as atomics.
pub fn dec_mul(a: u128, b: u128) -> u128 {
    mul_div(a, b, DEC_ONE).expect("LegacyDec product within range")
}

/// Dec × Dec rounded half to even (`LegacyDec.Mul`'s banker's rounding).
pub fn dec_mul_bankers(a: u128, b: u128) -> u128 {
    let (hi, lo) = mul_wide(a, b);
    let (q, r) = div_wide(hi, lo, DEC_ONE).expect("LegacyDec product within range");
    let half = DEC_ONE / 2;
    if r > half || (r == half && q % 2 == 1) {
        q + 1
    } else {
        q
    }
}

/// Dec / Dec, truncated (`QuoTruncate`), both as atomics.
pub fn dec_quo(a: u128, b: u128) -> u128 {
    mul_div(a, DEC_ONE, b).expect("LegacyDec quotient within range")
}

/// The atomics of a LegacyDec wire string (`kumo_proto::math::Dec::from_wire`), `None` when it
/// is not one.
pub fn atomics(s: &str) -> Option<u128> {
    kumo_proto::math::Dec::from_wire(s)
        .ok()
        .map(|d| d.atomics())
}

/// Coins with 18 decimals: denom -> atomics. Zero entries are never kept.
pub type DecCoins = BTreeMap<String, u128>;

pub fn dec_coins_from_proto(v: &[DecCoin]) -> DecCoins {
    v.iter()
        .filter_map(|c| Some((c.denom.clone(), atomics(&c.amount)?)))
        .filter(|(_, a)| *a > 0)
        .collect()
}

pub fn dec_coins_to_proto(d: &DecCoins) -> Vec<DecCoin> {
    d.iter()
        .filter(|(_, a)| **a > 0)
        .map(|(denom, a)| DecCoin {
            denom: denom.clone(),
            amount: a.to_string(),
        })
        .collect()
}

pub fn dec_coins_from_coins(coins: &[Coin]) -> DecCoins {
    let mut d = DecCoins::new();
    for c in coins.iter().filter(|c| c.amount > 0) {
        let a = c
            .amount
            .checked_mul(DEC_ONE)
            .expect("coin amount within DecCoin range");
        *d.entry(c.denom.clone()).or_default() += a;
    }
    d
}

pub fn add_dec_coins(a: &mut DecCoins, b: &DecCoins) {
    for (denom, v) in b {
        let e = a.entry(denom.clone()).or_default();
        *e = e.checked_add(*v).expect("DecCoins sum within range");
    }
    a.retain(|_, v| *v > 0);
}

/// a − b, never below zero per denom (callers subtract amounts they added before; truncation
/// can leave the subtrahend a few atomics larger, as in the SDK's outstanding-rewards rounding).
pub fn sub_dec_coins(a: &mut DecCoins, b: &DecCoins) {
    for (denom, v) in b {
        if let Some(e) = a.get_mut(denom) {
            *e = e.saturating_sub(*v);
        }
    }
    a.retain(|_, v| *v > 0);
}

/// Every amount × a Dec, truncated (`MulDecTruncate`).
pub fn mul_dec_truncate(a: &DecCoins, d: u128) -> DecCoins {
    a.iter()
        .map(|(denom, v)| (denom.clone(), dec_mul(*v, d)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// Every amount / an integer, truncated (`QuoDecTruncate` by a whole number).
pub fn quo_int_truncate(a: &DecCoins, n: u128) -> DecCoins {
    a.iter()
        .map(|(denom, v)| (denom.clone(), v / n))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// Splits DecCoins into whole coins and the fractional change (`TruncateDecimal`).
pub fn truncate(a: &DecCoins) -> (Vec<Coin>, DecCoins) {
    let coins = a
        .iter()
        .filter(|(_, v)| **v >= DEC_ONE)
        .map(|(denom, v)| Coin::new(denom.clone(), v / DEC_ONE))
        .collect();
    let change = a
        .iter()
        .map(|(denom, v)| (denom.clone(), v % DEC_ONE))
        .filter(|(_, v)| *v > 0)
        .collect();
    (coins, change)
}

/// Renders atomics as the JSON decimal form (`0.050000000000000000`).
pub fn dec_string(atomics: u128) -> String {
    kumo_proto::math::Dec::from_atomics(atomics).to_legacy_string()
}

/// Parses a JSON decimal (`"0.05"`) into atomics.
pub fn parse_dec(s: &str) -> Result<u128, String> {
    s.parse::<kumo_proto::math::Dec>().map(|d| d.atomics())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wide_products_divide_exactly() {
        let a = 388_539_008_000_000u128 * DEC_ONE;
        let b = 3 * DEC_ONE / 7;
        assert_eq!(mul_div(a, b, DEC_ONE), Some(a / DEC_ONE * b));
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), Some(u128::MAX));
        assert_eq!(mul_div(u128::MAX, 2, 1), None);
        assert_eq!(mul_div(1, 1, 0), None);
        assert_eq!(mul_div_ceil(10, 1, 3), Some(4));
        assert_eq!(mul_div_round(10, 1, 4), Some(3));
        assert_eq!(mul_div_round(9, 1, 4), Some(2));
    }

    proptest! {
        #[test]
        fn mul_div_matches_narrow_math(a in 0u128..u64::MAX as u128, b in 0u128..u64::MAX as u128, d in 1u128..u64::MAX as u128) {
            prop_assert_eq!(mul_div(a, b, d), Some(a * b / d));
        }
    }

    #[test]
    fn truncation_keeps_the_change() {
        let mut d = DecCoins::new();
        d.insert("uakt".into(), 5 * DEC_ONE + 7);
        let (coins, change) = truncate(&d);
        assert_eq!(coins, vec![Coin::new("uakt", 5)]);
        assert_eq!(change.get("uakt"), Some(&7));
    }
}
