//! Multi-block tests of the whole app through the node's block pipeline, in memory (and on
//! disk for restarts): sends, fees, sequences, bad input at CheckTx, supply conservation.

use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    MsgSend, QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest,
    QueryBalanceResponse, QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmos_sdk_proto::Any;
use kumo_app::abci::{BlockTime, TxResult};
use kumo_app::genesis::Genesis;
use kumo_client::tx::to_any;
use kumo_client::{Coin, TxBuilder};
use kumo_crypto::PrivKey;
use kumo_node::home::{Ed25519Key, NodeConfig};
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::Node;
use kumo_store::{Store, StoreOptions};
use proptest::prelude::*;
use prost::Message;

const CHAIN: &str = "kumo-test";
const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const START: u128 = 1_000_000_000;

fn key(m: &str) -> PrivKey {
    PrivKey::from_mnemonic(m, "").unwrap()
}

fn genesis_for(keys: &[&PrivKey]) -> String {
    let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    // These tests count tokens exactly: no minting.
    g.app_state.mint = kumo_app::mint::genesis::GenesisState::no_inflation();
    for k in keys {
        g.add_account(
            &k.address().to_string(),
            &[kumo_app::coins::Coin::new("uakt", START)],
        )
        .unwrap();
    }
    g.to_json()
}

struct Chain {
    node: Node,
    time: i64,
    validator: Ed25519Key,
    node_key: Ed25519Key,
}

impl Chain {
    fn new(keys: &[&PrivKey]) -> Chain {
        Chain::with_store(
            keys,
            Store::in_memory(StoreOptions::default()).unwrap(),
            Ed25519Key::generate(),
            Ed25519Key::generate(),
        )
    }

    fn with_store(
        keys: &[&PrivKey],
        store: Store,
        validator: Ed25519Key,
        node_key: Ed25519Key,
    ) -> Chain {
        let node = Node::with_parts(
            NodeConfig::new(CHAIN, "test"),
            &genesis_for(keys),
            validator.clone(),
            &node_key,
            store,
        )
        .unwrap();
        Chain {
            node,
            time: 1_000,
            validator,
            node_key,
        }
    }

    /// A chain over a node built by the test (its own config or stores).
    fn with_node(node: Node) -> Chain {
        Chain {
            node,
            time: 1_000,
            validator: Ed25519Key::generate(),
            node_key: Ed25519Key::generate(),
        }
    }

    /// Admits a signed send of `amount` from `from` to `to` and produces the block holding it;
    /// returns the tx hash and the block's results.
    fn send_in_block(
        &mut self,
        from: &PrivKey,
        to: &PrivKey,
        amount: u128,
    ) -> ([u8; 32], Vec<TxResult>) {
        let tx = signed(
            self,
            from,
            send_msg(from, &to.address().to_string(), amount),
            5_000,
            200_000,
        );
        let hash = kumo_crypto::tx_hash(&tx);
        self.node.check_tx(tx).unwrap();
        (hash, self.block())
    }

    fn block(&mut self) -> Vec<TxResult> {
        self.time += 1;
        let b = self
            .node
            .produce_block_at(BlockTime {
                seconds: self.time,
                nanos: 0,
            })
            .unwrap();
        self.node
            .block_results(b.block.header.height)
            .unwrap()
            .tx_results
    }

    fn query<Req: Message, Resp: Message + Default>(&self, path: &str, req: &Req) -> Resp {
        let r = self.node.abci_query(path, &req.encode_to_vec(), 0);
        assert_eq!(r.code, 0, "{path}: {}", r.log);
        Resp::decode(r.value.as_slice()).unwrap()
    }

