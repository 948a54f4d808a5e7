//! `drain`: N pre-pushed no-op commands, drained by P worker processes with C in flight each;
//! commands per second from the first claim to the last completion, by the database clock.

use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Duration;

use orchestratum::Orchestratum;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{peak_rss_mib, push_in_bulk, wait_completed};
use crate::cli::BoxError;
use crate::commands::{ChainLinkHandler, HANDLED, NoopCommand, NoopHandler};
use crate::report::Report;
use crate::target::{KEY, Target};

/// Rows per bulk push when preparing the queue.
const PREPARE_BATCH: u64 = 5_000;

#[derive(clap::Args, Debug, Clone)]
pub struct DrainArgs {
    /// Commands to drain.
    #[arg(short, long, default_value_t = 20_000)]
    pub n: u64,
    /// Commands in flight per worker (max_command_pull).
    #[arg(short, long, default_value_t = 100)]
    pub c: usize,
    /// Worker processes (1 runs the worker inside the benchmark process).
    #[arg(short, long, default_value_t = 1)]
    pub p: usize,
    /// Spread the commands over this many priority levels (0, 1, …), round robin.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i16).range(1..))]
    pub priorities: i16,
}

#[derive(clap::Args, Debug, Clone)]
pub struct WorkerArgs {
    #[arg(long)]
    pub prefix: String,
    #[arg(long)]
    pub concurrency: usize,
}

/// Starts a benchmark worker in this process.
pub async fn start_worker(
    url: &str,
    prefix: &str,
    concurrency: usize,
) -> Result<Orchestratum, BoxError> {
    Ok(Orchestratum::builder()
        .database(url)
        .table_prefix(prefix)
        .instance_key(KEY)
        .max_command_pull(concurrency)
        .migrate(false)
        .handlers((NoopHandler, ChainLinkHandler))
        .start()
        .await?)
}

/// The hidden `worker` subcommand: run until SIGTERM, then print the peak RSS.
pub async fn worker_process(url: &str, args: &WorkerArgs) -> Result<(), BoxError> {
    let orch = start_worker(url, &args.prefix, args.concurrency).await?;
    println!("ready");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    term.recv().await;
    orch.shutdown(Duration::from_secs(10)).await?;
    println!("peak_rss_mib={:.1}", peak_rss_mib());
    Ok(())
}

pub async fn run(target: &Target, url: &str, args: &DrainArgs) -> Result<Report, BoxError> {
    if args.priorities > 1 {
        push_spread(target, args.n, args.priorities).await?;
    } else {
        push_in_bulk(target, args.n, PREPARE_BATCH, |_| NoopCommand).await?;
    }
    target.analyze().await?;
    let rss = if args.p <= 1 {
        let base = HANDLED.load(Ordering::Relaxed);
        let orch = start_worker(url, &target.prefix, args.c).await?;
        wait_completed(target, "noop", args.n, Duration::from_secs(600), Some(base)).await?;
        let rss = peak_rss_mib();
        orch.shutdown(Duration::from_secs(10)).await?;
        rss
    } else {
        drain_with_processes(target, url, args).await?
    };
    let (secs, done) = target.span("noop").await?;
    Ok(Report::new("drain")
        .setting("n", args.n)
        .setting("c", args.c)
        .setting("p", args.p)
        .setting("priorities", args.priorities)
        .figure("commands_per_sec", done as f64 / secs)
        .figure("seconds", secs)
        .figure("peak_rss_mib_per_worker", rss))
}

/// Pushes `n` commands, command `i` at priority `i % levels`, one statement per level and batch.
async fn push_spread(target: &Target, n: u64, levels: i16) -> Result<(), BoxError> {
    let levels_u64 = u64::try_from(levels).unwrap_or(1);
    let mut pushed = 0;
    while pushed < n {
        let size = PREPARE_BATCH.min(n - pushed);
        for level in 0..levels {
            let level_u64 = u64::try_from(level).unwrap_or(0);
            let count = (pushed..pushed + size)
                .filter(|i| i % levels_u64 == level_u64)
                .count();
            target
                .client
                .push_many_with(
                    std::iter::repeat_with(|| NoopCommand).take(count),
                    orchestratum::Push::new().priority(level),
                )
                .await?;
        }
        pushed += size;
    }
    Ok(())
}

/// Runs P child worker processes until the queue is drained; returns their largest peak RSS.
async fn drain_with_processes(
    target: &Target,
    url: &str,
    args: &DrainArgs,
) -> Result<f64, BoxError> {
    let exe = std::env::current_exe()?;
    let mut children = Vec::new();
    for _ in 0..args.p {
        let mut child = tokio::process::Command::new(&exe)
            .args(["--database-url", url, "worker", "--prefix", &target.prefix])
            .args(["--concurrency", &args.c.to_string()])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        while let Some(line) = lines.next_line().await? {
            if line == "ready" {
                break;
            }
        }
        children.push((child, lines));
    }
    wait_completed(target, "noop", args.n, Duration::from_secs(600), None).await?;
    let mut rss: f64 = 0.0;
    for (child, mut lines) in children {
        if let Some(pid) = child.id() {
            std::process::Command::new("kill")
                .args(["-s", "TERM", &pid.to_string()])
                .status()?;
        }
        while let Some(line) = lines.next_line().await? {
            if let Some(v) = line.strip_prefix("peak_rss_mib=") {
                rss = rss.max(v.parse().unwrap_or(0.0));
            }
        }
    }
    Ok(rss)
}
