//! The dashboard's overview (`store::overview`) on PostgreSQL.

use sqlx::Postgres;

use super::PostgresStore;
use crate::error::Result;
use crate::store::QueueSummary;
use crate::store::overview::{self, Accuracy, Count, FinishedRow};

impl PostgresStore {
    pub(crate) async fn overview_unfinished(&self, expired_limit: usize) -> Result<QueueSummary> {
        self.grouped(&self.sql.overview_unfinished, expired_limit)
            .await
    }

    pub(crate) async fn overview_counts(
        &self,
        minute: Option<i64>,
    ) -> Result<(Count, Option<Vec<FinishedRow>>)> {
        let mut conn = self.session().await?;
        let (rows, finished) = (&self.sql.table_rows, &self.sql.finished_since);
        let estimated = Accuracy::Estimated;
        let counts = overview::counts::<Postgres>(
            &mut conn,
            rows,
            estimated,
            finished,
            minute,
            self.named(),
        )
        .await?;
        conn.done().await?;
        Ok(counts)
    }
}
