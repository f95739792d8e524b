//! slashing state: `slashing/params` -> `Params` (decimals as atomics text bytes, as the SDK
//! marshals them), `slashing/info/<consaddr>` -> `ValidatorSigningInfo`,
//! `slashing/miss/<consaddr><index u64 BE>` -> [1] for each missed block of the window.

use crate::ctx::Ctx;
use crate::dec::atomics;
use crate::errors::{SdkError, SdkResult};
use cosmos_sdk_proto::cosmos::slashing::v1beta1::{Params, ValidatorSigningInfo};
use kumo_proto::math::DEC_ONE;
use prost::Message;

const PARAMS_KEY: &[u8] = b"slashing/params";
const INFO: &[u8] = b"slashing/info/";
const MISS: &[u8] = b"slashing/miss/";

/// Akash's values (spec §12.2): window 30,000, 5 % signed, 1 min jail, 5 % double-sign slash,
/// no downtime slash.
pub fn default_params() -> Params {
    Params {
        signed_blocks_window: 30_000,
        min_signed_per_window: (DEC_ONE / 20).to_string().into_bytes(),
        downtime_jail_duration: Some(cosmos_sdk_proto::tendermint::google::protobuf::Duration {
            seconds: 60,
            nanos: 0,
        }),
        slash_fraction_double_sign: (DEC_ONE / 20).to_string().into_bytes(),
        slash_fraction_downtime: b"0".to_vec(),
    }
}

/// A LegacyDec carried as atomics text bytes.
pub fn dec_bytes(b: &[u8]) -> Option<u128> {
    atomics(std::str::from_utf8(b).ok()?)
}

pub fn validate_params(p: &Params) -> SdkResult<()> {
    let bad = |w: &str| SdkError::invalid_request(format!("slashing params: {w}"));
    if p.signed_blocks_window <= 0 {
        return Err(bad("signed_blocks_window must be positive"));
    }
    for (name, v) in [
        ("min_signed_per_window", &p.min_signed_per_window),
        ("slash_fraction_double_sign", &p.slash_fraction_double_sign),
        ("slash_fraction_downtime", &p.slash_fraction_downtime),
    ] {
        if dec_bytes(v).is_none_or(|d| d > DEC_ONE) {
            return Err(bad(&format!("{name} must be a LegacyDec between 0 and 1")));
        }
    }
    match &p.downtime_jail_duration {
        Some(d) if d.seconds > 0 || d.nanos > 0 => Ok(()),
        _ => Err(bad("downtime_jail_duration must be positive")),
    }
}

pub fn params(ctx: &Ctx) -> Params {
    ctx.get_free(PARAMS_KEY)
        .map(|b| Params::decode(b.as_slice()).expect("stored slashing params"))
        .unwrap_or_else(default_params)
}

pub fn set_params(ctx: &mut Ctx, p: &Params) -> SdkResult<()> {
    ctx.set(PARAMS_KEY.to_vec(), p.encode_to_vec())
}

pub fn signing_info(ctx: &Ctx, cons: &[u8]) -> Option<ValidatorSigningInfo> {
    ctx.get_free(&[INFO, cons].concat())
        .map(|b| ValidatorSigningInfo::decode(b.as_slice()).expect("stored signing info"))
}

pub fn set_signing_info(ctx: &mut Ctx, cons: &[u8], i: &ValidatorSigningInfo) -> SdkResult<()> {
    ctx.set([INFO, cons].concat(), i.encode_to_vec())
}

pub fn signing_infos_prefix() -> &'static [u8] {
    INFO
}

pub fn missed(ctx: &Ctx, cons: &[u8], index: u64) -> bool {
    ctx.get_free(&[MISS, cons, &index.to_be_bytes()[..]].concat())
        .is_some()
}

pub fn set_missed(ctx: &mut Ctx, cons: &[u8], index: u64, missed: bool) -> SdkResult<()> {
    let key = [MISS, cons, &index.to_be_bytes()[..]].concat();
    if missed {
        ctx.set(key, vec![1])
    } else {
        ctx.delete(key)
    }
}

pub fn clear_missed(ctx: &mut Ctx, cons: &[u8]) -> SdkResult<()> {
    for (k, _) in ctx.prefix_free(&[MISS, cons].concat()) {
        ctx.delete(k)?;
    }
    Ok(())
}
