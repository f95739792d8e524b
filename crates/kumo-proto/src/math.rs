//! The SDK's number and denom formats, with integers only (no floats anywhere).

use std::fmt;
use std::str::FromStr;

/// Number of fractional digits of [`Dec`] (the SDK's `LegacyDec`).
pub const DEC_PLACES: u32 = 18;
/// 10^18: one whole unit of [`Dec`].
pub const DEC_ONE: u128 = 1_000_000_000_000_000_000;

/// Checks a denomination against the SDK rule `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(denom: &str) -> Result<(), String> {
    let bytes = denom.as_bytes();
    if bytes.len() < 3 || bytes.len() > 128 {
        return Err(format!("denom {denom:?} must be 3 to 128 characters long"));
    }
    if !bytes[0].is_ascii_alphabetic() {
        return Err(format!("denom {denom:?} must start with a letter"));
    }
    if let Some(c) = denom
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '.' | '_' | '-')))
    {
        return Err(format!(
            "denom {denom:?} contains {c:?}; allowed are letters, digits and / : . _ -"
        ));
    }
    Ok(())
}

/// Parses a non-negative `math.Int` decimal string.
pub fn parse_int(s: &str) -> Result<u128, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("amount {s:?} is not a non-negative integer"));
    }
    s.parse::<u128>()
        .map_err(|_| format!("amount {s} is out of range"))
}

/// An unsigned decimal with 18 fractional digits, stored as value × 10^18.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec(u128);

impl Dec {
    /// The raw integer: value × 10^18 (the `LegacyDec` wire form).
    pub fn atomics(self) -> u128 {
        self.0
    }

    pub fn from_atomics(atomics: u128) -> Self {
        Dec(atomics)
    }

    pub fn from_integer(n: u64) -> Self {
        Dec(u128::from(n) * DEC_ONE)
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `ceil(n × self)`, or `None` on overflow.
    pub fn mul_ceil(self, n: u128) -> Option<u128> {
        let product = n.checked_mul(self.0)?;
        Some(product.div_ceil(DEC_ONE))
    }

    /// The `LegacyDec.String()` form: always 18 fractional digits (`0.500000000000000000`), as
    /// the SDK writes LegacyDec values in JSON.
    pub fn to_legacy_string(self) -> String {
        format!("{}.{:018}", self.0 / DEC_ONE, self.0 % DEC_ONE)
    }

    /// `floor(n × self)`, or `None` on overflow.
    pub fn mul_floor(self, n: u128) -> Option<u128> {
        Some(n.checked_mul(self.0)? / DEC_ONE)
    }

    /// Parses a LegacyDec as it travels in protobuf (spec §0.3): the atomics, value × 10^18, as
    /// a decimal integer (`"500000000000000000"` is 0.5). An unset (empty) field is zero; callers
    /// that must refuse an unset amount (Go's "amount is nil") check for it first.
    pub fn from_wire(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Ok(Dec(0));
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{s:?} is not a non-negative LegacyDec wire integer"
            ));
        }
        s.parse::<u128>()
            .map(Dec)
            .map_err(|_| format!("LegacyDec {s} is out of range"))
    }
}

/// A LegacyDec wire string that may be negative (escrow funds), as signed atomics; the rest of
/// the rule is [`Dec::from_wire`]'s.
pub fn signed_atomics_from_wire(s: &str) -> Result<i128, String> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, s),
    };
    let magnitude = i128::try_from(Dec::from_wire(digits)?.atomics())
        .map_err(|_| format!("LegacyDec {s} is out of range"))?;
    Ok(if negative { -magnitude } else { magnitude })
}

impl FromStr for Dec {
    type Err = String;

    /// Parses `1.4`, `0.025`, `3`, `.5` (at most 18 fractional digits, no sign, no exponent).
    fn from_str(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(format!("{input:?}: expected a number such as 1.4"));
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{input:?}: expected a plain non-negative decimal such as 0.025"
            ));
        }
        if frac.len() > DEC_PLACES as usize {
            return Err(format!("{input:?} has more than 18 decimal places"));
        }
        let int_v: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| format!("{input:?} is too large"))?
        };
        let frac_v: u128 = if frac.is_empty() {
            0
        } else {
            frac.parse::<u128>().expect("digits") * 10u128.pow(DEC_PLACES - frac.len() as u32)
        };
        int_v
            .checked_mul(DEC_ONE)
            .and_then(|v| v.checked_add(frac_v))
            .map(Dec)
            .ok_or_else(|| format!("{input:?} is too large"))
    }
}

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, frac) = (self.0 / DEC_ONE, self.0 % DEC_ONE);
        if frac == 0 {
            return write!(f, "{int}");
        }
        let digits = format!("{frac:018}");
        write!(f, "{int}.{}", digits.trim_end_matches('0'))
    }
}

