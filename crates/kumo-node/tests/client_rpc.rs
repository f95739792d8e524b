//! `kumo_client::RpcClient` against a real in-memory node serving JSON-RPC over loopback: queries,
//! accounts, simulation, signing and broadcasting, tx lookup, blocks, historic queries, errors.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxRaw};
use kumo_app::abci::BlockTime;
use kumo_app::genesis::Genesis;
use kumo_client::tx::to_any;
use kumo_client::{ClientError, Coin, FeeOpts, Gas, RpcClient};
use kumo_crypto::PrivKey;
use kumo_node::home::Ed25519Key;
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::testkit::TestNode;
use kumo_node::Node;
use prost::Message;
use serde_json::json;

const CHAIN: &str = "kumo-test";
const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
/// Holds many denoms, so listing its balances and the supply takes several pages of 100.
const CAROL: &str = "legal winner thank year wave sausage worth useful legal winner thank yellow";
/// Never funded.
const NOBODY: &str =
    "letter advice cage absurd amount doctor acoustic avoid letter advice cage above";
const START: u128 = 1_000_000_000;
const SEND: u128 = 12_345;
const FEE: u128 = 5_000;
const CAROL_DENOMS: usize = 150;

fn key(m: &str) -> PrivKey {
    PrivKey::from_mnemonic(m, "").unwrap()
}

fn carol_denom(i: usize) -> String {
    format!("d{i:03}")
}

/// A node at height 2 (block 2 holds `tx`, alice → bob `SEND` uakt) serving JSON-RPC on a
/// runtime of its own, so the blocking client can be called from the test thread.
struct Net {
    node: Arc<Node>,
    url: String,
    addr: SocketAddr,
    alice: PrivKey,
    bob: PrivKey,
    carol: PrivKey,
    tx: Vec<u8>,
    hash: String,
    second: AtomicI64,
}

impl Net {
    fn new() -> Net {
        let (alice, bob, carol) = (key(ALICE), key(BOB), key(CAROL));
        let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
        // These tests count tokens exactly: no minting.
        g.app_state.mint = kumo_app::mint::genesis::GenesisState::no_inflation();
        g.add_account(
            &alice.address().to_string(),
            &[
                kumo_app::coins::Coin::new("afoo", 5),
                kumo_app::coins::Coin::new("uakt", START),
            ],
        )
        .unwrap();
        g.add_account(
            &bob.address().to_string(),
            &[kumo_app::coins::Coin::new("uakt", START)],
        )
        .unwrap();
        let carol_coins: Vec<_> = (0..CAROL_DENOMS)
            .map(|i| kumo_app::coins::Coin::new(carol_denom(i), i as u128 + 1))
            .collect();
        g.add_account(&carol.address().to_string(), &carol_coins)
            .unwrap();
        let TestNode { node, addr, .. } =
            TestNode::start(CHAIN, &g.to_json(), Ed25519Key::generate());
        let mut net = Net {
            node,
            url: format!("http://{addr}"),
            addr,
            alice,
            bob,
            carol,
            tx: vec![],
            hash: String::new(),
            second: AtomicI64::new(1_795_584_338),
        };
        net.produce();
        let client = net.client();
        let acct = client
            .account(&net.alice.address().to_string())
            .unwrap()
            .unwrap();
        let tx = kumo_client::TxBuilder::new(CHAIN, acct.account_number, acct.sequence)
            .msg(net.send_msg(&net.alice, &net.bob.address().to_string(), SEND))
            .fee(vec![Coin {
                denom: "uakt".into(),
                amount: FEE.to_string(),
            }])
            .gas_limit(200_000)
            .sign(&net.alice)
            .tx_bytes;
        let r = client.broadcast_tx_sync(&tx).unwrap();
        assert_eq!(r.code, 0, "{}", r.log);
        assert_eq!(net.produce().block.txs, vec![tx.clone()]);
        net.hash = kumo_client::tx_hash(&tx);
        assert_eq!(r.hash, net.hash);
        net.tx = tx;
        net
    }

