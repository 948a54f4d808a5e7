//! SQLite stores instants and durations as text, the way EF Core's SQLite provider does:
//! instants as `YYYY-MM-DD HH:MM:SS.fff+00:00`, durations as .NET `TimeSpan` text
//! (`[d.]hh:mm:ss[.ffffff]`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::error::{Error, Result};

/// Reads a non-null instant column.
pub(super) fn time(row: &SqliteRow, column: &'static str) -> Result<DateTime<Utc>> {
    parse_time(column, &row.try_get::<String, _>(column)?)
}

/// Reads a nullable instant column.
pub(super) fn opt_time(row: &SqliteRow, column: &'static str) -> Result<Option<DateTime<Utc>>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| parse_time(column, &text))
        .transpose()
}

fn parse_time(column: &'static str, text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Corrupt {
            column,
            reason: format!("{text:?} is not a timestamp: {e}"),
        })
}

/// Formats an instant the way the statements store it, so text comparison compares instants.
pub(super) fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f+00:00").to_string()
}

/// Formats a duration as .NET `TimeSpan` text.
pub(super) fn format_timespan(d: Duration) -> String {
    let secs = d.as_secs();
    let (days, hours, minutes, seconds) =
        (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let micros = d.subsec_micros();
    let mut out = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
    if micros > 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out
}

/// Parses .NET `TimeSpan` text (`[d.]hh:mm:ss[.fffffff]`).
pub(super) fn parse_timespan(text: &str) -> Result<Duration> {
    let corrupt = || Error::Corrupt {
        column: "timeout",
        reason: format!("{text:?} is not a TimeSpan"),
    };
    let (clock, fraction) = match text.rsplit_once('.') {
        // A dot after the last colon is the fraction; one before it separates the days.
        Some((head, frac)) if !frac.contains(':') => (head, Some(frac)),
        _ => (text, None),
    };
    let (days, clock) = match clock.split_once('.') {
        Some((d, rest)) => (d.parse::<u64>().map_err(|_| corrupt())?, rest),
        None => (0, clock),
    };
    let parts: Vec<u64> = clock
        .split(':')
        .map(|p| p.parse::<u64>().map_err(|_| corrupt()))
        .collect::<Result<_>>()?;
    let [h, m, s] = parts[..] else {
        return Err(corrupt());
    };
    let nanos = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{f:0<9}").parse::<u32>().map_err(|_| corrupt())?
        }
        Some(_) => return Err(corrupt()),
    };
    Ok(Duration::new(days * 86_400 + h * 3600 + m * 60 + s, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespan_round_trips() {
        for d in [
            Duration::from_secs(5),
            Duration::from_millis(1500),
            Duration::from_secs(3 * 86_400 + 3661),
            Duration::from_micros(1),
        ] {
            assert_eq!(
                parse_timespan(&format_timespan(d)).unwrap(),
                d,
                "{}",
                format_timespan(d)
            );
        }
        assert_eq!(format_timespan(Duration::from_secs(600)), "00:10:00");
    }

    #[test]
    fn reads_dotnet_timespans() {
        assert_eq!(parse_timespan("00:00:05").unwrap(), Duration::from_secs(5));
        assert_eq!(
            parse_timespan("1.02:00:00.5").unwrap(),
            Duration::from_secs(93_600) + Duration::from_millis(500)
        );
        assert_eq!(
            parse_timespan("00:00:00.1234567").unwrap(),
            Duration::from_nanos(123_456_700)
        );
        for bad in ["", "5", "aa:bb:cc", "00:00:05.x", "1.2.3"] {
            assert!(parse_timespan(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reads_times_with_and_without_fraction() {
        let a = parse_time("t", "2026-11-28 02:04:03.123+00:00").unwrap();
        let b = parse_time("t", "2026-11-28 02:04:03+00:00").unwrap();
        assert_eq!((a - b).num_milliseconds(), 123);
        assert!(parse_time("t", "yesterday").is_err());
    }
}
