//! Tenant JWTs (`../shared/spec/akash-offchain.md` §3.2): `ES256K`, i.e. ECDSA secp256k1 over
//! SHA-256 of `base64url(header) "." base64url(claims)`, signature `r || s` base64url; signed with
//! the tenant's account key and verified with the issuer account's on-chain public key.
//!
//! `ES256KADR36` (the signature over an ADR-036 sign document, for browser wallets) is not
//! implemented: such tokens are refused with a message saying so.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The claims `version` this gateway understands.
pub const CLAIMS_VERSION: &str = "v1";
/// Lifetime of the tokens the CLI makes (as Akash's CLI).
pub const CLI_TOKEN_LIFETIME_SECS: i64 = 15 * 60;
/// Longest lifetime (`exp - iat`) a token may have: 1 hour. Akash's CLI makes 15-minute
/// tokens and its gateway gives mTLS callers 15-minute claims (spec §3.2); Akash's verifier
/// itself sets no cap, so a leaked long-lived token would work for years. One hour is four CLI
/// lifetimes, room for clients (Console, scripts) that make somewhat longer tokens, while a
/// stolen token dies within the hour. Longer tokens are refused with a 401 saying so.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 60 * 60;
/// Clock skew tolerated between the token maker and the gateway when checking `exp - now`.
pub const CLOCK_SKEW_SECS: i64 = 60;

/// An action a token can grant (`scope` entries).
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    SendManifest,
    GetManifest,
    Logs,
    Shell,
    Events,
    Status,
    Restart,
    HostnameMigrate,
    IpMigrate,
    Attestation,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Full,
    Scoped,
    Granular,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    pub version: String,
    pub leases: Leases,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leases {
    pub access: Access,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
}

/// Granular access for one provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub provider: String,
    pub access: Access,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<DeploymentPermission>,
}

/// Granular access to one deployment (or one lease, or some services of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentPermission {
    pub scope: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dseq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gseq: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oseq: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
}

/// What a request asks to do: the scope and, where the route names them, the lease parts.
#[derive(Clone, Debug, Default)]
pub struct Target<'a> {
    pub dseq: Option<u64>,
    pub gseq: Option<u32>,
    pub oseq: Option<u32>,
    /// The services the request touches; empty = the whole lease.
    pub services: &'a [String],
}

impl Claims {
    /// Full access for `iss`, valid from `now` for `lifetime` seconds (what the CLI sends).
    pub fn full_access(iss: &str, now: i64, lifetime: i64) -> Claims {
        Claims {
            iss: iss.to_string(),
            iat: now,
            nbf: now,
            exp: now + lifetime,
            jti: None,
            version: CLAIMS_VERSION.into(),
            leases: Leases {
                access: Access::Full,
                scope: vec![],
                permissions: vec![],
            },
        }
    }

    /// Whether these claims let their holder do `scope` on `target` at `provider`.
    pub fn allows(&self, provider: &str, scope: Scope, target: &Target<'_>) -> bool {
        match self.leases.access {
            Access::Full => true,
            Access::Scoped => self.leases.scope.contains(&scope),
            Access::Granular => {
                let Some(p) = self
                    .leases
                    .permissions
                    .iter()
                    .find(|p| p.provider == provider)
                else {
                    return false;
                };
                match p.access {
                    Access::Full => true,
                    Access::Scoped => p.scope.contains(&scope),
                    Access::Granular => p.deployments.iter().any(|d| d.allows(scope, target)),
                }
            }
        }
    }

