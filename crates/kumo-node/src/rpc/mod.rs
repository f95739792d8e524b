//! CometBFT JSON-RPC (26657), gRPC (9090) and REST (1317) front ends over one `RpcBackend`.
pub mod backend;
pub mod format;
pub mod grpc;
pub mod jsonrpc;
pub mod proto_json;
pub mod query;
pub mod rest;
pub mod server;
pub mod txs;

pub use grpc::serve_grpc;
pub use query::{event_matches, parse_tx_query};
pub use rest::serve_rest;
pub use server::serve_jsonrpc;
