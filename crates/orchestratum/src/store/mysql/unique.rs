//! Unique pushes on MySQL/MariaDB: no RETURNING on MySQL 8, so after the insert (whose no-op
//! update skips a row whose key is held) the holders of every key of the push are read with a
//! shared lock in the same transaction; a row that holds its own key was inserted.

use std::collections::HashMap;

use sqlx::{MySqlConnection, Row as _};
use uuid::Uuid;

use super::{MySqlStore, batch};
use crate::error::{Error, Result};
use crate::push::{NewCommand, Pushed};
use crate::store::rows::Columns as _;
use crate::store::unique::{self, Settle};

/// How many times a push in a transaction of its own is tried when InnoDB picks it as a
/// deadlock victim.
const DEADLOCK_TRIES: u32 = 20;

impl MySqlStore {
    /// Pushes in one transaction (a large batch may take several statements: all or nothing).
    /// Concurrent pushes of one new key deadlock by design in InnoDB (each waits on the first
    /// inserter's lock, then all want to upgrade it); the victim's transaction is rolled back
    /// whole, so it is simply tried again after a short random pause.
    pub(super) async fn push_in_own_transaction(&self, rows: &[NewCommand]) -> Result<Vec<Pushed>> {
        let mut tries = 0;
        loop {
            let mut tx = self.begin().await?;
            match self.push_on(&mut tx, rows).await {
                Ok(pushed) => {
                    tx.commit().await?;
                    return Ok(pushed);
                }
                Err(e) if tries + 1 < DEADLOCK_TRIES && is_deadlock(&e) => {
                    drop(tx);
                    tries += 1;
                    let pause = fastrand::u64(1..=5 * u64::from(tries));
                    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

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
                holders.insert(row.try_get("unique_key")?, row.uuid("id")?);
            }
        }
        Ok(holders)
    }
}

/// InnoDB rolled the transaction back to break a deadlock (error 1213).
fn is_deadlock(error: &Error) -> bool {
    match error {
        Error::Database(sqlx::Error::Database(db)) => db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|e| e.number() == 1213),
        _ => false,
    }
}
