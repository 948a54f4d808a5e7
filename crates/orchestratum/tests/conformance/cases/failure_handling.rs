//! Failure handling (issue 10): discarding a command, and the instance-wide retry backoff.

use std::sync::Arc;
use std::time::Duration;

use orchestratum::{
    Backoff, Command, Context, Failure, FailureKind, Handler, HandlerError, HandlerResult, Next,
    Push, State,
};
use serde::{Deserialize, Serialize};

use crate::support::commands::*;
use crate::support::{Probe, TestDb, wait_terminal};

/// Discards itself on its first run; its `on_failure` chains a `NotifyAdminCommand`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DiscardCommand;
impl Command for DiscardCommand {
    type Output = ();
    fn on_failure(&self, _: &Failure) -> Vec<Next> {
        vec![Next::new(NotifyAdminCommand {
            reason: "discarded".into(),
        })]
    }
}
pub struct DiscardHandler(pub Arc<Probe>);
impl Handler for DiscardHandler {
    type Command = DiscardCommand;
    async fn execute(&self, _: DiscardCommand, ctx: Context) -> HandlerResult<()> {
        self.0.record("discard", ctx.id(), ctx.attempt());
        Err(HandlerError::discard("the account is gone"))
    }
}

pub async fn discarded_command_fails_at_once_with_its_failure_follow_ups(db: TestDb) {
    let probe = Probe::new();
    let orch = db
        .builder()
        .handler(DiscardHandler(probe.clone()))
        .handler(AdminHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let id = orch
        .push_with(DiscardCommand, Push::new().retries(5))
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed, "failed, not canceled");
    assert_eq!(record.last_outcome, Some(FailureKind::Discarded));
    assert_eq!(record.last_error.as_deref(), Some("the account is gone"));
    assert_eq!(probe.count_for("discard", id), 1, "no retry");
    probe.wait("admin_email", 1, Duration::from_secs(10)).await;
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}

pub async fn instance_backoff_spaces_retries_of_types_without_their_own(db: TestDb) {
    let probe = Probe::new();
    let wait = Duration::from_millis(400);
    let orch = db
        .builder()
        .retry_backoff(Backoff::constant(wait))
        .handler(AlwaysFailsHandler(probe.clone()))
        .start()
        .await
        .unwrap();
    let id = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(2))
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    let runs = probe.times_of("always_fails", id);
    assert_eq!(runs.len(), 3);
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= wait - Duration::from_millis(10) && gap < wait + Duration::from_millis(300),
            "retries {gap:?} apart, not about {wait:?}"
        );
    }
    orch.shutdown(Duration::from_secs(5)).await.unwrap();
}
