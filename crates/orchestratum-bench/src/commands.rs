//! The benchmark's commands: a no-op, a chain link, a probe that reports when it starts, and
//! the no-op steps of a workflow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use orchestratum::{Command, Context, Handler, HandlerResult, Next};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Runs of `noop` and `chain_link` handlers in this process, so an in-process drain knows when
/// it is nearly done without polling the table (a count over a big table would cost the very
/// database being measured).
pub static HANDLED: AtomicU64 = AtomicU64::new(0);

/// Does nothing: measures the queue, not the work.
#[derive(Serialize, Deserialize)]
pub struct NoopCommand;

impl Command for NoopCommand {
    type Output = ();
}

pub struct NoopHandler;

impl Handler for NoopHandler {
    type Command = NoopCommand;
    async fn execute(&self, _: NoopCommand, _: Context) -> HandlerResult<()> {
        HANDLED.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Enqueues its next link until `left` reaches 1.
#[derive(Serialize, Deserialize)]
pub struct ChainLinkCommand {
    pub left: u32,
}

impl Command for ChainLinkCommand {
    type Output = ();
    fn on_success(&self, _: &()) -> Vec<Next> {
        if self.left > 1 {
            vec![Next::new(ChainLinkCommand {
                left: self.left - 1,
            })]
        } else {
            Vec::new()
        }
    }
}

pub struct ChainLinkHandler;

impl Handler for ChainLinkHandler {
    type Command = ChainLinkCommand;
    async fn execute(&self, _: ChainLinkCommand, _: Context) -> HandlerResult<()> {
        HANDLED.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Reports the instant its handler starts.
#[derive(Serialize, Deserialize)]
pub struct ProbeCommand;

impl Command for ProbeCommand {
    type Output = ();
}

pub struct ProbeHandler(pub mpsc::UnboundedSender<Instant>);

impl Handler for ProbeHandler {
    type Command = ProbeCommand;
    async fn execute(&self, _: ProbeCommand, _: Context) -> HandlerResult<()> {
        let _ = self.0.send(Instant::now());
        Ok(())
    }
}

/// A no-op workflow step (the root and the parallel steps of the `workflow` workload).
#[derive(Serialize, Deserialize)]
pub struct WorkflowStepCommand;

impl Command for WorkflowStepCommand {
    type Output = ();
}

pub struct WorkflowStepHandler;

impl Handler for WorkflowStepHandler {
    type Command = WorkflowStepCommand;
    async fn execute(&self, _: WorkflowStepCommand, _: Context) -> HandlerResult<()> {
        HANDLED.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// A no-op join: the last step of a `workflow` diamond, released when its parents have ended.
#[derive(Serialize, Deserialize)]
pub struct WorkflowJoinCommand;

impl Command for WorkflowJoinCommand {
    type Output = ();
}

pub struct WorkflowJoinHandler;

impl Handler for WorkflowJoinHandler {
    type Command = WorkflowJoinCommand;
    async fn execute(&self, _: WorkflowJoinCommand, _: Context) -> HandlerResult<()> {
        HANDLED.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
