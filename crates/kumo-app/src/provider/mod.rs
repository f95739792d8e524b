//! provider: the on-chain record of providers (host URI, attributes, contact info). Owns every
//! key under `provider/`. Akash never implemented deletion, so neither does kumo (§8).

pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;
pub mod uri;

use crate::errors::SdkError;

pub const CODESPACE: &str = "provider";

/// Provider errors (`chain-sdk:go/node/provider/v1beta4/errors.go`, codes in declaration order).
pub mod errors {
    use super::*;

    fn err(code: u32, root: &str, detail: impl std::fmt::Display) -> SdkError {
        SdkError {
            codespace: CODESPACE,
            code,
            log: format!("{detail}: {root}"),
        }
    }

    pub fn invalid_provider_uri(d: impl std::fmt::Display) -> SdkError {
        err(1, "invalid provider: invalid host uri", d)
    }
    pub fn not_abs_provider_uri(d: impl std::fmt::Display) -> SdkError {
        err(2, "invalid provider: not absolute host uri", d)
    }
    pub fn provider_not_found(d: impl std::fmt::Display) -> SdkError {
        err(3, "invalid provider: address not found", d)
    }
    pub fn provider_exists(d: impl std::fmt::Display) -> SdkError {
        err(4, "invalid provider: already exists", d)
    }
    pub fn invalid_address(d: impl std::fmt::Display) -> SdkError {
        err(5, "invalid address", d)
    }
    pub fn invalid_info_website(d: impl std::fmt::Display) -> SdkError {
        err(8, "invalid provider: invalid info website", d)
    }
    pub fn internal(d: impl std::fmt::Display) -> SdkError {
        err(9, "internal error", d)
    }
}
