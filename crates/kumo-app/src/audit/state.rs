//! audit state: one record per (provider, auditor),
//! `audit/a/<20-byte provider><20-byte auditor>` -> `AuditedAttributesStore` (attributes
//! sorted by key). Keying by provider first makes "all audits of a provider" one prefix scan,
//! which is what the market's bid check needs.

use crate::ctx::Ctx;
use crate::errors::SdkResult;
use kumo_crypto::{Address, ACCOUNT_HRP};
use kumo_proto::akash::audit::v1::{AuditedAttributesStore, AuditedProvider};
use kumo_proto::akash::base::attributes::v1::Attribute;
use prost::Message;

const AUDIT_PREFIX: &[u8] = b"audit/a/";
const ADDR_LEN: usize = 20;

pub fn audit_key(owner: &Address, auditor: &Address) -> Vec<u8> {
    [AUDIT_PREFIX, owner.as_bytes(), auditor.as_bytes()].concat()
}

pub fn provider_prefix(owner: &Address) -> Vec<u8> {
    [AUDIT_PREFIX, owner.as_bytes()].concat()
}

pub fn audits_prefix() -> &'static [u8] {
    AUDIT_PREFIX
}

/// Rebuilds the record from its key (owner, auditor) and stored attributes.
pub fn record_from_entry(key: &[u8], value: &[u8]) -> AuditedProvider {
    let ids = &key[AUDIT_PREFIX.len()..];
    let owner = Address::from_slice(&ids[..ADDR_LEN]).expect("20-byte owner in audit key");
    let auditor = Address::from_slice(&ids[ADDR_LEN..]).expect("20-byte auditor in audit key");
    let stored = AuditedAttributesStore::decode(value).expect("stored audit record decodes");
    AuditedProvider {
        owner: owner.to_bech32(ACCOUNT_HRP),
        auditor: auditor.to_bech32(ACCOUNT_HRP),
        attributes: stored.attributes,
    }
}

/// Every auditor's record for `provider`, ascending by auditor address bytes.
pub fn records_for(ctx: &Ctx, provider: &Address) -> Vec<AuditedProvider> {
    ctx.prefix_free(&provider_prefix(provider))
        .iter()
        .map(|(k, v)| record_from_entry(k, v))
        .collect()
}

/// One auditor's attributes for one provider (gas-metered: handlers).
pub fn get_attributes(
    ctx: &mut Ctx,
    owner: &Address,
    auditor: &Address,
) -> SdkResult<Option<Vec<Attribute>>> {
    Ok(ctx.get(&audit_key(owner, auditor))?.map(|b| {
        AuditedAttributesStore::decode(b.as_slice())
            .expect("stored audit record decodes")
            .attributes
    }))
}

/// Stores the record with its attributes sorted by key; an empty list deletes it.
pub fn set_attributes(
    ctx: &mut Ctx,
    owner: &Address,
    auditor: &Address,
    mut attributes: Vec<Attribute>,
) -> SdkResult<()> {
    let key = audit_key(owner, auditor);
    if attributes.is_empty() {
        return ctx.delete(key);
    }
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    ctx.set(key, AuditedAttributesStore { attributes }.encode_to_vec())
}
