//! The operators' operations (`store::admin`) on MySQL and MariaDB.
//!
//! As in the rest of this backend, there is no `RETURNING`: `retry` locks its row, updates it
//! and reads it back in one transaction. DDL is not transactional, so `migrate_down` undoes one
//! version at a time, each a single statement, and forgets each version right after undoing it,
//! under the same named lock as `migrate`.

use sqlx::{AssertSqlSafe, MySqlConnection, Row};
use uuid::Uuid;

use super::{BEGIN_READ_COMMITTED, MIGRATIONS, MySqlStore, record};
use crate::error::{Error, Result};
use crate::migrate::{self, DownMigration};
use crate::record::{CommandRecord, State};
use crate::store::admin::{self as seam, PlannedMigration, SummaryGroup};
use crate::store::{
    AppliedMigration, DowngradeParams, DowngradeReport, ListParams, MigrationStatus, PruneParams,
    QueueSummary, micros,
};

/// How to undo this backend's migrations, one per version, each a single statement.
pub const DOWN_MIGRATIONS: &[DownMigration] = &[
    DownMigration {
        version: 1,
        sql: include_str!("migrations/0001_reference_schema.down.sql"),
        drops_reference_data: true,
    },
    DownMigration {
        version: 2,
        sql: include_str!("migrations/0002_leases_and_pending_index.down.sql"),
        drops_reference_data: false,
    },
    DownMigration {
        version: 3,
        sql: include_str!("migrations/0003_claim_index_and_autovacuum.down.sql"),
        drops_reference_data: false,
    },
    DownMigration {
        version: 4,
        sql: include_str!("migrations/0004_worker_column.down.sql"),
        drops_reference_data: false,
    },
    DownMigration {
        version: 5,
        sql: include_str!("migrations/0005_attempts.down.sql"),
        drops_reference_data: false,
    },
    DownMigration {
        version: 6,
        sql: include_str!("migrations/0006_workers.down.sql"),
        drops_reference_data: false,
    },
    DownMigration {
        version: 7,
        sql: include_str!("migrations/0007_priorities_and_unique_keys.down.sql"),
        drops_reference_data: false,
    },
];

