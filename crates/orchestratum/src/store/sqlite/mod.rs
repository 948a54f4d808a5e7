//! `SqliteStore`: the store's operations as SQLite statements (one `.sql` file each).
//!
//! SQLite has one writer at a time: every write runs in a transaction begun `IMMEDIATE`, so it
//! waits for the write lock (busy timeout) instead of failing when it upgrades from a read.
//! Batches travel as one JSON array parameter (`json_each`), so each statement stays static.

mod admin;
mod guid;
mod timestamp;
mod unique;

pub use self::admin::DOWN_MIGRATIONS;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, SqliteConnection};
use uuid::Uuid;

use super::{CancelRequest, ClaimParams, ClaimedCommand, Lease, RenewedLease, Transition, micros};
use crate::attempt::Attempt;
use crate::error::{Error, Result};
use crate::migrate::{self, Migration, MigrationReport};
use crate::push::{NewCommand, Pushed};
use crate::record::{CommandRecord, FailureKind};
use crate::store::TablePrefix;
use crate::store::database_url::redact;
use crate::worker::{self, Unhandled, WorkerBeat, WorkerInfo};

/// This backend's migrations, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "reference schema",
        sql: include_str!("migrations/0001_reference_schema.sql"),
    },
    Migration {
        version: 2,
        description: "leases, attempts, errors, parents; pending index",
        sql: include_str!("migrations/0002_leases_and_pending_index.sql"),
    },
    Migration {
        version: 3,
        description: "claim index in claim order; no target index; autovacuum for a queue",
        sql: include_str!("migrations/0003_claim_index_and_autovacuum.sql"),
    },
    Migration {
        version: 4,
        description: "the worker holding each command",
        sql: include_str!("migrations/0004_worker_column.sql"),
    },
    Migration {
        version: 5,
        description: "attempt history",
        sql: include_str!("migrations/0005_attempts.sql"),
    },
    Migration {
        version: 6,
        description: "worker registry",
        sql: include_str!("migrations/0006_workers.sql"),
    },
    Migration {
        version: 7,
        description: "priorities and unique keys",
        sql: include_str!("migrations/0007_priorities_and_unique_keys.sql"),
    },
];

