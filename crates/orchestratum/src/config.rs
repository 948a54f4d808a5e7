//! Worker and client settings, with the reference library's names and defaults.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::flow::ConcurrencyLimit;
use crate::retention::Retention;
use crate::retry::Backoff;
pub use crate::store::TablePrefix;
pub use crate::store::database_url::redact;

/// How often an idle worker looks for due commands when nothing woke it (reference default).
pub const POLLING_INTERVAL_DEFAULT: Duration = Duration::from_secs(5);
/// How long a claim holds without renewal (reference default); renewed every third of it.
pub const LOCK_TIMEOUT_BUFFER_DEFAULT: Duration = Duration::from_secs(10);
/// Commands claimed per cycle and the cap on commands in flight per instance (reference default).
pub const MAX_COMMAND_PULL_DEFAULT: usize = 100;
/// The instance key a worker claims for and a push targets by default (reference default).
pub const INSTANCE_KEY_DEFAULT: &str = "default";
/// Prefix of the commands table (reference default).
pub const TABLE_PREFIX_DEFAULT: &str = "ORCH_";
/// How long a handler may take to return after its token fired, at most (ours): the default
/// is this or an eighth of the lease, whichever is shorter.
pub const CANCEL_GRACE_DEFAULT: Duration = Duration::from_secs(1);
/// How long a due command may wait with no live worker that handles it before every worker
/// reports it (ours).
pub const UNHANDLED_AFTER_DEFAULT: Duration = Duration::from_secs(300);
/// Shortest timeout of a claim and a due-time query: a short lease must not make them give up
/// on a merely busy database.
const MIN_CLAIM_TIMEOUT: Duration = Duration::from_secs(1);
/// Shortest timeout of an outcome write: a large batch (or a large output) on a busy server can
/// take seconds, and giving up on it only starts it over.
const MIN_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Validated settings shared by the client and the worker runtime.
#[derive(Debug, Clone)]
pub struct Config {
    /// See [`POLLING_INTERVAL_DEFAULT`].
    pub polling_interval: Duration,
    /// See [`LOCK_TIMEOUT_BUFFER_DEFAULT`].
    pub lock_timeout_buffer: Duration,
    /// See [`MAX_COMMAND_PULL_DEFAULT`].
    pub max_command_pull: usize,
    /// See [`INSTANCE_KEY_DEFAULT`].
    pub instance_key: String,
    /// See [`TABLE_PREFIX_DEFAULT`].
    pub table_prefix: TablePrefix,
    /// See [`CANCEL_GRACE_DEFAULT`].
    pub cancel_grace: Duration,
    /// Wait before a retry of a command type whose `retry_delay` leaves it to the instance.
    pub retry_backoff: Backoff,
    /// See [`UNHANDLED_AFTER_DEFAULT`].
    pub unhandled_after: Duration,
    /// How long finished commands are kept before started instances delete them (default:
    /// forever).
    pub retention: Retention,
    /// How the per-minute stats are counted, flushed and kept (see [`crate::Stats`]).
    pub stats: crate::stats::Stats,
    /// Concurrency limits by stored command name (none by default).
    pub concurrency: BTreeMap<String, ConcurrencyLimit>,
}

impl Config {
    /// Checks every value and builds the configuration.
    pub fn new(
        polling_interval: Duration,
        lock_timeout_buffer: Duration,
        max_command_pull: usize,
        instance_key: String,
        table_prefix: &str,
        cancel_grace: Option<Duration>,
    ) -> Result<Self> {
        positive("polling_interval", polling_interval)?;
        positive("lock_timeout_buffer", lock_timeout_buffer)?;
        if lock_timeout_buffer < Duration::from_millis(100) {
            return Err(Error::InvalidConfig {
                option: "lock_timeout_buffer",
                reason: format!("must be at least 100ms, got {lock_timeout_buffer:?}"),
            });
        }
        if max_command_pull == 0 {
            return Err(Error::InvalidConfig {
                option: "max_command_pull",
                reason: "must be at least 1".into(),
            });
        }
        if instance_key.trim().is_empty() {
            return Err(Error::InvalidConfig {
                option: "instance_key",
                reason: "must not be empty".into(),
            });
        }
        let longest_grace = lock_timeout_buffer / 8;
        let cancel_grace = match cancel_grace {
            None => CANCEL_GRACE_DEFAULT.min(longest_grace),
            Some(grace) if grace > longest_grace => {
                return Err(Error::InvalidConfig {
                    option: "cancel_grace",
                    reason: format!(
                        "must be at most an eighth of lock_timeout_buffer ({longest_grace:?}), \
                         so a stopped run ends well before its lease can lapse; got {grace:?}"
                    ),
                });
            }
            Some(grace) => grace,
        };
        Ok(Self {
            polling_interval,
            lock_timeout_buffer,
            max_command_pull,
            instance_key,
            table_prefix: TablePrefix::new(table_prefix)?,
            cancel_grace,
            retry_backoff: Backoff::NONE,
            unhandled_after: UNHANDLED_AFTER_DEFAULT,
            retention: Retention::default(),
            stats: crate::stats::Stats::default(),
            concurrency: BTreeMap::new(),
        })
    }

