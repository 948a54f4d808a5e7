//! A worker process, as operators run one: handlers that record their side effects in a table of
//! their own, configured by flags or environment, draining on SIGTERM/SIGINT and exiting 0.
//!
//! ```sh
//! cargo run --example worker -- --database-url postgres://postgres@127.0.0.1/app --instance-key a
//! ```
//!
//! The distributed tests start several of these and kill, pause, partition and restart them;
//! `step` and `join` are the commands of the workflows they push (`tests/distributed/workflow.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use orchestratum::{
    Canceled, Command, Context, Failure, Handler, HandlerError, HandlerResult, Next, Orchestratum,
};
use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, AssertSqlSafe};

#[derive(Parser, Debug)]
#[command(about = "An Orchestratum worker whose handlers record their side effects")]
struct Args {
    /// Database URL (postgres://…, mysql://… or mariadb://…, sqlite://…?mode=rwc).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Where the side effects are recorded, if not in the same database through the same
    /// address: a test that cuts the worker's database connection keeps seeing its effects.
    #[arg(long, env = "ORCH_EFFECTS_URL")]
    effects_url: Option<String>,
    /// Instance key this worker claims for.
    #[arg(long, env = "ORCH_INSTANCE_KEY", default_value = "default")]
    instance_key: String,
    /// Table prefix.
    #[arg(long, env = "ORCH_TABLE_PREFIX", default_value = "ORCH_")]
    table_prefix: String,
    /// Most commands in flight at once.
    #[arg(long, env = "ORCH_CONCURRENCY", default_value_t = 100)]
    concurrency: usize,
    /// Lease length in milliseconds (renewed every half of it).
    #[arg(long, env = "ORCH_LEASE_MS", default_value_t = 10_000)]
    lease_ms: u64,
    /// Polling interval in milliseconds.
    #[arg(long, env = "ORCH_POLL_MS", default_value_t = 5_000)]
    poll_ms: u64,
    /// Grace period on SIGTERM/SIGINT, in milliseconds.
    #[arg(long, env = "ORCH_GRACE_MS", default_value_t = 10_000)]
    grace_ms: u64,
}

/// Where handlers write what they did: `{prefix}effects`, one row per event, stamped with
/// this host's clock in milliseconds (every process of a test runs on one host).
#[derive(Clone)]
struct Effects {
    pool: AnyPool,
    table: String,
}

