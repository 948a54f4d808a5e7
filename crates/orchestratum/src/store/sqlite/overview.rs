//! The dashboard's overview (`store::overview`) on SQLite.

use sqlx::Sqlite;

use super::SqliteStore;
use crate::error::Result;
use crate::store::QueueSummary;
use crate::store::overview::{self, Accuracy, Count, FinishedRow};

impl SqliteStore {
    pub(crate) async fn overview_unfinished(&self, expired_limit: usize) -> Result<QueueSummary> {
        let mut conn = self.pool.acquire().await?;
        let (groups, expired) = (&self.sql.overview_unfinished, &self.sql.expired_leases);
        crate::store::admin::grouped::<Sqlite>(&mut conn, groups, expired, expired_limit, true)
            .await
    }

    pub(crate) async fn overview_counts(
        &self,
        minute: Option<i64>,
    ) -> Result<(Count, Option<Vec<FinishedRow>>)> {
        let mut conn = self.pool.acquire().await?;
        let (rows, finished) = (&self.sql.table_rows, &self.sql.finished_since);
        overview::counts::<Sqlite>(&mut conn, rows, Accuracy::Exact, finished, minute, true).await
    }
}
