//! `PostgresStore`: the store's operations as PostgreSQL statements (one `.sql` file each).

mod admin;
mod unique;
pub use self::admin::DOWN_MIGRATIONS;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgRow};
use sqlx::types::Uuid;
use sqlx::{AssertSqlSafe, PgConnection, Row};

use super::{CancelRequest, ClaimParams, ClaimedCommand, Lease, RenewedLease, Transition, micros};
use crate::attempt::Attempt;
use crate::error::{Error, Result};
use crate::migrate::{self, Migration, MigrationReport};
use crate::push::{NewCommand, Pushed};
use crate::record::{CommandRecord, FailureKind};
use crate::store::TablePrefix;
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
    migration_lock,
    migrations_table,
    next_due,
    push,
    unique_holders,
    record_migration,
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

/// The commands table of one prefix in one PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    prefix: TablePrefix,
    channel: Arc<str>,
    sql: Arc<Statements>,
}

impl PostgresStore {
    /// Connects a pool; fails at once if the server cannot be reached.
    pub async fn connect(
        options: PgConnectOptions,
        url: &str,
        prefix: TablePrefix,
    ) -> Result<Self> {
        let idle = super::IDLE_IN_TRANSACTION_TIMEOUT.as_millis();
        let options = options.options([("idle_in_transaction_session_timeout", idle)]);
        let pool = super::connect_server_pool(options, PoolOptions::new(), url).await?;
        Ok(Self::from_pool(pool, prefix))
    }

    /// Uses a pool the application already has.
    pub fn from_pool(pool: PgPool, prefix: TablePrefix) -> Self {
        Self {
            channel: format!("{}commands", prefix.as_str()).into(),
            sql: Arc::new(Statements::render(&prefix)),
            pool,
            prefix,
        }
    }

    /// The pool, for callers that want to share it.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) async fn migrate(&self) -> Result<MigrationReport> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(self.sql.migration_lock.clone())
            .bind(self.prefix.as_str())
            .execute(&mut *tx)
            .await?;
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

    async fn record_migration(&self, conn: &mut PgConnection, m: &Migration) -> Result<()> {
        sqlx::query(self.sql.record_migration.clone())
            .bind(m.version)
            .bind(m.description)
            .execute(conn)
            .await?;
        Ok(())
    }

    pub(crate) async fn push_many(&self, rows: &[NewCommand]) -> Result<Vec<Pushed>> {
        let mut conn = self.pool.acquire().await?;
        self.push_on(&mut conn, rows).await
    }

