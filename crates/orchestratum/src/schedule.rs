//! Cron and interval schedules: a command pushed at each due time, exactly once whatever the
//! number of instances, with no leader.
//!
//! ```no_run
//! use orchestratum::schedule::{Misfire, Schedule};
//! use orchestratum::{Command, Orchestratum};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct ReportCommand { kind: String }
//! impl Command for ReportCommand { type Output = (); }
//!
//! # async fn run() -> orchestratum::Result<()> {
//! let nightly = Schedule::cron("nightly-report", "0 3 * * *")?
//!     .time_zone("Europe/Paris")?
//!     .misfire(Misfire::Skip)
//!     .command(ReportCommand { kind: "daily".into() })?;
//! let app = Orchestratum::builder()
//!     .database("sqlite://app.db?mode=rwc")
//!     .schedule(nightly)
//!     .start()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Each schedule is a row of `{prefix}schedules`, upserted by every instance that starts with
//! it. Each started instance runs a scheduler task for the schedules in its own code: it reads
//! the due ones by the database's clock and, for each, in one transaction, moves `next_run_at`
//! on with a compare-and-swap on its old value and pushes the command only if the swap changed
//! the row. The command's `scheduled_at` is the due time it stands for.

mod scheduler;

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::Serialize;
use uuid::Uuid;

pub(crate) use self::scheduler::Scheduler;
use crate::admin::Admin;
use crate::client::Client;
use crate::command::Command;
use crate::error::{Error, Result};
use crate::push::{Planned, Push};
use crate::store::{Limits, MAX_DURATION, ScheduleRow};

/// How late a due time may be reached under [`Misfire::Skip`] and still fire.
pub const SKIP_GRACE: Duration = Duration::from_secs(60);

/// What a schedule does with due times it reaches late (after downtime, a pause in every
/// instance, or a backlog).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Misfire {
    /// Fire once for all the missed times (the command is due at the earliest of them), then
    /// go on from the first occurrence after now. The default.
    #[default]
    Coalesce,
    /// Drop a due time reached after a later occurrence has also passed, or more than
    /// [`SKIP_GRACE`] late; go on from the first occurrence after now.
    Skip,
}

impl Misfire {
    /// The stored name: `coalesce` or `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Misfire::Coalesce => "coalesce",
            Misfire::Skip => "skip",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "coalesce" => Some(Misfire::Coalesce),
            "skip" => Some(Misfire::Skip),
            _ => None,
        }
    }
}

/// When a schedule is due.
#[derive(Debug, Clone)]
pub(crate) enum Timing {
    Cron(Box<Cron>),
    Every(Duration),
}

impl Timing {
    fn cron(name: &str, expression: &str) -> Result<Self> {
        let fields = expression.split_whitespace().count();
        if !expression.trim_start().starts_with('@') && !(5..=6).contains(&fields) {
            return Err(invalid(
                name,
                format!(
                    "cron expression `{expression}` has {fields} fields; 5 or 6 (with seconds first) are expected"
                ),
            ));
        }
        CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(expression)
            .map(|cron| Timing::Cron(Box::new(cron)))
            .map_err(|e| invalid(name, format!("cron expression `{expression}`: {e}")))
    }

    fn every(name: &str, every: Duration) -> Result<Self> {
        if every < Duration::from_millis(1) || !every.subsec_nanos().is_multiple_of(1_000_000) {
            return Err(invalid(
                name,
                format!("interval {every:?} must be a whole number of milliseconds, at least 1 ms"),
            ));
        }
        if every > MAX_DURATION {
            return Err(invalid(
                name,
                format!("interval {every:?} is over 100 years"),
            ));
        }
        Ok(Timing::Every(every))
    }

