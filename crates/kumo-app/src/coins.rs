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
    kumo_proto::math::parse_int(s)
}

/// The SDK's denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(denom: &str) -> SdkResult<()> {
    kumo_proto::math::validate_denom(denom)
        .map_err(|e| SdkError::invalid_coins(format!("invalid denom: {e}")))
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

pub use kumo_proto::math::{Dec, GasPrice, DEC_ONE};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_denoms() {
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