    fn client(&self) -> RpcClient {
        RpcClient::new(&self.url)
    }

    fn produce(&self) -> Arc<kumo_node::types::StoredBlock> {
        let s = self.second.fetch_add(1, Ordering::SeqCst);
        self.node
            .produce_block_at(BlockTime {
                seconds: s,
                nanos: 0,
            })
            .unwrap()
    }

    fn send_msg(&self, from: &PrivKey, to: &str, amount: u128) -> cosmos_sdk_proto::Any {
        to_any(&MsgSend {
            from_address: from.address().to_string(),
            to_address: to.into(),
            amount: vec![Coin {
                denom: "uakt".into(),
                amount: amount.to_string(),
            }],
        })
    }
}

fn supply_of(supply: &[(String, u128)], denom: &str) -> u128 {
    supply
        .iter()
        .find(|(d, _)| d == denom)
        .map_or(0, |(_, a)| *a)
}

#[test]
fn status_and_queries() {
    let net = Net::new();
    let client = net.client();
    let s = client.status().unwrap();
    let b2 = net.node.block(2).unwrap();
    assert_eq!(s.chain_id, CHAIN);
    assert_eq!(s.latest_height, 2);
    assert_eq!(s.latest_block_hash, hex::encode_upper(b2.block_id.hash));
    assert_eq!(
        s.latest_app_hash,
        hex::encode_upper(b2.block.header.app_hash)
    );
    assert_eq!(s.node_version, "0.38.17");
    assert_eq!(s.moniker, "node0");
    assert!(!s.catching_up);

    let alice = net.alice.address().to_string();
    let bob = net.bob.address().to_string();
    let nobody = key(NOBODY).address().to_string();
    assert_eq!(client.balance(&alice, "uakt").unwrap(), START - SEND - FEE);
    assert_eq!(client.balance(&bob, "uakt").unwrap(), START + SEND);
    assert_eq!(client.balance(&nobody, "uakt").unwrap(), 0);
    assert_eq!(
        client.all_balances(&alice).unwrap(),
        vec![
            ("afoo".to_string(), 5),
            ("uakt".to_string(), START - SEND - FEE)
        ]
    );
    assert_eq!(client.all_balances(&nobody).unwrap(), vec![]);
    // 150 denoms: two pages of at most 100, followed through next_key, sorted.
    let carol = client
        .all_balances(&net.carol.address().to_string())
        .unwrap();
    let want: Vec<(String, u128)> = (0..CAROL_DENOMS)
        .map(|i| (carol_denom(i), i as u128 + 1))
        .collect();
    assert_eq!(carol, want);

    let supply = client.total_supply().unwrap();
    assert_eq!(supply.len(), CAROL_DENOMS + 2, "{supply:?}");
    assert_eq!(supply_of(&supply, "uakt"), 2 * START, "fees move, not burn");
    assert_eq!(supply_of(&supply, "afoo"), 5);
    assert_eq!(supply_of(&supply, "d149"), 150);
    assert_eq!(client.supply_of("uakt").unwrap(), 2 * START);
    assert_eq!(client.supply_of("unone").unwrap(), 0);
    let err = client.supply_of("x").unwrap_err();
    assert!(matches!(err, ClientError::Query { code: 18, .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "query /cosmos.bank.v1beta1.Query/SupplyOf failed with code 18 (codespace sdk): \
             rpc error: code = InvalidArgument"
        ),
        "{text}"
    );

    // Accounts: alice signed once (sequence 1, pubkey known), bob never, nobody does not exist.
    let a = client.account(&alice).unwrap().unwrap();
    assert_eq!(a.address, alice);
    assert_eq!(a.sequence, 1);
    assert_eq!(a.type_url, "/cosmos.auth.v1beta1.BaseAccount");
    let pk = a.pubkey.unwrap();
    assert_eq!(pk.type_url, "/cosmos.crypto.secp256k1.PubKey");
    assert_eq!(pk.key, net.alice.pubkey().as_bytes());
    let b = client.account(&bob).unwrap().unwrap();
    assert_eq!((b.sequence, b.pubkey), (0, None));
    assert_ne!(a.account_number, b.account_number);
    assert_eq!(client.account(&nobody).unwrap(), None);
}

#[test]
fn queries_at_a_past_height() {
    let net = Net::new();
    let alice = net.alice.address().to_string();
    let at1 = net.client().at_height(Some(1));
    assert_eq!(at1.height(), Some(1));
    assert_eq!(at1.balance(&alice, "uakt").unwrap(), START);
    let a = at1.account(&alice).unwrap().unwrap();
    assert_eq!((a.sequence, a.pubkey), (0, None));
    let r = at1
        .abci_query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
                address: alice.clone(),
                denom: "uakt".into(),
            }
            .encode_to_vec(),
            Some(1),
        )
        .unwrap();
    assert_eq!((r.code, r.height), (0, 1));

    let at2 = net.client().at_height(Some(2));
    assert_eq!(at2.balance(&alice, "uakt").unwrap(), START - SEND - FEE);
    assert_eq!(at2.account(&alice).unwrap().unwrap().sequence, 1);
    let latest = net.client().at_height(None);
    assert_eq!(latest.height(), None);
    assert_eq!(latest.balance(&alice, "uakt").unwrap(), START - SEND - FEE);

    // A height above the chain's is a JSON-RPC error.
    let err = net
        .client()
        .at_height(Some(9))
        .balance(&alice, "uakt")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "node returned JSON-RPC error -32603 (Internal error): \
         height 9 must be less than or equal to the current blockchain height 2"
    );
}

