//! The part of Go's `net/url.Parse` that provider validation depends on: scheme, host (with
//! port) and path, and the inputs Go refuses to parse. Akash checks `host_uri` and
//! `info.website` with it, so the same strings must pass and fail here.

/// A parsed URL: only the parts validation looks at.
#[derive(Debug, PartialEq, Eq)]
pub struct GoUrl {
    /// Lower-cased, as Go stores it; empty when the string has none (not absolute).
    pub scheme: String,
    /// `host[:port]`; empty when there is no `//authority`.
    pub host: String,
    pub path: String,
}

/// Parses like `url.Parse`; `Err` says why Go would refuse the string.
pub fn parse(raw: &str) -> Result<GoUrl, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("invalid control character in URL".into());
    }
    let (raw, _fragment) = raw.split_once('#').unwrap_or((raw, ""));
    let (scheme, rest) = split_scheme(raw)?;
    let rest = match rest.split_once('?') {
        Some((r, _query)) => r,
        None => rest,
    };
    if !rest.starts_with('/') {
        if scheme.is_empty() {
            let first = rest.split('/').next().unwrap_or("");
            if first.contains(':') {
                return Err("first path segment in URL cannot contain colon".into());
            }
        }
        // `scheme:opaque` or a relative path: no host.
        check_escapes(rest)?;
        return Ok(GoUrl {
            host: String::new(),
            path: if scheme.is_empty() {
                rest.to_string()
            } else {
                String::new()
            },
            scheme,
        });
    }
    let (host, path) = match rest.strip_prefix("//") {
        Some(after) => {
            let (authority, path) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            (parse_authority(authority)?, path)
        }
        None => (String::new(), rest),
    };
    check_escapes(path)?;
    Ok(GoUrl {
        scheme,
        host,
        path: path.to_string(),
    })
}

/// `getScheme`: letters, then letters, digits, `+`, `-`, `.` up to the first `:`.
fn split_scheme(raw: &str) -> Result<(String, &str), String> {
    for (i, c) in raw.char_indices() {
        match c {
            'a'..='z' | 'A'..='Z' => {}
            '0'..='9' | '+' | '-' | '.' if i > 0 => {}
            ':' if i == 0 => return Err("missing protocol scheme".into()),
            ':' => return Ok((raw[..i].to_ascii_lowercase(), &raw[i + 1..])),
            _ => break,
        }
    }
    Ok((String::new(), raw))
}

/// `user@host:port`: the userinfo is dropped, the host checked as Go's `parseHost` does.
fn parse_authority(authority: &str) -> Result<String, String> {
    let host = match authority.rfind('@') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    if let Some(inner) = host.strip_prefix('[') {
        let end = inner
            .find(']')
            .ok_or_else(|| "missing ']' in host".to_string())?;
        check_port(&inner[end + 1..])?;
    } else if let Some(i) = host.rfind(':') {
        check_port(&host[i..])?;
    }
    check_escapes(host)?;
    for c in host.chars() {
        let ok =
            !c.is_ascii() || c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:[]<>\"%".contains(c);
        if !ok {
            return Err(format!("invalid character {c:?} in host name"));
        }
    }
    Ok(host.to_string())
}

/// `:digits` or a bare `:` (or nothing).
fn check_port(port: &str) -> Result<(), String> {
    match port.strip_prefix(':') {
        None if port.is_empty() => Ok(()),
        Some(digits) if digits.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!("invalid port {port:?} after host")),
    }
}

/// Every `%` starts a two-hex-digit escape.
fn check_escapes(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let ok =
                i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit();
            if !ok {
                return Err(format!(
                    "invalid URL escape {:?}",
                    &s[i..(i + 3).min(s.len())]
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        let u = parse("https://provider.example.com:8443").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.path.as_str()),
            ("https", "provider.example.com:8443", "")
        );
        assert_eq!(parse("HTTPS://h").unwrap().scheme, "https");
        assert_eq!(parse("https://h/").unwrap().path, "/");
        assert_eq!(parse("https://h/x?q=1#f").unwrap().path, "/x");
        assert_eq!(parse("https://h?q=1").unwrap().path, "");
        assert_eq!(parse("https://u:p@h:1").unwrap().host, "h:1");
        assert_eq!(parse("https://[::1]:443").unwrap().host, "[::1]:443");
        let rel = parse("provider.example.com").unwrap();
        assert_eq!((rel.scheme.as_str(), rel.host.as_str()), ("", ""));
        let opaque = parse("https:provider.example.com").unwrap();
        assert_eq!(opaque.host, "");
        assert!(parse("").is_ok());
    }

    #[test]
    fn refuses_what_go_refuses() {
        assert!(parse("://h").is_err());
        assert!(parse("https://h:port").is_err());
        assert!(parse("https://h h").is_err());
        assert!(parse("https://h/%zz").is_err());
        assert!(parse("https://h/%4").is_err());
        assert!(parse("https://h\n").is_err());
        assert!(parse("https://[::1").is_err());
        assert!(parse("a:b/c").is_ok()); // scheme "a"
        assert!(parse("1:b").is_err()); // no scheme, colon in the first segment
    }
}
