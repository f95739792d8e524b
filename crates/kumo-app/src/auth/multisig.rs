//! Multisig signers in the ante handler: a SignerInfo whose public key is a
//! `/cosmos.crypto.multisig.LegacyAminoPubKey` (threshold + secp256k1 member keys), whose
//! `mode_info.multi` holds a CompactBitArray of the members that signed and one mode per
//! signature, and whose signature is a `MultiSignature` (one 64-byte signature per set bit, in
//! member order).
//!
//! Each member signs the same sign doc as a single signer would (account number and sequence of
//! the multisig account), normally LEGACY_AMINO_JSON, the SDK CLI's mode for multisig members,
//! because its sign doc does not depend on the other members' signer infos. Signature gas is
//! charged per member signature, as the SDK's `ConsumeMultisignatureVerificationGas` does.

use crate::auth::{self, Account};
use crate::ctx::Ctx;
use crate::errors::{SdkError, SdkResult};
use crate::tx::DecodedTx;
use cosmos_sdk_proto::cosmos::auth::v1beta1::Params;
use cosmos_sdk_proto::cosmos::crypto::multisig::v1beta1::{CompactBitArray, MultiSignature};
use cosmos_sdk_proto::cosmos::crypto::multisig::LegacyAminoPubKey;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as ProtoPubKey;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, SignerInfo};
use cosmos_sdk_proto::Any;
use kumo_crypto::{Address, MultisigPubKey, PubKey};
use prost::Message;

pub const MULTISIG_PUBKEY_URL: &str = "/cosmos.crypto.multisig.LegacyAminoPubKey";

/// `Any(/cosmos.crypto.multisig.LegacyAminoPubKey)` of a multisig key.
pub fn multisig_any(m: &MultisigPubKey) -> Any {
    let msg = LegacyAminoPubKey {
        threshold: m.threshold(),
        public_keys: m.keys().iter().map(auth::pubkey_any).collect(),
    };
    Any {
        type_url: MULTISIG_PUBKEY_URL.into(),
        value: msg.encode_to_vec(),
    }
}

/// Reads a LegacyAminoPubKey `Any`, keeping its member order (the order is part of the key).
pub fn multisig_from_any(any: &Any) -> SdkResult<MultisigPubKey> {
    if any.type_url != MULTISIG_PUBKEY_URL {
        return Err(SdkError::invalid_pubkey(format!(
            "expected a {MULTISIG_PUBKEY_URL}, got {}",
            any.type_url
        )));
    }
    let msg = LegacyAminoPubKey::decode(any.value.as_slice())
        .map_err(|e| SdkError::invalid_pubkey(format!("cannot decode multisig public key: {e}")))?;
    let keys = msg
        .public_keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            if k.type_url != auth::SECP256K1_PUBKEY_URL {
                return Err(SdkError::invalid_pubkey(format!(
                    "multisig member {i} has key type {}; only {} members are supported",
                    k.type_url,
                    auth::SECP256K1_PUBKEY_URL
                )));
            }
            let pk = ProtoPubKey::decode(k.value.as_slice()).map_err(|e| {
                SdkError::invalid_pubkey(format!("cannot decode multisig member {i}: {e}"))
            })?;
            PubKey::from_bytes(&pk.key).map_err(|e| {
                SdkError::invalid_pubkey(format!("multisig member {i}: bad secp256k1 key: {e}"))
            })
        })
        .collect::<SdkResult<Vec<_>>>()?;
    MultisigPubKey::new(msg.threshold, keys, false)
        .map_err(|e| SdkError::invalid_pubkey(e.to_string()))
}

/// Whether signer `info` (for account `acc`) signs as a multisig: its public key, or the key
/// stored on the account when the tx carries none, is a LegacyAminoPubKey, or its mode info is
/// `multi`.
pub fn is_multisig_signer(info: &SignerInfo, acc: &Account) -> bool {
    let key_url = info
        .public_key
        .as_ref()
        .or(acc.base().pub_key.as_ref())
        .map(|a| a.type_url.as_str());
    key_url == Some(MULTISIG_PUBKEY_URL)
        || matches!(
            info.mode_info.as_ref().and_then(|m| m.sum.as_ref()),
            Some(mode_info::Sum::Multi(_))
        )
}

/// Number of bits a CompactBitArray holds.
fn bit_count(b: &CompactBitArray) -> usize {
    match (b.elems.len(), b.extra_bits_stored) {
        (0, _) => 0,
        (n, 0) => n * 8,
        (n, extra) => (n - 1) * 8 + extra as usize,
    }
}

/// Bit `i`, most significant bit of each byte first (the SDK's CompactBitArray layout).
fn bit_set(b: &CompactBitArray, i: usize) -> bool {
    b.elems
        .get(i / 8)
        .is_some_and(|byte| byte & (1 << (7 - (i % 8))) != 0)
}

/// A bit array of `n` bits with the given ones set, as the SDK builds it.
pub fn bit_array(n: usize, set: &[usize]) -> CompactBitArray {
    let mut elems = vec![0u8; n.div_ceil(8)];
    for &i in set {
        elems[i / 8] |= 1 << (7 - (i % 8));
    }
    CompactBitArray {
        extra_bits_stored: (n % 8) as u32,
        elems,
    }
}

