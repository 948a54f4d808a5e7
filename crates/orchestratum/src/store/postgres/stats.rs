//! Per-minute stats on PostgreSQL (see `store/stats.rs`).

use super::PostgresStore;
use crate::error::Result;
use crate::store::rows;
use crate::store::stats::{self, StatsBucket, StatsDelta};

impl PostgresStore {
    pub(crate) async fn add_stats(&self, deltas: &[StatsDelta]) -> Result<()> {
        let minutes: Vec<i64> = deltas.iter().map(|d| d.minute).collect();
        let names: Vec<&str> = deltas.iter().map(|d| d.name.as_str()).collect();
        let outcomes: Vec<&str> = deltas.iter().map(|d| d.outcome).collect();
        let counts: Vec<i64> = deltas.iter().map(|d| d.count).collect();
        let runs: Vec<i64> = deltas.iter().map(|d| d.run_us).collect();
        sqlx::query(self.sql.add_stats.clone())
            .bind(minutes)
            .bind(names)
            .bind(outcomes)
            .bind(counts)
            .bind(runs)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn stats(&self, minute: i64, name: Option<&str>) -> Result<Vec<StatsBucket>> {
        let rows = sqlx::query(self.sql.stats.clone())
            .bind(minute)
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, stats::bucket)
    }

    pub(crate) async fn prune_stats(&self, minute: i64) -> Result<u64> {
        let done = sqlx::query(self.sql.prune_stats.clone())
            .bind(minute)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
