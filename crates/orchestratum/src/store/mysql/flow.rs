//! Flow control on MySQL and MariaDB (see `store/flow.rs`). A fleet-limited claim locks the
//! name's control row (`FOR UPDATE`), then counts the live runs with a plain read: in the
//! claim's `READ COMMITTED` transaction that read sees every claim committed before the lock
//! was granted, where `REPEATABLE READ` would reuse an older snapshot.

use super::MySqlStore;
use crate::error::Result;
use crate::store::ClaimParams;
use crate::store::flow::{self, CappedClaim, Control};

impl MySqlStore {
    pub(crate) async fn pause(&self, name: &str) -> Result<Control> {
        self.control_write(&self.sql.control_pause, name).await
    }

    pub(crate) async fn resume(&self, name: &str) -> Result<Control> {
        self.control_write(&self.sql.control_resume, name).await
    }

    /// No `RETURNING`: the write and the read back share a transaction.
    async fn control_write(&self, sql: &sqlx::SqlStr, name: &str) -> Result<Control> {
        let mut tx = self.begin().await?;
        sqlx::query(sql.clone())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(self.sql.control_read.clone())
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        flow::control(&row)
    }

    pub(crate) async fn controls(&self) -> Result<Vec<Control>> {
        let rows = sqlx::query(self.sql.controls.clone())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(flow::control).collect()
    }

    pub(crate) async fn record_fleet_limit(&self, name: &str, limit: u32) -> Result<()> {
        sqlx::query(self.sql.control_fleet_limit.clone())
            .bind(name)
            .bind(i64::from(limit))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn claim_capped(
        &self,
        p: ClaimParams<'_>,
        fleet_limit: Option<u32>,
    ) -> Result<CappedClaim> {
        let mut tx = self.begin_read_committed().await?;
        let mut fleet_room = None;
        let mut p = p;
        if let Some(limit) = fleet_limit {
            let name = p.names.first().map(String::as_str).unwrap_or_default();
            let locked = sqlx::query(self.sql.control_lock.clone())
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
            if locked.is_none() {
                // The insert locks the new row (or waits for the one another claim inserted).
                sqlx::query(self.sql.control_fleet_limit.clone())
                    .bind(name)
                    .bind(i64::from(limit))
                    .execute(&mut *tx)
                    .await?;
            }
            let running: i64 = sqlx::query_scalar(self.sql.live_running.clone())
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
            let room = flow::room(limit, running);
            fleet_room = Some(room);
            p.limit = p.limit.min(room);
        }
        let commands = if p.limit == 0 {
            Vec::new()
        } else {
            self.claim_in(&mut tx, p).await?
        };
        tx.commit().await?;
        Ok(CappedClaim {
            commands,
            fleet_room,
        })
    }
}
