//! Lease prices in the units people read: a bid's or lease's price is a LegacyDec per block
//! (18-decimal atomics of the smallest unit, e.g. uakt); these turn it into whole tokens per
//! hour and per month and an escrow balance into the blocks and hours it still pays for. One
//! home for the CLI (`kumo deploy`, `kumo sdl validate`) and the console pages.

use crate::coins::Dec;

/// Akash's average block time (`AverageBlockTime = 6000ms`), the clients' assumption.
pub const BLOCK_SECONDS: u128 = 6;

/// Blocks in an hour of 6 s blocks.
pub const BLOCKS_PER_HOUR: u128 = 3600 / BLOCK_SECONDS;

/// Blocks in an average month (365/12 days = 2 628 000 s) at Akash's average block time of 6 s
/// (`AverageBlockTime = 6000ms`): 438 000. A real month's count differs with the block time.
pub const BLOCKS_PER_MONTH: u128 = 365 * 24 * 3600 / 12 / BLOCK_SECONDS;

/// `uakt` → `AKT`: the display unit of a micro denom.
pub fn display_unit(denom: &str) -> String {
    denom
        .strip_prefix('u')
        .unwrap_or(denom)
        .to_ascii_uppercase()
}

/// `atomics` (LegacyDec of the micro unit) × `blocks` in whole tokens with `decimals` decimals,
/// rounded half up, e.g. "12.34 AKT".
fn whole_tokens(amount_atomics: u128, blocks: u128, denom: &str, decimals: u32) -> String {
    let unit = display_unit(denom);
    match amount_atomics.checked_mul(blocks) {
        None => format!("(too large) {unit}"),
        Some(v) => {
            // / 10^18 (Dec) / 10^6 (micro → whole), keeping `decimals` digits.
            let scale = 10u128.pow(24 - decimals);
            let scaled = (v + scale / 2) / scale;
            let one = 10u128.pow(decimals);
            if decimals == 0 {
                format!("{scaled} {unit}")
            } else {
                format!(
                    "{}.{:0w$} {unit}",
                    scaled / one,
                    scaled % one,
                    w = decimals as usize
                )
            }
        }
    }
}

/// Per-block price to whole tokens per month ([`BLOCKS_PER_MONTH`]), two decimals
/// (e.g. "12.34 AKT").
pub fn monthly_price(amount_atomics: u128, denom: &str) -> String {
    whole_tokens(amount_atomics, BLOCKS_PER_MONTH, denom, 2)
}

/// Per-block price to whole tokens per hour ([`BLOCKS_PER_HOUR`]), four decimals: cheap leases
/// cost fractions of a token an hour.
pub fn hourly_price(amount_atomics: u128, denom: &str) -> String {
    whole_tokens(amount_atomics, BLOCKS_PER_HOUR, denom, 4)
}

/// The per-block price as bid: `0.25uakt`.
pub fn per_block_text(amount_atomics: u128, denom: &str) -> String {
    format!("{}{denom}", Dec::from_atomics(amount_atomics))
}

/// Whole blocks `balance_atomics` pays for at `rate_atomics` per block (both LegacyDec
/// atomics); None when nothing is charged.
pub fn blocks_left(balance_atomics: u128, rate_atomics: u128) -> Option<u128> {
    (rate_atomics > 0).then(|| balance_atomics / rate_atomics)
}

/// Blocks as hours of 6 s blocks, one decimal: `"8.3"`.
pub fn hours_text(blocks: u128) -> String {
    let tenths = blocks * BLOCK_SECONDS * 10 / 3600;
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn prices_per_hour_and_month() {
        // 1 uakt/block × 438000 blocks = 0.438 AKT → 0.44 (half up).
        assert_eq!(BLOCKS_PER_MONTH, 438_000);
        assert_eq!(monthly_price(ONE, "uakt"), "0.44 AKT");
        assert_eq!(monthly_price(100 * ONE, "uakt"), "43.80 AKT");
        assert_eq!(monthly_price(ONE / 2, "uakt"), "0.22 AKT");
        assert_eq!(monthly_price(1000 * ONE, "uact"), "438.00 ACT");
        assert_eq!(monthly_price(u128::MAX, "uakt"), "(too large) AKT");
        // 1000 uakt/block × 600 blocks = 0.6 AKT an hour.
        assert_eq!(hourly_price(1000 * ONE, "uakt"), "0.6000 AKT");
        assert_eq!(hourly_price(ONE, "uakt"), "0.0006 AKT");
        assert_eq!(per_block_text(ONE / 4, "uakt"), "0.25uakt");
    }

    #[test]
    fn runway() {
        // 5 AKT at 125 uakt/block: 40,000 blocks = 66.6 h.
        assert_eq!(blocks_left(5_000_000 * ONE, 125 * ONE), Some(40_000));
        assert_eq!(hours_text(40_000), "66.6");
        assert_eq!(blocks_left(5 * ONE, 0), None);
        assert_eq!(blocks_left(0, ONE), Some(0));
        assert_eq!(hours_text(0), "0.0");
    }
}
