//! The dashboard's overview (`store::overview`) on PostgreSQL.

use sqlx::Postgres;

use super::PostgresStore;
use crate::error::Result;
use crate::store::QueueSummary;
use crate::store::overview::{self, Accuracy, Count, FinishedRow};

impl PostgresStore {
    pub(crate) async fn overview_unfinished(&self, expired_limit: usize) -> Result<QueueSummary> {
        let mut conn = self.pool.acquire().await?;
        let (groups, expired) = (&self.sql.overview_unfinished, &self.sql.expired_leases);
        crate::store::admin::grouped::<Postgres>(&mut conn, groups, expired, expired_limit).await
    }

    pub(crate) async fn overview_counts(
        &self,
        minute: Option<i64>,
    ) -> Result<(Count, Option<Vec<FinishedRow>>)> {
        let mut conn = self.pool.acquire().await?;
        let (rows, finished) = (&self.sql.table_rows, &self.sql.finished_since);
        overview::counts::<Postgres>(&mut conn, rows, Accuracy::Estimated, finished, minute).await
    }
}
