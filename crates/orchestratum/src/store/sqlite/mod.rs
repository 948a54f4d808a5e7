//! `SqliteStore`: the store's operations as SQLite statements (one `.sql` file each).
//!
//! SQLite has one writer at a time: every write runs in a transaction begun `IMMEDIATE`, so it
//! waits for the write lock (busy timeout) instead of failing when it upgrades from a read, and
//! the writers of one store take their turns in this process first (`write_turn.rs`).
//! Batches travel as one JSON array parameter (read with `jsonb_each` when its elements are
//! objects, `json_each` when they are plain values), so each statement stays static.

mod admin;
mod flow;
mod guid;
mod overview;
mod schedules;
mod search;
mod stats;
mod timestamp;
mod unique;
mod workflows;
mod write_turn;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqliteConnection};
use uuid::Uuid;

use super::migrator::{self, migration_sql};
use super::rows::{self, Columns, native_columns};
use super::{CancelRequest, ClaimParams, ClaimedCommand, Lease, RenewedLease, Transition, micros};
use crate::attempt::Attempt;
use crate::error::{Error, Result};
use crate::migrate::MigrationReport;
use crate::push::{NewCommand, Pushed};
use crate::record::{CommandRecord, FailureKind};
use crate::store::TablePrefix;
use crate::store::database_url::redact;
use crate::worker::{Unhandled, WorkerBeat, WorkerInfo};
use write_turn::WriteTurns;
pub(crate) use write_turn::WriteTx;

super::migrations! {
    (1, "0001_reference_schema", "reference schema", true),
    (2, "0002_leases_and_pending_index", "leases, attempts, errors, parents; pending index", false),
    (3, "0003_claim_index_and_autovacuum", "claim index in claim order; no target index; autovacuum for a queue", false),
    (4, "0004_worker_column", "the worker holding each command", false),
    (5, "0005_attempts", "attempt history", false),
    (6, "0006_workers", "worker registry", false),
    (7, "0007_controls", "flow controls: paused names, fleet limits", false),
    (8, "0008_schedules", "schedules", false),
    (9, "0009_priorities_and_unique_keys", "priorities and unique keys", false),
    (10, "0010_workflow_steps", "workflow steps", false),
    (11, "0011_workflow_edges", "workflow edges", false),
    (12, "0012_workflow_column", "the workflow of each step", false),
    (13, "0013_stats", "outcomes per minute by name", false),
    (14, "0014_claim_room_on_page", "room on each page for the claim's update", false),
}

super::statements!(
    // Workflows (`workflows.rs`).
    add_workflow_edges,
    add_workflow_steps,
    cancel_workflow,
    count_parents,
    mark_workflow_steps,
    parent_steps,
    release_steps,
    resolve_edges,
    workflow_edges,
    workflow_steps,
    applied_migrations,
    attempts,
    deregister_worker,
    register_worker,
    sweep_workers,
    unhandled,
    workers,
    claim,
    commands_table_exists,
    get,
    migrations_table,
    next_due,
    push,
    push_unique,
    unique_holders,
    record_migration,
    record_attempts,
    record_outcomes,
    renew_leases,
    request_cancel,
    // Flow control (`flow.rs`).
    control_fleet_limit,
    control_pause,
    control_resume,
    controls,
    live_running,
    // Schedules (`schedules.rs`).
    fire_schedule,
    pause_schedule,
    register_schedule,
    resume_schedule,
    schedule,
    schedule_now,
    schedules,
    stamp_scheduled,
    touch_schedule,
    // Search and deletion (`search.rs`).
    delete,
    delete_check,
    search,
    search_edge,
    // The operators' statements (`admin.rs`).
    delete_migration,
    expired_leases,
    follow_ups,
    list,
    live_leases,
    migration_history,
    migrations_table_exists,
    prune,
    retry,
    summary,
    // The dashboard overview (`overview.rs`).
    finished_since,
    overview_unfinished,
    table_rows,
    // Per-minute stats (`stats.rs`).
    add_stats,
    prune_stats,
    stats,
);