    /// From a stored row.
    pub(crate) fn parse(name: &str, kind: &str, expression: &str) -> Result<Self> {
        match kind {
            "cron" => Self::cron(name, expression),
            "interval" => {
                let text = expression.strip_prefix("@every ").unwrap_or(expression);
                let ms = match text.strip_suffix("ms") {
                    Some(ms) => ms.parse::<u64>().ok(),
                    None => text
                        .strip_suffix('s')
                        .and_then(|s| s.parse::<u64>().ok())
                        .and_then(|s| s.checked_mul(1000)),
                };
                let ms = ms.ok_or_else(|| invalid(name, format!("bad interval `{expression}`")))?;
                Self::every(name, Duration::from_millis(ms))
            }
            other => Err(invalid(name, format!("unknown schedule kind `{other}`"))),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Timing::Cron(_) => "cron",
            Timing::Every(_) => "interval",
        }
    }

    /// The first due time strictly after `t`; an interval counts from `anchor`.
    fn next_after(
        &self,
        name: &str,
        zone: Tz,
        anchor: DateTime<Utc>,
        t: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        match self {
            Timing::Cron(cron) => {
                // From the whole second: croner's search starts at whole seconds, and the next
                // occurrence after it is after `t` too.
                let second = DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t);
                cron.find_next_occurrence(&second.with_timezone(&zone), false)
                    .map(|next| next.with_timezone(&Utc))
                    .map_err(|e| invalid(name, format!("no next occurrence after {t}: {e}")))
            }
            Timing::Every(every) => {
                let step =
                    chrono::Duration::from_std(*every).map_err(|e| invalid(name, e.to_string()))?;
                let behind = (t - anchor).num_milliseconds().max(0);
                let steps = behind / step.num_milliseconds().max(1) + 1;
                i32::try_from(steps)
                    .ok()
                    .and_then(|n| step.checked_mul(n))
                    .and_then(|d| anchor.checked_add_signed(d))
                    .ok_or_else(|| invalid(name, format!("next run after {t} is out of range")))
            }
        }
    }

    /// The first due time of a new or resumed schedule: the first occurrence after `now`.
    fn first_after(&self, name: &str, zone: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
        // Whole milliseconds: what SQLite stores, so the compare-and-swap finds it again.
        let anchor = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        self.next_after(name, zone, anchor, now)
    }
}

/// What a scheduler does with one due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Firing {
    /// Push a command for it.
    pub push: bool,
    /// The next due time.
    pub next: DateTime<Utc>,
}

