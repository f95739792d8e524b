//! `cosmos.tx.v1beta1.Service/GetTxsEvent` over the node's tx index, for REST
//! (`GET /cosmos/tx/v1beta1/txs?query=…`, also the older `events=…` form) and gRPC. The app cannot
//! answer it (the index lives in the node), so the front ends run the search through
//! `RpcBackend::tx_search`, the same one JSON-RPC `tx_search` uses.

use super::backend::RpcBackend;
use super::format::rfc3339_proto;
use super::grpc::code;
use super::query::parse_tx_query;
use crate::types::IndexedTx;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{GetTxsEventRequest, GetTxsEventResponse, OrderBy, Tx};
use prost::Message;

/// The gRPC method path.
pub const GET_TXS_EVENT_PATH: &str = "/cosmos.tx.v1beta1.Service/GetTxsEvent";
/// Page size when the request gives none (the SDK's `query.DefaultLimit`).
pub const DEFAULT_LIMIT: u64 = 100;

/// The decoded tx of an indexed tx (`None` when its bytes do not decode).
pub fn decoded_tx(t: &IndexedTx) -> Option<Tx> {
    kumo_app::tx::decode_tx(&t.tx).ok().map(|d| Tx {
        body: Some(d.body.clone()),
        auth_info: Some(d.auth_info.clone()),
        signatures: d.raw.signatures.clone(),
    })
}

/// An indexed tx as the SDK's `TxResponse` (what `GetTx` answers for it).
#[allow(deprecated)]
pub fn tx_response(b: &dyn RpcBackend, t: &IndexedTx) -> TxResponse {
    let tx = decoded_tx(t);
    let time = b
        .block(t.height)
        .map(|sb| sb.block.header.time)
        .unwrap_or_default();
    TxResponse {
        height: t.height as i64,
        txhash: hex::encode_upper(t.hash),
        codespace: t.result.codespace.clone(),
        code: t.result.code,
        data: hex::encode_upper(&t.result.data),
        raw_log: t.result.log.clone(),
        logs: vec![],
        info: t.result.info.clone(),
        gas_wanted: t.result.gas_wanted as i64,
        gas_used: t.result.gas_used as i64,
        tx: tx.map(|tx| cosmos_sdk_proto::Any {
            type_url: "/cosmos.tx.v1beta1.Tx".into(),
            value: tx.encode_to_vec(),
        }),
        timestamp: rfc3339_proto(time),
        events: t
            .result
            .events
            .iter()
            .map(kumo_app::app::to_proto_event)
            .collect(),
    }
}

/// The query text of a request: `query`, or else the deprecated `events` joined with AND
/// (`message.sender=akash1…` values without quotes get them, as SDK ≤ 0.47 did).
#[allow(deprecated)]
pub fn query_text(req: &GetTxsEventRequest) -> Result<String, (u32, String)> {
    if !req.query.trim().is_empty() {
        return Ok(req.query.clone());
    }
    if req.events.is_empty() {
        return Err((code::INVALID_ARGUMENT, "query cannot be empty".into()));
    }
    let conditions: Vec<String> = req
        .events
        .iter()
        .map(|e| match e.split_once('=') {
            Some((k, v)) if !v.starts_with('\'') && !v.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{k}='{v}'")
            }
            _ => e.clone(),
        })
        .collect();
    Ok(conditions.join(" AND "))
}

/// Runs the search: (page of txs, their responses, total matches).
#[allow(deprecated)]
pub fn search(
    b: &dyn RpcBackend,
    req: &GetTxsEventRequest,
) -> Result<GetTxsEventResponse, (u32, String)> {
    let text = query_text(req)?;
    let query = parse_tx_query(&text)
        .map_err(|e| (code::INVALID_ARGUMENT, format!("invalid query: {e}")))?;
    let desc = match OrderBy::try_from(req.order_by) {
        Ok(OrderBy::Unspecified | OrderBy::Asc) => false,
        Ok(OrderBy::Desc) => true,
        Err(_) => {
            return Err((
                code::INVALID_ARGUMENT,
                format!("{} is not a valid tx.OrderBy", req.order_by),
            ))
        }
    };
    // The older clients page with `pagination.offset/limit`; `page`/`limit` win when given.
    let (mut page, mut limit) = (req.page, req.limit);
    if page == 0 && limit == 0 {
        if let Some(p) = &req.pagination {
            limit = p.limit;
            if let Some(before) = p.offset.checked_div(p.limit) {
                page = before + 1;
            }
        }
    }
    let page = page.max(1);
    let limit = if limit == 0 { DEFAULT_LIMIT } else { limit };
    let (found, total) = b
        .tx_search(&query, page, limit, desc)
        .map_err(|e| (code::INVALID_ARGUMENT, e))?;
    Ok(GetTxsEventResponse {
        txs: found.iter().filter_map(decoded_tx).collect(),
        tx_responses: found.iter().map(|t| tx_response(b, t)).collect(),
        pagination: None,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(deprecated)]
    fn events_are_joined_and_quoted() {
        let req = GetTxsEventRequest {
            events: vec!["message.sender=akash1x".into(), "tx.height=5".into()],
            ..Default::default()
        };
        assert_eq!(
            query_text(&req).unwrap(),
            "message.sender='akash1x' AND tx.height=5"
        );
        assert!(query_text(&GetTxsEventRequest::default()).is_err());
    }
}
