//! The store: the only door to SQL. One module per backend implements the same operations,
//! listed here in lifecycle order; the runtime and the client call nothing else. The
//! operators' operations, used by the `orchestratum` CLI, follow in `admin.rs`.
//!
//! This seam is public for the CLI and tests, but carries no semver promise.

pub mod database_url;
mod limits;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod pooler;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod table_prefix;
pub(crate) mod unique;

use std::time::Duration;

use uuid::Uuid;

pub use self::database_url::DatabaseUrl;
pub use self::limits::{Limits, MAX_DURATION};
#[cfg(feature = "postgres")]
pub use self::pooler::{Pooler, Pooling, UnknownPooler};
pub use self::table_prefix::TablePrefix;
use crate::attempt::Attempt;
use crate::error::Result;
use crate::migrate::MigrationReport;
use crate::push::NewCommand;
use crate::record::{CommandRecord, FailureKind};
pub use crate::worker::WorkerBeat;
use crate::worker::{Unhandled, WorkerInfo};

#[cfg(not(any(feature = "postgres", feature = "sqlite", feature = "mysql")))]
compile_error!("enable at least one backend feature: `sqlite`, `postgres` or `mysql`");

/// Declares a backend's `Statements`: one field per `sql/<name>.sql` file beside the invoking
/// module, rendered once for a table prefix. With `fragments(f, …);` first, each `{f}` in a
/// statement is replaced by `sql/fragments/f.sql` before rendering: a condition several
/// statements must state alike is written once.
macro_rules! statements {
    (fragments($($fragment:ident),+); $($name:ident),* $(,)?) => {
        /// Every statement of this backend, rendered once for one table prefix.
        struct Statements { $($name: sqlx::SqlStr,)* }
        impl Statements {
            fn render(prefix: &crate::store::TablePrefix) -> Self {
                use sqlx::SqlSafeStr as _;
                let expand = |text: &str| {
                    let mut text = text.to_owned();
                    $(text = text.replace(
                        concat!("{", stringify!($fragment), "}"),
                        include_str!(concat!("sql/fragments/", stringify!($fragment), ".sql"))
                            .trim_end(),
                    );)+
                    prefix.render(&text)
                };
                Self { $($name: sqlx::AssertSqlSafe(
                    expand(include_str!(concat!("sql/", stringify!($name), ".sql"))),
                ).into_sql_str(),)* }
            }
        }
    };
    ($($name:ident),* $(,)?) => {
        /// Every statement of this backend, rendered once for one table prefix.
        struct Statements { $($name: sqlx::SqlStr,)* }
        impl Statements {
            fn render(prefix: &crate::store::TablePrefix) -> Self {
                use sqlx::SqlSafeStr as _;
                Self { $($name: sqlx::AssertSqlSafe(
                    prefix.render(include_str!(concat!("sql/", stringify!($name), ".sql"))),
                ).into_sql_str(),)* }
            }
        }
    };
}
pub(crate) use statements;

/// Declares a backend's `MIGRATIONS` and `DOWN_MIGRATIONS` from one line per version: its
/// number, the file stem of `migrations/<stem>.sql` and `<stem>.down.sql` beside the invoking
/// module, what it does, and whether undoing it drops reference data.
macro_rules! migrations {
    ($(($version:literal, $stem:literal, $description:literal, $drops:literal)),* $(,)?) => {
        /// This backend's migrations, in order.
        pub const MIGRATIONS: &[crate::migrate::Migration] = &[$(
            crate::migrate::Migration {
                version: $version,
                description: $description,
                sql: include_str!(concat!("migrations/", $stem, ".sql")),
            },
        )*];
        /// How to undo this backend's migrations, one per version.
        pub const DOWN_MIGRATIONS: &[crate::migrate::DownMigration] = &[$(
            crate::migrate::DownMigration {
                version: $version,
                sql: include_str!(concat!("migrations/", $stem, ".down.sql")),
                drops_reference_data: $drops,
            },
        )*];
    };
}
pub(crate) use migrations;

