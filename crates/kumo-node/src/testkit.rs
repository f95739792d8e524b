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

/// The SDL most client tests deploy (`testdata/nginx.yaml`: one nginx service, 0.5 CPU, 512 Mi,
/// 1 Gi, 1000 uakt per block, any provider).
pub const NGINX_SDL: &str = include_str!("../testdata/nginx.yaml");

#[cfg(feature = "testkit")]
pub use net::{Producing, TestNet, TestNetBuilder};

#[cfg(feature = "testkit")]
mod net {
    //! The client tests' chain: genesis with funded accounts and (optionally) a bonded
    //! validator, a [`TestNode`], a block clock that moves as the test says, and txs signed,
    //! included and checked in one call.

    use super::TestNode;
    use crate::home::Ed25519Key;
    use crate::Node;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
    use cosmos_sdk_proto::Any;
    use kumo_app::abci::BlockTime;
    use kumo_app::genesis::Genesis;
    use kumo_client::RpcClient;
    use kumo_crypto::{Address, PrivKey};
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// 10 % commission, as LegacyDec atomics.
    const COMMISSION: u128 = 100_000_000_000_000_000;

    pub struct TestNetBuilder {
        chain_id: String,
        accounts: Vec<(Address, Vec<kumo_app::coins::Coin>)>,
        validator: Option<(Address, u128)>,
        block_seconds: i64,
        fee_uakt: u128,
        gas: u64,
    }

    impl TestNetBuilder {
        /// Gives `key`'s account these (denom, amount) coins at genesis.
        pub fn fund(mut self, key: &PrivKey, coins: &[(&str, u128)]) -> Self {
            let coins = coins
                .iter()
                .map(|(d, a)| kumo_app::coins::Coin::new(*d, *a))
                .collect();
            self.accounts.push((key.address(), coins));
            self
        }

        /// A genesis validator operated by `operator` (a funded account) with this self-bond;
        /// without one the chain has no staking validator (blocks are still signed).
        pub fn validator(mut self, operator: &PrivKey, self_bond: u128) -> Self {
            self.validator = Some((operator.address(), self_bond));
            self
        }

        /// Seconds between the blocks `produce` makes (default 6, Akash's block time).
        pub fn block_seconds(mut self, s: i64) -> Self {
            self.block_seconds = s;
            self
        }

        /// The fee and gas limit of `tx` (default 100,000 uakt for 1,500,000 gas).
        pub fn fee(mut self, uakt: u128, gas: u64) -> Self {
            self.fee_uakt = uakt;
            self.gas = gas;
            self
        }

        /// Starts the node and commits block 1 (genesis accounts are queryable from then).
        pub fn start(self) -> TestNet {
            let mut g = Genesis::new(&self.chain_id, "2026-01-01T00:00:00Z");
            for (a, coins) in &self.accounts {
                g.add_account(&a.to_string(), coins)
                    .expect("genesis account");
            }
            let key = Ed25519Key::generate();
            if let Some((operator, bond)) = &self.validator {
                kumo_app::staking::genesis::add_genesis_validator(
                    &mut g,
                    operator,
                    &key.public(),
                    "node0",
                    *bond,
                    COMMISSION,
                )
                .expect("genesis validator");
            }
            let TestNode { node, url, .. } = TestNode::start(&self.chain_id, &g.to_json(), key);
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock after 1970")
                .as_secs() as i64;
            let net = TestNet {
                node,
                url,
                chain_id: self.chain_id,
                clock: AtomicI64::new(now),
                block_seconds: self.block_seconds,
                fee_uakt: self.fee_uakt,
                gas: self.gas,
            };
            net.produce();
            net
        }
    }

    pub struct TestNet {
        pub node: Arc<Node>,
        /// `http://127.0.0.1:PORT` of its JSON-RPC.
        pub url: String,
        pub chain_id: String,
        clock: AtomicI64,
        block_seconds: i64,
        fee_uakt: u128,
        gas: u64,
    }

    impl TestNet {
        pub fn builder(chain_id: &str) -> TestNetBuilder {
            TestNetBuilder {
                chain_id: chain_id.to_string(),
                accounts: vec![],
                validator: None,
                block_seconds: 6,
                fee_uakt: 100_000,
                gas: 1_500_000,
            }
        }

        pub fn client(&self) -> RpcClient {
            RpcClient::new(&self.url)
        }

        /// Commits the next block, `block_seconds` after the last; returns its height.
        pub fn produce(&self) -> u64 {
            let s = self.clock.fetch_add(self.block_seconds, Ordering::SeqCst);
            self.node
                .produce_block_at(BlockTime {
                    seconds: s,
                    nanos: 0,
                })
                .expect("block")
                .block
                .header
                .height
        }

        /// Signs `msgs` as `key`, broadcasts them, commits a block; both CheckTx and the
        /// block's result must be success. Returns the tx's height.
        pub fn tx(&self, key: &PrivKey, msgs: Vec<Any>) -> u64 {
            let c = self.client();
            let opts = kumo_client::FeeOpts {
                gas: kumo_client::Gas::Fixed(self.gas),
                fees: Some(vec![Coin {
                    denom: "uakt".into(),
                    amount: self.fee_uakt.to_string(),
                }]),
                ..Default::default()
            };
            let r = kumo_client::sign_and_broadcast(&c, key, Some(&self.chain_id), msgs, &opts)
                .expect("sign and broadcast");
            assert_eq!(r.code, 0, "CheckTx: {}", r.log);
            let height = self.produce();
            let info = c.tx(&r.hash).expect("tx query").expect("tx in the block");
            assert_eq!(info.code, 0, "DeliverTx: {}", info.log);
            height
        }

        /// Commits a block every `every` from a thread of its own, as a running node would,
        /// until the returned guard is dropped.
        pub fn keep_producing(&self, every: Duration) -> Producing {
            let on = Arc::new(AtomicBool::new(true));
            let node = self.node.clone();
            let flag = on.clone();
            std::thread::spawn(move || {
                while flag.load(Ordering::SeqCst) {
                    node.produce_block().expect("block");
                    std::thread::sleep(every);
                }
            });
            Producing(on)
        }
    }

    /// Stops the background block producer when dropped.
    pub struct Producing(Arc<AtomicBool>);

    impl Drop for Producing {
        fn drop(&mut self) {
            self.0.store(false, Ordering::SeqCst);
        }
    }
}
