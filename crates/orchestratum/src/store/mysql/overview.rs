//! The dashboard's overview (`store::overview`) on MySQL and MariaDB. There is no partial
//! index: the unfinished index leads with the target and the three final flags, so the
//! overview walks the targets (one seek each, `next_target.sql`) and reads each target's
//! unfinished rows by equality. MariaDB neither skip-scans nor loose-scans that index (it has
//! a descending part), so one statement over every target would read every row.

use sqlx::{MySql, MySqlConnection};

use super::MySqlStore;
use crate::error::Result;
use crate::store::overview::{self, Accuracy, Count, FinishedRow};
use crate::store::{QueueSummary, rows};

impl MySqlStore {
    pub(crate) async fn overview_unfinished(&self, expired_limit: usize) -> Result<QueueSummary> {
        let mut conn = self.pool.acquire().await?;
        let mut summary = QueueSummary::default();
        let mut expired = Vec::new();
        let mut target = self.target_after(&mut conn, None).await?;
        while let Some(t) = target {
            let groups = sqlx::query(self.sql.overview_unfinished.clone())
                .bind(&t)
                .fetch_all(&mut *conn)
                .await?;
            let lapsed_before = summary.expired_leases;
            for row in &groups {
                summary.add_group(rows::summary_group(row)?)?;
            }
            // Only a target the counts found lapsed leases in is read again for them.
            if expired_limit > 0 && summary.expired_leases > lapsed_before {
                let lapsed = sqlx::query(self.sql.overview_expired.clone())
                    .bind(&t)
                    .bind(i64::try_from(expired_limit).unwrap_or(i64::MAX))
                    .fetch_all(&mut *conn)
                    .await?;
                expired.extend(rows::all(&lapsed, rows::record)?);
            }
            target = self.target_after(&mut conn, Some(&t)).await?;
        }
        // Longest lapsed first over every target, as `expired_leases.sql` orders them (no end
        // first, as MySQL sorts NULL).
        expired.sort_by_key(|c| (c.run_expires_at, c.id));
        expired.truncate(expired_limit);
        summary.expired = expired;
        Ok(summary)
    }

    /// The first target, or the one after `after` in the column's collation.
    async fn target_after(
        &self,
        conn: &mut MySqlConnection,
        after: Option<&str>,
    ) -> Result<Option<String>> {
        let row = match after {
            None => sqlx::query(self.sql.first_target.clone()),
            Some(t) => sqlx::query(self.sql.next_target.clone()).bind(t),
        }
        .fetch_one(conn)
        .await?;
        rows::Columns::opt_text(&row, "target")
    }

    pub(crate) async fn overview_counts(
        &self,
        minute: Option<i64>,
    ) -> Result<(Count, Option<Vec<FinishedRow>>)> {
        let mut conn = self.pool.acquire().await?;
        let (rows, finished) = (&self.sql.table_rows, &self.sql.finished_since);
        overview::counts::<MySql>(&mut conn, rows, Accuracy::Estimated, finished, minute, true)
            .await
    }
}