    fn balance(&self, addr: &str) -> u128 {
        let r: QueryBalanceResponse = self.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: addr.into(),
                denom: "uakt".into(),
            },
        );
        r.balance.unwrap().amount.parse().unwrap()
    }

    fn supply(&self) -> u128 {
        let r: QueryTotalSupplyResponse = self.query(
            "/cosmos.bank.v1beta1.Query/TotalSupply",
            &QueryTotalSupplyRequest::default(),
        );
        r.supply
            .iter()
            .find(|c| c.denom == "uakt")
            .map_or(0, |c| c.amount.parse().unwrap())
    }

    fn account(&self, k: &PrivKey) -> (u64, u64) {
        let r = self.node.abci_query(
            "/cosmos.auth.v1beta1.Query/Account",
            &cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountRequest {
                address: k.address().to_string(),
            }
            .encode_to_vec(),
            0,
        );
        assert_eq!(r.code, 0, "{}", r.log);
        let any = cosmos_sdk_proto::cosmos::auth::v1beta1::QueryAccountResponse::decode(
            r.value.as_slice(),
        )
        .unwrap()
        .account
        .unwrap();
        let acc =
            cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount::decode(any.value.as_slice())
                .unwrap();
        (acc.account_number, acc.sequence)
    }
}

fn send_msg(from: &PrivKey, to: &str, amount: u128) -> Any {
    to_any(&MsgSend {
        from_address: from.address().to_string(),
        to_address: to.into(),
        amount: vec![Coin {
            denom: "uakt".into(),
            amount: amount.to_string(),
        }],
    })
}

fn signed(c: &Chain, from: &PrivKey, msg: Any, fee: u128, gas: u64) -> Vec<u8> {
    let (number, seq) = c.account(from);
    TxBuilder::new(CHAIN, number, seq)
        .msg(msg)
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: fee.to_string(),
        }])
        .gas_limit(gas)
        .sign(from)
        .tx_bytes
}

#[test]
fn send_moves_coins_charges_the_fee_and_bumps_the_sequence() {
    let (a, b) = (key(ALICE), key(BOB));
    let mut c = Chain::new(&[&a, &b]);
    c.block();
    let supply = c.supply();
    assert_eq!(supply, 2 * START);
    let tx = signed(
        &c,
        &a,
        send_msg(&a, &b.address().to_string(), 12_345),
        5_000,
        200_000,
    );
    let check = c.node.check_tx(tx).unwrap();
    assert_eq!(check.code, 0, "{}", check.log);
    let results = c.block();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].code, 0, "{}", results[0].log);
    assert!(results[0].gas_used > 0 && results[0].gas_used <= 200_000);
    assert!(results[0]
        .events
        .iter()
        .any(|e| e.kind == "transfer" && e.get("recipient") == Some(&b.address().to_string())));
    assert!(results[0]
        .events
        .iter()
        .any(|e| e.kind == "tx" && e.get("fee") == Some("5000uakt")));
    assert_eq!(c.balance(&a.address().to_string()), START - 12_345 - 5_000);
    assert_eq!(c.balance(&b.address().to_string()), START + 12_345);
    let collector = kumo_app::auth::module_address(kumo_app::auth::FEE_COLLECTOR).to_string();
    assert_eq!(c.balance(&collector), 5_000);
    assert_eq!(c.account(&a).1, 1);
    assert_eq!(
        c.supply(),
        supply,
        "transfers and fees never change the supply"
    );
}

#[test]
fn a_new_recipient_gets_an_account_and_a_failed_message_still_pays_its_fee() {
    let (a, b) = (key(ALICE), key(BOB));
    let mut c = Chain::new(&[&a]);
    c.block();
    // Overspend: passes CheckTx (ante only), fails in the block with code 5.
    let tx = signed(
        &c,
        &a,
        send_msg(&a, &b.address().to_string(), START * 2),
        5_000,
        200_000,
    );
    assert_eq!(c.node.check_tx(tx).unwrap().code, 0);
    let r = c.block();
    assert_eq!(r[0].code, 5);
    assert!(r[0].log.contains("insufficient funds"), "{}", r[0].log);
    assert_eq!(c.balance(&a.address().to_string()), START - 5_000);
    assert_eq!(
        c.account(&a).1,
        1,
        "sequence bumps even when the message fails"
    );
    // Now a real send creates bob's account.
    let tx = signed(
        &c,
        &a,
        send_msg(&a, &b.address().to_string(), 7),
        5_000,
        200_000,
    );
    assert_eq!(c.node.check_tx(tx).unwrap().code, 0);
    assert_eq!(c.block()[0].code, 0);
    let (number, seq) = c.account(&b);
    assert_eq!(seq, 0);
    assert!(number >= 1);
}

