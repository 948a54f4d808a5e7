//! `orchestratum-bench`: measures drain, push, latency, chain and big-table workloads against a
//! database URL, for BENCHMARKS.md. Figures come from this program, never from timed tests.

mod cli;
mod commands;
mod report;
mod target;
mod workloads;

use clap::Parser;

#[tokio::main]
async fn main() {
    let args = cli::Args::parse();
    if let Err(error) = cli::run(args).await {
        eprintln!("orchestratum-bench: {error}");
        std::process::exit(1);
    }
}
