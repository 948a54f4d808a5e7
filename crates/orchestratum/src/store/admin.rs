//! The operators' side of the store seam: what the `orchestratum` CLI needs to see and steer
//! the queue. Each backend implements these in its own `admin.rs`, with one `.sql` file per
//! statement. Listed in lifecycle order: migrations, then reading, then steering and cleanup.
//!
//! Pushing (`push_many`), reading one command (`get`) and cancelling (`Client::cancel`) are
//! the runtime's own operations and are reused as they are.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Store;
use crate::error::Result;
use crate::record::{CommandRecord, State};

/// Most rows one `prune` statement deletes, so a prune never holds locks for long.
pub const PRUNE_BATCH_DEFAULT: usize = 1000;

/// A migration recorded in `{prefix}schema_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Version number.
    pub version: i64,
    /// Description recorded when it was applied.
    pub description: String,
    /// When it was applied (database clock).
    pub applied_at: DateTime<Utc>,
}

/// A migration that would run (up or down), with its SQL rendered for this table prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMigration {
    /// Version number.
    pub version: i64,
    /// What it does.
    pub description: &'static str,
    /// The exact statements, prefix rendered.
    pub sql: String,
}

/// Where a table prefix's schema stands; read without changing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Recorded migrations, oldest first.
    pub applied: Vec<AppliedMigration>,
    /// Migrations `migrate` would apply, in order, with their SQL.
    pub pending: Vec<PlannedMigration>,
    /// A commands table exists without our bookkeeping (the .NET library made it):
    /// `migrate` records it as version 1 before applying the rest.
    pub unrecorded_reference_table: bool,
    /// The latest version this build knows.
    pub latest: i64,
}

impl MigrationStatus {
    /// The schema's version now: the highest recorded one, 1 for an unrecorded reference
    /// table, 0 when there is no table.
    pub fn current(&self) -> i64 {
        let recorded = self.applied.iter().map(|m| m.version).max().unwrap_or(0);
        if recorded == 0 && self.unrecorded_reference_table {
            1
        } else {
            recorded
        }
    }

    /// True when the schema is exactly what this build's statements expect.
    pub fn is_current(&self) -> bool {
        self.current() == self.latest && !self.unrecorded_reference_table
    }
}

/// What `migrate_down` is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DowngradeParams {
    /// The version to end at (0 removes the commands table).
    pub to: i64,
    /// Also undo version 1, which drops the commands table and every row in it, and go on
    /// while commands run under live leases.
    pub force: bool,
    /// Check and plan, but change nothing.
    pub dry_run: bool,
}

/// What `migrate_down` did (or, on a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DowngradeReport {
    /// Undone versions, newest first, with the SQL that undid them.
    pub reverted: Vec<PlannedMigration>,
    /// The schema version before.
    pub from: i64,
    /// The schema version after (before, on a dry run).
    pub current: i64,
    /// Nothing was changed.
    pub dry_run: bool,
}

/// Numbers of commands in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Due and waiting for a worker (including rows whose worker's lease lapsed).
    pub pending: i64,
    /// Waiting for their `scheduled_at`.
    pub scheduled: i64,
    /// Workflow steps waiting for their parents.
    pub waiting: i64,
    /// Held under a live lease.
    pub running: i64,
    /// Completed.
    pub completed: i64,
    /// Failed for good.
    pub failed: i64,
    /// Canceled.
    pub canceled: i64,
}

impl StateCounts {
    /// The count of one state.
    pub fn get(&self, state: State) -> i64 {
        match state {
            State::Pending => self.pending,
            State::Scheduled => self.scheduled,
            State::Waiting => self.waiting,
            State::Running => self.running,
            State::Completed => self.completed,
            State::Failed => self.failed,
            State::Canceled => self.canceled,
        }
    }

    /// Adds `n` commands in `state`.
    pub fn add(&mut self, state: State, n: i64) {
        let slot = match state {
            State::Pending => &mut self.pending,
            State::Scheduled => &mut self.scheduled,
            State::Waiting => &mut self.waiting,
            State::Running => &mut self.running,
            State::Completed => &mut self.completed,
            State::Failed => &mut self.failed,
            State::Canceled => &mut self.canceled,
        };
        *slot += n;
    }

    /// All commands counted.
    pub fn total(&self) -> i64 {
        State::ALL.iter().map(|&s| self.get(s)).sum()
    }
}

