//! Per-minute outcome counts that survive pruning: each instance counts the outcomes it writes
//! (completed, retried, failed, canceled; by command name) in memory and adds them to the
//! `{prefix}stats` table with one upsert every few seconds and at shutdown, never on the path
//! of an outcome. Buckets older than the retention are deleted by every started instance.
//! See decision 0018.
//!
//! ```
//! # use std::time::Duration;
//! use orchestratum::Stats;
//! let stats = Stats::new()
//!     .flush_every(Duration::from_secs(10))
//!     .keep(Duration::from_secs(30 * 24 * 3600));
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::store::{MAX_DURATION, StatsDelta, Store};

pub use crate::store::StatsBucket;

/// How often an instance adds its counts to the table by default.
pub const STATS_FLUSH_DEFAULT: Duration = Duration::from_secs(5);
/// How long buckets are kept by default: a week of per-minute history.
pub const STATS_RETENTION_DEFAULT: Duration = Duration::from_secs(7 * 24 * 3600);
/// How often an instance deletes expired buckets by default (jittered by ±50 %).
pub const STATS_PRUNE_DEFAULT: Duration = Duration::from_secs(3600);
/// Longest flush interval: the buckets are per minute, and a dashboard reads the last ones.
pub const STATS_FLUSH_MAX: Duration = Duration::from_secs(60);
/// Most keys (minute, name, outcome) kept in memory while flushes fail; past it the oldest
/// minutes are dropped (and counted in a warning), so a database down for hours costs a
/// bounded amount of memory.
pub const STATS_KEPT_MAX: usize = 10_000;
/// Longest name a bucket holds (the MySQL key is a `varchar(255)`); longer ones are cut.
const NAME_MAX: usize = 255;
/// Most keys one upsert statement carries.
const KEYS_PER_STATEMENT: usize = 1_000;

/// What the counted outcomes were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatsOutcome {
    /// The command completed.
    Completed,
    /// A run failed and the command was made pending again.
    Retried,
    /// The command failed for good (retries used up, a lapsed lease with none left, or an
    /// outcome the database refused).
    Failed,
    /// The command was canceled by the instance that ran it or by a client's `cancel`.
    Canceled,
}

impl StatsOutcome {
    /// Every outcome, in the order the CLI shows them.
    pub const ALL: [StatsOutcome; 4] = [
        StatsOutcome::Completed,
        StatsOutcome::Retried,
        StatsOutcome::Failed,
        StatsOutcome::Canceled,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            StatsOutcome::Completed => "completed",
            StatsOutcome::Retried => "retried",
            StatsOutcome::Failed => "failed",
            StatsOutcome::Canceled => "canceled",
        }
    }

    /// The outcome stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// How an instance keeps its per-minute stats: on by default, flushed every
/// [`STATS_FLUSH_DEFAULT`], kept [`STATS_RETENTION_DEFAULT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    on: bool,
    flush_every: Duration,
    keep: Duration,
    prune_every: Duration,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            on: true,
            flush_every: STATS_FLUSH_DEFAULT,
            keep: STATS_RETENTION_DEFAULT,
            prune_every: STATS_PRUNE_DEFAULT,
        }
    }
}

impl Stats {
    /// The defaults: counted, flushed every 5 s, kept 7 days.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts nothing and writes nothing (the table stays as other instances leave it).
    pub fn off() -> Self {
        Self {
            on: false,
            ..Self::default()
        }
    }

    /// How often the counts are added to the table (above zero, at most a minute).
    pub fn flush_every(mut self, every: Duration) -> Self {
        self.flush_every = every;
        self
    }

    /// How long buckets are kept before started instances delete them (at least a minute).
    pub fn keep(mut self, age: Duration) -> Self {
        self.keep = age;
        self
    }

    /// How often each started instance deletes expired buckets (default 1 h, jittered by
    /// ±50 %; also once when it starts).
    pub fn prune_every(mut self, every: Duration) -> Self {
        self.prune_every = every;
        self
    }

    /// Whether outcomes are counted.
    pub fn is_on(&self) -> bool {
        self.on
    }

    pub(crate) fn flush_interval(&self) -> Duration {
        self.flush_every
    }

    pub(crate) fn prune_interval(&self) -> Duration {
        self.prune_every
    }