#[test]
fn sign_and_broadcast_end_to_end() {
    let net = Net::new();
    let client = net.client();
    let signer = &net.alice;
    let alice = signer.address().to_string();
    let to = key(NOBODY).address().to_string();
    let msg = net.send_msg(signer, &to, 777);
    let opts = FeeOpts {
        memo: "hi".into(),
        ..Default::default()
    };

    // What the auto-gas path will sign: the same simulation the node runs for the broadcast.
    let prepared =
        kumo_client::prepare_tx(&client, signer, None, vec![msg.clone()], &opts).unwrap();
    assert_eq!(prepared.chain_id, CHAIN);
    assert_eq!(prepared.sequence, 1);
    let used = prepared.gas_estimate.unwrap();
    assert!(used > 10_000, "{used}");
    assert_eq!(prepared.gas_limit, (used * 14).div_ceil(10));
    let fee: u64 = (prepared.gas_limit * 25).div_ceil(1000);
    assert_eq!(
        prepared.fee,
        vec![Coin {
            denom: "uakt".into(),
            amount: fee.to_string()
        }]
    );
    let resimulated = client.simulate(&prepared.signed.tx_bytes).unwrap();
    assert!(
        resimulated.abs_diff(used) < 1_000,
        "simulating the signed tx costs about the same: {resimulated} vs {used}"
    );

    let res = kumo_client::sign_and_broadcast(&client, signer, None, vec![msg], &opts).unwrap();
    assert_eq!(res.code, 0, "{}", res.log);
    assert_eq!(res.hash.len(), 64);
    assert_eq!(client.tx(&res.hash).unwrap(), None, "not in a block yet");
    assert_eq!(net.node.mempool_len(), 1);

    // The client polls while another thread makes the block.
    let node = net.node.clone();
    let producer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        node.produce_block_at(BlockTime {
            seconds: 1_795_584_400,
            nanos: 0,
        })
        .unwrap()
    });
    let start = Instant::now();
    let info = client
        .wait_for_tx(&res.hash.to_lowercase(), Duration::from_secs(20))
        .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(400));
    let b3 = producer.join().unwrap();
    assert_eq!(b3.block.header.height, 3);
    assert_eq!(info.hash, res.hash);
    assert_eq!(
        (info.height, info.index, info.code),
        (3, 0, 0),
        "{}",
        info.log
    );
    assert_eq!(info.gas_wanted, prepared.gas_limit);
    assert!(info.gas_used > 0 && info.gas_used <= info.gas_wanted);
    assert_eq!(kumo_client::tx_hash(&info.tx), res.hash);
    assert!(info.events.iter().any(|e| e.kind == "transfer"
        && e.attributes
            .iter()
            .any(|a| a.key == "recipient" && a.value == to)));

    // The tx on chain: the simulated gas limit and fee, the memo, alice's sequence 1, her signature.
    let raw = TxRaw::decode(info.tx.as_slice()).unwrap();
    let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    let fee_on_chain = auth.fee.unwrap();
    assert_eq!(fee_on_chain.gas_limit, prepared.gas_limit);
    assert_eq!(fee_on_chain.amount, prepared.fee);
    assert_eq!(auth.signer_infos[0].sequence, 1);
    let body =
        cosmos_sdk_proto::cosmos::tx::v1beta1::TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    assert_eq!(body.memo, "hi");
    let doc = SignDoc {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes: raw.auth_info_bytes.clone(),
        chain_id: CHAIN.into(),
        account_number: prepared.account_number,
    };
    assert!(signer
        .pubkey()
        .verify(&doc.encode_to_vec(), &raw.signatures[0]));

    assert_eq!(client.balance(&to, "uakt").unwrap(), 777);
    assert_eq!(
        client.balance(&alice, "uakt").unwrap(),
        START - SEND - FEE - 777 - fee as u128
    );
    assert_eq!(client.account(&alice).unwrap().unwrap().sequence, 2);
    let found = client.tx(&res.hash).unwrap().unwrap();
    assert_eq!(found, info);
}

