//! The high-level path: look up the signer's account, estimate gas, price the fee, sign and
//! broadcast (what cosmjs `signAndBroadcast` does with fee `"auto"`, spec §1.3 and §2.6).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::Any;
use kumo_crypto::{PrivKey, PubKey};

use crate::coins::{fee_for, Dec, GasPrice, DEFAULT_GAS_PRICE};
use crate::error::{ClientError, Result};
use crate::rpc::{BroadcastResult, RpcClient};
use crate::tx::{SignedTx, TxBuilder, TxSignMode};

/// Default multiplier applied to simulated gas (cosmjs uses 1.4 for `"auto"`).
pub const DEFAULT_GAS_ADJUSTMENT: &str = "1.4";

/// How the gas limit is chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gas {
    /// Simulate and use `ceil(gas_used × adjustment)`.
    Auto { adjustment: Dec },
    /// A fixed gas limit; no simulation.
    Fixed(u64),
}

impl Default for Gas {
    fn default() -> Self {
        Gas::Auto {
            adjustment: DEFAULT_GAS_ADJUSTMENT
                .parse()
                .expect("default gas adjustment is a valid decimal"),
        }
    }
}

/// Fee, gas and memo options of a transaction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeeOpts {
    pub gas: Gas,
    /// Explicit fee coins; excludes `gas_prices`.
    pub fees: Option<Vec<Coin>>,
    /// Price per unit of gas; default 0.025uakt when `fees` is not given.
    pub gas_prices: Option<GasPrice>,
    pub memo: String,
}

impl FeeOpts {
    /// The fee for `gas_limit`: the explicit fees, or `ceil(gas_limit × price)`.
    pub fn fee_for(&self, gas_limit: u64) -> Result<Vec<Coin>> {
        match (&self.fees, &self.gas_prices) {
            (Some(_), Some(_)) => Err(ClientError::InvalidFee(
                "give either fees or gas prices, not both".into(),
            )),
            (Some(fees), None) => Ok(fees.clone()),
            (None, price) => {
                let default;
                let price = match price {
                    Some(p) => p,
                    None => {
                        default = DEFAULT_GAS_PRICE
                            .parse::<GasPrice>()
                            .expect("default gas price is valid");
                        &default
                    }
                };
                let coin = fee_for(price, gas_limit)?;
                Ok(if coin.amount == "0" {
                    Vec::new()
                } else {
                    vec![coin]
                })
            }
        }
    }
}

/// A signed tx plus what went into it, for showing the user before broadcasting.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedTx {
    pub signed: SignedTx,
    pub chain_id: String,
    pub signer: String,
    pub account_number: u64,
    pub sequence: u64,
    pub gas_limit: u64,
    /// Simulated gas use when the gas was estimated.
    pub gas_estimate: Option<u64>,
    pub fee: Vec<Coin>,
    pub memo: String,
}

/// Looks up account number and sequence, estimates gas if asked, computes the fee and signs
/// with SIGN_MODE_DIRECT. `chain_id` `None` reads it from the node's status.
pub fn prepare_tx(
    client: &RpcClient,
    key: &PrivKey,
    chain_id: Option<&str>,
    msgs: Vec<Any>,
    opts: &FeeOpts,
) -> Result<PreparedTx> {
    prepare_tx_as(client, key, chain_id, msgs, opts, TxSignMode::Direct)
}

/// [`prepare_tx`], signing in `mode` (SIGN_MODE_DIRECT or LEGACY_AMINO_JSON).
pub fn prepare_tx_as(
    client: &RpcClient,
    key: &PrivKey,
    chain_id: Option<&str>,
    msgs: Vec<Any>,
    opts: &FeeOpts,
    mode: TxSignMode,
) -> Result<PreparedTx> {
    prepare_tx_granted(client, key, chain_id, msgs, opts, mode, None)
}

/// A transaction built and priced but not signed: what a signer elsewhere (a browser wallet)
/// signs. `builder` has the gas limit and fee set.
#[derive(Clone, Debug, PartialEq)]
pub struct UnsignedTx {
    pub builder: TxBuilder,
    pub chain_id: String,
    pub signer: String,
    pub account_number: u64,
    pub sequence: u64,
    pub gas_limit: u64,
    /// Simulated gas use when the gas was estimated.
    pub gas_estimate: Option<u64>,
    pub fee: Vec<Coin>,
}

/// Looks up the account of `pubkey`, estimates gas if asked (simulating with `pubkey`) and
/// computes the fee; signing is left to the caller. `chain_id` `None` reads it from the node.
pub fn prepare_unsigned(
    client: &RpcClient,
    pubkey: &PubKey,
    chain_id: Option<&str>,
    msgs: Vec<Any>,
    opts: &FeeOpts,
    fee_granter: Option<&str>,
) -> Result<UnsignedTx> {
    if msgs.is_empty() {
        return Err(ClientError::InvalidArgument(
            "a transaction needs at least one message".into(),
        ));
    }
    if opts.fees.is_some() && opts.gas_prices.is_some() {
        return Err(ClientError::InvalidFee(
            "give either fees or gas prices, not both".into(),
        ));
    }
    let chain_id = match chain_id {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => client.status()?.chain_id,
    };
    let signer = pubkey.address().to_string();
    let account = client
        .account(&signer)?
        .ok_or_else(|| ClientError::AccountNotFound(signer.clone()))?;
    let builder = TxBuilder::new(chain_id.clone(), account.account_number, account.sequence)
        .msgs(msgs)
        .memo(opts.memo.clone())
        .fee_granter(fee_granter.unwrap_or_default());

    let (gas_limit, gas_estimate) = match &opts.gas {
        Gas::Fixed(g) => (*g, None),
        Gas::Auto { adjustment } => {
            let used = client.simulate(&builder.simulation_bytes(pubkey))?;
            let limit = adjustment
                .mul_ceil(u128::from(used))
                .and_then(|g| u64::try_from(g).ok())
                .ok_or_else(|| {
                    ClientError::InvalidFee(format!(
                        "gas {used} × adjustment {adjustment} overflows"
                    ))
                })?;
            (limit, Some(used))
        }
    };
    let fee = opts.fee_for(gas_limit)?;
    Ok(UnsignedTx {
        builder: builder.gas_limit(gas_limit).fee(fee.clone()),
        chain_id,
        signer,
        account_number: account.account_number,
        sequence: account.sequence,
        gas_limit,
        gas_estimate,
        fee,
    })
}

