//! Unique pushes on SQLite: `INSERT ... ON CONFLICT DO NOTHING RETURNING id`, then the holders
//! of the keys not inserted (one writer at a time: nothing changes in between).

use std::collections::HashMap;

use sqlx::SqliteConnection;
use uuid::Uuid;

use super::SqliteStore;
use crate::error::Result;
use crate::push::{NewCommand, Pushed};
use crate::store::rows::Columns as _;
use crate::store::unique::{self, Settle};

impl SqliteStore {
    /// Pushes on the caller's connection (inside their transaction, when they have one).
    pub(crate) async fn push_on(
        &self,
        conn: &mut SqliteConnection,
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
        conn: &mut SqliteConnection,
        keys: &[&str],
    ) -> Result<HashMap<String, Uuid>> {
        use sqlx::Row as _;
        let keys = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
        let rows = sqlx::query(self.sql.unique_holders.clone())
            .bind(keys)
            .fetch_all(conn)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("unique_key")?, row.uuid("id")?)))
            .collect()
    }
}
