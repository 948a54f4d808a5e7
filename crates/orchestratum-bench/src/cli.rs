//! Command-line arguments and dispatch to the workloads.

use clap::{Parser, Subcommand};

use crate::report::Report;
use crate::target::Target;
use crate::workloads;

/// Errors end the program with one line on stderr.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser, Debug)]
#[command(
    name = "orchestratum-bench",
    about = "Benchmarks Orchestratum against a database"
)]
pub struct Args {
    /// Database URL (postgres://…, sqlite://…?mode=rwc).
    #[arg(
        long,
        env = "DATABASE_URL",
        global = true,
        default_value = "sqlite://bench.db?mode=rwc"
    )]
    pub database_url: String,
    /// One JSON object per workload instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub workload: Workload,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Workload {
    /// N pre-pushed no-op commands drained by P worker processes with C in flight each.
    Drain(workloads::drain::DrainArgs),
    /// Single pushes from C tasks, then bulk pushes of a batch size.
    Push(workloads::push::PushArgs),
    /// One command at a time pushed into an idle worker: push-to-handler-start percentiles.
    Latency(workloads::latency::LatencyArgs),
    /// Each command enqueues one follow-up, to a depth.
    Chain(workloads::chain::ChainArgs),
    /// Drain with many finished rows already in the table.
    BigTable(workloads::big_table::BigTableArgs),
    /// N diamond workflows (root, W parallel steps, join): workflows/s and latency per edge.
    Workflow(workloads::workflow::WorkflowArgs),
    /// Every workload at a small size (the CI smoke run).
    Smoke,
    /// Internal: a worker process of a multi-process drain.
    #[command(hide = true)]
    Worker(workloads::drain::WorkerArgs),
}

pub async fn run(args: Args) -> Result<(), BoxError> {
    let url = &args.database_url;
    let workloads = match &args.workload {
        Workload::Worker(w) => return workloads::drain::worker_process(url, w).await,
        // Each workload on a table of its own, so one's rows never count in another's figures.
        Workload::Smoke => {
            let drain = workloads::drain::DrainArgs {
                n: 2_000,
                c: 100,
                p: 1,
                priorities: 1,
            };
            vec![
                Workload::Drain(drain.clone()),
                Workload::Push(workloads::push::PushArgs {
                    n: 1_000,
                    c: 10,
                    bulk: 1_000,
                }),
                Workload::Latency(workloads::latency::LatencyArgs { samples: 50 }),
                Workload::Chain(workloads::chain::ChainArgs {
                    n: 1_000,
                    depth: 10,
                    c: 100,
                }),
                Workload::BigTable(workloads::big_table::BigTableArgs {
                    rows: 10_000,
                    drain,
                }),
                Workload::Workflow(workloads::workflow::WorkflowArgs {
                    n: 100,
                    width: 8,
                    c: 100,
                    live: false,
                    no_analyze: false,
                    pushers: 4,
                    samples: 10,
                }),
                Workload::Workflow(workloads::workflow::WorkflowArgs {
                    n: 100,
                    width: 8,
                    c: 100,
                    live: true,
                    no_analyze: false,
                    pushers: 4,
                    samples: 0,
                }),
            ]
        }
        one => vec![one.clone()],
    };
    for workload in workloads {
        let target = Target::connect(url).await?;
        let settings = target.settings().await?;
        let result = run_one(&target, url, &workload).await;
        target.cleanup().await;
        let mut report = result?;
        report.settings.insert("database".into(), settings);
        report.print(args.json);
    }
    Ok(())
}

async fn run_one(target: &Target, url: &str, workload: &Workload) -> Result<Report, BoxError> {
    match workload {
        Workload::Drain(a) => workloads::drain::run(target, url, a).await,
        Workload::Push(a) => workloads::push::run(target, a).await,
        Workload::Latency(a) => workloads::latency::run(target, a).await,
        Workload::Chain(a) => workloads::chain::run(target, a).await,
        Workload::BigTable(a) => workloads::big_table::run(target, url, a).await,
        Workload::Workflow(a) => workloads::workflow::run(target, a).await,
        Workload::Smoke | Workload::Worker(_) => Err("not a single workload".into()),
    }
}
