//! The host loop: answers the engine's `AppMsg`s with the node (ABCI 2.0 mapped onto
//! Malachite). `GetValue` ~ PrepareProposal, a completed part stream ~ ProcessProposal,
//! `Decided` ~ FinalizeBlock + Commit, `Finalized` hands back the next height's validator set.
//! Every block is stored before the engine hears of it, so a restart can answer for it.

use super::context::*;
use super::proposals::{ProposalStore, StoredProposal};
use crate::node::{block_id, header_hash, now, Node, FLAG_COMMIT};
use crate::types::{Block, Commit, Evidence, EvidenceKind};
use anyhow::{Context as _, Result};
use bytes::Bytes;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, ExtendedCommitCertificate, ExtendedCommitSignature, LinearTimeouts, Round,
    Validity,
};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{
    LocallyProposedValue, MisbehaviorEvidence, PeerId, ProposedValue,
};
use malachitebft_app_channel::{AppMsg, NetworkMsg};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Block bytes per `Data` part (gossip messages stay well under the 4 MiB limit).
const CHUNK: usize = 1 << 20;
/// Streams being reassembled at once; the oldest go first.
const MAX_STREAMS: usize = 64;
/// A stream larger than this is dropped (twice the block size limit, with encoding).
const MAX_STREAM_BYTES: usize = 2 * kumo_app::app::MAX_BLOCK_BYTES + 4096;
/// Heights ahead of ours whose parts are kept.
const MAX_HEIGHTS_AHEAD: u64 = 8;
/// Heights of undecided proposals kept below the tip.
const KEEP_HEIGHTS: u64 = 5;
/// Blocks served per sync request.
const MAX_SYNC_BATCH: u64 = 50;

#[derive(Default)]
struct PartStream {
    height: u64,
    init: Option<(Height, Round, Round, Address)>,
    data: BTreeMap<u64, Vec<u8>>,
    chunks: Option<u32>,
    bytes: usize,
    done: bool,
}

pub struct Host {
    node: Arc<Node>,
    proposals: ProposalStore,
    network: mpsc::Sender<NetworkMsg<KumoContext>>,
    streams: BTreeMap<(Vec<u8>, StreamId), PartStream>,
    /// Complete blocks for a height above ours, checked once we get there.
    ahead: BTreeMap<u64, Vec<(Round, Round, Address, Block)>>,
    timeouts: LinearTimeouts,
    target_time: Duration,
    address: Address,
    /// Heights whose block came through block sync (not yet decided).
    synced: std::collections::BTreeSet<u64>,
}

fn round_u32(r: Round) -> u32 {
    r.as_u32().unwrap_or(0)
}

fn encode_block(b: &Block) -> Vec<u8> {
    postcard::to_allocvec(b).expect("block encodes")
}

impl Host {
    pub fn new(
        node: Arc<Node>,
        proposals: ProposalStore,
        network: mpsc::Sender<NetworkMsg<KumoContext>>,
        target_time: Duration,
    ) -> Host {
        let address = Address(node.validator_address());
        let timeouts = LinearTimeouts {
            propose: node.config().timeout_propose(),
            ..LinearTimeouts::default()
        };
        Host {
            node,
            proposals,
            network,
            streams: BTreeMap::new(),
            ahead: BTreeMap::new(),
            timeouts,
            target_time,
            address,
            synced: Default::default(),
        }
    }

    fn params(&self, height: u64) -> Result<HeightParams<KumoContext>> {
        let set = self
            .node
            .valset(height)
            .with_context(|| format!("no validator set for height {height}"))?;
        Ok(HeightParams::new(
            (*set).clone(),
            self.timeouts,
            Some(self.target_time),
        ))
    }

    pub async fn run(mut self, mut consensus: mpsc::Receiver<AppMsg<KumoContext>>) -> Result<()> {
        while let Some(msg) = consensus.recv().await {
            self.handle(msg).await?;
        }
        anyhow::bail!("the consensus engine stopped")
    }

