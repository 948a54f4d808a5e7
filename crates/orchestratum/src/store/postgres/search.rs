//! Search and deletion (`store::search`) on PostgreSQL.

use sqlx::types::Uuid;

use super::PostgresStore;
use crate::error::Result;
use crate::record::CommandRecord;
use crate::store::rows::{self, Columns as _};
use crate::store::search::{Deleted, SearchBinds};

impl PostgresStore {
    pub(crate) async fn search(&self, b: &SearchBinds<'_>) -> Result<Vec<CommandRecord>> {
        let rows = alone!(self, |c| self
            .query(&self.sql.search)
            .bind(b.state)
            .bind(b.name)
            .bind(b.target)
            .bind(b.scheduled_from)
            .bind(b.scheduled_until)
            .bind(b.id_from)
            .bind(b.id_until)
            .bind(b.id)
            .bind(b.pattern.as_deref())
            .bind(b.after)
            .bind(b.fetch)
            .fetch_all(c));
        rows::all(&rows, rows::record)
    }

    pub(crate) async fn search_edge(
        &self,
        from: Option<Uuid>,
        below: Option<Uuid>,
        skip: i64,
    ) -> Result<Vec<Uuid>> {
        let rows = alone!(self, |c| self
            .query(&self.sql.search_edge)
            .bind(from)
            .bind(below)
            .bind(skip)
            .fetch_all(c));
        rows::all(&rows, |r| r.uuid("id"))
    }

    pub(crate) async fn delete(&self, id: Uuid) -> Result<Deleted> {
        let mut tx = self.begin().await?;
        let Some(row) = self
            .query(&self.sql.delete_check)
            .bind(id)
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
        self.query(&self.sql.delete)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Deleted::Deleted)
    }
}
