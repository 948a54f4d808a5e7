//! `push`: single pushes from C concurrent tasks, then bulk pushes.

use std::time::Instant;

use crate::cli::BoxError;
use crate::commands::NoopCommand;
use crate::report::Report;
use crate::target::Target;

#[derive(clap::Args, Debug, Clone)]
pub struct PushArgs {
    /// Single pushes in all.
    #[arg(short, long, default_value_t = 10_000)]
    pub n: u64,
    /// Concurrent pushing tasks.
    #[arg(short, long, default_value_t = 10)]
    pub c: usize,
    /// Commands per bulk push (20 bulk pushes are timed).
    #[arg(short, long, default_value_t = 1_000)]
    pub bulk: u64,
}

pub async fn run(target: &Target, args: &PushArgs) -> Result<Report, BoxError> {
    let started = Instant::now();
    let per_task = args.n / args.c as u64;
    let tasks: Vec<_> = (0..args.c)
        .map(|_| {
            let client = target.client.clone();
            tokio::spawn(async move {
                for _ in 0..per_task {
                    client.push(NoopCommand).await?;
                }
                Ok::<_, orchestratum::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let single = (per_task * args.c as u64) as f64 / started.elapsed().as_secs_f64();

    let batches = 20;
    let started = Instant::now();
    for _ in 0..batches {
        target
            .client
            .push_many((0..args.bulk).map(|_| NoopCommand))
            .await?;
    }
    let bulk = (batches * args.bulk) as f64 / started.elapsed().as_secs_f64();
    Ok(Report::new("push")
        .setting("n", args.n)
        .setting("c", args.c)
        .setting("bulk", args.bulk)
        .figure("single_per_sec", single)
        .figure("bulk_per_sec", bulk))
}
