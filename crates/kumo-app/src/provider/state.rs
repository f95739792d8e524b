//! provider state: one record per owner, `provider/p/<20-byte owner>` -> `Provider`.

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use kumo_crypto::Address;
use kumo_proto::akash::provider::v1beta4::Provider;
use prost::Message;

const PROVIDER_PREFIX: &[u8] = b"provider/p/";

pub fn provider_key(owner: &Address) -> Vec<u8> {
    [PROVIDER_PREFIX, owner.as_bytes()].concat()
}

pub fn providers_prefix() -> &'static [u8] {
    PROVIDER_PREFIX
}

/// Stored values were encoded by this module, so a decode failure is a corrupt store.
pub fn decode_provider(bytes: &[u8]) -> Provider {
    Provider::decode(bytes).expect("stored provider decodes")
}

/// The registered provider `owner`, if any (read without gas: market's bid checks and queries).
pub fn get(ctx: &Ctx, owner: &Address) -> Option<Provider> {
    ctx.get_free(&provider_key(owner))
        .map(|b| decode_provider(&b))
}

/// Gas-metered existence check used by the provider's own handlers.
pub fn get_metered(ctx: &mut Ctx, owner: &Address) -> SdkResult<Option<Provider>> {
    Ok(ctx.get(&provider_key(owner))?.map(|b| decode_provider(&b)))
}

pub fn set(ctx: &mut Ctx, owner: &Address, p: &Provider) -> SdkResult<()> {
    ctx.set(provider_key(owner), p.encode_to_vec())
}

/// Every provider, ascending by owner address bytes.
pub fn all(ctx: &Ctx) -> Vec<Provider> {
    ctx.prefix_free(PROVIDER_PREFIX)
        .iter()
        .map(|(_, v)| decode_provider(v))
        .collect()
}
