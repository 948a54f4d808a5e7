//! Flow control on PostgreSQL (see `store/flow.rs`).

use super::PostgresStore;
use crate::error::Result;
use crate::store::ClaimParams;
use crate::store::flow::{self, CappedClaim, Control};

impl PostgresStore {
    pub(crate) async fn pause(&self, name: &str) -> Result<Control> {
        let row = sqlx::query(self.sql.control_pause.clone())
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        flow::control(&row)
    }

    pub(crate) async fn resume(&self, name: &str) -> Result<Control> {
        let row = sqlx::query(self.sql.control_resume.clone())
            .bind(name)
            .bind(&*self.channel)
            .fetch_one(&self.pool)
            .await?;
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
            .bind(i32::try_from(limit).unwrap_or(i32::MAX))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(crate) async fn claim_capped(
        &self,
        p: ClaimParams<'_>,
        fleet_limit: Option<u32>,
    ) -> Result<CappedClaim> {
        let Some(limit) = fleet_limit else {
            return Ok(CappedClaim {
                commands: self.claim_on(&self.pool, p).await?,
                fleet_room: None,
            });
        };
        let name = p.names.first().map(String::as_str).unwrap_or_default();
        let mut tx = self.pool.begin().await?;
        // The lock and the count are two statements: in READ COMMITTED each statement sees
        // the commits made before it started, so the count, begun after the lock was granted,
        // sees every claim of the previous holder.
        let locked = sqlx::query(self.sql.control_lock.clone())
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            sqlx::query(self.sql.control_fleet_limit.clone())
                .bind(name)
                .bind(i32::try_from(limit).unwrap_or(i32::MAX))
                .execute(&mut *tx)
                .await?;
            sqlx::query(self.sql.control_lock.clone())
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        }
        let running: i64 = sqlx::query_scalar(self.sql.live_running.clone())
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        let room = flow::room(limit, running);
        let commands = if room == 0 {
            Vec::new()
        } else {
            let p = ClaimParams {
                limit: p.limit.min(room),
                ..p
            };
            self.claim_on(&mut *tx, p).await?
        };
        tx.commit().await?;
        Ok(CappedClaim {
            commands,
            fleet_room: Some(room),
        })
    }
}
