//! `Backoff`: ready retry policies (none, constant, exponential with a cap and jitter), for a
//! command type's `retry_delay` or as an instance-wide default (`Builder::retry_backoff`).

use std::time::Duration;

/// How long to wait before each retry.
///
/// ```
/// use std::time::Duration;
/// use orchestratum::Backoff;
///
/// let backoff = Backoff::exponential(Duration::from_secs(1)).max(Duration::from_secs(60));
/// assert_eq!(backoff.delay(1), Duration::from_secs(1));
/// assert_eq!(backoff.delay(3), Duration::from_secs(4));
/// assert_eq!(backoff.delay(20), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    base: Duration,
    factor: u32,
    max: Duration,
    jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::NONE
    }
}

impl Backoff {
    /// Retry at once: the reference's behaviour, and the default.
    pub const NONE: Backoff = Backoff {
        base: Duration::ZERO,
        factor: 1,
        max: Duration::MAX,
        jitter: 0.0,
    };

    /// The same wait before every retry.
    pub const fn constant(wait: Duration) -> Self {
        Self {
            base: wait,
            factor: 1,
            max: Duration::MAX,
            jitter: 0.0,
        }
    }

    /// `base` before the first retry, doubling before each next one (at most an hour unless
    /// [`Backoff::max`] says otherwise).
    pub const fn exponential(base: Duration) -> Self {
        Self {
            base,
            factor: 2,
            max: Duration::from_secs(3600),
            jitter: 0.0,
        }
    }

    /// Never waits longer than `cap` (before jitter).
    pub const fn max(mut self, cap: Duration) -> Self {
        self.max = cap;
        self
    }

    /// Spreads each wait at random by up to `fraction` of it either way (clamped to 0–1), so
    /// commands that failed together do not all retry at the same instant.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// The wait before retry `attempt` (1 for the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1);
        let grown = self
            .factor
            .checked_pow(doublings)
            .and_then(|f| self.base.checked_mul(f))
            .unwrap_or(Duration::MAX);
        let capped = grown.min(self.max);
        if self.jitter == 0.0 || capped.is_zero() {
            return capped;
        }
        // A factor in [1 - jitter, 1 + jitter].
        let spread = 1.0 + self.jitter * (2.0 * fastrand::f64() - 1.0);
        Duration::try_from_secs_f64(capped.as_secs_f64() * spread).unwrap_or(capped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_and_constant() {
        assert_eq!(Backoff::NONE.delay(1), Duration::ZERO);
        assert_eq!(Backoff::NONE.delay(9), Duration::ZERO);
        let c = Backoff::constant(Duration::from_millis(300));
        assert_eq!(c.delay(1), Duration::from_millis(300));
        assert_eq!(c.delay(50), Duration::from_millis(300));
    }

    #[test]
    fn exponential_doubles_up_to_its_cap_without_overflow() {
        let b = Backoff::exponential(Duration::from_millis(100)).max(Duration::from_secs(10));
        let delays: Vec<_> = (1..=5).map(|a| b.delay(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600]);
        assert_eq!(b.delay(8), Duration::from_secs(10));
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(10));
        assert_eq!(
            Backoff::exponential(Duration::from_secs(1)).delay(100),
            Duration::from_secs(3600)
        );
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        let b = Backoff::constant(Duration::from_secs(10)).jitter(0.2);
        for _ in 0..1000 {
            let d = b.delay(1);
            assert!(
                d >= Duration::from_secs(8) && d <= Duration::from_secs(12),
                "{d:?}"
            );
        }
        assert_eq!(
            Backoff::constant(Duration::from_secs(1))
                .jitter(f64::NAN)
                .delay(1),
            Duration::from_secs(1)
        );
    }
}
