//! The schedules' statements on MySQL and MariaDB.

use chrono::{DateTime, Utc};

use super::MySqlStore;
use crate::error::Result;
use crate::push::NewCommand;
use crate::store::schedules::schedule_row;
use crate::store::{ScheduleRow, micros};

impl MySqlStore {
    pub(crate) async fn schedules(&self) -> Result<Vec<ScheduleRow>> {
        let rows = sqlx::query(self.sql.schedules.clone())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(schedule_row).collect()
    }

    pub(crate) async fn schedule(&self, name: &str) -> Result<Option<ScheduleRow>> {
        let row = sqlx::query(self.sql.schedule.clone())
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(schedule_row).transpose()
    }

    pub(crate) async fn schedule_now(&self) -> Result<DateTime<Utc>> {
        Ok(sqlx::query_scalar(self.sql.schedule_now.clone())
            .fetch_one(&self.pool)
            .await?)
    }

    pub(crate) async fn register_schedule(&self, r: &ScheduleRow) -> Result<()> {
        sqlx::query(self.sql.register_schedule.clone())
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
            .execute(&self.pool)
            .await?;
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
        let moved = sqlx::query(self.sql.fire_schedule.clone())
            .bind(next)
            .bind(command.map(|_| due))
            .bind(name)
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
            sqlx::query(self.sql.stamp_scheduled.clone())
                .bind(due)
                .bind(command.id.hyphenated().to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn pause_schedule(&self, name: &str) -> Result<u64> {
        let done = sqlx::query(self.sql.pause_schedule.clone())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn resume_schedule(&self, name: &str, next: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(self.sql.resume_schedule.clone())
            .bind(next)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn touch_schedule(&self, name: &str) -> Result<()> {
        sqlx::query(self.sql.touch_schedule.clone())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
