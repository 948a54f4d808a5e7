//! `orchestratum-bench`: measures drain, push, latency, chain, big-table and workflow workloads
//! against a database URL, for BENCHMARKS.md. Figures come from this program, never from timed
//! tests.

mod cli;
mod commands;
mod report;
mod target;
mod workloads;

use clap::Parser;

#[tokio::main]
async fn main() {
    // Silent unless RUST_LOG asks (e.g. RUST_LOG=orchestratum=trace shows claim and write sizes).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = cli::Args::parse();
    if let Err(error) = cli::run(args).await {
        eprintln!("orchestratum-bench: {error}");
        std::process::exit(1);
    }
}
