//! `Client`: push, cancel, get and wait, with or without a worker in the same process.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::attempt::{self, Attempt};
use crate::command::{Canceled, Command};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::handler::registry::Registry;
use crate::migrate::MigrationReport;
use crate::push::{NewCommand, Push, Pushed};
use crate::record::{CommandRecord, State, Status};
use crate::runtime::outcome;
use crate::runtime::{Running, StopReason};
use crate::store::{Store, Transition, TransitionKind};
use crate::telemetry;
use crate::worker::{Unhandled, WorkerInfo};
use crate::workflow::{PlannedWorkflow, PushedWorkflow, Workflow, WorkflowInfo};

/// State shared by a client and the worker of the same instance.
pub(crate) struct Shared {
    pub store: Store,
    pub config: Config,
    pub registry: Registry,
    /// Names this instance has handlers for (claimed by its worker).
    pub names: Vec<String>,
    /// Wakes the local claimer (a push from this process).
    pub wake: Notify,
    /// Wakes local `wait` calls after outcomes were written.
    pub finished: Notify,
    /// Makes the lease keeper renew at once (a cancel request may concern a local run).
    pub renew_now: Notify,
    /// Runs in flight in this process.
    pub running: Running,
    /// This instance's worker id, in its runs' spans (and the worker registry).
    pub worker_id: Uuid,
    /// Its metric handles.
    pub metrics: telemetry::Metrics,
    /// Its outcome counts not yet added to the stats table.
    pub stats: crate::stats::Tally,
    /// How the claimer splits the handled names by their concurrency limits.
    pub flow: crate::flow::Flow,
}

impl Shared {
    /// Records a written outcome of command `id` in the metrics and, unless stats are off, in
    /// the per-minute counts (`run`: how long its handler ran, zero if none did).
    pub fn outcome(&self, id: Uuid, name: &str, outcome: telemetry::Outcome, run: Duration) {
        self.metrics.outcome(id, name, outcome);
        if let Some(counted) = outcome.stats()
            && self.config.stats.is_on()
        {
            self.stats.record(name, counted, run);
        }
    }

    /// How this instance builds and checks follow-up rows.
    pub fn row_rules(&self) -> outcome::RowRules<'_> {
        outcome::RowRules {
            default_target: &self.config.instance_key,
            limits: self.store.limits(),
            retry_backoff: self.config.retry_backoff,
        }
    }

    /// The row a push of `command` inserts, checked against what the backend stores.
    fn new_row<C: Command>(&self, command: &C, push: Push) -> Result<NewCommand> {
        let row = NewCommand::build(command, push, &self.config.instance_key)?;
        self.store.limits().check(&row)?;
        Ok(row)
    }
}

/// Pushes and steers commands; cheap to clone. Obtained from [`crate::Builder::connect`]
/// (client only) or from a started [`crate::Orchestratum`].
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

/// How a finished command ended, with its typed output on success.
#[derive(Debug, Clone, PartialEq)]
pub enum Finished<T> {
    /// Completed; the handler's output.
    Completed(T),
    /// Failed for good (retries exhausted).
    Failed {
        /// `Failed`, or `TimedOut` when the last run exceeded its timeout.
        status: Status,
        /// The last run's error.
        error: Option<String>,
    },
    /// Cancelled.
    Canceled {
        /// Who or what cancelled it.
        reason: Option<String>,
    },
}

impl<T> Finished<T> {
    /// The reference status of this ending.
    pub fn status(&self) -> Status {
        match self {
            Finished::Completed(_) => Status::Success,
            Finished::Failed { status, .. } => *status,
            Finished::Canceled { .. } => Status::Cancelled,
        }
    }
}

/// What `cancel` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// The command was not running and is now canceled, its follow-ups enqueued.
    Canceled,
    /// The request is recorded: the worker that runs (or next claims) the command stops it
    /// and writes the cancellation with its follow-ups.
    Requested,
    /// Nothing to do: the command had already finished in this state.
    AlreadyFinished(State),
}

