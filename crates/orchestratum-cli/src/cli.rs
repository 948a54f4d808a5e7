//! The command line, as clap parses it. Values are checked here (ids, JSON, durations,
//! states), so bad input is refused before any connection is made.

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};
use orchestratum::State;
use orchestratum::admin::Since;
use uuid::Uuid;

use crate::duration::{self, parse_duration};

/// Shown at the end of `--help`: the exit codes, one per error class.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  any other failure (a database error in the middle of an operation)
  2  bad input: usage, malformed URL, unknown scheme, invalid table prefix, id that is not a
     UUID, invalid JSON, negative or malformed duration, bad --after cursor, a bulk
     retry/cancel/delete without --yes (nothing changed; the count that would be is printed),
     dashboard credentials half set
  3  not found: no command or workflow has this id, or no schedule this name
  4  database unreachable: the connection could not be made
  5  refused: the database's state does not allow it (the schema is not migrated or is newer
     than this build, the command is not in a state the operation accepts, a delete the
     rules refuse, an unsafe migrate down without --force)

Every error is one line on stderr; on an error nothing in the database was changed.";

/// Migrate, inspect and steer an Orchestratum command table.
#[derive(Debug, Parser)]
#[command(name = "orchestratum", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// Database URL: postgres://user@host/db, sqlite://path.db (add ?mode=rwc to create it), or
    /// mysql://user@host/db and mariadb://… (in a build with the `mysql` feature).
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Prefix of the commands table, [A-Za-z0-9_] only.
    #[arg(long, default_value = "ORCH_", global = true)]
    pub table_prefix: String,

    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending schema migrations (or show them, or go down).
    Migrate(MigrateArgs),
    /// Counts by state, name and target; the oldest pending command; lapsed leases; commands
    /// no live worker handles.
    Status(StatusArgs),
    /// List commands, newest scheduled_at first; with --paged (implied by --after, --text,
    /// --id, --until, --created-since and --created-until), newest created first, one page at
    /// a time, with the cursor of the next page.
    List(ListArgs),
    /// Every column of one command, its parent and its follow-ups.
    Show {
        /// The command's id (a UUID).
        #[arg(value_parser = parse_id)]
        id: Uuid,
    },
    /// Cancel a command: leaves a cancel request that the worker serving it finishes, with
    /// its follow-ups (or, with filters instead of an id and --yes, every unfinished command
    /// matching them).
    Cancel(BulkArgs),
    /// Delete a command and its attempts (or, with filters instead of an id and --yes, every
    /// command matching them). Refused for a command running under a live lease and for a
    /// workflow step that unfinished steps depend on.
    Delete(BulkArgs),
    /// A workflow's steps as a graph: each step's key, command, state and the steps it waits
    /// for (or cancel every unfinished step with --cancel).
    Workflow(WorkflowArgs),
    /// Make a failed or canceled command pending again (or, with filters instead of an id and
    /// --yes, every failed or canceled command matching them).
    Retry(RetryArgs),
    /// Push a command by name, with its input as JSON.
    Push(PushArgs),
    /// Delete finished commands older than a given age, in batches.
    Prune(PruneArgs),
    /// The worker registry: every running instance, its host, names, in-flight runs and last
    /// heartbeat; workers whose heartbeat stopped show as gone.
    Workers,
    /// Pause a command name on every instance: no worker claims it until `resume`; runs in
    /// flight finish. A name no command has yet can be paused too.
    Pause {
        /// The stored command name, exactly.
        name: String,
    },
    /// Resume a paused command name (on PostgreSQL the workers are woken at once).
    Resume {
        /// The stored command name, exactly.
        name: String,
    },
    /// Cron and interval schedules: name, expression, zone, next and last run, paused, command
    /// (or pause, resume or trigger one).
    Schedules(SchedulesArgs),
    /// Serve the web dashboard until Ctrl-C or SIGTERM. Authentication from the environment:
    /// ORCHESTRATUM_DASHBOARD_TOKEN (a bearer token), or ORCHESTRATUM_DASHBOARD_USER and
    /// ORCHESTRATUM_DASHBOARD_PASSWORD (basic auth); none means no authentication.
    Serve(ServeArgs),
    /// Outcomes (completed, retried, failed, canceled) per command name since a time, from
    /// the per-minute stats the workers keep (they outlive pruned commands).
    Throughput(ThroughputArgs),
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one); only this host by default.
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub bind: std::net::SocketAddr,

    /// Show the pages without any action, and refuse every POST with 403.
    #[arg(long)]
    pub read_only: bool,
}

