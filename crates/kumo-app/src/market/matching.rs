//! What a bid must match: the offered resources against the order's group spec
//! (`MatchGSpec`, spec §4.1) and the provider's attributes against the placement and resource
//! requirements (§4.6 steps 7-9, with `crate::attributes`).

use super::errors::*;
use crate::errors::SdkResult;
use kumo_proto::akash::base::attributes::v1::Attribute;
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use kumo_proto::akash::market::v1beta5::ResourceOffer;

/// Requirement and resource attributes: keys by the §1.1 regex (a trailing `*` allowed),
/// no duplicates (codespace `akash`).
pub fn validate_attributes(attrs: &[Attribute]) -> SdkResult<()> {
    crate::attributes::validate_keys(attrs, true)
}

/// `ResourcesOffer.MatchGSpec`: with a non-empty offer list, every offer names an existing
/// resource id of the spec with an equal count. Per-resource prices are informational.
pub fn match_gspec(offers: &[ResourceOffer], spec: &GroupSpec) -> SdkResult<()> {
    for offer in offers {
        let id = offer.resources.as_ref().map_or(0, |r| r.id);
        let unit = spec
            .resources
            .iter()
            .find(|u| u.resource.as_ref().is_some_and(|r| r.id == id));
        match unit {
            None => {
                return Err(invalid_bid(format!(
                    "resources offer names resource id {id}, which the order's group spec \
                     does not have"
                )))
            }
            Some(u) if u.count != offer.count => {
                return Err(invalid_bid(format!(
                    "resources offer for resource id {id} has count {}, the order asks for {}",
                    offer.count, u.count
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// CreateBid steps 7-9: the provider is registered (x/provider), its own and audited
/// attributes meet the placement requirements (§9 `signed_by`), and its capabilities cover
/// the storage classes and GPU models the spec asks for.
pub fn check_provider(
    ctx: &mut crate::ctx::Ctx,
    provider: kumo_crypto::Address,
    spec: &GroupSpec,
) -> SdkResult<()> {
    let p = crate::provider::state::get_metered(ctx, &provider)?.ok_or_else(|| {
        unknown_provider(format!(
            "{provider} is not a registered provider; register with MsgCreateProvider first"
        ))
    })?;
    let audits = crate::audit::state::records_for(ctx, &provider);
    let req = spec.requirements.clone().unwrap_or_default();
    if !crate::attributes::requirements_match(&req, &p.attributes, &audits) {
        return Err(attribute_mismatch(format!(
            "provider {provider} does not meet the placement requirements of group {:?} \
             (attributes or auditor signatures)",
            spec.name
        )));
    }
    if !crate::attributes::resources_match(spec, &p.attributes) {
        return Err(capabilities_mismatch(format!(
            "provider {provider} lacks the capabilities group {:?} asks for (storage class or \
             GPU model: capabilities/storage/<n>/..., capabilities/gpu/...)",
            spec.name
        )));
    }
    Ok(())
}
