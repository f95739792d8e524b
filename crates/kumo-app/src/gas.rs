//! Gas metering with the Cosmos SDK's KV cost schedule, so simulated gas and fees look like an
//! SDK chain's (a bank send costs tens of thousands of gas).

use crate::errors::SdkError;

/// `storetypes.KVGasConfig()`.
pub const READ_COST_FLAT: u64 = 1000;
pub const READ_COST_PER_BYTE: u64 = 3;
pub const WRITE_COST_FLAT: u64 = 2000;
pub const WRITE_COST_PER_BYTE: u64 = 30;
pub const DELETE_COST: u64 = 1000;
pub const ITER_NEXT_COST_FLAT: u64 = 30;

#[derive(Clone, Debug)]
pub struct GasMeter {
    /// None = unlimited (simulation and block-level work).
    limit: Option<u64>,
    consumed: u64,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        GasMeter {
            limit: Some(limit),
            consumed: 0,
        }
    }

    pub fn unlimited() -> Self {
        GasMeter {
            limit: None,
            consumed: 0,
        }
    }

    /// The limit (0 when unlimited, as gas_wanted reports it).
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(0)
    }

    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Charges `amount`; past the limit the meter stays at the overflowing value and the
    /// error names where the gas ran out, in the SDK's words.
    pub fn consume(&mut self, amount: u64, location: &str) -> Result<(), SdkError> {
        self.consumed = self.consumed.saturating_add(amount);
        match self.limit {
            Some(limit) if self.consumed > limit => Err(SdkError::out_of_gas(format!(
                "out of gas in location: {location}; gasWanted: {limit}, gasUsed: {}",
                self.consumed
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_gas_log_matches_sdk_shape() {
        let mut m = GasMeter::new(100);
        m.consume(60, "txSize").unwrap();
        let e = m.consume(60, "ReadFlat").unwrap_err();
        assert_eq!(e.code, 11);
        assert_eq!(
            e.log,
            "out of gas in location: ReadFlat; gasWanted: 100, gasUsed: 120: out of gas"
        );
    }

    #[test]
    fn zero_limit_is_zero() {
        assert_eq!(GasMeter::new(0).consume(1, "x").unwrap_err().code, 11);
    }

    #[test]
    fn unlimited_never_fails() {
        let mut m = GasMeter::unlimited();
        m.consume(u64::MAX, "x").unwrap();
        m.consume(5, "x").unwrap();
        assert_eq!(m.consumed(), u64::MAX);
    }
}
