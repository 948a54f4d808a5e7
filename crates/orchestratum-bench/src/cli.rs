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
    /// Every workload at a small size (the CI smoke run).
    Smoke,
    /// Internal: a worker process of a multi-process drain.
    #[command(hide = true)]
    Worker(workloads::drain::WorkerArgs),
}

pub async fn run(args: Args) -> Result<(), BoxError> {
    if let Workload::Worker(w) = &args.workload {
        return workloads::drain::worker_process(&args.database_url, w).await;
    }
    let target = Target::connect(&args.database_url).await?;
    let settings = target.settings().await?;
    if !args.json {
        println!("database: {} ({settings})", target.backend);
    }
    let result = run_workloads(&target, &args).await;
    target.cleanup().await;
    for mut report in result? {
        report.settings.insert("database".into(), settings.clone());
        report.print(args.json);
    }
    Ok(())
}

async fn run_workloads(target: &Target, args: &Args) -> Result<Vec<Report>, BoxError> {
    let url = &args.database_url;
    Ok(match &args.workload {
        Workload::Drain(a) => vec![workloads::drain::run(target, url, a).await?],
        Workload::Push(a) => vec![workloads::push::run(target, a).await?],
        Workload::Latency(a) => vec![workloads::latency::run(target, a).await?],
        Workload::Chain(a) => vec![workloads::chain::run(target, a).await?],
        Workload::BigTable(a) => vec![workloads::big_table::run(target, url, a).await?],
        Workload::Smoke => {
            let drain = workloads::drain::DrainArgs {
                n: 2_000,
                c: 100,
                p: 1,
            };
            vec![
                workloads::drain::run(target, url, &drain).await?,
                workloads::push::run(
                    target,
                    &workloads::push::PushArgs {
                        n: 1_000,
                        c: 10,
                        bulk: 1_000,
                    },
                )
                .await?,
                workloads::latency::run(target, &workloads::latency::LatencyArgs { samples: 50 })
                    .await?,
                workloads::chain::run(
                    target,
                    &workloads::chain::ChainArgs {
                        n: 1_000,
                        depth: 10,
                        c: 100,
                    },
                )
                .await?,
                workloads::big_table::run(
                    target,
                    url,
                    &workloads::big_table::BigTableArgs {
                        rows: 10_000,
                        drain,
                    },
                )
                .await?,
            ]
        }
        Workload::Worker(_) => unreachable!("handled above"),
    })
}