    /// Inserts on the caller's connection, skipping rows whose unique key is held; returns the
    /// ids inserted (see `unique.rs` for the rest of a push).
    async fn insert_rows(&self, conn: &mut PgConnection, rows: &[NewCommand]) -> Result<Vec<Uuid>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut targets = Vec::with_capacity(rows.len());
        let mut names = Vec::with_capacity(rows.len());
        let mut inputs = Vec::with_capacity(rows.len());
        let mut delays = Vec::with_capacity(rows.len());
        let mut timeouts = Vec::with_capacity(rows.len());
        let mut retries = Vec::with_capacity(rows.len());
        let mut parents = Vec::with_capacity(rows.len());
        let mut priorities = Vec::with_capacity(rows.len());
        let mut keys = Vec::with_capacity(rows.len());
        let mut states = Vec::with_capacity(rows.len());
        for r in rows {
            ids.push(r.id);
            targets.push(r.target.as_str());
            names.push(r.name.as_str());
            inputs.push(r.input.as_str());
            delays.push(micros(r.delay));
            timeouts.push(micros(r.timeout));
            retries.push(r.retries);
            parents.push(r.parent_id);
            priorities.push(r.priority);
            keys.push(r.unique_key.as_deref());
            states.push(r.unique_states);
        }
        Ok(sqlx::query_scalar(self.sql.push.clone())
            .bind(ids)
            .bind(targets)
            .bind(names)
            .bind(inputs)
            .bind(delays)
            .bind(timeouts)
            .bind(retries)
            .bind(parents)
            .bind(&*self.channel)
            .bind(priorities)
            .bind(keys)
            .bind(states)
            .fetch_all(conn)
            .await?)
    }

    pub(crate) async fn claim(&self, p: ClaimParams<'_>) -> Result<Vec<ClaimedCommand>> {
        let rows = sqlx::query(self.sql.claim.clone())
            .bind(p.target)
            .bind(p.names)
            .bind(i64::try_from(p.limit).unwrap_or(i64::MAX))
            .bind(micros(p.lease))
            .bind(p.worker)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ClaimedCommand {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    input: row
                        .try_get::<Option<String>, _>("input")?
                        .unwrap_or_else(|| "null".into()),
                    timeout: interval(row.try_get("timeout")?)?,
                    retries_left: row.try_get("retries_left")?,
                    attempt: row.try_get("attempt")?,
                    lease_token: row.try_get("lease_token")?,
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
        let ids: Vec<Uuid> = leases.iter().map(|l| l.id).collect();
        let tokens: Vec<Uuid> = leases.iter().map(|l| l.token).collect();
        let rows = sqlx::query(self.sql.renew_leases.clone())
            .bind(ids)
            .bind(tokens)
            .bind(micros(lease))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(RenewedLease {
                    id: row.try_get("id")?,
                    cancel_requested: row.try_get("cancel_requested")?,
                })
            })
            .collect()
    }

    pub(crate) async fn record_outcomes(&self, transitions: &[Transition]) -> Result<Vec<Uuid>> {
        let n = transitions.len();
        let (mut ids, mut tokens, mut kinds, mut outputs) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut retries, mut delays, mut errors, mut error_kinds) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let mut attempt_outcomes = Vec::with_capacity(n);
        for t in transitions {
            let cols = t.columns();
            ids.push(t.id);
            tokens.push(t.lease_token);
            kinds.push(cols.kind);
            outputs.push(cols.output);
            retries.push(t.retries_left);
            delays.push(cols.delay.map(micros).unwrap_or(0));
            errors.push(cols.error);
            error_kinds.push(cols.error_kind.map(FailureKind::as_str));
            attempt_outcomes.push(cols.attempt_outcome);
        }
        let update = sqlx::query_scalar(self.sql.record_outcomes.clone())
            .bind(ids)
            .bind(tokens)
            .bind(kinds)
            .bind(outputs)
            .bind(retries)
            .bind(delays)
            .bind(errors)
            .bind(error_kinds)
            .bind(&*self.channel)
            .bind(attempt_outcomes);
        // Without follow-ups the one statement is its own transaction: one round trip, not three.
        if transitions.iter().all(|t| t.follow_ups.is_empty()) {
            return Ok(update.fetch_all(&self.pool).await?);
        }
        let mut tx = self.pool.begin().await?;
        let applied: Vec<Uuid> = update.fetch_all(&mut *tx).await?;
        let follow_ups = super::follow_ups_of_applied(transitions, &applied);
        self.push_on(&mut tx, &follow_ups).await?;
        tx.commit().await?;
        Ok(applied)
    }

    pub(crate) async fn request_cancel(&self, id: Uuid) -> Result<Option<CancelRequest>> {
        let row = sqlx::query(self.sql.request_cancel.clone())
            .bind(id)
            .bind(&*self.channel)
            .fetch_optional(&self.pool)
            .await?;
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
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record).transpose()
    }

    pub(crate) async fn attempts(&self, id: Uuid) -> Result<Vec<Attempt>> {
        let rows = sqlx::query(self.sql.attempts.clone())
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.try_get("outcome")?;
                super::attempt_row(
                    r.try_get("attempt")?,
                    r.try_get("worker_id")?,
                    r.try_get("started_at")?,
                    r.try_get("ended_at")?,
                    &outcome,
                    r.try_get("error")?,
                )
            })
            .collect()
    }

    pub(crate) async fn heartbeat(&self, b: &WorkerBeat) -> Result<()> {
        sqlx::query(self.sql.register_worker.clone())
            .bind(b.worker_id)
            .bind(&b.instance_key)
            .bind(&b.host)
            .bind(b.pid)
            .bind(b.version)
            .bind(&b.names)
            .bind(i32::try_from(b.max_command_pull).unwrap_or(i32::MAX))
            .bind(b.lease_ms)
            .bind(i32::try_from(b.in_flight).unwrap_or(i32::MAX))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn sweep_workers(&self) -> Result<u64> {
        let done = sqlx::query(self.sql.sweep_workers.clone())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn deregister_worker(&self, id: Uuid) -> Result<()> {
        sqlx::query(self.sql.deregister_worker.clone())
            .bind(id)
            .execute(&self.pool)
            .await?;
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
                    r.try_get("worker_id")?,
                    r.try_get("instance_key")?,
                    r.try_get("host")?,
                    r.try_get("pid")?,
                    r.try_get("version")?,
                    &names,
                    i64::from(r.try_get::<i32, _>("max_command_pull")?),
                    r.try_get("lease_ms")?,
                    r.try_get("started_at")?,
                    r.try_get("heartbeat_at")?,
                    i64::from(r.try_get::<i32, _>("in_flight")?),
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
                    oldest_due: r.try_get("oldest_due")?,
                })
            })
            .collect()
    }

    /// A listener on this table's wake-up channel.
    pub(crate) async fn listen(&self) -> Result<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(&self.channel).await?;
        Ok(listener)
    }
}

fn record(row: &PgRow) -> Result<CommandRecord> {
    let last_outcome: Option<String> = row.try_get("last_outcome")?;
    Ok(CommandRecord {
        id: row.try_get("id")?,
        target: row.try_get("target")?,
        name: row.try_get("name")?,
        input: row.try_get("input")?,
        output: row.try_get("output")?,
        scheduled_at: row.try_get("scheduled_at")?,
        timeout: interval(row.try_get("timeout")?)?,
        is_running: row.try_get("is_running")?,
        running_at: row.try_get("running_at")?,
        run_expires_at: row.try_get("run_expires_at")?,
        is_completed: row.try_get("is_completed")?,
        completed_at: row.try_get("completed_at")?,
        is_canceled: row.try_get("is_canceled")?,
        canceled_at: row.try_get("canceled_at")?,
        retries_left: row.try_get("retries_left")?,
        is_failed: row.try_get("is_failed")?,
        failed_at: row.try_get("failed_at")?,
        attempt: row.try_get("attempt")?,
        last_error: row.try_get("last_error")?,
        last_outcome: last_outcome.as_deref().and_then(FailureKind::parse),
        parent_id: row.try_get("parent_id")?,
        worker_id: row.try_get("worker_id")?,
        cancel_requested_at: row.try_get("cancel_requested_at")?,
        priority: row.try_get("priority")?,
        unique_key: row.try_get("unique_key")?,
        unique_over: crate::push::unique_states_of(row.try_get("unique_states")?),
        read_at: row.try_get::<DateTime<Utc>, _>("read_at")?,
    })
}

fn interval(value: sqlx::postgres::types::PgInterval) -> Result<Duration> {
    let total = i64::from(value.months) * 30 * 86_400_000_000
        + i64::from(value.days) * 86_400_000_000
        + value.microseconds;
    u64::try_from(total)
        .map(Duration::from_micros)
        .map_err(|_| Error::Corrupt {
            column: "timeout",
            reason: format!("negative interval {value:?}"),
        })
}