#[test]
fn bad_input_is_refused_at_check_tx_and_blocks_continue() {
    let (a, b) = (key(ALICE), key(BOB));
    let mut c = Chain::new(&[&a, &b]);
    c.block();
    let good = signed(
        &c,
        &a,
        send_msg(&a, &b.address().to_string(), 1),
        5_000,
        200_000,
    );
    let code = |c: &Chain, tx: Vec<u8>| {
        let r = c.node.check_tx(tx).unwrap();
        (r.code, r.codespace, r.log)
    };
    // Malformed protobuf and a truncated tx.
    let (k, cs, log) = code(&c, vec![0xff, 0xff, 0xff]);
    assert_eq!((k, cs.as_str()), (2, "sdk"), "{log}");
    assert!(log.contains("tx parse error"));
    assert_eq!(code(&c, good[..good.len() / 2].to_vec()).0, 2);
    // Wrong chain id.
    let (number, seq) = c.account(&a);
    let wrong_chain = TxBuilder::new("other-chain", number, seq)
        .msg(send_msg(&a, &b.address().to_string(), 1))
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: "5000".into(),
        }])
        .gas_limit(200_000)
        .sign(&a)
        .tx_bytes;
    let (k, _, log) = code(&c, wrong_chain);
    assert_eq!(k, 4, "{log}");
    assert!(log.contains("signature verification failed"), "{log}");
    // A message from alice signed by bob (bob's key does not match alice's address).
    let by_bob = TxBuilder::new(CHAIN, number, seq)
        .msg(send_msg(&a, &b.address().to_string(), 1))
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: "5000".into(),
        }])
        .gas_limit(200_000)
        .sign(&b)
        .tx_bytes;
    assert_eq!(code(&c, by_bob).0, 8);
    // Unknown message type.
    let unknown = signed(
        &c,
        &a,
        Any {
            type_url: "/foo.Bar".into(),
            value: vec![],
        },
        5_000,
        200_000,
    );
    let (k, _, log) = code(&c, unknown);
    assert_eq!(k, 2);
    assert!(log.contains("/foo.Bar"), "{log}");
    // Fee below the minimum gas price (0.025uakt x 200000 = 5000uakt).
    let cheap = signed(
        &c,
        &a,
        send_msg(&a, &b.address().to_string(), 1),
        4_999,
        200_000,
    );
    let (k, _, log) = code(&c, cheap);
    assert_eq!(k, 13);
    assert!(
        log.contains("insufficient fees; got: 4999uakt required: 5000uakt"),
        "{log}"
    );
    // Oversized.
    let big = TxBuilder::new(CHAIN, number, seq)
        .msg(send_msg(&a, &b.address().to_string(), 1))
        .memo("x".repeat(1_100_000))
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: "5000".into(),
        }])
        .gas_limit(200_000)
        .sign(&a)
        .tx_bytes;
    let (k, _, log) = code(&c, big);
    assert_eq!(k, 21, "{log}");
    // The good tx, then the same bytes again.
    assert_eq!(code(&c, good.clone()).0, 0);
    let (k, _, log) = code(&c, good.clone());
    assert_eq!(k, 19, "{log}");
    // Out of gas at CheckTx.
    let (number, seq) = (number, seq + 1);
    let starved = TxBuilder::new(CHAIN, number, seq)
        .msg(send_msg(&a, &b.address().to_string(), 1))
        .fee(vec![Coin {
            denom: "uakt".into(),
            amount: "100".into(),
        }])
        .gas_limit(1_000)
        .sign(&a)
        .tx_bytes;
    assert_eq!(code(&c, starved).0, 11);
    // Only the good tx lands; blocks go on.
    let r = c.block();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].code, 0);
    assert_eq!(c.node.latest_height(), 2);
    c.block();
    assert_eq!(c.node.latest_height(), 3);
    // Replaying the committed tx now fails on its sequence.
    let (k, _, log) = code(&c, good);
    assert_eq!(k, 32);
    assert!(
        log.contains("account sequence mismatch, expected 1, got 0"),
        "{log}"
    );
}

