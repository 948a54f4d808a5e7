//! Per-minute stats on SQLite (see `store/stats.rs`).

use serde_json::json;

use super::SqliteStore;
use crate::error::Result;
use crate::store::rows;
use crate::store::stats::{self, StatsBucket, StatsDelta};

impl SqliteStore {
    pub(crate) async fn add_stats(&self, deltas: &[StatsDelta]) -> Result<()> {
        let batch: Vec<_> = deltas
            .iter()
            .map(|d| {
                json!({"minute": d.minute, "name": d.name, "outcome": d.outcome,
                       "n": d.count, "run_us": d.run_us})
            })
            .collect();
        let mut tx = self.begin_write().await?;
        sqlx::query(self.sql.add_stats.clone())
            .bind(serde_json::Value::Array(batch).to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
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
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(self.sql.prune_stats.clone())
            .bind(minute)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