    /// How often in-flight leases are renewed: every third of the lease (the reference renews
    /// every half), so that a renewal has a quarter lease to return before any run must stop
    /// (decision 0010).
    pub fn lease_renew_interval(&self) -> Duration {
        self.lock_timeout_buffer / 3
    }

    /// How long before its lease could lapse (by this process's clock) an unrenewed run's
    /// handler is dropped: a quarter of the lease. Its token fires `cancel_grace` earlier.
    pub fn lease_margin(&self) -> Duration {
        self.lock_timeout_buffer / 4
    }

    /// Longest wait for a lease renewal (and a heartbeat): a quarter of the lease, so that a
    /// renewal sent a third into the lease gives up, and is tried again, before any run must
    /// stop.
    pub fn renew_timeout(&self) -> Duration {
        self.lock_timeout_buffer / 4
    }

    /// Longest wait for a claim or a due-time query: half the lease (the rows a later claim
    /// returned would be close to lapsing), at least a second.
    pub fn claim_timeout(&self) -> Duration {
        (self.lock_timeout_buffer / 2).max(MIN_CLAIM_TIMEOUT)
    }

    /// First wait for an outcome write: the lease, at least ten seconds. A write that does not
    /// return in time is tried again with twice the wait (up to eight times it): it only stops
    /// a silent connection from holding the completer, never a slow write from finishing.
    pub fn write_timeout(&self) -> Duration {
        self.lock_timeout_buffer.max(MIN_WRITE_TIMEOUT)
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new(
            POLLING_INTERVAL_DEFAULT,
            LOCK_TIMEOUT_BUFFER_DEFAULT,
            MAX_COMMAND_PULL_DEFAULT,
            INSTANCE_KEY_DEFAULT.into(),
            TABLE_PREFIX_DEFAULT,
            None,
        )
        .expect("reference defaults are valid")
    }
}

fn positive(option: &'static str, value: Duration) -> Result<()> {
    if value.is_zero() {
        return Err(Error::InvalidConfig {
            option,
            reason: "must be greater than zero".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_reference_ones() {
        let c = Config::default();
        assert_eq!(c.polling_interval, Duration::from_secs(5));
        assert_eq!(c.lock_timeout_buffer, Duration::from_secs(10));
        assert_eq!(c.max_command_pull, 100);
        assert_eq!(c.instance_key, "default");
        assert_eq!(c.table_prefix.as_str(), "ORCH_");
        assert_eq!(c.lease_renew_interval(), Duration::from_secs(10) / 3);
        assert_eq!(c.cancel_grace, Duration::from_secs(1));
        assert_eq!(c.lease_margin(), Duration::from_millis(2500));
    }

    #[test]
    fn cancel_grace_stays_well_inside_the_lease() {
        let (poll, lease) = (Duration::from_secs(1), Duration::from_secs(2));
        let short = Config::new(poll, lease, 1, "k".into(), "P_", None).unwrap();
        assert_eq!(short.cancel_grace, Duration::from_millis(250));
        let given = Some(Duration::from_millis(100));
        let c = Config::new(poll, lease, 1, "k".into(), "P_", given).unwrap();
        assert_eq!(c.cancel_grace, Duration::from_millis(100));
        let too_long = Some(Duration::from_millis(300));
        assert!(matches!(
            Config::new(poll, lease, 1, "k".into(), "P_", too_long),
            Err(Error::InvalidConfig {
                option: "cancel_grace",
                ..
            })
        ));
    }

    #[test]
    fn rejects_zero_and_empty_values() {
        let d = Duration::from_secs(1);
        let bad = [
            Config::new(Duration::ZERO, d, 1, "k".into(), "P_", None),
            Config::new(d, Duration::ZERO, 1, "k".into(), "P_", None),
            Config::new(d, d, 0, "k".into(), "P_", None),
            Config::new(d, d, 1, " ".into(), "P_", None),
        ];
        for result in bad {
            assert!(
                matches!(result, Err(Error::InvalidConfig { .. })),
                "{result:?}"
            );
        }
        assert!(matches!(
            Config::new(d, d, 1, "k".into(), "bad-prefix", None),
            Err(Error::InvalidTablePrefix(_))
        ));
    }
}