/// A pool for a server backend. The pool retries refused connections until its acquire
/// timeout; one direct attempt first makes a wrong URL or a stopped server fail at once, with
/// the driver's reason.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) async fn connect_server_pool<DB: sqlx::Database>(
    options: <DB::Connection as sqlx::Connection>::Options,
    pool: sqlx::pool::PoolOptions<DB>,
    url: &str,
) -> Result<sqlx::Pool<DB>> {
    use sqlx::{ConnectOptions, Connection};
    let unreachable = |source| crate::error::Error::Connect {
        url: database_url::redact(url),
        source,
    };
    let probe = options.connect().await.map_err(unreachable)?;
    let _ = probe.close().await;
    checked_when_idle(pool)
        .max_connections(10)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(unreachable)
}

/// Longest wait for a connection of a server pool before the call fails (and is retried).
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a pooled connection may sit idle before an acquire checks it with a round trip.
/// sqlx checks every acquire by default: one more round trip before each claim and each outcome
/// write of a busy worker, whose connections are back in use within milliseconds. A connection
/// that broke meanwhile fails its statement, which the worker retries; sqlx also checks each
/// connection as it returns to the pool, so one that broke in use is not handed out again.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(1);

/// Pool options that check a connection before handing it out only after it sat idle
/// [`IDLE_CHECK_AFTER`] or longer.
pub(crate) fn checked_when_idle<DB: sqlx::Database>(
    pool: sqlx::pool::PoolOptions<DB>,
) -> sqlx::pool::PoolOptions<DB> {
    use sqlx::Connection;
    pool.test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= IDLE_CHECK_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// How long the server lets one of our sessions sit idle inside a transaction before it ends
/// the session. None of our own transactions waits between statements; a worker frozen or cut
/// off in the middle of one would otherwise keep its row locks (and other workers off those
/// rows) until the server's connection timeout, hours by default. A handler's own transaction
/// (`Context::transaction`) is bound by it too: idle longer between its statements, it ends.
#[cfg(any(feature = "postgres", feature = "mysql"))]
pub(crate) const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);

/// The error for `pooler` or `listen_url` set on a backend other than PostgreSQL.
#[cfg(feature = "postgres")]
pub(crate) fn pooler_on_another_backend() -> crate::error::Error {
    crate::error::Error::InvalidConfig {
        option: "pooler",
        reason: "`pooler` and `listen_url` apply to PostgreSQL only".into(),
    }
}

/// What a claim asks for.
#[derive(Debug, Clone, Copy)]
pub struct ClaimParams<'a> {
    /// Only commands routed to this instance key.
    pub target: &'a str,
    /// Only commands with one of these names (those this instance has handlers for).
    pub names: &'a [String],
    /// At most this many.
    pub limit: usize,
    /// Lease length from now.
    pub lease: Duration,
    /// The claiming worker, recorded on each row.
    pub worker: Uuid,
}

/// A command this worker now holds a lease on.
#[derive(Debug, Clone)]
pub struct ClaimedCommand {
    /// Command id.
    pub id: Uuid,
    /// Stored name.
    pub name: String,
    /// Input JSON.
    pub input: String,
    /// Run timeout.
    pub timeout: Duration,
    /// Retries left; below zero when a lapsed lease used up the last one.
    pub retries_left: i32,
    /// This run's number, from 1.
    pub attempt: i32,
    /// Fencing token of this claim: every write about this run must present it.
    pub lease_token: Uuid,
    /// A cancellation was requested before the claim.
    pub cancel_requested: bool,
    /// The workflow it is a step of: its end may release other steps.
    pub workflow_id: Option<Uuid>,
    /// How long it had been due when claimed, by the database's clock.
    pub queue_wait: Duration,
}

/// A lease to renew.
#[derive(Debug, Clone, Copy)]
pub struct Lease {
    /// Command id.
    pub id: Uuid,
    /// Token from the claim.
    pub token: Uuid,
}

/// A lease that was renewed.
#[derive(Debug, Clone, Copy)]
pub struct RenewedLease {
    /// Command id.
    pub id: Uuid,
    /// Someone asked to cancel it.
    pub cancel_requested: bool,
}

