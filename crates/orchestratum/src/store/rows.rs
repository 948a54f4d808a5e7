//! Rows to values, once for every backend. The backends differ only in how a column is spelled
//! on disk (an id as text or `uuid`, a time as text or `timestamptz`, a timeout as text,
//! `interval` or `TIME`): that is [`Columns`], implemented by each backend for its row type.
//! Every mapping from a row to a value the store returns is written here, against it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::admin::SummaryGroup;
use super::{AppliedMigration, CancelRequest, ClaimedCommand, RenewedLease};
use crate::attempt::{Attempt, AttemptOutcome};
use crate::error::{Error, Result};
use crate::record::{CommandRecord, FailureKind};
use crate::worker::{self, Unhandled, WorkerInfo};

/// Typed reads of one row's columns, as one backend stores them.
pub(crate) trait Columns {
    /// A text column.
    fn text(&self, column: &'static str) -> Result<String>;
    /// A nullable text column.
    fn opt_text(&self, column: &'static str) -> Result<Option<String>>;
    /// A 32-bit integer column.
    fn int(&self, column: &'static str) -> Result<i32>;
    /// A small integer column (`priority`, `unique_states`).
    fn small(&self, column: &'static str) -> Result<i16>;
    /// A 64-bit integer column (or expression).
    fn big(&self, column: &'static str) -> Result<i64>;
    /// A nullable 32-bit integer column.
    fn opt_int(&self, column: &'static str) -> Result<Option<i32>>;
    /// A nullable floating-point expression.
    fn opt_float(&self, column: &'static str) -> Result<Option<f64>>;
    /// A boolean column (or expression).
    fn flag(&self, column: &'static str) -> Result<bool>;
    /// A nullable boolean expression.
    fn opt_flag(&self, column: &'static str) -> Result<Option<bool>>;
    /// An id column.
    fn uuid(&self, column: &'static str) -> Result<Uuid>;
    /// A nullable id column.
    fn opt_uuid(&self, column: &'static str) -> Result<Option<Uuid>>;
    /// A timestamp column, in UTC.
    fn time(&self, column: &'static str) -> Result<DateTime<Utc>>;
    /// A nullable timestamp column, in UTC.
    fn opt_time(&self, column: &'static str) -> Result<Option<DateTime<Utc>>>;
    /// A stored duration (the `timeout` column).
    fn span(&self, column: &'static str) -> Result<Duration>;
}

/// Implements the [`Columns`] reads a backend's driver decodes natively; the backend writes
/// the others (ids, times, durations) itself.
macro_rules! native_columns {
    () => {
        fn text(&self, column: &'static str) -> crate::error::Result<String> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn opt_text(&self, column: &'static str) -> crate::error::Result<Option<String>> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn int(&self, column: &'static str) -> crate::error::Result<i32> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn small(&self, column: &'static str) -> crate::error::Result<i16> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn big(&self, column: &'static str) -> crate::error::Result<i64> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn opt_int(&self, column: &'static str) -> crate::error::Result<Option<i32>> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn opt_float(&self, column: &'static str) -> crate::error::Result<Option<f64>> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn flag(&self, column: &'static str) -> crate::error::Result<bool> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
        fn opt_flag(&self, column: &'static str) -> crate::error::Result<Option<bool>> {
            Ok(sqlx::Row::try_get(self, column)?)
        }
    };
}
pub(crate) use native_columns;

/// Parses an id stored as text (SQLite, MySQL).
#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub(crate) fn parse_uuid(column: &'static str, text: &str) -> Result<Uuid> {
    use std::str::FromStr as _;
    Uuid::from_str(text).map_err(|e| Error::Corrupt {
        column,
        reason: format!("{text:?} is not a UUID: {e}"),
    })
}

/// A whole command row (`get.sql`, `list.sql` and the other statements that select every column).
pub(crate) fn record(r: &impl Columns) -> Result<CommandRecord> {
    Ok(CommandRecord {
        id: r.uuid("id")?,
        target: r.text("target")?,
        name: r.text("name")?,
        input: r.opt_text("input")?,
        output: r.opt_text("output")?,
        scheduled_at: r.time("scheduled_at")?,
        timeout: r.span("timeout")?,
        is_running: r.flag("is_running")?,
        running_at: r.opt_time("running_at")?,
        run_expires_at: r.opt_time("run_expires_at")?,
        is_completed: r.flag("is_completed")?,
        completed_at: r.opt_time("completed_at")?,
        is_canceled: r.flag("is_canceled")?,
        canceled_at: r.opt_time("canceled_at")?,
        retries_left: r.int("retries_left")?,
        is_failed: r.flag("is_failed")?,
        failed_at: r.opt_time("failed_at")?,
        attempt: r.int("attempt")?,
        last_error: r.opt_text("last_error")?,
        last_outcome: r
            .opt_text("last_outcome")?
            .as_deref()
            .and_then(FailureKind::parse),
        parent_id: r.opt_uuid("parent_id")?,
        worker_id: r.opt_uuid("worker_id")?,
        cancel_requested_at: r.opt_time("cancel_requested_at")?,
        priority: r.small("priority")?,
        unique_key: r.opt_text("unique_key")?,
        unique_over: crate::push::unique_states_of(r.small("unique_states")?),
        workflow_id: r.opt_uuid("workflow_id")?,
        read_at: r.time("read_at")?,
    })
}

/// A row a claim leased.
pub(crate) fn claimed(r: &impl Columns) -> Result<ClaimedCommand> {
    Ok(ClaimedCommand {
        id: r.uuid("id")?,
        name: r.text("name")?,
        input: r.opt_text("input")?.unwrap_or_else(|| "null".into()),
        timeout: r.span("timeout")?,
        retries_left: r.int("retries_left")?,
        attempt: r.int("attempt")?,
        lease_token: r.uuid("lease_token")?,
        cancel_requested: r.flag("cancel_requested")?,
        workflow_id: r.opt_uuid("workflow_id")?,
        // Zero for a command claimed before its due time (to finish a cancel).
        queue_wait: Duration::from_micros(u64::try_from(r.big("queue_wait_us")?).unwrap_or(0)),
    })
}

/// A lease a renewal extended.
pub(crate) fn renewed(r: &impl Columns) -> Result<RenewedLease> {
    Ok(RenewedLease {
        id: r.uuid("id")?,
        cancel_requested: r.flag("cancel_requested")?,
    })
}

/// What a cancel request found.
pub(crate) fn cancel_request(r: &impl Columns) -> Result<CancelRequest> {
    Ok(CancelRequest {
        name: r.text("name")?,
        attempt: r.int("attempt")?,
        running: r.opt_flag("running")?.unwrap_or(false),
    })
}

/// The deletion check of one command.
pub(crate) fn delete_check(r: &impl Columns) -> Result<super::search::DeleteCheck> {
    Ok(super::search::DeleteCheck {
        running: r.opt_flag("running")?.unwrap_or(false),
        waited_on: r.big("waited_on")?,
        waiting_on: r.big("waiting_on")?,
    })
}

/// An attempt row, its stored outcome checked.
pub(crate) fn attempt(r: &impl Columns) -> Result<Attempt> {
    let outcome = r.text("outcome")?;
    let outcome = AttemptOutcome::parse(&outcome).ok_or_else(|| Error::Corrupt {
        column: "outcome",
        reason: format!("unknown attempt outcome `{outcome}`"),
    })?;
    Ok(Attempt {
        attempt: r.int("attempt")?,
        worker_id: r.opt_uuid("worker_id")?,
        started_at: r.opt_time("started_at")?,
        ended_at: Some(r.time("ended_at")?),
        outcome,
        error: r.opt_text("error")?,
    })
}

/// A registered worker.
pub(crate) fn worker(r: &impl Columns) -> Result<WorkerInfo> {
    worker::info(
        r.uuid("worker_id")?,
        r.text("instance_key")?,
        r.text("host")?,
        r.big("pid")?,
        r.text("version")?,
        &r.text("names")?,
        r.big("max_command_pull")?,
        r.big("lease_ms")?,
        r.time("started_at")?,
        r.time("heartbeat_at")?,
        r.big("in_flight")?,
        r.flag("alive")?,
    )
}

/// A group of commands no live worker handles.
pub(crate) fn unhandled(r: &impl Columns) -> Result<Unhandled> {
    Ok(Unhandled {
        target: r.text("target")?,
        name: r.text("name")?,
        waiting: r.big("waiting")?,
        oldest_due: r.time("oldest_due")?,
    })
}

/// A recorded migration.
pub(crate) fn applied_migration(r: &impl Columns) -> Result<AppliedMigration> {
    Ok(AppliedMigration {
        version: r.big("version")?,
        description: r.text("description")?,
        applied_at: r.time("applied_at")?,
    })
}

/// One (name, target, state) group of the summary.
pub(crate) fn summary_group(r: &impl Columns) -> Result<SummaryGroup> {
    Ok(SummaryGroup {
        name: r.text("name")?,
        target: r.text("target")?,
        state: r.text("state")?,
        count: r.big("n")?,
        oldest_secs: r.opt_float("oldest_secs")?,
        lapsed: r.big("lapsed")?,
    })
}

/// Maps every row with `f`.
pub(crate) fn all<R, T>(rows: &[R], f: impl Fn(&R) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}
