//! ProcessProposal on the node: a proposed block is checked against the tip, its body against
//! its header, and the previous block's commit certificate against the validator set. Each
//! tampered block here must be refused with a reason (the validator then votes nil).

use kumo_app::abci::BlockTime;
use kumo_app::genesis::Genesis;
use kumo_node::home::{Ed25519Key, NodeConfig};
use kumo_node::node::FLAG_COMMIT;
use kumo_node::types::{Block, Evidence, EvidenceKind};
use kumo_node::Node;
use kumo_store::{Store, StoreOptions};

const CHAIN: &str = "kumo-proposals";

fn node() -> Node {
    let g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    Node::with_parts(
        NodeConfig::new(CHAIN, "test"),
        &g.to_json(),
        Ed25519Key::generate(),
        &Ed25519Key::generate(),
        Store::in_memory(StoreOptions::default()).unwrap(),
    )
    .unwrap()
}

fn at(seconds: i64) -> BlockTime {
    BlockTime { seconds, nanos: 0 }
}

fn refused(node: &Node, block: &Block, now: i64, why: &str) {
    let err = node.check_block(block, at(now)).unwrap_err();
    assert!(err.contains(why), "expected {why:?}, got {err:?}");
}

#[test]
fn a_proposal_is_checked_against_the_tip_and_its_certificate() {
    let node = node();
    let me = node.validator_address();
    let first = node.build_block(me, at(1_000), vec![]).unwrap();
    node.check_block(&first, at(1_000)).unwrap();
    node.produce_block_at(at(1_000)).unwrap();
    node.produce_block_at(at(1_001)).unwrap();

    let good = node.build_block(me, at(1_002), vec![]).unwrap();
    node.check_block(&good, at(1_002)).unwrap();
    assert_eq!(good.last_commit.height, 2);

    let mut b = good.clone();
    b.header.app_hash[0] ^= 1;
    refused(&node, &b, 1_002, "app_hash differs");

    let mut b = good.clone();
    b.txs.push(vec![1, 2, 3]);
    refused(&node, &b, 1_002, "data_hash does not match");

    let mut b = good.clone();
    b.header.height += 1;
    refused(&node, &b, 1_002, "not the next height");

    let mut b = good.clone();
    b.header.time = at(1_000);
    refused(&node, &b, 1_002, "not after the previous block");

    refused(&node, &good, 900, "too far in the future");

    let mut b = good.clone();
    b.header.proposer_address = [7; 20];
    refused(&node, &b, 1_002, "proposer is not a validator");

    let mut b = good.clone();
    b.header.validators_hash[0] ^= 1;
    refused(&node, &b, 1_002, "wrong validators_hash");

    // The certificate of block 2: a forged signature, or none at all.
    let mut b = good.clone();
    b.last_commit.signatures[0].signature[0] ^= 1;
    refused(&node, &b, 1_002, "last_commit_hash does not match");
    let rehash = |b: &mut Block| {
        b.header.last_commit_hash = sha(&postcard::to_allocvec(&b.last_commit).unwrap());
    };
    rehash(&mut b);
    refused(&node, &b, 1_002, "bad commit signature");

    let mut b = good.clone();
    for s in &mut b.last_commit.signatures {
        s.block_id_flag = 1;
    }
    rehash(&mut b);
    refused(&node, &b, 1_002, "not more than two thirds");

    let mut b = good.clone();
    b.last_commit
        .signatures
        .push(b.last_commit.signatures[0].clone());
    assert_eq!(b.last_commit.signatures[1].block_id_flag, FLAG_COMMIT);
    rehash(&mut b);
    refused(&node, &b, 1_002, "two signatures of one validator");

    // Evidence must prove a double sign.
    let garbage = Evidence {
        kind: EvidenceKind::DuplicateVote,
        validator_address: me,
        height: 1,
        first: vec![1, 2, 3],
        second: vec![4, 5, 6],
    };
    let with_garbage = node.build_block(me, at(1_002), vec![garbage]).unwrap();
    refused(&node, &with_garbage, 1_002, "malformed evidence");
}

