//! kumo-akash: the Akash rules that more than one side applies, each written once.
//!
//! It sits below every crate that applies them (kumo-app the chain, kumo-sdl, kumo-provider,
//! kumo-client) and depends only on kumo-proto, so a rule cannot drift between the chain and
//! the provider: both call the same function.

pub mod attributes;
pub mod group;
pub mod pem;
