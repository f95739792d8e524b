//! The tenant's side of a provider gateway (`../shared/spec/akash-offchain.md` §3): the HTTPS and
//! websocket [`client`], the lease-shell framing ([`shell`]), tenant JWTs ([`jwt`]), TLS that
//! trusts a provider only through its on-chain certificate ([`tls`]) and the JSON the gateway
//! answers with ([`lease`]).
//!
//! The provider daemon (kumo-provider) serves the same wire formats and imports them from here,
//! so a tenant binary never links the provider's container runtime.

pub mod client;
pub mod jwt;
pub mod lease;
pub mod shell;
pub mod tls;
