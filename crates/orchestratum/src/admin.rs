//! `Admin`: the operators' operations on one instance's table, on every backend: migration
//! status and downgrade, the queue summary, listing and keyset-paged search, retrying, deleting
//! (one command or in bulk), pruning, and pushing a command by name with raw JSON input. The
//! `orchestratum` CLI is built on it (and nothing else of the store); a dashboard can be too. Get one from [`crate::Client::admin`].

use uuid::Uuid;

use crate::client::{Cancellation, Client, Shared};
use crate::error::{Error, Result};
use crate::push::{Planned, Push, Pushed};
use crate::record::CommandRecord;
use crate::record::State;
pub use crate::store::Control;
use crate::store::Deleted;
pub use crate::store::{Accuracy, Count, Overview, OverviewCounts};
pub use crate::store::{
    AppliedMigration, DowngradeParams, DowngradeReport, ListParams, MigrationStatus,
    PRUNE_BATCH_DEFAULT, PlannedMigration, PruneParams, QueueSummary, Since, StateCounts,
};
pub use crate::store::{
    BulkReport, Cursor, DeleteRefusal, Page, SEARCH_LIMIT_MAX, SEARCH_SCAN_DEFAULT,
    SEARCH_SCAN_MAX, ScanStop, SearchFilter, Selection,
};

/// The operators' handle on a table; cheap to clone.
#[derive(Clone)]
pub struct Admin {
    pub(crate) shared: std::sync::Arc<Shared>,
}

impl Admin {
    /// Applied and pending schema versions, with each pending version's SQL.
    pub async fn migration_status(&self) -> Result<MigrationStatus> {
        self.shared.store.migration_status().await
    }

    /// Undoes migrations newer than `params.to` (refused when unsafe, see [`DowngradeParams`]).
    pub async fn migrate_down(&self, params: DowngradeParams) -> Result<DowngradeReport> {
        self.shared.store.migrate_down(params).await
    }

    /// Counts by state, name and target, the oldest pending command, up to `expired_limit`
    /// lapsed leases, and the flow controls (paused names, fleet limits).
    pub async fn summary(&self, expired_limit: usize) -> Result<QueueSummary> {
        self.shared.store.summary(expired_limit).await
    }

