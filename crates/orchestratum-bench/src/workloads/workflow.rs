//! `workflow`: N diamonds (a root, W parallel steps, a join: W + 2 no-op steps, 2W edges) run by
//! a worker in this process with C in flight. Workflows per second from the first claim (or,
//! with `--live`, the first push) to the last join's completion, by the database clock; the
//! latency of every edge (child `running_at` − parent `completed_at`, read back at the end) under
//! that load; then, one at a time into the idle worker, the same edge latency beside a plain
//! command's push-to-start (`running_at` − `scheduled_at`), measured the same way.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use orchestratum::{Orchestratum, Step, Workflow, WorkflowInfo, WorkflowState};
use uuid::Uuid;

use super::wait_completed;
use crate::cli::BoxError;
use crate::commands::{
    HANDLED, NoopCommand, NoopHandler, WorkflowJoinCommand, WorkflowJoinHandler,
    WorkflowStepCommand, WorkflowStepHandler,
};
use crate::report::Report;
use crate::target::{KEY, Target};

/// Idle samples run first and left out: they warm the pools and the plan cache.
const WARM_UP: usize = 5;

#[derive(clap::Args, Debug, Clone)]
pub struct WorkflowArgs {
    /// Workflows.
    #[arg(short, long, default_value_t = 2_000)]
    pub n: u64,
    /// Parallel steps between the root and the join (8: a 10-step diamond).
    #[arg(short, long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..))]
    pub width: u32,
    /// Commands in flight.
    #[arg(short, long, default_value_t = 100)]
    pub c: usize,
    /// Push while the worker runs (timed from the first push) instead of all before it starts.
    #[arg(long)]
    pub live: bool,
    /// Skip the `ANALYZE` between the pushes and the run (pre-pushed mode). SQLite's statistics
    /// of a table full of waiting steps make its runs about 30 times slower (BENCHMARKS.md).
    #[arg(long)]
    pub no_analyze: bool,
    /// Tasks pushing workflows at once (each push is one transaction).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    pub pushers: u64,
    /// Workflows, and as many plain commands, pushed one at a time into the idle worker.
    #[arg(short, long, default_value_t = 100)]
    pub samples: usize,
}

fn diamond(width: u32) -> Workflow {
    let mut join = Step::new("join", WorkflowJoinCommand);
    let mut workflow = Workflow::new("diamond").step(Step::new("root", WorkflowStepCommand));
    for i in 0..width {
        let key = format!("s{i}");
        workflow = workflow.step(Step::new(key.clone(), WorkflowStepCommand).after("root"));
        join = join.after(key);
    }
    workflow.step(join)
}

/// Pushes `n` diamonds from `pushers` tasks; their ids.
async fn push_diamonds(
    target: &Target,
    n: u64,
    width: u32,
    pushers: u64,
) -> Result<Vec<Uuid>, BoxError> {
    let mut tasks = Vec::new();
    for p in 0..pushers {
        let client = target.client.clone();
        let count = n / pushers + u64::from(p < n % pushers);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..count {
                ids.push(client.push_workflow(diamond(width)).await?.id);
            }
            Ok::<_, orchestratum::Error>(ids)
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await??);
    }
    Ok(ids)
}

fn worker(target: &Target, c: usize) -> orchestratum::Builder {
    Orchestratum::builder()
        .database(&target.url)
        .table_prefix(&target.prefix)
        .instance_key(KEY)
        .max_command_pull(c)
        .migrate(false)
        .handlers((WorkflowStepHandler, WorkflowJoinHandler, NoopHandler))
}

/// What the read-back of finished workflows gives.
#[derive(Default)]
struct Timings {
    first_push: Option<DateTime<Utc>>,
    first_claim: Option<DateTime<Utc>>,
    last_completion: Option<DateTime<Utc>>,
    /// Child `running_at` − parent `completed_at`, every edge, in ms.
    edges: Vec<f64>,
    /// Child `running_at` − its last parent's `completed_at`, every step with parents, in ms:
    /// the wait the release itself adds, without the wait for slower siblings.
    releases: Vec<f64>,
}

