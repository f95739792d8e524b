//! audit: attributes that auditors sign for providers; tenants trust them through a group's
//! `signed_by` (§9). Any account may audit and the provider need not exist: trust comes from
//! the tenant's list of auditors. Owns every key under `audit/`.

pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;

pub const CODESPACE: &str = "audit";

/// Audit errors (`chain-sdk:go/node/audit/v1/errors.go`, codes in declaration order).
pub mod errors {
    use super::CODESPACE;

    crate::errors::module_errors! { CODESPACE;
        provider_not_found = 1, "invalid provider: address not found";
        invalid_address = 2, "invalid address";
        attribute_not_found = 3, "attribute not found";
    }
}
