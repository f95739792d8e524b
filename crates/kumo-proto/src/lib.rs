//! Wire types and their encodings: the Cosmos SDK protobuf types (re-exported from
//! cosmos-sdk-proto) and the SDK's number formats (`math.Int` as a decimal string, `LegacyDec`
//! as an 18-decimal fixed-point integer). Akash's own types will join them here.

pub use cosmos_sdk_proto;
pub mod math;
