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
