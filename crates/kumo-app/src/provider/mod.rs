//! provider: the on-chain record of providers (host URI, attributes, contact info). Owns every
//! key under `provider/`. Akash never implemented deletion, so neither does kumo (§8).

pub mod genesis;
pub mod msgs;
pub mod query;
pub mod state;
#[cfg(test)]
mod tests;
pub mod uri;

pub const CODESPACE: &str = "provider";

/// Provider errors (`chain-sdk:go/node/provider/v1beta4/errors.go`, codes in declaration order).
pub mod errors {
    use super::CODESPACE;

    crate::errors::module_errors! { CODESPACE;
        invalid_provider_uri = 1, "invalid provider: invalid host uri";
        not_abs_provider_uri = 2, "invalid provider: not absolute host uri";
        provider_not_found = 3, "invalid provider: address not found";
        provider_exists = 4, "invalid provider: already exists";
        invalid_address = 5, "invalid address";
        invalid_info_website = 8, "invalid provider: invalid info website";
        internal = 9, "internal error";
    }
}
