//! kumo's console crate: the network statistics (`stats`): an indexer that follows a node over
//! JSON-RPC and keeps derived tables in a redb file outside consensus state, the Akash-shaped
//! `/v1` JSON routes and the statistics pages; and what the pages share (`web`).

pub mod console;
pub mod stats;
pub mod web;
