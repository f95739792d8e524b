//! Wire types and their encodings: the Cosmos SDK protobuf types (re-exported from
//! cosmos-sdk-proto), Akash's types (generated from our own .proto files in `proto/akash`,
//! written from the spec's field tables), and the SDK's number formats (`math.Int` as a decimal
//! string, `LegacyDec` as an 18-decimal fixed-point integer).

pub use cosmos_sdk_proto;
pub mod amino;
pub mod json;
pub mod math;
pub mod time;

#[allow(clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/akash.rs"));
}
pub use generated::akash;

/// The encoded `FileDescriptorSet` of every Akash proto and the Cosmos declarations in
/// `proto/cosmos` (query services and the types they return, for reflection only).
pub const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/descriptors.bin"));
