//! A handler's own transaction on the store's database, in which its writes and the
//! command's completion commit together (`Context::transaction`).
//!
//! The completion is the executor's success transition, fenced by the claim's lease token and
//! written by the same store code (`record_outcomes_on`), with its follow-ups and workflow
//! release, only on the handler's connection instead of the completer's. Once it commits, the
//! run's control says so, and the executor writes nothing more for the run.

use std::fmt;

use uuid::Uuid;

use super::registry::guarded;
use super::{Context, RunLink};
use crate::command::Command;
use crate::error::{Error, Result};
use crate::runtime::Completion;
use crate::runtime::outcome;
use crate::store::{Transition, WriteTransaction};

/// An open transaction on the store's database, for a handler to write its own rows in and
/// then [`complete`](Self::complete) its command in the same commit. Dropped without
/// `complete` (or after a failed one), it rolls back.
pub struct CompletionTransaction {
    tx: WriteTransaction,
    link: RunLink,
    id: Uuid,
    name: String,
    step: bool,
}

impl fmt::Debug for CompletionTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompletionTransaction")
            .field("command", &self.id)
            .field("backend", &self.tx.backend())
            .finish_non_exhaustive()
    }
}

impl CompletionTransaction {
    pub(crate) async fn begin(ctx: &Context) -> Result<Self> {
        let unavailable = |reason| Error::TransactionUnavailable { id: ctx.id, reason };
        let Some(link) = &ctx.link else {
            return Err(unavailable(
                "this context was made by the testing module and has no database",
            ));
        };
        // After a commit whose answer never came, another try is fine: the fence tells.
        if link.control.completion() == Completion::Committed {
            return Err(unavailable("this run has already completed its command"));
        }
        Ok(Self {
            tx: link.shared.store.begin_write().await?,
            link: link.clone(),
            id: ctx.id,
            name: ctx.name.clone(),
            step: ctx.workflow_id.is_some(),
        })
    }

    /// The transaction's connection when the store is PostgreSQL
    /// (`Error::BackendMismatch` otherwise): `sqlx::query(..).execute(tx.postgres()?)`.
    #[cfg(feature = "postgres")]
    pub fn postgres(&mut self) -> Result<&mut sqlx::PgConnection> {
        match &mut self.tx {
            WriteTransaction::Postgres(tx) => Ok(&mut **tx),
            #[allow(unreachable_patterns)]
            other => Err(mismatch(other, "postgres")),
        }
    }

    /// The transaction's connection when the store is SQLite (`Error::BackendMismatch`
    /// otherwise).
    #[cfg(feature = "sqlite")]
    pub fn sqlite(&mut self) -> Result<&mut sqlx::SqliteConnection> {
        match &mut self.tx {
            WriteTransaction::Sqlite(tx) => Ok(&mut **tx),
            #[allow(unreachable_patterns)]
            other => Err(mismatch(other, "sqlite")),
        }
    }

    /// The transaction's connection when the store is MySQL or MariaDB
    /// (`Error::BackendMismatch` otherwise).
    #[cfg(feature = "mysql")]
    pub fn mysql(&mut self) -> Result<&mut sqlx::MySqlConnection> {
        match &mut self.tx {
            WriteTransaction::MySql(tx) => Ok(&mut **tx),
            #[allow(unreachable_patterns)]
            other => Err(mismatch(other, "mysql")),
        }
    }

    /// Completes the command with `output` in this transaction, with the follow-ups
    /// `command.on_success(output)` returns (and, for a workflow step, the release of the
    /// steps waiting for it), and commits: the handler's writes and the completion are stored
    /// together. If this run no longer holds the lease, it rolls back and returns
    /// [`Error::LeaseLost`]: nothing the handler wrote in it is stored. The handler should
    /// then return; what it returns after a completion is ignored.
    pub async fn complete<C: Command>(mut self, command: &C, output: &C::Output) -> Result<()> {
        if C::name() != self.name {
            return Err(Error::WrongCommandType {
                id: self.id,
                expected: C::name().into_owned(),
                found: self.name.clone(),
            });
        }
        let encoded = serde_json::to_string(output).map_err(|source| Error::Serialize {
            what: "output",
            name: self.name.clone(),
            source,
        })?;
        let shared = &self.link.shared;
        // As for a success the executor writes: a panicking hook or a follow-up the backend
        // cannot store is noted, and the completion stands.
        let follow_ups = guarded("on_success", || command.on_success(output));
        let (kind, follow_ups) = outcome::success(encoded, follow_ups, shared.row_rules());
        let transition = Transition {
            id: self.id,
            lease_token: Some(self.link.lease_token),
            kind,
            retries_left: None,
            follow_ups,
            ran: true,
            step: self.step,
        };
        let applied = shared
            .store
            .record_outcomes_in(&mut self.tx, std::slice::from_ref(&transition))
            .await?;
        if !applied.contains(&self.id) {
            self.tx.rollback().await?;
            return Err(Error::LeaseLost(self.id));
        }
        let control = &self.link.control;
        // From here until the answer, only the database knows whether it committed.
        control.set_completion(Completion::Committing);
        self.tx.commit().await?;
        control.set_completion(Completion::Committed);
        shared.metrics.pushed(&transition.follow_ups);
        // The completer's wake rule: follow-ups for this instance, and steps this one's end
        // may have released, are claimable here now.
        let key = &shared.config.instance_key;
        if transition.step || transition.follow_ups.iter().any(|f| &f.target == key) {
            shared.wake.notify_one();
        }
        shared.finished.notify_waiters();
        Ok(())
    }

    /// Rolls back now, rather than when dropped.
    pub async fn rollback(self) -> Result<()> {
        self.tx.rollback().await
    }
}

fn mismatch(tx: &WriteTransaction, given: &'static str) -> Error {
    Error::BackendMismatch {
        client: tx.backend(),
        given,
    }
}
