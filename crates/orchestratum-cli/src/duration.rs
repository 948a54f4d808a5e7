//! Durations as operators type them: `30s`, `5m`, `2h`, `7d`, `250ms`, or several parts
//! (`1h30m`). Negative values are refused with a clear reason.

use std::time::Duration;

/// The units, longest name first so `ms` is not read as `m`.
const UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Parses a non-negative duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.starts_with('-') {
        return Err("negative durations are not allowed".into());
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    if s.is_empty() {
        return Err("empty duration (expected e.g. 30s, 5m, 2h, 7d)".into());
    }
    let mut rest = s;
    let mut total_ms: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!(
                "`{text}` is not a duration (expected e.g. 30s, 5m, 2h, 7d)"
            ));
        }
        let (number, tail) = rest.split_at(digits);
        let Some(&(unit, ms)) = UNITS.iter().find(|(u, _)| tail.starts_with(u)) else {
            return Err(format!(
                "`{text}` has no unit after {number} (use ms, s, m, h or d)"
            ));
        };
        let n: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is too large"))?;
        total_ms = n
            .checked_mul(ms)
            .and_then(|v| total_ms.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too large"))?;
        rest = &tail[unit.len()..];
    }
    Ok(Duration::from_millis(total_ms))
}

/// Parses a duration that must be greater than zero (a timeout).
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(d)
}

/// A duration as a short human text: `2d 3h`, `5m 10s`, `850ms`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return match d.subsec_millis() {
            0 => "0s".to_owned(),
            ms => format!("{ms}ms"),
        };
    }
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_negative_and_malformed() {
        assert_eq!(
            parse_duration("-5m"),
            Err("negative durations are not allowed".into())
        );
        for bad in ["", "5", "m", "5x", "1.5h", "99999999999999999999d", "5m-"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_positive("0s").is_err());
    }

    #[test]
    fn prints_short_text() {
        assert_eq!(human(Duration::from_secs(93_784)), "1d 2h");
        assert_eq!(human(Duration::from_secs(310)), "5m 10s");
        assert_eq!(human(Duration::from_secs(3600)), "1h");
        assert_eq!(human(Duration::from_millis(850)), "850ms");
        assert_eq!(human(Duration::ZERO), "0s");
    }
}
