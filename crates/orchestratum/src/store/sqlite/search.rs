//! Search and deletion (`store::search`) on SQLite. The deletion begins `IMMEDIATE`, like
//! every other write of this backend, so its check and its delete see the same rows.

use uuid::Uuid;

use super::{SqliteStore, guid, timestamp};
use crate::error::Result;
use crate::record::CommandRecord;
use crate::store::rows::{self, Columns as _};
use crate::store::search::{Deleted, SearchBinds};

impl SqliteStore {
    pub(crate) async fn search(&self, b: &SearchBinds<'_>) -> Result<Vec<CommandRecord>> {
        let rows = sqlx::query(self.sql.search.clone())
            .bind(b.state)
            .bind(b.name)
            .bind(b.target)
            .bind(b.scheduled_from.map(timestamp::format_time))
            .bind(b.scheduled_until.map(timestamp::format_time))
            .bind(b.id_from.map(guid::text))
            .bind(b.id_until.map(guid::text))
            .bind(b.id.map(guid::text))
            .bind(b.pattern.as_deref())
            .bind(b.after.map(guid::text))
            .bind(b.fetch)
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn search_edge(
        &self,
        from: Option<Uuid>,
        below: Option<Uuid>,
        skip: i64,
    ) -> Result<Vec<Uuid>> {
        let rows = sqlx::query(self.sql.search_edge.clone())
            .bind(from.map(guid::text))
            .bind(below.map(guid::text))
            .bind(skip)
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, |r| r.uuid("id"))
    }

    pub(crate) async fn delete(&self, id: Uuid) -> Result<Deleted> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query(self.sql.delete_check.clone())
            .bind(guid::text(id))
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.rollback().await?;
            return Ok(Deleted::NotFound);
        };
        if let Some(refusal) = rows::delete_check(&row)?.refusal() {
            tx.rollback().await?;
            return Ok(Deleted::Refused(refusal));
        }
        // The id as stored, whatever its case.
        let stored: String = sqlx::Row::try_get(&row, "id")?;
        sqlx::query(self.sql.delete.clone())
            .bind(stored)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Deleted::Deleted)
    }
}
