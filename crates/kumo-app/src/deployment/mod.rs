//! deployment: a tenant's request for compute (spec §3). A deployment holds groups (one
//! GroupSpec each); each open group has one market order. Money lives in escrow: creating a
//! deployment opens its escrow account, closing it closes that account, and escrow's hook
//! (in `market::hooks`) closes the rest.

pub mod errors;
pub mod genesis;
pub mod msgs;
pub mod query;
pub mod query_v1beta3;
pub mod state;
pub mod validation;