/// [`prepare_tx_as`] with the fee paid by `fee_granter` (an akash1… address) from the fee
/// allowance it gave the signer; the gas estimate includes using that allowance.
pub fn prepare_tx_granted(
    client: &RpcClient,
    key: &PrivKey,
    chain_id: Option<&str>,
    msgs: Vec<Any>,
    opts: &FeeOpts,
    mode: TxSignMode,
    fee_granter: Option<&str>,
) -> Result<PreparedTx> {
    let u = prepare_unsigned(client, &key.pubkey(), chain_id, msgs, opts, fee_granter)?;
    Ok(PreparedTx {
        signed: u.builder.sign_as(key, mode).map_err(|e| {
            ClientError::InvalidArgument(format!("cannot sign with --sign-mode amino-json: {e}"))
        })?,
        chain_id: u.chain_id,
        signer: u.signer,
        account_number: u.account_number,
        sequence: u.sequence,
        gas_limit: u.gas_limit,
        gas_estimate: u.gas_estimate,
        fee: u.fee,
        memo: opts.memo.clone(),
    })
}

/// [`prepare_tx`] then `broadcast_tx_sync`. A non-zero CheckTx code is returned in the result,
/// not as an error (see [`hint_for_code`]).
pub fn sign_and_broadcast(
    client: &RpcClient,
    key: &PrivKey,
    chain_id: Option<&str>,
    msgs: Vec<Any>,
    opts: &FeeOpts,
) -> Result<BroadcastResult> {
    let prepared = prepare_tx(client, key, chain_id, msgs, opts)?;
    client.broadcast_tx_sync(&prepared.signed.tx_bytes)
}

/// What a user can do about a failed tx, by SDK error code (codespace `sdk`).
pub fn hint_for_code(codespace: &str, code: u32) -> Option<&'static str> {
    if codespace != "sdk" && !codespace.is_empty() {
        return None;
    }
    Some(match code {
        2 => "the node could not decode the transaction; is the node a kumo/Cosmos SDK v0.50 chain?",
        4 => "signature rejected: check --chain-id and that the key is the account's key",
        5 => "the account cannot cover the amount plus fees; check `kumo query bank balances`",
        7 => "an address is invalid; addresses look like akash1…",
        9 => "the sender account does not exist yet: send it some tokens first",
        10 => "an amount is invalid: use positive integer amounts with a denom, e.g. 1000uakt",
        11 => "out of gas: raise --gas or --gas-adjustment",
        13 => "fee too low: raise --fees or --gas-prices",
        19 => "this exact transaction is already in the mempool",
        30 => "the transaction's timeout height has passed",
        32 => "account sequence mismatch: another transaction from this account is pending; wait for it to be included and retry",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coin(amount: &str, denom: &str) -> Coin {
        Coin {
            denom: denom.into(),
            amount: amount.into(),
        }
    }

    #[test]
    fn fee_from_default_price_rounds_up() {
        let opts = FeeOpts::default();
        assert_eq!(opts.fee_for(117_881).unwrap(), vec![coin("2948", "uakt")]);
        assert_eq!(opts.fee_for(0).unwrap(), vec![]);
    }

    #[test]
    fn explicit_fees_and_prices() {
        let opts = FeeOpts {
            fees: Some(vec![coin("10", "uakt")]),
            ..Default::default()
        };
        assert_eq!(opts.fee_for(999_999).unwrap(), vec![coin("10", "uakt")]);
        let opts = FeeOpts {
            gas_prices: Some("0.1uact".parse().unwrap()),
            ..Default::default()
        };
        assert_eq!(opts.fee_for(15).unwrap(), vec![coin("2", "uact")]);
        let both = FeeOpts {
            fees: Some(vec![coin("10", "uakt")]),
            gas_prices: Some("0.1uakt".parse().unwrap()),
            ..Default::default()
        };
        assert!(both
            .fee_for(1)
            .unwrap_err()
            .to_string()
            .contains("not both"));
    }

    #[test]
    fn default_gas_is_auto_with_1_4() {
        assert_eq!(
            Gas::default(),
            Gas::Auto {
                adjustment: "1.4".parse().unwrap()
            }
        );
    }

    #[test]
    fn hints() {
        assert!(hint_for_code("sdk", 13).unwrap().contains("--fees"));
        assert!(hint_for_code("sdk", 11).unwrap().contains("--gas"));
        assert_eq!(hint_for_code("market", 13), None);
        assert_eq!(hint_for_code("sdk", 1234), None);
    }
}
