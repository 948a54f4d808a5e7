//! The schedules' statements on PostgreSQL.

use chrono::{DateTime, Utc};

use super::PostgresStore;
use crate::error::Result;
use crate::push::NewCommand;
use crate::store::schedules::schedule_row;
use crate::store::{ScheduleRow, micros};

impl PostgresStore {
    pub(crate) async fn schedules(&self) -> Result<Vec<ScheduleRow>> {
        let rows = alone!(self, |c| self.query(&self.sql.schedules).fetch_all(c));
        rows.iter().map(schedule_row).collect()
    }

    pub(crate) async fn schedule(&self, name: &str) -> Result<Option<ScheduleRow>> {
        let row = alone!(self, |c| self
            .query(&self.sql.schedule)
            .bind(name)
            .fetch_optional(c));
        row.as_ref().map(schedule_row).transpose()
    }

    pub(crate) async fn schedule_now(&self) -> Result<DateTime<Utc>> {
        Ok(alone!(self, |c| self
            .scalar(&self.sql.schedule_now)
            .fetch_one(c)))
    }

    pub(crate) async fn register_schedule(&self, r: &ScheduleRow) -> Result<()> {
        alone!(self, |c| self
            .query(&self.sql.register_schedule)
            .bind(&r.name)
            .bind(&r.kind)
            .bind(&r.expression)
            .bind(&r.time_zone)
            .bind(&r.misfire)
            .bind(&r.command_name)
            .bind(&r.command_input)
            .bind(&r.target)
            .bind(micros(r.timeout))
            .bind(r.retries)
            .bind(r.next_run_at)
            .bind(r.priority)
            .bind(r.unique_key.as_deref())
            .bind(r.unique_states)
            .execute(c));
        Ok(())
    }

    pub(crate) async fn fire_schedule(
        &self,
        name: &str,
        due: DateTime<Utc>,
        next: DateTime<Utc>,
        command: Option<&NewCommand>,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let moved = self
            .query(&self.sql.fire_schedule)
            .bind(name)
            .bind(next)
            .bind(command.map(|_| due))
            .bind(due)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !moved {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(command) = command {
            self.push_on(&mut tx, std::slice::from_ref(command)).await?;
            self.query(&self.sql.stamp_scheduled)
                .bind(command.id)
                .bind(due)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn pause_schedule(&self, name: &str) -> Result<u64> {
        let done = alone!(self, |c| self
            .query(&self.sql.pause_schedule)
            .bind(name)
            .execute(c));
        Ok(done.rows_affected())
    }

    pub(crate) async fn resume_schedule(&self, name: &str, next: DateTime<Utc>) -> Result<u64> {
        let done = alone!(self, |c| self
            .query(&self.sql.resume_schedule)
            .bind(name)
            .bind(next)
            .execute(c));
        Ok(done.rows_affected())
    }

    pub(crate) async fn touch_schedule(&self, name: &str) -> Result<()> {
        alone!(self, |c| self
            .query(&self.sql.touch_schedule)
            .bind(name)
            .execute(c));
        Ok(())
    }
}