fn ms(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

impl Timings {
    fn add(&mut self, info: &WorkflowInfo) -> Result<(), BoxError> {
        if info.state != WorkflowState::Completed {
            return Err(format!("workflow {} ended {}", info.id, info.state).into());
        }
        let completed = |id: Uuid| {
            info.steps
                .iter()
                .find(|s| s.command.id == id)
                .and_then(|s| s.command.completed_at)
                .ok_or_else(|| format!("workflow {}: parent {id} not completed", info.id))
        };
        for step in &info.steps {
            let record = &step.command;
            let (Some(running), Some(done)) = (record.running_at, record.completed_at) else {
                return Err(format!("step {} has no run times", record.id).into());
            };
            self.first_claim = Some(self.first_claim.map_or(running, |t| t.min(running)));
            self.last_completion = Some(self.last_completion.map_or(done, |t| t.max(done)));
            if step.parents.is_empty() {
                let pushed = record.scheduled_at;
                self.first_push = Some(self.first_push.map_or(pushed, |t| t.min(pushed)));
                continue;
            }
            let mut last_parent = None::<DateTime<Utc>>;
            for (parent, _) in &step.parents {
                let parent_done = completed(*parent)?;
                self.edges.push(ms(parent_done, running));
                last_parent = Some(last_parent.map_or(parent_done, |t| t.max(parent_done)));
            }
            if let Some(last) = last_parent {
                self.releases.push(ms(last, running));
            }
        }
        Ok(())
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], percent: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) * percent).div_ceil(100)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn with_percentiles(mut report: Report, prefix: &str, samples: Vec<f64>) -> Report {
    let samples = sorted(samples);
    for p in [50, 90, 99] {
        report = report.figure(&format!("{prefix}_p{p}_ms"), percentile(&samples, p));
    }
    report
}

pub async fn run(target: &Target, args: &WorkflowArgs) -> Result<Report, BoxError> {
    let steps_per = u64::from(args.width) + 2;
    let total = args.n * steps_per;
    let base = HANDLED.load(Ordering::Relaxed);
    let (orch, ids, push_secs) = if args.live {
        let orch = worker(target, args.c).start().await?;
        let started = std::time::Instant::now();
        let ids = push_diamonds(target, args.n, args.width, args.pushers).await?;
        (orch, ids, started.elapsed().as_secs_f64())
    } else {
        let started = std::time::Instant::now();
        let ids = push_diamonds(target, args.n, args.width, args.pushers).await?;
        let push_secs = started.elapsed().as_secs_f64();
        if !args.no_analyze {
            target.analyze().await?;
        }
        (worker(target, args.c).start().await?, ids, push_secs)
    };
    let deadline = Duration::from_secs(600);
    let waited = std::time::Instant::now();
    while HANDLED.load(Ordering::Relaxed) - base < total {
        if waited.elapsed() > deadline {
            return Err(format!("workflow steps not all run within {deadline:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    wait_completed(target, "workflow_join", args.n, deadline, None).await?;

    let mut loaded = Timings::default();
    for id in &ids {
        loaded.add(&orch.workflow(*id).await?)?;
    }
    let (Some(first_push), Some(first_claim), Some(last)) = (
        loaded.first_push,
        loaded.first_claim,
        loaded.last_completion,
    ) else {
        return Err("no workflow ran".into());
    };
    let secs = ms(if args.live { first_push } else { first_claim }, last) / 1000.0;

    // One at a time into the now idle worker: a diamond, then a plain command.
    let mut idle = Timings::default();
    let mut plain = Vec::with_capacity(args.samples);
    for i in 0..args.samples + WARM_UP {
        let pushed = orch.push_workflow(diamond(args.width)).await?;
        let info =
            tokio::time::timeout(Duration::from_secs(30), orch.wait_workflow(pushed.id)).await??;
        let id = orch.push(NoopCommand).await?;
        tokio::time::timeout(Duration::from_secs(30), orch.wait::<NoopCommand>(id)).await??;
        let record = orch.get(id).await?;
        if i < WARM_UP {
            continue;
        }
        idle.add(&info)?;
        let running = record.running_at.ok_or("plain command has no running_at")?;
        plain.push(ms(record.scheduled_at, running));
    }
    orch.shutdown(Duration::from_secs(10)).await?;

    let mut report = Report::new("workflow")
        .setting("n", args.n)
        .setting("steps", steps_per)
        .setting("c", args.c)
        .setting("mode", if args.live { "live" } else { "pre-pushed" })
        .setting("pushers", args.pushers)
        .setting("analyze", !args.live && !args.no_analyze)
        .setting("samples", args.samples)
        .figure("workflows_per_sec", args.n as f64 / secs)
        .figure("steps_per_sec", total as f64 / secs)
        .figure("seconds", secs)
        .figure("push_workflows_per_sec", args.n as f64 / push_secs);
    report = with_percentiles(report, "edge", loaded.edges);
    report = with_percentiles(report, "release", loaded.releases);
    if args.samples > 0 {
        report = with_percentiles(report, "idle_edge", idle.edges);
        report = with_percentiles(report, "idle_release", idle.releases);
        report = with_percentiles(report, "idle_plain", plain);
    }
    Ok(report)
}
