//! Flow control on SQLite (see `store/flow.rs`). SQLite has one writer at a time: the count
//! and the claim of a fleet-limited name share one IMMEDIATE transaction, so no other claim
//! commits between them.

use super::SqliteStore;
use crate::error::{Error, Result};
use crate::store::ClaimParams;
use crate::store::flow::{self, CappedClaim, Control};

impl SqliteStore {
    pub(crate) async fn pause(&self, name: &str) -> Result<Control> {
        self.control_write(&self.sql.control_pause, name).await
    }

    pub(crate) async fn resume(&self, name: &str) -> Result<Control> {
        self.control_write(&self.sql.control_resume, name).await
    }

    async fn control_write(&self, sql: &sqlx::SqlStr, name: &str) -> Result<Control> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(sql.clone())
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
        let mut tx = self.begin_write().await?;
        sqlx::query(self.sql.control_fleet_limit.clone())
            .bind(name)
            .bind(i64::from(limit))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn claim_capped(
        &self,
        p: ClaimParams<'_>,
        fleet_limit: Option<u32>,
    ) -> Result<CappedClaim> {
        let names = serde_json::to_string(p.names).map_err(|e| Error::Corrupt {
            column: "name",
            reason: e.to_string(),
        })?;
        let mut tx = self.begin_write().await?;
        let mut fleet_room = None;
        let mut p = p;
        if let Some(limit) = fleet_limit {
            let name = p.names.first().map(String::as_str).unwrap_or_default();
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
            self.claim_on(&mut tx, p, names).await?
        };
        tx.commit().await?;
        Ok(CappedClaim {
            commands,
            fleet_room,
        })
    }
}