#[test]
fn fixed_gas_skips_simulation_and_missing_account_is_clear() {
    let net = Net::new();
    let client = net.client();
    let opts = FeeOpts {
        gas: Gas::Fixed(100_000),
        ..Default::default()
    };
    let nobody = key(NOBODY);
    let msg = net.send_msg(&nobody, &net.bob.address().to_string(), 1);
    let err = kumo_client::prepare_tx(&client, &nobody, Some(CHAIN), vec![msg], &opts).unwrap_err();
    assert!(matches!(err, ClientError::AccountNotFound(_)), "{err}");
    assert!(err.to_string().contains("must receive tokens"), "{err}");

    // Fixed gas: no estimate; the limit and fee are as given.
    let msg = net.send_msg(&net.bob, &net.alice.address().to_string(), 1);
    let p = kumo_client::prepare_tx(&client, &net.bob, Some(CHAIN), vec![msg], &opts).unwrap();
    assert_eq!((p.gas_limit, p.gas_estimate), (100_000, None));
    assert_eq!(
        p.fee,
        vec![Coin {
            denom: "uakt".into(),
            amount: "2500".into()
        }]
    );
    let r = client.broadcast_tx_sync(&p.signed.tx_bytes).unwrap();
    assert_eq!(r.code, 0, "{}", r.log);
}

#[test]
fn simulation_failure_reports_node_log() {
    let net = Net::new();
    let client = net.client();
    let msg = net.send_msg(&net.bob, &net.alice.address().to_string(), 10 * START);
    let err = kumo_client::prepare_tx(&client, &net.bob, None, vec![msg], &FeeOpts::default())
        .unwrap_err();
    let text = err.to_string();
    // baseapp wraps a failing simulation as ErrUnknownRequest (6) around the gRPC error.
    assert!(
        matches!(err, ClientError::Simulation { code: 6, .. }),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "is smaller than {}uakt: insufficient funds",
            10 * START
        )),
        "{text}"
    );
    assert!(
        text.contains("insufficient funds") && text.contains("--gas"),
        "{text}"
    );
}

