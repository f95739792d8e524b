//! The kumo provider daemon (`kumo provider run`).
//!
//! It follows the chain, decides for each open order whether to bid (and says why not), reserves
//! capacity from its inventory, prices and bids; when it wins a lease it accepts the tenant's
//! manifest on its gateway, runs the services as Docker containers behind a built-in HTTP ingress,
//! withdraws its earnings and tears everything down when the lease closes.
//!
//! Facts: `../shared/spec/akash-offchain.md` §2-4.
pub mod bidengine;
pub mod chain;
pub mod config;
pub mod daemon;
pub mod gateway;
pub mod ingress;
pub mod inventory;
pub mod money;
pub mod runtime;
pub mod service;
#[cfg(test)]
mod testkit;
pub mod workload;
