//! distribution (minimal): the community pool that take fees pay into. The "token economy"
//! work extends this into the full SDK distribution module (rewards, community tax).

pub mod genesis;
pub mod query;
pub mod state;

pub use state::{community_pool, fund_community_pool};