#[test]
fn tx_lookup_and_wait_for_tx() {
    let net = Net::new();
    let client = net.client();
    let info = client.tx(&net.hash).unwrap().unwrap();
    assert_eq!(info.hash, net.hash);
    assert_eq!((info.height, info.index, info.code), (2, 0, 0));
    assert_eq!(info.tx, net.tx);
    assert_eq!(info.gas_wanted, 200_000);
    let r = &net.node.block_results(2).unwrap().tx_results[0];
    assert_eq!(info.gas_used, r.gas_used);
    assert!(info.events.iter().any(|e| e.kind == "transfer"
        && e.attributes
            .iter()
            .any(|a| a.key == "amount" && a.value == format!("{SEND}uakt"))));
    // Lower-case and 0x-prefixed hashes are accepted.
    assert_eq!(
        client
            .tx(&format!("0x{}", net.hash.to_lowercase()))
            .unwrap()
            .unwrap(),
        info
    );
    // Already included: wait_for_tx answers at once.
    let start = Instant::now();
    assert_eq!(
        client
            .wait_for_tx(&net.hash, Duration::from_secs(5))
            .unwrap(),
        info
    );
    assert!(start.elapsed() < Duration::from_secs(2));

    let unknown = "CD".repeat(32);
    assert_eq!(client.tx(&unknown).unwrap(), None);
    let start = Instant::now();
    let err = client
        .wait_for_tx(&unknown, Duration::from_millis(600))
        .unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(600));
    let text = err.to_string();
    assert!(matches!(err, ClientError::Timeout { .. }), "{text}");
    assert!(text.contains("may still be included"), "{text}");
    assert!(text.contains(&format!("kumo query tx {unknown}")), "{text}");
    assert!(client.tx("not-a-hash").is_err());
}

#[test]
fn rpc_errors_and_block() {
    let net = Net::new();
    let client = net.client();
    let b = client.block(Some(2)).unwrap();
    let stored = net.node.block(2).unwrap();
    assert_eq!(
        (b.height, b.hash.as_str(), b.chain_id.as_str()),
        (2, hex::encode_upper(stored.block_id.hash).as_str(), CHAIN)
    );
    assert_eq!(b.time, "2026-11-25T05:25:39.000000000Z");
    assert_eq!(b.app_hash, hex::encode_upper(stored.block.header.app_hash));
    assert_eq!(
        b.proposer_address,
        hex::encode_upper(stored.block.header.proposer_address)
    );
    assert_eq!(b.txs, vec![net.tx.clone()]);
    assert_eq!(b.tx_hashes(), vec![net.hash.clone()]);
    let latest = client.block(None).unwrap();
    assert_eq!(latest, b);
    let b1 = client.block(Some(1)).unwrap();
    assert_eq!((b1.height, b1.txs.len()), (1, 0));
    assert_eq!(b1.time, "2026-11-25T05:25:38.000000000Z");

    // JSON-RPC errors surface with code, message and data.
    let err = client.block(Some(5)).unwrap_err();
    assert!(
        matches!(&err, ClientError::Rpc { code: -32603, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "node returned JSON-RPC error -32603 (Internal error): \
         height 5 must be less than or equal to the current blockchain height 2"
    );
    let err = client.broadcast_tx_sync(&[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "node returned JSON-RPC error -32602 (Invalid params): tx: must not be empty"
    );
    let err = client.call("no_such_method", json!({})).unwrap_err();
    assert!(
        matches!(&err, ClientError::Rpc { code: -32601, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("Method not found"), "{err}");

    // A CheckTx failure is a result, not an error: bytes that are not a tx.
    let r = client.broadcast_tx_sync(&[1, 2, 3]).unwrap();
    assert_ne!(r.code, 0);
    assert_eq!(r.codespace, "sdk");
    assert_eq!(r.hash, kumo_client::tx_hash(&[1, 2, 3]));

    // The node's address in tcp:// and bare host:port form reaches the same node.
    for url in [format!("tcp://{}", net.addr), net.addr.to_string()] {
        assert_eq!(RpcClient::new(&url).status().unwrap().latest_height, 2);
    }
}

#[test]
fn unreachable_node_says_so() {
    // Bind then drop to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = RpcClient::new(&format!("127.0.0.1:{port}"));
    let err = client.status().unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot reach node at http://127.0.0.1:{port}: is `kumo node start` running?"
        )),
        "{text}"
    );
}
