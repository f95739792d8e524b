//! The ante handler: everything a tx must pass before its messages run, in the SDK's order
//! (basic checks, memo, size gas, fee, public keys, signature gas, signatures and sequences,
//! sequence increment). Its writes (fee, sequence) persist even when a message later fails.

use crate::abci::Event;
use crate::auth::{self, Account};
use crate::bank;
use crate::coins::{coins_from_proto, coins_to_string, GasPrice};
use crate::ctx::{Ctx, Mode};
use crate::errors::{SdkError, SdkResult};
use crate::tx::DecodedTx;
use base64::Engine;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as ProtoPubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::mode_info;
use kumo_crypto::PubKey;
use prost::Message;
use std::collections::HashSet;
use std::sync::Mutex;

/// Signatures already verified, keyed by (tx hash, signer index, account number): the same tx
/// bytes and account number give the same sign bytes, so the answer cannot differ. CheckTx
/// fills it; the block re-uses it instead of verifying twice.
#[derive(Default)]
pub struct SigCache {
    verified: Mutex<HashSet<([u8; 32], u32, u64)>>,
}

const SIG_CACHE_MAX: usize = 500_000;

impl SigCache {
    pub fn contains(&self, key: &([u8; 32], u32, u64)) -> bool {
        self.verified.lock().expect("sig cache lock").contains(key)
    }

    pub fn insert(&self, key: ([u8; 32], u32, u64)) {
        let mut set = self.verified.lock().expect("sig cache lock");
        if set.len() >= SIG_CACHE_MAX {
            set.clear();
        }
        set.insert(key);
    }

    pub fn remove(&self, key: &([u8; 32], u32, u64)) {
        self.verified.lock().expect("sig cache lock").remove(key);
    }
}

pub struct AnteParams<'a> {
    pub min_gas_prices: &'a [GasPrice],
    pub sig_cache: &'a SigCache,
}

/// Parses the secp256k1 key from a SignerInfo's `public_key` Any.
fn signer_pubkey(any: &cosmos_sdk_proto::Any) -> SdkResult<PubKey> {
    let pk = signer_pubkey_bytes(any)?;
    PubKey::from_bytes(&pk.0)
        .map_err(|e| SdkError::invalid_pubkey(format!("bad secp256k1 public key: {e}")))
}

/// The key bytes of a SignerInfo's `public_key` Any, with its type and length checked but not
/// yet whether it is a curve point (decompressing costs several microseconds; a key whose
/// signature is already in the [`SigCache`] was a valid point when it verified).
fn signer_pubkey_bytes(any: &cosmos_sdk_proto::Any) -> SdkResult<PubKey> {
    if any.type_url != auth::SECP256K1_PUBKEY_URL {
        return Err(SdkError::invalid_pubkey(format!(
            "unsupported public key type {}; only {} is supported",
            any.type_url,
            auth::SECP256K1_PUBKEY_URL
        )));
    }
    let pk = ProtoPubKey::decode(any.value.as_slice())
        .map_err(|e| SdkError::invalid_pubkey(format!("cannot decode public key: {e}")))?;
    let bytes: [u8; kumo_crypto::PUBKEY_LEN] = pk.key.as_slice().try_into().map_err(|_| {
        SdkError::invalid_pubkey(format!(
            "bad secp256k1 public key: expected {} bytes (compressed SEC1), got {}",
            kumo_crypto::PUBKEY_LEN,
            pk.key.len()
        ))
    })?;
    Ok(PubKey(bytes))
}