/// `throughput` arguments.
#[derive(Debug, Args)]
pub struct ThroughputArgs {
    /// From this long ago (30s, 5m, 2h, 7d) or from an RFC 3339 instant, to the minute.
    #[arg(long, default_value = "1h", value_parser = parse_since, allow_hyphen_values = true)]
    pub since: Since,
    /// Only this command name.
    #[arg(long, value_parser = parse_name)]
    pub name: Option<String>,
    /// Also one row per minute, oldest first.
    #[arg(long)]
    pub per_minute: bool,
}

/// `schedules` and its subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SchedulesArgs {
    /// `pause`, `resume` or `trigger`; none lists the schedules.
    #[command(subcommand)]
    pub action: Option<ScheduleAction>,
}

/// `schedules pause|resume|trigger NAME`.
#[derive(Debug, Subcommand)]
pub enum ScheduleAction {
    /// Stop firing it on every instance (within their polling interval).
    Pause {
        /// The schedule's name.
        name: String,
    },
    /// Fire it again, from its first due time after now (the paused ones are not made up).
    Resume {
        /// The schedule's name.
        name: String,
    },
    /// Push its command once now, from the stored row; its next run does not move.
    Trigger {
        /// The schedule's name.
        name: String,
    },
}

/// `migrate` and its subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MigrateArgs {
    /// Print the SQL of the pending migrations instead of applying them.
    #[arg(long)]
    pub dry_run: bool,

    /// `status` or `down`; none applies the pending migrations.
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
}

/// `migrate status` and `migrate down`.
#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// List applied and pending versions.
    Status,
    /// Undo migrations newer than --to. Versions 2 and up drop only our own columns and
    /// indexes; going below 1 drops the commands table and needs --force.
    Down {
        /// The version to end at.
        #[arg(long, value_parser = clap::value_parser!(i64).range(0..))]
        to: i64,
        /// Allow dropping the commands table (below version 1), and go on while commands run
        /// under live leases.
        #[arg(long)]
        force: bool,
        /// Print the SQL that would run instead of running it.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A state `list` can filter on.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StateArg {
    /// Due and waiting for a worker.
    Pending,
    /// Waiting for its scheduled_at.
    Scheduled,
    /// A workflow step waiting for its parents.
    Waiting,
    /// Held under a live lease.
    Running,
    /// Completed.
    Completed,
    /// Failed for good.
    Failed,
    /// Canceled.
    Canceled,
}

impl From<StateArg> for State {
    fn from(s: StateArg) -> State {
        match s {
            StateArg::Pending => State::Pending,
            StateArg::Scheduled => State::Scheduled,
            StateArg::Waiting => State::Waiting,
            StateArg::Running => State::Running,
            StateArg::Completed => State::Completed,
            StateArg::Failed => State::Failed,
            StateArg::Canceled => State::Canceled,
        }
    }
}

/// A final state `prune` can keep to.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FinalStateArg {
    /// Completed.
    Completed,
    /// Failed for good.
    Failed,
    /// Canceled.
    Canceled,
}

impl From<FinalStateArg> for State {
    fn from(s: FinalStateArg) -> State {
        match s {
            FinalStateArg::Completed => State::Completed,
            FinalStateArg::Failed => State::Failed,
            FinalStateArg::Canceled => State::Canceled,
        }
    }
}

