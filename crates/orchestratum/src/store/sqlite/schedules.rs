//! The schedules' statements on SQLite. Instants travel as text in the one format the
//! statements store, so the compare-and-swap's equality compares instants.

use chrono::{DateTime, Utc};

use super::{SqliteStore, guid, timestamp};
use crate::error::Result;
use crate::push::NewCommand;
use crate::store::schedules::schedule_row;
use crate::store::{ScheduleRow, micros};

impl SqliteStore {
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
        let row = sqlx::query(self.sql.schedule_now.clone())
            .fetch_one(&self.pool)
            .await?;
        timestamp::time(&row, "db_now")
    }

    pub(crate) async fn register_schedule(&self, r: &ScheduleRow) -> Result<()> {
        let mut tx = self.begin_write().await?;
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
            .bind(timestamp::format_time(r.next_run_at))
            .bind(r.priority)
            .bind(r.unique_key.as_deref())
            .bind(r.unique_states)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn fire_schedule(
        &self,
        name: &str,
        due: DateTime<Utc>,
        next: DateTime<Utc>,
        command: Option<&NewCommand>,
    ) -> Result<bool> {
        let due_text = timestamp::format_time(due);
        let mut tx = self.begin_write().await?;
        let moved = sqlx::query(self.sql.fire_schedule.clone())
            .bind(name)
            .bind(timestamp::format_time(next))
            .bind(command.map(|_| due_text.clone()))
            .bind(&due_text)
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
                .bind(guid::text(command.id))
                .bind(&due_text)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn pause_schedule(&self, name: &str) -> Result<u64> {
        self.write_schedule(&self.sql.pause_schedule, name, None)
            .await
    }

    pub(crate) async fn resume_schedule(&self, name: &str, next: DateTime<Utc>) -> Result<u64> {
        self.write_schedule(
            &self.sql.resume_schedule,
            name,
            Some(timestamp::format_time(next)),
        )
        .await
    }

    pub(crate) async fn touch_schedule(&self, name: &str) -> Result<()> {
        self.write_schedule(&self.sql.touch_schedule, name, None)
            .await?;
        Ok(())
    }

    /// One statement on one schedule (`?1` its name, `?2` an instant if any), in a write
    /// transaction; how many rows it changed.
    async fn write_schedule(
        &self,
        statement: &sqlx::SqlStr,
        name: &str,
        at: Option<String>,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut query = sqlx::query(statement.clone()).bind(name);
        if let Some(at) = at {
            query = query.bind(at);
        }
        let done = query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}
