//! kumo's Malachite `Context`: the types consensus orders (heights, block hashes, votes,
//! proposals, proposal parts), the ed25519 signing scheme, validator sets and the proposer
//! rule. Every type here is plain data with a borsh encoding (the wire and WAL format).

use borsh::{BorshDeserialize, BorshSerialize};
use malachitebft_core_types::{
    self as mtypes, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType,
};
use std::fmt;

/// A block height.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl mtypes::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0 + n)
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's consensus address: the first 20 bytes of sha256(ed25519 public key), as in
/// CometBFT (and the staking module's `cons_address`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct Address(pub [u8; 20]);

impl Address {
    pub fn from_public_key(pk: &PublicKey) -> Address {
        Address(kumo_app::staking::state::cons_address(&pk.0))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex::encode_upper(self.0))
    }
}

impl mtypes::Address for Address {}

/// What consensus decides on: a block, named by its header hash. The block itself travels
/// as proposal parts and is bound to this hash by the receiver, who recomputes it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct BlockHash(pub [u8; 32]);

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", hex::encode_upper(&self.0[..6]))
    }
}

impl mtypes::Value for BlockHash {
    type Id = BlockHash;

    fn id(&self) -> BlockHash {
        *self
    }
}

/// Vote extensions are not used; the type exists because the engine needs one.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Extension(pub Vec<u8>);

impl mtypes::Extension for Extension {
    fn size_bytes(&self) -> usize {
        self.0.len()
    }
}

/// An ed25519 signature.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

/// An ed25519 public key.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    pub fn verify(&self, msg: &[u8], sig: &Signature) -> bool {
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&self.0) else {
            return false;
        };
        key.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig.0))
            .is_ok()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519;

impl mtypes::SigningScheme for Ed25519 {
    type DecodingError = String;
    type Signature = Signature;
    type PublicKey = PublicKey;
    type PrivateKey = ed25519_dalek::SigningKey;

    fn decode_signature(bytes: &[u8]) -> Result<Signature, String> {
        <[u8; 64]>::try_from(bytes)
            .map(Signature)
            .map_err(|_| format!("a signature is 64 bytes, got {}", bytes.len()))
    }

    fn encode_signature(signature: &Signature) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, String> {
        <[u8; 32]>::try_from(bytes)
            .map(PublicKey)
            .map_err(|_| format!("an ed25519 public key is 32 bytes, got {}", bytes.len()))
    }

    fn encode_public_key(public_key: &PublicKey) -> Vec<u8> {
        public_key.0.to_vec()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    pub address: Address,
    pub public_key: PublicKey,
    pub voting_power: u64,
}

impl Validator {
    pub fn new(public_key: [u8; 32], voting_power: u64) -> Validator {
        let public_key = PublicKey(public_key);
        Validator {
            address: Address::from_public_key(&public_key),
            public_key,
            voting_power,
        }
    }
}

impl mtypes::Validator<KumoContext> for Validator {
    fn address(&self) -> &Address {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> u64 {
        self.voting_power
    }
}

/// The validators of one height, sorted by address (so lookups are binary searches and every
/// node iterates them in the same order).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ValidatorSet {
    pub validators: Vec<Validator>,
}

impl ValidatorSet {
    pub fn new(mut validators: Vec<Validator>) -> ValidatorSet {
        validators.retain(|v| v.voting_power > 0);
        validators.sort_by_key(|v| v.address);
        validators.dedup_by_key(|v| v.address);
        ValidatorSet { validators }
    }

    /// This set with the staking module's updates applied (power 0 removes a validator).
    pub fn apply(&self, updates: &[kumo_app::abci::ValidatorUpdate]) -> ValidatorSet {
        let mut vals = self.validators.clone();
        for u in updates {
            let Ok(pk) = <[u8; 32]>::try_from(&u.pub_key[..]) else {
                continue;
            };
            let v = Validator::new(pk, u.power.max(0) as u64);
            vals.retain(|x| x.address != v.address);
            vals.push(v);
        }
        ValidatorSet::new(vals)
    }

    pub fn total_power(&self) -> u64 {
        self.validators.iter().map(|v| v.voting_power).sum()
    }

    pub fn get(&self, address: &Address) -> Option<&Validator> {
        self.validators
            .binary_search_by_key(address, |v| v.address)
            .ok()
            .map(|i| &self.validators[i])
    }

    /// The header's `validators_hash`: sha256 of the (public key, power) list in set order.
    pub fn hash(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for v in &self.validators {
            h.update(v.public_key.0);
            h.update(v.voting_power.to_be_bytes());
        }
        h.finalize().into()
    }

