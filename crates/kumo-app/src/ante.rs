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

/// A verified signature: (tx hash, signer index, account number, sign mode). The same tx bytes,
/// account number and mode give the same sign bytes, so the answer cannot differ; the mode is in
/// the key so that a DIRECT and a LEGACY_AMINO_JSON verification can never stand for each other.
pub type SigKey = ([u8; 32], u32, u64, i32);

/// The cache key of signer `index` of `tx` for `account_number`.
pub fn sig_key(tx: &DecodedTx, index: usize, account_number: u64) -> SigKey {
    let mode = tx
        .auth_info
        .signer_infos
        .get(index)
        .and_then(single_sign_mode)
        .unwrap_or(SignMode::Unspecified as i32);
    (tx.hash, index as u32, account_number, mode)
}

/// Signatures already verified. CheckTx fills it; the block re-uses it instead of verifying twice.
#[derive(Default)]
pub struct SigCache {
    verified: Mutex<HashSet<SigKey>>,
}

const SIG_CACHE_MAX: usize = 500_000;

impl SigCache {
    pub fn contains(&self, key: &SigKey) -> bool {
        self.verified.lock().expect("sig cache lock").contains(key)
    }

    pub fn insert(&self, key: SigKey) {
        let mut set = self.verified.lock().expect("sig cache lock");
        if set.len() >= SIG_CACHE_MAX {
            set.clear();
        }
        set.insert(key);
    }

    pub fn remove(&self, key: &SigKey) {
        self.verified.lock().expect("sig cache lock").remove(key);
    }
}

pub struct AnteParams<'a> {
    pub min_gas_prices: &'a [GasPrice],
    pub sig_cache: &'a SigCache,
}

/// The sign modes a single signer may use.
const SUPPORTED_SIGN_MODES: &str = "SIGN_MODE_DIRECT or SIGN_MODE_LEGACY_AMINO_JSON";

/// The mode of a single signer's `mode_info` (`None` for a multisig or a missing mode_info).
fn single_sign_mode(info: &cosmos_sdk_proto::cosmos::tx::v1beta1::SignerInfo) -> Option<i32> {
    match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Single(s)) => Some(s.mode),
        _ => None,
    }
}

