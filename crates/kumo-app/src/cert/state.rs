//! cert state: `cert/c/<20-byte owner><serial in decimal>` -> `Certificate`.

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::cert::v1::Certificate;
use prost::Message;

const CERT_PREFIX: &[u8] = b"cert/c/";
const ADDR_LEN: usize = 20;

pub fn cert_key(owner: &Address, serial: &str) -> Vec<u8> {
    [CERT_PREFIX, owner.as_bytes(), serial.as_bytes()].concat()
}

pub fn certs_prefix() -> &'static [u8] {
    CERT_PREFIX
}

pub fn owner_prefix(owner: &Address) -> Vec<u8> {
    [CERT_PREFIX, owner.as_bytes()].concat()
}

pub fn decode_cert(bytes: &[u8]) -> Certificate {
    Certificate::decode(bytes).expect("stored certificate decodes")
}

/// (owner bech32, serial) recovered from a key.
pub fn id_from_key(key: &[u8]) -> (String, String) {
    let ids = &key[CERT_PREFIX.len()..];
    let owner = Address::from_slice(&ids[..ADDR_LEN]).expect("20-byte owner in cert key");
    let serial = std::str::from_utf8(&ids[ADDR_LEN..]).expect("decimal serial in cert key");
    (owner.to_bech32(ACCOUNT_HRP), serial.to_string())
}

pub fn get(ctx: &mut Ctx, owner: &Address, serial: &str) -> SdkResult<Option<Certificate>> {
    Ok(ctx.get(&cert_key(owner, serial))?.map(|b| decode_cert(&b)))
}

/// Ungas'd lookup for the gateway-side check ("is (owner, serial) a valid certificate").
pub fn get_free(ctx: &Ctx, owner: &Address, serial: &str) -> Option<Certificate> {
    ctx.get_free(&cert_key(owner, serial))
        .map(|b| decode_cert(&b))
}

pub fn set(ctx: &mut Ctx, owner: &Address, serial: &str, cert: &Certificate) -> SdkResult<()> {
    ctx.set(cert_key(owner, serial), cert.encode_to_vec())
}
