//! The per-lease event log (`/kubeevents`): what the runtime did (Pulling, Pulled, Created,
//! Started) and what Docker saw happen to the containers (exits, restarts), with live followers.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::broadcast;

use crate::workload::{EventObject, LeaseEvent};

/// Events kept per lease; older ones are dropped (a crash-looping container must not grow the
/// provider's memory without bound).
const MAX_EVENTS: usize = 1000;

struct LeaseLog {
    events: VecDeque<LeaseEvent>,
    tx: broadcast::Sender<LeaseEvent>,
}

#[derive(Default)]
pub struct EventLog {
    leases: Mutex<BTreeMap<String, LeaseLog>>,
}

/// Kubernetes-like object kinds, so tools that read Akash events show them sensibly.
pub const KIND_POD: &str = "Pod";
pub const KIND_DEPLOYMENT: &str = "Deployment";

pub fn event(
    ns: &str,
    warning: bool,
    reason: &str,
    note: String,
    kind: &str,
    name: String,
) -> LeaseEvent {
    LeaseEvent {
        kind: if warning { "Warning" } else { "Normal" }.into(),
        reporting_controller: "kumo-provider".into(),
        reporting_instance: "docker".into(),
        reason: reason.into(),
        note,
        object: EventObject {
            kind: kind.into(),
            namespace: ns.into(),
            name,
        },
    }
}

impl EventLog {
    pub fn push(&self, ev: LeaseEvent) {
        let mut leases = self.leases.lock().unwrap();
        let log = leases
            .entry(ev.object.namespace.clone())
            .or_insert_with(|| LeaseLog {
                events: VecDeque::new(),
                tx: broadcast::channel(256).0,
            });
        if log.events.len() == MAX_EVENTS {
            log.events.pop_front();
        }
        log.events.push_back(ev.clone());
        // No receiver is fine: nobody follows this lease right now.
        let _ = log.tx.send(ev);
    }

    /// Starts an (empty) log for a lease, e.g. one adopted after a restart.
    pub fn ensure(&self, ns: &str) {
        self.leases
            .lock()
            .unwrap()
            .entry(ns.to_string())
            .or_insert_with(|| LeaseLog {
                events: VecDeque::new(),
                tx: broadcast::channel(256).0,
            });
    }

    pub fn has(&self, ns: &str) -> bool {
        self.leases.lock().unwrap().contains_key(ns)
    }

    /// Past events, then (with `follow`) new ones until the lease is forgotten. Taken under one
    /// lock so no event falls between the snapshot and the subscription.
    pub fn stream(&self, ns: &str, follow: bool) -> BoxStream<'static, LeaseEvent> {
        let mut leases = self.leases.lock().unwrap();
        let log = leases.entry(ns.to_string()).or_insert_with(|| LeaseLog {
            events: VecDeque::new(),
            tx: broadcast::channel(256).0,
        });
        let past: Vec<LeaseEvent> = log.events.iter().cloned().collect();
        let past = stream::iter(past);
        if !follow {
            return past.boxed();
        }
        let rx = log.tx.subscribe();
        let live = stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => return Some((ev, rx)),
                    // A slow follower misses events rather than stalling the runtime.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        past.chain(live).boxed()
    }

    /// Drops the lease's log; followers' streams end.
    pub fn forget(&self, ns: &str) {
        self.leases.lock().unwrap().remove(ns);
    }
}
