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
        alone!(self, |c| self
            .query(&self.sql.add_stats)
            .bind(minutes)
            .bind(names)
            .bind(outcomes)
            .bind(counts)
            .bind(runs)
            .execute(c));
        Ok(())
    }

    pub(crate) async fn stats(&self, minute: i64, name: Option<&str>) -> Result<Vec<StatsBucket>> {
        let rows = alone!(self, |c| self
            .query(&self.sql.stats)
            .bind(minute)
            .bind(name)
            .fetch_all(c));
        rows::all(&rows, stats::bucket)
    }

    pub(crate) async fn prune_stats(&self, minute: i64) -> Result<u64> {
        let done = alone!(self, |c| self
            .query(&self.sql.prune_stats)
            .bind(minute)
            .execute(c));
        Ok(done.rows_affected())
    }
}
