//! The schedules' operations on the store (see `crate::schedule`), dispatched to each backend's
//! `schedules.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Store;
use super::rows::Columns;
use crate::error::Result;
use crate::push::NewCommand;

/// A schedule's row as every backend stores it, read with the database's clock (part of the
/// store seam, no semver promise).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRow {
    /// Primary key.
    pub name: String,
    /// `cron` or `interval`.
    pub kind: String,
    /// The cron expression, or `@every <n>s|ms`.
    pub expression: String,
    /// IANA zone name.
    pub time_zone: String,
    /// `coalesce` or `skip`.
    pub misfire: String,
    /// Stored name of the command it pushes.
    pub command_name: String,
    /// Its input JSON.
    pub command_input: String,
    /// Its target.
    pub target: String,
    /// Its run timeout.
    pub timeout: Duration,
    /// Its retries.
    pub retries: i32,
    /// Its claim priority.
    pub priority: i16,
    /// Its own uniqueness key, if the schedule's push set one.
    pub unique_key: Option<String>,
    /// The finished states that key stays taken in (bitmask).
    pub unique_states: i16,
    /// The next due time.
    pub next_run_at: DateTime<Utc>,
    /// The last due time that pushed a command.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Paused for every instance.
    pub paused: bool,
    /// When an instance last had it in its code.
    pub registered_at: DateTime<Utc>,
    /// The database's clock when the row was read (ignored when registering).
    pub db_now: DateTime<Utc>,
}

impl ScheduleRow {
    /// The command a trigger pushes, with a fresh id.
    pub(crate) fn new_command(&self) -> NewCommand {
        NewCommand {
            id: uuid::Uuid::now_v7(),
            target: self.target.clone(),
            name: self.command_name.clone(),
            input: self.command_input.clone(),
            delay: Duration::ZERO,
            timeout: self.timeout,
            retries: self.retries,
            parent_id: None,
            priority: self.priority,
            unique_key: self.unique_key.clone(),
            unique_states: self.unique_states,
        }
    }

    /// The command the firing for due time `due` pushes. Unless the schedule's push has a key of
    /// its own, it is unique for (schedule, due time) in every state: a second line of defence
    /// behind the compare-and-swap, so no due time can ever be pushed twice. A schedule name
    /// too long for that key relies on the compare-and-swap alone.
    pub(crate) fn firing_command(&self, due: DateTime<Utc>) -> NewCommand {
        let mut command = self.new_command();
        if command.unique_key.is_none() {
            let key = format!(
                "orchestratum.schedule:{}@{}",
                self.name,
                due.timestamp_micros()
            );
            if key.chars().count() <= crate::push::UNIQUE_KEY_MAX_CHARS {
                command.unique_key = Some(key);
                command.unique_states = crate::push::unique_states_mask(&[
                    crate::State::Completed,
                    crate::State::Failed,
                    crate::State::Canceled,
                ]);
            }
        }
        command
    }
}

impl Store {
    /// Every schedule, by name.
    pub async fn schedules(&self) -> Result<Vec<ScheduleRow>> {
        dispatch!(self, s => s.schedules().await)
    }

    /// One schedule.
    pub async fn schedule(&self, name: &str) -> Result<Option<ScheduleRow>> {
        dispatch!(self, s => s.schedule(name).await)
    }

    /// The database's clock.
    pub async fn schedule_now(&self) -> Result<DateTime<Utc>> {
        dispatch!(self, s => s.schedule_now().await)
    }

    /// Upserts a schedule's definition; `row.next_run_at` is used only if the row is new or
    /// its definition changed.
    pub async fn register_schedule(&self, row: &ScheduleRow) -> Result<()> {
        dispatch!(self, s => s.register_schedule(row).await)
    }

    /// In one transaction: moves `name` from the due time `due` to `next` if it is still at
    /// `due` and not paused, and only then pushes `command` (due at `due`) and records `due`
    /// as the last run. True if this call moved it.
    pub async fn fire_schedule(
        &self,
        name: &str,
        due: DateTime<Utc>,
        next: DateTime<Utc>,
        command: Option<&NewCommand>,
    ) -> Result<bool> {
        dispatch!(self, s => s.fire_schedule(name, due, next, command).await)
    }

    /// Pauses a schedule; how many rows changed (0 also when it was already paused on MySQL).
    pub async fn pause_schedule(&self, name: &str) -> Result<u64> {
        dispatch!(self, s => s.pause_schedule(name).await)
    }

    /// Resumes a paused schedule at `next`; how many rows changed.
    pub async fn resume_schedule(&self, name: &str, next: DateTime<Utc>) -> Result<u64> {
        dispatch!(self, s => s.resume_schedule(name, next).await)
    }

    /// Records that an instance has this schedule in its code.
    pub async fn touch_schedule(&self, name: &str) -> Result<()> {
        dispatch!(self, s => s.touch_schedule(name).await)
    }
}

/// A stored count of microseconds as a duration (a negative one, never written, as zero).
pub(crate) fn duration_us(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// A schedule's row (`schedules.sql`, `schedule.sql`), on every backend.
pub(crate) fn schedule_row(r: &impl Columns) -> Result<ScheduleRow> {
    Ok(ScheduleRow {
        name: r.text("name")?,
        kind: r.text("kind")?,
        expression: r.text("expression")?,
        time_zone: r.text("time_zone")?,
        misfire: r.text("misfire")?,
        command_name: r.text("command_name")?,
        command_input: r.text("command_input")?,
        target: r.text("target")?,
        timeout: duration_us(r.big("timeout_us")?),
        retries: r.int("retries")?,
        priority: r.small("priority")?,
        unique_key: r.opt_text("unique_key")?,
        unique_states: r.small("unique_states")?,
        next_run_at: r.time("next_run_at")?,
        last_run_at: r.opt_time("last_run_at")?,
        paused: r.flag("paused")?,
        registered_at: r.time("registered_at")?,
        db_now: r.time("db_now")?,
    })
}
