//! The reference library's own test cases.

use std::time::Duration;

use chrono::Utc;
use orchestratum::{Command, FailureKind, Push, State, Status};

use super::worker;
use crate::support::commands::*;
use crate::support::{Probe, TestDb, wait_terminal};

const SHUTDOWN: Duration = Duration::from_secs(5);

pub async fn simple_command_executes_and_completes(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch.push(SimpleCommand { n: 21 }).await.unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    assert!(record.is_completed && !record.is_failed && !record.is_canceled && !record.is_running);
    assert!(record.completed_at.is_some());
    assert_eq!(record.output.as_deref(), Some("42"));
    assert_eq!(record.status(), Some(Status::Success));
    assert_eq!(probe.count_for("simple", id), 1);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn push_sets_id_and_row_exists_at_once(db: TestDb) {
    // A client only: nothing runs it, so the row is seen exactly as the push left it.
    let client = db.client().await;
    let id = client.push(SimpleCommand { n: 1 }).await.unwrap();
    assert!(!id.is_nil());
    let record = client.get(id).await.unwrap();
    assert_eq!(record.id, id);
    assert_eq!(record.name, "simple");
    assert_eq!(record.input.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(record.state(), State::Pending);
    assert_eq!(record.attempt, 0);
    assert_eq!(record.retries_left, 3);
    assert_eq!(record.timeout, Duration::from_secs(5));
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM {}", db.table()))
            .await,
        1
    );
}

pub async fn target_is_stored(db: TestDb) {
    let client = db.client().await;
    let routed = client
        .push_with(SimpleCommand { n: 1 }, Push::new().target("email-worker"))
        .await
        .unwrap();
    let default = client.push(SimpleCommand { n: 2 }).await.unwrap();
    assert_eq!(client.get(routed).await.unwrap().target, "email-worker");
    // The target defaults to the pushing instance's key.
    assert_eq!(client.get(default).await.unwrap().target, "test");
}

pub async fn three_pushed_commands_all_execute(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(orch.push(SimpleCommand { n }).await.unwrap());
    }
    for id in ids {
        assert_eq!(wait_terminal(&orch, id).await.state(), State::Completed);
        assert_eq!(probe.count_for("simple", id), 1);
    }
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn five_concurrent_commands_all_execute(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let client = orch.client();
    let pushes = (0..5).map(|n| {
        let client = client.clone();
        tokio::spawn(async move { client.push(SimpleCommand { n }).await.unwrap() })
    });
    let ids: Vec<_> = futures_util::future::join_all(pushes)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for id in &ids {
        assert_eq!(wait_terminal(&orch, *id).await.state(), State::Completed);
    }
    assert_eq!(probe.count("simple"), 5);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn chain_on_success(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch.push(ProcessOrderCommand { amount: 10 }).await.unwrap();
    let order = wait_terminal(&orch, id).await;
    assert_eq!(order.state(), State::Completed);
    probe
        .wait("confirmation_email", 1, Duration::from_secs(10))
        .await;
    // Exactly one follow-up, with the order as its parent, and it ran to completion.
    crate::support::eventually(
        "confirmation e-mail completed",
        Duration::from_secs(10),
        || async {
            let sql = format!(
                "SELECT count(*) FROM {} WHERE name = 'send_confirmation_email' AND is_completed",
                db.table()
            );
            (db.count(&sql).await == 1).then_some(())
        },
    )
    .await;
    assert_eq!(db.count_named("send_confirmation_email").await, 1);
    assert_eq!(probe.count("admin_email"), 0);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn chain_on_failure(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(ProcessOrderCommand { amount: -5 }, Push::new().retries(1))
        .await
        .unwrap();
    let order = wait_terminal(&orch, id).await;
    assert_eq!(order.state(), State::Failed);
    assert!(order.is_failed && order.failed_at.is_some());
    assert_eq!(order.retries_left, -1);
    assert_eq!(probe.count_for("order", id), 2);
    probe.wait("admin_email", 1, Duration::from_secs(10)).await;
    crate::support::eventually(
        "admin e-mail completed",
        Duration::from_secs(10),
        || async {
            let n = db
                .count(&format!(
                    "SELECT count(*) FROM {} WHERE name = 'notify_admin' AND is_completed",
                    db.table()
                ))
                .await;
            (n == 1).then_some(())
        },
    )
    .await;
    // Enqueued once, only after the final failure, with the order as its parent.
    assert_eq!(db.count_named("notify_admin").await, 1);
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM {} WHERE name = 'notify_admin' AND parent_id = (SELECT id FROM {} WHERE name = 'process_order')",
            db.table(),
            db.table()
        ))
        .await,
        1
    );
    assert_eq!(probe.count("confirmation_email"), 0);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn delayed_command_waits_for_its_time(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let before = Utc::now();
    let id = orch
        .push_with(
            SimpleCommand { n: 1 },
            Push::new().delay(Duration::from_secs(2)),
        )
        .await
        .unwrap();
    let record = orch.get(id).await.unwrap();
    // SQLite keeps milliseconds: compare at that precision.
    let pushed_ms = before.timestamp_millis();
    assert!(
        record.scheduled_at.timestamp_millis() >= pushed_ms + 2000,
        "scheduled_at {} is less than 2 s after the push at {before}",
        record.scheduled_at
    );
    assert_eq!(record.state(), State::Scheduled);
    // Proving that something does not happen before a moment needs a fixed wait.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(probe.count_for("simple", id), 0, "ran before its delay");
    assert!(!orch.get(id).await.unwrap().is_completed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let record = orch.get(id).await.unwrap();
    assert_eq!(
        record.state(),
        State::Completed,
        "not run 3 s after a 2 s delay: {record:?}"
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn handler_past_its_timeout_is_not_completed(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(
            SleepCommand { millis: 30_000 },
            Push::new().timeout(Duration::from_secs(1)).retries(0),
        )
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert!(!record.is_completed);
    assert_eq!(record.state(), State::Failed);
    assert_eq!(record.last_outcome, Some(FailureKind::TimedOut));
    assert_eq!(record.status(), Some(Status::TimedOut));
    assert_eq!(probe.count_for("sleep_done", id), 0);
    // The handler's token fired so its spawned work could stop.
    probe
        .wait("sleep_token_fired", 1, Duration::from_secs(5))
        .await;
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn failing_command_runs_retries_plus_one_times(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(AlwaysFailsCommand, Push::new().retries(2))
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Failed);
    assert_eq!(record.retries_left, -1);
    assert_eq!(record.attempt, 3);
    assert_eq!(probe.count_for("always_fails", id), 3);
    assert_eq!(record.last_outcome, Some(FailureKind::Failed));
    assert!(
        record
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("invalid digit"),
        "{record:?}"
    );
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn success_keeps_retries_left(db: TestDb) {
    let probe = Probe::new();
    let orch = worker(&db, &probe).await;
    let id = orch
        .push_with(SimpleCommand { n: 1 }, Push::new().retries(2))
        .await
        .unwrap();
    let record = wait_terminal(&orch, id).await;
    assert_eq!(record.state(), State::Completed);
    assert_eq!(record.retries_left, 2);
    orch.shutdown(SHUTDOWN).await.unwrap();
}

pub async fn custom_timeout_and_retries_are_stored(db: TestDb) {
    let client = db.client().await;
    let id = client
        .push_with(
            SimpleCommand { n: 1 },
            Push::new().timeout(Duration::from_secs(90)).retries(7),
        )
        .await
        .unwrap();
    let record = client.get(id).await.unwrap();
    assert_eq!(record.timeout, Duration::from_secs(90));
    assert_eq!(record.retries_left, 7);
    // Per-type defaults apply when the push overrides nothing.
    let id = client
        .push(SendConfirmationEmailCommand {
            order_id: "x".into(),
        })
        .await
        .unwrap();
    let record = client.get(id).await.unwrap();
    assert_eq!(record.timeout, Duration::from_secs(5));
    assert_eq!(record.retries_left, 3);
    assert_eq!(SendConfirmationEmailCommand::name(), record.name);
}