impl MySqlStore {
    pub(crate) async fn migration_status(&self) -> Result<MigrationStatus> {
        let mut conn = self.pool.acquire().await?;
        let bookkeeping: i64 = sqlx::query_scalar(self.sql.migrations_table_exists.clone())
            .fetch_one(&mut *conn)
            .await?;
        let applied = if bookkeeping > 0 {
            let rows = sqlx::query(self.sql.migration_history.clone())
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(AppliedMigration {
                        version: row.try_get("version")?,
                        description: row.try_get("description")?,
                        applied_at: row.try_get("applied_at")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let unrecorded_reference_table = applied.is_empty()
            && sqlx::query_scalar::<_, i64>(self.sql.commands_table_exists.clone())
                .fetch_one(&mut *conn)
                .await?
                > 0;
        let pending = MIGRATIONS
            .iter()
            .filter(|m| !applied.iter().any(|a| a.version == m.version))
            .filter(|m| !(unrecorded_reference_table && m.version == 1))
            .map(|m| PlannedMigration {
                version: m.version,
                description: m.description,
                sql: self.prefix.render(m.sql),
            })
            .collect();
        Ok(MigrationStatus {
            applied,
            pending,
            unrecorded_reference_table,
            latest: migrate::latest(MIGRATIONS),
        })
    }

    /// Undoes versions newest first under the migration lock `migrate` takes (`GET_LOCK` on a
    /// connection of its own). MySQL commits every DDL statement on its own, so unlike the other
    /// backends this is not one transaction: each version is undone by one statement (applied
    /// whole or not at all) and forgotten in `{prefix}schema_migrations` right after. If a
    /// statement fails, the versions undone before it stay undone and the error names the
    /// version that failed; the recorded versions still describe the schema. If the process dies
    /// between a statement and forgetting its version, the next run repeats the statement and
    /// fails (for example on a column that is already gone): delete that version's row by hand.
    pub(crate) async fn migrate_down(&self, params: DowngradeParams) -> Result<DowngradeReport> {
        let mut conn = self.lock_migrations().await?;
        let result = self.migrate_down_locked(&mut conn, params).await;
        self.unlock_migrations(conn).await;
        result
    }

    async fn migrate_down_locked(
        &self,
        conn: &mut MySqlConnection,
        params: DowngradeParams,
    ) -> Result<DowngradeReport> {
        let bookkeeping: i64 = sqlx::query_scalar(self.sql.migrations_table_exists.clone())
            .fetch_one(&mut *conn)
            .await?;
        let applied: Vec<i64> = if bookkeeping > 0 {
            sqlx::query_scalar(self.sql.applied_migrations.clone())
                .fetch_all(&mut *conn)
                .await?
        } else {
            Vec::new()
        };
        let from = applied.iter().copied().max().unwrap_or(0);
        let plan = seam::plan_downgrade(
            params,
            &applied,
            migrate::latest(MIGRATIONS),
            DOWN_MIGRATIONS,
            MIGRATIONS,
        )?;
        if !plan.is_empty() && !params.force {
            let live: i64 = sqlx::query_scalar(self.sql.live_leases.clone())
                .fetch_one(&mut *conn)
                .await?;
            if live > 0 {
                return Err(seam::live_leases_refusal(params.to, from, live));
            }
        }
        let mut reverted = Vec::with_capacity(plan.len());
        for (step, description) in plan {
            let sql = self.prefix.render(step.sql);
            if !params.dry_run {
                sqlx::raw_sql(AssertSqlSafe(sql.clone()))
                    .execute(&mut *conn)
                    .await
                    .map_err(|source| Error::Migration {
                        version: step.version,
                        description,
                        source,
                    })?;
                sqlx::query(self.sql.delete_migration.clone())
                    .bind(step.version)
                    .execute(&mut *conn)
                    .await?;
            }
            reverted.push(PlannedMigration {
                version: step.version,
                description,
                sql,
            });
        }
        let current = if params.dry_run || reverted.is_empty() {
            from
        } else {
            params.to.min(from)
        };
        Ok(DowngradeReport {
            reverted,
            from,
            current,
            dry_run: params.dry_run,
        })
    }

    pub(crate) async fn summary(&self, expired_limit: usize) -> Result<QueueSummary> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(self.sql.summary.clone())
            .fetch_all(&mut *conn)
            .await?;
        let mut summary = QueueSummary::default();
        for row in &rows {
            summary.add_group(SummaryGroup {
                name: row.try_get("name")?,
                target: row.try_get("target")?,
                state: row.try_get("state")?,
                count: row.try_get("n")?,
                oldest_secs: row.try_get("oldest_secs")?,
                lapsed: row.try_get("lapsed")?,
            })?;
        }
        let expired = sqlx::query(self.sql.expired_leases.clone())
            .bind(i64::try_from(expired_limit).unwrap_or(i64::MAX))
            .fetch_all(&mut *conn)
            .await?;
        summary.expired = expired.iter().map(record).collect::<Result<_>>()?;
        Ok(summary)
    }

    pub(crate) async fn list(&self, params: ListParams<'_>) -> Result<Vec<CommandRecord>> {
        let b = params.binds();
        // Each filter's value twice: once for `IS NULL`, once to compare.
        let since_at = b.since_at.map(|t| t.naive_utc());
        let rows = sqlx::query(self.sql.list.clone())
            .bind(b.state)
            .bind(b.state)
            .bind(b.name)
            .bind(b.name)
            .bind(b.target)
            .bind(b.target)
            .bind(b.since_ago_us)
            .bind(b.since_ago_us)
            .bind(since_at)
            .bind(since_at)
            .bind(b.limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    pub(crate) async fn follow_ups(&self, id: Uuid) -> Result<Vec<CommandRecord>> {
        let rows = sqlx::query(self.sql.follow_ups.clone())
            .bind(id.hyphenated().to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    pub(crate) async fn retry(
        &self,
        id: Uuid,
        retries: Option<i32>,
    ) -> Result<Option<CommandRecord>> {
        let id = id.hyphenated().to_string();
        let mut tx = self.pool.begin().await?;
        let locked = sqlx::query(self.sql.retry_lock.clone())
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            tx.commit().await?;
            return Ok(None);
        }
        // The row is locked and was failed or canceled: the fenced update cannot miss it.
        sqlx::query(self.sql.retry.clone())
            .bind(retries)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(self.sql.get.clone())
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(record).transpose()
    }

    /// Deletes one batch under `READ COMMITTED`: the statement scans the table (no index covers
    /// the finish times), and at the default `REPEATABLE READ` InnoDB would keep a lock on every
    /// row it scanned, unfinished ones included, until the end, holding up claims and outcomes.
    pub(crate) async fn prune(&self, params: PruneParams) -> Result<u64> {
        let state = params.state.map(State::as_str);
        let mut tx = self.pool.begin_with(BEGIN_READ_COMMITTED).await?;
        let done = sqlx::query(self.sql.prune.clone())
            .bind(micros(params.older_than))
            .bind(state)
            .bind(state)
            .bind(i64::try_from(params.limit).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