/// A connection a command can be pushed on, inside the caller's own transaction.
/// Implemented for `sqlx::PgConnection`, `sqlx::SqliteConnection` and `sqlx::MySqlConnection`
/// (each with its backend's feature); pass `&mut *tx`.
pub trait PushConnection: Send {
    #[doc(hidden)]
    fn push_rows<'a>(
        &'a mut self,
        store: &'a Store,
        rows: &'a [NewCommand],
    ) -> impl Future<Output = Result<Vec<Pushed>>> + Send + 'a;

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn push_workflow_rows<'a>(
        &'a mut self,
        store: &'a Store,
        workflow: &'a PlannedWorkflow,
    ) -> impl Future<Output = Result<()>> + Send + 'a;
}

/// Implements [`PushConnection`] for one backend's connection: each push goes to that
/// backend's store, and a client of another backend is refused.
macro_rules! push_connection {
    ($feature:literal, $connection:ty, $variant:ident, $given:literal) => {
        #[cfg(feature = $feature)]
        impl PushConnection for $connection {
            async fn push_rows<'a>(
                &'a mut self,
                store: &'a Store,
                rows: &'a [NewCommand],
            ) -> Result<Vec<Pushed>> {
                match store {
                    Store::$variant(s) => s.push_on(self, rows).await,
                    #[allow(unreachable_patterns)]
                    other => Err(mismatch(other, $given)),
                }
            }

            #[allow(private_interfaces)]
            async fn push_workflow_rows<'a>(
                &'a mut self,
                store: &'a Store,
                workflow: &'a PlannedWorkflow,
            ) -> Result<()> {
                match store {
                    Store::$variant(s) => s.push_workflow_on(self, workflow).await,
                    #[allow(unreachable_patterns)]
                    other => Err(mismatch(other, $given)),
                }
            }
        }
    };
}

push_connection!("postgres", sqlx::PgConnection, Postgres, "postgres");
push_connection!("sqlite", sqlx::SqliteConnection, Sqlite, "sqlite");
push_connection!("mysql", sqlx::MySqlConnection, MySql, "mysql");

/// A connection of backend `given` handed to a client on another.
fn mismatch(store: &Store, given: &'static str) -> Error {
    Error::BackendMismatch {
        client: store.backend(),
        given,
    }
}

/// The span of a push (one call, one or many commands of type `C`).
fn push_span<C: Command>() -> tracing::Span {
    tracing::info_span!("orchestratum.push", command.name = %C::name())
}

impl Client {
    /// Pushes a command with its type's defaults; it is stored when this returns. With a
    /// unique key whose holder is live, nothing is inserted and the holder's id is returned
    /// ([`Client::push_unique`] tells the two apart).
    pub async fn push<C: Command>(&self, command: C) -> Result<Uuid> {
        self.push_with(command, Push::new()).await
    }

    /// Pushes a command with per-push overrides; the holder's id on a unique duplicate.
    pub async fn push_with<C: Command>(&self, command: C, push: Push) -> Result<Uuid> {
        Ok(self.push_unique(command, push).await?.id())
    }

