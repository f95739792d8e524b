//! cert: self-signed client/server certificates that tenants and providers publish for mTLS
//! (§10). The chain checks the certificate's self-signature and that its CommonName is the
//! owner; it ignores validity dates. Owns every key under `cert/`. No events (as in Akash).

pub mod genesis;
pub mod msgs;
pub mod pem;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;
pub mod verify;

use crate::errors::SdkError;

pub const CODESPACE: &str = "cert";

/// Cert errors (`chain-sdk:go/node/cert/v1/errors.go`, codes in declaration order).
pub mod errors {
    use super::*;

    fn err(code: u32, root: &str, detail: impl std::fmt::Display) -> SdkError {
        SdkError {
            codespace: CODESPACE,
            code,
            log: format!("{detail}: {root}"),
        }
    }

    pub fn certificate_not_found(d: impl std::fmt::Display) -> SdkError {
        err(1, "certificate not found", d)
    }
    pub fn invalid_address(d: impl std::fmt::Display) -> SdkError {
        err(2, "invalid address", d)
    }
    pub fn certificate_exists(d: impl std::fmt::Display) -> SdkError {
        err(3, "certificate exists", d)
    }
    pub fn certificate_already_revoked(d: impl std::fmt::Display) -> SdkError {
        err(4, "certificate already revoked", d)
    }
    pub fn invalid_serial_number(d: impl std::fmt::Display) -> SdkError {
        err(5, "invalid serial number", d)
    }
    pub fn invalid_certificate_value(d: impl std::fmt::Display) -> SdkError {
        err(6, "invalid certificate value", d)
    }
    pub fn invalid_pubkey_value(d: impl std::fmt::Display) -> SdkError {
        err(7, "invalid pubkey value", d)
    }
    pub fn invalid_state(d: impl std::fmt::Display) -> SdkError {
        err(8, "invalid state", d)
    }
}
