//! The operators' operations (`store::admin`) on PostgreSQL.

use sqlx::Postgres;
use sqlx::types::Uuid;

use super::PostgresStore;
use crate::error::Result;
use crate::record::{CommandRecord, State};
use crate::store::migrator::{self, migration_sql};
use crate::store::rows;
use crate::store::{
    DowngradeParams, DowngradeReport, ListParams, MigrationStatus, PruneParams, QueueSummary,
    micros,
};

impl PostgresStore {
    pub(crate) async fn migration_status(&self) -> Result<MigrationStatus> {
        let mut session = self.session().await?;
        let status = migrator::status::<Postgres>(
            &mut session,
            migration_sql!(self.sql, self.named()),
            self.schema(),
        )
        .await?;
        session.done().await?;
        Ok(status)
    }

    pub(crate) async fn migrate_down(&self, params: DowngradeParams) -> Result<DowngradeReport> {
        let mut tx = self.begin().await?;
        self.lock_migrations(&mut tx).await?;
        let report = migrator::revert::<Postgres>(
            &mut tx,
            migration_sql!(self.sql, self.named()),
            self.schema(),
            params,
        )
        .await?;
        if migrator::keeps(&report) {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(report)
    }

    pub(crate) async fn summary(&self, expired_limit: usize) -> Result<QueueSummary> {
        self.grouped(&self.sql.summary, expired_limit).await
    }

    /// The groups of `groups` (the summary's or the overview's statement) and up to
    /// `expired_limit` lapsed leases, in one session.
    pub(super) async fn grouped(
        &self,
        groups: &sqlx::SqlStr,
        expired_limit: usize,
    ) -> Result<QueueSummary> {
        let mut conn = self.session().await?;
        let expired = &self.sql.expired_leases;
        let named = self.named();
        let summary = crate::store::admin::grouped::<Postgres>(
            &mut conn,
            groups,
            expired,
            expired_limit,
            named,
        )
        .await?;
        conn.done().await?;
        Ok(summary)
    }

    pub(crate) async fn list(&self, params: ListParams<'_>) -> Result<Vec<CommandRecord>> {
        let b = params.binds();
        let rows = alone!(self, |c| self
            .query(&self.sql.list)
            .bind(b.state)
            .bind(b.name)
            .bind(b.target)
            .bind(b.since_ago_us)
            .bind(b.since_at)
            .bind(b.limit)
            .fetch_all(c));
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn follow_ups(&self, id: Uuid) -> Result<Vec<CommandRecord>> {
        let rows = alone!(self, |c| self
            .query(&self.sql.follow_ups)
            .bind(id)
            .fetch_all(c));
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn retry(
        &self,
        id: Uuid,
        retries: Option<i32>,
    ) -> Result<Option<CommandRecord>> {
        let row = alone!(self, |c| self
            .query(&self.sql.retry)
            .bind(id)
            .bind(retries)
            .bind(&*self.channel)
            .fetch_optional(c));
        row.as_ref().map(rows::record).transpose()
    }

    pub(crate) async fn prune(&self, params: PruneParams) -> Result<u64> {
        let done = alone!(self, |c| self
            .query(&self.sql.prune)
            .bind(micros(params.older_than))
            .bind(params.state.map(State::as_str))
            .bind(i64::try_from(params.limit).unwrap_or(i64::MAX))
            .execute(c));
        Ok(done.rows_affected())
    }
}