    /// Time and shape checks (the signature is checked separately).
    pub fn validate(&self, now: i64) -> Result<(), String> {
        if self.version != CLAIMS_VERSION {
            return Err(format!(
                "token claims version {:?} is not supported; use \"{CLAIMS_VERSION}\"",
                self.version
            ));
        }
        if kumo_crypto::Address::from_bech32(&self.iss, kumo_crypto::ACCOUNT_HRP).is_err() {
            return Err(format!(
                "token issuer {:?} is not an akash1… address",
                self.iss
            ));
        }
        if self.exp <= now {
            return Err("token has expired; make a new one".into());
        }
        if self.nbf > now {
            return Err("token is not valid yet (nbf is in the future)".into());
        }
        if self.iat > self.exp {
            return Err("token was issued after it expires (iat > exp)".into());
        }
        // The lifetime cap: as issued, and as left from now (an `iat` set in the future must
        // not stretch it).
        let lifetime = self.exp.saturating_sub(self.iat);
        let left = self.exp.saturating_sub(now);
        if lifetime > MAX_TOKEN_LIFETIME_SECS || left > MAX_TOKEN_LIFETIME_SECS + CLOCK_SKEW_SECS {
            return Err(format!(
                "token lifetime is too long: it is valid for {}s (exp - iat = {lifetime}s, \
                 exp - now = {left}s) but this provider accepts at most {MAX_TOKEN_LIFETIME_SECS}s \
                 (1 hour); make a short-lived token (the CLI makes {CLI_TOKEN_LIFETIME_SECS}s ones)",
                lifetime.max(left)
            ));
        }
        if self.leases.access == Access::Granular {
            let mut seen = std::collections::BTreeSet::new();
            for p in &self.leases.permissions {
                if !seen.insert(p.provider.as_str()) {
                    return Err(format!(
                        "token lists provider {} twice in its permissions",
                        p.provider
                    ));
                }
            }
        }
        Ok(())
    }
}

impl DeploymentPermission {
    fn allows(&self, scope: Scope, t: &Target<'_>) -> bool {
        let matches = |want: Option<u64>, got: Option<u64>| want.is_none() || want == got;
        self.scope.contains(&scope)
            && matches(self.dseq, t.dseq)
            && matches(self.gseq.map(u64::from), t.gseq.map(u64::from))
            && matches(self.oseq.map(u64::from), t.oseq.map(u64::from))
            && match &self.services {
                None => true,
                // A service-limited grant covers requests naming only those services.
                Some(allowed) => {
                    !t.services.is_empty() && t.services.iter().all(|s| allowed.contains(s))
                }
            }
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

/// Seconds since the Unix epoch (token times); 0 if the clock is before 1970.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Signs `claims` with the issuer's account key.
pub fn sign(claims: &Claims, key: &kumo_crypto::PrivKey) -> String {
    let header = Header {
        alg: "ES256K".into(),
        typ: Some("JWT".into()),
    };
    let input = format!(
        "{}.{}",
        B64URL.encode(serde_json::to_vec(&header).expect("header serializes")),
        B64URL.encode(serde_json::to_vec(claims).expect("claims serialize"))
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(sig))
}

/// A token split and decoded, its signature not yet checked.
pub struct Unverified {
    pub claims: Claims,
    signing_input: String,
    signature: Vec<u8>,
}

/// Parses a token; fails on a malformed token or an algorithm other than ES256K.
pub fn decode(token: &str) -> Result<Unverified, String> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("bearer token is not a JWT (header.claims.signature)".into());
    };
    let header: Header = B64URL
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("JWT header is not base64url JSON")?;
    match header.alg.as_str() {
        "ES256K" => {}
        "ES256KADR36" => {
            return Err(
                "JWT algorithm ES256KADR36 is not supported by this provider; sign with ES256K"
                    .into(),
            )
        }
        other => {
            return Err(format!(
                "JWT algorithm {other:?} is not accepted; use ES256K"
            ))
        }
    }
    let claims_json = B64URL
        .decode(c)
        .map_err(|_| "JWT claims are not base64url".to_string())?;
    let claims: Claims = serde_json::from_slice(&claims_json)
        .map_err(|e| format!("JWT claims do not match the schema: {e}"))?;
    let signature = B64URL
        .decode(s)
        .map_err(|_| "JWT signature is not base64url".to_string())?;
    Ok(Unverified {
        claims,
        signing_input: format!("{h}.{c}"),
        signature,
    })
}

