//! The reference README's example: a report command whose success chains an e-mail command.
//!
//! Runs on a SQLite file by default; set `DATABASE_URL` to run it on any supported database.
//! Prints what ran and exits 0 once the chain is done.

use std::sync::Arc;
use std::time::Duration;

use orchestratum::{Command, Context, Finished, Handler, HandlerResult, Next, Orchestratum};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

#[derive(Debug, Serialize, Deserialize)]
struct ReportRequest {
    title: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct ReportResult {
    report_id: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct EmailData {
    to: String,
    subject: String,
    body: String,
}

/// Input only: `Output = ()`. Stored as "send_email" by convention.
#[derive(Debug, Serialize, Deserialize)]
struct SendEmailCommand(EmailData);

impl Command for SendEmailCommand {
    type Output = ();
    fn timeout(&self) -> Duration {
        Duration::from_secs(120)
    }
    fn retries(&self) -> u16 {
        5
    }
}

/// Input and output; the name is set explicitly, like `[OrchCommand("generate_report")]`.
#[derive(Debug, Serialize, Deserialize)]
struct GenerateReportCommand(ReportRequest);

impl Command for GenerateReportCommand {
    type Output = ReportResult;
    fn name() -> std::borrow::Cow<'static, str> {
        "generate_report".into()
    }
    fn timeout(&self) -> Duration {
        Duration::from_secs(600)
    }
    fn on_success(&self, output: &ReportResult) -> Vec<Next> {
        vec![Next::new(SendEmailCommand(EmailData {
            to: "admin@example.com".into(),
            subject: "Report Generated".into(),
            body: format!("Report {} was generated", output.report_id),
        }))]
    }
}

/// Stands in for the application's report service.
struct ReportService;

impl ReportService {
    async fn generate(&self, request: &ReportRequest) -> ReportResult {
        println!("generating report {:?}", request.title);
        ReportResult { report_id: 42 }
    }
}

struct GenerateReportHandler {
    reports: Arc<ReportService>,
}

impl Handler for GenerateReportHandler {
    type Command = GenerateReportCommand;
    async fn execute(
        &self,
        cmd: GenerateReportCommand,
        ctx: Context,
    ) -> HandlerResult<ReportResult> {
        println!("[{}] generate_report attempt {}", ctx.id(), ctx.attempt());
        Ok(self.reports.generate(&cmd.0).await)
    }
}

struct SendEmailHandler {
    sent: Arc<Notify>,
}

impl Handler for SendEmailHandler {
    type Command = SendEmailCommand;
    async fn execute(&self, cmd: SendEmailCommand, ctx: Context) -> HandlerResult<()> {
        println!(
            "[{}] send_email to {}: {} ({})",
            ctx.id(),
            cmd.0.to,
            cmd.0.subject,
            cmd.0.body
        );
        self.sent.notify_one();
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://quickstart.db?mode=rwc".into());
    println!("database: {url}");

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
