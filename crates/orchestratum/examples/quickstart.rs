//! The reference README's example: a report command whose success chains an e-mail command.
//!
//! The commands and handlers are in `common/mod.rs`, shared with the web example.
//! Runs on a SQLite file by default; set `DATABASE_URL` to run it on any supported database.
//! Prints what ran and exits 0 once the chain is done.

#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{
    GenerateReportCommand, GenerateReportHandler, ReportRequest, ReportService, SendEmailHandler,
};
use orchestratum::{Finished, Orchestratum};
use tokio::sync::Notify;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://quickstart.db?mode=rwc".into());
    println!("database: {}", orchestratum::config::redact(&url));

    let sent = Arc::new(Notify::new());
    let orch = Orchestratum::builder()
        .database(&url)
        .instance_key("quickstart")
        .handlers((
            GenerateReportHandler {
                reports: Arc::new(ReportService),
            },
            SendEmailHandler { sent: sent.clone() },
        ))
        .start()
        .await?;

    let id = orch
        .push(GenerateReportCommand(ReportRequest {
            title: "Quarterly sales".into(),
        }))
        .await?;
    println!("pushed generate_report {id}");

    match tokio::time::timeout(
        Duration::from_secs(30),
        orch.wait::<GenerateReportCommand>(id),
    )
    .await??
    {
        Finished::Completed(result) => {
            println!("generate_report completed: report {}", result.report_id)
        }
        other => return Err(format!("generate_report did not complete: {other:?}").into()),
    }
    tokio::time::timeout(Duration::from_secs(30), sent.notified()).await?;
    orch.shutdown(Duration::from_secs(10)).await?;
    println!("chain done");
    Ok(())
}
