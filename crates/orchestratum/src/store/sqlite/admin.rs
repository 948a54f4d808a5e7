//! The operators' operations (`store::admin`) on SQLite. Writes begin `IMMEDIATE`, like every
//! other write of this backend.

use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::{BEGIN_WRITE, MIGRATIONS, SqliteStore, guid, record, timestamp};
use crate::error::{Error, Result};
use crate::migrate::{self, DownMigration};
use crate::record::{CommandRecord, State};
use crate::store::admin::{self as seam, PlannedMigration, SummaryGroup};
use crate::store::{
    AppliedMigration, DowngradeParams, DowngradeReport, ListParams, MigrationStatus, PruneParams,
    QueueSummary, micros,
};

/// How to undo this backend's migrations, one per version.
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

impl SqliteStore {
    pub(crate) async fn migration_status(&self) -> Result<MigrationStatus> {
        let mut conn = self.pool.acquire().await?;
        let bookkeeping: bool = sqlx::query_scalar(self.sql.migrations_table_exists.clone())
            .fetch_one(&mut *conn)
            .await?;
        let applied = if bookkeeping {
            let rows = sqlx::query(self.sql.migration_history.clone())
                .fetch_all(&mut *conn)
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(AppliedMigration {
                        version: row.try_get("version")?,
                        description: row.try_get("description")?,
                        applied_at: timestamp::time(row, "applied_at")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?
        } else {
            Vec::new()
        };
        let unrecorded_reference_table = applied.is_empty()
            && sqlx::query_scalar(self.sql.commands_table_exists.clone())
                .fetch_one(&mut *conn)
                .await?;
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

    pub(crate) async fn migrate_down(&self, params: DowngradeParams) -> Result<DowngradeReport> {
        // IMMEDIATE takes the write lock first, as `migrate` does: one migration at a time.
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let bookkeeping: bool = sqlx::query_scalar(self.sql.migrations_table_exists.clone())
            .fetch_one(&mut *tx)
            .await?;
        let applied: Vec<i64> = if bookkeeping {
            sqlx::query_scalar(self.sql.applied_migrations.clone())
                .fetch_all(&mut *tx)
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
                .fetch_one(&mut *tx)
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
                    .execute(&mut *tx)
                    .await
                    .map_err(|source| Error::Migration {
                        version: step.version,
                        description,
                        source,
                    })?;
                sqlx::query(self.sql.delete_migration.clone())
                    .bind(step.version)
                    .execute(&mut *tx)
                    .await?;
            }
            reverted.push(PlannedMigration {
                version: step.version,
                description,
                sql,
            });
        }
        let current = if params.dry_run || reverted.is_empty() {
            tx.rollback().await?;
            from
        } else {
            tx.commit().await?;
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
        let rows = sqlx::query(self.sql.list.clone())
            .bind(b.state)
            .bind(b.name)
            .bind(b.target)
            .bind(b.since_ago_us)
            .bind(b.since_at.map(timestamp::format_time))
            .bind(b.limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    pub(crate) async fn follow_ups(&self, id: Uuid) -> Result<Vec<CommandRecord>> {
        let rows = sqlx::query(self.sql.follow_ups.clone())
            .bind(guid::text(id))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record).collect()
    }

    pub(crate) async fn retry(
        &self,
        id: Uuid,
        retries: Option<i32>,
    ) -> Result<Option<CommandRecord>> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let row = sqlx::query(self.sql.retry.clone())
            .bind(guid::text(id))
            .bind(retries)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(record).transpose()
    }

    pub(crate) async fn prune(&self, params: PruneParams) -> Result<u64> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let done = sqlx::query(self.sql.prune.clone())
            .bind(micros(params.older_than))
            .bind(params.state.map(State::as_str))
            .bind(i64::try_from(params.limit).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
