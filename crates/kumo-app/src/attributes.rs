//! Attribute validation for the chain's messages (akash-chain.md §1.1): the SDK errors for bad
//! or repeated keys, and attributes in genesis JSON. The key rule and the matching rules
//! themselves are `kumo_akash::attributes`, shared with the provider's bid engine, and are
//! re-exported here.

use crate::errors::SdkResult;
use kumo_proto::akash::base::attributes::v1::Attribute;
use std::collections::BTreeSet;

pub use kumo_akash::attributes::{
    any_of, attribute_matches, capabilities_groups, capabilities_map, glob_match, key_is_valid,
    requirements_match, resources_match, subset_of, BadPattern,
};

/// Codespace of the attribute errors (`chain-sdk:go/node/types/attributes/v1`).
pub const CODESPACE: &str = "akash";

crate::errors::module_errors! { CODESPACE;
    err_duplicate_keys = 1, "attributes cannot have duplicate keys";
    err_invalid_key = 2, "attribute key does not match regexp";
}

/// Checks every key against the regex of §1.1 and rejects duplicate keys (codespace "akash").
pub fn validate_keys(attrs: &[Attribute], allow_wildcard: bool) -> SdkResult<()> {
    let mut seen = BTreeSet::new();
    for a in attrs {
        if !key_is_valid(&a.key, allow_wildcard) {
            let rule = if allow_wildcard {
                r"^([a-zA-Z][\w\/\.\-]{1,126}[\w\*]?)$"
            } else {
                r"^([a-zA-Z][\w\/\.\-]{1,126})$"
            };
            return Err(err_invalid_key(format!(
                "attribute key {:?} is invalid: keys start with a letter, then 1 to 126 of \
                 letters, digits, '_', '/', '.', '-' (rule {rule})",
                a.key
            )));
        }
        if !seen.insert(a.key.as_str()) {
            return Err(err_duplicate_keys(format!(
                "attribute key {:?} is given more than once",
                a.key
            )));
        }
    }
    Ok(())
}

/// An attribute in genesis JSON (`{"key": ..., "value": ...}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttributeJson {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

impl From<&AttributeJson> for Attribute {
    fn from(a: &AttributeJson) -> Attribute {
        Attribute {
            key: a.key.clone(),
            value: a.value.clone(),
        }
    }
}

impl From<&Attribute> for AttributeJson {
    fn from(a: &Attribute) -> AttributeJson {
        AttributeJson {
            key: a.key.clone(),
            value: a.value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(k: &str, v: &str) -> Attribute {
        Attribute {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn validate_keys_codes() {
        assert!(validate_keys(&[attr("region", "x"), attr("tier", "y")], false).is_ok());
        let dup = validate_keys(&[attr("region", "x"), attr("region", "y")], false).unwrap_err();
        assert_eq!((dup.codespace, dup.code), ("akash", 1));
        let bad = validate_keys(&[attr("9lives", "x")], false).unwrap_err();
        assert_eq!((bad.codespace, bad.code), ("akash", 2));
        assert!(bad.log.contains("9lives"));
        let wild = validate_keys(&[attr("region*", "x")], false).unwrap_err();
        assert_eq!(wild.code, 2);
        assert!(validate_keys(&[attr("region*", "x")], true).is_ok());
    }
}
