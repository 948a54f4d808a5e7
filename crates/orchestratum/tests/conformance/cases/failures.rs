//! Panics and inputs that no longer fit are failures with their reason kept.

use std::time::Duration;

use orchestratum::{FailureKind, Push, State};

use super::worker;
use crate::support::commands::*;
use crate::support::{Probe, TestDb, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

pub async fn panic_is_a_failure(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(PanicsCommand, Push::new().retries(1))
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    assert_eq!(
        probe.count_for("panics", id),
        2,
        "a panic is retried like any failure"
    );
    assert_eq!(record.last_outcome, Some(FailureKind::Panicked));
    assert!(
        record
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("handler exploded on purpose"),
        "{record:?}"
    );
    // The worker survives it.
    let next = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    assert_eq!(wait_terminal(&orch, next).await.state(), State::Completed);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn bad_input_is_a_failure_with_its_reason(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    // An older shape of the command, stored under the same name.
    let id = orch
        .push_with(
            SimpleV0Command { text: "v0".into() },
            Push::new().retries(0),
        )
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    assert_eq!(record.last_outcome, Some(FailureKind::BadInput));
    let error = record.last_error.unwrap_or_default();
    assert!(
        error.contains("input does not fit") && error.contains("missing field `n`"),
        "{error}"
    );
    // The input is kept as it was, for an operator to inspect.
    assert_eq!(record.input.as_deref(), Some(r#"{"text":"v0"}"#));
    assert_eq!(probe.count_for("simple", id), 0);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn panicking_hook_does_not_block_the_transition(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(PanickyHookCommand, Push::new().retries(0))
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    let error = record.last_error.unwrap_or_default();
    assert!(
        error.contains("on_failure panicked: hook exploded on purpose"),
        "{error}"
    );
    // The worker's slot was given back: it keeps running commands.
    let next = orch.push(SimpleCommand { n: 1 }).await.unwrap();
    assert_eq!(wait_terminal(&orch, next).await.state(), State::Completed);
    orch.shutdown(SHUTDOWN).await.unwrap();
}
