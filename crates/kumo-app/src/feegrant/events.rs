//! feegrant events, as the SDK's keeper emits them (plain events, bech32 attribute values):
//! `set_feegrant`, `update_feegrant`, `revoke_feegrant`, `use_feegrant` with `granter` and
//! `grantee`, and `prune_feegrant` with `pruner`.

use crate::abci::Event;
use kumo_crypto::Address;

pub const SET_FEEGRANT: &str = "set_feegrant";
pub const UPDATE_FEEGRANT: &str = "update_feegrant";
pub const REVOKE_FEEGRANT: &str = "revoke_feegrant";
pub const USE_FEEGRANT: &str = "use_feegrant";
pub const PRUNE_FEEGRANT: &str = "prune_feegrant";

/// An event about the grant `granter` gave `grantee`.
pub fn grant_event(kind: &str, granter: &Address, grantee: &Address) -> Event {
    Event::new(kind)
        .attr("granter", granter.to_string())
        .attr("grantee", grantee.to_string())
}

pub fn prune_event(pruner: &Address) -> Event {
    Event::new(PRUNE_FEEGRANT).attr("pruner", pruner.to_string())
}
