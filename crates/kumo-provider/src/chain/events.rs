//! The Akash typed events the daemon acts on, read from a height's `block_results` (every tx's
//! events, then the finalize-block events). Attribute values are proto-JSON (`../shared/spec/
//! akash-chain.md` §4.5, §3.7).

use kumo_proto::akash::deployment::v1::DeploymentId;
use kumo_proto::akash::market::v1::{BidId, LeaseClosedReason, LeaseId, OrderId};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum ChainEvent {
    OrderCreated(OrderId),
    OrderClosed(OrderId),
    BidCreated(BidId),
    BidClosed(BidId),
    LeaseCreated(LeaseId),
    LeaseClosed {
        id: LeaseId,
        reason: LeaseClosedReason,
    },
    DeploymentUpdated {
        id: DeploymentId,
        /// The new manifest version.
        hash: Vec<u8>,
    },
}

fn attr<'a>(event: &'a Value, key: &str) -> Option<&'a str> {
    event["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"].as_str() == Some(key))
        .and_then(|a| a["value"].as_str())
}

fn parse_attr<M: prost::Message + prost::Name + Default>(event: &Value, key: &str) -> Option<M> {
    let raw = attr(event, key)?;
    let json: Value = serde_json::from_str(raw).ok()?;
    kumo_proto::json::message_from_json::<M>(&json).ok()
}

/// One ABCI event as a [`ChainEvent`], if it is one the daemon cares about.
pub fn parse_event(event: &Value) -> Option<ChainEvent> {
    let kind = event["type"].as_str()?;
    Some(match kind {
        "akash.market.v1.EventOrderCreated" => ChainEvent::OrderCreated(parse_attr(event, "id")?),
        "akash.market.v1.EventOrderClosed" => ChainEvent::OrderClosed(parse_attr(event, "id")?),
        "akash.market.v1.EventBidCreated" => ChainEvent::BidCreated(parse_attr(event, "id")?),
        "akash.market.v1.EventBidClosed" => ChainEvent::BidClosed(parse_attr(event, "id")?),
        "akash.market.v1.EventLeaseCreated" => ChainEvent::LeaseCreated(parse_attr(event, "id")?),
        "akash.market.v1.EventLeaseClosed" => {
            let reason = attr(event, "reason")
                .and_then(|r| serde_json::from_str::<Value>(r).ok())
                .and_then(|v| match v {
                    Value::String(s) => LeaseClosedReason::from_str_name(&s),
                    Value::Number(n) => {
                        LeaseClosedReason::try_from(n.as_i64().unwrap_or(0) as i32).ok()
                    }
                    _ => None,
                })
                .unwrap_or(LeaseClosedReason::LeaseClosedInvalid);
            ChainEvent::LeaseClosed {
                id: parse_attr(event, "id")?,
                reason,
            }
        }
        "akash.deployment.v1.EventDeploymentUpdated" => {
            use base64::Engine;
            let hash = attr(event, "hash")
                .and_then(|h| serde_json::from_str::<String>(h).ok())
                .and_then(|h| base64::engine::general_purpose::STANDARD.decode(h).ok())
                .unwrap_or_default();
            ChainEvent::DeploymentUpdated {
                id: parse_attr(event, "id")?,
                hash,
            }
        }
        _ => return None,
    })
}

/// Every event of interest in a `block_results` answer, in execution order (failed txs'
/// events are skipped: their state changes were discarded).
pub fn block_events(results: &Value) -> Vec<ChainEvent> {
    let mut out = Vec::new();
    for tx in results["txs_results"].as_array().into_iter().flatten() {
        if tx["code"].as_u64().unwrap_or(0) != 0 {
            continue;
        }
        out.extend(
            tx["events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(parse_event),
        );
    }
    out.extend(
        results["finalize_block_events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(parse_event),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed<M: prost::Message + prost::Name>(m: &M) -> Value {
        // As kumo-app's `Event::typed` writes it: one attribute per field with its proto-JSON.
        let fields = kumo_proto::json::message_json(m);
        json!({
            "type": M::full_name(),
            "attributes": fields.as_object().unwrap().iter()
                .map(|(k, v)| json!({"key": k, "value": v.to_string(), "index": true}))
                .chain(std::iter::once(json!({"key": "msg_index", "value": "0", "index": true})))
                .collect::<Vec<_>>(),
        })
    }

    #[test]
    fn reads_typed_events_of_successful_txs() {
        use kumo_proto::akash::market::v1 as m;
        let oid = OrderId {
            owner: "akash1tenant".into(),
            dseq: 12,
            gseq: 1,
            oseq: 2,
        };
        let lid = LeaseId {
            owner: "akash1tenant".into(),
            dseq: 12,
            gseq: 1,
            oseq: 2,
            provider: "akash1prov".into(),
            bseq: 0,
        };
        let results = json!({
            "txs_results": [
                {"code": 0, "events": [
                    {"type": "message", "attributes": [{"key": "action", "value": "x"}]},
                    typed(&m::EventOrderCreated { id: Some(oid.clone()) }),
                ]},
                {"code": 5, "events": [typed(&m::EventOrderClosed { id: Some(oid.clone()) })]},
                {"code": 0, "events": [typed(&m::EventLeaseClosed {
                    id: Some(lid.clone()),
                    reason: LeaseClosedReason::ManifestTimeout as i32,
                })]},
            ],
            "finalize_block_events": [typed(&m::EventLeaseCreated { id: Some(lid.clone()), price: None })],
        });
        assert_eq!(
            block_events(&results),
            vec![
                ChainEvent::OrderCreated(oid),
                ChainEvent::LeaseClosed {
                    id: lid.clone(),
                    reason: LeaseClosedReason::ManifestTimeout
                },
                ChainEvent::LeaseCreated(lid),
            ]
        );
    }
}
