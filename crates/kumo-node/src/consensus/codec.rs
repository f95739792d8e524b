//! One codec for the WAL, the consensus network and block sync: borsh, which the engine's
//! types implement (feature `borsh`) and ours derive. Decoding rejects trailing bytes, so a
//! peer cannot pad a message.

use super::context::*;
use bytes::Bytes;
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::streaming::StreamMessage;
use malachitebft_app_channel::app::types::sync::{Request, Response, Status};
use malachitebft_app_channel::app::types::{ProposedValue, SignedConsensusMsg};
use malachitebft_core_consensus::LivenessMsg;
use malachitebft_core_types::{PolkaCertificate, ValidatorProof};

#[derive(Clone, Copy, Debug, Default)]
pub struct BorshCodec;

fn decode<T: borsh::BorshDeserialize>(bytes: &[u8]) -> std::io::Result<T> {
    borsh::from_slice(bytes)
}

macro_rules! borsh_codec {
    ($($t:ty),* $(,)?) => {$(
        impl Codec<$t> for BorshCodec {
            type Error = std::io::Error;

            fn decode(&self, bytes: Bytes) -> Result<$t, Self::Error> {
                decode(&bytes)
            }

            fn encode(&self, msg: &$t) -> Result<Bytes, Self::Error> {
                borsh::to_vec(msg).map(Bytes::from)
            }
        }
    )*};
}

borsh_codec!(
    ProposalPart,
    SignedConsensusMsg<KumoContext>,
    LivenessMsg<KumoContext>,
    StreamMessage<ProposalPart>,
    ProposedValue<KumoContext>,
    PolkaCertificate<KumoContext>,
    Status<KumoContext>,
    Request<KumoContext>,
);

/// A block-sync response on the wire. The engine's certificate type has no borsh impl; ours
/// carries no vote extensions (kumo uses none).
#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
struct WireResponse {
    start_height: Height,
    values: Vec<WireValue>,
}

#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
struct WireValue {
    value_bytes: Vec<u8>,
    height: Height,
    round: malachitebft_core_types::Round,
    value_id: BlockHash,
    signatures: Vec<(Address, Signature)>,
}

fn to_wire(r: &Response<KumoContext>) -> WireResponse {
    let Response::ValueResponse(v) = r;
    WireResponse {
        start_height: v.start_height,
        values: v
            .values
            .iter()
            .map(|d| WireValue {
                value_bytes: d.value_bytes.to_vec(),
                height: d.certificate.height,
                round: d.certificate.round,
                value_id: d.certificate.value_id,
                signatures: d
                    .certificate
                    .commit_signatures
                    .iter()
                    .map(|s| (s.address, s.signature.clone()))
                    .collect(),
            })
            .collect(),
    }
}

impl Codec<Response<KumoContext>> for BorshCodec {
    type Error = std::io::Error;

    fn decode(&self, bytes: Bytes) -> Result<Response<KumoContext>, Self::Error> {
        use malachitebft_app_channel::app::types::core::{
            ExtendedCommitCertificate, ExtendedCommitSignature,
        };
        use malachitebft_app_channel::app::types::sync::RawDecidedValue;
        let w: WireResponse = decode(&bytes)?;
        Ok(Response::ValueResponse(malachitebft_sync::ValueResponse {
            start_height: w.start_height,
            values: w
                .values
                .into_iter()
                .map(|v| {
                    RawDecidedValue::new(
                        Bytes::from(v.value_bytes),
                        ExtendedCommitCertificate {
                            height: v.height,
                            round: v.round,
                            value_id: v.value_id,
                            commit_signatures: v
                                .signatures
                                .into_iter()
                                .map(|(a, s)| ExtendedCommitSignature::new(a, s, None))
                                .collect(),
                        },
                    )
                })
                .collect(),
        }))
    }

    fn encode(&self, msg: &Response<KumoContext>) -> Result<Bytes, Self::Error> {
        borsh::to_vec(&to_wire(msg)).map(Bytes::from)
    }
}

impl HasEncodedLen<Response<KumoContext>> for BorshCodec {
    fn encoded_len(&self, msg: &Response<KumoContext>) -> Result<usize, std::io::Error> {
        borsh::object_length(&to_wire(msg))
    }
}

/// The engine's `ValidatorProof` has no borsh impl: its three fields, in order.
impl Codec<ValidatorProof<KumoContext>> for BorshCodec {
    type Error = std::io::Error;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<KumoContext>, Self::Error> {
        let (public_key, peer_id, signature): (Vec<u8>, Vec<u8>, Signature) = decode(&bytes)?;
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }

    fn encode(&self, p: &ValidatorProof<KumoContext>) -> Result<Bytes, Self::Error> {
        borsh::to_vec(&(&p.public_key, &p.peer_id, &p.signature)).map(Bytes::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use malachitebft_app_channel::app::streaming::{StreamContent, StreamId};
    use malachitebft_core_types::Round;

    #[test]
    fn parts_round_trip_and_garbage_is_refused() {
        let part = StreamMessage::new(
            StreamId::new(Bytes::from_static(b"\0\0\0\0\0\0\0\x05\0\0\0\0")),
            0,
            StreamContent::Data(ProposalPart::Init {
                height: Height(5),
                round: Round::new(0),
                pol_round: Round::Nil,
                proposer: Address([3; 20]),
            }),
        );
        let bytes = Codec::<StreamMessage<ProposalPart>>::encode(&BorshCodec, &part).unwrap();
        let back: StreamMessage<ProposalPart> = BorshCodec.decode(bytes.clone()).unwrap();
        assert_eq!(back, part);
        let mut padded = bytes.to_vec();
        padded.push(0);
        assert!(Codec::<StreamMessage<ProposalPart>>::decode(&BorshCodec, padded.into()).is_err());
        assert!(Codec::<StreamMessage<ProposalPart>>::decode(
            &BorshCodec,
            Bytes::from_static(&[0xff; 7])
        )
        .is_err());
    }
}