/// Applies the misfire policy to the due time `due` reached at `now`.
pub(crate) fn decide(
    name: &str,
    timing: &Timing,
    zone: Tz,
    misfire: Misfire,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Firing> {
    let following = timing.next_after(name, zone, due, due)?;
    let late = following <= now;
    let next = if late {
        timing.next_after(name, zone, due, now)?
    } else {
        following
    };
    let push = match misfire {
        Misfire::Coalesce => true,
        Misfire::Skip => !late && (now - due).to_std().unwrap_or(Duration::ZERO) <= SKIP_GRACE,
    };
    Ok(Firing { push, next })
}

fn invalid(name: &str, reason: String) -> Error {
    Error::InvalidSchedule {
        name: name.to_owned(),
        reason,
    }
}

fn zone(name: &str, zone: &str) -> Result<Tz> {
    zone.parse::<Tz>().map_err(|_| {
        invalid(
            name,
            format!(
                "unknown time zone `{zone}` (an IANA name is expected, such as `Europe/Paris`)"
            ),
        )
    })
}

/// A command pushed on a cron expression or at a fixed interval, in a time zone, with a
/// misfire policy; register it with [`crate::Builder::schedule`].
#[derive(Debug, Clone)]
#[must_use]
pub struct Schedule {
    name: String,
    timing: Timing,
    expression: String,
    zone: Tz,
    misfire: Misfire,
    command: Option<Planned>,
}

impl Schedule {
    /// A schedule on a cron expression: 5 fields (minute to day of week), or 6 with seconds
    /// first; `@daily`-style nicknames too. Evaluated in UTC unless [`Schedule::time_zone`].
    pub fn cron(name: impl Into<String>, expression: &str) -> Result<Self> {
        let name = checked_name(name.into())?;
        let timing = Timing::cron(&name, expression)?;
        Ok(Self::new(name, timing, expression.trim().to_owned()))
    }

    /// A schedule every `every` (whole milliseconds, at least 1 ms), first due `every` after
    /// it is first registered.
    pub fn every(name: impl Into<String>, every: Duration) -> Result<Self> {
        let name = checked_name(name.into())?;
        let timing = Timing::every(&name, every)?;
        let ms = every.as_millis();
        let expression = if ms.is_multiple_of(1000) {
            format!("@every {}s", ms / 1000)
        } else {
            format!("@every {ms}ms")
        };
        Ok(Self::new(name, timing, expression))
    }

    fn new(name: String, timing: Timing, expression: String) -> Self {
        Self {
            name,
            timing,
            expression,
            zone: Tz::UTC,
            misfire: Misfire::default(),
            command: None,
        }
    }

    /// The IANA time zone the cron expression is read in (default `UTC`), e.g. `Europe/Paris`;
    /// daylight saving is followed.
    pub fn time_zone(mut self, name: &str) -> Result<Self> {
        self.zone = zone(&self.name, name)?;
        Ok(self)
    }

    /// What to do with due times reached late (default [`Misfire::Coalesce`]).
    pub fn misfire(mut self, misfire: Misfire) -> Self {
        self.misfire = misfire;
        self
    }

    /// The command pushed at each due time, with its type's defaults. Its `delay` is not
    /// used: the command is due at the due time.
    pub fn command<C: Command>(self, command: C) -> Result<Self> {
        self.command_with(command, Push::new())
    }

    /// The command pushed at each due time, with push options (target, timeout, retries).
    pub fn command_with<C: Command>(mut self, command: C, push: Push) -> Result<Self> {
        self.command = Some(Planned::new(&command, push)?);
        Ok(self)
    }

    /// The schedule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The row this schedule registers from an instance whose key is `instance_key`, first
    /// due after `now`.
    pub(crate) fn row(
        &self,
        instance_key: &str,
        limits: Limits,
        now: DateTime<Utc>,
    ) -> Result<ScheduleRow> {
        let planned = self
            .command
            .clone()
            .ok_or_else(|| invalid(&self.name, "has no command: call .command(…)".into()))?;
        let command = planned.into_row(instance_key)?;
        limits.check(&command)?;
        Ok(ScheduleRow {
            name: self.name.clone(),
            kind: self.timing.kind().to_owned(),
            expression: self.expression.clone(),
            time_zone: self.zone.name().to_owned(),
            misfire: self.misfire.as_str().to_owned(),
            command_name: command.name,
            command_input: command.input,
            target: command.target,
            timeout: command.timeout,
            retries: command.retries,
            priority: command.priority,
            unique_key: command.unique_key,
            unique_states: command.unique_states,
            next_run_at: self.timing.first_after(&self.name, self.zone, now)?,
            last_run_at: None,
            paused: false,
            registered_at: now,
            db_now: now,
        })
    }

    pub(crate) fn has_command(&self) -> bool {
        self.command.is_some()
    }
}

fn checked_name(name: String) -> Result<String> {
    let reason = if name.is_empty() {
        "the name is empty"
    } else if name.chars().count() > 255 {
        "the name is longer than 255 characters"
    } else if name.contains('\0') {
        "the name contains a NUL character"
    } else {
        return Ok(name);
    };
    Err(Error::InvalidSchedule {
        name: name.escape_default().to_string(),
        reason: reason.into(),
    })
}

/// A stored schedule, as [`Client::schedules`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ScheduleInfo {
    /// Its name.
    pub name: String,
    /// The cron expression, or `@every <n>s` / `@every <n>ms` for an interval.
    pub expression: String,
    /// The IANA time zone of the cron expression.
    pub time_zone: String,
    /// Its misfire policy.
    pub misfire: Misfire,
    /// Stored name of the command it pushes.
    pub command: String,
    /// That command's input JSON.
    pub input: String,
    /// That command's target.
    pub target: String,
    /// The next due time (while paused: the one it had when paused).
    pub next_run_at: DateTime<Utc>,
    /// The last due time that pushed a command.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Paused for every instance.
    pub paused: bool,
    /// When an instance last had it in its code; an old time means no running instance
    /// fires it.
    pub registered_at: DateTime<Utc>,
}

