//! The benchmark's commands: a no-op, a chain link, and a probe that reports when it starts.

use std::time::Instant;

use orchestratum::{Command, Context, Handler, HandlerResult, Next};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

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
