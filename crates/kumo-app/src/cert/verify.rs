//! `ParseAndValidateCertificate` (§10): one `EC PUBLIC KEY` PEM block holding a P-256 PKIX
//! key, one `CERTIFICATE` PEM block whose signature verifies with that key as ECDSA over
//! SHA-256 of the raw TBS certificate, and a Subject CommonName equal to the owner.

use super::errors;
use super::pem::{single_block, CERTIFICATE, EC_PUBLIC_KEY};
use crate::auth::parse_address;
use crate::errors::SdkResult;
use kumo_crypto::Address;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use x509_cert::der::{asn1, Decode};
use x509_cert::Certificate;

/// Object identifier of the X.520 commonName attribute.
const COMMON_NAME: x509_cert::der::oid::ObjectIdentifier =
    x509_cert::der::oid::ObjectIdentifier::new_unwrap("2.5.4.3");

/// What a valid certificate contributes to the store.
#[derive(Debug)]
pub struct Verified {
    /// The serial number in decimal, the second half of the certificate's ID.
    pub serial: String,
}

pub fn parse_and_validate(
    owner: &Address,
    cert_pem: &[u8],
    pubkey_pem: &[u8],
) -> SdkResult<Verified> {
    let key_der = single_block(pubkey_pem, EC_PUBLIC_KEY).map_err(errors::invalid_pubkey_value)?;
    let key = VerifyingKey::from_public_key_der(&key_der).map_err(|e| {
        errors::invalid_pubkey_value(format!(
            "pubkey is not a PKIX ECDSA P-256 public key ({e}); publish the key made with the certificate"
        ))
    })?;

    let cert_der =
        single_block(cert_pem, CERTIFICATE).map_err(errors::invalid_certificate_value)?;
    let cert = Certificate::from_der(&cert_der).map_err(|e| {
        errors::invalid_certificate_value(format!("cannot parse X.509 certificate: {e}"))
    })?;
    let tbs = raw_tbs(&cert_der)
        .ok_or_else(|| errors::invalid_certificate_value("cannot locate the TBS certificate"))?;
    let sig_bytes = cert.signature.as_bytes().ok_or_else(|| {
        errors::invalid_certificate_value("signature bit string is not byte-aligned")
    })?;
    let sig = Signature::from_der(sig_bytes).map_err(|_| {
        errors::invalid_certificate_value("signature is not an ASN.1 ECDSA signature; certificates must be ECDSA P-256 with SHA-256")
    })?;
    key.verify(tbs, &sig).map_err(|_| {
        errors::invalid_certificate_value(
            "certificate signature does not verify with the given pubkey; the certificate must be self-signed by that key",
        )
    })?;

    let cn = common_name(&cert).ok_or_else(|| {
        errors::invalid_certificate_value("certificate subject has no CommonName")
    })?;
    let cn_addr = parse_address("certificate CommonName", &cn)
        .map_err(|e| errors::invalid_certificate_value(e.log))?;
    if &cn_addr != owner {
        return Err(errors::invalid_certificate_value(format!(
            "certificate CommonName {cn} does not match owner {owner}"
        )));
    }

    let serial = serial_decimal(cert.tbs_certificate.serial_number.as_bytes())
        .ok_or_else(|| errors::invalid_serial_number("certificate serial number is negative"))?;
    Ok(Verified { serial })
}

/// The DER bytes of the first element inside the outer SEQUENCE, exactly as signed.
fn raw_tbs(cert_der: &[u8]) -> Option<&[u8]> {
    let (outer_tag, outer_len, outer_hdr) = tlv_header(cert_der)?;
    if outer_tag != 0x30 || outer_hdr + outer_len > cert_der.len() {
        return None;
    }
    let inner = &cert_der[outer_hdr..];
    let (tag, len, hdr) = tlv_header(inner)?;
    (tag == 0x30 && hdr + len <= inner.len()).then(|| &inner[..hdr + len])
}

/// (tag, content length, header length) of a DER TLV.
fn tlv_header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    if first < 0x80 {
        return Some((tag, first, 2));
    }
    let n = first & 0x7f;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(2 + i)? as usize;
    }
    Some((tag, len, 2 + n))
}

/// The subject's CommonName (the last one, as Go's `pkix.Name` keeps).
fn common_name(cert: &Certificate) -> Option<String> {
    let mut cn = None;
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid != COMMON_NAME {
                continue;
            }
            let v = &atv.value;
            let s = asn1::Utf8StringRef::try_from(v)
                .map(|s| s.as_str().to_string())
                .or_else(|_| asn1::PrintableStringRef::try_from(v).map(|s| s.as_str().to_string()))
                .or_else(|_| asn1::Ia5StringRef::try_from(v).map(|s| s.as_str().to_string()))
                .ok()?;
            cn = Some(s);
        }
    }
    cn
}

/// Big-endian two's-complement bytes as a decimal string; `None` when negative.
pub fn serial_decimal(bytes: &[u8]) -> Option<String> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let mut digits: Vec<u8> = vec![0]; // little-endian base-10 digits
    for &byte in bytes {
        let mut carry = byte as u32;
        for d in digits.iter_mut() {
            let v = (*d as u32) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    Some(digits.iter().rev().map(|d| (b'0' + d) as char).collect())
}

/// A serial as the chain stores it: a non-negative decimal integer without leading zeros
/// (what Go's `big.Int.SetString(s, 10)` then `String()` round-trips).
pub fn valid_serial(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_to_decimal() {
        assert_eq!(serial_decimal(&[0x00]).as_deref(), Some("0"));
        assert_eq!(serial_decimal(&[0x01, 0x00]).as_deref(), Some("256"));
        assert_eq!(
            serial_decimal(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).as_deref(),
            Some("18446744073709551615")
        );
        assert_eq!(
            serial_decimal(&[0x17, 0x9a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x80]).as_deref(),
            Some(
                u64::from_be_bytes([0x17, 0x9a, 0x3b, 0x4c, 0x5d, 0x6e, 0x7f, 0x80])
                    .to_string()
                    .as_str()
            )
        );
        assert_eq!(serial_decimal(&[0x80]), None);
        assert!(valid_serial("1700000000000000000"));
        assert!(valid_serial("0"));
        assert!(!valid_serial("007"));
        assert!(!valid_serial("-1"));
        assert!(!valid_serial(""));
        assert!(!valid_serial("12a"));
    }
}