super::statements!(
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
    unique_holders,
    record_migration,
    record_attempts,
    record_outcomes,
    renew_leases,
    request_cancel,
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
/// The statement that starts every write transaction.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The commands table of one prefix in one SQLite database file.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
        let pool_options = SqlitePoolOptions::new()
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
            prefix,
        }
    }

    /// The pool, for callers that want to share it.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub(crate) async fn migrate(&self) -> Result<MigrationReport> {
        // IMMEDIATE takes the write lock first: instances starting at once migrate in turn.
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        sqlx::query(self.sql.migrations_table.clone())
            .execute(&mut *tx)
            .await?;
        let mut applied: Vec<i64> = sqlx::query_scalar(self.sql.applied_migrations.clone())
            .fetch_all(&mut *tx)
            .await?;
        let mut report = MigrationReport {
            applied: Vec::new(),
            adopted_existing_table: false,
            current: 0,
        };
        if applied.is_empty() {
            let exists: bool = sqlx::query_scalar(self.sql.commands_table_exists.clone())
                .fetch_one(&mut *tx)
                .await?;
            if exists {
                self.record_migration(&mut tx, &MIGRATIONS[0]).await?;
                applied.push(1);
                report.adopted_existing_table = true;
            }
        }
        let known = migrate::latest(MIGRATIONS);
        if let Some(&found) = applied.iter().max().filter(|&&v| v > known) {
            return Err(Error::SchemaTooNew { found, known });
        }
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            sqlx::raw_sql(AssertSqlSafe(self.prefix.render(m.sql)))
                .execute(&mut *tx)
                .await
                .map_err(|source| Error::Migration {
                    version: m.version,
                    description: m.description,
                    source,
                })?;
            self.record_migration(&mut tx, m).await?;
            report.applied.push(m.version);
        }
        tx.commit().await?;
        report.current = known;
        Ok(report)
    }

    async fn record_migration(&self, conn: &mut SqliteConnection, m: &Migration) -> Result<()> {
        sqlx::query(self.sql.record_migration.clone())
            .bind(m.version)
            .bind(m.description)
            .execute(conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn push_many(&self, rows: &[NewCommand]) -> Result<Vec<Pushed>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
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
        let inserted = sqlx::query(self.sql.push.clone())
            .bind(serde_json::Value::Array(batch).to_string())
            .fetch_all(conn)
            .await?;
        inserted.iter().map(|row| uuid(row, "id")).collect()
    }

    pub(crate) async fn claim(&self, p: ClaimParams<'_>) -> Result<Vec<ClaimedCommand>> {
        let names = serde_json::to_string(p.names).map_err(|e| Error::Corrupt {
            column: "name",
            reason: e.to_string(),
        })?;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let rows = sqlx::query(self.sql.claim.clone())
            .bind(p.target)
            .bind(names)
            .bind(i64::try_from(p.limit).unwrap_or(i64::MAX))
            .bind(micros(p.lease))
            .bind(guid::text(p.worker))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                Ok(ClaimedCommand {
                    id: uuid(row, "id")?,
                    name: row.try_get("name")?,
                    input: row
                        .try_get::<Option<String>, _>("input")?
                        .unwrap_or_else(|| "null".into()),
                    timeout: timestamp::parse_timespan(&row.try_get::<String, _>("timeout")?)?,
                    retries_left: row.try_get("retries_left")?,
                    attempt: row.try_get("attempt")?,
                    lease_token: uuid(row, "lease_token")?,
                    cancel_requested: row.try_get("cancel_requested")?,
                    queue_wait: super::since_due(row.try_get("queue_wait_us")?),
                })
            })
            .collect()
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
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let rows = sqlx::query(self.sql.renew_leases.clone())
            .bind(serde_json::Value::Array(batch).to_string())
            .bind(micros(lease))
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                Ok(RenewedLease {
                    id: uuid(row, "id")?,
                    cancel_requested: row.try_get("cancel_requested")?,
                })
            })
            .collect()
    }

    pub(crate) async fn record_outcomes(&self, transitions: &[Transition]) -> Result<Vec<Uuid>> {
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
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        if !attempts.is_empty() {
            sqlx::query(self.sql.record_attempts.clone())
                .bind(serde_json::Value::Array(attempts).to_string())
                .execute(&mut *tx)
                .await?;
        }
        let rows = sqlx::query(self.sql.record_outcomes.clone())
            .bind(serde_json::Value::Array(batch).to_string())
            .fetch_all(&mut *tx)
            .await?;
        let applied = rows
            .iter()
            .map(|r| uuid(r, "id"))
            .collect::<Result<Vec<_>>>()?;
        let follow_ups = super::follow_ups_of_applied(transitions, &applied);
        self.push_on(&mut tx, &follow_ups).await?;
        tx.commit().await?;
        Ok(applied)
    }

    pub(crate) async fn request_cancel(&self, id: Uuid) -> Result<Option<CancelRequest>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let row = sqlx::query(self.sql.request_cancel.clone())
            .bind(guid::text(id))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|row| {
            Ok(CancelRequest {
                name: row.try_get("name")?,
                attempt: row.try_get("attempt")?,
                running: row.try_get::<Option<bool>, _>("running")?.unwrap_or(false),
            })
        })
        .transpose()
    }

    pub(crate) async fn get(&self, id: Uuid) -> Result<Option<CommandRecord>> {
        let row = sqlx::query(self.sql.get.clone())
            .bind(guid::text(id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record).transpose()
    }

    pub(crate) async fn heartbeat(&self, b: &WorkerBeat) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
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
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let done = sqlx::query(self.sql.sweep_workers.clone())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn deregister_worker(&self, id: Uuid) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
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
        rows.iter()
            .map(|r| {
                let names: String = r.try_get("names")?;
                worker::info(
                    uuid(r, "worker_id")?,
                    r.try_get("instance_key")?,
                    r.try_get("host")?,
                    r.try_get("pid")?,
                    r.try_get("version")?,
                    &names,
                    r.try_get("max_command_pull")?,
                    r.try_get("lease_ms")?,
                    timestamp::time(r, "started_at")?,
                    timestamp::time(r, "heartbeat_at")?,
                    r.try_get("in_flight")?,
                    r.try_get("alive")?,
                )
            })
            .collect()
    }

    pub(crate) async fn unhandled(&self, older_than: Duration) -> Result<Vec<Unhandled>> {
        let rows = sqlx::query(self.sql.unhandled.clone())
            .bind(micros(older_than))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Unhandled {
                    target: r.try_get("target")?,
                    name: r.try_get("name")?,
                    waiting: r.try_get("waiting")?,
                    oldest_due: timestamp::time(r, "oldest_due")?,
                })
            })
            .collect()
    }

    pub(crate) async fn attempts(&self, id: Uuid) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(self.sql.attempts.clone())
            .bind(guid::text(id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.try_get("outcome")?;
                super::attempt_row(
                    r.try_get("attempt")?,
                    opt_uuid(r, "worker_id")?,
                    timestamp::opt_time(r, "started_at")?,
                    timestamp::time(r, "ended_at")?,
                    &outcome,
                    r.try_get("error")?,
                )
            })
            .collect()
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED: another connection holds the lock.
fn is_busy(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if matches!(e.code().as_deref(), Some("5" | "6")))
}