/// The queue at a glance, judged by the database's clock.
#[derive(Debug, Clone, Default)]
pub struct QueueSummary {
    /// Counts by state over the whole table.
    pub by_state: StateCounts,
    /// Counts by state for each command name.
    pub by_name: BTreeMap<String, StateCounts>,
    /// Counts by state for each target.
    pub by_target: BTreeMap<String, StateCounts>,
    /// How long the longest-waiting pending command has been due.
    pub oldest_pending_age: Option<Duration>,
    /// How many unfinished commands are marked running under a lapsed lease (their worker
    /// stopped renewing; the next claim takes them back and charges a retry). They count as
    /// pending above.
    pub expired_leases: i64,
    /// The first of them, longest lapsed first.
    pub expired: Vec<CommandRecord>,
    /// The flow-control rows (paused names, recorded fleet limits), by name.
    pub controls: Vec<super::Control>,
}

/// One row of a backend's summary statement: a (name, target, state) group.
pub(crate) struct SummaryGroup {
    pub name: String,
    pub target: String,
    /// The state name the statement computed.
    pub state: String,
    pub count: i64,
    /// Seconds since the group's earliest `scheduled_at`.
    pub oldest_secs: Option<f64>,
    /// Rows of the group marked running under a lapsed lease.
    pub lapsed: i64,
}

impl QueueSummary {
    /// Adds one group of the summary statement.
    pub(crate) fn add_group(&mut self, g: SummaryGroup) -> Result<()> {
        let state = State::parse(&g.state).ok_or_else(|| crate::error::Error::Corrupt {
            column: "state",
            reason: format!("unknown state {:?}", g.state),
        })?;
        if state == State::Pending
            && let Some(secs) = g.oldest_secs
        {
            let age = Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or(Duration::MAX);
            self.oldest_pending_age = self.oldest_pending_age.max(Some(age));
        }
        self.expired_leases += g.lapsed;
        self.by_state.add(state, g.count);
        self.by_name.entry(g.name).or_default().add(state, g.count);
        self.by_target
            .entry(g.target)
            .or_default()
            .add(state, g.count);
        Ok(())
    }
}

/// The groups of a summary statement (`summary.sql`, `overview_unfinished.sql`) and up to
/// `expired_limit` lapsed leases (`expired_leases.sql`, not run for 0), on one connection of
/// any backend; `named` as the backend caches its statements (not behind a transaction-mode
/// pooler).
pub(crate) async fn grouped<DB>(
    conn: &mut DB::Connection,
    groups: &sqlx::SqlStr,
    expired_leases: &sqlx::SqlStr,
    expired_limit: usize,
    named: bool,
) -> Result<QueueSummary>
where
    DB: sqlx::Database + sqlx::database::HasStatementCache,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    i64: sqlx::Type<DB> + for<'q> sqlx::Encode<'q, DB>,
    DB::Row: super::rows::Columns,
{
    use super::rows;
    let found = sqlx::query::<DB>(groups.clone())
        .persistent(named)
        .fetch_all(&mut *conn)
        .await?;
    let mut summary = QueueSummary::default();
    for row in &found {
        summary.add_group(rows::summary_group(row)?)?;
    }
    if expired_limit > 0 {
        let expired = sqlx::query::<DB>(expired_leases.clone())
            .persistent(named)
            .bind(i64::try_from(expired_limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *conn)
            .await?;
        summary.expired = rows::all(&expired, rows::record)?;
    }
    Ok(summary)
}

/// The lower bound of `list --since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// This long before now (database clock).
    Ago(Duration),
    /// This instant.
    At(DateTime<Utc>),
}

/// Filters of `list`; `None` means any.
#[derive(Debug, Clone, Copy)]
pub struct ListParams<'a> {
    /// Only commands in this state.
    pub state: Option<State>,
    /// Only commands with this name.
    pub name: Option<&'a str>,
    /// Only commands routed to this target.
    pub target: Option<&'a str>,
    /// Only commands whose `scheduled_at` is at or after this.
    pub since: Option<Since>,
    /// At most this many.
    pub limit: usize,
}

/// What one `prune` statement deletes.
#[derive(Debug, Clone, Copy)]
pub struct PruneParams {
    /// Only commands that finished at least this long ago (database clock).
    pub older_than: Duration,
    /// Only this final state (`Completed`, `Failed` or `Canceled`); `None` for all three.
    pub state: Option<State>,
    /// At most this many rows (see [`PRUNE_BATCH_DEFAULT`]).
    pub limit: usize,
}

/// The bound values of `list`, shared by every backend.
pub(crate) struct ListBinds<'a> {
    pub state: Option<&'static str>,
    pub name: Option<&'a str>,
    pub target: Option<&'a str>,
    pub since_ago_us: Option<i64>,
    pub since_at: Option<DateTime<Utc>>,
    pub limit: i64,
}

impl ListParams<'_> {
    pub(crate) fn binds(&self) -> ListBinds<'_> {
        ListBinds {
            state: self.state.map(State::as_str),
            name: self.name,
            target: self.target,
            since_ago_us: match self.since {
                Some(Since::Ago(d)) => Some(super::micros(d)),
                _ => None,
            },
            since_at: match self.since {
                Some(Since::At(t)) => Some(t),
                _ => None,
            },
            limit: i64::try_from(self.limit).unwrap_or(i64::MAX),
        }
    }
}