/// The bytes signer `index` of `tx` signed in `mode`: SIGN_MODE_DIRECT's SignDoc, or
/// LEGACY_AMINO_JSON's StdSignDoc (kumo_proto::amino, the x/tx rules). The signature is checked
/// over their sha256 either way.
pub fn signer_sign_bytes(
    tx: &DecodedTx,
    index: usize,
    mode: i32,
    chain_id: &str,
    account_number: u64,
) -> SdkResult<Vec<u8>> {
    if mode == SignMode::Direct as i32 {
        return Ok(tx.sign_bytes(chain_id, account_number));
    }
    if mode != SignMode::LegacyAminoJson as i32 {
        return Err(SdkError::unauthorized(format!(
            "sign mode {} is not supported; sign with {SUPPORTED_SIGN_MODES}",
            SignMode::try_from(mode)
                .map(|m| m.as_str_name())
                .unwrap_or("unknown")
        )));
    }
    // The amino sign doc does not cover extension options, so a tx carrying them cannot be
    // signed this way (the SDK refuses them too).
    if !tx.body.extension_options.is_empty() || !tx.body.non_critical_extension_options.is_empty() {
        return Err(SdkError::unauthorized(
            "SIGN_MODE_LEGACY_AMINO_JSON does not support extension options",
        ));
    }
    let sequence = tx
        .auth_info
        .signer_infos
        .get(index)
        .map(|i| i.sequence)
        .unwrap_or_default();
    kumo_proto::amino::sign_doc_bytes(
        chain_id,
        account_number,
        sequence,
        tx.body.timeout_height,
        &tx.body.memo,
        &tx.auth_info.fee.clone().unwrap_or_default(),
        &tx.body.messages,
    )
    .map_err(|e| SdkError::unauthorized(format!("cannot build the amino-JSON sign doc: {e}")))
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
    // A fee granter pays from its balance when its allowance for the payer covers the fee.
    let deduct_from = if fee.granter.is_empty() {
        fee_payer
    } else {
        let granter = auth::parse_address("fee granter", &fee.granter)?;
        if granter != fee_payer {
            let urls: Vec<&str> = tx.msgs.iter().map(|m| m.type_url()).collect();
            crate::feegrant::state::use_granted_fees(ctx, &granter, &fee_payer, &fee_coins, &urls)
                .map_err(|e| crate::feegrant::errors::does_not_allow(granter, fee_payer, e))?;
        }
        granter
    };
    if auth::get_account(ctx, &deduct_from)?.is_none() {
        return Err(SdkError::unknown_address(format!(
            "fee payer address: {deduct_from} does not exist"
        )));
    }
    let collector = auth::module_address(auth::FEE_COLLECTOR);
    if !fee_coins.is_empty() {
        bank::send(ctx, &deduct_from, &collector, &fee_coins)?;
    } else if simulate {
        // Clients simulate with an empty fee, then pay one: charge the gas of that payment
        // here (on scratch state) so the estimate covers it.
        if let Some(denom) = p.min_gas_prices.first().map(|g| g.denom.clone()) {
            let unit = [crate::coins::Coin::new(denom, 1)];
            // An unfunded payer fails for real on broadcast; the estimate stays as is.
            let _ = bank::send(ctx, &deduct_from, &collector, &unit);
        }
    }
    ctx.emit(
        Event::new("tx")
            .attr("fee", coins_to_string(&fee_coins))
            .attr("fee_payer", deduct_from.to_string()),
    );

    // SetPubKey, SigGasConsume, SigVerification, IncrementSequence, per signer.
    let mut accounts: Vec<Account> = Vec::with_capacity(signers.len());
    for (i, signer) in signers.iter().enumerate() {
        let info = &tx.auth_info.signer_infos[i];
        let mut acc = auth::get_account(ctx, signer)?
            .ok_or_else(|| SdkError::unknown_address(format!("account {signer} does not exist")))?;
        if auth::multisig::is_multisig_signer(info, &acc) {
            auth::multisig::ante_signer(ctx, tx, i, signer, &mut acc, &params, simulate)?;
            accounts.push(acc);
            continue;
        }
        // A signature CheckTx (or the block's parallel pre-check) already verified for these
        // exact tx bytes and account number needs neither the key decompressed nor a check.
        let sig_key = sig_key(tx, i, acc.base().account_number);
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
                    return Err(SdkError::unauthorized(format!(
                        "signer {i} has mode_info.multi but not a {} public key",
                        auth::multisig::MULTISIG_PUBKEY_URL
                    )));
                }
                None => {
                    return Err(SdkError::unauthorized(format!(
                        "signer {i} has no mode_info; sign with {SUPPORTED_SIGN_MODES}"
                    )))
                }
            };
            if !verified {
                let pk = pubkey.expect("checked above outside simulation");
                let sign_bytes =
                    signer_sign_bytes(tx, i, mode, &ctx.block.chain_id, base.account_number)?;
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
    let Some(mode) = tx
        .auth_info
        .signer_infos
        .get(index)
        .and_then(single_sign_mode)
    else {
        return;
    };
    let key = sig_key(tx, index, account_number);
    if index >= tx.raw.signatures.len() || cache.contains(&key) {
        return;
    }
    let Ok(sign_bytes) = signer_sign_bytes(tx, index, mode, chain_id, account_number) else {
        return;
    };
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
    if pk.verify(&sign_bytes, &tx.raw.signatures[index]) {
        cache.insert(key);
    }
}

#[cfg(test)]
#[path = "ante_amino_tests.rs"]
mod amino_tests;
