//! The scheduler task of a started instance: registers its schedules, then fires the due ones
//! of those (and only those) until shutdown.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Misfire, Schedule, Timing, decide, zone};
use crate::client::Shared;
use crate::error::{Error, Result};
use crate::store::ScheduleRow;

/// How often the instances that have a schedule in their code say so (`registered_at`).
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// First and longest wait after a failed look at the schedules.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The running scheduler of one instance; dropping it stops the task.
pub(crate) struct Scheduler {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Scheduler {
    /// Upserts `schedules` (see `register_schedule.sql`); returns the names to fire.
    pub(crate) async fn register(
        shared: &Shared,
        schedules: &[Schedule],
    ) -> Result<HashSet<String>> {
        let now = shared.store.schedule_now().await?;
        for schedule in schedules {
            let row = schedule.row(&shared.config.instance_key, shared.store.limits(), now)?;
            shared.store.register_schedule(&row).await?;
        }
        Ok(schedules.iter().map(|s| s.name().to_owned()).collect())
    }

    /// Starts firing the schedules `names` (registered before).
    pub(crate) fn start(shared: Arc<Shared>, names: HashSet<String>) -> Self {
        tracing::info!(schedules = ?names, "orchestratum scheduler started");
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(shared, names, stop.clone()));
        Self { stop, task }
    }

    /// Stops firing; a firing in flight is rolled back.
    pub(crate) async fn shutdown(mut self) {
        self.stop.cancel();
        let _ = (&mut self.task).await;
    }

    /// Stops firing without waiting.
    pub(crate) fn abort(&self) {
        self.stop.cancel();
    }
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn run(shared: Arc<Shared>, names: HashSet<String>, stop: CancellationToken) {
    let polling = shared.config.polling_interval;
    let limit = shared.config.claim_timeout();
    let mut failures = 0u32;
    let mut touched = Instant::now();
    loop {
        let outcome = tokio::select! {
            biased;
            () = stop.cancelled() => return,
            outcome = tick(&shared, &names) => outcome,
        };
        let wait = match outcome {
            Ok(wait) => {
                failures = 0;
                wait.min(polling)
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let wait = BACKOFF_MIN
                    .saturating_mul(2u32.saturating_pow(failures.min(16) - 1))
                    .min(BACKOFF_MAX);
                tracing::warn!(%error, retry_in = ?wait, "looking at the due schedules failed");
                wait
            }
        };
        if touched.elapsed() >= TOUCH_EVERY {
            touched = Instant::now();
            for name in &names {
                let touch = tokio::time::timeout(limit, shared.store.touch_schedule(name));
                if let Err(error) = touch
                    .await
                    .unwrap_or(Err(Error::TimedOut("refreshing registered_at")))
                {
                    tracing::debug!(%error, schedule = %name, "refreshing registered_at failed");
                }
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Fires what is due among this instance's schedules; returns how long until the next due
/// time, by the database's clock.
async fn tick(shared: &Shared, names: &HashSet<String>) -> Result<Duration> {
    let rows = bounded(shared, "reading the schedules", shared.store.schedules()).await?;
    let mut wait = Duration::MAX;
    let mut fired = false;
    for row in rows.iter().filter(|r| names.contains(&r.name) && !r.paused) {
        if row.next_run_at > row.db_now {
            let until = (row.next_run_at - row.db_now).to_std().unwrap_or_default();
            wait = wait.min(until);
            continue;
        }
        match fire(shared, row).await {
            Ok(()) => fired = true,
            // The row is one this build cannot read (written by another version): the others
            // still fire; this one is reported at every look.
            Err(error @ (Error::InvalidSchedule { .. } | Error::Corrupt { .. })) => {
                tracing::warn!(%error, schedule = %row.name, "cannot fire schedule");
            }
            Err(error) => return Err(error),
        }
    }
    // Look again at once: the next due times were just moved.
    Ok(if fired { Duration::ZERO } else { wait })
}

/// One due time of one schedule, under the compare-and-swap.
async fn fire(shared: &Shared, row: &ScheduleRow) -> Result<()> {
    let timing = Timing::parse(&row.name, &row.kind, &row.expression)?;
    let zone = zone(&row.name, &row.time_zone)?;
    let misfire = Misfire::parse(&row.misfire).ok_or_else(|| Error::Corrupt {
        column: "misfire",
        reason: format!("unknown misfire policy `{}`", row.misfire),
    })?;
    let due = row.next_run_at;
    let firing = decide(&row.name, &timing, zone, misfire, due, row.db_now)?;
    let command = firing.push.then(|| row.firing_command(due));
    let moved = bounded(
        shared,
        "firing a schedule",
        shared
            .store
            .fire_schedule(&row.name, due, firing.next, command.as_ref()),
    )
    .await?;
    match (&command, moved) {
        (_, false) => {
            tracing::trace!(schedule = %row.name, %due, "another instance fired this due time");
        }
        (Some(command), true) => {
            tracing::debug!(schedule = %row.name, %due, next = %firing.next, id = %command.id, "schedule fired");
            if command.target == shared.config.instance_key {
                shared.wake.notify_one();
            }
        }
        (None, true) => {
            tracing::info!(schedule = %row.name, %due, next = %firing.next, "missed due time skipped");
        }
    }
    Ok(())
}

/// Bounds one statement (or one firing's transaction) like a claim: a silent connection must
/// not hold the scheduler. A firing given up is rolled back (its transaction is dropped), or,
/// if its commit got through, found moved at the next look.
async fn bounded<T>(
    shared: &Shared,
    what: &'static str,
    call: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(shared.config.claim_timeout(), call)
        .await
        .unwrap_or(Err(Error::TimedOut(what)))
}
