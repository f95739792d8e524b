//! kumo-client: a typed, blocking client for a kumo (or any CometBFT 0.38 / Cosmos SDK v0.50)
//! node over JSON-RPC, plus transaction building and SIGN_MODE_DIRECT signing. With the
//! `gateway` feature, also the tenant's side of a provider gateway ([`gateway`]) and the tenant's
//! certificate files ([`certs`]).
//!
//! ```no_run
//! use kumo_client::{parse_coins, sign_and_broadcast, tx::to_any, FeeOpts, RpcClient};
//! use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
//! # fn main() -> anyhow::Result<()> {
//! let client = RpcClient::new("http://127.0.0.1:26657");
//! let key = kumo_crypto::PrivKey::from_mnemonic("abandon abandon abandon abandon abandon abandon \
//!     abandon abandon abandon abandon abandon about", "")?;
//! let msg = MsgSend {
//!     from_address: key.address().to_string(),
//!     to_address: "akash1am058pdux3hyulcmfgj4m3hhrlfn8nzm2u3qk6".into(),
//!     amount: parse_coins("1000uakt")?,
//! };
//! let res = sign_and_broadcast(&client, &key, None, vec![to_any(&msg)], &FeeOpts::default())?;
//! let included = client.wait_for_tx(&res.hash, std::time::Duration::from_secs(30))?;
//! println!("{} at height {}", included.hash, included.height);
//! # Ok(()) }
//! ```

#[cfg(feature = "gateway")]
pub mod certs;
pub mod coins;
pub mod error;
#[cfg(feature = "gateway")]
pub mod gateway;
pub mod price;
pub mod rpc;
pub mod send;
pub mod tx;

pub use coins::{format_coins, parse_coin, parse_coins, Coin, Dec, GasPrice};
pub use error::{ClientError, Result};
pub use rpc::{
    AccountPubKey, BaseAccount, Block, BroadcastResult, Event, EventAttribute, QueryResponse,
    RpcClient, Status, TxInfo, DEFAULT_NODE,
};
pub use send::{
    hint_for_code, prepare_tx, prepare_tx_as, prepare_tx_granted, sign_and_broadcast, FeeOpts, Gas,
    PreparedTx,
};
pub use tx::{tx_hash, SignedTx, TxBuilder, TxSignMode};