impl Unverified {
    /// Checks the signature with the issuer's public key (33-byte compressed secp256k1).
    pub fn verify(self, issuer_key: &kumo_crypto::PubKey) -> Result<Claims, String> {
        if issuer_key.address().to_string() != self.claims.iss {
            return Err("the key given is not the issuer's".into());
        }
        if self.signature.len() != kumo_crypto::SIGNATURE_LEN
            || !issuer_key.verify(self.signing_input.as_bytes(), &self.signature)
        {
            return Err("JWT signature does not verify with the issuer's on-chain key".into());
        }
        Ok(self.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                         abandon abandon about";
    const BOB: &str = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
    const NOW: i64 = 1_767_225_600;

    fn key(m: &str) -> kumo_crypto::PrivKey {
        kumo_crypto::PrivKey::from_mnemonic(m, "").unwrap()
    }

    #[test]
    fn sign_verify_round_trip() {
        let k = key(ALICE);
        let claims = Claims::full_access(&k.address().to_string(), NOW, CLI_TOKEN_LIFETIME_SECS);
        let token = sign(&claims, &k);
        let u = decode(&token).unwrap();
        assert_eq!(u.claims, claims);
        let got = u.verify(&k.pubkey()).unwrap();
        got.validate(NOW + 60).unwrap();
        assert_eq!(got.exp - got.iat, 900);
        // The header says ES256K.
        let header = B64URL.decode(token.split('.').next().unwrap()).unwrap();
        let h: serde_json::Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(h["alg"], "ES256K");
        // Claims JSON uses the schema's names.
        let c: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(token.split('.').nth(1).unwrap()).unwrap())
                .unwrap();
        assert_eq!(c["leases"], serde_json::json!({"access": "full"}));
        assert_eq!(c["version"], "v1");
    }

    #[test]
    fn tampered_and_foreign_tokens_refused() {
        let (a, b) = (key(ALICE), key(BOB));
        let claims = Claims::full_access(&a.address().to_string(), NOW, 900);
        let token = sign(&claims, &a);
        // Claims changed after signing (exp pushed out).
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let mut c = claims.clone();
        c.exp += 3600;
        parts[1] = B64URL.encode(serde_json::to_vec(&c).unwrap());
        let tampered = parts.join(".");
        let err = decode(&tampered).unwrap().verify(&a.pubkey()).unwrap_err();
        assert!(err.contains("does not verify"), "{err}");
        // Signed by bob but claiming alice as issuer.
        let forged = sign(&claims, &b);
        assert!(decode(&forged).unwrap().verify(&a.pubkey()).is_err());
        // Verified against someone else's key.
        assert!(decode(&token).unwrap().verify(&b.pubkey()).is_err());
        // Other algorithms and garbage.
        let none = format!(
            "{}.{}.",
            B64URL.encode(br#"{"alg":"none"}"#),
            token.split('.').nth(1).unwrap()
        );
        assert!(decode(&none).is_err());
        assert!(decode("abc").is_err());
        let adr36 = format!(
            "{}.{}.{}",
            B64URL.encode(br#"{"alg":"ES256KADR36"}"#),
            token.split('.').nth(1).unwrap(),
            token.split('.').nth(2).unwrap()
        );
        assert!(decode(&adr36).err().unwrap().contains("not supported"));
    }

    #[test]
    fn time_window_and_version() {
        let a = key(ALICE);
        let c = Claims::full_access(&a.address().to_string(), NOW, 900);
        assert!(c.validate(NOW).is_ok());
        assert!(c.validate(NOW + 900).unwrap_err().contains("expired"));
        assert!(c.validate(NOW - 1).unwrap_err().contains("not valid yet"));
        let mut v2 = c.clone();
        v2.version = "v2".into();
        assert!(v2.validate(NOW).is_err());
        let mut bad = c;
        bad.iss = "cosmos1xyz".into();
        assert!(bad.validate(NOW).is_err());
    }

    #[test]
    fn lifetime_is_capped() {
        let a = key(ALICE).address().to_string();
        // Exactly the cap, and the CLI's 15 minutes: accepted.
        let hour = Claims::full_access(&a, NOW, MAX_TOKEN_LIFETIME_SECS);
        assert!(hour.validate(NOW).is_ok());
        assert!(Claims::full_access(&a, NOW, CLI_TOKEN_LIFETIME_SECS)
            .validate(NOW)
            .is_ok());
        // A second over, and ten years: refused with the reason and the cap.
        let over = Claims::full_access(&a, NOW, MAX_TOKEN_LIFETIME_SECS + 1);
        let e = over.validate(NOW).unwrap_err();
        assert!(
            e.contains("lifetime is too long") && e.contains("3600s"),
            "{e}"
        );
        let decade = Claims::full_access(&a, NOW, 10 * 365 * 86400);
        assert!(decade
            .validate(NOW)
            .unwrap_err()
            .contains("lifetime is too long"));
        // An iat in the future does not stretch it: exp - now counts too.
        let mut sneaky = Claims::full_access(&a, NOW, 3000);
        sneaky.iat = NOW + 86400;
        sneaky.exp = NOW + 86400 + 3000;
        assert!(sneaky
            .validate(NOW)
            .unwrap_err()
            .contains("lifetime is too long"));
        // A little clock skew (iat a few seconds ahead of the gateway) is fine.
        let mut skewed = Claims::full_access(&a, NOW + 30, MAX_TOKEN_LIFETIME_SECS);
        skewed.nbf = NOW;
        assert!(skewed.validate(NOW).is_ok());
    }

    #[test]
    fn scopes() {
        let a = key(ALICE);
        let p = "akash1provider";
        let lease = Target {
            dseq: Some(7),
            gseq: Some(1),
            oseq: Some(1),
            services: &[],
        };
        let mut c = Claims::full_access(&a.address().to_string(), NOW, 900);
        assert!(c.allows(p, Scope::Shell, &lease));

        c.leases = Leases {
            access: Access::Scoped,
            scope: vec![Scope::Status, Scope::Logs],
            permissions: vec![],
        };
        assert!(c.allows(p, Scope::Status, &lease));
        assert!(!c.allows(p, Scope::Shell, &lease));
        assert!(!c.allows(p, Scope::SendManifest, &lease));

        let web = vec!["web".to_string()];
        let db = vec!["db".to_string()];
        c.leases = Leases {
            access: Access::Granular,
            scope: vec![],
            permissions: vec![Permission {
                provider: p.into(),
                access: Access::Granular,
                scope: vec![],
                deployments: vec![DeploymentPermission {
                    scope: vec![Scope::Logs],
                    dseq: Some(7),
                    gseq: None,
                    oseq: None,
                    services: Some(web.clone()),
                }],
            }],
        };
        let t = |services: &'static [String], dseq| Target {
            dseq: Some(dseq),
            gseq: Some(1),
            oseq: Some(1),
            services,
        };
        let web: &'static [String] = Box::leak(web.into_boxed_slice());
        let db: &'static [String] = Box::leak(db.into_boxed_slice());
        assert!(c.allows(p, Scope::Logs, &t(web, 7)));
        assert!(!c.allows(p, Scope::Logs, &t(db, 7)), "other service");
        assert!(!c.allows(p, Scope::Logs, &t(web, 8)), "other deployment");
        assert!(!c.allows(p, Scope::Logs, &t(&[], 7)), "whole lease");
        assert!(!c.allows(p, Scope::Shell, &t(web, 7)), "other scope");
        assert!(
            !c.allows("akash1other", Scope::Logs, &t(web, 7)),
            "other provider"
        );
        c.validate(NOW).unwrap();
        let dup = c.leases.permissions[0].clone();
        c.leases.permissions.push(dup);
        assert!(c.validate(NOW).unwrap_err().contains("twice"));
    }
}