#[test]
fn restart_resumes_at_the_last_commit_with_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let (a, b) = (key(ALICE), key(BOB));
    let (validator, node_key) = (Ed25519Key::generate(), Ed25519Key::generate());
    let mut hashes = Vec::new();
    let (height, app_hash, bal_a, bal_b) = {
        let mut c = Chain::with_store(
            &[&a, &b],
            Store::open(&path, StoreOptions::default()).unwrap(),
            validator.clone(),
            node_key.clone(),
        );
        c.block();
        for amount in [10u128, 20, 30] {
            let tx = signed(
                &c,
                &a,
                send_msg(&a, &b.address().to_string(), amount),
                5_000,
                200_000,
            );
            hashes.push(kumo_crypto::tx_hash(&tx));
            c.node.check_tx(tx).unwrap();
            assert_eq!(c.block()[0].code, 0);
        }
        let info = c.node.abci_info();
        (
            info.last_block_height,
            info.last_block_app_hash,
            c.balance(&a.address().to_string()),
            c.balance(&b.address().to_string()),
        )
    };
    let c = Chain::with_store(
        &[&a, &b],
        Store::open(&path, StoreOptions::default()).unwrap(),
        validator,
        node_key,
    );
    let info = c.node.abci_info();
    assert_eq!(
        (info.last_block_height, info.last_block_app_hash),
        (height, app_hash)
    );
    assert_eq!(c.balance(&a.address().to_string()), bal_a);
    assert_eq!(c.balance(&b.address().to_string()), bal_b);
    assert_eq!(c.account(&a).1, 3);
    // Queries at a past height see the past.
    let past = c.node.abci_query(
        "/cosmos.bank.v1beta1.Query/Balance",
        &QueryBalanceRequest {
            address: b.address().to_string(),
            denom: "uakt".into(),
        }
        .encode_to_vec(),
        2,
    );
    assert_eq!(past.height, 2);
    let coin = QueryBalanceResponse::decode(past.value.as_slice())
        .unwrap()
        .balance
        .unwrap();
    assert_eq!(coin.amount, (START + 10).to_string());
    // The tx index (here in memory, so empty at the restart) is rebuilt from the stored blocks:
    // every tx is found by hash and by its events.
    for (i, hash) in hashes.iter().enumerate() {
        let t = c.node.tx(hash).expect("tx found by hash after the restart");
        assert_eq!((t.height, t.index), (i as u64 + 2, 0));
    }
    let q = kumo_node::rpc::query::parse_tx_query(&format!("transfer.recipient='{}'", b.address()))
        .unwrap();
    let (found, total) = c.node.tx_search(&q, 1, 100, false).unwrap();
    assert_eq!(total, 3);
    assert_eq!(found.iter().map(|t| t.hash).collect::<Vec<_>>(), hashes);
    // The app's `tx` events are attributes like any other: the payer finds its txs.
    let q =
        kumo_node::rpc::query::parse_tx_query(&format!("tx.fee_payer='{}'", a.address())).unwrap();
    let (found, _) = c.node.tx_search(&q, 1, 100, false).unwrap();
    assert_eq!(found.iter().map(|t| t.hash).collect::<Vec<_>>(), hashes);
    let q =
        kumo_node::rpc::query::parse_tx_query(&format!("tx.acc_seq='{}/1'", a.address())).unwrap();
    let (found, _) = c.node.tx_search(&q, 1, 100, false).unwrap();
    assert_eq!(
        found.iter().map(|t| t.hash).collect::<Vec<_>>(),
        [hashes[1]]
    );
    let _ = (&c.validator, &c.node_key);
}

