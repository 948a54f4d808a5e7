//! Unique pushes on PostgreSQL: `INSERT ... ON CONFLICT DO NOTHING RETURNING id`, then the
//! holders of the keys not inserted, read by a later statement so it sees the commit the insert
//! waited for.

use std::collections::HashMap;

use sqlx::PgConnection;
use sqlx::types::Uuid;

use super::PostgresStore;
use crate::error::Result;
use crate::push::{NewCommand, Pushed};
use crate::store::unique::{self, Settle};

impl PostgresStore {
    /// Pushes on the caller's connection (inside their transaction, when they have one).
    pub(crate) async fn push_on(
        &self,
        conn: &mut PgConnection,
        rows: &[NewCommand],
    ) -> Result<Vec<Pushed>> {
        let inserted = self.insert_rows(conn, rows).await?;
        if inserted.len() == rows.len() {
            return Ok(unique::all_inserted(rows));
        }
        let mut settle = Settle::new(rows, &inserted)?;
        for _ in 0..unique::ROUNDS {
            let holders = self.unique_holders(conn, &settle.open_keys()).await?;
            let again = settle.apply(&holders);
            if again.is_empty() {
                break;
            }
            let ids = self.insert_rows(conn, &again).await?;
            settle.inserted(&ids);
        }
        settle.finish()
    }

    async fn unique_holders(
        &self,
        conn: &mut PgConnection,
        keys: &[&str],
    ) -> Result<HashMap<String, Uuid>> {
        let rows: Vec<(Uuid, String)> = self
            .query_as(&self.sql.unique_holders)
            .bind(keys)
            .fetch_all(conn)
            .await?;
        Ok(rows.into_iter().map(|(id, key)| (key, id)).collect())
    }
}