fn sha(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

/// The evidence path end to end in memory: two conflicting precommits signed with the
/// validator's consensus key go into a block, every node's check accepts them, and executing
/// the block slashes and tombstones the validator (the engine's part, noticing the double sign
/// on the network, is exercised by the network tests).
#[test]
fn double_sign_evidence_in_a_block_tombstones_the_validator() {
    use borsh::BorshSerialize;
    use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing;
    use kumo_node::consensus::context::{Address, BlockHash, Height, Signature, Vote};
    use kumo_node::consensus::signing::vote_sign_bytes;
    use kumo_node::rpc::backend::RpcBackend;
    use malachitebft_core_types::{NilOrVal, Round, SignedMessage, VoteType};
    use prost::Message;

    let consensus = Ed25519Key::generate();
    let operator = kumo_crypto::Address([9; 20]);
    let mut g = Genesis::new(CHAIN, "2026-01-01T00:00:00Z");
    g.add_account(
        &operator.to_string(),
        &[kumo_app::coins::Coin::new("uakt", 2_000_000_000)],
    )
    .unwrap();
    kumo_app::staking::genesis::add_genesis_validator(
        &mut g,
        &operator,
        &consensus.public(),
        "v",
        1_000_000_000,
        kumo_proto::math::DEC_ONE / 10,
    )
    .unwrap();
    let node = Node::with_parts(
        NodeConfig::new(CHAIN, "test"),
        &g.to_json(),
        consensus.clone(),
        &Ed25519Key::generate(),
        Store::in_memory(StoreOptions::default()).unwrap(),
    )
    .unwrap();
    let me = node.validator_address();
    assert_eq!(node.valset(1).unwrap().validators[0].voting_power, 1_000);
    for t in 0..3 {
        node.produce_block_at(at(1_000 + t)).unwrap();
    }
    let vote = |value: u8| {
        let v = Vote {
            vote_type: VoteType::Precommit,
            height: Height(2),
            round: Round::new(0),
            value: NilOrVal::Val(BlockHash([value; 32])),
            validator: Address(me),
            extension: None,
        };
        let sig = consensus.sign(&vote_sign_bytes(CHAIN, &v));
        let signed: SignedMessage<kumo_node::consensus::KumoContext, Vote> =
            SignedMessage::new(v, Signature(sig.try_into().unwrap()));
        let mut out = Vec::new();
        signed.serialize(&mut out).unwrap();
        out
    };
    let evidence = Evidence {
        kind: EvidenceKind::DuplicateVote,
        validator_address: me,
        height: 2,
        first: vote(1),
        second: vote(2),
    };
    // The same vote twice is no double sign.
    let same = Evidence {
        second: vote(1),
        ..evidence.clone()
    };
    let b = node.build_block(me, at(1_003), vec![same]).unwrap();
    refused(&node, &b, 1_003, "does not prove a double sign");

    let block = node.build_block(me, at(1_003), vec![evidence]).unwrap();
    node.check_block(&block, at(1_003)).unwrap();
    let id = kumo_node::node::block_id(&block);
    let sig = consensus.sign(&kumo_node::consensus::signing::precommit_sign_bytes(
        CHAIN,
        4,
        Round::new(0),
        BlockHash(id.hash),
        Address(me),
    ));
    let commit = node.commit_from_signatures(
        4,
        0,
        id,
        block.header.time,
        &[(me, sig.try_into().unwrap())],
    );
    node.commit_block(block, commit).unwrap();

    let r = node.abci_query(
        "/cosmos.slashing.v1beta1.Query/SigningInfos",
        &slashing::QuerySigningInfosRequest::default().encode_to_vec(),
        0,
    );
    assert_eq!(r.code, 0, "{}", r.log);
    let infos = slashing::QuerySigningInfosResponse::decode(&r.value[..]).unwrap();
    let info = &infos.info[0];
    assert!(info.tombstoned, "{info:?}");
    assert_eq!(info.jailed_until.as_ref().unwrap().seconds, 253_402_300_799);
}
