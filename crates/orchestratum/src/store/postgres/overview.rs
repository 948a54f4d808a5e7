//! The dashboard's overview (`store::overview`) on PostgreSQL.

use super::PostgresStore;
use crate::error::Result;
use crate::store::overview::{self, Accuracy, Count, FinishedRow};
use crate::store::{QueueSummary, rows};

impl PostgresStore {
    pub(crate) async fn overview_unfinished(&self, expired_limit: usize) -> Result<QueueSummary> {
        self.grouped(self.sql.overview_unfinished.clone(), expired_limit)
            .await
    }

    pub(crate) async fn table_rows(&self) -> Result<Count> {
        let row = sqlx::query(self.sql.table_rows.clone())
            .fetch_one(&self.pool)
            .await?;
        Ok(Count {
            n: rows::Columns::big(&row, "n")?,
            accuracy: Accuracy::Estimated,
        })
    }

    pub(crate) async fn finished_since(&self, minute: i64) -> Result<Vec<FinishedRow>> {
        let rows = sqlx::query(self.sql.finished_since.clone())
            .bind(minute)
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, overview::finished_row)
    }
}