    /// The proposer of `(height, round)`: the validator owning the point
    /// `(height + round) * stride mod total_power` of the set's cumulative power, with
    /// `stride = floor(total_power / golden ratio)`. Consecutive heights step through the
    /// power line by an irrational fraction of its length, so over any window each validator
    /// proposes in proportion to its power (a low-discrepancy sequence), and a round that
    /// failed moves on to the next height's proposer. A stateless, deterministic equivalent of
    /// CometBFT's proposer-priority rotation: integers only, no state to carry between heights.
    pub fn proposer_index(&self, height: u64, round: u32) -> usize {
        let total = self.total_power() as u128;
        if total == 0 || self.validators.len() == 1 {
            return 0;
        }
        // 2^64 / phi.
        const INV_PHI_Q64: u128 = 0x9E37_79B9_7F4A_7C15;
        let stride = ((total * INV_PHI_Q64) >> 64).max(1);
        let step = height as u128 + round as u128;
        let point = (step % total) * stride % total;
        let mut acc = 0u128;
        for (i, v) in self.validators.iter().enumerate() {
            acc += v.voting_power as u128;
            if point < acc {
                return i;
            }
        }
        self.validators.len() - 1
    }
}

impl mtypes::ValidatorSet<KumoContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> u64 {
        self.total_power()
    }

    fn get_by_address(&self, address: &Address) -> Option<&Validator> {
        self.get(address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A prevote or precommit. Its sign bytes leave out the extension (see `signing`).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    pub vote_type: VoteType,
    pub height: Height,
    pub round: Round,
    pub value: NilOrVal<BlockHash>,
    pub validator: Address,
    pub extension: Option<SignedExtension<KumoContext>>,
}

impl mtypes::Vote<KumoContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockHash> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockHash> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &Address {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<KumoContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<KumoContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<KumoContext>) -> Self {
        Vote {
            extension: Some(extension),
            ..self
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    pub height: Height,
    pub round: Round,
    pub value: BlockHash,
    pub pol_round: Round,
    pub proposer: Address,
}

impl mtypes::Proposal<KumoContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockHash {
        &self.value
    }

    fn take_value(self) -> BlockHash {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &Address {
        &self.proposer
    }
}

/// One part of a proposed block's stream: `Init`, the encoded block in `Data` chunks, `Fin`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalPart {
    Init {
        height: Height,
        round: Round,
        pol_round: Round,
        proposer: Address,
    },
    Data(Vec<u8>),
    Fin {
        /// Number of `Data` parts, so the receiver knows when it has them all.
        chunks: u32,
    },
}

impl mtypes::ProposalPart<KumoContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin { .. })
    }
}

#[derive(Clone, Debug)]
pub struct KumoContext;

impl mtypes::Context for KumoContext {
    type Address = Address;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockHash;
    type Vote = Vote;
    type Extension = Extension;
    type SigningScheme = Ed25519;

    fn select_proposer<'a>(
        &self,
        validator_set: &'a ValidatorSet,
        height: Height,
        round: Round,
    ) -> &'a Validator {
        let round = round.as_u32().unwrap_or(0);
        &validator_set.validators[validator_set.proposer_index(height.0, round)]
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockHash,
        pol_round: Round,
        address: Address,
    ) -> Proposal {
        Proposal {
            height,
            round,
            value,
            pol_round,
            proposer: address,
        }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockHash>,
        address: Address,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Prevote,
            height,
            round,
            value: value_id,
            validator: address,
            extension: None,
        }
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockHash>,
        address: Address,
    ) -> Vote {
        Vote {
            vote_type: VoteType::Precommit,
            height,
            round,
            value: value_id,
            validator: address,
            extension: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(powers: &[u64]) -> ValidatorSet {
        ValidatorSet::new(
            powers
                .iter()
                .enumerate()
                .map(|(i, p)| Validator::new([i as u8 + 1; 32], *p))
                .collect(),
        )
    }

    #[test]
    fn proposers_follow_power() {
        let vs = set(&[100, 100, 200, 600]);
        let mut counts = vec![0u32; 4];
        for h in 1..=10_000 {
            counts[vs.proposer_index(h, 0)] += 1;
        }
        let total = vs.total_power();
        for (v, c) in vs.validators.iter().zip(&counts) {
            let expected = 10_000 * v.voting_power / total;
            assert!(
                (*c as i64 - expected as i64).abs() <= 20,
                "power {} proposed {c} of 10000, expected ~{expected}",
                v.voting_power
            );
        }
    }

    #[test]
    fn equal_powers_rotate_within_a_few_heights() {
        let vs = set(&[1_000_000, 1_000_000, 1_000_000, 1_000_000]);
        // Every validator proposes at least once in any 8 consecutive heights.
        for start in 1..500u64 {
            let seen: std::collections::BTreeSet<usize> = (start..start + 8)
                .map(|h| vs.proposer_index(h, 0))
                .collect();
            assert_eq!(seen.len(), 4, "heights {start}..{}", start + 8);
        }
        // A failed round hands the height to someone else.
        assert_ne!(vs.proposer_index(7, 0), vs.proposer_index(7, 1));
    }

    #[test]
    fn updates_add_change_and_remove() {
        let vs = set(&[10, 20]);
        let a = vs.validators[0].clone();
        let updated = vs.apply(&[
            kumo_app::abci::ValidatorUpdate {
                pub_key: a.public_key.0.to_vec(),
                power: 0,
            },
            kumo_app::abci::ValidatorUpdate {
                pub_key: vec![9; 32],
                power: 5,
            },
        ]);
        assert_eq!(updated.validators.len(), 2);
        assert!(updated.get(&a.address).is_none());
        assert_eq!(updated.total_power(), 25);
        assert_ne!(updated.hash(), vs.hash());
    }
}
