//! The operators' operations (`store::admin`) on MySQL and MariaDB.
//!
//! As in the rest of this backend, there is no `RETURNING`: `retry` locks its row, updates it
//! and reads it back in one transaction. DDL is not transactional, so `migrate_down` undoes one
//! version at a time, each a single statement, and forgets each version right after undoing it,
//! under the same named lock as `migrate`.

use sqlx::MySql;
use uuid::Uuid;

use super::MySqlStore;
use crate::error::Result;
use crate::record::{CommandRecord, State};
use crate::store::migrator::{self, migration_sql};
use crate::store::rows;
use crate::store::{
    DowngradeParams, DowngradeReport, ListParams, MigrationStatus, PruneParams, QueueSummary,
    micros,
};

impl MySqlStore {
    pub(crate) async fn migration_status(&self) -> Result<MigrationStatus> {
        let mut conn = self.pool.acquire().await?;
        migrator::status::<MySql>(&mut conn, migration_sql!(self.sql), self.schema()).await
    }

    pub(crate) async fn migrate_down(&self, params: DowngradeParams) -> Result<DowngradeReport> {
        let mut conn = self.lock_migrations().await?;
        let result =
            migrator::revert::<MySql>(&mut conn, migration_sql!(self.sql), self.schema(), params)
                .await;
        self.unlock_migrations(conn).await;
        result
    }

    pub(crate) async fn summary(&self, expired_limit: usize) -> Result<QueueSummary> {
        let mut conn = self.pool.acquire().await?;
        let (groups, expired) = (&self.sql.summary, &self.sql.expired_leases);
        crate::store::admin::grouped::<MySql>(&mut conn, groups, expired, expired_limit, true).await
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
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn follow_ups(&self, id: Uuid) -> Result<Vec<CommandRecord>> {
        let rows = sqlx::query(self.sql.follow_ups.clone())
            .bind(id.hyphenated().to_string())
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn retry(
        &self,
        id: Uuid,
        retries: Option<i32>,
    ) -> Result<Option<CommandRecord>> {
        let id = id.hyphenated().to_string();
        let mut tx = self.begin().await?;
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
        row.as_ref().map(rows::record).transpose()
    }

    /// Deletes one batch under `READ COMMITTED`: the statement scans the table (no index covers
    /// the finish times), and at the default `REPEATABLE READ` InnoDB would keep a lock on every
    /// row it scanned, unfinished ones included, until the end, holding up claims and outcomes.
    pub(crate) async fn prune(&self, params: PruneParams) -> Result<u64> {
        let state = params.state.map(State::as_str);
        let mut tx = self.begin_read_committed().await?;
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
