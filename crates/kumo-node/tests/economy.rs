//! The token economy through the node's block pipeline: the node's consensus key is a bonded
//! genesis validator, its commit signatures reach distribution and slashing, and signed
//! staking and distribution txs work end to end.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::distribution::v1beta1::{
    MsgWithdrawDelegatorReward, QueryDelegationRewardsRequest, QueryDelegationRewardsResponse,
};
use cosmos_sdk_proto::cosmos::slashing::v1beta1::{
    QuerySigningInfosRequest, QuerySigningInfosResponse,
};
use cosmos_sdk_proto::cosmos::staking::v1beta1::{
    MsgDelegate, QueryValidatorsRequest, QueryValidatorsResponse,
};
use kumo_app::abci::{BlockTime, TxResult};
use kumo_app::genesis::Genesis;
use kumo_app::staking::state::VALOPER_HRP;
use kumo_client::tx::to_any;
use kumo_client::{Coin, TxBuilder};
use kumo_crypto::PrivKey;
use kumo_node::home::{Ed25519Key, NodeConfig};
use kumo_node::rpc::backend::RpcBackend;
use kumo_node::Node;
use kumo_store::{Store, StoreOptions};
use prost::Message;

const CHAIN: &str = "kumo-test";
const ALICE: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const START: u128 = 1_000_000_000_000;

struct Chain {
    node: Node,
    time: i64,
}

impl Chain {
    fn block(&mut self) -> Vec<TxResult> {
        self.time += 6;
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

    fn send_tx(&mut self, from: &PrivKey, number: u64, seq: u64, msg: cosmos_sdk_proto::Any) {
        let tx = TxBuilder::new(CHAIN, number, seq)
            .msg(msg)
            .fee(vec![Coin {
                denom: "uakt".into(),
                amount: "10000".into(),
            }])
            .gas_limit(400_000)
            .sign(from)
            .tx_bytes;
        let r = self.node.check_tx(tx).unwrap();
        assert_eq!(r.code, 0, "{}", r.log);
    }
}

#[test]
fn the_node_validator_is_bonded_and_a_delegation_earns_rewards() {
    let (alice, bob) = (
        PrivKey::from_mnemonic(ALICE, "").unwrap(),
        PrivKey::from_mnemonic(BOB, "").unwrap(),
    );
    let validator = Ed25519Key::generate();
    let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    for k in [&alice, &bob] {
        g.add_account(
            &k.address().to_string(),
            &[kumo_app::coins::Coin::new("uakt", START)],
        )
        .unwrap();
    }
    kumo_app::staking::genesis::add_genesis_validator(
        &mut g,
        &bob.address(),
        &validator.public(),
        "node0",
        START / 2,
        kumo_proto::math::DEC_ONE / 10,
    )
    .unwrap();
    let node = Node::with_parts(
        NodeConfig::new(CHAIN, "test"),
        &g.to_json(),
        validator,
        &Ed25519Key::generate(),
        Store::in_memory(StoreOptions::default()).unwrap(),
    )
    .unwrap();
    let mut c = Chain { node, time: 1_000 };
    c.block();
    // Alice (account 0) delegates to bob's validator with a signed tx.
    let valoper = bob.address().to_bech32(VALOPER_HRP);
    c.send_tx(
        &alice,
        0,
        0,
        to_any(&MsgDelegate {
            delegator_address: alice.address().to_string(),
            validator_address: valoper.clone(),
            amount: Some(ProtoCoin {
                denom: "uakt".into(),
                amount: (START / 4).to_string(),
            }),
        }),
    );
    let r = c.block();
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    let vals: QueryValidatorsResponse = c.query(
        "/cosmos.staking.v1beta1.Query/Validators",
        &QueryValidatorsRequest::default(),
    );
    assert_eq!(
        vals.validators[0].tokens,
        (START / 2 + START / 4).to_string()
    );
    for _ in 0..5 {
        c.block();
    }
    // Mint and fees reach the validator through the node's commit votes.
    let rewards: QueryDelegationRewardsResponse = c.query(
        "/cosmos.distribution.v1beta1.Query/DelegationRewards",
        &QueryDelegationRewardsRequest {
            delegator_address: alice.address().to_string(),
            validator_address: valoper.clone(),
        },
    );
    let pending: u128 =
        rewards.rewards[0].amount.parse::<u128>().unwrap() / 1_000_000_000_000_000_000;
    assert!(pending > 0, "{rewards:?}");
    let infos: QuerySigningInfosResponse = c.query(
        "/cosmos.slashing.v1beta1.Query/SigningInfos",
        &QuerySigningInfosRequest::default(),
    );
    assert_eq!(infos.info.len(), 1);
    assert_eq!(infos.info[0].missed_blocks_counter, 0);
    assert!(infos.info[0].index_offset >= 6);
    let before = {
        let r: cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse = c.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
                address: alice.address().to_string(),
                denom: "uakt".into(),
            },
        );
        r.balance.unwrap().amount.parse::<u128>().unwrap()
    };
    c.send_tx(
        &alice,
        0,
        1,
        to_any(&MsgWithdrawDelegatorReward {
            delegator_address: alice.address().to_string(),
            validator_address: valoper,
        }),
    );
    let r = c.block();
    assert_eq!(r[0].code, 0, "{}", r[0].log);
    let after = {
        let r: cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceResponse = c.query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &cosmos_sdk_proto::cosmos::bank::v1beta1::QueryBalanceRequest {
                address: alice.address().to_string(),
                denom: "uakt".into(),
            },
        );
        r.balance.unwrap().amount.parse::<u128>().unwrap()
    };
    // At least what was pending a block earlier, minus the fee.
    assert!(
        after + 10_000 >= before + pending,
        "{before} -> {after}, pending {pending}"
    );
}
