//! Attribute rules of Akash (akash-chain.md §1.1, §4.6 step 9, §9), one definition for the
//! chain (kumo-app: provider, audit, deployment and market messages) and the provider's bid
//! engine, so both decide alike whether a provider fits an order.
//!
//! Matching is a glob on the key (Go's `filepath.Match`, written here in [`glob_match`]) plus
//! an exact value: a tenant asks for `region=us-west` or `capabilities/gpu/vendor/nvidia/model/*`,
//! a provider (or an auditor) declares concrete keys.

use kumo_proto::akash::audit::v1::AuditedProvider;
use kumo_proto::akash::base::attributes::v1::{Attribute, PlacementRequirements};
use kumo_proto::akash::deployment::v1beta4::GroupSpec;
use std::collections::BTreeMap;

/// Longest key the regex allows (1 letter + 126 + an optional last character).
const MAX_KEY_LEN: usize = 128;

/// Go's `\w` plus the three punctuation marks keys may contain inside.
fn is_key_body(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-')
}

/// `^([a-zA-Z][\w\/\.\-]{1,126}[\w\*]?)$` (`allow_wildcard`) or `^([a-zA-Z][\w\/\.\-]{1,126})$`.
pub fn key_is_valid(key: &str, allow_wildcard: bool) -> bool {
    let chars: Vec<char> = key.chars().collect();
    let Some((first, rest)) = chars.split_first() else {
        return false;
    };
    if !first.is_ascii_alphabetic() {
        return false;
    }
    let body = match rest.last() {
        // The optional last character: `*`, or a `\w` (already allowed in the body, so only the
        // length limit changes).
        Some('*') if allow_wildcard => &rest[..rest.len() - 1],
        Some(c)
            if allow_wildcard && (c.is_ascii_alphanumeric() || *c == '_') && rest.len() == 127 =>
        {
            &rest[..126]
        }
        _ => rest,
    };
    (1..=126).contains(&body.len())
        && body.iter().all(|c| is_key_body(*c))
        && chars.len() <= MAX_KEY_LEN
}

/// A malformed glob pattern (Go's `filepath.ErrBadPattern`); matching treats it as no match.
#[derive(Debug, PartialEq, Eq)]
pub struct BadPattern;

/// Go's `filepath.Match` on Unix: `*` any run of non-`/` characters, `?` one non-`/`
/// character, `[...]` a class (`^` negates, `a-z` ranges, `\` escapes), `\c` the character c.
/// Like Go it matches chunk by chunk (a chunk is what follows a run of stars), taking the
/// leftmost place each chunk fits; a character class may match `/`.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern: Vec<char> = pattern.chars().collect();
    let mut name: Vec<char> = name.chars().collect();
    'chunks: while !pattern.is_empty() {
        let (star, chunk, rest) = split_chunk(&pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star takes the rest of the name, unless that crosses a separator.
            return Ok(!name.contains(&'/'));
        }
        // The chunk at the current position; when this is the last chunk it must end the name.
        match match_chunk(&chunk, &name)? {
            Some(left) if left.is_empty() || !pattern.is_empty() => {
                name = left.to_vec();
                continue;
            }
            _ => {}
        }
        if star {
            // Let the star eat 1, 2, ... characters, never a separator.
            let mut i = 0;
            while i < name.len() && name[i] != '/' {
                if let Some(left) = match_chunk(&chunk, &name[i + 1..])? {
                    if pattern.is_empty() && !left.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = left.to_vec();
                    continue 'chunks;
                }
                i += 1;
            }
        }
        // No match: a malformed rest of the pattern would be an error in Go; both are "false".
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off the leading stars and the chunk up to the next star outside a class.
fn split_chunk(pattern: &[char]) -> (bool, Vec<char>, Vec<char>) {
    let stars = pattern.iter().take_while(|c| **c == '*').count();
    let p = &pattern[stars..];
    let mut in_class = false;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 < p.len() => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    (stars > 0, p[..i].to_vec(), p[i..].to_vec())
}

