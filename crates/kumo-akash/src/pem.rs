//! PEM blocks the way Go's `encoding/pem` reads and writes them: one definition for the chain's
//! certificate checks (kumo-app's cert module), the tenant's and provider's certificate files
//! (kumo-client) and the CLI. For the one-block checks of certificate creation: text before `-----BEGIN` is skipped, the block must be closed by a
//! matching `-----END` line, and whatever follows it (after one line ending) is "rest".

use base64::Engine;

pub const CERTIFICATE: &str = "CERTIFICATE";
pub const EC_PUBLIC_KEY: &str = "EC PUBLIC KEY";

#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

/// The first block and the bytes after it; `None` when there is no well-formed block.
pub fn decode(data: &[u8]) -> Option<(Block, &[u8])> {
    let text = std::str::from_utf8(data).ok()?;
    let begin = text.find("-----BEGIN ")?;
    let after_begin = &text[begin + "-----BEGIN ".len()..];
    let label_end = after_begin.find("-----")?;
    let label = &after_begin[..label_end];
    if label.contains('\n') {
        return None;
    }
    let body_start = &after_begin[label_end + 5..];
    let body_start = body_start
        .strip_prefix("\r\n")
        .or_else(|| body_start.strip_prefix('\n'))?;
    let end_marker = format!("-----END {label}-----");
    let end = body_start.find(&end_marker)?;
    let body: String = body_start[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if body.contains(':') {
        return None; // RFC 1421 headers: never produced for these blocks
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .ok()?;
    let rest = &body_start[end + end_marker.len()..];
    let rest = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
        .unwrap_or(rest);
    let consumed = text.len() - rest.len();
    Some((
        Block {
            label: label.to_string(),
            der,
        },
        &data[consumed..],
    ))
}

/// Exactly one block of type `label` and nothing after it.
pub fn single_block(data: &[u8], label: &str) -> Result<Vec<u8>, String> {
    let (block, rest) =
        decode(data).ok_or_else(|| format!("no PEM {label} block could be decoded"))?;
    if !rest.is_empty() {
        return Err(format!(
            "{} bytes follow the PEM block; exactly one {label} block is expected",
            rest.len()
        ));
    }
    if block.label != label {
        return Err(format!(
            "PEM block type is {:?}, expected {label:?}",
            block.label
        ));
    }
    Ok(block.der)
}

/// Encodes DER as a PEM block with 64-character lines (Go's `pem.EncodeToMemory`).
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rest() {
        let der: Vec<u8> = (0..100).collect();
        let p = encode("CERTIFICATE", &der);
        assert_eq!(single_block(p.as_bytes(), CERTIFICATE), Ok(der.clone()));
        let with_junk = format!("junk before\n{p}");
        assert_eq!(
            single_block(with_junk.as_bytes(), CERTIFICATE),
            Ok(der.clone())
        );
        let two = format!("{p}{p}");
        assert!(single_block(two.as_bytes(), CERTIFICATE).is_err());
        let extra_line = format!("{p}\n");
        assert!(single_block(extra_line.as_bytes(), CERTIFICATE).is_err());
        assert!(single_block(p.as_bytes(), EC_PUBLIC_KEY).is_err());
        assert!(single_block(b"not pem", CERTIFICATE).is_err());
        let unterminated = p.replace("-----END CERTIFICATE-----\n", "");
        assert!(single_block(unterminated.as_bytes(), CERTIFICATE).is_err());
        let bad_b64 = p.replacen("AAEC", "A!EC", 1);
        assert!(single_block(bad_b64.as_bytes(), CERTIFICATE).is_err());
    }
}