/// Runs the ante checks and effects. Returns the gas limit the tx asked for.
pub fn run(ctx: &mut Ctx, tx: &DecodedTx, p: &AnteParams) -> SdkResult<()> {
    let simulate = ctx.mode == Mode::Simulate;
    let params = auth::params(ctx);
    let fee = tx.auth_info.fee.clone().unwrap_or_default();
    let signers = tx.signers();

    // ValidateBasic.
    if !simulate && tx.raw.signatures.is_empty() {
        return Err(SdkError::no_signatures(""));
    }
    if tx.raw.signatures.len() != signers.len() && !simulate {
        return Err(SdkError::unauthorized(format!(
            "wrong number of signers; expected {}, got {}",
            signers.len(),
            tx.raw.signatures.len()
        )));
    }
    if tx.auth_info.signer_infos.len() != signers.len() {
        return Err(SdkError::unauthorized(format!(
            "wrong number of signer infos; expected {}, got {}",
            signers.len(),
            tx.auth_info.signer_infos.len()
        )));
    }
    if signers.len() as u64 > params.tx_sig_limit {
        return Err(SdkError::too_many_signatures(format!(
            "signatures: {}, limit: {}",
            signers.len(),
            params.tx_sig_limit
        )));
    }
    let fee_coins = coins_from_proto(&fee.amount)?;
    if tx.body.timeout_height != 0 && ctx.block.height > tx.body.timeout_height {
        return Err(SdkError::tx_timeout_height(format!(
            "block height: {}, timeout height: {}",
            ctx.block.height, tx.body.timeout_height
        )));
    }
    if tx.body.memo.chars().count() as u64 > params.max_memo_characters {
        return Err(SdkError::memo_too_large(format!(
            "maximum number of characters is {} but received {} characters",
            params.max_memo_characters,
            tx.body.memo.chars().count()
        )));
    }

    // ConsumeGasForTxSize.
    ctx.gas
        .consume(params.tx_size_cost_per_byte * tx.size as u64, "txSize")?;

    // DeductFee: the minimum-gas-price check is a mempool policy, so CheckTx only.
    if ctx.mode == Mode::Check && !p.min_gas_prices.is_empty() {
        let required: Vec<(String, u128)> = p
            .min_gas_prices
            .iter()
            .map(|g| {
                (
                    g.denom.clone(),
                    g.fee_for_gas(fee.gas_limit).unwrap_or(u128::MAX),
                )
            })
            .collect();
        let pays_enough = required.iter().any(|(denom, need)| {
            fee_coins
                .iter()
                .any(|c| &c.denom == denom && c.amount >= *need)
        });
        if !pays_enough && required.iter().any(|(_, need)| *need > 0) {
            let required_str = required
                .iter()
                .map(|(d, a)| format!("{a}{d}"))
                .collect::<Vec<_>>()
                .join(",");
            return Err(SdkError::insufficient_fee(format!(
                "insufficient fees; got: {} required: {required_str}",
                coins_to_string(&fee_coins)
            )));
        }
    }
    let fee_payer = if fee.payer.is_empty() {
        signers[0]
    } else {
        auth::parse_address("fee payer", &fee.payer)?
    };
    if !signers.contains(&fee_payer) {
        return Err(SdkError::unauthorized(format!(
            "fee payer {} is not a signer of this tx",
            fee.payer
        )));
    }
    if !fee.granter.is_empty() {
        return Err(SdkError::invalid_request(
            "fee grants are not supported on this chain",
        ));
    }
    if auth::get_account(ctx, &fee_payer)?.is_none() {
        return Err(SdkError::unknown_address(format!(
            "fee payer address: {fee_payer} does not exist"
        )));
    }
    let collector = auth::module_address(auth::FEE_COLLECTOR);
    if !fee_coins.is_empty() {
        bank::send(ctx, &fee_payer, &collector, &fee_coins)?;
    } else if simulate {
        // Clients simulate with an empty fee, then pay one: charge the gas of that payment
        // here (on scratch state) so the estimate covers it.
        if let Some(denom) = p.min_gas_prices.first().map(|g| g.denom.clone()) {
            let unit = [crate::coins::Coin::new(denom, 1)];
            // An unfunded payer fails for real on broadcast; the estimate stays as is.
            let _ = bank::send(ctx, &fee_payer, &collector, &unit);
        }
    }
    ctx.emit(
        Event::new("tx")
            .attr("fee", coins_to_string(&fee_coins))
            .attr("fee_payer", fee_payer.to_string()),
    );

    // SetPubKey, SigGasConsume, SigVerification, IncrementSequence, per signer.
    let mut accounts: Vec<Account> = Vec::with_capacity(signers.len());
    for (i, signer) in signers.iter().enumerate() {
        let info = &tx.auth_info.signer_infos[i];
        let mut acc = auth::get_account(ctx, signer)?
            .ok_or_else(|| SdkError::unknown_address(format!("account {signer} does not exist")))?;
        // A signature CheckTx (or the block's parallel pre-check) already verified for these
        // exact tx bytes and account number needs neither the key decompressed nor a check.
        let sig_key = (tx.hash, i as u32, acc.base().account_number);
        let verified = !simulate && p.sig_cache.contains(&sig_key);
        let pubkey = match &info.public_key {
            Some(any) => {
                let pk = if verified {
                    signer_pubkey_bytes(any)?
                } else {
                    signer_pubkey(any)?
                };
                if pk.address() != *signer {
                    return Err(SdkError::invalid_pubkey(format!(
                        "pubKey does not match signer address {signer} with signer index: {i}"
                    )));
                }
                let stored_is_this_key = acc
                    .base()
                    .pub_key
                    .as_ref()
                    .is_some_and(|a| *a == auth::pubkey_any(&pk));
                if !stored_is_this_key && acc.pubkey().is_none() {
                    acc.base_mut().pub_key = Some(auth::pubkey_any(&pk));
                }
                Some(pk)
            }
            None => match acc.pubkey() {
                Some(pk) => Some(pk),
                None if simulate => None,
                None => return Err(SdkError::invalid_pubkey("pubkey on account is not set")),
            },
        };
        ctx.gas.consume(
            params.sig_verify_cost_secp256k1,
            "secp256k1 signature verification",
        )?;

        let base = acc.base().clone();
        if info.sequence != base.sequence {
            return Err(SdkError::wrong_sequence(format!(
                "account sequence mismatch, expected {}, got {}",
                base.sequence, info.sequence
            )));
        }
        if !simulate {
            let mode = match &info.mode_info.as_ref().and_then(|m| m.sum.clone()) {
                Some(mode_info::Sum::Single(s)) => s.mode,
                Some(mode_info::Sum::Multi(_)) => {
                    return Err(SdkError::unauthorized("multisig signers are not supported"));
                }
                None => SignMode::Unspecified as i32,
            };
            if mode != SignMode::Direct as i32 {
                return Err(SdkError::unauthorized(format!(
                    "sign mode {} is not supported; sign with SIGN_MODE_DIRECT",
                    SignMode::try_from(mode)
                        .map(|m| m.as_str_name())
                        .unwrap_or("unknown")
                )));
            }
            if !verified {
                let pk = pubkey.expect("checked above outside simulation");
                let sign_bytes = tx.sign_bytes(&ctx.block.chain_id, base.account_number);
                if !pk.verify(&sign_bytes, &tx.raw.signatures[i]) {
                    return Err(SdkError::unauthorized(format!(
                        "signature verification failed; please verify account number ({}) and chain-id ({})",
                        base.account_number, ctx.block.chain_id
                    )));
                }
                p.sig_cache.insert(sig_key);
            }
        }
        acc.base_mut().sequence += 1;
        auth::set_account(ctx, signer, &acc)?;
        accounts.push(acc);
    }
    for (i, signer) in signers.iter().enumerate() {
        ctx.emit(Event::new("tx").attr(
            "acc_seq",
            format!("{signer}/{}", tx.auth_info.signer_infos[i].sequence),
        ));
    }
    for sig in &tx.raw.signatures {
        ctx.emit(Event::new("tx").attr(
            "signature",
            base64::engine::general_purpose::STANDARD.encode(sig),
        ));
    }
    Ok(())
}

/// Verifies signer `index` of `tx` for an account number read before execution and caches a
/// success; used to check signatures on all cores before the ante checks run one by one.
/// `stored_pubkey` (the account's key, for txs that do not carry one) is only called when the
/// signature is not cached yet.
pub fn preverify(
    tx: &DecodedTx,
    index: usize,
    account_number: u64,
    stored_pubkey: impl FnOnce() -> Option<PubKey>,
    chain_id: &str,
    cache: &SigCache,
) {
    let key = (tx.hash, index as u32, account_number);
    if index >= tx.raw.signatures.len() || cache.contains(&key) {
        return;
    }
    // `verify` rejects a key that is not a curve point, so no separate decompression here.
    let from_info = tx
        .auth_info
        .signer_infos
        .get(index)
        .and_then(|i| i.public_key.as_ref())
        .and_then(|a| signer_pubkey_bytes(a).ok());
    let Some(pk) = from_info.or_else(stored_pubkey) else {
        return;
    };
    if pk.verify(
        &tx.sign_bytes(chain_id, account_number),
        &tx.raw.signatures[index],
    ) {
        cache.insert(key);
    }
}
