//! `chain`: each command enqueues one follow-up until a depth; measures the whole drain.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{push_in_bulk, wait_completed};
use crate::cli::BoxError;
use crate::commands::{ChainLinkCommand, HANDLED};
use crate::report::Report;
use crate::target::Target;

#[derive(clap::Args, Debug, Clone)]
pub struct ChainArgs {
    /// Commands in all (roots × depth).
    #[arg(short, long, default_value_t = 20_000)]
    pub n: u64,
    /// Links per chain.
    #[arg(short, long, default_value_t = 10)]
    pub depth: u32,
    /// Commands in flight.
    #[arg(short, long, default_value_t = 100)]
    pub c: usize,
}

pub async fn run(target: &Target, args: &ChainArgs) -> Result<Report, BoxError> {
    let roots = args.n / u64::from(args.depth);
    push_in_bulk(target, roots, 5_000, |_| ChainLinkCommand {
        left: args.depth,
    })
    .await?;
    let base = HANDLED.load(Ordering::Relaxed);
    let orch = super::drain::start_worker(&target.url, &target.prefix, args.c).await?;
    let total = roots * u64::from(args.depth);
    wait_completed(
        target,
        "chain_link",
        total,
        Duration::from_secs(600),
        Some(base),
    )
    .await?;
    orch.shutdown(Duration::from_secs(10)).await?;
    let (secs, done) = target.span("chain_link").await?;
    Ok(Report::new("chain")
        .setting("n", total)
        .setting("depth", args.depth)
        .setting("c", args.c)
        .figure("commands_per_sec", done as f64 / secs)
        .figure("seconds", secs))
}
