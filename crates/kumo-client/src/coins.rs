//! Coins, denominations and fixed-point decimals (gas prices, gas adjustment).
//!
//! All arithmetic is on integers: a [`Dec`] is an unsigned 18-decimal fixed-point number, like the
//! SDK's `LegacyDec`, so fee computation never touches floating point.

pub use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;

use crate::error::{ClientError, Result};

pub use kumo_proto::math::{validate_denom, Dec, GasPrice, DEC_PLACES};

/// Parses one coin such as `1000uakt` (whitespace between amount and denom is allowed).
pub fn parse_coin(input: &str) -> Result<Coin> {
    let err = |reason: String| ClientError::InvalidCoins {
        input: input.to_string(),
        reason,
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(err(
            "empty coin; expected an amount followed by a denom, e.g. 1000uakt".into(),
        ));
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (amount, denom) = s.split_at(split);
    let denom = denom.trim_start();
    if amount.is_empty() {
        return Err(err(format!(
            "{s:?} does not start with an integer amount; expected e.g. 1000uakt"
        )));
    }
    if denom.starts_with('.') {
        return Err(err(format!(
            "{s:?} has a decimal amount; coin amounts are integers in the smallest unit (1 AKT = 1000000uakt)"
        )));
    }
    if denom.is_empty() {
        return Err(err(format!(
            "{s:?} has no denom; expected e.g. {amount}uakt"
        )));
    }
    validate_denom(denom).map_err(err)?;
    let value: u128 = amount
        .parse()
        .map_err(|_| err(format!("amount {amount} is too large")))?;
    Ok(Coin {
        denom: denom.to_string(),
        amount: value.to_string(),
    })
}

/// Parses a comma-separated coin list such as `1000uakt,5foo`.
///
/// Like the SDK's `ParseCoinsNormalized`: zero amounts are dropped and the result is sorted by
/// denom. A denom given twice is an error. An empty string gives an empty list.
pub fn parse_coins(input: &str) -> Result<Vec<Coin>> {
    if input.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut coins = Vec::new();
    for part in input.split(',') {
        let coin = parse_coin(part).map_err(|e| match e {
            ClientError::InvalidCoins { reason, .. } => ClientError::InvalidCoins {
                input: input.to_string(),
                reason,
            },
            other => other,
        })?;
        coins.push(coin);
    }
    coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    for pair in coins.windows(2) {
        if pair[0].denom == pair[1].denom {
            return Err(ClientError::InvalidCoins {
                input: input.to_string(),
                reason: format!("denom {} appears more than once", pair[0].denom),
            });
        }
    }
    coins.retain(|c| c.amount != "0");
    Ok(coins)
}

/// Formats coins the SDK way: `1000uakt,5foo`.
pub fn format_coins(coins: &[Coin]) -> String {
    coins
        .iter()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses a coin amount string (decimal integer) from the node.
pub fn parse_amount(amount: &str) -> Result<u128> {
    if amount.is_empty() {
        return Ok(0);
    }
    amount
        .parse()
        .map_err(|_| ClientError::BadResponse(format!("coin amount {amount:?} is not an integer")))
}

/// The default gas price of the kumo CLI: 0.025uakt (what Akash clients use).
pub const DEFAULT_GAS_PRICE: &str = "0.025uakt";

/// `ceil(gas × price)` as a coin.
pub fn fee_for(price: &GasPrice, gas: u64) -> Result<Coin> {
    let amount = price.fee_for_gas(gas).ok_or_else(|| {
        ClientError::InvalidFee(format!("fee for {gas} gas at {price} overflows"))
    })?;
    Ok(Coin {
        denom: price.denom.clone(),
        amount: amount.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coin(amount: &str, denom: &str) -> Coin {
        Coin {
            denom: denom.into(),
            amount: amount.into(),
        }
    }

    #[test]
    fn parses_coin_lists() {
        assert_eq!(
            parse_coins("1000uakt,5foo").unwrap(),
            vec![coin("5", "foo"), coin("1000", "uakt")]
        );
        assert_eq!(parse_coins("  7 uakt ").unwrap(), vec![coin("7", "uakt")]);
        assert_eq!(
            parse_coins("0010ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2")
                .unwrap(),
            vec![coin(
                "10",
                "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"
            )]
        );
        assert_eq!(parse_coins("").unwrap(), vec![]);
        assert_eq!(parse_coins("0uakt,3foo").unwrap(), vec![coin("3", "foo")]);
        assert_eq!(
            format_coins(&parse_coins("5uakt,1abc").unwrap()),
            "1abc,5uakt"
        );
    }

    #[test]
    fn rejects_bad_coins_with_reasons() {
        let msg = |s: &str| parse_coins(s).unwrap_err().to_string();
        assert!(
            msg("uakt").contains("does not start with an integer amount"),
            "{}",
            msg("uakt")
        );
        assert!(msg("100").contains("has no denom"));
        assert!(msg("1.5uakt").contains("decimal amount"));
        assert!(msg("10ab").contains("3 to 128 characters"));
        assert!(msg("10u$kt").contains("contains '$'"));
        assert!(msg("10 9akt").contains("must start with a letter"));
        assert!(msg("1uakt,2uakt").contains("more than once"));
        assert!(msg("1uakt,").contains("empty coin"));
        assert!(msg("-1uakt").contains("does not start with an integer"));
        assert!(msg("999999999999999999999999999999999999999999uakt").contains("too large"));
        let long = format!("1a{}", "b".repeat(128));
        assert!(msg(&long).contains("3 to 128"));
        assert!(validate_denom(&format!("a{}", "b".repeat(127))).is_ok());
    }

    #[test]
    fn decimals_parse_and_print() {
        assert_eq!(
            "1.4".parse::<Dec>().unwrap().atomics(),
            1_400_000_000_000_000_000
        );
        assert_eq!("0.025".parse::<Dec>().unwrap().to_string(), "0.025");
        assert_eq!(".5".parse::<Dec>().unwrap().to_string(), "0.5");
        assert_eq!("3".parse::<Dec>().unwrap(), Dec::from_integer(3));
        assert_eq!("0.000000000000000001".parse::<Dec>().unwrap().atomics(), 1);
        assert!("0.0000000000000000001".parse::<Dec>().is_err());
        assert!("1e3".parse::<Dec>().is_err());
        assert!("-1".parse::<Dec>().is_err());
        assert!(".".parse::<Dec>().is_err());
        assert!("1.2.3".parse::<Dec>().is_err());
    }

    #[test]
    fn fee_rounds_up() {
        let price: GasPrice = "0.025uakt".parse().unwrap();
        assert_eq!(fee_for(&price, 200_000).unwrap(), coin("5000", "uakt"));
        // 117880 × 0.025 = 2947 exactly; 117881 × 0.025 = 2947.025 -> 2948.
        assert_eq!(fee_for(&price, 117_880).unwrap(), coin("2947", "uakt"));
        assert_eq!(fee_for(&price, 117_881).unwrap(), coin("2948", "uakt"));
        assert_eq!(fee_for(&price, 1).unwrap(), coin("1", "uakt"));
        assert_eq!(fee_for(&price, 0).unwrap(), coin("0", "uakt"));
        let zero: GasPrice = "0uakt".parse().unwrap();
        assert_eq!(fee_for(&zero, 5).unwrap(), coin("0", "uakt"));
        let adj: Dec = "1.4".parse().unwrap();
        assert_eq!(adj.mul_ceil(84_200), Some(117_880));
        assert_eq!(adj.mul_ceil(84_201), Some(117_882)); // 117881.4 -> 117882
        assert_eq!(adj.mul_floor(84_201), Some(117_881));
        assert_eq!(Dec::from_atomics(u128::MAX).mul_ceil(2), None);
    }
}