/// The ante steps for multisig signer `index` of `tx`: set the public key on the account, check
/// the sequence, charge signature gas, verify the member signatures (outside simulation) and
/// increment the sequence. The account is written back.
pub fn ante_signer(
    ctx: &mut Ctx,
    tx: &DecodedTx,
    index: usize,
    signer: &Address,
    acc: &mut Account,
    params: &Params,
    simulate: bool,
) -> SdkResult<()> {
    let info = &tx.auth_info.signer_infos[index];
    let key_any = match (&info.public_key, &acc.base().pub_key) {
        (Some(any), _) => Some(any.clone()),
        (None, Some(stored)) => Some(stored.clone()),
        (None, None) if simulate => None,
        (None, None) => return Err(SdkError::invalid_pubkey("pubkey on account is not set")),
    };
    let multisig = match &key_any {
        Some(any) => {
            let m = multisig_from_any(any)?;
            if m.address() != *signer {
                return Err(SdkError::invalid_pubkey(format!(
                    "pubKey does not match signer address {signer} with signer index: {index}"
                )));
            }
            if m.keys().len() as u64 > params.tx_sig_limit {
                return Err(SdkError::too_many_signatures(format!(
                    "signatures: {}, limit: {}",
                    m.keys().len(),
                    params.tx_sig_limit
                )));
            }
            if acc.base().pub_key.is_none() {
                acc.base_mut().pub_key = Some(any.clone());
            }
            Some(m)
        }
        None => None,
    };

    let base = acc.base().clone();
    if info.sequence != base.sequence {
        return Err(SdkError::wrong_sequence(format!(
            "account sequence mismatch, expected {}, got {}",
            base.sequence, info.sequence
        )));
    }

    let multi = match info.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(mode_info::Sum::Multi(m)) => Some(m),
        _ => None,
    };
    if simulate {
        // Estimate as if every member signed: the real tx cannot cost more signature gas.
        let members = multisig
            .as_ref()
            .map(|m| m.keys().len())
            .or(multi.map(|m| m.mode_infos.len()))
            .unwrap_or(1);
        for _ in 0..members {
            ctx.gas.consume(
                params.sig_verify_cost_secp256k1,
                "secp256k1 signature verification",
            )?;
        }
    } else {
        let multisig = multisig.expect("a key is required outside simulation");
        let multi = multi.ok_or_else(|| {
            SdkError::unauthorized(format!(
                "signer {index} has a multisig public key but no mode_info.multi"
            ))
        })?;
        verify(ctx, tx, index, &multisig, multi, &base, params)?;
    }

    acc.base_mut().sequence += 1;
    auth::set_account(ctx, signer, acc)
}

fn verify(
    ctx: &mut Ctx,
    tx: &DecodedTx,
    index: usize,
    multisig: &MultisigPubKey,
    multi: &mode_info::Multi,
    base: &cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount,
    params: &Params,
) -> SdkResult<()> {
    let n = multisig.keys().len();
    let threshold = multisig.threshold();
    let bits = multi
        .bitarray
        .as_ref()
        .ok_or_else(|| SdkError::unauthorized("multisig: mode_info.multi has no bit array"))?;
    if bits.extra_bits_stored >= 8 || bit_count(bits) != n {
        return Err(SdkError::unauthorized(format!(
            "multisig: the bit array has {} bits, the key has {n} members",
            if bits.extra_bits_stored >= 8 {
                "an invalid number of".to_string()
            } else {
                bit_count(bits).to_string()
            }
        )));
    }
    let sig = MultiSignature::decode(tx.raw.signatures[index].as_slice()).map_err(|e| {
        SdkError::unauthorized(format!(
            "multisig: signature {index} is not a MultiSignature: {e}"
        ))
    })?;
    let signed: Vec<usize> = (0..n).filter(|&i| bit_set(bits, i)).collect();
    if signed.len() != sig.signatures.len() {
        return Err(SdkError::unauthorized(format!(
            "multisig: the bit array marks {} members but {} signatures were given",
            signed.len(),
            sig.signatures.len()
        )));
    }
    if multi.mode_infos.len() != sig.signatures.len() {
        return Err(SdkError::unauthorized(format!(
            "multisig: {} mode infos for {} signatures",
            multi.mode_infos.len(),
            sig.signatures.len()
        )));
    }
    if (signed.len() as u64) < u64::from(threshold) {
        return Err(SdkError::unauthorized(format!(
            "multisig: {} of {n} signatures, threshold {threshold}",
            signed.len()
        )));
    }
    // Members usually all sign the same mode: build each mode's sign bytes once.
    let mut sign_bytes: Vec<(i32, Vec<u8>)> = Vec::new();
    for (j, &member) in signed.iter().enumerate() {
        ctx.gas.consume(
            params.sig_verify_cost_secp256k1,
            "secp256k1 signature verification",
        )?;
        let mode = match multi.mode_infos[j].sum.as_ref() {
            Some(mode_info::Sum::Single(s)) => s.mode,
            Some(mode_info::Sum::Multi(_)) => {
                return Err(SdkError::unauthorized(
                    "multisig: nested multisig members are not supported",
                ))
            }
            None => {
                return Err(SdkError::unauthorized(format!(
                    "multisig: mode info {j} is empty"
                )))
            }
        };
        if !sign_bytes.iter().any(|(m, _)| *m == mode) {
            let bytes = crate::ante::signer_sign_bytes(
                tx,
                index,
                mode,
                &ctx.block.chain_id,
                base.account_number,
            )?;
            sign_bytes.push((mode, bytes));
        }
        let bytes = &sign_bytes
            .iter()
            .find(|(m, _)| *m == mode)
            .expect("built above")
            .1;
        let key = &multisig.keys()[member];
        if !key.verify(bytes, &sig.signatures[j]) {
            return Err(SdkError::unauthorized(format!(
                "signature verification failed; please verify account number ({}) and chain-id \
                 ({}): multisig member {member} ({}) did not sign this tx",
                base.account_number,
                ctx.block.chain_id,
                key.address()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "multisig_tests.rs"]
mod tests;