/// One step of the random workload: who sends how much to whom, with what fee.
#[derive(Clone, Debug)]
struct Op {
    from: usize,
    to: usize,
    amount: u128,
    fee: u128,
}

fn ops() -> impl Strategy<Value = Vec<Vec<Op>>> {
    let op = (
        0usize..4,
        0usize..5,
        0u128..(START * 3 / 2),
        5_000u128..20_000,
    )
        .prop_map(|(from, to, amount, fee)| Op {
            from,
            to,
            amount,
            fee,
        });
    proptest::collection::vec(proptest::collection::vec(op, 0..6), 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]
    /// Tokens are never created or lost: whatever sends succeed or fail, the total supply stays
    /// the genesis supply and equals the sum of all balances.
    #[test]
    fn transfers_conserve_supply(blocks in ops()) {
        let keys: Vec<PrivKey> = (0..5u8).map(|i| PrivKey::from_bytes(&[i + 1; 32]).unwrap()).collect();
        let funded: Vec<&PrivKey> = keys.iter().take(4).collect();
        let mut c = Chain::new(&funded);
        c.block();
        let supply = c.supply();
        let mut seqs = [0u64; 4];
        for ops in blocks {
            for op in ops {
                let from = &keys[op.from];
                let (number, _) = c.account(from);
                let tx = TxBuilder::new(CHAIN, number, seqs[op.from])
                    .msg(send_msg(from, &keys[op.to].address().to_string(), op.amount.max(1)))
                    .fee(vec![Coin { denom: "uakt".into(), amount: op.fee.to_string() }])
                    .gas_limit(200_000)
                    .sign(from)
                    .tx_bytes;
                if c.node.check_tx(tx).unwrap().code == 0 {
                    seqs[op.from] += 1;
                }
            }
            c.block();
            prop_assert_eq!(c.supply(), supply);
            let mut sum = 0u128;
            let mut holders: Vec<String> = keys.iter().map(|k| k.address().to_string()).collect();
            holders.push(kumo_app::auth::module_address(kumo_app::auth::FEE_COLLECTOR).to_string());
            // Fees move on to distribution (the community pool without validators).
            holders.push(kumo_app::auth::module_address("distribution").to_string());
            for h in holders {
                let r: QueryAllBalancesResponse = c.query("/cosmos.bank.v1beta1.Query/AllBalances", &QueryAllBalancesRequest { address: h, pagination: None, resolve_denom: false });
                sum += r.balances.iter().map(|b| b.amount.parse::<u128>().unwrap()).sum::<u128>();
            }
            prop_assert_eq!(sum, supply);
        }
    }
}

#[test]
fn tendermint_service_reports_node_info_and_blocks() {
    use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::*;
    let (a, b) = (key(ALICE), key(BOB));
    let mut c = Chain::new(&[&a, &b]);
    c.block();
    let tx = signed(
        &c,
        &a,
        send_msg(&a, &b.address().to_string(), 3),
        5_000,
        200_000,
    );
    c.node.check_tx(tx.clone()).unwrap();
    c.block();
    let info: GetNodeInfoResponse = c.query(
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
        &GetNodeInfoRequest {},
    );
    let node = info.default_node_info.unwrap();
    assert_eq!(node.network, CHAIN);
    assert!(node.version.starts_with("0.38."));
    let latest: GetLatestBlockResponse = c.query(
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
        &GetLatestBlockRequest {},
    );
    let sdk = latest.sdk_block.unwrap();
    let header = sdk.header.unwrap();
    assert_eq!(header.height, 2);
    assert!(header.proposer_address.starts_with("akashvalcons1"));
    assert_eq!(sdk.data.unwrap().txs, vec![tx]);
    let stored = c.node.block(2).unwrap();
    assert_eq!(latest.block_id.unwrap().hash, stored.block_id.hash.to_vec());
    let one: GetBlockByHeightResponse = c.query(
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
        &GetBlockByHeightRequest { height: 1 },
    );
    assert_eq!(one.sdk_block.unwrap().header.unwrap().height, 1);
    let future = c.node.abci_query(
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
        &GetBlockByHeightRequest { height: 99 }.encode_to_vec(),
        0,
    );
    assert_ne!(future.code, 0);
    assert!(
        future.log.contains("bigger than the chain length"),
        "{}",
        future.log
    );
    let syncing: GetSyncingResponse = c.query(
        "/cosmos.base.tendermint.v1beta1.Service/GetSyncing",
        &GetSyncingRequest {},
    );
    assert!(!syncing.syncing);
}