/// The new state a run (or a cancel) leaves a command in.
#[derive(Debug, Clone)]
pub enum TransitionKind {
    /// Success, with the output JSON.
    Complete {
        /// Output JSON.
        output: String,
        /// Why the success's follow-ups were not enqueued (a hook panicked or built a row the
        /// backend cannot store), kept in `last_error`.
        note: Option<String>,
    },
    /// Failure with retries left: pending again after `delay`.
    Retry {
        /// Backoff before the next run.
        delay: Duration,
        /// Why the run failed.
        error: String,
        /// How it failed.
        kind: FailureKind,
    },
    /// Failure with no retries left.
    Fail {
        /// Why the run failed.
        error: String,
        /// How it failed.
        kind: FailureKind,
    },
    /// Cancelled.
    Cancel {
        /// Who or what cancelled it.
        reason: String,
    },
    /// Shutdown: the lease is given back unchanged in every other respect.
    Release,
}

/// The column values one transition writes, shared by every backend.
pub(crate) struct TransitionColumns<'a> {
    pub kind: &'static str,
    /// The `outcome` of the attempt row it records, if it records one.
    pub attempt_outcome: Option<&'static str>,
    pub output: Option<&'a str>,
    pub delay: Option<Duration>,
    pub error: Option<&'a str>,
    pub error_kind: Option<FailureKind>,
}

impl Transition {
    /// The columns this transition writes.
    pub(crate) fn columns(&self) -> TransitionColumns<'_> {
        let mut cols = self.kind.columns();
        if self.ran && self.lease_token.is_some() {
            cols.attempt_outcome = match &self.kind {
                TransitionKind::Complete { .. } => None,
                TransitionKind::Retry { kind, .. } | TransitionKind::Fail { kind, .. } => {
                    Some(kind.as_str())
                }
                TransitionKind::Cancel { .. } => Some("canceled"),
                TransitionKind::Release => Some("released"),
            };
        }
        cols
    }
}

impl TransitionKind {
    fn columns(&self) -> TransitionColumns<'_> {
        let none = |kind| TransitionColumns {
            kind,
            attempt_outcome: None,
            output: None,
            delay: None,
            error: None,
            error_kind: None,
        };
        match self {
            TransitionKind::Complete { output, note } => TransitionColumns {
                output: Some(output),
                error: note.as_deref(),
                ..none("complete")
            },
            TransitionKind::Retry { delay, error, kind } => TransitionColumns {
                delay: Some(*delay),
                error: Some(error),
                error_kind: Some(*kind),
                ..none("retry")
            },
            TransitionKind::Fail { error, kind } => TransitionColumns {
                error: Some(error),
                error_kind: Some(*kind),
                ..none("fail")
            },
            TransitionKind::Cancel { reason } => TransitionColumns {
                error: Some(reason),
                ..none("cancel")
            },
            TransitionKind::Release => none("release"),
        }
    }
}

/// One outcome to write, fenced, with the follow-ups it enqueues.
#[derive(Debug, Clone)]
pub struct Transition {
    /// Command id.
    pub id: Uuid,
    /// The claim's token; `None` only for a cancel of a command no live lease holds.
    pub lease_token: Option<Uuid>,
    /// The new state.
    pub kind: TransitionKind,
    /// New `retries_left`, or `None` to keep it.
    pub retries_left: Option<i32>,
    /// Enqueued in the same transaction, only if the transition is applied.
    pub follow_ups: Vec<NewCommand>,
    /// A handler ran under this lease: an end other than success is recorded as an attempt.
    pub ran: bool,
    /// The command is a workflow step: a terminal end is counted in its dependants' rows.
    pub step: bool,
}

/// What `request_cancel` found.
#[derive(Debug, Clone)]
pub struct CancelRequest {
    /// Stored name.
    pub name: String,
    /// Runs started so far.
    pub attempt: i32,
    /// A live lease holds it: the worker running it must stop it.
    pub running: bool,
}

