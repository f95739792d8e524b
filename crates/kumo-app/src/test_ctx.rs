//! Unit-test state for module tests: an empty in-memory store and a running write set, with
//! messages executed the way the app does (decode + check, then a layer dropped on failure).

use crate::abci::Event;
use crate::ctx::{BlockInfo, Ctx, Mode};
use crate::errors::SdkResult;
use crate::gas::GasMeter;
use crate::msgs::Msg;
use cosmos_sdk_proto::Any;
use kumo_store::{Snapshot, Store, StoreOptions, WriteSet};

pub struct TestState {
    _store: Store,
    snapshot: Snapshot,
    writes: WriteSet,
    block: BlockInfo,
}

impl TestState {
    pub fn new() -> TestState {
        let store = Store::in_memory(StoreOptions::default()).expect("in-memory store");
        let snapshot = store.snapshot();
        TestState {
            _store: store,
            snapshot,
            writes: WriteSet::new(),
            block: BlockInfo {
                height: 1,
                chain_id: "kumo-test".into(),
                ..Default::default()
            },
        }
    }

    /// Runs `f` on a context whose writes are kept; returns its result and events.
    pub fn with<R>(&mut self, f: impl FnOnce(&mut Ctx) -> R) -> (R, Vec<Event>) {
        let mut ctx = Ctx::new(
            &self.snapshot,
            &mut self.writes,
            &self.block,
            Mode::Deliver,
            GasMeter::unlimited(),
        );
        let r = f(&mut ctx);
        let events = ctx.finish();
        (r, events)
    }

    /// Decodes, checks and executes one message; a failed message leaves no writes or events.
    pub fn deliver<M: prost::Message + prost::Name>(&mut self, m: &M) -> SdkResult<Vec<Event>> {
        let any = Any {
            type_url: M::type_url(),
            value: m.encode_to_vec(),
        };
        let msg = Msg::from_any(&any)?;
        let (r, events) = self.with(|ctx| {
            ctx.push_layer();
            let r = msg.execute(ctx);
            if r.is_ok() {
                ctx.commit_layer();
            } else {
                ctx.discard_layer();
            }
            r
        });
        r.map(|_| events)
    }

    /// A query through the app's router.
    pub fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &mut self,
        path: &str,
        req: &Req,
    ) -> SdkResult<Resp> {
        let (r, _) = self.with(|ctx| crate::query::route(ctx, path, &req.encode_to_vec()));
        Ok(Resp::decode(r?.as_slice()).expect("response decodes"))
    }
}

/// A deterministic test address.
pub fn addr(n: u8) -> kumo_crypto::Address {
    kumo_crypto::Address([n; 20])
}