    /// The dashboard's summary, cheap on a big table (decision 0019): exact counts of the
    /// unfinished states by state, name and target, read through an index of unfinished rows
    /// only; the table's row estimate; and, from `finished_since` on, the finished outcomes
    /// the per-minute stats counted. Each number says whether it is exact, estimated or
    /// windowed ([`Count`]). [`Admin::summary`] keeps the exact counts of every state.
    pub async fn overview(
        &self,
        expired_limit: usize,
        finished_since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Overview> {
        self.shared
            .store
            .overview(expired_limit, finished_since)
            .await
    }

    /// Commands, newest `scheduled_at` first, filtered by `params`.
    pub async fn list(&self, params: ListParams<'_>) -> Result<Vec<CommandRecord>> {
        self.shared.store.list(params).await
    }

    /// At most `limit` (1 to [`SEARCH_LIMIT_MAX`]) commands matching `filter`, newest id
    /// (creation) first, after the cursor of an earlier page; with the next page's cursor.
    /// A text search examines at most [`SearchFilter::scan_budget`] rows a page and says
    /// where it stopped ([`Page::scan_stopped`]): its page may hold fewer rows than `limit`
    /// (even none) and still have a next one.
    pub async fn search(
        &self,
        filter: &SearchFilter,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page> {
        self.shared.store.search(filter, after, limit).await
    }

    /// Deletes one command with its attempts. Finished commands and unfinished ones can go,
    /// except (`Error::DeleteRefused`, saying which) one a live lease holds, a workflow step
    /// that unfinished steps wait for, and an unfinished step waiting for unfinished parents.
    /// `Error::NotFound` when no command has this id.
    pub async fn delete(&self, id: Uuid) -> Result<()> {
        match self.shared.store.delete(id).await? {
            Deleted::Deleted => Ok(()),
            Deleted::NotFound => Err(Error::NotFound(id)),
            Deleted::Refused(reason) => Err(Error::DeleteRefused { id, reason }),
        }
    }

    /// Retries (as [`Admin::retry`], with the retries each had left) every failed or canceled
    /// command of `selection`, in batches of at most [`SEARCH_LIMIT_MAX`]; the others are
    /// skipped, and so is one whose unique key a live command holds meanwhile.
    pub async fn retry_all(&self, selection: &Selection) -> Result<BulkReport> {
        self.bulk(
            selection,
            |s| matches!(s, State::Failed | State::Canceled),
            |id| async move {
                match self.shared.store.retry(id, None).await {
                    Ok(retried) => Ok(retried.is_some()),
                    Err(Error::UniqueKeyTaken { .. }) => Ok(false),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// Cancels (as [`Client::cancel`]: at once when nothing runs it and this instance knows
    /// its type, by a request the worker acts on otherwise) every unfinished command of
    /// `selection`, in batches; finished ones are skipped.
    pub async fn cancel_all(&self, selection: &Selection) -> Result<BulkReport> {
        let client = Client {
            shared: self.shared.clone(),
        };
        let client = &client;
        self.bulk(
            selection,
            |s| !s.is_terminal(),
            |id| async move {
                match client.cancel(id).await {
                    Ok(Cancellation::Canceled | Cancellation::Requested) => Ok(true),
                    Ok(Cancellation::AlreadyFinished(_)) | Err(Error::NotFound(_)) => Ok(false),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// Deletes (as [`Admin::delete`]) every command of `selection` it may, in batches;
    /// refused ones are skipped and counted.
    pub async fn delete_all(&self, selection: &Selection) -> Result<BulkReport> {
        self.bulk(
            selection,
            |_| true,
            |id| async move { Ok(self.shared.store.delete(id).await? == Deleted::Deleted) },
        )
        .await
    }

    /// Applies `act` (true: it changed the row) to each command of `selection` in a state
    /// `accepts`, one batch of ids at a time; a filter is paged by id, so rows the action
    /// changes or deletes do not move the pages.
    async fn bulk<F, Fut>(
        &self,
        selection: &Selection,
        accepts: impl Fn(State) -> bool,
        act: F,
    ) -> Result<BulkReport>
    where
        F: Fn(Uuid) -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let mut report = BulkReport::default();
        let mut tally = |changed: bool| {
            if changed {
                report.changed += 1;
            } else {
                report.skipped += 1;
            }
        };
        match selection {
            Selection::Ids(ids) => {
                for &id in ids {
                    tally(act(id).await?);
                }
            }
            Selection::Matching(filter) => {
                let mut after = None;
                loop {
                    let page = self.search(filter, after, SEARCH_LIMIT_MAX).await?;
                    for row in &page.rows {
                        let changed = accepts(row.state()) && act(row.id).await?;
                        tally(changed);
                    }
                    match page.next {
                        Some(next) => after = Some(next),
                        None => break,
                    }
                }
            }
        }
        Ok(report)
    }

    /// Makes a failed or canceled command pending again, due now, with `retries` retries (what
    /// it had left, at least 0, when `None`). `None` when it is in another state or unknown.
    pub async fn retry(&self, id: Uuid, retries: Option<u16>) -> Result<Option<CommandRecord>> {
        self.shared.store.retry(id, retries.map(i32::from)).await
    }

    /// Pauses a command name on every instance (see [`crate::Client::pause`]).
    pub async fn pause(&self, name: &str) -> Result<Control> {
        self.shared.store.pause(name).await
    }

    /// Resumes a paused command name (see [`crate::Client::resume`]).
    pub async fn resume(&self, name: &str) -> Result<Control> {
        self.shared.store.resume(name).await
    }

    /// Every flow-control row: paused names and recorded fleet limits.
    pub async fn controls(&self) -> Result<Vec<Control>> {
        self.shared.store.controls().await
    }

    /// The per-minute outcome counts from `since` on, of `name` only if given (see
    /// [`crate::Client::stats`]).
    pub async fn stats(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        name: Option<&str>,
    ) -> Result<Vec<crate::StatsBucket>> {
        crate::Client {
            shared: self.shared.clone(),
        }
        .stats(since, name)
        .await
    }

    /// Deletes the stats buckets older than `age` (what started instances do past their
    /// [`crate::Stats::keep`]); how many.
    pub async fn prune_stats(&self, age: std::time::Duration) -> Result<u64> {
        let oldest = crate::stats::minute_of(
            std::time::SystemTime::now()
                .checked_sub(age)
                .unwrap_or(std::time::UNIX_EPOCH),
        );
        self.shared.store.prune_stats(oldest).await
    }

    /// Deletes finished commands (and their attempts) per `params`; how many.
    pub async fn prune(&self, params: PruneParams) -> Result<u64> {
        self.shared.store.prune(params).await
    }

    /// Pushes a command by stored name with its input as JSON text, for tools that know no
    /// command types. Unset options take the library's defaults (the pushing instance's key,
    /// no delay, a 5 s timeout, 3 retries).
    pub async fn push(&self, name: &str, input: &str, push: Push) -> Result<Uuid> {
        Ok(self.push_checked(name, input, push).await?.id())
    }

    /// [`Admin::push`], saying whether the command was inserted or a live command already
    /// holds its unique key.
    pub async fn push_checked(&self, name: &str, input: &str, push: Push) -> Result<Pushed> {
        let row = Planned::raw(name, input, push)?.into_row(&self.shared.config.instance_key)?;
        self.shared.store.limits().check(&row)?;
        let pushed = self
            .shared
            .store
            .push_many(std::slice::from_ref(&row))
            .await?;
        Ok(pushed[0])
    }
}