/// Matches one star-free chunk at the start of `s`; `Some(rest of s)` on a match. Like Go it
/// parses the whole chunk even after a mismatch, so malformed classes are always reported.
fn match_chunk<'s>(chunk: &[char], mut s: &'s [char]) -> Result<Option<&'s [char]>, BadPattern> {
    let mut failed = false;
    let mut c = chunk;
    while let Some(&head) = c.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match head {
            '[' => {
                let r = if failed { None } else { Some(s[0]) };
                if !failed {
                    s = &s[1..];
                }
                c = &c[1..];
                let negated = c.first() == Some(&'^');
                if negated {
                    c = &c[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if c.first() == Some(&']') && ranges > 0 {
                        c = &c[1..];
                        break;
                    }
                    let (lo, after) = class_char(c)?;
                    c = after;
                    let mut hi = lo;
                    if c.first() == Some(&'-') {
                        let (h, after) = class_char(&c[1..])?;
                        hi = h;
                        c = after;
                    }
                    if let Some(r) = r {
                        if lo <= r && r <= hi {
                            matched = true;
                        }
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    if s[0] == '/' {
                        failed = true;
                    }
                    s = &s[1..];
                }
                c = &c[1..];
            }
            _ => {
                let lit = if head == '\\' {
                    c = &c[1..];
                    *c.first().ok_or(BadPattern)?
                } else {
                    head
                };
                if !failed {
                    if lit != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                c = &c[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// One character of a class (possibly `\`-escaped); `-` and `]` may not start a range bound,
/// and a class must be closed.
fn class_char(c: &[char]) -> Result<(char, &[char]), BadPattern> {
    let c = match c.first() {
        None | Some('-') | Some(']') => return Err(BadPattern),
        Some('\\') => &c[1..],
        Some(_) => c,
    };
    let (&ch, rest) = c.split_first().ok_or(BadPattern)?;
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((ch, rest))
}

/// `Attribute.SubsetOf`: the required key, a glob, matches the offered key and the values are equal.
pub fn attribute_matches(required: &Attribute, have: &Attribute) -> bool {
    required.value == have.value && glob_match(&required.key, &have.key) == Ok(true)
}

/// `AttributesSubsetOf`: every required attribute matches some attribute in `have`.
pub fn subset_of(required: &[Attribute], have: &[Attribute]) -> bool {
    required
        .iter()
        .all(|r| have.iter().any(|h| attribute_matches(r, h)))
}

/// `AnyOf`: at least one attribute of `a` matches something in `b`.
pub fn any_of(a: &[Attribute], b: &[Attribute]) -> bool {
    a.iter().any(|r| b.iter().any(|h| attribute_matches(r, h)))
}

/// §9 `MatchRequirements`. With `signed_by` set, only audit records count: every `all_of`
/// auditor and (if given) one `any_of` auditor must have signed attributes covering
/// `req.attributes`. Without it, the provider's own attributes must cover them.
pub fn requirements_match(
    req: &PlacementRequirements,
    provider_attrs: &[Attribute],
    audits: &[AuditedProvider],
) -> bool {
    let (all_of, any_of_list) = req
        .signed_by
        .as_ref()
        .map_or((&[][..], &[][..]), |s| (&s.all_of[..], &s.any_of[..]));
    if all_of.is_empty() && any_of_list.is_empty() {
        return subset_of(&req.attributes, provider_attrs);
    }
    if audits.is_empty() {
        return false;
    }
    let signed_by = |auditor: &String| {
        audits
            .iter()
            .any(|a| &a.auditor == auditor && subset_of(&req.attributes, &a.attributes))
    };
    all_of.iter().all(signed_by) && (any_of_list.is_empty() || any_of_list.iter().any(signed_by))
}

/// `GetCapabilitiesGroup(class)`: `capabilities/<class>/<n>/<key>` entries grouped by `<n>`,
/// each group holding `{<key>, value}`; keys with more or fewer levels are ignored.
pub fn capabilities_groups(attrs: &[Attribute], class: &str) -> Vec<Vec<Attribute>> {
    let prefix = format!("capabilities/{class}/");
    let mut groups: BTreeMap<&str, Vec<Attribute>> = BTreeMap::new();
    for a in attrs {
        let Some(rest) = a.key.strip_prefix(&prefix) else {
            continue;
        };
        let mut parts = rest.split('/');
        if let (Some(n), Some(key), None) = (parts.next(), parts.next(), parts.next()) {
            groups.entry(n).or_default().push(Attribute {
                key: key.to_string(),
                value: a.value.clone(),
            });
        }
    }
    groups.into_values().collect()
}

/// `GetCapabilitiesMap(class)`: every `capabilities/<class>/...` attribute with the prefix
/// stripped, e.g. `vendor/nvidia/model/a100/ram/80Gi`.
pub fn capabilities_map(attrs: &[Attribute], class: &str) -> Vec<Attribute> {
    let prefix = format!("capabilities/{class}/");
    attrs
        .iter()
        .filter_map(|a| {
            a.key.strip_prefix(&prefix).map(|k| Attribute {
                key: k.to_string(),
                value: a.value.clone(),
            })
        })
        .collect()
}

/// §4.6 step 9 `MatchResourcesRequirements`: each storage volume with attributes fits inside
/// one of the provider's `capabilities/storage/<n>` groups, and each unit asking for GPUs with
/// attributes has one of them glob-match a `capabilities/gpu/...` entry.
pub fn resources_match(spec: &GroupSpec, provider_attrs: &[Attribute]) -> bool {
    let storage_groups = capabilities_groups(provider_attrs, "storage");
    let gpu_caps = capabilities_map(provider_attrs, "gpu");
    spec.resources.iter().all(|unit| {
        let Some(res) = unit.resource.as_ref() else {
            return true;
        };
        let storage_ok = res.storage.iter().all(|s| {
            s.attributes.is_empty() || storage_groups.iter().any(|g| subset_of(&s.attributes, g))
        });
        let gpu_ok = match &res.gpu {
            Some(gpu) if gpu_units(gpu) > 0 && !gpu.attributes.is_empty() => {
                any_of(&gpu.attributes, &gpu_caps)
            }
            _ => true,
        };
        storage_ok && gpu_ok
    })
}

/// GPU units from the `math.Int` decimal-string bytes; unreadable counts as zero units (the
/// deployment's own validation rejects them before a bid can be placed).
fn gpu_units(gpu: &kumo_proto::akash::base::resources::v1beta4::Gpu) -> u128 {
    gpu.units
        .as_ref()
        .and_then(|u| std::str::from_utf8(&u.val).ok())
        .and_then(|s| s.parse::<u128>().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kumo_proto::akash::base::attributes::v1::SignedBy;
    use kumo_proto::akash::base::resources::v1beta4::{Gpu, ResourceValue, Resources, Storage};
    use kumo_proto::akash::deployment::v1beta4::ResourceUnit;

    fn attr(k: &str, v: &str) -> Attribute {
        Attribute {
            key: k.into(),
            value: v.into(),
        }
    }

    fn m(p: &str, n: &str) -> Result<bool, BadPattern> {
        glob_match(p, n)
    }

    #[test]
    fn glob_literals_stars_and_questions() {
        assert_eq!(m("abc", "abc"), Ok(true));
        assert_eq!(m("abc", "abd"), Ok(false));
        assert_eq!(m("abc", "abcd"), Ok(false));
        assert_eq!(m("*", "abc"), Ok(true));
        assert_eq!(m("*", ""), Ok(true));
        assert_eq!(m("a*", "a"), Ok(true));
        assert_eq!(m("a*c", "abbbc"), Ok(true));
        assert_eq!(m("a*c", "abbbcd"), Ok(false));
        assert_eq!(m("a*b*c", "axxbyyc"), Ok(true));
        assert_eq!(m("a*b*c", "axxbyyb"), Ok(false));
        assert_eq!(m("a**c", "abc"), Ok(true));
        assert_eq!(m("*c", "abcbc"), Ok(true)); // the star retries after an early "c"
        assert_eq!(m("a?c", "abc"), Ok(true));
        assert_eq!(m("a?c", "ac"), Ok(false));
        assert_eq!(m("?", ""), Ok(false));
    }

    #[test]
    fn glob_star_and_question_do_not_cross_slash() {
        assert_eq!(m("a*", "a/b"), Ok(false));
        assert_eq!(m("a/*", "a/b"), Ok(true));
        assert_eq!(m("*/b", "a/b"), Ok(true));
        assert_eq!(m("a*b", "a/b"), Ok(false));
        assert_eq!(m("a?b", "a/b"), Ok(false));
        assert_eq!(
            m("vendor/nvidia/model/*", "vendor/nvidia/model/a100"),
            Ok(true)
        );
        assert_eq!(
            m("vendor/nvidia/model/*", "vendor/nvidia/model/a100/ram/80Gi"),
            Ok(false)
        );
        assert_eq!(
            m("vendor/*/model/a100", "vendor/nvidia/model/a100"),
            Ok(true)
        );
    }

    #[test]
    fn glob_classes_and_escapes() {
        assert_eq!(m("[abc]", "b"), Ok(true));
        assert_eq!(m("[abc]", "d"), Ok(false));
        assert_eq!(m("[a-c]x", "bx"), Ok(true));
        assert_eq!(m("[^a-c]", "d"), Ok(true));
        assert_eq!(m("[^a-c]", "b"), Ok(false));
        assert_eq!(m("[a-cx-z]", "y"), Ok(true));
        assert_eq!(m("[\\]]", "]"), Ok(true));
        assert_eq!(m("[\\-]", "-"), Ok(true));
        assert_eq!(m("a\\*b", "a*b"), Ok(true));
        assert_eq!(m("a\\*b", "axb"), Ok(false));
        assert_eq!(m("\\?", "?"), Ok(true));
        // Go's classes do not exclude the separator.
        assert_eq!(m("a[^x]b", "a/b"), Ok(true));
        assert_eq!(m("[a-z]", ""), Ok(false));
        assert_eq!(m("a*[x]", "abx"), Ok(true));
    }

    #[test]
    fn glob_malformed_patterns() {
        assert_eq!(m("[", "a"), Err(BadPattern));
        assert_eq!(m("[]", "a"), Err(BadPattern));
        assert_eq!(m("[]a]", "]"), Err(BadPattern));
        assert_eq!(m("[-a]", "a"), Err(BadPattern));
        assert_eq!(m("[a-]", "a"), Err(BadPattern));
        assert_eq!(m("[a", "a"), Err(BadPattern));
        assert_eq!(m("a\\", "a"), Err(BadPattern));
        // A bad class is reported even when the name already failed to match.
        assert_eq!(m("x[", "a"), Err(BadPattern));
        // ... and a malformed pattern never matches.
        assert!(!attribute_matches(&attr("[", "v"), &attr("[", "v")));
    }

    #[test]
    fn key_regex() {
        for ok in [
            "region",
            "ab",
            "capabilities/gpu/vendor/nvidia/model/a100",
            "a.b-c_d",
        ] {
            assert!(key_is_valid(ok, false), "{ok}");
            assert!(key_is_valid(ok, true), "{ok}");
        }
        for bad in [
            "", "a", "1region", "_x", "reg ion", "reg:ion", "région", "a*",
        ] {
            assert!(!key_is_valid(bad, false), "{bad}");
        }
        assert!(key_is_valid("vendor/nvidia/model/*", true));
        assert!(key_is_valid("ab*", true));
        assert!(!key_is_valid("a*", true)); // needs at least one body character
        assert!(!key_is_valid("a**", true));
        assert!(!key_is_valid("a*b", true));
        let body126 = format!("a{}", "b".repeat(126));
        assert!(key_is_valid(&body126, false));
        assert!(!key_is_valid(&format!("{body126}c"), false));
        assert!(key_is_valid(&format!("{body126}c"), true)); // the optional last \w
        assert!(key_is_valid(&format!("{body126}*"), true));
        assert!(!key_is_valid(&format!("{body126}/"), true));
        assert!(!key_is_valid(&format!("{body126}cc"), true));
    }

    #[test]
    fn subset_and_any_of() {
        let have = [attr("region", "us-west"), attr("tier", "community")];
        assert!(subset_of(&[], &have));
        assert!(subset_of(&[attr("region", "us-west")], &have));
        assert!(subset_of(&[attr("reg*", "us-west")], &have));
        assert!(!subset_of(&[attr("region", "us-east")], &have));
        assert!(!subset_of(
            &[attr("region", "us-west"), attr("gpu", "yes")],
            &have
        ));
        assert!(any_of(
            &[attr("gpu", "yes"), attr("tier", "community")],
            &have
        ));
        assert!(!any_of(&[attr("gpu", "yes")], &have));
        assert!(!any_of(&[], &have));
    }

    fn audit(auditor: &str, attrs: &[Attribute]) -> AuditedProvider {
        AuditedProvider {
            owner: "prov".into(),
            auditor: auditor.into(),
            attributes: attrs.to_vec(),
        }
    }

    fn req(all_of: &[&str], any_of: &[&str], attrs: &[Attribute]) -> PlacementRequirements {
        PlacementRequirements {
            signed_by: Some(SignedBy {
                all_of: all_of.iter().map(|s| s.to_string()).collect(),
                any_of: any_of.iter().map(|s| s.to_string()).collect(),
            }),
            attributes: attrs.to_vec(),
        }
    }

    #[test]
    fn requirements_without_signed_by_use_own_attributes() {
        let own = [attr("region", "us-west")];
        let wanted = [attr("region", "us-west")];
        assert!(requirements_match(&req(&[], &[], &wanted), &own, &[]));
        let none = PlacementRequirements {
            signed_by: None,
            attributes: wanted.to_vec(),
        };
        assert!(requirements_match(&none, &own, &[]));
        assert!(!requirements_match(
            &req(&[], &[], &[attr("region", "eu")]),
            &own,
            &[]
        ));
    }

    #[test]
    fn requirements_all_of_any_of_and_both() {
        let own = [attr("region", "us-west")];
        let wanted = [attr("region", "us-west")];
        let a1 = audit("aud1", &wanted);
        let a2 = audit("aud2", &wanted);
        let a3_other = audit("aud3", &[attr("region", "eu")]);

        // all_of: every listed auditor must have signed covering attributes.
        assert!(requirements_match(
            &req(&["aud1", "aud2"], &[], &wanted),
            &own,
            &[a1.clone(), a2.clone()]
        ));
        assert!(!requirements_match(
            &req(&["aud1", "aud2"], &[], &wanted),
            &own,
            &[a1.clone()]
        ));
        assert!(!requirements_match(
            &req(&["aud1", "aud3"], &[], &wanted),
            &own,
            &[a1.clone(), a3_other.clone()]
        ));
        // any_of: one is enough.
        assert!(requirements_match(
            &req(&[], &["aud3", "aud2"], &wanted),
            &own,
            &[a2.clone(), a3_other.clone()]
        ));
        assert!(!requirements_match(
            &req(&[], &["aud3"], &wanted),
            &own,
            &[a3_other.clone()]
        ));
        // both must hold.
        assert!(requirements_match(
            &req(&["aud1"], &["aud2", "aud3"], &wanted),
            &own,
            &[a1.clone(), a2.clone()]
        ));
        assert!(!requirements_match(
            &req(&["aud1"], &["aud3"], &wanted),
            &own,
            &[a1.clone(), a3_other.clone()]
        ));
        // signed_by with no audit records fails even though the provider's own attributes match.
        assert!(!requirements_match(
            &req(&[], &["aud1"], &wanted),
            &own,
            &[]
        ));
        // signed_by with no attribute requirements only needs the auditor to have a record.
        assert!(requirements_match(
            &req(&["aud1"], &[], &[]),
            &own,
            &[a1.clone()]
        ));
        assert!(!requirements_match(&req(&["aud2"], &[], &[]), &own, &[a1]));
    }

    fn unit(storage: Vec<Storage>, gpu_units: &str, gpu_attrs: &[Attribute]) -> ResourceUnit {
        ResourceUnit {
            resource: Some(Resources {
                id: 1,
                storage,
                gpu: Some(Gpu {
                    units: Some(ResourceValue {
                        val: gpu_units.as_bytes().to_vec(),
                    }),
                    attributes: gpu_attrs.to_vec(),
                }),
                ..Default::default()
            }),
            count: 1,
            price: None,
        }
    }

    fn spec(units: Vec<ResourceUnit>) -> GroupSpec {
        GroupSpec {
            name: "g".into(),
            requirements: None,
            resources: units,
        }
    }

    fn volume(attrs: &[Attribute]) -> Storage {
        Storage {
            name: "data".into(),
            quantity: Some(ResourceValue {
                val: b"1073741824".to_vec(),
            }),
            attributes: attrs.to_vec(),
        }
    }

    #[test]
    fn gpu_capabilities() {
        let provider = [
            attr("capabilities/gpu/vendor/nvidia/model/a100", "true"),
            attr("capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi", "true"),
            attr(
                "capabilities/gpu/vendor/nvidia/model/a100/ram/80Gi/interface/sxm",
                "true",
            ),
            attr("region", "us-west"),
        ];
        let ok = |a: &[Attribute]| resources_match(&spec(vec![unit(vec![], "1", a)]), &provider);
        assert!(ok(&[attr("vendor/nvidia/model/a100", "true")]));
        assert!(ok(&[attr("vendor/nvidia/model/*", "true")]));
        assert!(ok(&[attr("vendor/nvidia/model/a100/ram/80Gi", "true")]));
        assert!(ok(&[attr(
            "vendor/nvidia/model/a100/ram/80Gi/interface/sxm",
            "true"
        )]));
        assert!(!ok(&[attr("vendor/nvidia/model/h100", "true")]));
        assert!(!ok(&[attr("vendor/nvidia/model/a100/ram/40Gi", "true")]));
        assert!(!ok(&[attr("vendor/amd/model/*", "true")]));
        // Any one of the unit's GPU attributes is enough.
        assert!(ok(&[
            attr("vendor/nvidia/model/h100", "true"),
            attr("vendor/nvidia/model/a100", "true"),
        ]));
        // Zero units, or no attributes, ask nothing of the provider.
        assert!(resources_match(
            &spec(vec![unit(
                vec![],
                "0",
                &[attr("vendor/nvidia/model/h100", "true")]
            )]),
            &provider
        ));
        assert!(resources_match(&spec(vec![unit(vec![], "2", &[])]), &[]));
        // A provider without GPU capabilities cannot take a GPU unit.
        assert!(!resources_match(
            &spec(vec![unit(
                vec![],
                "1",
                &[attr("vendor/nvidia/model/*", "true")]
            )]),
            &[attr("region", "us-west")]
        ));
    }

    #[test]
    fn storage_classes() {
        let provider = [
            attr("capabilities/storage/1/class", "beta2"),
            attr("capabilities/storage/1/persistent", "true"),
            attr("capabilities/storage/2/class", "ram"),
            attr("capabilities/storage/2/persistent", "false"),
            attr("capabilities/storage/3/class/extra", "ignored"),
        ];
        let with = |attrs: &[Attribute]| {
            resources_match(&spec(vec![unit(vec![volume(attrs)], "0", &[])]), &provider)
        };
        assert!(with(&[attr("class", "beta2"), attr("persistent", "true")]));
        assert!(with(&[attr("class", "ram"), attr("persistent", "false")]));
        assert!(with(&[]));
        assert!(!with(&[attr("class", "beta3"), attr("persistent", "true")]));
        // Both attributes must come from the same group.
        assert!(!with(&[attr("class", "ram"), attr("persistent", "true")]));
        assert!(!resources_match(
            &spec(vec![unit(
                vec![volume(&[attr("class", "beta2")])],
                "0",
                &[]
            )]),
            &[]
        ));
        let groups = capabilities_groups(&provider, "storage");
        assert_eq!(groups.len(), 2);
    }
}
