//! `Retention`: how long finished commands are kept before the workers delete them.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::record::State;
use crate::store::{MAX_DURATION, PRUNE_BATCH_DEFAULT};

/// How often a worker looks for expired rows by default; each look is jittered by ±50 %.
pub const RETENTION_INTERVAL_DEFAULT: Duration = Duration::from_secs(60);

/// How long finished commands (and their attempt rows) are kept, per final state. Off unless
/// set, as in the reference, which keeps every row: a state without an age is never deleted.
///
/// Every started instance deletes expired rows in batches of at most [`Retention::batch`] rows,
/// at a jittered interval, so no leader is needed and several instances share the work.
///
/// ```
/// # use std::time::Duration;
/// use orchestratum::Retention;
/// let keep = Retention::new()
///     .completed(Duration::from_secs(24 * 3600))
///     .failed(Duration::from_secs(30 * 24 * 3600))
///     .canceled(Duration::from_secs(7 * 24 * 3600));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    completed: Option<Duration>,
    failed: Option<Duration>,
    canceled: Option<Duration>,
    interval: Duration,
    batch: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            completed: None,
            failed: None,
            canceled: None,
            interval: RETENTION_INTERVAL_DEFAULT,
            batch: PRUNE_BATCH_DEFAULT,
        }
    }
}

impl Retention {
    /// Keeps every row: set an age per final state to delete older ones.
    pub fn new() -> Self {
        Self::default()
    }

    /// Deletes completed commands that completed more than `age` ago.
    pub fn completed(mut self, age: Duration) -> Self {
        self.completed = Some(age);
        self
    }

    /// Deletes failed commands that failed more than `age` ago.
    pub fn failed(mut self, age: Duration) -> Self {
        self.failed = Some(age);
        self
    }

    /// Deletes canceled commands that were canceled more than `age` ago.
    pub fn canceled(mut self, age: Duration) -> Self {
        self.canceled = Some(age);
        self
    }

    /// How often each worker looks for expired rows (default 60 s, jittered by ±50 %).
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Most rows one delete statement removes (default [`PRUNE_BATCH_DEFAULT`]); a look goes
    /// on, batch after batch, until a batch comes back short.
    pub fn batch(mut self, rows: usize) -> Self {
        self.batch = rows;
        self
    }

    /// The age kept per final state, for the states that have one.
    pub(crate) fn rules(&self) -> impl Iterator<Item = (State, Duration)> + '_ {
        [
            (State::Completed, self.completed),
            (State::Failed, self.failed),
            (State::Canceled, self.canceled),
        ]
        .into_iter()
        .filter_map(|(state, age)| Some((state, age?)))
    }

    /// True when no state has an age: nothing is ever deleted.
    pub(crate) fn is_off(&self) -> bool {
        self.rules().next().is_none()
    }

    pub(crate) fn interval(&self) -> Duration {
        self.interval
    }

    pub(crate) fn batch_size(&self) -> usize {
        self.batch
    }

    /// Refuses values no worker could act on.
    pub(crate) fn check(&self) -> Result<()> {
        let invalid = |reason: String| {
            Err(Error::InvalidConfig {
                option: "retention",
                reason,
            })
        };
        if self.interval.is_zero() || self.interval > MAX_DURATION {
            return invalid(format!(
                "interval must be above zero and at most 100 years, got {:?}",
                self.interval
            ));
        }
        if self.batch == 0 {
            return invalid("batch must be at least 1 row".into());
        }
        if let Some((state, age)) = self.rules().find(|(_, age)| *age > MAX_DURATION) {
            return invalid(format!(
                "age of {} commands must be at most 100 years, got {age:?}",
                state.as_str()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_unless_a_state_has_an_age() {
        assert!(Retention::new().is_off());
        let r = Retention::new().failed(Duration::from_secs(5));
        assert!(!r.is_off());
        assert_eq!(
            r.rules().collect::<Vec<_>>(),
            vec![(State::Failed, Duration::from_secs(5))]
        );
    }

    #[test]
    fn values_no_worker_could_use_are_refused() {
        for bad in [
            Retention::new()
                .completed(Duration::ZERO)
                .every(Duration::ZERO),
            Retention::new().completed(Duration::ZERO).batch(0),
            Retention::new().canceled(MAX_DURATION + Duration::from_secs(1)),
        ] {
            let error = bad.check().unwrap_err().to_string();
            assert!(error.contains("retention"), "{error}");
        }
        assert!(Retention::new().completed(Duration::ZERO).check().is_ok());
    }
}
