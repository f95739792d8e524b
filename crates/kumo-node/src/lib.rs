//! Runs the app: mempool, block production, block/tx storage and index, RPC/gRPC/REST servers.
pub mod rpc;
pub mod types;