    /// The oldest minute kept now.
    pub(crate) fn oldest_kept(&self) -> i64 {
        minute_of(
            SystemTime::now()
                .checked_sub(self.keep)
                .unwrap_or(UNIX_EPOCH),
        )
    }

    /// Refuses values no instance could act on.
    pub(crate) fn check(&self) -> Result<()> {
        let invalid = |reason: String| {
            Err(Error::InvalidConfig {
                option: "stats",
                reason,
            })
        };
        if self.flush_every.is_zero() || self.flush_every > STATS_FLUSH_MAX {
            return invalid(format!(
                "flush interval must be above zero and at most 60 s, got {:?}",
                self.flush_every
            ));
        }
        if self.keep < Duration::from_secs(60) || self.keep > MAX_DURATION {
            return invalid(format!(
                "retention must be at least a minute and at most 100 years, got {:?}",
                self.keep
            ));
        }
        if self.prune_every.is_zero() || self.prune_every > MAX_DURATION {
            return invalid(format!(
                "prune interval must be above zero and at most 100 years, got {:?}",
                self.prune_every
            ));
        }
        Ok(())
    }
}

/// Minutes since the Unix epoch at `t` (0 before it).
pub(crate) fn minute_of(t: SystemTime) -> i64 {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(secs / 60).unwrap_or(i64::MAX)
}

/// Counts and run time of one key.
#[derive(Debug, Default, Clone, Copy)]
struct Sum {
    count: u64,
    run_us: u64,
}

/// Counts by minute and outcome, then by name: a lookup by `&str` needs no allocation, so an
/// outcome of a name already counted this minute costs a lock and two hash lookups.
type Counts = HashMap<(i64, StatsOutcome), HashMap<String, Sum>>;

/// This instance's counts not yet in the table.
#[derive(Default)]
pub(crate) struct Tally {
    counts: Mutex<Counts>,
    /// A started instance flushes periodically; a client alone flushes after each count.
    periodic: AtomicBool,
    /// Counts dropped because flushes kept failing past [`STATS_KEPT_MAX`] keys.
    dropped: AtomicU64,
}

impl Tally {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one outcome of `name` now, with the handler's run time.
    pub fn record(&self, name: &str, outcome: StatsOutcome, run: Duration) {
        let minute = minute_of(SystemTime::now());
        let run_us = u64::try_from(run.as_micros()).unwrap_or(u64::MAX);
        let mut counts = self.lock();
        let by_name = counts.entry((minute, outcome)).or_default();
        let sum = match by_name.get_mut(name) {
            Some(sum) => sum,
            None => by_name.entry(cut(name)).or_default(),
        };
        sum.count += 1;
        sum.run_us = sum.run_us.saturating_add(run_us);
    }

    /// Whether a started instance flushes these counts periodically.
    pub fn set_periodic(&self, on: bool) {
        self.periodic.store(on, Ordering::Release);
    }

    pub fn is_periodic(&self) -> bool {
        self.periodic.load(Ordering::Acquire)
    }

    /// Adds every count held to the table, each statement bounded by `timeout`; returns how
    /// many keys were written. Counts a failed statement carried are kept for the next flush.
    pub async fn flush(&self, store: &Store, timeout: Duration) -> Result<usize> {
        let taken = std::mem::take(&mut *self.lock());
        let mut deltas: Vec<StatsDelta> = taken
            .into_iter()
            .flat_map(|((minute, outcome), by_name)| {
                by_name.into_iter().map(move |(name, sum)| StatsDelta {
                    minute,
                    name,
                    outcome: outcome.as_str(),
                    count: i64::try_from(sum.count).unwrap_or(i64::MAX),
                    run_us: i64::try_from(sum.run_us).unwrap_or(i64::MAX),
                })
            })
            .collect();
        // One key order for every instance: concurrent flushes lock the rows they share in
        // the same order and cannot deadlock on each other.
        deltas.sort_by(|a, b| (a.minute, &a.name, a.outcome).cmp(&(b.minute, &b.name, b.outcome)));
        let mut written = 0;
        for (i, chunk) in deltas.chunks(KEYS_PER_STATEMENT).enumerate() {
            let added = tokio::time::timeout(timeout, store.add_stats(chunk))
                .await
                .unwrap_or(Err(Error::TimedOut("writing stats")));
            if let Err(error) = added {
                self.restore(&deltas[i * KEYS_PER_STATEMENT..]);
                return Err(error);
            }
            written += chunk.len();
        }
        Ok(written)
    }