    /// Pushes a command with per-push overrides and says whether it was inserted or a live
    /// command already holds its unique key.
    ///
    /// ```no_run
    /// # async fn f(orch: orchestratum::Client) -> orchestratum::Result<()> {
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct SyncCommand { user: u64 }
    /// # impl orchestratum::Command for SyncCommand { type Output = (); }
    /// use orchestratum::{Push, Pushed};
    /// let push = Push::new().unique_key("sync:42").priority(10);
    /// match orch.push_unique(SyncCommand { user: 42 }, push).await? {
    ///     Pushed::Inserted(id) => println!("queued {id}"),
    ///     Pushed::Duplicate(id) => println!("already queued as {id}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn push_unique<C: Command>(&self, command: C, push: Push) -> Result<Pushed> {
        async {
            let row = self.shared.new_row(&command, push)?;
            let rows = std::slice::from_ref(&row);
            let pushed = self.shared.store.push_many(rows).await?;
            self.pushed(rows, &pushed);
            Ok(pushed[0])
        }
        .instrument(push_span::<C>())
        .await
    }

    /// Pushes many commands of one type in one statement; returns their ids in order (a unique
    /// duplicate's holder's id).
    pub async fn push_many<C: Command>(
        &self,
        commands: impl IntoIterator<Item = C>,
    ) -> Result<Vec<Uuid>> {
        self.push_many_with(commands, Push::new()).await
    }

    /// Pushes many commands of one type in one statement, each with the same overrides.
    pub async fn push_many_with<C: Command>(
        &self,
        commands: impl IntoIterator<Item = C>,
        push: Push,
    ) -> Result<Vec<Uuid>> {
        let pushed = self.push_many_unique(commands, push).await?;
        Ok(pushed.into_iter().map(Pushed::id).collect())
    }

    /// Pushes many commands of one type in one statement, each with the same overrides, and
    /// says for each whether it was inserted or a duplicate (of a live command, or of an
    /// earlier command of the same batch with the same key).
    pub async fn push_many_unique<C: Command>(
        &self,
        commands: impl IntoIterator<Item = C>,
        push: Push,
    ) -> Result<Vec<Pushed>> {
        let rows = commands
            .into_iter()
            .map(|c| self.shared.new_row(&c, push.clone()))
            .collect::<Result<Vec<_>>>()?;
        async {
            let pushed = self.shared.store.push_many(&rows).await?;
            self.pushed(&rows, &pushed);
            Ok(pushed)
        }
        .instrument(push_span::<C>())
        .await
    }

    /// Pushes inside the caller's transaction: the command exists if and only if it commits.
    /// On a unique duplicate, the holder's id.
    ///
    /// ```no_run
    /// # async fn f(orch: orchestratum::Client, pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct ShipCommand;
    /// # impl orchestratum::Command for ShipCommand { type Output = (); }
    /// let mut tx = pool.begin().await?;
    /// sqlx::query("UPDATE orders SET state = 'paid' WHERE id = 1").execute(&mut *tx).await?;
    /// orch.push_in(&mut *tx, ShipCommand, orchestratum::Push::new()).await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn push_in<C: Command, Conn: PushConnection + ?Sized>(
        &self,
        conn: &mut Conn,
        command: C,
        push: Push,
    ) -> Result<Uuid> {
        Ok(self.push_in_unique(conn, command, push).await?.id())
    }

    /// [`Client::push_in`], saying whether the command was inserted or a duplicate. Inside the
    /// caller's transaction, a key becomes taken for others when it commits (they wait for it).
    pub async fn push_in_unique<C: Command, Conn: PushConnection + ?Sized>(
        &self,
        conn: &mut Conn,
        command: C,
        push: Push,
    ) -> Result<Pushed> {
        async {
            let row = self.shared.new_row(&command, push)?;
            let rows = std::slice::from_ref(&row);
            let pushed = conn.push_rows(&self.shared.store, rows).await?;
            // On PostgreSQL the NOTIFY arrives at commit; elsewhere look now (a claim waits for
            // the caller's write lock on SQLite, then sees the row if it committed; on MySQL it
            // skips the uncommitted row, which the next poll finds).
            self.pushed(rows, &pushed);
            Ok(pushed[0])
        }
        .instrument(push_span::<C>())
        .await
    }

    /// Metrics, a debug event and a local wake-up for the rows a push inserted (not for the
    /// duplicates of a held unique key).
    fn pushed(&self, rows: &[NewCommand], pushed: &[Pushed]) {
        let inserted: Vec<&NewCommand> = rows
            .iter()
            .zip(pushed)
            .filter(|(_, p)| p.is_inserted())
            .map(|(r, _)| r)
            .collect();
        self.shared.metrics.pushed(inserted.iter().copied());
        for r in &inserted {
            tracing::debug!(command.id = %r.id, command.name = %r.name, command.attempt = 0, command.target = %r.target, "command pushed");
        }
        if inserted
            .iter()
            .any(|r| r.target == self.shared.config.instance_key)
        {
            self.shared.wake.notify_one();
        }
    }

    /// Every run of a command so far, in order: the runs that did not succeed and lapsed
    /// leases (recorded as they ended), then the success or the run in progress.
    pub async fn attempts(&self, id: Uuid) -> Result<Vec<Attempt>> {
        let record = self.get(id).await?;
        let recorded = self.shared.store.attempts(id).await?;
        Ok(attempt::history(recorded, &record))
    }

    /// Every worker in the registry, live or gone (gone ones are removed by the next heartbeat
    /// of any worker).
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        self.shared.store.workers().await
    }

    /// Commands due for longer than `older_than` that no live worker of their target has a
    /// handler for, by target and name: they will wait until such a worker starts.
    pub async fn unhandled(&self, older_than: Duration) -> Result<Vec<Unhandled>> {
        self.shared.store.unhandled(older_than).await
    }

    /// Cancels a command. Not running: canceled at once (with its `on_cancellation` follow-ups)
    /// when this instance knows its type, else as soon as a worker for it looks. Running: its
    /// handler's token fires (at once in this process) and it ends canceled.
    pub async fn cancel(&self, id: Uuid) -> Result<Cancellation> {
        let record = self.get(id).await?;
        if let Some(state) = Some(record.state()).filter(|s| s.is_terminal()) {
            return Ok(Cancellation::AlreadyFinished(state));
        }
        if record.state() != State::Running
            && let Some(entry) = self.shared.registry.get(&record.name)
        {
            // One fenced write: it applies only while no live lease holds the command.
            let input = record.input.as_deref().unwrap_or("null");
            let reason = "canceled by cancel()";
            let canceled = Canceled::new(reason, u32::try_from(record.attempt).unwrap_or(0));
            let (follow_ups, reason) = outcome::hooks(
                Some(entry.command.on_cancellation(input, &canceled)),
                reason.to_owned(),
                self.shared.row_rules(),
            );
            let transition = Transition {
                id,
                lease_token: None,
                kind: TransitionKind::Cancel { reason },
                retries_left: None,
                follow_ups,
                ran: false,
                step: record.workflow_id.is_some(),
            };
            let applied = self
                .shared
                .store
                .record_outcomes(std::slice::from_ref(&transition))
                .await?;
            if applied.contains(&id) {
                self.shared.outcome(
                    id,
                    &record.name,
                    telemetry::Outcome::Canceled,
                    Duration::ZERO,
                );
                self.shared.metrics.pushed(&transition.follow_ups);
                if !self.shared.stats.is_periodic() {
                    // No worker here flushes the counts: a client alone (the CLI's `cancel`)
                    // adds its one count now. A failure keeps it for the next flush.
                    if let Err(error) = self.flush_stats().await {
                        tracing::warn!(%error, "adding the cancel to the stats failed");
                    }
                }
                tracing::info!(
                    command.id = %id, command.name = %record.name, command.attempt = record.attempt,
                    follow_ups = transition.follow_ups.len(), "command canceled"
                );
                if transition
                    .follow_ups
                    .iter()
                    .any(|f| f.target == self.shared.config.instance_key)
                {
                    self.shared.wake.notify_one();
                }
                self.shared.finished.notify_waiters();
                return Ok(Cancellation::Canceled);
            }
        }
        // Running, claimed meanwhile, or of a type this instance does not know: leave a request
        // that the worker holding (or next claiming) the command acts on.
        let Some(request) = self.shared.store.request_cancel(id).await? else {
            let record = self.get(id).await?;
            return Ok(Cancellation::AlreadyFinished(record.state()));
        };
        if request.running
            && let Some(control) = self.shared.running.get(id)
        {
            control.stop(StopReason::CancelRequested);
        }
        self.shared.wake.notify_one();
        tracing::info!(
            command.id = %id, command.name = %request.name, command.attempt = request.attempt,
            running = request.running, "cancel requested"
        );
        Ok(Cancellation::Requested)
    }

    /// Pushes a workflow (or a [`crate::Batch`]) in one transaction: every step, its edges,
    /// and the steps with parents waiting for them. Checked first: a graph with a cycle, an
    /// unknown or duplicate key, or a unique step is refused with `Error::InvalidWorkflow`
    /// and nothing is written.
    ///
    /// ```no_run
    /// # async fn f(orch: orchestratum::Client) -> orchestratum::Result<()> {
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct FetchCommand;
    /// # impl orchestratum::Command for FetchCommand { type Output = String; }
    /// use orchestratum::{Step, Workflow};
    /// let pushed = orch
    ///     .push_workflow(
    ///         Workflow::new("fetch twice")
    ///             .step(Step::new("first", FetchCommand))
    ///             .step(Step::new("second", FetchCommand).after("first")),
    ///     )
    ///     .await?;
    /// let info = orch.wait_workflow(pushed.id).await?;
    /// println!("{} ended {}", info.name, info.state);
    /// # Ok(()) }
    /// ```
    pub async fn push_workflow(&self, workflow: impl Into<Workflow>) -> Result<PushedWorkflow> {
        let planned = self.plan_workflow(workflow.into())?;
        self.shared.store.push_workflow(&planned).await?;
        self.pushed(
            &planned.rows,
            &crate::store::unique::all_inserted(&planned.rows),
        );
        Ok(planned.pushed())
    }

    /// Pushes a workflow inside the caller's transaction: it exists if and only if that
    /// commits.
    pub async fn push_workflow_in<Conn: PushConnection + ?Sized>(
        &self,
        conn: &mut Conn,
        workflow: impl Into<Workflow>,
    ) -> Result<PushedWorkflow> {
        let planned = self.plan_workflow(workflow.into())?;
        conn.push_workflow_rows(&self.shared.store, &planned)
            .await?;
        self.pushed(
            &planned.rows,
            &crate::store::unique::all_inserted(&planned.rows),
        );
        Ok(planned.pushed())
    }

    fn plan_workflow(&self, workflow: Workflow) -> Result<PlannedWorkflow> {
        workflow.plan(&self.shared.config.instance_key, self.shared.store.limits())
    }

    /// A workflow's steps (with their rows and edges) and its overall state;
    /// `Error::WorkflowNotFound` for an unknown id.
    pub async fn workflow(&self, id: Uuid) -> Result<crate::WorkflowInfo> {
        self.shared.store.workflow(id).await
    }

    /// Cancels every step of a workflow that has not finished: running ones are stopped,
    /// waiting and pending ones are canceled by the next worker that claims them (each with
    /// its `on_cancellation` follow-ups). Returns how many steps were asked to cancel.
    pub async fn cancel_workflow(&self, id: Uuid) -> Result<usize> {
        let requested = self.shared.store.cancel_workflow(id).await?;
        if requested.is_empty() {
            // Tells "all finished" from "no such workflow".
            self.workflow(id).await?;
        }
        for (step, running) in &requested {
            if *running && let Some(control) = self.shared.running.get(*step) {
                control.stop(StopReason::CancelRequested);
            }
        }
        self.shared.wake.notify_one();
        tracing::info!(workflow.id = %id, steps = requested.len(), "workflow cancel requested");
        Ok(requested.len())
    }

    /// Resolves once every step of the workflow has ended, with its final view. Wrap it in
    /// `tokio::time::timeout` to bound the wait.
    pub async fn wait_workflow(&self, id: Uuid) -> Result<WorkflowInfo> {
        let mut pause = Duration::from_millis(5);
        loop {
            let finished = self.shared.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            let info = self.workflow(id).await?;
            if info.state.is_terminal() {
                return Ok(info);
            }
            tokio::select! {
                () = &mut finished => {}
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    /// Reads a command's row; `Error::NotFound` for an unknown id.
    pub async fn get(&self, id: Uuid) -> Result<CommandRecord> {
        self.shared.store.get(id).await?.ok_or(Error::NotFound(id))
    }

    /// Resolves once the command is finished, with its typed output on success.
    /// Wrap it in `tokio::time::timeout` to bound the wait.
    pub async fn wait<C: Command>(&self, id: Uuid) -> Result<Finished<C::Output>> {
        let mut pause = Duration::from_millis(5);
        loop {
            let finished = self.shared.finished.notified();
            tokio::pin!(finished);
            finished.as_mut().enable();
            if let Some(finished) = self.output::<C>(id).await? {
                return Ok(finished);
            }
            tokio::select! {
                () = &mut finished => {}
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    /// How a command ended, read once without waiting: `None` while it is not finished, else
    /// what [`Client::wait`] would return (`Finished::Completed` with the typed output on
    /// success). Errors as `wait`: `NotFound`, `WrongCommandType` when `id` is another type's
    /// command, `Deserialize` when the stored output does not fit `C::Output`.
    ///
    /// ```no_run
    /// # async fn f(orch: orchestratum::Client, id: uuid::Uuid) -> orchestratum::Result<()> {
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct ReportCommand;
    /// # impl orchestratum::Command for ReportCommand { type Output = u64; }
    /// use orchestratum::Finished;
    /// match orch.output::<ReportCommand>(id).await? {
    ///     Some(Finished::Completed(report_id)) => println!("report {report_id}"),
    ///     Some(other) => println!("ended {}", other.status()),
    ///     None => println!("not finished yet"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn output<C: Command>(&self, id: Uuid) -> Result<Option<Finished<C::Output>>> {
        let record = self.get(id).await?;
        if record.name != C::name() {
            return Err(Error::WrongCommandType {
                id,
                expected: C::name().into_owned(),
                found: record.name,
            });
        }
        record
            .status()
            .map(|status| finish::<C>(record, status))
            .transpose()
    }

    /// The follow-ups a command's outcome enqueued (the commands whose parent it is), ordered
    /// by id (UUIDv7: the order they were made in); `Error::NotFound` for an unknown id.
    pub async fn follow_ups(&self, id: Uuid) -> Result<Vec<CommandRecord>> {
        let children = self.shared.store.follow_ups(id).await?;
        // An empty list costs one more read, to tell "none yet" from "no such command".
        if children.is_empty() {
            self.get(id).await?;
        }
        Ok(children)
    }

    /// Applies pending schema migrations (also done by `start()` unless turned off).
    pub async fn migrate(&self) -> Result<MigrationReport> {
        self.shared.store.migrate().await
    }

    /// This instance's worker id: the `worker.id` of its runs' spans, the worker recorded on
    /// the commands it claims and their attempts, and its row in the worker registry.
    pub fn worker_id(&self) -> Uuid {
        self.shared.worker_id
    }

    /// Pauses commands named `name` on every instance: no worker claims them until
    /// [`Client::resume`] (the claim statement itself skips paused names); runs in flight
    /// finish. A name no command has yet can be paused too.
    pub async fn pause(&self, name: &str) -> Result<crate::Control> {
        self.shared.store.pause(name).await
    }

    /// Lets workers claim commands named `name` again (on PostgreSQL they are woken at once).
    pub async fn resume(&self, name: &str) -> Result<crate::Control> {
        let control = self.shared.store.resume(name).await?;
        if self.shared.names.iter().any(|n| n == name) {
            self.shared.wake.notify_one();
        }
        Ok(control)
    }

    /// The per-minute outcome counts (see [`crate::stats`]) from the minute holding `since` on,
    /// of every command name or only `name`, oldest minute first. Counts an instance has not
    /// flushed yet (at most its flush interval's worth) are not in them.
    pub async fn stats(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        name: Option<&str>,
    ) -> Result<Vec<crate::StatsBucket>> {
        if let Some(name) = name {
            crate::store::check_name(name)?;
        }
        let minute = crate::stats::minute_of(since.into());
        self.shared.store.stats(minute, name).await
    }

    /// Adds this instance's outcome counts to the stats table now, rather than at the next
    /// periodic flush; returns how many (minute, name, outcome) keys it wrote. On failure the
    /// counts are kept for the next flush.
    pub async fn flush_stats(&self) -> Result<usize> {
        let timeout = self.shared.config.write_timeout();
        self.shared.stats.flush(&self.shared.store, timeout).await
    }

    /// The operators' operations (migration status and downgrade, summary, list, retry,
    /// prune, push by name): what the CLI is built on.
    pub fn admin(&self) -> crate::admin::Admin {
        crate::admin::Admin {
            shared: self.shared.clone(),
        }
    }

    /// The store seam, for this crate's tests and tools (no semver promise).
    #[doc(hidden)]
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// This instance's settings.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }
}

fn finish<C: Command>(record: CommandRecord, status: Status) -> Result<Finished<C::Output>> {
    Ok(match status {
        Status::Success => {
            let text = record.output.as_deref().unwrap_or("null");
            Finished::Completed(serde_json::from_str(text).map_err(|source| {
                Error::Deserialize {
                    what: "output",
                    id: record.id,
                    name: record.name.clone(),
                    source,
                }
            })?)
        }
        Status::Cancelled => Finished::Canceled {
            reason: record.last_error,
        },
        status => Finished::Failed {
            status,
            error: record.last_error,
        },
    })
}