/// True for a URL of an in-memory database (`sqlite::memory:`, `sqlite://:memory:`,
/// `…?mode=memory`), read as sqlx reads it. The parsed options cannot tell: sqlx renames
/// `:memory:` to a shared-cache name and keeps its in-memory flag private.
fn is_in_memory(url: &str) -> bool {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (database, params) = rest.split_once('?').unwrap_or((rest, ""));
    database == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

/// How long a write waits for SQLite's write lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The commands table of one prefix in one SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    turns: WriteTurns,
    prefix: TablePrefix,
    sql: Arc<Statements>,
}

impl SqliteStore {
    /// Opens the database file with WAL journaling and a busy timeout.
    pub async fn connect(
        options: SqliteConnectOptions,
        url: &str,
        prefix: TablePrefix,
    ) -> Result<Self> {
        let in_memory = is_in_memory(url);
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT);
        // An in-memory database lives only while a connection to it is open: keep exactly one,
        // never idle-closed or retired, so it lasts as long as the pool.
        let max = if in_memory { 1 } else { 4 };
        let pool_options = super::checked_when_idle(SqlitePoolOptions::new())
            .max_connections(max)
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout((!in_memory).then_some(Duration::from_secs(600)))
            .max_lifetime((!in_memory).then_some(Duration::from_secs(1800)));
        // Switching a new file to WAL takes an exclusive lock that the busy timeout does not
        // cover: processes opening one file at once retry for as long as a write would wait.
        let started = std::time::Instant::now();
        let pool = loop {
            match pool_options.clone().connect_with(options.clone()).await {
                Ok(pool) => break pool,
                Err(source) if is_busy(&source) && started.elapsed() < BUSY_TIMEOUT => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(source) => {
                    return Err(Error::Connect {
                        url: redact(url),
                        source,
                    });
                }
            }
        };
        Ok(Self::from_pool(pool, prefix))
    }

    /// Uses a pool the application already has (it should use WAL and a busy timeout).
    pub fn from_pool(pool: SqlitePool, prefix: TablePrefix) -> Self {
        Self {
            sql: Arc::new(Statements::render(&prefix)),
            pool,
            turns: WriteTurns::new(),
            prefix,
        }
    }

    /// The pool, for callers that want to share it.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub(crate) async fn migrate(&self) -> Result<MigrationReport> {
        // IMMEDIATE takes the write lock first: instances starting at once migrate in turn.
        let mut tx = self.begin_write().await?;
        let report =
            migrator::apply_pending::<Sqlite>(&mut tx, migration_sql!(self.sql), self.schema())
                .await?;
        tx.commit().await?;
        Ok(report)
    }

    fn schema(&self) -> migrator::Schema<'_> {
        migrator::Schema {
            prefix: &self.prefix,
            up: MIGRATIONS,
            down: DOWN_MIGRATIONS,
        }
    }

    pub(crate) async fn push_many(&self, rows: &[NewCommand]) -> Result<Vec<Pushed>> {
        let mut tx = self.begin_write().await?;
        let pushed = self.push_on(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(pushed)
    }

    /// Inserts on the caller's connection, skipping rows whose unique key is held; returns the
    /// ids inserted (see `unique.rs` for the rest of a push).
    async fn insert_rows(
        &self,
        conn: &mut SqliteConnection,
        rows: &[NewCommand],
    ) -> Result<Vec<Uuid>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let batch: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "id": guid::text(r.id),
                    "target": r.target,
                    "name": r.name,
                    "input": r.input,
                    "delay_us": micros(r.delay),
                    "timeout": timestamp::format_timespan(r.timeout),
                    "retries": r.retries,
                    "parent_id": r.parent_id.map(guid::text),
                    "priority": r.priority,
                    "unique_key": r.unique_key,
                    "unique_states": r.unique_states,
                })
            })
            .collect();
        let batch = serde_json::Value::Array(batch).to_string();
        // Without a key a row can only conflict on its fresh id, which is an error anyway.
        if !rows.iter().any(|r| r.unique_key.is_some()) {
            sqlx::query(self.sql.push.clone())
                .bind(batch)
                .execute(conn)
                .await?;
            return Ok(rows.iter().map(|r| r.id).collect());
        }
        let inserted = sqlx::query(self.sql.push_unique.clone())
            .bind(batch)
            .fetch_all(conn)
            .await?;
        inserted.iter().map(|row| row.uuid("id")).collect()
    }

    pub(crate) async fn claim(&self, p: ClaimParams<'_>) -> Result<Vec<ClaimedCommand>> {
        let names = serde_json::to_string(p.names).map_err(|e| Error::Corrupt {
            column: "name",
            reason: e.to_string(),
        })?;
        let mut tx = self.begin_write().await?;
        let claimed = self.claim_on(&mut tx, p, names).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// The claim statement inside a write transaction (`names` as a JSON array).
    async fn claim_on(
        &self,
        conn: &mut sqlx::SqliteConnection,
        p: ClaimParams<'_>,
        names: String,
    ) -> Result<Vec<ClaimedCommand>> {
        let rows = sqlx::query(self.sql.claim.clone())
            .bind(p.target)
            .bind(names)
            .bind(i64::try_from(p.limit).unwrap_or(i64::MAX))
            .bind(micros(p.lease))
            .bind(guid::text(p.worker))
            .fetch_all(conn)
            .await?;
        // RETURNING has no order: put the rows in claim order (the longest waiting is the
        // earliest due), which those claimed ahead of free slots start in.
        let mut claimed = rows
            .iter()
            .map(|row| Ok((row.small("priority")?, rows::claimed(row)?)))
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by(|(pa, a), (pb, b)| {
            pb.cmp(pa)
                .then(b.queue_wait.cmp(&a.queue_wait))
                .then(a.id.cmp(&b.id))
        });
        Ok(claimed.into_iter().map(|(_, c)| c).collect())
    }

    pub(crate) async fn next_due(
        &self,
        target: &str,
        names: &[String],
    ) -> Result<Option<Duration>> {
        let names = serde_json::to_string(names).map_err(|e| Error::Corrupt {
            column: "name",
            reason: e.to_string(),
        })?;
        let secs: Option<f64> = sqlx::query_scalar(self.sql.next_due.clone())
            .bind(target)
            .bind(names)
            .fetch_one(&self.pool)
            .await?;
        Ok(secs.map(|s| Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)))
    }

    pub(crate) async fn renew_leases(
        &self,
        leases: &[Lease],
        lease: Duration,
    ) -> Result<Vec<RenewedLease>> {
        let batch: Vec<_> = leases
            .iter()
            .map(|l| json!({"id": guid::text(l.id), "token": l.token.simple().to_string()}))
            .collect();
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(self.sql.renew_leases.clone())
            .bind(serde_json::Value::Array(batch).to_string())
            .bind(micros(lease))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows::all(&rows, rows::renewed)
    }

    pub(crate) async fn record_outcomes(&self, transitions: &[Transition]) -> Result<Vec<Uuid>> {
        let mut tx = self.begin_write().await?;
        let applied = self.record_outcomes_on(&mut tx, transitions).await?;
        tx.commit().await?;
        Ok(applied)
    }

    /// A write transaction on the pool, begun as every write here is (see the module docs),
    /// once it is this process's turn to write (`write_turn.rs`).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        self.turns.begin(&self.pool, BUSY_TIMEOUT).await
    }

    /// Writes outcomes, their follow-ups and the workflow steps they release inside the
    /// caller's write transaction (the completer's, or a handler's own); returns the ids
    /// applied.
    pub(crate) async fn record_outcomes_on(
        &self,
        conn: &mut SqliteConnection,
        transitions: &[Transition],
    ) -> Result<Vec<Uuid>> {
        let batch: Vec<_> = transitions
            .iter()
            .map(|t| {
                let cols = t.columns();
                json!({
                    "id": guid::text(t.id),
                    "token": t.lease_token.map(|l| l.simple().to_string()),
                    "kind": cols.kind,
                    "output": cols.output,
                    "retries_left": t.retries_left,
                    "delay_us": cols.delay.map(micros).unwrap_or(0),
                    "error": cols.error,
                    "error_kind": cols.error_kind.map(FailureKind::as_str),
                })
            })
            .collect();
        let attempts: Vec<_> = transitions
            .iter()
            .filter_map(|t| {
                let cols = t.columns();
                Some(json!({
                    "id": guid::text(t.id),
                    "token": t.lease_token?.simple().to_string(),
                    "outcome": cols.attempt_outcome?,
                    "error": cols.error,
                }))
            })
            .collect();
        if !attempts.is_empty() {
            sqlx::query(self.sql.record_attempts.clone())
                .bind(serde_json::Value::Array(attempts).to_string())
                .execute(&mut *conn)
                .await?;
        }
        let rows = sqlx::query(self.sql.record_outcomes.clone())
            .bind(serde_json::Value::Array(batch).to_string())
            .fetch_all(&mut *conn)
            .await?;
        let applied = rows
            .iter()
            .map(|r| r.uuid("id"))
            .collect::<Result<Vec<_>>>()?;
        let follow_ups = super::follow_ups_of_applied(transitions, &applied);
        self.push_on(&mut *conn, &follow_ups).await?;
        let ended = crate::workflow::release::ended(transitions, &applied);
        if !ended.is_empty() {
            self.release_on(conn, &ended).await?;
        }
        Ok(applied)
    }

    pub(crate) async fn request_cancel(&self, id: Uuid) -> Result<Option<CancelRequest>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(self.sql.request_cancel.clone())
            .bind(guid::text(id))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(rows::cancel_request).transpose()
    }

    pub(crate) async fn get(&self, id: Uuid) -> Result<Option<CommandRecord>> {
        let row = sqlx::query(self.sql.get.clone())
            .bind(guid::text(id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(rows::record).transpose()
    }

    pub(crate) async fn heartbeat(&self, b: &WorkerBeat) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(self.sql.register_worker.clone())
            .bind(guid::text(b.worker_id))
            .bind(&b.instance_key)
            .bind(&b.host)
            .bind(b.pid)
            .bind(b.version)
            .bind(&b.names)
            .bind(b.max_command_pull)
            .bind(b.lease_ms)
            .bind(b.in_flight)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn sweep_workers(&self) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(self.sql.sweep_workers.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn deregister_worker(&self, id: Uuid) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(self.sql.deregister_worker.clone())
            .bind(guid::text(id))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        let rows = sqlx::query(self.sql.workers.clone())
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::worker)
    }

    pub(crate) async fn unhandled(&self, older_than: Duration) -> Result<Vec<Unhandled>> {
        let rows = sqlx::query(self.sql.unhandled.clone())
            .bind(micros(older_than))
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::unhandled)
    }

    pub(crate) async fn attempts(&self, id: Uuid) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(self.sql.attempts.clone())
            .bind(guid::text(id))
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::attempt)
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED: another connection holds the lock.
fn is_busy(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("5" | "6")))
}

impl Columns for SqliteRow {
    native_columns!();

    fn uuid(&self, column: &'static str) -> Result<Uuid> {
        rows::parse_uuid(column, &self.try_get::<String, _>(column)?)
    }

    fn opt_uuid(&self, column: &'static str) -> Result<Option<Uuid>> {
        let text: Option<String> = self.try_get(column)?;
        text.map(|t| rows::parse_uuid(column, &t)).transpose()
    }

    fn time(&self, column: &'static str) -> Result<DateTime<Utc>> {
        timestamp::time(self, column)
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<DateTime<Utc>>> {
        timestamp::opt_time(self, column)
    }

    fn span(&self, column: &'static str) -> Result<Duration> {
        timestamp::parse_timespan(&self.try_get::<String, _>(column)?)
    }
}

#[cfg(test)]
mod tests {
    use super::is_in_memory;

    #[test]
    fn in_memory_urls_are_recognised() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite:file:orch?mode=memory&cache=shared",
        ] {
            assert!(is_in_memory(url), "{url}");
        }
        for url in [
            "sqlite://orch.db?mode=rwc",
            "sqlite:memory.db",
            "sqlite://:memory:x",
        ] {
            assert!(!is_in_memory(url), "{url}");
        }
    }
}
