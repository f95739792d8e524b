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

pub const CODESPACE: &str = "cert";

/// Cert errors (`chain-sdk:go/node/cert/v1/errors.go`, codes in declaration order).
pub mod errors {
    use super::CODESPACE;

    crate::errors::module_errors! { CODESPACE;
        certificate_not_found = 1, "certificate not found";
        invalid_address = 2, "invalid address";
        certificate_exists = 3, "certificate exists";
        certificate_already_revoked = 4, "certificate already revoked";
        invalid_serial_number = 5, "invalid serial number";
        invalid_certificate_value = 6, "invalid certificate value";
        invalid_pubkey_value = 7, "invalid pubkey value";
        invalid_state = 8, "invalid state";
    }
}
