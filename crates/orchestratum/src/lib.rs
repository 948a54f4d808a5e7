//! Orchestratum: a persistent background command orchestrator.
//!
//! Applications push typed commands; they are stored in a SQL table (SQLite, PostgreSQL, or
//! MySQL/MariaDB); workers in one process or many claim them, run their handlers under a
//! timeout and a renewed lease, retry failures, and enqueue follow-up commands on success,
//! failure or cancellation, each outcome and its follow-ups in one transaction.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `sqlite` | yes | `.database("sqlite://orch.db?mode=rwc")` (`mode=rwc` creates the file; `sqlite::memory:` for a database in memory), `.sqlite_pool(pool)` |
//! | `postgres` | yes | `.database("postgres://user:pass@host/db")`, `.postgres_pool(pool)`; LISTEN/NOTIFY wake-ups |
//! | `mysql` | no | `.database("mysql://…")` or `mariadb://…` (MySQL 8.0.4+, MariaDB 10.6+), `.mysql_pool(pool)` |
//! | `all-backends` | no | the three backends |
//! | `testing` | no | the [`testing`] module: run a handler without a database, inspect follow-ups |
//!
//! Pools, connections and [`Client::push_in`] are those of **sqlx 0.9**: a transaction of
//! another sqlx version is another type, and does not compile there.
//!
//! Backends differ in little a handler sees: only PostgreSQL wakes other processes at once on a
//! push (elsewhere they find it within `polling_interval`); SQLite has one writer at a time;
//! MySQL stores a timeout of at most 838:59:59, and a longer one is refused at push time,
//! before any SQL runs.
//!
//! ```no_run
//! use orchestratum::{Command, Context, Handler, HandlerResult, Next, Orchestratum};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct SendEmailCommand { to: String }
//! impl Command for SendEmailCommand { type Output = (); }
//!
//! #[derive(Serialize, Deserialize)]
//! struct GenerateReportCommand { title: String }
//! impl Command for GenerateReportCommand {
//!     type Output = u64;
//!     fn on_success(&self, id: &u64) -> Vec<Next> {
//!         vec![Next::new(SendEmailCommand { to: format!("admin@example.com (report {id})") })]
//!     }
//! }
//!
//! struct EmailHandler;
//! impl Handler for EmailHandler {
//!     type Command = SendEmailCommand;
//!     async fn execute(&self, cmd: SendEmailCommand, _: Context) -> HandlerResult<()> {
//!         println!("mail to {}", cmd.to);
//!         Ok(())
//!     }
//! }
//!
//! struct ReportHandler;
//! impl Handler for ReportHandler {
//!     type Command = GenerateReportCommand;
//!     async fn execute(&self, _: GenerateReportCommand, _: Context) -> HandlerResult<u64> {
//!         Ok(42)
//!     }
//! }
//!
//! # async fn run() -> orchestratum::Result<()> {
//! let orch = Orchestratum::builder()
//!     .database("sqlite://orch.db?mode=rwc")
//!     .handlers((EmailHandler, ReportHandler))
//!     .start()
//!     .await?;
//! let id = orch.push(GenerateReportCommand { title: "Q3".into() }).await?;
//! let done = orch.wait::<GenerateReportCommand>(id).await?;
//! orch.shutdown(std::time::Duration::from_secs(10)).await?;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod attempt;
pub mod client;
pub mod command;
pub mod config;
pub mod error;
pub mod flow;
pub mod handler;
pub mod migrate;
pub mod next;
#[cfg(feature = "postgres")]
mod notify;
mod orchestratum;
pub mod push;
pub mod record;
pub mod retention;
pub mod retry;
mod runtime;
pub mod schedule;
pub mod stats;
// The store seam: for this crate's tests and tools (the benchmark), no semver promise.
#[doc(hidden)]
pub mod store;
mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod worker;
pub mod workflow;

pub use crate::attempt::{Attempt, AttemptOutcome};
pub use crate::client::{Cancellation, Client, Finished, PushConnection};
pub use crate::command::{Canceled, Command, Failure};
pub use crate::config::Config;
pub use crate::error::{Error, Result};
pub use crate::flow::{ConcurrencyLimit, Control};
pub use crate::handler::registry::{Handlers, Registry};
pub use crate::handler::{CompletionTransaction, Context, Handler, HandlerError, HandlerResult};
pub use crate::migrate::MigrationReport;
pub use crate::next::Next;
pub use crate::orchestratum::{Builder, Orchestratum};
pub use crate::push::{Push, Pushed};
pub use crate::record::{CommandRecord, FailureKind, State, Status};
pub use crate::retention::Retention;
pub use crate::retry::Backoff;
pub use crate::schedule::{Misfire, Schedule, ScheduleInfo};
pub use crate::stats::{Stats, StatsBucket, StatsOutcome};
#[cfg(feature = "postgres")]
pub use crate::store::Pooler;
pub use crate::worker::{Unhandled, WorkerInfo};
pub use crate::workflow::{
    Batch, IfParentFails, Parents, PushedWorkflow, Step, Workflow, WorkflowInfo, WorkflowState,
};
/// The token a run's [`Context::token`] returns, re-exported so a handler can hand it to
/// spawned work without depending on `tokio-util` itself.
///
/// ```
/// use orchestratum::{CancellationToken, Context};
///
/// fn for_spawned_work(ctx: &Context) -> CancellationToken {
///     ctx.token().clone()
/// }
/// ```
pub use tokio_util::sync::CancellationToken;
