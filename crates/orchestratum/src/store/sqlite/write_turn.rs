//! Write transactions taken in turn within this process.
//!
//! SQLite lets one writer in at a time; a writer that finds the lock taken sleeps in SQLite's
//! busy handler (1, 2, 5, 10, 15, 20, 25 … ms between tries) and may wake well after the lock
//! was freed. The claimer and the outcome writer of a worker write all the time, so they met
//! that way constantly (decision 0009, fourth pass). Writers of one store wait their turn on a
//! fair semaphore instead, woken the moment the last write ends; writers in other processes
//! still meet the busy timeout.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

/// Whose turn it is to write, among the writers of one store.
#[derive(Clone)]
pub(super) struct WriteTurns(Arc<Semaphore>);

impl WriteTurns {
    pub fn new() -> Self {
        Self(Arc::new(Semaphore::new(1)))
    }

    /// Waits for this writer's turn (at most `patience`, as long as a write would wait for
    /// the lock), then begins the transaction `IMMEDIATE`, taking SQLite's write lock first so
    /// that it waits for the lock instead of failing when it upgrades from a read.
    pub async fn begin(&self, pool: &SqlitePool, patience: Duration) -> Result<WriteTx> {
        // The semaphore is never closed: only the wait can fail.
        let Ok(Ok(turn)) =
            tokio::time::timeout(patience, Arc::clone(&self.0).acquire_owned()).await
        else {
            return Err(Error::TimedOut(
                "waiting for this process's turn to write to SQLite",
            ));
        };
        let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _turn: turn })
    }
}

/// A write transaction holding this process's turn to write until it ends. Dropped without a
/// commit, it rolls back (as a `sqlx::Transaction` does) and passes the turn on.
pub(crate) struct WriteTx {
    // Declared first, so dropped first: a transaction dropped without a commit has queued its
    // rollback before the turn passes (sqlx runs it on the connection shortly after; a writer
    // that takes the turn meanwhile finds the lock still held and waits in the busy handler).
    tx: Transaction<'static, Sqlite>,
    _turn: OwnedSemaphorePermit,
}

impl WriteTx {
    pub async fn commit(self) -> Result<()> {
        Ok(self.tx.commit().await?)
    }

    pub async fn rollback(self) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_writer_waits_for_the_turn_and_gives_up_after_its_patience() {
        let pool = SqlitePool::connect("sqlite::memory:").await.unwrap();
        let turns = WriteTurns::new();
        let patience = Duration::from_millis(50);
        let first = turns.begin(&pool, patience).await.unwrap();
        let waited = turns.begin(&pool, patience).await;
        assert!(
            matches!(waited, Err(Error::TimedOut(_))),
            "{:?}",
            waited.err()
        );
        // The turn passes when the first write ends, to a writer already waiting for it.
        let next = tokio::spawn({
            let (turns, pool) = (turns.clone(), pool.clone());
            async move { turns.begin(&pool, Duration::from_secs(10)).await }
        });
        first.commit().await.unwrap();
        next.await.unwrap().unwrap().rollback().await.unwrap();
    }
}
