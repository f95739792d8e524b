//! CPU, memory/storage size and GPU count parsing, with integers only.
//!
//! Accepted forms follow Akash's TS SDL parser (`convertResourceString`,
//! `convertCpuResourceString`): sizes need a unit letter (`k m g t p e`, any case), an `i` after
//! it means powers of 1024, anything else powers of 1000 (`512Mi`, `1Gi`, `4GB`, `2.5G`); CPU is
//! a number of cores (`0.5`, `2`) or millicores (`"100m"`). Fractions are computed exactly and
//! rounded up for sizes, where the TS code multiplies floats (so `1.1G` is 1 100 000 000 here,
//! not the float artefact 1 100 000 001).

use crate::yaml::{Node, Value};

/// Splits `12.5` into its integer and fraction digits; `None` if it is not a plain decimal.
fn decimal_parts(s: &str) -> Option<(&str, &str)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    Some((int, frac))
}

/// `ceil((int.frac) × mult)` exactly, or an error text.
fn scale_ceil(int: &str, frac: &str, mult: u128, what: &str) -> Result<u128, String> {
    let frac = frac.trim_end_matches('0');
    if frac.len() > 18 {
        return Err(format!("{what} has more than 18 decimal places"));
    }
    let too_big = || format!("{what} is too large");
    let den = 10u128.pow(frac.len() as u32);
    let int_v: u128 = int.parse().map_err(|_| too_big())?;
    let frac_v: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| too_big())?
    };
    let num = int_v
        .checked_mul(den)
        .and_then(|v| v.checked_add(frac_v))
        .and_then(|v| v.checked_mul(mult))
        .ok_or_else(too_big)?;
    Ok(num.div_ceil(den))
}

/// Memory or storage size in bytes (`512Mi`, `1Gi`, `1.5G`, `4GB`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let hint = "write a number followed by a unit, e.g. 512Mi, 1Gi or 1.5G (Ki/Mi/Gi/Ti/Pi/Ei are powers of 1024, k/M/G/T/P/E powers of 1000)";
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let Some((int, frac)) = decimal_parts(number) else {
        return Err(format!("size {s:?} is not valid: {hint}"));
    };
    if unit.is_empty() {
        return Err(format!("size {s:?} has no unit: {hint}"));
    }
    let lower = unit.to_ascii_lowercase();
    let (prefix, rest) = lower.split_at(1);
    let power = match prefix {
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        "e" => 6,
        // A bare `b` means bytes.
        "b" if rest.is_empty() => 0,
        _ => return Err(format!("size {s:?} has unknown unit {unit:?}: {hint}")),
    };
    let base: u128 = match rest {
        "i" => 1024,
        "" | "b" => 1000,
        _ => {
            return Err(format!(
                "size {s:?} has unit {unit:?}; write {}{} (binary) or {} (decimal)",
                &unit[..1],
                "i",
                &unit[..1]
            ))
        }
    };
    let v = scale_ceil(int, frac, base.pow(power), &format!("size {s:?}"))?;
    u64::try_from(v).map_err(|_| format!("size {s:?} is too large"))
}

/// CPU units in millicores from a YAML node: a number of cores (`0.5`, `2`) or a string such as
/// `"100m"`, `"0.5"`.
pub fn parse_cpu(node: &Node) -> Result<u64, String> {
    let (text, millis) = match &node.value {
        Value::Num(n) => {
            if n.special || n.is_negative() || n.is_zero() {
                return Err(format!(
                    "cpu units must be greater than 0, got {}",
                    n.to_plain_string()
                ));
            }
            (n.to_plain_string(), false)
        }
        Value::Str(s) => {
            let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
            let (number, unit) = s.split_at(split);
            let millis = match unit.to_ascii_lowercase().as_str() {
                "" => false,
                "m" => true,
                _ => {
                    return Err(format!(
                    "cpu units {s:?} are not valid: write cores (0.5, 2) or millicores (\"500m\")"
                ))
                }
            };
            (number.to_string(), millis)
        }
        _ => {
            return Err(format!(
                "cpu units must be a number or a string such as \"500m\", got {}",
                node.type_name()
            ))
        }
    };
    let Some((int, frac)) = decimal_parts(&text) else {
        return Err(format!(
            "cpu units {text:?} are not valid: write cores (0.5, 2) or millicores (\"500m\")"
        ));
    };
    let frac = frac.trim_end_matches('0');
    let mult = if millis { 1 } else { 1000 };
    // Exactness: a fraction of a millicore cannot be expressed on chain.
    if (millis && !frac.is_empty()) || (!millis && frac.len() > 3) {
        return Err(format!(
            "cpu units {text}{} are not a whole number of millicores; use at most 3 decimals (0.001 = 1m)",
            if millis { "m" } else { "" }
        ));
    }
    let v = scale_ceil(int, frac, mult, "cpu units")?;
    if v == 0 {
        return Err("cpu units must be greater than 0".into());
    }
    u64::try_from(v).map_err(|_| "cpu units are too large".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512Mi").unwrap(), 512 << 20);
        assert_eq!(parse_size("1Gi").unwrap(), 1 << 30);
        assert_eq!(parse_size("1gi").unwrap(), 1 << 30);
        assert_eq!(parse_size("128M").unwrap(), 128_000_000);
        assert_eq!(parse_size("4GB").unwrap(), 4_000_000_000);
        assert_eq!(parse_size("2Gb").unwrap(), 2_000_000_000);
        assert_eq!(parse_size("1k").unwrap(), 1000);
        assert_eq!(parse_size("1Ki").unwrap(), 1024);
        assert_eq!(parse_size("1.5Gi").unwrap(), 1_610_612_736);
        assert_eq!(parse_size("1.1G").unwrap(), 1_100_000_000);
        assert_eq!(parse_size("0.1Gi").unwrap(), 107_374_183); // rounded up
        assert_eq!(parse_size("2Ti").unwrap(), 2 << 40);
        assert_eq!(parse_size("1Ei").unwrap(), 1 << 60);
        assert_eq!(parse_size("100b").unwrap(), 100);
        assert!(parse_size("1024").unwrap_err().contains("no unit"));
        assert!(parse_size("1MiB").unwrap_err().contains("write Mi"));
        assert!(parse_size("1x").unwrap_err().contains("unknown unit"));
        assert!(parse_size("-1Gi").is_err());
        assert!(parse_size("1.2.3Gi").is_err());
        assert!(parse_size("16Ei").unwrap_err().contains("too large"));
    }

    fn cpu(yaml: &str) -> Result<u64, String> {
        let n = crate::yaml::load(&format!("v: {yaml}")).unwrap();
        let Value::Map(e) = n.value else { panic!() };
        parse_cpu(&e[0].1)
    }

    #[test]
    fn cpu_units() {
        assert_eq!(cpu("1"), Ok(1000));
        assert_eq!(cpu("1.0"), Ok(1000));
        assert_eq!(cpu("0.5"), Ok(500));
        assert_eq!(cpu("0.1"), Ok(100));
        assert_eq!(cpu("1.1"), Ok(1100));
        assert_eq!(cpu("\"100m\""), Ok(100));
        assert_eq!(cpu("\"0.25\""), Ok(250));
        assert_eq!(cpu("\"2\""), Ok(2000));
        assert!(cpu("0").is_err());
        assert!(cpu("-1").is_err());
        assert!(cpu("\"0m\"").is_err());
        assert!(cpu("0.0001").unwrap_err().contains("millicores"));
        assert!(cpu("\"1.5m\"").is_err());
        assert!(cpu("\"2x\"").is_err());
        assert!(cpu("true").is_err());
    }
}
