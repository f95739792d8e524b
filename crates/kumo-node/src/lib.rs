//! Runs the app: mempool, blocks ordered by Malachite BFT, tx gossip, block/tx storage and
//! index, RPC/gRPC/REST servers.
pub mod blockstore;
pub mod consensus;
pub mod gossip;
pub mod home;
pub mod indexer;
pub mod mempool;
pub mod node;
pub mod rpc;
pub mod testkit;
pub mod tmservice;
pub mod types;

pub use node::Node;