/// `list` filters.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only commands in this state.
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
    /// Only commands with this name.
    #[arg(long)]
    pub name: Option<String>,
    /// Only commands routed to this target.
    #[arg(long)]
    pub target: Option<String>,
    /// Only commands scheduled this long ago or later (30s, 5m, 2h, 7d) or since an
    /// RFC 3339 instant (2026-01-31T12:00:00Z).
    #[arg(long, value_parser = parse_since, allow_hyphen_values = true)]
    pub since: Option<Since>,
    /// Only commands scheduled before this long ago (30s, 5m, 2h, 7d) or before an RFC 3339
    /// instant. Implies --paged.
    #[arg(long, value_parser = parse_since, allow_hyphen_values = true)]
    pub until: Option<Since>,
    /// Only commands created this long ago or later, or since an RFC 3339 instant (read from
    /// their UUIDv7 ids, to the millisecond). Implies --paged.
    #[arg(long, value_parser = parse_since, allow_hyphen_values = true)]
    pub created_since: Option<Since>,
    /// Only commands created before this long ago or before an RFC 3339 instant. Implies
    /// --paged.
    #[arg(long, value_parser = parse_since, allow_hyphen_values = true)]
    pub created_until: Option<Since>,
    /// Only the command with this id. Implies --paged.
    #[arg(long, value_parser = parse_id)]
    pub id: Option<Uuid>,
    /// Only commands whose input or last error contains this text (literally: `%` and `_`
    /// are no wildcards; ignoring ASCII case). Implies --paged.
    #[arg(long)]
    pub text: Option<String>,
    /// With --text: most rows one page examines, newest created first (default 100000, at
    /// most 10000000); the page says where the scan stopped and how to continue with --after.
    #[arg(long, value_name = "ROWS")]
    pub scan: Option<usize>,
    /// The page after this cursor (printed after the previous page). Implies --paged.
    #[arg(long)]
    pub after: Option<String>,
    /// Newest created first, one page of at most --limit rows (at most 1000), then the
    /// cursor of the next page (JSON: `{"commands": [...], "next": ...}`).
    #[arg(long)]
    pub paged: bool,
    /// At most this many rows.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
}

impl BulkArgs {
    /// The bulk form's filter; `None` when no filter is given.
    pub fn filter(&self) -> Option<orchestratum::admin::SearchFilter> {
        let filter = orchestratum::admin::SearchFilter {
            state: self.state.map(Into::into),
            name: self.name.clone(),
            target: self.target.clone(),
            text: self.text.clone(),
            ..Default::default()
        };
        (filter != orchestratum::admin::SearchFilter::default()).then_some(filter)
    }
}

impl ListArgs {
    /// True when the listing is keyset-paged by id (the new filters need it).
    pub fn is_paged(&self) -> bool {
        self.paged
            || self.after.is_some()
            || self.text.is_some()
            || self.id.is_some()
            || self.until.is_some()
            || self.created_since.is_some()
            || self.created_until.is_some()
    }
}

/// `workflow` arguments.
#[derive(Debug, Args)]
pub struct WorkflowArgs {
    /// The workflow's id (a UUID).
    #[arg(value_parser = parse_id)]
    pub id: Uuid,
    /// Ask every unfinished step to cancel (the workers for their names end them canceled,
    /// with their follow-ups) and print how many were asked.
    #[arg(long)]
    pub cancel: bool,
    /// List every batch member too, not only their counts by state.
    #[arg(long, conflicts_with = "cancel")]
    pub all: bool,
}

/// `retry` arguments.
#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The command, or the filters of the bulk form.
    #[command(flatten)]
    pub target: BulkArgs,
    /// Retries after the next run (default: the retries it had left, at least 0); only with
    /// an id.
    #[arg(long, value_parser = clap::value_parser!(u16), requires = "id")]
    pub retries: Option<u16>,
}

