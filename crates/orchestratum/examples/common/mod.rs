//! The reference README's commands, shared by the examples (`#[path = "common/mod.rs"]`):
//! a report command whose success chains an e-mail command, their handlers, and a stand-in
//! report service.
// Each example uses only part of this module.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use orchestratum::{Command, Context, Handler, HandlerResult, Next};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// What a report is asked for.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportRequest {
    pub title: String,
}

/// The generated report.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReportResult {
    pub report_id: u64,
}

/// An e-mail to send.
#[derive(Debug, Serialize, Deserialize)]
pub struct EmailData {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Input only: `Output = ()`. Stored as "send_email" by convention.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendEmailCommand(pub EmailData);

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
pub struct GenerateReportCommand(pub ReportRequest);

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
pub struct ReportService;

impl ReportService {
    pub async fn generate(&self, request: &ReportRequest) -> ReportResult {
        println!("generating report {:?}", request.title);
        ReportResult { report_id: 42 }
    }
}

/// Runs `generate_report` with the report service it holds.
pub struct GenerateReportHandler {
    pub reports: Arc<ReportService>,
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

/// "Sends" the e-mail (prints it) and signals `sent`.
pub struct SendEmailHandler {
    pub sent: Arc<Notify>,
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
