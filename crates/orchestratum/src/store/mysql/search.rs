//! Search and deletion (`store::search`) on MySQL and MariaDB. Every parameter of the search
//! is bound twice: once for `IS NULL`, once to compare (the text pattern three times).

use uuid::Uuid;

use super::MySqlStore;
use crate::error::Result;
use crate::record::CommandRecord;
use crate::store::rows::{self, Columns as _};
use crate::store::search::{Deleted, SearchBinds};

fn text(id: Option<Uuid>) -> Option<String> {
    id.map(|id| id.hyphenated().to_string())
}

impl MySqlStore {
    pub(crate) async fn search(&self, b: &SearchBinds<'_>) -> Result<Vec<CommandRecord>> {
        let from = b.scheduled_from.map(|t| t.naive_utc());
        let until = b.scheduled_until.map(|t| t.naive_utc());
        let (id_from, id_until, id, after) =
            (text(b.id_from), text(b.id_until), text(b.id), text(b.after));
        let pattern = b.pattern.as_deref();
        let rows = sqlx::query(self.sql.search.clone())
            .bind(b.state)
            .bind(b.state)
            .bind(b.name)
            .bind(b.name)
            .bind(b.target)
            .bind(b.target)
            .bind(from)
            .bind(from)
            .bind(until)
            .bind(until)
            .bind(&id_from)
            .bind(&id_from)
            .bind(&id_until)
            .bind(&id_until)
            .bind(&id)
            .bind(&id)
            .bind(pattern)
            .bind(pattern)
            .bind(pattern)
            .bind(&after)
            .bind(&after)
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
        let (from, below) = (text(from), text(below));
        let rows = sqlx::query(self.sql.search_edge.clone())
            .bind(&from)
            .bind(&from)
            .bind(&below)
            .bind(&below)
            .bind(skip)
            .fetch_all(&self.pool)
            .await?;
        rows::all(&rows, |r| r.uuid("id"))
    }

    pub(crate) async fn delete(&self, id: Uuid) -> Result<Deleted> {
        let id = id.hyphenated().to_string();
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query(self.sql.delete_check.clone())
            .bind(&id)
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
        sqlx::query(self.sql.delete.clone())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Deleted::Deleted)
    }
}