/// One command by id, or the filters of a bulk action (at least one) with its confirmation.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// The command's id (a UUID).
    #[arg(value_parser = parse_id, conflicts_with_all = ["state", "name", "target", "text", "yes"])]
    pub id: Option<Uuid>,
    /// Bulk form: only commands in this state.
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
    /// Bulk form: only commands with this name.
    #[arg(long)]
    pub name: Option<String>,
    /// Bulk form: only commands routed to this target.
    #[arg(long)]
    pub target: Option<String>,
    /// Bulk form: only commands whose input or last error contains this text (literally,
    /// ignoring ASCII case).
    #[arg(long)]
    pub text: Option<String>,
    /// Bulk form: do it (without it, nothing changes and the count that would is printed).
    #[arg(long)]
    pub yes: bool,
}

/// `push` arguments.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The command's stored name (e.g. generate_report).
    #[arg(value_parser = parse_name)]
    pub name: String,
    /// The command's input as JSON (e.g. '{"title":"Q3"}').
    #[arg(long, value_parser = parse_json, allow_hyphen_values = true)]
    pub input: String,
    /// Instance key that may claim it.
    #[arg(long, default_value = orchestratum::config::INSTANCE_KEY_DEFAULT, value_parser = parse_name)]
    pub target: String,
    /// Run no earlier than this from now (30s, 5m, 2h, 7d).
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true)]
    pub delay: Option<std::time::Duration>,
    /// Run timeout (default 5s), greater than zero.
    #[arg(long, value_parser = duration::parse_positive, allow_hyphen_values = true)]
    pub timeout: Option<std::time::Duration>,
    /// Retries after a failed run (default 3).
    #[arg(long, value_parser = clap::value_parser!(u16))]
    pub retries: Option<u16>,
    /// Claim order among due commands, higher first (default 0).
    #[arg(long, allow_hyphen_values = true, value_parser = clap::value_parser!(i16))]
    pub priority: Option<i16>,
    /// Push only if no live command holds this key (at most 255 characters); otherwise print
    /// the holder's id.
    #[arg(long)]
    pub unique_key: Option<String>,
    /// A finished state in which the key stays taken too (repeatable; with --unique-key).
    #[arg(long, value_enum, requires = "unique_key")]
    pub unique_over: Vec<FinalStateArg>,
}

/// `status` arguments.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Report commands due for at least this long that no live worker of their target handles.
    #[arg(long, default_value = "5m", value_parser = parse_duration, allow_hyphen_values = true)]
    pub unhandled_after: std::time::Duration,
}

/// `prune` arguments.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Delete commands that finished at least this long ago (30s, 5m, 2h, 7d).
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true)]
    pub older_than: std::time::Duration,
    /// Only this final state (default: all three).
    #[arg(long, value_enum)]
    pub state: Option<FinalStateArg>,
    /// Rows deleted per statement.
    #[arg(long, default_value_t = batch_default(),
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
}

fn batch_default() -> u32 {
    u32::try_from(orchestratum::admin::PRUNE_BATCH_DEFAULT).unwrap_or(1000)
}

fn parse_id(s: &str) -> Result<Uuid, String> {
    Uuid::try_parse(s.trim())
        .map_err(|_| "not a UUID (expected e.g. 0190c1f2-8b1e-7a3c-9d4e-5f6a7b8c9d0e)".into())
}

fn parse_json(s: &str) -> Result<String, String> {
    serde_json::from_str::<serde_json::Value>(s)
        .map(|_| s.to_owned())
        .map_err(|e| format!("invalid JSON: {e}"))
}

fn parse_name(s: &str) -> Result<String, String> {
    if s.trim().is_empty() {
        return Err("must not be empty".into());
    }
    Ok(s.to_owned())
}

fn parse_since(s: &str) -> Result<Since, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Ok(Since::At(at.with_timezone(&Utc)));
    }
    parse_duration(s)
        .map(Since::Ago)
        .map_err(|e| format!("{e}, or an RFC 3339 instant"))
}
