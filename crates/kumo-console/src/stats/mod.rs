//! Network statistics, the way Akash's stats site computes them (spec console-stats.md §2):
//!
//! * [`indexer`] follows the chain block by block and writes one block's rows atomically;
//! * [`tables`] names the redb tables, their keys and row types;
//! * [`figures`] holds the pure functions that turn rows into figures (no I/O, integers);
//! * [`probe`] fetches each provider's `/status` on Akash's schedule (online, capacity, uptime);
//! * [`api`] serves `/v1/dashboard-data`, `/v1/graph-data/{name}`, … from the tables;
//! * [`client`] is what `kumo query stats network` uses to ask a stats server;
//! * [`cli_text`] writes the providers, GPU and lease answers as terminal tables.

pub mod api;
pub mod cli_text;
pub mod client;
pub mod figures;
pub mod indexer;
pub mod pages;
pub mod probe;
pub mod tables;

#[cfg(test)]
mod probe_tests;
#[cfg(test)]
mod tests;