impl Effects {
    async fn open(url: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        sqlx::any::install_default_drivers();
        // Orchestratum accepts `mariadb://`; sqlx's `any` driver knows the protocol as `mysql://`.
        let url = match url.strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => url.to_owned(),
        };
        let pool = AnyPool::connect(&url).await?;
        let table = format!("{prefix}effects");
        let ddl = format!(
            "CREATE TABLE IF NOT EXISTS {table} (command_id VARCHAR(36) NOT NULL, kind VARCHAR(32) NOT NULL, \
             attempt INTEGER NOT NULL, pid INTEGER NOT NULL, at_ms BIGINT NOT NULL)"
        );
        sqlx::query(AssertSqlSafe(ddl)).execute(&pool).await?;
        Ok(Self { pool, table })
    }

    /// Records one effect now; values are ids and integers, safe to write as literals.
    async fn record(&self, ctx: &Context, kind: &str) -> Result<(), sqlx::Error> {
        self.record_at(ctx, kind, now_ms()).await
    }

    async fn record_at(&self, ctx: &Context, kind: &str, at_ms: i64) -> Result<(), sqlx::Error> {
        let sql = format!(
            "INSERT INTO {} (command_id, kind, attempt, pid, at_ms) VALUES ('{}', '{kind}', {}, {}, {at_ms})",
            self.table,
            ctx.id(),
            ctx.attempt(),
            std::process::id()
        );
        sqlx::query(AssertSqlSafe(sql)).execute(&self.pool).await?;
        Ok(())
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The commands whose handler is alive in this process, counted per id: the runtime must never
/// start a run of a command while an earlier run of it here is still alive.
#[derive(Clone, Default)]
struct Alive(Arc<Mutex<HashMap<uuid::Uuid, u32>>>);

impl Alive {
    /// Marks a run alive until the returned guard drops, and tells whether another run of the
    /// same command was alive already (recorded as an `overlap` effect).
    fn enter(&self, ctx: &Context, effects: &Effects) -> (Run, bool) {
        let mut alive = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = alive.entry(ctx.id()).or_default();
        *count += 1;
        let overlapped = *count > 1;
        let run = Run {
            alive: self.clone(),
            ctx: ctx.clone(),
            effects: effects.clone(),
        };
        (run, overlapped)
    }
}

/// One live run. Dropped with the handler's future, so a run the runtime drops counts as ended;
/// a run whose token fired records `stopped` with the moment its future went away.
struct Run {
    alive: Alive,
    ctx: Context,
    effects: Effects,
}

impl Drop for Run {
    fn drop(&mut self) {
        {
            let mut alive = self.alive.0.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(count) = alive.get_mut(&self.ctx.id()) {
                *count -= 1;
                if *count == 0 {
                    alive.remove(&self.ctx.id());
                }
            }
        }
        if self.ctx.is_cancelled() {
            let (effects, ctx, at_ms) = (self.effects.clone(), self.ctx.clone(), now_ms());
            tokio::spawn(async move {
                let _ = effects.record_at(&ctx, "stopped", at_ms).await;
            });
        }
    }
}

/// Sleeps (longer on its first run, to be paused or killed in), fails until an attempt, and
/// may chain a follow-up.
#[derive(Debug, Serialize, Deserialize)]
struct WorkCommand {
    seq: u64,
    /// Sleep on the first run.
    first_sleep_ms: u64,
    /// Sleep on later runs.
    sleep_ms: u64,
    /// Fails while `attempt <= fail_until`.
    fail_until: u32,
    /// Enqueue a `follow_up` on success.
    chain: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct WorkResult {
    pid: u32,
    attempt: u32,
}

impl Command for WorkCommand {
    type Output = WorkResult;
    fn on_success(&self, _: &WorkResult) -> Vec<Next> {
        if self.chain {
            vec![Next::new(FollowUpCommand { seq: self.seq })]
        } else {
            Vec::new()
        }
    }
    fn on_failure(&self, _: &Failure) -> Vec<Next> {
        vec![Next::new(FollowUpCommand { seq: self.seq })]
    }
    fn on_cancellation(&self, _: &Canceled) -> Vec<Next> {
        vec![Next::new(FollowUpCommand { seq: self.seq })]
    }
}

struct WorkHandler(Effects, Alive);

impl Handler for WorkHandler {
    type Command = WorkCommand;
    async fn execute(&self, cmd: WorkCommand, ctx: Context) -> HandlerResult<WorkResult> {
        // Before any await: the check must see the run the moment it starts.
        let (_run, overlapped) = self.1.enter(&ctx, &self.0);
        if overlapped {
            self.0.record(&ctx, "overlap").await?;
        }
        self.0.record(&ctx, "started").await?;
        // Seen from a detached task: the handler's own future is dropped when it is stopped.
        let (effects, watched) = (self.0.clone(), ctx.clone());
        let watcher = tokio::spawn(async move {
            watched.cancelled().await;
            let _ = effects.record(&watched, "token_fired").await;
        });
        let sleep = if ctx.attempt() == 1 {
            cmd.first_sleep_ms
        } else {
            cmd.sleep_ms
        };
        tokio::time::sleep(Duration::from_millis(sleep)).await;
        watcher.abort();
        if ctx.attempt() <= cmd.fail_until {
            return Err(HandlerError::fail(format!(
                "failing on purpose until attempt {}",
                cmd.fail_until
            )));
        }
        self.0.record(&ctx, "done").await?;
        Ok(WorkResult {
            pid: std::process::id(),
            attempt: ctx.attempt(),
        })
    }
}

/// Enqueued by `work` on success (when chained), failure and cancellation.
#[derive(Debug, Serialize, Deserialize)]
struct FollowUpCommand {
    seq: u64,
}

impl Command for FollowUpCommand {
    type Output = ();
}

struct FollowUpHandler(Effects, Alive);

impl Handler for FollowUpHandler {
    type Command = FollowUpCommand;
    async fn execute(&self, _: FollowUpCommand, ctx: Context) -> HandlerResult<()> {
        let (_run, overlapped) = self.1.enter(&ctx, &self.0);
        if overlapped {
            self.0.record(&ctx, "overlap").await?;
        }
        self.0.record(&ctx, "follow_up").await?;
        Ok(())
    }
}

/// A workflow step: sleeps, then returns a value derived from its input alone, so a test can
/// compute every join's result without running anything.
#[derive(Debug, Serialize, Deserialize)]
struct StepCommand {
    value: i64,
    sleep_ms: u64,
}

impl Command for StepCommand {
    type Output = i64;
}

struct StepHandler(Effects, Alive);

impl Handler for StepHandler {
    type Command = StepCommand;
    async fn execute(&self, cmd: StepCommand, ctx: Context) -> HandlerResult<i64> {
        let (_run, overlapped) = self.1.enter(&ctx, &self.0);
        if overlapped {
            self.0.record(&ctx, "overlap").await?;
        }
        self.0.record(&ctx, "started").await?;
        tokio::time::sleep(Duration::from_millis(cmd.sleep_ms)).await;
        self.0.record(&ctx, "done").await?;
        Ok(2 * cmd.value + 1)
    }
}

/// A workflow join: sleeps, then returns the sum of its parents' outputs, steps and joins alike
/// (a join of joins).
#[derive(Debug, Serialize, Deserialize)]
struct JoinCommand {
    sleep_ms: u64,
}

impl Command for JoinCommand {
    type Output = i64;
}

struct JoinHandler(Effects, Alive);

impl Handler for JoinHandler {
    type Command = JoinCommand;
    async fn execute(&self, cmd: JoinCommand, ctx: Context) -> HandlerResult<i64> {
        let (_run, overlapped) = self.1.enter(&ctx, &self.0);
        if overlapped {
            self.0.record(&ctx, "overlap").await?;
        }
        self.0.record(&ctx, "started").await?;
        let parents = ctx.parents().await?;
        // A join runs only once every parent succeeded (the default edge policy), so a parent
        // without an output would be a release bug: fail rather than return a short sum.
        if parents.counts().succeeded != parents.len() {
            return Err(HandlerError::fail(format!(
                "join released with parents {:?}",
                parents.counts()
            )));
        }
        let steps: i64 = parents.outputs::<StepCommand>()?.into_iter().sum();
        let joins: i64 = parents.outputs::<JoinCommand>()?.into_iter().sum();
        tokio::time::sleep(Duration::from_millis(cmd.sleep_ms)).await;
        self.0.record(&ctx, "done").await?;
        Ok(steps + joins)
    }
}

/// Kills the process running it, every time.
#[derive(Debug, Serialize, Deserialize)]
struct CrashCommand;

impl Command for CrashCommand {
    type Output = ();
}

struct CrashHandler(Effects);

impl Handler for CrashHandler {
    type Command = CrashCommand;
    async fn execute(&self, _: CrashCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record(&ctx, "started").await?;
        eprintln!("crash: killing this worker (pid {})", std::process::id());
        std::process::abort();
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "orchestratum=info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let effects_url = args.effects_url.as_deref().unwrap_or(&args.database_url);
    let effects = Effects::open(effects_url, &args.table_prefix).await?;
    let alive = Alive::default();
    let orch = Orchestratum::builder()
        .database(&args.database_url)
        .table_prefix(&args.table_prefix)
        .instance_key(&args.instance_key)
        .max_command_pull(args.concurrency)
        .lock_timeout_buffer(Duration::from_millis(args.lease_ms))
        .polling_interval(Duration::from_millis(args.poll_ms))
        .handlers((
            WorkHandler(effects.clone(), alive.clone()),
            FollowUpHandler(effects.clone(), alive.clone()),
            StepHandler(effects.clone(), alive.clone()),
            JoinHandler(effects.clone(), alive),
            CrashHandler(effects),
        ))
        .start()
        .await?;
    // The tests wait for this line before they push.
    println!(
        "worker ready pid={} key={}",
        std::process::id(),
        args.instance_key
    );

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("signal received: draining");
    orch.shutdown(Duration::from_millis(args.grace_ms)).await?;
    println!("worker stopped");
    Ok(())
}
