//! legacy: the deployment v1beta3 / market v1beta4 query services that node ≤ v0.38 served
//! and that older clients (akashjs 0.11, bundling akash-api 1.4) still call (spec §3.8, §4.8).
//! There is no legacy state: each query is answered by the current module's query handler and
//! its answer converted to the old types (IDs without bseq, escrow v1beta3 accounts).

pub mod query;
#[cfg(test)]
mod tests;
