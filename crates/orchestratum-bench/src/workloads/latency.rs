//! `latency`: one command at a time pushed into an idle worker in this process; the time from
//! the push call to the handler's start.

use std::time::{Duration, Instant};

use orchestratum::Orchestratum;
use tokio::sync::mpsc;

use crate::cli::BoxError;
use crate::commands::{ProbeCommand, ProbeHandler};
use crate::report::Report;
use crate::target::{KEY, Target};

#[derive(clap::Args, Debug, Clone)]
pub struct LatencyArgs {
    /// Measured pushes.
    #[arg(short, long, default_value_t = 1_000)]
    pub samples: usize,
}

pub async fn run(target: &Target, args: &LatencyArgs) -> Result<Report, BoxError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let orch = Orchestratum::builder()
        .database(&target.url)
        .table_prefix(&target.prefix)
        .instance_key(KEY)
        .migrate(false)
        .handler(ProbeHandler(tx))
        .start()
        .await?;
    let mut samples = Vec::with_capacity(args.samples);
    for i in 0..args.samples + 20 {
        let pushed = Instant::now();
        orch.push(ProbeCommand).await?;
        let started = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await?
            .ok_or("probe handler gone")?;
        // The first pushes warm the pools and the plan cache.
        if i >= 20 {
            samples.push(started.duration_since(pushed));
        }
        // Let the outcome be written so the worker is idle for the next push.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    orch.shutdown(Duration::from_secs(10)).await?;
    samples.sort();
    // Nearest-rank percentile: the sample at or above the given share of the sorted samples.
    let ms = |percent: usize| {
        let i = ((samples.len() - 1) * percent).div_ceil(100);
        samples[i].as_secs_f64() * 1000.0
    };
    Ok(Report::new("latency")
        .setting("samples", args.samples)
        .figure("p50_ms", ms(50))
        .figure("p90_ms", ms(90))
        .figure("p99_ms", ms(99))
        .figure("max_ms", ms(100)))
}
