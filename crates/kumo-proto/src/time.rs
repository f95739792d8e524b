//! UTC time as the wire formats write it: the proleptic Gregorian calendar (H. Hinnant's
//! `civil_from_days` / `days_from_civil`) and RFC 3339 text in its few fractional-second styles.
//! Integers only: block times are consensus data.

use cosmos_sdk_proto::Timestamp;

/// Days since 1970-01-01 to (year, month 1–12, day 1–31).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year of a Unix second (UTC).
pub fn year_of(seconds: i64) -> i64 {
    civil_from_days(seconds.div_euclid(86_400)).0
}

/// `YYYY-MM-DD` of a Unix second (UTC).
pub fn utc_date(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// How the fraction of a second is written after the seconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fraction {
    /// None at all (`…:05Z`), whatever the nanoseconds.
    Omit,
    /// Go's `RFC3339Nano`: the digits without trailing zeros, none when zero.
    Trimmed,
    /// Protobuf JSON's `Timestamp`: 0, 3, 6 or 9 digits.
    Proto,
    /// Always 3 digits (JavaScript's `Date.toISOString()`).
    Millis,
    /// Always 9 digits (CometBFT's JSON-RPC).
    Nanos,
}

/// RFC 3339 in UTC with `Z`: `2026-11-25T05:25:38.648Z` and its variants.
pub fn rfc3339(seconds: i64, nanos: u32, fraction: Fraction) -> String {
    let (y, mo, d) = civil_from_days(seconds.div_euclid(86_400));
    let s = seconds.rem_euclid(86_400);
    let n = nanos.min(999_999_999);
    let frac = match fraction {
        Fraction::Omit => String::new(),
        Fraction::Trimmed if n == 0 => String::new(),
        Fraction::Trimmed => format!(".{}", format!("{n:09}").trim_end_matches('0')),
        Fraction::Proto if n == 0 => String::new(),
        Fraction::Proto if n.is_multiple_of(1_000_000) => format!(".{:03}", n / 1_000_000),
        Fraction::Proto if n.is_multiple_of(1000) => format!(".{:06}", n / 1000),
        Fraction::Proto | Fraction::Nanos => format!(".{n:09}"),
        Fraction::Millis => format!(".{:03}", n / 1_000_000),
    };
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Go's `time.RFC3339` of a Unix second (event attributes such as `completion_time`).
pub fn rfc3339_seconds(seconds: i64) -> String {
    rfc3339(seconds, 0, Fraction::Omit)
}

/// A protobuf `Timestamp` as Go's `RFC3339Nano` writes it (genesis files, CLI output).
pub fn timestamp_rfc3339(t: &Timestamp) -> String {
    rfc3339(t.seconds, t.nanos.max(0) as u32, Fraction::Trimmed)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` into a protobuf `Timestamp`.
pub fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
    let bad = || format!("{s:?} is not an RFC 3339 time such as 2027-01-31T12:00:00Z");
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let part = s.get(r).ok_or_else(bad)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i64>().map_err(|_| bad())
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let mut rest = &s[19..];
    let mut nanos: i64 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(bad());
        }
        nanos = frac[..digits].parse::<i64>().map_err(|_| bad())? * 10i64.pow(9 - digits as u32);
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let oh = rest[1..3].parse::<i64>().map_err(|_| bad())?;
            let om = rest[4..6].parse::<i64>().map_err(|_| bad())?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return Err(bad()),
    };
    let days = days_from_civil(y, mo as u32, d as u32);
    Ok(Timestamp {
        seconds: days * 86_400 + h * 3600 + mi * 60 + sec - offset,
        nanos: nanos as i32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_both_ways() {
        for (days, date) in [
            (0, (1970, 1, 1)),
            (19_723, (2024, 1, 1)),
            (19_782, (2024, 2, 29)),
            (-1, (1969, 12, 31)),
            (-719_162, (1, 1, 1)),
            (2_932_896, (9999, 12, 31)),
        ] {
            assert_eq!(civil_from_days(days), date);
            assert_eq!(days_from_civil(date.0, date.1, date.2), days);
        }
        for days in -800_000..800_000i64 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn fractions() {
        let t = 1_764_048_338; // 2025-11-25T05:25:38Z
        assert_eq!(
            rfc3339(t, 648_000_000, Fraction::Omit),
            "2025-11-25T05:25:38Z"
        );
        assert_eq!(
            rfc3339(t, 648_000_000, Fraction::Trimmed),
            "2025-11-25T05:25:38.648Z"
        );
        assert_eq!(
            rfc3339(t, 648_100_000, Fraction::Proto),
            "2025-11-25T05:25:38.648100Z"
        );
        assert_eq!(rfc3339(t, 0, Fraction::Millis), "2025-11-25T05:25:38.000Z");
        assert_eq!(
            rfc3339(t, 5, Fraction::Nanos),
            "2025-11-25T05:25:38.000000005Z"
        );
        assert_eq!(rfc3339(-1, 0, Fraction::Proto), "1969-12-31T23:59:59Z");
        assert_eq!(utc_date(t), "2025-11-25");
        assert_eq!(year_of(t), 2025);
    }

    #[test]
    fn parse_round_trips() {
        let t = parse_rfc3339("2027-01-31T12:00:00.25+01:00").unwrap();
        assert_eq!(timestamp_rfc3339(&t), "2027-01-31T11:00:00.25Z");
        assert!(parse_rfc3339("2027-13-01T00:00:00Z").is_err());
        assert!(parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn rfc3339_times_parse_and_format() {
        let t = parse_rfc3339("2030-03-17T17:46:40.5Z").unwrap();
        assert_eq!((t.seconds, t.nanos), (1_900_000_000, 500_000_000));
        assert_eq!(timestamp_rfc3339(&t), "2030-03-17T17:46:40.5Z");
        let t = parse_rfc3339("1970-01-02T02:00:00+02:00").unwrap();
        assert_eq!(t.seconds, 86_400);
        assert_eq!(
            parse_rfc3339("2024-02-29T00:00:00Z").unwrap().seconds,
            1_709_164_800
        );
        for bad in [
            "2024-13-01T00:00:00Z",
            "tomorrow",
            "2024-01-01T00:00:00",
            "2024-01-01",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
