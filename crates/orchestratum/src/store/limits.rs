//! The longest durations a backend stores, checked before any SQL: a push or a follow-up
//! that the database would refuse is a typed error at push or hook time, not a failed write.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::push::NewCommand;

/// Longest delay (and, but on MySQL, timeout) on every backend: 100 years of 365.25 days. Far
/// beyond any real schedule, and far inside every backend's timestamp and interval range.
pub const MAX_DURATION: Duration = Duration::from_secs(36_525 * 86_400);

/// What one backend can store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest run timeout.
    pub max_timeout: Duration,
    /// Longest delay before a command is due (a push's, or a retry's).
    pub max_delay: Duration,
    /// Why the timeout is capped where it is, for the error.
    pub timeout_reason: &'static str,
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl Limits {
    /// PostgreSQL's and SQLite's: [`MAX_DURATION`] for both.
    pub const DEFAULT: Limits = Limits {
        max_timeout: MAX_DURATION,
        max_delay: MAX_DURATION,
        timeout_reason: "timeouts are at most 100 years",
    };

    /// Checks the durations of a row to insert.
    pub fn check(&self, row: &NewCommand) -> Result<()> {
        if row.timeout > self.max_timeout {
            return Err(Error::InvalidDuration {
                what: "timeout",
                name: row.name.clone(),
                value: row.timeout,
                reason: self.timeout_reason,
            });
        }
        self.check_delay("delay", &row.name, row.delay)
    }

    /// Checks a delay (`what`: "delay" or "retry delay") of command `name`.
    pub fn check_delay(&self, what: &'static str, name: &str, delay: Duration) -> Result<()> {
        if delay > self.max_delay {
            return Err(Error::InvalidDuration {
                what,
                name: name.to_owned(),
                value: delay,
                reason: "delays are at most 100 years",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_past_the_limits_are_refused() {
        let limits = Limits::default();
        assert!(limits.check_delay("delay", "x", MAX_DURATION).is_ok());
        let err = limits
            .check_delay("retry delay", "x", MAX_DURATION + Duration::from_secs(1))
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidDuration {
                    what: "retry delay",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