#[test]
fn an_index_ahead_of_the_chain_is_rebuilt() {
    let (a, b) = (key(ALICE), key(BOB));
    // An index left from another chain: it claims height 100 and holds a stray row.
    let index = kumo_store::IndexStore::in_memory().unwrap();
    let stray = kumo_store::AuxWrite {
        table: "tx_hashes",
        key: vec![7; 32],
        value: Some([100u64.to_be_bytes().as_slice(), &0u32.to_be_bytes()].concat()),
    };
    index.write(100, &[stray], true).unwrap();
    let node = Node::with_stores(
        NodeConfig::new(CHAIN, "test"),
        &genesis_for(&[&a, &b]),
        Ed25519Key::generate(),
        &Ed25519Key::generate(),
        Store::in_memory(StoreOptions::default()).unwrap(),
        index.clone(),
    )
    .unwrap();
    let mut c = Chain::with_node(node);
    c.block();
    let (hash, results) = c.send_in_block(&a, &b, 5);
    assert_eq!(results[0].code, 0);
    assert!(c.node.wait_indexed(std::time::Duration::from_secs(5)));
    assert_eq!(index.height().unwrap(), 2);
    assert!(c.node.tx(&[7; 32]).is_none(), "the stray row is gone");
    assert_eq!(c.node.tx(&hash).expect("indexed").height, 2);
}

#[test]
fn index_events_keeps_only_the_listed_attributes() {
    let (a, b) = (key(ALICE), key(BOB));
    let mut cfg = NodeConfig::new(CHAIN, "test");
    cfg.index_events = vec!["transfer.recipient".into()];
    let node = Node::with_parts(
        cfg,
        &genesis_for(&[&a, &b]),
        Ed25519Key::generate(),
        &Ed25519Key::generate(),
        Store::in_memory(StoreOptions::default()).unwrap(),
    )
    .unwrap();
    let mut c = Chain::with_node(node);
    c.block();
    let (hash, results) = c.send_in_block(&a, &b, 5);
    assert_eq!(results[0].code, 0);
    // Only the listed attribute keeps its mark; the others are still in the results.
    let marks: Vec<(String, String, bool)> = results[0]
        .events
        .iter()
        .flat_map(|e| {
            e.attributes
                .iter()
                .map(|a| (e.kind.clone(), a.key.clone(), a.index))
        })
        .collect();
    assert!(marks
        .iter()
        .any(|(k, a, i)| k == "message" && a == "sender" && !i));
    assert!(marks
        .iter()
        .filter(|(_, _, i)| *i)
        .all(|(k, a, _)| k == "transfer" && a == "recipient"));
    let search = |q: &str| {
        let q = kumo_node::rpc::query::parse_tx_query(q).unwrap();
        c.node.tx_search(&q, 1, 100, false).unwrap().1
    };
    assert_eq!(search(&format!("transfer.recipient='{}'", b.address())), 1);
    assert_eq!(search(&format!("message.sender='{}'", a.address())), 0);
    // Lookups by hash do not depend on events.
    assert_eq!(c.node.tx(&hash).expect("indexed by hash").height, 2);
}