    async fn handle(&mut self, msg: AppMsg<KumoContext>) -> Result<()> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let h = self.node.tip_height() + 1;
                tracing::info!(height = h, "consensus ready");
                let _ = reply.send((Height(h), self.params(h)?));
            }
            AppMsg::StartedRound {
                height,
                round,
                proposer,
                role,
                reply_value,
            } => {
                tracing::debug!(%height, %round, %proposer, ?role, "round started");
                let _ = reply_value.send(self.known_values(height.0, round)?);
            }
            AppMsg::GetValue {
                height,
                round,
                timeout: _,
                reply,
            } => {
                let (hash, block) = self.own_proposal(height.0, round)?;
                let _ = reply.send(LocallyProposedValue::new(height, round, BlockHash(hash)));
                self.publish(height, round, Round::Nil, self.address, &block)
                    .await;
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions {
                extensions, reply, ..
            } => {
                let _ = reply.send(extensions.into_iter().map(|(a, _)| (a, Ok(()))).collect());
            }
            AppMsg::RestreamProposal {
                height,
                round,
                valid_round,
                address,
                value_id,
            } => {
                if let Some(p) = self.proposals.by_hash(height.0, &value_id.0)? {
                    self.publish(height, round, valid_round, address, &p.block)
                        .await;
                }
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(self.node.blocks().earliest_height().max(1)));
            }
            AppMsg::ReceivedProposalPart {
                from,
                published_by,
                part,
                reply,
            } => {
                let value = self.received_part(from, published_by, part)?;
                let _ = reply.send(value);
            }
            AppMsg::Decided {
                certificate, reply, ..
            } => {
                self.decided(&certificate)?;
                let _ = reply.send(());
            }
            AppMsg::Finalized {
                certificate,
                evidence,
                reply,
                ..
            } => {
                let h = certificate.height.0;
                if let Some(commit) = self.commit_of(&certificate) {
                    self.node.set_tip_commit(commit);
                }
                self.collect_evidence(evidence);
                self.streams.retain(|_, s| s.height > h);
                self.ahead.retain(|height, _| *height > h);
                if h > KEEP_HEIGHTS {
                    self.proposals.prune_below(h - KEEP_HEIGHTS)?;
                }
                let _ = reply.send(Next::Start(Height(h + 1), self.params(h + 1)?));
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let _ = reply.send(self.decided_values(range.start().0, range.end().0));
            }
            AppMsg::ProcessSyncedValue {
                height,
                round,
                proposer,
                value_bytes,
                reply,
            } => {
                let outcome = self.synced_value(height, round, proposer, &value_bytes)?;
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    /// The values stored for `(height, round)`, plus blocks that arrived before we reached
    /// `height` (checked now that we are there).
    fn known_values(
        &mut self,
        height: u64,
        round: Round,
    ) -> Result<Vec<ProposedValue<KumoContext>>> {
        let early: Vec<_> = self
            .ahead
            .remove(&height)
            .unwrap_or_default()
            .into_iter()
            .collect();
        for (r, pol, proposer, block) in early {
            self.check_and_store(r, pol, proposer, block)?;
        }
        Ok(self
            .proposals
            .at_round(height, round_u32(round))?
            .into_iter()
            .map(|(hash, p)| ProposedValue {
                height: Height(height),
                round,
                valid_round: Round::from(p.pol_round),
                proposer: Address(p.proposer),
                value: BlockHash(hash),
                validity: Validity::from_bool(p.valid),
            })
            .collect())
    }

    /// Our block for `(height, round)`: the one already built (a repeated request, or after a
    /// restart), else a new one from the mempool, stored before it is returned.
    fn own_proposal(&mut self, height: u64, round: Round) -> Result<([u8; 32], Vec<u8>)> {
        let r = round_u32(round);
        if let Some((hash, p)) = self.proposals.own_at(height, r)? {
            return Ok((hash, p.block));
        }
        let block = tokio::task::block_in_place(|| {
            self.node
                .build_block(self.address.0, now(), self.node.pending_evidence())
        })?;
        anyhow::ensure!(
            block.header.height == height,
            "asked for a block at height {height} while the tip is {}",
            block.header.height - 1
        );
        let hash = header_hash(&block.header);
        let bytes = encode_block(&block);
        self.proposals.put_own(
            height,
            r,
            &hash,
            &StoredProposal {
                proposer: self.address.0,
                pol_round: -1,
                valid: true,
                block: bytes.clone(),
            },
        )?;
        tracing::debug!(height, round = r, txs = block.txs.len(), "proposing");
        Ok((hash, bytes))
    }

    /// Streams a block as `Init`, `Data` chunks and `Fin`.
    async fn publish(
        &self,
        height: Height,
        round: Round,
        pol_round: Round,
        proposer: Address,
        block: &[u8],
    ) {
        let mut id = height.0.to_be_bytes().to_vec();
        id.extend_from_slice(&round.as_i64().to_be_bytes());
        let id = StreamId::new(Bytes::from(id));
        let chunks: Vec<&[u8]> = block.chunks(CHUNK).collect();
        let mut parts = vec![ProposalPart::Init {
            height,
            round,
            pol_round,
            proposer,
        }];
        parts.extend(chunks.iter().map(|c| ProposalPart::Data(c.to_vec())));
        parts.push(ProposalPart::Fin {
            chunks: chunks.len() as u32,
        });
        let n = parts.len() as u64;
        for (seq, part) in parts.into_iter().enumerate() {
            let msg = StreamMessage::new(id.clone(), seq as u64, StreamContent::Data(part));
            if self
                .network
                .send(NetworkMsg::PublishProposalPart(msg))
                .await
                .is_err()
            {
                return;
            }
        }
        let _ = self
            .network
            .send(NetworkMsg::PublishProposalPart(StreamMessage::new(
                id,
                n,
                StreamContent::Fin,
            )))
            .await;
    }

    fn received_part(
        &mut self,
        from: PeerId,
        published_by: Option<PeerId>,
        part: StreamMessage<ProposalPart>,
    ) -> Result<Option<ProposedValue<KumoContext>>> {
        let tip = self.node.tip_height();
        let publisher = published_by.unwrap_or(from).to_string().into_bytes();
        let key = (publisher, part.stream_id.clone());
        if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
            // Make room: drop the stream of the lowest height.
            if let Some(oldest) = self
                .streams
                .iter()
                .min_by_key(|(_, s)| s.height)
                .map(|(k, _)| k.clone())
            {
                self.streams.remove(&oldest);
            }
        }
        let s = self.streams.entry(key.clone()).or_default();
        if s.done {
            return Ok(None);
        }
        let StreamContent::Data(p) = part.content else {
            return Ok(None);
        };
        match p {
            ProposalPart::Init {
                height,
                round,
                pol_round,
                proposer,
            } => {
                if part.sequence != 0 || height.0 <= tip || height.0 > tip + MAX_HEIGHTS_AHEAD {
                    self.streams.remove(&key);
                    return Ok(None);
                }
                s.height = height.0;
                s.init = Some((height, round, pol_round, proposer));
            }
            ProposalPart::Data(bytes) => {
                s.bytes += bytes.len();
                if s.bytes > MAX_STREAM_BYTES || part.sequence == 0 {
                    tracing::warn!(peer = %from, "dropping an oversized or malformed proposal stream");
                    self.streams.remove(&key);
                    return Ok(None);
                }
                s.data.insert(part.sequence, bytes);
            }
            ProposalPart::Fin { chunks } => {
                if part.sequence != chunks as u64 + 1 {
                    tracing::warn!(peer = %from, "dropping a malformed proposal stream");
                    self.streams.remove(&key);
                    return Ok(None);
                }
                s.chunks = Some(chunks);
            }
        }
        let (Some((height, round, pol_round, proposer)), Some(chunks)) = (s.init, s.chunks) else {
            return Ok(None);
        };
        if s.data.len() < chunks as usize {
            return Ok(None);
        }
        if s.data.keys().copied().ne(1..=chunks as u64) {
            tracing::warn!(peer = %from, "dropping a proposal stream with stray parts");
            self.streams.remove(&key);
            return Ok(None);
        }
        s.done = true;
        let bytes: Vec<u8> = std::mem::take(&mut s.data)
            .into_values()
            .flatten()
            .collect();
        let block: Block = match postcard::from_bytes(&bytes) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(peer = %from, %height, "undecodable proposed block: {e}");
                return Ok(None);
            }
        };
        if block.header.height != height.0 {
            tracing::warn!(peer = %from, %height, "proposed block has another height");
            return Ok(None);
        }
        if height.0 > tip + 1 {
            let early = self.ahead.entry(height.0).or_default();
            if early.len() < MAX_STREAMS {
                early.push((round, pol_round, proposer, block));
            }
            return Ok(None);
        }
        self.check_and_store(round, pol_round, proposer, block)
            .map(Some)
    }

    /// ProcessProposal for a complete block at the next height; stores it with its verdict.
    fn check_and_store(
        &mut self,
        round: Round,
        pol_round: Round,
        proposer: Address,
        block: Block,
    ) -> Result<ProposedValue<KumoContext>> {
        let height = block.header.height;
        let hash = header_hash(&block.header);
        let verdict = tokio::task::block_in_place(|| self.node.check_block(&block, now()));
        if let Err(why) = &verdict {
            tracing::warn!(
                height,
                round = %round,
                proposer = %proposer,
                "voting against block {}: {why}",
                BlockHash(hash)
            );
        }
        self.proposals.put(
            height,
            round_u32(round),
            &hash,
            &StoredProposal {
                proposer: proposer.0,
                pol_round: pol_round.as_i64(),
                valid: verdict.is_ok(),
                block: encode_block(&block),
            },
        )?;
        Ok(ProposedValue {
            height: Height(height),
            round,
            valid_round: pol_round,
            proposer,
            value: BlockHash(hash),
            validity: Validity::from_bool(verdict.is_ok()),
        })
    }

    /// The certificate in the block's format, for a block of ours.
    fn commit_of(&self, cert: &CommitCertificate<KumoContext>) -> Option<Commit> {
        let block = self.node.blocks().block(cert.height.0)?;
        if block.block_id.hash != cert.value_id.0 {
            return None;
        }
        let sigs: Vec<([u8; 20], [u8; 64])> = cert
            .commit_signatures
            .iter()
            .map(|s| (s.address.0, s.signature.0))
            .collect();
        Some(self.node.commit_from_signatures(
            cert.height.0,
            round_u32(cert.round),
            block.block_id,
            block.block.header.time,
            &sigs,
        ))
    }

    /// Executes and commits the decided block (a replayed decision of a committed height is
    /// acknowledged as it is).
    fn decided(&mut self, cert: &CommitCertificate<KumoContext>) -> Result<()> {
        let h = cert.height.0;
        if h <= self.node.tip_height() {
            return Ok(());
        }
        let p = self
            .proposals
            .by_hash(h, &cert.value_id.0)?
            .with_context(|| {
                format!(
                    "block {} decided at height {h} is not stored",
                    cert.value_id
                )
            })?;
        let block: Block = postcard::from_bytes(&p.block).context("stored block decodes")?;
        let id = block_id(&block);
        let sigs: Vec<([u8; 20], [u8; 64])> = cert
            .commit_signatures
            .iter()
            .map(|s| (s.address.0, s.signature.0))
            .collect();
        let commit = self.node.commit_from_signatures(
            h,
            round_u32(cert.round),
            id,
            block.header.time,
            &sigs,
        );
        // Catching up while decisions come from block sync; following once they come from
        // consensus rounds.
        self.node.set_syncing(self.synced.remove(&h));
        self.synced.retain(|s| *s > h);
        let stored = tokio::task::block_in_place(|| self.node.commit_block(block, commit))?;
        let signed = cert.commit_signatures.len();
        tracing::info!(
            height = h,
            round = %cert.round,
            txs = stored.num_txs,
            signatures = signed,
            "committed block {}",
            BlockHash(id.hash)
        );
        Ok(())
    }

    fn collect_evidence(&mut self, ev: MisbehaviorEvidence<KumoContext>) {
        for (addr, pairs) in &ev.votes {
            for (a, b) in pairs {
                self.add_evidence(
                    EvidenceKind::DuplicateVote,
                    *addr,
                    a.message.height,
                    borsh::to_vec(a),
                    borsh::to_vec(b),
                );
            }
        }
        for (addr, pairs) in &ev.proposals {
            for (a, b) in pairs {
                self.add_evidence(
                    EvidenceKind::DuplicateProposal,
                    *addr,
                    a.message.height,
                    borsh::to_vec(a),
                    borsh::to_vec(b),
                );
            }
        }
    }

    fn add_evidence(
        &mut self,
        kind: EvidenceKind,
        addr: Address,
        height: Height,
        first: std::io::Result<Vec<u8>>,
        second: std::io::Result<Vec<u8>>,
    ) {
        let (Ok(first), Ok(second)) = (first, second) else {
            return;
        };
        self.node.add_evidence(
            Evidence {
                kind,
                validator_address: addr.0,
                height: height.0,
                first,
                second,
            },
            true,
        );
    }

    fn decided_values(&self, from: u64, to: u64) -> Vec<RawDecidedValue<KumoContext>> {
        let blocks = self.node.blocks();
        let mut out = Vec::new();
        for h in from..=to.min(from.saturating_add(MAX_SYNC_BATCH - 1)) {
            let (Some(b), Some(c)) = (blocks.block(h), blocks.commit(h)) else {
                break;
            };
            let sigs = c
                .signatures
                .iter()
                .filter(|s| s.block_id_flag == FLAG_COMMIT)
                .filter_map(|s| {
                    Some(ExtendedCommitSignature::new(
                        Address(s.validator_address),
                        Signature(s.signature.as_slice().try_into().ok()?),
                        None,
                    ))
                })
                .collect();
            out.push(RawDecidedValue::new(
                Bytes::from(encode_block(&b.block)),
                ExtendedCommitCertificate {
                    height: Height(h),
                    round: Round::new(c.round),
                    value_id: BlockHash(b.block_id.hash),
                    commit_signatures: sigs,
                },
            ));
        }
        out
    }

    fn synced_value(
        &mut self,
        height: Height,
        round: Round,
        proposer: Address,
        bytes: &[u8],
    ) -> Result<SyncedValueOutcome<KumoContext>> {
        let Ok(block) = postcard::from_bytes::<Block>(bytes) else {
            tracing::warn!(%height, "a peer sent an undecodable block");
            return Ok(SyncedValueOutcome::PeerFault);
        };
        if block.header.height != height.0 {
            return Ok(SyncedValueOutcome::PeerFault);
        }
        if height.0 != self.node.tip_height() + 1 {
            return Ok(SyncedValueOutcome::LocalTransientError);
        }
        self.synced.insert(height.0);
        let v = self.check_and_store(round, Round::Nil, proposer, block)?;
        Ok(SyncedValueOutcome::Verdict(v))
    }
}