impl ScheduleInfo {
    fn from_row(row: ScheduleRow) -> Self {
        Self {
            misfire: Misfire::parse(&row.misfire).unwrap_or_default(),
            name: row.name,
            expression: row.expression,
            time_zone: row.time_zone,
            command: row.command_name,
            input: row.command_input,
            target: row.target,
            next_run_at: row.next_run_at,
            last_run_at: row.last_run_at,
            paused: row.paused,
            registered_at: row.registered_at,
        }
    }
}

/// The operations on stored schedules, shared by [`Client`] and [`Admin`].
async fn list(store: &crate::store::Store) -> Result<Vec<ScheduleInfo>> {
    Ok(store
        .schedules()
        .await?
        .into_iter()
        .map(ScheduleInfo::from_row)
        .collect())
}

async fn pause(store: &crate::store::Store, name: &str) -> Result<()> {
    // MySQL counts only changed rows: a schedule already paused changes none.
    if store.pause_schedule(name).await? == 0 && store.schedule(name).await?.is_none() {
        return Err(Error::ScheduleNotFound(name.to_owned()));
    }
    Ok(())
}

async fn resume(store: &crate::store::Store, name: &str) -> Result<()> {
    let row = store
        .schedule(name)
        .await?
        .ok_or_else(|| Error::ScheduleNotFound(name.to_owned()))?;
    if !row.paused {
        return Ok(());
    }
    let timing = Timing::parse(&row.name, &row.kind, &row.expression)?;
    let zone = zone(&row.name, &row.time_zone)?;
    let next = timing.first_after(&row.name, zone, row.db_now)?;
    // Only a paused row is moved: paused rows never fire, so no due time is lost or doubled.
    store.resume_schedule(name, next).await?;
    Ok(())
}

async fn trigger(shared: &crate::client::Shared, name: &str) -> Result<Uuid> {
    let row = shared
        .store
        .schedule(name)
        .await?
        .ok_or_else(|| Error::ScheduleNotFound(name.to_owned()))?;
    let command = row.new_command();
    shared.store.limits().check(&command)?;
    let pushed = shared
        .store
        .push_many(std::slice::from_ref(&command))
        .await?;
    if command.target == shared.config.instance_key {
        shared.wake.notify_one();
    }
    // A schedule whose push has a unique key may find it held: the holder's id, then.
    Ok(pushed.first().map_or(command.id, |p| p.id()))
}

impl Client {
    /// Every stored schedule, by name, whether or not this instance registered it.
    pub async fn schedules(&self) -> Result<Vec<ScheduleInfo>> {
        list(&self.shared.store).await
    }

    /// Pauses a schedule for every instance (within their polling interval). Runs already
    /// pushed are not touched.
    pub async fn pause_schedule(&self, name: &str) -> Result<()> {
        pause(&self.shared.store, name).await
    }

    /// Resumes a paused schedule from its first occurrence after now, so a long pause does
    /// not fire the times it covered. Does nothing to a schedule that is not paused.
    pub async fn resume_schedule(&self, name: &str) -> Result<()> {
        resume(&self.shared.store, name).await
    }

    /// Pushes the schedule's command now, from the stored row (no code needed); returns its
    /// id. The schedule's next and last run are left alone.
    pub async fn trigger_schedule(&self, name: &str) -> Result<Uuid> {
        trigger(&self.shared, name).await
    }
}

impl Admin {
    /// Every stored schedule, by name (see [`Client::schedules`]).
    pub async fn schedules(&self) -> Result<Vec<ScheduleInfo>> {
        list(&self.shared.store).await
    }

    /// Pauses a schedule for every instance (see [`Client::pause_schedule`]).
    pub async fn pause_schedule(&self, name: &str) -> Result<()> {
        pause(&self.shared.store, name).await
    }

    /// Resumes a paused schedule from now (see [`Client::resume_schedule`]).
    pub async fn resume_schedule(&self, name: &str) -> Result<()> {
        resume(&self.shared.store, name).await
    }