/// The follow-ups of the transitions that were applied, with their parent set.
pub(crate) fn follow_ups_of_applied(
    transitions: &[Transition],
    applied: &[Uuid],
) -> Vec<NewCommand> {
    transitions
        .iter()
        .filter(|t| applied.contains(&t.id))
        .flat_map(|t| {
            t.follow_ups.iter().cloned().map(move |mut f| {
                f.parent_id = Some(t.id);
                f
            })
        })
        .collect()
}

/// A duration in whole microseconds, saturating.
pub(crate) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The backend behind a client, chosen by the URL's scheme.
#[derive(Clone)]
#[non_exhaustive]
pub enum Store {
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(postgres::PostgresStore),
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::SqliteStore),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    MySql(mysql::MySqlStore),
}

macro_rules! dispatch {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            #[cfg(feature = "postgres")]
            Store::Postgres($store) => $call,
            #[cfg(feature = "sqlite")]
            Store::Sqlite($store) => $call,
            #[cfg(feature = "mysql")]
            Store::MySql($store) => $call,
        }
    };
}

// The operators' operations (status, list, retry, prune, migration status and downgrade)
// live in their own file, after `dispatch!` so they can use it.
mod admin;
mod flow;
mod migrator;
mod rows;
// Search and deletion, after `dispatch!` too.
mod search;
// The schedules' operations, after `dispatch!` too.
mod schedules;
// A transaction the caller keeps open (a handler's completion), after `dispatch!` too.
mod transaction;
pub(crate) mod workflows;
// Per-minute outcome counts, after `dispatch!` too.
mod stats;
// The dashboard's overview, after `dispatch!` too.
mod overview;
pub use self::admin::{
    AppliedMigration, DowngradeParams, DowngradeReport, ListParams, MigrationStatus,
    PRUNE_BATCH_DEFAULT, PlannedMigration, PruneParams, QueueSummary, Since, StateCounts,
};
pub(crate) use self::flow::check_name;
pub use self::flow::{CONTROL_NAME_MAX, CappedClaim, Control};
pub use self::overview::{Accuracy, Count, Overview, OverviewCounts};
pub use self::schedules::ScheduleRow;
pub use self::search::{
    BulkReport, Cursor, DeleteRefusal, Deleted, Page, SEARCH_LIMIT_MAX, SEARCH_SCAN_DEFAULT,
    SEARCH_SCAN_MAX, ScanStop, SearchFilter, Selection,
};
pub use self::stats::{StatsBucket, StatsDelta};
pub(crate) use self::transaction::WriteTransaction;

impl Store {
    /// Connects to the database `url` names, using tables with `prefix`.
    pub async fn connect(url: &str, prefix: TablePrefix) -> Result<Self> {
        Ok(match DatabaseUrl::parse(url)? {
            #[cfg(feature = "postgres")]
            DatabaseUrl::Postgres(o, pooling) => {
                Store::Postgres(postgres::PostgresStore::connect(o, url, prefix, pooling).await?)
            }
            #[cfg(feature = "sqlite")]
            DatabaseUrl::Sqlite(o) => {
                Store::Sqlite(sqlite::SqliteStore::connect(o, url, prefix).await?)
            }
            #[cfg(feature = "mysql")]
            DatabaseUrl::MySql(o) => {
                Store::MySql(mysql::MySqlStore::connect(o, url, prefix).await?)
            }
        })
    }

    /// [`Store::connect`], with a pooler and a LISTEN URL given in code taking precedence over
    /// the URL's `pooler=` and `listen_url=`; both are PostgreSQL's only.
    #[cfg(feature = "postgres")]
    pub async fn connect_pooled(
        url: &str,
        prefix: TablePrefix,
        pooler: Option<Pooler>,
        listen_url: Option<&str>,
    ) -> Result<Self> {
        if pooler.is_none() && listen_url.is_none() {
            return Self::connect(url, prefix).await;
        }
        match DatabaseUrl::parse(url)? {
            DatabaseUrl::Postgres(o, mut pooling) => {
                pooling.pooler = pooler.unwrap_or(pooling.pooler);
                if let Some(listen) = listen_url {
                    pooling.listen_url = Some(listen.to_owned());
                }
                let store = postgres::PostgresStore::connect(o, url, prefix, pooling).await?;
                Ok(Store::Postgres(store))
            }
            #[allow(unreachable_patterns)]
            _ if pooler.is_some_and(Pooler::any) || listen_url.is_some() => {
                Err(pooler_on_another_backend())
            }
            #[allow(unreachable_patterns)]
            _ => Self::connect(url, prefix).await,
        }
    }

