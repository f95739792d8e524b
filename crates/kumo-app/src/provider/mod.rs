//! provider: the on-chain record of providers (host URI, attributes, contact info).
pub mod state;