    /// Pushes the schedule's command now (see [`Client::trigger_schedule`]).
    pub async fn trigger_schedule(&self, name: &str) -> Result<Uuid> {
        trigger(&self.shared, name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn cron_fields_and_zones_are_checked() {
        assert!(Schedule::cron("a", "0 3 * * *").is_ok());
        assert!(Schedule::cron("a", "*/5 0 3 * * *").is_ok());
        for bad in [
            "",
            "0 3 * *",
            "0 0 0 3 * * 2030",
            "61 * * * *",
            "nonsense here x y z",
        ] {
            let e = Schedule::cron("a", bad).unwrap_err();
            assert!(matches!(e, Error::InvalidSchedule { .. }), "{bad}: {e}");
        }
        let e = Schedule::cron("a", "0 3 * * *")
            .unwrap()
            .time_zone("Mars/Olympus")
            .unwrap_err();
        assert!(
            e.to_string().contains("unknown time zone `Mars/Olympus`"),
            "{e}"
        );
        assert!(Schedule::every("a", Duration::from_micros(1500)).is_err());
        assert!(Schedule::every("a", Duration::ZERO).is_err());
        assert!(Schedule::cron("", "* * * * *").is_err());
    }

    #[test]
    fn cron_follows_the_zone() {
        let timing = Timing::cron("a", "0 3 * * *").unwrap();
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let now = at("2026-07-01T12:00:00.250Z");
        // 03:00 in Paris in summer is 01:00 UTC.
        let next = timing.next_after("a", paris, now, now).unwrap();
        assert_eq!(next, at("2026-07-02T01:00:00Z"));
    }

    #[test]
    fn intervals_keep_their_anchor() {
        let timing = Timing::every("a", Duration::from_secs(10)).unwrap();
        let due = at("2026-01-01T00:00:00Z");
        let f = decide(
            "a",
            &timing,
            Tz::UTC,
            Misfire::Coalesce,
            due,
            at("2026-01-01T00:00:00.2Z"),
        )
        .unwrap();
        assert_eq!(
            f,
            Firing {
                push: true,
                next: at("2026-01-01T00:00:10Z")
            }
        );
        let f = decide(
            "a",
            &timing,
            Tz::UTC,
            Misfire::Coalesce,
            due,
            at("2026-01-01T00:01:05Z"),
        )
        .unwrap();
        assert_eq!(
            f,
            Firing {
                push: true,
                next: at("2026-01-01T00:01:10Z")
            }
        );
        assert_eq!(
            Timing::parse("a", "interval", "@every 1500ms")
                .unwrap()
                .kind(),
            "interval"
        );
    }

    #[test]
    fn misfire_policies_after_downtime() {
        let timing = Timing::cron("a", "* * * * * *").unwrap();
        let due = at("2026-01-01T00:00:00Z");
        let now = at("2026-01-01T01:00:00.5Z");
        let coalesce = decide("a", &timing, Tz::UTC, Misfire::Coalesce, due, now).unwrap();
        assert_eq!(
            coalesce,
            Firing {
                push: true,
                next: at("2026-01-01T01:00:01Z")
            }
        );
        let skip = decide("a", &timing, Tz::UTC, Misfire::Skip, due, now).unwrap();
        assert_eq!(
            skip,
            Firing {
                push: false,
                next: at("2026-01-01T01:00:01Z")
            }
        );
        // On time, both fire and move to the following second.
        let now = at("2026-01-01T00:00:00.1Z");
        for m in [Misfire::Coalesce, Misfire::Skip] {
            let f = decide("a", &timing, Tz::UTC, m, due, now).unwrap();
            assert_eq!(
                f,
                Firing {
                    push: true,
                    next: at("2026-01-01T00:00:01Z")
                }
            );
        }
        // A daily schedule reached two minutes late: skip drops it (past the grace).
        let daily = Timing::cron("a", "0 3 * * *").unwrap();
        let due = at("2026-01-01T03:00:00Z");
        let f = decide(
            "a",
            &daily,
            Tz::UTC,
            Misfire::Skip,
            due,
            at("2026-01-01T03:02:00Z"),
        );
        assert_eq!(
            f.unwrap(),
            Firing {
                push: false,
                next: at("2026-01-02T03:00:00Z")
            }
        );
    }
}
