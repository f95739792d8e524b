//! The one interface a module's messages implement (the SDK's `MsgServer` + `ValidateBasic`,
//! Penumbra's check_stateless / check_and_execute): decode and check without state, name the
//! signers, execute against state. `msgs::Msg` routes every message through it; a module's
//! implementation lives in its own `msgs.rs`. The helpers every module's `msgs.rs` and
//! `query.rs` share live here too, below both routers (`msgs`, `query`), so no module imports
//! a router.

use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::Any;
use kumo_crypto::Address;
use prost::Message;

pub trait ModuleMsg: Sized {
    /// The module's name (the `module` attribute of the tx's `message` event).
    const MODULE: &'static str;

    /// Decodes `any` and checks it without state (decode + `ValidateBasic`); `None` when this
    /// module does not own the type URL.
    fn decode(any: &Any) -> Option<SdkResult<Self>>;

    /// The message's type URL.
    fn type_url(&self) -> &'static str;

    /// Addresses that must sign, in order.
    fn signers(&self) -> Vec<Address>;

    /// The stateful checks (in Akash's / the SDK's order) and the state change; returns the
    /// encoded `<Msg>Response`.
    fn execute(&self, ctx: &mut Ctx) -> SdkResult<Vec<u8>>;
}

/// Decodes `any`'s value as `T`, with the SDK's tx-decode error naming the type URL.
pub fn decode_as<T: Message + Default>(any: &Any) -> SdkResult<T> {
    T::decode(any.value.as_slice())
        .map_err(|e| SdkError::tx_decode(format!("cannot decode {}: {e}", any.type_url)))
}

/// Decodes a query request, answering malformed bytes with InvalidArgument.
pub fn decode_req<T: Message + Default>(data: &[u8]) -> SdkResult<T> {
    T::decode(data).map_err(|e| SdkError::bad_query(format!("cannot decode request: {e}")))
}

// ---- Older query services answered through the current ones (deployment v1beta3, market
// v1beta4: spec §3.8, §4.8). Old and new messages share field numbers and types wherever both
// have a field; the old ones only lack later additions, so re-encoding converts them. ----

/// Re-encodes `m` as `T`: valid only between messages whose shared fields have the same
/// numbers and types (see the module comment). Fields `T` lacks are dropped.
pub fn recode<T: Message + Default>(m: &impl Message) -> T {
    T::decode(m.encode_to_vec().as_slice()).expect("wire-compatible message re-decodes")
}

/// A module's query entry point (`crate::<module>::query::handle`).
pub type Handler = fn(&mut Ctx, &str, &[u8]) -> Option<SdkResult<Vec<u8>>>;

/// Runs the current query `handler` on the re-encoded old request `req` and decodes its answer.
pub fn ask<New: Message + Default, Ans: Message + Default>(
    ctx: &mut Ctx,
    handler: Handler,
    method: &str,
    req: &impl Message,
) -> SdkResult<Ans> {
    let bytes = recode::<New>(req).encode_to_vec();
    let answer = handler(ctx, method, &bytes).expect("the current service has this method")?;
    Ok(Ans::decode(answer.as_slice()).expect("the current handler's answer decodes"))
}

pub const DEFAULT_PAGE_LIMIT: u64 = 100;
pub const MAX_PAGE_LIMIT: u64 = 1000;

/// Pages `entries` (all under `prefix`, ascending) the SDK way: by `key` (the suffix after the
/// prefix, as returned in `next_key`) or by `offset`, `limit` (default 100), optional reverse.
pub fn paginate<'e>(
    entries: &'e [(Vec<u8>, Vec<u8>)],
    prefix: &[u8],
    req: Option<&PageRequest>,
) -> SdkResult<(Vec<&'e (Vec<u8>, Vec<u8>)>, PageResponse)> {
    let default = PageRequest::default();
    let req = req.unwrap_or(&default);
    if !req.key.is_empty() && req.offset > 0 {
        return Err(SdkError::bad_query(
            "paginate: invalid request, either offset or key is expected, got both",
        ));
    }
    let limit = match req.limit {
        0 => DEFAULT_PAGE_LIMIT,
        l => l.min(MAX_PAGE_LIMIT),
    } as usize;
    let ordered: Vec<&(Vec<u8>, Vec<u8>)> = if req.reverse {
        entries.iter().rev().collect()
    } else {
        entries.iter().collect()
    };
    let start = if !req.key.is_empty() {
        let key = [prefix, req.key.as_slice()].concat();
        ordered
            .iter()
            .position(|(k, _)| if req.reverse { *k <= key } else { *k >= key })
            .unwrap_or(ordered.len())
    } else {
        (req.offset as usize).min(ordered.len())
    };
    let end = (start + limit).min(ordered.len());
    let next_key = ordered
        .get(end)
        .map(|(k, _)| k[prefix.len()..].to_vec())
        .unwrap_or_default();
    let total = if req.key.is_empty() {
        entries.len() as u64
    } else {
        0
    };
    Ok((
        ordered[start..end].to_vec(),
        PageResponse { next_key, total },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: u8) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..n).map(|i| (vec![b'p', i], vec![i])).collect()
    }

    #[test]
    fn pages_by_key_and_offset() {
        let e = entries(5);
        let req = PageRequest {
            limit: 2,
            ..Default::default()
        };
        let (p, r) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(r.next_key, vec![2]);
        assert_eq!(r.total, 5);
        let req = PageRequest {
            key: r.next_key,
            limit: 2,
            ..Default::default()
        };
        let (p, r) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p[0].1, vec![2]);
        assert_eq!(r.next_key, vec![4]);
        let req = PageRequest {
            offset: 4,
            limit: 2,
            ..Default::default()
        };
        let (p, r) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p.len(), 1);
        assert!(r.next_key.is_empty());
        let req = PageRequest {
            reverse: true,
            limit: 2,
            ..Default::default()
        };
        let (p, _) = paginate(&e, b"p", Some(&req)).unwrap();
        assert_eq!(p[0].1, vec![4]);
        let bad = PageRequest {
            key: vec![1],
            offset: 1,
            ..Default::default()
        };
        assert!(paginate(&e, b"p", Some(&bad)).is_err());
    }
}
