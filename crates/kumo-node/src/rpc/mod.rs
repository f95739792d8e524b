//! CometBFT JSON-RPC (26657), gRPC (9090) and REST (1317) front ends over one `RpcBackend`.
pub mod backend;
