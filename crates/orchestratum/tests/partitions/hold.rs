//! The `hold` command: its first run holds for a long time (to be partitioned in), later runs
//! return at once. The handler reports to a [`Timeline`] which worker ran it and when.

use std::sync::Arc;
use std::time::Duration;

use orchestratum::{Command, Context, Handler, HandlerResult};
use serde::{Deserialize, Serialize};

use crate::timeline::{Event, Timeline};

#[derive(Debug, Serialize, Deserialize)]
pub struct HoldCommand {
    /// How long the first run holds.
    pub first_run_ms: u64,
    /// The first run keeps holding after its token fires: only dropping its future ends it.
    pub ignores_token: bool,
}

impl Command for HoldCommand {
    /// The worker that ran it.
    type Output = String;
}

pub struct HoldHandler {
    pub worker: &'static str,
    pub timeline: Arc<Timeline>,
}

impl Handler for HoldHandler {
    type Command = HoldCommand;

    async fn execute(&self, cmd: HoldCommand, ctx: Context) -> HandlerResult<String> {
        let _alive = self.timeline.started(self.worker, ctx.attempt());
        // A task of its own sees the token even after the runtime dropped this future.
        let (timeline, worker, attempt, token) = (
            self.timeline.clone(),
            self.worker,
            ctx.attempt(),
            ctx.token().clone(),
        );
        let watcher = tokio::spawn(async move {
            token.cancelled().await;
            timeline.record(worker, attempt, Event::TokenFired);
        });
        let hold = if ctx.attempt() == 1 {
            cmd.first_run_ms
        } else {
            0
        };
        let hold = tokio::time::sleep(Duration::from_millis(hold));
        if cmd.ignores_token {
            hold.await;
        } else {
            tokio::select! {
                () = hold => {}
                () = ctx.cancelled() => {}
            }
        }
        if !ctx.is_cancelled() {
            watcher.abort();
        }
        // Returned even when stopped: a correct runtime writes nothing for a stopped run, so
        // this output must never reach the row.
        Ok(self.worker.to_owned())
    }
}