    /// Puts counts back after a failed flush, dropping the oldest minutes past the bound.
    fn restore(&self, deltas: &[StatsDelta]) {
        let mut counts = self.lock();
        for d in deltas {
            let Some(outcome) = StatsOutcome::parse(d.outcome) else {
                continue;
            };
            let sum = counts
                .entry((d.minute, outcome))
                .or_default()
                .entry(d.name.clone())
                .or_default();
            sum.count = sum
                .count
                .saturating_add(u64::try_from(d.count).unwrap_or(0));
            sum.run_us = sum
                .run_us
                .saturating_add(u64::try_from(d.run_us).unwrap_or(0));
        }
        let mut keys: usize = counts.values().map(HashMap::len).sum();
        if keys <= STATS_KEPT_MAX {
            return;
        }
        let mut minutes: Vec<(i64, StatsOutcome)> = counts.keys().copied().collect();
        minutes.sort();
        let mut dropped = 0u64;
        for key in minutes {
            if keys <= STATS_KEPT_MAX {
                break;
            }
            if let Some(by_name) = counts.remove(&key) {
                keys -= by_name.len();
                dropped += by_name.values().map(|s| s.count).sum::<u64>();
            }
        }
        self.dropped.fetch_add(dropped, Ordering::Relaxed);
        tracing::warn!(
            dropped,
            kept = keys,
            "stats flushes keep failing: dropped the counts of the oldest minutes"
        );
    }

    /// Counts dropped so far because flushes kept failing.
    #[cfg(test)]
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// How many keys are waiting for a flush.
    pub fn pending(&self) -> usize {
        self.lock().values().map(HashMap::len).sum()
    }
}

/// `name` cut to what a bucket holds.
fn cut(name: &str) -> String {
    match name.char_indices().nth(NAME_MAX) {
        Some((at, _)) => name[..at].to_owned(),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_minute_outcome_and_name() {
        let tally = Tally::default();
        tally.record("a", StatsOutcome::Completed, Duration::from_micros(5));
        tally.record("a", StatsOutcome::Completed, Duration::from_micros(7));
        tally.record("a", StatsOutcome::Failed, Duration::ZERO);
        tally.record("b", StatsOutcome::Completed, Duration::ZERO);
        let counts = tally.lock();
        let completed: u64 = counts
            .iter()
            .filter(|((_, o), _)| *o == StatsOutcome::Completed)
            .filter_map(|(_, by_name)| by_name.get("a"))
            .map(|s| s.count)
            .sum();
        assert_eq!(completed, 2);
        let keys: usize = counts.values().map(HashMap::len).sum();
        assert!((3..=6).contains(&keys), "{keys} keys");
    }

    #[test]
    fn restore_keeps_counts_and_drops_the_oldest_minutes_past_the_bound() {
        let tally = Tally::default();
        let delta = |minute, name: String| StatsDelta {
            minute,
            name,
            outcome: "completed",
            count: 2,
            run_us: 0,
        };
        tally.restore(&[delta(10, "x".into()), delta(10, "x".into())]);
        assert_eq!(tally.lock()[&(10, StatsOutcome::Completed)]["x"].count, 4);
        let many: Vec<_> = (0..STATS_KEPT_MAX)
            .map(|i| delta(20, format!("n{i}")))
            .collect();
        tally.restore(&many);
        assert_eq!(tally.pending(), STATS_KEPT_MAX);
        assert!(!tally.lock().contains_key(&(10, StatsOutcome::Completed)));
        assert_eq!(tally.dropped(), 4);
    }

    #[test]
    fn long_names_are_cut_on_a_character_boundary() {
        let long = "é".repeat(300);
        assert_eq!(cut(&long).chars().count(), NAME_MAX);
        assert_eq!(cut("short"), "short");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(Stats::new().check().is_ok());
        assert!(Stats::new().flush_every(Duration::ZERO).check().is_err());
        assert!(
            Stats::new()
                .flush_every(Duration::from_secs(61))
                .check()
                .is_err()
        );
        assert!(Stats::new().keep(Duration::from_secs(59)).check().is_err());
        assert!(Stats::new().prune_every(Duration::ZERO).check().is_err());
    }

    #[test]
    fn outcomes_round_trip_through_their_text() {
        for o in StatsOutcome::ALL {
            assert_eq!(StatsOutcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(StatsOutcome::parse("released"), None);
    }
}
