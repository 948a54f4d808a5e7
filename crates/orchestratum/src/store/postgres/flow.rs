//! Flow control on PostgreSQL (see `store/flow.rs`).

use super::PostgresStore;
use crate::error::Result;
use crate::store::ClaimParams;
use crate::store::flow::{self, CappedClaim, Control};

impl PostgresStore {
    pub(crate) async fn pause(&self, name: &str) -> Result<Control> {
        let row = alone!(self, |c| self
            .query(&self.sql.control_pause)
            .bind(name)
            .fetch_one(c));
        flow::control(&row)
    }

    pub(crate) async fn resume(&self, name: &str) -> Result<Control> {
        let row = alone!(self, |c| self
            .query(&self.sql.control_resume)
            .bind(name)
            .bind(&*self.channel)
            .fetch_one(c));
        flow::control(&row)
    }

    pub(crate) async fn controls(&self) -> Result<Vec<Control>> {
        let rows = alone!(self, |c| self.query(&self.sql.controls).fetch_all(c));
        rows.iter().map(flow::control).collect()
    }

    pub(crate) async fn record_fleet_limit(&self, name: &str, limit: u32) -> Result<()> {
        alone!(self, |c| self
            .query(&self.sql.control_fleet_limit)
            .bind(name)
            .bind(i32::try_from(limit).unwrap_or(i32::MAX))
            .execute(c));
        Ok(())
    }

    pub(crate) async fn claim_capped(
        &self,
        p: ClaimParams<'_>,
        fleet_limit: Option<u32>,
    ) -> Result<CappedClaim> {
        let Some(limit) = fleet_limit else {
            return Ok(CappedClaim {
                commands: alone!(self, |c| self.claim_on(c, p)),
                fleet_room: None,
            });
        };
        let name = p.names.first().map(String::as_str).unwrap_or_default();
        let mut tx = self.begin().await?;
        // The lock and the count are two statements: in READ COMMITTED each statement sees
        // the commits made before it started, so the count, begun after the lock was granted,
        // sees every claim of the previous holder.
        let locked = self
            .query(&self.sql.control_lock)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            self.query(&self.sql.control_fleet_limit)
                .bind(name)
                .bind(i32::try_from(limit).unwrap_or(i32::MAX))
                .execute(&mut *tx)
                .await?;
            self.query(&self.sql.control_lock)
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        }
        let running: i64 = self
            .scalar(&self.sql.live_running)
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
            self.claim_on(&mut tx, p).await?
        };
        tx.commit().await?;
        Ok(CappedClaim {
            commands,
            fleet_room: Some(room),
        })
    }
}
