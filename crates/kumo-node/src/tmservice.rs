//! `cosmos.base.tendermint.v1beta1.Service` (GetNodeInfo, GetSyncing, GetLatestBlock,
//! GetBlockByHeight): node facts that cosmpy, explorers and the REST gateway read over gRPC.

use crate::types::{BlockId, Commit, StoredBlock};
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1 as svc;
use cosmos_sdk_proto::tendermint::google::protobuf::Timestamp;
use cosmos_sdk_proto::tendermint::{p2p, types as tm, version};
use kumo_app::abci::BlockTime;

fn timestamp(t: BlockTime) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: t.seconds,
        nanos: t.nanos as i32,
    })
}

fn block_id(id: Option<&BlockId>) -> Option<tm::BlockId> {
    id.map(|id| tm::BlockId {
        hash: id.hash.to_vec(),
        part_set_header: Some(tm::PartSetHeader {
            total: id.parts_total,
            hash: id.parts_hash.to_vec(),
        }),
    })
}

fn commit(c: &Commit) -> tm::Commit {
    tm::Commit {
        height: c.height as i64,
        round: c.round as i32,
        block_id: block_id(c.block_id.as_ref()),
        signatures: c
            .signatures
            .iter()
            .map(|s| tm::CommitSig {
                block_id_flag: s.block_id_flag as i32,
                validator_address: s.validator_address.to_vec(),
                timestamp: timestamp(s.timestamp),
                signature: s.signature.clone(),
            })
            .collect(),
    }
}

/// (block id, CometBFT-typed block, SDK-typed block with a bech32 proposer).
pub fn blocks(b: &StoredBlock) -> (tm::BlockId, tm::Block, svc::Block) {
    let h = &b.block.header;
    let header = tm::Header {
        version: Some(version::Consensus { block: 11, app: 0 }),
        chain_id: h.chain_id.clone(),
        height: h.height as i64,
        time: timestamp(h.time),
        last_block_id: block_id(h.last_block_id.as_ref()),
        last_commit_hash: h.last_commit_hash.to_vec(),
        data_hash: h.data_hash.to_vec(),
        validators_hash: h.validators_hash.to_vec(),
        next_validators_hash: h.next_validators_hash.to_vec(),
        consensus_hash: h.consensus_hash.to_vec(),
        app_hash: h.app_hash.to_vec(),
        last_results_hash: h.last_results_hash.to_vec(),
        evidence_hash: h.evidence_hash.to_vec(),
        proposer_address: h.proposer_address.to_vec(),
    };
    let data = Some(tm::Data {
        txs: b.block.txs.clone(),
    });
    let evidence = Some(tm::EvidenceList { evidence: vec![] });
    let last_commit = Some(commit(&b.block.last_commit));
    let sdk_header = svc::Header {
        version: header.version,
        chain_id: header.chain_id.clone(),
        height: header.height,
        time: header.time,
        last_block_id: header.last_block_id.clone(),
        last_commit_hash: header.last_commit_hash.clone(),
        data_hash: header.data_hash.clone(),
        validators_hash: header.validators_hash.clone(),
        next_validators_hash: header.next_validators_hash.clone(),
        consensus_hash: header.consensus_hash.clone(),
        app_hash: header.app_hash.clone(),
        last_results_hash: header.last_results_hash.clone(),
        evidence_hash: header.evidence_hash.clone(),
        proposer_address: kumo_crypto::Address(h.proposer_address).to_bech32("akashvalcons"),
    };
    let sdk = svc::Block {
        header: Some(sdk_header),
        data: data.clone(),
        evidence: evidence.clone(),
        last_commit: last_commit.clone(),
    };
    let tm_block = tm::Block {
        header: Some(header),
        data,
        evidence,
        last_commit,
    };
    (block_id(Some(&b.block_id)).expect("some"), tm_block, sdk)
}

pub fn node_info(info: &crate::types::NodeInfo) -> svc::GetNodeInfoResponse {
    svc::GetNodeInfoResponse {
        default_node_info: Some(p2p::DefaultNodeInfo {
            protocol_version: Some(p2p::ProtocolVersion {
                p2p: 8,
                block: 11,
                app: 0,
            }),
            default_node_id: hex::encode(info.node_id),
            listen_addr: info.p2p_listen_addr.clone(),
            network: info.chain_id.clone(),
            version: info.version.clone(),
            channels: hex::decode("40202122233038606100").expect("hex"),
            moniker: info.moniker.clone(),
            other: Some(p2p::DefaultNodeInfoOther {
                tx_index: "on".into(),
                rpc_address: info.rpc_listen_addr.clone(),
            }),
        }),
        application_version: Some(svc::VersionInfo {
            name: "kumo".into(),
            app_name: "kumo".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: String::new(),
            build_tags: String::new(),
            go_version: String::new(),
            build_deps: vec![],
            cosmos_sdk_version: "v0.50-compatible".into(),
        }),
    }
}