    /// The backend's name, for messages.
    pub fn backend(&self) -> &'static str {
        match self {
            #[cfg(feature = "postgres")]
            Store::Postgres(_) => "postgres",
            #[cfg(feature = "sqlite")]
            Store::Sqlite(_) => "sqlite",
            #[cfg(feature = "mysql")]
            Store::MySql(_) => "mysql",
        }
    }

    /// The longest durations this backend stores.
    pub fn limits(&self) -> Limits {
        match self {
            #[cfg(feature = "mysql")]
            Store::MySql(_) => mysql::LIMITS,
            #[allow(unreachable_patterns)]
            _ => Limits::default(),
        }
    }

    /// Applies pending migrations under the backend's lock.
    pub async fn migrate(&self) -> Result<MigrationReport> {
        dispatch!(self, s => s.migrate().await)
    }

    /// Inserts commands in one statement (but for rows whose unique key is held); says what
    /// each row became.
    pub async fn push_many(&self, rows: &[NewCommand]) -> Result<Vec<crate::push::Pushed>> {
        dispatch!(self, s => s.push_many(rows).await)
    }

    /// Claims due commands and takes a lease on each.
    pub async fn claim(&self, params: ClaimParams<'_>) -> Result<Vec<ClaimedCommand>> {
        dispatch!(self, s => s.claim(params).await)
    }

    /// Time until the next command of these names becomes claimable, if any is unfinished.
    pub async fn next_due(&self, target: &str, names: &[String]) -> Result<Option<Duration>> {
        dispatch!(self, s => s.next_due(target, names).await)
    }

    /// Extends leases still held; the ones not returned are lost.
    pub async fn renew_leases(
        &self,
        leases: &[Lease],
        lease: Duration,
    ) -> Result<Vec<RenewedLease>> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => s.renew_leases(leases, lease).await)
    }

    /// Writes outcomes and their follow-ups in one transaction; returns the ids applied.
    pub async fn record_outcomes(&self, transitions: &[Transition]) -> Result<Vec<Uuid>> {
        if transitions.is_empty() {
            return Ok(Vec::new());
        }
        dispatch!(self, s => s.record_outcomes(transitions).await)
    }

    /// Marks an unfinished command for cancellation; `None` if it is finished or unknown.
    pub async fn request_cancel(&self, id: Uuid) -> Result<Option<CancelRequest>> {
        dispatch!(self, s => s.request_cancel(id).await)
    }

    /// Reads one command.
    pub async fn get(&self, id: Uuid) -> Result<Option<CommandRecord>> {
        dispatch!(self, s => s.get(id).await)
    }

    /// Registers a worker or refreshes its heartbeat.
    pub async fn heartbeat(&self, beat: &WorkerBeat) -> Result<()> {
        dispatch!(self, s => s.heartbeat(beat).await)
    }

    /// Forgets the workers whose heartbeat is older than three of their leases; how many.
    pub async fn sweep_workers(&self) -> Result<u64> {
        dispatch!(self, s => s.sweep_workers().await)
    }

    /// Removes a worker's row (at its shutdown).
    pub async fn deregister_worker(&self, id: Uuid) -> Result<()> {
        dispatch!(self, s => s.deregister_worker(id).await)
    }

    /// Every registered worker, live or gone.
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>> {
        dispatch!(self, s => s.workers().await)
    }

    /// Commands waiting longer than `older_than` with no live worker to run them.
    pub async fn unhandled(&self, older_than: Duration) -> Result<Vec<Unhandled>> {
        dispatch!(self, s => s.unhandled(older_than).await)
    }

    /// The recorded attempts of one command (runs that did not succeed, lapsed leases), in order.
    pub async fn attempts(&self, id: Uuid) -> Result<Vec<Attempt>> {
        dispatch!(self, s => s.attempts(id).await)
    }
}
