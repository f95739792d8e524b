//! kumo-crypto
