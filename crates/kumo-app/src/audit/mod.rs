//! audit: attributes that auditors sign for providers; tenants trust them through a group's
//! `signed_by` (§9). Any account may audit and the provider need not exist: trust comes from
//! the tenant's list of auditors. Owns every key under `audit/`.

pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

use crate::errors::SdkError;

pub const CODESPACE: &str = "audit";

/// Audit errors (`chain-sdk:go/node/audit/v1/errors.go`, codes in declaration order).
pub mod errors {
    use super::*;

    fn err(code: u32, root: &str, detail: impl std::fmt::Display) -> SdkError {
        SdkError {
            codespace: CODESPACE,
            code,
            log: format!("{detail}: {root}"),
        }
    }

    pub fn provider_not_found(d: impl std::fmt::Display) -> SdkError {
        err(1, "invalid provider: address not found", d)
    }
    pub fn invalid_address(d: impl std::fmt::Display) -> SdkError {
        err(2, "invalid address", d)
    }
    pub fn attribute_not_found(d: impl std::fmt::Display) -> SdkError {
        err(3, "attribute not found", d)
    }
}