fn uuid(row: &SqliteRow, column: &'static str) -> Result<Uuid> {
    let text: String = row.try_get(column)?;
    Uuid::from_str(&text).map_err(|e| Error::Corrupt {
        column,
        reason: format!("{text:?} is not a UUID: {e}"),
    })
}

fn opt_uuid(row: &SqliteRow, column: &'static str) -> Result<Option<Uuid>> {
    match row.try_get::<Option<String>, _>(column)? {
        None => Ok(None),
        Some(_) => uuid(row, column).map(Some),
    }
}

fn record(row: &SqliteRow) -> Result<CommandRecord> {
    use timestamp::{opt_time, time};
    let last_outcome: Option<String> = row.try_get("last_outcome")?;
    Ok(CommandRecord {
        id: uuid(row, "id")?,
        target: row.try_get("target")?,
        name: row.try_get("name")?,
        input: row.try_get("input")?,
        output: row.try_get("output")?,
        scheduled_at: time(row, "scheduled_at")?,
        timeout: timestamp::parse_timespan(&row.try_get::<String, _>("timeout")?)?,
        is_running: row.try_get("is_running")?,
        running_at: opt_time(row, "running_at")?,
        run_expires_at: opt_time(row, "run_expires_at")?,
        is_completed: row.try_get("is_completed")?,
        completed_at: opt_time(row, "completed_at")?,
        is_canceled: row.try_get("is_canceled")?,
        canceled_at: opt_time(row, "canceled_at")?,
        retries_left: row.try_get("retries_left")?,
        is_failed: row.try_get("is_failed")?,
        failed_at: opt_time(row, "failed_at")?,
        attempt: row.try_get("attempt")?,
        last_error: row.try_get("last_error")?,
        last_outcome: last_outcome.as_deref().and_then(FailureKind::parse),
        parent_id: opt_uuid(row, "parent_id")?,
        worker_id: opt_uuid(row, "worker_id")?,
        cancel_requested_at: opt_time(row, "cancel_requested_at")?,
        priority: row.try_get("priority")?,
        unique_key: row.try_get("unique_key")?,
        unique_over: crate::push::unique_states_of(row.try_get("unique_states")?),
        read_at: time(row, "read_at")?,
    })
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