/// A gas price such as `0.025uakt`: the fee per unit of gas in one denom. The chain's
/// minimum gas prices and the client's fee computation both use it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub amount: Dec,
    pub denom: String,
}

impl GasPrice {
    /// `ceil(gas × price)` in whole units of the denom, or `None` on overflow.
    pub fn fee_for_gas(&self, gas: u64) -> Option<u128> {
        self.amount.mul_ceil(u128::from(gas))
    }
}

impl FromStr for GasPrice {
    type Err = String;

    fn from_str(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (amount, denom) = s.split_at(split);
        let denom = denom.trim_start();
        if amount.is_empty() {
            return Err(format!(
                "{input:?}: a gas price is a decimal amount followed by a denom, e.g. 0.025uakt"
            ));
        }
        if denom.is_empty() {
            return Err(format!(
                "{input:?}: gas price has no denom; expected e.g. {amount}uakt"
            ));
        }
        validate_denom(denom)?;
        Ok(GasPrice {
            amount: amount.parse()?,
            denom: denom.to_string(),
        })
    }
}

impl fmt::Display for GasPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_print_and_round() {
        let d: Dec = "0.025".parse().unwrap();
        assert_eq!(d.to_string(), "0.025");
        assert_eq!(d.mul_ceil(200_000), Some(5000));
        assert_eq!(d.mul_ceil(41), Some(2));
        assert_eq!(d.mul_floor(41), Some(1));
        assert_eq!(".5".parse::<Dec>().unwrap().to_string(), "0.5");
        assert_eq!("3".parse::<Dec>().unwrap(), Dec::from_integer(3));
        assert!("1.0000000000000000001".parse::<Dec>().is_err());
        assert!("-1".parse::<Dec>().is_err());
        assert!("".parse::<Dec>().is_err());
    }

    #[test]
    fn wire_decimals() {
        assert_eq!(
            Dec::from_wire("500000000000000000").unwrap().to_string(),
            "0.5"
        );
        assert_eq!(Dec::from_wire("").unwrap(), Dec::default());
        assert!(Dec::from_wire("-5").is_err());
        assert!(Dec::from_wire("+5").is_err());
        assert!(Dec::from_wire("0.5").is_err());
        assert!(Dec::from_wire(&"9".repeat(40)).is_err());
        assert_eq!(signed_atomics_from_wire("-5"), Ok(-5));
        assert_eq!(signed_atomics_from_wire("7"), Ok(7));
        assert_eq!(signed_atomics_from_wire(""), Ok(0));
        assert!(signed_atomics_from_wire("-").is_err());
        assert!(signed_atomics_from_wire("--5").is_err());
    }

    #[test]
    fn gas_prices() {
        let p: GasPrice = "0.025uakt".parse().unwrap();
        assert_eq!(p.to_string(), "0.025uakt");
        assert_eq!(p.fee_for_gas(200_000), Some(5000));
        assert_eq!(p.fee_for_gas(117_881), Some(2948));
        assert_eq!(p.fee_for_gas(0), Some(0));
        assert!("uakt"
            .parse::<GasPrice>()
            .unwrap_err()
            .contains("decimal amount followed by a denom"));
        assert!("0.025"
            .parse::<GasPrice>()
            .unwrap_err()
            .contains("no denom"));
        assert!("0.0.1uakt".parse::<GasPrice>().is_err());
        assert!("1.0000000000000000001uakt".parse::<GasPrice>().is_err());
    }

    #[test]
    fn denoms_and_ints() {
        assert!(validate_denom("uakt").is_ok());
        assert!(validate_denom("ibc/ABC").is_ok());
        assert!(validate_denom("u").is_err());
        assert!(validate_denom("1akt").is_err());
        assert_eq!(parse_int("12"), Ok(12));
        assert!(parse_int("1.5").is_err());
        assert!(parse_int("-1").is_err());
        assert!(parse_int("").is_err());
    }
}
