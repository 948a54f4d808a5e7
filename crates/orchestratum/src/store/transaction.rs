//! A write transaction on the store's own pool that the caller keeps open, writes in, and ends
//! with outcomes recorded in it (a handler's completion, `handler/transaction.rs`).

use uuid::Uuid;

use super::{Store, Transition};
use crate::error::{Error, Result};

/// An open transaction on one backend's pool; dropped without a commit, it rolls back.
pub(crate) enum WriteTransaction {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    #[cfg(feature = "sqlite")]
    Sqlite(super::sqlite::WriteTx),
    #[cfg(feature = "mysql")]
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
}

impl WriteTransaction {
    /// The backend's name, for messages.
    pub fn backend(&self) -> &'static str {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => "postgres",
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => "sqlite",
            #[cfg(feature = "mysql")]
            Self::MySql(_) => "mysql",
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => tx.commit().await?,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => tx.commit().await?,
            #[cfg(feature = "mysql")]
            Self::MySql(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<()> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => tx.rollback().await?,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => tx.rollback().await?,
            #[cfg(feature = "mysql")]
            Self::MySql(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

impl Store {
    /// Begins a write transaction as this backend's own writes begin theirs (SQLite:
    /// `BEGIN IMMEDIATE`; the servers: their default).
    pub(crate) async fn begin_write(&self) -> Result<WriteTransaction> {
        Ok(match self {
            #[cfg(feature = "postgres")]
            Store::Postgres(s) => WriteTransaction::Postgres(s.begin().await?),
            #[cfg(feature = "sqlite")]
            Store::Sqlite(s) => WriteTransaction::Sqlite(s.begin_write().await?),
            #[cfg(feature = "mysql")]
            Store::MySql(s) => WriteTransaction::MySql(s.begin().await?),
        })
    }

    /// Writes outcomes with their follow-ups and workflow releases inside `tx`, as
    /// [`Store::record_outcomes`] does in its own transaction; returns the ids applied.
    pub(crate) async fn record_outcomes_in(
        &self,
        tx: &mut WriteTransaction,
        transitions: &[Transition],
    ) -> Result<Vec<Uuid>> {
        if transitions.is_empty() {
            return Ok(Vec::new());
        }
        match (self, tx) {
            #[cfg(feature = "postgres")]
            (Store::Postgres(s), WriteTransaction::Postgres(tx)) => {
                s.record_outcomes_on(tx, transitions).await
            }
            #[cfg(feature = "sqlite")]
            (Store::Sqlite(s), WriteTransaction::Sqlite(tx)) => {
                s.record_outcomes_on(tx, transitions).await
            }
            #[cfg(feature = "mysql")]
            (Store::MySql(s), WriteTransaction::MySql(tx)) => {
                s.record_outcomes_on(tx, transitions).await
            }
            #[allow(unreachable_patterns)]
            (store, tx) => Err(Error::BackendMismatch {
                client: store.backend(),
                given: tx.backend(),
            }),
        }
    }
}
