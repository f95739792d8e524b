//! Consensus signatures: ed25519 over domain-separated sign bytes.
//!
//! Every preimage starts with a purpose tag and the chain id, so a vote or proposal signed for
//! one chain (or one purpose) is never valid on another. Votes are signed without their
//! extension and without a timestamp: certificate checks rebuild each precommit from
//! `(height, round, value, address)` alone.

use super::context::*;
use async_trait::async_trait;
use borsh::BorshSerialize;
use ed25519_dalek::Signer as _;
use malachitebft_core_types::{
    NilOrVal, Round, SignedExtension, SignedMessage, ValidatorProof, VoteExtensionScope, VoteType,
};
use malachitebft_signing::{Error, Signer, VerificationResult, Verifier};

const VOTE_TAG: &[u8] = b"kumo/vote/v1";
const PROPOSAL_TAG: &[u8] = b"kumo/proposal/v1";
const EXTENSION_TAG: &[u8] = b"kumo/vote-extension/v1";

fn preimage(tag: &[u8], chain_id: &str, body: impl BorshSerialize) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(tag);
    out.extend_from_slice(&(chain_id.len() as u32).to_be_bytes());
    out.extend_from_slice(chain_id.as_bytes());
    body.serialize(&mut out).expect("writing to a Vec");
    out
}

pub fn vote_sign_bytes(chain_id: &str, v: &Vote) -> Vec<u8> {
    let vote_type: u8 = match v.vote_type {
        VoteType::Prevote => 1,
        VoteType::Precommit => 2,
    };
    preimage(
        VOTE_TAG,
        chain_id,
        (vote_type, v.height, v.round, v.value, v.validator),
    )
}

/// The sign bytes of `address`'s precommit for `value` at `(height, round)`: what a commit
/// signature in a block's `last_commit` signs.
pub fn precommit_sign_bytes(
    chain_id: &str,
    height: u64,
    round: Round,
    value: BlockHash,
    address: Address,
) -> Vec<u8> {
    vote_sign_bytes(
        chain_id,
        &Vote {
            vote_type: VoteType::Precommit,
            height: Height(height),
            round,
            value: NilOrVal::Val(value),
            validator: address,
            extension: None,
        },
    )
}

pub fn proposal_sign_bytes(chain_id: &str, p: &Proposal) -> Vec<u8> {
    preimage(
        PROPOSAL_TAG,
        chain_id,
        (p.height, p.round, p.value, p.pol_round, p.proposer),
    )
}

fn extension_sign_bytes(
    chain_id: &str,
    scope: &VoteExtensionScope<KumoContext>,
    ext: &Extension,
) -> Vec<u8> {
    preimage(
        EXTENSION_TAG,
        chain_id,
        (
            scope.height,
            scope.round,
            scope.value_id,
            scope.validator_address,
            &ext.0,
        ),
    )
}

/// Signs with the node's consensus key for one chain.
pub struct KumoSigner {
    pub chain_id: String,
    pub key: ed25519_dalek::SigningKey,
}

impl KumoSigner {
    fn sign(&self, bytes: &[u8]) -> Signature {
        Signature(self.key.sign(bytes).to_bytes())
    }
}

#[async_trait]
impl Signer<KumoContext> for KumoSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<KumoContext, Vote>, Error> {
        let sig = self.sign(&vote_sign_bytes(&self.chain_id, &vote));
        Ok(SignedMessage::new(vote, sig))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<KumoContext, Proposal>, Error> {
        let sig = self.sign(&proposal_sign_bytes(&self.chain_id, &proposal));
        Ok(SignedMessage::new(proposal, sig))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<KumoContext>,
        extension: Extension,
    ) -> Result<SignedExtension<KumoContext>, Error> {
        let sig = self.sign(&extension_sign_bytes(&self.chain_id, &scope, &extension));
        Ok(SignedMessage::new(extension, sig))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<KumoContext>, Error> {
        // Network-agnostic by the engine's definition ("PoV" || pk || peer id).
        let bytes = ValidatorProof::<KumoContext>::signing_bytes(&public_key, &peer_id);
        Ok(ValidatorProof::new(public_key, peer_id, self.sign(&bytes)))
    }
}

/// Verifies consensus signatures for one chain.
#[derive(Clone)]
pub struct KumoVerifier {
    pub chain_id: String,
}

fn result(ok: bool) -> Result<VerificationResult, Error> {
    Ok(VerificationResult::from_bool(ok))
}

#[async_trait]
impl Verifier<KumoContext> for KumoVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, Error> {
        result(public_key.verify(&vote_sign_bytes(&self.chain_id, vote), signature))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, Error> {
        result(public_key.verify(&proposal_sign_bytes(&self.chain_id, proposal), signature))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<KumoContext>,
        extension: &Extension,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, Error> {
        result(public_key.verify(
            &extension_sign_bytes(&self.chain_id, scope, extension),
            signature,
        ))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<KumoContext>,
    ) -> Result<VerificationResult, Error> {
        let Ok(pk) = <[u8; 32]>::try_from(&proof.public_key[..]) else {
            return result(false);
        };
        result(PublicKey(pk).verify(&proof.preimage(), &proof.signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_bytes_are_chain_scoped() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let pk = PublicKey(key.verifying_key().to_bytes());
        let vote = Vote {
            vote_type: VoteType::Precommit,
            height: Height(5),
            round: Round::new(0),
            value: NilOrVal::Val(BlockHash([1; 32])),
            validator: Address::from_public_key(&pk),
            extension: None,
        };
        let a = vote_sign_bytes("chain-a", &vote);
        let sig = Signature(key.sign(&a).to_bytes());
        assert!(pk.verify(&a, &sig));
        assert!(!pk.verify(&vote_sign_bytes("chain-b", &vote), &sig));
        // A precommit rebuilt from the certificate's fields has the same bytes.
        assert_eq!(
            a,
            precommit_sign_bytes(
                "chain-a",
                5,
                Round::new(0),
                BlockHash([1; 32]),
                vote.validator
            )
        );
        // A prevote for the same value is another message.
        let prevote = Vote {
            vote_type: VoteType::Prevote,
            ..vote
        };
        assert!(!pk.verify(&vote_sign_bytes("chain-a", &prevote), &sig));
    }
}
