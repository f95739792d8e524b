//! A node for the tests of its clients (CLI, provider, indexer): in memory, its blocks produced
//! when the test asks, its CometBFT JSON-RPC served on a loopback port from a thread of its own.

use crate::home::{Ed25519Key, NodeConfig};
use crate::rpc::backend::RpcBackend;
use crate::rpc::serve_jsonrpc;
use crate::Node;
use kumo_store::{Store, StoreOptions};
use std::net::SocketAddr;
use std::sync::Arc;

pub struct TestNode {
    pub node: Arc<Node>,
    /// `http://127.0.0.1:PORT` of its JSON-RPC (and websocket).
    pub url: String,
    pub addr: SocketAddr,
}

impl TestNode {
    /// A node of `chain_id` from `genesis_json` signing blocks with `validator`, serving JSON-RPC.
    pub fn start(chain_id: &str, genesis_json: &str, validator: Ed25519Key) -> TestNode {
        let node = Arc::new(
            Node::with_parts(
                NodeConfig::new(chain_id, "node0"),
                genesis_json,
                validator,
                &Ed25519Key::generate(),
                Store::in_memory(StoreOptions::default()).expect("in-memory store"),
            )
            .expect("test node from genesis"),
        );
        let addr = serve_jsonrpc_on_loopback(node.clone());
        TestNode {
            node,
            url: format!("http://{addr}"),
            addr,
        }
    }
}

/// Serves `backend`'s JSON-RPC on 127.0.0.1 (a free port) from a thread with its own runtime,
/// so callers with or without a runtime can use it; returns the address once it listens.
pub fn serve_jsonrpc_on_loopback(backend: Arc<dyn RpcBackend>) -> SocketAddr {
    let (tx_addr, rx_addr) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test RPC runtime");
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind a loopback port");
            tx_addr.send(l.local_addr().expect("local address")).ok();
            serve_jsonrpc(backend, l).await.expect("serve JSON-RPC");
        });
    });
    rx_addr.recv().expect("the RPC thread listens")
}