/// The downgrade decision, shared by every backend: which recorded versions to undo, or why
/// not. `down` lists the backend's down migrations; `live_leases` is asked only when needed.
pub(crate) fn plan_downgrade<'m>(
    params: DowngradeParams,
    applied: &[i64],
    latest: i64,
    down: &'m [crate::migrate::DownMigration],
    migrations: &[crate::migrate::Migration],
) -> Result<Vec<(&'m crate::migrate::DownMigration, &'static str)>> {
    use crate::error::Error;
    let current = applied.iter().copied().max().unwrap_or(0);
    let refuse = |reason: String| Error::DowngradeRefused {
        to: params.to,
        current,
        reason,
    };
    if params.to < 0 {
        return Err(refuse("versions start at 0 (no schema)".into()));
    }
    if current > latest {
        return Err(Error::SchemaTooNew {
            found: current,
            known: latest,
        });
    }
    let mut plan = Vec::new();
    for &version in applied.iter().rev().filter(|&&v| v > params.to) {
        let step = down.iter().find(|d| d.version == version).ok_or_else(|| {
            refuse(format!(
                "version {version} has no down migration in this build"
            ))
        })?;
        if step.drops_reference_data && !params.force {
            return Err(refuse(format!(
                "undoing version {version} drops the commands table and every command in it \
                 (version 1 is the reference schema); pass --force to do it anyway"
            )));
        }
        let description = migrations
            .iter()
            .find(|m| m.version == version)
            .map_or("", |m| m.description);
        plan.push((step, description));
    }
    Ok(plan)
}

/// The refusal when live leases exist and the downgrade is not forced.
pub(crate) fn live_leases_refusal(to: i64, current: i64, live: i64) -> crate::error::Error {
    crate::error::Error::DowngradeRefused {
        to,
        current,
        reason: format!(
            "{live} command(s) run under a live lease, so a worker is active and would fail \
             on the dropped columns; stop the workers first, or pass --force"
        ),
    }
}

impl Store {
    /// Where the schema stands: applied and pending migrations. Changes nothing.
    pub async fn migration_status(&self) -> Result<MigrationStatus> {
        dispatch!(self, s => s.migration_status().await)
    }

    /// Undoes recorded migrations newer than `params.to`, newest first, under the migration
    /// lock: in one transaction on PostgreSQL and SQLite; on MySQL, whose DDL is not
    /// transactional, one statement per version, each version forgotten right after it is
    /// undone (a failure leaves the versions undone before it undone). Refuses (changing
    /// nothing) to undo version 1 unless forced, and to drop columns while commands run under
    /// live leases unless forced.
    pub async fn migrate_down(&self, params: DowngradeParams) -> Result<DowngradeReport> {
        dispatch!(self, s => s.migrate_down(params).await)
    }

    /// Counts by state, name and target, the oldest pending age, and lapsed leases (at most
    /// `expired_limit` of them listed).
    pub async fn summary(&self, expired_limit: usize) -> Result<QueueSummary> {
        let mut summary = dispatch!(self, s => s.summary(expired_limit).await)?;
        summary.controls = self.controls().await?;
        Ok(summary)
    }

    /// Commands matching `params`, newest `scheduled_at` first.
    pub async fn list(&self, params: ListParams<'_>) -> Result<Vec<CommandRecord>> {
        dispatch!(self, s => s.list(params).await)
    }

    /// The commands whose `parent_id` is `id` (the follow-ups its outcome enqueued).
    pub async fn follow_ups(&self, id: Uuid) -> Result<Vec<CommandRecord>> {
        dispatch!(self, s => s.follow_ups(id).await)
    }

    /// Makes a failed or canceled command pending again, due now, with `retries` retries
    /// (`None`: the retries it had left, at least 0). One fenced statement: any other row is
    /// left alone and `None` is returned.
    pub async fn retry(&self, id: Uuid, retries: Option<i32>) -> Result<Option<CommandRecord>> {
        let retried = dispatch!(self, s => s.retry(id, retries).await);
        match retried {
            // Pending again would give the key a second live holder: the index refused the
            // whole update, so nothing changed.
            Err(e) if crate::store::unique::is_unique_violation(&e) => {
                let key = self.get(id).await?.and_then(|r| r.unique_key);
                Err(crate::error::Error::UniqueKeyTaken {
                    id,
                    key: key.unwrap_or_default(),
                })
            }
            other => other,
        }
    }

    /// Deletes one batch of finished commands; returns how many rows it deleted.
    pub async fn prune(&self, params: PruneParams) -> Result<u64> {
        dispatch!(self, s => s.prune(params).await)
    }
}
