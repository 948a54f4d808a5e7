//! Unique pushes on MySQL/MariaDB: no RETURNING on MySQL 8, so after the insert (whose no-op
//! update skips a row whose key is held) the holders of every key of the push are read with a
//! shared lock in the same transaction; a row that holds its own key was inserted.

use std::collections::HashMap;

use sqlx::{MySqlConnection, Row as _};
use uuid::Uuid;

use super::{MySqlStore, batch, uuid};
use crate::error::Result;
use crate::push::{NewCommand, Pushed};
use crate::store::unique::{self, Settle};

impl MySqlStore {
    /// Pushes on the caller's connection (inside their transaction, when they have one).
    pub(crate) async fn push_on(
        &self,
        conn: &mut MySqlConnection,
        rows: &[NewCommand],
    ) -> Result<Vec<Pushed>> {
        self.insert_rows(conn, rows).await?;
        let mut settle = Settle::keyed_unknown(rows);
        for _ in 0..unique::ROUNDS {
            if settle.is_done() {
                break;
            }
            let holders = self.unique_holders(conn, &settle.open_keys()).await?;
            let again = settle.apply(&holders);
            if again.is_empty() {
                break;
            }
            self.insert_rows(conn, &again).await?;
        }
        settle.finish()
    }

    async fn unique_holders(
        &self,
        conn: &mut MySqlConnection,
        keys: &[&str],
    ) -> Result<HashMap<String, Uuid>> {
        let mut holders = HashMap::new();
        for json in batch::json_arrays(keys)? {
            let rows = sqlx::query(self.sql.unique_holders.clone())
                .bind(json)
                .fetch_all(&mut *conn)
                .await?;
            for row in &rows {
                holders.insert(row.try_get("unique_key")?, uuid(row, "id")?);
            }
        }
        Ok(holders)
    }
}
