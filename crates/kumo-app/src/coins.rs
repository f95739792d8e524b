//! Coins as integers: `u128` amounts (the SDK's `math.Int` as a decimal string on the wire) and
//! decimal gas prices as 18-decimal fixed point, like `LegacyDec`. No floats.

use crate::errors::{SdkError, SdkResult};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Coin {
    pub denom: String,
    pub amount: u128,
}

impl Coin {
    pub fn new(denom: impl Into<String>, amount: u128) -> Self {
        Coin {
            denom: denom.into(),
            amount,
        }
    }

    pub fn from_proto(c: &cosmos_sdk_proto::cosmos::base::v1beta1::Coin) -> SdkResult<Coin> {
        validate_denom(&c.denom)?;
        let amount = parse_amount(&c.amount)
            .map_err(|e| SdkError::invalid_coins(format!("{}{}: {e}", c.amount, c.denom)))?;
        Ok(Coin {
            denom: c.denom.clone(),
            amount,
        })
    }

    pub fn to_proto(&self) -> cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
        cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// A list of coins, rendered the SDK way: `10uakt,5uusdc` (empty string when empty).
pub fn coins_to_string(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses a non-negative integer amount as the SDK's `math.Int` does (decimal digits only).
pub fn parse_amount(s: &str) -> Result<u128, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("amount {s:?} is not a non-negative integer"));
    }
    s.parse::<u128>()
        .map_err(|_| format!("amount {s} is out of range"))
}

/// The SDK's denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(denom: &str) -> SdkResult<()> {
    let b = denom.as_bytes();
    let ok = (3..=128).contains(&b.len())
        && b[0].is_ascii_alphabetic()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"/:._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(SdkError::invalid_coins(format!("invalid denom: {denom}")))
    }
}

/// Converts wire coins, requiring the SDK's `Coins.IsValid`: sorted by denom, no duplicates,
/// every amount positive.
pub fn coins_from_proto(
    coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
) -> SdkResult<Vec<Coin>> {
    let parsed = coins
        .iter()
        .map(Coin::from_proto)
        .collect::<SdkResult<Vec<_>>>()?;
    for c in &parsed {
        if c.amount == 0 {
            return Err(SdkError::invalid_coins(format!(
                "coin {c} amount is not positive"
            )));
        }
    }
    for pair in parsed.windows(2) {
        if pair[0].denom >= pair[1].denom {
            return Err(SdkError::invalid_coins(format!(
                "{}: denominations must be sorted and unique",
                coins_to_string(&parsed)
            )));
        }
    }
    Ok(parsed)
}

/// 10^18: the scale of `LegacyDec`.
pub const DEC_SCALE: u128 = 1_000_000_000_000_000_000;

/// A decimal coin (gas prices): amount scaled by 10^18.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecCoin {
    pub denom: String,
    pub amount_scaled: u128,
}

impl DecCoin {
    /// Parses `0.025uakt`.
    pub fn parse(s: &str) -> Result<DecCoin, String> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| {
                format!("{s:?} has no denom: write an amount then a denom, e.g. 0.025uakt")
            })?;
        let (num, denom) = s.split_at(split);
        validate_denom(denom).map_err(|e| e.log)?;
        Ok(DecCoin {
            denom: denom.to_string(),
            amount_scaled: parse_dec(num)?,
        })
    }

    /// `ceil(self × gas)` in whole units of the denom: the minimum fee for `gas`.
    pub fn fee_for_gas(&self, gas: u64) -> u128 {
        let product = self.amount_scaled.saturating_mul(gas as u128);
        product.div_ceil(DEC_SCALE)
    }
}

impl fmt::Display for DecCoin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.amount_scaled / DEC_SCALE;
        let frac = self.amount_scaled % DEC_SCALE;
        if frac == 0 {
            write!(f, "{int}{}", self.denom)
        } else {
            let frac = format!("{frac:018}");
            write!(f, "{int}.{}{}", frac.trim_end_matches('0'), self.denom)
        }
    }
}

/// Parses a non-negative decimal with at most 18 fractional digits into 10^18 fixed point.
pub fn parse_dec(s: &str) -> Result<u128, String> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return Err(format!("{s:?} is not a decimal number"));
    }
    if frac.len() > 18 {
        return Err(format!("{s} has more than 18 decimal places"));
    }
    let int: u128 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| format!("{s} is out of range"))?
    };
    let frac_scaled: u128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<18}").parse().expect("18 digits")
    };
    int.checked_mul(DEC_SCALE)
        .and_then(|v| v.checked_add(frac_scaled))
        .ok_or_else(|| format!("{s} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_price_fee_rounds_up() {
        let p = DecCoin::parse("0.025uakt").unwrap();
        assert_eq!(p.to_string(), "0.025uakt");
        assert_eq!(p.fee_for_gas(200_000), 5000);
        assert_eq!(p.fee_for_gas(1), 1);
        assert_eq!(p.fee_for_gas(0), 0);
        assert_eq!(p.fee_for_gas(41), 2); // 1.025 -> 2
    }

    #[test]
    fn bad_prices_and_denoms() {
        assert!(DecCoin::parse("0.025").is_err());
        assert!(DecCoin::parse("abc").is_err());
        assert!(DecCoin::parse("1.0000000000000000001uakt").is_err());
        assert!(validate_denom("u").is_err());
        assert!(validate_denom("1akt").is_err());
        assert!(validate_denom("ibc/ABC").is_ok());
    }

    #[test]
    fn coins_must_be_sorted_positive() {
        let c = |d: &str, a: &str| cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: d.into(),
            amount: a.into(),
        };
        assert!(coins_from_proto(&[c("uakt", "1"), c("uusdc", "2")]).is_ok());
        assert_eq!(
            coins_from_proto(&[c("uusdc", "1"), c("uakt", "2")])
                .unwrap_err()
                .code,
            10
        );
        assert_eq!(coins_from_proto(&[c("uakt", "0")]).unwrap_err().code, 10);
        assert_eq!(coins_from_proto(&[c("uakt", "-1")]).unwrap_err().code, 10);
        assert_eq!(coins_from_proto(&[c("uakt", "1.5")]).unwrap_err().code, 10);
    }
}
