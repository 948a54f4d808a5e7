//! The operators' operations (`store::admin`) on SQLite. Writes begin `IMMEDIATE`, like every
//! other write of this backend.

use sqlx::Sqlite;
use uuid::Uuid;

use super::{SqliteStore, guid, timestamp};
use crate::error::Result;
use crate::record::{CommandRecord, State};
use crate::store::migrator::{self, migration_sql};
use crate::store::rows;
use crate::store::{
    DowngradeParams, DowngradeReport, ListParams, MigrationStatus, PruneParams, QueueSummary,
    micros,
};

impl SqliteStore {
    pub(crate) async fn migration_status(&self) -> Result<MigrationStatus> {
        let mut conn = self.pool.acquire().await?;
        migrator::status::<Sqlite>(&mut conn, migration_sql!(self.sql), self.schema()).await
    }

    pub(crate) async fn migrate_down(&self, params: DowngradeParams) -> Result<DowngradeReport> {
        // IMMEDIATE takes the write lock first, as `migrate` does: one migration at a time.
        let mut tx = self.begin_write().await?;
        let report =
            migrator::revert::<Sqlite>(&mut tx, migration_sql!(self.sql), self.schema(), params)
                .await?;
        if migrator::keeps(&report) {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(report)
    }

    pub(crate) async fn summary(&self, expired_limit: usize) -> Result<QueueSummary> {
        let mut conn = self.pool.acquire().await?;
        let (groups, expired) = (&self.sql.summary, &self.sql.expired_leases);
        crate::store::admin::grouped::<Sqlite>(&mut conn, groups, expired, expired_limit, true)
            .await
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
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn follow_ups(&self, id: Uuid) -> Result<Vec<CommandRecord>> {
        let rows = sqlx::query(self.sql.follow_ups.clone())
            .bind(guid::text(id))
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn retry(
        &self,
        id: Uuid,
        retries: Option<i32>,
    ) -> Result<Option<CommandRecord>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(self.sql.retry.clone())
            .bind(guid::text(id))
            .bind(retries)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.as_ref().map(rows::record).transpose()
    }

    pub(crate) async fn prune(&self, params: PruneParams) -> Result<u64> {
        let mut tx = self.begin_write().await?;
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
