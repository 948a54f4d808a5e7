//! Per-minute outcome counts (`{prefix}stats`, decision 0018): what a flush adds and what a
//! read returns, on every backend.

use chrono::{DateTime, Utc};

use super::Store;
use super::rows::Columns;
use crate::error::{Error, Result};

/// One key's counts added by a flush.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsDelta {
    /// Minutes since the Unix epoch (UTC).
    pub minute: i64,
    /// Stored command name.
    pub name: String,
    /// `completed`, `retried`, `failed` or `canceled`.
    pub outcome: &'static str,
    /// Outcomes to add.
    pub count: i64,
    /// Handler run time to add, in microseconds.
    pub run_us: i64,
}

/// A stored bucket: how many outcomes of one kind one command name had in one minute.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatsBucket {
    /// The minute's start (UTC, by the clocks of the workers that counted).
    pub minute: DateTime<Utc>,
    /// Stored command name.
    pub name: String,
    /// What the outcomes were.
    pub outcome: crate::stats::StatsOutcome,
    /// How many.
    pub count: u64,
    /// The handlers' total run time over those outcomes, in microseconds (0 for outcomes no
    /// handler ran for, such as a cancel before the run).
    pub run_us: u64,
}

/// A row of `stats.sql`, on every backend.
pub(crate) fn bucket(r: &impl Columns) -> Result<StatsBucket> {
    let minute = r.big("minute")?;
    let outcome = r.text("outcome")?;
    let corrupt = |column, reason: String| Error::Corrupt { column, reason };
    Ok(StatsBucket {
        minute: minute
            .checked_mul(60)
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| corrupt("minute", format!("out of range: {minute}")))?,
        name: r.text("name")?,
        outcome: crate::stats::StatsOutcome::parse(&outcome)
            .ok_or_else(|| corrupt("outcome", format!("unknown outcome {outcome:?}")))?,
        count: u64::try_from(r.big("n")?).unwrap_or(0),
        run_us: u64::try_from(r.big("run_us")?).unwrap_or(0),
    })
}

impl Store {
    /// Adds counts to their buckets in one statement (creating the buckets missing).
    pub async fn add_stats(&self, deltas: &[StatsDelta]) -> Result<()> {
        if deltas.is_empty() {
            return Ok(());
        }
        dispatch!(self, s => s.add_stats(deltas).await)
    }

    /// The buckets from `minute` (minutes since the epoch) on, of `name` only if given,
    /// oldest first.
    pub async fn stats(&self, minute: i64, name: Option<&str>) -> Result<Vec<StatsBucket>> {
        dispatch!(self, s => s.stats(minute, name).await)
    }

    /// Deletes the buckets older than `minute`; how many.
    pub async fn prune_stats(&self, minute: i64) -> Result<u64> {
        dispatch!(self, s => s.prune_stats(minute).await)
    }
}
